/* system.disks (19.15 and later): upstream's free and total space per disk. */
#include "../clickhouse.h"

static int disks_select(const struct ch_caps *c, struct ch_select *sel)
{
	(void)c;
	*sel = (struct ch_select){ .labels = { "name" },
				   .values = { "toFloat64(sum(free_space))", "toFloat64(sum(total_space))" },
				   .from = "FROM system.disks GROUP BY name" };
	return 0;
}

const struct ch_section section_disks = {
	.sec = SEC_DISKS, .key = "disks", .table = "disks", .collector = &collector_disks,
	.select = disks_select,
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
			expo_sample(e, free_f, row->v[0], row->l[0]);
			expo_sample(e, total_f, row->v[1], row->l[0]);
		}
	}
	return ch_section_status(s, r, SEC_DISKS);
}

const struct collector_def collector_disks = {
	.name = "disks", .default_enabled = true, .collect = disks_collect, .concurrent = true,
};
