/*
 * softnet: per-CPU packet processing statistics from /proc/net/softnet_stat
 * (one row of hexadecimal columns per CPU; the number of columns grew with
 * kernel versions, absent ones are reported as 0 as upstream does).
 */
#include <stdio.h>
#include <string.h>

#include "../../common/exporter.h"
#include "../../common/hostfs.h"
#include "../../common/parse.h"
#include "../../common/sysfs.h"

/* A 32-bit hexadecimal column (Go's ParseUint(s, 16, 32): no "0x"). */
static int parse_hex32(const char *s, uint32_t *v)
{
	uint64_t x;
	if ((s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) || parse_hex_u64(s, &x) < 0 ||
	    x > UINT32_MAX)
		return -1;
	*v = (uint32_t)x;
	return 0;
}

static int softnet_collect(struct scrape *s, struct expo *e)
{
	char path[4096];
	if (proc_path(path, sizeof path, "net/softnet_stat") < 0)
		return scrape_fail(s, "path too long");
	char *text;
	int rc = collect_read_required(s, path, &text);
	if (rc != COLLECT_OK)
		return rc;

	const char *const cpu_label[] = { "cpu", NULL };
	struct family *processed = expo_family(e, "node_softnet_processed_total", METRIC_COUNTER,
					       "Packets processed by the CPU's softirq.", cpu_label);
	struct family *dropped = expo_family(e, "node_softnet_dropped_total", METRIC_COUNTER,
					     "Packets dropped because the backlog queue was full.",
					     cpu_label);
	struct family *squeezed = expo_family(
		e, "node_softnet_times_squeezed_total", METRIC_COUNTER,
		"Times the softirq stopped with work left because its budget ran out.", cpu_label);
	struct family *collision = expo_family(
		e, "node_softnet_cpu_collision_total", METRIC_COUNTER,
		"Times the CPU found the device transmit lock taken.", cpu_label);
	struct family *rps = expo_family(e, "node_softnet_received_rps_total", METRIC_COUNTER,
					 "Times the CPU was woken by an RPS inter-processor interrupt.",
					 cpu_label);
	struct family *flow = expo_family(e, "node_softnet_flow_limit_count_total", METRIC_COUNTER,
					  "Times the flow limit was reached.", cpu_label);
	struct family *backlog = expo_family(e, "node_softnet_backlog_len", METRIC_GAUGE,
					     "Packets waiting in the CPU's backlog queues.", cpu_label);

	uint32_t row = 0;
	char *cur = text, *line;
	while ((line = next_line(&cur))) {
		char *f[13];
		size_t width = split_fields(line, f, 13);
		if (width < 9)
			return scrape_fail(s, "%zu columns in %s, expected at least 9", width, path);
		uint32_t v[13] = { 0 };
		size_t have = width < 13 ? width : 13;
		/* Columns 3..7 are unused but must parse, as upstream checks them. */
		for (size_t i = 0; i < have; i++)
			if ((i < 11 || width >= 13) && parse_hex32(f[i], &v[i]) < 0)
				return scrape_fail(s, "invalid column '%s' in %s", f[i], path);
		uint32_t backlog_len = 0, index = row;
		if (width >= 13) {
			backlog_len = v[11];
			index = v[12];
		}
		char cpu[16];
		strf(cpu, sizeof cpu, "%u", index);
		expo_sample(e, processed, (double)v[0], cpu);
		expo_sample(e, dropped, (double)v[1], cpu);
		expo_sample(e, squeezed, (double)v[2], cpu);
		expo_sample(e, collision, (double)v[8], cpu);
		expo_sample(e, rps, (double)v[9], cpu);
		expo_sample(e, flow, (double)v[10], cpu);
		expo_sample(e, backlog, (double)backlog_len, cpu);
		row++;
	}
	return COLLECT_OK;
}

const struct collector_def collector_softnet = {
	.name = "softnet",
	.default_enabled = true,
	.collect = softnet_collect,
};
