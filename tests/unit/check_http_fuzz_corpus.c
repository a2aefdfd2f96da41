// links:
/*
 * The HTTP-side fuzzing harnesses over their seed corpora, so the normal and
 * sanitizer passes of the suite run every recorded input through the
 * Accept/Accept-Encoding negotiation, the request-target handling and the
 * web config parser; a crash or a broken invariant fails the suite.
 */
#define _GNU_SOURCE
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LLVMFuzzerTestOneInput fuzz_accept
#include "../fuzz/http_accept_fuzz.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_query
#include "../fuzz/http_query_fuzz.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_webconfig
#include "../fuzz/webconfig_fuzz.c"
#undef LLVMFuzzerTestOneInput
#include "unit.h"

/* Every file of dir through fn, and every prefix of its first kilobyte; returns the number of files. */
static size_t replay(const char *dir, int (*fn)(const uint8_t *, size_t))
{
	DIR *d = opendir(dir);
	ck_assert_msg(d != NULL, "no %s", dir);
	size_t files = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		char path[512];
		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		FILE *f = fopen(path, "rb");
		ck_assert(f != NULL);
		static uint8_t buf[1 << 20];
		size_t n = fread(buf, 1, sizeof buf, f);
		fclose(f);
		ck_assert_int_eq(fn(buf, n), 0);
		for (size_t cut = 0; cut < n && cut < 1024; cut += 5)
			fn(buf, cut);
		files++;
	}
	closedir(d);
	return files;
}

START_TEST(test_accept_corpus)
{
	ck_assert_uint_ge(replay("tests/fuzz/corpus_http_accept", fuzz_accept), 6);
}
END_TEST

START_TEST(test_query_corpus)
{
	ck_assert_uint_ge(replay("tests/fuzz/corpus_http_query", fuzz_query), 6);
}
END_TEST

START_TEST(test_webconfig_corpus)
{
	ck_assert_uint_ge(replay("tests/fuzz/corpus_webconfig", fuzz_webconfig), 6);
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("http_fuzz_corpus");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_accept_corpus);
	tcase_add_test(tc, test_query_corpus);
	tcase_add_test(tc, test_webconfig_corpus);
	suite_add_tcase(s, tc);
	return s;
}
