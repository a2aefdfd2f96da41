/*
 * --extend.query-path: upstream's custom queries (queries.yaml), run on the
 * legacy path as postgres_exporter 0.20.1 does.
 *
 *   pg_replication:                  # namespace: the families' prefix
 *     query: "SELECT ... AS lag"
 *     master: true                   # not on auto-discovered databases
 *     cache_seconds: 30              # reuse the result this long
 *     runonserver: ">=10.0.0"        # read, and ignored (as upstream)
 *     metrics:
 *       - lag: {usage: GAUGE, description: "..."}
 *
 * What upstream does and this file does too: the file is read (and its
 * SHA-256 reported in pg_exporter_user_queries_load_error) each time a
 * connection is made; any decoding error drops every query of the file;
 * an unknown usage discards its column; a column not described becomes an
 * untyped <namespace>_<column> if numeric; DURATION appends _milliseconds;
 * MAPPEDMETRIC and DURATION take the value as a number (metric_mapping is
 * not applied); HISTOGRAM reads the <col>, <col>_bucket, <col>_sum and
 * <col>_count columns; NULL is NaN; a LABEL column missing from the result
 * takes the first column's value; every family carries `server` and
 * --constantLabels; the first "pg" of a namespace becomes --metric-prefix.
 * A failing query fails its namespace only (pg_exporter_last_scrape_error
 * 1, pg_up stays 1); a value that is not a number drops that series.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>
#include <openssl/evp.h>

#include "../common/fmtnum.h"
#include "../common/log.h"
#include "../common/parse.h"
#include "pg.h"

/* PostgreSQL type OIDs (catalog/pg_type_d.h) whose text lib/pq decodes. */
enum {
	OID_BOOL = 16, OID_BYTEA = 17, OID_INT8 = 20, OID_INT2 = 21, OID_INT4 = 23,
	OID_FLOAT4 = 700, OID_FLOAT8 = 701, OID_DATE = 1082, OID_TIME = 1083,
	OID_TIMESTAMP = 1114, OID_TIMESTAMPTZ = 1184, OID_TIMETZ = 1266,
};

static const char *const usage_names[] = {
	[UQ_DISCARD] = "DISCARD", [UQ_LABEL] = "LABEL", [UQ_COUNTER] = "COUNTER",
	[UQ_GAUGE] = "GAUGE", [UQ_HISTOGRAM] = "HISTOGRAM", [UQ_MAPPEDMETRIC] = "MAPPEDMETRIC",
	[UQ_DURATION] = "DURATION",
};

/* ---- the file ---- */

static void free_query(struct uq_query *q)
{
	free(q->name_in_file);
	free(q->ns);
	free(q->sql);
	for (size_t i = 0; i < q->ncols; i++) {
		free(q->cols[i].name);
		free(q->cols[i].help);
		free(q->cols[i].family);
	}
	free(q->cols);
	free(q->labels);
}

void uq_set_free(struct uq_set *set)
{
	if (!set)
		return;
	for (size_t i = 0; i < set->n; i++)
		free_query(&set->q[i]);
	free(set->q);
	free(set);
}

struct decode {
	yaml_document_t *doc;
	char *err;
	size_t errlen;
};

/* yaml.v2's wording for a value that does not fit the field. */
static int bad(struct decode *d, const yaml_node_t *n, const char *into)
{
	const char *tag = n->type == YAML_MAPPING_NODE ? "!!map"
			  : n->type == YAML_SEQUENCE_NODE ? "!!seq"
							   : "!!str";
	strf(d->err, d->errlen, "line %lu: cannot unmarshal %s `%.40s` into %s",
	     (unsigned long)n->start_mark.line + 1, tag, pgyaml_scalar(n) ? pgyaml_scalar(n) : "",
	     into);
	return -1;
}

static bool plain(const yaml_node_t *n)
{
	return n->type == YAML_SCALAR_NODE && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
}

