/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The check report: per VIP the table the workers would use, with what the
 * policy judged by (max_share, the worst share with one backend down),
 * then the findings. Text for people, JSON for deploy pipelines; both
 * from the same report.
 */

#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <string.h>

#include "lb_policy.h"

static const char *
ipstr(uint32_t addr, char *buf)
{
	return inet_ntop(AF_INET, &addr, buf, INET_ADDRSTRLEN);
}

static int
name_width(const struct lb_config *cfg, const struct lb_pool_conf *p)
{
	int w = (int)strlen("backend");
	uint32_t i;

	for (i = 0; i < p->n_members; i++)
		w = RTE_MAX(w, (int)strlen(cfg->backends[p->members[i]].name));
	return w;
}

static uint64_t
pool_weight(const struct lb_config *cfg, const struct lb_pool_conf *p)
{
	uint64_t sum = 0;
	uint32_t i;

	for (i = 0; i < p->n_members; i++)
		sum += cfg->backends[p->members[i]].table_weight;
	return sum;
}

static void
print_header(const struct lb_config *cfg, const struct lb_vip_conf *v,
	     FILE *out)
{
	char a[INET_ADDRSTRLEN], fp[20];

	fprintf(out, "vip %s %s %s:%u mode dr pool %s maglev M=%u "
		"fingerprint %s\n", v->name,
		v->proto == IPPROTO_UDP ? "udp" : "tcp", ipstr(v->addr, a),
		v->port, cfg->pools[v->pool].name,
		cfg->pools[v->pool].table_size,
		lb_config_fingerprint_hex(cfg, v->pool, fp, sizeof(fp)));
}

/* One token per column, so that columns line up with the header. */
static void
print_row(const struct lb_config *cfg, const struct lb_policy_report *r,
	  uint32_t b, int w, uint64_t total, FILE *out)
{
	const struct lb_backend_conf *be = &cfg->backends[b];
	const struct lb_pool_conf *p = &cfg->pools[be->pool];
	char a[INET_ADDRSTRLEN], ms[16] = "-", worst[24] = "-";
	char down[LB_NAME_MAX + 8] = "-";

	if (be->max_share > 0)
		snprintf(ms, sizeof(ms), "%u%%", be->max_share);
	if (r->worst[b] >= 0) {
		snprintf(worst, sizeof(worst), "%.2f%%", r->worst[b]);
		snprintf(down, sizeof(down), "down:%s",
			 cfg->backends[r->worst_down[b]].name);
	}
	/* The last three columns as before the policy columns came: tools
	 * read the shares from the end of the row. */
	fprintf(out, "  %-*s  %-15s  %6u  %9s  %12s  %-*s  %11.2f%%  "
		"%13.2f%%  %8u\n", w, be->name, ipstr(be->addr, a),
		be->table_weight, ms, worst, w + 5, down,
		total ? 100.0 * be->table_weight / total : 0.0, r->share[b],
		p->member_slots != NULL && be->member < p->n_members ?
		p->member_slots[be->member] : 0);
}

/* A table share this far (points) from the weight share is flagged. */
#define SHARE_TOLERANCE_PCT 1.0

static void
print_gaps(const struct lb_config *cfg, const struct lb_policy_report *r,
	   const struct lb_pool_conf *p, uint64_t total, FILE *out)
{
	const struct lb_backend_conf *be;
	double ws;
	uint32_t i;

	for (i = 0; total > 0 && i < p->n_members; i++) {
		be = &cfg->backends[p->members[i]];
		ws = 100.0 * be->table_weight / total;
		if (fabs(r->share[p->members[i]] - ws) > SHARE_TOLERANCE_PCT)
			fprintf(out, "  ! %s: expected share %.2f%% differs from "
				"weight share %.2f%% by more than %.0f point\n",
				be->name, r->share[p->members[i]], ws,
				SHARE_TOLERANCE_PCT);
	}
}

static void
print_pool(const struct lb_config *cfg, const struct lb_policy_report *r,
	   uint32_t pi, FILE *out)
{
	const struct lb_pool_conf *p = &cfg->pools[pi];
	uint64_t total = pool_weight(cfg, p);
	int w = name_width(cfg, p);
	char a[INET_ADDRSTRLEN];
	uint32_t i;

	fprintf(out, "  %-*s  %-15s  %6s  %9s  %12s  %-*s  %12s  %14s  %8s\n",
		w, "backend", "address", "weight", "max_share", "worst_1_down",
		w + 5, "worst_when", "weight_share", "expected_share", "slots");
	for (i = 0; i < p->n_members; i++)
		print_row(cfg, r, p->members[i], w, total, out);
	print_gaps(cfg, r, p, total, out);
	for (i = 0; i < cfg->n_backends; i++) {
		const struct lb_backend_conf *be = &cfg->backends[i];

		if (be->pool != pi || be->state == LB_BACKEND_REMOVED ||
		    be->member < p->n_members)
			continue;
		fprintf(out, "  - %s %s weight %u: %s, no new flows\n",
			be->name, ipstr(be->addr, a), be->weight,
			be->state != LB_BACKEND_UP ?
			lb_backend_state_name(be->state) :
			be->weight == 0 ? "weight 0" : "down");
	}
}

