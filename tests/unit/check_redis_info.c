// links: redis_exporter
/*
 * redis_exporter's parsers on recorded INFO replies of Redis 5.0, 6.2, 7.0
 * (primary, replica, cluster node), 7.4, KeyDB and Sentinel, and on broken
 * variants; addresses, key lists, the password file and the collectors that
 * read other replies (config redaction, latency, slowlog, client list).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../common/expo.h"
#include "../../common/fmtnum.h"
#include "../../redis_exporter/info.h"
#include "../../redis_exporter/redis.h"
#include "unit.h"

#define FIX "tests/fixtures/redis/"
#define NOW 1700000000.0

/* A value as the exposition writes it (Go's 'g' formatting). */
static const char *fmtv(double v)
{
	static char b[8][FMT_NUM_MAX];
	static int i;
	i = (i + 1) % 8;
	fmt_float(b[i], v);
	return b[i];
}

#define HAS(t, l) ck_assert_msg(has_line((t), (l)), "missing line: %s", (l))
#define LACKS(t, s) ck_assert_msg(strstr((t), (s)) == NULL, "unexpected: %s", (s))

struct parsed {
	int rc;
	struct info_result res;
	char *text;
};

static struct parsed parse_text_with(char *text, long dbcount, bool system)
{
	struct info_opts o = { .ns = "redis", .dbcount = dbcount, .include_system = system, .now = NOW };
	struct expo *e = expo_new(64u << 20);
	struct parsed p;
	p.rc = redis_info_parse(text, &o, e, &p.res);
	p.text = render_free(e);
	return p;
}

static struct parsed parse_file(const char *name, long dbcount, bool system)
{
	char *s = slurp(name);
	struct parsed p = parse_text_with(s, dbcount, system);
	free(s);
	return p;
}

START_TEST(test_info_70_primary)
{
	struct parsed p = parse_file(FIX "info-7.0-primary.txt", 16, false);
	ck_assert_int_eq(p.rc, 0);
	ck_assert(!p.res.cluster_enabled);
	/* db0:keys=28,expires=0,avg_ttl=0  db1:keys=5,expires=5,avg_ttl=998349  db3:keys=1 */
	HAS(p.text, "redis_db_keys{db=\"db0\"} 28");
	HAS(p.text, "redis_db_keys{db=\"db1\"} 5");
	HAS(p.text, "redis_db_keys_expiring{db=\"db1\"} 5");
	HAS(p.text, "redis_db_avg_ttl_seconds{db=\"db1\"} 998.349");
	HAS(p.text, "redis_db_keys{db=\"db3\"} 1");
	/* databases without keys are padded up to the configured count */
	HAS(p.text, "redis_db_keys{db=\"db2\"} 0");
	HAS(p.text, "redis_db_keys_expiring{db=\"db15\"} 0");
	LACKS(p.text, "db=\"db16\"");
	LACKS(p.text, "redis_db_avg_ttl_seconds{db=\"db2\"}");
	HAS(p.text, "redis_connected_slave_offset_bytes{slave_ip=\"127.0.0.1\",slave_port=\"47645\",slave_state=\"online\"} 1513");
	HAS(p.text, "redis_connected_slave_lag_seconds{slave_ip=\"127.0.0.1\",slave_port=\"47645\",slave_state=\"online\"} 0");
	HAS(p.text, "redis_errors_total{err=\"ERR\"} 2");
	HAS(p.text, "redis_connected_slaves 1");
	HAS(p.text, "redis_rdb_last_bgsave_status 1");
	HAS(p.text, "redis_aof_last_write_status 1");
	HAS(p.text, "# TYPE redis_commands_total counter");
	HAS(p.text, "# TYPE redis_memory_used_bytes gauge");
	HAS(p.text, "# TYPE redis_keyspace_hits_total counter");
	HAS(p.text, "# TYPE redis_latency_percentiles_usec summary");
	HAS(p.text, "redis_cluster_enabled 0");
	/* fields upstream does not map are not exported */
	LACKS(p.text, "instantaneous_ops_per_sec");
	LACKS(p.text, "used_memory_human");
	LACKS(p.text, "total_system_memory");
	ck_assert(strstr(p.text, "redis_instance_info{master_replid=\"d1b90448ba771e276c1872cf15e8d4edc0838561\",maxmemory_policy=\"noeviction\",os=\"Linux 6.18.44-fc-v669 x86_64\","));
	ck_assert(strstr(p.text, "redis_version=\"7.0.15\",role=\"master\",run_id=\"0fa415437bf807e6ff7d746f7a0805274d5bddc8\""));
	LACKS(p.text, "redis_slave_info");
	HAS(p.text, "redis_hz 10");
	HAS(p.text, "redis_configured_hz 10");
	HAS(p.text, "# TYPE redis_hz gauge");
	LACKS(p.text, "valkey_version");
	free(p.text);
}
END_TEST

