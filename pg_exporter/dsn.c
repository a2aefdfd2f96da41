/*
 * Data source names: parsing with libpq's own parser (URIs and key=value
 * strings), the environment variables upstream reads, the /probe target
 * syntax, and redaction of passwords from anything we print.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/log.h"
#include "../common/parse.h"
#include "pg.h"

void pgdsn_free(struct pgdsn *d)
{
	for (size_t i = 0; i < d->n; i++) {
		free(d->keys[i]);
		secret_free(d->vals[i]); /* the password is one of them */
	}
	free(d->keys);
	free(d->vals);
	free(d->safe);
	free(d->fingerprint);
	memset(d, 0, sizeof *d);
}

const char *pgdsn_get(const struct pgdsn *d, const char *key)
{
	for (size_t i = 0; i < d->n; i++)
		if (!strcmp(d->keys[i], key))
			return d->vals[i];
	return NULL;
}

int pgdsn_set(struct pgdsn *d, const char *key, const char *val)
{
	char *v = strdup(val);
	if (!v)
		return -1;
	for (size_t i = 0; i < d->n; i++) {
		if (!strcmp(d->keys[i], key)) {
			secret_free(d->vals[i]);
			d->vals[i] = v;
			return 0;
		}
	}
	char *k = strdup(key);
	char **keys = realloc(d->keys, (d->n + 1) * sizeof *keys);
	if (keys)
		d->keys = keys;
	char **vals = keys ? realloc(d->vals, (d->n + 1) * sizeof *vals) : NULL;
	if (vals)
		d->vals = vals;
	if (!k || !keys || !vals) {
		free(k);
		free(v);
		return -1;
	}
	d->keys[d->n] = k;
	d->vals[d->n] = v;
	d->n++;
	return 0;
}

int pgdsn_copy(struct pgdsn *dst, const struct pgdsn *src)
{
	memset(dst, 0, sizeof *dst);
	for (size_t i = 0; i < src->n; i++)
		if (pgdsn_set(dst, src->keys[i], src->vals[i]) < 0)
			goto fail;
	if (pgdsn_describe(dst) < 0)
		goto fail;
	return 0;
fail:
	pgdsn_free(dst);
	return -1;
}

int pgdsn_describe(struct pgdsn *d)
{
	/* Upstream's `server` label: host and port as written, with lib/pq's defaults. */
	const char *host = pgdsn_get(d, "host");
	const char *port = pgdsn_get(d, "port");
	const char *db = pgdsn_get(d, "dbname");
	if (!host || !*host)
		host = "localhost";
	if (!port || !*port)
		port = "5432";
	size_t n = strlen(host) + strlen(port) + 2;
	char *fp = malloc(n);
	char *safe = malloc(n + (db ? strlen(db) : 0) + 1);
	if (!fp || !safe) {
		free(fp);
		free(safe);
		return -1;
	}
	strf(fp, n, "%s:%s", host, port);
	strf(safe, n + (db ? strlen(db) : 0) + 1, "%s/%s", fp, db ? db : "");
	free(d->fingerprint);
	free(d->safe);
	d->fingerprint = fp;
	d->safe = safe;
	return 0;
}

