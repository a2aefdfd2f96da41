/*
 * Metrics from one scrape's snapshot: upstream's families with its rules,
 * and ours (lag in seconds, status, group state), updating the histories
 * they need. No I/O here: unit tests feed it hand-made snapshots.
 */
#include <stdlib.h>
#include <string.h>

#include "../common/parse.h"
#include "kafka.h"
#include "lag.h"

#define MAX_VARS 3

/* A gauge family with the --kafka.labels names after its own. */
static struct family *gauge(struct expo *e, const char *name, const char *help, const char *const *vars)
{
	const char *names[MAX_VARS + MAX_CONST_LABELS + 1];
	size_t n = 0;
	for (; vars && vars[n]; n++)
		names[n] = vars[n];
	for (size_t i = 0; i < kafka_opts.nlabels; i++)
		names[n++] = kafka_opts.label_names[i];
	names[n] = NULL;
	return expo_family(e, name, METRIC_GAUGE, help, names);
}

/* A sample with nvars values of its own, then the --kafka.labels values. */
static void put(struct expo *e, struct family *f, double v, size_t nvars, const char *const *vals)
{
	const char *all[MAX_VARS + MAX_CONST_LABELS];
	size_t n = 0;
	for (; n < nvars; n++)
		all[n] = vals[n];
	for (size_t i = 0; i < kafka_opts.nlabels; i++)
		all[n++] = kafka_opts.label_values[i];
	expo_add(e, f, v, all);
}

#define PUT(e, f, v, ...)                                                                             \
	put((e), (f), (v), sizeof((const char *const[]){ __VA_ARGS__ }) / sizeof(const char *), \
	    (const char *const[]){ __VA_ARGS__ })

static const char *const L_NONE[] = { NULL };
static const char *const L_BROKER[] = { "id", "address", NULL };
static const char *const L_TOPIC[] = { "topic", NULL };
static const char *const L_TP[] = { "topic", "partition", NULL };
static const char *const L_GROUP[] = { "consumergroup", NULL };
static const char *const L_GROUP_STATE[] = { "consumergroup", "state", NULL };
static const char *const L_GT[] = { "consumergroup", "topic", NULL };
static const char *const L_GTP[] = { "consumergroup", "topic", "partition", NULL };

struct fams {
	struct family *brokers, *broker_info;
	struct family *partitions, *current, *oldest, *leader, *replicas, *isr, *preferred, *under;
	struct family *members, *state, *status;
	struct family *g_current, *g_current_sum, *g_lag, *g_lag_sum, *g_lag_seconds;
};

static void declare(struct expo *e, struct fams *f)
{
	f->brokers = gauge(e, "kafka_brokers", "Number of brokers in the cluster's metadata.", L_NONE);
	f->broker_info = gauge(e, "kafka_broker_info", "A broker of the cluster (always 1), with its id and address.",
			       L_BROKER);
	f->partitions = gauge(e, "kafka_topic_partitions", "Number of partitions of the topic.", L_TOPIC);
	f->current = gauge(e, "kafka_topic_partition_current_offset",
			   "High watermark of the partition: the offset the next record written gets.", L_TP);
	f->oldest = gauge(e, "kafka_topic_partition_oldest_offset",
			  "Log start offset of the partition: the oldest offset still readable.", L_TP);
	f->leader = gauge(e, "kafka_topic_partition_leader", "Id of the broker leading the partition.", L_TP);
	f->replicas = gauge(e, "kafka_topic_partition_replicas", "Number of replicas of the partition.", L_TP);
	f->isr = gauge(e, "kafka_topic_partition_in_sync_replica", "Number of in-sync replicas of the partition.",
		       L_TP);
	f->preferred = gauge(e, "kafka_topic_partition_leader_is_preferred",
			     "1 if the partition is led by its preferred (first) replica, else 0.", L_TP);
	f->under = gauge(e, "kafka_topic_partition_under_replicated_partition",
			 "1 if the partition has fewer in-sync replicas than replicas, else 0.", L_TP);
	f->members = gauge(e, "kafka_consumergroup_members", "Number of members of the consumer group.", L_GROUP);
	f->state = gauge(e, "kafka_consumergroup_state",
			 "State of the consumer group as the coordinator reports it (always 1).", L_GROUP_STATE);
	f->status = gauge(e, "kafka_consumergroup_status",
			  "Burrow-style status of the group over the status window: 1 OK, 2 WARN, 3 ERR, 4 STOP, 5 STALL.",
			  L_GROUP);
	f->g_current = gauge(e, "kafka_consumergroup_current_offset",
			     "Offset committed by the consumer group for the partition; -1 if none.", L_GTP);
	f->g_current_sum = gauge(e, "kafka_consumergroup_current_offset_sum",
				 "Sum of the group's committed offsets over the topic's partitions (-1 for each without one).",
				 L_GT);
	f->g_lag = gauge(e, "kafka_consumergroup_lag",
			 "High watermark minus the committed offset; -1 without a committed offset.", L_GTP);
	f->g_lag_sum = gauge(e, "kafka_consumergroup_lag_sum",
			     "Sum of the group's lag over the topic's partitions with a committed offset.", L_GT);
	f->g_lag_seconds = gauge(e, "kafka_consumergroup_lag_seconds",
				 "Age in seconds of the next record the group will read from the partition; 0 when caught up.",
				 L_GTP);
}

