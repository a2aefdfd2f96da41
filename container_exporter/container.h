/*
 * container_exporter: cAdvisor's container_* and machine_* metrics read from
 * the cgroup hierarchy on every scrape.
 *
 * A scrape walks the mounted hierarchies (cgroup v2, v1, or v1 beside a
 * cgroup2 mount: "hybrid") through directory descriptors kept between
 * scrapes, merges the directories of one path into one cgroup, derives its
 * labels, then hands the list to one collector per cAdvisor metric kind
 * (kinds/<kind>.c), each of which reads its files relative to the
 * kept descriptors and adds its families. Nothing runs between scrapes.
 */
#ifndef CONTAINER_CONTAINER_H
#define CONTAINER_CONTAINER_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/buf.h"
#include "../common/expo.h"
#include "../common/fsread.h"
#include "../common/hostfs.h"

/* ---- cAdvisor's metric kinds (--enable_metrics / --disable_metrics) ---- */

enum kind {
	K_ADVTCP, K_APP, K_CPU, K_CPULOAD, K_CPU_TOPOLOGY, K_CPUSET, K_DISK, K_DISKIO,
	K_HUGETLB, K_MEMORY, K_MEMORY_NUMA, K_NETWORK, K_OOM_EVENT, K_PERCPU, K_PERF_EVENT,
	K_PRESSURE, K_PROCESS, K_REFERENCED_MEMORY, K_RESCTRL, K_SCHED, K_TCP, K_UDP,
	K_COUNT
};

#define KIND_BIT(k) (1u << (k))

/* cAdvisor's name of a kind ("diskIO"), or NULL. */
const char *kind_name(enum kind k);

/* The kinds of a set as cAdvisor lists them: "cpu,diskIO,memory". */
void kinds_string(unsigned set, char *dst, size_t cap);

/*
 * Parse a comma-separated list of kind names into a bit set. Returns 0, or
 * -1 with the offending name in err.
 */
int kinds_parse(const char *list, unsigned *set, char *err, size_t errlen);

/* ---- the mounted hierarchies ---- */

enum ctl { CTL_CPU, CTL_CPUACCT, CTL_CPUSET, CTL_MEMORY, CTL_BLKIO, CTL_PIDS, CTL_HUGETLB,
	   CTL_DEVICES, CTL_COUNT };

#define MAX_HIER 16

enum cg_mode { MODE_NONE, MODE_V1, MODE_V2, MODE_HYBRID };

struct hierarchy {
	char *dir; /* the mount point, e.g. <sysfs>/fs/cgroup/cpu,cpuacct */
	unsigned ctls; /* bit per enum ctl */
	bool v2;
	bool kernfs; /* a real cgroup mount (not a fixture tree): one getdents lists a directory */
};

struct layout {
	enum cg_mode mode;
	struct hierarchy h[MAX_HIER];
	size_t nh;
	int of[CTL_COUNT]; /* hierarchy that serves each controller, or -1 */
	int unified; /* the cgroup2 hierarchy (PSI, cpu.stat), or -1 */
	uint32_t walk; /* hierarchies whose directories are cgroups */
};

/*
 * Find the hierarchies under <cgroot>: a cgroup2 mount there (v2), or one
 * directory per v1 hierarchy named after its controllers ("cpu,cpuacct"),
 * plus possibly a cgroup2 mount beside them ("unified": hybrid). Only
 * directories whose controllers serve the kinds in `kinds` are walked.
 * Returns 0 (mode NONE if nothing is mounted) or -errno.
 */
int layout_detect(struct layout *lay, const char *cgroot, unsigned kinds);
void layout_free(struct layout *lay);

/* Name of the mode for logs and cadvisor-like info: "v1", "v2", "hybrid". */
const char *layout_mode_name(enum cg_mode m);

/* ---- runtime metadata of one cgroup ---- */

