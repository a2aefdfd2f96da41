// links: pg_exporter
/*
 * pg_exporter collectors over result sets in the shape each server version
 * returns (PostgreSQL 12 to 17): the query variant chosen per version, the
 * families produced, NULL handling, and broken replies (garbage values,
 * missing columns, failed queries) that must fail the collector cleanly.
 * The test server is PostgreSQL 15; these cover the other versions.
 */
#include "../../common/exporter.h"
#include "pg_replay.h"
#include "unit.h"

extern const struct collector_def collector_stat_bgwriter, collector_stat_checkpointer,
	collector_stat_database, collector_stat_statements, collector_replication_slots,
	collector_stat_wal_receiver, collector_buffercache_summary, collector_settings,
	collector_stat_progress_vacuum, collector_process_idle, collector_database, collector_locks,
	collector_replication, collector_roles, collector_stat_activity, collector_stat_archiver,
	collector_stat_replication, collector_stat_user_tables, collector_statio_user_tables,
	collector_wal, collector_xlog_location, collector_database_wraparound,
	collector_long_running_transactions, collector_postmaster, collector_statio_user_indexes,
	collector_stat_activity_autovacuum;

int pg_setting_metric(const char *name, const char *setting, const char *unit, const char *vartype,
		      char *metric, size_t mlen, char *help, size_t hlen, double *value, char *err,
		      size_t errlen);

#define RUN(def, version, ...)                                                              \
	({                                                                                  \
		static const struct canned answers_[] = { __VA_ARGS__ };                    \
		struct replay rp_ = { answers_, sizeof answers_ / sizeof answers_[0], { { 0 } }, \
				      { { 0 } }, 0 };                                       \
		last_replay = rp_;                                                          \
		run_pg_collector(&(def), (version), &last_replay, NULL);                    \
	})

static struct replay last_replay;

static const char bgwriter16[] =
	"checkpoints_timed\tcheckpoints_req\tcheckpoint_write_time\tcheckpoint_sync_time\t"
	"buffers_checkpoint\tbuffers_clean\tmaxwritten_clean\tbuffers_backend\tbuffers_backend_fsync\t"
	"buffers_alloc\tstats_reset\n"
	"12\t3\t1500.5\t20.25\t400\t50\t1\t70\t0\t9000\t1700000000\n";

START_TEST(test_bgwriter_16)
{
	struct run_result r = RUN(collector_stat_bgwriter, 160004, { "stat_bgwriter", NULL, bgwriter16 });
	ck_assert_int_eq(r.rc, COLLECT_OK);
	ck_assert_ptr_nonnull(strstr(last_replay.sql[0], "checkpoints_timed"));
	ck_assert(has_line(r.text, "pg_stat_bgwriter_checkpoints_timed_total 12"));
	ck_assert(has_line(r.text, "pg_stat_bgwriter_checkpoint_write_time_total 1500.5"));
	ck_assert(has_line(r.text, "pg_stat_bgwriter_buffers_backend_total 70"));
	ck_assert(has_line(r.text, "pg_stat_bgwriter_stats_reset_total 1.7e+09"));
	ck_assert(has_line(r.text, "# TYPE pg_stat_bgwriter_buffers_alloc_total counter"));
	free(r.text);
}
END_TEST

START_TEST(test_bgwriter_17)
{
	struct run_result r = RUN(collector_stat_bgwriter, 170002,
				  { "stat_bgwriter", NULL,
				    "buffers_clean\tmaxwritten_clean\tbuffers_alloc\tstats_reset\n5\t0\t77\t\\N\n" });
	ck_assert_int_eq(r.rc, COLLECT_OK);
	/* PostgreSQL 17 has no checkpoint or backend columns in pg_stat_bgwriter. */
	ck_assert_ptr_null(strstr(last_replay.sql[0], "checkpoints_timed"));
	ck_assert_ptr_null(strstr(last_replay.sql[0], "buffers_backend"));
	ck_assert(has_line(r.text, "pg_stat_bgwriter_buffers_clean_total 5"));
	ck_assert(has_line(r.text, "pg_stat_bgwriter_buffers_alloc_total 77"));
	ck_assert(has_line(r.text, "pg_stat_bgwriter_stats_reset_total 0"));
	ck_assert_int_eq(count_samples(r.text, "pg_stat_bgwriter_checkpoints"), 0);
	free(r.text);
}
END_TEST

START_TEST(test_checkpointer_versions)
{
	struct run_result r = RUN(collector_stat_checkpointer, 170000,
				  { "stat_checkpointer", NULL,
				    "num_timed\tnum_requested\trestartpoints_timed\trestartpoints_req\t"
				    "restartpoints_done\twrite_time\tsync_time\tbuffers_written\tstats_reset\n"
				    "4\t2\t0\t0\t0\t12.5\t3\t880\t1700000001\n" });
	ck_assert_int_eq(r.rc, COLLECT_OK);
	ck_assert_ptr_nonnull(strstr(last_replay.sql[0], "pg_stat_checkpointer"));
	ck_assert(has_line(r.text, "pg_stat_checkpointer_num_timed_total 4"));
	ck_assert(has_line(r.text, "pg_stat_checkpointer_write_time_total 12.5"));
	ck_assert(has_line(r.text, "pg_stat_checkpointer_buffers_written_total 880"));
	free(r.text);
	/* Before 17: nothing asked, nothing reported, not a failure (as upstream). */
	r = RUN(collector_stat_checkpointer, 150004, { "x", NULL, NULL });
	ck_assert_int_eq(r.rc, COLLECT_OK);
	ck_assert_int_eq(last_replay.nasked, 0);
	ck_assert_int_eq(count_samples(r.text, "pg_stat_checkpointer"), 0);
	free(r.text);
}
END_TEST

