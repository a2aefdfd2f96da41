/*
 * One scrape's reads from the cluster, in the order that keeps lag honest:
 * metadata (reused for --refresh.metadata), the list of groups, their
 * descriptions and committed offsets (concurrently, at most
 * --group.workers requests in flight), and only then the end offsets (one
 * ListOffsets per leader), so a committed offset is never compared with an
 * end offset read before it. Every wait ends by the scrape's deadline.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "../common/exporter.h"
#include "../common/log.h"
#include "../common/parse.h"
#include "../common/sysfs.h" /* sysfs_grow(): the common growable array */
#include "kafka.h"
#include "lag.h"

/* Groups per DescribeConsumerGroups request. */
#define DESCRIBE_BATCH 16

static int ms_until(double deadline)
{
	double left = deadline - mono_now();
	if (left <= 0)
		return 0;
	return left > 3600 ? 3600000 : (int)(left * 1000);
}

static int64_t wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static rd_kafka_AdminOptions_t *admin_options(rd_kafka_t *rk, rd_kafka_admin_op_t op, double deadline)
{
	rd_kafka_AdminOptions_t *o = rd_kafka_AdminOptions_new(rk, op);
	char err[256];
	int ms = ms_until(deadline);
	rd_kafka_AdminOptions_set_request_timeout(o, ms > 0 ? ms : 1, err, sizeof err);
	return o;
}

/* ---- metadata ---- */

static int cmp_partition(const void *a, const void *b)
{
	const struct kpartition *x = a, *y = b;
	return (x->id > y->id) - (x->id < y->id);
}

static int cmp_topic(const void *a, const void *b)
{
	return strcmp(((const struct ktopic *)a)->name, ((const struct ktopic *)b)->name);
}

rd_kafka_resp_err_t kafka_fetch_metadata(rd_kafka_t *rk, struct kstate *st, double deadline)
{
	double now = mono_now();
	const struct rd_kafka_metadata *md = NULL;
	rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 1, NULL, &md, ms_until(deadline));
	if (err)
		return err;
	if (st->md)
		rd_kafka_metadata_destroy(st->md);
	st->md = md;
	st->md_at = now;
	st->md_stale = false;
	return RD_KAFKA_RESP_ERR_NO_ERROR;
}

/* Metadata into s (brokers, topics); false when there is none at all. */
static bool read_metadata(rd_kafka_t *rk, struct kstate *st, double deadline, struct ksnapshot *s)
{
	if (!st->md || st->md_stale || mono_now() - st->md_at >= kafka_opts.refresh_metadata) {
		rd_kafka_resp_err_t err = kafka_fetch_metadata(rk, st, deadline);
		if (err)
			snapshot_fail(s, "metadata: %s", rd_kafka_err2str(err));
		else
			s->answered++;
	}
	const struct rd_kafka_metadata *md = st->md;
	if (!md)
		return false;
	s->brokers = calloc((size_t)md->broker_cnt + 1, sizeof *s->brokers);
	s->topics = calloc((size_t)md->topic_cnt + 1, sizeof *s->topics);
	if (!s->brokers || !s->topics) {
		snapshot_fail(s, "out of memory");
		return false;
	}
	for (int i = 0; i < md->broker_cnt; i++) {
		char addr[300];
		strf(addr, sizeof addr, "%s:%d", md->brokers[i].host, md->brokers[i].port);
		s->brokers[s->nbrokers].id = md->brokers[i].id;
		s->brokers[s->nbrokers].address = strdup(addr);
		if (s->brokers[s->nbrokers].address)
			s->nbrokers++;
	}
	for (int i = 0; i < md->topic_cnt; i++) {
		const rd_kafka_metadata_topic_t *mt = &md->topics[i];
		if (mt->err) /* a topic being created or deleted: nothing to report yet */
			continue;
		struct ktopic *t = &s->topics[s->ntopics];
		t->name = mt->topic;
		t->selected = !rx_filter_ignored(&kafka_opts.topics, mt->topic);
		t->parts = calloc((size_t)mt->partition_cnt + 1, sizeof *t->parts);
		if (!t->parts) {
			snapshot_fail(s, "out of memory");
			continue;
		}
		for (int j = 0; j < mt->partition_cnt; j++) {
			const rd_kafka_metadata_partition_t *mp = &mt->partitions[j];
			t->parts[j] = (struct kpartition){
				.id = mp->id,
				.leader = mp->leader,
				.preferred = mp->replica_cnt > 0 ? mp->replicas[0] : -1,
				.nreplicas = mp->replica_cnt,
				.nisr = mp->isr_cnt,
			};
		}
		t->npart = mt->partition_cnt;
		qsort(t->parts, (size_t)t->npart, sizeof *t->parts, cmp_partition);
		s->ntopics++;
	}
	qsort(s->topics, s->ntopics, sizeof *s->topics, cmp_topic);
	s->have_metadata = true;
	return true;
}

