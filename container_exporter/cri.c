/*
 * Kubernetes names of CRI containers from the runtimes' own state files,
 * without their gRPC APIs: the OCI runtime spec a runtime writes for each
 * container carries the kubelet's facts as annotations.
 *   containerd: /run/containerd/io.containerd.runtime.v2.task/<namespace>/<id>/
 *               config.json (io.kubernetes.cri.* annotations) and init.pid
 *   CRI-O:      /run/containers/storage/overlay-containers/<id>/userdata/
 *               config.json (io.kubernetes.* annotations) and pidfile
 * Both under --path.rootfs.
 */
#include <stdlib.h>
#include <string.h>

#include "../common/parse.h"
#include "container.h"
#include "json.h"

static const char *annotation(struct json *j, yaml_node_t *ann, const char *key)
{
	return json_str(json_get(j, ann, key));
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static void add_label(struct meta *m, const char *key, const char *value)
{
	if (!value)
		return;
	struct kv *v = realloc(m->labels, (m->nlabels + 1) * sizeof *v);
	if (!v)
		return;
	m->labels = v;
	v[m->nlabels].key = strdup(key);
	v[m->nlabels].value = strdup(value);
	if (v[m->nlabels].key && v[m->nlabels].value)
		m->nlabels++;
}

static int read_pid(const char *path)
{
	char text[32];
	int64_t pid;
	if (read_small(path, text, sizeof text) < 0 || parse_i64(text, &pid) < 0 || pid <= 0 ||
	    pid > 0x7fffffff)
		return 0;
	return (int)pid;
}

/* Load config.json of dir into j; returns its annotations mapping or NULL. */
static yaml_node_t *load_spec(struct cx *cx, const char *dir, struct json *j)
{
	char p[4096];
	if (pathf(p, sizeof p, "%s/config.json", dir) < 0 || read_whole(p, &cx->rd) < 0)
		return NULL;
	if (json_parse(j, cx->rd.data, cx->rd.len) < 0)
		return NULL;
	yaml_node_t *ann = json_get(j, json_root(j), "annotations");
	if (!ann) {
		json_free(j);
		return NULL;
	}
	return ann;
}

static bool containerd(struct cx *cx, const char *id, struct meta *m)
{
	/* The task state beside containerd's socket (--containerd), in its namespace. */
	const char *tasks = cx->o.containerd_tasks ? cx->o.containerd_tasks
						   : "run/containerd/io.containerd.runtime.v2.task";
	const char *ns = cx->o.containerd_ns && *cx->o.containerd_ns ? cx->o.containerd_ns : "k8s.io";
	while (*tasks == '/')
		tasks++;
	char dir[4096];
	struct json j;
	if (rootfs_path(dir, sizeof dir, "%s/%s/%s", tasks, ns, id) < 0)
		return false;
	yaml_node_t *ann = load_spec(cx, dir, &j);
	if (!ann)
		return false;
	const char *type = annotation(&j, ann, "io.kubernetes.cri.container-type");
	const char *pod = annotation(&j, ann, "io.kubernetes.cri.sandbox-name");
	if (pod) {
		m->k8s = true;
		m->sandbox = type && !strcmp(type, "sandbox");
		m->pod = strdup(pod);
		m->ns = dup_or_null(annotation(&j, ann, "io.kubernetes.cri.sandbox-namespace"));
		/* The kubelet leaves the sandbox's container label empty with containerd. */
		m->container = dup_or_null(m->sandbox ? "" : annotation(&j, ann, "io.kubernetes.cri.container-name"));
		/* The labels CRI gives containerd's container records. */
		add_label(m, "io.cri-containerd.kind", type);
		add_label(m, "io.kubernetes.pod.name", pod);
		add_label(m, "io.kubernetes.pod.namespace", m->ns);
		add_label(m, "io.kubernetes.pod.uid", annotation(&j, ann, "io.kubernetes.cri.sandbox-uid"));
		if (!m->sandbox)
			add_label(m, "io.kubernetes.container.name", m->container);
	}
	const char *image = annotation(&j, ann, "io.kubernetes.cri.image-name");
	if (image) {
		free(m->image);
		m->image = strdup(image);
	}
	json_free(&j);
	char p[4096];
	if (pathf(p, sizeof p, "%s/init.pid", dir) == 0)
		m->pid = read_pid(p);
	return true;
}

static bool crio(struct cx *cx, const char *id, struct meta *m)
{
	char dir[4096];
	struct json j;
	if (rootfs_path(dir, sizeof dir, "run/containers/storage/overlay-containers/%s/userdata",
		      id) < 0)
		return false;
	yaml_node_t *ann = load_spec(cx, dir, &j);
	if (!ann)
		return false;
	const char *name = annotation(&j, ann, "io.kubernetes.cri-o.Name");
	if (name) {
		free(m->name);
		m->name = strdup(name);
	}
	const char *image = annotation(&j, ann, "io.kubernetes.cri-o.ImageName");
	if (image) {
		free(m->image);
		m->image = strdup(image);
	}
	/* CRI-O keeps the container's labels as a JSON object in one annotation. */
	const char *labels = annotation(&j, ann, "io.kubernetes.cri-o.Labels");
	struct json lj;
	if (labels && json_parse(&lj, labels, strlen(labels)) == 0) {
		yaml_node_t *map = json_root(&lj);
		for (size_t i = 0; i < json_npairs(map); i++) {
			yaml_node_t *k, *v;
			json_pair(&lj, map, i, &k, &v);
			if (json_str(k))
				add_label(m, json_str(k), json_str(v) ? json_str(v) : "");
		}
		json_free(&lj);
	}
	const char *pod = annotation(&j, ann, "io.kubernetes.pod.name");
	if (pod) {
		const char *type = annotation(&j, ann, "io.kubernetes.cri-o.ContainerType");
		m->k8s = true;
		m->sandbox = type && !strcmp(type, "sandbox");
		m->pod = strdup(pod);
		m->ns = dup_or_null(annotation(&j, ann, "io.kubernetes.pod.namespace"));
		const char *cname = annotation(&j, ann, "io.kubernetes.container.name");
		m->container = dup_or_null(cname ? cname : m->sandbox ? "POD" : "");
	}
	json_free(&j);
	char p[4096];
	if (pathf(p, sizeof p, "%s/pidfile", dir) == 0)
		m->pid = read_pid(p);
	return true;
}

bool cri_lookup(struct cx *cx, const char *id, struct meta *m)
{
	if (m->rt == RT_CRIO)
		return crio(cx, id, m);
	if (m->rt == RT_CONTAINERD)
		return containerd(cx, id, m);
	return containerd(cx, id, m) || crio(cx, id, m);
}
