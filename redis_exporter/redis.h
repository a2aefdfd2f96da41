/*
 * redis_exporter's shared types: target addresses, persistent connections,
 * the option values, and what one scrape hands to the collectors.
 *
 * Threads: the options are written only at start-up. The backend layer
 * (common/backend.h) keeps the targets and their connections and takes a
 * target's lock for its whole scrape, so scrapes of different targets run
 * concurrently while scrapes of one target take turns (waiting no longer
 * than their deadline).
 */
#ifndef REDIS_EXPORTER_REDIS_H
#define REDIS_EXPORTER_REDIS_H

#include <hiredis/hiredis.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/backend.h"
#include "../common/exporter.h"

/* ---- addresses (uri.c) ---- */

enum raddr_kind { RADDR_TCP, RADDR_UNIX };

struct raddr {
	enum raddr_kind kind;
	char host[256];
	int port;
	char path[256]; /* unix socket */
	long db; /* from redis://host/N */
	char user[128];
	char password[512]; /* secret: never logged or exported */
	bool has_password;
	/* scheme://[user@]host:port[/db] or unix://path: no password, for logs and errors. */
	char display[600];
};

/*
 * Parse a Redis address as upstream accepts it: redis://[user[:pass]@]host[:port][/db],
 * valkey://..., unix:///path, or host[:port]. rediss:// is refused (no TLS
 * in Debian 12's hiredis). With strip_password the userinfo password is
 * dropped (multi-target /scrape). Returns 0, or -1 with a message in err
 * (the message never contains the password).
 */
int raddr_parse(const char *uri, bool strip_password, struct raddr *a, char *err, size_t errlen);

/* ---- password file (pwfile.c) ---- */

struct pwfile;

/*
 * Load upstream's JSON password file: { "redis://host:port": "password", ... }.
 * Returns NULL with a message in err (which never quotes the file's content).
 */
struct pwfile *pwfile_load(const char *path, char *err, size_t errlen);

/* The password for a target, or NULL; tried as given, then as addr's display form. */
const char *pwfile_lookup(const struct pwfile *p, const char *as_given, const struct raddr *a);

/* Number of entries. */
size_t pwfile_count(const struct pwfile *p);

/* Wipe and release. */
void pwfile_free(struct pwfile *p);

/* ---- connections (conn.c) ---- */

/* Commands a server may not support; each is probed once per connection. */
enum rcap {
	RCAP_INFO_ALL = 1u << 0, /* INFO ALL failed or was empty: use INFO */
	RCAP_CONFIG = 1u << 1,
	RCAP_LATENCY = 1u << 2,
	RCAP_SLOWLOG = 1u << 3,
	RCAP_CLUSTER = 1u << 4,
	RCAP_CLIENT_LIST = 1u << 5,
};

struct rconn {
	redisContext *ctx;
	unsigned unsupported; /* RCAP_* seen failing on this connection */
	int cluster; /* -1 unknown, 0 no, 1 cluster mode (from INFO) */
	long db; /* database currently selected */
	double connect_seconds; /* duration of the latest connection attempt */
};

#define RCMD_MAXARGS 8

/* One command of a pipeline; arguments are borrowed. */
struct rcmd {
	int argc;
	const char *argv[RCMD_MAXARGS];
	size_t len[RCMD_MAXARGS];
};

/* Fill a command from NUL-terminated words (at most RCMD_MAXARGS). */
void rcmd_set(struct rcmd *c, int argc, const char *const *argv);
#define RCMD(c, ...) rcmd_set((c), sizeof((const char *const[]){ __VA_ARGS__ }) / sizeof(const char *), \
			      (const char *const[]){ __VA_ARGS__ })

/* Options that shape a connection. */
struct rconn_opts {
	double timeout; /* per connect/read/write, seconds (--connection-timeout) */
	bool set_client_name;
	const char *user; /* NULL or "" for none */
	const char *password; /* NULL for none */
};

/*
 * Make sure c is connected and authenticated, before deadline (monotonic
 * seconds). Returns 0, or -1 with err (no secrets in it).
 */
int rconn_ensure(struct rconn *c, const struct raddr *a, const struct rconn_opts *o,
		 double deadline, char *err, size_t errlen);

/*
 * Send n commands in one write and read their n replies, all before
 * deadline (and each wait no longer than o->timeout). replies[i] receive the
 * replies (free with freeReplyObject); error replies are replies. On an I/O
 * error, timeout or protocol error the connection is closed, every reply
 * slot is NULL and -1 is returned with err.
 */
int rconn_exec(struct rconn *c, const struct rconn_opts *o, const struct rcmd *cmds, size_t n,
	       redisReply **replies, double deadline, char *err, size_t errlen);

/* Close the connection (capabilities are forgotten with it). */
void rconn_close(struct rconn *c);

/* Free n replies and set them to NULL. */
void replies_free(redisReply **r, size_t n);

/* ---- key checks (keys.c) ---- */

struct dbkey {
	long db;
	char *key;
};

struct keylist {
	struct dbkey *items;
	size_t n;
};