#define STATDB_HEAD                                                                        \
	"datid\tdatname\tnumbackends\txact_commit\txact_rollback\tblks_read\tblks_hit\t"    \
	"tup_returned\ttup_fetched\ttup_inserted\ttup_updated\ttup_deleted\tconflicts\t"    \
	"temp_files\ttemp_bytes\tdeadlocks\tblk_read_time\tblk_write_time\tstats_reset"

START_TEST(test_stat_database_13)
{
	struct run_result r = RUN(
		collector_stat_database, 130011,
		{ "stat_database", NULL,
		  STATDB_HEAD "\n"
			      "0\t\\N\t0\t0\t0\t5\t50\t0\t0\t0\t0\t0\t0\t0\t0\t0\t0\t0\t\\N\n"
			      "5\tpostgres\t3\t100\t2\t40\t900\t1000\t800\t10\t5\t1\t0\t0\t0\t0\t1.5\t0\t\\N\n"
			      "1\ttemplate1\t0\t\\N\t0\t0\t0\t0\t0\t0\t0\t0\t0\t0\t0\t0\t0\t0\t1700000000\n" });
	ck_assert_int_eq(r.rc, COLLECT_OK);
	ck_assert_ptr_null(strstr(last_replay.sql[0], "active_time"));
	ck_assert(has_line(r.text, "pg_stat_database_numbackends{datid=\"5\",datname=\"postgres\"} 3"));
	ck_assert(has_line(r.text, "pg_stat_database_xact_commit{datid=\"5\",datname=\"postgres\"} 100"));
	ck_assert(has_line(r.text, "pg_stat_database_blk_read_time{datid=\"5\",datname=\"postgres\"} 1.5"));
	/* stats_reset NULL: 0; shared row (NULL datname) and a row with a NULL counter: skipped. */
	ck_assert(has_line(r.text, "pg_stat_database_stats_reset{datid=\"5\",datname=\"postgres\"} 0"));
	ck_assert_int_eq(count_samples(r.text, "pg_stat_database_numbackends"), 1);
	ck_assert_int_eq(count_samples(r.text, "pg_stat_database_active_time"), 0);
	free(r.text);
}
END_TEST

START_TEST(test_stat_database_14)
{
	struct run_result r = RUN(
		collector_stat_database, 140000,
		{ "stat_database", NULL,
		  STATDB_HEAD "\tactive_time\n"
			      "5\tpostgres\t3\t100\t2\t40\t900\t1000\t800\t10\t5\t1\t0\t0\t0\t0\t1.5\t0\t1700000000\t2500\n" });
	ck_assert_int_eq(r.rc, COLLECT_OK);
	ck_assert_ptr_nonnull(strstr(last_replay.sql[0], "active_time"));
	ck_assert(has_line(r.text, "pg_stat_database_active_time_seconds_total{datid=\"5\",datname=\"postgres\"} 2.5"));
	ck_assert(has_line(r.text, "pg_stat_database_stats_reset{datid=\"5\",datname=\"postgres\"} 1.7e+09"));
	free(r.text);
}
END_TEST

static const char statements_rows[] =
	"user\tdatname\tqueryid\tcalls\tseconds_total\trows\tread\twrite\n"
	"app\tshop\t-42\t10\t1.25\t100\t0.5\t0\n"
	"app\tshop\t-42\t11\t9\t9\t9\t9\n"
	"\\N\tshop\t7\t1\t0.25\t\\N\t0\t0\n";

