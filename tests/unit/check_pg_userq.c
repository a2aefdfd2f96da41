// links: pg_exporter
/*
 * Custom queries (--extend.query-path): upstream's queries.yaml decoded with
 * yaml.v2's rules, broken files rejected whole, values converted as lib/pq
 * and upstream convert them, results emitted as upstream's legacy path.
 */
#include "pg_replay.h"
#include "unit.h"

static const char example[] =
	"pg_replication:\n"
	"  query: \"SELECT 0 AS lag\"\n"
	"  master: true\n"
	"  cache_seconds: 30\n"
	"  runonserver: \">=10.0.0\"\n"
	"  metrics:\n"
	"    - lag:\n"
	"        usage: \"GAUGE\"\n"
	"        description: \"Replication lag\"\n"
	"pg_idle:\n"
	"  query: SELECT 1\n"
	"  unknown_key: ignored\n"
	"  metrics:\n"
	"    - app: {usage: LABEL}\n"
	"    - seconds: {usage: HISTOGRAM, description: idle}\n"
	"    - t: {usage: DURATION}\n"
	"    - odd: {usage: BOGUS}\n";

START_TEST(test_parse_example)
{
	struct uq_set *set;
	char err[256];
	ck_assert_int_eq(uq_parse(&set, example, strlen(example), err, sizeof err), 0);
	ck_assert_uint_eq(set->n, 2);
	const struct uq_query *q = &set->q[0];
	ck_assert_str_eq(q->ns, "pg_replication");
	ck_assert(q->master);
	ck_assert_uint_eq(q->cache_seconds, 30);
	ck_assert_str_eq(q->cols[0].family, "pg_replication_lag");
	ck_assert_int_eq(q->cols[0].usage, UQ_GAUGE);
	q = &set->q[1];
	ck_assert(!q->master);
	ck_assert_uint_eq(q->nlabels, 1);
	ck_assert_str_eq(q->labels[0], "app");
	bool bucket = false, ms = false, odd_discarded = false;
	for (size_t i = 0; i < q->ncols; i++) {
		bucket |= !strcmp(q->cols[i].name, "seconds_bucket") && q->cols[i].histogram_part;
		ms |= q->cols[i].family && !strcmp(q->cols[i].family, "pg_idle_t_milliseconds");
		odd_discarded |= !strcmp(q->cols[i].name, "odd") && q->cols[i].usage == UQ_DISCARD;
	}
	ck_assert(bucket && ms && odd_discarded);
	uq_set_free(set);
	/* empty and null documents: no queries */
	ck_assert_int_eq(uq_parse(&set, "", 0, err, sizeof err), 0);
	ck_assert_uint_eq(set->n, 0);
	uq_set_free(set);
	ck_assert_int_eq(uq_parse(&set, "q:\n", 3, err, sizeof err), 0);
	ck_assert_uint_eq(set->n, 1);
	ck_assert_str_eq(set->q[0].sql, "");
	uq_set_free(set);
}
END_TEST

/* What yaml.v2 refuses to decode: the whole file fails, as upstream. */
static const char *const broken[] = {
	"- a\n- b\n",                                         /* not a mapping */
	"q: [1, 2]\n",                                        /* a query that is not a mapping */
	"q:\n  master: \"true\"\n",                           /* a quoted bool */
	"q:\n  master: maybe\n",
	"q:\n  cache_seconds: -1\n",
	"q:\n  cache_seconds: soon\n",
	"q:\n  metrics: {a: b}\n",                            /* metrics not a list */
	"q:\n  metrics:\n    - [a]\n",
	"q:\n  metrics:\n    - a: [GAUGE]\n",
	"q:\n  metrics:\n    - a: {usage: GAUGE, pg_version: \">=10\"}\n", /* a Go func type */
	"q:\n  query: [a]\n",
	"q: {query: \"x\"\n",                                 /* YAML syntax */
	"\t- garbage: :\n",
};

START_TEST(test_parse_broken)
{
	struct uq_set *set = (struct uq_set *)1;
	char err[256] = "";
	ck_assert_int_eq(uq_parse(&set, broken[_i], strlen(broken[_i]), err, sizeof err), -1);
	ck_assert_ptr_null(set);
	ck_assert(err[0]);
}
END_TEST

START_TEST(test_metric_prefix_replaces_the_first_pg)
{
	const char *saved = pg_metric_prefix;
	pg_metric_prefix = "db";
	struct uq_set *set;
	char err[256];
	const char text[] = "my_pgbouncer:\n  query: SELECT 1\npg_x:\n  query: SELECT 1\n";
	ck_assert_int_eq(uq_parse(&set, text, strlen(text), err, sizeof err), 0);
	ck_assert_str_eq(set->q[0].ns, "my_dbbouncer");
	ck_assert_str_eq(set->q[1].ns, "db_x");
	uq_set_free(set);
	pg_metric_prefix = saved;
}
END_TEST

