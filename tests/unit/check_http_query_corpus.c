// links:
/*
 * The fuzz target tests/fuzz/http_query.c over its seed corpus, so the normal
 * and sanitizer passes of the suite run every recorded input through
 * the request-target handling (absolute form, percent-decoding, collect[]/exclude[]); a crash or a broken promise fails the suite.
 */
#include "../fuzz/http_query.c"
#include "unit.h"

CORPUS_SUITE("http_query", 8)
