// links: kafka_exporter
/*
 * libFuzzer target for what kafka_exporter makes of the values the cluster
 * sends (decoded by librdkafka, interpreted by us): the bytes are a few
 * scrapes' snapshots (partitions with leaders, replicas and watermarks,
 * groups with states, members and committed offsets of any int64, record
 * timestamps), fed to kafka_emit() one after the other with one state, as
 * the scrapes of one target are. Lag arithmetic, the end-offset histories,
 * the status tracks and the sweeping of vanished partitions see garbage and
 * extremes; the page must render. Snapshots keep the promises kafka_read()
 * makes (watermarks and timestamps are not negative, topics and groups
 * sorted, a group's commits sorted by topic and partition without repeats).
 * Built and run by `make fuzz`; the unit test check_kafka_snapshot_corpus
 * replays its corpus (tests/fuzz/corpus/kafka_snapshot) in every pass.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/buf.h"
#include "../../common/expo.h"
#include "../../kafka_exporter/kafka.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_TOPICS 3
#define MAX_PARTS 5
#define MAX_GROUPS 3
#define MAX_COMMITS 8
#define MAX_SCRAPES 12

/* The input, read from the front; zeros once it runs out. */
struct input {
	const uint8_t *p;
	size_t left;
};

static uint8_t u8(struct input *in)
{
	if (!in->left)
		return 0;
	in->left--;
	return *in->p++;
}

/* Small values most of the time, extremes sometimes: the first byte picks. */
static int64_t i64(struct input *in)
{
	uint8_t kind = u8(in);
	if (kind < 160)
		return u8(in) * 10 + (kind & 7);
	if (kind < 200)
		return -(int64_t)u8(in);
	if (kind < 220)
		return kind < 210 ? INT64_MAX - u8(in) : INT64_MIN + u8(in);
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | u8(in);
	return (int64_t)v;
}

static int64_t nonneg(struct input *in)
{
	int64_t v = i64(in);
	return v < 0 ? (v == INT64_MIN ? 0 : -v) : v;
}

static int cmp_commit(const void *a, const void *b)
{
	const struct kcommit *x = a, *y = b;
	if (x->topic != y->topic)
		return x->topic < y->topic ? -1 : 1;
	return (x->partition > y->partition) - (x->partition < y->partition);
}

static const char *const topic_names[MAX_TOPICS] = { "a", "b", "c" };
static const char *const group_names[MAX_GROUPS] = { "g0", "g1", "g2" };
static const char *const states[] = { "Stable", "Empty", "Dead", "", "PreparingRebalance", "Unknown" };

struct scrape_data {
	struct ksnapshot s;
	struct ktopic topics[MAX_TOPICS];
	struct kpartition parts[MAX_TOPICS][MAX_PARTS];
	struct kgroup groups[MAX_GROUPS];
	struct kcommit commits[MAX_GROUPS][MAX_COMMITS];
	char ids[MAX_GROUPS][8];
	struct kbroker broker;
};

