/*
 * container_exporter: cAdvisor's container_* and machine_* metrics from the
 * cgroup hierarchy, read on scrape, a drop-in for google/cadvisor's
 * Prometheus endpoint on port 8080.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../common/exporter.h"
#include "../common/hostfs.h"
#include "../common/log.h"
#include "../common/parse.h"
#include "container.h"

static struct cx cx;

/* cAdvisor's flags that apply, with its defaults. */
static long port;
static const char *listen_ip;
static const char *prometheus_endpoint;
static const char *url_base_prefix;
static bool docker_only;
static const char *disable_metrics;
static const char *enable_metrics;
static bool store_container_labels;
static const char *whitelisted_labels;
static const char *env_whitelist, *docker_env_whitelist, *containerd_env_whitelist;
static const char *raw_prefixes;
static bool disable_root_stats;
static const char *docker_endpoint, *podman_endpoint;
static bool docker_tls;
static const char *docker_ca, *docker_cert, *docker_key;
static const char *containerd_endpoint, *containerd_ns;
static const char *machine_id_files, *boot_id_files;
static bool enable_load_reader;
static double housekeeping, max_housekeeping, global_housekeeping, storage_duration,
	machine_info_interval, splay, jitter;
static bool dynamic_housekeeping;
static long max_procs, verbosity;
static bool logtostderr, alsologtostderr;
static const char *event_limit, *event_age;

#define ACCEPTED "Accepted for compatibility: "

