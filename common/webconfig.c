#define _GNU_SOURCE
#include "webconfig.h"

#include <crypt.h>
#include <errno.h>
#include <libgen.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <yaml.h>

#include "buf.h"
#include "flags.h"
#include "fsread.h"
#include "parse.h"

#define AUTH_CACHE 100

/* Checked for unknown users, so that they cost as much as known ones. */
static const char dummy_hash[] = "$2b$10$CA6aFAWhbdF4sCcVpWtrhOkn1H4L6RcBSfhQE2J5fjGIWC3TZ.WpG";

struct cached_auth {
	char *user, *pass, *hash;
};

static pthread_mutex_t auth_mu = PTHREAD_MUTEX_INITIALIZER;
static struct cached_auth auth_cache[AUTH_CACHE];
static size_t auth_next;

static pthread_mutex_t rate_mu = PTHREAD_MUTEX_INITIALIZER;
static double rate_tokens;
static double rate_last;

struct parse_ctx {
	yaml_document_t *doc;
	const char *dir;
	char *err;
	size_t errlen;
};

__attribute__((format(printf, 2, 3)))
static int fail(struct parse_ctx *p, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->err, p->errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static const char *scalar(yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

/* Read a PEM file named relative to the config file's directory. */
static int read_pem(struct parse_ctx *p, const char *name, char **out)
{
	char path[4096];
	if (pathf(path, sizeof path, "%s%s%s", name[0] == '/' ? "" : p->dir,
		  name[0] == '/' ? "" : "/", name) < 0)
		return fail(p, "web config: path too long: %s", name);
	struct buf b;
	buf_init(&b, 1 << 20);
	int rc = read_whole(path, &b);
	if (rc < 0) {
		buf_free(&b);
		snprintf(p->err, p->errlen, "web config: cannot read %s: %s", path, strerror(-rc));
		return -1;
	}
	free(*out);
	*out = buf_detach(&b, NULL);
	return *out ? 0 : fail(p, "web config: %s", "out of memory");
}

static int dup_str(struct parse_ctx *p, const char *v, char **out)
{
	free(*out);
	*out = strdup(v);
	return *out ? 0 : fail(p, "web config: %s", "out of memory");
}

static int tls_version(const char *v, int *out)
{
	static const char *const names[] = { "TLS10", "TLS11", "TLS12", "TLS13" };
	for (int i = 0; i < 4; i++)
		if (!strcmp(v, names[i])) {
			*out = i;
			return 0;
		}
	return -1;
}

static int parse_tls(struct parse_ctx *p, yaml_node_t *map, struct webconfig *wc)
{
	if (map->type != YAML_MAPPING_NODE)
		return fail(p, "web config: %s must be a mapping", "tls_server_config");
	int minv = 2, maxv = 3;
	const char *client_auth = NULL;
	for (yaml_node_pair_t *pr = map->data.mapping.pairs.start; pr < map->data.mapping.pairs.top; pr++) {
		const char *k = scalar(yaml_document_get_node(p->doc, pr->key));
		yaml_node_t *vn = yaml_document_get_node(p->doc, pr->value);
		const char *v = scalar(vn);
		if (!k)
			return fail(p, "web config: %s", "bad key in tls_server_config");
		int rc = 0;
		if (!strcmp(k, "cert_file") && v)
			rc = *v ? read_pem(p, v, &wc->cert_pem) : 0;
		else if (!strcmp(k, "key_file") && v)
			rc = *v ? read_pem(p, v, &wc->key_pem) : 0;
		else if (!strcmp(k, "client_ca_file") && v)
			rc = *v ? read_pem(p, v, &wc->client_ca_pem) : 0;
		else if (!strcmp(k, "cert") && v)
			rc = *v ? dup_str(p, v, &wc->cert_pem) : 0;
		else if (!strcmp(k, "key") && v)
			rc = *v ? dup_str(p, v, &wc->key_pem) : 0;
		else if (!strcmp(k, "client_ca") && v)
			rc = *v ? dup_str(p, v, &wc->client_ca_pem) : 0;
		else if (!strcmp(k, "client_auth_type") && v)
			client_auth = v;
		else if (!strcmp(k, "min_version") && v)
			rc = tls_version(v, &minv) < 0 ? fail(p, "web config: unknown TLS version %s", v) : 0;
		else if (!strcmp(k, "max_version") && v)
			rc = tls_version(v, &maxv) < 0 ? fail(p, "web config: unknown TLS version %s", v) : 0;
		else if (!strcmp(k, "cipher_suites") || !strcmp(k, "curve_preferences") ||
			 !strcmp(k, "client_allowed_sans"))
			rc = fail(p, "web config: tls_server_config.%s is not supported", k);
		else if (!strcmp(k, "prefer_server_cipher_suites"))
			rc = 0; /* GnuTLS always uses the server's preference order */
		else
			rc = fail(p, "web config: unknown field tls_server_config.%s", k);
		if (rc)
			return rc;
	}
	/* Verifying client certificates would need GnuTLS calls of our own. */
	if (client_auth && strcmp(client_auth, "NoClientCert"))
		return fail(p, "web config: client_auth_type %s is not supported (only NoClientCert)",
			    client_auth);
	if (wc->client_ca_pem)
		return fail(p, "web config: %s", "client CA certificates are not supported");
	if (!wc->cert_pem != !wc->key_pem)
		return fail(p, "web config: %s", "both a certificate and a key are needed for TLS");
	if (minv > maxv)
		return fail(p, "web config: %s", "min_version is above max_version");
	static const char *const vers[] = { "+VERS-TLS1.0", "+VERS-TLS1.1", "+VERS-TLS1.2", "+VERS-TLS1.3" };
	static char prio[4][4][96]; /* [min][max], built once: the strings must outlive the daemon */
	if (!prio[minv][maxv][0]) {
		char *s = prio[minv][maxv];
		size_t n = (size_t)snprintf(s, 96, "NORMAL:-VERS-ALL");
		for (int i = minv; i <= maxv; i++)
			n += (size_t)snprintf(s + n, 96 - n, ":%s", vers[i]);
	}
	wc->tls_priorities = prio[minv][maxv];
	return 0;
}

static int parse_http(struct parse_ctx *p, yaml_node_t *map, struct webconfig *wc)
{
	static const char *const allowed[] = { "Content-Security-Policy", "X-Frame-Options",
					       "X-Content-Type-Options", "X-XSS-Protection",
					       "Strict-Transport-Security" };
	if (map->type != YAML_MAPPING_NODE)
		return fail(p, "web config: %s must be a mapping", "http_server_config");
	for (yaml_node_pair_t *pr = map->data.mapping.pairs.start; pr < map->data.mapping.pairs.top; pr++) {
		const char *k = scalar(yaml_document_get_node(p->doc, pr->key));
		yaml_node_t *vn = yaml_document_get_node(p->doc, pr->value);
		if (!k)
			return fail(p, "web config: %s", "bad key in http_server_config");
		if (!strcmp(k, "http2"))
			continue; /* libmicrohttpd speaks HTTP/1.1 only */
		if (strcmp(k, "headers"))
			return fail(p, "web config: unknown field http_server_config.%s", k);
		if (vn->type != YAML_MAPPING_NODE)
			return fail(p, "web config: %s must be a mapping", "headers");
		size_t n = (size_t)(vn->data.mapping.pairs.top - vn->data.mapping.pairs.start);
		wc->header_names = calloc(n + 1, sizeof(char *));
		wc->header_values = calloc(n + 1, sizeof(char *));
		if (!wc->header_names || !wc->header_values)
			return fail(p, "web config: %s", "out of memory");
		for (yaml_node_pair_t *h = vn->data.mapping.pairs.start; h < vn->data.mapping.pairs.top; h++) {
			const char *hk = scalar(yaml_document_get_node(p->doc, h->key));
			const char *hv = scalar(yaml_document_get_node(p->doc, h->value));
			if (!hk || !hv)
				return fail(p, "web config: %s", "bad header entry");
			bool ok = false;
			for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++)
				ok = ok || !strcmp(hk, allowed[i]);
			if (!ok)
				return fail(p, "web config: HTTP header %s can not be configured", hk);
			size_t i = wc->nheaders++;
			wc->header_names[i] = strdup(hk);
			wc->header_values[i] = strdup(hv);
			if (!wc->header_names[i] || !wc->header_values[i])
				return fail(p, "web config: %s", "out of memory");
		}
	}
	return 0;
}

static int parse_users(struct parse_ctx *p, yaml_node_t *map, struct webconfig *wc)
{
	if (map->type != YAML_MAPPING_NODE)
		return fail(p, "web config: %s must be a mapping", "basic_auth_users");
	size_t n = (size_t)(map->data.mapping.pairs.top - map->data.mapping.pairs.start);
	wc->user_names = calloc(n + 1, sizeof(char *));
	wc->user_hashes = calloc(n + 1, sizeof(char *));
	if (!wc->user_names || !wc->user_hashes)
		return fail(p, "web config: %s", "out of memory");
	for (yaml_node_pair_t *pr = map->data.mapping.pairs.start; pr < map->data.mapping.pairs.top; pr++) {
		const char *u = scalar(yaml_document_get_node(p->doc, pr->key));
		const char *h = scalar(yaml_document_get_node(p->doc, pr->value));
		if (!u || !h)
			return fail(p, "web config: %s", "bad basic_auth_users entry");
		/* A hash that crypt(3) cannot use would lock the user out silently. */
		if (!(has_prefix(h, "$2a$") || has_prefix(h, "$2b$") || has_prefix(h, "$2y$")) ||
		    strlen(h) != 60)
			return fail(p, "web config: the password of user %s is not a bcrypt hash", u);
		size_t i = wc->nusers++;
		wc->user_names[i] = strdup(u);
		wc->user_hashes[i] = strdup(h);
		if (!wc->user_names[i] || !wc->user_hashes[i])
			return fail(p, "web config: %s", "out of memory");
	}
	return 0;
}

static int parse_rate(struct parse_ctx *p, yaml_node_t *map, struct webconfig *wc)
{
	if (map->type != YAML_MAPPING_NODE)
		return fail(p, "web config: %s must be a mapping", "rate_limit");
	for (yaml_node_pair_t *pr = map->data.mapping.pairs.start; pr < map->data.mapping.pairs.top; pr++) {
		const char *k = scalar(yaml_document_get_node(p->doc, pr->key));
		const char *v = scalar(yaml_document_get_node(p->doc, pr->value));
		if (!k || !v)
			return fail(p, "web config: %s", "bad rate_limit entry");
		if (!strcmp(k, "interval")) {
			if (parse_duration(v, &wc->rate_interval) < 0 || wc->rate_interval < 0)
				return fail(p, "web config: bad rate_limit.interval %s", v);
		} else if (!strcmp(k, "burst")) {
			uint64_t b;
			if (parse_u64(v, &b) < 0 || b > 1000000)
				return fail(p, "web config: bad rate_limit.burst %s", v);
			wc->rate_burst = (unsigned)b;
		} else {
			return fail(p, "web config: unknown field rate_limit.%s", k);
		}
	}
	return 0;
}

int webconfig_load(const char *path, struct webconfig **out, char *err, size_t errlen)
{
	*out = NULL;
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "web config: cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_file(&parser, f);
	if (!yaml_parser_load(&parser, &doc)) {
		snprintf(err, errlen, "web config: %s: YAML error at line %zu: %s", path,
			 parser.problem_mark.line + 1, parser.problem ? parser.problem : "unknown");
		yaml_parser_delete(&parser);
		fclose(f);
		return -1;
	}
	yaml_parser_delete(&parser);
	fclose(f);

	char *pathcopy = strdup(path);
	struct webconfig *wc = calloc(1, sizeof *wc);
	struct parse_ctx p = { &doc, pathcopy ? dirname(pathcopy) : ".", err, errlen };
	int rc = 0;
	if (!wc || !pathcopy) {
		rc = fail(&p, "web config: %s", "out of memory");
		goto done;
	}
	yaml_node_t *root = yaml_document_get_root_node(&doc);
	if (!root)
		goto done; /* empty file: no TLS, no auth */
	if (root->type != YAML_MAPPING_NODE) {
		rc = fail(&p, "web config: %s: top level must be a mapping", path);
		goto done;
	}
	for (yaml_node_pair_t *pr = root->data.mapping.pairs.start;
	     !rc && pr < root->data.mapping.pairs.top; pr++) {
		const char *k = scalar(yaml_document_get_node(&doc, pr->key));
		yaml_node_t *v = yaml_document_get_node(&doc, pr->value);
		if (!k)
			rc = fail(&p, "web config: %s", "bad top-level key");
		else if (v->type == YAML_SCALAR_NODE && !*scalar(v))
			continue; /* "key:" with nothing under it */
		else if (!strcmp(k, "tls_server_config"))
			rc = parse_tls(&p, v, wc);
		else if (!strcmp(k, "http_server_config"))
			rc = parse_http(&p, v, wc);
		else if (!strcmp(k, "basic_auth_users"))
			rc = parse_users(&p, v, wc);
		else if (!strcmp(k, "rate_limit"))
			rc = parse_rate(&p, v, wc);
		else
			rc = fail(&p, "web config: unknown field %s", k);
	}
done:
	yaml_document_delete(&doc);
	free(pathcopy);
	if (rc) {
		webconfig_free(wc);
		return -1;
	}
	rate_tokens = wc->rate_burst;
	*out = wc;
	return 0;
}

void webconfig_free(struct webconfig *wc)
{
	if (!wc)
		return;
	free(wc->cert_pem);
	free(wc->key_pem);
	free(wc->client_ca_pem);
	for (size_t i = 0; i < wc->nusers; i++) {
		free(wc->user_names[i]);
		free(wc->user_hashes[i]);
	}
	free(wc->user_names);
	free(wc->user_hashes);
	for (size_t i = 0; i < wc->nheaders; i++) {
		free(wc->header_names[i]);
		free(wc->header_values[i]);
	}
	free(wc->header_names);
	free(wc->header_values);
	free(wc);
}

static bool consttime_eq(const char *a, const char *b)
{
	size_t na = strlen(a), nb = strlen(b);
	unsigned char diff = na != nb;
	for (size_t i = 0; i < na && i < nb; i++)
		diff |= (unsigned char)(a[i] ^ b[i]);
	return diff == 0;
}

static bool bcrypt_ok(const char *pass, const char *hash)
{
	struct crypt_data *cd = calloc(1, sizeof *cd);
	if (!cd)
		return false;
	const char *r = crypt_r(pass, hash, cd);
	bool ok = r && r[0] != '*' && consttime_eq(r, hash);
	free(cd);
	return ok;
}

bool webconfig_check_user(struct webconfig *wc, const char *user, const char *pass)
{
	const char *hash = NULL;
	for (size_t i = 0; i < wc->nusers; i++)
		if (!strcmp(wc->user_names[i], user))
			hash = wc->user_hashes[i];

	if (hash) {
		pthread_mutex_lock(&auth_mu);
		for (size_t i = 0; i < AUTH_CACHE; i++) {
			struct cached_auth *c = &auth_cache[i];
			if (c->user && !strcmp(c->user, user) && !strcmp(c->hash, hash) &&
			    consttime_eq(c->pass, pass)) {
				pthread_mutex_unlock(&auth_mu);
				return true;
			}
		}
		pthread_mutex_unlock(&auth_mu);
	}

	bool ok = bcrypt_ok(pass, hash ? hash : dummy_hash) && hash;
	if (!ok)
		return false;

	pthread_mutex_lock(&auth_mu);
	struct cached_auth *c = &auth_cache[auth_next];
	auth_next = (auth_next + 1) % AUTH_CACHE;
	free(c->user);
	free(c->pass);
	free(c->hash);
	c->user = strdup(user);
	c->pass = strdup(pass);
	c->hash = strdup(hash);
	if (!c->user || !c->pass || !c->hash) {
		free(c->user);
		free(c->pass);
		free(c->hash);
		c->user = c->pass = c->hash = NULL;
	}
	pthread_mutex_unlock(&auth_mu);
	return true;
}

bool webconfig_rate_allow(struct webconfig *wc)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	double now = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
	pthread_mutex_lock(&rate_mu);
	if (rate_last > 0) {
		rate_tokens += (now - rate_last) / wc->rate_interval;
		if (rate_tokens > wc->rate_burst)
			rate_tokens = wc->rate_burst;
	}
	rate_last = now;
	bool ok = rate_tokens >= 1;
	if (ok)
		rate_tokens -= 1;
	pthread_mutex_unlock(&rate_mu);
	return ok;
}

