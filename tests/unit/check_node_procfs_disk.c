// links: node_exporter
/*
 * diskstats, filesystem and btrfs on upstream's fixtures and broken
 * variants, and the filesystem collector's stuck-mount handling with statfs
 * replaced by a call that blocks until the test releases it.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "../../common/parse.h"
#include "unit.h"

extern const struct collector_def collector_diskstats, collector_filesystem, collector_btrfs;
extern int (*node_filesystem_statfs)(const char *path, struct statfs *buf);

START_TEST(test_diskstats_fixture)
{
	struct run_result r = run_collector(&collector_diskstats);
	ck_assert_msg(r.rc == COLLECT_OK, "%s", r.err);
	ck_assert(has_line(r.text, "node_disk_reads_completed_total{device=\"sda\"} 2.5354637e+07"));
	ck_assert(has_line(r.text, "node_disk_read_time_seconds_total{device=\"nvme0n1\"} 21.650000000000002"));
	ck_assert(has_line(r.text, "node_disk_io_time_weighted_seconds_total{device=\"sdb\"} 67.07000000000001"));
	ck_assert(has_line(r.text, "node_disk_discarded_sectors_total{device=\"sdb\"} 1.925173784e+09"));
	ck_assert(has_line(r.text, "node_disk_flush_requests_total{device=\"sdc\"} 1555"));
	/* 14-field lines have no discard or flush counters; 18-field ones no flush. */
	ck_assert(!strstr(r.text, "node_disk_discards_completed_total{device=\"sda\"}"));
	ck_assert(!strstr(r.text, "node_disk_flush_requests_total{device=\"sdb\"}"));
	/* The default exclude drops ram, loop and partitions. */
	ck_assert(!strstr(r.text, "device=\"ram0\""));
	ck_assert(!strstr(r.text, "device=\"loop0\""));
	ck_assert(!strstr(r.text, "device=\"sda1\""));
	ck_assert(has_line(r.text,
			   "node_disk_info{device=\"sda\",major=\"8\",minor=\"0\",model=\"TOSHIBA_KSDB4U86\",path=\"pci-0000:3b:00.0-sas-phy7-lun-0\",revision=\"0102\",rotational=\"1\",serial=\"2160A0D5FVGG\",wwn=\"0x7c72382b8de36a64\"} 1"));
	ck_assert(has_line(r.text, "node_disk_ata_rotation_rate_rpm{device=\"sda\"} 7200"));
	ck_assert(has_line(r.text, "node_disk_ata_write_cache_enabled{device=\"sdb\"} 1"));
	ck_assert(has_line(r.text,
			   "node_disk_device_mapper_info{device=\"dm-1\",lv_layer=\"\",lv_name=\"swap_1\",name=\"system-swap_1\",uuid=\"LVM-wbGqQEBL9SxrW2DLntJwgg8fAv946hw3Tvjqh0v31fWgxEtD4BoHO0lROWFUY65T\",vg_name=\"system\"} 1"));
	ck_assert(has_line(r.text,
			   "node_disk_filesystem_info{device=\"mmcblk0p1\",type=\"vfat\",usage=\"filesystem\",uuid=\"6284-658D\",version=\"FAT32\"} 1"));
	free(r.text);
}
END_TEST

