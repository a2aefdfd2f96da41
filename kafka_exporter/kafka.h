/*
 * kafka_exporter's shared types: the options (written once at start-up),
 * the cluster as the backend layer keeps it (its target), what one scrape
 * read from the cluster (a snapshot, built by scrape.c with librdkafka and
 * turned into metrics by emit.c), and the state kept between scrapes for
 * lag in seconds and the status.
 *
 * Threads: the backend layer runs the hooks with the target's lock held, so
 * the target, its state and its handle are used by one scrape at a time;
 * the snapshot belongs to one scrape.
 */
#ifndef KAFKA_EXPORTER_KAFKA_H
#define KAFKA_EXPORTER_KAFKA_H

#include <librdkafka/rdkafka.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/backend.h"
#include "../common/expo.h"
#include "../common/flags.h"
#include "../common/rx.h"
#include "../common/strmap.h"

/* ---- options ---- */

enum lag_seconds_method {
	LAG_SECONDS_NONE,
	LAG_SECONDS_INTERPOLATION,
	LAG_SECONDS_TIMESTAMP,
};

#define MAX_CONST_LABELS 16

struct kafka_options {
	struct rx_filter topics, groups; /* --topic.filter/exclude, --group.filter/exclude */
	bool offset_show_all;
	double refresh_metadata; /* seconds between metadata requests */
	long group_workers; /* group requests in flight at once */
	enum lag_seconds_method lag_seconds;
	double status_window; /* seconds */
	bool log_client; /* librdkafka's own log lines at info level (--log.enable-sarama) */
	/* --kafka.labels, added to every family; NULL-terminated for the backend layer */
	size_t nlabels;
	char *label_names[MAX_CONST_LABELS + 1];
	char *label_values[MAX_CONST_LABELS + 1];
};

/* Written while flags are parsed and by setup, read by every scrape. */
extern struct kafka_options kafka_opts;

/* Upstream's connection flags, as given. */
struct kafka_conn_flags {
	struct strlist servers;
	bool sasl_enabled, sasl_handshake;
	const char *sasl_mechanism, *sasl_username, *sasl_password;
	bool tls_enabled, tls_insecure;
	const char *tls_server_name, *tls_ca_file, *tls_cert_file, *tls_key_file;
	const char *kafka_version;
	bool allow_auto_topic_creation;
};

/* Flag values that setup() turns into options (main.c's table writes them). */
struct kafka_args {
	struct kafka_conn_flags conn;
	const char *topic_filter, *topic_exclude, *group_filter, *group_exclude;
	const char *labels;
	const char *lag_seconds;
	bool concurrent;
	long topic_workers, verbosity;
};

extern struct kafka_args kafka_args;

/* Check the flags, make the cluster's target (options.c). */
int kafka_setup(struct exporter *x, char *err, size_t errlen);
void kafka_teardown(struct exporter *x);

/* ---- one scrape's snapshot ---- */

struct kpartition {
	int32_t id;
	int32_t leader; /* -1: none */
	int32_t preferred; /* the first replica; -1 without replicas */
	int32_t nreplicas, nisr;
	bool has_newest, has_oldest;
	int64_t newest; /* high watermark */
	int64_t oldest; /* log start offset */
};

struct ktopic {
	const char *name;
	bool selected; /* passes --topic.filter and --topic.exclude */
	int32_t npart;
	struct kpartition *parts; /* sorted by id */
};

/* A committed (or, with --no-offset.show-all, assigned) partition of a group. */
struct kcommit {
	int32_t topic; /* index into ksnapshot.topics */
	int32_t partition;
	int64_t offset; /* as read: negative when none */
	bool error; /* the partition's offset could not be read */
	bool assigned;
	bool has_ts; /* ts: timestamp (epoch ms) of the record at offset (timestamp method) */
	int64_t ts;
};

struct kgroup {
	char *id;
	char state[32]; /* "Stable", "Empty"...; "" if unknown */
	long members; /* -1: absent (not described, or a KIP-848 group) */
	bool offsets_ok; /* the committed offsets were read */
	size_t ncommits;
	struct kcommit *commits; /* sorted by topic, partition */
};

struct kbroker {
	int32_t id;
	char *address; /* host:port */
};

struct ksnapshot {
	double now; /* monotonic seconds, when the end offsets were read */
	int64_t now_ms; /* the same moment, epoch milliseconds */
	bool have_metadata;
	size_t nbrokers;
	struct kbroker *brokers;
	size_t ntopics;
	struct ktopic *topics; /* sorted by name */
	size_t ngroups;
	struct kgroup *groups; /* sorted by id */
	/* How the scrape went. */
	unsigned answered; /* requests the cluster answered */
	unsigned failed; /* requests that failed or timed out */
	char error[256]; /* the first failure, for the log */
};

/* Index of the topic called name in s->topics, or -1. */
int32_t snapshot_find_topic(const struct ksnapshot *s, const char *name);

