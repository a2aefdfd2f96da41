// links: pg_exporter
/*
 * libFuzzer target for pg_exporter's data source names (pg_exporter/dsn.c):
 * the bytes as a DSN (URI or key=value pairs, through libpq's parser) and
 * as a /probe target, then copied and described again as the exporter does
 * for a target. Checked: a failure says why, a success has its log form and
 * `server` label, and neither those nor an error message carry the
 * password. Built and run by `make fuzz`; check_pg_dsn_corpus replays its
 * corpus in every pass.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../pg_exporter/pg.h"
#include "fuzz_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int rc, struct pgdsn *d, const char *err)
{
	if (rc < 0) {
		if (!err[0])
			abort(); /* a failure says why */
		return;
	}
	if (!d->safe || !d->fingerprint)
		abort();
	/* Described again with a password no host or database name has: never shown. */
	static const char marker[] = "\x01secret\x02";
	struct pgdsn copy;
	if (!strstr(d->safe, marker) && pgdsn_copy(&copy, d) == 0) {
		if (pgdsn_set(&copy, "password", marker) < 0 || pgdsn_set(&copy, "dbname", "other") < 0 ||
		    pgdsn_describe(&copy) < 0)
			abort(); /* only allocation can fail, and the fuzzer does not run out */
		if (!strstr(copy.safe, "/other") || strstr(copy.safe, marker) ||
		    strstr(copy.fingerprint, marker))
			abort();
		pgdsn_free(&copy);
	}
	pgdsn_free(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 8192) /* a DSN comes from a flag, a file or a URL */
		return 0;
	char *s = fuzz_cstring(data, size);
	if (!s)
		return 0;
	struct pgdsn d;
	char err[512] = "";
	check(pgdsn_parse(&d, s, err, sizeof err), &d, err);
	err[0] = '\0';
	check(pgdsn_parse_target(&d, s, err, sizeof err), &d, err);
	free(s);
	return 0;
}
