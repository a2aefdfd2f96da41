/*
 * D-Bus method calls with libsystemd's sd-bus, bounded by a deadline. The
 * calls of a batch are sent together (pipelined, at most DBUS_WINDOW
 * awaiting a reply at a time, below the system bus' limit of 128 per
 * connection) and their replies awaited together, so a collector that
 * needs a property of every systemd unit costs about one round trip per
 * window rather than one per property, and a bus or service that never
 * answers costs at most the time left before the deadline.
 *
 * The connection is opened without waiting (authentication and Hello
 * complete while the first batch waits), and a batch that fails closes it:
 * replies that come later must not reach handlers whose data is gone.
 */
#ifndef COMMON_DBUS_H
#define COMMON_DBUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

#include "arena.h"

#define DBUS_WINDOW 64

/*
 * Connect to address ("unix:path=..."), or to the system bus when it is
 * NULL (DBUS_SYSTEM_BUS_ADDRESS or the default socket). hello: a bus
 * client that registers with the bus daemon (false for a peer-to-peer
 * connection such as systemd's private socket). Returns 0 with *bus set,
 * or -errno when the connection cannot even be started (no such socket).
 */
int dbus_open(sd_bus **bus, const char *address, bool hello);

/* Close and release *bus (NULL is fine); *bus becomes NULL. */
void dbus_close(sd_bus **bus);

/*
 * Called with each reply: m is the method return or the error (see
 * sd_bus_message_is_method_error() and dbus_error()), valid only during
 * the call.
 */
typedef void (*dbus_reply_fn)(sd_bus_message *m, void *arg);

struct dbus_call;

/* Calls sent together on one connection; contexts live in the caller's arena. */
struct dbus_batch {
	sd_bus **bus;
	struct arena *arena;
	size_t pending; /* calls without a reply yet (sent or queued) */
	size_t in_flight; /* sent and not answered */
	struct dbus_call *queue, *queue_tail; /* built, waiting for room in the window */
	int err; /* the first local error (building or sending a call) */
};

/* Start a batch on *bus with per-call contexts from arena. */
void dbus_batch_start(struct dbus_batch *b, sd_bus **bus, struct arena *arena);

/*
 * Add a call of member on interface iface of object path at destination,
 * with arguments of the sd-bus signature types (NULL: none); fn(reply, arg)
 * is called when it is answered. Returns 0 or -errno (then also kept in
 * b->err).
 */
int dbus_call(struct dbus_batch *b, const char *destination, const char *path, const char *iface,
	      const char *member, dbus_reply_fn fn, void *arg, const char *types, ...);

/* dbus_call() of org.freedesktop.DBus.Properties.Get(iface, property). */
int dbus_get_property(struct dbus_batch *b, const char *destination, const char *path,
		      const char *iface, const char *property, dbus_reply_fn fn, void *arg);

/*
 * Process the connection until every call of the batch is answered or
 * the deadline (mono_now() seconds) passes. Returns 0 when all were
 * answered (errors included), -ETIMEDOUT at the deadline, or -errno when
 * the connection failed; in both failure cases *bus is closed.
 */
int dbus_wait(struct dbus_batch *b, double deadline);

/*
 * The value of a Properties.Get reply of D-Bus type 's', 'u', 't' or 'b'
 * into *out (const char **, uint32_t *, uint64_t *, int * respectively).
 * Returns 0, or -errno for an error reply or a value of another type.
 */
int dbus_variant(sd_bus_message *m, char type, void *out);

/* The error name and message of an error reply ("" when m is not one), for logs. */
const char *dbus_error(sd_bus_message *m);

/*
 * Properties.Get reply handlers for dbus_get_property(): arg points at a
 * struct dbus_str (the string is copied into its arena) or a struct
 * dbus_num ('u', 't' or 'b' by handler); ok tells whether the reply held
 * a value of that type.
 */
struct dbus_str {
	struct arena *arena;
	const char *v;
	bool ok;
};

struct dbus_num {
	uint64_t v;
	bool ok;
};

void dbus_str_reply(sd_bus_message *m, void *arg);
void dbus_u32_reply(sd_bus_message *m, void *arg);
void dbus_u64_reply(sd_bus_message *m, void *arg);
void dbus_bool_reply(sd_bus_message *m, void *arg);

struct scrape;
/*
 * The deadline (mono_now() seconds) of a round of calls made during a
 * scrape: the scrape's own, less a little time to render the page.
 */
double dbus_deadline(const struct scrape *s);

#endif
