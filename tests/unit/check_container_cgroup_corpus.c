// links: container_exporter
/*
 * The fuzz target tests/fuzz/container_cgroup.c over its seed corpus (the
 * v1 and v2 fixture files, broken variants, the fixtures' cgroup paths), so
 * every pass runs container_exporter's cgroup parsers and path names on
 * them; a crash or a broken promise fails it.
 */
#include "../fuzz/container_cgroup.c"
#include "unit.h"

CORPUS_SUITE("container_cgroup", 20)
