/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The worker's packet path on a ring-backed ethdev (the only place a mock
 * stands in for a NIC): frames in through lb_dp_process_burst, frames out
 * of the port's TX ring, counters checked against what was sent.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <cmocka.h>

#include <rte_arp.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "lb_dataplane.h"
#include "lb_pkt.h"
#include "lb_neigh.h"
#include "dataplane_priv.h"
#include "test_frames.h"
#include "test_ini.h"

#define IP(a, b, c, d) RTE_BE32(RTE_IPV4(a, b, c, d))

static const struct rte_ether_addr client_mac = {{2, 0, 0, 0, 0, 0x10}};
static const struct rte_ether_addr be_mac[2] = {
	{{2, 0, 0, 0, 0, 0x11}}, {{2, 0, 0, 0, 0, 0x12}},
};

struct fixture {
	struct lb_config *cfg;
	struct lb_dp *dp;
	struct lb_worker *w;
	struct lb_neigh_table *nt;
	struct lb_snapshot snap;
	struct rte_ring *tx;
};

static struct rte_mempool *mp;
static struct rte_ring *rx_ring, *tx_ring;
static uint16_t ring_port;
/* A second port, for frames that leave by another port than they came. */
static struct rte_ring *rx2_ring, *tx2_ring;
static uint16_t ring_port2;

static const char ini[] =
	"[global]\nworkers = 1\nflow_table_size = 1024\n"
	"tcp_fin_timeout = 1\n"
	"[port.lan]\ndevice = net_ring_test\naddress = 10.0.0.2/24\n"
	"[vip.web]\naddress = 10.0.0.100\nport = 80\nprotocol = tcp\n"
	"pool = web\n"
	"[vip.dns]\naddress = 10.0.0.100\nport = 53\nprotocol = udp\n"
	"pool = web\n"
	"[pool.web]\ntable_size = 251\n"
	"[backend.a]\npool = web\naddress = 10.0.0.11\nweight = 1\n"
	"[backend.b]\npool = web\naddress = 10.0.0.12\nweight = 3\n";

static int
start_port(uint16_t port, uint16_t *id)
{
	struct rte_eth_conf conf = { 0 };

	if (rte_eth_dev_configure(port, 1, 1, &conf) != 0 ||
	    rte_eth_rx_queue_setup(port, 0, 64, 0, NULL, mp) != 0 ||
	    rte_eth_tx_queue_setup(port, 0, 64, 0, NULL) != 0 ||
	    rte_eth_dev_start(port) != 0)
		return -1;
	*id = port;
	return 0;
}

static int
group_setup(void **state)
{
	char *argv[] = { "test", "--no-huge", "-m", "128", "--no-pci",
			 "--no-shconf", "--file-prefix=ut-dataplane",
			 "--log-level=error", NULL };
	int rc;

	(void)state;
	if (rte_eal_init(8, argv) < 0) {
		fprintf(stderr, "EAL init failed\n");
		return -1;
	}
	mp = rte_pktmbuf_pool_create("t_mbufs", 4096, 0, 0,
				     RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	rx_ring = rte_ring_create("t_rx", 4096, 0, 0);
	tx_ring = rte_ring_create("t_tx", 4096, 0, 0);
	rx2_ring = rte_ring_create("t_rx2", 256, 0, 0);
	tx2_ring = rte_ring_create("t_tx2", 256, 0, 0);
	if (mp == NULL || rx_ring == NULL || tx_ring == NULL ||
	    rx2_ring == NULL || tx2_ring == NULL) {
		fprintf(stderr, "mempool/rings: %s\n", rte_strerror(rte_errno));
		return -1;
	}
	rc = rte_eth_from_rings("net_ring_t", &rx_ring, 1, &tx_ring, 1, 0);
	if (rc >= 0)
		rc = start_port((uint16_t)rc, &ring_port);
	if (rc >= 0)
		rc = rte_eth_from_rings("net_ring_t2", &rx2_ring, 1, &tx2_ring,
					1, 0);
	if (rc >= 0)
		rc = start_port((uint16_t)rc, &ring_port2);
	if (rc < 0) {
		fprintf(stderr, "ring port: %s\n", rte_strerror(rte_errno));
		return -1;
	}
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	rte_eth_dev_stop(ring_port);
	rte_eth_dev_close(ring_port);
	rte_eth_dev_stop(ring_port2);
	rte_eth_dev_close(ring_port2);
	rte_eal_cleanup();
	return 0;
}

static struct lb_neigh_table *
resolved_neighbours(const struct lb_config *cfg)
{
	struct lb_neigh_table *nt = lb_neigh_table_create(cfg->n_neighs);
	uint32_t i, b;

	for (i = 0; i < cfg->n_backends; i++) {
		b = cfg->backends[i].neigh;
		nt->e[b].mac = be_mac[i % 2];
		nt->e[b].valid = 1;
	}
	return nt;
}

static int
setup_text(void **state, const char *text)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	fx->cfg = tini_parse(text);
	if (fx->cfg == NULL)
		return -1;
	fx->dp = lb_dp_create(1);
	fx->dp->n_ports = 1;
	fx->dp->ports[0].port_id = ring_port;
	rte_eth_macaddr_get(ring_port, &fx->dp->ports[0].mac);
	if (lb_dp_worker_create(fx->dp, 0, 1, 0,
				fx->cfg->global.flow_table_size) != 0)
		return -1;
	fx->w = fx->dp->workers[0];
	fx->nt = resolved_neighbours(fx->cfg);
	fx->snap = (struct lb_snapshot){ .cfg = fx->cfg, .neigh = fx->nt,
					 .generation = 1, .seq = 1 };
	lb_dp_publish(fx->dp, &fx->snap);
	*state = fx;
	return 0;
}

static int
setup(void **state)
{
	return setup_text(state, ini);
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;
	struct rte_mbuf *m;

	while (rte_ring_dequeue(tx_ring, (void **)&m) == 0)
		rte_pktmbuf_free(m);
	while (rte_ring_dequeue(tx2_ring, (void **)&m) == 0)
		rte_pktmbuf_free(m);
	lb_dp_free(fx->dp);
	lb_neigh_table_free(fx->nt);
	lb_config_free(fx->cfg);
	free(fx);
	return 0;
}

/* ---- frames ---- */

static struct rte_ipv4_hdr *
put_ipv4(struct rte_mbuf *m, const struct rte_ether_addr *dst_mac,
	 uint32_t src, uint32_t dst, uint8_t proto, uint16_t l4_len)
{
	void *buf = rte_pktmbuf_append(m, sizeof(struct rte_ether_hdr) +
				       sizeof(struct rte_ipv4_hdr) + l4_len);

	assert_non_null(buf);
	return tf_eth_ipv4(buf, dst_mac, &client_mac, src, dst, proto, l4_len);
}

static struct rte_mbuf *
tcp_frame(const struct fixture *fx, uint32_t src, uint16_t sport,
	  uint32_t dst, uint16_t dport, uint8_t flags)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	struct rte_ipv4_hdr *ip;
	struct rte_tcp_hdr *tcp;

	ip = put_ipv4(m, &fx->dp->ports[0].mac, src, dst, IPPROTO_TCP,
		      sizeof(*tcp));
	tcp = (struct rte_tcp_hdr *)(ip + 1);
	tcp->src_port = rte_cpu_to_be_16(sport);
	tcp->dst_port = rte_cpu_to_be_16(dport);
	tcp->data_off = 5 << 4;
	tcp->tcp_flags = flags;
	tcp->cksum = rte_ipv4_udptcp_cksum(ip, tcp);
	return m;
}

static struct rte_mbuf *
udp_frame(const struct fixture *fx, uint16_t sport, uint16_t dport)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	struct rte_ipv4_hdr *ip;
	struct rte_udp_hdr *udp;

	ip = put_ipv4(m, &fx->dp->ports[0].mac, IP(10, 0, 0, 50),
		      IP(10, 0, 0, 100), IPPROTO_UDP, sizeof(*udp) + 4);
	udp = (struct rte_udp_hdr *)(ip + 1);
	udp->src_port = rte_cpu_to_be_16(sport);
	udp->dst_port = rte_cpu_to_be_16(dport);
	udp->dgram_len = rte_cpu_to_be_16(sizeof(*udp) + 4);
	return m;
}

static struct rte_mbuf *
arp_request(uint32_t target)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);

	assert_non_null(m);
	assert_non_null(rte_pktmbuf_append(m, sizeof(struct rte_ether_hdr) +
					   sizeof(struct rte_arp_hdr)));
	tf_arp_request(rte_pktmbuf_mtod(m, void *), &client_mac,
		       IP(10, 0, 0, 50), target);
	return m;
}

static void
run(struct fixture *fx, struct rte_mbuf **pkts, uint16_t n, uint64_t now)
{
	lb_dp_process_burst(fx->w, &fx->snap, 0, pkts, n, now);
	lb_dp_flush(fx->w);
}

static struct rte_mbuf *
sent(void)
{
	struct rte_mbuf *m = NULL;

	if (rte_ring_dequeue(tx_ring, (void **)&m) != 0)
		return NULL;
	return m;
}

/* Backend index that the scheduler (not the test) chose for a tuple. */
static uint32_t
expected_backend(const struct fixture *fx, uint32_t src, uint16_t sport,
		 uint16_t dport, uint8_t proto)
{
	struct lb_flow_key k = {
		.src_addr = src, .dst_addr = IP(10, 0, 0, 100),
		.src_port = rte_cpu_to_be_16(sport),
		.dst_port = rte_cpu_to_be_16(dport), .proto = proto,
	};
	const struct lb_pool_conf *pool = &fx->cfg->pools[0];

	return pool->members[lb_sched_maglev_pick(&pool->maglev,
		lb_flow_key_hash(&fx->cfg->global.hash_key, &k))];
}

static int
mac_index(const struct rte_mbuf *m)
{
	const struct rte_ether_hdr *eth =
		rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);

	if (rte_is_same_ether_addr(&eth->dst_addr, &be_mac[0]))
		return 0;
	if (rte_is_same_ether_addr(&eth->dst_addr, &be_mac[1]))
		return 1;
	return -1;
}

