// links: node_exporter
/*
 * sysfs collectors, part 1: bcache, bcachefs, bonding, dmi, dmmultipath,
 * edac, fibrechannel and hwmon on upstream's fixture tree (values from the
 * fixture files, as upstream's golden output has them), on broken copies
 * of it, and with their option flags.
 */
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"

extern const struct collector_def collector_bcache, collector_bcachefs, collector_bonding, collector_dmi,
	collector_dmmultipath, collector_edac, collector_fibrechannel, collector_hwmon;

#define SYS FIXTURES "/sys"





/* Copy part of the fixture tree into a scratch directory, links followed. */
static char *copy_fixture(const char *rel)
{
	char *dir = fixture_dir();
	char cmd[8192];
	snprintf(cmd, sizeof cmd, "mkdir -p '%s/%s' && cp -RL '%s/%s/.' '%s/%s/'", dir, rel, SYS, rel, dir, rel);
	ck_assert_int_eq(system(cmd), 0);
	return dir;
}

/* ---- bcache ---- */

#define BC_UUID "deaddd54-c735-46d5-868e-f331c5fd7c74"

START_TEST(test_bcache_fixture)
{
	struct run_result r = run_sys(&collector_bcache, SYS, ARGS("--collector.bcache.priorityStats"));
	ck_assert_int_eq(r.rc, COLLECT_OK);
	expect_line(&r, "node_bcache_btree_read_average_duration_seconds{uuid=\"" BC_UUID "\"} 1.305e-06");
	expect_line(&r, "node_bcache_cache_available_percent{uuid=\"" BC_UUID "\"} 100");
	expect_line(&r, "node_bcache_cache_hits_total{backing_device=\"bdev0\",uuid=\"" BC_UUID "\"} 546");
	expect_line(&r, "node_bcache_cache_readaheads_total{backing_device=\"bdev0\",uuid=\"" BC_UUID "\"} 13");
	/* "20.4G": 20 + 4/10.24 GiB; "1.1M/sec"; "321.5k/sec" */
	expect_line(&r, "node_bcache_dirty_target_bytes{backing_device=\"bdev0\",uuid=\"" BC_UUID "\"} 2.189426688e+10");
	expect_line(&r, "node_bcache_writeback_rate{backing_device=\"bdev0\",uuid=\"" BC_UUID "\"} 1.150976e+06");
	expect_line(&r, "node_bcache_writeback_change{backing_device=\"bdev0\",uuid=\"" BC_UUID "\"} 329204");
	expect_line(&r, "node_bcache_metadata_written_bytes_total{cache_device=\"cache0\",uuid=\"" BC_UUID "\"} 512");
	expect_line(&r, "node_bcache_priority_stats_unused_percent{cache_device=\"cache0\",uuid=\"" BC_UUID "\"} 99");
	free(r.text);

	/* Without the flag, priority_stats is neither read nor exported. */
	r = run_sys(&collector_bcache, SYS, NULL);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	expect_no(&r, "priority_stats");
	expect_line(&r, "node_bcache_io_errors{cache_device=\"cache0\",uuid=\"" BC_UUID "\"} 0");
	free(r.text);
}
END_TEST

START_TEST(test_bcache_broken)
{
	/* No bcache at all: nothing to report, success (as upstream's glob). */
	struct run_result r = run_sys(&collector_bcache, "/nonexistent", NULL);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	ck_assert_str_eq(r.text, "");
	free(r.text);

	static const struct {
		const char *file, *content;
		int rc;
	} cases[] = {
		{ "tree_depth", "abc\n", COLLECT_ERROR },
		{ "tree_depth", "", COLLECT_ERROR },
		{ "tree_depth", "12.x4k\n", COLLECT_ERROR },
		{ "internal/btree_nodes", ".5k\n", COLLECT_ERROR },
		{ "bdev0/writeback_rate_debug", "rate: lots/sec\n", COLLECT_ERROR },
		{ "bdev0/writeback_rate_debug", "next io: soonms\n", COLLECT_ERROR },
		{ "bdev0/stats_total/cache_hits", "-\n", COLLECT_ERROR },
		{ "cache0/priority_stats", "Unused: many%\n", COLLECT_ERROR },
		/* An unknown unit multiplies by 0, as upstream; a removed file reads as 0. */
		{ "bdev0/dirty_data", "7X\n", COLLECT_OK },
		{ "congested", NULL, COLLECT_OK },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *dir = copy_fixture("fs/bcache");
		char rel[512];
		snprintf(rel, sizeof rel, "fs/bcache/" BC_UUID "/%s", cases[i].file);
		if (cases[i].content) {
			fixture_puts(dir, rel, cases[i].content);
		} else {
			char path[4096];
			snprintf(path, sizeof path, "%s/%s", dir, rel);
			ck_assert_int_eq(unlink(path), 0);
		}
		r = run_sys(&collector_bcache, dir, ARGS("--collector.bcache.priorityStats"));
		ck_assert_msg(r.rc == cases[i].rc, "%s=%s: rc %d", cases[i].file, cases[i].content, r.rc);
		if (r.rc == COLLECT_ERROR) {
			ck_assert_str_ne(r.err, "");
			/* All cache sets or none. */
			expect_no(&r, "node_bcache_");
		}
		if (i == 8)
			expect_line(&r, "node_bcache_dirty_data_bytes{backing_device=\"bdev0\",uuid=\"" BC_UUID "\"} 0");
		if (i == 9)
			expect_line(&r, "node_bcache_congested{uuid=\"" BC_UUID "\"} 0");
		free(r.text);
		fixture_rm(dir);
	}

	/* A backing device without writeback_rate_debug fails, as upstream. */
	char *dir = copy_fixture("fs/bcache");
	char path[4096];
	snprintf(path, sizeof path, "%s/fs/bcache/" BC_UUID "/bdev0/writeback_rate_debug", dir);
	ck_assert_int_eq(unlink(path), 0);
	r = run_sys(&collector_bcache, dir, NULL);
	ck_assert_int_eq(r.rc, COLLECT_ERROR);
	ck_assert(strstr(r.err, "writeback_rate_debug") != NULL);
	free(r.text);
	fixture_rm(dir);
}
END_TEST

