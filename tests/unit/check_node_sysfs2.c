// links: node_exporter
/*
 * sysfs collectors, part 2: infiniband, netclass, nvme, powersupplyclass,
 * rapl, tapestats, thermal_zone and watchdog on upstream's fixture tree,
 * on broken trees and with their option flags.
 */
#include <errno.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../common/sysfs.h"
#include "unit.h"

extern const struct collector_def collector_infiniband, collector_netclass, collector_nvme,
	collector_powersupplyclass, collector_rapl, collector_tapestats, collector_thermal_zone, collector_watchdog;

#define SYS FIXTURES "/sys"




static void rm_file(const char *dir, const char *rel)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", dir, rel);
	ck_assert_msg(unlink(path) == 0, "unlink %s", path);
}

/* An invalid regular expression in a flag makes init fail (exit 2). */
static void expect_bad_flag(const struct collector_def *def, const char *arg)
{
	struct run_result r = run_sys(def, SYS, (const char *const[]){ arg, NULL });
	ck_assert_msg(r.rc == -2, "%s: rc %d", arg, r.rc);
	ck_assert_str_ne(r.err, "");
	free(r.text);
}

/* ---- infiniband ---- */

START_TEST(test_infiniband_fixture)
{
	struct run_result r = run_sys(&collector_infiniband, SYS, NULL);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	expect_line(&r, "node_infiniband_info{board_id=\"SM_1141000001000\",device=\"mlx4_0\",firmware_version=\"2.31.5050\","
			"hca_type=\"MT4099\"} 1");
	expect_line(&r, "node_infiniband_rate_bytes_per_second{device=\"mlx4_0\",port=\"1\"} 5e+09");
	expect_line(&r, "node_infiniband_rate_bytes_per_second{device=\"i40iw0\",port=\"1\"} 1.25e+09");
	expect_line(&r, "node_infiniband_state_id{device=\"mlx4_0\",port=\"2\"} 4");
	/* data counters count per lane: times 4 */
	expect_line(&r, "node_infiniband_port_data_received_bytes_total{device=\"mlx4_0\",port=\"1\"} 1.8527668e+07");
	expect_line(&r, "node_infiniband_legacy_data_received_bytes_total{device=\"mlx4_0\",port=\"2\"} 1.8527668e+07");
	free(r.text);

	r = run_sys(&collector_infiniband, SYS, ARGS("--collector.infiniband.device-exclude=^mlx"));
	ck_assert_int_eq(r.rc, COLLECT_OK);
	expect_no(&r, "mlx4_0");
	expect_line(&r, "node_infiniband_state_id{device=\"i40iw0\",port=\"1\"} 4");
	free(r.text);
	r = run_sys(&collector_infiniband, SYS, ARGS("--collector.infiniband.device-include=^mlx"));
	expect_no(&r, "i40iw0");
	expect_line(&r, "node_infiniband_state_id{device=\"mlx4_0\",port=\"1\"} 4");
	free(r.text);
	expect_bad_flag(&collector_infiniband, "--collector.infiniband.device-include=(");
	expect_bad_flag(&collector_infiniband, "--collector.infiniband.device-exclude=[a");
}
END_TEST

static char *ib_tree(void)
{
	char *dir = fixture_dir();
	fixture_puts(dir, "class/infiniband/mlx5_0/fw_ver", "16.35\n");
	fixture_puts(dir, "class/infiniband/mlx5_0/ports/1/link_layer", "Ethernet\n");
	fixture_puts(dir, "class/infiniband/mlx5_0/ports/1/state", "4: ACTIVE\n");
	fixture_puts(dir, "class/infiniband/mlx5_0/ports/1/phys_state", "5: LinkUp\n");
	fixture_puts(dir, "class/infiniband/mlx5_0/ports/1/rate", "25 Gb/sec (1X EDR)\n");
	fixture_puts(dir, "class/infiniband/mlx5_0/ports/1/counters/port_xmit_data", "0x10\n");
	fixture_puts(dir, "class/infiniband/mlx5_0/ports/1/counters/symbol_error", "N/A (no PMA)\n");
	fixture_puts(dir, "class/infiniband/mlx5_0/ports/1/counters/unknown_counter", "junk\n");
	fixture_puts(dir, "class/infiniband/mlx5_0/ports/1/hw_counters/lifespan", "12500\n");
	fixture_puts(dir, "class/infiniband/mlx5_0/ports/1/hw_counters/out_of_buffer", "7\n");
	return dir;
}

