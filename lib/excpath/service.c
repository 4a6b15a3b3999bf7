/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Moving frames, from the management event loop: workers -> TAP when the
 * doorbell rings, TAP -> port (worker 0) when the TAP is readable. Each
 * wakeup moves at most a budget, then returns to the loop, so a flood at
 * the port address delays commands and signals by one budget at most;
 * what is left is served on the next pass (the TAP fd stays readable, and
 * the doorbell rings itself).
 */
#include <fcntl.h>
#include <signal.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <rte_ethdev.h>

#include "excpath_priv.h"

/* Frames per wakeup, each way. A TAP write runs the kernel's receive
 * path for the frame: 256 of them take a millisecond or two (tests/bench
 * kpath moves ~150 k frames/s), about what one command may wait. */
#define BUDGET 256

void
xp_to_kernel(struct xp_port *p, struct rte_mbuf **pkts, uint16_t n)
{
	uint64_t bytes = 0;
	uint16_t sent, i;

	for (i = 0; i < n; i++)
		bytes += pkts[i]->pkt_len;
	/* net_tap copies each frame into the kernel and frees it; it stops
	 * at the first the kernel refuses. */
	sent = rte_eth_tx_burst(p->tap, 0, pkts, n);
	for (i = sent; i < n; i++) {
		bytes -= pkts[i]->pkt_len;
		rte_pktmbuf_free(pkts[i]);
	}
	p->stats.kernel_tx_packets += sent;
	p->stats.kernel_tx_bytes += bytes;
	p->stats.kernel_tx_full += n - sent;
}

/* A burst from one worker, each frame to the TAP of the port it came in
 * on: consecutive frames of one port go in one call. */
static void
burst_to_kernel(struct lb_excpath *xp, struct rte_mbuf **pkts, unsigned int n)
{
	unsigned int i = 0, j, port;

	while (i < n) {
		port = pkts[i]->port;
		for (j = i + 1; j < n && pkts[j]->port == port; j++)
			;
		/* Workers queue only for ports lb_dp_kernel_enable() named,
		 * all of which have a TAP: anything else is a bug, not a
		 * packet to keep. */
		if (port < LB_MAX_PORTS && xp->port[port].open)
			xp_to_kernel(&xp->port[port], pkts + i,
				     (uint16_t)(j - i));
		else
			rte_pktmbuf_free_bulk(pkts + i, j - i);
		i = j;
	}
}

/*
 * One burst from each worker in turn, starting where the last wakeup
 * stopped so that no worker's ring starves under a flood. @return frames
 * moved; == @p budget means some may be left.
 */
static unsigned int
drain_workers(struct lb_excpath *xp, unsigned int budget)
{
	struct rte_mbuf *pkts[LB_DP_BURST];
	unsigned int nw = xp->dp->n_workers, done = 0, empty = 0, n;

	/* nw == 0: no worker yet, no ring. */
	while (done < budget && empty < nw) {
		n = lb_dp_recv_kernel(xp->dp, xp->next_worker++ % nw, pkts,
				      RTE_MIN((unsigned int)LB_DP_BURST,
					      budget - done));
		empty = n == 0 ? empty + 1 : 0;
		burst_to_kernel(xp, pkts, n);
		done += n;
	}
	return done;
}

/* Come back after the loop's other events: the doorbell's own eventfd. */
static void
ring_again(struct lb_excpath *xp)
{
	uint64_t one = 1;

	xp->stats.yields++;
	if (write(xp->bell_fd, &one, sizeof(one)) != (ssize_t)sizeof(one))
		XP_LOG(ERR, "doorbell: cannot write its eventfd");
}

void
xp_on_bell(struct lb_evloop_handle *h, uint32_t events, void *arg)
{
	struct lb_excpath *xp = arg;
	uint64_t n;

	(void)h;
	(void)events;
	if (read(xp->bell_fd, &n, sizeof(n)) == (ssize_t)sizeof(n))
		xp->stats.wakeups++;
	/* Arm only with the rings drained: until then no worker needs to
	 * write, and the frames that came while arming are served next. */
	if (drain_workers(xp, BUDGET) == BUDGET || !lb_dp_kernel_arm(xp->dp))
		ring_again(xp);
}

static void
from_kernel(struct xp_port *p, struct rte_mbuf *m)
{
	uint32_t len = m->pkt_len;

	if (lb_dp_send_ctl(p->xp->dp, p->index, m) != 0) {
		p->stats.from_kernel_ring_full++;
		return;
	}
	p->stats.from_kernel++;
	p->stats.from_kernel_bytes += len;
}

static uint16_t
rx_burst(struct xp_port *p)
{
	struct rte_mbuf *pkts[LB_DP_BURST];
	uint16_t n = rte_eth_rx_burst(p->tap, 0, pkts, LB_DP_BURST), i;

	for (i = 0; i < n; i++)
		from_kernel(p, pkts[i]);
	return n;
}

/*
 * net_tap reads only after its real-time signal said a frame came (see
 * tap.c). Should one be lost (the kernel's queue of real-time signals
 * full), the fd would stay readable with nobody reading it: raise the
 * signal by hand (to this thread, the one that takes it) and read again.
 */
static uint16_t
rx_nudged(struct xp_port *p)
{
	int sig = fcntl(p->rx_fd, F_GETSIG);

	p->xp->stats.rx_nudges++;
	if (sig <= 0 || raise(sig) != 0)
		return 0;
	return rx_burst(p);
}

/* Someone deleted the interface (ip link del): its fd reports an error
 * for ever. Stop watching it rather than spin; frames for it are counted
 * as kernel_tx_full from now on. */
static void
tap_gone(struct xp_port *p, struct lb_evloop_handle *h)
{
	XP_LOG(ERR, "kernel interface %s is gone (deleted?): what the port "
	       "receives for its address is dropped until edgelbd restarts",
	       p->name);
	lb_evloop_del_fd(h);
	p->rx_h = NULL;
}

/* Level-triggered: frames left after the budget make the fd ready again. */
void
xp_on_tap_rx(struct lb_evloop_handle *h, uint32_t events, void *arg)
{
	struct xp_port *p = arg;
	unsigned int done;
	uint16_t n;

	if (events & (EPOLLERR | EPOLLHUP)) {
		tap_gone(p, h);
		return;
	}
	n = rx_burst(p);
	if (n == 0)
		n = rx_nudged(p);
	for (done = n; n == LB_DP_BURST && done < BUDGET; done += n)
		n = rx_burst(p);
}