/* ---- tests ---- */

static void
test_new_flows_follow_the_scheduler(void **state)
{
	struct fixture *fx = *state;
	struct rte_mbuf *m;
	uint64_t per_backend[2] = { 0 };
	uint16_t sport;
	uint32_t b;

	for (sport = 1000; sport < 1400; sport++) {
		m = tcp_frame(fx, IP(10, 0, 0, 50), sport, IP(10, 0, 0, 100),
			      80, RTE_TCP_SYN_FLAG);
		run(fx, &m, 1, 1000);
		m = sent();
		assert_non_null(m);
		b = expected_backend(fx, IP(10, 0, 0, 50), sport, 80,
				     IPPROTO_TCP);
		/* DR: the frame goes to the chosen backend's MAC. */
		assert_int_equal(mac_index(m), b % 2);
		assert_true(rte_is_same_ether_addr(
			&rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->src_addr,
			&fx->dp->ports[0].mac));
		per_backend[b]++;
		rte_pktmbuf_free(m);
	}
	assert_int_equal(fx->w->stats.backend[0].new_flows, per_backend[0]);
	assert_int_equal(fx->w->stats.backend[1].new_flows, per_backend[1]);
	assert_int_equal(fx->w->stats.vip[0].new_flows, 400);
	assert_int_equal(fx->w->stats.flow.inserts, 400);
	assert_int_equal(fx->w->stats.port[0].tx_packets, 400);
	assert_int_equal(lb_flow_table_count(fx->w->flows), 400);
}

static void
test_established_flow_keeps_backend(void **state)
{
	struct fixture *fx = *state;
	struct rte_mbuf *m[8];
	struct rte_mbuf *out;
	int first = -1, i;

	for (i = 0; i < 8; i++)
		m[i] = tcp_frame(fx, IP(10, 0, 0, 60), 5555, IP(10, 0, 0, 100),
				 80, i == 0 ? RTE_TCP_SYN_FLAG :
				 RTE_TCP_ACK_FLAG);
	/* One burst: the packets after the SYN must find its new entry. */
	run(fx, m, 8, 1000);
	for (i = 0; i < 8; i++) {
		out = sent();
		assert_non_null(out);
		if (first < 0)
			first = mac_index(out);
		assert_int_equal(mac_index(out), first);
		rte_pktmbuf_free(out);
	}
	assert_int_equal(fx->w->stats.flow.inserts, 1);
	assert_int_equal(fx->w->stats.vip[0].new_flows, 1);
	assert_int_equal(fx->w->stats.flow.hits, 7);
}

/*
 * One burst mixing new flows, a SYN rescheduling a closing flow and the
 * follow-up packets of all three: each follow-up must find the entry its
 * SYN made earlier in the same burst, and nothing else is looked up twice.
 */
static void
test_burst_mixing_new_and_rescheduled_flows(void **state)
{
	static const uint8_t flags[6] = {
		RTE_TCP_SYN_FLAG, RTE_TCP_SYN_FLAG, RTE_TCP_SYN_FLAG,
		RTE_TCP_ACK_FLAG, RTE_TCP_ACK_FLAG, RTE_TCP_ACK_FLAG,
	};
	static const uint16_t sport[6] = { 7001, 7002, 7003, 7001, 7003, 7002 };
	struct fixture *fx = *state;
	struct rte_mbuf *m[6];
	int i;

	m[0] = tcp_frame(fx, IP(10, 0, 0, 62), 7003, IP(10, 0, 0, 100), 80,
			 RTE_TCP_SYN_FLAG);
	m[1] = tcp_frame(fx, IP(10, 0, 0, 62), 7003, IP(10, 0, 0, 100), 80,
			 RTE_TCP_FIN_FLAG | RTE_TCP_ACK_FLAG);
	run(fx, m, 2, 1000);
	for (i = 0; i < 6; i++)
		m[i] = tcp_frame(fx, IP(10, 0, 0, 62), sport[i],
				 IP(10, 0, 0, 100), 80, flags[i]);
	run(fx, m, 6, 2000);
	assert_int_equal(fx->w->stats.flow.inserts, 1 + 3);
	assert_int_equal(fx->w->stats.flow.reschedules, 1);
	assert_int_equal(fx->w->stats.flow.hits, 1 + 3);
	assert_int_equal(fx->w->stats.flow.misses, 1 + 3);
	assert_int_equal(fx->w->stats.port[0].tx_packets, 2 + 6);
	assert_int_equal(lb_flow_table_count(fx->w->flows), 3);
	while ((m[0] = sent()) != NULL)
		rte_pktmbuf_free(m[0]);
}

/* The entry of the flow src:sport -> VIP:80, as the table holds it. */
static int
flow_entry(const struct fixture *fx, uint32_t src, uint16_t sport,
	   struct lb_flow_entry *e)
{
	struct lb_flow_key k = {
		.src_addr = src, .dst_addr = IP(10, 0, 0, 100),
		.src_port = rte_cpu_to_be_16(sport),
		.dst_port = RTE_BE16(80), .proto = IPPROTO_TCP,
	};
	const struct lb_flow_key *kp = &k;
	uint32_t h = lb_flow_hash(&k);

	return lb_flow_lookup_bulk(fx->w->flows, &kp, &h, 1, e) == 1;
}

/*
 * Entries are values copied out by the burst's bulk lookup: a packet
 * that follows a rewrite of its flow in the same burst must see the
 * rewrite (here: a FIN, then an ACK that would otherwise write the
 * pre-FIN state back), and a flow is rewritten only when its tick moves.
 */
static void
test_rewrite_in_burst_seen_by_later_packets(void **state)
{
	struct fixture *fx = *state;
	uint64_t tick = UINT64_C(1) << fx->w->timeouts.tick_shift;
	struct lb_flow_entry e;
	struct rte_mbuf *m[3];

	m[0] = tcp_frame(fx, IP(10, 0, 0, 63), 7100, IP(10, 0, 0, 100), 80,
			 RTE_TCP_SYN_FLAG);
	run(fx, m, 1, 5 * tick);
	assert_true(flow_entry(fx, IP(10, 0, 0, 63), 7100, &e));
	assert_int_equal(e.tick, 5);
	assert_int_equal(e.state, LB_FLOW_TCP_SYN);
	m[0] = tcp_frame(fx, IP(10, 0, 0, 63), 7100, IP(10, 0, 0, 100), 80,
			 RTE_TCP_ACK_FLAG);
	m[1] = tcp_frame(fx, IP(10, 0, 0, 63), 7100, IP(10, 0, 0, 100), 80,
			 RTE_TCP_FIN_FLAG | RTE_TCP_ACK_FLAG);
	m[2] = tcp_frame(fx, IP(10, 0, 0, 63), 7100, IP(10, 0, 0, 100), 80,
			 RTE_TCP_ACK_FLAG);
	run(fx, m, 3, 7 * tick + 1);
	assert_true(flow_entry(fx, IP(10, 0, 0, 63), 7100, &e));
	assert_int_equal(e.tick, 7);
	assert_int_equal(e.state, LB_FLOW_TCP_CLOSING);
	assert_int_equal(e.backend, expected_backend(fx, IP(10, 0, 0, 63),
						     7100, 80, IPPROTO_TCP));
	assert_int_equal(fx->w->stats.flow.hits, 3);
	assert_int_equal(lb_flow_table_count(fx->w->flows), 1);
	while ((m[0] = sent()) != NULL)
		rte_pktmbuf_free(m[0]);
}

static void
test_fin_closes_and_syn_reschedules(void **state)
{
	struct fixture *fx = *state;
	uint64_t hz = rte_get_tsc_hz();
	struct lb_flow_timeouts to = {
		.tick_shift = fx->w->timeouts.tick_shift,
	};
	uint64_t tick = UINT64_C(1) << to.tick_shift;
	struct rte_mbuf *m;

	/* 900 s and 1 s, in the worker's ticks, rounded up as it does. */
	to.ticks[LB_FLOW_TCP_EST] = (uint32_t)((900 * hz + tick - 1) / tick);
	to.ticks[LB_FLOW_TCP_CLOSING] = (uint32_t)((hz + tick - 1) / tick);
	m = tcp_frame(fx, IP(10, 0, 0, 61), 6000, IP(10, 0, 0, 100), 80,
		      RTE_TCP_SYN_FLAG);
	run(fx, &m, 1, 1000);
	m = tcp_frame(fx, IP(10, 0, 0, 61), 6000, IP(10, 0, 0, 100), 80,
		      RTE_TCP_FIN_FLAG | RTE_TCP_ACK_FLAG);
	run(fx, &m, 1, 2000);
	/* Closing flows expire after the short timeout, not the long one. */
	assert_int_equal(lb_flow_expire(fx->w->flows, 2000 + hz / 2, &to,
					 1024), 0);
	m = tcp_frame(fx, IP(10, 0, 0, 61), 6000, IP(10, 0, 0, 100), 80,
		      RTE_TCP_SYN_FLAG);
	run(fx, &m, 1, 3000);
	assert_int_equal(fx->w->stats.flow.reschedules, 1);
	assert_int_equal(fx->w->stats.vip[0].new_flows, 2);
	m = tcp_frame(fx, IP(10, 0, 0, 61), 6000, IP(10, 0, 0, 100), 80,
		      RTE_TCP_RST_FLAG);
	run(fx, &m, 1, 4000);
	assert_int_equal(lb_flow_expire(fx->w->flows, 4000 + 2 * hz, &to,
					 1024), 1);
	assert_int_equal(lb_flow_table_count(fx->w->flows), 0);
	while ((m = sent()) != NULL)
		rte_pktmbuf_free(m);
}

/* Send one TCP packet of src:sport -> VIP:80 (one burst each, up to 32
 * at a time); @return how many frames went out. */
