/*
 * hwmon: hardware sensors of /sys/class/hwmon (what lm-sensors shows).
 *
 * Each hwmonN directory (and its device/ directory) holds files named
 * <type><n>_<property>, e.g. temp1_input, fan2_min, in0_label. Every file
 * of a known sensor type becomes a series labelled {chip, sensor}, scaled
 * to base units by type (millidegrees, millivolts, milliamps, microwatts,
 * microjoules). Properties without a known unit are passed through as
 * node_hwmon_<type>_<property>.
 *
 * The chip label is stable across reboots: "<bus>_<device>" of the
 * resolved device symlink (e.g. platform_coretemp_0), else the name file,
 * else the hwmonN directory name. Chips sharing one parent device get the
 * name file (or hwmonN) appended. --collector.hwmon.chip-include/-exclude
 * match the chip label, --collector.hwmon.sensor-include/-exclude match
 * "<chip>;<sensor>".
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../../common/exporter.h"
#include "../../common/hostfs.h"
#include "../../common/parse.h"
#include "../../common/rx.h"
#include "../../common/sysfs.h"

static const char *hw_chip_include = "", *hw_chip_exclude = "";
static const char *hw_sensor_include = "", *hw_sensor_exclude = "";

static struct flag hw_flags[] = {
	{ .name = "collector.hwmon.chip-include", .type = FLAG_STRING, .dest = &hw_chip_include,
	  .help = "Regexp of hwmon chip labels to include." },
	{ .name = "collector.hwmon.chip-exclude", .type = FLAG_STRING, .dest = &hw_chip_exclude,
	  .help = "Regexp of hwmon chip labels to exclude." },
	{ .name = "collector.hwmon.sensor-include", .type = FLAG_STRING, .dest = &hw_sensor_include,
	  .help = "Regexp of hwmon sensors to include, matched against \"<chip>;<sensor>\"." },
	{ .name = "collector.hwmon.sensor-exclude", .type = FLAG_STRING, .dest = &hw_sensor_exclude,
	  .help = "Regexp of hwmon sensors to exclude, matched against \"<chip>;<sensor>\"." },
};

static const char *const sensor_types[] = { "vrm",  "beep_enable", "update_interval", "in",	  "cpu",       "fan",
					    "pwm",  "temp",	   "curr",	      "power",	  "energy",    "humidity",
					    "intrusion", "freq" };

struct hw_state {
	struct rx *chip_in, *chip_ex, *sensor_in, *sensor_ex;
};

#define NAME_MAX_LEN 128

/* One value file of a chip: sensor ("temp1"), property ("input", "" for none), value. */
struct reading {
	char sensor[NAME_MAX_LEN];
	char prop[NAME_MAX_LEN];
	char value[SYSFS_VAL];
	unsigned seq; /* later files (device/) replace earlier ones */
};

struct chip {
	char dir[4096];
	char base[NAME_MAX_LEN];
	bool has_name;
	char name[SYSFS_VAL];	  /* the name file, trailing whitespace removed */
	char namefile[SYSFS_VAL]; /* the same, trimmed at both ends */
	char label[2 * NAME_MAX_LEN + SYSFS_VAL];
};

static int compile(const char *pattern, const char *flag, struct rx **out, char *err, size_t errlen)
{
	char msg[300];
	if (!pattern[0])
		return 0;
	*out = rx_compile(pattern, msg, sizeof msg);
	if (!*out) {
		strf(err, errlen, "invalid --collector.hwmon.%s: %s", flag, msg);
		return -1;
	}
	return 0;
}

static void hw_fini(void *state)
{
	struct hw_state *st = state;
	if (!st)
		return;
	rx_free(st->chip_in);
	rx_free(st->chip_ex);
	rx_free(st->sensor_in);
	rx_free(st->sensor_ex);
	free(st);
}

static int hw_init(void **state, char *err, size_t errlen)
{
	struct hw_state *st = calloc(1, sizeof *st);
	if (!st) {
		strf(err, errlen, "hwmon: out of memory");
		return -1;
	}
	*state = st;
	if (compile(hw_chip_include, "chip-include", &st->chip_in, err, errlen) < 0 ||
	    compile(hw_chip_exclude, "chip-exclude", &st->chip_ex, err, errlen) < 0 ||
	    compile(hw_sensor_include, "sensor-include", &st->sensor_in, err, errlen) < 0 ||
	    compile(hw_sensor_exclude, "sensor-exclude", &st->sensor_ex, err, errlen) < 0) {
		hw_fini(st);
		*state = NULL;
		return -1;
	}
	return 0;
}

