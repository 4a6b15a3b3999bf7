/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The kernel exception path, dataplane side: a worker queues frames for a
 * port's own address on a ring of its own (single producer: the worker;
 * single consumer: management) and wakes management through one doorbell.
 * Both halves of the wake-up protocol live here, side by side.
 *
 * The trade-off. Management sleeps in epoll and must never poll; a worker
 * must never make a system call per frame. So management arms a flag
 * before it sleeps, and only the first worker to queue a frame after that
 * takes the flag (an atomic exchange) and writes the eventfd: one write(2)
 * per management sleep, none while management is awake and draining (the
 * case under load). The price is paid by the worker loop that queued a
 * frame for the kernel while management slept: one eventfd write, a
 * microsecond or two, and never by a loop that moved only VIP traffic.
 * Polling on a timer instead would add its period to every kernel frame
 * (TCP through the kernel would crawl); a write per frame would turn a SYN
 * flood at the port address into a system-call flood on the workers.
 *
 * No lost wakeup: a Dekker pair. The worker publishes its frame (the ring
 * enqueue), fences, then takes the flag; management sets the flag, fences,
 * then looks at the rings. One of them sees the other: management finds
 * the frame and does not sleep, or the worker finds the flag and rings.
 */
#include <errno.h>
#include <unistd.h>

#include <rte_mbuf.h>

#include "lb_dataplane.h"
#include "dataplane_priv.h"

void
lb_dp_to_kernel(struct lb_worker *w, unsigned int port, struct rte_mbuf *m)
{
	struct lb_port_stats *ps = &w->stats.port[port];
	uint32_t len = m->pkt_len;

	m->port = (uint16_t)port;
	if (unlikely(rte_ring_enqueue(w->to_kernel, m) != 0)) {
		ps->drops[LB_DROP_kernel_ring_full]++;
		rte_pktmbuf_free(m);
		return;
	}
	ps->to_kernel++;
	ps->to_kernel_bytes += len;
	w->kernel_queued = 1;
}

void
lb_dp_kernel_ring(struct lb_worker *w)
{
	struct lb_dp_doorbell *b = &w->dp->kernel_bell;
	uint64_t one = 1;

	w->kernel_queued = 0;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!__atomic_exchange_n(&b->armed, 0, __ATOMIC_SEQ_CST) || b->fd < 0)
		return;
	/* An eventfd write fails only if its counter would overflow (2^64 - 2
	 * wakeups unread): then leave the doorbell armed for the next frame. */
	if (write(b->fd, &one, sizeof(one)) != (ssize_t)sizeof(one))
		__atomic_store_n(&b->armed, 1, __ATOMIC_RELAXED);
}

int
lb_dp_kernel_enable(struct lb_dp *dp, unsigned int port, int bell_fd)
{
	struct lb_dp_doorbell *b = &dp->kernel_bell;

	if (port >= dp->n_ports || bell_fd < 0 ||
	    (b->fd >= 0 && b->fd != bell_fd))
		return -EINVAL;
	b->fd = bell_fd;
	/* Management starts asleep: the first frame rings. */
	b->armed = 1;
	dp->kernel_ports |= UINT32_C(1) << port;
	return 0;
}

int
lb_dp_kernel_arm(struct lb_dp *dp)
{
	unsigned int i;

	__atomic_store_n(&dp->kernel_bell.armed, 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	for (i = 0; i < dp->n_workers; i++)
		if (!rte_ring_empty(dp->workers[i]->to_kernel))
			return 0;
	return 1;
}

unsigned int
lb_dp_recv_kernel(struct lb_dp *dp, unsigned int worker,
		  struct rte_mbuf **pkts, unsigned int max)
{
	if (worker >= dp->n_workers)
		return 0;
	return rte_ring_dequeue_burst(dp->workers[worker]->to_kernel,
				      (void **)pkts, max, NULL);
}