static uint32_t
send_flows(struct fixture *fx, uint32_t src, uint16_t sport0, uint32_t n,
	   uint8_t flags, uint64_t now)
{
	struct rte_mbuf *m[LB_DP_BURST];
	uint32_t i, j, c, out = 0;

	for (i = 0; i < n; i += c) {
		c = RTE_MIN(n - i, (uint32_t)LB_DP_BURST);
		for (j = 0; j < c; j++)
			m[j] = tcp_frame(fx, src, (uint16_t)(sport0 + i + j),
					 IP(10, 0, 0, 100), 80, flags);
		run(fx, m, (uint16_t)c, now);
		while ((m[0] = sent()) != NULL) {
			out++;
			rte_pktmbuf_free(m[0]);
		}
	}
	return out;
}

/*
 * A table full of established flows: new flows go by the stateless
 * choice, counted, nothing dropped, and no established flow loses its
 * entry. Their next packets (not SYNs) go the same way, untracked.
 */
static void
test_full_table_of_established_falls_back_without_drop(void **state)
{
	struct fixture *fx = *state;
	uint32_t cap = lb_flow_table_capacity(fx->w->flows), i;
	struct rte_mbuf *m;

	assert_int_equal(send_flows(fx, IP(10, 0, 1, 1), 1024, cap,
				    RTE_TCP_SYN_FLAG, 1000), cap);
	assert_int_equal(send_flows(fx, IP(10, 0, 1, 1), 1024, cap,
				    RTE_TCP_ACK_FLAG, 1000), cap);
	assert_int_equal(fx->w->stats.flow.promotions, cap);
	assert_int_equal(fx->w->stats.flow.embryonic, 0);
	assert_int_equal(send_flows(fx, IP(10, 0, 2, 1), 1024, 200,
				    RTE_TCP_SYN_FLAG, 1000), 200);
	assert_int_equal(fx->w->stats.flow.fallbacks, 200);
	assert_int_equal(fx->w->stats.flow.evictions, 0);
	assert_int_equal(fx->w->stats.flow.inserts, cap);
	assert_int_equal(fx->w->stats.vip[0].new_flows, cap + 200);
	assert_int_equal(lb_flow_table_count(fx->w->flows), cap);
	for (i = 0; i < cap; i++) {
		struct lb_flow_entry e;

		assert_true(flow_entry(fx, IP(10, 0, 1, 1),
				       (uint16_t)(1024 + i), &e));
		assert_int_equal(e.state, LB_FLOW_TCP_EST);
	}
	/* the handshake ACK of a flow that got no entry: same backend */
	m = tcp_frame(fx, IP(10, 0, 2, 1), 1030, IP(10, 0, 0, 100), 80,
		      RTE_TCP_ACK_FLAG);
	run(fx, &m, 1, 1000);
	m = sent();
	assert_non_null(m);
	assert_int_equal(mac_index(m), expected_backend(fx, IP(10, 0, 2, 1),
							1030, 80,
							IPPROTO_TCP) % 2);
	rte_pktmbuf_free(m);
	assert_int_equal(fx->w->stats.flow.untracked, 1);
	assert_int_equal(lb_stats_port_drops(&fx->w->stats.port[0]), 0);
}

/*
 * A SYN flood into a full table: each new SYN evicts the oldest embryonic
 * entry, never an established one; nothing is dropped, every SYN still
 * makes an entry (no fallbacks), and the gauges follow.
 */
static void
test_full_table_evicts_oldest_embryonic_never_established(void **state)
{
	struct fixture *fx = *state;
	uint32_t cap = lb_flow_table_capacity(fx->w->flows), i;
	uint32_t half = cap / 2, flood = 300;
	struct lb_flow_entry e;
	uint64_t flows = 0;

	/* half established, then half embryonic: full */
	send_flows(fx, IP(10, 0, 1, 1), 1024, half, RTE_TCP_SYN_FLAG, 1000);
	send_flows(fx, IP(10, 0, 1, 1), 1024, half, RTE_TCP_ACK_FLAG, 1000);
	send_flows(fx, IP(10, 0, 3, 1), 1024, cap - half, RTE_TCP_SYN_FLAG,
		   1000);
	assert_int_equal(lb_flow_table_count(fx->w->flows), cap);
	assert_int_equal(fx->w->stats.flow.embryonic, cap - half);
	/* the flood: new sources */
	assert_int_equal(send_flows(fx, IP(10, 0, 4, 1), 1024, flood,
				    RTE_TCP_SYN_FLAG, 2000), flood);
	assert_int_equal(fx->w->stats.flow.evictions, flood);
	assert_int_equal(fx->w->stats.flow.fallbacks, 0);
	assert_int_equal(fx->w->stats.flow.embryonic, cap - half);
	assert_int_equal(lb_flow_table_count(fx->w->flows), cap);
	for (i = 0; i < half; i++) {
		assert_true(flow_entry(fx, IP(10, 0, 1, 1),
				       (uint16_t)(1024 + i), &e));
		assert_int_equal(e.state, LB_FLOW_TCP_EST);
	}
	/* oldest first: the first 300 embryonic went, the rest stayed */
	for (i = 0; i < cap - half; i++)
		assert_int_equal(flow_entry(fx, IP(10, 0, 3, 1),
					    (uint16_t)(1024 + i), &e),
				 i >= flood);
	for (i = 0; i < flood; i++)
		assert_true(flow_entry(fx, IP(10, 0, 4, 1),
				       (uint16_t)(1024 + i), &e));
	for (i = 0; i < LB_MAX_BACKENDS; i++)
		flows += fx->w->stats.backend[i].flows;
	assert_int_equal(flows, cap);
	assert_int_equal(lb_stats_port_drops(&fx->w->stats.port[0]), 0);
}

/*
 * A SYN makes an embryonic entry; a retransmitted SYN keeps it; the
 * client's ACK makes it established. lookup reports the state.
 */
static void
test_syn_embryonic_until_client_acks(void **state)
{
	struct fixture *fx = *state;
	uint64_t tick = UINT64_C(1) << fx->w->timeouts.tick_shift;
	struct lb_flow_key key = {
		.src_addr = IP(10, 0, 0, 64), .dst_addr = IP(10, 0, 0, 100),
		.src_port = RTE_BE16(7200), .dst_port = RTE_BE16(80),
		.proto = IPPROTO_TCP,
	};
	struct lb_dp_flow_info out;
	struct lb_dp_request req = { .type = LB_DP_REQ_LOOKUP, .n = 1,
				     .keys = &key, .out = &out };
	struct lb_flow_entry e;

	send_flows(fx, IP(10, 0, 0, 64), 7200, 1, RTE_TCP_SYN_FLAG, tick);
	assert_true(flow_entry(fx, IP(10, 0, 0, 64), 7200, &e));
	assert_int_equal(e.state, LB_FLOW_TCP_SYN);
	assert_int_equal(fx->w->stats.flow.embryonic, 1);
	assert_int_equal(rte_ring_enqueue(fx->w->requests, &req), 0);
	lb_dp_serve_request(fx->w, tick);
	assert_int_equal(out.found, 1);
	assert_int_equal(out.state, LB_FLOW_TCP_SYN);
	/* retransmitted SYN: embryonic still, its time refreshed */
	send_flows(fx, IP(10, 0, 0, 64), 7200, 1, RTE_TCP_SYN_FLAG, 3 * tick);
	assert_true(flow_entry(fx, IP(10, 0, 0, 64), 7200, &e));
	assert_int_equal(e.state, LB_FLOW_TCP_SYN);
	assert_int_equal(e.tick, 3);
	assert_int_equal(fx->w->stats.flow.inserts, 1);
	/* the handshake ACK */
	send_flows(fx, IP(10, 0, 0, 64), 7200, 1, RTE_TCP_ACK_FLAG, 4 * tick);
	assert_true(flow_entry(fx, IP(10, 0, 0, 64), 7200, &e));
	assert_int_equal(e.state, LB_FLOW_TCP_EST);
	assert_int_equal(fx->w->stats.flow.promotions, 1);
	assert_int_equal(fx->w->stats.flow.embryonic, 0);
	assert_int_equal(fx->w->stats.vip[0].new_flows, 1);
	assert_int_equal(e.backend, expected_backend(fx, IP(10, 0, 0, 64),
						     7200, 80, IPPROTO_TCP));
	/* a SYN + FIN in one burst: closing, no longer embryonic */
	send_flows(fx, IP(10, 0, 0, 65), 7200, 1, RTE_TCP_SYN_FLAG, 4 * tick);
	send_flows(fx, IP(10, 0, 0, 65), 7200, 1,
		   RTE_TCP_FIN_FLAG | RTE_TCP_ACK_FLAG, 4 * tick);
	assert_true(flow_entry(fx, IP(10, 0, 0, 65), 7200, &e));
	assert_int_equal(e.state, LB_FLOW_TCP_CLOSING);
	assert_int_equal(fx->w->stats.flow.embryonic, 0);
	assert_int_equal(fx->w->stats.flow.promotions, 1);
}

/*
 * A packet of an unknown TCP flow that is not a SYN (an ACK flood, or a
 * connection whose entry is gone) makes no entry: it goes where the
 * scheduler says, counted untracked, and it is no new flow.
 */
static void
test_non_syn_first_packet_untracked(void **state)
{
	struct fixture *fx = *state;
	struct rte_mbuf *m;
	uint16_t sport;
	uint32_t b;

	for (sport = 3000; sport < 3100; sport++) {
		m = tcp_frame(fx, IP(10, 0, 0, 66), sport, IP(10, 0, 0, 100),
			      80, sport % 2 ? RTE_TCP_ACK_FLAG :
			      RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG);
		run(fx, &m, 1, 1000);
		m = sent();
		assert_non_null(m);
		b = expected_backend(fx, IP(10, 0, 0, 66), sport, 80,
				     IPPROTO_TCP);
		assert_int_equal(mac_index(m), b % 2);
		rte_pktmbuf_free(m);
	}
	assert_int_equal(fx->w->stats.flow.untracked, 100);
	assert_int_equal(fx->w->stats.flow.misses, 100);
	assert_int_equal(fx->w->stats.flow.inserts, 0);
	assert_int_equal(fx->w->stats.vip[0].new_flows, 0);
	assert_int_equal(lb_flow_table_count(fx->w->flows), 0);
	assert_int_equal(fx->w->stats.port[0].tx_packets, 100);
}

/* An embryonic entry the client never acknowledges leaves after
 * tcp_syn_timeout (5 s), long before an established one (900 s). */
