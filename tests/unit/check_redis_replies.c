// links: redis_exporter
/*
 * The parsers of reply trees (replies.c) on recorded Redis 7.0 replies
 * (LATENCY HISTOGRAM, XINFO STREAM, GROUPS, CONSUMERS, as the raw bytes the
 * server sent) and on broken variants: wrong shapes, truncated, garbage.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/expo.h"
#include "../../redis_exporter/replies.h"
#include "unit.h"

#define FIX "tests/fixtures/redis/"

/* One reply from RESP bytes (NULL if they hold no complete reply). */
static redisReply *reply_of(const char *bytes, size_t n)
{
	redisReader *r = rreader_new();
	ck_assert(r != NULL);
	void *out = NULL;
	redisReaderFeed(r, bytes, n);
	if (redisReaderGetReply(r, &out) != REDIS_OK)
		out = NULL;
	redisReaderFree(r);
	return out;
}

static redisReply *reply_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	static char buf[1 << 16];
	size_t n = fread(buf, 1, sizeof buf, f);
	fclose(f);
	redisReply *r = reply_of(buf, n);
	ck_assert_msg(r != NULL, "%s holds no reply", path);
	return r;
}

static char *render(struct expo *e)
{
	struct buf b;
	buf_init(&b, 64u << 20);
	ck_assert_int_eq(expo_render(e, EXPO_TEXT, &b), 0);
	char *t = buf_detach(&b, NULL);
	expo_free(e);
	return t;
}

#define HAS(t, s) ck_assert_msg(strstr((t), (s)) != NULL, "missing: %s\n%s", (s), (t))
#define LACKS(t, s) ck_assert_msg(strstr((t), (s)) == NULL, "unexpected: %s", (s))

static const char info[] = "# Commandstats\r\n"
			   "cmdstat_get:calls=50,usec=120,usec_per_call=2.40,rejected_calls=0,failed_calls=0\r\n"
			   "cmdstat_client|list:calls=2,usec=40,usec_per_call=20.00\r\n"
			   "cmdstat_client|setname:calls=1,usec=3,usec_per_call=3.00\r\n"
			   "cmdstat_clients:calls=1,usec=1000,usec_per_call=1000.00\r\n"
			   "cmdstat_xgroup|create:calls=2,usec=17,usec_per_call=8.50\r\n"
			   "cmdstat_broken:calls=1\r\n"
			   "cmdstat_:calls=1,usec=9\r\n"
			   "\r\n# Keyspace\r\ndb0:keys=1,expires=0,avg_ttl=0\r\n";

START_TEST(test_cmdusec_sums)
{
	struct cmdusec_index idx;
	ck_assert_int_eq(cmdusec_index_build(info, sizeof info - 1, &idx), 0);
	ck_assert_uint_eq(idx.n, 5);
	ck_assert_uint_eq(cmdusec_sum(&idx, "get", 3), 120);
	/* a container command sums its subcommands, and not a longer name */
	ck_assert_uint_eq(cmdusec_sum(&idx, "client", 6), 43);
	ck_assert_uint_eq(cmdusec_sum(&idx, "client|list", 11), 40);
	ck_assert_uint_eq(cmdusec_sum(&idx, "clients", 7), 1000);
	ck_assert_uint_eq(cmdusec_sum(&idx, "set", 3), 0);
	ck_assert_uint_eq(cmdusec_sum(&idx, "", 0), 0);
	cmdusec_index_free(&idx);
	ck_assert_int_eq(cmdusec_index_build("", 0, &idx), 0);
	ck_assert_uint_eq(cmdusec_sum(&idx, "get", 3), 0);
	cmdusec_index_free(&idx);
}
END_TEST

START_TEST(test_latency_histogram)
{
	redisReply *r = reply_file(FIX "latency-histogram-7.0.resp");
	struct cmdusec_index idx;
	ck_assert_int_eq(cmdusec_index_build(info, sizeof info - 1, &idx), 0);
	struct expo *e = expo_new(1 << 20);
	ck_assert_int_eq(latency_histogram_metrics(r, &idx, "redis", e), 8);
	char *t = render(e);
	HAS(t, "# TYPE redis_commands_latencies_usec histogram\n");
	HAS(t, "redis_commands_latencies_usec_bucket{cmd=\"get\",le=\"4\"} 2\n");
	HAS(t, "redis_commands_latencies_usec_bucket{cmd=\"get\",le=\"8\"} 50\n");
	HAS(t, "redis_commands_latencies_usec_bucket{cmd=\"get\",le=\"+Inf\"} 50\n");
	HAS(t, "redis_commands_latencies_usec_sum{cmd=\"get\"} 120\n");
	HAS(t, "redis_commands_latencies_usec_count{cmd=\"get\"} 50\n");
	HAS(t, "redis_commands_latencies_usec_sum{cmd=\"xgroup|create\"} 17\n");
	HAS(t, "redis_commands_latencies_usec_bucket{cmd=\"xgroup|create\",le=\"16\"} 2\n");
	/* commands without commandstats have a sum of 0 */
	HAS(t, "redis_commands_latencies_usec_sum{cmd=\"set\"} 0\n");
	free(t);
	freeReplyObject(r);
	cmdusec_index_free(&idx);
}
END_TEST

