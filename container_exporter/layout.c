/* cAdvisor's metric kinds, and which cgroup hierarchies are mounted where. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "../common/parse.h"
#include "container.h"

static const char *const kind_names[K_COUNT] = {
	[K_ADVTCP] = "advtcp", [K_APP] = "app", [K_CPU] = "cpu", [K_CPULOAD] = "cpuLoad",
	[K_CPU_TOPOLOGY] = "cpu_topology", [K_CPUSET] = "cpuset", [K_DISK] = "disk",
	[K_DISKIO] = "diskIO", [K_HUGETLB] = "hugetlb", [K_MEMORY] = "memory",
	[K_MEMORY_NUMA] = "memory_numa", [K_NETWORK] = "network", [K_OOM_EVENT] = "oom_event",
	[K_PERCPU] = "percpu", [K_PERF_EVENT] = "perf_event", [K_PRESSURE] = "pressure",
	[K_PROCESS] = "process", [K_REFERENCED_MEMORY] = "referenced_memory",
	[K_RESCTRL] = "resctrl", [K_SCHED] = "sched", [K_TCP] = "tcp", [K_UDP] = "udp",
};

const char *kind_name(enum kind k)
{
	return (unsigned)k < K_COUNT ? kind_names[k] : NULL;
}

int kinds_parse(const char *list, unsigned *set, char *err, size_t errlen)
{
	*set = 0;
	const char *p = list;
	while (*p) {
		size_t len = strcspn(p, ",");
		/* cAdvisor splits on "," only; an empty item is an unknown kind there too. */
		int k = 0;
		for (; k < K_COUNT; k++)
			if (strlen(kind_names[k]) == len && !strncmp(kind_names[k], p, len))
				break;
		if (k == K_COUNT) {
			strf(err, errlen, "unsupported metric \"%.*s\"", (int)len, p);
			return -1;
		}
		*set |= KIND_BIT(k);
		p += len;
		if (*p == ',')
			p++;
	}
	return 0;
}

void kinds_string(unsigned set, char *dst, size_t cap)
{
	size_t o = 0;
	dst[0] = '\0';
	for (int k = 0; k < K_COUNT; k++) {
		if (!(set & KIND_BIT(k)))
			continue;
		int n = strf(dst + o, cap - o, "%s%s", o ? "," : "", kind_names[k]);
		if (n < 0 || (size_t)n >= cap - o)
			break;
		o += (size_t)n;
	}
}

static const char *const ctl_names[CTL_COUNT] = {
	[CTL_CPU] = "cpu", [CTL_CPUACCT] = "cpuacct", [CTL_CPUSET] = "cpuset",
	[CTL_MEMORY] = "memory", [CTL_BLKIO] = "blkio", [CTL_PIDS] = "pids",
	[CTL_HUGETLB] = "hugetlb", [CTL_DEVICES] = "devices",
};

/* Controllers in a comma- or space-separated list ("cpu,cpuacct", cgroup.controllers). */
static unsigned ctls_of(const char *list, bool v2)
{
	unsigned ctls = 0;
	const char *p = list;
	while (*p) {
		size_t len = strcspn(p, ", \n");
		for (int c = 0; c < CTL_COUNT; c++) {
			const char *name = ctl_names[c];
			/* cgroup v2 calls blkio "io". */
			if (v2 && c == CTL_BLKIO)
				name = "io";
			if (strlen(name) == len && !strncmp(name, p, len))
				ctls |= 1u << c;
		}
		p += len;
		while (*p == ',' || *p == ' ' || *p == '\n')
			p++;
	}
	return ctls;
}

/*
 * The controllers cAdvisor takes cgroups from for the enabled kinds
 * (libcontainer.GetCgroupSubsystems: devices always, pids only for
 * process metrics, cpuset and hugetlb only for their kinds).
 */
static unsigned wanted_ctls(unsigned kinds)
{
	unsigned w = 1u << CTL_DEVICES;
	if (kinds & (KIND_BIT(K_CPU) | KIND_BIT(K_PERCPU) | KIND_BIT(K_CPULOAD)))
		w |= 1u << CTL_CPU | 1u << CTL_CPUACCT;
	if (kinds & (KIND_BIT(K_MEMORY) | KIND_BIT(K_OOM_EVENT) | KIND_BIT(K_MEMORY_NUMA)))
		w |= 1u << CTL_MEMORY;
	if (kinds & KIND_BIT(K_DISKIO))
		w |= 1u << CTL_BLKIO;
	if (kinds & KIND_BIT(K_PROCESS))
		w |= 1u << CTL_PIDS;
	if (kinds & KIND_BIT(K_CPUSET))
		w |= 1u << CTL_CPUSET;
	if (kinds & KIND_BIT(K_HUGETLB))
		w |= 1u << CTL_HUGETLB;
	return w;
}

static bool exists(const char *dir, const char *file)
{
	char p[4096];
	if (pathf(p, sizeof p, "%s/%s", dir, file) < 0)
		return false;
	return access(p, F_OK) == 0;
}

