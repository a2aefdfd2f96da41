#include "hostfs.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include "parse.h"

const char *path_procfs = "/proc";
const char *path_sysfs = "/sys";
const char *path_rootfs = "/";
const char *path_udev_data = "/run/udev/data";

int root_path(char *dst, size_t cap, const char *root, const char *fmt, ...)
{
	size_t n = strlen(root);
	/* "/" + "/x" must not become "//x". */
	while (n > 1 && root[n - 1] == '/')
		n--;
	if (n == 1 && root[0] == '/')
		n = 0;
	if (n + 2 > cap)
		return -ENAMETOOLONG;
	memcpy(dst, root, n);
	dst[n++] = '/';
	va_list ap;
	va_start(ap, fmt);
	int m = vstrf(dst + n, cap - n, fmt, ap);
	va_end(ap);
	if (m < 0 || (size_t)m >= cap - n)
		return -ENAMETOOLONG;
	return 0;
}

int host_path(char *dst, size_t cap, const char *path)
{
	while (*path == '/')
		path++;
	return root_path(dst, cap, path_rootfs, "%s", path);
}

const char *rootfs_strip(const char *path)
{
	size_t n = strlen(path_rootfs);
	while (n > 1 && path_rootfs[n - 1] == '/')
		n--;
	if (n <= 1 || strncmp(path, path_rootfs, n) != 0)
		return path;
	if (path[n] == '\0')
		return "/";
	return path[n] == '/' ? path + n : path;
}
