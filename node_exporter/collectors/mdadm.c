/*
 * mdadm: Linux software RAID from /proc/mdstat (state, disks, blocks and
 * sync progress of every array) and /sys/block/mdN/md (raid_disks and
 * degraded). The parsing follows procfs' MDStat and Mdraids: a file they
 * reject fails the collector; missing files mean no md support (no data).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../../common/exporter.h"
#include "../../common/fsread.h"
#include "../../common/hostfs.h"
#include "../../common/parse.h"
#include "../../common/sysfs.h"

struct md {
	char name[64];
	char state[32];
	int64_t active, total, failed, spare, blocks, synced;
};

static bool is_blank(const char *s)
{
	for (; *s; s++)
		if (!strchr(" \t\r\n\v\f", *s))
			return false;
	return true;
}

static size_t count_str(const char *s, const char *needle)
{
	size_t n = 0, len = strlen(needle);
	for (const char *p = s; (p = strstr(p, needle)); p += len)
		n++;
	return n;
}

/* Digits of s as an int64 (Go's ParseInt without sign); -1 if none or too large. */
static int parse_digits(const char *s, size_t n, int64_t *v)
{
	uint64_t u;
	if (parse_u64_n(s, n, &u) < 0 || u > INT64_MAX)
		return -1;
	*v = (int64_t)u;
	return 0;
}

/*
 * The status line after a device line: "<blocks> blocks ... [n/m] [UU_]".
 * Returns 0 or -1.
 */
static int eval_status(const char *dev, const char *status, struct md *md)
{
	const char *p = status;
	while (*p == ' ' || *p == '\t')
		p++;
	size_t n = strcspn(p, " \t");
	int64_t size;
	if (n == 0)
		return -1;
	if (*p == '-' || *p == '+') {
		if (parse_digits(p + 1, n - 1, &size) < 0)
			return -1;
		if (*p == '-')
			size = -size;
	} else if (parse_digits(p, n, &size) < 0) {
		return -1;
	}
	md->blocks = size;
	if (strstr(dev, "raid0") || strstr(dev, "linear")) {
		md->total = md->active = (int64_t)count_str(dev, "[");
		return 0;
	}
	if (strstr(dev, "inactive")) {
		md->total = md->active = 0;
		return 0;
	}
	/*
	 * (\d+) blocks .*\[(\d+)/(\d+)\] \[([U_]+)\]: after the first "N blocks ",
	 * the last "[n/m] [U_...]" (the .* is greedy).
	 */
	const char *b = NULL;
	for (const char *q = status; (q = strstr(q, " blocks ")); q++)
		if (q > status && q[-1] >= '0' && q[-1] <= '9') {
			b = q + 8;
			break;
		}
	if (!b)
		return -1;
	const char *last = NULL;
	size_t d1 = 0, d2 = 0;
	for (const char *q = b; (q = strchr(q, '[')); q++) {
		const char *r = q + 1;
		size_t a = strspn(r, "0123456789");
		if (!a || r[a] != '/')
			continue;
		size_t c = strspn(r + a + 1, "0123456789");
		const char *t = r + a + 1 + c;
		if (!c || strncmp(t, "] [", 3) != 0)
			continue;
		size_t u = strspn(t + 3, "U_");
		if (!u || t[3 + u] != ']')
			continue;
		last = r, d1 = a, d2 = c;
	}
	if (!last || parse_digits(last, d1, &md->total) < 0 ||
	    parse_digits(last + d1 + 1, d2, &md->active) < 0)
		return -1;
	return 0;
}

/* "(synced/total)", "= pct%", "finish=Nmin", "speed=NK/sec" of a sync line. */
static int eval_recovery(const char *line, int64_t *synced)
{
	const char *p = line;
	int64_t a = -1;
	for (; (p = strchr(p, '(')); p++) {
		size_t d1 = strspn(p + 1, "0123456789");
		if (!d1 || p[1 + d1] != '/')
			continue;
		size_t d2 = strspn(p + 2 + d1, "0123456789");
		if (!d2 || p[2 + d1 + d2] != ')')
			continue;
		int64_t b;
		if (parse_digits(p + 1, d1, &a) < 0 || parse_digits(p + 2 + d1, d2, &b) < 0)
			return -1;
		break;
	}
	if (!p)
		return -1;
	/* "= (.+)%": from the first "= " to the last '%', trimmed. */
	const char *eq = strstr(line, "= ");
	const char *pct = strrchr(line, '%');
	double x;
	if (!eq || !pct || pct <= eq + 2)
		return -1;
	char tmp[64];
	size_t n = (size_t)(pct - (eq + 2));
	if (n >= sizeof tmp)
		return -1;
	memcpy(tmp, eq + 2, n);
	tmp[n] = '\0';
	if (parse_double(trim(tmp), &x) < 0)
		return -1;
	/* "finish=(.+)min" and "speed=(.+)[A-Z]", greedy. */
	const char *fin = strstr(line, "finish=");
	if (!fin)
		return -1;
	const char *end = NULL;
	for (const char *q = fin + 7; (q = strstr(q, "min")); q++)
		end = q;
	if (!end || end <= fin + 7 || parse_double_n(fin + 7, (size_t)(end - fin - 7), &x) < 0)
		return -1;
	const char *sp = strstr(line, "speed=");
	if (!sp)
		return -1;
	end = NULL;
	for (const char *q = sp + 7; *q; q++)
		if (*q >= 'A' && *q <= 'Z')
			end = q;
	if (!end || parse_double_n(sp + 6, (size_t)(end - sp - 6), &x) < 0)
		return -1;
	*synced = a;
	return 0;
}

