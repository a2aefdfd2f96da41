#include "cgparse.h"

#include <string.h>
#include <strings.h>

#include "../common/parse.h"
#include "../common/statfile.h"

/* The text without trailing white space, copied into a small buffer. */
static int one_token(const char *text, char *tok, size_t cap)
{
	while (*text == ' ' || *text == '\t')
		text++;
	size_t n = strlen(text);
	while (n && (text[n - 1] == '\n' || text[n - 1] == ' ' || text[n - 1] == '\t'))
		n--;
	if (n == 0 || n >= cap || memchr(text, '\n', n) || memchr(text, ' ', n))
		return -1;
	memcpy(tok, text, n);
	tok[n] = '\0';
	return 0;
}

int cgp_u64(const char *text, uint64_t *v)
{
	char tok[32];
	if (one_token(text, tok, sizeof tok) < 0)
		return -1;
	return parse_u64_max(tok, v) < 0 ? -1 : 0;
}

int cgp_i64(const char *text, int64_t *v)
{
	char tok[32];
	if (one_token(text, tok, sizeof tok) < 0)
		return -1;
	return parse_i64(tok, v);
}

/* Character classes of "key value" lines: a field, white space within a line, the end of one. */
enum { C_FIELD, C_BLANK, C_END };
static const unsigned char cls[256] = {
	[0] = C_END, ['\n'] = C_END, [' '] = C_BLANK, ['\t'] = C_BLANK,
	['\r'] = C_BLANK, ['\v'] = C_BLANK, ['\f'] = C_BLANK,
};
#define CLS(p) cls[(unsigned char)*(p)]

int cgp_keyed(char *text, const char *const *keys, size_t n, uint64_t *vals, uint64_t *found)
{
	*found = 0;
	if (n > 64)
		n = 64;
	/*
	 * v1's memory.stat has ~70 lines for ~30 wanted keys: index the keys by
	 * length, so that a line costs one scan and at most a memcmp or two.
	 */
	uint64_t by_len[40] = { 0 }, longer = 0;
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(keys[i]);
		if (len < 40)
			by_len[len] |= 1ull << i;
		else
			longer |= 1ull << i;
	}
	const char *p = text;
	for (;;) {
		while (CLS(p) == C_BLANK || *p == '\n')
			p++;
		if (!*p)
			return 0;
		const char *key = p;
		while (CLS(p) == C_FIELD)
			p++;
		size_t klen = (size_t)(p - key);
		while (CLS(p) == C_BLANK)
			p++;
		if (CLS(p) == C_END)
			return -1; /* one field */
		const char *value = p;
		while (CLS(p) == C_FIELD)
			p++;
		size_t vlen = (size_t)(p - value);
		while (CLS(p) == C_BLANK)
			p++;
		if (CLS(p) != C_END)
			return -1; /* three fields */
		for (uint64_t cand = klen < 40 ? by_len[klen] : longer; cand; cand &= cand - 1) {
			size_t i = (size_t)__builtin_ctzll(cand);
			if (strncmp(keys[i], key, klen) != 0 || keys[i][klen])
				continue;
			if (parse_u64_n(value, vlen, &vals[i]) < 0)
				return -1;
			*found |= 1ull << i;
			break;
		}
	}
}

int cgp_list(char *text, uint64_t *vals, size_t cap, size_t *n)
{
	*n = 0;
	char *tok = text;
	for (;;) {
		while (*tok == ' ' || *tok == '\t' || *tok == '\n')
			tok++;
		if (!*tok)
			return 0;
		size_t len = strcspn(tok, " \t\n");
		uint64_t v;
		if (parse_u64_n(tok, len, &v) < 0)
			return -1;
		if (*n < cap)
			vals[*n] = v;
		(*n)++;
		tok += len;
	}
}

int cgp_cpu_max(char *text, bool *limited, uint64_t *quota, uint64_t *period)
{
	char *f[3];
	char *line = next_line(&text);
	if (!line || split_fields(line, f, 3) != 2 || parse_u64(f[1], period) < 0)
		return -1;
	if (!strcmp(f[0], "max")) {
		*limited = false;
		*quota = 0;
		return 0;
	}
	*limited = true;
	return parse_u64(f[0], quota);
}

