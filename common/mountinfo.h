/*
 * /proc/<pid>/mountinfo for the filesystem and btrfs collectors: read the
 * mount table of PID 1 (the host's view when running in a container with
 * the host's PID namespace), fall back to our own when hidepid hides PID 1,
 * and cut its lines into fields in place.
 */
#ifndef COMMON_MOUNTINFO_H
#define COMMON_MOUNTINFO_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "exporter.h"

/* One mount, pointing into the text given to mountinfo_next(). */
struct mountinfo_entry {
	const char *root; /* path inside the filesystem that is mounted (escaped) */
	char *mountpoint; /* octal escapes decoded (\040 space, \011 tab, ...) */
	const char *options; /* per-mount options, comma separated */
	const char *fstype;
	const char *source; /* device, as the kernel escaped it (upstream keeps it so) */
	const char *super_options; /* superblock options, comma separated */
	unsigned major, minor;
};

/*
 * Read <procfs>/1/mountinfo into b, or <procfs>/self/mountinfo when the
 * first does not exist. The path read is left in path (for messages).
 * Returns 0 or -errno.
 */
int mountinfo_read(struct scrape *s, struct buf *b, char *path, size_t pathcap);

/*
 * Parse the next line at *cursor in place (NUL bytes are written into the
 * text). Returns 1 with *m filled, 0 when the text is exhausted, or -1 for a
 * malformed line (fewer than 10 fields, no "-" separator, bad IDs or
 * major:minor), as procfs rejects the whole table then; *cursor has moved
 * past the line in every case.
 */
int mountinfo_next(char **cursor, struct mountinfo_entry *m);

/* Decode the kernel's \ooo octal escapes in s, in place. */
void mountinfo_unescape(char *s);

/* True if the comma-separated list opts holds exactly opt ("ro" but not "ro=x"). */
bool mount_option(const char *opts, const char *opt);

/*
 * The value of "key=value" in the comma-separated list opts, copied into
 * dst, as procfs' option map has it: the last occurrence of key wins and the
 * value ends at a further '='. Returns true if key is there (a key without
 * '=' has the value ""), false otherwise (dst is then "").
 */
bool mount_option_value(const char *opts, const char *key, char *dst, size_t cap);

#endif
