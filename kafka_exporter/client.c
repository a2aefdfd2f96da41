/*
 * The one librdkafka handle of the exporter and its lifetime (see client.h).
 */
#define _GNU_SOURCE /* pthread_timedjoin_np */
#include "client.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../common/deadline.h"
#include "../common/exporter.h"
#include "../common/log.h"
#include "../common/parse.h"

/* Backoff after a scrape that reached nothing: doubling from 1 s up to this. */
#define BACKOFF_MAX 16.0
/* Consecutive unreachable scrapes before the handle is replaced, and then every so many. */
#define REPLACE_AFTER 3
#define REPLACE_EVERY 10
/* How long freeing waits for librdkafka's threads to finish. */
#define DESTROY_WAIT 5

struct kclient {
	pthread_mutex_t mu; /* held by the scrape using the handle */
	rd_kafka_t *rk;
	struct kprop *props;
	size_t nprops;
	char password[1024]; /* secret */
	bool has_password;
	char display[512];
	bool log_client;
	void *state;
	/* outcome of past scrapes, under mu */
	bool ran;
	enum kclient_outcome last;
	unsigned down_streak;
	double retry_at; /* monotonic seconds: no attempt before */
	bool replace; /* make a new handle at the next acquire */
};

/* Handles being destroyed in the background. */
static atomic_int destroying;

static void wipe(void *p, size_t n)
{
	volatile unsigned char *s = p;
	while (n--)
		*s++ = 0;
}

/* librdkafka's log lines (from its own threads): debug unless --log.enable-sarama. */
static void on_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
	const struct kclient *c = rd_kafka_opaque(rk);
	enum log_level lvl = LOG_DEBUG;
	if (c && c->log_client)
		lvl = level <= 3 /* syslog LOG_ERR */ ? LOG_WARN : LOG_INFO;
	if (log_enabled(lvl))
		log_msg(lvl, "librdkafka", "facility", fac, "msg", buf, NULL);
}

/* Errors are served by rd_kafka_poll() at acquire; the scrape reports what matters. */
static void on_error(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
	(void)rk;
	(void)opaque;
	log_debug("librdkafka error", "err", rd_kafka_err2name((rd_kafka_resp_err_t)err), "reason", reason, NULL);
}

static rd_kafka_t *make_handle(struct kclient *c, char *err, size_t errlen)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	for (size_t i = 0; i < c->nprops; i++) {
		if (rd_kafka_conf_set(conf, c->props[i].name, c->props[i].value, err, errlen) != RD_KAFKA_CONF_OK) {
			rd_kafka_conf_destroy(conf);
			return NULL;
		}
	}
	if (c->has_password &&
	    rd_kafka_conf_set(conf, "sasl.password", c->password, err, errlen) != RD_KAFKA_CONF_OK) {
		rd_kafka_conf_destroy(conf);
		return NULL;
	}
	rd_kafka_conf_set_opaque(conf, c);
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
	atomic_fetch_sub(&destroying, 1);
	return NULL;
}

/*
 * Destroy a handle without making anyone wait for it: librdkafka 2.0.2 can
 * leave a handle whose threads never finish (a failed coordinator request
 * deadlocks it), and destroying such a handle blocks for ever.
 */
static void retire_handle(rd_kafka_t *rk)
{
	pthread_t t;
	atomic_fetch_add(&destroying, 1);
	if (pthread_create(&t, NULL, destroy_handle, rk) == 0) {
		pthread_detach(t);
	} else {
		atomic_fetch_sub(&destroying, 1);
		log_error("could not start a thread to release the old Kafka client; keeping it", NULL);
	}
}

int kclient_new(const struct kclient_conf *conf, struct kclient **out, char *err, size_t errlen)
{
	struct kclient *c = calloc(1, sizeof *c);
	if (!c) {
		strf(err, errlen, "out of memory");
		return -1;
	}
	pthread_mutex_init(&c->mu, NULL);
	c->props = calloc(conf->nprops ? conf->nprops : 1, sizeof *c->props);
	if (!c->props) {
		kclient_free(c);
		strf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < conf->nprops; i++) {
		c->props[i].name = strdup(conf->props[i].name);
		c->props[i].value = strdup(conf->props[i].value);
		c->nprops = i + 1;
		if (!c->props[i].name || !c->props[i].value) {
			kclient_free(c);
			strf(err, errlen, "out of memory");
			return -1;
		}
	}
	if (conf->password) {
		if (strlen(conf->password) >= sizeof c->password) {
			kclient_free(c);
			strf(err, errlen, "the SASL password is longer than %zu bytes", sizeof c->password - 1);
			return -1;
		}
		strf(c->password, sizeof c->password, "%s", conf->password);
		c->has_password = true;
	}
	strf(c->display, sizeof c->display, "%s", conf->display ? conf->display : "");
	c->log_client = conf->log_client;
	c->state = conf->state;
	c->rk = make_handle(c, err, errlen);
	if (!c->rk) {
		kclient_free(c);
		return -1;
	}
	*out = c;
	return 0;
}

