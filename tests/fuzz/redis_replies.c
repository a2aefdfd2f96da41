// links: redis_exporter
/*
 * libFuzzer target for the parsers of reply trees (replies.c): the bytes
 * are RESP as a server sends it, read by hiredis' reader into replies, each
 * given to the LATENCY HISTOGRAM parser, the XINFO STREAM, GROUPS and
 * CONSUMERS parsers and the FT.INFO parser; the same bytes as INFO text feed
 * the commandstats index. Built and run by `make fuzz`; the unit test
 * check_redis_replies_corpus replays its corpus (tests/fuzz/corpus/redis_replies)
 * in every pass.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/buf.h"
#include "../../common/expo.h"
#include "../../redis_exporter/replies.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every parser on one reply and, for arrays, on each element. */
static void parse_all(const redisReply *r, const struct cmdusec_index *idx)
{
	struct expo *e = expo_new(64u << 20);
	int n = latency_histogram_metrics(r, idx, "redis", e);
	if (n > 0 && (r->type != REDIS_REPLY_ARRAY || (size_t)n > r->elements / 2))
		abort(); /* never more histograms than commands */
	struct buf b;
	buf_init(&b, 64u << 20);
	if (expo_render(e, EXPO_TEXT, &b) == 0 && b.len && b.data[b.len - 1] != '\n')
		abort();
	buf_free(&b);
	expo_free(e);

	struct stream_info si;
	char err[256];
	if (stream_info_parse(r, &si, err, sizeof err) < 0 && !err[0])
		abort(); /* a refusal says why */
	struct search_index idx_info;
	if (search_index_parse(r, &idx_info, err, sizeof err) == 0) {
		struct expo *e2 = expo_new(1u << 20);
		search_index_metrics(e2, "redis", &idx_info);
		expo_free(e2);
	}
	struct stream_group g;
	char name[64];
	double pending, idle;
	for (size_t i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
		if (stream_group_parse(r->element[i], &g) == 0 && strlen(g.name) >= sizeof g.name)
			abort();
		if (stream_consumer_parse(r->element[i], name, sizeof name, &pending, &idle) == 0 &&
		    strlen(name) >= sizeof name)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cmdusec_index idx;
	if (cmdusec_index_build((const char *)data, size, &idx) < 0)
		return 0;
	for (size_t i = 1; i < idx.n; i++)
		if (strcmp(idx.items[i - 1].name, idx.items[i].name) > 0)
			abort(); /* the index is sorted */
	redisReader *rd = rreader_new();
	if (!rd) {
		cmdusec_index_free(&idx);
		return 0;
	}
	redisReaderFeed(rd, (const char *)data, size);
	/* Several replies in a row, as in a pipeline, until one is incomplete or garbage. */
	for (int k = 0; k < 64; k++) {
		void *r = NULL;
		if (redisReaderGetReply(rd, &r) != REDIS_OK || !r)
			break;
		parse_all(r, &idx);
		freeReplyObject(r);
	}
	redisReaderFree(rd);
	cmdusec_index_free(&idx);
	return 0;
}
