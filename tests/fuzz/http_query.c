// links:
/*
 * libFuzzer target for a request target as the server takes it apart:
 * the bytes are a target ("/metrics?collect[]=cpu&..."); the path goes
 * through the absolute-form reduction and percent-decoding, the query is
 * split as libmicrohttpd splits it and decoded, and collect[]/exclude[]
 * select among three collectors. Built and run by `make fuzz`; the unit
 * test check_http_query_corpus replays its corpus
 * (tests/fuzz/corpus/http_query) in every pass.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/exporter.h"
#include "../../common/server.h"
#include "fuzz_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct collector_def query_cpu = { .name = "cpu", .default_enabled = true };
static const struct collector_def query_load = { .name = "loadavg", .default_enabled = true };
static const struct collector_def query_off = { .name = "wifi" };

/* Split "k=v&k2&..." in place into args (at most cap); returns their number. */
static size_t query_split(char *q, struct arg *args, size_t cap)
{
	size_t n = 0;
	while (q && *q && n < cap) {
		char *amp = strchr(q, '&');
		if (amp)
			*amp = '\0';
		char *eq = strchr(q, '=');
		if (eq)
			*eq = '\0';
		args[n].key = q;
		args[n].value = eq ? eq + 1 : q + strlen(q);
		if (server_unescape(args[n].key) != strlen(args[n].key) ||
		    server_unescape(args[n].value) != strlen(args[n].value))
			abort(); /* a NUL was decoded */
		n++;
		q = amp ? amp + 1 : NULL;
	}
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *target = fuzz_cstring(data, size);
	if (!target)
		return 0;
	char *query = strchr(target, '?');
	if (query)
		*query++ = '\0';
	size_t len = server_unescape(target);
	if (len != strlen(target))
		abort();
	const char *path = server_origin_path(target);
	if (path != target && path[0] != '/')
		abort(); /* an absolute-form target reduces to a path */

	struct collector inst[3] = { { .def = &query_cpu, .enabled = true },
				     { .def = &query_load, .enabled = true },
				     { .def = &query_off, .enabled = false } };
	struct exporter x = { .name = "fuzz_exporter", .inst = inst, .ninst = 3 };
	struct arg args[64];
	struct request rq = { .x = &x, .path = path, .args = args, .nargs = query_split(query, args, 64) };
	bool selected[3];
	char msg[512];
	int status = exporter_select(&rq, selected, msg, sizeof msg);
	if (status != 0 && status != 400)
		abort();
	if (status == 0 && selected[2])
		abort(); /* a disabled collector is never selected */
	free(target);
	return 0;
}