/* Values of one recorded 7.0 line each, checked against the rules. */
START_TEST(test_info_70_values)
{
	char *s = slurp(FIX "info-7.0-primary.txt");
	char *text = strdup(s);
	struct parsed p = parse_text_with(text, 0, false);
	free(text);
	/* uptime_in_seconds -> start_time_seconds = now - uptime */
	const char *up = strstr(s, "\nuptime_in_seconds:");
	ck_assert(up);
	long uptime = strtol(up + 19, NULL, 10);
	char line[128];
	snprintf(line, sizeof line, "redis_start_time_seconds %s", fmtv(NOW - (double)uptime));
	HAS(p.text, line);
	snprintf(line, sizeof line, "redis_uptime_in_seconds %s", fmtv((double)uptime));
	HAS(p.text, line);
	/* commandstats usec -> seconds; the latency summary takes count and usec */
	const char *cs = strstr(s, "cmdstat_set:calls=");
	ck_assert(cs);
	long calls = strtol(cs + 18, NULL, 10);
	const char *us = strstr(cs, "usec=");
	long usec = strtol(us + 5, NULL, 10);
	snprintf(line, sizeof line, "redis_commands_total{cmd=\"set\"} %s", fmtv((double)calls));
	HAS(p.text, line);
	snprintf(line, sizeof line, "redis_latency_percentiles_usec_count{cmd=\"set\"} %ld", calls);
	HAS(p.text, line);
	snprintf(line, sizeof line, "redis_latency_percentiles_usec_sum{cmd=\"set\"} %s", fmtv((double)usec));
	HAS(p.text, line);
	const char *lat = strstr(s, "latency_percentiles_usec_set:p50=");
	ck_assert(lat);
	char p50[32];
	size_t n = strcspn(lat + 33, ",");
	snprintf(p50, sizeof p50, "%.*s", (int)n, lat + 33);
	snprintf(line, sizeof line, "redis_latency_percentiles_usec{cmd=\"set\",quantile=\"50\"} %s", p50);
	HAS(p.text, line);
	ck_assert(strstr(p.text, "quantile=\"99.9\""));
	/* no padding without a database count */
	LACKS(p.text, "db=\"db2\"");
	free(p.text);
	free(s);
}
END_TEST

START_TEST(test_info_70_replica)
{
	char *s = slurp(FIX "info-7.0-replica.txt");
	const char *mp = strstr(s, "master_port:");
	ck_assert(mp);
	char port[16];
	snprintf(port, sizeof port, "%.*s", (int)strcspn(mp + 12, "\n"), mp + 12);
	struct parsed p = parse_text_with(s, 16, false);
	char line[256];
	snprintf(line, sizeof line, "redis_master_link_up{master_host=\"127.0.0.1\",master_port=\"%s\"} 1", port);
	HAS(p.text, line);
	snprintf(line, sizeof line, "redis_slave_info{master_host=\"127.0.0.1\",master_port=\"%s\",read_only=\"1\"} 1", port);
	HAS(p.text, line);
	snprintf(line, sizeof line, "redis_master_sync_in_progress{master_host=\"127.0.0.1\",master_port=\"%s\"} 0", port);
	HAS(p.text, line);
	snprintf(line, sizeof line, "redis_master_last_io_seconds_ago{master_host=\"127.0.0.1\",master_port=\"%s\"}", port);
	ck_assert(strstr(p.text, line));
	snprintf(line, sizeof line, "redis_slave_repl_offset{master_host=\"127.0.0.1\",master_port=\"%s\"}", port);
	ck_assert(strstr(p.text, line));
	ck_assert(strstr(p.text, "role=\"slave\""));
	free(p.text);
	free(s);
}
END_TEST

START_TEST(test_info_70_cluster_node)
{
	struct parsed p = parse_file(FIX "info-7.0-cluster.txt", 1, false);
	ck_assert(p.res.cluster_enabled);
	HAS(p.text, "redis_cluster_enabled 1");
	free(p.text);

	char *s = slurp(FIX "cluster-info-7.0.txt");
	struct info_opts o = { .ns = "redis", .now = NOW };
	struct expo *e = expo_new(1u << 20);
	ck_assert_int_eq(redis_cluster_info_parse(s, &o, e), 0);
	char *t = render_free(e);
	HAS(t, "redis_cluster_state 1");
	HAS(t, "redis_cluster_known_nodes 3");
	HAS(t, "redis_cluster_size 3");
	HAS(t, "redis_cluster_slots_ok 16384");
	/* upstream's names, gauges though they count */
	HAS(t, "redis_cluster_messages_sent_total 11");
	HAS(t, "redis_cluster_messages_received_total 11");
	HAS(t, "# TYPE redis_cluster_messages_sent_total gauge");
	HAS(t, "redis_cluster_stats_messages_ping_sent 3");
	LACKS(t, "total_cluster_links_buffer_limit_exceeded");
	free(t);
	free(s);
}
END_TEST

