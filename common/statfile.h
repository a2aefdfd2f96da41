/*
 * The kernel's small statistics files, parsed in place (NUL bytes are
 * written into the text; nothing is allocated):
 *   flat keyed     "key value" lines: cgroup memory.stat, cpu.stat,
 *                  cpuacct.stat, /proc/vmstat
 *   nested keyed   "<head> key=value key=value ...": cgroup v2 io.stat
 *                  ("8:0 rbytes=1 wbytes=2 ..."), *.pressure, rdma.current
 *   limits         a number or "max" (memory.max, pids.max; cpu.max is
 *                  "max 100000" or "50000 100000")
 *   device numbers "major:minor" (io.stat heads, mountinfo, /sys/dev/block)
 *   pressure       PSI files: /proc/pressure/<res> and cgroup v2 <res>.pressure
 * What a value means (units, "max" as a metric) is for the caller.
 */
#ifndef COMMON_STATFILE_H
#define COMMON_STATFILE_H

#include <stdbool.h>
#include <stdint.h>

/*
 * The next "key value" line at *cursor, both cut out in place; blank lines
 * are skipped. Returns 1, 0 when the text is exhausted, or -1 for a line
 * that is not exactly two fields (*key then points at the line, and *cursor
 * has moved past it, so the caller may skip it or fail).
 */
int kv_next(char **cursor, char **key, char **value);

/*
 * The next nested-keyed line at *cursor: *head is its first field and
 * *pairs the rest, for kv_pair_next(). Blank lines are skipped. Returns 1,
 * or 0 when the text is exhausted.
 */
int nested_next(char **cursor, char **head, char **pairs);

/*
 * The next "key=value" field of *pairs (from nested_next), cut out in
 * place. Returns 1, 0 when there are no more, or -1 for a field without
 * '=' or with an empty key (*key then points at the field).
 */
int kv_pair_next(char **pairs, char **key, char **value);

/*
 * A limit: decimal digits, or "max" for no limit. Returns 0 with *out set,
 * 1 for "max" (*out = UINT64_MAX), or -1 if s is neither (*out untouched).
 */
int parse_u64_max(const char *s, uint64_t *out);

/* "8:1" into major and minor (each at most 32 bits). Returns 0 or -1. */
int parse_devnum(const char *s, unsigned *major, unsigned *minor);

/* One line of a PSI file: stall shares over 10, 60, 300 s (%) and total stall time (us). */
struct psi_line {
	bool present;
	double avg10, avg60, avg300;
	uint64_t total;
};

struct psi {
	struct psi_line some; /* some tasks stalled */
	struct psi_line full; /* all non-idle tasks stalled (absent for cpu before 5.13) */
};

/*
 * Parse a PSI file's text ("some avg10=0.00 avg60=0.00 avg300=0.00
 * total=123", then a "full" line); other lines are ignored. Returns 0, or
 * -1 for a malformed some/full line (*bad then points at it, if bad is
 * not NULL).
 */
int psi_parse(char *text, struct psi *out, const char **bad);

#endif
