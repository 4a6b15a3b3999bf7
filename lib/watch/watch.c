/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The window: once a second every worker's counters of every backend
 * identity the running configuration has are read, and kept as running
 * sums in a ring of window_s + 1 samples, so that any window up to
 * window_s seconds is one subtraction per identity and worker. Identities,
 * not indexes: a backend keeps its ring across snapshots; one that comes
 * (back) starts from zero.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "watch_priv.h"

RTE_LOG_REGISTER(lb_watch_logtype, edgelb.watch, INFO);

enum { C_NEW, C_PKT, C_BYTES, N_C };

static size_t
cum_row(const struct lb_watch *w)
{
	return (size_t)w->slots * w->n_workers;
}

/* The ring for a window of window_s seconds; every pool starts again. */
static int
window_alloc(struct lb_watch *w, uint32_t window_s)
{
	uint32_t *cum;
	uint64_t *pb;
	uint32_t i;

	cum = calloc((size_t)LB_MAX_BACKENDS * (window_s + 1) * w->n_workers,
		     sizeof(*cum));
	pb = calloc((size_t)LB_MAX_BACKENDS * (window_s + 1) * 2, sizeof(*pb));
	if (cum == NULL || pb == NULL) {
		free(cum);
		free(pb);
		return -1;
	}
	free(w->cum);
	free(w->cum_pb);
	w->cum = cum;
	w->cum_pb = pb;
	w->window_s = window_s;
	w->slots = window_s + 1;
	memset(w->tracked, 0, sizeof(w->tracked));
	for (i = 0; i < w->n_pools; i++)
		w->pools[i].start_tick = w->tick;
	return 0;
}

struct lb_watch *
lb_watch_create(struct lb_runtime *rt, const struct lb_dp *dp)
{
	const struct lb_config *cfg = lb_runtime_snapshot(rt)->cfg;
	struct lb_watch *w = calloc(1, sizeof(*w));

	if (w == NULL)
		return NULL;
	w->rt = rt;
	w->dp = dp;
	w->n_workers = dp->n_workers > 0 ? dp->n_workers : 1;
	w->for_s = cfg->global.watch_for_s;
	w->last = calloc((size_t)LB_MAX_BACKENDS * w->n_workers * N_C,
			 sizeof(*w->last));
	w->k_w = calloc((size_t)LB_MAX_BACKENDS * w->n_workers,
			sizeof(*w->k_w));
	if (w->last == NULL || w->k_w == NULL ||
	    window_alloc(w, cfg->global.watch_window_s) != 0) {
		lb_watch_destroy(w);
		return NULL;
	}
	return w;
}

static void
pools_free(struct lb_watch *w)
{
	uint32_t i;

	for (i = 0; i < w->n_pools; i++) {
		free(w->pools[i].n_w);
		free(w->pools[i].lat);
	}
	free(w->pools);
	w->pools = NULL;
	w->n_pools = 0;
}

void
lb_watch_destroy(struct lb_watch *w)
{
	if (w == NULL)
		return;
	pools_free(w);
	watch_alerts_free(&w->alerts);
	free(w->last);
	free(w->cum);
	free(w->cum_pb);
	free(w->k_w);
	free(w);
}

void
lb_watch_set_latency(struct lb_watch *w, lb_watch_latency_fn fn, void *arg)
{
	w->latency = fn;
	w->latency_arg = arg;
}

/* ---- sampling ---------------------------------------------------------- */

static uint32_t
slot_of(const struct lb_watch *w, uint64_t tick)
{
	return (uint32_t)(tick % w->slots);
}

/* A backend the watch did not follow (new, back, or its identity went to
 * another name): its ring holds zeros, its raw counters are the base. */
static void
track(struct lb_watch *w, uint16_t id, const uint64_t *raw)
{
	memcpy(&w->last[(size_t)id * w->n_workers * N_C], raw,
	       sizeof(*raw) * w->n_workers * N_C);
	memset(&w->cum[(size_t)id * cum_row(w)], 0,
	       sizeof(*w->cum) * cum_row(w));
	memset(&w->cum_pb[(size_t)id * w->slots * 2], 0,
	       sizeof(*w->cum_pb) * w->slots * 2);
	w->tracked[id] = 1;
}

/* Counters only go up, except when a worker zeroes an identity given to
 * another name: then what it counted since is the increase. */
static uint64_t
increase(uint64_t now, uint64_t *last)
{
	uint64_t d = now >= *last ? now - *last : now;

	*last = now;
	return d;
}

