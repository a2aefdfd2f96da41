// links:
/*
 * The fuzz target tests/fuzz/linux_text.c over its seed corpus (fixture
 * files of node_exporter and container_exporter, and broken variants), so
 * every pass runs the kernel text parsers of common/ (statfile, cpulist,
 * mountinfo, sysfs values) on them; a crash or a broken promise fails it.
 */
#include "../fuzz/linux_text.c"
#include "unit.h"

CORPUS_SUITE("linux_text", 10)
