// links: node_exporter
/*
 * D-Bus: common/dbus against an sd-bus peer in a thread of this program
 * (pipelined calls kept under the window, replies and errors reaching
 * their handlers, a peer that never answers ending at the deadline with
 * the connection closed), property values of each type and of the wrong
 * one, and the systemd and logind collectors' reply parsers on canned
 * messages (ListUnits, ListSeats, ListSessions, versions) with broken
 * variants. The collectors against a bus daemon are in
 * tests/integration/test_node_dbus.py.
 */
#include <errno.h>
#include <stdarg.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../common/arena.h"
#include "../../common/dbus.h"
#include "../../node_exporter/replies.h"
#include "unit.h"

/* ---- canned messages ---- */

static sd_bus *msg_bus;
static int msg_fds[2];

/* A connection that is never used to talk: messages can be built on it. */
static void msg_setup(void)
{
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, msg_fds), 0);
	ck_assert_int_ge(sd_bus_new(&msg_bus), 0);
	ck_assert_int_ge(sd_bus_set_fd(msg_bus, msg_fds[0], msg_fds[0]), 0);
	ck_assert_int_ge(sd_bus_start(msg_bus), 0);
}

static void msg_teardown(void)
{
	sd_bus_close_unref(msg_bus);
	close(msg_fds[1]);
}

/* A sealed message with a body of types, read from its start. */
static sd_bus_message *canned(const char *types, ...)
{
	sd_bus_message *m = NULL;
	ck_assert_int_ge(sd_bus_message_new_method_call(msg_bus, &m, "x.y", "/x", "x.y", "Reply"), 0);
	if (types) {
		va_list ap;
		va_start(ap, types);
		ck_assert_int_ge(sd_bus_message_appendv(m, types, ap), 0);
		va_end(ap);
	}
	ck_assert_int_ge(sd_bus_message_seal(m, 1, 0), 0);
	ck_assert_int_ge(sd_bus_message_rewind(m, 1), 0);
	return m;
}

/* An error reply (to a canned call). */
static sd_bus_message *canned_error(const char *name)
{
	sd_bus_message *call = canned(NULL), *m = NULL;
	ck_assert_int_ge(sd_bus_message_new_method_errorf(call, &m, name, "it failed"), 0);
	ck_assert_int_ge(sd_bus_message_seal(m, 2, 0), 0);
	ck_assert_int_ge(sd_bus_message_rewind(m, 1), 0);
	sd_bus_message_unref(call);
	return m;
}

START_TEST(test_variants)
{
	msg_setup();
	sd_bus_message *m = canned("v", "s", "notify");
	const char *s;
	ck_assert_int_eq(dbus_variant(m, 's', &s), 0);
	ck_assert_str_eq(s, "notify");
	sd_bus_message_unref(m);
	/* a value of another type than asked is refused */
	m = canned("v", "u", 5);
	uint64_t t = 9;
	ck_assert_int_lt(dbus_variant(m, 't', &t), 0);
	sd_bus_message_unref(m);
	/* the handlers: values of the right type only */
	struct arena a = { 0 };
	struct dbus_str str = { .arena = &a };
	struct dbus_num num = { 0 };
	m = canned("v", "t", (uint64_t)UINT64_MAX);
	dbus_u64_reply(m, &num);
	ck_assert(num.ok);
	ck_assert_uint_eq(num.v, UINT64_MAX);
	sd_bus_message_unref(m);
	num.ok = false;
	m = canned("v", "u", 7);
	dbus_u32_reply(m, &num);
	ck_assert(num.ok && num.v == 7);
	sd_bus_message_unref(m);
	num = (struct dbus_num){ 0 };
	m = canned("v", "b", 1);
	dbus_bool_reply(m, &num);
	ck_assert(num.ok && num.v == 1);
	sd_bus_message_unref(m);
	num = (struct dbus_num){ 0 };
	m = canned("v", "s", "true"); /* a string is not a boolean */
	dbus_bool_reply(m, &num);
	ck_assert(!num.ok);
	dbus_str_reply(m, &str);
	ck_assert(str.ok);
	ck_assert_str_eq(str.v, "true");
	sd_bus_message_unref(m);
	/* an error reply: its errno, and a message for the log */
	m = canned_error("org.freedesktop.DBus.Error.UnknownProperty");
	ck_assert_int_lt(dbus_variant(m, 's', &s), 0);
	ck_assert_str_eq(dbus_error(m), "it failed");
	str.ok = false;
	dbus_str_reply(m, &str);
	ck_assert(!str.ok);
	sd_bus_message_unref(m);
	m = canned(NULL);
	ck_assert_str_eq(dbus_error(m), "");
	sd_bus_message_unref(m);
	arena_free(&a);
	msg_teardown();
}
END_TEST