/* Broken LATENCY HISTOGRAM replies: commands of another shape are left out, never trusted. */
START_TEST(test_latency_histogram_broken)
{
	struct cmdusec_index idx = { 0 };
	static const struct {
		const char *resp;
		int want;
	} cases[] = {
		{ "-ERR unknown subcommand\r\n", -1 },
		{ ":3\r\n", -1 },
		{ "*1\r\n$3\r\nget\r\n", -1 },
		{ "*0\r\n", 0 },
		/* details not an array */
		{ "*2\r\n$3\r\nget\r\n:5\r\n", 0 },
		/* no calls */
		{ "*2\r\n$3\r\nget\r\n*2\r\n$14\r\nhistogram_usec\r\n*2\r\n:1\r\n:1\r\n", 0 },
		/* odd bucket list */
		{ "*2\r\n$3\r\nget\r\n*4\r\n$5\r\ncalls\r\n:1\r\n$14\r\nhistogram_usec\r\n*1\r\n:1\r\n", 0 },
		/* a negative count */
		{ "*2\r\n$3\r\nget\r\n*4\r\n$5\r\ncalls\r\n:1\r\n$14\r\nhistogram_usec\r\n*2\r\n:1\r\n:-1\r\n", 0 },
		/* a bucket that is an array */
		{ "*2\r\n$3\r\nget\r\n*4\r\n$5\r\ncalls\r\n:1\r\n$14\r\nhistogram_usec\r\n*2\r\n*0\r\n:1\r\n", 0 },
		/* the name is not a string */
		{ "*2\r\n:1\r\n*4\r\n$5\r\ncalls\r\n:1\r\n$14\r\nhistogram_usec\r\n*2\r\n:1\r\n:1\r\n", 0 },
		/* unsorted buckets are sorted; a good one next to a bad one */
		{ "*4\r\n$1\r\na\r\n*4\r\n$5\r\ncalls\r\n:3\r\n$14\r\nhistogram_usec\r\n*4\r\n:8\r\n:3\r\n:2\r\n:1\r\n"
		  "$1\r\nb\r\n:0\r\n",
		  1 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		redisReply *r = reply_of(cases[i].resp, strlen(cases[i].resp));
		ck_assert_msg(r != NULL, "case %zu", i);
		struct expo *e = expo_new(1 << 20);
		ck_assert_msg(latency_histogram_metrics(r, &idx, "redis", e) == cases[i].want, "case %zu", i);
		char *t = render(e);
		if (i + 1 == sizeof cases / sizeof cases[0]) {
			HAS(t, "redis_commands_latencies_usec_bucket{cmd=\"a\",le=\"2\"} 1\n");
			HAS(t, "redis_commands_latencies_usec_bucket{cmd=\"a\",le=\"8\"} 3\n");
		}
		free(t);
		freeReplyObject(r);
	}
	/* more buckets than any Redis has */
	char big[8192];
	size_t n = (size_t)snprintf(big, sizeof big, "*2\r\n$1\r\nx\r\n*4\r\n$5\r\ncalls\r\n:1\r\n$14\r\nhistogram_usec\r\n*%d\r\n",
				    2 * (HISTOGRAM_MAX_BUCKETS + 1));
	for (int i = 0; i < 2 * (HISTOGRAM_MAX_BUCKETS + 1); i++)
		n += (size_t)snprintf(big + n, sizeof big - n, ":%d\r\n", i);
	redisReply *r = reply_of(big, n);
	struct expo *e = expo_new(1 << 20);
	ck_assert_int_eq(latency_histogram_metrics(r, &idx, "redis", e), 0);
	free(render(e));
	freeReplyObject(r);
}
END_TEST

START_TEST(test_stream_replies)
{
	redisReply *r = reply_file(FIX "xinfo-stream-7.0.resp");
	struct stream_info si;
	char err[256];
	ck_assert_int_eq(stream_info_parse(r, &si, err, sizeof err), 0);
	ck_assert_double_eq(si.length, 2);
	ck_assert_double_eq(si.radix_keys, 1);
	ck_assert_double_eq(si.radix_nodes, 2);
	ck_assert_double_eq(si.groups, 2);
	ck_assert_double_eq(si.entries_added, 2);
	ck_assert_double_eq(si.last_generated_ms, 1700000000500.0);
	ck_assert_double_eq(si.first_entry_ms, 1700000000000.0);
	ck_assert_double_eq(si.last_entry_ms, 1700000000500.0);
	ck_assert_double_eq(si.max_deleted_ms, 0);
	freeReplyObject(r);

	r = reply_file(FIX "xinfo-groups-7.0.resp");
	ck_assert_int_eq(r->type, REDIS_REPLY_ARRAY);
	ck_assert_uint_eq(r->elements, 2);
	struct stream_group g;
	ck_assert_int_eq(stream_group_parse(r->element[0], &g), 0);
	ck_assert_str_eq(g.name, "g1");
	ck_assert_double_eq(g.consumers, 1);
	ck_assert_double_eq(g.pending, 1);
	ck_assert_double_eq(g.entries_read, 1);
	ck_assert_double_eq(g.lag, 1);
	ck_assert_double_eq(g.last_delivered_ms, 1700000000000.0);
	/* entries-read nil: 0, as upstream */
	ck_assert_int_eq(stream_group_parse(r->element[1], &g), 0);
	ck_assert_str_eq(g.name, "g2");
	ck_assert_double_eq(g.entries_read, 0);
	freeReplyObject(r);

	r = reply_file(FIX "xinfo-consumers-7.0.resp");
	ck_assert_uint_eq(r->elements, 1);
	char name[64];
	double pending, idle;
	ck_assert_int_eq(stream_consumer_parse(r->element[0], name, sizeof name, &pending, &idle), 0);
	ck_assert_str_eq(name, "alice");
	ck_assert_double_eq(pending, 1);
	ck_assert(idle >= 0);
	freeReplyObject(r);

	ck_assert_double_eq(stream_id_ms("1526919030474-55", 16), 1526919030474.0);
	ck_assert_double_eq(stream_id_ms("", 0), 0);
	ck_assert_double_eq(stream_id_ms("abc-1", 5), 0);
	ck_assert_double_eq(stream_id_ms("5", 1), 5);
}
END_TEST

START_TEST(test_stream_replies_broken)
{
	static const char *const streams[] = {
		"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
		"*1\r\n$6\r\nlength\r\n",
		"*2\r\n:1\r\n:2\r\n",
		"*2\r\n$6\r\nlength\r\n$3\r\nabc\r\n",
		"$5\r\nhello\r\n",
	};
	for (size_t i = 0; i < sizeof streams / sizeof streams[0]; i++) {
		redisReply *r = reply_of(streams[i], strlen(streams[i]));
		struct stream_info si;
		char err[256] = "";
		ck_assert_msg(stream_info_parse(r, &si, err, sizeof err) == -1, "case %zu", i);
		ck_assert(err[0]);
		freeReplyObject(r);
	}
	ck_assert_int_eq(stream_info_parse(NULL, &(struct stream_info){ 0 }, (char[64]){ 0 }, 64), -1);
	/* odd shapes of the entries are ignored, not trusted */
	const char *odd = "*8\r\n$11\r\nfirst-entry\r\n*0\r\n$10\r\nlast-entry\r\n:4\r\n$17\r\nlast-generated-id\r\n*1\r\n:1\r\n"
			  "$6\r\nlength\r\n$-1\r\n";
	redisReply *r = reply_of(odd, strlen(odd));
	struct stream_info si;
	char err[64];
	ck_assert_int_eq(stream_info_parse(r, &si, err, sizeof err), 0);
	ck_assert_double_eq(si.first_entry_ms + si.last_entry_ms + si.last_generated_ms + si.length, 0);
	freeReplyObject(r);

	struct stream_group g;
	char name[8];
	double p, idle;
	const char *bad[] = { ":1\r\n", "*1\r\n$4\r\nname\r\n", "*2\r\n$7\r\npending\r\n$1\r\nx\r\n" };
	for (size_t i = 0; i < 3; i++) {
		r = reply_of(bad[i], strlen(bad[i]));
		ck_assert_int_eq(stream_group_parse(r, &g), -1);
		ck_assert_int_eq(stream_consumer_parse(r, name, sizeof name, &p, &idle), -1);
		freeReplyObject(r);
	}
	/* a long name is cut, not overflowed */
	const char *longname = "*2\r\n$4\r\nname\r\n$20\r\nabcdefghijklmnopqrst\r\n";
	r = reply_of(longname, strlen(longname));
	ck_assert_int_eq(stream_consumer_parse(r, name, sizeof name, &p, &idle), 0);
	ck_assert_str_eq(name, "abcdefg");
	freeReplyObject(r);
}
END_TEST

START_TEST(test_search_index)
{
	redisReply *r = reply_file(FIX "ft-info-redisearch-1.2.resp");
	struct search_index si;
	char err[256];
	ck_assert_int_eq(search_index_parse(r, &si, err, sizeof err), 0);
	ck_assert_str_eq(si.name, "books");
	ck_assert_double_eq(si.v[SF_NUM_DOCS], 3);
	ck_assert_double_eq(si.v[SF_NUM_RECORDS], 9);
	ck_assert_double_eq(si.v[SF_INVERTED_MB], 5.14984130859375e-05);
	ck_assert_double_eq(si.v[SF_GEOSHAPES_MB], 0); /* not in RediSearch 1.2: 0 */
	struct expo *e = expo_new(1 << 20);
	search_index_metrics(e, "redis", &si);
	char *t = render(e);
	HAS(t, "redis_search_index_num_docs{index_name=\"books\"} 3\n");
	HAS(t, "# TYPE redis_search_index_number_of_uses_total counter\n");
	HAS(t, "redis_search_index_inverted_size_bytes{index_name=\"books\"} 54\n");
	free(t);
	freeReplyObject(r);
	/* an empty index of RediSearch 1.2 says -nan, which upstream's scan refuses: the index is left out */
	const char *nan = "*4\r\n+index_name\r\n+idx\r\n+records_per_doc_avg\r\n$4\r\n-nan\r\n";
	r = reply_of(nan, strlen(nan));
	ck_assert_int_eq(search_index_parse(r, &si, err, sizeof err), -1);
	ck_assert(strstr(err, "records_per_doc_avg"));
	freeReplyObject(r);
	/* an integer field given as 1.5 is refused too; nil is skipped */
	const char *odd = "*4\r\n+num_docs\r\n$3\r\n1.5\r\n+num_terms\r\n$-1\r\n";
	r = reply_of(odd, strlen(odd));
	ck_assert_int_eq(search_index_parse(r, &si, err, sizeof err), -1);
	freeReplyObject(r);
	ck_assert_int_eq(search_index_parse(NULL, &si, err, sizeof err), -1);
}
END_TEST

/* An array header asking for billions of elements is refused before anything is allocated. */
START_TEST(test_reader_bounds_arrays)
{
	static const char *const huge[] = { "*1700000000\r\n", "*2\r\n*1048577\r\n", "*99999999999\r\n:1\r\n" };
	for (size_t i = 0; i < 3; i++) {
		redisReader *r = rreader_new();
		void *out = NULL;
		redisReaderFeed(r, huge[i], strlen(huge[i]));
		ck_assert_msg(redisReaderGetReply(r, &out) == REDIS_ERR, "%s accepted", huge[i]);
		ck_assert_ptr_null(out);
		redisReaderFree(r);
	}
	/* the largest allowed array still reads */
	redisReader *r = rreader_new();
	char head[32];
	snprintf(head, sizeof head, "*%d\r\n", REPLY_MAX_ELEMENTS);
	redisReaderFeed(r, head, strlen(head));
	for (int i = 0; i < REPLY_MAX_ELEMENTS; i++)
		redisReaderFeed(r, ":1\r\n", 4);
	void *out = NULL;
	ck_assert_int_eq(redisReaderGetReply(r, &out), REDIS_OK);
	ck_assert_uint_eq(((redisReply *)out)->elements, REPLY_MAX_ELEMENTS);
	freeReplyObject(out);
	redisReaderFree(r);
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("redis_replies");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_cmdusec_sums);
	tcase_add_test(tc, test_latency_histogram);
	tcase_add_test(tc, test_latency_histogram_broken);
	tcase_add_test(tc, test_stream_replies);
	tcase_add_test(tc, test_stream_replies_broken);
	tcase_add_test(tc, test_reader_bounds_arrays);
	tcase_add_test(tc, test_search_index);
	suite_add_tcase(s, tc);
	return s;
}
