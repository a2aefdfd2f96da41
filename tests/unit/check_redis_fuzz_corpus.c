// links: redis_exporter
/*
 * The fuzz target tests/fuzz/redis_info.c over its seed corpus, so the
 * normal and sanitizer passes of the suite run every recorded input through
 * the INFO, CLUSTER INFO and address parsers; a crash fails the suite.
 */
#include "../fuzz/redis_info.c"
#include "unit.h"

START_TEST(test_corpus)
{
	replay_corpus("tests/fuzz/corpus/redis_info", LLVMFuzzerTestOneInput, 8);
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
