/*
 * timex: the kernel's clock discipline state from adjtimex(2), read-only
 * (modes 0). Where the call is not permitted (some sandboxes) the collector
 * reports no data, as upstream.
 */
#include <errno.h>
#include <string.h>
#include <sys/timex.h>

#include "../../common/exporter.h"

#define PPM16FRAC (1000000.0 * 65536.0) /* freq/ppsfreq/stabil unit: ppm << 16 */

static int timex_collect(struct scrape *s, struct expo *e)
{
	struct timex tx;
	memset(&tx, 0, sizeof tx);
	int state = adjtimex(&tx);
	if (state < 0) {
		if (errno == EPERM || errno == EACCES)
			return COLLECT_NODATA;
		return scrape_fail(s, "adjtimex: %s", strerror(errno));
	}
	/* offset and jitter are in ns with STA_NANO, else in us. */
	double divisor = (tx.status & STA_NANO) ? 1e9 : 1e6;

	expo_single(e, "node_timex_sync_status", METRIC_GAUGE,
		    "1 if the kernel considers the clock synchronised (state is not TIME_ERROR), else 0.",
		    state == TIME_ERROR ? 0 : 1);
	expo_single(e, "node_timex_offset_seconds", METRIC_GAUGE,
		    "Offset between the system clock and the reference clock, in seconds.",
		    (double)tx.offset / divisor);
	expo_single(e, "node_timex_frequency_adjustment_ratio", METRIC_GAUGE,
		    "Frequency adjustment of the local clock as a ratio (1 = none).",
		    1 + (double)tx.freq / PPM16FRAC);
	expo_single(e, "node_timex_maxerror_seconds", METRIC_GAUGE,
		    "Maximum error of the clock, in seconds.", (double)tx.maxerror / 1e6);
	expo_single(e, "node_timex_estimated_error_seconds", METRIC_GAUGE,
		    "Estimated error of the clock, in seconds.", (double)tx.esterror / 1e6);
	expo_single(e, "node_timex_status", METRIC_GAUGE,
		    "Clock status bits (STA_*) as a number.", (double)tx.status);
	expo_single(e, "node_timex_loop_time_constant", METRIC_GAUGE,
		    "Time constant of the phase-locked loop.", (double)tx.constant);
	expo_single(e, "node_timex_tick_seconds", METRIC_GAUGE,
		    "Time between two clock ticks, in seconds.", (double)tx.tick / 1e6);
	expo_single(e, "node_timex_pps_frequency_hertz", METRIC_GAUGE,
		    "Frequency derived from the pulse-per-second signal.",
		    (double)tx.ppsfreq / PPM16FRAC);
	expo_single(e, "node_timex_pps_jitter_seconds", METRIC_GAUGE,
		    "Jitter of the pulse-per-second signal, in seconds.",
		    (double)tx.jitter / divisor);
	expo_single(e, "node_timex_pps_shift_seconds", METRIC_GAUGE,
		    "Duration of the pulse-per-second calibration interval (log2 seconds).",
		    (double)tx.shift);
	expo_single(e, "node_timex_pps_stability_hertz", METRIC_GAUGE,
		    "Stability of the pulse-per-second signal (average of recent frequency changes).",
		    (double)tx.stabil / PPM16FRAC);
	expo_single(e, "node_timex_pps_jitter_total", METRIC_COUNTER,
		    "Pulse-per-second events that exceeded the jitter limit.", (double)tx.jitcnt);
	expo_single(e, "node_timex_pps_calibration_total", METRIC_COUNTER,
		    "Pulse-per-second calibration intervals.", (double)tx.calcnt);
	expo_single(e, "node_timex_pps_error_total", METRIC_COUNTER,
		    "Pulse-per-second calibration errors.", (double)tx.errcnt);
	expo_single(e, "node_timex_pps_stability_exceeded_total", METRIC_COUNTER,
		    "Pulse-per-second events that exceeded the stability limit.", (double)tx.stbcnt);
	expo_single(e, "node_timex_tai_offset_seconds", METRIC_GAUGE,
		    "Offset of International Atomic Time (TAI) from UTC, in seconds.", (double)tx.tai);
	return COLLECT_OK;
}

const struct collector_def collector_timex = {
	.name = "timex",
	.default_enabled = true,
	.collect = timex_collect,
};
