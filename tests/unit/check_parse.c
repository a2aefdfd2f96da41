// links:
/* Strict number parsers, tokenizers, durations and regex filters. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>

#include "../../common/exporter.h"
#include "../../common/flags.h"
#include "../../common/parse.h"
#include "../../common/rx.h"
#include "unit.h"

START_TEST(test_u64)
{
	uint64_t v = 7;
	ck_assert_int_eq(parse_u64("0", &v), 0);
	ck_assert_uint_eq(v, 0);
	ck_assert_int_eq(parse_u64("18446744073709551615", &v), 0);
	ck_assert_uint_eq(v, UINT64_MAX);
	v = 7;
	ck_assert_int_eq(parse_u64("18446744073709551616", &v), -1);
	ck_assert_int_eq(parse_u64("", &v), -1);
	ck_assert_int_eq(parse_u64("-1", &v), -1);
	ck_assert_int_eq(parse_u64(" 1", &v), -1);
	ck_assert_int_eq(parse_u64("1 ", &v), -1);
	ck_assert_int_eq(parse_u64("0x10", &v), -1);
	ck_assert_int_eq(parse_u64("12a", &v), -1);
	ck_assert_uint_eq(v, 7);
	/* A leading zero is decimal, never octal. */
	ck_assert_int_eq(parse_u64("010", &v), 0);
	ck_assert_uint_eq(v, 10);
}
END_TEST

START_TEST(test_i64)
{
	int64_t v;
	ck_assert_int_eq(parse_i64("-9223372036854775808", &v), 0);
	ck_assert(v == INT64_MIN);
	ck_assert_int_eq(parse_i64("9223372036854775807", &v), 0);
	ck_assert(v == INT64_MAX);
	ck_assert_int_eq(parse_i64("9223372036854775808", &v), -1);
	ck_assert_int_eq(parse_i64("-", &v), -1);
	ck_assert_int_eq(parse_i64("+5", &v), 0);
	ck_assert_int_eq(v, 5);
}
END_TEST

START_TEST(test_hex)
{
	uint64_t v;
	ck_assert_int_eq(parse_hex_u64("0000ff", &v), 0);
	ck_assert_uint_eq(v, 255);
	ck_assert_int_eq(parse_hex_u64("0xFFFFFFFFFFFFFFFF", &v), 0);
	ck_assert_uint_eq(v, UINT64_MAX);
	ck_assert_int_eq(parse_hex_u64("1FFFFFFFFFFFFFFFF", &v), -1);
	ck_assert_int_eq(parse_hex_u64("0x", &v), -1);
	ck_assert_int_eq(parse_hex_u64("g", &v), -1);
}
END_TEST

START_TEST(test_double)
{
	double d;
	ck_assert_int_eq(parse_double("1.5e3", &d), 0);
	ck_assert(d == 1500);
	ck_assert_int_eq(parse_double("-0.25", &d), 0);
	ck_assert(d == -0.25);
	ck_assert_int_eq(parse_double("NaN", &d), 0);
	ck_assert(isnan(d));
	/* Go's ParseFloat takes no sign before NaN (RediSearch 1.x writes "-nan") */
	ck_assert_int_eq(parse_double("-nan", &d), -1);
	ck_assert_int_eq(parse_double("+NaN", &d), -1);
	ck_assert_int_eq(parse_double("+Inf", &d), 0);
	ck_assert(isinf(d) && d > 0);
	ck_assert_int_eq(parse_double("-inf", &d), 0);
	ck_assert(isinf(d) && d < 0);
	ck_assert_int_eq(parse_double("", &d), -1);
	ck_assert_int_eq(parse_double("1,5", &d), -1);
	ck_assert_int_eq(parse_double("0x1p3", &d), -1);
	ck_assert_int_eq(parse_double("1e999", &d), -1);
	ck_assert_int_eq(parse_double(".", &d), -1);
	ck_assert_int_eq(parse_double("12 ", &d), -1);
	ck_assert_int_eq(parse_double_n("2.5xyz", 3, &d), 0);
	ck_assert(d == 2.5);
}
END_TEST

