/*
 * clickhouse_exporter's shared types: the uniform reply every query of a
 * scrape is written to return, the server's capabilities learnt by the
 * probe, the HTTP connection (conn.c) and the sections (one per system
 * table query) that the collectors turn into families.
 *
 * Every section is one SELECT of the columns
 *     k String, l1..lL String, v1..vV Float64
 * (the section's key, its labels and values in the section's own order),
 * so that all of a scrape's sections go to the server as one UNION ALL in
 * one request, and a section can still be sent on its own when the
 * combined query fails. A statement has as many label and value columns as
 * its widest section needs: 18.16 spends more on parsing and analysing the
 * statement than on reading the tables, so every column and function
 * counts.
 */
#ifndef CLICKHOUSE_EXPORTER_CLICKHOUSE_H
#define CLICKHOUSE_EXPORTER_CLICKHOUSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/backend.h"
#include "../common/buf.h"
#include "../common/exporter.h"

#define CH_NLABELS 4
#define CH_NVALUES 4

/* The queries of a scrape. */
enum ch_sec {
	SEC_VERSION, /* version(), uptime(): restarts, when system.events is not read */
	SEC_METRICS,
	SEC_ASYNC,
	SEC_EVENTS,
	SEC_PARTS,
	SEC_DISKS,
	SEC_REPLICAS,
	SEC_REPLICATION_QUEUE,
	SEC_MUTATIONS,
	SEC_MUTATION_FAILURES,
	SEC_MERGES,
	SEC_DETACHED_PARTS,
	SEC_ERRORS,
	SEC_DICTIONARIES,
	SEC_N
};

/* One row of the uniform reply; strings point into the reply buffer ("" for a column not asked). */
struct ch_row {
	enum ch_sec sec;
	const char *l[CH_NLABELS];
	double v[CH_NVALUES];
};

/* ---- capabilities (probe.c) ---- */

/* What the probe learnt about a server: its version and the columns of the system tables we query. */
struct ch_caps {
	char version[64];
	bool readonly; /* readonly=1: the server refuses any setting in the URL */
	char *columns; /* "table.column\n" lines, malloc'd */
	size_t ncolumns;
	unsigned tables; /* a bit per enum ch_sec: the server has the section's table */
};

/* The probe statement (one request: version, readonly, system table columns). */
const char *ch_probe_sql(void);

/*
 * Fill caps from the rows of the probe reply (the reply must stay alive
 * only during the call). Returns 0, or -1 with err when the reply lacks
 * the version.
 */
int ch_caps_from_rows(struct ch_caps *caps, char *data, size_t len, char *err, size_t errlen);

/* Does system.<table> exist (column NULL) or have this column? */
bool ch_caps_has(const struct ch_caps *caps, const char *table, const char *column);

void ch_caps_free(struct ch_caps *caps);

/* ---- sections (sql.c and collectors/) ---- */

/* What one section selects, for sql.c to write as a branch of the statement. */
struct ch_select {
	/* String expressions (one not a plain String on every version as toString(...)); NULL ends. */
	const char *labels[CH_NLABELS];
	/* Float64 expressions (toFloat64(...) unless Float64 already); NULL ends. */
	const char *values[CH_NVALUES];
	const char *from; /* FROM/WHERE/GROUP BY clause, NULL for none */
};

struct ch_section {
	enum ch_sec sec;
	const char *key; /* value of column k */
	const char *table; /* system table it needs, NULL for none */
	/* The collector that emits it (NULL: none, asked for the exporter's own use). */
	const struct collector_def *collector;
	/*
	 * A section of things that are usually absent (replicas, mutations...):
	 * after it came back empty it is left out of scrapes (see ch_plan()).
	 */
	bool sparse;
	/* system.metrics entries of which a non-zero value says it may have rows now; NULL ends. */
	const char *const *hints;
	/* Fill sel for these capabilities: 0, or 1 when the server cannot answer it. */
	int (*select)(const struct ch_caps *caps, struct ch_select *sel);
};

extern const struct ch_section *const ch_sections[SEC_N];

/*
 * The statement of the sections in want (a bit per enum ch_sec): their
 * SELECTs joined by UNION ALL (column names given in the first one only),
 * FORMAT TabSeparatedWithNamesAndTypes. Sections that cannot be asked of
 * this server are set in *absent. Returns 0 or -1 (buffer full).
 */
int ch_build_query(const struct ch_caps *caps, unsigned want, struct buf *b, unsigned *absent);

/* ---- which sections a scrape asks (plan.c) ---- */

struct ch_result;

/* What earlier scrapes of a session learnt, for choosing the next one's sections. */
struct ch_plan {
	double asked_at[SEC_N]; /* monotonic seconds of the last time asked; 0: never */
	bool had_rows[SEC_N]; /* it returned rows then */
	bool hints_known; /* the last scrape read system.metrics */
	bool hinted[SEC_N]; /* a hint of that scrape was non-zero */
};