static struct flag flags[] = {
	{ .name = "port", .type = FLAG_INT, .dest = &port, .def = "8080",
	  .help = "Port to listen on (with --listen_ip), unless --web.listen-address is given." },
	{ .name = "listen_ip", .type = FLAG_STRING, .dest = &listen_ip, .def = "",
	  .help = "IP to listen on (with --port), all addresses if empty, unless --web.listen-address is given." },
	{ .name = "prometheus_endpoint", .type = FLAG_STRING, .dest = &prometheus_endpoint,
	  .def = "/metrics",
	  .help = "Path of the metrics, unless --web.telemetry-path is given." },
	{ .name = "url_base_prefix", .type = FLAG_STRING, .dest = &url_base_prefix, .def = "",
	  .help = "Prefix of the metrics path, for reverse proxies." },
	{ .name = "docker_only", .type = FLAG_BOOL, .dest = &docker_only, .def = "false",
	  .help = "Only report runtime containers (Docker, containerd, CRI-O, Podman) besides the root cgroup and --raw_cgroup_prefix_whitelist." },
	{ .name = "raw_cgroup_prefix_whitelist", .type = FLAG_STRING, .dest = &raw_prefixes,
	  .def = "",
	  .help = "Comma-separated cgroup path prefixes of plain cgroups to report (also with --docker_only); empty reports all." },
	{ .name = "disable_metrics", .type = FLAG_STRING, .dest = &disable_metrics,
	  .def = "advtcp,cpu_topology,cpuset,hugetlb,memory_numa,process,referenced_memory,resctrl,sched,tcp,udp",
	  .help = "Comma-separated metric kinds to leave out. Kinds: advtcp, app, cpu, cpuLoad, cpu_topology, cpuset, disk, diskIO, hugetlb, memory, memory_numa, network, oom_event, percpu, perf_event, pressure, process, referenced_memory, resctrl, sched, tcp, udp." },
	{ .name = "enable_metrics", .type = FLAG_STRING, .dest = &enable_metrics, .def = "",
	  .help = "Comma-separated metric kinds to report; overrides --disable_metrics when set." },
	{ .name = "store_container_labels", .type = FLAG_BOOL, .dest = &store_container_labels,
	  .def = "true",
	  .help = "Turn every runtime label of a container into a container_label_* label; if false, only the --whitelisted_container_labels." },
	{ .name = "whitelisted_container_labels", .type = FLAG_STRING, .dest = &whitelisted_labels,
	  .def = "",
	  .help = "Comma-separated runtime labels turned into container_label_* labels when --store_container_labels=false." },
	{ .name = "env_metadata_whitelist", .type = FLAG_STRING, .dest = &env_whitelist, .def = "",
	  .help = "Comma-separated prefixes of environment variables of Docker and Podman containers turned into container_env_* labels." },
	{ .name = "docker_env_metadata_whitelist", .type = FLAG_STRING, .dest = &docker_env_whitelist,
	  .def = "", .help = "Deprecated name of --env_metadata_whitelist." },
	{ .name = "containerd_env_metadata_whitelist", .type = FLAG_STRING,
	  .dest = &containerd_env_whitelist, .def = "",
	  .help = "Deprecated name of --env_metadata_whitelist." },
	{ .name = "disable_root_cgroup_stats", .type = FLAG_BOOL, .dest = &disable_root_stats,
	  .def = "false", .help = "Leave out the usage series of the root cgroup (its spec series stay)." },
	{ .name = "docker", .type = FLAG_STRING, .dest = &docker_endpoint,
	  .def = "unix:///var/run/docker.sock",
	  .help = "Docker Engine API endpoint (unix:///path or tcp://host:port) for container names, images, labels and init PIDs; empty to not ask Docker." },
	{ .name = "docker-tls", .type = FLAG_BOOL, .dest = &docker_tls, .def = "false",
	  .help = "Use TLS with a client certificate to reach a tcp:// Docker endpoint." },
	{ .name = "docker-tls-ca", .type = FLAG_STRING, .dest = &docker_ca, .def = "ca.pem",
	  .help = "CA certificate of the Docker endpoint (with --docker-tls)." },
	{ .name = "docker-tls-cert", .type = FLAG_STRING, .dest = &docker_cert, .def = "cert.pem",
	  .help = "Client certificate for the Docker endpoint (with --docker-tls)." },
	{ .name = "docker-tls-key", .type = FLAG_STRING, .dest = &docker_key, .def = "key.pem",
	  .help = "Client key for the Docker endpoint (with --docker-tls)." },
	{ .name = "podman", .type = FLAG_STRING, .dest = &podman_endpoint,
	  .def = "unix:///var/run/podman/podman.sock",
	  .help = "Podman API endpoint for the names, images and labels of Podman containers; empty to not ask Podman." },
	{ .name = "containerd", .type = FLAG_STRING, .dest = &containerd_endpoint,
	  .def = "/run/containerd/containerd.sock",
	  .help = "containerd's socket; its directory locates containerd's task state (io.containerd.runtime.v2.task) under --path.rootfs, read for the Kubernetes names of CRI containers." },
	{ .name = "containerd-namespace", .type = FLAG_STRING, .dest = &containerd_ns,
	  .def = "k8s.io", .help = "containerd namespace of the containers." },
	{ .name = "machine_id_file", .type = FLAG_STRING, .dest = &machine_id_files,
	  .def = "/etc/machine-id,/var/lib/dbus/machine-id",
	  .help = "Comma-separated files (under --path.rootfs) to read the machine_id label from; the first that exists is used." },
	{ .name = "boot_id_file", .type = FLAG_STRING, .dest = &boot_id_files,
	  .def = "/proc/sys/kernel/random/boot_id",
	  .help = "Comma-separated files (under --path.rootfs) to read the boot_id label from; the first that exists is used." },
	{ .name = "enable_load_reader", .type = FLAG_BOOL, .dest = &enable_load_reader,
	  .def = "false",
	  .help = "Read the CPU load of cgroups; not supported by this build (true is refused)." },
	{ .name = "housekeeping_interval", .type = FLAG_DURATION, .dest = &housekeeping,
	  .def = "1s",
	  .help = ACCEPTED "cgroups are read on every scrape, so values are never older than this." },
	{ .name = "max_housekeeping_interval", .type = FLAG_DURATION, .dest = &max_housekeeping,
	  .def = "1m", .help = ACCEPTED "see --housekeeping_interval." },
	{ .name = "allow_dynamic_housekeeping", .type = FLAG_BOOL, .dest = &dynamic_housekeeping,
	  .def = "true", .help = ACCEPTED "see --housekeeping_interval." },
	{ .name = "global_housekeeping_interval", .type = FLAG_DURATION, .dest = &global_housekeeping,
	  .def = "1m",
	  .help = ACCEPTED "new and removed cgroups are seen on every scrape." },
	{ .name = "update_machine_info_interval", .type = FLAG_DURATION,
	  .dest = &machine_info_interval, .def = "5m",
	  .help = "How often the machine's information (machine_* values, the root's limits) is read again." },
	{ .name = "initial_splay_factor", .type = FLAG_DOUBLE, .dest = &splay, .def = "1",
	  .help = ACCEPTED "there is no background housekeeping to spread." },
	{ .name = "jitter_factor", .type = FLAG_DOUBLE, .dest = &jitter, .def = "1",
	  .help = ACCEPTED "there is no background housekeeping to spread." },
	{ .name = "storage_duration", .type = FLAG_DURATION, .dest = &storage_duration, .def = "2m",
	  .help = ACCEPTED "no history is kept between scrapes." },
	{ .name = "event_storage_event_limit", .type = FLAG_STRING, .dest = &event_limit,
	  .def = "default=100000", .help = ACCEPTED "no events are stored." },
	{ .name = "event_storage_age_limit", .type = FLAG_STRING, .dest = &event_age,
	  .def = "default=24h", .help = ACCEPTED "no events are stored." },
	{ .name = "max_procs", .type = FLAG_INT, .dest = &max_procs, .def = "0",
	  .help = ACCEPTED "a scrape uses one CPU." },
	{ .name = "v", .type = FLAG_INT, .dest = &verbosity, .def = "2",
	  .help = "Log verbosity in klog's terms: 4 and more log at debug level unless --log.level is given." },
	{ .name = "logtostderr", .type = FLAG_BOOL, .dest = &logtostderr, .def = "true",
	  .help = "Log to standard error (the only destination; false is refused)." },
	{ .name = "alsologtostderr", .type = FLAG_BOOL, .dest = &alsologtostderr, .def = "false",
	  .help = ACCEPTED "logs always go to standard error." },
	PATH_FLAG_PROCFS,
	PATH_FLAG_SYSFS,
	PATH_FLAG_ROOTFS("Where the host's root filesystem is mounted (machine id, runtime state files)."),
};

