/*
 * common/netlink: building requests (attributes, nested ones), the end of
 * an exchange (NLMSG_DONE with or without an error, acknowledgements),
 * attribute readers on short and missing attributes, Go's address
 * spelling, and the kernel itself: a generic netlink family that exists,
 * one that does not, and interface names by index.
 */
#include <errno.h>
#include <net/if.h>

#include "../../common/netlink.h"
#include "unit.h"

static int count_msgs(const struct nlmsghdr *h, void *ctx)
{
	(void)h;
	++*(int *)ctx;
	return 0;
}

static int count_attrs(const struct rtattr *a, void *ctx)
{
	(void)a;
	++*(int *)ctx;
	return 0;
}

START_TEST(test_put_and_nest)
{
	union {
		struct nlmsghdr h;
		char bytes[64];
	} m = { .h = { .nlmsg_len = NLMSG_LENGTH(4) } };
	uint32_t v = 0x01020304;
	ck_assert_int_eq(nl_put(&m.h, sizeof m, 7, &v, sizeof v), 0);
	/* header 16 + payload 4, then the attribute: 4 bytes of header, 4 of data */
	ck_assert_uint_eq(m.h.nlmsg_len, 28);
	const struct rtattr *a = (const struct rtattr *)(const void *)(m.bytes + 20);
	ck_assert_uint_eq(a->rta_len, 8);
	ck_assert_uint_eq(a->rta_type, 7);
	uint32_t got;
	ck_assert_int_eq(nl_attr_u32(a, &got), 0);
	ck_assert_uint_eq(got, 0x01020304);
	/* A 3-byte payload is padded to 4. */
	ck_assert_int_eq(nl_put(&m.h, sizeof m, 8, "ab", 3), 0);
	ck_assert_uint_eq(m.h.nlmsg_len, 36);
	/* A nested attribute spans what is put inside it and carries NLA_F_NESTED. */
	int nest = nl_nest_start(&m.h, sizeof m, 9);
	ck_assert_int_eq(nest, 36);
	ck_assert_int_eq(nl_put(&m.h, sizeof m, 1, &v, sizeof v), 0);
	nl_nest_end(&m.h, nest);
	const struct rtattr *n = (const struct rtattr *)(const void *)(m.bytes + nest);
	ck_assert_uint_eq(n->rta_len, 12);
	ck_assert_uint_eq(n->rta_type, 9 | NLA_F_NESTED);
	const struct rtattr *tb[10];
	ck_assert_int_eq(nl_attrs(m.bytes + 20, m.h.nlmsg_len - 20, tb, 9), 0);
	ck_assert_ptr_eq(tb[9], n); /* the flag bits do not hide the type */
	ck_assert_ptr_eq(tb[7], a);
	char s[8];
	ck_assert_int_eq(nl_attr_str(tb[8], s, sizeof s), 2);
	ck_assert_str_eq(s, "ab");
	/* Nothing fits past the buffer. */
	char big[40] = { 0 };
	ck_assert_int_eq(nl_put(&m.h, sizeof m, 10, big, sizeof big), -EMSGSIZE);
	ck_assert_uint_eq(m.h.nlmsg_len, 48);
	ck_assert_int_eq(nl_nest_start(&m.h, 50, 11), -EMSGSIZE);
}
END_TEST

START_TEST(test_attr_readers)
{
	unsigned char buf[16] = { 0 };
	struct rtattr *a = (struct rtattr *)(void *)buf;
	a->rta_len = RTA_LENGTH(2);
	uint8_t u8 = 0;
	uint16_t u16 = 0;
	uint32_t u32 = 7;
	uint64_t u64 = 9;
	ck_assert_int_eq(nl_attr_u8(a, &u8), 0);
	ck_assert_int_eq(nl_attr_u16(a, &u16), 0);
	/* Too short for the type asked, or missing: -1 and the value is left alone. */
	ck_assert_int_eq(nl_attr_u32(a, &u32), -1);
	ck_assert_uint_eq(u32, 7);
	ck_assert_int_eq(nl_attr_u64(NULL, &u64), -1);
	ck_assert_uint_eq(u64, 9);
	/* A string without a NUL ends with the attribute; one too long is refused. */
	a->rta_len = RTA_LENGTH(5);
	memcpy(RTA_DATA(a), "hello", 5);
	char s[8];
	ck_assert_int_eq(nl_attr_str(a, s, sizeof s), 5);
	ck_assert_str_eq(s, "hello");
	ck_assert_int_eq(nl_attr_str(a, s, 5), -1);
	ck_assert_int_eq(nl_attr_str(NULL, s, sizeof s), -1);
	/* Walking in order stops at a malformed attribute. */
	int n = 0;
	ck_assert_int_eq(nl_attr_each(buf, RTA_SPACE(5), count_attrs, &n),
			 0);
	ck_assert_int_eq(n, 1);
	a->rta_len = 200;
	ck_assert_int_eq(nl_attr_each(buf, sizeof buf, count_attrs, &n),
			 -EBADMSG);
}
END_TEST

