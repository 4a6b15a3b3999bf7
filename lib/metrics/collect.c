/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * edgelb's own metric families. Counter families come from the descriptor
 * tables (lb_stats.h, lb_excpath.h) through lb_metrics_counter_name(): a
 * counter added to a table is exported without a line here. Values are a
 * moment's view, as `stats` and `backends` show them: the workers keep
 * writing while management reads.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>

#include "lb_flow.h"
#include "metrics_priv.h"

#define L(n, v) { .name = (n), .value = (v) }

/* What one render reads once. */
struct scrape {
	const struct lb_metrics_src *src;
	const struct lb_config *cfg;
	struct lb_worker_stats *sum;
};

static unsigned int
n_ports(const struct lb_config *cfg)
{
	return RTE_MIN(cfg->n_ports, (uint32_t)LB_MAX_PORTS);
}

/* ---- counter tables ---------------------------------------------------- */

/* Family of table row @p d, one sample per element: @p n bases at
 * @p stride bytes apart, labelled by @p label with @p values. */
static void
desc_family(struct lb_metrics_out *o, const char *prefix,
	    const struct lb_counter_desc *d, const char *label,
	    const char *const *values, const void *base, size_t stride,
	    unsigned int n)
{
	char name[128];
	unsigned int i;

	lb_metrics_counter_name(name, sizeof(name), prefix, d);
	lb_metrics_family(o, name, d->kind == LB_COUNTER ?
			  LB_METRICS_COUNTER : LB_METRICS_GAUGE, d->help);
	for (i = 0; i < n; i++) {
		struct lb_metrics_label l = L(label, label != NULL ?
					      values[i] : NULL);

		lb_metrics_sample_u64(o, &l, label != NULL, lb_counter_value(d,
			(const char *)base + (size_t)i * stride));
	}
}

/* Every row of a table (see desc_family). */
static void
desc_table(struct lb_metrics_out *o, const char *prefix,
	   const struct lb_counter_desc *(*table)(unsigned int *n),
	   const char *label, const char *const *values, const void *base,
	   size_t stride, unsigned int n)
{
	unsigned int i, rows;
	const struct lb_counter_desc *d = table(&rows);

	for (i = 0; i < rows; i++)
		desc_family(o, prefix, &d[i], label, values, base, stride, n);
}

static void
port_names(const struct lb_config *cfg, const char **names)
{
	unsigned int i;

	for (i = 0; i < n_ports(cfg); i++)
		names[i] = cfg->ports[i].name;
}

static void
collect_ports(struct lb_metrics_out *o, const struct scrape *s)
{
	static const struct lb_excpath_port_stats none;
	struct lb_excpath_port_stats k[LB_MAX_PORTS] = { 0 };
	const char *names[LB_MAX_PORTS] = { 0 };
	unsigned int i, r, np = n_ports(s->cfg);

	port_names(s->cfg, names);
	desc_table(o, "edgelb_port_", lb_stats_port_counters, "port", names,
		   s->sum->port, sizeof(s->sum->port[0]), np);
	for (i = 0; i < np; i++) {
		const struct lb_excpath_port_stats *p = s->src->xp != NULL ?
			lb_excpath_port_stats(s->src->xp, i) : NULL;

		k[i] = p != NULL ? *p : none;
	}
	desc_table(o, "edgelb_port_", lb_excpath_port_counters, "port", names,
		   k, sizeof(k[0]), np);
	lb_metrics_family(o, "edgelb_drops_total", LB_METRICS_COUNTER,
			  "packets a worker did not forward, by port and "
			  "reason (every reason, zeros included)");
	for (i = 0; i < np; i++)
		for (r = 0; r < LB_DROP_MAX; r++) {
			struct lb_metrics_label l[] = {
				L("port", names[i]),
				L("reason", lb_drop_reason_name(r)) };

			lb_metrics_sample_u64(o, l, 2, s->sum->port[i].drops[r]);
		}
}

static void
collect_kernel_loop(struct lb_metrics_out *o, const struct scrape *s)
{
	static const struct lb_excpath_loop_stats none;

	desc_table(o, "edgelb_kernel_", lb_excpath_loop_counters, NULL, NULL,
		   s->src->xp != NULL ? lb_excpath_loop_stats(s->src->xp) :
		   &none, 0, 1);
}

