/*
 * softirqs: /proc/softirqs, softirqs handled per CPU for each of the ten
 * kernel vectors upstream knows (HI, TIMER, NET_TX, NET_RX, BLOCK,
 * IRQ_POLL, TASKLET, SCHED, HRTIMER, RCU); other lines are ignored.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/exporter.h"
#include "../../common/hostfs.h"
#include "../../common/parse.h"
#include "../../common/sysfs.h"

static const char *const softirq_types[] = {
	"HI", "TIMER", "NET_TX", "NET_RX", "BLOCK", "IRQ_POLL", "TASKLET", "SCHED", "HRTIMER", "RCU",
};

struct softirqs_state {
	char **fields;
	size_t cap;
};

static void softirqs_fini(void *state)
{
	struct softirqs_state *st = state;
	if (st)
		free(st->fields);
	free(st);
}

static int softirqs_init(void **state, char *err, size_t errlen)
{
	if (!(*state = calloc(1, sizeof(struct softirqs_state)))) {
		strf(err, errlen, "softirqs: out of memory");
		return -1;
	}
	return 0;
}

static int softirqs_collect(struct scrape *s, struct expo *e)
{
	struct softirqs_state *st = s->state;
	char path[4096];
	if (proc_path(path, sizeof path, "softirqs") < 0)
		return scrape_fail(s, "path too long");
	char *text;
	int rc = collect_read_required(s, path, &text);
	if (rc != COLLECT_OK)
		return rc;
	char *cur = text;
	if (!next_line(&cur))
		return scrape_fail(s, "%s is empty", path);
	struct family *f = expo_family(e, "node_softirqs_functions_total", METRIC_COUNTER,
				       "Softirqs handled per CPU, by vector.",
				       (const char *const[]){ "cpu", "type", NULL });
	for (char *line; (line = next_line(&cur));) {
		size_t n = count_fields(line);
		if (n < 2)
			continue;
		if (n > st->cap) {
			char **p = realloc(st->fields, n * sizeof *p);
			if (!p)
				return scrape_fail(s, "out of memory");
			st->fields = p;
			st->cap = n;
		}
		split_fields(line, st->fields, n);
		const char *type = NULL;
		size_t len = strlen(st->fields[0]);
		for (size_t t = 0; t < sizeof softirq_types / sizeof softirq_types[0] && !type; t++)
			if (len == strlen(softirq_types[t]) + 1 && st->fields[0][len - 1] == ':' &&
			    !strncmp(st->fields[0], softirq_types[t], len - 1))
				type = softirq_types[t];
		if (!type)
			continue;
		for (size_t c = 1; c < n; c++) {
			uint64_t v;
			if (parse_u64(st->fields[c], &v) < 0)
				return scrape_fail(s, "couldn't parse '%s' (%s%zu) in %s", st->fields[c], type,
						   c - 1, path);
			char cpu[24];
			strf(cpu, sizeof cpu, "%zu", c - 1);
			expo_sample(e, f, (double)v, cpu, type);
		}
	}
	return COLLECT_OK;
}

const struct collector_def collector_softirqs = {
	.name = "softirqs",
	.default_enabled = false,
	.init = softirqs_init,
	.collect = softirqs_collect,
	.fini = softirqs_fini,
};