/* Record a failed request (the first reason is kept). */
void snapshot_fail(struct ksnapshot *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Release everything the snapshot holds. */
void snapshot_free(struct ksnapshot *s);

/* ---- state kept between scrapes (the target's; zeroed is empty) ---- */

struct kstate {
	const struct rd_kafka_metadata *md; /* last metadata, reused for --refresh.metadata */
	double md_at; /* monotonic seconds */
	bool md_stale; /* refresh at the next scrape (a topic vanished...) */
	struct strmap ends; /* partition_key(topic, partition) -> struct end_history */
	struct strmap tracks; /* partition_key(group, topic, partition) -> struct lag_track */
	struct strmap stamps; /* partition_key(topic, partition) -> struct stamp_cache */
};

/* Timestamps of records at offsets, remembered per partition (timestamp method). */
#define STAMP_CACHE 4
struct stamp_cache {
	uint32_t next;
	struct {
		int64_t offset; /* -1: empty */
		int64_t ts;
	} e[STAMP_CACHE];
};

/*
 * The key of a partition's state: "topic\x1fpartition", or with a group
 * "group\x1ftopic\x1fpartition" (topic names cannot hold the separator, so
 * keys of different partitions differ). Returns buf, or NULL if it does
 * not fit.
 */
const char *partition_key(char *buf, size_t cap, const char *group, const char *topic, int32_t partition);

/* Release what the state holds; it is empty again. */
void kstate_free(struct kstate *st);

/* ---- the cluster: the backend layer's target (target.c) ---- */

#define MAX_PROPS 32

/* One librdkafka configuration property. */
struct kprop {
	const char *name;
	const char *value;
};

/* librdkafka properties for the flags; strings are owned by the struct or the flags. */
struct kafka_props {
	size_t n;
	struct kprop props[MAX_PROPS];
	char bootstrap[4096];
	char protocol[16];
	char mechanism[16];
	char fallback[32];
};

/* The cluster the exporter reads, as the backend layer keeps it (its spec). */
struct ktarget {
	struct kafka_props props;
	char *password; /* sasl.password, or NULL: secret, wiped when freed */
	rd_kafka_t *first; /* made at start-up (checks the configuration), taken by the first open */
	unsigned down_streak; /* scrapes in a row on one handle that reached nothing */
	struct kstate state; /* outlives the handles */
};

/*
 * Make the target for the connection flags, with a first handle (librdkafka
 * connects in the background). Returns it, or NULL with a one-line message
 * for a value that cannot be honoured or that librdkafka refuses (the
 * program then exits 2). The password is copied.
 */
struct ktarget *ktarget_new(const struct kafka_conn_flags *f, char *err, size_t errlen);

/* The hooks of the backend layer (the collect hook is in scrape.c). */
extern const struct backend_ops kafka_ops;

/* Wait up to seconds for handles being destroyed in the background (at exit). */
void kafka_wait_retired(double seconds);

/* ---- scrape.c: read the cluster ---- */

/*
 * Read the cluster's metadata into st (kept for --refresh.metadata),
 * waiting no later than deadline. Returns 0 or librdkafka's error.
 */
rd_kafka_resp_err_t kafka_fetch_metadata(rd_kafka_t *rk, struct kstate *st, double deadline);

/*
 * Read everything one scrape needs from the cluster into s, finishing by
 * deadline (monotonic seconds): metadata (reused for --refresh.metadata),
 * the groups, their committed offsets, then the end and start offsets, then
 * (timestamp method) the timestamps of the records at committed offsets.
 * Failures are counted in s; whatever was read is kept.
 */
void kafka_read(rd_kafka_t *rk, struct kstate *st, double deadline, struct ksnapshot *s);

/*
 * The collect hook: read the cluster on bs->conn and emit its families.
 * 0 when everything was read; -1 with err when something failed (the page
 * keeps what was read, kafka_up 0) or nothing answered.
 */
int kafka_collect(struct backend_scrape *bs, struct expo *e, char *err, size_t errlen);

/* ---- emit.c: metrics from a snapshot ---- */

/*
 * Add the cluster's families to e from s, and update st's histories
 * (end offsets, status tracks; swept of vanished partitions only when the
 * scrape missed nothing).
 */
void kafka_emit(const struct ksnapshot *s, struct kstate *st, struct expo *e);

/* ---- config.c: flag values ---- */

/*
 * Parse --kafka.labels ("k=v,k2=v2", upstream's splitting) into o.
 * Returns 0, or -1 with a message (invalid or reserved label name).
 */
int parse_const_labels(const char *spec, struct kafka_options *o, char *err, size_t errlen);
void free_const_labels(struct kafka_options *o);

/*
 * Translate the connection flags into librdkafka properties. Returns 0, or
 * -1 with a one-line message for a value that cannot be honoured (an
 * unknown SASL mechanism, GSSAPI, a certificate without its key...). The
 * password is not among the properties (see struct ktarget).
 */
int kafka_conn_props(const struct kafka_conn_flags *f, struct kafka_props *out, char *err, size_t errlen);

/* Parse --consumergroup.lag-seconds: "interpolation", "timestamp" or "none". */
int parse_lag_seconds_method(const char *s, enum lag_seconds_method *out);

#endif
