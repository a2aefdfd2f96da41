#include "parse.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
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
	return i64_from_sign(neg, u, out);
}

int i64_from_sign(bool neg, uint64_t magnitude, int64_t *out)
{
	if (neg) {
		if (magnitude > (uint64_t)INT64_MAX + 1)
			return -1;
		*out = magnitude == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)magnitude;
	} else {
		if (magnitude > INT64_MAX)
			return -1;
		*out = (int64_t)magnitude;
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

/*
 * "123.45": all digits fit 2^53 exactly and 10^k (k <= 22) is exact, so one
 * IEEE division rounds the decimal value correctly, as strtod does
 * (Clinger's fast path). Returns false for anything else.
 */
static bool plain_decimal(const char *p, bool neg, double *out)
{
	uint64_t v = 0;
	int digits = 0, frac = -1;
	for (; *p; p++) {
		if (*p == '.' && frac < 0) {
			frac = 0;
			continue;
		}
		unsigned d = (unsigned)(unsigned char)*p - '0';
		if (d > 9 || ++digits > 15)
			return false;
		v = v * 10 + d;
		if (frac >= 0)
			frac++;
	}
	static const double pow10[] = { 1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
					1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15 };
	if (!digits)
		return false;
	double x = (double)v / pow10[frac > 0 ? frac : 0];
	*out = neg ? -x : x;
	return true;
}

int parse_double(const char *s, double *out)
{
	const char *p = s;
	if (*p == '+' || *p == '-')
		p++;
	if (*p >= '0' && *p <= '9' && plain_decimal(p, s[0] == '-', out))
		return 0;
	if (strcasecmp(p, "inf") == 0 || strcasecmp(p, "infinity") == 0) {
		*out = s[0] == '-' ? -INFINITY : INFINITY;
		return 0;
	}
	/* Go takes a sign before Inf, not before NaN. */
	if (p == s && strcasecmp(p, "nan") == 0) {
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

size_t count_fields(const char *s)
{
	size_t n = 0;
	for (;;) {
		while (*s == ' ' || *s == '\t' || *s == '\n')
			s++;
		if (!*s)
			return n;
		n++;
		while (*s && *s != ' ' && *s != '\t' && *s != '\n')
			s++;
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

/* Decimal digits of v into tmp (filled from the end); returns the start. */
static char *utoa_rev(unsigned long long v, char *end)
{
	do {
		*--end = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	return end;
}

/* The supported subset, or -1 when the format needs vsnprintf. */
static int strf_fast(char *dst, size_t cap, const char *fmt, va_list ap)
{
	size_t o = 0;
#define PUT(c) do { if (o + 1 < cap) dst[o] = (c); o++; } while (0)
	for (const char *p = fmt; *p; p++) {
		if (*p != '%') {
			PUT(*p);
			continue;
		}
		p++;
		if (*p == '%') {
			PUT('%');
			continue;
		}
		if (*p == 's') {
			const char *s = va_arg(ap, const char *);
			if (!s)
				s = "(null)"; /* as glibc */
			for (; *s; s++)
				PUT(*s);
			continue;
		}
		if (p[0] == '.' && p[1] == '*' && p[2] == 's') {
			int n = va_arg(ap, int);
			const char *s = va_arg(ap, const char *);
			if (n < 0 || !s)
				return -1;
			for (int i = 0; i < n && s[i]; i++)
				PUT(s[i]);
			p += 2;
			continue;
		}
		if (*p == 'c') {
			PUT((char)va_arg(ap, int));
			continue;
		}
		int longs = 0;
		bool size = false;
		while (*p == 'l') {
			longs++;
			p++;
		}
		if (*p == 'z') {
			size = true;
			p++;
		}
		if (longs > 2 || (size && longs))
			return -1;
		bool is_signed = *p == 'd' || *p == 'i';
		if (!is_signed && *p != 'u')
			return -1;
		unsigned long long u;
		bool neg = false;
		if (is_signed) {
			long long v = size ? (long long)va_arg(ap, ssize_t)
				      : longs == 2 ? va_arg(ap, long long)
				      : longs == 1 ? va_arg(ap, long) : va_arg(ap, int);
			neg = v < 0;
			u = neg ? 0ull - (unsigned long long)v : (unsigned long long)v;
		} else {
			u = size ? va_arg(ap, size_t)
			    : longs == 2 ? va_arg(ap, unsigned long long)
			    : longs == 1 ? va_arg(ap, unsigned long) : va_arg(ap, unsigned);
		}
		char tmp[24], *end = tmp + sizeof tmp;
		if (neg)
			PUT('-');
		for (char *d = utoa_rev(u, end); d < end; d++)
			PUT(*d);
	}
#undef PUT
	if (cap)
		dst[o < cap ? o : cap - 1] = '\0';
	return o > INT32_MAX ? -1 : (int)o;
}

int vstrf(char *dst, size_t cap, const char *fmt, va_list ap)
{
	va_list copy;
	va_copy(copy, ap);
	int n = strf_fast(dst, cap, fmt, copy);
	va_end(copy);
	return n >= 0 ? n : vsnprintf(dst, cap, fmt, ap);
}

int strf(char *dst, size_t cap, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vstrf(dst, cap, fmt, ap);
	va_end(ap);
	return n;
}