START_TEST(test_infiniband_broken)
{
	struct run_result r = run_sys(&collector_infiniband, "/nonexistent", NULL);
	ck_assert_int_eq(r.rc, COLLECT_NODATA);
	free(r.text);

	char *dir = ib_tree();
	r = run_sys(&collector_infiniband, dir, NULL);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	expect_line(&r, "node_infiniband_info{board_id=\"\",device=\"mlx5_0\",firmware_version=\"16.35\",hca_type=\"\"} 1");
	expect_line(&r, "node_infiniband_rate_bytes_per_second{device=\"mlx5_0\",port=\"1\"} 3.125e+09");
	expect_line(&r, "node_infiniband_port_data_transmitted_bytes_total{device=\"mlx5_0\",port=\"1\"} 64");
	expect_line(&r, "node_infiniband_lifespan_seconds{device=\"mlx5_0\",port=\"1\"} 12");
	expect_line(&r, "node_infiniband_out_of_buffer_drops_total{device=\"mlx5_0\",port=\"1\"} 7");
	expect_line(&r, "node_infiniband_physical_state_id{device=\"mlx5_0\",port=\"1\"} 5");
	expect_no(&r, "symbol_error");
	free(r.text);
	fixture_rm(dir);

	static const struct {
		const char *file, *content;
		int rc;
	} cases[] = {
		{ "ports/1/state", "ACTIVE\n", COLLECT_ERROR },
		{ "ports/1/state", "x: ACTIVE\n", COLLECT_ERROR },
		{ "ports/1/phys_state", "5: a: b\n", COLLECT_ERROR },
		{ "ports/1/rate", "fast\n", COLLECT_ERROR },
		{ "ports/1/rate", "x Gb/sec\n", COLLECT_ERROR },
		{ "ports/1/counters/port_xmit_data", "lots\n", COLLECT_ERROR },
		{ "ports/1/hw_counters/out_of_buffer", "-1\n", COLLECT_ERROR },
		{ "ports/one/state", "4: ACTIVE\n", COLLECT_ERROR },
		{ "fw_ver", NULL, COLLECT_NODATA },
		{ "ports/1/link_layer", NULL, COLLECT_NODATA },
		{ "ports/1/rate", NULL, COLLECT_NODATA },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		dir = ib_tree();
		char rel[256];
		snprintf(rel, sizeof rel, "class/infiniband/mlx5_0/%s", cases[i].file);
		if (cases[i].content)
			fixture_puts(dir, rel, cases[i].content);
		else
			rm_file(dir, rel);
		r = run_sys(&collector_infiniband, dir, NULL);
		ck_assert_msg(r.rc == cases[i].rc, "%s: rc %d", cases[i].file, r.rc);
		expect_no(&r, "node_infiniband");
		free(r.text);
		fixture_rm(dir);
	}
}
END_TEST

/* ---- netclass ---- */

