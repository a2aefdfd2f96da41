/*
 * One scrape: refresh the tree, choose the cgroups cAdvisor would report,
 * give them their labels (the union of every container's label names, as
 * cAdvisor's collectContainersInfo), and run the collectors of the enabled
 * kinds.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "../common/exporter.h"
#include "../common/hashtab.h"
#include "../common/log.h"
#include "../common/parse.h"
#include "cgparse.h"
#include "container.h"
#include "tree.h"

/* cAdvisor's version info: the kernel and the OS it runs on (its image's os-release). */
static void version_read(struct cx *cx)
{
	struct utsname u;
	strf(cx->kernel_version, sizeof cx->kernel_version, "%s", uname(&u) == 0 ? u.release : "");
	struct buf b;
	buf_init(&b, 1 << 16);
	if (read_whole("/etc/os-release", &b) == 0) {
		char *cur = b.data, *line;
		while ((line = next_line(&cur)) != NULL) {
			if (!has_prefix(line, "PRETTY_NAME="))
				continue;
			char *v = line + 12;
			size_t n = strlen(v);
			if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0]) {
				v[n - 1] = '\0';
				v++;
			}
			strf(cx->os_version, sizeof cx->os_version, "%s", v);
		}
	}
	buf_free(&b);
}

int cx_init(struct cx *cx, const struct cx_opts *o, char *err, size_t errlen)
{
	memset(cx, 0, sizeof *cx);
	cx->o = *o;
	cx->watches.fd = -1;
	cx->host_netdev = -1;
	pthread_mutex_init(&cx->lock, NULL);
	buf_init(&cx->rd, 16u << 20);
	buf_init(&cx->rd2, 1u << 20);
	if (sys_path(cx->cgroot, sizeof cx->cgroot, "fs/cgroup") < 0) {
		strf(err, errlen, "--path.sysfs is too long");
		return -1;
	}
	version_read(cx);
	if (o->docker && *o->docker && !(cx->docker = docker_new(o->docker, o))) {
		strf(err, errlen, "out of memory");
		return -1;
	}
	if (o->podman && *o->podman && !(cx->podman = docker_new(o->podman, o))) {
		strf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

void cx_fini(struct cx *cx)
{
	tree_free(cx);
	watch_close(cx);
	if (cx->host_netdev >= 0)
		close(cx->host_netdev);
	free(cx->all);
	layout_free(&cx->lay);
	docker_free(cx->docker);
	docker_free(cx->podman);
	free(cx->devs);
	buf_free(&cx->rd);
	buf_free(&cx->rd2);
	pthread_mutex_destroy(&cx->lock);
}

/* Directory descriptors the tree may keep: what the descriptor limit leaves for the rest. */
static size_t fd_budget(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY)
		return 4096;
	if (rl.rlim_cur < 1024)
		return rl.rlim_cur / 2;
	rlim_t b = rl.rlim_cur - 512;
	return b > (1u << 20) ? (1u << 20) : (size_t)b;
}

/* cAdvisor's boot time: now minus the uptime, truncated to the minute. */
static double boot_time(double now)
{
	char p[4096], text[128];
	double up;
	if (proc_path(p, sizeof p, "uptime") < 0 || read_small(p, text, sizeof text) < 0)
		return 0;
	char *sp = strchr(text, ' ');
	if (sp)
		*sp = '\0';
	if (parse_double(text, &up) < 0)
		return 0;
	double bt = now - (double)(long long)up;
	return bt - (double)((long long)bt % 60);
}

/* cAdvisor's raw factory: which plain cgroups are reported. */
static bool raw_accepted(const struct cx_opts *o, const char *path)
{
	if (o->docker_only && (o->raw_prefixes.n == 0 || !*o->raw_prefixes.v[0]))
		return false;
	if (o->raw_prefixes.n == 0)
		return true;
	for (size_t i = 0; i < o->raw_prefixes.n; i++)
		if (has_prefix(path, o->raw_prefixes.v[i]))
			return true;
	return false;
}

static bool whitelisted(const struct cx_opts *o, const char *key)
{
	for (size_t i = 0; i < o->label_whitelist.n; i++)
		if (!strcmp(o->label_whitelist.v[i], key))
			return true;
	return false;
}

/* The union of label names: a small open-addressing set over a growing list. */
struct names {
	char **v; /* in order of first sight */
	size_t n, cap;
	struct hashtab index; /* name -> index + 1 */
};

/* Index of name, added if new (when add); -1 on ENOMEM, -2 if absent. */
static long names_add(struct names *ns, const char *name, bool add)
{
	uint64_t h = hash_bytes(name, strlen(name));
	uintptr_t at = (uintptr_t)hashtab_get(&ns->index, name, h);
	if (at)
		return (long)at - 1;
	if (!add)
		return -2;
	if (ns->n == ns->cap) {
		size_t cap = ns->cap ? ns->cap * 2 : 16;
		char **v = realloc(ns->v, cap * sizeof *v);
		if (!v)
			return -1;
		ns->v = v;
		ns->cap = cap;
	}
	char *d = strdup(name);
	if (!d || hashtab_put(&ns->index, d, h, (void *)(uintptr_t)(ns->n + 1)) < 0) {
		free(d);
		return -1;
	}
	ns->v[ns->n] = d;
	return (long)ns->n++;
}

static void names_free(struct names *ns)
{
	for (size_t i = 0; i < ns->n; i++)
		free(ns->v[i]);
	free(ns->v);
	hashtab_free(&ns->index);
}

/* Visit the labels of one cgroup: fn(name, value). */
typedef int (*label_fn)(void *ctx, const char *name, const char *value);

static int cg_labels(const struct cx_opts *o, const struct cg *cg, label_fn fn, void *ctx)
{
	const struct meta *m = &cg->meta;
	int rc = fn(ctx, "id", cg->path);
	if (rc == 0 && m->name && *m->name)
		rc = fn(ctx, "name", m->name);
	if (rc == 0 && m->image && *m->image)
		rc = fn(ctx, "image", m->image);
	char lname[512];
	for (size_t i = 0; rc == 0 && i < m->nlabels; i++) {
		if (!o->store_labels && !whitelisted(o, m->labels[i].key))
			continue;
		sanitize_label(lname, sizeof lname, "container_label_", m->labels[i].key);
		rc = fn(ctx, lname, m->labels[i].value);
	}
	for (size_t i = 0; rc == 0 && i < m->nenvs; i++) {
		sanitize_label(lname, sizeof lname, "container_env_", m->envs[i].key);
		rc = fn(ctx, lname, m->envs[i].value);
	}
	if (rc == 0 && m->k8s && m->pod) {
		rc = fn(ctx, "pod", m->pod);
		if (rc == 0)
			rc = fn(ctx, "namespace", m->ns ? m->ns : "");
		if (rc == 0)
			rc = fn(ctx, "container", m->container ? m->container : "");
	}
	return rc;
}

static int collect_name(void *ctx, const char *name, const char *value)
{
	(void)value;
	return names_add(ctx, name, true) < 0 ? -ENOMEM : 0;
}

struct fill {
	struct names *ns;
	const char **vals;
};

static int fill_value(void *ctx, const char *name, const char *value)
{
	struct fill *f = ctx;
	long i = names_add(f->ns, name, false);
	/* The first of two keys that sanitise to the same name wins, as in cAdvisor. */
	if (i >= 0 && !f->vals[i])
		f->vals[i] = value;
	return 0;
}

/* Kubernetes pod cgroups get the pod and namespace of their containers (kubelet's GetPodByCgroupfs). */
static void pod_names(struct cg **cgs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct cg *pod = cgs[i];
		if (!pod->meta.k8s || pod->runtime || pod->meta.pod)
			continue;
		size_t plen = strlen(pod->path);
		for (size_t j = i + 1; j < n; j++) {
			struct cg *c = cgs[j];
			if (strncmp(c->path, pod->path, plen) != 0 || c->path[plen] != '/')
				break;
			if (c->runtime && c->meta.pod) {
				pod->meta.pod = strdup(c->meta.pod);
				pod->meta.ns = c->meta.ns ? strdup(c->meta.ns) : NULL;
				break;
			}
		}
	}
}

