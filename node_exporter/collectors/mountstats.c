/*
 * mountstats: NFS client statistics of every NFS mount in
 * /proc/self/mountstats (byte and event counters, RPC transports, per
 * operation counts and times), labelled with the export, the transport
 * protocol and the server address ("addr=" of the same mount's superblock
 * options in /proc/self/mountinfo, matched by position as upstream does).
 * A mount seen again with the same export, protocol and address (the same
 * NFS superblock mounted twice) gets only its mountpoint_info series.
 *
 * The file is parsed as procfs does: a "device ... with fstype nfs[4]
 * statvers=1.x" line, then its statistics until a blank line or the
 * "per-op statistics" line, then one line per operation until a blank line.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/exporter.h"
#include "../../common/hostfs.h"
#include "../../common/mountinfo.h"
#include "../../common/parse.h"
#include "../../common/sysfs.h"

#define BYTES_FIELDS 8
#define EVENTS_FIELDS 27
/* Values of an "xprt:" line kept (RDMA has 28); more is an error, as in procfs. */
#define XPRT_VALUES 31
/* Transports of one mount (nconnect allows 16). */
#define MAX_XPRT 64
/* Values of a per-op line after its name (8, or 9 with errors since Linux 5.?). */
#define OP_MAX_VALUES 16
/* Float64's mantissa: upstream takes the large millisecond sums modulo 2^53. */
#define MANTISSA 9007199254740992ull

struct nfs_xprt {
	const char *proto; /* a literal: "tcp", "udp" or "rdma" (seen keys outlive the mount) */
	uint64_t v[XPRT_VALUES + 3];
};

struct nfs_op {
	const char *name;
	uint64_t v[8];
};

struct nfs_mount {
	const char *device, *mountpoint;
	double age;
	uint64_t bytes[BYTES_FIELDS], events[EVENTS_FIELDS];
	size_t nxprt, nops;
	struct nfs_xprt xprt[MAX_XPRT];
};

struct seen_key {
	const char *device, *proto, *addr, *mountpoint; /* mountpoint NULL: a device key */
};

struct mountstats_state {
	struct buf mountinfo;
	char **addrs; /* "addr=" of each mountinfo line, in order */
	size_t naddrs, addrs_cap;
	struct nfs_op *ops;
	size_t ops_cap;
	struct seen_key *seen;
	size_t nseen, seen_cap;
	struct nfs_mount m;
};

static void mountstats_fini(void *state)
{
	struct mountstats_state *st = state;
	if (!st)
		return;
	buf_free(&st->mountinfo);
	for (size_t i = 0; i < st->naddrs; i++)
		free(st->addrs[i]);
	free(st->addrs);
	free(st->ops);
	free(st->seen);
	free(st);
}

static int mountstats_init(void **state, char *err, size_t errlen)
{
	struct mountstats_state *st = calloc(1, sizeof *st);
	if (!st) {
		strf(err, errlen, "mountstats: out of memory");
		return -1;
	}
	buf_init(&st->mountinfo, 64u << 20);
	*state = st;
	return 0;
}

/* The "addr=" superblock option of every line of /proc/self/mountinfo. */
static int read_addrs(struct scrape *s, struct mountstats_state *st)
{
	char path[4096];
	if (proc_path(path, sizeof path, "self/mountinfo") < 0)
		return scrape_fail(s, "path too long");
	int rc = scrape_read(s, path, &st->mountinfo);
	if (rc < 0)
		return scrape_fail(s, "failed to parse mountinfo: %s: %s", path, strerror(-rc));
	for (size_t i = 0; i < st->naddrs; i++)
		free(st->addrs[i]);
	st->naddrs = 0;
	char *cur = st->mountinfo.data;
	struct mountinfo_entry m;
	while ((rc = mountinfo_next(&cur, &m)) != 0) {
		if (rc < 0)
			return scrape_fail(s, "failed to parse mountinfo: malformed line in %s", path);
		char addr[256];
		mount_option_value(m.super_options, "addr", addr, sizeof addr);
		if (st->naddrs == st->addrs_cap) {
			size_t cap = st->addrs_cap ? 2 * st->addrs_cap : 64;
			char **p = realloc(st->addrs, cap * sizeof *p);
			if (!p)
				return scrape_fail(s, "out of memory");
			st->addrs = p;
			st->addrs_cap = cap;
		}
		if (!(st->addrs[st->naddrs] = strdup(addr)))
			return scrape_fail(s, "out of memory");
		st->naddrs++;
	}
	return COLLECT_OK;
}

