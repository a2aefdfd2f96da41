/*
 * perf: hardware, software and cache event counters of every CPU (or those
 * of --collector.perf.cpus) through perf_event_open(2), and kernel
 * tracepoints named by --collector.perf.tracepoint. The events are opened
 * and enabled at start-up and read on each scrape. An event the CPU or the
 * kernel does not offer (no PMU in a VM, perf_event_paranoid) is left out,
 * as upstream leaves it out; a tracepoint that cannot be opened stops the
 * program with a message naming it, as upstream refuses to start.
 */
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT */
#include <errno.h>
#include <linux/perf_event.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../../common/exporter.h"
#include "../../common/log.h"
#include "../../common/parse.h"
#include "../../common/sysfs.h"

static const char *cpus_flag;
static struct strlist tracepoint_flag, hw_flag, sw_flag, cache_flag;
static bool no_hw, no_sw, no_cache;

static struct flag perf_flags[] = {
	{ .name = "collector.perf.cpus", .type = FLAG_STRING, .dest = &cpus_flag, .def = "",
	  .help = "List of CPUs from which perf metrics should be collected (\"0-3,8\", \"0-7:2\" for every other CPU)." },
	{ .name = "collector.perf.tracepoint", .type = FLAG_LIST, .dest = &tracepoint_flag,
	  .help = "perf tracepoint that should be collected, as subsystem:event (repeatable)." },
	{ .name = "collector.perf.disable-hardware-profilers", .type = FLAG_BOOL, .dest = &no_hw, .def = "false",
	  .help = "disable perf hardware profilers" },
	{ .name = "collector.perf.hardware-profilers", .type = FLAG_LIST, .dest = &hw_flag,
	  .help = "perf hardware profilers that should be collected (repeatable; default all)." },
	{ .name = "collector.perf.disable-software-profilers", .type = FLAG_BOOL, .dest = &no_sw, .def = "false",
	  .help = "disable perf software profilers" },
	{ .name = "collector.perf.software-profilers", .type = FLAG_LIST, .dest = &sw_flag,
	  .help = "perf software profilers that should be collected (repeatable; default all)." },
	{ .name = "collector.perf.disable-cache-profilers", .type = FLAG_BOOL, .dest = &no_cache, .def = "false",
	  .help = "disable perf cache profilers" },
	{ .name = "collector.perf.cache-profilers", .type = FLAG_LIST, .dest = &cache_flag,
	  .help = "perf cache profilers that should be collected (repeatable; default all)." },
};

