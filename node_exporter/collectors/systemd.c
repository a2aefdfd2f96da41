/*
 * systemd (off by default): units and their states, timers, sockets and
 * the manager's version, virtualization and system state, asked of systemd
 * over the system D-Bus (DBUS_SYSTEM_BUS_ADDRESS, or with the hidden
 * --collector.systemd.private systemd's own socket; as upstream, root falls
 * back to that socket when the bus cannot be reached).
 *
 * Upstream asks one property at a time and waits without a limit (its open
 * issue #2585: a hung bus holds the scrape). Here the manager calls go out
 * together, then every unit property the output needs, pipelined
 * (common/dbus.h), and both rounds end at the scrape's deadline: a bus
 * that does not answer makes the collector fail within the scrape's time.
 * The connection is kept between scrapes and reopened after a failure.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../common/dbus.h"
#include "../../common/exporter.h"
#include "../../common/log.h"
#include "../../common/parse.h"
#include "../../common/rx.h"
#include "../replies.h"

static const char *include_flag = ".+", *old_include_flag,
		  *exclude_flag = ".+\\.(automount|device|mount|scope|slice)", *old_exclude_flag;
static bool private_flag, task_flag, restarts_flag, start_time_flag;

enum { F_INCLUDE, F_WHITELIST, F_EXCLUDE, F_BLACKLIST };
static struct flag systemd_flags[] = {
	[F_INCLUDE] = { .name = "collector.systemd.unit-include", .type = FLAG_STRING, .dest = &include_flag,
			.def = ".+",
			.help = "Regexp of systemd units to include. Units must both match include and not match exclude to be included." },
	[F_WHITELIST] = { .name = "collector.systemd.unit-whitelist", .type = FLAG_STRING,
			  .dest = &old_include_flag, .help = "DEPRECATED: Use --collector.systemd.unit-include",
			  .opts = FLAG_HIDDEN },
	[F_EXCLUDE] = { .name = "collector.systemd.unit-exclude", .type = FLAG_STRING, .dest = &exclude_flag,
			.def = ".+\\.(automount|device|mount|scope|slice)",
			.help = "Regexp of systemd units to exclude. Units must both match include and not match exclude to be included." },
	[F_BLACKLIST] = { .name = "collector.systemd.unit-blacklist", .type = FLAG_STRING,
			  .dest = &old_exclude_flag, .help = "DEPRECATED: Use collector.systemd.unit-exclude",
			  .opts = FLAG_HIDDEN },
	{ .name = "collector.systemd.private", .type = FLAG_BOOL, .dest = &private_flag,
	  .help = "Talk to systemd over its private socket rather than the bus (needs root; for tests).",
	  .opts = FLAG_HIDDEN },
	{ .name = "collector.systemd.enable-task-metrics", .type = FLAG_BOOL, .dest = &task_flag,
	  .help = "Enables service unit tasks metrics unit_tasks_current and unit_tasks_max" },
	{ .name = "collector.systemd.enable-restarts-metrics", .type = FLAG_BOOL, .dest = &restarts_flag,
	  .help = "Enables service unit metric service_restart_total" },
	{ .name = "collector.systemd.enable-start-time-metrics", .type = FLAG_BOOL, .dest = &start_time_flag,
	  .help = "Enables service unit metric unit_start_time_seconds" },
};

#define SYSTEMD "org.freedesktop.systemd1"
#define MANAGER_PATH "/org/freedesktop/systemd1"
#define PRIVATE_SOCKET "unix:path=/run/systemd/private"
/* The SystemState manager property and timers' LastTriggerUSec came with systemd 212. */
#define MIN_VERSION_SYSTEM_STATE 212

struct systemd_state {
	struct rx *include, *exclude;
	sd_bus *bus;
	struct arena arena; /* units and call contexts of one scrape */
};

static void systemd_fini(void *state)
{
	struct systemd_state *st = state;
	if (!st)
		return;
	rx_free(st->include);
	rx_free(st->exclude);
	dbus_close(&st->bus);
	arena_free(&st->arena);
	free(st);
}

