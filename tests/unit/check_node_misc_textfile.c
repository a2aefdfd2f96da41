// links: node_exporter
/*
 * textfile: upstream's golden outputs for every fixture case (with the
 * files' mtimes set to 1, as upstream's test forces them), then the parser
 * and merge rules on hand-written files, broken files, FIFOs, directories
 * and oversized files.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"

extern const struct collector_def collector_textfile;

/* Drop the HELP text of our own families (our wording differs from upstream's). */
static char *normalize(const char *text)
{
	char *out = malloc(strlen(text) + 1), *o = out;
	for (const char *p = text; *p;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) + 1 : strlen(p);
		if (!strncmp(p, "# HELP node_textfile_", 21)) {
			const char *sp = memchr(p + 7, ' ', n - 7);
			size_t keep = sp ? (size_t)(sp - p) : n;
			memcpy(o, p, keep);
			o += keep;
			*o++ = '\n';
		} else {
			memcpy(o, p, n);
			o += n;
		}
		p += n;
	}
	*o = '\0';
	return out;
}

static const struct {
	const char *dirs[3];
	const char *out;
} golden[] = {
	{ { "fixtures/textfile/no_metric_files" }, "no_metric_files.out" },
	{ { "fixtures/textfile/two_metric_files" }, "two_metric_files.out" },
	{ { "fixtures/textfile/nonexistent_path" }, "nonexistent_path.out" },
	{ { "fixtures/textfile/client_side_timestamp" }, "client_side_timestamp.out" },
	{ { "fixtures/textfile/different_metric_types" }, "different_metric_types.out" },
	{ { "fixtures/textfile/inconsistent_metrics" }, "inconsistent_metrics.out" },
	{ { "fixtures/textfile/histogram" }, "histogram.out" },
	{ { "fixtures/textfile/histogram_extra_dimension" }, "histogram_extra_dimension.out" },
	{ { "fixtures/textfile/summary" }, "summary.out" },
	{ { "fixtures/textfile/summary_extra_dimension" }, "summary_extra_dimension.out" },
	{ { "fixtures/textfile/histogram_extra_dimension", "fixtures/textfile/summary_extra_dimension" },
	  "glob_extra_dimension.out" },
	{ { "fixtures/textfile/*_extra_dimension" }, "glob_extra_dimension.out" },
	{ { "fixtures/textfile/metrics_merge_empty_help" }, "metrics_merge_empty_help.out" },
	{ { "fixtures/textfile/metrics_merge_no_help" }, "metrics_merge_no_help.out" },
	{ { "fixtures/textfile/metrics_merge_same_help" }, "metrics_merge_same_help.out" },
	{ { "fixtures/textfile/metrics_merge_different_help" }, "metrics_merge_different_help.out" },
};

START_TEST(test_golden)
{
	char src[PATH_MAX], cwd[PATH_MAX], cmd[3 * PATH_MAX];
	ck_assert_ptr_nonnull(realpath(FIXTURES "/textfile", src));
	ck_assert_ptr_nonnull(getcwd(cwd, sizeof cwd));
	char *dir = fixture_dir();
	/* A copy whose mtimes are 1, as upstream's test forces them. */
	snprintf(cmd, sizeof cmd,
		 "mkdir -p '%s/fixtures' && cp -R '%s' '%s/fixtures/textfile' && "
		 "find '%s/fixtures' -type f -exec touch -m -d @1 {} +",
		 dir, src, dir, dir);
	ck_assert_int_eq(system(cmd), 0);
	ck_assert_int_eq(chdir(dir), 0);

	const char *argv[4] = { NULL };
	char args[3][256];
	for (int i = 0; i < 3 && golden[_i].dirs[i]; i++) {
		snprintf(args[i], sizeof args[i], "--collector.textfile.directory=%s", golden[_i].dirs[i]);
		argv[i] = args[i];
	}
	struct run_result r = run_collector_with(&collector_textfile, "/nonexistent", "/nonexistent",
						 "/nonexistent", argv);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	char path[PATH_MAX];
	snprintf(path, sizeof path, "fixtures/textfile/%s", golden[_i].out);
	char *want = slurp(path);
	char *a = normalize(want), *b = normalize(r.text);
	ck_assert_msg(!strcmp(a, b), "%s\n--- want ---\n%s\n--- got ---\n%s", golden[_i].out, a, b);
	free(a), free(b), free(want), free(r.text);
	ck_assert_int_eq(chdir(cwd), 0);
	fixture_rm(dir);
}
END_TEST