static void
test_embryonic_expires_after_syn_timeout(void **state)
{
	struct fixture *fx = *state;
	uint64_t hz = rte_get_tsc_hz(), t0 = 1000;

	assert_int_equal(fx->cfg->global.tcp_syn_timeout, 5);
	lb_dp_worker_adopt(fx->w, fx->cfg);     /* the timeouts */
	send_flows(fx, IP(10, 0, 0, 67), 4000, 10, RTE_TCP_SYN_FLAG, t0);
	send_flows(fx, IP(10, 0, 0, 67), 4000, 4, RTE_TCP_ACK_FLAG, t0);
	assert_int_equal(fx->w->stats.flow.embryonic, 6);
	assert_int_equal(lb_flow_expire(fx->w->flows, t0 + 4 * hz,
					&fx->w->timeouts, 1024), 0);
	assert_int_equal(lb_flow_expire(fx->w->flows, t0 + 6 * hz,
					&fx->w->timeouts, 1024), 6);
	assert_int_equal(fx->w->stats.flow.syn_expiries, 6);
	assert_int_equal(fx->w->stats.flow.embryonic, 0);
	assert_int_equal(lb_flow_table_count(fx->w->flows), 4);
	assert_int_equal(fx->w->stats.backend[0].flows +
			 fx->w->stats.backend[1].flows, 4);
}

/* Send one UDP datagram of 10.0.0.50:sport0+i -> VIP:53 for each i < n. */
static void
send_udp(struct fixture *fx, uint16_t sport0, uint32_t n, uint64_t now)
{
	struct rte_mbuf *m[LB_DP_BURST];
	uint32_t i, j, c;

	for (i = 0; i < n; i += c) {
		c = RTE_MIN(n - i, (uint32_t)LB_DP_BURST);
		for (j = 0; j < c; j++)
			m[j] = udp_frame(fx, (uint16_t)(sport0 + i + j), 53);
		run(fx, m, (uint16_t)c, now);
		while ((m[0] = sent()) != NULL)
			rte_pktmbuf_free(m[0]);
	}
}

static int
udp_entry(const struct fixture *fx, uint16_t sport, struct lb_flow_entry *e)
{
	struct lb_flow_key k = {
		.src_addr = IP(10, 0, 0, 50), .dst_addr = IP(10, 0, 0, 100),
		.src_port = rte_cpu_to_be_16(sport),
		.dst_port = RTE_BE16(53), .proto = IPPROTO_UDP,
	};
	const struct lb_flow_key *kp = &k;
	uint32_t h = lb_flow_hash(&k);

	return lb_flow_lookup_bulk(fx->w->flows, &kp, &h, 1, e) == 1;
}

/*
 * A UDP flow's first datagram makes an embryonic entry (a spoofed source
 * sends no second one), its second makes it a UDP flow. A table full of
 * one-datagram flows gives their entries to new flows, oldest first; the
 * flows that sent twice keep theirs.
 */
static void
test_udp_first_datagram_embryonic(void **state)
{
	struct fixture *fx = *state;
	uint32_t cap = lb_flow_table_capacity(fx->w->flows), i;
	struct lb_flow_entry e;

	send_udp(fx, 1024, cap, 1000);
	assert_int_equal(fx->w->stats.flow.embryonic, cap);
	assert_true(udp_entry(fx, 1024, &e));
	assert_int_equal(e.state, LB_FLOW_UDP_NEW);
	/* the newest ten send again: UDP flows now */
	send_udp(fx, (uint16_t)(1024 + cap - 10), 10, 1000);
	assert_int_equal(fx->w->stats.flow.promotions, 10);
	assert_int_equal(fx->w->stats.flow.embryonic, cap - 10);
	assert_true(udp_entry(fx, (uint16_t)(1024 + cap - 1), &e));
	assert_int_equal(e.state, LB_FLOW_UDP);
	/* new flows take the oldest one-datagram entries, nothing else */
	assert_int_equal(send_flows(fx, IP(10, 0, 2, 1), 1024, 200,
				    RTE_TCP_SYN_FLAG, 1000), 200);
	assert_int_equal(fx->w->stats.flow.evictions, 200);
	assert_int_equal(fx->w->stats.flow.fallbacks, 0);
	assert_int_equal(lb_flow_table_count(fx->w->flows), cap);
	for (i = 0; i < 200; i++)
		assert_false(udp_entry(fx, (uint16_t)(1024 + i), &e));
	assert_true(udp_entry(fx, (uint16_t)(1024 + 200), &e));
	for (i = cap - 10; i < cap; i++) {
		assert_true(udp_entry(fx, (uint16_t)(1024 + i), &e));
		assert_int_equal(e.state, LB_FLOW_UDP);
	}
	assert_int_equal(fx->w->stats.flow.embryonic, cap - 10);
}

static void
test_udp_flow_and_unknown_port(void **state)
{
	struct fixture *fx = *state;
	struct rte_mbuf *m[2];

	m[0] = udp_frame(fx, 4000, 53);
	m[1] = udp_frame(fx, 4000, 54);
	run(fx, m, 2, 1000);
	assert_int_equal(fx->w->stats.vip[1].new_flows, 1);
	assert_int_equal(fx->w->stats.port[0].drops[LB_DROP_no_vip], 1);
	rte_pktmbuf_free(sent());
	assert_null(sent());
}

static void
test_not_ours_and_unresolved_dropped(void **state)
{
	struct fixture *fx = *state;
	struct rte_mbuf *m;
	uint32_t i;

	m = tcp_frame(fx, IP(10, 0, 0, 50), 1, IP(10, 0, 0, 99), 80,
		      RTE_TCP_SYN_FLAG);
	run(fx, &m, 1, 1000);
	assert_int_equal(fx->w->stats.port[0].drops[LB_DROP_not_ours], 1);
	for (i = 0; i < fx->nt->n; i++)
		fx->nt->e[i].valid = 0;
	m = tcp_frame(fx, IP(10, 0, 0, 50), 2, IP(10, 0, 0, 100), 80,
		      RTE_TCP_SYN_FLAG);
	run(fx, &m, 1, 1000);
	assert_int_equal(
		fx->w->stats.port[0].drops[LB_DROP_neigh_unresolved], 1);
	assert_null(sent());
}

static void
test_arp_answered_for_vip_and_port_only(void **state)
{
	struct fixture *fx = *state;
	struct rte_mbuf *m[3];
	struct rte_arp_hdr *arp;
	struct rte_mbuf *out;

	m[0] = arp_request(IP(10, 0, 0, 100));
	m[1] = arp_request(IP(10, 0, 0, 2));
	m[2] = arp_request(IP(10, 0, 0, 77));
	run(fx, m, 3, 1000);
	assert_int_equal(fx->w->stats.port[0].arp_replies, 2);
	assert_int_equal(fx->w->stats.port[0].drops[LB_DROP_arp_not_ours], 1);
	out = sent();
	assert_non_null(out);
	arp = rte_pktmbuf_mtod_offset(out, struct rte_arp_hdr *,
				      sizeof(struct rte_ether_hdr));
	assert_int_equal(arp->arp_opcode, RTE_BE16(RTE_ARP_OP_REPLY));
	assert_int_equal(arp->arp_data.arp_sip, IP(10, 0, 0, 100));
	assert_true(rte_is_same_ether_addr(&arp->arp_data.arp_sha,
					   &fx->dp->ports[0].mac));
	rte_pktmbuf_free(out);
	rte_pktmbuf_free(sent());
	assert_null(sent());
}

static void
test_icmp_echo_answered(void **state)
{
	struct fixture *fx = *state;
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	struct rte_ipv4_hdr *ip;
	struct rte_icmp_hdr *icmp;

	ip = put_ipv4(m, &fx->dp->ports[0].mac, IP(10, 0, 0, 50),
		      IP(10, 0, 0, 100), IPPROTO_ICMP, sizeof(*icmp));
	icmp = (struct rte_icmp_hdr *)(ip + 1);
	icmp->icmp_type = RTE_IP_ICMP_ECHO_REQUEST;
	icmp->icmp_cksum = ~rte_raw_cksum(icmp, sizeof(*icmp));
	run(fx, &m, 1, 1000);
	m = sent();
	assert_non_null(m);
	ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *,
				     sizeof(struct rte_ether_hdr));
	assert_int_equal(ip->dst_addr, IP(10, 0, 0, 50));
	assert_int_equal(((struct rte_icmp_hdr *)(ip + 1))->icmp_type,
			 RTE_IP_ICMP_ECHO_REPLY);
	assert_int_equal(fx->w->stats.port[0].icmp_echo_replies, 1);
	rte_pktmbuf_free(m);
}

static void
test_malformed_counted_by_reason(void **state)
{
	struct fixture *fx = *state;
	struct rte_mbuf *m = tcp_frame(fx, IP(10, 0, 0, 50), 1,
				       IP(10, 0, 0, 100), 80,
				       RTE_TCP_SYN_FLAG);
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m,
			struct rte_ipv4_hdr *, sizeof(struct rte_ether_hdr));

	ip->hdr_checksum ^= 0x5555;
	run(fx, &m, 1, 1000);
	assert_int_equal(fx->w->stats.port[0].drops[LB_DROP_ipv4_checksum], 1);
	assert_int_equal(fx->w->stats.port[0].rx_packets, 1);
	assert_null(sent());
}

