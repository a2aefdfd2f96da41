/*
 * cpu: time per CPU and mode from /proc/stat (ticks of USER_HZ), guest time,
 * thermal throttle counters, isolated and online CPUs from sysfs, and with
 * --collector.cpu.info the /proc/cpuinfo description of each CPU.
 *
 * Counters are kept monotonic per CPU as upstream does: a value that goes
 * backwards keeps the previous one, except that idle time jumping back by 3 s
 * or more (a CPU unplugged and plugged again) starts the CPU afresh.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../common/cpulist.h"
#include "../../common/exporter.h"
#include "../../common/fsread.h"
#include "../../common/hostfs.h"
#include "../../common/log.h"
#include "../../common/parse.h"
#include "../../common/rx.h"
#include "../../common/sysfs.h"

static bool guest_flag, info_flag;
static const char *flags_include, *bugs_include;

static struct flag cpu_flags[] = {
	{ .name = "collector.cpu.guest", .type = FLAG_BOOL, .dest = &guest_flag, .def = "true",
	  .help = "Enables metric node_cpu_guest_seconds_total" },
	{ .name = "collector.cpu.info", .type = FLAG_BOOL, .dest = &info_flag, .def = "false",
	  .help = "Enables metric cpu_info" },
	{ .name = "collector.cpu.info.flags-include", .type = FLAG_STRING, .dest = &flags_include,
	  .help = "Filter the `flags` field in cpuInfo with a value that must be a regular expression" },
	{ .name = "collector.cpu.info.bugs-include", .type = FLAG_STRING, .dest = &bugs_include,
	  .help = "Filter the `bugs` field in cpuInfo with a value that must be a regular expression" },
};

#define NMODES 10 /* user nice system idle iowait irq softirq steal guest guest_nice */
#define IDLE 3
#define JUMP_BACK_SECONDS 3.0

struct cpu_times {
	long id;
	unsigned gen;
	double v[NMODES];
};

/* One processor of /proc/cpuinfo; strings point into the read buffer. */
struct cpuinfo {
	unsigned long processor;
	const char *vendor, *family, *model, *model_name, *stepping, *microcode, *cache_size,
		*physical_id, *core_id;
	double mhz;
};

struct cpu_state {
	bool info;
	double user_hz;
	struct rx *flags_rx, *bugs_rx;
	bool have_isolated;
	struct cpulist isolated;
	struct cpu_times *cpus; /* sorted by id */
	size_t ncpus, cap;
	unsigned gen;
	struct cpuinfo *infos; /* reused between scrapes */
	size_t infocap;
};

static void cpu_fini(void *state)
{
	struct cpu_state *st = state;
	if (!st)
		return;
	rx_free(st->flags_rx);
	rx_free(st->bugs_rx);
	cpulist_free(&st->isolated);
	free(st->cpus);
	free(st->infos);
	free(st);
}

static int cpu_setup(struct cpu_state *st, char *err, size_t errlen)
{
	long hz = sysconf(_SC_CLK_TCK);
	st->user_hz = hz > 0 ? (double)hz : 100.0;
	st->info = info_flag;
	if ((flags_include[0] || bugs_include[0]) && !info_flag) {
		st->info = true;
		log_info("--collector.cpu.info has been set to `true` because you set the following flags, like --collector.cpu.info.flags-include and --collector.cpu.info.bugs-include",
			 NULL);
	}
	char rxerr[300];
	if (flags_include[0] && !(st->flags_rx = rx_compile(flags_include, rxerr, sizeof rxerr))) {
		strf(err, errlen, "invalid --collector.cpu.info.flags-include: %s", rxerr);
		return -1;
	}
	if (bugs_include[0] && !(st->bugs_rx = rx_compile(bugs_include, rxerr, sizeof rxerr))) {
		strf(err, errlen, "invalid --collector.cpu.info.bugs-include: %s", rxerr);
		return -1;
	}

	/* Isolated CPUs are fixed at boot (isolcpus=), so upstream reads them once. */
	char path[4096];
	if (sys_path(path, sizeof path, "devices/system/cpu/isolated") < 0) {
		strf(err, errlen, "path too long");
		return -1;
	}
	struct buf b;
	buf_init(&b, 1 << 20);
	int rc = read_whole(path, &b);
	if (rc == -ENOENT) {
		log_debug("couldn't open isolated file", "path", path, NULL);
	} else if (rc < 0) {
		strf(err, errlen, "unable to get isolated cpus: %s: %s", path, strerror(-rc));
		buf_free(&b);
		return -1;
	} else {
		int prc = cpulist_parse(b.data, &st->isolated);
		if (prc < 0) {
			strf(err, errlen, "unable to get isolated cpus: %s in %s",
			     prc == -2 ? "out of memory" : "invalid cpu list", path);
			buf_free(&b);
			return -1;
		}
		st->have_isolated = true;
	}
	buf_free(&b);
	return 0;
}

