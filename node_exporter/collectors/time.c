/*
 * time: the system clock, the local time zone's offset, and the kernel's
 * clocksources (/sys/devices/system/clocksource/clocksourceN). As upstream,
 * the "device" label is the position of the clocksource directory in name
 * order, not the number in its name.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../../common/exporter.h"
#include "../../common/fsread.h"
#include "../../common/hostfs.h"
#include "../../common/parse.h"

static int time_init(void **state, char *err, size_t errlen)
{
	(void)state, (void)err, (void)errlen;
	tzset(); /* localtime_r() need not read TZ itself */
	return 0;
}

static int time_collect(struct scrape *s, struct expo *e)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	/* Go's float64(UnixNano())/1e9: the integer nanoseconds first. */
	int64_t ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	expo_single(e, "node_time_seconds", METRIC_GAUGE,
		    "System time in seconds since the Unix epoch.", (double)ns / 1e9);

	struct tm tm;
	time_t now = ts.tv_sec;
	if (!localtime_r(&now, &tm))
		return scrape_fail(s, "localtime: %s", strerror(errno));
	struct family *zone = expo_family(e, "node_time_zone_offset_seconds", METRIC_GAUGE,
					  "Offset of the local time zone from UTC, in seconds.",
					  (const char *const[]){ "time_zone", NULL });
	expo_sample(e, zone, (double)tm.tm_gmtoff, tm.tm_zone ? tm.tm_zone : "");

	char dir[4096];
	if (sys_path(dir, sizeof dir, "devices/system/clocksource") < 0)
		return scrape_fail(s, "path too long");
	struct dirlist dl;
	/* No such directory: no clocksources, not an error (upstream globs). */
	if (scrape_dirlist(s, dir, &dl) < 0)
		return COLLECT_OK;

	const char *const labels[] = { "device", "clocksource", NULL };
	struct family *avail = expo_family(e, "node_time_clocksource_available_info", METRIC_INFO,
					   "Clocksources the kernel offers; the value is always 1.",
					   labels);
	struct family *current = expo_family(e, "node_time_clocksource_current_info", METRIC_INFO,
					     "Clocksource the kernel uses; the value is always 1.",
					     labels);
	int rc = COLLECT_OK;
	unsigned index = 0;
	for (size_t i = 0; i < dl.n && rc == COLLECT_OK; i++) {
		const char *name = dl.names[i];
		if (!has_prefix(name, "clocksource") || name[11] < '0' || name[11] > '9')
			continue;
		char path[4096], available[4096], cur_cs[256];
		ssize_t n1 = -ENAMETOOLONG, n2 = -ENAMETOOLONG;
		if (pathf(path, sizeof path, "%s/%s/available_clocksource", dir, name) == 0)
			n1 = scrape_read_small(s, path, available, sizeof available);
		if (n1 >= 0 && pathf(path, sizeof path, "%s/%s/current_clocksource", dir, name) == 0)
			n2 = scrape_read_small(s, path, cur_cs, sizeof cur_cs);
		if (n1 < 0 || n2 < 0) {
			rc = scrape_fail(s, "couldn't read %s: %s", path,
					 strerror((int)-(n1 < 0 ? n1 : n2)));
			break;
		}
		char device[16];
		strf(device, sizeof device, "%u", index++);
		char *f[64];
		size_t nf = split_fields(available, f, 64);
		for (size_t k = 0; k < nf && k < 64; k++)
			expo_sample(e, avail, 1, device, f[k]);
		expo_sample(e, current, 1, device, trim(cur_cs));
	}
	dirlist_free(&dl);
	return rc;
}

const struct collector_def collector_time = {
	.name = "time",
	.default_enabled = true,
	.init = time_init,
	.collect = time_collect,
};
