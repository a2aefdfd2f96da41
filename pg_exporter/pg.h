/*
 * pg_exporter: shared declarations of the connection layer, the data source
 * handling and the helpers collectors use to run queries.
 *
 * A target is one PostgreSQL server the exporter scrapes: the default one
 * from DATA_SOURCE_NAME (or DATA_SOURCE_URI/USER/PASS), or one named by
 * /probe?target=. The backend layer (common/backend.h) keeps the targets,
 * their persistent main connection and their lock, held for a whole scrape;
 * a target also keeps one connection per other database when
 * --auto-discover-databases asks for table statistics of every database.
 */
#ifndef PG_EXPORTER_PG_H
#define PG_EXPORTER_PG_H

#include <libpq-fe.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/backend.h"
#include "../common/exporter.h"
#include "../common/expo.h"

/* ---- flags shared with the collectors (written only at start-up) ---- */

extern bool pg_disable_default_metrics;
extern bool pg_auto_discover;
extern const char *pg_metric_prefix;
extern double pg_collection_timeout;
extern const char *pg_config_file;
extern bool pg_dump_maps;
extern const char *pg_constant_labels;
extern const char *pg_exclude_databases_flag;
extern const char *pg_include_databases_flag;
extern const char *pg_query_path; /* --extend.query-path */
extern long pg_probe_max_targets;
extern double pg_probe_idle_timeout;
extern bool pg_disable_settings_metrics; /* 0.11's flags */
extern bool pg_collector_bgwriter;

/* Comma-separated list flags, split at start-up. */
struct namelist {
	size_t n;
	char **names;
};

extern struct namelist pg_exclude_databases;
extern struct namelist pg_include_databases;

/* Split s on commas into l (empty items kept, as Go's strings.Split). */
int namelist_split(struct namelist *l, const char *s, bool trim_and_drop_empty);
bool namelist_has(const struct namelist *l, const char *name);
void namelist_free(struct namelist *l);

/* ---- data source names (dsn.c) ---- */

/*
 * A parsed connection string: libpq keyword/value pairs (from
 * PQconninfoParse) plus the pieces we log. The password lives only in the
 * values array and is never printed.
 */
struct pgdsn {
	size_t n;
	char **keys;
	char **vals;
	char *safe; /* "host:port/dbname" for logs, no credentials */
	char *fingerprint; /* upstream's `server` label: host:port */
};

/*
 * Parse a DSN (URI "postgresql://..." or "key=value ..."). Returns 0, or -1
 * with a message in err that never contains any part of the input (libpq's
 * own messages may quote the password).
 */
int pgdsn_parse(struct pgdsn *d, const char *conninfo, char *err, size_t errlen);

/*
 * Parse a /probe target as upstream does: a URI, else key=value pairs, else
 * "host:port/db?params" with postgresql:// prepended.
 */
int pgdsn_parse_target(struct pgdsn *d, const char *target, char *err, size_t errlen);

/* Set (or replace) a keyword. Returns 0 or -1 on allocation failure. */
int pgdsn_set(struct pgdsn *d, const char *key, const char *val);

/* Value of a keyword, or NULL. */
const char *pgdsn_get(const struct pgdsn *d, const char *key);

/* Deep copy. Returns 0 or -1. */
int pgdsn_copy(struct pgdsn *dst, const struct pgdsn *src);

/* Recompute safe and fingerprint after keywords changed. Returns 0 or -1. */
int pgdsn_describe(struct pgdsn *d);

void pgdsn_free(struct pgdsn *d);

/*
 * One data source from the environment: parsed, or kept with the reason it
 * could not be parsed (connecting to it then fails with that reason, and
 * the exporter still serves pg_up 0, as upstream does).
 */
struct pgsource {
	struct pgdsn dsn;
	char *error; /* never holds any part of the text */
};

