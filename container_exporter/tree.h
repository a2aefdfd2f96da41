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

#endif
