#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../common/parse.h"
#include "node.h"

const char *node_procfs = "/proc";
const char *node_sysfs = "/sys";
const char *node_rootfs = "/";
const char *node_udev_data = "/run/udev/data";

static int vjoin(char *dst, size_t cap, const char *base, const char *fmt, va_list ap)
{
	size_t n = strlen(base);
	/* "/" + "/x" must not become "//x". */
	while (n > 1 && base[n - 1] == '/')
		n--;
	if (n == 1 && base[0] == '/')
		n = 0;
	if (n + 2 > cap)
		return -ENAMETOOLONG;
	memcpy(dst, base, n);
	dst[n++] = '/';
	int m = vstrf(dst + n, cap - n, fmt, ap);
	if (m < 0 || (size_t)m >= cap - n)
		return -ENAMETOOLONG;
	return 0;
}

int proc_path(char *dst, size_t cap, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = vjoin(dst, cap, node_procfs, fmt, ap);
	va_end(ap);
	return rc;
}

int sys_path(char *dst, size_t cap, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = vjoin(dst, cap, node_sysfs, fmt, ap);
	va_end(ap);
	return rc;
}

int rootfs_path(char *dst, size_t cap, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = vjoin(dst, cap, node_rootfs, fmt, ap);
	va_end(ap);
	return rc;
}

const char *rootfs_strip(const char *path)
{
	size_t n = strlen(node_rootfs);
	while (n > 1 && node_rootfs[n - 1] == '/')
		n--;
	if (n <= 1 || strncmp(path, node_rootfs, n) != 0)
		return path;
	if (path[n] == '\0')
		return "/";
	return path[n] == '/' ? path + n : path;
}
