/*
 * inotify watches on the walked cgroup directories, so that a scrape does
 * not list every directory again nor read configuration that did not
 * change:
 *   - a directory listed under a watch is listed again only after an event
 *     said that a subdirectory came or went (IN_CREATE, IN_DELETE,
 *     IN_MOVED_*), or that the directory itself went;
 *   - the files behind the spec families (limits, shares, quota, period),
 *     which change only when written, are read again only after a write to
 *     one of the cgroup's files (IN_MODIFY; the kernel's own notifications
 *     of cgroup.events and memory.events come the same way).
 * Events wait in the kernel's queue between scrapes (no thread, no
 * wake-up) and are drained when a scrape starts and again after the walk.
 * A full queue (IN_Q_OVERFLOW) makes the next walk list and read
 * everything. Where no watch can be set (no inotify, the per-user watch
 * limit reached), that directory is listed and its configuration read on
 * every scrape, as without watches.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "../common/log.h"
#include "../common/parse.h"
#include "tree.h"

#define WATCH_MASK (IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_MODIFY | \
		    IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR)

/* Open addressing by watch descriptor (> 0; 0 marks a free slot), linear probing. */
static size_t slot_of(const struct watches *w, int wd)
{
	return ((size_t)(unsigned)wd * 2654435761u) & (w->cap - 1);
}

static struct wslot *find(struct watches *w, int wd)
{
	if (!w->cap)
		return NULL;
	for (size_t i = slot_of(w, wd);; i = (i + 1) & (w->cap - 1)) {
		if (w->slots[i].wd == wd)
			return &w->slots[i];
		if (!w->slots[i].wd)
			return NULL;
	}
}

static int insert(struct watches *w, int wd, struct cg *cg, int h)
{
	if (2 * (w->n + 1) > w->cap) {
		size_t cap = w->cap ? 2 * w->cap : 256;
		struct wslot *old = w->slots, *s = calloc(cap, sizeof *s);
		if (!s)
			return -ENOMEM;
		size_t oldcap = w->cap;
		w->slots = s;
		w->cap = cap;
		for (size_t i = 0; i < oldcap; i++) {
			if (!old[i].wd)
				continue;
			size_t j = slot_of(w, old[i].wd);
			while (s[j].wd)
				j = (j + 1) & (cap - 1);
			s[j] = old[i];
		}
		free(old);
	}
	size_t i = slot_of(w, wd);
	while (w->slots[i].wd && w->slots[i].wd != wd)
		i = (i + 1) & (w->cap - 1);
	if (!w->slots[i].wd)
		w->n++;
	w->slots[i] = (struct wslot){ .wd = wd, .h = (int8_t)h, .cg = cg };
	return 0;
}

/* Free slot s, moving later entries of its probe run back (no tombstones). */
static void erase(struct watches *w, struct wslot *s)
{
	size_t i = (size_t)(s - w->slots), mask = w->cap - 1;
	w->slots[i].wd = 0;
	w->n--;
	for (size_t j = (i + 1) & mask; w->slots[j].wd; j = (j + 1) & mask) {
		size_t home = slot_of(w, w->slots[j].wd);
		/* Move j back to i unless its home lies cyclically in (i, j]. */
		bool stays = i < j ? (home > i && home <= j) : (home > i || home <= j);
		if (stays)
			continue;
		w->slots[i] = w->slots[j];
		w->slots[j].wd = 0;
		i = j;
	}
}

void watch_open(struct cx *cx)
{
	struct watches *w = &cx->watches;
	if (w->tried)
		return;
	w->tried = true;
	w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (w->fd < 0)
		log_info("no inotify: every cgroup directory is listed on every scrape", "err",
			 strerror(errno), NULL);
}

void watch_add(struct cx *cx, struct cg *cg, int h, int dirfd)
{
	struct watches *w = &cx->watches;
	if (w->fd < 0 || cg->wd[h] > 0 || w->full)
		return;
	/* The directory just opened, by its descriptor (it cannot have been replaced since). */
	char p[64];
	int wd = -1;
	if (dirfd >= 0 && pathf(p, sizeof p, "/proc/self/fd/%d", dirfd) == 0)
		wd = inotify_add_watch(w->fd, p, WATCH_MASK);
	if (wd < 0 && errno == ENOSPC) {
		/* The per-user limit (fs.inotify.max_user_watches): list the rest every scrape. */
		w->full = true;
		log_warn("inotify watch limit reached: the cgroup directories beyond it are listed on every scrape",
			 NULL);
		return;
	}
	if (wd <= 0)
		return;
	if (insert(w, wd, cg, h) < 0) {
		inotify_rm_watch(w->fd, wd);
		return;
	}
	cg->wd[h] = wd;
	/* Unwatched until now: what was read before may be stale. */
	cg->cfg_changed = cx->gen;
}

void watch_drop(struct cx *cx, struct cg *cg, int h)
{
	struct watches *w = &cx->watches;
	if (cg->wd[h] <= 0)
		return;
	struct wslot *s = find(w, cg->wd[h]);
	if (s && s->cg == cg) {
		erase(w, s);
		/* EINVAL if the kernel already dropped it (directory removed). */
		inotify_rm_watch(w->fd, cg->wd[h]);
	}
	cg->wd[h] = 0;
	cg->listed &= ~(1u << h);
}

void watch_drain(struct cx *cx)
{
	struct watches *w = &cx->watches;
	if (w->fd < 0)
		return;
	char chunk[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
	for (;;) {
		ssize_t got = read(w->fd, chunk, sizeof chunk);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return; /* EAGAIN: nothing (more) queued */
		for (ssize_t pos = 0; pos < got;) {
			const struct inotify_event *ev = (const void *)(chunk + pos);
			pos += (ssize_t)(sizeof *ev + ev->len);
			if (ev->mask & IN_Q_OVERFLOW) {
				/* Events were lost: list and read everything once. */
				cx->relist_all = true;
				cx->cfg_epoch = cx->gen;
				continue;
			}
			struct wslot *s = find(w, ev->wd);
			if (!s)
				continue; /* a watch dropped already */
			struct cg *cg = s->cg;
			uint32_t bit = 1u << s->h;
			if (ev->mask & IN_IGNORED) {
				/* The kernel removed the watch (the directory is gone). */
				cg->wd[s->h] = 0;
				cg->listed &= ~bit;
				erase(w, s);
				continue;
			}
			if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_UNMOUNT))
				cg->listed &= ~bit;
			else if ((ev->mask & IN_ISDIR) &&
				 (ev->mask & (IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO)))
				cg->listed &= ~bit;
			if ((ev->mask & IN_MODIFY) && !(ev->mask & IN_ISDIR))
				cg->cfg_changed = cx->gen;
		}
	}
}

bool cg_cfg_current(const struct cx *cx, const struct cg *cg, int h, uint32_t read_gen)
{
	/* Events are drained before anything is read in a scrape: a read then is newer. */
	return h >= 0 && cg->wd[h] > 0 && read_gen && read_gen >= cg->cfg_changed &&
	       read_gen >= cx->cfg_epoch;
}

void watch_close(struct cx *cx)
{
	struct watches *w = &cx->watches;
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	free(w->slots);
	w->slots = NULL;
	w->cap = w->n = 0;
}
