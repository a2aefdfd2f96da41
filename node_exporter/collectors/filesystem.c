/*
 * filesystem: size, free space and inodes of each mounted filesystem, from
 * the mount table of PID 1 (<procfs>/1/mountinfo, else self/mountinfo) and
 * statfs(2) on <rootfs>/<mountpoint>, with upstream's mount point and
 * filesystem type filters.
 *
 * A stale NFS or FUSE mount can block statfs(2) for ever, so the calls run
 * in a small pool of worker threads (--collector.filesystem.stat-workers).
 * A call still running after --collector.filesystem.mount-timeout is
 * abandoned: the mount is reported with device_error="mountpoint timeout"
 * and skipped by later scrapes until its call returns, when the blocked
 * worker exits (a fresh one took its place). Shutdown never waits for a
 * blocked worker; the pool memory is released by the last one out.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/vfs.h>
#include <time.h>

#include "../../common/exporter.h"
#include "../../common/hostfs.h"
#include "../../common/log.h"
#include "../../common/mountinfo.h"
#include "../../common/parse.h"
#include "../../common/rx.h"

#define DEF_MOUNT_POINTS_EXCLUDE \
	"^/(dev|proc|run/credentials/.+|sys|var/lib/docker/.+|var/lib/containers/storage/.+)($|/)"
#define DEF_FS_TYPES_EXCLUDE                                                                      \
	"^(autofs|binfmt_misc|bpf|cgroup2?|configfs|debugfs|devpts|devtmpfs|fusectl|hugetlbfs|iso9660|mqueue|nsfs|overlay|proc|procfs|pstore|rpc_pipefs|securityfs|selinuxfs|squashfs|erofs|sysfs|tracefs)$"

static const char *mp_exclude_flag, *mp_old_flag, *mp_include_flag;
static const char *fs_exclude_flag, *fs_old_flag, *fs_include_flag;
static double mount_timeout_flag;
static long stat_workers_flag;

enum { F_MP_EXCLUDE, F_MP_OLD, F_MP_INCLUDE, F_FS_EXCLUDE, F_FS_OLD, F_FS_INCLUDE };

static struct flag filesystem_flags[] = {
	[F_MP_EXCLUDE] = { .name = "collector.filesystem.mount-points-exclude", .type = FLAG_STRING,
	  .dest = &mp_exclude_flag, .def = DEF_MOUNT_POINTS_EXCLUDE,
	  .help = "Regexp of mount points to exclude for filesystem collector. (mutually exclusive to mount-points-include)" },
	[F_MP_OLD] = { .name = "collector.filesystem.ignored-mount-points", .type = FLAG_STRING,
	  .dest = &mp_old_flag,
	  .help = "Regexp of mount points to ignore for filesystem collector.",
	  .opts = FLAG_HIDDEN },
	[F_MP_INCLUDE] = { .name = "collector.filesystem.mount-points-include", .type = FLAG_STRING,
	  .dest = &mp_include_flag,
	  .help = "Regexp of mount points to include for filesystem collector. (mutually exclusive to mount-points-exclude)" },
	[F_FS_EXCLUDE] = { .name = "collector.filesystem.fs-types-exclude", .type = FLAG_STRING,
	  .dest = &fs_exclude_flag, .def = DEF_FS_TYPES_EXCLUDE,
	  .help = "Regexp of filesystem types to exclude for filesystem collector. (mutually exclusive to fs-types-include)" },
	[F_FS_OLD] = { .name = "collector.filesystem.ignored-fs-types", .type = FLAG_STRING,
	  .dest = &fs_old_flag,
	  .help = "Regexp of filesystem types to ignore for filesystem collector.",
	  .opts = FLAG_HIDDEN },
	[F_FS_INCLUDE] = { .name = "collector.filesystem.fs-types-include", .type = FLAG_STRING,
	  .dest = &fs_include_flag,
	  .help = "Regexp of filesystem types to include for filesystem collector. (mutually exclusive to fs-types-exclude)" },
	{ .name = "collector.filesystem.mount-timeout", .type = FLAG_DURATION,
	  .dest = &mount_timeout_flag, .def = "5s",
	  .help = "how long to wait for a mount to respond before marking it as stale",
	  .opts = FLAG_HIDDEN },
	{ .name = "collector.filesystem.stat-workers", .type = FLAG_INT, .dest = &stat_workers_flag,
	  .def = "4", .help = "how many stat calls to process simultaneously", .opts = FLAG_HIDDEN },
};

/*
 * Test hook: the statfs(2) the workers call. Set only by unit tests, before
 * the collector's init, to simulate a mount that never answers.
 */