START_TEST(test_info_50)
{
	struct parsed p = parse_file(FIX "info-5.0.txt", 16, false);
	ck_assert_int_eq(p.rc, 0);
	HAS(p.text, "redis_commands_total{cmd=\"set\"} 61");
	HAS(p.text, "redis_commands_duration_seconds_total{cmd=\"set\"} 0.003139");
	/* the pre-6.2 format has no rejected/failed calls */
	LACKS(p.text, "redis_commands_rejected_calls_total");
	LACKS(p.text, "redis_commands_failed_calls_total");
	LACKS(p.text, "redis_errors_total");
	LACKS(p.text, "redis_latency_percentiles_usec");
	HAS(p.text, "redis_client_recent_max_input_buffer_bytes 2");
	HAS(p.text, "redis_db_keys{db=\"db2\"} 3");
	HAS(p.text, "redis_db_avg_ttl_seconds{db=\"db0\"} 60");
	HAS(p.text, "redis_latest_fork_seconds 0.00025");
	HAS(p.text, "redis_replica_resyncs_full 1");
	HAS(p.text, "redis_cpu_sys_seconds_total 1.25");
	HAS(p.text, "redis_connected_slave_lag_seconds{slave_ip=\"10.0.0.2\",slave_port=\"6379\",slave_state=\"online\"} 1");
	HAS(p.text, "redis_memory_used_bytes 853288");
	HAS(p.text, "redis_expired_time_cap_reached_total 0");
	HAS(p.text, "# TYPE redis_expired_time_cap_reached_total counter");
	LACKS(p.text, "redis_total_system_memory_bytes");
	free(p.text);
	p = parse_file(FIX "info-5.0.txt", 0, true);
	HAS(p.text, "redis_total_system_memory_bytes 1.6650620928e+10");
	free(p.text);
}
END_TEST

START_TEST(test_info_62)
{
	struct parsed p = parse_file(FIX "info-6.2.txt", 16, false);
	HAS(p.text, "redis_commands_rejected_calls_total{cmd=\"auth\"} 3");
	HAS(p.text, "redis_commands_failed_calls_total{cmd=\"set\"} 2");
	HAS(p.text, "redis_errors_total{err=\"NOAUTH\"} 3");
	HAS(p.text, "redis_errors_total{err=\"WRONGTYPE\"} 2");
	HAS(p.text, "redis_io_threads_active 0");
	HAS(p.text, "redis_max_clients 10000");
	HAS(p.text, "redis_memory_max_bytes 1.048576e+08");
	HAS(p.text, "redis_total_error_replies 17");
	HAS(p.text, "# TYPE redis_total_error_replies counter");
	HAS(p.text, "redis_blocked_clients 1");
	HAS(p.text, "redis_db_keys{db=\"db5\"} 7");
	HAS(p.text, "redis_db_avg_ttl_seconds{db=\"db5\"} 3");
	HAS(p.text, "redis_expire_cycle_cpu_time_ms_total 120");
	/* no latencystats before 7.0: no summary */
	LACKS(p.text, "redis_latency_percentiles_usec");
	free(p.text);
}
END_TEST

/* 7.4 added subexpiry as the 4th keyspace field: by name it is not cached_keys. */
START_TEST(test_info_74_keyspace_by_name)
{
	struct parsed p = parse_file(FIX "info-7.4-keyspace.txt", 16, false);
	HAS(p.text, "redis_db_keys{db=\"db0\"} 4");
	HAS(p.text, "redis_db_keys_expiring{db=\"db0\"} 2");
	HAS(p.text, "redis_db_avg_ttl_seconds{db=\"db0\"} 5");
	HAS(p.text, "redis_db_keys{db=\"db9\"} 1");
	LACKS(p.text, "redis_db_keys_cached");
	HAS(p.text, "redis_evicted_scripts_total 0");
	free(p.text);
}
END_TEST

START_TEST(test_info_keydb_multimaster)
{
	struct parsed p = parse_file(FIX "info-keydb-replica.txt", 0, false);
	HAS(p.text, "redis_master_link_up{master_host=\"kdb0.server.local\",master_port=\"6377\"} 1");
	HAS(p.text, "redis_master_link_up{master_host=\"kdb1.server.local\",master_port=\"6377\"} 0");
	HAS(p.text, "redis_master_last_io_seconds_ago{master_host=\"kdb1.server.local\",master_port=\"6377\"} -1");
	HAS(p.text, "redis_slave_repl_offset{master_host=\"kdb0.server.local\",master_port=\"6377\"} 78190");
	HAS(p.text, "redis_db_keys_cached{db=\"db0\"} 4");
	HAS(p.text, "redis_cached_keys_total 12");
	HAS(p.text, "redis_server_threads_total 2");
	HAS(p.text, "redis_slave_info{master_host=\"kdb0.server.local\",master_port=\"6377\",read_only=\"0\"} 1");
	free(p.text);
}
END_TEST

