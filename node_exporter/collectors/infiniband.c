/*
 * infiniband: InfiniBand/RDMA devices of /sys/class/infiniband: an info
 * series per device and, per port, the state, the signalling rate and the
 * counters of counters/, counters_ext/ (kernels before 4.5) and
 * hw_counters/. Devices are filtered with
 * --collector.infiniband.device-include/-exclude.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/exporter.h"
#include "../../common/hostfs.h"
#include "../../common/parse.h"
#include "../../common/rx.h"
#include "../../common/sysfs.h"

static const char *ib_include = "", *ib_exclude = "";

static struct flag ib_flags[] = {
	{ .name = "collector.infiniband.device-include", .type = FLAG_STRING, .dest = &ib_include,
	  .help = "Regexp of InfiniBand devices to include." },
	{ .name = "collector.infiniband.device-exclude", .type = FLAG_STRING, .dest = &ib_exclude,
	  .help = "Regexp of InfiniBand devices to exclude." },
};

enum ib_dir { IB_COUNTERS, IB_EXT, IB_HW };

/* Counter files, the directory they are in, and their metric (without node_infiniband_). */
static const struct {
	enum ib_dir dir;
	const char *file, *metric, *help;
	bool times4; /* per-lane data counters: multiply by the 4 lanes */
} ib_counters[] = {
	{ IB_COUNTERS, "excessive_buffer_overrun_errors", "excessive_buffer_overrun_errors_total",
	  "Times consecutive flow control update periods each had a buffer overrun.", false },
	{ IB_COUNTERS, "link_downed", "link_downed_total", "Times the link failed to recover from an error and went down.",
	  false },
	{ IB_COUNTERS, "link_error_recovery", "link_error_recovery_total",
	  "Times the link recovered from an error state.", false },
	{ IB_COUNTERS, "local_link_integrity_errors", "local_link_integrity_errors_total",
	  "Times local physical errors exceeded their threshold.", false },
	{ IB_COUNTERS, "multicast_rcv_packets", "multicast_packets_received_total",
	  "Multicast packets received, errors included.", false },
	{ IB_COUNTERS, "multicast_xmit_packets", "multicast_packets_transmitted_total",
	  "Multicast packets transmitted, errors included.", false },
	{ IB_COUNTERS, "port_rcv_constraint_errors", "port_constraint_errors_received_total",
	  "Packets received on the port that were discarded for constraint violations.", false },
	{ IB_COUNTERS, "port_rcv_data", "port_data_received_bytes_total", "Data received on all lanes, in bytes.",
	  true },
	{ IB_COUNTERS, "port_rcv_discards", "port_discards_received_total",
	  "Inbound packets discarded because the port was down or congested.", false },
	{ IB_COUNTERS, "port_rcv_errors", "port_errors_received_total", "Packets with errors received on the port.",
	  false },
	{ IB_COUNTERS, "port_rcv_packets", "port_packets_received_total",
	  "Packets received on all virtual lanes, errors included.", false },
	{ IB_COUNTERS, "port_rcv_remote_physical_errors", "port_receive_remote_physical_errors_total",
	  "Packets received marked with the End of Bad Packet delimiter.", false },
	{ IB_COUNTERS, "port_rcv_switch_relay_errors", "port_receive_switch_relay_errors_total",
	  "Packets the switch could not forward.", false },
	{ IB_COUNTERS, "port_xmit_constraint_errors", "port_constraint_errors_transmitted_total",
	  "Packets not transmitted from the port for constraint violations.", false },
	{ IB_COUNTERS, "port_xmit_data", "port_data_transmitted_bytes_total",
	  "Data transmitted on all lanes, in bytes.", true },
	{ IB_COUNTERS, "port_xmit_discards", "port_discards_transmitted_total",
	  "Outbound packets discarded because the port was down or congested.", false },
	{ IB_COUNTERS, "port_xmit_packets", "port_packets_transmitted_total",
	  "Packets transmitted on all virtual lanes, errors included.", false },
	{ IB_COUNTERS, "port_xmit_wait", "port_transmit_wait_total",
	  "Ticks in which the port had data to send but sent none.", false },
	{ IB_COUNTERS, "symbol_error", "symbol_error_total", "Minor link errors on the physical lanes.", false },
	{ IB_COUNTERS, "unicast_rcv_packets", "unicast_packets_received_total",
	  "Unicast packets received, errors included.", false },
	{ IB_COUNTERS, "unicast_xmit_packets", "unicast_packets_transmitted_total",
	  "Unicast packets transmitted, errors included.", false },
	{ IB_COUNTERS, "VL15_dropped", "vl15_dropped_total", "Incoming VL15 packets dropped for lack of resources.",
	  false },
	{ IB_EXT, "port_multicast_rcv_packets", "legacy_multicast_packets_received_total",
	  "Multicast packets received (counters_ext).", false },
	{ IB_EXT, "port_multicast_xmit_packets", "legacy_multicast_packets_transmitted_total",
	  "Multicast packets transmitted (counters_ext).", false },
	{ IB_EXT, "port_rcv_data_64", "legacy_data_received_bytes_total",
	  "Data received on all lanes, in bytes (counters_ext).", true },
	{ IB_EXT, "port_rcv_packets_64", "legacy_packets_received_total", "Packets received (counters_ext).", false },
	{ IB_EXT, "port_unicast_rcv_packets", "legacy_unicast_packets_received_total",
	  "Unicast packets received (counters_ext).", false },
	{ IB_EXT, "port_unicast_xmit_packets", "legacy_unicast_packets_transmitted_total",
	  "Unicast packets transmitted (counters_ext).", false },
	{ IB_EXT, "port_xmit_data_64", "legacy_data_transmitted_bytes_total",
	  "Data transmitted on all lanes, in bytes (counters_ext).", true },
	{ IB_EXT, "port_xmit_packets_64", "legacy_packets_transmitted_total", "Packets transmitted (counters_ext).",
	  false },
	{ IB_HW, "lifespan", "lifespan_seconds", "Period within which two reads of the hardware counters may return the same values, in seconds.", false },
	{ IB_HW, "duplicate_request", "duplicate_requests_packets_total", "Duplicate requests received.", false },
	{ IB_HW, "implied_nak_seq_err", "implied_nak_seq_errors_total",
	  "ACKs received with a PSN larger than expected for an RDMA read or response.", false },
	{ IB_HW, "local_ack_timeout_err", "local_ack_timeout_errors_total",
	  "Times a QP's ACK timer expired on the sender side (recoverable).", false },
	{ IB_HW, "np_cnp_sent", "np_cnp_packets_sent_total", "CNP packets sent by the notification point.", false },
	{ IB_HW, "np_ecn_marked_roce_packets", "np_ecn_marked_roce_packets_received_total",
	  "RoCEv2 packets received marked as having experienced congestion.", false },
	{ IB_HW, "out_of_buffer", "out_of_buffer_drops_total", "Packets dropped for lack of WQEs on their QP.", false },
	{ IB_HW, "out_of_sequence", "out_of_sequence_packets_received_total", "Out of sequence packets received.",
	  false },
	{ IB_HW, "packet_seq_err", "packet_sequence_errors_total", "NAK sequence error packets received.", false },
	{ IB_HW, "req_cqe_error", "req_cqes_errors_total", "CQEs completed with errors on the requester side.", false },
	{ IB_HW, "req_cqe_flush_error", "req_cqes_flush_errors_total",
	  "CQEs completed with flush errors on the requester side.", false },
	{ IB_HW, "req_remote_access_errors", "req_remote_access_errors_total",
	  "Remote access errors detected by the requester.", false },
	{ IB_HW, "req_remote_invalid_request", "req_remote_invalid_request_errors_total",
	  "Remote invalid request errors detected by the requester.", false },
	{ IB_HW, "resp_cqe_error", "resp_cqes_errors_total", "CQEs completed with errors on the responder side.",
	  false },
	{ IB_HW, "resp_cqe_flush_error", "resp_cqes_flush_errors_total",
	  "CQEs completed with flush errors on the responder side.", false },
	{ IB_HW, "resp_local_length_error", "resp_local_length_errors_total",
	  "Local length errors detected by the responder.", false },
	{ IB_HW, "resp_remote_access_errors", "resp_remote_access_errors_total",
	  "Remote access errors detected by the responder.", false },
	{ IB_HW, "rnr_nak_retry_err", "rnr_nak_retry_packets_received_total", "RNR NAK packets received.", false },
	{ IB_HW, "roce_adp_retrans", "roce_adp_retransmits_total", "Adaptive retransmissions of RoCE traffic.", false },
	{ IB_HW, "roce_adp_retrans_to", "roce_adp_retransmits_timeout_total",
	  "Timeouts of RoCE traffic during adaptive retransmission.", false },
	{ IB_HW, "roce_slow_restart", "roce_slow_restart_used_total", "Times RoCE slow restart was used.", false },
	{ IB_HW, "roce_slow_restart_cnps", "roce_slow_restart_cnps_total", "CNP packets generated by RoCE slow restart.",
	  false },
	{ IB_HW, "roce_slow_restart_trans", "roce_slow_restart_total", "Times RoCE entered slow restart.", false },
	{ IB_HW, "rp_cnp_handled", "rp_cnp_packets_handled_total",
	  "CNP packets handled by the reaction point to throttle transmission.", false },
	{ IB_HW, "rp_cnp_ignored", "rp_cnp_ignored_packets_received_total",
	  "CNP packets received and ignored by the reaction point.", false },
	{ IB_HW, "rx_atomic_requests", "rx_atomic_requests_total", "ATOMIC requests received.", false },
	{ IB_HW, "rx_dct_connect", "rx_dct_connect_requests_total", "Connection requests received for DCTs.", false },
	{ IB_HW, "rx_icrc_encapsulated", "rx_icrc_encapsulated_errors_total", "RoCE packets with ICRC errors.", false },
	{ IB_HW, "rx_read_requests", "rx_read_requests_total", "READ requests received.", false },
	{ IB_HW, "rx_write_requests", "rx_write_requests_total", "WRITE requests received.", false },
};
#define IB_NCOUNTERS (sizeof ib_counters / sizeof ib_counters[0])

