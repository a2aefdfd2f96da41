/*
 * pg_exporter's collectors in a unit test without a server (with unit.h's
 * sessions): the
 * queries are answered from result sets written as text (a header line of
 * tab-separated column names, then rows; \N is NULL), built into real
 * PGresults with libpq's result construction API. The SQL each query was
 * asked with is kept so tests can check the variant chosen per version.
 */
#ifndef TESTS_PG_REPLAY_H
#define TESTS_PG_REPLAY_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/expo.h"
#include "../../common/exporter.h"
#include "../../common/flags.h"
#include "../../pg_exporter/pg.h"
#include "unit.h"

/* A canned answer: for query `name` (and database, NULL for any). */
struct canned {
	const char *name;
	const char *datname;
	const char *table; /* NULL: the query fails */
};

struct replay {
	const struct canned *answers;
	size_t n;
	char sql[16][8192]; /* the SQL of each query asked, in order */
	char names[16][64];
	int nasked;
};

/* Build a PGresult from "col1\tcol2\nv1\t\\N\n...". */
static inline PGresult *make_result(const char *table)
{
	PGresult *r = PQmakeEmptyPGresult(NULL, PGRES_TUPLES_OK);
	ck_assert_ptr_nonnull(r);
	char *copy = strdup(table);
	char *save = NULL, *line = strtok_r(copy, "\n", &save);
	ck_assert_ptr_nonnull(line);
	PGresAttDesc attrs[64];
	char *names[64];
	int ncols = 0;
	for (char *f = line, *tab; f && ncols < 64; f = tab ? tab + 1 : NULL) {
		tab = strchr(f, '\t');
		if (tab)
			*tab = '\0';
		names[ncols] = f;
		attrs[ncols] = (PGresAttDesc){ .name = names[ncols], .format = 0, .typlen = -1,
					       .typid = 25, .atttypmod = -1 };
		ncols++;
	}
	ck_assert(PQsetResultAttrs(r, ncols, attrs));
	int row = 0;
	while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
		int col = 0;
		for (char *f = line, *tab; f && col < ncols; f = tab ? tab + 1 : NULL, col++) {
			tab = strchr(f, '\t');
			if (tab)
				*tab = '\0';
			if (!strcmp(f, "\\N"))
				ck_assert(PQsetvalue(r, row, col, NULL, -1));
			else
				ck_assert(PQsetvalue(r, row, col, f, (int)strlen(f)));
		}
		/* Short rows keep their missing cells NULL. */
		for (; col < ncols; col++)
			ck_assert(PQsetvalue(r, row, col, NULL, -1));
		row++;
	}
	free(copy);
	return r;
}

static PGresult *replay_answer(void *ctx, const char *datname, const char *name, const char *sql)
{
	struct replay *rp = ctx;
	if (rp->nasked < 16) {
		snprintf(rp->sql[rp->nasked], sizeof rp->sql[0], "%s", sql);
		snprintf(rp->names[rp->nasked], sizeof rp->names[0], "%s", name);
		rp->nasked++;
	}
	for (size_t i = 0; i < rp->n; i++) {
		const struct canned *c = &rp->answers[i];
		if (strcmp(c->name, name) != 0)
			continue;
		if (c->datname && datname && strcmp(c->datname, datname) != 0)
			continue;
		return c->table ? make_result(c->table) : NULL;
	}
	return NULL;
}

/*
 * Run def against a server of version (server_version_num), answering from
 * rp. argv holds option flags, NULL-terminated (may be NULL).
 */
static inline struct run_result run_pg_collector(const struct collector_def *def, int version,
						 struct replay *rp, const char *const *argv)
{
	struct test_session ss;
	test_session_start(&ss, def, argv);
	struct run_result r = { .rc = ss.init_rc };
	if (ss.init_rc) {
		snprintf(r.err, sizeof r.err, "%s", ss.err);
		r.text = calloc(1, 1);
	} else {
		struct pgscrape ps = { .rq = &ss.rq, .version = version, .replay = replay_answer,
				       .replay_ctx = rp, .replay_dbname = "postgres" };
		ss.target = &ps;
		r.text = test_session_scrape(&ss, &r.rc, NULL);
		snprintf(r.err, sizeof r.err, "%s", ss.err);
		PQclear(ps.dbres);
		free(ps.dbnames);
	}
	test_session_end(&ss);
	return r;
}

#endif
