/* Replaying a fuzzing corpus through its harness, for the check programs. */
#ifndef TESTS_UNIT_FUZZ_REPLAY_H
#define TESTS_UNIT_FUZZ_REPLAY_H

#include <check.h>
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>

/*
 * Every file of dir through the harness fn (which must return 0), then every
 * prefix of its first 2 KiB: inputs cut anywhere. Returns the number of files.
 */
static size_t fuzz_replay(const char *dir, int (*fn)(const uint8_t *, size_t))
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
		ck_assert_int_eq(fn(buf, n), 0);
		for (size_t cut = 0; cut < n && cut < 2048; cut += 7)
			fn(buf, cut);
		files++;
	}
	closedir(d);
	return files;
}

#endif
