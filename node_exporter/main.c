/* node_exporter: host metrics from procfs and sysfs. */
#include <stdio.h>

#include "collectors.h"
#include "node.h"

static struct flag path_flags[] = {
	{ "path.procfs", FLAG_STRING, &node_procfs, "/proc", "Where procfs is mounted.", NULL, 0, false },
	{ "path.sysfs", FLAG_STRING, &node_sysfs, "/sys", "Where sysfs is mounted.", NULL, 0, false },
	{ "path.rootfs", FLAG_STRING, &node_rootfs, "/", "Where the host's root filesystem is mounted (for os-release and filesystem sizes; mount points are reported without this prefix).", NULL, 0, false },
	{ "path.udev.data", FLAG_STRING, &node_udev_data, "/run/udev/data", "Directory of the udev database (disk information).", NULL,
	  0, false },
};

int main(int argc, char **argv)
{
	struct exporter x = {
		.name = "node_exporter",
		.title = "Node Exporter",
		.prefix = "node",
		.default_listen = ":9100",
		.collectors = node_collectors,
		.ncollectors = node_ncollectors,
		.build_info = exporter_build_info_std,
		.offers_disable_exporter_metrics = true,
		.flags = path_flags,
		.nflags = sizeof path_flags / sizeof path_flags[0],
	};
	return exporter_main(&x, argc, argv);
}
