// links:
/*
 * The backend layer (common/backend.c) on a stand-in server whose hooks
 * count their calls and can refuse, stall or break: the pool (503 when
 * every slot is busy, eviction of idle and least recently used targets),
 * the per-target lock taken with the scrape's deadline, the backoff, one
 * reconnection per scrape, the families and the per-request errors; the
 * targets as the landing page shows them. The real servers are in
 * tests/integration/test_{pg,redis}_faults.py and test_common_landing.py.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../common/backend.h"
#include "../../common/landing.h"
#include "../../common/parse.h"
#include "unit.h"

struct fake_conn {
	bool broken;
};

struct fake_spec {
	char name[64];
};

static pthread_mutex_t fk_mu = PTHREAD_MUTEX_INITIALIZER;

/* What the hooks did, and how the stand-in server behaves. */
static struct {
	int opens, closes, frees, collects;
	bool refuse; /* open fails */
	double stall; /* collect takes this long (seconds) */
	bool reconnect; /* collect finds its reused connection broken */
	int reconnected; /* backend_reconnect() successes */
	struct fake_conn *last; /* the connection opened last */
} fk;

static void bump(int *n)
{
	pthread_mutex_lock(&fk_mu);
	(*n)++;
	pthread_mutex_unlock(&fk_mu);
}

static void *fake_open(void *spec, double deadline, char *err, size_t errlen)
{
	(void)spec;
	(void)deadline;
	bump(&fk.opens);
	if (fk.refuse) {
		strf(err, errlen, "connection refused");
		return NULL;
	}
	fk.last = calloc(1, sizeof(struct fake_conn));
	return fk.last;
}

static bool fake_usable(void *spec, void *conn)
{
	(void)spec;
	return !((struct fake_conn *)conn)->broken;
}

static void sleep_s(double s)
{
	struct timespec ts = { .tv_sec = (time_t)s, .tv_nsec = (long)((s - (double)(time_t)s) * 1e9) };
	nanosleep(&ts, NULL);
}

static int fake_collect(struct backend_scrape *bs, struct expo *e, char *err, size_t errlen)
{
	bump(&fk.collects);
	if (fk.stall > 0)
		sleep_s(fk.stall);
	if (fk.reconnect && bs->reused) {
		strf(err, errlen, "broken pipe");
		if (backend_reconnect(bs, err, errlen))
			bump(&fk.reconnected);
		/* A second one in the same scrape is refused. */
		if (backend_reconnect(bs, err, errlen))
			bump(&fk.reconnected);
		return -1;
	}
	expo_single(e, "fk_thing", METRIC_GAUGE, "A value of the server.", 1);
	return 0;
}

static void fake_close(void *conn)
{
	bump(&fk.closes);
	free(conn);
}

static const char *fake_describe(const void *spec)
{
	return ((const struct fake_spec *)spec)->name;
}

static void fake_free(void *spec)
{
	bump(&fk.frees);
	free(spec);
}

static struct fake_spec *spec_of(const char *name)
{
	struct fake_spec *s = calloc(1, sizeof *s);
	strf(s->name, sizeof s->name, "%s", name);
	return s;
}

static int fake_resolve(const struct request *rq, const char *target, void **spec, char **key,
			char *msg, size_t msglen)
{
	(void)rq;
	if (!strcmp(target, "bad")) {
		strf(msg, msglen, "bad target");
		return 400;
	}
	*spec = spec_of(target);
	*key = strdup(target);
	return 0;
}

static const struct backend_ops fake_ops = {
	.open = fake_open, .usable = fake_usable, .collect = fake_collect, .close = fake_close,
	.describe = fake_describe, .free_spec = fake_free, .resolve = fake_resolve,
};

static const char *const label_names[] = { "env", NULL };
static const char *const label_values[] = { "test" };

static struct backend b;
static struct exporter x;

