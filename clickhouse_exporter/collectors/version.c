/*
 * The server's version as an info metric, as the probe found it (a restart
 * makes the next scrape probe again). The version section itself, version()
 * and uptime(), is asked only when system.events is not read: scrape.c then
 * sees a restart in uptime() going down.
 */
#include "../clickhouse.h"

static int version_select(const struct ch_caps *c, struct ch_select *sel)
{
	(void)c;
	/* UInt32, which any other value type converts from: no cast. */
	*sel = (struct ch_select){ .labels = { "version()" }, .values = { "uptime()" } };
	return 0;
}

const struct ch_section section_version = {
	.sec = SEC_VERSION, .key = "version", .table = NULL, .collector = NULL,
	.select = version_select,
};

static int version_collect(struct scrape *s, struct expo *e)
{
	const struct ch_result *r = s->target;
	if (!r->caps || !r->caps->version[0])
		return scrape_fail(s, "the server's version is not known");
	struct family *f = expo_family(e, "clickhouse_version_info", METRIC_GAUGE,
				       "The ClickHouse server's version (version()); always 1.",
				       (const char *const[]){ "version", NULL });
	expo_sample(e, f, 1, r->caps->version);
	return COLLECT_OK;
}

const struct collector_def collector_version = {
	.name = "version", .default_enabled = true, .collect = version_collect, .concurrent = true,
};