static struct kpartition *find_partition(const struct ktopic *t, int32_t id)
{
	/* Partitions are numbered from 0 without gaps; search in case they are not. */
	if (id >= 0 && id < t->npart && t->parts[id].id == id)
		return &t->parts[id];
	for (int32_t i = 0; i < t->npart; i++)
		if (t->parts[i].id == id)
			return &t->parts[i];
	return NULL;
}

/* ---- groups ---- */

static int cmp_group(const void *a, const void *b)
{
	return strcmp(((const struct kgroup *)a)->id, ((const struct kgroup *)b)->id);
}

static struct kgroup *find_group(struct ksnapshot *s, const char *id)
{
	struct kgroup key = { .id = (char *)id };
	return s->ngroups ? bsearch(&key, s->groups, s->ngroups, sizeof *s->groups, cmp_group) : NULL;
}

/* Wait for the next event on q until deadline; NULL when the deadline came first. */
static rd_kafka_event_t *next_event(rd_kafka_queue_t *q, double deadline)
{
	for (;;) {
		int ms = ms_until(deadline);
		rd_kafka_event_t *ev = rd_kafka_queue_poll(q, ms);
		if (ev || ms == 0)
			return ev;
	}
}

static void list_groups(rd_kafka_t *rk, rd_kafka_queue_t *q, double deadline, struct ksnapshot *s)
{
	rd_kafka_AdminOptions_t *o = admin_options(rk, RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPS, deadline);
	rd_kafka_ListConsumerGroups(rk, o, q);
	rd_kafka_AdminOptions_destroy(o);
	rd_kafka_event_t *ev;
	while ((ev = next_event(q, deadline)) && rd_kafka_event_type(ev) != RD_KAFKA_EVENT_LISTCONSUMERGROUPS_RESULT)
		rd_kafka_event_destroy(ev);
	if (!ev) {
		snapshot_fail(s, "listing groups: no answer before the deadline");
		return;
	}
	if (rd_kafka_event_error(ev)) {
		snapshot_fail(s, "listing groups: %s", rd_kafka_event_error_string(ev));
		rd_kafka_event_destroy(ev);
		return;
	}
	const rd_kafka_ListConsumerGroups_result_t *r = rd_kafka_event_ListConsumerGroups_result(ev);
	size_t nerr = 0, n = 0;
	const rd_kafka_error_t **errs = rd_kafka_ListConsumerGroups_result_errors(r, &nerr);
	for (size_t i = 0; i < nerr; i++)
		snapshot_fail(s, "listing groups: %s", rd_kafka_error_string(errs[i]));
	const rd_kafka_ConsumerGroupListing_t **v = rd_kafka_ListConsumerGroups_result_valid(r, &n);
	if (nerr == 0 || n > 0)
		s->answered++;
	s->groups = calloc(n + 1, sizeof *s->groups);
	if (!s->groups) {
		snapshot_fail(s, "out of memory");
		rd_kafka_event_destroy(ev);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		const char *id = rd_kafka_ConsumerGroupListing_group_id(v[i]);
		if (rx_filter_ignored(&kafka_opts.groups, id))
			continue;
		struct kgroup *g = &s->groups[s->ngroups];
		g->id = strdup(id);
		if (!g->id)
			continue;
		g->members = -1;
		rd_kafka_consumer_group_state_t st = rd_kafka_ConsumerGroupListing_state(v[i]);
		strf(g->state, sizeof g->state, "%s", rd_kafka_consumer_group_state_name(st));
		s->ngroups++;
	}
	rd_kafka_event_destroy(ev);
	/* Several brokers may list the same group (librdkafka < 2.14.2): keep one. */
	qsort(s->groups, s->ngroups, sizeof *s->groups, cmp_group);
	size_t w = 0;
	for (size_t i = 0; i < s->ngroups; i++) {
		if (w > 0 && !strcmp(s->groups[w - 1].id, s->groups[i].id)) {
			free(s->groups[i].id);
			continue;
		}
		s->groups[w++] = s->groups[i];
	}
	s->ngroups = w;
}

