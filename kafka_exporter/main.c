/*
 * kafka_exporter: topic offsets and consumer-group lag for Prometheus, a
 * drop-in for danielqsj/kafka_exporter 1.9.0 (flags, metric names, port
 * 9308) on librdkafka, plus lag in seconds, a Burrow-style status, the
 * group state and kafka_up.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/exporter.h"
#include "../common/log.h"
#include "../common/parse.h"
#include "kafka.h"

/* Kept back from the scrape's deadline to build and render the page. */
#define EMIT_RESERVE 0.05

static const char *topic_filter, *topic_exclude, *group_filter, *group_exclude;
static bool log_sarama;
static struct strlist kafka_servers;
static bool sasl_enabled, sasl_handshake;
static const char *sasl_username, *sasl_password, *sasl_aws_region, *sasl_mechanism;
static const char *sasl_service_name, *sasl_krb5_config, *sasl_realm, *sasl_krb5_auth, *sasl_keytab;
static bool sasl_no_pafxfast;
static bool tls_enabled, tls_insecure;
static const char *tls_server_name, *tls_ca_file, *tls_cert_file, *tls_key_file;
static bool server_tls_enabled, server_tls_mutual;
static const char *server_tls_ca, *server_tls_cert, *server_tls_key;
static const char *kafka_version;
static bool zookeeper_lag;
static struct strlist zookeeper_servers;
static const char *kafka_labels;
static double refresh_metadata;
static bool offset_show_all, concurrent_enable, allow_auto_topic_creation;
static long topic_workers, group_workers, verbosity;
static const char *lag_seconds_method;
static double status_window;

