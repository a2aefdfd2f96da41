// links: kafka_exporter
/*
 * kafka_exporter's metrics from hand-made snapshots (no broker): upstream's
 * series and rules (-1 for uncommitted partitions, topics a group never
 * committed to left out, --offset.show-all or assigned partitions only),
 * KIP-848 groups without a member count, --kafka.labels, lag in seconds and
 * the status over scrapes, and forgetting vanished partitions.
 */
#include "../../common/parse.h"
#include "../../kafka_exporter/kafka.h"
#include "unit.h"

static struct kpartition parts_a[3], parts_b[1], parts_x[1];
static struct ktopic topics[3];
static struct kcommit commits_g1[4], commits_g2[1], commits_kip[1];
static struct kgroup groups[3];
static struct kbroker brokers[1];

/* topics: "a" (3 partitions, selected), "b" (1, selected), "x" (1, filtered out). */
static void make_snapshot(struct ksnapshot *s, double now)
{
	memset(s, 0, sizeof *s);
	for (int i = 0; i < 3; i++)
		parts_a[i] = (struct kpartition){ .id = i, .leader = 1, .preferred = 1, .nreplicas = 3, .nisr = 3,
						   .has_newest = true, .newest = 100 * (i + 1), .has_oldest = true,
						   .oldest = i };
	parts_a[1].leader = 2; /* not the preferred replica */
	parts_a[2].nisr = 2; /* under-replicated */
	parts_b[0] = (struct kpartition){ .id = 0, .leader = -1, .preferred = 3, .nreplicas = 1, .nisr = 0 };
	parts_x[0] = (struct kpartition){ .id = 0, .leader = 1, .preferred = 1, .nreplicas = 1, .nisr = 1,
					  .has_newest = true, .newest = 9 };
	topics[0] = (struct ktopic){ .name = "a", .selected = true, .npart = 3, .parts = parts_a };
	topics[1] = (struct ktopic){ .name = "b", .selected = true, .npart = 1, .parts = parts_b };
	topics[2] = (struct ktopic){ .name = "x", .selected = false, .npart = 1, .parts = parts_x };
	/* g1: a/0 at 40, a/1 unreadable, a/2 none; x/0 at 3 (filtered topic); b/0 uncommitted only. */
	commits_g1[0] = (struct kcommit){ .topic = 0, .partition = 0, .offset = 40, .assigned = true };
	commits_g1[1] = (struct kcommit){ .topic = 0, .partition = 1, .offset = 7, .error = true };
	commits_g1[2] = (struct kcommit){ .topic = 1, .partition = 0, .offset = -1001, .assigned = true };
	commits_g1[3] = (struct kcommit){ .topic = 2, .partition = 0, .offset = 3 };
	commits_g2[0] = (struct kcommit){ .topic = 0, .partition = 2, .offset = 300 };
	commits_kip[0] = (struct kcommit){ .topic = 0, .partition = 0, .offset = 100 };
	groups[0] = (struct kgroup){ .id = "g1", .state = "Stable", .members = 2, .offsets_ok = true,
				     .ncommits = 4, .commits = commits_g1 };
	groups[1] = (struct kgroup){ .id = "g2", .state = "Empty", .members = 0, .offsets_ok = true,
				     .ncommits = 1, .commits = commits_g2 };
	groups[2] = (struct kgroup){ .id = "kip", .state = "Stable", .members = -1, .offsets_ok = true,
				     .ncommits = 1, .commits = commits_kip };
	brokers[0] = (struct kbroker){ .id = 1, .address = "k1:9092" };
	s->now = now;
	s->now_ms = (int64_t)(now * 1000);
	s->have_metadata = true;
	s->nbrokers = 1;
	s->brokers = brokers;
	s->ntopics = 3;
	s->topics = topics;
	s->ngroups = 3;
	s->groups = groups;
	s->answered = 5;
}

static struct run_result emit(const struct ksnapshot *s, struct kstate *st)
{
	struct expo *e = expo_new(1u << 24);
	kafka_emit(s, st, e);
	return (struct run_result){ .text = render_free(e) };
}