static int cpu_init(void **state, char *err, size_t errlen)
{
	struct cpu_state *st = calloc(1, sizeof *st);
	if (!st) {
		strf(err, errlen, "out of memory");
		return -1;
	}
	if (cpu_setup(st, err, errlen) < 0) {
		cpu_fini(st);
		return -1;
	}
	*state = st;
	return 0;
}

/* Go's strconv.ParseUint(s, 0, 32) as procfs uses it for counts in cpuinfo. */
static int parse_uint_base0(const char *s, unsigned long *out)
{
	uint64_t v;
	int rc;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		rc = parse_hex_u64(s, &v) < 0 || !s[2] ? -1 : 0;
	else if (s[0] == '0' && s[1]) {
		v = 0;
		rc = 0;
		for (const char *p = s + 1; *p && !rc; p++) {
			if (*p < '0' || *p > '7' || v > UINT32_MAX)
				rc = -1;
			v = v * 8 + (uint64_t)(*p - '0');
		}
	} else
		rc = parse_u64(s, &v);
	if (rc < 0 || v > UINT32_MAX)
		return -1;
	*out = (unsigned long)v;
	return 0;
}

static bool cpufreq_enabled(const struct scrape *s)
{
	const struct exporter *x = s->rq ? s->rq->x : NULL;
	for (size_t i = 0; x && x->inst && i < x->ninst; i++)
		if (strcmp(x->inst[i].def->name, "cpufreq") == 0)
			return x->inst[i].enabled;
	return false;
}

/* The words of a flags/bugs value that the filter lets through, as *_info series. */
static void emit_words(struct expo *e, const char *name, const char *label, const char *help,
		       const struct rx *filter, char *words)
{
	if (!filter || !words)
		return;
	struct family *f = expo_family(e, name, METRIC_GAUGE, help,
				       (const char *const[]){ label, NULL });
	char *w = words;
	for (;;) {
		while (*w == ' ' || *w == '\t')
			w++;
		if (!*w)
			break;
		char *end = w;
		while (*end && *end != ' ' && *end != '\t')
			end++;
		char saved = *end;
		*end = '\0';
		if (rx_match(filter, w))
			expo_sample(e, f, 1, w);
		*end = saved;
		w = end;
	}
}

