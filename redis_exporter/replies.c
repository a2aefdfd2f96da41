/* LATENCY HISTOGRAM and XINFO replies to metric families (see replies.h). */
#include "replies.h"

#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "../common/parse.h"

/* ---- reading replies ---- */

/* hiredis' own functions with a bound on arrays; set once, read-only afterwards. */
static redisReplyObjectFunctions bounded;
static void *(*create_array)(const redisReadTask *, int);
static pthread_once_t bounded_once = PTHREAD_ONCE_INIT;

static void *bounded_array(const redisReadTask *task, int elements)
{
	if (elements < 0 || elements > REPLY_MAX_ELEMENTS)
		return NULL; /* the reader reports it as an error and stops */
	return create_array(task, elements);
}

static void bounded_init(void)
{
	redisReader *r = redisReaderCreate();
	if (!r)
		return;
	bounded = *r->fn;
	create_array = bounded.createArray;
	bounded.createArray = bounded_array;
	redisReaderFree(r);
}

redisReader *rreader_new(void)
{
	pthread_once(&bounded_once, bounded_init);
	redisReader *r = redisReaderCreate();
	if (r && create_array)
		r->fn = &bounded;
	return r;
}

/* ---- Commandstats microseconds ---- */

static int cmp_cmdusec(const void *a, const void *b)
{
	return strcmp(((const struct cmdusec *)a)->name, ((const struct cmdusec *)b)->name);
}

/* The number after "usec=" in "calls=3,usec=10,usec_per_call=3.33,...", or -1. */
static int usec_field(const char *v, const char *end, uint64_t *out)
{
	while (v < end) {
		const char *comma = memchr(v, ',', (size_t)(end - v));
		const char *item_end = comma ? comma : end;
		if (item_end - v > 5 && !memcmp(v, "usec=", 5))
			return parse_u64_n(v + 5, (size_t)(item_end - v - 5), out);
		v = item_end + 1;
	}
	return -1;
}

int cmdusec_index_build(const char *info, size_t len, struct cmdusec_index *idx)
{
	idx->items = NULL;
	idx->n = 0;
	size_t cap = 0;
	const char *end = info + len;
	for (const char *line = info; line < end;) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		const char *eol = nl ? nl : end;
		const char *next = nl ? nl + 1 : end;
		if (eol > line && eol[-1] == '\r')
			eol--;
		static const char prefix[] = "cmdstat_";
		const char *name = line + sizeof prefix - 1;
		const char *colon = eol - line > (long)sizeof prefix ? memchr(name, ':', (size_t)(eol - name)) : NULL;
		uint64_t usec;
		if (colon && !memcmp(line, prefix, sizeof prefix - 1) && colon > name &&
		    (size_t)(colon - name) < sizeof idx->items->name && usec_field(colon + 1, eol, &usec) == 0) {
			if (idx->n == cap) {
				size_t ncap = cap ? cap * 2 : 64;
				struct cmdusec *p = realloc(idx->items, ncap * sizeof *p);
				if (!p) {
					cmdusec_index_free(idx);
					return -1;
				}
				idx->items = p;
				cap = ncap;
			}
			struct cmdusec *c = &idx->items[idx->n++];
			memcpy(c->name, name, (size_t)(colon - name));
			c->name[colon - name] = '\0';
			c->usec = usec;
		}
		line = next;
	}
	if (idx->n)
		qsort(idx->items, idx->n, sizeof *idx->items, cmp_cmdusec);
	return 0;
}

void cmdusec_index_free(struct cmdusec_index *idx)
{
	free(idx->items);
	idx->items = NULL;
	idx->n = 0;
}

uint64_t cmdusec_sum(const struct cmdusec_index *idx, const char *cmd, size_t len)
{
	/* cmd and every "cmd|sub" sort together: find the first name >= cmd, walk while they match. */
	size_t lo = 0, hi = idx->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strncmp(idx->items[mid].name, cmd, len) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	uint64_t total = 0;
	for (size_t i = lo; i < idx->n && !strncmp(idx->items[i].name, cmd, len); i++) {
		char after = idx->items[i].name[len];
		if (after == '\0' || after == '|')
			total += idx->items[i].usec;
	}
	return total;
}

