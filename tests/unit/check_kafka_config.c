// links: kafka_exporter
/*
 * kafka_exporter's flag handling: --kafka.labels as upstream splits it, the
 * connection flags turned into librdkafka properties (and the refusals), the
 * lag-seconds method, and the client's lifetime (lock with a deadline,
 * backoff, handle replacement).
 */
#include <check.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "../../common/exporter.h"
#include "../../kafka_exporter/client.h"
#include "../../kafka_exporter/kafka.h"
#include "unit.h"

START_TEST(test_const_labels)
{
	struct kafka_options o = { 0 };
	char err[256];
	ck_assert_int_eq(parse_const_labels("", &o, err, sizeof err), 0);
	ck_assert_uint_eq(o.nlabels, 0);
	ck_assert_int_eq(parse_const_labels("cluster=prod,env=eu-1", &o, err, sizeof err), 0);
	ck_assert_uint_eq(o.nlabels, 2);
	ck_assert_str_eq(o.label_names[0], "cluster");
	ck_assert_str_eq(o.label_values[0], "prod");
	ck_assert_str_eq(o.label_names[1], "env");
	ck_assert_str_eq(o.label_values[1], "eu-1");
	/* Upstream's splitting: text after a second '=' is dropped, items without '=' are skipped. */
	ck_assert_int_eq(parse_const_labels("a=b=c,noequals,d=", &o, err, sizeof err), 0);
	ck_assert_uint_eq(o.nlabels, 2);
	ck_assert_str_eq(o.label_values[0], "b");
	ck_assert_str_eq(o.label_names[1], "d");
	ck_assert_str_eq(o.label_values[1], "");
	/* A name given twice keeps the last value. */
	ck_assert_int_eq(parse_const_labels("a=1,a=2", &o, err, sizeof err), 0);
	ck_assert_uint_eq(o.nlabels, 1);
	ck_assert_str_eq(o.label_values[0], "2");
	free_const_labels(&o);
}
END_TEST

START_TEST(test_const_labels_refused)
{
	struct kafka_options o = { 0 };
	char err[256];
	const char *bad[] = { "1a=b", "topic=x", "consumergroup=x", "partition=1", "state=x", "__name__=x",
			      " a=b", "a-b=c" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err[0] = '\0';
		ck_assert_msg(parse_const_labels(bad[i], &o, err, sizeof err) == -1, "accepted %s", bad[i]);
		ck_assert_msg(strstr(err, "--kafka.labels") != NULL, "%s", err);
	}
	char many[512] = "";
	for (int i = 0; i < MAX_CONST_LABELS + 1; i++) {
		char one[16];
		snprintf(one, sizeof one, "%sl%d=v", i ? "," : "", i);
		strcat(many, one);
	}
	ck_assert_int_eq(parse_const_labels(many, &o, err, sizeof err), -1);
	ck_assert(strstr(err, "more than") != NULL);
	free_const_labels(&o);
}
END_TEST

static const char *prop(const struct kafka_props *p, const char *name)
{
	const char *v = NULL;
	for (size_t i = 0; i < p->n; i++)
		if (!strcmp(p->props[i].name, name))
			v = p->props[i].value;
	return v;
}

static struct kafka_conn_flags base_flags(void)
{
	static const char *servers[] = { "k1:9092", "k2:9093" };
	return (struct kafka_conn_flags){
		.servers = servers, .nservers = 2, .sasl_handshake = true, .sasl_mechanism = "", .sasl_username = "",
		.sasl_password = "", .tls_server_name = "", .tls_ca_file = "", .tls_cert_file = "",
		.tls_key_file = "", .kafka_version = "2.0.0",
	};
}

START_TEST(test_conn_props_defaults)
{
	struct kafka_conn_flags f = base_flags();
	struct kafka_props p;
	char err[256];
	ck_assert_int_eq(kafka_conn_props(&f, &p, err, sizeof err), 0);
	ck_assert_str_eq(prop(&p, "bootstrap.servers"), "k1:9092,k2:9093");
	ck_assert_str_eq(prop(&p, "security.protocol"), "PLAINTEXT");
	ck_assert_str_eq(prop(&p, "isolation.level"), "read_uncommitted");
	ck_assert_str_eq(prop(&p, "client.id"), "kafka_exporter");
	ck_assert_str_eq(prop(&p, "allow.auto.create.topics"), "false");
	ck_assert_str_eq(prop(&p, "broker.version.fallback"), "2.0.0");
	ck_assert_ptr_null(prop(&p, "api.version.request"));
	ck_assert_ptr_null(prop(&p, "sasl.mechanisms"));
	ck_assert_ptr_null(prop(&p, "sasl.password"));
	f.allow_auto_topic_creation = true;
	ck_assert_int_eq(kafka_conn_props(&f, &p, err, sizeof err), 0);
	ck_assert_str_eq(prop(&p, "allow.auto.create.topics"), "true");
}
END_TEST