/* Runtime metadata of a cgroup: from its path, then from Docker or the CRI state files. */
static void enrich(struct cx *cx, struct cg *cg, uint64_t docker_gen)
{
	struct meta *m = &cg->meta;
	if (cg->meta_done && (!cg->runtime || (!cx->docker && !cx->podman) || m->version == docker_gen))
		return;
	cg->runtime = meta_from_path(cg->path, m);
	cg->meta_done = true;
	if (!cg->runtime)
		return;
	m->version = docker_gen;
	bool found = false;
	if (cx->docker && (m->rt == RT_DOCKER || m->rt == RT_CRI))
		found = docker_lookup(cx->docker, m->id, m, &cx->o);
	if (!found && cx->podman && m->rt == RT_PODMAN)
		found = docker_lookup(cx->podman, m->id, m, &cx->o);
	if (!found && (m->rt == RT_CONTAINERD || m->rt == RT_CRIO || m->rt == RT_CRI))
		found = cri_lookup(cx, m->id, m);
	/* A runtime writes its state files after creating the cgroup: look again next time. */
	if (!found && m->rt != RT_DOCKER && m->rt != RT_PODMAN && m->rt != RT_SYSTEMD)
		cg->meta_done = false;
}

static void emit_self(struct scan *sc, struct expo *e, bool error)
{
	expo_single(e, "container_scrape_error", METRIC_GAUGE,
		    "1 if reading the cgroups failed in part or whole during this scrape, 0 otherwise.",
		    error ? 1 : 0);
	struct family *f = expo_family(
		e, "cadvisor_version_info", METRIC_GAUGE,
		"A metric with a constant '1' value labeled by kernel version, OS version, docker version, and the version and revision of this exporter (in cAdvisor's label names).",
		(const char *const[]){ "kernelVersion", "osVersion", "dockerVersion", "cadvisorVersion",
				       "cadvisorRevision", NULL });
	expo_sample(e, f, 1, sc->cx->kernel_version, sc->cx->os_version,
		    sc->cx->docker ? docker_version(sc->cx->docker) : "", suite_version, suite_revision);
}

