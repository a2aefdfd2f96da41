/*
 * The exporter framework: collectors, the scrape of one request, and the
 * program skeleton every exporter's main() hands over to.
 *
 * A collector is a const definition (name, default, option flags, init,
 * collect, fini) in its own file. The framework makes one instance per
 * definition, registers --[no-]collector.NAME, calls init once after the
 * flags are parsed, and on each scrape calls collect() with the instance's
 * mutex held: a collector never runs concurrently with itself, so its state
 * needs no locking of its own, while different collectors and different
 * scrapes share nothing else.
 */
#ifndef COMMON_EXPORTER_H
#define COMMON_EXPORTER_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "buf.h"
#include "expo.h"
#include "flags.h"
#include "fsread.h"

struct request;
struct scrape;
struct exporter;

/* collect() results besides 0 (success) and -1 (error, message in s->err). */
#define COLLECT_OK 0
#define COLLECT_ERROR (-1)
/*
 * The subsystem is absent on this host (no PSI, no mdstat...): success 0
 * like upstream's ErrNoData, logged once at debug level, not as an error.
 */
#define COLLECT_NODATA 1

struct collector_def {
	const char *name;
	bool default_enabled;
	/* Option flags (--collector.NAME.*); dest variables are written only at start-up. */
	struct flag *flags;
	size_t nflags;
	/*
	 * Called once after flags are parsed, for enabled collectors only.
	 * Sets *state (may stay NULL). Returns 0, or -1 with a message in err:
	 * the program then exits 2 (bad option values).
	 */
	int (*init)(void **state, char *err, size_t errlen);
	/* Append this scrape's families to e; returns COLLECT_*. */
	int (*collect)(struct scrape *s, struct expo *e);
	void (*fini)(void *state);
	/*
	 * collect() may run for several scrapes at once (different targets of a
	 * multi-target exporter): the framework then holds the instance's mutex
	 * only for its bookkeeping, not during collect(). Such a collector must
	 * not modify its state nor use scrape_buf()/scrape_read().
	 */
	bool concurrent;
};

/* A collector's last run, as the landing page shows it. */
struct collector_status {
	bool ran;
	int rc; /* COLLECT_* */
	size_t series; /* series it added */
	double duration; /* seconds */
	double when; /* wall clock, seconds since the epoch */
	char err[512]; /* message of COLLECT_ERROR (or COLLECT_NODATA's reason) */
};

/* Per-instance bookkeeping, owned by the framework. */
struct collector {
	const struct collector_def *def;
	bool enabled;
	struct flag enable_flag;
	char enable_help[96];
	void *state;
	pthread_mutex_t lock; /* held for the whole collect() */
	struct fdcache *fds;
	struct buf scratch;
	/* Last outcome, under lock, for logging once per change. */
	bool ran;
	int last_rc;
	char last_err[512];
	/*
	 * A copy for the landing page under a lock of its own, so that the
	 * page never waits for a collector that is running.
	 */
	pthread_mutex_t status_lock;
	struct collector_status status;
};

/* What a collector sees during collect(). */
struct scrape {
	const struct request *rq;
	struct collector *collector;
	void *state; /* the collector's state from init */
	void *target; /* exporter-specific (a database connection...) */
	char err[512]; /* message for COLLECT_ERROR */
};

