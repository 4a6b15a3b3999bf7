/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Commands that read the workers' counters: stats, stats --per-core and
 * backends. Counters are read while workers write them, so every answer
 * is a moment's view.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>

#include "mgmt_priv.h"

/* Totals over the configured ports and VIPs only, the same in every view. */
struct totals {
	uint64_t rx_packets;
	uint64_t tx_packets;
	uint64_t new_flows;
	uint64_t drops;
};

static unsigned int
n_ports(const struct lb_config *cfg)
{
	return RTE_MIN(cfg->n_ports, (uint32_t)LB_MAX_PORTS);
}

static unsigned int
n_vips(const struct lb_config *cfg)
{
	return RTE_MIN(cfg->n_vips, (uint32_t)LB_MAX_VIPS);
}

static void
totals_of(const struct lb_config *cfg, const struct lb_worker_stats *s,
	  struct totals *t)
{
	unsigned int i;

	memset(t, 0, sizeof(*t));
	for (i = 0; i < n_ports(cfg); i++) {
		t->rx_packets += s->port[i].rx_packets;
		t->tx_packets += s->port[i].tx_packets;
		t->drops += lb_stats_port_drops(&s->port[i]);
	}
	for (i = 0; i < n_vips(cfg); i++)
		t->new_flows += s->vip[cfg->vips[i].id].new_flows;
}

static json_t *
totals_json(const struct totals *t)
{
	return json_pack("{s:I, s:I, s:I, s:I}",
		"rx_packets", (json_int_t)t->rx_packets,
		"tx_packets", (json_int_t)t->tx_packets,
		"new_flows", (json_int_t)t->new_flows,
		"drops", (json_int_t)t->drops);
}

/* Every reason, zeros included, so scripts never miss a key. */
static json_t *
drops_json(const uint64_t *drops)
{
	json_t *o = json_object();
	unsigned int r;

	for (r = 0; r < LB_DROP_MAX; r++)
		json_object_set_new(o, lb_drop_reason_name(r),
				    json_integer((json_int_t)drops[r]));
	return o;
}

/* Every counter of a descriptor table, by its name. */
static void
counters_set(json_t *o,
	     const struct lb_counter_desc *(*table)(unsigned int *n),
	     const void *base)
{
	unsigned int i, n;
	const struct lb_counter_desc *d = table(&n);

	for (i = 0; i < n; i++)
		json_object_set_new(o, d[i].name, json_integer((json_int_t)
				    lb_counter_value(&d[i], base)));
}

/* The workers' counters, then management's side of the kernel path
 * (zeros for a port without a kernel interface: every key, always). */
static json_t *
port_stats_json(const struct lb_excpath *xp, const struct lb_port_conf *pc,
		unsigned int i, const struct lb_port_stats *p)
{
	static const struct lb_excpath_port_stats none;
	const struct lb_excpath_port_stats *k = lb_excpath_port_stats(xp, i);
	json_t *o = json_pack("{s:o}", "name", lb_mgmt_str(pc->name));

	counters_set(o, lb_stats_port_counters, p);
	counters_set(o, lb_excpath_port_counters, k != NULL ? k : &none);
	json_object_set_new(o, "drops", drops_json(p->drops));
	return o;
}

/* Management's kernel-path loop: how often workers woke it. */
static json_t *
kernel_loop_json(const struct lb_excpath *xp)
{
	static const struct lb_excpath_loop_stats none;
	json_t *o = json_object();

	counters_set(o, lb_excpath_loop_counters,
		     xp != NULL ? lb_excpath_loop_stats(xp) : &none);
	return o;
}

static json_t *
vip_stats_json(const struct lb_vip_conf *vc, const struct lb_vip_stats *v)
{
	char pb[8];

	json_t *o = json_pack("{s:o, s:i, s:s, s:o, s:i}",
		"name", lb_mgmt_str(vc->name), "id", (int)vc->id,
		"protocol", lb_mgmt_proto_name(vc->proto, pb, sizeof(pb)),
		"address", lb_mgmt_ipv4(vc->addr),
		"port", (int)vc->port);

	counters_set(o, lb_stats_vip_counters, v);
	return o;
}

