/*
 * clients: CLIENT LIST as upstream's connected_clients_details, one series
 * per client connection (--export-client-list; --export-client-port adds
 * the port label).
 */
#include <stdio.h>
#include <string.h>

#include "../../common/parse.h"
#include "../info.h"
#include "../redis.h"

enum { F_ID, F_ADDR, F_NAME, F_AGE, F_IDLE, F_FLAGS, F_DB, F_OMEM, F_CMD, F_N };
static const char *const wanted[F_N] = { "id", "addr", "name", "age", "idle", "flags", "db", "omem", "cmd" };

static bool digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* One line: "id=3 addr=127.0.0.1:5000 laddr=... fd=8 name= age=1 idle=0 flags=N db=0 ... cmd=client|list" */
static bool client_line(struct expo *e, char *line, double now)
{
	const char *v[F_N] = { 0 };
	char *f[64];
	size_t n = split_fields(line, f, 64);
	if (n > 64 || n < 2)
		return false;
	for (size_t i = 0; i < n; i++) {
		char *eq = strchr(f[i], '=');
		/* upstream skips lines with an item that is not exactly key=value */
		if (!eq || strchr(eq + 1, '='))
			return false;
		*eq = '\0';
		for (int k = 0; k < F_N; k++)
			if (!strcmp(f[i], wanted[k]))
				v[k] = eq + 1;
	}
	/* upstream's filter: ^id=\d+ addr=\d+ (IPv4 clients only) */
	if (strcmp(f[0], "id") || strcmp(f[1], "addr") || !v[F_ID] || !digits(v[F_ID]) || !v[F_ADDR] ||
	    v[F_ADDR][0] < '0' || v[F_ADDR][0] > '9')
		return false;
	int64_t age, idle;
	if (!v[F_AGE] || !v[F_IDLE] || parse_i64(v[F_AGE], &age) < 0 || parse_i64(v[F_IDLE], &idle) < 0)
		return false;
	char host[64], created[32], since[32];
	const char *colon = strchr(v[F_ADDR], ':');
	if (!colon || strchr(colon + 1, ':') || (size_t)(colon - v[F_ADDR]) >= sizeof host)
		return false;
	memcpy(host, v[F_ADDR], (size_t)(colon - v[F_ADDR]));
	host[colon - v[F_ADDR]] = '\0';
	strf(created, sizeof created, "%lld", (long long)((int64_t)now - age));
	strf(since, sizeof since, "%lld", (long long)((int64_t)now - idle));
	const char *ns = redis_opts.ns;
	if (redis_opts.export_client_port)
		expo_sample(e, redis_family(e, ns, "connected_clients_details", METRIC_GAUGE,
					    "A client connection of Redis (CLIENT LIST); always 1.",
					    (const char *const[]){ "name", "created_at", "idle_since", "flags", "db",
								   "omem", "cmd", "host", "port", NULL }),
			    1, v[F_NAME], created, since, v[F_FLAGS], v[F_DB], v[F_OMEM], v[F_CMD], host, colon + 1);
	else
		expo_sample(e, redis_family(e, ns, "connected_clients_details", METRIC_GAUGE,
					    "A client connection of Redis (CLIENT LIST); always 1.",
					    (const char *const[]){ "name", "created_at", "idle_since", "flags", "db",
								   "omem", "cmd", "host", NULL }),
			    1, v[F_NAME], created, since, v[F_FLAGS], v[F_DB], v[F_OMEM], v[F_CMD], host);
	return true;
}

static int clients_collect(struct scrape *s, struct expo *e)
{
	struct rscrape *rs = s->target;
	redisReply *r = rs->r[SLOT_CLIENT_LIST];
	if (!r)
		return COLLECT_NODATA;
	if (r->type == REDIS_REPLY_ERROR)
		return scrape_fail(s, "CLIENT LIST: %s", r->str);
	if (r->type != REDIS_REPLY_STRING)
		return scrape_fail(s, "CLIENT LIST: unexpected reply type %d", r->type);
	char *cursor = r->str, *line;
	while ((line = next_line(&cursor)))
		client_line(e, line, rs->now);
	return COLLECT_OK;
}

const struct collector_def collector_clients = {
	.name = "clients",
	.default_enabled = false,
	.collect = clients_collect,
};
