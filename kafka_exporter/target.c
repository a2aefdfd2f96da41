/*
 * kafka_exporter's side of the backend layer: the target is the cluster
 * (its librdkafka properties, the SASL password and the state kept between
 * scrapes), its connection is one long-lived librdkafka handle. The layer
 * owns the lock, the backoff, kafka_up and the log lines.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../common/log.h"
#include "../common/parse.h"
#include "kafka.h"

/* Handles being destroyed in the background. */
static atomic_int retiring;

/* librdkafka's log lines (from its own threads): debug unless --log.enable-sarama. */
static void on_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
	(void)rk;
	enum log_level lvl = LOG_DEBUG;
	if (kafka_opts.log_client)
		lvl = level <= 3 /* syslog LOG_ERR */ ? LOG_WARN : LOG_INFO;
	if (log_enabled(lvl))
		log_msg(lvl, "librdkafka", "facility", fac, "msg", buf, NULL);
}

/* Errors are served by rd_kafka_poll() in collect; the scrape reports what matters. */
static void on_error(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
	(void)rk;
	(void)opaque;
	log_debug("librdkafka error", "err", rd_kafka_err2name((rd_kafka_resp_err_t)err), "reason", reason, NULL);
}

static rd_kafka_t *make_handle(const struct ktarget *t, char *err, size_t errlen)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	const struct kafka_props *p = &t->props;
	for (size_t i = 0; i < p->n; i++) {
		if (rd_kafka_conf_set(conf, p->props[i].name, p->props[i].value, err, errlen) != RD_KAFKA_CONF_OK) {
			rd_kafka_conf_destroy(conf);
			return NULL;
		}
	}
	if (t->password && rd_kafka_conf_set(conf, "sasl.password", t->password, err, errlen) != RD_KAFKA_CONF_OK) {
		rd_kafka_conf_destroy(conf);
		return NULL;
	}
	rd_kafka_conf_set_log_cb(conf, on_log);
	rd_kafka_conf_set_error_cb(conf, on_error);
	/* A consumer handle: isolation.level applies, and records can be read (lag in seconds). */
	rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, errlen);
	if (!rk)
		rd_kafka_conf_destroy(conf);
	return rk;
}

static void *destroy_handle(void *arg)
{
	rd_kafka_destroy_flags(arg, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
	atomic_fetch_sub(&retiring, 1);
	return NULL;
}

/*
 * The close hook: destroy a handle without making anyone wait for it.
 * librdkafka 2.0.2 can leave a handle whose threads never finish (a failed
 * coordinator request deadlocks it), and destroying such a handle blocks
 * for ever; kafka_wait_retired() bounds the wait at exit.
 */
static void kafka_close(void *conn)
{
	pthread_t th;
	atomic_fetch_add(&retiring, 1);
	if (pthread_create(&th, NULL, destroy_handle, conn) == 0) {
		pthread_detach(th);
	} else {
		atomic_fetch_sub(&retiring, 1);
		log_error("could not start a thread to release a Kafka client; leaving it", NULL);
	}
}

void kafka_wait_retired(double seconds)
{
	double until = mono_now() + seconds;
	while (atomic_load(&retiring) > 0 && mono_now() < until) {
		struct timespec ts = { 0, 50 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	if (atomic_load(&retiring) > 0)
		log_warn("a Kafka client did not finish in time; exiting without it", NULL);
}

/*
 * The open hook: a handle (the one made at start-up first), connected once
 * the cluster answers a metadata request by the deadline; that metadata
 * serves the scrape. A cluster that does not answer is a failed connection,
 * so the layer backs off before the next attempt.
 */
static void *kafka_open(void *spec, double deadline, char *err, size_t errlen)
{
	struct ktarget *t = spec;
	rd_kafka_t *rk = t->first;
	t->first = NULL;
	if (!rk) {
		char why[512] = "";
		rk = make_handle(t, why, sizeof why);
		if (!rk) {
			/* The configuration was accepted at start-up, so this is a resource problem. */
			strf(err, errlen, "could not make a Kafka client: %s", why);
			return NULL;
		}
	}
	rd_kafka_resp_err_t e = kafka_fetch_metadata(rk, &t->state, deadline);
	if (e) {
		strf(err, errlen, "metadata: %s", rd_kafka_err2str(e));
		kafka_close(rk);
		return NULL;
	}
	t->down_streak = 0;
	return rk;
}

static const char *kafka_describe(const void *spec)
{
	return ((const struct ktarget *)spec)->props.bootstrap;
}

static void kafka_free_target(void *spec)
{
	struct ktarget *t = spec;
	if (!t)
		return;
	if (t->first)
		kafka_close(t->first);
	kstate_free(&t->state);
	secret_free(t->password);
	free(t);
}

struct ktarget *ktarget_new(const struct kafka_conn_flags *f, char *err, size_t errlen)
{
	struct ktarget *t = calloc(1, sizeof *t);
	if (!t) {
		strf(err, errlen, "out of memory");
		return NULL;
	}
	if (kafka_conn_props(f, &t->props, err, errlen) < 0) {
		free(t);
		return NULL;
	}
	if (f->sasl_enabled && f->sasl_password && *f->sasl_password) {
		t->password = strdup(f->sasl_password);
		if (!t->password) {
			free(t);
			strf(err, errlen, "out of memory");
			return NULL;
		}
	}
	/* librdkafka checks the properties and loads the TLS files here: refusals exit 2. */
	char why[512] = "";
	t->first = make_handle(t, why, sizeof why);
	if (!t->first) {
		strf(err, errlen, "Kafka client configuration: %s", why);
		kafka_free_target(t);
		return NULL;
	}
	return t;
}

const struct backend_ops kafka_ops = {
	.open = kafka_open, .collect = kafka_collect, .close = kafka_close,
	.describe = kafka_describe, .free_spec = kafka_free_target,
};
