/*
 * Kind "diskIO": per-device I/O of the cgroup from io.stat (v2) or the
 * blkio files (v1), in the order libcontainer tries them: BFQ with debug
 * files, BFQ, CFQ, throttling (recursive, then local).
 */
#include <stdlib.h>
#include <string.h>

#include "../../common/parse.h"
#include "../cgparse.h"
#include "../container.h"

/* What libcontainer fills from the v1 files. */
enum blk_stat { B_SECTORS, B_SERVICE_TIME, B_WAIT_TIME, B_MERGED, B_QUEUED, B_TIME, B_SERVICED,
		B_SERVICE_BYTES, B_N };

struct blk_file {
	const char *name;
	enum blk_stat stat;
};

#define MAX_ENTRIES 512

static const struct blk_file bfq_debug[] = {
	{ "blkio.bfq.sectors_recursive", B_SECTORS },
	{ "blkio.bfq.io_service_time_recursive", B_SERVICE_TIME },
	{ "blkio.bfq.io_wait_time_recursive", B_WAIT_TIME },
	{ "blkio.bfq.io_merged_recursive", B_MERGED },
	{ "blkio.bfq.io_queued_recursive", B_QUEUED },
	{ "blkio.bfq.time_recursive", B_TIME },
	{ "blkio.bfq.io_serviced_recursive", B_SERVICED },
	{ "blkio.bfq.io_service_bytes_recursive", B_SERVICE_BYTES },
};
static const struct blk_file bfq[] = {
	{ "blkio.bfq.io_serviced_recursive", B_SERVICED },
	{ "blkio.bfq.io_service_bytes_recursive", B_SERVICE_BYTES },
};
static const struct blk_file cfq[] = {
	{ "blkio.sectors_recursive", B_SECTORS },
	{ "blkio.io_service_time_recursive", B_SERVICE_TIME },
	{ "blkio.io_wait_time_recursive", B_WAIT_TIME },
	{ "blkio.io_merged_recursive", B_MERGED },
	{ "blkio.io_queued_recursive", B_QUEUED },
	{ "blkio.time_recursive", B_TIME },
	{ "blkio.io_serviced_recursive", B_SERVICED },
	{ "blkio.io_service_bytes_recursive", B_SERVICE_BYTES },
};
static const struct blk_file throttle_recursive[] = {
	{ "blkio.throttle.io_serviced_recursive", B_SERVICED },
	{ "blkio.throttle.io_service_bytes_recursive", B_SERVICE_BYTES },
};
static const struct blk_file throttle[] = {
	{ "blkio.throttle.io_serviced", B_SERVICED },
	{ "blkio.throttle.io_service_bytes", B_SERVICE_BYTES },
};

static const struct {
	const struct blk_file *files;
	size_t n;
} groups[] = {
	{ bfq_debug, sizeof bfq_debug / sizeof bfq_debug[0] },
	{ bfq, sizeof bfq / sizeof bfq[0] },
	{ cfq, sizeof cfq / sizeof cfq[0] },
	{ throttle_recursive, sizeof throttle_recursive / sizeof throttle_recursive[0] },
	{ throttle, sizeof throttle / sizeof throttle[0] },
};

struct fams {
	struct family *rbytes, *wbytes, *reads, *writes, *rmerged, *wmerged, *rtime, *wtime,
		*current, *iotime, *usage, *cost[4];
};

struct devs {
	unsigned major[MAX_ENTRIES], minor[MAX_ENTRIES];
	size_t n;
};

static size_t dev_index(struct devs *d, unsigned major, unsigned minor)
{
	for (size_t i = 0; i < d->n; i++)
		if (d->major[i] == major && d->minor[i] == minor)
			return i;
	if (d->n == MAX_ENTRIES)
		return MAX_ENTRIES;
	d->major[d->n] = major;
	d->minor[d->n] = minor;
	return d->n++;
}

/* The value of op for device i in a parsed stat, and whether it is there. */
static bool value_of(const struct blk_entry *e, size_t n, unsigned major, unsigned minor,
		     const char *op, uint64_t *v)
{
	for (size_t k = 0; k < n; k++) {
		if (e[k].major == major && e[k].minor == minor && !strcmp(e[k].op, op)) {
			*v = e[k].value;
			return true;
		}
	}
	return false;
}

/* Parsed files of one cgroup, reused for the next (allocated once per scrape). */
struct scratch {
	struct blk_entry entries[B_N][MAX_ENTRIES];
	struct io_dev iodevs[MAX_ENTRIES];
};