/* Parse n decimal fields into v; returns 0 or -1. */
static int parse_u64s(char *const *f, size_t n, uint64_t *v)
{
	for (size_t i = 0; i < n; i++)
		if (parse_u64(f[i], &v[i]) < 0)
			return -1;
	return 0;
}

/* An "xprt:" line: f[0] is the protocol, then its values, checked against the stats version. */
static int parse_xprt(struct scrape *s, char **f, size_t nf, const char *version, struct nfs_xprt *x)
{
	const char *proto = f[0];
	size_t nv = nf - 1;
	bool tcp = !strcmp(proto, "tcp"), udp = !strcmp(proto, "udp"), rdma = !strcmp(proto, "rdma");
	if (!strcmp(version, "1.0")) {
		if (!(tcp || udp) || nv != (tcp ? 10u : 7u))
			return scrape_fail(s, "invalid NFS transport stats 1.0 statement for protocol %.16s", proto);
	} else if (!strcmp(version, "1.1")) {
		if (!(tcp || udp || rdma) || ((tcp || udp) && nv != (tcp ? 13u : 10u)) || (rdma && nv < 20))
			return scrape_fail(s, "invalid NFS transport stats 1.1 statement for protocol %.16s", proto);
	} else {
		return scrape_fail(s, "unrecognized NFS transport stats version %.16s", version);
	}
	if (nv > XPRT_VALUES)
		return scrape_fail(s, "too many NFS transport values for protocol %.16s", proto);
	uint64_t v[XPRT_VALUES] = { 0 };
	if (parse_u64s(f + 1, nv, v) < 0)
		return scrape_fail(s, "invalid NFS transport value for protocol %.16s", proto);
	memset(x, 0, sizeof *x);
	x->proto = tcp ? "tcp" : udp ? "udp" : "rdma";
	/* Line the protocols up on TCP's layout, as procfs does. */
	for (size_t i = 0; i < XPRT_VALUES; i++) {
		size_t to = i;
		if (udp && i >= 2)
			to = i + 3; /* no connect count, connect time, idle time */
		else if (rdma && i >= 10)
			to = i + 3; /* no max slots, sending and pending queues */
		x->v[to] = v[i];
	}
	return COLLECT_OK;
}

/* Grow the op array to hold n+1 entries. */
static int ops_room(struct mountstats_state *st, size_t n)
{
	if (n < st->ops_cap)
		return 0;
	size_t cap = st->ops_cap ? 2 * st->ops_cap : 64;
	struct nfs_op *p = realloc(st->ops, cap * sizeof *p);
	if (!p)
		return -1;
	st->ops = p;
	st->ops_cap = cap;
	return 0;
}

/* The statistics after a device line, up to the blank line ending its per-op section. */
static int parse_nfs(struct scrape *s, struct mountstats_state *st, char **cur, const char *version)
{
	struct nfs_mount *m = &st->m;
	m->age = 0;
	memset(m->bytes, 0, sizeof m->bytes);
	memset(m->events, 0, sizeof m->events);
	m->nxprt = m->nops = 0;
	char *line;
	while ((line = next_line(cur))) {
		char *f[XPRT_VALUES + 4];
		size_t nf = split_fields(line, f, sizeof f / sizeof f[0]);
		if (nf == 0)
			break;
		size_t kept = nf < sizeof f / sizeof f[0] ? nf : sizeof f / sizeof f[0];
		if (!strcmp(f[0], "age:")) {
			char d[64];
			if (nf < 2 || strf(d, sizeof d, "%ss", f[1]) >= (int)sizeof d || parse_duration(d, &m->age) < 0)
				return scrape_fail(s, "invalid NFS age");
		} else if (!strcmp(f[0], "bytes:")) {
			if (nf - 1 != BYTES_FIELDS || parse_u64s(f + 1, BYTES_FIELDS, m->bytes) < 0)
				return scrape_fail(s, "invalid NFS bytes stats");
		} else if (!strcmp(f[0], "events:")) {
			/* More fields than kept: f holds only the first ones, and the count is wrong anyway. */
			if (nf - 1 != EVENTS_FIELDS || parse_u64s(f + 1, EVENTS_FIELDS, m->events) < 0)
				return scrape_fail(s, "invalid NFS events stats");
		} else if (!strcmp(f[0], "xprt:")) {
			if (nf < 3)
				return scrape_fail(s, "incomplete NFS transport stats");
			if (kept != nf)
				return scrape_fail(s, "too many NFS transport values");
			if (m->nxprt == MAX_XPRT)
				return scrape_fail(s, "too many NFS transports");
			int rc = parse_xprt(s, f + 1, nf - 1, version, &m->xprt[m->nxprt]);
			if (rc != COLLECT_OK)
				return rc;
			m->nxprt++;
		} else if (!strcmp(f[0], "opts:") && nf < 2) {
			return scrape_fail(s, "incomplete NFS options");
		}
		if (!strcmp(f[0], "per-op"))
			break;
	}
	while ((line = next_line(cur))) {
		char *f[OP_MAX_VALUES + 2];
		size_t nf = split_fields(line, f, OP_MAX_VALUES + 2);
		if (nf == 0)
			break;
		uint64_t v[OP_MAX_VALUES + 1];
		if (nf < 9 || nf > OP_MAX_VALUES + 1 || parse_u64s(f + 1, nf - 1, v) < 0)
			return scrape_fail(s, "invalid NFS per-operations stats");
		if (ops_room(st, m->nops) < 0)
			return scrape_fail(s, "out of memory");
		struct nfs_op *op = &st->ops[m->nops++];
		size_t n = strlen(f[0]);
		if (n && f[0][n - 1] == ':')
			f[0][n - 1] = '\0';
		op->name = f[0];
		memcpy(op->v, v, sizeof op->v);
	}
	return COLLECT_OK;
}

