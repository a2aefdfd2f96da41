/*
 * runit (deprecated upstream, kept for drop-in use): the services of a
 * runit service directory (--collector.runit.servicedir): for each entry
 * that is a directory or a symlink, runsv's binary supervise/status record
 * (20 bytes: TAI64 time of the last change, pid, wanted state 'u'/'d', state
 * 0 down, 1 run, 2 finish). A service whose status cannot be read is left
 * out; an unreadable service directory fails the collector.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../common/exporter.h"
#include "../../common/log.h"
#include "../../common/parse.h"
#include "../../common/sysfs.h"

static const char *service_dir;

static struct flag runit_flags[] = {
	{ .name = "collector.runit.servicedir", .type = FLAG_STRING, .dest = &service_dir, .def = "/etc/service",
	  .help = "Path to runit service directory." },
};

/* TAI64 labels are 2^62 + 10 ahead of Unix time (runit counts the 10 s of TAI-UTC at 1970). */
#define TAI_OFFSET 4611686018427387914LL
#define STATUS_LEN 20

static int runit_init(void **state, char *err, size_t errlen)
{
	(void)state;
	(void)err;
	(void)errlen;
	log_warn("This collector is deprecated and will be removed in the next major version release.",
		 "collector", "runit", NULL);
	return 0;
}

static int runit_collect(struct scrape *s, struct expo *e)
{
	struct sysfs_dir d;
	int rc = sysfs_dir_read(s, service_dir, &d);
	if (rc < 0)
		return scrape_fail(s, "couldn't list %s: %s", service_dir, strerror(-rc));
	static const char *const labels[] = { "service", "supervisor", NULL };
	struct family *state = expo_family(e, "node_service_state", METRIC_GAUGE,
					   "State of the runit service (0 down, 1 run, 2 finish).", labels);
	struct family *desired = expo_family(e, "node_service_desired_state", METRIC_GAUGE,
					     "Wanted state of the runit service (0 down, 1 up).", labels);
	struct family *normal = expo_family(e, "node_service_normal_state", METRIC_GAUGE,
					    "Whether the runit service is normally up.", labels);
	struct family *changed = expo_family(e, "node_service_state_last_change_timestamp_seconds", METRIC_GAUGE,
					     "Unix time of the runit service's last state change.", labels);
	for (size_t i = 0; i < d.n; i++) {
		const char *name = d.ents[i].name;
		if (d.ents[i].type != DT_DIR && d.ents[i].type != DT_LNK)
			continue;
		char path[4096];
		unsigned char st[STATUS_LEN] = { 0 };
		if (strf(path, sizeof path, "%s/%s/supervise/status", service_dir, name) >= (int)sizeof path)
			continue;
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		ssize_t n = fd < 0 ? -1 : read(fd, st, sizeof st);
		int saved = errno;
		if (fd >= 0)
			close(fd);
		if (n <= 0) {
			log_debug("Couldn't get status", "service", name, "err", n == 0 ? "EOF" : strerror(saved), NULL);
			continue;
		}
		int64_t tai = 0;
		for (int k = 0; k <= 7; k++)
			tai = (int64_t)((uint64_t)tai << 8 | st[k]);
		double want = st[17] == 'u' ? 1 : 0;
		strf(path, sizeof path, "%s/%s/supervise/down", service_dir, name);
		struct stat sb;
		double normally_up = stat(path, &sb) != 0;
		expo_sample(e, state, st[19], name, "runit");
		expo_sample(e, desired, want, name, "runit");
		expo_sample(e, changed, (double)(tai - TAI_OFFSET), name, "runit");
		expo_sample(e, normal, normally_up, name, "runit");
	}
	sysfs_dir_free(&d);
	return COLLECT_OK;
}

const struct collector_def collector_runit = {
	.name = "runit",
	.default_enabled = false,
	.flags = runit_flags,
	.nflags = sizeof runit_flags / sizeof runit_flags[0],
	.init = runit_init,
	.collect = runit_collect,
};