/* ---- hand-written cases ---- */

static struct run_result run_dir(const char *dir)
{
	char arg[8500];
	snprintf(arg, sizeof arg, "--collector.textfile.directory=%s", dir);
	const char *const argv[] = { arg, NULL };
	return run_collector_with(&collector_textfile, "/nonexistent", "/nonexistent", "/nonexistent",
				  argv);
}

static bool scrape_error(const char *text)
{
	ck_assert(strstr(text, "\nnode_textfile_scrape_error ") || !strncmp(text, "node_textfile_scrape_error", 26));
	return has_line(text, "node_textfile_scrape_error 1");
}

START_TEST(test_no_directory_flag)
{
	struct run_result r = run_collector(&collector_textfile);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	ck_assert(has_line(r.text, "node_textfile_scrape_error 0"));
	ck_assert(!strstr(r.text, "node_textfile_mtime_seconds"));
	free(r.text);
	/* An empty value is upstream's default: nothing to read, no error. */
	r = run_dir("");
	ck_assert(has_line(r.text, "node_textfile_scrape_error 0"));
	free(r.text);
}
END_TEST

START_TEST(test_valid_syntax)
{
	char *dir = fixture_dir();
	fixture_puts(dir, "a.prom",
		     "# A comment\n"
		     "   \n"
		     "# HELP esc Backslash \\\\ and\\nnewline \"quoted\".\n"
		     "# TYPE esc GAUGE\n"
		     "esc{path=\"C:\\\\x\",q=\"say \\\"hi\\\"\",nl=\"a\\nb\",} 1.5\n"
		     "\t esc  { path = \"other\" }\t-Inf\n"
		     "{\"quoted_name\", x=\"1\"} NaN\n"
		     "\"other_quoted\"{y=\"2\"} +Inf\n"
		     "{bare_in_braces} 3\n"
		     "# TYPE ctr counter\n"
		     "ctr 1e3\n"
		     "# HELP late_help Help after the samples is fine.\n"
		     "late_help 7\n"
		     "# TYPE unused gauge\n"
		     "utf8{v=\"gr\xc3\xbc\xc3\x9f\"} .5\n"
		     "# some other comment # with hashes\n");
	fixture_puts(dir, "not-prom.txt", "this is ignored\n");
	struct run_result r = run_dir(dir);
	ck_assert(!scrape_error(r.text));
	ck_assert_msg(strstr(r.text, "# HELP esc Backslash \\\\ and\\nnewline \"quoted\".\n"), "%s", r.text);
	ck_assert(strstr(r.text, "# TYPE esc gauge\n"));
	ck_assert(has_line(r.text, "esc{nl=\"a\\nb\",path=\"C:\\\\x\",q=\"say \\\"hi\\\"\"} 1.5"));
	ck_assert(has_line(r.text, "esc{nl=\"\",path=\"other\",q=\"\"} -Inf"));
	ck_assert(has_line(r.text, "quoted_name{x=\"1\"} NaN"));
	ck_assert(has_line(r.text, "other_quoted{y=\"2\"} +Inf"));
	ck_assert(has_line(r.text, "bare_in_braces 3"));
	ck_assert(strstr(r.text, "# TYPE ctr counter\n"));
	ck_assert(has_line(r.text, "ctr 1000"));
	ck_assert(strstr(r.text, "# HELP late_help Help after the samples is fine.\n"));
	ck_assert(has_line(r.text, "utf8{v=\"gr\xc3\xbc\xc3\x9f\"} 0.5"));
	ck_assert(!strstr(r.text, "unused")); /* a family without samples is dropped */
	ck_assert(!strstr(r.text, "ignored"));
	char want[4200];
	snprintf(want, sizeof want, "node_textfile_mtime_seconds{file=\"%s/a.prom\"}", dir);
	ck_assert(strstr(r.text, want));
	free(r.text);
	fixture_rm(dir);
}
END_TEST

