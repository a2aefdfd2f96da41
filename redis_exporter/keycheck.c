/*
 * --check-keys, --check-single-keys and --count-keys: SCAN to expand
 * patterns, then TYPE and the size commands, each step one pipeline, all
 * bounded by the scrape deadline and by MAX_CHECKED_KEYS.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/log.h"
#include "../common/parse.h"
#include "redis.h"

/* Most keys one scrape checks (upstream has no bound; a huge match would stall scrapes). */
#define MAX_CHECKED_KEYS 10000
/* SCAN rounds per pattern, a second guard besides the deadline. */
#define MAX_SCAN_ROUNDS 100000

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Go's url.QueryUnescape: '+' is a space, %XX a byte. Returns a new string or NULL. */
static char *query_unescape(const char *s, size_t n)
{
	char *out = malloc(n + 1);
	if (!out)
		return NULL;
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		if (ch == '+') {
			ch = ' ';
		} else if (ch == '%') {
			if (i + 2 >= n || hexval(s[i + 1]) < 0 || hexval(s[i + 2]) < 0) {
				free(out);
				return NULL;
			}
			ch = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
			i += 2;
		}
		out[o++] = ch;
	}
	out[o] = '\0';
	return out;
}

static void span_trim(const char **s, size_t *n)
{
	while (*n && (**s == ' ' || **s == '\t' || **s == '\n' || **s == '\r')) {
		(*s)++;
		(*n)--;
	}
	while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t' || (*s)[*n - 1] == '\n' ||
		      (*s)[*n - 1] == '\r'))
		(*n)--;
}

void keylist_free(struct keylist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->items[i].key);
	free(l->items);
	l->items = NULL;
	l->n = 0;
}

int keylist_parse(const char *s, struct keylist *out, char *err, size_t errlen)
{
	out->items = NULL;
	out->n = 0;
	size_t cap = 0;
	while (s && *s) {
		size_t ilen = strcspn(s, ",");
		const char *item = s;
		s += ilen;
		if (*s == ',')
			s++;
		if (!ilen)
			continue;
		const char *eq = memchr(item, '=', ilen);
		if (eq && memchr(eq + 1, '=', (size_t)(item + ilen - eq - 1))) {
			strf(err, errlen, "invalid key list argument: %.*s", (int)(ilen > 80 ? 80 : ilen), item);
			goto fail;
		}
		const char *dbs = "0", *k = item;
		size_t dblen = 1, klen = ilen;
		if (eq) {
			dbs = item;
			dblen = (size_t)(eq - item);
			k = eq + 1;
			klen = (size_t)(item + ilen - k);
		}
		span_trim(&dbs, &dblen);
		span_trim(&k, &klen);
		/* Upstream removes every "db" from the database part: "db3" is 3. */
		char dbbuf[32];
		size_t o = 0;
		for (size_t i = 0; i < dblen && o + 1 < sizeof dbbuf; i++) {
			if (i + 1 < dblen && dbs[i] == 'd' && dbs[i + 1] == 'b') {
				i++;
				continue;
			}
			dbbuf[o++] = dbs[i];
		}
		dbbuf[o] = '\0';
		if (!o || !klen)
			continue; /* empty parts are skipped, as upstream */
		int64_t db;
		if (parse_i64(dbbuf, &db) < 0 || db < 0 || db > 1000000) {
			strf(err, errlen, "invalid database index \"%s\" in key list", dbbuf);
			goto fail;
		}
		char *key = query_unescape(k, klen);
		if (!key) {
			strf(err, errlen, "couldn't parse db/key string: %.*s", (int)(ilen > 80 ? 80 : ilen), item);
			goto fail;
		}
		if (out->n == cap) {
			size_t ncap = cap ? cap * 2 : 8;
			struct dbkey *p = realloc(out->items, ncap * sizeof *p);
			if (!p) {
				free(key);
				strf(err, errlen, "out of memory");
				goto fail;
			}
			out->items = p;
			cap = ncap;
		}
		out->items[out->n++] = (struct dbkey){ (long)db, key };
	}
	return 0;
fail:
	keylist_free(out);
	return -1;
}

void keycheck_free(struct keycheck *k)
{
	for (size_t i = 0; i < k->nkeys; i++) {
		free(k->keys[i].key);
		free(k->keys[i].strval);
	}
	free(k->keys);
	free(k->counts);
	memset(k, 0, sizeof *k);
}

static void note_err(struct keycheck *k, const char *what, const char *detail)
{
	if (!k->err[0])
		strf(k->err, sizeof k->err, "%.60s: %.180s", what, detail);
}