/* Component fields "name[N](flags)": the number must fit in 32 bits. */
static int check_components(char **fields, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *last = NULL;
		size_t digits = 0;
		for (const char *q = fields[i]; (q = strchr(q, '[')); q++) {
			size_t d = strspn(q + 1, "0123456789");
			if (d && q[1 + d] == ']')
				last = q + 1, digits = d;
		}
		int64_t v;
		if (last && (parse_digits(last, digits, &v) < 0 || v > INT32_MAX))
			return -1;
	}
	return 0;
}

struct md_list {
	struct md *v;
	size_t n, cap;
};

static int parse_mdstat(char *text, struct md_list *out, char *why, size_t whylen)
{
	/* Lines are needed with their successors, so index them first. */
	size_t nlines = 1;
	for (const char *p = text; *p; p++)
		nlines += *p == '\n';
	char **lines = malloc(nlines * sizeof *lines);
	if (!lines)
		return strf(why, whylen, "out of memory"), -1;
	size_t k = 0;
	for (char *p = text;;) {
		lines[k++] = p;
		char *nl = strchr(p, '\n');
		if (!nl)
			break;
		*nl = '\0';
		p = nl + 1;
	}
	nlines = k;

	char types[64][16];
	size_t ntypes = 0;
	int rc = 0;
	for (size_t i = 0; i < nlines && rc == 0; i++) {
		char *line = lines[i];
		if (is_blank(line) || line[0] == ' ' || has_prefix(line, "unused"))
			continue;
		if (ntypes == 0 && has_prefix(line, "Personalities : ")) {
			char buf[1024], *f[64];
			strf(buf, sizeof buf, "%s", line + 16);
			size_t nf = split_fields(buf, f, 64);
			for (size_t j = 0; j < nf && j < 64 && ntypes < 64; j++) {
				size_t l = strlen(f[j]);
				if (l >= 2)
					strf(types[ntypes++], sizeof types[0], "%.*s", (int)(l - 2), f[j] + 1);
			}
			continue;
		}
		/* The device line keeps its text for the substring checks below. */
		char copy[4096], *f[256];
		strf(copy, sizeof copy, "%s", line);
		size_t nf = split_fields(copy, f, 256);
		if (nf < 3) {
			strf(why, whylen, "expected 3+ fields in line '%s'", line);
			rc = -1;
			break;
		}
		if (nf > 256)
			nf = 256;
		struct md md = { 0 };
		strf(md.name, sizeof md.name, "%s", f[0]);
		strf(md.state, sizeof md.state, "%s", f[2]);
		size_t start = 0;
		for (size_t t = 3; t <= 4 && t < nf && !start; t++) {
			bool known = false;
			for (size_t j = 0; j < ntypes; j++)
				known |= !strcmp(types[j], f[t]);
			if (known && !strpbrk(f[t], "(["))
				start = t + 1;
		}
		if (nlines <= i + 3) {
			strf(why, whylen, "too few lines for md device %s", f[0]);
			rc = -1;
			break;
		}
		md.failed = (int64_t)count_str(line, "(F)");
		md.spare = (int64_t)count_str(line, "(S)");
		if (eval_status(line, lines[i + 1], &md) < 0) {
			strf(why, whylen, "unexpected status line '%s'", lines[i + 1]);
			rc = -1;
			break;
		}
		size_t sync = i + 2;
		if (strstr(lines[i + 2], "bitmap"))
			sync++;
		md.synced = md.blocks;
		const char *sl = lines[sync];
		bool recovering = strstr(sl, "recovery"), reshaping = strstr(sl, "reshape"),
		     resyncing = strstr(sl, "resync"), checking = strstr(sl, "check");
		if (recovering || reshaping || resyncing || checking) {
			strf(md.state, sizeof md.state, "%s",
				 recovering ? "recovering" : reshaping ? "reshaping" : checking ? "checking" : "resyncing");
			if (strstr(sl, "PENDING") || strstr(sl, "DELAYED")) {
				md.synced = 0;
			} else if (eval_recovery(sl, &md.synced) < 0) {
				strf(why, whylen, "cannot parse sync line of %s", md.name);
				rc = -1;
				break;
			}
		}
		if (check_components(f + start, nf - start) < 0) {
			strf(why, whylen, "invalid component of %s", md.name);
			rc = -1;
			break;
		}
		if (out->n == out->cap) {
			size_t cap = out->cap ? out->cap * 2 : 16;
			struct md *v = realloc(out->v, cap * sizeof *v);
			if (!v) {
				strf(why, whylen, "out of memory");
				rc = -1;
				break;
			}
			out->v = v;
			out->cap = cap;
		}
		out->v[out->n++] = md;
	}
	free(lines);
	return rc;
}

