/*
 * clickhouse_exporter's option values and what start-up does with them:
 * check -ca_file, take the credentials from the environment (wiping the
 * password where it lies), and hand -scrape_uri to the backend layer as
 * the default target.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/log.h"
#include "../common/parse.h"
#include "clickhouse.h"

/* Upstream's HTTP client timeout; a scrape also ends at its own deadline. */
#define REQUEST_TIMEOUT 30.0

struct ch_options ch_opts = { .recheck = 300, .conn = { .timeout = REQUEST_TIMEOUT } };

static char *user, *password;

/* Copy an environment variable; a secret is wiped where it lies (it shows in /proc/PID/environ). */
static int take_env(const char *name, bool secret, char **out)
{
	char *v = getenv(name);
	*out = NULL;
	if (!v)
		return 0;
	*out = strdup(v);
	if (secret)
		secret_wipe(v, strlen(v));
	return *out ? 0 : -1;
}

int ch_setup(struct exporter *x, char *err, size_t errlen)
{
	if (*ch_opts.ca_file) {
		FILE *f = fopen(ch_opts.ca_file, "r");
		if (!f) {
			strf(err, errlen, "cannot read -ca_file %s", ch_opts.ca_file);
			return -1;
		}
		fclose(f);
	}
	if (ch_opts.recheck < 0) {
		strf(err, errlen, "-recheck_interval must not be negative");
		return -1;
	}
	if (ch_opts.clickhouse_only)
		exporter_disable_self_metrics(x);
	if (take_env("CLICKHOUSE_USER", false, &user) < 0 || take_env("CLICKHOUSE_PASSWORD", true, &password) < 0) {
		strf(err, errlen, "out of memory");
		return -1;
	}
	ch_opts.conn.ca_file = ch_opts.ca_file;
	ch_opts.conn.user = user;
	ch_opts.conn.password = password;
	if (chconn_global_init() < 0) {
		strf(err, errlen, "could not initialise libcurl");
		return -1;
	}
	ch_probe_sql();
	struct ch_target *t = ch_target_new(ch_opts.scrape_uri, false);
	if (!t || backend_set_default(x->backend, t, NULL) < 0) {
		strf(err, errlen, "out of memory");
		return -1;
	}
	/* As upstream, a bad address is a fault of the server's side: up 0 and the reason at every scrape. */
	if (!t->addr)
		log_warn("unusable -scrape_uri; every scrape will report clickhouse_up 0", "err", t->err, NULL);
	return 0;
}

void ch_teardown(struct exporter *x)
{
	(void)x;
	chconn_global_cleanup();
	secret_free(user);
	secret_free(password);
	user = password = NULL;
}
