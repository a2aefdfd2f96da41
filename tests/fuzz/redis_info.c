// links: redis_exporter
/*
 * libFuzzer target for redis_exporter's reply parsers: the bytes are an
 * INFO reply, a CLUSTER INFO reply, a Redis address and a key list at once.
 * Built and run by `make fuzz`; the unit test check_redis_fuzz_corpus
 * replays its corpus (tests/fuzz/corpus/redis_info) in every pass.
 */
#include <stdint.h>
#include <stdlib.h>

#include "../../common/buf.h"
#include "../../common/expo.h"
#include "../../redis_exporter/info.h"
#include "../../redis_exporter/redis.h"
#include "fuzz_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void render_and_free(struct expo *e)
{
	struct buf b;
	buf_init(&b, 64u << 20);
	if (expo_render(e, EXPO_TEXT, &b) == 0 && b.len && b.data[b.len - 1] != '\n')
		abort(); /* a page always ends with a newline */
	buf_free(&b);
	expo_free(e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct info_opts o = { .ns = "redis", .dbcount = size ? data[0] % 64 : 0, .include_system = true,
			       .now = 1.7e9 };
	char *s = fuzz_cstring(data, size);
	if (!s)
		return 0;
	struct expo *e = expo_new(64u << 20);
	struct info_result res;
	if (redis_info_parse(s, &o, e, &res) == 0 && res.fields == 0)
		abort(); /* success means at least one field */
	render_and_free(e);
	free(s);

	s = fuzz_cstring(data, size);
	e = expo_new(64u << 20);
	redis_cluster_info_parse(s, &o, e);
	render_and_free(e);
	free(s);

	if (size < 4096) {
		s = fuzz_cstring(data, size);
		struct raddr a;
		char err[256];
		if (raddr_parse(s, size % 2, &a, err, sizeof err) == 0 && !a.display[0])
			abort();
		free(s);
	}
	return 0;
}
