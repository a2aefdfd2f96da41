// links: node_exporter
/*
 * The fuzz target tests/fuzz/node_files.c over its seed corpus (every procfs
 * and sysfs file of its table with its fixture content, and broken
 * variants), so every pass runs node_exporter's collectors on each of those
 * files cut short at every 7th byte; a crash, a sanitizer report or an error
 * without a reason fails it.
 */
#include "../fuzz/node_files.c"
#include "unit.h"

CORPUS_SUITE("node_files", 75)
