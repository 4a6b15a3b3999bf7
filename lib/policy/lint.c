/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The rules that compare: a change with the configuration before it
 * (share_change), a weight with its pool's others, an address across
 * pools, capacity with the rate the VIPs expect (the lint findings).
 */

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "policy_priv.h"

/* Weights this many times from the pool's median are a unit slip. */
#define LINT_OUTLIER_FACTOR 10

/* ---- the configuration before ------------------------------------------- */

static int
cmp_by_name(const void *a, const void *b, void *arg)
{
	const struct lb_config *cfg = arg;

	return strcmp(cfg->backends[*(const uint32_t *)a].name,
		      cfg->backends[*(const uint32_t *)b].name);
}

/* Configured backends of @cfg by name, for bsearch; NULL on ENOMEM. */
static uint32_t *
by_name(const struct lb_config *cfg, uint32_t *n)
{
	uint32_t *idx = calloc(cfg->n_backends + 1, sizeof(*idx)), i;

	*n = 0;
	if (idx == NULL)
		return NULL;
	for (i = 0; i < cfg->n_backends; i++)
		if (cfg->backends[i].state != LB_BACKEND_REMOVED)
			idx[(*n)++] = i;
	qsort_r(idx, *n, sizeof(*idx), cmp_by_name, (void *)cfg);
	return idx;
}