START_TEST(test_diskstats_flags)
{
	const char *incl[] = { "--collector.diskstats.device-include=^sd[ab]$", NULL };
	struct run_result r = run_collector_with(&collector_diskstats, NULL, NULL, NULL, incl);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	ck_assert(strstr(r.text, "device=\"sdb\""));
	ck_assert(!strstr(r.text, "device=\"sdc\""));
	free(r.text);
	/* Include clears the default exclude: partitions appear. */
	const char *incl2[] = { "--collector.diskstats.device-include=^sda", NULL };
	r = run_collector_with(&collector_diskstats, NULL, NULL, NULL, incl2);
	ck_assert(strstr(r.text, "device=\"sda1\""));
	free(r.text);
	const char *old[] = { "--collector.diskstats.ignored-devices=^sd", NULL };
	r = run_collector_with(&collector_diskstats, NULL, NULL, NULL, old);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	ck_assert(!strstr(r.text, "device=\"sda\""));
	ck_assert(strstr(r.text, "device=\"ram0\""));
	free(r.text);
	const char *const *const bad[] = {
		(const char *const[]){ "--collector.diskstats.device-include=x",
				       "--collector.diskstats.device-exclude=y", NULL },
		(const char *const[]){ "--collector.diskstats.ignored-devices=x",
				       "--collector.diskstats.device-exclude=y", NULL },
		(const char *const[]){ "--collector.diskstats.device-exclude=(", NULL },
		(const char *const[]){ "--collector.diskstats.device-include=[", NULL },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		r = run_collector_with(&collector_diskstats, NULL, NULL, NULL, (const char **)bad[i]);
		ck_assert_msg(r.rc == -2, "case %zu accepted", i);
		free(r.text);
	}
}
END_TEST

START_TEST(test_diskstats_broken)
{
	char *dir = fixture_dir();
	/* Short lines are skipped; no udev database: empty udev labels. */
	fixture_puts(dir, "diskstats", "8 0 sda 1 2 3\n\n8 16 sdb 1 2 3 4 5 6 7 8 9 10 11\n");
	struct run_result r = run_collector_with(&collector_diskstats, dir, dir, NULL, NULL);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	ck_assert(!strstr(r.text, "device=\"sda\""));
	ck_assert(has_line(r.text, "node_disk_io_now{device=\"sdb\"} 9"));
	ck_assert(has_line(r.text, "node_disk_read_bytes_total{device=\"sdb\"} 1536"));
	free(r.text);
	static const char *const bad[] = { "8 0 sda 1 2 x 4 5 6 7 8 9 10 11\n", "x 0 sda 1\n",
					   "8 0 sda -1 2 3 4 5 6 7 8 9 10 11\n",
					   "99999999999 0 sda 1 2 3 4 5 6 7 8 9 10 11\n" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		fixture_puts(dir, "diskstats", bad[i]);
		r = run_collector_with(&collector_diskstats, dir, dir, NULL, NULL);
		ck_assert_msg(r.rc == COLLECT_ERROR, "accepted '%s'", bad[i]);
		free(r.text);
	}
	r = run_collector_with(&collector_diskstats, "/nonexistent", dir, NULL, NULL);
	ck_assert_int_eq(r.rc, COLLECT_ERROR);
	free(r.text);
	fixture_rm(dir);
}
END_TEST

START_TEST(test_filesystem_fixture)
{
	struct run_result r = run_collector(&collector_filesystem);
	ck_assert_msg(r.rc == COLLECT_OK, "%s", r.err);
	/* "/" is the fixture directory itself: statfs works there. */
	ck_assert(has_line(r.text,
			   "node_filesystem_device_error{device=\"/dev/dm-2\",device_error=\"\",fstype=\"ext4\",mountpoint=\"/\"} 0"));
	ck_assert(strstr(r.text, "node_filesystem_size_bytes{device=\"/dev/dm-2\",device_error=\"\",fstype=\"ext4\",mountpoint=\"/\"}"));
	ck_assert(has_line(r.text, "node_filesystem_mount_info{device=\"/dev/dm-2\",major=\"259\",minor=\"2\",mountpoint=\"/\"} 1"));
	/* Paths missing under the rootfs: the statfs error as Go spells it. */
	ck_assert(has_line(r.text,
			   "node_filesystem_device_error{device=\"tmpfs\",device_error=\"no such file or directory\",fstype=\"tmpfs\",mountpoint=\"/run/lock\"} 1"));
	ck_assert(!strstr(r.text, "node_filesystem_size_bytes{device=\"tmpfs\""));
	/* Escaped space and tab in a mountpoint. */
	ck_assert(strstr(r.text, "mountpoint=\"/var/lib/kubelet/plugins/kubernetes.io/vsphere-volume/mounts/[vsanDatastore] bafb9e5a"));
	ck_assert(strstr(r.text, "mountpoint=\"/var/lib/kubelet/plugins/kubernetes.io/vsphere-volume/mounts/[vsanDatastore]\tbafb9e5a"));
	/* Default excludes: /sys, /proc, /dev mount points; autofs, fusectl types. */
	ck_assert(!strstr(r.text, "mountpoint=\"/sys"));
	ck_assert(!strstr(r.text, "mountpoint=\"/dev"));
	ck_assert(!strstr(r.text, "fstype=\"autofs\""));
	ck_assert(!strstr(r.text, "containers/storage"));
	free(r.text);
}
END_TEST

