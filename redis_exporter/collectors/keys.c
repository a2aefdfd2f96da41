/* keys: --check-keys, --check-single-keys and --count-keys results (fetched by keycheck.c). */
#include <stdio.h>

#include "../../common/parse.h"
#include "../info.h"
#include "../redis.h"

static int keys_collect(struct scrape *s, struct expo *e)
{
	struct rscrape *rs = s->target;
	if (!rs->keys_ran)
		return COLLECT_OK; /* nothing to check */
	const struct keycheck *k = &rs->keys;
	const char *ns = redis_opts.ns;
	static const char *const lbl[] = { "db", "key", NULL };
	for (size_t i = 0; i < k->nkeys; i++) {
		const struct keyresult *kr = &k->keys[i];
		char db[32];
		strf(db, sizeof db, "db%ld", kr->db);
		if (kr->has_memory)
			expo_sample(e, redis_family(e, ns, "key_memory_usage_bytes", METRIC_GAUGE,
						    "Memory a checked key uses, in bytes (MEMORY USAGE).", lbl),
				    kr->memory, db, kr->key);
		if (!kr->has_size)
			continue;
		expo_sample(e, redis_family(e, ns, "key_size", METRIC_GAUGE,
					    "Length or size of a checked key (0 if it does not exist).", lbl),
			    kr->size, db, kr->key);
		/* --disable-exporting-key-values leaves out both value families, as upstream 1.88. */
		if (!kr->strval || !kr->strval[0] || redis_opts.disable_key_values)
			continue;
		double v;
		if (parse_double(kr->strval, &v) == 0)
			expo_sample(e, redis_family(e, ns, "key_value", METRIC_GAUGE,
						    "Numeric value of a checked string key.", lbl),
				    v, db, kr->key);
		else
			expo_sample(e, redis_family(e, ns, "key_value_as_string", METRIC_GAUGE,
						    "Value of a checked string key that is not a number, in label val; always 1.",
						    (const char *const[]){ "db", "key", "val", NULL }),
				    1, db, kr->key, kr->strval);
	}
	for (size_t i = 0; i < k->ncounts; i++) {
		if (!k->counts[i].ok)
			continue;
		char db[32];
		strf(db, sizeof db, "db%ld", k->counts[i].db);
		expo_sample(e, redis_family(e, ns, "keys_count", METRIC_GAUGE,
					    "Number of keys matching a --count-keys pattern.", lbl),
			    (double)k->counts[i].count, db, k->counts[i].pattern);
	}
	if (k->err[0])
		return scrape_fail(s, "key checks: %s", k->err);
	return COLLECT_OK;
}

const struct collector_def collector_keys = {
	.name = "keys",
	.default_enabled = true,
	.collect = keys_collect,
};
