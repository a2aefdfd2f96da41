/*
 * The connection to one Kafka cluster, and everything about its lifetime:
 * the one long-lived librdkafka handle, the lock a scrape holds while it
 * uses it (taken with the scrape's deadline), the backoff after the cluster
 * could not be reached, replacing a handle that stopped answering, logging
 * the cluster's state once per change, and the SASL password (wiped when
 * freed). This is what the common backend layer will own; scrapes see only
 * kclient_acquire() and kclient_release().
 */
#ifndef KAFKA_EXPORTER_CLIENT_H
#define KAFKA_EXPORTER_CLIENT_H

#include <librdkafka/rdkafka.h>
#include <stdbool.h>
#include <stddef.h>

struct kclient;

/* One librdkafka configuration property. */
struct kprop {
	const char *name;
	const char *value;
};

struct kclient_conf {
	const struct kprop *props; /* applied in order; copied by kclient_new */
	size_t nprops;
	const char *password; /* sasl.password or NULL: copied, never logged, wiped on free */
	const char *display; /* the bootstrap servers, for log lines */
	bool log_client; /* librdkafka's own log lines at info level (else debug) */
	void *state; /* the scrape code's state between scrapes, handed back by acquire */
};

/*
 * Make the client and its first handle (librdkafka connects in the
 * background). Returns 0, or -1 with a one-line message in err when
 * librdkafka refuses the configuration (the program then exits 2).
 */
int kclient_new(const struct kclient_conf *conf, struct kclient **out, char *err, size_t errlen);

/* What kclient_acquire hands to one scrape. */
struct kclient_use {
	rd_kafka_t *rk;
	void *state;
};

/*
 * Take the client for one scrape, waiting for another scrape to finish no
 * later than deadline (monotonic seconds). Returns 0 with *use filled; or
 * -1 with the reason in err when the deadline passed first, or when the
 * cluster was unreachable lately and the backoff has not expired (the
 * scrape then answers at once, with kafka_up 0).
 */
int kclient_acquire(struct kclient *c, double deadline, struct kclient_use *use, char *err, size_t errlen);

/* How a scrape went, for kclient_release. */
enum kclient_outcome {
	KCLIENT_OK, /* every request answered */
	KCLIENT_PARTIAL, /* the cluster answered, some requests failed */
	KCLIENT_DOWN, /* nothing answered: back off, and replace the handle if it persists */
};

/*
 * Give the client back after a scrape, with its outcome and (unless OK) a
 * one-line reason without secrets. Logs when the state changes: one line
 * when the cluster becomes unreachable or partially answering, one when it
 * recovers.
 */
void kclient_release(struct kclient *c, enum kclient_outcome outcome, const char *reason);

/* Destroy the handle (bounded in time) and wipe the password. */
void kclient_free(struct kclient *c);

#endif