enum runtime { RT_NONE, RT_DOCKER, RT_CONTAINERD, RT_CRIO, RT_PODMAN, RT_CRI, RT_SYSTEMD };

struct kv {
	char *key;
	char *value;
};

struct meta {
	enum runtime rt;
	char id[65]; /* runtime container id (64 characters), or "" */
	char *name; /* cAdvisor's first alias: the `name` label */
	char *image;
	struct kv *labels; /* runtime labels: container_label_* */
	size_t nlabels;
	struct kv *envs; /* whitelisted environment: container_env_* */
	size_t nenvs;
	char *pod, *ns, *container; /* kubelet-style labels (Kubernetes only) */
	bool k8s;
	bool sandbox; /* the pod's sandbox (pause) container: owns the pod network */
	bool shares_netns; /* Docker --network container:X: no network series */
	int pid; /* the container's init process, or 0 */
	double started; /* start time from the runtime, or 0 */
	int health; /* Docker health: 1 healthy, 0 starting/unhealthy, -1 none */
	uint64_t version; /* source version it was built from (Docker cache generation) */
};

void meta_clear(struct meta *m);

/*
 * Derive runtime, id and the path-based name of the cgroup at `path` (the
 * cAdvisor container name, "/" for the root): Docker ("/docker/<id>",
 * "docker-<id>.scope"), containerd ("cri-containerd-<id>.scope"), CRI-O
 * ("crio-<id>.scope"), Podman ("libpod-<id>.scope"), Kubernetes pods under
 * kubepods, systemd units. Returns false for a plain cgroup.
 */
bool meta_from_path(const char *path, struct meta *m);

/* cAdvisor's container id regexp on the last path component. */
bool container_id_of(const char *path, char id[65]);

/* The pod UID of a Kubernetes pod or container cgroup path, or false. */
bool k8s_pod_uid(const char *path, char *uid, size_t cap);

/* cAdvisor's label name sanitising: [^a-zA-Z0-9_] -> '_', into dst. */
void sanitize_label(char *dst, size_t cap, const char *prefix, const char *key);

/* ---- the cgroup tree ---- */

struct cg {
	char *path; /* cAdvisor's container name: "/" or "/a/b" */
	const char *base; /* last component of path */
	struct cg *parent;
	struct cg **kids; /* sorted by base */
	size_t nkids, kcap;
	int fd[MAX_HIER]; /* kept directory descriptor per hierarchy, or -1 */
	uint64_t ino[MAX_HIER]; /* inode of the directory when last listed, 0 never */
	uint32_t here; /* hierarchies in which the directory exists */
	int wd[MAX_HIER]; /* inotify watch of the directory per hierarchy, or 0 (watch.c) */
	uint32_t listed; /* hierarchies whose listing of the directory is current (watched, no event since) */
	uint32_t cfg_changed; /* scrape in which an event said one of its files was written */
	double created; /* cAdvisor's creation time, computed once (0: not yet) */
	struct cgfile {
		const char *name; /* the collector's literal */
		int8_t h; /* hierarchy */
		bool missing; /* ENOENT, remembered */
		int fd; /* kept descriptor, or -1 */
		uint32_t gen; /* last scrape that read it */
		uint32_t missing_since;
	} *files; /* files read through kept descriptors (pread) */
	uint16_t nfiles, capfiles;
	struct meta meta;
	bool meta_done;
	bool runtime; /* a container of a runtime (not a raw cgroup) */
	/* State of this scrape. */
	uint32_t gen; /* scrape in which the values below were set */
	const char **lvals; /* one value per union label name */
	struct cpuspec {
		uint32_t gen; /* scrape that read it */
		bool has_cpu; /* cpu controller directory (v1) / cpu.max (v2) */
		bool has_period, has_shares;
		uint64_t period, shares;
		uint64_t quota; /* cAdvisor's spec quota: 0 when unlimited */
		uint32_t read; /* scrape that last read the files, 0 never */
		int8_t h; /* the hierarchy they were read from */
	} cpu;
	uint32_t extra_checked; /* scrape that last looked for it in the cgroup2 mount (hybrid) */
	int netpid; /* first process, cached between checks every few scrapes */
	uint64_t netns; /* its network namespace */
	uint32_t net_checked; /* scrape of the last check, 0 never */
	uint32_t hier_checked; /* scrape that read memory.use_hierarchy */
	bool use_hierarchy;
	struct memspec {
		uint32_t gen; /* scrape that read it, 0 never */
		int8_t h; /* the hierarchy it was read from */
		bool has_limit, has_swap, has_reservation;
		uint64_t limit, swap, reservation;
	} mem;
};

