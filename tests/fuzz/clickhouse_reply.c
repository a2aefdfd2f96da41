// links: clickhouse_exporter
/*
 * libFuzzer target for clickhouse_exporter's reading of a scrape's reply:
 * any bytes as the TabSeparatedWithNamesAndTypes reply of the combined
 * statement, parsed in place, sorted into sections, and every collector
 * run over the rows as in a scrape (with and without the capabilities
 * that add failed-mutation and dictionary-status families), then rendered.
 * Checks what the rest of the exporter relies on: a failure says why,
 * every row is in the section it names and has every label, the page
 * ends with a newline. Built and run by `make fuzz`; the unit test
 * check_clickhouse_reply_corpus replays its corpus in every pass.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../clickhouse_exporter/clickhouse.h"
#include "../../common/buf.h"
#include "../../common/expo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A probe reply of a server with every table and column the sections may use. */
static const char full_probe[] = "k\tv\nString\tString\nversion\t26.9.2.1\nreadonly\t0\n"
				 "column\tmutations.latest_fail_reason\ncolumn\tdictionaries.status\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	struct ch_rows rows;
	memset(&rows, 0, sizeof rows);
	char err[256] = "";
	if (ch_rows_parse(&rows, s, size, err, sizeof err) < 0) {
		if (!err[0])
			abort(); /* a failure says why */
	} else {
		struct ch_result res;
		memset(&res, 0, sizeof res);
		ch_rows_finish(&rows, &res);
		size_t total = 0;
		for (int sec = 0; sec < SEC_N; sec++) {
			for (size_t i = res.first[sec]; i < res.first[sec] + res.count[sec]; i++)
				for (int l = 0; l < CH_NLABELS; l++)
					if (res.rows[i].sec != (enum ch_sec)sec || !res.rows[i].l[l])
						abort();
			total += res.count[sec];
			res.state[sec] = SEC_OK;
		}
		if (total != res.nrows)
			abort();
		struct ch_caps caps;
		memset(&caps, 0, sizeof caps);
		char probe[sizeof full_probe];
		memcpy(probe, full_probe, sizeof probe);
		if (size % 2 && ch_caps_from_rows(&caps, probe, sizeof probe - 1, err, sizeof err) == 0)
			res.caps = &caps;
		res.names = ch_names_new();
		struct expo *e = expo_new(64u << 20);
		for (size_t i = 0; i < exporter_ncollectors; i++) {
			struct scrape sc = { .target = &res };
			int rc = exporter_collectors[i]->collect(&sc, e);
			if (rc == COLLECT_ERROR && !sc.err[0])
				abort();
		}
		struct buf b;
		buf_init(&b, 64u << 20);
		if (expo_render(e, EXPO_TEXT, &b) == 0 && b.len && b.data[b.len - 1] != '\n')
			abort();
		buf_free(&b);
		expo_free(e);
		ch_names_free(res.names);
		ch_caps_free(&caps);
	}
	ch_rows_free(&rows);
	free(s);
	return 0;
}
