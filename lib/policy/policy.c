/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Policy evaluation: each rule reads the built snapshot (its tables) and
 * adds findings. Rules never refuse anything themselves: the severity
 * says what the caller (--check, the runtime's gate) does.
 */

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "policy_priv.h"

/* ---- findings ------------------------------------------------------------ */

/* Where the value of @key in section "kind.name" came from. */
void
policy_where(const struct lb_config *cfg, const char *kind, const char *name,
	     const char *key, char *buf, size_t size)
{
	char section[LB_NAME_MAX + 16];

	snprintf(section, sizeof(section), "%s%s%s", kind, *name ? "." : "",
		 name);
	if (cfg->spec == NULL)
		snprintf(buf, size, "%s", cfg->path);
	else
		lb_spec_where_of(cfg->spec, section, key, buf, size);
}

/* 1 if @key is set (not a default) in section "kind.name". */
int
policy_is_set(const struct lb_config *cfg, const char *kind, const char *name,
	      const char *key)
{
	char section[LB_NAME_MAX + 16];

	snprintf(section, sizeof(section), "%s.%s", kind, name);
	return cfg->spec != NULL &&
	       lb_spec_get(cfg->spec, section, key) != NULL;
}

const struct lb_policy_code_desc lb_policy_codes[LB_FINDING_N_CODES] = {
#define LB_POLICY_CODE_ROW(n, kind, h) \
	[LB_FINDING_##n] = { .name = #n, .lint = LB_POLICY_KIND_##kind, .help = h },
#define LB_POLICY_KIND_RULE 0
#define LB_POLICY_KIND_LINT 1
	LB_POLICY_CODES(LB_POLICY_CODE_ROW)
#undef LB_POLICY_CODE_ROW
};

struct lb_policy_finding *
policy_add(struct policy_ctx *c, enum lb_policy_code code,
	   const char *fmt, ...)
{
	struct lb_policy_finding *f;
	va_list ap;

	if (c->failed)
		return &c->scratch;
	if (c->r->n_findings == c->cap) {
		uint32_t cap = c->cap ? 2 * c->cap : 16;
		void *p = realloc(c->r->findings, cap * sizeof(*f));

		if (p == NULL) {
			c->failed = 1;
			return &c->scratch;
		}
		c->r->findings = p;
		c->cap = cap;
	}
	f = &c->r->findings[c->r->n_findings++];
	memset(f, 0, sizeof(*f));
	f->code = lb_policy_codes[code].name;
	f->severity = lb_policy_codes[code].lint && !c->cfg->global.strict ?
		      LB_POLICY_WARNING : LB_POLICY_VIOLATION;
	if (c->cfg->global.policy_warn)
		f->severity = LB_POLICY_WARNING;
	va_start(ap, fmt);
	vsnprintf(f->message, sizeof(f->message), fmt, ap);
	va_end(ap);
	return f;
}

/* Fill the names of @f: pool @pi, its first VIP, backend @b (or none). */
void
policy_names(const struct lb_config *cfg, struct lb_policy_finding *f,
	     uint32_t pi, uint32_t b)
{
	uint32_t v;

	if (pi < cfg->n_pools) {
		snprintf(f->pool, sizeof(f->pool), "%s", cfg->pools[pi].name);
		for (v = 0; v < cfg->n_vips; v++)
			if (cfg->vips[v].pool == pi) {
				snprintf(f->vip, sizeof(f->vip), "%s",
					 cfg->vips[v].name);
				break;
			}
	}
	if (b < cfg->n_backends)
		snprintf(f->backend, sizeof(f->backend), "%s",
			 cfg->backends[b].name);
}

/* A backend the file configures (not REMOVED, kept only for its flows). */
int
policy_configured(const struct lb_backend_conf *be, uint32_t pi)
{
	return be->pool == pi && be->state != LB_BACKEND_REMOVED;
}

/* The backend's weight line if the file sets it, else @key's line. */
static void
where_weight_or(const struct lb_config *cfg, uint32_t b, const char *kind,
		const char *name, const char *key, char *buf, size_t size)
{
	if (policy_is_set(cfg, "backend", cfg->backends[b].name, "weight"))
		policy_where(cfg, "backend", cfg->backends[b].name, "weight",
			     buf, size);
	else
		policy_where(cfg, kind, name, key, buf, size);
}

/* ---- shares --------------------------------------------------------------- */

static void
fill_shares(struct policy_ctx *c)
{
	const struct lb_config *cfg = c->cfg;
	uint32_t b;

	for (b = 0; b < cfg->n_backends; b++) {
		c->r->share[b] = 100.0 * lb_config_expected_share(cfg, b);
		c->r->worst[b] = -1;
		c->r->worst_down[b] = UINT32_MAX;
		c->r->before[b] = -1;
	}
}

/*
 * Pool @pi with each member in turn left out: the slot counts of the
 * table built without it (lb_sched_maglev_count_slots: the builder's own
 * counts, no table filled), keeping each survivor's worst share. One
 * buffer of n - 1 backends and one of counts serve all N builds.
 */
/* Members that own slots (weight > 0 in the table). */
static uint32_t
weighted_members(const struct lb_config *cfg, const struct lb_pool_conf *p)
{
	uint32_t i, n = 0;

	for (i = 0; i < p->n_members; i++)
		n += cfg->backends[p->members[i]].table_weight > 0;
	return n;
}

static int
one_down_shares(struct policy_ctx *c, uint32_t pi)
{
	const struct lb_config *cfg = c->cfg;
	const struct lb_pool_conf *p = &cfg->pools[pi];
	struct lb_sched_backend *be;
	uint32_t *counts, *who, k, i, j;
	double s;
	int rc = 0;

	if (weighted_members(cfg, p) < 2 || p->maglev.size == 0)
		return 0;
	be = calloc(p->n_members, sizeof(*be));
	counts = calloc(p->n_members, sizeof(*counts));
	who = calloc(p->n_members, sizeof(*who));
	if (be == NULL || counts == NULL || who == NULL)
		rc = -ENOMEM;
	for (k = 0; rc == 0 && k < p->n_members; k++) {
		if (cfg->backends[p->members[k]].table_weight == 0)
			continue;       /* owns no slot: nothing changes */
		/* members stay in name order: the build's order */
		for (i = 0, j = 0; i < p->n_members; i++) {
			const struct lb_backend_conf *m =
				&cfg->backends[p->members[i]];

			if (i == k)
				continue;
			be[j].name = m->name;
			be[j].weight = m->table_weight;
			who[j++] = p->members[i];
		}
		rc = lb_sched_maglev_count_slots(be, j, p->maglev.size, counts);
		for (i = 0; rc == 0 && i < j; i++) {
			if (be[i].weight == 0)
				continue;
			s = 100.0 * counts[i] / p->maglev.size;
			if (s > c->r->worst[who[i]]) {
				c->r->worst[who[i]] = s;
				c->r->worst_down[who[i]] = p->members[k];
			}
		}
	}
	free(be);
	free(counts);
	free(who);
	return rc;
}

/* Sum of the expected_rate of the VIPs pool @pi serves (0: none said). */
uint64_t
policy_pool_rate(const struct lb_config *cfg, uint32_t pi, uint32_t *first)
{
	uint64_t rate = 0;
	uint32_t v;

	*first = UINT32_MAX;
	for (v = 0; v < cfg->n_vips; v++) {
		if (cfg->vips[v].pool != pi || cfg->vips[v].expected_rate == 0)
			continue;
		rate += cfg->vips[v].expected_rate;
		if (*first == UINT32_MAX)
			*first = v;
	}
	return rate;
}

/* 1 if every member of pool @pi's table says its capacity. */
int
policy_capacity_known(const struct lb_config *cfg, uint32_t pi)
{
	const struct lb_pool_conf *p = &cfg->pools[pi];
	uint32_t i;

	for (i = 0; i < p->n_members; i++)
		if (cfg->backends[p->members[i]].capacity == 0)
			return 0;
	return p->n_members > 0;
}

/* Whose rules need the one-down shares. */
static int
needs_one_down(const struct policy_ctx *c, uint32_t pi)
{
	uint32_t first;

	return (c->flags & LB_POLICY_ALL_N1) || c->cfg->pools[pi].n_minus_1 ||
	       (policy_pool_rate(c->cfg, pi, &first) > 0 &&
		policy_capacity_known(c->cfg, pi));
}

/* ---- the rules ------------------------------------------------------------ */

/*
 * Above @max percent by more than one slot: a table of prime size cannot
 * split evenly (two equal backends of 65537 slots hold 32769 and 32768),
 * and that rounding is no one's intent.
 */
static int
over_share(double share, uint32_t max, uint32_t table_size)
{
	return table_size > 0 && share > max + 100.0 / table_size + 1e-9;
}

static void
rule_max_share(struct policy_ctx *c, uint32_t pi)
{
	const struct lb_config *cfg = c->cfg;
	const struct lb_pool_conf *p = &cfg->pools[pi];
	struct lb_policy_finding *f;
	uint32_t i, b;

	for (i = 0; i < p->n_members; i++) {
		b = p->members[i];
		if (cfg->backends[b].max_share == 0 ||
		    !over_share(c->r->share[b], cfg->backends[b].max_share,
				p->maglev.size))
			continue;
		f = policy_add(c, LB_FINDING_max_share,
			       "pool %s: backend %s (weight %u) would get "
			       "%.2f%% of new flows, above its max_share = %u",
			       p->name, cfg->backends[b].name,
			       cfg->backends[b].weight, c->r->share[b],
			       cfg->backends[b].max_share);
		policy_names(cfg, f, pi, b);
		where_weight_or(cfg, b, "backend", cfg->backends[b].name,
				"max_share", f->where, sizeof(f->where));
	}
}

/* Up with weight > 0: not drained, disabled, down or weight 0. */
static int
healthy(const struct lb_backend_conf *be)
{
	return be->state == LB_BACKEND_UP && be->weight > 0 && !be->down;
}

static void
rule_min_healthy(struct policy_ctx *c, uint32_t pi)
{
	const struct lb_config *cfg = c->cfg;
	const struct lb_pool_conf *p = &cfg->pools[pi];
	struct lb_policy_finding *f;
	uint32_t b, n = 0, up = 0, need;

	if (p->min_healthy == 0)
		return;
	for (b = 0; b < cfg->n_backends; b++)
		if (policy_configured(&cfg->backends[b], pi)) {
			n++;
			up += healthy(&cfg->backends[b]);
		}
	/* a percent rounds up: 50% of 3 is 2, never 1 */
	need = p->min_healthy_percent ?
		(uint32_t)(((uint64_t)p->min_healthy * n + 99) / 100) :
		p->min_healthy;
	if (up >= need)
		return;
	f = policy_add(c, LB_FINDING_min_healthy,
		       "pool %s: %u of its %u backends up with weight > 0, "
		       "min_healthy = %u%s needs %u", p->name, up, n,
		       p->min_healthy, p->min_healthy_percent ? "%" : "", need);
	policy_names(cfg, f, pi, UINT32_MAX);
	policy_where(cfg, "pool", p->name, "min_healthy", f->where,
		     sizeof(f->where));
}

static void
rule_weight_ratio(struct policy_ctx *c, uint32_t pi)
{
	const struct lb_config *cfg = c->cfg;
	const struct lb_pool_conf *p = &cfg->pools[pi];
	struct lb_policy_finding *f;
	uint32_t b, lo = UINT32_MAX, hi = UINT32_MAX, w;

	if (p->max_weight_ratio == 0)
		return;
	for (b = 0; b < cfg->n_backends; b++) {
		w = cfg->backends[b].weight;
		if (!policy_configured(&cfg->backends[b], pi) || w == 0)
			continue;
		if (lo == UINT32_MAX || w < cfg->backends[lo].weight)
			lo = b;
		if (hi == UINT32_MAX || w > cfg->backends[hi].weight)
			hi = b;
	}
	if (lo == UINT32_MAX || (uint64_t)cfg->backends[hi].weight <=
	    (uint64_t)p->max_weight_ratio * cfg->backends[lo].weight)
		return;
	f = policy_add(c, LB_FINDING_weight_ratio,
		       "pool %s: weight ratio %.1f (%s %u / %s %u) is above "
		       "max_weight_ratio = %u", p->name,
		       (double)cfg->backends[hi].weight /
		       cfg->backends[lo].weight, cfg->backends[hi].name,
		       cfg->backends[hi].weight, cfg->backends[lo].name,
		       cfg->backends[lo].weight, p->max_weight_ratio);
	policy_names(cfg, f, pi, hi);
	where_weight_or(cfg, hi, "pool", p->name, "max_weight_ratio",
			f->where, sizeof(f->where));
}

static void
rule_n_minus_1(struct policy_ctx *c, uint32_t pi)
{
	const struct lb_config *cfg = c->cfg;
	const struct lb_pool_conf *p = &cfg->pools[pi];
	struct lb_policy_finding *f;
	uint32_t i, b, n = weighted_members(cfg, p), only = UINT32_MAX;

	if (!p->n_minus_1)
		return;
	if (n < 2) {
		for (i = 0; i < p->n_members; i++)
			if (cfg->backends[p->members[i]].table_weight > 0)
				only = p->members[i];
		f = policy_add(c, LB_FINDING_n_minus_1,
			       "pool %s: %u backend%s with weight > 0 in its "
			       "table: with one down nothing is left", p->name,
			       n, n == 1 ? "" : "s");
		policy_names(cfg, f, pi, only);
		policy_where(cfg, "pool", p->name, "n_minus_1", f->where,
			     sizeof(f->where));
		return;
	}
	for (i = 0; i < p->n_members; i++) {
		b = p->members[i];
		if (cfg->backends[b].max_share == 0 ||
		    !over_share(c->r->worst[b], cfg->backends[b].max_share,
				p->maglev.size))
			continue;
		f = policy_add(c, LB_FINDING_n_minus_1,
			       "pool %s: with %s down, backend %s would get "
			       "%.2f%% of new flows, above its max_share = %u",
			       p->name, cfg->backends[c->r->worst_down[b]].name,
			       cfg->backends[b].name, c->r->worst[b],
			       cfg->backends[b].max_share);
		policy_names(cfg, f, pi, b);
		policy_where(cfg, "pool", p->name, "n_minus_1", f->where,
			     sizeof(f->where));
	}
}

/* ---- entry points ---------------------------------------------------------- */

static int
report_alloc(struct lb_policy_report *r, uint32_t n)
{
	r->share = calloc(n + 1, sizeof(*r->share));
	r->worst = calloc(n + 1, sizeof(*r->worst));
	r->worst_down = calloc(n + 1, sizeof(*r->worst_down));
	r->before = calloc(n + 1, sizeof(*r->before));
	return r->share && r->worst && r->worst_down && r->before ? 0 : -1;
}

static void
count_severities(struct lb_policy_report *r)
{
	uint32_t i;

	for (i = 0; i < r->n_findings; i++) {
		if (r->findings[i].severity == LB_POLICY_VIOLATION)
			r->n_violations++;
		else
			r->n_warnings++;
	}
}

struct lb_policy_report *
lb_policy_evaluate(const struct lb_config *before,
		   const struct lb_config *after, unsigned int flags)
{
	struct lb_policy_report *r = calloc(1, sizeof(*r));
	struct policy_ctx c = { .cfg = after, .before = before, .r = r,
				.flags = flags };
	uint32_t pi;

	if (r == NULL || report_alloc(r, after->n_backends) < 0) {
		lb_policy_report_free(r);
		return NULL;
	}
	fill_shares(&c);
	if (policy_fill_before(&c) < 0)
		c.failed = 1;
	for (pi = 0; pi < after->n_pools && !c.failed; pi++) {
		if (needs_one_down(&c, pi) && one_down_shares(&c, pi) < 0)
			c.failed = 1;
		rule_max_share(&c, pi);
		rule_min_healthy(&c, pi);
		rule_weight_ratio(&c, pi);
		rule_n_minus_1(&c, pi);
		policy_rule_share_change(&c, pi);
		policy_lint_pool(&c, pi);
	}
	if (!c.failed)
		policy_lint_addresses(&c);
	free(c.removed);
	if (c.failed) {
		lb_policy_report_free(r);
		return NULL;
	}
	count_severities(r);
	return r;
}

void
lb_policy_report_free(struct lb_policy_report *r)
{
	if (r == NULL)
		return;
	free(r->findings);
	free(r->share);
	free(r->worst);
	free(r->worst_down);
	free(r->before);
	free(r);
}

static json_t *
str_or_null(const char *s)
{
	return s != NULL && *s != '\0' ? json_string(s) : json_null();
}

json_t *
lb_policy_finding_json(const struct lb_policy_finding *f)
{
	return json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:o}",
		"severity", f->severity == LB_POLICY_VIOLATION ? "violation" :
							       "warning",
		"code", f->code, "message", f->message,
		"where", str_or_null(f->where), "pool", str_or_null(f->pool),
		"vip", str_or_null(f->vip), "backend", str_or_null(f->backend));
}

json_t *
lb_policy_findings_json(const struct lb_policy_report *r)
{
	json_t *a = json_array();
	uint32_t i;

	for (i = 0; a != NULL && i < r->n_findings; i++)
		if (json_array_append_new(a, lb_policy_finding_json(
						  &r->findings[i])) < 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

json_t *
lb_policy_gate(const struct lb_config *before, const struct lb_config *after,
	       void *arg)
{
	struct lb_policy_report *r;
	json_t *a;

	(void)arg;
	r = lb_policy_evaluate(before, after, 0);
	if (r == NULL)
		return NULL;
	a = lb_policy_findings_json(r);
	lb_policy_report_free(r);
	return a;
}
