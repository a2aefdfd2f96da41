// links: redis_exporter
/*
 * The fuzz target tests/fuzz/redis_info.c over its seed corpus, so the
 * normal and sanitizer passes of the suite run every recorded input through
 * the INFO, CLUSTER INFO and address parsers; a crash fails the suite.
 */
#include "../fuzz/redis_info.c"
#include "unit.h"

CORPUS_SUITE("redis_info", 8)