/* hw_counters/lifespan is a gauge, in milliseconds, exported in seconds. */
static bool is_lifespan(size_t k)
{
	return ib_counters[k].dir == IB_HW && strcmp(ib_counters[k].file, "lifespan") == 0;
}

struct ib_port {
	char num[16];
	unsigned state, phys_state;
	uint64_t rate;
	bool has[IB_NCOUNTERS];
	uint64_t v[IB_NCOUNTERS];
};

struct ib_dev {
	const char *name;
	char fw[SYSFS_VAL], board[SYSFS_VAL], hca[SYSFS_VAL];
	struct ib_port *ports;
	size_t nports, cap;
};

struct ib_state {
	struct rx *include, *exclude;
};

static void ib_fini(void *state)
{
	struct ib_state *st = state;
	if (!st)
		return;
	rx_free(st->include);
	rx_free(st->exclude);
	free(st);
}

static int ib_init(void **state, char *err, size_t errlen)
{
	struct ib_state *st = calloc(1, sizeof *st);
	if (!st) {
		strf(err, errlen, "infiniband: out of memory");
		return -1;
	}
	*state = st;
	char msg[300];
	const char *bad = NULL;
	if (ib_include[0] && !(st->include = rx_compile(ib_include, msg, sizeof msg)))
		bad = "include";
	else if (ib_exclude[0] && !(st->exclude = rx_compile(ib_exclude, msg, sizeof msg)))
		bad = "exclude";
	if (bad) {
		strf(err, errlen, "invalid --collector.infiniband.device-%s: %s", bad, msg);
		ib_fini(st);
		*state = NULL;
		return -1;
	}
	return 0;
}

