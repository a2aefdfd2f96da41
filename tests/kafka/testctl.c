/*
 * kafka_testctl: sets up the test broker for kafka_exporter's tests, with
 * librdkafka, in one quick process per step instead of a JVM:
 *
 *   kafka_testctl -b HOST:PORT [-X prop=value]... create TOPIC:PARTITIONS...
 *   kafka_testctl -b HOST:PORT delete TOPIC...
 *   kafka_testctl -b HOST:PORT produce TOPIC PARTITION COUNT [FIRST_TS_MS [STEP_MS]]
 *   kafka_testctl -b HOST:PORT commit GROUP TOPIC:PARTITION:OFFSET...
 *   kafka_testctl -b HOST:PORT groups PREFIX FIRST COUNT TOPIC PARTITIONS OFFSET
 *   kafka_testctl -b HOST:PORT stream TOPIC PARTITIONS RATE SECONDS
 *
 * produce writes COUNT records to one partition, with timestamps
 * FIRST_TS_MS, +STEP_MS, ... (default: now, 0). commit stores the offsets
 * for GROUP without joining it (as a simple consumer does); groups does so
 * for COUNT groups PREFIX-FIRST... at OFFSET on partitions 0..PARTITIONS-1
 * of TOPIC (benchmarks); stream writes RATE records per second for SECONDS,
 * spread evenly in time and over the partitions, each stamped when written
 * (a steady producer for benchmarks). Exit 0 on
 * success, 1 with a message otherwise.
 */
#include <librdkafka/rdkafka.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#define TIMEOUT_MS 30000

static const char *bootstrap;
static const char *props[32];
static int nprops;

static void die(const char *what, const char *why)
{
	fprintf(stderr, "kafka_testctl: %s: %s\n", what, why);
	exit(1);
}

static long long number(const char *s, const char *what)
{
	char *end;
	long long v = strtoll(s, &end, 10);
	if (!*s || *end)
		die(what, "not a number");
	return v;
}

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque);

static rd_kafka_t *handle(rd_kafka_type_t type, const char *group)
{
	char err[512];
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	if (type == RD_KAFKA_PRODUCER)
		rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
	if (rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, err, sizeof err) ||
	    (group && rd_kafka_conf_set(conf, "group.id", group, err, sizeof err)) ||
	    (group && rd_kafka_conf_set(conf, "enable.auto.commit", "false", err, sizeof err)))
		die("configuration", err);
	for (int i = 0; i < nprops; i++) {
		char kv[512];
		snprintf(kv, sizeof kv, "%s", props[i]);
		char *eq = strchr(kv, '=');
		if (!eq)
			die(props[i], "want prop=value");
		*eq = '\0';
		if (rd_kafka_conf_set(conf, kv, eq + 1, err, sizeof err))
			die(kv, err);
	}
	rd_kafka_t *rk = rd_kafka_new(type, conf, err, sizeof err);
	if (!rk)
		die("client", err);
	return rk;
}

static rd_kafka_event_t *wait_result(rd_kafka_queue_t *q, rd_kafka_event_type_t type)
{
	for (;;) {
		rd_kafka_event_t *ev = rd_kafka_queue_poll(q, TIMEOUT_MS);
		if (!ev)
			die("admin request", "timed out");
		if (rd_kafka_event_type(ev) == type)
			return ev;
		rd_kafka_event_destroy(ev);
	}
}

/* The topics of array arg, created or deleted (op); exits on any failure but "already exists". */
static void topics_op(rd_kafka_admin_op_t op, void *arg, size_t n)
{
	char err[512];
	rd_kafka_t *rk = handle(RD_KAFKA_PRODUCER, NULL);
	rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
	rd_kafka_AdminOptions_t *o = rd_kafka_AdminOptions_new(rk, op);
	rd_kafka_AdminOptions_set_operation_timeout(o, TIMEOUT_MS, err, sizeof err);
	bool create = op == RD_KAFKA_ADMIN_OP_CREATETOPICS;
	if (create)
		rd_kafka_CreateTopics(rk, arg, n, o, q);
	else
		rd_kafka_DeleteTopics(rk, arg, n, o, q);
	rd_kafka_event_t *ev = wait_result(q, create ? RD_KAFKA_EVENT_CREATETOPICS_RESULT
						     : RD_KAFKA_EVENT_DELETETOPICS_RESULT);
	const char *what = create ? "create" : "delete";
	if (rd_kafka_event_error(ev))
		die(what, rd_kafka_event_error_string(ev));
	size_t cnt;
	const rd_kafka_topic_result_t **r =
		create ? rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &cnt)
		       : rd_kafka_DeleteTopics_result_topics(rd_kafka_event_DeleteTopics_result(ev), &cnt);
	for (size_t i = 0; i < cnt; i++) {
		rd_kafka_resp_err_t e = rd_kafka_topic_result_error(r[i]);
		if (e && e != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)
			die(what, rd_kafka_topic_result_error_string(r[i]));
	}
	rd_kafka_event_destroy(ev);
	rd_kafka_AdminOptions_destroy(o);
	rd_kafka_queue_destroy(q);
	rd_kafka_destroy(rk);
}

