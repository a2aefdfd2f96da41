/*
 * cAdvisor's machine_* families: CPU topology counts, memory and swap,
 * DIMMs (EDAC), NVM, labelled with machine_id, system_uuid and boot_id.
 */
#include <string.h>
#include <sys/utsname.h>

#include "../common/cpulist.h"
#include "../common/parse.h"
#include "container.h"

/* Number of distinct values of "<key>\t: value" lines in /proc/cpuinfo. */
static size_t distinct(char *text, const char *key)
{
	char seen[1024][16];
	size_t n = 0, klen = strlen(key);
	char *cur = text, *line;
	while ((line = next_line(&cur)) != NULL) {
		if (strncmp(line, key, klen) != 0 || (line[klen] != ' ' && line[klen] != '\t'))
			continue;
		char *colon = strchr(line, ':');
		if (!colon)
			continue;
		char *v = trim(colon + 1);
		bool dup = false;
		for (size_t i = 0; i < n && !dup; i++)
			dup = !strncmp(seen[i], v, sizeof seen[i] - 1);
		if (!dup && n < sizeof seen / sizeof seen[0])
			strf(seen[n++], sizeof seen[0], "%s", v);
	}
	return n;
}

/* The first line of the first readable file of a comma-separated list (under root), or "". */
static void first_line(char *dst, size_t cap, const char *root, const char *files)
{
	dst[0] = '\0';
	char p[4096];
	const char *f = files;
	while (*f) {
		size_t len = strcspn(f, ",");
		if (len && root_path(p, sizeof p, root, "%.*s", (int)len, f) == 0 &&
		    read_small(p, dst, cap) >= 0) {
			dst[strcspn(dst, "\n")] = '\0';
			return;
		}
		f += len;
		if (*f == ',')
			f++;
	}
	dst[0] = '\0';
}

/* EDAC memory controllers: DIMM count and capacity per memory type. */
static size_t dimms(struct dimm *out, size_t cap)
{
	char p[4096];
	struct dirlist mcs;
	size_t n = 0;
	if (sys_path(p, sizeof p, "devices/system/edac/mc") < 0 || dirlist_read(p, &mcs) < 0)
		return 0;
	for (size_t i = 0; i < mcs.n; i++) {
		if (!has_prefix(mcs.names[i], "mc"))
			continue;
		struct dirlist ds;
		if (sys_path(p, sizeof p, "devices/system/edac/mc/%s", mcs.names[i]) < 0 ||
		    dirlist_read(p, &ds) < 0)
			continue;
		for (size_t k = 0; k < ds.n; k++) {
			char type[64], size[32];
			uint64_t mb;
			if (!has_prefix(ds.names[k], "dimm") ||
			    sys_path(p, sizeof p, "devices/system/edac/mc/%s/%s/dimm_mem_type",
				     mcs.names[i], ds.names[k]) < 0 ||
			    read_small(p, type, sizeof type) < 0 ||
			    sys_path(p, sizeof p, "devices/system/edac/mc/%s/%s/size", mcs.names[i],
				     ds.names[k]) < 0 ||
			    read_small(p, size, sizeof size) < 0 || parse_u64(size, &mb) < 0)
				continue;
			size_t j = 0;
			while (j < n && strcmp(out[j].type, type))
				j++;
			if (j == n) {
				if (n == cap)
					continue;
				strf(out[n].type, sizeof out[n].type, "%s", type);
				out[n].count = out[n].bytes = 0;
				n++;
			}
			out[j].count++;
			out[j].bytes += mb << 20;
		}
		dirlist_free(&ds);
	}
	dirlist_free(&mcs);
	return n;
}

/* True if the kernel lists no NVDIMM region: NVM capacity is then really 0. */
static bool no_nvdimm(void)
{
	char p[4096];
	struct dirlist dl;
	if (sys_path(p, sizeof p, "bus/nd/devices") < 0 || dirlist_read(p, &dl) < 0)
		return true;
	bool none = true;
	for (size_t i = 0; i < dl.n; i++)
		none &= !has_prefix(dl.names[i], "region");
	dirlist_free(&dl);
	return none;
}

/*
 * Read the machine's information into cx->machine, as cAdvisor does at
 * start and every --update_machine_info_interval: it changes when CPUs go
 * on- or offline or memory is hot-plugged, not between two scrapes.
 */
