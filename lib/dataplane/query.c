/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Management <-> worker messages. Management never reads a worker's flow
 * table itself: the table has a single writer and no reader locks, so the
 * worker answers between bursts instead.
 */
#include <errno.h>

#include <rte_cycles.h>
#include <rte_mbuf.h>

#include "lb_dataplane.h"
#include "dataplane_priv.h"

#define LOOKUP_CHUNK 64

static void
fill_info(struct lb_dp_flow_info *o, const struct lb_flow_entry *e,
	  uint64_t now, unsigned int tick_shift)
{
	uint32_t idle = (uint32_t)(now >> tick_shift) - e->tick;

	o->found = 1;
	o->backend = e->backend;
	o->vip = e->vip;
	o->state = e->state;
	/* Whole ticks: a flow seen this tick reads 0. */
	o->idle_ms = (int32_t)idle > 0 ?
		((uint64_t)idle << tick_shift) * 1000 / rte_get_tsc_hz() : 0;
}

static void
serve_lookup(struct lb_worker *w, struct lb_dp_request *r, uint64_t now)
{
	const struct lb_flow_key *keys[LOOKUP_CHUNK];
	struct lb_flow_entry ent[LOOKUP_CHUNK];
	uint32_t hashes[LOOKUP_CHUNK];
	uint32_t base, i, n;
	uint64_t hits;

	for (base = 0; base < r->n; base += n) {
		n = RTE_MIN(r->n - base, (uint32_t)LOOKUP_CHUNK);
		for (i = 0; i < n; i++) {
			keys[i] = &r->keys[base + i];
			hashes[i] = lb_flow_hash(keys[i]);
		}
		hits = lb_flow_lookup_bulk(w->flows, keys, hashes, n, ent);
		for (i = 0; i < n; i++) {
			struct lb_dp_flow_info *o = &r->out[base + i];

			o->key = r->keys[base + i];
			o->found = 0;
			if ((hits >> i) & 1)
				fill_info(o, &ent[i], now,
					  w->timeouts.tick_shift);
		}
	}
	r->n_out = r->n;
}

struct dump_ctx {
	struct lb_dp_request *r;
	uint64_t now;
	unsigned int tick_shift;
};

static int
dump_one(const struct lb_flow_key *k, const struct lb_flow_entry *e,
	 void *arg)
{
	struct dump_ctx *c = arg;
	struct lb_dp_flow_info *o = &c->r->out[c->r->n_out++];

	o->key = *k;
	fill_info(o, e, c->now, c->tick_shift);
	return c->r->n_out >= c->r->max;
}

static void
serve_flows(struct lb_worker *w, struct lb_dp_request *r, uint64_t now)
{
	struct dump_ctx c = {
		.r = r, .now = now, .tick_shift = w->timeouts.tick_shift,
	};
	uint32_t pos = 0;

	r->n_out = 0;
	if (r->max > 0)
		lb_flow_walk(w->flows, &pos, dump_one, &c);
}

void
lb_dp_serve_request(struct lb_worker *w, uint64_t now)
{
	struct lb_dp_request *r;

	if (likely(rte_ring_dequeue(w->requests, (void **)&r) != 0))
		return;
	if (r->type == LB_DP_REQ_LOOKUP && r->n <= LB_DP_REQ_MAX)
		serve_lookup(w, r, now);
	else if (r->type == LB_DP_REQ_FLOWS && r->max <= LB_DP_REQ_MAX)
		serve_flows(w, r, now);
	else
		r->n_out = 0;
	__atomic_store_n(&r->done, 1, __ATOMIC_RELEASE);
}

int
lb_dp_query_submit(struct lb_dp *dp, unsigned int worker,
		   struct lb_dp_request *req)
{
	if (worker >= dp->n_workers || worker >= LB_MAX_WORKERS)
		return -EINVAL;
	req->done = 0;
	req->n_out = 0;
	return rte_ring_enqueue(dp->workers[worker]->requests, req) == 0 ?
	       0 : -EBUSY;
}

int
lb_dp_query_done(const struct lb_dp_request *req)
{
	return __atomic_load_n(&req->done, __ATOMIC_ACQUIRE) != 0;
}

int
lb_dp_send_ctl(struct lb_dp *dp, unsigned int port, struct rte_mbuf *m)
{
	if (dp->n_workers == 0 || port >= dp->n_ports) {
		rte_pktmbuf_free(m);
		return -EINVAL;
	}
	m->port = port;
	if (rte_ring_enqueue(dp->workers[0]->from_mgmt, m) != 0) {
		rte_pktmbuf_free(m);
		return -ENOBUFS;
	}
	return 0;
}

unsigned int
lb_dp_recv_ctl(struct lb_dp *dp, struct rte_mbuf **pkts, unsigned int max)
{
	unsigned int i, n = 0;

	for (i = 0; i < dp->n_workers && n < max; i++)
		n += rte_ring_dequeue_burst(dp->workers[i]->to_mgmt,
					    (void **)pkts + n, max - n, NULL);
	return n;
}
