// links: node_exporter
/*
 * The fuzz target tests/fuzz/node_textparse.c over its seed corpus (upstream's
 * textfile fixtures and the inputs of the textfile unit tests), in every pass
 * of the suite: a crash, a sanitizer report or a broken promise of the
 * parser fails it.
 */
#include "../fuzz/node_textparse.c"
#include "unit.h"

START_TEST(test_corpus)
{
	replay_corpus("tests/fuzz/corpus/node_textparse", LLVMFuzzerTestOneInput, 20);
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("node_textparse_corpus");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_corpus);
	suite_add_tcase(s, tc);
	return s;
}
