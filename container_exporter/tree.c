/*
 * Discovery: the cgroup directories of every walked hierarchy, merged by
 * path into one tree whose nodes keep a directory descriptor per hierarchy
 * between scrapes. A directory is listed (getdents from offset 0) when it
 * is new, and again only when an inotify event said a subdirectory came or
 * went (watch.c), or on every scrape where it could not be watched; each
 * listing adds what appeared, drops what went away, and notices a directory
 * removed and created again under the same name (a restarted systemd
 * service) by its inode number.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../common/exporter.h"
#include "../common/log.h"
#include "../common/parse.h"
#include "tree.h"

/* Controllers whose files the collectors read. */
#define READ_CTLS (1u << CTL_CPU | 1u << CTL_CPUACCT | 1u << CTL_MEMORY | 1u << CTL_BLKIO | \
		   1u << CTL_PIDS | 1u << CTL_HUGETLB | 1u << CTL_CPUSET)

/* Deeper trees are not walked (the kernel's default cgroup.max.depth is unlimited). */
#define MAX_DEPTH 64

/* A subdirectory seen in one or more hierarchies. */
struct entry {
	char *name;
	uint32_t mask; /* hierarchies listing it */
	uint64_t ino[MAX_HIER];
};

struct listing {
	struct entry *e;
	size_t n, cap;
	struct buf names;
};

static void listing_free(struct listing *l)
{
	free(l->e);
	buf_free(&l->names);
}

/* Append the subdirectories of the directory open at fd, seen in hierarchy h. */
static int list_dirs(int fd, int h, bool kernfs, struct listing *l)
{
	char chunk[16384];
	if (lseek(fd, 0, SEEK_SET) < 0)
		return -errno;
	for (;;) {
		long got = syscall(SYS_getdents64, fd, chunk, sizeof chunk);
		if (got < 0)
			return -errno;
		if (got == 0)
			return 0;
		/*
		 * kernfs fills the buffer until an entry does not fit (other
		 * filesystems need not): with room
		 * for the longest entry left, the listing is complete and the
		 * call that would return 0 can be saved.
		 */
		bool complete = kernfs && (size_t)got + sizeof(struct linux_dirent64) + 256 + 8 < sizeof chunk;
		for (long pos = 0; pos < got;) {
			struct linux_dirent64 *de = (struct linux_dirent64 *)(void *)(chunk + pos);
			pos += de->d_reclen;
			const char *name = de->d_name;
			if (de->d_type != DT_DIR || (name[0] == '.' && (!name[1] || (name[1] == '.' && !name[2]))))
				continue;
			/* cAdvisor ignores systemd's mount units and what is below them. */
			if (has_suffix(name, ".mount"))
				continue;
			if (l->n == l->cap) {
				size_t cap = l->cap ? l->cap * 2 : 16;
				struct entry *e = realloc(l->e, cap * sizeof *e);
				if (!e)
					return -ENOMEM;
				l->e = e;
				l->cap = cap;
			}
			struct entry *e = &l->e[l->n++];
			memset(e, 0, sizeof *e);
			e->name = (char *)(uintptr_t)l->names.len; /* offset until the buffer stops moving */
			e->mask = 1u << h;
			e->ino[h] = de->d_ino;
			int rc = buf_append(&l->names, name, strlen(name) + 1);
			if (rc < 0)
				return rc;
		}
		if (complete)
			return 0;
	}
}

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->name, ((const struct entry *)b)->name);
}

/* Resolve name offsets, sort, and merge the entries of one name from several hierarchies. */
static void listing_finish(struct listing *l)
{
	for (size_t i = 0; i < l->n; i++)
		l->e[i].name = l->names.data + (uintptr_t)l->e[i].name;
	if (l->n > 1)
		qsort(l->e, l->n, sizeof *l->e, cmp_entry);
	size_t out = 0;
	for (size_t i = 0; i < l->n; i++) {
		if (out && !strcmp(l->e[out - 1].name, l->e[i].name)) {
			struct entry *d = &l->e[out - 1];
			for (int h = 0; h < MAX_HIER; h++)
				if (l->e[i].mask & 1u << h) {
					d->mask |= 1u << h;
					d->ino[h] = l->e[i].ino[h];
				}
			continue;
		}
		l->e[out++] = l->e[i];
	}
	l->n = out;
}

static void close_fd(struct cx *cx, struct cg *cg, int h)
{
	if (cg->fd[h] >= 0) {
		close(cg->fd[h]);
		cg->fd[h] = -1;
		cx->nkept--;
	}
}

static void node_free(struct cx *cx, struct cg *cg)
{
	for (size_t i = 0; i < cg->nkids; i++)
		node_free(cx, cg->kids[i]);
	free(cg->kids);
	for (int h = 0; h < MAX_HIER; h++) {
		close_fd(cx, cg, h);
		watch_drop(cx, cg, h);
	}
	cg_files_sweep(cx, cg, true);
	meta_clear(&cg->meta);
	free(cg->path);
	free(cg);
}

