/* system.disks (19.15 and later): upstream's free and total space per disk. */
#include "../clickhouse.h"

static int disks_sql(const struct ch_caps *c, struct buf *b)
{
	(void)c;
	return ch_sql_select(b, "disks", "name", NULL, NULL, NULL,
			     (const char *const[CH_NVALUES]){ "sum(free_space)", "sum(total_space)" },
			     "FROM system.disks GROUP BY name");
}

const struct ch_section section_disks = {
	.sec = SEC_DISKS, .key = "disks", .table = "disks", .collector = &collector_disks,
	.sql = disks_sql,
};

static int disks_collect(struct scrape *s, struct expo *e)
{
	const struct ch_result *r = s->target;
	if (ch_section_usable(r, SEC_DISKS)) {
		struct family *free_f = expo_family(e, "clickhouse_free_space_in_bytes", METRIC_GAUGE,
						    "Free space on the disk in bytes.",
						    (const char *const[]){ "disk", NULL });
		struct family *total_f = expo_family(e, "clickhouse_total_space_in_bytes", METRIC_GAUGE,
						     "Size of the disk in bytes.",
						     (const char *const[]){ "disk", NULL });
		const struct ch_row *row = r->rows + r->first[SEC_DISKS];
		for (size_t i = 0; i < r->count[SEC_DISKS]; i++, row++) {
			expo_sample(e, free_f, row->v[0], row->n);
			expo_sample(e, total_f, row->v[1], row->n);
		}
	}
	return ch_section_status(s, r, SEC_DISKS);
}

const struct collector_def collector_disks = {
	.name = "disks", .default_enabled = true, .collect = disks_collect, .concurrent = true,
};
