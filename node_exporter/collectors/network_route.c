/*
 * network_route (off by default): the unicast routes of every routing
 * table and family, from an rtnetlink route dump, as
 * node_network_route_info{device,src,dest,gw,priority,proto,weight} 1 (one
 * series per next hop of a multipath route, weight set only there) and
 * node_network_routes{device}, the number of those series per device.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/exporter.h"
#include "../../common/netlink.h"
#include "../../common/parse.h"
#include "../replies.h"

/* rtm_protocol names (include/uapi/linux/rtnetlink.h), the ones upstream knows. */
static const char *proto_name(unsigned p)
{
	switch (p) {
	case 0: return "unspec";
	case 1: return "redirect";
	case 2: return "kernel";
	case 3: return "boot";
	case 4: return "static";
	case 8: return "gated";
	case 9: return "ra";
	case 10: return "mrt";
	case 11: return "zebra";
	case 12: return "bird";
	case 13: return "dnrouted";
	case 14: return "xorp";
	case 15: return "ntk";
	case 16: return "dhcp";
	case 17: return "mrouted";
	case 42: return "babel";
	case 186: return "bgp";
	case 187: return "isis";
	case 188: return "ospf";
	case 189: return "rip";
	case 192: return "eigrp";
	default: return "unknown";
	}
}

/* An address attribute as text; "" when absent or of another length. */
static void addr_text(const struct rtattr *a, char *dst)
{
	dst[0] = '\0';
	if (a)
		nl_ip_string(nl_attr_data(a), nl_attr_len(a), dst);
}

static int count_route(struct route_table *rt, const char *dev)
{
	for (size_t i = 0; i < rt->ndev; i++)
		if (!strcmp(rt->dev[i].name, dev)) {
			rt->dev[i].n++;
			return 0;
		}
	if (rt->ndev == rt->devcap) {
		size_t cap = rt->devcap ? rt->devcap * 2 : 16;
		void *p = realloc(rt->dev, cap * sizeof *rt->dev);
		if (!p)
			return -ENOMEM;
		rt->dev = p;
		rt->devcap = cap;
	}
	strf(rt->dev[rt->ndev].name, sizeof rt->dev[rt->ndev].name, "%s", dev);
	rt->dev[rt->ndev++].n = 1;
	return 0;
}

static int emit(struct route_table *rt, int ifindex, const char *src, const char *dest,
		const char *gw, const char *prio, const char *proto, const char *weight)
{
	const char *dev = nl_ifname_of(rt->ifs, rt->nifs, ifindex);
	if (!dev)
		dev = "";
	expo_sample(rt->e, rt->info, 1, dev, src, dest, gw, prio, proto, weight);
	return count_route(rt, dev);
}

int route_add(struct route_table *rt, const struct nlmsghdr *h)
{
	if (h->nlmsg_type != RTM_NEWROUTE)
		return 0;
	if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct rtmsg)))
		return -EBADMSG;
	const struct rtmsg *r = NLMSG_DATA(h);
	if (r->rtm_type != RTN_UNICAST)
		return 0;
	const struct rtattr *tb[RTA_MAX + 1];
	if (nl_attrs(RTM_RTA(r), RTM_PAYLOAD(h), tb, RTA_MAX) < 0)
		return -EBADMSG;
	char src[NL_IPSTR], dst[NL_IPSTR], dest[NL_IPSTR + 8], gw[NL_IPSTR], prio[16], weight[8];
	addr_text(tb[RTA_PREFSRC], src);
	if (r->rtm_dst_len == 0) {
		strf(dest, sizeof dest, "default");
	} else {
		addr_text(tb[RTA_DST], dst);
		strf(dest, sizeof dest, "%s/%u", dst, (unsigned)r->rtm_dst_len);
	}
	uint32_t priority = 0, oif = 0;
	nl_attr_u32(tb[RTA_PRIORITY], &priority);
	strf(prio, sizeof prio, "%u", priority);
	const char *proto = proto_name(r->rtm_protocol);

	const struct rtattr *mp = tb[RTA_MULTIPATH];
	if (mp && nl_attr_len(mp) > 0) {
		const struct rtnexthop *nh = nl_attr_data(mp);
		size_t left = nl_attr_len(mp);
		while (left > 0) {
			if (left < sizeof *nh || nh->rtnh_len < sizeof *nh || nh->rtnh_len > left)
				return -EBADMSG;
			const struct rtattr *nt[RTA_MAX + 1];
			if (nl_attrs(RTNH_DATA(nh), nh->rtnh_len - RTNH_LENGTH(0), nt, RTA_MAX) < 0)
				return -EBADMSG;
			addr_text(nt[RTA_GATEWAY], gw);
			strf(weight, sizeof weight, "%u", (unsigned)nh->rtnh_hops + 1);
			int rc = emit(rt, nh->rtnh_ifindex, src, dest, gw, prio, proto, weight);
			if (rc)
				return rc;
			size_t step = RTNH_ALIGN(nh->rtnh_len);
			if (step >= left)
				break;
			left -= step;
			nh = (const struct rtnexthop *)(const void *)((const char *)nh + step);
		}
		return 0;
	}
	addr_text(tb[RTA_GATEWAY], gw);
	nl_attr_u32(tb[RTA_OIF], &oif);
	return emit(rt, (int)oif, src, dest, gw, prio, proto, "");
}

void route_table_start(struct route_table *rt, struct expo *e)
{
	rt->e = e;
	rt->ndev = 0;
	rt->info = expo_family(e, "node_network_route_info", METRIC_GAUGE,
			       "Constant 1 for each unicast route (each next hop of a multipath route).",
			       (const char *const[]){ "device", "src", "dest", "gw", "priority", "proto",
						      "weight", NULL });
}

void route_table_finish(struct route_table *rt)
{
	struct family *f = expo_family(rt->e, "node_network_routes", METRIC_GAUGE,
				       "Unicast routes (next hops) through each device.",
				       (const char *const[]){ "device", NULL });
	for (size_t i = 0; i < rt->ndev; i++)
		expo_sample(rt->e, f, (double)rt->dev[i].n, rt->dev[i].name);
}

static int on_route(const struct nlmsghdr *h, void *ctx)
{
	return route_add(ctx, h);
}

static int route_init(void **state, char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	*state = calloc(1, sizeof(struct route_table));
	if (!*state) {
		strf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

static void route_fini(void *state)
{
	struct route_table *rt = state;
	if (rt)
		free(rt->dev);
	free(rt);
}

static int route_collect(struct scrape *s, struct expo *e)
{
	struct route_table *rt = s->state;
	struct nl_ifname *ifs = NULL;
	int n = nl_ifnames(scrape_buf(s), &ifs);
	if (n < 0)
		return scrape_fail(s, "couldn't get links: %s", strerror(-n));
	rt->ifs = ifs;
	rt->nifs = (size_t)n;
	route_table_start(rt, e);
	struct {
		struct nlmsghdr h;
		struct rtmsg r;
	} req = { .h = { .nlmsg_len = sizeof req, .nlmsg_type = RTM_GETROUTE,
			 .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP } };
	int rc = nl_dump(&req.h, scrape_buf(s), on_route, rt);
	free(ifs);
	rt->ifs = NULL;
	if (rc < 0)
		return scrape_fail(s, "couldn't get routes: %s", strerror(-rc));
	route_table_finish(rt);
	return COLLECT_OK;
}

const struct collector_def collector_network_route = {
	.name = "network_route",
	.default_enabled = false,
	.init = route_init,
	.collect = route_collect,
	.fini = route_fini,
};