/* Plain decimals take a path without strtod: it must give strtod's double, bit for bit. */
START_TEST(test_double_plain_decimals_as_strtod)
{
	uint64_t x = 0x9e3779b97f4a7c15ull;
	char text[40];
	for (int i = 0; i < 200000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		int ndig = 1 + (int)(x % 17), point = (int)((x >> 8) % (unsigned)(ndig + 1));
		size_t n = 0;
		if ((x >> 20) & 1)
			text[n++] = '-';
		uint64_t y = x >> 24;
		for (int k = 0; k < ndig; k++) {
			if (k == point && k)
				text[n++] = '.';
			text[n++] = (char)('0' + (k == 0 && ndig > 1 && (x >> 40) % 3 ? 0 : y % 10));
			y = y / 10 ^ (y << 7);
		}
		if (point == ndig && (x >> 50) & 1)
			text[n++] = '.';
		text[n] = '\0';
		double d, want = strtod(text, NULL);
		ck_assert_msg(parse_double(text, &d) == 0, "%s rejected", text);
		ck_assert_msg(memcmp(&d, &want, sizeof d) == 0, "%s: %.17g, strtod %.17g", text, d, want);
	}
	double d;
	ck_assert_int_eq(parse_double("0.1", &d), 0);
	ck_assert(d == 0.1);
	ck_assert_int_eq(parse_double("1.", &d), 0);
	ck_assert(d == 1);
	ck_assert_int_eq(parse_double("-0.00", &d), 0);
	ck_assert(d == 0 && signbit(d));
	ck_assert_int_eq(parse_double("1.2.3", &d), -1);
	ck_assert_int_eq(parse_double("1.2x", &d), -1);
	ck_assert_int_eq(parse_double("12345678901234567.5", &d), 0); /* beyond 15 digits: strtod */
	ck_assert(d == 12345678901234567.5);
}
END_TEST

START_TEST(test_lines_and_fields)
{
	char text[] = "cpu  1 2\t3\n\nlast line";
	char *cur = text, *line, *f[3];
	line = next_line(&cur);
	ck_assert_str_eq(line, "cpu  1 2\t3");
	ck_assert_uint_eq(split_fields(line, f, 3), 4);
	ck_assert_str_eq(f[0], "cpu");
	ck_assert_str_eq(f[2], "2");
	line = next_line(&cur);
	ck_assert_str_eq(line, "");
	ck_assert_uint_eq(split_fields(line, f, 3), 0);
	ck_assert_uint_eq(count_fields("  a\tbb  c \n"), 3);
	ck_assert_uint_eq(count_fields(" \t\n"), 0);
	ck_assert_str_eq(next_line(&cur), "last line");
	ck_assert_ptr_null(next_line(&cur));

	char csv[] = "a,,b";
	char *g[4];
	ck_assert_uint_eq(split_on(csv, ',', g, 4), 3);
	ck_assert_str_eq(g[1], "");
	ck_assert_str_eq(g[2], "b");

	char pad[] = "  x y \n";
	ck_assert_str_eq(trim(pad), "x y");
	ck_assert(has_prefix("node_cpu", "node_"));
	ck_assert(!has_prefix("no", "node_"));
	ck_assert(has_suffix("a_total", "_total"));
	ck_assert(!has_suffix("total", "_total"));
}
END_TEST

START_TEST(test_duration)
{
	double s;
	ck_assert_int_eq(parse_duration("1m30s", &s), 0);
	ck_assert(s == 90);
	ck_assert_int_eq(parse_duration("500ms", &s), 0);
	ck_assert(fabs(s - 0.5) < 1e-12);
	ck_assert_int_eq(parse_duration("1.5h", &s), 0);
	ck_assert(s == 5400);
	ck_assert_int_eq(parse_duration("0", &s), 0);
	ck_assert(s == 0);
	ck_assert_int_eq(parse_duration("10", &s), -1);
	ck_assert_int_eq(parse_duration("s", &s), -1);
	ck_assert_int_eq(parse_duration("5x", &s), -1);
	ck_assert_int_eq(parse_duration("", &s), -1);
}
END_TEST