static void
test_lookup_request_answered_by_worker(void **state)
{
	struct fixture *fx = *state;
	struct lb_flow_key keys[2] = {
		{ .src_addr = IP(10, 0, 0, 70), .dst_addr = IP(10, 0, 0, 100),
		  .src_port = RTE_BE16(7000), .dst_port = RTE_BE16(80),
		  .proto = IPPROTO_TCP },
		{ .src_addr = IP(10, 0, 0, 71), .dst_addr = IP(10, 0, 0, 100),
		  .src_port = RTE_BE16(7000), .dst_port = RTE_BE16(80),
		  .proto = IPPROTO_TCP },
	};
	struct lb_dp_flow_info out[2];
	struct lb_dp_request req = { .type = LB_DP_REQ_LOOKUP, .n = 2,
				     .keys = keys, .out = out };
	struct lb_dp_flow_info dump[4];
	struct lb_dp_request freq = { .type = LB_DP_REQ_FLOWS, .max = 4,
				      .out = dump };
	struct rte_mbuf *m;

	m = tcp_frame(fx, IP(10, 0, 0, 70), 7000, IP(10, 0, 0, 100), 80,
		      RTE_TCP_SYN_FLAG);
	run(fx, &m, 1, 1000);
	rte_pktmbuf_free(sent());
	/* No worker loop runs here: serve the request by hand. */
	assert_int_equal(rte_ring_enqueue(fx->w->requests, &req), 0);
	lb_dp_serve_request(fx->w, 2000);
	assert_int_equal(req.done, 1);
	assert_int_equal(out[0].found, 1);
	assert_int_equal(out[0].backend,
			 expected_backend(fx, IP(10, 0, 0, 70), 7000, 80,
					  IPPROTO_TCP));
	assert_int_equal(out[1].found, 0);
	assert_int_equal(rte_ring_enqueue(fx->w->requests, &freq), 0);
	lb_dp_serve_request(fx->w, 2000);
	assert_int_equal(freq.n_out, 1);
	assert_int_equal(dump[0].key.src_addr, IP(10, 0, 0, 70));
}

/* ---- identities across snapshots ---- */

#define ID_FLOWS 240

/* A snapshot built from @p text with the identity registries, as the
 * runtime builds one; @p prev and @p retain as lb_config_build_opts. */
struct id_run {
	struct lb_ids *bids, *vids;
	struct lb_config *cfg[4];
	struct lb_neigh_table *nt[4];
	int mac_of[ID_FLOWS];       /* 0: 10.0.0.11, 1: .12, 2: .13 */
};

static const struct rte_ether_addr id_mac[3] = {
	{ .addr_bytes = { 0x02, 0, 0, 0, 0, 0x11 } },
	{ .addr_bytes = { 0x02, 0, 0, 0, 0, 0x12 } },
	{ .addr_bytes = { 0x02, 0, 0, 0, 0, 0x13 } },
};

static struct lb_config *
build_with_ids(struct id_run *r, const char *text,
	       const struct lb_config *prev, const uint16_t *retain,
	       uint32_t n_retain)
{
	struct lb_config_build_opts o = {
		.backend_ids = r->bids, .vip_ids = r->vids, .prev = prev,
		.retain = retain, .n_retain = n_retain,
	};
	struct lb_config_error err;
	struct lb_config *cfg = NULL;
	struct lb_spec *spec;
	char path[] = "/tmp/lbidXXXXXX";
	int fd = mkstemp(path);

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		return NULL;
	close(fd);
	spec = lb_spec_load(path, &err);
	if (spec != NULL)
		cfg = lb_config_build(spec, &o, &err);
	if (cfg == NULL)
		fprintf(stderr, "%s\n", err.msg);
	lb_spec_free(spec);
	unlink(path);
	return cfg;
}

/* Every neighbour resolved to the MAC its address has in id_mac. */
static struct lb_neigh_table *
neigh_by_address(const struct lb_config *cfg)
{
	struct lb_neigh_table *nt = lb_neigh_table_create(cfg->n_neighs);
	uint32_t i;

	for (i = 0; i < cfg->n_neighs; i++) {
		nt->e[i].mac = id_mac[(rte_be_to_cpu_32(cfg->neighs[i].addr) &
				       0xff) - 11];
		nt->e[i].valid = 1;
	}
	return nt;
}

static int
id_mac_index(const struct rte_mbuf *m)
{
	const struct rte_ether_hdr *eth =
		rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	int i;

	for (i = 0; i < 3; i++)
		if (rte_is_same_ether_addr(&eth->dst_addr, &id_mac[i]))
			return i;
	return -1;
}

static void
id_use(struct fixture *fx, struct id_run *r, int k)
{
	fx->snap.cfg = r->cfg[k];
	fx->snap.neigh = r->nt[k];
	fx->snap.generation = (uint64_t)k + 1;
}

/* One packet of each test flow; records (first) or checks its backend.
 * @return how many went elsewhere than before. */
static int
id_send_all(struct fixture *fx, struct id_run *r, uint8_t flags, int record)
{
	struct rte_mbuf *m;
	int i, moved = 0, got;

	for (i = 0; i < ID_FLOWS; i++) {
		m = tcp_frame(fx, IP(10, 0, 0, 50), (uint16_t)(7000 + i),
			      IP(10, 0, 0, 100), 80, flags);
		run(fx, &m, 1, 1000);
		m = sent();
		assert_non_null(m);
		got = id_mac_index(m);
		assert_true(got >= 0);
		if (record)
			r->mac_of[i] = got;
		else if (got != r->mac_of[i])
			moved++;
		rte_pktmbuf_free(m);
	}
	return moved;
}

static int
id_count(const struct id_run *r, int mac)
{
	int i, n = 0;

	for (i = 0; i < ID_FLOWS; i++)
		n += r->mac_of[i] == mac;
	return n;
}

static const char id_head[] =
	"[global]\nworkers = 1\nflow_table_size = 1024\n"
	"[port.lan]\ndevice = net_ring_test\naddress = 10.0.0.2/24\n"
	"[vip.web]\naddress = 10.0.0.100\nport = 80\npool = web\n";

static void
id_setup(struct fixture *fx, struct id_run *r, const char *on_remove)
{
	char t[4][1024];
	uint16_t id_a;

	r->bids = lb_ids_create(LB_MAX_BACKENDS);
	r->vids = lb_ids_create(LB_MAX_VIPS);
	/* 0: a and b. 1: "0new" sorts first, sections reordered, weights
	 * changed. 2: a removed, kept for its flows. */
	snprintf(t[0], sizeof(t[0]), "%s[pool.web]\ntable_size = 251\n"
		 "on_remove = %s\n"
		 "[backend.a]\npool = web\naddress = 10.0.0.11\nweight = 1\n"
		 "[backend.b]\npool = web\naddress = 10.0.0.12\nweight = 3\n",
		 id_head, on_remove);
	snprintf(t[1], sizeof(t[1]), "%s[backend.b]\npool = web\n"
		 "address = 10.0.0.12\nweight = 1\n"
		 "[backend.0new]\npool = web\naddress = 10.0.0.13\n"
		 "weight = 5\n"
		 "[backend.a]\npool = web\naddress = 10.0.0.11\nweight = 2\n"
		 "[pool.web]\ntable_size = 251\non_remove = %s\n",
		 id_head, on_remove);
	snprintf(t[2], sizeof(t[2]), "%s[backend.b]\npool = web\n"
		 "address = 10.0.0.12\nweight = 1\n"
		 "[backend.0new]\npool = web\naddress = 10.0.0.13\n"
		 "weight = 5\n[pool.web]\ntable_size = 251\non_remove = %s\n",
		 id_head, on_remove);
	r->cfg[0] = build_with_ids(r, t[0], NULL, NULL, 0);
	assert_non_null(r->cfg[0]);
	r->cfg[1] = build_with_ids(r, t[1], r->cfg[0], NULL, 0);
	assert_non_null(r->cfg[1]);
	id_a = r->cfg[0]->backends[r->cfg[0]->backend_index[0]].id;
	r->cfg[2] = build_with_ids(r, t[2], r->cfg[1], &id_a, 1);
	assert_non_null(r->cfg[2]);
	for (int k = 0; k < 3; k++)
		r->nt[k] = neigh_by_address(r->cfg[k]);
	id_use(fx, r, 0);
}

static void
id_teardown(struct fixture *fx, struct id_run *r)
{
	for (int k = 0; k < 3; k++) {
		lb_config_free(r->cfg[k]);
		lb_neigh_table_free(r->nt[k]);
	}
	lb_ids_free(r->bids);
	lb_ids_free(r->vids);
	fx->snap.cfg = fx->cfg;
	fx->snap.neigh = fx->nt;
}

/* The identity (not the index) of backend NAME in @p cfg. */
static uint16_t
id_of(const struct lb_config *cfg, const char *name)
{
	return cfg->backends[tini_backend(cfg, name)].id;
}

/*
 * A backend sorting before the others, reordered sections and new weights
 * move no held flow; counters by identity go on counting.
 */
static void
test_swap_keeps_flows_by_identity(void **state)
{
	struct fixture *fx = *state;
	struct id_run r = { 0 };
	uint16_t a, b;

	id_setup(fx, &r, "keep");
	a = id_of(r.cfg[0], "a");
	b = id_of(r.cfg[0], "b");
	assert_int_equal(id_send_all(fx, &r, RTE_TCP_SYN_FLAG, 1), 0);
	assert_true(id_count(&r, 0) > 0 && id_count(&r, 1) > 0);
	id_use(fx, &r, 1);
	/* "0new" sorts first: indexes shifted, identities did not. */
	assert_int_equal(id_of(r.cfg[1], "a"), a);
	assert_int_not_equal(r.cfg[1]->backend_index[a],
			     r.cfg[0]->backend_index[a]);
	assert_int_equal(id_send_all(fx, &r, RTE_TCP_ACK_FLAG, 0), 0);
	assert_int_equal(fx->w->stats.backend[a].packets,
			 2 * (uint64_t)id_count(&r, 0));
	assert_int_equal(fx->w->stats.backend[b].packets,
			 2 * (uint64_t)id_count(&r, 1));
	assert_int_equal(fx->w->stats.backend[a].flows,
			 (uint64_t)id_count(&r, 0));
	assert_int_equal(fx->w->stats.flow.inserts, ID_FLOWS);
	/* a removed, on_remove = keep: its flows stay on its server. */
	id_use(fx, &r, 2);
	assert_int_equal(r.cfg[2]->backends[r.cfg[2]->backend_index[a]].state,
			 LB_BACKEND_REMOVED);
	assert_int_equal(id_send_all(fx, &r, RTE_TCP_ACK_FLAG, 0), 0);
	assert_int_equal(fx->w->stats.flow.removed_kept,
			 (uint64_t)id_count(&r, 0));
	assert_int_equal(fx->w->stats.backend[a].flows,
			 (uint64_t)id_count(&r, 0));
	id_teardown(fx, &r);
}

