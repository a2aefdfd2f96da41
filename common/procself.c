/* process_* metrics of the exporter itself, as client_golang's process collector. */
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exporter.h"
#include "fsread.h"
#include "parse.h"

/*
 * Read-only after the first scrape: the boot time, and descriptors of
 * /proc/self/stat, /proc/self/status and /proc/self/fd (pread and fstat are
 * safe from several threads at once).
 */
static double boot_time;
static int stat_fd = -1;
static int status_fd = -1;
static int fd_dir = -1;
static int netstat_fd = -1;
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
	status_fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	fd_dir = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	netstat_fd = open("/proc/self/net/netstat", O_RDONLY | O_CLOEXEC);
}

/* Size of the descriptor table (FDSize in /proc/self/status), or 0. */
static size_t fd_table_size(void)
{
	char text[4096];
	ssize_t n = status_fd < 0 ? -1 : pread(status_fd, text, sizeof text - 1, 0);
	if (n <= 0)
		return 0;
	text[n] = '\0';
	char *cur = text, *line;
	while ((line = next_line(&cur))) {
		char *f[3];
		uint64_t v;
		if (split_fields(line, f, 3) == 2 && !strcmp(f[0], "FDSize:") && parse_u64(f[1], &v) == 0)
			return v < (1u << 20) ? (size_t)v : 0;
	}
	return 0;
}

/*
 * Open descriptors. Listing /proc/self/fd, as upstream does, costs about
 * 0.3 us per descriptor, and the descriptor caches keep many open. Since
 * Linux 6.2 the size of the /proc/self/fd directory is the count (a bitmap
 * weight in the kernel; it includes fd_dir itself, as upstream's listing
 * includes the descriptor it lists with). Older kernels say 0: then one
 * poll() over the whole table, where slots that are not open come back as
 * POLLNVAL (it calls every open file's poll method: ~0.1 us per cgroup file).
 */
static double open_fds(void)
{
	struct stat st;
	if (fd_dir >= 0 && fstat(fd_dir, &st) == 0 && st.st_size > 0)
		return (double)st.st_size;
	size_t size = fd_table_size();
	if (!size)
		return -1;
	struct pollfd small[1024];
	struct pollfd *p = size <= 1024 ? small : malloc(size * sizeof *p);
	if (!p)
		return -1;
	for (size_t i = 0; i < size; i++) {
		p[i].fd = (int)i;
		p[i].events = 0;
		p[i].revents = 0;
	}
	double n = -1;
	if (poll(p, size, 0) >= 0) {
		n = 0;
		for (size_t i = 0; i < size; i++)
			if (!(p[i].revents & POLLNVAL))
				n++;
	}
	if (p != small)
		free(p);
	return n;
}

static double limit_of(int resource)
{
	struct rlimit rl;
	if (getrlimit(resource, &rl) < 0)
		return -1;
	/* RLIM_INFINITY is reported as the largest uint64, as upstream does. */
	return (double)rl.rlim_cur;
}

/* Spaces in the n bytes at s, eight at a time (the netstat file is 4 kB of them). */
static size_t spaces(const char *s, size_t n)
{
	const uint64_t low7 = 0x7f7f7f7f7f7f7f7full, blank = 0x2020202020202020ull;
	size_t k = 0, i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t w;
		memcpy(&w, s + i, 8);
		w ^= blank; /* a space is now a zero byte */
		uint64_t zero = ~(((w & low7) + low7) | w | low7); /* 0x80 in each zero byte */
		k += (size_t)((zero >> 7) * 0x0101010101010101ull >> 56);
	}
	for (; i < n; i++)
		k += s[i] == ' ';
	return k;
}

/* The value under the field called name: 1, 0 when there is no such field, -1 when unparsable. */
static int netstat_value(const char *names, const char *values, const char *name, double *out)
{
	size_t nlen = strlen(name), idx = 0;
	for (const char *p = names;; idx++) {
		const char *end = strchr(p, ' ');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len == nlen && !memcmp(p, name, nlen))
			break;
		if (!end)
			return 0;
		p = end + 1;
	}
	const char *v = values;
	for (size_t i = 0; i < idx; i++)
		v = strchr(v, ' ') + 1; /* the lines have as many fields (checked) */
	const char *end = strchr(v, ' ');
	return parse_double_n(v, end ? (size_t)(end - v) : strlen(v), out) == 0 ? 1 : -1;
}

int process_netstat_octets(char *text, double *in, double *out)
{
	*in = *out = 0;
	/*
	 * Two of the ~200 numbers are wanted: every pair of lines is checked
	 * to have as many values as names, and only IpExt's values are parsed
	 * (converting all of them was most of the cost of process_* metrics).
	 */
	char *p = text, *end = text + strlen(text);
	while (p < end) {
		char *names = p, *nl = memchr(p, '\n', (size_t)(end - p));
		char *names_end = nl ? nl : end;
		char *values = nl ? nl + 1 : end;
		nl = memchr(values, '\n', (size_t)(end - values));
		char *values_end = nl ? nl : end;
		p = nl ? nl + 1 : end;
		if (spaces(names, (size_t)(names_end - names)) != spaces(values, (size_t)(values_end - values)))
			return -1;
		if ((size_t)(names_end - names) < 7 || memcmp(names, "IpExt: ", 7))
			continue;
		*names_end = *values_end = '\0';
		/* client_golang fails on a value it cannot parse. */
		for (char *v = strchr(values, ' '); v; v = strchr(v + 1, ' ')) {
			char *vend = strchr(v + 1, ' ');
			double d;
			if (parse_double_n(v + 1, vend ? (size_t)(vend - v - 1) : strlen(v + 1), &d) < 0)
				return -1;
		}
		if (netstat_value(names, values, "InOctets", in) < 0 ||
		    netstat_value(names, values, "OutOctets", out) < 0)
			return -1;
	}
	return 0;
}

/* Bytes through the process' network namespace, client_golang's process_network_* (IpExt octets). */
static void network_metrics(struct expo *e)
{
	char text[16384];
	ssize_t n = netstat_fd < 0 ? -1 : pread(netstat_fd, text, sizeof text - 1, 0);
	if (n <= 0 || (size_t)n == sizeof text - 1)
		return;
	text[n] = '\0';
	double in, out;
	if (process_netstat_octets(text, &in, &out) < 0)
		return;
	expo_single(e, "process_network_receive_bytes_total", METRIC_COUNTER,
		    "Bytes received by the process' network namespace.", in);
	expo_single(e, "process_network_transmit_bytes_total", METRIC_COUNTER,
		    "Bytes sent by the process' network namespace.", out);
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
	network_metrics(e);
}