/* YAML 1.1 booleans, as yaml.v2 resolves plain scalars. */
static int decode_bool(struct decode *d, const yaml_node_t *n, bool *out)
{
	static const char *const yes[] = { "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE",
					   "on", "On", "ON" };
	static const char *const no[] = { "n", "N", "no", "No", "NO", "false", "False", "FALSE",
					  "off", "Off", "OFF" };
	if (pgyaml_is_null(n))
		return 0;
	const char *s = plain(n) ? pgyaml_scalar(n) : NULL;
	for (size_t i = 0; s && i < sizeof yes / sizeof yes[0]; i++) {
		if (!strcmp(s, yes[i]) || !strcmp(s, no[i])) {
			*out = !strcmp(s, yes[i]);
			return 0;
		}
	}
	return bad(d, n, "bool");
}

static int decode_uint(struct decode *d, const yaml_node_t *n, uint64_t *out)
{
	if (pgyaml_is_null(n))
		return 0;
	const char *s = plain(n) ? pgyaml_scalar(n) : NULL;
	if (!s || parse_u64(s, out) < 0)
		return bad(d, n, "uint64");
	return 0;
}

/* Any scalar decodes into a string field, as in yaml.v2. */
static int decode_string(struct decode *d, const yaml_node_t *n, char **out)
{
	const char *s = pgyaml_is_null(n) ? "" : pgyaml_scalar(n);
	if (!s)
		return bad(d, n, "string");
	free(*out);
	*out = strdup(s);
	if (!*out) {
		strf(d->err, d->errlen, "out of memory");
		return -1;
	}
	return 0;
}

