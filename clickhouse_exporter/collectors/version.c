/* The server's version as an info metric (version(), asked in every scrape). */
#include "../clickhouse.h"

static int version_sql(const struct ch_caps *c, struct buf *b)
{
	(void)c;
	/* uptime() tells scrape.c when the server restarted (and may have been upgraded). */
	return ch_sql_select(b, "version", "version()", NULL, NULL, NULL,
			     (const char *const[CH_NVALUES]){ "uptime()" }, NULL);
}

const struct ch_section section_version = {
	.sec = SEC_VERSION, .key = "version", .table = NULL, .collector = NULL,
	.sql = version_sql,
};

static int version_collect(struct scrape *s, struct expo *e)
{
	const struct ch_result *r = s->target;
	int rc = ch_section_status(s, r, SEC_VERSION);
	if (!ch_section_usable(r, SEC_VERSION) || !r->count[SEC_VERSION])
		return rc;
	struct family *f = expo_family(e, "clickhouse_version_info", METRIC_GAUGE,
				       "The ClickHouse server's version (version()); always 1.",
				       (const char *const[]){ "version", NULL });
	expo_sample(e, f, 1, r->rows[r->first[SEC_VERSION]].n);
	return rc;
}

const struct collector_def collector_version = {
	.name = "version", .default_enabled = true, .collect = version_collect, .concurrent = true,
};