/*
 * The data sources from the environment, as upstream reads them: every
 * comma-separated item of DATA_SOURCE_NAME; else DATA_SOURCE_URI[_FILE]
 * with DATA_SOURCE_USER[_FILE] and DATA_SOURCE_PASS[_FILE] (file contents
 * trimmed). Returns 0 with *n of them in *out (*n 0: none configured; free
 * with pgsources_free), or -1 with err (a file that cannot be read).
 */
int pgsources_from_env(struct pgsource **out, size_t *n, char *err, size_t errlen);
void pgsources_free(struct pgsource *src, size_t n);

/*
 * Replace every occurrence of secret in msg (and its percent-encoded form)
 * by "******". Safe with secret NULL or empty.
 */
void pg_redact(char *msg, const char *secret);

/* ---- configuration file (config.c) ---- */

struct auth_module {
	char *name;
	char *type;
	char *username;
	char *password;
	size_t noptions;
	char **opt_keys;
	char **opt_vals;
};

struct pgconfig {
	size_t nmodules;
	struct auth_module *modules;
};

/*
 * Load --config.file. Returns 0, -ENOENT when the file does not exist, or
 * -1 with a one-line message in err (syntax error, unknown key, bad type).
 */
int pgconfig_load(struct pgconfig *c, const char *path, char *err, size_t errlen);

/*
 * Read a whole file of at most 1 MiB (NUL-terminated; caller frees).
 * Returns 0, -ENOENT, or -1 with a message naming what and path in err.
 */
int pg_read_file(const char *path, const char *what, char **out, size_t *len, char *err,
		 size_t errlen);

/* A YAML node's scalar text, or NULL; a null node (absent, "", "~", "null"). */
struct yaml_node_s;
const char *pgyaml_scalar(const struct yaml_node_s *n);
bool pgyaml_is_null(const struct yaml_node_s *n);

/* Parse YAML text (for tests and pgconfig_load). Same returns. */
int pgconfig_parse(struct pgconfig *c, const char *text, size_t len, char *err, size_t errlen);

const struct auth_module *pgconfig_module(const struct pgconfig *c, const char *name);
void pgconfig_free(struct pgconfig *c);

/*
 * Apply an auth module to a DSN as upstream's ConfigureTarget: userpass
 * username/password replace the target's, options become keywords.
 */
int auth_module_apply(const struct auth_module *m, struct pgdsn *d);

/* ---- connections (conn.c) ---- */

enum pgq_status {
	PGQ_OK = 0,
	PGQ_SQLERR = 1, /* the server answered with an error; the connection is fine */
	PGQ_CONNERR = 2, /* connection broken or deadline passed: close it */
	PGQ_LATE = 3, /* the deadline passed before anything was sent; the connection is fine */
};

struct prepared;
struct planned;

/* One open connection to one database. */
struct pgconn {
	PGconn *pg;
	int version; /* server_version_num */
	char *version_str; /* SELECT version(), for pg_static */
	char *dbname; /* current_database() */
	long stmt_timeout_ms; /* statement_timeout currently set in the session */
	struct prepared *prep;
	size_t nprep;
	const char *secret; /* password, for redacting error messages (not owned) */
	/*
	 * The prepared statements the last scrape ran, in order: the next
	 * scrape sends them all at once (libpq pipeline mode) and the
	 * collectors pick their results up, one round trip instead of one
	 * per query.
	 */
	struct planned *plan;
	size_t nplan;
	struct planned *rec; /* this scrape's, becoming the next plan */
	size_t nrec, caprec;
	/* One value kept across scrapes under a key (pg_settings). */
	char *cache_name;
	char *cache_key;
	void *cache_val;
	void (*cache_free)(void *);
	struct uq_conn *uq; /* custom queries, loaded when first needed */
};

/*
 * Connect to d (dbname replaced by dbname when not NULL) before the
 * monotonic deadline, without blocking past it. Sets application_name
 * (unless the DSN has one), statement and lock timeouts, and reads the
 * server version. Returns a connection, or NULL with a redacted message in
 * err.
 */
struct pgconn *pgconn_open(const struct pgdsn *d, const char *dbname, double deadline,
			   char *err, size_t errlen);

