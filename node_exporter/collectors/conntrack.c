/*
 * conntrack: netfilter connection tracking table size and limit, and the
 * per-CPU statistics of /proc/net/stat/nf_conntrack summed over CPUs. All
 * gauges, as upstream (even the ever-growing statistics).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../../common/exporter.h"
#include "../../common/hostfs.h"
#include "../../common/parse.h"
#include "../../common/sysfs.h"

/* One hexadecimal field of nf_conntrack: digits only, no "0x" (Go's ParseUint base 16). */
static int parse_hex_field(const char *s, uint64_t *v)
{
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		return -1;
	return parse_hex_u64(s, v);
}

static int read_count(struct scrape *s, const char *rel, uint64_t *v)
{
	char path[4096];
	if (proc_path(path, sizeof path, "%s", rel) < 0)
		return scrape_fail(s, "path too long");
	return collect_read_value(s, path, v, NULL); /* absent: nf_conntrack not loaded */
}

/* Columns of nf_conntrack summed by upstream, with their metric names. */
static const struct {
	size_t col;
	const char *name;
	const char *help;
} stat_cols[] = {
	{ 2, "node_nf_conntrack_stat_found", "Conntrack lookups that found an entry." },
	{ 4, "node_nf_conntrack_stat_invalid", "Packets conntrack could not track." },
	{ 5, "node_nf_conntrack_stat_ignore", "Packets that already had a conntrack entry attached." },
	{ 8, "node_nf_conntrack_stat_insert", "Entries inserted into the conntrack table." },
	{ 9, "node_nf_conntrack_stat_insert_failed",
	  "Entries whose insertion failed because an equal entry was present." },
	{ 10, "node_nf_conntrack_stat_drop",
	  "Packets dropped because an entry could not be allocated or a helper dropped them." },
	{ 11, "node_nf_conntrack_stat_early_drop",
	  "Entries dropped to make room for new ones when the table was full." },
	{ 16, "node_nf_conntrack_stat_search_restart",
	  "Table lookups restarted because the hash table was resized." },
};
#define NCOLS (sizeof stat_cols / sizeof stat_cols[0])

static int conntrack_collect(struct scrape *s, struct expo *e)
{
	uint64_t v;
	int rc = read_count(s, "sys/net/netfilter/nf_conntrack_count", &v);
	if (rc != COLLECT_OK)
		return rc;
	expo_single(e, "node_nf_conntrack_entries", METRIC_GAUGE,
		    "Flow entries currently allocated for connection tracking.", (double)v);
	rc = read_count(s, "sys/net/netfilter/nf_conntrack_max", &v);
	if (rc != COLLECT_OK)
		return rc;
	expo_single(e, "node_nf_conntrack_entries_limit", METRIC_GAUGE,
		    "Maximum size of the connection tracking table.", (double)v);

	char path[4096];
	if (proc_path(path, sizeof path, "net/stat/nf_conntrack") < 0)
		return scrape_fail(s, "path too long");
	char *text;
	rc = collect_read(s, path, &text);
	if (rc != COLLECT_OK)
		return rc;

	uint64_t sum[NCOLS] = { 0 };
	char *cur = text, *line;
	next_line(&cur); /* the header */
	while ((line = next_line(&cur))) {
		char *f[17];
		size_t nf = split_fields(line, f, 17);
		/* 16 columns before Linux 2.6.35, 17 since (search_restart). */
		if (nf < 16 || nf > 17)
			return scrape_fail(s, "unexpected number of fields (%zu) in %s", nf, path);
		uint64_t x[17] = { 0 };
		for (size_t i = 0; i < nf; i++)
			if (parse_hex_field(f[i], &x[i]) < 0)
				return scrape_fail(s, "invalid value '%s' in %s", f[i], path);
		for (size_t i = 0; i < NCOLS; i++)
			sum[i] += x[stat_cols[i].col];
	}
	for (size_t i = 0; i < NCOLS; i++)
		expo_single(e, stat_cols[i].name, METRIC_GAUGE, stat_cols[i].help, (double)sum[i]);
	return COLLECT_OK;
}

const struct collector_def collector_conntrack = {
	.name = "conntrack",
	.default_enabled = true,
	.collect = conntrack_collect,
};
