#define _GNU_SOURCE
#include "exporter.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "backend.h"
#include "fsread.h"
#include "log.h"
#include "parse.h"
#include "server.h"

#ifndef SUITE_VERSION
#define SUITE_VERSION "0.0.0"
#endif
#ifndef SUITE_REVISION
#define SUITE_REVISION "unknown"
#endif
#ifndef SUITE_BRANCH
#define SUITE_BRANCH "unknown"
#endif

const char suite_version[] = SUITE_VERSION;
const char suite_revision[] = SUITE_REVISION;
const char suite_branch[] = SUITE_BRANCH;

/* A collector's scratch buffer never holds more than one file of this size. */
#define SCRATCH_MAX (64u << 20)

uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

double wall_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double mono_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double ts_seconds(const struct timespec *ts)
{
	return (double)ts->tv_sec + (double)ts->tv_nsec / 1e9;
}

double request_remaining(const struct request *rq)
{
	return ts_seconds(&rq->deadline) - mono_now();
}

const char *request_arg(const struct request *rq, const char *key)
{
	for (size_t i = 0; i < rq->nargs; i++)
		if (strcmp(rq->args[i].key, key) == 0)
			return rq->args[i].value;
	return NULL;
}

int scrape_fail(struct scrape *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s->err, sizeof s->err, fmt, ap);
	va_end(ap);
	return COLLECT_ERROR;
}

int scrape_read(struct scrape *s, const char *path, struct buf *out)
{
	return fdcache_read(s && s->collector ? s->collector->fds : NULL, path, out);
}

ssize_t scrape_read_small(struct scrape *s, const char *path, char *dst, size_t cap)
{
	return fdcache_read_small(s && s->collector ? s->collector->fds : NULL, path, dst, cap);
}

int scrape_dirlist(struct scrape *s, const char *path, struct dirlist *dl)
{
	return fdcache_dirlist(s && s->collector ? s->collector->fds : NULL, path, dl);
}

struct buf *scrape_buf(struct scrape *s)
{
	return &s->collector->scratch;
}

double scrape_remaining(const struct scrape *s)
{
	return request_remaining(s->rq);
}

int exporter_select(const struct request *rq, bool *selected, char *msg, size_t msglen)
{
	const struct exporter *x = rq->x;
	bool any_collect = false, any_exclude = false;
	for (size_t i = 0; i < rq->nargs; i++) {
		if (!strcmp(rq->args[i].key, "collect[]"))
			any_collect = true;
		else if (!strcmp(rq->args[i].key, "exclude[]"))
			any_exclude = true;
	}
	if (any_collect && any_exclude) {
		snprintf(msg, msglen, "Combined collect and exclude queries are not allowed.");
		return 400;
	}
	for (size_t i = 0; i < x->ninst; i++)
		selected[i] = x->inst[i].enabled && !any_collect;
	if (!any_collect && !any_exclude)
		return 0;

	for (size_t a = 0; a < rq->nargs; a++) {
		bool collect = !strcmp(rq->args[a].key, "collect[]");
		if (!collect && strcmp(rq->args[a].key, "exclude[]"))
			continue;
		const char *name = rq->args[a].value;
		size_t i = 0;
		while (i < x->ninst && strcmp(x->inst[i].def->name, name))
			i++;
		if (i == x->ninst) {
			snprintf(msg, msglen, "Couldn't create filtered metrics handler: missing collector: %s",
				 name);
			return 400;
		}
		if (!x->inst[i].enabled) {
			snprintf(msg, msglen, "Couldn't create filtered metrics handler: disabled collector: %s",
				 name);
			return 400;
		}
		selected[i] = collect;
	}
	return 0;
}

/*
 * Log a collector's outcome once per change of state, as collectd's
 * c_complain: a failing file is one error line, not one per scrape.
 */
static void report(struct collector *c, int rc, const char *err)
{
	bool changed = rc != c->last_rc || (rc == COLLECT_ERROR && strcmp(err, c->last_err) != 0);
	if (rc == COLLECT_ERROR) {
		if (changed)
			log_error("collector failed", "name", c->def->name, "err", err, NULL);
		else
			log_debug("collector still failing", "name", c->def->name, "err", err, NULL);
	} else if (rc == COLLECT_NODATA) {
		if (changed)
			log_debug("collector returned no data", "name", c->def->name, "err", err, NULL);
	} else if (changed && c->ran) {
		log_info("collector recovered", "name", c->def->name, NULL);
	}
	c->last_rc = rc;
	/* At every scrape of every collector: strf, not stdio. */
	strf(c->last_err, sizeof c->last_err, "%s", rc == COLLECT_OK ? "" : err);
}

