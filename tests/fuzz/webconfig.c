// links:
/*
 * libFuzzer target for --web.config.file: the bytes are the YAML. Inputs
 * naming files (cert_file, key_file, client_ca_file) are skipped: the
 * fuzzer would read whatever it names, /dev/stdin included; inline PEM
 * (cert, key) is parsed by GnuTLS like files are. Built and run by
 * `make fuzz`; the unit test check_webconfig_corpus
 * replays its corpus (tests/fuzz/corpus/webconfig) in every pass.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/webconfig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (memmem(data, size, "_file", 5))
		return 0;
	struct webconfig *wc = NULL;
	char err[512] = "";
	int rc = webconfig_parse((const char *)data, size, "/nonexistent", &wc, err, sizeof err);
	if (rc == 0) {
		if (!wc || (wc->nusers && !wc->dummy_hash))
			abort(); /* unknown users need a hash to cost as much as known ones */
		webconfig_free(wc);
	} else if (wc || strncmp(err, "web config: ", 12) || strchr(err, '\n')) {
		abort(); /* an error is one line */
	}
	return 0;
}
