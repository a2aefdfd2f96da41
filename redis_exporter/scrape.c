/*
 * One scrape of one target: the registry of targets (the --redis.addr one
 * and those named by /scrape?target=), the pipelined fetch under the
 * target's mutex, the collectors over the replies, and upstream's
 * exporter self metrics.
 */
#define _GNU_SOURCE /* strcasestr */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../common/log.h"
#include "../common/parse.h"
#include "info.h"
#include "redis.h"

/* Most /scrape targets kept connected at once; the least recently used idle one goes first. */
#define MAX_TARGETS 256
/* Time kept back from the request deadline for the collectors and the rendering. */
#define DEADLINE_MARGIN 0.05

struct rtarget {
	pthread_mutex_t mu; /* connection, counters and log state */
	struct raddr addr;
	char password[512]; /* chosen at registration; secret */
	char user[128];
	struct rconn_opts copts;
	struct rconn conn;
	uint64_t scrapes;
	double duration_sum;
	bool connected_once;
	bool down; /* last scrape failed (for logging state changes) */
	char last_err[512];
	unsigned logged_unsupported; /* RCAP_* already logged */
	/* registry, under reg.mu */
	int refs;
	double last_used;
};

static struct {
	pthread_mutex_t mu;
	struct rtarget *main_target; /* NULL when --redis.addr is empty */
	struct rtarget *list[MAX_TARGETS];
	size_t n;
	struct pwfile *pw;
	const char *user;
	double timeout;
	bool set_client_name;
} reg = { .mu = PTHREAD_MUTEX_INITIALIZER };

static atomic_ulong target_request_errors;

/* Written at start-up only (flags), read by every scrape. */
struct redis_options redis_opts = { .ns = "redis", .config_command = "CONFIG", .empty_databases = true };

static void wipe(char *s, size_t n)
{
	volatile char *p = s;
	while (n--)
		*p++ = 0;
}

static struct rtarget *target_new(const struct raddr *a, const char *user, const char *password)
{
	struct rtarget *t = calloc(1, sizeof *t);
	if (!t)
		return NULL;
	pthread_mutex_init(&t->mu, NULL);
	t->addr = *a;
	wipe(t->addr.password, sizeof t->addr.password);
	strf(t->user, sizeof t->user, "%s", user ? user : "");
	if (password)
		strf(t->password, sizeof t->password, "%s", password);
	t->copts = (struct rconn_opts){
		.timeout = reg.timeout,
		.set_client_name = reg.set_client_name,
		.user = t->user,
		.password = password && *password ? t->password : NULL,
	};
	t->conn.cluster = -1;
	return t;
}

static void target_free(struct rtarget *t)
{
	if (!t)
		return;
	rconn_close(&t->conn);
	wipe(t->password, sizeof t->password);
	pthread_mutex_destroy(&t->mu);
	free(t);
}