static void
collect_vips(struct lb_metrics_out *o, const struct scrape *s)
{
	const struct lb_config *cfg = s->cfg;
	unsigned int i, rows, v, nv = RTE_MIN(cfg->n_vips, (uint32_t)LB_MAX_VIPS);
	const struct lb_counter_desc *d = lb_stats_vip_counters(&rows);
	char name[128];

	for (i = 0; i < rows; i++) {
		lb_metrics_counter_name(name, sizeof(name), "edgelb_vip_", &d[i]);
		lb_metrics_family(o, name, d[i].kind == LB_COUNTER ?
				  LB_METRICS_COUNTER : LB_METRICS_GAUGE,
				  d[i].help);
		for (v = 0; v < nv; v++) {
			struct lb_metrics_label l = L("vip", cfg->vips[v].name);

			lb_metrics_sample_u64(o, &l, 1, lb_counter_value(&d[i],
				&s->sum->vip[cfg->vips[v].id]));
		}
	}
}

/* ---- backends ---------------------------------------------------------- */

/* One row per backend per VIP that sends to its pool, then the backends
 * of pools no VIP sends to (vip ""), then removed ones (pool ""): the
 * rows `backends` lists. */
struct be_row {
	const char *vip;
	uint32_t b;                 /* index in cfg->backends */
	uint64_t pool_new_flows;
};

