/*
 * The exposition of one scrape: collectors add metric families and samples,
 * the HTTP layer renders them once, sorted, in text 0.0.4 or OpenMetrics 1.0.
 *
 * Nothing here is shared between scrapes: every scrape builds its own
 * struct expo, and all its memory is released by expo_free(). Strings passed
 * in are copied, so callers may pass stack buffers.
 *
 * Appends never fail loudly: when the size cap is reached or a name is
 * invalid, the sample is dropped and the condition is recorded (see
 * expo_status() and expo_dropped()); the framework turns that into a
 * collector failure. A family that conflicts with an earlier declaration of
 * the same name (other type, help or labels) discards its samples and is
 * logged once, as client_golang's registry drops inconsistent metrics.
 */
#ifndef COMMON_EXPO_H
#define COMMON_EXPO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

enum metric_type {
	METRIC_COUNTER,
	METRIC_GAUGE,
	METRIC_UNTYPED,
	METRIC_SUMMARY,
	METRIC_HISTOGRAM,
	/* A gauge of value 1 named *_info; OpenMetrics renders it as "info". */
	METRIC_INFO,
};

enum expo_format { EXPO_TEXT, EXPO_OPENMETRICS };

struct expo;
struct family;

/* New empty exposition whose data may use at most max_bytes of memory. */
struct expo *expo_new(size_t max_bytes);
void expo_free(struct expo *e);

/*
 * Find or declare the family `name`. labels is a NULL-terminated list of
 * label names (NULL for none); every sample of the family then gives one
 * value per name, in this order. Output puts label names in sorted order,
 * as client_golang does. Never returns NULL.
 */
struct family *expo_family(struct expo *e, const char *name, enum metric_type type,
			   const char *help, const char *const *labels);

/*
 * Leave labels whose value is empty out of f's rendered series, for
 * families whose series carry different label sets (client_golang allows
 * that in one family, e.g. node_power_supply_info).
 */
void expo_family_omit_empty(struct family *f);

/* The family called name if declared in this scrape, else NULL. */
struct family *expo_find(struct expo *e, const char *name);

/* Add a sample; values has one entry per label name (NULL is ""). */
void expo_add(struct expo *e, struct family *f, double value, const char *const *values);

/*
 * Add a sample with an explicit timestamp in milliseconds since the epoch
 * (client_golang's NewMetricWithTimestamp); a negative ts_ms means none.
 * Text 0.0.4 renders it in milliseconds, OpenMetrics in seconds.
 */
void expo_add_ts(struct expo *e, struct family *f, double value, int64_t ts_ms,
		 const char *const *values);

#define expo_sample(e, f, v, ...) expo_add((e), (f), (v), (const char *const[]){ __VA_ARGS__ })
#define expo_value(e, f, v) expo_add((e), (f), (v), NULL)

/* Declare an unlabelled family and add its single sample. */
void expo_single(struct expo *e, const char *name, enum metric_type type, const char *help,
		 double value);

/* Summary sample: n quantiles (ascending) with their values. */
void expo_add_summary(struct expo *e, struct family *f, const char *const *values,
		      uint64_t count, double sum, size_t n, const double *quantiles,
		      const double *qvalues);

/*
 * Histogram sample: n upper bounds (ascending) with cumulative counts. A
 * +Inf bucket equal to count is added on output when the last bound is not
 * +Inf, as client_golang does.
 */
void expo_add_histogram(struct expo *e, struct family *f, const char *const *values,
			uint64_t count, double sum, size_t n, const double *bounds,
			const uint64_t *cumulative);

/*
 * From now on, every family declared whose name starts with prefix and is
 * not one of skip (full names, NULL-terminated) gets one more label after
 * its own, name="value": the "append a label to every metric" option of an
 * upstream exporter (redis_exporter's --append-instance-role-label).
 * Callers keep giving only their own label values. The strings are
 * borrowed until the exposition is finished; value is copied per sample.
 */
void expo_append_label(struct expo *e, const char *prefix, const char *const *skip, const char *name,
		       const char *value);

/* 0, or the first -ENOSPC/-ENOMEM that made a sample drop. */
int expo_status(const struct expo *e);

/* Samples dropped so far (cap, invalid names, conflicts). */
size_t expo_dropped(const struct expo *e);

/* Series added so far, duplicates included (a collector's share is the difference). */
size_t expo_series_added(const struct expo *e);

/* Forget a sticky -ENOSPC/-ENOMEM after the framework has reported it. */
void expo_clear_status(struct expo *e);

/*
 * Sort families by name and series by label values, drop duplicate series
 * (the first one added wins; logged) and freeze the exposition. Called by
 * expo_render() if needed; after it, the expo may be rendered concurrently.
 */
void expo_finish(struct expo *e);

/* Number of families with at least one sample (valid after expo_finish). */
size_t expo_family_count(const struct expo *e);

/*
 * Append the rendering to out. Returns 0, or -ENOSPC/-ENOMEM when out's cap
 * or memory ran out (out then holds a truncated page and must not be sent).
 */
int expo_render(struct expo *e, enum expo_format fmt, struct buf *out) WUR;

/* Label-value escaping of the text formats (\\ \" \n), appended to out. */
int expo_escape_label(struct buf *out, const char *s) WUR;

/* True if s is a valid metric name / label name for the text formats. */
bool expo_valid_metric_name(const char *s);
bool expo_valid_label_name(const char *s);

#endif
