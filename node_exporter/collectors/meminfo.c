/*
 * meminfo: one gauge per /proc/meminfo field. Fields in kB become
 * node_memory_<Field>_bytes, unit-less ones (HugePages_*) keep their count;
 * "Active(anon)" is spelled Active_anon. Only the fields node_exporter 1.12
 * exports (it reads a fixed list through prometheus/procfs; up to 1.8 it
 * exported every line), so a newer kernel adds no family upstream lacks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/exporter.h"
#include "../../common/hostfs.h"
#include "../../common/parse.h"
#include "../../common/sysfs.h"

/* node_exporter 1.12.1's fields (meminfo_linux.go), sorted for bsearch. */
static const char *const exported[] = {
	"Active", "Active_anon", "Active_file", "AnonHugePages", "AnonPages", "Bounce",
	"Buffers", "Cached", "CmaFree", "CmaTotal", "CommitLimit", "Committed_AS",
	"DirectMap1G", "DirectMap2M", "DirectMap4k", "Dirty", "HardwareCorrupted",
	"HugePages_Free", "HugePages_Rsvd", "HugePages_Surp", "HugePages_Total", "Hugepagesize",
	"Inactive", "Inactive_anon", "Inactive_file", "KernelStack", "Mapped", "MemAvailable",
	"MemFree", "MemTotal", "Mlocked", "NFS_Unstable", "PageTables", "Percpu",
	"SReclaimable", "SUnreclaim", "Shmem", "ShmemHugePages", "ShmemPmdMapped", "Slab",
	"SwapCached", "SwapFree", "SwapTotal", "Unevictable", "VmallocChunk", "VmallocTotal",
	"VmallocUsed", "Writeback", "WritebackTmp", "Zswap", "Zswapped",
};

static int cmp_name(const void *key, const void *elem)
{
	return strcmp(key, *(const char *const *)elem);
}

static int meminfo_collect(struct scrape *s, struct expo *e)
{
	char path[4096];
	if (proc_path(path, sizeof path, "meminfo") < 0)
		return scrape_fail(s, "path too long");
	char *text;
	int rc = collect_read_required(s, path, &text);
	if (rc != COLLECT_OK)
		return rc;

	size_t found = 0;
	char *cur = text, *line;
	while ((line = next_line(&cur))) {
		char *f[4];
		size_t nf = split_fields(line, f, 4);
		if (nf == 0)
			continue;
		size_t klen = strlen(f[0]);
		if ((nf != 2 && nf != 3) || klen < 2 || f[0][klen - 1] != ':')
			return scrape_fail(s, "invalid line in %s: %s", path, f[0]);
		f[0][klen - 1] = '\0';

		uint64_t v;
		if (parse_u64(f[1], &v) < 0)
			return scrape_fail(s, "invalid value for %s in %s", f[0], path);
		double value = (double)v;
		bool bytes = nf == 3;
		if (bytes) {
			if (strcmp(f[2], "kB") != 0)
				return scrape_fail(s, "unknown unit %s for %s in %s", f[2], f[0], path);
			value *= 1024;
		}

		/* "Active(anon)" -> "Active_anon" */
		char key[128];
		size_t k = 0;
		for (const char *p = f[0]; *p && k + 1 < sizeof key; p++) {
			if (*p == '(')
				key[k++] = '_';
			else if (*p != ')')
				key[k++] = *p;
		}
		key[k] = '\0';
		if (!bsearch(key, exported, sizeof exported / sizeof exported[0], sizeof exported[0],
			     cmp_name))
			continue;

		char name[192], help[192];
		strf(name, sizeof name, "node_memory_%s%s", key, bytes ? "_bytes" : "");
		strf(help, sizeof help, "Field %s of /proc/meminfo%s.", f[0], bytes ? ", in bytes" : "");
		expo_single(e, name, METRIC_GAUGE, help, value);
		found++;
	}
	if (!found)
		return scrape_fail(s, "no fields in %s", path);
	return COLLECT_OK;
}

const struct collector_def collector_meminfo = {
	.name = "meminfo",
	.default_enabled = true,
	.collect = meminfo_collect,
};