static void create(int argc, char **argv)
{
	rd_kafka_NewTopic_t *topics[64];
	size_t n = 0;
	char err[512];
	for (int i = 0; i < argc && n < 64; i++) {
		char name[256];
		snprintf(name, sizeof name, "%s", argv[i]);
		char *colon = strrchr(name, ':');
		if (!colon)
			die(argv[i], "want TOPIC:PARTITIONS");
		*colon = '\0';
		topics[n] = rd_kafka_NewTopic_new(name, (int)number(colon + 1, argv[i]), 1, err, sizeof err);
		if (!topics[n])
			die(argv[i], err);
		n++;
	}
	topics_op(RD_KAFKA_ADMIN_OP_CREATETOPICS, topics, n);
	rd_kafka_NewTopic_destroy_array(topics, n);
}

static void delete(int argc, char **argv)
{
	rd_kafka_DeleteTopic_t *topics[64];
	size_t n = 0;
	for (int i = 0; i < argc && n < 64; i++)
		topics[n++] = rd_kafka_DeleteTopic_new(argv[i]);
	topics_op(RD_KAFKA_ADMIN_OP_DELETETOPICS, topics, n);
	rd_kafka_DeleteTopic_destroy_array(topics, n);
}

static int delivery_failures;

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	(void)rk;
	(void)opaque;
	if (m->err) {
		if (!delivery_failures++)
			fprintf(stderr, "kafka_testctl: delivery: %s\n", rd_kafka_err2str(m->err));
	}
}

static void produce(int argc, char **argv)
{
	if (argc < 3)
		die("produce", "want TOPIC PARTITION COUNT [FIRST_TS_MS [STEP_MS]]");
	struct timeval tv;
	gettimeofday(&tv, NULL);
	long long partition = number(argv[1], "partition"), count = number(argv[2], "count");
	long long ts = argc > 3 ? number(argv[3], "timestamp") : (long long)tv.tv_sec * 1000 + tv.tv_usec / 1000;
	long long step = argc > 4 ? number(argv[4], "step") : 0;
	if (nprops < 30)
		props[nprops++] = "linger.ms=5";
	rd_kafka_t *rk = handle(RD_KAFKA_PRODUCER, NULL);
	for (long long i = 0; i < count; i++) {
		char value[64];
		int len = snprintf(value, sizeof value, "record-%lld", i);
		rd_kafka_resp_err_t e;
		while ((e = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(argv[0]), RD_KAFKA_V_PARTITION((int32_t)partition),
					      RD_KAFKA_V_VALUE(value, (size_t)len), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
					      RD_KAFKA_V_TIMESTAMP(ts + i * step), RD_KAFKA_V_END)) ==
		       RD_KAFKA_RESP_ERR__QUEUE_FULL)
			rd_kafka_poll(rk, 10);
		if (e)
			die("produce", rd_kafka_err2str(e));
		rd_kafka_poll(rk, 0);
	}
	if (rd_kafka_flush(rk, TIMEOUT_MS))
		die("produce", "not all records delivered in time");
	rd_kafka_destroy(rk);
	if (delivery_failures)
		exit(1);
}