START_TEST(test_conn_props_sasl)
{
	struct kafka_conn_flags f = base_flags();
	struct kafka_props p;
	char err[256];
	f.sasl_enabled = true;
	f.sasl_username = "mon";
	f.sasl_password = "Secret-123";
	ck_assert_int_eq(kafka_conn_props(&f, &p, err, sizeof err), 0);
	ck_assert_str_eq(prop(&p, "security.protocol"), "SASL_PLAINTEXT");
	ck_assert_str_eq(prop(&p, "sasl.mechanisms"), "PLAIN"); /* empty: plain, upstream's documented default */
	ck_assert_str_eq(prop(&p, "sasl.username"), "mon");
	for (size_t i = 0; i < p.n; i++)
		ck_assert_msg(strstr(p.props[i].value, "Secret-123") == NULL, "password in %s", p.props[i].name);
	const char *ok[][2] = { { "plain", "PLAIN" }, { "scram-sha256", "SCRAM-SHA-256" },
				{ "SCRAM-SHA512", "SCRAM-SHA-512" } };
	for (size_t i = 0; i < 3; i++) {
		f.sasl_mechanism = ok[i][0];
		ck_assert_int_eq(kafka_conn_props(&f, &p, err, sizeof err), 0);
		ck_assert_str_eq(prop(&p, "sasl.mechanisms"), ok[i][1]);
	}
	f.sasl_mechanism = "gssapi";
	ck_assert_int_eq(kafka_conn_props(&f, &p, err, sizeof err), -1);
	ck_assert(strstr(err, "gssapi is not supported") != NULL);
	f.sasl_mechanism = "awsiam";
	ck_assert_int_eq(kafka_conn_props(&f, &p, err, sizeof err), -1);
	f.sasl_mechanism = "scram-sha-256"; /* upstream's spelling has no dash after sha */
	ck_assert_int_eq(kafka_conn_props(&f, &p, err, sizeof err), -1);
	ck_assert(strstr(err, "invalid --sasl.mechanism") != NULL);
	f.sasl_mechanism = "plain";
	f.sasl_handshake = false;
	ck_assert_int_eq(kafka_conn_props(&f, &p, err, sizeof err), -1);
	ck_assert(strstr(err, "--no-sasl.handshake") != NULL);
	/* Without --sasl.enabled the SASL flags are ignored, as upstream. */
	f.sasl_enabled = false;
	f.sasl_mechanism = "gssapi";
	ck_assert_int_eq(kafka_conn_props(&f, &p, err, sizeof err), 0);
	ck_assert_str_eq(prop(&p, "security.protocol"), "PLAINTEXT");
}
END_TEST

START_TEST(test_conn_props_tls)
{
	struct kafka_conn_flags f = base_flags();
	struct kafka_props p;
	char err[256];
	f.tls_enabled = true;
	ck_assert_int_eq(kafka_conn_props(&f, &p, err, sizeof err), 0);
	ck_assert_str_eq(prop(&p, "security.protocol"), "SSL");
	ck_assert_ptr_null(prop(&p, "ssl.ca.location"));
	ck_assert_ptr_null(prop(&p, "enable.ssl.certificate.verification"));
	f.sasl_enabled = true;
	f.tls_ca_file = "/etc/ca.pem";
	f.tls_cert_file = "/etc/c.pem";
	f.tls_key_file = "/etc/k.pem";
	f.tls_insecure = true;
	ck_assert_int_eq(kafka_conn_props(&f, &p, err, sizeof err), 0);
	ck_assert_str_eq(prop(&p, "security.protocol"), "SASL_SSL");
	ck_assert_str_eq(prop(&p, "ssl.ca.location"), "/etc/ca.pem");
	ck_assert_str_eq(prop(&p, "ssl.certificate.location"), "/etc/c.pem");
	ck_assert_str_eq(prop(&p, "ssl.key.location"), "/etc/k.pem");
	ck_assert_str_eq(prop(&p, "enable.ssl.certificate.verification"), "false");
	ck_assert_str_eq(prop(&p, "ssl.endpoint.identification.algorithm"), "none");
	f.tls_key_file = "";
	ck_assert_int_eq(kafka_conn_props(&f, &p, err, sizeof err), -1);
	ck_assert(strstr(err, "together") != NULL);
	f.tls_key_file = "/etc/k.pem";
	f.tls_server_name = "kafka.example";
	ck_assert_int_eq(kafka_conn_props(&f, &p, err, sizeof err), -1);
	ck_assert(strstr(err, "--tls.server-name") != NULL);
	/* Without --tls.enabled the TLS flags are ignored, as upstream. */
	f.tls_enabled = false;
	ck_assert_int_eq(kafka_conn_props(&f, &p, err, sizeof err), 0);
	ck_assert_ptr_null(prop(&p, "ssl.ca.location"));
}
END_TEST

