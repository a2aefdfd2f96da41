/*
 * CPU lists as the kernel writes them: "0-3,8,10-11" in sysfs
 * (devices/system/cpu/online, offline, isolated) and in cgroup cpuset files
 * (cpuset.cpus, cpuset.cpus.effective).
 */
#ifndef COMMON_CPULIST_H
#define COMMON_CPULIST_H

#include <stdbool.h>
#include <stddef.h>

/* Ids above this are not CPUs (upstream's parser keeps them as uint16). */
#define CPULIST_MAX_ID 65535

/* A set of CPU ids, ascending, each once. */
struct cpulist {
	unsigned short *ids; /* malloc'd, NULL when empty */
	size_t n;
};

/*
 * Parse text (comma-separated ids and lo-hi ranges; blanks around items and
 * empty items are ignored, so "" and "\n" are the empty set). Returns 0 with
 * *out filled (free with cpulist_free), -1 if the text is malformed (not a
 * number, a range backwards, an id above CPULIST_MAX_ID) or -2 when out of
 * memory; *out is then empty.
 */
int cpulist_parse(const char *text, struct cpulist *out);

/* True if id is in the list. */
bool cpulist_has(const struct cpulist *l, unsigned long id);

void cpulist_free(struct cpulist *l);

#endif