START_TEST(test_netclass_fixture)
{
	struct run_result r = run_sys(&collector_netclass, SYS,
				      ARGS("--collector.netclass.ignore-invalid-speed",
					   "--collector.netclass.ignored-devices=(dmz|int)"));
	ck_assert_int_eq(r.rc, COLLECT_OK);
	expect_line(&r, "node_network_info{address=\"01:01:01:01:01:01\",adminstate=\"up\",broadcast=\"ff:ff:ff:ff:ff:ff\","
			"device=\"eth0\",duplex=\"full\",ifalias=\"\",operstate=\"up\"} 1");
	expect_line(&r, "node_network_up{device=\"bond0\"} 1");
	expect_line(&r, "node_network_speed_bytes{device=\"eth0\"} 1.25e+08");
	expect_line(&r, "node_network_mtu_bytes{device=\"eth0\"} 1500");
	expect_line(&r, "node_network_carrier_changes_total{device=\"bond0\"} 2");
	/* flags is hexadecimal in sysfs */
	expect_line(&r, "node_network_flags{device=\"eth0\"} 4867");
	expect_no(&r, "dmz");
	expect_no(&r, "bonding_masters");
	free(r.text);

	r = run_sys(&collector_netclass, SYS, NULL);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	expect_line(&r, "node_network_up{device=\"dmz\"} 1");
	free(r.text);
	expect_bad_flag(&collector_netclass, "--collector.netclass.ignored-devices=(");
}
END_TEST

START_TEST(test_netclass_broken)
{
	struct run_result r = run_sys(&collector_netclass, "/nonexistent", NULL);
	ck_assert_int_eq(r.rc, COLLECT_NODATA);
	free(r.text);

	char *dir = fixture_dir();
	fixture_puts(dir, "class/net/veth1/operstate", "down\n");
	fixture_puts(dir, "class/net/veth1/speed", "-1\n");
	fixture_puts(dir, "class/net/veth1/mtu", "fifteen hundred\n");
	fixture_puts(dir, "class/net/veth1/flags", "0x1002\n");
	fixture_puts(dir, "class/net/veth1/carrier", "\n");
	fixture_puts(dir, "class/net/veth1/tx_queue_len", "0o17\n");
	fixture_puts(dir, "class/net/veth1/dev_id", "0x1_0\n");
	fixture_puts(dir, "class/net/veth1/ifindex", "0_1\n");
	fixture_puts(dir, "class/net/veth1/iflink", "1__0\n");
	r = run_sys(&collector_netclass, dir, NULL);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	expect_line(&r, "node_network_up{device=\"veth1\"} 0");
	/* the administrative state comes from IFF_UP */
	expect_line(&r, "node_network_info{address=\"\",adminstate=\"down\",broadcast=\"\",device=\"veth1\",duplex=\"\","
			"ifalias=\"\",operstate=\"down\"} 1");
	expect_line(&r, "node_network_speed_bytes{device=\"veth1\"} -125000");
	expect_line(&r, "node_network_transmit_queue_length{device=\"veth1\"} 15");
	expect_line(&r, "node_network_device_id{device=\"veth1\"} 16");
	expect_line(&r, "node_network_iface_id{device=\"veth1\"} 1");
	/* unparsable values are left out, as upstream */
	expect_no(&r, "node_network_mtu_bytes");
	expect_no(&r, "node_network_carrier{");
	expect_no(&r, "node_network_iface_link{");
	free(r.text);

	r = run_sys(&collector_netclass, dir, ARGS("--collector.netclass.ignore-invalid-speed"));
	expect_no(&r, "node_network_speed_bytes");
	free(r.text);

	/* No flags file: adminstate unknown. */
	rm_file(dir, "class/net/veth1/flags");
	r = run_sys(&collector_netclass, dir, NULL);
	ck_assert(strstr(r.text, "adminstate=\"unknown\"") != NULL);
	free(r.text);

	/* A broken interface link: the interface is gone, no data as upstream. */
	char path[4096];
	snprintf(path, sizeof path, "%s/class/net/gone", dir);
	ck_assert_int_eq(symlink("../../nowhere", path), 0);
	r = run_sys(&collector_netclass, dir, NULL);
	ck_assert_int_eq(r.rc, COLLECT_NODATA);
	expect_no(&r, "node_network");
	free(r.text);
	fixture_rm(dir);
}
END_TEST

/* ---- nvme ---- */

