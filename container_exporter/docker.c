/*
 * Docker Engine API client (libcurl, unix socket or TCP): container names,
 * images, labels, environment, init PIDs and health for the labels and the
 * network series of Docker containers.
 *
 * Each scrape asks for the list of running containers (one request; it
 * carries names, images, labels and health). A container is inspected
 * only when it is new, when its list entry changed (state, creation,
 * health), or when its cached init process is gone (a restart): its PID,
 * start time, environment and network mode do not change otherwise.
 *
 * libcurl is loaded (dlopen) the first time an engine is there to talk to:
 * a host without Docker, the common Kubernetes node, never maps it and its
 * dependencies (a quarter of the exporter's resident memory).
 */
#include <curl/curl.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "../common/exporter.h"
#include "../common/log.h"
#include "../common/parse.h"
#include "container.h"
#include "json.h"

struct dcont {
	char id[65];
	char key[256]; /* what the list said: state, creation, health */
	char *name, *image;
	struct kv *labels;
	size_t nlabels;
	char **env; /* "KEY=value" */
	size_t nenv;
	int pid;
	double started;
	int health;
	bool netshare;
	bool seen;
};

struct docker {
	char *url_base; /* "http://localhost" or "http://host:port" */
	char *socket; /* unix socket path, or NULL */
	double timeout;
	bool tls;
	const char *ca, *cert, *key; /* --docker-tls-* files */
	CURL *curl;
	struct buf body;
	struct dcont *c;
	size_t n, cap;
	uint64_t gen;
	bool reachable;
	bool logged_down;
	char version[64];
	bool have_version;
};

/* The libcurl functions used, from libcurl.so.4. */
static struct {
	bool tried, ok;
	CURLcode (*global_init)(long);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
	CURLcode (*easy_perform)(CURL *);
	CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
	const char *(*easy_strerror)(CURLcode);
	void (*easy_reset)(CURL *);
	void (*easy_cleanup)(CURL *);
} lc;

/* Load libcurl once (scrapes are serialised, so no lock). Returns false if it is not installed. */
static bool curl_load(void)
{
	if (lc.tried)
		return lc.ok;
	lc.tried = true;
	void *h = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		log_error("cannot load libcurl: no Docker or Podman metadata", "err", dlerror(), NULL);
		return false;
	}
#define SYM(field, name) (*(void **)(&lc.field) = dlsym(h, name))
	if (!SYM(global_init, "curl_global_init") || !SYM(easy_init, "curl_easy_init") ||
	    !SYM(easy_setopt, "curl_easy_setopt") || !SYM(easy_perform, "curl_easy_perform") ||
	    !SYM(easy_getinfo, "curl_easy_getinfo") || !SYM(easy_strerror, "curl_easy_strerror") ||
	    !SYM(easy_reset, "curl_easy_reset") || !SYM(easy_cleanup, "curl_easy_cleanup")) {
		log_error("libcurl lacks a function: no Docker or Podman metadata", NULL);
		return false;
	}
#undef SYM
	lc.ok = lc.global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
	return lc.ok;
}

struct docker *docker_new(const char *endpoint, const struct cx_opts *o)
{
	struct docker *d = calloc(1, sizeof *d);
	if (!d)
		return NULL;
	d->timeout = o->docker_timeout > 0 ? o->docker_timeout : 2;
	d->tls = o->docker_tls;
	d->ca = o->docker_ca;
	d->cert = o->docker_cert;
	d->key = o->docker_key;
	buf_init(&d->body, 64u << 20);
	if (has_prefix(endpoint, "unix://")) {
		d->socket = strdup(endpoint + 7);
		d->url_base = strdup("http://localhost");
	} else if (has_prefix(endpoint, "tcp://")) {
		size_t n = strlen(endpoint) + 9;
		d->url_base = malloc(n);
		if (d->url_base)
			strf(d->url_base, n, "%s://%s", d->tls ? "https" : "http", endpoint + 6);
	} else {
		d->url_base = strdup(endpoint);
	}
	if (!d->url_base || (has_prefix(endpoint, "unix://") && !d->socket)) {
		docker_free(d);
		return NULL;
	}
	return d;
}

static void dcont_clear(struct dcont *c)
{
	free(c->name);
	free(c->image);
	for (size_t i = 0; i < c->nlabels; i++) {
		free(c->labels[i].key);
		free(c->labels[i].value);
	}
	free(c->labels);
	for (size_t i = 0; i < c->nenv; i++)
		free(c->env[i]);
	free(c->env);
	memset(c, 0, sizeof *c);
}

void docker_free(struct docker *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n; i++)
		dcont_clear(&d->c[i]);
	free(d->c);
	if (d->curl)
		lc.easy_cleanup(d->curl);
	buf_free(&d->body);
	free(d->url_base);
	free(d->socket);
	free(d);
}

