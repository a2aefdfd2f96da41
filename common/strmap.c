#include "strmap.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct slot {
	uint64_t hash;
	char *key; /* NULL: empty slot */
	uint32_t len;
	uint32_t gen;
	void *value;
};

struct strmap {
	struct slot *slots;
	size_t cap; /* power of two */
	size_t n;
	size_t key_bytes;
	uint32_t gen;
};

uint64_t strmap_hash(const char *s, size_t n)
{
	uint64_t h = 14695981039346656037ull;
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ull;
	}
	return h;
}

struct strmap *strmap_new(void)
{
	struct strmap *m = calloc(1, sizeof *m);
	if (!m)
		return NULL;
	m->cap = 16;
	m->slots = calloc(m->cap, sizeof *m->slots);
	if (!m->slots) {
		free(m);
		return NULL;
	}
	return m;
}

void strmap_free(struct strmap *m, void (*free_value)(void *))
{
	if (!m)
		return;
	for (size_t i = 0; i < m->cap; i++) {
		if (!m->slots[i].key)
			continue;
		if (free_value)
			free_value(m->slots[i].value);
		free(m->slots[i].key);
	}
	free(m->slots);
	free(m);
}

static struct slot *find(const struct strmap *m, const char *key, size_t len, uint64_t h)
{
	size_t mask = m->cap - 1;
	for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
		struct slot *s = &m->slots[i];
		if (!s->key || (s->hash == h && s->len == len && !memcmp(s->key, key, len)))
			return s;
	}
}

void *strmap_get(const struct strmap *m, const char *key, size_t len)
{
	struct slot *s = find(m, key, len, strmap_hash(key, len));
	return s->key ? s->value : NULL;
}

/* Move every live entry into a table of cap slots. */
static int rehash(struct strmap *m, size_t cap)
{
	struct slot *old = m->slots;
	size_t oldcap = m->cap;
	struct slot *slots = calloc(cap, sizeof *slots);
	if (!slots)
		return -1;
	m->slots = slots;
	m->cap = cap;
	for (size_t i = 0; i < oldcap; i++) {
		if (!old[i].key)
			continue;
		size_t mask = cap - 1, j = (size_t)old[i].hash & mask;
		while (slots[j].key)
			j = (j + 1) & mask;
		slots[j] = old[i];
	}
	free(old);
	return 0;
}

void **strmap_touch(struct strmap *m, const char *key, size_t len)
{
	uint64_t h = strmap_hash(key, len);
	struct slot *s = find(m, key, len, h);
	if (s->key) {
		s->gen = m->gen;
		return &s->value;
	}
	/* Keep the load under 1/2 so probes stay short. */
	if ((m->n + 1) * 2 > m->cap) {
		if (rehash(m, m->cap * 2) < 0)
			return NULL;
		s = find(m, key, len, h);
	}
	char *k = malloc(len + 1);
	if (!k)
		return NULL;
	memcpy(k, key, len);
	k[len] = '\0';
	*s = (struct slot){ .hash = h, .key = k, .len = (uint32_t)len, .gen = m->gen, .value = NULL };
	m->n++;
	m->key_bytes += len + 1;
	return &s->value;
}

size_t strmap_sweep(struct strmap *m, void (*free_value)(void *))
{
	size_t live = 0;
	for (size_t i = 0; i < m->cap; i++)
		if (m->slots[i].key && m->slots[i].gen == m->gen)
			live++;
	size_t removed = m->n - live;
	if (removed) {
		/* Holes would break probe chains: the survivors move to a new table sized for them. */
		size_t cap = 16;
		while (cap < live * 2 + 2)
			cap *= 2;
		struct slot *slots = calloc(cap, sizeof *slots);
		if (!slots) {
			/* Out of memory: keep everything; the next sweep tries again. */
			m->gen++;
			return 0;
		}
		for (size_t i = 0; i < m->cap; i++) {
			struct slot *s = &m->slots[i];
			if (!s->key)
				continue;
			if (s->gen != m->gen) {
				if (free_value)
					free_value(s->value);
				m->key_bytes -= s->len + 1u;
				free(s->key);
				continue;
			}
			size_t j = (size_t)s->hash & (cap - 1);
			while (slots[j].key)
				j = (j + 1) & (cap - 1);
			slots[j] = *s;
		}
		free(m->slots);
		m->slots = slots;
		m->cap = cap;
		m->n = live;
	}
	m->gen++;
	return removed;
}

size_t strmap_count(const struct strmap *m)
{
	return m->n;
}

size_t strmap_bytes(const struct strmap *m)
{
	return sizeof *m + m->cap * sizeof(struct slot) + m->key_bytes;
}
