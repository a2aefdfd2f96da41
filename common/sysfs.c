#define _GNU_SOURCE /* O_PATH */
#include "sysfs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsread.h"
#include "parse.h"
#include "statfile.h"

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static size_t trim_both(char *dst, size_t n)
{
	while (n && is_space(dst[n - 1]))
		n--;
	size_t lead = 0;
	while (lead < n && is_space(dst[lead]))
		lead++;
	if (lead)
		memmove(dst, dst + lead, n - lead);
	n -= lead;
	dst[n] = '\0';
	return n;
}

ssize_t sysfs_head(struct scrape *s, const char *path, char *dst, size_t cap)
{
	if (cap < SYSFS_ATTR_MAX + 1)
		return -EINVAL;
	/*
	 * Upstream reads 128 bytes. Reading more and cutting afterwards gives
	 * the same bytes; the cached read needs the whole file to fit, so read
	 * into a larger buffer first.
	 */
	char tmp[4096];
	ssize_t n = s ? scrape_read_small(s, path, tmp, sizeof tmp) : read_small(path, tmp, sizeof tmp);
	if (n == -EFBIG) {
		/* A huge attribute: read its head once, uncached. */
		int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
		if (fd < 0)
			return -errno;
		do
			n = read(fd, tmp, SYSFS_ATTR_MAX);
		while (n < 0 && errno == EINTR);
		int err = errno;
		close(fd);
		if (n < 0)
			return -err;
	}
	if (n < 0)
		return n;
	if (n > SYSFS_ATTR_MAX)
		n = SYSFS_ATTR_MAX;
	memcpy(dst, tmp, (size_t)n);
	dst[n] = '\0';
	return n;
}

ssize_t sysfs_attr(struct scrape *s, const char *path, char *dst, size_t cap)
{
	ssize_t n = sysfs_head(s, path, dst, cap);
	if (n < 0)
		return n;
	return (ssize_t)trim_both(dst, (size_t)n);
}

ssize_t sysfs_attr_at(struct scrape *s, const char *dir, const char *name, char *dst, size_t cap)
{
	char path[4096];
	if (pathf(path, sizeof path, "%s/%s", dir, name) < 0)
		return -ENAMETOOLONG;
	return sysfs_attr(s, path, dst, cap);
}

ssize_t sysfs_file(struct scrape *s, const char *path, char *dst, size_t cap, bool trim_lead)
{
	ssize_t n = scrape_read_small(s, path, dst, cap);
	if (n < 0 || !trim_lead)
		return n;
	return (ssize_t)trim_both(dst, (size_t)n);
}

int sysfs_read_uint(struct scrape *s, const char *path, uint64_t *v)
{
	char text[256];
	ssize_t n = sysfs_file(s, path, text, sizeof text, true);
	if (n < 0)
		return (int)n;
	return parse_u64(text, v) < 0 ? -EBADMSG : 0;
}

void *sysfs_grow(void *arrp, size_t *n, size_t *cap, size_t elem)
{
	char *arr;
	memcpy(&arr, arrp, sizeof arr);
	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 8;
		char *p = realloc(arr, ncap * elem);
		if (!p)
			return NULL;
		arr = p;
		*cap = ncap;
		memcpy(arrp, &arr, sizeof arr);
	}
	char *item = arr + *n * elem;
	memset(item, 0, elem);
	(*n)++;
	return item;
}

char *sysfs_next_field(char **cursor)
{
	char *p = *cursor;
	while (*p && is_space(*p))
		p++;
	if (!*p) {
		*cursor = p;
		return NULL;
	}
	char *start = p;
	while (*p && !is_space(*p))
		p++;
	if (*p)
		*p++ = '\0';
	*cursor = p;
	return start;
}

static long abs_err(long err)
{
	return err < 0 ? -err : err;
}

bool sysfs_enoent(long err)
{
	return abs_err(err) == ENOENT;
}

