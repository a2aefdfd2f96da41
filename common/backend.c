#include "backend.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "parse.h"

#define MAX_LABELS 33

struct backend_target {
	pthread_mutex_t lock; /* held for a scrape: spec, conn and the connection fields */
	void *spec;
	void *conn;
	char *key; /* pool key; may hold secrets */
	const char *name; /* for logs: ops.describe(spec) */
	struct backoff backoff;
	char connect_err[512]; /* why the last connection attempt failed */
	/* Under b->mu: state, counters, pool bookkeeping. */
	bool down;
	char last_err[512];
	uint64_t scrapes, failures;
	double duration_sum;
	double connect_seconds;
	bool connect_tried;
	int users;
	double last_used;
	/* The latest scrape, for the landing page. */
	bool scraped, last_up, last_partial;
	double last_when; /* wall clock */
	double last_duration;
	char shown_err[512]; /* its error, or why it was partial; "" when clean */
};

enum family_slot {
	F_UP, F_SCRAPES, F_FAILURES, F_LAST_ERROR, F_DURATION, F_DURATIONS, F_CONNECT,
	F_REQUEST_ERRORS, F_N
};
enum line_slot { L_CONNECT_FAILED, L_FAILED, L_CONNECTED, L_RECOVERED };

/* ---- small parts ---- */

void secret_wipe(void *p, size_t n)
{
	if (p)
		explicit_bzero(p, n);
}

