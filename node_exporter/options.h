/* node_exporter's start-up beyond the framework's: flags of upstream's Go runtime. */
#ifndef NODE_OPTIONS_H
#define NODE_OPTIONS_H

#include <stddef.h>

#include "../common/exporter.h"

/*
 * --runtime.gomaxprocs: upstream's Go runtime setting, accepted with the
 * values upstream's flag parser takes ($GOMAXPROCS when absent). Its Int()
 * reads a number with strconv.ParseFloat and truncates it: "2", "2.5" and
 * "1e3" are taken, "x" and "0x10" refused.
 */
extern double node_gomaxprocs;
#define NODE_FLAG_GOMAXPROCS                                                                     \
	{ .name = "runtime.gomaxprocs", .type = FLAG_DOUBLE, .dest = &node_gomaxprocs, .def = "1", \
	  .env = "GOMAXPROCS",                                                                  \
	  .help = "Upstream's number of CPUs for the Go runtime; accepted for compatibility, "  \
		  "it has no effect here (this exporter is not a Go program)." }

/* After flags are parsed: log once what has no effect here. Returns 0. */
int node_setup(struct exporter *x, char *err, size_t errlen);

#endif
