// links:
/* HTTP helpers: content negotiation, gzip acceptance, listen addresses, web config. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../common/server.h"
#include "../../common/webconfig.h"
#include "unit.h"

START_TEST(test_negotiate)
{
	ck_assert_int_eq(server_negotiate(NULL), EXPO_TEXT);
	ck_assert_int_eq(server_negotiate(""), EXPO_TEXT);
	ck_assert_int_eq(server_negotiate("*/*"), EXPO_TEXT);
	/* Prometheus 2.x default */
	ck_assert_int_eq(server_negotiate("application/openmetrics-text;version=1.0.0,application/"
					  "openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;"
					  "q=0.5,*/*;q=0.1"),
			 EXPO_OPENMETRICS);
	/* Prometheus 3.x default */
	ck_assert_int_eq(server_negotiate("application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,"
					  "application/openmetrics-text;version=0.0.1;q=0.4,text/plain;"
					  "version=1.0.0;escaping=allow-utf-8;q=0.3,text/plain;version=0.0.4;"
					  "q=0.2,*/*;q=0.1"),
			 EXPO_OPENMETRICS);
	ck_assert_int_eq(server_negotiate("text/plain;version=0.0.4;q=0.9, application/openmetrics-text;q=0.5"),
			 EXPO_TEXT);
	ck_assert_int_eq(server_negotiate("application/openmetrics-text; version=2.0.0"), EXPO_TEXT);
	ck_assert_int_eq(server_negotiate("application/openmetrics-text;q=0"), EXPO_TEXT);
	ck_assert_int_eq(server_negotiate("application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited"),
			 EXPO_TEXT);
}
END_TEST

START_TEST(test_gzip)
{
	ck_assert(server_accepts_gzip("gzip"));
	ck_assert(server_accepts_gzip("deflate, gzip;q=1.0, *;q=0.5"));
	ck_assert(!server_accepts_gzip("gzip;q=0"));
	ck_assert(!server_accepts_gzip("identity"));
	ck_assert(!server_accepts_gzip(NULL));
}
END_TEST

START_TEST(test_listen)
{
	char err[200];
	int fd = server_listen("127.0.0.1:0", err, sizeof err);
	ck_assert_int_ge(fd, 0);
	close(fd);
	fd = server_listen("[::1]:0", err, sizeof err);
	if (fd >= 0)
		close(fd);
	ck_assert_int_eq(server_listen("nonsense", err, sizeof err), -2);
	ck_assert_int_eq(server_listen("127.0.0.1:99999", err, sizeof err), -2);
	ck_assert_int_eq(server_listen("vsock://:9100", err, sizeof err), -2);
	ck_assert_int_eq(server_listen("[::1:9100", err, sizeof err), -2);
}
END_TEST

static const char *write_tmp(const char *content)
{
	static char path[64];
	snprintf(path, sizeof path, "/tmp/check_webconfig.XXXXXX");
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert(write(fd, content, strlen(content)) == (ssize_t)strlen(content));
	close(fd);
	return path;
}

START_TEST(test_webconfig_users)
{
	/* "secret", bcrypt cost 10 */
	const char *p = write_tmp("basic_auth_users:\n"
				  "  alice: $2b$10$34o8ynHaQIRRe5w70Hf7gudah0qwlXjE8Xmp9sLVTtWoZvVs7Umg6\n"
				  "http_server_config:\n  headers:\n    X-Frame-Options: deny\n");
	char err[300];
	struct webconfig *wc;
	ck_assert_msg(webconfig_load(p, &wc, err, sizeof err) == 0, "%s", err);
	unlink(p);
	ck_assert_uint_eq(wc->nusers, 1);
	ck_assert_uint_eq(wc->nheaders, 1);
	ck_assert_ptr_null(wc->cert_pem);
	ck_assert(webconfig_check_user(wc, "alice", "secret"));
	ck_assert(webconfig_check_user(wc, "alice", "secret")); /* cached */
	ck_assert(!webconfig_check_user(wc, "alice", "wrong"));
	ck_assert(!webconfig_check_user(wc, "bob", "secret"));
	webconfig_free(wc);
}
END_TEST

