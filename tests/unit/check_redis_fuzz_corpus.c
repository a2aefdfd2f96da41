// links: redis_exporter
/*
 * The fuzzing harness over its seed corpus (tests/fuzz/corpus), so the
 * normal and sanitizer passes of the suite run every recorded input through
 * the INFO, CLUSTER INFO and address parsers; a crash fails the suite.
 */
#include <check.h>

#include "../fuzz/redis_info_fuzz.c"
#include "fuzz_replay.h"
#include "unit.h"

#define CORPUS "tests/fuzz/corpus"

START_TEST(test_corpus)
{
	ck_assert_uint_ge(fuzz_replay(CORPUS, LLVMFuzzerTestOneInput), 8);
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