static void reset_options(void)
{
	free_const_labels(&kafka_opts);
	kafka_opts.offset_show_all = true;
	kafka_opts.lag_seconds = LAG_SECONDS_INTERPOLATION;
	kafka_opts.status_window = 10;
}

START_TEST(test_topic_families)
{
	reset_options();
	struct ksnapshot s;
	make_snapshot(&s, 1000);
	struct kstate state = { 0 }, *st = &state;
	struct run_result r = emit(&s, st);
	expect_line(&r, "kafka_brokers 1");
	expect_line(&r, "kafka_broker_info{address=\"k1:9092\",id=\"1\"} 1");
	expect_line(&r, "kafka_topic_partitions{topic=\"a\"} 3");
	expect_line(&r, "kafka_topic_partitions{topic=\"b\"} 1");
	expect_no(&r, "topic=\"x\"");
	expect_line(&r, "kafka_topic_partition_current_offset{partition=\"2\",topic=\"a\"} 300");
	expect_line(&r, "kafka_topic_partition_oldest_offset{partition=\"1\",topic=\"a\"} 1");
	expect_line(&r, "kafka_topic_partition_leader{partition=\"1\",topic=\"a\"} 2");
	expect_line(&r, "kafka_topic_partition_leader_is_preferred{partition=\"0\",topic=\"a\"} 1");
	expect_line(&r, "kafka_topic_partition_leader_is_preferred{partition=\"1\",topic=\"a\"} 0");
	expect_line(&r, "kafka_topic_partition_under_replicated_partition{partition=\"2\",topic=\"a\"} 1");
	expect_line(&r, "kafka_topic_partition_under_replicated_partition{partition=\"0\",topic=\"a\"} 0");
	expect_line(&r, "kafka_topic_partition_in_sync_replica{partition=\"2\",topic=\"a\"} 2");
	expect_line(&r, "kafka_topic_partition_replicas{partition=\"0\",topic=\"a\"} 3");
	/* b/0 has no leader and no offsets: no leader or offset series, not preferred. */
	expect_no(&r, "kafka_topic_partition_leader{partition=\"0\",topic=\"b\"}");
	expect_no(&r, "kafka_topic_partition_current_offset{partition=\"0\",topic=\"b\"}");
	expect_no(&r, "kafka_topic_partition_oldest_offset{partition=\"0\",topic=\"b\"}");
	expect_line(&r, "kafka_topic_partition_leader_is_preferred{partition=\"0\",topic=\"b\"} 0");
	expect_line(&r, "kafka_topic_partition_under_replicated_partition{partition=\"0\",topic=\"b\"} 1");
	expect_line(&r, "# TYPE kafka_topic_partition_current_offset gauge");
	free(r.text);
	kstate_free(&state);
}
END_TEST