START_TEST(test_conn_props_versions_and_servers)
{
	struct kafka_conn_flags f = base_flags();
	struct kafka_props p;
	char err[256];
	const char *good[] = { "2.0.0", "3.7.1", "0.10.2.1", "1.0.0" };
	for (size_t i = 0; i < 4; i++) {
		f.kafka_version = good[i];
		ck_assert_msg(kafka_conn_props(&f, &p, err, sizeof err) == 0, "%s: %s", good[i], err);
		ck_assert_ptr_null(prop(&p, "api.version.request"));
	}
	/* Brokers before 0.10 cannot tell their versions: librdkafka must not ask. */
	f.kafka_version = "0.9.0.1";
	ck_assert_int_eq(kafka_conn_props(&f, &p, err, sizeof err), 0);
	ck_assert_str_eq(prop(&p, "api.version.request"), "false");
	ck_assert_str_eq(prop(&p, "broker.version.fallback"), "0.9.0.1");
	const char *bad[] = { "", "2.0", "2.0.0.0", "0.10.2", "x.y.z", "2.0.0-rc1", "2..0" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		f.kafka_version = bad[i];
		ck_assert_msg(kafka_conn_props(&f, &p, err, sizeof err) == -1, "accepted '%s'", bad[i]);
		ck_assert(strstr(err, "--kafka.version") != NULL);
	}
	f = base_flags();
	f.nservers = 0;
	ck_assert_int_eq(kafka_conn_props(&f, &p, err, sizeof err), -1);
	static const char *commas[] = { "a:1,b:2" };
	f.servers = commas;
	f.nservers = 1;
	ck_assert_int_eq(kafka_conn_props(&f, &p, err, sizeof err), -1);
	ck_assert(strstr(err, "--kafka.server") != NULL);
}
END_TEST

START_TEST(test_lag_seconds_method)
{
	enum lag_seconds_method m = LAG_SECONDS_NONE;
	ck_assert_int_eq(parse_lag_seconds_method("timestamp", &m), 0);
	ck_assert_int_eq(m, LAG_SECONDS_TIMESTAMP);
	ck_assert_int_eq(parse_lag_seconds_method("interpolation", &m), 0);
	ck_assert_int_eq(m, LAG_SECONDS_INTERPOLATION);
	ck_assert_int_eq(parse_lag_seconds_method("none", &m), 0);
	ck_assert_int_eq(m, LAG_SECONDS_NONE);
	ck_assert_int_eq(parse_lag_seconds_method("Timestamp", &m), -1);
	ck_assert_int_eq(parse_lag_seconds_method("", &m), -1);
}
END_TEST

/* ---- the client's lifetime (no broker: nothing listens on the address) ---- */

static struct kclient *new_client(void)
{
	static const struct kprop props[] = { { "bootstrap.servers", "127.0.0.1:1" },
					      { "reconnect.backoff.max.ms", "100" } };
	struct kclient_conf conf = { .props = props, .nprops = 2, .password = "pw", .display = "127.0.0.1:1" };
	struct kclient *c = NULL;
	char err[256];
	ck_assert_int_eq(kclient_new(&conf, &c, err, sizeof err), 0);
	return c;
}

START_TEST(test_client_refuses_bad_configuration)
{
	static const struct kprop props[] = { { "no.such.property", "1" } };
	struct kclient_conf conf = { .props = props, .nprops = 1 };
	struct kclient *c = NULL;
	char err[256] = "";
	ck_assert_int_eq(kclient_new(&conf, &c, err, sizeof err), -1);
	ck_assert_ptr_null(c);
	ck_assert(strstr(err, "no.such.property") != NULL);
	char longpw[2000];
	memset(longpw, 'p', sizeof longpw - 1);
	longpw[sizeof longpw - 1] = '\0';
	static const struct kprop ok[] = { { "bootstrap.servers", "127.0.0.1:1" } };
	conf = (struct kclient_conf){ .props = ok, .nprops = 1, .password = longpw };
	ck_assert_int_eq(kclient_new(&conf, &c, err, sizeof err), -1);
	ck_assert(strstr(err, "password is longer") != NULL && strstr(err, "ppp") == NULL);
}
END_TEST