/* A fresh backend (and exporter) with this pool size and idle time. */
static void setup_backend(size_t pool, double idle, bool with_default)
{
	memset(&fk, 0, sizeof fk);
	b = (struct backend){
		.server = "Fake",
		.ops = &fake_ops,
		.route = "/probe",
		.target_param = "target",
		.missing_target = "target is required",
		.pool_size = pool,
		.idle_seconds = idle,
		.backoff_min = 0.2,
		.backoff_max = 0.4,
		.metrics = {
			.up = { "_up", "Up." },
			.scrapes = { "_exporter_scrapes_total", "Scrapes." },
			.failures = { "fk_failures_total", "Failures." },
			.last_error = { "_exporter_last_scrape_error", "Error." },
			.error_label = "err",
			.connect_time = { "_connect_seconds", "Connect." },
			.request_errors = { "_request_errors_total", "Refused." },
		},
		.label_names = label_names,
		.label_values = label_values,
	};
	x = (struct exporter){ .name = "fake_exporter", .prefix = "fk", .backend = &b,
			       .no_self_metrics = true };
	char err[256];
	ck_assert_int_eq(backend_start(&b, &x, err, sizeof err), 0);
	if (with_default)
		ck_assert_int_eq(backend_set_default(&b, spec_of("default"), NULL), 0);
}

struct result {
	int status;
	char msg[512];
	char *text;
	double took;
};

/* GET path (the telemetry path when NULL) with args, timeout seconds. */
static struct result get(const char *target, double timeout)
{
	struct arg args[1] = { { "target", (char *)(uintptr_t)target } };
	struct request rq = { .x = &x, .args = args, .nargs = target ? 1 : 0 };
	clock_gettime(CLOCK_MONOTONIC, &rq.start);
	rq.deadline = rq.start;
	rq.deadline.tv_sec += (time_t)timeout;
	rq.deadline.tv_nsec += (long)((timeout - (double)(time_t)timeout) * 1e9);
	if (rq.deadline.tv_nsec >= 1000000000L) {
		rq.deadline.tv_sec++;
		rq.deadline.tv_nsec -= 1000000000L;
	}
	struct result r = { 0 };
	struct expo *e = expo_new(1 << 20);
	double t0 = mono_now();
	r.status = target ? backend_route_handler(&rq, e, r.msg, sizeof r.msg)
			  : backend_metrics_handler(&rq, e, r.msg, sizeof r.msg);
	r.took = mono_now() - t0;
	struct buf out;
	buf_init(&out, 1 << 20);
	ck_assert_int_eq(expo_render(e, EXPO_TEXT, &out), 0);
	r.text = buf_detach(&out, NULL);
	if (!r.text)
		r.text = calloc(1, 1);
	expo_free(e);
	return r;
}

static bool has(const struct result *r, const char *line)
{
	size_t n = strlen(line);
	for (const char *p = r->text; (p = strstr(p, line)); p++)
		if ((p == r->text || p[-1] == '\n') && p[n] == '\n')
			return true;
	return false;
}

/* Scrape target (the default when NULL): opens so far (unless -1), and a line of the page (unless NULL). */
static void expect(const char *target, int opens, const char *line)
{
	struct result r = get(target, 5);
	if (opens >= 0)
		ck_assert_int_eq(fk.opens, opens);
	if (line)
		ck_assert_msg(has(&r, line), "no %s in\n%s", line, r.text);
	free(r.text);
}

START_TEST(test_families_and_recovery)
{
	setup_backend(4, 0, true);
	struct result r = get(NULL, 5);
	ck_assert_int_eq(r.status, 0);
	ck_assert_msg(has(&r, "fk_up{env=\"test\"} 1"), "%s", r.text);
	ck_assert(has(&r, "fk_thing 1"));
	ck_assert(has(&r, "fk_exporter_scrapes_total{env=\"test\"} 1"));
	ck_assert(has(&r, "fk_failures_total{env=\"test\"} 0"));
	ck_assert(has(&r, "fk_exporter_last_scrape_error{env=\"test\",err=\"\"} 0"));
	ck_assert(strstr(r.text, "fk_connect_seconds{env=\"test\"} "));
	ck_assert(has(&r, "fk_request_errors_total{env=\"test\"} 0"));
	free(r.text);
	/* The connection is kept: the second scrape opens nothing. */
	expect(NULL, 1, "fk_exporter_scrapes_total{env=\"test\"} 2");
	/* A connection found broken between scrapes is replaced before collecting. */
	fk.last->broken = true;
	r = get(NULL, 5);
	ck_assert_int_eq(fk.opens, 2);
	ck_assert_int_eq(fk.closes, 1);
	ck_assert(has(&r, "fk_up{env=\"test\"} 1"));
	free(r.text);
	backend_free(&b);
	ck_assert_int_eq(fk.frees, 1);
	ck_assert_int_eq(fk.closes, 2);
}
END_TEST

