/*
 * keygroups: --check-key-groups. A Lua script (ours, with upstream's
 * semantics) SCANs a batch of keys server-side, asks MEMORY USAGE of each
 * and names its group by the captures of the first matching Lua pattern
 * ("unclassified" when none matches); the exporter sums the batches of every
 * database. Per database: key_group_count and key_group_memory_usage_bytes
 * {db,key_group} for the --max-distinct-key-groups groups using the most
 * memory, the rest summed as key_group "overflow", and
 * number_of_distinct_key_groups. last_key_groups_scrape_duration_milliseconds
 * is always there, as upstream's. The first batch of every database goes
 * in one pipeline, and so on while databases have more.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/hashtab.h"
#include "../../common/parse.h"
#include "../info.h"
#include "../redis.h"

/* ARGV: cursor, COUNT, the patterns joined by NUL bytes. Returns {cursor, {{group, keys, bytes}...}}. */
static const char group_script[] =
	"local cursor, count, joined = ARGV[1], ARGV[2], ARGV[3]\n"
	"local patterns, from = {}, 1\n"
	"while true do\n"
	"  local nul = string.find(joined, '\\0', from, true)\n"
	"  local p = string.sub(joined, from, (nul or 0) - 1)\n"
	"  local ok, why = pcall(string.find, ' ', p)\n"
	"  if not ok then return redis.error_reply('invalid key group ' .. p .. ': ' .. why) end\n"
	"  patterns[#patterns + 1] = p\n"
	"  if not nul then break end\n"
	"  from = nul + 1\n"
	"end\n"
	"local batch = redis.call('SCAN', cursor, 'COUNT', count)\n"
	"local sums, order = {}, {}\n"
	"for _, key in ipairs(batch[2]) do\n"
	"  local bytes = redis.pcall('MEMORY', 'USAGE', key)\n"
	"  if type(bytes) ~= 'number' then bytes = 0 end\n"
	"  local group = 'unclassified'\n"
	"  for _, p in ipairs(patterns) do\n"
	"    local found = {string.find(key, p)}\n"
	"    if found[1] then group = table.concat(found, '', 3) break end\n"
	"  end\n"
	"  local s = sums[group]\n"
	"  if not s then s = {group, 0, 0} sums[group] = s order[#order + 1] = s end\n"
	"  s[2] = s[2] + 1\n"
	"  s[3] = s[3] + bytes\n"
	"end\n"
	"return {batch[1], order}\n";

/* Most SCAN rounds of one database in one scrape; the deadline bounds them too. */
#define MAX_ROUNDS 100000

struct group {
	char *name;
	double keys, bytes;
};

/* One database's groups, indexed by name. */
struct groups {
	struct group *g;
	size_t n, cap;
	struct hashtab index; /* name (owned by g[]) -> its index in g + 1 */
	char cursor[32];
	bool active, failed;
};

/* Add keys and bytes to the group called name; -1 when out of memory. */
static int add_group(struct groups *gs, const char *name, size_t len, double keys, double bytes)
{
	len = strnlen(name, len); /* a name is a C string: it ends at a NUL byte */
	uint64_t h = hash_bytes(name, len);
	uintptr_t at = (uintptr_t)hashtab_get_n(&gs->index, name, len, h);
	if (at) {
		gs->g[at - 1].keys += keys;
		gs->g[at - 1].bytes += bytes;
		return 0;
	}
	if (gs->n == gs->cap) {
		size_t cap = gs->cap ? gs->cap * 2 : 32;
		struct group *more = realloc(gs->g, cap * sizeof *more);
		if (!more)
			return -1;
		gs->g = more;
		gs->cap = cap;
	}
	char *copy = strndup(name, len);
	if (!copy || hashtab_put(&gs->index, copy, h, (void *)(uintptr_t)(gs->n + 1)) < 0) {
		free(copy);
		return -1;
	}
	gs->g[gs->n++] = (struct group){ copy, keys, bytes };
	return 0;
}

