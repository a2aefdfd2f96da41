// links: node_exporter
/*
 * libFuzzer target for node_exporter's readers of procfs and sysfs files:
 * the first byte picks one file of the table below (a /proc file type or
 * a sysfs attribute, and the collector that reads it), the rest becomes
 * that file's content in a copy of the fixture tree (tests/fixtures/node,
 * copied once per process under /tmp), and the collector scrapes the tree
 * as it would the host's, then the file gets its fixture content back.
 * Checked: collect() returns a COLLECT_* code, an error says why, and what
 * it collected renders. Built and run by `make fuzz`; check_node_files_corpus
 * replays its corpus (each file of the table with its fixture content, and
 * broken variants) in every pass.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../common/buf.h"
#include "../../common/expo.h"
#include "../../common/fsread.h"
#include "../../common/hostfs.h"
#include "../../common/log.h"
#include "../unit/session.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NO_NETLINK(c) ((const char *const[]){ "--collector." c ".netlink=false", NULL })

static const struct node_file {
	const char *collector;
	const char *path; /* under the tree's root */
	const char *const *argv; /* the collector's flags, or NULL */
} node_files[] = {
	{ "stat", "proc/stat" },
	{ "cpu", "proc/stat" },
	{ "cpu", "proc/cpuinfo", ((const char *const[]){ "--collector.cpu.info", NULL }) },
	{ "meminfo", "proc/meminfo" },
	{ "diskstats", "proc/diskstats" },
	{ "netdev", "proc/net/dev", NO_NETLINK("netdev") },
	{ "netstat", "proc/net/netstat" },
	{ "netstat", "proc/net/snmp" },
	{ "netstat", "proc/net/snmp6" },
	{ "vmstat", "proc/vmstat" },
	{ "loadavg", "proc/loadavg" },
	{ "filesystem", "proc/1/mountinfo" },
	{ "mountstats", "proc/10/mountinfo" },
	{ "mountstats", "proc/10/mountstats" },
	{ "buddyinfo", "proc/buddyinfo" },
	{ "cgroups", "proc/cgroups" },
	{ "conntrack", "proc/net/stat/nf_conntrack" },
	{ "conntrack", "proc/sys/net/netfilter/nf_conntrack_count" },
	{ "drbd", "proc/drbd" },
	{ "entropy", "proc/sys/kernel/random/entropy_avail" },
	{ "filefd", "proc/sys/fs/file-nr" },
	{ "interrupts", "proc/interrupts" },
	{ "ipvs", "proc/net/ip_vs_stats" },
	{ "ipvs", "proc/net/ip_vs" },
	{ "kernel_hung", "proc/sys/kernel/hung_task_detect_count" },
	{ "lnstat", "proc/net/stat/arp_cache" },
	{ "mdadm", "proc/mdstat" },
	{ "nfs", "proc/net/rpc/nfs" },
	{ "nfsd", "proc/net/rpc/nfsd" },
	{ "pressure", "proc/pressure/cpu" },
	{ "pressure", "proc/pressure/memory" },
	{ "processes", "proc/1/stat" },
	{ "schedstat", "proc/schedstat" },
	{ "slabinfo", "proc/slabinfo" },
	{ "sockstat", "proc/net/sockstat" },
	{ "sockstat", "proc/net/sockstat6" },
	{ "softirqs", "proc/softirqs" },
	{ "softnet", "proc/net/softnet_stat" },
	{ "swap", "proc/swaps" },
	{ "udp_queues", "proc/net/udp" },
	{ "xfrm", "proc/net/xfrm_stat" },
	{ "zfs", "proc/spl/kstat/zfs/arcstats" },
	{ "zfs", "proc/spl/kstat/zfs/pool1/io" },
	{ "zfs", "proc/spl/kstat/zfs/pool1/objset-1" },
	{ "zfs", "proc/spl/kstat/zfs/pool1/state" },
	{ "zoneinfo", "proc/zoneinfo" },
	{ "arp", "proc/net/arp", NO_NETLINK("arp") },
	{ "sysctl", "proc/sys/kernel/threads-max",
	  ((const char *const[]){ "--collector.sysctl.include=kernel.threads-max", NULL }) },
	/* sysfs: single values, lists and keyed files */
	{ "cpu", "sys/devices/system/cpu/isolated" },
	{ "cpu", "sys/devices/system/cpu/online" },
	{ "cpufreq", "sys/devices/system/cpu/cpu0/cpufreq/scaling_cur_freq" },
	{ "thermal_zone", "sys/class/thermal/thermal_zone0/temp" },
	{ "hwmon", "sys/class/hwmon/hwmon0/temp1_input" },
	{ "powersupplyclass", "sys/class/power_supply/BAT0/uevent" },
	{ "powersupplyclass", "sys/class/power_supply/BAT0/capacity" },
	{ "netclass", "sys/class/net/eth0/speed" },
	{ "netclass", "sys/class/net/eth0/mtu" },
	{ "bonding", "sys/class/net/bond0/bonding/slaves" },
	{ "edac", "sys/devices/system/edac/mc/mc0/ce_count" },
	{ "meminfo_numa", "sys/devices/system/node/node0/meminfo" },
	{ "meminfo_numa", "sys/devices/system/node/node0/numastat" },
	{ "xfs", "sys/fs/xfs/sda1/stats/stats" },
	{ "nvme", "sys/class/nvme/nvme0/state" },
	{ "infiniband", "sys/class/infiniband/mlx4_0/ports/1/counters/port_rcv_data" },
	{ "rapl", "sys/class/powercap/intel-rapl:0/energy_uj" },
	{ "watchdog", "sys/class/watchdog/watchdog0/timeout" },
	{ "time", "sys/devices/system/clocksource/clocksource0/available_clocksource" },
	{ "ksmd", "sys/kernel/mm/ksm/pages_shared" },
	{ "dmi", "sys/class/dmi/id/bios_vendor" },
	{ "fibrechannel", "sys/class/fc_host/host0/speed" },
	{ "tapestats", "sys/class/scsi_tape/st0/stats/read_cnt" },
	{ "btrfs", "sys/fs/btrfs/0abb23a9-579b-43e6-ad30-227ef47fcb9d/allocation/data/bytes_used" },
	{ "mdadm", "sys/block/md0/md/array_state" },
	{ "bcache", "sys/fs/bcache/deaddd54-c735-46d5-868e-f331c5fd7c74/stats_total/cache_hits" },
	{ "pcidevice", "sys/devices/pci0000:00/0000:00:02.1/current_link_speed" },
};
#define NFILES (sizeof node_files / sizeof node_files[0])