/* True if the key was seen before in this scrape; remembers it otherwise (-1 when out of memory). */
static int seen_before(struct mountstats_state *st, struct seen_key k)
{
	for (size_t i = 0; i < st->nseen; i++) {
		const struct seen_key *o = &st->seen[i];
		if (!strcmp(o->device, k.device) && !strcmp(o->proto, k.proto) && !strcmp(o->addr, k.addr) &&
		    (!o->mountpoint) == (!k.mountpoint) && (!k.mountpoint || !strcmp(o->mountpoint, k.mountpoint)))
			return 1;
	}
	if (st->nseen == st->seen_cap) {
		size_t cap = st->seen_cap ? 2 * st->seen_cap : 32;
		struct seen_key *p = realloc(st->seen, cap * sizeof *p);
		if (!p)
			return -1;
		st->seen = p;
		st->seen_cap = cap;
	}
	st->seen[st->nseen++] = k;
	return 0;
}

static const char *const labels3[] = { "export", "protocol", "mountaddr", NULL };

static void emit_counter(struct expo *e, const char *name, const char *help, double v, const char *dev,
			 const char *proto, const char *addr)
{
	char full[128];
	strf(full, sizeof full, "node_mountstats_nfs_%s", name);
	struct family *f = expo_family(e, full, METRIC_COUNTER, help, labels3);
	expo_sample(e, f, v, dev, proto, addr);
}

static const struct {
	const char *name, *help;
} bytes_names[BYTES_FIELDS] = {
	{ "read_bytes_total", "Bytes read with read()." },
	{ "write_bytes_total", "Bytes written with write()." },
	{ "direct_read_bytes_total", "Bytes read with read() in O_DIRECT mode." },
	{ "direct_write_bytes_total", "Bytes written with write() in O_DIRECT mode." },
	{ "total_read_bytes_total", "Bytes read from the NFS server in total." },
	{ "total_write_bytes_total", "Bytes written to the NFS server in total." },
	{ "read_pages_total", "Pages read through mmap()ed files." },
	{ "write_pages_total", "Pages written through mmap()ed files." },
};

