/*
 * fibrechannel: Fibre Channel host adapters of /sys/class/fc_host: an info
 * series with the port attributes and the statistics counters. A counter
 * reading all ones (the firmware does not implement it) is left out; a
 * port in state "Unknown" reports zeros, as upstream.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/exporter.h"
#include "../../common/hostfs.h"
#include "../../common/sysfs.h"

enum { FC_SPEED, FC_PORT_STATE, FC_PORT_TYPE, FC_NODE_NAME, FC_PORT_ID, FC_PORT_NAME, FC_FABRIC_NAME,
       FC_DEV_LOSS_TMO, FC_SYMBOLIC_NAME, FC_SUPPORTED_CLASSES, FC_SUPPORTED_SPEEDS, FC_NATTR };

static const char *const fc_attrs[FC_NATTR] = {
	"speed",	"port_state",	"port_type",	"node_name",	     "port_id",		 "port_name",
	"fabric_name", "dev_loss_tmo", "symbolic_name", "supported_classes", "supported_speeds",
};

#define FC_NSTATS 14
static const struct {
	const char *file, *metric, *help;
} fc_stats[FC_NSTATS] = {
	{ "dumped_frames", "node_fibrechannel_dumped_frames_total", "Frames dumped by the host port." },
	{ "error_frames", "node_fibrechannel_error_frames_total", "Frames received with errors." },
	{ "invalid_crc_count", "node_fibrechannel_invalid_crc_total", "Frames received with an invalid CRC." },
	{ "rx_frames", "node_fibrechannel_rx_frames_total", "Frames received by the host port." },
	{ "rx_words", "node_fibrechannel_rx_words_total", "Words received by the host port." },
	{ "tx_frames", "node_fibrechannel_tx_frames_total", "Frames transmitted by the host port." },
	{ "tx_words", "node_fibrechannel_tx_words_total", "Words transmitted by the host port." },
	{ "seconds_since_last_reset", "node_fibrechannel_seconds_since_last_reset_total",
	  "Seconds since the host port statistics were last reset." },
	{ "invalid_tx_word_count", "node_fibrechannel_invalid_tx_words_total",
	  "Invalid words transmitted by the host port." },
	{ "link_failure_count", "node_fibrechannel_link_failure_total", "Link failures of the host port." },
	{ "loss_of_sync_count", "node_fibrechannel_loss_of_sync_total",
	  "Losses of synchronisation on bit or word boundaries." },
	{ "loss_of_signal_count", "node_fibrechannel_loss_of_signal_total", "Losses of signal." },
	{ "nos_count", "node_fibrechannel_nos_total", "Not_Operational primitive sequences received." },
	{ "fcp_packet_aborts", "node_fibrechannel_fcp_packet_aborts_total", "FCP packets aborted." },
};

struct fc_host {
	const char *name;
	bool has_attr[FC_NATTR];
	char attr[FC_NATTR][SYSFS_VAL];
	bool has_stat[FC_NSTATS];
	uint64_t stat[FC_NSTATS];
};

static int fc_read_stats(struct scrape *s, const char *hostdir, struct fc_host *h)
{
	char dir[4096], path[4096], value[SYSFS_VAL];
	if (pathf(dir, sizeof dir, "%s/statistics", hostdir) < 0)
		return scrape_fail(s, "path too long");
	struct sysfs_dir d;
	int rc = sysfs_dir_read(s, dir, &d);
	if (rc == -ENOENT)
		return COLLECT_OK; /* a disabled host has no statistics */
	if (rc < 0)
		return scrape_fail(s, "couldn't list %s: %s", dir, strerror(-rc));
	for (size_t i = 0; i < d.n && rc == COLLECT_OK; i++) {
		const char *name = d.ents[i].name;
		if (d.ents[i].type != DT_REG || !strcmp(name, "reset_statistics"))
			continue;
		if (pathf(path, sizeof path, "%s/%s", dir, name) < 0) {
			rc = scrape_fail(s, "path too long");
			break;
		}
		ssize_t n = sysfs_attr(s, path, value, sizeof value);
		/* Write-only files in there fail with EOPNOTSUPP or EINVAL. */
		if (n == -ENOENT || n == -EOPNOTSUPP)
			continue;
		if (n < 0) {
			rc = scrape_fail(s, "couldn't read %s: %s", path, strerror((int)-n));
			break;
		}
		for (size_t k = 0; k < FC_NSTATS; k++) {
			if (strcmp(name, fc_stats[k].file) != 0)
				continue;
			if (sysfs_parse_uint(value, &h->stat[k]) < 0)
				rc = scrape_fail(s, "invalid value '%s' in %s", value, path);
			else
				h->has_stat[k] = true;
			break;
		}
	}
	sysfs_dir_free(&d);
	return rc;
}

