/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The INI loader and the validator: the input is a configuration file
 * (lb_spec_load through a memfd), then lb_config_build as a one-off check
 * and again as a reload would build it (identities from registries, the
 * previous snapshot's backends retained).
 *
 * Invariants: a refused file has at least one error; a loaded
 * specification printed as INI loads back to the same values (the round
 * trip `edgelbctl config` promises); a built snapshot is consistent
 * (every VIP found at its address, every backend on a port with its next
 * hop, every pool's table naming its members, shares adding up) and
 * prints its simulation.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_priv.h"
#include "fuzz_common.h"
#include "lb_policy.h"

/* Maglev tables cost their size in time: a file asking for millions of
 * slots is valid but would make every run slow, not find more. */
#define SLOTS_MAX 300000u
#define DEFAULT_TABLE 65537u

static FILE *devnull;
static struct lb_config_error err;

int LLVMFuzzerInitialize(int *argc, char ***argv);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	RTE_SET_USED(argc);
	RTE_SET_USED(argv);
	/* No EAL: the loader and the validator are for tools too. */
	devnull = fopen("/dev/null", "w");
	if (devnull == NULL)
		fz_fail("/dev/null");
	return 0;
}

/* 1 if building @p s would build tables of more than SLOTS_MAX slots. */
static int
too_big(const struct lb_spec *s)
{
	uint64_t slots = 0;
	unsigned int i;

	for (i = 0; i < s->n_sections; i++) {
		const struct lb_spec_value *v;

		if (s->sections[i]->kind != LB_SECTION_POOL)
			continue;
		v = lb_spec_value_of(s->sections[i], "table_size");
		slots += v == NULL ? DEFAULT_TABLE :
			 strtoull(v->value, NULL, 10);
	}
	return slots > SLOTS_MAX;
}

/* Printed and loaded again, a specification keeps every value. */
static void
check_round_trip(const struct lb_spec *s)
{
	char *text = lb_spec_to_ini(s);
	struct lb_spec *again;

	/* A value holding both quote characters cannot be printed: said. */
	if (text == NULL)
		return;
	again = fz_spec_load(text, strlen(text), &err);
	FZ_CHECK(again != NULL, "printed specification does not load: %s\n%s",
		 err.msg, text);
	FZ_CHECK(lb_spec_diff(s, again, NULL, NULL) == 0,
		 "printed specification loads with other values:\n%s", text);
	lb_spec_free(again);
	free(text);
}

static void
check_pool(const struct lb_config *cfg, const struct lb_pool_conf *p)
{
	uint64_t owned = 0;
	double share = 0;
	uint32_t i;

	for (i = 0; i < p->maglev.size; i++)
		FZ_CHECK(p->maglev.slots[i] == LB_SCHED_EMPTY ||
			 p->maglev.slots[i] < p->n_members,
			 "pool %s: slot names member %u of %u", p->name,
			 p->maglev.slots[i], p->n_members);
	for (i = 0; i < p->n_members; i++) {
		FZ_CHECK(p->members[i] < cfg->n_backends, "pool %s: member",
			 p->name);
		owned += p->member_slots[i];
		share += lb_config_expected_share(cfg, p->members[i]);
	}
	FZ_CHECK(owned == 0 || owned == p->maglev.size,
		 "pool %s: members own %lu of %u slots", p->name,
		 (unsigned long)owned, p->maglev.size);
	FZ_CHECK(owned == 0 || fabs(share - 1.0) < 1e-6,
		 "pool %s: shares add up to %f", p->name, share);
}

static void
check_config(const struct lb_config *cfg)
{
	uint32_t i;

	for (i = 0; i < cfg->n_vips; i++) {
		const struct lb_vip_conf *v = &cfg->vips[i];

		FZ_CHECK(lb_config_find_vip(cfg, v->proto, v->addr, v->port) ==
			 (int)i, "VIP %s not found at its address", v->name);
		FZ_CHECK(lb_config_owns_addr(cfg, v->addr) &&
			 v->pool < cfg->n_pools, "VIP %s", v->name);
	}
	for (i = 0; i < cfg->n_ports; i++)
		FZ_CHECK(lb_config_owns_addr(cfg, cfg->ports[i].addr),
			 "port %s address not owned", cfg->ports[i].name);
	for (i = 0; i < cfg->n_backends; i++) {
		const struct lb_backend_conf *b = &cfg->backends[i];

		FZ_CHECK(b->port < cfg->n_ports && b->neigh < cfg->n_neighs &&
			 cfg->neighs[b->neigh].addr == b->addr &&
			 cfg->neighs[b->neigh].port == b->port &&
			 cfg->backend_index[b->id] == i,
			 "backend %s: port, next hop or identity", b->name);
	}
	for (i = 0; i < cfg->n_pools; i++)
		check_pool(cfg, &cfg->pools[i]);
}

/* The policy of every snapshot, as a change against the one before: a
 * report, findings that name a code and a place, a report that prints. */
static void
check_policy(const struct lb_config *before, const struct lb_config *cfg)
{
	struct lb_policy_report *r = lb_policy_evaluate(before, cfg,
							LB_POLICY_ALL_N1);
	json_t *gate;
	uint32_t i;

	FZ_CHECK(r != NULL, "policy evaluation failed");
	for (i = 0; i < r->n_findings; i++)
		FZ_CHECK(r->findings[i].code != NULL &&
			 r->findings[i].where[0] != '\0' &&
			 r->findings[i].message[0] != '\0',
			 "finding %u without code, place or message", i);
	FZ_CHECK(r->n_violations + r->n_warnings == r->n_findings,
		 "severities do not add up");
	lb_policy_print(cfg, r, devnull);
	lb_policy_report_free(r);
	gate = lb_policy_gate(before, cfg, NULL);
	FZ_CHECK(json_is_array(gate), "the gate gave no array");
	json_decref(gate);
}

/* As a reload builds it: registries, the running snapshot's backends
 * retained (kept as REMOVED if the new one lacked them). */
static void
build_as_reload(const struct lb_spec *s, const struct lb_config *prev)
{
	static uint16_t retain[LB_MAX_BACKENDS];
	struct lb_config_build_opts o = {
		.backend_ids = lb_ids_create(LB_MAX_BACKENDS),
		.vip_ids = lb_ids_create(LB_MAX_VIPS),
		.prev = prev, .retain = retain,
	};
	struct lb_config *cfg;
	uint32_t i;

	for (i = 0; i < prev->n_backends; i++)
		retain[o.n_retain++] = prev->backends[i].id;
	cfg = lb_config_build(s, &o, &err);
	FZ_CHECK(cfg != NULL, "builds once, not twice: %s", err.msg);
	check_config(cfg);
	check_policy(prev, cfg);
	lb_config_free(cfg);
	lb_ids_free(o.backend_ids);
	lb_ids_free(o.vip_ids);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lb_spec *s = fz_spec_load(data, size, &err);
	struct lb_config *cfg;

	if (s == NULL) {
		FZ_CHECK(err.n > 0 && err.msg[0] != '\0',
			 "refused without an error");
		return 0;
	}
	check_round_trip(s);
	if (too_big(s)) {
		lb_spec_free(s);
		return 0;
	}
	cfg = lb_config_build(s, NULL, &err);
	if (cfg == NULL) {
		FZ_CHECK(err.n > 0 && err.msg[0] != '\0',
			 "not built, without an error");
	} else {
		check_config(cfg);
		build_as_reload(s, cfg);
		lb_config_free(cfg);
	}
	lb_spec_free(s);
	return 0;
}
