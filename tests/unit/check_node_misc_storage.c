// links: node_exporter
/*
 * xfs, mdadm, zfs, nfs, nfsd and ipvs on upstream's fixtures, on broken
 * variants of their files, and ipvs' --collector.ipvs.backend-labels.
 */
#include <unistd.h>

#include "unit.h"

extern const struct collector_def collector_xfs, collector_mdadm, collector_zfs, collector_nfs,
	collector_nfsd, collector_ipvs;

static struct run_result run_in(const struct collector_def *def, const char *dir,
				const char *const *argv)
{
	return run_collector_with(def, dir, dir, dir, argv);
}

/* ---- xfs ---- */

START_TEST(test_xfs_fixture)
{
	struct run_result r = run_collector(&collector_xfs);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	ck_assert(has_line(r.text, "node_xfs_extent_allocation_blocks_allocated_total{device=\"sda1\"} 872"));
	ck_assert(has_line(r.text, "node_xfs_block_mapping_reads_total{device=\"sda1\"} 61"));
	ck_assert(has_line(r.text, "node_xfs_block_mapping_extent_list_lookups_total{device=\"sda1\"} 91"));
	ck_assert(has_line(r.text, "node_xfs_directory_operation_getdents_total{device=\"sda1\"} 52"));
	ck_assert(has_line(r.text, "node_xfs_inode_operation_missed_total{device=\"sda1\"} 4"));
	ck_assert(has_line(r.text, "node_xfs_write_calls_total{device=\"sda1\"} 28"));
	ck_assert(has_line(r.text, "node_xfs_read_calls_total{device=\"sda1\"} 0"));
	ck_assert(has_line(r.text, "node_xfs_vnode_active_total{device=\"sda1\"} 4"));
	ck_assert(has_line(r.text, "node_xfs_vnode_remove_total{device=\"sda1\"} 1"));
	ck_assert(strstr(r.text, "# TYPE node_xfs_vnode_get_total counter\n"));
	size_t n = 0;
	for (const char *p = r.text; (p = strstr(p, "# TYPE node_xfs_")); p++)
		n++;
	ck_assert_uint_eq(n, 39);
	free(r.text);
}
END_TEST

static const char *const xfs_broken[] = {
	"extent_alloc 1 2 3\n",				/* 3 values, 4 expected */
	"rw 1 2 3\n",					/* 3 values, 2 expected */
	"vnodes 1 2 3 4 5 6\n",				/* 6, 7 or 8 expected */
	"abt 1 2 3 x\n",				/* not a number */
	"dir 1 2 3 4294967296\n",			/* over 32 bits */
	"unknown 1 -2\n",				/* unknown lines must still parse */
	"xpc 1 2\n",					/* xpc has 3 values */
	"qm 1 2 3 4 5 6 7\n",				/* 8 or 9 */
	"gc xpc\n",					/* a lone "gc xpc" */
	"abtb2 1 2 3\n",				/* 15 */
};

START_TEST(test_xfs_broken)
{
	char *dir = fixture_dir();
	fixture_puts(dir, "fs/xfs/sdb/stats/stats", xfs_broken[_i]);
	struct run_result r = run_in(&collector_xfs, dir, NULL);
	ck_assert_msg(r.rc == COLLECT_ERROR, "case %d: rc %d", _i, r.rc);
	ck_assert(strstr(r.err, "sdb"));
	free(r.text);
	fixture_rm(dir);
}
END_TEST

