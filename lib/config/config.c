/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The snapshot's life: a file becomes a specification (spec.c) and the
 * specification a snapshot (validate.c, build.c); here are the one-call
 * path for a file, freeing, and the shares read from a snapshot.
 */

#include <stdlib.h>

#include "config_priv.h"

struct lb_config *
lb_config_parse(const char *path, struct lb_config_error *err)
{
	struct lb_spec *spec = lb_spec_load(path, err);
	struct lb_config *cfg;

	if (spec == NULL)
		return NULL;
	cfg = lb_config_build(spec, NULL, err);
	lb_spec_free(spec);
	return cfg;
}

void
lb_config_free(struct lb_config *cfg)
{
	uint32_t i;

	if (cfg == NULL)
		return;
	for (i = 0; cfg->pools != NULL && i < cfg->n_pools; i++) {
		lb_sched_maglev_free(&cfg->pools[i].maglev);
		free(cfg->pools[i].members);
		free(cfg->pools[i].member_slots);
	}
	free(cfg->ports);
	free(cfg->vips);
	free(cfg->pools);
	free(cfg->backends);
	free(cfg->neighs);
	free(cfg->addr_index);
	lb_spec_free(cfg->spec);
	free(cfg);
}

double
lb_config_expected_share(const struct lb_config *cfg, uint32_t b)
{
	const struct lb_pool_conf *p;
	uint32_t i;

	if (b >= cfg->n_backends || cfg->backends[b].pool >= cfg->n_pools)
		return 0;
	p = &cfg->pools[cfg->backends[b].pool];
	i = cfg->backends[b].member;
	if (p->member_slots == NULL || p->maglev.size == 0 ||
	    i >= p->n_members)
		return 0;
	return (double)p->member_slots[i] / p->maglev.size;
}

const char *
lb_backend_state_name(unsigned int state)
{
	static const char *const names[] = {
		[LB_BACKEND_UP] = "up", [LB_BACKEND_DRAINED] = "drained",
		[LB_BACKEND_DISABLED] = "disabled",
		[LB_BACKEND_REMOVED] = "removed",
	};

	return state < RTE_DIM(names) ? names[state] : "unknown";
}