static struct cg *node_new(struct cg *parent, const char *name)
{
	struct cg *cg = calloc(1, sizeof *cg);
	if (!cg)
		return NULL;
	size_t plen = parent ? strlen(parent->path) : 0;
	size_t nlen = strlen(name);
	cg->path = malloc(plen + nlen + 2);
	if (!cg->path) {
		free(cg);
		return NULL;
	}
	if (!parent) {
		cg->path[0] = '/';
		cg->path[1] = '\0';
		cg->base = cg->path;
	} else {
		size_t at = plen == 1 ? 0 : plen; /* under "/" no double slash */
		memcpy(cg->path, parent->path, at);
		cg->path[at] = '/';
		memcpy(cg->path + at + 1, name, nlen + 1);
		cg->base = cg->path + at + 1;
	}
	for (int h = 0; h < MAX_HIER; h++)
		cg->fd[h] = -1;
	cg->parent = parent;
	return cg;
}

/* Forget what was derived from a directory that was replaced by a new one. */
static void node_reset(struct cx *cx, struct cg *cg)
{
	cg_files_sweep(cx, cg, true);
	cg->extra_checked = 0;
	cg->net_checked = 0;
	cg->hier_checked = 0;
	memset(&cg->cpu, 0, sizeof cg->cpu);
	memset(&cg->mem, 0, sizeof cg->mem);
	cg->created = 0;
	meta_clear(&cg->meta);
	cg->meta_done = false;
}

struct walk {
	struct cx *cx;
	struct cg **out;
	size_t n, cap;
	double deadline; /* mono_now() scale, 0 for none */
	bool expired;
};

/* True once the scrape deadline passed (looked at every 64 directories). */
static bool walk_expired(struct walk *w)
{
	if (!w->expired && w->deadline > 0 && (w->n & 63) == 0 && mono_now() > w->deadline)
		w->expired = true;
	return w->expired;
}

static int push(struct walk *w, struct cg *cg)
{
	if (w->n == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 256;
		struct cg **o = realloc(w->out, cap * sizeof *o);
		if (!o)
			return -ENOMEM;
		w->out = o;
		w->cap = cap;
	}
	w->out[w->n++] = cg;
	return 0;
}

/*
 * cg's directory in h: its kept descriptor, or one opened now relative to
 * the nearest kept ancestor, kept if the budget allows and files are read
 * there (hierarchies only walked, such as devices, keep none), else
 * *temp is set and the caller closes it. Returns the descriptor or -errno.
 */
static int dir_fd(struct cx *cx, struct cg *cg, int h, bool *temp)
{
	*temp = false;
	if (cg->fd[h] >= 0)
		return cg->fd[h];
	char buf[8192];
	const char *rel;
	int at = cg_at_dir(&cx->lay, cg, h, NULL, buf, sizeof buf, &rel);
	if (at == -ENAMETOOLONG)
		return at;
	/* A mount point may be a link ("cpu" -> "cpu,cpuacct"); cgroup directories are not. */
	int fd = openat(at, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC | (cg->parent ? O_NOFOLLOW : 0));
	if (fd < 0)
		return -errno;
	const struct hierarchy *hi = &cx->lay.h[h];
	if (cx->nkept < cx->o.fd_budget && (hi->v2 || (hi->ctls & READ_CTLS))) {
		cg->fd[h] = fd;
		cx->nkept++;
	} else {
		*temp = true;
	}
	return fd;
}

/*
 * List cg's directories in the hierarchies where it exists (watching them
 * first, so that a change after the listing is an event) and merge the
 * subdirectories into cg->kids, sorted by name.
 */
