#include "statfile.h"

#include <string.h>

#include "parse.h"
#include "sysfs.h"

/* What sysfs_next_field() (strings.Fields) skips, so a blank line has no field. */
static bool blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* The next line with a field in it, or NULL. */
static char *next_nonblank_line(char **cursor)
{
	char *line;
	while ((line = next_line(cursor))) {
		size_t n = strlen(line);
		if (n && line[n - 1] == '\r')
			line[n - 1] = '\0';
		char *p = line;
		while (blank(*p))
			p++;
		if (*p)
			return p;
	}
	return NULL;
}

int kv_next(char **cursor, char **key, char **value)
{
	char *line = next_nonblank_line(cursor);
	if (!line)
		return 0;
	char *rest = line;
	*key = sysfs_next_field(&rest);
	*value = sysfs_next_field(&rest);
	if (!*value || sysfs_next_field(&rest)) {
		*key = line;
		return -1;
	}
	return 1;
}

int nested_next(char **cursor, char **head, char **pairs)
{
	char *line = next_nonblank_line(cursor);
	if (!line)
		return 0;
	*pairs = line;
	*head = sysfs_next_field(pairs);
	return 1;
}

int kv_pair_next(char **pairs, char **key, char **value)
{
	char *field = sysfs_next_field(pairs);
	if (!field)
		return 0;
	char *eq = strchr(field, '=');
	*key = field;
	if (!eq || eq == field)
		return -1;
	*eq = '\0';
	*value = eq + 1;
	return 1;
}

int parse_u64_max(const char *s, uint64_t *out)
{
	if (strcmp(s, "max") == 0) {
		*out = UINT64_MAX;
		return 1;
	}
	return parse_u64(s, out);
}

int parse_devnum(const char *s, unsigned *major, unsigned *minor)
{
	const char *colon = strchr(s, ':');
	uint64_t a, b;
	if (!colon || parse_u64_n(s, (size_t)(colon - s), &a) < 0 || parse_u64(colon + 1, &b) < 0 ||
	    a > UINT32_MAX || b > UINT32_MAX)
		return -1;
	*major = (unsigned)a;
	*minor = (unsigned)b;
	return 0;
}

/* "avg10=0.00 avg60=0.00 avg300=0.00 total=123", the keys in the kernel's order. */
static int psi_fields(char *pairs, struct psi_line *l)
{
	static const char *const keys[] = { "avg10", "avg60", "avg300", "total" };
	double *avg[] = { &l->avg10, &l->avg60, &l->avg300 };
	char *key, *value;
	for (int i = 0; i < 4; i++) {
		if (kv_pair_next(&pairs, &key, &value) != 1 || strcmp(key, keys[i]) != 0)
			return -1;
		if (i < 3 ? parse_double(value, avg[i]) < 0 : parse_u64(value, &l->total) < 0)
			return -1;
	}
	l->present = true;
	return 0;
}

int psi_parse(char *text, struct psi *out, const char **bad)
{
	*out = (struct psi){ 0 };
	char *cur = text, *head, *pairs;
	while (nested_next(&cur, &head, &pairs)) {
		struct psi_line *l = !strcmp(head, "some") ? &out->some :
				     !strcmp(head, "full") ? &out->full :
							     NULL;
		if (l && psi_fields(pairs, l) < 0) {
			if (bad)
				*bad = head;
			return -1;
		}
	}
	return 0;
}
