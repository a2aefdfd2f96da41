/*
 * nfsd: NFS server statistics from /proc/net/rpc/nfsd: reply cache, file
 * handles, I/O, threads, read-ahead cache, network, RPC errors, and the
 * calls of each procedure per protocol version (method names as upstream).
 * Lines are validated as procfs does: an unknown line or a wrong count of
 * values fails the collector.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../../common/exporter.h"
#include "../../common/hostfs.h"
#include "../../common/parse.h"
#include "../../common/sysfs.h"

#define MAXV 256

/* Procedures reported per version, with their position in the procN line (1 = first). */
struct method {
	const char *name;
	unsigned pos;
};
static const struct method v2_methods[] = {
	{ "GetAttr", 2 }, { "SetAttr", 3 }, { "Root", 4 },	{ "Lookup", 5 },   { "ReadLink", 6 },
	{ "Read", 7 },	  { "WrCache", 8 }, { "Write", 9 },	{ "Create", 10 },  { "Remove", 11 },
	{ "Rename", 12 }, { "Link", 13 },   { "SymLink", 14 },	{ "MkDir", 15 },   { "RmDir", 16 },
	{ "ReadDir", 17 }, { "FsStat", 18 },
};
static const struct method v3_methods[] = {
	{ "GetAttr", 2 },  { "SetAttr", 3 },	  { "Lookup", 4 },  { "Access", 5 },  { "ReadLink", 6 },
	{ "Read", 7 },	   { "Write", 8 },	  { "Create", 9 },  { "MkDir", 10 },  { "SymLink", 11 },
	{ "MkNod", 12 },   { "Remove", 13 },	  { "RmDir", 14 },  { "Rename", 15 }, { "Link", 16 },
	{ "ReadDir", 17 }, { "ReadDirPlus", 18 }, { "FsStat", 19 }, { "FsInfo", 20 }, { "PathConf", 21 },
	{ "Commit", 22 },
};
static const struct method v4_ops[] = {
	{ "Access", 4 },     { "Close", 5 },	   { "Commit", 6 },	   { "Create", 7 },
	{ "DelegPurge", 8 }, { "DelegReturn", 9 }, { "GetAttr", 10 },	   { "GetFH", 11 },
	{ "Link", 12 },	     { "Lock", 13 },	   { "Lockt", 14 },	   { "Locku", 15 },
	{ "Lookup", 16 },    { "LookupRoot", 17 }, { "Nverify", 18 },	   { "Open", 19 },
	{ "OpenAttr", 20 },  { "OpenConfirm", 21 }, { "OpenDgrd", 22 },	   { "PutFH", 23 },
	{ "Read", 26 },	     { "ReadDir", 27 },	   { "ReadLink", 28 },	   { "Remove", 29 },
	{ "Rename", 30 },    { "Renew", 31 },	   { "RestoreFH", 32 },	   { "SaveFH", 33 },
	{ "SecInfo", 34 },   { "SetAttr", 35 },	   { "SetClientID", 36 },  { "SetClientIDConfirm", 37 },
	{ "Verify", 38 },    { "Write", 39 },	   { "RelLockOwner", 40 },
};
#define N(a) (sizeof a / sizeof a[0])

struct nfsd_stats {
	uint64_t rc[3], fh[5], io[2], th[2], ra[12], net[4], rpc[5];
	uint64_t v2[19], v3[23], v4ops[41];
	uint64_t wdeleg_getattr;
};

/* A "procN <count> v1 v2 ..." line: the count must equal the values that follow. */
static int proc_line(const uint64_t *v, size_t n, size_t min, bool exact, uint64_t *dst,
		     size_t ndst)
{
	if (v[0] != n - 1 || n - 1 < min || (exact && n - 1 != min))
		return -1;
	for (size_t i = 0; i < ndst; i++)
		dst[i] = i < n ? v[i] : 0;
	return 0;
}

static int fixed(const uint64_t *v, size_t n, size_t want, uint64_t *dst)
{
	if (n != want)
		return -1;
	memcpy(dst, v, want * sizeof *v);
	return 0;
}