static char *mount_tree(const char *mountinfo)
{
	char *dir = fixture_dir();
	fixture_puts(dir, "proc/1/mountinfo", mountinfo);
	fixture_puts(dir, "root/data/.keep", "");
	fixture_puts(dir, "root/hang/.keep", "");
	return dir;
}

START_TEST(test_filesystem_flags_and_ro)
{
	char *dir = mount_tree(
		"1 0 8:1 / /data ro,relatime - ext4 /dev/sda1 rw\n"
		"2 0 8:1 / /data rw,relatime - ext4 /dev/sda1 rw\n" /* same labels: reported once */
		"3 0 8:2 / /hang rw - xfs /dev/sdb emergency_ro\n"
		"4 0 0:9 / /proc rw - proc proc rw\n");
	char procfs[4200], rootfs[4200];
	snprintf(procfs, sizeof procfs, "%s/proc", dir);
	snprintf(rootfs, sizeof rootfs, "%s/root", dir);
	struct run_result r = run_collector_with(&collector_filesystem, procfs, NULL, rootfs, NULL);
	ck_assert_msg(r.rc == COLLECT_OK, "%s", r.err);
	ck_assert(has_line(r.text, "node_filesystem_readonly{device=\"/dev/sda1\",device_error=\"\",fstype=\"ext4\",mountpoint=\"/data\"} 1"));
	ck_assert(has_line(r.text, "node_filesystem_readonly{device=\"/dev/sdb\",device_error=\"\",fstype=\"xfs\",mountpoint=\"/hang\"} 1"));
	ck_assert(!strstr(r.text, "mountpoint=\"/proc\""));
	free(r.text);

	const char *incl[] = { "--collector.filesystem.mount-points-include=^/hang$",
			       "--collector.filesystem.fs-types-include=^(xfs|proc)$", NULL };
	r = run_collector_with(&collector_filesystem, procfs, NULL, rootfs, incl);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	ck_assert(strstr(r.text, "mountpoint=\"/hang\""));
	ck_assert(!strstr(r.text, "mountpoint=\"/data\""));
	ck_assert(!strstr(r.text, "mountpoint=\"/proc\""));
	free(r.text);
	const char *old[] = { "--collector.filesystem.ignored-mount-points=^/data",
			      "--collector.filesystem.ignored-fs-types=^xfs$", NULL };
	r = run_collector_with(&collector_filesystem, procfs, NULL, rootfs, old);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	ck_assert(strstr(r.text, "mountpoint=\"/proc\""));
	ck_assert(!strstr(r.text, "mountpoint=\"/data\""));
	ck_assert(!strstr(r.text, "mountpoint=\"/hang\""));
	free(r.text);

	const char *const *const bad[] = {
		(const char *const[]){ "--collector.filesystem.mount-points-include=x",
				       "--collector.filesystem.mount-points-exclude=y", NULL },
		(const char *const[]){ "--collector.filesystem.fs-types-include=x",
				       "--collector.filesystem.fs-types-exclude=y", NULL },
		(const char *const[]){ "--collector.filesystem.ignored-mount-points=x",
				       "--collector.filesystem.mount-points-exclude=y", NULL },
		(const char *const[]){ "--collector.filesystem.ignored-fs-types=x",
				       "--collector.filesystem.fs-types-exclude=y", NULL },
		(const char *const[]){ "--collector.filesystem.mount-points-exclude=(", NULL },
		(const char *const[]){ "--collector.filesystem.fs-types-include=[", NULL },
		(const char *const[]){ "--collector.filesystem.mount-timeout=0s", NULL },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		r = run_collector_with(&collector_filesystem, procfs, NULL, rootfs, (const char **)bad[i]);
		ck_assert_msg(r.rc == -2, "case %zu accepted", i);
		free(r.text);
	}
	fixture_rm(dir);
}
END_TEST

