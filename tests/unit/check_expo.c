// links:
/* The exposition writer: ordering, escaping, types, duplicates, caps. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../../common/expo.h"
#include "unit.h"

static char *render(struct expo *e, enum expo_format fmt)
{
	struct buf b;
	buf_init(&b, 1 << 20);
	ck_assert_int_eq(expo_render(e, fmt, &b), 0);
	return buf_detach(&b, NULL);
}

START_TEST(test_sorted_families_and_series)
{
	struct expo *e = expo_new(1 << 20);
	struct family *f = expo_family(e, "b_total", METRIC_COUNTER, "B.",
				       (const char *const[]){ "mode", "cpu", NULL });
	expo_sample(e, f, 3, "user", "10");
	expo_sample(e, f, 1, "user", "2");
	expo_sample(e, f, 2, "idle", "2");
	expo_single(e, "a", METRIC_GAUGE, "A.", 1.5);
	char *out = render(e, EXPO_TEXT);
	ck_assert_str_eq(out,
			 "# HELP a A.\n# TYPE a gauge\na 1.5\n"
			 "# HELP b_total B.\n# TYPE b_total counter\n"
			 "b_total{cpu=\"10\",mode=\"user\"} 3\n"
			 "b_total{cpu=\"2\",mode=\"idle\"} 2\n"
			 "b_total{cpu=\"2\",mode=\"user\"} 1\n");
	free(out);
	expo_free(e);
}
END_TEST

/* Series of one family with different label sets, as client_golang allows. */
START_TEST(test_omit_empty_labels)
{
	struct expo *e = expo_new(1 << 20);
	struct family *f = expo_family(e, "i_info", METRIC_GAUGE, "I.",
				       (const char *const[]){ "name", "type", "status", NULL });
	expo_family_omit_empty(f);
	expo_sample(e, f, 1, "AC", "Mains", "");
	expo_sample(e, f, 1, "BAT0", "Battery", "Full");
	expo_sample(e, f, 1, "", "", "");
	struct family *h = expo_family(e, "h", METRIC_HISTOGRAM, "H.", (const char *const[]){ "a", NULL });
	expo_family_omit_empty(h);
	expo_add_histogram(e, h, (const char *const[]){ "" }, 1, 2, 1, (const double[]){ 1 },
			   (const uint64_t[]){ 1 });
	char *out = render(e, EXPO_TEXT);
	ck_assert_str_eq(out,
			 "# HELP h H.\n# TYPE h histogram\n"
			 "h_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 1\nh_sum 2\nh_count 1\n"
			 "# HELP i_info I.\n# TYPE i_info gauge\n"
			 "i_info 1\n"
			 "i_info{name=\"AC\",type=\"Mains\"} 1\n"
			 "i_info{name=\"BAT0\",status=\"Full\",type=\"Battery\"} 1\n");
	free(out);
	expo_free(e);
}
END_TEST