static void commit_list(const char *group, rd_kafka_topic_partition_list_t *l)
{
	rd_kafka_t *rk = handle(RD_KAFKA_CONSUMER, group);
	rd_kafka_resp_err_t e = rd_kafka_commit(rk, l, 0);
	if (e)
		die("commit", rd_kafka_err2str(e));
	for (int i = 0; i < l->cnt; i++)
		if (l->elems[i].err)
			die("commit", rd_kafka_err2str(l->elems[i].err));
	rd_kafka_consumer_close(rk);
	rd_kafka_destroy(rk);
}

static void commit(int argc, char **argv)
{
	if (argc < 2)
		die("commit", "want GROUP TOPIC:PARTITION:OFFSET...");
	rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(argc);
	for (int i = 1; i < argc; i++) {
		char spec[256];
		snprintf(spec, sizeof spec, "%s", argv[i]);
		char *o = strrchr(spec, ':');
		if (!o)
			die(argv[i], "want TOPIC:PARTITION:OFFSET");
		*o++ = '\0';
		char *p = strrchr(spec, ':');
		if (!p)
			die(argv[i], "want TOPIC:PARTITION:OFFSET");
		*p++ = '\0';
		rd_kafka_topic_partition_list_add(l, spec, (int32_t)number(p, argv[i]))->offset = number(o, argv[i]);
	}
	commit_list(argv[0], l);
	rd_kafka_topic_partition_list_destroy(l);
}

static void groups(int argc, char **argv)
{
	if (argc != 6)
		die("groups", "want PREFIX FIRST COUNT TOPIC PARTITIONS OFFSET");
	long long first = number(argv[1], "first"), count = number(argv[2], "count");
	long long parts = number(argv[4], "partitions"), offset = number(argv[5], "offset");
	rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new((int)parts);
	for (long long p = 0; p < parts; p++)
		rd_kafka_topic_partition_list_add(l, argv[3], (int32_t)p)->offset = offset;
	for (long long g = first; g < first + count; g++) {
		char group[256];
		snprintf(group, sizeof group, "%s-%lld", argv[0], g);
		commit_list(group, l);
	}
	rd_kafka_topic_partition_list_destroy(l);
}

static double now_s(void)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

static void stream(int argc, char **argv)
{
	if (argc != 4)
		die("stream", "want TOPIC PARTITIONS RATE SECONDS");
	long long parts = number(argv[1], "partitions"), rate = number(argv[2], "rate");
	long long seconds = number(argv[3], "seconds");
	if (parts <= 0 || rate <= 0)
		die("stream", "partitions and rate must be positive");
	rd_kafka_t *rk = handle(RD_KAFKA_PRODUCER, NULL);
	char value[] = "s";
	double start = now_s();
	for (long long i = 0; i < rate * seconds; i++) {
		double due = start + (double)i / (double)rate;
		while (now_s() < due)
			rd_kafka_poll(rk, 1);
		rd_kafka_resp_err_t e = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(argv[0]),
							  RD_KAFKA_V_PARTITION((int32_t)(i % parts)),
							  RD_KAFKA_V_VALUE(value, 1), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
							  RD_KAFKA_V_END);
		if (e)
			die("stream", rd_kafka_err2str(e));
	}
	rd_kafka_flush(rk, TIMEOUT_MS);
	rd_kafka_destroy(rk);
}

int main(int argc, char **argv)
{
	int i = 1;
	for (; i + 1 < argc && argv[i][0] == '-'; i += 2) {
		if (!strcmp(argv[i], "-b"))
			bootstrap = argv[i + 1];
		else if (!strcmp(argv[i], "-X") && nprops < 30)
			props[nprops++] = argv[i + 1];
		else
			die(argv[i], "unknown option");
	}
	if (!bootstrap || i >= argc)
		die("usage", "kafka_testctl -b HOST:PORT [-X prop=value]... create|delete|produce|commit|groups|stream ARGS...");
	const char *cmd = argv[i++];
	if (!strcmp(cmd, "create"))
		create(argc - i, argv + i);
	else if (!strcmp(cmd, "delete"))
		delete(argc - i, argv + i);
	else if (!strcmp(cmd, "produce"))
		produce(argc - i, argv + i);
	else if (!strcmp(cmd, "commit"))
		commit(argc - i, argv + i);
	else if (!strcmp(cmd, "groups"))
		groups(argc - i, argv + i);
	else if (!strcmp(cmd, "stream"))
		stream(argc - i, argv + i);
	else
		die(cmd, "unknown command");
	return 0;
}
