/*
 * Reading sysfs class directories the way node_exporter's collectors (and
 * the prometheus/procfs library under them) do: attribute files read once,
 * at most 128 bytes, trimmed; directories listed sorted with entry types;
 * Go's integer syntax for values; the errno sets upstream treats as
 * "attribute not there".
 *
 * All reads go through the scrape's descriptor cache (scrape_read_small),
 * so a scrape costs one pread per attribute once the files are open.
 */
#ifndef COMMON_SYSFS_H
#define COMMON_SYSFS_H

#include <dirent.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "exporter.h"
#include "fsread.h"

/* procfs's SysReadFile reads at most this many bytes of an attribute. */
#define SYSFS_ATTR_MAX 128
/* Size of a buffer that holds any attribute value read by sysfs_attr(). */
#define SYSFS_VAL 136

/*
 * Read an attribute as upstream's SysReadFile: the first 128 bytes, with
 * whitespace trimmed at both ends, into dst (cap >= SYSFS_VAL). s may be
 * NULL (at start-up): the file is then read without the descriptor cache.
 * Returns the length, or -errno.
 */
ssize_t sysfs_attr(struct scrape *s, const char *path, char *dst, size_t cap);

/*
 * The first 128 bytes of path, NUL-terminated, untrimmed (except for the
 * trailing whitespace of a file shorter than 4 KiB). cap >= SYSFS_VAL.
 * Returns the length, or -errno.
 */
ssize_t sysfs_head(struct scrape *s, const char *path, char *dst, size_t cap);

/* sysfs_attr() of "<dir>/<name>". */
ssize_t sysfs_attr_at(struct scrape *s, const char *dir, const char *name, char *dst, size_t cap);

/*
 * Read a whole small file (os.ReadFile) into dst with trailing whitespace
 * removed; leading whitespace is removed too when trim_lead is set.
 * Returns the length, or -errno (-EFBIG if it does not fit in cap-1 bytes).
 */
ssize_t sysfs_file(struct scrape *s, const char *path, char *dst, size_t cap, bool trim_lead);

/*
 * A decimal counter file as procfs' ReadUintFromFile reads it: the whole file
 * (at most 255 bytes), whitespace trimmed. Returns 0, -errno, or -EBADMSG
 * when the text is not a number.
 */
int sysfs_read_uint(struct scrape *s, const char *path, uint64_t *v);

/*
 * The error classes of upstream's checks: ENOENT (os.IsNotExist),
 * EACCES/EPERM (os.IsPermission), and procfs's canIgnoreError, which adds
 * EOPNOTSUPP and EINVAL. Arguments are positive or negative errno values.
 */
bool sysfs_enoent(long err);
bool sysfs_eperm(long err);
bool sysfs_ignorable(long err);

/* One entry of a directory listing: its name and lstat type (DT_*). */
struct sysfs_dirent {
	const char *name;
	unsigned char type;
};

/* A directory listing sorted by name (os.ReadDir), "." and ".." left out. */
struct sysfs_dir {
	size_t n;
	struct sysfs_dirent *ents;
	char *names; /* the block holding all names */
};

/*
 * List path into d through the collector's descriptor cache (sorted, with
 * d_type). Returns 0 or -errno; on success free with sysfs_dir_free().
 */
int sysfs_dir_read(struct scrape *s, const char *path, struct sysfs_dir *d);
void sysfs_dir_free(struct sysfs_dir *d);

/*
 * Readers that return the collector result codes, for a collect() with
 * nothing to report when its file or directory is absent: COLLECT_OK,
 * COLLECT_NODATA when path does not exist (ENOENT: the subsystem is not on
 * this host, upstream's ErrNoData), or COLLECT_ERROR with s->err set to
 * "couldn't read <path>: <reason>" (or "couldn't list").
 */

/*
 * The whole file, through the descriptor cache, into the collector's buffer
 * (scrape_buf): *text is NUL-terminated, may be cut up in place and stays
 * valid until the collector's next read.
 */
int collect_read(struct scrape *s, const char *path, char **text);

/* collect_read() of a file that is always there (/proc/stat): its absence is an error too. */
int collect_read_required(struct scrape *s, const char *path, char **text);

/* A directory listing as sysfs_dir_read(); free with sysfs_dir_free() after COLLECT_OK. */
int collect_list(struct scrape *s, const char *path, struct sysfs_dir *d);

/*
 * The same for a directory whose absence means "nothing to report" (where
 * upstream globs its entries and finds none): COLLECT_OK with no entries
 * then. Free with sysfs_dir_free() after COLLECT_OK.
 */
int collect_list_optional(struct scrape *s, const char *path, struct sysfs_dir *d);

/*
 * A single-value file (a sysfs attribute, a cgroup's memory.current):
 * decimal digits, whitespace trimmed. With is_max not NULL, "max" is
 * accepted as well (*v = UINT64_MAX, *is_max = true), as in limit files
 * (memory.max, pids.max); without, it is an error as any other text is.
 */
int collect_read_value(struct scrape *s, const char *path, uint64_t *v, bool *is_max);

/*
 * Append one zeroed element of size elem to the array whose pointer is at
 * arrp (n elements, room for cap), growing it as needed. Returns the new
 * element, or NULL when out of memory (the array is left as it was).
 */
void *sysfs_grow(void *arrp, size_t *n, size_t *cap, size_t elem);

/*
 * The next whitespace-separated field of *cursor (strings.Fields), cut
 * out in place; NULL when there are no more.
 */
char *sysfs_next_field(char **cursor);

/* True if path (symlinks followed) is a directory / exists at all. */
bool sysfs_is_dir(const char *path);
bool sysfs_exists(const char *path);

/*
 * The canonical path of path, symlinks resolved (Go's filepath.EvalSymlinks
 * on an absolute path). Returns 0 or -errno.
 */
int sysfs_realpath(const char *path, char *dst, size_t cap);

/* True if name is prefix followed by a digit: the glob "<prefix>[0-9]*". */
bool sysfs_glob_digit(const char *name, const char *prefix);

/*
 * Go strconv.ParseInt(s, 0, 64) / ParseUint(s, 0, 64): optional sign (int
 * only), 0x/0o/0b prefixes, a leading 0 for octal, underscores between
 * digits. Return 0 or -1.
 */
int sysfs_parse_int(const char *s, int64_t *out);
int sysfs_parse_uint(const char *s, uint64_t *out);

/*
 * node_exporter's SanitizeMetricName: every run of characters other than
 * [0-9A-Za-z_], together with the underscores around it, becomes one "_".
 * Writes a NUL-terminated result into dst (truncated to cap-1 bytes).
 */
void sysfs_sanitize_name(const char *src, char *dst, size_t cap);

#endif
