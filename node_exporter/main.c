/* node_exporter: host metrics from procfs and sysfs. */
#include "node.h"

static struct flag path_flags[] = {
	{ .name = "path.procfs", .type = FLAG_STRING, .dest = &node_procfs, .def = "/proc",
	  .help = "Where procfs is mounted." },
	{ .name = "path.sysfs", .type = FLAG_STRING, .dest = &node_sysfs, .def = "/sys",
	  .help = "Where sysfs is mounted." },
	{ .name = "path.rootfs", .type = FLAG_STRING, .dest = &node_rootfs, .def = "/",
	  .help = "Where the host's root filesystem is mounted (for os-release and filesystem sizes; mount points are reported without this prefix)." },
	{ .name = "path.udev.data", .type = FLAG_STRING, .dest = &node_udev_data,
	  .def = "/run/udev/data", .help = "Directory of the udev database (disk information)." },
};

static struct exporter node_exporter = {
	.name = "node_exporter", .title = "Node Exporter", .prefix = "node",
	.default_listen = ":9100",
	.offers_disable_exporter_metrics = true,
	.flags = path_flags, .nflags = sizeof path_flags / sizeof path_flags[0],
};

int main(int argc, char **argv)
{
	return exporter_main(&node_exporter, argc, argv);
}