START_TEST(test_webconfig_errors)
{
	static const char *const bad[] = {
		"unknown_key: 1\n",
		"basic_auth_users:\n  alice: plaintext\n",
		"tls_server_config:\n  cert_file: /nonexistent.pem\n  key_file: /nonexistent.key\n",
		"tls_server_config:\n  client_auth_type: RequireAndVerifyClientCert\n",
		"http_server_config:\n  headers:\n    X-Custom: 1\n",
		"rate_limit:\n  interval: often\n",
		"[unbalanced\n",
	};
	char err[300];
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		const char *p = write_tmp(bad[i]);
		struct webconfig *wc = NULL;
		err[0] = '\0';
		ck_assert_msg(webconfig_load(p, &wc, err, sizeof err) == -1, "accepted: %s", bad[i]);
		ck_assert_ptr_null(wc);
		ck_assert(strncmp(err, "web config: ", 12) == 0);
		ck_assert(strchr(err, '\n') == NULL);
		unlink(p);
	}
}
END_TEST

START_TEST(test_webconfig_from_flags)
{
	char err[300];
	struct webconfig_file *wf = NULL;
	/* One user and TLS from files, as redis_exporter's flags give them. */
	struct webconfig_flags f = {
		.cert_file = "tests/fixtures/tls/a.crt", .key_file = "tests/fixtures/tls/a.key",
		.min_version = "TLS13", .user = "alice",
		.bcrypt_hash = "$2b$10$34o8ynHaQIRRe5w70Hf7gudah0qwlXjE8Xmp9sLVTtWoZvVs7Umg6",
	};
	ck_assert_msg(webconfig_open_flags(&f, &wf, err, sizeof err) == 0, "%s", err);
	ck_assert(webconfig_tls(wf));
	struct webconfig *wc = webconfig_get(wf);
	ck_assert_ptr_nonnull(wc);
	ck_assert_uint_eq(wc->npcerts, 1);
	ck_assert_ptr_nonnull(wc->key);
	ck_assert_str_eq(wc->tls_priorities, "NORMAL:-VERS-ALL:+VERS-TLS1.3");
	ck_assert(webconfig_check_user(wc, "alice", "secret"));
	ck_assert(!webconfig_check_user(wc, "alice", "wrong"));
	webconfig_put(wf, wc);
	webconfig_close(wf);

	/* Basic auth alone: no TLS. */
	struct webconfig_flags auth = { .user = f.user, .bcrypt_hash = f.bcrypt_hash };
	ck_assert_msg(webconfig_open_flags(&auth, &wf, err, sizeof err) == 0, "%s", err);
	ck_assert(!webconfig_tls(wf));
	webconfig_close(wf);

	/* A key that is not the certificate's is named, as the file's would be. */
	f.key_file = "tests/fixtures/tls/b.key";
	ck_assert_int_eq(webconfig_open_flags(&f, &wf, err, sizeof err), -1);
	ck_assert_ptr_null(wf);
	ck_assert_msg(strstr(err, "does not belong") && strstr(err, "b.key"), "%s", err);
	f.key_file = "tests/fixtures/tls/a.key";
	f.bcrypt_hash = "plaintext";
	ck_assert_int_eq(webconfig_open_flags(&f, &wf, err, sizeof err), -1);
	ck_assert_msg(strstr(err, "not a bcrypt hash"), "%s", err);
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("server");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_negotiate);
	tcase_add_test(tc, test_gzip);
	tcase_add_test(tc, test_listen);
	tcase_add_test(tc, test_webconfig_users);
	tcase_add_test(tc, test_webconfig_errors);
	tcase_add_test(tc, test_webconfig_from_flags);
	suite_add_tcase(s, tc);
	return s;
}