/* A label appended to the families of a prefix, but the skipped ones and those declared before. */
START_TEST(test_append_label)
{
	struct expo *e = expo_new(1 << 20);
	struct family *before = expo_family(e, "r_before", METRIC_GAUGE, "B.", NULL);
	char role[16] = "master";
	expo_append_label(e, "r_", (const char *const[]){ "r_skipped", NULL }, "instance_role", role);
	expo_sample(e, expo_family(e, "r_keys", METRIC_GAUGE, "K.", (const char *const[]){ "db", NULL }), 3, "db0");
	expo_value(e, expo_family(e, "r_up", METRIC_GAUGE, "U.", NULL), 1);
	expo_value(e, expo_family(e, "r_skipped", METRIC_COUNTER, "S.", NULL), 2);
	expo_value(e, expo_family(e, "other", METRIC_GAUGE, "O.", NULL), 4);
	expo_add_histogram(e, expo_family(e, "r_h", METRIC_HISTOGRAM, "H.", (const char *const[]){ "cmd", NULL }),
			   (const char *const[]){ "get" }, 1, 2, 1, (const double[]){ 1 }, (const uint64_t[]){ 1 });
	/* the value is copied per sample: a later change does not touch the earlier ones */
	memcpy(role, "slave", sizeof "slave");
	expo_value(e, expo_family(e, "r_up", METRIC_GAUGE, "U.", NULL), 0);
	expo_value(e, before, 5);
	char *out = render(e, EXPO_TEXT);
	ck_assert(strstr(out, "r_keys{db=\"db0\",instance_role=\"master\"} 3\n"));
	ck_assert(strstr(out, "r_up{instance_role=\"master\"} 1\n"));
	ck_assert(strstr(out, "r_up{instance_role=\"slave\"} 0\n"));
	ck_assert(strstr(out, "r_skipped 2\n"));
	ck_assert(strstr(out, "other 4\n"));
	ck_assert(strstr(out, "r_before 5\n"));
	ck_assert(strstr(out, "r_h_bucket{cmd=\"get\",instance_role=\"master\",le=\"1\"} 1\n"));
	free(out);
	expo_free(e);
}
END_TEST

START_TEST(test_escaping)
{
	struct expo *e = expo_new(1 << 20);
	struct family *f = expo_family(e, "m", METRIC_GAUGE, "back\\slash \"q\"\nnl",
				       (const char *const[]){ "l", NULL });
	expo_sample(e, f, 1, "a\\b\"c\nd\te\r");
	char *out = render(e, EXPO_TEXT);
	ck_assert_str_eq(out, "# HELP m back\\\\slash \"q\"\\nnl\n# TYPE m gauge\n"
			      "m{l=\"a\\\\b\\\"c\\nd\te\r\"} 1\n");
	free(out);
	out = render(e, EXPO_OPENMETRICS);
	ck_assert_str_eq(out, "# HELP m back\\\\slash \\\"q\\\"\\nnl\n# TYPE m gauge\n"
			      "m{l=\"a\\\\b\\\"c\\nd\te\r\"} 1.0\n# EOF\n");
	free(out);
	expo_free(e);
}
END_TEST

/* More labels than the renderer keeps lengths for: the same line, names sorted, values escaped. */
START_TEST(test_many_labels)
{
	enum { N = 70 };
	char names[N][8], values[N][16];
	const char *np[N + 1], *vp[N];
	for (int i = 0; i < N; i++) {
		snprintf(names[i], sizeof names[i], "l%02d", N - 1 - i);
		snprintf(values[i], sizeof values[i], i == 0 ? "x\"%d" : "v%d", i);
		np[i] = names[i];
		vp[i] = values[i];
	}
	np[N] = NULL;
	struct expo *e = expo_new(1 << 20);
	struct family *f = expo_family(e, "m", METRIC_GAUGE, "h", np);
	expo_add(e, f, 2, vp);
	char *out = render(e, EXPO_TEXT);
	char want[4096];
	size_t n = (size_t)snprintf(want, sizeof want, "# HELP m h\n# TYPE m gauge\nm{");
	for (int k = 0; k < N; k++) /* l00 is the last name given */
		n += (size_t)snprintf(want + n, sizeof want - n, "%sl%02d=\"%s\"", k ? "," : "", k,
				      k == N - 1 ? "x\\\"0" : values[N - 1 - k]);
	snprintf(want + n, sizeof want - n, "} 2\n");
	ck_assert_str_eq(out, want);
	free(out);
	expo_free(e);
}
END_TEST

START_TEST(test_invalid_utf8_replaced)
{
	struct expo *e = expo_new(1 << 20);
	struct family *f = expo_family(e, "m", METRIC_GAUGE, "h", (const char *const[]){ "l", NULL });
	expo_sample(e, f, 1, "ok\xff\xfe-\xc3\xa9-\xe2\x82");
	char *out = render(e, EXPO_TEXT);
	ck_assert_str_eq(out, "# HELP m h\n# TYPE m gauge\nm{l=\"ok\xef\xbf\xbd-\xc3\xa9-\xef\xbf\xbd\"} 1\n");
	free(out);
	expo_free(e);
}
END_TEST

