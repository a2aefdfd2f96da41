/*
 * State kept between scrapes under string keys (per-partition histories...),
 * released when its object vanishes: a thin layer on hashtab that owns its
 * keys and values' slots and sweeps by generation. strmap_touch() marks an
 * entry as seen in the current generation, strmap_sweep() drops those not
 * seen since the previous sweep. Keys are NUL-terminated strings. Not
 * thread-safe: the owner serialises access; a zeroed struct strmap is an
 * empty map.
 */
#ifndef COMMON_STRMAP_H
#define COMMON_STRMAP_H

#include <stddef.h>
#include <stdint.h>

#include "hashtab.h"

struct strmap_entry;

struct strmap {
	struct hashtab tab; /* key -> struct strmap_entry */
	struct strmap_entry **entries;
	size_t n, cap;
	uint32_t gen;
};

/* Empty the map, releasing its memory; free_value (may be NULL) is called on every value. */
void strmap_free(struct strmap *m, void (*free_value)(void *));

/* The value stored under key, or NULL. */
void *strmap_get(const struct strmap *m, const char *key);

/*
 * The slot of key's value, inserted as NULL if absent (the key is copied),
 * and marked as seen in the current generation. Returns NULL when out of
 * memory. The slot stays valid until the entry is swept.
 */
void **strmap_touch(struct strmap *m, const char *key);

/*
 * Remove the entries not touched since the previous sweep, calling
 * free_value (may be NULL) on their values, and start a new generation.
 * Returns the number of entries removed.
 */
size_t strmap_sweep(struct strmap *m, void (*free_value)(void *));

/* Number of entries. */
size_t strmap_count(const struct strmap *m);

#endif
