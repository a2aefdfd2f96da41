/* What every node_exporter collector shares: the --path.* flags. */
#ifndef NODE_NODE_H
#define NODE_NODE_H

#include <stddef.h>

#include "../common/exporter.h"

/* Set from --path.procfs, --path.sysfs, --path.rootfs, --path.udev.data
 * before any collector's init, read-only afterwards. */
extern const char *node_procfs;
extern const char *node_sysfs;
extern const char *node_rootfs;
extern const char *node_udev_data;

/*
 * Build "<procfs>/<rel>" (or sysfs, rootfs) from a printf format into dst.
 * Returns 0, or -ENAMETOOLONG if it did not fit.
 */
int proc_path(char *dst, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int sys_path(char *dst, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int rootfs_path(char *dst, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/*
 * A mountpoint as a label: with --path.rootfs=/host, "/host/var" is
 * reported as "/var", as upstream's rootfsStripPrefix.
 */
const char *rootfs_strip(const char *path);

#endif
