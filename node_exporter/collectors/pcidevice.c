/*
 * pcidevice: PCI devices of /sys/bus/pci/devices: an info series with the
 * device's and its parent bridge's address and its IDs, PCIe link speed and
 * width (-1 when unknown), SR-IOV and power-management attributes, and the
 * NUMA node. With --collector.pcidevice.names the info series also carries
 * vendor, device, subsystem and class names from a pci.ids file, read once
 * at start-up (--collector.pcidevice.idsfile, else the usual locations).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../common/arena.h"
#include "../../common/exporter.h"
#include "../../common/hashtab.h"
#include "../../common/hostfs.h"
#include "../../common/log.h"
#include "../../common/parse.h"
#include "../../common/sysfs.h"

static const char *ids_file;
static bool with_names;

static struct flag pcidevice_flags[] = {
	{ .name = "collector.pcidevice.idsfile", .type = FLAG_STRING, .dest = &ids_file,
	  .help = "Path to pci.ids file to use for PCI device identification." },
	{ .name = "collector.pcidevice.names", .type = FLAG_BOOL, .dest = &with_names, .def = "false",
	  .help = "Enable PCI device name resolution (requires pci.ids file)." },
};

/* Names from pci.ids: vendors "8086", devices "8086:1521", subsystems "8086:1521/8086:00a3", classes "02", "0200", "020000". */
struct pci_names {
	struct arena mem;
	struct hashtab vendors, devices, subsystems, classes;
};

struct pcidevice_state {
	struct pci_names *names; /* NULL without --collector.pcidevice.names */
};

/* A value slot, so that a later line of pci.ids replaces an earlier one (as a Go map). */
struct pci_name {
	const char *name;
};

static int names_put(struct pci_names *n, struct hashtab *t, const char *key, const char *name, size_t namelen)
{
	uint64_t h = hash_bytes(key, strlen(key));
	struct pci_name *slot = hashtab_get(t, key, h);
	char *copy = arena_strndup(&n->mem, name, namelen);
	if (!copy)
		return -1;
	if (slot) {
		slot->name = copy;
		return 0;
	}
	char *k = arena_strndup(&n->mem, key, strlen(key));
	if (!k || !(slot = arena_alloc(&n->mem, sizeof *slot)))
		return -1;
	slot->name = copy;
	return hashtab_put(t, k, h, slot);
}

static const char *names_get(const struct hashtab *t, const char *key)
{
	const struct pci_name *slot = hashtab_get(t, key, hash_bytes(key, strlen(key)));
	return slot ? slot->name : NULL;
}

/* "id  name": id and name trimmed; false when there is no double space. */
static bool id_and_name(char *line, char **id, char **name)
{
	char *sep = strstr(line, "  ");
	if (!sep)
		return false;
	*sep = '\0';
	*id = trim(line);
	*name = trim(sep + 2);
	return true;
}

