/*
 * The backend layer: what an exporter of a remote server (PostgreSQL,
 * Redis, ClickHouse, Kafka) needs besides its collectors.
 *
 * The exporter declares a struct backend (data: names, sizes, times) with
 * hooks that open a connection to a target, run the collectors on it,
 * close it and describe it for logs. The layer owns the rest:
 *
 * - the default target (set up from flags and environment) served on the
 *   telemetry path, and per-request targets on a route of the exporter's
 *   naming (/probe?target=, /scrape?target=), kept in a bounded pool: a
 *   target unused for idle_seconds is forgotten with its connection, a
 *   full pool drops its least recently used idle target, and a pool whose
 *   every slot is being scraped answers HTTP 503;
 * - one lock per target, taken with the scrape's deadline: scrapes of one
 *   target take turns, a scrape that cannot get its turn in time reports
 *   the target down instead of waiting past its deadline;
 * - connections kept between scrapes, reopened when broken, with a
 *   doubling backoff after failed attempts;
 * - log lines once per change of a target's state (a new error, recovery);
 * - <x>_up and the other families about the scrapes of a target, under
 *   the names the upstream exporter uses;
 * - keys that may hold secrets (a DSN with its password), wiped with
 *   explicit_bzero when dropped.
 *
 * Threads: hooks run on the scraping thread with the target's lock held,
 * so a target's spec and connection need no locking of their own;
 * different targets are scraped concurrently.
 */
#ifndef COMMON_BACKEND_H
#define COMMON_BACKEND_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "expo.h"
#include "exporter.h"

struct backend_target;

/* One scrape of one target, as the collect hook sees it. */
struct backend_scrape {
	const struct request *rq;
	const bool *selected; /* collectors chosen by collect[]/exclude[]; NULL: the enabled ones */
	void *ctx; /* the request's context from begin(), or NULL */
	void *spec; /* the target's description (from resolve() or backend_set_default()) */
	void *conn; /* the open connection; NULL after a failed backend_reconnect() or backend_drop() */
	double start; /* monotonic seconds */
	double deadline; /* monotonic: the request's, less the margin, capped by max_seconds */
	bool probe; /* a per-request target */
	bool reused; /* conn was opened by an earlier scrape */
	bool partial; /* set by collect(): the server answered but something failed (last error 1) */
	/* The layer's. */
	struct backend *b;
	struct backend_target *t;
	bool retried; /* backend_reconnect() tried to open a new connection */
	bool open_failed;
	bool waiting;
};

struct backend_ops {
	/*
	 * Open a connection to the target spec describes, waiting no later
	 * than deadline (monotonic seconds). Returns it, or NULL with the
	 * reason in err (never a secret).
	 */
	void *(*open)(void *spec, double deadline, char *err, size_t errlen);
	/* Optional: is a connection kept from an earlier scrape still usable (no round trip)? */
	bool (*usable)(void *spec, void *conn);
	/*
	 * Run the collectors on bs->conn into e. Returns 0 when the server
	 * answered (<x>_up 1), or -1 with the reason in err. May call
	 * backend_reconnect() and backend_drop().
	 */
	int (*collect)(struct backend_scrape *bs, struct expo *e, char *err, size_t errlen);
	void (*close)(void *conn);
	/* The target for logs and errors, without secrets (borrowed from spec). */
	const char *(*describe)(const void *spec);
	void (*free_spec)(void *spec);
	/*
	 * Per-request targets: turn the route's target argument into a new spec
	 * and the key under which the pool keeps it (malloc'd; it may hold
	 * secrets and is wiped when dropped). Returns 0, or an HTTP status with
	 * msg.
	 */
	int (*resolve)(const struct request *rq, const char *target, void **spec, char **key,
		       char *msg, size_t msglen);
	/*
	 * Optional: check the request's own arguments before any target is
	 * touched and make the request's context (bs->ctx). Returns 0, or an
	 * HTTP status with msg. end() releases a context made, also after a
	 * refusal.
	 */
	int (*begin)(const struct request *rq, bool probe, void **ctx, char *msg, size_t msglen);
	void (*end)(void *ctx);
};

/*
 * A family of the layer's, under the exporter's name and help text. A
 * name starting with '_' follows the exporter's prefix ("_up" is
 * redis_up, or kv_up with --namespace=kv); a NULL name leaves it out.
 */
struct backend_family {
	const char *name;
	const char *help;
};

struct backend_metrics {
	struct backend_family up; /* gauge: 1 if the server answered this scrape */
	struct backend_family scrapes; /* counter: scrapes of the target */
	struct backend_family failures; /* counter: failed scrapes of the target */
	struct backend_family last_error; /* gauge: 1 if this scrape failed or was partial */
	const char *error_label; /* last_error carries the message in this label (redis: "err") */
	struct backend_family duration; /* gauge: seconds this scrape took */
	struct backend_family durations; /* summary: count and sum of the target's scrape durations */
	struct backend_family connect_time; /* gauge: seconds of the latest connection attempt */
	struct backend_family request_errors; /* counter: per-request targets refused (400) */
};

