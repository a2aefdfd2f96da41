/*
 * The udev database (--path.udev.data, /run/udev/data): one file per device,
 * "b<major>:<minor>" for block devices, whose "E:KEY=VALUE" lines are the
 * device's properties (ID_MODEL, ID_SERIAL, DM_NAME, ...).
 */
#ifndef COMMON_UDEV_H
#define COMMON_UDEV_H

#include <stddef.h>

#include "buf.h"

struct udev_prop {
	const char *key;
	const char *value;
};

/* Properties kept per device; a device file with more is cut off there. */
#define UDEV_MAX_PROPS 256

/*
 * Read the database entry of block device major:minor into b (no descriptor
 * cache: udev replaces these files by rename) and point props at its E:
 * properties, parsed in place. Returns the number of properties, or -errno
 * (-ENOENT when udev knows nothing of the device).
 */
int udev_block_props(unsigned major, unsigned minor, struct buf *b, struct udev_prop *props,
		     size_t max);

/* Same, for text already in memory (modified in place). */
size_t udev_parse(char *text, struct udev_prop *props, size_t max);

/* The value of key (the last one if repeated), or NULL. */
const char *udev_get(const struct udev_prop *props, size_t n, const char *key);

#endif
