/*
 * database: size and connection limit of every database. One query where
 * upstream runs one pg_database_size() per database; databases in
 * --exclude-databases are left out before their size is computed.
 */
#include <stdlib.h>
#include <string.h>

#include "../../common/parse.h"
#include "../../common/buf.h"
#include "../pg.h"

static int database_init(void **state, char *err, size_t errlen)
{
	struct buf b;
	buf_init(&b, 1 << 20);
	int rc = buf_puts(&b, "SELECT datname, datconnlimit, pg_database_size(oid) FROM pg_database "
			      "WHERE datname IS NOT NULL");
	bool any = false;
	for (size_t i = 0; i < pg_exclude_databases.n && rc == 0; i++) {
		if (!*pg_exclude_databases.names[i])
			continue;
		rc = buf_puts(&b, any ? ", " : " AND datname NOT IN (");
		rc = rc ? rc : pg_append_literal(&b, pg_exclude_databases.names[i]);
		any = true;
	}
	if (any && rc == 0)
		rc = buf_putc(&b, ')');
	if (rc < 0) {
		buf_free(&b);
		strf(err, errlen, "out of memory");
		return -1;
	}
	*state = buf_detach(&b, NULL);
	return *state ? 0 : -1;
}

static void database_fini(void *state)
{
	free(state);
}

static const struct pg_col database_cols[] = {
	{ "pg_database_connection_limit", METRIC_GAUGE,
	  "Connection limit set for the database (-1: no limit).", 0, PGN_ZERO },
	{ "pg_database_size_bytes", METRIC_GAUGE, "Disk space used by the database, in bytes.", 0,
	  PGN_ZERO },
};

static int database_collect(struct scrape *s, struct expo *e)
{
	return pg_query_emit(s, e, "database", s->state, (const char *const[]){ "datname", NULL }, "",
			     database_cols, NCOLS(database_cols));
}

const struct collector_def collector_database = {
	.name = "database",
	.default_enabled = true,
	.init = database_init,
	.collect = database_collect,
	.fini = database_fini,
	.concurrent = true,
};