/* A sysfs attribute, whitespace-trimmed. Returns 0, -ENOENT-like errno, or other -errno. */
static int read_attr(struct scrape *s, const char *dir, const char *name, char *dst, size_t cap)
{
	char path[4200];
	if (pathf(path, sizeof path, "%s/%s", dir, name) < 0)
		return -ENAMETOOLONG;
	ssize_t n = scrape_read_small(s, path, dst, cap);
	if (n < 0)
		return (int)n;
	char *t = trim(dst);
	memmove(dst, t, strlen(t) + 1);
	return 0;
}

static bool level_in(const char *level, const char *const *set)
{
	for (; *set; set++)
		if (!strcmp(level, *set))
			return true;
	return false;
}

/* "A / B" as Go's Sscanf("%d / %d") of two unsigned numbers. */
static bool sync_fraction(const char *s)
{
	size_t a = strspn(s, "0123456789");
	if (!a)
		return false;
	s += a;
	s += strspn(s, " \t");
	if (*s++ != '/')
		return false;
	s += strspn(s, " \t");
	return strspn(s, "0123456789") > 0;
}

struct mdraid {
	char device[64];
	bool have_disks;
	uint64_t disks, degraded;
};

/*
 * One /sys/block/<dev>/md directory. Returns 0, COLLECT_NODATA (a file is
 * missing, as upstream treats it) or COLLECT_ERROR.
 */
static int read_mdraid(struct scrape *s, const char *dev, const char *dir, struct mdraid *m)
{
	static const char *const no_disks[] = { "container", "imsm", "ddf", "", NULL };
	static const char *const chunked[] = { "raid0", "raid4", "raid5", "raid6", "raid10", NULL };
	static const char *const redundant[] = { "raid1", "raid4", "raid5", "raid6", "raid10", NULL };
	char level[256], v[4096];
	int rc;
	memset(m, 0, sizeof *m);
	strf(m->device, sizeof m->device, "%s", dev);
#define ATTR(name, dst)                                                                    \
	do {                                                                               \
		rc = read_attr(s, dir, name, dst, sizeof dst);                             \
		if (rc == -ENOENT || rc == -ENOTDIR)                                       \
			return COLLECT_NODATA;                                             \
		if (rc < 0)                                                                \
			return scrape_fail(s, "couldn't read %s/%s: %s", dir, name,        \
					   strerror(-rc));                                 \
	} while (0)
	ATTR("level", level);
	ATTR("array_state", v);
	ATTR("metadata_version", v);
	if (!level_in(level, no_disks)) {
		ATTR("raid_disks", v);
		uint64_t d;
		if (*v && parse_u64(v, &d) == 0) {
			m->have_disks = true, m->disks = d;
		} else if (*v) {
			/* During a reshape: "current (previous)". */
			size_t sp = strcspn(v, " ");
			if (sp > 0 && v[sp] == ' ' && parse_u64_n(v, sp, &d) == 0)
				m->have_disks = true, m->disks = d;
		}
	}
	ATTR("uuid", v);

	struct dirlist dl;
	if (scrape_dirlist(s, dir, &dl) < 0)
		return scrape_fail(s, "couldn't list %s", dir);
	for (size_t i = 0; i < dl.n; i++) {
		if (!has_prefix(dl.names[i], "dev-"))
			continue;
		char sub[4200];
		if (pathf(sub, sizeof sub, "%s/%s", dir, dl.names[i]) < 0)
			continue;
		rc = read_attr(s, sub, "state", v, sizeof v);
		if (rc < 0) {
			dirlist_free(&dl);
			if (rc == -ENOENT || rc == -ENOTDIR)
				return COLLECT_NODATA;
			return scrape_fail(s, "couldn't read %s/state: %s", sub, strerror(-rc));
		}
	}
	dirlist_free(&dl);

	uint64_t x;
	if (level_in(level, chunked)) {
		ATTR("chunk_size", v);
		if (parse_u64(v, &x) < 0)
			return scrape_fail(s, "invalid chunk_size in %s", dir);
	}
	if (level_in(level, redundant)) {
		ATTR("degraded", v);
		if (parse_u64(v, &m->degraded) < 0)
			return scrape_fail(s, "invalid degraded in %s", dir);
		ATTR("sync_action", v);
		ATTR("sync_completed", v);
		if (strcmp(v, "none") != 0 && !sync_fraction(v))
			return scrape_fail(s, "invalid sync_completed in %s", dir);
	}
#undef ATTR
	return 0;
}

