/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The kernel exception path: making and removing the kernel interfaces,
 * registering with the event loop, and what management reads of it. The
 * frames themselves move in service.c.
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <rte_ethdev.h>

#include "excpath_priv.h"

RTE_LOG_REGISTER(lb_excpath_logtype, edgelb.excpath, INFO);

/* net_tap's receive descriptors (tap.c) and a burst in flight. */
#define TAP_MBUFS (64 + LB_DP_BURST)

/* Never more than one mbuf's worth for the kernel (net_tap reads a frame
 * into a chain when it must, but one mbuf per frame is the cheap case),
 * never more than the port carries. */
#define TAP_MTU_MAX RTE_ETHER_MTU

static unsigned int
kernel_ports(const struct lb_config *cfg)
{
	unsigned int i, n = 0;

	for (i = 0; i < cfg->n_ports && i < LB_MAX_PORTS; i++)
		n += cfg->ports[i].kernel_interface[0] != '\0';
	return n;
}

unsigned int
lb_excpath_mbufs(const struct lb_config *cfg)
{
	unsigned int n = kernel_ports(cfg);

	if (n == 0)
		return 0;
	return cfg->global.workers * LB_DP_KERNEL_RING_SIZE + n * TAP_MBUFS;
}

static uint16_t
tap_mtu(const struct lb_dp *dp, unsigned int port)
{
	uint16_t mtu = RTE_ETHER_MTU;

	if (rte_eth_dev_get_mtu(dp->ports[port].port_id, &mtu) != 0)
		mtu = RTE_ETHER_MTU;
	return RTE_MIN(mtu, (uint16_t)TAP_MTU_MAX);
}

/* The TAP, then its kernel side, then the workers told: in that order,
 * so that no frame is queued for an interface that is not there. */
static int
open_port(struct lb_excpath *xp, const struct lb_port_conf *pc,
	  struct xp_port *p, struct rte_mempool *mp, char *err, size_t errlen)
{
	const struct lb_dp_port *dpp = &xp->dp->ports[p->index];
	char why[256];

	snprintf(p->name, sizeof(p->name), "%s", pc->kernel_interface);
	if (xp_tap_open(p, &dpp->mac, tap_mtu(xp->dp, p->index), mp, why,
			sizeof(why)) != 0 ||
	    xp_netdev_setup(p->name, pc->addr, pc->prefix_len, pc->gateway,
			    why, sizeof(why)) != 0) {
		snprintf(err, errlen, "port %s: kernel interface %s: %s",
			 pc->name, p->name, why);
		return -1;
	}
	p->ifindex = (int)if_nametoindex(p->name);
	if (lb_dp_kernel_enable(xp->dp, p->index, xp->bell_fd) != 0) {
		snprintf(err, errlen, "port %s: kernel interface %s: the "
			 "dataplane refused it", pc->name, p->name);
		return -1;
	}
	XP_LOG(NOTICE, "port %s: kernel interface %s (ifindex %d)", pc->name,
	       p->name, p->ifindex);
	return 0;
}

static struct lb_excpath *
alloc_xp(struct lb_dp *dp)
{
	struct lb_excpath *xp = calloc(1, sizeof(*xp));
	unsigned int i;

	if (xp == NULL)
		return NULL;
	xp->dp = dp;
	xp->bell_fd = -1;
	for (i = 0; i < LB_MAX_PORTS; i++) {
		xp->port[i].xp = xp;
		xp->port[i].index = i;
		xp->port[i].rx_fd = -1;
		xp->port[i].ifindex = -1;
	}
	return xp;
}

struct lb_excpath *
lb_excpath_create(const struct lb_config *cfg, struct lb_dp *dp,
		  struct rte_mempool *mp, char *err, size_t errlen)
{
	struct lb_excpath *xp = alloc_xp(dp);
	unsigned int i;

	if (xp == NULL) {
		snprintf(err, errlen, "kernel interfaces: out of memory");
		return NULL;
	}
	if (kernel_ports(cfg) == 0)
		return xp;
	xp->bell_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (xp->bell_fd < 0) {
		snprintf(err, errlen, "kernel interfaces: eventfd: %s",
			 strerror(errno));
		lb_excpath_destroy(xp);
		return NULL;
	}
	for (i = 0; i < cfg->n_ports && i < dp->n_ports; i++) {
		if (cfg->ports[i].kernel_interface[0] == '\0')
			continue;
		if (open_port(xp, &cfg->ports[i], &xp->port[i], mp, err,
			      errlen) != 0) {
			lb_excpath_destroy(xp);
			return NULL;
		}
	}
	return xp;
}

