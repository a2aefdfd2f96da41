/*
 * The Prometheus text exposition format 0.0.4, parsed as upstream
 * node_exporter's textfile collector parses it: a port of expfmt's
 * TextParser state machine with legacy metric and label names, plus the
 * checks the textfile collector needs before re-exporting (no client-side
 * timestamps, no gauge histograms, no "__" label names).
 *
 * Parsed data lives in the caller's arena; nothing is allocated per line.
 * The token buffer is handed in and back out so that a collector can keep
 * it between scrapes.
 */
#ifndef NODE_TEXTPARSE_H
#define NODE_TEXTPARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/arena.h"
#include "../common/buf.h"
#include "../common/hashtab.h"

/* Values of io.prometheus.client.MetricType; UNSET reads as COUNTER, as GetType() does. */
enum text_type {
	TEXT_UNSET = -1,
	TEXT_COUNTER,
	TEXT_GAUGE,
	TEXT_SUMMARY,
	TEXT_UNTYPED,
	TEXT_HISTOGRAM,
	TEXT_GAUGE_HISTOGRAM,
};

struct text_label {
	const char *name, *value;
};

struct text_point {
	double bound; /* quantile or upper bound */
	double value; /* quantile value or cumulative count */
	size_t seq;
};

struct text_metric {
	struct text_label *labels;
	size_t nlabels, caplabels;
	double value; /* counter, gauge, untyped */
	uint64_t count;
	double sum;
	bool float_counts; /* a histogram count that is not an integer */
	struct text_point *pts;
	size_t npts, cappts;
};

struct text_family {
	const char *name;
	const char *help; /* NULL: no HELP line */
	int type; /* enum text_type */
	struct text_metric **metrics;
	size_t nmetrics, capmetrics;
	const char *file; /* as given to text_parse() */
	struct text_family *next; /* in the text, in order of creation */
	bool dropped; /* left for the caller's merging */
};

/* text_parser.err */
enum { TEXT_OK = 0, TEXT_EOF, TEXT_ERR };

/* A parser's working state; reuse one for several texts. */
struct text_parser {
	const char *buf;
	size_t len, pos;
	unsigned char cur;
	int err; /* TEXT_OK, or TEXT_ERR after a failed text_parse() */
	unsigned line;
	char msg[256]; /* why text_parse() failed */
	struct arena *arena;
	struct buf tok;
	struct buf key; /* summary/histogram identity */
	struct hashtab families, dists;
	struct text_family *first, *last;
	struct text_family *mf;
	struct text_metric *metric;
	struct text_label *pairs;
	size_t npairs, cappairs;
	const char *pair_name;
	long pair_idx; /* index in pairs, -1 when not a real label (quantile, le) */
	struct text_label *dlabels; /* currentLabels: labels of a summary/histogram line */
	size_t ndlabels, capdlabels;
	bool in_braces, in_braces_present;
	double quantile, bucket;
	bool sum_count, sum_sum, hist_count, hist_sum;
	bool timestamps;
	/*
	 * The last name looked up and where it led: consecutive samples of one
	 * family skip the table. Within a file a name always leads to the same
	 * family (families are never removed, a type is set only once).
	 */
	char cache_name[128];
	size_t cache_len;
	struct text_family *cache_mf;
	bool cache_flags[4];
};

/*
 * Start p, allocating parsed data in a. tok is the token buffer (a reused
 * one, or buf_init'ed with the largest token allowed as its cap); max caps
 * the summary/histogram identity keys.
 */
void text_parser_init(struct text_parser *p, struct arena *a, struct buf tok, size_t max);

/* Release what p holds besides the arena's data; returns the token buffer for reuse. */
struct buf text_parser_done(struct text_parser *p);

/*
 * Parse one text of len bytes (need not be NUL-terminated) into families
 * in order of appearance, those without samples left out; file is recorded
 * in each family. Returns the first family (NULL if none), or NULL with
 * p->err set and the reason in p->msg.
 */
struct text_family *text_parse(struct text_parser *p, const char *text, size_t len,
			       const char *file);

#endif
