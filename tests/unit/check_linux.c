/*
 * The Linux layer in common/: path roots and their flags, mountinfo
 * (cgroup v1, v2 and hybrid mount tables among others), CPU lists, the
 * kernel's stat-file formats, the udev database, the readers that turn
 * missing files into COLLECT_NODATA, and the sysfs attribute readers and
 * Go integer syntax of node's collectors.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <unistd.h>

#include "../../common/cpulist.h"
#include "../../common/mountinfo.h"
#include "../../common/parse.h"
#include "../../common/statfile.h"
#include "../../common/sysfs.h"
#include "../../common/udev.h"
#include "unit.h"

START_TEST(test_root_paths)
{
	char p[64];
	const char *saved = path_procfs;
	static const struct {
		const char *root, *want;
	} cases[] = { { "/", "/x/1" }, { "/host/", "/host/x/1" }, { "/host//", "/host/x/1" },
		      { "rel", "rel/x/1" }, { "", "/x/1" } };
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		path_procfs = cases[i].root;
		ck_assert_int_eq(proc_path(p, sizeof p, "x/%d", 1), 0);
		ck_assert_str_eq(p, cases[i].want);
	}
	path_procfs = saved;
	ck_assert_int_eq(root_path(p, 8, "/host", "%s", "abc"), -ENAMETOOLONG); /* "/host/abc" */
	ck_assert_int_eq(root_path(p, 10, "/host", "%s", "abc"), 0);
	ck_assert_int_eq(root_path(p, 1, "/", "x"), -ENAMETOOLONG);

	path_rootfs = "/host/";
	ck_assert_str_eq(rootfs_strip("/host/var/lib"), "/var/lib");
	ck_assert_str_eq(rootfs_strip("/host"), "/");
	ck_assert_str_eq(rootfs_strip("/hostile/x"), "/hostile/x");
	ck_assert_str_eq(rootfs_strip("/other"), "/other");
	ck_assert_int_eq(host_path(p, sizeof p, "/sys/fs/cgroup"), 0);
	ck_assert_str_eq(p, "/host/sys/fs/cgroup");
	ck_assert_int_eq(rootfs_path(p, sizeof p, "%s", "etc/os-release"), 0);
	ck_assert_str_eq(p, "/host/etc/os-release");
	path_rootfs = "/";
	ck_assert_str_eq(rootfs_strip("/var"), "/var");
	ck_assert_int_eq(host_path(p, sizeof p, "/sys/fs/cgroup"), 0);
	ck_assert_str_eq(p, "/sys/fs/cgroup");
	ck_assert_int_eq(host_path(p, sizeof p, "/"), 0);
	ck_assert_str_eq(p, "/");
}
END_TEST

