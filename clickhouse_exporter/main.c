/*
 * clickhouse_exporter: ClickHouse metrics for Prometheus over ClickHouse's
 * HTTP interface, a drop-in for ClickHouse/clickhouse_exporter (flags,
 * environment, metric names, port 9116) for every server from 18.16 on.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/log.h"
#include "../common/parse.h"
#include "../common/secret.h"
#include "../common/server.h"
#include "clickhouse.h"

/* At most this many /probe targets keep a connection at once. */
#define MAX_PROBE_TARGETS 64
/* Upstream's HTTP client timeout; a scrape also ends at its own deadline. */
#define REQUEST_TIMEOUT 30.0

static const char *scrape_uri, *telemetry_address, *telemetry_endpoint, *ca_file;
static char *user, *password;

static struct flag ch_flags[] = {
	{ .name = "scrape_uri", .type = FLAG_STRING, .dest = &scrape_uri, .def = "http://localhost:8123/",
	  .help = "URI of ClickHouse's HTTP interface; its query string (settings, user=, password=) is sent with every query." },
	/*
	 * Upstream's names of --web.listen-address and --web.telemetry-path,
	 * mapped onto them in setup(). Temporary: common/ will offer
	 * per-exporter renames of its flags, which replace these two.
	 */
	{ .name = "telemetry.address", .type = FLAG_STRING, .dest = &telemetry_address, .def = ":9116",
	  .help = "Address on which to expose metrics (the same as --web.listen-address, once)." },
	{ .name = "telemetry.endpoint", .type = FLAG_STRING, .dest = &telemetry_endpoint, .def = "/metrics",
	  .help = "Path under which to expose metrics (the same as --web.telemetry-path)." },
	{ .name = "insecure", .type = FLAG_BOOL, .dest = &ch_opts.conn.insecure, .def = "false",
	  .help = "Do not check the server's TLS certificate (https:// only). Upstream's default is true." },
	{ .name = "ca_file", .type = FLAG_STRING, .dest = &ca_file, .def = "",
	  .help = "PEM file of the certificate authorities that sign the server's TLS certificate; empty: the system's." },
	{ .name = "clickhouse_only", .type = FLAG_BOOL, .dest = &ch_opts.clickhouse_only, .def = "false",
	  .help = "Expose only ClickHouse metrics, not those of the exporter itself (process_*, promhttp_*, build info)." },
	{ .name = "probe_credentials", .type = FLAG_BOOL, .dest = &ch_opts.probe_credentials, .def = "false",
	  .help = "Send CLICKHOUSE_USER and CLICKHOUSE_PASSWORD to /probe targets too (by default only to -scrape_uri)." },
};

static const struct collector_def *const collectors[] = {
	&collector_version, &collector_metrics, &collector_asynchronous_metrics, &collector_events,
	&collector_parts, &collector_disks, &collector_replicas, &collector_mutations,
	&collector_merges, &collector_detached_parts, &collector_errors, &collector_dictionaries,
};

static const struct route probe_route[] = { { "/probe", ch_probe_handler } };

static struct exporter exporter = {
	.name = "clickhouse_exporter",
	.title = "ClickHouse Exporter",
	.prefix = "clickhouse",
	.default_listen = ":9116",
	/* upstream's flags are Go flag package ones: -scrape_uri */
	.single_dash_flags = true,
	.flags = ch_flags,
	.nflags = sizeof ch_flags / sizeof ch_flags[0],
	.metrics_handler = ch_metrics_handler,
	.routes = probe_route,
	.nroutes = sizeof probe_route / sizeof probe_route[0],
	.collectors = collectors,
	.ncollectors = sizeof collectors / sizeof collectors[0],
	.build_info = exporter_build_info_std,
	.help_tail =
		"Flags may also be given with a single dash (-scrape_uri), as with upstream.\n"
		"Environment: CLICKHOUSE_USER and CLICKHOUSE_PASSWORD are sent as the\n"
		"X-ClickHouse-User and X-ClickHouse-Key headers (each when set).\n"
		"Endpoints: the telemetry path scrapes -scrape_uri; /probe?target=host:port or\n"
		"/probe?target=https://host:8443/ scrapes another server (credentials only with\n"
		"-probe_credentials).\n",
};

/* Upstream's -telemetry.* flags onto the common --web.* ones (see ch_flags). */
static int map_telemetry_flags(char *err, size_t errlen)
{
	struct flag *listen = flags_find(exporter.fs, "web.listen-address");
	struct flag *path = flags_find(exporter.fs, "web.telemetry-path");
	if (flags_find(exporter.fs, "telemetry.address")->set) {
		if (listen->set) {
			strf(err, errlen, "give either -telemetry.address or --web.listen-address");
			return -1;
		}
		if (server_check_address(telemetry_address, err, errlen) < 0)
			return -1;
		struct strlist *l = listen->dest;
		const char **items = realloc(l->items, sizeof *items);
		if (!items) {
			strf(err, errlen, "out of memory");
			return -1;
		}
		items[0] = telemetry_address;
		l->items = items;
		l->n = 1;
	}
	if (flags_find(exporter.fs, "telemetry.endpoint")->set) {
		if (path->set) {
			strf(err, errlen, "give either -telemetry.endpoint or --web.telemetry-path");
			return -1;
		}
		if (telemetry_endpoint[0] != '/') {
			strf(err, errlen, "-telemetry.endpoint must start with '/'");
			return -1;
		}
		*(const char **)path->dest = telemetry_endpoint;
	}
	return 0;
}

static int setup(char *err, size_t errlen)
{
	if (map_telemetry_flags(err, errlen) < 0)
		return -1;
	if (*ca_file) {
		FILE *f = fopen(ca_file, "r");
		if (!f) {
			strf(err, errlen, "cannot read -ca_file %s", ca_file);
			return -1;
		}
		fclose(f);
	}
	ch_opts.conn.ca_file = ca_file;
	ch_opts.conn.user = user;
	ch_opts.conn.password = password;
	ch_opts.conn.timeout = REQUEST_TIMEOUT;
	if (chconn_global_init() < 0) {
		strf(err, errlen, "could not initialise libcurl");
		return -1;
	}
	ch_probe_sql();
	return chtargets_init(&ch_session_ops, scrape_uri, MAX_PROBE_TARGETS, err, errlen);
}

static void teardown(void)
{
	chtargets_fini();
	chconn_global_cleanup();
	secret_free(user);
	secret_free(password);
}

/* Copy an environment variable and wipe it where it lies (it shows in /proc/PID/environ). */
static char *take_env(const char *name, bool secret)
{
	char *v = getenv(name);
	if (!v)
		return NULL;
	char *copy = strdup(v);
	if (secret)
		secret_wipe(v, strlen(v));
	return copy;
}

int main(int argc, char **argv)
{
	exporter.setup = setup;
	exporter.teardown = teardown;
	user = take_env("CLICKHOUSE_USER", false);
	password = take_env("CLICKHOUSE_PASSWORD", true);
	return exporter_main(&exporter, argc, argv);
}