START_TEST(test_regex)
{
	char err[200];
	struct rx *rx = rx_compile("^(z?ram|loop|fd|(h|s|v|xv)d[a-z]|nvme\\d+n\\d+p)\\d+$", err, sizeof err);
	ck_assert_ptr_nonnull(rx);
	ck_assert(rx_match(rx, "nvme0n1p1"));
	ck_assert(rx_match(rx, "sda1"));
	ck_assert(!rx_match(rx, "sda"));
	ck_assert(!rx_match(rx, "nvme0n1"));
	/* Unanchored, as Go's MatchString. */
	struct rx *sub = rx_compile("oom_kill|pgpg", err, sizeof err);
	ck_assert(rx_match(sub, "pgpgin"));
	ck_assert(rx_ignored(NULL, sub, "pgpgin"));
	ck_assert(rx_ignored(rx, NULL, "eth0"));
	ck_assert(!rx_ignored(rx, sub, "sda1"));
	ck_assert(!rx_match(sub, "bad\xff"));
	rx_free(rx);
	rx_free(sub);
	ck_assert_ptr_null(rx_compile("(", err, sizeof err));
	ck_assert(strstr(err, "offset") != NULL);

	/* A pair from two flags: empty patterns are no filter, a bad one names its flag. */
	struct rx_filter f;
	ck_assert_int_eq(rx_filter_init(&f, "x.include", "^sd", "x.exclude", "1$", err, sizeof err), 0);
	ck_assert(!rx_filter_ignored(&f, "sda"));
	ck_assert(rx_filter_ignored(&f, "sda1"));
	ck_assert(rx_filter_ignored(&f, "nvme0"));
	rx_filter_free(&f);
	ck_assert_int_eq(rx_filter_init(&f, "x.include", "", "x.exclude", NULL, err, sizeof err), 0);
	ck_assert(!rx_filter_ignored(&f, "anything"));
	rx_filter_free(&f);
	ck_assert_int_eq(rx_filter_init(&f, "x.include", "ok", "x.exclude", "[", err, sizeof err), -1);
	ck_assert_msg(strstr(err, "--x.exclude"), "%s", err);
	ck_assert_ptr_null(f.include);
}
END_TEST

/* Truncation at every size is the point here (GCC's warnings; clang has none of them). */
#ifndef __clang__
#pragma GCC diagnostic ignored "-Wformat-truncation"
#pragma GCC diagnostic ignored "-Wformat-overflow"
#endif
START_TEST(test_strf_matches_snprintf)
{
	char a[64], b[64];
	for (size_t cap = 0; cap < 40; cap += 7) {
#define SAME(...) do { \
		int na = strf(a, cap, __VA_ARGS__); \
		int nb = snprintf(b, cap, __VA_ARGS__); \
		ck_assert_int_eq(na, nb); \
		if (cap) \
			ck_assert_str_eq(a, b); \
	} while (0)
		SAME("plain text");
		SAME("%s/%s/online", "/sys/devices/system/cpu", "cpu12");
		SAME("node_netstat_%.*s_%s", 3, "TcpExt", "ListenDrops");
		SAME("%.*s|", 10, "short");
		SAME("%d %i %u %%", -2147483647 - 1, 42, 4294967295u);
		SAME("%ld %lu %lld %llu", -5L, 18446744073709551615ul, -9223372036854775807LL - 1,
		     18446744073709551615ull);
		SAME("%zu %zd %c", (size_t)123456789, (ssize_t)-3, 'x');
		SAME("fallback %5d %x %.2f", 7, 255, 1.5);
#undef SAME
	}
	const char *none = NULL;
	strf(a, sizeof a, "[%s]", none);
	ck_assert_str_eq(a, "[(null)]");
}
END_TEST

