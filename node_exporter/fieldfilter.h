/*
 * The --collector.netstat.fields / --collector.vmstat.fields filters: a
 * regex whose verdicts are remembered by position, because a /proc file
 * lists the same fields in the same order on every scrape. Lives in a
 * collector's state (not thread-safe).
 */
#ifndef NODE_FIELDFILTER_H
#define NODE_FIELDFILTER_H

#include <stdbool.h>
#include <stddef.h>

struct field_verdict;

struct field_filter {
	struct rx *rx;
	struct field_verdict *cache;
	size_t n, cap;
};

/* Compile pattern; returns 0, or -1 with a message naming flag in err. */
int field_filter_init(struct field_filter *ff, const char *flag, const char *pattern, char *err,
		      size_t errlen);
void field_filter_free(struct field_filter *ff);

/*
 * Whether the field at position pos is wanted. Its name is
 * "<prefix>_<name>" when prefix is given (plen bytes), else name.
 */
bool field_filter_wants(struct field_filter *ff, size_t pos, const char *prefix, size_t plen,
			const char *name);

#endif
