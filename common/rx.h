/* Regular expressions with PCRE2, so upstream flag values (RE2 syntax such
 * as \d) work unchanged. */
#ifndef COMMON_RX_H
#define COMMON_RX_H

#include <stdbool.h>
#include <stddef.h>

struct rx;

/*
 * Compile pattern. Like Go's regexp.MatchString the match is unanchored
 * unless the pattern anchors itself. Returns NULL and writes a message to
 * err on a syntax error.
 */
struct rx *rx_compile(const char *pattern, char *err, size_t errlen);

/* Compile a regex flag value or exit(2) with a one-line error naming the flag. */
struct rx *rx_compile_flag(const char *prog, const char *flag, const char *pattern);

/* True if s matches. Safe to call from several threads at once. */
bool rx_match(const struct rx *rx, const char *s);

void rx_free(struct rx *rx);

/*
 * Include/exclude filter as node_exporter's device filters: an item is
 * ignored if it matches exclude, or include is set and it does not match.
 * Either pointer may be NULL.
 */
bool rx_ignored(const struct rx *include, const struct rx *exclude, const char *s);

/* An include/exclude pair compiled from two flags. */
struct rx_filter {
	struct rx *include, *exclude;
};

/*
 * Compile the pair (an empty or NULL pattern is no filter). On a bad
 * pattern returns -1 with "invalid --<flag>: <reason>" in err, naming the
 * flag (include_flag or exclude_flag, without dashes); f is then empty.
 */
int rx_filter_init(struct rx_filter *f, const char *include_flag, const char *include,
		   const char *exclude_flag, const char *exclude, char *err, size_t errlen);

/* rx_ignored() of the pair. */
bool rx_filter_ignored(const struct rx_filter *f, const char *s);

void rx_filter_free(struct rx_filter *f);

#endif
