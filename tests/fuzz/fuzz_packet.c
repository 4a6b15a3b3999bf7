/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The packet path, from raw frames to the worker's decision: a real
 * worker with its flow table behind two ring-backed ports, three real
 * snapshots (a base configuration, a reload that disables, drains and
 * removes backends, one that renames a VIP) with their next hops, and
 * frames cut from the input in bursts, so that flows made by one packet
 * meet the next ones, expiry and configuration swaps.
 *
 * After every burst: every packet received was sent, dropped for one
 * reason, passed to management or queued for the kernel, and exactly
 * those frames are found on the TX rings and the worker's rings; nothing
 * sent is malformed (source MAC of its port, valid IPv4 header checksum,
 * valid ICMP checksum on the errors edgelb writes); flow gauges add up to
 * the table's count; and once everything is freed, no mbuf and no frame
 * buffer is left (frames live in exactly-sized malloc'd buffers: ASan
 * sees any access past one).
 *
 * Input: records of a 3-byte header and a frame:
 *   byte 0: bit 0 receiving port; bit 1 set the destination MAC to that
 *           port's; bit 2 fix the IPv4 header checksum; bit 3 end the
 *           burst after this frame; bits 4-5 time passing before its
 *           burst (none, a tick, a second, 40 s); bit 6 publish the next
 *           snapshot before its burst; bit 7 sweep expired flows after it.
 *   bytes 1-2: frame length, little endian, at most 2047 (cut short by
 *           the end of the input).
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "lb_dataplane.h"
#include "lb_neigh.h"
#include "dataplane_priv.h"
#include "fuzz_common.h"

#define N_PORTS 2
#define N_SNAPS 3
/* Tiny on purpose: a few dozen flows fill it, so a full table (the
 * stateless fallback) is as reachable as any other path. */
#define FLOW_CAPACITY 16
/* More than LB_DP_BURST: the burst function's chunking is exercised. */
#define BURST_MAX 48
#define FRAME_MAX 2047
#define RING_SIZE 4096
#define HDR_LEN 3

#define REC_PORT 0x01
#define REC_FIX_MAC 0x02
#define REC_FIX_CKSUM 0x04
#define REC_END_BURST 0x08
#define REC_TIME_SHIFT 4
#define REC_SWAP 0x40
#define REC_EXPIRE 0x80

/* Both ports on 10.0.0.0/24 and 10.1.0.0/24; the LAN port has a kernel
 * interface. Backend d is never resolved; pool closed has its one backend
 * disabled: an empty table, which fails closed. */
#define INI_HEAD \
	"[global]\nworkers = 1\nflow_table_size = 1024\n" \
	"tcp_timeout = 30\ntcp_fin_timeout = 1\nudp_timeout = 5\n" \
	"[port.lan]\ndevice = net_ring_fz0\naddress = 10.0.0.2/24\n" \
	"gateway = 10.0.0.1\nkernel_interface = fz-lan\n" \
	"[port.dmz]\ndevice = net_ring_fz1\naddress = 10.1.0.2/24\n" \
	"[vip.alt]\naddress = 10.1.0.100\nport = 443\npool = alt\n" \
	"[vip.shut]\naddress = 10.0.0.101\nport = 80\npool = closed\n" \
	"[vip.shutu]\naddress = 10.0.0.101\nport = 53\nprotocol = udp\n" \
	"pool = closed\n" \
	"[pool.closed]\ntable_size = 251\nall_down = fail_closed\n" \
	"[backend.c]\npool = alt\naddress = 10.1.0.13\nweight = 2\n" \
	"[backend.e]\npool = closed\naddress = 10.0.0.15\n" \
	"admin_state = disabled\n"

