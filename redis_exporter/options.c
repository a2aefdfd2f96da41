/*
 * redis_exporter's option values and what start-up does with them: refuse
 * bad values, let upstream's logging flags win over --log.*, parse the key
 * lists, load the password file and make the --redis.addr target.
 */
#include <crypt.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "../common/buf.h"
#include "../common/fsread.h"
#include "../common/log.h"
#include "../common/parse.h"
#include "redis.h"

/* Written at start-up only (flags), read by every scrape. */
struct redis_options redis_opts = { .ns = "redis", .config_command = "CONFIG", .empty_databases = true };
struct redis_args redis_args;

/* The logrus level names upstream accepts, mapped to ours. */
static const char *level_of(const char *s)
{
	char low[16];
	size_t i = 0;
	for (; s[i] && i + 1 < sizeof low; i++)
		low[i] = (char)tolower((unsigned char)s[i]);
	low[i] = '\0';
	if (!strcmp(low, "trace") || !strcmp(low, "debug"))
		return "debug";
	if (!strcmp(low, "info"))
		return "info";
	if (!strcmp(low, "warn") || !strcmp(low, "warning"))
		return "warn";
	if (!strcmp(low, "error") || !strcmp(low, "fatal") || !strcmp(low, "panic"))
		return "error";
	return NULL;
}

/* Upstream's logging flags win over --log.* when given. */
static int setup_logging(struct exporter *x, char *err, size_t errlen)
{
	const struct redis_args *a = &redis_args;
	const char *level = NULL, *format = NULL;
	if (a->debug)
		level = "debug";
	else if (flags_find(x->fs, "log-level")->set && *a->log_level) {
		level = level_of(a->log_level);
		if (!level) {
			strf(err, errlen, "invalid --log-level '%.32s'", a->log_level);
			return -1;
		}
	}
	if (flags_find(x->fs, "log-format")->set && *a->log_format) {
		if (!strcmp(a->log_format, "json"))
			format = "json";
		else if (!strcmp(a->log_format, "txt") || !strcmp(a->log_format, "logfmt"))
			format = "logfmt";
		else {
			strf(err, errlen, "invalid --log-format '%.32s' (txt or json)", a->log_format);
			return -1;
		}
	}
	if (level || format) {
		struct flag *lf = flags_find(x->fs, "log.format"), *ll = flags_find(x->fs, "log.level");
		log_setup(level ? level : *(const char **)ll->dest, format ? format : *(const char **)lf->dest);
	}
	return 0;
}

/* A bcrypt hash of a plain --basic-auth-password, so the listener checks it as a web config's. */
static int hash_password(const char *pass, char *hash, size_t hashlen, char *err, size_t errlen)
{
	char salt[64];
	struct crypt_data *cd = calloc(1, sizeof *cd);
	const char *h = cd && crypt_gensalt_rn("$2b$", 10, NULL, 0, salt, sizeof salt) ? crypt_r(pass, salt, cd)
										      : NULL;
	int rc = h && h[0] == '$' && strlen(h) < hashlen ? 0 : -1;
	if (rc == 0)
		strf(hash, hashlen, "%s", h);
	else
		strf(err, errlen, "could not hash --basic-auth-password");
	if (cd)
		secret_wipe(cd, sizeof *cd);
	free(cd);
	return rc;
}

/*
 * Upstream's own listener flags, mapped onto the web configuration
 * (common/webconfig): HTTPS with --tls-server-cert-file and -key-file,
 * basic authentication of one user.
 */
static int setup_listener(struct exporter *x, char *err, size_t errlen)
{
	struct redis_args *a = &redis_args;
	struct webconfig_flags wf = a->listen;
	bool tls = *wf.cert_file || *wf.key_file || *wf.client_ca_file;
	bool auth = *wf.user || *a->auth_password || *wf.bcrypt_hash;
	if (!tls && !auth)
		return 0;
	if (tls && (!*wf.cert_file || !*wf.key_file)) {
		strf(err, errlen, "--tls-server-cert-file and --tls-server-key-file go together");
		return -1;
	}
	static const char *const versions[][2] = {
		{ "TLS1.0", "TLS10" }, { "TLS1.1", "TLS11" }, { "TLS1.2", "TLS12" }, { "TLS1.3", "TLS13" },
	};
	wf.min_version = NULL;
	for (size_t i = 0; tls && i < 4; i++)
		if (!strcmp(a->listen_min_version, versions[i][0]))
			wf.min_version = versions[i][1];
	if (tls && !wf.min_version) {
		strf(err, errlen, "configured minimum TLS version unknown: '%.16s' (--tls-server-min-version)",
		     a->listen_min_version);
		return -1;
	}
	if (*a->auth_password && *wf.bcrypt_hash) {
		strf(err, errlen, "cannot set both basic auth password and basic auth hash password");
		return -1;
	}
	if (auth && (!*wf.user || (!*a->auth_password && !*wf.bcrypt_hash))) {
		strf(err, errlen, "--basic-auth-username needs --basic-auth-password or --basic-auth-hash-password, and they need it");
		return -1;
	}
	char hash[128];
	if (*a->auth_password) {
		if (hash_password(a->auth_password, hash, sizeof hash, err, errlen) < 0)
			return -1;
		wf.bcrypt_hash = hash;
	}
	char werr[400];
	if (webconfig_open_flags(&wf, &x->web_config, werr, sizeof werr) < 0) {
		strf(err, errlen, "%s (from --tls-server-* and --basic-auth-* flags)", werr);
		return -1;
	}
	return 0;
}