START_TEST(test_duplicates_keep_first)
{
	struct expo *e = expo_new(1 << 20);
	struct family *f = expo_family(e, "m", METRIC_GAUGE, "h", (const char *const[]){ "l", NULL });
	expo_sample(e, f, 1, "x");
	expo_sample(e, f, 2, "x");
	expo_sample(e, f, 3, "w");
	char *out = render(e, EXPO_TEXT);
	ck_assert_str_eq(out, "# HELP m h\n# TYPE m gauge\nm{l=\"w\"} 3\nm{l=\"x\"} 1\n");
	free(out);
	expo_free(e);
}
END_TEST

START_TEST(test_conflicting_declaration_dropped)
{
	struct expo *e = expo_new(1 << 20);
	struct family *f = expo_family(e, "m", METRIC_GAUGE, "h", (const char *const[]){ "a", NULL });
	expo_sample(e, f, 1, "x");
	struct family *g = expo_family(e, "m", METRIC_GAUGE, "h", (const char *const[]){ "b", NULL });
	ck_assert_ptr_ne(f, g);
	expo_sample(e, g, 2, "y");
	struct family *h = expo_family(e, "m", METRIC_COUNTER, "h", (const char *const[]){ "a", NULL });
	expo_sample(e, h, 3, "z");
	ck_assert_uint_eq(expo_dropped(e), 2);
	ck_assert_int_eq(expo_status(e), 0);
	ck_assert_ptr_eq(expo_family(e, "m", METRIC_GAUGE, "h", (const char *const[]){ "a", NULL }), f);
	char *out = render(e, EXPO_TEXT);
	ck_assert_str_eq(out, "# HELP m h\n# TYPE m gauge\nm{a=\"x\"} 1\n");
	free(out);
	expo_free(e);
}
END_TEST

START_TEST(test_invalid_names_rejected)
{
	struct expo *e = expo_new(1 << 20);
	expo_single(e, "9bad", METRIC_GAUGE, "h", 1);
	expo_single(e, "bad-name", METRIC_GAUGE, "h", 1);
	struct family *f = expo_family(e, "m", METRIC_GAUGE, "h", (const char *const[]){ "__x", NULL });
	expo_sample(e, f, 1, "v");
	f = expo_family(e, "s", METRIC_SUMMARY, "h", (const char *const[]){ "quantile", NULL });
	expo_add_summary(e, f, (const char *const[]){ "v" }, 1, 1, 0, NULL, NULL);
	f = expo_family(e, "d", METRIC_GAUGE, "h", (const char *const[]){ "a", "a", NULL });
	expo_sample(e, f, 1, "v", "w");
	ck_assert_uint_eq(expo_dropped(e), 5);
	char *out = render(e, EXPO_TEXT);
	ck_assert_str_eq(out, "");
	free(out);
	expo_free(e);
}
END_TEST

