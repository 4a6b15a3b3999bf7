/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/watch/stat.c: the test behind every share alert, checked the way it
 * is documented: small samples never alarm, a real skew over 20000 flows
 * always does, and a million simulated correct windows (exact binomial
 * draws, seeded) give no alarm while the statistic's tails at 3 and 4
 * match the normal's, so the false-alarm rate computed from the normal at
 * 6 holds.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "watch_priv.h"
#include "sim.h"

/* P(|Z| >= z) and P(Z >= z) for a standard normal. */
static double
two_sided(double z)
{
	return erfc(z / M_SQRT2);
}

static double
one_sided(double z)
{
	return 0.5 * erfc(z / M_SQRT2);
}

/* ---- watch_binom_r, watch_pois_r, watch_two_r ---- */

static void
test_binom_r_is_a_z_score_for_large_samples(void **state)
{
	uint64_t n = 100000;
	double p = 0.25, sd = sqrt(n * p * (1 - p));

	(void)state;
	assert_true(fabs(watch_binom_r((uint64_t)(n * p), n, p)) < 1e-9);
	assert_true(fabs(watch_binom_r((uint64_t)(n * p + 2 * sd), n, p) -
			 2) < 0.05);
	assert_true(fabs(watch_binom_r((uint64_t)(n * p - 3 * sd), n, p) +
			 3) < 0.05);
	/* impossible under the hypothesis */
	assert_true(isinf(watch_binom_r(1, 100, 0)));
	assert_true(watch_binom_r(0, 100, 0) == 0);
	assert_true(isinf(watch_binom_r(99, 100, 1)) &&
		    watch_binom_r(99, 100, 1) < 0);
	assert_true(watch_binom_r(5, 0, 0.5) == 0);
}

static void
test_pois_and_two_sample_r(void **state)
{
	double lambda = 10000;

	(void)state;
	assert_true(fabs(watch_pois_r(10000, lambda)) < 1e-9);
	assert_true(fabs(watch_pois_r(10200, lambda) - 2) < 0.05);
	assert_true(watch_pois_r(9700, lambda) < -2.9);
	assert_true(isinf(watch_pois_r(1, 0)));
	/* the same share twice is no difference; more is positive */
	assert_true(fabs(watch_two_r(300, 1000, 600, 2000)) < 1e-9);
	assert_true(watch_two_r(450, 1000, 600, 2000) > 6);
	assert_true(watch_two_r(150, 1000, 600, 2000) < -6);
	assert_true(watch_two_r(1, 0, 1, 10) == 0);
}

/* ---- sample size: 20 flows never, a skew over 20000 always ---- */

static void
test_twenty_flows_never_alarm(void **state)
{
	static const double shares[] = { 0.0001, 0.001, 0.01, 0.1, 1.0 / 3,
					 0.5, 0.9, 0.9999 };
	uint64_t n, k;
	unsigned int i;
	double r;

	(void)state;
	for (i = 0; i < RTE_DIM(shares); i++)
		for (n = 1; n <= 20; n++)
			for (k = 0; k <= n; k++) {
				assert_false(watch_share_differs(k, n, shares[i],
								 0, &r));
				assert_false(watch_share_differs(k, n, shares[i],
								 1, &r));
			}
	/* nor anything under the minimum, however lopsided */
	assert_false(watch_share_differs(LB_WATCH_MIN_FLOWS - 1,
					 LB_WATCH_MIN_FLOWS - 1, 0.01, 0, &r));
	assert_true(watch_share_differs(LB_WATCH_MIN_FLOWS,
					LB_WATCH_MIN_FLOWS, 0.01, 0, &r));
}

/* A skew of twice the smallest that matters, over 20000 flows, is found
 * in every one of 1000 simulated windows, up and down. */
static void
test_skew_over_20000_always_alarms(void **state)
{
	static const double shares[] = { 0.01, 1.0 / 6, 1.0 / 3, 0.5 };
	unsigned int i, t, found;
	double truth, r;
	int dir;

	(void)state;
	sim_seed(18);
	for (i = 0; i < RTE_DIM(shares); i++)
		for (dir = -1; dir <= 1; dir += 2) {
			truth = shares[i] + dir * 2 * lb_watch_min_dev(shares[i]);
			for (t = found = 0; t < 1000; t++)
				found += watch_share_differs(
					sim_binom(20000, truth), 20000,
					shares[i], 0, &r);
			assert_int_equal(found, 1000);
		}
}

/* Not at any size when the difference is below the minimum that
 * matters: Maglev's own granularity is in the expected share already,
 * and traffic is never perfectly independent. */
static void
test_tiny_difference_in_huge_sample_never_alarms(void **state)
{
	uint64_t n = 100000000;
	double p = 0.25, r;

	(void)state;
	assert_false(watch_share_differs((uint64_t)(n * (p + 0.004)), n, p, 0,
					 &r));
	assert_true(r > 50);    /* significant, but not a skew */
	assert_true(watch_share_differs((uint64_t)(n * (p + 0.03)), n, p, 0,
					&r));
}

/* ---- false alarms ---- */

#define WINDOWS 1000000

/*
 * 10^6 correct windows of a pool of three (1/6, 1/3, 1/2), n cycling
 * through 200, 500, 2000 and 20000 flows: every backend tested in each,
 * 3 x 10^6 tests. None alarms; the statistic's tails at 3 and 4 are
 * within a factor of the normal's (which the false-alarm rate at 6 is
 * computed from).
 */
