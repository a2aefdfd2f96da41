/*
 * Which sections a scrape asks. On a server with nothing to report, the
 * sparse sections (replicas, the replication queue, mutations, merges,
 * detached parts, dictionaries) would double what a scrape costs it: 18.16
 * walks every table for some of them and spends more on analysing each
 * SELECT than on reading it. So a sparse section that came back empty is
 * left out until one of these holds:
 * - a hint in the last scrape's system.metrics is non-zero (Merge for
 *   merges, ZooKeeperSession or ReadonlyReplica for replicas...), which
 *   brings it back at the next scrape;
 * - recheck seconds have passed since it was last asked (the bound on how
 *   late something without a hint shows: a new dictionary, a stuck
 *   mutation, a detached part);
 * - the last scrape did not read system.metrics (no hints to go by).
 * A section that had rows is asked at every scrape.
 */
#include <string.h>

#include "clickhouse.h"

unsigned ch_plan(const struct ch_plan *p, unsigned want, double now, double recheck)
{
	unsigned ask = 0;
	for (int i = 0; i < SEC_N; i++) {
		unsigned bit = 1u << i;
		if (!(want & bit))
			continue;
		bool quiet = ch_sections[i]->sparse && p->asked_at[i] > 0 && !p->had_rows[i] && p->hints_known &&
			     !p->hinted[i] && now - p->asked_at[i] < recheck;
		if (!quiet)
			ask |= bit;
	}
	return ask;
}

/* Mark the sections that a non-zero system.metrics entry called name hints at. */
static void hint(struct ch_plan *p, const char *name)
{
	for (int i = 0; i < SEC_N; i++)
		for (const char *const *h = ch_sections[i]->hints; h && *h && !p->hinted[i]; h++)
			p->hinted[i] = (*h)[0] == name[0] && !strcmp(*h, name);
}

void ch_plan_update(struct ch_plan *p, unsigned asked, const struct ch_result *res, double now)
{
	for (int i = 0; i < SEC_N; i++) {
		p->hinted[i] = false;
		if (!(asked & (1u << i)) || res->state[i] != SEC_OK)
			continue;
		p->asked_at[i] = now;
		p->had_rows[i] = res->count[i] > 0;
	}
	p->hints_known = res->state[SEC_METRICS] == SEC_OK;
	if (!p->hints_known)
		return;
	/* Most entries are 0: only the others are looked up. */
	const struct ch_row *row = res->rows + res->first[SEC_METRICS];
	for (size_t i = 0; i < res->count[SEC_METRICS]; i++, row++)
		if (row->v[0] != 0)
			hint(p, row->l[0]);
}