/* Commits being gathered for one group. */
struct gather {
	size_t n, cap;
	struct kcommit *v;
};

static void gather_add(struct gather *g, struct kcommit c)
{
	struct kcommit *slot = sysfs_grow(&g->v, &g->n, &g->cap, sizeof *slot);
	if (slot)
		*slot = c;
}

static void on_describe(rd_kafka_event_t *ev, struct ksnapshot *s, struct gather *acc)
{
	if (rd_kafka_event_error(ev)) {
		snapshot_fail(s, "describing groups: %s", rd_kafka_event_error_string(ev));
		return;
	}
	s->answered++;
	size_t n = 0;
	const rd_kafka_ConsumerGroupDescription_t **d =
		rd_kafka_DescribeConsumerGroups_result_groups(rd_kafka_event_DescribeConsumerGroups_result(ev), &n);
	for (size_t i = 0; i < n; i++) {
		struct kgroup *g = find_group(s, rd_kafka_ConsumerGroupDescription_group_id(d[i]));
		if (!g)
			continue;
		const rd_kafka_error_t *e = rd_kafka_ConsumerGroupDescription_error(d[i]);
		if (e) {
			snapshot_fail(s, "describing group %s: %s", g->id, rd_kafka_error_string(e));
			continue;
		}
		rd_kafka_consumer_group_state_t st = rd_kafka_ConsumerGroupDescription_state(d[i]);
		size_t members = rd_kafka_ConsumerGroupDescription_member_count(d[i]);
		/*
		 * librdkafka 2.0.2 describes groups of the new consumer protocol
		 * (KIP-848) as Dead without members although they are listed
		 * alive: keep the listed state and leave the member count out.
		 */
		if (st == RD_KAFKA_CONSUMER_GROUP_STATE_DEAD && members == 0 && strcmp(g->state, "Dead") != 0)
			continue;
		strf(g->state, sizeof g->state, "%s", rd_kafka_consumer_group_state_name(st));
		g->members = (long)members;
		if (kafka_opts.offset_show_all)
			continue;
		struct gather *a = &acc[g - s->groups];
		for (size_t m = 0; m < members; m++) {
			const rd_kafka_MemberDescription_t *md = rd_kafka_ConsumerGroupDescription_member(d[i], m);
			const rd_kafka_MemberAssignment_t *as = md ? rd_kafka_MemberDescription_assignment(md) : NULL;
			const rd_kafka_topic_partition_list_t *pl = as ? rd_kafka_MemberAssignment_partitions(as) : NULL;
			for (int k = 0; pl && k < pl->cnt; k++) {
				int32_t ti = snapshot_find_topic(s, pl->elems[k].topic);
				if (ti < 0)
					continue;
				gather_add(a, (struct kcommit){ .topic = ti, .partition = pl->elems[k].partition,
								 .offset = -1, .assigned = true });
			}
		}
	}
}

static void on_offsets(rd_kafka_event_t *ev, struct ksnapshot *s, struct gather *acc)
{
	if (rd_kafka_event_error(ev)) {
		snapshot_fail(s, "reading committed offsets: %s", rd_kafka_event_error_string(ev));
		return;
	}
	size_t n = 0;
	const rd_kafka_group_result_t **gr = rd_kafka_ListConsumerGroupOffsets_result_groups(
		rd_kafka_event_ListConsumerGroupOffsets_result(ev), &n);
	for (size_t i = 0; i < n; i++) {
		struct kgroup *g = find_group(s, rd_kafka_group_result_name(gr[i]));
		if (!g)
			continue;
		const rd_kafka_error_t *e = rd_kafka_group_result_error(gr[i]);
		if (e) {
			snapshot_fail(s, "reading the offsets of group %s: %s", g->id, rd_kafka_error_string(e));
			continue;
		}
		s->answered++;
		g->offsets_ok = true;
		const rd_kafka_topic_partition_list_t *pl = rd_kafka_group_result_partitions(gr[i]);
		struct gather *a = &acc[g - s->groups];
		for (int k = 0; pl && k < pl->cnt; k++) {
			const rd_kafka_topic_partition_t *p = &pl->elems[k];
			int32_t ti = snapshot_find_topic(s, p->topic);
			if (ti < 0)
				continue; /* a topic deleted since, or not yet in our metadata */
			gather_add(a, (struct kcommit){ .topic = ti, .partition = p->partition, .offset = p->offset,
							 .error = p->err != 0 });
		}
	}
}

