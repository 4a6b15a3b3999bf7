/* SPDX-License-Identifier: BSD-3-Clause */
/* Creation of the shared state and workers, and publication (RCU). */
#include <errno.h>
#include <stdio.h>

#include <rte_errno.h>
#include <rte_cycles.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "lb_dataplane.h"

/* Control rings are small: ARP and requests are rare, never bulk. */
#define CTL_RING_SIZE 1024
#define REQ_RING_SIZE 16

struct lb_dp *
lb_dp_create(unsigned int n_workers)
{
	struct lb_dp *dp;
	size_t sz;

	/* The worker indexes ports per packet (a shift) and tests
	 * kernel_ports by bit. */
	RTE_BUILD_BUG_ON(sizeof(struct lb_dp_port) != 8);
	RTE_BUILD_BUG_ON(LB_MAX_PORTS > 32);
	if (n_workers == 0 || n_workers > LB_MAX_WORKERS) {
		rte_errno = EINVAL;
		return NULL;
	}
	dp = rte_zmalloc("lb_dp", sizeof(*dp), RTE_CACHE_LINE_SIZE);
	if (dp == NULL)
		return NULL;
	sz = rte_rcu_qsbr_get_memsize(n_workers);
	dp->qsbr = rte_zmalloc("lb_dp_qsbr", sz, RTE_CACHE_LINE_SIZE);
	if (dp->qsbr == NULL || rte_rcu_qsbr_init(dp->qsbr, n_workers) != 0) {
		rte_free(dp->qsbr);
		rte_free(dp);
		rte_errno = ENOMEM;
		return NULL;
	}
	dp->kernel_bell.fd = -1;
	return dp;
}

/* Packets still in a control ring when the workers stopped go back to
 * their pool, not lost with the ring. */
static void
ring_free_mbufs(struct rte_ring *r)
{
	struct rte_mbuf *m;

	if (r == NULL)
		return;
	while (rte_ring_dequeue(r, (void **)&m) == 0)
		rte_pktmbuf_free(m);
	rte_ring_free(r);
}

static void
worker_free(struct lb_worker *w)
{
	if (w == NULL)
		return;
	lb_flow_table_free(w->flows);
	ring_free_mbufs(w->to_mgmt);
	ring_free_mbufs(w->from_mgmt);
	ring_free_mbufs(w->to_kernel);
	rte_ring_free(w->requests);
	rte_free(w);
}

void
lb_dp_free(struct lb_dp *dp)
{
	unsigned int i;

	if (dp == NULL)
		return;
	for (i = 0; i < dp->n_workers; i++)
		worker_free(dp->workers[i]);
	rte_free(dp->qsbr);
	rte_free(dp);
}

static struct rte_ring *
worker_ring(unsigned int index, const char *what, unsigned int size,
	    int socket)
{
	char name[RTE_RING_NAMESIZE];

	snprintf(name, sizeof(name), "lb_w%u_%s", index, what);
	return rte_ring_create(name, size, socket,
			       RING_F_SP_ENQ | RING_F_SC_DEQ);
}

int
lb_dp_worker_create(struct lb_dp *dp, unsigned int index, unsigned int lcore,
		    int socket, uint32_t flow_capacity)
{
	struct lb_worker *w;
	char name[32];

	if (index >= LB_MAX_WORKERS || dp->workers[index] != NULL)
		return -EINVAL;
	w = rte_zmalloc_socket("lb_worker", sizeof(*w), RTE_CACHE_LINE_SIZE,
			       socket);
	if (w == NULL)
		return -ENOMEM;
	w->dp = dp;
	w->index = index;
	w->lcore = lcore;
	/* Until the first config sets them (benchmarks may not give one). */
	w->timeouts.tick_shift = lb_flow_tick_shift(rte_get_tsc_hz());
	w->timeouts.sweep_tsc = rte_get_tsc_hz();
	/* No limit until a config gives one: a bucket that never empties. */
	w->icmp_echo_rate.tolerance = UINT64_MAX;
	w->arp_reply_rate.tolerance = UINT64_MAX;
	snprintf(name, sizeof(name), "lb_flows_%u", index);
	w->flows = lb_flow_table_create(name, flow_capacity, socket);
	w->to_mgmt = worker_ring(index, "tomgmt", CTL_RING_SIZE, socket);
	w->from_mgmt = worker_ring(index, "frommgmt", CTL_RING_SIZE, socket);
	w->requests = worker_ring(index, "req", REQ_RING_SIZE, socket);
	w->to_kernel = worker_ring(index, "tokern",
				    LB_DP_KERNEL_RING_SIZE, socket);
	if (w->flows == NULL || w->to_mgmt == NULL || w->from_mgmt == NULL ||
	    w->requests == NULL || w->to_kernel == NULL) {
		worker_free(w);
		return -ENOMEM;
	}
	dp->workers[index] = w;
	if (index >= dp->n_workers)
		dp->n_workers = index + 1;
	return 0;
}

/* Readers are workers only; after this no worker holds the old pointer. */
static void
wait_readers(struct lb_dp *dp)
{
	rte_rcu_qsbr_synchronize(dp->qsbr, RTE_QSBR_THRID_INVALID);
}

const struct lb_snapshot *
lb_dp_publish(struct lb_dp *dp, const struct lb_snapshot *snap)
{
	const struct lb_snapshot *old = dp->snap;

	__atomic_store_n(&dp->snap, snap, __ATOMIC_RELEASE);
	wait_readers(dp);
	return old;
}