static int fc_read(struct scrape *s, const char *dir, struct fc_host *h)
{
	char hostdir[4096];
	if (pathf(hostdir, sizeof hostdir, "%s/%s", dir, h->name) < 0)
		return scrape_fail(s, "path too long");
	for (size_t i = 0; i < FC_NATTR; i++) {
		char *v = h->attr[i];
		ssize_t n = sysfs_attr_at(s, hostdir, fc_attrs[i], v, SYSFS_VAL);
		if (n == -ENOENT)
			continue; /* drivers may leave attributes out */
		if (n < 0)
			return scrape_fail(s, "couldn't read %s/%s: %s", hostdir, fc_attrs[i], strerror((int)-n));
		h->has_attr[i] = true;
		/* The WWNs and the port id lose their "0x". */
		if ((i == FC_NODE_NAME || i == FC_PORT_ID || i == FC_PORT_NAME || i == FC_FABRIC_NAME) && n > 2)
			memmove(v, v + 2, (size_t)n - 1);
	}
	return fc_read_stats(s, hostdir, h);
}

static int fibrechannel_collect(struct scrape *s, struct expo *e)
{
	char dir[4096];
	if (sys_path(dir, sizeof dir, "class/fc_host") < 0)
		return scrape_fail(s, "path too long");
	struct sysfs_dir d;
	int rc = collect_list(s, dir, &d);
	if (rc != COLLECT_OK)
		return rc;

	/* All hosts or none, as upstream. */
	struct fc_host *hosts = calloc(d.n ? d.n : 1, sizeof *hosts);
	if (!hosts) {
		sysfs_dir_free(&d);
		return scrape_fail(s, "out of memory");
	}
	for (size_t i = 0; i < d.n; i++) {
		hosts[i].name = d.ents[i].name;
		rc = fc_read(s, dir, &hosts[i]);
		if (rc != COLLECT_OK)
			goto out;
	}

	struct family *finfo = expo_family(
		e, "node_fibrechannel_info", METRIC_GAUGE, "Constant 1, labelled with the Fibre Channel host's attributes.",
		(const char *const[]){ "fc_host", "speed", "port_state", "port_type", "port_id", "port_name",
				       "fabric_name", "symbolic_name", "supported_classes", "supported_speeds",
				       "dev_loss_tmo", NULL });
	struct family *fstat[FC_NSTATS];
	for (size_t k = 0; k < FC_NSTATS; k++)
		fstat[k] = expo_family(e, fc_stats[k].metric, METRIC_COUNTER, fc_stats[k].help,
				       (const char *const[]){ "fc_host", NULL });
	for (size_t i = 0; i < d.n; i++) {
		struct fc_host *h = &hosts[i];
		char(*a)[SYSFS_VAL] = h->attr;
		expo_sample(e, finfo, 1, h->name, a[FC_SPEED], a[FC_PORT_STATE], a[FC_PORT_TYPE], a[FC_PORT_ID],
			    a[FC_PORT_NAME], a[FC_FABRIC_NAME], a[FC_SYMBOLIC_NAME], a[FC_SUPPORTED_CLASSES],
			    a[FC_SUPPORTED_SPEEDS], a[FC_DEV_LOSS_TMO]);
		bool unknown = !h->has_attr[FC_PORT_STATE] || strcmp(a[FC_PORT_STATE], "Unknown") == 0;
		for (size_t k = 0; k < FC_NSTATS; k++) {
			/*
			 * Upstream zeroes the counters of a port in an unknown
			 * state; a counter the host does not have is left out
			 * (upstream would crash on it).
			 */
			uint64_t v = unknown ? 0 : h->stat[k];
			if (!unknown && !h->has_stat[k])
				continue;
			if (v != UINT64_MAX)
				expo_sample(e, fstat[k], (double)v, h->name);
		}
	}
	rc = COLLECT_OK;
out:
	free(hosts);
	sysfs_dir_free(&d);
	return rc;
}

const struct collector_def collector_fibrechannel = {
	.name = "fibrechannel",
	.default_enabled = true,
	.collect = fibrechannel_collect,
};
