# pg_exporter: collectors are pg_exporter/collectors/<name>.c, each defining
# `const struct collector_def collector_<name>`; the list is generated.
# libcrypto: SHA-256 of the custom queries file (pg_exporter_user_queries_load_error's
# hashsum); libpq already loads it.
pg_exporter_PKGS := libpq libcrypto