START_TEST(test_xfs_variants)
{
	char *dir = fixture_dir();
	/* No /sys/fs/xfs: nothing, and no error (upstream's glob finds nothing). */
	struct run_result r = run_in(&collector_xfs, dir, NULL);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	ck_assert(!strstr(r.text, "node_xfs_read_calls_total{"));
	free(r.text);
	/* Wide counters, two-word labels, 64-bit xpc values, single-field lines. */
	fixture_puts(dir, "fs/xfs/sdc/stats/stats",
		     "rw 7 9\nxpc 18446744073709551615 1 2\ngc xpc 5\ndefer_relog 99999999999\n"
		     "lonely\n\nzoned 1 2 3 4\nvnodes 1 2 3 4 5 6 7\n");
	fixture_puts(dir, "fs/xfs/stats/stats", "this directory has no stats/stats\n");
	r = run_in(&collector_xfs, dir, NULL);
	ck_assert_msg(r.rc == COLLECT_OK, "%s", r.err);
	ck_assert(has_line(r.text, "node_xfs_read_calls_total{device=\"sdc\"} 9"));
	ck_assert(has_line(r.text, "node_xfs_write_calls_total{device=\"sdc\"} 7"));
	ck_assert(has_line(r.text, "node_xfs_vnode_remove_total{device=\"sdc\"} 7"));
	ck_assert(has_line(r.text, "node_xfs_inode_operation_found_total{device=\"sdc\"} 0"));
	ck_assert(!strstr(r.text, "device=\"stats\""));
	free(r.text);
	fixture_rm(dir);
}
END_TEST

/* ---- mdadm ---- */

START_TEST(test_mdadm_fixture)
{
	struct run_result r = run_collector(&collector_mdadm);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	ck_assert(has_line(r.text, "node_md_blocks{device=\"md3\"} 5.853468288e+09"));
	ck_assert(has_line(r.text, "node_md_disks{device=\"md3\",state=\"spare\"} 2"));
	ck_assert(has_line(r.text, "node_md_disks{device=\"md9\",state=\"failed\"} 2"));
	ck_assert(has_line(r.text, "node_md_disks_required{device=\"md10\"} 2")); /* raid0: bracket count */
	ck_assert(has_line(r.text, "node_md_state{device=\"md6\",state=\"recovering\"} 1"));
	ck_assert(has_line(r.text, "node_md_state{device=\"md201\",state=\"check\"} 1"));
	ck_assert(has_line(r.text, "node_md_state{device=\"md11\",state=\"resync\"} 1"));
	ck_assert(has_line(r.text, "node_md_state{device=\"md219\",state=\"inactive\"} 1"));
	ck_assert(has_line(r.text, "node_md_blocks_synced{device=\"md6\"} 1.6775552e+07"));
	ck_assert(has_line(r.text, "node_md_blocks_synced{device=\"md9\"} 0")); /* DELAYED */
	ck_assert(has_line(r.text, "node_md_blocks_synced{device=\"md7\"} 7.813735424e+09"));
	/* sysfs: raid_disks for all six, degraded from the attribute. */
	ck_assert(has_line(r.text, "node_md_raid_disks{device=\"md10\"} 4"));
	ck_assert(has_line(r.text, "node_md_degraded{device=\"md5\"} 1"));
	ck_assert(has_line(r.text, "node_md_degraded{device=\"md0\"} 0"));
	free(r.text);
}
END_TEST

#define MD_OK "Personalities : [raid1]\nmd0 : active raid1 sda1[0] sdb1[1]\n      100 blocks [2/2] [UU]\n\nunused devices: <none>\n"

static const char *const mdstat_broken[] = {
	"md0 : active\n",						/* too few lines */
	"md0 :\n 1\n\n\n",						/* too few fields */
	"md0 : active raid1 a[0]\n      x blocks [2/2] [UU]\n\n\n",	/* bad size */
	"md0 : active raid1 a[0]\n      100 blocks [2/2]\n\n\n",	/* no [UU] */
	"md0 : active raid1 a[0]\n      100 blocks [2/2] [UU]\n      [>..]  recovery = 1.0%\n\n", /* no (a/b) */
	"md0 : active raid1 a[0]\n      100 blocks [2/2] [UU]\n      recovery = 1% (1/2) finish=1min\n\n", /* no speed */
	"md0 : active raid1 a[99999999999]\n      100 blocks [2/2] [UU]\n\n\n", /* index beyond int32 */
};

START_TEST(test_mdadm_broken)
{
	char *dir = fixture_dir();
	fixture_puts(dir, "mdstat", mdstat_broken[_i]);
	struct run_result r = run_in(&collector_mdadm, dir, NULL);
	ck_assert_msg(r.rc == COLLECT_ERROR, "case %d: rc %d", _i, r.rc);
	ck_assert(!strstr(r.text, "node_md_blocks{"));
	free(r.text);
	fixture_rm(dir);
}
END_TEST

