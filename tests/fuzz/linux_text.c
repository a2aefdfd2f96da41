// links:
/*
 * libFuzzer target for the kernel text formats of the Linux layer in
 * common/: the bytes are, in turn, a flat keyed file (kv_next), a nested
 * keyed file (nested_next + kv_pair_next), a PSI file, a CPU list, a
 * mountinfo table (with its options looked up and its paths unescaped),
 * and each line a limit, a device number, a Go integer and a metric name
 * to sanitise. Each parser works in place on its own copy. Built and run
 * by `make fuzz`; check_linux_text_corpus replays its corpus in every pass.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/cpulist.h"
#include "../../common/mountinfo.h"
#include "../../common/statfile.h"
#include "../../common/sysfs.h"
#include "fuzz_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void flat_and_nested(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstring(data, size), *cur = s, *key, *value;
	if (!s)
		return;
	int rc;
	while ((rc = kv_next(&cur, &key, &value)) != 0)
		if (rc == 1 && (!*key || !*value))
			abort(); /* a pair has both fields */
	free(s);

	s = fuzz_cstring(data, size);
	if (!s)
		return;
	char *head, *pairs;
	cur = s;
	while (nested_next(&cur, &head, &pairs) == 1)
		while (kv_pair_next(&pairs, &key, &value) == 1)
			if (!*key)
				abort(); /* an empty key is refused */
	free(s);
}

static void psi_and_cpulist(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstring(data, size);
	if (!s)
		return;
	struct psi p;
	const char *bad = NULL;
	if (psi_parse(s, &p, &bad) < 0 && !bad)
		abort(); /* a failure points at the bad line */
	free(s);

	s = fuzz_cstring(data, size);
	if (!s)
		return;
	struct cpulist l;
	if (cpulist_parse(s, &l) == 0) {
		for (size_t i = 0; i < l.n; i++)
			if ((i && l.ids[i] <= l.ids[i - 1]) || !cpulist_has(&l, l.ids[i]))
				abort(); /* ascending, each once, and found */
	} else if (l.n || l.ids) {
		abort(); /* a failure leaves the set empty */
	}
	cpulist_free(&l);
	free(s);
}

static void mounts(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstring(data, size), *cur = s;
	if (!s)
		return;
	struct mountinfo_entry m;
	char val[256];
	int rc;
	while ((rc = mountinfo_next(&cur, &m)) != 0) {
		if (rc < 0)
			continue;
		if (!m.mountpoint || !m.options || !m.fstype || !m.source || !m.super_options)
			abort();
		mount_option(m.options, "ro");
		mount_option_value(m.super_options, "addr", val, sizeof val);
		if (strlen(val) >= sizeof val)
			abort();
		mountinfo_unescape((char *)m.root);
	}
	free(s);
}

/* Every line as a single value, a device number, a Go integer and a name. */
static void single_values(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstring(data, size);
	if (!s)
		return;
	for (char *line = s, *next; line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		uint64_t u = 0;
		int64_t i;
		unsigned major, minor;
		if (parse_u64_max(line, &u) == 1 && u != UINT64_MAX)
			abort();
		parse_devnum(line, &major, &minor);
		sysfs_parse_int(line, &i);
		sysfs_parse_uint(line, &u);
		char name[64];
		sysfs_sanitize_name(line, name, sizeof name);
		if (strlen(name) >= sizeof name)
			abort();
		char *f = line;
		while (sysfs_next_field(&f))
			;
	}
	free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	flat_and_nested(data, size);
	psi_and_cpulist(data, size);
	mounts(data, size);
	single_values(data, size);
	return 0;
}