#define CACHE(cache, op, result) \
	((PERF_COUNT_HW_CACHE_##cache) | (PERF_COUNT_HW_CACHE_OP_##op << 8) | (PERF_COUNT_HW_CACHE_RESULT_##result << 16))

enum perf_group { PERF_HW, PERF_SW, PERF_CACHE };

/* The events upstream exports, by the names its profiler flags take. */
static const struct perf_event_def {
	enum perf_group group;
	const char *flag_name; /* --collector.perf.*-profilers value */
	uint32_t type;
	uint64_t config;
	const char *metric, *help;
} perf_events[] = {
	{ PERF_HW, "CpuCycles", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES, "cpucycles_total",
	  "CPU cycles (frequency scaled)." },
	{ PERF_HW, "CpuInstr", PERF_TYPE_HARDWARE, PERF_COUNT_HW_INSTRUCTIONS, "instructions_total",
	  "Instructions retired." },
	{ PERF_HW, "BranchInstr", PERF_TYPE_HARDWARE, PERF_COUNT_HW_BRANCH_INSTRUCTIONS, "branch_instructions_total",
	  "Branch instructions retired." },
	{ PERF_HW, "BranchMisses", PERF_TYPE_HARDWARE, PERF_COUNT_HW_BRANCH_MISSES, "branch_misses_total",
	  "Mispredicted branches." },
	{ PERF_HW, "CacheRef", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CACHE_REFERENCES, "cache_refs_total",
	  "Cache references (not frequency scaled)." },
	{ PERF_HW, "CacheMisses", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CACHE_MISSES, "cache_misses_total", "Cache misses." },
	{ PERF_HW, "RefCpuCycles", PERF_TYPE_HARDWARE, PERF_COUNT_HW_REF_CPU_CYCLES, "ref_cpucycles_total",
	  "CPU cycles at the reference frequency." },
	{ PERF_HW, "StalledCyclesBackend", PERF_TYPE_HARDWARE, PERF_COUNT_HW_STALLED_CYCLES_BACKEND,
	  "stalled_cycles_backend_total", "Cycles stalled in the back end." },
	{ PERF_HW, "StalledCyclesFrontend", PERF_TYPE_HARDWARE, PERF_COUNT_HW_STALLED_CYCLES_FRONTEND,
	  "stalled_cycles_frontend_total", "Cycles stalled in the front end." },
	{ PERF_SW, "PageFault", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS, "page_faults_total", "Page faults." },
	{ PERF_SW, "ContextSwitch", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CONTEXT_SWITCHES, "context_switches_total",
	  "Context switches." },
	{ PERF_SW, "CpuMigration", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_MIGRATIONS, "cpu_migrations_total",
	  "Migrations of tasks to another CPU." },
	{ PERF_SW, "MinorFault", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS_MIN, "minor_faults_total",
	  "Minor page faults." },
	{ PERF_SW, "MajorFault", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS_MAJ, "major_faults_total",
	  "Major page faults." },
	{ PERF_CACHE, "L1DataReadHit", PERF_TYPE_HW_CACHE, CACHE(L1D, READ, ACCESS), "cache_l1d_read_hits_total",
	  "L1 data cache read hits." },
	{ PERF_CACHE, "L1DataReadMiss", PERF_TYPE_HW_CACHE, CACHE(L1D, READ, MISS), "cache_l1d_read_misses_total",
	  "L1 data cache read misses." },
	{ PERF_CACHE, "L1DataWriteHit", PERF_TYPE_HW_CACHE, CACHE(L1D, WRITE, ACCESS), "cache_l1d_write_hits_total",
	  "L1 data cache write hits." },
	{ PERF_CACHE, "L1InstrReadMiss", PERF_TYPE_HW_CACHE, CACHE(L1I, READ, MISS), "cache_l1_instr_read_misses_total",
	  "L1 instruction cache read misses." },
	{ PERF_CACHE, "InstrTLBReadHit", PERF_TYPE_HW_CACHE, CACHE(ITLB, READ, ACCESS), "cache_tlb_instr_read_hits_total",
	  "Instruction TLB read hits." },
	{ PERF_CACHE, "InstrTLBReadMiss", PERF_TYPE_HW_CACHE, CACHE(ITLB, READ, MISS),
	  "cache_tlb_instr_read_misses_total", "Instruction TLB read misses." },
	{ PERF_CACHE, "DataTLBReadHit", PERF_TYPE_HW_CACHE, CACHE(DTLB, READ, ACCESS), "cache_tlb_data_read_hits_total",
	  "Data TLB read hits." },
	{ PERF_CACHE, "DataTLBReadMiss", PERF_TYPE_HW_CACHE, CACHE(DTLB, READ, MISS), "cache_tlb_data_read_misses_total",
	  "Data TLB read misses." },
	{ PERF_CACHE, "DataTLBWriteHit", PERF_TYPE_HW_CACHE, CACHE(DTLB, WRITE, ACCESS),
	  "cache_tlb_data_write_hits_total", "Data TLB write hits." },
	{ PERF_CACHE, "DataTLBWriteMiss", PERF_TYPE_HW_CACHE, CACHE(DTLB, WRITE, MISS),
	  "cache_tlb_data_write_misses_total", "Data TLB write misses." },
	{ PERF_CACHE, "LLReadHit", PERF_TYPE_HW_CACHE, CACHE(LL, READ, ACCESS), "cache_ll_read_hits_total",
	  "Last level cache read hits." },
	{ PERF_CACHE, "LLReadMiss", PERF_TYPE_HW_CACHE, CACHE(LL, READ, MISS), "cache_ll_read_misses_total",
	  "Last level cache read misses." },
	{ PERF_CACHE, "LLWriteHit", PERF_TYPE_HW_CACHE, CACHE(LL, WRITE, ACCESS), "cache_ll_write_hits_total",
	  "Last level cache write hits." },
	{ PERF_CACHE, "LLWriteMiss", PERF_TYPE_HW_CACHE, CACHE(LL, WRITE, MISS), "cache_ll_write_misses_total",
	  "Last level cache write misses." },
	{ PERF_CACHE, "BPUReadHit", PERF_TYPE_HW_CACHE, CACHE(BPU, READ, ACCESS), "cache_bpu_read_hits_total",
	  "Branch prediction unit read hits." },
	{ PERF_CACHE, "BPUReadMiss", PERF_TYPE_HW_CACHE, CACHE(BPU, READ, MISS), "cache_bpu_read_misses_total",
	  "Branch prediction unit read misses." },
};
#define PERF_NEVENTS (sizeof perf_events / sizeof perf_events[0])

/* An opened counter: one event on one CPU. */
struct perf_counter {
	const struct perf_event_def *def;
	int cpu, fd;
};

/* A tracepoint group on one CPU: the leader's descriptor reads all of them. */
struct perf_tp_group {
	int cpu;
	int *fds; /* ntp, fds[0] the leader */
};

struct perf_state {
	struct perf_counter *counters;
	size_t ncounters;
	size_t ntp; /* tracepoints */
	char (*tp_names)[256]; /* "subsystem:event" */
	struct perf_tp_group *groups;
	size_t ngroups;
	uint64_t *tp_buf;
};

static long perf_open(struct perf_event_attr *attr, int cpu, int group_fd)
{
	return syscall(SYS_perf_event_open, attr, -1, cpu, group_fd, 0UL);
}

static void perf_fini(void *state)
{
	struct perf_state *st = state;
	if (!st)
		return;
	for (size_t i = 0; i < st->ncounters; i++)
		close(st->counters[i].fd);
	for (size_t g = 0; g < st->ngroups; g++) {
		for (size_t i = 0; i < st->ntp && st->groups[g].fds; i++)
			if (st->groups[g].fds[i] >= 0)
				close(st->groups[g].fds[i]);
		free(st->groups[g].fds);
	}
	free(st->groups);
	free(st->counters);
	free(st->tp_names);
	free(st->tp_buf);
	free(st);
}

/* Atoi as Go's: optional sign, decimal digits. */
static int go_atoi(const char *s, long *out)
{
	int64_t v;
	if (*s == '+')
		s++;
	if (parse_i64(s, &v) < 0 || v < -2147483648LL || v > 2147483647LL)
		return -1;
	*out = (long)v;
	return 0;
}

/* --collector.perf.cpus: "2", "0-3", "0-7:2", comma-separated. Returns the count or -1. */
static long parse_cpus(const char *text, int *cpus, size_t cap)
{
	char buf[1024];
	if (strf(buf, sizeof buf, "%s", text) >= (int)sizeof buf)
		return -1;
	size_t n = 0;
	char *items[256];
	size_t ni = split_on(buf, ',', items, 256);
	if (ni > 256)
		return -1;
	for (size_t i = 0; i < ni; i++) {
		char *dash = strchr(items[i], '-');
		long a, b, stride = 1;
		if (!dash) {
			if (go_atoi(items[i], &a) < 0 || n == cap)
				return -1;
			cpus[n++] = (int)a;
			continue;
		}
		char *colon = strchr(items[i], ':');
		if (colon) {
			*colon = '\0';
			if (strchr(colon + 1, ':') || go_atoi(colon + 1, &stride) < 0)
				return -1;
		}
		dash = strchr(items[i], '-');
		if (!dash || strchr(dash + 1, '-'))
			return -1;
		*dash = '\0';
		if (go_atoi(items[i], &a) < 0 || go_atoi(dash + 1, &b) < 0 || stride <= 0)
			return -1;
		for (long c = a; c <= b; c += stride) {
			if (n == cap)
				return -1;
			cpus[n++] = (int)c;
		}
	}
	return (long)n;
}

/* Which events of a group the flag selects (all when the flag is empty or names none we know). */
static void select_group(enum perf_group group, const struct strlist *names, const char *what, bool *on)
{
	bool any = false;
	for (size_t i = 0; i < names->n; i++) {
		bool known = false;
		for (size_t k = 0; k < PERF_NEVENTS; k++)
			if (perf_events[k].group == group && !strcmp(names->items[i], perf_events[k].flag_name))
				on[k] = known = any = true;
		if (!known)
			log_error("Unknown perf profiler", "collector", "perf", "kind", what, "profiler",
				  names->items[i], NULL);
	}
	if (!any)
		for (size_t k = 0; k < PERF_NEVENTS; k++)
			if (perf_events[k].group == group)
				on[k] = true;
}

/* The mount point of tracefs from /proc/mounts (the host's kernel, whatever --path.procfs says). */
static int tracefs_mount(char *dst, size_t cap)
{
	struct buf b;
	buf_init(&b, 16u << 20);
	int rc = read_whole("/proc/mounts", &b);
	if (rc < 0) {
		buf_free(&b);
		return rc;
	}
	rc = -ENOENT;
	for (char *cur = b.data, *line; (line = next_line(&cur));) {
		char *f[4];
		if (split_on(line, ' ', f, 4) >= 4 && !strcmp(f[2], "tracefs")) {
			strf(dst, cap, "%s", f[1]);
			rc = 0;
			break;
		}
	}
	buf_free(&b);
	return rc;
}

static int open_tracepoints(struct perf_state *st, const int *cpus, size_t ncpus, char *err, size_t errlen)
{
	st->ntp = tracepoint_flag.n;
	char mount[4096];
	int rc = tracefs_mount(mount, sizeof mount);
	if (rc < 0) {
		strf(err, errlen, "--collector.perf.tracepoint needs tracefs mounted: %s", strerror(-rc));
		return -1;
	}
	struct perf_event_attr *attrs = calloc(st->ntp, sizeof *attrs);
	st->tp_names = calloc(st->ntp, sizeof *st->tp_names);
	st->tp_buf = calloc(3 + st->ntp, sizeof *st->tp_buf);
	st->groups = calloc(ncpus, sizeof *st->groups);
	if (!attrs || !st->tp_names || !st->tp_buf || !st->groups) {
		free(attrs);
		strf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < st->ntp; i++) {
		const char *tp = tracepoint_flag.items[i], *colon = strchr(tp, ':');
		if (!colon || strchr(colon + 1, ':')) {
			free(attrs);
			strf(err, errlen, "invalid tracepoint config %s (want subsystem:event)", tp);
			return -1;
		}
		strf(st->tp_names[i], sizeof st->tp_names[i], "%s", tp);
		char path[4096], id[64];
		uint64_t config;
		strf(path, sizeof path, "%s/events/%.*s/%s/id", mount, (int)(colon - tp), tp, colon + 1);
		ssize_t n = read_small(path, id, sizeof id);
		if (n < 0 || parse_u64(trim(id), &config) < 0) {
			free(attrs);
			strf(err, errlen, "failed to get tracepoint config for %s: %s", tp,
			     n < 0 ? strerror((int)-n) : "not a number");
			return -1;
		}
		attrs[i] = (struct perf_event_attr){
			.type = PERF_TYPE_TRACEPOINT, .size = sizeof attrs[i], .config = config,
			.sample_type = PERF_SAMPLE_IDENTIFIER, .exclude_hv = 1,
			.read_format = PERF_FORMAT_TOTAL_TIME_ENABLED | PERF_FORMAT_TOTAL_TIME_RUNNING | PERF_FORMAT_GROUP,
		};
	}
	for (size_t c = 0; c < ncpus; c++) {
		struct perf_tp_group *g = &st->groups[st->ngroups];
		if (!(g->fds = malloc(st->ntp * sizeof *g->fds))) {
			free(attrs);
			strf(err, errlen, "out of memory");
			return -1;
		}
		for (size_t i = 0; i < st->ntp; i++)
			g->fds[i] = -1;
		g->cpu = cpus[c];
		st->ngroups++;
		for (size_t i = 0; i < st->ntp; i++) {
			attrs[i].disabled = i == 0; /* the leader starts the group */
			long fd = perf_open(&attrs[i], cpus[c], i ? g->fds[0] : -1);
			if (fd < 0) {
				int e = errno;
				free(attrs);
				strf(err, errlen, "failed to open tracepoint %s on CPU %d: %s", st->tp_names[i],
				     cpus[c], strerror(e));
				return -1;
			}
			g->fds[i] = (int)fd;
		}
		if (ioctl(g->fds[0], PERF_EVENT_IOC_ENABLE, PERF_IOC_FLAG_GROUP) < 0) {
			int e = errno;
			free(attrs);
			strf(err, errlen, "failed to start tracepoints on CPU %d: %s", cpus[c], strerror(e));
			return -1;
		}
	}
	free(attrs);
	return 0;
}

static int perf_init(void **state, char *err, size_t errlen)
{
	struct perf_state *st = calloc(1, sizeof *st);
	if (!st) {
		strf(err, errlen, "out of memory");
		return -1;
	}
	*state = st;
	int cpus[4096];
	long ncpus;
	if (cpus_flag && *cpus_flag) {
		if ((ncpus = parse_cpus(cpus_flag, cpus, sizeof cpus / sizeof cpus[0])) < 0) {
			strf(err, errlen, "invalid --collector.perf.cpus value \"%s\"", cpus_flag);
			goto fail;
		}
	} else {
		/* Go's runtime.NumCPU(): the CPUs this process may run on, numbered from 0. */
		cpu_set_t set;
		ncpus = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : sysconf(_SC_NPROCESSORS_ONLN);
		if (ncpus > (long)(sizeof cpus / sizeof cpus[0]))
			ncpus = sizeof cpus / sizeof cpus[0];
		for (long i = 0; i < ncpus; i++)
			cpus[i] = (int)i;
	}
	if (tracepoint_flag.n && open_tracepoints(st, cpus, (size_t)ncpus, err, errlen) < 0)
		goto fail;

	bool on[PERF_NEVENTS] = { false };
	if (!no_hw)
		select_group(PERF_HW, &hw_flag, "hardware", on);
	if (!no_sw)
		select_group(PERF_SW, &sw_flag, "software", on);
	if (!no_cache)
		select_group(PERF_CACHE, &cache_flag, "cache", on);
	if (!(st->counters = calloc((size_t)ncpus * PERF_NEVENTS, sizeof *st->counters))) {
		strf(err, errlen, "out of memory");
		goto fail;
	}
	size_t wanted = 0;
	int last_errno = 0;
	for (long c = 0; c < ncpus; c++)
		for (size_t k = 0; k < PERF_NEVENTS; k++) {
			if (!on[k])
				continue;
			wanted++;
			struct perf_event_attr attr = {
				.type = perf_events[k].type, .size = sizeof attr, .config = perf_events[k].config,
				.sample_type = PERF_SAMPLE_IDENTIFIER, .disabled = 1, .exclude_hv = 1, .inherit = 1,
				.read_format = PERF_FORMAT_TOTAL_TIME_ENABLED | PERF_FORMAT_TOTAL_TIME_RUNNING,
			};
			long fd = perf_open(&attr, cpus[c], -1);
			if (fd < 0) {
				last_errno = errno;
				continue; /* not offered here: left out, as upstream */
			}
			if (ioctl((int)fd, PERF_EVENT_IOC_ENABLE, 0) < 0) {
				int e = errno;
				close((int)fd);
				strf(err, errlen, "failed to start %s on CPU %d: %s", perf_events[k].flag_name,
				     cpus[c], strerror(e));
				goto fail;
			}
			st->counters[st->ncounters++] = (struct perf_counter){ &perf_events[k], cpus[c], (int)fd };
		}
	if (wanted && st->ncounters < wanted) {
		char opened[32], total[32];
		strf(opened, sizeof opened, "%zu", st->ncounters);
		strf(total, sizeof total, "%zu", wanted);
		log_warn("perf events not available on this host are left out", "collector", "perf", "opened",
			 opened, "wanted", total, "err", strerror(last_errno), NULL);
	}
	return 0;
fail:
	perf_fini(st);
	*state = NULL;
	return -1;
}

static int perf_collect(struct scrape *s, struct expo *e)
{
	struct perf_state *st = s->state;
	for (size_t i = 0; i < st->ncounters; i++) {
		const struct perf_counter *c = &st->counters[i];
		uint64_t v[3];
		ssize_t n = read(c->fd, v, sizeof v);
		if (n != (ssize_t)sizeof v)
			return scrape_fail(s, "reading perf event %s on CPU %d: %s", c->def->flag_name, c->cpu,
					   n < 0 ? strerror(errno) : "short read");
		char name[96], cpu[24];
		strf(name, sizeof name, "node_perf_%s", c->def->metric);
		strf(cpu, sizeof cpu, "%d", c->cpu);
		struct family *f = expo_family(e, name, METRIC_COUNTER, c->def->help, (const char *const[]){ "cpu", NULL });
		expo_sample(e, f, (double)v[0], cpu);
	}
	for (size_t g = 0; g < st->ngroups; g++) {
		const struct perf_tp_group *grp = &st->groups[g];
		size_t want = (3 + st->ntp) * sizeof *st->tp_buf;
		ssize_t n = read(grp->fds[0], st->tp_buf, want);
		if (n != (ssize_t)want)
			return scrape_fail(s, "reading perf tracepoints on CPU %d: %s", grp->cpu,
					   n < 0 ? strerror(errno) : "short read");
		char cpu[24];
		strf(cpu, sizeof cpu, "%d", grp->cpu);
		for (size_t i = 0; i < st->ntp; i++) {
			char name[300], help[300], sanitized[280];
			strf(help, sizeof help, "Perf tracepoint %s", st->tp_names[i]);
			strf(sanitized, sizeof sanitized, "%s", st->tp_names[i]);
			*strchr(sanitized, ':') = '_';
			strf(name, sizeof name, "node_perf_%s", sanitized);
			struct family *f = expo_family(e, name, METRIC_COUNTER, help, (const char *const[]){ "cpu", NULL });
			expo_sample(e, f, (double)st->tp_buf[3 + i], cpu);
		}
	}
	return COLLECT_OK;
}

const struct collector_def collector_perf = {
	.name = "perf",
	.default_enabled = false,
	.flags = perf_flags,
	.nflags = sizeof perf_flags / sizeof perf_flags[0],
	.init = perf_init,
	.collect = perf_collect,
	.fini = perf_fini,
};