/* Append one message to buf at *off. */
static void *put_msg(unsigned char *buf, size_t *off, uint16_t type, uint32_t seq, size_t payload)
{
	struct nlmsghdr h = { .nlmsg_len = (uint32_t)NLMSG_LENGTH(payload), .nlmsg_type = type,
			      .nlmsg_seq = seq };
	memcpy(buf + *off, &h, sizeof h);
	memset(buf + *off + sizeof h, 0, payload);
	void *data = buf + *off + sizeof h;
	*off += NLMSG_ALIGN(h.nlmsg_len);
	return data;
}

START_TEST(test_end_of_exchange)
{
	unsigned char buf[256];
	size_t off = 0;
	int n = 0;
	/* A dump that ends well: DONE with 0. */
	put_msg(buf, &off, RTM_NEWLINK, 3, 8);
	int32_t *done = put_msg(buf, &off, NLMSG_DONE, 3, 4);
	ck_assert_int_eq(nl_parse(buf, off, 3, count_msgs, &n), 1);
	ck_assert_int_eq(n, 1);
	/* One the kernel could not finish carries its error in DONE. */
	*done = -EINTR;
	ck_assert_int_eq(nl_parse(buf, off, 3, count_msgs, &n), -EINTR);
	/* A DONE without a payload (old kernels) also ends it. */
	off = 0;
	put_msg(buf, &off, NLMSG_DONE, 3, 0);
	ck_assert_int_eq(nl_parse(buf, off, 3, count_msgs, &n), 1);
	/* An acknowledgement (error 0) ends a request; a positive "error" is nonsense. */
	off = 0;
	struct nlmsgerr *e = put_msg(buf, &off, NLMSG_ERROR, 3, sizeof *e);
	ck_assert_int_eq(nl_parse(buf, off, 3, count_msgs, &n), 1);
	e->error = 5;
	ck_assert_int_eq(nl_parse(buf, off, 3, count_msgs, &n), -EPROTO);
	e->error = -ENOENT;
	ck_assert_int_eq(nl_parse(buf, off, 3, count_msgs, &n), -ENOENT);
}
END_TEST

START_TEST(test_ip_strings)
{
	static const struct {
		unsigned char b[16];
		size_t len;
		const char *want;
	} cases[] = {
		{ { 192, 0, 2, 1 }, 4, "192.0.2.1" },
		{ { 0 }, 16, "::" },
		{ { [15] = 1 }, 16, "::1" },
		{ { 0xfe, 0x80, [15] = 1 }, 16, "fe80::1" },
		{ { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1 }, 16, "2001:db8:0:1::1" },
		/* one zero group is not shortened; the first of two equal runs is */
		{ { 0, 1, 0, 0, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7 }, 16, "1:0:2:3:4:5:6:7" },
		{ { 0, 1, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 3, 0, 4 }, 16, "1::2:0:0:3:4" },
		{ { 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, 16, "1::" },
		/* IPv4-mapped addresses print as IPv4, as Go does */
		{ { [10] = 0xff, [11] = 0xff, 10, 0, 0, 1 }, 16, "10.0.0.1" },
		{ { 0xab, 0xcd, [14] = 0x12, [15] = 0x34 }, 16, "abcd::1234" },
	};
	char s[NL_IPSTR];
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		ck_assert_int_eq(nl_ip_string(cases[i].b, cases[i].len, s), 0);
		ck_assert_str_eq(s, cases[i].want);
	}
	ck_assert_int_eq(nl_ip_string(cases[0].b, 5, s), -1);
	ck_assert_str_eq(s, "");
}
END_TEST

START_TEST(test_kernel)
{
	struct buf rx;
	buf_init(&rx, 1 << 20);
	struct nl_sock ns;
	ck_assert_int_eq(nl_open(&ns, NETLINK_GENERIC), 0);
	uint16_t id = 0;
	/* The control family knows itself; an unknown name is ENOENT (a module not loaded). */
	ck_assert_int_eq(genl_family(&ns, "nlctrl", &rx, &id), 0);
	ck_assert_uint_eq(id, GENL_ID_CTRL);
	ck_assert_int_eq(genl_family(&ns, "no-such-family", &rx, &id), -ENOENT);
	/* The socket stays usable after an error reply. */
	ck_assert_int_eq(genl_family(&ns, "nlctrl", &rx, &id), 0);
	nl_close(&ns);
	nl_close(&ns);

	struct nl_ifname *ifs = NULL;
	int n = nl_ifnames(&rx, &ifs);
	ck_assert_int_ge(n, 1);
	unsigned lo = if_nametoindex("lo");
	ck_assert_uint_gt(lo, 0);
	ck_assert_str_eq(nl_ifname_of(ifs, (size_t)n, (int)lo), "lo");
	ck_assert_ptr_null(nl_ifname_of(ifs, (size_t)n, 1 << 30));
	for (int i = 1; i < n; i++)
		ck_assert_int_lt(ifs[i - 1].index, ifs[i].index);
	free(ifs);
	buf_free(&rx);
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("netlink");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_put_and_nest);
	tcase_add_test(tc, test_attr_readers);
	tcase_add_test(tc, test_end_of_exchange);
	tcase_add_test(tc, test_ip_strings);
	tcase_add_test(tc, test_kernel);
	suite_add_tcase(s, tc);
	return s;
}
