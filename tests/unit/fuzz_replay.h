/*
 * Replay of a fuzzing harness's seed corpus in the check programs, so the
 * normal and sanitizer passes of the suite run every recorded input (and
 * its first prefixes: replies cut anywhere) through the harness's
 * LLVMFuzzerTestOneInput; a crash fails the suite.
 */
#ifndef TESTS_UNIT_FUZZ_REPLAY_H
#define TESTS_UNIT_FUZZ_REPLAY_H

#include <check.h>
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Run every file of dir and its prefixes; asserts at least min_files files. */
static void replay_corpus(const char *dir, size_t min_files)
{
	DIR *d = opendir(dir);
	ck_assert_msg(d != NULL, "no %s", dir);
	size_t files = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		char path[512];
		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		FILE *f = fopen(path, "rb");
		ck_assert(f != NULL);
		static uint8_t buf[1 << 20];
		size_t n = fread(buf, 1, sizeof buf, f);
		fclose(f);
		ck_assert_int_eq(LLVMFuzzerTestOneInput(buf, n), 0);
		for (size_t cut = 0; cut < n && cut < 2048; cut += 7)
			LLVMFuzzerTestOneInput(buf, cut);
		files++;
	}
	closedir(d);
	ck_assert_uint_ge(files, min_files);
}

#endif