/* Files upstream rejects as a whole; good.prom next to them is still served. */
/* The last of the rejected files, whose length strlen() cannot tell. */
#define NUL_CASE "foo{a=\"x\0y\"} 1\n"

static const char *const rejected[] = {
	"no_newline 1",				    /* the last line must end */
	"foo 1 2\n",				    /* a timestamp */
	"foo 1 -2\n",				    /* a negative timestamp too */
	"foo 1 \n",				    /* trailing blank: an empty timestamp */
	"foo 1 2 3\n",				    /* junk after the timestamp */
	"foo one\n",				    /* not a number */
	"foo 0x10\n",				    /* no hexadecimal */
	"foo 1_000\n",				    /* no underscores */
	"foo -nan\n",				    /* no signed NaN */
	"foo 1e999\n",				    /* out of range */
	"foo 1\r\n",				    /* CRLF */
	"foo{a=\"b\" 1\n",			    /* unclosed braces */
	"foo{a=b} 1\n",				    /* unquoted value */
	"foo{a=\"b\",a=\"c\"} 1\n",		    /* duplicate label */
	"foo{__name__=\"x\"} 1\n",		    /* reserved label */
	"foo{__meta=\"x\"} 1\n",		    /* reserved prefix (crashes upstream) */
	"foo{a=\"\\q\"} 1\n",			    /* bad escape in a value */
	"foo{a=\"\xff\"} 1\n",			    /* invalid UTF-8 */
	"foo{\"a.b\"=\"x\"} 1\n",		    /* not a legacy label name */
	"\"a.b\" 1\n",				    /* not a legacy metric name */
	"1foo 1\n",				    /* a name cannot start with a digit */
	"{a=\"b\"} 1\n",			    /* no metric name */
	"{a=\"b\",\"foo\"} 1\n",		    /* name after a label (garbage upstream) */
	"{\"foo\",\"bar\"} 1\n",		    /* two names */
	"# HELP foo one\n# HELP foo two\nfoo 1\n",   /* second HELP */
	"# TYPE foo gauge\n# TYPE foo gauge\nfoo 1\n", /* second TYPE */
	"foo 1\n# TYPE foo gauge\n",		    /* TYPE after samples */
	"# TYPE foo bogus\nfoo 1\n",		    /* unknown type */
	"# TYPE foo gaugehistogram\nfoo_bucket{le=\"1\"} 1\n", /* gauge histograms (crash upstream) */
	"# HELP foo bad \\t escape\nfoo 1\n",	    /* bad escape in HELP */
	"# HELP 1foo x\n",			    /* invalid name in a comment */
	"# TYPE h histogram\nh_bucket{le=\"x\"} 1\n", /* le not a number */
	"# TYPE s summary\ns{quantile=\"q\"} 1\n",   /* quantile not a number */
	"# TYPE h histogram\nh_bucket{le=\"1\"} -1\n", /* negative bucket */
	"# TYPE h histogram\nh_count -2.5\n",	    /* negative count */
	"foo{a=\"b\nc\"} 1\n",			    /* newline in a value */
	"foo{a=\"b\"}",				    /* truncated */
	"# HELP foo",				    /* truncated comment */
	"foo{a=\"\\",				    /* truncated escape */
	NUL_CASE,				    /* a NUL in a value (not representable) */
};

START_TEST(test_rejected_files)
{
	char *dir = fixture_dir();
	const char *bad = rejected[_i];
	size_t len = strlen(bad);
	if (_i == (int)(sizeof rejected / sizeof rejected[0]) - 1)
		len = sizeof NUL_CASE - 1; /* with its NUL */
	fixture_write(dir, "bad.prom", bad, len);
	fixture_puts(dir, "good.prom", "good_metric 42\n");
	struct run_result r = run_dir(dir);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	ck_assert_msg(scrape_error(r.text), "case %d (%s) accepted:\n%s", _i, bad, r.text);
	ck_assert(has_line(r.text, "good_metric 42"));
	ck_assert(!strstr(r.text, "bad.prom"));
	ck_assert_msg(!strstr(r.text, "\nfoo") && !strstr(r.text, "\nh_"), "case %d leaked:\n%s", _i,
		      r.text);
	free(r.text);
	fixture_rm(dir);
}
END_TEST