START_TEST(test_nvme_fixture)
{
	struct run_result r = run_sys(&collector_nvme, SYS, NULL);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	expect_line(&r, "node_nvme_info{cntlid=\"1997\",device=\"nvme0\",firmware_revision=\"1B2QEXP7\","
			"model=\"Samsung SSD 970 PRO 512GB\",serial=\"S680HF8N190894I\",state=\"live\"} 1");
	expect_line(&r, "node_nvme_namespace_info{ana_state=\"optimized\",device=\"nvme0\",nsid=\"1\"} 1");
	expect_line(&r, "node_nvme_namespace_capacity_bytes{device=\"nvme0\",nsid=\"1\"} 1.6e+13");
	expect_line(&r, "node_nvme_namespace_used_bytes{device=\"nvme0\",nsid=\"1\"} 2e+12");
	expect_line(&r, "node_nvme_namespace_logical_block_size_bytes{device=\"nvme0\",nsid=\"1\"} 4096");
	free(r.text);
}
END_TEST

static char *nvme_tree(void)
{
	char *dir = fixture_dir();
	static const char *const attrs[] = { "firmware_rev", "model", "serial", "state", "cntlid" };
	for (size_t i = 0; i < 5; i++) {
		char rel[256];
		snprintf(rel, sizeof rel, "class/nvme/nvme3/%s", attrs[i]);
		fixture_puts(dir, rel, "v\n");
	}
	fixture_puts(dir, "class/nvme/nvme3/nvme3c3n2/nuse", "5\n");
	fixture_puts(dir, "class/nvme/nvme3/nvme3c3n2/size", "10\n");
	fixture_puts(dir, "class/nvme/nvme3/nvme3c3n2/queue/logical_block_size", "512\n");
	fixture_puts(dir, "class/nvme/nvme3/nvme3n2/nuse", "5\n");
	fixture_puts(dir, "class/nvme/nvme3/nvme3n2/size", "ten\n");
	fixture_puts(dir, "class/nvme/nvme3/nvme3n2/queue/logical_block_size", "512\n");
	return dir;
}

START_TEST(test_nvme_broken)
{
	struct run_result r = run_sys(&collector_nvme, "/nonexistent", NULL);
	ck_assert_int_eq(r.rc, COLLECT_NODATA);
	free(r.text);

	char *dir = nvme_tree();
	r = run_sys(&collector_nvme, dir, NULL);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	/* no ana_state: "unknown"; an unparsable size counts as 0, as upstream */
	expect_line(&r, "node_nvme_namespace_info{ana_state=\"unknown\",device=\"nvme3\",nsid=\"2\"} 1");
	expect_line(&r, "node_nvme_namespace_size_bytes{device=\"nvme3\",nsid=\"2\"} 0");
	expect_line(&r, "node_nvme_namespace_used_bytes{device=\"nvme3\",nsid=\"2\"} 2560");
	/* nvme3c3n2 (a multipath path) is not a namespace of this controller */
	expect_no(&r, "nsid=\"3\"");
	free(r.text);

	rm_file(dir, "class/nvme/nvme3/nvme3n2/queue/logical_block_size");
	r = run_sys(&collector_nvme, dir, NULL);
	ck_assert_int_eq(r.rc, COLLECT_NODATA);
	expect_no(&r, "node_nvme");
	free(r.text);
	fixture_rm(dir);

	dir = nvme_tree();
	rm_file(dir, "class/nvme/nvme3/cntlid");
	r = run_sys(&collector_nvme, dir, NULL);
	ck_assert_int_eq(r.rc, COLLECT_NODATA);
	free(r.text);
	fixture_rm(dir);
}
END_TEST

/* ---- powersupplyclass ---- */

