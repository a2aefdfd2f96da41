// links: node_exporter
/*
 * The fuzz target tests/fuzz/node_textparse.c over its seed corpus (upstream's
 * textfile fixtures and the inputs of the textfile unit tests), in every pass
 * of the suite: a crash, a sanitizer report or a broken promise of the
 * parser fails it.
 */
#include "../fuzz/node_textparse.c"
#include "unit.h"

CORPUS_SUITE("node_textparse", 20)