static int update_info(struct scrape *s, struct cpu_state *st, struct expo *e)
{
	char path[4096];
	if (proc_path(path, sizeof path, "cpuinfo") < 0)
		return scrape_fail(s, "path too long");
	char *text;
	int rc = collect_read_required(s, path, &text);
	if (rc != COLLECT_OK)
		return rc;

	size_t n = 0;
	char *first_flags = NULL, *first_bugs = NULL;
	char *cur = text, *line;
	bool started = false;
	while ((line = next_line(&cur))) {
		if (!started) {
			if (!*trim(line))
				continue;
			if (!has_prefix(line, "processor") || !strchr(line, ':'))
				return scrape_fail(s, "%s: cannot parse line '%.60s'", path, line);
		}
		char *sep = strstr(line, ": ");
		if (!sep) {
			if (!started)
				return scrape_fail(s, "%s: cannot parse line '%.60s'", path, line);
			continue;
		}
		*sep = '\0';
		char *key = trim(line), *val = sep + 2;
		if (!started || strcmp(key, "processor") == 0) {
			if (n == st->infocap) {
				size_t cap = st->infocap ? st->infocap * 2 : 16;
				struct cpuinfo *p = realloc(st->infos, cap * sizeof *p);
				if (!p)
					return scrape_fail(s, "out of memory");
				st->infos = p;
				st->infocap = cap;
			}
			st->infos[n] = (struct cpuinfo){ .vendor = "", .family = "", .model = "",
							 .model_name = "", .stepping = "", .microcode = "",
							 .cache_size = "", .physical_id = "", .core_id = "" };
			if (parse_uint_base0(val, &st->infos[n].processor) < 0)
				return scrape_fail(s, "%s: invalid processor number '%s'", path, val);
			n++;
			started = true;
			continue;
		}
		struct cpuinfo *c = &st->infos[n - 1];
		if (!strcmp(key, "vendor") || !strcmp(key, "vendor_id"))
			c->vendor = val;
		else if (!strcmp(key, "cpu family"))
			c->family = val;
		else if (!strcmp(key, "model"))
			c->model = val;
		else if (!strcmp(key, "model name"))
			c->model_name = val;
		else if (!strcmp(key, "stepping"))
			c->stepping = val;
		else if (!strcmp(key, "microcode"))
			c->microcode = val;
		else if (!strcmp(key, "cache size"))
			c->cache_size = val;
		else if (!strcmp(key, "physical id"))
			c->physical_id = val;
		else if (!strcmp(key, "core id"))
			c->core_id = val;
		else if (!strcmp(key, "cpu MHz")) {
			if (parse_double(val, &c->mhz) < 0)
				return scrape_fail(s, "%s: invalid cpu MHz '%s'", path, val);
		} else if (!strcmp(key, "bogomips")) {
			double d;
			if (parse_double(val, &d) < 0)
				return scrape_fail(s, "%s: invalid bogomips '%s'", path, val);
		} else if (!strcmp(key, "siblings") || !strcmp(key, "cpu cores") ||
			   !strcmp(key, "cpuid level") || !strcmp(key, "clflush size") ||
			   !strcmp(key, "cache_alignment")) {
			unsigned long u;
			if (parse_uint_base0(val, &u) < 0)
				return scrape_fail(s, "%s: invalid %s '%s'", path, key, val);
		} else if (n == 1 && !strcmp(key, "flags"))
			first_flags = val;
		else if (n == 1 && !strcmp(key, "bugs"))
			first_bugs = val;
	}
	if (!started)
		return scrape_fail(s, "%s: cannot parse line ''", path);

	struct family *fi = expo_family(
		e, "node_cpu_info", METRIC_GAUGE, "Description of each CPU from /proc/cpuinfo.",
		(const char *const[]){ "package", "core", "cpu", "vendor", "family", "model",
				       "model_name", "microcode", "stepping", "cachesize", NULL });
	bool freq = cpufreq_enabled(s);
	struct family *ff = freq ? expo_family(e, "node_cpu_frequency_hertz", METRIC_GAUGE,
					       "CPU clock from /proc/cpuinfo, in hertz.",
					       (const char *const[]){ "package", "core", "cpu", NULL })
				 : NULL;
	for (size_t i = 0; i < n; i++) {
		const struct cpuinfo *c = &st->infos[i];
		char num[24];
		strf(num, sizeof num, "%lu", c->processor);
		expo_sample(e, fi, 1, c->physical_id, c->core_id, num, c->vendor, c->family, c->model,
			    c->model_name, c->microcode, c->stepping, c->cache_size);
		if (ff)
			expo_sample(e, ff, c->mhz * 1e6, c->physical_id, c->core_id, num);
	}
	emit_words(e, "node_cpu_flag_info", "flag",
		   "CPU flags of the first CPU in /proc/cpuinfo that match --collector.cpu.info.flags-include.",
		   st->flags_rx, first_flags);
	emit_words(e, "node_cpu_bug_info", "bug",
		   "CPU bugs of the first CPU in /proc/cpuinfo that match --collector.cpu.info.bugs-include.",
		   st->bugs_rx, first_bugs);
	return COLLECT_OK;
}

