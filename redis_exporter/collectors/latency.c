/*
 * latency: LATENCY LATEST, the latest spike per latency monitor event, and
 * LATENCY HISTOGRAM (Redis 7), a histogram per command.
 */
#include "../../common/parse.h"
#include "../info.h"
#include "../redis.h"

static bool as_number(const redisReply *r, double *out)
{
	if (r->type == REDIS_REPLY_INTEGER) {
		*out = (double)r->integer;
		return true;
	}
	return r->type == REDIS_REPLY_STRING && parse_double(r->str, out) == 0;
}

static int latency_collect(struct scrape *s, struct expo *e)
{
	struct rscrape *rs = s->target;
	const redisReply *r = rs->r[SLOT_LATENCY], *hist = rs->r[SLOT_LATENCY_HISTOGRAM];
	/* Redis before 7 has no histograms: that is no failure. */
	if (hist && hist->type != REDIS_REPLY_ERROR &&
	    latency_histogram_metrics(hist, &rs->cmdusec, redis_opts.ns, e) < 0)
		return scrape_fail(s, "LATENCY HISTOGRAM: unexpected reply type %d", hist->type);
	if (!r)
		return COLLECT_NODATA; /* not available on this server */
	if (r->type == REDIS_REPLY_ERROR)
		return scrape_fail(s, "LATENCY LATEST: %s", r->str);
	if (r->type != REDIS_REPLY_ARRAY)
		return scrape_fail(s, "LATENCY LATEST: unexpected reply type %d", r->type);
	static const char *const lbl[] = { "event_name", NULL };
	for (size_t i = 0; i < r->elements; i++) {
		/* [event, unix time of the latest spike, its duration in ms, the max in ms] */
		const redisReply *ev = r->element[i];
		double when, ms;
		if (ev->type != REDIS_REPLY_ARRAY || ev->elements < 3 ||
		    ev->element[0]->type != REDIS_REPLY_STRING || !as_number(ev->element[1], &when) ||
		    !as_number(ev->element[2], &ms))
			continue;
		const char *name = ev->element[0]->str;
		expo_sample(e,
			    redis_family(e, redis_opts.ns, "latency_spike_last", METRIC_GAUGE,
					 "Unix time of the latest latency spike of an event.", lbl),
			    when, name);
		expo_sample(e,
			    redis_family(e, redis_opts.ns, "latency_spike_duration_seconds", METRIC_GAUGE,
					 "Duration of the latest latency spike of an event, in seconds.", lbl),
			    ms / 1e3, name);
	}
	return COLLECT_OK;
}

const struct collector_def collector_latency = {
	.name = "latency",
	.default_enabled = true,
	.collect = latency_collect,
};