/* ---- options (flags) and the exporter state ---- */

struct cx_opts {
	unsigned kinds;
	bool docker_only;
	struct strarr {
		size_t n;
		char **v;
	} raw_prefixes, label_whitelist, env_whitelist;
	bool store_labels;
	bool disable_root_stats;
	const char *docker; /* Docker Engine API endpoint, "" for none */
	const char *podman; /* Podman's Docker-compatible API endpoint, "" for none */
	double docker_timeout; /* seconds per Docker API request */
	bool docker_tls; /* TLS client certificate for a tcp:// Docker endpoint */
	const char *docker_ca, *docker_cert, *docker_key;
	const char *containerd_tasks; /* containerd's task state directory, below rootfs */
	const char *containerd_ns; /* containerd namespace of the CRI containers */
	const char *machine_id_files, *boot_id_files; /* comma-separated, below rootfs */
	double machine_interval; /* seconds between machine information reads (0: 300) */
	size_t fd_budget; /* directory descriptors kept between scrapes */
	size_t file_budget; /* file descriptors kept between scrapes */
};

struct docker;

/* The machine's information, read again every --update_machine_info_interval. */
struct machine {
	int64_t read_ms; /* when it was read (0: never): the samples' timestamp */
	char machine_id[128], uuid[128], boot_id[128];
	size_t cores, physical, sockets;
	bool s390x;
	bool have_memory;
	uint64_t memory, swap; /* MemTotal, SwapTotal in bytes */
	struct dimm {
		char type[64];
		uint64_t count, bytes;
	} dimms[16];
	size_t ndimms;
	bool no_nvdimm;
};

/* inotify watches of the walked directories (watch.c). */
struct watches {
	int fd; /* the inotify instance, or -1 */
	bool tried; /* watch_open() ran */
	bool full; /* the watch limit was reached */
	struct wslot {
		int wd; /* 0: free slot */
		int8_t h;
		struct cg *cg;
	} *slots; /* open addressing by wd */
	size_t cap, n;
};

struct cx {
	struct cx_opts o;
	pthread_mutex_t lock; /* one scrape at a time: the tree is shared */
	struct layout lay;
	char cgroot[4096];
	struct cg *root; /* the tree, NULL until the first scrape */
	struct cg **all; /* every cgroup of the last walk, in path order */
	size_t nall, capall;
	size_t nkept; /* directory descriptors kept in the tree */
	size_t nfiles; /* file descriptors kept in the tree */
	uint32_t gen;
	struct watches watches;
	bool relist_all; /* events were lost: list every directory in this walk */
	uint32_t cfg_epoch; /* scrape since which every cgroup's configuration must be read again */
	double boot_time; /* cAdvisor's: now - uptime, truncated to the minute */
	struct machine machine;
	char os_version[256]; /* PRETTY_NAME of our own os-release, read once */
	char kernel_version[128];
	struct docker *docker;
	struct docker *podman;
	struct buf rd; /* file reads of collectors */
	struct buf rd2;
	bool warned_deadline;
	bool warned_nolayout;
	char last_bad[512]; /* the unparsable file last logged */
	uint64_t host_netns; /* the host's network namespace (inode), 0 unknown */
	int host_netdev; /* <procfs>/1/net/dev kept open (the root cgroup's interfaces), or -1 */
	uint32_t host_netns_checked;
	/* Tests: called between the walk and the collectors (a cgroup removed mid-scrape). */
	void (*after_walk)(struct cx *cx);
	struct devname {
		unsigned major, minor;
		char name[64]; /* "/dev/sda", or "" when the kernel names no such device */
	} *devs; /* block device names seen so far */
	size_t ndevs, capdevs;
};