START_TEST(test_without_default_target)
{
	setup_backend(4, 0, false);
	struct result r = get(NULL, 5);
	ck_assert(has(&r, "fk_up{env=\"test\"} 0"));
	ck_assert(has(&r, "fk_exporter_last_scrape_error{env=\"test\",err=\"\"} 0"));
	free(r.text);
	r = get(NULL, 5);
	ck_assert(has(&r, "fk_exporter_scrapes_total{env=\"test\"} 2"));
	free(r.text);
	b.quiet_without_default = true;
	r = get(NULL, 5);
	ck_assert_ptr_null(strstr(r.text, "fk_up"));
	free(r.text);
	ck_assert_int_eq(fk.opens, 0);
	backend_free(&b);
}
END_TEST

START_TEST(test_backoff_after_failed_connects)
{
	setup_backend(4, 0, true);
	fk.refuse = true;
	struct result r = get(NULL, 5);
	ck_assert(has(&r, "fk_up{env=\"test\"} 0"));
	ck_assert(has(&r, "fk_exporter_last_scrape_error{env=\"test\",err=\"connection refused\"} 1"));
	ck_assert(has(&r, "fk_failures_total{env=\"test\"} 1"));
	ck_assert_int_eq(fk.collects, 0);
	free(r.text);
	/* Within the backoff no attempt is made, and the page says why. */
	r = get(NULL, 5);
	ck_assert_int_eq(fk.opens, 1);
	ck_assert_msg(strstr(r.text, "err=\"waiting 0.") && strstr(r.text, "last error: connection refused"),
		      "%s", r.text);
	free(r.text);
	sleep_s(0.25);
	expect(NULL, 2, NULL);
	/* The wait doubled: 0.4 s now. */
	sleep_s(0.25);
	expect(NULL, 2, NULL);
	sleep_s(0.2);
	fk.refuse = false;
	expect(NULL, 3, "fk_up{env=\"test\"} 1");
	backend_free(&b);
}
END_TEST

START_TEST(test_one_reconnection_per_scrape)
{
	setup_backend(4, 0, true);
	struct result r = get(NULL, 5);
	free(r.text);
	fk.reconnect = true;
	r = get(NULL, 5);
	/* The broken reused connection was replaced once; the second attempt was refused. */
	ck_assert_int_eq(fk.reconnected, 1);
	ck_assert_int_eq(fk.opens, 2);
	ck_assert(has(&r, "fk_up{env=\"test\"} 0"));
	free(r.text);
	/* Dropped: the next scrape opens a new one. */
	ck_assert_int_eq(fk.closes, 2);
	fk.reconnect = false;
	expect(NULL, 3, "fk_up{env=\"test\"} 1");
	backend_free(&b);
}
END_TEST

struct scrape_job {
	const char *target;
	double timeout;
	struct result r;
};

static void *scrape_thread(void *arg)
{
	struct scrape_job *j = arg;
	j->r = get(j->target, j->timeout);
	return NULL;
}

/* A scrape holding the target does not make a later one wait past its own deadline. */
START_TEST(test_lock_taken_with_the_deadline)
{
	setup_backend(4, 0, true);
	fk.stall = 1.5;
	struct scrape_job holder = { NULL, 10, { 0 } };
	pthread_t th;
	pthread_create(&th, NULL, scrape_thread, &holder);
	sleep_s(0.2);
	struct result r = get(NULL, 0.4);
	ck_assert_msg(r.took < 0.8, "waited %.2fs", r.took);
	ck_assert(has(&r, "fk_up{env=\"test\"} 0"));
	ck_assert_msg(strstr(r.text, "err=\"timed out waiting for another scrape of default\"} 1"), "%s",
		      r.text);
	free(r.text);
	pthread_join(th, NULL);
	ck_assert(has(&holder.r, "fk_up{env=\"test\"} 1"));
	ck_assert_int_eq(fk.collects, 1);
	free(holder.r.text);
	backend_free(&b);
}
END_TEST

