#include "collectors.h"

/* Each collector file defines one of these. Keep the list in name order. */
extern const struct collector_def collector_loadavg;
extern const struct collector_def collector_meminfo;

const struct collector_def *const node_collectors[] = {
	&collector_loadavg,
	&collector_meminfo,
};

const size_t node_ncollectors = sizeof node_collectors / sizeof node_collectors[0];