static int cmp_commit(const void *a, const void *b)
{
	const struct kcommit *x = a, *y = b;
	if (x->topic != y->topic)
		return (x->topic > y->topic) - (x->topic < y->topic);
	return (x->partition > y->partition) - (x->partition < y->partition);
}

/* Sort a group's commits and fold an assignment into the commit of the same partition. */
static void settle(struct kgroup *g, struct gather *a)
{
	if (a->n)
		qsort(a->v, a->n, sizeof *a->v, cmp_commit);
	size_t w = 0;
	for (size_t i = 0; i < a->n; i++) {
		if (w > 0 && !cmp_commit(&a->v[w - 1], &a->v[i])) {
			struct kcommit *prev = &a->v[w - 1];
			if (a->v[i].assigned)
				prev->assigned = true;
			if (!a->v[i].assigned) {
				bool assigned = prev->assigned;
				*prev = a->v[i];
				prev->assigned = assigned;
			}
			continue;
		}
		a->v[w++] = a->v[i];
	}
	g->commits = a->v;
	g->ncommits = w;
	a->v = NULL;
}

static void read_groups(rd_kafka_t *rk, rd_kafka_queue_t *q, double deadline, struct ksnapshot *s)
{
	if (!s->ngroups)
		return;
	struct gather *acc = calloc(s->ngroups, sizeof *acc);
	if (!acc) {
		snapshot_fail(s, "out of memory");
		return;
	}
	/*
	 * An Empty group has no members by definition: only the others are
	 * described (a DescribeGroups request each), which saves most requests
	 * on clusters full of idle groups.
	 */
	size_t ndesc = 0;
	const char **desc = calloc(s->ngroups, sizeof *desc);
	if (!desc) {
		free(acc);
		snapshot_fail(s, "out of memory");
		return;
	}
	for (size_t i = 0; i < s->ngroups; i++) {
		if (!strcmp(s->groups[i].state, "Empty"))
			s->groups[i].members = 0;
		else
			desc[ndesc++] = s->groups[i].id;
	}
	size_t next_desc = 0, next_off = 0, inflight = 0;
	size_t workers = kafka_opts.group_workers > 0 ? (size_t)kafka_opts.group_workers : 1;
	rd_kafka_AdminOptions_t *dopt = admin_options(rk, RD_KAFKA_ADMIN_OP_DESCRIBECONSUMERGROUPS, deadline);
	rd_kafka_AdminOptions_t *oopt = admin_options(rk, RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS, deadline);
	for (;;) {
		while (inflight < workers && (next_desc < ndesc || next_off < s->ngroups)) {
			if (next_desc < ndesc) {
				size_t n = ndesc - next_desc < DESCRIBE_BATCH ? ndesc - next_desc : DESCRIBE_BATCH;
				rd_kafka_DescribeConsumerGroups(rk, desc + next_desc, n, dopt, q);
				next_desc += n;
			} else {
				/* librdkafka 2.0 takes one group per request; NULL partitions: all committed ones. */
				rd_kafka_ListConsumerGroupOffsets_t *req =
					rd_kafka_ListConsumerGroupOffsets_new(s->groups[next_off++].id, NULL);
				rd_kafka_ListConsumerGroupOffsets(rk, &req, 1, oopt, q);
				rd_kafka_ListConsumerGroupOffsets_destroy(req);
			}
			inflight++;
		}
		if (!inflight)
			break;
		rd_kafka_event_t *ev = next_event(q, deadline);
		if (!ev) {
			snapshot_fail(s, "%zu group requests unanswered at the deadline", inflight);
			break;
		}
		switch (rd_kafka_event_type(ev)) {
		case RD_KAFKA_EVENT_DESCRIBECONSUMERGROUPS_RESULT:
			on_describe(ev, s, acc);
			inflight--;
			break;
		case RD_KAFKA_EVENT_LISTCONSUMERGROUPOFFSETS_RESULT:
			on_offsets(ev, s, acc);
			inflight--;
			break;
		default:
			break;
		}
		rd_kafka_event_destroy(ev);
	}
	/* Groups never reached (deadline) are counted once above. */
	rd_kafka_AdminOptions_destroy(dopt);
	rd_kafka_AdminOptions_destroy(oopt);
	free(desc);
	for (size_t i = 0; i < s->ngroups; i++) {
		settle(&s->groups[i], &acc[i]);
		free(acc[i].v);
	}
	free(acc);
}

