#include "jsonfix.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "../common/parse.h"

int jdoc_load(struct jdoc *d, const char *path, char *err, size_t errlen)
{
	d->root = NULL;
	FILE *f = fopen(path, "rb");
	if (!f) {
		int e = errno;
		if (e == ENOENT)
			return -ENOENT;
		strf(err, errlen, "open %s: %s", path, strerror(e));
		return -1;
	}
	yaml_parser_t p;
	if (!yaml_parser_initialize(&p)) {
		fclose(f);
		strf(err, errlen, "out of memory");
		return -1;
	}
	yaml_parser_set_input_file(&p, f);
	int ok = yaml_parser_load(&p, &d->doc);
	if (!ok)
		strf(err, errlen, "%s: %s at line %zu", path, p.problem ? p.problem : "parse error",
		     p.problem_mark.line + 1);
	yaml_parser_delete(&p);
	fclose(f);
	if (!ok)
		return -1;
	d->root = yaml_document_get_root_node(&d->doc);
	if (!d->root) {
		yaml_document_delete(&d->doc);
		strf(err, errlen, "%s: empty", path);
		return -1;
	}
	return 0;
}

void jdoc_free(struct jdoc *d)
{
	if (d->root)
		yaml_document_delete(&d->doc);
	d->root = NULL;
}

size_t jdoc_len(struct jdoc *d, yaml_node_t *n)
{
	(void)d;
	if (!n || n->type != YAML_SEQUENCE_NODE)
		return 0;
	return (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
}

yaml_node_t *jdoc_item(struct jdoc *d, yaml_node_t *n, size_t i)
{
	if (i >= jdoc_len(d, n))
		return NULL;
	return yaml_document_get_node(&d->doc, n->data.sequence.items.start[i]);
}

static const char *scalar(yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

const char *jdoc_str(struct jdoc *d, yaml_node_t *m, const char *key)
{
	if (!m || m->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
		const char *k = scalar(yaml_document_get_node(&d->doc, p->key));
		if (k && !strcasecmp(k, key))
			return scalar(yaml_document_get_node(&d->doc, p->value));
	}
	return NULL;
}

int jdoc_u64(struct jdoc *d, yaml_node_t *m, const char *key, uint64_t *v)
{
	const char *s = jdoc_str(d, m, key);
	*v = 0;
	return s ? parse_u64(s, v) : 0;
}

int jdoc_i64(struct jdoc *d, yaml_node_t *m, const char *key, int64_t *v)
{
	const char *s = jdoc_str(d, m, key);
	*v = 0;
	return s ? parse_i64(s, v) : 0;
}

static int b64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	return c == '+' ? 62 : c == '/' ? 63 : -1;
}

int jdoc_bytes(struct jdoc *d, yaml_node_t *m, const char *key, unsigned char *dst, size_t cap)
{
	const char *s = jdoc_str(d, m, key);
	if (!s)
		return 0;
	size_t n = strlen(s), out = 0;
	/* encoding/json writes standard base64 with padding. */
	if (n % 4)
		return -1;
	for (size_t i = 0; i < n; i += 4) {
		int v[4], pad = 0;
		for (int k = 0; k < 4; k++) {
			if (s[i + k] == '=' && i + 4 == n && k >= 2) {
				v[k] = 0;
				pad++;
			} else if (pad || (v[k] = b64_value(s[i + k])) < 0) {
				return -1;
			}
		}
		uint32_t w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];
		for (int k = 0; k < 3 - pad; k++) {
			if (out == cap)
				return -1;
			dst[out++] = (unsigned char)(w >> (16 - 8 * k));
		}
	}
	return (int)out;
}