/* Events by their position in the "events:" line; NULL: not exported (congestion waits). */
static const struct {
	const char *name, *help;
} event_names[EVENTS_FIELDS] = {
	{ "event_inode_revalidate_total", "Cached inode attributes revalidated with the server." },
	{ "event_dnode_revalidate_total", "Cached dentries revalidated with the server." },
	{ "event_data_invalidate_total", "Inode data caches cleared." },
	{ "event_attribute_invalidate_total", "Cached inode attributes invalidated." },
	{ "event_vfs_open_total", "Files opened." },
	{ "event_vfs_lookup_total", "Directory lookups." },
	{ "event_vfs_access_total", "Permission checks." },
	{ "event_vfs_update_page_total", "Page updates (and potential writes)." },
	{ "event_vfs_read_page_total", "Pages read directly through mmap()ed files." },
	{ "event_vfs_read_pages_total", "Groups of pages read." },
	{ "event_vfs_write_page_total", "Pages written directly through mmap()ed files." },
	{ "event_vfs_write_pages_total", "Groups of pages written." },
	{ "event_vfs_getdents_total", "Directory entry reads (getdents())." },
	{ "event_vfs_setattr_total", "Attribute changes (setattr)." },
	{ "event_vfs_flush_total", "Pending writes flushed to the server." },
	{ "event_vfs_fsync_total", "fsync() calls on files and directories." },
	{ "event_vfs_lock_total", "File locking attempts." },
	{ "event_vfs_file_release_total", "Files closed and released." },
	{ NULL, NULL },
	{ "event_truncation_total", "Files truncated." },
	{ "event_write_extension_total", "Files grown by writes beyond their end." },
	{ "event_silly_rename_total", "Files removed while still open by another process." },
	{ "event_short_read_total", "Reads for which the server returned less data than asked." },
	{ "event_short_write_total", "Writes for which the server wrote less data than given." },
	{ "event_jukebox_delay_total", "Times the server answered EJUKEBOX (data on offline storage)." },
	{ "event_pnfs_read_total", "NFS v4.1+ pNFS reads." },
	{ "event_pnfs_write_total", "NFS v4.1+ pNFS writes." },
};

/* Transport values by TCP-layout index. */
static const struct {
	size_t idx;
	const char *name, *help;
	enum metric_type type;
} xprt_names[] = {
	{ 1, "transport_bind_total", "Times the client bound a new connection to the server.", METRIC_COUNTER },
	{ 2, "transport_connect_total", "TCP connections made to the server.", METRIC_COUNTER },
	{ 4, "transport_idle_time_seconds", "Seconds since the mount last saw RPC traffic.", METRIC_GAUGE },
	{ 5, "transport_sends_total", "RPC requests sent to the server.", METRIC_COUNTER },
	{ 6, "transport_receives_total", "RPC replies received from the server.", METRIC_COUNTER },
	{ 7, "transport_bad_transaction_ids_total", "Replies with a transaction ID unknown to the client.",
	  METRIC_COUNTER },
	{ 9, "transport_backlog_queue_total", "Items added to the RPC backlog queue.", METRIC_COUNTER },
	{ 10, "transport_maximum_rpc_slots", "Most RPC requests ever active at once.", METRIC_GAUGE },
	{ 11, "transport_sending_queue_total", "Items added to the RPC sending queue.", METRIC_COUNTER },
	{ 12, "transport_pending_queue_total", "Items added to the RPC pending queue.", METRIC_COUNTER },
};

static const struct {
	size_t idx;
	const char *name, *help;
	bool millis;
} op_names[] = {
	{ 0, "operations_requests_total", "Requests of the operation.", false },
	{ 1, "operations_transmissions_total", "RPC transmissions of the operation (retransmissions included).",
	  false },
	{ 2, "operations_major_timeouts_total", "Major timeouts of the operation.", false },
	{ 3, "operations_sent_bytes_total", "Bytes sent for the operation, RPC headers included.", false },
	{ 4, "operations_received_bytes_total", "Bytes received for the operation, RPC headers included.", false },
	{ 5, "operations_queue_time_seconds_total", "Seconds requests of the operation waited to be sent.", true },
	{ 6, "operations_response_time_seconds_total", "Seconds from sending to the reply, summed over requests.",
	  true },
	{ 7, "operations_request_time_seconds_total", "Seconds from queueing to completion, summed over requests.",
	  true },
};