static struct flag kafka_flags[] = {
	{ .name = "topic.filter", .type = FLAG_STRING, .dest = &topic_filter, .def = ".*",
	  .help = "Regular expression of the topics to report." },
	{ .name = "topic.exclude", .type = FLAG_STRING, .dest = &topic_exclude, .def = "^$",
	  .help = "Regular expression of the topics not to report." },
	{ .name = "group.filter", .type = FLAG_STRING, .dest = &group_filter, .def = ".*",
	  .help = "Regular expression of the consumer groups to report." },
	{ .name = "group.exclude", .type = FLAG_STRING, .dest = &group_exclude, .def = "^$",
	  .help = "Regular expression of the consumer groups not to report." },
	{ .name = "log.enable-sarama", .type = FLAG_BOOL, .dest = &log_sarama, .def = "false",
	  .help = "Log the Kafka client library's own messages (librdkafka's here) at info level." },
	{ .name = "kafka.server", .type = FLAG_LIST, .dest = &kafka_servers, .def = "kafka:9092",
	  .help = "Address (host:port) of a Kafka broker to start from. Repeatable." },
	{ .name = "sasl.enabled", .type = FLAG_BOOL, .dest = &sasl_enabled, .def = "false",
	  .help = "Authenticate to Kafka with SASL." },
	{ .name = "sasl.handshake", .type = FLAG_BOOL, .dest = &sasl_handshake, .def = "true",
	  .help = "Send the SASL handshake; false (for non-Kafka SASL proxies) is refused: librdkafka always sends it." },
	{ .name = "sasl.username", .type = FLAG_STRING, .dest = &sasl_username, .def = "",
	  .help = "SASL user name." },
	{ .name = "sasl.password", .type = FLAG_STRING, .dest = &sasl_password, .def = "",
	  .help = "SASL password.", .env = "SASL_USER_PASSWORD", .opts = FLAG_SECRET },
	{ .name = "sasl.aws-region", .type = FLAG_STRING, .dest = &sasl_aws_region, .def = "",
	  .help = "AWS region for --sasl.mechanism=awsiam, which this build refuses.", .env = "AWS_REGION" },
	{ .name = "sasl.mechanism", .type = FLAG_STRING, .dest = &sasl_mechanism, .def = "",
	  .help = "SASL mechanism: plain (also when empty), scram-sha256 or scram-sha512; gssapi and awsiam are refused." },
	{ .name = "sasl.service-name", .type = FLAG_STRING, .dest = &sasl_service_name, .def = "",
	  .help = "Kerberos service name, for --sasl.mechanism=gssapi (refused by this build)." },
	{ .name = "sasl.kerberos-config-path", .type = FLAG_STRING, .dest = &sasl_krb5_config, .def = "",
	  .help = "Kerberos configuration file, for --sasl.mechanism=gssapi (refused by this build)." },
	{ .name = "sasl.realm", .type = FLAG_STRING, .dest = &sasl_realm, .def = "",
	  .help = "Kerberos realm, for --sasl.mechanism=gssapi (refused by this build)." },
	{ .name = "sasl.kerberos-auth-type", .type = FLAG_STRING, .dest = &sasl_krb5_auth, .def = "",
	  .help = "keytabAuth or userAuth, for --sasl.mechanism=gssapi (refused by this build)." },
	{ .name = "sasl.keytab-path", .type = FLAG_STRING, .dest = &sasl_keytab, .def = "",
	  .help = "Kerberos keytab file, for --sasl.mechanism=gssapi (refused by this build)." },
	{ .name = "sasl.disable-PA-FX-FAST", .type = FLAG_BOOL, .dest = &sasl_no_pafxfast, .def = "false",
	  .help = "Kerberos without PA-FX-FAST, for --sasl.mechanism=gssapi (refused by this build)." },
	{ .name = "tls.enabled", .type = FLAG_BOOL, .dest = &tls_enabled, .def = "false",
	  .help = "Connect to Kafka with TLS." },
	{ .name = "tls.server-name", .type = FLAG_STRING, .dest = &tls_server_name, .def = "",
	  .help = "Name to check brokers' certificates against; refused with --tls.enabled (librdkafka checks each broker's advertised name)." },
	{ .name = "tls.ca-file", .type = FLAG_STRING, .dest = &tls_ca_file, .def = "",
	  .help = "PEM file of the certificate authorities that sign the brokers' certificates." },
	{ .name = "tls.cert-file", .type = FLAG_STRING, .dest = &tls_cert_file, .def = "",
	  .help = "PEM client certificate for Kafka (with --tls.key-file)." },
	{ .name = "tls.key-file", .type = FLAG_STRING, .dest = &tls_key_file, .def = "",
	  .help = "PEM private key of the client certificate (with --tls.cert-file)." },
	{ .name = "server.tls.enabled", .type = FLAG_BOOL, .dest = &server_tls_enabled, .def = "false",
	  .help = "HTTPS for the metrics endpoint; refused: use --web.config.file." },
	{ .name = "server.tls.mutual-auth-enabled", .type = FLAG_BOOL, .dest = &server_tls_mutual, .def = "false",
	  .help = "Client certificates for the metrics endpoint; refused: use --web.config.file." },
	{ .name = "server.tls.ca-file", .type = FLAG_STRING, .dest = &server_tls_ca, .def = "",
	  .help = "Only with --server.tls.enabled (refused: use --web.config.file)." },
	{ .name = "server.tls.cert-file", .type = FLAG_STRING, .dest = &server_tls_cert, .def = "",
	  .help = "Only with --server.tls.enabled (refused: use --web.config.file)." },
	{ .name = "server.tls.key-file", .type = FLAG_STRING, .dest = &server_tls_key, .def = "",
	  .help = "Only with --server.tls.enabled (refused: use --web.config.file)." },
	{ .name = "tls.insecure-skip-tls-verify", .type = FLAG_BOOL, .dest = &tls_insecure, .def = "false",
	  .help = "Do not check the brokers' certificates (insecure)." },
	{ .name = "kafka.version", .type = FLAG_STRING, .dest = &kafka_version, .def = "2.0.0",
	  .help = "Kafka version to assume for brokers that cannot tell theirs (before 0.10); newer brokers negotiate." },
	{ .name = "use.consumelag.zookeeper", .type = FLAG_BOOL, .dest = &zookeeper_lag, .def = "false",
	  .help = "Lag of ZooKeeper-based consumer groups; refused: there is no ZooKeeper client in this build." },
	{ .name = "zookeeper.server", .type = FLAG_LIST, .dest = &zookeeper_servers, .def = "localhost:2181",
	  .help = "ZooKeeper address, only with --use.consumelag.zookeeper (refused). Repeatable." },
	{ .name = "kafka.labels", .type = FLAG_STRING, .dest = &kafka_labels, .def = "",
	  .help = "Labels added to every Kafka series, as name=value,name2=value2 (e.g. the cluster's name)." },
	{ .name = "refresh.metadata", .type = FLAG_DURATION, .dest = &refresh_metadata, .def = "30s",
	  .help = "How long topics, partitions, leaders and replicas read from the cluster are reused." },
	{ .name = "offset.show-all", .type = FLAG_BOOL, .dest = &offset_show_all, .def = "true",
	  .help = "Report offsets and lag of every partition of the topics a group has committed to; false: only of partitions assigned to members." },
	{ .name = "concurrent.enable", .type = FLAG_BOOL, .dest = &concurrent_enable, .def = "false",
	  .help = "Give each of several simultaneous scrapes its own read of the cluster (taking turns); false: they share one." },
	{ .name = "topic.workers", .type = FLAG_INT, .dest = &topic_workers, .def = "100",
	  .help = "Accepted for compatibility (must be positive): end offsets are read in one request per leader, not by topic workers." },
	{ .name = "kafka.allow-auto-topic-creation", .type = FLAG_BOOL, .dest = &allow_auto_topic_creation,
	  .def = "false", .help = "Let the brokers create topics that requests name but that do not exist." },
	{ .name = "verbosity", .type = FLAG_INT, .dest = &verbosity, .def = "0",
	  .help = "Verbosity: 1 or more logs at debug level, as --log.level=debug." },
	{ .name = "consumergroup.lag-seconds", .type = FLAG_STRING, .dest = &lag_seconds_method,
	  .def = "interpolation",
	  .help = "How kafka_consumergroup_lag_seconds is found: interpolation (from past end offsets, no extra requests), timestamp (reads the record at the committed offset) or none." },
	{ .name = "consumergroup.status-window", .type = FLAG_DURATION, .dest = &status_window, .def = "10m",
	  .help = "Window over which kafka_consumergroup_status judges a group." },
	{ .name = "group.workers", .type = FLAG_INT, .dest = &group_workers, .def = "32",
	  .help = "Most group requests (descriptions, committed offsets) in flight at once." },
};