START_TEST(test_mdadm_sysfs)
{
	char *dir = fixture_dir();
	struct run_result r = run_in(&collector_mdadm, dir, NULL);
	ck_assert_int_eq(r.rc, COLLECT_NODATA); /* no /proc/mdstat */
	free(r.text);

	fixture_puts(dir, "mdstat", MD_OK);
	r = run_in(&collector_mdadm, dir, NULL);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	ck_assert(has_line(r.text, "node_md_disks{device=\"md0\",state=\"active\"} 2"));
	ck_assert(!strstr(r.text, "node_md_degraded{"));
	free(r.text);

	/* A complete raid5 array directory, then variations. */
	const char *md = "block/md5/md/";
	static const char *const files[][2] = {
		{ "level", "raid5\n" }, { "array_state", "clean\n" }, { "metadata_version", "1.2\n" },
		{ "raid_disks", "4 (3)\n" }, { "uuid", "u\n" }, { "dev-sda/state", "in_sync\n" },
		{ "chunk_size", "524288\n" }, { "degraded", "1\n" }, { "sync_action", "recover\n" },
		{ "sync_completed", "10 / 20\n" },
	};
	char rel[256];
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		snprintf(rel, sizeof rel, "%s%s", md, files[i][0]);
		fixture_puts(dir, rel, files[i][1]);
	}
	r = run_in(&collector_mdadm, dir, NULL);
	ck_assert_msg(r.rc == COLLECT_OK, "%s", r.err);
	ck_assert(has_line(r.text, "node_md_raid_disks{device=\"md5\"} 4")); /* reshape: current */
	ck_assert(has_line(r.text, "node_md_degraded{device=\"md5\"} 1"));
	free(r.text);

	snprintf(rel, sizeof rel, "%ssync_completed", md);
	fixture_puts(dir, rel, "half\n");
	r = run_in(&collector_mdadm, dir, NULL);
	ck_assert_int_eq(r.rc, COLLECT_ERROR);
	free(r.text);
	fixture_puts(dir, rel, "none\n");
	snprintf(rel, sizeof rel, "%sdegraded", md);
	fixture_puts(dir, rel, "-1\n");
	r = run_in(&collector_mdadm, dir, NULL);
	ck_assert_int_eq(r.rc, COLLECT_ERROR);
	free(r.text);
	fixture_puts(dir, rel, "0\n");
	/* A container has no raid_disks; an unparsable raid_disks is simply absent. */
	snprintf(rel, sizeof rel, "%sraid_disks", md);
	fixture_puts(dir, rel, "many\n");
	r = run_in(&collector_mdadm, dir, NULL);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	ck_assert(!strstr(r.text, "node_md_raid_disks{"));
	ck_assert(has_line(r.text, "node_md_degraded{device=\"md5\"} 0"));
	free(r.text);
	/* A missing attribute: no data, as upstream treats "does not exist". */
	char path[4200];
	snprintf(path, sizeof path, "%s/%suuid", dir, md);
	ck_assert_int_eq(unlink(path), 0);
	r = run_in(&collector_mdadm, dir, NULL);
	ck_assert_int_eq(r.rc, COLLECT_NODATA);
	ck_assert(has_line(r.text, "node_md_disks{device=\"md0\",state=\"active\"} 2"));
	free(r.text);
	fixture_rm(dir);
}
END_TEST

/* ---- zfs ---- */

START_TEST(test_zfs_fixture)
{
	struct run_result r = run_collector(&collector_zfs);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	ck_assert(has_line(r.text, "node_zfs_arc_hits 8.772612e+06"));
	ck_assert(has_line(r.text, "node_zfs_arc_size 1.603939792e+09"));
	ck_assert(strstr(r.text, "# TYPE node_zfs_arc_hits untyped\n"));
	ck_assert(has_line(r.text, "node_zfs_zpool_nread{zpool=\"pool1\"} 1.88416e+06"));
	ck_assert(has_line(r.text, "node_zfs_zpool_dataset_nread{dataset=\"pool3/dataset with  space\",zpool=\"pool3\"} 28"));
	ck_assert(has_line(r.text, "node_zfs_zpool_state{state=\"suspended\",zpool=\"pool2\"} 1"));
	ck_assert(has_line(r.text, "node_zfs_zpool_state{state=\"online\",zpool=\"pool2\"} 0"));
	ck_assert(strstr(r.text, "# TYPE node_zfs_zpool_state gauge\n"));
	free(r.text);
}
END_TEST