/*
 * Of the sections in want, those to ask now: every one, except a sparse
 * section that came back empty less than recheck seconds ago and that no
 * hint of the last scrape points to (all of them when that scrape did not
 * read system.metrics).
 */
unsigned ch_plan(const struct ch_plan *p, unsigned want, double now, double recheck);

/* Record what the sections asked (a bit each) in a scrape gave. */
void ch_plan_update(struct ch_plan *p, unsigned asked, const struct ch_result *res, double now);

/* ---- TabSeparatedWithNamesAndTypes (tsv.c) ---- */

struct tsv {
	char *cur, *end;
	size_t ncols;
	char *names[32];
	size_t line; /* 1-based number of the last line read */
};

/*
 * Start reading data[0..len) in place: checks that the reply ends with a
 * newline (a reply cut short does not), that it is not a server error
 * text, and reads the names and types lines. Returns 0 or -1 with err.
 */
int tsv_open(struct tsv *t, char *data, size_t len, char *err, size_t errlen);

/* Index of the column called name, or -1. */
int tsv_column(const struct tsv *t, const char *name);

/*
 * Next row: its fields are cut out and unescaped in place, up to max of
 * them stored in fields. Returns the number of fields of the row (which
 * may differ from t->ncols in a broken reply), 0 at the end of the data,
 * or -1 when the line is a server error text (an exception sent after
 * the first rows).
 */
long tsv_next(struct tsv *t, char **fields, size_t max);

/* Undo TabSeparated escaping of s in place (\t \n \\ \' \b \f \r); returns s. */
char *tsv_unescape(char *s);

/* ---- one scrape's reply (reply.c) ---- */

enum ch_sec_state {
	SEC_NOT_ASKED,
	SEC_ABSENT, /* the server has no such table */
	SEC_OK,
	SEC_FAILED,
	SEC_QUIET, /* left out: empty when last asked (no rows, not a failure) */
};

/* What collectors get as s->target. */
struct ch_result {
	struct ch_row *rows; /* sorted by section */
	size_t nrows;
	size_t first[SEC_N], count[SEC_N];
	enum ch_sec_state state[SEC_N];
	size_t bad_rows[SEC_N]; /* rows skipped: wrong field count, not a number */
	char err[SEC_N][200]; /* why a section failed */
	const struct ch_caps *caps;
	struct ch_names *names; /* the connection's name cache, or NULL */
};

/* Growable row storage kept between scrapes of a connection. */
struct ch_rows {
	struct ch_row *rows, *sorted;
	size_t n, cap;
	size_t bad[SEC_N];
};

/*
 * Parse a reply of uniform rows (in place) and append them to rows.
 * Returns 0, or -1 with err when the reply as a whole is unusable
 * (not TabSeparatedWithNamesAndTypes, cut short, an exception text).
 */
int ch_rows_parse(struct ch_rows *rows, char *data, size_t len, char *err, size_t errlen);

/* Sort the rows into res by section (res->rows points into rows). */
void ch_rows_finish(struct ch_rows *rows, struct ch_result *res);

void ch_rows_free(struct ch_rows *rows);

/* Section of a key, or SEC_N. */
enum ch_sec ch_sec_of(const char *key);

/* ---- metric names (names.c) ---- */

/*
 * upstream's name of a system.metrics/events/asynchronous_metrics entry:
 * "clickhouse_" + snake case (an underscore before an upper-case letter
 * that follows a lower-case one or precedes one) + suffix, with every
 * character not valid in a metric name as '_'. Returns 0 or -1 (too long).
 */
int ch_metric_name(char *dst, size_t cap, const char *raw, const char *suffix);

/*
 * Metric names and help texts of name/value rows, made once per
 * connection: they are the same in every scrape.
 */
struct ch_names;
struct ch_names *ch_names_new(void);
void ch_names_free(struct ch_names *n);

/* Start a scrape: names emitted by earlier scrapes may be emitted again (n may be NULL). */
void ch_names_next_scrape(struct ch_names *n);

/*
 * Emit the rows of a name/value section as one unlabelled family each.
 * A name already declared in this scrape by another section is skipped
 * (upstream would fail the scrape on it), so are repeated names.
 */
void ch_emit_values(struct expo *e, const struct ch_result *r, enum ch_sec sec, enum metric_type type,
		    const char *suffix, const char *help_pre, const char *help_post);

/*
 * Collector helper: COLLECT_NODATA if the section was not available on
 * this server, COLLECT_ERROR (message in s) if it failed or rows were
 * skipped, else COLLECT_OK.
 */
int ch_section_status(struct scrape *s, const struct ch_result *r, enum ch_sec sec);

/* Does the section hold rows we can emit (ok, or failed only on some rows)? */
bool ch_section_usable(const struct ch_result *r, enum ch_sec sec);

/* Labelled per-table gauges of value column i; declares the family. */
void ch_emit_table_gauge(struct expo *e, const struct ch_result *r, enum ch_sec sec, int i,
			 const char *name, const char *help);

