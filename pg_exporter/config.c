/*
 * --config.file: upstream's postgres_exporter.yml with auth_modules for
 * /probe. Unknown keys are rejected, as upstream's strict YAML decoding does.
 *
 *   auth_modules:
 *     name:
 *       type: userpass
 *       userpass: {username: u, password: p}
 *       options: {sslmode: disable}
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "../common/parse.h"
#include "pg.h"

static void free_module(struct auth_module *m)
{
	free(m->name);
	free(m->type);
	free(m->username);
	secret_free(m->password);
	for (size_t i = 0; i < m->noptions; i++) {
		free(m->opt_keys[i]);
		free(m->opt_vals[i]);
	}
	free(m->opt_keys);
	free(m->opt_vals);
}

void pgconfig_free(struct pgconfig *c)
{
	for (size_t i = 0; i < c->nmodules; i++)
		free_module(&c->modules[i]);
	free(c->modules);
	memset(c, 0, sizeof *c);
}

const struct auth_module *pgconfig_module(const struct pgconfig *c, const char *name)
{
	for (size_t i = 0; i < c->nmodules; i++)
		if (!strcmp(c->modules[i].name, name))
			return &c->modules[i];
	return NULL;
}

struct walk {
	yaml_document_t *doc;
	char *err;
	size_t errlen;
};

static int fail(struct walk *w, const yaml_node_t *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct walk *w, const yaml_node_t *n, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (n)
		strf(w->err, w->errlen, "line %lu: %s", (unsigned long)n->start_mark.line + 1, msg);
	else
		strf(w->err, w->errlen, "%s", msg);
	return -1;
}

const char *pgyaml_scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

bool pgyaml_is_null(const yaml_node_t *n)
{
	if (!n)
		return true;
	if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	const char *s = (const char *)n->data.scalar.value;
	return !*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") || !strcmp(s, "NULL");
}

static int dup_pgyaml_scalar(struct walk *w, const yaml_node_t *n, const char *key, char **out)
{
	if (pgyaml_is_null(n)) {
		free(*out);
		*out = strdup("");
	} else {
		const char *s = pgyaml_scalar(n);
		if (!s)
			return fail(w, n, "%s must be a string", key);
		free(*out);
		*out = strdup(s);
	}
	if (!*out)
		return fail(w, NULL, "%s", "out of memory");
	return 0;
}

static int parse_userpass(struct walk *w, const yaml_node_t *n, struct auth_module *m)
{
	if (pgyaml_is_null(n))
		return 0;
	if (n->type != YAML_MAPPING_NODE)
		return fail(w, n, "%s must be a mapping", "userpass");
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		const yaml_node_t *k = yaml_document_get_node(w->doc, p->key);
		const yaml_node_t *v = yaml_document_get_node(w->doc, p->value);
		const char *key = pgyaml_scalar(k);
		if (!key)
			return fail(w, k, "%s: keys must be strings", "userpass");
		int rc;
		if (!strcmp(key, "username"))
			rc = dup_pgyaml_scalar(w, v, "username", &m->username);
		else if (!strcmp(key, "password"))
			rc = dup_pgyaml_scalar(w, v, "password", &m->password);
		else
			rc = fail(w, k, "field %s not found in type config.UserPass", key);
		if (rc)
			return rc;
	}
	return 0;
}

static int parse_options(struct walk *w, const yaml_node_t *n, struct auth_module *m)
{
	if (pgyaml_is_null(n))
		return 0;
	if (n->type != YAML_MAPPING_NODE)
		return fail(w, n, "%s must be a mapping of strings", "options");
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		const yaml_node_t *k = yaml_document_get_node(w->doc, p->key);
		const yaml_node_t *v = yaml_document_get_node(w->doc, p->value);
		const char *key = pgyaml_scalar(k), *val = pgyaml_is_null(v) ? "" : pgyaml_scalar(v);
		if (!key || !val)
			return fail(w, k, "%s must be a mapping of strings", "options");
		char **keys = realloc(m->opt_keys, (m->noptions + 1) * sizeof *keys);
		if (keys)
			m->opt_keys = keys;
		char **vals = keys ? realloc(m->opt_vals, (m->noptions + 1) * sizeof *vals) : NULL;
		if (vals)
			m->opt_vals = vals;
		char *kd = strdup(key), *vd = strdup(val);
		if (!keys || !vals || !kd || !vd) {
			free(kd);
			free(vd);
			return fail(w, NULL, "%s", "out of memory");
		}
		m->opt_keys[m->noptions] = kd;
		m->opt_vals[m->noptions] = vd;
		m->noptions++;
	}
	return 0;
}

static int parse_module(struct walk *w, const char *name, const yaml_node_t *n, struct auth_module *m)
{
	m->name = strdup(name);
	if (!m->name)
		return fail(w, NULL, "%s", "out of memory");
	if (pgyaml_is_null(n))
		return 0;
	if (n->type != YAML_MAPPING_NODE)
		return fail(w, n, "auth module %s must be a mapping", name);
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		const yaml_node_t *k = yaml_document_get_node(w->doc, p->key);
		const yaml_node_t *v = yaml_document_get_node(w->doc, p->value);
		const char *key = pgyaml_scalar(k);
		if (!key)
			return fail(w, k, "auth module %s: keys must be strings", name);
		int rc;
		if (!strcmp(key, "type"))
			rc = dup_pgyaml_scalar(w, v, "type", &m->type);
		else if (!strcmp(key, "userpass"))
			rc = parse_userpass(w, v, m);
		else if (!strcmp(key, "options"))
			rc = parse_options(w, v, m);
		else
			rc = fail(w, k, "field %s not found in type config.AuthModule", key);
		if (rc)
			return rc;
	}
	return 0;
}

static int parse_root(struct walk *w, const yaml_node_t *root, struct pgconfig *c)
{
	if (!root || pgyaml_is_null(root))
		return 0; /* an empty file: no modules */
	if (root->type != YAML_MAPPING_NODE)
		return fail(w, root, "%s", "the configuration must be a mapping");
	for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top; p++) {
		const yaml_node_t *k = yaml_document_get_node(w->doc, p->key);
		const yaml_node_t *v = yaml_document_get_node(w->doc, p->value);
		const char *key = pgyaml_scalar(k);
		if (!key || strcmp(key, "auth_modules") != 0)
			return fail(w, k, "field %s not found in type config.Config", key ? key : "?");
		if (pgyaml_is_null(v))
			continue;
		if (v->type != YAML_MAPPING_NODE)
			return fail(w, v, "%s must be a mapping", "auth_modules");
		for (yaml_node_pair_t *q = v->data.mapping.pairs.start; q < v->data.mapping.pairs.top; q++) {
			const yaml_node_t *mk = yaml_document_get_node(w->doc, q->key);
			const yaml_node_t *mv = yaml_document_get_node(w->doc, q->value);
			const char *name = pgyaml_scalar(mk);
			if (!name)
				return fail(w, mk, "%s: module names must be strings", "auth_modules");
			if (pgconfig_module(c, name))
				return fail(w, mk, "auth module %s is defined twice", name);
			struct auth_module *mods = realloc(c->modules, (c->nmodules + 1) * sizeof *mods);
			if (!mods)
				return fail(w, NULL, "%s", "out of memory");
			c->modules = mods;
			struct auth_module *m = &c->modules[c->nmodules++];
			memset(m, 0, sizeof *m);
			if (parse_module(w, name, mv, m) < 0)
				return -1;
		}
	}
	return 0;
}