/* ---- end and start offsets ---- */

/*
 * offsets_for_times with the logical offset `which` (END or BEGINNING) for
 * every partition of the topics marked in want; results into the snapshot.
 */
static void read_watermarks(rd_kafka_t *rk, double deadline, struct ksnapshot *s, const bool *want,
			    int64_t which)
{
	rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(64);
	for (size_t i = 0; i < s->ntopics; i++) {
		if (!want[i])
			continue;
		for (int32_t j = 0; j < s->topics[i].npart; j++)
			rd_kafka_topic_partition_list_add(l, s->topics[i].name, s->topics[i].parts[j].id)->offset = which;
	}
	if (l->cnt == 0) {
		rd_kafka_topic_partition_list_destroy(l);
		return;
	}
	const char *what = which == RD_KAFKA_OFFSET_END ? "end offsets" : "start offsets";
	rd_kafka_resp_err_t err = rd_kafka_offsets_for_times(rk, l, ms_until(deadline));
	unsigned bad = 0;
	const char *why = err ? rd_kafka_err2str(err) : NULL;
	for (int k = 0; k < l->cnt; k++) {
		const rd_kafka_topic_partition_t *p = &l->elems[k];
		int32_t ti = snapshot_find_topic(s, p->topic);
		struct kpartition *kp = ti < 0 ? NULL : find_partition(&s->topics[ti], p->partition);
		if (!kp)
			continue;
		if (p->err || p->offset < 0) {
			bad++;
			if (!why)
				why = rd_kafka_err2str(p->err);
			continue;
		}
		if (which == RD_KAFKA_OFFSET_END) {
			kp->newest = p->offset;
			kp->has_newest = true;
		} else {
			kp->oldest = p->offset;
			kp->has_oldest = true;
		}
	}
	if ((int)bad < l->cnt)
		s->answered++;
	if (bad || err)
		snapshot_fail(s, "%s of %u of %d partitions: %s", what, bad, l->cnt, why ? why : "unknown error");
	rd_kafka_topic_partition_list_destroy(l);
}

/* ---- timestamps of the records at committed offsets ---- */

struct want_ts {
	int32_t topic, partition;
	int64_t offset;
	bool tried; /* taken in a round */
	bool done; /* a record (or an error) came back */
	int64_t ts; /* -1: unknown */
};

static int cmp_want(const void *a, const void *b)
{
	const struct want_ts *x = a, *y = b;
	if (x->topic != y->topic)
		return (x->topic > y->topic) - (x->topic < y->topic);
	if (x->partition != y->partition)
		return (x->partition > y->partition) - (x->partition < y->partition);
	return (x->offset > y->offset) - (x->offset < y->offset);
}

static struct stamp_cache *stamp_slot(struct kstate *st, const struct ksnapshot *s, int32_t topic,
				      int32_t partition, bool create)
{
	char buf[600];
	const char *key = partition_key(buf, sizeof buf, NULL, s->topics[topic].name, partition);
	if (!key)
		return NULL;
	if (!create)
		return strmap_get(&st->stamps, key);
	void **slot = strmap_touch(&st->stamps, key);
	if (!slot)
		return NULL;
	if (!*slot) {
		struct stamp_cache *c = calloc(1, sizeof *c);
		if (!c)
			return NULL;
		for (int i = 0; i < STAMP_CACHE; i++)
			c->e[i].offset = -1;
		*slot = c;
	}
	return *slot;
}