/* The PATH_FLAG_* entries in an exporter's table: defaults, then what argv says. */
START_TEST(test_path_flags)
{
	static struct flag table[] = { PATH_FLAG_PROCFS, PATH_FLAG_SYSFS,
				       PATH_FLAG_ROOTFS("Where the host's / is."), PATH_FLAG_UDEV_DATA };
	struct flagset fs = { .prog = "test", .version_line = "test" };
	flags_add_table(&fs, table, sizeof table / sizeof table[0]);
	char *argv[] = { "test", "--path.rootfs=/rootfs", "--path.sysfs", "/host/sys" };
	flags_parse(&fs, 4, argv);
	ck_assert_str_eq(path_procfs, "/proc");
	ck_assert_str_eq(path_sysfs, "/host/sys");
	ck_assert_str_eq(path_rootfs, "/rootfs");
	ck_assert_str_eq(path_udev_data, "/run/udev/data");
	char p[64];
	ck_assert_int_eq(sys_path(p, sizeof p, "fs/cgroup/%s", "memory.stat"), 0);
	ck_assert_str_eq(p, "/host/sys/fs/cgroup/memory.stat");
	flags_free(&fs);
	path_sysfs = "/sys";
	path_rootfs = "/";
}
END_TEST
START_TEST(test_mountinfo_helpers)
{
	char s1[] = "/a\\040b\\011c\\134d\\012e\\000f\\9";
	mountinfo_unescape(s1);
	ck_assert_str_eq(s1, "/a b\tc\\d\ne\\000f\\9");
	ck_assert(mount_option("rw,ro,relatime", "ro"));
	ck_assert(!mount_option("rw,ro=1,relatime", "ro"));
	ck_assert(!mount_option("rw", "r"));
	ck_assert(mount_option("ro", "ro"));
	ck_assert(!mount_option("", "ro"));
	char val[16];
	ck_assert(mount_option_value("rw,addr=10.0.0.1,vers=4", "addr", val, sizeof val));
	ck_assert_str_eq(val, "10.0.0.1");
	ck_assert(mount_option_value("addr=1,addr=2", "addr", val, sizeof val)); /* the last wins */
	ck_assert_str_eq(val, "2");
	ck_assert(mount_option_value("k=a=b", "k", val, sizeof val)); /* ends at a further '=' */
	ck_assert_str_eq(val, "a");
	ck_assert(mount_option_value("rw,hard", "hard", val, sizeof val));
	ck_assert_str_eq(val, "");
	ck_assert(!mount_option_value("rw,mountaddr=1", "addr", val, sizeof val));
	ck_assert_str_eq(val, "");
	ck_assert(mount_option_value("addr=0123456789abcdefXYZ", "addr", val, sizeof val));
	ck_assert_str_eq(val, "0123456789abcde"); /* cut to the buffer */

	char text[] = "29 1 259:2 / /a\\040b rw,relatime shared:1 master:2 - ext4 /dev/dm-2 rw,errors=x\n"
		      "30 29 0:5 / /b - tmpfs tmpfs rw\n";
	char *cur = text;
	struct mountinfo_entry m;
	ck_assert_int_eq(mountinfo_next(&cur, &m), 1);
	ck_assert_str_eq(m.mountpoint, "/a b");
	ck_assert_str_eq(m.fstype, "ext4");
	ck_assert_str_eq(m.source, "/dev/dm-2");
	ck_assert_str_eq(m.super_options, "rw,errors=x");
	ck_assert_uint_eq(m.major, 259);
	ck_assert_uint_eq(m.minor, 2);
	ck_assert_int_eq(mountinfo_next(&cur, &m), -1); /* 9 fields */
	ck_assert_int_eq(mountinfo_next(&cur, &m), 0);

	static const char *const bad[] = {
		"x 1 0:1 / /a rw - ext4 /dev/x rw",	 "1 1 0:1 / /a rw shared:1 ext4 /dev/x rw x",
		"1 1 01 / /a rw - ext4 /dev/x rw",	 "1 1 0:x / /a rw - ext4 /dev/x rw",
		"",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char line[256];
		snprintf(line, sizeof line, "%s\nnext", bad[i]);
		cur = line;
		ck_assert_msg(mountinfo_next(&cur, &m) == -1, "accepted '%s'", bad[i]);
	}
}
END_TEST

START_TEST(test_udev_helpers)
{
	char text[] = "S:disk/by-id/x\nE:ID_MODEL=Disk\r\nE:ID_SERIAL=1\nE:NOEQUALS\nE:ID_SERIAL=2\nI:5\n";
	struct udev_prop p[8];
	size_t n = udev_parse(text, p, 8);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(udev_get(p, n, "ID_MODEL"), "Disk");
	ck_assert_str_eq(udev_get(p, n, "ID_SERIAL"), "2"); /* the last one wins */
	ck_assert_ptr_null(udev_get(p, n, "S"));
	/* More properties than room: the rest is dropped, not overflowed. */
	char many[4096] = "";
	size_t len = 0;
	for (int i = 0; i < 100; i++)
		len += (size_t)snprintf(many + len, sizeof many - len, "E:K%d=%d\n", i, i);
	n = udev_parse(many, p, 8);
	ck_assert_uint_eq(n, 8);
	path_udev_data = FIXTURES "/udev/data";
	struct buf b;
	buf_init(&b, 1 << 20);
	struct udev_prop props[UDEV_MAX_PROPS];
	int rc = udev_block_props(8, 0, &b, props, UDEV_MAX_PROPS);
	ck_assert_int_gt(rc, 10);
	ck_assert_str_eq(udev_get(props, (size_t)rc, "ID_MODEL"), "TOSHIBA_KSDB4U86");
	ck_assert_int_eq(udev_block_props(1, 99, &b, props, UDEV_MAX_PROPS), -ENOENT);
	buf_free(&b);
}
END_TEST


/*
 * Finding cgroup hierarchies in a mount table, as container_exporter will:
 * v1 has one "cgroup" mount per controller set (named in the superblock
 * options), v2 one "cgroup2" mount, and hybrid hosts have both.
 */
struct cgroup_mounts {
	char memory[64], cpu[64], unified[64];
};

static int find_cgroup_mounts(const char *table, struct cgroup_mounts *cm)
{
	char text[2048];
	snprintf(text, sizeof text, "%s", table);
	memset(cm, 0, sizeof *cm);
	char *cur = text;
	struct mountinfo_entry m;
	int rc;
	while ((rc = mountinfo_next(&cur, &m)) != 0) {
		if (rc < 0)
			return -1;
		if (!strcmp(m.fstype, "cgroup2"))
			snprintf(cm->unified, sizeof cm->unified, "%s", m.mountpoint);
		else if (!strcmp(m.fstype, "cgroup") && mount_option(m.super_options, "memory"))
			snprintf(cm->memory, sizeof cm->memory, "%s", m.mountpoint);
		else if (!strcmp(m.fstype, "cgroup") && mount_option(m.super_options, "cpu"))
			snprintf(cm->cpu, sizeof cm->cpu, "%s", m.mountpoint);
	}
	return 0;
}

