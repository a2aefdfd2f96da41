/*
 * The decisions about lag, free of any Kafka I/O so that unit tests drive
 * them directly: upstream's rules for the offset and lag series, the
 * Burrow-style status of a partition over a sliding window, and the age of
 * the next record a group will read (from a history of end offsets, or from
 * the record's own timestamp).
 */
#ifndef KAFKA_EXPORTER_LAG_H
#define KAFKA_EXPORTER_LAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- upstream's rules (kafka_exporter 1.9.0) ---- */

/*
 * The committed offset as exported: a partition without a committed offset
 * (librdkafka's -1001, the broker's -1, any negative) is -1.
 */
int64_t lag_committed_value(int64_t offset);

/*
 * The kafka_consumergroup_lag value of a partition: -1 without a committed
 * offset, else end - committed, not clamped (a committed offset ahead of
 * the high watermark gives a negative lag, as upstream). Returns false when
 * no lag series is exported (the end offset could not be read).
 */
bool lag_value(int64_t committed, bool end_known, int64_t end, int64_t *lag);

/* Whether the partition's lag is added to kafka_consumergroup_lag_sum (committed, end known). */
bool lag_in_sum(int64_t committed, bool end_known);

/* ---- status over a sliding window (kafka_consumergroup_status) ---- */

/* Values of kafka_consumergroup_status: Burrow's numbers. */
enum lag_status {
	STATUS_OK = 1,
	STATUS_WARN = 2,
	STATUS_ERR = 3,
	STATUS_STOP = 4,
	STATUS_STALL = 5,
};

/* What one group partition looked like over past scrapes: a few numbers, no sample list. */
struct lag_track {
	double first_seen; /* first scrape that saw the partition */
	double last_seen;
	int64_t committed; /* at the last scrape */
	int64_t lag; /* at the last scrape, clamped at 0 */
	double committed_since; /* since when the committed offset has not moved */
	double behind_since; /* since when the lag has been > 0 without a break; 0: not behind */
	double rising_since; /* since when the lag has not decreased from one scrape to the next */
	int64_t lag_at_rising; /* lag when that run began */
	double rewound_at; /* last time the committed offset moved backwards; 0: never */
};

/*
 * Record a scrape's observation: the committed offset (>= 0) and the lag
 * (end - committed; negative values count as 0) at time now (seconds).
 */
void lag_track_observe(struct lag_track *t, double now, int64_t committed, int64_t lag);

/*
 * The partition's status at time now over a window of `window` seconds
 * (rules in man/kafka_exporter.1, section STATUS):
 *   OK    caught up now (lag 0), or not observed for a whole window yet;
 *   ERR   the committed offset moved backwards within the window;
 *   STALL behind for the whole window, the committed offset unchanged, and
 *         the group has members (consumers alive but not progressing);
 *   STOP  the same without members (nobody consumes);
 *   WARN  behind for the whole window, the committed offset moving, and the
 *         lag never decreasing over it while growing (consumers too slow);
 *   OK    otherwise.
 * has_members: the group has members, or its state says it is active.
 */
enum lag_status lag_track_status(const struct lag_track *t, double now, double window, bool has_members);

/* The worse of two statuses: ERR > STOP > STALL > WARN > OK. */
enum lag_status lag_status_worst(enum lag_status a, enum lag_status b);

/* "OK", "WARN", ... */
const char *lag_status_name(enum lag_status s);

/* ---- lag in seconds by interpolation ---- */

#define END_HISTORY_MAX 32

/*
 * When a partition's end offset was seen, oldest first. Runs of the same
 * offset keep only their first and last sighting; when full, the point whose
 * neighbours are closest in time relative to its age goes: recent sightings
 * stay dense, older ones thin out, and the first is kept, so the history keeps
 * reaching back instead of forgetting its oldest points.
 */
struct end_history {
	uint32_t n;
	struct end_point {
		int64_t offset;
		double t;
	} pts[END_HISTORY_MAX];
};

/*
 * Add a sighting of end offset `end` at time t (seconds). An offset lower
 * than the last one (topic recreated, log truncated) restarts the history;
 * a time not after the last one is ignored. Returns false when ignored.
 */
bool end_history_add(struct end_history *h, int64_t end, double t);

/*
 * How old, at time now, the record at offset `committed` is: when the end
 * offset first passed it, interpolated linearly between the two sightings
 * around it. A record older than the history is extrapolated with the
 * history's overall rate, and never reported younger than the oldest
 * sighting. committed >= the latest end offset gives 0. Returns 0 with
 * *age set, or -1 when the history cannot tell (fewer than two sightings).
 */
int end_history_age(const struct end_history *h, int64_t committed, double now, double *age);

/* ---- lag in seconds from the record's timestamp ---- */

/*
 * Age at wall-clock time now_ms of a record stamped ts_ms (both epoch
 * milliseconds), in seconds, never negative (producer clocks ahead of ours).
 */
double record_age(int64_t ts_ms, int64_t now_ms);

#endif
