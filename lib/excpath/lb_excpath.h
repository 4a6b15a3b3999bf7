/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef LB_EXCPATH_H
#define LB_EXCPATH_H

/**
 * @file
 * The kernel exception path, management side: one Linux interface per
 * port that has `kernel_interface`, so that health checks, BGP and SSH use
 * ordinary kernel sockets on the data network.
 *
 * The interface is a TAP made by DPDK's net_tap in edgelbd's own network
 * namespace. It carries the port's MAC, address and prefix, and a default
 * route via the port's gateway; it goes away with edgelbd. The TAP's DPDK
 * port belongs to the management lcore alone: it is in no lb_dp.ports[],
 * no worker polls it.
 *
 * To the kernel: the frames workers queued for the port's own address
 * (lb_dp_recv_kernel()), and ARP replies management has learnt from
 * (lb_excpath_pass_arp()). From the kernel: frames read from the TAP,
 * sent out of the port by worker 0 (lb_dp_send_ctl()).
 *
 * Everything here runs on the management lcore. Nothing polls: the event
 * loop wakes it on the workers' doorbell (an eventfd, see
 * lb_dp_kernel_arm()) and on each TAP's receive interrupt fd; each wakeup
 * moves a bounded number of frames, so a flood delays other events by at
 * most one budget.
 */

#include <stdint.h>

#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "lb_config.h"
#include "lb_dataplane.h"
#include "lb_evloop.h"
#include "lb_stats.h"

/** Per-port counters of the management side, X(name, kind, help). */
#define LB_EXCPATH_PORT_COUNTERS(X)                                          \
	X(kernel_tx_packets, COUNTER, "frames written to the kernel "      \
	  "interface (from workers and ARP replies)")                       \
	X(kernel_tx_bytes, COUNTER, "bytes of those frames")                \
	X(kernel_tx_full, COUNTER, "frames the kernel interface refused: " \
	  "dropped")                                                        \
	X(arp_to_kernel, COUNTER, "ARP replies passed to the kernel after " \
	  "learning (counted in kernel_tx_packets or kernel_tx_full too)")  \
	X(from_kernel, COUNTER, "frames the kernel sent, queued to go out " \
	  "of the port through worker 0")                                   \
	X(from_kernel_bytes, COUNTER, "bytes of those frames")              \
	X(from_kernel_ring_full, COUNTER, "frames the kernel sent that "    \
	  "worker 0's ring refused: dropped")

struct lb_excpath_port_stats {
#define LB_EXCPATH_FIELD(name, kind, help) uint64_t name;
	LB_EXCPATH_PORT_COUNTERS(LB_EXCPATH_FIELD)
};

/** Counters of the management loop's kernel work, X(name, kind, help). */
#define LB_EXCPATH_LOOP_COUNTERS(X)                                          \
	X(wakeups, COUNTER, "times a worker's doorbell woke management")    \
	X(yields, COUNTER, "times management left frames for its next "     \
	  "wakeup: budget spent, or frames came while it armed")          \
	X(rx_nudges, COUNTER, "times a TAP was readable but net_tap read "  \
	  "nothing (its signal lost): the signal raised by hand")

struct lb_excpath_loop_stats {
	LB_EXCPATH_LOOP_COUNTERS(LB_EXCPATH_FIELD)
};
#undef LB_EXCPATH_FIELD

struct lb_excpath;

/**
 * Mbufs the exception path may hold at once with configuration @p cfg
 * (the workers' kernel rings, each TAP's receive queue), for the pool
 * edgelbd sizes: 0 when no port has a kernel interface. Any thread.
 */
unsigned int lb_excpath_mbufs(const struct lb_config *cfg);

/**
 * Create the kernel interface of every port of @p cfg that names one:
 * the net_tap device (receive interrupts on, mbufs from @p mp), the
 * kernel side (port MAC, address/prefix, up, IPv6 off since edgelb passes
 * no IPv6, default route via the gateway if set), and tell @p dp to queue
 * frames for those ports (lb_dp_kernel_enable()). @p dp's ports must be
 * set up. Management lcore, before the workers start; blocks on
 * ioctl/netlink, allocates.
 * @return the exception path (with no interface when no port names one),
 * or NULL with @p err set ("port NAME: kernel interface IF: why"); what
 * was made is removed again.
 */
struct lb_excpath *lb_excpath_create(const struct lb_config *cfg,
				     struct lb_dp *dp, struct rte_mempool *mp,
				     char *err, size_t errlen);

/**
 * Serve from event loop @p loop: the doorbell and each TAP's receive fd.
 * Management lcore. @return 0, or -errno (then nothing is registered).
 */
int lb_excpath_attach(struct lb_excpath *xp, struct lb_evloop *loop);

/**
 * Leave the event loop (before it is destroyed). Frames keep waiting in
 * the rings and TAP queues. Management lcore. NULL-safe.
 */
void lb_excpath_detach(struct lb_excpath *xp);

/**
 * Hand ARP reply @p m (mbuf->port: the configured port it arrived on, as
 * workers pass it up) to that port's kernel interface, which resolves its
 * own neighbours; freed if the port has none. Management lcore, after
 * learning from it; takes @p m; never blocks.
 */
void lb_excpath_pass_arp(struct lb_excpath *xp, struct rte_mbuf *m);

/**
 * Remove every kernel interface (stop and close the TAP devices) and free
 * @p xp. Management lcore, after the workers stopped and after
 * lb_excpath_detach(). NULL-safe.
 */
void lb_excpath_destroy(struct lb_excpath *xp);

/** Port @p port's kernel interface name, or NULL if it has none. Any
 *  lcore: fixed for the run. */
const char *lb_excpath_ifname(const struct lb_excpath *xp, unsigned int port);

/** Its ifindex in edgelbd's network namespace, or -1. Any lcore. */
int lb_excpath_ifindex(const struct lb_excpath *xp, unsigned int port);

/** Port @p port's counters, or NULL if it has no kernel interface.
 *  Management lcore (the only writer). */
const struct lb_excpath_port_stats *
lb_excpath_port_stats(const struct lb_excpath *xp, unsigned int port);

/** The loop counters (@p xp not NULL). Management lcore. */
const struct lb_excpath_loop_stats *
lb_excpath_loop_stats(const struct lb_excpath *xp);

/** The port counters' descriptors, in struct order; @p n set. Any thread. */
const struct lb_counter_desc *lb_excpath_port_counters(unsigned int *n);

/** The loop counters' descriptors, in struct order; @p n set. Any
 *  thread. */
const struct lb_counter_desc *lb_excpath_loop_counters(unsigned int *n);

#endif