/* Add key: value to a mapping of doc when value is set. */
static int flag_pair(yaml_document_t *doc, int map, const char *key, const char *value)
{
	if (!value || !*value)
		return 1;
	int k = yaml_document_add_scalar(doc, NULL, (yaml_char_t *)(uintptr_t)key, -1, YAML_PLAIN_SCALAR_STYLE);
	int v = yaml_document_add_scalar(doc, NULL, (yaml_char_t *)(uintptr_t)value, -1,
					 YAML_PLAIN_SCALAR_STYLE);
	return k && v && yaml_document_append_mapping_pair(doc, map, k, v);
}

int webconfig_from_flags(const struct webconfig_flags *f, struct webconfig **out, char *err,
			 size_t errlen)
{
	*out = NULL;
	/* The file's sections as a YAML document, read by the file's own parsers. */
	yaml_document_t doc;
	struct webconfig *wc = calloc(1, sizeof *wc);
	if (!wc || !yaml_document_initialize(&doc, NULL, NULL, NULL, 1, 1)) {
		free(wc);
		snprintf(err, errlen, "web config: out of memory");
		return -1;
	}
	struct parse_ctx p = { &doc, ".", err, errlen };
	int tls = yaml_document_add_mapping(&doc, NULL, YAML_BLOCK_MAPPING_STYLE);
	int users = yaml_document_add_mapping(&doc, NULL, YAML_BLOCK_MAPPING_STYLE);
	int rc = tls && users && flag_pair(&doc, tls, "cert_file", f->cert_file) &&
			 flag_pair(&doc, tls, "key_file", f->key_file) &&
			 flag_pair(&doc, tls, "client_ca_file", f->client_ca_file) &&
			 flag_pair(&doc, tls, "min_version", f->min_version) &&
			 flag_pair(&doc, users, f->user, f->bcrypt_hash)
		 ? 0
		 : fail(&p, "web config: %s", "out of memory");
	yaml_node_t *tn = yaml_document_get_node(&doc, tls);
	if (!rc && tn && tn->data.mapping.pairs.top != tn->data.mapping.pairs.start)
		rc = parse_tls(&p, tn, wc);
	if (!rc)
		rc = parse_users(&p, yaml_document_get_node(&doc, users), wc);
	yaml_document_delete(&doc);
	if (rc) {
		webconfig_free(wc);
		return -1;
	}
	*out = wc;
	return 0;
}
