/*
 * qdisc (off by default): counters of each interface's root queueing
 * discipline from an rtnetlink qdisc dump, node_qdisc_*{device,kind}.
 * Packet, drop, requeue and overlimit counts are the kernel's 32-bit
 * fields, as upstream reads them. --collector.qdisc.fixtures=DIR reads
 * upstream's canned results.json instead of the kernel (its end-to-end
 * test uses it).
 */
#include <errno.h>
#include <linux/gen_stats.h>
#include <linux/pkt_sched.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/exporter.h"
#include "../../common/log.h"
#include "../../common/netlink.h"
#include "../../common/parse.h"
#include "../../common/rx.h"
#include "../jsonfix.h"
#include "../replies.h"

static const char *fixtures_flag, *include_flag, *exclude_flag, *old_include_flag,
	*old_exclude_flag;

static struct flag qdisc_flags[] = {
	{ .name = "collector.qdisc.fixtures", .type = FLAG_STRING, .dest = &fixtures_flag,
	  .help = "Directory with upstream's canned qdisc data (results.json) to read instead of the kernel, for tests." },
	{ .name = "collector.qdisc.device-include", .type = FLAG_STRING, .dest = &include_flag,
	  .help = "Regexp of qdisc devices to include (mutually exclusive to device-exclude)." },
	{ .name = "collector.qdisk.device-include", .type = FLAG_STRING, .dest = &old_include_flag,
	  .help = "DEPRECATED: Use collector.qdisc.device-include", .opts = FLAG_HIDDEN },
	{ .name = "collector.qdisc.device-exclude", .type = FLAG_STRING, .dest = &exclude_flag,
	  .help = "Regexp of qdisc devices to exclude (mutually exclusive to device-include)." },
	{ .name = "collector.qdisk.device-exclude", .type = FLAG_STRING, .dest = &old_exclude_flag,
	  .help = "DEPRECATED: Use collector.qdisc.device-exclude", .opts = FLAG_HIDDEN },
};

struct qdisc_state {
	struct rx *include, *exclude;
};

static void qdisc_fini(void *state)
{
	struct qdisc_state *st = state;
	if (!st)
		return;
	rx_free(st->include);
	rx_free(st->exclude);
	free(st);
}

/* The deprecated spelling old replaces *flag unless both are given. */
static int deprecated(const char **flag, const char *old, const char *what, char *err, size_t errlen)
{
	if (!old[0])
		return 0;
	if ((*flag)[0]) {
		strf(err, errlen, "--collector.qdisk.device-%s and --collector.qdisc.device-%s are mutually exclusive",
		     what, what);
		return -1;
	}
	log_warn("--collector.qdisk.device-* is DEPRECATED and will be removed in 2.0.0, use --collector.qdisc.device-*",
		 NULL);
	*flag = old;
	return 0;
}

static int qdisc_init(void **state, char *err, size_t errlen)
{
	const char *incl = include_flag, *excl = exclude_flag;
	if (deprecated(&incl, old_include_flag, "include", err, errlen) < 0 ||
	    deprecated(&excl, old_exclude_flag, "exclude", err, errlen) < 0)
		return -1;
	if (incl[0] && excl[0]) {
		strf(err, errlen,
		     "collector.qdisc.device-include and collector.qdisc.device-exclude are mutually exclusive");
		return -1;
	}
	struct qdisc_state *st = calloc(1, sizeof *st);
	if (!st) {
		strf(err, errlen, "out of memory");
		return -1;
	}
	char msg[300];
	if ((incl[0] && !(st->include = rx_compile(incl, msg, sizeof msg))) ||
	    (excl[0] && !(st->exclude = rx_compile(excl, msg, sizeof msg)))) {
		strf(err, errlen, "invalid qdisc device filter: %s", msg);
		qdisc_fini(st);
		return -1;
	}
	*state = st;
	return 0;
}

/* Fields of struct tc_stats / gnet_stats_queue at the offsets the kernel uses. */
static uint32_t u32_at(const struct rtattr *a, size_t off)
{
	uint32_t v;
	memcpy(&v, (const char *)nl_attr_data(a) + off, sizeof v);
	return v;
}