/* Set up from the options (no I/O beyond what the options name). Returns 0 or -1 with err. */
int cx_init(struct cx *cx, const struct cx_opts *o, char *err, size_t errlen);
void cx_fini(struct cx *cx);

/*
 * One scrape into e at wall-clock time now_ms (milliseconds since the
 * epoch), giving up on further cgroups once the monotonic clock passes
 * deadline (seconds, mono_now() scale; 0 for none).
 */
void cx_scrape(struct cx *cx, struct expo *e, int64_t now_ms, double deadline);

/* ---- what a collector sees ---- */

struct scan {
	struct cx *cx;
	const struct layout *lay;
	struct cg **cgs; /* accepted cgroups, in path order */
	size_t n;
	const char **lnames; /* union of label names (id, name, image, ...) */
	size_t nlabels;
	const char **vbuf; /* nlabels + 4 value pointers for one sample */
	const char **nbuf; /* nlabels + 5 name pointers for one family */
	int64_t now_ms;
	double now; /* seconds since the epoch */
	double deadline;
	bool truncated; /* stopped at the deadline */
	bool failed; /* a file could not be parsed (container_scrape_error) */
	unsigned nbad; /* files found unparsable in this scrape */
};

/* A collector: one cAdvisor metric kind, one file in kinds/. */
struct kind_collector {
	enum kind kind;
	void (*collect)(struct scan *sc, struct expo *e);
};

extern const struct kind_collector *const container_collectors[];
extern const size_t container_ncollectors;

/* The families every scrape has: spec, start time, last seen, health; machine_*. */
void collect_spec(struct scan *sc, struct expo *e);
void collect_machine(struct scan *sc, struct expo *e);

/* Read the machine's information if it is older than --update_machine_info_interval. */
void machine_refresh(struct cx *cx, int64_t now_ms);

/*
 * Declare family `name` with the union labels plus the NULL-terminated
 * extra label names (NULL for none).
 */
struct family *scan_family(struct scan *sc, struct expo *e, const char *name,
			   enum metric_type type, const char *help, const char *const *extra);

/*
 * Add one sample of cgroup cg: the union label values, then the extra
 * values. stamped: with the scrape time as sample timestamp, as cAdvisor
 * stamps its stats series.
 */
void scan_sample(struct scan *sc, struct expo *e, struct family *f, const struct cg *cg,
		 double value, bool stamped, const char *const *extra);

/* The extra label values (names) end with NULL; the macros add one for callers that do not. */
#define SAMPLE(sc, e, f, cg, v, ...) \
	scan_sample((sc), (e), (f), (cg), (v), true, (const char *const[]){ __VA_ARGS__, NULL })
#define FAMILY(sc, e, name, type, help, ...) \
	scan_family((sc), (e), (name), (type), (help), (const char *const[]){ __VA_ARGS__, NULL })

/* True once the scrape deadline has passed (checked by collector loops). */
bool scan_expired(struct scan *sc);

/* ---- reading cgroup files ---- */

/* The hierarchy serving controller c for cg if cg exists there, else -1. */
int cg_hier(const struct scan *sc, const struct cg *cg, enum ctl c);

/* False if cg's directory was removed since the walk (it is then left out). */
bool cg_alive(const struct scan *sc, const struct cg *cg);

/* True if hierarchy h is cgroup v2. */
bool hier_v2(const struct scan *sc, int h);

/*
 * Read file `name` of cg's directory in hierarchy h into b (NUL-terminated).
 * Returns 0, -ENOENT (absent, or the cgroup went away), or another -errno.
 */