START_TEST(test_zfs_variants)
{
	char *dir = fixture_dir();
	struct run_result r = run_in(&collector_zfs, dir, NULL);
	ck_assert_int_eq(r.rc, COLLECT_NODATA); /* no ZFS */
	free(r.text);

	/* Only one kstat file, signed values, odd names; others are absent: fine. */
	fixture_puts(dir, "spl/kstat/zfs/arcstats",
		     "6 1 0x01 91 4368 5266997922 97951858082072\nname type data\n"
		     "hits 4 12\nc-min 3 -5\nstring_row 7 hello\nshort 4\n");
	r = run_in(&collector_zfs, dir, NULL);
	ck_assert_msg(r.rc == COLLECT_OK, "%s", r.err);
	ck_assert(has_line(r.text, "node_zfs_arc_hits 12"));
	ck_assert(has_line(r.text, "node_zfs_arc_c_min -5"));
	ck_assert(!strstr(r.text, "string_row"));
	free(r.text);

	static const char *const broken[] = {
		"name type data\nhits 4 -1\n",	/* negative unsigned */
		"name type data\nhits 3 x\n",	/* not a number */
		"no header at all\nhits 4 1\n", /* no "name type data" */
	};
	for (size_t i = 0; i < sizeof broken / sizeof broken[0]; i++) {
		fixture_puts(dir, "spl/kstat/zfs/zil", broken[i]);
		r = run_in(&collector_zfs, dir, NULL);
		ck_assert_msg(r.rc == COLLECT_ERROR, "case %zu", i);
		free(r.text);
	}
	fixture_puts(dir, "spl/kstat/zfs/zil", "x\nname type data\n");
	/* A pool: io with too few values fails; state is case-insensitive. */
	fixture_puts(dir, "spl/kstat/zfs/tank/state", "DEGRADED\n");
	r = run_in(&collector_zfs, dir, NULL);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	ck_assert(has_line(r.text, "node_zfs_zpool_state{state=\"degraded\",zpool=\"tank\"} 1"));
	free(r.text);
	fixture_puts(dir, "spl/kstat/zfs/tank/io",
		     "12 3\nnread nwritten reads writes wtime wlentime wupdate rtime rlentime rupdate wcnt rcnt\n1 2 3\n");
	r = run_in(&collector_zfs, dir, NULL);
	ck_assert_int_eq(r.rc, COLLECT_ERROR);
	free(r.text);
	fixture_puts(dir, "spl/kstat/zfs/tank/io",
		     "12 3\nnread nwritten reads writes wtime wlentime wupdate rtime rlentime rupdate wcnt rcnt\n"
		     "1 2 3 4 5 6 7 8 9 10 11 12\n");
	fixture_puts(dir, "spl/kstat/zfs/tank/objset-0x36", "x\nname type data\nwrites 4 many\n");
	r = run_in(&collector_zfs, dir, NULL);
	ck_assert_int_eq(r.rc, COLLECT_ERROR);
	ck_assert(has_line(r.text, "node_zfs_zpool_rcnt{zpool=\"tank\"} 12"));
	free(r.text);
	fixture_rm(dir);
}
END_TEST

/* ---- nfs, nfsd ---- */