/*
 * Run sql (a statement prepared once per connection under name) and wait
 * for its result until deadline. Returns PGQ_OK with *out (caller frees with
 * PQclear), PGQ_SQLERR with a message, or PGQ_CONNERR (the caller must
 * close the connection). On a timeout the query is cancelled in the
 * background.
 */
enum pgq_status pgconn_query(struct pgconn *c, const char *name, const char *sql,
			     double deadline, PGresult **out, char *err, size_t errlen);

/*
 * As pgconn_query; record false keeps the query out of the next scrape's
 * pipeline (for queries a scrape runs only sometimes).
 */
enum pgq_status pgconn_query_ex(struct pgconn *c, const char *name, const char *sql,
				double deadline, bool record, PGresult **out, char *err,
				size_t errlen);

/*
 * Send the statements the previous scrape ran, pipelined, and keep their
 * results for pgconn_query. Returns PGQ_OK (also when there is nothing to
 * send) or PGQ_CONNERR.
 */
enum pgq_status pgconn_prefetch(struct pgconn *c, double deadline, char *err, size_t errlen);

/* End of a scrape: what ran becomes the next plan; unused results are dropped. */
void pgconn_end_scrape(struct pgconn *c);

/* Run a one-parameter query, unprepared. Same returns as pgconn_query. */
enum pgq_status pgconn_query1(struct pgconn *c, const char *sql, const char *param,
			      double deadline, PGresult **out, char *err, size_t errlen);

/* An empty query: proves the server answers. */
enum pgq_status pgconn_ping(struct pgconn *c, double deadline, char *err, size_t errlen);

/* Keep statement_timeout in step with the time a scrape has left. */
enum pgq_status pgconn_set_timeout(struct pgconn *c, double deadline, char *err, size_t errlen);

/*
 * True if an idle connection is known to be dead (the server closed it, e.g.
 * on restart): checked without a round trip.
 */
bool pgconn_dead(struct pgconn *c);

void pgconn_close(struct pgconn *c);

/* Wait (briefly) for background cancel requests at shutdown. */
void pgconn_shutdown(void);

/* ---- custom queries, --extend.query-path (userq.c) ---- */

enum uq_usage { UQ_DISCARD, UQ_LABEL, UQ_COUNTER, UQ_GAUGE, UQ_HISTOGRAM, UQ_MAPPEDMETRIC, UQ_DURATION };

/* A described column of a query. */
struct uq_column {
	char *name;
	enum uq_usage usage;
	char *help;
	char *family; /* <namespace>_<column>[_milliseconds]; NULL for DISCARD and LABEL */
	bool histogram_part; /* <col>_bucket, _sum, _count of a HISTOGRAM column */
};

/* One namespace of the file. */
struct uq_query {
	char *name_in_file;
	char *ns; /* with the first "pg" replaced by --metric-prefix, as upstream */
	char *sql;
	bool master;
	uint64_t cache_seconds;
	struct uq_column *cols;
	size_t ncols;
	const char **labels; /* LABEL columns, NULL-terminated (borrowed from cols) */
	size_t nlabels;
	char stmt[24]; /* prepared statement name */
};

struct uq_set {
	struct uq_query *q;
	size_t n;
};

/* The last load of the file: pg_exporter_user_queries_load_error{filename,hashsum}. */
struct uq_status {
	bool loaded;
	bool failed;
	char hash[65]; /* sha256, hex; "" when the file could not be read */
};

/* A query's cached result (cache_seconds) and last error, per database. */
struct uq_cached {
	size_t query;
	char *datname; /* NULL: the connection's own database */
	PGresult *res; /* NULL: the query failed (upstream caches that too) */
	double at; /* monotonic seconds of the run */
	bool valid;
	char *last_err; /* logged once while it lasts */
};

/* The queries of one connection: the file as read when it connected. */
struct uq_conn {
	struct uq_set *set; /* NULL when the file failed to load */
	struct uq_status status;
	struct uq_cached *cache;
	size_t ncache;
	bool published; /* its status was handed to /metrics (the default target's) */
};