/* ---- LATENCY HISTOGRAM ---- */

static bool is_text(const redisReply *r)
{
	return r && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS);
}

static bool text_is(const redisReply *r, const char *s)
{
	return is_text(r) && r->len == strlen(s) && !memcmp(r->str, s, r->len);
}

/* A non-negative integer reply (or a string holding one). */
static bool as_count(const redisReply *r, uint64_t *out)
{
	if (r && r->type == REDIS_REPLY_INTEGER && r->integer >= 0) {
		*out = (uint64_t)r->integer;
		return true;
	}
	return is_text(r) && parse_u64_n(r->str, r->len, out) == 0;
}

struct bucket {
	double bound;
	uint64_t count;
};

static int cmp_bucket(const void *a, const void *b)
{
	double x = ((const struct bucket *)a)->bound, y = ((const struct bucket *)b)->bound;
	return x < y ? -1 : x > y;
}

/* One command's [calls, N, histogram_usec, [bound, count, ...]]; false if of another shape. */
static bool one_histogram(const redisReply *d, uint64_t *calls, struct bucket *b, size_t *nb)
{
	const redisReply *hist = NULL;
	bool have_calls = false;
	if (!d || d->type != REDIS_REPLY_ARRAY || d->elements % 2)
		return false;
	for (size_t i = 0; i + 1 < d->elements; i += 2) {
		if (text_is(d->element[i], "calls"))
			have_calls = as_count(d->element[i + 1], calls);
		else if (text_is(d->element[i], "histogram_usec"))
			hist = d->element[i + 1];
	}
	if (!have_calls || !hist || hist->type != REDIS_REPLY_ARRAY || hist->elements % 2 ||
	    hist->elements / 2 > HISTOGRAM_MAX_BUCKETS)
		return false;
	size_t n = 0;
	bool sorted = true;
	for (size_t i = 0; i + 1 < hist->elements; i += 2) {
		uint64_t bound, count;
		if (!as_count(hist->element[i], &bound) || !as_count(hist->element[i + 1], &count))
			return false;
		/* A bound given twice keeps its last count, as upstream's map. */
		if (n && b[n - 1].bound == (double)bound) {
			b[n - 1].count = count;
			continue;
		}
		if (n && b[n - 1].bound > (double)bound)
			sorted = false;
		b[n++] = (struct bucket){ (double)bound, count };
	}
	if (!sorted)
		qsort(b, n, sizeof *b, cmp_bucket);
	*nb = n;
	return true;
}

int latency_histogram_metrics(const redisReply *r, const struct cmdusec_index *idx, const char *ns,
			      struct expo *e)
{
	if (!r || r->type != REDIS_REPLY_ARRAY || r->elements % 2)
		return -1;
	char name[128];
	strf(name, sizeof name, "%s_commands_latencies_usec", ns);
	struct family *f = NULL;
	int written = 0;
	for (size_t i = 0; i + 1 < r->elements; i += 2) {
		const redisReply *cmd = r->element[i];
		struct bucket b[HISTOGRAM_MAX_BUCKETS];
		size_t nb = 0;
		uint64_t calls = 0;
		char label[256];
		if (!is_text(cmd) || cmd->len >= sizeof label || !one_histogram(r->element[i + 1], &calls, b, &nb))
			continue;
		double bounds[HISTOGRAM_MAX_BUCKETS];
		uint64_t counts[HISTOGRAM_MAX_BUCKETS];
		for (size_t k = 0; k < nb; k++) {
			bounds[k] = b[k].bound;
			counts[k] = b[k].count;
		}
		if (!f)
			f = expo_family(e, name, METRIC_HISTOGRAM,
					"Latencies of a command in microseconds (LATENCY HISTOGRAM); the sum is the command's usec of INFO commandstats.",
					(const char *const[]){ "cmd", NULL });
		strf(label, sizeof label, "%.*s", (int)cmd->len, cmd->str);
		expo_add_histogram(e, f, (const char *const[]){ label }, calls,
				   (double)cmdusec_sum(idx, cmd->str, cmd->len), nb, bounds, counts);
		written++;
	}
	return written;
}

