/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef LB_DATAPLANE_PRIV_H
#define LB_DATAPLANE_PRIV_H

#include "lb_dataplane.h"

/* Answer at most one management request; called once per worker loop. */
void lb_dp_serve_request(struct lb_worker *w, uint64_t now);

#ifdef LB_TEST_FAULTS
/* Test builds: 1 if lb_dp_fault_selftest_skew() sends @p k elsewhere on
 * this worker (query.c), with that backend's index in *@p b; else 0. */
int lb_dp_fault_pick(const struct lb_worker *w, const struct lb_config *cfg,
		     const struct lb_flow_key *k, uint32_t *b);
#endif

/*
 * This worker's choice for a new flow: lb_dp_new_flow_backend() (0 and
 * *@p b, or -1), which a test build's fault injection may override. The packet path and the
 * self-test both call it, so the self-test sees what packets get.
 */
static inline int
lb_dp_worker_pick(const struct lb_worker *w, const struct lb_config *cfg,
		  uint32_t vip, const struct lb_flow_key *k, uint32_t *b)
{
	int rc = lb_dp_new_flow_backend(cfg, vip, k, b);

#ifdef LB_TEST_FAULTS
	if (lb_dp_fault_pick(w, cfg, k, b))
		rc = 0;
#else
	RTE_SET_USED(w);
#endif
	return rc;
}

/* Take on what a new configuration says about the worker itself: flow
 * timeouts, idle back-off, ICMP echo and ARP reply limits (a bucket whose
 * limits did not change is kept), the ports' VLAN ids, counters of
 * recycled identities zeroed. Worker lcore, before it forwards on @cfg. */
void lb_dp_worker_adopt(struct lb_worker *w, const struct lb_config *cfg);

/* Queue @m, received on configured port @port, for that port's kernel
 * interface (kernel.c); counted as to_kernel or dropped as
 * kernel_ring_full. Worker lcore; never blocks, no system call. */
void lb_dp_to_kernel(struct lb_worker *w, unsigned int port,
		     struct rte_mbuf *m);

/* Frames were queued for the kernel since the last call: wake management
 * if it armed the doorbell (one eventfd write). Worker lcore. */
void lb_dp_kernel_ring(struct lb_worker *w);

#endif
