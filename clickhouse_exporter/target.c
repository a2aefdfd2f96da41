/*
 * clickhouse_exporter's side of the backend layer: a target is a parsed
 * ClickHouse address (-scrape_uri, or one named by /probe?target=) with the
 * credentials chosen for it; its connection is a probed session (scrape.c).
 */
#include <stdlib.h>
#include <string.h>

#include "../common/parse.h"
#include "clickhouse.h"

struct ch_target *ch_target_new(const char *uri, bool probe)
{
	struct ch_target *t = calloc(1, sizeof *t);
	if (!t)
		return NULL;
	struct chconn_opts o = ch_opts.conn;
	/* Credentials go only where the configuration points, unless told otherwise. */
	if (probe && !ch_opts.probe_credentials)
		o.user = o.password = NULL;
	t->addr = chaddr_parse(uri, &o, t->name, sizeof t->name, t->err, sizeof t->err);
	if (!t->addr && !t->name[0])
		strf(t->name, sizeof t->name, "(unusable address)");
	return t;
}

static void ch_free_target(void *spec)
{
	struct ch_target *t = spec;
	if (!t)
		return;
	chaddr_free(t->addr);
	free(t);
}

static const char *ch_describe(const void *spec)
{
	return ((const struct ch_target *)spec)->name;
}

static int ch_resolve(const struct request *rq, const char *target, void **spec, char **key, char *msg,
		      size_t msglen)
{
	(void)rq;
	struct ch_target *t = ch_target_new(target, true);
	if (t && !t->addr) {
		strf(msg, msglen, "invalid 'target' parameter: %s", t->err);
		ch_free_target(t);
		return 400;
	}
	/* The address as given may hold credentials: the layer wipes its key. */
	*key = t ? strdup(target) : NULL;
	if (!*key) {
		ch_free_target(t);
		strf(msg, msglen, "out of memory");
		return 500;
	}
	*spec = t;
	return 0;
}

const struct backend_ops ch_ops = {
	.open = ch_session_open, .collect = ch_collect, .close = ch_session_close,
	.describe = ch_describe, .free_spec = ch_free_target, .resolve = ch_resolve,
};
