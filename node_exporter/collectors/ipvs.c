/*
 * ipvs: IP Virtual Server totals from /proc/net/ip_vs_stats and per
 * backend (virtual/real server pair) connection counts and weights from
 * /proc/net/ip_vs. --collector.ipvs.backend-labels picks the backend labels;
 * backends that become indistinguishable without the dropped labels are
 * summed, as upstream does.
 */
#define _GNU_SOURCE /* qsort_r */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/exporter.h"
#include "../../common/hostfs.h"
#include "../../common/parse.h"
#include "../../common/sysfs.h"

static const char *const all_labels[] = { "local_address", "local_port", "remote_address",
					  "remote_port",   "proto",	 "local_mark" };
#define NLABELS 6

static const char *backend_labels_flag;

static struct flag ipvs_flags[] = {
	{ .name = "collector.ipvs.backend-labels", .type = FLAG_STRING,
	  .dest = &backend_labels_flag,
	  .def = "local_address,local_port,remote_address,remote_port,proto,local_mark",
	  .help = "Labels of the IPVS backend metrics, comma-separated; backends that differ only in omitted labels are summed." },
};

struct ipvs_state {
	size_t nsel;
	unsigned sel[NLABELS]; /* indices into all_labels, in canonical order */
	const char *names[NLABELS + 1];
};

static int ipvs_init(void **state, char *err, size_t errlen)
{
	bool want[NLABELS] = { false };
	char unknown[512] = "";
	size_t ulen = 0;
	const char *p = backend_labels_flag ? backend_labels_flag : "";
	while (*p) {
		size_t n = strcspn(p, ",");
		bool found = n == 0;
		for (unsigned i = 0; i < NLABELS && !found; i++)
			if (strlen(all_labels[i]) == n && !strncmp(p, all_labels[i], n))
				want[i] = found = true;
		if (!found) {
			int w = strf(unknown + ulen, sizeof unknown - ulen, "%s%.*s", ulen ? ", " : "",
					 (int)n, p);
			if (w > 0 && (size_t)w < sizeof unknown - ulen)
				ulen += (size_t)w;
		}
		p += n;
		if (*p == ',')
			p++;
	}
	if (ulen) {
		strf(err, errlen, "unknown IPVS backend labels: \"%s\"", unknown);
		return -1;
	}
	struct ipvs_state *st = calloc(1, sizeof *st);
	if (!st) {
		strf(err, errlen, "out of memory");
		return -1;
	}
	for (unsigned i = 0; i < NLABELS; i++)
		if (want[i]) {
			st->names[st->nsel] = all_labels[i];
			st->sel[st->nsel++] = i;
		}
	st->names[st->nsel] = NULL;
	*state = st;
	return 0;
}

static void ipvs_fini(void *state)
{
	free(state);
}

static int parse_hex(const char *s, size_t n, uint64_t *v)
{
	char tmp[24];
	if (n == 0 || n >= sizeof tmp)
		return -1;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	if (tmp[0] == '0' && (tmp[1] == 'x' || tmp[1] == 'X'))
		return -1;
	return parse_hex_u64(tmp, v);
}

/* An IPv6 address the way Go's net.IP.String() prints it. */
static void format_ipv6(const unsigned char a[16], char *dst, size_t cap)
{
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	if (!memcmp(a, mapped, 12)) {
		strf(dst, cap, "%u.%u.%u.%u", a[12], a[13], a[14], a[15]);
		return;
	}
	unsigned g[8];
	for (int i = 0; i < 8; i++)
		g[i] = (unsigned)a[2 * i] << 8 | a[2 * i + 1];
	/* The longest run of at least two zero groups (the first one on ties) becomes "::". */
	int best = -1, best_len = 0;
	for (int i = 0; i < 8;) {
		if (g[i]) {
			i++;
			continue;
		}
		int j = i;
		while (j < 8 && !g[j])
			j++;
		if (j - i > best_len && j - i >= 2)
			best = i, best_len = j - i;
		i = j;
	}
	size_t o = 0;
	for (int i = 0; i < 8 && o < cap; i++) {
		if (i == best) {
			o += (size_t)strf(dst + o, cap - o, "::");
			i += best_len - 1;
			continue;
		}
		if (i && i != best + best_len)
			o += (size_t)strf(dst + o, cap - o, ":");
		if (o < cap)
			o += (size_t)strf(dst + o, cap - o, "%x", g[i]);
	}
	if (o >= cap && cap)
		dst[cap - 1] = '\0';
}