/* ---- bcachefs ---- */

#define FS_UUID "deadbeef-1234-5678-9012-abcdefabcdef"

START_TEST(test_bcachefs_fixture)
{
	struct run_result r = run_sys(&collector_bcachefs, SYS, NULL);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	expect_line(&r, "node_bcachefs_info{uuid=\"" FS_UUID "\"} 1");
	expect_line(&r, "node_bcachefs_btree_cache_size_bytes{uuid=\"" FS_UUID "\"} 2.201170739e+09");
	expect_line(&r, "node_bcachefs_compression_compressed_bytes{algorithm=\"lz4\",uuid=\"" FS_UUID "\"} 5.2505975193e+10");
	expect_line(&r, "node_bcachefs_errors_total{error_type=\"extent_io_opts_not_set\",uuid=\"" FS_UUID
			"\"} 1.1299659571772285e+19");
	expect_line(&r, "node_bcachefs_btree_writes_total{type=\"initial\",uuid=\"" FS_UUID "\"} 3.298401e+06");
	expect_line(&r, "node_bcachefs_btree_write_average_size_bytes{type=\"interior\",uuid=\"" FS_UUID "\"} 1290");
	/* one counter per file in counters/, its "since filesystem creation" value */
	expect_line(&r, "node_bcachefs_btree_node_read_total{uuid=\"" FS_UUID "\"} 7.0225874e+07");
	expect_line(&r, "node_bcachefs_device_io_errors_total{device=\"4\",type=\"read\",uuid=\"" FS_UUID "\"} 197416");
	expect_line(&r, "node_bcachefs_device_io_done_bytes_total{data_type=\"user\",device=\"4\",operation=\"write\",uuid=\"" FS_UUID
			"\"} 6.258285805568e+12");
	free(r.text);
}
END_TEST

