// links: kafka_exporter
/*
 * kafka_exporter's decisions about lag: upstream's -1 and negative-lag rules,
 * the Burrow-style status over a window, the age of a record by
 * interpolating past end offsets, and by its timestamp.
 */
#include <check.h>
#include <math.h>

#include "../../kafka_exporter/lag.h"
#include "unit.h"

START_TEST(test_upstream_offset_and_lag_rules)
{
	ck_assert_int_eq(lag_committed_value(-1001), -1); /* librdkafka's "no offset" */
	ck_assert_int_eq(lag_committed_value(-1), -1);
	ck_assert_int_eq(lag_committed_value(0), 0);
	ck_assert_int_eq(lag_committed_value(42), 42);

	int64_t lag = 7;
	ck_assert(!lag_value(10, false, 0, &lag)); /* end offset unknown: no lag series */
	ck_assert_int_eq(lag, 7);
	ck_assert(lag_value(-1, true, 50, &lag));
	ck_assert_int_eq(lag, -1);
	ck_assert(lag_value(10, true, 50, &lag));
	ck_assert_int_eq(lag, 40);
	ck_assert(lag_value(50, true, 50, &lag));
	ck_assert_int_eq(lag, 0);
	/* A committed offset ahead of the high watermark: negative, as upstream. */
	ck_assert(lag_value(58, true, 50, &lag));
	ck_assert_int_eq(lag, -8);

	ck_assert(lag_in_sum(0, true));
	ck_assert(!lag_in_sum(-1, true));
	ck_assert(!lag_in_sum(5, false));
}
END_TEST

/* Observe the same committed offset and lag every second from t0 to t1. */
static void steady(struct lag_track *t, double t0, double t1, int64_t committed, int64_t lag)
{
	for (double now = t0; now <= t1; now += 1)
		lag_track_observe(t, now, committed, lag);
}

START_TEST(test_status_stop_and_stall)
{
	struct lag_track t = { 0 };
	steady(&t, 1000, 1009, 5, 20);
	/* Observed for 9 s of a 10 s window: too early to judge. */
	ck_assert_int_eq(lag_track_status(&t, 1009, 10, false), STATUS_OK);
	steady(&t, 1010, 1012, 5, 20);
	ck_assert_int_eq(lag_track_status(&t, 1012, 10, false), STATUS_STOP);
	ck_assert_int_eq(lag_track_status(&t, 1012, 10, true), STATUS_STALL);
	/* Caught up: OK at once, whatever came before. */
	lag_track_observe(&t, 1013, 25, 0);
	ck_assert_int_eq(lag_track_status(&t, 1013, 10, false), STATUS_OK);
	/* Behind again: OK until behind for a whole window. */
	steady(&t, 1014, 1020, 25, 3);
	ck_assert_int_eq(lag_track_status(&t, 1020, 10, false), STATUS_OK);
	steady(&t, 1021, 1024, 25, 3);
	ck_assert_int_eq(lag_track_status(&t, 1024, 10, false), STATUS_STOP);
}
END_TEST

START_TEST(test_status_warn_needs_rising_lag_over_the_window)
{
	struct lag_track t = { 0 };
	/* The consumer advances 1 per second while the producer adds 3: lag grows 2 per second. */
	for (int i = 0; i <= 12; i++)
		lag_track_observe(&t, 2000 + i, 100 + i, 10 + 2 * i);
	ck_assert_int_eq(lag_track_status(&t, 2012, 10, true), STATUS_WARN);
	/* One drop in the lag starts a new run: no WARN until it covers a window. */
	lag_track_observe(&t, 2013, 114, 5);
	ck_assert_int_eq(lag_track_status(&t, 2013, 10, true), STATUS_OK);
	for (int i = 1; i <= 9; i++)
		lag_track_observe(&t, 2013 + i, 114 + i, 5 + i);
	ck_assert_int_eq(lag_track_status(&t, 2022, 10, true), STATUS_OK);
	lag_track_observe(&t, 2023, 124, 15);
	ck_assert_int_eq(lag_track_status(&t, 2023, 10, true), STATUS_WARN);
}
END_TEST

START_TEST(test_status_flat_lag_while_moving_is_ok)
{
	struct lag_track t = { 0 };
	/* Advancing as fast as the producer, with a constant backlog: healthy. */
	for (int i = 0; i <= 20; i++)
		lag_track_observe(&t, 3000 + i, 100 + 5 * i, 50);
	/* Lag never decreased but did not grow either: not WARN. */
	ck_assert_int_eq(lag_track_status(&t, 3020, 10, true), STATUS_OK);
}
END_TEST

