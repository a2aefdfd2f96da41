#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static enum log_level min_level = LOG_INFO;
static bool json_format;
/* Start-up lines held back until the configuration is known to be valid. */
static bool held;
static char held_buf[65536];
static size_t held_len;

static const char *const level_names[] = { "debug", "info", "warn", "error" };

int log_setup(const char *level, const char *format)
{
	int lvl = -1;
	for (int i = 0; i < 4; i++)
		if (strcmp(level, level_names[i]) == 0)
			lvl = i;
	if (lvl < 0)
		return -1;
	if (strcmp(format, "logfmt") == 0)
		json_format = false;
	else if (strcmp(format, "json") == 0)
		json_format = true;
	else
		return -1;
	min_level = (enum log_level)lvl;
	return 0;
}

bool log_enabled(enum log_level lvl)
{
	/* Held lines are filtered when released: the level may still change. */
	return held || lvl >= min_level;
}

/* A line is built in a fixed buffer; whatever does not fit is cut. */
struct line {
	char buf[4096];
	size_t len;
};

static void put(struct line *l, const char *s, size_t n)
{
	size_t room = sizeof l->buf - 1 - l->len;
	if (n > room)
		n = room;
	memcpy(l->buf + l->len, s, n);
	l->len += n;
}

static void puts_(struct line *l, const char *s)
{
	put(l, s, strlen(s));
}

static bool needs_quotes(const char *s)
{
	if (!*s)
		return true;
	for (; *s; s++)
		if (*s <= ' ' || *s == '=' || *s == '"' || *s == '\\' || *s == 0x7f)
			return true;
	return false;
}

static void put_escaped(struct line *l, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		char tmp[8];
		switch (c) {
		case '"': puts_(l, "\\\""); break;
		case '\\': puts_(l, "\\\\"); break;
		case '\n': puts_(l, "\\n"); break;
		case '\r': puts_(l, "\\r"); break;
		case '\t': puts_(l, "\\t"); break;
		default:
			if (c < 0x20) {
				snprintf(tmp, sizeof tmp, "\\u%04x", c);
				puts_(l, tmp);
			} else {
				put(l, (const char *)&c, 1);
			}
		}
	}
}

static void put_kv(struct line *l, const char *k, const char *v, bool first)
{
	if (!v)
		v = "";
	if (json_format) {
		puts_(l, first ? "\"" : ",\"");
		put_escaped(l, k);
		puts_(l, "\":\"");
		put_escaped(l, v);
		puts_(l, "\"");
		return;
	}
	if (!first)
		puts_(l, " ");
	puts_(l, k);
	puts_(l, "=");
	if (needs_quotes(v)) {
		puts_(l, "\"");
		put_escaped(l, v);
		puts_(l, "\"");
	} else {
		puts_(l, v);
	}
}

/* Format one line (time, level, msg, then n key/value pairs) into l. */
static void format_line(struct line *l, enum log_level lvl, const char *when, const char *msg,
			const char *const *kv, size_t n)
{
	l->len = 0;
	if (json_format)
		puts_(l, "{");
	put_kv(l, "time", when, true);
	put_kv(l, "level", level_names[lvl], false);
	put_kv(l, "msg", msg, false);
	for (size_t i = 0; i < n; i++)
		put_kv(l, kv[2 * i], kv[2 * i + 1], false);
	if (json_format)
		puts_(l, "}");
	l->buf[l->len++] = '\n';
}

/*
 * A held line is kept unformatted (level byte, then time, msg and the
 * key/value strings each NUL-terminated, then an empty string), so that it
 * comes out in the format chosen by the time it is released.
 */
static void hold_line(enum log_level lvl, const char *when, const char *msg, const char *const *kv,
		      size_t n)
{
	size_t need = 2 + strlen(when) + 1 + strlen(msg) + 1;
	for (size_t i = 0; i < 2 * n; i++)
		need += strlen(kv[i]) + 1;
	if (held_len + need > sizeof held_buf)
		return;
	char *p = held_buf + held_len;
	*p++ = (char)lvl;
	const char *parts[2] = { when, msg };
	for (size_t i = 0; i < 2; i++) {
		size_t k = strlen(parts[i]) + 1;
		memcpy(p, parts[i], k);
		p += k;
	}
	for (size_t i = 0; i < 2 * n; i++) {
		size_t k = strlen(kv[i]) + 1;
		memcpy(p, kv[i], k);
		p += k;
	}
	*p++ = '\0';
	held_len = (size_t)(p - held_buf);
}

#define MAX_PAIRS 32

void log_msg(enum log_level lvl, const char *msg, ...)
{
	if (!log_enabled(lvl))
		return;

	struct timespec ts;
	struct tm tm;
	char when[40];
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	size_t n = strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(when + n, sizeof when - n, ".%03ldZ", ts.tv_nsec / 1000000);

	const char *kv[2 * MAX_PAIRS];
	size_t pairs = 0;
	va_list ap;
	va_start(ap, msg);
	for (;;) {
		const char *k = va_arg(ap, const char *);
		if (!k)
			break;
		const char *v = va_arg(ap, const char *);
		if (pairs < MAX_PAIRS) {
			kv[2 * pairs] = k;
			kv[2 * pairs + 1] = v ? v : "";
			pairs++;
		}
	}
	va_end(ap);

	if (held) {
		hold_line(lvl, when, msg, kv, pairs);
		return;
	}
	struct line l;
	format_line(&l, lvl, when, msg, kv, pairs);
	/* A short write to stderr has nowhere to be reported. */
	ssize_t w = write(STDERR_FILENO, l.buf, l.len);
	(void)w;
}

void log_hold(void)
{
	held = true;
	held_len = 0;
}

void log_release(void)
{
	held = false;
	for (const char *p = held_buf; p < held_buf + held_len;) {
		enum log_level lvl = (enum log_level)*p++;
		const char *when = p;
		p += strlen(p) + 1;
		const char *msg = p;
		p += strlen(p) + 1;
		const char *kv[2 * MAX_PAIRS];
		size_t n = 0;
		while (*p) {
			kv[2 * n] = p;
			p += strlen(p) + 1;
			kv[2 * n + 1] = p;
			p += strlen(p) + 1;
			n++;
		}
		p++;
		if (lvl < min_level)
			continue;
		struct line l;
		format_line(&l, lvl, when, msg, kv, n);
		ssize_t w = write(STDERR_FILENO, l.buf, l.len);
		(void)w;
	}
	held_len = 0;
}