/* process_network_*: IpExt's octets from /proc/<pid>/net/netstat, every pair of lines checked. */
START_TEST(test_netstat_octets)
{
	char ok[] = "TcpExt: SyncookiesSent ListenDrops\nTcpExt: 0 12\n"
		    "IpExt: InNoRoutes InOctets OutOctets InCEPkts\nIpExt: 0 33763786435 32631638544 9\n"
		    "MPTcpExt: MPCapableSYNRX\nMPTcpExt: 18446744073709551615\n";
	double in = -1, out = -1;
	ck_assert_int_eq(process_netstat_octets(ok, &in, &out), 0);
	ck_assert(in == 33763786435.0 && out == 32631638544.0);

	/* The last field of the line, and a file without IpExt (0, as client_golang's zero struct). */
	char last[] = "IpExt: OutOctets InOctets\nIpExt: 5 7";
	ck_assert_int_eq(process_netstat_octets(last, &in, &out), 0);
	ck_assert(in == 7 && out == 5);
	char none[] = "TcpExt: A B\nTcpExt: 1 2\n";
	ck_assert_int_eq(process_netstat_octets(none, &in, &out), 0);
	ck_assert(in == 0 && out == 0);
	char empty[] = "";
	ck_assert_int_eq(process_netstat_octets(empty, &in, &out), 0);

	/* A line pair of another length anywhere, or IpExt's values not numbers: neither is exported. */
	const char *bad[] = {
		"TcpExt: A B\nTcpExt: 1\nIpExt: InOctets OutOctets\nIpExt: 1 2\n", /* fewer values */
		"TcpExt: A B\nTcpExt: 1 2 3\nIpExt: InOctets OutOctets\nIpExt: 1 2\n", /* more values */
		"IpExt: InOctets OutOctets\nIpExt: 1 x\n",
		"IpExt: InNoRoutes InOctets OutOctets\nIpExt: x 1 2\n", /* a value not asked for */
		"IpExt: InOctets OutOctets\nIpExt: 1  2\n", /* empty field */
		"IpExt: InOctets OutOctets\nIpExt: 1 \n",
		"IpExt: InOctets OutOctets\nIpExt: 1 2-\n",
		"IpExt: InOctets OutOctets\n", /* header without values */
		"IpExt: InOctets OutOctets\nIpExt: 99999999999999999999999999999999999999999999999999999999999999999 2\n",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char text[256];
		strf(text, sizeof text, "%s", bad[i]);
		ck_assert_msg(process_netstat_octets(text, &in, &out) == -1, "accepted: %s", bad[i]);
	}

	/* This host's own file: the numbers of a plain split of its IpExt lines. */
	FILE *f = fopen("/proc/self/net/netstat", "r");
	if (!f)
		return;
	char real[16384], copy[16384];
	size_t n = fread(real, 1, sizeof real - 1, f);
	fclose(f);
	real[n] = '\0';
	memcpy(copy, real, n + 1);
	ck_assert_int_eq(process_netstat_octets(real, &in, &out), 0);
	char *ip = strstr(copy, "\nIpExt: ");
	ck_assert_ptr_nonnull(ip);
	char *names = ip + 1, *values = strchr(names, '\n') + 1;
	*strchr(names, '\n') = '\0';
	char *nl = strchr(values, '\n');
	if (nl)
		*nl = '\0';
	char *nf[64], *vf[64];
	size_t nn = split_on(names, ' ', nf, 64), nv = split_on(values, ' ', vf, 64);
	ck_assert_uint_eq(nn, nv);
	int seen = 0;
	for (size_t i = 1; i < nn; i++) {
		double v;
		ck_assert_int_eq(parse_double(vf[i], &v), 0);
		if (!strcmp(nf[i], "InOctets")) {
			ck_assert(v == in);
			seen++;
		}
		if (!strcmp(nf[i], "OutOctets")) {
			ck_assert(v == out);
			seen++;
		}
	}
	ck_assert_int_eq(seen, 2);
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("parse");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_u64);
	tcase_add_test(tc, test_i64);
	tcase_add_test(tc, test_hex);
	tcase_add_test(tc, test_double);
	tcase_add_test(tc, test_double_plain_decimals_as_strtod);
	tcase_add_test(tc, test_lines_and_fields);
	tcase_add_test(tc, test_duration);
	tcase_add_test(tc, test_regex);
	tcase_add_test(tc, test_strf_matches_snprintf);
	tcase_add_test(tc, test_netstat_octets);
	suite_add_tcase(s, tc);
	return s;
}