/* Each key k and value v of a mapping node (p names the iterator). */
#define EACH_PAIR(d, map, p, k, v)                                                                 \
	for (yaml_node_pair_t *p = (map)->data.mapping.pairs.start; p < (map)->data.mapping.pairs.top; p++) \
		for (const yaml_node_t *k = yaml_document_get_node((d)->doc, p->key),                      \
					*v = yaml_document_get_node((d)->doc, p->value), *p##_once = k;       \
		     p##_once; p##_once = NULL)

static struct uq_column *add_column(struct decode *d, struct uq_query *q, const char *name)
{
	/* A column described twice: the later description wins (a Go map). */
	for (size_t i = 0; i < q->ncols; i++)
		if (!strcmp(q->cols[i].name, name))
			return &q->cols[i];
	struct uq_column *cols = realloc(q->cols, (q->ncols + 1) * sizeof *cols);
	if (!cols)
		goto oom;
	q->cols = cols;
	struct uq_column *c = &q->cols[q->ncols];
	memset(c, 0, sizeof *c);
	if (!(c->name = strdup(name)))
		goto oom;
	q->ncols++;
	return c;
oom:
	strf(d->err, d->errlen, "out of memory");
	return NULL;
}

/* One `- column: {usage, description, metric_mapping}` item of metrics. */
static int decode_mapping(struct decode *d, const yaml_node_t *item, struct uq_query *q)
{
	if (pgyaml_is_null(item))
		return 0;
	if (item->type != YAML_MAPPING_NODE)
		return bad(d, item, "exporter.Mapping");
	EACH_PAIR(d, item, pi, k, v)
	{
		const char *name = pgyaml_scalar(k);
		if (!name)
			return bad(d, k, "string");
		struct uq_column *c = add_column(d, q, name);
		if (!c)
			return -1;
		char *usage = NULL;
		int rc = 0;
		if (!pgyaml_is_null(v) && v->type != YAML_MAPPING_NODE)
			return bad(d, v, "exporter.MappingOptions");
		if (!pgyaml_is_null(v)) {
			EACH_PAIR(d, v, po, ok, ov)
			{
				const char *opt = pgyaml_scalar(ok);
				if (!opt || rc)
					continue;
				if (!strcmp(opt, "usage"))
					rc = decode_string(d, ov, &usage);
				else if (!strcmp(opt, "description"))
					rc = decode_string(d, ov, &c->help);
				else if (!strcmp(opt, "metric_mapping") && !pgyaml_is_null(ov) &&
					 ov->type != YAML_MAPPING_NODE)
					rc = bad(d, ov, "map[string]float64");
				else if (!strcmp(opt, "pg_version") && !pgyaml_is_null(ov))
					/* a Go function type: yaml.v2 cannot decode into it */
					rc = bad(d, ov, "semver.Range");
			}
		}
		c->usage = UQ_DISCARD;
		bool known = !usage || !*usage;
		for (size_t u = 0; usage && u < sizeof usage_names / sizeof usage_names[0]; u++)
			if (!strcmp(usage, usage_names[u])) {
				c->usage = (enum uq_usage)u;
				known = true;
			}
		if (!known)
			/* upstream discards it without a word; say it once */
			log_warn("custom query column has an unknown usage: discarded", "namespace", q->ns,
				 "column", name, "usage", usage, NULL);
		free(usage);
		if (!c->help && !(c->help = strdup("")))
			rc = -1;
		if (rc)
			return rc;
	}
	return 0;
}

static int decode_query(struct decode *d, const yaml_node_t *n, struct uq_query *q)
{
	if (pgyaml_is_null(n))
		return 0;
	if (n->type != YAML_MAPPING_NODE)
		return bad(d, n, "exporter.UserQuery");
	int rc = 0;
	EACH_PAIR(d, n, pq, k, v)
	{
		const char *key = pgyaml_scalar(k);
		if (!key || rc)
			continue;
		if (!strcmp(key, "query")) {
			rc = decode_string(d, v, &q->sql);
		} else if (!strcmp(key, "master")) {
			rc = decode_bool(d, v, &q->master);
		} else if (!strcmp(key, "cache_seconds")) {
			rc = decode_uint(d, v, &q->cache_seconds);
		} else if (!strcmp(key, "runonserver")) {
			char *ignored = NULL; /* parsed, never applied upstream */
			rc = decode_string(d, v, &ignored);
			free(ignored);
		} else if (!strcmp(key, "metrics")) {
			if (pgyaml_is_null(v))
				continue;
			if (v->type != YAML_SEQUENCE_NODE)
				rc = bad(d, v, "[]exporter.Mapping");
			for (yaml_node_item_t *it = v->data.sequence.items.start;
			     !rc && it < v->data.sequence.items.top; it++)
				rc = decode_mapping(d, yaml_document_get_node(d->doc, *it), q);
		}
		/* other keys are ignored: yaml.v2 is not strict */
	}
	return rc;
}

/* upstream's strings.Replace(namespace, "pg", prefix, 1) */
static char *prefixed(const char *ns)
{
	const char *at = strstr(ns, "pg");
	size_t n = strlen(ns) + strlen(pg_metric_prefix) + 1;
	char *out = malloc(n);
	if (out && at)
		strf(out, n, "%.*s%s%s", (int)(at - ns), ns, pg_metric_prefix, at + 2);
	else if (out)
		strf(out, n, "%s", ns);
	return out;
}

/* Family names, label columns and histogram parts, once decoded. */
static int finish_query(struct uq_query *q, size_t index)
{
	strf(q->stmt, sizeof q->stmt, "uq%zu", index);
	if (!q->sql && !(q->sql = strdup("")))
		return -1;
	size_t ncols = q->ncols;
	for (size_t i = 0; i < ncols; i++) {
		struct uq_column *c = &q->cols[i];
		if (c->usage == UQ_LABEL)
			q->nlabels++;
		if (c->usage == UQ_DISCARD || c->usage == UQ_LABEL)
			continue;
		size_t n = strlen(q->ns) + strlen(c->name) + sizeof "__milliseconds";
		if (!(c->family = malloc(n)))
			return -1;
		strf(c->family, n, "%s_%s%s", q->ns, c->name, c->usage == UQ_DURATION ? "_milliseconds" : "");
	}
	/* a histogram's other columns are never values of their own */
	for (size_t i = 0; i < ncols; i++) {
		if (q->cols[i].usage != UQ_HISTOGRAM)
			continue;
		static const char *const parts[] = { "_bucket", "_sum", "_count" };
		for (size_t k = 0; k < 3; k++) {
			char name[256];
			strf(name, sizeof name, "%s%s", q->cols[i].name, parts[k]);
			struct decode none = { 0 };
			char e[8];
			none.err = e;
			none.errlen = sizeof e;
			struct uq_column *part = add_column(&none, q, name);
			if (!part)
				return -1;
			part->histogram_part = true;
		}
	}
	q->labels = calloc(q->nlabels + 1, sizeof *q->labels);
	if (!q->labels)
		return -1;
	size_t l = 0;
	for (size_t i = 0; i < q->ncols; i++)
		if (q->cols[i].usage == UQ_LABEL && !q->cols[i].histogram_part)
			q->labels[l++] = q->cols[i].name;
	q->nlabels = l;
	return 0;
}

int uq_parse(struct uq_set **out, const char *text, size_t len, char *err, size_t errlen)
{
	*out = NULL;
	struct uq_set *set = calloc(1, sizeof *set);
	yaml_parser_t parser;
	yaml_document_t doc;
	if (!set || !yaml_parser_initialize(&parser)) {
		free(set);
		strf(err, errlen, "out of memory");
		return -1;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		strf(err, errlen, "yaml: line %lu: %s", (unsigned long)parser.problem_mark.line + 1,
		     parser.problem ? parser.problem : "syntax error");
		yaml_parser_delete(&parser);
		free(set);
		return -1;
	}
	struct decode d = { &doc, err, errlen };
	const yaml_node_t *root = yaml_document_get_root_node(&doc);
	int rc = 0;
	if (root && !pgyaml_is_null(root) && root->type != YAML_MAPPING_NODE)
		rc = bad(&d, root, "exporter.UserQueries");
	if (root && !rc && root->type == YAML_MAPPING_NODE) {
		EACH_PAIR(&d, root, pr, k, v)
		{
			const char *ns = pgyaml_scalar(k);
			if (rc)
				continue;
			if (!ns) {
				rc = bad(&d, k, "string");
				continue;
			}
			struct uq_query *q = NULL;
			for (size_t i = 0; i < set->n; i++)
				if (!strcmp(set->q[i].name_in_file, ns))
					q = &set->q[i]; /* a namespace given twice: the later wins */
			if (q) {
				char *keep = q->name_in_file;
				q->name_in_file = NULL;
				free_query(q);
				memset(q, 0, sizeof *q);
				q->name_in_file = keep;
			} else {
				struct uq_query *qs = realloc(set->q, (set->n + 1) * sizeof *qs);
				if (!qs) {
					rc = -1;
					continue;
				}
				set->q = qs;
				q = &set->q[set->n++];
				memset(q, 0, sizeof *q);
				q->name_in_file = strdup(ns);
			}
			if (!q->name_in_file || !(q->ns = prefixed(ns))) {
				strf(err, errlen, "out of memory");
				rc = -1;
				continue;
			}
			rc = decode_query(&d, v, q);
		}
	}
	for (size_t i = 0; !rc && i < set->n; i++)
		if (finish_query(&set->q[i], i) < 0) {
			strf(err, errlen, "out of memory");
			rc = -1;
		}
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	if (rc) {
		uq_set_free(set);
		return -1;
	}
	*out = set;
	return 0;
}

void uq_load(struct uq_status *st, struct uq_set **out)
{
	*out = NULL;
	st->loaded = true;
	st->failed = true;
	st->hash[0] = '\0';
	char *buf;
	size_t len;
	char err[512];
	if (pg_read_file(pg_query_path, "user queries file", &buf, &len, err, sizeof err) < 0) {
		log_error("Failed to reload user queries", "path", pg_query_path, "err", err, NULL);
		return;
	}
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	if (EVP_Digest(buf, len, md, &mdlen, EVP_sha256(), NULL) == 1)
		for (unsigned int i = 0; i < mdlen && 2 * i + 2 < sizeof st->hash; i++)
			strf(st->hash + 2 * i, 3, "%02x", md[i]);
	int rc = uq_parse(out, buf, len, err, sizeof err);
	free(buf);
	if (rc < 0) {
		log_error("Failed to reload user queries", "path", pg_query_path, "err", err, NULL);
		return;
	}
	st->failed = false;
}

/* ---- values, as lib/pq decodes them and upstream converts them ---- */

static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* Read n digits at *p; -1 if they are not there. */
static int64_t digits(const char **p, int n)
{
	int64_t v = 0;
	for (int i = 0; i < n; i++, (*p)++) {
		if (**p < '0' || **p > '9')
			return -1;
		v = v * 10 + (**p - '0');
	}
	return v;
}

/* "HH:MM:SS[.frac][+HH[:MM[:SS]]]": seconds of the day less the zone's offset. */
static int clock_seconds(const char *p, bool zone, int64_t *out)
{
	int64_t h = digits(&p, 2), mi, s;
	if (h < 0 || *p++ != ':' || (mi = digits(&p, 2)) < 0 || *p++ != ':' || (s = digits(&p, 2)) < 0)
		return -1;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			;
	int64_t off = 0;
	if (zone && (*p == '+' || *p == '-')) {
		int sign = *p++ == '-' ? -1 : 1;
		int64_t oh = digits(&p, 2), om = 0, os = 0;
		if (oh < 0)
			return -1;
		if (*p == ':' && (p++, (om = digits(&p, 2)) < 0))
			return -1;
		if (*p == ':' && (p++, (os = digits(&p, 2)) < 0))
			return -1;
		off = sign * (oh * 3600 + om * 60 + os);
	}
	if (*p && strcmp(p, " BC") != 0)
		return -1;
	*out = h * 3600 + mi * 60 + s - off;
	return 0;
}

/* Unix seconds (Go's Time.Unix()) of a date, timestamp[tz], time[tz] in ISO style. */
int uq_unix_seconds(const char *v, unsigned oid, int64_t *out)
{
	int64_t secs = 0;
	if (oid == OID_TIME || oid == OID_TIMETZ) {
		/* lib/pq puts a time of day on 0000-01-01 */
		if (clock_seconds(v, oid == OID_TIMETZ, &secs) < 0)
			return -1;
		*out = days_from_civil(0, 1, 1) * 86400 + secs;
		return 0;
	}
	const char *p = v;
	int64_t y = digits(&p, 4), m, d;
	while (y >= 0 && *p >= '0' && *p <= '9')
		y = y * 10 + (*p++ - '0'); /* years past 9999 */
	if (y < 0 || *p++ != '-' || (m = digits(&p, 2)) < 0 || *p++ != '-' || (d = digits(&p, 2)) < 0)
		return -1;
	if (*p == ' ' && p[1] >= '0' && p[1] <= '9') {
		if (clock_seconds(p + 1, oid == OID_TIMESTAMPTZ, &secs) < 0)
			return -1;
	} else if (*p && strcmp(p, " BC") != 0) {
		return -1;
	}
	if (strstr(v, " BC"))
		y = 1 - y;
	*out = days_from_civil(y, m, d) * 86400 + secs;
	return 0;
}

/* bytea's hex output, decoded in place. */
static char *unhex(const char *v, char *buf, size_t cap)
{
	if (v[0] != '\\' || v[1] != 'x')
		return NULL;
	size_t n = 0;
	for (const char *p = v + 2; p[0] && p[1] && n + 1 < cap; p += 2) {
		char pair[3] = { p[0], p[1], 0 };
		uint64_t b;
		if (parse_hex_u64(pair, &b) < 0)
			return NULL;
		buf[n++] = (char)b;
	}
	buf[n] = '\0';
	return buf;
}

bool uq_value(const PGresult *r, int row, int col, double *out)
{
	if (PQgetisnull(r, row, col)) {
		*out = NAN;
		return true;
	}
	const char *v = PQgetvalue(r, row, col);
	unsigned oid = PQftype(r, col);
	int64_t secs;
	char bytes[128];
	switch (oid) {
	case OID_BOOL:
		*out = v[0] == 't';
		return true;
	case OID_DATE:
	case OID_TIME:
	case OID_TIMESTAMP:
	case OID_TIMESTAMPTZ:
	case OID_TIMETZ:
		if (uq_unix_seconds(v, oid, &secs) == 0) {
			*out = (double)secs;
			return true;
		}
		break; /* "infinity": lib/pq hands the text over */
	case OID_BYTEA:
		v = unhex(v, bytes, sizeof bytes);
		if (!v)
			return false;
		break;
	}
	return parse_double(v, out) == 0;
}

/* The text of a label value; buf may be used. */
static const char *label_text(const PGresult *r, int row, int col, char *buf, size_t cap)
{
	if (PQgetisnull(r, row, col))
		return "";
	const char *v = PQgetvalue(r, row, col);
	unsigned oid = PQftype(r, col);
	int64_t secs;
	double d;
	switch (oid) {
	case OID_BOOL:
		return v[0] == 't' ? "true" : "false";
	case OID_FLOAT4:
	case OID_FLOAT8:
		/* Go's %v of the float64 */
		if (cap >= FMT_NUM_MAX && parse_double(v, &d) == 0) {
			fmt_float(buf, d);
			return buf;
		}
		return v;
	case OID_DATE:
	case OID_TIME:
	case OID_TIMESTAMP:
	case OID_TIMESTAMPTZ:
	case OID_TIMETZ:
		if (uq_unix_seconds(v, oid, &secs) == 0) {
			strf(buf, cap, "%lld", (long long)secs);
			return buf;
		}
		return v;
	case OID_BYTEA: {
		const char *raw = unhex(v, buf, cap);
		return raw ? raw : v;
	}
	}
	return v;
}

/* lib/pq's text array "{1,2,NULL}" into n doubles; -1 when it is not one. */
static int parse_array(const char *v, double *out, size_t cap, size_t *n)
{
	*n = 0;
	size_t len = strlen(v);
	if (len < 2 || v[0] != '{' || v[len - 1] != '}')
		return -1;
	if (len == 2)
		return 0;
	char item[64];
	for (const char *p = v + 1; p < v + len - 1;) {
		const char *end = p;
		while (*end != ',' && end < v + len - 1)
			end++;
		if ((size_t)(end - p) >= sizeof item || *n >= cap)
			return -1;
		strf(item, sizeof item, "%.*s", (int)(end - p), p);
		if (parse_double(item, &out[(*n)++]) < 0)
			return -1;
		p = end + (*end == ',');
	}
	return 0;
}

/* ---- a scrape of a query ---- */

/* The result column named name (exact, as database/sql sees it), or -1. */
static int column_index(const PGresult *r, const char *name)
{
	for (int i = 0; i < PQnfields(r); i++)
		if (!strcmp(PQfname(r, i), name))
			return i;
	return -1;
}

static const struct uq_column *describe(const struct uq_query *q, const char *name)
{
	for (size_t i = 0; i < q->ncols; i++)
		if (!strcmp(q->cols[i].name, name))
			return &q->cols[i];
	return NULL;
}

/*
 * Declare a family unless a collector declared it in this scrape: then
 * the collector's stays and the query's series are left out (upstream
 * would mix both, or fail the whole page when the help texts differ).
 */
static struct family *family(struct uq_emit *em, const char *name, enum metric_type type,
			     const char *help, const char *const *labels)
{
	struct family *f = expo_find(em->e, name);
	if (f) {
		bool ours = false;
		for (size_t i = 0; i < em->nours && !ours; i++)
			ours = em->ours[i] == f;
		if (!ours) {
			log_debug("custom query family also exported by a collector: the collector's is kept",
				  "family", name, NULL);
			return NULL;
		}
		return f;
	}
	f = expo_family(em->e, name, type, help, labels);
	if (em->nours < sizeof em->ours / sizeof em->ours[0])
		em->ours[em->nours++] = f;
	return f;
}

static void nonfatal(const struct uq_query *q, const char *what, const char *column)
{
	log_debug("error querying namespace", "namespace", q->ns, "err", what, "column", column, NULL);
}

#define UQ_MAX_LABELS 48
#define UQ_MAX_BUCKETS 128

static int emit_histogram(struct uq_emit *em, const struct uq_query *q, const struct uq_column *c,
			  const PGresult *r, int row, int col, const char *const *names,
			  const char *const *values, char *err, size_t errlen)
{
	double bounds[UQ_MAX_BUCKETS], counts[UQ_MAX_BUCKETS];
	size_t nb = 0, nc = 0;
	if (PQgetisnull(r, row, col) || parse_array(PQgetvalue(r, row, col), bounds, UQ_MAX_BUCKETS, &nb) < 0) {
		strf(err, errlen, "Error retrieving %s buckets: %s", c->name, q->ns);
		return -1;
	}
	char part[256];
	strf(part, sizeof part, "%s_bucket", c->name);
	int bcol = column_index(r, part);
	if (bcol < 0)
		return nonfatal(q, "missing column", part), 0;
	if (PQgetisnull(r, row, bcol) || parse_array(PQgetvalue(r, row, bcol), counts, UQ_MAX_BUCKETS, &nc) < 0) {
		strf(err, errlen, "Error retrieving %s bucket values: %s", c->name, q->ns);
		return -1;
	}
	strf(part, sizeof part, "%s_sum", c->name);
	int scol = column_index(r, part);
	double sum;
	if (scol < 0 || !uq_value(r, row, scol, &sum))
		return nonfatal(q, scol < 0 ? "missing column" : "unexpected value", part), 0;
	strf(part, sizeof part, "%s_count", c->name);
	int ccol = column_index(r, part);
	double count = 0;
	if (ccol < 0 || (!PQgetisnull(r, row, ccol) && (!uq_value(r, row, ccol, &count) || count < 0)))
		return nonfatal(q, ccol < 0 ? "missing column" : "unexpected value", part), 0;
	/* A Go map from bound to count: sorted, a repeated bound keeps its last count. */
	size_t n = nb < nc ? nb : nc;
	double ub[UQ_MAX_BUCKETS];
	uint64_t cum[UQ_MAX_BUCKETS];
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		size_t at = 0;
		while (at < m && ub[at] < bounds[i])
			at++;
		if (at < m && ub[at] == bounds[i]) {
			cum[at] = (uint64_t)counts[i];
			continue;
		}
		memmove(ub + at + 1, ub + at, (m - at) * sizeof *ub);
		memmove(cum + at + 1, cum + at, (m - at) * sizeof *cum);
		ub[at] = bounds[i];
		cum[at] = (uint64_t)counts[i];
		m++;
	}
	struct family *f = family(em, c->family, METRIC_HISTOGRAM, c->help, names);
	if (f)
		expo_add_histogram(em->e, f, values, (uint64_t)count, sum, m, ub, cum);
	return 0;
}