START_TEST(test_filesystem_broken)
{
	static const char *const bad[] = { "1 0 8:1 / /data rw - ext4\n",
					   "1 0 8:x / /data rw - ext4 /dev/sda1 rw\n",
					   "garbage\n" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char *dir = mount_tree(bad[i]);
		char procfs[4200];
		snprintf(procfs, sizeof procfs, "%s/proc", dir);
		struct run_result r = run_collector_with(&collector_filesystem, procfs, NULL, dir, NULL);
		ck_assert_msg(r.rc == COLLECT_ERROR, "accepted '%s'", bad[i]);
		free(r.text);
		fixture_rm(dir);
	}
	/* No PID 1 entry (hidepid): our own mount table is used. */
	char *dir = fixture_dir();
	fixture_puts(dir, "self/mountinfo", "1 0 8:1 / /x rw - ext4 /dev/sdz rw\n");
	struct run_result r = run_collector_with(&collector_filesystem, dir, NULL, dir, NULL);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	ck_assert(strstr(r.text, "device=\"/dev/sdz\""));
	free(r.text);
	fixture_rm(dir);
	r = run_collector_with(&collector_filesystem, "/nonexistent", NULL, NULL, NULL);
	ck_assert_int_eq(r.rc, COLLECT_ERROR);
	free(r.text);
}
END_TEST

/* statfs that blocks for paths ending in "/hang" until released. */
static atomic_int released, hang_calls;
static pthread_mutex_t hang_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t hang_cv = PTHREAD_COND_INITIALIZER;

static int blocking_statfs(const char *path, struct statfs *buf)
{
	if (has_suffix(path, "/hang")) {
		atomic_fetch_add(&hang_calls, 1);
		pthread_mutex_lock(&hang_mu);
		while (!atomic_load(&released))
			pthread_cond_wait(&hang_cv, &hang_mu);
		pthread_mutex_unlock(&hang_mu);
		errno = EIO;
		return -1;
	}
	return statfs(path, buf);
}

static void release_hang(void)
{
	pthread_mutex_lock(&hang_mu);
	atomic_store(&released, 1);
	pthread_cond_broadcast(&hang_cv);
	pthread_mutex_unlock(&hang_mu);
}

static void fs_start(struct test_session *ss, const char *procfs, const char *rootfs,
		     const char *const *argv)
{
	fixture_session_start(ss, &collector_filesystem, procfs, NULL, rootfs, argv);
	ck_assert_int_eq(ss->init_rc, 0);
}

static char *fs_scrape(struct test_session *ss, double *seconds)
{
	int rc;
	char *t = test_session_scrape(ss, &rc, seconds);
	ck_assert_int_eq(rc, COLLECT_OK);
	return t;
}

#define HANG_LINE \
	"node_filesystem_device_error{device=\"/dev/sdb\",device_error=\"mountpoint timeout\",fstype=\"xfs\",mountpoint=\"/hang\"} 1"