/*
 * --check-key-groups is one CSV record (Go's encoding/csv, as upstream):
 * fields split at commas, a field in double quotes may hold commas and
 * "" for a quote, a quote inside an unquoted field is an error. Fields are
 * trimmed and empty ones dropped. The patterns are kept joined by NUL
 * bytes, the one argument the key group script splits.
 */
static int key_groups_parse(const char *s, char *err, size_t errlen)
{
	struct buf b;
	buf_init(&b, 1 << 20);
	size_t n = 0;
	const char *p = s;
	while (*p) {
		struct buf field;
		buf_init(&field, 1 << 16);
		int rc = 0;
		if (*p == '"') {
			for (p++;; p++) {
				if (!*p) {
					strf(err, errlen, "couldn't parse --check-key-groups: extraneous or missing \" in quoted-field");
					buf_free(&field);
					buf_free(&b);
					return -1;
				}
				if (*p == '"' && p[1] == '"')
					rc |= buf_putc(&field, *p++);
				else if (*p == '"')
					break;
				else
					rc |= buf_putc(&field, *p);
			}
			p++;
			if (*p && *p != ',') {
				strf(err, errlen, "couldn't parse --check-key-groups: extraneous or missing \" in quoted-field");
				buf_free(&field);
				buf_free(&b);
				return -1;
			}
		} else {
			size_t len = strcspn(p, ",");
			if (memchr(p, '"', len)) {
				strf(err, errlen, "couldn't parse --check-key-groups: bare \" in non-quoted-field");
				buf_free(&b);
				return -1;
			}
			rc |= buf_append(&field, p, len);
			p += len;
		}
		if (*p == ',')
			p++;
		char *f = field.data ? trim(field.data) : NULL;
		if (f && *f) {
			rc |= buf_append(&b, f, strlen(f) + 1);
			n++;
		}
		buf_free(&field);
		if (rc) {
			strf(err, errlen, "--check-key-groups is too long");
			buf_free(&b);
			return -1;
		}
	}
	redis_opts.nkey_groups = n;
	redis_opts.key_groups_len = n ? b.len - 1 : 0; /* without the last NUL */
	redis_opts.key_groups = n ? buf_detach(&b, NULL) : NULL;
	buf_free(&b);
	return 0;
}

/* --script: every file read now (a missing one stops the start, as upstream). */
static int scripts_load(const char *list, char *err, size_t errlen)
{
	for (const char *p = list; *p;) {
		size_t len = strcspn(p, ",");
		char path[4096];
		strf(path, sizeof path, "%.*s", (int)len, p);
		p += len + (p[len] == ',');
		struct buf b;
		buf_init(&b, 16u << 20);
		int rc = read_whole(path, &b);
		struct rscript *more = rc == 0 ? realloc(redis_opts.scripts, (redis_opts.nscripts + 1) * sizeof *more) : NULL;
		if (!more) {
			strf(err, errlen, "Error loading script files: %s: %s", path, rc < 0 ? strerror(-rc) : "out of memory");
			buf_free(&b);
			return -1;
		}
		redis_opts.scripts = more;
		struct rscript *s = &redis_opts.scripts[redis_opts.nscripts];
		s->len = b.len;
		s->body = buf_detach(&b, NULL);
		s->name = strdup(path);
		if (!s->body || !s->name) {
			free(s->body);
			free(s->name);
			strf(err, errlen, "out of memory");
			return -1;
		}
		redis_opts.nscripts++;
	}
	return 0;
}