/* "AABBCCDD:PPPP" (IPv4) or "[v6 address]:PPPP", as procfs' parseIPPort. */
static int parse_ip_port(const char *s, char *addr, size_t cap, unsigned *port)
{
	size_t n = strlen(s);
	if (n == 13) {
		uint64_t ip;
		if (parse_hex(s, 8, &ip) < 0)
			return -1;
		strf(addr, cap, "%u.%u.%u.%u", (unsigned)(ip >> 24) & 255,
			 (unsigned)(ip >> 16) & 255, (unsigned)(ip >> 8) & 255, (unsigned)ip & 255);
	} else if (n == 46) {
		char tmp[40];
		memcpy(tmp, s + 1, 39);
		tmp[39] = '\0';
		unsigned char a[16];
		if (inet_pton(AF_INET6, tmp, a) != 1)
			return -1;
		format_ipv6(a, addr, cap);
	} else {
		return -1;
	}
	uint64_t p;
	if (parse_hex(s + n - 4, 4, &p) < 0)
		return -1;
	*port = (unsigned)p;
	return 0;
}

struct backend {
	char *values[NLABELS]; /* the selected labels, in st->sel order */
	uint64_t active, inactive, weight;
};

static int cmp_backend(const void *a, const void *b, void *ctx)
{
	const struct backend *x = a, *y = b;
	size_t n = *(const size_t *)ctx;
	for (size_t i = 0; i < n; i++) {
		int c = strcmp(x->values[i], y->values[i]);
		if (c)
			return c;
	}
	return 0;
}