/* A deprecated flag replaces its successor unless that was given too (upstream's rule). */
static int deprecated(int old, int now, const char **value, char *err, size_t errlen)
{
	if (!systemd_flags[old].set || !(*(const char **)systemd_flags[old].dest)[0])
		return 0;
	if (systemd_flags[now].set) {
		strf(err, errlen, "--%s and --%s are mutually exclusive", systemd_flags[old].name,
		     systemd_flags[now].name);
		return -1;
	}
	log_warn("deprecated flag: use its successor", "flag", systemd_flags[old].name, "use",
		 systemd_flags[now].name, NULL);
	*value = *(const char **)systemd_flags[old].dest;
	return 0;
}

static int systemd_init(void **state, char *err, size_t errlen)
{
	const char *incl = include_flag, *excl = exclude_flag;
	if (deprecated(F_BLACKLIST, F_EXCLUDE, &excl, err, errlen) < 0 ||
	    deprecated(F_WHITELIST, F_INCLUDE, &incl, err, errlen) < 0)
		return -1;
	struct systemd_state *st = calloc(1, sizeof *st);
	if (!st) {
		strf(err, errlen, "out of memory");
		return -1;
	}
	/* Whole names, as upstream anchors them. */
	char pattern[4096], msg[300];
	strf(pattern, sizeof pattern, "^(?:%s)$", incl);
	if (!(st->include = rx_compile(pattern, msg, sizeof msg))) {
		strf(err, errlen, "invalid --collector.systemd.unit-include: %s", msg);
		systemd_fini(st);
		return -1;
	}
	strf(pattern, sizeof pattern, "^(?:%s)$", excl);
	if (!(st->exclude = rx_compile(pattern, msg, sizeof msg))) {
		strf(err, errlen, "invalid --collector.systemd.unit-exclude: %s", msg);
		systemd_fini(st);
		return -1;
	}
	log_info("Parsed flag --collector.systemd.unit-include", "flag", incl, NULL);
	log_info("Parsed flag --collector.systemd.unit-exclude", "flag", excl, NULL);
	*state = st;
	return 0;
}

/* ---- replies ---- */

double systemd_version(const char *version, const char **label)
{
	/* The first [0-9]{3,}(\.[0-9]+)? of the string, as upstream's regexp finds it. */
	for (const char *p = version; *p; p++) {
		size_t d = 0;
		while (p[d] >= '0' && p[d] <= '9')
			d++;
		if (d < 3)
			continue;
		if (p[d] == '.' && p[d + 1] >= '0' && p[d + 1] <= '9') {
			d += 2;
			while (p[d] >= '0' && p[d] <= '9')
				d++;
		}
		char num[64];
		double v;
		strf(num, sizeof num, "%.*s", (int)d, p);
		if (d < sizeof num && parse_double(num, &v) == 0) {
			*label = version;
			return v;
		}
		break;
	}
	*label = "";
	return 0;
}

int systemd_parse_units(sd_bus_message *m, struct arena *a, struct sd_unit **units, size_t *n)
{
	size_t cap = 0;
	*units = NULL;
	*n = 0;
	if (sd_bus_message_is_method_error(m, NULL))
		return -EIO;
	int r = sd_bus_message_enter_container(m, 'a', "(ssssssouso)");
	if (r <= 0)
		return -EBADMSG;
	for (;;) {
		const char *name, *desc, *load, *active, *sub, *followed, *path, *job_type, *job_path;
		uint32_t job;
		r = sd_bus_message_read(m, "(ssssssouso)", &name, &desc, &load, &active, &sub, &followed,
					&path, &job, &job_type, &job_path);
		if (r < 0)
			return -EBADMSG;
		if (r == 0)
			break;
		if (arena_grow(a, (void **)units, &cap, *n, sizeof **units) < 0)
			return -ENOMEM;
		struct sd_unit *u = &(*units)[*n];
		memset(u, 0, sizeof *u);
		u->name = arena_strndup(a, name, strlen(name));
		u->load_state = arena_strndup(a, load, strlen(load));
		u->active_state = arena_strndup(a, active, strlen(active));
		if (!u->name || !u->load_state || !u->active_state)
			return -ENOMEM;
		(*n)++;
	}
	return sd_bus_message_exit_container(m) < 0 ? -EBADMSG : 0;
}

/* ---- the scrape ---- */

struct manager {
	struct dbus_str version, virt, state;
	struct arena *arena;
	struct sd_unit *units;
	size_t nunits;
	int units_err;
	char units_msg[256];
};