int (*node_filesystem_statfs)(const char *path, struct statfs *buf) = statfs;

enum job_state { JOB_QUEUED, JOB_RUNNING, JOB_DONE, JOB_TIMEOUT, JOB_CANCELLED };

struct fs_slot;

/* One statfs(2) call of a scrape; lives in the scrape's mount array. */
struct fs_job {
	const char *label; /* mountpoint label: the stat path is <rootfs>/<label> */
	enum job_state state;
	double started;
	int err;
	double size, free, avail, files, files_free;
	struct fs_slot *slot;
};

struct fs_pool;

/* A worker thread; owned by itself, freed when it exits. */
struct fs_slot {
	struct fs_pool *pool;
	struct fs_job *job; /* running job; NULL when idle or abandoned */
	bool abandoned;
	char key[4096]; /* label of the running job (the stuck-set key) */
	char path[4096];
};

struct fs_pool {
	pthread_mutex_t mu;
	pthread_cond_t work; /* jobs queued or stopping */
	pthread_cond_t done; /* a scrape's last job finished, or a worker exited */
	int (*statfs_fn)(const char *, struct statfs *);
	/* The jobs of the running scrape (one at a time: the collector lock). */
	struct fs_job **queue;
	size_t queued, next;
	size_t pending; /* jobs of this scrape neither finished nor given up */
	size_t target; /* workers wanted */
	size_t active; /* workers not stuck in an abandoned call */
	size_t threads; /* all live workers */
	bool stopping, orphaned;
	char **stuck; /* labels whose abandoned statfs has not returned */
	size_t nstuck, stuckcap;
};

struct fs_mount {
	struct mountinfo_entry m;
	const char *label; /* mountpoint with the rootfs prefix stripped */
	bool ro;
	struct fs_job job;
};

struct filesystem_state {
	struct rx *mp_include, *mp_exclude, *fs_include, *fs_exclude;
	double timeout;
	struct fs_pool *pool;
	struct fs_mount *mounts;
	size_t mountcap;
	struct fs_job **queue;
	uint32_t *seen; /* dedup table: index+1 into mounts, 0 empty */
	size_t seencap;
};

static double now_mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void pool_free(struct fs_pool *p)
{
	for (size_t i = 0; i < p->nstuck; i++)
		free(p->stuck[i]);
	free(p->stuck);
	pthread_cond_destroy(&p->work);
	pthread_cond_destroy(&p->done);
	pthread_mutex_destroy(&p->mu);
	free(p);
}

static size_t stuck_find(const struct fs_pool *p, const char *label)
{
	for (size_t i = 0; i < p->nstuck; i++)
		if (strcmp(p->stuck[i], label) == 0)
			return i;
	return SIZE_MAX;
}

static void stuck_add(struct fs_pool *p, const char *label)
{
	if (stuck_find(p, label) != SIZE_MAX)
		return;
	if (p->nstuck == p->stuckcap) {
		size_t cap = p->stuckcap ? p->stuckcap * 2 : 8;
		char **s = realloc(p->stuck, cap * sizeof *s);
		if (!s)
			return;
		p->stuck = s;
		p->stuckcap = cap;
	}
	char *copy = strdup(label);
	if (copy)
		p->stuck[p->nstuck++] = copy;
}

static void stuck_remove(struct fs_pool *p, const char *label)
{
	size_t i = stuck_find(p, label);
	if (i == SIZE_MAX)
		return;
	free(p->stuck[i]);
	p->stuck[i] = p->stuck[--p->nstuck];
}