static int ipvs_collect(struct scrape *s, struct expo *e)
{
	struct ipvs_state *st = s->state;
	char path[4096];
	if (proc_path(path, sizeof path, "net/ip_vs_stats") < 0)
		return scrape_fail(s, "path too long");
	char *text;
	int rc = collect_read(s, path, &text);
	if (rc != COLLECT_OK)
		return rc; /* no IPVS in this kernel */

	/* The totals are the third line; at least a fourth line must follow. */
	char *cur = text, *lines[3];
	for (int i = 0; i < 3; i++) {
		char *nl = strchr(cur, '\n');
		if (!nl)
			return scrape_fail(s, "%s is too short", path);
		*nl = '\0';
		lines[i] = cur;
		cur = nl + 1;
	}
	char *f[6];
	uint64_t tot[5];
	if (split_fields(lines[2], f, 6) != 5)
		return scrape_fail(s, "unexpected number of fields in %s", path);
	for (int i = 0; i < 5; i++)
		if (parse_hex(f[i], strlen(f[i]), &tot[i]) < 0)
			return scrape_fail(s, "invalid value '%s' in %s", f[i], path);
	expo_single(e, "node_ipvs_connections_total", METRIC_COUNTER,
		    "Connections scheduled by IPVS.", (double)tot[0]);
	expo_single(e, "node_ipvs_incoming_packets_total", METRIC_COUNTER,
		    "Incoming packets handled by IPVS.", (double)tot[1]);
	expo_single(e, "node_ipvs_outgoing_packets_total", METRIC_COUNTER,
		    "Outgoing packets handled by IPVS.", (double)tot[2]);
	expo_single(e, "node_ipvs_incoming_bytes_total", METRIC_COUNTER,
		    "Incoming bytes handled by IPVS.", (double)tot[3]);
	expo_single(e, "node_ipvs_outgoing_bytes_total", METRIC_COUNTER,
		    "Outgoing bytes handled by IPVS.", (double)tot[4]);

	if (proc_path(path, sizeof path, "net/ip_vs") < 0)
		return scrape_fail(s, "path too long");
	/* The stats existed: a missing table now is an error, not an absent IPVS. */
	struct buf *b = scrape_buf(s);
	rc = scrape_read(s, path, b);
	if (rc < 0)
		return scrape_fail(s, "couldn't read %s: %s", path, strerror(-rc));

	/* Label values live in one buffer; backends refer to them by offset until sorted. */
	struct buf strs;
	buf_init(&strs, 64u << 20);
	struct backend *bk = NULL;
	size_t nbk = 0, cap = 0;
	char proto[16] = "", local_addr[64] = "", local_port[8] = "0", mark[256] = "";
	rc = COLLECT_OK;
	cur = b->data;
	char *line;
	while (rc == COLLECT_OK && (line = next_line(&cur))) {
		char *t[7];
		size_t nt = split_fields(line, t, 7);
		if (nt == 0 || !strcmp(t[0], "IP") || !strcmp(t[0], "Prot") ||
		    (nt >= 2 && !strcmp(t[1], "RemoteAddress:Port")) || nt < 2)
			continue;
		if (!strcmp(t[0], "TCP") || !strcmp(t[0], "UDP")) {
			unsigned port;
			strf(proto, sizeof proto, "%s", t[0]);
			mark[0] = '\0';
			if (parse_ip_port(t[1], local_addr, sizeof local_addr, &port) < 0) {
				rc = scrape_fail(s, "invalid address '%s' in %s", t[1], path);
				break;
			}
			strf(local_port, sizeof local_port, "%u", port);
		} else if (!strcmp(t[0], "FWM")) {
			strf(proto, sizeof proto, "FWM");
			strf(mark, sizeof mark, "%s", t[1]);
			local_addr[0] = '\0';
			strf(local_port, sizeof local_port, "0");
		} else if (!strcmp(t[0], "->") && nt >= 6) {
			char raddr[64], rport[8];
			unsigned port;
			uint64_t w, act, inact;
			if (parse_ip_port(t[1], raddr, sizeof raddr, &port) < 0 ||
			    parse_u64(t[3], &w) < 0 || parse_u64(t[4], &act) < 0 ||
			    parse_u64(t[5], &inact) < 0) {
				rc = scrape_fail(s, "invalid backend line in %s", path);
				break;
			}
			strf(rport, sizeof rport, "%u", port);
			const char *all[NLABELS] = { local_addr, local_port, raddr, rport, proto, mark };
			if (nbk == cap) {
				size_t ncap = cap ? cap * 2 : 32;
				struct backend *nb = realloc(bk, ncap * sizeof *nb);
				if (!nb) {
					rc = scrape_fail(s, "out of memory");
					break;
				}
				bk = nb;
				cap = ncap;
			}
			struct backend *x = &bk[nbk++];
			x->active = act, x->inactive = inact, x->weight = w;
			for (size_t i = 0; i < st->nsel; i++) {
				x->values[i] = (char *)(uintptr_t)strs.len;
				if (buf_append(&strs, all[st->sel[i]], strlen(all[st->sel[i]]) + 1) < 0) {
					rc = scrape_fail(s, "out of memory");
					break;
				}
			}
		}
	}
	if (rc == COLLECT_OK) {
		for (size_t k = 0; k < nbk; k++)
			for (size_t i = 0; i < st->nsel; i++)
				bk[k].values[i] = strs.data + (uintptr_t)bk[k].values[i];
		if (nbk > 1)
			qsort_r(bk, nbk, sizeof *bk, cmp_backend, &st->nsel);
		struct family *fa = expo_family(e, "node_ipvs_backend_connections_active", METRIC_GAUGE,
						"Active connections of a backend.", st->names);
		struct family *fi = expo_family(e, "node_ipvs_backend_connections_inactive",
						METRIC_GAUGE, "Inactive connections of a backend.",
						st->names);
		struct family *fw = expo_family(e, "node_ipvs_backend_weight", METRIC_GAUGE,
						"Weight of a backend.", st->names);
		for (size_t k = 0; k < nbk;) {
			uint64_t act = 0, inact = 0, w = 0;
			size_t j = k;
			for (; j < nbk && cmp_backend(&bk[k], &bk[j], &st->nsel) == 0; j++) {
				act += bk[j].active;
				inact += bk[j].inactive;
				w += bk[j].weight;
			}
			const char *const *vals = (const char *const *)bk[k].values;
			expo_add(e, fa, (double)act, vals);
			expo_add(e, fi, (double)inact, vals);
			expo_add(e, fw, (double)w, vals);
			k = j;
		}
	}
	free(bk);
	buf_free(&strs);
	return rc;
}

const struct collector_def collector_ipvs = {
	.name = "ipvs",
	.default_enabled = true,
	.flags = ipvs_flags,
	.nflags = sizeof ipvs_flags / sizeof ipvs_flags[0],
	.init = ipvs_init,
	.collect = ipvs_collect,
	.fini = ipvs_fini,
};