static void
sample_backend(struct lb_watch *w, uint16_t id, uint64_t tick)
{
	uint64_t raw[LB_MAX_WORKERS * N_C], *last, dp_ = 0, db = 0, act = 0;
	uint32_t s = slot_of(w, tick), p = slot_of(w, tick - 1);
	uint32_t *cum = &w->cum[(size_t)id * cum_row(w)];
	uint64_t *pb = &w->cum_pb[(size_t)id * w->slots * 2];
	unsigned int k;

	for (k = 0; k < w->n_workers; k++) {
		const struct lb_backend_stats *b =
			&w->dp->workers[k]->stats.backend[id];

		raw[k * N_C + C_NEW] = __atomic_load_n(&b->new_flows,
						       __ATOMIC_RELAXED);
		raw[k * N_C + C_PKT] = __atomic_load_n(&b->packets,
						       __ATOMIC_RELAXED);
		raw[k * N_C + C_BYTES] = __atomic_load_n(&b->bytes,
							 __ATOMIC_RELAXED);
		act += __atomic_load_n(&b->flows, __ATOMIC_RELAXED);
	}
	w->active[id] = act;
	if (!w->tracked[id])
		track(w, id, raw);
	last = &w->last[(size_t)id * w->n_workers * N_C];
	for (k = 0; k < w->n_workers; k++) {
		cum[s * w->n_workers + k] = cum[p * w->n_workers + k] +
			(uint32_t)increase(raw[k * N_C + C_NEW],
					   &last[k * N_C + C_NEW]);
		dp_ += increase(raw[k * N_C + C_PKT], &last[k * N_C + C_PKT]);
		db += increase(raw[k * N_C + C_BYTES],
			       &last[k * N_C + C_BYTES]);
	}
	pb[s * 2] = pb[p * 2] + dp_;
	pb[s * 2 + 1] = pb[p * 2 + 1] + db;
}

/* Read every identity of @cfg; forget those it no longer has. */
static void
sample(struct lb_watch *w, const struct lb_config *cfg)
{
	uint32_t i;
	uint16_t id;

	w->tick++;
	for (id = 0; id < LB_MAX_BACKENDS; id++) {
		if (cfg->backend_index[id] == LB_ID_NONE) {
			w->tracked[id] = 0;
			continue;
		}
		if (w->tracked[id] && w->epoch[id] != cfg->backend_epoch[id])
			w->tracked[id] = 0;
		w->epoch[id] = cfg->backend_epoch[id];
	}
	for (i = 0; i < cfg->n_backends; i++)
		sample_backend(w, cfg->backends[i].id, w->tick);
}

uint64_t
watch_window_count(const struct lb_watch *w, uint16_t id, uint32_t len,
		   int wk)
{
	const uint32_t *cum = &w->cum[(size_t)id * cum_row(w)];
	uint32_t s = slot_of(w, w->tick), o = slot_of(w, w->tick - len);
	uint64_t n = 0;
	unsigned int k;

	if (len == 0)
		return 0;
	if (wk >= 0)
		return (uint32_t)(cum[s * w->n_workers + wk] -
				  cum[o * w->n_workers + wk]);
	for (k = 0; k < w->n_workers; k++)
		n += (uint32_t)(cum[s * w->n_workers + k] -
				cum[o * w->n_workers + k]);
	return n;
}

/* ---- pools: a window per table ----------------------------------------- */

static const struct watch_pool *
pool_find(const struct watch_pool *p, uint32_t n, const char *name)
{
	uint32_t i;

	for (i = 0; i < n; i++)
		if (strcmp(p[i].name, name) == 0)
			return &p[i];
	return NULL;
}

static void
pool_vips(const struct lb_config *cfg, uint32_t pi, char *out, size_t n)
{
	size_t len = 0;
	uint32_t v;

	out[0] = '\0';
	for (v = 0; v < cfg->n_vips && len < n; v++)
		if (cfg->vips[v].pool == pi)
			len += snprintf(out + len, n - len, "%s%s",
					len ? "," : "", cfg->vips[v].name);
}

/*
 * A new generation: pools are matched by name; one whose table is the
 * same (fingerprint) keeps its window, any other starts one from this
 * sample, so no window mixes two tables.
 */
static int
pools_follow(struct lb_watch *w, const struct lb_config *cfg)
{
	struct watch_pool *np = calloc(cfg->n_pools ? cfg->n_pools : 1,
				       sizeof(*np));
	const struct watch_pool *old;
	uint32_t i, m;

	if (np == NULL)
		return -1;
	for (i = 0; i < cfg->n_pools; i++) {
		const struct lb_pool_conf *pc = &cfg->pools[i];

		np[i].n_w = calloc(w->n_workers, sizeof(*np[i].n_w));
		if (np[i].n_w == NULL)
			goto fail;
		snprintf(np[i].name, sizeof(np[i].name), "%s", pc->name);
		np[i].fingerprint = pc->fingerprint;
		old = pool_find(w->pools, w->n_pools, pc->name);
		np[i].start_tick = old != NULL &&
			old->fingerprint == pc->fingerprint ?
			old->start_tick : w->tick;
		pool_vips(cfg, i, np[i].vips, sizeof(np[i].vips));
		for (m = 0; m < pc->n_members; m++)
			np[i].in_table += pc->member_slots != NULL &&
					  pc->member_slots[m] > 0;
	}
	pools_free(w);
	w->pools = np;
	w->n_pools = cfg->n_pools;
	return 0;
fail:
	while (i-- > 0)
		free(np[i].n_w);
	free(np);
	return -1;
}