static struct kclient *client;
static struct kstate *state;

static int kafka_metrics(const struct request *rq, struct expo *e, char *msg, size_t msglen)
{
	(void)msg;
	(void)msglen;
	double deadline = mono_now() + request_remaining(rq) - EMIT_RESERVE;
	struct kclient_use use;
	char err[512];
	bool up = false;
	if (kclient_acquire(client, deadline, &use, err, sizeof err) == 0) {
		struct ksnapshot snap = { 0 };
		kafka_read(use.rk, use.state, deadline, &snap);
		enum kclient_outcome outcome = !snap.answered ? KCLIENT_DOWN
					       : snap.failed  ? KCLIENT_PARTIAL
							      : KCLIENT_OK;
		/* Nothing answered: cached metadata alone would be stale data presented as current. */
		if (outcome != KCLIENT_DOWN)
			kafka_emit(&snap, use.state, e);
		kclient_release(client, outcome, snap.error);
		up = outcome == KCLIENT_OK;
		snapshot_free(&snap);
	} else {
		log_debug("scrape without reading the cluster", "err", err, NULL);
	}
	kafka_emit_up(e, up);
	exporter_self_metrics(rq, e);
	return 0;
}

static struct exporter exporter = {
	.name = "kafka_exporter",
	.title = "Kafka Exporter",
	.prefix = "kafka",
	.default_listen = ":9308",
	.metrics_handler = kafka_metrics,
	.flags = kafka_flags,
	.nflags = sizeof kafka_flags / sizeof kafka_flags[0],
	.health_path = "/healthz",
	.help_tail =
		"Beyond upstream: kafka_consumergroup_lag_seconds, kafka_consumergroup_status,\n"
		"kafka_consumergroup_state and kafka_up (see kafka_exporter(1)). Kerberos (gssapi),\n"
		"AWS IAM, ZooKeeper lag, --tls.server-name, --no-sasl.handshake and --server.tls.*\n"
		"are refused with an error; /healthz answers \"ok\".\n",
};

