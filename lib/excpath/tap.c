/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The TAP device behind a kernel interface, made by DPDK's net_tap (not a
 * hand-written TUN/TAP: the project uses DPDK's drivers for this). One
 * queue pair; the management lcore is its only user.
 *
 * Receive interrupts: net_tap's receive "interrupt" fd is the TAP queue fd
 * itself, readable while the kernel has frames for us, so it can sit in
 * the management event loop. net_tap also asks the kernel for a real-time
 * signal per frame (O_ASYNC) and reads only after one arrived; edgelbd
 * blocks those signals in every thread but management's (see main.c), so
 * they never interrupt a worker.
 */
#include <stdio.h>
#include <string.h>

#include <rte_bus_vdev.h>
#include <rte_errno.h>
#include <rte_ethdev.h>

#include "excpath_priv.h"

/*
 * net_tap gives each receive descriptor an mbuf, chained, and reads a
 * frame into as many as it needs (scatter): 64 hold a 64 KiB frame. It
 * copies on transmit and keeps no mbuf there.
 */
#define TAP_RX_DESC 64
#define TAP_TX_DESC 64

/* DPDK returns -errno, or a bare -1 from a driver's probe. */
static const char *
why(int rc)
{
	return rc == -1 ? "driver probe failed" : rte_strerror(-rc);
}

static void
vdev_name(const struct xp_port *p, char *buf, size_t n)
{
	/* Not a name a data port can have: the configuration refuses such a
	 * device, and ports are looked up before any TAP exists. */
	snprintf(buf, n, LB_KERNEL_VDEV_PREFIX "%u", p->index);
}

static int
tap_configure(struct xp_port *p, uint16_t mtu, struct rte_mempool *mp)
{
	struct rte_eth_conf conf = { .intr_conf = { .rxq = 1 } };
	struct rte_eth_dev_info di;
	int socket = (int)rte_socket_id(), rc;

	rc = rte_eth_dev_info_get(p->tap, &di);
	if (rc != 0)
		return rc;
	if (di.rx_offload_capa & RTE_ETH_RX_OFFLOAD_SCATTER)
		conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_SCATTER;
	rc = rte_eth_dev_configure(p->tap, 1, 1, &conf);
	if (rc == 0)
		rc = rte_eth_dev_set_mtu(p->tap, mtu);
	if (rc == 0)
		rc = rte_eth_rx_queue_setup(p->tap, 0, TAP_RX_DESC, socket,
					    NULL, mp);
	if (rc == 0)
		rc = rte_eth_tx_queue_setup(p->tap, 0, TAP_TX_DESC, socket,
					    NULL);
	return rc;
}

/* Start, then find the fd that is readable while frames wait. */
static int
tap_start(struct xp_port *p)
{
	int rc = rte_eth_dev_start(p->tap);

	if (rc != 0)
		return rc;
	/* net_tap has no switch to flip: its fd is always armed. */
	rc = rte_eth_dev_rx_intr_enable(p->tap, 0);
	if (rc != 0 && rc != -ENOTSUP)
		return rc;
	p->rx_fd = rte_eth_dev_rx_intr_ctl_q_get_fd(p->tap, 0);
	return p->rx_fd >= 0 ? 0 : -ENOTSUP;
}

int
xp_tap_open(struct xp_port *p, const struct rte_ether_addr *mac,
	    uint16_t mtu, struct rte_mempool *mp, char *err, size_t errlen)
{
	char name[64], args[64], m[RTE_ETHER_ADDR_FMT_SIZE];
	int rc;

	vdev_name(p, name, sizeof(name));
	rte_ether_format_addr(m, sizeof(m), mac);
	snprintf(args, sizeof(args), "iface=%s,mac=%s", p->name, m);
	rc = rte_vdev_init(name, args);
	if (rc != 0) {
		snprintf(err, errlen, "net_tap %s,%s: %s (does the interface "
			 "exist already? see the log above)", name, args,
			 why(rc));
		return -1;
	}
	if (rte_eth_dev_get_port_by_name(name, &p->tap) != 0) {
		snprintf(err, errlen, "net_tap %s: no ethdev", name);
		rte_vdev_uninit(name);
		return -1;
	}
	p->open = 1;
	/* Before it comes up: it must never send an IPv6 packet. */
	xp_netdev_no_ipv6(p->name);
	rc = tap_configure(p, mtu, mp);
	if (rc == 0)
		rc = tap_start(p);
	if (rc != 0) {
		snprintf(err, errlen, "net_tap %s: setup failed: %s", name,
			 why(rc));
		xp_tap_close(p);
		return -1;
	}
	return 0;
}

void
xp_tap_close(struct xp_port *p)
{
	char name[64];

	if (!p->open)
		return;
	vdev_name(p, name, sizeof(name));
	rte_eth_dev_stop(p->tap);
	/* Closes the TAP's fds: the kernel deletes the interface. */
	if (rte_vdev_uninit(name) != 0)
		XP_LOG(WARNING, "%s: could not remove %s", p->name, name);
	p->open = 0;
	p->rx_fd = -1;
}