/* on_remove = reschedule: flows of the removed backend go where the
 * scheduler says now, once each; the others stay. Flow gauges follow. */
static void
test_removed_backend_flows_rescheduled(void **state)
{
	struct fixture *fx = *state;
	struct id_run r = { 0 };
	int moved, n_a;
	uint16_t a, b, n;

	id_setup(fx, &r, "reschedule");
	a = id_of(r.cfg[0], "a");
	id_send_all(fx, &r, RTE_TCP_SYN_FLAG, 1);
	n_a = id_count(&r, 0);
	id_use(fx, &r, 2);
	moved = id_send_all(fx, &r, RTE_TCP_ACK_FLAG, 0);
	assert_int_equal(moved, n_a);
	assert_int_equal(fx->w->stats.flow.removed_rescheduled, (uint64_t)n_a);
	assert_int_equal(fx->w->stats.backend[a].flows, 0);
	b = id_of(r.cfg[2], "b");
	n = id_of(r.cfg[2], "0new");
	assert_int_equal(fx->w->stats.backend[b].flows +
			 fx->w->stats.backend[n].flows, ID_FLOWS);
	/* Scheduled once: the next packets stay where they went. */
	assert_int_equal(id_send_all(fx, &r, RTE_TCP_ACK_FLAG, 0), n_a);
	assert_int_equal(fx->w->stats.flow.removed_rescheduled, (uint64_t)n_a);
	assert_int_equal(lb_flow_table_count(fx->w->flows), ID_FLOWS);
	id_teardown(fx, &r);
}

/* A recycled identity's counters start again at zero on every worker,
 * the others go on. */
static void
test_adopt_zeroes_recycled_counters(void **state)
{
	struct fixture *fx = *state;
	struct lb_config *next = calloc(1, sizeof(*next));

	assert_non_null(next);
	*next = *fx->cfg;       /* a shallow copy: only epochs are read */
	fx->w->stats.backend[0].new_flows = 7;
	fx->w->stats.backend[1].new_flows = 9;
	fx->w->stats.vip[1].packets = 5;
	next->backend_epoch[1]++;
	next->vip_epoch[1]++;
	lb_dp_worker_adopt(fx->w, next);
	assert_int_equal(fx->w->stats.backend[0].new_flows, 7);
	assert_int_equal(fx->w->stats.backend[1].new_flows, 0);
	assert_int_equal(fx->w->stats.vip[1].packets, 0);
	fx->w->stats.backend[1].new_flows = 3;
	lb_dp_worker_adopt(fx->w, next);        /* seen: nothing zeroed */
	assert_int_equal(fx->w->stats.backend[1].new_flows, 3);
	free(next);
}

/* Every backend of the pool disabled: an empty table. */
static const char ini_empty_closed[] =
	"[global]\nworkers = 1\nflow_table_size = 1024\n"
	"[port.lan]\ndevice = net_ring_test\naddress = 10.0.0.2/24\n"
	"[vip.web]\naddress = 10.0.0.100\nport = 80\nprotocol = tcp\n"
	"pool = web\n"
	"[vip.dns]\naddress = 10.0.0.100\nport = 53\nprotocol = udp\n"
	"pool = web\n"
	"[pool.web]\ntable_size = 251\nall_down = fail_closed\n"
	"[backend.a]\npool = web\naddress = 10.0.0.11\n"
	"admin_state = disabled\n";

static int
setup_empty_closed(void **state)
{
	return setup_text(state, ini_empty_closed);
}

/* What the peer makes of a reply the worker sent. */
static void
sent_reply(const struct fixture *fx, uint8_t proto, struct lb_pkt_info *pi)
{
	struct rte_mbuf *m = sent();

	assert_non_null(m);
	assert_int_equal(lb_pkt_parse(m, &client_mac, 0, pi), LB_PKT_IPV4);
	assert_int_equal(pi->proto, proto);
	assert_int_equal(pi->src_addr, IP(10, 0, 0, 100));
	assert_int_equal(pi->dst_addr, IP(10, 0, 0, 50));
	assert_true(rte_is_same_ether_addr(
		&rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->src_addr,
		&fx->dp->ports[0].mac));
	rte_pktmbuf_free(m);
}

static void
test_fail_closed_refuses_new_flows(void **state)
{
	struct fixture *fx = *state;
	struct lb_pkt_info pi;
	struct rte_mbuf *m[3];

	m[0] = tcp_frame(fx, IP(10, 0, 0, 50), 1000, IP(10, 0, 0, 100), 80,
			 RTE_TCP_SYN_FLAG);
	run(fx, m, 1, 1000);
	sent_reply(fx, IPPROTO_TCP, &pi);
	assert_int_equal(pi.tcp_flags, RTE_TCP_RST_FLAG | RTE_TCP_ACK_FLAG);
	assert_int_equal(pi.src_port, rte_cpu_to_be_16(80));
	assert_int_equal(pi.dst_port, rte_cpu_to_be_16(1000));
	m[0] = udp_frame(fx, 4000, 53);
	run(fx, m, 1, 1000);
	sent_reply(fx, IPPROTO_ICMP, &pi);
	assert_int_equal(pi.icmp_type, 3);
	/* a RST is not answered: dropped, counted */
	m[0] = tcp_frame(fx, IP(10, 0, 0, 50), 1001, IP(10, 0, 0, 100), 80,
			 RTE_TCP_RST_FLAG);
	run(fx, m, 1, 1000);
	assert_null(sent());
	assert_int_equal(fx->w->stats.vip[0].refused, 1);
	assert_int_equal(fx->w->stats.vip[1].refused, 1);
	assert_int_equal(fx->w->stats.port[0].drops[LB_DROP_no_backend], 1);
	assert_int_equal(fx->w->stats.flow.inserts, 0);
}

/* The same empty pool failing open drops: nothing to send to. */
static void
test_fail_open_empty_pool_drops(void **state)
{
	struct fixture *fx = *state;
	struct rte_mbuf *m;

	fx->cfg->pools[0].all_down = LB_ALL_DOWN_FAIL_OPEN;
	m = tcp_frame(fx, IP(10, 0, 0, 50), 1000, IP(10, 0, 0, 100), 80,
		      RTE_TCP_SYN_FLAG);
	run(fx, &m, 1, 1000);
	assert_null(sent());
	assert_int_equal(fx->w->stats.vip[0].refused, 0);
	assert_int_equal(fx->w->stats.port[0].drops[LB_DROP_no_backend], 1);
}

/* ---- the kernel exception path ---- */

static struct rte_mbuf *
icmp_frame(const struct fixture *fx, uint32_t dst, uint8_t type)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	struct rte_ipv4_hdr *ip;
	struct rte_icmp_hdr *icmp;

	ip = put_ipv4(m, &fx->dp->ports[0].mac, IP(10, 0, 0, 50), dst,
		      IPPROTO_ICMP, sizeof(*icmp));
	icmp = (struct rte_icmp_hdr *)(ip + 1);
	icmp->icmp_type = type;
	icmp->icmp_cksum = ~rte_raw_cksum(icmp, sizeof(*icmp));
	return m;
}

static struct rte_mbuf *
udp_to(const struct fixture *fx, uint32_t dst, uint16_t dport)
{
	struct rte_mbuf *m = udp_frame(fx, 5000, dport);
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m,
		struct rte_ipv4_hdr *, sizeof(struct rte_ether_hdr));

	ip->dst_addr = dst;
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	return m;
}

/* Port 0 with a kernel interface whose doorbell is a fresh eventfd. */
static int
enable_kernel(struct fixture *fx)
{
	int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(lb_dp_kernel_enable(fx->dp, 0, fd), 0);
	return fd;
}

/* How many times the doorbell was written since the last read. */
static uint64_t
rings(int fd)
{
	uint64_t n = 0;

	if (read(fd, &n, sizeof(n)) != (ssize_t)sizeof(n))
		return 0;
	return n;
}

static void
test_kernel_path_takes_port_address_only(void **state)
{
	struct fixture *fx = *state;
	struct lb_port_stats *ps = &fx->w->stats.port[0];
	struct rte_mbuf *m[8], *k[8];
	int fd = enable_kernel(fx);
	unsigned int i, n;

	m[0] = tcp_frame(fx, IP(10, 0, 0, 50), 1, IP(10, 0, 0, 2), 22,
			 RTE_TCP_SYN_FLAG);
	m[1] = udp_to(fx, IP(10, 0, 0, 2), 53);
	m[2] = icmp_frame(fx, IP(10, 0, 0, 2), RTE_IP_ICMP_ECHO_REPLY);
	m[3] = icmp_frame(fx, IP(10, 0, 0, 2), RTE_IP_ICMP_ECHO_REQUEST);
	m[4] = tcp_frame(fx, IP(10, 0, 0, 50), 2, IP(10, 0, 0, 100), 81,
			 RTE_TCP_SYN_FLAG);
	m[5] = icmp_frame(fx, IP(10, 0, 0, 100), 3);
	m[6] = tcp_frame(fx, IP(10, 0, 0, 50), 3, IP(10, 0, 0, 99), 22,
			 RTE_TCP_SYN_FLAG);
	m[7] = tcp_frame(fx, IP(10, 0, 0, 50), 4, IP(10, 0, 0, 100), 80,
			 RTE_TCP_SYN_FLAG);
	run(fx, m, 8, 1000);
	/* TCP, UDP and the echo reply to the port's address, in order */
	assert_int_equal(ps->to_kernel, 3);
	n = lb_dp_recv_kernel(fx->dp, 0, k, 8);
	assert_int_equal(n, 3);
	for (i = 0; i < n; i++)
		assert_int_equal(k[i]->port, 0);
	assert_int_equal(ps->to_kernel_bytes,
			 k[0]->pkt_len + k[1]->pkt_len + k[2]->pkt_len);
	for (i = 0; i < n; i++)
		rte_pktmbuf_free(k[i]);
	/* the echo request is still edgelb's; a VIP's address never the
	 * kernel's; what is not ours is dropped as before */
	assert_int_equal(ps->icmp_echo_replies, 1);
	assert_int_equal(ps->drops[LB_DROP_no_vip], 1);
	assert_int_equal(ps->drops[LB_DROP_icmp_unsupported], 1);
	assert_int_equal(ps->drops[LB_DROP_not_ours], 1);
	assert_int_equal(fx->w->stats.vip[0].new_flows, 1);
	rte_pktmbuf_free(sent());
	rte_pktmbuf_free(sent());
	assert_null(sent());
	assert_int_equal(rings(fd), 1);
	close(fd);
}