START_TEST(test_filesystem_mount_timeout)
{
	char *dir = mount_tree("1 0 8:1 / /data rw - ext4 /dev/sda1 rw\n"
			       "3 0 8:2 / /hang ro - xfs /dev/sdb rw\n");
	char procfs[4200], rootfs[4200];
	snprintf(procfs, sizeof procfs, "%s/proc", dir);
	snprintf(rootfs, sizeof rootfs, "%s/root", dir);
	node_filesystem_statfs = blocking_statfs;
	const char *argv[] = { "--collector.filesystem.mount-timeout=300ms",
			       "--collector.filesystem.stat-workers=1", NULL };
	struct test_session ss;
	fs_start(&ss, procfs, rootfs, argv);

	/* The blocked call is given up after the timeout; /data is still served. */
	double secs;
	char *t = fs_scrape(&ss, &secs);
	ck_assert_msg(secs >= 0.29 && secs < 2, "scrape took %f s", secs);
	ck_assert(has_line(t, HANG_LINE));
	/* readonly is not evaluated for a stuck mount, as upstream. */
	ck_assert(has_line(t, "node_filesystem_readonly{device=\"/dev/sdb\",device_error=\"mountpoint timeout\",fstype=\"xfs\",mountpoint=\"/hang\"} 0"));
	ck_assert(!strstr(t, "node_filesystem_size_bytes{device=\"/dev/sdb\""));
	ck_assert(strstr(t, "node_filesystem_size_bytes{device=\"/dev/sda1\",device_error=\"\""));
	free(t);
	ck_assert_int_eq(atomic_load(&hang_calls), 1);

	/* While the call is pending the mount is skipped at once. */
	t = fs_scrape(&ss, &secs);
	ck_assert_msg(secs < 0.2, "second scrape took %f s", secs);
	ck_assert(has_line(t, HANG_LINE));
	ck_assert(strstr(t, "node_filesystem_size_bytes{device=\"/dev/sda1\""));
	free(t);
	ck_assert_int_eq(atomic_load(&hang_calls), 1);

	/* The call returns: the mount is checked again, and its error reported. */
	release_hang();
	for (int i = 0; i < 100; i++) {
		t = fs_scrape(&ss, &secs);
		if (!has_line(t, HANG_LINE))
			break;
		free(t);
		t = NULL;
		usleep(10000);
	}
	ck_assert_ptr_nonnull(t);
	ck_assert(has_line(t, "node_filesystem_device_error{device=\"/dev/sdb\",device_error=\"input/output error\",fstype=\"xfs\",mountpoint=\"/hang\"} 1"));
	ck_assert(has_line(t, "node_filesystem_readonly{device=\"/dev/sdb\",device_error=\"input/output error\",fstype=\"xfs\",mountpoint=\"/hang\"} 1"));
	free(t);
	ck_assert_int_eq(atomic_load(&hang_calls), 2);
	test_session_end(&ss);
	fixture_rm(dir);
}
END_TEST

START_TEST(test_filesystem_stop_while_stuck)
{
	char *dir = mount_tree("3 0 8:2 / /hang rw - xfs /dev/sdb rw\n");
	char procfs[4200], rootfs[4200];
	snprintf(procfs, sizeof procfs, "%s/proc", dir);
	snprintf(rootfs, sizeof rootfs, "%s/root", dir);
	node_filesystem_statfs = blocking_statfs;
	const char *argv[] = { "--collector.filesystem.mount-timeout=100ms", NULL };
	struct test_session ss;
	fs_start(&ss, procfs, rootfs, argv);
	double secs;
	char *t = fs_scrape(&ss, &secs);
	ck_assert(has_line(t, HANG_LINE));
	free(t);
	/* Shutdown does not wait for the blocked worker. */
	double t0 = mono_now();
	test_session_end(&ss);
	ck_assert_msg(mono_now() - t0 < 1.0, "fini took %f s", mono_now() - t0);
	/* Once released, the worker frees the pool on its way out (checked by ASan). */
	release_hang();
	usleep(200000);
	fixture_rm(dir);
}
END_TEST

START_TEST(test_btrfs_fixture)
{
	struct run_result r = run_collector(&collector_btrfs);
	ck_assert_msg(r.rc == COLLECT_OK, "%s", r.err);
	ck_assert(has_line(r.text, "node_btrfs_info{label=\"fixture\",uuid=\"0abb23a9-579b-43e6-ad30-227ef47fcb9d\"} 1"));
	ck_assert(has_line(r.text, "node_btrfs_allocation_ratio{block_group_type=\"data\",mode=\"raid5\",uuid=\"7f07c59f-6136-449c-ab87-e1cf2328731b\"} 1.3333333333333333"));
	ck_assert(has_line(r.text, "node_btrfs_commit_seconds_total{uuid=\"0abb23a9-579b-43e6-ad30-227ef47fcb9d\"} 47836.09"));
	ck_assert(has_line(r.text, "node_btrfs_max_commit_seconds{uuid=\"0abb23a9-579b-43e6-ad30-227ef47fcb9d\"} 51.462"));
	ck_assert(has_line(r.text, "node_btrfs_device_size_bytes{device=\"loop25\",uuid=\"7f07c59f-6136-449c-ab87-e1cf2328731b\"} 1.073741824e+10"));
	ck_assert(has_line(r.text, "node_btrfs_used_bytes{block_group_type=\"metadata\",mode=\"raid1\",uuid=\"0abb23a9-579b-43e6-ad30-227ef47fcb9d\"} 933888"));
	ck_assert(has_line(r.text, "node_btrfs_global_rsv_size_bytes{uuid=\"7f07c59f-6136-449c-ab87-e1cf2328731b\"} 1.6777216e+07"));
	free(r.text);
}
END_TEST

