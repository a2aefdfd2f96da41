/* uname: the uname(2) fields of the running kernel as labels of one series. */
#define _GNU_SOURCE /* utsname.domainname */
#include <errno.h>
#include <string.h>
#include <sys/utsname.h>

#include "../../common/exporter.h"

static int uname_collect(struct scrape *s, struct expo *e)
{
	struct utsname u;
	if (uname(&u) < 0)
		return scrape_fail(s, "uname: %s", strerror(errno));
	struct family *f = expo_family(
		e, "node_uname_info", METRIC_INFO,
		"Kernel identification from the uname system call; the value is always 1.",
		(const char *const[]){ "sysname", "release", "version", "machine", "nodename",
				       "domainname", NULL });
	expo_sample(e, f, 1, u.sysname, u.release, u.version, u.machine, u.nodename,
		    u.domainname);
	return COLLECT_OK;
}

const struct collector_def collector_uname = {
	.name = "uname",
	.default_enabled = true,
	.collect = uname_collect,
};