static void *worker_main(void *arg)
{
	struct fs_slot *slot = arg;
	struct fs_pool *p = slot->pool;
	sigset_t all;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);

	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (!p->stopping && p->next >= p->queued)
			pthread_cond_wait(&p->work, &p->mu);
		if (p->stopping)
			break;
		struct fs_job *job = p->queue[p->next++];
		job->state = JOB_RUNNING;
		job->started = now_mono();
		job->slot = slot;
		slot->job = job;
		strf(slot->key, sizeof slot->key, "%s", job->label);
		pthread_mutex_unlock(&p->mu);

		struct statfs sb;
		int err = 0;
		if (host_path(slot->path, sizeof slot->path, slot->key) < 0)
			err = ENAMETOOLONG;
		else if (p->statfs_fn(slot->path, &sb) < 0)
			err = errno;

		pthread_mutex_lock(&p->mu);
		if (slot->abandoned) {
			log_debug("Mount point has recovered, monitoring will resume", "mountpoint",
				  slot->key, NULL);
			stuck_remove(p, slot->key);
			break;
		}
		job->err = err;
		if (!err) {
			double bsize = (double)sb.f_bsize;
			job->size = (double)sb.f_blocks * bsize;
			job->free = (double)sb.f_bfree * bsize;
			job->avail = (double)sb.f_bavail * bsize;
			job->files = (double)sb.f_files;
			job->files_free = (double)sb.f_ffree;
		}
		job->state = JOB_DONE;
		slot->job = NULL;
		if (--p->pending == 0)
			pthread_cond_signal(&p->done);
	}
	p->threads--;
	if (!slot->abandoned)
		p->active--;
	bool last = p->orphaned && p->threads == 0;
	pthread_cond_broadcast(&p->done);
	pthread_mutex_unlock(&p->mu);
	free(slot);
	if (last)
		pool_free(p);
	return NULL;
}

/* Start workers until target are active; called with the lock held. Returns active. */
static size_t pool_fill(struct fs_pool *p)
{
	while (p->active < p->target) {
		struct fs_slot *slot = calloc(1, sizeof *slot);
		if (!slot)
			break;
		slot->pool = p;
		pthread_attr_t attr;
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		pthread_attr_setstacksize(&attr, 256 * 1024);
		pthread_t t;
		int rc = pthread_create(&t, &attr, worker_main, slot);
		pthread_attr_destroy(&attr);
		if (rc) {
			free(slot);
			break;
		}
		p->active++;
		p->threads++;
	}
	return p->active;
}

/* Give up on a running job; called with the lock held. */
static void abandon(struct fs_pool *p, struct fs_job *job)
{
	struct fs_slot *slot = job->slot;
	log_debug("Mount point timed out, it is being labeled as stuck and will not be monitored",
		  "mountpoint", job->label, NULL);
	slot->abandoned = true;
	slot->job = NULL;
	job->state = JOB_TIMEOUT;
	p->active--;
	p->pending--;
	stuck_add(p, slot->key);
	pool_fill(p); /* a fresh worker takes the blocked one's place */
}

/*
 * A job running this long makes the scrape wake one more worker for the
 * rest of the queue: one worker does all the (fast) calls in the common
 * case, saving thread switches, while slow mounts still get parallelism.
 */
#define SPREAD_AFTER 0.005

/*
 * Run the queued jobs and wait until each finished, timed out after
 * timeout seconds of running, or the scrape deadline came.
 */
static int pool_run(struct fs_pool *p, struct fs_job **jobs, size_t n, double timeout,
		    double deadline)
{
	pthread_mutex_lock(&p->mu);
	if (n && pool_fill(p) == 0) {
		pthread_mutex_unlock(&p->mu);
		return -1;
	}
	p->queue = jobs;
	p->queued = n;
	p->next = 0;
	p->pending = n;
	if (n)
		pthread_cond_signal(&p->work);
	while (p->pending > 0) {
		double now = now_mono(), wake = deadline;
		bool late = now >= deadline, slow = false;
		for (size_t i = 0; i < n; i++) {
			struct fs_job *j = jobs[i];
			if (j->state == JOB_QUEUED) {
				if (late) {
					j->state = JOB_CANCELLED;
					p->pending--;
				} else if (now + timeout < wake) {
					/* It starts later, so it cannot time out before this. */
					wake = now + timeout;
				}
			} else if (j->state == JOB_RUNNING) {
				if (late || now - j->started >= timeout) {
					abandon(p, j);
				} else {
					if (j->started + timeout < wake)
						wake = j->started + timeout;
					slow |= now - j->started >= SPREAD_AFTER;
				}
			}
		}
		if (late) {
			p->queued = p->next; /* nothing more starts */
			break;
		}
		if (p->pending == 0)
			break;
		if (p->next < p->queued) {
			if (slow)
				pthread_cond_signal(&p->work);
			if (now + SPREAD_AFTER < wake)
				wake = now + SPREAD_AFTER;
		}
		struct timespec ts;
		ts.tv_sec = (time_t)wake;
		ts.tv_nsec = (long)((wake - (double)ts.tv_sec) * 1e9);
		if (ts.tv_nsec >= 1000000000L)
			ts.tv_nsec = 999999999L;
		pthread_cond_timedwait(&p->done, &p->mu, &ts);
	}
	p->queue = NULL;
	p->queued = p->next = 0;
	pthread_mutex_unlock(&p->mu);
	return 0;
}