static void machine_read(struct cx *cx, int64_t now_ms)
{
	struct machine *m = &cx->machine;
	memset(m, 0, sizeof *m);
	m->read_ms = now_ms;
	const struct cx_opts *o = &cx->o;
	first_line(m->machine_id, sizeof m->machine_id, path_rootfs,
		   o->machine_id_files ? o->machine_id_files : "/etc/machine-id,/var/lib/dbus/machine-id");
	/* cAdvisor's order: DMI, the POWER device tree, then (meant for s390x, used everywhere) /etc/machine-id. */
	first_line(m->uuid, sizeof m->uuid, path_sysfs, "class/dmi/id/product_uuid");
	if (!m->uuid[0])
		first_line(m->uuid, sizeof m->uuid, path_procfs, "device-tree/system-id");
	char p[4096];
	/* "vm,uuid" is one file name, not a list. */
	if (!m->uuid[0] && proc_path(p, sizeof p, "device-tree/vm,uuid") == 0 &&
	    read_small(p, m->uuid, sizeof m->uuid) < 0)
		m->uuid[0] = '\0';
	if (!m->uuid[0])
		first_line(m->uuid, sizeof m->uuid, path_rootfs, "etc/machine-id");
	/* The default boot id file is procfs's own: under --path.procfs. */
	if (o->boot_id_files && strcmp(o->boot_id_files, "/proc/sys/kernel/random/boot_id") != 0)
		first_line(m->boot_id, sizeof m->boot_id, path_rootfs, o->boot_id_files);
	else
		first_line(m->boot_id, sizeof m->boot_id, path_procfs, "sys/kernel/random/boot_id");

	char online[4096];
	struct cpulist cpus;
	if (sys_path(p, sizeof p, "devices/system/cpu/online") == 0 &&
	    read_small(p, online, sizeof online) >= 0 && cpulist_parse(online, &cpus) == 0) {
		m->cores = cpus.n;
		cpulist_free(&cpus);
	}
	struct buf *b = &cx->rd, *b2 = &cx->rd2;
	if (proc_path(p, sizeof p, "cpuinfo") == 0 && read_whole(p, b) == 0) {
		/* distinct() cuts lines in place: one copy per key. */
		buf_reset(b2);
		if (buf_append(b2, b->data, b->len + 1) == 0) {
			m->physical = distinct(b->data, "core id");
			m->sockets = distinct(b2->data, "physical id");
		}
	}
	struct utsname u;
	m->s390x = uname(&u) == 0 && !strcmp(u.machine, "s390x");
	m->have_memory = host_memory(cx, &m->memory, &m->swap);
	m->ndimms = dimms(m->dimms, sizeof m->dimms / sizeof m->dimms[0]);
	m->no_nvdimm = no_nvdimm();
}

void machine_refresh(struct cx *cx, int64_t now_ms)
{
	const struct machine *m = &cx->machine;
	double interval = cx->o.machine_interval > 0 ? cx->o.machine_interval : 300;
	if (!m->read_ms || now_ms - m->read_ms >= (int64_t)(interval * 1000) || now_ms < m->read_ms)
		machine_read(cx, now_ms);
}

void collect_machine(struct scan *sc, struct expo *e)
{
	struct cx *cx = sc->cx;
	const struct machine *m = &cx->machine;
	if (!m->read_ms)
		return;
	const char *base[] = { m->machine_id, m->uuid, m->boot_id, NULL, NULL };
	const char *names[] = { "machine_id", "system_uuid", "boot_id", NULL, NULL };

#define MFAM(name, help) expo_family(e, name, METRIC_GAUGE, help, names)
#define MSAMPLE(f, v) expo_add_ts(e, f, (double)(v), m->read_ms, base)

	/* Stamped with the time they were read, as cAdvisor's machine info. */
	if (m->cores)
		MSAMPLE(MFAM("machine_cpu_cores", "Number of logical CPUs online."), m->cores);
	/* Counted as cAdvisor does: distinct "core id" values, not per socket. */
	if (m->physical)
		MSAMPLE(MFAM("machine_cpu_physical_cores", "Number of physical CPU cores (distinct core ids)."),
			m->physical);
	if (m->sockets)
		MSAMPLE(MFAM("machine_cpu_sockets", "Number of CPU sockets."), m->sockets);
	/* Books and drawers exist on s390x only; elsewhere there are none. */
	if (!m->s390x) {
		MSAMPLE(MFAM("machine_cpu_books", "Number of CPU books (s390x)."), 0);
		MSAMPLE(MFAM("machine_cpu_drawers", "Number of CPU drawers (s390x)."), 0);
	}
	if (m->have_memory) {
		MSAMPLE(MFAM("machine_memory_bytes", "Memory of the machine (MemTotal), in bytes."), m->memory);
		MSAMPLE(MFAM("machine_swap_bytes", "Swap space of the machine (SwapTotal), in bytes."),
			m->swap);
	}
	names[3] = "type";
	struct family *dcount = MFAM("machine_dimm_count", "Number of memory modules, by type.");
	struct family *dcap = MFAM("machine_dimm_capacity_bytes",
				   "Capacity of the memory modules, by type, in bytes.");
	for (size_t i = 0; i < m->ndimms; i++) {
		base[3] = m->dimms[i].type;
		MSAMPLE(dcount, m->dimms[i].count);
		MSAMPLE(dcap, m->dimms[i].bytes);
	}
	if (m->no_nvdimm) {
		names[3] = "mode";
		struct family *nvm = MFAM("machine_nvm_capacity",
					  "Capacity of non-volatile memory, by mode, in bytes (no NVDIMM here).");
		base[3] = "app_direct_mode";
		MSAMPLE(nvm, 0);
		base[3] = "memory_mode";
		MSAMPLE(nvm, 0);
		names[3] = NULL;
		base[3] = NULL;
		MSAMPLE(MFAM("machine_nvm_avg_power_budget_watts",
			     "Average power budget of non-volatile memory, in watts (no NVDIMM here)."),
			0);
	}
	names[3] = NULL;
#undef MFAM
#undef MSAMPLE
	expo_single(e, "machine_scrape_error", METRIC_GAUGE,
		    "1 if reading the machine's information failed, 0 otherwise.", 0);
}
