/*
 * container_exporter on a fixture tree (tests/fixtures/container/<name>):
 * the tree is copied to a scratch directory, every file and directory gets
 * the same modification time (cAdvisor's creation time comes from them),
 * the --path.* roots point at the copy, and one scrape at a fixed wall
 * clock is rendered. cadvisor_version_info (the test machine's kernel and
 * OS) is left out of the text.
 */
#ifndef TESTS_CONTAINER_TEST_H
#define TESTS_CONTAINER_TEST_H

#define _GNU_SOURCE
#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../common/log.h"
#include "../../container_exporter/container.h"
#include "unit.h"

/* The scrape's wall clock, and the modification time of every fixture file. */
#define FIXED_NOW_MS 1700000000123LL
#define FIXED_MTIME 1699990000

static char ctest_dir[128];
static char ctest_proc[192], ctest_sys[192], ctest_root[192];

static int set_mtime(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	struct timespec t[2] = { { .tv_sec = FIXED_MTIME }, { .tv_sec = FIXED_MTIME } };
	utimensat(AT_FDCWD, path, t, AT_SYMLINK_NOFOLLOW);
	return 0;
}

/* Copy fixture tree `name` to a fresh scratch directory and point the roots at it. */
static inline void ctest_prepare(const char *name)
{
	snprintf(ctest_dir, sizeof ctest_dir, "/tmp/check_container.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(ctest_dir));
	char cmd[512];
	snprintf(cmd, sizeof cmd, "cp -a tests/fixtures/container/%s/. %s/", name, ctest_dir);
	ck_assert_int_eq(system(cmd), 0);
	ck_assert_int_eq(nftw(ctest_dir, set_mtime, 16, FTW_PHYS | FTW_DEPTH), 0);
	snprintf(ctest_proc, sizeof ctest_proc, "%s/proc", ctest_dir);
	snprintf(ctest_sys, sizeof ctest_sys, "%s/sys", ctest_dir);
	snprintf(ctest_root, sizeof ctest_root, "%s/root", ctest_dir);
	path_procfs = ctest_proc;
	path_sysfs = ctest_sys;
	path_rootfs = ctest_root;
}

static inline void ctest_cleanup(void)
{
	if (!ctest_dir[0])
		return;
	char cmd[256];
	snprintf(cmd, sizeof cmd, "rm -rf %s", ctest_dir);
	ck_assert_int_eq(system(cmd), 0);
	ctest_dir[0] = '\0';
}

/* A file of the scratch copy, for tests that break it. */
static inline void ctest_write(const char *rel, const char *content, size_t n)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", ctest_dir, rel);
	FILE *f = fopen(path, "wb");
	ck_assert_msg(f != NULL, "cannot write %s", path);
	ck_assert_uint_eq(fwrite(content, 1, n, f), n);
	fclose(f);
}

static inline void ctest_remove(const char *rel)
{
	char cmd[512];
	snprintf(cmd, sizeof cmd, "rm -rf '%s/%s'", ctest_dir, rel);
	ck_assert_int_eq(system(cmd), 0);
}

/* cAdvisor's default kinds (cpu, percpu, memory, diskIO, network, oom_event, pressure). */
static inline struct cx_opts ctest_opts(void)
{
	struct cx_opts o = { 0 };
	o.kinds = KIND_BIT(K_CPU) | KIND_BIT(K_PERCPU) | KIND_BIT(K_MEMORY) | KIND_BIT(K_DISKIO) |
		  KIND_BIT(K_NETWORK) | KIND_BIT(K_OOM_EVENT) | KIND_BIT(K_PRESSURE);
	o.store_labels = true;
	o.docker = "";
	o.podman = "";
	o.containerd_ns = "k8s.io";
	return o;
}

/* Drop the lines of one family (comments and samples) from text, in place. */
static inline void drop_family(char *text, const char *family)
{
	char *out = text;
	size_t flen = strlen(family);
	for (char *p = text; *p;) {
		char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p + 1) : strlen(p);
		const char *name = p;
		if (!strncmp(p, "# HELP ", 7) || !strncmp(p, "# TYPE ", 7))
			name = p + 7;
		bool drop = !strncmp(name, family, flen) &&
			    (name[flen] == ' ' || name[flen] == '{');
		if (!drop) {
			memmove(out, p, len);
			out += len;
		}
		p += len;
	}
	*out = '\0';
}

/* Scrapes of a prepared tree with one exporter state (kept between scrapes). */
struct ctest {
	struct cx cx;
};

static inline void ctest_start(struct ctest *t, const struct cx_opts *o)
{
	char err[256] = "";
	ck_assert_msg(cx_init(&t->cx, o, err, sizeof err) == 0, "cx_init: %s", err);
}

