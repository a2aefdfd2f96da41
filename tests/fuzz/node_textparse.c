// links: node_exporter
/*
 * libFuzzer target for the Prometheus text-format parser of the textfile
 * collector (node_exporter/textparse.c): any bytes as a .prom file, parsed
 * twice with one parser and one arena as the collector does on successive
 * files, and what it returns checked for the promises the collector relies
 * on. Built and run by `make fuzz`; the unit test
 * check_node_textparse_corpus replays its corpus (tests/fuzz/corpus/
 * node_textparse) in every pass.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/arena.h"
#include "../../common/buf.h"
#include "../../node_exporter/textparse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool legacy_name(const char *s, bool colon)
{
	if (!*s)
		return false;
	for (size_t i = 0; s[i]; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon && c == ':') ||
		      (i && c >= '0' && c <= '9')))
			return false;
	}
	return true;
}

/* What text_parse() promises of a success; a broken promise aborts (a finding). */
static void check(const struct text_family *f, const char *file)
{
	for (; f; f = f->next) {
		if (!legacy_name(f->name, true) || f->nmetrics == 0 || f->file != file ||
		    f->type == TEXT_GAUGE_HISTOGRAM)
			abort();
		for (size_t i = 0; i < f->nmetrics; i++) {
			const struct text_metric *m = f->metrics[i];
			for (size_t k = 0; k < m->nlabels; k++)
				if (!legacy_name(m->labels[k].name, false) || !m->labels[k].value ||
				    !strncmp(m->labels[k].name, "__", 2))
					abort();
			if (m->npts > m->cappts)
				abort();
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena a = { 0 };
	struct buf tok;
	buf_init(&tok, (64u << 20) + 1);
	struct text_parser p;
	text_parser_init(&p, &a, tok, (64u << 20) + 1);
	static const char file[] = "fuzz.prom";
	for (int round = 0; round < 2; round++) {
		struct text_family *f = text_parse(&p, (const char *)data, size, file);
		if (p.err) {
			if (!p.msg[0] || f)
				abort(); /* a failure always says why */
		} else {
			check(f, file);
		}
	}
	tok = text_parser_done(&p);
	buf_free(&tok);
	arena_free(&a);
	return 0;
}