int redis_targets_init(const char *addr, const char *user, const char *password,
		       const char *password_file, double timeout, bool set_client_name,
		       bool scrape_enabled, char *err, size_t errlen)
{
	(void)scrape_enabled;
	reg.user = user;
	reg.timeout = timeout;
	reg.set_client_name = set_client_name;
	if (password_file && *password_file) {
		reg.pw = pwfile_load(password_file, err, errlen);
		if (!reg.pw)
			return -1;
		log_info("loaded the password file", "path", password_file, "entries",
			 pwfile_count(reg.pw) ? "some" : "none", NULL);
	}
	if (!addr || !*addr)
		return 0;
	struct raddr a;
	if (raddr_parse(addr, false, &a, err, errlen) < 0)
		return -1;
	/* Precedence as upstream: --redis.password, the password file, the address's own. */
	const char *pw = NULL;
	if (password && *password) {
		pw = password;
	} else {
		char given[700];
		strf(given, sizeof given, "%s%s", strstr(addr, "://") ? "" : "redis://", addr);
		pw = pwfile_lookup(reg.pw, strchr(given, '@') ? NULL : given, &a);
		if (!pw && a.has_password)
			pw = a.password;
	}
	const char *u = user && *user ? user : a.user;
	reg.main_target = target_new(&a, u, pw);
	wipe(a.password, sizeof a.password);
	if (!reg.main_target) {
		strf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

void redis_targets_free(void)
{
	target_free(reg.main_target);
	reg.main_target = NULL;
	for (size_t i = 0; i < reg.n; i++)
		target_free(reg.list[i]);
	reg.n = 0;
	pwfile_free(reg.pw);
	reg.pw = NULL;
}

/* Find or add a /scrape target; NULL with msg if the registry is full. */
static struct rtarget *target_acquire(const struct raddr *a, const char *given, char *msg,
				      size_t msglen)
{
	pthread_mutex_lock(&reg.mu);
	struct rtarget *t = NULL;
	/* The configured target keeps its credentials: they belong to that very address. */
	if (reg.main_target && !strcmp(reg.main_target->addr.display, a->display))
		t = reg.main_target;
	for (size_t i = 0; !t && i < reg.n; i++)
		if (!strcmp(reg.list[i]->addr.display, a->display))
			t = reg.list[i];
	if (!t) {
		if (reg.n == MAX_TARGETS) {
			size_t victim = MAX_TARGETS;
			for (size_t i = 0; i < reg.n; i++)
				if (!reg.list[i]->refs &&
				    (victim == MAX_TARGETS || reg.list[i]->last_used < reg.list[victim]->last_used))
					victim = i;
			if (victim == MAX_TARGETS) {
				pthread_mutex_unlock(&reg.mu);
				strf(msg, msglen, "too many targets being scraped at once");
				return NULL;
			}
			target_free(reg.list[victim]);
			reg.list[victim] = reg.list[--reg.n];
		}
		/* Only the password file may give a password to a host named in a URL. */
		const char *pw = pwfile_lookup(reg.pw, given, a);
		t = target_new(a, a->user[0] ? a->user : reg.user, pw);
		if (!t) {
			pthread_mutex_unlock(&reg.mu);
			strf(msg, msglen, "out of memory");
			return NULL;
		}
		reg.list[reg.n++] = t;
	}
	t->refs++;
	t->last_used = mono_now();
	pthread_mutex_unlock(&reg.mu);
	return t;
}

static void target_release(struct rtarget *t)
{
	pthread_mutex_lock(&reg.mu);
	t->refs--;
	pthread_mutex_unlock(&reg.mu);
}

/* Lock t->mu, waiting no later than deadline (monotonic seconds). */
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
	return pthread_mutex_timedlock(mu, &ts);
}

/* Does this error reply mean the command will never work on this connection? */
static bool unsupported_error(const redisReply *r)
{
	if (!r || r->type != REDIS_REPLY_ERROR)
		return false;
	return strcasestr(r->str, "unknown") || has_prefix(r->str, "NOPERM") ||
	       strstr(r->str, "disabled") || strcasestr(r->str, "wrong number of arguments");
}

static bool want(const struct request *rq, const bool *selected, const struct collector_def *d)
{
	for (size_t i = 0; i < rq->x->ninst; i++)
		if (rq->x->inst[i].def == d)
			return selected[i];
	return false;
}

static const char *const config_keys[] = { "maxmemory", "maxclients", "io-threads",
					   "repl-backlog-size", "client-output-buffer-limit",
					   "databases" };

/* Log a command failing for good once per connection... and per target. */
static void note_unsupported(struct rtarget *t, unsigned cap, const char *what, const redisReply *r)
{
	t->conn.unsupported |= cap;
	if (t->logged_unsupported & cap)
		return;
	t->logged_unsupported |= cap;
	log_warn("command not available on this server; not sent again on this connection", "addr",
		 t->addr.display, "command", what, "err", r ? r->str : "", NULL);
}

static bool text_reply(const redisReply *r)
{
	return r && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS);
}

/*
 * Fill rs for one scrape of t (t->mu held). Returns 0 when the server
 * answered INFO, else -1 with err.
 */