/*
 * cAdvisor flags of parts this exporter does not have (storage drivers,
 * web UI, perf events, ...): accepted by the parser so that using one gives
 * a clear refusal instead of "unknown flag".
 */
struct refused {
	const char *name;
	enum flag_type type;
	const char *why;
};

static const struct refused refused[] = {
	{ "storage_driver", FLAG_STRING, "there are no storage drivers: Prometheus scrapes the metrics" },
	{ "storage_driver_buffer_duration", FLAG_DURATION, "there are no storage drivers" },
	{ "storage_driver_db", FLAG_STRING, "there are no storage drivers" },
	{ "storage_driver_host", FLAG_STRING, "there are no storage drivers" },
	{ "storage_driver_user", FLAG_STRING, "there are no storage drivers" },
	{ "storage_driver_password", FLAG_STRING, "there are no storage drivers" },
	{ "storage_driver_table", FLAG_STRING, "there are no storage drivers" },
	{ "storage_driver_secure", FLAG_BOOL, "there are no storage drivers" },
	{ "storage_driver_es_host", FLAG_STRING, "there are no storage drivers" },
	{ "storage_driver_es_index", FLAG_STRING, "there are no storage drivers" },
	{ "storage_driver_es_type", FLAG_STRING, "there are no storage drivers" },
	{ "storage_driver_es_enable_sniffer", FLAG_BOOL, "there are no storage drivers" },
	{ "storage_driver_influxdb_retention_policy", FLAG_STRING, "there are no storage drivers" },
	{ "storage_driver_kafka_broker_list", FLAG_STRING, "there are no storage drivers" },
	{ "storage_driver_kafka_topic", FLAG_STRING, "there are no storage drivers" },
	{ "storage_driver_kafka_ssl_ca", FLAG_STRING, "there are no storage drivers" },
	{ "storage_driver_kafka_ssl_cert", FLAG_STRING, "there are no storage drivers" },
	{ "storage_driver_kafka_ssl_key", FLAG_STRING, "there are no storage drivers" },
	{ "storage_driver_kafka_ssl_verify", FLAG_BOOL, "there are no storage drivers" },
	{ "bq_id", FLAG_STRING, "there are no storage drivers" },
	{ "bq_secret", FLAG_STRING, "there are no storage drivers" },
	{ "bq_project_id", FLAG_STRING, "there are no storage drivers" },
	{ "bq_account", FLAG_STRING, "there are no storage drivers" },
	{ "bq_credentials_file", FLAG_STRING, "there are no storage drivers" },
	{ "http_auth_file", FLAG_STRING, "there is no web UI; use --web.config.file for basic authentication" },
	{ "http_auth_realm", FLAG_STRING, "there is no web UI; use --web.config.file for basic authentication" },
	{ "http_digest_file", FLAG_STRING, "there is no web UI; use --web.config.file for basic authentication" },
	{ "http_digest_realm", FLAG_STRING, "there is no web UI; use --web.config.file for basic authentication" },
	{ "collector_cert", FLAG_STRING, "application metrics (kind app) are not collected" },
	{ "collector_key", FLAG_STRING, "application metrics (kind app) are not collected" },
	{ "application_metrics_count_limit", FLAG_INT, "application metrics (kind app) are not collected" },
	{ "perf_events_config", FLAG_STRING, "perf events are not collected" },
	{ "resctrl_interval", FLAG_DURATION, "resctrl (Intel RDT) is not read" },
	{ "referenced_reset_interval", FLAG_INT, "referenced memory (writing clear_refs) is not collected" },
	{ "container_hints", FLAG_STRING, "container hints (filesystem usage of extra mounts) are not read" },
	{ "docker_root", FLAG_STRING, "filesystem usage of container layers is not collected" },
	{ "crio_client_timeout", FLAG_DURATION, "CRI-O is read from its state files, not its API" },
	{ "profiling", FLAG_BOOL, "there is no pprof endpoint" },
	{ "log_cadvisor_usage", FLAG_BOOL, "process_* metrics report the exporter's own usage" },
	{ "log_dir", FLAG_STRING, "logs go to standard error only" },
	{ "log_file", FLAG_STRING, "logs go to standard error only" },
	{ "log_file_max_size", FLAG_INT, "logs go to standard error only" },
	{ "log_backtrace_at", FLAG_STRING, "klog is not used; see --log.level" },
	{ "vmodule", FLAG_STRING, "klog is not used; see --log.level" },
	{ "add_dir_header", FLAG_BOOL, "klog is not used; see --log.format" },
	{ "skip_headers", FLAG_BOOL, "klog is not used; see --log.format" },
	{ "skip_log_headers", FLAG_BOOL, "klog is not used; see --log.format" },
	{ "one_output", FLAG_BOOL, "klog is not used" },
	{ "stderrthreshold", FLAG_STRING, "klog is not used; see --log.level" },
};

