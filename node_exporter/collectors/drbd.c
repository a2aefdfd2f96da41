/*
 * drbd: the counters and states of /proc/drbd (DRBD 8). The file is read as
 * upstream does, word by word: "1:" starts device drbd1, then "key:value"
 * words follow (ns:17324442 ro:Primary/Secondary cs:Connected ...). Sizes
 * the kernel gives in KiB are exported in bytes. No /proc/drbd: no data.
 */
#include <stdio.h>
#include <string.h>

#include "../../common/exporter.h"
#include "../../common/hostfs.h"
#include "../../common/parse.h"
#include "../../common/sysfs.h"

static const struct {
	const char *key, *name, *help;
	enum metric_type type;
	double scale;
} drbd_numbers[] = {
	{ "ns", "node_drbd_network_sent_bytes_total", "Bytes sent to the peer.", METRIC_COUNTER, 1024 },
	/* Upstream does not scale nr although the kernel counts it in KiB too. */
	{ "nr", "node_drbd_network_received_bytes_total", "Received from the peer (as upstream, the kernel's KiB unscaled).",
	  METRIC_COUNTER, 1 },
	{ "dw", "node_drbd_disk_written_bytes_total", "Bytes written to the local disk.", METRIC_COUNTER, 1024 },
	{ "dr", "node_drbd_disk_read_bytes_total", "Bytes read from the local disk.", METRIC_COUNTER, 1024 },
	{ "al", "node_drbd_activitylog_writes_total", "Updates of the activity log area of the metadata.",
	  METRIC_COUNTER, 1 },
	{ "bm", "node_drbd_bitmap_writes_total", "Updates of the bitmap area of the metadata.", METRIC_COUNTER, 1 },
	{ "lo", "node_drbd_local_pending", "Requests open to the local I/O subsystem.", METRIC_GAUGE, 1 },
	{ "pe", "node_drbd_remote_pending", "Requests sent to the peer and not answered yet.", METRIC_GAUGE, 1 },
	{ "ua", "node_drbd_remote_unacknowledged", "Requests received from the peer and not answered yet.",
	  METRIC_GAUGE, 1 },
	{ "ap", "node_drbd_application_pending", "Block I/O requests given to DRBD and not answered yet.",
	  METRIC_GAUGE, 1 },
	{ "ep", "node_drbd_epochs", "Epochs in flight.", METRIC_GAUGE, 1 },
	{ "oos", "node_drbd_out_of_sync_bytes", "Data known to be out of sync, in bytes.", METRIC_GAUGE, 1024 },
};

static const struct {
	const char *key, *name, *help, *ok;
} drbd_pairs[] = {
	{ "ro", "node_drbd_node_role_is_primary", "Whether the node's role is Primary.", "Primary" },
	{ "ds", "node_drbd_disk_state_is_up_to_date", "Whether the node's disk is UpToDate.", "UpToDate" },
};

static int drbd_collect(struct scrape *s, struct expo *e)
{
	char path[4096];
	if (proc_path(path, sizeof path, "drbd") < 0)
		return scrape_fail(s, "path too long");
	char *text;
	int rc = collect_read(s, path, &text);
	if (rc != COLLECT_OK)
		return rc;
	char device[32] = "unknown";
	char *cur = text, *word;
	while ((word = sysfs_next_field(&cur))) {
		char *colon = strchr(word, ':');
		if (!colon || strchr(colon + 1, ':'))
			continue; /* not one key:value pair */
		*colon = '\0';
		const char *key = word, *val = colon + 1;
		uint64_t id;
		if (!*val && parse_u64(key, &id) == 0) {
			strf(device, sizeof device, "drbd%llu", (unsigned long long)id);
			continue;
		}
		bool done = false;
		for (size_t i = 0; i < sizeof drbd_numbers / sizeof drbd_numbers[0] && !done; i++) {
			if (strcmp(key, drbd_numbers[i].key))
				continue;
			double v;
			if (parse_double(val, &v) < 0)
				return scrape_fail(s, "invalid value '%s' for %s in %s", val, key, path);
			struct family *f = expo_family(e, drbd_numbers[i].name, drbd_numbers[i].type,
						       drbd_numbers[i].help,
						       (const char *const[]){ "device", NULL });
			expo_sample(e, f, v * drbd_numbers[i].scale, device);
			done = true;
		}
		for (size_t i = 0; i < sizeof drbd_pairs / sizeof drbd_pairs[0] && !done; i++) {
			if (strcmp(key, drbd_pairs[i].key))
				continue;
			char *slash = strchr(val, '/');
			if (!slash)
				return scrape_fail(s, "invalid %s value '%s' in %s", key, val, path);
			*slash = '\0';
			struct family *f = expo_family(e, drbd_pairs[i].name, METRIC_GAUGE, drbd_pairs[i].help,
						       (const char *const[]){ "device", "node", NULL });
			expo_sample(e, f, !strcmp(val, drbd_pairs[i].ok), device, "local");
			/* Only the text up to a further '/' counts, as strings.Split's [1]. */
			char *remote = slash + 1, *more = strchr(remote, '/');
			if (more)
				*more = '\0';
			expo_sample(e, f, !strcmp(remote, drbd_pairs[i].ok), device, "remote");
			done = true;
		}
		if (!done && !strcmp(key, "cs")) {
			struct family *f = expo_family(e, "node_drbd_connected", METRIC_GAUGE,
						       "Whether DRBD is connected to the peer.",
						       (const char *const[]){ "device", NULL });
			expo_sample(e, f, !strcmp(val, "Connected"), device);
		}
	}
	return COLLECT_OK;
}

const struct collector_def collector_drbd = {
	.name = "drbd",
	.default_enabled = false,
	.collect = drbd_collect,
};