START_TEST(test_mountinfo_cgroups)
{
	struct cgroup_mounts cm;
	/* v2 only (Debian 12, systemd's unified hierarchy). */
	ck_assert_int_eq(find_cgroup_mounts("22 1 0:21 / /sys rw,nosuid - sysfs sysfs rw\n"
					    "26 22 0:23 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot\n",
					    &cm),
			 0);
	ck_assert_str_eq(cm.unified, "/sys/fs/cgroup");
	ck_assert_str_eq(cm.memory, "");

	/* v1: a mount per controller set; "cpu,cpuacct" holds cpu, "cpuset" does not. */
	ck_assert_int_eq(find_cgroup_mounts("25 22 0:22 / /sys/fs/cgroup ro,nosuid - tmpfs tmpfs ro,mode=755\n"
					    "31 25 0:27 / /sys/fs/cgroup/cpuset rw,nosuid shared:9 - cgroup cgroup rw,cpuset\n"
					    "32 25 0:28 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid shared:10 - cgroup cgroup rw,cpu,cpuacct\n"
					    "33 25 0:29 / /sys/fs/cgroup/memory rw,nosuid shared:11 - cgroup cgroup rw,memory\n",
					    &cm),
			 0);
	ck_assert_str_eq(cm.cpu, "/sys/fs/cgroup/cpu,cpuacct");
	ck_assert_str_eq(cm.memory, "/sys/fs/cgroup/memory");
	ck_assert_str_eq(cm.unified, "");

	/* Hybrid: v1 controllers plus the unified hierarchy (systemd's "unified" mount). */
	ck_assert_int_eq(find_cgroup_mounts("26 25 0:23 / /sys/fs/cgroup/unified rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n"
					    "33 25 0:29 / /sys/fs/cgroup/memory rw,nosuid - cgroup cgroup rw,memory\n",
					    &cm),
			 0);
	ck_assert_str_eq(cm.unified, "/sys/fs/cgroup/unified");
	ck_assert_str_eq(cm.memory, "/sys/fs/cgroup/memory");

	/* A mangled table is refused, not half-read. */
	ck_assert_int_eq(find_cgroup_mounts("33 25 0:29 / /sys/fs/cgroup/memory rw - cgroup\n", &cm), -1);
}
END_TEST

START_TEST(test_cpulist)
{
	struct cpulist l;
	ck_assert_int_eq(cpulist_parse("0-3,8,10-11\n", &l), 0);
	ck_assert_uint_eq(l.n, 7);
	static const unsigned short want[] = { 0, 1, 2, 3, 8, 10, 11 };
	for (size_t i = 0; i < l.n; i++)
		ck_assert_uint_eq(l.ids[i], want[i]);
	ck_assert(cpulist_has(&l, 0) && cpulist_has(&l, 3) && cpulist_has(&l, 11));
	ck_assert(!cpulist_has(&l, 4) && !cpulist_has(&l, 9) && !cpulist_has(&l, 12));
	ck_assert(!cpulist_has(&l, 65536 + 8));
	cpulist_free(&l);
	ck_assert_ptr_null(l.ids);

	/* Overlaps and repeats count once, in order; blanks and empty items are ignored. */
	ck_assert_int_eq(cpulist_parse(" 5, 1-3 ,2,,3-5\t", &l), 0);
	ck_assert_uint_eq(l.n, 5);
	ck_assert_uint_eq(l.ids[0], 1);
	ck_assert_uint_eq(l.ids[4], 5);
	cpulist_free(&l);

	/* Empty lists (no CPU offline) and the widest one. */
	ck_assert_int_eq(cpulist_parse("", &l), 0);
	ck_assert_uint_eq(l.n, 0);
	ck_assert(!cpulist_has(&l, 0));
	ck_assert_int_eq(cpulist_parse("\n", &l), 0);
	ck_assert_uint_eq(l.n, 0);
	ck_assert_int_eq(cpulist_parse("0-65535", &l), 0);
	ck_assert_uint_eq(l.n, 65536);
	ck_assert_uint_eq(l.ids[65535], 65535);
	cpulist_free(&l);
	/* Word boundaries of the bitmap. */
	ck_assert_int_eq(cpulist_parse("63-64,127,128", &l), 0);
	ck_assert_uint_eq(l.n, 4);
	ck_assert_uint_eq(l.ids[0], 63);
	ck_assert_uint_eq(l.ids[1], 64);
	ck_assert_uint_eq(l.ids[3], 128);
	cpulist_free(&l);

	static const char *const bad[] = { "1-x", "3-1", "-1", "1-", "65536", "0-65536", "a", "1 2",
					   "+1", "1-2-3", "0x1" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ck_assert_msg(cpulist_parse(bad[i], &l) == -1, "accepted '%s'", bad[i]);
		ck_assert_ptr_null(l.ids);
		ck_assert_uint_eq(l.n, 0);
	}
}
END_TEST

