// links:
/*
 * The fuzz target tests/fuzz/http_accept.c over its seed corpus, so the normal
 * and sanitizer passes of the suite run every recorded input through
 * the Accept and Accept-Encoding negotiation; a crash or a broken promise fails the suite.
 */
#include "../fuzz/http_accept.c"
#include "unit.h"

CORPUS_SUITE("http_accept", 8)
