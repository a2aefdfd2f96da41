// links: clickhouse_exporter
/*
 * libFuzzer target for clickhouse_exporter's probe: any bytes as the reply
 * to the capability probe (version, readonly, the columns of the system
 * tables), then the statement of every section built for what it says,
 * and each section alone as a fallback scrape sends it. Checks that a
 * probe that succeeds has a version, that every statement fits and ends in
 * its FORMAT clause, and that lookups of any table or column name
 * (the input's own words among them) are safe. Built and run by `make
 * fuzz`; the unit test check_clickhouse_probe_corpus replays its corpus in
 * every pass.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../clickhouse_exporter/clickhouse.h"
#include "../../common/buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char format[] = " FORMAT TabSeparatedWithNamesAndTypes";

static void check_statement(const struct ch_caps *caps, unsigned want)
{
	struct buf b;
	unsigned absent;
	buf_init(&b, 1u << 20);
	if (ch_build_query(caps, want, &b, &absent) != 0 || (absent & ~want))
		abort();
	size_t n = strlen(format);
	if (b.len < n || memcmp(b.data + b.len - n, format, n) != 0)
		abort();
	buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	struct ch_caps caps;
	memset(&caps, 0, sizeof caps);
	char err[256] = "";
	if (ch_caps_from_rows(&caps, s, size, err, sizeof err) == 0) {
		if (!caps.version[0])
			abort(); /* success means a version */
		check_statement(&caps, (1u << SEC_N) - 1);
		for (int sec = 0; sec < SEC_N; sec++)
			check_statement(&caps, 1u << sec);
		/* names as long or odd as the input's own */
		char name[512];
		size_t n = size < sizeof name - 1 ? size : sizeof name - 1;
		memcpy(name, data, n);
		name[n] = '\0';
		(void)ch_caps_has(&caps, name, NULL);
		(void)ch_caps_has(&caps, "parts", name);
		(void)ch_caps_has(&caps, name, name);
	} else if (!err[0]) {
		abort(); /* a failure says why */
	}
	ch_caps_free(&caps);
	free(s);
	return 0;
}
