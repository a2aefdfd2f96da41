// links:
/* The descriptor cache: re-reads see new content, sweeps close, errors reopen. */
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../common/fsread.h"
#include "unit.h"

static char dir[64];

static void setup(void)
{
	snprintf(dir, sizeof dir, "/tmp/check_fsread.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static void write_file(const char *name, const char *content)
{
	char path[128];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(content, f);
	fclose(f);
}

START_TEST(test_reread_sees_new_content)
{
	struct fdcache *c = fdcache_new();
	struct buf b;
	buf_init(&b, 1 << 20);
	char path[128];
	snprintf(path, sizeof path, "%s/a", dir);
	write_file("a", "first\n");
	ck_assert_int_eq(fdcache_read(c, path, &b), 0);
	ck_assert_str_eq(b.data, "first\n");
	ck_assert_uint_eq(fdcache_size(c), 1);
	/* Rewritten in place (same inode), as the kernel regenerates procfs. */
	int fd = open(path, O_WRONLY | O_TRUNC);
	ck_assert(write(fd, "second, longer\n", 15) == 15);
	close(fd);
	ck_assert_int_eq(fdcache_read(c, path, &b), 0);
	ck_assert_str_eq(b.data, "second, longer\n");
	ck_assert_uint_eq(fdcache_size(c), 1);
	buf_free(&b);
	fdcache_free(c);
}
END_TEST

START_TEST(test_sweep_closes_unused)
{
	struct fdcache *c = fdcache_new();
	char path[128], small[64];
	for (int i = 0; i < 100; i++) {
		char name[16];
		snprintf(name, sizeof name, "f%d", i);
		write_file(name, "42\n");
		snprintf(path, sizeof path, "%s/%s", dir, name);
		ck_assert_int_eq(fdcache_read_small(c, path, small, sizeof small), 2);
		ck_assert_str_eq(small, "42");
	}
	ck_assert_uint_eq(fdcache_size(c), 100);
	fdcache_sweep(c);
	/* Only f7 is used in the next round. */
	snprintf(path, sizeof path, "%s/f7", dir);
	ck_assert_int_eq(fdcache_read_small(c, path, small, sizeof small), 2);
	fdcache_sweep(c);
	ck_assert_uint_eq(fdcache_size(c), 1);
	ck_assert_int_eq(fdcache_read_small(c, path, small, sizeof small), 2);
	fdcache_free(c);
}
END_TEST

START_TEST(test_missing_and_too_big)
{
	struct fdcache *c = fdcache_new();
	char path[128], small[4];
	snprintf(path, sizeof path, "%s/none", dir);
	ck_assert_int_eq(fdcache_read_small(c, path, small, sizeof small), -ENOENT);
	write_file("big", "12345\n");
	snprintf(path, sizeof path, "%s/big", dir);
	ck_assert_int_eq(fdcache_read_small(c, path, small, sizeof small), -EFBIG);
	struct buf b;
	buf_init(&b, 3);
	ck_assert_int_eq(fdcache_read(c, path, &b), -ENOSPC);
	buf_free(&b);
	fdcache_free(c);
}
END_TEST

START_TEST(test_large_file)
{
	char path[128];
	snprintf(path, sizeof path, "%s/large", dir);
	FILE *f = fopen(path, "w");
	for (int i = 0; i < 100000; i++)
		fprintf(f, "line %d\n", i);
	fclose(f);
	struct buf b;
	buf_init(&b, 16 << 20);
	ck_assert_int_eq(read_whole(path, &b), 0);
	ck_assert_uint_eq(b.len, 1088890);
	ck_assert(strstr(b.data, "line 99999\n") != NULL);
	buf_free(&b);
}
END_TEST

START_TEST(test_dirlist_sorted)
{
	write_file("b", "");
	write_file("a", "");
	write_file("c", "");
	struct dirlist dl;
	ck_assert_int_eq(dirlist_read(dir, &dl), 0);
	ck_assert_uint_eq(dl.n, 3);
	ck_assert_str_eq(dl.names[0], "a");
	ck_assert_str_eq(dl.names[2], "c");
	dirlist_free(&dl);
	char path[128];
	snprintf(path, sizeof path, "%s/nope", dir);
	ck_assert_int_eq(dirlist_read(path, &dl), -ENOENT);
}
END_TEST

START_TEST(test_cached_dirlist_sees_changes)
{
	struct fdcache *c = fdcache_new();
	write_file("x", "");
	char sub[128];
	snprintf(sub, sizeof sub, "%s/sub", dir);
	ck_assert_int_eq(mkdir(sub, 0755), 0);
	struct dirlist dl;
	ck_assert_int_eq(fdcache_dirlist(c, dir, &dl), 0);
	ck_assert_uint_eq(dl.n, 2);
	ck_assert_str_eq(dl.names[0], "sub");
	ck_assert_int_eq(dl.types[0], DT_DIR);
	ck_assert_str_eq(dl.names[1], "x");
	ck_assert_int_eq(dl.types[1], DT_REG);
	dirlist_free(&dl);
	ck_assert_uint_eq(fdcache_size(c), 1);
	/* The cached descriptor is re-read from the start and sees new entries. */
	write_file("a", "");
	ck_assert_int_eq(fdcache_dirlist(c, dir, &dl), 0);
	ck_assert_uint_eq(dl.n, 3);
	ck_assert_str_eq(dl.names[0], "a");
	dirlist_free(&dl);
	ck_assert_uint_eq(fdcache_size(c), 1);
	/* Removed: the stale descriptor is dropped and the error returned. */
	ck_assert_int_eq(rmdir(sub), 0);
	ck_assert_int_eq(fdcache_dirlist(c, sub, &dl), -ENOENT);
	snprintf(sub, sizeof sub, "%s/x", dir);
	ck_assert_int_eq(fdcache_dirlist(c, sub, &dl), -ENOTDIR);
	fdcache_free(c);
}
END_TEST

START_TEST(test_pathf)
{
	char p[8];
	ck_assert_int_eq(pathf(p, sizeof p, "%s/%s", "ab", "cd"), 0);
	ck_assert_str_eq(p, "ab/cd");
	ck_assert_int_eq(pathf(p, sizeof p, "%s/%s", "abcd", "efgh"), -ENAMETOOLONG);
}
END_TEST

START_TEST(test_proc_pread)
{
	/* The real procfs regenerates on each read at offset 0. */
	struct fdcache *c = fdcache_new();
	char a[64], b[64];
	ck_assert_int_gt(fdcache_read_small(c, "/proc/uptime", a, sizeof a), 0);
	usleep(20000);
	ck_assert_int_gt(fdcache_read_small(c, "/proc/uptime", b, sizeof b), 0);
	ck_assert_str_ne(a, b);
	fdcache_free(c);
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("fsread");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_reread_sees_new_content);
	tcase_add_test(tc, test_sweep_closes_unused);
	tcase_add_test(tc, test_missing_and_too_big);
	tcase_add_test(tc, test_large_file);
	tcase_add_test(tc, test_dirlist_sorted);
	tcase_add_test(tc, test_cached_dirlist_sees_changes);
	tcase_add_test(tc, test_pathf);
	tcase_add_test(tc, test_proc_pread);
	suite_add_tcase(s, tc);
	return s;
}
