/*
 * Where the host's filesystems are: the --path.procfs, --path.sysfs,
 * --path.rootfs (and node's --path.udev.data) roots of the Linux exporters,
 * and paths built under them. In a container or a Kubernetes DaemonSet the
 * host's / is mounted somewhere (/host, /rootfs) and these flags say where.
 *
 * An exporter offers the flags by putting the PATH_FLAG_* entries in its
 * flag table; the roots are written only while flags are parsed and are
 * read-only afterwards.
 */
#ifndef COMMON_HOSTFS_H
#define COMMON_HOSTFS_H

#include <stddef.h>

#include "flags.h"

/* The roots, "/proc", "/sys", "/" and "/run/udev/data" unless flags say otherwise. */
extern const char *path_procfs;
extern const char *path_sysfs;
extern const char *path_rootfs;
extern const char *path_udev_data;

/* Flag table entries for the roots, with upstream node_exporter's names and defaults. */
#define PATH_FLAG_PROCFS                                                                 \
	{ .name = "path.procfs", .type = FLAG_STRING, .dest = &path_procfs, .def = "/proc", \
	  .help = "Where procfs is mounted." }
#define PATH_FLAG_SYSFS                                                                \
	{ .name = "path.sysfs", .type = FLAG_STRING, .dest = &path_sysfs, .def = "/sys", \
	  .help = "Where sysfs is mounted." }
#define PATH_FLAG_ROOTFS(help_text)                                                   \
	{ .name = "path.rootfs", .type = FLAG_STRING, .dest = &path_rootfs, .def = "/", \
	  .help = (help_text) }
#define PATH_FLAG_UDEV_DATA                                                                      \
	{ .name = "path.udev.data", .type = FLAG_STRING, .dest = &path_udev_data,                  \
	  .def = "/run/udev/data", .help = "Directory of the udev database (disk information)." }

/*
 * Build "<root>/<rel>" into dst, rel from a strf() format (%s, %d, %u...).
 * Trailing slashes of root are dropped, so "/" and "x" give "/x", not "//x".
 * Returns 0, or -ENAMETOOLONG if it did not fit.
 */
int root_path(char *dst, size_t cap, const char *root, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* root_path() under --path.procfs, --path.sysfs and --path.rootfs. */
#define proc_path(dst, cap, ...) root_path((dst), (cap), path_procfs, __VA_ARGS__)
#define sys_path(dst, cap, ...) root_path((dst), (cap), path_sysfs, __VA_ARGS__)
#define rootfs_path(dst, cap, ...) root_path((dst), (cap), path_rootfs, __VA_ARGS__)

/*
 * A path of the host (absolute, as the host's mount table names it:
 * "/sys/fs/cgroup") under --path.rootfs: "/rootfs/sys/fs/cgroup". Returns
 * 0, or -ENAMETOOLONG.
 */
int host_path(char *dst, size_t cap, const char *path);

/*
 * A host path as a label: with --path.rootfs=/host, "/host/var" is reported
 * as "/var" (upstream's rootfsStripPrefix). Paths outside the root are
 * returned unchanged. The result points into path.
 */
const char *rootfs_strip(const char *path);

#endif
