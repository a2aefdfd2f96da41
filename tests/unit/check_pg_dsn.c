// links: pg_exporter
/*
 * Data source names: libpq's parser on URIs and key=value strings, upstream's
 * /probe target syntax, the DATA_SOURCE_* environment (with _FILE variants),
 * the `server` label, and that no error message ever carries the password.
 */
#include <errno.h>
#include <unistd.h>

#include "../../pg_exporter/pg.h"
#include "unit.h"

static const char *const env_vars[] = {
	"DATA_SOURCE_NAME", "DATA_SOURCE_URI", "DATA_SOURCE_URI_FILE", "DATA_SOURCE_USER",
	"DATA_SOURCE_USER_FILE", "DATA_SOURCE_PASS", "DATA_SOURCE_PASS_FILE",
};

static void clear_env(void)
{
	for (size_t i = 0; i < sizeof env_vars / sizeof env_vars[0]; i++)
		unsetenv(env_vars[i]);
}

static char *write_tmp(const char *content)
{
	char *path = strdup("/tmp/pgdsn.XXXXXX");
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, content, strlen(content)), (ssize_t)strlen(content));
	close(fd);
	return path;
}

START_TEST(test_parse_uri)
{
	struct pgdsn d;
	char err[256];
	ck_assert_int_eq(pgdsn_parse(&d, "postgresql://mon:p%40ss@db1:5433/shop?sslmode=disable", err, sizeof err), 0);
	ck_assert_str_eq(pgdsn_get(&d, "user"), "mon");
	ck_assert_str_eq(pgdsn_get(&d, "password"), "p@ss");
	ck_assert_str_eq(pgdsn_get(&d, "host"), "db1");
	ck_assert_str_eq(pgdsn_get(&d, "port"), "5433");
	ck_assert_str_eq(pgdsn_get(&d, "dbname"), "shop");
	ck_assert_str_eq(pgdsn_get(&d, "sslmode"), "disable");
	ck_assert_str_eq(d.fingerprint, "db1:5433");
	ck_assert_str_eq(d.safe, "db1:5433/shop");
	ck_assert_ptr_null(strstr(d.safe, "p@ss"));
	pgdsn_free(&d);
}
END_TEST

START_TEST(test_parse_keyvalue_and_defaults)
{
	struct pgdsn d;
	char err[256];
	ck_assert_int_eq(pgdsn_parse(&d, "user=postgres host=/var/run/postgresql/ sslmode=disable", err, sizeof err), 0);
	ck_assert_str_eq(d.fingerprint, "/var/run/postgresql/:5432");
	pgdsn_free(&d);
	ck_assert_int_eq(pgdsn_parse(&d, "dbname=x", err, sizeof err), 0);
	ck_assert_str_eq(d.fingerprint, "localhost:5432");
	ck_assert_str_eq(d.safe, "localhost:5432/x");
	ck_assert_int_eq(pgdsn_set(&d, "dbname", "y"), 0);
	ck_assert_int_eq(pgdsn_set(&d, "application_name", "me"), 0);
	ck_assert_int_eq(pgdsn_describe(&d), 0);
	ck_assert_str_eq(d.safe, "localhost:5432/y");
	ck_assert_str_eq(pgdsn_get(&d, "application_name"), "me");
	struct pgdsn c;
	ck_assert_int_eq(pgdsn_copy(&c, &d), 0);
	pgdsn_free(&d);
	ck_assert_str_eq(pgdsn_get(&c, "dbname"), "y");
	ck_assert_str_eq(c.safe, "localhost:5432/y");
	pgdsn_free(&c);
}
END_TEST

/* libpq's own parse errors quote the input; ours must not. */
static const char *const bad_dsns[] = {
	"host=h password=Sekr1t-Value bogus_option=1",
	"host=h password='Sekr1t-Value",
	"postgresql://u:Sekr1t-Value@h/db?nonsense=1",
	"postgresql://u:Sekr1t-Value@h:port/db?sslmode=%zz",
	"password=Sekr1t-Value =oops",
};

START_TEST(test_parse_errors_hide_password)
{
	struct pgdsn d;
	char err[256] = "";
	ck_assert_int_eq(pgdsn_parse(&d, bad_dsns[_i], err, sizeof err), -1);
	ck_assert_str_ne(err, "");
	ck_assert_msg(!strstr(err, "Sekr1t"), "password in error: %s", err);
}
END_TEST

