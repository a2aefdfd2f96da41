// links: pg_exporter
/*
 * The fuzz target tests/fuzz/pg_dsn.c over its seed corpus (DSNs of the
 * pg unit tests, upstream's forms and malformed ones), so every pass runs
 * them through libpq's parser, the /probe target syntax and the log forms;
 * a crash, a password shown or a failure without a reason fails it.
 */
#include "../fuzz/pg_dsn.c"
#include "unit.h"

CORPUS_SUITE("pg_dsn", 15)