static void
test_kernel_path_off_drops_as_before(void **state)
{
	struct fixture *fx = *state;
	struct lb_port_stats *ps = &fx->w->stats.port[0];
	struct rte_mbuf *m[2], *k;

	m[0] = tcp_frame(fx, IP(10, 0, 0, 50), 1, IP(10, 0, 0, 2), 22,
			 RTE_TCP_SYN_FLAG);
	m[1] = icmp_frame(fx, IP(10, 0, 0, 2), RTE_IP_ICMP_ECHO_REPLY);
	run(fx, m, 2, 1000);
	assert_int_equal(ps->to_kernel, 0);
	assert_int_equal(ps->drops[LB_DROP_no_vip], 1);
	assert_int_equal(ps->drops[LB_DROP_icmp_unsupported], 1);
	assert_int_equal(lb_dp_recv_kernel(fx->dp, 0, &k, 1), 0);
	assert_int_equal(lb_dp_kernel_enable(fx->dp, 1, 3), -EINVAL);
	assert_int_equal(lb_dp_kernel_enable(fx->dp, 0, -1), -EINVAL);
}

/* One write per management sleep, none while it is awake; arming tells
 * management whether it may sleep. */
static void
test_kernel_doorbell_rings_once_per_arm(void **state)
{
	struct fixture *fx = *state;
	struct rte_mbuf *m[2], *k[4];
	int fd = enable_kernel(fx);

	m[0] = udp_to(fx, IP(10, 0, 0, 2), 53);
	m[1] = udp_to(fx, IP(10, 0, 0, 2), 54);
	run(fx, m, 2, 1000);
	assert_int_equal(rings(fd), 1);         /* armed at enable */
	m[0] = udp_to(fx, IP(10, 0, 0, 2), 55);
	run(fx, m, 1, 1000);
	assert_int_equal(rings(fd), 0);         /* management is awake */
	assert_int_equal(lb_dp_kernel_arm(fx->dp), 0);  /* 3 waiting */
	assert_int_equal(lb_dp_recv_kernel(fx->dp, 0, k, 4), 3);
	rte_pktmbuf_free_bulk(k, 3);
	assert_int_equal(lb_dp_kernel_arm(fx->dp), 1);  /* may sleep */
	m[0] = udp_to(fx, IP(10, 0, 0, 2), 56);
	run(fx, m, 1, 1000);
	assert_int_equal(rings(fd), 1);
	assert_int_equal(lb_dp_recv_kernel(fx->dp, 0, k, 4), 1);
	rte_pktmbuf_free(k[0]);
	/* a burst without frames for the kernel rings nothing */
	assert_int_equal(lb_dp_kernel_arm(fx->dp), 1);
	m[0] = tcp_frame(fx, IP(10, 0, 0, 50), 9, IP(10, 0, 0, 100), 80,
			 RTE_TCP_SYN_FLAG);
	run(fx, m, 1, 1000);
	rte_pktmbuf_free(sent());
	assert_int_equal(rings(fd), 0);
	close(fd);
}

/* A full ring drops and counts; the worker never waits. */
static void
test_kernel_ring_full_counted(void **state)
{
	struct fixture *fx = *state;
	struct lb_port_stats *ps = &fx->w->stats.port[0];
	unsigned int cap = rte_ring_get_capacity(fx->w->to_kernel), i;
	struct rte_mbuf *m[LB_DP_BURST];
	int fd = enable_kernel(fx);
	unsigned int sent_n = 0;

	while (sent_n < cap + 10) {
		for (i = 0; i < LB_DP_BURST; i++)
			m[i] = udp_to(fx, IP(10, 0, 0, 2), 53);
		run(fx, m, LB_DP_BURST, 1000);
		sent_n += LB_DP_BURST;
	}
	assert_int_equal(ps->to_kernel, cap);
	assert_int_equal(ps->drops[LB_DROP_kernel_ring_full], sent_n - cap);
	assert_int_equal(rings(fd), 1);
	close(fd);
}


/* ---- an edge facing the internet ---- */

/* The config's limits and tags taken on, as the worker loop does. */
static int
setup_adopted(void **state, const char *text)
{
	struct fixture *fx;

	if (setup_text(state, text) != 0)
		return -1;
	fx = *state;
	lb_dp_worker_adopt(fx->w, fx->cfg);
	return 0;
}

static const char ini_limits[] =
	"[global]\nworkers = 1\nflow_table_size = 1024\n"
	"icmp_echo_rate = 2\nicmp_echo_burst = 3\n"
	"arp_reply_rate = 4\narp_reply_burst = 2\n"
	"[port.lan]\ndevice = net_ring_test\naddress = 10.0.0.2/24\n"
	"[vip.web]\naddress = 10.0.0.100\nport = 80\npool = web\n"
	"[pool.web]\ntable_size = 251\n"
	"[backend.a]\npool = web\naddress = 10.0.0.11\n";

static int
setup_limits(void **state)
{
	return setup_adopted(state, ini_limits);
}

static unsigned int
drain_sent(void)
{
	struct rte_mbuf *m;
	unsigned int n = 0;

	while ((m = sent()) != NULL) {
		rte_pktmbuf_free(m);
		n++;
	}
	return n;
}

static void
echo_burst(struct fixture *fx, unsigned int n, uint64_t now)
{
	struct rte_mbuf *m[16];
	unsigned int i;

	for (i = 0; i < n; i++)
		m[i] = icmp_frame(fx, IP(10, 0, 0, 100),
				  RTE_IP_ICMP_ECHO_REQUEST);
	run(fx, m, (uint16_t)n, now);
}

static void
arp_burst(struct fixture *fx, unsigned int n, uint64_t now)
{
	struct rte_mbuf *m[16];
	unsigned int i;

	for (i = 0; i < n; i++)
		m[i] = arp_request(IP(10, 0, 0, 100));
	run(fx, m, (uint16_t)n, now);
}

/* A burst at once, then the rate: the rest counted, never answered. */
static void
test_icmp_echo_rate_limited(void **state)
{
	struct fixture *fx = *state;
	struct lb_port_stats *ps = &fx->w->stats.port[0];
	uint64_t hz = rte_get_tsc_hz(), t = rte_rdtsc();

	echo_burst(fx, 5, t);
	assert_int_equal(ps->icmp_echo_replies, 3);
	assert_int_equal(ps->drops[LB_DROP_icmp_rate_limited], 2);
	assert_int_equal(drain_sent(), 3);
	/* a second later, two (2 a second) */
	echo_burst(fx, 3, t + hz);
	assert_int_equal(ps->icmp_echo_replies, 5);
	assert_int_equal(ps->drops[LB_DROP_icmp_rate_limited], 3);
	/* long after, a burst at most */
	echo_burst(fx, 5, t + 100 * hz);
	assert_int_equal(ps->icmp_echo_replies, 8);
	assert_int_equal(ps->drops[LB_DROP_icmp_rate_limited], 5);
	assert_int_equal(drain_sent(), 5);
	/* ARP has its own bucket */
	arp_burst(fx, 3, t + 100 * hz);
	assert_int_equal(ps->arp_replies, 2);
	assert_int_equal(ps->drops[LB_DROP_arp_rate_limited], 1);
	arp_burst(fx, 3, t + 100 * hz + hz / 2);        /* 2 more earned */
	assert_int_equal(ps->arp_replies, 4);
	assert_int_equal(ps->drops[LB_DROP_arp_rate_limited], 2);
	assert_int_equal(drain_sent(), 4);
	/* ARP for what is not ours is arp_not_ours, spending nothing */
	arp_burst(fx, 0, t);
}

/* Rate 0 answers nothing; a new config with other limits starts a full
 * bucket, the same limits keep the bucket as it is. */
static void
test_rate_zero_and_reload(void **state)
{
	struct fixture *fx = *state;
	struct lb_port_stats *ps = &fx->w->stats.port[0];
	struct lb_config cfg2 = *fx->cfg;
	uint64_t hz = rte_get_tsc_hz(), t = rte_rdtsc();

	echo_burst(fx, 3, t);
	assert_int_equal(ps->icmp_echo_replies, 3);
	lb_dp_worker_adopt(fx->w, &cfg2);               /* same limits */
	echo_burst(fx, 1, t);
	assert_int_equal(ps->drops[LB_DROP_icmp_rate_limited], 1);
	cfg2.global.icmp_echo_rate = 0;
	cfg2.global.arp_reply_rate = 0;
	lb_dp_worker_adopt(fx->w, &cfg2);
	echo_burst(fx, 2, t + 1000 * hz);
	arp_burst(fx, 2, t + 1000 * hz);
	assert_int_equal(ps->icmp_echo_replies, 3);
	assert_int_equal(ps->drops[LB_DROP_icmp_rate_limited], 3);
	assert_int_equal(ps->arp_replies, 0);
	assert_int_equal(ps->drops[LB_DROP_arp_rate_limited], 2);
	cfg2.global.icmp_echo_rate = 1000;
	lb_dp_worker_adopt(fx->w, &cfg2);               /* a full bucket */
	echo_burst(fx, 4, rte_rdtsc());
	assert_int_equal(ps->icmp_echo_replies, 6);
	assert_int_equal(drain_sent(), 6);
	lb_dp_worker_adopt(fx->w, fx->cfg);
}

/* New flows from source port 0 or with flags no TCP sends make no flow;
 * a flow that exists forwards whatever its packets carry. */