int
lb_excpath_attach(struct lb_excpath *xp, struct lb_evloop *loop)
{
	struct xp_port *p;
	unsigned int i;
	int rc;

	if (xp->bell_fd < 0)
		return 0;
	xp->bell_h = lb_evloop_add_fd(loop, xp->bell_fd, EPOLLIN, xp_on_bell,
				      xp);
	for (i = 0; i < LB_MAX_PORTS && xp->bell_h != NULL; i++) {
		p = &xp->port[i];
		if (!p->open)
			continue;
		p->rx_h = lb_evloop_add_fd(loop, p->rx_fd, EPOLLIN,
					   xp_on_tap_rx, p);
		if (p->rx_h == NULL)
			break;
	}
	if (xp->bell_h != NULL && i == LB_MAX_PORTS)
		return 0;
	rc = -errno;
	lb_excpath_detach(xp);
	return rc;
}

void
lb_excpath_detach(struct lb_excpath *xp)
{
	unsigned int i;

	if (xp == NULL)
		return;
	lb_evloop_del_fd(xp->bell_h);
	xp->bell_h = NULL;
	for (i = 0; i < LB_MAX_PORTS; i++) {
		lb_evloop_del_fd(xp->port[i].rx_h);
		xp->port[i].rx_h = NULL;
	}
}

void
lb_excpath_pass_arp(struct lb_excpath *xp, struct rte_mbuf *m)
{
	unsigned int port = m->port;
	struct xp_port *p;

	if (xp == NULL || port >= LB_MAX_PORTS || !xp->port[port].open) {
		rte_pktmbuf_free(m);
		return;
	}
	p = &xp->port[port];
	p->stats.arp_to_kernel++;
	xp_to_kernel(p, &m, 1);
}

void
lb_excpath_destroy(struct lb_excpath *xp)
{
	unsigned int i;

	if (xp == NULL)
		return;
	lb_excpath_detach(xp);
	for (i = 0; i < LB_MAX_PORTS; i++)
		xp_tap_close(&xp->port[i]);
	if (xp->bell_fd >= 0)
		close(xp->bell_fd);
	free(xp);
}

/* ---- what management reads ------------------------------------------ */

static const struct xp_port *
open_port_of(const struct lb_excpath *xp, unsigned int port)
{
	if (xp == NULL || port >= LB_MAX_PORTS || !xp->port[port].open)
		return NULL;
	return &xp->port[port];
}

const char *
lb_excpath_ifname(const struct lb_excpath *xp, unsigned int port)
{
	const struct xp_port *p = open_port_of(xp, port);

	return p != NULL ? p->name : NULL;
}

int
lb_excpath_ifindex(const struct lb_excpath *xp, unsigned int port)
{
	const struct xp_port *p = open_port_of(xp, port);

	return p != NULL ? p->ifindex : -1;
}

const struct lb_excpath_port_stats *
lb_excpath_port_stats(const struct lb_excpath *xp, unsigned int port)
{
	const struct xp_port *p = open_port_of(xp, port);

	return p != NULL ? &p->stats : NULL;
}

const struct lb_excpath_loop_stats *
lb_excpath_loop_stats(const struct lb_excpath *xp)
{
	return &xp->stats;
}

#define XP_PORT_DESC(n, k, h) LB_COUNTER_DESC(lb_excpath_port_stats, n, k, h)
#define XP_LOOP_DESC(n, k, h) LB_COUNTER_DESC(lb_excpath_loop_stats, n, k, h)

static const struct lb_counter_desc port_counters[] = {
	LB_EXCPATH_PORT_COUNTERS(XP_PORT_DESC)
};
static const struct lb_counter_desc loop_counters[] = {
	LB_EXCPATH_LOOP_COUNTERS(XP_LOOP_DESC)
};

const struct lb_counter_desc *
lb_excpath_port_counters(unsigned int *n)
{
	*n = RTE_DIM(port_counters);
	return port_counters;
}

const struct lb_counter_desc *
lb_excpath_loop_counters(unsigned int *n)
{
	*n = RTE_DIM(loop_counters);
	return loop_counters;
}