static char tree[64]; /* the copy of the fixture tree */
static struct buf original[NFILES];

static void remove_tree(void)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tree);
	if (system(cmd) != 0)
		fprintf(stderr, "node_files: could not remove %s\n", tree);
}

static int write_file(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = len ? write(fd, data, len) : 0;
	close(fd);
	return n == (ssize_t)len ? 0 : -1;
}

/* Copy the fixture tree and keep each table file's content; aborts if it cannot. */
static void setup(void)
{
	snprintf(tree, sizeof tree, "/tmp/fuzz_node_files.XXXXXX");
	char cmd[256];
	if (!mkdtemp(tree))
		abort();
	atexit(remove_tree);
	snprintf(cmd, sizeof cmd, "cp -a tests/fixtures/node/. '%s'", tree);
	if (system(cmd) != 0)
		abort();
	for (size_t i = 0; i < NFILES; i++) {
		char path[512];
		snprintf(path, sizeof path, "%s/%s", tree, node_files[i].path);
		buf_init(&original[i], 16u << 20);
		if (read_whole(path, &original[i]) < 0) {
			fprintf(stderr, "node_files: no fixture %s\n", path);
			abort();
		}
	}
	static char procfs[96], sysfs[96];
	snprintf(procfs, sizeof procfs, "%s/proc", tree);
	snprintf(sysfs, sizeof sysfs, "%s/sys", tree);
	path_procfs = procfs;
	path_sysfs = sysfs;
	path_rootfs = tree;
	path_udev_data = "tests/fixtures/node/udev/data";
	log_setup("error", "logfmt"); /* not the collectors' start-up lines at every input */
}

static const struct collector_def *find_collector(const char *name)
{
	for (size_t i = 0; i < exporter_ncollectors; i++)
		if (!strcmp(exporter_collectors[i]->name, name))
			return exporter_collectors[i];
	abort(); /* the table names a collector that does not exist */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!tree[0])
		setup();
	if (size == 0)
		return 0;
	size_t which = data[0] % NFILES;
	const struct node_file *nf = &node_files[which];
	char path[512];
	snprintf(path, sizeof path, "%s/%s", tree, nf->path);
	if (write_file(path, data + 1, size - 1) < 0)
		abort();

	struct test_session ss;
	test_session_start(&ss, find_collector(nf->collector), nf->argv);
	if (ss.init_rc == 0) {
		for (int scrape = 0; scrape < 2; scrape++) { /* the second with kept state */
			int rc;
			struct expo *e = test_session_collect(&ss, &rc, NULL);
			if (rc != COLLECT_OK && rc != COLLECT_NODATA && rc != COLLECT_ERROR)
				abort();
			if (rc == COLLECT_ERROR && !ss.err[0])
				abort(); /* an error says why */
			struct buf out;
			buf_init(&out, 256u << 20);
			if (expo_render(e, EXPO_TEXT, &out) < 0)
				abort();
			buf_free(&out);
			expo_free(e);
		}
	}
	test_session_end(&ss);

	if (write_file(path, original[which].data, original[which].len) < 0)
		abort();
	return 0;
}