/* What emitting needs: the scrape's families, the server label, families declared by queries. */
struct uq_emit {
	struct expo *e;
	const char *server;
	struct family *ours[256];
	size_t nours;
};

/* Parse queries.yaml text with upstream's (yaml.v2) rules. Returns 0, or -1 with err. */
int uq_parse(struct uq_set **out, const char *text, size_t len, char *err, size_t errlen);
void uq_set_free(struct uq_set *set);

/* Read and parse --extend.query-path, logging a failure as upstream; *out NULL on failure. */
void uq_load(struct uq_status *st, struct uq_set **out);

/* A connection's queries, loaded now (NULL: out of memory). */
struct uq_conn *uq_conn_load(void);
void uq_conn_free(struct uq_conn *uc);
struct uq_cached *uq_cache_slot(struct uq_conn *uc, size_t query, const char *datname);

/* Emit one result of q. Returns 0, or -1 with err (an array column that is not one). */
int uq_emit(struct uq_emit *em, const struct uq_query *q, const PGresult *r, char *err,
	    size_t errlen);

/* A value as upstream converts it (lib/pq's types); false when it is not a number. */
bool uq_value(const PGresult *r, int row, int col, double *out);

/* Unix seconds of a date/time value in ISO style (Go's Time.Unix()). Returns 0 or -1. */
int uq_unix_seconds(const char *v, unsigned oid, int64_t *out);

/* Run one query: 0 with *out, -1 (SQL error) with err, or UQ_LOST (the connection broke). */
#define UQ_LOST (-2)
typedef int (*uq_query_fn)(void *ctx, const struct uq_query *q, PGresult **out, char *err,
			   size_t errlen);

/*
 * Run the queries of uc (master: the data source's own database) through
 * fn, honouring cache_seconds, and emit them. Returns the number of
 * namespaces that failed, or -1 when the connection broke.
 */
int uq_run(struct uq_conn *uc, const char *datname, bool master, struct uq_emit *em, uq_query_fn fn,
	   void *ctx);

/* pg_exporter_user_queries_load_error for a load status (nothing before the first load). */
void uq_status_metric(const struct uq_status *st, struct expo *e);

/* ---- targets (target.c): the hooks of the backend layer (common/backend.h) ---- */

/* Wait between failed connection attempts, doubling from min to max (seconds). */
#define PG_BACKOFF_MIN 0.1
#define PG_BACKOFF_MAX 2.0

/* A persistent connection to another database of a target (auto discovery). */
struct dbconn {
	char *datname;
	struct pgconn *conn;
	struct backoff backoff; /* after a failed connect */
	bool seen; /* discovered in the current scrape */
	uint64_t prefetched; /* scrape number of the last pipelined prefetch */
	char last_err[512]; /* why the last connection attempt failed */
};

/*
 * Another data source of a comma-separated DATA_SOURCE_NAME: as upstream,
 * only the legacy part (pg_static, pg_stat_database_conflicts, custom
 * queries) runs on it, over a connection of its own.
 */
struct pgextra {
	struct pgdsn dsn;
	char *error; /* could not be parsed: connecting fails with this */
	struct pgconn *conn;
	struct backoff backoff;
	bool down; /* the last attempt failed (logged once) */
	char last_err[512];
};

/*
 * A target as the backend layer keeps it (its spec): the data source, and
 * the per-database connections. The main connection is the layer's.
 */
struct pgtarget {
	struct pgdsn dsn;
	char *dsn_error; /* the data source could not be parsed: connecting fails with this */
	struct pgextra *extras; /* the other data sources of DATA_SOURCE_NAME */
	size_t nextras;
	bool main_down; /* the first data source was down while others answered (logged once) */
	uint64_t scrapes; /* scrapes so far, numbering the per-database prefetches */
	struct dbconn *dbs;
	size_t ndbs;
};

/* Make a target for d (copied). Returns NULL on allocation failure. */
struct pgtarget *pgtarget_new(const struct pgdsn *d);

