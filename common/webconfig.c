#define _GNU_SOURCE
#include "webconfig.h"

#include <crypt.h>
#include <errno.h>
#include <gnutls/gnutls.h>
#include <libgen.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <yaml.h>

#include "buf.h"
#include "flags.h"
#include "fsread.h"
#include "log.h"
#include "parse.h"

#define AUTH_CACHE 100

struct cached_auth {
	char *user, *pass, *hash;
};

static pthread_mutex_t auth_mu = PTHREAD_MUTEX_INITIALIZER;
static struct cached_auth auth_cache[AUTH_CACHE];
static size_t auth_next;

struct parse_ctx {
	yaml_document_t *doc;
	const char *dir;
	char *err;
	size_t errlen;
};

/* The message is one line even when it quotes a multi-line value from the file. */
__attribute__((format(printf, 2, 3)))
static int fail(struct parse_ctx *p, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->err, p->errlen, fmt, ap);
	va_end(ap);
	for (char *c = p->err; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	return -1;
}

static const char *scalar(yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

/*
 * Read a PEM file named relative to the config file's directory; its path
 * goes to *path_out (if given) so that changes to it can be noticed.
 */
static int read_pem(struct parse_ctx *p, const char *what, const char *name, char **out,
		    char **path_out)
{
	char path[4096];
	if (pathf(path, sizeof path, "%s%s%s", name[0] == '/' ? "" : p->dir,
		  name[0] == '/' ? "" : "/", name) < 0)
		return fail(p, "web config: %s: path too long: %s", what, name);
	struct buf b;
	buf_init(&b, WEBCONFIG_MAX_SIZE);
	int rc = read_whole(path, &b);
	if (rc < 0) {
		buf_free(&b);
		return fail(p, "web config: %s: cannot read %s: %s", what, path, strerror(-rc));
	}
	free(*out);
	*out = buf_detach(&b, NULL);
	if (path_out) {
		free(*path_out);
		*path_out = strdup(path);
		if (!*path_out)
			return fail(p, "web config: %s", "out of memory");
	}
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
			rc = *v ? read_pem(p, "cert_file", v, &wc->cert_pem, &wc->cert_path) : 0;
		else if (!strcmp(k, "key_file") && v)
			rc = *v ? read_pem(p, "key_file", v, &wc->key_pem, &wc->key_path) : 0;
		else if (!strcmp(k, "client_ca_file") && v)
			rc = *v ? read_pem(p, "client_ca_file", v, &wc->client_ca_pem, NULL) : 0;
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
	if (!wc->cert_pem)
		return fail(p, "web config: %s", "tls_server_config: missing one of cert or cert_file");
	if (!wc->key_pem)
		return fail(p, "web config: %s", "tls_server_config: missing one of key or key_file");
	if (minv > maxv)
		return fail(p, "web config: %s", "min_version is above max_version");
	static const char *const vers[] = { ":+VERS-TLS1.0", ":+VERS-TLS1.1", ":+VERS-TLS1.2", ":+VERS-TLS1.3" };
	size_t n = (size_t)snprintf(wc->tls_priorities, sizeof wc->tls_priorities, "NORMAL:-VERS-ALL");
	for (int i = minv; i <= maxv; i++)
		n += (size_t)snprintf(wc->tls_priorities + n, sizeof wc->tls_priorities - n, "%s", vers[i]);
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

/* The cost of a bcrypt hash ("$2b$12$" + 53 characters), or -1 if it is not one. */
static int bcrypt_cost(const char *h)
{
	if (!(has_prefix(h, "$2a$") || has_prefix(h, "$2b$") || has_prefix(h, "$2y$")) ||
	    strlen(h) != 60 || h[4] < '0' || h[4] > '3' || h[5] < '0' || h[5] > '9' || h[6] != '$')
		return -1;
	int cost = (h[4] - '0') * 10 + (h[5] - '0');
	return cost >= 4 && cost <= 31 ? cost : -1;
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
		int cost = bcrypt_cost(h);
		if (cost < 0)
			return fail(p, "web config: the password of user %s is not a bcrypt hash", u);
		size_t i = wc->nusers++;
		wc->user_names[i] = strdup(u);
		wc->user_hashes[i] = strdup(h);
		if (!wc->user_names[i] || !wc->user_hashes[i])
			return fail(p, "web config: %s", "out of memory");
		if (!wc->dummy_hash || cost > bcrypt_cost(wc->dummy_hash))
			wc->dummy_hash = wc->user_hashes[i];
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

/*
 * Reject nesting deeper than WEBCONFIG_MAX_DEPTH before libyaml builds the
 * document: its loader is quadratic in depth (a 100,000-deep list took 48 s).
 */
static int check_depth(const char *text, size_t len, char *err, size_t errlen)
{
	yaml_parser_t parser;
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	int depth = 0, rc = 0;
	for (;;) {
		yaml_event_t ev;
		if (!yaml_parser_parse(&parser, &ev))
			break; /* the loader reports the syntax error */
		yaml_event_type_t t = ev.type;
		size_t line = ev.start_mark.line + 1;
		yaml_event_delete(&ev);
		if (t == YAML_SEQUENCE_START_EVENT || t == YAML_MAPPING_START_EVENT) {
			if (++depth > WEBCONFIG_MAX_DEPTH) {
				snprintf(err, errlen, "web config: line %zu: nested deeper than %d levels", line,
					 WEBCONFIG_MAX_DEPTH);
				rc = -1;
				break;
			}
		} else if (t == YAML_SEQUENCE_END_EVENT || t == YAML_MAPPING_END_EVENT) {
			depth--;
		} else if (t == YAML_STREAM_END_EVENT) {
			break;
		}
	}
	yaml_parser_delete(&parser);
	return rc;
}

/*
 * Duplicate keys in any mapping are errors, as in upstream's strict
 * decoding. Each node is looked at once: aliases may reach a node by
 * exponentially many paths.
 */
static int check_duplicates(struct parse_ctx *p, yaml_node_t *n, bool *seen)
{
	if (!n || seen[n - p->doc->nodes.start])
		return 0;
	seen[n - p->doc->nodes.start] = true;
	if (n->type == YAML_SEQUENCE_NODE) {
		for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++)
			if (check_duplicates(p, yaml_document_get_node(p->doc, *it), seen))
				return -1;
		return 0;
	}
	if (n->type != YAML_MAPPING_NODE)
		return 0;
	for (yaml_node_pair_t *a = n->data.mapping.pairs.start; a < n->data.mapping.pairs.top; a++) {
		yaml_node_t *ka = yaml_document_get_node(p->doc, a->key);
		const char *k = scalar(ka);
		for (yaml_node_pair_t *b = n->data.mapping.pairs.start; k && b < a; b++) {
			const char *kb = scalar(yaml_document_get_node(p->doc, b->key));
			if (kb && !strcmp(k, kb))
				return fail(p, "web config: line %zu: key \"%s\" already set in map",
					    ka->start_mark.line + 1, k);
		}
		if (check_duplicates(p, yaml_document_get_node(p->doc, a->value), seen))
			return -1;
	}
	return 0;
}

/*
 * Make the GnuTLS credentials and check them, naming whichever of the
 * certificate and the key is at fault.
 */
static int make_tls(struct parse_ctx *p, struct webconfig *wc)
{
	char cert_what[4200], key_what[4200];
	snprintf(cert_what, sizeof cert_what, "%s%s", wc->cert_path ? "cert_file " : "tls_server_config.cert",
		 wc->cert_path ? wc->cert_path : "");
	snprintf(key_what, sizeof key_what, "%s%s", wc->key_path ? "key_file " : "tls_server_config.key",
		 wc->key_path ? wc->key_path : "");
	wc->pcerts = calloc(WEBCONFIG_MAX_CHAIN, sizeof *wc->pcerts);
	if (!wc->pcerts)
		return fail(p, "web config: %s", "out of memory");
	unsigned n = WEBCONFIG_MAX_CHAIN;
	gnutls_datum_t cert = { (unsigned char *)wc->cert_pem, (unsigned)strlen(wc->cert_pem) };
	int rc = gnutls_pcert_list_import_x509_raw(wc->pcerts, &n, &cert, GNUTLS_X509_FMT_PEM, 0);
	if (rc < 0)
		return fail(p, "web config: %s: no usable PEM certificate: %s", cert_what, gnutls_strerror(rc));
	wc->npcerts = n;
	if ((rc = gnutls_privkey_init(&wc->key)) < 0)
		return fail(p, "web config: %s", gnutls_strerror(rc));
	gnutls_datum_t key = { (unsigned char *)wc->key_pem, (unsigned)strlen(wc->key_pem) };
	rc = gnutls_privkey_import_x509_raw(wc->key, &key, GNUTLS_X509_FMT_PEM, NULL, 0);
	if (rc < 0)
		return fail(p, "web config: %s: no usable PEM private key: %s", key_what, gnutls_strerror(rc));

	gnutls_pubkey_t pub;
	unsigned char cert_id[64], key_id[64];
	size_t cert_len = sizeof cert_id, key_len = sizeof key_id;
	if ((rc = gnutls_pubkey_init(&pub)) < 0)
		return fail(p, "web config: %s", gnutls_strerror(rc));
	rc = gnutls_pubkey_import_privkey(pub, wc->key, 0, 0);
	if (rc >= 0)
		rc = gnutls_pubkey_get_key_id(pub, GNUTLS_KEYID_USE_SHA256, key_id, &key_len);
	if (rc >= 0)
		rc = gnutls_pubkey_get_key_id(wc->pcerts[0].pubkey, GNUTLS_KEYID_USE_SHA256, cert_id, &cert_len);
	gnutls_pubkey_deinit(pub);
	if (rc < 0)
		return fail(p, "web config: %s: %s", key_what, gnutls_strerror(rc));
	if (cert_len != key_len || memcmp(cert_id, key_id, key_len))
		return fail(p, "web config: the certificate (%s) does not belong to the key (%s)", cert_what,
			    key_what);
	if ((rc = gnutls_priority_init(&wc->priority, wc->tls_priorities, NULL)) < 0)
		return fail(p, "web config: TLS versions: %s", gnutls_strerror(rc));
	return 0;
}

/*
 * The end of a parse that left rc: the TLS credentials made, the document
 * deleted, and wc given out with one reference, or freed.
 */
static int finish(struct parse_ctx *p, struct webconfig *wc, int rc, struct webconfig **out)
{
	if (!rc && wc->cert_pem)
		rc = make_tls(p, wc);
	yaml_document_delete(p->doc);
	if (rc) {
		webconfig_free(wc);
		return -1;
	}
	wc->refs = 1;
	*out = wc;
	return 0;
}

int webconfig_parse(const char *text, size_t len, const char *dir, struct webconfig **out,
		    char *err, size_t errlen)
{
	*out = NULL;
	if (check_depth(text, len, err, errlen) < 0)
		return -1;
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		snprintf(err, errlen, "web config: YAML error at line %zu: %s",
			 parser.problem_mark.line + 1, parser.problem ? parser.problem : "unknown");
		yaml_parser_delete(&parser);
		return -1;
	}
	yaml_parser_delete(&parser);

	struct webconfig *wc = calloc(1, sizeof *wc);
	struct parse_ctx p = { &doc, dir, err, errlen };
	int rc = 0;
	if (!wc) {
		rc = fail(&p, "web config: %s", "out of memory");
		goto done;
	}
	yaml_node_t *root = yaml_document_get_root_node(&doc);
	if (!root)
		goto done; /* empty file: no TLS, no auth */
	if (root->type != YAML_MAPPING_NODE) {
		rc = fail(&p, "web config: %s", "the top level must be a mapping");
		goto done;
	}
	bool *seen = calloc((size_t)(doc.nodes.top - doc.nodes.start), sizeof *seen);
	rc = seen ? check_duplicates(&p, root, seen) : fail(&p, "web config: %s", "out of memory");
	free(seen);
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
	return finish(&p, wc, rc, out);
}

int webconfig_load(const char *path, struct webconfig **out, char *err, size_t errlen)
{
	*out = NULL;
	struct buf b;
	buf_init(&b, WEBCONFIG_MAX_SIZE);
	int rc = read_whole(path, &b);
	if (rc < 0) {
		buf_free(&b);
		snprintf(err, errlen, "web config: cannot read %s: %s", path,
			 rc == -ENOSPC ? "larger than 1 MiB" : strerror(-rc));
		return -1;
	}
	char *pathcopy = strdup(path);
	if (!pathcopy) {
		buf_free(&b);
		snprintf(err, errlen, "web config: %s", "out of memory");
		return -1;
	}
	char msg[512];
	rc = webconfig_parse(b.data ? b.data : "", b.len, dirname(pathcopy), out, msg, sizeof msg);
	if (rc)
		snprintf(err, errlen, "web config: %s: %s", path, msg + strlen("web config: "));
	free(pathcopy);
	buf_free(&b);
	return rc;
}

static void free_strings(char **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

void webconfig_free(struct webconfig *wc)
{
	if (!wc)
		return;
	free(wc->cert_pem);
	free(wc->key_pem);
	free(wc->cert_path);
	free(wc->key_path);
	free(wc->client_ca_pem);
	for (unsigned i = 0; i < wc->npcerts; i++)
		gnutls_pcert_deinit(&wc->pcerts[i]);
	free(wc->pcerts);
	if (wc->key)
		gnutls_privkey_deinit(wc->key);
	if (wc->priority)
		gnutls_priority_deinit(wc->priority);
	free_strings(wc->user_names, wc->nusers);
	free_strings(wc->user_hashes, wc->nusers);
	free_strings(wc->header_names, wc->nheaders);
	free_strings(wc->header_values, wc->nheaders);
	free(wc);
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

/* The configuration the flags' settings give, read by the file's own parsers. */
static int from_flags(const struct webconfig_flags *f, struct webconfig **out, char *err, size_t errlen)
{
	*out = NULL;
	/* The file's sections as a YAML document. */
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
	return finish(&p, wc, rc, out);
}

/* ---- the file, followed as it changes ---- */

/* What stat(2) says of a file: any difference means it changed. */
struct file_id {
	bool exists;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime, ctime;
};

struct webconfig_file {
	char *path; /* NULL when made from flags */
	struct webconfig_flags flags; /* copies of the flags' settings, if so */
	bool tls; /* TLS was on at start: it stays required */
	pthread_mutex_t mu;
	struct webconfig *cur; /* NULL while the file is invalid */
	char *watch[2]; /* cert_file and key_file paths */
	struct file_id ids[3]; /* of the file and the watched ones */
	/* rate limit bucket */
	double rate_tokens, rate_last;
};

static struct file_id file_id_of(const char *path)
{
	struct file_id id = { 0 };
	struct stat st;
	if (path && stat(path, &st) == 0)
		id = (struct file_id){ true, st.st_dev, st.st_ino, st.st_size, st.st_mtim, st.st_ctim };
	return id;
}

static bool same_id(const struct file_id *a, const struct file_id *b)
{
	return a->exists == b->exists && a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	       a->mtime.tv_sec == b->mtime.tv_sec && a->mtime.tv_nsec == b->mtime.tv_nsec &&
	       a->ctime.tv_sec == b->ctime.tv_sec && a->ctime.tv_nsec == b->ctime.tv_nsec;
}

/* Replace a watched path with a copy of path (NULL: none). */
static void set_watch(char **slot, const char *path)
{
	char *copy = path ? strdup(path) : NULL;
	if (path && !copy)
		return; /* out of memory: keep watching the old one */
	free(*slot);
	*slot = copy;
}

/* Note the files' identities, then read them; under mu (or before sharing wf). */
static int reload(struct webconfig_file *wf, char *err, size_t errlen)
{
	wf->ids[0] = file_id_of(wf->path);
	struct webconfig *wc = NULL;
	int rc = wf->path ? webconfig_load(wf->path, &wc, err, errlen)
			  : from_flags(&wf->flags, &wc, err, errlen);
	if (!rc && wf->tls && !wc->cert_pem) { /* a file's change only */
		snprintf(err, errlen, "web config: %s: TLS was enabled at start and is now missing (restart to turn it off)",
			 wf->path);
		webconfig_free(wc);
		wc = NULL;
		rc = -1;
	}
	/* After a failure, the files of the last good reading stay watched: a rotation may be half done. */
	if (wc) {
		set_watch(&wf->watch[0], wc->cert_path);
		set_watch(&wf->watch[1], wc->key_path);
	}
	wf->ids[1] = file_id_of(wf->watch[0]);
	wf->ids[2] = file_id_of(wf->watch[1]);
	if (wf->cur && --wf->cur->refs == 0)
		webconfig_free(wf->cur);
	wf->cur = wc;
	return rc;
}

static struct webconfig_file *new_file(void)
{
	struct webconfig_file *wf = calloc(1, sizeof *wf);
	if (wf)
		pthread_mutex_init(&wf->mu, NULL);
	return wf;
}

/* The first reading of a new wf (NULL or not fully made: out of memory). */
static int first_read(struct webconfig_file *wf, bool made, struct webconfig_file **out, char *err,
		      size_t errlen)
{
	*out = NULL;
	if (!made)
		snprintf(err, errlen, "web config: %s", "out of memory");
	if (!made || reload(wf, err, errlen) < 0) {
		webconfig_close(wf);
		return -1;
	}
	wf->tls = wf->cur->cert_pem != NULL;
	wf->rate_tokens = wf->cur->rate_burst;
	*out = wf;
	return 0;
}

int webconfig_open(const char *path, struct webconfig_file **out, char *err, size_t errlen)
{
	struct webconfig_file *wf = new_file();
	bool made = wf && (wf->path = strdup(path));
	return first_read(wf, made, out, err, errlen);
}

/* The settings of f, or where they are copied to. */
#define FLAG_SETTINGS(f) { &(f)->cert_file, &(f)->key_file, &(f)->client_ca_file, \
			   &(f)->min_version, &(f)->user, &(f)->bcrypt_hash }

int webconfig_open_flags(const struct webconfig_flags *f, struct webconfig_file **out, char *err,
			 size_t errlen)
{
	struct webconfig_file *wf = new_file();
	if (!wf)
		return first_read(NULL, false, out, err, errlen);
	const char *const *from[] = FLAG_SETTINGS(f);
	const char **to[] = FLAG_SETTINGS(&wf->flags);
	bool made = true;
	for (size_t i = 0; made && i < sizeof to / sizeof to[0]; i++)
		if (*from[i] && **from[i])
			made = (*to[i] = strdup(*from[i])) != NULL;
	return first_read(wf, made, out, err, errlen);
}

void webconfig_close(struct webconfig_file *wf)
{
	if (!wf)
		return;
	if (wf->cur && --wf->cur->refs == 0)
		webconfig_free(wf->cur);
	const char **settings[] = FLAG_SETTINGS(&wf->flags);
	for (size_t i = 0; i < sizeof settings / sizeof settings[0]; i++)
		free((char *)*settings[i]);
	pthread_mutex_destroy(&wf->mu);
	free(wf->watch[0]);
	free(wf->watch[1]);
	free(wf->path);
	free(wf);
}

bool webconfig_tls(const struct webconfig_file *wf)
{
	return wf->tls;
}

struct webconfig *webconfig_get(struct webconfig_file *wf)
{
	struct file_id now[3] = { file_id_of(wf->path) };
	pthread_mutex_lock(&wf->mu);
	/* The certificate and key files are looked at only where TLS needs them. */
	for (int i = 0; i < 2; i++)
		now[i + 1] = wf->tls ? file_id_of(wf->watch[i]) : wf->ids[i + 1];
	if (!same_id(&now[0], &wf->ids[0]) || !same_id(&now[1], &wf->ids[1]) ||
	    !same_id(&now[2], &wf->ids[2])) {
		bool was_ok = wf->cur != NULL;
		char err[512];
		int rc = reload(wf, err, sizeof err);
		/* From flags, only the certificate files change: named after reload() replaced them. */
		const char *file = wf->path ? wf->path : wf->watch[0] ? wf->watch[0] : "";
		if (rc < 0)
			log_error("the web config file is invalid: requests are refused until it is fixed",
				  "err", err, NULL);
		else if (!was_ok)
			log_info("the web config file is valid again", "file", file, NULL);
		else
			log_info("web config file re-read", "file", file, NULL);
	}
	struct webconfig *wc = wf->cur;
	if (wc)
		wc->refs++;
	pthread_mutex_unlock(&wf->mu);
	return wc;
}

void webconfig_put(struct webconfig_file *wf, struct webconfig *wc)
{
	if (!wc)
		return;
	pthread_mutex_lock(&wf->mu);
	bool last = --wc->refs == 0;
	pthread_mutex_unlock(&wf->mu);
	if (last)
		webconfig_free(wc);
}

/* ---- basic authentication, rate limit ---- */

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

bool webconfig_check_user(const struct webconfig *wc, const char *user, const char *pass)
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

	/* An unknown user costs as much as the costliest known one. */
	bool ok = bcrypt_ok(pass, hash ? hash : wc->dummy_hash) && hash;
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

bool webconfig_rate_allow(struct webconfig_file *wf, const struct webconfig *wc)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	double now = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
	pthread_mutex_lock(&wf->mu);
	if (wf->rate_last > 0) {
		wf->rate_tokens += (now - wf->rate_last) / wc->rate_interval;
		if (wf->rate_tokens > wc->rate_burst)
			wf->rate_tokens = wc->rate_burst;
	}
	wf->rate_last = now;
	bool ok = wf->rate_tokens >= 1;
	if (ok)
		wf->rate_tokens -= 1;
	pthread_mutex_unlock(&wf->mu);
	return ok;
}
