/*
 * A collector kept across several scrapes as the framework keeps it, for
 * the check programs (through unit.h) and the fuzz targets that run
 * collectors (which cannot link check): nothing here asserts.
 */
#ifndef TESTS_SESSION_H
#define TESTS_SESSION_H

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../../common/buf.h"
#include "../../common/expo.h"
#include "../../common/exporter.h"
#include "../../common/flags.h"
#include "../../common/fsread.h"

/*
 * One collector kept across several scrapes, as the framework keeps it:
 * its flags parsed, its state from init, its descriptor cache and buffer.
 * Set target before scraping for collectors of a backend.
 */
struct test_session {
	const struct collector_def *def;
	struct collector c;
	struct flagset fs;
	struct exporter x;
	struct request rq;
	void *target;
	int init_rc; /* 0, or -2 when init failed (message in err) */
	char err[512]; /* the last scrape's error message */
};

/* Parse argv (the collector's option flags, NULL-terminated, may be NULL), then init. */
static inline void test_session_start(struct test_session *ss, const struct collector_def *def,
				      const char *const *argv)
{
	memset(ss, 0, sizeof *ss);
	ss->def = def;
	ss->fs = (struct flagset){ .prog = "test", .version_line = "test" };
	if (def->flags)
		flags_add_table(&ss->fs, def->flags, def->nflags);
	static char prog[] = "test";
	char *args[64] = { prog };
	int argc = 1;
	for (; argv && argv[argc - 1] && argc < 63; argc++)
		args[argc] = (char *)(uintptr_t)argv[argc - 1];
	flags_parse(&ss->fs, argc, args);
	ss->x = (struct exporter){ .name = "test_exporter", .prefix = "test" };
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

/* One scrape: returns what it collected (free with expo_free); *rc gets collect()'s result. */
static inline struct expo *test_session_collect(struct test_session *ss, int *rc, double *seconds)
{
	struct expo *e = expo_new(256u << 20);
	struct scrape s = { .rq = &ss->rq, .collector = &ss->c, .state = ss->c.state,
			    .target = ss->target };
	double t0 = mono_now();
	*rc = ss->def->collect(&s, e);
	if (seconds)
		*seconds = mono_now() - t0;
	snprintf(ss->err, sizeof ss->err, "%s", s.err);
	fdcache_sweep(ss->c.fds);
	return e;
}

static inline void test_session_end(struct test_session *ss)
{
	if (ss->init_rc == 0 && ss->def->fini)
		ss->def->fini(ss->c.state);
	fdcache_free(ss->c.fds);
	buf_free(&ss->c.scratch);
	pthread_mutex_destroy(&ss->c.lock);
	flags_free(&ss->fs);
}

#endif
