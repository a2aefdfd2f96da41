#include "landing.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "backend.h"
#include "parse.h"

/* Our own sheet, in the spirit of exporter-toolkit's: an orange header, a system font. */
static const char css[] =
	"body{font-family:-apple-system,BlinkMacSystemFont,\"Segoe UI\",Roboto,\"Helvetica Neue\",Arial,"
	"\"Noto Sans\",\"Liberation Sans\",sans-serif;margin:0;color:#1f2328;background:#fff}\n"
	"header{background:#e6522c;color:#fff;font-size:1.25rem;font-weight:600;padding:1rem}\n"
	"main{padding:1rem}\n"
	"h2{font-size:1.1rem;margin:1.5rem 0 .5rem}\n"
	"table{border-collapse:collapse}\n"
	"th,td{border-bottom:1px solid #d0d7de;padding:.3rem .7rem;text-align:left;vertical-align:top}\n"
	"th{background:#f6f8fa}\n"
	"td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}\n"
	"td.time{white-space:nowrap}\n"
	"td.msg{font-family:monospace;white-space:pre-wrap;overflow-wrap:break-word;min-width:14rem;"
	"max-width:48rem}\n"
	".state{display:inline-block;min-width:4.5rem;text-align:center;padding:0 .5rem;border-radius:.7rem;"
	"font-weight:600;color:#fff}\n"
	".ok{background:#1a7f37}.down,.failed{background:#cf222e}.partial{background:#9a6700}"
	".nodata,.pending{background:#6e7781}\n"
	".note{color:#59636e;font-size:.9rem}\n";

/* The page being written: appends stop at the first error, kept in rc. */
struct page {
	struct buf *b;
	int rc;
	double now; /* wall clock */
};

static void put(struct page *p, const char *s)
{
	if (!p->rc)
		p->rc = buf_puts(p->b, s);
}

static void putf(struct page *p, const char *fmt, ...) PRINTF_LIKE(2, 3);
static void putf(struct page *p, const char *fmt, ...)
{
	if (p->rc)
		return;
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	p->rc = n < 0 || (size_t)n >= sizeof line ? -ENOSPC : buf_puts(p->b, line);
}

static void text(struct page *p, const char *s)
{
	if (!p->rc && s)
		p->rc = landing_put_text(p->b, s);
}

static int put_escaped(struct buf *out, char c)
{
	switch (c) {
	case '<': return buf_puts(out, "&lt;");
	case '>': return buf_puts(out, "&gt;");
	case '&': return buf_puts(out, "&amp;");
	case '"': return buf_puts(out, "&quot;");
	case '\'': return buf_puts(out, "&#39;");
	default:
		/* Control characters would only garble the page. */
		return buf_putc(out, (unsigned char)c < 0x20 && c != '\n' && c != '\t' ? '?' : c);
	}
}

/* Does a password= keyword start at p (at the start of s or after a separator)? */
static bool password_key(const char *s, const char *p)
{
	if (p != s && !strchr(" \t?&;,(", p[-1]))
		return false;
	return !strncasecmp(p, "password=", 9);
}

int landing_put_text(struct buf *out, const char *s)
{
	int rc = 0;
	const char *p = s;
	while (*p && !rc) {
		if (p[0] == ':' && p[1] == '/' && p[2] == '/') {
			/* scheme://user:password@host: everything up to the authority's last '@' */
			const char *auth = p + 3, *at = NULL;
			for (const char *q = auth; *q && !strchr("/?# \t\n\"'<>", *q); q++)
				if (*q == '@')
					at = q;
			rc = buf_puts(out, at ? "://***@" : "://");
			p = at ? at + 1 : auth;
		} else if (password_key(s, p)) {
			rc = buf_puts(out, "password=***");
			p += 9;
			if (*p == '\'') {
				/* libpq's quoted value, with \' inside */
				for (p++; *p && *p != '\''; p++)
					if (*p == '\\' && p[1])
						p++;
				p += *p == '\'';
			} else {
				p += strcspn(p, " \t\n&;,)\"'");
			}
		} else {
			rc = put_escaped(out, *p++);
		}
	}
	return rc;
}