START_TEST(test_nfs_fixture)
{
	struct run_result r = run_collector(&collector_nfs);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	ck_assert(has_line(r.text, "node_nfs_packets_total{protocol=\"udp\"} 70"));
	ck_assert(has_line(r.text, "node_nfs_packets_total{protocol=\"tcp\"} 69"));
	ck_assert(has_line(r.text, "node_nfs_connections_total 45"));
	ck_assert(has_line(r.text, "node_nfs_rpcs_total 1.218785755e+09"));
	ck_assert(has_line(r.text, "node_nfs_rpc_retransmissions_total 374636"));
	ck_assert(has_line(r.text, "node_nfs_requests_total{method=\"Null\",proto=\"2\"} 16"));
	ck_assert(has_line(r.text, "node_nfs_requests_total{method=\"Read\",proto=\"3\"} 2.9391916e+07"));
	ck_assert(has_line(r.text, "node_nfs_requests_total{method=\"GetDeviceInfo\",proto=\"4\"} 1"));
	/* proc4 has 48 values: the rest are zero-padded. */
	ck_assert(has_line(r.text, "node_nfs_requests_total{method=\"Clone\",proto=\"4\"} 0"));
	free(r.text);
}
END_TEST

START_TEST(test_nfsd_fixture)
{
	struct run_result r = run_collector(&collector_nfsd);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	ck_assert(has_line(r.text, "node_nfsd_reply_cache_nocache_total 18622"));
	ck_assert(has_line(r.text, "node_nfsd_disk_bytes_read_total 1.572864e+08"));
	ck_assert(has_line(r.text, "node_nfsd_server_threads 8"));
	ck_assert(has_line(r.text, "node_nfsd_read_ahead_cache_size_blocks 32"));
	ck_assert(has_line(r.text, "node_nfsd_packets_total{proto=\"tcp\"} 917"));
	ck_assert(has_line(r.text, "node_nfsd_rpc_errors_total{error=\"auth\"} 2"));
	ck_assert(has_line(r.text, "node_nfsd_server_rpcs_total 18628"));
	ck_assert(has_line(r.text, "node_nfsd_requests_total{method=\"Read\",proto=\"4\"} 150"));
	ck_assert(has_line(r.text, "node_nfsd_requests_total{method=\"GetAttr\",proto=\"3\"} 112"));
	ck_assert(has_line(r.text, "node_nfsd_requests_total{method=\"WdelegGetattr\",proto=\"4\"} 15"));
	ck_assert(!strstr(r.text, "method=\"Null\"")); /* the server side omits Null */
	free(r.text);
}
END_TEST

static const char *const nfs_broken[] = {
	"net 1 2 3\n",				/* 4 values */
	"rpc 1 2\n",				/* 3 values */
	"proc2 3 1 2 3\n",			/* fewer than 18 */
	"proc3 22 1 2\n",			/* count mismatch */
	"proc4 2 1 x\n",			/* not a number */
	"bogus 1\n",				/* unknown line */
	"net\n",				/* no value */
	"net 1 2 3 4\n\n",			/* empty line */
};

static const char *const nfsd_broken[] = {
	"rc 1 2\n", "fh 1 2 3 4\n", "io 1\n", "th 8\n", "ra 1 2 3\n", "rpc 1 2 3 4\n",
	"proc4 3 1 2 3\n", "proc4ops 2 1 2\n", "bogus 1\n", "th x 0 0.0\n",
};

START_TEST(test_nfs_broken)
{
	char *dir = fixture_dir();
	fixture_puts(dir, "net/rpc/nfs", nfs_broken[_i]);
	struct run_result r = run_in(&collector_nfs, dir, NULL);
	ck_assert_msg(r.rc == COLLECT_ERROR, "nfs case %d: rc %d", _i, r.rc);
	ck_assert(!strstr(r.text, "node_nfs_rpcs_total"));
	free(r.text);
	fixture_rm(dir);
}
END_TEST

START_TEST(test_nfsd_broken)
{
	char *dir = fixture_dir();
	fixture_puts(dir, "net/rpc/nfsd", nfsd_broken[_i]);
	struct run_result r = run_in(&collector_nfsd, dir, NULL);
	ck_assert_msg(r.rc == COLLECT_ERROR, "nfsd case %d: rc %d", _i, r.rc);
	free(r.text);
	fixture_rm(dir);
}
END_TEST