/* Glob characters make a --check-keys entry a SCAN pattern (upstream's test). */
static bool is_pattern(const char *k)
{
	return strpbrk(k, "?*[]^") != NULL;
}

static int add_key(struct keycheck *k, size_t *cap, long db, const char *key, size_t len)
{
	if (k->nkeys >= MAX_CHECKED_KEYS) {
		k->truncated = true;
		return -1;
	}
	if (k->nkeys == *cap) {
		size_t ncap = *cap ? *cap * 2 : 64;
		struct keyresult *p = realloc(k->keys, ncap * sizeof *p);
		if (!p)
			return -1;
		k->keys = p;
		*cap = ncap;
	}
	char *copy = malloc(len + 1);
	if (!copy)
		return -1;
	memcpy(copy, key, len);
	copy[len] = '\0';
	k->keys[k->nkeys++] = (struct keyresult){ .db = db, .key = copy, .strlen_ = len };
	return 0;
}

/*
 * SCAN db for pattern. Each key goes to add (if keys) or is counted.
 * Returns 0, or -1 after noting the error (the connection may be closed).
 */
static int scan(struct rconn *c, const struct rconn_opts *o, const struct keyplan *p, long db,
		const char *pattern, struct keycheck *k, size_t *cap, uint64_t *count, double deadline)
{
	char cursor[32] = "0", dbs[24], batch[24];
	strf(dbs, sizeof dbs, "%ld", db);
	strf(batch, sizeof batch, "%ld", p->batch > 0 ? p->batch : 1000);
	for (int round = 0; round < MAX_SCAN_ROUNDS; round++) {
		struct rcmd cmds[2];
		redisReply *r[2] = { NULL, NULL };
		size_t n = 0;
		bool sel = !p->cluster && c->db != db;
		if (sel)
			RCMD(&cmds[n++], "SELECT", dbs);
		RCMD(&cmds[n++], "SCAN", cursor, "MATCH", pattern, "COUNT", batch);
		char err[256];
		if (rconn_exec(c, o, cmds, n, r, deadline, err, sizeof err) < 0) {
			note_err(k, "SCAN", err);
			return -1;
		}
		if (sel && r[0]->type == REDIS_REPLY_ERROR) {
			note_err(k, "SELECT", r[0]->str);
			replies_free(r, n);
			return -1;
		}
		if (sel)
			c->db = db;
		const redisReply *sr = r[n - 1];
		if (sr->type != REDIS_REPLY_ARRAY || sr->elements != 2 ||
		    sr->element[0]->type != REDIS_REPLY_STRING || sr->element[1]->type != REDIS_REPLY_ARRAY ||
		    sr->element[0]->len >= sizeof cursor) {
			note_err(k, "SCAN",
				 sr->type == REDIS_REPLY_ERROR ? sr->str : "unexpected reply");
			replies_free(r, n);
			return -1;
		}
		const redisReply *keys = sr->element[1];
		for (size_t i = 0; i < keys->elements; i++) {
			if (keys->element[i]->type != REDIS_REPLY_STRING)
				continue;
			if (count)
				(*count)++;
			else if (add_key(k, cap, db, keys->element[i]->str, keys->element[i]->len) < 0)
				break;
		}
		memcpy(cursor, sr->element[0]->str, sr->element[0]->len);
		cursor[sr->element[0]->len] = '\0';
		replies_free(r, n);
		if (!strcmp(cursor, "0") || (!count && k->truncated))
			return 0;
	}
	note_err(k, "SCAN", "too many rounds");
	return -1;
}

static int cmp_db(const void *a, const void *b)
{
	const struct keyresult *x = a, *y = b;
	return x->db < y->db ? -1 : x->db > y->db;
}

