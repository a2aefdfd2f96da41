/*
 * cpu_vulnerabilities: one info series per file of
 * /sys/devices/system/cpu/vulnerabilities, with the state the file starts
 * with ("Not affected", "Vulnerable", "Mitigation: ...", "Unknown: ...") and
 * the rest of its text as the mitigation. A kernel without the directory
 * gives no series, as upstream.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "../../common/exporter.h"
#include "../../common/hostfs.h"
#include "../../common/parse.h"
#include "../../common/sysfs.h"

/* The text after the first word (strings.Fields joined by one space). */
static void words_after_first(char *text, char *dst, size_t cap)
{
	size_t len = 0;
	char *cur = text;
	sysfs_next_field(&cur);
	dst[0] = '\0';
	for (char *w; (w = sysfs_next_field(&cur));) {
		int n = strf(dst + len, cap - len, "%s%s", len ? " " : "", w);
		if (n < 0 || (size_t)n >= cap - len)
			break;
		len += (size_t)n;
	}
}

static int vuln_collect(struct scrape *s, struct expo *e)
{
	char dir[4096];
	if (sys_path(dir, sizeof dir, "devices/system/cpu/vulnerabilities") < 0)
		return scrape_fail(s, "path too long");
	struct sysfs_dir d;
	int rc = collect_list_optional(s, dir, &d);
	if (rc != COLLECT_OK)
		return rc;
	struct family *f = expo_family(
		e, "node_cpu_vulnerabilities_info", METRIC_GAUGE,
		"CPU vulnerabilities the kernel reports (value 1); state and mitigation as labels.",
		(const char *const[]){ "codename", "state", "mitigation", NULL });
	static const char *const states[] = { "not affected", "vulnerable", "mitigation", "unknown" };
	for (size_t i = 0; i < d.n; i++) {
		char path[4096], *text;
		if (strf(path, sizeof path, "%s/%s", dir, d.ents[i].name) >= (int)sizeof path) {
			sysfs_dir_free(&d);
			return scrape_fail(s, "path too long");
		}
		rc = collect_read_required(s, path, &text);
		if (rc != COLLECT_OK) {
			sysfs_dir_free(&d);
			return rc;
		}
		text = trim(text);
		const char *state = "unknown";
		char mitigation[1024];
		size_t k = 0;
		for (; k < 4; k++)
			if (!strncasecmp(text, states[k], strlen(states[k])))
				break;
		if (k == 0) {
			state = states[0];
			mitigation[0] = '\0';
		} else if (k < 4) {
			state = states[k];
			words_after_first(text, mitigation, sizeof mitigation);
		} else {
			strf(mitigation, sizeof mitigation, "%s", text);
		}
		expo_sample(e, f, 1, d.ents[i].name, state, mitigation);
	}
	sysfs_dir_free(&d);
	return COLLECT_OK;
}

const struct collector_def collector_cpu_vulnerabilities = {
	.name = "cpu_vulnerabilities",
	.default_enabled = false,
	.collect = vuln_collect,
};
