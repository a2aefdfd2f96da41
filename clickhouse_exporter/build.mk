# clickhouse_exporter: a drop-in for ClickHouse/clickhouse_exporter over
# ClickHouse's HTTP interface, with libcurl (keep-alive, TLS, timeouts).
clickhouse_exporter_PKGS := libcurl
