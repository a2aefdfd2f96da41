/*
 * cpufreq: clock frequencies and the scaling governor of each online CPU
 * from /sys/devices/system/cpu/cpuN/cpufreq/ (kHz, exported in Hz).
 *
 * node_cpu_frequency_hertz{cpu} shares its name with the cpu collector's
 * cpuinfo-based {package,core,cpu} family; when both are on, the cpu
 * collector runs first and this declaration is dropped by the exposition,
 * as upstream's registry drops it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../../common/cpulist.h"
#include "../../common/exporter.h"
#include "../../common/fsread.h"
#include "../../common/hostfs.h"
#include "../../common/parse.h"

static const struct {
	const char *file, *name, *help;
} freqs[] = {
	{ "cpuinfo_cur_freq", "node_cpu_frequency_hertz", "Current frequency of the CPU thread, in hertz." },
	{ "cpuinfo_avg_freq", "node_cpu_frequency_avg_hertz",
	  "Average frequency of the CPU thread measured by the kernel, in hertz." },
	{ "cpuinfo_min_freq", "node_cpu_frequency_min_hertz", "Lowest frequency the CPU thread supports, in hertz." },
	{ "cpuinfo_max_freq", "node_cpu_frequency_max_hertz", "Highest frequency the CPU thread supports, in hertz." },
	{ "scaling_cur_freq", "node_cpu_scaling_frequency_hertz",
	  "Current frequency the governor set for the CPU thread, in hertz." },
	{ "scaling_min_freq", "node_cpu_scaling_frequency_min_hertz",
	  "Lowest frequency the governor may set for the CPU thread, in hertz." },
	{ "scaling_max_freq", "node_cpu_scaling_frequency_max_hertz",
	  "Highest frequency the governor may set for the CPU thread, in hertz." },
};
#define NFREQ (sizeof freqs / sizeof freqs[0])

static int cpufreq_collect(struct scrape *s, struct expo *e)
{
	char dir[4096], path[4300], offline[4096];
	if (sys_path(dir, sizeof dir, "devices/system/cpu") < 0)
		return scrape_fail(s, "path too long");
	struct dirlist dl;
	int rc = scrape_dirlist(s, dir, &dl);
	if (rc == -ENOENT)
		dl = (struct dirlist){ 0 };
	else if (rc < 0)
		return scrape_fail(s, "couldn't list %s: %s", dir, strerror(-rc));

	strf(path, sizeof path, "%s/offline", dir);
	ssize_t n = scrape_read_small(s, path, offline, sizeof offline);
	if (n < 0) {
		dirlist_free(&dl);
		return scrape_fail(s, "couldn't read %s: %s", path, strerror((int)-n));
	}
	struct cpulist off;
	int prc = cpulist_parse(offline, &off);
	if (prc < 0) {
		dirlist_free(&dl);
		return prc == -2 ? scrape_fail(s, "out of memory") :
				   scrape_fail(s, "invalid offline CPU list '%s' in %s", offline, path);
	}

	/*
	 * Declared on first use: node_cpu_frequency_hertz must not clash with
	 * the cpu collector's family unless this collector has a value for it.
	 */
	struct family *ff[NFREQ] = { 0 };
	struct family *fgov = expo_family(e, "node_cpu_scaling_governor", METRIC_GAUGE,
					  "Scaling governors available for the CPU thread; 1 for the active one.",
					  (const char *const[]){ "cpu", "governor", NULL });

	size_t ncpus = 0;
	int result = COLLECT_OK;
	for (size_t c = 0; c < dl.n && result == COLLECT_OK; c++) {
		const char *name = dl.names[c];
		if (strncmp(name, "cpu", 3) != 0 || name[3] < '0' || name[3] > '9')
			continue;
		ncpus++;
		const char *num = name + 3;
		if (off.n) {
			uint64_t id;
			if (parse_u64(num, &id) < 0) {
				result = scrape_fail(s, "invalid CPU %s", name);
				break;
			}
			if (cpulist_has(&off, id))
				continue;
		}
		struct stat sb;
		strf(path, sizeof path, "%s/%s/cpufreq", dir, name);
		if (stat(path, &sb) < 0) {
			if (errno == ENOENT || errno == ENOTDIR)
				continue;
			result = scrape_fail(s, "couldn't stat %s: %s", path, strerror(errno));
			break;
		}
		for (size_t i = 0; i < NFREQ && result == COLLECT_OK; i++) {
			char text[64];
			uint64_t khz;
			strf(path, sizeof path, "%s/%s/cpufreq/%s", dir, name, freqs[i].file);
			ssize_t r = scrape_read_small(s, path, text, sizeof text);
			/* cpuinfo_cur_freq is readable by root only: skipped, as upstream does. */
			if (r == -ENOENT || r == -EACCES || r == -EPERM)
				continue;
			if (r < 0 || parse_u64(trim(text), &khz) < 0)
				result = scrape_fail(s, "couldn't read %s: %s", path,
						     r < 0 ? strerror((int)-r) : "not a number");
			else {
				if (!ff[i])
					ff[i] = expo_family(e, freqs[i].name, METRIC_GAUGE, freqs[i].help,
							    (const char *const[]){ "cpu", NULL });
				expo_sample(e, ff[i], (double)khz * 1000.0, num);
			}
		}
		if (result != COLLECT_OK)
			break;
		char gov[256], avail[1024];
		const char *names[2] = { "scaling_governor", "scaling_available_governors" };
		char *dst[2] = { gov, avail };
		size_t cap[2] = { sizeof gov, sizeof avail };
		for (int k = 0; k < 2 && result == COLLECT_OK; k++) {
			strf(path, sizeof path, "%s/%s/cpufreq/%s", dir, name, names[k]);
			ssize_t r = scrape_read_small(s, path, dst[k], cap[k]);
			if (r < 0)
				result = scrape_fail(s, "couldn't read %s: %s", path, strerror((int)-r));
		}
		if (result != COLLECT_OK)
			break;
		if (!gov[0])
			continue;
		char *items[64];
		size_t ni = split_on(avail, ' ', items, 64);
		for (size_t i = 0; i < ni && i < 64; i++)
			expo_sample(e, fgov, strcmp(items[i], gov) == 0 ? 1 : 0, num, items[i]);
	}
	cpulist_free(&off);
	dirlist_free(&dl);
	if (result == COLLECT_OK && ncpus == 0)
		return scrape_fail(s, "could not find any cpufreq files in %s", dir);
	return result;
}

const struct collector_def collector_cpufreq = {
	.name = "cpufreq",
	.default_enabled = true,
	.collect = cpufreq_collect,
};