START_TEST(test_stat_statements_versions)
{
	struct run_result r = RUN(collector_stat_statements, 120017,
				  { "stat_statements", NULL, statements_rows });
	ck_assert_int_eq(r.rc, COLLECT_OK);
	ck_assert_ptr_nonnull(strstr(last_replay.sql[0], "total_time"));
	ck_assert_ptr_null(strstr(last_replay.sql[0], "total_exec_time"));
	ck_assert_ptr_null(strstr(last_replay.sql[0], "pg_stat_statements("));
	ck_assert_ptr_nonnull(strstr(last_replay.sql[0], "LIMIT 100"));
	ck_assert(has_line(r.text, "pg_stat_statements_calls_total{datname=\"shop\",queryid=\"-42\",user=\"app\"} 10"));
	ck_assert(has_line(r.text, "pg_stat_statements_seconds_total{datname=\"shop\",queryid=\"-42\",user=\"app\"} 1.25"));
	ck_assert(has_line(r.text, "pg_stat_statements_rows_total{datname=\"shop\",queryid=\"7\",user=\"unknown\"} 0"));
	/* The duplicate row of (app, shop, -42) is dropped, the first kept. */
	ck_assert_int_eq(count_samples(r.text, "pg_stat_statements_calls_total"), 2);
	free(r.text);

	r = RUN(collector_stat_statements, 130000, { "stat_statements", NULL, statements_rows });
	ck_assert_int_eq(r.rc, COLLECT_OK);
	ck_assert_ptr_nonnull(strstr(last_replay.sql[0], "total_exec_time"));
	ck_assert_ptr_nonnull(strstr(last_replay.sql[0], "pg_stat_statements(false)"));
	ck_assert_ptr_nonnull(strstr(last_replay.sql[0], "blk_read_time"));
	ck_assert_ptr_null(strstr(last_replay.sql[0], "shared_blk_read_time"));
	free(r.text);

	r = RUN(collector_stat_statements, 170000, { "stat_statements", NULL, statements_rows });
	ck_assert_int_eq(r.rc, COLLECT_OK);
	ck_assert_ptr_nonnull(strstr(last_replay.sql[0], "shared_blk_read_time"));
	ck_assert_ptr_nonnull(strstr(last_replay.sql[0], "shared_blk_write_time"));
	ck_assert(has_line(r.text, "pg_stat_statements_block_read_seconds_total{datname=\"shop\",queryid=\"-42\",user=\"app\"} 0.5"));
	free(r.text);
}
END_TEST

START_TEST(test_stat_statements_options)
{
	static const struct canned answers[] = {
		{ "stat_statements", NULL,
		  "user\tdatname\tqueryid\tquery\tcalls\tseconds_total\trows\tread\twrite\n"
		  "app\tshop\t1\tSELECT 1\t3\t1\t1\t0\t0\n"
		  "bob\tshop\t1\tSELECT 1\t3\t1\t1\t0\t0\n" },
	};
	struct replay rp = { answers, 1, { { 0 } }, { { 0 } }, 0 };
	struct run_result r = run_pg_collector(
		&collector_stat_statements, 150000, &rp,
		(const char *const[]){ "--collector.stat_statements.include_query",
				       "--collector.stat_statements.limit=7",
				       "--collector.stat_statements.query_length=30",
				       "--collector.stat_statements.exclude_databases=a'b, c",
				       "--collector.stat_statements.exclude_users=rdsadmin", NULL });
	ck_assert_int_eq(r.rc, COLLECT_OK);
	ck_assert_ptr_nonnull(strstr(rp.sql[0], "LIMIT 7"));
	ck_assert_ptr_nonnull(strstr(rp.sql[0], "LEFT(pg_stat_statements.query, 30)"));
	ck_assert_ptr_nonnull(strstr(rp.sql[0], "pg_stat_statements(true)"));
	ck_assert_ptr_nonnull(strstr(rp.sql[0], "pg_database.datname NOT IN ('a''b', 'c')"));
	ck_assert_ptr_nonnull(strstr(rp.sql[0], "pg_get_userbyid(userid) NOT IN ('rdsadmin')"));
	/* One query_id series per queryid even when two users ran it. */
	ck_assert(has_line(r.text, "pg_stat_statements_query_id{query=\"SELECT 1\",queryid=\"1\"} 1"));
	ck_assert_int_eq(count_samples(r.text, "pg_stat_statements_query_id"), 1);
	ck_assert_int_eq(count_samples(r.text, "pg_stat_statements_calls_total"), 2);
	free(r.text);
}
END_TEST

static const char slots_head[] =
	"slot_name\tdatabase\tactive\tdiff\tslot_type\tcurrent\tflush";

START_TEST(test_replication_slots_versions)
{
	static char t12[512], t13[512];
	snprintf(t12, sizeof t12, "%s\nphys\t\\N\tt\t1024\tphysical\t5000\t0\nlog\tdb\tf\t\\N\tlogical\t5000\t4000\n",
		 slots_head);
	snprintf(t13, sizeof t13,
		 "%s\tsafe_wal_size\twal_status\nlog\tdb\tt\t64\tlogical\t5000\t4000\t1048576\treserved\n"
		 "\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\n",
		 slots_head);
	struct canned a12[] = { { "replication_slots", NULL, t12 } };
	struct replay rp = { a12, 1, { { 0 } }, { { 0 } }, 0 };
	struct run_result r = run_pg_collector(&collector_replication_slots, 120000, &rp, NULL);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	ck_assert_ptr_null(strstr(rp.sql[0], "safe_wal_size"));
	ck_assert(has_line(r.text, "pg_replication_slots_active{database=\"\",slot_name=\"phys\"} 1"));
	ck_assert(has_line(r.text, "pg_replication_slots_pg_wal_lsn_diff{database=\"\",slot_name=\"phys\"} 1024"));
	ck_assert(has_line(r.text, "pg_replication_slots_active{database=\"db\",slot_name=\"log\"} 0"));
	ck_assert(has_line(r.text, "pg_replication_slots_slot_is_active{slot_name=\"log\",slot_type=\"logical\"} 0"));
	/* confirmed_flush_lsn only for active slots. */
	ck_assert(has_line(r.text, "pg_replication_slots_slot_confirmed_flush_lsn{slot_name=\"phys\",slot_type=\"physical\"} 0"));
	ck_assert_int_eq(count_samples(r.text, "pg_replication_slots_slot_confirmed_flush_lsn"), 1);
	ck_assert_int_eq(count_samples(r.text, "pg_replication_slots_pg_wal_lsn_diff"), 1);
	ck_assert_int_eq(count_samples(r.text, "pg_replication_slots_wal_status"), 0);
	free(r.text);

	struct canned a13[] = { { "replication_slots", NULL, t13 } };
	struct replay rp13 = { a13, 1, { { 0 } }, { { 0 } }, 0 };
	r = run_pg_collector(&collector_replication_slots, 130000, &rp13, NULL);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	ck_assert_ptr_nonnull(strstr(rp13.sql[0], "wal_status"));
	ck_assert(has_line(r.text, "pg_replication_slots_safe_wal_size_bytes{slot_name=\"log\",slot_type=\"logical\"} 1.048576e+06"));
	ck_assert(has_line(r.text, "pg_replication_slots_wal_status{slot_name=\"log\",slot_type=\"logical\",wal_status=\"reserved\"} 1"));
	ck_assert(has_line(r.text, "pg_replication_slots_slot_confirmed_flush_lsn{slot_name=\"log\",slot_type=\"logical\"} 4000"));
	/* An all-NULL row: labels fall back, values are left out. */
	ck_assert_int_eq(count_samples(r.text, "pg_replication_slots_active"), 1);
	free(r.text);
}
END_TEST