START_TEST(test_openmetrics_types)
{
	struct expo *e = expo_new(1 << 20);
	expo_single(e, "c_total", METRIC_COUNTER, "c", 5);
	expo_single(e, "nosuffix", METRIC_COUNTER, "n", 6);
	expo_single(e, "u", METRIC_UNTYPED, "u", 0.5);
	struct family *f = expo_family(e, "x_info", METRIC_INFO, "i", (const char *const[]){ "v", NULL });
	expo_sample(e, f, 1, "1.0");
	char *out = render(e, EXPO_OPENMETRICS);
	ck_assert_str_eq(out, "# HELP c c\n# TYPE c counter\nc_total 5.0\n"
			      "# HELP nosuffix n\n# TYPE nosuffix unknown\nnosuffix 6.0\n"
			      "# HELP u u\n# TYPE u unknown\nu 0.5\n"
			      "# HELP x i\n# TYPE x info\nx_info{v=\"1.0\"} 1.0\n# EOF\n");
	free(out);
	out = render(e, EXPO_TEXT);
	ck_assert_str_eq(out, "# HELP c_total c\n# TYPE c_total counter\nc_total 5\n"
			      "# HELP nosuffix n\n# TYPE nosuffix counter\nnosuffix 6\n"
			      "# HELP u u\n# TYPE u untyped\nu 0.5\n"
			      "# HELP x_info i\n# TYPE x_info gauge\nx_info{v=\"1.0\"} 1\n");
	free(out);
	expo_free(e);
}
END_TEST

START_TEST(test_summary_histogram)
{
	struct expo *e = expo_new(1 << 20);
	struct family *s = expo_family(e, "s", METRIC_SUMMARY, "s", (const char *const[]){ "z", NULL });
	expo_add_summary(e, s, (const char *const[]){ "a" }, 10, 2.5, 2, (const double[]){ 0.5, 0.99 },
			 (const double[]){ 0.1, 0.9 });
	struct family *h = expo_family(e, "h", METRIC_HISTOGRAM, "h", NULL);
	expo_add_histogram(e, h, NULL, 7, 3.25, 2, (const double[]){ 0.5, 1 }, (const uint64_t[]){ 2, 5 });
	char *out = render(e, EXPO_TEXT);
	ck_assert_str_eq(out, "# HELP h h\n# TYPE h histogram\n"
			      "h_bucket{le=\"0.5\"} 2\nh_bucket{le=\"1\"} 5\nh_bucket{le=\"+Inf\"} 7\n"
			      "h_sum 3.25\nh_count 7\n"
			      "# HELP s s\n# TYPE s summary\n"
			      "s{z=\"a\",quantile=\"0.5\"} 0.1\ns{z=\"a\",quantile=\"0.99\"} 0.9\n"
			      "s_sum{z=\"a\"} 2.5\ns_count{z=\"a\"} 10\n");
	free(out);
	out = render(e, EXPO_OPENMETRICS);
	ck_assert_str_eq(out, "# HELP h h\n# TYPE h histogram\n"
			      "h_bucket{le=\"0.5\"} 2\nh_bucket{le=\"1.0\"} 5\nh_bucket{le=\"+Inf\"} 7\n"
			      "h_sum 3.25\nh_count 7\n"
			      "# HELP s s\n# TYPE s summary\n"
			      "s{z=\"a\",quantile=\"0.5\"} 0.1\ns{z=\"a\",quantile=\"0.99\"} 0.9\n"
			      "s_sum{z=\"a\"} 2.5\ns_count{z=\"a\"} 10\n# EOF\n");
	free(out);
	expo_free(e);
}
END_TEST

START_TEST(test_cap_is_sticky_error)
{
	struct expo *e = expo_new(100000);
	struct family *f = expo_family(e, "m", METRIC_GAUGE, "h", (const char *const[]){ "l", NULL });
	char v[32];
	for (int i = 0; i < 100000; i++) {
		snprintf(v, sizeof v, "%d", i);
		expo_sample(e, f, i, v);
	}
	ck_assert_int_eq(expo_status(e), -ENOSPC);
	ck_assert_uint_gt(expo_dropped(e), 0);
	/* What was kept still renders into a well-formed page. */
	char *out = render(e, EXPO_TEXT);
	ck_assert(strncmp(out, "# HELP m h\n# TYPE m gauge\nm{l=\"0\"} 0\n", 36) == 0);
	free(out);
	expo_free(e);
}
END_TEST