/* Each pool's window length and totals (all workers, each worker). */
static void
pools_count(struct lb_watch *w, const struct lb_config *cfg)
{
	uint32_t i, b;
	unsigned int k;

	for (i = 0; i < w->n_pools; i++) {
		struct watch_pool *p = &w->pools[i];
		uint64_t age = w->tick - p->start_tick;

		p->len = age < w->window_s ? (uint32_t)age : w->window_s;
		p->n = 0;
		memset(p->n_w, 0, sizeof(*p->n_w) * w->n_workers);
	}
	for (b = 0; b < cfg->n_backends; b++) {
		const struct lb_backend_conf *be = &cfg->backends[b];
		struct watch_pool *p;
		uint64_t *kw = &w->k_w[(size_t)be->id * w->n_workers];

		if (be->pool >= w->n_pools)
			continue;
		p = &w->pools[be->pool];
		for (k = 0; k < w->n_workers; k++) {
			kw[k] = watch_window_count(w, be->id, p->len, (int)k);
			p->n_w[k] += kw[k];
			p->n += kw[k];
		}
	}
}

/* ---- the tick ---------------------------------------------------------- */

/* Settings of the running generation: a new window length starts every
 * window again. */
static void
follow_settings(struct lb_watch *w, const struct lb_config *cfg)
{
	w->for_s = cfg->global.watch_for_s;
	if (cfg->global.watch_window_s != w->window_s &&
	    window_alloc(w, cfg->global.watch_window_s) != 0)
		WATCH_LOG(ERR, "window of %u s: out of memory, keeping %u s",
			  cfg->global.watch_window_s, w->window_s);
}

void
lb_watch_tick(struct lb_watch *w, uint64_t now_ms)
{
	const struct lb_snapshot *snap = lb_runtime_snapshot(w->rt);
	const struct lb_config *cfg = snap->cfg;
	char reason[sizeof(w->abort_reason)];

	follow_settings(w, cfg);
	sample(w, cfg);
	if ((snap->seq != w->seq || w->pools == NULL) &&
	    pools_follow(w, cfg) == 0)
		w->seq = snap->seq;
	if (w->seq != snap->seq) {
		WATCH_LOG(ERR, "out of memory: nothing judged this second");
		return;
	}
	pools_count(w, cfg);
	w->abort_reason[0] = '\0';
	watch_rules_run(w, cfg, now_ms);
	watch_alerts_step(w, now_ms);
	/* Last: the rollback publishes a new snapshot and frees @cfg. */
	if (w->abort_reason[0] != '\0') {
		snprintf(reason, sizeof(reason), "%s", w->abort_reason);
		lb_runtime_pending_abort(w->rt, reason);
	}
}

int
lb_watch_backend_obs(const struct lb_watch *w, uint16_t id,
		     struct lb_watch_obs *o)
{
	const struct lb_config *cfg = lb_runtime_snapshot(w->rt)->cfg;
	const struct watch_pool *p;
	uint16_t b;
	uint32_t s, old;

	if (id >= LB_MAX_BACKENDS || !w->tracked[id] ||
	    (b = cfg->backend_index[id]) == LB_ID_NONE ||
	    cfg->backends[b].pool >= w->n_pools)
		return -1;
	memset(o, 0, sizeof(*o));
	p = &w->pools[cfg->backends[b].pool];
	o->window_s = p->len;
	o->new_flows = watch_window_count(w, id, p->len, -1);
	o->pool_new_flows = p->n;
	o->observed_share = p->n ? (double)o->new_flows / p->n : 0;
	o->expected_share = lb_config_expected_share(cfg, b);
	o->active_flows = w->active[id];
	if (p->len == 0)
		return 0;
	s = slot_of(w, w->tick);
	old = slot_of(w, w->tick - p->len);
	o->new_flows_per_s = (double)o->new_flows / p->len;
	o->packets_per_s = (double)(w->cum_pb[((size_t)id * w->slots + s) * 2] -
		w->cum_pb[((size_t)id * w->slots + old) * 2]) / p->len;
	o->bytes_per_s = (double)(w->cum_pb[((size_t)id * w->slots + s) * 2 + 1] -
		w->cum_pb[((size_t)id * w->slots + old) * 2 + 1]) / p->len;
	return 0;
}
