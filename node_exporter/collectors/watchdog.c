/*
 * watchdog: the attributes of each device in /sys/class/watchdog: numeric
 * ones as gauges (when the driver provides them), the textual ones as
 * labels of node_watchdog_info.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/exporter.h"
#include "../../common/hostfs.h"
#include "../../common/sysfs.h"

enum { WD_BOOTSTATUS, WD_FW_VERSION, WD_NOWAYOUT, WD_TIMELEFT, WD_TIMEOUT, WD_PRETIMEOUT, WD_ACCESS_CS0, WD_NUM };
enum { WD_OPTIONS, WD_IDENTITY, WD_STATE, WD_STATUS, WD_GOVERNOR, WD_TEXT };

static const struct {
	const char *file, *metric, *help;
} wd_nums[WD_NUM] = {
	{ "bootstatus", "node_watchdog_bootstatus", "Watchdog bootstatus: why the system last rebooted." },
	{ "fw_version", "node_watchdog_fw_version", "Firmware version of the watchdog device." },
	{ "nowayout", "node_watchdog_nowayout", "1 if the watchdog cannot be stopped once started." },
	{ "timeleft", "node_watchdog_timeleft_seconds", "Seconds left before the watchdog resets the system." },
	{ "timeout", "node_watchdog_timeout_seconds", "Watchdog timeout in seconds." },
	{ "pretimeout", "node_watchdog_pretimeout_seconds", "Watchdog pretimeout in seconds." },
	{ "access_cs0", "node_watchdog_access_cs0", "Value of the watchdog's access_cs0 attribute." },
};
static const char *const wd_texts[WD_TEXT] = { "options", "identity", "state", "status", "pretimeout_governor" };

struct wd {
	const char *name;
	bool has[WD_NUM];
	int64_t num[WD_NUM];
	char text[WD_TEXT][SYSFS_VAL];
};

/* Missing class or unreadable attribute: no data, as upstream. */
static int wd_error(struct scrape *s, long err, const char *what)
{
	if (sysfs_enoent(err) || sysfs_eperm(err))
		return COLLECT_NODATA;
	return scrape_fail(s, "couldn't read %s: %s", what, strerror((int)-err));
}

static int wd_read(struct scrape *s, const char *dir, struct wd *w)
{
	char path[4096], value[SYSFS_VAL];
	for (size_t i = 0; i < WD_NUM + WD_TEXT; i++) {
		const char *file = i < WD_NUM ? wd_nums[i].file : wd_texts[i - WD_NUM];
		if (pathf(path, sizeof path, "%s/%s/%s", dir, w->name, file) < 0)
			return scrape_fail(s, "path too long");
		ssize_t n = sysfs_attr(s, path, value, sizeof value);
		if (n == -ENOENT)
			continue;
		if (n < 0)
			return wd_error(s, n, path);
		if (i < WD_NUM) {
			if (sysfs_parse_int(value, &w->num[i]) < 0)
				return scrape_fail(s, "invalid value '%s' in %s", value, path);
			w->has[i] = true;
		} else {
			memcpy(w->text[i - WD_NUM], value, (size_t)n + 1);
		}
	}
	return COLLECT_OK;
}

static int watchdog_collect(struct scrape *s, struct expo *e)
{
	char dir[4096];
	if (sys_path(dir, sizeof dir, "class/watchdog") < 0)
		return scrape_fail(s, "path too long");
	struct sysfs_dir d;
	int rc = sysfs_dir_read(s, dir, &d);
	if (rc < 0)
		return wd_error(s, rc, dir);

	/* All devices or none, as upstream: read everything, then emit. */
	struct wd *wds = calloc(d.n ? d.n : 1, sizeof *wds);
	if (!wds) {
		sysfs_dir_free(&d);
		return scrape_fail(s, "out of memory");
	}
	for (size_t i = 0; i < d.n; i++) {
		wds[i].name = d.ents[i].name;
		rc = wd_read(s, dir, &wds[i]);
		if (rc != COLLECT_OK)
			goto out;
	}

	struct family *fnum[WD_NUM];
	for (size_t k = 0; k < WD_NUM; k++)
		fnum[k] = expo_family(e, wd_nums[k].metric, METRIC_GAUGE, wd_nums[k].help,
				      (const char *const[]){ "name", NULL });
	struct family *finfo = expo_family(
		e, "node_watchdog_info", METRIC_GAUGE, "Constant 1, labelled with the watchdog's textual attributes.",
		(const char *const[]){ "name", "options", "identity", "state", "status", "pretimeout_governor", NULL });
	for (size_t i = 0; i < d.n; i++) {
		const struct wd *w = &wds[i];
		for (size_t k = 0; k < WD_NUM; k++)
			if (w->has[k])
				expo_sample(e, fnum[k], (double)w->num[k], w->name);
		expo_sample(e, finfo, 1, w->name, w->text[WD_OPTIONS], w->text[WD_IDENTITY], w->text[WD_STATE],
			    w->text[WD_STATUS], w->text[WD_GOVERNOR]);
	}
	rc = COLLECT_OK;
out:
	free(wds);
	sysfs_dir_free(&d);
	return rc;
}

const struct collector_def collector_watchdog = {
	.name = "watchdog",
	.default_enabled = true,
	.collect = watchdog_collect,
};