/* ---- streams ---- */

double stream_id_ms(const char *id, size_t len)
{
	const char *dash = memchr(id, '-', len);
	double v;
	return parse_double_n(id, dash ? (size_t)(dash - id) : len, &v) == 0 ? v : 0;
}

/* A number reply as upstream's int64 fields take it: an integer, or a string of one. */
static bool as_number(const redisReply *r, double *out)
{
	int64_t v;
	char tmp[32];
	if (r->type == REDIS_REPLY_INTEGER) {
		*out = (double)r->integer;
		return true;
	}
	if (!is_text(r) || r->len >= sizeof tmp)
		return false;
	memcpy(tmp, r->str, r->len);
	tmp[r->len] = '\0';
	if (parse_i64(tmp, &v) < 0)
		return false;
	*out = (double)v;
	return true;
}

/* The ID of a stream entry [id, [field, value...]], or NULL. */
static const redisReply *entry_id(const redisReply *r)
{
	if (!r || r->type != REDIS_REPLY_ARRAY || r->elements < 1 || !is_text(r->element[0]))
		return NULL;
	return r->element[0];
}

static bool field_value_array(const redisReply *r)
{
	if (!r || r->type != REDIS_REPLY_ARRAY || r->elements % 2)
		return false;
	for (size_t i = 0; i < r->elements; i += 2)
		if (!is_text(r->element[i]))
			return false;
	return true;
}

int stream_info_parse(const redisReply *r, struct stream_info *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof *out);
	if (!field_value_array(r)) {
		strf(err, errlen, "XINFO STREAM: %s", r && r->type == REDIS_REPLY_ERROR ? r->str : "unexpected reply");
		return -1;
	}
	static const struct {
		const char *field;
		size_t offset;
	} numbers[] = {
		{ "length", offsetof(struct stream_info, length) },
		{ "radix-tree-keys", offsetof(struct stream_info, radix_keys) },
		{ "radix-tree-nodes", offsetof(struct stream_info, radix_nodes) },
		{ "groups", offsetof(struct stream_info, groups) },
		{ "entries-added", offsetof(struct stream_info, entries_added) },
	};
	for (size_t i = 0; i + 1 < r->elements; i += 2) {
		const redisReply *k = r->element[i], *v = r->element[i + 1];
		if (v->type == REDIS_REPLY_NIL)
			continue;
		for (size_t n = 0; n < sizeof numbers / sizeof numbers[0]; n++) {
			if (!text_is(k, numbers[n].field))
				continue;
			/* Upstream gives up on the stream when a number is not one. */
			if (!as_number(v, (double *)((char *)out + numbers[n].offset))) {
				strf(err, errlen, "XINFO STREAM: %s is not a number", numbers[n].field);
				return -1;
			}
		}
		const redisReply *id = NULL;
		double *dst = NULL;
		if (text_is(k, "last-generated-id")) {
			id = is_text(v) ? v : NULL;
			dst = &out->last_generated_ms;
		} else if (text_is(k, "max-deleted-entry-id")) {
			id = is_text(v) ? v : NULL;
			dst = &out->max_deleted_ms;
		} else if (text_is(k, "first-entry")) {
			id = entry_id(v);
			dst = &out->first_entry_ms;
		} else if (text_is(k, "last-entry")) {
			id = entry_id(v);
			dst = &out->last_entry_ms;
		}
		if (id)
			*dst = stream_id_ms(id->str, id->len);
	}
	return 0;
}