static const char *const ini[N_SNAPS] = {
	/* The base. */
	INI_HEAD
	"[vip.web]\naddress = 10.0.0.100\nport = 80\npool = web\n"
	"[vip.dns]\naddress = 10.0.0.100\nport = 53\nprotocol = udp\n"
	"pool = web\n"
	"[pool.web]\ntable_size = 251\n"
	"[pool.alt]\ntable_size = 251\non_remove = reschedule\n"
	"[backend.a]\npool = web\naddress = 10.0.0.11\nweight = 1\n"
	"mac = 02:00:00:00:01:11\n"
	"[backend.b]\npool = web\naddress = 10.0.0.12\nweight = 3\n"
	"[backend.d]\npool = alt\naddress = 10.0.0.14\nweight = 1\n",
	/* A reload: a removed (kept while flows use it), b disabled, d
	 * drained, f new, the UDP VIP gone, web reschedules. */
	INI_HEAD
	"[vip.web]\naddress = 10.0.0.100\nport = 80\npool = web\n"
	"[pool.web]\ntable_size = 251\non_remove = reschedule\n"
	"[pool.alt]\ntable_size = 251\n"
	"[backend.b]\npool = web\naddress = 10.0.0.12\nweight = 3\n"
	"admin_state = disabled\n"
	"[backend.d]\npool = alt\naddress = 10.0.0.14\nweight = 1\n"
	"admin_state = drained\n"
	"[backend.f]\npool = web\naddress = 10.0.0.16\nweight = 2\n",
	/* The web VIP renamed at the same address, a back, f gone. */
	INI_HEAD
	"[vip.www]\naddress = 10.0.0.100\nport = 80\npool = web\n"
	"[vip.dns]\naddress = 10.0.0.100\nport = 53\nprotocol = udp\n"
	"pool = web\n"
	"[pool.web]\ntable_size = 251\n"
	"[pool.alt]\ntable_size = 251\non_remove = reschedule\n"
	"[backend.a]\npool = web\naddress = 10.0.0.11\nweight = 5\n"
	"mac = 02:00:00:00:01:11\n"
	"[backend.b]\npool = web\naddress = 10.0.0.12\nweight = 1\n"
	"[backend.d]\npool = alt\naddress = 10.0.0.14\nweight = 1\n",
};

static const struct rte_ether_addr port_mac[N_PORTS] = {
	{{0x02, 0, 0, 0, 0, 0x01}}, {{0x02, 0, 0, 0, 0, 0x02}},
};
#define UNRESOLVED RTE_BE32(RTE_IPV4(10, 0, 0, 14))

static struct {
	struct rte_mempool *mp;
	struct rte_ring *tx[N_PORTS];
	struct lb_dp *dp;
	struct lb_worker *w;
	struct lb_config *cfg[N_SNAPS];
	struct lb_neigh_table *nt[N_SNAPS];
	struct lb_snapshot snap[N_SNAPS];
	uint32_t n_ids;             /* backend identities: 0..n_ids-1 */
	int bell;
} fx;

/* ---- set-up, once per process ---- */

static uint16_t
ring_port(unsigned int i)
{
	struct rte_eth_conf conf = { 0 };
	struct rte_ring *rx;
	char name[32];
	int id;

	snprintf(name, sizeof(name), "fz_rx%u", i);
	rx = rte_ring_create(name, RING_SIZE, SOCKET_ID_ANY, 0);
	snprintf(name, sizeof(name), "fz_tx%u", i);
	fx.tx[i] = rte_ring_create(name, RING_SIZE, SOCKET_ID_ANY, 0);
	snprintf(name, sizeof(name), "net_ring_fz%u", i);
	if (rx == NULL || fx.tx[i] == NULL)
		fz_fail("rings");
	id = rte_eth_from_rings(name, &rx, 1, &fx.tx[i], 1, SOCKET_ID_ANY);
	if (id < 0 || rte_eth_dev_configure(id, 1, 1, &conf) != 0 ||
	    rte_eth_rx_queue_setup(id, 0, 64, SOCKET_ID_ANY, NULL, fx.mp) ||
	    rte_eth_tx_queue_setup(id, 0, 64, SOCKET_ID_ANY, NULL) != 0 ||
	    rte_eth_dev_start(id) != 0)
		fz_fail("ring port %u", i);
	return (uint16_t)id;
}