int uq_emit(struct uq_emit *em, const struct uq_query *q, const PGresult *r, char *err,
	    size_t errlen)
{
	const char *names[UQ_MAX_LABELS], *values[UQ_MAX_LABELS];
	const char *base_names[UQ_MAX_LABELS / 2 + 1];
	if (q->nlabels + 1 >= UQ_MAX_LABELS / 2) {
		strf(err, errlen, "%s: too many labels", q->ns);
		return -1;
	}
	for (size_t i = 0; i < q->nlabels; i++)
		base_names[i] = q->labels[i];
	base_names[q->nlabels] = "server";
	base_names[q->nlabels + 1] = NULL;
	int label_col[UQ_MAX_LABELS / 2];
	for (size_t i = 0; i < q->nlabels; i++) {
		int c = column_index(r, q->labels[i]);
		label_col[i] = c < 0 ? 0 : c; /* upstream's map lookup gives 0 */
	}
	char bufs[UQ_MAX_LABELS / 2][128];
	int rc = 0;
	for (int row = 0; row < PQntuples(r) && !rc; row++) {
		const char *base_values[UQ_MAX_LABELS / 2 + 1];
		for (size_t i = 0; i < q->nlabels; i++)
			base_values[i] = PQnfields(r) ? label_text(r, row, label_col[i], bufs[i], sizeof bufs[i]) : "";
		base_values[q->nlabels] = em->server;
		pg_const_labels(names, values, UQ_MAX_LABELS, base_names, base_values);
		for (int col = 0; col < PQnfields(r) && !rc; col++) {
			const char *cname = PQfname(r, col);
			const struct uq_column *c = describe(q, cname);
			if (c && (c->usage == UQ_DISCARD || c->usage == UQ_LABEL || c->histogram_part))
				continue;
			if (c && c->usage == UQ_HISTOGRAM) {
				rc = emit_histogram(em, q, c, r, row, col, names, values, err, errlen);
				continue;
			}
			double v;
			if (!uq_value(r, row, col, &v)) {
				nonfatal(q, c ? "Unexpected error parsing column" : "Unparseable column type - discarding", cname);
				continue;
			}
			struct family *f;
			if (c) {
				f = family(em, c->family, c->usage == UQ_COUNTER ? METRIC_COUNTER : METRIC_GAUGE,
					   c->help, names);
			} else {
				char name[256], help[256];
				strf(name, sizeof name, "%s_%s", q->ns, cname);
				strf(help, sizeof help, "Unknown metric from %s", q->ns);
				f = family(em, name, METRIC_UNTYPED, help, names);
			}
			if (f)
				expo_add(em->e, f, v, values);
		}
	}
	return rc;
}