#define NREFUSED (sizeof refused / sizeof refused[0])

#define NFLAGS (sizeof flags / sizeof flags[0])

/* flags[] then one hidden flag per refused[] entry, registered as one table. */
static struct flag all_flags[NFLAGS + NREFUSED];
/* Destinations of the refused flags (only whether they were set matters). */
static union {
	bool b;
	const char *s;
	long l;
	double d;
} refused_vals[NREFUSED];

/* Split a comma-separated flag value into trimmed items (kept pointers into a copy). */
static int split_list(const char *s, struct strarr *out, bool keep_empty)
{
	out->n = 0;
	out->v = NULL;
	if (!*s && !keep_empty)
		return 0;
	char *copy = strdup(s);
	if (!copy)
		return -1;
	size_t cap = 1;
	for (const char *p = s; *p; p++)
		cap += *p == ',';
	out->v = calloc(cap, sizeof *out->v);
	if (!out->v) {
		free(copy);
		return -1;
	}
	char *p = copy;
	for (;;) {
		char *comma = strchr(p, ',');
		if (comma)
			*comma = '\0';
		char *item = trim(p);
		if (*item || keep_empty)
			out->v[out->n++] = item;
		if (!comma)
			break;
		p = comma + 1;
	}
	if (!out->n)
		free(copy);
	return 0;
}