static json_t *
stats_totals(const struct lb_excpath *xp, const struct lb_config *cfg,
	     const struct lb_worker_stats *sum)
{
	json_t *ports = json_array(), *vips = json_array(), *flows;
	struct totals t;
	unsigned int i;

	for (i = 0; i < n_ports(cfg); i++)
		json_array_append_new(ports, port_stats_json(xp,
					&cfg->ports[i], i, &sum->port[i]));
	for (i = 0; i < n_vips(cfg); i++)
		json_array_append_new(vips, vip_stats_json(&cfg->vips[i],
							   &sum->vip[cfg->vips[i].id]));
	flows = json_object();
	counters_set(flows, lb_stats_flow_counters, &sum->flow);
	totals_of(cfg, sum, &t);
	return json_pack("{s:o, s:o, s:o, s:o, s:o}", "ports", ports,
			 "vips", vips, "flows", flows,
			 "kernel", kernel_loop_json(xp),
			 "totals", totals_json(&t));
}

static json_t *
tsc_us(uint64_t tsc)
{
	return json_real((double)tsc * 1e6 / (double)rte_get_tsc_hz());
}

/*
 * How long the worker's loop took at its worst, and on the loop that
 * first ran each new config: what a swap cost the packets it held up.
 * The worker writes them as it goes; a moment's view like the counters.
 */
static void
loop_times_set(json_t *o, const struct lb_worker *w)
{
	json_object_set_new(o, "busy_loop_max_us", tsc_us(__atomic_load_n(
		&w->busy_loop_max_tsc, __ATOMIC_RELAXED)));
	json_object_set_new(o, "swap_loop_last_us", tsc_us(__atomic_load_n(
		&w->swap_loop_last_tsc, __ATOMIC_RELAXED)));
	json_object_set_new(o, "swap_loop_max_us", tsc_us(__atomic_load_n(
		&w->swap_loop_max_tsc, __ATOMIC_RELAXED)));
}

static json_t *
worker_json(const struct lb_config *cfg, const struct lb_worker *w,
	    unsigned int index)
{
	const struct lb_worker_stats *s = &w->stats;
	uint64_t drops[LB_DROP_MAX] = { 0 };
	unsigned int p, r;
	struct totals t;
	json_t *o;

	totals_of(cfg, s, &t);
	for (p = 0; p < n_ports(cfg); p++)
		for (r = 0; r < LB_DROP_MAX; r++)
			drops[r] += s->port[p].drops[r];
	o = json_pack("{s:i, s:i, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:o}",
		"worker", (int)index, "lcore", (int)w->lcore,
		"rx_packets", (json_int_t)t.rx_packets,
		"tx_packets", (json_int_t)t.tx_packets,
		"new_flows", (json_int_t)t.new_flows,
		"flow_table_entries", (json_int_t)s->flow.entries,
		"flow_table_capacity", (json_int_t)(w->flows != NULL ?
				lb_flow_table_capacity(w->flows) : 0),
		"loops", (json_int_t)s->loops,
		"idle_loops", (json_int_t)s->idle_loops,
		"drops", drops_json(drops));
	if (o != NULL) {
		counters_set(o, lb_stats_flow_counters, &s->flow);
		loop_times_set(o, w);
	}
	return o;
}

static json_t *
stats_per_core(const struct lb_dp *dp, const struct lb_config *cfg,
	       const struct lb_worker_stats *sum)
{
	json_t *workers = json_array();
	struct totals t;
	unsigned int i;

	for (i = 0; i < dp->n_workers && i < LB_MAX_WORKERS; i++)
		json_array_append_new(workers,
				      worker_json(cfg, dp->workers[i], i));
	totals_of(cfg, sum, &t);
	return json_pack("{s:o, s:o}", "workers", workers,
			 "totals", totals_json(&t));
}

/*
 * Ask every worker to start its loop maxima over, without waiting: the
 * answer shows them as they were. The requests are released at once and
 * freed once answered (workers.c). @return the workers asked.
 */
static unsigned int
reset_max(struct lb_dp *dp)
{
	const struct lb_dp_request proto = { .type = LB_DP_REQ_RESET_MAX };
	struct mgmt_wq q;
	unsigned int n = 0, i;

	if (mgmt_wq_submit(&q, dp, 0, dp->n_workers, &proto,
			   lb_mgmt_now_ms() + MGMT_QUERY_TIMEOUT_MS) == 0)
		for (i = 0; i < q.n; i++)
			n += q.sent[i];
	mgmt_wq_release(&q);
	return n;
}