void cx_scrape(struct cx *cx, struct expo *e, int64_t now_ms, double deadline)
{
	pthread_mutex_lock(&cx->lock);
	struct scan sc = {
		.cx = cx,
		.lay = &cx->lay,
		.now_ms = now_ms,
		.now = (double)now_ms / 1000.0,
		.deadline = deadline,
	};
	bool error = false;
	if (cx->lay.mode == MODE_NONE) {
		int rc = layout_detect(&cx->lay, cx->cgroot, cx->o.kinds);
		if (rc < 0 || cx->lay.mode == MODE_NONE) {
			if (!cx->warned_nolayout)
				log_error("no cgroup hierarchy found", "path", cx->cgroot, "err",
					  rc < 0 ? strerror(-rc) : "nothing mounted", NULL);
			cx->warned_nolayout = true;
			error = true;
		} else {
			log_info("cgroup hierarchies found", "path", cx->cgroot, "mode",
				 layout_mode_name(cx->lay.mode), NULL);
		}
	}
	if (!cx->o.fd_budget) {
		/* Directories first; files (kept by the kernel with a page each) a quarter. */
		size_t b = fd_budget();
		cx->o.file_budget = b / 4 < 4096 ? b / 4 : 4096;
		cx->o.fd_budget = b - cx->o.file_budget;
	}
	if (cx->boot_time == 0)
		cx->boot_time = boot_time(sc.now);
	machine_refresh(cx, now_ms);
	cx->gen++;

	struct names ns = { 0 };
	const char **vals = NULL;
	struct cg **acc = NULL;
	if (cx->lay.mode != MODE_NONE) {
		int rc = tree_walk(cx, deadline);
		if (rc < 0) {
			log_error("cgroup discovery failed", "err", strerror(-rc), NULL);
			error = true;
		}
		if (rc == 1)
			sc.truncated = true;
	}
	if (cx->after_walk)
		cx->after_walk(cx);
	/* Directories removed since they were listed (see cg_alive()). */
	watch_drain(cx);
	uint64_t docker_gen = 0;
	if (cx->docker) {
		/* Ask the engine only when some cgroup looks like one of its containers. */
		bool any = false;
		char id[65];
		for (size_t i = 0; i < cx->nall && !any; i++)
			any = container_id_of(cx->all[i]->path, id);
		if (any)
			docker_refresh(cx->docker);
		docker_gen = docker_generation(cx->docker);
	}
	if (cx->podman) {
		bool any = false;
		for (size_t i = 0; i < cx->nall && !any; i++)
			any = strstr(cx->all[i]->base, "libpod-") != NULL;
		if (any)
			docker_refresh(cx->podman);
		docker_gen += docker_generation(cx->podman) << 32;
	}
	acc = malloc((cx->nall ? cx->nall : 1) * sizeof *acc);
	if (!acc) {
		error = true;
		goto out;
	}
	for (size_t i = 0; i < cx->nall; i++) {
		struct cg *cg = cx->all[i];
		enrich(cx, cg, docker_gen);
		bool ok = cg == cx->root || cg->runtime || raw_accepted(&cx->o, cg->path);
		/* Removed since the walk found it: left out whole. */
		if (ok && !cg_alive(&sc, cg))
			continue;
		if (ok && cg->runtime && cg->meta.rt == RT_DOCKER && cx->docker &&
		    docker_reachable(cx->docker) && !cg->meta.pid)
			ok = raw_accepted(&cx->o, cg->path); /* Docker says it is not running */
		if (ok)
			acc[sc.n++] = cg;
	}
	sc.cgs = acc;
	pod_names(acc, sc.n);
	if (cx->lay.unified >= 0 && !(cx->lay.walk & 1u << cx->lay.unified))
		for (size_t i = 0; i < sc.n; i++)
			tree_attach_extra(cx, acc[i]);

	/* Label names: the union over every reported cgroup; values "" where absent. */
	for (size_t i = 0; i < sc.n; i++)
		if (cg_labels(&cx->o, acc[i], collect_name, &ns) < 0)
			goto oom;
	sc.nlabels = ns.n;
	sc.lnames = (const char **)ns.v;
	vals = calloc(sc.n * ns.n + 2 * (ns.n + 6), sizeof *vals);
	if (!vals)
		goto oom;
	sc.vbuf = vals + sc.n * ns.n;
	sc.nbuf = sc.vbuf + ns.n + 6;
	for (size_t i = 0; i < sc.n; i++) {
		struct cg *cg = acc[i];
		cg->lvals = vals + i * ns.n;
		struct fill f = { .ns = &ns, .vals = cg->lvals };
		cg_labels(&cx->o, cg, fill_value, &f);
		for (size_t k = 0; k < ns.n; k++)
			if (!cg->lvals[k])
				cg->lvals[k] = "";
		cg->gen = cx->gen;
	}

	for (size_t i = 0; i < container_ncollectors; i++) {
		const struct kind_collector *k = container_collectors[i];
		if (cx->o.kinds & KIND_BIT(k->kind))
			k->collect(&sc, e);
	}
	collect_spec(&sc, e);
	/* Descriptors of files no collector read this time (kinds or cgroups gone). */
	for (size_t i = 0; i < cx->nall; i++)
		cg_files_sweep(cx, cx->all[i], false);
	goto out;
oom:
	log_error("out of memory building the labels", NULL);
	error = true;
out:
	collect_machine(&sc, e);
	if (sc.truncated && !cx->warned_deadline) {
		char num[32];
		strf(num, sizeof num, "%zu", sc.n);
		log_warn("scrape deadline reached; the remaining cgroups are left out of this scrape",
			 "cgroups", num, NULL);
		cx->warned_deadline = true;
	}
	if (!sc.failed)
		cx->last_bad[0] = '\0';
	emit_self(&sc, e, error || sc.failed || sc.truncated);
	free(vals);
	free(acc);
	names_free(&ns);
	pthread_mutex_unlock(&cx->lock);
}