static struct fs_pool *pool_new(size_t workers)
{
	struct fs_pool *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->work, &ca);
	pthread_cond_init(&p->done, &ca);
	pthread_condattr_destroy(&ca);
	p->statfs_fn = node_filesystem_statfs;
	p->target = workers;
	return p;
}

/*
 * Stop the pool without waiting for workers blocked in statfs: idle ones
 * exit at once; if blocked ones remain, the last of them frees the pool.
 */
static void pool_stop(struct fs_pool *p)
{
	pthread_mutex_lock(&p->mu);
	p->stopping = true;
	pthread_cond_broadcast(&p->work);
	/* Idle workers leave within microseconds; don't hang on anything else. */
	double until = now_mono() + 2;
	while (p->active > 0 && now_mono() < until) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_nsec += 50 * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&p->done, &p->mu, &ts);
	}
	bool free_now = p->threads == 0;
	p->orphaned = !free_now;
	pthread_mutex_unlock(&p->mu);
	if (free_now)
		pool_free(p);
}

static void filesystem_fini(void *state)
{
	struct filesystem_state *st = state;
	if (!st)
		return;
	if (st->pool)
		pool_stop(st->pool);
	rx_free(st->mp_include);
	rx_free(st->mp_exclude);
	rx_free(st->fs_include);
	rx_free(st->fs_exclude);
	free(st->mounts);
	free(st->queue);
	free(st->seen);
	free(st);
}

/* upstream's include/exclude rules for one pair of flags; returns -1 with err. */
static int make_filter(int fexcl, int fold, int fincl, const char *what, struct rx **include,
		       struct rx **exclude, char *err, size_t errlen)
{
	const char *excl = *(const char **)filesystem_flags[fexcl].dest;
	const char *old = *(const char **)filesystem_flags[fold].dest;
	const char *incl = *(const char **)filesystem_flags[fincl].dest;
	bool excl_set = filesystem_flags[fexcl].set;
	if (old[0]) {
		if (excl_set) {
			strf(err, errlen, "--%s and --%s are mutually exclusive",
				 filesystem_flags[fold].name, filesystem_flags[fexcl].name);
			return -1;
		}
		log_warn("deprecated flag, use the new name", "flag", filesystem_flags[fold].name,
			 "replacement", filesystem_flags[fexcl].name, NULL);
		excl = old;
	}
	if (incl[0] && !excl_set) {
		log_debug("exclude flag not set when include flag is set, assuming include is desired",
			  "what", what, NULL);
		excl = "";
	}
	if (excl[0] && incl[0]) {
		strf(err, errlen, "--%s and --%s are mutually exclusive", filesystem_flags[fexcl].name,
			 filesystem_flags[fincl].name);
		return -1;
	}
	char rxerr[300];
	if (excl[0] && !(*exclude = rx_compile(excl, rxerr, sizeof rxerr))) {
		strf(err, errlen, "invalid %s exclude regex: %s", what, rxerr);
		return -1;
	}
	if (incl[0] && !(*include = rx_compile(incl, rxerr, sizeof rxerr))) {
		strf(err, errlen, "invalid --%s: %s", filesystem_flags[fincl].name, rxerr);
		return -1;
	}
	return 0;
}

static int filesystem_init(void **state, char *err, size_t errlen)
{
	struct filesystem_state *st = calloc(1, sizeof *st);
	if (!st) {
		strf(err, errlen, "out of memory");
		return -1;
	}
	if (make_filter(F_MP_EXCLUDE, F_MP_OLD, F_MP_INCLUDE, "mount points", &st->mp_include,
			&st->mp_exclude, err, errlen) < 0 ||
	    make_filter(F_FS_EXCLUDE, F_FS_OLD, F_FS_INCLUDE, "fs types", &st->fs_include,
			&st->fs_exclude, err, errlen) < 0) {
		filesystem_fini(st);
		return -1;
	}
	if (!(mount_timeout_flag > 0)) {
		strf(err, errlen, "--collector.filesystem.mount-timeout must be positive");
		filesystem_fini(st);
		return -1;
	}
	st->timeout = mount_timeout_flag;
	long workers = stat_workers_flag < 1 ? 1 : stat_workers_flag > 1024 ? 1024 : stat_workers_flag;
	if (!(st->pool = pool_new((size_t)workers))) {
		strf(err, errlen, "out of memory");
		filesystem_fini(st);
		return -1;
	}
	*state = st;
	return 0;
}

