/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The tests behind every share alert: signed roots of likelihood-ratio
 * statistics. Why not the textbook z = (k - np) / sqrt(np(1 - p)): its
 * tails are far heavier than the normal's when np is small (a backend
 * with 0.1 % of a pool's table and 200 flows in the window expects 0.2 of
 * them), so a 6-sigma threshold would alarm orders of magnitude more often
 * than 2e-9. The likelihood ratio's signed root follows the normal closely
 * far into the tails even there (it gives the exact large-deviation
 * exponent), which the unit tests check by simulation.
 */
#include <math.h>

#include "watch_priv.h"

/* x ln(x / y), with 0 ln 0 = 0. */
static double
xlog(double x, double y)
{
	return x > 0 ? x * log(x / y) : 0;
}

static double
signed_root(double half_g, int above)
{
	double r = sqrt(2 * (half_g > 0 ? half_g : 0));

	return above ? r : -r;
}

double
watch_binom_r(uint64_t k, uint64_t n, double p)
{
	double e;

	if (n == 0 || k > n)
		return 0;
	if (p <= 0)
		return k > 0 ? INFINITY : 0;
	if (p >= 1)
		return k < n ? -INFINITY : 0;
	e = (double)n * p;
	return signed_root(xlog((double)k, e) +
			   xlog((double)(n - k), (double)n - e),
			   (double)k > e);
}

double
watch_pois_r(uint64_t k, double lambda)
{
	if (lambda <= 0)
		return k > 0 ? INFINITY : 0;
	return signed_root(xlog((double)k, lambda) - ((double)k - lambda),
			   (double)k > lambda);
}

double
watch_two_r(uint64_t k1, uint64_t n1, uint64_t k2, uint64_t n2)
{
	double n = (double)n1 + (double)n2, p, g;

	if (n1 == 0 || n2 == 0 || k1 > n1 || k2 > n2)
		return 0;
	p = ((double)k1 + (double)k2) / n;
	if (p <= 0 || p >= 1)
		return 0;
	g = xlog((double)k1, n1 * p) + xlog((double)(n1 - k1), n1 * (1 - p)) +
	    xlog((double)k2, n2 * p) + xlog((double)(n2 - k2), n2 * (1 - p));
	return signed_root(g, (double)k1 * n2 > (double)k2 * n1);
}

double
lb_watch_min_dev(double share)
{
	double rel = LB_WATCH_MIN_DEV_REL * share;

	return rel > LB_WATCH_MIN_DEV_ABS ? rel : LB_WATCH_MIN_DEV_ABS;
}

int
watch_share_differs(uint64_t k, uint64_t n, double p, int dir, double *r)
{
	double obs, d;

	*r = 0;
	if (n < LB_WATCH_MIN_FLOWS)
		return 0;
	obs = (double)k / n;
	*r = watch_binom_r(k, n, p);
	d = dir > 0 ? obs - p : fabs(obs - p);
	return (dir > 0 ? *r : fabs(*r)) >= LB_WATCH_Z &&
	       d >= lb_watch_min_dev(p);
}
