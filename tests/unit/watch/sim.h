/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef LB_TEST_WATCH_SIM_H
#define LB_TEST_WATCH_SIM_H

/*
 * Simulated flows for the watch's tests: a seeded generator (runs are
 * reproducible) and exact binomial and multinomial draws, so that the
 * tails the tests measure are the binomial's, not an approximation's.
 */

#include <math.h>
#include <stdint.h>

static uint64_t sim_state = 0x9e3779b97f4a7c15ull;

static inline void
sim_seed(uint64_t s)
{
	sim_state = s;
}

/* splitmix64 */
static inline uint64_t
sim_u64(void)
{
	uint64_t z = (sim_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static inline double
sim_uniform(void)
{
	return (double)(sim_u64() >> 11) * 0x1.0p-53;
}

/*
 * Binomial(n, p) by inversion, outcomes taken from the mode outwards (any
 * order of outcomes is a valid inversion; this one takes about one
 * standard deviation of steps).
 */
static inline uint64_t
sim_binom(uint64_t n, double p)
{
	double q = 1 - p, u, lo_p, hi_p;
	uint64_t m, lo, hi;

	if (p <= 0 || n == 0)
		return 0;
	if (p >= 1)
		return n;
	m = (uint64_t)floor((double)(n + 1) * p);
	if (m > n)
		m = n;
	lo_p = hi_p = exp(lgamma((double)n + 1) - lgamma((double)m + 1) -
			  lgamma((double)(n - m) + 1) + (double)m * log(p) +
			  (double)(n - m) * log(q));
	lo = hi = m;
	u = sim_uniform() - lo_p;
	while (u > 0) {
		if (hi < n) {
			hi_p *= (double)(n - hi) / (double)(hi + 1) * p / q;
			hi++;
			u -= hi_p;
			if (u <= 0)
				return hi;
		}
		if (lo > 0) {
			lo_p *= (double)lo / (double)(n - lo + 1) * q / p;
			lo--;
			u -= lo_p;
			if (u <= 0)
				return lo;
		}
		if (hi == n && lo == 0)
			return m;   /* rounding left a sliver */
	}
	return m;
}

/* n flows over shares p[0..k-1] (summing to 1) into out[]. */
static inline void
sim_multinomial(uint64_t n, const double *p, unsigned int k, uint64_t *out)
{
	double left = 1;
	unsigned int i;

	for (i = 0; i < k; i++) {
		if (i == k - 1 || left <= 0) {
			out[i] = n;
		} else {
			out[i] = sim_binom(n, p[i] / left > 1 ? 1 : p[i] / left);
			left -= p[i];
		}
		n -= out[i];
	}
}

#endif