/* Every next hop resolved (a MAC made of its address) except one. */
static struct lb_neigh_table *
neighbours(const struct lb_config *cfg)
{
	struct lb_neigh_table *nt = lb_neigh_table_for(cfg);
	uint32_t i;

	if (nt == NULL)
		fz_fail("neighbour table");
	for (i = 0; i < nt->n; i++) {
		if (nt->e[i].valid || cfg->neighs[i].addr == UNRESOLVED)
			continue;
		nt->e[i].mac = (struct rte_ether_addr){{0x02, 0x42, 0, 0, 0,
			((const uint8_t *)&cfg->neighs[i].addr)[3]}};
		nt->e[i].valid = 1;
	}
	return nt;
}

/* Identities from registries, as lib/runtime gives them, so that flows
 * made under one snapshot name the same backends under the next; a
 * backend the next one drops is kept as REMOVED. */
static void
build_snapshots(void)
{
	struct lb_ids *bids = lb_ids_create(LB_MAX_BACKENDS);
	struct lb_ids *vids = lb_ids_create(LB_MAX_VIPS);
	uint16_t retain[LB_MAX_BACKENDS];
	unsigned int i;
	uint32_t b;

	for (i = 0; i < N_SNAPS; i++) {
		struct lb_config_build_opts o = {
			.backend_ids = bids, .vip_ids = vids,
			.prev = i > 0 ? fx.cfg[i - 1] : NULL, .retain = retain,
		};

		for (b = 0; o.prev != NULL && b < o.prev->n_backends; b++)
			retain[o.n_retain++] = o.prev->backends[b].id;
		fx.cfg[i] = fz_config(ini[i], &o);
		for (b = 0; b < fx.cfg[i]->n_backends; b++)
			fx.n_ids = RTE_MAX(fx.n_ids,
					   fx.cfg[i]->backends[b].id + 1u);
		fx.nt[i] = neighbours(fx.cfg[i]);
		fx.snap[i] = (struct lb_snapshot){ .cfg = fx.cfg[i],
			.neigh = fx.nt[i], .generation = i + 1, .seq = i + 1 };
	}
	lb_ids_free(bids);
	lb_ids_free(vids);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	unsigned int i;

	RTE_SET_USED(argc);
	RTE_SET_USED(argv);
	fz_eal_init("packet");
	/* Every frame brings its own buffer (fz_mbuf); the headroom is for
	 * ethdev's check of what an RX queue could receive into. */
	fx.mp = rte_pktmbuf_pool_create("fz_mbufs", 8191, 0, 0,
					RTE_PKTMBUF_HEADROOM, SOCKET_ID_ANY);
	if (fx.mp == NULL)
		fz_fail("mempool");
	build_snapshots();
	fx.dp = lb_dp_create(1);
	if (fx.dp == NULL)
		fz_fail("dataplane");
	fx.dp->n_ports = N_PORTS;
	for (i = 0; i < N_PORTS; i++) {
		fx.dp->ports[i].port_id = ring_port(i);
		fx.dp->ports[i].mac = port_mac[i];
	}
	if (lb_dp_worker_create(fx.dp, 0, 0, SOCKET_ID_ANY, FLOW_CAPACITY))
		fz_fail("worker");
	fx.w = fx.dp->workers[0];
	fx.bell = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (fx.bell < 0 || lb_dp_kernel_enable(fx.dp, 0, fx.bell) != 0)
		fz_fail("kernel path");
	return 0;
}

/* ---- one input ---- */

struct run {
	unsigned int snap;
	uint64_t now;
	struct rte_mbuf *pkts[BURST_MAX];
	uint32_t bytes;
	uint16_t n;
	unsigned int port;
};

struct held {
	unsigned int n;
	struct lb_flow_key key[FLOW_CAPACITY];
};

static int
note_flow(const struct lb_flow_key *k, const struct lb_flow_entry *e,
	  void *arg)
{
	struct held *h = arg;

	RTE_SET_USED(e);
	if (h->n == FLOW_CAPACITY)
		fz_fail("the table holds more than its capacity");
	h->key[h->n++] = *k;
	return 0;
}

