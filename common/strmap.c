#include "strmap.h"

#include <stdlib.h>
#include <string.h>

struct strmap_entry {
	uint64_t hash;
	uint32_t gen;
	void *value;
	char key[]; /* the table's key points here */
};

void strmap_free(struct strmap *m, void (*free_value)(void *))
{
	for (size_t i = 0; i < m->n; i++) {
		if (free_value)
			free_value(m->entries[i]->value);
		free(m->entries[i]);
	}
	free(m->entries);
	hashtab_free(&m->tab);
	*m = (struct strmap){ 0 };
}

void *strmap_get(const struct strmap *m, const char *key)
{
	size_t len = strlen(key);
	const struct strmap_entry *e = hashtab_get_n(&m->tab, key, len, hash_bytes(key, len));
	return e ? e->value : NULL;
}

void **strmap_touch(struct strmap *m, const char *key)
{
	size_t len = strlen(key);
	uint64_t h = hash_bytes(key, len);
	struct strmap_entry *e = hashtab_get_n(&m->tab, key, len, h);
	if (e) {
		e->gen = m->gen;
		return &e->value;
	}
	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 16;
		struct strmap_entry **v = realloc(m->entries, cap * sizeof *v);
		if (!v)
			return NULL;
		m->entries = v;
		m->cap = cap;
	}
	e = malloc(sizeof *e + len + 1);
	if (!e)
		return NULL;
	*e = (struct strmap_entry){ .hash = h, .gen = m->gen };
	memcpy(e->key, key, len + 1);
	if (hashtab_put(&m->tab, e->key, h, e) < 0) {
		free(e);
		return NULL;
	}
	m->entries[m->n++] = e;
	return &e->value;
}

size_t strmap_sweep(struct strmap *m, void (*free_value)(void *))
{
	size_t live = 0;
	for (size_t i = 0; i < m->n; i++) {
		struct strmap_entry *e = m->entries[i];
		if (e->gen == m->gen) {
			m->entries[live++] = e;
			continue;
		}
		if (free_value)
			free_value(e->value);
		free(e);
	}
	size_t removed = m->n - live;
	m->n = live;
	if (removed) {
		/*
		 * hashtab removes nothing one by one: the survivors go back into
		 * the emptied table, which has room for them (no allocation).
		 */
		hashtab_clear(&m->tab);
		for (size_t i = 0; i < live; i++)
			(void)hashtab_put(&m->tab, m->entries[i]->key, m->entries[i]->hash, m->entries[i]);
	}
	m->gen++;
	return removed;
}

size_t strmap_count(const struct strmap *m)
{
	return m->n;
}
