/*
 * One scrape of one target (ch_collect, the backend layer's collect hook):
 * every selected section in one UNION ALL request on the target's session,
 * then the collectors over the rows. A session (the open hook) is a kept
 * HTTP connection with what the probe learnt of the server.
 *
 * When the combined query is refused for its content (a column or table
 * this server lacks, no grant on one table), each section is sent alone
 * once: those that fail again are left out for the rest of the session
 * and reported by their collector, the others are served. Transport
 * errors, HTTP errors of another kind and unreadable replies make the
 * scrape fail (clickhouse_up 0) and close the session: the next scrape
 * opens and probes a new one (with the layer's backoff when that fails).
 */
#include <stdlib.h>
#include <string.h>

#include "../common/log.h"
#include "../common/parse.h"
#include "clickhouse.h"

struct ch_session {
	struct chconn *conn;
	bool probed;
	struct ch_caps caps;
	double uptime; /* of the last scrape: a smaller one means a restart */
	unsigned disabled; /* sections refused alone on this session */
	char disabled_err[SEC_N][200];
	struct ch_plan plan; /* what earlier scrapes found, for choosing sections */
	double queries; /* system.events' Query of the last scrape: smaller means a restart */
	unsigned sql_wanted; /* sections the cached SQL was built for; 0: none */
	unsigned sql_absent; /* of those, the ones the server cannot answer */
	struct buf sql;
	struct buf replies; /* bodies of the one-section queries of a fallback */
	struct ch_rows rows;
	struct ch_names *names;
};

void ch_session_close(void *p)
{
	struct ch_session *s = p;
	if (!s)
		return;
	chconn_free(s->conn);
	ch_caps_free(&s->caps);
	buf_free(&s->sql);
	buf_free(&s->replies);
	ch_rows_free(&s->rows);
	ch_names_free(s->names);
	free(s);
}

/* ClickHouse error codes that say the statement does not fit this server, not that the server is unwell. */
static bool content_error(int code)
{
	static const int codes[] = {
		8, /* THERE_IS_NO_COLUMN */ 10, /* NOT_FOUND_COLUMN_IN_BLOCK */
		16, /* NO_SUCH_COLUMN_IN_TABLE */ 36, /* BAD_ARGUMENTS */ 43, /* ILLEGAL_TYPE_OF_ARGUMENT */
		44, /* ILLEGAL_COLUMN */ 46, /* UNKNOWN_FUNCTION */ 47, /* UNKNOWN_IDENTIFIER */
		48, /* NOT_IMPLEMENTED */ 53, /* TYPE_MISMATCH */ 60, /* UNKNOWN_TABLE */
		62, /* SYNTAX_ERROR */ 81, /* UNKNOWN_DATABASE */ 184, /* ILLEGAL_AGGREGATION */
		215, /* NOT_AN_AGGREGATE */ 386, /* NO_COMMON_TYPE */ 497, /* ACCESS_DENIED */
	};
	for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
		if (codes[i] == code)
			return true;
	return false;
}

static int probe(struct ch_session *s, const char *name, double deadline, char *err, size_t errlen)
{
	char *body;
	size_t len;
	int code;
	if (chconn_query(s->conn, ch_probe_sql(), false, deadline, &body, &len, &code, err, errlen) != CHQ_OK)
		return -1;
	if (ch_caps_from_rows(&s->caps, body, len, err, errlen) < 0)
		return -1;
	s->probed = true;
	s->uptime = 0;
	s->queries = 0;
	memset(&s->plan, 0, sizeof s->plan);
	s->disabled = 0;
	s->sql_wanted = 0;
	log_info("probed ClickHouse", "target", name, "version", s->caps.version, "settings",
		 s->caps.readonly ? "refused (readonly=1): no server-side time limit" : "sent", NULL);
	return 0;
}

void *ch_session_open(void *spec, double deadline, char *err, size_t errlen)
{
	struct ch_target *t = spec;
	if (!t->addr) {
		strf(err, errlen, "%s", t->err);
		return NULL;
	}
	struct ch_session *s = calloc(1, sizeof *s);
	if (!s) {
		strf(err, errlen, "out of memory");
		return NULL;
	}
	buf_init(&s->sql, 1u << 20);
	buf_init(&s->replies, 512u << 20);
	s->names = ch_names_new();
	s->conn = chconn_open(t->addr, err, errlen);
	if (!s->names || !s->conn || probe(s, t->name, deadline, err, errlen) < 0) {
		if (!s->names)
			strf(err, errlen, "out of memory");
		ch_session_close(s);
		return NULL;
	}
	return s;
}