START_TEST(test_nfs_missing_and_partial)
{
	char *dir = fixture_dir();
	struct run_result r = run_in(&collector_nfs, dir, NULL);
	ck_assert_int_eq(r.rc, COLLECT_NODATA);
	free(r.text);
	r = run_in(&collector_nfsd, dir, NULL);
	ck_assert_int_eq(r.rc, COLLECT_NODATA);
	free(r.text);
	/* Lines may be absent: their counters read 0. */
	fixture_puts(dir, "net/rpc/nfsd", "th 16 3\nproc4ops 40 " "0 0 0 1 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 "
					   "0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 7\n");
	r = run_in(&collector_nfsd, dir, NULL);
	ck_assert_msg(r.rc == COLLECT_OK, "%s", r.err);
	ck_assert(has_line(r.text, "node_nfsd_server_threads 16"));
	ck_assert(has_line(r.text, "node_nfsd_requests_total{method=\"Access\",proto=\"4\"} 1"));
	ck_assert(has_line(r.text, "node_nfsd_requests_total{method=\"RelLockOwner\",proto=\"4\"} 7"));
	ck_assert(has_line(r.text, "node_nfsd_requests_total{method=\"GetAttr\",proto=\"2\"} 0"));
	free(r.text);
	fixture_rm(dir);
}
END_TEST

/* ---- ipvs ---- */

START_TEST(test_ipvs_fixture)
{
	struct run_result r = run_collector(&collector_ipvs);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	ck_assert(has_line(r.text, "node_ipvs_connections_total 2.3765872e+07"));
	ck_assert(has_line(r.text, "node_ipvs_incoming_bytes_total 8.9991519156915e+13"));
	ck_assert(has_line(r.text,
			   "node_ipvs_backend_connections_active{local_address=\"192.168.0.57\",local_mark=\"\",local_port=\"3306\","
			   "proto=\"TCP\",remote_address=\"192.168.82.21\",remote_port=\"3306\"} 1499"));
	ck_assert(has_line(r.text,
			   "node_ipvs_backend_weight{local_address=\"\",local_mark=\"10001000\",local_port=\"0\","
			   "proto=\"FWM\",remote_address=\"192.168.50.26\",remote_port=\"3306\"} 20"));
	free(r.text);
}
END_TEST

START_TEST(test_ipvs_labels_flag)
{
	/* Dropped labels: rows that became equal are summed. */
	const char *const argv[] = { "--collector.ipvs.backend-labels=proto,local_port", NULL };
	struct run_result r = run_collector_with(&collector_ipvs, NULL, NULL, NULL, argv);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	ck_assert(has_line(r.text, "node_ipvs_backend_connections_active{local_port=\"3306\",proto=\"TCP\"} 3741"));
	ck_assert(has_line(r.text, "node_ipvs_backend_connections_inactive{local_port=\"0\",proto=\"FWM\"} 6"));
	ck_assert(has_line(r.text, "node_ipvs_backend_weight{local_port=\"3306\",proto=\"TCP\"} 600"));
	free(r.text);

	const char *const none[] = { "--collector.ipvs.backend-labels=", NULL };
	r = run_collector_with(&collector_ipvs, NULL, NULL, NULL, none);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	ck_assert(has_line(r.text, "node_ipvs_backend_connections_active 4126"));
	free(r.text);

	const char *const bad[] = { "--collector.ipvs.backend-labels=proto,nope,zzz,", NULL };
	r = run_collector_with(&collector_ipvs, NULL, NULL, NULL, bad);
	ck_assert_int_eq(r.rc, -2); /* init fails: the program exits 2 */
	ck_assert_msg(strstr(r.err, "unknown IPVS backend labels: \"nope, zzz\""), "%s", r.err);
	free(r.text);
}
END_TEST

