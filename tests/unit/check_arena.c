/* The arena and the string-keyed hash table of common/ (first used by the textfile collector). */
#include <stdalign.h>
#include <stdint.h>

#include "../../common/arena.h"
#include "../../common/hashtab.h"
#include "unit.h"

START_TEST(test_arena)
{
	struct arena a = { 0 };
	/* Every block aligned for any type, distinct, and writable to its end. */
	char *prev = NULL;
	for (size_t i = 1; i < 5000; i++) {
		char *p = arena_alloc(&a, i % 97 + 1);
		ck_assert_ptr_nonnull(p);
		ck_assert_uint_eq((uintptr_t)p % alignof(max_align_t), 0);
		ck_assert(p != prev);
		memset(p, 0xab, i % 97 + 1);
		prev = p;
	}
	/* Larger than a chunk. */
	char *big = arena_alloc(&a, 1u << 20);
	ck_assert_ptr_nonnull(big);
	memset(big, 1, 1u << 20);

	char *s = arena_strndup(&a, "hello world", 5);
	ck_assert_str_eq(s, "hello");

	/* Growing keeps the elements; the array moves when full. */
	int *arr = NULL;
	size_t n = 0, cap = 0;
	for (int i = 0; i < 1000; i++) {
		ck_assert_int_eq(arena_grow(&a, (void **)&arr, &cap, n, sizeof *arr), 0);
		ck_assert_uint_gt(cap, n);
		arr[n++] = i;
	}
	for (int i = 0; i < 1000; i++)
		ck_assert_int_eq(arr[i], i);

	arena_reset(&a, 1u << 20);
	ck_assert_ptr_null(a.head);
	ck_assert_ptr_nonnull(a.spare);
	ck_assert_ptr_nonnull(arena_alloc(&a, 100));
	arena_free(&a);

	/* A reset that keeps its chunk hands the same memory out again; keep 0 does not. */
	char *first = arena_alloc(&a, 16);
	arena_reset(&a, 65536);
	ck_assert_ptr_eq(arena_alloc(&a, 16), first);
	arena_reset(&a, 0);
	ck_assert_ptr_null(a.spare);
	arena_free(&a);
	ck_assert_ptr_null(a.head);
	ck_assert_ptr_null(a.spare);
	/* A freed arena is an empty one. */
	ck_assert_ptr_nonnull(arena_alloc(&a, 8));
	arena_free(&a);
}
END_TEST

START_TEST(test_hashtab)
{
	struct hashtab t = { 0 };
	static char keys[3000][16];
	ck_assert_ptr_null(hashtab_get(&t, "x", hash_bytes("x", 1)));
	for (int i = 0; i < 3000; i++) {
		snprintf(keys[i], sizeof keys[i], "key%d", i);
		ck_assert_int_eq(hashtab_put(&t, keys[i], hash_bytes(keys[i], strlen(keys[i])), keys[i]), 0);
	}
	ck_assert_uint_eq(t.n, 3000);
	for (int i = 0; i < 3000; i++)
		ck_assert_ptr_eq(hashtab_get(&t, keys[i], hash_bytes(keys[i], strlen(keys[i]))), keys[i]);
	ck_assert_ptr_null(hashtab_get(&t, "key3000", hash_bytes("key3000", 7)));

	/* By a prefix: "key12" out of "key123", which is not a key itself. */
	ck_assert_ptr_eq(hashtab_get_n(&t, "key123", 5, hash_bytes("key12", 5)), keys[12]);
	ck_assert_ptr_null(hashtab_get_n(&t, "key", 3, hash_bytes("key", 3)));

	/* Keys sharing a hash are told apart by their text. */
	struct hashtab c = { 0 };
	ck_assert_int_eq(hashtab_put(&c, "a", 42, "A"), 0);
	ck_assert_int_eq(hashtab_put(&c, "b", 42, "B"), 0);
	ck_assert_str_eq(hashtab_get(&c, "a", 42), "A");
	ck_assert_str_eq(hashtab_get(&c, "b", 42), "B");
	ck_assert_ptr_null(hashtab_get(&c, "c", 42));
	/* A looked-up key with a NUL inside matches no shorter stored key (nor reads past it). */
	ck_assert_int_eq(hashtab_put(&c, "ab", 7, "AB"), 0);
	ck_assert_ptr_null(hashtab_get_n(&c, "ab\0cd", 5, 7));
	ck_assert_str_eq(hashtab_get_n(&c, "abcd", 2, 7), "AB");
	hashtab_free(&c);

	hashtab_clear(&t);
	ck_assert_uint_eq(t.n, 0);
	ck_assert_ptr_null(hashtab_get(&t, keys[5], hash_bytes(keys[5], strlen(keys[5]))));
	ck_assert_int_eq(hashtab_put(&t, keys[5], hash_bytes(keys[5], strlen(keys[5])), keys[5]), 0);
	ck_assert_ptr_eq(hashtab_get(&t, keys[5], hash_bytes(keys[5], strlen(keys[5]))), keys[5]);
	hashtab_free(&t);
	ck_assert_ptr_null(t.slots);
	/* Every byte counts, and only the first n. */
	char name[] = "node_network_receive_bytes_total_of_a_device";
	size_t len = strlen(name);
	uint64_t h = hash_bytes(name, len);
	for (size_t i = 0; i < len; i++) {
		name[i] ^= 1;
		ck_assert_msg(hash_bytes(name, len) != h, "byte %zu does not count", i);
		name[i] ^= 1;
	}
	ck_assert_uint_eq(hash_bytes("key12", 5), hash_bytes("key123", 5));
	ck_assert_uint_ne(hash_bytes("", 0), hash_bytes("\0", 1));
	/* Alike names spread over a table's slots (its low bits), as random ones would (~632 of 1024). */
	static bool used[1024];
	size_t distinct = 0;
	for (int i = 0; i < 1000; i++) {
		char k[64];
		snprintf(k, sizeof k, "node_network_receive_bytes_total_%d", i);
		size_t slot = hash_bytes(k, strlen(k)) & 1023;
		distinct += !used[slot];
		used[slot] = true;
	}
	ck_assert_msg(distinct > 580, "%zu slots of 1024 for 1000 names", distinct);
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("arena");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_arena);
	tcase_add_test(tc, test_hashtab);
	suite_add_tcase(s, tc);
	return s;
}
