/*
 * A check program for a fuzz target: #include the target's source, this
 * header, then CORPUS_SUITE(name, min_files) replays tests/fuzz/corpus/<name>.
 * The same as the replay_corpus()/CORPUS_SUITE of unit.h on main (linux
 * branch): where unit.h has them, this header adds nothing.
 */
#ifndef TESTS_UNIT_FUZZ_REPLAY_H
#define TESTS_UNIT_FUZZ_REPLAY_H
#ifndef CORPUS_SUITE

#include <check.h>
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Feed every file of the corpus dir to the target, and every prefix of each
 * file's first 2 KiB, cut at every 7th byte (inputs cut anywhere). A crash
 * or a sanitizer report fails the check; so does a corpus of fewer than
 * min_files.
 */
static inline void replay_corpus(const char *dir, int (*fuzz)(const uint8_t *, size_t),
				 size_t min_files)
{
	DIR *d = opendir(dir);
	ck_assert_msg(d != NULL, "no %s", dir);
	size_t files = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		char path[4096];
		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		FILE *f = fopen(path, "rb");
		ck_assert_msg(f != NULL, "cannot open %s", path);
		static uint8_t data[1 << 20];
		size_t n = fread(data, 1, sizeof data, f);
		fclose(f);
		/* A copy of exactly n bytes, so ASan sees any read past the input. */
		uint8_t *copy = malloc(n ? n : 1);
		ck_assert_ptr_nonnull(copy);
		memcpy(copy, data, n);
		ck_assert_int_eq(fuzz(copy, n), 0);
		for (size_t cut = 0; cut < n && cut < 2048; cut += 7)
			ck_assert_int_eq(fuzz(copy, cut), 0);
		free(copy);
		files++;
	}
	closedir(d);
	ck_assert_msg(files >= min_files, "%zu files in %s", files, dir);
}

#define CORPUS_SUITE(name, min_files)                                                      \
	START_TEST(test_corpus)                                                             \
	{                                                                                   \
		replay_corpus("tests/fuzz/corpus/" name, LLVMFuzzerTestOneInput, (min_files)); \
	}                                                                                   \
	END_TEST                                                                            \
	Suite *make_suite(void)                                                             \
	{                                                                                   \
		Suite *s = suite_create(name "_corpus");                                    \
		TCase *tc = tcase_create("core");                                           \
		tcase_set_timeout(tc, 120);                                                 \
		tcase_add_test(tc, test_corpus);                                            \
		suite_add_tcase(s, tc);                                                     \
		return s;                                                                   \
	}

#endif
#endif