json_t *
lb_mgmt_cmd_stats(struct lb_mgmt_ctx *ctx, const struct mgmt_req *r)
{
	const struct lb_config *cfg = lb_mgmt_config(ctx->dp);
	struct lb_worker_stats *sum;
	int per_core = 0, reset = 0;
	json_t *ans;

	if (r->argc >= 2 && strcmp(r->argv[1], "--per-core") == 0)
		per_core = 1;
	if (r->argc == 3 && per_core &&
	    strcmp(r->argv[2], "--reset-max") == 0)
		reset = 1;
	else if (r->argc != 1 + (unsigned int)per_core)
		return lb_mgmt_error("usage: stats [--per-core [--reset-max]]");
	if (cfg == NULL)
		return lb_mgmt_error("no configuration loaded");
	if (reset && !lb_mgmt_peer_is_admin(ctx, r->peer))
		return lb_mgmt_error("--reset-max: only root or members of admin_group may start the workers' maxima over");
	sum = lb_mgmt_stats_sum(ctx->dp);
	if (sum == NULL)
		return lb_mgmt_error("out of memory");
	ans = per_core ? stats_per_core(ctx->dp, cfg, sum) :
			 stats_totals(ctx->xp, cfg, sum);
	free(sum);
	if (reset && ans != NULL)
		json_object_set_new(ans, "reset_max",
				    json_integer(reset_max(ctx->dp)));
	return ans;
}

/* State and why, as `backends` shows them. */
static const char *
backend_state(const struct lb_mgmt_ctx *ctx, const struct lb_config *cfg,
	      uint32_t b, char *why, size_t n)
{
	const struct lb_backend_conf *be = &cfg->backends[b];

	why[0] = '\0';
	switch (be->state) {
	case LB_BACKEND_REMOVED:
		snprintf(why, n, "removed from the configuration; %" PRIu64
			 " flows remain", ctx->rt != NULL ?
			 lb_runtime_backend_flows(ctx->rt, be->id) : 0);
		return lb_backend_state_name(be->state);
	case LB_BACKEND_DISABLED:
	case LB_BACKEND_DRAINED:
		snprintf(why, n, "admin_state = %s",
			 lb_backend_state_name(be->state));
		return lb_backend_state_name(be->state);
	}
	if (be->out) {
		snprintf(why, n, "health checks failed");
		return "down";
	}
	if (be->down && be->pool < cfg->n_pools) {
		snprintf(why, n, "health checks failed, but every backend of "
			 "pool %s is down and it fails open",
			 cfg->pools[be->pool].name);
		return "up";
	}
	/* Drained is the operator's choice and says more than a missing MAC. */
	if (be->weight == 0) {
		snprintf(why, n, "weight 0");
		return "drained";
	}
	if (!lb_mgmt_backend_resolved(ctx->dp, cfg, b)) {
		snprintf(why, n, "next hop not resolved by ARP yet");
		return "unresolved";
	}
	if (be->ramp > 0)
		snprintf(why, n, "slow start: %u.%u%% of its weight",
			 be->ramp / 10, be->ramp % 10);
	return "up";
}