START_TEST(test_powersupply_fixture)
{
	struct run_result r = run_sys(&collector_powersupplyclass, SYS, NULL);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	/* only the labels with a value: AC and BAT0 have different label sets */
	expect_line(&r, "node_power_supply_info{power_supply=\"AC\",type=\"Mains\"} 1");
	expect_line(&r, "node_power_supply_info{capacity_level=\"Normal\",manufacturer=\"LGC\","
			"model_name=\"LNV-45N1\xef\xbf\xbd\xef\xbf\xbd\",power_supply=\"BAT0\",serial_number=\"38109\","
			"status=\"Discharging\",technology=\"Li-ion\",type=\"Battery\"} 1");
	expect_line(&r, "node_power_supply_online{power_supply=\"AC\"} 0");
	expect_line(&r, "node_power_supply_capacity{power_supply=\"BAT0\"} 81");
	expect_line(&r, "node_power_supply_energy_watthour{power_supply=\"BAT0\"} 36.58");
	expect_line(&r, "node_power_supply_voltage_volt{power_supply=\"BAT0\"} 11.66");
	free(r.text);

	r = run_sys(&collector_powersupplyclass, SYS, ARGS("--collector.powersupply.ignored-supplies=^BAT"));
	ck_assert_int_eq(r.rc, COLLECT_OK);
	expect_no(&r, "BAT0");
	expect_line(&r, "node_power_supply_online{power_supply=\"AC\"} 0");
	free(r.text);
	expect_bad_flag(&collector_powersupplyclass, "--collector.powersupply.ignored-supplies=a{2,1}");
}
END_TEST

START_TEST(test_powersupply_broken)
{
	struct run_result r = run_sys(&collector_powersupplyclass, "/nonexistent", NULL);
	ck_assert_int_eq(r.rc, COLLECT_NODATA);
	free(r.text);

	char *dir = fixture_dir();
	fixture_puts(dir, "class/power_supply/ups/temp", "-105\n");
	fixture_puts(dir, "class/power_supply/ups/current_now", "1500000\n");
	fixture_puts(dir, "class/power_supply/ups/time_to_full_now", "3600\n");
	fixture_puts(dir, "class/power_supply/ups/uevent", "POWER_SUPPLY_NAME=ups\n");
	r = run_sys(&collector_powersupplyclass, dir, NULL);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	expect_line(&r, "node_power_supply_temp_celsius{power_supply=\"ups\"} -10.5");
	expect_line(&r, "node_power_supply_current_ampere{power_supply=\"ups\"} 1.5");
	expect_line(&r, "node_power_supply_time_to_full_seconds{power_supply=\"ups\"} 3600");
	expect_line(&r, "node_power_supply_info{power_supply=\"ups\"} 1");
	free(r.text);

	static const char *const bad[][2] = { { "capacity", "full\n" }, { "voltage_avg", "1.5\n" }, { "online", "\n" } };
	for (size_t i = 0; i < 3; i++) {
		char rel[256];
		snprintf(rel, sizeof rel, "class/power_supply/ups/%s", bad[i][0]);
		fixture_puts(dir, rel, bad[i][1]);
		r = run_sys(&collector_powersupplyclass, dir, NULL);
		ck_assert_msg(r.rc == COLLECT_ERROR, "%s: rc %d", bad[i][0], r.rc);
		expect_no(&r, "node_power_supply");
		free(r.text);
		rm_file(dir, rel);
	}
	fixture_rm(dir);
}
END_TEST

/* ---- rapl ---- */

START_TEST(test_rapl_fixture)
{
	struct run_result r = run_sys(&collector_rapl, SYS, NULL);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	expect_line(&r, "node_rapl_package_joules_total{index=\"0\",path=\"" SYS "/class/powercap/intel-rapl:0\"} 240422.366267");
	expect_line(&r, "node_rapl_core_joules_total{index=\"0\",path=\"" SYS "/class/powercap/intel-rapl:0:0\"} 118821.284256");
	free(r.text);

	r = run_sys(&collector_rapl, SYS, ARGS("--collector.rapl.enable-zone-label"));
	ck_assert_int_eq(r.rc, COLLECT_OK);
	expect_line(&r, "node_rapl_joules_total{index=\"0\",path=\"" SYS
			"/class/powercap/intel-rapl:0\",rapl_zone=\"package\"} 240422.366267");
	expect_no(&r, "node_rapl_package_joules_total");
	free(r.text);
}
END_TEST

