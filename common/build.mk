# common/ is not an exporter; this builds the fuzz targets of its HTTP side.
#
# `make fuzz-http`: libFuzzer on the Accept and Accept-Encoding negotiation,
# request targets with collect[]/exclude[] and the web config YAML
# (tests/fuzz/<name>.c), each for FUZZ_TIME seconds, seeded with
# tests/fuzz/corpus/<name> (new inputs go to build/fuzz/corpus/<name>,
# findings to build/fuzz/<name>-*). Where the Makefile's `make fuzz` runs
# every tests/fuzz/*.c, this file is not needed.
FUZZ_CC ?= clang
FUZZ_TIME ?= 60
HTTP_FUZZ := http_accept http_query webconfig
HTTP_FUZZ_BIN := $(HTTP_FUZZ:%=build/fuzz/%)
$(HTTP_FUZZ_BIN): build/fuzz/%: tests/fuzz/%.c tests/fuzz/fuzz_input.h $(wildcard common/*.[ch])
	@mkdir -p $(dir $@)
	$(call say,FUZZCC,$@)$(FUZZ_CC) -g -O1 -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=all $(STD) $(call PKG_CFLAGS,$(COMMON_PKGS)) -o $@ $< \
		$(wildcard common/*.c) $(COMMON_LIBS)

fuzz-http: $(HTTP_FUZZ_BIN)
	@for t in $(HTTP_FUZZ); do \
		mkdir -p build/fuzz/corpus/$$t; \
		build/fuzz/$$t -max_total_time=$(FUZZ_TIME) -max_len=65536 -timeout=10 \
			-artifact_prefix=build/fuzz/$$t- build/fuzz/corpus/$$t tests/fuzz/corpus/$$t || exit 1; \
	done

.PHONY: fuzz-http
