// links: clickhouse_exporter
/*
 * Which sections a scrape asks (clickhouse_exporter/plan.c): sparse
 * sections left out after they came back empty, brought back by a hint in
 * system.metrics, by the recheck interval, or when there are no hints to
 * go by; the statement built for the sections asked has only the columns
 * they use.
 */
#include "../../clickhouse_exporter/clickhouse.h"
#include "unit.h"

#define BIT(s) (1u << (s))
#define ALL ((1u << SEC_N) - 1)
#define RECHECK 300.0

#define HEADER "k\tl1\tl2\tv1\nString\tString\tString\tFloat64\n"

/* A scrape's reply parsed into res (rows kept in rows), every section in asked marked answered. */
static void reply(struct ch_rows *rows, struct ch_result *res, const char *text, unsigned asked)
{
	static char data[8192];
	char err[256] = "";
	snprintf(data, sizeof data, "%s", text);
	ch_rows_free(rows);
	memset(res, 0, sizeof *res);
	ck_assert_msg(ch_rows_parse(rows, data, strlen(data), err, sizeof err) == 0, "%s", err);
	ch_rows_finish(rows, res);
	for (int i = 0; i < SEC_N; i++)
		if (asked & BIT(i))
			res->state[i] = SEC_OK;
}

/* The sections a quiet server (no replicas, no merges...) leaves out once they came back empty. */
static const unsigned quiet_ones = BIT(SEC_REPLICAS) | BIT(SEC_REPLICATION_QUEUE) | BIT(SEC_MERGES) |
				   BIT(SEC_DETACHED_PARTS) | BIT(SEC_DICTIONARIES) | BIT(SEC_MUTATIONS) |
				   BIT(SEC_MUTATION_FAILURES);

START_TEST(test_sparse_left_out_while_empty)
{
	struct ch_plan p;
	memset(&p, 0, sizeof p);
	struct ch_rows rows;
	memset(&rows, 0, sizeof rows);
	struct ch_result res;
	/* the first scrape of a session asks everything */
	ck_assert_uint_eq(ch_plan(&p, ALL, 100, RECHECK), ALL);
	reply(&rows, &res, HEADER "metrics\tQuery\t\t1\nmetrics\tMerge\t\t0\nparts\tdb\tt\t5\n", ALL);
	ch_plan_update(&p, ALL, &res, 100);
	/* the next one leaves out the sparse sections that were empty, keeps the others */
	ck_assert_uint_eq(ch_plan(&p, ALL, 101, RECHECK), ALL & ~quiet_ones);
	/* until the recheck interval has passed */
	ck_assert_uint_eq(ch_plan(&p, ALL, 100 + RECHECK - 1, RECHECK), ALL & ~quiet_ones);
	ck_assert_uint_eq(ch_plan(&p, ALL, 100 + RECHECK, RECHECK), ALL);
	/* 0: every section every time */
	ck_assert_uint_eq(ch_plan(&p, ALL, 101, 0), ALL);
	/* only what is wanted */
	ck_assert_uint_eq(ch_plan(&p, BIT(SEC_PARTS) | BIT(SEC_MERGES), 101, RECHECK), BIT(SEC_PARTS));

	/* a section with rows is asked at every scrape */
	reply(&rows, &res, HEADER "metrics\tQuery\t\t1\ndictionaries\tcolors\t\t1\n", ALL);
	ch_plan_update(&p, ALL, &res, 110);
	ck_assert_uint_eq(ch_plan(&p, ALL, 111, RECHECK), (ALL & ~quiet_ones) | BIT(SEC_DICTIONARIES));
	/* a section not asked keeps what it had: dictionaries still had rows */
	unsigned asked = ALL & ~quiet_ones;
	reply(&rows, &res, HEADER "metrics\tQuery\t\t1\n", asked);
	ch_plan_update(&p, asked, &res, 112);
	ck_assert(ch_plan(&p, ALL, 113, RECHECK) & BIT(SEC_DICTIONARIES));
	/* a section that failed is not taken as empty */
	reply(&rows, &res, HEADER "metrics\tQuery\t\t1\n", ALL);
	res.state[SEC_DICTIONARIES] = SEC_FAILED;
	ch_plan_update(&p, ALL, &res, 114);
	ck_assert(p.asked_at[SEC_DICTIONARIES] == 110 && p.had_rows[SEC_DICTIONARIES]);
	ck_assert(p.asked_at[SEC_REPLICAS] == 114 && !p.had_rows[SEC_REPLICAS]);
	ch_rows_free(&rows);
}
END_TEST