static uint64_t
pool_new_flows(const struct scrape *s, uint32_t p)
{
	uint64_t t = 0;
	uint32_t b;

	for (b = 0; b < s->cfg->n_backends; b++)
		if (s->cfg->backends[b].pool == p)
			t += s->sum->backend[s->cfg->backends[b].id].new_flows;
	return t;
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
rows_of_pool(const struct scrape *s, const char *vip, uint32_t p,
	     struct be_row *rows, unsigned int *n, unsigned int max)
{
	uint64_t total = pool_new_flows(s, p);
	uint32_t b;

	for (b = 0; b < s->cfg->n_backends && *n < max; b++)
		if (s->cfg->backends[b].pool == p)
			rows[(*n)++] = (struct be_row){ vip, b, total };
}

static struct be_row *
backend_rows(const struct scrape *s, unsigned int *n)
{
	const struct lb_config *cfg = s->cfg;
	unsigned int max = cfg->n_backends * (cfg->n_vips + 1) + 1;
	struct be_row *rows = calloc(max, sizeof(*rows));
	uint32_t v, p;

	*n = 0;
	if (rows == NULL)
		return NULL;
	for (v = 0; v < cfg->n_vips; v++)
		rows_of_pool(s, cfg->vips[v].name, cfg->vips[v].pool, rows, n,
			     max);
	for (p = 0; p < cfg->n_pools; p++)
		if (!pool_has_vip(cfg, p))
			rows_of_pool(s, "", p, rows, n, max);
	rows_of_pool(s, "", UINT32_MAX, rows, n, max);
	return rows;
}

static void
row_labels(const struct scrape *s, const struct be_row *r,
	   struct lb_metrics_label *l)
{
	const struct lb_backend_conf *bc = &s->cfg->backends[r->b];

	l[0] = (struct lb_metrics_label)L("vip", r->vip);
	l[1] = (struct lb_metrics_label)L("pool", bc->pool < s->cfg->n_pools ?
					  s->cfg->pools[bc->pool].name : "");
	l[2] = (struct lb_metrics_label)L("backend", bc->name);
}

static void
backend_counters(struct lb_metrics_out *o, const struct scrape *s,
		 const struct be_row *rows, unsigned int n)
{
	unsigned int i, k, nd;
	const struct lb_counter_desc *d = lb_stats_backend_counters(&nd);
	struct lb_metrics_label l[3];
	char name[128];

	for (k = 0; k < nd; k++) {
		lb_metrics_counter_name(name, sizeof(name), "edgelb_backend_",
					&d[k]);
		lb_metrics_family(o, name, d[k].kind == LB_COUNTER ?
				  LB_METRICS_COUNTER : LB_METRICS_GAUGE,
				  d[k].help);
		for (i = 0; i < n; i++) {
			row_labels(s, &rows[i], l);
			lb_metrics_sample_u64(o, l, 3, lb_counter_value(&d[k],
				&s->sum->backend[s->cfg->backends[rows[i].b].id]));
		}
	}
}

/* A per-row gauge; @p value returns 0 to leave the row out. */
typedef int (*row_value_fn)(const struct scrape *s, const struct be_row *r,
			    double *v);

static void
backend_gauge(struct lb_metrics_out *o, const struct scrape *s,
	      const struct be_row *rows, unsigned int n, const char *name,
	      const char *help, row_value_fn fn)
{
	struct lb_metrics_label l[3];
	unsigned int i;
	double v;

	lb_metrics_family(o, name, LB_METRICS_GAUGE, help);
	for (i = 0; i < n; i++)
		if (fn(s, &rows[i], &v)) {
			row_labels(s, &rows[i], l);
			lb_metrics_sample(o, l, 3, v);
		}
}

static int
v_expected(const struct scrape *s, const struct be_row *r, double *v)
{
	*v = lb_config_expected_share(s->cfg, r->b);
	return 1;
}

static int
v_observed(const struct scrape *s, const struct be_row *r, double *v)
{
	uint64_t mine = s->sum->backend[s->cfg->backends[r->b].id].new_flows;

	*v = r->pool_new_flows > 0 ?
		(double)mine / (double)r->pool_new_flows : 0.0;
	return 1;
}

static int
v_max_share(const struct scrape *s, const struct be_row *r, double *v)
{
	*v = s->cfg->backends[r->b].max_share / 100.0;
	return s->cfg->backends[r->b].max_share != 0;
}

static int
v_weight(const struct scrape *s, const struct be_row *r, double *v)
{
	*v = s->cfg->backends[r->b].weight;
	return 1;
}

static int
v_table_weight(const struct scrape *s, const struct be_row *r, double *v)
{
	*v = s->cfg->backends[r->b].table_weight;
	return 1;
}

static int
v_health_up(const struct scrape *s, const struct be_row *r, double *v)
{
	enum lb_health_state h = s->src->health != NULL ?
		lb_health_state_of(s->src->health,
				   s->cfg->backends[r->b].id) :
		LB_HEALTH_UNCHECKED;

	*v = h == LB_HEALTH_UP;
	return h != LB_HEALTH_UNCHECKED;
}

static int
v_latency(const struct scrape *s, const struct be_row *r, double *v)
{
	uint32_t us;

	if (s->src->health == NULL ||
	    lb_health_last_latency_us(s->src->health,
				      s->cfg->backends[r->b].id, &us) != 0)
		return 0;
	*v = us / 1e6;
	return 1;
}

static void
collect_backends(struct lb_metrics_out *o, const struct scrape *s)
{
	unsigned int n;
	struct be_row *rows = backend_rows(s, &n);

	if (rows == NULL) {
		o->oom = 1;
		return;
	}
	backend_counters(o, s, rows, n);
	backend_gauge(o, s, rows, n, "edgelb_backend_expected_share",
		      "share of its pool's new flows the running table gives "
		      "it (0..1)", v_expected);
	backend_gauge(o, s, rows, n, "edgelb_backend_observed_share",
		      "its share of its pool's new flows since start (0..1); "
		      "rates over a window: edgelb.rules.yml", v_observed);
	backend_gauge(o, s, rows, n, "edgelb_backend_max_share",
		      "policy max_share as a ratio (0..1); only backends that "
		      "set it", v_max_share);
	backend_gauge(o, s, rows, n, "edgelb_backend_weight",
		      "configured weight", v_weight);
	backend_gauge(o, s, rows, n, "edgelb_backend_table_weight",
		      "weight it has in its pool's table now (0: out: down, "
		      "drained, disabled; less during slow start)",
		      v_table_weight);
	backend_gauge(o, s, rows, n, "edgelb_backend_health_up",
		      "1 if health checks have it up, 0 if down; only checked "
		      "backends that have been decided", v_health_up);
	backend_gauge(o, s, rows, n, "edgelb_backend_health_latency_seconds",
		      "latency of its last finished health check (to connect, "
		      "or to the HTTP status line, or to the failure)",
		      v_latency);
	free(rows);
}

/* ---- pools ------------------------------------------------------------- */

/* As lib/policy counts for min_healthy: configured, and up with weight. */
static void
pool_counts(const struct lb_config *cfg, uint32_t p, uint32_t *n,
	    uint32_t *healthy)
{
	const struct lb_backend_conf *be;
	uint32_t b;

	*n = *healthy = 0;
	for (b = 0; b < cfg->n_backends; b++) {
		be = &cfg->backends[b];
		if (be->pool != p || be->state == LB_BACKEND_REMOVED)
			continue;
		(*n)++;
		*healthy += be->state == LB_BACKEND_UP && be->weight > 0 &&
			    !be->down;
	}
}

/* Each pool's live table by name: the same on every box of a fleet that
 * builds the same table (deploy/prometheus/fleet.rules.yml compares
 * them). */
static void
pool_fingerprints(struct lb_metrics_out *o, const struct lb_config *cfg,
		  uint32_t np)
{
	struct lb_metrics_label l[2];
	char fp[20];
	uint32_t p;

	lb_metrics_family(o, "edgelb_pool_fingerprint_info", LB_METRICS_GAUGE,
			  "always 1; the fingerprint of the pool's live table "
			  "(status pools[].fingerprint) in a label");
	for (p = 0; p < np; p++) {
		l[0] = (struct lb_metrics_label)L("pool", cfg->pools[p].name);
		l[1] = (struct lb_metrics_label)L("fingerprint",
			lb_config_fingerprint_hex(cfg, p, fp, sizeof(fp)));
		lb_metrics_sample(o, l, 2, 1);
	}
}

static void
collect_pools(struct lb_metrics_out *o, const struct scrape *s)
{
	const struct lb_config *cfg = s->cfg;
	uint32_t p, n[LB_MAX_BACKENDS], up[LB_MAX_BACKENDS];
	uint32_t np = RTE_MIN(cfg->n_pools, (uint32_t)LB_MAX_BACKENDS);
	struct lb_metrics_label l;

	for (p = 0; p < np; p++)
		pool_counts(cfg, p, &n[p], &up[p]);
	lb_metrics_family(o, "edgelb_pool_backends", LB_METRICS_GAUGE,
			  "backends configured in the pool (removed ones "
			  "aside)");
	for (p = 0; p < np; p++) {
		l = (struct lb_metrics_label)L("pool", cfg->pools[p].name);
		lb_metrics_sample_u64(o, &l, 1, n[p]);
	}
	lb_metrics_family(o, "edgelb_pool_backends_healthy", LB_METRICS_GAUGE,
			  "backends up with weight > 0: what min_healthy "
			  "counts");
	for (p = 0; p < np; p++) {
		l = (struct lb_metrics_label)L("pool", cfg->pools[p].name);
		lb_metrics_sample_u64(o, &l, 1, up[p]);
	}
	lb_metrics_family(o, "edgelb_pool_min_healthy", LB_METRICS_GAUGE,
			  "policy min_healthy as a count of backends (a "
			  "percent rounded up); only pools that set it");
	for (p = 0; p < np; p++) {
		const struct lb_pool_conf *pc = &cfg->pools[p];

		if (pc->min_healthy == 0)
			continue;
		l = (struct lb_metrics_label)L("pool", pc->name);
		lb_metrics_sample_u64(o, &l, 1, pc->min_healthy_percent ?
			((uint64_t)pc->min_healthy * n[p] + 99) / 100 :
			pc->min_healthy);
	}
	pool_fingerprints(o, cfg, np);
}

/* ---- workers ----------------------------------------------------------- */

static double
tsc_s(uint64_t tsc)
{
	uint64_t hz = rte_get_tsc_hz();

	return hz != 0 ? (double)tsc / (double)hz : 0.0;   /* 0: no EAL */
}

struct worker_fig {
	const char *name;
	enum lb_metrics_type type;
	const char *help;
	int is_seconds;
	uint64_t (*get)(const struct lb_worker *w, const struct lb_config *c);
};

static uint64_t
w_totals(const struct lb_worker *w, const struct lb_config *cfg, int what)
{
	uint64_t t = 0;
	unsigned int p;

	for (p = 0; p < n_ports(cfg); p++)
		t += what == 0 ? w->stats.port[p].rx_packets :
		     what == 1 ? w->stats.port[p].tx_packets :
		     lb_stats_port_drops(&w->stats.port[p]);
	return t;
}

static uint64_t w_rx(const struct lb_worker *w, const struct lb_config *c)
{ return w_totals(w, c, 0); }
static uint64_t w_tx(const struct lb_worker *w, const struct lb_config *c)
{ return w_totals(w, c, 1); }
static uint64_t w_drops(const struct lb_worker *w, const struct lb_config *c)
{ return w_totals(w, c, 2); }
static uint64_t w_entries(const struct lb_worker *w, const struct lb_config *c)
{ (void)c; return w->stats.flow.entries; }
static uint64_t w_capacity(const struct lb_worker *w, const struct lb_config *c)
{ (void)c; return w->flows != NULL ? lb_flow_table_capacity(w->flows) : 0; }
static uint64_t w_loops(const struct lb_worker *w, const struct lb_config *c)
{ (void)c; return w->stats.loops; }
static uint64_t w_idle(const struct lb_worker *w, const struct lb_config *c)
{ (void)c; return w->stats.idle_loops; }
static uint64_t w_busy_max(const struct lb_worker *w, const struct lb_config *c)
{ (void)c; return __atomic_load_n(&w->busy_loop_max_tsc, __ATOMIC_RELAXED); }
static uint64_t w_swap_max(const struct lb_worker *w, const struct lb_config *c)
{ (void)c; return __atomic_load_n(&w->swap_loop_max_tsc, __ATOMIC_RELAXED); }

/* The figures `stats --per-core` shows, per worker. */
static const struct worker_fig worker_figs[] = {
	{ "edgelb_worker_rx_packets_total", LB_METRICS_COUNTER,
	  "packets the worker received, all ports", 0, w_rx },
	{ "edgelb_worker_tx_packets_total", LB_METRICS_COUNTER,
	  "packets the worker sent, all ports", 0, w_tx },
	{ "edgelb_worker_drops_total", LB_METRICS_COUNTER,
	  "packets the worker did not forward, all ports and reasons", 0,
	  w_drops },
	{ "edgelb_worker_flow_table_entries", LB_METRICS_GAUGE,
	  "live entries in the worker's flow table", 0, w_entries },
	{ "edgelb_worker_flow_table_capacity", LB_METRICS_GAUGE,
	  "entries the worker's flow table holds at most", 0, w_capacity },
	{ "edgelb_worker_loops_total", LB_METRICS_COUNTER,
	  "iterations of the worker's loop", 0, w_loops },
	{ "edgelb_worker_idle_loops_total", LB_METRICS_COUNTER,
	  "iterations that found no packet", 0, w_idle },
	{ "edgelb_worker_busy_loop_max_seconds", LB_METRICS_GAUGE,
	  "longest busy loop iteration since start or the last "
	  "`stats --per-core --reset-max`", 1, w_busy_max },
	{ "edgelb_worker_swap_loop_max_seconds", LB_METRICS_GAUGE,
	  "longest loop iteration that first ran a new configuration", 1,
	  w_swap_max },
};

static void
collect_workers(struct lb_metrics_out *o, const struct scrape *s)
{
	const struct lb_dp *dp = s->src->dp;
	unsigned int f, i, nw = RTE_MIN(dp->n_workers, (unsigned int)LB_MAX_WORKERS);
	char idx[12];

	for (f = 0; f < RTE_DIM(worker_figs); f++) {
		const struct worker_fig *wf = &worker_figs[f];

		lb_metrics_family(o, wf->name, wf->type, wf->help);
		for (i = 0; i < nw; i++) {
			struct lb_metrics_label l = L("worker", idx);
			uint64_t v = wf->get(dp->workers[i], s->cfg);

			snprintf(idx, sizeof(idx), "%u", i);
			if (wf->is_seconds)
				lb_metrics_sample(o, &l, 1, tsc_s(v));
			else
				lb_metrics_sample_u64(o, &l, 1, v);
		}
	}
}

/* ---- NICs -------------------------------------------------------------- */

struct nic_fig {
	const char *name;
	const char *help;
	size_t offset;
};

#define NIC(f, h) { "edgelb_nic_" #f "_total", h, \
		    offsetof(struct rte_eth_stats, f) }