static void make_snapshot(struct input *in, struct scrape_data *d, double now)
{
	memset(d, 0, sizeof *d);
	struct ksnapshot *s = &d->s;
	s->now = now;
	s->now_ms = 1700000000000 + (int64_t)(now * 1000);
	s->have_metadata = u8(in) % 8 != 0;
	static char address[] = "k:9092";
	d->broker = (struct kbroker){ .id = (int32_t)i64(in), .address = address };
	s->brokers = &d->broker;
	s->nbrokers = 1;
	/* A subset of the topics, in name order. */
	uint8_t present = u8(in);
	for (int t = 0; t < MAX_TOPICS; t++) {
		if (!(present >> t & 1))
			continue;
		struct ktopic *kt = &d->topics[s->ntopics];
		kt->name = topic_names[t];
		kt->selected = u8(in) % 4 != 0;
		kt->parts = d->parts[s->ntopics];
		int32_t id = 0;
		int32_t n = u8(in) % (MAX_PARTS + 1);
		for (int32_t j = 0; j < n; j++) {
			id += 1 + (u8(in) % 3 == 0); /* ids from 1, sometimes with gaps */
			uint8_t b = u8(in);
			kt->parts[j] = (struct kpartition){
				.id = id - 1, .leader = (int32_t)(u8(in) % 5) - 1, .preferred = (int32_t)(u8(in) % 5) - 1,
				.nreplicas = (int32_t)(u8(in) % 5), .nisr = (int32_t)(u8(in) % 5),
				.has_newest = b & 1, .has_oldest = b & 2,
			};
			if (kt->parts[j].has_newest)
				kt->parts[j].newest = nonneg(in);
			if (kt->parts[j].has_oldest)
				kt->parts[j].oldest = nonneg(in);
		}
		kt->npart = n;
		s->ntopics++;
	}
	present = u8(in);
	for (int g = 0; g < MAX_GROUPS; g++) {
		if (!(present >> g & 1))
			continue;
		struct kgroup *kg = &d->groups[s->ngroups];
		memcpy(d->ids[s->ngroups], group_names[g], strlen(group_names[g]) + 1);
		kg->id = d->ids[s->ngroups];
		const char *state = states[u8(in) % (sizeof states / sizeof states[0])];
		memcpy(kg->state, state, strlen(state) + 1);
		kg->members = (long)(u8(in) % 5) - 1;
		kg->offsets_ok = u8(in) % 4 != 0;
		kg->commits = d->commits[s->ngroups];
		size_t nc = s->ntopics ? u8(in) % (MAX_COMMITS + 1) : 0;
		for (size_t i = 0; i < nc; i++) {
			uint8_t b = u8(in);
			kg->commits[i] = (struct kcommit){
				.topic = (int32_t)(u8(in) % s->ntopics), .partition = (int32_t)(u8(in) % (MAX_PARTS + 2)),
				.offset = i64(in), .error = b & 1, .assigned = b & 2, .has_ts = b & 4,
			};
			if (kg->commits[i].has_ts)
				kg->commits[i].ts = nonneg(in);
		}
		/* Sorted, one commit per partition, as settle() leaves them. */
		qsort(kg->commits, nc, sizeof *kg->commits, cmp_commit);
		size_t w = 0;
		for (size_t i = 0; i < nc; i++)
			if (!w || cmp_commit(&kg->commits[w - 1], &kg->commits[i]))
				kg->commits[w++] = kg->commits[i];
		kg->ncommits = w;
		s->ngroups++;
	}
	s->topics = d->topics;
	s->groups = d->groups;
	uint8_t how = u8(in);
	s->answered = how & 3;
	s->failed = how >> 2 & 3;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	uint8_t opts = u8(&in);
	kafka_opts.offset_show_all = !(opts & 1);
	kafka_opts.lag_seconds = (enum lag_seconds_method)((opts >> 1 & 3) % 3);
	kafka_opts.status_window = 1 + u8(&in) % 60;
	char err[64];
	if (parse_const_labels(opts & 8 ? "cluster=fuzz" : "", &kafka_opts, err, sizeof err) < 0)
		abort();
	struct kstate st = { 0 };
	static struct scrape_data d;
	double now = 1000;
	int scrapes = 1 + u8(&in) % MAX_SCRAPES;
	for (int i = 0; i < scrapes; i++) {
		now += u8(&in) / 4.0;
		make_snapshot(&in, &d, now);
		struct expo *e = expo_new(16u << 20);
		kafka_emit(&d.s, &st, e);
		/* Rendering escapes every name the values went into; a page of a few partitions fits. */
		struct buf page;
		buf_init(&page, 16u << 20);
		if (expo_render(e, EXPO_TEXT, &page) < 0)
			abort();
		buf_free(&page);
		expo_free(e);
	}
	kstate_free(&st);
	free_const_labels(&kafka_opts);
	return 0;
}