/*
 * Sections to ask for: those of the selected collectors the server has
 * and has not refused, the version section when system.events is not
 * among them (restarts are seen in its Query count otherwise), less the
 * sparse sections left out this time (ch_plan()).
 */
static unsigned wanted_sections(const struct ch_session *s, const struct request *rq, const bool *sel,
				struct ch_result *res)
{
	unsigned want = 0;
	for (int i = 0; i < SEC_N; i++) {
		const struct ch_section *d = ch_sections[i];
		bool chosen = false;
		for (size_t k = 0; k < rq->x->ninst && !chosen; k++)
			chosen = rq->x->inst[k].def == d->collector && (sel ? sel[k] : rq->x->inst[k].enabled);
		if (!chosen)
			continue;
		if (!(s->caps.tables & (1u << i))) {
			res->state[i] = SEC_ABSENT;
			continue;
		}
		if (s->disabled & (1u << i)) {
			res->state[i] = SEC_FAILED;
			strf(res->err[i], sizeof res->err[i], "%s", s->disabled_err[i]);
			continue;
		}
		want |= 1u << i;
	}
	if (!(want & (1u << SEC_EVENTS)))
		want |= 1u << SEC_VERSION;
	unsigned ask = ch_plan(&s->plan, want, mono_now(), ch_opts.recheck);
	for (int i = 0; i < SEC_N; i++)
		if ((want & ~ask) & (1u << i))
			res->state[i] = SEC_QUIET;
	return ask;
}

/* The combined statement of the wanted sections, rebuilt when they change. */
static int build_sql(struct ch_session *s, unsigned want)
{
	if (s->sql_wanted == want)
		return 0;
	s->sql_wanted = 0;
	if (ch_build_query(&s->caps, want, &s->sql, &s->sql_absent) < 0)
		return -1;
	s->sql_wanted = want;
	return 0;
}

/* One section alone, into s->replies; 0, 1 (refused for its content: disabled), -1 (scrape fails). */
static int query_alone(struct ch_session *s, const char *name, int sec, double deadline, size_t *off,
		       size_t *len, char *err, size_t errlen)
{
	struct buf one;
	unsigned absent;
	buf_init(&one, 1u << 20);
	if (ch_build_query(&s->caps, 1u << sec, &one, &absent) < 0) {
		buf_free(&one);
		strf(err, errlen, "query of %s too long", ch_sections[sec]->key);
		return -1;
	}
	char *body;
	int code;
	enum ch_qrc q = chconn_query(s->conn, one.data, !s->caps.readonly, deadline, &body, len, &code, err, errlen);
	buf_free(&one);
	if (q == CHQ_SERVER && content_error(code)) {
		s->disabled |= 1u << sec;
		strf(s->disabled_err[sec], sizeof s->disabled_err[sec], "%s", err);
		log_warn("query refused by this server; not asked again on this connection", "target", name,
			 "section", ch_sections[sec]->key, "err", err, NULL);
		return 1;
	}
	if (q != CHQ_OK)
		return -1;
	*off = s->replies.len;
	if (buf_append(&s->replies, body, *len) < 0) {
		strf(err, errlen, "replies too large");
		return -1;
	}
	return 0;
}

/* Send the sections one by one after the combined query was refused for its content. */
static int fallback(struct ch_session *s, const char *name, unsigned want, double deadline,
		    struct ch_result *res, char *err, size_t errlen)
{
	size_t off[SEC_N], len[SEC_N];
	unsigned ok = 0;
	buf_reset(&s->replies);
	for (int i = 0; i < SEC_N; i++) {
		if (!(want & (1u << i)))
			continue;
		int rc = query_alone(s, name, i, deadline, &off[i], &len[i], err, errlen);
		if (rc < 0)
			return -1;
		if (rc > 0) {
			res->state[i] = SEC_FAILED;
			strf(res->err[i], sizeof res->err[i], "%s", s->disabled_err[i]);
		} else {
			ok |= 1u << i;
		}
	}
	s->sql_wanted = 0;
	/* Parsed only now: the buffer no longer moves. */
	for (int i = 0; i < SEC_N; i++) {
		if (!(ok & (1u << i)))
			continue;
		if (ch_rows_parse(&s->rows, s->replies.data + off[i], len[i], err, errlen) < 0)
			return -1;
		res->state[i] = SEC_OK;
	}
	return 0;
}

