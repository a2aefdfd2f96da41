/* Errors by code since the server started (system.errors, 20.11 and later). */
#include "../clickhouse.h"

static int errors_select(const struct ch_caps *c, struct ch_select *sel)
{
	(void)c;
	/* Local and remote (received from other servers) counts added up, as the built-in endpoint does. */
	*sel = (struct ch_select){ .labels = { "name", "toString(code)" }, .values = { "toFloat64(sum(value))" },
				   .from = "FROM system.errors GROUP BY name, code" };
	return 0;
}

const struct ch_section section_errors = {
	.sec = SEC_ERRORS, .key = "errors", .table = "errors", .collector = &collector_errors,
	.select = errors_select,
};

static int errors_collect(struct scrape *s, struct expo *e)
{
	const struct ch_result *r = s->target;
	if (ch_section_usable(r, SEC_ERRORS)) {
		struct family *f = expo_family(e, "clickhouse_errors_total", METRIC_COUNTER,
					       "Errors the server has met since it started, by error code.",
					       (const char *const[]){ "code", "name", NULL });
		const struct ch_row *row = r->rows + r->first[SEC_ERRORS];
		for (size_t i = 0; i < r->count[SEC_ERRORS]; i++, row++)
			expo_sample(e, f, row->v[0], row->l[1], row->l[0]);
	}
	return ch_section_status(s, r, SEC_ERRORS);
}

const struct collector_def collector_errors = {
	.name = "errors", .default_enabled = true, .collect = errors_collect, .concurrent = true,
};