/* A wall-clock time as UTC; the date only when asked or not the page's. */
static void stamp(struct page *p, double t, bool date)
{
	time_t secs = (time_t)t, now = (time_t)p->now;
	struct tm tm, today;
	char line[64];
	bool same_day = !date && gmtime_r(&now, &today) && gmtime_r(&secs, &tm) && tm.tm_yday == today.tm_yday &&
			tm.tm_year == today.tm_year;
	if (!gmtime_r(&secs, &tm) ||
	    !strftime(line, sizeof line, same_day ? "%H:%M:%S UTC" : "%Y-%m-%d %H:%M:%S UTC", &tm))
		put(p, "?");
	else
		put(p, line);
}

/* ... and how long before the page. */
static void when(struct page *p, double t)
{
	double ago = p->now - t;
	stamp(p, t, false);
	putf(p, " <span class=\"note\">(%.0f s ago)</span>", ago > 0 ? ago : 0);
}

/* A duration readable at a glance: most collectors take well under a millisecond. */
static void seconds(struct page *p, double d)
{
	if (d < 1)
		putf(p, "%.3f ms", d * 1e3);
	else
		putf(p, "%.2f s", d);
}

/*
 * Part of a URL: everything but the unreserved characters and those of keep
 * percent-encoded (then nothing is left to escape for HTML either).
 */
static void url_part(struct page *p, const char *s, const char *keep)
{
	static const char hex[] = "0123456789ABCDEF";
	for (; *s && !p->rc; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    strchr("-._~", c) || strchr(keep, c)) {
			p->rc = buf_putc(p->b, (char)c);
		} else {
			char enc[4] = { '%', hex[c >> 4], hex[c & 15], '\0' };
			put(p, enc);
		}
	}
}

static bool route_served(const struct exporter *x, const char *path)
{
	for (size_t i = 0; i < x->nserved_routes; i++)
		if (!strcmp(x->served_routes[i].path, path))
			return !x->served_routes[i].off;
	return false;
}

/* Relative links (the path without its '/'), so that a reverse proxy's prefix is kept. */
static void links(struct page *p, struct exporter *x, const char *telemetry_path)
{
	put(p, "<ul class=\"links\">\n<li><a href=\"");
	url_part(p, telemetry_path + 1, "/");
	put(p, "\">Metrics</a> <span class=\"note\">");
	text(p, telemetry_path);
	put(p, "</span></li>\n<li><a href=\"-/healthy\">Health</a> <span class=\"note\">/-/healthy</span></li>\n");
	struct backend *b = x->backend;
	const char *example = b && b->route && route_served(x, b->route) ? backend_example_target(b, x) : NULL;
	if (example) {
		/* The route without its argument answers 400: only a filled-in example is linked. */
		put(p, "<li><a href=\"");
		url_part(p, b->route + 1, "/");
		put(p, "?");
		url_part(p, b->target_param, "");
		put(p, "=");
		url_part(p, example, "");
		put(p, "\">");
		text(p, b->route);
		put(p, " example</a> <span class=\"note\">");
		text(p, b->route);
		put(p, "?");
		text(p, b->target_param);
		put(p, "=");
		text(p, example);
		put(p, ": a per-request target</span></li>\n");
	}
	put(p, "</ul>\n");
}

static const char *target_state(const struct backend_target_view *v)
{
	if (!v->scraped)
		return "pending";
	return !v->up ? "down" : v->partial ? "partial" : "ok";
}

static void targets(struct page *p, struct exporter *x)
{
	struct backend *b = x->backend;
	struct backend_target_view *v;
	size_t n = backend_target_views(b, &v);
	put(p, "<h2>Targets</h2>\n");
	if (!n) {
		put(p, "<p class=\"note\">No target configured");
		if (b->route) {
			put(p, "; per-request targets are scraped on ");
			text(p, b->route);
			put(p, "?");
			text(p, b->target_param);
			put(p, "=...");
		}
		put(p, ".</p>\n");
		free(v);
		return;
	}
	put(p, "<table class=\"targets\">\n<tr><th>Target</th><th>State</th><th>Last scrape</th>"
	       "<th>Duration</th><th>Failed / scrapes</th><th>Last error</th></tr>\n");
	for (size_t i = 0; i < n; i++) {
		const char *state = target_state(&v[i]);
		put(p, "<tr class=\"target\" data-target=\"");
		text(p, v[i].name);
		putf(p, "\" data-state=\"%s\"><td>", state);
		text(p, v[i].name);
		put(p, v[i].is_default ? " <span class=\"note\">configured</span>"
				       : " <span class=\"note\">per request</span>");
		putf(p, "</td><td><span class=\"state %s\">%s</span></td><td class=\"time\">", state,
		     !strcmp(state, "pending") ? "not scraped yet" : state);
		if (v[i].scraped) {
			when(p, v[i].when);
			put(p, "</td><td class=\"num\">");
			seconds(p, v[i].duration);
			put(p, "</td>");
		} else {
			put(p, "-</td><td class=\"num\">-</td>");
		}
		putf(p, "<td class=\"num\">%llu / %llu</td><td class=\"msg\">",
		     (unsigned long long)v[i].failures, (unsigned long long)v[i].scrapes);
		if (v[i].partial && !v[i].err[0])
			put(p, "part of the scrape failed (see the log)");
		else
			text(p, v[i].err);
		put(p, "</td></tr>\n");
	}
	put(p, "</table>\n");
	free(v);
}