static void emit_topics(const struct ksnapshot *s, struct kstate *st, struct expo *e, const struct fams *f)
{
	char part[16], key[600];
	const char *k;
	put(e, f->brokers, (double)s->nbrokers, 0, NULL);
	for (size_t i = 0; i < s->nbrokers; i++) {
		char id[16];
		strf(id, sizeof id, "%d", (int)s->brokers[i].id);
		PUT(e, f->broker_info, 1, id, s->brokers[i].address);
	}
	for (size_t i = 0; i < s->ntopics; i++) {
		const struct ktopic *t = &s->topics[i];
		/* End offsets feed the interpolation of lag in seconds, selected or not. */
		for (int32_t j = 0; kafka_opts.lag_seconds == LAG_SECONDS_INTERPOLATION && j < t->npart; j++) {
			const struct kpartition *p = &t->parts[j];
			k = p->has_newest ? partition_key(key, sizeof key, NULL, t->name, p->id) : NULL;
			void **slot = k ? strmap_touch(&st->ends, k) : NULL;
			if (slot && !*slot)
				*slot = calloc(1, sizeof(struct end_history));
			if (slot && *slot)
				end_history_add(*slot, p->newest, s->now);
		}
		if (!t->selected)
			continue;
		PUT(e, f->partitions, (double)t->npart, t->name);
		for (int32_t j = 0; j < t->npart; j++) {
			const struct kpartition *p = &t->parts[j];
			strf(part, sizeof part, "%d", (int)p->id);
			if (p->has_newest)
				PUT(e, f->current, (double)p->newest, t->name, part);
			if (p->has_oldest)
				PUT(e, f->oldest, (double)p->oldest, t->name, part);
			if (p->leader >= 0)
				PUT(e, f->leader, (double)p->leader, t->name, part);
			PUT(e, f->replicas, (double)p->nreplicas, t->name, part);
			PUT(e, f->isr, (double)p->nisr, t->name, part);
			PUT(e, f->preferred, p->leader >= 0 && p->nreplicas > 0 && p->leader == p->preferred ? 1 : 0,
			    t->name, part);
			PUT(e, f->under, p->nisr < p->nreplicas ? 1 : 0, t->name, part);
		}
	}
}

/* Whether a group has consumers, for telling STALL from STOP. */
static bool group_active(const struct kgroup *g)
{
	if (g->members >= 0)
		return g->members > 0;
	/* Members unknown (KIP-848): an Empty or Dead group has none. */
	return g->state[0] && strcmp(g->state, "Empty") && strcmp(g->state, "Dead");
}

/* The age of the next record group g reads at partition p (commit c), or -1 if unknown. */
static double lag_seconds(const struct ksnapshot *s, struct kstate *st, const struct ktopic *t,
			  const struct kpartition *p, const struct kcommit *c, int64_t committed)
{
	if (committed >= p->newest)
		return 0;
	if (kafka_opts.lag_seconds == LAG_SECONDS_TIMESTAMP)
		return c && c->has_ts ? record_age(c->ts, s->now_ms) : -1;
	char key[600];
	const char *k = partition_key(key, sizeof key, NULL, t->name, p->id);
	const struct end_history *h = k ? strmap_get(&st->ends, k) : NULL;
	double age;
	if (!h || end_history_age(h, committed, s->now, &age) < 0)
		return -1;
	return age;
}

