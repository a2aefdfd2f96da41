// links: clickhouse_exporter
/*
 * The fuzz target tests/fuzz/clickhouse_reply.c over its seed corpus (the
 * replies of ClickHouse 18.16 and 26.9 recorded in tests/fixtures/clickhouse
 * and broken variants of them), in every pass of the suite: a crash, a
 * sanitizer report or a broken promise of the reply reader fails it.
 */
#include "../fuzz/clickhouse_reply.c"
#include "unit.h"

CORPUS_SUITE("clickhouse_reply", 20)
