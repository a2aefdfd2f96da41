/*
 * Upstream's canned data for collectors that talk netlink
 * (--collector.qdisc.fixtures, --collector.wifi.fixtures): JSON files as Go's
 * encoding/json writes them, read with libyaml (JSON is YAML's flow style).
 * Keys are matched case-insensitively, as encoding/json matches field names.
 */
#ifndef NODE_JSONFIX_H
#define NODE_JSONFIX_H

#include <stddef.h>
#include <stdint.h>
#include <yaml.h>

struct jdoc {
	yaml_document_t doc;
	yaml_node_t *root;
};

/*
 * Load the file at path. Returns 0; -ENOENT when it does not exist (so a
 * caller can tell "no data" like upstream's os.ErrNotExist); -1 with a
 * message in err for an unreadable or malformed file.
 */
int jdoc_load(struct jdoc *d, const char *path, char *err, size_t errlen);
void jdoc_free(struct jdoc *d);

/* Items of a sequence node (0 if n is not one), and item i. */
size_t jdoc_len(struct jdoc *d, yaml_node_t *n);
yaml_node_t *jdoc_item(struct jdoc *d, yaml_node_t *n, size_t i);

/* The scalar text of key in mapping m, or NULL (absent, not a scalar, m not a mapping). */
const char *jdoc_str(struct jdoc *d, yaml_node_t *m, const char *key);

/*
 * Numbers of mapping m: an absent key gives 0, as a Go zero value.
 * Returns 0, or -1 if the value is not an integer of that range.
 */
int jdoc_u64(struct jdoc *d, yaml_node_t *m, const char *key, uint64_t *v);
int jdoc_i64(struct jdoc *d, yaml_node_t *m, const char *key, int64_t *v);

/*
 * A []byte of mapping m (base64 in encoding/json) decoded into dst (cap
 * bytes). Returns its length (0 when absent), or -1 if it is not valid
 * base64 or does not fit.
 */
int jdoc_bytes(struct jdoc *d, yaml_node_t *m, const char *key, unsigned char *dst, size_t cap);

#endif