/* rte_eth_stats as the NIC (PMD) counts it, before any worker sees it. */
static const struct nic_fig nic_figs[] = {
	NIC(ipackets, "packets the NIC received"),
	NIC(opackets, "packets the NIC sent"),
	NIC(ibytes, "bytes the NIC received"),
	NIC(obytes, "bytes the NIC sent"),
	NIC(imissed, "packets the NIC dropped: RX queues full (the workers "
	    "did not keep up)"),
	NIC(ierrors, "erroneous packets the NIC received"),
	NIC(oerrors, "packets the NIC failed to send"),
	NIC(rx_nombuf, "packets dropped for want of an mbuf"),
};

static void
collect_nics(struct lb_metrics_out *o, const struct scrape *s)
{
	struct rte_eth_stats st[LB_MAX_PORTS];
	int ok[LB_MAX_PORTS];
	const char *names[LB_MAX_PORTS] = { 0 };
	unsigned int f, i, np = RTE_MIN(n_ports(s->cfg), s->src->dp->n_ports);

	if (!s->src->read_nics)
		return;
	port_names(s->cfg, names);
	for (i = 0; i < np; i++)
		ok[i] = rte_eth_stats_get(s->src->dp->ports[i].port_id,
					  &st[i]) == 0;
	for (f = 0; f < RTE_DIM(nic_figs); f++) {
		lb_metrics_family(o, nic_figs[f].name, LB_METRICS_COUNTER,
				  nic_figs[f].help);
		for (i = 0; i < np; i++) {
			struct lb_metrics_label l = L("port", names[i]);

			if (ok[i])
				lb_metrics_sample_u64(o, &l, 1, *(const uint64_t *)
					((const char *)&st[i] + nic_figs[f].offset));
		}
	}
}