START_TEST(test_ipvs_variants)
{
	char *dir = fixture_dir();
	struct run_result r = run_in(&collector_ipvs, dir, NULL);
	ck_assert_int_eq(r.rc, COLLECT_NODATA);
	free(r.text);
	const char *stats = "hdr\nhdr\n 10 20 30 40 50\n\n";
	fixture_puts(dir, "net/ip_vs_stats", stats);
	r = run_in(&collector_ipvs, dir, NULL);
	ck_assert_int_eq(r.rc, COLLECT_ERROR); /* ip_vs itself is missing */
	ck_assert(has_line(r.text, "node_ipvs_outgoing_bytes_total 80"));
	free(r.text);
	/* IPv6 virtual and real servers: addresses as Go prints them. */
	fixture_puts(dir, "net/ip_vs",
		     "IP Virtual Server version 1.2.1 (size=4096)\n"
		     "Prot LocalAddress:Port Scheduler Flags\n"
		     "  -> RemoteAddress:Port Forward Weight ActiveConn InActConn\n"
		     "UDP  [2620:0000:0000:0000:0000:0000:0000:0001]:0035 rr\n"
		     "  -> [0000:0000:0000:0000:0000:ffff:c0a8:0101]:0035      Masq    1      2          3\n"
		     "  -> [fe80:0000:0000:0001:0000:0000:0000:0002]:0035      Masq    1      2\n"
		     "TCP\n");
	r = run_in(&collector_ipvs, dir, NULL);
	ck_assert_msg(r.rc == COLLECT_OK, "%s", r.err);
	ck_assert_msg(has_line(r.text,
			       "node_ipvs_backend_connections_inactive{local_address=\"2620::1\",local_mark=\"\",local_port=\"53\","
			       "proto=\"UDP\",remote_address=\"192.168.1.1\",remote_port=\"53\"} 3"),
		      "%s", r.text);
	free(r.text);
	static const char *const broken_stats[] = { "", "a\nb\n", "a\nb\n1 2 3 4\n\n", "a\nb\n1 2 3 4 x\n\n",
						    "a\nb\n1 2 3 4 0x5\n\n" };
	for (size_t i = 0; i < sizeof broken_stats / sizeof broken_stats[0]; i++) {
		fixture_puts(dir, "net/ip_vs_stats", broken_stats[i]);
		r = run_in(&collector_ipvs, dir, NULL);
		ck_assert_msg(r.rc == COLLECT_ERROR, "stats case %zu", i);
		free(r.text);
	}
	fixture_puts(dir, "net/ip_vs_stats", stats);
	static const char *const broken_vs[] = {
		"TCP  C0A8016:0CEA wlc\n",
		"TCP  C0A80016:0CEA wlc\n  -> C0A85216:0CEA Tunnel x 1 2\n",
		"TCP  C0A80016:0CEA wlc\n  -> C0A85216:ZZZZ Tunnel 1 1 2\n",
		"UDP  [nonsense-but-exactly-forty-six-characters-long]:0035 rr\n",
	};
	for (size_t i = 0; i < sizeof broken_vs / sizeof broken_vs[0]; i++) {
		fixture_puts(dir, "net/ip_vs", broken_vs[i]);
		r = run_in(&collector_ipvs, dir, NULL);
		ck_assert_msg(r.rc == COLLECT_ERROR, "ip_vs case %zu: rc %d", i, r.rc);
		free(r.text);
	}
	fixture_rm(dir);
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("node_misc_storage");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_xfs_fixture);
	tcase_add_loop_test(tc, test_xfs_broken, 0, (int)(sizeof xfs_broken / sizeof xfs_broken[0]));
	tcase_add_test(tc, test_xfs_variants);
	tcase_add_test(tc, test_mdadm_fixture);
	tcase_add_loop_test(tc, test_mdadm_broken, 0,
			    (int)(sizeof mdstat_broken / sizeof mdstat_broken[0]));
	tcase_add_test(tc, test_mdadm_sysfs);
	tcase_add_test(tc, test_zfs_fixture);
	tcase_add_test(tc, test_zfs_variants);
	tcase_add_test(tc, test_nfs_fixture);
	tcase_add_test(tc, test_nfsd_fixture);
	tcase_add_loop_test(tc, test_nfs_broken, 0, (int)(sizeof nfs_broken / sizeof nfs_broken[0]));
	tcase_add_loop_test(tc, test_nfsd_broken, 0, (int)(sizeof nfsd_broken / sizeof nfsd_broken[0]));
	tcase_add_test(tc, test_nfs_missing_and_partial);
	tcase_add_test(tc, test_ipvs_fixture);
	tcase_add_test(tc, test_ipvs_labels_flag);
	tcase_add_test(tc, test_ipvs_variants);
	suite_add_tcase(s, tc);
	return s;
}
