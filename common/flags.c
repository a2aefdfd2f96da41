#include "flags.h"

#include <math.h>
#include <stdarg.h>
#include <string.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

void flags_fail(const struct flagset *fs, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s: error: %s, try --help\n", fs->prog, msg);
	exit(2);
}

void flags_add(struct flagset *fs, struct flag *f)
{
	if (fs->n == fs->cap) {
		fs->cap = fs->cap ? fs->cap * 2 : 64;
		fs->flags = realloc(fs->flags, fs->cap * sizeof *fs->flags);
		if (!fs->flags) {
			fprintf(stderr, "%s: out of memory\n", fs->prog);
			exit(1);
		}
	}
	fs->flags[fs->n++] = f;
}

void flags_add_table(struct flagset *fs, struct flag *table, size_t n)
{
	for (size_t i = 0; i < n; i++)
		flags_add(fs, &table[i]);
}

struct flag *flags_find(struct flagset *fs, const char *name)
{
	for (size_t i = 0; i < fs->n; i++)
		if (strcmp(fs->flags[i]->name, name) == 0)
			return fs->flags[i];
	return NULL;
}

int parse_duration(const char *s, double *seconds)
{
	static const struct {
		const char *unit;
		double scale;
	} units[] = {
		{ "ns", 1e-9 }, { "us", 1e-6 }, { "\xc2\xb5s", 1e-6 }, { "\xce\xbcs", 1e-6 },
		{ "ms", 1e-3 }, { "s", 1 }, { "m", 60 }, { "h", 3600 },
	};
	double sign = 1, total = 0;
	if (*s == '-' || *s == '+') {
		sign = *s == '-' ? -1 : 1;
		s++;
	}
	if (strcmp(s, "0") == 0) {
		*seconds = 0;
		return 0;
	}
	if (!*s)
		return -1;
	while (*s) {
		const char *start = s;
		while ((*s >= '0' && *s <= '9') || *s == '.')
			s++;
		if (s == start)
			return -1;
		double v;
		if (parse_double_n(start, (size_t)(s - start), &v) < 0)
			return -1;
		size_t best = 0;
		double scale = 0;
		for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
			size_t n = strlen(units[i].unit);
			if (strncmp(s, units[i].unit, n) == 0 && n > best) {
				best = n;
				scale = units[i].scale;
			}
		}
		if (!best)
			return -1;
		s += best;
		total += v * scale;
	}
	*seconds = sign * total;
	return 0;
}

static int list_push(struct strlist *l, const char *v)
{
	const char **items = realloc(l->items, (l->n + 1) * sizeof *items);
	if (!items)
		return -1;
	items[l->n++] = v;
	l->items = items;
	return 0;
}

static bool parse_bool(const char *v, bool *out)
{
	if (!strcmp(v, "true") || !strcmp(v, "1") || !strcmp(v, "t") || !strcmp(v, "T") ||
	    !strcmp(v, "TRUE") || !strcmp(v, "True")) {
		*out = true;
		return true;
	}
	if (!strcmp(v, "false") || !strcmp(v, "0") || !strcmp(v, "f") || !strcmp(v, "F") ||
	    !strcmp(v, "FALSE") || !strcmp(v, "False")) {
		*out = false;
		return true;
	}
	return false;
}

/* Store v into f; returns NULL or a description of what is wrong. */
static const char *assign(struct flag *f, const char *v, bool from_default)
{
	switch (f->type) {
	case FLAG_BOOL:
		if (!parse_bool(v, (bool *)f->dest))
			return "expected true or false";
		return NULL;
	case FLAG_STRING:
		*(const char **)f->dest = v;
		return NULL;
	case FLAG_INT: {
		int64_t n;
		if (parse_i64(v, &n) < 0)
			return "expected an integer";
		*(long *)f->dest = (long)n;
		return NULL;
	}
	case FLAG_DOUBLE: {
		double d;
		if (parse_double(v, &d) < 0 || isnan(d))
			return "expected a number";
		*(double *)f->dest = d;
		return NULL;
	}
	case FLAG_DURATION: {
		double d;
		if (parse_duration(v, &d) < 0)
			return "expected a duration such as 10s or 1m30s";
		*(double *)f->dest = d;
		return NULL;
	}
	case FLAG_LIST: {
		struct strlist *l = f->dest;
		/* The first explicit value replaces the defaults. */
		if (!from_default && !f->set)
			l->n = 0;
		if (list_push(l, v) < 0)
			return "out of memory";
		return NULL;
	}
	}
	return "unknown flag type";
}