static void on_units(sd_bus_message *m, void *arg)
{
	struct manager *mg = arg;
	if (sd_bus_message_is_method_error(m, NULL))
		strf(mg->units_msg, sizeof mg->units_msg, "%s", dbus_error(m));
	mg->units_err = systemd_parse_units(m, mg->arena, &mg->units, &mg->nunits);
}

/* Properties of a unit's object: its path is systemd's escaping of the name. */
static int unit_get(struct dbus_batch *b, struct arena *a, const char *unit, const char *iface,
		    const char *prop, dbus_reply_fn fn, void *out)
{
	char *path = NULL;
	int r = sd_bus_path_encode("/org/freedesktop/systemd1/unit", unit, &path);
	if (r < 0)
		return r;
	char *kept = arena_strndup(a, path, strlen(path));
	free(path);
	if (!kept)
		return -ENOMEM;
	return dbus_get_property(b, SYSTEMD, kept, iface, prop, fn, out);
}

/* Open the connection if there is none (or the last one broke). */
static int connect_bus(struct systemd_state *st)
{
	if (st->bus && sd_bus_is_open(st->bus) > 0)
		return 0;
	dbus_close(&st->bus);
	if (private_flag)
		return dbus_open(&st->bus, PRIVATE_SOCKET, false);
	int r = dbus_open(&st->bus, NULL, true);
	if (r < 0 && geteuid() == 0)
		r = dbus_open(&st->bus, PRIVATE_SOCKET, false);
	return r;
}

static int ask_manager(struct scrape *s, struct systemd_state *st, struct manager *mg)
{
	struct dbus_batch b;
	dbus_batch_start(&b, &st->bus, &st->arena);
	mg->version.arena = mg->virt.arena = mg->state.arena = &st->arena;
	mg->arena = &st->arena;
	mg->units_err = -EIO;
	dbus_get_property(&b, SYSTEMD, MANAGER_PATH, SYSTEMD ".Manager", "Version", dbus_str_reply, &mg->version);
	dbus_get_property(&b, SYSTEMD, MANAGER_PATH, SYSTEMD ".Manager", "Virtualization", dbus_str_reply,
			  &mg->virt);
	dbus_get_property(&b, SYSTEMD, MANAGER_PATH, SYSTEMD ".Manager", "SystemState", dbus_str_reply, &mg->state);
	dbus_call(&b, SYSTEMD, MANAGER_PATH, SYSTEMD ".Manager", "ListUnits", on_units, mg, NULL);
	int r = dbus_wait(&b, dbus_deadline(s));
	if (r == -ETIMEDOUT)
		return scrape_fail(s, "couldn't get units: no answer from D-Bus within the scrape timeout");
	if (r < 0)
		return scrape_fail(s, "couldn't get dbus connection: %s", strerror(-r));
	/* Every call failed with the connection: it was refused or lost. */
	if (sd_bus_is_open(st->bus) <= 0) {
		dbus_close(&st->bus);
		return scrape_fail(s, "couldn't get dbus connection: %s",
				   mg->units_msg[0] ? mg->units_msg : "connection closed");
	}
	return COLLECT_OK;
}

/* What one unit's properties gave. */
struct unit_props {
	struct dbus_str type;
	struct dbus_num restarts, start, tasks_cur, tasks_max, trigger, accepted, conns, refused;
};