/*
 * The default target from the environment's data sources, which it adopts
 * (src is emptied): the first is the main one, the others extras. Returns
 * NULL on allocation failure.
 */
struct pgtarget *pgtarget_from_sources(struct pgsource *src, size_t n);

/* Connect to database datname of t (NULL: the DSN's), honouring its connect_timeout. */
struct pgconn *pg_open_db(const struct pgtarget *t, const char *datname, double deadline,
			  char *err, size_t errlen);

/* The hooks of the backend layer. */
extern const struct backend_ops pg_ops;

/* The collect hook (scrape.c). */
int pg_collect(struct backend_scrape *bs, struct expo *e, char *err, size_t errlen);

/* ---- one scrape (scrape.c) ---- */

/*
 * Replays recorded results instead of querying a server (unit tests):
 * returns a result for the named query, or NULL for "query failed".
 */
typedef PGresult *(*pg_replay_fn)(void *ctx, const char *datname, const char *name,
				  const char *sql);

/* What collectors get in s->target. */
struct pgscrape {
	struct pgtarget *t;
	struct backend_scrape *bs; /* the main connection is bs->conn; NULL when replaying */
	const struct request *rq;
	double deadline; /* monotonic seconds */
	int version; /* server_version_num of the main connection */
	bool conn_lost; /* a connection failed or timed out during this scrape */
	char lost_err[512]; /* why, the first time */
	int answered; /* queries the server answered (success or SQL error) */
	/* databases listed by pg_databases() for this scrape */
	bool dbs_listed;
	const char **dbnames;
	size_t ndbnames;
	PGresult *dbres;
	pg_replay_fn replay;
	void *replay_ctx;
	const char *replay_dbname;
};

/*
 * Run a query on the target's main connection. Returns 0 with *out (free
 * with PQclear) or COLLECT_ERROR with s->err set. name identifies the
 * prepared statement and must be stable for a given sql.
 */
int pg_query(struct scrape *s, const char *name, const char *sql, PGresult **out);

/* As pg_query, for a query this collector runs only on some scrapes (not pipelined). */
int pg_query_once(struct scrape *s, const char *name, const char *sql, PGresult **out);

/*
 * A value kept on the main connection across scrapes under key (dropped
 * with the connection): pg_cache_get returns it (borrowed) if name and key
 * match, pg_cache_put takes ownership of val (freed with free_fn).
 */
void *pg_cache_get(struct scrape *s, const char *name, const char *key);
void pg_cache_put(struct scrape *s, const char *name, const char *key, void *val,
		  void (*free_fn)(void *));

/*
 * The databases whose table statistics are collected: the connected one,
 * plus with --auto-discover-databases every other database that accepts
 * connections, filtered by --include-databases/--exclude-databases.
 * *n is set to the count; names stay valid for the scrape.
 */
int pg_databases(struct scrape *s, const char *const **names, size_t *n);

/*
 * Run a query in database datname (the main connection when it is the
 * connected database, else a persistent per-database connection). Returns
 * 0 with *out, COLLECT_NODATA if the database has gone (dropped since
 * discovery), or COLLECT_ERROR with s->err.
 */
int pg_query_db(struct scrape *s, const char *datname, const char *name, const char *sql,
		PGresult **out);

/* The main connection's server_version_num (0 if unknown). */
int pg_version(const struct scrape *s);

/* The connected database's name. */
const char *pg_dbname(const struct scrape *s);

/*
 * Value accessors for text-format results. pg_get_double returns 0 with
 * *out, 1 when the value is NULL (out untouched), -1 when it is not a
 * number (booleans t/f read as 1/0).
 */
int pg_get_double(const PGresult *r, int row, int col, double *out);
/* The string at (row, col), "" when NULL. */
const char *pg_get_str(const PGresult *r, int row, int col);
bool pg_is_null(const PGresult *r, int row, int col);

/*
 * Check the result has at least ncols columns; otherwise fail the scrape
 * with a message naming the query. Returns 0 or COLLECT_ERROR.
 */
