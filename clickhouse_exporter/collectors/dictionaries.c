/*
 * External dictionaries (system.dictionaries): memory, elements, whether
 * the last load failed and, where the server has the column (20.x on),
 * the loading status. Names are database.name where there is a database.
 */
#include "../clickhouse.h"

static int dictionaries_select(const struct ch_caps *c, struct ch_select *sel)
{
	const char *name = ch_caps_has(c, "dictionaries", "database")
				   ? "if(database = '', name, concat(database, '.', name))"
				   : "name";
	const char *status = ch_caps_has(c, "dictionaries", "status") ? "toString(status)" : NULL;
	*sel = (struct ch_select){ .labels = { name, status },
				   .values = { "toFloat64(bytes_allocated)", "toFloat64(element_count)",
					       "last_exception != ''" },
				   .from = "FROM system.dictionaries" };
	return 0;
}

const struct ch_section section_dictionaries = {
	.sec = SEC_DICTIONARIES, .key = "dictionaries", .table = "dictionaries",
	.collector = &collector_dictionaries, .sparse = true, .select = dictionaries_select,
};

static int dictionaries_collect(struct scrape *s, struct expo *e)
{
	const struct ch_result *r = s->target;
	if (ch_section_usable(r, SEC_DICTIONARIES)) {
		const char *const labels[] = { "name", NULL };
		struct family *bytes = expo_family(e, "clickhouse_dictionary_bytes_allocated", METRIC_GAUGE,
						   "Memory the dictionary takes, in bytes.", labels);
		struct family *elems = expo_family(e, "clickhouse_dictionary_element_count", METRIC_GAUGE,
						   "Items stored in the dictionary.", labels);
		struct family *failed = expo_family(e, "clickhouse_dictionary_failed", METRIC_GAUGE,
						    "1 if the dictionary's last load failed (last_exception set).",
						    labels);
		bool has_status = r->caps && ch_caps_has(r->caps, "dictionaries", "status");
		struct family *status =
			has_status ? expo_family(e, "clickhouse_dictionary_status", METRIC_GAUGE,
						 "The dictionary's loading status (LOADED, FAILED, LOADING...); always 1.",
						 (const char *const[]){ "name", "status", NULL })
				   : NULL;
		const struct ch_row *row = r->rows + r->first[SEC_DICTIONARIES];
		for (size_t i = 0; i < r->count[SEC_DICTIONARIES]; i++, row++) {
			expo_sample(e, bytes, row->v[0], row->l[0]);
			expo_sample(e, elems, row->v[1], row->l[0]);
			expo_sample(e, failed, row->v[2], row->l[0]);
			if (status)
				expo_sample(e, status, 1, row->l[0], row->l[1]);
		}
	}
	return ch_section_status(s, r, SEC_DICTIONARIES);
}

const struct collector_def collector_dictionaries = {
	.name = "dictionaries", .default_enabled = true, .collect = dictionaries_collect, .concurrent = true,
};
