/*
 * textfile: metrics written by other programs into *.prom files, in the
 * Prometheus text format 0.0.4, re-exported with their types.
 *
 * Semantics follow upstream's collector/textfile.go and the expfmt text
 * parser it uses (legacy metric and label names):
 * - --collector.textfile.directory is repeatable; each value may be a glob
 *   (Go's filepath.Glob rules). Only names ending in ".prom" are read, no
 *   recursion. A directory that cannot be read is an error.
 * - A file with a syntax error or with a sample timestamp is skipped as a
 *   whole; node_textfile_scrape_error is then 1. The other files are served.
 * - node_textfile_mtime_seconds{file} for every file read successfully.
 * - The same family in several files is merged. The first HELP wins; a
 *   later file with a different HELP loses that family (an error). Files
 *   without HELP share the HELP of the others; if no file has one, HELP is
 *   "Metric read from <files>". Within a family, series lacking a label of
 *   another series get it with the value "".
 *
 * Where upstream would crash the exporter (gauge histograms, label names
 * starting with "__") or silently produce garbage (a label set before the
 * metric name inside braces), the file is rejected as an error instead.
 *
 * Files are read whole with read_whole(), never through the descriptor
 * cache (they are replaced by rename), and only if they are regular files:
 * a FIFO or a device would block the scrape. Parsed data lives in a
 * per-scrape arena; nothing is allocated per line.
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../../common/arena.h"
#include "../../common/exporter.h"
#include "../../common/fsread.h"
#include "../../common/hashtab.h"
#include "../../common/log.h"
#include "../../common/parse.h"
#include "../textparse.h"

#define FILE_MAX (64u << 20) /* largest .prom file read */

static struct strlist textfile_dirs;

static struct flag textfile_flags[] = {
	{ .name = "collector.textfile.directory", .type = FLAG_LIST, .dest = &textfile_dirs,
	  .help = "Directory, or glob of directories, whose *.prom files are exported (repeatable)." },
};

/* ---- paths ---- */

/* Go's filepath.Clean into dst (lexical: no symlinks are looked at). */
static void clean_path(const char *path, char *dst, size_t cap)
{
	char out[4096];
	size_t n = strlen(path), r = 0, w = 0, dotdot = 0;
	bool rooted = n && path[0] == '/';
#define PUT(ch) do { if (w + 1 < sizeof out) out[w++] = (ch); } while (0)
	if (rooted) {
		PUT('/');
		r = dotdot = 1;
	}
	while (r < n) {
		if (path[r] == '/') {
			r++;
		} else if (path[r] == '.' && (r + 1 == n || path[r + 1] == '/')) {
			r++;
		} else if (path[r] == '.' && path[r + 1] == '.' && (r + 2 == n || path[r + 2] == '/')) {
			r += 2;
			if (w > dotdot) {
				w--;
				while (w > dotdot && out[w] != '/')
					w--;
			} else if (!rooted) {
				if (w > 0)
					PUT('/');
				PUT('.');
				PUT('.');
				dotdot = w;
			}
		} else {
			if ((rooted && w != 1) || (!rooted && w != 0))
				PUT('/');
			for (; r < n && path[r] != '/'; r++)
				PUT(path[r]);
		}
	}
	if (w == 0)
		PUT('.');
#undef PUT
	out[w] = '\0';
	strf(dst, cap, "%s", out);
}

static bool has_meta(const char *s)
{
	return strpbrk(s, "*?[\\") != NULL;
}

struct pathlist {
	char **v;
	size_t n, cap;
};

static int push_path(struct pathlist *l, const char *s)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;
		char **v = realloc(l->v, cap * sizeof *v);
		if (!v)
			return -1;
		l->v = v;
		l->cap = cap;
	}
	if (!(l->v[l->n] = strdup(s)))
		return -1;
	l->n++;
	return 0;
}

