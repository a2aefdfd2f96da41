/*
 * powersupplyclass: batteries, mains adapters and USB supplies of
 * /sys/class/power_supply. Each numeric attribute present becomes a gauge
 * (µA, µV, µW, µWh and µAh scaled to base units, tenths of a degree to
 * degrees), and node_power_supply_info carries the textual attributes as
 * labels; like upstream it has only the labels whose value is non-empty,
 * so two supplies may have different label sets.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/exporter.h"
#include "../../common/hostfs.h"
#include "../../common/parse.h"
#include "../../common/rx.h"
#include "../../common/sysfs.h"

static const char *ps_ignored = "^$";

static struct flag ps_flags[] = {
	{ .name = "collector.powersupply.ignored-supplies", .type = FLAG_STRING, .dest = &ps_ignored, .def = "^$",
	  .help = "Regexp of power supplies the powersupplyclass collector leaves out." },
};

/* Numeric attributes: file, metric suffix (NULL: parsed but not exported), divisor. */
static const struct {
	const char *file, *metric;
	double div;
} ps_nums[] = {
	{ "authentic", "authentic", 1 },
	{ "calibrate", "calibrate", 1 },
	{ "capacity", "capacity", 1 },
	{ "capacity_alert_max", "capacity_alert_max", 1 },
	{ "capacity_alert_min", "capacity_alert_min", 1 },
	{ "cycle_count", "cyclecount", 1 },
	{ "online", "online", 1 },
	{ "present", "present", 1 },
	{ "time_to_empty_now", "time_to_empty_seconds", 1 },
	{ "time_to_full_now", "time_to_full_seconds", 1 },
	{ "current_boot", "current_boot", 1e6 },
	{ "current_max", "current_max", 1e6 },
	{ "current_now", "current_ampere", 1e6 },
	{ "energy_empty", "energy_empty", 1e6 },
	{ "energy_empty_design", "energy_empty_design", 1e6 },
	{ "energy_full", "energy_full", 1e6 },
	{ "energy_full_design", "energy_full_design", 1e6 },
	{ "energy_now", "energy_watthour", 1e6 },
	{ "voltage_boot", "voltage_boot", 1e6 },
	{ "voltage_max", "voltage_max", 1e6 },
	{ "voltage_max_design", "voltage_max_design", 1e6 },
	{ "voltage_min", "voltage_min", 1e6 },
	{ "voltage_min_design", "voltage_min_design", 1e6 },
	{ "voltage_now", "voltage_volt", 1e6 },
	{ "voltage_ocv", "voltage_ocv", 1e6 },
	{ "charge_control_limit", "charge_control_limit", 1e6 },
	{ "charge_control_limit_max", "charge_control_limit_max", 1e6 },
	{ "charge_counter", "charge_counter", 1e6 },
	{ "charge_empty", "charge_empty", 1e6 },
	{ "charge_empty_design", "charge_empty_design", 1e6 },
	{ "charge_full", "charge_full", 1e6 },
	{ "charge_full_design", "charge_full_design", 1e6 },
	{ "charge_now", "charge_ampere", 1e6 },
	{ "charge_term_current", "charge_term_current", 1e6 },
	{ "constant_charge_current", "constant_charge_current", 1e6 },
	{ "constant_charge_current_max", "constant_charge_current_max", 1e6 },
	{ "constant_charge_voltage", "constant_charge_voltage", 1e6 },
	{ "constant_charge_voltage_max", "constant_charge_voltage_max", 1e6 },
	{ "precharge_current", "precharge_current", 1e6 },
	{ "input_current_limit", "input_current_limit", 1e6 },
	{ "power_now", "power_watt", 1e6 },
	{ "temp", "temp_celsius", 10 },
	{ "temp_alert_max", "temp_alert_max_celsius", 10 },
	{ "temp_alert_min", "temp_alert_min_celsius", 10 },
	{ "temp_ambient", "temp_ambient_celsius", 10 },
	{ "temp_ambient_max", "temp_ambient_max_celsius", 10 },
	{ "temp_ambient_min", "temp_ambient_min_celsius", 10 },
	{ "temp_max", "temp_max_celsius", 10 },
	{ "temp_min", "temp_min_celsius", 10 },
	/* Parsed (a bad value fails the scrape, as upstream) but not exported. */
	{ "charge_avg", NULL, 1 },
	{ "current_avg", NULL, 1 },
	{ "energy_avg", NULL, 1 },
	{ "power_avg", NULL, 1 },
	{ "time_to_empty_avg", NULL, 1 },
	{ "time_to_full_avg", NULL, 1 },
	{ "voltage_avg", NULL, 1 },
};
#define PS_NNUM (sizeof ps_nums / sizeof ps_nums[0])

/* Textual attributes, labels of node_power_supply_info. */
static const char *const ps_texts[] = { "capacity_level", "charge_type", "health", "manufacturer",
					"model_name",	  "serial_number", "status", "technology",
					"type",		  "usb_type",	   "scope" };
#define PS_NTEXT (sizeof ps_texts / sizeof ps_texts[0])

struct supply {
	const char *name;
	bool has[PS_NNUM];
	int64_t num[PS_NNUM];
	char text[PS_NTEXT][SYSFS_VAL];
};

static int ps_init(void **state, char *err, size_t errlen)
{
	char msg[300];
	struct rx *rx = rx_compile(ps_ignored, msg, sizeof msg);
	if (!rx) {
		strf(err, errlen, "invalid --collector.powersupply.ignored-supplies: %s", msg);
		return -1;
	}
	*state = rx;
	return 0;
}