/* Index of CPU id in the sorted cache, inserting a zeroed entry if new. */
static struct cpu_times *cpu_slot(struct cpu_state *st, long id)
{
	size_t lo = 0, hi = st->ncpus;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (st->cpus[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < st->ncpus && st->cpus[lo].id == id)
		return &st->cpus[lo];
	if (st->ncpus == st->cap) {
		size_t cap = st->cap ? st->cap * 2 : 16;
		struct cpu_times *p = realloc(st->cpus, cap * sizeof *p);
		if (!p)
			return NULL;
		st->cpus = p;
		st->cap = cap;
	}
	memmove(&st->cpus[lo + 1], &st->cpus[lo], (st->ncpus - lo) * sizeof *st->cpus);
	st->ncpus++;
	st->cpus[lo] = (struct cpu_times){ .id = id };
	return &st->cpus[lo];
}

static void merge_times(struct cpu_times *old, const double *now)
{
	if (old->v[IDLE] - now[IDLE] >= JUMP_BACK_SECONDS) {
		char id[24];
		strf(id, sizeof id, "%ld", old->id);
		log_debug("CPU Idle counter jumped backwards more than 3 seconds, possible hotplug event, resetting CPU stats",
			  "cpu", id, NULL);
		memset(old->v, 0, sizeof old->v);
	}
	for (int m = 0; m < NMODES; m++)
		if (now[m] >= old->v[m])
			old->v[m] = now[m];
}

static int update_stat(struct scrape *s, struct cpu_state *st, struct expo *e)
{
	char path[4096];
	if (proc_path(path, sizeof path, "stat") < 0)
		return scrape_fail(s, "path too long");
	char *text;
	int rc = collect_read_required(s, path, &text);
	if (rc != COLLECT_OK)
		return rc;

	unsigned gen = ++st->gen;
	char *cur = text, *line;
	while ((line = next_line(&cur))) {
		if (line[0] != 'c' || line[1] != 'p' || line[2] != 'u')
			continue;
		char *f[12];
		size_t nf = split_fields(line, f, 12);
		if (nf < 2)
			continue;
		double v[NMODES] = { 0 };
		size_t nv = nf - 1 < NMODES ? nf - 1 : NMODES;
		for (size_t i = 0; i < nv; i++) {
			if (parse_double(f[1 + i], &v[i]) < 0)
				return scrape_fail(s, "invalid value '%s' for %s in %s", f[1 + i], f[0], path);
			v[i] /= st->user_hz;
		}
		if (f[0][3] == '\0') /* the sum over all CPUs */
			continue;
		int64_t id;
		if (parse_i64(f[0] + 3, &id) < 0)
			return scrape_fail(s, "invalid cpu line '%s' in %s", f[0], path);
		if (id < 0 || id > CPULIST_MAX_ID)
			continue;
		struct cpu_times *c = cpu_slot(st, (long)id);
		if (!c)
			return scrape_fail(s, "out of memory");
		merge_times(c, v);
		c->gen = gen;
	}
	/* CPUs gone offline are forgotten. */
	size_t out = 0;
	for (size_t i = 0; i < st->ncpus; i++)
		if (st->cpus[i].gen == gen)
			st->cpus[out++] = st->cpus[i];
	st->ncpus = out;

	static const char *const modes[] = { "user", "nice", "system", "idle",
					     "iowait", "irq", "softirq", "steal" };
	struct family *fs = expo_family(e, "node_cpu_seconds_total", METRIC_COUNTER,
					"Seconds each CPU spent in each mode.",
					(const char *const[]){ "cpu", "mode", NULL });
	struct family *fg =
		guest_flag ? expo_family(e, "node_cpu_guest_seconds_total", METRIC_COUNTER,
					 "Seconds each CPU spent running guests (VMs), also counted in user and nice.",
					 (const char *const[]){ "cpu", "mode", NULL })
			   : NULL;
	for (size_t i = 0; i < st->ncpus; i++) {
		char id[24];
		strf(id, sizeof id, "%ld", st->cpus[i].id);
		for (int m = 0; m < 8; m++)
			expo_sample(e, fs, st->cpus[i].v[m], id, modes[m]);
		if (fg) {
			expo_sample(e, fg, st->cpus[i].v[8], id, "user");
			expo_sample(e, fg, st->cpus[i].v[9], id, "nice");
		}
	}
	return COLLECT_OK;
}

/* cpu[0-9]* as upstream's glob, in its (byte) order. */
static bool is_cpu_dir(const char *name)
{
	return name[0] == 'c' && name[1] == 'p' && name[2] == 'u' && name[3] >= '0' && name[3] <= '9';
}

struct throttle {
	uint64_t package, core, count;
};

static int add_throttle(struct throttle **arr, size_t *n, size_t *cap, struct throttle t)
{
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 16;
		struct throttle *p = realloc(*arr, c * sizeof *p);
		if (!p)
			return -1;
		*arr = p;
		*cap = c;
	}
	(*arr)[(*n)++] = t;
	return 0;
}

