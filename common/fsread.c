#define _GNU_SOURCE
#include "fsread.h"
#include "parse.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Beyond this many open descriptors a cache stops adding entries. */
#define FDCACHE_MAX 4096

struct fdentry {
	char *path; /* NULL: empty slot */
	int fd;
	unsigned gen;
};

struct fdcache {
	struct fdentry *slots;
	size_t size, used;
	unsigned gen;
};

struct fdcache *fdcache_new(void)
{
	struct fdcache *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->size = 64;
	c->slots = calloc(c->size, sizeof *c->slots);
	if (!c->slots) {
		free(c);
		return NULL;
	}
	c->gen = 1;
	return c;
}

void fdcache_free(struct fdcache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->size; i++) {
		if (c->slots[i].path) {
			close(c->slots[i].fd);
			free(c->slots[i].path);
		}
	}
	free(c->slots);
	free(c);
}

size_t fdcache_size(const struct fdcache *c)
{
	return c ? c->used : 0;
}

static size_t hash_path(const char *s)
{
	size_t h = 14695981039346656037ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static struct fdentry *lookup(struct fdcache *c, const char *path)
{
	size_t mask = c->size - 1;
	for (size_t i = hash_path(path) & mask;; i = (i + 1) & mask) {
		struct fdentry *e = &c->slots[i];
		if (!e->path || strcmp(e->path, path) == 0)
			return e;
	}
}

static int rehash(struct fdcache *c, size_t size)
{
	struct fdentry *old = c->slots;
	size_t old_size = c->size;
	struct fdentry *slots = calloc(size, sizeof *slots);
	if (!slots)
		return -ENOMEM;
	c->slots = slots;
	c->size = size;
	for (size_t i = 0; i < old_size; i++)
		if (old[i].path)
			*lookup(c, old[i].path) = old[i];
	free(old);
	return 0;
}

static int open_ro(const char *path, int flags)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | flags);
	return fd < 0 ? -errno : fd;
}

/*
 * A descriptor for path, from the cache when possible. *cached tells
 * whether the caller must close it.
 */
static int get_fd_flags(struct fdcache *c, const char *path, int flags, bool *cached)
{
	*cached = false;
	if (!c)
		return open_ro(path, flags);
	struct fdentry *e = lookup(c, path);
	if (e->path) {
		e->gen = c->gen;
		*cached = true;
		return e->fd;
	}
	int fd = open_ro(path, flags);
	if (fd < 0 || c->used >= FDCACHE_MAX)
		return fd;
	if ((c->used + 1) * 2 > c->size) {
		if (rehash(c, c->size * 2) < 0)
			return fd;
		e = lookup(c, path);
	}
	e->path = strdup(path);
	if (!e->path)
		return fd;
	e->fd = fd;
	e->gen = c->gen;
	c->used++;
	*cached = true;
	return fd;
}

static int get_fd(struct fdcache *c, const char *path, bool *cached)
{
	return get_fd_flags(c, path, 0, cached);
}

/* Drop path from the cache (after a read error) and close its descriptor. */
static void forget(struct fdcache *c, const char *path)
{
	struct fdentry *e = lookup(c, path);
	if (!e->path)
		return;
	close(e->fd);
	free(e->path);
	e->path = NULL;
	c->used--;
	/* Re-insert the rest of the cluster so lookups still find them. */
	size_t mask = c->size - 1;
	for (size_t i = ((size_t)(e - c->slots) + 1) & mask; c->slots[i].path; i = (i + 1) & mask) {
		struct fdentry moved = c->slots[i];
		c->slots[i].path = NULL;
		*lookup(c, moved.path) = moved;
	}
}

void fdcache_sweep(struct fdcache *c)
{
	if (!c)
		return;
	bool removed = false;
	/* Collectors of a remote server keep none: nothing to look through. */
	for (size_t i = 0; i < c->size && c->used; i++) {
		struct fdentry *e = &c->slots[i];
		if (e->path && e->gen != c->gen) {
			close(e->fd);
			free(e->path);
			e->path = NULL;
			c->used--;
			removed = true;
		}
	}
	if (removed)
		rehash(c, c->size); /* on ENOMEM the old table stays valid */
	c->gen++;
}

/*
 * Errors meaning the descriptor no longer refers to the file at its path
 * (the device went away, perhaps to come back under the same name): worth
 * one reopen. Other errors (EINVAL from the speed of a link that is down,
 * EOPNOTSUPP, EIO) come back on every read of that attribute and keep the
 * descriptor, or every scrape would pay for an open and a close.
 */
static bool stale_descriptor(int err)
{
	return err == ENODEV || err == ENXIO || err == ESTALE || err == EBADF || err == ENOENT;
}

static ssize_t pread_all(int fd, struct buf *out)
{
	buf_reset(out);
	for (;;) {
		if (out->cap - out->len < 4097) {
			size_t want = out->cap ? out->cap : 4096;
			if (want > out->max - out->len)
				want = out->max - out->len;
			if (want == 0) {
				/* Full: a zero-length tail read tells whether more exists. */
				char probe;
				ssize_t r = pread(fd, &probe, 1, (off_t)out->len);
				if (r < 0)
					return -errno;
				return r == 0 ? 0 : -ENOSPC;
			}
			int rc = buf_reserve(out, want);
			if (rc)
				return rc;
		}
		size_t room = out->cap - out->len - 1;
		ssize_t r = pread(fd, out->data + out->len, room, (off_t)out->len);
		if (r < 0 && errno == ESPIPE) /* a pipe: read it once, in order */
			r = read(fd, out->data + out->len, room);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0)
			break;
		out->len += (size_t)r;
	}
	out->data[out->len] = '\0';
	return 0;
}