static void
test_million_correct_windows_no_alarm(void **state)
{
	static const double p[3] = { 1.0 / 6, 1.0 / 3, 1.0 / 2 };
	static const uint64_t sizes[4] = { 200, 500, 2000, 20000 };
	uint64_t k[3], alarms = 0, over3 = 0, over4 = 0, tests = 0;
	double r, e3, e4;
	unsigned int t, i;

	(void)state;
	sim_seed(1);
	for (t = 0; t < WINDOWS; t++) {
		uint64_t n = sizes[t % 4];

		sim_multinomial(n, p, 3, k);
		for (i = 0; i < 3; i++) {
			alarms += watch_share_differs(k[i], n, p[i], 0, &r);
			over3 += fabs(r) >= 3;
			over4 += fabs(r) >= 4;
			tests++;
		}
	}
	e3 = tests * two_sided(3);
	e4 = tests * two_sided(4);
	print_message("%lu tests: %lu alarms; |r| >= 3: %lu (normal %.0f), "
		      ">= 4: %lu (normal %.0f)\n", (unsigned long)tests,
		      (unsigned long)alarms, (unsigned long)over3, e3,
		      (unsigned long)over4, e4);
	assert_int_equal(alarms, 0);
	assert_true(over3 > 0.8 * e3 && over3 < 1.25 * e3);
	assert_true(over4 > 0.5 * e4 && over4 < 1.6 * e4);
}

/*
 * A small share with few expected flows (np = 0.4 .. 4), where the plain
 * z-score's tail is orders of magnitude heavier than the normal's: the
 * likelihood ratio's upper tail stays at or below it.
 */
static void
test_small_share_tail_not_heavier(void **state)
{
	static const uint64_t sizes[3] = { 200, 500, 2000 };
	double p = 0.002, r, e3, e4, zr;
	uint64_t over3 = 0, over4 = 0, zover4 = 0, alarms = 0, k, n;
	unsigned int t;

	(void)state;
	sim_seed(2);
	for (t = 0; t < WINDOWS; t++) {
		n = sizes[t % 3];
		k = sim_binom(n, p);
		alarms += watch_share_differs(k, n, p, 0, &r);
		over3 += r >= 3;
		over4 += r >= 4;
		zr = (k - n * p) / sqrt(n * p * (1 - p));
		zover4 += zr >= 4;
	}
	e3 = WINDOWS * one_sided(3);
	e4 = WINDOWS * one_sided(4);
	print_message("p = 0.002: r >= 3: %lu (normal %.0f), r >= 4: %lu "
		      "(normal %.0f), plain z >= 4: %lu; alarms %lu\n",
		      (unsigned long)over3, e3, (unsigned long)over4, e4,
		      (unsigned long)zover4, (unsigned long)alarms);
	assert_int_equal(alarms, 0);
	assert_true(over3 < 2 * e3);
	assert_true(over4 < 2 * e4 + 3 * sqrt(e4));
	/* the reason for the likelihood ratio: z's tail is far heavier */
	assert_true(zover4 > 20 * e4);
}

/* Two workers following the same table: their shares never differ
 * enough to alarm, over 10^6 simulated windows of 200..5000 flows each. */
static void
test_two_workers_same_table_no_alarm(void **state)
{
	static const uint64_t sizes[3] = { 200, 1000, 5000 };
	double p = 1.0 / 3, z, e3, pw, po;
	uint64_t n1, n2, k1, k2, over3 = 0, alarms = 0;
	unsigned int t;

	(void)state;
	sim_seed(3);
	for (t = 0; t < WINDOWS; t++) {
		n1 = sizes[t % 3];
		n2 = sizes[(t / 3) % 3];
		k1 = sim_binom(n1, p);
		k2 = sim_binom(n2, p);
		z = watch_two_r(k1, n1, k2, n2);
		pw = (double)k1 / n1;
		po = (double)k2 / n2;
		over3 += fabs(z) >= 3;
		alarms += fabs(z) >= LB_WATCH_Z &&
			  fabs(pw - po) >= lb_watch_min_dev(p);
	}
	e3 = WINDOWS * two_sided(3);
	print_message("two workers: |r| >= 3: %lu (normal %.0f); alarms %lu\n",
		      (unsigned long)over3, e3, (unsigned long)alarms);
	assert_int_equal(alarms, 0);
	assert_true(over3 > 0.8 * e3 && over3 < 1.25 * e3);
}

int
main(void)
{
	const struct CMUnitTest stat[] = {
		cmocka_unit_test(test_binom_r_is_a_z_score_for_large_samples),
		cmocka_unit_test(test_pois_and_two_sample_r),
	};
	const struct CMUnitTest size[] = {
		cmocka_unit_test(test_twenty_flows_never_alarm),
		cmocka_unit_test(test_skew_over_20000_always_alarms),
		cmocka_unit_test(test_tiny_difference_in_huge_sample_never_alarms),
	};
	const struct CMUnitTest false_alarms[] = {
		cmocka_unit_test(test_million_correct_windows_no_alarm),
		cmocka_unit_test(test_small_share_tail_not_heavier),
		cmocka_unit_test(test_two_workers_same_table_no_alarm),
	};
	int failed = 0;

	failed += cmocka_run_group_tests_name("watch_binom_r", stat, NULL, NULL);
	failed += cmocka_run_group_tests_name("watch_share_differs", size,
					      NULL, NULL);
	failed += cmocka_run_group_tests_name("false alarms", false_alarms,
					      NULL, NULL);
	return failed != 0;
}