static uint64_t fnv(uint64_t h, const char *p)
{
	for (; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211u;
	return (h ^ 0xff) * 1099511628211u;
}

/* Log each failing mutation once per reason. */
static void log_mutation_failures(struct ch_target *t, const struct ch_result *r)
{
	const struct ch_row *row = r->rows + r->first[SEC_MUTATION_FAILURES];
	for (size_t i = 0; i < r->count[SEC_MUTATION_FAILURES]; i++, row++) {
		uint64_t h = fnv(fnv(fnv(fnv(14695981039346656037u, row->l[0]), row->l[1]), row->l[2]), row->l[3]);
		bool seen = false;
		for (size_t k = 0; k < t->nseen && k < CH_SEEN_FAILURES && !seen; k++)
			seen = t->seen[k] == h;
		if (seen)
			continue;
		t->seen[t->nseen++ % CH_SEEN_FAILURES] = h;
		char reason[400];
		strf(reason, sizeof reason, "%s", row->l[3]);
		log_warn("mutation failing", "target", t->name, "database", row->l[0], "table", row->l[1],
			 "mutation_id", row->l[2], "reason", reason, NULL);
	}
}

/* The value of the row of sec whose first label is name, or -1. */
static double row_value(const struct ch_result *res, enum ch_sec sec, const char *name)
{
	const struct ch_row *row = res->rows + res->first[sec];
	for (size_t i = 0; i < res->count[sec]; i++, row++)
		if (row->l[0][0] == name[0] && !strcmp(row->l[0], name))
			return row->v[0];
	return -1;
}

/*
 * Did the server restart since the last scrape? Its Query count (every
 * query since it started, ours too) or its uptime went down.
 */
static bool restarted(struct ch_session *s, const struct ch_result *res)
{
	bool again = false;
	if (res->state[SEC_EVENTS] == SEC_OK) {
		double queries = row_value(res, SEC_EVENTS, "Query");
		again = queries >= 0 && queries < s->queries;
		s->queries = queries;
	}
	if (res->state[SEC_VERSION] == SEC_OK && res->count[SEC_VERSION] == 1) {
		double uptime = res->rows[res->first[SEC_VERSION]].v[0];
		again = again || uptime < s->uptime;
		s->uptime = uptime;
	}
	return again;
}

/* Fetch and parse this scrape's rows into res (the target is locked). Returns 0 or -1 with err. */
static int fetch(struct ch_session *s, struct ch_target *t, const struct request *rq, const bool *sel,
		 double deadline, struct ch_result *res, char *err, size_t errlen)
{
	const char *name = t->name;
	if (!s->probed && probe(s, name, deadline, err, errlen) < 0)
		return -1;
	res->caps = &s->caps;
	res->names = s->names;
	ch_names_next_scrape(s->names);
	s->rows.n = 0;
	memset(s->rows.bad, 0, sizeof s->rows.bad);
	unsigned want = wanted_sections(s, rq, sel, res);
	if (build_sql(s, want) < 0) {
		strf(err, errlen, "query too long");
		return -1;
	}
	for (int i = 0; i < SEC_N; i++)
		if (s->sql_absent & (1u << i))
			res->state[i] = SEC_ABSENT;
	want &= ~s->sql_absent;

	char *body;
	size_t len;
	int code;
	enum ch_qrc q = chconn_query(s->conn, s->sql.data, !s->caps.readonly, deadline, &body, &len, &code, err,
				     errlen);
	if (q == CHQ_SERVER && content_error(code)) {
		if (fallback(s, name, want, deadline, res, err, errlen) < 0)
			return -1;
	} else if (q != CHQ_OK) {
		return -1;
	} else {
		if (ch_rows_parse(&s->rows, body, len, err, errlen) < 0)
			return -1;
		for (int i = 0; i < SEC_N; i++)
			if (want & (1u << i))
				res->state[i] = SEC_OK;
	}
	ch_rows_finish(&s->rows, res);
	ch_plan_update(&s->plan, want, res, mono_now());
	if (restarted(s, res)) {
		/* Perhaps upgraded: what it offers is asked again next time. */
		log_info("ClickHouse restarted", "target", name, NULL);
		s->probed = false;
	}
	log_mutation_failures(t, res);
	return 0;
}

int ch_collect(struct backend_scrape *bs, struct expo *e, char *err, size_t errlen)
{
	struct ch_session *s = bs->conn;
	struct ch_result res;
	memset(&res, 0, sizeof res);
	if (fetch(s, bs->spec, bs->rq, bs->selected, bs->deadline, &res, err, errlen) < 0) {
		/* Whatever went wrong, the next scrape starts from a new connection and probe. */
		backend_drop(bs);
		return -1;
	}
	exporter_run_collectors(bs->rq, bs->selected, &res, e);
	return 0;
}
