/*
 * nfs: NFS client statistics from /proc/net/rpc/nfs: network and RPC
 * counters, and per protocol version the number of calls of each procedure
 * (node_nfs_requests_total{proto,method}, method names as upstream). Lines
 * are validated as procfs does: an unknown line or a wrong count of values
 * fails the collector.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../../common/exporter.h"
#include "../../common/hostfs.h"
#include "../../common/parse.h"
#include "../../common/sysfs.h"

#define MAXV 256

static const char *const v2_methods[] = {
	"Null",	 "GetAttr", "SetAttr", "Root",	  "Lookup", "ReadLink", "Read",	  "WrCache", "Write",
	"Create", "Remove", "Rename",  "Link",	  "SymLink", "MkDir",	"RmDir",  "ReadDir", "FsStat",
};
static const char *const v3_methods[] = {
	"Null",	  "GetAttr", "SetAttr", "Lookup", "Access", "ReadLink",	   "Read",   "Write",
	"Create", "MkDir",   "SymLink", "MkNod",  "Remove", "RmDir",	   "Rename", "Link",
	"ReadDir", "ReadDirPlus", "FsStat", "FsInfo", "PathConf", "Commit",
};
/* Client NFSv4 operations in the order of the proc4 line (procfs' mapping). */
static const char *const v4_methods[] = {
	"Null",		  "Read",	   "Write",	     "Commit",		"Open",
	"OpenConfirm",	  "OpenNoattr",	   "OpenDowngrade",  "Close",		"Setattr",
	"FsInfo",	  "Renew",	   "SetClientID",    "SetClientIDConfirm", "Lock",
	"Lockt",	  "Locku",	   "Access",	     "Getattr",		"Lookup",
	"LookupRoot",	  "Remove",	   "Rename",	     "Link",		"Symlink",
	"Create",	  "Pathconf",	   "StatFs",	     "ReadLink",	"ReadDir",
	"ServerCaps",	  "DelegReturn",   "GetACL",	     "SetACL",		"FsLocations",
	"ReleaseLockowner", "Secinfo",	   "FsidPresent",    "ExchangeID",	"CreateSession",
	"DestroySession", "Sequence",	   "GetLeaseTime",   "ReclaimComplete", "GetDeviceInfo",
	"LayoutGet",	  "LayoutCommit",  "LayoutReturn",   "SecinfoNoName",	"TestStateID",
	"FreeStateID",	  "GetDeviceList", "BindConnToSession", "DestroyClientID", "Seek",
	"Allocate",	  "DeAllocate",	   "LayoutStats",    "Clone",
};
#define N(a) (sizeof a / sizeof a[0])

struct nfs_stats {
	uint64_t net[4]; /* netcnt udpcnt tcpcnt tcpconn */
	uint64_t rpc[3]; /* calls retrans authrefrsh */
	uint64_t v2[N(v2_methods)], v3[N(v3_methods)], v4[N(v4_methods)];
};

/* A "procN <count> v1 v2 ..." line: count must equal the values that follow. */
static int proc_line(const uint64_t *v, size_t n, size_t min, uint64_t *dst, size_t ndst)
{
	if (n == 0 || v[0] != n - 1 || n - 1 < min)
		return -1;
	for (size_t i = 0; i < ndst; i++)
		dst[i] = i + 1 < n && i + 1 < MAXV ? v[i + 1] : 0;
	return 0;
}

static int parse_nfs(char *text, struct nfs_stats *st, char *why, size_t whylen)
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
		uint64_t v[MAXV];
		size_t n = nf - 1;
		for (size_t i = 0; i < n && i < MAXV; i++)
			if (parse_u64(f[i + 1], &v[i]) < 0) {
				strf(why, whylen, "invalid value '%s' on line %s", f[i + 1], f[0]);
				return -1;
			}
		if (n > MAXV) {
			strf(why, whylen, "too many values on line %s", f[0]);
			return -1;
		}
		int bad;
		if (!strcmp(f[0], "net"))
			bad = n != 4 || (memcpy(st->net, v, sizeof st->net), 0);
		else if (!strcmp(f[0], "rpc"))
			bad = n != 3 || (memcpy(st->rpc, v, sizeof st->rpc), 0);
		else if (!strcmp(f[0], "proc2"))
			bad = proc_line(v, n, 18, st->v2, N(v2_methods));
		else if (!strcmp(f[0], "proc3"))
			bad = proc_line(v, n, 22, st->v3, N(v3_methods));
		else if (!strcmp(f[0], "proc4"))
			bad = proc_line(v, n, 0, st->v4, N(v4_methods)); /* old kernels: fewer, zero-padded */
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

static int nfs_collect(struct scrape *s, struct expo *e)
{
	char path[4096];
	if (proc_path(path, sizeof path, "net/rpc/nfs") < 0)
		return scrape_fail(s, "path too long");
	char *text;
	int rc = collect_read(s, path, &text);
	if (rc != COLLECT_OK)
		return rc; /* no NFS client module */
	struct nfs_stats st;
	char why[200];
	if (parse_nfs(text, &st, why, sizeof why) < 0)
		return scrape_fail(s, "%s: %s", path, why);

	struct family *pk = expo_family(e, "node_nfs_packets_total", METRIC_COUNTER,
					"Network packets of the NFS client, by transport protocol.",
					(const char *const[]){ "protocol", NULL });
	expo_sample(e, pk, (double)st.net[1], "udp");
	expo_sample(e, pk, (double)st.net[2], "tcp");
	expo_single(e, "node_nfs_connections_total", METRIC_COUNTER,
		    "TCP connections made by the NFS client.", (double)st.net[3]);
	expo_single(e, "node_nfs_rpcs_total", METRIC_COUNTER, "RPCs made by the NFS client.",
		    (double)st.rpc[0]);
	expo_single(e, "node_nfs_rpc_retransmissions_total", METRIC_COUNTER,
		    "RPC retransmissions of the NFS client.", (double)st.rpc[1]);
	expo_single(e, "node_nfs_rpc_authentication_refreshes_total", METRIC_COUNTER,
		    "RPC authentication refreshes of the NFS client.", (double)st.rpc[2]);

	struct family *rq = expo_family(e, "node_nfs_requests_total", METRIC_COUNTER,
					"NFS procedures called by the client, by protocol version and procedure.",
					(const char *const[]){ "proto", "method", NULL });
	for (size_t i = 0; i < N(v2_methods); i++)
		expo_sample(e, rq, (double)st.v2[i], "2", v2_methods[i]);
	for (size_t i = 0; i < N(v3_methods); i++)
		expo_sample(e, rq, (double)st.v3[i], "3", v3_methods[i]);
	for (size_t i = 0; i < N(v4_methods); i++)
		expo_sample(e, rq, (double)st.v4[i], "4", v4_methods[i]);
	return COLLECT_OK;
}

const struct collector_def collector_nfs = {
	.name = "nfs",
	.default_enabled = true,
	.collect = nfs_collect,
};
