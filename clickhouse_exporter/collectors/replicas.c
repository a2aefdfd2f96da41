/*
 * Replicated tables: system.replicas (delay, queue, read-only, expired
 * Keeper session) and system.replication_queue (entries by type, those
 * failing, most tries). Only columns that need no Keeper request are read;
 * the queue's inserts and merges are in system.replication_queue by type.
 */
#include "../clickhouse.h"

static int replicas_select(const struct ch_caps *c, struct ch_select *sel)
{
	(void)c;
	*sel = (struct ch_select){ .labels = { "database", "table" },
				   .values = { "toFloat64(absolute_delay)", "toFloat64(queue_size)",
					       "is_readonly", "is_session_expired" },
				   .from = "FROM system.replicas" };
	return 0;
}

static int queue_select(const struct ch_caps *c, struct ch_select *sel)
{
	(void)c;
	*sel = (struct ch_select){ .labels = { "database", "table", "toString(type)" },
				   .values = { "toFloat64(count())", "toFloat64(countIf(last_exception != ''))",
					       "toFloat64(max(num_tries))" },
				   .from = "FROM system.replication_queue GROUP BY database, table, type" };
	return 0;
}

/*
 * A server with replicated tables has a Keeper session, or counts them as
 * read-only replicas when it has none.
 */
static const char *const replica_hints[] = { "ZooKeeperSession", "ReadonlyReplica", NULL };

const struct ch_section section_replicas = {
	.sec = SEC_REPLICAS, .key = "replicas", .table = "replicas", .collector = &collector_replicas,
	.sparse = true, .hints = replica_hints, .select = replicas_select,
};

const struct ch_section section_replication_queue = {
	.sec = SEC_REPLICATION_QUEUE, .key = "replication_queue", .table = "replication_queue",
	.collector = &collector_replicas, .sparse = true, .hints = replica_hints, .select = queue_select,
};

static const struct {
	const char *name, *help;
} replica_families[CH_NVALUES] = {
	{ "clickhouse_replica_absolute_delay_seconds", "How far the replica is behind, in seconds." },
	{ "clickhouse_replica_queue_size", "Entries in the replica's replication queue." },
	{ "clickhouse_replica_is_readonly", "1 if the replica is read-only (no Keeper session or configuration)." },
	{ "clickhouse_replica_is_session_expired", "1 if the replica's Keeper session has expired." },
};

static int replicas_collect(struct scrape *s, struct expo *e)
{
	const struct ch_result *r = s->target;
	for (int i = 0; i < CH_NVALUES; i++)
		ch_emit_table_gauge(e, r, SEC_REPLICAS, i, replica_families[i].name, replica_families[i].help);
	if (ch_section_usable(r, SEC_REPLICATION_QUEUE)) {
		const char *const labels[] = { "database", "table", "type", NULL };
		struct family *entries = expo_family(e, "clickhouse_replication_queue_entries", METRIC_GAUGE,
						     "Entries in the replication queue, by type.", labels);
		struct family *failing = expo_family(e, "clickhouse_replication_queue_failing_entries",
						     METRIC_GAUGE,
						     "Entries of the replication queue whose last attempt failed.",
						     labels);
		struct family *tries = expo_family(e, "clickhouse_replication_queue_max_tries", METRIC_GAUGE,
						   "Most attempts made at one entry of the replication queue.",
						   labels);
		const struct ch_row *row = r->rows + r->first[SEC_REPLICATION_QUEUE];
		for (size_t i = 0; i < r->count[SEC_REPLICATION_QUEUE]; i++, row++) {
			expo_sample(e, entries, row->v[0], row->l[0], row->l[1], row->l[2]);
			expo_sample(e, failing, row->v[1], row->l[0], row->l[1], row->l[2]);
			expo_sample(e, tries, row->v[2], row->l[0], row->l[1], row->l[2]);
		}
	}
	int rc = ch_section_status(s, r, SEC_REPLICAS);
	return rc == COLLECT_OK ? ch_section_status(s, r, SEC_REPLICATION_QUEUE) : rc;
}

const struct collector_def collector_replicas = {
	.name = "replicas", .default_enabled = true, .collect = replicas_collect, .concurrent = true,
};