int cgp_blkio(char *text, struct blk_entry *out, size_t cap, size_t *n)
{
	*n = 0;
	char *line;
	while ((line = next_line(&text)) != NULL) {
		char *f[4];
		size_t nf = split_fields(line, f, 4);
		if (nf == 0)
			continue;
		if (nf == 2 && !strcmp(f[0], "Total"))
			continue;
		if (nf != 2 && nf != 3)
			return -1;
		struct blk_entry e = { 0 };
		if (parse_devnum(f[0], &e.major, &e.minor) < 0)
			return -1;
		const char *val = f[nf - 1];
		if (nf == 3) {
			if (strlen(f[1]) >= sizeof e.op)
				return -1;
			memcpy(e.op, f[1], strlen(f[1]) + 1);
		}
		if (parse_u64(val, &e.value) < 0)
			return -1;
		if (*n < cap)
			out[(*n)++] = e;
	}
	return 0;
}

int cgp_iostat(char *text, struct io_dev *out, size_t cap, size_t *n)
{
	static const char *const names[IO_NFIELDS] = {
		[IO_RBYTES] = "rbytes", [IO_WBYTES] = "wbytes", [IO_RIOS] = "rios",
		[IO_WIOS] = "wios", [IO_COST_USAGE] = "cost.usage", [IO_COST_WAIT] = "cost.wait",
		[IO_COST_INDEBT] = "cost.indebt", [IO_COST_INDELAY] = "cost.indelay",
	};
	*n = 0;
	char *head, *pairs;
	while (nested_next(&text, &head, &pairs)) {
		struct io_dev d = { 0 };
		if (parse_devnum(head, &d.major, &d.minor) < 0)
			return -1;
		char *key, *value;
		int rc;
		while ((rc = kv_pair_next(&pairs, &key, &value)) != 0) {
			if (rc < 0)
				return -1;
			for (int k = 0; k < IO_NFIELDS; k++) {
				if (strcmp(key, names[k]) != 0)
					continue;
				if (parse_u64(value, &d.v[k]) < 0)
					return -1;
				d.found |= 1u << k;
			}
		}
		if (*n < cap)
			out[(*n)++] = d;
	}
	return 0;
}

static bool ignored_interface(const char *name)
{
	static const char *const prefixes[] = { "lo", "veth", "docker", "nerdctl" };
	for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
		if (!strncasecmp(name, prefixes[i], strlen(prefixes[i])))
			return true;
	return false;
}

int cgp_netdev(char *text, struct netif *out, size_t cap, size_t *n)
{
	*n = 0;
	/* Two header lines. */
	if (!next_line(&text) || !next_line(&text))
		return -1;
	char *line;
	while ((line = next_line(&text)) != NULL) {
		char *colon = strrchr(line, ':');
		if (!colon)
			return -1;
		*colon = ' ';
		char *f[18];
		size_t nf = split_fields(line, f, 18);
		if (nf == 0)
			continue;
		if (nf != 17)
			return -1;
		struct netif i = { 0 };
		if (strlen(f[0]) >= sizeof i.name)
			return -1;
		memcpy(i.name, f[0], strlen(f[0]) + 1);
		uint64_t *dst[8] = { &i.rx_bytes, &i.rx_packets, &i.rx_errors, &i.rx_dropped,
				     &i.tx_bytes, &i.tx_packets, &i.tx_errors, &i.tx_dropped };
		static const int col[8] = { 1, 2, 3, 4, 9, 10, 11, 12 };
		for (int k = 0; k < 8; k++)
			if (parse_u64(f[col[k]], dst[k]) < 0)
				return -1;
		if (ignored_interface(i.name))
			continue;
		if (*n < cap)
			out[(*n)++] = i;
	}
	return 0;
}

int cgp_procs(const char *text, size_t *count, int *first)
{
	*count = 0;
	*first = 0;
	for (const char *p = text; *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		if (len) {
			uint64_t pid;
			if (parse_u64_n(p, len, &pid) < 0 || pid == 0 || pid > 0x7fffffff)
				return -1;
			if (!*count)
				*first = (int)pid;
			(*count)++;
		}
		if (!nl)
			break;
		p = nl + 1;
	}
	return 0;
}