static struct cx_opts opts;
static char listen_buf[300];
static char telemetry_buf[1024];

static int setup(struct exporter *x, char *err, size_t errlen)
{
	for (size_t i = 0; i < NREFUSED; i++) {
		const struct flag *f = &all_flags[NFLAGS + i];
		bool used = f->set && (f->type != FLAG_BOOL || refused_vals[i].b);
		if (used) {
			strf(err, errlen, "--%s is not supported: %s", f->name, refused[i].why);
			return -1;
		}
	}
	if (enable_load_reader) {
		strf(err, errlen, "--enable_load_reader is not supported: cgroup load is not read (kind cpuLoad has no source)");
		return -1;
	}
	if (!logtostderr) {
		strf(err, errlen, "--logtostderr=false is not supported: logs go to standard error only");
		return -1;
	}
	if (port < 1 || port > 65535) {
		strf(err, errlen, "--port must be between 1 and 65535");
		return -1;
	}
	unsigned kinds;
	char kerr[200];
	if (*enable_metrics) {
		if (kinds_parse(enable_metrics, &kinds, kerr, sizeof kerr) < 0) {
			strf(err, errlen, "--enable_metrics: %s", kerr);
			return -1;
		}
	} else {
		unsigned off;
		if (kinds_parse(disable_metrics, &off, kerr, sizeof kerr) < 0) {
			strf(err, errlen, "--disable_metrics: %s", kerr);
			return -1;
		}
		kinds = ((1u << K_COUNT) - 1) & ~off;
	}
	/*
	 * Kinds this exporter has no collector for. Refusing them would break
	 * the usual deployments (cAdvisor's own example enables "disk"), so a
	 * set given on the command line that asks for some says so in one log
	 * line; cAdvisor's defaults (cpuLoad, disk) are documented instead.
	 */
	static const enum kind unsupported[] = { K_ADVTCP, K_TCP, K_UDP, K_SCHED, K_HUGETLB,
						 K_MEMORY_NUMA, K_REFERENCED_MEMORY, K_RESCTRL,
						 K_CPU_TOPOLOGY, K_CPUSET, K_CPULOAD, K_DISK };
	unsigned dropped = 0;
	for (size_t i = 0; i < sizeof unsupported / sizeof unsupported[0]; i++)
		dropped |= kinds & KIND_BIT(unsupported[i]);
	kinds &= ~dropped;
	struct flag *en = flags_find(x->fs, "enable_metrics"), *dis = flags_find(x->fs, "disable_metrics");
	if (dropped && ((en && en->set) || (dis && dis->set))) {
		char list[256];
		kinds_string(dropped, list, sizeof list);
		log_warn("metric kinds asked for but not collected by this exporter", "kinds", list, NULL);
	}
	opts.kinds = kinds;
	opts.docker_only = docker_only;
	opts.store_labels = store_container_labels;
	opts.disable_root_stats = disable_root_stats;
	opts.docker = docker_endpoint;
	opts.podman = podman_endpoint;
	opts.docker_tls = docker_tls;
	opts.docker_ca = docker_ca;
	opts.docker_cert = docker_cert;
	opts.docker_key = docker_key;
	opts.containerd_ns = containerd_ns;
	opts.machine_id_files = machine_id_files;
	opts.boot_id_files = boot_id_files;
	opts.machine_interval = machine_info_interval;
	/* containerd keeps its task state beside its socket. */
	static char tasks[4096];
	const char *sock = containerd_endpoint;
	if (has_prefix(sock, "unix://"))
		sock = sock + 7;
	const char *slash = strrchr(sock, '/');
	strf(tasks, sizeof tasks, "%.*s/io.containerd.runtime.v2.task",
	     slash ? (int)(slash - sock) : 0, sock);
	opts.containerd_tasks = tasks;
	const char *envs = *env_whitelist ? env_whitelist
			   : *docker_env_whitelist ? docker_env_whitelist
						   : containerd_env_whitelist;
	if (split_list(raw_prefixes, &opts.raw_prefixes, true) < 0 ||
	    split_list(whitelisted_labels, &opts.label_whitelist, false) < 0 ||
	    split_list(envs, &opts.env_whitelist, false) < 0) {
		strf(err, errlen, "out of memory");
		return -1;
	}
	struct flag *lvl = flags_find(x->fs, "log.level"), *fmt = flags_find(x->fs, "log.format");
	if (verbosity >= 4 && lvl && !lvl->set && fmt)
		log_setup("debug", *(const char **)fmt->dest);
	if (cx_init(&cx, &opts, err, errlen) < 0)
		return -1;

	/* --listen_ip/--port and --prometheus_endpoint when the web.* flags are not given. */
	struct flag *la = flags_find(x->fs, "web.listen-address");
	if (la && !la->set) {
		struct strlist *l = la->dest;
		bool v6 = strchr(listen_ip, ':') != NULL;
		strf(listen_buf, sizeof listen_buf, "%s%s%s:%ld", v6 ? "[" : "", listen_ip,
		     v6 ? "]" : "", port);
		if (l->n)
			l->items[0] = listen_buf;
	}
	struct flag *tp = flags_find(x->fs, "web.telemetry-path");
	if (tp && !tp->set) {
		strf(telemetry_buf, sizeof telemetry_buf, "%s%s", url_base_prefix, prometheus_endpoint);
		if (telemetry_buf[0] != '/') {
			strf(err, errlen, "--prometheus_endpoint must start with '/'");
			return -1;
		}
		*(const char **)tp->dest = telemetry_buf;
	}
	char list[512];
	kinds_string(opts.kinds, list, sizeof list);
	log_info("metric kinds", "enabled", list, NULL);
	return 0;
}

