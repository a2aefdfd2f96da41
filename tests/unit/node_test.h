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
#include "../../node_exporter/node.h"

#ifndef FIXTURES
#define FIXTURES "tests/fixtures/node"
#endif

struct run_result {
	int rc; /* COLLECT_* */
	char err[512];
	char *text; /* rendered text 0.0.4, malloc'd */
};

/* argv: option flags for the collector ("--collector.stat.softirq"), NULL-terminated. */
static inline struct run_result run_collector_with(const struct collector_def *def, const char *procfs,
						   const char *sysfs, const char *rootfs,
						   const char *const *argv)
{
	node_procfs = procfs ? procfs : FIXTURES "/proc";
	node_sysfs = sysfs ? sysfs : FIXTURES "/sys";
	node_rootfs = rootfs ? rootfs : FIXTURES;
	node_udev_data = FIXTURES "/udev/data";

	struct flagset fs = { .prog = "test", .version_line = "test" };
	if (def->flags)
		flags_add_table(&fs, def->flags, def->nflags);
	char *args[64] = { "test" };
	int argc = 1;
	for (; argv && argv[argc - 1] && argc < 63; argc++)
		args[argc] = (char *)(uintptr_t)argv[argc - 1];
	flags_parse(&fs, argc, args);

	struct exporter x = { .name = "node_exporter", .prefix = "node" };
	struct request rq = { .x = &x };
	clock_gettime(CLOCK_MONOTONIC, &rq.start);
	rq.deadline = rq.start;
	rq.deadline.tv_sec += 10;

	struct collector c = { .def = def, .enabled = true };
	pthread_mutex_init(&c.lock, NULL);
	buf_init(&c.scratch, 64u << 20);
	c.fds = fdcache_new();
	struct run_result r = { 0 };
	if (def->init && def->init(&c.state, r.err, sizeof r.err) < 0) {
		r.rc = -2;
	} else {
		struct expo *e = expo_new(256u << 20);
		struct scrape s = { .rq = &rq, .collector = &c, .state = c.state };
		r.rc = def->collect(&s, e);
		/* A second run exercises the cached descriptors. */
		if (r.rc == COLLECT_OK) {
			expo_free(e);
			e = expo_new(256u << 20);
			fdcache_sweep(c.fds);
			r.rc = def->collect(&s, e);
		}
		snprintf(r.err, sizeof r.err, "%s", s.err);
		struct buf b;
		buf_init(&b, 256u << 20);
		ck_assert_int_eq(expo_render(e, EXPO_TEXT, &b), 0);
		r.text = buf_detach(&b, NULL);
		expo_free(e);
		if (def->fini)
			def->fini(c.state);
	}
	fdcache_free(c.fds);
	buf_free(&c.scratch);
	pthread_mutex_destroy(&c.lock);
	flags_free(&fs);
	if (!r.text)
		r.text = calloc(1, 1);
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

#endif