static uint64_t u64_at(const struct rtattr *a, size_t off)
{
	uint64_t v;
	memcpy(&v, (const char *)nl_attr_data(a) + off, sizeof v);
	return v;
}

static int on_stats2(const struct rtattr *a, void *ctx)
{
	struct qdisc_info *q = ctx;
	switch (a->rta_type & NLA_TYPE_MASK) {
	case TCA_STATS_BASIC: /* bytes u64, packets u32 */
		if (nl_attr_len(a) < 12)
			return -EBADMSG;
		q->bytes = u64_at(a, 0);
		q->packets = u32_at(a, 8);
		break;
	case TCA_STATS_QUEUE: /* qlen, backlog, drops, requeues, overlimits */
		if (nl_attr_len(a) < 20)
			return -EBADMSG;
		q->qlen = u32_at(a, 0);
		q->backlog = u32_at(a, 4);
		q->drops = u32_at(a, 8);
		q->requeues = u32_at(a, 12);
		q->overlimits = u32_at(a, 16);
		break;
	}
	return 0;
}

/* Attributes in order: the legacy TCA_STATS the kernel appends last overrides TCA_STATS2, as upstream. */
static int on_qdisc_attr(const struct rtattr *a, void *ctx)
{
	struct qdisc_info *q = ctx;
	switch (a->rta_type & NLA_TYPE_MASK) {
	case TCA_KIND:
		if (nl_attr_str(a, q->kind, sizeof q->kind) < 0)
			return -EBADMSG;
		break;
	case TCA_STATS2:
		return nl_attr_each(nl_attr_data(a), nl_attr_len(a), on_stats2, q);
	case TCA_STATS: /* bytes u64, packets, drops, overlimits, bps, pps, qlen, backlog u32 */
		if (nl_attr_len(a) < 36)
			return -EBADMSG;
		q->bytes = u64_at(a, 0);
		q->packets = u32_at(a, 8);
		q->drops = u32_at(a, 12);
		q->overlimits = u32_at(a, 16);
		q->qlen = u32_at(a, 28);
		q->backlog = u32_at(a, 32);
		break;
	}
	return 0;
}

int qdisc_parse(const struct nlmsghdr *h, struct qdisc_info *q)
{
	memset(q, 0, sizeof *q);
	if (h->nlmsg_type != RTM_NEWQDISC)
		return 1;
	if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct tcmsg)))
		return -EBADMSG;
	const struct tcmsg *t = NLMSG_DATA(h);
	q->ifindex = t->tcm_ifindex;
	q->parent = t->tcm_parent == TC_H_ROOT ? 0 : t->tcm_parent;
	size_t off = NLMSG_LENGTH(NLMSG_ALIGN(sizeof *t));
	if (h->nlmsg_len <= off)
		return 0;
	int rc = nl_attr_each((const char *)h + off, h->nlmsg_len - off, on_qdisc_attr, q);
	return rc < 0 ? rc : 0;
}

struct qdisc_out {
	struct expo *e;
	struct family *f[7];
	const struct qdisc_state *st;
};

static void out_start(struct qdisc_out *o, struct expo *e, const struct qdisc_state *st)
{
	static const struct {
		const char *name, *help;
		enum metric_type type;
	} fams[7] = {
		{ "node_qdisc_bytes_total", "Bytes sent by the root qdisc.", METRIC_COUNTER },
		{ "node_qdisc_packets_total", "Packets sent by the root qdisc.", METRIC_COUNTER },
		{ "node_qdisc_drops_total", "Packets the root qdisc dropped.", METRIC_COUNTER },
		{ "node_qdisc_requeues_total", "Packets dequeued but not sent, and queued again.", METRIC_COUNTER },
		{ "node_qdisc_overlimits_total", "Packets over the qdisc's limits.", METRIC_COUNTER },
		{ "node_qdisc_current_queue_length", "Packets waiting in the queue.", METRIC_GAUGE },
		{ "node_qdisc_backlog", "Bytes waiting in the queue.", METRIC_GAUGE },
	};
	o->e = e;
	o->st = st;
	for (int i = 0; i < 7; i++)
		o->f[i] = expo_family(e, fams[i].name, fams[i].type, fams[i].help,
				      (const char *const[]){ "device", "kind", NULL });
}