/* ---- per connection ---- */

void uq_conn_free(struct uq_conn *uc)
{
	if (!uc)
		return;
	uq_set_free(uc->set);
	for (size_t i = 0; i < uc->ncache; i++) {
		PQclear(uc->cache[i].res);
		free(uc->cache[i].datname);
		free(uc->cache[i].last_err);
	}
	free(uc->cache);
	free(uc);
}

struct uq_conn *uq_conn_load(void)
{
	struct uq_conn *uc = calloc(1, sizeof *uc);
	if (!uc)
		return NULL;
	uq_load(&uc->status, &uc->set);
	return uc;
}

struct uq_cached *uq_cache_slot(struct uq_conn *uc, size_t query, const char *datname)
{
	for (size_t i = 0; i < uc->ncache; i++) {
		struct uq_cached *c = &uc->cache[i];
		if (c->query == query && !strcmp(c->datname ? c->datname : "", datname ? datname : ""))
			return c;
	}
	struct uq_cached *cache = realloc(uc->cache, (uc->ncache + 1) * sizeof *cache);
	if (!cache)
		return NULL;
	uc->cache = cache;
	struct uq_cached *c = &uc->cache[uc->ncache];
	memset(c, 0, sizeof *c);
	c->query = query;
	if (datname && !(c->datname = strdup(datname)))
		return NULL;
	uc->ncache++;
	return c;
}