/* Lower case, [^a-z0-9:_] to "_", "_" trimmed at both ends (upstream's cleanMetricName). */
static void clean_name(const char *src, size_t len, char *dst, size_t cap)
{
	size_t o = 0;
	for (size_t i = 0; i < len && o + 1 < cap; i++) {
		char c = (char)tolower((unsigned char)src[i]);
		/* a UTF-8 sequence is one rune, so one "_" */
		if ((unsigned char)src[i] >= 0x80) {
			size_t n = 1;
			while (i + n < len && ((unsigned char)src[i + n] & 0xC0) == 0x80 &&
			       ((unsigned char)src[i] & 0xC0) == 0xC0)
				n++;
			i += n - 1;
			c = '_';
		} else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == ':' || c == '_')) {
			c = '_';
		}
		dst[o++] = c;
	}
	dst[o] = '\0';
	size_t start = 0;
	while (dst[start] == '_')
		start++;
	while (o > start && dst[o - 1] == '_')
		o--;
	memmove(dst, dst + start, o - start);
	dst[o - start] = '\0';
}

static void clean(const char *src, char *dst, size_t cap)
{
	clean_name(src, strlen(src), dst, cap);
}

/*
 * Split a sensor file name as upstream's ^([^0-9]+)([0-9]*)?(_(.+))?$ does
 * (with the regexp engine's preference order): type, number, property.
 */
static bool explode(const char *name, char *type, size_t tcap, long *num, const char **prop)
{
	size_t L = 0;
	while (name[L] && !(name[L] >= '0' && name[L] <= '9'))
		L++;
	if (L == 0)
		return false;
	size_t D = 0;
	while (name[L + D] >= '0' && name[L + D] <= '9')
		D++;
	const char *rest = name + L + D;
	size_t t = L, d = D;
	if (!(*rest == '\0' || (rest[0] == '_' && rest[1] && !strchr(rest + 1, '\n')))) {
		/* Back off: a shorter type followed directly by "_<property>". */
		d = 0;
		for (t = L - 1; t > 0; t--)
			if (name[t] == '_' && name[t + 1] && !strchr(name + t + 1, '\n'))
				break;
		if (t == 0)
			return false;
		rest = name + t;
	}
	if (t >= tcap)
		return false;
	memcpy(type, name, t);
	type[t] = '\0';
	*num = 0;
	if (d) {
		uint64_t v;
		if (parse_u64_n(name + t, d, &v) < 0 || v > (uint64_t)LONG_MAX)
			return false;
		*num = (long)v;
	}
	*prop = *rest ? rest + 1 : rest;
	return true;
}

static bool known_type(const char *type)
{
	for (size_t i = 0; i < sizeof sensor_types / sizeof sensor_types[0]; i++)
		if (!strcmp(type, sensor_types[i]))
			return true;
	return false;
}

struct readings {
	struct reading *r;
	size_t n, cap;
	unsigned seq;
};

/* Collect the sensor files of dir; returns 0 or -errno of listing it. */
static int collect_dir(struct scrape *s, const char *dir, struct readings *rs)
{
	struct sysfs_dir d;
	int rc = sysfs_dir_read(s, dir, &d);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < d.n; i++) {
		char type[NAME_MAX_LEN], path[4096], raw[SYSFS_VAL];
		long num;
		const char *prop;
		if (!explode(d.ents[i].name, type, sizeof type, &num, &prop) || !known_type(type))
			continue;
		if (d.ents[i].type == DT_DIR) /* reading it would fail */
			continue;
		if (pathf(path, sizeof path, "%s/%s", dir, d.ents[i].name) < 0)
			continue;
		/* Upstream reads at most 128 bytes and skips files it cannot read. */
		ssize_t n = sysfs_head(s, path, raw, sizeof raw);
		if (n < 0)
			continue;
		while (n > 0 && raw[n - 1] == '\n')
			raw[--n] = '\0';
		const char *v = raw;
		while (*v == '\n')
			v++;
		struct reading *r = sysfs_grow(&rs->r, &rs->n, &rs->cap, sizeof *rs->r);
		if (!r) {
			sysfs_dir_free(&d);
			return -ENOMEM;
		}
		strf(r->sensor, sizeof r->sensor, "%.100s%ld", type, num);
		strf(r->prop, sizeof r->prop, "%s", prop);
		strf(r->value, sizeof r->value, "%.*s", SYSFS_ATTR_MAX, v);
		r->seq = rs->seq++;
	}
	sysfs_dir_free(&d);
	return 0;
}

