/* node_exporter: host metrics from procfs and sysfs. */
#include "../common/exporter.h"
#include "../common/hostfs.h"
#include "options.h"

static struct flag node_flags[] = {
	PATH_FLAG_PROCFS,
	PATH_FLAG_SYSFS,
	PATH_FLAG_ROOTFS("Where the host's root filesystem is mounted (for os-release and filesystem sizes; mount points are reported without this prefix)."),
	PATH_FLAG_UDEV_DATA,
	NODE_FLAG_GOMAXPROCS,
};

static struct exporter node_exporter = {
	.name = "node_exporter", .title = "Node Exporter", .prefix = "node",
	.default_listen = ":9100",
	.offers_disable_exporter_metrics = true,
	.flags = node_flags, .nflags = sizeof node_flags / sizeof node_flags[0],
	.setup = node_setup,
};

int main(int argc, char **argv)
{
	return exporter_main(&node_exporter, argc, argv);
}
