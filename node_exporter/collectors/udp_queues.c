/*
 * udp_queues: bytes queued in UDP sockets, the sums of the tx_queue and
 * rx_queue columns of /proc/net/udp and /proc/net/udp6. Each line is
 * checked as strictly as upstream (procfs) does: a malformed line fails the
 * collector.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../../common/exporter.h"
#include "../../common/hostfs.h"
#include "../../common/parse.h"

static int parse_hex(const char *s, uint64_t *v)
{
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		return -1;
	return parse_hex_u64(s, v);
}

/* Go's ParseUint(s, 0, 64): a 0x/0o/0b or leading-0 (octal) prefix picks the base. */
static int parse_uint_base0(const char *s, uint64_t *v)
{
	unsigned base = 10;
	if (s[0] == '0' && s[1]) {
		char c = s[1];
		if (c == 'x' || c == 'X')
			base = 16, s += 2;
		else if (c == 'o' || c == 'O')
			base = 8, s += 2;
		else if (c == 'b' || c == 'B')
			base = 2, s += 2;
		else
			base = 8, s += 1;
	}
	if (!*s)
		return -1;
	uint64_t x = 0;
	for (; *s; s++) {
		unsigned c = (unsigned char)*s, d;
		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return -1;
		if (d >= base || x > (UINT64_MAX - d) / base)
			return -1;
		x = x * base + d;
	}
	*v = x;
	return 0;
}

/* "hexaddr:hexport" with a 4- or 16-byte address. */
static int check_address(char *s)
{
	char *p[3];
	if (split_on(s, ':', p, 3) != 2)
		return -1;
	size_t n = strlen(p[0]);
	if (n != 8 && n != 32)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (!strchr("0123456789abcdefABCDEF", p[0][i]))
			return -1;
	uint64_t port;
	return parse_hex(p[1], &port);
}

/* Sum the queues of one file. Returns 0, -ENOENT, or COLLECT_ERROR with s->err set. */
static int sum_queues(struct scrape *s, const char *rel, uint64_t *tx, uint64_t *rx)
{
	char path[4096];
	if (proc_path(path, sizeof path, "%s", rel) < 0)
		return scrape_fail(s, "path too long");
	struct buf *b = scrape_buf(s);
	int rc = scrape_read(s, path, b);
	if (rc == -ENOENT)
		return -ENOENT;
	if (rc < 0)
		return scrape_fail(s, "couldn't read %s: %s", path, strerror(-rc));

	*tx = *rx = 0;
	char *cur = b->data, *line;
	next_line(&cur); /* the header */
	while ((line = next_line(&cur))) {
		char *f[13];
		size_t nf = split_fields(line, f, 13);
		/* UDP lines have 13 columns; the drops column (12) is checked too. */
		if (nf < 13)
			return scrape_fail(s, "too few columns in a line of %s", path);
		char *sl[3], *q[3];
		uint64_t v, txq, rxq;
		bool ok = split_on(f[0], ':', sl, 3) == 2 && parse_uint_base0(sl[0], &v) == 0 &&
			  check_address(f[1]) == 0 && check_address(f[2]) == 0 &&
			  parse_hex(f[3], &v) == 0 && split_on(f[4], ':', q, 3) == 2 &&
			  parse_hex(q[0], &txq) == 0 && parse_hex(q[1], &rxq) == 0 &&
			  parse_uint_base0(f[7], &v) == 0 && parse_uint_base0(f[9], &v) == 0 &&
			  parse_uint_base0(f[12], &v) == 0;
		if (!ok)
			return scrape_fail(s, "malformed socket line in %s", path);
		*tx += txq;
		*rx += rxq;
	}
	return 0;
}

static int udp_queues_collect(struct scrape *s, struct expo *e)
{
	struct family *f = expo_family(e, "node_udp_queues", METRIC_GAUGE,
				       "Bytes queued in UDP sockets, by queue and IP version.",
				       (const char *const[]){ "queue", "ip", NULL });
	uint64_t tx, rx;
	int rc4 = sum_queues(s, "net/udp", &tx, &rx);
	if (rc4 == COLLECT_ERROR)
		return rc4;
	if (rc4 == 0) {
		expo_sample(e, f, (double)tx, "tx", "v4");
		expo_sample(e, f, (double)rx, "rx", "v4");
	}
	int rc6 = sum_queues(s, "net/udp6", &tx, &rx);
	if (rc6 == COLLECT_ERROR)
		return rc6;
	if (rc6 == 0) {
		expo_sample(e, f, (double)tx, "tx", "v6");
		expo_sample(e, f, (double)rx, "rx", "v6");
	}
	return rc4 == -ENOENT && rc6 == -ENOENT ? COLLECT_NODATA : COLLECT_OK;
}

const struct collector_def collector_udp_queues = {
	.name = "udp_queues",
	.default_enabled = true,
	.collect = udp_queues_collect,
};
