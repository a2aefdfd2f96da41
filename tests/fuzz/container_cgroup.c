// links: container_exporter
/*
 * libFuzzer target for container_exporter's cgroup file parsers (v1 and
 * v2, container_exporter/cgparse.c): the bytes are, in turn, a single
 * value (memory.max, cpu.cfs_quota_us), a flat keyed file with the keys of
 * memory.stat and cpu.stat, cpuacct.usage_percpu, cpu.max, a v1 blkio
 * file, a v2 io.stat, /proc/<pid>/net/dev, cgroup.procs, a *.pressure file
 * and a cpuset list; then each line a cgroup path to take a container's
 * name and id from. Each parser works in place on its own copy. Built and
 * run by `make fuzz`; check_container_cgroup_corpus replays its corpus in
 * every pass.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/cpulist.h"
#include "../../common/statfile.h"
#include "../../container_exporter/cgparse.h"
#include "../../container_exporter/container.h"
#include "fuzz_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const stat_keys[] = {
	"cache", "rss", "total_rss", "pgfault", "anon", "file", "inactive_file", "kernel",
	"usage_usec", "user_usec", "nr_periods", "nr_throttled", "throttled_time", "user", "system",
	"high", "max", "oom_kill",
};
#define NKEYS (sizeof stat_keys / sizeof stat_keys[0])

/* Each parser on a fresh copy of the input (they write into it). */
static void files(const uint8_t *data, size_t size)
{
	char *s;
#define FRESH()                                  \
	do {                                     \
		free(s);                         \
		if (!(s = fuzz_cstring(data, size))) \
			return;                  \
	} while (0)
	s = NULL;
	FRESH();
	uint64_t u;
	int64_t i;
	cgp_u64(s, &u);
	cgp_i64(s, &i);

	uint64_t vals[NKEYS], found = 0;
	if (cgp_keyed(s, stat_keys, NKEYS, vals, &found) == 0 && (found >> NKEYS))
		abort(); /* only bits of wanted keys */
	FRESH();
	uint64_t list[8];
	size_t n = 0;
	if (cgp_list(s, list, 8, &n) == 0) {
		/* More than fit: the text is left as it was, so a larger array takes them all. */
		uint64_t *all = n > 8 ? malloc(n * sizeof *all) : NULL;
		size_t m = 0;
		if (all && (cgp_list(s, all, n, &m) < 0 || m != n))
			abort();
		free(all);
	}
	FRESH();
	bool limited;
	uint64_t quota, period;
	cgp_cpu_max(s, &limited, &quota, &period);
	FRESH();
	struct blk_entry blk[16];
	if (cgp_blkio(s, blk, 16, &n) == 0)
		for (size_t k = 0; k < n && k < 16; k++)
			if (strlen(blk[k].op) >= sizeof blk[k].op)
				abort();
	FRESH();
	struct io_dev io[16];
	cgp_iostat(s, io, 16, &n);
	FRESH();
	struct netif ifs[16];
	if (cgp_netdev(s, ifs, 16, &n) == 0)
		for (size_t k = 0; k < n && k < 16; k++)
			if (strlen(ifs[k].name) >= sizeof ifs[k].name)
				abort();
	FRESH();
	size_t count;
	int first;
	cgp_procs(s, &count, &first);
	FRESH();
	struct psi p;
	psi_parse(s, &p, NULL);
	FRESH();
	struct cpulist cpus;
	if (cpulist_parse(s, &cpus) == 0)
		cpulist_free(&cpus);
	free(s);
#undef FRESH
}

/* Every line as a cgroup path. */
static void paths(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstring(data, size);
	if (!s)
		return;
	struct meta m = { 0 };
	for (char *line = s, *next; line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (meta_from_path(line, &m) && strlen(m.id) >= sizeof m.id)
			abort();
		char id[65], uid[64], label[64];
		if (container_id_of(line, id) && strlen(id) != 64)
			abort(); /* cAdvisor's ids are 64 hex digits */
		k8s_pod_uid(line, uid, sizeof uid);
		sanitize_label(label, sizeof label, "container_label_", line);
	}
	meta_clear(&m);
	free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	files(data, size);
	paths(data, size);
	return 0;
}
