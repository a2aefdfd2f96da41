// links: redis_exporter
/*
 * The fuzz target tests/fuzz/redis_addr.c over its seed corpus (addresses
 * of the redis unit tests and upstream's forms, malformed ones, password
 * files), so every pass runs them through the address parser and the
 * password file; a crash or a broken promise fails it.
 */
#include "../fuzz/redis_addr.c"
#include "unit.h"

CORPUS_SUITE("redis_addr", 15)
