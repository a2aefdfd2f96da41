/*
 * clickhouse_exporter: ClickHouse metrics for Prometheus over ClickHouse's
 * HTTP interface, a drop-in for ClickHouse/clickhouse_exporter (flags,
 * environment, metric names, port 9116) for every server from 18.16 on.
 */
#include "clickhouse.h"

static struct flag ch_flags[] = {
	{ .name = "scrape_uri", .type = FLAG_STRING, .dest = &ch_opts.scrape_uri, .def = "http://localhost:8123/",
	  .help = "URI of ClickHouse's HTTP interface; its query string (settings, user=, password=) is sent with every query." },
	{ .name = "insecure", .type = FLAG_BOOL, .dest = &ch_opts.conn.insecure, .def = "false",
	  .help = "Do not check the server's TLS certificate (https:// only). Upstream's default is true." },
	{ .name = "ca_file", .type = FLAG_STRING, .dest = &ch_opts.ca_file, .def = "",
	  .help = "PEM file of the certificate authorities that sign the server's TLS certificate; empty: the system's." },
	{ .name = "clickhouse_only", .type = FLAG_BOOL, .dest = &ch_opts.clickhouse_only, .def = "false",
	  .help = "Expose only ClickHouse metrics, not those of the exporter itself (process_*, promhttp_*, build info)." },
	{ .name = "recheck_interval", .type = FLAG_DURATION, .dest = &ch_opts.recheck, .def = "5m",
	  .help = "Longest time a query of replicas, mutations, merges, detached parts or dictionaries that found nothing is left out of scrapes (sooner when system.metrics shows merges, mutations or a Keeper session); 0s: every query at every scrape." },
	{ .name = "probe_credentials", .type = FLAG_BOOL, .dest = &ch_opts.probe_credentials, .def = "false",
	  .help = "Send CLICKHOUSE_USER and CLICKHOUSE_PASSWORD to /probe targets too (by default only to -scrape_uri)." },
};

static struct backend ch_backend = {
	.server = "ClickHouse", .ops = &ch_ops,
	.route = "/probe", .target_param = "target",
	.missing_target = "'target' parameter must be specified",
	.filter = true,
	.pool_size = 64, .idle_seconds = 600,
	.backoff_min = 0.1, .backoff_max = 2,
	.margin = 0.05,
	.metrics = {
		.up = { "_up", "1 if the last scrape of ClickHouse succeeded, else 0." },
		.failures = { "_exporter_scrape_failures_total", "Scrapes of this ClickHouse server that failed." },
	},
	/* One line for every kind of failure, connecting or querying. */
	.logs = { .connect_failed = "scrape of ClickHouse failed" },
};

static struct exporter ch_exporter = {
	.name = "clickhouse_exporter", .title = "ClickHouse Exporter", .prefix = "clickhouse",
	.default_listen = ":9116",
	.backend = &ch_backend,
	.common_flags = (const struct common_flag[]){
		{ .name = "web.listen-address", .as = "telemetry.address" },
		{ .name = "web.telemetry-path", .as = "telemetry.endpoint" },
		{ NULL },
	},
	.flags = ch_flags, .nflags = sizeof ch_flags / sizeof ch_flags[0],
	/* upstream's flags are Go flag package ones: -scrape_uri */
	.single_dash_flags = true,
	.setup = ch_setup, .teardown = ch_teardown,
	.help_tail =
		"Flags may also be given with a single dash (-scrape_uri), as with upstream.\n"
		"Environment: CLICKHOUSE_USER and CLICKHOUSE_PASSWORD are sent as the\n"
		"X-ClickHouse-User and X-ClickHouse-Key headers (each when set).\n"
		"Endpoints: the telemetry path scrapes -scrape_uri; /probe?target=host:port or\n"
		"/probe?target=https://host:8443/ scrapes another server (credentials only with\n"
		"-probe_credentials).\n",
};

int main(int argc, char **argv)
{
	return exporter_main(&ch_exporter, argc, argv);
}