START_TEST(test_info_sentinel)
{
	struct parsed p = parse_file(FIX "info-sentinel.txt", 0, false);
	ck_assert(p.res.sentinel);
	HAS(p.text, "redis_sentinel_masters 2");
	HAS(p.text, "redis_sentinel_tilt 0");
	HAS(p.text, "redis_sentinel_master_status{master_address=\"192.169.2.52:6381\",master_name=\"user03\",master_status=\"sdown\"} 0");
	HAS(p.text, "redis_sentinel_master_status{master_address=\"192.169.2.54:6380\",master_name=\"user02\",master_status=\"ok\"} 1");
	HAS(p.text, "redis_sentinel_master_slaves{master_address=\"192.169.2.54:6380\",master_name=\"user02\"} 2");
	HAS(p.text, "redis_sentinel_master_sentinels{master_address=\"192.169.2.52:6381\",master_name=\"user03\"} 5");
	free(p.text);
}
END_TEST

/* Field order does not matter: the same lines shuffled give the same values. */
START_TEST(test_info_order_independent)
{
	char text[] = "# Keyspace\r\ndb0:expires=1,keys=9,avg_ttl=2000\r\n# Commandstats\r\n"
		      "cmdstat_get:usec_per_call=2.00,failed_calls=1,usec=10,rejected_calls=0,calls=5\r\n"
		      "# Latencystats\r\nlatency_percentiles_usec_get:p99.9=9,p50=1,p99=3\r\n"
		      "# Server\r\nrole:master\r\nredis_version:7.2.0\r\n";
	struct parsed p = parse_text_with(text, 0, false);
	HAS(p.text, "redis_db_keys{db=\"db0\"} 9");
	HAS(p.text, "redis_db_keys_expiring{db=\"db0\"} 1");
	HAS(p.text, "redis_commands_total{cmd=\"get\"} 5");
	HAS(p.text, "redis_commands_failed_calls_total{cmd=\"get\"} 1");
	HAS(p.text, "redis_latency_percentiles_usec{cmd=\"get\",quantile=\"50\"} 1");
	HAS(p.text, "redis_latency_percentiles_usec{cmd=\"get\",quantile=\"99.9\"} 9");
	HAS(p.text, "redis_latency_percentiles_usec_count{cmd=\"get\"} 5");
	free(p.text);
}
END_TEST

/* Empty, garbage, truncated, oversized and malformed replies: never a crash. */
START_TEST(test_info_broken)
{
	char empty[] = "";
	struct parsed p = parse_text_with(empty, 16, false);
	ck_assert_int_eq(p.rc, -1);
	LACKS(p.text, "redis_db_keys");
	free(p.text);

	char garbage[] = "\x01\x02\xff\xfe no colon here\n#\n# \n:\n::::\n\r\n";
	p = parse_text_with(garbage, 4, false);
	ck_assert_int_eq(p.rc, 0); /* "::::" is a field with an empty name */
	free(p.text);

	char bad[] = "# Server\nuptime_in_seconds:abc\nused_memory:12x\nprocess_id:\n"
		     "# Keyspace\ndb0:keys=x,expires=1\ndb1:keys=1\ndb2:nothing\ndbX:keys=1,expires=0\n"
		     "# Commandstats\ncmdstat_:calls=1,usec=1\ncmdstat_get:calls=-1,usec=1\ncmdstat_set:usec=1\n"
		     "# Latencystats\nlatency_percentiles_usec_get:p50=1,p99\nlatency_percentiles_usec_set:q50=1\n"
		     "latency_percentiles_usec_del:p50=1,p50=2\n"
		     "# Errorstats\nerrorstat_ERR:count=x\nerrorstat_:count=1\n"
		     "# Replication\nslave0:ip=1,port=2\nslave1:offset=abc\nmaster_link_status:up\n";
	p = parse_text_with(bad, 2, false);
	ck_assert_int_eq(p.rc, 0);
	LACKS(p.text, "redis_start_time_seconds");
	LACKS(p.text, "redis_memory_used_bytes");
	HAS(p.text, "redis_db_keys{db=\"db0\"} 0"); /* padded: its line was unusable */
	HAS(p.text, "redis_db_keys{db=\"dbX\"} 1");
	HAS(p.text, "redis_db_keys{db=\"db1\"} 0"); /* padded: its line was unusable */
	LACKS(p.text, "redis_commands_total");
	LACKS(p.text, "redis_latency_percentiles_usec");
	LACKS(p.text, "redis_errors_total");
	LACKS(p.text, "connected_slave");
	HAS(p.text, "redis_master_link_up{master_host=\"\",master_port=\"\"} 1");
	free(p.text);

	/* truncated in the middle of a line */
	char *s = slurp(FIX "info-7.0-primary.txt");
	size_t n = strlen(s);
	for (size_t cut = 1; cut < n; cut += n / 37 + 1) {
		char *t = strndup(s, cut);
		p = parse_text_with(t, 16, false);
		free(p.text);
		free(t);
	}
	free(s);

	/* oversized: a 4 MiB value and many fields */
	size_t big = 4u << 20;
	char *o = malloc(big + 64);
	ck_assert(o != NULL);
	memcpy(o, "# Server\nredis_version:", 23);
	memset(o + 23, 'v', big);
	memcpy(o + 23 + big, "\nused_memory:5\n", 16);
	p = parse_text_with(o, 0, false);
	HAS(p.text, "redis_memory_used_bytes 5");
	free(p.text);
	free(o);

	/* an absurd database count is capped */
	char one[] = "db0:keys=1,expires=0\n";
	p = parse_text_with(one, 10000000, false);
	ck_assert(strstr(p.text, "db=\"db65535\""));
	LACKS(p.text, "db=\"db65536\"");
	free(p.text);
}
END_TEST