struct holder {
	struct kclient *c;
	int rc;
};

static void *try_acquire(void *arg)
{
	struct holder *h = arg;
	struct kclient_use use;
	char err[256];
	h->rc = kclient_acquire(h->c, mono_now() + 0.2, &use, err, sizeof err);
	if (h->rc == 0)
		kclient_release(h->c, KCLIENT_OK, NULL);
	return NULL;
}

START_TEST(test_client_lock_waits_no_longer_than_the_deadline)
{
	struct kclient *c = new_client();
	struct kclient_use use;
	char err[256];
	ck_assert_int_eq(kclient_acquire(c, mono_now() + 1, &use, err, sizeof err), 0);
	ck_assert_ptr_nonnull(use.rk);
	struct holder h = { c, 0 };
	pthread_t t;
	double t0 = mono_now();
	pthread_create(&t, NULL, try_acquire, &h);
	pthread_join(t, NULL);
	ck_assert_int_eq(h.rc, -1);
	ck_assert(mono_now() - t0 < 1.0);
	kclient_release(c, KCLIENT_OK, NULL);
	pthread_create(&t, NULL, try_acquire, &h);
	pthread_join(t, NULL);
	ck_assert_int_eq(h.rc, 0);
	kclient_free(c);
}
END_TEST

START_TEST(test_client_backoff_and_handle_replacement)
{
	struct kclient *c = new_client();
	struct kclient_use use;
	char err[256];
	ck_assert_int_eq(kclient_acquire(c, mono_now() + 1, &use, err, sizeof err), 0);
	rd_kafka_t *first = use.rk;
	kclient_release(c, KCLIENT_DOWN, "metadata: timed out");
	/* Within the backoff: refused at once, without waiting for the deadline. */
	double t0 = mono_now();
	ck_assert_int_eq(kclient_acquire(c, mono_now() + 5, &use, err, sizeof err), -1);
	ck_assert(mono_now() - t0 < 0.5);
	ck_assert_msg(strstr(err, "next attempt") != NULL, "%s", err);
	/* Partial answers do not back off. */
	usleep(1100 * 1000);
	ck_assert_int_eq(kclient_acquire(c, mono_now() + 1, &use, err, sizeof err), 0);
	kclient_release(c, KCLIENT_PARTIAL, "a group failed");
	ck_assert_int_eq(kclient_acquire(c, mono_now() + 1, &use, err, sizeof err), 0);
	ck_assert_ptr_eq(use.rk, first);
	kclient_release(c, KCLIENT_DOWN, "down");
	/* The second failure in a row doubles the backoff (2 s), the third replaces the handle. */
	usleep(1100 * 1000);
	ck_assert_int_eq(kclient_acquire(c, mono_now() + 1, &use, err, sizeof err), 0);
	kclient_release(c, KCLIENT_DOWN, "down");
	usleep(1100 * 1000);
	ck_assert_int_eq(kclient_acquire(c, mono_now() + 1, &use, err, sizeof err), -1);
	usleep(1000 * 1000);
	ck_assert_int_eq(kclient_acquire(c, mono_now() + 1, &use, err, sizeof err), 0);
	ck_assert_ptr_eq(use.rk, first);
	kclient_release(c, KCLIENT_DOWN, "down");
	usleep(4100 * 1000);
	ck_assert_int_eq(kclient_acquire(c, mono_now() + 1, &use, err, sizeof err), 0);
	ck_assert_ptr_ne(use.rk, first);
	/* Success ends the backoff. */
	kclient_release(c, KCLIENT_OK, NULL);
	ck_assert_int_eq(kclient_acquire(c, mono_now() + 1, &use, err, sizeof err), 0);
	kclient_release(c, KCLIENT_OK, NULL);
	kclient_free(c);
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("kafka_config");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_const_labels);
	tcase_add_test(tc, test_const_labels_refused);
	tcase_add_test(tc, test_conn_props_defaults);
	tcase_add_test(tc, test_conn_props_sasl);
	tcase_add_test(tc, test_conn_props_tls);
	tcase_add_test(tc, test_conn_props_versions_and_servers);
	tcase_add_test(tc, test_lag_seconds_method);
	tcase_add_test(tc, test_client_refuses_bad_configuration);
	tcase_add_test(tc, test_client_lock_waits_no_longer_than_the_deadline);
	tcase_add_test(tc, test_client_backoff_and_handle_replacement);
	suite_add_tcase(s, tc);
	return s;
}
