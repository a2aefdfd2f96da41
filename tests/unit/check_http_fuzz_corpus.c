// links:
/*
 * The HTTP-side fuzzing harnesses over their seed corpora, so the normal and
 * sanitizer passes of the suite run every recorded input through the
 * Accept/Accept-Encoding negotiation, the request-target handling and the
 * web config parser; a crash or a broken invariant fails the suite.
 */
#define _GNU_SOURCE
#include <check.h>
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
#include "fuzz_replay.h"
#include "unit.h"

START_TEST(test_accept_corpus)
{
	ck_assert_uint_ge(fuzz_replay("tests/fuzz/corpus_http_accept", fuzz_accept), 6);
}
END_TEST

START_TEST(test_query_corpus)
{
	ck_assert_uint_ge(fuzz_replay("tests/fuzz/corpus_http_query", fuzz_query), 6);
}
END_TEST

START_TEST(test_webconfig_corpus)
{
	ck_assert_uint_ge(fuzz_replay("tests/fuzz/corpus_webconfig", fuzz_webconfig), 6);
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