START_TEST(test_long_names)
{
	char *dir = fixture_dir();
	/* No length limit on names (upstream has none). */
	char name[1001];
	memset(name, 'n', 1000);
	name[1000] = '\0';
	char text[1100];
	snprintf(text, sizeof text, "%s{l=\"v\"} 1\n", name);
	fixture_puts(dir, "long.prom", text);
	/* A family with more label names than the exposition takes is dropped, not mangled. */
	size_t cap = 300 * 32, o = 0;
	char *many = malloc(cap);
	for (int i = 0; i < 300; i++)
		o += (size_t)snprintf(many + o, cap - o, "wide{l%d=\"x\"} %d\n", i, i);
	fixture_write(dir, "wide.prom", many, o);
	free(many);
	struct run_result r = run_dir(dir);
	ck_assert(!scrape_error(r.text));
	char want[1100];
	snprintf(want, sizeof want, "%s{l=\"v\"} 1", name);
	ck_assert(has_line(r.text, want));
	ck_assert(!strstr(r.text, "\nwide"));
	free(r.text);
	fixture_rm(dir);
}
END_TEST

START_TEST(test_summary_histogram)
{
	char *dir = fixture_dir();
	fixture_puts(dir, "d.prom",
		     "# TYPE s summary\n"
		     "s{a=\"x\",quantile=\"0.9\"} 9\n"
		     "s{quantile=\"0.5\",a=\"x\"} 5\n"
		     "s{a=\"x\",quantile=\"0.5\"} 6\n" /* the same quantile again: the last wins */
		     "s{a=\"x\",quantile=\"NaN\"} 7\n" /* ignored */
		     "s_sum{a=\"x\"} 1.5\n"
		     "s_count{a=\"x\"} 3.7\n"		/* truncated to an integer */
		     "s_count{a=\"y\"} 2\n"
		     "# TYPE h histogram\n"
		     "h_bucket{le=\"10\"} 3\n"
		     "h_bucket{le=\"1\"} 1\n"
		     "h_sum 4\n"
		     "h_count 3\n"
		     "# TYPE hf histogram\n"
		     "hf_bucket{le=\"1\"} 1.5\n"		/* a non-integer count zeroes them all, as upstream */
		     "hf_bucket{le=\"+Inf\"} 2\n"
		     "hf_count 2\n"
		     "hf_sum 3\n"
		     "# TYPE g gauge\n"
		     "g{quantile=\"x\",le=\"y\"} 1\n");		/* plain labels outside summaries/histograms */
	struct run_result r = run_dir(dir);
	ck_assert(!scrape_error(r.text));
	ck_assert_msg(strstr(r.text, "s{a=\"x\",quantile=\"0.5\"} 6\ns{a=\"x\",quantile=\"0.9\"} 9\n"
				     "s_sum{a=\"x\"} 1.5\ns_count{a=\"x\"} 3\n"),
		      "%s", r.text);
	ck_assert(strstr(r.text, "s_sum{a=\"y\"} 0\ns_count{a=\"y\"} 2\n"));
	ck_assert(strstr(r.text, "h_bucket{le=\"1\"} 1\nh_bucket{le=\"10\"} 3\nh_bucket{le=\"+Inf\"} 3\n"
				 "h_sum 4\nh_count 3\n"));
	ck_assert(strstr(r.text, "hf_bucket{le=\"1\"} 0\nhf_bucket{le=\"+Inf\"} 0\nhf_sum 3\nhf_count 0\n"));
	ck_assert(has_line(r.text, "g{le=\"y\",quantile=\"x\"} 1"));
	free(r.text);
	fixture_rm(dir);
}
END_TEST

/*
 * Quantile values are floats upstream (dto.Quantile.Value): negative, NaN and
 * beyond 2^64 are exported as given. They were converted to uint64_t on the
 * way, undefined behaviour that clang's float-cast-overflow check traps.
 */
