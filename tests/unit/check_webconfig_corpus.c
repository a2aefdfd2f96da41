// links:
/*
 * The fuzz target tests/fuzz/webconfig.c over its seed corpus, so the normal
 * and sanitizer passes of the suite run every recorded input through
 * the web config parser; a crash or a broken promise fails the suite.
 */
#include "../fuzz/webconfig.c"
#include "unit.h"

CORPUS_SUITE("webconfig", 9)