START_TEST(test_status_rewind_is_err_for_a_window)
{
	struct lag_track t = { 0 };
	steady(&t, 4000, 4012, 500, 10);
	lag_track_observe(&t, 4013, 300, 210); /* the committed offset went back */
	ck_assert_int_eq(lag_track_status(&t, 4013, 10, true), STATUS_ERR);
	for (int i = 1; i <= 9; i++)
		lag_track_observe(&t, 4013 + i, 300 + 20 * i, 210 - 20 * i);
	ck_assert_int_eq(lag_track_status(&t, 4022, 10, true), STATUS_ERR);
	lag_track_observe(&t, 4024, 500, 10);
	/* The window has passed the rewind; moving and the lag shrinking: OK. */
	ck_assert_int_eq(lag_track_status(&t, 4024, 10, true), STATUS_OK);
}
END_TEST

START_TEST(test_status_negative_lag_counts_as_caught_up)
{
	struct lag_track t = { 0 };
	steady(&t, 5000, 5030, 60, -8);
	ck_assert_int_eq(t.lag, 0);
	ck_assert_int_eq(lag_track_status(&t, 5030, 10, false), STATUS_OK);
}
END_TEST

START_TEST(test_status_order_and_names)
{
	ck_assert_int_eq(lag_status_worst(STATUS_OK, STATUS_WARN), STATUS_WARN);
	ck_assert_int_eq(lag_status_worst(STATUS_STALL, STATUS_WARN), STATUS_STALL);
	ck_assert_int_eq(lag_status_worst(STATUS_STALL, STATUS_STOP), STATUS_STOP);
	ck_assert_int_eq(lag_status_worst(STATUS_ERR, STATUS_STOP), STATUS_ERR);
	ck_assert_int_eq(lag_status_worst(STATUS_OK, STATUS_OK), STATUS_OK);
	/* Burrow's numbers. */
	ck_assert_int_eq(STATUS_OK, 1);
	ck_assert_int_eq(STATUS_WARN, 2);
	ck_assert_int_eq(STATUS_ERR, 3);
	ck_assert_int_eq(STATUS_STOP, 4);
	ck_assert_int_eq(STATUS_STALL, 5);
	ck_assert_str_eq(lag_status_name(STATUS_STALL), "STALL");
	ck_assert_str_eq(lag_status_name(STATUS_OK), "OK");
	ck_assert_str_eq(lag_status_name((enum lag_status)99), "?");
}
END_TEST

START_TEST(test_end_history_adding)
{
	struct end_history h = { 0 };
	ck_assert(end_history_add(&h, 100, 10));
	ck_assert(!end_history_add(&h, 110, 10)); /* same time: ignored */
	ck_assert(!end_history_add(&h, 110, 9)); /* earlier: ignored */
	ck_assert(end_history_add(&h, 100, 11));
	ck_assert(end_history_add(&h, 100, 12));
	ck_assert(end_history_add(&h, 100, 13));
	/* A flat run keeps its first and its last sighting only. */
	ck_assert_uint_eq(h.n, 2);
	ck_assert(h.pts[0].t == 10 && h.pts[1].t == 13);
	ck_assert(end_history_add(&h, 150, 14));
	ck_assert_uint_eq(h.n, 3);
	/* A lower end offset (topic recreated): the history restarts. */
	ck_assert(end_history_add(&h, 3, 15));
	ck_assert_uint_eq(h.n, 1);
	ck_assert_int_eq(h.pts[0].offset, 3);
}
END_TEST

