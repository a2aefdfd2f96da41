/*
 * script: the --script files, run each scrape in one pipeline with EVAL
 * (EVAL_RO with --lua-script-read-only) as "EVAL <script> 0 0", upstream's
 * call. A script returns key, value, key, value... as strings:
 * script_values{key,filename} and script_result{filename} 1, 2 when it
 * returned nothing. A script that fails, or returns anything else, gives
 * script_result 0 and fails the whole scrape (redis_up 0), as upstream; the
 * scripts after it are not looked at.
 */
#define _GNU_SOURCE /* qsort_r */
#include <stdlib.h>
#include <string.h>

#include "../../common/parse.h"
#include "../info.h"
#include "../redis.h"

static bool is_text(const redisReply *r)
{
	return r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS;
}

/* Pairs by key, a later one first: for a key given twice the last value counts (upstream's map). */
static int cmp_pair(const void *a, const void *b, void *elements)
{
	const redisReply *const *el = elements;
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	int c = strcmp(el[x]->str, el[y]->str);
	return c ? c : x > y ? -1 : x < y;
}

/* One script's reply; 0, or -1 with err. */
static int script_values(struct expo *e, const char *file, const redisReply *r, double *result,
			 char *err, size_t errlen)
{
	*result = 0;
	if (r->type == REDIS_REPLY_ERROR) {
		strf(err, errlen, "script %s: %s", file, r->str);
		return -1;
	}
	if (r->type != REDIS_REPLY_ARRAY || r->elements % 2) {
		strf(err, errlen, "script %s: the result is not key, value pairs", file);
		return -1;
	}
	if (!r->elements) {
		*result = 2;
		return 0;
	}
	size_t n = r->elements / 2;
	double *values = calloc(n, sizeof *values);
	size_t *order = calloc(n, sizeof *order);
	if (!values || !order) {
		free(values);
		free(order);
		strf(err, errlen, "out of memory");
		return -1;
	}
	int rc = 0;
	for (size_t i = 0; i < n && !rc; i++) {
		const redisReply *k = r->element[2 * i], *v = r->element[2 * i + 1];
		order[i] = 2 * i;
		if (!is_text(k) || !is_text(v)) {
			strf(err, errlen, "script %s: keys and values must be strings", file);
			rc = -1;
		} else if (parse_double(v->str, &values[i]) < 0) {
			strf(err, errlen, "script %s: value of %.100s is not a number: %.100s", file, k->str, v->str);
			rc = -1;
		}
	}
	if (!rc) {
		qsort_r(order, n, sizeof *order, cmp_pair, r->element);
		static const char *const lbl[] = { "key", "filename", NULL };
		for (size_t i = 0; i < n; i++) {
			const char *key = r->element[order[i]]->str;
			if (i && !strcmp(key, r->element[order[i - 1]]->str))
				continue;
			expo_sample(e, redis_family(e, redis_opts.ns, "script_values", METRIC_GAUGE,
						    "A value returned by a --script.", lbl),
				    values[order[i] / 2], key, file);
		}
		*result = 1;
	}
	free(values);
	free(order);
	return rc;
}

static int script_collect(struct scrape *s, struct expo *e)
{
	struct rscrape *rs = s->target;
	size_t n = redis_opts.nscripts;
	if (!n)
		return COLLECT_OK;
	/* Scripts run in the address's database, as on upstream's new connection. */
	struct rbatch b = { .db = rs->conn->db };
	if (rbatch_grow(&b, n + 1) < 0) {
		rbatch_free(&b);
		strf(rs->fail, sizeof rs->fail, "out of memory");
		return scrape_fail(s, "out of memory");
	}
	rbatch_select(&b, false, rs->home_db);
	size_t first = b.n;
	const char *eval = redis_opts.lua_read_only ? "EVAL_RO" : "EVAL";
	for (size_t i = 0; i < n; i++)
		b.cmds[b.n++] = (struct rcmd){ .argc = 4, .argv = { eval, redis_opts.scripts[i].body, "0", "0" },
					 .len = { strlen(eval), redis_opts.scripts[i].len, 1, 1 } };
	char err[256] = "";
	static const char *const lbl[] = { "filename", NULL };
	if (rconn_exec(rs->conn, rs->copts, b.cmds, b.n, b.r, rs->deadline, err, sizeof err) == 0) {
		rs->conn->db = b.db;
		if (first && b.r[0]->type == REDIS_REPLY_ERROR)
			strf(err, sizeof err, "SELECT %ld for the scripts: %s", rs->home_db, b.r[0]->str);
		for (size_t i = 0; i < n && !err[0]; i++) {
			double result;
			const char *file = redis_opts.scripts[i].name;
			int rc = script_values(e, file, b.r[first + i], &result, err, sizeof err);
			expo_sample(e, redis_family(e, redis_opts.ns, "script_result", METRIC_GAUGE,
						    "Outcome of a --script: 1 values, 2 no values, 0 failed.", lbl),
				    result, file);
			if (rc < 0)
				break;
		}
	} else {
		b.n = 0;
		char tmp[256];
		strf(tmp, sizeof tmp, "%s", err);
		strf(err, sizeof err, "scripts: %s", tmp);
	}
	rbatch_free(&b);
	if (!err[0])
		return COLLECT_OK;
	strf(rs->fail, sizeof rs->fail, "%s", err);
	return scrape_fail(s, "%s", err);
}

const struct collector_def collector_script = {
	.name = "script",
	.default_enabled = true,
	.collect = script_collect,
};