START_TEST(test_pool_full_is_503)
{
	setup_backend(2, 0, false);
	fk.stall = 0.8;
	struct scrape_job a = { "a", 10, { 0 } }, bj = { "b", 10, { 0 } };
	pthread_t ta, tb;
	pthread_create(&ta, NULL, scrape_thread, &a);
	sleep_s(0.1); /* a is released first: the least recently used */
	pthread_create(&tb, NULL, scrape_thread, &bj);
	sleep_s(0.3);
	struct result r = get("c", 5);
	ck_assert_int_eq(r.status, 503);
	ck_assert_msg(strstr(r.msg, "every one of the 2 targets kept is being scraped"), "%s", r.msg);
	free(r.text);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	ck_assert_int_eq(a.r.status, 0);
	ck_assert(has(&a.r, "fk_up{env=\"test\"} 1"));
	free(a.r.text);
	free(bj.r.text);
	/* c's spec was dropped; now the least recently used idle target (a) makes room. */
	ck_assert_int_eq(fk.frees, 1);
	fk.stall = 0;
	r = get("c", 5);
	ck_assert_int_eq(r.status, 0);
	ck_assert_int_eq(fk.frees, 2);
	ck_assert_int_eq(fk.closes, 1);
	free(r.text);
	/* b is still kept: no new connection. */
	expect("b", 3, "fk_exporter_scrapes_total{env=\"test\"} 2");
	backend_free(&b);
}
END_TEST

START_TEST(test_idle_targets_forgotten)
{
	setup_backend(8, 0.1, false);
	struct result r = get("a", 5);
	free(r.text);
	r = get("a", 5);
	ck_assert_int_eq(fk.frees, 1); /* the second request's own spec, a duplicate */
	free(r.text);
	sleep_s(0.2);
	r = get("b", 5);
	ck_assert_int_eq(fk.frees, 2); /* a, idle too long */
	ck_assert_int_eq(fk.closes, 1);
	free(r.text);
	r = get("b", 5);
	ck_assert(has(&r, "fk_exporter_scrapes_total{env=\"test\"} 2"));
	free(r.text);
	backend_free(&b);
}
END_TEST

START_TEST(test_refused_targets_counted)
{
	setup_backend(4, 0, true);
	struct result r = get("", 5);
	ck_assert_int_eq(r.status, 400);
	ck_assert_str_eq(r.msg, "target is required");
	free(r.text);
	r = get("bad", 5);
	ck_assert_int_eq(r.status, 400);
	ck_assert_str_eq(r.msg, "bad target");
	free(r.text);
	r = get(NULL, 5);
	ck_assert(has(&r, "fk_request_errors_total{env=\"test\"} 2"));
	free(r.text);
	backend_free(&b);
}
END_TEST

START_TEST(test_backoff_and_secrets)
{
	struct backoff bo = { 0 };
	ck_assert(backoff_left(&bo) == 0);
	backoff_failed(&bo, 1, 3);
	ck_assert(backoff_left(&bo) > 0.9 && backoff_left(&bo) <= 1);
	backoff_failed(&bo, 1, 3);
	ck_assert(bo.wait == 2);
	backoff_failed(&bo, 1, 3);
	ck_assert(bo.wait == 3);
	backoff_reset(&bo);
	ck_assert(backoff_left(&bo) == 0);
	backoff_failed(&bo, 0, 3); /* no backoff configured */
	ck_assert(backoff_left(&bo) == 0);
	char pw[] = "hunter2";
	secret_wipe(pw, sizeof pw);
	for (size_t i = 0; i < sizeof pw; i++)
		ck_assert_int_eq(pw[i], 0);
	secret_free(strdup("hunter2"));
	secret_free(NULL);
}
END_TEST

START_TEST(test_declaration_checked)
{
	struct backend bad = { .server = "Fake" };
	struct exporter ex = { .prefix = "fk" };
	char err[256];
	ck_assert_int_eq(backend_start(&bad, &ex, err, sizeof err), -1);
	setup_backend(4, 0, false);
	backend_free(&b);
	b.metrics.up.name = "_not valid";
	ck_assert_int_eq(backend_start(&b, &x, err, sizeof err), -1);
	ck_assert_msg(strstr(err, "fk_not valid"), "%s", err);
}
END_TEST

/* The landing page of the fake exporter, as a string to free. */
static char *landing(void)
{
	struct buf out;
	buf_init(&out, 1 << 20);
	ck_assert_int_eq(landing_render(&x, "/metrics", &out), 0);
	char *page = buf_detach(&out, NULL);
	ck_assert_ptr_nonnull(page);
	return page;
}