static bool stamp_lookup(const struct stamp_cache *c, int64_t offset, int64_t *ts)
{
	for (int i = 0; c && i < STAMP_CACHE; i++) {
		if (c->e[i].offset == offset) {
			*ts = c->e[i].ts;
			return true;
		}
	}
	return false;
}

/* Fetch one record at each of w[0..n) (one offset per partition), until deadline. */
static void fetch_round(rd_kafka_t *rk, double deadline, struct ksnapshot *s, struct want_ts **w, size_t n)
{
	rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
	rd_kafka_topic_t **rkt = calloc(n, sizeof *rkt);
	if (!rkt) {
		rd_kafka_queue_destroy(q);
		return;
	}
	size_t pending = 0;
	for (size_t i = 0; i < n; i++) {
		rkt[i] = rd_kafka_topic_new(rk, s->topics[w[i]->topic].name, NULL);
		if (rkt[i] && rd_kafka_consume_start_queue(rkt[i], w[i]->partition, w[i]->offset, q) == 0) {
			pending++;
		} else if (rkt[i]) {
			rd_kafka_topic_destroy(rkt[i]);
			rkt[i] = NULL;
		}
	}
	while (pending) {
		int ms = ms_until(deadline);
		rd_kafka_message_t *m = rd_kafka_consume_queue(q, ms);
		if (!m) {
			if (ms == 0)
				break;
			continue;
		}
		for (size_t i = 0; i < n; i++) {
			if (!rkt[i] || w[i]->done || m->rkt != rkt[i] || m->partition != w[i]->partition)
				continue;
			if (m->err) {
				/* Below the log start (deleted by retention) or another error: unknown. */
				w[i]->done = true;
				pending--;
			} else if (m->offset >= w[i]->offset) {
				/* The first record at or after the offset: the next one the group reads. */
				rd_kafka_timestamp_type_t tstype;
				w[i]->ts = rd_kafka_message_timestamp(m, &tstype);
				w[i]->done = true;
				pending--;
				s->answered++;
			}
			break;
		}
		rd_kafka_message_destroy(m);
	}
	for (size_t i = 0; i < n; i++) {
		if (!rkt[i])
			continue;
		rd_kafka_consume_stop(rkt[i], w[i]->partition);
		rd_kafka_topic_destroy(rkt[i]);
	}
	free(rkt);
	rd_kafka_queue_destroy(q);
}

static void read_timestamps(rd_kafka_t *rk, struct kstate *st, double deadline, struct ksnapshot *s)
{
	size_t n = 0, cap = 0;
	struct want_ts *want = NULL;
	for (size_t g = 0; g < s->ngroups; g++) {
		for (size_t i = 0; i < s->groups[g].ncommits; i++) {
			struct kcommit *c = &s->groups[g].commits[i];
			const struct kpartition *p = find_partition(&s->topics[c->topic], c->partition);
			if (c->error || c->offset < 0 || !p || !p->has_newest || c->offset >= p->newest)
				continue;
			if (stamp_lookup(stamp_slot(st, s, c->topic, c->partition, true), c->offset, &c->ts)) {
				c->has_ts = c->ts >= 0;
				continue;
			}
			if (n == cap) {
				cap = cap ? cap * 2 : 64;
				struct want_ts *v = realloc(want, cap * sizeof *v);
				if (!v)
					break;
				want = v;
			}
			want[n++] = (struct want_ts){ .topic = c->topic, .partition = c->partition,
						      .offset = c->offset, .ts = -1 };
		}
	}
	if (n)
		qsort(want, n, sizeof *want, cmp_want);
	size_t u = 0;
	for (size_t i = 0; i < n; i++)
		if (u == 0 || cmp_want(&want[u - 1], &want[i]))
			want[u++] = want[i];
	n = u;
	/* Rounds: one offset per partition at a time (a partition is consumed from one position). */
	struct want_ts **round = calloc(n + 1, sizeof *round);
	size_t fetched = 0;
	while (round && ms_until(deadline) > 0) {
		size_t m = 0;
		for (size_t i = 0; i < n; i++) {
			if (want[i].tried)
				continue;
			if (m > 0 && round[m - 1]->topic == want[i].topic && round[m - 1]->partition == want[i].partition)
				continue;
			want[i].tried = true;
			round[m++] = &want[i];
		}
		if (!m)
			break;
		fetch_round(rk, deadline, s, round, m);
		for (size_t i = 0; i < m; i++) {
			if (!round[i]->done)
				continue;
			fetched++;
			struct stamp_cache *c = stamp_slot(st, s, round[i]->topic, round[i]->partition, true);
			if (c) {
				c->e[c->next].offset = round[i]->offset;
				c->e[c->next].ts = round[i]->ts;
				c->next = (c->next + 1) % STAMP_CACHE;
			}
		}
	}
	if (fetched < n)
		snapshot_fail(s, "record timestamps: %zu of %zu not read before the deadline", n - fetched, n);
	free(round);
	for (size_t g = 0; g < s->ngroups; g++) {
		for (size_t i = 0; i < s->groups[g].ncommits; i++) {
			struct kcommit *c = &s->groups[g].commits[i];
			if (c->has_ts || c->error || c->offset < 0)
				continue;
			struct want_ts key = { .topic = c->topic, .partition = c->partition, .offset = c->offset };
			struct want_ts *f = n ? bsearch(&key, want, n, sizeof *want, cmp_want) : NULL;
			if (f && f->done && f->ts >= 0) {
				c->ts = f->ts;
				c->has_ts = true;
			}
		}
	}
	free(want);
}

