"""The Grafana dashboards, one per exporter: panels as data, written as JSON
to packaging/grafana/dashboards/<exporter>.json by packaging/generate.py.

Every query uses only $instance (a regex of the job's instances) and
$__rate_interval, so the end-to-end test (tests/integration/
test_packaging_e2e.py) can run each against a real Prometheus."""

import json

DATASOURCE = {"type": "prometheus", "uid": "prometheus"}

# exporter: (job, title, [(panel title, unit, [(legend, expr)])])
PANELS = {
    "node_exporter": ("node", "promc / Node", [
        ("Exporter up", "none", [("{{instance}}", 'up{job="node", instance=~"$instance"}')]),
        ("CPU busy", "percentunit", [(
            "{{instance}}",
            '1 - avg by (instance) (rate(node_cpu_seconds_total{job="node", instance=~"$instance", mode="idle"}[$__rate_interval]))')]),
        ("Load", "short", [
            ("1m {{instance}}", 'node_load1{job="node", instance=~"$instance"}'),
            ("5m {{instance}}", 'node_load5{job="node", instance=~"$instance"}'),
            ("15m {{instance}}", 'node_load15{job="node", instance=~"$instance"}')]),
        ("Memory available", "percentunit", [(
            "{{instance}}",
            'node_memory_MemAvailable_bytes{job="node", instance=~"$instance"} / node_memory_MemTotal_bytes{job="node", instance=~"$instance"}')]),
        ("Filesystem space left", "percentunit", [(
            "{{instance}} {{mountpoint}}",
            'node_filesystem_avail_bytes{job="node", instance=~"$instance", fstype!=""} / node_filesystem_size_bytes{job="node", instance=~"$instance", fstype!=""}')]),
        ("Disk I/O", "Bps", [
            ("read {{instance}} {{device}}", 'rate(node_disk_read_bytes_total{job="node", instance=~"$instance"}[$__rate_interval])'),
            ("written {{instance}} {{device}}", 'rate(node_disk_written_bytes_total{job="node", instance=~"$instance"}[$__rate_interval])')]),
        ("Network", "Bps", [
            ("in {{instance}} {{device}}", 'rate(node_network_receive_bytes_total{job="node", instance=~"$instance", device!="lo"}[$__rate_interval])'),
            ("out {{instance}} {{device}}", 'rate(node_network_transmit_bytes_total{job="node", instance=~"$instance", device!="lo"}[$__rate_interval])')]),
        ("Collectors succeeding", "none", [(
            "{{instance}} {{collector}}", 'node_scrape_collector_success{job="node", instance=~"$instance"}')]),
    ]),
    "pg_exporter": ("pg", "promc / PostgreSQL", [
        ("PostgreSQL up", "none", [("{{instance}}", 'pg_up{job="pg", instance=~"$instance"}')]),
        ("Connections", "short", [
            ("used {{instance}}", 'sum by (instance) (pg_stat_database_numbackends{job="pg", instance=~"$instance"})'),
            ("max {{instance}}", 'pg_settings_max_connections{job="pg", instance=~"$instance"}')]),
        ("Transactions", "ops", [
            ("commits {{instance}} {{datname}}", 'rate(pg_stat_database_xact_commit{job="pg", instance=~"$instance"}[$__rate_interval])'),
            ("rollbacks {{instance}} {{datname}}", 'rate(pg_stat_database_xact_rollback{job="pg", instance=~"$instance"}[$__rate_interval])')]),
        ("Database size", "bytes", [("{{instance}} {{datname}}", 'pg_database_size_bytes{job="pg", instance=~"$instance"}')]),
        ("Locks", "short", [("{{instance}} {{datname}} {{mode}}", 'pg_locks_count{job="pg", instance=~"$instance"}')]),
        ("Replication lag", "s", [("{{instance}}", 'pg_replication_lag_seconds{job="pg", instance=~"$instance"}')]),
        ("Scrape errors", "none", [("{{instance}}", 'pg_exporter_last_scrape_error{job="pg", instance=~"$instance"}')]),
    ]),
    "redis_exporter": ("redis", "promc / Redis", [
        ("Redis up", "none", [("{{instance}}", 'redis_up{job="redis", instance=~"$instance"}')]),
        ("Memory", "bytes", [
            ("used {{instance}}", 'redis_memory_used_bytes{job="redis", instance=~"$instance"}'),
            ("max {{instance}}", 'redis_memory_max_bytes{job="redis", instance=~"$instance"}')]),
        ("Clients", "short", [("{{instance}}", 'redis_connected_clients{job="redis", instance=~"$instance"}')]),
        ("Commands", "ops", [(
            "{{instance}}", 'rate(redis_commands_processed_total{job="redis", instance=~"$instance"}[$__rate_interval])')]),
        ("Keyspace hit ratio", "percentunit", [(
            "{{instance}}",
            'rate(redis_keyspace_hits_total{job="redis", instance=~"$instance"}[$__rate_interval]) / '
            '(rate(redis_keyspace_hits_total{job="redis", instance=~"$instance"}[$__rate_interval]) + '
            'rate(redis_keyspace_misses_total{job="redis", instance=~"$instance"}[$__rate_interval]) > 0)')]),
        ("Keys", "short", [("{{instance}} {{db}}", 'redis_db_keys{job="redis", instance=~"$instance"}')]),
        ("Evicted keys", "ops", [(
            "{{instance}}", 'rate(redis_evicted_keys_total{job="redis", instance=~"$instance"}[$__rate_interval])')]),
        ("Replica lag", "s", [(
            "{{instance}} {{slave_ip}}:{{slave_port}}", 'redis_connected_slave_lag_seconds{job="redis", instance=~"$instance"}')]),
    ]),
    "kafka_exporter": ("kafka", "promc / Kafka", [
        ("Kafka reachable", "none", [("{{instance}}", 'kafka_up{job="kafka", instance=~"$instance"}')]),
        ("Brokers", "short", [("{{instance}}", 'kafka_brokers{job="kafka", instance=~"$instance"}')]),
        ("Messages in", "ops", [(
            "{{topic}}",
            'sum by (topic) (rate(kafka_topic_partition_current_offset{job="kafka", instance=~"$instance"}[$__rate_interval]))')]),
        ("Consumer group lag", "short", [(
            "{{consumergroup}} {{topic}}",
            'sum by (consumergroup, topic) (kafka_consumergroup_lag{job="kafka", instance=~"$instance"})')]),
        ("Consumer group commits", "ops", [(
            "{{consumergroup}} {{topic}}",
            'sum by (consumergroup, topic) (rate(kafka_consumergroup_current_offset{job="kafka", instance=~"$instance"}[$__rate_interval]))')]),
        ("Under-replicated partitions", "short", [(
            "{{topic}}",
            'sum by (topic) (kafka_topic_partition_under_replicated_partition{job="kafka", instance=~"$instance"})')]),
    ]),
    "clickhouse_exporter": ("clickhouse", "promc / ClickHouse", [
        ("ClickHouse up", "none", [("{{instance}}", 'clickhouse_up{job="clickhouse", instance=~"$instance"}')]),
        ("Queries running", "short", [("{{instance}}", 'clickhouse_query{job="clickhouse", instance=~"$instance"}')]),
        ("Queries", "ops", [(
            "{{instance}}", 'rate(clickhouse_query_total{job="clickhouse", instance=~"$instance"}[$__rate_interval])')]),
        ("Memory tracked", "bytes", [("{{instance}}", 'clickhouse_memory_tracking{job="clickhouse", instance=~"$instance"}')]),
        ("Parts", "short", [(
            "{{instance}} {{database}}.{{table}}",
            'sum by (instance, database, table) (clickhouse_table_parts_count{job="clickhouse", instance=~"$instance"})')]),
        ("Rows inserted", "ops", [(
            "{{instance}}", 'rate(clickhouse_inserted_rows_total{job="clickhouse", instance=~"$instance"}[$__rate_interval])')]),
        ("Failed scrapes", "short", [(
            "{{instance}}", 'increase(clickhouse_exporter_scrape_failures_total{job="clickhouse", instance=~"$instance"}[$__rate_interval])')]),
    ]),
    "container_exporter": ("container", "promc / Containers", [
        ("CPU", "percentunit", [(
            "{{id}}", 'sum by (id) (rate(container_cpu_usage_seconds_total{job="container", instance=~"$instance"}[$__rate_interval]))')]),
        ("CPU throttled", "percentunit", [(
            "{{id}}",
            'rate(container_cpu_cfs_throttled_periods_total{job="container", instance=~"$instance"}[$__rate_interval]) / '
            'rate(container_cpu_cfs_periods_total{job="container", instance=~"$instance"}[$__rate_interval])')]),
        ("Memory working set", "bytes", [(
            "{{id}}", 'container_memory_working_set_bytes{job="container", instance=~"$instance"}')]),
        ("Memory limit", "bytes", [(
            "{{id}}", 'container_spec_memory_limit_bytes{job="container", instance=~"$instance"} > 0')]),
        ("OOM kills", "short", [(
            "{{id}}", 'increase(container_oom_events_total{job="container", instance=~"$instance"}[$__rate_interval])')]),
        ("Network", "Bps", [
            ("in {{id}}", 'sum by (id) (rate(container_network_receive_bytes_total{job="container", instance=~"$instance"}[$__rate_interval]))'),
            ("out {{id}}", 'sum by (id) (rate(container_network_transmit_bytes_total{job="container", instance=~"$instance"}[$__rate_interval]))')]),
    ]),
}


