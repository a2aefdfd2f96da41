// links: container_exporter
/*
 * Scrapes that follow inotify events instead of listing every directory and
 * reading every limit again: cgroups created or removed between scrapes
 * come and go, a limit written in place is read again, a limit whose file
 * was not written in the cgroup's directory is not (the cache is real), and
 * without inotify every directory is listed and every limit read on every
 * scrape.
 */
#include "container_test.h"

#define NGINX "/system.slice/nginx.service"
#define NGINX_DIR "sys/fs/cgroup/system.slice/nginx.service"
#define FRESH "/system.slice/fresh.service"
#define V1_DOCKER "/docker/3f4a5b6c7d8e9f00112233445566778899aabbccddeeff00112233445566aa01"
#define V1_DOCKER_MEM "sys/fs/cgroup/memory" V1_DOCKER
#define V1_DOCKER_CPU "sys/fs/cgroup/cpu,cpuacct" V1_DOCKER

static void teardown(void)
{
	ctest_cleanup();
}

/* Run a shell command in the scratch tree. */
static void sh(const char *cmd)
{
	char line[1024];
	snprintf(line, sizeof line, "cd %s && %s", ctest_dir, cmd);
	ck_assert_int_eq(system(line), 0);
}

/* A cgroup made and removed between scrapes comes and goes (events, or listings without inotify). */
static void come_and_go(bool inotify)
{
	ctest_prepare("v2");
	struct cx_opts o = ctest_opts();
	struct ctest t;
	ctest_start(&t, &o);
	if (!inotify)
		t.cx.watches.tried = true; /* as if inotify_init1 had failed */
	char *text = ctest_scrape(&t);
	NONE(text, "container_memory_usage_bytes", FRESH);
	free(text);
	ck_assert_int_eq(t.cx.watches.n > 0, inotify);

	sh("cp -r " NGINX_DIR " sys/fs/cgroup" FRESH);
	text = ctest_scrape(&t);
	ck_assert_double_eq(VAL(text, "container_memory_usage_bytes", FRESH, NULL), 4096);
	ck_assert_double_eq(VAL(text, "container_memory_usage_bytes", NGINX, NULL), 4096);
	free(text);

	sh("rm -rf sys/fs/cgroup" FRESH);
	text = ctest_scrape(&t);
	NONE(text, "container_memory_usage_bytes", FRESH);
	ck_assert_double_eq(VAL(text, "container_memory_usage_bytes", NGINX, NULL), 4096);
	free(text);
	ctest_stop(&t);
}

START_TEST(test_cgroups_come_and_go_with_events)
{
	come_and_go(true);
}
END_TEST

START_TEST(test_cgroups_come_and_go_without_inotify)
{
	come_and_go(false);
}
END_TEST

/* Write text over the file at path (in place: the same inode). */
static void overwrite(const char *path, const char *text)
{
	FILE *f = fopen(path, "wb");
	ck_assert_msg(f != NULL, "cannot write %s", path);
	fputs(text, f);
	fclose(f);
}

/* One scrape's value of family for id, which has no timestamp (a spec family). */
static double spec_of(struct ctest *t, const char *family, const char *id)
{
	char *text = ctest_scrape(t);
	double v = SPEC(text, family, id, NULL);
	free(text);
	return v;
}

/*
 * The limit of a watched cgroup is read again after a write in its
 * directory. A write through a hard link elsewhere reaches the same file
 * without an event for the cgroup's directory: the value stays as read,
 * which shows that the limit is not read on every scrape. (Real cgroup
 * files have no second name; this only makes the cache visible.)
 */
static void limit_follows_writes(const char *tree, const char *dir, const char *file,
				 const char *family, const char *id, double before)
{
	ctest_prepare(tree);
	char rel[256], other[256];
	snprintf(rel, sizeof rel, "%s/%s", dir, file);
	snprintf(other, sizeof other, "%s/elsewhere", ctest_dir);
	struct cx_opts o = ctest_opts();
	struct ctest t;
	ctest_start(&t, &o);
	ck_assert_double_eq(spec_of(&t, family, id), before);
	ctest_write(rel, "1048576\n", 8);
	ck_assert_double_eq(spec_of(&t, family, id), 1048576);

	char path[1024];
	snprintf(path, sizeof path, "%s/%s", ctest_dir, rel);
	ck_assert_int_eq(link(path, other), 0);
	overwrite(other, "2097152\n");
	ck_assert_double_eq(spec_of(&t, family, id), 1048576);

	/* Unwatched (no inotify): read on every scrape. */
	struct ctest u;
	ctest_start(&u, &o);
	u.cx.watches.tried = true;
	ck_assert_double_eq(spec_of(&u, family, id), 2097152);
	overwrite(other, "3145728\n");
	ck_assert_double_eq(spec_of(&u, family, id), 3145728);
	ctest_stop(&u);

	/* A write in the cgroup's directory: read again. */
	ctest_write(rel, "4194304\n", 8);
	ck_assert_double_eq(spec_of(&t, family, id), 4194304);
	ctest_stop(&t);
}

START_TEST(test_v2_memory_limit_follows_writes)
{
	limit_follows_writes("v2", NGINX_DIR, "memory.max", "container_spec_memory_limit_bytes", NGINX,
			     0);
}
END_TEST

START_TEST(test_v1_memory_limit_follows_writes)
{
	limit_follows_writes("v1", V1_DOCKER_MEM, "memory.limit_in_bytes",
			     "container_spec_memory_limit_bytes", V1_DOCKER, 268435456);
}
END_TEST

START_TEST(test_v1_cpu_shares_follow_writes)
{
	limit_follows_writes("v1", V1_DOCKER_CPU, "cpu.shares", "container_spec_cpu_shares", V1_DOCKER,
			     512);
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("container_watch");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, test_cgroups_come_and_go_with_events);
	tcase_add_test(tc, test_cgroups_come_and_go_without_inotify);
	tcase_add_test(tc, test_v2_memory_limit_follows_writes);
	tcase_add_test(tc, test_v1_memory_limit_follows_writes);
	tcase_add_test(tc, test_v1_cpu_shares_follow_writes);
	suite_add_tcase(s, tc);
	return s;
}