/* ---- configuration ----------------------------------------------------- */

static void
gauge1(struct lb_metrics_out *o, const char *name, const char *help,
       double v)
{
	lb_metrics_family(o, name, LB_METRICS_GAUGE, help);
	lb_metrics_sample(o, NULL, 0, v);
}

static void
collect_config(struct lb_metrics_out *o, const struct scrape *s)
{
	const struct lb_runtime *rt = s->src->rt;
	const struct lb_runtime_changes *c;
	struct lb_metrics_label l;
	size_t warnings, violations;

	if (rt == NULL)
		return;
	c = lb_runtime_changes(rt);
	gauge1(o, "edgelb_config_generation", "configuration generation "
	       "the workers run", lb_runtime_snapshot(rt)->generation);
	gauge1(o, "edgelb_config_last_change_timestamp_seconds",
	       "when the running generation was applied (Unix time)",
	       (double)lb_runtime_generation_time(rt));
	gauge1(o, "edgelb_config_pending_confirm_generation",
	       "generation applied with --confirm-within and not confirmed "
	       "yet; 0: none", (double)lb_runtime_pending(rt));
	lb_metrics_family(o, "edgelb_config_changes_total", LB_METRICS_COUNTER,
			  "changes recorded in the audit history, by result: "
			  "applied, refused (policy, access, arguments), failed");
	l = (struct lb_metrics_label)L("result", "applied");
	lb_metrics_sample_u64(o, &l, 1, c->applied);
	l.value = "refused";
	lb_metrics_sample_u64(o, &l, 1, c->refused);
	l.value = "failed";
	lb_metrics_sample_u64(o, &l, 1, c->failed);
	violations = lb_runtime_policy_counts(rt, &warnings);
	gauge1(o, "edgelb_policy_violations", "policy violations the running "
	       "generation has (forced through, or left by health "
	       "transitions): status \"policy\"", (double)violations);
	gauge1(o, "edgelb_policy_warnings", "policy warnings the running "
	       "generation has", (double)warnings);
}

