#include "parse.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int parse_u64_n(const char *s, size_t n, uint64_t *out)
{
	if (n == 0)
		return -1;
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned d = (unsigned)(unsigned char)s[i] - '0';
		if (d > 9)
			return -1;
		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

int parse_u64(const char *s, uint64_t *out)
{
	return parse_u64_n(s, strlen(s), out);
}

int parse_i64(const char *s, int64_t *out)
{
	bool neg = false;
	if (*s == '-' || *s == '+') {
		neg = *s == '-';
		s++;
	}
	uint64_t u;
	if (parse_u64(s, &u) < 0)
		return -1;
	if (neg) {
		if (u > (uint64_t)INT64_MAX + 1)
			return -1;
		*out = u == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)u;
	} else {
		if (u > INT64_MAX)
			return -1;
		*out = (int64_t)u;
	}
	return 0;
}

int parse_hex_u64(const char *s, uint64_t *out)
{
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	if (!*s)
		return -1;
	uint64_t v = 0;
	for (; *s; s++) {
		unsigned c = (unsigned char)*s, d;
		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return -1;
		if (v >> 60)
			return -1;
		v = v << 4 | d;
	}
	*out = v;
	return 0;
}

int parse_double(const char *s, double *out)
{
	const char *p = s;
	if (*p == '+' || *p == '-')
		p++;
	if (strcasecmp(p, "inf") == 0 || strcasecmp(p, "infinity") == 0) {
		*out = s[0] == '-' ? -INFINITY : INFINITY;
		return 0;
	}
	if (strcasecmp(p, "nan") == 0) {
		*out = NAN;
		return 0;
	}
	/* Only plain decimal digits, point and exponent reach strtod. */
	bool digit = false;
	for (const char *q = p; *q; q++) {
		char c = *q;
		if (c >= '0' && c <= '9')
			digit = true;
		else if (c != '.' && c != 'e' && c != 'E' && c != '+' && c != '-')
			return -1;
	}
	if (!digit)
		return -1;
	/* Integers are the common case; avoid strtod and its locale. */
	uint64_t u;
	if (parse_u64(p, &u) == 0) {
		*out = s[0] == '-' ? -(double)u : (double)u;
		return 0;
	}
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (end == s || *end)
		return -1;
	/* Go returns ±Inf with ErrRange on overflow; underflow to 0 is fine. */
	if (errno == ERANGE && isinf(v))
		return -1;
	*out = v;
	return 0;
}

int parse_double_n(const char *s, size_t n, double *out)
{
	char tmp[64];
	if (n == 0 || n >= sizeof tmp)
		return -1;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	return parse_double(tmp, out);
}

char *next_line(char **cursor)
{
	char *s = *cursor;
	if (!s || !*s)
		return NULL;
	char *nl = strchr(s, '\n');
	if (nl) {
		*nl = '\0';
		*cursor = nl + 1;
	} else {
		*cursor = s + strlen(s);
	}
	return s;
}

size_t split_fields(char *s, char **fields, size_t max)
{
	size_t n = 0;
	for (;;) {
		while (*s == ' ' || *s == '\t' || *s == '\n')
			s++;
		if (!*s)
			return n;
		if (n < max)
			fields[n] = s;
		n++;
		while (*s && *s != ' ' && *s != '\t' && *s != '\n')
			s++;
		if (!*s)
			return n;
		*s++ = '\0';
	}
}

size_t split_on(char *s, char sep, char **fields, size_t max)
{
	size_t n = 0;
	for (;;) {
		if (n < max)
			fields[n] = s;
		n++;
		char *p = strchr(s, sep);
		if (!p)
			return n;
		*p = '\0';
		s = p + 1;
	}
}

char *trim(char *s)
{
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = '\0';
	return s;
}

bool has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && memcmp(s + n - m, suffix, m) == 0;
}