uint64_t docker_generation(const struct docker *d)
{
	return d->gen;
}

bool docker_reachable(const struct docker *d)
{
	return d->reachable;
}

const char *docker_version(struct docker *d)
{
	return d->have_version ? d->version : "";
}

static size_t on_body(char *p, size_t size, size_t n, void *ctx)
{
	struct buf *b = ctx;
	return buf_append(b, p, size * n) == 0 ? size * n : 0;
}

/* GET path into d->body; returns 0 for HTTP 200, or -1. */
static int get(struct docker *d, const char *path)
{
	char url[512];
	strf(url, sizeof url, "%s%s", d->url_base, path);
	buf_reset(&d->body);
	/* No socket, no engine: nothing to load or to log (a host without Docker). */
	struct stat st;
	if (d->socket && (stat(d->socket, &st) < 0 || !S_ISSOCK(st.st_mode)))
		return -1;
	if (!d->curl && (!curl_load() || !(d->curl = lc.easy_init())))
		return -1;
	CURL *c = d->curl;
	lc.easy_reset(c);
	lc.easy_setopt(c, CURLOPT_URL, url);
	if (d->socket)
		lc.easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, d->socket);
	lc.easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	lc.easy_setopt(c, CURLOPT_WRITEDATA, &d->body);
	lc.easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)(d->timeout * 1000));
	lc.easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	lc.easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	if (d->tls) {
		lc.easy_setopt(c, CURLOPT_CAINFO, d->ca);
		lc.easy_setopt(c, CURLOPT_SSLCERT, d->cert);
		lc.easy_setopt(c, CURLOPT_SSLKEY, d->key);
	}
	CURLcode rc = lc.easy_perform(c);
	long status = 0;
	lc.easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (rc != CURLE_OK || status != 200) {
		if (!d->logged_down)
			log_warn("Docker Engine API request failed", "url", url, "err",
				 rc != CURLE_OK ? lc.easy_strerror(rc) : "HTTP status not 200", NULL);
		d->logged_down = true;
		return -1;
	}
	if (d->logged_down)
		log_info("Docker Engine API answers again", "url", url, NULL);
	d->logged_down = false;
	if (buf_putc(&d->body, '\0') < 0)
		return -1;
	d->body.len--;
	return 0;
}

static struct dcont *find(struct docker *d, const char *id)
{
	for (size_t i = 0; i < d->n; i++)
		if (!strcmp(d->c[i].id, id))
			return &d->c[i];
	return NULL;
}

