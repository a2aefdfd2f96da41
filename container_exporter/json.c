#include "json.h"

#include <string.h>

int json_parse(struct json *j, const char *text, size_t n)
{
	memset(j, 0, sizeof *j);
	yaml_parser_t p;
	if (!yaml_parser_initialize(&p))
		return -1;
	yaml_parser_set_input_string(&p, (const unsigned char *)text, n);
	int ok = yaml_parser_load(&p, &j->doc);
	yaml_parser_delete(&p);
	if (!ok)
		return -1;
	j->loaded = true;
	if (!yaml_document_get_root_node(&j->doc)) {
		json_free(j);
		return -1;
	}
	return 0;
}

void json_free(struct json *j)
{
	if (j->loaded)
		yaml_document_delete(&j->doc);
	j->loaded = false;
}

yaml_node_t *json_root(struct json *j)
{
	return j->loaded ? yaml_document_get_root_node(&j->doc) : NULL;
}

const char *json_str(yaml_node_t *n)
{
	if (!n || n->type != YAML_SCALAR_NODE)
		return NULL;
	const char *s = (const char *)n->data.scalar.value;
	/* A plain (unquoted) null is JSON's null. */
	if (n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && !strcmp(s, "null"))
		return NULL;
	return s;
}

size_t json_npairs(yaml_node_t *map)
{
	if (!map || map->type != YAML_MAPPING_NODE)
		return 0;
	return (size_t)(map->data.mapping.pairs.top - map->data.mapping.pairs.start);
}

void json_pair(struct json *j, yaml_node_t *map, size_t i, yaml_node_t **key, yaml_node_t **value)
{
	yaml_node_pair_t *pr = map->data.mapping.pairs.start + i;
	*key = yaml_document_get_node(&j->doc, pr->key);
	*value = yaml_document_get_node(&j->doc, pr->value);
}

yaml_node_t *json_get(struct json *j, yaml_node_t *map, const char *key)
{
	size_t n = json_npairs(map);
	for (size_t i = 0; i < n; i++) {
		yaml_node_t *k, *v;
		json_pair(j, map, i, &k, &v);
		const char *ks = json_str(k);
		if (ks && !strcmp(ks, key))
			return v;
	}
	return NULL;
}

size_t json_len(yaml_node_t *seq)
{
	if (!seq || seq->type != YAML_SEQUENCE_NODE)
		return 0;
	return (size_t)(seq->data.sequence.items.top - seq->data.sequence.items.start);
}

yaml_node_t *json_at(struct json *j, yaml_node_t *seq, size_t i)
{
	if (i >= json_len(seq))
		return NULL;
	return yaml_document_get_node(&j->doc, seq->data.sequence.items.start[i]);
}
