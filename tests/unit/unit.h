/*
 * What every check program shares: main() (each file defines make_suite()),
 * running a collector_def as the framework would (once, or kept across
 * scrapes as a session), Linux collectors on a fixture tree (the --path.*
 * roots pointed at it), scratch fixture directories, and assertions on a
 * rendered exposition.
 */
#ifndef TESTS_UNIT_H
#define TESTS_UNIT_H

#include <check.h>
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../common/buf.h"
#include "../../common/expo.h"
#include "../../common/exporter.h"
#include "../../common/flags.h"
#include "../../common/fsread.h"
#include "../../common/hostfs.h"
#include "session.h"

Suite *make_suite(void);

int main(void)
{
	SRunner *sr = srunner_create(make_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* The fixture tree of run_collector() and fixture_session_start(); a test may define its own. */
#ifndef FIXTURES
#define FIXTURES "tests/fixtures/node"
#endif

/* A NULL-terminated argv of option flags: ARGS("--collector.x.y=1"). */
#define ARGS(...) ((const char *const[]){ __VA_ARGS__, NULL })

/* ---- rendered output ---- */

/* Render e as text 0.0.4 and free it; the text is malloc'd (never NULL). */
static inline char *render_free(struct expo *e)
{
	struct buf b;
	buf_init(&b, 256u << 20);
	ck_assert_int_eq(expo_render(e, EXPO_TEXT, &b), 0);
	expo_free(e);
	char *text = buf_detach(&b, NULL);
	return text ? text : calloc(1, 1);
}

/* True if the text has this exact line. */
static inline int has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	for (const char *p = text; (p = strstr(p, line)); p++)
		if ((p == text || p[-1] == '\n') && (p[n] == '\n' || p[n] == '\0'))
			return 1;
	return 0;
}

/* Number of sample lines (not comments) starting with prefix. */
static inline int count_samples(const char *text, const char *prefix)
{
	int n = 0;
	size_t len = strlen(prefix);
	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (*p != '#' && !strncmp(p, prefix, len))
			n++;
	return n;
}

/* A whole file, NUL-terminated, malloc'd. */
static inline char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	struct buf b;
	buf_init(&b, 64u << 20);
	char chunk[65536];
	size_t n;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		ck_assert_int_eq(buf_append(&b, chunk, n), 0);
	fclose(f);
	ck_assert_int_eq(buf_reserve(&b, 1), 0);
	b.data[b.len] = '\0';
	return buf_detach(&b, NULL);
}

/*
 * Feed every file of a fuzz target's seed corpus (tests/fuzz/corpus/<name>)
 * to its entry point, and every prefix of each file's first 2 KiB, cut at
 * every 7th byte (replies and files cut anywhere). A crash or a sanitizer
 * report fails the check; so does a corpus of fewer than min_files.
 */
static inline void replay_corpus(const char *dir, int (*fuzz)(const uint8_t *, size_t),
				 size_t min_files)
{
	DIR *d = opendir(dir);
	ck_assert_msg(d != NULL, "no %s", dir);
	size_t files = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		char path[4096];
		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		FILE *f = fopen(path, "rb");
		ck_assert_msg(f != NULL, "cannot open %s", path);
		static uint8_t data[1 << 20];
		size_t n = fread(data, 1, sizeof data, f);
		fclose(f);
		/* A copy of exactly n bytes, so ASan sees any read past the input. */
		uint8_t *copy = malloc(n ? n : 1);
		ck_assert_ptr_nonnull(copy);
		memcpy(copy, data, n);
		ck_assert_int_eq(fuzz(copy, n), 0);
		for (size_t cut = 0; cut < n && cut < 2048; cut += 7)
			ck_assert_int_eq(fuzz(copy, cut), 0);
		free(copy);
		files++;
	}
	closedir(d);
	ck_assert_msg(files >= min_files, "%zu files in %s", files, dir);
}

/*
 * A whole check program for a fuzz target: #include the target's source,
 * then CORPUS_SUITE(name, min_files) replays tests/fuzz/corpus/<name>.
 */