START_TEST(test_end_history_thins_old_sightings_first)
{
	struct end_history h = { 0 };
	/* 10 records per second for 1000 s, seen every second. */
	for (int i = 0; i <= 1000; i++)
		end_history_add(&h, 10 * i, i);
	ck_assert_uint_eq(h.n, END_HISTORY_MAX);
	/* The first and the latest sightings stay: the history still reaches back to the start. */
	ck_assert(h.pts[0].t == 0);
	ck_assert(h.pts[h.n - 1].t == 1000);
	for (uint32_t i = 1; i < h.n; i++)
		ck_assert(h.pts[i].t > h.pts[i - 1].t && h.pts[i].offset > h.pts[i - 1].offset);
	/* Recent sightings stay dense, old ones thin out: the gaps grow with age. */
	ck_assert(h.pts[h.n - 1].t - h.pts[h.n - 2].t <= 2);
	ck_assert(h.pts[2].t - h.pts[1].t > 20 * (h.pts[h.n - 1].t - h.pts[h.n - 2].t));
	for (uint32_t i = 2; i + 1 < h.n; i++) {
		double gap = h.pts[i].t - h.pts[i - 1].t, age = 1000 - h.pts[i].t;
		ck_assert_msg(gap <= age * 0.5 + 2, "gap %g at age %g", gap, age);
	}
	/* At a uniform rate the interpolation stays exact across the thinned points. */
	double age;
	ck_assert_int_eq(end_history_age(&h, 4999, 1000, &age), 0); /* written when the end reached 5000: t=500 */
	ck_assert_double_eq_tol(age, 500, 1e-6);
	ck_assert_int_eq(end_history_age(&h, 9, 1000, &age), 0);
	ck_assert_double_eq_tol(age, 999, 1e-6);
}
END_TEST

START_TEST(test_end_history_age)
{
	struct end_history h = { 0 };
	double age = -5;
	ck_assert_int_eq(end_history_age(&h, 0, 100, &age), -1); /* nothing seen */
	end_history_add(&h, 200, 100);
	ck_assert_int_eq(end_history_age(&h, 200, 101, &age), 0); /* caught up */
	ck_assert(age == 0);
	ck_assert_int_eq(end_history_age(&h, 210, 101, &age), 0); /* ahead of the end: caught up */
	ck_assert(age == 0);
	ck_assert_int_eq(end_history_age(&h, 150, 101, &age), -1); /* one sighting cannot tell */
	/* The end went from 200 at t=100 to 300 at t=110 to 400 at t=130. */
	end_history_add(&h, 300, 110);
	end_history_add(&h, 400, 130);
	ck_assert_int_eq(end_history_age(&h, 249, 140, &age), 0); /* end reached 250 at t=105 */
	ck_assert_double_eq_tol(age, 35, 1e-9);
	ck_assert_int_eq(end_history_age(&h, 349, 140, &age), 0); /* 350 at t=120 */
	ck_assert_double_eq_tol(age, 20, 1e-9);
	ck_assert_int_eq(end_history_age(&h, 299, 140, &age), 0); /* exactly a sighting */
	ck_assert_double_eq_tol(age, 30, 1e-9);
	/* Older than the history: extrapolated at the overall rate (200 records in 30 s). */
	ck_assert_int_eq(end_history_age(&h, 49, 140, &age), 0); /* 50 at 100 - 150/(200/30) = 77.5 */
	ck_assert_double_eq_tol(age, 62.5, 1e-9);
	/* A clock reading before the estimate never gives a negative age. */
	ck_assert_int_eq(end_history_age(&h, 349, 110, &age), 0);
	ck_assert(age == 0);
}
END_TEST

START_TEST(test_end_history_idle_partition_gives_a_lower_bound)
{
	struct end_history h = { 0 };
	end_history_add(&h, 500, 1000);
	end_history_add(&h, 500, 1060);
	double age;
	/* No production seen at all: the record is at least as old as the first sighting. */
	ck_assert_int_eq(end_history_age(&h, 420, 1100, &age), 0);
	ck_assert_double_eq_tol(age, 100, 1e-9);
}
END_TEST

START_TEST(test_record_age)
{
	ck_assert_double_eq_tol(record_age(1700000000000, 1700000012500), 12.5, 1e-9);
	ck_assert(record_age(1700000000000, 1700000000000) == 0);
	/* A producer clock ahead of ours: 0, not negative. */
	ck_assert(record_age(1700000009000, 1700000000000) == 0);
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("kafka_lag");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_upstream_offset_and_lag_rules);
	tcase_add_test(tc, test_status_stop_and_stall);
	tcase_add_test(tc, test_status_warn_needs_rising_lag_over_the_window);
	tcase_add_test(tc, test_status_flat_lag_while_moving_is_ok);
	tcase_add_test(tc, test_status_rewind_is_err_for_a_window);
	tcase_add_test(tc, test_status_negative_lag_counts_as_caught_up);
	tcase_add_test(tc, test_status_order_and_names);
	tcase_add_test(tc, test_end_history_adding);
	tcase_add_test(tc, test_end_history_thins_old_sightings_first);
	tcase_add_test(tc, test_end_history_age);
	tcase_add_test(tc, test_end_history_idle_partition_gives_a_lower_bound);
	tcase_add_test(tc, test_record_age);
	suite_add_tcase(s, tc);
	return s;
}
