/*
 * node_exporter's names for the Linux layer's path roots (common/hostfs.h):
 * main.c declares the --path.* flags with them.
 */
#ifndef NODE_NODE_H
#define NODE_NODE_H

#include "../common/hostfs.h"

#define node_procfs path_procfs
#define node_sysfs path_sysfs
#define node_rootfs path_rootfs
#define node_udev_data path_udev_data

#endif
