/* Errors by code since the server started (system.errors, 20.11 and later). */
#include "../clickhouse.h"

static int errors_sql(const struct ch_caps *c, struct buf *b)
{
	(void)c;
	/* Local and remote (received from other servers) counts added up, as the built-in endpoint does. */
	return ch_sql_select(b, "errors", "name", NULL, NULL, "toString(code)",
			     (const char *const[CH_NVALUES]){ "sum(value)" },
			     "FROM system.errors GROUP BY name, code");
}

const struct ch_section section_errors = {
	.sec = SEC_ERRORS, .key = "errors", .table = "errors", .collector = &collector_errors,
	.sql = errors_sql,
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
			expo_sample(e, f, row->v[0], row->x, row->n);
	}
	return ch_section_status(s, r, SEC_ERRORS);
}

const struct collector_def collector_errors = {
	.name = "errors", .default_enabled = true, .collect = errors_collect, .concurrent = true,
};