int stream_group_parse(const redisReply *r, struct stream_group *out)
{
	memset(out, 0, sizeof *out);
	if (!field_value_array(r))
		return -1;
	for (size_t i = 0; i + 1 < r->elements; i += 2) {
		const redisReply *k = r->element[i], *v = r->element[i + 1];
		if (v->type == REDIS_REPLY_NIL)
			continue;
		double *dst = text_is(k, "consumers")	 ? &out->consumers
			      : text_is(k, "pending")	 ? &out->pending
			      : text_is(k, "entries-read") ? &out->entries_read
			      : text_is(k, "lag")	 ? &out->lag
							 : NULL;
		if (dst && !as_number(v, dst))
			return -1;
		if (text_is(k, "name") && is_text(v))
			strf(out->name, sizeof out->name, "%.*s", (int)v->len, v->str);
		else if (text_is(k, "last-delivered-id") && is_text(v))
			out->last_delivered_ms = stream_id_ms(v->str, v->len);
	}
	return 0;
}

int stream_consumer_parse(const redisReply *r, char *name, size_t namelen, double *pending,
			  double *idle_ms)
{
	*pending = *idle_ms = 0;
	name[0] = '\0';
	if (!field_value_array(r))
		return -1;
	for (size_t i = 0; i + 1 < r->elements; i += 2) {
		const redisReply *k = r->element[i], *v = r->element[i + 1];
		if (v->type == REDIS_REPLY_NIL)
			continue;
		if (text_is(k, "name") && is_text(v))
			strf(name, namelen, "%.*s", (int)v->len, v->str);
		else if ((text_is(k, "pending") && !as_number(v, pending)) || (text_is(k, "idle") && !as_number(v, idle_ms)))
			return -1;
	}
	return 0;
}

/* ---- RediSearch indexes ---- */

static const struct {
	const char *field; /* FT.INFO's */
	const char *metric; /* after <ns>_search_index_ */
	bool integer; /* upstream scans it into an int64 */
	double scale;
	const char *help;
} search_fields[SF_N] = {
	[SF_NUM_DOCS] = { "num_docs", "num_docs", true, 1, "Documents in a search index." },
	[SF_MAX_DOC_ID] = { "max_doc_id", "max_doc_id", true, 1, "Largest document ID of a search index." },
	[SF_NUM_TERMS] = { "num_terms", "num_terms", true, 1, "Distinct terms of a search index." },
	[SF_NUM_RECORDS] = { "num_records", "num_records", true, 1, "Records of a search index." },
	[SF_INVERTED_MB] = { "inverted_sz_mb", "inverted_size_bytes", false, 1048576, "Memory of the inverted index, bytes." },
	[SF_INVERTED_BLOCKS] = { "total_inverted_index_blocks", "total_inverted_index_blocks", true, 1,
				 "Blocks of the inverted index." },
	[SF_VECTOR_MB] = { "vector_index_sz_mb", "vector_index_size_bytes", false, 1048576, "Memory of the vector index, bytes." },
	[SF_OFFSET_VECTORS_MB] = { "offset_vectors_sz_mb", "offset_vectors_size_bytes", false, 1048576,
				   "Memory of the offset vectors, bytes." },
	[SF_DOC_TABLE_MB] = { "doc_table_size_mb", "doc_table_size_bytes", false, 1048576, "Memory of the document table, bytes." },
	[SF_SORTABLE_MB] = { "sortable_values_size_mb", "sortable_values_size_bytes", false, 1048576,
			     "Memory of the sortable values, bytes." },
	[SF_KEY_TABLE_MB] = { "key_table_size_mb", "key_table_size_bytes", false, 1048576, "Memory of the key table, bytes." },
	[SF_TAG_OVERHEAD_MB] = { "tag_overhead_sz_mb", "tag_overhead_size_bytes", false, 1048576,
				 "Memory of the TAG index structures, bytes." },
	[SF_TEXT_OVERHEAD_MB] = { "text_overhead_sz_mb", "text_overhead_size_bytes", false, 1048576,
				  "Memory of the TEXT index structures, bytes." },
	[SF_TOTAL_MEMORY_MB] = { "total_index_memory_sz_mb", "total_index_memory_size_bytes", false, 1048576,
				 "Memory of all the index's structures, bytes." },
	[SF_GEOSHAPES_MB] = { "geoshapes_sz_mb", "geoshapes_size_bytes", false, 1048576, "Memory of GEO fields, bytes." },
	[SF_RECORDS_PER_DOC] = { "records_per_doc_avg", "avg_per_doc_records", false, 1, "Records per document, on average." },
	[SF_BYTES_PER_RECORD] = { "bytes_per_record_avg", "avg_per_record_bytes", false, 1, "Bytes per record, on average." },
	[SF_OFFSETS_PER_TERM] = { "offsets_per_term_avg", "avg_per_term_offsets", false, 1, "Offsets per term, on average." },
	[SF_OFFSET_BITS_PER_RECORD] = { "offset_bits_per_record_avg", "avg_per_record_offset_bits", false, 1,
					"Offset bits per record, on average." },
	[SF_INDEXING] = { "indexing", "indexing", true, 1, "Whether the index is being built." },
	[SF_PERCENT_INDEXED] = { "percent_indexed", "percent_indexed", false, 1, "Share of the index built (0 to 1)." },
	[SF_HASH_FAILURES] = { "hash_indexing_failures", "hash_indexing_failures", true, 1, "Failures while indexing." },
	[SF_NUMBER_OF_USES] = { "number_of_uses", "number_of_uses_total", true, 1, "Times the index was used." },
	[SF_CLEANING] = { "cleaning", "cleaning", true, 1, "Whether the index is being deleted." },
};

