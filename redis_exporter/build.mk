# redis_exporter: a drop-in for oliver006/redis_exporter on hiredis.
redis_exporter_PKGS := hiredis gnutls

# `make fuzz`: libFuzzer on the INFO/CLUSTER INFO parsers for FUZZ_TIME
# seconds, seeded with tests/fuzz/corpus (new inputs go to build/fuzz/corpus),
# then on the reply tree parsers as long.
FUZZ_CC ?= clang
FUZZ_TIME ?= 60
FUZZ_SRC := tests/fuzz/redis_info_fuzz.c redis_exporter/info.c redis_exporter/uri.c \
	common/expo.c common/buf.c common/fmtnum.c common/parse.c common/log.c
build/fuzz/redis_info_fuzz: $(FUZZ_SRC) redis_exporter/info.h redis_exporter/redis.h
	@mkdir -p $(dir $@)
	$(call say,FUZZCC,$@)$(FUZZ_CC) -g -O1 -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=all $(STD) $(call PKG_CFLAGS,hiredis) -o $@ $(FUZZ_SRC) -lm

# The reply trees (LATENCY HISTOGRAM, XINFO), seeded with tests/fuzz/corpus-replies.
FUZZ_REPLIES_SRC := tests/fuzz/redis_replies_fuzz.c redis_exporter/replies.c \
	common/expo.c common/buf.c common/fmtnum.c common/parse.c common/log.c
build/fuzz/redis_replies_fuzz: $(FUZZ_REPLIES_SRC) redis_exporter/replies.h
	@mkdir -p $(dir $@)
	$(call say,FUZZCC,$@)$(FUZZ_CC) -g -O1 -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=all $(STD) $(call PKG_CFLAGS,hiredis) -o $@ $(FUZZ_REPLIES_SRC) \
		$(call PKG_LIBS,hiredis) -lm

fuzz: build/fuzz/redis_info_fuzz build/fuzz/redis_replies_fuzz
	@mkdir -p build/fuzz/corpus build/fuzz/corpus-replies
	build/fuzz/redis_info_fuzz -max_total_time=$(FUZZ_TIME) -max_len=65536 -timeout=10 \
		-artifact_prefix=build/fuzz/ build/fuzz/corpus tests/fuzz/corpus
	build/fuzz/redis_replies_fuzz -max_total_time=$(FUZZ_TIME) -max_len=65536 -timeout=10 \
		-artifact_prefix=build/fuzz/replies- build/fuzz/corpus-replies tests/fuzz/corpus-replies

.PHONY: fuzz