static int names_parse(struct pci_names *n, char *text)
{
	char vendor[64] = "", device[64] = "", base[64] = "", sub[128] = "";
	bool in_class = false;
	for (char *cur = text, *line; (line = next_line(&cur));) {
		char *id, *name, key[512];
		if (!*line || *line == '#')
			continue;
		bool tab1 = line[0] == '\t' && line[1] != '\t', tab2 = line[0] == '\t' && line[1] == '\t';
		if (has_prefix(line, "C ")) {
			if (!id_and_name(line, &id, &name))
				continue;
			strf(base, sizeof base, "%s", trim(id + 1));
			if (names_put(n, &n->classes, base, name, strlen(name)) < 0)
				return -1;
			in_class = true;
		} else if (tab1 && in_class) {
			if (!id_and_name(line + 1, &id, &name) || !*base)
				continue;
			strf(sub, sizeof sub, "%s%s", base, id);
			if (names_put(n, &n->classes, sub, name, strlen(name)) < 0)
				return -1;
		} else if (tab2 && line[2] != '\t' && in_class) {
			if (!id_and_name(line + 2, &id, &name) || !*sub)
				continue;
			strf(key, sizeof key, "%s%s", sub, id);
			if (names_put(n, &n->classes, key, name, strlen(name)) < 0)
				return -1;
		} else if (line[0] != '\t') {
			if (!id_and_name(line, &id, &name))
				continue;
			strf(vendor, sizeof vendor, "%s", id);
			device[0] = '\0';
			in_class = false;
			if (names_put(n, &n->vendors, vendor, name, strlen(name)) < 0)
				return -1;
		} else if (tab1) {
			if (!id_and_name(line + 1, &id, &name) || !*vendor)
				continue;
			strf(device, sizeof device, "%s", id);
			strf(key, sizeof key, "%s:%s", vendor, device);
			if (names_put(n, &n->devices, key, name, strlen(name)) < 0)
				return -1;
		} else if (tab2) {
			if (!id_and_name(line + 2, &id, &name) || !*vendor || !*device)
				continue;
			char *f[3];
			if (split_fields(id, f, 3) != 2)
				continue;
			strf(key, sizeof key, "%s:%s/%s:%s", vendor, device, f[0], f[1]);
			if (names_put(n, &n->subsystems, key, name, strlen(name)) < 0)
				return -1;
		}
	}
	return 0;
}

static void names_free(struct pci_names *n)
{
	if (!n)
		return;
	hashtab_free(&n->vendors);
	hashtab_free(&n->devices);
	hashtab_free(&n->subsystems);
	hashtab_free(&n->classes);
	arena_free(&n->mem);
	free(n);
}

/* Load pci.ids; a missing file leaves the tables empty (names fall back to IDs), as upstream. */
static struct pci_names *names_load(void)
{
	static const char *const defaults[] = { "/usr/share/misc/pci.ids", "/usr/share/hwdata/pci.ids" };
	struct pci_names *n = calloc(1, sizeof *n);
	if (!n)
		return NULL;
	struct buf b;
	buf_init(&b, 64u << 20);
	int rc = -ENOENT;
	const char *used = ids_file;
	if (ids_file && *ids_file) {
		rc = read_whole(ids_file, &b);
	} else {
		for (size_t i = 0; i < sizeof defaults / sizeof defaults[0] && rc < 0; i++)
			if ((rc = read_whole(defaults[i], &b)) == 0)
				used = defaults[i];
	}
	if (rc < 0) {
		log_debug("Failed to open PCI IDs file", "file", used && *used ? used : "", "err", strerror(-rc),
			  NULL);
	} else if (names_parse(n, b.data) < 0) {
		buf_free(&b);
		names_free(n);
		return NULL;
	}
	buf_free(&b);
	return n;
}

static void pcidevice_fini(void *state)
{
	struct pcidevice_state *st = state;
	if (st)
		names_free(st->names);
	free(st);
}

static int pcidevice_init(void **state, char *err, size_t errlen)
{
	struct pcidevice_state *st = calloc(1, sizeof *st);
	if (!st || (with_names && !(st->names = names_load()))) {
		free(st);
		strf(err, errlen, "pcidevice: out of memory");
		return -1;
	}
	*state = st;
	return 0;
}

struct pci_loc {
	char seg[16], bus[16], dev[16], fn[16];
};

/* "0000:01:00.0" (segment:bus:device.function, hexadecimal). Returns 0 or -1. */
static int parse_location(const char *text, struct pci_loc *l)
{
	char copy[64], *part[4];
	if (strf(copy, sizeof copy, "%s", text) >= (int)sizeof copy || split_on(copy, ':', part, 3) != 3)
		return -1;
	char *dot = strchr(part[2], '.');
	if (!dot || strchr(dot + 1, '.'))
		return -1;
	*dot = '\0';
	part[3] = dot + 1;
	uint64_t v[4];
	for (int i = 0; i < 4; i++)
		if (parse_hex_u64(part[i], &v[i]) < 0 || (part[i][0] == '0' && (part[i][1] | 0x20) == 'x') ||
		    v[i] > 0x7fffffff)
			return -1;
	strf(l->seg, sizeof l->seg, "%04llx", (unsigned long long)v[0]);
	strf(l->bus, sizeof l->bus, "%02llx", (unsigned long long)v[1]);
	strf(l->dev, sizeof l->dev, "%02llx", (unsigned long long)v[2]);
	strf(l->fn, sizeof l->fn, "%llx", (unsigned long long)v[3]);
	return 0;
}

