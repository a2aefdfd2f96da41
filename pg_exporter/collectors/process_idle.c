/*
 * process_idle: how long idle connections have been idle, as a histogram
 * per state and application. Upstream reads only the first group (a known
 * bug); every group is exported here.
 */
#include "../pg.h"

#define IDLE_AGE "EXTRACT(EPOCH FROM (CURRENT_TIMESTAMP - state_change))"
#define LE(n) "COUNT(*) FILTER (WHERE " IDLE_AGE " <= " #n "), "

static const char process_idle_sql[] =
	"SELECT state, application_name, SUM(" IDLE_AGE "::bigint)::float, COUNT(*), "
	LE(1) LE(2) LE(5) LE(15) LE(30) LE(60) LE(90) LE(120)
	"COUNT(*) FILTER (WHERE " IDLE_AGE " <= 300) "
	"FROM pg_stat_activity WHERE state ~ '^idle' AND pid <> pg_backend_pid() "
	"GROUP BY state, application_name";

static const double bounds[] = { 1, 2, 5, 15, 30, 60, 90, 120, 300 };
#define NB (sizeof bounds / sizeof bounds[0])

static int process_idle_collect(struct scrape *s, struct expo *e)
{
	PGresult *r;
	int rc = pg_query(s, "process_idle", process_idle_sql, &r);
	if (rc)
		return rc;
	rc = pg_expect_cols(s, r, 4 + (int)NB, "process_idle");
	struct family *f = expo_family(e, "pg_process_idle_seconds", METRIC_HISTOGRAM,
				       "Time server processes have been idle, in seconds.",
				       (const char *const[]){ "state", "application_name", NULL });
	for (int row = 0; rc == 0 && row < PQntuples(r); row++) {
		double sum = 0, count = 0, b[NB];
		if (pg_get_double(r, row, 2, &sum) < 0)
			rc = pg_bad_value(s, r, row, 2);
		else if (pg_get_double(r, row, 3, &count) < 0 || count < 0)
			rc = pg_bad_value(s, r, row, 3);
		uint64_t cum[NB];
		for (size_t i = 0; rc == 0 && i < NB; i++) {
			b[i] = 0;
			if (pg_get_double(r, row, 4 + (int)i, &b[i]) < 0 || b[i] < 0)
				rc = pg_bad_value(s, r, row, 4 + (int)i);
			cum[i] = (uint64_t)b[i];
		}
		if (rc)
			break;
		const char *values[] = { pg_is_null(r, row, 0) ? "unknown" : PQgetvalue(r, row, 0),
					 pg_is_null(r, row, 1) ? "unknown" : PQgetvalue(r, row, 1) };
		expo_add_histogram(e, f, values, (uint64_t)count, sum, NB, bounds, cum);
	}
	PQclear(r);
	return rc;
}

const struct collector_def collector_process_idle = {
	.name = "process_idle",
	.default_enabled = false,
	.collect = process_idle_collect,
	.concurrent = true,
};