static int parse_nfsd(char *text, struct nfsd_stats *st, char *why, size_t whylen)
{
	memset(st, 0, sizeof *st);
	char *cur = text, *line;
	while ((line = next_line(&cur))) {
		char *f[MAXV + 1];
		size_t nf = split_fields(line, f, MAXV + 1);
		if (nf < 2) {
			strf(why, whylen, "invalid line '%s'", nf ? f[0] : "");
			return -1;
		}
		if (nf > MAXV + 1) {
			strf(why, whylen, "too many values on line %s", f[0]);
			return -1;
		}
		/* "th" has the thread count and a counter, then legacy histogram floats. */
		bool th = !strcmp(f[0], "th");
		if (th && nf < 3) {
			strf(why, whylen, "invalid th line");
			return -1;
		}
		size_t n = th ? 2 : nf - 1;
		uint64_t v[MAXV];
		for (size_t i = 0; i < n; i++)
			if (parse_u64(f[i + 1], &v[i]) < 0) {
				strf(why, whylen, "invalid value '%s' on line %s", f[i + 1], f[0]);
				return -1;
			}
		int bad = 0;
		if (!strcmp(f[0], "rc"))
			bad = fixed(v, n, 3, st->rc);
		else if (!strcmp(f[0], "fh"))
			bad = fixed(v, n, 5, st->fh);
		else if (!strcmp(f[0], "io"))
			bad = fixed(v, n, 2, st->io);
		else if (th)
			bad = fixed(v, n, 2, st->th);
		else if (!strcmp(f[0], "ra"))
			bad = fixed(v, n, 12, st->ra);
		else if (!strcmp(f[0], "net"))
			bad = fixed(v, n, 4, st->net);
		else if (!strcmp(f[0], "rpc"))
			bad = fixed(v, n, 5, st->rpc);
		else if (!strcmp(f[0], "proc2"))
			bad = proc_line(v, n, 18, false, st->v2, N(st->v2));
		else if (!strcmp(f[0], "proc3"))
			bad = proc_line(v, n, 22, false, st->v3, N(st->v3));
		else if (!strcmp(f[0], "proc4")) {
			uint64_t tmp[3];
			bad = proc_line(v, n, 2, true, tmp, 3);
		} else if (!strcmp(f[0], "proc4ops"))
			bad = proc_line(v, n, 39, false, st->v4ops, N(st->v4ops));
		else if (!strcmp(f[0], "wdeleg_getattr"))
			st->wdeleg_getattr = v[0];
		else {
			strf(why, whylen, "unknown line '%s'", f[0]);
			return -1;
		}
		if (bad) {
			strf(why, whylen, "wrong number of values on line %s", f[0]);
			return -1;
		}
	}
	return 0;
}

static void counter(struct expo *e, const char *name, const char *help, uint64_t v)
{
	expo_single(e, name, METRIC_COUNTER, help, (double)v);
}

static int nfsd_collect(struct scrape *s, struct expo *e)
{
	char path[4096];
	if (proc_path(path, sizeof path, "net/rpc/nfsd") < 0)
		return scrape_fail(s, "path too long");
	char *text;
	int rc = collect_read(s, path, &text);
	if (rc != COLLECT_OK)
		return rc; /* no NFS server module */
	struct nfsd_stats st;
	char why[200];
	if (parse_nfsd(text, &st, why, sizeof why) < 0)
		return scrape_fail(s, "%s: %s", path, why);

	counter(e, "node_nfsd_reply_cache_hits_total",
		"Requests answered from the reply cache (the client had lost the reply).", st.rc[0]);
	counter(e, "node_nfsd_reply_cache_misses_total",
		"Idempotent requests that missed the reply cache and had to be cached.", st.rc[1]);
	counter(e, "node_nfsd_reply_cache_nocache_total",
		"Non-idempotent requests that bypass the reply cache.", st.rc[2]);
	counter(e, "node_nfsd_file_handles_stale_total", "Stale file handles met by the server.",
		st.fh[0]);
	counter(e, "node_nfsd_disk_bytes_read_total", "Bytes the NFS server read from disk.",
		st.io[0]);
	counter(e, "node_nfsd_disk_bytes_written_total", "Bytes the NFS server wrote to disk.",
		st.io[1]);
	expo_single(e, "node_nfsd_server_threads", METRIC_GAUGE, "NFS server threads running.",
		    (double)st.th[0]);
	expo_single(e, "node_nfsd_read_ahead_cache_size_blocks", METRIC_GAUGE,
		    "Size of the read-ahead cache, in blocks.", (double)st.ra[0]);
	counter(e, "node_nfsd_read_ahead_cache_not_found_total",
		"Lookups that did not find an entry in the read-ahead cache.", st.ra[11]);

	struct family *pk = expo_family(e, "node_nfsd_packets_total", METRIC_COUNTER,
					"Network packets of the NFS server, by transport protocol.",
					(const char *const[]){ "proto", NULL });
	expo_sample(e, pk, (double)st.net[1], "udp");
	expo_sample(e, pk, (double)st.net[2], "tcp");
	counter(e, "node_nfsd_connections_total", "TCP connections accepted by the NFS server.",
		st.net[3]);

	struct family *er = expo_family(e, "node_nfsd_rpc_errors_total", METRIC_COUNTER,
					"RPCs the NFS server rejected, by error.",
					(const char *const[]){ "error", NULL });
	expo_sample(e, er, (double)st.rpc[2], "fmt");
	expo_sample(e, er, (double)st.rpc[3], "auth");
	expo_sample(e, er, (double)st.rpc[4], "cInt");
	counter(e, "node_nfsd_server_rpcs_total", "RPCs received by the NFS server.", st.rpc[0]);

	struct family *rq = expo_family(e, "node_nfsd_requests_total", METRIC_COUNTER,
					"NFS procedures served, by protocol version and procedure.",
					(const char *const[]){ "proto", "method", NULL });
	for (size_t i = 0; i < N(v2_methods); i++)
		expo_sample(e, rq, (double)st.v2[v2_methods[i].pos], "2", v2_methods[i].name);
	for (size_t i = 0; i < N(v3_methods); i++)
		expo_sample(e, rq, (double)st.v3[v3_methods[i].pos], "3", v3_methods[i].name);
	for (size_t i = 0; i < N(v4_ops); i++)
		expo_sample(e, rq, (double)st.v4ops[v4_ops[i].pos], "4", v4_ops[i].name);
	expo_sample(e, rq, (double)st.wdeleg_getattr, "4", "WdelegGetattr");
	return COLLECT_OK;
}

const struct collector_def collector_nfsd = {
	.name = "nfsd",
	.default_enabled = true,
	.collect = nfsd_collect,
};