START_TEST(test_unix_seconds)
{
	int64_t s;
	ck_assert_int_eq(uq_unix_seconds("1970-01-01 00:00:00", 1114, &s), 0);
	ck_assert_int_eq(s, 0);
	ck_assert_int_eq(uq_unix_seconds("2024-02-29 12:00:00.5+02", 1184, &s), 0);
	ck_assert_int_eq(s, 1709200800);
	ck_assert_int_eq(uq_unix_seconds("2024-02-29 12:00:00-05:30", 1184, &s), 0);
	ck_assert_int_eq(s, 1709227800);
	ck_assert_int_eq(uq_unix_seconds("2000-01-01", 1082, &s), 0);
	ck_assert_int_eq(s, 946684800);
	ck_assert_int_eq(uq_unix_seconds("1969-12-31 23:59:59.5", 1114, &s), 0);
	ck_assert_int_eq(s, -1);
	ck_assert_int_eq(uq_unix_seconds("infinity", 1184, &s), -1);
	ck_assert_int_eq(uq_unix_seconds("2024-13", 1082, &s), -1);
	ck_assert_int_eq(uq_unix_seconds("", 1082, &s), -1);
	ck_assert_int_eq(uq_unix_seconds("12:00:00", 1083, &s), 0);
	ck_assert_int_eq(s, -62167219200 + 43200);
}
END_TEST

/* A result with typed columns, as libpq hands them over. */
static PGresult *typed(const char *const *names, const unsigned *oids, int ncols,
		       const char *const *values, int nrows)
{
	PGresult *r = PQmakeEmptyPGresult(NULL, PGRES_TUPLES_OK);
	PGresAttDesc attrs[16];
	for (int i = 0; i < ncols; i++)
		attrs[i] = (PGresAttDesc){ .name = (char *)names[i], .typid = oids[i], .typlen = -1,
					   .atttypmod = -1 };
	ck_assert(PQsetResultAttrs(r, ncols, attrs));
	for (int row = 0; row < nrows; row++)
		for (int c = 0; c < ncols; c++) {
			const char *v = values[row * ncols + c];
			ck_assert(PQsetvalue(r, row, c, (char *)v, v ? (int)strlen(v) : -1));
		}
	return r;
}

START_TEST(test_emit_as_upstream)
{
	const char text[] =
		"q:\n  query: x\n  metrics:\n"
		"    - l: {usage: LABEL}\n    - f: {usage: LABEL}\n    - v: {usage: COUNTER, description: c}\n"
		"    - txt: {usage: GAUGE}\n    - h: {usage: HISTOGRAM}\n";
	struct uq_set *set;
	char err[256];
	ck_assert_int_eq(uq_parse(&set, text, strlen(text), err, sizeof err), 0);
	static const char *const names[] = { "l", "f", "v", "txt", "n", "b", "h", "h_bucket", "h_sum", "h_count" };
	static const unsigned oids[] = { 25, 701, 20, 25, 23, 16, 1022, 1016, 701, 20 };
	static const char *const values[] = {
		"a", "1000000", "7", "abc", NULL, "t", "{1,2.5,5}", "{1,3,4}", "9.5", "4",
	};
	PGresult *r = typed(names, oids, 10, values, 1);
	struct expo *e = expo_new(1 << 20);
	struct uq_emit em = { .e = e, .server = "h:5432" };
	ck_assert_int_eq(uq_emit(&em, &set->q[0], r, err, sizeof err), 0);
	struct buf b;
	buf_init(&b, 1 << 20);
	ck_assert_int_eq(expo_render(e, EXPO_TEXT, &b), 0);
	/* float labels as Go's %v, the server label, NULL as NaN, bool as 1 */
	ck_assert_ptr_nonnull(strstr(b.data, "q_v{f=\"1e+06\",l=\"a\",server=\"h:5432\"} 7\n"));
	ck_assert_ptr_nonnull(strstr(b.data, "# TYPE q_v counter\n"));
	ck_assert_ptr_nonnull(strstr(b.data, "# TYPE q_n untyped\n"));
	ck_assert_ptr_nonnull(strstr(b.data, "q_n{f=\"1e+06\",l=\"a\",server=\"h:5432\"} NaN\n"));
	ck_assert_ptr_nonnull(strstr(b.data, "q_b{f=\"1e+06\",l=\"a\",server=\"h:5432\"} 1\n"));
	ck_assert_ptr_null(strstr(b.data, "q_txt")); /* not a number: left out */
	ck_assert_ptr_nonnull(strstr(b.data, "q_h_bucket{f=\"1e+06\",l=\"a\",server=\"h:5432\",le=\"2.5\"} 3\n"));
	ck_assert_ptr_nonnull(strstr(b.data, "q_h_bucket{f=\"1e+06\",l=\"a\",server=\"h:5432\",le=\"+Inf\"} 4\n"));
	ck_assert_ptr_nonnull(strstr(b.data, "q_h_sum{f=\"1e+06\",l=\"a\",server=\"h:5432\"} 9.5\n"));
	buf_free(&b);
	expo_free(e);
	PQclear(r);

	/* a histogram column that is not an array fails the namespace */
	static const char *const bad[] = { "a", "1", "7", "x", NULL, "f", "not an array", "{1}", "1", "1" };
	r = typed(names, oids, 10, bad, 1);
	e = expo_new(1 << 20);
	em = (struct uq_emit){ .e = e, .server = "h:5432" };
	ck_assert_int_eq(uq_emit(&em, &set->q[0], r, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "buckets"));
	expo_free(e);
	PQclear(r);
	uq_set_free(set);
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("pg_userq");
	TCase *tc = tcase_create("userq");
	tcase_add_test(tc, test_parse_example);
	tcase_add_loop_test(tc, test_parse_broken, 0, (int)(sizeof broken / sizeof broken[0]));
	tcase_add_test(tc, test_metric_prefix_replaces_the_first_pg);
	tcase_add_test(tc, test_unix_seconds);
	tcase_add_test(tc, test_emit_as_upstream);
	suite_add_tcase(s, tc);
	return s;
}
