/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef LB_EXCPATH_PRIV_H
#define LB_EXCPATH_PRIV_H

/* Shared by the files of lib/excpath only. Management lcore throughout. */

#include <stdint.h>

#include <rte_log.h>

#include "lb_excpath.h"

extern int lb_excpath_logtype;

#define XP_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_##level, lb_excpath_logtype, "excpath: " fmt "\n", \
		##__VA_ARGS__)

/* One port's kernel interface. */
struct xp_port {
	struct lb_excpath *xp;
	unsigned int index;          /* configured port (lb_dp.ports) */
	int open;                    /* the TAP exists */
	uint16_t tap;                /* its DPDK port id */
	int rx_fd;                   /* its receive interrupt fd */
	int ifindex;
	char name[LB_IFNAME_MAX + 1];
	struct lb_evloop_handle *rx_h;
	struct lb_excpath_port_stats stats;
};

struct lb_excpath {
	struct lb_dp *dp;
	int bell_fd;                 /* the workers' doorbell; -1: none */
	struct lb_evloop_handle *bell_h;
	unsigned int next_worker;    /* whose ring is drained first */
	struct lb_excpath_loop_stats stats;
	struct xp_port port[LB_MAX_PORTS];
};

/* tap.c: create the net_tap device of @p p named p->name with @p mac
 * and an MTU of @p mtu, configured, started, its receive interrupt fd in
 * p->rx_fd. Closes what it made on failure. 0 or -1 with @p err set. */
int xp_tap_open(struct xp_port *p, const struct rte_ether_addr *mac,
		uint16_t mtu, struct rte_mempool *mp, char *err,
		size_t errlen);
/* tap.c: stop and remove the device (and so the kernel interface). */
void xp_tap_close(struct xp_port *p);

/* netdev.c: the kernel side of interface @p name: IPv6 off. Before it
 * goes up, so that it never sends router or neighbour solicitations. */
void xp_netdev_no_ipv6(const char *name);
/* netdev.c: @p addr/@p prefix_len (network order), up, and a default
 * route via @p gateway unless 0. 0 or -1 with @p err set. */
int xp_netdev_setup(const char *name, uint32_t addr, uint8_t prefix_len,
		    uint32_t gateway, char *err, size_t errlen);

/* service.c: the event loop's callbacks. */
void xp_on_bell(struct lb_evloop_handle *h, uint32_t events, void *arg);
void xp_on_tap_rx(struct lb_evloop_handle *h, uint32_t events, void *arg);
/* service.c: write @p n frames of port @p p into its TAP; counted. */
void xp_to_kernel(struct xp_port *p, struct rte_mbuf **pkts, uint16_t n);

#endif