START_TEST(test_group_series_upstream_rules)
{
	reset_options();
	struct ksnapshot s;
	make_snapshot(&s, 1000);
	struct kstate state = { 0 }, *st = &state;
	struct run_result r = emit(&s, st);
	/* Every partition of a topic the group committed to; -1 for the uncommitted one. */
	expect_line(&r, "kafka_consumergroup_current_offset{consumergroup=\"g1\",partition=\"0\",topic=\"a\"} 40");
	expect_line(&r, "kafka_consumergroup_current_offset{consumergroup=\"g1\",partition=\"2\",topic=\"a\"} -1");
	expect_line(&r, "kafka_consumergroup_lag{consumergroup=\"g1\",partition=\"0\",topic=\"a\"} 60");
	expect_line(&r, "kafka_consumergroup_lag{consumergroup=\"g1\",partition=\"2\",topic=\"a\"} -1");
	/* A partition whose offset could not be read is skipped. */
	expect_no(&r, "kafka_consumergroup_current_offset{consumergroup=\"g1\",partition=\"1\",topic=\"a\"}");
	/* Sums: -1 counted in the offset sum, not in the lag sum. */
	expect_line(&r, "kafka_consumergroup_current_offset_sum{consumergroup=\"g1\",topic=\"a\"} 39");
	expect_line(&r, "kafka_consumergroup_lag_sum{consumergroup=\"g1\",topic=\"a\"} 60");
	/* A topic with no committed offset at all is not the group's; a filtered topic is not reported. */
	expect_no(&r, "consumergroup=\"g1\",partition=\"0\",topic=\"b\"");
	expect_no(&r, "topic=\"x\"");
	/* g2 committed a/2 only: a/0 and a/1 are -1. */
	expect_line(&r, "kafka_consumergroup_current_offset{consumergroup=\"g2\",partition=\"0\",topic=\"a\"} -1");
	expect_line(&r, "kafka_consumergroup_lag{consumergroup=\"g2\",partition=\"2\",topic=\"a\"} 0");
	expect_line(&r, "kafka_consumergroup_members{consumergroup=\"g1\"} 2");
	expect_line(&r, "kafka_consumergroup_members{consumergroup=\"g2\"} 0");
	expect_line(&r, "kafka_consumergroup_state{consumergroup=\"g1\",state=\"Stable\"} 1");
	expect_line(&r, "kafka_consumergroup_state{consumergroup=\"g2\",state=\"Empty\"} 1");
	/* KIP-848: state known, member count unknown, hence absent. */
	expect_line(&r, "kafka_consumergroup_state{consumergroup=\"kip\",state=\"Stable\"} 1");
	expect_no(&r, "kafka_consumergroup_members{consumergroup=\"kip\"}");
	expect_line(&r, "kafka_consumergroup_lag{consumergroup=\"kip\",partition=\"0\",topic=\"a\"} 0");
	expect_line(&r, "kafka_consumergroup_status{consumergroup=\"g1\"} 1");
	free(r.text);
	kstate_free(&state);
}
END_TEST

START_TEST(test_group_without_offsets_or_end_offsets)
{
	reset_options();
	struct ksnapshot s;
	make_snapshot(&s, 1000);
	groups[1].offsets_ok = false;
	parts_a[0].has_newest = false;
	struct kstate state = { 0 }, *st = &state;
	struct run_result r = emit(&s, st);
	/* Offsets unread: members and state only, no status. */
	expect_line(&r, "kafka_consumergroup_members{consumergroup=\"g2\"} 0");
	expect_no(&r, "kafka_consumergroup_current_offset{consumergroup=\"g2\"");
	expect_no(&r, "kafka_consumergroup_status{consumergroup=\"g2\"}");
	/* End offset unread: the committed offset, but no lag series, as upstream. */
	expect_line(&r, "kafka_consumergroup_current_offset{consumergroup=\"g1\",partition=\"0\",topic=\"a\"} 40");
	expect_no(&r, "kafka_consumergroup_lag{consumergroup=\"g1\",partition=\"0\",topic=\"a\"}");
	expect_line(&r, "kafka_consumergroup_lag_sum{consumergroup=\"g1\",topic=\"a\"} 0");
	free(r.text);
	kstate_free(&state);
}
END_TEST

START_TEST(test_assigned_partitions_only)
{
	reset_options();
	kafka_opts.offset_show_all = false;
	struct ksnapshot s;
	make_snapshot(&s, 1000);
	struct kstate state = { 0 }, *st = &state;
	struct run_result r = emit(&s, st);
	/* g1 is assigned a/0 (committed) and b/0 (uncommitted): a is reported, b has no commit at all. */
	expect_line(&r, "kafka_consumergroup_current_offset{consumergroup=\"g1\",partition=\"0\",topic=\"a\"} 40");
	expect_no(&r, "kafka_consumergroup_current_offset{consumergroup=\"g1\",partition=\"2\",topic=\"a\"}");
	expect_no(&r, "consumergroup=\"g1\",partition=\"0\",topic=\"b\"");
	expect_line(&r, "kafka_consumergroup_current_offset_sum{consumergroup=\"g1\",topic=\"a\"} 40");
	/* No assignment: no offsets. */
	expect_no(&r, "kafka_consumergroup_current_offset{consumergroup=\"g2\"");
	expect_line(&r, "kafka_consumergroup_members{consumergroup=\"g2\"} 0");
	free(r.text);
	kstate_free(&state);
}
END_TEST

