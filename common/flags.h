/*
 * Command-line flags in the style of the upstream exporters: GNU long
 * options (--name=value, --name value), --no-name for booleans (kingpin),
 * optionally single-dash long options (Go's flag package), defaults from
 * environment variables, --help and --version. Errors are one line on
 * stderr and exit status 2.
 */
#ifndef COMMON_FLAGS_H
#define COMMON_FLAGS_H

#include <stdbool.h>
#include <stddef.h>

enum flag_type {
	FLAG_BOOL, /* dest: bool */
	FLAG_STRING, /* dest: const char * */
	FLAG_INT, /* dest: long */
	FLAG_DOUBLE, /* dest: double */
	FLAG_DURATION, /* dest: double, seconds; Go syntax "1m30s", "500ms" */
	FLAG_LIST, /* dest: struct strlist, repeatable */
};

/* Values of a repeatable flag. Strings point into argv or the defaults. */
struct strlist {
	size_t n;
	const char **items;
};

#define FLAG_HIDDEN 1u /* accepted but not listed in --help */
#define FLAG_SECRET 2u /* the value is never printed (--help shows no default) */

/*
 * One flag, declared with designated initializers:
 *   { .name = "web.telemetry-path", .type = FLAG_STRING, .dest = &path,
 *     .def = "/metrics", .help = "...", .env = "UPSTREAM_ENV_NAME" }
 */
struct flag {
	const char *name; /* without dashes: "web.listen-address" */
	enum flag_type type;
	void *dest;
	const char *def; /* default, in command-line syntax; NULL: false/empty/0 */
	const char *help;
	const char *env; /* environment variable read when the flag is absent */
	unsigned opts;
	bool set; /* given on the command line or by env (filled in by parsing) */
	/*
	 * An upstream flag this build cannot honour: accepted at its default,
	 * any other value exits 2 with "--name is not supported: <refused>".
	 */
	const char *refused;
	bool from_env; /* set by its environment variable, not argv (filled in by parsing) */
	bool wiped; /* a FLAG_SECRET value copied out of argv, which was overwritten */
};

struct flagset {
	const char *prog;
	const char *version_line; /* printed by --version */
	const char *usage_tail; /* text after the flag list in --help, or NULL */
	bool single_dash; /* accept -name as well as --name (Go flag package) */
	const struct flag *secret_in_argv; /* the first FLAG_SECRET flag given on the command line */
	struct flag **flags;
	size_t n, cap;
};

/* Register flags (the pointers must stay valid); aborts on allocation failure. */
void flags_add(struct flagset *fs, struct flag *f);
void flags_add_table(struct flagset *fs, struct flag *table, size_t n);

/*
 * Apply defaults, then environment variables, then argv. Handles --help
 * and --version (print, exit 0). The values of FLAG_SECRET string flags
 * given in argv are copied and overwritten in argv with 'x', so that ps
 * and /proc/<pid>/cmdline no longer show them (fs->secret_in_argv names
 * the first, for a warning). On any error prints
 *   "<prog>: error: <what>, try --help"
 * to stderr and exits with status 2.
 */
void flags_parse(struct flagset *fs, int argc, char **argv);

/* Find a registered flag by name, or NULL. */
struct flag *flags_find(struct flagset *fs, const char *name);

/* Print a one-line usage error in the standard form and exit(2). */
void flags_fail(const struct flagset *fs, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 2, 3)));

/* Release the lists allocated by parsing. */
void flags_free(struct flagset *fs);

/* Go time.ParseDuration into seconds; returns 0 or -1. */
int parse_duration(const char *s, double *seconds);

#endif