START_TEST(test_cluster_info_broken)
{
	struct info_opts o = { .ns = "redis" };
	char empty[] = "";
	struct expo *e = expo_new(1u << 20);
	ck_assert_int_eq(redis_cluster_info_parse(empty, &o, e), -1);
	expo_free(e);
	char odd[] = "cluster_state:fail\r\ncluster_a:b:c\r\ncluster_size:x\r\n\r\n";
	e = expo_new(1u << 20);
	ck_assert_int_eq(redis_cluster_info_parse(odd, &o, e), 0);
	char *t = render_free(e);
	HAS(t, "redis_cluster_state 0");
	LACKS(t, "cluster_a");
	LACKS(t, "redis_cluster_size");
	free(t);
}
END_TEST

START_TEST(test_raddr)
{
	struct raddr a;
	char err[256];
	ck_assert_int_eq(raddr_parse("redis://localhost:6379", false, &a, err, sizeof err), 0);
	ck_assert_str_eq(a.host, "localhost");
	ck_assert_int_eq(a.port, 6379);
	ck_assert_str_eq(a.display, "redis://localhost:6379");
	ck_assert_int_eq(raddr_parse("127.0.0.1:7000", false, &a, err, sizeof err), 0);
	ck_assert_str_eq(a.display, "redis://127.0.0.1:7000");
	ck_assert_int_eq(raddr_parse("redis://bob:p%40ss@h:1/2", false, &a, err, sizeof err), 0);
	ck_assert_str_eq(a.user, "bob");
	ck_assert_str_eq(a.password, "p@ss");
	ck_assert(a.has_password);
	ck_assert_int_eq(a.db, 2);
	ck_assert_str_eq(a.display, "redis://bob@h:1/2");
	ck_assert_int_eq(raddr_parse("redis://bob:secret@h:1", true, &a, err, sizeof err), 0);
	ck_assert(!a.has_password);
	ck_assert_str_eq(a.password, "");
	ck_assert_str_eq(a.user, "bob");
	/* a lone user part is the password (redis-cli, redigo) */
	ck_assert_int_eq(raddr_parse("redis://secret@h", false, &a, err, sizeof err), 0);
	ck_assert_str_eq(a.password, "secret");
	ck_assert_str_eq(a.user, "");
	ck_assert_str_eq(a.display, "redis://h:6379");
	ck_assert_int_eq(raddr_parse("redis://[::1]:6380", false, &a, err, sizeof err), 0);
	ck_assert_str_eq(a.host, "::1");
	ck_assert_str_eq(a.display, "redis://[::1]:6380");
	ck_assert_int_eq(raddr_parse("unix:///run/redis.sock", false, &a, err, sizeof err), 0);
	ck_assert_int_eq(a.kind, RADDR_UNIX);
	ck_assert_str_eq(a.path, "/run/redis.sock");
	ck_assert_int_eq(raddr_parse("valkey://v:1", false, &a, err, sizeof err), 0);
	ck_assert_str_eq(a.display, "redis://v:1");
	ck_assert_int_eq(raddr_parse("redis://", false, &a, err, sizeof err), 0);
	ck_assert_str_eq(a.display, "redis://localhost:6379");

	ck_assert_int_eq(raddr_parse("rediss://u:topsecret@h:6379", false, &a, err, sizeof err), 0);
	ck_assert(a.tls);
	ck_assert_str_eq(a.display, "rediss://u@h:6379");
	ck_assert_int_eq(raddr_parse("valkeys://h", true, &a, err, sizeof err), 0);
	ck_assert(a.tls);
	ck_assert_str_eq(a.display, "rediss://h:6379");
	ck_assert_int_eq(raddr_parse("redis://h", true, &a, err, sizeof err), 0);
	ck_assert(!a.tls);
	const char *bad[] = { "redis://u:topsecret@h:99999", "redis://u:topsecret@h:x", "http://h",
			      "redis://u:top%zzsecret@h", "redis://[::1", "redis://h/abc", "unix://" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err[0] = '\0';
		ck_assert_msg(raddr_parse(bad[i], false, &a, err, sizeof err) == -1, "%s accepted", bad[i]);
		ck_assert(err[0]);
		ck_assert(!strstr(err, "topsecret"));
	}
}
END_TEST