static int mdadm_collect(struct scrape *s, struct expo *e)
{
	char path[4096];
	if (proc_path(path, sizeof path, "mdstat") < 0)
		return scrape_fail(s, "path too long");
	char *text;
	int rc = collect_read(s, path, &text);
	if (rc != COLLECT_OK)
		return rc; /* no md driver */

	struct md_list mds = { 0 };
	char why[4200];
	if (parse_mdstat(text, &mds, why, sizeof why) < 0) {
		free(mds.v);
		return scrape_fail(s, "%s: %s", path, why);
	}
	const char *const dev[] = { "device", NULL };
	const char *const dev_state[] = { "device", "state", NULL };
	struct family *required = expo_family(e, "node_md_disks_required", METRIC_GAUGE,
					      "Disks the array needs when complete.", dev);
	struct family *disks = expo_family(e, "node_md_disks", METRIC_GAUGE,
					   "Disks of the array by state (active, failed, spare).",
					   dev_state);
	struct family *state = expo_family(
		e, "node_md_state", METRIC_GAUGE,
		"1 for the array's current activity state (active, inactive, recovering, resync, check), 0 for the others.",
		dev_state);
	struct family *blocks = expo_family(e, "node_md_blocks", METRIC_GAUGE,
					    "Size of the array, in 1 KiB blocks.", dev);
	struct family *synced = expo_family(e, "node_md_blocks_synced", METRIC_GAUGE,
					    "Blocks of the array in sync (all when no sync runs).", dev);
	static const char *const states[][2] = { { "active", "active" }, { "inactive", "inactive" },
						 { "recovering", "recovering" },
						 { "resync", "resyncing" }, { "check", "checking" } };
	for (size_t i = 0; i < mds.n; i++) {
		const struct md *m = &mds.v[i];
		expo_sample(e, required, (double)m->total, m->name);
		expo_sample(e, disks, (double)m->active, m->name, "active");
		expo_sample(e, disks, (double)m->failed, m->name, "failed");
		expo_sample(e, disks, (double)m->spare, m->name, "spare");
		for (size_t k = 0; k < 5; k++)
			expo_sample(e, state, strcmp(m->state, states[k][1]) == 0 ? 1 : 0, m->name,
				    states[k][0]);
		expo_sample(e, blocks, (double)m->blocks, m->name);
		expo_sample(e, synced, (double)m->synced, m->name);
	}
	free(mds.v);

	/* /sys/block/mdN/md: every array is read before anything is reported. */
	char block[4096];
	if (sys_path(block, sizeof block, "block") < 0)
		return scrape_fail(s, "path too long");
	struct dirlist dl;
	if (scrape_dirlist(s, block, &dl) < 0)
		return COLLECT_OK; /* nothing matches upstream's glob */
	struct mdraid *raids = calloc(dl.n ? dl.n : 1, sizeof *raids);
	if (!raids) {
		dirlist_free(&dl);
		return scrape_fail(s, "out of memory");
	}
	size_t nraids = 0;
	rc = COLLECT_OK;
	for (size_t i = 0; i < dl.n && rc == COLLECT_OK; i++) {
		if (!has_prefix(dl.names[i], "md"))
			continue;
		char dir[4200];
		struct stat stt;
		if (pathf(dir, sizeof dir, "%s/%s/md", block, dl.names[i]) < 0 || lstat(dir, &stt) < 0)
			continue;
		rc = read_mdraid(s, dl.names[i], dir, &raids[nraids]);
		if (rc == 0)
			nraids++;
	}
	if (rc == COLLECT_OK) {
		struct family *rd = expo_family(e, "node_md_raid_disks", METRIC_GAUGE,
						"Disks of a complete array (raid_disks).", dev);
		struct family *dg = expo_family(e, "node_md_degraded", METRIC_GAUGE,
						"Disks missing from the array (degraded).", dev);
		for (size_t i = 0; i < nraids; i++) {
			if (raids[i].have_disks)
				expo_sample(e, rd, (double)raids[i].disks, raids[i].device);
			expo_sample(e, dg, (double)raids[i].degraded, raids[i].device);
		}
	}
	free(raids);
	dirlist_free(&dl);
	return rc;
}

const struct collector_def collector_mdadm = {
	.name = "mdadm",
	.default_enabled = true,
	.collect = mdadm_collect,
};
