/*
 * supervisord (deprecated upstream, kept for drop-in use): the processes
 * supervisord manages, from its XML-RPC method
 * supervisor.getAllProcessInfo at --collector.supervisord.url (http(s)://,
 * or unix:///path/to/supervisor.sock). The call is bounded by the scrape's
 * deadline; a supervisord that is down, slow or answers garbage fails the
 * collector for that scrape.
 *
 * libcurl does the HTTP, expat the XML: the reply is an array of structs
 * whose members we read by name (name, group, state, exitstatus, start...).
 */
#include <curl/curl.h>
#include <expat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/buf.h"
#include "../../common/exporter.h"
#include "../../common/log.h"
#include "../../common/parse.h"

static const char *supervisord_url;

static struct flag supervisord_flags[] = {
	{ .name = "collector.supervisord.url", .type = FLAG_STRING, .dest = &supervisord_url,
	  .def = "http://localhost:9001/RPC2", .env = "SUPERVISORD_URL",
	  .help = "XML RPC endpoint (http://host:port/RPC2, or unix:///path/to/supervisor.sock)." },
};

/* Largest reply read: about 1 KiB per process. */
#define REPLY_MAX (16u << 20)

struct supervisord_state {
	CURL *curl;
	char *url; /* what libcurl is given */
	char *socket; /* unix socket path, or NULL */
	struct buf reply;
};

static void supervisord_fini(void *state)
{
	struct supervisord_state *st = state;
	if (!st)
		return;
	if (st->curl)
		curl_easy_cleanup(st->curl);
	free(st->url);
	free(st->socket);
	buf_free(&st->reply);
	free(st);
}

static int supervisord_init(void **state, char *err, size_t errlen)
{
	struct supervisord_state *st = calloc(1, sizeof *st);
	if (!st || curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK || !(st->curl = curl_easy_init())) {
		free(st);
		strf(err, errlen, "cannot set up libcurl");
		return -1;
	}
	buf_init(&st->reply, REPLY_MAX);
	*state = st;
	/* unix:///run/supervisor.sock: HTTP over the socket, as upstream's custom dialer does. */
	if (has_prefix(supervisord_url, "unix://")) {
		const char *path = supervisord_url + 7;
		st->socket = strdup(*path ? path : "/");
		st->url = strdup("http://unix/RPC2");
	} else {
		st->url = strdup(supervisord_url);
	}
	if (!st->url || (has_prefix(supervisord_url, "unix://") && !st->socket)) {
		supervisord_fini(st);
		*state = NULL;
		strf(err, errlen, "out of memory");
		return -1;
	}
	log_warn("This collector is deprecated and will be removed in the next major version release.",
		 "collector", "supervisord", NULL);
	return 0;
}

static size_t on_data(char *ptr, size_t size, size_t n, void *userdata)
{
	struct buf *b = userdata;
	return buf_append(b, ptr, size * n) == 0 ? size * n : 0;
}

/* One process of the reply; fields persist from the previous process when missing, as upstream's do. */
struct process_info {
	char name[256], group[256];
	int64_t state, exit_status, start;
};

/* Where the parser is: the element names from the root down. */
#define XML_DEPTH 16

struct reply_parser {
	XML_Parser xp;
	const char *path[XML_DEPTH];
	int depth;
	char text[1024];
	size_t text_len;
	bool text_cut;
	char key[64];
	bool fault;
	bool value_has_child; /* the current <value> holds a type element */
	char fault_string[256];
	struct process_info info;
	struct expo *e;
	struct family *up, *state, *exit_status, *start_time;
	char err[256];
};

static void fail_parse(struct reply_parser *p, const char *msg)
{
	if (!p->err[0])
		strf(p->err, sizeof p->err, "%s", msg);
	XML_StopParser(p->xp, XML_FALSE);
}

/* The element depth levels back up is called name (0: the current element). */
static bool at(const struct reply_parser *p, int up, const char *name)
{
	int i = p->depth - 1 - up;
	return i >= 0 && !strcmp(p->path[i], name);
}

static const char *const known_names[] = {
	"methodResponse", "params", "param", "value", "array", "data", "struct", "member", "name", "fault",
	"int", "i4", "i8", "string", "boolean", "double", "base64", "dateTime.iso8601", "nil",
};

static void XMLCALL on_start(void *ud, const XML_Char *name, const XML_Char **attrs)
{
	(void)attrs;
	struct reply_parser *p = ud;
	const char *known = NULL;
	for (size_t i = 0; i < sizeof known_names / sizeof known_names[0] && !known; i++)
		if (!strcmp(name, known_names[i]))
			known = known_names[i];
	if (!known || p->depth == XML_DEPTH) {
		fail_parse(p, "unexpected element in XML-RPC reply");
		return;
	}
	if (at(p, 0, "value"))
		p->value_has_child = true;
	if (!strcmp(known, "value"))
		p->value_has_child = false;
	p->path[p->depth++] = known;
	p->text_len = 0;
	p->text_cut = false;
	if (p->depth == 2 && !strcmp(known, "fault"))
		p->fault = true;
}

static void XMLCALL on_text(void *ud, const XML_Char *s, int len)
{
	struct reply_parser *p = ud;
	size_t n = (size_t)len;
	if (p->text_len + n >= sizeof p->text) {
		n = sizeof p->text - 1 - p->text_len;
		p->text_cut = true;
	}
	memcpy(p->text + p->text_len, s, n);
	p->text_len += n;
}

