/*
 * TabSeparatedWithNamesAndTypes, read in place: a raw tab always separates
 * fields and a raw newline always ends a row (both are escaped inside
 * values), so rows and fields are cut with NUL bytes and each field is
 * unescaped where it lies (unescaping only shrinks).
 */
#include <string.h>

#include "../common/parse.h"
#include "clickhouse.h"

char *tsv_unescape(char *s)
{
	char *r = strchr(s, '\\');
	if (!r)
		return s;
	char *w = r;
	while (*r) {
		if (*r != '\\' || !r[1]) {
			*w++ = *r++;
			continue;
		}
		char c = r[1];
		char out;
		switch (c) {
		case 't': out = '\t'; break;
		case 'n': out = '\n'; break;
		case 'r': out = '\r'; break;
		case 'b': out = '\b'; break;
		case 'f': out = '\f'; break;
		case '\\': out = '\\'; break;
		case '\'': out = '\''; break;
		case '"': out = '"'; break;
		default:
			/* \0 and unknown escapes stay as written: a NUL would cut the value short. */
			*w++ = *r++;
			continue;
		}
		*w++ = out;
		r += 2;
	}
	*w = '\0';
	return s;
}

/* Cut the next line; NULL at the end. */
static char *cut_line(struct tsv *t)
{
	if (t->cur >= t->end)
		return NULL;
	char *line = t->cur;
	char *nl = memchr(line, '\n', (size_t)(t->end - line));
	if (!nl)
		nl = t->end; /* tsv_open made sure the data ends with '\n' */
	*nl = '\0';
	t->cur = nl + 1;
	t->line++;
	return line;
}

static bool is_exception(const char *line)
{
	/* 18.16: "Code: 60, e.displayText() = DB::Exception..."; newer: "Code: 60. DB::Exception: ..." */
	return has_prefix(line, "Code: ") && strstr(line, "Exception");
}

int tsv_open(struct tsv *t, char *data, size_t len, char *err, size_t errlen)
{
	memset(t, 0, sizeof *t);
	t->cur = data;
	t->end = data + len;
	if (len == 0) {
		strf(err, errlen, "empty reply");
		return -1;
	}
	if (data[len - 1] != '\n') {
		strf(err, errlen, "reply cut short (no newline at its end)");
		return -1;
	}
	char *names = cut_line(t);
	if (is_exception(names)) {
		strf(err, errlen, "server error: %.200s", names);
		return -1;
	}
	char *types = cut_line(t);
	if (!types) {
		strf(err, errlen, "reply without the column types line");
		return -1;
	}
	size_t n = split_on(names, '\t', t->names, sizeof t->names / sizeof t->names[0]);
	char *tf[sizeof t->names / sizeof t->names[0]];
	size_t nt = split_on(types, '\t', tf, sizeof tf / sizeof tf[0]);
	if (n != nt || n > sizeof t->names / sizeof t->names[0]) {
		strf(err, errlen, "malformed reply header (%zu names, %zu types)", n, nt);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		tsv_unescape(t->names[i]);
	t->ncols = n;
	return 0;
}

int tsv_column(const struct tsv *t, const char *name)
{
	for (size_t i = 0; i < t->ncols; i++)
		if (!strcmp(t->names[i], name))
			return (int)i;
	return -1;
}

long tsv_next(struct tsv *t, char **fields, size_t max)
{
	char *line = cut_line(t);
	if (!line)
		return 0;
	size_t n = 1;
	char *p = line, *end = t->cur - 1; /* cut_line's NUL */
	/* Escapes are rare: a line without a backslash needs no unescaping. */
	bool escaped = memchr(line, '\\', (size_t)(end - line)) != NULL;
	if (max)
		fields[0] = line;
	for (char *tab; (tab = memchr(p, '\t', (size_t)(end - p))); p = tab + 1) {
		*tab = '\0';
		if (n < max)
			fields[n] = tab + 1;
		n++;
	}
	if (n == 1 && is_exception(line))
		return -1;
	for (size_t i = 0; escaped && i < n && i < max; i++)
		tsv_unescape(fields[i]);
	return (long)n;
}
