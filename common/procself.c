/* process_* metrics of the exporter itself, as client_golang's process collector. */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "exporter.h"
#include "fsread.h"
#include "parse.h"

/*
 * Read-only after the first scrape: the boot time, and descriptors of
 * /proc/self/stat (pread is safe from several threads) and /proc/self/fd
 * (re-listed under fd_dir_lock: listing moves the shared offset).
 */
static double boot_time;
static int stat_fd = -1;
static int fd_dir = -1;
static pthread_mutex_t fd_dir_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static void init_self(void)
{
	struct buf b;
	buf_init(&b, 1 << 20);
	if (read_whole("/proc/stat", &b) == 0) {
		char *cur = b.data, *line;
		while ((line = next_line(&cur))) {
			char *f[3];
			uint64_t v;
			if (split_fields(line, f, 3) == 2 && !strcmp(f[0], "btime") && parse_u64(f[1], &v) == 0)
				boot_time = (double)v;
		}
	}
	buf_free(&b);
	stat_fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
	fd_dir = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

/* Open descriptors, the one kept for this listing included (upstream counts its own too). */
static double open_fds(void)
{
	char chunk[8192];
	long n = 0;
	pthread_mutex_lock(&fd_dir_lock);
	if (fd_dir < 0 || lseek(fd_dir, 0, SEEK_SET) < 0) {
		pthread_mutex_unlock(&fd_dir_lock);
		return -1;
	}
	for (;;) {
		long got = syscall(SYS_getdents64, fd_dir, chunk, sizeof chunk);
		if (got <= 0) {
			if (got < 0)
				n = 0;
			break;
		}
		/* struct linux_dirent64: ino (8), off (8), reclen (2), type (1), name */
		for (long pos = 0; pos < got;) {
			unsigned short reclen;
			memcpy(&reclen, chunk + pos + 16, sizeof reclen);
			if (chunk[pos + 19] != '.')
				n++;
			pos += reclen;
		}
	}
	pthread_mutex_unlock(&fd_dir_lock);
	return n ? (double)n : -1;
}

static double limit_of(int resource)
{
	struct rlimit rl;
	if (getrlimit(resource, &rl) < 0)
		return -1;
	/* RLIM_INFINITY is reported as the largest uint64, as upstream does. */
	return (double)rl.rlim_cur;
}

void process_metrics(struct expo *e)
{
	pthread_once(&init_once, init_self);

	char stat[1024];
	ssize_t n = stat_fd < 0 ? -1 : pread(stat_fd, stat, sizeof stat - 1, 0);
	if (n > 0)
		stat[n] = '\0';
	char *paren = n > 0 ? strrchr(stat, ')') : NULL;
	char *f[24];
	/* Fields after "pid (comm)": index 0 is the state (field 3 of proc(5)). */
	if (paren && split_fields(paren + 1, f, 24) >= 22) {
		uint64_t utime, stime, start, vsize, rss;
		double hz = (double)sysconf(_SC_CLK_TCK);
		double page = (double)sysconf(_SC_PAGESIZE);
		if (parse_u64(f[11], &utime) == 0 && parse_u64(f[12], &stime) == 0)
			expo_single(e, "process_cpu_seconds_total", METRIC_COUNTER,
				    "Total user and system CPU time spent in seconds.",
				    (double)(utime + stime) / hz);
		if (parse_u64(f[19], &start) == 0 && boot_time > 0)
			expo_single(e, "process_start_time_seconds", METRIC_GAUGE,
				    "Start time of the process since unix epoch in seconds.",
				    boot_time + (double)start / hz);
		if (parse_u64(f[20], &vsize) == 0)
			expo_single(e, "process_virtual_memory_bytes", METRIC_GAUGE,
				    "Virtual memory size in bytes.", (double)vsize);
		if (parse_u64(f[21], &rss) == 0)
			expo_single(e, "process_resident_memory_bytes", METRIC_GAUGE,
				    "Resident memory size in bytes.", (double)rss * page);
	}
	double fds = open_fds();
	if (fds >= 0)
		expo_single(e, "process_open_fds", METRIC_GAUGE, "Number of open file descriptors.", fds);
	double max_fds = limit_of(RLIMIT_NOFILE);
	if (max_fds >= 0)
		expo_single(e, "process_max_fds", METRIC_GAUGE,
			    "Maximum number of open file descriptors.", max_fds);
	double max_vm = limit_of(RLIMIT_AS);
	if (max_vm >= 0)
		expo_single(e, "process_virtual_memory_max_bytes", METRIC_GAUGE,
			    "Maximum amount of virtual memory available in bytes.", max_vm);
}