START_TEST(test_rapl_broken)
{
	struct run_result r = run_sys(&collector_rapl, "/nonexistent", NULL);
	ck_assert_int_eq(r.rc, COLLECT_NODATA);
	free(r.text);

	char *dir = fixture_dir();
	/* Two "dram" zones without an index are numbered; odd names are sanitized. */
	static const char *const zones[][2] = { { "a", "dram" }, { "b", "dram" }, { "c", "psys-x" }, { "d", "package-3" } };
	for (size_t i = 0; i < 4; i++) {
		char rel[256];
		snprintf(rel, sizeof rel, "class/powercap/%s/name", zones[i][0]);
		fixture_puts(dir, rel, zones[i][1]);
		snprintf(rel, sizeof rel, "class/powercap/%s/max_energy_range_uj", zones[i][0]);
		fixture_puts(dir, rel, "100\n");
		snprintf(rel, sizeof rel, "class/powercap/%s/energy_uj", zones[i][0]);
		fixture_puts(dir, rel, "2500000\n");
	}
	fixture_puts(dir, "class/powercap/e/energy_uj", "1\n"); /* no name: not a zone */
	r = run_sys(&collector_rapl, dir, NULL);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	char line[8192];
	snprintf(line, sizeof line, "node_rapl_dram_joules_total{index=\"1\",path=\"%s/class/powercap/b\"} 2.5", dir);
	expect_line(&r, line);
	snprintf(line, sizeof line, "node_rapl_psys_x_joules_total{index=\"0\",path=\"%s/class/powercap/c\"} 2.5", dir);
	expect_line(&r, line);
	snprintf(line, sizeof line, "node_rapl_package_joules_total{index=\"3\",path=\"%s/class/powercap/d\"} 2.5", dir);
	expect_line(&r, line);
	free(r.text);

	fixture_puts(dir, "class/powercap/b/energy_uj", "lots\n");
	r = run_sys(&collector_rapl, dir, NULL);
	ck_assert_int_eq(r.rc, COLLECT_ERROR);
	free(r.text);
	rm_file(dir, "class/powercap/b/energy_uj");
	r = run_sys(&collector_rapl, dir, NULL);
	ck_assert_int_eq(r.rc, COLLECT_ERROR);
	ck_assert(strstr(r.err, "energy_uj") != NULL);
	free(r.text);
	fixture_puts(dir, "class/powercap/b/energy_uj", "1\n");
	fixture_puts(dir, "class/powercap/c/max_energy_range_uj", "-1\n");
	r = run_sys(&collector_rapl, dir, NULL);
	ck_assert_int_eq(r.rc, COLLECT_ERROR);
	free(r.text);
	rm_file(dir, "class/powercap/c/max_energy_range_uj");
	r = run_sys(&collector_rapl, dir, NULL);
	ck_assert_int_eq(r.rc, COLLECT_NODATA);
	free(r.text);
	if (getuid() != 0) {
		/* energy_uj is root-only on current kernels: no data, as upstream */
		fixture_puts(dir, "class/powercap/c/max_energy_range_uj", "1\n");
		char path[4096];
		snprintf(path, sizeof path, "%s/class/powercap/a/energy_uj", dir);
		ck_assert_int_eq(chmod(path, 0), 0);
		r = run_sys(&collector_rapl, dir, NULL);
		ck_assert_int_eq(r.rc, COLLECT_NODATA);
		free(r.text);
	}
	fixture_rm(dir);
}
END_TEST

/* ---- tapestats ---- */