/* Format s->err and return COLLECT_ERROR. */
int scrape_fail(struct scrape *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Read a procfs/sysfs file through the collector's descriptor cache (s may be NULL: no cache). */
int scrape_read(struct scrape *s, const char *path, struct buf *out) WUR;
ssize_t scrape_read_small(struct scrape *s, const char *path, char *dst, size_t cap);

/* List a directory through the collector's descriptor cache (see fsread.h). */
int scrape_dirlist(struct scrape *s, const char *path, struct dirlist *dl) WUR;

/* The collector's reusable buffer (emptied by scrape_read). */
struct buf *scrape_buf(struct scrape *s);

/* Seconds left before the scrape deadline (may be negative). */
double scrape_remaining(const struct scrape *s);

/* One query argument of an HTTP request. */
struct arg {
	char *key;
	char *value;
};

/* An HTTP request for metrics, as handlers and collectors see it. */
struct request {
	const struct exporter *x;
	const char *path;
	struct timespec start; /* CLOCK_MONOTONIC */
	struct timespec deadline; /* CLOCK_MONOTONIC */
	struct arg *args;
	size_t nargs;
};

/* First value of query argument key, or NULL. */
const char *request_arg(const struct request *rq, const char *key);

/* Seconds left before the request's deadline (may be negative). */
double request_remaining(const struct request *rq);

/*
 * Fill e for a metrics request. Returns 0, or an HTTP status >= 400 with
 * a short message in msg (sent as the body, text/plain).
 */
typedef int (*route_handler)(const struct request *rq, struct expo *e, char *msg, size_t msglen);

struct route {
	const char *path;
	route_handler handler;
	bool off; /* removed by exporter_enable_route(); never set in a declaration */
};

/*
 * Upstream's spelling of one of the common flags (web.*, log.*): another
 * name (clickhouse_exporter's -telemetry.address for web.listen-address)
 * and/or an environment variable read when the flag is absent.
 */
struct common_flag {
	const char *name; /* ours: "web.listen-address" */
	const char *as; /* upstream's name, or NULL to keep ours */
	const char *env; /* upstream's variable, or NULL */
};

/* A value of the build-info family. */
enum build_value {
	BUILD_EMPTY, /* "" */
	BUILD_VERSION, /* the suite's version */
	BUILD_REVISION, /* the git revision built */
	BUILD_BRANCH, /* the git branch built */
	BUILD_GOARCH, /* the machine in Go's spelling (amd64, arm64...) */
	BUILD_GOOS, /* "linux" */
};

struct build_label {
	const char *name;
	enum build_value value;
};

/*
 * The build-info family in the shape of the upstream exporter, as data:
 * { 0 } is client_golang's <prefix>_exporter_build_info{branch,goarch,goos,
 * goversion,revision,tags,version} 1.
 */
struct build_info {
	const char *name; /* family name; NULL: <prefix>_exporter_build_info */
	const char *help; /* NULL: client_golang's meaning */
	const struct build_label *labels; /* ended by { NULL }; NULL: client_golang's labels */
};

struct backend;

struct exporter {
	const char *name; /* binary name, e.g. "node_exporter" */
	const char *title; /* landing page title, e.g. "Node Exporter" */
	const char *prefix; /* metric namespace: "node" -> node_scrape_collector_* */
	const char *default_listen; /* e.g. ":9100" */
	/* NULL: the generated exporter_collectors[] (below). */
	const struct collector_def *const *collectors;
	size_t ncollectors;
	/* Handler of the telemetry path; NULL runs the collectors (see below), or the backend's. */
	route_handler metrics_handler;
	/* Further metric routes of the exporter's own (a backend adds its /probe or /scrape). */
	const struct route *routes;
	size_t nroutes;
	/*
	 * A remote server behind the collectors (see backend.h): its layer
	 * serves the telemetry path and its per-request route, owns targets,
	 * connections and the <x>_up families.
	 */
	struct backend *backend;
	/* The build-info family; { 0 } is client_golang's. */
	struct build_info build_info;
	/* Families of the exporter itself besides build info (served on the telemetry path). */
	void (*self_metrics)(struct expo *e);
	/* Offer --web.disable-exporter-metrics (node_exporter has it). */
	bool offers_disable_exporter_metrics;
	/* Upstream's names and environment variables of common flags, ended by { NULL }. */
	const struct common_flag *common_flags;
	/* Extra flags of the exporter itself (besides collectors' options). */
	struct flag *flags;
	size_t nflags;
	/* Accept -flag as well as --flag (Go flag package style). */
	bool single_dash_flags;
	/*
	 * After flags are parsed: validate and set up; return -1 with err to
	 * exit 2. May call exporter_enable_collector(), exporter_enable_route()
	 * and exporter_disable_self_metrics().
	 */
	int (*setup)(struct exporter *x, char *err, size_t errlen);
	/* At shutdown, after the server stopped. */
	void (*teardown)(struct exporter *x);
	/* Paragraphs appended to --help. */
	const char *help_tail;
	/*
	 * Set by setup(): a web configuration made from the exporter's own
	 * flags (redis_exporter's --tls-server-*, --basic-auth-*), served as
	 * --web.config.file's would be (webconfig_open_flags()); the two
	 * together exit 2. The server takes it over.
	 */
	struct webconfig_file *web_config;
	/*
	 * Identical requests arriving while one is being collected normally
	 * share its result; true gives each its own collection (kafka_exporter's
	 * --concurrent.enable). May be set by setup().
	 */
	bool unshared_requests;
	/* An extra liveness path answering "ok" (kafka_exporter's /healthz), or NULL. */
	const char *health_path;

	/* Filled in by exporter_main(). */
	struct collector *inst;
	size_t ninst;
	struct route *served_routes; /* the telemetry path aside: x->routes and the backend's */
	size_t nserved_routes;
	bool disable_exporter_metrics;
	bool no_self_metrics;
	struct flagset *fs;
};

/*
 * Enable or disable a collector by default (redis_exporter's
 * --export-client-list enables the clients collector); an explicit
 * --[no-]collector.NAME still wins. Returns 0, or -1 if there is no such
 * collector.
 */
int exporter_enable_collector(struct exporter *x, const char *name, bool on);

/* Serve or stop serving a route (e.g. --disable-scrape-endpoint). Returns 0, or -1 if unknown. */
int exporter_enable_route(struct exporter *x, const char *path, bool on);

/* Leave out build info, process_* and promhttp_* (redis_exporter's --redis-only-metrics). */
void exporter_disable_self_metrics(struct exporter *x);

/*
 * An exporter's collectors, in name order: generated by make from the files
 * of <exporter>/collectors/ (each defines collector_<file name>). Weak: a
 * program without a collectors/ directory (a unit test) has none.
 */
extern const struct collector_def *const exporter_collectors[] __attribute__((weak));
extern const size_t exporter_ncollectors __attribute__((weak));

/*
 * Run the exporter: register the common flags (web.*, log.*,
 * collector.*), parse argv, initialise collectors, serve until SIGTERM or
 * SIGINT. Returns the process exit status.
 */
int exporter_main(struct exporter *x, int argc, char **argv);

/*
 * The default metrics handler: honours collect[]/exclude[], runs the
 * selected collectors and adds the self metrics.
 */
int exporter_default_handler(const struct request *rq, struct expo *e, char *msg, size_t msglen);

/*
 * Collector selection from collect[]/exclude[] query arguments, with
 * node_exporter's 400 messages. selected must have x->ninst entries.
 * Returns 0 or 400 with msg filled.
 */
int exporter_select(const struct request *rq, bool *selected, char *msg, size_t msglen);

/*
 * Run the selected (or, if selected is NULL, all enabled) collectors into
 * e, each under its lock, with target passed through to them, and add
 * <prefix>_scrape_collector_duration_seconds / _success.
 */
void exporter_run_collectors(const struct request *rq, const bool *selected, void *target,
			     struct expo *e);

/* build_info, the exporter's own, process_* and promhttp_* families (unless disabled). */
void exporter_self_metrics(const struct request *rq, struct expo *e);

/* Only the build-info family (unless self metrics are disabled). */
void exporter_build_info(const struct exporter *x, struct expo *e);

/* process_* families from /proc/self (client_golang's process collector). */
void process_metrics(struct expo *e);

/*
 * IpExt's InOctets and OutOctets from the text of /proc/<pid>/net/netstat
 * (parsed in place), 0 when absent. Returns 0, or -1 when the text is not
 * pairs of header and value lines of equal length, or IpExt has a value that
 * is not a number (then client_golang exports neither; the other lines'
 * values are not converted).
 */
int process_netstat_octets(char *text, double *in, double *out);

/* Version of the suite and of this build. */
extern const char suite_version[];
extern const char suite_revision[];
extern const char suite_branch[];

/* Copy of a collector's last run (for the landing page: takes only its status lock). */
void collector_status_get(struct collector *c, struct collector_status *out);

/* Monotonic clock as seconds, and as nanoseconds. */
double mono_now(void);
uint64_t mono_ns(void);

/* The wall clock as seconds since the epoch. */
double wall_now(void);

#endif