START_TEST(test_btrfs_broken)
{
	char *dir = fixture_dir();
	/* No Btrfs directory: nothing to report, not an error (as upstream). */
	struct run_result r = run_collector_with(&collector_btrfs, NULL, dir, NULL, NULL);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	ck_assert(!strstr(r.text, "node_btrfs"));
	free(r.text);
	const char *fsdir = "fs/btrfs/11111111-2222-3333-4444-555555555555";
	char rel[256];
	snprintf(rel, sizeof rel, "%s/devices/sda/size", fsdir);
	fixture_puts(dir, rel, "100\n");
	/* No allocation directory: error. */
	r = run_collector_with(&collector_btrfs, NULL, dir, NULL, NULL);
	ck_assert_int_eq(r.rc, COLLECT_ERROR);
	free(r.text);
	static const char *const types[] = { "data", "metadata", "system" };
	for (int i = 0; i < 3; i++) {
		snprintf(rel, sizeof rel, "%s/allocation/%s/single/total_bytes", fsdir, types[i]);
		fixture_puts(dir, rel, "4096\n");
		snprintf(rel, sizeof rel, "%s/allocation/%s/bytes_reserved", fsdir, types[i]);
		fixture_puts(dir, rel, "garbage\n"); /* unparsable numbers read as 0 */
	}
	r = run_collector_with(&collector_btrfs, NULL, dir, NULL, NULL);
	ck_assert_msg(r.rc == COLLECT_OK, "%s", r.err);
	/* No metadata_uuid: the directory name is the uuid. */
	ck_assert(has_line(r.text, "node_btrfs_device_size_bytes{device=\"sda\",uuid=\"11111111-2222-3333-4444-555555555555\"} 51200"));
	ck_assert(has_line(r.text, "node_btrfs_reserved_bytes{block_group_type=\"data\",uuid=\"11111111-2222-3333-4444-555555555555\"} 0"));
	ck_assert(has_line(r.text, "node_btrfs_size_bytes{block_group_type=\"system\",mode=\"single\",uuid=\"11111111-2222-3333-4444-555555555555\"} 4096"));
	free(r.text);
	snprintf(rel, sizeof rel, "%s/commit_stats", fsdir);
	fixture_puts(dir, rel, "commits 1 2\n");
	r = run_collector_with(&collector_btrfs, NULL, dir, NULL, NULL);
	ck_assert_int_eq(r.rc, COLLECT_ERROR);
	free(r.text);
	fixture_puts(dir, rel, "commits x\n");
	r = run_collector_with(&collector_btrfs, NULL, dir, NULL, NULL);
	ck_assert_int_eq(r.rc, COLLECT_ERROR);
	free(r.text);
	fixture_rm(dir);
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("node_procfs_disk");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_diskstats_fixture);
	tcase_add_test(tc, test_diskstats_flags);
	tcase_add_test(tc, test_diskstats_broken);
	tcase_add_test(tc, test_filesystem_fixture);
	tcase_add_test(tc, test_filesystem_flags_and_ro);
	tcase_add_test(tc, test_filesystem_broken);
	tcase_add_test(tc, test_filesystem_mount_timeout);
	tcase_add_test(tc, test_filesystem_stop_while_stuck);
	tcase_add_test(tc, test_btrfs_fixture);
	tcase_add_test(tc, test_btrfs_broken);
	suite_add_tcase(s, tc);
	return s;
}
