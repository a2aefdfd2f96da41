/*
 * common/strmap: lookups, growth, keys with NUL bytes, and sweeping the
 * entries not touched since the last sweep.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/strmap.h"
#include "unit.h"

static int freed;

static void count_free(void *v)
{
	freed++;
	free(v);
}

START_TEST(test_touch_get_and_growth)
{
	struct strmap *m = strmap_new();
	ck_assert_ptr_nonnull(m);
	ck_assert_ptr_null(strmap_get(m, "a", 1));
	char key[32];
	for (int i = 0; i < 5000; i++) {
		int n = snprintf(key, sizeof key, "key-%d", i);
		void **slot = strmap_touch(m, key, (size_t)n);
		ck_assert_ptr_nonnull(slot);
		ck_assert_ptr_null(*slot);
		int *v = malloc(sizeof *v);
		*v = i;
		*slot = v;
	}
	ck_assert_uint_eq(strmap_count(m), 5000);
	for (int i = 0; i < 5000; i++) {
		int n = snprintf(key, sizeof key, "key-%d", i);
		int *v = strmap_get(m, key, (size_t)n);
		ck_assert_ptr_nonnull(v);
		ck_assert_int_eq(*v, i);
		/* Touching again finds the same value. */
		ck_assert_ptr_eq(*strmap_touch(m, key, (size_t)n), v);
	}
	ck_assert_uint_eq(strmap_count(m), 5000);
	ck_assert_ptr_null(strmap_get(m, "key-5000", 8));
	ck_assert_uint_gt(strmap_bytes(m), 5000 * 8);
	freed = 0;
	strmap_free(m, count_free);
	ck_assert_int_eq(freed, 5000);
}
END_TEST

START_TEST(test_keys_with_nul_bytes)
{
	struct strmap *m = strmap_new();
	*strmap_touch(m, "g\0t\0" "1", 5) = "one";
	*strmap_touch(m, "g\0t\0" "10", 6) = "ten";
	*strmap_touch(m, "g", 1) = "g";
	ck_assert_str_eq(strmap_get(m, "g\0t\0" "1", 5), "one");
	ck_assert_str_eq(strmap_get(m, "g\0t\0" "10", 6), "ten");
	ck_assert_str_eq(strmap_get(m, "g", 1), "g");
	ck_assert_ptr_null(strmap_get(m, "g\0t", 3));
	ck_assert_ptr_null(strmap_get(m, "", 0));
	strmap_free(m, NULL);
}
END_TEST

START_TEST(test_sweep_drops_untouched_entries)
{
	struct strmap *m = strmap_new();
	char key[32];
	for (int i = 0; i < 100; i++) {
		int n = snprintf(key, sizeof key, "k%d", i);
		*strmap_touch(m, key, (size_t)n) = malloc(1);
	}
	freed = 0;
	ck_assert_uint_eq(strmap_sweep(m, count_free), 0); /* all touched in this generation */
	/* Next generation: only the even ones are seen. */
	for (int i = 0; i < 100; i += 2) {
		int n = snprintf(key, sizeof key, "k%d", i);
		strmap_touch(m, key, (size_t)n);
	}
	ck_assert_uint_eq(strmap_sweep(m, count_free), 50);
	ck_assert_int_eq(freed, 50);
	ck_assert_uint_eq(strmap_count(m), 50);
	for (int i = 0; i < 100; i++) {
		int n = snprintf(key, sizeof key, "k%d", i);
		ck_assert_msg((strmap_get(m, key, (size_t)n) != NULL) == (i % 2 == 0), "k%d", i);
	}
	/* Nothing touched: everything goes; the map stays usable. */
	ck_assert_uint_eq(strmap_sweep(m, count_free), 50);
	ck_assert_uint_eq(strmap_count(m), 0);
	*strmap_touch(m, "again", 5) = malloc(1);
	ck_assert_ptr_nonnull(strmap_get(m, "again", 5));
	strmap_free(m, free);
}
END_TEST

START_TEST(test_hash_is_fnv1a)
{
	/* Published FNV-1a 64 test vectors. */
	ck_assert_uint_eq(strmap_hash("", 0), 0xcbf29ce484222325ull);
	ck_assert_uint_eq(strmap_hash("a", 1), 0xaf63dc4c8601ec8cull);
	ck_assert_uint_eq(strmap_hash("foobar", 6), 0x85944171f73967e8ull);
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("strmap");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_touch_get_and_growth);
	tcase_add_test(tc, test_keys_with_nul_bytes);
	tcase_add_test(tc, test_sweep_drops_untouched_entries);
	tcase_add_test(tc, test_hash_is_fnv1a);
	suite_add_tcase(s, tc);
	return s;
}
