/*
 * netstat: protocol counters from /proc/net/netstat and /proc/net/snmp
 * (header and value line pairs) and /proc/net/snmp6 (name value lines,
 * optional: absent when IPv6 is off), as untyped node_netstat_<Proto>_<Field>
 * for the fields that match --collector.netstat.fields.
 *
 * The regex verdict for the field at each position is remembered and reused
 * while the name there is unchanged, as the files' layout is fixed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/exporter.h"
#include "../../common/hostfs.h"
#include "../../common/parse.h"
#include "../../common/rx.h"
#include "../fieldfilter.h"

static const char *fields_flag;

static struct flag netstat_flags[] = {
	{ .name = "collector.netstat.fields", .type = FLAG_STRING, .dest = &fields_flag,
	  .def = "^(.*_(InErrors|InErrs)|Ip_Forwarding|Ip(6|Ext)_(InOctets|OutOctets)|Icmp6?_(InMsgs|OutMsgs)|TcpExt_(Listen.*|Syncookies.*|TCPSynRetrans|TCPTimeouts|TCPOFOQueue|TCPRcvQDrop)|Tcp_(ActiveOpens|InSegs|OutSegs|OutRsts|PassiveOpens|RetransSegs|CurrEstab)|Udp6?_(InDatagrams|OutDatagrams|NoPorts|RcvbufErrors|SndbufErrors))$",
	  .help = "Regexp of fields to return for netstat collector." },
};

static void netstat_fini(void *state)
{
	if (state)
		field_filter_free(state);
	free(state);
}

static int netstat_init(void **state, char *err, size_t errlen)
{
	struct field_filter *ff = calloc(1, sizeof *ff);
	if (!ff) {
		strf(err, errlen, "out of memory");
		return -1;
	}
	if (field_filter_init(ff, "collector.netstat.fields", fields_flag, err, errlen) < 0) {
		free(ff);
		return -1;
	}
	*state = ff;
	return 0;
}

/* A number as strconv.ParseFloat takes it; integers (nearly all) take the fast path. */
static int parse_value(const char *s, double *v)
{
	int64_t i;
	if (parse_i64(s, &i) == 0) {
		*v = (double)i;
		return 0;
	}
	return parse_double(s, v);
}

/* Emit proto_field = value if wanted; returns -1 if value is not a number. */
static int emit(struct field_filter *ff, struct expo *e, size_t *pos, const char *proto,
		size_t plen, const char *field, const char *value)
{
	double v;
	if (parse_value(value, &v) < 0)
		return -1;
	if (!field_filter_wants(ff, (*pos)++, proto, plen, field))
		return 0;
	char name[224], help[240];
	strf(name, sizeof name, "node_netstat_%.*s_%s", (int)plen, proto, field);
	strf(help, sizeof help, "Protocol counter %.*s %s from /proc/net.", (int)plen, proto, field);
	expo_single(e, name, METRIC_UNTYPED, help, v);
	return 0;
}

#define MAX_COLUMNS 512

/* netstat/snmp: "Proto: A B C" then "Proto: 1 2 3". */
static int parse_pairs(struct scrape *s, struct field_filter *ff, struct expo *e, size_t *pos,
		       char *text, const char *path)
{
	char *names[MAX_COLUMNS], *values[MAX_COLUMNS];
	char *cur = text, *line;
	while ((line = next_line(&cur))) {
		char *vline = next_line(&cur);
		size_t nn = split_on(line, ' ', names, MAX_COLUMNS);
		size_t nv = split_on(vline ? vline : (char *)"", ' ', values, MAX_COLUMNS);
		size_t plen = strlen(names[0]);
		if (plen == 0)
			return scrape_fail(s, "empty protocol name in %s", path);
		if (nn != nv)
			return scrape_fail(s, "field count mismatch in %s for %.*s", path, (int)plen - 1,
					   names[0]);
		if (nn > MAX_COLUMNS)
			return scrape_fail(s, "too many fields in %s for %.*s", path, (int)plen - 1,
					   names[0]);
		for (size_t i = 1; i < nn; i++)
			if (emit(ff, e, pos, names[0], plen - 1, names[i], values[i]) < 0)
				return scrape_fail(s, "invalid value %s in %s", values[i], path);
	}
	return COLLECT_OK;
}

/* snmp6: "Ip6InReceives  7"; the protocol ends at the first '6'. */
static int parse_snmp6(struct scrape *s, struct field_filter *ff, struct expo *e, size_t *pos,
		       char *text, const char *path)
{
	char *cur = text, *line;
	while ((line = next_line(&cur))) {
		char *f[3];
		if (split_fields(line, f, 3) < 2)
			continue;
		char *six = strchr(f[0], '6');
		if (!six)
			continue;
		if (emit(ff, e, pos, f[0], (size_t)(six - f[0]) + 1, six + 1, f[1]) < 0)
			return scrape_fail(s, "invalid value %s in %s", f[1], path);
	}
	return COLLECT_OK;
}

static int netstat_collect(struct scrape *s, struct expo *e)
{
	struct field_filter *ff = s->state;
	static const char *const files[] = { "net/netstat", "net/snmp", "net/snmp6" };
	size_t pos = 0;
	for (int i = 0; i < 3; i++) {
		char path[4096];
		if (proc_path(path, sizeof path, "%s", files[i]) < 0)
			return scrape_fail(s, "path too long");
		struct buf *b = scrape_buf(s);
		int rc = scrape_read(s, path, b);
		if (rc == -ENOENT && i == 2) /* IPv6 disabled */
			continue;
		if (rc < 0)
			return scrape_fail(s, "couldn't get %s stats: %s: %s", i ? "SNMP" : "netstat", path,
					   strerror(-rc));
		rc = i < 2 ? parse_pairs(s, ff, e, &pos, b->data, path)
			   : parse_snmp6(s, ff, e, &pos, b->data, path);
		if (rc != COLLECT_OK)
			return rc;
	}
	return COLLECT_OK;
}

const struct collector_def collector_netstat = {
	.name = "netstat",
	.default_enabled = true,
	.flags = netstat_flags,
	.nflags = sizeof netstat_flags / sizeof netstat_flags[0],
	.init = netstat_init,
	.collect = netstat_collect,
	.fini = netstat_fini,
};
