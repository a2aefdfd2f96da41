/*
 * The HTTP side of a target. A struct chaddr is the parsed address (the
 * target's spec: no I/O), a struct chconn one libcurl easy handle whose
 * kept connection carries every query of the target (HTTP keep-alive):
 * POST requests with the SQL as the body and the address's own query
 * string (settings, credentials) in the URL, credentials from the
 * environment in X-ClickHouse-User/X-ClickHouse-Key, every wait bounded by
 * the scrape deadline.
 */
#include <curl/curl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../common/backend.h"
#include "../common/parse.h"
#include "clickhouse.h"

/* Largest reply kept: a server with this much metadata is out of scope. */
#define REPLY_MAX (256u << 20)

struct chaddr {
	char *base; /* scheme://[userinfo@]host:port/path: may hold a password */
	char *query; /* the address's own query string without query=, "" if none */
	bool user_sets_timeout; /* max_execution_time given in the address */
	char *user_hdr, *key_hdr; /* "X-ClickHouse-User: ..." (key: secret) */
	struct curl_slist *hdrs; /* the request headers, the key among them: wiped */
	struct chconn_opts opts; /* without user and password */
	char agent[64];
};

struct chconn {
	const struct chaddr *a;
	CURL *h;
	struct buf reply;
	struct buf url; /* reused between queries; holds secrets */
	char curl_err[CURL_ERROR_SIZE];
	long exception_code; /* X-ClickHouse-Exception-Code of the last reply */
};

int chconn_global_init(void)
{
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

void chconn_global_cleanup(void)
{
	curl_global_cleanup();
}

/* Drop query= from a query string (upstream replaces it with its own); note max_execution_time. */
static char *own_query(const char *q, bool *sets_timeout)
{
	size_t n = q ? strlen(q) : 0;
	char *out = malloc(n + 1);
	if (!out)
		return NULL;
	size_t len = 0;
	while (q && *q) {
		const char *amp = strchr(q, '&');
		size_t plen = amp ? (size_t)(amp - q) : strlen(q);
		bool drop = plen == 0 || (plen >= 6 && !strncmp(q, "query=", 6)) || (plen == 5 && !strncmp(q, "query", 5));
		if (plen >= 18 && !strncmp(q, "max_execution_time", 18) && (q[18] == '=' || plen == 18))
			*sets_timeout = true;
		if (!drop) {
			if (len)
				out[len++] = '&';
			memcpy(out + len, q, plen);
			len += plen;
		}
		q += plen + (amp ? 1 : 0);
	}
	out[len] = '\0';
	return out;
}

static char *header(const char *name, const char *value)
{
	size_t n = strlen(name) + strlen(value) + 3;
	char *h = malloc(n);
	if (h)
		strf(h, n, "%s: %s", name, value);
	return h;
}

static size_t on_body(char *p, size_t size, size_t n, void *arg);
static size_t on_header(char *p, size_t size, size_t n, void *arg);

/* A handle with the options that do not change between queries. */
static CURL *new_handle(struct chconn *c)
{
	const struct chaddr *a = c->a;
	CURL *h = curl_easy_init();
	if (!h)
		return NULL;
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, a->hdrs);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_MAXCONNECTS, 1L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, c);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, c);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, c->curl_err);
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_USERAGENT, a->agent);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, a->opts.insecure ? 0L : 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, a->opts.insecure ? 0L : 2L);
	if (a->opts.ca_file && *a->opts.ca_file)
		curl_easy_setopt(h, CURLOPT_CAINFO, a->opts.ca_file);
	return h;
}

/* Append to the header list, which stays unchanged when memory runs out. */
static int add_header(struct chaddr *a, const char *line)
{
	struct curl_slist *l = curl_slist_append(a->hdrs, line);
	if (!l)
		return -1;
	a->hdrs = l;
	return 0;
}