static void
collect_process(struct lb_metrics_out *o, const struct scrape *s)
{
	struct lb_metrics_label l = L("version", s->src->version != NULL ?
				      s->src->version : "");

	lb_metrics_family(o, "edgelb_build_info", LB_METRICS_GAUGE,
			  "always 1; the version in a label");
	lb_metrics_sample(o, &l, 1, 1);
	gauge1(o, "edgelb_start_time_seconds", "when edgelbd started (Unix "
	       "time)", (double)s->src->start_time);
}

void
metrics_collect_edgelb(struct lb_metrics_out *o, void *arg)
{
	struct scrape s = { .src = arg };
	const struct lb_snapshot *snap =
		__atomic_load_n(&s.src->dp->snap, __ATOMIC_ACQUIRE);
	const struct lb_worker_stats *w[LB_MAX_WORKERS];
	unsigned int i, nw = RTE_MIN(s.src->dp->n_workers,
				     (unsigned int)LB_MAX_WORKERS);

	collect_process(o, &s);
	if (snap == NULL || snap->cfg == NULL)
		return;
	s.cfg = snap->cfg;
	s.sum = malloc(sizeof(*s.sum));
	if (s.sum == NULL) {
		o->oom = 1;
		return;
	}
	for (i = 0; i < nw; i++)
		w[i] = &s.src->dp->workers[i]->stats;
	lb_stats_sum(s.sum, w, nw);
	collect_config(o, &s);
	desc_table(o, "edgelb_flow_", lb_stats_flow_counters, NULL, NULL,
		   &s.sum->flow, 0, 1);
	collect_ports(o, &s);
	collect_kernel_loop(o, &s);
	collect_nics(o, &s);
	collect_vips(o, &s);
	collect_backends(o, &s);
	collect_pools(o, &s);
	collect_workers(o, &s);
	free(s.sum);
}
