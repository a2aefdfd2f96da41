/*
 * Kind "network": interface counters of the network namespace the cgroup's
 * processes live in (/proc/<pid>/net/dev shows the namespace of <pid>).
 * cAdvisor reports them for the root cgroup (PID 1) and for runtime
 * containers from the runtime's init PID. Here a cgroup is reported when
 * its first process is in a namespace other than the host's; of several
 * cgroups sharing one namespace (a pod's containers, Docker's
 * --network=container:) only the pod sandbox, or else the cgroup with the
 * oldest process, carries the series, so nothing is counted twice.
 *
 * Which process and namespace a cgroup has is looked up again every eight
 * scrapes (reading cgroup.procs makes the kernel list every member, and
 * the namespace is a lookup in /proc); in between the cached process is
 * used, and a process that went away makes the next scrape look again. An
 * empty cgroup is looked at again when something was written to its files
 * (processes move in by writing cgroup.procs; a v2 cgroup that gets one
 * otherwise notifies cgroup.events), or on every scrape where its
 * directory is not watched.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../common/parse.h"
#include "../cgparse.h"
#include "../container.h"

struct cand {
	struct cg *cg;
	int pid;
	uint64_t ns;
	uint64_t start; /* process start time in clock ticks, read only to break ties */
};

static int cmp_cand(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;
	if (x->ns != y->ns)
		return x->ns < y->ns ? -1 : 1;
	return strcmp(x->cg->path, y->cg->path);
}

static uint64_t netns_of(int pid)
{
	char p[4096];
	struct stat st;
	if (proc_path(p, sizeof p, "%d/ns/net", pid) < 0 || stat(p, &st) < 0)
		return 0;
	return (uint64_t)st.st_ino;
}

/*
 * The host's network namespace: PID 1's, or where PID 1 is shielded (a
 * sandbox denies its ns links) kthreadd's, which kernel threads never leave.
 */
static uint64_t host_netns(void)
{
	uint64_t ns = netns_of(1);
	return ns ? ns : netns_of(2);
}

/* Field 22 of /proc/<pid>/stat: the start time in clock ticks since boot. */
static uint64_t start_of(int pid)
{
	char p[4096], text[1024];
	if (proc_path(p, sizeof p, "%d/stat", pid) < 0 || read_small(p, text, sizeof text) < 0)
		return UINT64_MAX;
	char *rp = strrchr(text, ')');
	if (!rp)
		return UINT64_MAX;
	char *f[24];
	/* After "(comm)": field 3 is the first, so the start time is the 20th. */
	if (split_fields(rp + 1, f, 24) < 20)
		return UINT64_MAX;
	uint64_t v;
	return parse_u64(f[19], &v) == 0 ? v : UINT64_MAX;
}

/* The hierarchy whose cgroup.procs lists the cgroup's processes. */
static int procs_hier(struct scan *sc, struct cg *cg)
{
	int h = cg_hier(sc, cg, CTL_CPU);
	if (h < 0)
		h = cg_hier(sc, cg, CTL_MEMORY);
	for (int k = 0; h < 0 && k < (int)sc->lay->nh; k++)
		if (cg->here & 1u << k)
			h = k;
	return h;
}

/* The first process of the cgroup, from its cgroup.procs. */
static int first_pid(struct scan *sc, struct cg *cg, int h)
{
	struct buf *b = &sc->cx->rd2;
	size_t count;
	int first;
	if (h < 0 || cg_read(sc, cg, h, "cgroup.procs", b) < 0 || cgp_procs(b->data, &count, &first) < 0)
		return 0;
	return first;
}

/*
 * /proc/<pid>/net/dev. PID 1's (the root cgroup's, read on every scrape)
 * stays open: the open walks procfs and the namespace's directory, which
 * costs more than the read. Others are opened each time, so that a
 * process gone leaves no namespace held open.
 */
static int read_netdev(struct cx *cx, int pid, struct buf *b)
{
	char p[4096];
	if (proc_path(p, sizeof p, "%d/net/dev", pid) < 0)
		return -ENAMETOOLONG;
	if (pid != 1)
		return read_whole(p, b);
	if (cx->host_netdev < 0 && (cx->host_netdev = open(p, O_RDONLY | O_CLOEXEC)) < 0)
		return -errno;
	int rc = pread_file(cx->host_netdev, b);
	if (rc < 0) {
		close(cx->host_netdev);
		cx->host_netdev = -1;
	}
	return rc;
}