struct chaddr *chaddr_parse(const char *uri, const struct chconn_opts *o, char *display, size_t displen,
			    char *err, size_t errlen)
{
	if (displen)
		display[0] = '\0';
	CURLU *u = curl_url();
	struct chaddr *a = calloc(1, sizeof *a);
	char *scheme = NULL, *host = NULL, *port = NULL, *path = NULL, *q = NULL;
	bool ok = false;
	if (!u || !a) {
		strf(err, errlen, "out of memory");
		goto done;
	}
	/* host:port alone means http:// as in a Prometheus target list (libcurl's default would be https). */
	char *full = NULL;
	if (!strstr(uri, "://")) {
		size_t n = strlen(uri) + sizeof "http://";
		full = malloc(n);
		if (!full) {
			strf(err, errlen, "out of memory");
			goto done;
		}
		strf(full, n, "http://%s", uri);
	}
	CURLUcode uc = curl_url_set(u, CURLUPART_URL, full ? full : uri, CURLU_NON_SUPPORT_SCHEME);
	secret_free(full);
	if (uc != CURLUE_OK) {
		strf(err, errlen, "invalid ClickHouse address: %s", curl_url_strerror(uc));
		goto done;
	}
	if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0)) {
		strf(err, errlen, "invalid ClickHouse address: the scheme must be http or https");
		goto done;
	}
	if (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || !*host) {
		strf(err, errlen, "invalid ClickHouse address: no host");
		goto done;
	}
	if (curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PATH, &path, 0) != CURLUE_OK) {
		strf(err, errlen, "invalid ClickHouse address");
		goto done;
	}
	strf(display, displen, "%s://%s:%s%s", scheme, host, port, path);
	if (curl_url_get(u, CURLUPART_QUERY, &q, 0) != CURLUE_OK)
		q = NULL;
	a->query = own_query(q, &a->user_sets_timeout);
	curl_url_set(u, CURLUPART_QUERY, NULL, 0);
	curl_url_set(u, CURLUPART_FRAGMENT, NULL, 0);
	if (!a->query || curl_url_get(u, CURLUPART_URL, &a->base, 0) != CURLUE_OK) {
		strf(err, errlen, "out of memory");
		goto done;
	}
	a->opts = *o;
	a->opts.user = a->opts.password = NULL;
	if (o->user && *o->user && !(a->user_hdr = header("X-ClickHouse-User", o->user))) {
		strf(err, errlen, "out of memory");
		goto done;
	}
	if (o->password && !(a->key_hdr = header("X-ClickHouse-Key", o->password))) {
		strf(err, errlen, "out of memory");
		goto done;
	}
	strf(a->agent, sizeof a->agent, "clickhouse_exporter/%s", suite_version);
	/* The statement is a POST body of its own type; no "Expect: 100-continue" round trip. */
	if (add_header(a, "Content-Type: text/plain; charset=UTF-8") < 0 || add_header(a, "Expect:") < 0 ||
	    (a->user_hdr && add_header(a, a->user_hdr) < 0) || (a->key_hdr && add_header(a, a->key_hdr) < 0)) {
		strf(err, errlen, "out of memory");
		goto done;
	}
	ok = true;
done:
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_free(path);
	if (q)
		secret_wipe(q, strlen(q));
	curl_free(q);
	curl_url_cleanup(u);
	if (ok)
		return a;
	chaddr_free(a);
	return NULL;
}

void chaddr_free(struct chaddr *a)
{
	if (!a)
		return;
	for (struct curl_slist *l = a->hdrs; l; l = l->next)
		secret_wipe(l->data, strlen(l->data));
	curl_slist_free_all(a->hdrs);
	if (a->base) {
		secret_wipe(a->base, strlen(a->base));
		curl_free(a->base);
	}
	secret_free(a->query);
	secret_free(a->user_hdr);
	secret_free(a->key_hdr);
	free(a);
}

struct chconn *chconn_open(const struct chaddr *a, char *err, size_t errlen)
{
	struct chconn *c = calloc(1, sizeof *c);
	if (c) {
		c->a = a;
		c->h = new_handle(c);
	}
	if (!c || !c->h) {
		free(c);
		strf(err, errlen, "could not make an HTTP client");
		return NULL;
	}
	buf_init(&c->reply, REPLY_MAX);
	buf_init(&c->url, 1u << 20);
	return c;
}

void chconn_free(struct chconn *c)
{
	if (!c)
		return;
	if (c->h)
		curl_easy_cleanup(c->h);
	if (c->url.data)
		secret_wipe(c->url.data, c->url.cap);
	buf_free(&c->url);
	buf_free(&c->reply);
	free(c);
}

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	struct chconn *c = arg;
	return buf_append(&c->reply, p, size * n) == 0 ? size * n : 0;
}

static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
	struct chconn *c = arg;
	size_t len = size * n;
	static const char name[] = "X-ClickHouse-Exception-Code:";
	if (len > sizeof name && !strncasecmp(p, name, sizeof name - 1)) {
		char num[16];
		size_t k = 0;
		for (size_t i = sizeof name - 1; i < len && k + 1 < sizeof num; i++)
			if (p[i] >= '0' && p[i] <= '9')
				num[k++] = p[i];
		num[k] = '\0';
		uint64_t v;
		if (k && parse_u64(num, &v) == 0)
			c->exception_code = (long)v;
	}
	return len;
}