static int ib_error(struct scrape *s, long err, const char *path)
{
	if (sysfs_enoent(err))
		return COLLECT_NODATA;
	return scrape_fail(s, "couldn't read %s: %s", path, strerror((int)-err));
}

/* "<id>: <name>" of the state files: the id, or -1. */
static long parse_state(const char *text)
{
	const char *colon = strchr(text, ':');
	if (!colon || strchr(colon + 1, ':'))
		return -1;
	char id[32];
	size_t n = (size_t)(colon - text);
	if (n >= sizeof id)
		return -1;
	memcpy(id, text, n);
	id[n] = '\0';
	uint64_t v;
	if (parse_u64(trim(id), &v) < 0 || v > UINT32_MAX)
		return -1;
	return (long)v;
}

/* "100 Gb/sec (4X EDR)" in bytes per second, or -1. */
static int parse_rate(char *text, uint64_t *out)
{
	char *sp = strchr(text, ' ');
	if (!sp)
		return -1;
	*sp = '\0';
	char *num = trim(text);
	double d;
	if (parse_double(num, &d) < 0)
		return -1;
	/* Upstream parses a float32 and scales it in float64. */
	errno = 0;
	float f = strtof(num, NULL);
	if (errno == ERANGE && isinf(f))
		return -1;
	double v = (double)f * 125000000;
	*out = v >= 0 && v < 18446744073709551616.0 ? (uint64_t)v : 0;
	return 0;
}

