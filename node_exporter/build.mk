# node_exporter: collectors are node_exporter/collectors/<name>.c, each defining
# `const struct collector_def collector_<name>`; the list is generated.
node_exporter_PKGS := libsystemd
# supervisord speaks XML-RPC over HTTP: libcurl for the call, expat for the reply.
node_exporter_PKGS += libcurl expat