/* The first line of an error reply, without the stack trace ClickHouse may add; its code in *code. */
static void server_error(const char *body, size_t len, long status, int *code, char *err, size_t errlen)
{
	size_t n = 0;
	while (n < len && body[n] != '\n' && n < 300)
		n++;
	/* "Code: 193, e.displayText() = ..." (18.16) or "Code: 193. DB::Exception: ..." */
	*code = 0;
	if (len > 6 && !strncmp(body, "Code: ", 6)) {
		size_t d = 6;
		int v = 0;
		while (d < len && d < 12 && body[d] >= '0' && body[d] <= '9')
			v = v * 10 + (body[d++] - '0');
		*code = v;
	}
	char line[320];
	size_t k = 0;
	for (size_t i = 0; i < n && k + 1 < sizeof line; i++)
		line[k++] = (body[i] >= 0x20 && body[i] != 0x7f) ? body[i] : ' ';
	line[k] = '\0';
	strf(err, errlen, "HTTP status %ld: %s", status, k ? line : "(empty reply)");
}

enum ch_qrc chconn_query(struct chconn *c, const char *sql, bool settings, double deadline,
			 char **body, size_t *len, int *code, char *err, size_t errlen)
{
	*code = 0;
	double left = deadline - mono_now();
	if (c->a->opts.timeout > 0 && left > c->a->opts.timeout)
		left = c->a->opts.timeout;
	if (left <= 0.001) {
		strf(err, errlen, "no time left before the scrape deadline");
		return CHQ_TRANSPORT;
	}
	/*
	 * The statement goes in the body of a POST: a URL of several kilobytes
	 * costs libcurl more to escape and parse than the rest of the scrape.
	 * The address's own query string and our settings stay in the URL.
	 */
	buf_reset(&c->url);
	int brc = buf_puts(&c->url, c->a->base);
	brc = brc ? brc : buf_putc(&c->url, '?');
	if (!brc && c->a->query[0]) {
		brc = buf_puts(&c->url, c->a->query);
		brc = brc ? brc : buf_putc(&c->url, '&');
	}
	/*
	 * Errors as an HTTP status, not after rows already sent with 200. The
	 * server holds the reply back in a buffer of buffer_size (in memory
	 * only above its 1 MiB default: below, every reply goes through a
	 * temporary file).
	 */
	brc = brc ? brc : buf_puts(&c->url, "wait_end_of_query=1&buffer_size=2097152");
	if (!brc && settings && !c->a->user_sets_timeout) {
		/* The server stops the queries itself shortly after we stop waiting (whole seconds in 18.16). */
		long secs = (long)floor(left);
		brc = buf_printf(&c->url, "&max_execution_time=%ld", secs > 0 ? secs : 1);
	}
	if (brc) {
		strf(err, errlen, "query too long");
		return CHQ_TRANSPORT;
	}

	CURL *h = c->h;
	long ms = (long)ceil(left * 1000);
	buf_reset(&c->reply);
	c->exception_code = 0;
	c->curl_err[0] = '\0';
	curl_easy_setopt(h, CURLOPT_URL, c->url.data);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, sql);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(sql));
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, ms > 0 ? ms : 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, ms > 0 ? ms : 1L);
	CURLcode rc = curl_easy_perform(h);
	secret_wipe(c->url.data, c->url.len);

	if (rc != CURLE_OK) {
		const char *why = c->curl_err[0] ? c->curl_err : curl_easy_strerror(rc);
		if (rc == CURLE_WRITE_ERROR)
			why = "reply too large";
		strf(err, errlen, "%s", why);
		return CHQ_TRANSPORT;
	}
	long status = 0;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	/* NUL-terminate the body for the parsers (buf appends always leave room). */
	if (buf_reserve(&c->reply, 1) == 0 && c->reply.data)
		c->reply.data[c->reply.len] = '\0';
	if (status != 200 || c->exception_code) {
		server_error(c->reply.data ? c->reply.data : "", c->reply.len, status, code, err, errlen);
		if (!*code)
			*code = (int)c->exception_code;
		return CHQ_SERVER;
	}
	*body = c->reply.data ? c->reply.data : (char *)"";
	*len = c->reply.len;
	return CHQ_OK;
}
