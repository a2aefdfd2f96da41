// links:
/* Go-compatible float rendering (expected strings taken from Go's strconv). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../../common/fmtnum.h"
#include "unit.h"

static const struct {
	double v;
	const char *text;
	const char *om;
} cases[] = {
	{ 0, "0", "0.0" },
	{ -0.0, "0", "0.0" },
	{ 1, "1", "1.0" },
	{ -1, "-1", "-1.0" },
	{ 0.1, "0.1", "0.1" },
	{ 1e-5, "1e-05", "1e-05" },
	{ 1e6, "1e+06", "1e+06" },
	{ 123456, "123456", "123456.0" },
	{ 1234567, "1.234567e+06", "1.234567e+06" },
	{ 9007199254740992.0, "9.007199254740992e+15", "9.007199254740992e+15" },
	{ 1.7976931348623157e308, "1.7976931348623157e+308", "1.7976931348623157e+308" },
	{ 5e-324, "5e-324", "5e-324" },
	{ 0.0001, "0.0001", "0.0001" },
	{ 0.00012345, "0.00012345", "0.00012345" },
	{ 12345.67, "12345.67", "12345.67" },
	{ 1.5, "1.5", "1.5" },
	{ 100, "100", "100.0" },
	{ 1e21, "1e+21", "1e+21" },
	{ 1e20, "1e+20", "1e+20" },
	{ 123456789012345678.0, "1.2345678901234568e+17", "1.2345678901234568e+17" },
	{ 0.3, "0.3", "0.3" },
	{ 2.0 / 3.0, "0.6666666666666666", "0.6666666666666666" },
	{ 1e-7, "1e-07", "1e-07" },
	{ 7.99998e+08, "7.99998e+08", "7.99998e+08" },
	{ 3.14159265358979, "3.14159265358979", "3.14159265358979" },
	{ 4.468743327960138e+16, "4.468743327960138e+16", "4.468743327960138e+16" },
	{ 18446744073709551615.0, "1.8446744073709552e+19", "1.8446744073709552e+19" },
	{ 1e100, "1e+100", "1e+100" },
	{ 123.456, "123.456", "123.456" },
	{ 1024, "1024", "1024.0" },
	{ 16042172416, "1.6042172416e+10", "1.6042172416e+10" },
	{ -2.5e-10, "-2.5e-10", "-2.5e-10" },
	{ NAN, "NaN", "NaN" },
	{ INFINITY, "+Inf", "+Inf" },
	{ -INFINITY, "-Inf", "-Inf" },
};

START_TEST(test_text)
{
	char out[FMT_NUM_MAX];
	size_t n = fmt_float(out, cases[_i].v);
	ck_assert_str_eq(out, cases[_i].text);
	ck_assert_uint_eq(n, strlen(cases[_i].text));
}
END_TEST

START_TEST(test_openmetrics)
{
	char out[FMT_NUM_MAX];
	size_t n = fmt_float_om(out, cases[_i].v);
	ck_assert_str_eq(out, cases[_i].om);
	ck_assert_uint_eq(n, strlen(cases[_i].om));
}
END_TEST

/* Every rendering must read back to the same double. */
START_TEST(test_round_trip)
{
	unsigned seed = 12345;
	char out[FMT_NUM_MAX];
	for (int i = 0; i < 200000; i++) {
		uint64_t bits = 0;
		for (int k = 0; k < 4; k++) {
			seed = seed * 1103515245u + 12345u;
			bits = bits << 16 | (seed >> 8 & 0xffff);
		}
		double v;
		memcpy(&v, &bits, sizeof v);
		if (isnan(v) || isinf(v))
			continue;
		fmt_float(out, v);
		double back = strtod(out, NULL);
		ck_assert_msg(back == v || (v == 0 && back == 0), "%s does not read back", out);
		ck_assert_msg(strlen(out) <= 24, "%s too long", out);
	}
}
END_TEST

/*
 * Oracle for the fast path: the fewest correctly rounded digits that read
 * back (an exhaustive search from 1 to 17), laid out with Go's rules.
 */