/* One topic of one group: upstream's offset and lag series, lag in seconds, status tracks. */
static enum lag_status emit_group_topic(const struct ksnapshot *s, struct kstate *st, struct expo *e,
					const struct fams *f, const struct kgroup *g, const struct ktopic *t,
					const struct kcommit *c, size_t nc)
{
	/* The partitions reported: every partition (--offset.show-all) or the assigned ones. */
	bool consumed = false;
	for (size_t i = 0; i < nc; i++)
		if (!c[i].error && c[i].offset >= 0 && (kafka_opts.offset_show_all || c[i].assigned))
			consumed = true;
	/* A topic none of whose reported partitions has a committed offset is not the group's. */
	if (!consumed)
		return STATUS_OK;

	enum lag_status worst = STATUS_OK;
	bool active = group_active(g);
	/* Exported as floats: summed as floats, so garbage offsets cannot overflow an integer. */
	double offset_sum = 0, lag_sum = 0;
	char part[16], key[600];
	size_t ci = 0;
	int32_t n = kafka_opts.offset_show_all ? t->npart : (int32_t)nc;
	for (int32_t j = 0; j < n; j++) {
		const struct kpartition *p;
		const struct kcommit *cm = NULL;
		if (kafka_opts.offset_show_all) {
			p = &t->parts[j];
			while (ci < nc && c[ci].partition < p->id)
				ci++;
			if (ci < nc && c[ci].partition == p->id)
				cm = &c[ci];
		} else {
			cm = &c[j];
			if (!cm->assigned)
				continue;
			p = NULL;
			for (int32_t k = 0; k < t->npart; k++)
				if (t->parts[k].id == cm->partition)
					p = &t->parts[k];
		}
		if (cm && cm->error)
			continue;
		int32_t pid = p ? p->id : cm->partition;
		int64_t committed = lag_committed_value(cm ? cm->offset : -1);
		strf(part, sizeof part, "%d", (int)pid);
		PUT(e, f->g_current, (double)committed, g->id, t->name, part);
		offset_sum += (double)committed;
		bool end_known = p && p->has_newest;
		int64_t lag;
		if (!lag_value(committed, end_known, end_known ? p->newest : 0, &lag))
			continue;
		PUT(e, f->g_lag, (double)lag, g->id, t->name, part);
		if (!lag_in_sum(committed, end_known))
			continue;
		lag_sum += (double)lag;
		if (kafka_opts.lag_seconds != LAG_SECONDS_NONE) {
			double age = lag_seconds(s, st, t, p, cm, committed);
			if (age >= 0)
				PUT(e, f->g_lag_seconds, age, g->id, t->name, part);
		}
		const char *k = partition_key(key, sizeof key, g->id, t->name, pid);
		void **slot = k ? strmap_touch(&st->tracks, k) : NULL;
		if (slot && !*slot)
			*slot = calloc(1, sizeof(struct lag_track));
		if (slot && *slot) {
			lag_track_observe(*slot, s->now, committed, lag);
			worst = lag_status_worst(worst, lag_track_status(*slot, s->now, kafka_opts.status_window, active));
		}
	}
	PUT(e, f->g_current_sum, offset_sum, g->id, t->name);
	PUT(e, f->g_lag_sum, lag_sum, g->id, t->name);
	return worst;
}

static void emit_groups(const struct ksnapshot *s, struct kstate *st, struct expo *e, const struct fams *f)
{
	for (size_t i = 0; i < s->ngroups; i++) {
		const struct kgroup *g = &s->groups[i];
		if (g->state[0])
			PUT(e, f->state, 1, g->id, g->state);
		if (g->members >= 0)
			PUT(e, f->members, (double)g->members, g->id);
		if (!g->offsets_ok)
			continue;
		enum lag_status worst = STATUS_OK;
		for (size_t a = 0; a < g->ncommits;) {
			size_t b = a;
			while (b < g->ncommits && g->commits[b].topic == g->commits[a].topic)
				b++;
			const struct ktopic *t = &s->topics[g->commits[a].topic];
			if (t->selected || !kafka_opts.offset_show_all)
				worst = lag_status_worst(worst, emit_group_topic(s, st, e, f, g, t, &g->commits[a], b - a));
			a = b;
		}
		PUT(e, f->status, worst, g->id);
	}
}

void kafka_emit(const struct ksnapshot *s, struct kstate *st, struct expo *e)
{
	if (!s->have_metadata)
		return;
	struct fams f;
	declare(e, &f);
	emit_topics(s, st, e, &f);
	emit_groups(s, st, e, &f);
	/* Forget vanished partitions and groups, but not on a partial read, which misses live ones. */
	if (!s->failed) {
		strmap_sweep(&st->ends, free);
		strmap_sweep(&st->tracks, free);
		strmap_sweep(&st->stamps, free);
	}
}