static int cmp_reading(const void *a, const void *b)
{
	const struct reading *x = a, *y = b;
	int c = strcmp(x->sensor, y->sensor);
	if (!c)
		c = strcmp(x->prop, y->prop);
	if (!c)
		c = x->seq < y->seq ? -1 : x->seq > y->seq;
	return c;
}

static void gauge(struct expo *e, const char *name, enum metric_type type, const char *help, double v,
		  const char *chip, const char *sensor)
{
	struct family *f = expo_family(e, name, type, help, (const char *const[]){ "chip", "sensor", NULL });
	expo_sample(e, f, v, chip, sensor);
}

/* Emit one property of a sensor whose properties are grp[0..n). */
static void emit_property(struct expo *e, const char *chip, const char *type, const struct reading *grp, size_t n,
			  const struct reading *r)
{
	const char *el = r->prop;
	const char *shown = el[0] ? el : "input";
	bool has_plain = false;
	const char *label = NULL;
	for (size_t i = 0; i < n; i++) {
		if (!grp[i].prop[0])
			has_plain = true;
		if (!strcmp(grp[i].prop, "label"))
			label = grp[i].value;
	}
	char name[512], help[512], cel[NAME_MAX_LEN];
	clean(el, cel, sizeof cel);
	if (!strcmp(el, "input"))
		strf(name, sizeof name, "node_hwmon_%s%s", type, has_plain ? "_input" : "");
	else if (el[0])
		strf(name, sizeof name, "node_hwmon_%s_%s", type, cel);
	else
		strf(name, sizeof name, "node_hwmon_%s", type);
	double v;
	if (parse_double(r->value, &v) < 0)
		return;

	const char *sensor = r->sensor;
	if (!strcmp(el, "fault") || !strcmp(el, "alarm")) {
		strf(help, sizeof help, "Hardware monitor %s status of the %s sensor.", el, type);
		gauge(e, name, METRIC_GAUGE, help, v, chip, sensor);
		return;
	}
	if (!strcmp(el, "beep")) {
		char full[600];
		strf(full, sizeof full, "%s_enabled", name);
		strf(help, sizeof help, "1 if the %s sensor beeps on alarm.", type);
		gauge(e, full, METRIC_GAUGE, help, v, chip, sensor);
		return;
	}
	const char *suffix = "", *what = NULL, *unit = "";
	double scale = 1, div = 1; /* upstream multiplies by 0.001 but divides by 1e6 */
	enum metric_type mt = METRIC_GAUGE;
	if (!strcmp(type, "in") || !strcmp(type, "cpu"))
		suffix = "_volts", scale = 0.001, what = "voltage", unit = ", in volts";
	else if (!strcmp(type, "temp") && strcmp(el, "type") != 0)
		suffix = "_celsius", scale = 0.001, what = "temperature", unit = ", in degrees Celsius";
	else if (!strcmp(type, "curr"))
		suffix = "_amps", scale = 0.001, what = "current", unit = ", in amperes";
	else if (!strcmp(type, "energy"))
		suffix = "_joule_total", div = 1e6, mt = METRIC_COUNTER, what = "energy used", unit = ", in joules";
	else if (!strcmp(type, "power") && !strcmp(el, "accuracy"))
		div = 1e6, what = "power meter accuracy", unit = ", as a ratio";
	else if (!strcmp(type, "power") && (!strcmp(el, "average_interval") || !strcmp(el, "average_interval_min") ||
					    !strcmp(el, "average_interval_max")))
		suffix = "_seconds", scale = 0.001, what = "power averaging interval", unit = ", in seconds";
	else if (!strcmp(type, "power"))
		suffix = "_watt", div = 1e6, what = "power", unit = ", in watts";
	else if (!strcmp(type, "humidity"))
		div = 1e6, what = "relative humidity", unit = ", as a ratio";
	else if (!strcmp(type, "fan") &&
		 (!strcmp(el, "input") || !strcmp(el, "min") || !strcmp(el, "max") || !strcmp(el, "target")))
		suffix = "_rpm", what = "fan speed", unit = ", in revolutions per minute";
	else if (!strcmp(type, "freq") && !strcmp(el, "input")) {
		/* GPU clocks: the sensor label is the clock's cleaned label. */
		if (label) {
			char full[600], clabel[SYSFS_VAL];
			strf(full, sizeof full, "%s_freq_mhz", name);
			clean(label, clabel, sizeof clabel);
			gauge(e, full, METRIC_GAUGE, "Hardware monitor frequency, in MHz.", v / 1e6, chip, clabel);
		}
		return;
	}
	char full[600];
	strf(full, sizeof full, "%s%s", name, suffix);
	if (what) {
		strf(help, sizeof help, "Hardware monitor %s (%s)%s.", what, shown, unit);
	} else {
		strf(help, sizeof help, "Hardware monitor %s sensor property %s, as read.", type, shown);
	}
	gauge(e, full, mt, help, v * scale / div, chip, sensor);
}