/* Empty the flow table the previous input filled (creating a new one
 * would cost more than most inputs). */
static void
flows_clear(struct lb_flow_table *t)
{
	struct held h = { .n = 0 };
	uint32_t pos = 0;
	unsigned int i;

	lb_flow_walk(t, &pos, note_flow, &h);
	for (i = 0; i < h.n; i++)
		lb_flow_delete(t, &h.key[i], lb_flow_hash(&h.key[i]));
	FZ_CHECK(lb_flow_table_count(t) == 0, "flows left after clearing");
}

/* Every input starts from the same worker: an empty flow table, zero
 * counters, the base snapshot. */
static void
worker_reset(struct run *r)
{
	struct lb_worker *w = fx.w;

	flows_clear(w->flows);
	/* Only what the snapshots' identities can reach: the whole struct
	 * is 140 KB. */
	memset(&w->stats, 0, offsetof(struct lb_worker_stats, backend));
	memset(w->stats.backend, 0, fx.n_ids * sizeof(w->stats.backend[0]));
	memset(r, 0, sizeof(*r));
	r->now = UINT64_C(1) << 40;
	lb_dp_publish(fx.dp, &fx.snap[0]);
	lb_dp_worker_adopt(w, fx.cfg[0]);
	w->seen_snap = &fx.snap[0];
	__atomic_store_n(&fx.dp->kernel_bell.armed, 1, __ATOMIC_RELAXED);
}

struct totals {
	uint64_t rx, rx_bytes, tx, drops, ctl, kern;
};

static void
totals(struct totals *t)
{
	const struct lb_port_stats *ps;
	unsigned int p;

	memset(t, 0, sizeof(*t));
	for (p = 0; p < N_PORTS; p++) {
		ps = &fx.w->stats.port[p];
		t->rx += ps->rx_packets;
		t->rx_bytes += ps->rx_bytes;
		t->tx += ps->tx_packets;
		t->drops += lb_stats_port_drops(ps);
		t->ctl += ps->ctl_to_mgmt;
		t->kern += ps->to_kernel;
	}
}

/* Offset of the IPv4 header of an IPv4 frame (one VLAN tag or none),
 * or 0. */
static size_t
ipv4_offset(const uint8_t *f, size_t len)
{
	size_t l2 = sizeof(struct rte_ether_hdr);
	uint16_t type;

	if (len < l2)
		return 0;
	memcpy(&type, f + 12, 2);
	if (type == RTE_BE16(RTE_ETHER_TYPE_VLAN)) {
		if (len < l2 + 4)
			return 0;
		memcpy(&type, f + 16, 2);
		l2 += 4;
	}
	return type == RTE_BE16(RTE_ETHER_TYPE_IPV4) ? l2 : 0;
}

/* What edgelb sends must be sound whatever it received. */
static void
check_sent(const struct rte_mbuf *m, unsigned int port)
{
	const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *);
	const struct rte_ipv4_hdr *ip;
	const struct rte_icmp_hdr *icmp;
	size_t l3 = ipv4_offset(f, m->data_len), hlen;

	FZ_CHECK(m->nb_segs == 1 && m->data_len == m->pkt_len,
		 "sent a segmented mbuf");
	FZ_CHECK(m->data_len >= sizeof(struct rte_ether_hdr),
		 "sent a frame of %u bytes", m->data_len);
	FZ_CHECK(rte_is_same_ether_addr((const void *)(f + 6),
					&port_mac[port]),
		 "frame sent on port %u without its source MAC", port);
	if (l3 == 0)
		return;
	ip = (const struct rte_ipv4_hdr *)(f + l3);
	hlen = rte_ipv4_hdr_len(ip);
	FZ_CHECK(l3 + hlen <= m->data_len, "IPv4 header past the frame");
	FZ_CHECK(rte_raw_cksum(ip, hlen) == 0xffff,
		 "sent an IPv4 header with a bad checksum");
	if (ip->next_proto_id != IPPROTO_ICMP)
		return;
	icmp = (const struct rte_icmp_hdr *)(f + l3 + hlen);
	/* Errors are written from scratch; echo replies keep the sender's
	 * checksum, right or wrong. */
	if (icmp->icmp_type == 3)
		FZ_CHECK(rte_raw_cksum(icmp, rte_be_to_cpu_16(ip->total_length) -
				       hlen) == 0xffff,
			 "sent an ICMP error with a bad checksum");
}