static void v1(struct scan *sc, struct expo *e, struct fams *f, struct cg *cg, int h,
	       struct scratch *w)
{
	struct blk_entry(*entries)[MAX_ENTRIES] = w->entries;
	size_t n[B_N] = { 0 };
	bool have[B_N] = { false };
	struct buf *b = &sc->cx->rd;
	bool none = false;
	for (size_t g = 0; g < sizeof groups / sizeof groups[0] && !none; g++) {
		bool used = false;
		for (size_t i = 0; i < groups[g].n; i++) {
			const struct blk_file *bf = &groups[g].files[i];
			size_t cnt = 0;
			int rc = cg_read(sc, cg, h, bf->name, b);
			if (rc == 0 && cgp_blkio(b->data, entries[bf->stat], MAX_ENTRIES, &cnt) < 0) {
				scan_bad_file(sc, cg, bf->name, "not \"MAJ:MIN [op] value\" lines");
				return;
			}
			/* A missing or empty first file moves on to the next group; a later one ends. */
			if (rc < 0 || cnt == 0) {
				/*
				 * The throttle files list the devices of the cgroup's own
				 * blkgs, recursive or not: an empty recursive one means an
				 * empty local one, which need not be read.
				 */
				none = rc == 0 && groups[g].files == throttle_recursive;
				break;
			}
			used = true;
			n[bf->stat] = cnt > MAX_ENTRIES ? MAX_ENTRIES : cnt;
			have[bf->stat] = true;
		}
		if (used)
			break;
	}
	char dev[80], maj[16], min[16];
	/* Per-device series in the order libcontainer lists the devices. */
	struct {
		enum blk_stat stat;
		const char *op;
		struct family *fam;
		double scale;
	} const series[] = {
		{ B_SERVICE_BYTES, "Read", f->rbytes, 1 },
		{ B_SERVICE_BYTES, "Write", f->wbytes, 1 },
		{ B_SERVICED, "Read", f->reads, 1 },
		{ B_SERVICED, "Write", f->writes, 1 },
		{ B_MERGED, "Read", f->rmerged, 1 },
		{ B_MERGED, "Write", f->wmerged, 1 },
		{ B_SERVICE_TIME, "Read", f->rtime, 1e9 },
		{ B_SERVICE_TIME, "Write", f->wtime, 1e9 },
		{ B_QUEUED, "Total", f->current, 1 },
		/* cAdvisor's io_time is the service time's Total column. */
		{ B_SERVICE_TIME, "Total", f->iotime, 1e9 },
	};
	for (size_t s = 0; s < sizeof series / sizeof series[0]; s++) {
		enum blk_stat st = series[s].stat;
		if (!have[st])
			continue;
		struct devs d = { .n = 0 };
		for (size_t k = 0; k < n[st]; k++)
			dev_index(&d, entries[st][k].major, entries[st][k].minor);
		for (size_t i = 0; i < d.n; i++) {
			uint64_t v;
			if (!value_of(entries[st], n[st], d.major[i], d.minor[i], series[s].op, &v))
				continue;
			device_name(sc->cx, d.major[i], d.minor[i], dev, sizeof dev);
			SAMPLE(sc, e, series[s].fam, cg, (double)v / series[s].scale, dev);
		}
	}
	if (!have[B_SERVICE_BYTES])
		return;
	for (size_t k = 0; k < n[B_SERVICE_BYTES]; k++) {
		const struct blk_entry *be = &entries[B_SERVICE_BYTES][k];
		device_name(sc->cx, be->major, be->minor, dev, sizeof dev);
		strf(maj, sizeof maj, "%u", be->major);
		strf(min, sizeof min, "%u", be->minor);
		SAMPLE(sc, e, f->usage, cg, (double)be->value, dev, maj, min,
		       be->op[0] ? be->op : "Count");
	}
}

static void v2(struct scan *sc, struct expo *e, struct fams *f, struct cg *cg, int h,
	       struct scratch *w)
{
	struct io_dev *iodevs = w->iodevs;
	struct buf *b = &sc->cx->rd;
	size_t n;
	if (cg_read(sc, cg, h, "io.stat", b) < 0)
		return;
	if (cgp_iostat(b->data, iodevs, MAX_ENTRIES, &n) < 0) {
		scan_bad_file(sc, cg, "io.stat", "not \"MAJ:MIN key=value\" lines");
		return;
	}
	if (n > MAX_ENTRIES)
		n = MAX_ENTRIES;
	char dev[80], maj[16], min[16];
	for (size_t i = 0; i < n; i++) {
		const struct io_dev *d = &iodevs[i];
		device_name(sc->cx, d->major, d->minor, dev, sizeof dev);
		strf(maj, sizeof maj, "%u", d->major);
		strf(min, sizeof min, "%u", d->minor);
		if (d->found & 1u << IO_RBYTES) {
			SAMPLE(sc, e, f->rbytes, cg, (double)d->v[IO_RBYTES], dev);
			SAMPLE(sc, e, f->usage, cg, (double)d->v[IO_RBYTES], dev, maj, min, "Read");
		}
		if (d->found & 1u << IO_WBYTES) {
			SAMPLE(sc, e, f->wbytes, cg, (double)d->v[IO_WBYTES], dev);
			SAMPLE(sc, e, f->usage, cg, (double)d->v[IO_WBYTES], dev, maj, min, "Write");
		}
		if (d->found & 1u << IO_RIOS)
			SAMPLE(sc, e, f->reads, cg, (double)d->v[IO_RIOS], dev);
		if (d->found & 1u << IO_WIOS)
			SAMPLE(sc, e, f->writes, cg, (double)d->v[IO_WIOS], dev);
		for (int c = 0; c < 4; c++)
			if (d->found & 1u << (IO_COST_USAGE + c))
				SAMPLE(sc, e, f->cost[c], cg, (double)d->v[IO_COST_USAGE + c] / 1e6, dev);
	}
}