START_TEST(test_keylist)
{
	struct keylist l;
	char err[256];
	ck_assert_int_eq(keylist_parse("db3=a*, b ,db1=c%20d+e,,", &l, err, sizeof err), 0);
	ck_assert_int_eq(l.n, 3);
	ck_assert_int_eq(l.items[0].db, 3);
	ck_assert_str_eq(l.items[0].key, "a*");
	ck_assert_int_eq(l.items[1].db, 0);
	ck_assert_str_eq(l.items[1].key, "b");
	ck_assert_int_eq(l.items[2].db, 1);
	ck_assert_str_eq(l.items[2].key, "c d e");
	keylist_free(&l);
	ck_assert_int_eq(keylist_parse("", &l, err, sizeof err), 0);
	ck_assert_int_eq(l.n, 0);
	ck_assert_int_eq(keylist_parse("db1=", &l, err, sizeof err), 0); /* empty parts are skipped */
	ck_assert_int_eq(l.n, 0);
	ck_assert_int_eq(keylist_parse("a=b=c", &l, err, sizeof err), -1);
	ck_assert_int_eq(keylist_parse("dbx=k", &l, err, sizeof err), -1);
	ck_assert_int_eq(keylist_parse("db-1=k", &l, err, sizeof err), -1);
	ck_assert_int_eq(keylist_parse("k%zz", &l, err, sizeof err), -1);
	ck_assert_int_eq(l.n, 0);
}
END_TEST

static char *write_tmp(const char *content)
{
	static char path[64];
	snprintf(path, sizeof path, "/tmp/check_redis_pw_XXXXXX");
	int fd = mkstemp(path);
	ck_assert(fd >= 0);
	ck_assert_int_eq(write(fd, content, strlen(content)), (ssize_t)strlen(content));
	close(fd);
	return path;
}

START_TEST(test_pwfile)
{
	char err[256];
	char *path = write_tmp("{\n  \"redis://10.0.0.1:6379\": \"pw1\",\n  \"redis://bob@10.0.0.2:6380\": \"p\\\"w2\"\n}\n");
	struct pwfile *p = pwfile_load(path, err, sizeof err);
	unlink(path);
	ck_assert_msg(p != NULL, "%s", err);
	ck_assert_int_eq(pwfile_count(p), 2);
	struct raddr a;
	ck_assert_int_eq(raddr_parse("10.0.0.1:6379", true, &a, err, sizeof err), 0);
	ck_assert_str_eq(pwfile_lookup(p, NULL, &a), "pw1");
	ck_assert_int_eq(raddr_parse("redis://bob@10.0.0.2:6380", true, &a, err, sizeof err), 0);
	ck_assert_str_eq(pwfile_lookup(p, NULL, &a), "p\"w2");
	ck_assert_int_eq(raddr_parse("redis://10.0.0.2:6380", true, &a, err, sizeof err), 0);
	ck_assert(pwfile_lookup(p, NULL, &a) == NULL);
	ck_assert_str_eq(pwfile_lookup(p, "redis://10.0.0.1:6379", &a), "pw1");
	pwfile_free(p);

	const char *bad[] = { "{\"redis://h:1\": \"verysecret\"", "[\"verysecret\"]",
			      "{\"a\": {\"b\": \"verysecret\"}}", "verysecret" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		path = write_tmp(bad[i]);
		err[0] = '\0';
		p = pwfile_load(path, err, sizeof err);
		unlink(path);
		ck_assert_msg(p == NULL, "accepted %s", bad[i]);
		ck_assert(err[0]);
		ck_assert(!strstr(err, "verysecret"));
	}
	ck_assert(pwfile_load("/nonexistent/pw.json", err, sizeof err) == NULL);
}
END_TEST

/* ---- collectors over hand-made replies ---- */

static redisReply *str_reply(const char *s)
{
	redisReply *r = calloc(1, sizeof *r);
	r->type = REDIS_REPLY_STRING;
	r->str = strdup(s);
	r->len = strlen(s);
	return r;
}

static redisReply *int_reply(long long v)
{
	redisReply *r = calloc(1, sizeof *r);
	r->type = REDIS_REPLY_INTEGER;
	r->integer = v;
	return r;
}

static redisReply *arr_reply(size_t n, redisReply **el)
{
	redisReply *r = calloc(1, sizeof *r);
	r->type = REDIS_REPLY_ARRAY;
	r->elements = n;
	r->element = calloc(n ? n : 1, sizeof *r->element);
	for (size_t i = 0; i < n; i++)
		r->element[i] = el[i];
	return r;
}

static char *run(const struct collector_def *def, struct rscrape *rs, int *rc)
{
	struct exporter x = { .name = "redis_exporter", .prefix = "redis" };
	struct request rq = { .x = &x };
	struct collector c = { .def = def, .enabled = true };
	struct scrape s = { .rq = &rq, .collector = &c, .target = rs };
	struct expo *e = expo_new(1u << 20);
	*rc = def->collect(&s, e);
	return render_free(e);
}

