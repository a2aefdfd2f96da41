/*
 * kafka_exporter: topic offsets and consumer-group lag for Prometheus, a
 * drop-in for danielqsj/kafka_exporter 1.9.0 (flags, metric names, port
 * 9308) on librdkafka, plus lag in seconds, a Burrow-style status, the
 * group state and kafka_up.
 */
#include "kafka.h"

/* Upstream flags this build refuses (see .refused and ktarget_new), or takes without use. */
static const char *unused_str[9];
static bool unused_bool[4];
static struct strlist zookeeper_servers;

static struct flag kafka_flags[] = {
	{ .name = "topic.filter", .type = FLAG_STRING, .dest = &kafka_args.topic_filter, .def = ".*",
	  .help = "Regular expression of the topics to report." },
	{ .name = "topic.exclude", .type = FLAG_STRING, .dest = &kafka_args.topic_exclude, .def = "^$",
	  .help = "Regular expression of the topics not to report." },
	{ .name = "group.filter", .type = FLAG_STRING, .dest = &kafka_args.group_filter, .def = ".*",
	  .help = "Regular expression of the consumer groups to report." },
	{ .name = "group.exclude", .type = FLAG_STRING, .dest = &kafka_args.group_exclude, .def = "^$",
	  .help = "Regular expression of the consumer groups not to report." },
	{ .name = "log.enable-sarama", .type = FLAG_BOOL, .dest = &kafka_opts.log_client, .def = "false",
	  .help = "Log the Kafka client library's own messages (librdkafka's here) at info level." },
	{ .name = "kafka.server", .type = FLAG_LIST, .dest = &kafka_args.conn.servers, .def = "kafka:9092",
	  .help = "Address (host:port) of a Kafka broker to start from. Repeatable." },
	{ .name = "sasl.enabled", .type = FLAG_BOOL, .dest = &kafka_args.conn.sasl_enabled, .def = "false",
	  .help = "Authenticate to Kafka with SASL." },
	{ .name = "sasl.handshake", .type = FLAG_BOOL, .dest = &kafka_args.conn.sasl_handshake, .def = "true",
	  .help = "Send the SASL handshake; false (for non-Kafka SASL proxies) is refused: librdkafka always sends it." },
	{ .name = "sasl.username", .type = FLAG_STRING, .dest = &kafka_args.conn.sasl_username, .def = "",
	  .help = "SASL user name." },
	{ .name = "sasl.password", .type = FLAG_STRING, .dest = &kafka_args.conn.sasl_password, .def = "",
	  .help = "SASL password.", .env = "SASL_USER_PASSWORD", .opts = FLAG_SECRET },
	{ .name = "sasl.aws-region", .type = FLAG_STRING, .dest = &unused_str[0], .def = "",
	  .help = "AWS region for --sasl.mechanism=awsiam, which this build refuses.", .env = "AWS_REGION" },
	{ .name = "sasl.mechanism", .type = FLAG_STRING, .dest = &kafka_args.conn.sasl_mechanism, .def = "",
	  .help = "SASL mechanism: plain (also when empty), scram-sha256 or scram-sha512; gssapi and awsiam are refused." },
	{ .name = "sasl.service-name", .type = FLAG_STRING, .dest = &unused_str[1], .def = "",
	  .help = "Kerberos service name, for --sasl.mechanism=gssapi (refused by this build)." },
	{ .name = "sasl.kerberos-config-path", .type = FLAG_STRING, .dest = &unused_str[2], .def = "",
	  .help = "Kerberos configuration file, for --sasl.mechanism=gssapi (refused by this build)." },
	{ .name = "sasl.realm", .type = FLAG_STRING, .dest = &unused_str[3], .def = "",
	  .help = "Kerberos realm, for --sasl.mechanism=gssapi (refused by this build)." },
	{ .name = "sasl.kerberos-auth-type", .type = FLAG_STRING, .dest = &unused_str[4], .def = "",
	  .help = "keytabAuth or userAuth, for --sasl.mechanism=gssapi (refused by this build)." },
	{ .name = "sasl.keytab-path", .type = FLAG_STRING, .dest = &unused_str[5], .def = "",
	  .help = "Kerberos keytab file, for --sasl.mechanism=gssapi (refused by this build)." },
	{ .name = "sasl.disable-PA-FX-FAST", .type = FLAG_BOOL, .dest = &unused_bool[0], .def = "false",
	  .help = "Kerberos without PA-FX-FAST, for --sasl.mechanism=gssapi (refused by this build)." },
	{ .name = "tls.enabled", .type = FLAG_BOOL, .dest = &kafka_args.conn.tls_enabled, .def = "false",
	  .help = "Connect to Kafka with TLS." },
	{ .name = "tls.server-name", .type = FLAG_STRING, .dest = &kafka_args.conn.tls_server_name, .def = "",
	  .help = "Name to check brokers' certificates against; refused with --tls.enabled (librdkafka checks each broker's advertised name)." },
	{ .name = "tls.ca-file", .type = FLAG_STRING, .dest = &kafka_args.conn.tls_ca_file, .def = "",
	  .help = "PEM file of the certificate authorities that sign the brokers' certificates." },
	{ .name = "tls.cert-file", .type = FLAG_STRING, .dest = &kafka_args.conn.tls_cert_file, .def = "",
	  .help = "PEM client certificate for Kafka (with --tls.key-file)." },
	{ .name = "tls.key-file", .type = FLAG_STRING, .dest = &kafka_args.conn.tls_key_file, .def = "",
	  .help = "PEM private key of the client certificate (with --tls.cert-file)." },
	{ .name = "server.tls.enabled", .type = FLAG_BOOL, .dest = &unused_bool[1], .def = "false",
	  .help = "HTTPS for the metrics endpoint; refused: use --web.config.file.",
	  .refused = "use --web.config.file for HTTPS" },
	{ .name = "server.tls.mutual-auth-enabled", .type = FLAG_BOOL, .dest = &unused_bool[2], .def = "false",
	  .help = "Client certificates for the metrics endpoint; refused: use --web.config.file.",
	  .refused = "use --web.config.file for HTTPS" },
	{ .name = "server.tls.ca-file", .type = FLAG_STRING, .dest = &unused_str[6], .def = "",
	  .help = "Only with --server.tls.enabled (refused: use --web.config.file)." },
	{ .name = "server.tls.cert-file", .type = FLAG_STRING, .dest = &unused_str[7], .def = "",
	  .help = "Only with --server.tls.enabled (refused: use --web.config.file)." },
	{ .name = "server.tls.key-file", .type = FLAG_STRING, .dest = &unused_str[8], .def = "",
	  .help = "Only with --server.tls.enabled (refused: use --web.config.file)." },
	{ .name = "tls.insecure-skip-tls-verify", .type = FLAG_BOOL, .dest = &kafka_args.conn.tls_insecure, .def = "false",
	  .help = "Do not check the brokers' certificates (insecure)." },
	{ .name = "kafka.version", .type = FLAG_STRING, .dest = &kafka_args.conn.kafka_version, .def = "2.0.0",
	  .help = "Kafka version to assume for brokers that cannot tell theirs (before 0.10); newer brokers negotiate." },
	{ .name = "use.consumelag.zookeeper", .type = FLAG_BOOL, .dest = &unused_bool[3], .def = "false",
	  .help = "Lag of ZooKeeper-based consumer groups; refused: there is no ZooKeeper client in this build.",
	  .refused = "this build has no ZooKeeper client" },
	{ .name = "zookeeper.server", .type = FLAG_LIST, .dest = &zookeeper_servers, .def = "localhost:2181",
	  .help = "ZooKeeper address, only with --use.consumelag.zookeeper (refused). Repeatable." },
	{ .name = "kafka.labels", .type = FLAG_STRING, .dest = &kafka_args.labels, .def = "",
	  .help = "Labels added to every Kafka series, as name=value,name2=value2 (e.g. the cluster's name)." },
	{ .name = "refresh.metadata", .type = FLAG_DURATION, .dest = &kafka_opts.refresh_metadata, .def = "30s",
	  .help = "How long topics, partitions, leaders and replicas read from the cluster are reused." },
	{ .name = "offset.show-all", .type = FLAG_BOOL, .dest = &kafka_opts.offset_show_all, .def = "true",
	  .help = "Report offsets and lag of every partition of the topics a group has committed to; false: only of partitions assigned to members." },
	{ .name = "concurrent.enable", .type = FLAG_BOOL, .dest = &kafka_args.concurrent, .def = "false",
	  .help = "Give each of several simultaneous scrapes its own read of the cluster (taking turns); false: they share one." },
	{ .name = "topic.workers", .type = FLAG_INT, .dest = &kafka_args.topic_workers, .def = "100",
	  .help = "Accepted for compatibility (must be positive): end offsets are read in one request per leader, not by topic workers." },
	{ .name = "kafka.allow-auto-topic-creation", .type = FLAG_BOOL, .dest = &kafka_args.conn.allow_auto_topic_creation,
	  .def = "false", .help = "Let the brokers create topics that requests name but that do not exist." },
	{ .name = "verbosity", .type = FLAG_INT, .dest = &kafka_args.verbosity, .def = "0",
	  .help = "Verbosity: 1 or more logs at debug level, as --log.level=debug." },
	{ .name = "consumergroup.lag-seconds", .type = FLAG_STRING, .dest = &kafka_args.lag_seconds,
	  .def = "interpolation",
	  .help = "How kafka_consumergroup_lag_seconds is found: interpolation (from past end offsets, no extra requests), timestamp (reads the record at the committed offset) or none." },
	{ .name = "consumergroup.status-window", .type = FLAG_DURATION, .dest = &kafka_opts.status_window, .def = "10m",
	  .help = "Window over which kafka_consumergroup_status judges a group." },
	{ .name = "group.workers", .type = FLAG_INT, .dest = &kafka_opts.group_workers, .def = "32",
	  .help = "Most group requests (descriptions, committed offsets) in flight at once." },
};