START_TEST(test_summary_float_values)
{
	char *dir = fixture_dir();
	fixture_puts(dir, "q.prom",
		     "# TYPE q summary\n"
		     "q{quantile=\"0.1\"} -2.5\n"
		     "q{quantile=\"0.5\"} NaN\n"
		     "q{quantile=\"0.9\"} 1e30\n"
		     "q{quantile=\"0.99\"} -Inf\n"
		     "q_sum -1\n"
		     "q_count 4\n");
	struct run_result r = run_dir(dir);
	ck_assert_msg(!scrape_error(r.text), "%s", r.text);
	ck_assert_msg(strstr(r.text, "q{quantile=\"0.1\"} -2.5\nq{quantile=\"0.5\"} NaN\n"
				     "q{quantile=\"0.9\"} 1e+30\nq{quantile=\"0.99\"} -Inf\n"
				     "q_sum -1\nq_count 4\n"),
		      "%s", r.text);
	free(r.text);
	fixture_rm(dir);
}
END_TEST

START_TEST(test_merge_rules)
{
	char *dir = fixture_dir();
	/* Type conflict: the first file's type wins, the other's samples are dropped. */
	fixture_puts(dir, "1.prom", "# TYPE t counter\nt{f=\"1\"} 1\n");
	fixture_puts(dir, "2.prom", "# TYPE t gauge\nt{f=\"2\"} 2\n");
	/* HELP: one file has it, another shares it. */
	fixture_puts(dir, "1.prom", "# TYPE t counter\nt{f=\"1\"} 1\n# HELP h The help.\nh{f=\"1\"} 1\n");
	fixture_puts(dir, "3.prom", "h{f=\"3\"} 3\n");
	/* HELP conflict: 4 and 6 lose theirs (6 too, although it matches the first). */
	fixture_puts(dir, "4.prom", "# HELP c First.\nc{f=\"4\"} 4\n");
	fixture_puts(dir, "5.prom", "# HELP c Second.\nc{f=\"5\"} 5\n");
	fixture_puts(dir, "6.prom", "# HELP c First.\nc{f=\"6\"} 6\n");
	/* Label sets differ across files: the union, "" where missing. */
	fixture_puts(dir, "7.prom", "u{a=\"1\"} 1\n");
	fixture_puts(dir, "8.prom", "u{b=\"2\"} 2\nu 3\n");
	/* The same series twice: the first is kept. */
	fixture_puts(dir, "9.prom", "dup 1\n");
	fixture_puts(dir, "9b.prom", "dup 2\n");
	/* A gauge named like a summary's count: dropped. */
	fixture_puts(dir, "s.prom", "# TYPE sm summary\nsm_count 1\nsm_sum 2\n");
	fixture_puts(dir, "t.prom", "# TYPE sm_count gauge\nsm_count 5\n");
	struct run_result r = run_dir(dir);
	ck_assert(scrape_error(r.text)); /* the HELP conflict */
	ck_assert(strstr(r.text, "# TYPE t counter\n"));
	ck_assert(has_line(r.text, "t{f=\"1\"} 1"));
	ck_assert(!strstr(r.text, "t{f=\"2\"}"));
	ck_assert(strstr(r.text, "# HELP h The help.\n"));
	ck_assert(has_line(r.text, "h{f=\"3\"} 3"));
	ck_assert(strstr(r.text, "# HELP c First.\n"));
	ck_assert(has_line(r.text, "c{f=\"4\"} 4"));
	ck_assert(!strstr(r.text, "c{f=\"5\"}") && !strstr(r.text, "c{f=\"6\"}"));
	ck_assert(has_line(r.text, "u{a=\"1\",b=\"\"} 1"));
	ck_assert(has_line(r.text, "u{a=\"\",b=\"2\"} 2"));
	ck_assert(has_line(r.text, "u{a=\"\",b=\"\"} 3"));
	ck_assert(has_line(r.text, "dup 1") && !has_line(r.text, "dup 2"));
	ck_assert(has_line(r.text, "sm_count 1") && !has_line(r.text, "sm_count 5"));
	/* Every file parsed has its mtime, the ones that lost a family included. */
	char want[4200];
	snprintf(want, sizeof want, "node_textfile_mtime_seconds{file=\"%s/6.prom\"}", dir);
	ck_assert(strstr(r.text, want));
	free(r.text);
	fixture_rm(dir);
}
END_TEST