static void free_paths(struct pathlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

/* Names in dir matching pattern, joined and cleaned, in name order. */
static int glob_in(const char *dir, const char *pattern, struct pathlist *out)
{
	struct stat st;
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
		return 0;
	struct dirlist dl;
	if (dirlist_read(dir, &dl) < 0)
		return 0;
	int rc = 0;
	for (size_t i = 0; i < dl.n && rc == 0; i++) {
		int m = fnmatch(pattern, dl.names[i], 0);
		if (m == FNM_NOMATCH)
			continue;
		if (m != 0) {
			rc = -1;
			break;
		}
		char joined[4096], clean[4096];
		if (pathf(joined, sizeof joined, "%s/%s", dir, dl.names[i]) < 0)
			continue;
		clean_path(joined, clean, sizeof clean);
		rc = push_path(out, clean);
	}
	dirlist_free(&dl);
	return rc;
}

/* Go's filepath.Glob: matches in directory order; -1 on a bad pattern. */
static int go_glob(const char *pattern, struct pathlist *out, int depth)
{
	if (depth > 64)
		return -1;
	if (!has_meta(pattern)) {
		struct stat st;
		if (lstat(pattern, &st) == 0)
			return push_path(out, pattern);
		return 0;
	}
	char dir[4096];
	const char *slash = strrchr(pattern, '/');
	const char *file = slash ? slash + 1 : pattern;
	size_t dlen = slash ? (size_t)(slash - pattern) + 1 : 0;
	if (dlen >= sizeof dir)
		return -1;
	/* cleanGlobPath: "" is ".", "/" stays, otherwise drop the trailing slash. */
	if (dlen == 0)
		strf(dir, sizeof dir, ".");
	else if (dlen == 1)
		strf(dir, sizeof dir, "/");
	else
		strf(dir, sizeof dir, "%.*s", (int)(dlen - 1), pattern);
	if (!has_meta(dir))
		return glob_in(dir, file, out);
	if (!strcmp(dir, pattern))
		return -1;
	struct pathlist dirs = { 0 };
	int rc = go_glob(dir, &dirs, depth + 1);
	for (size_t i = 0; i < dirs.n && rc == 0; i++)
		rc = glob_in(dirs.v[i], file, out);
	free_paths(&dirs);
	return rc;
}

/* ---- merging and output ---- */

/* One metric family name across all files. */
struct merged {
	const char *name;
	const char *help0; /* first HELP accepted */
	bool help_seen, help_conflict;
	struct text_family **inst; /* accepted instances in file order */
	size_t ninst, capinst;
	const char **files;
	size_t nfiles, capfiles;
	struct merged *next;
};

struct mtime {
	char *file;
	double value;
};

/* Kept between scrapes: the error memory, and buffers worth reusing. */
struct textfile_state {
	uint64_t last_errors; /* hash of the previous scrape's error messages */
	struct arena arena;
	struct buf content, tok;
};

#define KEEP_BYTES (4u << 20) /* buffers larger than this are released after a scrape */

struct scrape_ctx {
	struct arena arena;
	struct hashtab names;
	struct merged *first, *last;
	struct mtime *mtimes;
	size_t nmtimes, capmtimes;
	bool errored;
	uint64_t err_hash;
	struct buf errs; /* "msg\0key\0value\0err\0" records, logged at the end */
	double *bounds, *vals; /* scratch for one summary/histogram */
	uint64_t *counts;
	size_t cap;
};

/* Record a problem to log at the end of the scrape (see log_errors). */
static void note(struct scrape_ctx *c, const char *msg, const char *key, const char *val,
		 const char *err)
{
	c->err_hash = (c->err_hash ^ hash_bytes(val, strlen(val))) * 1099511628211ull;
	c->err_hash = (c->err_hash ^ hash_bytes(err, strlen(err))) * 1099511628211ull;
	/* Kept for the end of the scrape, when the log level is known; bounded. */
	size_t mark = c->errs.len;
	if (buf_append(&c->errs, msg, strlen(msg) + 1) < 0 ||
	    buf_append(&c->errs, key, strlen(key) + 1) < 0 ||
	    buf_append(&c->errs, val, strlen(val) + 1) < 0 ||
	    buf_append(&c->errs, err, strlen(err) + 1) < 0)
		c->errs.len = mark;
}

/* A problem that sets node_textfile_scrape_error. */
static void report(struct scrape_ctx *c, const char *msg, const char *key, const char *val,
		   const char *err)
{
	c->errored = true;
	note(c, msg, key, val, err);
}

/*
 * Log this scrape's errors: at error level when they differ from the
 * previous scrape's, else at debug level, so a broken file that stays
 * broken is one error line, not one per scrape.
 */
static void log_errors(struct scrape_ctx *c, uint64_t *last)
{
	bool changed = c->err_hash != *last;
	for (size_t o = 0; o < c->errs.len;) {
		const char *f[4];
		for (int i = 0; i < 4; i++) {
			f[i] = c->errs.data + o;
			o += strlen(f[i]) + 1;
		}
		if (changed)
			log_error(f[0], f[1], f[2], "err", f[3], NULL);
		else
			log_debug(f[0], f[1], f[2], "err", f[3], NULL);
	}
	*last = c->err_hash;
}

static struct merged *merged_of(struct scrape_ctx *c, const char *name)
{
	uint64_t h = hash_bytes(name, strlen(name));
	struct merged *m = hashtab_get(&c->names, name, h);
	if (m)
		return m;
	m = arena_alloc(&c->arena, sizeof *m);
	if (!m)
		return NULL;
	memset(m, 0, sizeof *m);
	m->name = name;
	if (hashtab_put(&c->names, name, h, m) < 0)
		return NULL;
	if (c->last)
		c->last->next = m;
	else
		c->first = m;
	c->last = m;
	return m;
}

/* Add one file's families, applying upstream's HELP rules. Returns -1 when out of memory. */
static int merge_file(struct scrape_ctx *c, struct text_family *fams)
{
	for (struct text_family *f = fams; f; f = f->next) {
		struct merged *m = merged_of(c, f->name);
		if (!m)
			return -1;
		if (m->help_seen && ((f->help && strcmp(m->help0, f->help) != 0) || m->help_conflict)) {
			m->help_conflict = true;
			char detail[600];
			strf(detail, sizeof detail, "inconsistent metric help text: %s (first: \"%.200s\", new: \"%.200s\")",
				 f->name, m->help0, f->help ? f->help : "");
			report(c, "inconsistent metric help text", "file", f->file, detail);
			continue;
		}
		if (f->help && !m->help_seen) {
			m->help0 = f->help;
			m->help_seen = true;
		}
		if (arena_grow(&c->arena, (void **)&m->inst, &m->capinst, m->ninst, sizeof *m->inst) < 0 ||
		    arena_grow(&c->arena, (void **)&m->files, &m->capfiles, m->nfiles, sizeof *m->files) < 0)
			return -1;
		m->inst[m->ninst++] = f;
		m->files[m->nfiles++] = f->file;
	}
	return 0;
}

static int cmp_point(const void *a, const void *b)
{
	const struct text_point *x = a, *y = b;
	if (x->bound != y->bound)
		return x->bound < y->bound ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Sort by bound; of equal bounds the last one given wins (upstream fills a map). */
static size_t dedup_points(struct text_point *pts, size_t n)
{
	if (n > 1)
		qsort(pts, n, sizeof *pts, cmp_point);
	size_t out = 0;
	for (size_t i = 0; i < n; i++) {
		if (out && pts[out - 1].bound == pts[i].bound)
			pts[out - 1] = pts[i];
		else
			pts[out++] = pts[i];
	}
	return out;
}

/* A name x_count/x_sum of a summary x, or x_count/x_sum/x_bucket of a histogram x. */
static bool collides(struct scrape_ctx *c, const struct merged *m)
{
	static const char *const suffixes[] = { "_count", "_sum", "_bucket" };
	size_t n = strlen(m->name);
	for (int i = 0; i < 3; i++) {
		size_t sl = strlen(suffixes[i]);
		if (n <= sl || strcmp(m->name + n - sl, suffixes[i]) != 0)
			continue;
		const struct merged *b =
			hashtab_get_n(&c->names, m->name, n - sl, hash_bytes(m->name, n - sl));
		if (!b || !b->ninst)
			continue;
		int t = b->inst[0]->type;
		if ((t == TEXT_SUMMARY && i < 2) || t == TEXT_HISTOGRAM)
			return true;
	}
	return false;
}

static void emit_merged(struct scrape_ctx *c, struct expo *e, struct merged *m)
{
	if (!m->ninst)
		return;
	/* The first instance's type wins; others are dropped as the registry does. */
	int type = m->inst[0]->type;
	char help[4096];
	if (m->help_seen) {
		strf(help, sizeof help, "%s", m->help0);
	} else {
		size_t o = (size_t)strf(help, sizeof help, "Metric read from ");
		for (size_t i = 0; i < m->nfiles && o < sizeof help; i++)
			o += (size_t)strf(help + o, sizeof help - o, "%s%s", i ? ", " : "", m->files[i]);
	}
	if (collides(c, m)) {
		note(c, "textfile metric dropped", "metric", m->name,
		     "collides with a summary or histogram of the same base name");
		return;
	}

	/* Union of the label names over the kept instances. */
	const char *labels[256];
	size_t nl = 0;
	for (size_t i = 0; i < m->ninst; i++) {
		struct text_family *f = m->inst[i];
		if (f->type != type) {
			note(c, "textfile metric dropped", "file", f->file,
			     "declared with another type in an earlier file");
			f->dropped = true;
			continue;
		}
		for (size_t k = 0; k < f->nmetrics; k++)
			for (size_t j = 0; j < f->metrics[k]->nlabels; j++) {
				const char *ln = f->metrics[k]->labels[j].name;
				size_t x = 0;
				while (x < nl && strcmp(labels[x], ln) != 0)
					x++;
				if (x == nl) {
					if (nl == 255) {
						note(c, "textfile metric dropped", "metric", m->name,
						     "more than 255 label names");
						return;
					}
					labels[nl++] = ln;
				}
			}
	}
	labels[nl] = NULL;
	enum metric_type mt = type == TEXT_COUNTER ? METRIC_COUNTER :
			      type == TEXT_GAUGE	? METRIC_GAUGE :
			      type == TEXT_SUMMARY ? METRIC_SUMMARY :
			      type == TEXT_HISTOGRAM ? METRIC_HISTOGRAM :
						    METRIC_UNTYPED;
	struct family *ef = expo_family(e, m->name, mt, help, labels);

	const char *values[256];
	for (size_t i = 0; i < m->ninst; i++) {
		struct text_family *f = m->inst[i];
		if (f->dropped)
			continue;
		for (size_t k = 0; k < f->nmetrics; k++) {
			struct text_metric *x = f->metrics[k];
			for (size_t j = 0; j < nl; j++) {
				values[j] = "";
				for (size_t q = 0; q < x->nlabels; q++)
					if (!strcmp(x->labels[q].name, labels[j]))
						values[j] = x->labels[q].value;
			}
			if (type == TEXT_SUMMARY || type == TEXT_HISTOGRAM) {
				size_t np = dedup_points(x->pts, x->npts);
				if (np > c->cap) {
					free(c->bounds), free(c->vals), free(c->counts);
					c->bounds = malloc(np * sizeof *c->bounds);
					c->vals = malloc(np * sizeof *c->vals);
					c->counts = malloc(np * sizeof *c->counts);
					c->cap = c->bounds && c->vals && c->counts ? np : 0;
					if (!c->cap) {
						log_error("out of memory", "metric", m->name, NULL);
						return;
					}
				}
				for (size_t q = 0; q < np; q++) {
					c->bounds[q] = x->pts[q].bound;
					c->vals[q] = x->pts[q].value;
					/*
					 * A bucket's count is an integer below 2^64 (hist_count_value);
					 * non-integer counts read as 0 upstream (GetCumulativeCount). A
					 * quantile's value is any float: never converted.
					 */
					if (type == TEXT_HISTOGRAM)
						c->counts[q] = x->float_counts ? 0 : (uint64_t)x->pts[q].value;
				}
				if (type == TEXT_SUMMARY)
					expo_add_summary(e, ef, values, x->count, x->sum, np, c->bounds,
							 c->vals);
				else
					expo_add_histogram(e, ef, values, x->float_counts ? 0 : x->count,
							   x->sum, np, c->bounds, c->counts);
			} else {
				expo_add(e, ef, x->value, values);
			}
		}
	}
}

/* Go's time.UnixNano()/1e9: whole seconds, truncated towards zero. */
static double mtime_seconds(const struct stat *st)
{
	int64_t sec = (int64_t)st->st_mtim.tv_sec;
	if (sec < 0 && st->st_mtim.tv_nsec > 0)
		sec++;
	return (double)sec;
}

static int cmp_mtime(const void *a, const void *b)
{
	return strcmp(((const struct mtime *)a)->file, ((const struct mtime *)b)->file);
}

/* Read and parse one file; on success record its mtime and merge its families. */
static void process_file(struct scrape_ctx *c, struct text_parser *p, struct buf *content,
			 const char *dir, const char *name)
{
	char joined[4096], path[4096];
	if (pathf(joined, sizeof joined, "%s/%s", dir, name) < 0) {
		report(c, "failed to collect textfile data", "file", name, "path too long");
		return;
	}
	clean_path(joined, path, sizeof path);
	/* Never open what is not a regular file: a FIFO would block the scrape. */
	struct stat st;
	if (stat(path, &st) < 0) {
		report(c, "failed to collect textfile data", "file", name, strerror(errno));
		return;
	}
	if (!S_ISREG(st.st_mode)) {
		report(c, "failed to collect textfile data", "file", name, "not a regular file");
		return;
	}
	int rc = read_whole(path, content);
	if (rc < 0) {
		report(c, "failed to collect textfile data", "file", name,
		       rc == -ENOSPC ? "file too large" : strerror(-rc));
		return;
	}
	const char *label = arena_strndup(&c->arena, path, strlen(path));
	if (!label) {
		report(c, "failed to collect textfile data", "file", name, "out of memory");
		return;
	}
	struct text_family *fams = text_parse(p, content->data ? content->data : "", content->len, label);
	if (p->err) {
		report(c, "failed to collect textfile data", "file", name, p->msg);
		return;
	}
	if (merge_file(c, fams) < 0) {
		report(c, "failed to collect textfile data", "file", name, "out of memory");
		return;
	}
	if (c->nmtimes == c->capmtimes) {
		size_t cap = c->capmtimes ? c->capmtimes * 2 : 16;
		struct mtime *v = realloc(c->mtimes, cap * sizeof *v);
		if (!v)
			return;
		c->mtimes = v;
		c->capmtimes = cap;
	}
	c->mtimes[c->nmtimes++] = (struct mtime){ (char *)(uintptr_t)label, mtime_seconds(&st) };
}

static int textfile_init(void **state, char *err, size_t errlen)
{
	struct textfile_state *st = calloc(1, sizeof *st);
	if (!st) {
		strf(err, errlen, "out of memory");
		return -1;
	}
	buf_init(&st->content, FILE_MAX);
	buf_init(&st->tok, FILE_MAX + 1);
	*state = st;
	return 0;
}

static void textfile_fini(void *state)
{
	struct textfile_state *st = state;
	arena_free(&st->arena);
	buf_free(&st->content);
	buf_free(&st->tok);
	free(st);
}

static int textfile_collect(struct scrape *s, struct expo *e)
{
	struct textfile_state *st = s->state;
	struct scrape_ctx c = { .err_hash = 14695981039346656037ull, .arena = st->arena };
	buf_init(&c.errs, 1u << 20);
	struct text_parser p;
	text_parser_init(&p, &c.arena, st->tok, FILE_MAX + 1);
	struct buf content = st->content;

	struct pathlist dirs = { 0 };
	for (size_t i = 0; i < textfile_dirs.n; i++) {
		const char *g = textfile_dirs.items[i];
		if (!*g)
			continue; /* upstream's default, "": nothing to read */
		size_t before = dirs.n;
		if (go_glob(g, &dirs, 0) < 0 || dirs.n == before) {
			while (dirs.n > before)
				free(dirs.v[--dirs.n]);
			if (push_path(&dirs, g) < 0)
				break;
		}
	}
	for (size_t i = 0; i < dirs.n; i++) {
		struct dirlist dl;
		int rc = dirlist_read(dirs.v[i], &dl);
		if (rc < 0) {
			report(&c, "failed to read textfile collector directory", "path", dirs.v[i],
			       strerror(-rc));
			continue;
		}
		for (size_t k = 0; k < dl.n; k++)
			if (has_suffix(dl.names[k], ".prom"))
				process_file(&c, &p, &content, dirs.v[i], dl.names[k]);
		dirlist_free(&dl);
	}
	free_paths(&dirs);

	for (struct merged *m = c.first; m; m = m->next)
		emit_merged(&c, e, m);

	if (c.nmtimes) {
		qsort(c.mtimes, c.nmtimes, sizeof *c.mtimes, cmp_mtime);
		struct family *f = expo_family(e, "node_textfile_mtime_seconds", METRIC_GAUGE,
					       "Modification time of the textfiles read successfully, as a Unix timestamp.",
					       (const char *const[]){ "file", NULL });
		for (size_t i = 0; i < c.nmtimes; i++)
			if (i == 0 || strcmp(c.mtimes[i].file, c.mtimes[i - 1].file) != 0)
				expo_sample(e, f, c.mtimes[i].value, c.mtimes[i].file);
	}
	expo_single(e, "node_textfile_scrape_error", METRIC_GAUGE,
		    "1 if a textfile directory or file could not be read or parsed, else 0.",
		    c.errored ? 1 : 0);

	log_errors(&c, &st->last_errors);
	buf_free(&c.errs);

	free(c.mtimes);
	free(c.bounds), free(c.vals), free(c.counts);
	hashtab_free(&c.names);
	st->tok = text_parser_done(&p);
	st->content = content;
	if (st->tok.cap > KEEP_BYTES)
		buf_free(&st->tok);
	if (st->content.cap > KEEP_BYTES)
		buf_free(&st->content);
	arena_reset(&c.arena, KEEP_BYTES);
	st->arena = c.arena;
	return COLLECT_OK;
}

const struct collector_def collector_textfile = {
	.name = "textfile",
	.default_enabled = true,
	.flags = textfile_flags,
	.nflags = sizeof textfile_flags / sizeof textfile_flags[0],
	.init = textfile_init,
	.collect = textfile_collect,
	.fini = textfile_fini,
};