START_TEST(test_tapestats_fixture)
{
	struct run_result r = run_sys(&collector_tapestats, SYS, NULL);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	expect_line(&r, "node_tape_io_now{device=\"st0\"} 1");
	expect_line(&r, "node_tape_io_time_seconds_total{device=\"st0\"} 9247.01108772");
	expect_line(&r, "node_tape_written_bytes_total{device=\"st0\"} 1.496246784e+12");
	expect_line(&r, "node_tape_residual_total{device=\"st0\"} 19");
	/* nst0, st0a... are other views of the same drive */
	expect_no(&r, "nst0");
	expect_no(&r, "st0a");
	free(r.text);

	r = run_sys(&collector_tapestats, SYS, ARGS("--collector.tapestats.ignored-devices=^st0$"));
	ck_assert_int_eq(r.rc, COLLECT_OK);
	expect_no(&r, "node_tape");
	free(r.text);
	expect_bad_flag(&collector_tapestats, "--collector.tapestats.ignored-devices=(");
}
END_TEST

START_TEST(test_tapestats_broken)
{
	struct run_result r = run_sys(&collector_tapestats, "/nonexistent", NULL);
	ck_assert_int_eq(r.rc, COLLECT_NODATA);
	free(r.text);

	char *dir = fixture_dir();
	fixture_puts(dir, "class/scsi_tape/st1/stats/read_cnt", "0x10\n");
	fixture_puts(dir, "class/scsi_tape/st1/stats/other", "junk\n");
	r = run_sys(&collector_tapestats, dir, NULL);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	expect_line(&r, "node_tape_reads_completed_total{device=\"st1\"} 16");
	/* missing files read as 0 */
	expect_line(&r, "node_tape_io_now{device=\"st1\"} 0");
	free(r.text);

	fixture_puts(dir, "class/scsi_tape/st1/stats/write_ns", "-5\n");
	r = run_sys(&collector_tapestats, dir, NULL);
	ck_assert_int_eq(r.rc, COLLECT_ERROR);
	expect_no(&r, "node_tape");
	free(r.text);

	fixture_puts(dir, "class/scsi_tape/st2/nostats", "");
	rm_file(dir, "class/scsi_tape/st1/stats/write_ns");
	r = run_sys(&collector_tapestats, dir, NULL);
	ck_assert_int_eq(r.rc, COLLECT_NODATA);
	free(r.text);
	fixture_rm(dir);
}
END_TEST

/* ---- thermal_zone ---- */

START_TEST(test_thermal_fixture)
{
	struct run_result r = run_sys(&collector_thermal_zone, SYS, NULL);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	expect_line(&r, "node_thermal_zone_temp{type=\"cpu-thermal\",zone=\"0\"} 12.376");
	expect_line(&r, "node_cooling_device_cur_state{name=\"0\",type=\"Processor\"} 0");
	expect_line(&r, "node_cooling_device_max_state{name=\"0\",type=\"Processor\"} 3");
	free(r.text);
}
END_TEST

START_TEST(test_thermal_broken)
{
	/* No thermal class: nothing to report, success (upstream globs). */
	struct run_result r = run_sys(&collector_thermal_zone, "/nonexistent", NULL);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	ck_assert_str_eq(r.text, "");
	free(r.text);

	char *dir = fixture_dir();
	fixture_puts(dir, "class/thermal/thermal_zone1/temp", "-2500\n");
	fixture_puts(dir, "class/thermal/thermal_zone2/temp", "warm\n");
	fixture_puts(dir, "class/thermal/thermal_zone2/type", "x\n");
	fixture_puts(dir, "class/thermal/thermal_zoneX/temp", "1\n");
	fixture_puts(dir, "class/thermal/cooling_device3/type", "intel_powerclamp\n");
	fixture_puts(dir, "class/thermal/cooling_device3/max_state", "50\n");
	fixture_puts(dir, "class/thermal/cooling_device3/cur_state", "-1\n");
	fixture_puts(dir, "class/thermal/cooling_device4/type", "Fan\n"); /* no states: skipped */
	r = run_sys(&collector_thermal_zone, dir, NULL);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	/* no type file: empty type */
	expect_line(&r, "node_thermal_zone_temp{type=\"\",zone=\"1\"} -2.5");
	/* an unreadable temperature is left out rather than reported as 0 */
	expect_no(&r, "zone=\"2\"");
	expect_no(&r, "zoneX");
	expect_line(&r, "node_cooling_device_cur_state{name=\"3\",type=\"intel_powerclamp\"} -1");
	expect_no(&r, "name=\"4\"");
	free(r.text);

	fixture_puts(dir, "class/thermal/cooling_device4/max_state", "many\n");
	fixture_puts(dir, "class/thermal/cooling_device4/cur_state", "1\n");
	r = run_sys(&collector_thermal_zone, dir, NULL);
	ck_assert_int_eq(r.rc, COLLECT_ERROR);
	/* zones are reported before the cooling devices fail, as upstream */
	expect_line(&r, "node_thermal_zone_temp{type=\"\",zone=\"1\"} -2.5");
	expect_no(&r, "node_cooling_device");
	free(r.text);
	fixture_rm(dir);
}
END_TEST

