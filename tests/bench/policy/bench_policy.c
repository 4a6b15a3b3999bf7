/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The policy's own cost on one file, in process (CPU time, median of
 * REPEATS): parse and build the snapshot, lb_policy_evaluate with every
 * pool's one-down shares, lb_policy_gate (before = after: what a runtime
 * change pays), and the one-down shares done the slow way, N full Maglev
 * builds per pool, which the counts replace. The slow way also checks
 * that every count equals the full build's (exit 1 if not).
 *
 *   bench_policy FILE [REPEATS]    prints "name<TAB>value<TAB>unit" lines
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lb_policy.h"

static double
cpu_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double
median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return v[n / 2];
}

/* Pool @p without member k, by full builds; 0, or -1 on a mismatch. */
static int
full_builds(const struct lb_config *cfg, const struct lb_pool_conf *p,
	    struct lb_sched_backend *be, uint32_t *counts)
{
	struct lb_maglev t;
	uint32_t k, i, j;

	for (k = 0; k < p->n_members; k++) {
		for (i = 0, j = 0; i < p->n_members; i++) {
			if (i == k)
				continue;
			be[j].name = cfg->backends[p->members[i]].name;
			be[j++].weight =
				cfg->backends[p->members[i]].table_weight;
		}
		if (lb_sched_maglev_build(&t, be, j, p->maglev.size) != 0 ||
		    lb_sched_maglev_count_slots(be, j, p->maglev.size,
						counts) != 0)
			return -1;
		for (i = 0; i < j; i++)
			if (lb_sched_maglev_count(&t, i) != counts[i]) {
				lb_sched_maglev_free(&t);
				return -1;
			}
		lb_sched_maglev_free(&t);
	}
	return 0;
}

int
main(int argc, char **argv)
{
	int repeats = argc > 2 ? atoi(argv[2]) : 7, i;
	double *parse = calloc(repeats, sizeof(double));
	double *eval = calloc(repeats, sizeof(double));
	double *gate = calloc(repeats, sizeof(double));
	struct lb_config_error err;
	struct lb_sched_backend *be;
	struct lb_config *cfg = NULL;
	uint32_t *counts, p, builds = 0;
	double t0, slow;

	if (argc < 2 || repeats < 1 || !parse || !eval || !gate) {
		fprintf(stderr, "usage: bench_policy FILE [REPEATS]\n");
		return 2;
	}
	for (i = 0; i < repeats; i++) {
		struct lb_policy_report *r;
		json_t *a;

		lb_config_free(cfg);
		t0 = cpu_ms();
		cfg = lb_config_parse(argv[1], &err);
		parse[i] = cpu_ms() - t0;
		if (cfg == NULL) {
			fprintf(stderr, "%s\n", err.msg);
			return 1;
		}
		t0 = cpu_ms();
		r = lb_policy_evaluate(NULL, cfg, LB_POLICY_ALL_N1);
		eval[i] = cpu_ms() - t0;
		t0 = cpu_ms();
		a = lb_policy_gate(cfg, cfg, NULL);
		gate[i] = cpu_ms() - t0;
		if (r == NULL || a == NULL)
			return 1;
		lb_policy_report_free(r);
		json_decref(a);
	}
	be = calloc(LB_SCHED_MAX_BACKENDS + 1, sizeof(*be));
	counts = calloc(LB_SCHED_MAX_BACKENDS + 1, sizeof(*counts));
	t0 = cpu_ms();
	for (p = 0; p < cfg->n_pools; p++) {
		if (full_builds(cfg, &cfg->pools[p], be, counts) != 0) {
			fprintf(stderr, "pool %s: a count differs from its "
				"full build\n", cfg->pools[p].name);
			return 1;
		}
		builds += cfg->pools[p].n_members;
	}
	slow = cpu_ms() - t0;
	printf("parse and build the snapshot (its Maglev tables) (median)"
	       "\t%.2f\tms\n", median(parse, repeats));
	printf("lb_policy_evaluate, one-down shares of every pool (median)"
	       "\t%.2f\tms\n", median(eval, repeats));
	printf("lb_policy_gate (a runtime change's cost) (median)\t%.2f\tms\n",
	       median(gate, repeats));
	printf("one-down shares by %u full Maglev builds instead (counts "
	       "checked equal, one run)\t%.1f\tms\n", builds, slow);
	free(be);
	free(counts);
	free(parse);
	free(eval);
	free(gate);
	lb_config_free(cfg);
	return 0;
}