START_TEST(test_render_cap)
{
	struct expo *e = expo_new(1 << 20);
	expo_single(e, "a_metric_with_a_long_name", METRIC_GAUGE, "help", 1);
	struct buf b;
	buf_init(&b, 20);
	ck_assert_int_eq(expo_render(e, EXPO_TEXT, &b), -ENOSPC);
	buf_free(&b);
	expo_free(e);
}
END_TEST

START_TEST(test_empty_family_not_rendered)
{
	struct expo *e = expo_new(1 << 20);
	expo_family(e, "m", METRIC_GAUGE, "h", NULL);
	char *out = render(e, EXPO_TEXT);
	ck_assert_str_eq(out, "");
	free(out);
	expo_free(e);
}
END_TEST

START_TEST(test_many_families)
{
	struct expo *e = expo_new(64 << 20);
	char name[32];
	for (int i = 2999; i >= 0; i--) {
		snprintf(name, sizeof name, "m%04d", i);
		expo_single(e, name, METRIC_GAUGE, "h", i);
	}
	expo_finish(e);
	ck_assert_uint_eq(expo_family_count(e), 3000);
	ck_assert_ptr_nonnull(expo_find(e, "m1234"));
	char *out = render(e, EXPO_TEXT);
	ck_assert(strncmp(out, "# HELP m0000 h\n# TYPE m0000 gauge\nm0000 0\n# HELP m0001", 52) == 0);
	free(out);
	expo_free(e);
}
END_TEST

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Family order is strcmp order, also for names that tie on long prefixes. */
START_TEST(test_family_order_matches_strcmp)
{
	static const char *const stems[] = { "a", "node_network_", "node_network_receive_",
					     "node_network_receive_bytes_total", "node_n", "b_" };
	struct expo *e = expo_new(64 << 20);
	char *names[600];
	unsigned seed = 7;
	for (int i = 0; i < 600; i++) {
		seed = seed * 1103515245u + 12345u;
		char name[96];
		int n = snprintf(name, sizeof name, "%s", stems[(seed >> 8) % 6]);
		int extra = (int)((seed >> 16) % 20);
		for (int k = 0; k < extra; k++) {
			seed = seed * 1103515245u + 12345u;
			name[n++] = "ab_z9"[(seed >> 12) % 5];
		}
		name[n] = '\0';
		names[i] = strdup(name);
		expo_single(e, name, METRIC_GAUGE, "h", i);
	}
	qsort(names, 600, sizeof *names, cmp_str);
	char *out = render(e, EXPO_TEXT);
	const char *p = out;
	const char *prev = "";
	for (int i = 0; i < 600; i++) {
		if (i && !strcmp(names[i], names[i - 1]))
			continue; /* the same name twice is one family */
		char want[128];
		snprintf(want, sizeof want, "# HELP %s h\n", names[i]);
		p = strstr(p, want);
		ck_assert_msg(p != NULL, "%s missing or out of order after %s", names[i], prev);
		prev = names[i];
	}
	for (int i = 0; i < 600; i++)
		free(names[i]);
	free(out);
	expo_free(e);
}
END_TEST

START_TEST(test_name_validation)
{
	ck_assert(expo_valid_metric_name("a:b_c9"));
	ck_assert(!expo_valid_metric_name("9a"));
	ck_assert(!expo_valid_metric_name(""));
	ck_assert(!expo_valid_metric_name("a.b"));
	ck_assert(expo_valid_label_name("_a9"));
	ck_assert(!expo_valid_label_name("__name__"));
	ck_assert(!expo_valid_label_name("a:b"));
	ck_assert(!expo_valid_label_name(""));
	ck_assert(expo_valid_label_name("_"));
	/* every byte, first and later, against the rules written out */
	for (int c = 1; c < 256; c++) {
		bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
		bool digit = c >= '0' && c <= '9';
		char first[3] = { (char)c, 'x', '\0' }, later[3] = { 'x', (char)c, '\0' };
		ck_assert_msg(expo_valid_metric_name(first) == (letter || c == ':'), "metric first %d", c);
		ck_assert_msg(expo_valid_metric_name(later) == (letter || c == ':' || digit), "metric later %d", c);
		ck_assert_msg(expo_valid_label_name(first) == letter, "label first %d", c);
		ck_assert_msg(expo_valid_label_name(later) == (letter || digit), "label later %d", c);
	}
}
END_TEST

