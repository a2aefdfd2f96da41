/*
 * selinux: whether SELinux is enabled and, if so, its configured and
 * current enforcement mode (-1 disabled, 0 permissive, 1 enforcing).
 *
 * As upstream (opencontainers/selinux) this looks at the host the exporter
 * runs on, not at --path.*: SELinux is enabled when a writable selinuxfs is
 * mounted (/sys/fs/selinux, or another mount point found in
 * /proc/self/mountinfo when /proc/filesystems lists selinuxfs) and the
 * process' own label is not "kernel". That is decided once, at start-up,
 * as upstream caches it; the modes are read on every scrape.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <sys/vfs.h>

#include "../../common/exporter.h"
#include "../../common/fsread.h"
#include "../../common/parse.h"

#define SELINUX_MAGIC 0xf97cff8cu

struct selinux_state {
	char mount[4096]; /* "" when SELinux is not enabled */
};

static bool writable_selinuxfs(const char *mnt)
{
	struct statfs sf;
	int rc;
	do
		rc = statfs(mnt, &sf);
	while (rc < 0 && (errno == EINTR || errno == EAGAIN));
	return rc == 0 && (uint32_t)sf.f_type == SELINUX_MAGIC && !(sf.f_flags & ST_RDONLY);
}

/* The selinuxfs mount point into dst, or "" when there is none. */
static void find_selinuxfs(char *dst, size_t cap)
{
	dst[0] = '\0';
	if (writable_selinuxfs("/sys/fs/selinux")) {
		strf(dst, cap, "/sys/fs/selinux");
		return;
	}
	struct buf b;
	buf_init(&b, 16u << 20);
	if (read_whole("/proc/filesystems", &b) < 0 || !strstr(b.data, "\tselinuxfs\n")) {
		buf_free(&b);
		return;
	}
	if (read_whole("/proc/self/mountinfo", &b) == 0) {
		char *cur = b.data, *line;
		while ((line = next_line(&cur))) {
			if (!strstr(line, " - selinuxfs "))
				continue;
			/* The mount point is the fifth space-separated field. */
			char *f[6];
			if (split_on(line, ' ', f, 6) < 6)
				continue;
			if (writable_selinuxfs(f[4])) {
				strf(dst, cap, "%s", f[4]);
				break;
			}
		}
	}
	buf_free(&b);
}

static int selinux_init(void **state, char *err, size_t errlen)
{
	struct selinux_state *st = calloc(1, sizeof *st);
	if (!st) {
		strf(err, errlen, "out of memory");
		return -1;
	}
	find_selinuxfs(st->mount, sizeof st->mount);
	if (st->mount[0]) {
		/* A process labelled "kernel" runs without a loaded policy. */
		char label[256];
		ssize_t n = read_small("/proc/thread-self/attr/current", label, sizeof label);
		if (n >= 0 && !strcmp(label, "kernel"))
			st->mount[0] = '\0';
	}
	*state = st;
	return 0;
}

static void selinux_fini(void *state)
{
	free(state);
}

/* SELINUX= of /etc/selinux/config as upstream reads it: -1 unless enforcing/permissive. */
static int config_mode(void)
{
	struct buf b;
	buf_init(&b, 1u << 20);
	int mode = -1;
	if (read_whole("/etc/selinux/config", &b) == 0) {
		char *cur = b.data, *line;
		while ((line = next_line(&cur))) {
			line = trim(line);
			if (!*line || *line == ';' || *line == '#')
				continue;
			char *eq = strchr(line, '=');
			if (!eq)
				continue;
			*eq = '\0';
			if (strcmp(line, "SELINUX") != 0)
				continue;
			char *v = eq + 1, *end = v + strlen(v);
			while (*v == '"')
				v++;
			while (end > v && end[-1] == '"')
				*--end = '\0';
			mode = !strcmp(v, "enforcing") ? 1 : !strcmp(v, "permissive") ? 0 : -1;
			break;
		}
	}
	buf_free(&b);
	return mode;
}

static int selinux_collect(struct scrape *s, struct expo *e)
{
	struct selinux_state *st = s->state;
	if (!st->mount[0]) {
		expo_single(e, "node_selinux_enabled", METRIC_GAUGE,
			    "1 if SELinux is enabled, else 0.", 0);
		return COLLECT_OK;
	}
	expo_single(e, "node_selinux_enabled", METRIC_GAUGE, "1 if SELinux is enabled, else 0.", 1);
	expo_single(e, "node_selinux_config_mode", METRIC_GAUGE,
		    "SELinux mode configured for boot (-1 disabled, 0 permissive, 1 enforcing).",
		    config_mode());

	/* The enforce file holds the bare number; anything else counts as -1. */
	char path[4200], text[32];
	int64_t mode = -1;
	strf(path, sizeof path, "%s/enforce", st->mount);
	ssize_t n = scrape_read_small(s, path, text, sizeof text);
	if (n >= 0 && parse_i64(text, &mode) < 0)
		mode = -1;
	if (n < 0)
		mode = -1;
	expo_single(e, "node_selinux_current_mode", METRIC_GAUGE,
		    "Current SELinux mode (-1 disabled, 0 permissive, 1 enforcing).", (double)mode);
	return COLLECT_OK;
}

const struct collector_def collector_selinux = {
	.name = "selinux",
	.default_enabled = true,
	.init = selinux_init,
	.collect = selinux_collect,
	.fini = selinux_fini,
};