/*
 * Parse upstream's key list syntax: "db3=pattern,key,..." (db prefix
 * optional, default db 0, keys URL-unescaped). Returns 0 or -1 with err.
 */
int keylist_parse(const char *s, struct keylist *out, char *err, size_t errlen);
void keylist_free(struct keylist *l);

/* Results of the key checks of one scrape. */
struct keyresult {
	long db;
	char *key;
	char type[16]; /* "none", "string", "list"... */
	double size;
	bool has_size;
	char *strval; /* string value (GET), or NULL */
	size_t strlen_;
};

struct keycount {
	long db;
	const char *pattern;
	uint64_t count;
	bool ok;
};

struct keycheck {
	struct keyresult *keys;
	size_t nkeys;
	struct keycount *counts;
	size_t ncounts;
	bool truncated; /* more keys matched than --check-keys may export */
	char err[256]; /* first error, "" if none */
};

/* What to check in one scrape (borrowed lists). */
struct keyplan {
	const struct keylist *check; /* patterns, SCAN-expanded */
	const struct keylist *single; /* keys as given */
	const struct keylist *count; /* patterns to count */
	long batch; /* SCAN COUNT */
	bool cluster; /* --is-cluster: db 0 only */
};

/* Run the key checks on c before deadline; results in out (free with keycheck_free). */
int keycheck_run(struct rconn *c, const struct rconn_opts *o, const struct keyplan *p,
		 struct keycheck *out, double deadline);
void keycheck_free(struct keycheck *k);

/* ---- options (options.c) ---- */

struct redis_options {
	const char *ns;
	const char *config_command; /* "-" skips CONFIG */
	bool include_config_metrics;
	bool redact_config_metrics;
	bool include_system_metrics;
	bool empty_databases;
	bool export_client_list;
	bool export_client_port;
	bool disable_key_values;
	bool ping_on_connect;
	bool is_cluster;
	bool redis_only; /* --redis-only-metrics */
	bool skip_keys_on_master;
	long check_keys_batch;
	struct keylist check_keys, check_single_keys, count_keys;
	/* what a connection is made with */
	const char *user; /* --redis.user: for /scrape targets without one of their own */
	double timeout; /* --connection-timeout */
	bool set_client_name;
	struct pwfile *pw; /* --redis.password-file, or NULL */
};

extern struct redis_options redis_opts;

/* Flag values that start-up turns into redis_opts and the default target. */
struct redis_args {
	const char *addr, *user, *password, *password_file;
	const char *check_keys, *check_single_keys, *count_keys;
	long batch_size;
	bool disable_scrape;
	bool debug;
	const char *log_format, *log_level; /* upstream's, over --log.* */
};

extern struct redis_args redis_args;

/* Check the flags, set up the default target (options.c). */
int redis_setup(struct exporter *x, char *err, size_t errlen);
void redis_teardown(struct exporter *x);

/* ---- targets (target.c): the hooks of the backend layer ---- */

/* A target as the backend layer keeps it (its spec). */
struct rtarget {
	struct raddr addr; /* without its password */
	char password[512]; /* chosen when the target was made; secret */
	char user[128];
	struct rconn_opts copts;
	unsigned logged_unsupported; /* RCAP_* already logged */
};

/* Make a target for a (its password ignored) with these credentials. NULL: out of memory. */
struct rtarget *rtarget_new(const struct raddr *a, const char *user, const char *password);

/*
 * Make the --redis.addr target the backend's default, with the password
 * upstream would choose. Returns 0 or -1 with err.
 */
int redis_default_target(struct backend *b, const char *addr, const char *user,
			 const char *password, char *err, size_t errlen);

/* The hooks of the backend layer. */
extern const struct backend_ops redis_ops;

/* ---- one scrape (scrape.c) ---- */

/* Reply slots of the main pipeline. */
enum rslot {
	SLOT_CONFIG_FIRST,
	SLOT_CONFIG_LAST = SLOT_CONFIG_FIRST + 7,
	SLOT_INFO,
	SLOT_CLUSTER_INFO,
	SLOT_LATENCY,
	SLOT_SLOWLOG_LEN,
	SLOT_SLOWLOG_GET,
	SLOT_CLIENT_LIST,
	SLOT_N
};

/* What collectors get as s->target: the replies of this scrape, read-only. */
struct rscrape {
	redisReply *r[SLOT_N];
	long dbcount;
	bool cluster;
	double now; /* wall clock */
	struct keycheck keys;
	bool keys_ran;
};

/* Collectors (collectors/<name>.c). */
extern const struct collector_def collector_info, collector_config, collector_latency,
	collector_slowlog, collector_cluster, collector_keys, collector_clients;

/*
 * The backend hooks of a scrape: the key lists of the request (begin/end:
 * /scrape may name its own), then one pipelined fetch and the collectors.
 */
int redis_begin(const struct request *rq, bool probe, void **ctx, char *msg, size_t msglen);
void redis_end(void *ctx);
int redis_collect(struct backend_scrape *bs, struct expo *e, char *err, size_t errlen);

/* Is this exported config key never to be shown (passwords)? */
bool redis_config_secret(const char *key);

#endif
