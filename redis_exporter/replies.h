/*
 * Parsers of Redis replies that are trees rather than text: LATENCY
 * HISTOGRAM and the XINFO replies of streams. They take hiredis reply
 * objects (whatever the server sent, checked shape by shape: a reply of
 * the wrong shape is skipped or refused, never trusted) and write metric
 * families under upstream's names. No regular expressions: upstream
 * spends about half its CPU per scrape matching INFO with one for the
 * histogram's sums.
 */
#ifndef REDIS_REPLIES_H
#define REDIS_REPLIES_H

#include <hiredis/hiredis.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/expo.h"

/* ---- reading replies ---- */

/*
 * Most elements of one array reply. hiredis 0.14 allocates an array's
 * element pointers as soon as it reads the header, so "*1700000000" from a
 * broken or hostile server would ask for 13 GB; no reply we read comes
 * near this (SCAN batches are --check-keys-batch-size keys).
 */
#define REPLY_MAX_ELEMENTS (1 << 20)

/* hiredis' reply reader, refusing arrays of more than REPLY_MAX_ELEMENTS (an error). NULL: out of memory. */
redisReader *rreader_new(void);

/* ---- the microseconds of each command, from INFO's Commandstats ---- */

struct cmdusec {
	char name[64];
	uint64_t usec;
};

struct cmdusec_index {
	struct cmdusec *items; /* sorted by name */
	size_t n;
};

/*
 * Index the cmdstat_<name>:...,usec=N,... lines of an INFO reply (the text
 * is not modified). Returns 0, or -1 when out of memory (idx empty).
 */
int cmdusec_index_build(const char *info, size_t len, struct cmdusec_index *idx);
void cmdusec_index_free(struct cmdusec_index *idx);

/* Microseconds of cmd and of its subcommands (cmd|sub), as upstream sums them. */
uint64_t cmdusec_sum(const struct cmdusec_index *idx, const char *cmd, size_t len);

/* ---- LATENCY HISTOGRAM ---- */

/* Most buckets of one command's histogram (Redis has powers of two up to about 2^40). */
#define HISTOGRAM_MAX_BUCKETS 128

/*
 * <ns>_commands_latencies_usec{cmd} histograms from a LATENCY HISTOGRAM
 * reply (RESP2: name, [calls, N, histogram_usec, [bound, cumulative
 * count, ...]], ...), summed with idx. A command whose entry has another
 * shape is left out. Returns the number of commands written, or -1 if
 * the reply itself is not an array of pairs.
 */
int latency_histogram_metrics(const redisReply *r, const struct cmdusec_index *idx, const char *ns,
			      struct expo *e);

/* ---- streams (XINFO) ---- */

/* A consumer group of a stream, from XINFO GROUPS. */
struct stream_group {
	char name[256];
	double consumers, pending, entries_read, lag;
	double last_delivered_ms; /* milliseconds part of last-delivered-id */
};

/* XINFO STREAM's fields that become metrics. */
struct stream_info {
	double length, radix_keys, radix_nodes, groups, entries_added;
	double last_generated_ms, max_deleted_ms, first_entry_ms, last_entry_ms;
};

/*
 * Read an XINFO STREAM reply (a flat array of field, value). Fields absent
 * or nil stay 0, as upstream's. Returns 0, or -1 with err if the reply is
 * not such an array.
 */
int stream_info_parse(const redisReply *r, struct stream_info *out, char *err, size_t errlen);

/*
 * Read one element of an XINFO GROUPS reply. Returns 0, or -1 if it is not
 * a field/value array.
 */
int stream_group_parse(const redisReply *r, struct stream_group *out);

/*
 * One element of an XINFO CONSUMERS reply: its name, pending messages and
 * idle milliseconds. Returns 0, or -1 if it is not a field/value array.
 */
int stream_consumer_parse(const redisReply *r, char *name, size_t namelen, double *pending,
			  double *idle_ms);

/* ---- RediSearch indexes (FT.INFO) ---- */

/* FT.INFO's fields that become metrics, by upstream's names: sizes in MB, as Redis gives them. */
enum search_field {
	SF_NUM_DOCS, SF_MAX_DOC_ID, SF_NUM_TERMS, SF_NUM_RECORDS, SF_INVERTED_MB, SF_INVERTED_BLOCKS,
	SF_VECTOR_MB, SF_OFFSET_VECTORS_MB, SF_DOC_TABLE_MB, SF_SORTABLE_MB, SF_KEY_TABLE_MB, SF_TAG_OVERHEAD_MB,
	SF_TEXT_OVERHEAD_MB, SF_TOTAL_MEMORY_MB, SF_GEOSHAPES_MB, SF_RECORDS_PER_DOC, SF_BYTES_PER_RECORD,
	SF_OFFSETS_PER_TERM, SF_OFFSET_BITS_PER_RECORD, SF_INDEXING, SF_PERCENT_INDEXED, SF_HASH_FAILURES,
	SF_NUMBER_OF_USES, SF_CLEANING, SF_N
};

struct search_index {
	char name[256];
	double v[SF_N]; /* absent fields are 0 */
};

/*
 * Read an FT.INFO reply (field, value, ...). As upstream's redigo scan: nil
 * values are skipped, other fields ignored, and a field of ours that is not
 * a number (RediSearch 1.x's "-nan") refuses the whole index. Returns 0, or
 * -1 with err.
 */
int search_index_parse(const redisReply *r, struct search_index *out, char *err, size_t errlen);

/* <ns>_search_index_* families of one index (sizes in bytes). */
void search_index_metrics(struct expo *e, const char *ns, const struct search_index *si);

/* The milliseconds part of a stream ID "1526919030474-55" (0 if empty or not a number). */
double stream_id_ms(const char *id, size_t len);

#endif