def dashboard(name):
    """The dashboard of one exporter as a JSON-ready dict."""
    job, title, panels = PANELS[name]
    out = []
    for i, (ptitle, unit, targets) in enumerate(panels):
        out.append({
            "id": i + 1,
            "type": "timeseries",
            "title": ptitle,
            "datasource": DATASOURCE,
            "gridPos": {"h": 8, "w": 12, "x": 12 * (i % 2), "y": 8 * (i // 2)},
            "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
            "targets": [{"datasource": DATASOURCE, "refId": chr(ord("A") + j), "expr": expr,
                         "legendFormat": legend} for j, (legend, expr) in enumerate(targets)],
        })
    return {
        "uid": f"promc-{job}",
        "title": title,
        "tags": ["promc", job],
        "timezone": "browser",
        "schemaVersion": 39,
        "version": 1,
        "refresh": "30s",
        "time": {"from": "now-1h", "to": "now"},
        "templating": {"list": [{
            "name": "instance",
            "label": "instance",
            "type": "query",
            "datasource": DATASOURCE,
            "query": {"query": f'label_values(up{{job="{job}"}}, instance)', "refId": "instance"},
            "definition": f'label_values(up{{job="{job}"}}, instance)',
            "includeAll": True,
            "multi": True,
            "allValue": ".*",
            "current": {"text": "All", "value": "$__all"},
            "refresh": 2,
        }]},
        "panels": out,
    }


def files():
    """{path relative to the top: JSON text} of every dashboard."""
    return {f"packaging/grafana/dashboards/{name}.json": json.dumps(dashboard(name), indent=2) + "\n"
            for name in PANELS}
