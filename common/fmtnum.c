#include "fmtnum.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t fmt_u64(char *dst, uint64_t v)
{
	/* Two digits per division (millisecond timestamps have 13 digits). */
	static const char pairs[201] =
		"0001020304050607080910111213141516171819"
		"2021222324252627282930313233343536373839"
		"4041424344454647484950515253545556575859"
		"6061626364656667686970717273747576777879"
		"8081828384858687888990919293949596979899";
	char tmp[24], *end = tmp + sizeof tmp, *p = end;
	while (v >= 100) {
		unsigned r = (unsigned)(v % 100);
		v /= 100;
		p -= 2;
		memcpy(p, pairs + 2 * r, 2);
	}
	if (v >= 10) {
		p -= 2;
		memcpy(p, pairs + 2 * v, 2);
	} else {
		*--p = (char)('0' + v);
	}
	size_t n = (size_t)(end - p);
	memcpy(dst, p, n);
	dst[n] = '\0';
	return n;
}

/*
 * Shortest decimal digits of |v| (finite, non-zero) that parse back to v:
 * fills digits (no leading or trailing zeros) and returns their count; *dp
 * is the decimal point position, value = 0.d1d2... * 10^dp.
 */
static int shortest_digits(double v, char *digits, int *dp)
{
	double a = fabs(v);

	/* Integers below 2^53 are exact, and their digits are the shortest. */
	if (a < 9007199254740992.0 && a == floor(a)) {
		char tmp[24];
		int n = (int)fmt_u64(tmp, (uint64_t)a);
		*dp = n;
		while (n > 1 && tmp[n - 1] == '0')
			n--;
		memcpy(digits, tmp, (size_t)n);
		return n;
	}

	/*
	 * Most non-integers here are short decimals (ticks / 100, ms / 1000,
	 * 0.21, durations of a few nanoseconds as ns / 1e9). Find the fewest decimals k for which n / 10^k, with n the
	 * nearest integer to a * 10^k, is exactly a again: the division of two
	 * exact doubles is correctly rounded, so that decimal reads back to a,
	 * and no shorter one exists (it would have been found at a smaller k).
	 * Keeping n below 10^15 makes the 15-digit candidate unique, so it is
	 * also the closest, as Go's shortest algorithm picks.
	 */
	static const double pow10[] = { 1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
					 1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
					 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22 };
	if (a < 1e15 && a >= 1e-15) {
		for (int k = 1; k <= 22; k++) {
			double m = a * pow10[k];
			if (m >= 1e15)
				break;
			double n = (double)(uint64_t)(m + 0.5); /* m < 1e15: exact */
			if (n / pow10[k] == a && n >= 1) {
				char tmp[24];
				int nd = (int)fmt_u64(tmp, (uint64_t)n);
				*dp = nd - k;
				while (nd > 1 && tmp[nd - 1] == '0')
					nd--;
				memcpy(digits, tmp, (size_t)nd);
				return nd;
			}
		}
	}

	/*
	 * If the shortest form has at most 15 digits, rounding to 15 digits
	 * gives it (padded with zeros), because 15 digits never lose a double.
	 * Otherwise 16 or 17 digits are needed; the correctly rounded form is
	 * the closest one, which is what Go's shortest algorithm picks.
	 */
	char tmp[40];
	int prec;
	/* Subnormals carry fewer digits, so the argument above fails: search all. */
	for (prec = a < 2.2250738585072014e-308 ? 1 : 15; prec < 17; prec++) {
		snprintf(tmp, sizeof tmp, "%.*e", prec - 1, a);
		if (strtod(tmp, NULL) == a)
			break;
	}
	if (prec == 17)
		snprintf(tmp, sizeof tmp, "%.*e", 16, a);

	/* tmp is "d.ddddde[+-]xx" */
	int n = 0;
	const char *p = tmp;
	for (; *p && *p != 'e'; p++)
		if (*p != '.')
			digits[n++] = *p;
	int exp10 = (int)strtol(p + 1, NULL, 10);
	while (n > 1 && digits[n - 1] == '0')
		n--;
	*dp = exp10 + 1;
	return n;
}

size_t fmt_float(char *dst, double v)
{
	if (isnan(v)) {
		memcpy(dst, "NaN", 4);
		return 3;
	}
	if (isinf(v)) {
		memcpy(dst, v > 0 ? "+Inf" : "-Inf", 5);
		return 4;
	}
	if (v == 0) {
		memcpy(dst, "0", 2);
		return 1;
	}
	/* Whole numbers below 10^6, most values of a scrape, are their digits. */
	if (v > -1e6 && v < 1e6 && v == (double)(int32_t)v) {
		size_t o = v < 0;
		dst[0] = '-';
		return o + fmt_u64(dst + o, (uint64_t)(v < 0 ? -v : v));
	}

	char d[24];
	int dp;
	int nd = shortest_digits(v, d, &dp);
	size_t o = 0;
	if (v < 0)
		dst[o++] = '-';

	int exp = dp - 1;
	if (exp < -4 || exp >= 6) {
		/* %e: d[.ddd]e±XX with at least two exponent digits */
		dst[o++] = d[0];
		if (nd > 1) {
			dst[o++] = '.';
			memcpy(dst + o, d + 1, (size_t)nd - 1);
			o += (size_t)nd - 1;
		}
		dst[o++] = 'e';
		dst[o++] = exp < 0 ? '-' : '+';
		if (exp < 0)
			exp = -exp;
		if (exp < 10)
			dst[o++] = '0';
		o += fmt_u64(dst + o, (uint64_t)exp);
		return o;
	}

	/* %f with exactly the digits needed */
	if (dp <= 0) {
		dst[o++] = '0';
		dst[o++] = '.';
		for (int i = dp; i < 0; i++)
			dst[o++] = '0';
		memcpy(dst + o, d, (size_t)nd);
		o += (size_t)nd;
	} else {
		for (int i = 0; i < dp; i++)
			dst[o++] = i < nd ? d[i] : '0';
		if (nd > dp) {
			dst[o++] = '.';
			memcpy(dst + o, d + dp, (size_t)(nd - dp));
			o += (size_t)(nd - dp);
		}
	}
	dst[o] = '\0';
	return o;
}

size_t fmt_float_om(char *dst, double v)
{
	size_t n = fmt_float(dst, v);
	if (isnan(v) || isinf(v))
		return n;
	for (size_t i = 0; i < n; i++)
		if (dst[i] == '.' || dst[i] == 'e')
			return n;
	memcpy(dst + n, ".0", 3);
	return n + 2;
}
