/* Reading cgroup files through the kept directory descriptors, and what collectors share. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/exporter.h"
#include "../common/hostfs.h"
#include "../common/log.h"
#include "../common/parse.h"
#include "cgparse.h"
#include "container.h"

int cg_hier(const struct scan *sc, const struct cg *cg, enum ctl c)
{
	int h = sc->lay->of[c];
	return h >= 0 && (cg->here & 1u << h) ? h : -1;
}

bool hier_v2(const struct scan *sc, int h)
{
	return h >= 0 && sc->lay->h[h].v2;
}

/* Concatenate n strings into buf; -ENAMETOOLONG if they do not fit. */
static int join(char *buf, size_t cap, const char *const *parts, size_t n)
{
	size_t len = 0;
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(parts[i]);
		if (l >= cap - len)
			return -ENAMETOOLONG;
		memcpy(buf + len, parts[i], l);
		len += l;
	}
	buf[len] = '\0';
	return 0;
}

int cg_at_dir(const struct layout *lay, const struct cg *cg, int h, const char *name, char *buf,
	      size_t cap, const char **rel)
{
	const char *sep = name ? "/" : "", *file = name ? name : "";
	if (cg->fd[h] >= 0) {
		*rel = name ? name : ".";
		return cg->fd[h];
	}
	*rel = buf;
	const struct cg *a = cg->parent;
	while (a && a->fd[h] < 0)
		a = a->parent;
	if (a) {
		size_t skip = a->parent ? strlen(a->path) + 1 : 1;
		const char *parts[] = { cg->path + skip, sep, file };
		return join(buf, cap, parts, 3) < 0 ? -ENAMETOOLONG : a->fd[h];
	}
	const char *parts[] = { lay->h[h].dir, cg->parent ? cg->path : "", sep, file };
	return join(buf, cap, parts, 4) < 0 ? -ENAMETOOLONG : AT_FDCWD;
}

/*
 * The cache entry of (h, name) in cg, created if create (NULL if absent or
 * out of memory). Names are the collectors' string literals: compared by
 * pointer first.
 */
static struct cgfile *file_entry(struct cg *cg, int h, const char *name, bool create)
{
	for (size_t i = 0; i < cg->nfiles; i++) {
		struct cgfile *f = &cg->files[i];
		if (f->h == h && (f->name == name || !strcmp(f->name, name)))
			return f;
	}
	if (!create)
		return NULL;
	if (cg->nfiles == cg->capfiles) {
		size_t cap = cg->capfiles ? cg->capfiles * 2u : 8u;
		struct cgfile *v = realloc(cg->files, cap * sizeof *v);
		if (!v)
			return NULL;
		cg->files = v;
		cg->capfiles = (uint16_t)cap;
	}
	struct cgfile *f = &cg->files[cg->nfiles++];
	*f = (struct cgfile){ .name = name, .h = (int8_t)h, .fd = -1 };
	return f;
}

/*
 * Read the whole file at fd from offset 0 into b. cgroup files are
 * generated on each read from offset 0, and one read returns all that fits
 * (a second read only to learn of the end would make the kernel generate
 * the file again): read once more only when the buffer was filled.
 */
int pread_file(int fd, struct buf *b)
{
	buf_reset(b);
	for (;;) {
		int rc = buf_reserve(b, b->len + 4096 > b->cap ? 4096 : 0);
		if (rc < 0)
			return rc;
		size_t room = b->cap - b->len - 1;
		ssize_t r = pread(fd, b->data + b->len, room, (off_t)b->len);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		b->len += (size_t)r;
		b->data[b->len] = '\0';
		if ((size_t)r < room)
			return 0;
	}
}

/* Errors meaning the kept descriptor's file is gone (the cgroup was removed). */
static bool stale(int err)
{
	return err == ENODEV || err == ENOENT || err == ESTALE || err == EBADF;
}