static const char walrcv12[] =
	"host\tslot\tstatus\trs_lsn\tflushed\trs_tli\tr_tli\tsend\treceipt\tle_lsn\tle_time\tnode\n"
	"primary\trepmgr_slot_2\tstreaming\t1000\t\\N\t1\t1\t1700000000.5\t1700000000.75\t2000\t1700000001\t2\n"
	"\\N\ts\tstreaming\t1\t\\N\t1\t1\t1\t1\t1\t1\t\\N\n";

START_TEST(test_wal_receiver_versions)
{
	struct run_result r = RUN(collector_stat_wal_receiver, 120000, { "stat_wal_receiver", NULL, walrcv12 });
	ck_assert_int_eq(r.rc, COLLECT_OK);
	ck_assert_ptr_null(strstr(last_replay.sql[0], "flushed_lsn"));
	const char *l = "{slot_name=\"repmgr_slot_2\",status=\"streaming\",upstream_host=\"primary\"}";
	char line[256];
	snprintf(line, sizeof line, "pg_stat_wal_receiver_receive_start_lsn%s 1000", l);
	ck_assert(has_line(r.text, line));
	snprintf(line, sizeof line, "pg_stat_wal_receiver_last_msg_send_time%s 1.7000000005e+09", l);
	ck_assert(has_line(r.text, line));
	snprintf(line, sizeof line, "pg_stat_wal_receiver_upstream_node%s 2", l);
	ck_assert(has_line(r.text, line));
	ck_assert_int_eq(count_samples(r.text, "pg_stat_wal_receiver_flushed_lsn"), 0);
	/* The row with a NULL upstream host is skipped entirely. */
	ck_assert_int_eq(count_samples(r.text, "pg_stat_wal_receiver_receive_start_lsn"), 1);
	free(r.text);

	r = RUN(collector_stat_wal_receiver, 130000,
		{ "stat_wal_receiver", NULL,
		  "host\tslot\tstatus\trs_lsn\tflushed\trs_tli\tr_tli\tsend\treceipt\tle_lsn\tle_time\tnode\n"
		  "primary\ts1\tstreaming\t1000\t1500\t1\t1\t1\t1\t2000\t1\t\\N\n" });
	ck_assert_int_eq(r.rc, COLLECT_OK);
	ck_assert_ptr_nonnull(strstr(last_replay.sql[0], "flushed_lsn"));
	ck_assert(has_line(r.text, "pg_stat_wal_receiver_flushed_lsn{slot_name=\"s1\",status=\"streaming\",upstream_host=\"primary\"} 1500"));
	ck_assert_int_eq(count_samples(r.text, "pg_stat_wal_receiver_upstream_node"), 0);
	free(r.text);
}
END_TEST

START_TEST(test_buffercache_versions)
{
	struct run_result r = RUN(collector_buffercache_summary, 160000,
				  { "buffercache_summary", NULL,
				    "used\tunused\tdirty\tpinned\tavg\n100\t1948\t3\t0\t2.5\n" });
	ck_assert_int_eq(r.rc, COLLECT_OK);
	ck_assert(has_line(r.text, "pg_buffercache_summary_buffers_used 100"));
	ck_assert(has_line(r.text, "pg_buffercache_summary_usagecount_avg 2.5"));
	free(r.text);
	r = RUN(collector_buffercache_summary, 150000, { "x", NULL, NULL });
	ck_assert_int_eq(r.rc, COLLECT_OK);
	ck_assert_int_eq(last_replay.nasked, 0);
	free(r.text);
}
END_TEST

