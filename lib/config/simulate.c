/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The simulation report of `--check`: for each VIP, each backend's share of
 * new flows as the very table the workers would use gives it, next to the
 * share its weight asks for. A gap is flagged, not refused: the operator
 * decides, but cannot miss it.
 */

#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "lb_config.h"

/* A gap wider than this (in percentage points) is flagged. */
#define SHARE_TOLERANCE_PCT 1.0

/*
 * Slots per member in one pass over the table: asking the scheduler member
 * by member costs O(members x M), seconds for a 4096-backend pool.
 * Returns NULL (all shares shown as 0) if memory is short.
 */
static uint32_t *
count_slots(const struct lb_pool_conf *p)
{
	uint32_t *count = calloc(p->n_members + 1, sizeof(*count));
	uint32_t i;

	if (count == NULL || p->maglev.slots == NULL)
		return count;
	for (i = 0; i < p->maglev.size; i++)
		if (p->maglev.slots[i] < p->n_members)
			count[p->maglev.slots[i]]++;
	return count;
}

static uint64_t
pool_weight(const struct lb_config *cfg, const struct lb_pool_conf *p)
{
	uint64_t sum = 0;
	uint32_t i;

	for (i = 0; i < p->n_members; i++)
		sum += cfg->backends[p->members[i]].weight;
	return sum;
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

static void
print_header(const struct lb_config *cfg, const struct lb_vip_conf *v,
	     FILE *out)
{
	const struct lb_pool_conf *p = &cfg->pools[v->pool];
	char a[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &v->addr, a, sizeof(a));
	fprintf(out, "vip %s %s %s:%u mode %s pool %s maglev M=%u\n", v->name,
		v->proto == IPPROTO_UDP ? "udp" : "tcp", a, v->port,
		v->mode == LB_FWD_DR ? "dr" : "?", p->name,
		p->table_size);
}

static void
print_pool(const struct lb_config *cfg, const struct lb_pool_conf *p,
	   FILE *out)
{
	uint64_t total = pool_weight(cfg, p);
	uint32_t *slots = count_slots(p);
	int w = name_width(cfg, p);
	char a[INET_ADDRSTRLEN];
	double ws, es;
	uint32_t i, n;

	fprintf(out, "  %-*s  %-15s  %6s  %12s  %14s  %8s\n", w, "backend",
		"address", "weight", "weight_share", "expected_share", "slots");
	for (i = 0; i < p->n_members; i++) {
		const struct lb_backend_conf *be = &cfg->backends[p->members[i]];

		n = slots != NULL ? slots[i] : 0;
		ws = total ? 100.0 * be->weight / total : 0;
		es = p->maglev.size ? 100.0 * n / p->maglev.size : 0;
		inet_ntop(AF_INET, &be->addr, a, sizeof(a));
		fprintf(out, "  %-*s  %-15s  %6u  %11.2f%%  %13.2f%%  %8u\n", w,
			be->name, a, be->weight, ws, es, n);
	}
	for (i = 0; i < p->n_members; i++) {
		const struct lb_backend_conf *be = &cfg->backends[p->members[i]];

		n = slots != NULL ? slots[i] : 0;
		ws = total ? 100.0 * be->weight / total : 0;
		es = p->maglev.size ? 100.0 * n / p->maglev.size : 0;
		if (fabs(es - ws) > SHARE_TOLERANCE_PCT)
			fprintf(out,
				"  ! %s: expected share %.2f%% differs from weight share %.2f%% by more than %.0f point\n",
				be->name, es, ws, SHARE_TOLERANCE_PCT);
	}
	free(slots);
}

/*
 * Drained and disabled backends of the pool take no new flow: listed after
 * the table so the operator sees why they are missing from it. REMOVED
 * backends are no longer configured and are not shown.
 */
static void
print_out_of_table(const struct lb_config *cfg, uint32_t pool, FILE *out)
{
	char a[INET_ADDRSTRLEN];
	uint32_t i;

	for (i = 0; i < cfg->n_backends; i++) {
		const struct lb_backend_conf *be = &cfg->backends[i];

		if (be->pool != pool || (be->state != LB_BACKEND_DRAINED &&
					 be->state != LB_BACKEND_DISABLED))
			continue;
		inet_ntop(AF_INET, &be->addr, a, sizeof(a));
		fprintf(out, "  - %s %s weight %u: %s, no new flows\n",
			be->name, a, be->weight,
			lb_backend_state_name(be->state));
	}
}

void
lb_config_print_simulation(const struct lb_config *cfg, FILE *out)
{
	uint32_t i;

	for (i = 0; i < cfg->n_vips; i++) {
		if (i > 0)
			fputc('\n', out);
		print_header(cfg, &cfg->vips[i], out);
		print_pool(cfg, &cfg->pools[cfg->vips[i].pool], out);
		print_out_of_table(cfg, cfg->vips[i].pool, out);
	}
	/* Shares come from the tables and do not depend on the key; where
	 * a given tuple goes does. */
	if (cfg->global.hash_key_generated)
		fprintf(out, "\n! hash_key is not set: edgelbd draws a random "
			"key at each start, so another box (or the next start) "
			"sends a tuple to another backend; set [global] hash_key "
			"to the same 32 hex digits on every box\n");
	else
		fprintf(out, "\nhash_key: set (secret): every box with this "
			"key and these backends picks the same backend for a "
			"tuple\n");
}