/* Wipe and free the copy of a secret taken out of argv. */
static void secret_drop(struct flag *f)
{
	char **v = f->dest;
	explicit_bzero(*v, strlen(*v));
	free(*v);
	*v = NULL;
	f->wiped = false;
}

static void apply_defaults(struct flagset *fs)
{
	for (size_t i = 0; i < fs->n; i++) {
		struct flag *f = fs->flags[i];
		f->set = false;
		switch (f->type) {
		case FLAG_BOOL: *(bool *)f->dest = false; break;
		case FLAG_STRING:
			if (f->wiped) /* a secret copied out of an earlier argv */
				secret_drop(f);
			*(const char **)f->dest = "";
			break;
		case FLAG_INT: *(long *)f->dest = 0; break;
		case FLAG_DOUBLE:
		case FLAG_DURATION: *(double *)f->dest = 0; break;
		case FLAG_LIST: {
			struct strlist *l = f->dest;
			free(l->items);
			l->items = NULL;
			l->n = 0;
			break;
		}
		}
		if (f->def && *f->def) {
			const char *err = assign(f, f->def, true);
			if (err)
				flags_fail(fs, "bad default for --%s: %s", f->name, err);
		}
	}
}

static void apply_env(struct flagset *fs)
{
	for (size_t i = 0; i < fs->n; i++) {
		struct flag *f = fs->flags[i];
		if (!f->env)
			continue;
		const char *v = getenv(f->env);
		if (!v || (!*v && f->type != FLAG_STRING))
			continue;
		const char *err = assign(f, v, false);
		if (err)
			flags_fail(fs, "invalid value in $%s for --%s: %s", f->env, f->name, err);
		f->set = true;
		f->from_env = true;
	}
}

/*
 * Keep a copy of a secret given in argv and overwrite it there: ps and
 * /proc/<pid>/cmdline show the process's own argv memory.
 */
static void wipe_secret(struct flagset *fs, struct flag *f, char *value)
{
	char *copy = strdup(value);
	if (!copy) {
		fprintf(stderr, "%s: out of memory\n", fs->prog);
		exit(1);
	}
	*(const char **)f->dest = copy;
	f->wiped = true;
	memset(value, 'x', strlen(value));
	if (!fs->secret_in_argv)
		fs->secret_in_argv = f;
}

static const char *type_word(const struct flag *f)
{
	switch (f->type) {
	case FLAG_BOOL: return "";
	case FLAG_STRING: return "=<string>";
	case FLAG_INT: return "=<int>";
	case FLAG_DOUBLE: return "=<float>";
	case FLAG_DURATION: return "=<duration>";
	case FLAG_LIST: return "=<string> ...";
	}
	return "";
}

static void print_help(const struct flagset *fs)
{
	printf("usage: %s [<flags>]\n\nFlags:\n", fs->prog);
	printf("  -h, --help    Show this help and exit.\n");
	printf("      --version    Show the version and exit.\n");
	for (size_t i = 0; i < fs->n; i++) {
		const struct flag *f = fs->flags[i];
		if (f->opts & FLAG_HIDDEN)
			continue;
		printf("      --%s%s%s    %s", f->type == FLAG_BOOL ? "[no-]" : "", f->name,
		       type_word(f), f->help ? f->help : "");
		if (f->type == FLAG_BOOL) {
			if (!f->help || !strstr(f->help, "(default:"))
				printf(" (default: %s)", f->def && !strcmp(f->def, "true") ? "true" : "false");
		}
		else if (!(f->opts & FLAG_SECRET) && f->def)
			printf(" (default: \"%s\")", f->def);
		if (f->env)
			printf(" ($%s)", f->env);
		printf("\n");
	}
	if (fs->usage_tail)
		printf("\n%s", fs->usage_tail);
}

/* Is f's value its default? (Lists: is it empty?) */
static bool at_default(const struct flag *f)
{
	const char *def = f->def ? f->def : "";
	switch (f->type) {
	case FLAG_BOOL: {
		bool d = false;
		if (*def)
			parse_bool(def, &d);
		return *(const bool *)f->dest == d;
	}
	case FLAG_STRING:
		return !strcmp(*(const char *const *)f->dest, def);
	case FLAG_INT: {
		int64_t d = 0;
		if (*def && parse_i64(def, &d) < 0)
			return false;
		return *(const long *)f->dest == (long)d;
	}
	case FLAG_DOUBLE:
	case FLAG_DURATION: {
		double d = 0;
		if (*def && (f->type == FLAG_DOUBLE ? parse_double(def, &d) : parse_duration(def, &d)) < 0)
			return false;
		return *(const double *)f->dest == d;
	}
	case FLAG_LIST:
		return ((const struct strlist *)f->dest)->n == 0;
	}
	return false;
}

