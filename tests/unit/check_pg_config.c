// links: pg_exporter
/* --config.file: auth_modules as upstream reads them, strictly; and applying a module to a target. */
#include <errno.h>

#include "../../pg_exporter/pg.h"
#include "unit.h"

static const char good[] =
	"auth_modules:\n"
	"  foo1:\n"
	"    type: userpass\n"
	"    userpass:\n"
	"      username: first\n"
	"      password: firstpass\n"
	"    options:\n"
	"      sslmode: disable\n"
	"      search_path: mon\n"
	"  foo2:\n"
	"    type: userpass\n"
	"    userpass: {username: second, password: \"p w\"}\n";

START_TEST(test_good_config)
{
	struct pgconfig c;
	char err[256];
	ck_assert_int_eq(pgconfig_parse(&c, good, strlen(good), err, sizeof err), 0);
	ck_assert_uint_eq(c.nmodules, 2);
	const struct auth_module *m = pgconfig_module(&c, "foo1");
	ck_assert_ptr_nonnull(m);
	ck_assert_str_eq(m->type, "userpass");
	ck_assert_str_eq(m->username, "first");
	ck_assert_str_eq(m->password, "firstpass");
	ck_assert_uint_eq(m->noptions, 2);
	ck_assert_str_eq(m->opt_keys[0], "sslmode");
	ck_assert_str_eq(m->opt_vals[0], "disable");
	ck_assert_str_eq(pgconfig_module(&c, "foo2")->password, "p w");
	ck_assert_ptr_null(pgconfig_module(&c, "foo3"));

	struct pgdsn d;
	ck_assert_int_eq(pgdsn_parse_target(&d, "postgresql://other:otherpw@h:1/db", err, sizeof err), 0);
	ck_assert_int_eq(auth_module_apply(m, &d), 0);
	ck_assert_str_eq(pgdsn_get(&d, "user"), "first");
	ck_assert_str_eq(pgdsn_get(&d, "password"), "firstpass");
	ck_assert_str_eq(pgdsn_get(&d, "sslmode"), "disable");
	ck_assert_str_eq(pgdsn_get(&d, "search_path"), "mon");
	ck_assert_str_eq(d.fingerprint, "h:1");
	pgdsn_free(&d);
	pgconfig_free(&c);
}
END_TEST

START_TEST(test_non_userpass_type_keeps_target_credentials)
{
	const char *text = "auth_modules:\n  m:\n    type: other\n    userpass: {username: a, password: b}\n";
	struct pgconfig c;
	char err[256];
	ck_assert_int_eq(pgconfig_parse(&c, text, strlen(text), err, sizeof err), 0);
	struct pgdsn d;
	ck_assert_int_eq(pgdsn_parse_target(&d, "postgresql://t:tp@h/db", err, sizeof err), 0);
	ck_assert_int_eq(auth_module_apply(pgconfig_module(&c, "m"), &d), 0);
	ck_assert_str_eq(pgdsn_get(&d, "user"), "t");
	pgdsn_free(&d);
	pgconfig_free(&c);
}
END_TEST

static const struct {
	const char *text;
	const char *expect; /* part of the message */
} bad[] = {
	{ "auth_module:\n  x: {}\n", "auth_module" },
	{ "auth_modules:\n  x:\n    typo: 1\n", "typo" },
	{ "auth_modules:\n  x:\n    userpass:\n      user: a\n", "user" },
	{ "auth_modules:\n  x:\n    options: [a, b]\n", "options" },
	{ "auth_modules:\n  x:\n    userpass: [a]\n", "userpass" },
	{ "auth_modules: [1, 2]\n", "auth_modules" },
	{ "auth_modules:\n  x: {type: userpass\n", "line" },
	{ "- a\n- b\n", "mapping" },
	{ "auth_modules:\n  x: {}\n  x: {}\n", "twice" },
	{ "auth_modules:\n  x:\n    userpass: {username: {a: 1}}\n", "username" },
};

START_TEST(test_bad_config)
{
	struct pgconfig c;
	char err[256] = "";
	ck_assert_int_eq(pgconfig_parse(&c, bad[_i].text, strlen(bad[_i].text), err, sizeof err), -1);
	ck_assert_msg(strstr(err, bad[_i].expect) != NULL, "#%d: %s", _i, err);
	ck_assert_uint_eq(c.nmodules, 0);
}
END_TEST

START_TEST(test_empty_and_missing)
{
	struct pgconfig c;
	char err[256];
	ck_assert_int_eq(pgconfig_parse(&c, "", 0, err, sizeof err), 0);
	ck_assert_uint_eq(c.nmodules, 0);
	ck_assert_int_eq(pgconfig_parse(&c, "auth_modules:\n", 14, err, sizeof err), 0);
	ck_assert_int_eq(pgconfig_load(&c, "/nonexistent/postgres_exporter.yml", err, sizeof err), -ENOENT);
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent/postgres_exporter.yml"));
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("pg_config");
	TCase *tc = tcase_create("config");
	tcase_add_test(tc, test_good_config);
	tcase_add_test(tc, test_non_userpass_type_keeps_target_credentials);
	tcase_add_loop_test(tc, test_bad_config, 0, (int)(sizeof bad / sizeof bad[0]));
	tcase_add_test(tc, test_empty_and_missing);
	suite_add_tcase(s, tc);
	return s;
}
