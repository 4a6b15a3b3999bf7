/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Commands that read the workers' counters: stats, stats --per-core and
 * backends. Counters are read while workers write them, so every answer
 * is a moment's view.
 */
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
		t->new_flows += s->vip[i].new_flows;
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

static void
flow_counters_set(json_t *o, const struct lb_flow_stats *f)
{
	json_object_set_new(o, "entries", json_integer((json_int_t)f->entries));
	json_object_set_new(o, "lookups", json_integer((json_int_t)f->lookups));
	json_object_set_new(o, "hits", json_integer((json_int_t)f->hits));
	json_object_set_new(o, "misses", json_integer((json_int_t)f->misses));
	json_object_set_new(o, "inserts", json_integer((json_int_t)f->inserts));
	json_object_set_new(o, "fallbacks",
			    json_integer((json_int_t)f->fallbacks));
	json_object_set_new(o, "expiries",
			    json_integer((json_int_t)f->expiries));
	json_object_set_new(o, "reschedules",
			    json_integer((json_int_t)f->reschedules));
}

static json_t *
port_stats_json(const struct lb_port_conf *pc, const struct lb_port_stats *p)
{
	return json_pack("{s:o, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:o}",
		"name", lb_mgmt_str(pc->name),
		"rx_packets", (json_int_t)p->rx_packets,
		"rx_bytes", (json_int_t)p->rx_bytes,
		"tx_packets", (json_int_t)p->tx_packets,
		"tx_bytes", (json_int_t)p->tx_bytes,
		"arp_replies", (json_int_t)p->arp_replies,
		"icmp_echo_replies", (json_int_t)p->icmp_echo_replies,
		"ctl_to_mgmt", (json_int_t)p->ctl_to_mgmt,
		"drops", drops_json(p->drops));
}

static json_t *
vip_stats_json(const struct lb_vip_conf *vc, const struct lb_vip_stats *v)
{
	char pb[8];

	return json_pack("{s:o, s:s, s:o, s:i, s:I, s:I, s:I}",
		"name", lb_mgmt_str(vc->name),
		"protocol", lb_mgmt_proto_name(vc->proto, pb, sizeof(pb)),
		"address", lb_mgmt_ipv4(vc->addr),
		"port", (int)vc->port,
		"packets", (json_int_t)v->packets,
		"bytes", (json_int_t)v->bytes,
		"new_flows", (json_int_t)v->new_flows);
}