static void collect(struct scan *sc, struct expo *e)
{
	struct fams f;
	f.rbytes = FAMILY(sc, e, "container_fs_reads_bytes_total", METRIC_COUNTER,
			  "Bytes the cgroup read from the device.", "device", NULL);
	f.wbytes = FAMILY(sc, e, "container_fs_writes_bytes_total", METRIC_COUNTER,
			  "Bytes the cgroup wrote to the device.", "device", NULL);
	f.reads = FAMILY(sc, e, "container_fs_reads_total", METRIC_COUNTER,
			 "Read operations of the cgroup completed on the device.", "device", NULL);
	f.writes = FAMILY(sc, e, "container_fs_writes_total", METRIC_COUNTER,
			  "Write operations of the cgroup completed on the device.", "device", NULL);
	f.rmerged = FAMILY(sc, e, "container_fs_reads_merged_total", METRIC_COUNTER,
			   "Read requests of the cgroup merged with adjacent ones.", "device", NULL);
	f.wmerged = FAMILY(sc, e, "container_fs_writes_merged_total", METRIC_COUNTER,
			   "Write requests of the cgroup merged with adjacent ones.", "device", NULL);
	f.rtime = FAMILY(sc, e, "container_fs_read_seconds_total", METRIC_COUNTER,
			 "Time the device spent serving the cgroup's reads, in seconds.", "device", NULL);
	f.wtime = FAMILY(sc, e, "container_fs_write_seconds_total", METRIC_COUNTER,
			 "Time the device spent serving the cgroup's writes, in seconds.", "device",
			 NULL);
	f.current = FAMILY(sc, e, "container_fs_io_current", METRIC_GAUGE,
			   "I/O requests of the cgroup queued for the device.", "device", NULL);
	f.iotime = FAMILY(sc, e, "container_fs_io_time_seconds_total", METRIC_COUNTER,
			  "Time the device spent serving the cgroup's requests, in seconds.", "device",
			  NULL);
	f.usage = FAMILY(sc, e, "container_blkio_device_usage_total", METRIC_COUNTER,
			 "Bytes of I/O of the cgroup on the device, by operation.", "device", "major",
			 "minor", "operation", NULL);
	static const char *const cost_names[4] = {
		"container_fs_io_cost_usage_seconds_total", "container_fs_io_cost_wait_seconds_total",
		"container_fs_io_cost_indebt_seconds_total", "container_fs_io_cost_indelay_seconds_total",
	};
	static const char *const cost_help[4] = {
		"Device time the cgroup used according to the iocost controller, in seconds.",
		"Time the cgroup waited for the iocost controller, in seconds.",
		"Time the cgroup spent in debt to the iocost controller, in seconds.",
		"Time the cgroup was delayed by the iocost controller, in seconds.",
	};
	for (int c = 0; c < 4; c++)
		f.cost[c] = FAMILY(sc, e, cost_names[c], METRIC_COUNTER, cost_help[c], "device", NULL);

	struct scratch *w = malloc(sizeof *w);
	if (!w) {
		sc->failed = true;
		return;
	}
	for (size_t i = 0; i < sc->n && !scan_expired(sc); i++) {
		struct cg *cg = sc->cgs[i];
		if (cg == sc->cx->root && sc->cx->o.disable_root_stats)
			continue;
		int h = cg_hier(sc, cg, CTL_BLKIO);
		if (h < 0)
			continue;
		if (hier_v2(sc, h))
			v2(sc, e, &f, cg, h, w);
		else
			v1(sc, e, &f, cg, h, w);
	}
	free(w);
}

const struct kind_collector collector_diskio = { .kind = K_DISKIO, .collect = collect };
