// links:
/* Flag parsing: GNU and Go styles, --no-, env defaults, errors exit 2. */
#include <stdlib.h>
#include <string.h>

#include "../../common/flags.h"
#include "unit.h"

static bool b;
static const char *s;
static long n;
static double d;
static struct strlist l;

static struct flag table[] = {
	{ .name = "collector.cpu", .type = FLAG_BOOL, .dest = &b, .def = "true", .help = "cpu" },
	{ .name = "web.telemetry-path", .type = FLAG_STRING, .dest = &s, .def = "/metrics",
	  .help = "path", .env = "TEST_PATH_ENV" },
	{ .name = "web.max-requests", .type = FLAG_INT, .dest = &n, .def = "40", .help = "max" },
	{ .name = "timeout", .type = FLAG_DURATION, .dest = &d, .def = "5s", .help = "t" },
	{ .name = "web.listen-address", .type = FLAG_LIST, .dest = &l, .def = ":9100",
	  .help = "listen" },
};

static struct flagset fs;

static void setup(void)
{
	memset(&fs, 0, sizeof fs);
	fs.prog = "test";
	fs.version_line = "test 1";
	flags_add_table(&fs, table, sizeof table / sizeof table[0]);
	unsetenv("TEST_PATH_ENV");
}

static void teardown(void)
{
	flags_free(&fs);
}

#define PARSE(...) do { char *argv_[] = { "test", __VA_ARGS__, NULL }; \
	flags_parse(&fs, (int)(sizeof argv_ / sizeof argv_[0]) - 1, argv_); } while (0)

START_TEST(test_defaults)
{
	char *argv[] = { "test", NULL };
	flags_parse(&fs, 1, argv);
	ck_assert(b);
	ck_assert_str_eq(s, "/metrics");
	ck_assert_int_eq(n, 40);
	ck_assert(d == 5);
	ck_assert_uint_eq(l.n, 1);
	ck_assert_str_eq(l.items[0], ":9100");
	ck_assert(!table[0].set);
}
END_TEST

START_TEST(test_forms)
{
	PARSE("--no-collector.cpu", "--web.telemetry-path", "/x", "--web.max-requests=3",
	      "--timeout=1m", "--web.listen-address=:1", "--web.listen-address", "[::1]:2");
	ck_assert(!b);
	ck_assert(table[0].set);
	ck_assert_str_eq(s, "/x");
	ck_assert_int_eq(n, 3);
	ck_assert(d == 60);
	ck_assert_uint_eq(l.n, 2);
	ck_assert_str_eq(l.items[0], ":1");
	ck_assert_str_eq(l.items[1], "[::1]:2");
	PARSE("--collector.cpu=false", "--collector.cpu");
	ck_assert(b);
}
END_TEST

START_TEST(test_env)
{
	setenv("TEST_PATH_ENV", "/from-env", 1);
	char *argv[] = { "test", NULL };
	flags_parse(&fs, 1, argv);
	ck_assert_str_eq(s, "/from-env");
	PARSE("--web.telemetry-path=/argv");
	ck_assert_str_eq(s, "/argv");
}
END_TEST

START_TEST(test_single_dash)
{
	fs.single_dash = true;
	PARSE("-web.max-requests", "7", "-collector.cpu=false");
	ck_assert_int_eq(n, 7);
	ck_assert(!b);
}
END_TEST

START_TEST(test_unknown_flag_exits_2)
{
	PARSE("--no-such-flag");
}
END_TEST

START_TEST(test_bad_int_exits_2)
{
	PARSE("--web.max-requests=many");
}
END_TEST

START_TEST(test_missing_value_exits_2)
{
	PARSE("--web.telemetry-path");
}
END_TEST

START_TEST(test_no_on_string_exits_2)
{
	PARSE("--no-web.telemetry-path");
}
END_TEST

START_TEST(test_single_dash_refused_by_default)
{
	PARSE("-web.max-requests=1");
}
END_TEST

START_TEST(test_help_exits_0)
{
	PARSE("--help");
}
END_TEST

/* An upstream flag this build refuses: accepted at its default, refused otherwise. */
static bool tile38;
static long groups;
static struct flag refused[] = {
	{ .name = "is-tile38", .type = FLAG_BOOL, .dest = &tile38, .def = "false",
	  .env = "TEST_TILE38_ENV", .refused = "not implemented" },
	{ .name = "max-groups", .type = FLAG_INT, .dest = &groups, .def = "100",
	  .refused = "not implemented" },
};

START_TEST(test_refused_at_default_is_accepted)
{
	flags_add_table(&fs, refused, sizeof refused / sizeof refused[0]);
	PARSE("--is-tile38=false", "--max-groups=100", "--no-is-tile38");
	ck_assert(!tile38);
	ck_assert_int_eq(groups, 100);
}
END_TEST

START_TEST(test_refused_value_exits_2)
{
	flags_add_table(&fs, refused, sizeof refused / sizeof refused[0]);
	PARSE("--max-groups=7");
}
END_TEST

START_TEST(test_refused_from_env_exits_2)
{
	flags_add_table(&fs, refused, sizeof refused / sizeof refused[0]);
	setenv("TEST_TILE38_ENV", "true", 1);
	PARSE("--web.max-requests=3");
}
END_TEST

Suite *make_suite(void)
{
	Suite *su = suite_create("flags");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_forms);
	tcase_add_test(tc, test_env);
	tcase_add_test(tc, test_single_dash);
	tcase_add_exit_test(tc, test_unknown_flag_exits_2, 2);
	tcase_add_exit_test(tc, test_bad_int_exits_2, 2);
	tcase_add_exit_test(tc, test_missing_value_exits_2, 2);
	tcase_add_exit_test(tc, test_no_on_string_exits_2, 2);
	tcase_add_exit_test(tc, test_single_dash_refused_by_default, 2);
	tcase_add_exit_test(tc, test_help_exits_0, 0);
	tcase_add_test(tc, test_refused_at_default_is_accepted);
	tcase_add_exit_test(tc, test_refused_value_exits_2, 2);
	tcase_add_exit_test(tc, test_refused_from_env_exits_2, 2);
	suite_add_tcase(su, tc);
	return su;
}