static int fetch(const struct request *rq, const bool *sel, struct rtarget *t,
		 const struct keyplan *kp, struct rscrape *rs, double deadline, double *ping,
		 char *err, size_t errlen)
{
	const struct redis_options *o = &redis_opts;
	struct rconn *c = &t->conn;
	bool w_info = want(rq, sel, &collector_info), w_config = want(rq, sel, &collector_config);
	bool w_cluster = want(rq, sel, &collector_cluster);
	bool config_ok = strcmp(o->config_command, "-") != 0;
	struct rcmd cmds[SLOT_N];
	int slot_of[SLOT_N];

	for (int attempt = 0;; attempt++) {
		t->connected_once = true;
		if (rconn_ensure(c, &t->addr, &t->copts, deadline, err, errlen) < 0)
			return -1;
		bool fresh = c->fresh;
		if (o->ping_on_connect) {
			struct rcmd pc;
			redisReply *pr = NULL;
			RCMD(&pc, "PING");
			double t0 = mono_now();
			if (rconn_exec(c, &t->copts, &pc, 1, &pr, deadline, err, errlen) == 0) {
				if (pr->type != REDIS_REPLY_ERROR)
					*ping = mono_now() - t0;
				replies_free(&pr, 1);
			}
		}
		size_t n = 0;
		for (int i = 0; i < SLOT_N; i++)
			slot_of[i] = -1;
		if (c->ctx && config_ok && !(c->unsupported & RCAP_CONFIG)) {
			if (w_config && o->include_config_metrics) {
				slot_of[SLOT_CONFIG_FIRST] = (int)n;
				RCMD(&cmds[n++], o->config_command, "GET", "*");
			} else {
				for (size_t k = 0; k < sizeof config_keys / sizeof config_keys[0]; k++) {
					bool dbs = !strcmp(config_keys[k], "databases");
					if (!(w_config || (dbs && w_info)))
						continue;
					slot_of[SLOT_CONFIG_FIRST + (int)k] = (int)n;
					RCMD(&cmds[n++], o->config_command, "GET", config_keys[k]);
				}
			}
		}
		slot_of[SLOT_INFO] = (int)n;
		if (c->unsupported & RCAP_INFO_ALL)
			RCMD(&cmds[n++], "INFO");
		else
			RCMD(&cmds[n++], "INFO", "ALL");
		if (w_cluster && c->cluster == 1 && !(c->unsupported & RCAP_CLUSTER)) {
			slot_of[SLOT_CLUSTER_INFO] = (int)n;
			RCMD(&cmds[n++], "CLUSTER", "INFO");
		}
		if (want(rq, sel, &collector_latency) && !(c->unsupported & RCAP_LATENCY)) {
			slot_of[SLOT_LATENCY] = (int)n;
			RCMD(&cmds[n++], "LATENCY", "LATEST");
		}
		if (want(rq, sel, &collector_slowlog) && !(c->unsupported & RCAP_SLOWLOG)) {
			slot_of[SLOT_SLOWLOG_LEN] = (int)n;
			RCMD(&cmds[n++], "SLOWLOG", "LEN");
			slot_of[SLOT_SLOWLOG_GET] = (int)n;
			RCMD(&cmds[n++], "SLOWLOG", "GET", "1");
		}
		if (want(rq, sel, &collector_clients) && !(c->unsupported & RCAP_CLIENT_LIST)) {
			slot_of[SLOT_CLIENT_LIST] = (int)n;
			RCMD(&cmds[n++], "CLIENT", "LIST");
		}
		redisReply *r[SLOT_N];
		if (c->ctx && rconn_exec(c, &t->copts, cmds, n, r, deadline, err, errlen) == 0) {
			for (int i = 0; i < SLOT_N; i++)
				rs->r[i] = slot_of[i] >= 0 ? r[slot_of[i]] : NULL;
			break;
		}
		/* A reused connection may have gone stale (server restarted): one retry on a new one. */
		if (fresh || attempt > 0 || deadline - mono_now() <= 0) {
			char tmp[512];
			strf(tmp, sizeof tmp, "%s", err);
			strf(err, errlen, "%.300s: %.200s", t->addr.display, tmp);
			return -1;
		}
		log_debug("connection broken, reconnecting", "addr", t->addr.display, "err", err, NULL);
	}

	/* Capabilities, probed once per connection. */
	for (int i = SLOT_CONFIG_FIRST; i <= SLOT_CONFIG_LAST; i++)
		if (unsupported_error(rs->r[i]))
			note_unsupported(t, RCAP_CONFIG, "CONFIG GET", rs->r[i]);
	if (unsupported_error(rs->r[SLOT_LATENCY]))
		note_unsupported(t, RCAP_LATENCY, "LATENCY LATEST", rs->r[SLOT_LATENCY]);
	if (unsupported_error(rs->r[SLOT_SLOWLOG_LEN]))
		note_unsupported(t, RCAP_SLOWLOG, "SLOWLOG", rs->r[SLOT_SLOWLOG_LEN]);
	if (unsupported_error(rs->r[SLOT_CLIENT_LIST]))
		note_unsupported(t, RCAP_CLIENT_LIST, "CLIENT LIST", rs->r[SLOT_CLIENT_LIST]);
	if (unsupported_error(rs->r[SLOT_CLUSTER_INFO]))
		note_unsupported(t, RCAP_CLUSTER, "CLUSTER INFO", rs->r[SLOT_CLUSTER_INFO]);

	/* INFO ALL refused or empty: plain INFO, as upstream, remembered for the connection. */
	redisReply *info = rs->r[SLOT_INFO];
	if (!(c->unsupported & RCAP_INFO_ALL) &&
	    (!info || (info->type == REDIS_REPLY_STRING && info->len == 0) ||
	     (info->type == REDIS_REPLY_ERROR && unsupported_error(info)))) {
		struct rcmd ic;
		RCMD(&ic, "INFO");
		redisReply *r2 = NULL;
		if (rconn_exec(c, &t->copts, &ic, 1, &r2, deadline, err, errlen) < 0)
			return -1;
		c->unsupported |= RCAP_INFO_ALL;
		replies_free(&rs->r[SLOT_INFO], 1);
		rs->r[SLOT_INFO] = info = r2;
	}
	if (!info || info->type != REDIS_REPLY_STRING) {
		strf(err, errlen, "%s", info && info->type == REDIS_REPLY_ERROR ? info->str : "INFO: unexpected reply");
		/* NOAUTH, LOADING...: start over with a new connection next time. */
		rconn_close(c);
		return -1;
	}
	c->cluster = strstr(info->str, "cluster_enabled:1") ? 1 : 0;
	rs->cluster = c->cluster == 1;

	/* Cluster mode learnt just now: its CLUSTER INFO in one more round trip, then pipelined. */
	if (w_cluster && rs->cluster && !rs->r[SLOT_CLUSTER_INFO] && !(c->unsupported & RCAP_CLUSTER)) {
		struct rcmd cc;
		RCMD(&cc, "CLUSTER", "INFO");
		char cerr[256];
		if (rconn_exec(c, &t->copts, &cc, 1, &rs->r[SLOT_CLUSTER_INFO], deadline, cerr, sizeof cerr) == 0 &&
		    unsupported_error(rs->r[SLOT_CLUSTER_INFO]))
			note_unsupported(t, RCAP_CLUSTER, "CLUSTER INFO", rs->r[SLOT_CLUSTER_INFO]);
	}

	/* Databases to pad with zero series: CONFIG's count, 16 when unknown, 1 in cluster mode. */
	rs->dbcount = 16;
	const redisReply *dbr = rs->r[SLOT_CONFIG_FIRST + 5];
	if (o->include_config_metrics)
		dbr = rs->r[SLOT_CONFIG_FIRST];
	if (dbr && dbr->type == REDIS_REPLY_ARRAY) {
		for (size_t i = 0; i + 1 < dbr->elements; i += 2) {
			int64_t v;
			if (text_reply(dbr->element[i]) && !strcmp(dbr->element[i]->str, "databases") &&
			    text_reply(dbr->element[i + 1]) && parse_i64(dbr->element[i + 1]->str, &v) == 0 &&
			    v > 0)
				rs->dbcount = (long)v;
		}
	}
	if (rs->cluster && text_reply(rs->r[SLOT_CLUSTER_INFO]))
		rs->dbcount = 1;

	bool on_master = strstr(info->str, "\nrole:master") || has_prefix(info->str, "role:master");
	if (want(rq, sel, &collector_keys) && !(o->skip_keys_on_master && on_master) &&
	    ((kp->check && kp->check->n) || (kp->single && kp->single->n) || (kp->count && kp->count->n))) {
		keycheck_run(c, &t->copts, kp, &rs->keys, deadline);
		rs->keys_ran = true;
	}
	return 0;
}