START_TEST(test_probe_targets)
{
	struct pgdsn d;
	char err[256];
	/* bare host:port/db gets postgresql:// prepended, as upstream */
	ck_assert_int_eq(pgdsn_parse_target(&d, "10.1.2.3:5432/app?sslmode=disable", err, sizeof err), 0);
	ck_assert_str_eq(pgdsn_get(&d, "host"), "10.1.2.3");
	ck_assert_str_eq(pgdsn_get(&d, "dbname"), "app");
	ck_assert_str_eq(d.fingerprint, "10.1.2.3:5432");
	pgdsn_free(&d);
	ck_assert_int_eq(pgdsn_parse_target(&d, "host=a port=6000 dbname=b", err, sizeof err), 0);
	ck_assert_str_eq(d.fingerprint, "a:6000");
	pgdsn_free(&d);
	ck_assert_int_eq(pgdsn_parse_target(&d, "postgres://x@h2/db", err, sizeof err), 0);
	ck_assert_str_eq(pgdsn_get(&d, "user"), "x");
	pgdsn_free(&d);
	ck_assert_int_eq(pgdsn_parse_target(&d, "h3", err, sizeof err), 0);
	ck_assert_str_eq(d.fingerprint, "h3:5432");
	pgdsn_free(&d);
	ck_assert_int_eq(pgdsn_parse_target(&d, "postgresql://u:Sekr1t@h:99999999999999/%zz", err, sizeof err), -1);
	ck_assert_ptr_null(strstr(err, "Sekr1t"));
}
END_TEST

START_TEST(test_env_data_source_name)
{
	clear_env();
	struct pgsource *src;
	size_t n;
	char err[256];
	ck_assert_int_eq(pgsources_from_env(&src, &n, err, sizeof err), 0);
	ck_assert_uint_eq(n, 0);
	/* Every comma-separated item is a data source, as upstream's strings.Split. */
	setenv("DATA_SOURCE_NAME", "postgresql://a:b@first:1/x,postgresql://c:d@second:2/y,,port=7", 1);
	setenv("DATA_SOURCE_URI", "ignored:3/z", 1);
	ck_assert_int_eq(pgsources_from_env(&src, &n, err, sizeof err), 0);
	ck_assert_uint_eq(n, 4);
	ck_assert_str_eq(src[0].dsn.fingerprint, "first:1");
	ck_assert_str_eq(pgdsn_get(&src[0].dsn, "password"), "b");
	ck_assert_str_eq(src[1].dsn.fingerprint, "second:2");
	ck_assert_ptr_null(src[1].error);
	ck_assert_ptr_nonnull(src[2].error); /* empty: upstream's "malformed dsn" */
	ck_assert_str_eq(src[3].dsn.fingerprint, "localhost:7");
	pgsources_free(src, n);
	clear_env();
}
END_TEST

/* Malformed strings do not stop the exporter: kept as errors without the password. */
static const char *const malformed[] = {
	"host=h password='Sekr1t",                      /* unterminated quote */
	"host=h password=Sekr1t nonsense=1",            /* unknown key */
	"postgresql://u:Sekr1t@[::1/db",                /* [::1 without ] */
	"postgresql://u:Sekr1t@h/db?sslmode=%ZZ",       /* bad percent-encoding */
};

