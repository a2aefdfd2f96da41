/*
 * entropy: /proc/sys/kernel/random/{entropy_avail,poolsize}. As upstream
 * (procfs' KernelRandom) the other numeric files of the directory are read
 * too: a missing one is skipped, a garbled one fails the collector.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../../common/exporter.h"
#include "../../common/hostfs.h"
#include "../../common/parse.h"

static const char *const random_files[] = {
	"entropy_avail", "poolsize", "urandom_min_reseed_secs", "write_wakeup_threshold",
	"read_wakeup_threshold",
};
#define NFILES (sizeof random_files / sizeof random_files[0])

static int entropy_collect(struct scrape *s, struct expo *e)
{
	uint64_t v[NFILES];
	bool have[NFILES] = { false };
	for (size_t i = 0; i < NFILES; i++) {
		char path[4096], text[64];
		if (proc_path(path, sizeof path, "sys/kernel/random/%s", random_files[i]) < 0)
			return scrape_fail(s, "path too long");
		ssize_t n = scrape_read_small(s, path, text, sizeof text);
		if (n == -ENOENT)
			continue;
		if (n < 0)
			return scrape_fail(s, "couldn't read %s: %s", path, strerror((int)-n));
		if (parse_u64(trim(text), &v[i]) < 0)
			return scrape_fail(s, "invalid value in %s", path);
		have[i] = true;
	}
	if (!have[0])
		return scrape_fail(s, "couldn't get entropy_avail");
	expo_single(e, "node_entropy_available_bits", METRIC_GAUGE,
		    "Entropy the kernel's random number generator has available, in bits.",
		    (double)v[0]);
	if (!have[1])
		return scrape_fail(s, "couldn't get entropy poolsize");
	expo_single(e, "node_entropy_pool_size_bits", METRIC_GAUGE,
		    "Size of the kernel's entropy pool, in bits.", (double)v[1]);
	return COLLECT_OK;
}

const struct collector_def collector_entropy = {
	.name = "entropy",
	.default_enabled = true,
	.collect = entropy_collect,
};