static void expect_in(const char *page, const char *want)
{
	ck_assert_msg(strstr(page, want), "no %s in\n%s", want, page);
}

/* With this default target and the route on or off, the page links no example. */
static void no_example(const char *target, bool route_off)
{
	setup_backend(4, 0, false);
	ck_assert_int_eq(backend_set_default(&b, spec_of(target), NULL), 0);
	struct route probe = { .path = "/probe", .handler = backend_route_handler, .off = route_off };
	x.served_routes = &probe;
	x.nserved_routes = 1;
	char *page = landing();
	ck_assert_msg(!strstr(page, "probe?"), "%s", page);
	free(page);
	backend_free(&b);
}

START_TEST(test_landing_targets)
{
	setup_backend(4, 0, false);
	ck_assert_int_eq(backend_set_default(&b, spec_of("db<1>"), NULL), 0);
	struct route probe = { .path = "/probe", .handler = backend_route_handler };
	x.title = "Fake Exporter";
	x.served_routes = &probe;
	x.nserved_routes = 1;
	char *page = landing();
	/* Never scraped: pending, and the page itself scraped nothing. */
	expect_in(page, "data-target=\"db&lt;1&gt;\" data-state=\"pending\"");
	ck_assert_int_eq(fk.opens, 0);
	/* The example link is the default target, encoded, through the route's checks. */
	expect_in(page, "<a href=\"probe?target=db%3C1%3E\">");
	free(page);

	fk.refuse = true;
	free(get(NULL, 5).text);
	fk.refuse = false;
	free(get("other", 5).text);
	page = landing();
	expect_in(page, "data-target=\"db&lt;1&gt;\" data-state=\"down\"");
	expect_in(page, "<td class=\"msg\">connection refused</td>");
	expect_in(page, "data-target=\"other\" data-state=\"ok\"");
	expect_in(page, "other <span class=\"note\">per request</span>");
	free(page);
	/* Showing the page opened nothing. */
	ck_assert_int_eq(fk.opens, 2);

	backend_free(&b);
	/* A default target the route refuses (400) gets no example link, and the route off none either. */
	no_example("bad", false);
	no_example("default", true);
}
END_TEST

/* landing_put_text() of in: out. */
static void expect_text(const char *in, const char *want)
{
	struct buf out;
	buf_init(&out, 4096);
	ck_assert_int_eq(landing_put_text(&out, in), 0);
	const char *got = out.data ? out.data : "";
	ck_assert_msg(!strcmp(got, want), "%s gave %s, not %s", in, got, want);
	buf_free(&out);
}

START_TEST(test_landing_text)
{
	expect_text("<a href=\"x\">&'", "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
	expect_text("dial redis://:s3cret@host:6379: refused", "dial redis://***@host:6379: refused");
	expect_text("postgresql://u:p@w@db/x?sslmode=disable", "postgresql://***@db/x?sslmode=disable");
	expect_text("http://host:8123/?q=1 user@example", "http://host:8123/?q=1 user@example");
	expect_text("host=db password=s3cret user=me", "host=db password=*** user=me");
	expect_text("PASSWORD='a b\\'c' port=1", "password=*** port=1");
	expect_text("?user=a&password=x&db=y", "?user=a&amp;password=***&amp;db=y");
	expect_text("mypassword=kept", "mypassword=kept");
	expect_text("bell\a", "bell?");
	expect_text("", "");
	/* A full buffer is an error, not a cut page. */
	struct buf small;
	buf_init(&small, 4);
	ck_assert_int_ne(landing_put_text(&small, "<<<<"), 0);
	buf_free(&small);
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("backend");
	TCase *tc = tcase_create("backend");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_families_and_recovery);
	tcase_add_test(tc, test_without_default_target);
	tcase_add_test(tc, test_backoff_after_failed_connects);
	tcase_add_test(tc, test_one_reconnection_per_scrape);
	tcase_add_test(tc, test_lock_taken_with_the_deadline);
	tcase_add_test(tc, test_pool_full_is_503);
	tcase_add_test(tc, test_idle_targets_forgotten);
	tcase_add_test(tc, test_refused_targets_counted);
	tcase_add_test(tc, test_backoff_and_secrets);
	tcase_add_test(tc, test_declaration_checked);
	tcase_add_test(tc, test_landing_targets);
	tcase_add_test(tc, test_landing_text);
	suite_add_tcase(s, tc);
	return s;
}
