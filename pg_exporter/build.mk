# pg_exporter: collectors are pg_exporter/collectors/<name>.c, each defining
# `const struct collector_def collector_<name>`; the list is generated.
pg_exporter_PKGS := libpq
