/*
 * xfrm: IPsec transformation error counters of /proc/net/xfrm_stat
 * ("XfrmInError 1" lines). All 28 counters upstream knows are exported, 0
 * when the kernel does not list one; an absent file (no xfrm in the kernel)
 * is an error, as upstream.
 */
#include <stdio.h>
#include <string.h>

#include "../../common/exporter.h"
#include "../../common/hostfs.h"
#include "../../common/parse.h"
#include "../../common/sysfs.h"

static const struct {
	const char *field, *name, *help;
} xfrm_fields[] = {
	{ "XfrmInError", "in_error_packets_total", "Inbound errors not counted elsewhere." },
	{ "XfrmInBufferError", "in_buffer_error_packets_total", "Inbound packets dropped for lack of buffers." },
	{ "XfrmInHdrError", "in_hdr_error_packets_total", "Inbound header errors." },
	{ "XfrmInNoStates", "in_no_states_packets_total",
	  "Inbound packets without a state (wrong SPI, address or IPsec protocol)." },
	{ "XfrmInStateProtoError", "in_state_proto_error_packets_total",
	  "Inbound transformation protocol errors (e.g. a wrong SA key)." },
	{ "XfrmInStateModeError", "in_state_mode_error_packets_total", "Inbound transformation mode errors." },
	{ "XfrmInStateSeqError", "in_state_seq_error_packets_total",
	  "Inbound sequence errors (sequence number out of window)." },
	{ "XfrmInStateExpired", "in_state_expired_packets_total", "Inbound packets for an expired state." },
	{ "XfrmInStateMismatch", "in_state_mismatch_packets_total",
	  "Inbound packets whose state options mismatch (e.g. UDP encapsulation type)." },
	{ "XfrmInStateInvalid", "in_state_invalid_packets_total", "Inbound packets for an invalid state." },
	{ "XfrmInTmplMismatch", "in_tmpl_mismatch_packets_total", "Inbound packets matching no template of the states." },
	{ "XfrmInNoPols", "in_no_pols_packets_total", "Inbound packets with correct SAs but no policy." },
	{ "XfrmInPolBlock", "in_pol_block_packets_total", "Inbound packets discarded by policy." },
	{ "XfrmInPolError", "in_pol_error_packets_total", "Inbound policy errors." },
	{ "XfrmOutError", "out_error_packets_total", "Outbound errors not counted elsewhere." },
	{ "XfrmOutBundleGenError", "out_bundle_gen_error_packets_total", "Outbound bundle generation errors." },
	{ "XfrmOutBundleCheckError", "out_bundle_check_error_packets_total", "Outbound bundle check errors." },
	{ "XfrmOutNoStates", "out_no_states_packets_total", "Outbound packets without a state." },
	{ "XfrmOutStateProtoError", "out_state_proto_error_packets_total",
	  "Outbound transformation protocol errors." },
	{ "XfrmOutStateModeError", "out_state_mode_error_packets_total", "Outbound transformation mode errors." },
	{ "XfrmOutStateSeqError", "out_state_seq_error_packets_total", "Outbound sequence number overflows." },
	{ "XfrmOutStateExpired", "out_state_expired_packets_total", "Outbound packets for an expired state." },
	{ "XfrmOutPolBlock", "out_pol_block_packets_total", "Outbound packets discarded by policy." },
	{ "XfrmOutPolDead", "out_pol_dead_packets_total", "Outbound packets for a dead policy." },
	{ "XfrmOutPolError", "out_pol_error_packets_total", "Outbound policy errors." },
	{ "XfrmFwdHdrError", "fwd_hdr_error_packets_total", "Packets whose forwarding is not allowed." },
	{ "XfrmOutStateInvalid", "out_state_invalid_packets_total", "Outbound packets for an invalid state." },
	{ "XfrmAcquireError", "acquire_error_packets_total", "Packets whose state was not fully acquired before use." },
};
#define XFRM_N (sizeof xfrm_fields / sizeof xfrm_fields[0])

static int xfrm_collect(struct scrape *s, struct expo *e)
{
	char path[4096];
	if (proc_path(path, sizeof path, "net/xfrm_stat") < 0)
		return scrape_fail(s, "path too long");
	char *text;
	int rc = collect_read_required(s, path, &text);
	if (rc != COLLECT_OK)
		return rc;
	int64_t v[XFRM_N] = { 0 };
	for (char *cur = text, *line; (line = next_line(&cur));) {
		char *fld[2];
		int64_t x;
		if (split_fields(line, fld, 2) != 2)
			return scrape_fail(s, "invalid line in %s: '%.60s'", path, line);
		if (parse_i64(fld[1], &x) < 0)
			return scrape_fail(s, "invalid value '%s' for %s in %s", fld[1], fld[0], path);
		for (size_t i = 0; i < XFRM_N; i++)
			if (!strcmp(fld[0], xfrm_fields[i].field))
				v[i] = x;
	}
	for (size_t i = 0; i < XFRM_N; i++) {
		char name[96];
		strf(name, sizeof name, "node_xfrm_%s", xfrm_fields[i].name);
		expo_single(e, name, METRIC_COUNTER, xfrm_fields[i].help, (double)v[i]);
	}
	return COLLECT_OK;
}

const struct collector_def collector_xfrm = {
	.name = "xfrm",
	.default_enabled = false,
	.collect = xfrm_collect,
};