bool sysfs_eperm(long err)
{
	err = abs_err(err);
	return err == EACCES || err == EPERM;
}

bool sysfs_ignorable(long err)
{
	long e = abs_err(err);
	return e == ENOENT || e == EACCES || e == EPERM || e == EOPNOTSUPP || e == EINVAL;
}

int sysfs_dir_read(struct scrape *s, const char *path, struct sysfs_dir *d)
{
	memset(d, 0, sizeof *d);
	struct dirlist dl;
	int rc = scrape_dirlist(s, path, &dl);
	if (rc < 0)
		return rc;
	d->ents = calloc(dl.n ? dl.n : 1, sizeof *d->ents);
	if (!d->ents) {
		dirlist_free(&dl);
		return -ENOMEM;
	}
	for (size_t i = 0; i < dl.n; i++) {
		d->ents[i].name = dl.names[i];
		d->ents[i].type = dl.types[i];
	}
	d->n = dl.n;
	d->names = (char *)dl.names; /* the listing's block: freed with the entries */
	return 0;
}

void sysfs_dir_free(struct sysfs_dir *d)
{
	free(d->ents);
	free(d->names);
	memset(d, 0, sizeof *d);
}

bool sysfs_is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int sysfs_realpath(const char *path, char *dst, size_t cap)
{
	/*
	 * The kernel's own name for an O_PATH descriptor costs three system
	 * calls; realpath() readlinks every component of a deep sysfs path.
	 */
	int fd = open(path, O_PATH | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	char link[64];
	strf(link, sizeof link, "/proc/self/fd/%d", fd);
	ssize_t n = cap > 1 ? readlink(link, dst, cap - 1) : -1;
	close(fd);
	if (n > 0 && (size_t)n < cap - 1 && dst[0] == '/') {
		dst[n] = '\0';
		return 0;
	}
	/* No /proc: the library's way. */
	char tmp[PATH_MAX];
	if (!realpath(path, tmp))
		return -errno;
	if (strlen(tmp) >= cap)
		return -ENAMETOOLONG;
	memcpy(dst, tmp, strlen(tmp) + 1);
	return 0;
}

bool sysfs_exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

bool sysfs_glob_digit(const char *name, const char *prefix)
{
	size_t n = strlen(prefix);
	return strncmp(name, prefix, n) == 0 && name[n] >= '0' && name[n] <= '9';
}

static char lower(char c)
{
	return (char)(c | 0x20);
}

/* Go's underscoreOK: underscores only between digits or after a base prefix. */
static bool underscores_ok(const char *s)
{
	char saw = '^';
	size_t i = 0;
	if (*s == '+' || *s == '-')
		s++;
	bool hex = false;
	size_t n = strlen(s);
	if (n >= 2 && s[0] == '0' &&
	    (lower(s[1]) == 'b' || lower(s[1]) == 'o' || lower(s[1]) == 'x')) {
		i = 2;
		saw = '0';
		hex = lower(s[1]) == 'x';
	}
	for (; i < n; i++) {
		if ((s[i] >= '0' && s[i] <= '9') || (hex && lower(s[i]) >= 'a' && lower(s[i]) <= 'f')) {
			saw = '0';
			continue;
		}
		if (s[i] == '_') {
			if (saw != '0')
				return false;
			saw = '_';
			continue;
		}
		if (saw == '_')
			return false;
		saw = '!';
	}
	return saw != '_';
}

int sysfs_parse_uint(const char *s, uint64_t *out)
{
	const char *s0 = s;
	if (!*s)
		return -1;
	unsigned base = 10;
	if (s[0] == '0') {
		size_t n = strlen(s);
		char c = n >= 3 ? lower(s[1]) : 0;
		if (c == 'b')
			base = 2, s += 2;
		else if (c == 'o')
			base = 8, s += 2;
		else if (c == 'x')
			base = 16, s += 2;
		else
			base = 8, s += 1;
	}
	bool underscores = false;
	uint64_t v = 0;
	for (; *s; s++) {
		char c = *s;
		unsigned d;
		if (c == '_') {
			underscores = true;
			continue;
		} else if (c >= '0' && c <= '9') {
			d = (unsigned)(c - '0');
		} else if (lower(c) >= 'a' && lower(c) <= 'z') {
			d = (unsigned)(lower(c) - 'a' + 10);
		} else {
			return -1;
		}
		if (d >= base)
			return -1;
		if (v > (UINT64_MAX - d) / base)
			return -1;
		v = v * base + d;
	}
	if (underscores && !underscores_ok(s0))
		return -1;
	*out = v;
	return 0;
}

int sysfs_parse_int(const char *s, int64_t *out)
{
	const char *s0 = s;
	bool neg = false;
	if (*s == '+' || *s == '-') {
		neg = *s == '-';
		s++;
	}
	uint64_t u;
	if (sysfs_parse_uint(s, &u) < 0)
		return -1;
	/* Underscore placement is judged on the whole string, sign included. */
	if (strchr(s0, '_') && !underscores_ok(s0))
		return -1;
	return i64_from_sign(neg, u, out);
}

static bool name_char(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

void sysfs_sanitize_name(const char *src, char *dst, size_t cap)
{
	size_t o = 0;
	const unsigned char *p = (const unsigned char *)src;
	while (*p && o + 1 < cap) {
		/* A match: _* [^0-9A-Za-z_]+ _* */
		const unsigned char *q = p;
		while (*q == '_')
			q++;
		const unsigned char *r = q;
		while (*r && !name_char(*r))
			r++;
		if (r > q) {
			while (*r == '_')
				r++;
			dst[o++] = '_';
			p = r;
		} else {
			dst[o++] = (char)*p++;
		}
	}
	dst[o] = '\0';
}

static int read_text(struct scrape *s, const char *path, char **text, bool absent_is_nodata)
{
	struct buf *b = scrape_buf(s);
	int rc = scrape_read(s, path, b);
	if (rc == -ENOENT && absent_is_nodata)
		return COLLECT_NODATA;
	if (rc < 0)
		return scrape_fail(s, "couldn't read %s: %s", path, strerror(-rc));
	*text = b->data;
	return COLLECT_OK;
}

int collect_read(struct scrape *s, const char *path, char **text)
{
	return read_text(s, path, text, true);
}

int collect_read_required(struct scrape *s, const char *path, char **text)
{
	return read_text(s, path, text, false);
}

int collect_list(struct scrape *s, const char *path, struct sysfs_dir *d)
{
	int rc = sysfs_dir_read(s, path, d);
	if (rc == -ENOENT)
		return COLLECT_NODATA;
	if (rc < 0)
		return scrape_fail(s, "couldn't list %s: %s", path, strerror(-rc));
	return COLLECT_OK;
}

int collect_list_optional(struct scrape *s, const char *path, struct sysfs_dir *d)
{
	int rc = collect_list(s, path, d);
	if (rc == COLLECT_NODATA) {
		memset(d, 0, sizeof *d);
		return COLLECT_OK;
	}
	return rc;
}

int collect_read_value(struct scrape *s, const char *path, uint64_t *v, bool *is_max)
{
	char text[SYSFS_VAL];
	ssize_t n = sysfs_attr(s, path, text, sizeof text);
	if (n == -ENOENT)
		return COLLECT_NODATA;
	if (n < 0)
		return scrape_fail(s, "couldn't read %s: %s", path, strerror((int)-n));
	int rc = is_max ? parse_u64_max(text, v) : parse_u64(text, v);
	if (rc < 0)
		return scrape_fail(s, "invalid value '%.40s' in %s", text, path);
	if (is_max)
		*is_max = rc == 1;
	return COLLECT_OK;
}
