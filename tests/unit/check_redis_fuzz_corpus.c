// links: redis_exporter
/* The INFO, CLUSTER INFO and address fuzzing harness over its seed corpus (tests/fuzz/corpus). */
#include "../fuzz/redis_info_fuzz.c"
#include "fuzz_replay.h"
#include "unit.h"

START_TEST(test_corpus)
{
	replay_corpus("tests/fuzz/corpus", 8);
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