int cg_read(struct scan *sc, const struct cg *cg_const, int h, const char *name, struct buf *b)
{
	buf_reset(b);
	if (h < 0)
		return -ENOENT;
	/* The cache lives in the node; collectors see nodes as const otherwise. */
	struct cg *cg = (struct cg *)(uintptr_t)cg_const;
	struct cx *cx = sc->cx;
	struct cgfile *f = file_entry(cg, h, name, true);
	if (f) {
		f->gen = cx->gen;
		if (f->missing) {
			/* v1 files never appear later; v2 ones do when a controller is enabled. */
			if (!sc->lay->h[h].v2 || cx->gen - f->missing_since < 16)
				return -ENOENT;
			f->missing = false;
		}
		if (f->fd >= 0) {
			int rc = pread_file(f->fd, b);
			if (rc == 0 || !stale(-rc))
				return rc;
			close(f->fd);
			f->fd = -1;
			cx->nfiles--;
		}
	}
	char buf[8192];
	const char *rel;
	int dfd = cg_at_dir(sc->lay, cg, h, name, buf, sizeof buf, &rel);
	if (dfd == -ENAMETOOLONG)
		return dfd;
	int fd = openat(dfd, rel, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	int rc = fd < 0 ? -errno : 0;
	if (rc == -ENOTDIR)
		rc = -ENOENT;
	if (rc == -ENOENT && f) {
		f->missing = true;
		f->missing_since = cx->gen;
	}
	if (rc < 0)
		return rc;
	rc = pread_file(fd, b);
	if (rc == 0 && f && cx->nfiles < cx->o.file_budget) {
		f->fd = fd;
		cx->nfiles++;
	} else {
		close(fd);
	}
	/* A cgroup removed under us: its files are gone (ENODEV while reading). */
	return rc == -ENODEV ? -ENOENT : rc;
}

void cg_files_sweep(struct cx *cx, struct cg *cg, bool all)
{
	size_t out = 0;
	for (size_t i = 0; i < cg->nfiles; i++) {
		struct cgfile *f = &cg->files[i];
		if (all || f->gen != cx->gen) {
			if (f->fd >= 0) {
				close(f->fd);
				cx->nfiles--;
			}
			continue;
		}
		cg->files[out++] = *f;
	}
	cg->nfiles = (uint16_t)out;
	if (!out) {
		free(cg->files);
		cg->files = NULL;
		cg->capfiles = 0;
	}
}

int cg_read_u64(struct scan *sc, const struct cg *cg, int h, const char *name, uint64_t *v)
{
	int rc = cg_read(sc, cg, h, name, &sc->cx->rd2);
	if (rc < 0)
		return rc;
	if (cgp_u64(sc->cx->rd2.data, v) < 0) {
		scan_bad_file(sc, cg, name, "not a number");
		return -EINVAL;
	}
	return 0;
}

static double ts_of(const struct timespec *t)
{
	return (double)t->tv_sec + (double)t->tv_nsec / 1e9;
}

int cg_mtimes(const struct cg *cg, int h, const char *dir, const char *file, double *dir_mtime,
	      double *file_mtime)
{
	struct stat st;
	int rc;
	if (cg->fd[h] >= 0) {
		rc = fstat(cg->fd[h], &st);
		if (rc == 0) {
			*dir_mtime = ts_of(&st.st_mtim);
			rc = fstatat(cg->fd[h], file, &st, 0);
		}
	} else {
		char p[8192];
		if (pathf(p, sizeof p, "%s%s", dir, strcmp(cg->path, "/") ? cg->path : "") < 0)
			return -ENAMETOOLONG;
		rc = stat(p, &st);
		if (rc == 0) {
			*dir_mtime = ts_of(&st.st_mtim);
			size_t n = strlen(p);
			if (pathf(p + n, sizeof p - n, "/%s", file) < 0)
				return -ENAMETOOLONG;
			rc = stat(p, &st);
		}
	}
	if (rc < 0)
		return -errno;
	*file_mtime = ts_of(&st.st_mtim);
	return 0;
}

void scan_bad_file(struct scan *sc, const struct cg *cg, const char *file, const char *why)
{
	/* Logged once, not on every scrape: again only when another file turns bad. */
	char key[sizeof sc->cx->last_bad];
	strf(key, sizeof key, "%s/%s", cg->path, file);
	if (!sc->failed && strcmp(key, sc->cx->last_bad) != 0) {
		log_warn("unparsable cgroup file; its values are left out", "cgroup", cg->path, "file",
			 file, "err", why, NULL);
		strf(sc->cx->last_bad, sizeof sc->cx->last_bad, "%s", key);
	} else {
		log_debug("unparsable cgroup file", "cgroup", cg->path, "file", file, "err", why, NULL);
	}
	sc->failed = true;
	sc->nbad++;
}

bool cg_alive(const struct scan *sc, const struct cg *cg)
{
	for (size_t h = 0; h < sc->lay->nh; h++) {
		if (!(cg->here & sc->lay->walk & 1u << h))
			continue;
		/* The parent's listing is current: no event said a subdirectory went. */
		if (cg->parent && (cg->parent->listed & 1u << h) && !sc->cx->relist_all)
			return true;
		/* Every cgroup directory has cgroup.procs; a removed one has nothing. */
		char buf[8192];
		const char *rel;
		int dfd = cg_at_dir(sc->lay, cg, (int)h, "cgroup.procs", buf, sizeof buf, &rel);
		return dfd != -ENAMETOOLONG && faccessat(dfd, rel, F_OK, 0) == 0;
	}
	return true;
}

bool scan_expired(struct scan *sc)
{
	if (sc->truncated)
		return true;
	if (sc->deadline > 0 && mono_now() > sc->deadline) {
		sc->truncated = true;
		return true;
	}
	return false;
}

struct family *scan_family(struct scan *sc, struct expo *e, const char *name,
			   enum metric_type type, const char *help, const char *const *extra)
{
	size_t n = 0;
	for (; n < sc->nlabels; n++)
		sc->nbuf[n] = sc->lnames[n];
	for (size_t i = 0; extra && extra[i] && i < 4; i++)
		sc->nbuf[n++] = extra[i];
	sc->nbuf[n] = NULL;
	return expo_family(e, name, type, help, sc->nbuf);
}

void scan_sample(struct scan *sc, struct expo *e, struct family *f, const struct cg *cg,
		 double value, bool stamped, const char *const *extra)
{
	size_t n = 0;
	for (; n < sc->nlabels; n++)
		sc->vbuf[n] = cg->lvals[n];
	for (size_t i = 0; extra && extra[i] && i < 4; i++)
		sc->vbuf[n++] = extra[i];
	expo_add_ts(e, f, value, stamped ? sc->now_ms : -1, sc->vbuf);
}

static void cpuspec_read(struct scan *sc, struct cg *cg, int h, struct cpuspec *c)
{
	struct buf *b = &sc->cx->rd2;
	if (!hier_v2(sc, h)) {
		c->has_cpu = true;
		c->has_shares = cg_read_u64(sc, cg, h, "cpu.shares", &c->shares) == 0;
		c->has_period = cg_read_u64(sc, cg, h, "cpu.cfs_period_us", &c->period) == 0;
		int64_t q;
		if (cg_read(sc, cg, h, "cpu.cfs_quota_us", b) == 0) {
			if (cgp_i64(b->data, &q) < 0)
				scan_bad_file(sc, cg, "cpu.cfs_quota_us", "not a number");
			else
				c->quota = q > 0 ? (uint64_t)q : 0;
		}
		return;
	}
	uint64_t weight;
	if (cg_read_u64(sc, cg, h, "cpu.weight", &weight) == 0 && weight >= 1 && weight <= 10000) {
		/* cgroup v2's weight [1, 10000] in v1 shares [2, 262144], as cAdvisor converts it. */
		c->shares = 2 + (weight - 1) * 262142 / 9999;
		c->has_shares = c->has_cpu = true;
	}
	if (cg_read(sc, cg, h, "cpu.max", b) == 0) {
		bool limited;
		if (cgp_cpu_max(b->data, &limited, &c->quota, &c->period) < 0) {
			scan_bad_file(sc, cg, "cpu.max", "not \"quota period\"");
			c->quota = c->period = 0;
		} else {
			c->has_period = c->has_cpu = true;
		}
	}
}

const struct cpuspec *cg_cpuspec(struct scan *sc, struct cg *cg)
{
	struct cpuspec *c = &cg->cpu;
	struct cx *cx = sc->cx;
	if (c->gen == cx->gen)
		return c;
	int h = cg_hier(sc, cg, CTL_CPU);
	/* Shares, quota and period change only when written (an event then). */
	if (h >= 0 && h == c->h && cg_cfg_current(cx, cg, h, c->read)) {
		c->gen = cx->gen;
		return c;
	}
	memset(c, 0, sizeof *c);
	c->gen = c->read = cx->gen;
	c->h = (int8_t)h;
	if (h < 0)
		return c;
	/* An unparsable file is read (and reported) again next time. */
	unsigned bad = sc->nbad;
	cpuspec_read(sc, cg, h, c);
	if (sc->nbad != bad)
		c->read = 0;
	return c;
}


bool host_memory(struct cx *cx, uint64_t *mem_total, uint64_t *swap_total)
{
	char p[4096];
	struct buf *b = &cx->rd2;
	if (proc_path(p, sizeof p, "meminfo") < 0 || read_whole(p, b) < 0)
		return false;
	int got = 0;
	char *cur = b->data, *line;
	while ((line = next_line(&cur)) != NULL) {
		char *f[3];
		uint64_t v;
		if (split_fields(line, f, 3) < 2 || parse_u64(f[1], &v) < 0)
			continue;
		if (!strcmp(f[0], "MemTotal:")) {
			*mem_total = v * 1024;
			got |= 1;
		} else if (!strcmp(f[0], "SwapTotal:")) {
			*swap_total = v * 1024;
			got |= 2;
		}
	}
	return got == 3;
}