static void groups_free(struct groups *gs)
{
	for (size_t i = 0; i < gs->n; i++)
		free(gs->g[i].name);
	free(gs->g);
	hashtab_free(&gs->index);
}

/* Most memory first, then fewer keys, then by name: upstream's order for the overflow cut. */
static int cmp_group(const void *a, const void *b)
{
	const struct group *x = a, *y = b;
	if (x->bytes != y->bytes)
		return x->bytes > y->bytes ? -1 : 1;
	if (x->keys != y->keys)
		return x->keys < y->keys ? -1 : 1;
	return strcmp(x->name, y->name);
}

static double number(const redisReply *r)
{
	double v = 0;
	if (r->type == REDIS_REPLY_INTEGER)
		v = (double)r->integer;
	else if (r->type == REDIS_REPLY_STRING)
		parse_double(r->str, &v);
	return v;
}

/* One EVAL reply of a database: its groups added, its cursor moved; -1 if of another shape. */
static int take_batch(struct groups *gs, const redisReply *r)
{
	if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 || r->element[0]->type != REDIS_REPLY_STRING ||
	    r->element[0]->len >= sizeof gs->cursor || r->element[1]->type != REDIS_REPLY_ARRAY)
		return -1;
	const redisReply *list = r->element[1];
	for (size_t i = 0; i < list->elements; i++) {
		const redisReply *g = list->element[i];
		if (g->type != REDIS_REPLY_ARRAY || g->elements != 3 || g->element[0]->type != REDIS_REPLY_STRING)
			return -1;
		if (add_group(gs, g->element[0]->str, g->element[0]->len, number(g->element[1]),
			      number(g->element[2])) < 0)
			return -1;
	}
	memcpy(gs->cursor, r->element[0]->str, r->element[0]->len);
	gs->cursor[r->element[0]->len] = '\0';
	gs->active = strcmp(gs->cursor, "0") != 0;
	return 0;
}

static void emit(struct expo *e, struct groups *gs, long db)
{
	const char *ns = redis_opts.ns;
	static const char *const lbl[] = { "db", "key_group", NULL };
	char dbl[32];
	strf(dbl, sizeof dbl, "db%ld", db);
	size_t shown = gs->n;
	double over_keys = 0, over_bytes = 0;
	bool overflow = gs->n > (size_t)redis_opts.max_key_groups;
	if (overflow) {
		/* the name index is stale from here: nothing is added after emit() */
		qsort(gs->g, gs->n, sizeof *gs->g, cmp_group);
		shown = (size_t)redis_opts.max_key_groups;
		for (size_t i = shown; i < gs->n; i++) {
			over_keys += gs->g[i].keys;
			over_bytes += gs->g[i].bytes;
		}
	}
	struct family *count = redis_family(e, ns, "key_group_count", METRIC_GAUGE,
					    "Keys of a key group in a database.", lbl);
	struct family *mem = redis_family(e, ns, "key_group_memory_usage_bytes", METRIC_GAUGE,
					  "Memory the keys of a key group use, in bytes (MEMORY USAGE).", lbl);
	for (size_t i = 0; i < shown; i++) {
		expo_sample(e, count, gs->g[i].keys, dbl, gs->g[i].name);
		expo_sample(e, mem, gs->g[i].bytes, dbl, gs->g[i].name);
	}
	if (overflow) {
		expo_sample(e, count, over_keys, dbl, "overflow");
		expo_sample(e, mem, over_bytes, dbl, "overflow");
	}
	expo_sample(e, redis_family(e, ns, "number_of_distinct_key_groups", METRIC_GAUGE,
				    "Key groups found in a database.", (const char *const[]){ "db", NULL }),
		    (double)gs->n, dbl);
}

