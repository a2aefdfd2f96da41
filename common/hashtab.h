/*
 * A hash table keyed by strings, with open addressing: the caller owns keys
 * and values (a key must stay valid while it is in the table) and passes
 * each key's hash_bytes() in, so a hash computed once serves several
 * lookups. Entries are never removed one by one; clear or free the table.
 * Not thread-safe; a zeroed struct hashtab is an empty table.
 */
#ifndef COMMON_HASHTAB_H
#define COMMON_HASHTAB_H

#include <stddef.h>
#include <stdint.h>

struct hashtab_slot {
	uint64_t hash;
	const char *key;
	void *val;
};

struct hashtab {
	struct hashtab_slot *slots;
	size_t cap, n;
};

/* A 64-bit hash of n bytes (FNV-1a eight bytes at a time, bits mixed down at the end). */
uint64_t hash_bytes(const char *s, size_t n);

/* The value stored under key (whose hash is h), or NULL. */
void *hashtab_get(const struct hashtab *t, const char *key, uint64_t h);

/* Same, for the first n bytes of key (which need not be NUL-terminated there). */
void *hashtab_get_n(const struct hashtab *t, const char *key, size_t n, uint64_t h);

/*
 * Store val under key (not looked up first: put a key once). Returns 0, or
 * -1 when out of memory (the table is left as it was).
 */
int hashtab_put(struct hashtab *t, const char *key, uint64_t h, void *val);

/* Forget every entry, keeping the slots' memory. */
void hashtab_clear(struct hashtab *t);

void hashtab_free(struct hashtab *t);

#endif