START_TEST(test_list_units)
{
	msg_setup();
	struct arena a = { 0 };
	struct sd_unit *u;
	size_t n;
	sd_bus_message *m = canned("a(ssssssouso)", 3,
				   "ssh.service", "OpenSSH", "loaded", "active", "running", "",
				   "/org/freedesktop/systemd1/unit/ssh_2eservice", 0, "", "/",
				   "x.mount", "", "not-found", "inactive", "dead", "", "/u/x", 0, "", "/",
				   "y.target", "", "loaded", "maintenance", "x", "", "/u/y", 3, "start", "/job/3");
	ck_assert_int_eq(systemd_parse_units(m, &a, &u, &n), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(u[0].name, "ssh.service");
	ck_assert_str_eq(u[1].load_state, "not-found");
	ck_assert_str_eq(u[2].active_state, "maintenance");
	sd_bus_message_unref(m);

	struct expo *e = expo_new(1 << 20);
	systemd_emit_summary(e, u, n);
	char *text = render_free(e);
	ck_assert(has_line(text, "node_systemd_units{state=\"active\"} 1"));
	ck_assert(has_line(text, "node_systemd_units{state=\"inactive\"} 1"));
	ck_assert(has_line(text, "node_systemd_units{state=\"failed\"} 0"));
	ck_assert(has_line(text, "node_systemd_units{state=\"maintenance\"} 1"));
	ck_assert_int_eq(count_samples(text, "node_systemd_units"), 6);
	free(text);

	/* empty, an error reply, another signature, an array of the wrong structs */
	m = canned("a(ssssssouso)", 0);
	ck_assert_int_eq(systemd_parse_units(m, &a, &u, &n), 0);
	ck_assert_uint_eq(n, 0);
	sd_bus_message_unref(m);
	m = canned_error("org.freedesktop.DBus.Error.AccessDenied");
	ck_assert_int_eq(systemd_parse_units(m, &a, &u, &n), -EIO);
	sd_bus_message_unref(m);
	m = canned("as", 1, "ssh.service");
	ck_assert_int_eq(systemd_parse_units(m, &a, &u, &n), -EBADMSG);
	sd_bus_message_unref(m);
	m = canned("a(ss)", 1, "ssh.service", "loaded");
	ck_assert_int_eq(systemd_parse_units(m, &a, &u, &n), -EBADMSG);
	sd_bus_message_unref(m);
	arena_free(&a);
	msg_teardown();
}
END_TEST

START_TEST(test_versions)
{
	static const struct {
		const char *in;
		double want;
		const char *label;
	} cases[] = {
		{ "252.39-1~deb12u1", 252.39, "252.39-1~deb12u1" },
		{ "249", 249, "249" },
		{ "systemd 249 (249.11-0ubuntu3.12)", 249, "systemd 249 (249.11-0ubuntu3.12)" },
		{ "v12 255.4", 255.4, "v12 255.4" },
		{ "1234.5.6", 1234.5, "1234.5.6" },
		{ "256.", 256, "256." },
		{ "v12", 0, "" },
		{ "", 0, "" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const char *label = NULL;
		double v = systemd_version(cases[i].in, &label);
		ck_assert_msg(v == cases[i].want, "%s: %g", cases[i].in, v);
		ck_assert_str_eq(label, cases[i].label);
	}
}
END_TEST

START_TEST(test_logind)
{
	msg_setup();
	struct arena a = { 0 };
	const char **seats;
	size_t nseats, nsessions;
	struct logind_session *ss;
	sd_bus_message *m = canned("a(so)", 2, "seat0", "/org/freedesktop/login1/seat/seat0", "seat1",
				   "/org/freedesktop/login1/seat/seat1");
	ck_assert_int_eq(logind_parse_seats(m, &a, &seats, &nseats), 0);
	ck_assert_uint_eq(nseats, 2);
	ck_assert_str_eq(seats[1], "seat1");
	sd_bus_message_unref(m);
	m = canned("a(susso)", 4, "1", 1000, "ann", "seat0", "/s/1", "2", 0, "root", "", "/s/2", "3", 1000,
		   "ann", "seat0", "/s/3", "4", 7, "bob", "seat9", "/s/4");
	ck_assert_int_eq(logind_parse_sessions(m, &a, &ss, &nsessions), 0);
	ck_assert_uint_eq(nsessions, 4);
	ck_assert_str_eq(ss[1].path, "/s/2");
	sd_bus_message_unref(m);
	/* a local X session, a remote one of a type upstream does not know, one whose class did
	 * not come, and one on a seat that is not listed */
	ss[0].remote = (struct dbus_num){ 0, true };
	ss[0].type = (struct dbus_str){ &a, "x11", true };
	ss[0].class = (struct dbus_str){ &a, "user", true };
	ss[1].remote = (struct dbus_num){ 1, true };
	ss[1].type = (struct dbus_str){ &a, "vnc", true };
	ss[1].class = (struct dbus_str){ &a, "manager", true };
	ss[2].remote = (struct dbus_num){ 0, true };
	ss[2].type = (struct dbus_str){ &a, "x11", true };
	ss[3].remote = (struct dbus_num){ 0, true };
	ss[3].type = (struct dbus_str){ &a, "tty", true };
	ss[3].class = (struct dbus_str){ &a, "user", true };
	struct expo *e = expo_new(1 << 20);
	logind_emit(e, seats, nseats, ss, nsessions);
	char *text = render_free(e);
	ck_assert(has_line(text, "node_logind_sessions{class=\"user\",remote=\"false\",seat=\"seat0\",type=\"x11\"} 1"));
	ck_assert(has_line(text, "node_logind_sessions{class=\"other\",remote=\"true\",seat=\"\",type=\"other\"} 1"));
	ck_assert(has_line(text, "node_logind_sessions{class=\"user\",remote=\"false\",seat=\"seat1\",type=\"tty\"} 0"));
	ck_assert(!strstr(text, "seat9"));
	/* every combination of 3 seats, 2 remotes, 7 types and 5 classes */
	ck_assert_int_eq(count_samples(text, "node_logind_sessions"), 3 * 2 * 7 * 5);
	free(text);

	m = canned_error("org.freedesktop.DBus.Error.ServiceUnknown");
	ck_assert_int_eq(logind_parse_seats(m, &a, &seats, &nseats), -EIO);
	ck_assert_int_eq(logind_parse_sessions(m, &a, &ss, &nsessions), -EIO);
	sd_bus_message_unref(m);
	m = canned("a(ss)", 1, "seat0", "x");
	ck_assert_int_eq(logind_parse_seats(m, &a, &seats, &nseats), -EBADMSG);
	sd_bus_message_unref(m);
	m = canned("a(sussx)", 1, "1", 1, "a", "b", (int64_t)5);
	ck_assert_int_eq(logind_parse_sessions(m, &a, &ss, &nsessions), -EBADMSG);
	sd_bus_message_unref(m);
	arena_free(&a);
	msg_teardown();
}
END_TEST

/* ---- a peer that answers (or not) ---- */

struct peer {
	sd_bus *bus;
	pthread_t thread;
	volatile int stop;
	sd_bus_message *held[512]; /* calls waiting for an answer */
	size_t nheld, max_held, calls;
};

static int on_call(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	(void)ret_error;
	struct peer *p = userdata;
	uint8_t type = 0;
	if (sd_bus_message_get_type(m, &type) < 0 || type != SD_BUS_MESSAGE_METHOD_CALL)
		return 0;
	p->calls++;
	if (!strcmp(sd_bus_message_get_member(m), "Hang"))
		return 1;
	/* Answered in bursts, so that the calls the client has in flight pile up here. */
	if (p->nheld < 512)
		p->held[p->nheld++] = sd_bus_message_ref(m);
	if (p->nheld > p->max_held)
		p->max_held = p->nheld;
	return 1;
}

static void answer_held(struct peer *p)
{
	for (size_t i = 0; i < p->nheld; i++) {
		sd_bus_message *m = p->held[i];
		if (!strcmp(sd_bus_message_get_member(m), "Fail"))
			sd_bus_reply_method_errorf(m, "org.example.Error.Nope", "no");
		else
			sd_bus_reply_method_return(m, "v", "u", (uint32_t)1);
		sd_bus_message_unref(m);
	}
	p->nheld = 0;
}

static void *peer_main(void *arg)
{
	struct peer *p = arg;
	while (!p->stop) {
		int r = sd_bus_process(p->bus, NULL);
		if (r > 0)
			continue;
		if (r < 0)
			break;
		/* nothing more arrived for 20 ms: answer what came */
		if (sd_bus_wait(p->bus, 20000) == 0)
			answer_held(p);
	}
	answer_held(p);
	return NULL;
}

static sd_bus *client_of(struct peer *p, bool answer)
{
	int fds[2];
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
	memset(p, 0, sizeof *p);
	if (answer) {
		sd_id128_t id = { .bytes = { 1 } };
		ck_assert_int_ge(sd_bus_new(&p->bus), 0);
		ck_assert_int_ge(sd_bus_set_fd(p->bus, fds[1], fds[1]), 0);
		ck_assert_int_ge(sd_bus_set_server(p->bus, 1, id), 0);
		ck_assert_int_ge(sd_bus_add_filter(p->bus, NULL, on_call, p), 0);
		ck_assert_int_ge(sd_bus_start(p->bus), 0);
		ck_assert_int_eq(pthread_create(&p->thread, NULL, peer_main, p), 0);
	}
	/* else fds[1] stays open and silent: authentication never completes */
	sd_bus *c = NULL;
	ck_assert_int_ge(sd_bus_new(&c), 0);
	ck_assert_int_ge(sd_bus_set_fd(c, fds[0], fds[0]), 0);
	ck_assert_int_ge(sd_bus_start(c), 0);
	if (!answer)
		p->held[0] = (sd_bus_message *)(intptr_t)fds[1]; /* closed in peer_end */
	return c;
}

static void peer_end(struct peer *p, bool answer)
{
	if (answer) {
		p->stop = 1;
		pthread_join(p->thread, NULL);
		sd_bus_close_unref(p->bus);
	} else {
		close((int)(intptr_t)p->held[0]);
	}
}

struct tally {
	size_t ok, failed;
};

static void on_reply(sd_bus_message *m, void *arg)
{
	struct tally *t = arg;
	uint32_t v;
	if (dbus_variant(m, 'u', &v) == 0)
		t->ok++;
	else
		t->failed++;
}

START_TEST(test_pipelined_calls)
{
	struct peer p;
	sd_bus *bus = client_of(&p, true);
	struct arena a = { 0 };
	struct dbus_batch b;
	struct tally t = { 0 };
	dbus_batch_start(&b, &bus, &a);
	/* more calls than the window: they go out as answers come back */
	for (int i = 0; i < 300; i++)
		ck_assert_int_eq(dbus_get_property(&b, NULL, "/x", "x.y", "P", on_reply, &t), 0);
	ck_assert_int_eq(dbus_call(&b, NULL, "/x", "x.y", "Fail", on_reply, &t, "s", "why"), 0);
	ck_assert_int_eq(dbus_wait(&b, mono_now() + 20), 0);
	ck_assert_uint_eq(t.ok, 300);
	ck_assert_uint_eq(t.failed, 1);
	ck_assert_ptr_nonnull(bus); /* still open for the next batch */
	peer_end(&p, true);
	ck_assert_uint_eq(p.calls, 301);
	ck_assert_uint_le(p.max_held, DBUS_WINDOW);
	ck_assert_uint_ge(p.max_held, DBUS_WINDOW / 2); /* pipelined, not one by one */
	dbus_close(&bus);
	arena_free(&a);
}
END_TEST

START_TEST(test_deadlines)
{
	/* a call the peer never answers: the deadline, and the connection is closed */
	struct peer p;
	sd_bus *bus = client_of(&p, true);
	struct arena a = { 0 };
	struct dbus_batch b;
	struct tally t = { 0 };
	dbus_batch_start(&b, &bus, &a);
	dbus_get_property(&b, NULL, "/x", "x.y", "P", on_reply, &t);
	dbus_call(&b, NULL, "/x", "x.y", "Hang", on_reply, &t, NULL);
	double t0 = mono_now();
	ck_assert_int_eq(dbus_wait(&b, t0 + 0.3), -ETIMEDOUT);
	double took = mono_now() - t0;
	ck_assert_double_ge(took, 0.29);
	ck_assert_double_lt(took, 2);
	ck_assert_ptr_null(bus);
	ck_assert_uint_eq(t.ok, 1);
	/* adding to a batch without a connection fails at once */
	ck_assert_int_eq(dbus_call(&b, NULL, "/x", "x.y", "M", on_reply, &t, NULL), -ENOTCONN);
	peer_end(&p, true);

	/* a peer that accepted the connection and says nothing: authentication never ends */
	bus = client_of(&p, false);
	dbus_batch_start(&b, &bus, &a);
	dbus_get_property(&b, NULL, "/x", "x.y", "P", on_reply, &t);
	t0 = mono_now();
	ck_assert_int_eq(dbus_wait(&b, t0 + 0.3), -ETIMEDOUT);
	ck_assert_double_lt(mono_now() - t0, 2);
	ck_assert_ptr_null(bus);
	peer_end(&p, false);

	/* nothing listening at an address: refused when opening */
	ck_assert_int_lt(dbus_open(&bus, "unix:path=/nonexistent/bus", true), 0);
	ck_assert_ptr_null(bus);
	arena_free(&a);
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("node_dbus");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_variants);
	tcase_add_test(tc, test_list_units);
	tcase_add_test(tc, test_versions);
	tcase_add_test(tc, test_logind);
	tcase_add_test(tc, test_pipelined_calls);
	tcase_add_test(tc, test_deadlines);
	suite_add_tcase(s, tc);
	return s;
}