static double wall_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void build_info(struct expo *e)
{
	struct family *f = redis_family(
		e, redis_opts.ns, "exporter_build_info", METRIC_GAUGE,
		"Build of this exporter: version and commit; always 1 (golang_version is empty: written in C).",
		(const char *const[]){ "version", "commit_sha", "build_date", "golang_version", NULL });
	expo_sample(e, f, 1, suite_version, suite_revision, "", "");
}

/* Scrape t into e: fetch under t's lock, collectors, self metrics. */
static void scrape_target(const struct request *rq, const bool *sel, struct rtarget *t,
			  const struct keyplan *kp, struct expo *e)
{
	double t0 = mono_now();
	double deadline = t0 + request_remaining(rq) - DEADLINE_MARGIN;
	struct rscrape rs = { .now = wall_now() };
	char err[512] = "";
	double ping = -1, connect_time = -1;
	int up = 0;
	uint64_t scrapes = 0;
	double dsum = 0;
	bool locked = lock_until(&t->mu, deadline) == 0;
	if (!locked) {
		strf(err, sizeof err, "timed out waiting for another scrape of %.400s", t->addr.display);
	} else {
		up = fetch(rq, sel, t, kp, &rs, deadline, &ping, err, sizeof err) == 0;
		if (t->connected_once)
			connect_time = t->conn.connect_seconds;
		double dt = mono_now() - t0;
		t->scrapes++;
		t->duration_sum += dt;
		scrapes = t->scrapes;
		dsum = t->duration_sum;
		if (!up && (!t->down || strcmp(err, t->last_err)))
			log_error("scrape of Redis failed", "addr", t->addr.display, "err", err, NULL);
		else if (up && t->down)
			log_info("Redis answers again", "addr", t->addr.display, NULL);
		t->down = !up;
		strf(t->last_err, sizeof t->last_err, "%s", up ? "" : err);
		pthread_mutex_unlock(&t->mu);
	}

	if (up)
		exporter_run_collectors(rq, sel, &rs, e);
	replies_free(rs.r, SLOT_N);
	keycheck_free(&rs.keys);

	const char *ns = redis_opts.ns;
	struct family *f = redis_family(e, ns, "up", METRIC_GAUGE,
					"Whether the last scrape of Redis succeeded (connected and INFO answered).",
					NULL);
	expo_value(e, f, up);
	f = redis_family(e, ns, "exporter_last_scrape_error", METRIC_GAUGE,
			 "1 and the error text in err if the last scrape failed, else 0 and err=\"\".",
			 (const char *const[]){ "err", NULL });
	expo_sample(e, f, up ? 0 : 1, up ? "" : err);
	double took = mono_now() - t0;
	expo_value(e, redis_family(e, ns, "exporter_last_scrape_duration_seconds", METRIC_GAUGE,
				   "Duration of the last scrape of Redis in seconds.", NULL),
		   took);
	if (connect_time >= 0)
		expo_value(e,
			   redis_family(e, ns, "exporter_last_scrape_connect_time_seconds", METRIC_GAUGE,
					"Duration of the latest connection attempt to Redis in seconds (connections are kept between scrapes).",
					NULL),
			   connect_time);
	if (ping >= 0)
		expo_value(e, redis_family(e, ns, "exporter_last_scrape_ping_time_seconds", METRIC_GAUGE,
					   "Round trip time of a PING in the last scrape, in seconds.", NULL),
			   ping);
	if (locked) {
		expo_value(e, redis_family(e, ns, "exporter_scrapes_total", METRIC_COUNTER,
					   "Scrapes of this Redis target since the exporter started.", NULL),
			   (double)scrapes);
		f = redis_family(e, ns, "exporter_scrape_duration_seconds", METRIC_SUMMARY,
				 "Durations of the scrapes of this Redis target in seconds.", NULL);
		expo_add_summary(e, f, NULL, scrapes, dsum, 0, NULL, NULL);
	}
	expo_value(e, redis_family(e, ns, "target_scrape_request_errors_total", METRIC_COUNTER,
				   "Requests to /scrape refused for a missing or invalid target.", NULL),
		   (double)atomic_load(&target_request_errors));
}