START_TEST(test_hints)
{
	struct ch_plan p;
	memset(&p, 0, sizeof p);
	struct ch_rows rows;
	memset(&rows, 0, sizeof rows);
	struct ch_result res;
	reply(&rows, &res, HEADER "metrics\tMerge\t\t0\nmetrics\tZooKeeperSession\t\t0\n", ALL);
	ch_plan_update(&p, ALL, &res, 100);
	ck_assert_uint_eq(ch_plan(&p, ALL, 101, RECHECK), ALL & ~quiet_ones);

	/* a merge running: merges next time */
	reply(&rows, &res, HEADER "metrics\tMerge\t\t2\n", ALL & ~quiet_ones);
	ch_plan_update(&p, ALL & ~quiet_ones, &res, 101);
	ck_assert_uint_eq(ch_plan(&p, ALL, 102, RECHECK), (ALL & ~quiet_ones) | BIT(SEC_MERGES));
	/* a part being mutated: mutations, their failures and merges */
	reply(&rows, &res, HEADER "metrics\tPartMutation\t\t1\n", ALL & ~quiet_ones);
	ch_plan_update(&p, ALL & ~quiet_ones, &res, 102);
	ck_assert_uint_eq(ch_plan(&p, ALL, 103, RECHECK),
			  (ALL & ~quiet_ones) | BIT(SEC_MERGES) | BIT(SEC_MUTATIONS) | BIT(SEC_MUTATION_FAILURES));
	/* a Keeper session, or read-only replicas without one: replicas and their queue */
	unsigned replicas = BIT(SEC_REPLICAS) | BIT(SEC_REPLICATION_QUEUE);
	reply(&rows, &res, HEADER "metrics\tZooKeeperSession\t\t1\n", ALL & ~quiet_ones);
	ch_plan_update(&p, ALL & ~quiet_ones, &res, 103);
	ck_assert_uint_eq(ch_plan(&p, ALL, 104, RECHECK), (ALL & ~quiet_ones) | replicas);
	reply(&rows, &res, HEADER "metrics\tReadonlyReplica\t\t3\n", ALL & ~quiet_ones);
	ch_plan_update(&p, ALL & ~quiet_ones, &res, 104);
	ck_assert_uint_eq(ch_plan(&p, ALL, 105, RECHECK), (ALL & ~quiet_ones) | replicas);
	/* a hint is one scrape's: gone when the entry is 0 again */
	reply(&rows, &res, HEADER "metrics\tReadonlyReplica\t\t0\n", ALL & ~quiet_ones);
	ch_plan_update(&p, ALL & ~quiet_ones, &res, 105);
	ck_assert_uint_eq(ch_plan(&p, ALL, 106, RECHECK), ALL & ~quiet_ones);

	/* a scrape without system.metrics leaves nothing to go by: every section next time */
	reply(&rows, &res, HEADER "parts\tdb\tt\t1\n", BIT(SEC_PARTS));
	ch_plan_update(&p, BIT(SEC_PARTS), &res, 106);
	ck_assert_uint_eq(ch_plan(&p, ALL, 107, RECHECK), ALL);
	ch_rows_free(&rows);
}
END_TEST

/* A statement has as many label and value columns as its widest section, names in its first branch. */
START_TEST(test_statement_columns)
{
	char probe[] = "k\tv\nString\tString\nversion\t18.16.1\nreadonly\t0\n"
		       "column\tmetrics.metric\ncolumn\tevents.event\ncolumn\tparts.bytes_on_disk\n";
	struct ch_caps caps;
	char err[256];
	memset(&caps, 0, sizeof caps);
	ck_assert_int_eq(ch_caps_from_rows(&caps, probe, strlen(probe), err, sizeof err), 0);
	struct buf b;
	buf_init(&b, 1u << 20);
	unsigned absent;
	ck_assert_int_eq(ch_build_query(&caps, BIT(SEC_METRICS) | BIT(SEC_EVENTS), &b, &absent), 0);
	ck_assert_str_eq(b.data, "SELECT 'metrics' AS k, metric AS l1, toFloat64(value) AS v1 FROM system.metrics"
				 " UNION ALL SELECT 'events', event, toFloat64(value) FROM system.events"
				 " FORMAT TabSeparatedWithNamesAndTypes");
	ck_assert_int_eq(ch_build_query(&caps, BIT(SEC_METRICS) | BIT(SEC_PARTS), &b, &absent), 0);
	ck_assert_str_eq(b.data, "SELECT 'metrics' AS k, metric AS l1, '' AS l2, toFloat64(value) AS v1, 0 AS v2, 0 AS v3"
				 " FROM system.metrics UNION ALL SELECT 'parts', database, table,"
				 " toFloat64(sum(bytes_on_disk)), toFloat64(count()), toFloat64(sum(rows))"
				 " FROM system.parts WHERE active GROUP BY database, table"
				 " FORMAT TabSeparatedWithNamesAndTypes");
	/* and its reply reads back into the rows' labels and values */
	char rep[] = "k\tl1\tl2\tv1\tv2\tv3\nString\tString\tString\tFloat64\tFloat64\tFloat64\n"
		     "metrics\tQuery\t\t1\t0\t0\nparts\tshop\torders\t2200\t3\t7\n";
	struct ch_rows rows;
	memset(&rows, 0, sizeof rows);
	struct ch_result res;
	memset(&res, 0, sizeof res);
	ck_assert_int_eq(ch_rows_parse(&rows, rep, strlen(rep), err, sizeof err), 0);
	ch_rows_finish(&rows, &res);
	const struct ch_row *parts = &res.rows[res.first[SEC_PARTS]];
	ck_assert_str_eq(parts->l[0], "shop");
	ck_assert_str_eq(parts->l[1], "orders");
	ck_assert_str_eq(parts->l[2], "");
	ck_assert(parts->v[0] == 2200 && parts->v[1] == 3 && parts->v[2] == 7 && parts->v[3] == 0);
	ch_rows_free(&rows);
	buf_free(&b);
	ch_caps_free(&caps);
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("clickhouse_plan");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_sparse_left_out_while_empty);
	tcase_add_test(tc, test_hints);
	tcase_add_test(tc, test_statement_columns);
	suite_add_tcase(s, tc);
	return s;
}