int kclient_acquire(struct kclient *c, double deadline, struct kclient_use *use, char *err, size_t errlen)
{
	if (mutex_lock_until(&c->mu, deadline) != 0) {
		strf(err, errlen, "another scrape of the cluster is still running");
		return -1;
	}
	double now = mono_now();
	if (now < c->retry_at) {
		pthread_mutex_unlock(&c->mu);
		strf(err, errlen, "cluster unreachable at the last attempt; next attempt in %.1fs",
		     c->retry_at - now);
		return -1;
	}
	if (c->replace || !c->rk) {
		char e[512] = "";
		rd_kafka_t *rk = make_handle(c, e, sizeof e);
		if (!rk) {
			/* The configuration was accepted at start-up, so this is a resource problem. */
			pthread_mutex_unlock(&c->mu);
			strf(err, errlen, "could not make a new Kafka client: %s", e);
			return -1;
		}
		if (c->rk) {
			log_info("replacing the Kafka client after repeated failures", "servers", c->display, NULL);
			retire_handle(c->rk);
		}
		c->rk = rk;
		c->replace = false;
	}
	/* Serve queued error events so they never pile up while nobody else polls. */
	rd_kafka_poll(c->rk, 0);
	*use = (struct kclient_use){ .rk = c->rk, .state = c->state };
	return 0;
}

void kclient_release(struct kclient *c, enum kclient_outcome outcome, const char *reason)
{
	bool changed = !c->ran || outcome != c->last;
	if (!reason || !*reason)
		reason = "unknown";
	switch (outcome) {
	case KCLIENT_OK:
		if (changed && c->ran)
			log_info("kafka cluster answering again", "servers", c->display, NULL);
		c->down_streak = 0;
		c->retry_at = 0;
		break;
	case KCLIENT_PARTIAL:
		if (changed)
			log_warn("kafka cluster answered partially", "servers", c->display, "err", reason, NULL);
		else
			log_debug("kafka cluster still answering partially", "err", reason, NULL);
		c->down_streak = 0;
		c->retry_at = 0;
		break;
	case KCLIENT_DOWN: {
		if (changed)
			log_error("kafka cluster unreachable", "servers", c->display, "err", reason, NULL);
		else
			log_debug("kafka cluster still unreachable", "err", reason, NULL);
		c->down_streak++;
		double backoff = 1;
		for (unsigned i = 1; i < c->down_streak && backoff < BACKOFF_MAX; i++)
			backoff *= 2;
		if (backoff > BACKOFF_MAX)
			backoff = BACKOFF_MAX;
		c->retry_at = mono_now() + backoff;
		if (c->down_streak >= REPLACE_AFTER && (c->down_streak - REPLACE_AFTER) % REPLACE_EVERY == 0)
			c->replace = true;
		break;
	}
	}
	c->ran = true;
	c->last = outcome;
	pthread_mutex_unlock(&c->mu);
}

void kclient_free(struct kclient *c)
{
	if (!c)
		return;
	if (c->rk) {
		pthread_t t;
		atomic_fetch_add(&destroying, 1);
		if (pthread_create(&t, NULL, destroy_handle, c->rk) == 0) {
			struct timespec abs;
			clock_gettime(CLOCK_REALTIME, &abs);
			abs.tv_sec += DESTROY_WAIT;
			if (pthread_timedjoin_np(t, NULL, &abs) != 0) {
				log_warn("the Kafka client did not finish in time; exiting without it", NULL);
				pthread_detach(t);
			}
		} else {
			atomic_fetch_sub(&destroying, 1);
		}
	}
	/* Handles replaced earlier may still be finishing. */
	for (int i = 0; i < DESTROY_WAIT * 10 && atomic_load(&destroying) > 0; i++) {
		struct timespec ts = { 0, 100 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	for (size_t i = 0; i < c->nprops; i++) {
		free((char *)c->props[i].name);
		free((char *)c->props[i].value);
	}
	free(c->props);
	wipe(c->password, sizeof c->password);
	pthread_mutex_destroy(&c->mu);
	free(c);
}
