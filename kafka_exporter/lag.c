#include "lag.h"

/* ---- upstream's rules ---- */

int64_t lag_committed_value(int64_t offset)
{
	return offset < 0 ? -1 : offset;
}

bool lag_value(int64_t committed, bool end_known, int64_t end, int64_t *lag)
{
	if (!end_known)
		return false;
	*lag = committed < 0 ? -1 : end - committed;
	return true;
}

bool lag_in_sum(int64_t committed, bool end_known)
{
	return end_known && committed >= 0;
}

/* ---- status ---- */

void lag_track_observe(struct lag_track *t, double now, int64_t committed, int64_t lag)
{
	if (lag < 0)
		lag = 0;
	if (t->first_seen == 0) {
		*t = (struct lag_track){
			.first_seen = now,
			.committed = committed,
			.lag = lag,
			.committed_since = now,
			.behind_since = lag > 0 ? now : 0,
			.rising_since = now,
			.lag_at_rising = lag,
		};
		t->last_seen = now;
		return;
	}
	if (committed < t->committed) {
		t->rewound_at = now;
		t->committed_since = now;
	} else if (committed != t->committed) {
		t->committed_since = now;
	}
	if (lag == 0)
		t->behind_since = 0;
	else if (t->behind_since == 0)
		t->behind_since = now;
	if (lag < t->lag) {
		/* The lag went down: a new run of non-decreasing lag starts here. */
		t->rising_since = now;
		t->lag_at_rising = lag;
	}
	t->committed = committed;
	t->lag = lag;
	t->last_seen = now;
}

enum lag_status lag_track_status(const struct lag_track *t, double now, double window, bool has_members)
{
	if (t->lag == 0)
		return STATUS_OK;
	/* Too new to judge: the window has not been covered yet. */
	if (now - t->first_seen < window)
		return STATUS_OK;
	if (t->rewound_at != 0 && now - t->rewound_at < window)
		return STATUS_ERR;
	if (t->behind_since == 0 || now - t->behind_since < window)
		return STATUS_OK;
	if (now - t->committed_since >= window)
		return has_members ? STATUS_STALL : STATUS_STOP;
	if (now - t->rising_since >= window && t->lag > t->lag_at_rising)
		return STATUS_WARN;
	return STATUS_OK;
}

static int severity(enum lag_status s)
{
	switch (s) {
	case STATUS_OK: return 0;
	case STATUS_WARN: return 1;
	case STATUS_STALL: return 2;
	case STATUS_STOP: return 3;
	case STATUS_ERR: return 4;
	}
	return 0;
}

enum lag_status lag_status_worst(enum lag_status a, enum lag_status b)
{
	return severity(b) > severity(a) ? b : a;
}

const char *lag_status_name(enum lag_status s)
{
	switch (s) {
	case STATUS_OK: return "OK";
	case STATUS_WARN: return "WARN";
	case STATUS_ERR: return "ERR";
	case STATUS_STOP: return "STOP";
	case STATUS_STALL: return "STALL";
	}
	return "?";
}

/* ---- interpolation ---- */

/*
 * Drop the inner point whose neighbours are closest in time relative to its
 * age: recent sightings stay dense, old ones thin out, so the spacing grows
 * with age and the relative error of an age stays about the same.
 */
static void thin(struct end_history *h)
{
	double newest = h->pts[h->n - 1].t;
	uint32_t victim = 1;
	double best = 0;
	for (uint32_t i = 1; i + 1 < h->n; i++) {
		double cost = (h->pts[i + 1].t - h->pts[i - 1].t) / (newest - h->pts[i].t);
		if (i == 1 || cost < best) {
			best = cost;
			victim = i;
		}
	}
	for (uint32_t i = victim; i + 1 < h->n; i++)
		h->pts[i] = h->pts[i + 1];
	h->n--;
}

bool end_history_add(struct end_history *h, int64_t end, double t)
{
	if (h->n > 0) {
		struct end_point *last = &h->pts[h->n - 1];
		if (t <= last->t)
			return false;
		if (end < last->offset) {
			h->n = 0;
		} else if (end == last->offset && h->n >= 2 && h->pts[h->n - 2].offset == end) {
			/* Same offset as the two last sightings: keep the first, move the last. */
			last->t = t;
			return true;
		}
	}
	if (h->n == END_HISTORY_MAX)
		thin(h);
	h->pts[h->n++] = (struct end_point){ end, t };
	return true;
}

int end_history_age(const struct end_history *h, int64_t committed, double now, double *age)
{
	if (h->n == 0)
		return -1;
	const struct end_point *first = &h->pts[0], *last = &h->pts[h->n - 1];
	if (committed >= last->offset) {
		*age = 0;
		return 0;
	}
	if (h->n < 2)
		return -1;
	/* The end offset reached committed + 1 when the record at committed was written. */
	int64_t target = committed + 1;
	uint32_t i = 0;
	while (h->pts[i].offset < target)
		i++;
	double when;
	if (i == 0) {
		/* Older than the history: extrapolate backwards at the overall rate. */
		when = first->t;
		if (last->offset > first->offset && last->t > first->t) {
			double rate = (double)(last->offset - first->offset) / (last->t - first->t);
			when = first->t - (double)(first->offset - target) / rate;
		}
	} else {
		const struct end_point *l = &h->pts[i - 1], *r = &h->pts[i];
		when = r->t - (double)(r->offset - target) * (r->t - l->t) / (double)(r->offset - l->offset);
	}
	*age = now > when ? now - when : 0;
	return 0;
}

double record_age(int64_t ts_ms, int64_t now_ms)
{
	return now_ms > ts_ms ? (double)(now_ms - ts_ms) / 1000.0 : 0;
}
