/* SPDX-License-Identifier: BSD-3-Clause */
/* Ports: one RX and one TX queue per worker on every port. */
#include <stdio.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "edgelbd.h"
#include "lb_excpath.h"

#define RX_DESC 1024
#define TX_DESC 1024
#define MBUF_CACHE 256
/* Room for ARP and requests in flight beyond the NIC rings. */
#define MBUF_SPARE 8192

/* DPDK names a vdev by what precedes its first ','; PCI by full BDF.
 * Kernel interfaces' TAPs are made after this lookup, under names no port
 * may use (LB_KERNEL_VDEV_PREFIX): never found here. */
static int
find_port(const char *device, uint16_t *port_id)
{
	char name[LB_DEVICE_MAX + 8];
	size_t len = strcspn(device, ",");

	snprintf(name, sizeof(name), "%.*s", (int)len, device);
	if (rte_eth_dev_get_port_by_name(name, port_id) == 0)
		return 0;
	snprintf(name, sizeof(name), "0000:%.*s", (int)len, device);
	return rte_eth_dev_get_port_by_name(name, port_id);
}

static int
check_queues(const struct lb_port_conf *pc, const struct rte_eth_dev_info *di,
	     uint16_t nq, char *err, size_t errlen)
{
	if (di->max_rx_queues >= nq && di->max_tx_queues >= nq)
		return 0;
	snprintf(err, errlen,
		 "port %s (%s): device has %u rx / %u tx queues but workers = "
		 "%u needs %u of each (for net_af_packet set qpairs=%u)",
		 pc->name, pc->device, di->max_rx_queues, di->max_tx_queues,
		 nq, nq, nq);
	return -1;
}

static int
port_setup(const struct lb_port_conf *pc, uint16_t pid, uint16_t nq,
	   struct rte_mempool *mp, char *err, size_t errlen)
{
	struct rte_eth_conf conf = { 0 };
	struct rte_eth_dev_info di;
	uint16_t nrx = RX_DESC, ntx = TX_DESC, q;
	int socket = rte_eth_dev_socket_id(pid), rc;

	rc = rte_eth_dev_info_get(pid, &di);
	if (rc == 0)
		rc = check_queues(pc, &di, nq, err, errlen);
	if (rc != 0)
		return -1;
	/* Spread flows over the workers' queues where the NIC can. */
	if (nq > 1 && di.flow_type_rss_offloads != 0) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf = di.flow_type_rss_offloads &
			(RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP);
	}
	rc = rte_eth_dev_configure(pid, nq, nq, &conf);
	if (rc == 0)
		rc = rte_eth_dev_adjust_nb_rx_tx_desc(pid, &nrx, &ntx);
	for (q = 0; q < nq && rc == 0; q++) {
		rc = rte_eth_rx_queue_setup(pid, q, nrx, socket, NULL, mp);
		if (rc == 0)
			rc = rte_eth_tx_queue_setup(pid, q, ntx, socket, NULL);
	}
	if (rc == 0)
		rc = rte_eth_dev_start(pid);
	if (rc != 0) {
		snprintf(err, errlen, "port %s (%s): setup failed: %s",
			 pc->name, pc->device, rte_strerror(-rc));
		return -1;
	}
	return 0;
}

int
edgelbd_ports_init(const struct lb_config *cfg, struct lb_dp *dp,
		   struct rte_mempool **mp, char *err, size_t errlen)
{
	uint16_t nq = (uint16_t)cfg->global.workers;
	unsigned int n_mbufs;
	uint32_t i;

	n_mbufs = cfg->n_ports * nq * (RX_DESC + TX_DESC + 2 * LB_DP_BURST +
				       MBUF_CACHE) + MBUF_SPARE +
		  lb_excpath_mbufs(cfg) + cfg->global.extra_mbufs;
	*mp = rte_pktmbuf_pool_create("lb_mbufs", n_mbufs, MBUF_CACHE, 0,
				      RTE_MBUF_DEFAULT_BUF_SIZE,
				      (int)rte_socket_id());
	if (*mp == NULL) {
		snprintf(err, errlen, "cannot create %u mbufs: %s (more -m?)",
			 n_mbufs, rte_strerror(rte_errno));
		return -1;
	}
	for (i = 0; i < cfg->n_ports; i++) {
		const struct lb_port_conf *pc = &cfg->ports[i];
		struct lb_dp_port *p = &dp->ports[i];

		if (find_port(pc->device, &p->port_id) != 0) {
			snprintf(err, errlen, "port %s: no DPDK device '%s' "
				 "(probe failed? see the EAL log above)",
				 pc->name, pc->device);
			return -1;
		}
		if (port_setup(pc, p->port_id, nq, *mp, err, errlen) != 0)
			return -1;
		rte_eth_macaddr_get(p->port_id, &p->mac);
		dp->n_ports = i + 1;
	}
	return 0;
}

void
edgelbd_ports_stop(const struct lb_dp *dp)
{
	unsigned int i;

	for (i = 0; i < dp->n_ports; i++) {
		rte_eth_dev_stop(dp->ports[i].port_id);
		rte_eth_dev_close(dp->ports[i].port_id);
	}
}