static void ps_fini(void *state)
{
	rx_free(state);
}

static int ps_error(struct scrape *s, long err, const char *path)
{
	if (sysfs_enoent(err))
		return COLLECT_NODATA;
	return scrape_fail(s, "couldn't read %s: %s", path, strerror((int)-err));
}

static int ps_read(struct scrape *s, const char *dir, struct supply *p)
{
	char psdir[4096], path[4096], value[SYSFS_VAL];
	if (pathf(psdir, sizeof psdir, "%s/%s", dir, p->name) < 0)
		return scrape_fail(s, "path too long");
	struct sysfs_dir d;
	int rc = sysfs_dir_read(s, psdir, &d);
	if (rc < 0)
		return ps_error(s, rc, psdir);
	for (size_t i = 0; i < d.n && rc == COLLECT_OK; i++) {
		if (d.ents[i].type != DT_REG)
			continue;
		const char *name = d.ents[i].name;
		int text = -1, num = -1;
		for (size_t k = 0; k < PS_NTEXT && text < 0; k++)
			if (!strcmp(name, ps_texts[k]))
				text = (int)k;
		for (size_t k = 0; k < PS_NNUM && text < 0 && num < 0; k++)
			if (!strcmp(name, ps_nums[k].file))
				num = (int)k;
		if (text < 0 && num < 0)
			continue;
		if (pathf(path, sizeof path, "%s/%s", psdir, name) < 0) {
			rc = scrape_fail(s, "path too long");
			break;
		}
		ssize_t n = sysfs_attr(s, path, text >= 0 ? p->text[text] : value, SYSFS_VAL);
		if (n < 0) {
			if (text >= 0)
				p->text[text][0] = '\0';
			/* Attributes some drivers cannot report right now. */
			if (n == -ENOENT || n == -EOPNOTSUPP || n == -ENODEV)
				continue;
			rc = scrape_fail(s, "couldn't read %s: %s", path, strerror((int)-n));
			break;
		}
		if (num >= 0) {
			if (sysfs_parse_int(value, &p->num[num]) < 0)
				rc = scrape_fail(s, "invalid value '%s' in %s", value, path);
			else
				p->has[num] = true;
		}
	}
	sysfs_dir_free(&d);
	return rc;
}

static int powersupplyclass_collect(struct scrape *s, struct expo *e)
{
	const struct rx *ignored = s->state;
	char dir[4096];
	if (sys_path(dir, sizeof dir, "class/power_supply") < 0)
		return scrape_fail(s, "path too long");
	struct sysfs_dir d;
	int rc = sysfs_dir_read(s, dir, &d);
	if (rc < 0)
		return ps_error(s, rc, dir);

	/* All supplies or none, as upstream. */
	struct supply *ps = calloc(d.n ? d.n : 1, sizeof *ps);
	size_t np = 0;
	if (!ps) {
		sysfs_dir_free(&d);
		return scrape_fail(s, "out of memory");
	}
	for (size_t i = 0; i < d.n; i++) {
		if (rx_match(ignored, d.ents[i].name))
			continue;
		ps[np].name = d.ents[i].name;
		rc = ps_read(s, dir, &ps[np]);
		if (rc != COLLECT_OK)
			goto out;
		np++;
	}

	for (size_t k = 0; k < PS_NNUM; k++) {
		if (!ps_nums[k].metric)
			continue;
		char name[128], help[192];
		strf(name, sizeof name, "node_power_supply_%s", ps_nums[k].metric);
		strf(help, sizeof help, "Power supply attribute %s%s.", ps_nums[k].file,
			 ps_nums[k].div == 1e6 ? ", in base units (A, V, W, Wh, Ah)"
			 : ps_nums[k].div == 10 ? ", in degrees Celsius"
						: "");
		struct family *f = NULL;
		for (size_t i = 0; i < np; i++) {
			if (!ps[i].has[k])
				continue;
			if (!f)
				f = expo_family(e, name, METRIC_GAUGE, help, (const char *const[]){ "power_supply", NULL });
			expo_sample(e, f, (double)ps[i].num[k] / ps_nums[k].div, ps[i].name);
		}
	}

	const char *labels[PS_NTEXT + 2] = { "power_supply" };
	for (size_t k = 0; k < PS_NTEXT; k++)
		labels[k + 1] = ps_texts[k];
	struct family *finfo = expo_family(e, "node_power_supply_info", METRIC_GAUGE,
					   "Constant 1, labelled with the power supply's textual attributes.", labels);
	expo_family_omit_empty(finfo);
	for (size_t i = 0; i < np; i++) {
		const char *values[PS_NTEXT + 1] = { ps[i].name };
		for (size_t k = 0; k < PS_NTEXT; k++)
			values[k + 1] = ps[i].text[k];
		expo_add(e, finfo, 1, values);
	}
	rc = COLLECT_OK;
out:
	free(ps);
	sysfs_dir_free(&d);
	return rc;
}

const struct collector_def collector_powersupplyclass = {
	.name = "powersupplyclass",
	.default_enabled = true,
	.flags = ps_flags,
	.nflags = sizeof ps_flags / sizeof ps_flags[0],
	.init = ps_init,
	.collect = powersupplyclass_collect,
	.fini = ps_fini,
};
