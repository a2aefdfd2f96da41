/*
 * tapestats: I/O statistics of SCSI tape drives, from
 * /sys/class/scsi_tape/st<N>/stats/. Devices matching
 * --collector.tapestats.ignored-devices are left out.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/exporter.h"
#include "../../common/hostfs.h"
#include "../../common/parse.h"
#include "../../common/rx.h"
#include "../../common/sysfs.h"

static const char *tape_ignored = "^$";

static struct flag tape_flags[] = {
	{ .name = "collector.tapestats.ignored-devices", .type = FLAG_STRING, .dest = &tape_ignored,
	  .def = "^$", .help = "Regexp of tape devices the tapestats collector leaves out." },
};

enum { T_IN_FLIGHT, T_IO_NS, T_OTHER, T_READ_BYTES, T_READ_CNT, T_READ_NS, T_RESID, T_WRITE_BYTES, T_WRITE_CNT, T_WRITE_NS, T_NUM };

static const struct {
	const char *file, *metric, *help;
	enum metric_type type;
	double scale;
} tape_stats[T_NUM] = {
	{ "in_flight", "node_tape_io_now", "I/Os currently outstanding to the tape drive.", METRIC_GAUGE, 1 },
	{ "io_ns", "node_tape_io_time_seconds_total",
	  "Time spent waiting for all I/O to the tape drive, tape movement included, in seconds.", METRIC_COUNTER,
	  1e-9 },
	{ "other_cnt", "node_tape_io_others_total", "I/Os issued to the tape drive other than reads and writes.",
	  METRIC_COUNTER, 1 },
	{ "read_byte_cnt", "node_tape_read_bytes_total", "Bytes read from the tape drive.", METRIC_COUNTER, 1 },
	{ "read_cnt", "node_tape_reads_completed_total", "Read requests issued to the tape drive.", METRIC_COUNTER, 1 },
	{ "read_ns", "node_tape_read_time_seconds_total", "Time spent waiting for reads to complete, in seconds.",
	  METRIC_COUNTER, 1e-9 },
	{ "resid_cnt", "node_tape_residual_total",
	  "Reads or writes that ended with a non-zero residual count (block size mismatch or incomplete write).",
	  METRIC_COUNTER, 1 },
	{ "write_byte_cnt", "node_tape_written_bytes_total", "Bytes written to the tape drive.", METRIC_COUNTER, 1 },
	{ "write_cnt", "node_tape_writes_completed_total", "Write requests issued to the tape drive.", METRIC_COUNTER,
	  1 },
	{ "write_ns", "node_tape_write_time_seconds_total", "Time spent waiting for writes to complete, in seconds.",
	  METRIC_COUNTER, 1e-9 },
};

struct tape {
	const char *name;
	uint64_t v[T_NUM];
};

static int tape_init(void **state, char *err, size_t errlen)
{
	char msg[300];
	struct rx *rx = rx_compile(tape_ignored, msg, sizeof msg);
	if (!rx) {
		strf(err, errlen, "invalid --collector.tapestats.ignored-devices: %s", msg);
		return -1;
	}
	*state = rx;
	return 0;
}

static void tape_fini(void *state)
{
	rx_free(state);
}

/* "st" followed by digits only (upstream's ^st\d+$). */
static bool tape_name(const char *name)
{
	if (strncmp(name, "st", 2) != 0 || !name[2])
		return false;
	for (const char *p = name + 2; *p; p++)
		if (*p < '0' || *p > '9')
			return false;
	return true;
}

static int tape_read(struct scrape *s, const char *dir, struct tape *t)
{
	char stats[4096], path[4096], value[SYSFS_VAL];
	if (pathf(stats, sizeof stats, "%s/%s/stats", dir, t->name) < 0)
		return scrape_fail(s, "path too long");
	struct sysfs_dir d;
	int rc = collect_list(s, stats, &d);
	if (rc != COLLECT_OK)
		return rc;
	for (size_t i = 0; i < d.n; i++) {
		if (pathf(path, sizeof path, "%s/%s", stats, d.ents[i].name) < 0) {
			rc = scrape_fail(s, "path too long");
			break;
		}
		/* Upstream reads every file of the directory, known or not. */
		ssize_t n = sysfs_attr(s, path, value, sizeof value);
		if (n < 0) {
			rc = scrape_fail(s, "couldn't read %s: %s", path, strerror((int)-n));
			break;
		}
		for (size_t k = 0; k < T_NUM; k++) {
			if (strcmp(d.ents[i].name, tape_stats[k].file) != 0)
				continue;
			if (sysfs_parse_uint(value, &t->v[k]) < 0)
				rc = scrape_fail(s, "invalid value '%s' in %s", value, path);
			break;
		}
		if (rc < 0)
			break;
	}
	sysfs_dir_free(&d);
	return rc;
}

static int tapestats_collect(struct scrape *s, struct expo *e)
{
	const struct rx *ignored = s->state;
	char dir[4096];
	if (sys_path(dir, sizeof dir, "class/scsi_tape") < 0)
		return scrape_fail(s, "path too long");
	struct sysfs_dir d;
	int rc = collect_list(s, dir, &d);
	if (rc != COLLECT_OK)
		return rc;

	/* All tapes or none, as upstream. */
	struct tape *tapes = calloc(d.n ? d.n : 1, sizeof *tapes);
	size_t nt = 0;
	if (!tapes) {
		sysfs_dir_free(&d);
		return scrape_fail(s, "out of memory");
	}
	for (size_t i = 0; i < d.n; i++) {
		if (!tape_name(d.ents[i].name) || rx_match(ignored, d.ents[i].name))
			continue;
		tapes[nt].name = d.ents[i].name;
		rc = tape_read(s, dir, &tapes[nt]);
		if (rc != COLLECT_OK)
			goto out;
		nt++;
	}
	for (size_t k = 0; k < T_NUM; k++) {
		struct family *f = expo_family(e, tape_stats[k].metric, tape_stats[k].type, tape_stats[k].help,
					       (const char *const[]){ "device", NULL });
		for (size_t i = 0; i < nt; i++)
			expo_sample(e, f, (double)tapes[i].v[k] * tape_stats[k].scale, tapes[i].name);
	}
	rc = COLLECT_OK;
out:
	free(tapes);
	sysfs_dir_free(&d);
	return rc;
}

const struct collector_def collector_tapestats = {
	.name = "tapestats",
	.default_enabled = true,
	.flags = tape_flags,
	.nflags = sizeof tape_flags / sizeof tape_flags[0],
	.init = tape_init,
	.collect = tapestats_collect,
	.fini = tape_fini,
};