START_TEST(test_xlog_location_versions)
{
	struct run_result r = RUN(collector_xlog_location, 90600, { "xlog_location", NULL, "bytes\n123456\n" });
	ck_assert_int_eq(r.rc, COLLECT_OK);
	ck_assert(has_line(r.text, "pg_xlog_location_bytes 123456"));
	free(r.text);
	r = RUN(collector_xlog_location, 120000, { "x", NULL, NULL });
	ck_assert_int_eq(r.rc, COLLECT_OK);
	ck_assert_int_eq(last_replay.nasked, 0);
	free(r.text);
}
END_TEST

START_TEST(test_settings_units)
{
	static const struct {
		const char *name, *setting, *unit, *vartype;
		const char *metric;
		double value;
	} cases[] = {
		{ "max_connections", "100", "", "integer", "pg_settings_max_connections", 100 },
		{ "fsync", "on", "", "bool", "pg_settings_fsync", 1 },
		{ "jit", "off", "", "bool", "pg_settings_jit", 0 },
		{ "shared_buffers", "16384", "8kB", "integer", "pg_settings_shared_buffers_bytes", 134217728 },
		{ "work_mem", "4096", "kB", "integer", "pg_settings_work_mem_bytes", 4194304 },
		{ "statement_timeout", "200", "ms", "integer", "pg_settings_statement_timeout_seconds", 0.2 },
		{ "checkpoint_timeout", "5", "min", "integer", "pg_settings_checkpoint_timeout_seconds", 300 },
		{ "log_rotation_age", "1", "d", "integer", "pg_settings_log_rotation_age_seconds", 86400 },
		{ "autovacuum_work_mem", "-1", "kB", "integer", "pg_settings_autovacuum_work_mem_bytes", -1 },
		{ "wal_segment_size", "1", "16MB", "integer", "pg_settings_wal_segment_size_bytes", 16777216 },
		{ "seq_page_cost", "1.5", "", "real", "pg_settings_seq_page_cost", 1.5 },
		{ "pg_stat_statements.max", "5000", "", "integer", "pg_settings_pg_stat_statements_max", 5000 },
		{ "some-ext.knob", "3", "", "integer", "pg_settings_some_ext_knob", 3 },
		/* upstream strips a unit suffix with the character before it */
		{ "aurora_thing", "100 ms", "ms", "integer", "pg_settings_aurora_thing_seconds", 0.1 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char metric[256], help[256], err[256];
		double v = 0;
		ck_assert_msg(pg_setting_metric(cases[i].name, cases[i].setting, cases[i].unit, cases[i].vartype,
						metric, sizeof metric, help, sizeof help, &v, err, sizeof err) == 0,
			      "%s: %s", cases[i].name, err);
		ck_assert_str_eq(metric, cases[i].metric);
		ck_assert_msg(v == cases[i].value, "%s: %g != %g", cases[i].name, v, cases[i].value);
	}
	static const struct {
		const char *setting, *unit, *vartype;
	} bad[] = {
		{ "12", "furlongs", "integer" }, { "abc", "", "integer" }, { "1", "", "string" },
		{ "", "", "real" }, { "s", "s", "integer" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char metric[256], help[256], err[256] = "";
		double v;
		ck_assert_int_eq(pg_setting_metric("x", bad[i].setting, bad[i].unit, bad[i].vartype, metric,
						   sizeof metric, help, sizeof help, &v, err, sizeof err),
				 -1);
		ck_assert_str_ne(err, "");
	}
}
END_TEST

START_TEST(test_settings_collector_skips_bad_rows)
{
	struct run_result r = RUN(collector_settings, 150000, { "settings_key", NULL, "key\n2024-01-01 f\n" },
				  { "settings", NULL,
				    "name\tsetting\tunit\tvartype\nmax_connections\t30\t\tinteger\n"
				    "weird\t1\tparsecs\tinteger\nshared_buffers\t2048\t8kB\tinteger\n" });
	ck_assert_int_eq(r.rc, COLLECT_OK);
	ck_assert(has_line(r.text, "pg_settings_max_connections 30"));
	ck_assert(has_line(r.text, "pg_settings_shared_buffers_bytes 1.6777216e+07"));
	ck_assert_int_eq(count_samples(r.text, "pg_settings_weird"), 0);
	free(r.text);
}
END_TEST

START_TEST(test_progress_vacuum)
{
	struct run_result r = RUN(collector_stat_progress_vacuum, 150000,
				  { "stat_progress_vacuum", NULL,
				    "datname\trelname\tp1\tp2\tp3\tp4\tp5\tp6\tp7\n"
				    "shop\torders\t2\t1000\t400\t0\t1\t291\t17\n"
				    "\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\n" });
	ck_assert_int_eq(r.rc, COLLECT_OK);
	ck_assert(has_line(r.text, "pg_stat_progress_vacuum_phase{datname=\"shop\",phase=\"vacuuming indexes\",relname=\"orders\"} 1"));
	ck_assert(has_line(r.text, "pg_stat_progress_vacuum_phase{datname=\"shop\",phase=\"scanning heap\",relname=\"orders\"} 0"));
	ck_assert(has_line(r.text, "pg_stat_progress_vacuum_heap_blks_scanned{datname=\"shop\",relname=\"orders\"} 400"));
	ck_assert(has_line(r.text, "pg_stat_progress_vacuum_num_dead_tuples{datname=\"shop\",relname=\"orders\"} 17"));
	/* NULL phase: every phase 0; NULL names: "unknown". */
	ck_assert(has_line(r.text, "pg_stat_progress_vacuum_phase{datname=\"unknown\",phase=\"initializing\",relname=\"unknown\"} 0"));
	ck_assert_int_eq(count_samples(r.text, "pg_stat_progress_vacuum_phase"), 14);
	free(r.text);
}
END_TEST

START_TEST(test_process_idle_histogram)
{
	struct run_result r = RUN(collector_process_idle, 150000,
				  { "process_idle", NULL,
				    "state\tapp\tsum\tcount\tb1\tb2\tb5\tb15\tb30\tb60\tb90\tb120\tb300\n"
				    "idle\tpsql\t400\t3\t0\t1\t1\t1\t2\t2\t2\t2\t2\n"
				    "idle in transaction\t\\N\t1\t1\t1\t1\t1\t1\t1\t1\t1\t1\t1\n" });
	ck_assert_int_eq(r.rc, COLLECT_OK);
	ck_assert(has_line(r.text, "# TYPE pg_process_idle_seconds histogram"));
	ck_assert(has_line(r.text, "pg_process_idle_seconds_bucket{application_name=\"psql\",state=\"idle\",le=\"2\"} 1"));
	ck_assert(has_line(r.text, "pg_process_idle_seconds_bucket{application_name=\"psql\",state=\"idle\",le=\"+Inf\"} 3"));
	ck_assert(has_line(r.text, "pg_process_idle_seconds_sum{application_name=\"psql\",state=\"idle\"} 400"));
	/* Every group, not only the first (upstream's QueryRow bug). */
	ck_assert(has_line(r.text, "pg_process_idle_seconds_count{application_name=\"unknown\",state=\"idle in transaction\"} 1"));
	free(r.text);
}
END_TEST

START_TEST(test_stat_replication_versions)
{
	struct run_result r = RUN(collector_stat_replication, 120000,
				  { "stat_replication", NULL,
				    "app\taddr\tstate\tslot\tcur\tdiff\nwalreceiver\t10.0.0.2\tstreaming\ts1\t5000\t128\n" });
	ck_assert_int_eq(r.rc, COLLECT_OK);
	ck_assert_ptr_nonnull(strstr(last_replay.sql[0], "pg_current_wal_lsn"));
	ck_assert(has_line(r.text, "pg_stat_replication_pg_wal_lsn_diff{application_name=\"walreceiver\",client_addr=\"10.0.0.2\",slot_name=\"s1\",state=\"streaming\"} 128"));
	ck_assert(has_line(r.text, "pg_stat_replication_pg_current_wal_lsn_bytes{application_name=\"walreceiver\",client_addr=\"10.0.0.2\",slot_name=\"s1\",state=\"streaming\"} 5000"));
	free(r.text);
}
END_TEST

/* Replies a collector must refuse: a non-number where a number belongs, too few columns, a failed query. */
static const struct {
	const struct collector_def *def;
	const char *name;
	const char *table;
} broken[] = {
	{ &collector_database, "database", "datname\tlimit\tsize\npostgres\t-1\tbig\n" },
	{ &collector_database, "database", "datname\tlimit\npostgres\t-1\n" },
	{ &collector_locks, "locks", "datname\tmode\tcount\npostgres\tsharelock\t1e\n" },
	{ &collector_replication, "replication", "lag\tis_replica\tlast\n0\tx\t0\n" },
	{ &collector_replication, "replication", "lag\tis_replica\tlast\n" },
	{ &collector_roles, "roles", "rolname\tlimit\nbob\tten\n" },
	{ &collector_stat_activity, "stat_activity", "a\tb\tc\n1\t2\t3\n" },
	{ &collector_stat_archiver, "stat_archiver", "a\tf\tage\n1\t2\tyesterday\n" },
	{ &collector_stat_bgwriter, "stat_bgwriter", "only\n1\n" },
	{ &collector_stat_database, "stat_database", STATDB_HEAD "\tactive_time\n5\tpg\t1\t2\t3\t4\t5\t6\t7\t8\t9\t10\t11\t12\t13\t14\t15\t16\t17\tlong\n" },
	{ &collector_stat_user_tables, "stat_user_tables", "datname\tschemaname\trelname\tseq_scan\npg\tpublic\tt\t1\n" },
	{ &collector_statio_user_tables, "statio_user_tables", "d\ts\tr\th\th\ti\ti\tt\tt\tx\tx\npg\tpublic\tt\t1\t2\t3\t4\t5\t6\t7\t0x8\n" },
	{ &collector_wal, "wal", "segments\tsize\nmany\t1\n" },
	{ &collector_stat_progress_vacuum, "stat_progress_vacuum", "d\tr\tp1\npg\tt\t1\n" },
	{ &collector_replication_slots, "replication_slots", "slot_name\tdatabase\tactive\tdiff\tslot_type\tcurrent\tflush\tsafe\tstatus\ns\t\\N\tmaybe\t1\tphysical\t1\t1\t1\treserved\n" },
	{ &collector_stat_replication, "stat_replication", "a\tb\tc\td\te\tf\nx\ty\tz\tw\t1\tNaNa\n" },
	{ &collector_settings, "settings_key", "a\tb\n1\t2\n" },
	{ &collector_database_wraparound, "database_wraparound", "d\tx\tm\npg\told\t1\n" },
	{ &collector_long_running_transactions, "long_running_transactions", "n\tage\n-\t1\n" },
	{ &collector_postmaster, "postmaster", "t\nnever\n" },
	{ &collector_statio_user_indexes, "statio_user_indexes", "s\tr\ti\tread\thit\npublic\tt\ti\t1\t\x01\n" },
	{ &collector_stat_activity_autovacuum, "stat_activity_autovacuum", "relname\tts\nt\tnow\n" },
	{ &collector_process_idle, "process_idle", "s\ta\tsum\tcount\nidle\tx\t1\t1\n" },
	{ &collector_stat_wal_receiver, "stat_wal_receiver", "h\ts\tst\tlsn\tf\trt\tt\tsend\trec\tle\tlet\tnode\nh\ts\tstreaming\t1\t1\t1\t1\t1\t1\t1\t1\trepmgr\n" },
	{ &collector_stat_statements, "stat_statements", "u\td\tq\tcalls\tsec\trows\tr\tw\nu\td\t1\t1\tslow\t1\t1\t1\n" },
	/* A failed query (table NULL). */
	{ &collector_stat_database, "stat_database", NULL },
	{ &collector_settings, "settings_key", NULL },
	{ &collector_stat_user_tables, "stat_user_tables", NULL },
};

START_TEST(test_broken_replies)
{
	struct canned answers[] = { { broken[_i].name, NULL, broken[_i].table } };
	struct replay rp = { answers, 1, { { 0 } }, { { 0 } }, 0 };
	struct run_result r = run_pg_collector(broken[_i].def, 150000, &rp, NULL);
	ck_assert_msg(r.rc == COLLECT_ERROR, "%s #%d: rc %d", broken[_i].name, _i, r.rc);
	ck_assert_str_ne(r.err, "");
	free(r.text);
}
END_TEST

START_TEST(test_settings_reply_too_short)
{
	struct run_result r = RUN(collector_settings, 150000, { "settings_key", NULL, "k\n1 f\n" },
				  { "settings", NULL, "name\tsetting\nmax_connections\t1\n" });
	ck_assert_int_eq(r.rc, COLLECT_ERROR);
	ck_assert_ptr_nonnull(strstr(r.err, "columns"));
	ck_assert_int_eq(count_samples(r.text, "pg_settings_"), 0);
	free(r.text);
}
END_TEST

/* Every collector: a server that answers nothing fails it cleanly (or, when the
 * server version rules the query out, it asks nothing and succeeds). */
START_TEST(test_every_collector_without_answers)
{
	for (size_t i = 0; i < exporter_ncollectors; i++) {
		const struct collector_def *def = exporter_collectors[i];
		struct replay rp = { NULL, 0, { { 0 } }, { { 0 } }, 0 };
		struct run_result r = run_pg_collector(def, 150000, &rp, NULL);
		if (rp.nasked == 0) {
			ck_assert_msg(r.rc == COLLECT_OK, "%s: rc %d without a query", def->name, r.rc);
			ck_assert_msg(count_samples(r.text, "pg_") == 0, "%s: samples without a query", def->name);
		} else {
			ck_assert_msg(r.rc == COLLECT_ERROR, "%s: rc %d", def->name, r.rc);
			ck_assert_msg(strstr(r.err, "no recorded result") != NULL, "%s: %s", def->name, r.err);
		}
		free(r.text);
	}
	ck_assert_uint_eq(exporter_ncollectors, 26);
}
END_TEST

START_TEST(test_per_database_tables)
{
	static const struct canned answers[] = {
		{ "stat_user_tables", NULL,
		  "datname\tschemaname\trelname\tseq_scan\tseq_tup_read\tidx_scan\tidx_tup_fetch\tn_tup_ins\t"
		  "n_tup_upd\tn_tup_del\tn_tup_hot_upd\tn_live_tup\tn_dead_tup\tn_mod\tlv\tlav\tla\tlaa\tvc\tavc\tac\taac\tis\tts\n"
		  "postgres\tpublic\torders\t3\t30\t\\N\t\\N\t5\t0\t0\t0\t5\t0\t5\t0\t1700000000\t0\t0\t0\t1\t0\t0\t\\N\t8192\n" },
	};
	struct replay rp = { answers, 1, { { 0 } }, { { 0 } }, 0 };
	struct run_result r = run_pg_collector(&collector_stat_user_tables, 150000, &rp, NULL);
	ck_assert_int_eq(r.rc, COLLECT_OK);
	const char *l = "{datname=\"postgres\",relname=\"orders\",schemaname=\"public\"}";
	char line[256];
	snprintf(line, sizeof line, "pg_stat_user_tables_seq_scan%s 3", l);
	ck_assert(has_line(r.text, line));
	/* idx_scan NULL (no index): 0, as upstream. */
	snprintf(line, sizeof line, "pg_stat_user_tables_idx_scan%s 0", l);
	ck_assert(has_line(r.text, line));
	snprintf(line, sizeof line, "pg_stat_user_tables_last_autovacuum%s 1.7e+09", l);
	ck_assert(has_line(r.text, line));
	snprintf(line, sizeof line, "pg_stat_user_tables_table_size_bytes%s 8192", l);
	ck_assert(has_line(r.text, line));
	/* NULL size: the table was locked, the series is left out. */
	ck_assert_int_eq(count_samples(r.text, "pg_stat_user_tables_index_size_bytes"), 0);
	free(r.text);
}
END_TEST

START_TEST(test_short_version)
{
	char out[64];
	ck_assert_int_eq(pg_short_version("PostgreSQL 15.18 (Debian 15.18-0+deb12u1) on x86_64", out, sizeof out), 0);
	ck_assert_str_eq(out, "15.18.0");
	ck_assert_int_eq(pg_short_version("PostgreSQL 17beta1 on x86_64", out, sizeof out), 0);
	ck_assert_str_eq(out, "17.0.0");
	ck_assert_int_eq(pg_short_version("PostgreSQL 9.6.24 on x86_64", out, sizeof out), 0);
	ck_assert_str_eq(out, "9.6.24");
	ck_assert_int_eq(pg_short_version("EnterpriseDB 12.1.2.3", out, sizeof out), 0);
	ck_assert_str_eq(out, "12.1.2");
	ck_assert_int_eq(pg_short_version("nonsense", out, sizeof out), -1);
	ck_assert_int_eq(pg_short_version("", out, sizeof out), -1);
	ck_assert_int_eq(pg_short_version("PostgreSQL x.y", out, sizeof out), -1);
}
END_TEST

/* The legacy conflicts map exports columns newer servers add (16's confl_active_logicalslot). */
START_TEST(test_legacy_conflicts)
{
	static const struct canned answers[] = {
		{ "legacy_conflicts", NULL,
		  "datid\tdatname\tconfl_tablespace\tconfl_lock\tconfl_snapshot\tconfl_bufferpin\tconfl_deadlock\tconfl_active_logicalslot\n"
		  "5\tpostgres\t0\t1\t2\t3\t4\t5\n" },
	};
	struct replay rp = { answers, 1, { { 0 } }, { { 0 } }, 0 };
	struct pgtarget t = { 0 };
	char err[256];
	ck_assert_int_eq(pgdsn_parse(&t.dsn, "host=db.example port=6432 password=hunter2", err, sizeof err), 0);
	ck_assert_str_eq(t.dsn.fingerprint, "db.example:6432");
	struct pgscrape ps = { .t = &t, .version = 160000, .replay = replay_answer, .replay_ctx = &rp };
	struct expo *e = expo_new(1 << 20);
	ck_assert_int_eq(pg_legacy_collect(&ps, NULL, t.dsn.fingerprint, e, err, sizeof err), 0);
	struct buf b;
	buf_init(&b, 1 << 20);
	ck_assert_int_eq(expo_render(e, EXPO_TEXT, &b), 0);
	ck_assert(has_line(b.data, "pg_stat_database_conflicts_confl_lock{datid=\"5\",datname=\"postgres\",server=\"db.example:6432\"} 1"));
	ck_assert(has_line(b.data, "# TYPE pg_stat_database_conflicts_confl_deadlock counter"));
	ck_assert(has_line(b.data, "# TYPE pg_stat_database_conflicts_confl_active_logicalslot untyped"));
	ck_assert(has_line(b.data, "pg_stat_database_conflicts_confl_active_logicalslot{datid=\"5\",datname=\"postgres\",server=\"db.example:6432\"} 5"));
	ck_assert_ptr_null(strstr(b.data, "hunter2"));
	buf_free(&b);
	expo_free(e);
	pgdsn_free(&t.dsn);
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("pg_collectors");
	TCase *tc = tcase_create("versions");
	tcase_add_test(tc, test_bgwriter_16);
	tcase_add_test(tc, test_bgwriter_17);
	tcase_add_test(tc, test_checkpointer_versions);
	tcase_add_test(tc, test_stat_database_13);
	tcase_add_test(tc, test_stat_database_14);
	tcase_add_test(tc, test_stat_statements_versions);
	tcase_add_test(tc, test_stat_statements_options);
	tcase_add_test(tc, test_replication_slots_versions);
	tcase_add_test(tc, test_wal_receiver_versions);
	tcase_add_test(tc, test_buffercache_versions);
	tcase_add_test(tc, test_xlog_location_versions);
	tcase_add_test(tc, test_stat_replication_versions);
	suite_add_tcase(s, tc);
	tc = tcase_create("shapes");
	tcase_add_test(tc, test_settings_units);
	tcase_add_test(tc, test_settings_collector_skips_bad_rows);
	tcase_add_test(tc, test_progress_vacuum);
	tcase_add_test(tc, test_process_idle_histogram);
	tcase_add_test(tc, test_per_database_tables);
	tcase_add_test(tc, test_short_version);
	tcase_add_test(tc, test_legacy_conflicts);
	tcase_add_test(tc, test_settings_reply_too_short);
	tcase_add_test(tc, test_every_collector_without_answers);
	tcase_add_loop_test(tc, test_broken_replies, 0, (int)(sizeof broken / sizeof broken[0]));
	suite_add_tcase(s, tc);
	return s;
}
