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

#include <gnutls/gnutls.h>
#include <hiredis/hiredis.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/backend.h"
#include "../common/rx.h"
#include "../common/exporter.h"
#include "../common/webconfig.h"
#include "replies.h"

/* ---- addresses (uri.c) ---- */

enum raddr_kind { RADDR_TCP, RADDR_UNIX };

struct raddr {
	enum raddr_kind kind;
	char host[256];
	int port;
	char path[256]; /* unix socket */
	long db; /* from redis://host/N */
	bool tls; /* rediss:// (valkeys://) */
	char user[128];
	char password[512]; /* secret: never logged or exported */
	bool has_password;
	/* scheme://[user@]host:port[/db] or unix://path: no password, for logs and errors. */
	char display[600];
};

/*
 * Parse a Redis address as upstream accepts it: redis://[user[:pass]@]host[:port][/db],
 * rediss://... (TLS), valkey://, valkeys://, unix:///path, or host[:port].
 * With strip_password the userinfo password is dropped (multi-target
 * /scrape). Returns 0, or -1 with a message in err (the message never
 * contains the password).
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

/* ---- TLS to Redis (tls.c) ---- */

/* The client TLS flags (strings are "" when not given). */
struct rtls_opts {
	const char *ca_file, *cert_file, *key_file;
	bool skip_verify;
};

/* Credentials loaded once, shared read-only by every TLS connection. */
struct rtls {
	gnutls_certificate_credentials_t cred;
	bool skip_verify;
};

/* Load the CA (or the system's), and the client key pair. NULL with err on failure. */
struct rtls *rtls_load(const struct rtls_opts *o, char *err, size_t errlen);
void rtls_free(struct rtls *t);

/* ---- connections (conn.c) ---- */

/* Commands a server may not support; each is probed once per connection. */
enum rcap {
	RCAP_INFO_ALL = 1u << 0, /* INFO ALL failed or was empty: use INFO */
	RCAP_CONFIG = 1u << 1,
	RCAP_LATENCY = 1u << 2,
	RCAP_SLOWLOG = 1u << 3,
	RCAP_CLUSTER = 1u << 4,
	RCAP_CLIENT_LIST = 1u << 5,
	RCAP_LATENCY_HISTOGRAM = 1u << 6,
};

/* A connection: our socket, TLS over it for rediss://, hiredis' reply reader. */
struct rconn {
	int fd;
	gnutls_session_t tls; /* NULL: plain */
	redisReader *reader; /* NULL: not connected */
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
	const struct rtls *tls; /* for rediss:// */
	const char *server_name; /* name the server's certificate must carry; NULL/"": the host */
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

/* Is c connected? */
bool rconn_alive(const struct rconn *c);

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
	double memory; /* MEMORY USAGE, bytes */
	bool has_memory;
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
	/* streams: the same two lists, for XINFO */
	const struct keylist *streams, *single_streams;
	bool skip_keys; /* --skip-checkkeys-for-role-master on a master: keys and streams left out */
};

/*
 * The keys of p->single and p->check (patterns expanded with SCAN), in
 * out->keys without sizes: streams are found this way too. Returns 0, or
 * -1 when the connection broke (errors in out->err).
 */
int keycheck_expand(struct rconn *c, const struct rconn_opts *o, const struct keyplan *p,
		    struct keycheck *out, double deadline);

/*
 * A pipeline under construction (key checks, streams): commands and their
 * reply slots, SELECTs added where the database changes. Grow it to its
 * final size before adding (SELECT arguments live in dbs).
 */
struct rbatch {
	struct rcmd *cmds;
	redisReply **r;
	size_t n, cap;
	long db; /* selected after the commands so far */
	char (*dbs)[24];
};

/* Room for need more commands; 0 or -1 (out of memory). */
int rbatch_grow(struct rbatch *b, size_t need);
/* Append SELECT db unless b is there already (or in cluster mode); its slot, or -1. */
long rbatch_select(struct rbatch *b, bool cluster, long db);
/* Free the replies and the arrays. */
void rbatch_free(struct rbatch *b);

/* Run the key checks on c before deadline; results in out (free with keycheck_free). */
int keycheck_run(struct rconn *c, const struct rconn_opts *o, const struct keyplan *p,
		 struct keycheck *out, double deadline);
void keycheck_free(struct keycheck *k);

/* ---- options (options.c) ---- */