static int ib_read_counters(struct scrape *s, const char *portdir, enum ib_dir which, struct ib_port *p)
{
	static const char *const names[] = { "counters", "counters_ext", "hw_counters" };
	char dir[4096], path[4096], value[SYSFS_VAL];
	if (pathf(dir, sizeof dir, "%s/%s", portdir, names[which]) < 0)
		return scrape_fail(s, "path too long");
	struct sysfs_dir d;
	int rc = sysfs_dir_read(s, dir, &d);
	if (rc == -ENOENT && which != IB_COUNTERS)
		return COLLECT_OK;
	if (rc < 0)
		return ib_error(s, rc, dir);
	for (size_t i = 0; i < d.n && rc == COLLECT_OK; i++) {
		if (d.ents[i].type != DT_REG)
			continue;
		if (pathf(path, sizeof path, "%s/%s", dir, d.ents[i].name) < 0) {
			rc = scrape_fail(s, "path too long");
			break;
		}
		ssize_t n = sysfs_attr(s, path, value, sizeof value);
		if (n < 0) {
			bool skip = n == -ENOENT || sysfs_eperm(n) || n == -EOPNOTSUPP ||
				    (which == IB_COUNTERS && n == -EINVAL);
			if (!skip)
				rc = scrape_fail(s, "couldn't read %s: %s", path, strerror((int)-n));
			continue;
		}
		for (size_t k = 0; k < IB_NCOUNTERS; k++) {
			if (ib_counters[k].dir != which || strcmp(ib_counters[k].file, d.ents[i].name) != 0)
				continue;
			uint64_t v;
			if (sysfs_parse_uint(value, &v) == 0) {
				p->v[k] = ib_counters[k].times4 ? v * 4 : v;
				p->has[k] = true;
			} else if (!strstr(value, "N/A (no PMA)")) {
				/* "N/A (no PMA)": a counter the port cannot report */
				rc = scrape_fail(s, "invalid value '%s' in %s", value, path);
			}
			break;
		}
	}
	sysfs_dir_free(&d);
	return rc;
}

static int ib_read_port(struct scrape *s, const char *devdir, const char *num, struct ib_port *p)
{
	char portdir[4096], path[4096], text[256];
	uint64_t pn;
	if (parse_u64(num, &pn) < 0 || pn > UINT32_MAX)
		return scrape_fail(s, "invalid port %s in %s/ports", num, devdir);
	strf(p->num, sizeof p->num, "%llu", (unsigned long long)pn);
	if (pathf(portdir, sizeof portdir, "%s/ports/%s", devdir, num) < 0)
		return scrape_fail(s, "path too long");
	static const char *const files[] = { "link_layer", "state", "phys_state", "rate" };
	for (size_t i = 0; i < 4; i++) {
		if (pathf(path, sizeof path, "%s/%s", portdir, files[i]) < 0)
			return scrape_fail(s, "path too long");
		ssize_t n = sysfs_file(s, path, text, sizeof text, false);
		if (n < 0)
			return ib_error(s, n, path);
		long id = 0;
		if (i == 1 || i == 2) {
			id = parse_state(text);
			if (id < 0)
				return scrape_fail(s, "invalid content of %s", path);
			if (i == 1)
				p->state = (unsigned)id;
			else
				p->phys_state = (unsigned)id;
		} else if (i == 3 && parse_rate(text, &p->rate) < 0) {
			return scrape_fail(s, "invalid content of %s", path);
		}
	}
	int rc = COLLECT_OK;
	if (pathf(path, sizeof path, "%s/counters", portdir) == 0 && sysfs_exists(path)) {
		rc = ib_read_counters(s, portdir, IB_COUNTERS, p);
		if (rc == COLLECT_OK)
			rc = ib_read_counters(s, portdir, IB_EXT, p);
	}
	if (rc == COLLECT_OK && pathf(path, sizeof path, "%s/hw_counters", portdir) == 0 && sysfs_exists(path))
		rc = ib_read_counters(s, portdir, IB_HW, p);
	return rc;
}

static int ib_read(struct scrape *s, const char *dir, struct ib_dev *dev)
{
	char devdir[4096], path[4096];
	if (pathf(devdir, sizeof devdir, "%s/%s", dir, dev->name) < 0)
		return scrape_fail(s, "path too long");
	ssize_t n = sysfs_attr_at(s, devdir, "fw_ver", dev->fw, sizeof dev->fw);
	if (n < 0)
		return ib_error(s, n, "fw_ver");
	char *opt[] = { dev->board, dev->hca };
	static const char *const optnames[] = { "board_id", "hca_type" };
	for (size_t i = 0; i < 2; i++) {
		n = sysfs_attr_at(s, devdir, optnames[i], opt[i], SYSFS_VAL);
		if (n == -ENOENT)
			opt[i][0] = '\0';
		else if (n < 0)
			return scrape_fail(s, "couldn't read %s/%s: %s", devdir, optnames[i], strerror((int)-n));
	}
	if (pathf(path, sizeof path, "%s/ports", devdir) < 0)
		return scrape_fail(s, "path too long");
	struct sysfs_dir d;
	int rc = sysfs_dir_read(s, path, &d);
	if (rc < 0)
		return ib_error(s, rc, path);
	for (size_t i = 0; i < d.n && rc == COLLECT_OK; i++) {
		struct ib_port *p = sysfs_grow(&dev->ports, &dev->nports, &dev->cap, sizeof *dev->ports);
		rc = p ? ib_read_port(s, devdir, d.ents[i].name, p) : scrape_fail(s, "out of memory");
	}
	sysfs_dir_free(&d);
	return rc;
}