/*
 * An optional attribute: 1 with its trimmed text, 0 when absent or empty,
 * or COLLECT_ERROR.
 */
static int optional_attr(struct scrape *s, const char *dir, const char *name, char *val, size_t cap)
{
	ssize_t n = sysfs_attr_at(s, dir, name, val, cap);
	if (n == -ENOENT)
		return 0;
	if (n < 0)
		return scrape_fail(s, "failed to read %s/%s: %s", dir, name, strerror((int)-n));
	return n > 0;
}

/* The attributes of one device, as numbers (NAN when absent) and the power state. */
struct pci_attrs {
	int64_t id[6];
	double max_speed, cur_speed, max_width, cur_width, numa;
	double autoprobe, numvfs, totalvfs, vf_msix, d3cold;
	char power[SYSFS_VAL];
	bool has_power, has_numa;
};

static int link_speed(struct scrape *s, const char *dir, const char *name, double *out)
{
	char val[SYSFS_VAL];
	int rc = optional_attr(s, dir, name, val, sizeof val);
	if (rc <= 0 || has_prefix(val, "Unknown"))
		return rc < 0 ? rc : COLLECT_OK;
	char *sp = strchr(val, ' ');
	if (!sp || strcmp(sp + 1, "GT/s PCIe"))
		return scrape_fail(s, "unknown unit for %s '%s' of %s", name, val, dir);
	*sp = '\0';
	double v;
	if (parse_double(trim(val), &v) < 0)
		return scrape_fail(s, "failed to parse %s of %s", name, dir);
	*out = v * 1e9;
	return COLLECT_OK;
}

enum int_syntax { INT_SIGNED, INT_UNSIGNED, INT_HEX };

/*
 * An optional integer attribute, within +-max (signed) or max: *out is left
 * alone when the file is absent or empty (or says "Unknown" where the kernel
 * may write that: unknown_ok); *present is set when read.
 */
static int int_attr(struct scrape *s, const char *dir, const char *name, enum int_syntax syntax, uint64_t max,
		    bool unknown_ok, double *out, bool *present)
{
	char val[SYSFS_VAL];
	int rc = optional_attr(s, dir, name, val, sizeof val);
	if (rc < 0)
		return rc;
	if (rc == 0 || (unknown_ok && has_prefix(val, "Unknown")))
		return COLLECT_OK;
	bool ok;
	if (syntax == INT_SIGNED) {
		int64_t x = 0;
		ok = parse_i64(val, &x) == 0 && x >= -(int64_t)max - 1 && x <= (int64_t)max;
		*out = (double)x;
	} else {
		uint64_t x = 0; /* read even when the syntax check failed */
		/* Go's ParseUint(s, 16, 32) takes bare digits only. */
		if (syntax == INT_HEX)
			ok = !(val[0] == '0' && (val[1] | 0x20) == 'x') && parse_hex_u64(val, &x) == 0;
		else
			ok = parse_u64(val, &x) == 0;
		ok = ok && x <= max;
		*out = (double)x;
	}
	if (!ok)
		return scrape_fail(s, "failed to parse %s '%s' of %s", name, val, dir);
	if (present)
		*present = true;
	return COLLECT_OK;
}

