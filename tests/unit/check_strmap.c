// links:
/*
 * common/strmap: lookups, growth, keys that extend one another, slots
 * that stay put, and sweeping the entries not touched since the last sweep.
 */
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
	struct strmap map = { 0 }, *m = &map;
	ck_assert_ptr_null(strmap_get(m, "a"));
	char key[32];
	for (int i = 0; i < 5000; i++) {
		snprintf(key, sizeof key, "key-%d", i);
		void **slot = strmap_touch(m, key);
		ck_assert_ptr_nonnull(slot);
		ck_assert_ptr_null(*slot);
		int *v = malloc(sizeof *v);
		*v = i;
		*slot = v;
	}
	ck_assert_uint_eq(strmap_count(m), 5000);
	for (int i = 0; i < 5000; i++) {
		snprintf(key, sizeof key, "key-%d", i);
		int *v = strmap_get(m, key);
		ck_assert_ptr_nonnull(v);
		ck_assert_int_eq(*v, i);
		/* Touching again finds the same value. */
		ck_assert_ptr_eq(*strmap_touch(m, key), v);
	}
	ck_assert_uint_eq(strmap_count(m), 5000);
	ck_assert_ptr_null(strmap_get(m, "key-5000"));
	freed = 0;
	strmap_free(m, count_free);
	ck_assert_int_eq(freed, 5000);
}
END_TEST

START_TEST(test_keys_extending_one_another)
{
	struct strmap map = { 0 }, *m = &map;
	*strmap_touch(m, "g\x1ft\x1f" "1") = "one";
	*strmap_touch(m, "g\x1ft\x1f" "10") = "ten";
	*strmap_touch(m, "g") = "g";
	ck_assert_str_eq(strmap_get(m, "g\x1ft\x1f" "1"), "one");
	ck_assert_str_eq(strmap_get(m, "g\x1ft\x1f" "10"), "ten");
	ck_assert_str_eq(strmap_get(m, "g"), "g");
	ck_assert_ptr_null(strmap_get(m, "g\x1ft"));
	ck_assert_ptr_null(strmap_get(m, ""));
	strmap_free(m, NULL);
	ck_assert_uint_eq(strmap_count(m), 0);
}
END_TEST

START_TEST(test_slots_stay_put)
{
	/* A slot held across insertions and sweeps (of other entries) still holds its value. */
	struct strmap map = { 0 }, *m = &map;
	void **kept = strmap_touch(m, "kept");
	*kept = "v";
	char key[32];
	for (int i = 0; i < 1000; i++) {
		snprintf(key, sizeof key, "other-%d", i);
		*strmap_touch(m, key) = malloc(1);
	}
	strmap_sweep(m, free);
	strmap_touch(m, "kept");
	ck_assert_uint_eq(strmap_sweep(m, free), 1000);
	ck_assert_ptr_eq(strmap_touch(m, "kept"), kept);
	ck_assert_str_eq(*kept, "v");
	strmap_free(m, NULL);
}
END_TEST

START_TEST(test_sweep_drops_untouched_entries)
{
	struct strmap map = { 0 }, *m = &map;
	char key[32];
	for (int i = 0; i < 100; i++) {
		snprintf(key, sizeof key, "k%d", i);
		*strmap_touch(m, key) = malloc(1);
	}
	freed = 0;
	ck_assert_uint_eq(strmap_sweep(m, count_free), 0); /* all touched in this generation */
	/* Next generation: only the even ones are seen. */
	for (int i = 0; i < 100; i += 2) {
		snprintf(key, sizeof key, "k%d", i);
		strmap_touch(m, key);
	}
	ck_assert_uint_eq(strmap_sweep(m, count_free), 50);
	ck_assert_int_eq(freed, 50);
	ck_assert_uint_eq(strmap_count(m), 50);
	for (int i = 0; i < 100; i++) {
		snprintf(key, sizeof key, "k%d", i);
		ck_assert_msg((strmap_get(m, key) != NULL) == (i % 2 == 0), "k%d", i);
	}
	/* Nothing touched: everything goes; the map stays usable. */
	ck_assert_uint_eq(strmap_sweep(m, count_free), 50);
	ck_assert_uint_eq(strmap_count(m), 0);
	*strmap_touch(m, "again") = malloc(1);
	ck_assert_ptr_nonnull(strmap_get(m, "again"));
	strmap_free(m, free);
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("strmap");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_touch_get_and_growth);
	tcase_add_test(tc, test_keys_extending_one_another);
	tcase_add_test(tc, test_slots_stay_put);
	tcase_add_test(tc, test_sweep_drops_untouched_entries);
	suite_add_tcase(s, tc);
	return s;
}