void flags_parse(struct flagset *fs, int argc, char **argv)
{
	apply_defaults(fs);
	apply_env(fs);
	/* Flags set by the environment may still be overridden by argv. */
	for (size_t i = 0; i < fs->n; i++)
		if (fs->flags[i]->type == FLAG_LIST && fs->flags[i]->set)
			fs->flags[i]->set = false;

	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		/* kingpin's --help-long and --help-man: the man page is installed apart. */
		bool kingpin = !fs->single_dash;
		if (!strcmp(arg, "-h") || !strcmp(arg, "--help") ||
		    (kingpin && (!strcmp(arg, "--help-long") || !strcmp(arg, "--help-man"))) ||
		    (fs->single_dash && !strcmp(arg, "-help"))) {
			print_help(fs);
			exit(0);
		}
		if (!strcmp(arg, "--version") || (fs->single_dash && !strcmp(arg, "-version"))) {
			printf("%s\n", fs->version_line);
			exit(0);
		}
		/* kingpin's negations of the two: nothing to do. */
		if (kingpin && (!strcmp(arg, "--no-help") || !strcmp(arg, "--no-version")))
			continue;
		const char *body;
		if (arg[0] == '-' && arg[1] == '-' && arg[2])
			body = arg + 2;
		else if (fs->single_dash && arg[0] == '-' && arg[1] && arg[1] != '-')
			body = arg + 1;
		else if (arg[0] == '-' && arg[1])
			flags_fail(fs, "unknown short flag '%s'", arg);
		else
			flags_fail(fs, "unexpected argument '%s'", arg);

		char name[256];
		const char *eq = strchr(body, '=');
		size_t nlen = eq ? (size_t)(eq - body) : strlen(body);
		if (nlen >= sizeof name)
			flags_fail(fs, "unknown long flag '--%.40s...'", body);
		memcpy(name, body, nlen);
		name[nlen] = '\0';

		struct flag *f = flags_find(fs, name);
		bool negated = false;
		if (!f && has_prefix(name, "no-")) {
			f = flags_find(fs, name + 3);
			if (f && f->type != FLAG_BOOL)
				f = NULL;
			negated = f != NULL;
		}
		if (!f)
			flags_fail(fs, "unknown long flag '--%s'", name);

		char *value;
		if (f->type == FLAG_BOOL) {
			if (negated && eq)
				flags_fail(fs, "--no-%s takes no value", f->name);
			value = eq ? (char *)eq + 1 : (char *)(negated ? "false" : "true");
		} else if (eq) {
			value = (char *)eq + 1;
		} else if (i + 1 < argc) {
			value = argv[++i];
		} else {
			flags_fail(fs, "expected argument for flag '--%s'", f->name);
		}
		if (f->wiped) /* given again: the earlier copy goes */
			secret_drop(f);
		const char *err = assign(f, value, false);
		if (err) {
			if (f->opts & FLAG_SECRET)
				flags_fail(fs, "invalid value for flag '--%s': %s", f->name, err);
			flags_fail(fs, "invalid value '%s' for flag '--%s': %s", value, f->name, err);
		}
		f->set = true;
		f->from_env = false;
		if ((f->opts & FLAG_SECRET) && f->type == FLAG_STRING && *value)
			wipe_secret(fs, f, value);
	}
	for (size_t i = 0; i < fs->n; i++) {
		const struct flag *f = fs->flags[i];
		if (f->refused && f->set && !at_default(f) && f->from_env)
			flags_fail(fs, "$%s (--%s) is not supported: %s", f->env, f->name, f->refused);
		if (f->refused && f->set && !at_default(f))
			flags_fail(fs, "--%s is not supported: %s", f->name, f->refused);
	}
}

void flags_free(struct flagset *fs)
{
	for (size_t i = 0; i < fs->n; i++) {
		struct flag *f = fs->flags[i];
		if (f->wiped)
			secret_drop(f);
		if (f->type == FLAG_LIST) {
			struct strlist *l = f->dest;
			free(l->items);
			l->items = NULL;
			l->n = 0;
		}
	}
	free(fs->flags);
	fs->flags = NULL;
	fs->n = fs->cap = 0;
}
