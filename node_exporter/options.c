/*
 * What node_exporter's start-up does with its own flags. Upstream's Go
 * runtime flag is taken, so that unit files and Helm values passing it keep
 * working, and said once to do nothing rather than silently ignored.
 */
#include "../common/log.h"
#include "../common/parse.h"
#include "options.h"

double node_gomaxprocs; /* written while flags are parsed */

int node_setup(struct exporter *x, char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	const struct flag *f = flags_find(x->fs, "runtime.gomaxprocs");
	if (f && f->set) {
		char value[32];
		strf(value, sizeof value, "%g", node_gomaxprocs);
		log_warn("--runtime.gomaxprocs (GOMAXPROCS) has no effect: it sets Go's runtime, and this node_exporter is not a Go program",
			 "value", value, NULL);
	}
	return 0;
}