static int infiniband_collect(struct scrape *s, struct expo *e)
{
	const struct ib_state *st = s->state;
	char dir[4096];
	if (sys_path(dir, sizeof dir, "class/infiniband") < 0)
		return scrape_fail(s, "path too long");
	struct sysfs_dir d;
	int rc = sysfs_dir_read(s, dir, &d);
	if (rc < 0)
		return ib_error(s, rc, dir);

	/* All devices or none, as upstream. */
	struct ib_dev *devs = calloc(d.n ? d.n : 1, sizeof *devs);
	size_t nd = 0;
	if (!devs) {
		sysfs_dir_free(&d);
		return scrape_fail(s, "out of memory");
	}
	for (size_t i = 0; i < d.n; i++) {
		if (rx_ignored(st->include, st->exclude, d.ents[i].name))
			continue;
		devs[nd].name = d.ents[i].name;
		rc = ib_read(s, dir, &devs[nd++]);
		if (rc != COLLECT_OK)
			goto out;
	}

	const char *const l_port[] = { "device", "port", NULL };
	struct family *finfo = expo_family(e, "node_infiniband_info", METRIC_GAUGE,
					   "Constant 1, labelled with the InfiniBand device's attributes.",
					   (const char *const[]){ "device", "board_id", "firmware_version", "hca_type", NULL });
	struct family *fstate = expo_family(e, "node_infiniband_state_id", METRIC_GAUGE,
					    "State of the port (1 down, 2 init, 3 armed, 4 active, 5 active deferred).",
					    l_port);
	struct family *fphys = expo_family(e, "node_infiniband_physical_state_id", METRIC_GAUGE,
					   "Physical state of the port (1 sleep, 2 polling, 3 disabled, 4 training, "
					   "5 link up, 6 error recovery, 7 phy test).",
					   l_port);
	struct family *frate = expo_family(e, "node_infiniband_rate_bytes_per_second", METRIC_GAUGE,
					   "Signalling rate of the port, in bytes per second.", l_port);
	struct family *fc[IB_NCOUNTERS];
	for (size_t k = 0; k < IB_NCOUNTERS; k++) {
		char name[128];
		strf(name, sizeof name, "node_infiniband_%s", ib_counters[k].metric);
		fc[k] = expo_family(e, name, is_lifespan(k) ? METRIC_GAUGE : METRIC_COUNTER, ib_counters[k].help,
				    l_port);
	}
	for (size_t i = 0; i < nd; i++) {
		const struct ib_dev *dev = &devs[i];
		expo_sample(e, finfo, 1, dev->name, dev->board, dev->fw, dev->hca);
		for (size_t j = 0; j < dev->nports; j++) {
			const struct ib_port *p = &dev->ports[j];
			expo_sample(e, fstate, p->state, dev->name, p->num);
			expo_sample(e, fphys, p->phys_state, dev->name, p->num);
			expo_sample(e, frate, (double)p->rate, dev->name, p->num);
			for (size_t k = 0; k < IB_NCOUNTERS; k++) {
				if (!p->has[k])
					continue;
				/* lifespan is in milliseconds; upstream divides in integers */
				uint64_t v = is_lifespan(k) ? p->v[k] / 1000 : p->v[k];
				expo_sample(e, fc[k], (double)v, dev->name, p->num);
			}
		}
	}
	rc = COLLECT_OK;
out:
	for (size_t i = 0; i < nd; i++)
		free(devs[i].ports);
	free(devs);
	sysfs_dir_free(&d);
	return rc;
}

const struct collector_def collector_infiniband = {
	.name = "infiniband",
	.default_enabled = true,
	.flags = ib_flags,
	.nflags = sizeof ib_flags / sizeof ib_flags[0],
	.init = ib_init,
	.collect = infiniband_collect,
	.fini = ib_fini,
};
