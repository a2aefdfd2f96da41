/*
 * Reading procfs/sysfs files cheaply.
 *
 * An fdcache keeps files open between scrapes and re-reads them with
 * pread(fd, ..., 0): the kernel regenerates procfs/sysfs content on every
 * read at offset 0, and this costs a fraction of open/read/close. Entries not
 * used during a scrape are closed by fdcache_sweep(), so devices that go
 * away release their descriptors; a read error on a cached descriptor
 * (device removed and re-added) reopens the path once.
 *
 * Do not use the cache for files that are replaced by rename (textfiles):
 * the descriptor would keep the old inode.
 *
 * An fdcache is not thread-safe; the collector framework gives each
 * collector its own and never runs a collector concurrently with itself.
 */
#ifndef COMMON_FSREAD_H
#define COMMON_FSREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "buf.h"

struct fdcache;

struct fdcache *fdcache_new(void);
void fdcache_free(struct fdcache *c);

/*
 * Read the whole file into out (its previous content is replaced); the
 * content is NUL-terminated. c may be NULL (plain open/read/close).
 * Returns 0 or -errno (-ENOSPC if the file is larger than out's cap).
 */
int fdcache_read(struct fdcache *c, const char *path, struct buf *out) WUR;

/*
 * Read a small file (a sysfs attribute) into dst, NUL-terminated, with
 * trailing whitespace removed. Returns the length, or -errno (-EFBIG if it
 * does not fit in cap-1 bytes).
 */
ssize_t fdcache_read_small(struct fdcache *c, const char *path, char *dst, size_t cap);

/* Close the descriptors not read since the previous sweep. */
void fdcache_sweep(struct fdcache *c);

/* Number of descriptors currently held (for tests). */
size_t fdcache_size(const struct fdcache *c);

/* Without a cache. */
int read_whole(const char *path, struct buf *out) WUR;
ssize_t read_small(const char *path, char *dst, size_t cap);

/*
 * snprintf into a path buffer; returns 0, or -ENAMETOOLONG if it did not
 * fit (dst then holds a truncated string that must not be used).
 */
int pathf(char *dst, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/*
 * Sorted names of a directory's entries, without "." and "..", with their
 * d_type (DT_REG, DT_DIR, DT_LNK, ... or DT_UNKNOWN). One allocation.
 */
struct dirlist {
	size_t n;
	char **names;
	unsigned char *types;
};

/*
 * List a directory through the cache: the directory stays open between
 * scrapes and is re-read from its start (a third of the cost of
 * opendir/readdir/closedir on sysfs). c may be NULL. Returns 0 or -errno;
 * on success free with dirlist_free().
 */
int fdcache_dirlist(struct fdcache *c, const char *path, struct dirlist *dl);

/* Without a cache. */
int dirlist_read(const char *path, struct dirlist *dl);

/* A getdents64(2) record; glibc does not declare the structure. */
struct linux_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};
void dirlist_free(struct dirlist *dl);

#endif