/* Explicit timestamps: milliseconds in text 0.0.4, seconds in OpenMetrics; none when negative. */
START_TEST(test_sample_timestamps)
{
	struct expo *e = expo_new(1 << 20);
	struct family *f = expo_family(e, "c_total", METRIC_COUNTER, "C.",
				       (const char *const[]){ "id", NULL });
	expo_add_ts(e, f, 1.5, 1796319820314, (const char *const[]){ "/a" });
	expo_add_ts(e, f, 2, 1796319820005, (const char *const[]){ "/b" });
	expo_add_ts(e, f, 3, -1, (const char *const[]){ "/c" });
	/* The renderer keeps the last timestamp's text: the same again, another, then none between. */
	expo_add_ts(e, f, 4, 1796319820005, (const char *const[]){ "/d" });
	expo_add_ts(e, f, 5, 1796319820314, (const char *const[]){ "/e" });
	expo_add_ts(e, f, 6, 1796319820314, (const char *const[]){ "/f" });
	expo_add_ts(e, f, 7, 0, (const char *const[]){ "/g" });
	char *out = render(e, EXPO_TEXT);
	ck_assert_str_eq(out, "# HELP c_total C.\n# TYPE c_total counter\n"
			      "c_total{id=\"/a\"} 1.5 1796319820314\n"
			      "c_total{id=\"/b\"} 2 1796319820005\n"
			      "c_total{id=\"/c\"} 3\n"
			      "c_total{id=\"/d\"} 4 1796319820005\n"
			      "c_total{id=\"/e\"} 5 1796319820314\n"
			      "c_total{id=\"/f\"} 6 1796319820314\n"
			      "c_total{id=\"/g\"} 7 0\n");
	free(out);
	out = render(e, EXPO_OPENMETRICS);
	ck_assert_str_eq(out, "# HELP c C.\n# TYPE c counter\n"
			      "c_total{id=\"/a\"} 1.5 1796319820.314\n"
			      "c_total{id=\"/b\"} 2.0 1796319820.005\n"
			      "c_total{id=\"/c\"} 3.0\n"
			      "c_total{id=\"/d\"} 4.0 1796319820.005\n"
			      "c_total{id=\"/e\"} 5.0 1796319820.314\n"
			      "c_total{id=\"/f\"} 6.0 1796319820.314\n"
			      "c_total{id=\"/g\"} 7.0 0.000\n# EOF\n");
	free(out);
	expo_free(e);
}
END_TEST

/* Label values are copied even when the caller passes the same buffer again with other content. */
START_TEST(test_reused_value_buffers)
{
	struct expo *e = expo_new(1 << 20);
	struct family *f = expo_family(e, "g", METRIC_GAUGE, "G.", (const char *const[]){ "id", "k", NULL });
	struct family *h = expo_family(e, "h", METRIC_GAUGE, "H.", (const char *const[]){ "id", "k", NULL });
	char id[16] = "/a", bad[8] = "x\xffy";
	expo_add(e, f, 1, (const char *const[]){ id, bad });
	expo_add(e, h, 2, (const char *const[]){ id, bad }); /* same pointers, same content */
	memcpy(id, "/b", 3);
	expo_add(e, f, 3, (const char *const[]){ id, "" });
	memcpy(id, "/c", 3);
	expo_add(e, h, 4, (const char *const[]){ id, NULL });
	char *out = render(e, EXPO_TEXT);
	ck_assert_str_eq(out, "# HELP g G.\n# TYPE g gauge\n"
			      "g{id=\"/a\",k=\"x\xef\xbf\xbdy\"} 1\n"
			      "g{id=\"/b\",k=\"\"} 3\n"
			      "# HELP h H.\n# TYPE h gauge\n"
			      "h{id=\"/a\",k=\"x\xef\xbf\xbdy\"} 2\n"
			      "h{id=\"/c\",k=\"\"} 4\n");
	free(out);
	expo_free(e);
}
END_TEST