int fdcache_read(struct fdcache *c, const char *path, struct buf *out)
{
	for (int attempt = 0;; attempt++) {
		bool cached;
		int fd = get_fd(c, path, &cached);
		if (fd < 0)
			return fd;
		ssize_t rc = pread_all(fd, out);
		if (!cached)
			close(fd);
		if (rc < 0 && cached && attempt == 0 && stale_descriptor((int)-rc)) {
			forget(c, path);
			continue;
		}
		return (int)rc;
	}
}

ssize_t fdcache_read_small(struct fdcache *c, const char *path, char *dst, size_t cap)
{
	for (int attempt = 0;; attempt++) {
		bool cached;
		int fd = get_fd(c, path, &cached);
		if (fd < 0)
			return fd;
		ssize_t r;
		do {
			r = pread(fd, dst, cap, 0);
			if (r < 0 && errno == ESPIPE) /* a pipe */
				r = read(fd, dst, cap);
		} while (r < 0 && errno == EINTR);
		int err = r < 0 ? errno : 0;
		if (!cached)
			close(fd);
		if (r < 0) {
			if (cached && attempt == 0 && stale_descriptor(err)) {
				forget(c, path);
				continue;
			}
			return -err;
		}
		if ((size_t)r >= cap)
			return -EFBIG;
		while (r > 0 && (dst[r - 1] == '\n' || dst[r - 1] == ' ' || dst[r - 1] == '\t' ||
				 dst[r - 1] == '\r'))
			r--;
		dst[r] = '\0';
		return r;
	}
}

int read_whole(const char *path, struct buf *out)
{
	return fdcache_read(NULL, path, out);
}

ssize_t read_small(const char *path, char *dst, size_t cap)
{
	return fdcache_read_small(NULL, path, dst, cap);
}

int pathf(char *dst, size_t cap, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vstrf(dst, cap, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= cap)
		return -ENAMETOOLONG;
	return 0;
}

struct name_ref {
	size_t off;
	unsigned char type;
};

static int cmp_refs(const void *a, const void *b, void *blob)
{
	return strcmp((const char *)blob + ((const struct name_ref *)a)->off,
		      (const char *)blob + ((const struct name_ref *)b)->off);
}

/*
 * Read every entry of the directory open at fd from its start and build the
 * sorted listing in one allocation: the pointer array, the types, then the
 * names.
 */
static int list_fd(int fd, struct dirlist *dl)
{
	char chunk[16384];
	struct buf names;
	buf_init(&names, 64u << 20);
	struct name_ref *refs = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;
	if (lseek(fd, 0, SEEK_SET) < 0)
		return -errno;
	for (;;) {
		long got = syscall(SYS_getdents64, fd, chunk, sizeof chunk);
		if (got < 0) {
			rc = -errno;
			break;
		}
		if (got == 0)
			break;
		for (long pos = 0; pos < got;) {
			struct linux_dirent64 *de = (struct linux_dirent64 *)(void *)(chunk + pos);
			pos += de->d_reclen;
			const char *name = de->d_name;
			if (name[0] == '.' && (!name[1] || (name[1] == '.' && !name[2])))
				continue;
			if (n == cap) {
				cap = cap ? cap * 2 : 32;
				struct name_ref *r = realloc(refs, cap * sizeof *r);
				if (!r) {
					rc = -ENOMEM;
					goto out;
				}
				refs = r;
			}
			refs[n].off = names.len;
			refs[n].type = de->d_type;
			if ((rc = buf_append(&names, name, strlen(name) + 1)) < 0)
				goto out;
			n++;
		}
	}
	if (rc)
		goto out;
	if (n > 1)
		qsort_r(refs, n, sizeof *refs, cmp_refs, names.data);
	size_t ptrs = n * sizeof(char *);
	char *block = malloc(ptrs + n + names.len + 1);
	if (!block) {
		rc = -ENOMEM;
		goto out;
	}
	dl->n = n;
	dl->names = (char **)(void *)block;
	dl->types = (unsigned char *)block + ptrs;
	char *strings = block + ptrs + n;
	if (names.len)
		memcpy(strings, names.data, names.len);
	for (size_t i = 0; i < n; i++) {
		dl->names[i] = strings + refs[i].off;
		dl->types[i] = refs[i].type;
	}
out:
	free(refs);
	buf_free(&names);
	return rc;
}

int fdcache_dirlist(struct fdcache *c, const char *path, struct dirlist *dl)
{
	dl->n = 0;
	dl->names = NULL;
	dl->types = NULL;
	for (int attempt = 0;; attempt++) {
		bool cached = false;
		int fd;
		if (c) {
			fd = get_fd_flags(c, path, O_DIRECTORY, &cached);
		} else {
			fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (fd < 0)
				fd = -errno;
		}
		if (fd < 0)
			return fd;
		int rc = list_fd(fd, dl);
		if (!cached)
			close(fd);
		if (rc < 0 && cached && attempt == 0 && stale_descriptor(-rc)) {
			forget(c, path);
			continue;
		}
		return rc;
	}
}

int dirlist_read(const char *path, struct dirlist *dl)
{
	return fdcache_dirlist(NULL, path, dl);
}

void dirlist_free(struct dirlist *dl)
{
	free(dl->names);
	dl->names = NULL;
	dl->types = NULL;
	dl->n = 0;
}