void exporter_run_collectors(const struct request *rq, const bool *selected, void *target,
			     struct expo *e)
{
	const struct exporter *x = rq->x;
	char name[128];
	strf(name, sizeof name, "%s_scrape_collector_duration_seconds", x->prefix);
	struct family *fdur = expo_family(e, name, METRIC_GAUGE,
					  "Duration of a collector scrape.",
					  (const char *const[]){ "collector", NULL });
	strf(name, sizeof name, "%s_scrape_collector_success", x->prefix);
	struct family *fok = expo_family(e, name, METRIC_GAUGE,
					 "Whether a collector succeeded.",
					 (const char *const[]){ "collector", NULL });

	for (size_t i = 0; i < x->ninst; i++) {
		struct collector *c = &x->inst[i];
		if (selected ? !selected[i] : !c->enabled)
			continue;
		struct scrape s = { .rq = rq, .collector = c, .target = target };
		/* A slow target must not hold up another target's scrape of a concurrent collector. */
		if (!c->def->concurrent)
			pthread_mutex_lock(&c->lock);
		s.state = c->state;
		size_t series0 = expo_series_added(e);
		uint64_t t0 = mono_ns();
		int rc = c->def->collect(&s, e);
		/* From whole nanoseconds, as Go's Duration.Seconds(): a short decimal. */
		double dt = (double)(mono_ns() - t0) / 1e9;
		if (c->def->concurrent)
			pthread_mutex_lock(&c->lock);
		fdcache_sweep(c->fds);
		if (rc == COLLECT_OK && expo_status(e)) {
			rc = COLLECT_ERROR;
			snprintf(s.err, sizeof s.err, "exposition size cap reached, samples dropped");
		}
		if (rc != COLLECT_OK && rc != COLLECT_NODATA && rc != COLLECT_ERROR)
			rc = COLLECT_ERROR;
		report(c, rc, s.err);
		c->ran = true;
		pthread_mutex_lock(&c->status_lock);
		c->status.ran = true;
		c->status.rc = rc;
		c->status.series = expo_series_added(e) - series0;
		c->status.duration = dt;
		c->status.when = wall_now();
		memcpy(c->status.err, c->last_err, strlen(c->last_err) + 1);
		pthread_mutex_unlock(&c->status_lock);
		pthread_mutex_unlock(&c->lock);

		expo_sample(e, fdur, dt, c->def->name);
		expo_sample(e, fok, rc == COLLECT_OK ? 1 : 0, c->def->name);
	}
}

/* client_golang's version collector. */
static const struct build_label go_labels[] = {
	{ "branch", BUILD_BRANCH }, { "goarch", BUILD_GOARCH }, { "goos", BUILD_GOOS },
	{ "goversion", BUILD_EMPTY }, { "revision", BUILD_REVISION }, { "tags", BUILD_EMPTY },
	{ "version", BUILD_VERSION }, { NULL, BUILD_EMPTY },
};

/* The machine in Go's GOARCH spelling, as dashboards filter on it: asked once, not every scrape. */
static char goarch_name[sizeof ((struct utsname *)0)->machine];
static pthread_once_t goarch_once = PTHREAD_ONCE_INIT;

static void goarch_init(void)
{
	static const char *const map[][2] = {
		{ "x86_64", "amd64" }, { "aarch64", "arm64" }, { "i686", "386" },
		{ "i386", "386" }, { "armv7l", "arm" }, { "ppc64le", "ppc64le" },
		{ "s390x", "s390x" }, { "riscv64", "riscv64" },
	};
	struct utsname u;
	if (uname(&u) != 0)
		return;
	const char *name = u.machine;
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		if (!strcmp(u.machine, map[i][0]))
			name = map[i][1];
	strf(goarch_name, sizeof goarch_name, "%s", name);
}

static const char *goarch(void)
{
	pthread_once(&goarch_once, goarch_init);
	return goarch_name;
}

