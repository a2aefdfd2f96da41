/* The list of pg_exporter's collectors, generated from pg_exporter/collectors/. */
#ifndef PG_EXPORTER_COLLECTORS_H
#define PG_EXPORTER_COLLECTORS_H

#include <stddef.h>

#include "../common/exporter.h"

extern const struct collector_def *const pg_collectors[];
extern const size_t pg_ncollectors;

#endif
