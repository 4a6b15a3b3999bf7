/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The rules: what each pool's window is compared with. Each finds the
 * conditions that hold now and hands them to the alert table, which does
 * the timing (pending, firing, resolved).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "watch_priv.h"

/* What every rule of one backend needs. */
struct rule_ctx {
	struct lb_watch *w;
	const struct lb_config *cfg;
	struct watch_pool *p;
	const struct lb_backend_conf *be;
	uint32_t b;                 /* its index in cfg */
	uint64_t k;                 /* its new flows in the window */
	double expected;            /* 0..1 */
	uint64_t now_ms;
};

static void
cond_init(struct watch_cond *c, const struct rule_ctx *r, const char *name)
{
	memset(c, 0, sizeof(*c));
	c->name = name;
	c->pool = r->p->name;
	c->vip = r->p->vips;
	c->backend = r->be != NULL ? r->be->name : "";
	c->backend_id = r->be != NULL ? r->be->id : LB_ID_NONE;
	c->worker = -1;
	c->expected = r->be != NULL ? r->expected : -1;
	c->intended = r->be != NULL && r->be->max_share ?
		      r->be->max_share / 100.0 : -1;
	c->observed = r->p->n ? (double)r->k / r->p->n : -1;
	c->sample = r->p->n;
}

static void
rule_share_skew(const struct rule_ctx *r)
{
	struct watch_cond c;
	double z;

	if (!watch_share_differs(r->k, r->p->n, r->expected, 0, &z))
		return;
	cond_init(&c, r, "share_skew");
	c.statistic = z;
	snprintf(c.summary, sizeof(c.summary), "%s takes %.2f%% of pool %s's "
		 "%lu new flows in %u s; its table gives it %.2f%% (r = %.1f)",
		 r->be->name, 100 * c.observed, r->p->name,
		 (unsigned long)r->p->n, r->p->len, 100 * r->expected, z);
	watch_alert_hold(r->w, &c, r->now_ms);
}

static void
rule_above_intent(const struct rule_ctx *r)
{
	double m = r->be->max_share / 100.0, z;
	struct watch_cond c;

	if (r->be->max_share == 0 ||
	    !watch_share_differs(r->k, r->p->n, m, 1, &z))
		return;
	cond_init(&c, r, "share_above_intent");
	c.statistic = z;
	snprintf(c.summary, sizeof(c.summary), "%s takes %.2f%% of pool %s's "
		 "%lu new flows in %u s, above its max_share %u%% (expected "
		 "%.2f%%, r = %.1f)", r->be->name, 100 * c.observed,
		 r->p->name, (unsigned long)r->p->n, r->p->len,
		 r->be->max_share, 100 * r->expected, z);
	watch_alert_hold(r->w, &c, r->now_ms);
}

/* New flows per second above capacity: k against a Poisson mean of
 * capacity x window, and 10 % above it. */
static void
rule_capacity(const struct rule_ctx *r)
{
	double lambda = (double)r->be->capacity * r->p->len, z;
	struct watch_cond c;

	if (r->be->capacity == 0 || r->p->len == 0)
		return;
	z = watch_pois_r(r->k, lambda);
	if (z < LB_WATCH_Z || (double)r->k < lambda * (1 + LB_WATCH_MIN_DEV_REL))
		return;
	cond_init(&c, r, "capacity_exceeded");
	c.statistic = z;
	c.value = (double)r->k / r->p->len;
	c.limit = r->be->capacity;
	snprintf(c.summary, sizeof(c.summary), "%s takes %.1f new flows/s "
		 "over %u s, above its capacity %u/s (r = %.1f)", r->be->name,
		 c.value, r->p->len, r->be->capacity, z);
	watch_alert_hold(r->w, &c, r->now_ms);
}

/* One worker against the others, for each backend: a core whose
 * dispatch differs. */