int pg_expect_cols(struct scrape *s, const PGresult *r, int ncols, const char *what);

/* Fail with a message about a non-numeric value in column col. */
int pg_bad_value(struct scrape *s, const PGresult *r, int row, int col);

/* How a NULL value is exported. */
enum pg_null {
	PGN_ZERO, /* as 0 (upstream's sql.Null* zero values) */
	PGN_SKIP, /* the series is left out */
};

/* One value column of a result and the family it feeds. */
struct pg_col {
	const char *name; /* full metric name */
	enum metric_type type;
	const char *help;
	double scale; /* multiply by this; negative: divide by -scale (0 means 1) */
	enum pg_null null;
};

/*
 * Emit a result set: the first nlabels columns (nlabels = length of the
 * NULL-terminated labels) are label values (NULL becomes null_label), the
 * next ncols columns are values for cols[]. Returns 0, or COLLECT_ERROR
 * when the result has too few columns or a value is not a number.
 */
int pg_emit_table(struct scrape *s, struct expo *e, const PGresult *r, const char *const *labels,
		  const char *null_label, const struct pg_col *cols, size_t ncols);

/*
 * Run a per-table query (labels datname, schemaname, relname first) in
 * every database pg_databases() lists. A database dropped since discovery
 * is skipped; any other failure fails the collector after the remaining
 * databases were collected.
 */
int pg_collect_per_database(struct scrape *s, struct expo *e, const char *name, const char *sql,
			    const struct pg_col *cols, size_t ncols);

/* v scaled as pg_col.scale says (division keeps upstream's exact results). */
double pg_scale(double v, double scale);

/* Query then pg_emit_table; the result is freed. */
int pg_query_emit(struct scrape *s, struct expo *e, const char *name, const char *sql,
		  const char *const *labels, const char *null_label, const struct pg_col *cols,
		  size_t ncols);

/*
 * Append s as an SQL string literal (quotes doubled; the server runs with
 * standard_conforming_strings, the default since 9.1). Returns 0 or -1.
 */
int pg_append_literal(struct buf *b, const char *s);

#define NCOLS(a) (sizeof(a) / sizeof((a)[0]))

/* upstream's short_version from version(): "15.4.0". Returns 0 or -1. */
int pg_short_version(const char *version, char *out, size_t outlen);

/* The main connection of the scrape, or NULL. */
struct pgconn *pg_main_conn(const struct pgscrape *ps);

/* Check the flags, load the configuration, set up the default target (options.c). */
int pg_setup(struct exporter *x, char *err, size_t errlen);
void pg_teardown(struct exporter *x);

/* postgres_exporter_config_* families (the telemetry path's own). */
void pg_config_metrics(struct expo *e);

/* pg_exporter_user_queries_load_error of the default target's last load (/metrics). */
void pg_user_queries_metric(struct expo *e);

/* The loaded --config.file (never NULL after pg_setup). */
extern struct pgconfig pg_config;
extern bool pg_config_ok;
extern double pg_config_loaded_at;

/* Constant labels from --constantLabels. */
extern struct namelist pg_const_label_names;
extern struct namelist pg_const_label_values;

/*
 * The legacy exporter part on connection c of one data source (server: its
 * `server` label): pg_static and pg_stat_database_conflicts, unless a
 * custom query takes the latter's namespace.
 */
int pg_legacy_collect(struct pgscrape *ps, struct pgconn *c, const char *server, struct expo *e,
		      char *err, size_t errlen);

/*
 * A query of the legacy part on c (the main connection, reconnecting once
 * if needed, or another data source's). Returns 0 or -1 with err.
 */
int pg_legacy_query(struct pgscrape *ps, struct pgconn *c, const char *name, const char *sql,
		    PGresult **out, char *err, size_t errlen);

/*
 * Label names and values: base ones followed by --constantLabels. names is
 * NULL-terminated; returns the number of labels. cap counts the NULL.
 */
size_t pg_const_labels(const char **names, const char **values, size_t cap,
		       const char *const *base_names, const char *const *base_values);

#endif