/* Per-request key lists of /scrape (check-keys=...), or the flags' lists. */
struct keyargs {
	struct keylist check, single, count;
	struct keyplan plan;
};

static int keyargs_init(const struct request *rq, struct keyargs *k, char *msg, size_t msglen)
{
	memset(k, 0, sizeof *k);
	k->plan = (struct keyplan){ .check = &redis_opts.check_keys, .single = &redis_opts.check_single_keys,
				    .count = &redis_opts.count_keys, .batch = redis_opts.check_keys_batch,
				    .cluster = redis_opts.is_cluster };
	if (!rq)
		return 0;
	static const char *const names[] = { "check-keys", "check-single-keys", "count-keys" };
	struct keylist *lists[] = { &k->check, &k->single, &k->count };
	const struct keylist **slots[] = { &k->plan.check, &k->plan.single, &k->plan.count };
	for (int i = 0; i < 3; i++) {
		const char *v = request_arg(rq, names[i]);
		if (!v || !*v)
			continue;
		char err[256];
		if (keylist_parse(v, lists[i], err, sizeof err) < 0) {
			strf(msg, msglen, "invalid %s: %s", names[i], err);
			return 400;
		}
		*slots[i] = lists[i];
	}
	return 0;
}

static void keyargs_free(struct keyargs *k)
{
	keylist_free(&k->check);
	keylist_free(&k->single);
	keylist_free(&k->count);
}

