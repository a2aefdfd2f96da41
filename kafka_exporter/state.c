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

struct kafka_args kafka_args;

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

const char *partition_key(char *buf, size_t cap, const char *group, const char *topic, int32_t partition)
{
	int n = group ? strf(buf, cap, "%s\x1f%s\x1f%d", group, topic, (int)partition)
		      : strf(buf, cap, "%s\x1f%d", topic, (int)partition);
	return n < 0 || (size_t)n >= cap ? NULL : buf;
}

void kstate_free(struct kstate *st)
{
	if (st->md)
		rd_kafka_metadata_destroy(st->md);
	strmap_free(&st->ends, free);
	strmap_free(&st->tracks, free);
	strmap_free(&st->stamps, free);
	*st = (struct kstate){ 0 };
}
