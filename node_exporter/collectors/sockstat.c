/*
 * sockstat: socket counts and memory from /proc/net/sockstat and
 * /proc/net/sockstat6, one gauge per protocol and field
 * (node_sockstat_TCP_inuse, ...), plus <PROTO>_mem_bytes for the page counts.
 * A missing file (IPv4 or IPv6 disabled) is skipped.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../../common/exporter.h"
#include "../../common/hostfs.h"
#include "../../common/parse.h"

struct ss_value {
	char name[96];
	double v;
};

#define MAX_VALUES 128

struct ss_values {
	struct ss_value v[MAX_VALUES];
	size_t n;
};

static void add(struct ss_values *out, const char *proto, const char *field, double v)
{
	if (out->n == MAX_VALUES)
		return;
	struct ss_value *x = &out->v[out->n++];
	strf(x->name, sizeof x->name, "%s_%s", proto, field);
	x->v = v;
}

/* Parse one file into out; returns NULL or what is wrong. */
static const char *parse_sockstat(char *text, bool ipv4, long page, struct ss_values *out)
{
	static const char *const known[] = { "orphan", "tw", "alloc", "mem", "memory" };
	char *cur = text, *line;
	while ((line = next_line(&cur))) {
		char *f[32];
		size_t n = split_on(line, ' ', f, 32);
		if (n < 3 || n > 32)
			return "malformed line";
		if ((n - 1) % 2)
			return "odd number of fields in key/value pairs";
		size_t plen = strlen(f[0]);
		if (plen && f[0][plen - 1] == ':')
			f[0][--plen] = '\0';
		int64_t vals[16];
		for (size_t i = 1; i < n; i += 2)
			if (parse_i64(f[i + 1], &vals[i / 2]) < 0)
				return "invalid value";
		/* Later duplicates of a key win, as in a map. */
		const int64_t *found[8] = { 0 };
		const char *const wanted[] = { "used", "inuse", "orphan", "tw", "alloc", "mem", "memory" };
		for (size_t i = 1; i < n; i += 2)
			for (size_t k = 0; k < 7; k++)
				if (strcmp(f[i], wanted[k]) == 0)
					found[k] = &vals[i / 2];
		if (strcmp(f[0], "sockets") == 0) {
			if (ipv4)
				add(out, "", "sockets_used", found[0] ? (double)*found[0] : 0);
			continue;
		}
		add(out, f[0], "inuse", found[1] ? (double)*found[1] : 0);
		for (size_t k = 0; k < 5; k++)
			if (found[2 + k])
				add(out, f[0], known[k], (double)*found[2 + k]);
		if (found[5])
			add(out, f[0], "mem_bytes", (double)(*found[5] * page));
	}
	return NULL;
}

static int sockstat_collect(struct scrape *s, struct expo *e)
{
	long page = sysconf(_SC_PAGESIZE);
	struct ss_values vals;
	vals.n = 0;
	static const char *const files[] = { "net/sockstat", "net/sockstat6" };
	for (int i = 0; i < 2; i++) {
		char path[4096];
		if (proc_path(path, sizeof path, "%s", files[i]) < 0)
			return scrape_fail(s, "path too long");
		struct buf *b = scrape_buf(s);
		int rc = scrape_read(s, path, b);
		if (rc == -ENOENT)
			continue;
		if (rc < 0)
			return scrape_fail(s, "failed to read %s: %s", path, strerror(-rc));
		const char *why = parse_sockstat(b->data, i == 0, page, &vals);
		if (why)
			return scrape_fail(s, "failed to parse %s: %s", path, why);
	}
	for (size_t i = 0; i < vals.n; i++) {
		char name[160], help[200];
		const char *key = vals.v[i].name[0] == '_' ? vals.v[i].name + 1 : vals.v[i].name;
		strf(name, sizeof name, "node_sockstat_%s", key);
		if (strcmp(key, "sockets_used") == 0)
			strf(help, sizeof help, "IPv4 sockets in use, from /proc/net/sockstat.");
		else
			strf(help, sizeof help, "Socket statistic %s from /proc/net/sockstat{,6}.", key);
		expo_single(e, name, METRIC_GAUGE, help, vals.v[i].v);
	}
	return COLLECT_OK;
}

const struct collector_def collector_sockstat = {
	.name = "sockstat",
	.default_enabled = true,
	.collect = sockstat_collect,
};
