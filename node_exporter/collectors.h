/* The node_exporter collectors, in name order. */
#ifndef NODE_COLLECTORS_H
#define NODE_COLLECTORS_H

#include <stddef.h>

#include "../common/exporter.h"

extern const struct collector_def *const node_collectors[];
extern const size_t node_ncollectors;

#endif