void exporter_build_info(const struct exporter *x, struct expo *e)
{
	if (x->no_self_metrics)
		return;
	const struct build_info *bi = &x->build_info;
	const struct build_label *labels = bi->labels ? bi->labels : go_labels;
	char name[128];
	if (bi->name)
		strf(name, sizeof name, "%s", bi->name);
	else
		strf(name, sizeof name, "%s_exporter_build_info", x->prefix);
	const char *names[16], *values[16];
	size_t n = 0;
	for (; labels[n].name && n + 1 < sizeof names / sizeof names[0]; n++) {
		names[n] = labels[n].name;
		switch (labels[n].value) {
		case BUILD_EMPTY: values[n] = ""; break;
		case BUILD_VERSION: values[n] = suite_version; break;
		case BUILD_REVISION: values[n] = suite_revision; break;
		case BUILD_BRANCH: values[n] = suite_branch; break;
		case BUILD_GOARCH: values[n] = goarch(); break;
		case BUILD_GOOS: values[n] = "linux"; break;
		}
	}
	names[n] = NULL;
	const char *help = bi->help ? bi->help
				    : "A metric with a constant '1' value labeled by version, revision, branch, and the build platform; goversion is empty (not a Go program).";
	expo_add(e, expo_family(e, name, METRIC_GAUGE, help, names), 1, values);
}

void exporter_self_metrics(const struct request *rq, struct expo *e)
{
	const struct exporter *x = rq->x;
	if (x->no_self_metrics)
		return;
	exporter_build_info(x, e);
	if (x->self_metrics)
		x->self_metrics(e);
	if (x->disable_exporter_metrics)
		return;
	process_metrics(e);
	server_metrics(e);
}

void collector_status_get(struct collector *c, struct collector_status *out)
{
	pthread_mutex_lock(&c->status_lock);
	*out = c->status;
	pthread_mutex_unlock(&c->status_lock);
}

int exporter_enable_collector(struct exporter *x, const char *name, bool on)
{
	for (size_t i = 0; i < x->ninst; i++) {
		struct collector *c = &x->inst[i];
		if (strcmp(c->def->name, name))
			continue;
		if (!c->enable_flag.set)
			c->enabled = on;
		return 0;
	}
	return -1;
}

int exporter_enable_route(struct exporter *x, const char *path, bool on)
{
	for (size_t i = 0; i < x->nserved_routes; i++) {
		if (!strcmp(x->served_routes[i].path, path)) {
			x->served_routes[i].off = !on;
			return 0;
		}
	}
	return -1;
}

void exporter_disable_self_metrics(struct exporter *x)
{
	x->no_self_metrics = true;
}

int exporter_default_handler(const struct request *rq, struct expo *e, char *msg, size_t msglen)
{
	bool stack_sel[256];
	bool *selected = rq->x->ninst <= 256 ? stack_sel : calloc(rq->x->ninst, sizeof *selected);
	if (!selected) {
		snprintf(msg, msglen, "out of memory");
		return 500;
	}
	int status = exporter_select(rq, selected, msg, msglen);
	if (status == 0) {
		exporter_run_collectors(rq, selected, NULL, e);
		exporter_self_metrics(rq, e);
	} else {
		log_warn("bad collector filter", "err", msg, NULL);
	}
	if (selected != stack_sel)
		free(selected);
	return status;
}

/* ---- program skeleton ---- */

static struct strlist listen_addrs;
static const char *telemetry_path;
static long max_requests;
static bool disable_exporter_metrics;
static bool disable_defaults;
static const char *web_config_file;
static const char *log_level;
static const char *log_format;

static struct flag web_flags[] = {
	{ .name = "web.listen-address", .type = FLAG_LIST, .dest = &listen_addrs,
	  .help = "Addresses on which to expose metrics and web interface. Repeatable for multiple addresses." },
	{ .name = "web.telemetry-path", .type = FLAG_STRING, .dest = &telemetry_path,
	  .def = "/metrics", .help = "Path under which to expose metrics." },
	{ .name = "web.max-requests", .type = FLAG_INT, .dest = &max_requests, .def = "40",
	  .help = "Maximum number of parallel scrape requests. Use 0 to disable." },
	{ .name = "web.config.file", .type = FLAG_STRING, .dest = &web_config_file, .def = "",
	  .help = "Path to configuration file that can enable TLS or authentication (exporter-toolkit format)." },
	{ .name = "log.level", .type = FLAG_STRING, .dest = &log_level, .def = "info",
	  .help = "Only log messages with the given severity or above. One of: [debug, info, warn, error]" },
	{ .name = "log.format", .type = FLAG_STRING, .dest = &log_format, .def = "logfmt",
	  .help = "Output format of log messages. One of: [logfmt, json]" },
};

static struct flag disable_metrics_flag = {
	.name = "web.disable-exporter-metrics", .type = FLAG_BOOL, .dest = &disable_exporter_metrics,
	.def = "false", .help = "Exclude metrics about the exporter itself (process_*, promhttp_*).",
};