int search_index_parse(const redisReply *r, struct search_index *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof *out);
	if (!r || r->type != REDIS_REPLY_ARRAY || r->elements % 2) {
		strf(err, errlen, "FT.INFO: %s", r && r->type == REDIS_REPLY_ERROR ? r->str : "unexpected reply");
		return -1;
	}
	for (size_t i = 0; i + 1 < r->elements; i += 2) {
		const redisReply *k = r->element[i], *v = r->element[i + 1];
		if (v->type == REDIS_REPLY_NIL)
			continue;
		if (!is_text(k)) {
			strf(err, errlen, "FT.INFO: a field name is not a string");
			return -1;
		}
		if (text_is(k, "index_name")) {
			if (!is_text(v) && v->type != REDIS_REPLY_INTEGER) {
				strf(err, errlen, "FT.INFO: index_name is not a string");
				return -1;
			}
			if (is_text(v))
				strf(out->name, sizeof out->name, "%.*s", (int)v->len, v->str);
			else
				strf(out->name, sizeof out->name, "%lld", v->integer);
			continue;
		}
		for (int f = 0; f < SF_N; f++) {
			if (!text_is(k, search_fields[f].field))
				continue;
			char tmp[64];
			bool ok = false;
			if (v->type == REDIS_REPLY_INTEGER) {
				out->v[f] = (double)v->integer;
				ok = true;
			} else if (is_text(v) && v->len < sizeof tmp) {
				memcpy(tmp, v->str, v->len);
				tmp[v->len] = '\0';
				int64_t iv;
				ok = search_fields[f].integer ? parse_i64(tmp, &iv) == 0 : parse_double(tmp, &out->v[f]) == 0;
				if (ok && search_fields[f].integer)
					out->v[f] = (double)iv;
			}
			if (!ok) {
				strf(err, errlen, "FT.INFO: %s is not a number", search_fields[f].field);
				return -1;
			}
		}
	}
	return 0;
}

void search_index_metrics(struct expo *e, const char *ns, const struct search_index *si)
{
	static const char *const lbl[] = { "index_name", NULL };
	for (int f = 0; f < SF_N; f++) {
		char name[128];
		strf(name, sizeof name, "%s_search_index_%s", ns, search_fields[f].metric);
		expo_sample(e, expo_family(e, name, f == SF_NUMBER_OF_USES ? METRIC_COUNTER : METRIC_GAUGE,
					   search_fields[f].help, lbl),
			    si->v[f] * search_fields[f].scale, si->name);
	}
}
