/*
 * An arena: many small allocations freed at once. Chunks of 64 KiB (or
 * larger for a larger request) are taken from malloc; a reset keeps some of
 * them for the next round, so a per-scrape arena stops touching fresh
 * memory after the first scrapes. Not thread-safe; a zeroed struct arena is
 * an empty arena.
 */
#ifndef COMMON_ARENA_H
#define COMMON_ARENA_H

#include <stddef.h>

struct arena_chunk;

struct arena {
	struct arena_chunk *head;
	struct arena_chunk *spare; /* emptied chunks kept for the next round */
};

/* n bytes aligned for any type, or NULL when out of memory. Not zeroed. */
void *arena_alloc(struct arena *a, size_t n);

/* A NUL-terminated copy of the n bytes at s, or NULL. */
char *arena_strndup(struct arena *a, const char *s, size_t n);

/*
 * Make room in the array *arr (n elements of elem bytes, room for *cap) for
 * one more: when full, a copy twice as large is made in the arena (the old
 * one is abandoned there). Returns 0, or -1 when out of memory (the array
 * is left as it was).
 */
int arena_grow(struct arena *a, void **arr, size_t *cap, size_t n, size_t elem);

/* Free everything allocated, keeping up to keep bytes of chunks for reuse. */
void arena_reset(struct arena *a, size_t keep);

/* Free everything, chunks included. */
void arena_free(struct arena *a);

#endif
