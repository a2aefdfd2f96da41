/* Redis addresses as upstream's --redis.addr and /scrape?target= accept them. */
#include <stdio.h>
#include <string.h>

#include "../common/parse.h"
#include "redis.h"

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decode n bytes of src into dst (cap bytes); -1 if bad or too long. */
static int pct_decode(char *dst, size_t cap, const char *src, size_t n)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		char ch = src[i];
		if (ch == '%') {
			if (i + 2 >= n)
				return -1;
			int a = hexval(src[i + 1]), b = hexval(src[i + 2]);
			if (a < 0 || b < 0)
				return -1;
			ch = (char)(a * 16 + b);
			i += 2;
		}
		if (o + 1 >= cap)
			return -1;
		dst[o++] = ch;
	}
	dst[o] = '\0';
	return 0;
}

int raddr_parse(const char *uri, bool strip_password, struct raddr *a, char *err, size_t errlen)
{
	memset(a, 0, sizeof *a);
	const char *sep = strstr(uri, "://");
	const char *rest = uri;
	if (sep) {
		size_t slen = (size_t)(sep - uri);
		rest = sep + 3;
		if ((slen == 6 && !strncmp(uri, "rediss", 6)) || (slen == 7 && !strncmp(uri, "valkeys", 7)))
			a->tls = true;
		if (slen == 4 && !strncmp(uri, "unix", 4)) {
			if (!*rest || strlen(rest) >= sizeof a->path) {
				strf(err, errlen, "invalid unix socket address");
				return -1;
			}
			a->kind = RADDR_UNIX;
			strf(a->path, sizeof a->path, "%s", rest);
			strf(a->display, sizeof a->display, "unix://%s", rest);
			return 0;
		}
		if (!a->tls && !(slen == 5 && !strncmp(uri, "redis", 5)) && !(slen == 6 && !strncmp(uri, "valkey", 6))) {
			strf(err, errlen, "unsupported scheme '%.*s' in Redis address (want redis://, rediss:// or unix://)",
				 slen > 32 ? 32 : (int)slen, uri);
			return -1;
		}
	}
	a->kind = RADDR_TCP;
	a->port = 6379;
	size_t alen = strcspn(rest, "/?#");
	const char *path = rest + alen;

	/* userinfo: everything before the last '@' of the authority. */
	const char *host = rest;
	const char *at = NULL;
	for (const char *p = rest; p < rest + alen; p++)
		if (*p == '@')
			at = p;
	if (at) {
		host = at + 1;
		const char *colon = memchr(rest, ':', (size_t)(at - rest));
		const char *uend = colon ? colon : at;
		if (pct_decode(a->user, sizeof a->user, rest, (size_t)(uend - rest)) < 0) {
			strf(err, errlen, "invalid user name in Redis address");
			return -1;
		}
		if (colon && !strip_password) {
			if (pct_decode(a->password, sizeof a->password, colon + 1, (size_t)(at - colon - 1)) < 0) {
				strf(err, errlen, "invalid password in Redis address");
				return -1;
			}
			a->has_password = true;
		} else if (!colon && !strip_password && a->user[0]) {
			/* redis://secret@host: a lone user part is the password, as redis-cli and redigo take it. */
			strf(a->password, sizeof a->password, "%s", a->user);
			a->has_password = true;
			a->user[0] = '\0';
		}
	}
	size_t hlen = (size_t)(rest + alen - host);
	const char *portp = NULL;
	if (hlen && host[0] == '[') {
		const char *close = memchr(host, ']', hlen);
		if (!close) {
			strf(err, errlen, "invalid IPv6 host in Redis address");
			return -1;
		}
		if ((size_t)(close - host - 1) >= sizeof a->host) {
			strf(err, errlen, "host name too long in Redis address");
			return -1;
		}
		memcpy(a->host, host + 1, (size_t)(close - host - 1));
		if (close + 1 < host + hlen) {
			if (close[1] != ':') {
				strf(err, errlen, "invalid IPv6 host in Redis address");
				return -1;
			}
			portp = close + 2;
		}
	} else {
		const char *colon = NULL;
		for (const char *p = host; p < host + hlen; p++)
			if (*p == ':')
				colon = p;
		size_t n = colon ? (size_t)(colon - host) : hlen;
		if (n >= sizeof a->host) {
			strf(err, errlen, "host name too long in Redis address");
			return -1;
		}
		memcpy(a->host, host, n);
		portp = colon ? colon + 1 : NULL;
	}
	if (portp) {
		uint64_t port;
		if (parse_u64_n(portp, (size_t)(rest + alen - portp), &port) < 0 || port == 0 || port > 65535) {
			strf(err, errlen, "invalid port in Redis address");
			return -1;
		}
		a->port = (int)port;
	}
	if (!a->host[0])
		strf(a->host, sizeof a->host, "localhost");
	if (*path == '/' && path[1] && path[1] != '?' && path[1] != '#') {
		size_t dlen = strcspn(path + 1, "?#");
		uint64_t db;
		if (parse_u64_n(path + 1, dlen, &db) < 0 || db > 1000000) {
			strf(err, errlen, "invalid database number in Redis address");
			return -1;
		}
		a->db = (long)db;
	}
	bool v6 = strchr(a->host, ':') != NULL;
	char dbpart[32] = "";
	if (a->db)
		strf(dbpart, sizeof dbpart, "/%ld", a->db);
	strf(a->display, sizeof a->display, "%s://%s%s%s%s%s:%d%s", a->tls ? "rediss" : "redis", a->user,
	     a->user[0] ? "@" : "",
		 v6 ? "[" : "", a->host, v6 ? "]" : "", a->port, dbpart);
	return 0;
}
