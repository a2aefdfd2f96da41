/*
 * --web.config.file: the exporter-toolkit YAML that enables TLS, basic
 * authentication with bcrypt hashes, response headers and a rate limit.
 * Read once at start-up (upstream re-reads it per request).
 */
#ifndef COMMON_WEBCONFIG_H
#define COMMON_WEBCONFIG_H

#include <stdbool.h>
#include <stddef.h>

struct webconfig {
	/* TLS: PEM text read from the files; NULL when TLS is off. */
	char *cert_pem;
	char *key_pem;
	char *client_ca_pem; /* rejected at load: client certificates are not verified */
	const char *tls_priorities; /* GnuTLS priority string from min/max_version */
	/* basic_auth_users */
	size_t nusers;
	char **user_names;
	char **user_hashes;
	/* http_server_config.headers */
	size_t nheaders;
	char **header_names;
	char **header_values;
	/* rate_limit: token bucket; interval 0 disables */
	double rate_interval;
	unsigned rate_burst;
};

/*
 * Parse the file; unknown keys are errors, as upstream's strict YAML
 * decoding. Returns 0, or -1 with a one-line message in err.
 */
int webconfig_load(const char *path, struct webconfig **out, char *err, size_t errlen);

void webconfig_free(struct webconfig *wc);

/*
 * True if user/pass match a configured user. bcrypt is slow by design, so
 * successful checks are cached; unknown users are checked against a dummy
 * hash so the answer time does not reveal which users exist. Thread-safe.
 */
bool webconfig_check_user(struct webconfig *wc, const char *user, const char *pass);

/* Rate limit: true if a request may proceed now. Thread-safe. */
bool webconfig_rate_allow(struct webconfig *wc);

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
 * Build in memory the configuration a file with these settings would give,
 * checked as the file's are. Returns 0, or -1 with a one-line message in err.
 */
int webconfig_from_flags(const struct webconfig_flags *f, struct webconfig **out, char *err,
			 size_t errlen);

#endif
