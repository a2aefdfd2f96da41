/*
 * logind (off by default): sessions registered in systemd-logind, counted
 * by seat, remoteness, type and class, asked over the system D-Bus:
 * node_logind_sessions{seat,remote,type,class}, one series for every
 * combination of a seat (and the empty seat of remote sessions) with
 * upstream's known values ("other" for a type or class it does not know).
 * The seats and sessions are listed together, then the three properties of
 * every session asked together; both rounds end at the scrape's deadline.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/dbus.h"
#include "../../common/exporter.h"
#include "../../common/parse.h"
#include "../replies.h"

#define LOGIN1 "org.freedesktop.login1"
#define LOGIN1_PATH "/org/freedesktop/login1"

static const char *const remote_values[] = { "true", "false" };
static const char *const type_values[] = { "other", "unspecified", "tty", "x11", "wayland", "mir", "web" };
static const char *const class_values[] = { "other", "user", "greeter", "lock-screen", "background" };
#define NTYPES (sizeof type_values / sizeof type_values[0])
#define NCLASSES (sizeof class_values / sizeof class_values[0])

struct logind_state {
	sd_bus *bus;
	struct arena arena;
};

static int logind_init(void **state, char *err, size_t errlen)
{
	*state = calloc(1, sizeof(struct logind_state));
	if (!*state) {
		strf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

static void logind_fini(void *state)
{
	struct logind_state *st = state;
	if (!st)
		return;
	dbus_close(&st->bus);
	arena_free(&st->arena);
	free(st);
}

/* ---- replies ---- */

int logind_parse_seats(sd_bus_message *m, struct arena *a, const char ***seats, size_t *n)
{
	size_t cap = 0;
	*seats = NULL;
	*n = 0;
	if (sd_bus_message_is_method_error(m, NULL))
		return -EIO;
	if (sd_bus_message_enter_container(m, 'a', "(so)") <= 0)
		return -EBADMSG;
	for (;;) {
		const char *id, *path;
		int r = sd_bus_message_read(m, "(so)", &id, &path);
		if (r < 0)
			return -EBADMSG;
		if (r == 0)
			break;
		if (arena_grow(a, (void **)seats, &cap, *n, sizeof **seats) < 0 ||
		    !((*seats)[*n] = arena_strndup(a, id, strlen(id))))
			return -ENOMEM;
		(*n)++;
	}
	return sd_bus_message_exit_container(m) < 0 ? -EBADMSG : 0;
}

int logind_parse_sessions(sd_bus_message *m, struct arena *a, struct logind_session **sessions,
			  size_t *n)
{
	size_t cap = 0;
	*sessions = NULL;
	*n = 0;
	if (sd_bus_message_is_method_error(m, NULL))
		return -EIO;
	if (sd_bus_message_enter_container(m, 'a', "(susso)") <= 0)
		return -EBADMSG;
	for (;;) {
		const char *id, *user, *seat, *path;
		uint32_t uid;
		int r = sd_bus_message_read(m, "(susso)", &id, &uid, &user, &seat, &path);
		if (r < 0)
			return -EBADMSG;
		if (r == 0)
			break;
		if (arena_grow(a, (void **)sessions, &cap, *n, sizeof **sessions) < 0)
			return -ENOMEM;
		struct logind_session *s = &(*sessions)[*n];
		memset(s, 0, sizeof *s);
		s->seat = arena_strndup(a, seat, strlen(seat));
		s->path = arena_strndup(a, path, strlen(path));
		if (!s->seat || !s->path)
			return -ENOMEM;
		s->type.arena = s->class.arena = a;
		(*n)++;
	}
	return sd_bus_message_exit_container(m) < 0 ? -EBADMSG : 0;
}

static size_t index_of(const char *v, const char *const *known, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v, known[i]))
			return i;
	return 0; /* "other" */
}

void logind_emit(struct expo *e, const char *const *seats, size_t nseats,
		 const struct logind_session *sessions, size_t nsessions)
{
	struct family *f = expo_family(e, "node_logind_sessions", METRIC_GAUGE,
				       "Sessions registered in logind, by seat, remoteness, type and class.",
				       (const char *const[]){ "seat", "remote", "type", "class", NULL });
	/* The seats listed, then "" for sessions without a seat (ssh). */
	for (size_t k = 0; k <= nseats; k++) {
		const char *seat = k < nseats ? seats[k] : "";
		double count[2][NTYPES][NCLASSES] = { { { 0 } } };
		for (size_t i = 0; i < nsessions; i++) {
			const struct logind_session *s = &sessions[i];
			/* A session whose properties did not all come is not counted, as upstream. */
			if (!s->remote.ok || !s->type.ok || !s->class.ok || strcmp(s->seat, seat))
				continue;
			count[s->remote.v ? 0 : 1][index_of(s->type.v, type_values, NTYPES)]
			     [index_of(s->class.v, class_values, NCLASSES)]++;
		}
		for (size_t r = 0; r < 2; r++)
			for (size_t t = 0; t < NTYPES; t++)
				for (size_t c = 0; c < NCLASSES; c++)
					expo_sample(e, f, count[r][t][c], seat, remote_values[r], type_values[t],
						    class_values[c]);
	}
}