/* Log lines of a target's changes of state; NULL gives the default shown. */
struct backend_logs {
	const char *connect_failed; /* "could not connect to <server>" */
	const char *failed; /* "scrape of <server> failed" */
	const char *connected; /* a connection opened after failures: "connected to <server>" */
	const char *recovered; /* a scrape succeeded after failures: "<server> answers again" */
};

/*
 * An exporter's backend, declared as data; the fields above the line may
 * also be set by the exporter's setup() (from flags).
 */
struct backend {
	const char *server; /* "PostgreSQL": for log lines */
	const struct backend_ops *ops;
	const char *route; /* per-request targets: "/probe"; NULL for none */
	const char *target_param; /* "target" */
	const char *missing_target; /* 400 message when the target argument is absent */
	bool filter; /* honour collect[]/exclude[] */
	bool route_build_info; /* the per-request route also serves the build-info family */
	/*
	 * Without a default target the telemetry path reports <x>_up 0 with
	 * the counters and no error (postgres_exporter without a data source);
	 * quiet_without_default reports nothing (redis_exporter with an empty
	 * --redis.addr).
	 */
	bool quiet_without_default;
	/*
	 * Call collect() also when no connection could be opened (bs->conn
	 * NULL, the reason in err): pg's further data sources may still answer.
	 */
	bool collect_unconnected;
	size_t pool_size; /* per-request targets kept at once */
	double idle_seconds; /* a per-request target unused this long is forgotten; 0: never */
	double backoff_min, backoff_max; /* seconds between failed connection attempts; 0: no wait */
	double margin; /* seconds kept back from the request's deadline */
	double max_seconds; /* longest scrape of a target; 0: the request's deadline only */
	struct backend_metrics metrics;
	struct backend_logs logs;
	/* Constant labels on the layer's families (pg's --constantLabels), NULL-terminated names. */
	const char *const *label_names;
	const char *const *label_values;

	/* ---- the layer's ---- */
	pthread_mutex_t mu; /* the pool, and the counters of every target */
	struct backend_target *default_target;
	struct backend_target **pool;
	size_t npool;
	uint64_t scrapes_without_target;
	uint64_t request_errors;
	char names[9][128]; /* the families' full names */
	char example[256]; /* the landing page's example target argument ("": none) */
	bool example_checked;
	char lines[4][128]; /* the log lines */
	bool started;
};

/*
 * Set the default target (before the server starts): spec is adopted, key
 * (may be NULL) lets a per-request target with the same key use it (redis:
 * /scrape of the configured address keeps its credentials). Returns 0 or
 * -1 (out of memory; spec and key are freed).
 */
int backend_set_default(struct backend *b, void *spec, char *key);

/*
 * Replace a broken connection once per scrape: closes bs->conn and, if it
 * had been opened by an earlier scrape and time is left, opens a new one
 * (a server restarted between scrapes). Returns true with bs->conn, or
 * false (bs->conn NULL; err holds the reason of a failed attempt).
 */
bool backend_reconnect(struct backend_scrape *bs, char *err, size_t errlen);

/* Close bs->conn now (broken); the next scrape opens a new one. */
void backend_drop(struct backend_scrape *bs);

/*
 * A doubling wait between failed attempts, for connections the exporter
 * keeps itself (pg's per-database connections).
 */
struct backoff {
	double next; /* monotonic: no attempt before this */
	double wait; /* current wait, 0 after a success */
};

/* Seconds left to wait before the next attempt (0: try now). */
double backoff_left(const struct backoff *bo);
/* A failed attempt: wait min, then twice as long each time, up to max. */
void backoff_failed(struct backoff *bo, double min, double max);
void backoff_reset(struct backoff *bo);

/* Wipe n bytes that held a secret (explicit_bzero: not optimised away). */
void secret_wipe(void *p, size_t n);

/* Wipe a string that held a secret and free it (NULL is fine). */
void secret_free(char *s);

/* A target as the landing page shows it: a copy, the pool may change after. */
struct backend_target_view {
	char name[256]; /* ops.describe(): no secrets */
	bool is_default; /* the configured target, not a per-request one */
	bool scraped; /* a scrape of it has finished */
	bool up, partial; /* the latest scrape's outcome */
	double when; /* wall clock of the latest scrape */
	double duration; /* its seconds */
	uint64_t scrapes, failures;
	char err[512]; /* its error (failed, or partial), "" when clean */
};

/*
 * Copies of the default target (first) and of the per-request targets
 * kept (by name), taking only the pool's lock: never a scrape. Returns
 * their number with a malloc'd array in *out (NULL when none or out of
 * memory).
 */
size_t backend_target_views(struct backend *b, struct backend_target_view **out);

/*
 * A target argument for an example link to the per-request route that the
 * route accepts (resolve() and begin() say yes; no connection is made):
 * the default target's description, or NULL. Decided once.
 */
const char *backend_example_target(struct backend *b, const struct exporter *x);

/*
 * For exporter_main(): check the declaration and build the names
 * (returns -1 with err on a mistake), serve the telemetry path and the
 * per-request route, release every target at shutdown.
 */
int backend_start(struct backend *b, const struct exporter *x, char *err, size_t errlen);
int backend_metrics_handler(const struct request *rq, struct expo *e, char *msg, size_t msglen);
int backend_route_handler(const struct request *rq, struct expo *e, char *msg, size_t msglen);
void backend_free(struct backend *b);

#endif
