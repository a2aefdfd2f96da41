/*
 * database_wraparound: transaction ID and multixact ID age of every
 * database that accepts connections (the _seconds suffix is upstream's; the
 * values are ages in transactions).
 */
#include "../pg.h"

static const char wraparound_sql[] =
	"SELECT datname, age(datfrozenxid), mxid_age(datminmxid) FROM pg_catalog.pg_database "
	"WHERE datallowconn AND datname IS NOT NULL AND datfrozenxid IS NOT NULL AND datminmxid IS NOT NULL";

static const struct pg_col wraparound_cols[] = {
	{ "pg_database_wraparound_age_datfrozenxid_seconds", METRIC_GAUGE,
	  "Age of the oldest transaction ID that has not been frozen.", 0, PGN_SKIP },
	{ "pg_database_wraparound_age_datminmxid_seconds", METRIC_GAUGE,
	  "Age of the oldest multixact ID that has not been replaced with a transaction ID.", 0, PGN_SKIP },
};

static int database_wraparound_collect(struct scrape *s, struct expo *e)
{
	return pg_query_emit(s, e, "database_wraparound", wraparound_sql,
			     (const char *const[]){ "datname", NULL }, "", wraparound_cols,
			     NCOLS(wraparound_cols));
}

const struct collector_def collector_database_wraparound = {
	.name = "database_wraparound",
	.default_enabled = false,
	.collect = database_wraparound_collect,
	.concurrent = true,
};