static int read_attrs(struct scrape *s, const char *dir, struct pci_attrs *a)
{
	static const char *const ids[6] = { "class", "vendor", "device", "subsystem_vendor", "subsystem_device",
					    "revision" };
	for (int i = 0; i < 6; i++) {
		char val[SYSFS_VAL];
		ssize_t n = sysfs_attr_at(s, dir, ids[i], val, sizeof val);
		if (n < 0)
			return n == -ENOENT ? COLLECT_NODATA
					    : scrape_fail(s, "failed to read %s/%s: %s", dir, ids[i],
							  strerror((int)-n));
		if (sysfs_parse_int(val, &a->id[i]) < 0 || a->id[i] < INT32_MIN || a->id[i] > INT32_MAX)
			return scrape_fail(s, "failed to parse %s '%s' of %s", ids[i], val, dir);
	}
	a->max_speed = a->cur_speed = a->max_width = a->cur_width = -1;
	a->autoprobe = a->numvfs = a->totalvfs = a->vf_msix = a->d3cold = 0;
	a->has_numa = a->has_power = false;
	int rc;
	double unused;
	/* Upstream parses offset, stride and the VF device ID too: garbage there fails it as well. */
	if ((rc = link_speed(s, dir, "max_link_speed", &a->max_speed)) != COLLECT_OK ||
	    (rc = int_attr(s, dir, "max_link_width", INT_SIGNED, INT64_MAX, true, &a->max_width, NULL)) ||
	    (rc = link_speed(s, dir, "current_link_speed", &a->cur_speed)) != COLLECT_OK ||
	    (rc = int_attr(s, dir, "current_link_width", INT_SIGNED, INT64_MAX, true, &a->cur_width, NULL)) ||
	    (rc = int_attr(s, dir, "numa_node", INT_SIGNED, INT32_MAX, true, &a->numa, &a->has_numa)) ||
	    (rc = int_attr(s, dir, "sriov_drivers_autoprobe", INT_SIGNED, INT32_MAX, false, &a->autoprobe, NULL)) ||
	    (rc = int_attr(s, dir, "sriov_numvfs", INT_UNSIGNED, UINT32_MAX, false, &a->numvfs, NULL)) ||
	    (rc = int_attr(s, dir, "sriov_offset", INT_UNSIGNED, UINT32_MAX, false, &unused, NULL)) ||
	    (rc = int_attr(s, dir, "sriov_stride", INT_UNSIGNED, UINT32_MAX, false, &unused, NULL)) ||
	    (rc = int_attr(s, dir, "sriov_totalvfs", INT_UNSIGNED, UINT32_MAX, false, &a->totalvfs, NULL)) ||
	    (rc = int_attr(s, dir, "sriov_vf_device", INT_HEX, UINT32_MAX, false, &unused, NULL)) ||
	    (rc = int_attr(s, dir, "sriov_vf_total_msix", INT_UNSIGNED, UINT64_MAX, false, &a->vf_msix, NULL)) ||
	    (rc = int_attr(s, dir, "d3cold_allowed", INT_SIGNED, INT32_MAX, false, &a->d3cold, NULL)))
		return rc;
	a->autoprobe = a->autoprobe != 0;
	a->d3cold = a->d3cold != 0;
	rc = optional_attr(s, dir, "power_state", a->power, sizeof a->power);
	if (rc < 0)
		return rc;
	a->has_power = rc > 0;
	return COLLECT_OK;
}

/* An ID without "0x", lower case: how upstream looks names up and what it shows when none is found. */
static const char *bare(const char *id)
{
	return has_prefix(id, "0x") ? id + 2 : id;
}

static void class_name(const struct pci_names *n, const char *class_id, char *dst, size_t cap)
{
	const char *c = bare(class_id), *name;
	char key[16];
	for (size_t len = 6; len >= 2; len -= 2) {
		if (strlen(c) < len)
			continue;
		strf(key, sizeof key, "%.*s", (int)len, c);
		if ((name = names_get(&n->classes, key))) {
			strf(dst, cap, "%s", name);
			return;
		}
	}
	strf(dst, cap, "Unknown class (%s)", c);
}