static bool systemd_socket;
static struct flag systemd_socket_flag = {
	.name = "web.systemd-socket", .type = FLAG_BOOL, .dest = &systemd_socket, .def = "false",
	.help = "Use systemd socket activation listeners instead of port listeners (Linux only).",
};

static struct flag disable_defaults_flag = {
	.name = "collector.disable-defaults", .type = FLAG_BOOL, .dest = &disable_defaults,
	.def = "false", .help = "Set all collectors to disabled by default.",
};

#define SHUTDOWN_GRACE 10

static void *shutdown_watchdog(void *arg)
{
	(void)arg;
	sleep(SHUTDOWN_GRACE);
	log_error("still shutting down after the grace period; exiting", NULL);
	_exit(1);
}

/* Allow as many descriptors as the hard limit: the fd caches keep files open. */
static void raise_fd_limit(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int exporter_main(struct exporter *x, int argc, char **argv)
{
	static struct flagset fs;
	char version_line[256];
	snprintf(version_line, sizeof version_line, "%s, version %s (branch: %s, revision: %s)",
		 x->name, suite_version, suite_branch, suite_revision);
	fs.prog = x->name;
	fs.version_line = version_line;
	fs.usage_tail = x->help_tail;
	fs.single_dash = x->single_dash_flags;
	x->fs = &fs;

	web_flags[0].def = x->default_listen;
	for (const struct common_flag *cf = x->common_flags; cf && cf->name; cf++) {
		struct flag *f = NULL;
		for (size_t i = 0; i < sizeof web_flags / sizeof web_flags[0]; i++)
			if (!strcmp(web_flags[i].name, cf->name))
				f = &web_flags[i];
		if (!f) {
			fprintf(stderr, "%s: no common flag --%s to rename\n", x->name, cf->name);
			return 1;
		}
		if (cf->as)
			f->name = cf->as;
		if (cf->env)
			f->env = cf->env;
	}
	flags_add_table(&fs, web_flags, sizeof web_flags / sizeof web_flags[0]);
	flags_add(&fs, &systemd_socket_flag);
	if (x->offers_disable_exporter_metrics)
		flags_add(&fs, &disable_metrics_flag);
	if (x->flags)
		flags_add_table(&fs, x->flags, x->nflags);

	x->nserved_routes = x->nroutes + (x->backend && x->backend->route);
	x->served_routes = calloc(x->nserved_routes ? x->nserved_routes : 1, sizeof *x->served_routes);
	if (!x->served_routes) {
		fprintf(stderr, "%s: out of memory\n", x->name);
		return 1;
	}
	for (size_t i = 0; i < x->nroutes; i++)
		x->served_routes[i] = x->routes[i];
	if (x->backend && x->backend->route)
		x->served_routes[x->nroutes] =
			(struct route){ .path = x->backend->route, .handler = backend_route_handler };
	if (x->backend)
		x->metrics_handler = backend_metrics_handler;

	if (!x->collectors && &exporter_ncollectors) {
		x->collectors = exporter_collectors;
		x->ncollectors = exporter_ncollectors;
	}
	x->ninst = x->ncollectors;
	x->inst = calloc(x->ninst ? x->ninst : 1, sizeof *x->inst);
	if (!x->inst) {
		fprintf(stderr, "%s: out of memory\n", x->name);
		return 1;
	}
	if (x->ncollectors)
		flags_add(&fs, &disable_defaults_flag);
	for (size_t i = 0; i < x->ninst; i++) {
		struct collector *c = &x->inst[i];
		c->def = x->collectors[i];
		snprintf(c->enable_help, sizeof c->enable_help, "Enable the %s collector (default: %s).",
			 c->def->name, c->def->default_enabled ? "enabled" : "disabled");
		size_t flen = strlen(c->def->name) + sizeof "collector.";
		char *fname = malloc(flen);
		if (!fname) {
			fprintf(stderr, "%s: out of memory\n", x->name);
			return 1;
		}
		snprintf(fname, flen, "collector.%s", c->def->name);
		c->enable_flag = (struct flag){
			.name = fname, .type = FLAG_BOOL, .dest = &c->enabled,
			.def = c->def->default_enabled ? "true" : "false", .help = c->enable_help,
		};
		flags_add(&fs, &c->enable_flag);
	}
	for (size_t i = 0; i < x->ninst; i++)
		if (x->inst[i].def->flags)
			flags_add_table(&fs, x->inst[i].def->flags, x->inst[i].def->nflags);

	flags_parse(&fs, argc, argv);
	x->disable_exporter_metrics = disable_exporter_metrics;

	if (log_setup(log_level, log_format) < 0)
		flags_fail(&fs, "invalid --log.level '%s' or --log.format '%s'", log_level, log_format);
	if (telemetry_path[0] != '/')
		flags_fail(&fs, "--%s must start with '/'", web_flags[1].name);
	if (max_requests < 0)
		flags_fail(&fs, "--%s must not be negative", web_flags[2].name);
	char err[512] = "";
	for (size_t i = 0; i < listen_addrs.n; i++)
		if (server_check_address(listen_addrs.items[i], err, sizeof err) < 0)
			flags_fail(&fs, "%s", err);
	int systemd_fds[SERVER_MAX_LISTEN];
	if (systemd_socket && server_systemd_fds(systemd_fds, SERVER_MAX_LISTEN, err, sizeof err) < 0)
		flags_fail(&fs, "%s", err);

	if (disable_defaults)
		for (size_t i = 0; i < x->ninst; i++)
			if (!x->inst[i].enable_flag.set)
				x->inst[i].enabled = false;

	/*
	 * The exporter and its collectors validate their configuration here.
	 * Lines they log are held back, so that an error leaves one line.
	 */
	log_hold();
	log_info("starting", "exporter", x->name, "version", suite_version, "revision",
		 suite_revision, NULL);
	if (fs.secret_in_argv) {
		char flag[128];
		snprintf(flag, sizeof flag, "--%s", fs.secret_in_argv->name);
		log_warn("a secret was given on the command line: it is now wiped from it, but others could read it "
			 "before; its environment variable (or a file) is safer", "flag", flag,
			 "env", fs.secret_in_argv->env ? fs.secret_in_argv->env : "", NULL);
	}
	if (x->setup && x->setup(x, err, sizeof err) < 0)
		flags_fail(&fs, "%s", err);
	if (x->web_config && *web_config_file)
		flags_fail(&fs, "--web.config.file cannot be combined with %s's own TLS and basic auth flags",
			   x->name);
	if (x->backend && backend_start(x->backend, x, err, sizeof err) < 0)
		flags_fail(&fs, "%s", err);
	raise_fd_limit();
	for (size_t i = 0; i < x->ninst; i++) {
		struct collector *c = &x->inst[i];
		pthread_mutex_init(&c->lock, NULL);
		pthread_mutex_init(&c->status_lock, NULL);
		buf_init(&c->scratch, SCRATCH_MAX);
		if (!c->enabled)
			continue;
		c->fds = fdcache_new();
		err[0] = '\0';
		if (c->def->init && c->def->init(&c->state, err, sizeof err) < 0)
			flags_fail(&fs, "collector %s: %s", c->def->name, err);
	}
	log_release();
	for (size_t i = 0; i < x->ninst; i++)
		if (x->inst[i].enabled)
			log_info("collector enabled", "name", x->inst[i].def->name, NULL);

	/* Signals are taken synchronously below; block them before threads start. */
	sigset_t sigs;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	struct server_options opts = {
		.listen = &listen_addrs,
		.systemd_socket = systemd_socket,
		.telemetry_path = telemetry_path,
		.max_requests = max_requests,
		.web_config_file = web_config_file,
		.web_config = x->web_config,
	};
	struct server *srv = NULL;
	int rc = server_start(x, &opts, &srv, err, sizeof err);
	if (rc) {
		log_error("could not start the HTTP server", "err", err, NULL);
		return rc;
	}

	int sig = 0;
	sigwait(&sigs, &sig);
	log_info("shutting down", "signal", sig == SIGTERM ? "SIGTERM" : "SIGINT", NULL);
	/* Scrapes under way finish within their deadline; one stuck in a system call ends the process. */
	if (server_stop(srv) < 0) {
		log_error("requests still running after their deadline; exiting", NULL);
		_exit(1);
	}
	/* Nor may closing the backends' connections hang. */
	pthread_t watchdog;
	if (pthread_create(&watchdog, NULL, shutdown_watchdog, NULL) == 0)
		pthread_detach(watchdog);

	if (x->backend)
		backend_free(x->backend);
	if (x->teardown)
		x->teardown(x);
	flags_free(&fs); /* before the instances that hold some of the flags */
	for (size_t i = 0; i < x->ninst; i++) {
		struct collector *c = &x->inst[i];
		if (c->enabled && c->def->fini)
			c->def->fini(c->state);
		fdcache_free(c->fds);
		buf_free(&c->scratch);
		pthread_mutex_destroy(&c->lock);
		pthread_mutex_destroy(&c->status_lock);
		free((char *)c->enable_flag.name);
	}
	free(x->inst);
	free(x->served_routes);
	return 0;
}