/* ---- the scrape ---- */

struct lists {
	struct arena *arena;
	const char **seats;
	size_t nseats;
	struct logind_session *sessions;
	size_t nsessions;
	int seats_err, sessions_err;
	char seats_msg[256], sessions_msg[256];
};

static void on_seats(sd_bus_message *m, void *arg)
{
	struct lists *l = arg;
	strf(l->seats_msg, sizeof l->seats_msg, "%s", dbus_error(m));
	l->seats_err = logind_parse_seats(m, l->arena, &l->seats, &l->nseats);
}

static void on_sessions(sd_bus_message *m, void *arg)
{
	struct lists *l = arg;
	strf(l->sessions_msg, sizeof l->sessions_msg, "%s", dbus_error(m));
	l->sessions_err = logind_parse_sessions(m, l->arena, &l->sessions, &l->nsessions);
}

static int logind_collect(struct scrape *s, struct expo *e)
{
	struct logind_state *st = s->state;
	arena_reset(&st->arena, 1 << 20);
	if (!st->bus || sd_bus_is_open(st->bus) <= 0) {
		dbus_close(&st->bus);
		int r = dbus_open(&st->bus, NULL, true);
		if (r < 0)
			return scrape_fail(s, "unable to connect to dbus: %s", strerror(-r));
	}
	struct lists l = { .arena = &st->arena, .seats_err = -EIO, .sessions_err = -EIO };
	struct dbus_batch b;
	dbus_batch_start(&b, &st->bus, &st->arena);
	dbus_call(&b, LOGIN1, LOGIN1_PATH, LOGIN1 ".Manager", "ListSeats", on_seats, &l, NULL);
	dbus_call(&b, LOGIN1, LOGIN1_PATH, LOGIN1 ".Manager", "ListSessions", on_sessions, &l, NULL);
	int r = dbus_wait(&b, dbus_deadline(s));
	if (r == -ETIMEDOUT)
		return scrape_fail(s, "unable to get seats and sessions: no answer from D-Bus within the scrape timeout");
	if (r < 0)
		return scrape_fail(s, "unable to connect to dbus: %s", strerror(-r));
	if (sd_bus_is_open(st->bus) <= 0) {
		dbus_close(&st->bus);
		return scrape_fail(s, "unable to connect to dbus: %s",
				   l.seats_msg[0] ? l.seats_msg : "connection closed");
	}
	if (l.seats_err < 0)
		return scrape_fail(s, "unable to get seats: %s",
				   l.seats_msg[0] ? l.seats_msg : strerror(-l.seats_err));
	if (l.sessions_err < 0)
		return scrape_fail(s, "unable to get sessions: %s",
				   l.sessions_msg[0] ? l.sessions_msg : strerror(-l.sessions_err));

	dbus_batch_start(&b, &st->bus, &st->arena);
	for (size_t i = 0; i < l.nsessions; i++) {
		struct logind_session *ss = &l.sessions[i];
		dbus_get_property(&b, LOGIN1, ss->path, LOGIN1 ".Session", "Remote", dbus_bool_reply, &ss->remote);
		dbus_get_property(&b, LOGIN1, ss->path, LOGIN1 ".Session", "Type", dbus_str_reply, &ss->type);
		dbus_get_property(&b, LOGIN1, ss->path, LOGIN1 ".Session", "Class", dbus_str_reply, &ss->class);
	}
	r = dbus_wait(&b, dbus_deadline(s));
	if (r == -ETIMEDOUT)
		return scrape_fail(s, "unable to get session properties: no answer from D-Bus within the scrape timeout");
	if (r < 0)
		return scrape_fail(s, "unable to get session properties: %s", strerror(-r));
	logind_emit(e, l.seats, l.nseats, l.sessions, l.nsessions);
	return COLLECT_OK;
}

const struct collector_def collector_logind = {
	.name = "logind",
	.default_enabled = false,
	.init = logind_init,
	.collect = logind_collect,
	.fini = logind_fini,
};
