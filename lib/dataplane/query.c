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

/* What a worker does on a request between two looks at the clock (a
 * chunk): a few microseconds at most, however large the table. */
#define LOOKUP_CHUNK 64
#define WALK_CHUNK_SLOTS 1024
#define WALK_CHUNK_FLOWS 32
#define SELFTEST_CHUNK 64

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

/* Keys from n_out on, a chunk at a time until @p step_end.
 * @return 1 once every key is answered. */
static int
lookup_step(struct lb_worker *w, struct lb_dp_request *r, uint64_t now,
	    uint64_t step_end)
{
	const struct lb_flow_key *keys[LOOKUP_CHUNK];
	struct lb_flow_entry ent[LOOKUP_CHUNK];
	uint32_t hashes[LOOKUP_CHUNK];
	uint32_t base, i, n;
	uint64_t hits;

	while (r->n_out < r->n) {
		base = r->n_out;
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
		r->n_out = base + n;
		if (rte_rdtsc() >= step_end)
			break;
	}
	return r->n_out == r->n;
}

struct dump_ctx {
	struct lb_dp_request *r;
	uint32_t stop;              /* n_out that ends this chunk */
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
	return c->r->n_out >= c->stop;
}

/*
 * Flows from slot pos on, a chunk of slots or flows at a time until
 * @p step_end. @return 1 once the page is full, the table ends or the
 * request's answer_by_tsc has passed.
 */
static int
flows_step(struct lb_worker *w, struct lb_dp_request *r, uint64_t now,
	   uint64_t step_end)
{
	struct dump_ctx c = {
		.r = r, .now = now, .tick_shift = w->timeouts.tick_shift,
	};
	uint32_t slots = lb_flow_table_slots(w->flows);
	uint64_t tsc;

	for (;;) {
		if (r->n_out >= r->max)
			break;
		if (r->pos >= slots) {
			r->end = 1;
			break;
		}
		c.stop = RTE_MIN(r->n_out + WALK_CHUNK_FLOWS, r->max);
		lb_flow_walk_range(w->flows, &r->pos,
				   r->pos + RTE_MIN(slots - r->pos,
						    (uint32_t)WALK_CHUNK_SLOTS),
				   dump_one, &c);
		tsc = rte_rdtsc();
		if (r->answer_by_tsc != 0 && tsc >= r->answer_by_tsc)
			break;
		if (tsc >= step_end)
			return 0;
	}
	return 1;
}

/*
 * Self-test tuples from done on, a chunk at a time until @p step_end,
 * through this worker's own new-flow choice on the snapshot it forwards
 * with. Reads the configuration only: no flow, no counter.
 * @return 1 once every tuple is done or the generation is not the one
 * asked (stale).
 */
static int
selftest_step(struct lb_worker *w, struct lb_dp_selftest *st,
	      uint64_t step_end)
{
	const struct lb_snapshot *snap = w->seen_snap;
	const struct lb_config *cfg = snap != NULL ? snap->cfg : NULL;
	const struct lb_vip_conf *v;
	struct lb_flow_key k;
	uint32_t i, end, b;
	uint16_t id;

	if (cfg == NULL || snap->generation != st->generation ||
	    st->vip >= cfg->n_vips || st->flows > LB_DP_SELFTEST_MAX) {
		st->stale = 1;
		return 1;
	}
	v = &cfg->vips[st->vip];
	while (st->done < st->flows) {
		end = st->done + RTE_MIN(st->flows - st->done,
					 (uint32_t)SELFTEST_CHUNK);
		for (i = st->done; i < end; i++) {
			lb_dp_selftest_tuple(st->seed, i, v, &k);
			id = lb_dp_worker_pick(w, cfg, st->vip, &k, &b) < 0 ?
			     LB_ID_NONE : cfg->backends[b].id;
			st->choice[i] = id;
			st->count[id == LB_ID_NONE ? LB_MAX_BACKENDS : id]++;
		}
		st->done = end;
		if (rte_rdtsc() >= step_end)
			break;
	}
	return st->done == st->flows;
}

/* One bounded step on @p r. @return 1 when it is answered. */
static int
serve_step(struct lb_worker *w, struct lb_dp_request *r, uint64_t now)
{
	uint64_t step_end = rte_rdtsc() +
		rte_get_tsc_hz() / 1000000 * LB_DP_REQ_STEP_US;

	if (r->type == LB_DP_REQ_LOOKUP && r->n <= LB_DP_REQ_MAX)
		return lookup_step(w, r, now, step_end);
	if (r->type == LB_DP_REQ_FLOWS && r->max <= LB_DP_REQ_MAX)
		return flows_step(w, r, now, step_end);
	if (r->type == LB_DP_REQ_SELFTEST && r->selftest != NULL)
		return selftest_step(w, r->selftest, step_end);
	r->n_out = 0;
	if (r->type == LB_DP_REQ_RESET_MAX) {
		/* The worker's own fields: only it writes them. */
		w->busy_loop_max_tsc = 0;
		w->swap_loop_max_tsc = 0;
	}
	return 1;
}

/*
 * The request at the head of the ring gets one step; it stays there (the
 * ring is single-consumer, as the peek API needs) until it is answered,
 * so a request in progress holds its place in the ring's bound.
 */
void
lb_dp_serve_request(struct lb_worker *w, uint64_t now)
{
	struct lb_dp_request *r;
	int done;

	if (likely(rte_ring_dequeue_bulk_start(w->requests, (void **)&r, 1,
					       NULL) == 0))
		return;
	done = serve_step(w, r, now);
	rte_ring_dequeue_finish(w->requests, done ? 1 : 0);
	if (done)
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
	req->end = 0;
	return rte_ring_enqueue(dp->workers[worker]->requests, req) == 0 ?
	       0 : -EBUSY;
}

int
lb_dp_query_done(const struct lb_dp_request *req)
{
	return __atomic_load_n(&req->done, __ATOMIC_ACQUIRE) != 0;
}

#ifdef LB_TEST_FAULTS
/* By worker: 1 + the backend identity its choice is skewed to; 0: none.
 * Test builds only. */
static uint32_t fault_skew[LB_MAX_WORKERS];

int
lb_dp_fault_selftest_skew(struct lb_dp *dp, unsigned int worker,
			  uint16_t backend)
{
	if (worker >= dp->n_workers || worker >= LB_MAX_WORKERS)
		return -EINVAL;
	__atomic_store_n(&fault_skew[worker], backend == LB_ID_NONE ? 0 :
			 (uint32_t)backend + 1, __ATOMIC_RELEASE);
	return 0;
}

int
lb_dp_fault_pick(const struct lb_worker *w, const struct lb_config *cfg,
		 const struct lb_flow_key *k, uint32_t *b)
{
	uint32_t f = __atomic_load_n(&fault_skew[w->index], __ATOMIC_ACQUIRE);
	uint16_t bi;

	if (f == 0 || f > LB_MAX_BACKENDS ||
	    (rte_be_to_cpu_16(k->src_port) & 3) != 0)
		return 0;
	bi = cfg->backend_index[f - 1];
	if (bi == LB_ID_NONE)
		return 0;
	*b = bi;
	return 1;
}
#endif

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
