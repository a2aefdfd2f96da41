// links: kafka_exporter
/*
 * The fuzz target tests/fuzz/kafka_snapshot.c over its seed corpus, so the
 * normal and sanitizer passes of the suite run every recorded sequence of
 * snapshots through kafka_emit() with one state; a crash, a sanitizer
 * report (integer overflow in the lag arithmetic...) fails the suite.
 */
#include "../fuzz/kafka_snapshot.c"
#include "unit.h"

CORPUS_SUITE("kafka_snapshot", 8)