int cg_read(struct scan *sc, const struct cg *cg, int h, const char *name, struct buf *b);

/*
 * Close the kept file descriptors of cg not read in this scrape (all of
 * them if all: the cgroup was removed or replaced).
 */
void cg_files_sweep(struct cx *cx, struct cg *cg, bool all);

/*
 * True if what was read from cg's files in hierarchy h in scrape read_gen
 * is still current: the directory is watched and no write to its files was
 * seen since (configuration files change only when written). watch.c.
 */
bool cg_cfg_current(const struct cx *cx, const struct cg *cg, int h, uint32_t read_gen);

/*
 * Where to open `name` (NULL: the directory itself) of cg's directory in h
 * from: the kept descriptor of the directory, else of its nearest kept
 * ancestor with the path below it, else the whole path (AT_FDCWD).
 * Returns that descriptor with *rel the path relative to it (name itself,
 * or built in buf), or -ENAMETOOLONG.
 */
int cg_at_dir(const struct layout *lay, const struct cg *cg, int h, const char *name, char *buf,
	      size_t cap, const char **rel);

/*
 * Read a generated (cgroup, proc) file open at fd from offset 0 into b,
 * NUL-terminated, with one pread unless it fills b. Returns 0 or -errno.
 */
int pread_file(int fd, struct buf *b);

/* Read a one-number file; "max" is UINT64_MAX. Returns 0, -ENOENT, -EINVAL or -errno. */
int cg_read_u64(struct scan *sc, const struct cg *cg, int h, const char *name, uint64_t *v);

/* cg's CPU spec (shares, period, quota), read once per scrape. */
const struct cpuspec *cg_cpuspec(struct scan *sc, struct cg *cg);

/* Modification time of cg's directory in h and of one file there (cAdvisor's creation time). */
int cg_mtimes(const struct cg *cg, int h, const char *dir, const char *file, double *dir_mtime,
	      double *file_mtime);

/* Note an unparsable file: logged once per scrape, sets container_scrape_error. */
void scan_bad_file(struct scan *sc, const struct cg *cg, const char *file, const char *why);

/* ---- outside the cgroup tree (paths under --path.*: common/hostfs.h) ---- */

/* MemTotal and SwapTotal of <procfs>/meminfo in bytes. */
bool host_memory(struct cx *cx, uint64_t *mem_total, uint64_t *swap_total);

/* "/dev/<name>" of a block device (cAdvisor's DiskMap), or "" if unknown. */
const char *device_name(struct cx *cx, unsigned major, unsigned minor, char *dst, size_t cap);

/* ---- Docker Engine API (optional) ---- */

/*
 * Connect lazily to endpoint ("unix:///var/run/docker.sock"). NULL
 * endpoint or "" disables. Returns NULL on allocation failure only.
 */
struct docker *docker_new(const char *endpoint, const struct cx_opts *o);
void docker_free(struct docker *d);

/*
 * Refresh the container list if it changed (one request: the list with a
 * content check; inspect only for new or restarted containers) and fill m
 * for container id. Returns true if Docker knows the container.
 */
void docker_refresh(struct docker *d);
bool docker_lookup(struct docker *d, const char *id, struct meta *m, const struct cx_opts *o);

/* Changes whenever the container list changed (metadata must be looked up again). */
uint64_t docker_generation(const struct docker *d);

/* True if the last request reached the engine. */
bool docker_reachable(const struct docker *d);

/* The engine's version for cadvisor_version_info, or "". */
const char *docker_version(struct docker *d);

/* ---- Kubernetes metadata from the runtimes' state files ---- */

/*
 * Fill pod, namespace, container name, image and sandbox flag of a CRI
 * container from containerd's or CRI-O's state files under rootfs.
 * Returns true if found.
 */
bool cri_lookup(struct cx *cx, const char *id, struct meta *m);

#endif