static void
rule_worker(const struct rule_ctx *r)
{
	const struct lb_watch *w = r->w;
	const uint64_t *kw = &w->k_w[(size_t)r->be->id * w->n_workers];
	uint64_t n = r->p->n, nw, ko;
	struct watch_cond c;
	double z, zt, pw, po, pooled;
	unsigned int k;

	for (k = 0; w->n_workers > 1 && k < w->n_workers; k++) {
		nw = r->p->n_w[k];
		ko = r->k - kw[k];
		if (nw < LB_WATCH_MIN_FLOWS || n - nw < LB_WATCH_MIN_FLOWS)
			continue;
		pw = (double)kw[k] / nw;
		po = (double)ko / (n - nw);
		pooled = (double)r->k / n;
		z = watch_two_r(kw[k], nw, ko, n - nw);
		/* Against the others, and against the table the same way:
		 * with two workers each differs from the other, and only the
		 * one that does not follow the table is wrong. */
		if (fabs(z) < LB_WATCH_Z ||
		    fabs(pw - po) < lb_watch_min_dev(pooled) ||
		    !watch_share_differs(kw[k], nw, r->expected, 0, &zt) ||
		    (zt > 0) != (z > 0))
			continue;
		cond_init(&c, r, "worker_skew");
		c.worker = (int)k;
		c.observed = pw;
		c.value = 100 * po;
		c.sample = nw;
		c.statistic = z;
		snprintf(c.summary, sizeof(c.summary), "worker %u sends %.2f%% "
			 "of its %lu new flows of pool %s to %s, the other "
			 "workers %.2f%% of their %lu (expected %.2f%%, "
			 "r = %.1f)", k, 100 * pw, (unsigned long)nw,
			 r->p->name, r->be->name, 100 * po,
			 (unsigned long)(n - nw), 100 * r->expected, z);
		watch_alert_hold(r->w, &c, r->now_ms);
	}
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* The pool's check latencies, sorted: made once a tick, when a backend
 * of the pool first needs them. */
static int
pool_latencies(const struct rule_ctx *r, struct watch_pool *p)
{
	const struct lb_config *cfg = r->cfg;
	uint32_t i, us, *v;

	if (p->lat_tick == r->w->tick)
		return 0;
	v = realloc(p->lat, sizeof(*v) * (cfg->n_backends + 1));
	if (v == NULL)
		return -1;
	p->lat = v;
	p->n_lat = 0;
	for (i = 0; i < cfg->n_backends; i++)
		if (cfg->backends[i].pool == r->be->pool &&
		    cfg->backends[i].state != LB_BACKEND_REMOVED &&
		    r->w->latency(r->w->latency_arg, cfg->backends[i].id,
				  &us) == 0)
			v[p->n_lat++] = us;
	qsort(v, p->n_lat, sizeof(*v), cmp_u32);
	p->lat_tick = r->w->tick;
	return 0;
}

/* The median of the pool's latencies without one of value @p self. */
static int
others_median(const struct watch_pool *p, uint32_t self, uint32_t *med)
{
	uint32_t pos = 0, m, a, b;

	while (pos < p->n_lat && p->lat[pos] < self)
		pos++;
	if (pos == p->n_lat || p->n_lat < 2)
		return -1;
	m = p->n_lat - 1;
	/* index j of the others is j, or j + 1 past the removed one */
	a = m / 2 - (m % 2 == 0);
	b = m / 2;
	a = p->lat[a < pos ? a : a + 1];
	b = p->lat[b < pos ? b : b + 1];
	*med = a + (b - a) / 2;
	return 0;
}

/*
 * Slow and taking more than it should: the backend's latency is well
 * above its peers' while its share is above its max_share or, without
 * one, above an equal split of the pool - the outage this exists for.
 * Cheap tests first: at 1000 backends most stop at their own latency.
 */
static void
rule_latency(const struct rule_ctx *r)
{
	uint32_t us, med;
	double intended, z;
	struct watch_cond c;

	if (r->w->latency == NULL || r->p->in_table == 0 ||
	    r->be->member == UINT32_MAX ||
	    r->w->latency(r->w->latency_arg, r->be->id, &us) != 0 ||
	    us < LB_WATCH_LATENCY_MIN_US)
		return;
	intended = r->be->max_share ? r->be->max_share / 100.0 :
		   1.0 / r->p->in_table;
	if (!watch_share_differs(r->k, r->p->n, intended, 1, &z) ||
	    pool_latencies(r, r->p) != 0 || others_median(r->p, us, &med) != 0 ||
	    us <= LB_WATCH_LATENCY_FACTOR * med ||
	    us < med + LB_WATCH_LATENCY_MIN_US)
		return;
	cond_init(&c, r, "slow_backend_high_share");
	c.intended = intended;
	c.statistic = z;
	c.value = us / 1000.0;
	c.limit = med / 1000.0;
	snprintf(c.summary, sizeof(c.summary), "%s answers checks in %.1f ms, "
		 "its pool's others in %.1f ms, and takes %.2f%% of pool %s's "
		 "%lu new flows, above %s %.2f%% (r = %.1f)", r->be->name,
		 c.value, c.limit, 100 * c.observed, r->p->name,
		 (unsigned long)r->p->n, r->be->max_share ? "its max_share" :
		 "an equal split", 100 * intended, z);
	watch_alert_hold(r->w, &c, r->now_ms);
}

/* Up with weight > 0 (as lib/policy counts them), against min_healthy. */
static void
rule_min_healthy(struct lb_watch *w, const struct lb_config *cfg,
		 uint32_t pi, uint64_t now_ms)
{
	const struct lb_pool_conf *pc = &cfg->pools[pi];
	struct rule_ctx r = { .w = w, .cfg = cfg, .p = &w->pools[pi],
			      .now_ms = now_ms };
	uint32_t b, n = 0, up = 0, need;
	struct watch_cond c;

	if (pc->min_healthy == 0)
		return;
	for (b = 0; b < cfg->n_backends; b++) {
		const struct lb_backend_conf *be = &cfg->backends[b];

		if (be->pool != pi || be->state == LB_BACKEND_REMOVED)
			continue;
		n++;
		up += be->state == LB_BACKEND_UP && be->weight > 0 && !be->down;
	}
	need = pc->min_healthy_percent ?
		(uint32_t)(((uint64_t)pc->min_healthy * n + 99) / 100) :
		pc->min_healthy;
	if (up >= need)
		return;
	cond_init(&c, &r, "pool_below_min_healthy");
	c.value = up;
	c.limit = need;
	snprintf(c.summary, sizeof(c.summary), "pool %s has %u of its %u "
		 "backends up with weight > 0; min_healthy = %u%s needs %u",
		 pc->name, up, n, pc->min_healthy,
		 pc->min_healthy_percent ? "%" : "", need);
	watch_alert_hold(w, &c, now_ms);
}

void
watch_rules_run(struct lb_watch *w, const struct lb_config *cfg,
		uint64_t now_ms)
{
	struct rule_ctx r = { .w = w, .cfg = cfg, .now_ms = now_ms };
	uint32_t b, pi;

	for (pi = 0; pi < cfg->n_pools && pi < w->n_pools; pi++)
		rule_min_healthy(w, cfg, pi, now_ms);
	for (b = 0; b < cfg->n_backends; b++) {
		r.be = &cfg->backends[b];
		if (r.be->pool >= w->n_pools)
			continue;
		r.b = b;
		r.p = &w->pools[r.be->pool];
		if (r.p->len == 0)
			continue;
		r.k = watch_window_count(w, r.be->id, r.p->len, -1);
		r.expected = lb_config_expected_share(cfg, b);
		rule_share_skew(&r);
		rule_above_intent(&r);
		rule_capacity(&r);
		rule_worker(&r);
		rule_latency(&r);
	}
}