static inline char *ctest_scrape(struct ctest *t)
{
	struct expo *e = expo_new(256u << 20);
	cx_scrape(&t->cx, e, FIXED_NOW_MS, 0);
	char *text = render_free(e);
	drop_family(text, "cadvisor_version_info");
	return text;
}

static inline void ctest_stop(struct ctest *t)
{
	cx_fini(&t->cx);
}

/* One scrape of fixture `name` with options o. */
static inline char *ctest_run(const char *name, const struct cx_opts *o)
{
	ctest_prepare(name);
	struct ctest t;
	ctest_start(&t, o);
	char *text = ctest_scrape(&t);
	ctest_stop(&t);
	return text;
}

/* Assertions; on failure the page goes to stderr (check's messages are short). */
static inline void ctest_dump(const char *text)
{
	fprintf(stderr, "--- page:\n%s--- end of page\n", text);
}
#define CK_LINE(text, line)                                                 \
	do {                                                                \
		if (!has_line((text), (line)))                              \
			ctest_dump(text);                                   \
		ck_assert_msg(has_line((text), (line)), "missing line: %.900s", (line)); \
	} while (0)
#define CK_NO(text, needle)                                                 \
	do {                                                                \
		if (strstr((text), (needle)))                               \
			ctest_dump(text);                                   \
		ck_assert_msg(!strstr((text), (needle)), "unexpected: %.900s", (needle)); \
	} while (0)

/*
 * The sample lines of family whose labels include id="<id>" and every
 * label of `with` ("cpu=\"total\",device=\"/dev/sda\"", NULL for none).
 * Returns how many there are; the first one's value and timestamp (0 if
 * none) go to *value and *ts.
 */
static inline int ctest_find(const char *text, const char *family, const char *id, const char *with,
			     double *value, long long *ts)
{
	char idl[1024];
	snprintf(idl, sizeof idl, "id=\"%s\"", id);
	size_t flen = strlen(family);
	int n = 0;
	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (strncmp(p, family, flen) != 0 || p[flen] != '{')
			continue;
		const char *end = strchr(p, '\n');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		char line[8192];
		if (len >= sizeof line)
			continue;
		memcpy(line, p, len);
		line[len] = '\0';
		char *close = strrchr(line, '}');
		if (!close)
			continue;
		*close = '\0';
		/* Labels are matched as ,name="value" or {name="value". */
		char labels[8192];
		snprintf(labels, sizeof labels, ",%s,", line + flen + 1);
		char want[1100];
		snprintf(want, sizeof want, ",%s,", idl);
		if (!strstr(labels, want))
			continue;
		bool all = true;
		if (with) {
			/* The labels of `with` are separated by \x1f. */
			for (const char *tok = with; *tok && all;) {
				size_t tlen = strcspn(tok, "\x1f");
				snprintf(want, sizeof want, ",%.*s,", (int)tlen, tok);
				all = strstr(labels, want) != NULL;
				tok += tlen;
				if (*tok)
					tok++;
			}
		}
		if (!all)
			continue;
		if (n++ == 0) {
			char *v = close + 2;
			*value = strtod(v, &v);
			*ts = strtoll(v, NULL, 10);
		}
	}
	return n;
}

/* Labels for ctest_find's `with`, one per argument: WITH("cpu=\"total\"", "x=\"y\""). */
#define WITH1(a) a
#define WITH2(a, b) a "\x1f" b

/* The value of exactly one matching sample (asserted), with a timestamp if stamped. */
static inline double ctest_value(const char *text, const char *family, const char *id,
				 const char *with, bool stamped)
{
	double v = 0;
	long long ts = 0;
	int n = ctest_find(text, family, id, with, &v, &ts);
	if (n != 1)
		ctest_dump(text);
	ck_assert_msg(n == 1, "%d samples of %s for id=%s with %s", n, family, id, with ? with : "-");
	if (stamped)
		ck_assert_msg(ts == FIXED_NOW_MS, "%s for %s: timestamp %lld", family, id, ts);
	else
		ck_assert_msg(ts == 0, "%s for %s: unexpected timestamp %lld", family, id, ts);
	return v;
}

#define VAL(t, fam, id, with) ctest_value((t), (fam), (id), (with), true)
#define SPEC(t, fam, id, with) ctest_value((t), (fam), (id), (with), false)
#define NONE_WITH(t, fam, id, with)                                                        \
	do {                                                                               \
		double v_;                                                                 \
		long long ts_;                                                             \
		ck_assert_msg(ctest_find((t), (fam), (id), (with), &v_, &ts_) == 0,        \
			      "unexpected %s for %s", (fam), (id));                      \
	} while (0)
#define NONE(t, fam, id) NONE_WITH(t, fam, id, NULL)

#endif