static int ask_units(struct scrape *s, struct systemd_state *st, struct sd_unit *units, size_t n,
		     bool timers, struct unit_props *p)
{
	struct dbus_batch b;
	dbus_batch_start(&b, &st->bus, &st->arena);
	struct arena *a = &st->arena;
	for (size_t i = 0; i < n && !b.err; i++) {
		const char *name = units[i].name;
		struct unit_props *u = &p[i];
		u->type.arena = a;
		bool service = has_suffix(name, ".service");
		if (service)
			unit_get(&b, a, name, SYSTEMD ".Service", "Type", dbus_str_reply, &u->type);
		else if (has_suffix(name, ".mount"))
			unit_get(&b, a, name, SYSTEMD ".Mount", "Type", dbus_str_reply, &u->type);
		if (restarts_flag && service)
			unit_get(&b, a, name, SYSTEMD ".Service", "NRestarts", dbus_u32_reply, &u->restarts);
		if (start_time_flag && !strcmp(units[i].active_state, "active"))
			unit_get(&b, a, name, SYSTEMD ".Unit", "ActiveEnterTimestamp", dbus_u64_reply, &u->start);
		if (task_flag && service) {
			unit_get(&b, a, name, SYSTEMD ".Service", "TasksCurrent", dbus_u64_reply, &u->tasks_cur);
			unit_get(&b, a, name, SYSTEMD ".Service", "TasksMax", dbus_u64_reply, &u->tasks_max);
		}
		if (timers && has_suffix(name, ".timer"))
			unit_get(&b, a, name, SYSTEMD ".Timer", "LastTriggerUSec", dbus_u64_reply, &u->trigger);
		if (has_suffix(name, ".socket")) {
			unit_get(&b, a, name, SYSTEMD ".Socket", "NAccepted", dbus_u32_reply, &u->accepted);
			unit_get(&b, a, name, SYSTEMD ".Socket", "NConnections", dbus_u32_reply, &u->conns);
			unit_get(&b, a, name, SYSTEMD ".Socket", "NRefused", dbus_u32_reply, &u->refused);
		}
	}
	int r = dbus_wait(&b, dbus_deadline(s));
	if (r == -ETIMEDOUT)
		return scrape_fail(s, "couldn't get unit properties: no answer from D-Bus within the scrape timeout");
	if (r < 0)
		return scrape_fail(s, "couldn't get unit properties: %s", strerror(-r));
	return COLLECT_OK;
}

static const char *const unit_states[] = { "active", "activating", "deactivating", "inactive", "failed" };

void systemd_emit_summary(struct expo *e, const struct sd_unit *units, size_t n)
{
	struct family *f = expo_family(e, "node_systemd_units", METRIC_GAUGE,
				       "Units in each active state.", (const char *const[]){ "state", NULL });
	double count[5] = { 0 };
	for (size_t i = 0; i < n; i++) {
		size_t k = 0;
		while (k < 5 && strcmp(units[i].active_state, unit_states[k]))
			k++;
		if (k < 5) {
			count[k]++;
			continue;
		}
		/* A state upstream does not list still counts, under its own name. */
		size_t same = 0;
		bool first = true;
		for (size_t j = 0; j < n; j++)
			if (!strcmp(units[j].active_state, units[i].active_state)) {
				same++;
				if (j < i)
					first = false;
			}
		if (first)
			expo_sample(e, f, (double)same, units[i].active_state);
	}
	for (size_t k = 0; k < 5; k++)
		expo_sample(e, f, count[k], unit_states[k]);
}

static void emit_units(struct expo *e, const struct sd_unit *units, size_t n, const struct unit_props *p,
		       bool timers)
{
	const char *const name_l[] = { "name", NULL };
	struct family *fstate = expo_family(e, "node_systemd_unit_state", METRIC_GAUGE,
					    "1 for the unit's current active state, 0 for the others.",
					    (const char *const[]){ "name", "state", "type", NULL });
	for (size_t i = 0; i < n; i++) {
		const struct sd_unit *u = &units[i];
		const struct unit_props *q = &p[i];
		const char *type = q->type.ok ? q->type.v : "";
		for (size_t k = 0; k < 5; k++)
			expo_sample(e, fstate, strcmp(u->active_state, unit_states[k]) ? 0 : 1, u->name,
				    unit_states[k], type);
		if (restarts_flag && q->restarts.ok)
			expo_sample(e,
				    expo_family(e, "node_systemd_service_restart_total", METRIC_COUNTER,
						"Times systemd restarted the service.", name_l),
				    (double)q->restarts.v, u->name);
		if (start_time_flag && (q->start.ok || strcmp(u->active_state, "active")))
			expo_sample(e,
				    expo_family(e, "node_systemd_unit_start_time_seconds", METRIC_GAUGE,
						"When the unit last became active, in seconds since the epoch (0 when it is not active).",
						name_l),
				    q->start.ok ? (double)q->start.v / 1e6 : 0, u->name);
		/* "infinity" (all ones) is left out, as upstream. */
		if (task_flag && q->tasks_cur.ok && q->tasks_cur.v != UINT64_MAX)
			expo_sample(e,
				    expo_family(e, "node_systemd_unit_tasks_current", METRIC_GAUGE,
						"Tasks of the service unit.", name_l),
				    (double)q->tasks_cur.v, u->name);
		if (task_flag && q->tasks_max.ok && q->tasks_max.v != UINT64_MAX)
			expo_sample(e,
				    expo_family(e, "node_systemd_unit_tasks_max", METRIC_GAUGE,
						"Task limit of the service unit.", name_l),
				    (double)q->tasks_max.v, u->name);
		if (timers && q->trigger.ok)
			expo_sample(e,
				    expo_family(e, "node_systemd_timer_last_trigger_seconds", METRIC_GAUGE,
						"When the timer last elapsed, in seconds since the epoch.", name_l),
				    (double)q->trigger.v / 1e6, u->name);
		/* As upstream: nothing without NAccepted, only it without NConnections. */
		if (q->accepted.ok) {
			expo_sample(e,
				    expo_family(e, "node_systemd_socket_accepted_connections_total",
						METRIC_COUNTER, "Connections the socket accepted.", name_l),
				    (double)q->accepted.v, u->name);
			if (q->conns.ok) {
				expo_sample(e,
					    expo_family(e, "node_systemd_socket_current_connections",
							METRIC_GAUGE, "Connections of the socket now.", name_l),
					    (double)q->conns.v, u->name);
				/* A gauge under a counter's name, as upstream declares it. */
				if (q->refused.ok)
					expo_sample(e,
						    expo_family(e, "node_systemd_socket_refused_connections_total",
								METRIC_GAUGE, "Connections the socket refused.",
								name_l),
						    (double)q->refused.v, u->name);
			}
		}
	}
}