START_TEST(test_flat_keyed)
{
	char text[] = "anon 4096\nfile 8192\n\n  kernel_stack 16384\r\nbroken\ntoo many fields\nlast 1";
	char *cur = text, *k, *v;
	ck_assert_int_eq(kv_next(&cur, &k, &v), 1);
	ck_assert_str_eq(k, "anon");
	ck_assert_str_eq(v, "4096");
	ck_assert_int_eq(kv_next(&cur, &k, &v), 1);
	ck_assert_str_eq(k, "file");
	ck_assert_int_eq(kv_next(&cur, &k, &v), 1); /* blank line skipped, CRLF and indent trimmed */
	ck_assert_str_eq(k, "kernel_stack");
	ck_assert_str_eq(v, "16384");
	ck_assert_int_eq(kv_next(&cur, &k, &v), -1);
	ck_assert_str_eq(k, "broken");
	ck_assert_int_eq(kv_next(&cur, &k, &v), -1);
	ck_assert_int_eq(kv_next(&cur, &k, &v), 1); /* the caller may go on after a bad line */
	ck_assert_str_eq(k, "last");
	ck_assert_str_eq(v, "1");
	ck_assert_int_eq(kv_next(&cur, &k, &v), 0);
	ck_assert_int_eq(kv_next(&cur, &k, &v), 0);
}
END_TEST

START_TEST(test_nested_keyed)
{
	char text[] = "8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0\n"
		      "253:1 rbytes=18446744073709551615\n"
		      "\n"
		      "8:16\n"
		      "8:32 rbytes=1 junk =2\n";
	char *cur = text, *head, *pairs, *k, *v;
	unsigned major, minor;
	uint64_t x;

	ck_assert_int_eq(nested_next(&cur, &head, &pairs), 1);
	ck_assert_int_eq(parse_devnum(head, &major, &minor), 0);
	ck_assert_uint_eq(major, 8);
	ck_assert_uint_eq(minor, 0);
	static const char *const keys[] = { "rbytes", "wbytes", "rios", "wios", "dbytes", "dios" };
	static const uint64_t vals[] = { 1, 2, 3, 4, 0, 0 };
	for (int i = 0; i < 6; i++) {
		ck_assert_int_eq(kv_pair_next(&pairs, &k, &v), 1);
		ck_assert_str_eq(k, keys[i]);
		ck_assert_int_eq(parse_u64(v, &x), 0);
		ck_assert_uint_eq(x, vals[i]);
	}
	ck_assert_int_eq(kv_pair_next(&pairs, &k, &v), 0);

	ck_assert_int_eq(nested_next(&cur, &head, &pairs), 1);
	ck_assert_int_eq(parse_devnum(head, &major, &minor), 0);
	ck_assert_uint_eq(major, 253);
	ck_assert_int_eq(kv_pair_next(&pairs, &k, &v), 1);
	ck_assert_int_eq(parse_u64(v, &x), 0);
	ck_assert_uint_eq(x, UINT64_MAX);

	ck_assert_int_eq(nested_next(&cur, &head, &pairs), 1); /* a device without stats yet */
	ck_assert_str_eq(head, "8:16");
	ck_assert_int_eq(kv_pair_next(&pairs, &k, &v), 0);

	ck_assert_int_eq(nested_next(&cur, &head, &pairs), 1);
	ck_assert_int_eq(kv_pair_next(&pairs, &k, &v), 1);
	ck_assert_int_eq(kv_pair_next(&pairs, &k, &v), -1);
	ck_assert_str_eq(k, "junk");
	ck_assert_int_eq(kv_pair_next(&pairs, &k, &v), -1); /* "=2": no key */
	ck_assert_int_eq(nested_next(&cur, &head, &pairs), 0);

	static const char *const bad_dev[] = { "8", "8:", ":0", "x:0", "8:0:1", "4294967296:0", "-1:0" };
	for (size_t i = 0; i < sizeof bad_dev / sizeof bad_dev[0]; i++)
		ck_assert_msg(parse_devnum(bad_dev[i], &major, &minor) == -1, "accepted '%s'", bad_dev[i]);
	ck_assert_int_eq(parse_devnum("4294967295:7", &major, &minor), 0);
	ck_assert_uint_eq(major, 4294967295u);
}
END_TEST

