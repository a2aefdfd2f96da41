/* The snapshot of one scrape and the state kept between scrapes. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/parse.h"
#include "kafka.h"
#include "lag.h"

struct kafka_options kafka_opts = {
	.offset_show_all = true,
	.refresh_metadata = 30,
	.group_workers = 32,
	.lag_seconds = LAG_SECONDS_INTERPOLATION,
	.status_window = 600,
};

int32_t snapshot_find_topic(const struct ksnapshot *s, const char *name)
{
	size_t lo = 0, hi = s->ntopics;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(s->topics[mid].name, name);
		if (c == 0)
			return (int32_t)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

void snapshot_fail(struct ksnapshot *s, const char *fmt, ...)
{
	s->failed++;
	if (s->error[0])
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s->error, sizeof s->error, fmt, ap);
	va_end(ap);
}

void snapshot_free(struct ksnapshot *s)
{
	for (size_t i = 0; i < s->nbrokers; i++)
		free(s->brokers[i].address);
	free(s->brokers);
	for (size_t i = 0; i < s->ntopics; i++)
		free(s->topics[i].parts);
	free(s->topics);
	for (size_t i = 0; i < s->ngroups; i++) {
		free(s->groups[i].id);
		free(s->groups[i].commits);
	}
	free(s->groups);
	memset(s, 0, sizeof *s);
}

size_t partition_key(char *buf, size_t cap, const char *group, const char *topic, int32_t partition)
{
	char digits[16];
	size_t nd = (size_t)strf(digits, sizeof digits, "%d", (int)partition);
	size_t ng = group ? strlen(group) + 1 : 0, nt = strlen(topic) + 1;
	if (ng + nt + nd >= cap)
		return 0;
	if (group)
		memcpy(buf, group, ng);
	memcpy(buf + ng, topic, nt);
	memcpy(buf + ng + nt, digits, nd + 1);
	return ng + nt + nd;
}

struct kstate *kstate_new(void)
{
	struct kstate *st = calloc(1, sizeof *st);
	if (!st)
		return NULL;
	st->ends = strmap_new();
	st->tracks = strmap_new();
	st->stamps = strmap_new();
	if (!st->ends || !st->tracks || !st->stamps) {
		kstate_free(st);
		return NULL;
	}
	return st;
}

void kstate_free(struct kstate *st)
{
	if (!st)
		return;
	if (st->md)
		rd_kafka_metadata_destroy(st->md);
	strmap_free(st->ends, free);
	strmap_free(st->tracks, free);
	strmap_free(st->stamps, free);
	free(st);
}
