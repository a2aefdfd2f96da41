# kafka_exporter: a drop-in for danielqsj/kafka_exporter on librdkafka.
kafka_exporter_PKGS := rdkafka

# tests/kafka/kafka_testctl: creates topics, writes records with chosen
# timestamps and commits group offsets on the test broker (librdkafka too).
# A test tool, not under test: built without the sanitizers.
$(BUILD)/tests/kafka_testctl: tests/kafka/testctl.c
	@mkdir -p $(dir $@)
	$(call say,CC,$<)$(CC) $(STD) $(WARN) $(WERROR) -O2 -g $(call PKG_CFLAGS,rdkafka) -o $@ $< $(call PKG_LIBS,rdkafka)

unit-bins: $(BUILD)/tests/kafka_testctl