static void out_add(struct qdisc_out *o, const char *dev, const struct qdisc_info *q)
{
	/* Only the root qdisc of each device. */
	if (q->parent != 0 || rx_ignored(o->st->include, o->st->exclude, dev))
		return;
	const double v[7] = { (double)q->bytes,	     q->packets, q->drops, q->requeues,
			      q->overlimits, q->qlen,	 q->backlog };
	for (int i = 0; i < 7; i++)
		expo_sample(o->e, o->f[i], v[i], dev, q->kind);
}

struct dump_ctx {
	struct qdisc_out *o;
	const struct nl_ifname *ifs;
	size_t nifs;
};

static int on_qdisc(const struct nlmsghdr *h, void *arg)
{
	struct dump_ctx *c = arg;
	struct qdisc_info q;
	int rc = qdisc_parse(h, &q);
	if (rc)
		return rc < 0 ? rc : 0;
	const char *dev = nl_ifname_of(c->ifs, c->nifs, q.ifindex);
	out_add(c->o, dev ? dev : "", &q);
	return 0;
}

static int collect_fixtures(struct scrape *s, struct qdisc_out *o)
{
	char path[4096], err[512];
	if (pathf(path, sizeof path, "%s/results.json", fixtures_flag) < 0)
		return scrape_fail(s, "path too long");
	struct jdoc d;
	int rc = jdoc_load(&d, path, err, sizeof err);
	if (rc == -ENOENT)
		return scrape_fail(s, "open %s: no such file or directory", path);
	if (rc < 0)
		return scrape_fail(s, "%s", err);
	for (size_t i = 0; i < jdoc_len(&d, d.root); i++) {
		yaml_node_t *m = jdoc_item(&d, d.root, i);
		struct qdisc_info q = { 0 };
		uint64_t v[8];
		static const char *const keys[8] = { "Parent",	   "Bytes", "Packets", "Drops",
						     "Requeues", "Overlimits", "Qlen", "Backlog" };
		for (int k = 0; k < 8; k++)
			if (jdoc_u64(&d, m, keys[k], &v[k]) < 0 || (k != 1 && v[k] > UINT32_MAX)) {
				jdoc_free(&d);
				return scrape_fail(s, "%s: bad %s", path, keys[k]);
			}
		q.parent = (uint32_t)v[0];
		q.bytes = v[1];
		q.packets = (uint32_t)v[2];
		q.drops = (uint32_t)v[3];
		q.requeues = (uint32_t)v[4];
		q.overlimits = (uint32_t)v[5];
		q.qlen = (uint32_t)v[6];
		q.backlog = (uint32_t)v[7];
		const char *kind = jdoc_str(&d, m, "Kind"), *dev = jdoc_str(&d, m, "IfaceName");
		strf(q.kind, sizeof q.kind, "%s", kind ? kind : "");
		out_add(o, dev ? dev : "", &q);
	}
	jdoc_free(&d);
	return COLLECT_OK;
}

static int qdisc_collect(struct scrape *s, struct expo *e)
{
	struct qdisc_out o;
	out_start(&o, e, s->state);
	if (fixtures_flag[0])
		return collect_fixtures(s, &o);
	struct dump_ctx c = { .o = &o };
	struct nl_ifname *ifs = NULL;
	int n = nl_ifnames(scrape_buf(s), &ifs);
	if (n < 0)
		return scrape_fail(s, "failed to get interface names: %s", strerror(-n));
	c.ifs = ifs;
	c.nifs = (size_t)n;
	struct {
		struct nlmsghdr h;
		struct tcmsg t;
	} req = { .h = { .nlmsg_len = sizeof req, .nlmsg_type = RTM_GETQDISC,
			 .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP } };
	int rc = nl_dump(&req.h, scrape_buf(s), on_qdisc, &c);
	free(ifs);
	if (rc < 0)
		return scrape_fail(s, "failed to get qdiscs: %s", strerror(-rc));
	return COLLECT_OK;
}

const struct collector_def collector_qdisc = {
	.name = "qdisc",
	.default_enabled = false,
	.flags = qdisc_flags,
	.nflags = sizeof qdisc_flags / sizeof qdisc_flags[0],
	.init = qdisc_init,
	.collect = qdisc_collect,
	.fini = qdisc_fini,
};