/* ---- HTTP connection (conn.c) ---- */

struct chconn_opts {
	const char *user; /* CLICKHOUSE_USER, NULL or "" for none */
	const char *password; /* CLICKHOUSE_PASSWORD (secret), NULL for none */
	const char *ca_file; /* PEM bundle, NULL or "" for the system's */
	bool insecure; /* skip certificate checks */
	double timeout; /* most seconds for one request, besides the scrape deadline */
};

/* A parsed address: what to connect to, with its credentials. */
struct chaddr;

/* A kept HTTP connection to an address. */
struct chconn;

/* Outcome of a query. */
enum ch_qrc {
	CHQ_OK = 0,
	CHQ_TRANSPORT = -1, /* no HTTP reply: refused, timeout, cut short, TLS */
	CHQ_SERVER = -2, /* the server answered with an error (code in *code, 0 if none) */
};

/*
 * Parse a ClickHouse HTTP address (http[s]://[user:pass@]host[:port][/path][?settings],
 * or host[:port]) with the credentials and TLS options of o (no I/O).
 * display receives scheme://host:port/path: no credentials, no query
 * string. Returns NULL with err (which never quotes the address's
 * credentials).
 */
struct chaddr *chaddr_parse(const char *uri, const struct chconn_opts *o, char *display, size_t displen,
			    char *err, size_t errlen);

/* Free an address and wipe its secrets (NULL is fine). */
void chaddr_free(struct chaddr *a);

/* A connection to a (which must outlive it); no I/O yet. NULL with err. */
struct chconn *chconn_open(const struct chaddr *a, char *err, size_t errlen);

/* Close the connection and wipe the secrets it held (NULL is fine). */
void chconn_free(struct chconn *c);

/*
 * Send sql (as a POST body) before deadline (monotonic seconds). With settings,
 * max_execution_time follows the deadline. On CHQ_OK, body and len hold the
 * reply (owned by c, valid until the next query). Errors leave a one-line
 * message in err without secrets; after CHQ_TRANSPORT the connection is in
 * an unknown state and should be closed.
 */
enum ch_qrc chconn_query(struct chconn *c, const char *sql, bool settings, double deadline,
			 char **body, size_t *len, int *code, char *err, size_t errlen);

/* libcurl's global set-up; call once before threads start. Returns 0 or -1. */
int chconn_global_init(void);
void chconn_global_cleanup(void);

/* ---- collectors (collectors/<name>.c) ---- */

extern const struct collector_def collector_metrics, collector_asynchronous_metrics,
	collector_events, collector_parts, collector_disks, collector_replicas, collector_mutations,
	collector_merges, collector_detached_parts, collector_errors, collector_dictionaries,
	collector_version;

extern const struct ch_section section_version, section_metrics, section_async, section_events,
	section_parts, section_disks, section_replicas, section_replication_queue, section_mutations,
	section_mutation_failures, section_merges, section_detached_parts, section_errors,
	section_dictionaries;

/* ---- options (options.c) ---- */

/* Written at start-up only (flags, environment), read by every scrape. */
struct ch_options {
	const char *scrape_uri; /* the default target */
	const char *ca_file;
	bool clickhouse_only; /* no process_*, promhttp_*, build info */
	bool probe_credentials; /* send CLICKHOUSE_USER/PASSWORD to /probe targets too */
	double recheck; /* seconds a sparse section found empty may be left out */
	struct chconn_opts conn;
};
extern struct ch_options ch_opts;

/* Check the flags, read the environment, set up the default target. */
int ch_setup(struct exporter *x, char *err, size_t errlen);
void ch_teardown(struct exporter *x);

/* ---- targets (target.c): the hooks of the backend layer ---- */

/* Mutation failures remembered per target (so as to log each once). */
#define CH_SEEN_FAILURES 64

/* A target as the backend layer keeps it (its spec). */
struct ch_target {
	struct chaddr *addr; /* NULL: the address is unusable (why in err) */
	char name[512]; /* the address as logs show it */
	char err[256];
	uint64_t seen[CH_SEEN_FAILURES]; /* hashes of the mutation failures logged */
	size_t nseen;
};

extern const struct backend_ops ch_ops;

/*
 * Make the default target from an address (probe: named by a /probe
 * request, which gets the credentials only with -probe_credentials).
 * Returns a target, its addr NULL with the reason in err when the address
 * is unusable; NULL when out of memory.
 */
struct ch_target *ch_target_new(const char *uri, bool probe);

/* ---- scrapes (scrape.c) ---- */

/* The open hook: a connection to spec's server, probed before deadline; NULL with err. */
void *ch_session_open(void *spec, double deadline, char *err, size_t errlen);

/* The close hook. */
void ch_session_close(void *session);

/* The collect hook: one scrape of bs->conn, the collectors over its rows. */
int ch_collect(struct backend_scrape *bs, struct expo *e, char *err, size_t errlen);

#endif