/* Emit the sensors of one chip. Returns 0 or -errno of listing its directories. */
static int update_chip(struct scrape *s, struct expo *e, const struct hw_state *st, const struct chip *c)
{
	struct readings rs = { 0 };
	char path[4096];
	int rc = collect_dir(s, c->dir, &rs);
	if (rc == 0 && pathf(path, sizeof path, "%s/device", c->dir) == 0 && sysfs_exists(path))
		rc = collect_dir(s, path, &rs);
	if (rc < 0) {
		free(rs.r);
		return rc;
	}

	/* node_hwmon_chip_names: the chip's own name file, cleaned. */
	char cname[SYSFS_VAL];
	if (c->has_name) {
		clean(c->name, cname, sizeof cname);
		if (cname[0]) {
			struct family *f = expo_family(e, "node_hwmon_chip_names", METRIC_GAUGE,
						       "Constant 1, maps the chip label to the chip's own name.",
						       (const char *const[]){ "chip", "chip_name", NULL });
			expo_sample(e, f, 1, c->label, cname);
		}
	}

	if (rs.n > 1)
		qsort(rs.r, rs.n, sizeof *rs.r, cmp_reading);
	/* Keep the last reading of each sensor/property. */
	size_t m = 0;
	for (size_t i = 0; i < rs.n; i++) {
		if (m && !strcmp(rs.r[m - 1].sensor, rs.r[i].sensor) && !strcmp(rs.r[m - 1].prop, rs.r[i].prop))
			rs.r[m - 1] = rs.r[i];
		else
			rs.r[m++] = rs.r[i];
	}
	for (size_t i = 0; i < m;) {
		size_t j = i;
		while (j < m && !strcmp(rs.r[j].sensor, rs.r[i].sensor))
			j++;
		const struct reading *grp = &rs.r[i];
		size_t n = j - i;
		i = j;
		const char *sensor = grp[0].sensor;
		char key[sizeof c->label + NAME_MAX_LEN + 2];
		strf(key, sizeof key, "%s;%s", c->label, sensor);
		if (rx_ignored(st->sensor_in, st->sensor_ex, key))
			continue;
		char type[NAME_MAX_LEN];
		long num;
		const char *prop;
		if (!explode(sensor, type, sizeof type, &num, &prop))
			continue;
		const char *plain = NULL;
		for (size_t k = 0; k < n; k++) {
			if (!strcmp(grp[k].prop, "label")) {
				struct family *f = expo_family(e, "node_hwmon_sensor_label", METRIC_GAUGE,
							       "Constant 1, labelled with the sensor's label.",
							       (const char *const[]){ "chip", "sensor", "label", NULL });
				expo_sample(e, f, 1, c->label, sensor, grp[k].value);
			}
			if (!grp[k].prop[0])
				plain = grp[k].value;
		}
		double v;
		if (!strcmp(type, "beep_enable")) {
			gauge(e, "node_hwmon_beep_enabled", METRIC_GAUGE, "1 if the chip's beep is enabled.",
			      plain && !strcmp(plain, "1") ? 1 : 0, c->label, sensor);
			continue;
		}
		if (!strcmp(type, "vrm")) {
			if (plain && parse_double(plain, &v) == 0)
				gauge(e, "node_hwmon_voltage_regulator_version", METRIC_GAUGE,
				      "Version of the voltage regulator module.", v, c->label, sensor);
			continue;
		}
		if (!strcmp(type, "update_interval")) {
			if (plain && parse_double(plain, &v) == 0)
				gauge(e, "node_hwmon_update_interval_seconds", METRIC_GAUGE,
				      "Update interval of the chip's readings, in seconds.", v * 0.001, c->label, sensor);
			continue;
		}
		for (size_t k = 0; k < n; k++)
			if (strcmp(grp[k].prop, "label") != 0)
				emit_property(e, c->label, type, grp, n, &grp[k]);
	}
	free(rs.r);
	return 0;
}

