/* Targets, their locks, backoff and up/down state (see target.h). */
#include "target.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "../common/lockwait.h"
#include "../common/log.h"
#include "../common/parse.h"
#include "../common/secret.h"

/* Backoff between failed scrapes: doubled from the first to the last. */
#define BACKOFF_FIRST 0.1
#define BACKOFF_LAST 2.0
/* A probe target unused this long is forgotten at the next registration. */
#define PROBE_IDLE 600.0

struct chtarget {
	pthread_mutex_t mu; /* everything below but the registry fields and failures */
	char *key; /* the address as given (may hold credentials): wiped */
	char name[512];
	void *conn; /* NULL while the address is unusable */
	char open_err[256];
	bool down;
	char last_err[512];
	double backoff, next_attempt;
	atomic_uint_fast64_t failures;
	/* registry, under reg.mu */
	unsigned refs;
	double last_used;
};

static struct {
	pthread_mutex_t mu;
	const struct chtarget_ops *ops;
	struct chtarget *main;
	struct chtarget **probe;
	size_t n, max;
} reg = { .mu = PTHREAD_MUTEX_INITIALIZER };

static struct chtarget *target_new(const char *uri, bool probe)
{
	struct chtarget *t = calloc(1, sizeof *t);
	if (!t || !(t->key = strdup(uri))) {
		free(t);
		return NULL;
	}
	pthread_mutex_init(&t->mu, NULL);
	t->conn = reg.ops->open(uri, probe, t->name, sizeof t->name, t->open_err, sizeof t->open_err);
	if (!t->conn && !t->name[0])
		strf(t->name, sizeof t->name, "(unusable address)");
	t->last_used = mono_now();
	return t;
}

static void target_free(struct chtarget *t)
{
	if (!t)
		return;
	if (t->conn)
		reg.ops->close(t->conn);
	secret_free(t->key);
	pthread_mutex_destroy(&t->mu);
	free(t);
}

int chtargets_init(const struct chtarget_ops *ops, const char *main_uri, size_t max_probe, char *err,
		   size_t errlen)
{
	reg.ops = ops;
	reg.max = max_probe;
	reg.probe = calloc(max_probe ? max_probe : 1, sizeof *reg.probe);
	reg.main = reg.probe ? target_new(main_uri, false) : NULL;
	if (!reg.main) {
		strf(err, errlen, "out of memory");
		return -1;
	}
	if (!reg.main->conn)
		log_warn("unusable -scrape_uri; every scrape will report clickhouse_up 0", "err",
			 reg.main->open_err, NULL);
	return 0;
}

void chtargets_fini(void)
{
	while (reg.n)
		target_free(reg.probe[--reg.n]);
	free(reg.probe);
	target_free(reg.main);
	reg.probe = NULL;
	reg.main = NULL;
}

struct chtarget *chtarget_main(void)
{
	return reg.main;
}

/* Make room for one more probe target (reg.mu held): the idle ones first. */
static bool make_room(double now)
{
	size_t oldest = reg.n;
	for (size_t i = 0; i < reg.n;) {
		struct chtarget *t = reg.probe[i];
		if (!t->refs && now - t->last_used > PROBE_IDLE) {
			target_free(t);
			reg.probe[i] = reg.probe[--reg.n];
			continue;
		}
		if (!t->refs && (oldest == reg.n || t->last_used < reg.probe[oldest]->last_used))
			oldest = i;
		i++;
	}
	if (reg.n < reg.max)
		return true;
	if (oldest == reg.n)
		return false;
	target_free(reg.probe[oldest]);
	reg.probe[oldest] = reg.probe[--reg.n];
	return true;
}

struct chtarget *chtarget_from_request(const struct request *rq, int *status, char *msg, size_t msglen)
{
	const char *uri = request_arg(rq, "target");
	if (!uri || !*uri) {
		*status = 400;
		strf(msg, msglen, "'target' parameter must be specified");
		return NULL;
	}
	double now = mono_now();
	pthread_mutex_lock(&reg.mu);
	struct chtarget *t = NULL;
	for (size_t i = 0; i < reg.n && !t; i++)
		if (!strcmp(reg.probe[i]->key, uri))
			t = reg.probe[i];
	if (!t) {
		if (!make_room(now)) {
			pthread_mutex_unlock(&reg.mu);
			*status = 503;
			strf(msg, msglen, "too many targets being probed at once");
			return NULL;
		}
		t = target_new(uri, true);
		if (!t || !t->conn) {
			*status = t ? 400 : 503;
			strf(msg, msglen, "invalid 'target' parameter: %s", t ? t->open_err : "out of memory");
			pthread_mutex_unlock(&reg.mu);
			target_free(t);
			return NULL;
		}
		reg.probe[reg.n++] = t;
	}
	t->refs++;
	t->last_used = now;
	pthread_mutex_unlock(&reg.mu);
	return t;
}

void chtarget_put(struct chtarget *t)
{
	if (t == reg.main)
		return;
	pthread_mutex_lock(&reg.mu);
	t->refs--;
	pthread_mutex_unlock(&reg.mu);
}

/* Record a failed scrape (t->mu held): log on change, back off. */
static void failed(struct chtarget *t, const char *err, bool backoff)
{
	atomic_fetch_add(&t->failures, 1);
	if (!t->down || strcmp(err, t->last_err) != 0)
		log_error("scrape of ClickHouse failed", "target", t->name, "err", err, NULL);
	t->down = true;
	strf(t->last_err, sizeof t->last_err, "%s", err);
	if (backoff) {
		t->backoff = t->backoff > 0 ? fmin(t->backoff * 2, BACKOFF_LAST) : BACKOFF_FIRST;
		t->next_attempt = mono_now() + t->backoff;
	}
}

void *chtarget_begin(struct chtarget *t, double deadline, char *err, size_t errlen)
{
	if (lock_wait(&t->mu, deadline) != 0) {
		/* Counted without the lock: the scrape holding it logs for both. */
		atomic_fetch_add(&t->failures, 1);
		strf(err, errlen, "timed out waiting for another scrape of %s", t->name);
		return NULL;
	}
	if (!t->conn) {
		strf(err, errlen, "%s", t->open_err);
		failed(t, err, false);
		pthread_mutex_unlock(&t->mu);
		return NULL;
	}
	if (t->down && mono_now() < t->next_attempt) {
		/* The same reason as last time: not logged again. */
		strf(err, errlen, "%s", t->last_err);
		atomic_fetch_add(&t->failures, 1);
		pthread_mutex_unlock(&t->mu);
		return NULL;
	}
	return t->conn;
}

void chtarget_end(struct chtarget *t, bool up, const char *err)
{
	if (up) {
		if (t->down)
			log_info("ClickHouse answers again", "target", t->name, NULL);
		t->down = false;
		t->backoff = 0;
		t->last_err[0] = '\0';
	} else {
		failed(t, err && *err ? err : "unknown error", true);
	}
	pthread_mutex_unlock(&t->mu);
}

uint64_t chtarget_failures(const struct chtarget *t)
{
	return atomic_load(&t->failures);
}

const char *chtarget_name(const struct chtarget *t)
{
	return t->name;
}
