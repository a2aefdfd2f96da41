#include "fieldfilter.h"

#include <stdlib.h>
#include <string.h>

#include "../common/parse.h"
#include "../common/rx.h"

struct field_verdict {
	char name[64];
	bool match;
};

int field_filter_init(struct field_filter *ff, const char *flag, const char *pattern, char *err,
		      size_t errlen)
{
	memset(ff, 0, sizeof *ff);
	char rxerr[300];
	if (!(ff->rx = rx_compile(pattern, rxerr, sizeof rxerr))) {
		strf(err, errlen, "invalid --%s: %s", flag, rxerr);
		return -1;
	}
	return 0;
}

void field_filter_free(struct field_filter *ff)
{
	rx_free(ff->rx);
	free(ff->cache);
	memset(ff, 0, sizeof *ff);
}

/* Whether a remembered name is prefix_name (or name), compared without building it. */
static bool same_name(const struct field_verdict *v, const char *prefix, size_t plen, const char *name)
{
	if (!prefix)
		return strcmp(v->name, name) == 0;
	return strncmp(v->name, prefix, plen) == 0 && v->name[plen] == '_' &&
	       strcmp(v->name + plen + 1, name) == 0;
}

bool field_filter_wants(struct field_filter *ff, size_t pos, const char *prefix, size_t plen,
			const char *name)
{
	if (pos < ff->n && same_name(&ff->cache[pos], prefix, plen, name))
		return ff->cache[pos].match;
	char key[192];
	if (prefix)
		strf(key, sizeof key, "%.*s_%s", (int)plen, prefix, name);
	else
		strf(key, sizeof key, "%s", name);
	bool match = rx_match(ff->rx, key);
	size_t len = strlen(key);
	if (len >= sizeof ff->cache[0].name)
		return match; /* not remembered: matched again next time */
	if (pos >= ff->cap) {
		size_t cap = ff->cap ? ff->cap * 2 : 256;
		while (cap <= pos)
			cap *= 2;
		struct field_verdict *p = realloc(ff->cache, cap * sizeof *p);
		if (!p)
			return match;
		ff->cache = p;
		ff->cap = cap;
	}
	while (ff->n <= pos)
		ff->cache[ff->n++].name[0] = '\0';
	memcpy(ff->cache[pos].name, key, len + 1);
	ff->cache[pos].match = match;
	return match;
}
