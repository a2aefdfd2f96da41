/*
 * os: the operating system's identification from os-release(5),
 * <rootfs>/etc/os-release or else <rootfs>/usr/lib/os-release, read on
 * every scrape (a package upgrade replaces the file). The file is parsed
 * with the rules of the env-file parser upstream uses (hashicorp's
 * go-envparse v0.1.0): KEY=value lines, '#' comments, single quotes,
 * double quotes with JSON escapes; anything else is an error.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../../common/exporter.h"
#include "../../common/fsread.h"
#include "../../common/hostfs.h"
#include "../../common/parse.h"

#define OS_RELEASE_MAX (1u << 20)

/* The keys upstream reports, in the order of node_os_info's labels. */
static const char *const info_keys[] = {
	"BUILD_ID", "ID",	 "ID_LIKE",   "IMAGE_ID",   "IMAGE_VERSION",    "NAME",
	"PRETTY_NAME", "VARIANT", "VARIANT_ID", "VERSION", "VERSION_CODENAME", "VERSION_ID",
};
#define NKEYS (sizeof info_keys / sizeof info_keys[0])
static const char *const info_labels[NKEYS + 1] = {
	"build_id", "id",	  "id_like",	"image_id", "image_version",	"name",
	"pretty_name", "variant", "variant_id", "version",  "version_codename", "version_id",
	NULL,
};
enum { K_ID = 1, K_ID_LIKE = 2, K_NAME = 5, K_VERSION_ID = 11 };

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

static char *trim_all(char *s, char **end)
{
	while (s < *end && is_space(*s))
		s++;
	while (*end > s && is_space((*end)[-1]))
		(*end)--;
	return s;
}

static int hex4(const char *p, const char *end, unsigned *r)
{
	if (end - p < 4)
		return -1;
	*r = 0;
	for (int i = 0; i < 4; i++) {
		char d = p[i];
		unsigned v;
		if (d >= '0' && d <= '9')
			v = (unsigned)(d - '0');
		else if (d >= 'a' && d <= 'f')
			v = (unsigned)(d - 'a' + 10);
		else if (d >= 'A' && d <= 'F')
			v = (unsigned)(d - 'A' + 10);
		else
			return -1;
		*r = *r * 16 + v;
	}
	return 0;
}

