/*
 * Strict number parsers and in-place tokenizers for procfs/sysfs text and
 * server replies. Nothing here allocates: lines and fields are cut out of
 * the caller's buffer by writing NUL bytes into it.
 */
#ifndef COMMON_PARSE_H
#define COMMON_PARSE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Whole-string conversions: the entire NUL-terminated string must be the
 * number, with no sign (u64), no spaces and no base prefix. Return 0 or -1
 * (empty, junk, overflow); *out is untouched on failure.
 */
int parse_u64(const char *s, uint64_t *out);
int parse_i64(const char *s, int64_t *out);
int parse_hex_u64(const char *s, uint64_t *out); /* optional "0x" prefix */

/* The int64 -magnitude (neg) or magnitude; returns 0, or -1 if it does not fit. */
int i64_from_sign(bool neg, uint64_t magnitude, int64_t *out);

/*
 * Go strconv.ParseFloat semantics for decimal input: "1", "-2.5e3", "NaN",
 * "+Inf", "-Inf", "Inf" (any case). Rejects empty strings, spaces and
 * trailing junk. Returns 0 or -1.
 */
int parse_double(const char *s, double *out);

/* Same, for the n bytes at s (need not be NUL-terminated). */
int parse_u64_n(const char *s, size_t n, uint64_t *out);
int parse_double_n(const char *s, size_t n, double *out);

/*
 * Cut the next line out of *cursor: the '\n' is replaced by NUL and *cursor
 * moves past it. Returns NULL when the text is exhausted. A last line
 * without '\n' is returned too.
 */
char *next_line(char **cursor);

/*
 * Split s in place on runs of spaces and tabs (and a trailing '\n').
 * Stores up to max field pointers and returns the number of fields found,
 * which may exceed max (the extra ones are not stored).
 */
size_t split_fields(char *s, char **fields, size_t max);

/* The number of fields split_fields() would find, without cutting s. */
size_t count_fields(const char *s);

/* Split on one separator character, in place; empty fields are kept. */
size_t split_on(char *s, char sep, char **fields, size_t max);

/* Strip leading and trailing whitespace in place; returns the new start. */
char *trim(char *s);

/*
 * snprintf for the formats collectors use on every scrape (paths, metric
 * names): %s, %.*s, %c, %d, %i, %u with l/ll/z modifiers, and %%. Anything
 * else (widths, floats...) is handed to vsnprintf. Same return value and
 * truncation rules as snprintf, about five times faster.
 */
int strf(char *dst, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int vstrf(char *dst, size_t cap, const char *fmt, va_list ap) __attribute__((format(printf, 3, 0)));

/* True if s starts with prefix. */
bool has_prefix(const char *s, const char *prefix);

/* True if s ends with suffix. */
bool has_suffix(const char *s, const char *suffix);

#endif