#define CORPUS_SUITE(name, min_files)                                                      \
	START_TEST(test_corpus)                                                             \
	{                                                                                   \
		replay_corpus("tests/fuzz/corpus/" name, LLVMFuzzerTestOneInput, (min_files)); \
	}                                                                                   \
	END_TEST                                                                            \
	Suite *make_suite(void)                                                             \
	{                                                                                   \
		Suite *s = suite_create(name "_corpus");                                    \
		TCase *tc = tcase_create("core");                                           \
		tcase_set_timeout(tc, 120);                                                 \
		tcase_add_test(tc, test_corpus);                                            \
		suite_add_tcase(s, tc);                                                     \
		return s;                                                                   \
	}

/* ---- collectors ---- */

/* What one collector run gave. */
struct run_result {
	int rc; /* COLLECT_*, or -2 when init failed */
	char err[512];
	char *text; /* rendered text 0.0.4, malloc'd */
};

/* Assertions on a run's rendered text, with the output in the failure message. */
static inline void expect_line(const struct run_result *r, const char *line)
{
	ck_assert_msg(has_line(r->text, line), "missing line: %s\n--- output:\n%s", line, r->text);
}

static inline void expect_no(const struct run_result *r, const char *needle)
{
	ck_assert_msg(!strstr(r->text, needle), "unexpected '%s' in:\n%s", needle, r->text);
}

/* One scrape of a session: returns the rendered text (malloc'd); *rc gets collect()'s result. */
static inline char *test_session_scrape(struct test_session *ss, int *rc, double *seconds)
{
	return render_free(test_session_collect(ss, rc, seconds));
}

/*
 * Run a collector as the framework would: init, collect up to scrapes
 * times while it succeeds (a second run exercises cached descriptors and
 * kept state), render the last run, fini.
 */
static inline struct run_result test_run(const struct collector_def *def, const char *const *argv,
					 int scrapes)
{
	struct test_session ss;
	struct run_result r = { 0 };
	test_session_start(&ss, def, argv);
	if (ss.init_rc) {
		r.rc = ss.init_rc;
		r.text = calloc(1, 1);
	} else {
		r.text = test_session_scrape(&ss, &r.rc, NULL);
		for (int i = 1; i < scrapes && r.rc == COLLECT_OK; i++) {
			free(r.text);
			r.text = test_session_scrape(&ss, &r.rc, NULL);
		}
	}
	snprintf(r.err, sizeof r.err, "%s", ss.err);
	test_session_end(&ss);
	return r;
}

/* ---- Linux collectors on a fixture tree ---- */

/* Point --path.procfs, --path.sysfs, --path.rootfs (NULL: FIXTURES' own) and --path.udev.data there. */
static inline void fixture_roots(const char *procfs, const char *sysfs, const char *rootfs)
{
	path_procfs = procfs ? procfs : FIXTURES "/proc";
	path_sysfs = sysfs ? sysfs : FIXTURES "/sys";
	path_rootfs = rootfs ? rootfs : FIXTURES;
	path_udev_data = FIXTURES "/udev/data";
}

static inline void fixture_session_start(struct test_session *ss, const struct collector_def *def,
					 const char *procfs, const char *sysfs, const char *rootfs,
					 const char *const *argv)
{
	fixture_roots(procfs, sysfs, rootfs);
	test_session_start(ss, def, argv);
}

/* test_run() twice on a fixture tree. */
static inline struct run_result run_collector_with(const struct collector_def *def, const char *procfs,
						   const char *sysfs, const char *rootfs,
						   const char *const *argv)
{
	fixture_roots(procfs, sysfs, rootfs);
	return test_run(def, argv, 2);
}

static inline struct run_result run_collector(const struct collector_def *def)
{
	return run_collector_with(def, NULL, NULL, NULL, NULL);
}

/* A collector run on a sysfs tree, procfs and rootfs from the fixtures. */
static inline struct run_result run_sys(const struct collector_def *def, const char *sysfs,
					const char *const *argv)
{
	return run_collector_with(def, NULL, sysfs, NULL, argv);
}

/* ---- scratch fixture directories ---- */

/* A new empty directory under /tmp (malloc'd path; remove with fixture_rm). */
static inline char *fixture_dir(void)
{
	char *d = strdup("/tmp/unit_fixture.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(d));
	return d;
}

/* Write dir/rel (directories created as needed). */
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

/* Remove the directory and free its path. */
static inline void fixture_rm(char *dir)
{
	char cmd[4200];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
	free(dir);
}

#endif
