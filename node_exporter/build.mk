# node_exporter: collectors are node_exporter/collectors/<name>.c, each defining
# `const struct collector_def collector_<name>`; the list is generated.
node_exporter_PKGS :=