/* Free what the worker left for others; @return how many. */
static unsigned int
drain_sent(void)
{
	struct rte_mbuf *m;
	unsigned int p, n = 0;

	for (p = 0; p < N_PORTS; p++)
		while (rte_ring_dequeue(fx.tx[p], (void **)&m) == 0) {
			check_sent(m, p);
			rte_pktmbuf_free(m);
			n++;
		}
	return n;
}

static unsigned int
drain_ring(unsigned int (*recv)(struct lb_dp *, struct rte_mbuf **,
				unsigned int))
{
	struct rte_mbuf *m[64];
	unsigned int n, i, total = 0;

	while ((n = recv(fx.dp, m, RTE_DIM(m))) > 0) {
		for (i = 0; i < n; i++)
			rte_pktmbuf_free(m[i]);
		total += n;
	}
	return total;
}

static unsigned int
recv_kernel0(struct lb_dp *dp, struct rte_mbuf **m, unsigned int max)
{
	return lb_dp_recv_kernel(dp, 0, m, max);
}

/* Flow gauges and lookups add up with the table. */
static void
check_flows(void)
{
	const struct lb_worker_stats *s = &fx.w->stats;
	uint64_t sum = 0;
	unsigned int id;

	for (id = 0; id < fx.n_ids; id++) {
		FZ_CHECK(s->backend[id].flows <= FLOW_CAPACITY,
			 "backend %u: %ld flows", id,
			 (long)s->backend[id].flows);
		sum += s->backend[id].flows;
	}
	FZ_CHECK(sum == lb_flow_table_count(fx.w->flows),
		 "flow gauges sum to %lu, table holds %u",
		 (unsigned long)sum, lb_flow_table_count(fx.w->flows));
	FZ_CHECK(lb_flow_table_count(fx.w->flows) <= FLOW_CAPACITY,
		 "table over capacity");
	/* A gauge gone below zero reads as a huge count. */
	FZ_CHECK((uint64_t)s->flow.embryonic <=
		 lb_flow_table_count(fx.w->flows),
		 "embryonic gauge %ld, table holds %u",
		 (long)s->flow.embryonic, lb_flow_table_count(fx.w->flows));
	FZ_CHECK(s->flow.hits + s->flow.misses == s->flow.lookups,
		 "hits %lu + misses %lu != lookups %lu",
		 (unsigned long)s->flow.hits, (unsigned long)s->flow.misses,
		 (unsigned long)s->flow.lookups);
}

static void
run_burst(struct run *r)
{
	struct totals a, b;
	unsigned int sent, ctl, kern;

	if (r->n == 0)
		return;
	totals(&a);
	lb_dp_process_burst(fx.w, &fx.snap[r->snap], r->port, r->pkts, r->n,
			    r->now);
	lb_dp_flush(fx.w);
	totals(&b);
	sent = drain_sent();
	ctl = drain_ring(lb_dp_recv_ctl);
	kern = drain_ring(recv_kernel0);
	FZ_CHECK(b.rx - a.rx == r->n, "rx counted %lu of %u",
		 (unsigned long)(b.rx - a.rx), r->n);
	FZ_CHECK(b.rx_bytes - a.rx_bytes == r->bytes, "rx bytes");
	FZ_CHECK(b.rx - a.rx == (b.tx - a.tx) + (b.drops - a.drops) +
		 (b.ctl - a.ctl) + (b.kern - a.kern),
		 "packets unaccounted: rx %lu tx %lu drops %lu ctl %lu kern %lu",
		 (unsigned long)(b.rx - a.rx), (unsigned long)(b.tx - a.tx),
		 (unsigned long)(b.drops - a.drops),
		 (unsigned long)(b.ctl - a.ctl),
		 (unsigned long)(b.kern - a.kern));
	FZ_CHECK(sent == b.tx - a.tx && ctl == b.ctl - a.ctl &&
		 kern == b.kern - a.kern,
		 "counted %lu sent, %lu to mgmt, %lu to kernel; found %u, %u, %u",
		 (unsigned long)(b.tx - a.tx), (unsigned long)(b.ctl - a.ctl),
		 (unsigned long)(b.kern - a.kern), sent, ctl, kern);
	FZ_CHECK(fz_mbuf_outstanding() == 0, "%lu frame buffers leaked",
		 (unsigned long)fz_mbuf_outstanding());
	FZ_CHECK(rte_mempool_in_use_count(fx.mp) == 0, "%u mbufs leaked",
		 rte_mempool_in_use_count(fx.mp));
	check_flows();
	r->n = 0;
	r->bytes = 0;
}

