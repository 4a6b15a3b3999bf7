/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TEST_DP_H
#define TEST_DP_H

/*
 * A running state made by hand, for unit tests of what reads lib/dataplane
 * from management (metrics, the status page): port "lan", VIP "web" of
 * pool "web" with b1 (weight 4, 4 of 13 slots) and b2 (weight 9, 9 slots,
 * max_share 75), published, and one worker whose counters gave b1 1 new
 * flow and b2 3. A test sets what else it needs after tdp_init().
 */

#include <stdlib.h>
#include <string.h>

#include "lb_dataplane.h"

struct tdp {
	struct lb_config cfg;
	struct lb_port_conf port;
	struct lb_vip_conf vip;
	struct lb_pool_conf pool;
	struct lb_backend_conf backends[2];
	uint32_t members[2];
	uint32_t member_slots[2];
	struct lb_snapshot snap;
	struct lb_dp dp;
	struct lb_worker *worker;
};

static inline void
tdp_config(struct tdp *t)
{
	struct lb_config *c = &t->cfg;

	snprintf(t->port.name, LB_NAME_MAX, "lan");
	snprintf(t->vip.name, LB_NAME_MAX, "web");
	snprintf(t->pool.name, LB_NAME_MAX, "web");
	t->members[1] = 1;
	t->member_slots[0] = 4;
	t->member_slots[1] = 9;
	t->pool.n_members = 2;
	t->pool.members = t->members;
	t->pool.member_slots = t->member_slots;
	t->pool.maglev.size = 13;
	snprintf(t->backends[0].name, LB_NAME_MAX, "b1");
	snprintf(t->backends[1].name, LB_NAME_MAX, "b2");
	t->backends[1].id = 1;
	t->backends[1].member = 1;
	t->backends[0].weight = 4;
	t->backends[1].weight = 9;
	t->backends[1].max_share = 75;
	c->n_ports = 1;
	c->ports = &t->port;
	c->n_vips = 1;
	c->vips = &t->vip;
	c->n_pools = 1;
	c->pools = &t->pool;
	c->n_backends = 2;
	c->backends = t->backends;
}

/* @return 0, or -1 if the worker could not be allocated. */
static inline int
tdp_init(struct tdp *t)
{
	tdp_config(t);
	t->snap.cfg = &t->cfg;
	t->dp.snap = &t->snap;
	t->worker = aligned_alloc(RTE_CACHE_LINE_SIZE, sizeof(*t->worker));
	if (t->worker == NULL)
		return -1;
	memset(t->worker, 0, sizeof(*t->worker));
	t->worker->stats.backend[0].new_flows = 1;
	t->worker->stats.backend[1].new_flows = 3;
	t->dp.workers[0] = t->worker;
	t->dp.n_workers = 1;
	t->dp.n_ports = 1;
	return 0;
}

static inline void
tdp_fini(struct tdp *t)
{
	free(t->worker);
	t->worker = NULL;
}

#endif
