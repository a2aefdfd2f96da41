#include "mountinfo.h"

#include <errno.h>
#include <string.h>

#include "hostfs.h"
#include "parse.h"
#include "statfile.h"

int mountinfo_read(struct scrape *s, struct buf *b, char *path, size_t pathcap)
{
	if (proc_path(path, pathcap, "1/mountinfo") < 0)
		return -ENAMETOOLONG;
	int rc = scrape_read(s, path, b);
	if (rc != -ENOENT)
		return rc;
	/* PID 1 is hidden (hidepid=): our own view is the next best. */
	if (proc_path(path, pathcap, "self/mountinfo") < 0)
		return -ENAMETOOLONG;
	return scrape_read(s, path, b);
}

static int parse_id(const char *s)
{
	int64_t v;
	return parse_i64(s, &v) < 0 || v < INT32_MIN || v > INT32_MAX ? -1 : 0;
}

/* More than this many fields (optional tags) is not a mount line we know. */
#define MAX_FIELDS 64

int mountinfo_next(char **cursor, struct mountinfo_entry *m)
{
	char *line = next_line(cursor);
	if (!line)
		return 0;
	char *f[MAX_FIELDS];
	size_t n = split_on(line, ' ', f, MAX_FIELDS);
	if (n < 10 || n > MAX_FIELDS || strcmp(f[n - 4], "-") != 0)
		return -1;
	if (parse_id(f[0]) < 0 || parse_id(f[1]) < 0 || parse_devnum(f[2], &m->major, &m->minor) < 0)
		return -1;
	m->root = f[3];
	m->mountpoint = f[4];
	mountinfo_unescape(m->mountpoint);
	m->options = f[5];
	m->fstype = f[n - 3];
	m->source = f[n - 2];
	m->super_options = f[n - 1];
	return 1;
}

static bool is_octal(char c)
{
	return c >= '0' && c <= '7';
}

void mountinfo_unescape(char *s)
{
	char *out = s;
	for (const char *p = s; *p;) {
		if (p[0] == '\\' && is_octal(p[1]) && is_octal(p[2]) && is_octal(p[3])) {
			int v = (p[1] - '0') * 64 + (p[2] - '0') * 8 + (p[3] - '0');
			/* \000 would cut the string short; keep it as written. */
			if (v > 0 && v < 256) {
				*out++ = (char)v;
				p += 4;
				continue;
			}
		}
		*out++ = *p++;
	}
	*out = '\0';
}

bool mount_option(const char *opts, const char *opt)
{
	size_t n = strlen(opt);
	for (const char *p = opts; p;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		if (len == n && memcmp(p, opt, n) == 0)
			return true;
		p = comma ? comma + 1 : NULL;
	}
	return false;
}

bool mount_option_value(const char *opts, const char *key, char *dst, size_t cap)
{
	size_t klen = strlen(key);
	bool found = false;
	dst[0] = '\0';
	for (const char *p = opts; p;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		const char *eq = memchr(p, '=', len);
		size_t name_len = eq ? (size_t)(eq - p) : len;
		if (name_len == klen && memcmp(p, key, klen) == 0) {
			found = true;
			dst[0] = '\0';
			if (eq) {
				const char *v = eq + 1, *end = p + len, *eq2 = memchr(v, '=', (size_t)(end - v));
				if (eq2)
					end = eq2;
				size_t vlen = (size_t)(end - v);
				if (vlen >= cap)
					vlen = cap - 1;
				memcpy(dst, v, vlen);
				dst[vlen] = '\0';
			}
		}
		p = comma ? comma + 1 : NULL;
	}
	return found;
}
