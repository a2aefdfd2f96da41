#include "arena.h"

#include <stdlib.h>
#include <string.h>

struct arena_chunk {
	struct arena_chunk *next;
	size_t used, size;
	max_align_t data[];
};

void *arena_alloc(struct arena *a, size_t n)
{
	n = (n + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1);
	struct arena_chunk *c = a->head;
	if (!c || c->size - c->used < n) {
		if (a->spare && a->spare->size >= n) {
			c = a->spare;
			a->spare = c->next;
		} else {
			size_t size = n > 65536 ? n : 65536;
			c = malloc(sizeof *c + size);
			if (!c)
				return NULL;
			c->size = size;
		}
		c->used = 0;
		c->next = a->head;
		a->head = c;
	}
	void *p = (char *)c->data + c->used;
	c->used += n;
	return p;
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p = arena_alloc(a, n + 1);
	if (p) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

int arena_grow(struct arena *a, void **arr, size_t *cap, size_t n, size_t elem)
{
	if (n < *cap)
		return 0;
	size_t ncap = *cap ? *cap * 2 : 4;
	void *p = arena_alloc(a, ncap * elem);
	if (!p)
		return -1;
	if (n)
		memcpy(p, *arr, n * elem);
	*arr = p;
	*cap = ncap;
	return 0;
}

/* Reusing kept chunks spares the page faults of fresh memory on every round. */
void arena_reset(struct arena *a, size_t keep)
{
	size_t kept = 0;
	struct arena_chunk *spare = a->spare;
	a->spare = NULL;
	for (int pass = 0; pass < 2; pass++) {
		struct arena_chunk *c = pass ? spare : a->head;
		while (c) {
			struct arena_chunk *next = c->next;
			if (kept + c->size <= keep) {
				kept += c->size;
				c->next = a->spare;
				a->spare = c;
			} else {
				free(c);
			}
			c = next;
		}
	}
	a->head = NULL;
}

void arena_free(struct arena *a)
{
	arena_reset(a, 0);
}