START_TEST(test_config_never_exports_passwords)
{
	redis_opts.include_config_metrics = true;
	redis_opts.redact_config_metrics = false;
	struct rscrape rs = { 0 };
	redisReply *el[] = { str_reply("requirepass"), str_reply("s3cretA"), str_reply("masterauth"),
			     str_reply("s3cretB"), str_reply("maxmemory"), str_reply("1048576"),
			     str_reply("maxclients"), str_reply("77"), str_reply("client-output-buffer-limit"),
			     str_reply("normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 61"),
			     str_reply("tls-key-file-pass"), str_reply("s3cretC"), str_reply("appendonly"),
			     str_reply("no") };
	rs.r[SLOT_CONFIG_FIRST] = arr_reply(14, el);
	int rc;
	char *t = run(&collector_config, &rs, &rc);
	ck_assert_int_eq(rc, COLLECT_OK);
	LACKS(t, "s3cret");
	LACKS(t, "requirepass");
	LACKS(t, "masterauth");
	HAS(t, "redis_config_maxmemory 1.048576e+06");
	HAS(t, "redis_config_maxclients 77");
	HAS(t, "redis_config_value{key=\"maxclients\"} 77");
	HAS(t, "redis_config_key_value{key=\"appendonly\",value=\"no\"} 1");
	HAS(t, "redis_config_client_output_buffer_limit_bytes{class=\"slave\",limit=\"hard\"} 2.68435456e+08");
	HAS(t, "redis_config_client_output_buffer_limit_bytes{class=\"pubsub\",limit=\"soft\"} 8.388608e+06");
	HAS(t, "redis_config_client_output_buffer_limit_overcome_seconds{class=\"pubsub\",limit=\"soft\"} 61");
	free(t);
	replies_free(rs.r, SLOT_N);
	redis_opts.include_config_metrics = false;
	redis_opts.redact_config_metrics = true;

	/* an error reply (CONFIG renamed away) fails the collector */
	redisReply *er = str_reply("ERR unknown command 'CONFIG'");
	er->type = REDIS_REPLY_ERROR;
	rs.r[SLOT_CONFIG_FIRST] = er;
	t = run(&collector_config, &rs, &rc);
	ck_assert_int_eq(rc, COLLECT_ERROR);
	free(t);
	replies_free(rs.r, SLOT_N);
}
END_TEST

START_TEST(test_latency_and_slowlog)
{
	struct rscrape rs = { 0 };
	redisReply *ev1[] = { str_reply("command"), int_reply(1700000000), int_reply(250), int_reply(300) };
	redisReply *ev2[] = { str_reply("broken") };
	redisReply *evs[] = { arr_reply(4, ev1), arr_reply(1, ev2), int_reply(3) };
	rs.r[SLOT_LATENCY] = arr_reply(3, evs);
	int rc;
	char *t = run(&collector_latency, &rs, &rc);
	ck_assert_int_eq(rc, COLLECT_OK);
	HAS(t, "redis_latency_spike_last{event_name=\"command\"} 1.7e+09");
	HAS(t, "redis_latency_spike_duration_seconds{event_name=\"command\"} 0.25");
	LACKS(t, "broken");
	free(t);

	redisReply *entry[] = { int_reply(41), int_reply(1700000000), int_reply(12345),
				arr_reply(0, NULL) };
	redisReply *entries[] = { arr_reply(4, entry) };
	rs.r[SLOT_SLOWLOG_LEN] = int_reply(7);
	rs.r[SLOT_SLOWLOG_GET] = arr_reply(1, entries);
	t = run(&collector_slowlog, &rs, &rc);
	ck_assert_int_eq(rc, COLLECT_OK);
	HAS(t, "redis_slowlog_length 7");
	HAS(t, "redis_slowlog_last_id 41");
	HAS(t, "redis_last_slow_execution_duration_seconds 0.012345");
	free(t);
	replies_free(rs.r, SLOT_N);

	/* an empty slow log, and a malformed one */
	rs.r[SLOT_SLOWLOG_LEN] = int_reply(0);
	rs.r[SLOT_SLOWLOG_GET] = arr_reply(0, NULL);
	t = run(&collector_slowlog, &rs, &rc);
	HAS(t, "redis_slowlog_last_id 0");
	free(t);
	replies_free(rs.r, SLOT_N);
	redisReply *junk[] = { str_reply("x") };
	rs.r[SLOT_SLOWLOG_LEN] = str_reply("x");
	rs.r[SLOT_SLOWLOG_GET] = arr_reply(1, junk);
	t = run(&collector_slowlog, &rs, &rc);
	ck_assert_int_eq(rc, COLLECT_ERROR);
	free(t);
	replies_free(rs.r, SLOT_N);
}
END_TEST