static int metrics(const struct request *rq, struct expo *e, char *msg, size_t msglen)
{
	(void)msg;
	(void)msglen;
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	int64_t now_ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
	double deadline = (double)rq->deadline.tv_sec + (double)rq->deadline.tv_nsec / 1e9;
	cx_scrape(&cx, e, now_ms, deadline);
	exporter_self_metrics(rq, e);
	return 0;
}

static void teardown(struct exporter *x)
{
	(void)x;
	cx_fini(&cx);
}

int main(int argc, char **argv)
{
	memcpy(all_flags, flags, sizeof flags);
	for (size_t i = 0; i < NREFUSED; i++)
		all_flags[NFLAGS + i] = (struct flag){ .name = refused[i].name, .type = refused[i].type,
						       .dest = &refused_vals[i], .help = refused[i].why,
						       .opts = FLAG_HIDDEN };
	struct exporter x = {
		.name = "container_exporter",
		.title = "Container Exporter",
		.prefix = "container",
		.default_listen = ":8080",
		.metrics_handler = metrics,
		.flags = all_flags,
		.nflags = NFLAGS + NREFUSED,
		.single_dash_flags = true,
		.setup = setup,
		.teardown = teardown,
		.help_tail = "Metric kinds follow cAdvisor's --enable_metrics/--disable_metrics; the cgroup hierarchies (v1, v2 or hybrid) are found under <path.sysfs>/fs/cgroup and read on every scrape.",
	};
	return exporter_main(&x, argc, argv);
}