int pgdsn_parse(struct pgdsn *d, const char *conninfo, char *err, size_t errlen)
{
	memset(d, 0, sizeof *d);
	char *perr = NULL;
	PQconninfoOption *opts = PQconninfoParse(conninfo, &perr);
	if (!opts) {
		/* libpq's message quotes the offending part, which may be the password. */
		if (perr)
			secret_wipe(perr, strlen(perr));
		PQfreemem(perr);
		strf(err, errlen, "could not parse the data source name (neither a valid URI nor key=value pairs)");
		return -1;
	}
	int rc = 0;
	for (PQconninfoOption *o = opts; o->keyword && rc == 0; o++)
		if (o->val)
			rc = pgdsn_set(d, o->keyword, o->val);
	for (PQconninfoOption *o = opts; o->keyword; o++)
		if (o->val)
			secret_wipe(o->val, strlen(o->val)); /* libpq's copy of the password */
	PQconninfoFree(opts);
	if (rc == 0)
		rc = pgdsn_describe(d);
	if (rc < 0) {
		pgdsn_free(d);
		strf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

/* upstream's test for a key=value DSN: `^ *[a-zA-Z0-9]+ *= *[^= ]+` */
static bool looks_like_keyvalue(const char *s)
{
	while (*s == ' ')
		s++;
	if (!isalnum((unsigned char)*s))
		return false;
	while (isalnum((unsigned char)*s))
		s++;
	while (*s == ' ')
		s++;
	if (*s++ != '=')
		return false;
	while (*s == ' ')
		s++;
	return *s && *s != '=' && *s != ' ';
}

int pgdsn_parse_target(struct pgdsn *d, const char *target, char *err, size_t errlen)
{
	if (has_prefix(target, "postgresql://") || has_prefix(target, "postgres://"))
		return pgdsn_parse(d, target, err, errlen);
	if (looks_like_keyvalue(target) && pgdsn_parse(d, target, err, errlen) == 0)
		return 0;
	size_t n = strlen(target) + sizeof "postgresql://";
	char *uri = malloc(n);
	if (!uri) {
		strf(err, errlen, "out of memory");
		return -1;
	}
	strf(uri, n, "postgresql://%s", target);
	int rc = pgdsn_parse(d, uri, err, errlen);
	secret_free(uri);
	if (rc < 0)
		strf(err, errlen, "could not understand DSN");
	return rc;
}

/* Read a *_FILE variable's file, trimmed. Returns a malloc'd string or NULL with err. */
static char *read_trimmed(const char *var, const char *path, const char *what, char *err,
			  size_t errlen)
{
	FILE *f = fopen(path, "re");
	if (!f) {
		strf(err, errlen, "failed loading data source %s file %s (from %s): %s", what, path,
			 var, strerror(errno));
		return NULL;
	}
	char *buf = malloc(65536);
	size_t n = buf ? fread(buf, 1, 65535, f) : 0;
	bool bad = buf && ferror(f);
	fclose(f);
	if (!buf || bad) {
		free(buf);
		strf(err, errlen, "failed loading data source %s file %s: read error", what, path);
		return NULL;
	}
	buf[n] = '\0';
	char *t = trim(buf);
	memmove(buf, t, strlen(t) + 1);
	return buf;
}

static char *env_or_file(const char *var, const char *what, bool *failed, char *err, size_t errlen)
{
	char fvar[64];
	strf(fvar, sizeof fvar, "%s_FILE", var);
	const char *path = getenv(fvar);
	if (path && *path) {
		char *v = read_trimmed(fvar, path, what, err, errlen);
		if (!v)
			*failed = true;
		return v;
	}
	const char *v = getenv(var);
	char *copy = strdup(v ? v : "");
	if (!copy) {
		*failed = true;
		strf(err, errlen, "out of memory");
	}
	return copy;
}

void pgsources_free(struct pgsource *src, size_t n)
{
	for (size_t i = 0; src && i < n; i++) {
		pgdsn_free(&src[i].dsn);
		free(src[i].error);
	}
	free(src);
}

/*
 * Parse text into *src; a text libpq cannot parse is kept as an error
 * (connecting to it fails with that message), as upstream only finds out
 * when it connects. Returns 0, or -1 when memory ran out.
 */
static int add_source(struct pgsource *src, const char *var, const char *text)
{
	char perr[256];
	memset(src, 0, sizeof *src);
	if (!*text) {
		strf(perr, sizeof perr, "empty data source");
	} else if (pgdsn_parse(&src->dsn, text, perr, sizeof perr) == 0) {
		return 0;
	}
	char msg[320];
	strf(msg, sizeof msg, "%s: %s", var, perr);
	src->error = strdup(msg);
	return src->error ? 0 : -1;
}

int pgsources_from_env(struct pgsource **out, size_t *n, char *err, size_t errlen)
{
	*out = NULL;
	*n = 0;
	const char *name = getenv("DATA_SOURCE_NAME");
	if (name && *name) {
		/* Upstream splits on every comma; the first is scraped in full, the others in part. */
		size_t count = 1;
		for (const char *p = name; *p; p++)
			count += *p == ',';
		struct pgsource *src = calloc(count, sizeof *src);
		if (!src)
			goto oom;
		const char *p = name;
		for (size_t i = 0; i < count; i++) {
			const char *comma = strchr(p, ',');
			char *one = strndup(p, comma ? (size_t)(comma - p) : strlen(p));
			int rc = one ? add_source(&src[i], "DATA_SOURCE_NAME", one) : -1;
			secret_free(one);
			if (rc < 0) {
				pgsources_free(src, count);
				goto oom;
			}
			p = comma ? comma + 1 : p + strlen(p);
		}
		*out = src;
		*n = count;
		return 0;
	}

	bool failed = false;
	char *user = env_or_file("DATA_SOURCE_USER", "user", &failed, err, errlen);
	char *pass = failed ? NULL : env_or_file("DATA_SOURCE_PASS", "pass", &failed, err, errlen);
	char *uri = failed ? NULL : env_or_file("DATA_SOURCE_URI", "URI", &failed, err, errlen);
	int rc = -1;
	if (failed)
		goto out;
	rc = 0;
	if (!*uri)
		goto out; /* no default target: /probe only */
	size_t len = strlen(uri) + sizeof "postgresql://";
	char *full = malloc(len);
	struct pgsource *src = calloc(1, sizeof *src);
	if (!full || !src) {
		free(full);
		free(src);
		strf(err, errlen, "out of memory");
		rc = -1;
		goto out;
	}
	strf(full, len, "postgresql://%s", uri);
	rc = add_source(src, "DATA_SOURCE_URI", full);
	secret_free(full);
	if (rc == 0 && !src->error &&
	    ((*user && pgdsn_set(&src->dsn, "user", user) < 0) ||
	     (*pass && pgdsn_set(&src->dsn, "password", pass) < 0) || pgdsn_describe(&src->dsn) < 0))
		rc = -1;
	if (rc < 0) {
		pgsources_free(src, 1);
		strf(err, errlen, "out of memory");
		goto out;
	}
	*out = src;
	*n = 1;
out:
	secret_free(user);
	secret_free(pass);
	secret_free(uri);
	return rc;
oom:
	strf(err, errlen, "out of memory");
	return -1;
}

/* Replace occurrences of needle (length n) in msg by "******". */
static void replace_all(char *msg, const char *needle, size_t n)
{
	static const char mask[] = "******";
	char *p = msg;
	while ((p = strstr(p, needle)) != NULL) {
		size_t tail = strlen(p + n);
		if (n >= sizeof mask - 1) {
			memcpy(p, mask, sizeof mask - 1);
			memmove(p + sizeof mask - 1, p + n, tail + 1);
			p += sizeof mask - 1;
		} else {
			/* A short secret: blank it in place rather than grow the message. */
			memset(p, '*', n);
			p += n;
		}
	}
}

void pg_redact(char *msg, const char *secret)
{
	if (!msg || !secret || !*secret)
		return;
	replace_all(msg, secret, strlen(secret));
	/* The percent-encoded spelling, as it would appear in a URI. */
	char enc[1024];
	size_t o = 0;
	bool differs = false;
	for (const unsigned char *s = (const unsigned char *)secret; *s && o + 4 < sizeof enc; s++) {
		if (isalnum(*s) || strchr("-._~", *s)) {
			enc[o++] = (char)*s;
		} else {
			strf(enc + o, 4, "%%%02X", *s);
			o += 3;
			differs = true;
		}
	}
	enc[o] = '\0';
	if (differs) {
		replace_all(msg, enc, o);
		for (size_t i = 0; i < o; i++)
			if (enc[i] == '%')
				for (size_t k = 1; k <= 2; k++)
					enc[i + k] = (char)tolower((unsigned char)enc[i + k]);
		replace_all(msg, enc, o);
	}
}

int namelist_split(struct namelist *l, const char *s, bool trim_and_drop_empty)
{
	memset(l, 0, sizeof *l);
	const char *p = s;
	for (;;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		char *item = strndup(p, len);
		if (!item)
			goto oom;
		if (trim_and_drop_empty) {
			char *t = trim(item);
			memmove(item, t, strlen(t) + 1);
		}
		if (trim_and_drop_empty && !*item) {
			free(item);
		} else {
			char **names = realloc(l->names, (l->n + 1) * sizeof *names);
			if (!names) {
				free(item);
				goto oom;
			}
			l->names = names;
			l->names[l->n++] = item;
		}
		if (!comma)
			break;
		p = comma + 1;
	}
	return 0;
oom:
	namelist_free(l);
	return -1;
}

bool namelist_has(const struct namelist *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->names[i], name))
			return true;
	return false;
}

void namelist_free(struct namelist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->names[i]);
	free(l->names);
	memset(l, 0, sizeof *l);
}
