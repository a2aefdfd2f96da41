/*
 * A map from strings (byte strings of a given length, NULs allowed) to
 * pointers, by open addressing with linear probing. For state an exporter
 * keeps between scrapes and looks up many times per scrape (per-partition
 * histories...). Not thread-safe: the owner serialises access.
 *
 * Entries carry a generation number: strmap_touch() marks an entry as seen
 * in the current generation, strmap_sweep() drops those not seen since, so
 * state of vanished objects is released without a separate pass.
 */
#ifndef COMMON_STRMAP_H
#define COMMON_STRMAP_H

#include <stddef.h>
#include <stdint.h>

struct strmap;

/* New empty map; NULL when out of memory. */
struct strmap *strmap_new(void);

/* Release the map; free_value (may be NULL) is called on every value. */
void strmap_free(struct strmap *m, void (*free_value)(void *));

/* The value stored under key, or NULL. */
void *strmap_get(const struct strmap *m, const char *key, size_t len);

/*
 * The slot of key, inserted with a NULL value if absent (the key is copied),
 * and marked as seen in the current generation. Returns NULL when out of
 * memory. The slot stays valid until the next insertion or sweep.
 */
void **strmap_touch(struct strmap *m, const char *key, size_t len);

/*
 * Remove the entries not touched since the previous sweep, calling
 * free_value (may be NULL) on their values, and start a new generation.
 * Returns the number of entries removed.
 */
size_t strmap_sweep(struct strmap *m, void (*free_value)(void *));

/* Number of entries. */
size_t strmap_count(const struct strmap *m);

/* Bytes of memory the map itself uses (table and keys), for self metrics and tests. */
size_t strmap_bytes(const struct strmap *m);

/* 64-bit FNV-1a hash of n bytes. */
uint64_t strmap_hash(const char *s, size_t n);

#endif