/* The text Go's syscall.Errno.Error() gives, which upstream puts in device_error. */
static void errno_text(int err, char *dst, size_t cap)
{
	if (err == ESTALE) {
		strf(dst, cap, "stale NFS file handle");
		return;
	}
	char buf[128];
	const char *msg = strerror_r(err, buf, sizeof buf);
	strf(dst, cap, "%s", msg);
	if (dst[0] >= 'A' && dst[0] <= 'Z' && !(dst[1] >= 'A' && dst[1] <= 'Z'))
		dst[0] = (char)(dst[0] - 'A' + 'a');
}

static uint64_t hash_str(uint64_t h, const char *s)
{
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return (h ^ 0xff) * 1099511628211ull;
}

static bool same_series(const struct fs_mount *a, const char *aerr, const struct fs_mount *b,
			const char *berr)
{
	return !strcmp(a->m.source, b->m.source) && !strcmp(a->label, b->label) &&
	       !strcmp(a->m.fstype, b->m.fstype) && !strcmp(aerr, berr) &&
	       a->m.major == b->m.major && a->m.minor == b->m.minor;
}

/* device_error text of a mount after its job (or the stuck check). */
static const char *mount_error(const struct fs_mount *mt, char *buf, size_t cap)
{
	switch (mt->job.state) {
	case JOB_DONE:
		if (!mt->job.err)
			return "";
		errno_text(mt->job.err, buf, cap);
		return buf;
	default:
		return "mountpoint timeout";
	}
}