START_TEST(test_special_files)
{
	char *dir = fixture_dir();
	char path[4200];
	fixture_puts(dir, "good.prom", "good_metric 1\n");
	/* A FIFO nobody writes to: opening it would block the scrape forever. */
	snprintf(path, sizeof path, "%s/fifo.prom", dir);
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	/* A directory and a dangling symlink with the suffix. */
	snprintf(path, sizeof path, "%s/sub.prom", dir);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	fixture_puts(dir, "sub.prom/inner.prom", "inner 1\n"); /* no recursion */
	snprintf(path, sizeof path, "%s/dangling.prom", dir);
	ck_assert_int_eq(symlink("/nonexistent/x.prom", path), 0);
	/* A symlink to a regular file is read. */
	fixture_puts(dir, "target.txt", "linked 2\n");
	snprintf(path, sizeof path, "%s/link.prom", dir);
	ck_assert_int_eq(symlink("target.txt", path), 0);
	/* A file nobody may read (root may, so it only counts as an error for others). */
	fixture_puts(dir, "secret.prom", "secret 3\n");
	snprintf(path, sizeof path, "%s/secret.prom", dir);
	ck_assert_int_eq(chmod(path, 0), 0);

	struct run_result r = run_dir(dir);
	ck_assert(scrape_error(r.text));
	ck_assert(has_line(r.text, "good_metric 1"));
	ck_assert(has_line(r.text, "linked 2"));
	ck_assert(!strstr(r.text, "inner"));
	ck_assert(!strstr(r.text, "fifo.prom") && !strstr(r.text, "sub.prom") &&
		  !strstr(r.text, "dangling.prom"));
	if (geteuid() != 0)
		ck_assert(!strstr(r.text, "secret"));
	free(r.text);

	/* An unreadable directory (for non-root) and a missing one. */
	r = run_dir("/nonexistent/dir");
	ck_assert(scrape_error(r.text));
	free(r.text);
	snprintf(path, sizeof path, "%s/good.prom", dir);
	r = run_dir(path); /* a file, not a directory */
	ck_assert(scrape_error(r.text));
	free(r.text);
	fixture_rm(dir);
}
END_TEST

START_TEST(test_oversized_file)
{
	char *dir = fixture_dir();
	char path[4200];
	snprintf(path, sizeof path, "%s/big.prom", dir);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, (off_t)(65u << 20)), 0); /* sparse: cheap to make */
	close(fd);
	fixture_puts(dir, "good.prom", "good_metric 1\n");
	struct run_result r = run_dir(dir);
	ck_assert(scrape_error(r.text));
	ck_assert(has_line(r.text, "good_metric 1"));
	free(r.text);
	/* Many series in one file are fine. */
	size_t n = 50000;
	char *text = malloc(n * 40);
	size_t o = 0;
	o += (size_t)snprintf(text + o, 64, "# TYPE many gauge\n");
	for (size_t i = 0; i < n; i++)
		o += (size_t)snprintf(text + o, 40, "many{i=\"%zu\"} %zu\n", i, i);
	fixture_write(dir, "big.prom", text, o);
	free(text);
	r = run_dir(dir);
	ck_assert(!scrape_error(r.text));
	ck_assert(has_line(r.text, "many{i=\"49999\"} 49999"));
	free(r.text);
	fixture_rm(dir);
}
END_TEST