static void emit(struct scan *sc, struct expo *e, struct family **f, struct cg *cg, int pid)
{
	struct buf *b = &sc->cx->rd;
	if (read_netdev(sc->cx, pid, b) < 0) {
		cg->net_checked = 0; /* the process is gone: look again next time */
		return;
	}
	struct netif ifs[64];
	size_t n;
	if (cgp_netdev(b->data, ifs, 64, &n) < 0) {
		scan_bad_file(sc, cg, "net/dev", "not the /proc/net/dev table");
		return;
	}
	if (n > 64)
		n = 64;
	for (size_t i = 0; i < n; i++) {
		const struct netif *x = &ifs[i];
		const uint64_t v[8] = { x->rx_bytes, x->rx_packets, x->rx_dropped, x->rx_errors,
					x->tx_bytes, x->tx_packets, x->tx_dropped, x->tx_errors };
		for (int k = 0; k < 8; k++)
			SAMPLE(sc, e, f[k], cg, (double)v[k], x->name);
	}
}

static void collect(struct scan *sc, struct expo *e)
{
	static const char *const names[8][2] = {
		{ "container_network_receive_bytes_total", "Bytes received on the interface." },
		{ "container_network_receive_packets_total", "Packets received on the interface." },
		{ "container_network_receive_packets_dropped_total",
		  "Received packets dropped on the interface." },
		{ "container_network_receive_errors_total", "Receive errors on the interface." },
		{ "container_network_transmit_bytes_total", "Bytes transmitted on the interface." },
		{ "container_network_transmit_packets_total",
		  "Packets transmitted on the interface." },
		{ "container_network_transmit_packets_dropped_total",
		  "Transmitted packets dropped on the interface." },
		{ "container_network_transmit_errors_total", "Transmit errors on the interface." },
	};
	struct family *f[8];
	for (int k = 0; k < 8; k++)
		f[k] = FAMILY(sc, e, names[k][0], METRIC_COUNTER, names[k][1], "interface", NULL);

	struct cx *cx = sc->cx;
	if (!cx->host_netns || cx->gen - cx->host_netns_checked >= 8) {
		cx->host_netns = host_netns();
		cx->host_netns_checked = cx->gen;
	}
	uint64_t host = cx->host_netns;
	struct cand *c = malloc((sc->n ? sc->n : 1) * sizeof *c);
	if (!c) {
		sc->failed = true;
		return;
	}
	size_t nc = 0;
	for (size_t i = 0; i < sc->n && !scan_expired(sc); i++) {
		struct cg *cg = sc->cgs[i];
		if (cg == cx->root) {
			if (!cx->o.disable_root_stats)
				emit(sc, e, f, cg, 1);
			continue;
		}
		if (cg->meta.shares_netns)
			continue;
		int pid;
		uint64_t ns;
		int h = procs_hier(sc, cg);
		bool recent = cg->net_checked && cx->gen - cg->net_checked < 8;
		if (cg->meta.pid > 0 ? recent && cg->netpid == cg->meta.pid
				     : (recent && cg->netpid > 0) ||
					       /* Empty until something is written to its files. */
					       (!cg->netpid && cg_cfg_current(cx, cg, h, cg->net_checked))) {
			pid = cg->netpid;
			ns = cg->netns;
		} else {
			pid = cg->meta.pid > 0 ? cg->meta.pid : first_pid(sc, cg, h);
			ns = pid > 0 ? netns_of(pid) : 0;
			cg->netpid = pid;
			cg->netns = ns;
			cg->net_checked = cx->gen;
		}
		if (pid <= 0)
			continue;
		/* Without the host's namespace to compare with, trust only a runtime's PID. */
		if (!ns || ns == host || (!host && cg->meta.pid <= 0))
			continue;
		c[nc++] = (struct cand){ .cg = cg, .pid = pid, .ns = ns };
	}
	qsort(c, nc, sizeof *c, cmp_cand);
	for (size_t i = 0; i < nc;) {
		size_t j = i + 1;
		while (j < nc && c[j].ns == c[i].ns)
			j++;
		size_t best = i;
		bool sandbox = false;
		for (size_t k = i; k < j && j - i > 1 && !sandbox; k++)
			if (c[k].cg->meta.sandbox) {
				best = k;
				sandbox = true;
			}
		if (j - i > 1 && !sandbox) {
			for (size_t k = i; k < j; k++)
				c[k].start = start_of(c[k].pid);
			for (size_t k = i + 1; k < j; k++)
				if (c[k].start < c[best].start)
					best = k;
		}
		emit(sc, e, f, c[best].cg, c[best].pid);
		i = j;
	}
	free(c);
}

const struct kind_collector collector_network = { .kind = K_NETWORK, .collect = collect };
