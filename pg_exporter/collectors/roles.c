/* roles: the connection limit of every role. */
#include "../pg.h"

static const struct pg_col roles_cols[] = {
	{ "pg_roles_connection_limit", METRIC_GAUGE, "Connection limit set for the role (-1: no limit).",
	  0, PGN_SKIP },
};

static int roles_collect(struct scrape *s, struct expo *e)
{
	return pg_query_emit(s, e, "roles",
			     "SELECT rolname, rolconnlimit FROM pg_roles WHERE rolname IS NOT NULL",
			     (const char *const[]){ "rolname", NULL }, "", roles_cols, NCOLS(roles_cols));
}

const struct collector_def collector_roles = {
	.name = "roles",
	.default_enabled = true,
	.collect = roles_collect,
	.concurrent = true,
};