START_TEST(test_globs_and_paths)
{
	char *dir = fixture_dir();
	fixture_puts(dir, "a/x.prom", "from_a 1\n");
	fixture_puts(dir, "b/x.prom", "from_b 1\n");
	fixture_puts(dir, ".hidden/x.prom", "from_hidden 1\n");
	fixture_puts(dir, "c.txt", "not a dir\n");
	char pattern[4200];
	/* '*' matches dot-names too (Go's filepath.Match); files matched are errors. */
	snprintf(pattern, sizeof pattern, "%s/*", dir);
	struct run_result r = run_dir(pattern);
	ck_assert(has_line(r.text, "from_a 1") && has_line(r.text, "from_b 1") &&
		  has_line(r.text, "from_hidden 1"));
	ck_assert(scrape_error(r.text)); /* c.txt is not a directory */
	free(r.text);
	/* Character classes; labels are cleaned paths. */
	snprintf(pattern, sizeof pattern, "%s//./[a]", dir);
	r = run_dir(pattern);
	ck_assert(has_line(r.text, "from_a 1") && !has_line(r.text, "from_b 1"));
	ck_assert(!scrape_error(r.text));
	char want[4200];
	snprintf(want, sizeof want, "node_textfile_mtime_seconds{file=\"%s/a/x.prom\"}", dir);
	ck_assert_msg(strstr(r.text, want), "%s", r.text);
	free(r.text);
	snprintf(pattern, sizeof pattern, "%s//./b/../a/", dir);
	r = run_dir(pattern);
	ck_assert(has_line(r.text, "from_a 1") && !scrape_error(r.text));
	ck_assert_msg(strstr(r.text, want), "%s", r.text);
	free(r.text);
	/* As in Go, ".." is never matched by a pattern, and a glob ending in '/' matches nothing. */
	snprintf(pattern, sizeof pattern, "%s/[ab]/../a", dir);
	r = run_dir(pattern);
	ck_assert(scrape_error(r.text));
	free(r.text);
	snprintf(pattern, sizeof pattern, "%s/[a]/", dir);
	r = run_dir(pattern);
	ck_assert(scrape_error(r.text));
	free(r.text);
	/* No match: the pattern is taken as a directory name, which does not exist. */
	snprintf(pattern, sizeof pattern, "%s/nomatch*", dir);
	r = run_dir(pattern);
	ck_assert(scrape_error(r.text));
	free(r.text);
	/* The same directory twice: one mtime series, no error. */
	char a1[4200], a2[4200];
	snprintf(a1, sizeof a1, "--collector.textfile.directory=%s/a", dir);
	snprintf(a2, sizeof a2, "--collector.textfile.directory=%s/a/", dir);
	const char *const argv[] = { a1, a2, NULL };
	r = run_collector_with(&collector_textfile, "/nonexistent", "/nonexistent", "/nonexistent", argv);
	ck_assert(!scrape_error(r.text));
	const char *m = strstr(r.text, "node_textfile_mtime_seconds{");
	ck_assert_ptr_nonnull(m);
	ck_assert(!strstr(m + 1, "node_textfile_mtime_seconds{"));
	free(r.text);
	fixture_rm(dir);
}
END_TEST

START_TEST(test_mtime_value)
{
	char *dir = fixture_dir();
	fixture_puts(dir, "m.prom", "m 1\n");
	char path[4200];
	snprintf(path, sizeof path, "%s/m.prom", dir);
	struct timespec ts[2] = { { 1234567890, 999999999 }, { 1234567890, 999999999 } };
	ck_assert_int_eq(utimensat(AT_FDCWD, path, ts, 0), 0);
	struct run_result r = run_dir(dir);
	char want[4400];
	snprintf(want, sizeof want, "node_textfile_mtime_seconds{file=\"%s\"} 1.23456789e+09", path);
	ck_assert_msg(has_line(r.text, want), "%s", r.text);
	free(r.text);
	fixture_rm(dir);
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("node_misc_textfile");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_golden, 0, (int)(sizeof golden / sizeof golden[0]));
	tcase_add_test(tc, test_no_directory_flag);
	tcase_add_test(tc, test_valid_syntax);
	tcase_add_loop_test(tc, test_rejected_files, 0, (int)(sizeof rejected / sizeof rejected[0]));
	tcase_add_test(tc, test_long_names);
	tcase_add_test(tc, test_summary_histogram);
	tcase_add_test(tc, test_summary_float_values);
	tcase_add_test(tc, test_merge_rules);
	tcase_add_test(tc, test_special_files);
	tcase_add_test(tc, test_oversized_file);
	tcase_add_test(tc, test_globs_and_paths);
	tcase_add_test(tc, test_mtime_value);
	suite_add_tcase(s, tc);
	return s;
}