static int systemd_collect(struct scrape *s, struct expo *e)
{
	struct systemd_state *st = s->state;
	arena_reset(&st->arena, 1 << 20);
	int r = connect_bus(st);
	if (r < 0)
		return scrape_fail(s, "couldn't get dbus connection: %s", strerror(-r));
	struct manager mg = { 0 };
	int rc = ask_manager(s, st, &mg);
	if (rc != COLLECT_OK)
		return rc;

	const char *label = "";
	double version = mg.version.ok ? systemd_version(mg.version.v, &label) : 0;
	expo_sample(e,
		    expo_family(e, "node_systemd_version", METRIC_GAUGE, "systemd's version.",
				(const char *const[]){ "version", NULL }),
		    version, label);
	const char *virt = !mg.virt.ok ? "unknown" : mg.virt.v[0] ? mg.virt.v : "none";
	expo_sample(e,
		    expo_family(e, "node_systemd_virtualization_info", METRIC_GAUGE,
				"Constant 1, labelled with the virtualization systemd detected.",
				(const char *const[]){ "virtualization_type", NULL }),
		    1, virt);
	if (mg.units_err < 0)
		return scrape_fail(s, "couldn't get units: %s",
				   mg.units_msg[0] ? mg.units_msg : strerror(-mg.units_err));
	systemd_emit_summary(e, mg.units, mg.nunits);

	/* Loaded units whose whole name matches include and not exclude. */
	size_t n = 0;
	for (size_t i = 0; i < mg.nunits; i++)
		if (!strcmp(mg.units[i].load_state, "loaded") && rx_match(st->include, mg.units[i].name) &&
		    !rx_match(st->exclude, mg.units[i].name))
			mg.units[n++] = mg.units[i];
	bool modern = version >= MIN_VERSION_SYSTEM_STATE;
	struct unit_props *props = arena_alloc(&st->arena, (n ? n : 1) * sizeof *props);
	if (!props)
		return scrape_fail(s, "out of memory");
	memset(props, 0, (n ? n : 1) * sizeof *props);
	rc = ask_units(s, st, mg.units, n, modern, props);
	if (rc != COLLECT_OK)
		return rc;
	emit_units(e, mg.units, n, props, modern);

	if (modern) {
		if (!mg.state.ok)
			return scrape_fail(s, "couldn't get system state");
		expo_single(e, "node_systemd_system_running", METRIC_GAUGE,
			    "1 if the system is operational (systemctl is-system-running says \"running\").",
			    strcmp(mg.state.v, "running") ? 0 : 1);
	}
	return COLLECT_OK;
}

const struct collector_def collector_systemd = {
	.name = "systemd",
	.default_enabled = false,
	.flags = systemd_flags,
	.nflags = sizeof systemd_flags / sizeof systemd_flags[0],
	.init = systemd_init,
	.collect = systemd_collect,
	.fini = systemd_fini,
};
