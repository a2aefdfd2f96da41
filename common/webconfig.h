/*
 * --web.config.file: the exporter-toolkit YAML that enables TLS, basic
 * authentication with bcrypt hashes, response headers and a rate limit.
 *
 * Like exporter-toolkit, which re-reads the file for every request and TLS
 * handshake, a change takes effect without a restart (certificates rotate),
 * but cheaply: the file, and the certificate and key files it names, are
 * looked at with stat(2) and parsed again only when one of them changed.
 * While the file is invalid, requests get 500 and TLS handshakes fail, as
 * upstream. Whether TLS is on is decided at start, as upstream.
 */
#ifndef COMMON_WEBCONFIG_H
#define COMMON_WEBCONFIG_H

#include <gnutls/abstract.h>
#include <stdbool.h>
#include <stddef.h>

/* Deepest YAML nesting accepted (the format needs four levels). */
#define WEBCONFIG_MAX_DEPTH 32
/* Largest file accepted. */
#define WEBCONFIG_MAX_SIZE (1u << 20)
/* Longest certificate chain accepted. */
#define WEBCONFIG_MAX_CHAIN 16

/* One reading of the file. Immutable once made; shared by reference. */
struct webconfig {
	/* TLS: PEM text and, when read from files, their paths; NULL when TLS is off. */
	char *cert_pem;
	char *key_pem;
	char *cert_path;
	char *key_path;
	char *client_ca_pem; /* rejected at load: client certificates are not verified */
	char tls_priorities[96]; /* GnuTLS priority string from min/max_version */
	/* The same, as GnuTLS handshakes use them. */
	gnutls_pcert_st *pcerts;
	unsigned npcerts;
	gnutls_privkey_t key;
	gnutls_priority_t priority;
	/* basic_auth_users */
	size_t nusers;
	char **user_names;
	char **user_hashes;
	/* The hash of the highest cost: unknown users are checked against it. */
	const char *dummy_hash;
	/* http_server_config.headers */
	size_t nheaders;
	char **header_names;
	char **header_values;
	/* rate_limit: token bucket; interval 0 disables */
	double rate_interval;
	unsigned rate_burst;
	int refs; /* see webconfig_get/webconfig_put */
};

/*
 * Parse a configuration held in memory; relative file names are taken from
 * dir. Unknown fields and duplicate keys are errors, as upstream's strict
 * YAML decoding. Returns 0, or -1 with a one-line message in err.
 */
int webconfig_parse(const char *text, size_t len, const char *dir, struct webconfig **out,
		    char *err, size_t errlen);

/* webconfig_parse() on the file at path. */
int webconfig_load(const char *path, struct webconfig **out, char *err, size_t errlen);

/* Release a configuration made by webconfig_parse/webconfig_load. */
void webconfig_free(struct webconfig *wc);

/*
 * The file given with --web.config.file (or an exporter's flags standing
 * for one), followed as it changes.
 */
struct webconfig_file;

/* Read the file for the first time; returns 0, or -1 with err (exit 2). */
int webconfig_open(const char *path, struct webconfig_file **out, char *err, size_t errlen);

/* Release the file's state; every reference must have been put back. */
void webconfig_close(struct webconfig_file *wf);

/* Whether the file enabled TLS when it was opened. */
bool webconfig_tls(const struct webconfig_file *wf);

/*
 * The configuration in force, read again first if the file or a file it
 * names changed. Returns a reference to give back with webconfig_put(), or
 * NULL while the file is invalid (said once in the log). Thread-safe.
 */
struct webconfig *webconfig_get(struct webconfig_file *wf);
void webconfig_put(struct webconfig_file *wf, struct webconfig *wc);

/*
 * True if user/pass match a configured user. bcrypt is slow by design, so
 * successful checks are cached; unknown users are checked against the
 * costliest configured hash so that the answer time does not reveal which
 * users exist. Thread-safe.
 */
bool webconfig_check_user(const struct webconfig *wc, const char *user, const char *pass);

/* Rate limit of wc (a token bucket kept by wf): true if a request may proceed now. */
bool webconfig_rate_allow(struct webconfig_file *wf, const struct webconfig *wc);

/*
 * What an exporter's own flags say about its listener (redis_exporter's
 * --tls-server-*, --basic-auth-*): NULL or "" leaves a setting out.
 */
struct webconfig_flags {
	const char *cert_file, *key_file, *client_ca_file; /* tls_server_config's *_file */
	const char *min_version; /* "TLS12" (the file's spelling) */
	const char *user, *bcrypt_hash; /* one basic_auth_users entry */
};

/*
 * The configuration a file with these settings would give, checked as the
 * file's are, and served in its place: webconfig_get() reads the certificate
 * and key files again when they change, as upstream redis_exporter reads
 * them at every handshake. The settings are copied. Returns 0, or -1 with a
 * one-line message in err.
 */
int webconfig_open_flags(const struct webconfig_flags *f, struct webconfig_file **out, char *err,
			 size_t errlen);

#endif