static void emit_stats(struct expo *e, const struct mountstats_state *st, const char *proto, const char *addr)
{
	const struct nfs_mount *m = &st->m;
	const char *dev = m->device;
	emit_counter(e, "age_seconds_total", "Age of the NFS mount in seconds.", m->age, dev, proto, addr);
	for (size_t i = 0; i < BYTES_FIELDS; i++)
		emit_counter(e, bytes_names[i].name, bytes_names[i].help, (double)m->bytes[i], dev, proto, addr);
	for (size_t i = 0; i < EVENTS_FIELDS; i++)
		if (event_names[i].name)
			emit_counter(e, event_names[i].name, event_names[i].help, (double)m->events[i], dev, proto,
				     addr);
	for (size_t t = 0; t < m->nxprt; t++) {
		char idx[24];
		strf(idx, sizeof idx, "%zu", t);
		for (size_t i = 0; i < sizeof xprt_names / sizeof xprt_names[0]; i++) {
			char full[128];
			strf(full, sizeof full, "node_mountstats_nfs_%s", xprt_names[i].name);
			struct family *f = expo_family(e, full, xprt_names[i].type, xprt_names[i].help,
						       (const char *const[]){ "export", "protocol", "mountaddr",
									      "transport", NULL });
			uint64_t v = m->xprt[t].v[xprt_names[i].idx];
			if (xprt_names[i].idx == 4)
				v %= MANTISSA;
			expo_sample(e, f, (double)v, dev, proto, addr, idx);
		}
	}
	for (size_t o = 0; o < m->nops; o++) {
		const struct nfs_op *op = &st->ops[o];
		for (size_t i = 0; i < sizeof op_names / sizeof op_names[0]; i++) {
			char full[128];
			strf(full, sizeof full, "node_mountstats_nfs_%s", op_names[i].name);
			struct family *f = expo_family(e, full, METRIC_COUNTER, op_names[i].help,
						       (const char *const[]){ "export", "protocol", "mountaddr",
									      "operation", NULL });
			uint64_t v = op->v[op_names[i].idx];
			double x = op_names[i].millis ? (double)(v % MANTISSA) / 1000.0 : (double)v;
			expo_sample(e, f, x, dev, proto, addr, op->name);
		}
	}
}

/* Emit one NFS mount (st->m) at position idx of the mount list. */
static int emit_mount(struct expo *e, struct mountstats_state *st, size_t idx)
{
	const struct nfs_mount *m = &st->m;
	const char *addr = idx < st->naddrs ? st->addrs[idx] : "";
	for (size_t t = 0; t < m->nxprt; t++) {
		const char *proto = m->xprt[t].proto;
		int seen = seen_before(st, (struct seen_key){ m->device, proto, addr, m->mountpoint });
		if (seen < 0)
			return -1;
		if (!seen) {
			struct family *f = expo_family(e, "node_mountstats_nfs_mountpoint_info", METRIC_GAUGE,
						       "Mountpoints of NFS exports (value 1).",
						       (const char *const[]){ "export", "protocol", "mountaddr",
									      "mountpoint", NULL });
			expo_sample(e, f, 1, m->device, proto, addr, m->mountpoint);
		}
		seen = seen_before(st, (struct seen_key){ m->device, proto, addr, NULL });
		if (seen < 0)
			return -1;
		if (seen)
			break;
		emit_stats(e, st, proto, addr);
	}
	return 0;
}

static int mountstats_collect(struct scrape *s, struct expo *e)
{
	struct mountstats_state *st = s->state;
	int rc = read_addrs(s, st);
	if (rc != COLLECT_OK)
		return rc;
	char path[4096];
	if (proc_path(path, sizeof path, "self/mountstats") < 0)
		return scrape_fail(s, "path too long");
	char *text;
	rc = collect_read_required(s, path, &text);
	if (rc != COLLECT_OK)
		return rc;
	st->nseen = 0;
	size_t idx = 0;
	for (char *cur = text, *line; (line = next_line(&cur));) {
		char *f[10];
		size_t nf = split_fields(line, f, 10);
		if (nf == 0 || strcmp(f[0], "device"))
			continue;
		if (nf < 8 || strcmp(f[2], "mounted") || strcmp(f[3], "on") || strcmp(f[5], "with") ||
		    strcmp(f[6], "fstype"))
			return scrape_fail(s, "failed to parse mountstats: invalid device line in %s", path);
		size_t pos = idx++;
		if (nf == 8)
			continue;
		if (strcmp(f[7], "nfs") && strcmp(f[7], "nfs4"))
			return scrape_fail(s, "failed to parse mountstats: cannot parse statistics of fstype %.32s",
					   f[7]);
		const char *version = has_prefix(f[8], "statvers=") ? f[8] + 9 : f[8];
		st->m.device = f[1];
		st->m.mountpoint = f[4];
		if ((rc = parse_nfs(s, st, &cur, version)) != COLLECT_OK)
			return rc;
		if (emit_mount(e, st, pos) < 0)
			return scrape_fail(s, "out of memory");
	}
	return COLLECT_OK;
}

const struct collector_def collector_mountstats = {
	.name = "mountstats",
	.default_enabled = false,
	.init = mountstats_init,
	.collect = mountstats_collect,
	.fini = mountstats_fini,
};
