/* Block device names for the `device` label: /sys/dev/block/MAJ:MIN -> "/dev/<name>". */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/parse.h"
#include "container.h"

const char *device_name(struct cx *cx, unsigned major, unsigned minor, char *dst, size_t cap)
{
	for (size_t i = 0; i < cx->ndevs; i++) {
		if (cx->devs[i].major == major && cx->devs[i].minor == minor) {
			strf(dst, cap, "%s", cx->devs[i].name);
			return dst;
		}
	}
	char p[4096], link[PATH_MAX];
	struct devname d = { .major = major, .minor = minor };
	ssize_t n;
	if (sys_path(p, sizeof p, "dev/block/%u:%u", major, minor) == 0 &&
	    (n = readlink(p, link, sizeof link - 1)) > 0) {
		link[n] = '\0';
		const char *base = strrchr(link, '/');
		base = base ? base + 1 : link;
		strf(d.name, sizeof d.name, "/dev/%s", base);
	}
	/* Remember misses too, but only a bounded number of devices. */
	if (cx->ndevs < 4096) {
		if (cx->ndevs == cx->capdevs) {
			size_t c = cx->capdevs ? cx->capdevs * 2 : 16;
			struct devname *v = realloc(cx->devs, c * sizeof *v);
			if (v) {
				cx->devs = v;
				cx->capdevs = c;
			}
		}
		if (cx->ndevs < cx->capdevs)
			cx->devs[cx->ndevs++] = d;
	}
	strf(dst, cap, "%s", d.name);
	return dst;
}