void kafka_read(rd_kafka_t *rk, struct kstate *st, double deadline, struct ksnapshot *s)
{
	if (!read_metadata(rk, st, deadline, s))
		return;
	rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
	list_groups(rk, q, deadline, s);
	read_groups(rk, q, deadline, s);
	rd_kafka_queue_destroy(q);

	/* End offsets: the selected topics, and those of assigned partitions (--no-offset.show-all). */
	bool *want = calloc(s->ntopics + 1, sizeof *want);
	if (!want) {
		snapshot_fail(s, "out of memory");
		return;
	}
	for (size_t i = 0; i < s->ntopics; i++)
		want[i] = s->topics[i].selected;
	if (!kafka_opts.offset_show_all)
		for (size_t g = 0; g < s->ngroups; g++)
			for (size_t i = 0; i < s->groups[g].ncommits; i++)
				if (s->groups[g].commits[i].assigned)
					want[s->groups[g].commits[i].topic] = true;
	read_watermarks(rk, deadline, s, want, RD_KAFKA_OFFSET_END);
	s->now = mono_now();
	s->now_ms = wall_ms();
	for (size_t i = 0; i < s->ntopics; i++)
		want[i] = s->topics[i].selected;
	read_watermarks(rk, deadline, s, want, RD_KAFKA_OFFSET_BEGINNING);
	free(want);
	if (kafka_opts.lag_seconds == LAG_SECONDS_TIMESTAMP)
		read_timestamps(rk, st, deadline, s);
	/* A partition that vanished or lost its leader: learn the new layout at the next scrape. */
	if (s->failed)
		st->md_stale = true;
}

/* Scrapes in a row that reach nothing before the handle is replaced (librdkafka reconnects by itself). */
#define REPLACE_AFTER 3

int kafka_collect(struct backend_scrape *bs, struct expo *e, char *err, size_t errlen)
{
	struct ktarget *t = bs->spec;
	rd_kafka_t *rk = bs->conn;
	/* Serve queued error events so they never pile up while nobody else polls. */
	rd_kafka_poll(rk, 0);
	struct ksnapshot snap = { 0 };
	kafka_read(rk, &t->state, bs->deadline, &snap);
	int rc = 0;
	if (!snap.answered) {
		/* Cached metadata alone would be stale data presented as current: nothing is emitted. */
		strf(err, errlen, "nothing answered: %s", snap.error[0] ? snap.error : "unknown");
		if (++t->down_streak >= REPLACE_AFTER) {
			/* The next scrape opens a new handle, backing off while it cannot reach the cluster. */
			log_info("replacing the Kafka client after repeated failures", "servers", t->props.bootstrap,
				 NULL);
			backend_drop(bs);
		}
		rc = -1;
	} else {
		t->down_streak = 0;
		kafka_emit(&snap, &t->state, e);
		if (snap.failed) {
			/* kafka_up 0 with what could be read: the page misses something. */
			strf(err, errlen, "answered partially: %s", snap.error);
			rc = -1;
		}
	}
	snapshot_free(&snap);
	return rc;
}