/* Label names come out sorted and duplicates are refused, however many there are and wherever they stand. */
START_TEST(test_label_order_and_duplicates)
{
	struct expo *e = expo_new(1 << 20);
	struct family *f = expo_family(e, "d1", METRIC_GAUGE, "h", (const char *const[]){ "b", "a", "c", "a", NULL });
	expo_sample(e, f, 1, "1", "2", "3", "4");
	const char *many[21], *vals[20];
	char names[20][8];
	for (int i = 0; i < 20; i++) {
		/* l19, l18 ... l00: reversed, more than are sorted in place */
		names[i][0] = 'l';
		names[i][1] = (char)('0' + (19 - i) / 10);
		names[i][2] = (char)('0' + (19 - i) % 10);
		names[i][3] = '\0';
		many[i] = names[i];
		vals[i] = names[i];
	}
	many[20] = NULL;
	f = expo_family(e, "wide", METRIC_GAUGE, "h", many);
	expo_add(e, f, 1, vals);
	memcpy(names[7], "l03", 4); /* l03 twice */
	f = expo_family(e, "d2", METRIC_GAUGE, "h", many);
	expo_add(e, f, 1, vals);
	f = expo_family(e, "three", METRIC_GAUGE, "h", (const char *const[]){ "c", "a", "b", NULL });
	expo_sample(e, f, 1, "C", "A", "B");
	ck_assert_uint_eq(expo_dropped(e), 2);
	char *out = render(e, EXPO_TEXT);
	ck_assert(strstr(out, "three{a=\"A\",b=\"B\",c=\"C\"} 1\n"));
	ck_assert(strstr(out, "wide{l00=\"l00\",l01=\"l01\",l02=\"l02\",l03=\"l03\",l04=\"l04\",l05=\"l05\","
			      "l06=\"l06\",l07=\"l07\",l08=\"l08\",l09=\"l09\",l10=\"l10\",l11=\"l11\",l12=\"l12\","
			      "l13=\"l13\",l14=\"l14\",l15=\"l15\",l16=\"l16\",l17=\"l17\",l18=\"l18\",l19=\"l19\"} 1\n"));
	ck_assert(!strstr(out, "d1") && !strstr(out, "d2"));
	free(out);
	expo_free(e);
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("expo");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_sorted_families_and_series);
	tcase_add_test(tc, test_reused_value_buffers);
	tcase_add_test(tc, test_label_order_and_duplicates);
	tcase_add_test(tc, test_escaping);
	tcase_add_test(tc, test_many_labels);
	tcase_add_test(tc, test_omit_empty_labels);
	tcase_add_test(tc, test_append_label);
	tcase_add_test(tc, test_invalid_utf8_replaced);
	tcase_add_test(tc, test_duplicates_keep_first);
	tcase_add_test(tc, test_conflicting_declaration_dropped);
	tcase_add_test(tc, test_invalid_names_rejected);
	tcase_add_test(tc, test_openmetrics_types);
	tcase_add_test(tc, test_summary_histogram);
	tcase_add_test(tc, test_cap_is_sticky_error);
	tcase_add_test(tc, test_render_cap);
	tcase_add_test(tc, test_empty_family_not_rendered);
	tcase_add_test(tc, test_many_families);
	tcase_add_test(tc, test_family_order_matches_strcmp);
	tcase_add_test(tc, test_name_validation);
	tcase_add_test(tc, test_sample_timestamps);
	suite_add_tcase(s, tc);
	return s;
}