static json_t *
backend_json(const struct lb_mgmt_ctx *ctx, const struct lb_config *cfg,
	     const struct lb_worker_stats *sum, const struct lb_vip_conf *vip,
	     uint32_t b, uint64_t pool_new_flows)
{
	const struct lb_backend_conf *bc = &cfg->backends[b];
	const struct lb_backend_stats *bs = &sum->backend[bc->id];
	char why[256], fp[20];
	const char *state = backend_state(ctx, cfg, b, why, sizeof(why));

	json_t *o = json_pack("{s:o, s:o, s:o, s:i, s:o, s:I, s:I, s:s, s:s, s:f, s:f}",
		"vip", vip != NULL ? lb_mgmt_str(vip->name) : json_null(),
		"pool", bc->pool < cfg->n_pools ?
			lb_mgmt_str(cfg->pools[bc->pool].name) : json_null(),
		"name", lb_mgmt_str(bc->name), "id", (int)bc->id,
		"address", lb_mgmt_ipv4(bc->addr),
		"weight", (json_int_t)bc->weight,
		"table_weight", (json_int_t)bc->table_weight,
		"state", state, "reason", why,
		"expected_share", lb_config_expected_share(cfg, b),
		"observed_share", pool_new_flows > 0 ?
			(double)bs->new_flows / (double)pool_new_flows : 0.0);

	/* The operator's intent beside what the tables do (the status page
	 * draws both): a ratio like the shares, null when not set. */
	json_object_set_new(o, "max_share", bc->max_share != 0 ?
			    json_real(bc->max_share / 100.0) : json_null());
	if (o != NULL && bc->pool < cfg->n_pools)
		json_object_set_new(o, "pool_fingerprint", json_string(
			lb_config_fingerprint_hex(cfg, bc->pool, fp,
						  sizeof(fp))));
	counters_set(o, lb_stats_backend_counters, bs);
	lb_mgmt_health_set(o, ctx, bc->id);
	if (bc->out && json_is_string(json_object_get(o, "last_result")))
		json_object_set_new(o, "reason", json_sprintf(
			"health checks failed: %s", json_string_value(
				json_object_get(o, "last_result"))));
	return o;
}

/* Every backend of pool @p p (UINT32_MAX: removed with their pool). */
static void
pool_backends(json_t *list, const struct lb_mgmt_ctx *ctx,
	      const struct lb_config *cfg, const struct lb_worker_stats *sum,
	      const struct lb_vip_conf *vip, uint32_t p)
{
	uint64_t total = 0;
	uint32_t b;

	for (b = 0; b < cfg->n_backends; b++)
		if (cfg->backends[b].pool == p)
			total += sum->backend[cfg->backends[b].id].new_flows;
	for (b = 0; b < cfg->n_backends; b++)
		if (cfg->backends[b].pool == p)
			json_array_append_new(list, backend_json(ctx, cfg, sum,
							vip, b, total));
}

static int
pool_has_vip(const struct lb_config *cfg, uint32_t p)
{
	uint32_t v;

	for (v = 0; v < cfg->n_vips; v++)
		if (cfg->vips[v].pool == p)
			return 1;
	return 0;
}

static void
all_backends(json_t *list, const struct lb_mgmt_ctx *ctx,
	     const struct lb_config *cfg, const struct lb_worker_stats *sum,
	     const char *only_vip)
{
	uint32_t v, p;

	for (v = 0; v < cfg->n_vips; v++)
		if (only_vip == NULL || strcmp(cfg->vips[v].name, only_vip) == 0)
			pool_backends(list, ctx, cfg, sum, &cfg->vips[v],
				      cfg->vips[v].pool);
	if (only_vip != NULL)
		return;
	/* Backends no VIP sends to (yet, or any more) are still worth
	 * seeing. */
	for (p = 0; p < cfg->n_pools; p++)
		if (!pool_has_vip(cfg, p))
			pool_backends(list, ctx, cfg, sum, NULL, p);
	pool_backends(list, ctx, cfg, sum, NULL, UINT32_MAX);
}

static int
vip_exists(const struct lb_config *cfg, const char *name)
{
	uint32_t v;

	for (v = 0; v < cfg->n_vips; v++)
		if (strcmp(cfg->vips[v].name, name) == 0)
			return 1;
	return 0;
}

json_t *
lb_mgmt_cmd_backends(struct lb_mgmt_ctx *ctx, const struct mgmt_req *r)
{
	const struct lb_config *cfg = lb_mgmt_config(ctx->dp);
	struct lb_worker_stats *sum;
	json_t *list;

	if (r->argc > 2)
		return lb_mgmt_error("usage: backends [VIP]");
	if (cfg == NULL)
		return lb_mgmt_error("no configuration loaded");
	if (r->argc == 2 && !vip_exists(cfg, r->argv[1]))
		return lb_mgmt_error("no VIP named \"%.64s\"; see \"vips\"",
				     r->argv[1]);
	sum = lb_mgmt_stats_sum(ctx->dp);
	if (sum == NULL)
		return lb_mgmt_error("out of memory");
	list = json_array();
	all_backends(list, ctx, cfg, sum, r->argc == 2 ? r->argv[1] : NULL);
	free(sum);
	return list;
}