static uint32_t
find_name(const struct lb_config *cfg, const uint32_t *idx, uint32_t n,
	  const char *name)
{
	uint32_t lo = 0, hi = n, mid;
	int d;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		d = strcmp(name, cfg->backends[idx[mid]].name);
		if (d == 0)
			return idx[mid];
		if (d < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return UINT32_MAX;
}

/*
 * Shares before by name, and the backends of before that the change
 * removes (once: share_change asks per pool).
 */
int
policy_fill_before(struct policy_ctx *c)
{
	const struct lb_config *bc = c->before;
	uint32_t *idx, n, b, old;

	if (bc == NULL)
		return 0;
	idx = by_name(bc, &n);
	c->removed = calloc(bc->n_backends + 1, sizeof(*c->removed));
	if (idx == NULL || c->removed == NULL) {
		free(idx);
		return -1;
	}
	for (b = 0; b < c->cfg->n_backends; b++) {
		if (c->cfg->backends[b].state == LB_BACKEND_REMOVED)
			continue;
		old = find_name(bc, idx, n, c->cfg->backends[b].name);
		if (old != UINT32_MAX)
			c->r->before[b] = 100.0 *
				lb_config_expected_share(bc, old);
	}
	free(idx);
	idx = by_name(c->cfg, &n);
	if (idx == NULL)
		return -1;
	for (b = 0; b < bc->n_backends; b++)
		if (bc->backends[b].state != LB_BACKEND_REMOVED &&
		    bc->backends[b].pool < bc->n_pools &&
		    find_name(c->cfg, idx, n, bc->backends[b].name) ==
		    UINT32_MAX)
			c->removed[c->n_removed++] = b;
	free(idx);
	return 0;
}

/* ---- share_change -------------------------------------------------------- */

static void
share_moved(struct policy_ctx *c, uint32_t pi, uint32_t b, const char *name,
	    double old, double now)
{
	const struct lb_pool_conf *p = &c->cfg->pools[pi];
	struct lb_policy_finding *f;

	if (fabs(now - old) <= p->max_share_change)
		return;
	f = policy_add(c, LB_FINDING_share_change,
		       "pool %s: backend %s's expected share would move "
		       "%.2f%% -> %.2f%% (%+.2f points), more than "
		       "max_share_change = %u", p->name, name, old, now,
		       now - old, p->max_share_change);
	policy_names(c->cfg, f, pi, b);
	if (b == UINT32_MAX)
		snprintf(f->backend, sizeof(f->backend), "%s", name);
	if (b != UINT32_MAX &&
	    policy_is_set(c->cfg, "backend", name, "weight"))
		policy_where(c->cfg, "backend", name, "weight", f->where,
			     sizeof(f->where));
	else
		policy_where(c->cfg, "pool", p->name, "max_share_change",
			     f->where, sizeof(f->where));
}

/* Backends of the pool before that the change removes: down to 0. */
static void
removed_moved(struct policy_ctx *c, uint32_t pi)
{
	const struct lb_config *bc = c->before;
	uint32_t i, b;

	for (i = 0; i < c->n_removed; i++) {
		b = c->removed[i];
		if (strcmp(bc->pools[bc->backends[b].pool].name,
			   c->cfg->pools[pi].name) == 0)
			share_moved(c, pi, UINT32_MAX, bc->backends[b].name,
				    100.0 * lb_config_expected_share(bc, b), 0);
	}
}

/* Absent on one side is a share of 0: adding or removing moves shares. */
void
policy_rule_share_change(struct policy_ctx *c, uint32_t pi)
{
	const struct lb_config *cfg = c->cfg;
	uint32_t b;

	if (c->before == NULL ||
	    cfg->pools[pi].max_share_change == LB_CONFIG_UNSET)
		return;
	for (b = 0; b < cfg->n_backends; b++)
		if (policy_configured(&cfg->backends[b], pi))
			share_moved(c, pi, b, cfg->backends[b].name,
				    c->r->before[b] < 0 ? 0 : c->r->before[b],
				    c->r->share[b]);
	removed_moved(c, pi);
}

/* ---- weights ------------------------------------------------------------- */

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/* Median of the pool's non-zero weights; 0 when fewer than 3. */
static double
median_weight(const struct lb_config *cfg, uint32_t pi)
{
	uint32_t *w = calloc(cfg->n_backends + 1, sizeof(*w)), n = 0, b;
	double m = 0;

	if (w == NULL)
		return 0;
	for (b = 0; b < cfg->n_backends; b++)
		if (policy_configured(&cfg->backends[b], pi) &&
		    cfg->backends[b].weight > 0)
			w[n++] = cfg->backends[b].weight;
	if (n >= 3) {
		qsort(w, n, sizeof(*w), cmp_u32);
		m = n % 2 ? w[n / 2] : (w[n / 2 - 1] + (double)w[n / 2]) / 2;
	}
	free(w);
	return m;
}

static void
lint_outliers(struct policy_ctx *c, uint32_t pi)
{
	const struct lb_config *cfg = c->cfg;
	struct lb_policy_finding *f;
	double med = median_weight(cfg, pi), w;
	uint32_t b;

	for (b = 0; med > 0 && b < cfg->n_backends; b++) {
		w = cfg->backends[b].weight;
		if (!policy_configured(&cfg->backends[b], pi) || w == 0 ||
		    (w < LINT_OUTLIER_FACTOR * med &&
		     w * LINT_OUTLIER_FACTOR > med))
			continue;
		f = policy_add(c, LB_FINDING_lint_weight_outlier,
			       "pool %s: backend %s has weight %.0f, %.0fx the "
			       "pool's median weight %g (a unit slip?)",
			       cfg->pools[pi].name, cfg->backends[b].name, w,
			       w >= med ? w / med : med / w, med);
		policy_names(cfg, f, pi, b);
		policy_where(cfg, "backend", cfg->backends[b].name, "weight",
			     f->where, sizeof(f->where));
	}
}

/* ---- capacity -------------------------------------------------------------- */

static void
lint_rate_finding(struct policy_ctx *c, uint32_t pi, uint32_t vip,
		  uint32_t b, enum lb_policy_code code, const char *msg)
{
	struct lb_policy_finding *f = policy_add(c, code, "%s", msg);

	policy_names(c->cfg, f, pi, b);
	snprintf(f->vip, sizeof(f->vip), "%s", c->cfg->vips[vip].name);
	policy_where(c->cfg, "vip", c->cfg->vips[vip].name, "expected_rate",
		     f->where, sizeof(f->where));
}

/*
 * All up: the backends' capacity against the VIPs' rate, in sum and each
 * at its expected share. With one down: each survivor at its worst share
 * (the first that fails is enough to say there is no headroom).
 */
static void
lint_capacity(struct policy_ctx *c, uint32_t pi)
{
	const struct lb_config *cfg = c->cfg;
	const struct lb_pool_conf *p = &cfg->pools[pi];
	uint64_t rate, sum = 0;
	uint32_t vip, i, b;
	char msg[LB_POLICY_MSG_MAX];
	double load;
	int found = 0;

	rate = policy_pool_rate(cfg, pi, &vip);
	if (rate == 0 || !policy_capacity_known(cfg, pi))
		return;
	for (i = 0; i < p->n_members; i++)
		sum += cfg->backends[p->members[i]].capacity;
	if (sum < rate) {
		snprintf(msg, sizeof(msg), "vip %s: pool %s's VIPs expect "
			 "%lu new connections/s, its backends' capacity sums "
			 "to %lu/s", cfg->vips[vip].name, p->name,
			 (unsigned long)rate, (unsigned long)sum);
		lint_rate_finding(c, pi, vip, UINT32_MAX,
				  LB_FINDING_lint_capacity_rate, msg);
		return;
	}
	for (i = 0; i < p->n_members; i++) {
		b = p->members[i];
		load = rate * c->r->share[b] / 100;
		if (load <= cfg->backends[b].capacity)
			continue;
		snprintf(msg, sizeof(msg), "vip %s: backend %s would take "
			 "%.0f new connections/s (%.2f%% of %lu/s), above its "
			 "capacity %u/s", cfg->vips[vip].name,
			 cfg->backends[b].name, load, c->r->share[b],
			 (unsigned long)rate, cfg->backends[b].capacity);
		lint_rate_finding(c, pi, vip, b,
				  LB_FINDING_lint_capacity_rate, msg);
		found = 1;
	}
	for (i = 0; !found && i < p->n_members; i++) {
		b = p->members[i];
		load = rate * c->r->worst[b] / 100;
		if (c->r->worst[b] < 0 || load <= cfg->backends[b].capacity)
			continue;
		snprintf(msg, sizeof(msg), "vip %s: no headroom: with %s down, "
			 "backend %s would take %.0f new connections/s (%.2f%% "
			 "of %lu/s), above its capacity %u/s",
			 cfg->vips[vip].name,
			 cfg->backends[c->r->worst_down[b]].name,
			 cfg->backends[b].name, load, c->r->worst[b],
			 (unsigned long)rate, cfg->backends[b].capacity);
		lint_rate_finding(c, pi, vip, b,
				  LB_FINDING_lint_no_headroom, msg);
		found = 1;
	}
}

void
policy_lint_pool(struct policy_ctx *c, uint32_t pi)
{
	lint_outliers(c, pi);
	lint_capacity(c, pi);
}

/* ---- one address, several pools ---------------------------------------- */

static int
cmp_by_addr(const void *a, const void *b, void *arg)
{
	const struct lb_config *cfg = arg;
	const struct lb_backend_conf *x = &cfg->backends[*(const uint32_t *)a];
	const struct lb_backend_conf *y = &cfg->backends[*(const uint32_t *)b];

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return cmp_u32(a, b);
}

/*
 * The same server in several pools with different weights: usually one
 * was edited and the other forgotten. Each backend is compared with the
 * first (in file order) of its address.
 */
void
policy_lint_addresses(struct policy_ctx *c)
{
	const struct lb_config *cfg = c->cfg;
	uint32_t *idx, n = 0, i, first = 0;
	struct lb_policy_finding *f;

	idx = calloc(cfg->n_backends + 1, sizeof(*idx));
	if (idx == NULL) {
		c->failed = 1;
		return;
	}
	for (i = 0; i < cfg->n_backends; i++)
		if (cfg->backends[i].state != LB_BACKEND_REMOVED)
			idx[n++] = i;
	qsort_r(idx, n, sizeof(*idx), cmp_by_addr, (void *)cfg);
	for (i = 0; i < n; i++) {
		const struct lb_backend_conf *a, *b = &cfg->backends[idx[i]];

		if (i == 0 || cfg->backends[idx[first]].addr != b->addr)
			first = i;
		a = &cfg->backends[idx[first]];
		if (a == b || a->pool == b->pool || a->weight == b->weight)
			continue;
		f = policy_add(c, LB_FINDING_lint_address_weights,
			       "backend %s (pool %s) has weight %u, backend %s "
			       "at the same address (pool %s) has %u",
			       b->name, cfg->pools[b->pool].name, b->weight,
			       a->name, cfg->pools[a->pool].name, a->weight);
		policy_names(cfg, f, b->pool, idx[i]);
		policy_where(cfg, "backend", b->name, "weight", f->where,
			     sizeof(f->where));
	}
	free(idx);
}