/* ---- watchdog ---- */

START_TEST(test_watchdog_fixture)
{
	struct run_result r = run_sys(&collector_watchdog, SYS, NULL);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	expect_line(&r, "node_watchdog_info{identity=\"Software Watchdog\",name=\"watchdog0\",options=\"0x8380\","
			"pretimeout_governor=\"noop\",state=\"active\",status=\"0x8000\"} 1");
	expect_line(&r, "node_watchdog_timeleft_seconds{name=\"watchdog0\"} 300");
	expect_line(&r, "node_watchdog_timeout_seconds{name=\"watchdog0\"} 60");
	expect_line(&r, "node_watchdog_pretimeout_seconds{name=\"watchdog0\"} 120");
	expect_line(&r, "node_watchdog_bootstatus{name=\"watchdog0\"} 1");
	/* watchdog1 has no attributes: only its info series */
	expect_line(&r, "node_watchdog_info{identity=\"\",name=\"watchdog1\",options=\"\",pretimeout_governor=\"\","
			"state=\"\",status=\"\"} 1");
	expect_no(&r, "node_watchdog_timeout_seconds{name=\"watchdog1\"}");
	free(r.text);
}
END_TEST

START_TEST(test_watchdog_broken)
{
	struct run_result r = run_sys(&collector_watchdog, "/nonexistent", NULL);
	ck_assert_int_eq(r.rc, COLLECT_NODATA);
	free(r.text);

	char *dir = fixture_dir();
	fixture_puts(dir, "class/watchdog/watchdog0/timeout", "0x3c\n");
	fixture_puts(dir, "class/watchdog/watchdog0/bootstatus", "-1\n");
	r = run_sys(&collector_watchdog, dir, NULL);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	expect_line(&r, "node_watchdog_timeout_seconds{name=\"watchdog0\"} 60");
	expect_line(&r, "node_watchdog_bootstatus{name=\"watchdog0\"} -1");
	free(r.text);

	fixture_puts(dir, "class/watchdog/watchdog1/timeleft", "soon\n");
	r = run_sys(&collector_watchdog, dir, NULL);
	ck_assert_int_eq(r.rc, COLLECT_ERROR);
	expect_no(&r, "node_watchdog");
	free(r.text);
	fixture_rm(dir);
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("node_sysfs2");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_infiniband_fixture);
	tcase_add_test(tc, test_infiniband_broken);
	tcase_add_test(tc, test_netclass_fixture);
	tcase_add_test(tc, test_netclass_broken);
	tcase_add_test(tc, test_nvme_fixture);
	tcase_add_test(tc, test_nvme_broken);
	tcase_add_test(tc, test_powersupply_fixture);
	tcase_add_test(tc, test_powersupply_broken);
	tcase_add_test(tc, test_rapl_fixture);
	tcase_add_test(tc, test_rapl_broken);
	tcase_add_test(tc, test_tapestats_fixture);
	tcase_add_test(tc, test_tapestats_broken);
	tcase_add_test(tc, test_thermal_fixture);
	tcase_add_test(tc, test_thermal_broken);
	tcase_add_test(tc, test_watchdog_fixture);
	tcase_add_test(tc, test_watchdog_broken);
	suite_add_tcase(s, tc);
	return s;
}