static json_t *
stats_totals(const struct lb_config *cfg, const struct lb_worker_stats *sum)
{
	json_t *ports = json_array(), *vips = json_array(), *flows;
	struct totals t;
	unsigned int i;

	for (i = 0; i < n_ports(cfg); i++)
		json_array_append_new(ports, port_stats_json(&cfg->ports[i],
							     &sum->port[i]));
	for (i = 0; i < n_vips(cfg); i++)
		json_array_append_new(vips, vip_stats_json(&cfg->vips[i],
							   &sum->vip[i]));
	flows = json_object();
	flow_counters_set(flows, &sum->flow);
	totals_of(cfg, sum, &t);
	return json_pack("{s:o, s:o, s:o, s:o}", "ports", ports, "vips", vips,
			 "flows", flows, "totals", totals_json(&t));
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
		flow_counters_set(o, &s->flow);
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

json_t *
lb_mgmt_cmd_stats(struct lb_mgmt_ctx *ctx, const struct mgmt_req *r)
{
	const struct lb_config *cfg = lb_mgmt_config(ctx->dp);
	struct lb_worker_stats *sum;
	int per_core = 0;
	json_t *ans;

	if (r->argc == 2 && strcmp(r->argv[1], "--per-core") == 0)
		per_core = 1;
	else if (r->argc != 1)
		return lb_mgmt_error("usage: stats [--per-core]");
	if (cfg == NULL)
		return lb_mgmt_error("no configuration loaded");
	sum = lb_mgmt_stats_sum(ctx->dp);
	if (sum == NULL)
		return lb_mgmt_error("out of memory");
	ans = per_core ? stats_per_core(ctx->dp, cfg, sum) :
			 stats_totals(cfg, sum);
	free(sum);
	return ans;
}

static const char *
backend_state(const struct lb_dp *dp, const struct lb_config *cfg, uint32_t b)
{
	/* Drained is the operator's choice and says more than a missing MAC. */
	if (cfg->backends[b].weight == 0)
		return "drained";
	if (!lb_mgmt_backend_resolved(dp, cfg, b))
		return "unresolved";
	return "active";
}

static uint64_t
backend_new_flows(const struct lb_worker_stats *sum, uint32_t b)
{
	return b < LB_MAX_BACKENDS ? sum->backend[b].new_flows : 0;
}

static json_t *
backend_json(const struct lb_dp *dp, const struct lb_config *cfg,
	     const struct lb_worker_stats *sum, const struct lb_vip_conf *vip,
	     uint32_t b, uint64_t pool_new_flows)
{
	const struct lb_backend_conf *bc = &cfg->backends[b];
	static const struct lb_backend_stats none;
	const struct lb_backend_stats *bs =
		b < LB_MAX_BACKENDS ? &sum->backend[b] : &none;

	return json_pack("{s:o, s:o, s:o, s:o, s:I, s:s, s:f, s:f, s:I, s:I, s:I}",
		"vip", vip != NULL ? lb_mgmt_str(vip->name) : json_null(),
		"pool", bc->pool < cfg->n_pools ?
			lb_mgmt_str(cfg->pools[bc->pool].name) : json_null(),
		"name", lb_mgmt_str(bc->name),
		"address", lb_mgmt_ipv4(bc->addr),
		"weight", (json_int_t)bc->weight,
		"state", backend_state(dp, cfg, b),
		"expected_share", lb_config_expected_share(cfg, b),
		"observed_share", pool_new_flows > 0 ?
			(double)bs->new_flows / (double)pool_new_flows : 0.0,
		"new_flows", (json_int_t)bs->new_flows,
		"packets", (json_int_t)bs->packets,
		"bytes", (json_int_t)bs->bytes);
}

static void
pool_backends(json_t *list, const struct lb_dp *dp,
	      const struct lb_config *cfg, const struct lb_worker_stats *sum,
	      const struct lb_vip_conf *vip, const struct lb_pool_conf *pool)
{
	uint64_t total = 0;
	uint32_t m;

	for (m = 0; m < pool->n_members; m++)
		if (pool->members[m] < cfg->n_backends)
			total += backend_new_flows(sum, pool->members[m]);
	for (m = 0; m < pool->n_members; m++)
		if (pool->members[m] < cfg->n_backends)
			json_array_append_new(list, backend_json(dp, cfg, sum,
					vip, pool->members[m], total));
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

json_t *
lb_mgmt_cmd_backends(struct lb_mgmt_ctx *ctx, const struct mgmt_req *r)
{
	const struct lb_config *cfg = lb_mgmt_config(ctx->dp);
	struct lb_worker_stats *sum;
	json_t *list;
	uint32_t v, p;

	if (r->argc != 1)
		return lb_mgmt_error("usage: backends");
	if (cfg == NULL)
		return lb_mgmt_error("no configuration loaded");
	sum = lb_mgmt_stats_sum(ctx->dp);
	if (sum == NULL)
		return lb_mgmt_error("out of memory");
	list = json_array();
	for (v = 0; v < cfg->n_vips; v++)
		if (cfg->vips[v].pool < cfg->n_pools)
			pool_backends(list, ctx->dp, cfg, sum, &cfg->vips[v],
				      &cfg->pools[cfg->vips[v].pool]);
	/* Backends no VIP sends to yet are still worth seeing. */
	for (p = 0; p < cfg->n_pools; p++)
		if (!pool_has_vip(cfg, p))
			pool_backends(list, ctx->dp, cfg, sum, NULL,
				      &cfg->pools[p]);
	free(sum);
	return list;
}