/* Seconds since the epoch of an RFC 3339 time ("2024-05-01T10:00:00.123456789Z"), or 0. */
static double rfc3339(const char *s)
{
	if (!s || strlen(s) < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
	    s[16] != ':')
		return 0;
	static const int at[6] = { 0, 5, 8, 11, 14, 17 }, len[6] = { 4, 2, 2, 2, 2, 2 };
	uint64_t v[6];
	for (int i = 0; i < 6; i++)
		if (parse_u64_n(s + at[i], (size_t)len[i], &v[i]) < 0)
			return 0;
	struct tm tm = { .tm_year = (int)v[0] - 1900, .tm_mon = (int)v[1] - 1, .tm_mday = (int)v[2],
			 .tm_hour = (int)v[3], .tm_min = (int)v[4], .tm_sec = (int)v[5] };
	double t = (double)timegm(&tm);
	const char *r = s + 19;
	if (*r == '.') {
		double scale = 0.1;
		for (r++; *r >= '0' && *r <= '9'; r++, scale /= 10)
			t += (*r - '0') * scale;
	}
	uint64_t oh, om;
	if ((*r == '+' || *r == '-') && strlen(r) == 6 && r[3] == ':' &&
	    parse_u64_n(r + 1, 2, &oh) == 0 && parse_u64_n(r + 4, 2, &om) == 0)
		t += (*r == '+' ? -1.0 : 1.0) * (double)(oh * 3600 + om * 60);
	/* Docker's zero time (never started) is before the epoch. */
	return t > 0 ? t : 0;
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static void inspect(struct docker *d, struct dcont *c)
{
	char path[128];
	strf(path, sizeof path, "/containers/%s/json", c->id);
	if (get(d, path) < 0)
		return;
	struct json j;
	if (json_parse(&j, d->body.data, d->body.len) < 0)
		return;
	yaml_node_t *root = json_root(&j);
	yaml_node_t *state = json_get(&j, root, "State");
	yaml_node_t *config = json_get(&j, root, "Config");
	const char *pid = json_str(json_get(&j, state, "Pid"));
	int64_t p;
	c->pid = pid && parse_i64(pid, &p) == 0 && p > 0 && p < 0x7fffffff ? (int)p : 0;
	c->started = rfc3339(json_str(json_get(&j, state, "StartedAt")));
	const char *image = json_str(json_get(&j, config, "Image"));
	if (image) {
		free(c->image);
		c->image = strdup(image);
	}
	const char *mode = json_str(json_get(&j, json_get(&j, root, "HostConfig"), "NetworkMode"));
	c->netshare = mode && has_prefix(mode, "container:");
	yaml_node_t *env = json_get(&j, config, "Env");
	size_t ne = json_len(env);
	for (size_t i = 0; i < c->nenv; i++)
		free(c->env[i]);
	free(c->env);
	c->nenv = 0;
	c->env = ne ? calloc(ne, sizeof *c->env) : NULL;
	for (size_t i = 0; c->env && i < ne; i++) {
		const char *s = json_str(json_at(&j, env, i));
		if (s && (c->env[c->nenv] = strdup(s)) != NULL)
			c->nenv++;
	}
	const char *restarts = json_str(json_get(&j, root, "RestartCount"));
	int64_t rc;
	if (restarts && parse_i64(restarts, &rc) == 0 && rc > 0) {
		/* cAdvisor adds the restart count as a label. */
		struct kv *l = realloc(c->labels, (c->nlabels + 1) * sizeof *l);
		if (l) {
			c->labels = l;
			l[c->nlabels].key = strdup("restartcount");
			l[c->nlabels].value = strdup(restarts);
			if (l[c->nlabels].key && l[c->nlabels].value)
				c->nlabels++;
		}
	}
	json_free(&j);
}

static int health_of(const char *status)
{
	if (!status)
		return -1;
	if (strstr(status, "(healthy)"))
		return 1;
	if (strstr(status, "(unhealthy)") || strstr(status, "(health: starting)"))
		return 0;
	return -1;
}

static bool pid_alive(int pid)
{
	char p[4096];
	struct stat st;
	return proc_path(p, sizeof p, "%d", pid) == 0 && stat(p, &st) == 0;
}

void docker_refresh(struct docker *d)
{
	if (!d->have_version && get(d, "/version") == 0) {
		struct json j;
		if (json_parse(&j, d->body.data, d->body.len) == 0) {
			const char *v = json_str(json_get(&j, json_root(&j), "Version"));
			strf(d->version, sizeof d->version, "%s", v ? v : "");
			d->have_version = true;
			json_free(&j);
		}
	}
	d->reachable = get(d, "/containers/json") == 0;
	if (!d->reachable)
		return;
	struct json j;
	if (json_parse(&j, d->body.data, d->body.len) < 0) {
		log_warn("Docker Engine API: the container list is not JSON", NULL);
		d->reachable = false;
		return;
	}
	/* The list's body is overwritten by the inspections below: copy what is needed first. */
	yaml_node_t *list = json_root(&j);
	size_t n = json_len(list);
	bool changed = false;
	for (size_t i = 0; i < d->n; i++)
		d->c[i].seen = false;
	struct pending {
		char id[65];
		char key[256];
		int health;
		char *name, *image;
		struct kv *labels;
		size_t nlabels;
	} *pend = n ? calloc(n, sizeof *pend) : NULL;
	size_t np = 0;
	for (size_t i = 0; pend && i < n; i++) {
		yaml_node_t *c = json_at(&j, list, i);
		const char *id = json_str(json_get(&j, c, "Id"));
		if (!id || strlen(id) != 64)
			continue;
		struct pending *p = &pend[np++];
		strf(p->id, sizeof p->id, "%s", id);
		const char *status = json_str(json_get(&j, c, "Status"));
		p->health = health_of(status);
		strf(p->key, sizeof p->key, "%s|%s|%d",
		     json_str(json_get(&j, c, "State")) ? json_str(json_get(&j, c, "State")) : "",
		     json_str(json_get(&j, c, "Created")) ? json_str(json_get(&j, c, "Created")) : "",
		     p->health);
		const char *name = json_str(json_at(&j, json_get(&j, c, "Names"), 0));
		p->name = dup_or_null(name && name[0] == '/' ? name + 1 : name);
		p->image = dup_or_null(json_str(json_get(&j, c, "Image")));
		yaml_node_t *labels = json_get(&j, c, "Labels");
		size_t nl = json_npairs(labels);
		p->labels = nl ? calloc(nl, sizeof *p->labels) : NULL;
		for (size_t k = 0; p->labels && k < nl; k++) {
			yaml_node_t *kn, *vn;
			json_pair(&j, labels, k, &kn, &vn);
			const char *ks = json_str(kn), *vs = json_str(vn);
			if (!ks)
				continue;
			p->labels[p->nlabels].key = strdup(ks);
			p->labels[p->nlabels].value = strdup(vs ? vs : "");
			p->nlabels++;
		}
	}
	json_free(&j);
	for (size_t i = 0; i < np; i++) {
		struct pending *p = &pend[i];
		struct dcont *c = find(d, p->id);
		if (!c) {
			if (d->n == d->cap) {
				size_t cap = d->cap ? d->cap * 2 : 16;
				struct dcont *v = realloc(d->c, cap * sizeof *v);
				if (!v)
					goto drop;
				d->c = v;
				d->cap = cap;
			}
			c = &d->c[d->n++];
			memset(c, 0, sizeof *c);
			strf(c->id, sizeof c->id, "%s", p->id);
		}
		c->seen = true;
		if (!strcmp(c->key, p->key) && c->pid > 0 && pid_alive(c->pid))
			goto drop;
		dcont_clear(c);
		strf(c->id, sizeof c->id, "%s", p->id);
		strf(c->key, sizeof c->key, "%s", p->key);
		c->seen = true;
		c->health = p->health;
		c->name = p->name;
		c->image = p->image;
		c->labels = p->labels;
		c->nlabels = p->nlabels;
		p->name = p->image = NULL;
		p->labels = NULL;
		p->nlabels = 0;
		inspect(d, c);
		changed = true;
drop:
		free(p->name);
		free(p->image);
		for (size_t k = 0; k < p->nlabels; k++) {
			free(p->labels[k].key);
			free(p->labels[k].value);
		}
		free(p->labels);
	}
	free(pend);
	/* Containers that stopped leave the cache. */
	size_t out = 0;
	for (size_t i = 0; i < d->n; i++) {
		if (d->c[i].seen) {
			d->c[out++] = d->c[i];
		} else {
			dcont_clear(&d->c[i]);
			changed = true;
		}
	}
	d->n = out;
	if (changed)
		d->gen++;
}

static int copy_kvs(struct kv **dst, size_t *nd, const struct kv *src, size_t n)
{
	*dst = n ? calloc(n, sizeof **dst) : NULL;
	*nd = 0;
	if (n && !*dst)
		return -1;
	for (size_t i = 0; i < n; i++) {
		(*dst)[i].key = strdup(src[i].key);
		(*dst)[i].value = strdup(src[i].value);
		(*nd)++;
		if (!(*dst)[i].key || !(*dst)[i].value)
			return -1;
	}
	return 0;
}

static const char *label(const struct dcont *c, const char *key)
{
	for (size_t i = 0; i < c->nlabels; i++)
		if (!strcmp(c->labels[i].key, key))
			return c->labels[i].value;
	return NULL;
}

bool docker_lookup(struct docker *d, const char *id, struct meta *m, const struct cx_opts *o)
{
	const struct dcont *c = find(d, id);
	if (!c)
		return false;
	/* m holds only what the path said (meta_from_path): labels and envs are empty. */
	free(m->name);
	m->name = dup_or_null(c->name ? c->name : id);
	free(m->image);
	m->image = dup_or_null(c->image);
	copy_kvs(&m->labels, &m->nlabels, c->labels, c->nlabels);
	/* Whitelisted environment variables (by prefix), keys lowercased as cAdvisor. */
	for (size_t i = 0; i < c->nenv; i++) {
		const char *eq = strchr(c->env[i], '=');
		if (!eq)
			continue;
		size_t klen = (size_t)(eq - c->env[i]);
		bool want = false;
		for (size_t w = 0; w < o->env_whitelist.n && !want; w++) {
			size_t wl = strlen(o->env_whitelist.v[w]);
			want = wl && wl <= klen && !strncmp(c->env[i], o->env_whitelist.v[w], wl);
		}
		if (!want)
			continue;
		struct kv *v = realloc(m->envs, (m->nenvs + 1) * sizeof *v);
		if (!v)
			break;
		m->envs = v;
		char *k = strndup(c->env[i], klen);
		for (char *q = k; q && *q; q++)
			if (*q >= 'A' && *q <= 'Z')
				*q = (char)(*q - 'A' + 'a');
		v[m->nenvs].key = k;
		v[m->nenvs].value = strdup(eq + 1);
		if (k && v[m->nenvs].value)
			m->nenvs++;
	}
	m->pid = c->pid;
	m->started = c->started;
	m->health = c->health;
	m->shares_netns = c->netshare;
	/* Kubernetes through dockershim / cri-dockerd: the kubelet's labels. */
	const char *pod = label(c, "io.kubernetes.pod.name");
	if (pod) {
		m->k8s = true;
		free(m->pod);
		free(m->ns);
		free(m->container);
		m->pod = strdup(pod);
		m->ns = dup_or_null(label(c, "io.kubernetes.pod.namespace"));
		const char *type = label(c, "io.kubernetes.docker.type");
		m->sandbox = type && !strcmp(type, "podsandbox");
		m->container = dup_or_null(m->sandbox ? "POD" : label(c, "io.kubernetes.container.name"));
	}
	return true;
}
