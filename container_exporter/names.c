/*
 * What a cgroup path says about its container: the runtime, the container
 * id, the Kubernetes pod, the systemd unit; and cAdvisor's label name
 * sanitising.
 */
#include <stdlib.h>
#include <string.h>

#include "../common/parse.h"
#include "container.h"

void meta_clear(struct meta *m)
{
	free(m->name);
	free(m->image);
	for (size_t i = 0; i < m->nlabels; i++) {
		free(m->labels[i].key);
		free(m->labels[i].value);
	}
	free(m->labels);
	for (size_t i = 0; i < m->nenvs; i++) {
		free(m->envs[i].key);
		free(m->envs[i].value);
	}
	free(m->envs);
	free(m->pod);
	free(m->ns);
	free(m->container);
	memset(m, 0, sizeof *m);
	m->health = -1;
}

static bool idchar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/*
 * cAdvisor's container regexp ([a-z0-9]{64}) on a path component: the
 * leftmost run of 64 such characters. Returns its start or NULL.
 */
static const char *find_id(const char *s, size_t len)
{
	size_t run = 0;
	for (size_t i = 0; i < len; i++) {
		run = idchar(s[i]) ? run + 1 : 0;
		if (run == 64)
			return s + i - 63;
	}
	return NULL;
}

static bool starts(const char *s, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);
	return len >= n && !memcmp(s, prefix, n);
}

static bool ends(const char *s, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);
	return len >= n && !memcmp(s + len - n, suffix, n);
}

/* True if a path component is Kubernetes' pod cgroup ("pod<uid>" or "kubepods-...-pod<uid>.slice"). */
static bool pod_component(const char *c, size_t len, char *uid, size_t cap)
{
	const char *u = NULL;
	size_t ulen = 0;
	if (starts(c, len, "pod") && len > 3 && !ends(c, len, ".slice")) {
		u = c + 3;
		ulen = len - 3;
	} else if (starts(c, len, "kubepods-") && ends(c, len, ".slice")) {
		const char *p = NULL;
		for (size_t i = 0; i + 3 < len; i++)
			if (!memcmp(c + i, "pod", 3) && (i == 0 || c[i - 1] == '-'))
				p = c + i;
		if (!p)
			return false;
		u = p + 3;
		ulen = (size_t)(c + len - 6 - u); /* up to ".slice" */
	} else {
		return false;
	}
	if (ulen == 0 || ulen >= cap)
		return false;
	for (size_t i = 0; i < ulen; i++) {
		char ch = u[i];
		/* The systemd driver escapes the UID's dashes as underscores. */
		if (ch == '_')
			ch = '-';
		if (!(idchar(ch) || ch == '-'))
			return false;
		uid[i] = ch;
	}
	uid[ulen] = '\0';
	return true;
}

bool k8s_pod_uid(const char *path, char *uid, size_t cap)
{
	if (!strstr(path, "kubepods"))
		return false;
	const char *p = path;
	while (*p) {
		while (*p == '/')
			p++;
		size_t len = strcspn(p, "/");
		if (len && pod_component(p, len, uid, cap))
			return true;
		p += len;
	}
	return false;
}

static bool set_str(char **dst, const char *s, size_t n)
{
	char *d = strndup(s, n);
	if (!d)
		return false;
	free(*dst);
	*dst = d;
	return true;
}

bool container_id_of(const char *path, char id[65])
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	const char *p = find_id(base, strlen(base));
	if (!p)
		return false;
	memcpy(id, p, 64);
	id[64] = '\0';
	return true;
}

bool meta_from_path(const char *path, struct meta *m)
{
	meta_clear(m);
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	size_t blen = strlen(base);
	if (!blen)
		return false;
	const char *parent_end = base > path ? base - 1 : path;
	size_t plen = (size_t)(parent_end - path);

	/* Podman's split cgroup: ".../libpod-<id>.scope/container" is the container. */
	const char *comp = base;
	size_t clen = blen;
	bool podman_inner = false;
	if (!strcmp(base, "container") && plen) {
		const char *pb = path;
		for (const char *q = path; q < parent_end; q++)
			if (*q == '/')
				pb = q + 1;
		size_t pblen = (size_t)(parent_end - pb);
		if (starts(pb, pblen, "libpod-") && ends(pb, pblen, ".scope")) {
			comp = pb;
			clen = pblen;
			podman_inner = true;
		}
	}

	const char *id = find_id(comp, clen);
	if (id && !starts(comp, clen, "crio-conmon-") && !starts(comp, clen, "libpod-conmon-")) {
		memcpy(m->id, id, 64);
		m->id[64] = '\0';
		if (starts(comp, clen, "docker-"))
			m->rt = RT_DOCKER;
		else if (starts(comp, clen, "cri-containerd-"))
			m->rt = RT_CONTAINERD;
		else if (starts(comp, clen, "crio-"))
			m->rt = RT_CRIO;
		else if (starts(comp, clen, "libpod-") || podman_inner)
			m->rt = RT_PODMAN;
		else if (strstr(path, "kubepods"))
			m->rt = RT_CRI;
		else if (plen == 7 && !memcmp(path, "/docker", 7))
			m->rt = RT_DOCKER;
		else
			m->rt = RT_CONTAINERD; /* containerd's cgroupfs layout: /<namespace>/<id> */
		char uid[64];
		m->k8s = k8s_pod_uid(path, uid, sizeof uid);
		/* Without the runtime's own name, cAdvisor's alias for containerd: the id. */
		return set_str(&m->name, m->id, 64);
	}
	/* A systemd unit that runs something (not a slice, not a mount): named after the unit. */
	static const char *const unit_suffixes[] = { ".service", ".scope", ".socket", ".swap" };
	for (size_t i = 0; i < sizeof unit_suffixes / sizeof unit_suffixes[0]; i++) {
		if (ends(base, blen, unit_suffixes[i]) && blen > strlen(unit_suffixes[i])) {
			/* Named, but a plain cgroup for --docker_only. */
			m->rt = RT_SYSTEMD;
			set_str(&m->name, base, blen);
			return false;
		}
	}
	char uid[64];
	if (pod_component(base, blen, uid, sizeof uid) && strstr(path, "kubepods"))
		m->k8s = true; /* a pod cgroup: pod and namespace come from its containers */
	return false;
}

void sanitize_label(char *dst, size_t cap, const char *prefix, const char *key)
{
	if (!cap)
		return;
	size_t o = 0;
	for (const char *s = prefix; *s && o + 1 < cap; s++)
		dst[o++] = *s;
	for (const unsigned char *s = (const unsigned char *)key; *s && o + 1 < cap; s++) {
		unsigned char c = *s;
		/* Go's regexp replaces a whole UTF-8 character by one '_'. */
		if (c >= 0x80 && c < 0xc0 && s != (const unsigned char *)key && s[-1] >= 0x80)
			continue;
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			  c == '_';
		dst[o++] = ok ? (char)c : '_';
	}
	dst[o] = '\0';
}
