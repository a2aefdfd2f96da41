#include "dbus.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include "exporter.h"

struct dbus_call {
	struct dbus_batch *b;
	dbus_reply_fn fn;
	void *arg;
	sd_bus_message *m; /* built, not sent yet */
	struct dbus_call *next;
};

int dbus_open(sd_bus **bus, const char *address, bool hello)
{
	sd_bus *b = NULL;
	int r;
	*bus = NULL;
	if (!address) {
		r = sd_bus_open_system(&b);
	} else {
		r = sd_bus_new(&b);
		if (r >= 0)
			r = sd_bus_set_address(b, address);
		if (r >= 0)
			r = sd_bus_set_bus_client(b, hello);
		if (r >= 0)
			r = sd_bus_start(b);
	}
	if (r < 0) {
		sd_bus_unref(b);
		return r;
	}
	*bus = b;
	return 0;
}

void dbus_close(sd_bus **bus)
{
	if (*bus)
		sd_bus_close_unref(*bus);
	*bus = NULL;
}

void dbus_batch_start(struct dbus_batch *b, sd_bus **bus, struct arena *arena)
{
	memset(b, 0, sizeof *b);
	b->bus = bus;
	b->arena = arena;
}

static void send_queued(struct dbus_batch *b);

static int on_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	(void)ret_error;
	struct dbus_call *c = userdata;
	struct dbus_batch *b = c->b;
	b->pending--;
	b->in_flight--;
	c->fn(m, c->arg);
	send_queued(b);
	return 0;
}

static void send_queued(struct dbus_batch *b)
{
	while (b->queue && b->in_flight < DBUS_WINDOW && !b->err) {
		struct dbus_call *c = b->queue;
		b->queue = c->next;
		if (!b->queue)
			b->queue_tail = NULL;
		/* A floating slot: the connection owns it, and drops it when closed. */
		int r = sd_bus_call_async(*b->bus, NULL, c->m, on_reply, c, 0);
		sd_bus_message_unref(c->m);
		c->m = NULL;
		if (r < 0) {
			b->err = r;
			return;
		}
		b->in_flight++;
	}
}

static void drop_queue(struct dbus_batch *b)
{
	for (struct dbus_call *c = b->queue; c; c = c->next)
		sd_bus_message_unref(c->m);
	b->queue = b->queue_tail = NULL;
}

static int vcall(struct dbus_batch *b, const char *destination, const char *path, const char *iface,
		 const char *member, dbus_reply_fn fn, void *arg, const char *types, va_list ap)
{
	if (b->err)
		return b->err;
	if (!*b->bus)
		return b->err = -ENOTCONN;
	struct dbus_call *c = arena_alloc(b->arena, sizeof *c);
	if (!c)
		return b->err = -ENOMEM;
	*c = (struct dbus_call){ .b = b, .fn = fn, .arg = arg };
	int r = sd_bus_message_new_method_call(*b->bus, &c->m, destination, path, iface, member);
	if (r >= 0 && types)
		r = sd_bus_message_appendv(c->m, types, ap);
	if (r < 0) {
		sd_bus_message_unref(c->m);
		return b->err = r;
	}
	if (b->queue_tail)
		b->queue_tail->next = c;
	else
		b->queue = c;
	b->queue_tail = c;
	b->pending++;
	send_queued(b);
	return b->err;
}

int dbus_call(struct dbus_batch *b, const char *destination, const char *path, const char *iface,
	      const char *member, dbus_reply_fn fn, void *arg, const char *types, ...)
{
	va_list ap;
	va_start(ap, types);
	int r = vcall(b, destination, path, iface, member, fn, arg, types, ap);
	va_end(ap);
	return r;
}

int dbus_get_property(struct dbus_batch *b, const char *destination, const char *path,
		      const char *iface, const char *property, dbus_reply_fn fn, void *arg)
{
	return dbus_call(b, destination, path, "org.freedesktop.DBus.Properties", "Get", fn, arg, "ss",
			 iface, property);
}

/* Give up: the connection is closed so that no late reply reaches a handler. */
static int fail(struct dbus_batch *b, int err)
{
	drop_queue(b);
	dbus_close(b->bus);
	b->pending = b->in_flight = 0;
	return err;
}

int dbus_wait(struct dbus_batch *b, double deadline)
{
	while (b->pending > 0 && !b->err) {
		int r = sd_bus_process(*b->bus, NULL);
		if (r < 0)
			return fail(b, r);
		if (r > 0)
			continue;
		double left = deadline - mono_now();
		if (left <= 0)
			return fail(b, -ETIMEDOUT);
		r = sd_bus_wait(*b->bus, (uint64_t)(left * 1e6) + 1);
		if (r < 0 && r != -EINTR)
			return fail(b, r);
	}
	if (b->err)
		return fail(b, b->err);
	return 0;
}

int dbus_variant(sd_bus_message *m, char type, void *out)
{
	if (sd_bus_message_is_method_error(m, NULL)) {
		int e = sd_bus_message_get_errno(m);
		return e > 0 ? -e : -EIO;
	}
	const char contents[2] = { type, '\0' };
	int r = sd_bus_message_enter_container(m, 'v', contents);
	if (r <= 0)
		return r < 0 ? r : -ENXIO;
	r = sd_bus_message_read_basic(m, type, out);
	if (r <= 0)
		return r < 0 ? r : -ENXIO;
	r = sd_bus_message_exit_container(m);
	return r < 0 ? r : 0;
}

const char *dbus_error(sd_bus_message *m)
{
	const sd_bus_error *e = sd_bus_message_get_error(m);
	if (!e)
		return "";
	return e->message && e->message[0] ? e->message : e->name ? e->name : "";
}

void dbus_str_reply(sd_bus_message *m, void *arg)
{
	struct dbus_str *out = arg;
	const char *s;
	if (dbus_variant(m, 's', &s) == 0)
		out->ok = (out->v = arena_strndup(out->arena, s, strlen(s))) != NULL;
}

void dbus_u32_reply(sd_bus_message *m, void *arg)
{
	struct dbus_num *out = arg;
	uint32_t v;
	if (dbus_variant(m, 'u', &v) == 0) {
		out->v = v;
		out->ok = true;
	}
}

void dbus_u64_reply(sd_bus_message *m, void *arg)
{
	struct dbus_num *out = arg;
	uint64_t v;
	if (dbus_variant(m, 't', &v) == 0) {
		out->v = v;
		out->ok = true;
	}
}

void dbus_bool_reply(sd_bus_message *m, void *arg)
{
	struct dbus_num *out = arg;
	int v;
	if (dbus_variant(m, 'b', &v) == 0) {
		out->v = v != 0;
		out->ok = true;
	}
}

double dbus_deadline(const struct scrape *s)
{
	double left = scrape_remaining(s);
	return mono_now() + (left > 0.2 ? left - 0.1 : left / 2);
}