int redis_setup(struct exporter *x, char *err, size_t errlen)
{
	const struct redis_args *a = &redis_args;
	const char *ns = redis_opts.ns;
	if (!ns[0] || !(isalpha((unsigned char)ns[0]) || ns[0] == '_') || strlen(ns) > 64) {
		strf(err, errlen, "invalid --namespace '%.64s'", ns);
		return -1;
	}
	for (const char *p = ns; *p; p++) {
		if (!isalnum((unsigned char)*p) && *p != '_') {
			strf(err, errlen, "invalid --namespace '%.64s'", ns);
			return -1;
		}
	}
	x->prefix = ns;
	/* --append-instance-role-label: every family of Redis, not the exporter's counters of its own. */
	static const char *const skip[] = { "exporter_scrapes_total", "exporter_scrape_duration_seconds",
					    "target_scrape_request_errors_total",
					    "exporter_last_scrape_connect_time_seconds",
					    "exporter_last_scrape_ping_time_seconds", "exporter_build_info" };
	strf(redis_opts.role_prefix, sizeof redis_opts.role_prefix, "%s_", ns);
	for (size_t i = 0; i < 6; i++) {
		strf(redis_opts.role_skip_names[i], sizeof redis_opts.role_skip_names[i], "%s_%s", ns, skip[i]);
		redis_opts.role_skip[i] = redis_opts.role_skip_names[i];
	}
	if (redis_opts.timeout <= 0) {
		strf(err, errlen, "--connection-timeout must be positive");
		return -1;
	}
	if (a->batch_size <= 0) {
		strf(err, errlen, "--check-keys-batch-size must be positive");
		return -1;
	}
	redis_opts.check_keys_batch = a->batch_size;
	if (!redis_opts.config_command[0])
		redis_opts.config_command = "CONFIG";
	if (setup_logging(x, err, errlen) < 0)
		return -1;
	if (setup_listener(x, err, errlen) < 0)
		return -1;
	if (a->go_runtime)
		log_warn("--include-go-runtime-metrics: this redis_exporter is written in C and has no Go runtime metrics",
			 NULL);

	struct { const char *s; struct keylist *l; const char *name; } lists[] = {
		{ a->check_keys, &redis_opts.check_keys, "check-keys" },
		{ a->check_single_keys, &redis_opts.check_single_keys, "check-single-keys" },
		{ a->count_keys, &redis_opts.count_keys, "count-keys" },
		{ a->check_streams, &redis_opts.check_streams, "check-streams" },
		{ a->check_single_streams, &redis_opts.check_single_streams, "check-single-streams" },
	};
	for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++) {
		char kerr[256];
		if (keylist_parse(lists[i].s, lists[i].l, kerr, sizeof kerr) < 0) {
			strf(err, errlen, "couldn't parse --%s: %s", lists[i].name, kerr);
			return -1;
		}
	}
	if (redis_opts.max_key_groups < 0) {
		strf(err, errlen, "--max-distinct-key-groups must not be negative");
		return -1;
	}
	if (key_groups_parse(a->key_groups, err, errlen) < 0 || scripts_load(a->scripts, err, errlen) < 0)
		return -1;
	/* Checked only when used, as upstream. */
	if (redis_opts.include_search_indexes) {
		char rerr[200];
		redis_opts.search_indexes = rx_compile(a->search_indexes, rerr, sizeof rerr);
		if (!redis_opts.search_indexes) {
			strf(err, errlen, "invalid check-search-indexes regex \"%.64s\": %s", a->search_indexes, rerr);
			return -1;
		}
	}
	if (redis_opts.export_client_list)
		exporter_enable_collector(x, "clients", true);
	exporter_enable_route(x, "/scrape", !a->disable_scrape);
	if (redis_opts.redis_only)
		exporter_disable_self_metrics(x);

	redis_opts.user = a->user;
	redis_opts.tls_server_name = a->tls_server_name;
	/*
	 * Certificates named by flags are read now, so that a wrong file stops
	 * the start as upstream; without them the system's CA certificates are
	 * loaded at the first rediss:// target (most exporters never need them).
	 */
	const struct rtls_opts *to = &a->tls;
	if (*to->ca_file || *to->cert_file || *to->key_file || to->skip_verify ||
	    has_prefix(a->addr, "rediss://") || has_prefix(a->addr, "valkeys://")) {
		redis_opts.tls = rtls_load(to, err, errlen);
		if (!redis_opts.tls)
			return -1;
	}
	if (*a->password_file) {
		redis_opts.pw = pwfile_load(a->password_file, err, errlen);
		if (!redis_opts.pw)
			return -1;
		log_info("loaded the password file", "path", a->password_file, "entries",
			 pwfile_count(redis_opts.pw) ? "some" : "none", NULL);
	}
	/* An empty --redis.addr scrapes nothing on the telemetry path, as upstream. */
	if (!*a->addr)
		return 0;
	return redis_default_target(x->backend, a->addr, a->user, a->password, err, errlen);
}

void redis_teardown(struct exporter *x)
{
	(void)x;
	pwfile_free(redis_opts.pw);
	redis_opts.pw = NULL;
	rtls_free(redis_opts.tls);
	redis_opts.tls = NULL;
	rx_free(redis_opts.search_indexes);
	redis_opts.search_indexes = NULL;
	keylist_free(&redis_opts.check_keys);
	keylist_free(&redis_opts.check_single_keys);
	keylist_free(&redis_opts.count_keys);
	keylist_free(&redis_opts.check_streams);
	keylist_free(&redis_opts.check_single_streams);
	free(redis_opts.key_groups);
	redis_opts.key_groups = NULL;
	for (size_t i = 0; i < redis_opts.nscripts; i++) {
		free(redis_opts.scripts[i].name);
		free(redis_opts.scripts[i].body);
	}
	free(redis_opts.scripts);
	redis_opts.scripts = NULL;
	redis_opts.nscripts = 0;
}