START_TEST(test_client_list)
{
	char *s = slurp(FIX "client-list-7.0.txt");
	struct rscrape rs = { .now = NOW };
	char *more = malloc(strlen(s) + 200);
	snprintf(more, strlen(s) + 200, "%sid=99 addr=/tmp/x.sock:0 fd=9 name= age=1 idle=1\nid=x junk\n", s);
	rs.r[SLOT_CLIENT_LIST] = str_reply(more);
	int rc;
	char *t = run(&collector_clients, &rs, &rc);
	ck_assert_int_eq(rc, COLLECT_OK);
	/* each recorded client is one series, the unix socket one too; id=x is not a client */
	size_t lines = 1;
	for (const char *p = s; (p = strstr(p, "id=")); p++)
		if (p == s || p[-1] == '\n')
			lines++;
	size_t series = 0;
	for (const char *p = t; (p = strstr(p, "\nredis_connected_client_info{")); p++)
		series++;
	ck_assert_uint_eq(series, lines);
	ck_assert(strstr(t, "redis_connected_client_info{db=\"0\",flags=\"N\",host=\"127.0.0.1\",id=\"6\",resp=\"2\",user=\"default\"} 1\n"));
	/* no user= and resp= before Redis 6 and 7: no labels */
	ck_assert(strstr(t, "redis_connected_client_info{host=\"/tmp/x.sock\",id=\"99\"} 1\n"));
	ck_assert(strstr(t, "host=\"/tmp/x.sock\""));
	ck_assert(strstr(t, "redis_connected_client_total_memory_consumed_bytes{id=\"6\",name=\"\"} 22298\n"));
	ck_assert(strstr(t, "redis_connected_client_query_buffer_free_space_bytes{id=\"4\",name=\"\"} 20474\n"));
	ck_assert(strstr(t, "redis_connected_client_created_at_timestamp{id=\"4\",name=\"\"} 1.699999994e+09\n"));
	ck_assert(strstr(t, "redis_connected_client_shard_channel_subscriptions_count{id=\"4\",name=\"\"} 0\n"));
	/* fields the server does not report are not exported (no watch= before 7.4) */
	LACKS(t, "watched_keys{id=\"4\"");
	LACKS(t, "port=");
	LACKS(t, "id=\"x\"");
	free(t);
	free(more);
	free(s);
	replies_free(rs.r, SLOT_N);
}
END_TEST

/* Tile38's SERVER EXT fields, with and without their prefix, as the INFO fields upstream maps. */
START_TEST(test_tile38_fields)
{
	const char *resp = "*8\r\n$8\r\nsys_cpus\r\n$1\r\n4\r\n$17\r\ntile38_go_threads\r\n:12\r\n"
			   "$14\r\navg_point_size\r\n$4\r\n10.5\r\n$7\r\nunknown\r\n$1\r\n1\r\n";
	redisReader *rd = rreader_new();
	void *r = NULL;
	redisReaderFeed(rd, resp, strlen(resp));
	ck_assert_int_eq(redisReaderGetReply(rd, &r), REDIS_OK);
	redisReaderFree(rd);
	struct info_opts o = { .ns = "redis", .now = NOW };
	struct expo *e = expo_new(1 << 20);
	ck_assert_int_eq(tile38_fields(r, &o, e), 0);
	char *t = render_free(e);
	HAS(t, "redis_tile38_cpus_total 4");
	HAS(t, "redis_tile38_threads_total 12");
	HAS(t, "redis_tile38_avg_item_size_bytes 10.5");
	LACKS(t, "unknown");
	free(t);
	freeReplyObject(r);
	/* another shape is refused */
	struct redisReply nested = { .type = REDIS_REPLY_ARRAY }, *el[2] = { &nested, &nested };
	struct redisReply arr = { .type = REDIS_REPLY_ARRAY, .elements = 2, .element = el };
	e = expo_new(1 << 20);
	ck_assert_int_eq(tile38_fields(&arr, &o, e), -1);
	expo_free(e);
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("redis_info");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_info_70_primary);
	tcase_add_test(tc, test_info_70_values);
	tcase_add_test(tc, test_info_70_replica);
	tcase_add_test(tc, test_info_70_cluster_node);
	tcase_add_test(tc, test_info_50);
	tcase_add_test(tc, test_info_62);
	tcase_add_test(tc, test_info_74_keyspace_by_name);
	tcase_add_test(tc, test_info_keydb_multimaster);
	tcase_add_test(tc, test_info_sentinel);
	tcase_add_test(tc, test_info_order_independent);
	tcase_add_test(tc, test_info_broken);
	tcase_add_test(tc, test_cluster_info_broken);
	tcase_add_test(tc, test_raddr);
	tcase_add_test(tc, test_keylist);
	tcase_add_test(tc, test_pwfile);
	tcase_add_test(tc, test_config_never_exports_passwords);
	tcase_add_test(tc, test_latency_and_slowlog);
	tcase_add_test(tc, test_client_list);
	tcase_add_test(tc, test_tile38_fields);
	suite_add_tcase(s, tc);
	return s;
}