static int relist(struct cx *cx, struct cg *cg)
{
	const struct layout *lay = &cx->lay;
	struct listing l = { 0 };
	buf_init(&l.names, 64u << 20);
	int rc = 0;
	uint32_t listed = 0;
	for (size_t h = 0; h < lay->nh && rc == 0; h++) {
		uint32_t bit = 1u << h;
		if (!(cg->here & lay->walk & bit))
			continue;
		bool temp;
		int fd = dir_fd(cx, cg, (int)h, &temp);
		if (fd == -EMFILE || fd == -ENFILE || fd == -ENOMEM) {
			rc = fd;
			break;
		}
		if (fd < 0) {
			/* Gone since its parent was listed: no subdirectories, dropped next time. */
			cg->here &= ~bit;
			continue;
		}
		watch_add(cx, cg, (int)h, fd);
		rc = list_dirs(fd, (int)h, lay->h[h].kernfs, &l);
		/* A directory that went away during the walk lists as empty. */
		if (rc == -ENOENT || rc == -ENOTDIR)
			rc = 0;
		else if (rc == 0 && cg->wd[h] > 0)
			listed |= bit;
		if (temp)
			close(fd);
	}
	if (rc < 0) {
		listing_free(&l);
		return rc;
	}
	listing_finish(&l);

	/* Merge the sorted listing into the sorted children. */
	struct cg **kids = l.n ? malloc(l.n * sizeof *kids) : NULL;
	if (l.n && !kids) {
		listing_free(&l);
		return -ENOMEM;
	}
	size_t k = 0, nk = 0;
	for (size_t i = 0; i < l.n; i++) {
		struct entry *e = &l.e[i];
		while (k < cg->nkids && strcmp(cg->kids[k]->base, e->name) < 0)
			node_free(cx, cg->kids[k++]);
		struct cg *kid;
		if (k < cg->nkids && !strcmp(cg->kids[k]->base, e->name)) {
			kid = cg->kids[k++];
		} else {
			kid = node_new(cg, e->name);
			if (!kid) {
				rc = -ENOMEM;
				break;
			}
		}
		kids[nk++] = kid;
		/* Directories of hierarchies that are not walked are tree_attach_extra()'s. */
		kid->here = e->mask | (kid->here & ~lay->walk);
		for (size_t h = 0; h < lay->nh; h++) {
			if (!(lay->walk & 1u << h))
				continue;
			if (!(e->mask & 1u << h)) {
				close_fd(cx, kid, (int)h);
				watch_drop(cx, kid, (int)h);
				continue;
			}
			/* Removed and created again: a new cgroup under the old name (new inode). */
			if (kid->ino[h] && kid->ino[h] != e->ino[h]) {
				close_fd(cx, kid, (int)h);
				watch_drop(cx, kid, (int)h);
				node_reset(cx, kid);
			}
			kid->ino[h] = e->ino[h];
		}
	}
	while (k < cg->nkids)
		node_free(cx, cg->kids[k++]);
	free(cg->kids);
	cg->kids = kids;
	cg->nkids = cg->kcap = nk;
	listing_free(&l);
	if (rc == 0)
		cg->listed = listed;
	return rc;
}

/*
 * Refresh the children of cg where its listing is not current, then
 * recurse into them.
 */
static int refresh(struct walk *w, struct cg *cg, int depth)
{
	struct cx *cx = w->cx;
	int rc = push(w, cg);
	/*
	 * Past the deadline the directory is not listed again: its children
	 * stay in the tree as they were and are left out of this scrape.
	 */
	if (rc < 0 || depth >= MAX_DEPTH || walk_expired(w))
		return rc;
	uint32_t in = cg->here & cx->lay.walk;
	if (cx->relist_all || (in & ~cg->listed))
		rc = relist(cx, cg);
	for (size_t i = 0; i < cg->nkids && rc == 0; i++)
		if (cg->kids[i]->here & cx->lay.walk)
			rc = refresh(w, cg->kids[i], depth + 1);
	return rc;
}

int tree_walk(struct cx *cx, double deadline)
{
	const struct layout *lay = &cx->lay;
	if (!cx->root) {
		cx->root = node_new(NULL, "");
		if (!cx->root)
			return -ENOMEM;
	}
	watch_open(cx);
	watch_drain(cx);
	struct cg *root = cx->root;
	/* The hierarchies' mount points: there unless unmounted. */
	root->here = (root->here & ~lay->walk) | lay->walk;
	struct walk w = { .cx = cx, .out = cx->all, .cap = cx->capall, .deadline = deadline };
	int rc = refresh(&w, root, 0);
	cx->relist_all = false;
	cx->all = w.out;
	cx->capall = w.cap;
	cx->nall = w.n;
	return rc < 0 ? rc : w.expired ? 1 : 0;
}

void tree_free(struct cx *cx)
{
	if (cx->root)
		node_free(cx, cx->root);
	cx->root = NULL;
}

/*
 * Also open cg's directory in the cgroup2 mount beside the v1 hierarchies
 * of a hybrid host (PSI for the same path), without listing it. Whether it
 * is (still) there is checked every 16 scrapes; in between a kept
 * descriptor is trusted (reads through a removed one fail and drop it).
 */
void tree_attach_extra(struct cx *cx, struct cg *cg)
{
	const struct layout *lay = &cx->lay;
	int h = lay->unified;
	if (h < 0 || (lay->walk & 1u << h))
		return;
	uint32_t bit = 1u << h;
	if (cg->extra_checked && cx->gen - cg->extra_checked < 16) {
		if (cg->fd[h] >= 0)
			cg->here |= bit;
		return;
	}
	cg->extra_checked = cx->gen;
	if (cg->fd[h] >= 0) {
		/* Still the same directory? A removed one has no cgroup.procs. */
		if (faccessat(cg->fd[h], "cgroup.procs", F_OK, 0) == 0) {
			cg->here |= bit;
			return;
		}
		close_fd(cx, cg, h);
	}
	char p[8192];
	cg->here &= ~bit;
	if (pathf(p, sizeof p, "%s%s", lay->h[h].dir, strcmp(cg->path, "/") ? cg->path : "") < 0)
		return;
	int fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return;
	cg->here |= bit;
	if (cx->nkept < cx->o.fd_budget) {
		cg->fd[h] = fd;
		cx->nkept++;
	} else {
		close(fd);
	}
}
