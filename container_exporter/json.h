/*
 * Reading JSON documents (Docker Engine API replies, OCI runtime specs)
 * with libyaml: JSON is a subset of the YAML flow syntax, so libyaml's
 * document loader gives a tree of scalars, sequences and mappings.
 */
#ifndef CONTAINER_JSON_H
#define CONTAINER_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <yaml.h>

struct json {
	yaml_document_t doc;
	bool loaded;
};

/* Parse text (n bytes). Returns 0, or -1 if it is not a document. */
int json_parse(struct json *j, const char *text, size_t n);
void json_free(struct json *j);

/* The root node, or NULL. */
yaml_node_t *json_root(struct json *j);

/* Member `key` of a mapping node, or NULL. */
yaml_node_t *json_get(struct json *j, yaml_node_t *map, const char *key);

/* Item i of a sequence node, or NULL; json_len() is its length (0 if not a sequence). */
yaml_node_t *json_at(struct json *j, yaml_node_t *seq, size_t i);
size_t json_len(yaml_node_t *seq);

/* The text of a scalar node, or NULL (also for null, which a JSON null is). */
const char *json_str(yaml_node_t *n);

/* Number of pairs of a mapping and their nodes (key i, value i). */
size_t json_npairs(yaml_node_t *map);
void json_pair(struct json *j, yaml_node_t *map, size_t i, yaml_node_t **key, yaml_node_t **value);

#endif