static int pcidevice_device(struct scrape *s, struct expo *e, const struct pcidevice_state *st,
			    const char *base, const char *name)
{
	char link[4096], target[4096];
	if (strf(link, sizeof link, "%s/%s", base, name) >= (int)sizeof link)
		return scrape_fail(s, "path too long");
	ssize_t n = readlink(link, target, sizeof target - 1);
	if (n < 0)
		return errno == ENOENT ? COLLECT_NODATA : scrape_fail(s, "failed to readlink %s: %s", link, strerror(errno));
	target[n] = '\0';
	char *slash = strrchr(target, '/');
	const char *loc_text = slash ? slash + 1 : target;
	struct pci_loc loc, parent;
	if (parse_location(loc_text, &loc) < 0)
		return scrape_fail(s, "failed to parse device location %s", loc_text);
	bool has_parent = false;
	if (slash) {
		*slash = '\0';
		char *pslash = strrchr(target, '/');
		const char *ptext = pslash ? pslash + 1 : target;
		if (!has_prefix(ptext, "pci")) {
			if (parse_location(ptext, &parent) < 0)
				return scrape_fail(s, "failed to parse parent device location %s", ptext);
			has_parent = true;
		}
	} else {
		/* The parent of a bare name is ".", which is no location either. */
		return scrape_fail(s, "failed to parse parent device location of %s", loc_text);
	}
	struct pci_attrs a;
	int rc = read_attrs(s, link, &a);
	if (rc != COLLECT_OK)
		return rc;

	char class_id[16], vendor[16], device[16], sub_vendor[16], sub_device[16], revision[16];
	strf(class_id, sizeof class_id, "0x%06x", (unsigned)a.id[0]);
	strf(vendor, sizeof vendor, "0x%04x", (unsigned)a.id[1]);
	strf(device, sizeof device, "0x%04x", (unsigned)a.id[2]);
	strf(sub_vendor, sizeof sub_vendor, "0x%04x", (unsigned)a.id[3]);
	strf(sub_device, sizeof sub_device, "0x%04x", (unsigned)a.id[4]);
	strf(revision, sizeof revision, "0x%02x", (unsigned)a.id[5]);
	const char *ps = has_parent ? parent.seg : "*", *pb = has_parent ? parent.bus : "*",
		   *pd = has_parent ? parent.dev : "*", *pf = has_parent ? parent.fn : "*";
	if (st->names) {
		const struct pci_names *nm = st->names;
		char key[128], cls[256];
		const char *vname = names_get(&nm->vendors, bare(vendor));
		strf(key, sizeof key, "%s:%s", bare(vendor), bare(device));
		const char *dname = names_get(&nm->devices, key);
		const char *svname = names_get(&nm->vendors, bare(sub_vendor));
		strf(key, sizeof key, "%s:%s/%s:%s", bare(vendor), bare(device), bare(sub_vendor), bare(sub_device));
		const char *sdname = names_get(&nm->subsystems, key);
		class_name(nm, class_id, cls, sizeof cls);
		struct family *f = expo_family(
			e, "node_pcidevice_info", METRIC_GAUGE,
			"PCI device identity from /sys/bus/pci/devices (value 1), with names from pci.ids.",
			(const char *const[]){ "segment", "bus", "device", "function", "parent_segment", "parent_bus",
					       "parent_device", "parent_function", "class_id", "vendor_id",
					       "device_id", "subsystem_vendor_id", "subsystem_device_id", "revision",
					       "vendor_name", "device_name", "subsystem_vendor_name",
					       "subsystem_device_name", "class_name", NULL });
		expo_sample(e, f, 1, loc.seg, loc.bus, loc.dev, loc.fn, ps, pb, pd, pf, class_id, vendor, device,
			    sub_vendor, sub_device, revision, vname ? vname : bare(vendor),
			    dname ? dname : bare(device), svname ? svname : bare(sub_vendor),
			    sdname ? sdname : bare(sub_device), cls);
	} else {
		struct family *f = expo_family(
			e, "node_pcidevice_info", METRIC_GAUGE, "PCI device identity from /sys/bus/pci/devices (value 1).",
			(const char *const[]){ "segment", "bus", "device", "function", "parent_segment", "parent_bus",
					       "parent_device", "parent_function", "class_id", "vendor_id",
					       "device_id", "subsystem_vendor_id", "subsystem_device_id", "revision",
					       NULL });
		expo_sample(e, f, 1, loc.seg, loc.bus, loc.dev, loc.fn, ps, pb, pd, pf, class_id, vendor, device,
			    sub_vendor, sub_device, revision);
	}

	static const char *const labels[] = { "segment", "bus", "device", "function", NULL };
	const struct {
		const char *name, *help;
		double v;
	} values[] = {
		{ "max_link_transfers_per_second", "Maximum PCIe link speed in transfers per second (-1: unknown).",
		  a.max_speed },
		{ "max_link_width", "Maximum PCIe link width in lanes (-1: unknown).", a.max_width },
		{ "current_link_transfers_per_second", "Current PCIe link speed in transfers per second (-1: unknown).",
		  a.cur_speed },
		{ "current_link_width", "Current PCIe link width in lanes (-1: unknown).", a.cur_width },
		{ "d3cold_allowed", "Whether the device may enter the D3cold power state.", a.d3cold },
		{ "sriov_drivers_autoprobe", "Whether drivers are probed for new SR-IOV virtual functions.",
		  a.autoprobe },
		{ "sriov_numvfs", "SR-IOV virtual functions enabled.", a.numvfs },
		{ "sriov_totalvfs", "SR-IOV virtual functions the device supports.", a.totalvfs },
		{ "sriov_vf_total_msix", "MSI-X vectors available to the SR-IOV virtual functions.", a.vf_msix },
	};
	for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
		char full[96];
		strf(full, sizeof full, "node_pcidevice_%s", values[i].name);
		struct family *f = expo_family(e, full, METRIC_GAUGE, values[i].help, labels);
		expo_sample(e, f, values[i].v, loc.seg, loc.bus, loc.dev, loc.fn);
	}
	if (a.has_power) {
		static const char *const states[] = { "D0", "D1", "D2", "D3hot", "D3cold", "unknown", "error" };
		struct family *f = expo_family(e, "node_pcidevice_power_state", METRIC_GAUGE,
					       "Power state of the device (1 for the current one).",
					       (const char *const[]){ "segment", "bus", "device", "function", "state",
								      NULL });
		for (size_t i = 0; i < sizeof states / sizeof states[0]; i++)
			expo_sample(e, f, !strcmp(a.power, states[i]), loc.seg, loc.bus, loc.dev, loc.fn, states[i]);
	}
	if (a.has_numa && a.numa != -1) {
		struct family *f = expo_family(e, "node_pcidevice_numa_node", METRIC_GAUGE,
					       "NUMA node of the device.", labels);
		expo_sample(e, f, a.numa, loc.seg, loc.bus, loc.dev, loc.fn);
	}
	return COLLECT_OK;
}

static int pcidevice_collect(struct scrape *s, struct expo *e)
{
	char base[4096];
	if (sys_path(base, sizeof base, "bus/pci/devices") < 0)
		return scrape_fail(s, "path too long");
	struct sysfs_dir d;
	int rc = collect_list(s, base, &d);
	if (rc != COLLECT_OK)
		return rc;
	for (size_t i = 0; i < d.n && rc == COLLECT_OK; i++)
		rc = pcidevice_device(s, e, s->state, base, d.ents[i].name);
	sysfs_dir_free(&d);
	return rc;
}

const struct collector_def collector_pcidevice = {
	.name = "pcidevice",
	.default_enabled = false,
	.flags = pcidevice_flags,
	.nflags = sizeof pcidevice_flags / sizeof pcidevice_flags[0],
	.init = pcidevice_init,
	.collect = pcidevice_collect,
	.fini = pcidevice_fini,
};
