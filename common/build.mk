# common/ is not an exporter; this adds its fuzzing harnesses.
#
# `make fuzz-http`: libFuzzer on the HTTP-side parsers (Accept and
# Accept-Encoding negotiation, request targets with collect[]/exclude[], the
# web config YAML), each for FUZZ_TIME seconds, seeded with
# tests/fuzz/corpus_<name> (new inputs go to build/fuzz/corpus_<name>).
FUZZ_CC ?= clang
FUZZ_TIME ?= 60
HTTP_FUZZ := http_accept http_query webconfig
HTTP_FUZZ_BIN := $(HTTP_FUZZ:%=build/fuzz/%_fuzz)
$(HTTP_FUZZ_BIN): build/fuzz/%_fuzz: tests/fuzz/%_fuzz.c $(wildcard common/*.[ch])
	@mkdir -p $(dir $@)
	$(call say,FUZZCC,$@)$(FUZZ_CC) -g -O1 -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=all $(STD) $(call PKG_CFLAGS,$(COMMON_PKGS)) -o $@ $< \
		$(wildcard common/*.c) $(COMMON_LIBS)

fuzz-http: $(HTTP_FUZZ_BIN)
	@for t in $(HTTP_FUZZ); do \
		mkdir -p build/fuzz/corpus_$$t; \
		build/fuzz/$${t}_fuzz -max_total_time=$(FUZZ_TIME) -max_len=65536 -timeout=10 \
			-artifact_prefix=build/fuzz/$${t}- build/fuzz/corpus_$$t tests/fuzz/corpus_$$t || exit 1; \
	done

.PHONY: fuzz-http
