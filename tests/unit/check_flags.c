// links:
/* Flag parsing: GNU and Go styles, --no-, env defaults, errors exit 2. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

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

/* Run flags_parse in a child with stderr in a file; returns its exit status and what it wrote. */
static int parse_in_child(char **argv, int argc, char *out, size_t outlen)
{
	char path[] = "/tmp/check_flags_XXXXXX";
	int fd = mkstemp(path);
	ck_assert(fd >= 0);
	pid_t pid = fork();
	ck_assert(pid >= 0);
	if (pid == 0) {
		dup2(fd, 2);
		flags_parse(&fs, argc, argv);
		_exit(0);
	}
	int status;
	waitpid(pid, &status, 0);
	ssize_t got = pread(fd, out, outlen - 1, 0);
	out[got > 0 ? got : 0] = '\0';
	close(fd);
	unlink(path);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* A refused setting given by its environment variable is named by the variable. */
START_TEST(test_refused_from_env_names_the_variable)
{
	flags_add_table(&fs, refused, sizeof refused / sizeof refused[0]);
	setenv("TEST_TILE38_ENV", "true", 1);
	char *argv[] = { "test", NULL };
	char out[512];
	ck_assert_int_eq(parse_in_child(argv, 1, out, sizeof out), 2);
	ck_assert_msg(strstr(out, "$TEST_TILE38_ENV") != NULL, "%s", out);
	/* the command line wins over the variable, and is named as a flag */
	char *argv2[] = { "test", "--is-tile38=true", NULL };
	ck_assert_int_eq(parse_in_child(argv2, 2, out, sizeof out), 2);
	ck_assert_msg(strstr(out, "--is-tile38 is not supported") && !strstr(out, "$TEST"), "%s", out);
	unsetenv("TEST_TILE38_ENV");
}
END_TEST

/* Secret values are copied out of argv and overwritten there (ps, /proc/<pid>/cmdline). */
static const char *secret;
static struct flag secret_flags[] = {
	{ .name = "redis.password", .type = FLAG_STRING, .dest = &secret, .env = "TEST_SECRET_ENV",
	  .opts = FLAG_SECRET },
};

START_TEST(test_secret_wiped_from_argv)
{
	flags_add_table(&fs, secret_flags, 1);
	char a1[] = "--redis.password=TopSecret1", a2[] = "--redis.password", a3[] = "TopSecret2",
	     a4[] = "--web.telemetry-path=/m";
	char *argv[] = { "test", a1, a4, NULL };
	flags_parse(&fs, 3, argv);
	ck_assert_str_eq(secret, "TopSecret1");
	ck_assert_str_eq(a1, "--redis.password=xxxxxxxxxx");
	ck_assert_str_eq(a4, "--web.telemetry-path=/m");
	ck_assert_ptr_eq(fs.secret_in_argv, &secret_flags[0]);
	/* the separate-value form, given twice: the last wins and both are wiped */
	char b1[] = "--redis.password=first";
	char *argv2[] = { "test", b1, a2, a3, NULL };
	flags_parse(&fs, 4, argv2);
	ck_assert_str_eq(secret, "TopSecret2");
	ck_assert_str_eq(a3, "xxxxxxxxxx");
	ck_assert_str_eq(b1, "--redis.password=xxxxx");
	ck_assert_str_eq(a2, "--redis.password");
	flags_free(&fs);
	ck_assert_ptr_null(secret);
	/* from the environment: nothing to wipe, no warning */
	memset(&fs, 0, sizeof fs);
	fs.prog = "test";
	flags_add_table(&fs, secret_flags, 1);
	setenv("TEST_SECRET_ENV", "FromEnv", 1);
	char *argv3[] = { "test", NULL };
	flags_parse(&fs, 1, argv3);
	ck_assert_str_eq(secret, "FromEnv");
	ck_assert_ptr_null(fs.secret_in_argv);
	unsetenv("TEST_SECRET_ENV");
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
	tcase_add_test(tc, test_refused_from_env_names_the_variable);
	tcase_add_test(tc, test_secret_wiped_from_argv);
	suite_add_tcase(su, tc);
	return su;
}