static int add_hier(struct layout *lay, const char *dir, unsigned ctls, bool v2)
{
	if (lay->nh == MAX_HIER)
		return 0;
	char *d = strdup(dir);
	if (!d)
		return -ENOMEM;
	struct statfs sf;
	bool kernfs = statfs(dir, &sf) == 0 &&
		      (sf.f_type == CGROUP_SUPER_MAGIC || sf.f_type == CGROUP2_SUPER_MAGIC);
	lay->h[lay->nh++] = (struct hierarchy){ .dir = d, .ctls = ctls, .v2 = v2, .kernfs = kernfs };
	return 0;
}

static unsigned unified_ctls(const char *dir)
{
	char p[4096], text[512];
	if (pathf(p, sizeof p, "%s/cgroup.controllers", dir) < 0 || read_small(p, text, sizeof text) < 0)
		return 0;
	unsigned ctls = ctls_of(text, true);
	/* cpu.stat's usage, user and system exist with or without the cpu controller. */
	return ctls | 1u << CTL_CPUACCT;
}

int layout_detect(struct layout *lay, const char *cgroot, unsigned kinds)
{
	memset(lay, 0, sizeof *lay);
	lay->unified = -1;
	for (int c = 0; c < CTL_COUNT; c++)
		lay->of[c] = -1;
	int rc = 0;
	if (exists(cgroot, "cgroup.controllers")) {
		lay->mode = MODE_V2;
		if ((rc = add_hier(lay, cgroot, unified_ctls(cgroot), true)) < 0)
			return rc;
	} else {
		struct dirlist dl;
		rc = dirlist_read(cgroot, &dl);
		if (rc == -ENOENT || rc == -ENOTDIR)
			return 0;
		if (rc < 0)
			return rc;
		/*
		 * Symbolic links ("cpu" -> "cpu,cpuacct") name the same hierarchy:
		 * keep one entry with the controllers of all its names.
		 */
		dev_t devs[MAX_HIER];
		ino_t inos[MAX_HIER];
		for (size_t i = 0; i < dl.n && rc == 0; i++) {
			char dir[4096];
			struct stat st;
			if (pathf(dir, sizeof dir, "%s/%s", cgroot, dl.names[i]) < 0 ||
			    stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
				continue;
			bool v2 = exists(dir, "cgroup.controllers");
			unsigned ctls = v2 ? unified_ctls(dir) : ctls_of(dl.names[i], false);
			if (!v2 && (!ctls || !exists(dir, "cgroup.procs")))
				continue; /* named hierarchies (name=systemd), net_cls, freezer... */
			size_t k = 0;
			while (k < lay->nh && !(devs[k] == st.st_dev && inos[k] == st.st_ino))
				k++;
			if (k < lay->nh) {
				lay->h[k].ctls |= ctls;
				continue;
			}
			if (lay->nh == MAX_HIER)
				continue;
			devs[lay->nh] = st.st_dev;
			inos[lay->nh] = st.st_ino;
			rc = add_hier(lay, dir, ctls, v2);
		}
		dirlist_free(&dl);
		if (rc < 0)
			return rc;
		bool v1 = false, v2 = false;
		for (size_t i = 0; i < lay->nh; i++) {
			v1 |= !lay->h[i].v2;
			v2 |= lay->h[i].v2;
		}
		lay->mode = v1 ? (v2 ? MODE_HYBRID : MODE_V1) : (v2 ? MODE_V2 : MODE_NONE);
	}
	unsigned want = wanted_ctls(kinds);
	/* v1 hierarchies first: a controller mounted there is not in the cgroup2 one. */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < lay->nh; i++) {
			struct hierarchy *h = &lay->h[i];
			if (h->v2 != (pass == 1))
				continue;
			if (h->v2 && lay->unified < 0)
				lay->unified = (int)i;
			for (int c = 0; c < CTL_COUNT; c++)
				if ((h->ctls & 1u << c) && lay->of[c] < 0)
					lay->of[c] = (int)i;
			/*
			 * In hybrid mode cAdvisor takes cgroups from the v1 hierarchies
			 * only; the cgroup2 one still serves PSI for the same paths.
			 */
			if (lay->mode == MODE_HYBRID ? !h->v2 && (h->ctls & want) : (h->ctls & want) || h->v2)
				lay->walk |= 1u << i;
		}
	}
	return 0;
}

void layout_free(struct layout *lay)
{
	for (size_t i = 0; i < lay->nh; i++)
		free(lay->h[i].dir);
	lay->nh = 0;
	lay->mode = MODE_NONE;
}

const char *layout_mode_name(enum cg_mode m)
{
	switch (m) {
	case MODE_V1: return "v1";
	case MODE_V2: return "v2";
	case MODE_HYBRID: return "hybrid";
	case MODE_NONE: break;
	}
	return "none";
}