static int filesystem_collect(struct scrape *s, struct expo *e)
{
	struct filesystem_state *st = s->state;
	char path[4096];
	struct buf *b = scrape_buf(s);
	int rc = mountinfo_read(s, b, path, sizeof path);
	if (rc < 0)
		return scrape_fail(s, "couldn't read %s: %s", path, strerror(-rc));

	/* Parse and filter the mount table. */
	size_t n = 0;
	char *cur = b->data;
	for (;;) {
		if (n == st->mountcap) {
			size_t cap = st->mountcap ? st->mountcap * 2 : 64;
			struct fs_mount *m = realloc(st->mounts, cap * sizeof *m);
			struct fs_job **q = realloc(st->queue, cap * sizeof *q);
			if (m)
				st->mounts = m;
			if (q)
				st->queue = q;
			if (!m || !q)
				return scrape_fail(s, "out of memory");
			st->mountcap = cap;
		}
		struct fs_mount *mt = &st->mounts[n];
		int r = mountinfo_next(&cur, &mt->m);
		if (r == 0)
			break;
		if (r < 0)
			return scrape_fail(s, "malformed line in %s", path);
		mt->label = rootfs_strip(mt->m.mountpoint);
		if (rx_ignored(st->mp_include, st->mp_exclude, mt->label)) {
			log_debug("Ignoring mount point", "mountpoint", mt->label, NULL);
			continue;
		}
		if (rx_ignored(st->fs_include, st->fs_exclude, mt->m.fstype)) {
			log_debug("Ignoring fs type", "type", mt->m.fstype, NULL);
			continue;
		}
		mt->ro = mount_option(mt->m.options, "ro") || mount_option(mt->m.super_options, "ro") ||
			 mount_option(mt->m.super_options, "emergency_ro");
		mt->job = (struct fs_job){ .label = mt->label, .state = JOB_QUEUED };
		n++;
	}

	/* statfs in the workers, except mounts still stuck from an earlier scrape. */
	size_t nq = 0;
	pthread_mutex_lock(&st->pool->mu);
	for (size_t i = 0; i < n; i++) {
		if (stuck_find(st->pool, st->mounts[i].label) != SIZE_MAX) {
			log_debug("Mount point is in an unresponsive state", "mountpoint",
				  st->mounts[i].label, NULL);
			st->mounts[i].job.state = JOB_TIMEOUT;
		} else {
			st->queue[nq++] = &st->mounts[i].job;
		}
	}
	pthread_mutex_unlock(&st->pool->mu);
	double deadline = now_mono() + scrape_remaining(s);
	if (pool_run(st->pool, st->queue, nq, st->timeout, deadline) < 0)
		return scrape_fail(s, "couldn't start statfs worker threads");

	/* Dedup table: the same labels twice (overmounts) are exported once. */
	size_t want = 16;
	while (want < n * 2)
		want *= 2;
	if (want > st->seencap) {
		uint32_t *t = realloc(st->seen, want * sizeof *t);
		if (!t)
			return scrape_fail(s, "out of memory");
		st->seen = t;
		st->seencap = want;
	}
	memset(st->seen, 0, st->seencap * sizeof *st->seen);

	const char *const labels[] = { "device", "mountpoint", "fstype", "device_error", NULL };
	struct family *fsize = expo_family(e, "node_filesystem_size_bytes", METRIC_GAUGE,
					   "Filesystem size in bytes.", labels);
	struct family *ffree = expo_family(e, "node_filesystem_free_bytes", METRIC_GAUGE,
					   "Free space in bytes, including the root reserve.", labels);
	struct family *favail = expo_family(e, "node_filesystem_avail_bytes", METRIC_GAUGE,
					    "Space available to unprivileged users in bytes.", labels);
	struct family *ffiles = expo_family(e, "node_filesystem_files", METRIC_GAUGE,
					    "Inodes (file nodes) in total.", labels);
	struct family *ffilesfree = expo_family(e, "node_filesystem_files_free", METRIC_GAUGE,
						"Free inodes (file nodes).", labels);
	struct family *fro = expo_family(e, "node_filesystem_readonly", METRIC_GAUGE,
					 "Whether the filesystem is mounted read-only.", labels);
	struct family *ferr = expo_family(e, "node_filesystem_device_error", METRIC_GAUGE,
					  "Whether statfs failed or timed out for the mount (reason in device_error).",
					  labels);
	struct family *finfo = expo_family(e, "node_filesystem_mount_info", METRIC_GAUGE,
					   "Device numbers of each mount.",
					   (const char *const[]){ "device", "major", "minor", "mountpoint",
								  NULL });
	size_t mask = st->seencap - 1;
	for (size_t i = 0; i < n; i++) {
		struct fs_mount *mt = &st->mounts[i];
		char ebuf[160], obuf[160];
		const char *err = mount_error(mt, ebuf, sizeof ebuf);
		uint64_t h = hash_str(hash_str(hash_str(hash_str(14695981039346656037ull, mt->m.source),
							mt->label),
					       mt->m.fstype),
				      err) ^
			     ((uint64_t)mt->m.major << 32 | mt->m.minor);
		bool dup = false;
		size_t k = (size_t)h & mask;
		for (; st->seen[k]; k = (k + 1) & mask) {
			const struct fs_mount *o = &st->mounts[st->seen[k] - 1];
			if (same_series(mt, err, o, mount_error(o, obuf, sizeof obuf))) {
				dup = true;
				break;
			}
		}
		if (dup)
			continue;
		st->seen[k] = (uint32_t)(i + 1);

		const char *dev = mt->m.source, *mp = mt->label, *type = mt->m.fstype;
		bool failed = *err != '\0';
		/* Stuck mounts are reported as upstream does, without the ro check. */
		bool ro = mt->job.state == JOB_DONE && mt->ro;
		expo_sample(e, ferr, failed ? 1 : 0, dev, mp, type, err);
		expo_sample(e, fro, ro ? 1 : 0, dev, mp, type, err);
		if (failed)
			continue;
		expo_sample(e, fsize, mt->job.size, dev, mp, type, err);
		expo_sample(e, ffree, mt->job.free, dev, mp, type, err);
		expo_sample(e, favail, mt->job.avail, dev, mp, type, err);
		expo_sample(e, ffiles, mt->job.files, dev, mp, type, err);
		expo_sample(e, ffilesfree, mt->job.files_free, dev, mp, type, err);
		char maj[16], min[16];
		strf(maj, sizeof maj, "%u", mt->m.major);
		strf(min, sizeof min, "%u", mt->m.minor);
		expo_sample(e, finfo, 1, dev, maj, min, mp);
	}
	return COLLECT_OK;
}

const struct collector_def collector_filesystem = {
	.name = "filesystem",
	.default_enabled = true,
	.flags = filesystem_flags,
	.nflags = sizeof filesystem_flags / sizeof filesystem_flags[0],
	.init = filesystem_init,
	.collect = filesystem_collect,
	.fini = filesystem_fini,
};
