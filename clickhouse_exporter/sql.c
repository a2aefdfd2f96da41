/* The sections and the uniform SELECT they are written with (see clickhouse.h). */
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

int ch_sql_select(struct buf *b, const char *key, const char *n, const char *d, const char *t,
		  const char *x, const char *const v[CH_NVALUES], const char *tail)
{
	/*
	 * Every branch of the UNION ALL must give each column a type the
	 * others can be converted to: values are Float64 (18.16 finds no common
	 * type for Int64 and UInt64, nor for UInt64 and Float64), an unused
	 * value is the literal 0 (any number converts from UInt8). Each
	 * function costs the server its analysis in every branch, so there is
	 * no other: 18.16 spends more on analysing this statement than on
	 * reading the tables.
	 */
	int rc = buf_printf(b, "SELECT '%s' AS k", key);
	const char *const labels[] = { n, d, t, x };
	static const char *const lnames[] = { "n", "d", "t", "x" };
	for (int i = 0; i < 4 && !rc; i++)
		rc = buf_printf(b, ", %s AS %s", labels[i] ? labels[i] : "''", lnames[i]);
	for (int i = 0; i < CH_NVALUES && !rc; i++)
		rc = v && v[i] ? buf_printf(b, ", toFloat64(%s) AS v%d", v[i], i + 1)
			       : buf_printf(b, ", 0 AS v%d", i + 1);
	if (!rc && tail)
		rc = buf_printf(b, " %s", tail);
	return rc ? -1 : 0;
}

int ch_build_query(const struct ch_caps *caps, unsigned want, struct buf *b, unsigned *absent)
{
	buf_reset(b);
	*absent = 0;
	bool first = true;
	for (int i = 0; i < SEC_N; i++) {
		if (!(want & (1u << i)))
			continue;
		size_t mark = b->len;
		if (!first && buf_puts(b, " UNION ALL ") < 0)
			return -1;
		int rc = ch_sections[i]->sql(caps, b);
		if (rc < 0)
			return -1;
		if (rc > 0) {
			/* Not for this server after all: its text is taken back. */
			b->len = mark;
			if (b->data)
				b->data[mark] = '\0';
			*absent |= 1u << i;
			continue;
		}
		first = false;
	}
	return buf_puts(b, " FORMAT TabSeparatedWithNamesAndTypes") < 0 ? -1 : 0;
}