/* A --script file, read at start-up. */
struct rscript {
	char *name; /* the path as given: the filename label */
	char *body;
	size_t len;
};

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
	bool exclude_latency; /* --exclude-latency-histogram-metrics: no LATENCY commands at all, as upstream */
	bool redis_only; /* --redis-only-metrics */
	bool skip_keys_on_master;
	long check_keys_batch;
	struct keylist check_keys, check_single_keys, count_keys;
	struct keylist check_streams, check_single_streams;
	bool streams_exclude_consumers;
	char *key_groups; /* --check-key-groups' Lua patterns, joined by NUL bytes for the script */
	size_t key_groups_len, nkey_groups;
	long max_key_groups;
	struct rscript *scripts;
	size_t nscripts;
	bool lua_read_only;
	bool include_modules;
	bool include_rdb_size;
	bool is_tile38;
	bool sentinel_peer_info; /* --include-sentinel-peer-info */
	bool role_label; /* --append-instance-role-label */
	char role_prefix[72]; /* "<ns>_": the families that get it... */
	char role_skip_names[6][128]; /* ...but these, as upstream */
	const char *role_skip[7];
	bool include_search_indexes;
	struct rx *search_indexes; /* --check-search-indexes */
	/* what a connection is made with */
	const char *user; /* --redis.user: for /scrape targets without one of their own */
	double timeout; /* --connection-timeout */
	bool set_client_name;
	struct pwfile *pw; /* --redis.password-file, or NULL */
	const char *tls_server_name; /* --tls-server-name */
	struct rtls *tls; /* client TLS credentials (see redis_tls()) */
};

extern struct redis_options redis_opts;

/* Flag values that start-up turns into redis_opts and the default target. */
struct redis_args {
	const char *addr, *user, *password, *password_file;
	const char *check_keys, *check_single_keys, *count_keys;
	const char *check_streams, *check_single_streams, *key_groups, *scripts, *search_indexes;
	long batch_size;
	bool disable_scrape;
	bool debug;
	bool go_runtime; /* --include-go-runtime-metrics: nothing to export */
	struct rtls_opts tls;
	const char *tls_server_name;
	struct webconfig_flags listen; /* --tls-server-*, --basic-auth-* */
	const char *listen_min_version, *auth_password;
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
	char server_name[256]; /* the certificate's name for rediss://; "": the host */
	char bad[300]; /* a malformed --redis.addr: why every scrape fails; "" when fine */
	char role[32]; /* INFO's role at the latest scrape that got it (--append-instance-role-label) */
	struct rconn_opts copts;
	unsigned logged_unsupported; /* RCAP_* already logged */
};

/*
 * Make a target for a (its password ignored) with these credentials and
 * TLS server name (NULL or "": --tls-server-name). NULL: out of memory.
 */
struct rtarget *rtarget_new(const struct raddr *a, const char *user, const char *password,
			    const char *server_name);

/*
 * The TLS credentials: those loaded from the flags at start-up, else the
 * system's CA certificates loaded at the first rediss:// target. NULL with
 * err if they could not be loaded.
 */
const struct rtls *redis_tls(char *err, size_t errlen);

/*
 * Make the --redis.addr target the backend's default, with the password
 * upstream would choose. A malformed address still makes a target, whose
 * scrapes fail with the reason (redis_up 0), as upstream. Returns 0 or -1
 * (out of memory) with err.
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
	SLOT_LATENCY_HISTOGRAM,
	SLOT_SLOWLOG_LEN,
	SLOT_SLOWLOG_GET,
	SLOT_CLIENT_LIST,
	SLOT_INFO_MODULES,
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
	struct cmdusec_index cmdusec; /* INFO's usec per command, for the latency histograms */
	/* For the collectors that send commands of their own (streams, key groups, scripts). */
	struct rconn *conn;
	const struct rconn_opts *copts;
	double deadline;
	const struct keyplan *plan;
	bool on_master;
	long home_db; /* the database of the target's address */
	bool sentinel; /* INFO has a Sentinel section */
	/* Set by a collector whose failure makes the scrape fail (a --script), as upstream. */
	char fail[256];
};

/* Collectors (collectors/<name>.c). */
extern const struct collector_def collector_info, collector_config, collector_latency,
	collector_slowlog, collector_cluster, collector_keys, collector_clients, collector_streams,
	collector_keygroups, collector_script, collector_modules, collector_sentinel, collector_search,
	collector_tile38;

/* Tile38's SERVER EXT reply as INFO fields (collectors/tile38.c); -1 if of another shape. */
struct info_opts;
int tile38_fields(const redisReply *r, const struct info_opts *o, struct expo *e);

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
