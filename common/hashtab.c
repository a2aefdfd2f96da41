#include "hashtab.h"

#include <stdlib.h>
#include <string.h>

uint64_t hash_bytes(const char *s, size_t n)
{
	/* FNV-1a over eight bytes at a time (names are long and alike: "node_network_..."). */
	uint64_t h = 14695981039346656037ull ^ n, w;
	for (; n >= 8; n -= 8, s += 8) {
		memcpy(&w, s, 8);
		h = (h ^ w) * 1099511628211ull;
	}
	w = 0;
	memcpy(&w, s, n);
	h = (h ^ w) * 1099511628211ull;
	/* A product carries low bits upwards only: mix the high bits back down for the slot index. */
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	return h ^ h >> 33;
}

void *hashtab_get_n(const struct hashtab *t, const char *key, size_t n, uint64_t h)
{
	if (!t->cap)
		return NULL;
	for (size_t i = h & (t->cap - 1);; i = (i + 1) & (t->cap - 1)) {
		const struct hashtab_slot *s = &t->slots[i];
		if (!s->key)
			return NULL;
		/* By length first: a key holding a NUL must not match a shorter stored key. */
		if (s->hash == h && strnlen(s->key, n + 1) == n && !memcmp(s->key, key, n))
			return s->val;
	}
}

void *hashtab_get(const struct hashtab *t, const char *key, uint64_t h)
{
	return hashtab_get_n(t, key, strlen(key), h);
}

int hashtab_put(struct hashtab *t, const char *key, uint64_t h, void *val)
{
	if ((t->n + 1) * 2 > t->cap) {
		size_t ncap = t->cap ? t->cap * 2 : 64;
		struct hashtab_slot *ns = calloc(ncap, sizeof *ns);
		if (!ns)
			return -1;
		for (size_t i = 0; i < t->cap; i++) {
			if (!t->slots[i].key)
				continue;
			size_t j = t->slots[i].hash & (ncap - 1);
			while (ns[j].key)
				j = (j + 1) & (ncap - 1);
			ns[j] = t->slots[i];
		}
		free(t->slots);
		t->slots = ns;
		t->cap = ncap;
	}
	size_t i = h & (t->cap - 1);
	while (t->slots[i].key)
		i = (i + 1) & (t->cap - 1);
	t->slots[i] = (struct hashtab_slot){ h, key, val };
	t->n++;
	return 0;
}

void hashtab_clear(struct hashtab *t)
{
	if (t->cap)
		memset(t->slots, 0, t->cap * sizeof *t->slots);
	t->n = 0;
}

void hashtab_free(struct hashtab *t)
{
	free(t->slots);
	t->slots = NULL;
	t->cap = t->n = 0;
}
