/*
 * clients: CLIENT LIST as upstream 1.88 exports it (--export-client-list):
 * connected_client_info{id,name,flags,db,host[,port][,user][,resp]} and a
 * gauge per client and field, labelled {id,name}. --export-client-port
 * adds the port label.
 */
#include <stdio.h>
#include <string.h>

#include "../../common/parse.h"
#include "../info.h"
#include "../redis.h"

enum {
	F_ID, F_ADDR, F_NAME, F_USER, F_AGE, F_IDLE, F_FLAGS, F_DB, F_RESP, F_SUB, F_PSUB, F_SSUB,
	F_WATCH, F_QBUF, F_QBUF_FREE, F_OBL, F_OLL, F_OMEM, F_TOTMEM, F_N
};
static const char *const wanted[F_N] = {
	"id", "addr", "name", "user", "age", "idle", "flags", "db", "resp", "sub", "psub", "ssub",
	"watch", "qbuf", "qbuf-free", "obl", "oll", "omem", "tot-mem",
};

/* The per-client gauges: family name, help, field. */
static const struct {
	const char *name, *help;
	int field;
} gauges[] = {
	{ "connected_client_output_buffer_memory_usage_bytes", "Memory of a client's output buffer in bytes (omem).", F_OMEM },
	{ "connected_client_total_memory_consumed_bytes", "Memory a client uses in total, in bytes (tot-mem).", F_TOTMEM },
	{ "connected_client_channel_subscriptions_count", "Channels a client subscribes to (sub).", F_SUB },
	{ "connected_client_pattern_matching_subscriptions_count", "Patterns a client subscribes to (psub).", F_PSUB },
	{ "connected_client_query_buffer_length_bytes", "Length of a client's query buffer in bytes (qbuf).", F_QBUF },
	{ "connected_client_query_buffer_free_space_bytes", "Free space of a client's query buffer in bytes (qbuf-free).", F_QBUF_FREE },
	{ "connected_client_output_buffer_length_bytes", "Length of a client's output buffer in bytes (obl).", F_OBL },
	{ "connected_client_output_list_length", "Replies queued in a client's output list (oll).", F_OLL },
	/* Redis 7.0.3 and 7.4: only when the server reports them. */
	{ "connected_client_shard_channel_subscriptions_count", "Shard channels a client subscribes to (ssub).", F_SSUB },
	{ "connected_client_shard_channel_watched_keys", "Keys a client watches (watch).", F_WATCH },
};

static bool digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* Upstream's integers: a field that is not one counts as 0. */
static double int_or_zero(const char *v)
{
	int64_t n;
	return v && parse_i64(v, &n) == 0 ? (double)n : 0;
}

/* One line: "id=3 addr=127.0.0.1:5000 laddr=... fd=8 name= age=1 idle=0 flags=N db=0 ..." */
static bool client_line(struct expo *e, char *line, double now)
{
	const char *v[F_N] = { 0 };
	char *f[128];
	size_t n = split_on(line, ' ', f, 128);
	if (n > 128 || n < 2)
		return false;
	/* upstream's filter: ^id=\d+ addr=\S+ */
	if (!has_prefix(f[0], "id=") || !digits(f[0] + 3) || !has_prefix(f[1], "addr=") || !f[1][5])
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
	int64_t age, idle;
	if (!v[F_AGE] || !v[F_IDLE] || parse_i64(v[F_AGE], &age) < 0 || parse_i64(v[F_IDLE], &idle) < 0)
		return false;
	/* host:port, the port after the last ':' (IPv6 hosts keep theirs) */
	char host[300];
	const char *colon = strrchr(v[F_ADDR], ':');
	if (!colon || (size_t)(colon - v[F_ADDR]) >= sizeof host)
		return false;
	memcpy(host, v[F_ADDR], (size_t)(colon - v[F_ADDR]));
	host[colon - v[F_ADDR]] = '\0';

	/*
	 * user and resp only when the server reports them (Redis 6, 7), the port
	 * only with --export-client-port, as upstream. Empty values are left out
	 * of the series (an empty label is no label to Prometheus), so clients
	 * with and without them share the family.
	 */
	const char *ns = redis_opts.ns;
	struct family *info = redis_family(
		e, ns, "connected_client_info", METRIC_GAUGE, "A client connection of Redis (CLIENT LIST); always 1.",
		redis_opts.export_client_port
			? (const char *const[]){ "id", "name", "flags", "db", "host", "port", "user", "resp", NULL }
			: (const char *const[]){ "id", "name", "flags", "db", "host", "user", "resp", NULL });
	expo_family_omit_empty(info);
	if (redis_opts.export_client_port)
		expo_sample(e, info, 1, v[F_ID], v[F_NAME], v[F_FLAGS], v[F_DB], host, colon + 1, v[F_USER], v[F_RESP]);
	else
		expo_sample(e, info, 1, v[F_ID], v[F_NAME], v[F_FLAGS], v[F_DB], host, v[F_USER], v[F_RESP]);

	static const char *const idname[] = { "id", "name", NULL };
	const char *const idv[] = { v[F_ID], v[F_NAME] };
	expo_add(e, redis_family(e, ns, "connected_client_created_at_timestamp", METRIC_GAUGE,
				 "When a client connected, seconds since the epoch (now less age).", idname),
		 (double)((int64_t)now - age), idv);
	expo_add(e, redis_family(e, ns, "connected_client_idle_since_timestamp", METRIC_GAUGE,
				 "When a client last sent a command, seconds since the epoch (now less idle).", idname),
		 (double)((int64_t)now - idle), idv);
	for (size_t i = 0; i < sizeof gauges / sizeof gauges[0]; i++) {
		if ((gauges[i].field == F_SSUB || gauges[i].field == F_WATCH) && !v[gauges[i].field])
			continue;
		expo_add(e, redis_family(e, ns, gauges[i].name, METRIC_GAUGE, gauges[i].help, idname),
			 int_or_zero(v[gauges[i].field]), idv);
	}
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