void secret_free(char *s)
{
	if (!s)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

double backoff_left(const struct backoff *bo)
{
	double left = bo->next - mono_now();
	return left > 0 ? left : 0;
}

void backoff_failed(struct backoff *bo, double min, double max)
{
	if (min <= 0)
		return;
	bo->wait = bo->wait > 0 ? bo->wait * 2 : min;
	if (bo->wait > max)
		bo->wait = max;
	bo->next = mono_now() + bo->wait;
}

void backoff_reset(struct backoff *bo)
{
	bo->wait = 0;
	bo->next = 0;
}

/* Lock mu, waiting no later than deadline (monotonic seconds). */
static int lock_until(pthread_mutex_t *mu, double deadline)
{
	double left = deadline - mono_now();
	if (left <= 0)
		return pthread_mutex_trylock(mu);
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	double whole = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9 + left;
	ts.tv_sec = (time_t)whole;
	ts.tv_nsec = (long)((whole - (double)ts.tv_sec) * 1e9);
	if (ts.tv_nsec >= 1000000000L)
		ts.tv_nsec = 999999999L;
	return pthread_mutex_timedlock(mu, &ts);
}

/* ---- targets ---- */

static struct backend_target *target_new(struct backend *b, void *spec, char *key)
{
	struct backend_target *t = calloc(1, sizeof *t);
	if (!t)
		return NULL;
	pthread_mutex_init(&t->lock, NULL);
	t->spec = spec;
	t->key = key;
	t->name = b->ops->describe(spec);
	t->last_used = mono_now();
	return t;
}

static void target_free(struct backend *b, struct backend_target *t)
{
	if (!t)
		return;
	if (t->conn)
		b->ops->close(t->conn);
	b->ops->free_spec(t->spec);
	secret_free(t->key);
	pthread_mutex_destroy(&t->lock);
	free(t);
}

int backend_set_default(struct backend *b, void *spec, char *key)
{
	struct backend_target *t = target_new(b, spec, key);
	if (!t) {
		b->ops->free_spec(spec);
		secret_free(key);
		return -1;
	}
	target_free(b, b->default_target);
	b->default_target = t;
	return 0;
}

static void pool_remove(struct backend *b, size_t i)
{
	target_free(b, b->pool[i]);
	b->pool[i] = b->pool[--b->npool];
}

/*
 * The target for key, taking a reference: found, or made from spec
 * (adopted; freed otherwise). NULL with an HTTP status in *status when
 * every slot is being scraped (503) or memory ran out (500).
 */
static struct backend_target *target_acquire(struct backend *b, void *spec, char *key,
					     int *status)
{
	double now = mono_now();
	pthread_mutex_lock(&b->mu);
	struct backend_target *found = NULL;
	if (b->default_target && b->default_target->key && !strcmp(b->default_target->key, key))
		found = b->default_target;
	for (size_t i = 0; i < b->npool;) {
		struct backend_target *t = b->pool[i];
		if (!found && !strcmp(t->key, key)) {
			found = t;
			i++;
		} else if (b->idle_seconds > 0 && t->users == 0 && now - t->last_used > b->idle_seconds) {
			log_debug("forgetting an idle target", "target", t->name, NULL);
			pool_remove(b, i);
		} else {
			i++;
		}
	}
	if (!found && b->npool == b->pool_size) {
		/* Full: drop the least recently used target nobody is scraping. */
		size_t victim = b->npool;
		for (size_t i = 0; i < b->npool; i++)
			if (b->pool[i]->users == 0 &&
			    (victim == b->npool || b->pool[i]->last_used < b->pool[victim]->last_used))
				victim = i;
		if (victim < b->npool)
			pool_remove(b, victim);
	}
	if (!found && b->npool < b->pool_size) {
		found = target_new(b, spec, key);
		if (found) {
			b->pool[b->npool++] = found;
			spec = NULL;
			key = NULL;
		}
	}
	if (!found)
		*status = b->npool < b->pool_size ? 500 : 503;
	if (found) {
		found->users++;
		found->last_used = now;
	}
	pthread_mutex_unlock(&b->mu);
	if (spec)
		b->ops->free_spec(spec);
	secret_free(key);
	return found;
}

static void target_release(struct backend *b, struct backend_target *t)
{
	pthread_mutex_lock(&b->mu);
	t->users--;
	t->last_used = mono_now();
	pthread_mutex_unlock(&b->mu);
}

/* ---- connections (under the target's lock) ---- */

static void *open_conn(struct backend_scrape *bs, char *err, size_t errlen)
{
	struct backend *b = bs->b;
	struct backend_target *t = bs->t;
	double wait = backoff_left(&t->backoff);
	if (wait > 0) {
		strf(err, errlen, "waiting %.1fs before reconnecting; last error: %.400s", wait,
		     t->connect_err);
		bs->waiting = true;
		return NULL;
	}
	double t0 = mono_now();
	void *conn = b->ops->open(t->spec, bs->deadline, err, errlen);
	double took = mono_now() - t0;
	pthread_mutex_lock(&b->mu);
	t->connect_seconds = took;
	t->connect_tried = true;
	bool was_down = t->down;
	pthread_mutex_unlock(&b->mu);
	if (!conn) {
		backoff_failed(&t->backoff, b->backoff_min, b->backoff_max);
		strf(t->connect_err, sizeof t->connect_err, "%s", err);
		bs->open_failed = true;
		return NULL;
	}
	backoff_reset(&t->backoff);
	bs->open_failed = false;
	if (was_down)
		log_info(b->lines[L_CONNECTED], "target", t->name, NULL);
	return conn;
}

void backend_drop(struct backend_scrape *bs)
{
	if (bs->conn)
		bs->b->ops->close(bs->conn);
	bs->conn = bs->t->conn = NULL;
}

bool backend_reconnect(struct backend_scrape *bs, char *err, size_t errlen)
{
	bool retry = bs->reused && !bs->retried && mono_now() < bs->deadline;
	if (retry)
		log_debug("connection broken, reconnecting", "target", bs->t->name, "err", err, NULL);
	backend_drop(bs);
	if (!retry)
		return false;
	bs->retried = true;
	bs->reused = false;
	bs->conn = bs->t->conn = open_conn(bs, err, errlen);
	return bs->conn != NULL;
}

/* ---- one scrape ---- */

/* Constant label names (and values), then extra, NULL-terminated; returns the count. */
static size_t labels_of(const struct backend *b, const char **names, const char **values,
			const char *extra_name, const char *extra_value)
{
	size_t n = 0;
	for (; b->label_names && b->label_names[n] && n + 2 < MAX_LABELS; n++) {
		names[n] = b->label_names[n];
		values[n] = b->label_values[n];
	}
	if (extra_name) {
		names[n] = extra_name;
		values[n++] = extra_value;
	}
	names[n] = NULL;
	return n;
}

static void emit(const struct backend *b, struct expo *e, enum family_slot slot,
		 enum metric_type type, const struct backend_family *f, double v)
{
	if (!f->name)
		return;
	const char *names[MAX_LABELS], *values[MAX_LABELS];
	labels_of(b, names, values, NULL, NULL);
	expo_add(e, expo_family(e, b->names[slot], type, f->help, names), v, values);
}

struct outcome {
	bool up;
	bool error; /* last error: failed, or partial */
	double duration;
	uint64_t scrapes, failures;
	double duration_sum;
	bool connect_tried;
	double connect_seconds;
	const char *err;
};

static void emit_families(struct backend *b, struct expo *e, const struct outcome *o)
{
	const struct backend_metrics *m = &b->metrics;
	emit(b, e, F_UP, METRIC_GAUGE, &m->up, o->up ? 1 : 0);
	emit(b, e, F_SCRAPES, METRIC_COUNTER, &m->scrapes, (double)o->scrapes);
	emit(b, e, F_FAILURES, METRIC_COUNTER, &m->failures, (double)o->failures);
	emit(b, e, F_DURATION, METRIC_GAUGE, &m->duration, o->duration);
	if (o->connect_tried)
		emit(b, e, F_CONNECT, METRIC_GAUGE, &m->connect_time, o->connect_seconds);
	pthread_mutex_lock(&b->mu);
	uint64_t request_errors = b->request_errors;
	pthread_mutex_unlock(&b->mu);
	emit(b, e, F_REQUEST_ERRORS, METRIC_COUNTER, &m->request_errors, (double)request_errors);

	const char *names[MAX_LABELS], *values[MAX_LABELS];
	if (m->last_error.name) {
		labels_of(b, names, values, m->error_label, o->error && o->err ? o->err : "");
		expo_add(e, expo_family(e, b->names[F_LAST_ERROR], METRIC_GAUGE, m->last_error.help, names),
			 o->error ? 1 : 0, values);
	}
	if (m->durations.name) {
		labels_of(b, names, values, NULL, NULL);
		expo_add_summary(e,
				 expo_family(e, b->names[F_DURATIONS], METRIC_SUMMARY, m->durations.help, names),
				 values, o->scrapes, o->duration_sum, 0, NULL, NULL);
	}
}

/*
 * Count the scrape, log a change of the target's state, and emit the
 * families. A scrape that only waited (for its turn, for the backoff)
 * learnt nothing new and leaves the state alone.
 */
static void finish(struct backend *b, struct backend_target *t, const struct backend_scrape *bs,
		   bool up, const char *err, struct expo *e)
{
	struct outcome o = { .up = up, .error = !up || bs->partial, .err = err,
			     .duration = mono_now() - bs->start };
	const char *line = NULL;
	bool debug = false;
	pthread_mutex_lock(&b->mu);
	t->scrapes++;
	t->failures += !up;
	t->duration_sum += o.duration;
	if (!up && !bs->waiting) {
		line = b->lines[bs->open_failed ? L_CONNECT_FAILED : L_FAILED];
		debug = t->down && !strcmp(t->last_err, err);
		t->down = true;
		strf(t->last_err, sizeof t->last_err, "%s", err);
	} else if (up && t->down) {
		line = b->lines[L_RECOVERED];
		t->down = false;
		t->last_err[0] = '\0';
	}
	t->scraped = true;
	t->last_up = up;
	t->last_partial = up && bs->partial;
	t->last_when = wall_now();
	t->last_duration = o.duration;
	strf(t->shown_err, sizeof t->shown_err, "%s", o.error ? err : "");
	o.scrapes = t->scrapes;
	o.failures = t->failures;
	o.duration_sum = t->duration_sum;
	o.connect_tried = t->connect_tried;
	o.connect_seconds = t->connect_seconds;
	pthread_mutex_unlock(&b->mu);

	if (line && up)
		log_info(line, "target", t->name, NULL);
	else if (line && debug)
		log_debug(line, "target", t->name, "err", err, NULL);
	else if (line)
		log_error(line, "target", t->name, "err", err, NULL);
	else if (!up)
		log_debug("scrape failed", "target", t->name, "err", err, NULL);
	emit_families(b, e, &o);
}

static void scrape_target(struct backend *b, struct backend_target *t, struct backend_scrape *bs,
			  struct expo *e)
{
	bs->b = b;
	bs->t = t;
	bs->spec = t->spec;
	bs->start = mono_now();
	double left = request_remaining(bs->rq) - b->margin;
	if (b->max_seconds > 0 && b->max_seconds < left)
		left = b->max_seconds;
	bs->deadline = bs->start + left;

	char err[512] = "";
	int rc = -1;
	if (lock_until(&t->lock, bs->deadline) != 0) {
		/* Another scrape of this target holds it past our deadline (a frozen server). */
		strf(err, sizeof err, "timed out waiting for another scrape of %s", t->name);
		bs->waiting = true;
	} else {
		if (t->conn && b->ops->usable && !b->ops->usable(t->spec, t->conn)) {
			b->ops->close(t->conn);
			t->conn = NULL;
		}
		bs->reused = t->conn != NULL;
		if (!t->conn)
			t->conn = open_conn(bs, err, sizeof err);
		bs->conn = t->conn;
		if (bs->conn || b->collect_unconnected) {
			bs->open_failed = bs->open_failed && !bs->conn;
			rc = b->ops->collect(bs, e, err, sizeof err);
			if (rc != 0 && !err[0])
				strf(err, sizeof err, "the scrape failed");
		}
		pthread_mutex_unlock(&t->lock);
	}
	finish(b, t, bs, rc == 0, err, e);
}

/* ---- handlers ---- */

static struct backend *backend_of(const struct request *rq)
{
	return rq->x->backend;
}

static void request_end(struct backend *b, bool *sel, void *ctx)
{
	if (b->ops->end && ctx)
		b->ops->end(ctx);
	free(sel);
}

/*
 * Collector selection and the request's context; 0 or an HTTP status with
 * msg. *by_begin tells a refusal of the exporter's begin() from a bad filter.
 */
static int request_begin(struct backend *b, const struct request *rq, bool probe, bool **sel,
			 void **ctx, bool *by_begin, char *msg, size_t msglen)
{
	*sel = NULL;
	*ctx = NULL;
	*by_begin = false;
	if (b->filter) {
		*sel = calloc(rq->x->ninst ? rq->x->ninst : 1, sizeof **sel);
		if (!*sel) {
			strf(msg, msglen, "out of memory");
			return 500;
		}
		int status = exporter_select(rq, *sel, msg, msglen);
		if (status) {
			log_warn("bad collector filter", "err", msg, NULL);
			free(*sel);
			*sel = NULL;
			return status;
		}
	}
	int status = b->ops->begin ? b->ops->begin(rq, probe, ctx, msg, msglen) : 0;
	if (status) {
		*by_begin = true;
		request_end(b, *sel, *ctx);
		*sel = NULL;
		*ctx = NULL;
	}
	return status;
}

static void count_request_error(struct backend *b)
{
	pthread_mutex_lock(&b->mu);
	b->request_errors++;
	pthread_mutex_unlock(&b->mu);
}

int backend_metrics_handler(const struct request *rq, struct expo *e, char *msg, size_t msglen)
{
	struct backend *b = backend_of(rq);
	bool *sel, by_begin;
	void *ctx;
	int status = request_begin(b, rq, false, &sel, &ctx, &by_begin, msg, msglen);
	if (status)
		return status;
	if (b->default_target) {
		struct backend_scrape bs = { .rq = rq, .selected = sel, .ctx = ctx };
		scrape_target(b, b->default_target, &bs, e);
	} else if (!b->quiet_without_default) {
		/* Nothing to scrape: the server is not up, yet nothing failed. */
		pthread_mutex_lock(&b->mu);
		uint64_t n = ++b->scrapes_without_target;
		pthread_mutex_unlock(&b->mu);
		struct outcome o = { .scrapes = n };
		emit_families(b, e, &o);
	}
	request_end(b, sel, ctx);
	exporter_self_metrics(rq, e);
	return 0;
}

int backend_route_handler(const struct request *rq, struct expo *e, char *msg, size_t msglen)
{
	struct backend *b = backend_of(rq);
	const char *arg = request_arg(rq, b->target_param);
	if (!arg || !*arg) {
		count_request_error(b);
		strf(msg, msglen, "%s", b->missing_target);
		return 400;
	}
	void *spec = NULL;
	char *key = NULL;
	int status = b->ops->resolve(rq, arg, &spec, &key, msg, msglen);
	if (status) {
		if (status == 400)
			count_request_error(b);
		return status;
	}
	bool *sel, by_begin;
	void *ctx;
	status = request_begin(b, rq, true, &sel, &ctx, &by_begin, msg, msglen);
	if (status) {
		b->ops->free_spec(spec);
		secret_free(key);
		if (status == 400 && by_begin)
			count_request_error(b);
		return status;
	}
	struct backend_target *t = target_acquire(b, spec, key, &status);
	if (!t) {
		request_end(b, sel, ctx);
		if (status == 503)
			strf(msg, msglen, "every one of the %zu targets kept is being scraped; try again later",
			     b->pool_size);
		else
			strf(msg, msglen, "out of memory");
		return status;
	}
	struct backend_scrape bs = { .rq = rq, .selected = sel, .ctx = ctx, .probe = true };
	scrape_target(b, t, &bs, e);
	target_release(b, t);
	request_end(b, sel, ctx);
	if (b->route_build_info)
		exporter_build_info(rq->x, e);
	return 0;
}

/* ---- the landing page's view ---- */

static void view_of(const struct backend_target *t, bool is_default, struct backend_target_view *v)
{
	strf(v->name, sizeof v->name, "%s", t->name);
	v->is_default = is_default;
	v->scraped = t->scraped;
	v->up = t->last_up;
	v->partial = t->last_partial;
	v->when = t->last_when;
	v->duration = t->last_duration;
	v->scrapes = t->scrapes;
	v->failures = t->failures;
	strf(v->err, sizeof v->err, "%s", t->shown_err);
}

static int view_cmp(const void *a, const void *b)
{
	return strcmp(((const struct backend_target_view *)a)->name,
		      ((const struct backend_target_view *)b)->name);
}

size_t backend_target_views(struct backend *b, struct backend_target_view **out)
{
	*out = NULL;
	if (!b->started)
		return 0;
	pthread_mutex_lock(&b->mu);
	size_t n = 0, cap = b->npool + (b->default_target != NULL);
	struct backend_target_view *v = cap ? malloc(cap * sizeof *v) : NULL;
	if (v) {
		if (b->default_target)
			view_of(b->default_target, true, &v[n++]);
		for (size_t i = 0; i < b->npool; i++)
			view_of(b->pool[i], false, &v[n++]);
	}
	pthread_mutex_unlock(&b->mu);
	size_t first = n && v[0].is_default ? 1 : 0;
	if (n > first)
		qsort(v + first, n - first, sizeof *v, view_cmp);
	*out = v;
	return n;
}

const char *backend_example_target(struct backend *b, const struct exporter *x)
{
	if (!b->route || !b->default_target)
		return NULL;
	pthread_mutex_lock(&b->mu);
	if (!b->example_checked) {
		/* Through the route's own checks, without a connection: what a click would meet. */
		const char *name = b->default_target->name;
		struct request rq = { .x = x, .path = b->route };
		void *spec = NULL, *ctx = NULL;
		char *key = NULL, msg[256];
		bool ok = name && *name && strlen(name) < sizeof b->example &&
			  b->ops->resolve(&rq, name, &spec, &key, msg, sizeof msg) == 0;
		if (ok && b->ops->begin)
			ok = b->ops->begin(&rq, true, &ctx, msg, sizeof msg) == 0;
		if (b->ops->end && ctx)
			b->ops->end(ctx);
		if (spec)
			b->ops->free_spec(spec);
		secret_free(key);
		if (ok)
			strf(b->example, sizeof b->example, "%s", name);
		b->example_checked = true;
	}
	pthread_mutex_unlock(&b->mu);
	return b->example[0] ? b->example : NULL;
}

/* ---- start and stop ---- */

static int full_name(char *out, size_t outlen, const char *prefix, const char *name)
{
	if (name[0] == '_')
		return strf(out, outlen, "%s%s", prefix, name) < 0 || !expo_valid_metric_name(out) ? -1 : 0;
	return strf(out, outlen, "%s", name) < 0 || !expo_valid_metric_name(out) ? -1 : 0;
}

int backend_start(struct backend *b, const struct exporter *x, char *err, size_t errlen)
{
	if (!b->server || !b->ops || !b->ops->open || !b->ops->collect || !b->ops->close || !b->ops->describe ||
	    !b->ops->free_spec || !b->metrics.up.name) {
		strf(err, errlen, "backend: server, open, collect, close, describe, free_spec and up are required");
		return -1;
	}
	if (b->route && (!b->ops->resolve || !b->target_param || !b->missing_target || !b->pool_size)) {
		strf(err, errlen, "backend: a route needs resolve, target_param, missing_target and pool_size");
		return -1;
	}
	const struct backend_family *fams[F_N] = {
		[F_UP] = &b->metrics.up,
		[F_SCRAPES] = &b->metrics.scrapes,
		[F_FAILURES] = &b->metrics.failures,
		[F_LAST_ERROR] = &b->metrics.last_error,
		[F_DURATION] = &b->metrics.duration,
		[F_DURATIONS] = &b->metrics.durations,
		[F_CONNECT] = &b->metrics.connect_time,
		[F_REQUEST_ERRORS] = &b->metrics.request_errors,
	};
	for (int i = 0; i < F_N; i++) {
		if (fams[i]->name && full_name(b->names[i], sizeof b->names[i], x->prefix, fams[i]->name) < 0) {
			strf(err, errlen, "backend: invalid metric name %s%s", fams[i]->name[0] == '_' ? x->prefix : "",
			     fams[i]->name);
			return -1;
		}
	}
	const char *given[] = { b->logs.connect_failed, b->logs.failed, b->logs.connected,
				b->logs.recovered };
	for (int i = 0; i < 4; i++) {
		char *line = b->lines[i];
		size_t cap = sizeof b->lines[i];
		if (given[i])
			strf(line, cap, "%s", given[i]);
		else if (i == L_CONNECT_FAILED)
			strf(line, cap, "could not connect to %s", b->server);
		else if (i == L_FAILED)
			strf(line, cap, "scrape of %s failed", b->server);
		else if (i == L_CONNECTED)
			strf(line, cap, "connected to %s", b->server);
		else
			strf(line, cap, "%s answers again", b->server);
	}
	if (b->route) {
		b->pool = calloc(b->pool_size, sizeof *b->pool);
		if (!b->pool) {
			strf(err, errlen, "out of memory");
			return -1;
		}
	}
	pthread_mutex_init(&b->mu, NULL);
	b->started = true;
	return 0;
}

void backend_free(struct backend *b)
{
	target_free(b, b->default_target);
	b->default_target = NULL;
	while (b->npool)
		pool_remove(b, b->npool - 1);
	free(b->pool);
	b->pool = NULL;
	if (b->started)
		pthread_mutex_destroy(&b->mu);
	b->started = false;
}