START_TEST(test_const_labels_everywhere)
{
	reset_options();
	char err[128];
	ck_assert_int_eq(parse_const_labels("cluster=c1", &kafka_opts, err, sizeof err), 0);
	struct ksnapshot s;
	make_snapshot(&s, 1000);
	struct kstate state = { 0 }, *st = &state;
	struct run_result r = emit(&s, st);
	expect_line(&r, "kafka_brokers{cluster=\"c1\"} 1");
	expect_line(&r, "kafka_consumergroup_lag{cluster=\"c1\",consumergroup=\"g1\",partition=\"0\",topic=\"a\"} 60");
	size_t checked = 0;
	char *cursor = r.text;
	for (char *line; (line = next_line(&cursor));) {
		if (*line == '#' || !*line)
			continue;
		ck_assert_msg(!strncmp(line, "kafka_", 6) && strstr(line, "cluster=\"c1\""),
			      "line without the constant label: %s", line);
		checked++;
	}
	ck_assert_uint_gt(checked, 30);
	free(r.text);
	kstate_free(&state);
	reset_options();
}
END_TEST

START_TEST(test_lag_seconds_interpolated_over_scrapes)
{
	reset_options();
	struct ksnapshot s;
	struct kstate state = { 0 }, *st = &state;
	/* a/0 grows 10 records per second; g1 stays at 59. */
	make_snapshot(&s, 1000);
	parts_a[0].newest = 20;
	commits_g1[0].offset = 59;
	struct run_result r = emit(&s, st);
	/* First sighting: offset 59 is beyond the end, so caught up (lag negative, age 0). */
	expect_line(&r, "kafka_consumergroup_lag_seconds{consumergroup=\"g1\",partition=\"0\",topic=\"a\"} 0");
	free(r.text);
	make_snapshot(&s, 1008);
	parts_a[0].newest = 100;
	commits_g1[0].offset = 59;
	r = emit(&s, st);
	/* Offset 59 was written when the end reached 60: at 1004, 4 s before now. */
	expect_line(&r, "kafka_consumergroup_lag_seconds{consumergroup=\"g1\",partition=\"0\",topic=\"a\"} 4");
	free(r.text);
	make_snapshot(&s, 1012);
	parts_a[0].newest = 140;
	commits_g1[0].offset = 59;
	r = emit(&s, st);
	expect_line(&r, "kafka_consumergroup_lag_seconds{consumergroup=\"g1\",partition=\"0\",topic=\"a\"} 8");
	/* The uncommitted partition has no lag in seconds. */
	expect_no(&r, "kafka_consumergroup_lag_seconds{consumergroup=\"g1\",partition=\"2\"");
	free(r.text);
	kstate_free(&state);
}
END_TEST

START_TEST(test_lag_seconds_from_timestamps)
{
	reset_options();
	kafka_opts.lag_seconds = LAG_SECONDS_TIMESTAMP;
	struct ksnapshot s;
	make_snapshot(&s, 1000);
	commits_g1[0].has_ts = true;
	commits_g1[0].ts = 1000 * 1000 - 42500;
	commits_kip[0].offset = 50;
	struct kstate state = { 0 }, *st = &state;
	struct run_result r = emit(&s, st);
	expect_line(&r, "kafka_consumergroup_lag_seconds{consumergroup=\"g1\",partition=\"0\",topic=\"a\"} 42.5");
	/* Behind without a timestamp (it could not be read): absent. */
	expect_no(&r, "kafka_consumergroup_lag_seconds{consumergroup=\"kip\"");
	free(r.text);
	kafka_opts.lag_seconds = LAG_SECONDS_NONE;
	make_snapshot(&s, 1001);
	r = emit(&s, st);
	expect_no(&r, "kafka_consumergroup_lag_seconds");
	free(r.text);
	kstate_free(&state);
	reset_options();
}
END_TEST

