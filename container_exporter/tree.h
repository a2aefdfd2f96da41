/* Discovery of the cgroup tree (tree.c). */
#ifndef CONTAINER_TREE_H
#define CONTAINER_TREE_H

#include "container.h"

/*
 * Refresh the tree from the walked hierarchies and list every cgroup in
 * path order (the root first) into cx->all / cx->nall. Returns 0, 1 if the
 * deadline (mono_now() scale, 0 for none) stopped the walk (the cgroups not
 * reached are left out), or -errno (the list then holds what was found
 * before the error).
 */
int tree_walk(struct cx *cx, double deadline);

/* Find cg's directory in the hierarchies that are not walked (hybrid: cgroup2 for PSI). */
void tree_attach_extra(struct cx *cx, struct cg *cg);

/* Close every kept descriptor and free the tree. */
void tree_free(struct cx *cx);

/* ---- inotify watches of the walked directories (watch.c) ---- */

/* Create the inotify instance (once; without one, nothing is watched). */
void watch_open(struct cx *cx);

/* Watch cg's directory in h, open at dirfd, unless it is watched already. */
void watch_add(struct cx *cx, struct cg *cg, int h, int dirfd);

/* Stop watching cg's directory in h (it was dropped from the tree or replaced). */
void watch_drop(struct cx *cx, struct cg *cg, int h);

/*
 * Apply the queued events: a directory whose subdirectories changed loses
 * its `listed` bit, a cgroup one of whose files was written gets
 * cfg_changed = cx->gen; a lost event makes everything stale.
 */
void watch_drain(struct cx *cx);

void watch_close(struct cx *cx);

#endif