void uq_status_metric(const struct uq_status *st, struct expo *e)
{
	if (!st->loaded)
		return;
	const char *names[UQ_MAX_LABELS], *values[UQ_MAX_LABELS];
	pg_const_labels(names, values, UQ_MAX_LABELS, (const char *const[]){ "filename", "hashsum", NULL },
			(const char *const[]){ pg_query_path, st->hash });
	struct family *f = expo_family(e, "pg_exporter_user_queries_load_error", METRIC_GAUGE,
				       "Whether the user queries file failed to load (1) or was loaded (0).",
				       names);
	expo_add(e, f, st->failed ? 1 : 0, values);
}

/* Log a namespace's failure when it changes, as the backend layer logs targets. */
static void note_error(struct uq_cached *slot, const struct uq_query *q, const char *server,
		       const char *err)
{
	if (!slot)
		return;
	if (!err) {
		if (slot->last_err)
			log_info("custom query answers again", "namespace", q->ns, "server", server, NULL);
		free(slot->last_err);
		slot->last_err = NULL;
		return;
	}
	if (slot->last_err && !strcmp(slot->last_err, err)) {
		log_debug("error running custom query", "namespace", q->ns, "server", server, "err", err, NULL);
		return;
	}
	log_error("error running custom query", "namespace", q->ns, "server", server, "err", err, NULL);
	free(slot->last_err);
	slot->last_err = strdup(err);
}

