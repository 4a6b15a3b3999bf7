/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The distribution watch's cost on the management core, in process: a
 * runtime on FILE (tests/bench/policy/gen_policy.py: 1000 backends with
 * max_share and capacity, pools with min_healthy), a lb_dp with 2 workers
 * created but not launched whose counters are advanced each second as
 * traffic by the table would (not timed), and lb_watch_tick timed: CPU
 * time per tick, i.e. per second of the window, median over TICKS ticks
 * after the window filled. Variants: every backend with a check latency
 * (1 ms: the latency rule's cheap test), every backend slow (30 ms: its
 * share test and the pool's sorted latencies), and 1000 backends in one
 * pool if FILE2 is given.
 *
 *   bench_watch FILE [FILE2] [TICKS]   prints "name<TAB>value<TAB>unit"
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_eal.h>

#include "lb_runtime.h"
#include "lb_watch.h"

#define N_WORKERS 2
#define FLOWS_PER_S 20000

static uint32_t latency_us;

static int
fake_latency(void *arg, uint16_t id, uint32_t *us)
{
	(void)arg;
	(void)id;
	if (latency_us == 0)
		return -1;
	*us = latency_us;
	return 0;
}

static double
cpu_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* One second of traffic by the table: each backend's expected share of
 * FLOWS_PER_S, spread over the workers (deterministic: no alert). */
static void
traffic(struct lb_dp *dp, const struct lb_config *cfg)
{
	uint32_t b, k;

	for (b = 0; b < cfg->n_backends; b++) {
		const struct lb_backend_conf *be = &cfg->backends[b];
		double share = lb_config_expected_share(cfg, b);
		uint32_t pool_n = 0, i;

		for (i = 0; i < cfg->n_vips; i++)
			pool_n += cfg->vips[i].pool == be->pool;
		for (k = 0; k < N_WORKERS; k++) {
			struct lb_backend_stats *s =
				&dp->workers[k]->stats.backend[be->id];
			uint64_t n = (uint64_t)(share * FLOWS_PER_S / N_WORKERS *
						pool_n / cfg->n_vips + 0.5);

			s->new_flows += n;
			s->packets += 10 * n;
			s->bytes += 8000 * n;
			s->flows = 5 * n;
		}
	}
}

/* Median CPU us of one tick over @ticks ticks after the window filled. */
static double
run(const char *file, unsigned int ticks, uint32_t lat, unsigned int *alerts)
{
	struct lb_config_error err;
	struct lb_runtime *rt;
	struct lb_config *cfg;
	struct lb_watch *w;
	struct lb_dp *dp;
	double *v, t0, med;
	uint64_t now = 1000000;
	char msg[256];
	unsigned int i;

	dp = lb_dp_create(N_WORKERS);
	for (i = 0; dp != NULL && i < N_WORKERS; i++)
		if (lb_dp_worker_create(dp, i, i + 1, SOCKET_ID_ANY, 1024) != 0)
			dp = NULL;
	cfg = dp != NULL ? lb_config_parse(file, &err) : NULL;
	rt = cfg != NULL ? lb_runtime_create(dp, cfg, 1000, 100000, msg,
					     sizeof(msg)) : NULL;
	w = rt != NULL ? lb_watch_create(rt, dp) : NULL;
	v = calloc(ticks, sizeof(*v));
	if (w == NULL || v == NULL) {
		fprintf(stderr, "bench_watch: %s: cannot set up\n", file);
		exit(1);
	}
	latency_us = lat;
	lb_watch_set_latency(w, fake_latency, NULL);
	cfg = (struct lb_config *)lb_runtime_snapshot(rt)->cfg;
	for (i = 0; i < 12 + ticks; i++) {
		traffic(dp, cfg);
		now += 1000;
		t0 = cpu_us();
		lb_watch_tick(w, now);
		if (i >= 12)
			v[i - 12] = cpu_us() - t0;
	}
	*alerts = lb_watch_alert_count(w);
	qsort(v, ticks, sizeof(*v), cmp_double);
	med = v[ticks / 2];
	free(v);
	lb_watch_destroy(w);
	lb_runtime_destroy(rt);
	lb_dp_free(dp);
	return med;
}

static void
row(const char *name, double us, unsigned int alerts)
{
	printf("%s, %u alerts\t%.1f\tus\n", name, alerts, us);
	printf("%s: share of one core\t%.3f\t%%\n", name, us / 1e6 * 100);
}

int
main(int argc, char **argv)
{
	char *eal[] = { "bench_watch", "--no-huge", "-m", "256", "--no-pci",
			"--no-shconf", "--file-prefix=bench-watch",
			"--log-level=error", NULL };
	unsigned int ticks = argc > 3 ? (unsigned int)atoi(argv[3]) : 300;
	unsigned int alerts;
	double us;

	if (argc < 2 || ticks == 0) {
		fprintf(stderr, "usage: bench_watch FILE [FILE2] [TICKS]\n");
		return 2;
	}
	if (rte_eal_init(8, eal) < 0) {
		fprintf(stderr, "bench_watch: EAL init failed\n");
		return 1;
	}
	us = run(argv[1], ticks, 0, &alerts);
	row("tick, 1000 backends, 2 workers, no latencies", us, alerts);
	us = run(argv[1], ticks, 1000, &alerts);
	row("tick, the same, every backend checked in 1 ms", us, alerts);
	us = run(argv[1], ticks, 30000, &alerts);
	row("tick, the same, every backend checked in 30 ms", us, alerts);
	if (argc > 2 && strcmp(argv[2], "-") != 0) {
		us = run(argv[2], ticks, 30000, &alerts);
		row("tick, 1000 backends in one pool, checked in 30 ms", us,
		    alerts);
	}
	rte_eal_cleanup();
	return 0;
}
