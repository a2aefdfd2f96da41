# container_exporter: cAdvisor's container_* and machine_* metrics from the
# cgroup hierarchy. Its collectors are one per cAdvisor metric kind,
# container_exporter/kinds/<kind>.c, each defining `const struct
# kind_collector collector_<kind>` (not the framework's collector_def, hence
# not in a collectors/ directory); the list is generated. libcurl talks to
# the Docker Engine API (unix socket or TCP); it is loaded with dlopen when an
# engine is there (only its header is needed to build); libyaml reads the
# JSON replies.
container_exporter_PKGS := yaml-0.1
container_exporter_GEN := $(BUILD)/container_exporter/kind_list.c

CONTAINER_COLLECTORS := $(sort $(basename $(notdir $(wildcard container_exporter/kinds/*.c))))
$(BUILD)/container_exporter/kind_list.c: $(wildcard container_exporter/kinds/*.c) container_exporter/build.mk
	@mkdir -p $(dir $@)
	$(call say,GEN,$@){ echo '#include "../../../container_exporter/container.h"'; \
	  for c in $(CONTAINER_COLLECTORS); do echo "extern const struct kind_collector collector_$$c;"; done; \
	  echo 'const struct kind_collector *const container_collectors[] = {'; \
	  for c in $(CONTAINER_COLLECTORS); do echo "	&collector_$$c,"; done; \
	  echo '};'; \
	  echo 'const size_t container_ncollectors = sizeof container_collectors / sizeof container_collectors[0];'; } > $@