int rbatch_grow(struct rbatch *b, size_t need)
{
	if (b->n + need <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap * 2 : 64;
	while (cap < b->n + need)
		cap *= 2;
	struct rcmd *c = realloc(b->cmds, cap * sizeof *c);
	if (c)
		b->cmds = c;
	redisReply **r = realloc(b->r, cap * sizeof *r);
	if (r)
		b->r = r;
	char(*d)[24] = realloc(b->dbs, cap * sizeof *d);
	if (d)
		b->dbs = d;
	if (!c || !r || !d)
		return -1;
	b->cap = cap;
	return 0;
}

void rbatch_free(struct rbatch *b)
{
	if (b->r)
		replies_free(b->r, b->n);
	free(b->cmds);
	free(b->r);
	free(b->dbs);
}

long rbatch_select(struct rbatch *b, bool cluster, long db)
{
	if (cluster || b->db == db)
		return -1;
	size_t i = b->n++;
	strf(b->dbs[i], sizeof b->dbs[i], "%ld", db);
	RCMD(&b->cmds[i], "SELECT", b->dbs[i]);
	b->db = db;
	return (long)i;
}

static size_t batch_add(struct rbatch *b, const char *cmd, const struct keyresult *key)
{
	size_t i = b->n++;
	b->cmds[i] = (struct rcmd){ .argc = 2, .argv = { cmd, key->key }, .len = { strlen(cmd), key->strlen_ } };
	return i;
}

static bool is_int(const redisReply *r)
{
	return r && r->type == REDIS_REPLY_INTEGER;
}

int keycheck_expand(struct rconn *c, const struct rconn_opts *o, const struct keyplan *p,
		    struct keycheck *out, double deadline)
{
	memset(out, 0, sizeof *out);
	size_t cap = 0;
	for (size_t i = 0; p->single && i < p->single->n; i++)
		add_key(out, &cap, p->cluster ? 0 : p->single->items[i].db, p->single->items[i].key,
			strlen(p->single->items[i].key));
	for (size_t i = 0; p->check && i < p->check->n && !out->truncated; i++) {
		const struct dbkey *dk = &p->check->items[i];
		long db = p->cluster ? 0 : dk->db;
		if (!is_pattern(dk->key))
			add_key(out, &cap, db, dk->key, strlen(dk->key));
		else if (scan(c, o, p, db, dk->key, out, &cap, NULL, deadline) < 0 && !rconn_alive(c))
			return -1;
	}
	if (out->truncated)
		log_warn("key patterns matched too many keys; only the first ones are checked", "limit",
			 "10000", NULL);
	return rconn_alive(c) ? 0 : -1;
}

int keycheck_run(struct rconn *c, const struct rconn_opts *o, const struct keyplan *p,
		 struct keycheck *out, double deadline)
{
	if (keycheck_expand(c, o, p, out, deadline) < 0)
		return -1;
	size_t cap = out->nkeys;

	struct rbatch b = { .db = c->db };
	long *slot = NULL;
	if (out->nkeys) {
		qsort(out->keys, out->nkeys, sizeof *out->keys, cmp_db);
		slot = calloc(out->nkeys * 3, sizeof *slot);
		if (!slot || rbatch_grow(&b, out->nkeys * 4) < 0) {
			note_err(out, "key checks", "out of memory");
			goto done;
		}
		/* Round 1: TYPE and MEMORY USAGE of every key. */
		for (size_t i = 0; i < out->nkeys; i++) {
			long s = rbatch_select(&b, p->cluster, out->keys[i].db);
			slot[i * 3] = (long)batch_add(&b, "TYPE", &out->keys[i]);
			size_t m = b.n++;
			b.cmds[m] = (struct rcmd){ .argc = 3, .argv = { "MEMORY", "USAGE", out->keys[i].key },
						   .len = { 6, 5, out->keys[i].strlen_ } };
			slot[i * 3 + 1] = (long)m;
			slot[i * 3 + 2] = s;
		}
		char err[256];
		if (rconn_exec(c, o, b.cmds, b.n, b.r, deadline, err, sizeof err) < 0) {
			note_err(out, "TYPE", err);
			b.n = 0;
			goto done;
		}
		c->db = b.db;
		for (size_t i = 0; i < out->nkeys; i++) {
			const redisReply *sel = slot[i * 3 + 2] >= 0 ? b.r[slot[i * 3 + 2]] : NULL;
			const redisReply *t = b.r[slot[i * 3]];
			if (sel && sel->type == REDIS_REPLY_ERROR)
				note_err(out, "SELECT", sel->str);
			if (t->type == REDIS_REPLY_STATUS || t->type == REDIS_REPLY_STRING)
				strf(out->keys[i].type, sizeof out->keys[i].type, "%s", t->str);
			else if (t->type == REDIS_REPLY_ERROR)
				log_debug("TYPE failed", "key", out->keys[i].key, "err", t->str, NULL);
			/* nil for a key that does not exist, an error where MEMORY is refused */
			const redisReply *m = b.r[slot[i * 3 + 1]];
			if (is_int(m)) {
				out->keys[i].memory = (double)m->integer;
				out->keys[i].has_memory = true;
			}
		}
		replies_free(b.r, b.n);
		b.n = 0;

		/* Round 2: the size (and string values) by type. */
		b.db = c->db;
		for (size_t i = 0; i < out->nkeys; i++) {
			struct keyresult *kr = &out->keys[i];
			const char *cmd = NULL;
			slot[i * 3] = slot[i * 3 + 1] = -1;
			if (!strcmp(kr->type, "none")) {
				/* No such key: size 0, as upstream 1.88 (nothing on a cluster, its other path). */
				kr->has_size = !p->cluster;
				kr->size = 0;
				continue;
			}
			if (!strcmp(kr->type, "string")) cmd = "STRLEN";
			else if (!strcmp(kr->type, "list")) cmd = "LLEN";
			else if (!strcmp(kr->type, "set")) cmd = "SCARD";
			else if (!strcmp(kr->type, "zset")) cmd = "ZCARD";
			else if (!strcmp(kr->type, "hash")) cmd = "HLEN";
			else if (!strcmp(kr->type, "stream")) cmd = "XLEN";
			else if (!strcmp(kr->type, "array")) cmd = "ARCOUNT"; /* Redis 8.8 */
			if (!cmd) {
				if (kr->type[0])
					note_err(out, "unknown key type", kr->type);
				continue;
			}
			rbatch_select(&b, p->cluster, kr->db);
			slot[i * 3] = (long)batch_add(&b, cmd, kr);
			if (!strcmp(kr->type, "string"))
				slot[i * 3 + 1] = (long)batch_add(&b, "GET", kr);
		}
		if (b.n && rconn_exec(c, o, b.cmds, b.n, b.r, deadline, err, sizeof err) < 0) {
			note_err(out, "key sizes", err);
			b.n = 0;
			goto done;
		}
		c->db = b.db;
		size_t hll = 0;
		for (size_t i = 0; i < out->nkeys; i++) {
			struct keyresult *kr = &out->keys[i];
			if (slot[i * 3] >= 0 && is_int(b.r[slot[i * 3]])) {
				kr->size = (double)b.r[slot[i * 3]]->integer;
				kr->has_size = true;
			}
			const redisReply *g = slot[i * 3 + 1] >= 0 ? b.r[slot[i * 3 + 1]] : NULL;
			if (g && g->type == REDIS_REPLY_STRING) {
				kr->strval = malloc(g->len + 1);
				if (kr->strval) {
					memcpy(kr->strval, g->str, g->len);
					kr->strval[g->len] = '\0';
				}
				/* HyperLogLogs are strings: their size is PFCOUNT, not STRLEN. */
				if (g->len >= 4 && !memcmp(g->str, "HYLL", 4))
					hll++;
			}
		}
		replies_free(b.r, b.n);
		b.n = 0;

		/* Round 3, only for HyperLogLogs: PFCOUNT (never sent to plain strings, so no error replies). */
		if (hll) {
			b.db = c->db;
			for (size_t i = 0; i < out->nkeys; i++) {
				struct keyresult *kr = &out->keys[i];
				slot[i * 3] = -1;
				if (!kr->strval || strncmp(kr->strval, "HYLL", 4))
					continue;
				rbatch_select(&b, p->cluster, kr->db);
				slot[i * 3] = (long)batch_add(&b, "PFCOUNT", kr);
			}
			if (rconn_exec(c, o, b.cmds, b.n, b.r, deadline, err, sizeof err) < 0) {
				note_err(out, "PFCOUNT", err);
				b.n = 0;
				goto done;
			}
			c->db = b.db;
			for (size_t i = 0; i < out->nkeys; i++) {
				struct keyresult *kr = &out->keys[i];
				if (slot[i * 3] >= 0 && is_int(b.r[slot[i * 3]])) {
					kr->size = (double)b.r[slot[i * 3]]->integer;
					/* A HyperLogLog's bytes are no value to export. */
					free(kr->strval);
					kr->strval = NULL;
				}
			}
			replies_free(b.r, b.n);
			b.n = 0;
		}
	}
done:
	free(slot);
	rbatch_free(&b);
	if (!rconn_alive(c))
		return -1;

	/* --count-keys: full SCAN per pattern, counted, never stored. */
	if (p->count && p->count->n) {
		out->counts = calloc(p->count->n, sizeof *out->counts);
		if (!out->counts)
			return -1;
		for (size_t i = 0; i < p->count->n; i++) {
			struct keycount *kc = &out->counts[out->ncounts++];
			kc->db = p->cluster ? 0 : p->count->items[i].db;
			kc->pattern = p->count->items[i].key;
			kc->ok = scan(c, o, p, kc->db, kc->pattern, out, &cap, &kc->count, deadline) == 0;
			if (!rconn_alive(c))
				return -1;
		}
	}
	return 0;
}
