// links: redis_exporter
/* The reply tree fuzzing harness (LATENCY HISTOGRAM, XINFO) over its seed corpus (tests/fuzz/corpus-replies). */
#include "../fuzz/redis_replies_fuzz.c"
#include "fuzz_replay.h"
#include "unit.h"

START_TEST(test_corpus)
{
	replay_corpus("tests/fuzz/corpus-replies", 6);
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("redis_replies_fuzz_corpus");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_corpus);
	suite_add_tcase(s, tc);
	return s;
}