/* The chip's base label (see the top of the file); false if none. */
static bool chip_base(const struct chip *c, char *dst, size_t cap)
{
	const char *dir = c->dir;
	char path[4096], real[PATH_MAX];
	if (pathf(path, sizeof path, "%s/device", dir) == 0 && sysfs_realpath(path, real, sizeof real) == 0) {
		char *slash = strrchr(real, '/');
		const char *devname = slash ? slash + 1 : real;
		char cname[NAME_MAX_LEN], ctype[NAME_MAX_LEN];
		clean(devname, cname, sizeof cname);
		ctype[0] = '\0';
		if (slash) {
			*slash = '\0';
			char *pslash = strrchr(real, '/');
			clean(pslash ? pslash + 1 : real, ctype, sizeof ctype);
		}
		if (ctype[0] && cname[0]) {
			strf(dst, cap, "%.60s_%.60s", ctype, cname);
			return true;
		}
		if (cname[0]) {
			strf(dst, cap, "%s", cname);
			return true;
		}
	}
	if (c->has_name && c->name[0]) {
		clean(c->name, dst, cap);
		if (dst[0])
			return true;
	}
	if (sysfs_realpath(dir, real, sizeof real) == 0) {
		char *slash = strrchr(real, '/');
		clean(slash ? slash + 1 : real, dst, cap);
		if (dst[0])
			return true;
	}
	return false;
}

static int hwmon_collect(struct scrape *s, struct expo *e)
{
	const struct hw_state *st = s->state;
	char base[4096];
	if (sys_path(base, sizeof base, "class/hwmon") < 0)
		return scrape_fail(s, "path too long");
	struct sysfs_dir d;
	int rc = collect_list(s, base, &d);
	if (rc != COLLECT_OK)
		return rc;

	struct chip *chips = calloc(d.n ? d.n : 1, sizeof *chips);
	size_t nc = 0;
	if (!chips) {
		sysfs_dir_free(&d);
		return scrape_fail(s, "out of memory");
	}
	/* Pass 1: the chips and their base labels. */
	for (size_t i = 0; i < d.n; i++) {
		struct chip *c = &chips[nc];
		if (pathf(c->dir, sizeof c->dir, "%s/%s", base, d.ents[i].name) < 0 || !sysfs_is_dir(c->dir))
			continue;
		/* The name file, read once (upstream reads it whole; names are short). */
		char path[4096];
		ssize_t n = -ENAMETOOLONG;
		if (pathf(path, sizeof path, "%s/name", c->dir) == 0)
			n = sysfs_file(s, path, c->name, sizeof c->name, false);
		c->has_name = n >= 0;
		if (!c->has_name)
			c->name[0] = '\0';
		const char *t = c->name;
		while (*t == ' ' || *t == '\t' || *t == '\n' || *t == '\r' || *t == '\v' || *t == '\f')
			t++;
		memcpy(c->namefile, t, strlen(t) + 1);
		if (!chip_base(c, c->base, sizeof c->base))
			continue;
		nc++;
	}

	/* Pass 2: make labels unique, filter, emit. */
	const char *failed = NULL;
	int err = 0;
	for (size_t i = 0; i < nc; i++) {
		struct chip *c = &chips[i];
		size_t same_base = 0, same_name = 0;
		for (size_t k = 0; k < nc; k++) {
			if (strcmp(chips[k].base, c->base) != 0)
				continue;
			same_base++;
			if (!strcmp(chips[k].namefile, c->namefile))
				same_name++;
		}
		if (same_base > 1) {
			char suffix[SYSFS_VAL + 8];
			clean(c->namefile, suffix, sizeof suffix);
			if (!suffix[0] || same_name > 1) {
				const char *slash = strrchr(c->dir, '/');
				clean(slash ? slash + 1 : c->dir, suffix, sizeof suffix);
			}
			strf(c->label, sizeof c->label, "%s_%s", c->base, suffix);
		} else {
			strf(c->label, sizeof c->label, "%s", c->base);
		}
		if (rx_ignored(st->chip_in, st->chip_ex, c->label))
			continue;
		int r = update_chip(s, e, st, c);
		if (r < 0) {
			/* Like upstream, the other chips are still reported. */
			failed = c->dir;
			err = r;
		}
	}
	rc = failed ? scrape_fail(s, "couldn't read hwmon directory %s: %s", failed, strerror(-err)) : COLLECT_OK;
	free(chips);
	sysfs_dir_free(&d);
	return rc;
}

const struct collector_def collector_hwmon = {
	.name = "hwmon",
	.default_enabled = true,
	.flags = hw_flags,
	.nflags = sizeof hw_flags / sizeof hw_flags[0],
	.init = hw_init,
	.collect = hwmon_collect,
	.fini = hw_fini,
};
