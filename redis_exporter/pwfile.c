/*
 * upstream's --redis.password-file: a JSON object mapping target URIs to
 * passwords. JSON is YAML, so libyaml reads it; only a flat mapping of
 * strings is accepted.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "../common/parse.h"
#include "redis.h"

struct pwentry {
	char *uri;
	char *password;
};

struct pwfile {
	struct pwentry *e;
	size_t n, cap;
};

void pwfile_free(struct pwfile *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++) {
		free(p->e[i].uri);
		secret_free(p->e[i].password);
	}
	free(p->e);
	free(p);
}

size_t pwfile_count(const struct pwfile *p)
{
	return p ? p->n : 0;
}

static int add(struct pwfile *p, const char *uri, size_t ulen, const char *pw, size_t plen)
{
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 16;
		struct pwentry *e = realloc(p->e, cap * sizeof *e);
		if (!e)
			return -1;
		p->e = e;
		p->cap = cap;
	}
	char *u = strndup(uri, ulen), *w = strndup(pw, plen);
	if (!u || !w) {
		free(u);
		free(w);
		return -1;
	}
	p->e[p->n++] = (struct pwentry){ u, w };
	return 0;
}

struct pwfile *pwfile_load(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		strf(err, errlen, "could not open password file %s: %s", path, strerror(errno));
		return NULL;
	}
	struct pwfile *p = calloc(1, sizeof *p);
	yaml_parser_t parser;
	if (!p || !yaml_parser_initialize(&parser)) {
		fclose(f);
		free(p);
		strf(err, errlen, "out of memory");
		return NULL;
	}
	yaml_parser_set_input_file(&parser, f);
	/* Expected events: stream, document, mapping, (scalar scalar)*, end of mapping. */
	int depth = 0; /* 1 inside the top mapping */
	bool done = false, bad = false;
	char *key = NULL;
	size_t klen = 0;
	while (!done && !bad) {
		yaml_event_t ev;
		if (!yaml_parser_parse(&parser, &ev)) {
			/* The problem text of libyaml names the position, never the content. */
			strf(err, errlen, "password file %s is not valid JSON: %s at line %zu", path,
				 parser.problem ? parser.problem : "syntax error", parser.problem_mark.line + 1);
			bad = true;
			break;
		}
		switch (ev.type) {
		case YAML_STREAM_START_EVENT:
		case YAML_DOCUMENT_START_EVENT:
		case YAML_DOCUMENT_END_EVENT:
			break;
		case YAML_MAPPING_START_EVENT:
			if (depth++ != 0) {
				strf(err, errlen, "password file %s: values must be strings", path);
				bad = true;
			}
			break;
		case YAML_MAPPING_END_EVENT:
			depth--;
			break;
		case YAML_SCALAR_EVENT:
			if (depth != 1) {
				strf(err, errlen, "password file %s must hold a JSON object", path);
				bad = true;
			} else if (!key) {
				key = strndup((const char *)ev.data.scalar.value, ev.data.scalar.length);
				klen = ev.data.scalar.length;
				if (!key) {
					strf(err, errlen, "out of memory");
					bad = true;
				}
			} else {
				if (add(p, key, klen, (const char *)ev.data.scalar.value, ev.data.scalar.length) < 0) {
					strf(err, errlen, "out of memory");
					bad = true;
				}
				free(key);
				key = NULL;
			}
			break;
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		default:
			strf(err, errlen, "password file %s must hold a JSON object of strings", path);
			bad = true;
		}
		/* Scalars may be passwords: clear libyaml's copy before it is freed. */
		if (ev.type == YAML_SCALAR_EVENT && ev.data.scalar.value)
			secret_wipe(ev.data.scalar.value, ev.data.scalar.length);
		yaml_event_delete(&ev);
	}
	free(key);
	yaml_parser_delete(&parser);
	fclose(f);
	if (bad) {
		pwfile_free(p);
		return NULL;
	}
	return p;
}

const char *pwfile_lookup(const struct pwfile *p, const char *as_given, const struct raddr *a)
{
	if (!p)
		return NULL;
	for (size_t i = 0; i < p->n; i++)
		if (as_given && !strcmp(p->e[i].uri, as_given))
			return p->e[i].password;
	for (size_t i = 0; i < p->n; i++)
		if (!strcmp(p->e[i].uri, a->display))
			return p->e[i].password;
	return NULL;
}
