// links:
/*
 * libFuzzer target for the HTTP content negotiation: the bytes are an
 * Accept header and an Accept-Encoding header at once. Built and run by
 * `make fuzz`; the unit test check_http_accept_corpus
 * replays its corpus (tests/fuzz/corpus/http_accept) in every pass.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/server.h"
#include "fuzz_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *header = fuzz_cstring(data, size);
	if (!header)
		return 0;
	enum expo_format f = server_negotiate(header);
	if (f != EXPO_TEXT && f != EXPO_OPENMETRICS)
		abort();
	/* Without "gzip" in it, no header can allow gzip. */
	if (server_accepts_gzip(header) && !strcasestr(header, "gzip"))
		abort();
	free(header);
	return 0;
}