/* The rule: COLLECT_NODATA, or success with no series, is "no data", never "failed". */
static const char *collector_state(const struct collector_status *st)
{
	if (!st->ran)
		return "pending";
	if (st->rc == COLLECT_NODATA || (st->rc == COLLECT_OK && st->series == 0))
		return "nodata";
	return st->rc == COLLECT_OK ? "ok" : "failed";
}

static void collectors(struct page *p, struct exporter *x)
{
	size_t disabled = 0;
	put(p, "<h2>Collectors</h2>\n");
	if (x->backend)
		put(p, "<p class=\"note\">Their latest run, on whichever target was scraped last.</p>\n");
	put(p, "<table class=\"collectors\">\n<tr><th>Collector</th><th>State</th><th>Series</th>"
	       "<th>Last run</th><th>Duration</th><th>Error or reason</th></tr>\n");
	for (size_t i = 0; i < x->ninst; i++) {
		struct collector *c = &x->inst[i];
		if (!c->enabled) {
			disabled++;
			continue;
		}
		struct collector_status st;
		collector_status_get(c, &st);
		const char *state = collector_state(&st);
		const char *label = !strcmp(state, "pending") ? "not run yet"
				    : !strcmp(state, "nodata") ? "no data" : state;
		put(p, "<tr class=\"collector\" data-collector=\"");
		text(p, c->def->name);
		putf(p, "\" data-state=\"%s\"><td>", state);
		text(p, c->def->name);
		putf(p, "</td><td><span class=\"state %s\">%s</span></td>", state, label);
		if (st.ran) {
			putf(p, "<td class=\"num\">%zu</td><td class=\"time\">", st.series);
			when(p, st.when);
			put(p, "</td><td class=\"num\">");
			seconds(p, st.duration);
			put(p, "</td><td class=\"msg\">");
			text(p, st.err);
		} else {
			put(p, "<td class=\"num\">-</td><td>-</td><td class=\"num\">-</td><td class=\"msg\">");
		}
		put(p, "</td></tr>\n");
	}
	put(p, "</table>\n");
	if (!disabled)
		return;
	putf(p, "<details><summary class=\"note\">%zu disabled</summary><p>", disabled);
	const char *sep = "";
	for (size_t i = 0; i < x->ninst; i++) {
		if (x->inst[i].enabled)
			continue;
		put(p, sep);
		text(p, x->inst[i].def->name);
		sep = ", ";
	}
	put(p, "</p></details>\n");
}

int landing_render(struct exporter *x, const char *telemetry_path, struct buf *out)
{
	struct page p = { .b = out, .now = wall_now() };
	put(&p, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"UTF-8\">\n"
		"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>");
	text(&p, x->title);
	put(&p, "</title>\n<style>\n");
	put(&p, css);
	put(&p, "</style>\n</head>\n<body>\n<header>");
	text(&p, x->title);
	put(&p, "</header>\n<main>\n<p class=\"version\">");
	text(&p, x->name);
	put(&p, " version ");
	text(&p, suite_version);
	put(&p, " <span class=\"note\">(branch ");
	text(&p, suite_branch);
	put(&p, ", revision ");
	text(&p, suite_revision);
	put(&p, ")</span></p>\n");
	links(&p, x, telemetry_path);
	if (x->backend)
		targets(&p, x);
	if (x->ninst)
		collectors(&p, x);
	put(&p, "<p class=\"note\">The latest scrapes as of ");
	stamp(&p, p.now, true);
	put(&p, "; this page never starts one.</p>\n</main>\n</body>\n</html>\n");
	return p.rc;
}