START_TEST(test_status_over_scrapes_and_forgetting)
{
	reset_options();
	struct ksnapshot s;
	struct kstate state = { 0 }, *st = &state;
	struct run_result r = { 0 };
	/* g1 stays at 40 while a/0's end stays at 100: behind, unmoving, with members. */
	for (int i = 0; i <= 11; i++) {
		free(r.text);
		make_snapshot(&s, 2000 + i);
		r = emit(&s, st);
	}
	expect_line(&r, "kafka_consumergroup_status{consumergroup=\"g1\"} 5"); /* STALL */
	free(r.text);
	make_snapshot(&s, 2012);
	groups[0].members = 0;
	snprintf(groups[0].state, sizeof groups[0].state, "Empty");
	r = emit(&s, st);
	expect_line(&r, "kafka_consumergroup_status{consumergroup=\"g1\"} 4"); /* STOP */
	free(r.text);
	size_t tracks = strmap_count(&st->tracks);
	ck_assert_uint_gt(tracks, 0);
	/* A partial read must not forget the groups it missed. */
	make_snapshot(&s, 2013);
	s.ngroups = 1;
	s.failed = 1;
	r = emit(&s, st);
	free(r.text);
	ck_assert_uint_eq(strmap_count(&st->tracks), tracks);
	/* A complete read without g2 and kip forgets them. */
	make_snapshot(&s, 2014);
	s.ngroups = 1;
	r = emit(&s, st);
	free(r.text);
	ck_assert_uint_lt(strmap_count(&st->tracks), tracks);
	char key[64];
	ck_assert_ptr_null(strmap_get(&st->tracks, partition_key(key, sizeof key, "g2", "a", 2)));
	ck_assert_ptr_nonnull(strmap_get(&st->tracks, partition_key(key, sizeof key, "g1", "a", 0)));
	kstate_free(&state);
}
END_TEST

START_TEST(test_no_metadata_no_families)
{
	reset_options();
	struct ksnapshot s = { 0 };
	struct kstate state = { 0 }, *st = &state;
	/* Nothing to show without metadata (kafka_up is the backend layer's). */
	struct run_result r = emit(&s, st);
	ck_assert_str_eq(r.text, "");
	free(r.text);
	kstate_free(&state);
}
END_TEST

START_TEST(test_snapshot_helpers)
{
	struct ksnapshot s;
	make_snapshot(&s, 1);
	ck_assert_int_eq(snapshot_find_topic(&s, "a"), 0);
	ck_assert_int_eq(snapshot_find_topic(&s, "x"), 2);
	ck_assert_int_eq(snapshot_find_topic(&s, "c"), -1);
	ck_assert_int_eq(snapshot_find_topic(&s, ""), -1);
	struct ksnapshot f = { 0 };
	snapshot_fail(&f, "first %d", 1);
	snapshot_fail(&f, "second");
	ck_assert_uint_eq(f.failed, 2);
	ck_assert_str_eq(f.error, "first 1");
	char key[16];
	ck_assert_ptr_eq(partition_key(key, sizeof key, "g", "t", 12), key);
	ck_assert_str_eq(key, "g\x1ft\x1f" "12");
	ck_assert_ptr_eq(partition_key(key, sizeof key, NULL, "topic", 3), key);
	ck_assert_str_eq(key, "topic\x1f" "3");
	/* Too long for the buffer: NULL, never truncated. */
	ck_assert_ptr_null(partition_key(key, sizeof key, "a-long-group-name", "t", 1));
	ck_assert_ptr_eq(partition_key(key, 8, NULL, "topic", 1), key);
	ck_assert_ptr_null(partition_key(key, 7, NULL, "topic", 1));
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("kafka_emit");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_topic_families);
	tcase_add_test(tc, test_group_series_upstream_rules);
	tcase_add_test(tc, test_group_without_offsets_or_end_offsets);
	tcase_add_test(tc, test_assigned_partitions_only);
	tcase_add_test(tc, test_const_labels_everywhere);
	tcase_add_test(tc, test_lag_seconds_interpolated_over_scrapes);
	tcase_add_test(tc, test_lag_seconds_from_timestamps);
	tcase_add_test(tc, test_status_over_scrapes_and_forgetting);
	tcase_add_test(tc, test_no_metadata_no_families);
	tcase_add_test(tc, test_snapshot_helpers);
	suite_add_tcase(s, tc);
	return s;
}