START_TEST(test_env_malformed_kept_as_error)
{
	clear_env();
	struct pgsource *src;
	size_t n;
	char err[256];
	setenv("DATA_SOURCE_NAME", malformed[_i], 1);
	ck_assert_int_eq(pgsources_from_env(&src, &n, err, sizeof err), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_ptr_nonnull(src[0].error);
	ck_assert_ptr_nonnull(strstr(src[0].error, "DATA_SOURCE_NAME"));
	ck_assert_ptr_null(strstr(src[0].error, "Sekr1t"));
	struct pgtarget *t = pgtarget_from_sources(src, n);
	ck_assert_ptr_nonnull(t);
	ck_assert_ptr_null(src[0].error); /* adopted */
	char oerr[256];
	ck_assert_ptr_null(pg_open_db(t, NULL, mono_now() + 1, oerr, sizeof oerr));
	ck_assert_ptr_nonnull(strstr(oerr, "could not parse"));
	ck_assert_ptr_null(strstr(pg_ops.describe(t), "Sekr1t"));
	pg_ops.free_spec(t);
	pgsources_free(src, n);
	clear_env();
}
END_TEST

START_TEST(test_env_uri_user_pass)
{
	clear_env();
	struct pgsource *src;
	size_t n;
	char err[256];
	setenv("DATA_SOURCE_URI", "db.example:6543/app?sslmode=disable", 1);
	setenv("DATA_SOURCE_USER", "mon", 1);
	setenv("DATA_SOURCE_PASS", "p@ss word/:", 1);
	ck_assert_int_eq(pgsources_from_env(&src, &n, err, sizeof err), 0);
	ck_assert_uint_eq(n, 1);
	struct pgdsn *d = &src[0].dsn;
	ck_assert_str_eq(pgdsn_get(d, "host"), "db.example");
	ck_assert_str_eq(pgdsn_get(d, "port"), "6543");
	ck_assert_str_eq(pgdsn_get(d, "user"), "mon");
	ck_assert_str_eq(pgdsn_get(d, "password"), "p@ss word/:");
	ck_assert_str_eq(pgdsn_get(d, "sslmode"), "disable");
	pgsources_free(src, n);

	/* _FILE wins over the plain variable; contents are trimmed. */
	char *upath = write_tmp("  filemon\n");
	char *ppath = write_tmp("filepass\n\n");
	char *uripath = write_tmp("\tfilehost:7000/db2\n");
	setenv("DATA_SOURCE_USER_FILE", upath, 1);
	setenv("DATA_SOURCE_PASS_FILE", ppath, 1);
	setenv("DATA_SOURCE_URI_FILE", uripath, 1);
	ck_assert_int_eq(pgsources_from_env(&src, &n, err, sizeof err), 0);
	d = &src[0].dsn;
	ck_assert_str_eq(pgdsn_get(d, "user"), "filemon");
	ck_assert_str_eq(pgdsn_get(d, "password"), "filepass");
	ck_assert_str_eq(d->fingerprint, "filehost:7000");
	pgsources_free(src, n);

	/* An unreadable file is an error naming the file, not its content. */
	setenv("DATA_SOURCE_PASS_FILE", "/nonexistent/pass", 1);
	ck_assert_int_eq(pgsources_from_env(&src, &n, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent/pass"));
	unlink(upath);
	unlink(ppath);
	unlink(uripath);
	free(upath);
	free(ppath);
	free(uripath);
	clear_env();

	/* A URI that cannot be parsed is kept as an error, naming the variable. */
	setenv("DATA_SOURCE_URI", "[::1:5432/db", 1);
	setenv("DATA_SOURCE_PASS", "Sekr1t", 1);
	ck_assert_int_eq(pgsources_from_env(&src, &n, err, sizeof err), 0);
	ck_assert_ptr_nonnull(src[0].error);
	ck_assert_ptr_nonnull(strstr(src[0].error, "DATA_SOURCE_URI"));
	pgsources_free(src, n);
	clear_env();

	/* Only a user and password, no URI: no default target. */
	setenv("DATA_SOURCE_USER", "x", 1);
	ck_assert_int_eq(pgsources_from_env(&src, &n, err, sizeof err), 0);
	ck_assert_uint_eq(n, 0);
	clear_env();
}
END_TEST

START_TEST(test_redact)
{
	char msg[256];
	snprintf(msg, sizeof msg, "failed for \"p@ss w\" and p%%40ss%%20w and p%%40ss%%20w!");
	pg_redact(msg, "p@ss w");
	ck_assert_str_eq(msg, "failed for \"******\" and ****** and ******!");
	snprintf(msg, sizeof msg, "short x secret");
	pg_redact(msg, "x");
	ck_assert_str_eq(msg, "short * secret");
	pg_redact(msg, NULL);
	pg_redact(msg, "");
	ck_assert_str_eq(msg, "short * secret");
}
END_TEST

START_TEST(test_namelist)
{
	struct namelist l;
	ck_assert_int_eq(namelist_split(&l, "a,b,,c", false), 0);
	ck_assert_uint_eq(l.n, 4);
	ck_assert(namelist_has(&l, "") && namelist_has(&l, "c") && !namelist_has(&l, " c"));
	namelist_free(&l);
	ck_assert_int_eq(namelist_split(&l, " a , ,b ", true), 0);
	ck_assert_uint_eq(l.n, 2);
	ck_assert(namelist_has(&l, "a") && namelist_has(&l, "b"));
	namelist_free(&l);
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("pg_dsn");
	TCase *tc = tcase_create("dsn");
	tcase_add_test(tc, test_parse_uri);
	tcase_add_test(tc, test_parse_keyvalue_and_defaults);
	tcase_add_loop_test(tc, test_parse_errors_hide_password, 0,
			    (int)(sizeof bad_dsns / sizeof bad_dsns[0]));
	tcase_add_test(tc, test_probe_targets);
	tcase_add_test(tc, test_env_data_source_name);
	tcase_add_loop_test(tc, test_env_malformed_kept_as_error, 0,
			    (int)(sizeof malformed / sizeof malformed[0]));
	tcase_add_test(tc, test_env_uri_user_pass);
	tcase_add_test(tc, test_redact);
	tcase_add_test(tc, test_namelist);
	suite_add_tcase(s, tc);
	return s;
}