int uq_run(struct uq_conn *uc, const char *datname, bool master, struct uq_emit *em, uq_query_fn fn,
	   void *ctx)
{
	if (!uc->set)
		return 0;
	int failed = 0;
	double now = mono_now();
	for (size_t i = 0; i < uc->set->n; i++) {
		const struct uq_query *q = &uc->set->q[i];
		/* master queries run only on a data source's own database */
		if (q->master && !master)
			continue;
		if (!*q->sql)
			continue; /* an empty query: upstream skips it as disabled */
		struct uq_cached *slot = uq_cache_slot(uc, i, datname);
		PGresult *r = NULL;
		bool owned = true;
		char err[512] = "";
		int rc = 0;
		if (q->cache_seconds > 0 && slot && slot->valid && now - slot->at <= (double)q->cache_seconds) {
			r = slot->res;
			owned = false;
		} else {
			rc = fn(ctx, q, &r, err, sizeof err);
			if (rc == UQ_LOST)
				return -1;
			note_error(slot, q, em->server, rc ? err : NULL);
			/* upstream caches a failed namespace's (empty) result too */
			if (q->cache_seconds > 0 && slot) {
				PQclear(slot->res);
				slot->res = r;
				slot->at = now;
				slot->valid = true;
				owned = false;
			}
		}
		failed += rc != 0;
		if (r && uq_emit(em, q, r, err, sizeof err) < 0) {
			note_error(slot, q, em->server, err);
			failed++;
		}
		if (owned)
			PQclear(r);
	}
	return failed;
}
