// links: redis_exporter
/*
 * The fuzz target tests/fuzz/redis_replies.c over its seed corpus, so the
 * normal and sanitizer passes of the suite run every recorded input through
 * the reply tree parsers (LATENCY HISTOGRAM, XINFO, FT.INFO) and the
 * commandstats index; a crash fails the suite.
 */
#include "../fuzz/redis_replies.c"
#include "unit.h"

CORPUS_SUITE("redis_replies", 8)