static int keygroups_collect(struct scrape *s, struct expo *e)
{
	struct rscrape *rs = s->target;
	double t0 = mono_now();
	char err[300] = "";
	long ndb = redis_opts.nkey_groups ? rs->dbcount : 0;
	if (ndb > INFO_MAX_PADDED_DBS)
		ndb = INFO_MAX_PADDED_DBS;
	struct groups *gs = calloc(ndb > 0 ? (size_t)ndb : 1, sizeof *gs);
	if (!gs)
		return scrape_fail(s, "out of memory");
	for (long d = 0; d < ndb; d++) {
		strf(gs[d].cursor, sizeof gs[d].cursor, "0");
		gs[d].active = true;
	}
	char batch[24];
	strf(batch, sizeof batch, "%ld", redis_opts.check_keys_batch);
	struct rconn *c = rs->conn;
	for (int round = 0; round < MAX_ROUNDS && ndb > 0; round++) {
		struct rbatch b = { .db = c->db };
		long *slot = calloc((size_t)ndb * 2, sizeof *slot);
		if (!slot || rbatch_grow(&b, (size_t)ndb * 2) < 0) {
			free(slot);
			rbatch_free(&b);
			strf(err, sizeof err, "out of memory");
			break;
		}
		size_t asked = 0;
		for (long d = 0; d < ndb; d++) {
			slot[2 * d] = slot[2 * d + 1] = -1;
			if (!gs[d].active)
				continue;
			slot[2 * d] = rbatch_select(&b, false, d);
			slot[2 * d + 1] = (long)b.n;
			b.cmds[b.n++] = (struct rcmd){
				.argc = 6,
				.argv = { "EVAL", group_script, "0", gs[d].cursor, batch, redis_opts.key_groups },
				.len = { 4, sizeof group_script - 1, 1, strlen(gs[d].cursor), strlen(batch),
					 redis_opts.key_groups_len },
			};
			asked++;
		}
		char xerr[256];
		int rc = asked ? rconn_exec(c, rs->copts, b.cmds, b.n, b.r, rs->deadline, xerr, sizeof xerr) : 1;
		if (rc < 0) {
			b.n = 0;
			strf(err, sizeof err, "key groups: %s", xerr);
		} else if (rc == 0) {
			c->db = b.db;
			for (long d = 0; d < ndb; d++) {
				if (slot[2 * d + 1] < 0)
					continue;
				const redisReply *sel = slot[2 * d] >= 0 ? b.r[slot[2 * d]] : NULL;
				const redisReply *r = b.r[slot[2 * d + 1]];
				/* A database that fails gives nothing, as upstream; the others go on. */
				if ((sel && sel->type == REDIS_REPLY_ERROR) || take_batch(&gs[d], r) < 0) {
					if (!err[0])
						strf(err, sizeof err, "key groups of db%ld: %.200s", d,
						     sel && sel->type == REDIS_REPLY_ERROR ? sel->str
						     : r->type == REDIS_REPLY_ERROR	       ? r->str
											       : "unexpected reply");
					gs[d].active = false;
					gs[d].failed = true;
				}
			}
		}
		free(slot);
		rbatch_free(&b);
		if (rc != 0)
			break;
	}
	for (long d = 0; d < ndb; d++) {
		if (!gs[d].failed && !gs[d].active)
			emit(e, &gs[d], d);
		groups_free(&gs[d]);
	}
	free(gs);
	/* Whole milliseconds, as Go's Duration.Milliseconds(). */
	expo_value(e, redis_family(e, redis_opts.ns, "last_key_groups_scrape_duration_milliseconds", METRIC_GAUGE,
				   "Duration of the key group checks of this scrape, in whole milliseconds.", NULL),
		   (double)(int64_t)((mono_now() - t0) * 1e3));
	if (err[0])
		return scrape_fail(s, "%s", err);
	return COLLECT_OK;
}

const struct collector_def collector_keygroups = {
	.name = "keygroups",
	.default_enabled = true,
	.collect = keygroups_collect,
};