/* The next snapshot, taken on as the worker loop does on a swap. */
static void
swap_snapshot(struct run *r)
{
	r->snap = (r->snap + 1) % N_SNAPS;
	lb_dp_publish(fx.dp, &fx.snap[r->snap]);
	lb_dp_worker_adopt(fx.w, fx.cfg[r->snap]);
	fx.w->seen_snap = &fx.snap[r->snap];
}

static void
advance(struct run *r, unsigned int step)
{
	const uint64_t hz = rte_get_tsc_hz();
	const uint64_t by[4] = {
		0, UINT64_C(1) << fx.w->timeouts.tick_shift, hz, 40 * hz,
	};

	r->now += by[step & 3];
}

static void
fix_frame(uint8_t *f, size_t len, uint8_t flags, unsigned int port)
{
	struct rte_ipv4_hdr *ip;
	size_t l3;

	if ((flags & REC_FIX_MAC) && len >= RTE_ETHER_ADDR_LEN)
		memcpy(f, &port_mac[port], RTE_ETHER_ADDR_LEN);
	l3 = ipv4_offset(f, len);
	if (!(flags & REC_FIX_CKSUM) || l3 == 0 ||
	    len < l3 + sizeof(*ip))
		return;
	ip = (struct rte_ipv4_hdr *)(f + l3);
	if (l3 + rte_ipv4_hdr_len(ip) > len ||
	    rte_ipv4_hdr_len(ip) < sizeof(*ip))
		return;
	ip->hdr_checksum = 0;
	ip->hdr_checksum = (uint16_t)~rte_raw_cksum(ip, rte_ipv4_hdr_len(ip));
}

/* One record: its frame joins the burst, or starts the next one. */
static size_t
take_record(struct run *r, const uint8_t *data, size_t size)
{
	static uint8_t frame[FRAME_MAX];
	uint8_t flags = data[0];
	unsigned int port = flags & REC_PORT;
	size_t len = (data[1] | (size_t)data[2] << 8) & FRAME_MAX;

	len = RTE_MIN(len, size - HDR_LEN);
	if (port != r->port || r->n == BURST_MAX)
		run_burst(r);
	if (r->n == 0) {
		r->port = port;
		advance(r, flags >> REC_TIME_SHIFT);
		if (flags & REC_SWAP)
			swap_snapshot(r);
	}
	memcpy(frame, data + HDR_LEN, len);
	fix_frame(frame, len, flags, port);
	r->pkts[r->n++] = fz_mbuf(fx.mp, frame, (uint16_t)len);
	r->bytes += len;
	if (flags & REC_END_BURST)
		run_burst(r);
	if (flags & REC_EXPIRE) {
		run_burst(r);
		fx.w->stats.flow.expiries += lb_flow_expire(fx.w->flows,
			r->now, &fx.w->timeouts,
			lb_flow_table_slots(fx.w->flows));
		check_flows();
	}
	return HDR_LEN + len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct run r;
	size_t off = 0;

	worker_reset(&r);
	while (size - off >= HDR_LEN)
		off += take_record(&r, data + off, size - off);
	run_burst(&r);
	return 0;
}
