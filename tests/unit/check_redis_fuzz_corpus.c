// links: redis_exporter
/*
 * The fuzzing harness over its seed corpus (tests/fuzz/corpus), so the
 * normal and sanitizer passes of the suite run every recorded input through
 * the INFO, CLUSTER INFO and address parsers; a crash fails the suite.
 */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../fuzz/redis_info_fuzz.c"
#include "unit.h"

#define CORPUS "tests/fuzz/corpus"

START_TEST(test_corpus)
{
	DIR *d = opendir(CORPUS);
	ck_assert_msg(d != NULL, "no %s", CORPUS);
	size_t files = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		char path[512];
		snprintf(path, sizeof path, "%s/%s", CORPUS, de->d_name);
		FILE *f = fopen(path, "rb");
		ck_assert(f != NULL);
		static uint8_t buf[1 << 20];
		size_t n = fread(buf, 1, sizeof buf, f);
		fclose(f);
		ck_assert_int_eq(LLVMFuzzerTestOneInput(buf, n), 0);
		/* every prefix of the first kilobytes too: replies cut anywhere */
		for (size_t cut = 0; cut < n && cut < 2048; cut += 7)
			LLVMFuzzerTestOneInput(buf, cut);
		files++;
	}
	closedir(d);
	ck_assert_uint_ge(files, 8);
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("redis_fuzz_corpus");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_corpus);
	suite_add_tcase(s, tc);
	return s;
}
