// links: kafka_exporter
/*
 * The fuzz target tests/fuzz/kafka_flags.c over its seed corpus, so the
 * normal and sanitizer passes of the suite run every recorded input through
 * the parsers of --kafka.labels, the connection flags, the lag-seconds
 * method and the filters; a crash or a broken promise fails the suite.
 */
#include "../fuzz/kafka_flags.c"
#include "unit.h"

CORPUS_SUITE("kafka_flags", 20)