static int select_collectors(const struct request *rq, bool *sel, char *msg, size_t msglen)
{
	int status = exporter_select(rq, sel, msg, msglen);
	if (status)
		log_warn("bad collector filter", "err", msg, NULL);
	return status;
}

int redis_metrics_handler(const struct request *rq, struct expo *e, char *msg, size_t msglen)
{
	bool sel[32];
	if (rq->x->ninst > 32) {
		strf(msg, msglen, "too many collectors");
		return 500;
	}
	int status = select_collectors(rq, sel, msg, msglen);
	if (status)
		return status;
	struct keyargs k;
	keyargs_init(NULL, &k, msg, msglen);
	struct rtarget *t = reg.main_target;
	/* An empty --redis.addr scrapes nothing, as upstream. */
	if (t)
		scrape_target(rq, sel, t, &k.plan, e);
	if (!redis_opts.redis_only)
		exporter_self_metrics(rq, e);
	return 0;
}

int redis_scrape_handler(const struct request *rq, struct expo *e, char *msg, size_t msglen)
{
	const char *target = request_arg(rq, "target");
	if (!target || !*target) {
		atomic_fetch_add(&target_request_errors, 1);
		strf(msg, msglen, "'target' parameter must be specified");
		return 400;
	}
	struct raddr a;
	char err[256];
	if (raddr_parse(target, true, &a, err, sizeof err) < 0) {
		atomic_fetch_add(&target_request_errors, 1);
		strf(msg, msglen, "Invalid 'target' parameter, parse err: %s", err);
		return 400;
	}
	bool sel[32];
	if (rq->x->ninst > 32) {
		strf(msg, msglen, "too many collectors");
		return 500;
	}
	int status = select_collectors(rq, sel, msg, msglen);
	if (status)
		return status;
	struct keyargs k;
	status = keyargs_init(rq, &k, msg, msglen);
	if (status) {
		atomic_fetch_add(&target_request_errors, 1);
		keyargs_free(&k);
		return status;
	}
	/* The password file is keyed by the target as written (without a password), or its normal form. */
	char given[700];
	const char *g = NULL;
	if (!strchr(target, '@')) {
		strf(given, sizeof given, "%s%s", strstr(target, "://") ? "" : "redis://", target);
		g = given;
	}
	struct rtarget *t = target_acquire(&a, g, msg, msglen);
	if (!t) {
		keyargs_free(&k);
		return 503;
	}
	scrape_target(rq, sel, t, &k.plan, e);
	target_release(t);
	keyargs_free(&k);
	if (!redis_opts.redis_only)
		build_info(e);
	return 0;
}

/* The build-info hook of struct exporter, in upstream's shape. */
void redis_build_info(const struct exporter *x, struct expo *e);
void redis_build_info(const struct exporter *x, struct expo *e)
{
	(void)x;
	build_info(e);
}