void
lb_policy_print(const struct lb_config *cfg, const struct lb_policy_report *r,
		FILE *out)
{
	const struct lb_policy_finding *f;
	uint32_t i;

	for (i = 0; i < cfg->n_vips; i++) {
		if (i > 0)
			fputc('\n', out);
		print_header(cfg, &cfg->vips[i], out);
		print_pool(cfg, r, cfg->vips[i].pool, out);
	}
	if (cfg->global.hash_key_generated)
		fprintf(out, "\n! hash_key is not set: edgelbd draws a random "
			"key at each start, so another box (or the next start) "
			"sends a tuple to another backend; set [global] hash_key "
			"to the same 32 hex digits on every box\n");
	else
		fprintf(out, "\nhash_key: set (secret): every box with this "
			"key and these backends picks the same backend for a "
			"tuple\n");
	if (r->n_findings > 0)
		fputc('\n', out);
	for (i = 0; i < r->n_findings; i++) {
		f = &r->findings[i];
		fprintf(out, "%s: %s [%s] %s\n", f->where,
			f->severity == LB_POLICY_VIOLATION ? "violation" :
			"warning", f->code, f->message);
	}
}

/* ---- JSON ---------------------------------------------------------------- */

static json_t *
u32_or_null(uint32_t v)
{
	return v != 0 ? json_integer(v) : json_null();
}

static json_t *
backend_json(const struct lb_config *cfg, const struct lb_policy_report *r,
	     uint32_t b)
{
	const struct lb_backend_conf *be = &cfg->backends[b];
	const struct lb_pool_conf *p = &cfg->pools[be->pool];
	char a[INET_ADDRSTRLEN];

	return json_pack("{s:s, s:s, s:I, s:I, s:f, s:o, s:o, s:o, s:I, s:o, "
			 "s:s, s:o}",
		"name", be->name, "address", ipstr(be->addr, a),
		"weight", (json_int_t)be->weight,
		"table_weight", (json_int_t)be->table_weight,
		"expected_share", r->share[b],
		"max_share", u32_or_null(be->max_share),
		"worst_share_one_down", r->worst[b] >= 0 ?
			json_real(r->worst[b]) : json_null(),
		"worst_when_down", r->worst[b] >= 0 ?
			json_string(cfg->backends[r->worst_down[b]].name) :
			json_null(),
		"slots", (json_int_t)(p->member_slots != NULL &&
				      be->member < p->n_members ?
				      p->member_slots[be->member] : 0),
		"capacity", u32_or_null(be->capacity),
		"state", be->member < p->n_members ? "in_table" :
			 lb_backend_state_name(be->state),
		"share_before", r->before[b] >= 0 ? json_real(r->before[b]) :
			json_null());
}

static json_t *
vip_json(const struct lb_config *cfg, const struct lb_policy_report *r,
	 const struct lb_vip_conf *v)
{
	json_t *list = json_array();
	char a[INET_ADDRSTRLEN], fp[20];
	uint32_t b;

	for (b = 0; list != NULL && b < cfg->n_backends; b++)
		if (cfg->backends[b].pool == v->pool &&
		    cfg->backends[b].state != LB_BACKEND_REMOVED)
			json_array_append_new(list, backend_json(cfg, r, b));
	return json_pack("{s:s, s:s, s:s, s:i, s:s, s:I, s:s, s:o, s:o}",
		"name", v->name, "protocol",
		v->proto == IPPROTO_UDP ? "udp" : "tcp",
		"address", ipstr(v->addr, a), "port", (int)v->port,
		"pool", cfg->pools[v->pool].name,
		"table_size", (json_int_t)cfg->pools[v->pool].table_size,
		"fingerprint", lb_config_fingerprint_hex(cfg, v->pool, fp,
							 sizeof(fp)),
		"expected_rate", u32_or_null(v->expected_rate),
		"backends", list);
}

json_t *
lb_policy_report_json(const struct lb_config *cfg,
		      const struct lb_policy_report *r)
{
	json_t *vips = json_array(), *pools = json_object();
	char fp[20];
	uint32_t i;

	for (i = 0; vips != NULL && i < cfg->n_vips; i++)
		json_array_append_new(vips, vip_json(cfg, r, &cfg->vips[i]));
	for (i = 0; pools != NULL && i < cfg->n_pools; i++)
		json_object_set_new(pools, cfg->pools[i].name, json_string(
			lb_config_fingerprint_hex(cfg, i, fp, sizeof(fp))));
	return json_pack("{s:o, s:o, s:o, s:I, s:I, s:b}", "vips", vips,
			 "pools", pools, "findings", lb_policy_findings_json(r),
			 "violations", (json_int_t)r->n_violations,
			 "warnings", (json_int_t)r->n_warnings,
			 "hash_key_set", !cfg->global.hash_key_generated);
}
