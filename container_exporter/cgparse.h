/*
 * Parsers of cgroup v1/v2 file formats (Documentation/admin-guide/cgroup-v2.rst,
 * cgroup-v1/ documents) and of /proc/<pid>/net/dev. They work in place on a
 * NUL-terminated buffer and allocate nothing. Each returns 0 or -1 for text
 * that does not have the documented shape; a file is then reported as
 * unparsable and its values are left out, never guessed. The generic
 * shapes (key value lines, key=value fields, limits, MAJ:MIN, PSI) are
 * common/statfile.h's.
 */
#ifndef CONTAINER_CGPARSE_H
#define CONTAINER_CGPARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A single-value file: "123\n"; "max" gives UINT64_MAX. */
int cgp_u64(const char *text, uint64_t *v);

/* A signed single value ("-1" in cpu.cfs_quota_us). */
int cgp_i64(const char *text, int64_t *v);

/*
 * A flat keyed file ("key value" lines: cpu.stat, memory.stat,
 * memory.events, memory.oom_control, cpuacct.stat). vals[i] gets the value
 * of keys[i] and bit i of *found is set; other keys are skipped. A line
 * without exactly two fields, or a wanted key with a value that is not an
 * unsigned integer, fails the file. n <= 64.
 */
int cgp_keyed(char *text, const char *const *keys, size_t n, uint64_t *vals, uint64_t *found);

/* cpuacct.usage_percpu: space-separated counters; at most cap are stored in vals, *n is the count. */
int cgp_list(char *text, uint64_t *vals, size_t cap, size_t *n);

/* cpu.max: "max 100000" or "50000 100000". */
int cgp_cpu_max(char *text, bool *limited, uint64_t *quota, uint64_t *period);

/* v1 blkio files: "MAJ:MIN Op value" lines, "Total value" summary lines skipped. */
struct blk_entry {
	unsigned major, minor;
	char op[16]; /* Read, Write, Sync, Async, Discard, Total (or "" for Count files) */
	uint64_t value;
};
int cgp_blkio(char *text, struct blk_entry *out, size_t cap, size_t *n);

/* v2 io.stat: "MAJ:MIN rbytes=.. wbytes=.. rios=.. wios=.. dbytes=.. dios=.. [cost.usage=..]". */
enum io_field { IO_RBYTES, IO_WBYTES, IO_RIOS, IO_WIOS, IO_COST_USAGE, IO_COST_WAIT,
		IO_COST_INDEBT, IO_COST_INDELAY, IO_NFIELDS };
struct io_dev {
	unsigned major, minor;
	unsigned found; /* bit per enum io_field */
	uint64_t v[IO_NFIELDS];
};
int cgp_iostat(char *text, struct io_dev *out, size_t cap, size_t *n);

/* /proc/<pid>/net/dev, without the interfaces cAdvisor ignores (lo, veth*, docker*, nerdctl*). */
struct netif {
	char name[32];
	uint64_t rx_bytes, rx_packets, rx_errors, rx_dropped;
	uint64_t tx_bytes, tx_packets, tx_errors, tx_dropped;
};
int cgp_netdev(char *text, struct netif *out, size_t cap, size_t *n);

/* cgroup.procs: the number of lines and the first PID (0 if empty). */
int cgp_procs(const char *text, size_t *count, int *first);

#endif
