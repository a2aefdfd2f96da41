#define PCRE2_CODE_UNIT_WIDTH 8
#include "rx.h"

#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct rx {
	pcre2_code *code;
};

struct rx *rx_compile(const char *pattern, char *err, size_t errlen)
{
	int code;
	PCRE2_SIZE off;
	pcre2_code *re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, PCRE2_UTF,
				       &code, &off, NULL);
	if (!re) {
		PCRE2_UCHAR msg[256];
		pcre2_get_error_message(code, msg, sizeof msg);
		snprintf(err, errlen, "%s at offset %zu", (const char *)msg, (size_t)off);
		return NULL;
	}
	/*
	 * No JIT: the few matches a scrape makes cost the same either way here,
	 * and the JIT compiler adds about 280 KiB to the resident set.
	 */
	struct rx *rx = malloc(sizeof *rx);
	if (!rx) {
		pcre2_code_free(re);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	rx->code = re;
	return rx;
}

struct rx *rx_compile_flag(const char *prog, const char *flag, const char *pattern)
{
	char err[300];
	struct rx *rx = rx_compile(pattern, err, sizeof err);
	if (!rx) {
		fprintf(stderr, "%s: error: invalid regular expression for --%s: %s\n", prog, flag, err);
		exit(2);
	}
	return rx;
}

bool rx_match(const struct rx *rx, const char *s)
{
	/* Match data is per call so that concurrent scrapes share nothing. */
	pcre2_match_data *md = pcre2_match_data_create(1, NULL);
	if (!md)
		return false;
	int rc = pcre2_match(rx->code, (PCRE2_SPTR)s, strlen(s), 0, 0, md, NULL);
	pcre2_match_data_free(md);
	return rc >= 0;
}

void rx_free(struct rx *rx)
{
	if (!rx)
		return;
	pcre2_code_free(rx->code);
	free(rx);
}

bool rx_ignored(const struct rx *include, const struct rx *exclude, const char *s)
{
	if (exclude && rx_match(exclude, s))
		return true;
	return include && !rx_match(include, s);
}

int rx_filter_init(struct rx_filter *f, const char *include_flag, const char *include,
		   const char *exclude_flag, const char *exclude, char *err, size_t errlen)
{
	char msg[300];
	f->include = f->exclude = NULL;
	if (include && *include && !(f->include = rx_compile(include, msg, sizeof msg))) {
		snprintf(err, errlen, "invalid --%s: %s", include_flag, msg);
		return -1;
	}
	if (exclude && *exclude && !(f->exclude = rx_compile(exclude, msg, sizeof msg))) {
		snprintf(err, errlen, "invalid --%s: %s", exclude_flag, msg);
		rx_filter_free(f);
		return -1;
	}
	return 0;
}

bool rx_filter_ignored(const struct rx_filter *f, const char *s)
{
	return rx_ignored(f->include, f->exclude, s);
}

void rx_filter_free(struct rx_filter *f)
{
	rx_free(f->include);
	rx_free(f->exclude);
	f->include = f->exclude = NULL;
}
