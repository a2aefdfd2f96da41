/*
 * interrupts: /proc/interrupts per CPU, one counter per interrupt and CPU.
 * The header line has one column per CPU; a line "name: <count per CPU>
 * info... devices..." gives the type (name), for numbered IRQs the chip and
 * the devices, for named ones (NMI, LOC...) the description as info. Lines
 * with fewer values than CPUs (ERR, MIS) are left out, as upstream. A name
 * that appears twice keeps its last line (upstream keeps them in a map).
 * Filters match "<name>;<info>;<devices>".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/exporter.h"
#include "../../common/hashtab.h"
#include "../../common/hostfs.h"
#include "../../common/parse.h"
#include "../../common/rx.h"
#include "../../common/sysfs.h"

static const char *name_include, *name_exclude;
static bool include_zeros;

static struct flag interrupts_flags[] = {
	{ .name = "collector.interrupts.name-include", .type = FLAG_STRING, .dest = &name_include,
	  .help = "Regexp of interrupts to include, matched against \"<name>;<info>;<devices>\" (mutually exclusive to --collector.interrupts.name-exclude)." },
	{ .name = "collector.interrupts.name-exclude", .type = FLAG_STRING, .dest = &name_exclude,
	  .help = "Regexp of interrupts to exclude, matched against \"<name>;<info>;<devices>\" (mutually exclusive to --collector.interrupts.name-include)." },
	{ .name = "collector.interrupts.include-zeros", .type = FLAG_BOOL, .dest = &include_zeros,
	  .def = "true", .help = "Include interrupts that have a zero value" },
};

struct interrupts_state {
	struct rx_filter filter;
	struct hashtab seen;
	char **lines, **fields;
	size_t nlines_cap, nfields_cap;
};

static void interrupts_fini(void *state)
{
	struct interrupts_state *st = state;
	if (!st)
		return;
	rx_filter_free(&st->filter);
	hashtab_free(&st->seen);
	free(st->lines);
	free(st->fields);
	free(st);
}

static int interrupts_init(void **state, char *err, size_t errlen)
{
	struct interrupts_state *st = calloc(1, sizeof *st);
	if (!st) {
		strf(err, errlen, "interrupts: out of memory");
		return -1;
	}
	if (rx_filter_init(&st->filter, "collector.interrupts.name-include", name_include,
			   "collector.interrupts.name-exclude", name_exclude, err, errlen) < 0) {
		free(st);
		return -1;
	}
	*state = st;
	return 0;
}

/* Make room for n pointers in *arr (capacity *cap). Returns 0 or -1. */
static int room(char ***arr, size_t *cap, size_t n)
{
	if (n <= *cap)
		return 0;
	char **p = realloc(*arr, n * sizeof *p);
	if (!p)
		return -1;
	*arr = p;
	*cap = n;
	return 0;
}

/* fields[from..n) joined by single spaces into dst. */
static void join(char *const *fields, size_t from, size_t n, char *dst, size_t cap)
{
	size_t len = 0;
	dst[0] = '\0';
	for (size_t i = from; i < n; i++) {
		int w = strf(dst + len, cap - len, "%s%s", i > from ? " " : "", fields[i]);
		if (w < 0 || (size_t)w >= cap - len)
			return;
		len += (size_t)w;
	}
}

static int interrupts_collect(struct scrape *s, struct expo *e)
{
	struct interrupts_state *st = s->state;
	char path[4096];
	if (proc_path(path, sizeof path, "interrupts") < 0)
		return scrape_fail(s, "path too long");
	char *text;
	int rc = collect_read_required(s, path, &text);
	if (rc != COLLECT_OK)
		return rc;
	char *cur = text, *header = next_line(&cur);
	if (!header)
		return scrape_fail(s, "%s is empty", path);
	size_t ncpu = count_fields(header);

	size_t nlines = 0;
	for (char *line; (line = next_line(&cur));) {
		if (room(&st->lines, &st->nlines_cap, nlines + 1) < 0)
			return scrape_fail(s, "out of memory");
		st->lines[nlines++] = line;
	}
	struct family *f = expo_family(e, "node_interrupts_total", METRIC_COUNTER,
				       "Interrupts handled per CPU.",
				       (const char *const[]){ "cpu", "type", "info", "devices", NULL });
	hashtab_clear(&st->seen);
	/* From the last line up, so that the last line of a repeated name wins. */
	for (size_t l = nlines; l-- > 0;) {
		char *line = st->lines[l], *colon = strchr(line, ':');
		if (!colon)
			continue;
		*colon = '\0';
		char *name = line;
		while (*name == ' ')
			name++;
		size_t want = ncpu + 1, have = count_fields(colon + 1);
		if (have < want)
			continue;
		if (room(&st->fields, &st->nfields_cap, have) < 0)
			return scrape_fail(s, "out of memory");
		split_fields(colon + 1, st->fields, have);
		uint64_t h = hash_bytes(name, strlen(name));
		if (hashtab_get(&st->seen, name, h))
			continue;
		if (hashtab_put(&st->seen, name, h, name) < 0)
			return scrape_fail(s, "out of memory");
		char **fld = st->fields;
		char info[512], devices[1024];
		int64_t irq;
		if (parse_i64(name, &irq) == 0) {
			strf(info, sizeof info, "%s", fld[ncpu]);
			join(fld, ncpu + 1, have, devices, sizeof devices);
		} else {
			join(fld, ncpu, have, info, sizeof info);
			devices[0] = '\0';
		}
		char key[2048];
		strf(key, sizeof key, "%s;%s;%s", name, info, devices);
		if (rx_filter_ignored(&st->filter, key))
			continue;
		for (size_t c = 0; c < ncpu; c++) {
			double v;
			if (parse_double(fld[c], &v) < 0)
				return scrape_fail(s, "invalid value %s in %s", fld[c], path);
			if (!include_zeros && v == 0)
				continue;
			char cpu[24];
			strf(cpu, sizeof cpu, "%zu", c);
			expo_sample(e, f, v, cpu, name, info, devices);
		}
	}
	return COLLECT_OK;
}

const struct collector_def collector_interrupts = {
	.name = "interrupts",
	.default_enabled = false,
	.flags = interrupts_flags,
	.nflags = sizeof interrupts_flags / sizeof interrupts_flags[0],
	.init = interrupts_init,
	.collect = interrupts_collect,
	.fini = interrupts_fini,
};
