# pg_exporter: collectors are pg_exporter/collectors/<name>.c, each defining
# `const struct collector_def collector_<name>`; the list is generated.
pg_exporter_PKGS := libpq
pg_exporter_GEN := $(BUILD)/pg_exporter/collector_list.c

PG_COLLECTORS := $(sort $(basename $(notdir $(wildcard pg_exporter/collectors/*.c))))
$(BUILD)/pg_exporter/collector_list.c: $(wildcard pg_exporter/collectors/*.c) pg_exporter/build.mk
	@mkdir -p $(dir $@)
	$(call say,GEN,$@){ echo '#include "../../../pg_exporter/collectors.h"'; \
	  for c in $(PG_COLLECTORS); do echo "extern const struct collector_def collector_$$c;"; done; \
	  echo 'const struct collector_def *const pg_collectors[] = {'; \
	  for c in $(PG_COLLECTORS); do echo "	&collector_$$c,"; done; \
	  echo '};'; \
	  echo 'const size_t pg_ncollectors = sizeof pg_collectors / sizeof pg_collectors[0];'; } > $@
