/* The sections and the uniform SELECT they are written with (see clickhouse.h). */
#include <string.h>

#include "../common/parse.h"
#include "clickhouse.h"

const struct ch_section *const ch_sections[SEC_N] = {
	[SEC_VERSION] = &section_version,
	[SEC_METRICS] = &section_metrics,
	[SEC_ASYNC] = &section_async,
	[SEC_EVENTS] = &section_events,
	[SEC_PARTS] = &section_parts,
	[SEC_DISKS] = &section_disks,
	[SEC_REPLICAS] = &section_replicas,
	[SEC_REPLICATION_QUEUE] = &section_replication_queue,
	[SEC_MUTATIONS] = &section_mutations,
	[SEC_MUTATION_FAILURES] = &section_mutation_failures,
	[SEC_MERGES] = &section_merges,
	[SEC_DETACHED_PARTS] = &section_detached_parts,
	[SEC_ERRORS] = &section_errors,
	[SEC_DICTIONARIES] = &section_dictionaries,
};

/* How many non-NULL entries an expression list has. */
static size_t count_of(const char *const *list, size_t max)
{
	size_t n = 0;
	while (n < max && list[n])
		n++;
	return n;
}

/*
 * One branch: SELECT 'key', labels, values, padded with '' and 0 up to
 * nlabels and nvalues columns. Only the first branch names its columns:
 * the others take its names, and every alias costs 18.16 parsing.
 */
static int put_branch(struct buf *b, const char *key, const struct ch_select *sel, size_t nlabels,
		      size_t nvalues, bool first)
{
	/*
	 * Every branch must give each column a type the others convert to:
	 * values are Float64 (18.16 finds no common type for Int64 and UInt64,
	 * nor for UInt64 and Float64), padding is '' or the literal 0 (any
	 * number converts from UInt8).
	 */
	int rc = buf_printf(b, first ? "SELECT '%s' AS k" : "SELECT '%s'", key);
	for (size_t i = 0; i < nlabels && !rc; i++) {
		const char *expr = i < CH_NLABELS && sel->labels[i] ? sel->labels[i] : "''";
		rc = first ? buf_printf(b, ", %s AS l%zu", expr, i + 1) : buf_printf(b, ", %s", expr);
	}
	for (size_t i = 0; i < nvalues && !rc; i++) {
		const char *expr = i < CH_NVALUES && sel->values[i] ? sel->values[i] : "0";
		rc = first ? buf_printf(b, ", %s AS v%zu", expr, i + 1) : buf_printf(b, ", %s", expr);
	}
	if (!rc && sel->from)
		rc = buf_printf(b, " %s", sel->from);
	return rc ? -1 : 0;
}

int ch_build_query(const struct ch_caps *caps, unsigned want, struct buf *b, unsigned *absent)
{
	buf_reset(b);
	*absent = 0;
	struct ch_select sel[SEC_N];
	size_t nlabels = 0, nvalues = 0;
	for (int i = 0; i < SEC_N; i++) {
		if (!(want & (1u << i)))
			continue;
		memset(&sel[i], 0, sizeof sel[i]);
		if (ch_sections[i]->select(caps, &sel[i]) != 0) {
			*absent |= 1u << i;
			continue;
		}
		size_t nl = count_of(sel[i].labels, CH_NLABELS), nv = count_of(sel[i].values, CH_NVALUES);
		nlabels = nl > nlabels ? nl : nlabels;
		nvalues = nv > nvalues ? nv : nvalues;
	}
	bool first = true;
	for (int i = 0; i < SEC_N; i++) {
		if (!(want & (1u << i)) || (*absent & (1u << i)))
			continue;
		if (!first && buf_puts(b, " UNION ALL ") < 0)
			return -1;
		if (put_branch(b, ch_sections[i]->key, &sel[i], nlabels, nvalues, first) < 0)
			return -1;
		first = false;
	}
	return buf_puts(b, " FORMAT TabSeparatedWithNamesAndTypes") < 0 ? -1 : 0;
}