static void
test_new_flow_needs_valid_flags_and_port(void **state)
{
	static const uint8_t bad[] = {
		0,                                              /* null */
		RTE_TCP_SYN_FLAG | RTE_TCP_FIN_FLAG,
		RTE_TCP_SYN_FLAG | RTE_TCP_RST_FLAG,
		RTE_TCP_FIN_FLAG | RTE_TCP_PSH_FLAG | RTE_TCP_URG_FLAG, /* Xmas */
		RTE_TCP_FIN_FLAG,
		RTE_TCP_PSH_FLAG,
	};
	static const uint8_t good[] = {
		RTE_TCP_SYN_FLAG, RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG,
		RTE_TCP_ACK_FLAG, RTE_TCP_RST_FLAG,
		RTE_TCP_FIN_FLAG | RTE_TCP_ACK_FLAG,
	};
	struct fixture *fx = *state;
	struct lb_port_stats *ps = &fx->w->stats.port[0];
	struct rte_mbuf *m;
	unsigned int i;

	for (i = 0; i < RTE_DIM(bad); i++) {
		m = tcp_frame(fx, IP(10, 0, 0, 50), 2000 + i,
			      IP(10, 0, 0, 100), 80, bad[i]);
		run(fx, &m, 1, 1000);
	}
	assert_int_equal(ps->drops[LB_DROP_tcp_flags_invalid], RTE_DIM(bad));
	assert_null(sent());
	assert_int_equal(fx->w->stats.flow.inserts, 0);
	for (i = 0; i < RTE_DIM(good); i++) {
		m = tcp_frame(fx, IP(10, 0, 0, 50), 3000 + i,
			      IP(10, 0, 0, 100), 80, good[i]);
		run(fx, &m, 1, 1000);
		assert_non_null(m = sent());
		rte_pktmbuf_free(m);
	}
	/* a held flow: its odd packets are the backend's to refuse */
	m = tcp_frame(fx, IP(10, 0, 0, 50), 3000, IP(10, 0, 0, 100), 80,
		      RTE_TCP_SYN_FLAG | RTE_TCP_FIN_FLAG);
	run(fx, &m, 1, 1000);
	assert_non_null(m = sent());
	rte_pktmbuf_free(m);
	/* source port 0, TCP and UDP */
	m = tcp_frame(fx, IP(10, 0, 0, 50), 0, IP(10, 0, 0, 100), 80,
		      RTE_TCP_SYN_FLAG);
	run(fx, &m, 1, 1000);
	m = udp_frame(fx, 0, 53);
	run(fx, &m, 1, 1000);
	assert_int_equal(ps->drops[LB_DROP_src_port_zero], 2);
	assert_null(sent());
}

static struct rte_mbuf *
tag(struct rte_mbuf *m, uint16_t vid)
{
	m->vlan_tci = vid;
	assert_int_equal(rte_vlan_insert(&m), 0);
	return m;
}

static uint16_t
vid_of(const struct rte_mbuf *m)
{
	const struct rte_ether_hdr *eth =
		rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);

	if (eth->ether_type != RTE_BE16(RTE_ETHER_TYPE_VLAN))
		return 0;
	return rte_be_to_cpu_16(((const struct rte_vlan_hdr *)(eth + 1))
				->vlan_tci) & 0xfff;
}

static const char ini_vlan[] =
	"[global]\nworkers = 1\nflow_table_size = 1024\n"
	"[port.lan]\ndevice = net_ring_test\naddress = 10.0.0.2/24\n"
	"vlan = 42\n"
	"[vip.web]\naddress = 10.0.0.100\nport = 80\npool = web\n"
	"[pool.web]\ntable_size = 251\n"
	"[backend.a]\npool = web\naddress = 10.0.0.11\n";

static int
setup_vlan(void **state)
{
	return setup_adopted(state, ini_vlan);
}

/* A port with a vlan: its tag only, and every frame out keeps it. */
static void
test_vlan_port_keeps_its_tag(void **state)
{
	struct fixture *fx = *state;
	struct lb_port_stats *ps = &fx->w->stats.port[0];
	struct rte_mbuf *m[6], *out;
	unsigned int i;

	m[0] = tag(tcp_frame(fx, IP(10, 0, 0, 50), 1000, IP(10, 0, 0, 100),
			     80, RTE_TCP_SYN_FLAG), 42);
	m[1] = tag(arp_request(IP(10, 0, 0, 100)), 42);
	m[2] = tag(icmp_frame(fx, IP(10, 0, 0, 100),
			      RTE_IP_ICMP_ECHO_REQUEST), 42);
	m[3] = tcp_frame(fx, IP(10, 0, 0, 50), 1001, IP(10, 0, 0, 100), 80,
			 RTE_TCP_SYN_FLAG);
	m[4] = tag(tcp_frame(fx, IP(10, 0, 0, 50), 1002, IP(10, 0, 0, 100),
			     80, RTE_TCP_SYN_FLAG), 43);
	m[5] = tag(tag(tcp_frame(fx, IP(10, 0, 0, 50), 1003,
				 IP(10, 0, 0, 100), 80, RTE_TCP_SYN_FLAG),
		       7), 42);
	run(fx, m, 6, 1000);
	assert_int_equal(ps->drops[LB_DROP_vlan_untagged], 1);
	assert_int_equal(ps->drops[LB_DROP_vlan_mismatch], 1);
	assert_int_equal(ps->drops[LB_DROP_vlan_stacked], 1);
	assert_int_equal(fx->w->stats.vip[0].packets, 1);
	assert_int_equal(ps->arp_replies, 1);
	assert_int_equal(ps->icmp_echo_replies, 1);
	for (i = 0; i < 3; i++) {
		out = sent();
		assert_non_null(out);
		assert_int_equal(vid_of(out), 42);
		rte_pktmbuf_free(out);
	}
	assert_null(sent());
}

/* Two ports on two VLANs: a frame forwarded to a backend behind the
 * other port leaves with that port's tag; none if it has none. */
static const char ini_two_vlans[] =
	"[global]\nworkers = 1\nflow_table_size = 1024\n"
	"[port.lan]\ndevice = net_ring_test\naddress = 10.0.0.2/24\n"
	"vlan = 10\n"
	"[port.srv]\ndevice = net_ring_test2\naddress = 10.1.0.2/24\n"
	"vlan = 20\n"
	"[vip.web]\naddress = 10.0.0.100\nport = 80\npool = web\n"
	"[pool.web]\ntable_size = 251\n"
	"[backend.a]\npool = web\naddress = 10.1.0.11\n";

static int
setup_two_vlans(void **state)
{
	struct fixture *fx;

	if (setup_adopted(state, ini_two_vlans) != 0)
		return -1;
	fx = *state;
	fx->dp->n_ports = 2;
	fx->dp->ports[1].port_id = ring_port2;
	rte_eth_macaddr_get(ring_port2, &fx->dp->ports[1].mac);
	return 0;
}

static void
test_vlan_retagged_across_ports(void **state)
{
	struct fixture *fx = *state;
	struct rte_mbuf *m, *out = NULL;
	struct lb_config cfg2 = *fx->cfg;
	struct lb_port_conf ports[2];

	m = tag(tcp_frame(fx, IP(10, 0, 0, 50), 1000, IP(10, 0, 0, 100), 80,
			  RTE_TCP_SYN_FLAG), 10);
	run(fx, &m, 1, 1000);
	assert_null(sent());
	assert_int_equal(rte_ring_dequeue(tx2_ring, (void **)&out), 0);
	assert_int_equal(vid_of(out), 20);
	assert_true(rte_is_same_ether_addr(
		&rte_pktmbuf_mtod(out, struct rte_ether_hdr *)->src_addr,
		&fx->dp->ports[1].mac));
	rte_pktmbuf_free(out);
	/* the backend's port untagged: the tag goes */
	memcpy(ports, fx->cfg->ports, sizeof(ports));
	ports[1].vlan = 0;
	cfg2.ports = ports;
	lb_dp_worker_adopt(fx->w, &cfg2);
	m = tag(tcp_frame(fx, IP(10, 0, 0, 50), 1000, IP(10, 0, 0, 100), 80,
			  RTE_TCP_ACK_FLAG), 10);
	run(fx, &m, 1, 1000);
	assert_int_equal(rte_ring_dequeue(tx2_ring, (void **)&out), 0);
	assert_int_equal(vid_of(out), 0);
	assert_int_equal(rte_pktmbuf_mtod(out, struct rte_ether_hdr *)
			 ->ether_type, RTE_BE16(RTE_ETHER_TYPE_IPV4));
	rte_pktmbuf_free(out);
	assert_int_equal(fx->w->stats.vip[0].packets, 2);
	lb_dp_worker_adopt(fx->w, fx->cfg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_new_flows_follow_the_scheduler, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_established_flow_keeps_backend, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_fin_closes_and_syn_reschedules, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_burst_mixing_new_and_rescheduled_flows, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_full_table_of_established_falls_back_without_drop,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_full_table_evicts_oldest_embryonic_never_established,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_syn_embryonic_until_client_acks, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_non_syn_first_packet_untracked, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_embryonic_expires_after_syn_timeout, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_udp_flow_and_unknown_port, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_udp_first_datagram_embryonic, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_not_ours_and_unresolved_dropped, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_arp_answered_for_vip_and_port_only, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_rewrite_in_burst_seen_by_later_packets, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_icmp_echo_answered, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_malformed_counted_by_reason, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_lookup_request_answered_by_worker, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_swap_keeps_flows_by_identity, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_removed_backend_flows_rescheduled, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_adopt_zeroes_recycled_counters, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_fail_closed_refuses_new_flows, setup_empty_closed,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_fail_open_empty_pool_drops, setup_empty_closed,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_kernel_path_takes_port_address_only, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_kernel_path_off_drops_as_before, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_kernel_doorbell_rings_once_per_arm, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_kernel_ring_full_counted, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_icmp_echo_rate_limited, setup_limits, teardown),
		cmocka_unit_test_setup_teardown(
			test_rate_zero_and_reload, setup_limits, teardown),
		cmocka_unit_test_setup_teardown(
			test_new_flow_needs_valid_flags_and_port, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_vlan_port_keeps_its_tag, setup_vlan, teardown),
		cmocka_unit_test_setup_teardown(
			test_vlan_retagged_across_ports, setup_two_vlans,
			teardown),
	};

	return cmocka_run_group_tests_name("dataplane", tests, group_setup,
					   group_teardown);
}