static void emit_process(struct reply_parser *p)
{
	const struct process_info *in = &p->info;
	/* STARTING, RUNNING and STOPPING are up. */
	bool running = in->state == 10 || in->state == 20 || in->state == 40;
	expo_sample(p->e, p->state, (double)in->state, in->name, in->group);
	expo_sample(p->e, p->exit_status, (double)in->exit_status, in->name, in->group);
	expo_sample(p->e, p->up, running, in->name, in->group);
	if (running)
		expo_sample(p->e, p->start_time, (double)in->start, in->name, in->group);
}

/* A member's value: an integer for the numeric keys, text for name and group. */
static void set_member(struct reply_parser *p, const char *type, const char *text)
{
	bool is_int = !strcmp(type, "int") || !strcmp(type, "i4") || !strcmp(type, "i8");
	bool is_string = !strcmp(type, "string") || !strcmp(type, "value");
	int64_t *num = !strcmp(p->key, "state")      ? &p->info.state
		       : !strcmp(p->key, "exitstatus") ? &p->info.exit_status
		       : !strcmp(p->key, "start")      ? &p->info.start
						       : NULL;
	char *str = !strcmp(p->key, "name") ? p->info.name : !strcmp(p->key, "group") ? p->info.group : NULL;
	if (num) {
		if (!is_int || parse_i64(trim((char *)text), num) < 0)
			fail_parse(p, "non-integer value for a numeric field in XML-RPC reply");
	} else if (str) {
		if (!is_string)
			fail_parse(p, "non-string value for name or group in XML-RPC reply");
		else
			strf(str, sizeof p->info.name, "%s", text);
	}
}

static void XMLCALL on_end(void *ud, const XML_Char *name)
{
	(void)name;
	struct reply_parser *p = ud;
	p->text[p->text_len] = '\0';
	if (p->text_cut) {
		fail_parse(p, "value too long in XML-RPC reply");
		return;
	}
	if (at(p, 0, "name") && at(p, 1, "member")) {
		strf(p->key, sizeof p->key, "%s", p->text);
	} else if (at(p, 1, "value") && at(p, 2, "member")) {
		/* <value><int>3</int></value> */
		if (p->fault && !strcmp(p->key, "faultString"))
			strf(p->fault_string, sizeof p->fault_string, "%s", p->text);
		else if (!p->fault)
			set_member(p, p->path[p->depth - 1], p->text);
	} else if (at(p, 0, "value") && at(p, 1, "member") && !p->value_has_child) {
		/* <value>text</value>: a string without a type element. */
		if (!p->fault)
			set_member(p, "value", p->text);
	} else if (at(p, 0, "struct") && at(p, 1, "value") && at(p, 2, "data") && at(p, 3, "array") && !p->fault) {
		emit_process(p);
	}
	p->depth--;
	p->text_len = 0;
}

static int supervisord_collect(struct scrape *s, struct expo *e)
{
	struct supervisord_state *st = s->state;
	static const char body[] = "<?xml version=\"1.0\"?><methodCall><methodName>supervisor.getAllProcessInfo"
				   "</methodName><params></params></methodCall>";
	double left = scrape_remaining(s);
	if (left <= 0)
		return scrape_fail(s, "no time left before the scrape deadline");
	CURL *c = st->curl;
	curl_easy_reset(c);
	buf_reset(&st->reply);
	char errbuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: text/xml");
	curl_easy_setopt(c, CURLOPT_URL, st->url);
	if (st->socket)
		curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, st->socket);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)(sizeof body - 1));
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &st->reply);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)(left * 1000) + 1);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_USERAGENT, "node_exporter");
	CURLcode cc = curl_easy_perform(c);
	curl_slist_free_all(headers);
	if (cc != CURLE_OK)
		return scrape_fail(s, "unable to call supervisord: %s", errbuf[0] ? errbuf : curl_easy_strerror(cc));
	long status = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (status != 200)
		return scrape_fail(s, "unable to call supervisord: HTTP status %ld", status);

	static const char *const labels[] = { "name", "group", NULL };
	struct reply_parser p = { .e = e };
	p.up = expo_family(e, "node_supervisord_up", METRIC_GAUGE, "Whether the process is up (starting, running or stopping).",
			   labels);
	p.state = expo_family(e, "node_supervisord_state", METRIC_GAUGE, "State of the process (supervisord's code).",
			      labels);
	p.exit_status = expo_family(e, "node_supervisord_exit_status", METRIC_GAUGE, "Exit status of the process.",
				    labels);
	p.start_time = expo_family(e, "node_supervisord_start_time_seconds", METRIC_COUNTER,
				   "Unix time the running process was started.", labels);
	if (!(p.xp = XML_ParserCreate(NULL)))
		return scrape_fail(s, "out of memory");
	XML_SetUserData(p.xp, &p);
	XML_SetElementHandler(p.xp, on_start, on_end);
	XML_SetCharacterDataHandler(p.xp, on_text);
	enum XML_Status xs = XML_Parse(p.xp, st->reply.data ? st->reply.data : "", (int)st->reply.len, XML_TRUE);
	if (xs != XML_STATUS_OK && !p.err[0])
		strf(p.err, sizeof p.err, "invalid XML-RPC reply: %s at line %lu", XML_ErrorString(XML_GetErrorCode(p.xp)),
		     (unsigned long)XML_GetCurrentLineNumber(p.xp));
	XML_ParserFree(p.xp);
	if (p.err[0])
		return scrape_fail(s, "unable to call supervisord: %s", p.err);
	if (p.fault)
		return scrape_fail(s, "unable to call supervisord: fault: %s", p.fault_string);
	return COLLECT_OK;
}

const struct collector_def collector_supervisord = {
	.name = "supervisord",
	.default_enabled = false,
	.flags = supervisord_flags,
	.nflags = sizeof supervisord_flags / sizeof supervisord_flags[0],
	.init = supervisord_init,
	.collect = supervisord_collect,
	.fini = supervisord_fini,
};