int pgconfig_parse(struct pgconfig *c, const char *text, size_t len, char *err, size_t errlen)
{
	memset(c, 0, sizeof *c);
	yaml_parser_t parser;
	yaml_document_t doc;
	if (!yaml_parser_initialize(&parser)) {
		strf(err, errlen, "out of memory");
		return -1;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		strf(err, errlen, "line %lu: %s", (unsigned long)parser.problem_mark.line + 1,
			 parser.problem ? parser.problem : "syntax error");
		yaml_parser_delete(&parser);
		return -1;
	}
	struct walk w = { &doc, err, errlen };
	int rc = parse_root(&w, yaml_document_get_root_node(&doc), c);
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	if (rc < 0)
		pgconfig_free(c);
	return rc;
}

int pg_read_file(const char *path, const char *what, char **out, size_t *len, char *err,
		 size_t errlen)
{
	*out = NULL;
	*len = 0;
	FILE *f = fopen(path, "re");
	if (!f) {
		int e = errno;
		strf(err, errlen, "error opening %s \"%s\": %s", what, path, strerror(e));
		return e == ENOENT ? -ENOENT : -1;
	}
	size_t cap = 1 << 20;
	char *buf = malloc(cap + 1);
	size_t n = buf ? fread(buf, 1, cap + 1, f) : 0;
	bool bad = !buf || ferror(f);
	fclose(f);
	if (bad || n > cap) {
		free(buf);
		strf(err, errlen, "error reading %s \"%s\": %s", what, path,
		     bad ? "read error" : "larger than 1 MiB");
		return -1;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

int pgconfig_load(struct pgconfig *c, const char *path, char *err, size_t errlen)
{
	memset(c, 0, sizeof *c);
	char *buf;
	size_t n;
	int rrc = pg_read_file(path, "config file", &buf, &n, err, errlen);
	if (rrc < 0)
		return rrc;
	char perr[400];
	int rc = pgconfig_parse(c, buf, n, perr, sizeof perr);
	secret_wipe(buf, n); /* it holds the auth modules' passwords */
	free(buf);
	if (rc < 0)
		strf(err, errlen, "error parsing config file \"%s\": %s", path, perr);
	return rc;
}

int auth_module_apply(const struct auth_module *m, struct pgdsn *d)
{
	if (m->type && !strcmp(m->type, "userpass")) {
		if (m->username && *m->username && pgdsn_set(d, "user", m->username) < 0)
			return -1;
		if (m->password && *m->password && pgdsn_set(d, "password", m->password) < 0)
			return -1;
	}
	for (size_t i = 0; i < m->noptions; i++)
		if (pgdsn_set(d, m->opt_keys[i], m->opt_vals[i]) < 0)
			return -1;
	return pgdsn_describe(d);
}