static int setup(struct exporter *x, char *err, size_t errlen)
{
	if (zookeeper_lag) {
		strf(err, errlen, "--use.consumelag.zookeeper is not supported: this build has no ZooKeeper client");
		return -1;
	}
	if (server_tls_enabled || server_tls_mutual) {
		strf(err, errlen, "--server.tls.* is not supported: use --web.config.file for HTTPS");
		return -1;
	}
	if (topic_workers <= 0) {
		strf(err, errlen, "--topic.workers must be positive");
		return -1;
	}
	if (group_workers <= 0 || group_workers > 10000) {
		strf(err, errlen, "--group.workers must be between 1 and 10000");
		return -1;
	}
	if (refresh_metadata < 0) {
		strf(err, errlen, "--refresh.metadata must not be negative");
		return -1;
	}
	if (status_window <= 0) {
		strf(err, errlen, "--consumergroup.status-window must be positive");
		return -1;
	}
	if (parse_lag_seconds_method(lag_seconds_method, &kafka_opts.lag_seconds) < 0) {
		strf(err, errlen, "--consumergroup.lag-seconds must be interpolation, timestamp or none");
		return -1;
	}
	const struct { const char *flag, *value; struct rx **rx; } filters[] = {
		{ "topic.filter", topic_filter, &kafka_opts.topic_filter },
		{ "topic.exclude", topic_exclude, &kafka_opts.topic_exclude },
		{ "group.filter", group_filter, &kafka_opts.group_filter },
		{ "group.exclude", group_exclude, &kafka_opts.group_exclude },
	};
	for (size_t i = 0; i < sizeof filters / sizeof filters[0]; i++) {
		char rerr[256];
		*filters[i].rx = rx_compile(filters[i].value, rerr, sizeof rerr);
		if (!*filters[i].rx) {
			strf(err, errlen, "--%s: %s", filters[i].flag, rerr);
			return -1;
		}
	}
	if (parse_const_labels(kafka_labels, &kafka_opts, err, errlen) < 0)
		return -1;
	kafka_opts.offset_show_all = offset_show_all;
	kafka_opts.refresh_metadata = refresh_metadata;
	kafka_opts.group_workers = group_workers;
	kafka_opts.status_window = status_window;
	x->unshared_requests = concurrent_enable;
	if (verbosity > 0) {
		struct flag *lf = flags_find(x->fs, "log.format");
		log_setup("debug", *(const char **)lf->dest);
	}

	struct kafka_conn_flags cf = {
		.servers = kafka_servers.items,
		.nservers = kafka_servers.n,
		.sasl_enabled = sasl_enabled,
		.sasl_handshake = sasl_handshake,
		.sasl_mechanism = sasl_mechanism,
		.sasl_username = sasl_username,
		.sasl_password = sasl_password,
		.tls_enabled = tls_enabled,
		.tls_insecure = tls_insecure,
		.tls_server_name = tls_server_name,
		.tls_ca_file = tls_ca_file,
		.tls_cert_file = tls_cert_file,
		.tls_key_file = tls_key_file,
		.kafka_version = kafka_version,
		.allow_auto_topic_creation = allow_auto_topic_creation,
	};
	static struct kafka_props props;
	if (kafka_conn_props(&cf, &props, err, errlen) < 0)
		return -1;
	state = kstate_new();
	if (!state) {
		strf(err, errlen, "out of memory");
		return -1;
	}
	struct kclient_conf kc = {
		.props = props.props,
		.nprops = props.n,
		.password = sasl_enabled && *sasl_password ? sasl_password : NULL,
		.display = props.bootstrap,
		.log_client = log_sarama,
		.state = state,
	};
	char kerr[512];
	if (kclient_new(&kc, &client, kerr, sizeof kerr) < 0) {
		strf(err, errlen, "Kafka client configuration: %s", kerr);
		return -1;
	}
	/* The client keeps its own copy: leave none in argv (/proc/PID/cmdline) or the environment. */
	for (char *p = (char *)sasl_password; p && *p; p++)
		*(volatile char *)p = 'x';
	log_info("reading Kafka", "servers", props.bootstrap, "security", props.protocol, "librdkafka",
		 rd_kafka_version_str(), NULL);
	return 0;
}

static void teardown(struct exporter *x)
{
	(void)x;
	kclient_free(client);
	client = NULL;
	kstate_free(state);
	state = NULL;
	rx_free(kafka_opts.topic_filter);
	rx_free(kafka_opts.topic_exclude);
	rx_free(kafka_opts.group_filter);
	rx_free(kafka_opts.group_exclude);
	free_const_labels(&kafka_opts);
}

int main(int argc, char **argv)
{
	exporter.setup = setup;
	exporter.teardown = teardown;
	return exporter_main(&exporter, argc, argv);
}