static struct backend kafka_backend = {
	.server = "Kafka", .ops = &kafka_ops,
	/* librdkafka backs off per broker itself; this is between attempts at a first answer. */
	.backoff_min = 1, .backoff_max = 16,
	/* Kept back from the scrape's deadline to build and render the page. */
	.margin = 0.05,
	.metrics = {
		.up = { "kafka_up", "1 if the last scrape read everything from the cluster, 0 if some or all of it failed." },
	},
	.logs = {
		.connect_failed = "kafka cluster unreachable",
		.failed = "kafka cluster answered partially or not at all",
		.connected = "connected to the kafka cluster",
		.recovered = "kafka cluster answering again",
	},
};

static struct exporter kafka_exporter = {
	.name = "kafka_exporter", .title = "Kafka Exporter", .prefix = "kafka",
	.default_listen = ":9308",
	.backend = &kafka_backend,
	.flags = kafka_flags, .nflags = sizeof kafka_flags / sizeof kafka_flags[0],
	.health_path = "/healthz",
	.setup = kafka_setup, .teardown = kafka_teardown,
	.help_tail =
		"Beyond upstream: kafka_consumergroup_lag_seconds, kafka_consumergroup_status,\n"
		"kafka_consumergroup_state and kafka_up (see kafka_exporter(1)). Kerberos (gssapi),\n"
		"AWS IAM, ZooKeeper lag, --tls.server-name, --no-sasl.handshake and --server.tls.*\n"
		"are refused with an error; /healthz answers \"ok\".\n",
};

int main(int argc, char **argv)
{
	return exporter_main(&kafka_exporter, argc, argv);
}
