/*
 * Running one node_exporter collector in a unit test: point the --path.*
 * flags at a fixture tree, parse the collector's option flags from an argv,
 * call init and collect as the framework would, and render the result.
 */
#ifndef TESTS_NODE_TEST_H
#define TESTS_NODE_TEST_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/expo.h"
#include "../../common/exporter.h"
#include "../../common/flags.h"
#include "../../common/fsread.h"
#include "../../common/hostfs.h"

#ifndef FIXTURES
#define FIXTURES "tests/fixtures/node"
#endif

struct run_result {
	int rc; /* COLLECT_*, or -2 when init failed */
	char err[512];
	char *text; /* rendered text 0.0.4, malloc'd */
};

/*
 * One collector kept across several scrapes, as the framework keeps it:
 * its flags parsed, its state from init, its descriptor cache.
 */
struct node_session {
	const struct collector_def *def;
	struct collector c;
	struct flagset fs;
	struct exporter x;
	struct request rq;
	int init_rc;
	char err[512];
};

/* argv: the collector's option flags ("--collector.stat.softirq"), NULL-terminated. */
static inline void node_session_start(struct node_session *ss, const struct collector_def *def,
				      const char *procfs, const char *sysfs, const char *rootfs,
				      const char *const *argv)
{
	memset(ss, 0, sizeof *ss);
	path_procfs = procfs ? procfs : FIXTURES "/proc";
	path_sysfs = sysfs ? sysfs : FIXTURES "/sys";
	path_rootfs = rootfs ? rootfs : FIXTURES;
	path_udev_data = FIXTURES "/udev/data";
	ss->def = def;
	ss->fs = (struct flagset){ .prog = "test", .version_line = "test" };
	if (def->flags)
		flags_add_table(&ss->fs, def->flags, def->nflags);
	char *args[64] = { "test" };
	int argc = 1;
	for (; argv && argv[argc - 1] && argc < 63; argc++)
		args[argc] = (char *)(uintptr_t)argv[argc - 1];
	flags_parse(&ss->fs, argc, args);
	ss->x = (struct exporter){ .name = "node_exporter", .prefix = "node" };
	ss->rq.x = &ss->x;
	clock_gettime(CLOCK_MONOTONIC, &ss->rq.start);
	ss->rq.deadline = ss->rq.start;
	ss->rq.deadline.tv_sec += 30;
	ss->c.def = def;
	ss->c.enabled = true;
	pthread_mutex_init(&ss->c.lock, NULL);
	buf_init(&ss->c.scratch, 64u << 20);
	ss->c.fds = fdcache_new();
	if (def->init && def->init(&ss->c.state, ss->err, sizeof ss->err) < 0)
		ss->init_rc = -2;
}

/* One scrape: returns the rendered text (malloc'd); *rc gets collect()'s result. */
static inline char *node_session_scrape(struct node_session *ss, int *rc, double *seconds)
{
	struct expo *e = expo_new(256u << 20);
	struct scrape s = { .rq = &ss->rq, .collector = &ss->c, .state = ss->c.state };
	double t0 = mono_now();
	*rc = ss->def->collect(&s, e);
	if (seconds)
		*seconds = mono_now() - t0;
	snprintf(ss->err, sizeof ss->err, "%s", s.err);
	fdcache_sweep(ss->c.fds);
	struct buf b;
	buf_init(&b, 256u << 20);
	ck_assert_int_eq(expo_render(e, EXPO_TEXT, &b), 0);
	expo_free(e);
	char *text = buf_detach(&b, NULL);
	return text ? text : calloc(1, 1);
}

static inline void node_session_end(struct node_session *ss)
{
	if (ss->init_rc == 0 && ss->def->fini)
		ss->def->fini(ss->c.state);
	fdcache_free(ss->c.fds);
	buf_free(&ss->c.scratch);
	pthread_mutex_destroy(&ss->c.lock);
	flags_free(&ss->fs);
}

/*
 * Run a collector as the framework would: init, collect twice (the second
 * run exercises the cached descriptors), render the last run, fini.
 */
static inline struct run_result run_collector_with(const struct collector_def *def, const char *procfs,
						   const char *sysfs, const char *rootfs,
						   const char *const *argv)
{
	struct node_session ss;
	struct run_result r = { 0 };
	node_session_start(&ss, def, procfs, sysfs, rootfs, argv);
	if (ss.init_rc) {
		r.rc = ss.init_rc;
		snprintf(r.err, sizeof r.err, "%s", ss.err);
		r.text = calloc(1, 1);
	} else {
		r.text = node_session_scrape(&ss, &r.rc, NULL);
		if (r.rc == COLLECT_OK) {
			free(r.text);
			r.text = node_session_scrape(&ss, &r.rc, NULL);
		}
		snprintf(r.err, sizeof r.err, "%s", ss.err);
	}
	node_session_end(&ss);
	return r;
}

static inline struct run_result run_collector(const struct collector_def *def)
{
	return run_collector_with(def, NULL, NULL, NULL, NULL);
}

/* A scratch fixture directory: mkdtemp + helpers to write files in it. */
static inline char *fixture_dir(void)
{
	char *d = strdup("/tmp/node_fixture.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(d));
	return d;
}

static inline void fixture_write(const char *dir, const char *rel, const void *data, size_t len)
{
	char path[4096], cmd[4200];
	snprintf(path, sizeof path, "%s/%s", dir, rel);
	char *slash = strrchr(path, '/');
	*slash = '\0';
	snprintf(cmd, sizeof cmd, "mkdir -p '%s'", path);
	ck_assert_int_eq(system(cmd), 0);
	*slash = '/';
	FILE *f = fopen(path, "wb");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(data, 1, len, f), len);
	fclose(f);
}

static inline void fixture_puts(const char *dir, const char *rel, const char *text)
{
	fixture_write(dir, rel, text, strlen(text));
}

static inline void fixture_rm(char *dir)
{
	char cmd[4200];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
	free(dir);
}

/* True if the rendered text has this exact line. */
static inline int has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	for (const char *p = text; (p = strstr(p, line)); p++)
		if ((p == text || p[-1] == '\n') && (p[n] == '\n' || p[n] == '\0'))
			return 1;
	return 0;
}

/* Assertions on a run's rendered text, with the output in the failure message. */
static inline void expect_line(const struct run_result *r, const char *line)
{
	ck_assert_msg(has_line(r->text, line), "missing line: %s\n--- output:\n%s", line, r->text);
}

static inline void expect_no(const struct run_result *r, const char *needle)
{
	ck_assert_msg(!strstr(r->text, needle), "unexpected '%s' in:\n%s", needle, r->text);
}

/* A collector run on a sysfs tree, procfs and rootfs from the fixtures. */
static inline struct run_result run_sys(const struct collector_def *def, const char *sysfs,
					const char *const *argv)
{
	return run_collector_with(def, NULL, sysfs, NULL, argv);
}

#define ARGS(...) ((const char *const[]){ __VA_ARGS__, NULL })

#endif
