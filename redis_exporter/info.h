/*
 * The INFO and CLUSTER INFO parsers: text of a Redis reply in, metric
 * families out, under oliver006/redis_exporter's names and types. Fields
 * are recognised by name, never by position, so the differences between
 * Redis 5, 6 and 7 (new fields, the 6.2 commandstats format, 7.0
 * latencystats, 7.4 keyspace subexpiry) need no version checks.
 *
 * The text is parsed in place (NUL bytes are written into it); nothing is
 * allocated per line.
 */
#ifndef REDIS_INFO_H
#define REDIS_INFO_H

#include <stdbool.h>
#include <stddef.h>

#include "../common/expo.h"

struct info_opts {
	const char *ns; /* metric namespace, e.g. "redis" */
	long dbcount; /* db_keys/db_keys_expiring 0 for absent db0..dbcount-1 */
	bool include_system; /* total_system_memory -> total_system_memory_bytes */
	double now; /* wall clock, seconds since the epoch */
};

/* What the scrape needs to know besides the metrics. */
struct info_result {
	size_t fields; /* key:value lines seen */
	bool cluster_enabled;
	bool sentinel; /* the reply has a # Sentinel section */
};

/* Largest db index padded with zero series (a guard against absurd configs). */
#define INFO_MAX_PADDED_DBS 65536

/*
 * Parse an INFO reply (NUL-terminated, modified in place) into e.
 * Returns 0, or -1 when the text holds no key:value field at all.
 */
int redis_info_parse(char *text, const struct info_opts *o, struct expo *e,
		     struct info_result *res);

/*
 * Parse a CLUSTER INFO reply (NUL-terminated, modified in place): every
 * cluster_* field as INFO's generic fields. Returns 0 or -1 (no field).
 */
int redis_cluster_info_parse(char *text, const struct info_opts *o, struct expo *e);

/*
 * Parse an INFO MODULES reply (modified in place): module_info{name,ver,
 * api,filters,usedby,using} per "module:" line, and the fields of the
 * modules' own sections that upstream maps (search_*, bf_*, json_*).
 * Returns the number of modules.
 */
int redis_info_modules_parse(char *text, const struct info_opts *o, struct expo *e);

/*
 * One field as INFO's fields that upstream maps (Tile38's SERVER EXT):
 * exported under upstream's name and type if mapped, else left out.
 */
void redis_info_field(const struct info_opts *o, struct expo *e, const char *key, const char *val);

/*
 * Declare "<ns>_<name>" in e. The name is truncated to a safe length;
 * shared by the collectors so every family gets the namespace.
 */
struct family *redis_family(struct expo *e, const char *ns, const char *name,
			    enum metric_type type, const char *help, const char *const *labels);

#endif