START_TEST(test_bcachefs_broken)
{
	struct run_result r = run_sys(&collector_bcachefs, "/nonexistent", NULL);
	ck_assert_int_eq(r.rc, COLLECT_NODATA);
	free(r.text);

	/* The directory without filesystems: no data either. */
	char *dir = fixture_dir();
	fixture_puts(dir, "fs/bcachefs/not-a-dir", "x");
	r = run_sys(&collector_bcachefs, dir, NULL);
	ck_assert_int_eq(r.rc, COLLECT_NODATA);
	free(r.text);
	fixture_rm(dir);

	static const struct {
		const char *file, *content;
	} bad[] = {
		{ "btree_cache_size", "big\n" },
		{ "compression_stats", "type c u a\nlz4: 1x 2 3\n" },
		{ "errors", "foo notanumber 1\n" },
		{ "errors", "foo 1 ts\n" },
		{ "counters/btree_node_read", "garbage only\n" },
		{ "counters/btree_node_read", "since mount: many\n" },
		{ "btree_write_stats", "hdr\ninitial: x 1k\n" },
		{ "dev-4/nbuckets", "-1\n" },
		{ "dev-4/io_done", "read:\nuser : x\n" },
		{ "dev-4/io_errors", "IO errors since filesystem creation\n  read: -\n" },
		{ "dev-4/bucket_size", "1q\n" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		dir = copy_fixture("fs/bcachefs");
		char rel[512];
		snprintf(rel, sizeof rel, "fs/bcachefs/" FS_UUID "/%s", bad[i].file);
		fixture_puts(dir, rel, bad[i].content);
		r = run_sys(&collector_bcachefs, dir, NULL);
		ck_assert_msg(r.rc == COLLECT_ERROR, "%s: rc %d", bad[i].file, r.rc);
		ck_assert_str_ne(r.err, "");
		free(r.text);
		fixture_rm(dir);
	}

	/* Optional files may be missing: the rest is still reported. */
	dir = copy_fixture("fs/bcachefs");
	char cmd[4200];
	snprintf(cmd, sizeof cmd, "cd '%s/fs/bcachefs/" FS_UUID "' && rm -r compression_stats errors counters dev-4/io_done",
		 dir);
	ck_assert_int_eq(system(cmd), 0);
	r = run_sys(&collector_bcachefs, dir, NULL);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	expect_line(&r, "node_bcachefs_info{uuid=\"" FS_UUID "\"} 1");
	expect_no(&r, "node_bcachefs_errors_total");
	expect_line(&r, "node_bcachefs_device_io_errors_total{device=\"4\",type=\"read\",uuid=\"" FS_UUID "\"} 197416");
	free(r.text);
	fixture_rm(dir);
}
END_TEST

/* ---- bonding ---- */

START_TEST(test_bonding_fixture)
{
	struct run_result r = run_sys(&collector_bonding, SYS, NULL);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	expect_line(&r, "node_bonding_slaves{master=\"bond0\"} 0");
	expect_line(&r, "node_bonding_slaves{master=\"dmz\"} 2");
	expect_line(&r, "node_bonding_active{master=\"dmz\"} 2");
	expect_line(&r, "node_bonding_slaves{master=\"int\"} 2");
	expect_line(&r, "node_bonding_active{master=\"int\"} 1");
	free(r.text);
}
END_TEST

START_TEST(test_bonding_broken)
{
	struct run_result r = run_sys(&collector_bonding, "/nonexistent", NULL);
	ck_assert_int_eq(r.rc, COLLECT_NODATA);
	free(r.text);

	/* A master listed without its bonding/slaves: no data, as upstream. */
	char *dir = fixture_dir();
	fixture_puts(dir, "class/net/bonding_masters", "bond0 bond1\n");
	fixture_puts(dir, "class/net/bond0/bonding/slaves", "eth0 eth1\n");
	fixture_puts(dir, "class/net/bond0/lower_eth0/bonding_slave/mii_status", "up\n");
	fixture_puts(dir, "class/net/bond0/slave_eth1/bonding_slave/mii_status", "going down\n");
	r = run_sys(&collector_bonding, dir, NULL);
	ck_assert_int_eq(r.rc, COLLECT_NODATA);
	expect_no(&r, "node_bonding");
	free(r.text);

	/* Old kernels' slave_ prefix, garbage status counts as not up. */
	fixture_puts(dir, "class/net/bonding_masters", "  bond0\n\n");
	r = run_sys(&collector_bonding, dir, NULL);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	expect_line(&r, "node_bonding_slaves{master=\"bond0\"} 2");
	expect_line(&r, "node_bonding_active{master=\"bond0\"} 1");
	free(r.text);

	/* A slave without any mii_status. */
	fixture_puts(dir, "class/net/bond0/bonding/slaves", "eth0 eth1 eth2\n");
	r = run_sys(&collector_bonding, dir, NULL);
	ck_assert_int_eq(r.rc, COLLECT_NODATA);
	free(r.text);

	/* An oversized slaves list fails with an error, never a crash. */
	size_t n = 1u << 20;
	char *big = malloc(n);
	memset(big, 'e', n);
	fixture_write(dir, "class/net/bond0/bonding/slaves", big, n);
	free(big);
	r = run_sys(&collector_bonding, dir, NULL);
	ck_assert_int_eq(r.rc, COLLECT_ERROR);
	free(r.text);

	/* Empty masters list: nothing to report. */
	fixture_puts(dir, "class/net/bonding_masters", "");
	r = run_sys(&collector_bonding, dir, NULL);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	expect_no(&r, "master=");
	free(r.text);
	fixture_rm(dir);
}
END_TEST

/* ---- dmi ---- */

START_TEST(test_dmi_fixture)
{
	struct run_result r = run_sys(&collector_dmi, SYS, NULL);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	/* product_version holds invalid UTF-8: replaced, byte for byte as upstream. */
	expect_line(&r, "node_dmi_info{bios_date=\"04/12/2021\",bios_release=\"2.2\",bios_vendor=\"Dell Inc.\","
			"bios_version=\"2.2.4\",board_name=\"07PXPY\",board_serial=\".7N62AI2.GRTCL6944100GP.\","
			"board_vendor=\"Dell Inc.\",board_version=\"A01\",chassis_asset_tag=\"\",chassis_serial=\"7N62AI2\","
			"chassis_vendor=\"Dell Inc.\",chassis_version=\"\",product_family=\"PowerEdge\","
			"product_name=\"PowerEdge R6515\",product_serial=\"7N62AI2\","
			"product_sku=\"SKU=NotProvided;ModelName=PowerEdge R6515\","
			"product_uuid=\"83340ca8-cb49-4474-8c29-d2088ca84dd9\",product_version=\"\xef\xbf\xbd\x1c[\xef\xbf\xbd\","
			"system_vendor=\"Dell Inc.\"} 1");
	free(r.text);
}
END_TEST

START_TEST(test_dmi_broken)
{
	struct run_result r = run_sys(&collector_dmi, "/nonexistent", NULL);
	ck_assert_int_eq(r.rc, COLLECT_NODATA);
	free(r.text);

	char *dir = fixture_dir();
	/* Only modalias/uevent and a directory: no data. */
	fixture_puts(dir, "class/dmi/id/modalias", "dmi:x\n");
	fixture_puts(dir, "class/dmi/id/board_name/x", "not a file\n");
	r = run_sys(&collector_dmi, dir, NULL);
	ck_assert_int_eq(r.rc, COLLECT_NODATA);
	free(r.text);

	/* Values are read once, as at most 128 bytes, trimmed. */
	char big[8192];
	memset(big, 'v', sizeof big);
	fixture_write(dir, "class/dmi/id/bios_vendor", big, sizeof big);
	fixture_puts(dir, "class/dmi/id/sys_vendor", "  Acme \t\n");
	fixture_puts(dir, "class/dmi/id/chassis_type", "23\n");
	r = run_sys(&collector_dmi, dir, NULL);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	char line[512];
	snprintf(line, sizeof line, "node_dmi_info{bios_vendor=\"%.128s\",system_vendor=\"Acme\"} 1", big);
	expect_line(&r, line);
	free(r.text);

	/* A file that cannot be read (a fifo would block; use a dangling regular path). */
	fixture_puts(dir, "class/dmi/id/board_vendor", "x\n");
	char path[4096];
	snprintf(path, sizeof path, "%s/class/dmi/id/board_vendor", dir);
	if (getuid() != 0) {
		ck_assert_int_eq(chmod(path, 0), 0);
		r = run_sys(&collector_dmi, dir, NULL);
		/* only root may read serials: such files are left out */
		ck_assert_int_eq(r.rc, COLLECT_OK);
		expect_no(&r, "board_vendor");
		free(r.text);
	}
	fixture_rm(dir);
}
END_TEST

/* ---- dmmultipath ---- */

START_TEST(test_dmmultipath_fixture)
{
	struct run_result r = run_sys(&collector_dmmultipath, SYS, NULL);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	expect_line(&r, "node_dmmultipath_device_info{device=\"mpathA\",sysfs_name=\"dm-5\",uuid=\"mpath-3600508b1001c1234567890abcdef1234\"} 1");
	expect_line(&r, "node_dmmultipath_device_size_bytes{device=\"mpathA\",sysfs_name=\"dm-5\"} 5.36870912e+10");
	expect_line(&r, "node_dmmultipath_device_paths{device=\"mpathA\",sysfs_name=\"dm-5\"} 4");
	expect_line(&r, "node_dmmultipath_device_paths_active{device=\"mpathA\",sysfs_name=\"dm-5\"} 3");
	expect_line(&r, "node_dmmultipath_device_paths_failed{device=\"mpathA\",sysfs_name=\"dm-5\"} 1");
	expect_line(&r, "node_dmmultipath_path_state{device=\"mpathA\",path=\"sdl\",state=\"offline\"} 1");
	expect_line(&r, "node_dmmultipath_device_active{device=\"mpathB\",sysfs_name=\"dm-6\"} 1");
	/* dm-0 is LVM, not multipath */
	expect_no(&r, "dm-0");
	free(r.text);
}
END_TEST

static char *mpath_tree(void)
{
	char *dir = fixture_dir();
	fixture_puts(dir, "block/dm-1/dm/uuid", "mpath-abc\n");
	fixture_puts(dir, "block/dm-1/dm/name", "mpathX\n");
	fixture_puts(dir, "block/dm-1/dm/suspended", "1\n");
	fixture_puts(dir, "block/dm-1/size", "10\n");
	fixture_puts(dir, "block/dm-1/slaves/nvme0n1/.keep", "");
	fixture_puts(dir, "block/nvme0n1/device/state", "live\n");
	fixture_puts(dir, "block/dm-2/dm/uuid", "LVM-xyz\n");
	fixture_puts(dir, "block/dm-3/size", "1\n"); /* not device-mapper: no dm/uuid */
	return dir;
}

START_TEST(test_dmmultipath_broken)
{
	struct run_result r = run_sys(&collector_dmmultipath, "/nonexistent", NULL);
	ck_assert_int_eq(r.rc, COLLECT_NODATA);
	free(r.text);

	char *dir = mpath_tree();
	r = run_sys(&collector_dmmultipath, dir, NULL);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	expect_line(&r, "node_dmmultipath_device_active{device=\"mpathX\",sysfs_name=\"dm-1\"} 0");
	expect_line(&r, "node_dmmultipath_device_size_bytes{device=\"mpathX\",sysfs_name=\"dm-1\"} 5120");
	expect_line(&r, "node_dmmultipath_device_paths_active{device=\"mpathX\",sysfs_name=\"dm-1\"} 1");
	expect_no(&r, "dm-2");
	free(r.text);
	fixture_rm(dir);

	static const struct {
		const char *file, *content;
		int rc;
	} cases[] = {
		{ "block/dm-1/size", "ten\n", COLLECT_ERROR },
		{ "block/dm-1/dm/suspended", "", COLLECT_ERROR },
		{ "block/dm-1/dm/name", NULL, COLLECT_NODATA },
		{ "block/dm-1/size", NULL, COLLECT_NODATA },
		{ "block/nvme0n1/device/state", NULL, COLLECT_NODATA },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		dir = mpath_tree();
		if (cases[i].content) {
			fixture_puts(dir, cases[i].file, cases[i].content);
		} else {
			char path[4096];
			snprintf(path, sizeof path, "%s/%s", dir, cases[i].file);
			ck_assert_int_eq(unlink(path), 0);
		}
		r = run_sys(&collector_dmmultipath, dir, NULL);
		ck_assert_msg(r.rc == cases[i].rc, "%s: rc %d", cases[i].file, r.rc);
		expect_no(&r, "node_dmmultipath");
		free(r.text);
		fixture_rm(dir);
	}
}
END_TEST

/* ---- edac ---- */

START_TEST(test_edac_fixture)
{
	struct run_result r = run_sys(&collector_edac, SYS, NULL);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	expect_line(&r, "node_edac_correctable_errors_total{controller=\"0\"} 1");
	expect_line(&r, "node_edac_uncorrectable_errors_total{controller=\"0\"} 5");
	expect_line(&r, "node_edac_csrow_correctable_errors_total{controller=\"0\",csrow=\"unknown\"} 2");
	expect_line(&r, "node_edac_csrow_uncorrectable_errors_total{controller=\"0\",csrow=\"2\"} 5");
	/* "mc0csrow0channel0" cleaned up as upstream */
	expect_line(&r, "node_edac_channel_uncorrectable_errors_total{channel=\"1\",controller=\"0\",csrow=\"0\","
			"dimm_label=\"mc0_csrow0_channel1\"} 2");
	free(r.text);
}
END_TEST

START_TEST(test_edac_broken)
{
	/* No EDAC: nothing, success (upstream globs). */
	struct run_result r = run_sys(&collector_edac, "/nonexistent", NULL);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	ck_assert_str_eq(r.text, "");
	free(r.text);

	char *dir = fixture_dir();
	const char *mc = "devices/system/edac/mc/mc12";
	char p[512];
#define EDAC_PUT(f, v) (snprintf(p, sizeof p, "%s/%s", mc, f), fixture_puts(dir, p, v))
	EDAC_PUT("ce_count", "1\n");
	EDAC_PUT("ce_noinfo_count", "0\n");
	EDAC_PUT("ue_count", "0\n");
	EDAC_PUT("ue_noinfo_count", "0\n");
	EDAC_PUT("csrow3/ce_count", "7\n");
	EDAC_PUT("csrow3/ue_count", "0\n");
	EDAC_PUT("csrow3/ch2_ce_count", "4\n");
	EDAC_PUT("csrow3/ch2_dimm_label", "CPU#1 csrow channel\n");
	EDAC_PUT("csrow3/chx_ce_count", "9\n"); /* not a channel */
	r = run_sys(&collector_edac, dir, NULL);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	expect_line(&r, "node_edac_csrow_correctable_errors_total{controller=\"12\",csrow=\"3\"} 7");
	expect_line(&r, "node_edac_channel_correctable_errors_total{channel=\"2\",controller=\"12\",csrow=\"3\","
			"dimm_label=\"CPU1 _csrow _channel\"} 4");
	/* no ch2_ue_count: that series is left out */
	expect_no(&r, "node_edac_channel_uncorrectable_errors_total{");
	free(r.text);

	/* A missing label reads "unknown". */
	snprintf(p, sizeof p, "%s/%s/csrow3/ch2_dimm_label", dir, mc);
	ck_assert_int_eq(unlink(p), 0);
	r = run_sys(&collector_edac, dir, NULL);
	expect_line(&r, "node_edac_channel_correctable_errors_total{channel=\"2\",controller=\"12\",csrow=\"3\","
			"dimm_label=\"unknown\"} 4");
	free(r.text);

	static const char *const bad[][2] = { { "ue_count", "x\n" },
					      { "ce_noinfo_count", "-1\n" },
					      { "csrow3/ue_count", "\n" },
					      { "csrow3/ch2_ce_count", "1 2\n" } };
	for (size_t i = 0; i < 4; i++) {
		EDAC_PUT(bad[i][0], bad[i][1]);
		r = run_sys(&collector_edac, dir, NULL);
		ck_assert_msg(r.rc == COLLECT_ERROR, "%s: rc %d", bad[i][0], r.rc);
		ck_assert_str_ne(r.err, "");
		free(r.text);
		EDAC_PUT(bad[i][0], "0\n");
	}
	/* A required count missing is an error too. */
	snprintf(p, sizeof p, "%s/%s/ue_noinfo_count", dir, mc);
	ck_assert_int_eq(unlink(p), 0);
	r = run_sys(&collector_edac, dir, NULL);
	ck_assert_int_eq(r.rc, COLLECT_ERROR);
	free(r.text);
#undef EDAC_PUT
	fixture_rm(dir);
}
END_TEST

/* ---- fibrechannel ---- */

START_TEST(test_fibrechannel_fixture)
{
	struct run_result r = run_sys(&collector_fibrechannel, SYS, NULL);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	expect_line(&r, "node_fibrechannel_info{dev_loss_tmo=\"30\",fabric_name=\"0\",fc_host=\"host0\",port_id=\"000002\","
			"port_name=\"1000e0071bce95f2\",port_state=\"Online\",port_type=\"Point-To-Point (direct nport connection)\","
			"speed=\"16 Gbit\",supported_classes=\"Class 3\",supported_speeds=\"4 Gbit, 8 Gbit, 16 Gbit\","
			"symbolic_name=\"Emulex SN1100E2P FV12.4.270.3 DV12.4.0.0. HN:gotest. OS:Linux\"} 1");
	expect_line(&r, "node_fibrechannel_fcp_packet_aborts_total{fc_host=\"host0\"} 19");
	expect_line(&r, "node_fibrechannel_nos_total{fc_host=\"host1\"} 288");
	/* host0's dumped_frames is 0xffffffffffffffff: not implemented, left out */
	expect_no(&r, "node_fibrechannel_dumped_frames_total{fc_host=\"host0\"}");
	expect_line(&r, "node_fibrechannel_dumped_frames_total{fc_host=\"host1\"} 0");
	free(r.text);
}
END_TEST

START_TEST(test_fibrechannel_broken)
{
	struct run_result r = run_sys(&collector_fibrechannel, "/nonexistent", NULL);
	ck_assert_int_eq(r.rc, COLLECT_NODATA);
	free(r.text);

	/* A port in state Unknown reports zeros; a missing statistics dir is fine. */
	char *dir = fixture_dir();
	fixture_puts(dir, "class/fc_host/host5/port_state", "Unknown\n");
	fixture_puts(dir, "class/fc_host/host5/port_name", "0x10\n");
	r = run_sys(&collector_fibrechannel, dir, NULL);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	expect_line(&r, "node_fibrechannel_rx_frames_total{fc_host=\"host5\"} 0");
	expect_line(&r, "node_fibrechannel_info{dev_loss_tmo=\"\",fabric_name=\"\",fc_host=\"host5\",port_id=\"\","
			"port_name=\"10\",port_state=\"Unknown\",port_type=\"\",speed=\"\",supported_classes=\"\","
			"supported_speeds=\"\",symbolic_name=\"\"} 1");
	free(r.text);

	/* Online with a partial statistics directory: only what is there. */
	fixture_puts(dir, "class/fc_host/host5/port_state", "Online\n");
	fixture_puts(dir, "class/fc_host/host5/statistics/rx_frames", "0x10\n");
	fixture_puts(dir, "class/fc_host/host5/statistics/reset_statistics", "garbage\n");
	fixture_puts(dir, "class/fc_host/host5/statistics/lip_count", "garbage\n");
	r = run_sys(&collector_fibrechannel, dir, NULL);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	expect_line(&r, "node_fibrechannel_rx_frames_total{fc_host=\"host5\"} 16");
	expect_no(&r, "tx_frames");
	free(r.text);

	fixture_puts(dir, "class/fc_host/host5/statistics/tx_frames", "0xzz\n");
	r = run_sys(&collector_fibrechannel, dir, NULL);
	ck_assert_int_eq(r.rc, COLLECT_ERROR);
	expect_no(&r, "node_fibrechannel");
	free(r.text);
	fixture_rm(dir);
}
END_TEST

/* ---- hwmon ---- */

static const char *const hwmon_e2e[] = {
	"--collector.hwmon.chip-include=(applesmc|asus_nb_wmi|coretemp|hwmon4|ieee80211|nct6779)", NULL
};

START_TEST(test_hwmon_fixture)
{
	struct run_result r = run_sys(&collector_hwmon, SYS, hwmon_e2e);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	/* chip labels: <bus>_<device>, the name file, or hwmonN; duplicates disambiguated */
	expect_line(&r, "node_hwmon_chip_names{chip=\"platform_coretemp_0\",chip_name=\"coretemp\"} 1");
	expect_line(&r, "node_hwmon_chip_names{chip=\"nct6779\",chip_name=\"nct6779\"} 1");
	expect_line(&r, "node_hwmon_chip_names{chip=\"ieee80211_phy0_mt7996_phy0_1\",chip_name=\"mt7996_phy0_1\"} 1");
	expect_line(&r, "node_hwmon_chip_names{chip=\"platform_asus_nb_wmi_asus_wmi_sensors\",chip_name=\"asus_wmi_sensors\"} 1");
	expect_line(&r, "node_hwmon_sensor_label{chip=\"platform_applesmc_768\",label=\"Left side\",sensor=\"fan1\"} 1");
	expect_line(&r, "node_hwmon_temp_celsius{chip=\"platform_coretemp_0\",sensor=\"temp1\"} 55");
	expect_line(&r, "node_hwmon_temp_crit_alarm_celsius{chip=\"platform_coretemp_0\",sensor=\"temp1\"} 0");
	expect_line(&r, "node_hwmon_in_volts{chip=\"nct6779\",sensor=\"in0\"} 0.792");
	expect_line(&r, "node_hwmon_fan_rpm{chip=\"platform_applesmc_768\",sensor=\"fan1\"} 0");
	expect_line(&r, "node_hwmon_fan_min_rpm{chip=\"platform_applesmc_768\",sensor=\"fan1\"} 2160");
	expect_line(&r, "node_hwmon_pwm_auto_point1_pwm{chip=\"nct6779\",sensor=\"pwm1\"} 153");
	expect_line(&r, "node_hwmon_freq_freq_mhz{chip=\"hwmon4\",sensor=\"sclk\"} 214");
	expect_line(&r, "node_hwmon_intrusion_alarm{chip=\"nct6779\",sensor=\"intrusion0\"} 1");
	/* excluded by chip-include: the bogus chip */
	expect_no(&r, "bogus");
	free(r.text);
}
END_TEST

START_TEST(test_hwmon_filters)
{
	/* sensor filters match "<chip>;<sensor>" */
	struct run_result r = run_sys(&collector_hwmon, SYS,
				      ARGS("--collector.hwmon.chip-include=coretemp",
					   "--collector.hwmon.sensor-exclude=^platform_coretemp_0;temp[2-5]$"));
	ck_assert_int_eq(r.rc, COLLECT_OK);
	expect_line(&r, "node_hwmon_temp_celsius{chip=\"platform_coretemp_0\",sensor=\"temp1\"} 55");
	expect_no(&r, "{chip=\"platform_coretemp_0\",sensor=\"temp3\"}");
	expect_line(&r, "node_hwmon_temp_celsius{chip=\"platform_coretemp_1\",sensor=\"temp3\"} 52");
	expect_no(&r, "nct6779");
	free(r.text);

	r = run_sys(&collector_hwmon, SYS,
		    ARGS("--collector.hwmon.chip-exclude=.", "--collector.hwmon.sensor-include=nothing"));
	ck_assert_int_eq(r.rc, COLLECT_OK);
	ck_assert_str_eq(r.text, "");
	free(r.text);

	r = run_sys(&collector_hwmon, SYS, ARGS("--collector.hwmon.sensor-include=;fan1$"));
	ck_assert_int_eq(r.rc, COLLECT_OK);
	expect_line(&r, "node_hwmon_fan_rpm{chip=\"platform_applesmc_768\",sensor=\"fan1\"} 0");
	expect_no(&r, "node_hwmon_temp_celsius");
	free(r.text);

	static const char *const bad[] = { "--collector.hwmon.chip-include=(", "--collector.hwmon.chip-exclude=[",
					   "--collector.hwmon.sensor-include=*", "--collector.hwmon.sensor-exclude=(?" };
	for (size_t i = 0; i < 4; i++) {
		r = run_sys(&collector_hwmon, SYS, (const char *const[]){ bad[i], NULL });
		ck_assert_msg(r.rc == -2, "%s: rc %d", bad[i], r.rc);
		ck_assert(strstr(r.err, "collector.hwmon") != NULL);
		free(r.text);
	}
}
END_TEST

START_TEST(test_hwmon_broken)
{
	struct run_result r = run_sys(&collector_hwmon, "/nonexistent", NULL);
	ck_assert_int_eq(r.rc, COLLECT_NODATA);
	free(r.text);

	char *dir = fixture_dir();
	/* No device link, no name file: the hwmonN name; garbage values skipped. */
	fixture_puts(dir, "class/hwmon/hwmon7/temp1_input", "hot\n");
	fixture_puts(dir, "class/hwmon/hwmon7/temp2_input", "41500\n");
	fixture_puts(dir, "class/hwmon/hwmon7/temp2_label", "\n");
	fixture_puts(dir, "class/hwmon/hwmon7/fan1_input", "");
	fixture_puts(dir, "class/hwmon/hwmon7/humidity1_input", "455000\n");
	fixture_puts(dir, "class/hwmon/hwmon7/power1_average_interval", "1500\n");
	fixture_puts(dir, "class/hwmon/hwmon7/power1_average", "12500000\n");
	fixture_puts(dir, "class/hwmon/hwmon7/energy1_input", "2000000\n");
	fixture_puts(dir, "class/hwmon/hwmon7/curr1_max", "3500\n");
	fixture_puts(dir, "class/hwmon/hwmon7/beep_enable", "1\n");
	fixture_puts(dir, "class/hwmon/hwmon7/update_interval", "500\n");
	fixture_puts(dir, "class/hwmon/hwmon7/vrm", "9.1\n");
	fixture_puts(dir, "class/hwmon/hwmon7/temp3_type", "4\n");
	fixture_puts(dir, "class/hwmon/hwmon7/freq1_input", "100000000\n"); /* no label: left out */
	fixture_puts(dir, "class/hwmon/hwmon7/name_x", "1\n");
	fixture_puts(dir, "class/hwmon/hwmon7/12", "1\n");
	char big[6000];
	memset(big, '7', sizeof big);
	fixture_write(dir, "class/hwmon/hwmon7/in9_input", big, sizeof big);
	fixture_puts(dir, "class/hwmon/notadir", "x\n");
	r = run_sys(&collector_hwmon, dir, NULL);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	expect_no(&r, "sensor=\"temp1\"");
	expect_line(&r, "node_hwmon_temp_celsius{chip=\"hwmon7\",sensor=\"temp2\"} 41.5");
	expect_line(&r, "node_hwmon_sensor_label{chip=\"hwmon7\",label=\"\",sensor=\"temp2\"} 1");
	expect_line(&r, "node_hwmon_humidity{chip=\"hwmon7\",sensor=\"humidity1\"} 0.455");
	expect_line(&r, "node_hwmon_power_average_interval_seconds{chip=\"hwmon7\",sensor=\"power1\"} 1.5");
	expect_line(&r, "node_hwmon_power_average_watt{chip=\"hwmon7\",sensor=\"power1\"} 12.5");
	expect_line(&r, "node_hwmon_energy_joule_total{chip=\"hwmon7\",sensor=\"energy1\"} 2");
	expect_line(&r, "node_hwmon_curr_max_amps{chip=\"hwmon7\",sensor=\"curr1\"} 3.5");
	expect_line(&r, "node_hwmon_beep_enabled{chip=\"hwmon7\",sensor=\"beep_enable0\"} 1");
	expect_line(&r, "node_hwmon_update_interval_seconds{chip=\"hwmon7\",sensor=\"update_interval0\"} 0.5");
	expect_line(&r, "node_hwmon_voltage_regulator_version{chip=\"hwmon7\",sensor=\"vrm0\"} 9.1");
	expect_line(&r, "node_hwmon_temp_type{chip=\"hwmon7\",sensor=\"temp3\"} 4");
	/* only the first 128 bytes of a value are read, as upstream */
	ck_assert(strstr(r.text, "node_hwmon_in_volts{chip=\"hwmon7\",sensor=\"in9\"} 7.77777777777777") != NULL);
	ck_assert(strstr(r.text, "e+124\n") != NULL);
	expect_no(&r, "fan1");
	expect_no(&r, "freq");
	free(r.text);

	/* A name file names the chip; a second chip with the same name is told apart. */
	fixture_puts(dir, "class/hwmon/hwmon7/name", "My Chip!\n");
	fixture_puts(dir, "class/hwmon/hwmon8/name", "My Chip!\n");
	fixture_puts(dir, "class/hwmon/hwmon8/temp1_input", "1000\n");
	r = run_sys(&collector_hwmon, dir, NULL);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	expect_line(&r, "node_hwmon_chip_names{chip=\"my_chip_hwmon8\",chip_name=\"my_chip\"} 1");
	expect_line(&r, "node_hwmon_temp_celsius{chip=\"my_chip_hwmon8\",sensor=\"temp1\"} 1");
	expect_line(&r, "node_hwmon_temp_celsius{chip=\"my_chip_hwmon7\",sensor=\"temp2\"} 41.5");
	free(r.text);

	/*
	 * device/ values win over the hwmon directory's; the device directory
	 * (a plain one here, a link in sysfs) now names the chip.
	 */
	fixture_puts(dir, "class/hwmon/hwmon8/device/temp1_input", "2000\n");
	r = run_sys(&collector_hwmon, dir, NULL);
	expect_line(&r, "node_hwmon_temp_celsius{chip=\"hwmon8_device\",sensor=\"temp1\"} 2");
	expect_line(&r, "node_hwmon_temp_celsius{chip=\"my_chip\",sensor=\"temp2\"} 41.5");
	free(r.text);
	fixture_rm(dir);
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("path_sysfs");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_bcache_fixture);
	tcase_add_test(tc, test_bcache_broken);
	tcase_add_test(tc, test_bcachefs_fixture);
	tcase_add_test(tc, test_bcachefs_broken);
	tcase_add_test(tc, test_bonding_fixture);
	tcase_add_test(tc, test_bonding_broken);
	tcase_add_test(tc, test_dmi_fixture);
	tcase_add_test(tc, test_dmi_broken);
	tcase_add_test(tc, test_dmmultipath_fixture);
	tcase_add_test(tc, test_dmmultipath_broken);
	tcase_add_test(tc, test_edac_fixture);
	tcase_add_test(tc, test_edac_broken);
	tcase_add_test(tc, test_fibrechannel_fixture);
	tcase_add_test(tc, test_fibrechannel_broken);
	tcase_add_test(tc, test_hwmon_fixture);
	tcase_add_test(tc, test_hwmon_filters);
	tcase_add_test(tc, test_hwmon_broken);
	suite_add_tcase(s, tc);
	return s;
}