static void reference(double v, char *out, size_t cap)
{
	char e[40];
	int p;
	for (p = 1; p <= 17; p++) {
		snprintf(e, sizeof e, "%.*e", p - 1, v);
		if (strtod(e, NULL) == v)
			break;
	}
	char digits[24];
	int nd = 0;
	const char *q = e[0] == '-' ? e + 1 : e;
	for (; *q != 'e'; q++)
		if (*q != '.')
			digits[nd++] = *q;
	int exp = (int)strtol(q + 1, NULL, 10);
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;
	digits[nd] = '\0';
	const char *sign = v < 0 ? "-" : "";
	if (exp < -4 || exp >= 6) {
		snprintf(out, cap, "%s%c%s%s%se%c%02d", sign, digits[0], nd > 1 ? "." : "", digits + 1, "",
			 exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
	} else if (exp < 0) {
		snprintf(out, cap, "%s0.%0*d%s", sign, -exp - 1, 0, digits);
		if (exp == -1) /* "%0*d" with width 0 still prints one zero */
			snprintf(out, cap, "%s0.%s", sign, digits);
	} else {
		char ip[24], fp[24];
		int i;
		for (i = 0; i <= exp; i++)
			ip[i] = i < nd ? digits[i] : '0';
		ip[i] = '\0';
		snprintf(fp, sizeof fp, "%s", nd > exp + 1 ? digits + exp + 1 : "");
		snprintf(out, cap, "%s%s%s%s", sign, ip, fp[0] ? "." : "", fp);
	}
}

START_TEST(test_short_decimals_match_oracle)
{
	char got[FMT_NUM_MAX], want[64];
	unsigned seed = 99;
	for (int i = 0; i < 300000; i++) {
		seed = seed * 1103515245u + 12345u;
		uint64_t n = seed >> 4;
		seed = seed * 1103515245u + 12345u;
		n = n * 65536 + (seed >> 16);
		int k = (int)(seed % 13);
		static const double p10[] = { 1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12 };
		double v = (double)(n % 100000000000ull) / p10[k];
		if (i % 7 == 0)
			v = -v;
		if (i % 5 == 0) /* arbitrary doubles in the fast path's range */
			v = (double)n / 3.7e5;
		fmt_float(got, v);
		reference(v, want, sizeof want);
		if (v == 0)
			snprintf(want, sizeof want, "0");
		ck_assert_msg(!strcmp(got, want), "%.17g: got %s want %s", v, got, want);
	}
}
END_TEST

/* Whole numbers near and below 10^6 (the fast path and its edges) as the oracle writes them. */
START_TEST(test_whole_numbers_match_oracle)
{
	char got[FMT_NUM_MAX], want[64];
	for (double v = -1000037; v <= 1000037; v += 37) {
		fmt_float(got, v);
		reference(v, want, sizeof want);
		if (v == 0)
			snprintf(want, sizeof want, "0");
		ck_assert_msg(!strcmp(got, want), "%.17g: got %s want %s", v, got, want);
	}
	static const double edges[] = { 999999, -999999, 1e6, -1e6, 999999.5, 0.5, -0.5, 1, -1, 2147483648.0 };
	for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++) {
		fmt_float(got, edges[i]);
		reference(edges[i], want, sizeof want);
		ck_assert_msg(!strcmp(got, want), "%.17g: got %s want %s", edges[i], got, want);
	}
}
END_TEST

START_TEST(test_u64)
{
	char out[FMT_NUM_MAX];
	fmt_u64(out, 0);
	ck_assert_str_eq(out, "0");
	fmt_u64(out, 18446744073709551615ull);
	ck_assert_str_eq(out, "18446744073709551615");
	/* Every length, odd and even, against snprintf. */
	char want[32];
	for (uint64_t v = 1, step = 7; v < UINT64_MAX / 11; v = v * 10 + step, step = (step * 3) % 10) {
		for (uint64_t w = v - (v > 1); w <= v + 1; w++) {
			ck_assert_uint_eq(fmt_u64(out, w), (size_t)snprintf(want, sizeof want, "%llu", (unsigned long long)w));
			ck_assert_str_eq(out, want);
		}
	}
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("fmtnum");
	TCase *tc = tcase_create("core");
	int n = (int)(sizeof cases / sizeof cases[0]);
	tcase_add_loop_test(tc, test_text, 0, n);
	tcase_add_loop_test(tc, test_openmetrics, 0, n);
	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_short_decimals_match_oracle);
	tcase_add_test(tc, test_whole_numbers_match_oracle);
	tcase_add_test(tc, test_u64);
	suite_add_tcase(s, tc);
	return s;
}