static int update_sysfs(struct scrape *s, struct expo *e)
{
	char dir[4096], path[4200];
	if (sys_path(dir, sizeof dir, "devices/system/cpu") < 0)
		return scrape_fail(s, "path too long");
	struct dirlist dl;
	int rc = scrape_dirlist(s, dir, &dl);
	if (rc < 0 && rc != -ENOENT)
		return scrape_fail(s, "couldn't list %s: %s", dir, strerror(-rc));
	if (rc == -ENOENT)
		dl = (struct dirlist){ 0 };

	struct throttle *pkgs = NULL, *cores = NULL;
	size_t npkgs = 0, pkgcap = 0, ncores = 0, corecap = 0;
	int result = COLLECT_OK;
	for (size_t i = 0; i < dl.n && result == COLLECT_OK; i++) {
		const char *cpu = dl.names[i];
		if (!is_cpu_dir(cpu))
			continue;
		uint64_t pkg, core, count;
		strf(path, sizeof path, "%s/%s/topology/physical_package_id", dir, cpu);
		if (sysfs_read_uint(s, path, &pkg) < 0)
			continue;
		strf(path, sizeof path, "%s/%s/topology/core_id", dir, cpu);
		if (sysfs_read_uint(s, path, &core) < 0)
			continue;
		/* Core throttles first: some CPUs report those without package ones. */
		bool seen = false;
		for (size_t k = 0; k < ncores && !seen; k++)
			seen = cores[k].package == pkg && cores[k].core == core;
		strf(path, sizeof path, "%s/%s/thermal_throttle/core_throttle_count", dir, cpu);
		if (!seen && sysfs_read_uint(s, path, &count) == 0 &&
		    add_throttle(&cores, &ncores, &corecap, (struct throttle){ pkg, core, count }) < 0)
			result = scrape_fail(s, "out of memory");
		seen = false;
		for (size_t k = 0; k < npkgs && !seen; k++)
			seen = pkgs[k].package == pkg;
		strf(path, sizeof path, "%s/%s/thermal_throttle/package_throttle_count", dir, cpu);
		if (!seen && sysfs_read_uint(s, path, &count) == 0 &&
		    add_throttle(&pkgs, &npkgs, &pkgcap, (struct throttle){ pkg, 0, count }) < 0)
			result = scrape_fail(s, "out of memory");
	}
	if (result == COLLECT_OK) {
		struct family *fp = expo_family(e, "node_cpu_package_throttles_total", METRIC_COUNTER,
						"Times each CPU package was throttled for heat.",
						(const char *const[]){ "package", NULL });
		struct family *fc = expo_family(e, "node_cpu_core_throttles_total", METRIC_COUNTER,
						"Times each CPU core was throttled for heat.",
						(const char *const[]){ "package", "core", NULL });
		char a[24], b[24];
		for (size_t k = 0; k < npkgs; k++) {
			strf(a, sizeof a, "%llu", (unsigned long long)pkgs[k].package);
			expo_sample(e, fp, (double)pkgs[k].count, a);
		}
		for (size_t k = 0; k < ncores; k++) {
			strf(a, sizeof a, "%llu", (unsigned long long)cores[k].package);
			strf(b, sizeof b, "%llu", (unsigned long long)cores[k].core);
			expo_sample(e, fc, (double)cores[k].count, a, b);
		}
	}
	free(pkgs);
	free(cores);

	/* Online state, unless the first CPU has no online file (no hotplug support). */
	size_t first = 0;
	while (first < dl.n && !is_cpu_dir(dl.names[first]))
		first++;
	if (result == COLLECT_OK && first < dl.n) {
		char text[16];
		strf(path, sizeof path, "%s/%s/online", dir, dl.names[first]);
		if (scrape_read_small(s, path, text, sizeof text) != -ENOENT) {
			struct family *fo = expo_family(e, "node_cpu_online", METRIC_GAUGE,
							"Whether each CPU is online (1) or offline (0).",
							(const char *const[]){ "cpu", NULL });
			for (size_t i = first; i < dl.n; i++) {
				if (!is_cpu_dir(dl.names[i]))
					continue;
				strf(path, sizeof path, "%s/%s/online", dir, dl.names[i]);
				bool on = scrape_read_small(s, path, text, sizeof text) >= 0 &&
					  strcmp(text, "1") == 0;
				expo_sample(e, fo, on ? 1 : 0, dl.names[i] + 3);
			}
		}
	}
	dirlist_free(&dl);
	return result;
}

static int cpu_collect(struct scrape *s, struct expo *e)
{
	struct cpu_state *st = s->state;
	int rc;
	if (st->info && (rc = update_info(s, st, e)) != COLLECT_OK)
		return rc;
	if ((rc = update_stat(s, st, e)) != COLLECT_OK)
		return rc;
	if (st->have_isolated) {
		struct family *f = expo_family(e, "node_cpu_isolated", METRIC_GAUGE,
					       "CPUs isolated from the scheduler (isolcpus=), from sysfs.",
					       (const char *const[]){ "cpu", NULL });
		for (size_t i = 0; i < st->isolated.n; i++) {
			char id[16];
			strf(id, sizeof id, "%u", st->isolated.ids[i]);
			expo_sample(e, f, 1, id);
		}
	}
	return update_sysfs(s, e);
}

const struct collector_def collector_cpu = {
	.name = "cpu",
	.default_enabled = true,
	.flags = cpu_flags,
	.nflags = sizeof cpu_flags / sizeof cpu_flags[0],
	.init = cpu_init,
	.collect = cpu_collect,
	.fini = cpu_fini,
};