static size_t put_utf8(char *o, unsigned r)
{
	if (r < 0x80) {
		o[0] = (char)r;
		return 1;
	}
	if (r < 0x800) {
		o[0] = (char)(0xc0 | (r >> 6));
		o[1] = (char)(0x80 | (r & 0x3f));
		return 2;
	}
	if (r < 0x10000) {
		o[0] = (char)(0xe0 | (r >> 12));
		o[1] = (char)(0x80 | ((r >> 6) & 0x3f));
		o[2] = (char)(0x80 | (r & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | (r >> 18));
	o[1] = (char)(0x80 | ((r >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((r >> 6) & 0x3f));
	o[3] = (char)(0x80 | (r & 0x3f));
	return 4;
}

/*
 * Parse one line in place. Sets *key (NULL for a blank or comment line) and
 * *value, both NUL-terminated inside the line. Returns 0 or -1 (with why).
 */
static int parse_line(char *line, char **key, char **value, const char **why)
{
	char *end = line + strlen(line);
	char *ln = trim_all(line, &end);
	*key = NULL;
	if (ln == end || *ln == '#')
		return 0;
	char *eq = memchr(ln, '=', (size_t)(end - ln));
	if (!eq)
		return *why = "missing =", -1;
	char *kend = eq, *vend = end;
	char *k = trim_all(ln, &kend);
	char *v = trim_all(eq + 1, &vend);
	if (kend - k > 7 && memcmp(k, "export ", 7) == 0)
		k += 7;
	if (k == kend)
		return *why = "empty key", -1;
	if (!((*k >= 'A' && *k <= 'Z') || (*k >= 'a' && *k <= 'z') || *k == '_'))
		return *why = "key must start with [A-Za-z_]", -1;
	for (char *p = k + 1; p < kend; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		      (*p >= '0' && *p <= '9') || *p == '_' || *p == '.' || *p == '/'))
			return *why = "key characters must be [A-Za-z0-9/_.]", -1;
	*kend = '\0';
	*key = k;

	/* Unescape into the same bytes: the output never outgrows the input. */
	enum { NORMAL, DQUOTE, SQUOTE, ESCAPE } mode = NORMAL;
	char *o = v;
	size_t last_sig = 0;
	for (char *p = v; p < vend; p++) {
		unsigned char c = (unsigned char)*p;
		if (c < 32)
			return *why = "control character in value", -1;
		if (c > 127) {
			if (mode == ESCAPE)
				return *why = "multibyte characters disallowed in escape sequences", -1;
			*o++ = (char)c;
			last_sig = (size_t)(o - v);
			continue;
		}
		switch (mode) {
		case NORMAL:
			if (c == '"')
				mode = DQUOTE;
			else if (c == '\'')
				mode = SQUOTE;
			else if (c == '#') {
				v[last_sig] = '\0';
				*value = v;
				return 0;
			} else {
				*o++ = (char)c;
				if (c != ' ' && c != '\t')
					last_sig = (size_t)(o - v);
			}
			break;
		case DQUOTE:
			if (c == '"')
				mode = NORMAL;
			else if (c == '\\')
				mode = ESCAPE;
			else {
				*o++ = (char)c;
				last_sig = (size_t)(o - v);
			}
			break;
		case ESCAPE: {
			static const char from[] = "\"\\/bfrnt", to[] = "\"\\/\b\f\r\n\t";
			const char *m = c ? strchr(from, c) : NULL;
			if (m) {
				*o++ = to[m - from];
			} else if (c == 'u') {
				unsigned r, r2;
				if (hex4(p + 1, vend, &r) < 0)
					return *why = "incomplete or invalid hex sequence", -1;
				p += 4;
				if (r >= 0xd800 && r < 0xe000) {
					if (vend - p < 7 || p[1] != '\\' || p[2] != 'u')
						return *why = "incomplete Unicode surrogate pair", -1;
					if (hex4(p + 3, vend, &r2) < 0)
						return *why = "invalid hex sequence", -1;
					p += 6;
					if (r < 0xdc00 && r2 >= 0xdc00 && r2 < 0xe000)
						r = 0x10000 + ((r - 0xd800) << 10) + (r2 - 0xdc00);
					else
						r = 0xfffd;
				}
				o += put_utf8(o, r);
			} else {
				return *why = "invalid escape sequence", -1;
			}
			last_sig = (size_t)(o - v);
			mode = DQUOTE;
			break;
		}
		case SQUOTE:
			if (c == '\'')
				mode = NORMAL;
			else {
				*o++ = (char)c;
				last_sig = (size_t)(o - v);
			}
			break;
		}
	}
	if (mode == DQUOTE)
		return *why = "unmatched \"", -1;
	if (mode == SQUOTE)
		return *why = "unmatched '", -1;
	if (mode == ESCAPE)
		return *why = "incomplete escape sequence", -1;
	*o = '\0';
	*value = v;
	return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? (unsigned)-3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

/* Go's time.Parse("2006-01-02", s) in UTC, as seconds since the epoch. */
static int parse_date(const char *s, double *out)
{
	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return -1;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return -1;
	unsigned y = (unsigned)((s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 +
				(s[3] - '0'));
	unsigned m = (unsigned)((s[5] - '0') * 10 + (s[6] - '0'));
	unsigned d = (unsigned)((s[8] - '0') * 10 + (s[9] - '0'));
	static const unsigned mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return -1;
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (m == 2 && d == 29 && !leap)
		return -1;
	*out = (double)(days_from_civil(y, m, d) * 86400);
	return 0;
}

static int os_collect(struct scrape *s, struct expo *e)
{
	static const char *const files[] = { "etc/os-release", "usr/lib/os-release" };
	char path[4096];
	struct buf b;
	buf_init(&b, OS_RELEASE_MAX);
	int rc = -ENOENT;
	for (size_t i = 0; i < 2 && rc == -ENOENT; i++) {
		if (rootfs_path(path, sizeof path, "%s", files[i]) < 0) {
			buf_free(&b);
			return scrape_fail(s, "path too long");
		}
		/* Not through the descriptor cache: upgrades replace the file by rename. */
		rc = read_whole(path, &b);
	}
	if (rc == -ENOENT) {
		buf_free(&b);
		return COLLECT_NODATA;
	}
	if (rc < 0) {
		buf_free(&b);
		return scrape_fail(s, "couldn't read %s: %s", path, strerror(-rc));
	}

	const char *val[NKEYS];
	for (size_t i = 0; i < NKEYS; i++)
		val[i] = "";
	const char *support_end = "";
	char *cur = b.data, *line;
	int lineno = 0;
	rc = COLLECT_OK;
	while ((line = next_line(&cur))) {
		lineno++;
		char *key, *value;
		const char *why;
		if (parse_line(line, &key, &value, &why) < 0) {
			rc = scrape_fail(s, "%s line %d: %s", path, lineno, why);
			break;
		}
		if (!key)
			continue;
		for (size_t i = 0; i < NKEYS; i++)
			if (!strcmp(key, info_keys[i]))
				val[i] = value;
		if (!strcmp(key, "SUPPORT_END"))
			support_end = value;
	}

	/* node_os_version: the leading "major[.minor]" of VERSION_ID. */
	double version = 0, end_ts = 0;
	if (rc == COLLECT_OK) {
		const char *v = val[K_VERSION_ID];
		size_t n = strspn(v, "0123456789");
		if (n && v[n] == '.')
			n += 1 + strspn(v + n + 1, "0123456789");
		if (n && parse_double_n(v, n, &version) < 0)
			rc = scrape_fail(s, "invalid VERSION_ID '%s' in %s", v, path);
	}
	if (rc == COLLECT_OK && *support_end && parse_date(support_end, &end_ts) < 0)
		rc = scrape_fail(s, "invalid SUPPORT_END '%s' in %s", support_end, path);

	if (rc == COLLECT_OK) {
		struct family *info = expo_family(
			e, "node_os_info", METRIC_INFO,
			"Operating system identification from os-release; the value is always 1.",
			info_labels);
		expo_add(e, info, 1, val);
		if (version > 0) {
			struct family *fv = expo_family(
				e, "node_os_version", METRIC_GAUGE,
				"Major.minor part of the operating system's VERSION_ID.",
				(const char *const[]){ "id", "id_like", "name", NULL });
			expo_sample(e, fv, version, val[K_ID], val[K_ID_LIKE], val[K_NAME]);
		}
		if (*support_end)
			expo_single(e, "node_os_support_end_timestamp_seconds", METRIC_GAUGE,
				    "End of support of the operating system (SUPPORT_END), as a Unix timestamp.",
				    end_ts);
	}
	buf_free(&b);
	return rc;
}

const struct collector_def collector_os = {
	.name = "os",
	.default_enabled = true,
	.collect = os_collect,
};
