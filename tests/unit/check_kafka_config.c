// links: kafka_exporter
/*
 * kafka_exporter's flag handling: --kafka.labels as upstream splits it, the
 * connection flags turned into librdkafka properties (and the refusals), the
 * lag-seconds method, and the cluster's target on the backend layer (the
 * configuration checked at start-up, an unreachable cluster backed off).
 */
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
	for (int i = 0, len = 0; i < MAX_CONST_LABELS + 1; i++)
		len += snprintf(many + len, sizeof many - (size_t)len, "%sl%d=v", i ? "," : "", i);
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
		.servers = { 2, servers }, .sasl_handshake = true, .sasl_mechanism = "", .sasl_username = "",
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
	f.servers.n = 0;
	ck_assert_int_eq(kafka_conn_props(&f, &p, err, sizeof err), -1);
	static const char *commas[] = { "a:1,b:2" };
	f.servers = (struct strlist){ 1, commas };
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

/* ---- the cluster's target (no broker: nothing listens on the address) ---- */

START_TEST(test_target_refuses_bad_configuration)
{
	struct kafka_conn_flags f = base_flags();
	char err[256] = "";
	f.sasl_enabled = true;
	f.sasl_username = "mon";
	f.sasl_password = "Secret-456";
	f.tls_enabled = true;
	f.tls_ca_file = "/nonexistent/ca.pem";
	/* librdkafka loads the CA file when the first handle is made: refused at start-up. */
	ck_assert_ptr_null(ktarget_new(&f, err, sizeof err));
	ck_assert_msg(strstr(err, "configuration") && strstr(err, "ssl.ca.location"), "%s", err);
	ck_assert(strstr(err, "Secret-456") == NULL);
	f.tls_ca_file = "";
	struct ktarget *t = ktarget_new(&f, err, sizeof err);
	ck_assert_msg(t != NULL, "%s", err);
	ck_assert_str_eq(t->password, "Secret-456");
	ck_assert_ptr_nonnull(t->first);
	kafka_ops.free_spec(t);
	kafka_wait_retired(5);
}
END_TEST

/* One scrape of the telemetry path with this timeout: the page, and how long it took. */
static char *scrape(struct exporter *x, double timeout, double *took)
{
	struct request rq = { .x = x };
	clock_gettime(CLOCK_MONOTONIC, &rq.start);
	long ns = rq.start.tv_nsec + (long)(timeout * 1e9);
	rq.deadline = (struct timespec){ rq.start.tv_sec + ns / 1000000000L, ns % 1000000000L };
	struct expo *e = expo_new(1 << 20);
	char msg[256];
	double t0 = mono_now();
	ck_assert_int_eq(backend_metrics_handler(&rq, e, msg, sizeof msg), 0);
	*took = mono_now() - t0;
	return render_free(e);
}

START_TEST(test_unreachable_cluster_backs_off)
{
	/* As main.c declares it, with --kafka.labels. */
	char err[256];
	ck_assert_int_eq(parse_const_labels("cluster=c1", &kafka_opts, err, sizeof err), 0);
	struct backend b = {
		.server = "Kafka", .ops = &kafka_ops, .backoff_min = 1, .backoff_max = 16, .margin = 0.05,
		.metrics = { .up = { "kafka_up", "Up." } },
		.label_names = (const char *const *)kafka_opts.label_names,
		.label_values = (const char *const *)kafka_opts.label_values,
	};
	struct exporter x = { .name = "kafka_exporter", .prefix = "kafka", .backend = &b, .no_self_metrics = true };
	ck_assert_int_eq(backend_start(&b, &x, err, sizeof err), 0);
	static const char *closed[] = { "127.0.0.1:1" };
	struct kafka_conn_flags f = base_flags();
	f.servers = (struct strlist){ 1, closed };
	struct ktarget *t = ktarget_new(&f, err, sizeof err);
	ck_assert_msg(t != NULL, "%s", err);
	ck_assert_int_eq(backend_set_default(&b, t, NULL), 0);
	/* The first scrape waits for an answer no longer than its deadline. */
	double took;
	struct run_result r = { .text = scrape(&x, 1.0, &took) };
	ck_assert_msg(took < 1.5, "%.2fs", took);
	expect_line(&r, "kafka_up{cluster=\"c1\"} 0");
	expect_no(&r, "kafka_brokers");
	free(r.text);
	/* Within the backoff the next one answers at once. */
	r.text = scrape(&x, 5.0, &took);
	ck_assert_msg(took < 0.5, "%.2fs", took);
	expect_line(&r, "kafka_up{cluster=\"c1\"} 0");
	free(r.text);
	backend_free(&b);
	kafka_wait_retired(5);
	free_const_labels(&kafka_opts);
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
	tcase_add_test(tc, test_target_refuses_bad_configuration);
	tcase_add_test(tc, test_unreachable_cluster_backs_off);
	suite_add_tcase(s, tc);
	return s;
}