START_TEST(test_limits)
{
	uint64_t v = 7;
	ck_assert_int_eq(parse_u64_max("max", &v), 1);
	ck_assert_uint_eq(v, UINT64_MAX);
	ck_assert_int_eq(parse_u64_max("536870912", &v), 0);
	ck_assert_uint_eq(v, 536870912);
	v = 7;
	static const char *const bad[] = { "", "MAX", "max ", "-1", "1.5", "maxi", "18446744073709551616" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ck_assert_msg(parse_u64_max(bad[i], &v) == -1, "accepted '%s'", bad[i]);
	ck_assert_uint_eq(v, 7);

	/* cpu.max: "<quota|max> <period>" */
	char cpu_max[] = "max 100000\n";
	char *f[3];
	ck_assert_uint_eq(split_fields(cpu_max, f, 3), 2);
	ck_assert_int_eq(parse_u64_max(f[0], &v), 1);
	ck_assert_int_eq(parse_u64_max(f[1], &v), 0);
	ck_assert_uint_eq(v, 100000);
}
END_TEST

START_TEST(test_psi)
{
	struct psi p;
	const char *bad = NULL;
	char full[] = "some avg10=1.50 avg60=0.25 avg300=0.00 total=123456\n"
		      "full avg10=0.00 avg60=0.00 avg300=0.00 total=789\n";
	ck_assert_int_eq(psi_parse(full, &p, &bad), 0);
	ck_assert(p.some.present && p.full.present);
	ck_assert_uint_eq(p.some.total, 123456);
	ck_assert(p.some.avg10 == 1.5 && p.some.avg60 == 0.25);
	ck_assert_uint_eq(p.full.total, 789);

	/* cpu before Linux 5.13 has no full line; irq has only one. */
	char some_only[] = "some avg10=0.00 avg60=0.00 avg300=0.00 total=5\n";
	ck_assert_int_eq(psi_parse(some_only, &p, &bad), 0);
	ck_assert(p.some.present && !p.full.present);
	char empty[] = "";
	ck_assert_int_eq(psi_parse(empty, &p, NULL), 0);
	ck_assert(!p.some.present && !p.full.present);
	/* A line of whitespace other than blanks has no head (a fuzzer's finding: strcmp(NULL)). */
	char formfeed[] = "\f\v\r\nsome avg10=1.00 avg60=0.00 avg300=0.00 total=2\n";
	ck_assert_int_eq(psi_parse(formfeed, &p, NULL), 0);
	ck_assert(p.some.present && p.some.total == 2);

	static const char *const broken[] = {
		"some avg10=0.00 avg60=0.00 avg300=0.00\n",
		"some avg60=0.00 avg10=0.00 avg300=0.00 total=1\n",
		"full avg10=x avg60=0.00 avg300=0.00 total=1\n",
		"some avg10=0.00 avg60=0.00 avg300=0.00 total=-1\n",
		"some\n",
	};
	for (size_t i = 0; i < sizeof broken / sizeof broken[0]; i++) {
		char text[128];
		snprintf(text, sizeof text, "%s", broken[i]);
		bad = NULL;
		ck_assert_msg(psi_parse(text, &p, &bad) == -1, "accepted '%s'", broken[i]);
		ck_assert_ptr_nonnull(bad);
		ck_assert(!strcmp(bad, "some") || !strcmp(bad, "full"));
	}
}
END_TEST

/* A collector over a cgroup-like directory, reading what the test names. */
static char cg_dir[4096];
static const char *cg_file;

static int cg_value_collect(struct scrape *s, struct expo *e)
{
	char path[4200];
	snprintf(path, sizeof path, "%s/%s", cg_dir, cg_file);
	uint64_t v;
	bool is_max;
	int rc = collect_read_value(s, path, &v, &is_max);
	if (rc != COLLECT_OK)
		return rc;
	expo_single(e, "test_value", METRIC_GAUGE, "A value.", is_max ? -1 : (double)v);
	return COLLECT_OK;
}

static int cg_stat_collect(struct scrape *s, struct expo *e)
{
	char path[4200], *text, *k, *v;
	snprintf(path, sizeof path, "%s/%s", cg_dir, cg_file);
	int rc = collect_read(s, path, &text);
	if (rc != COLLECT_OK)
		return rc;
	struct family *f = expo_family(e, "test_stat", METRIC_GAUGE, "memory.stat.",
				       (const char *const[]){ "key", NULL });
	while ((rc = kv_next(&text, &k, &v)) != 0) {
		uint64_t x;
		if (rc < 0 || parse_u64(v, &x) < 0)
			return scrape_fail(s, "invalid line '%s' in %s", k, path);
		expo_sample(e, f, (double)x, k);
	}
	return COLLECT_OK;
}

static int cg_list_collect(struct scrape *s, struct expo *e)
{
	struct sysfs_dir d;
	char path[4200];
	snprintf(path, sizeof path, "%s/%s", cg_dir, cg_file);
	int rc = collect_list(s, path, &d);
	if (rc != COLLECT_OK)
		return rc;
	struct family *f = expo_family(e, "test_child", METRIC_GAUGE, "Children.",
				       (const char *const[]){ "name", NULL });
	for (size_t i = 0; i < d.n; i++)
		expo_sample(e, f, d.ents[i].type == DT_DIR, d.ents[i].name);
	sysfs_dir_free(&d);
	return COLLECT_OK;
}

static int cg_required_collect(struct scrape *s, struct expo *e)
{
	char path[4200], *text;
	snprintf(path, sizeof path, "%s/%s", cg_dir, cg_file);
	int rc = collect_read_required(s, path, &text);
	if (rc != COLLECT_OK)
		return rc;
	expo_single(e, "test_bytes", METRIC_GAUGE, "Length.", (double)strlen(text));
	return COLLECT_OK;
}

static const struct collector_def cg_required = { .name = "cg_required", .collect = cg_required_collect };
static const struct collector_def cg_value = { .name = "cg_value", .collect = cg_value_collect };
static const struct collector_def cg_stat = { .name = "cg_stat", .collect = cg_stat_collect };
static const struct collector_def cg_list = { .name = "cg_list", .collect = cg_list_collect };

static int cg_optional_collect(struct scrape *s, struct expo *e)
{
	struct sysfs_dir d;
	char path[4200];
	snprintf(path, sizeof path, "%s/%s", cg_dir, cg_file);
	int rc = collect_list_optional(s, path, &d);
	if (rc != COLLECT_OK)
		return rc;
	expo_single(e, "test_entries", METRIC_GAUGE, "Entries.", (double)d.n);
	sysfs_dir_free(&d);
	return COLLECT_OK;
}

static const struct collector_def cg_optional = { .name = "cg_optional", .collect = cg_optional_collect };

static struct run_result run_cg(const struct collector_def *def, const char *file)
{
	cg_file = file;
	return test_run(def, NULL, 2);
}

START_TEST(test_collect_readers)
{
	char *dir = fixture_dir();
	snprintf(cg_dir, sizeof cg_dir, "%s", dir);
	fixture_puts(dir, "memory.current", "4096\n");
	fixture_puts(dir, "memory.max", "max\n");
	fixture_puts(dir, "memory.high", "12x\n");
	fixture_puts(dir, "memory.stat", "anon 4096\nfile 8192\n");
	fixture_puts(dir, "bad.stat", "anon 4096\nfile\n");
	fixture_puts(dir, "kids/a/cgroup.procs", "");
	fixture_puts(dir, "kids/b", "");

	struct run_result r = run_cg(&cg_value, "memory.current");
	ck_assert_int_eq(r.rc, COLLECT_OK);
	expect_line(&r, "test_value 4096");
	free(r.text);
	r = run_cg(&cg_value, "memory.max");
	ck_assert_int_eq(r.rc, COLLECT_OK);
	expect_line(&r, "test_value -1");
	free(r.text);
	r = run_cg(&cg_value, "memory.high");
	ck_assert_int_eq(r.rc, COLLECT_ERROR);
	ck_assert_msg(strstr(r.err, "invalid value '12x'") && strstr(r.err, "memory.high"), "%s", r.err);
	free(r.text);
	r = run_cg(&cg_value, "memory.swap.max"); /* no swap accounting: no data */
	ck_assert_int_eq(r.rc, COLLECT_NODATA);
	free(r.text);
	r = run_cg(&cg_value, "kids");
	ck_assert_int_eq(r.rc, COLLECT_ERROR);
	ck_assert_msg(strstr(r.err, "couldn't read") && strstr(r.err, "kids"), "%s", r.err);
	free(r.text);

	r = run_cg(&cg_stat, "memory.stat");
	ck_assert_int_eq(r.rc, COLLECT_OK);
	expect_line(&r, "test_stat{key=\"anon\"} 4096");
	expect_line(&r, "test_stat{key=\"file\"} 8192");
	free(r.text);
	r = run_cg(&cg_stat, "bad.stat");
	ck_assert_int_eq(r.rc, COLLECT_ERROR);
	ck_assert_msg(strstr(r.err, "invalid line 'file'"), "%s", r.err);
	free(r.text);
	r = run_cg(&cg_stat, "gone.stat");
	ck_assert_int_eq(r.rc, COLLECT_NODATA);
	free(r.text);
	r = run_cg(&cg_stat, "kids");
	ck_assert_int_eq(r.rc, COLLECT_ERROR);
	ck_assert_msg(strstr(r.err, "couldn't read"), "%s", r.err);
	free(r.text);

	r = run_cg(&cg_required, "memory.stat");
	ck_assert_int_eq(r.rc, COLLECT_OK);
	expect_line(&r, "test_bytes 20"); /* "anon 4096\nfile 8192\n" */
	free(r.text);
	r = run_cg(&cg_required, "gone.stat"); /* absent: an error, not no data */
	ck_assert_int_eq(r.rc, COLLECT_ERROR);
	ck_assert_msg(strstr(r.err, "couldn't read") && strstr(r.err, "gone.stat"), "%s", r.err);
	free(r.text);

	/* procfs' ReadUintFromFile, without a scrape (no descriptor cache). */
	char path[4200];
	uint64_t u = 0;
	snprintf(path, sizeof path, "%s/memory.current", dir);
	ck_assert_int_eq(sysfs_read_uint(NULL, path, &u), 0);
	ck_assert_uint_eq(u, 4096);
	snprintf(path, sizeof path, "%s/memory.max", dir);
	ck_assert_int_eq(sysfs_read_uint(NULL, path, &u), -EBADMSG);
	snprintf(path, sizeof path, "%s/gone", dir);
	ck_assert_int_eq(sysfs_read_uint(NULL, path, &u), -ENOENT);

	r = run_cg(&cg_list, "kids");
	ck_assert_int_eq(r.rc, COLLECT_OK);
	expect_line(&r, "test_child{name=\"a\"} 1");
	expect_line(&r, "test_child{name=\"b\"} 0");
	free(r.text);
	r = run_cg(&cg_list, "gone");
	ck_assert_int_eq(r.rc, COLLECT_NODATA);
	free(r.text);
	/* A directory that may be absent: none is nothing, a file is an error. */
	r = run_cg(&cg_optional, "kids");
	ck_assert_int_eq(r.rc, COLLECT_OK);
	expect_line(&r, "test_entries 2");
	free(r.text);
	r = run_cg(&cg_optional, "gone");
	ck_assert_int_eq(r.rc, COLLECT_OK);
	expect_line(&r, "test_entries 0");
	free(r.text);
	r = run_cg(&cg_optional, "memory.stat");
	ck_assert_int_eq(r.rc, COLLECT_ERROR);
	free(r.text);
	r = run_cg(&cg_list, "memory.stat");
	ck_assert_int_eq(r.rc, COLLECT_ERROR);
	ck_assert_msg(strstr(r.err, "couldn't list") && strstr(r.err, "memory.stat"), "%s", r.err);
	free(r.text);
	fixture_rm(dir);
}
END_TEST

/* The sysfs readers as procfs reads attributes, Go's integer syntax, metric-name sanitizing. */

START_TEST(test_parse_go_ints)
{
	static const struct {
		const char *s;
		int ok;
		int64_t v;
	} cases[] = {
		{ "0", 1, 0 },	      { "42", 1, 42 },		{ "-42", 1, -42 },	{ "+7", 1, 7 },
		{ "0x1003", 1, 4099 }, { "0X1f", 1, 31 },	{ "0o17", 1, 15 },	{ "017", 1, 15 },
		{ "0b101", 1, 5 },     { "1_000", 1, 1000 },	{ "0x_1F", 1, 31 },	{ "08", 0, 0 },
		{ "0x", 0, 0 },	       { "", 0, 0 },		{ "1__0", 0, 0 },	{ "_1", 0, 0 },
		{ "1_", 0, 0 },	       { " 1", 0, 0 },		{ "1.5", 0, 0 },	{ "9223372036854775807", 1, INT64_MAX },
		{ "9223372036854775808", 0, 0 },		{ "-9223372036854775808", 1, INT64_MIN },
		{ "0xg", 0, 0 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int64_t v = 12345;
		int rc = sysfs_parse_int(cases[i].s, &v);
		ck_assert_msg((rc == 0) == cases[i].ok, "'%s': rc %d", cases[i].s, rc);
		if (cases[i].ok)
			ck_assert_msg(v == cases[i].v, "'%s': %lld", cases[i].s, (long long)v);
	}
	uint64_t u;
	ck_assert_int_eq(sysfs_parse_uint("0xffffffffffffffff", &u), 0);
	ck_assert(u == UINT64_MAX);
	ck_assert_int_eq(sysfs_parse_uint("0x10000000000000000", &u), -1);
	ck_assert_int_eq(sysfs_parse_uint("-1", &u), -1);
	ck_assert_int_eq(sysfs_parse_uint("+1", &u), -1);
}
END_TEST

START_TEST(test_sanitize_name)
{
	static const char *const cases[][2] = {
		{ "package", "package" },  { "psys-x", "psys_x" },   { "a__-__b", "a_b" }, { "a__b", "a__b" },
		{ "a.b.c", "a_b_c" },	   { "-x-", "_x_" },	     { "", "" },	   { "é1", "_1" },
		{ "core_ -0", "core_0" }, { "a_ b _c", "a_b_c" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char out[64];
		sysfs_sanitize_name(cases[i][0], out, sizeof out);
		ck_assert_msg(!strcmp(out, cases[i][1]), "'%s' -> '%s'", cases[i][0], out);
	}
}
END_TEST

START_TEST(test_attr_reads)
{
	char *dir = fixture_dir();
	fixture_puts(dir, "a", "  \tvalue with spaces \n\n");
	char big[5000];
	memset(big, 'b', sizeof big);
	big[0] = ' ';
	fixture_write(dir, "big", big, sizeof big);
	char path[4096], v[SYSFS_VAL];
	snprintf(path, sizeof path, "%s/a", dir);
	ck_assert_int_eq(sysfs_attr(NULL, path, v, sizeof v), 17);
	ck_assert_str_eq(v, "value with spaces");
	snprintf(path, sizeof path, "%s/big", dir);
	ck_assert_int_eq(sysfs_attr(NULL, path, v, sizeof v), SYSFS_ATTR_MAX - 1);
	ck_assert_int_eq(sysfs_head(NULL, path, v, sizeof v), SYSFS_ATTR_MAX);
	ck_assert_int_eq(v[0], ' ');
	ck_assert_int_eq(sysfs_attr(NULL, path, v, 64), -EINVAL);
	snprintf(path, sizeof path, "%s/missing", dir);
	ck_assert_int_eq(sysfs_attr(NULL, path, v, sizeof v), -ENOENT);
	ck_assert(sysfs_enoent(-ENOENT) && sysfs_eperm(EACCES) && sysfs_eperm(-EPERM));
	ck_assert(sysfs_ignorable(-EINVAL) && sysfs_ignorable(EOPNOTSUPP) && !sysfs_ignorable(-EIO));

	/* Listings are sorted and typed. */
	fixture_puts(dir, "sub/x", "");
	snprintf(path, sizeof path, "%s/link", dir);
	ck_assert_int_eq(symlink("sub", path), 0);
	struct sysfs_dir d;
	ck_assert_int_eq(sysfs_dir_read(NULL, dir, &d), 0);
	ck_assert_uint_eq(d.n, 4);
	ck_assert_str_eq(d.ents[0].name, "a");
	ck_assert_int_eq(d.ents[0].type, DT_REG);
	ck_assert_str_eq(d.ents[2].name, "link");
	ck_assert_int_eq(d.ents[2].type, DT_LNK);
	ck_assert_int_eq(d.ents[3].type, DT_DIR);
	sysfs_dir_free(&d);
	ck_assert(sysfs_is_dir(path) && sysfs_exists(path));
	/* the link resolves to the directory's canonical path */
	char real[4096], want[8192];
	ck_assert_int_eq(sysfs_realpath(path, real, sizeof real), 0);
	snprintf(want, sizeof want, "%s/sub", dir);
	char wantreal[PATH_MAX];
	ck_assert_ptr_nonnull(realpath(want, wantreal));
	ck_assert_str_eq(real, wantreal);
	ck_assert_int_eq(sysfs_realpath(path, real, 4), -ENAMETOOLONG);
	snprintf(want, sizeof want, "%s/dangling", dir);
	ck_assert_int_eq(symlink("nowhere", want), 0);
	ck_assert_int_eq(sysfs_realpath(want, real, sizeof real), -ENOENT);
	snprintf(path, sizeof path, "%s/nope", dir);
	ck_assert_int_eq(sysfs_dir_read(NULL, path, &d), -ENOENT);

	char line[] = "  one two\tthree\n";
	char *cur = line;
	ck_assert_str_eq(sysfs_next_field(&cur), "one");
	ck_assert_str_eq(sysfs_next_field(&cur), "two");
	ck_assert_str_eq(sysfs_next_field(&cur), "three");
	ck_assert_ptr_null(sysfs_next_field(&cur));
	ck_assert(sysfs_glob_digit("thermal_zone1", "thermal_zone") && !sysfs_glob_digit("thermal_zone", "thermal_zone"));
	fixture_rm(dir);
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("linux");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_root_paths);
	tcase_add_test(tc, test_path_flags);
	tcase_add_test(tc, test_mountinfo_helpers);
	tcase_add_test(tc, test_mountinfo_cgroups);
	tcase_add_test(tc, test_udev_helpers);
	tcase_add_test(tc, test_cpulist);
	tcase_add_test(tc, test_flat_keyed);
	tcase_add_test(tc, test_nested_keyed);
	tcase_add_test(tc, test_limits);
	tcase_add_test(tc, test_psi);
	tcase_add_test(tc, test_collect_readers);
	tcase_add_test(tc, test_parse_go_ints);
	tcase_add_test(tc, test_sanitize_name);
	tcase_add_test(tc, test_attr_reads);
	suite_add_tcase(s, tc);
	return s;
}
