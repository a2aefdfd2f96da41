/*
 * processes: processes and threads of the host from /proc/<pid>/stat and
 * /proc/<pid>/task/<tid>/stat: how many processes and threads, their
 * states, and the limits (kernel.threads-max, kernel.pid_max). A process or
 * thread that exits while it is read is skipped.
 *
 * The per-process files are read without the descriptor cache: keeping a
 * descriptor for every process would pin thousands of them for processes
 * that come and go.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/exporter.h"
#include "../../common/hostfs.h"
#include "../../common/parse.h"
#include "../../common/sysfs.h"

/* State letters (R, S, D, Z, T, t, X, I...), counted; a handful exist. */
#define PROC_MAX_STATES 32

struct state_counts {
	size_t n;
	char name[PROC_MAX_STATES][8];
	double count[PROC_MAX_STATES];
};

static void count_state(struct state_counts *c, const char *state)
{
	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->name[i], state)) {
			c->count[i]++;
			return;
		}
	if (c->n == PROC_MAX_STATES)
		return;
	strf(c->name[c->n], sizeof c->name[0], "%s", state);
	c->count[c->n++] = 1;
}

/* Fields of a stat line after "(comm)": procfs reads 42 of them. */
#define STAT_FIELDS 42

/*
 * Read one stat file: its state (first field after the command name) and
 * number of threads. Returns 0, 1 when the task is gone (ENOENT, ESRCH), or
 * -1 with an error set.
 */
static int read_stat(struct scrape *s, const char *path, char *state, size_t statecap, int64_t *threads)
{
	char text[4096];
	ssize_t n = read_small(path, text, sizeof text);
	if (n == -ENOENT || n == -ESRCH)
		return 1;
	if (n < 0) {
		scrape_fail(s, "error reading %s: %s", path, strerror((int)-n));
		return -1;
	}
	char *l = strchr(text, '('), *r = strrchr(text, ')');
	char *fld[STAT_FIELDS];
	if (!l || !r || r < l || !r[1] || split_fields(r + 2, fld, STAT_FIELDS) < STAT_FIELDS ||
	    parse_i64(fld[17], threads) < 0) {
		scrape_fail(s, "unexpected format of %s", path);
		return -1;
	}
	strf(state, statecap, "%s", fld[0]);
	return 0;
}

/* Count the states of pid's threads (the main thread has the process's state). */
static int thread_states(struct scrape *s, const char *pid, const char *pid_state, struct state_counts *c)
{
	char dir[4096];
	if (proc_path(dir, sizeof dir, "%s/task", pid) < 0)
		return scrape_fail(s, "path too long");
	struct dirlist dl;
	int rc = dirlist_read(dir, &dl);
	if (rc == -ENOENT || rc == -ESRCH || rc == -ENOTDIR)
		return COLLECT_OK;
	if (rc < 0)
		return scrape_fail(s, "unable to list all threads of pid %s: %s", pid, strerror(-rc));
	for (size_t i = 0; i < dl.n; i++) {
		const char *tid = dl.names[i];
		uint64_t num;
		if (parse_u64(tid, &num) < 0)
			continue;
		if (!strcmp(tid, pid)) {
			count_state(c, pid_state);
			continue;
		}
		char path[4096], state[16];
		int64_t nthreads;
		if (strf(path, sizeof path, "%s/%s/stat", dir, tid) >= (int)sizeof path) {
			dirlist_free(&dl);
			return scrape_fail(s, "path too long");
		}
		rc = read_stat(s, path, state, sizeof state, &nthreads);
		if (rc < 0) {
			dirlist_free(&dl);
			return COLLECT_ERROR;
		}
		if (rc == 0)
			count_state(c, state);
	}
	dirlist_free(&dl);
	return COLLECT_OK;
}

static int read_limit(struct scrape *s, const char *rel, double *v)
{
	char path[4096];
	uint64_t x;
	if (proc_path(path, sizeof path, "%s", rel) < 0)
		return scrape_fail(s, "path too long");
	int rc = sysfs_read_uint(s, path, &x);
	if (rc < 0)
		return scrape_fail(s, "unable to read %s: %s", path,
				   rc == -EBADMSG ? "not a number" : strerror(-rc));
	*v = (double)x;
	return COLLECT_OK;
}

static int processes_collect(struct scrape *s, struct expo *e)
{
	struct dirlist dl;
	int rc = scrape_dirlist(s, path_procfs, &dl);
	if (rc < 0)
		return scrape_fail(s, "unable to list all processes: %s", strerror(-rc));
	struct state_counts procs = { 0 }, threads = { 0 };
	double npids = 0, nthreads = 0;
	rc = COLLECT_OK;
	for (size_t i = 0; i < dl.n && rc == COLLECT_OK; i++) {
		const char *pid = dl.names[i];
		uint64_t num;
		if (parse_u64(pid, &num) < 0)
			continue;
		char path[4096], state[16];
		int64_t n;
		if (proc_path(path, sizeof path, "%s/stat", pid) < 0) {
			rc = scrape_fail(s, "path too long");
			break;
		}
		int st = read_stat(s, path, state, sizeof state, &n);
		if (st < 0)
			rc = COLLECT_ERROR;
		if (st != 0)
			continue;
		npids++;
		nthreads += (double)n;
		count_state(&procs, state);
		rc = thread_states(s, pid, state, &threads);
	}
	dirlist_free(&dl);
	if (rc != COLLECT_OK)
		return rc;

	expo_single(e, "node_processes_threads", METRIC_GAUGE, "Threads of all processes.", nthreads);
	double limit;
	if ((rc = read_limit(s, "sys/kernel/threads-max", &limit)) != COLLECT_OK)
		return rc;
	expo_single(e, "node_processes_max_threads", METRIC_GAUGE, "Limit of threads in the system (kernel.threads-max).",
		    limit);
	struct family *f = expo_family(e, "node_processes_state", METRIC_GAUGE, "Processes in each state.",
				       (const char *const[]){ "state", NULL });
	for (size_t i = 0; i < procs.n; i++)
		expo_sample(e, f, procs.count[i], procs.name[i]);
	f = expo_family(e, "node_processes_threads_state", METRIC_GAUGE, "Threads in each state.",
			(const char *const[]){ "thread_state", NULL });
	for (size_t i = 0; i < threads.n; i++)
		expo_sample(e, f, threads.count[i], threads.name[i]);
	if ((rc = read_limit(s, "sys/kernel/pid_max", &limit)) != COLLECT_OK)
		return rc;
	expo_single(e, "node_processes_pids", METRIC_GAUGE, "Processes (PIDs in use).", npids);
	expo_single(e, "node_processes_max_processes", METRIC_GAUGE, "Limit of PIDs (kernel.pid_max).", limit);
	return COLLECT_OK;
}

const struct collector_def collector_processes = {
	.name = "processes",
	.default_enabled = false,
	.collect = processes_collect,
};
