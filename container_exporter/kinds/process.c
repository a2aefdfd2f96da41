/*
 * Kind "process" (off by default, as in cAdvisor): processes, threads and
 * their limit, open descriptors and sockets of the cgroup's processes, and
 * the init process's open-files limit.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "../../common/parse.h"
#include "../cgparse.h"
#include "../container.h"

/* Descriptors and sockets of one process; false if it is gone or unreadable. */
static bool count_fds(int pid, uint64_t *fds, uint64_t *sockets)
{
	char p[4096];
	struct dirlist dl;
	if (proc_path(p, sizeof p, "%d/fd", pid) < 0 || dirlist_read(p, &dl) < 0)
		return false;
	size_t plen = strlen(p);
	*fds += dl.n;
	for (size_t i = 0; i < dl.n; i++) {
		char link[64];
		if (pathf(p + plen, sizeof p - plen, "/%s", dl.names[i]) < 0)
			continue;
		ssize_t n = readlink(p, link, sizeof link - 1);
		if (n > 0) {
			link[n] = '\0';
			if (has_prefix(link, "socket"))
				(*sockets)++;
		}
	}
	p[plen] = '\0';
	dirlist_free(&dl);
	return true;
}

/* The soft "Max open files" of /proc/<pid>/limits ("unlimited" is -1, as cAdvisor). */
static bool open_files_limit(struct cx *cx, int pid, double *soft)
{
	char p[4096];
	struct buf *b = &cx->rd2;
	if (proc_path(p, sizeof p, "%d/limits", pid) < 0 || read_whole(p, b) < 0)
		return false;
	char *cur = b->data, *line;
	while ((line = next_line(&cur)) != NULL) {
		if (!has_prefix(line, "Max open files"))
			continue;
		char *f[4];
		if (split_fields(line + 14, f, 4) != 3)
			return false;
		int64_t v;
		if (!strcmp(f[0], "unlimited"))
			v = -1;
		else if (parse_i64(f[0], &v) < 0)
			return false;
		*soft = (double)v;
		return true;
	}
	return false;
}

static void collect(struct scan *sc, struct expo *e)
{
	struct family *procs = FAMILY(sc, e, "container_processes", METRIC_GAUGE,
				      "Number of processes in the cgroup.", NULL);
	struct family *fdsf = FAMILY(sc, e, "container_file_descriptors", METRIC_GAUGE,
				     "Open file descriptors of the cgroup's processes.", NULL);
	struct family *sockf = FAMILY(sc, e, "container_sockets", METRIC_GAUGE,
				      "Open sockets of the cgroup's processes.", NULL);
	struct family *thr = FAMILY(sc, e, "container_threads", METRIC_GAUGE,
				    "Number of tasks (threads) in the cgroup.", NULL);
	struct family *thrmax = FAMILY(sc, e, "container_threads_max", METRIC_GAUGE,
				       "Task limit of the cgroup (pids.max); 0 when unlimited.", NULL);
	struct family *ulim = FAMILY(sc, e, "container_ulimits_soft", METRIC_GAUGE,
				     "Soft limit of the container's init process; -1 when unlimited.",
				     "ulimit", NULL);
	struct cx *cx = sc->cx;
	struct buf *b = &cx->rd;
	for (size_t i = 0; i < sc->n && !scan_expired(sc); i++) {
		struct cg *cg = sc->cgs[i];
		bool root = cg == cx->root;
		if (root && cx->o.disable_root_stats)
			continue;
		int h = cg_hier(sc, cg, CTL_CPU);
		if (h < 0 && hier_v2(sc, sc->lay->unified) && (cg->here & 1u << sc->lay->unified))
			h = sc->lay->unified;
		size_t nprocs = 0;
		int first;
		bool have_procs = false;
		if (h >= 0 && cg_read(sc, cg, h, "cgroup.procs", b) == 0) {
			if (cgp_procs(b->data, &nprocs, &first) < 0) {
				scan_bad_file(sc, cg, "cgroup.procs", "not one PID per line");
			} else {
				have_procs = true;
				SAMPLE(sc, e, procs, cg, (double)nprocs, NULL);
				uint64_t fds = 0, sockets = 0;
				bool counted = false;
				/* The list is cut out of the buffer as PIDs are visited. */
				char *cur = b->data, *line;
				while ((line = next_line(&cur)) != NULL) {
					int64_t pid;
					if (*line && parse_i64(line, &pid) == 0)
						counted |= count_fds((int)pid, &fds, &sockets);
				}
				/* Processes whose descriptors cannot be read (no hostPID) count nothing. */
				if (counted || !nprocs) {
					SAMPLE(sc, e, fdsf, cg, (double)fds, NULL);
					SAMPLE(sc, e, sockf, cg, (double)sockets, NULL);
				}
			}
		}
		int hp = cg_hier(sc, cg, CTL_PIDS);
		uint64_t cur_tasks, max_tasks;
		int rc = hp >= 0 && !root ? cg_read_u64(sc, cg, hp, "pids.current", &cur_tasks) : -ENOENT;
		if (rc == 0) {
			SAMPLE(sc, e, thr, cg, (double)cur_tasks, NULL);
			if (cg_read_u64(sc, cg, hp, "pids.max", &max_tasks) == 0)
				SAMPLE(sc, e, thrmax, cg, max_tasks == UINT64_MAX ? 0 : (double)max_tasks,
				       NULL);
		} else if (rc == -ENOENT && hier_v2(sc, h) && have_procs) {
			/* libcontainer without the pids controller: the process count, no limit. */
			SAMPLE(sc, e, thr, cg, (double)nprocs, NULL);
			SAMPLE(sc, e, thrmax, cg, 0, NULL);
		}
		int pid = root ? 1 : cg->meta.pid;
		double soft;
		if (pid > 0 && open_files_limit(cx, pid, &soft))
			SAMPLE(sc, e, ulim, cg, soft, "max_open_files");
	}
}

const struct kind_collector collector_process = { .kind = K_PROCESS, .collect = collect };
