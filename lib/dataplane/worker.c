/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The worker loop. It reads top to bottom as the packet path of DESIGN.md:
 * receive, parse, answer what is ours (ARP, ICMP echo), look up the VIP
 * (what is for the port's own address and no VIP goes to its kernel
 * interface), look up the flows in bulk, schedule the misses, rewrite,
 * transmit, count.
 */
#include <rte_cycles.h>
#include <rte_arp.h>
#include <rte_ethdev.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_malloc.h>
#include <rte_tcp.h>

#include "lb_dataplane.h"
#include "lb_pkt.h"
#include "lb_sched.h"
#include "dataplane_priv.h"

/*
 * Most flow-table slots one loop examines for expiry: few while packets
 * flow (a busy worker loops every few microseconds and must not stall),
 * many in a loop that found no packet, since a worker that backs off
 * (idle_sleep_us) may loop only ten times a second and must still go round
 * its table within the sweep interval (65536 slots: 1-2 ms).
 */
#define EXPIRE_BUDGET 64
#define EXPIRE_BUDGET_IDLE 65536

static void
flush_port(struct lb_worker *w, unsigned int port)
{
	struct lb_port_stats *ps = &w->stats.port[port];
	uint64_t bytes = w->tx_bytes[port];
	uint16_t n = w->tx_n[port];
	uint16_t sent, i;

	if (n == 0)
		return;
	/* Sent mbufs may be freed already: only the unsent are read. */
	sent = rte_eth_tx_burst(w->dp->ports[port].port_id, w->index,
				w->tx[port], n);
	for (i = sent; i < n; i++) {
		bytes -= w->tx[port][i]->pkt_len;
		ps->drops[LB_DROP_tx_full]++;
		rte_pktmbuf_free(w->tx[port][i]);
	}
	ps->tx_packets += sent;
	ps->tx_bytes += bytes;
	w->tx_n[port] = 0;
	w->tx_bytes[port] = 0;
}

void
lb_dp_flush(struct lb_worker *w)
{
	unsigned int p;

	for (p = 0; p < w->dp->n_ports; p++)
		flush_port(w, p);
	/* After the NICs: no forwarded frame waits for the doorbell's write. */
	if (unlikely(w->kernel_queued))
		lb_dp_kernel_ring(w);
}

static inline void
tx_enqueue(struct lb_worker *w, unsigned int port, struct rte_mbuf *m)
{
	w->tx_bytes[port] += m->pkt_len;
	w->tx[port][w->tx_n[port]++] = m;
	if (unlikely(w->tx_n[port] == RTE_DIM(w->tx[port])))
		flush_port(w, port);
}

static inline void
drop(struct lb_worker *w, unsigned int port, enum lb_drop_reason r,
     struct rte_mbuf *m)
{
	w->stats.port[port].drops[r]++;
	rte_pktmbuf_free(m);
}

/* May one more packet pass at @p now? Takes its token if so. */
static inline int
rate_take(struct lb_dp_rate *r, uint64_t now)
{
	uint64_t tat = RTE_MAX(r->tat, now);

	if (unlikely(tat - now > r->tolerance))
		return 0;
	r->tat = tat + r->interval;
	return 1;
}

/* ARP: answer requests for what we own, pass replies to the resolver. */
static void
handle_arp(struct lb_worker *w, const struct lb_config *cfg,
	   unsigned int port, struct rte_mbuf *m,
	   const struct lb_pkt_info *pi, uint64_t now)
{
	struct lb_port_stats *ps = &w->stats.port[port];

	if (pi->arp_op == RTE_ARP_OP_REPLY) {
		m->port = port;
		if (rte_ring_enqueue(w->to_mgmt, m) != 0) {
			drop(w, port, LB_DROP_ctl_ring_full, m);
			return;
		}
		ps->ctl_to_mgmt++;
		return;
	}
	if (!lb_config_owns_addr(cfg, pi->dst_addr)) {
		drop(w, port, LB_DROP_arp_not_ours, m);
		return;
	}
	if (unlikely(!rate_take(&w->arp_reply_rate, now))) {
		drop(w, port, LB_DROP_arp_rate_limited, m);
		return;
	}
	lb_pkt_arp_reply(m, pi, &w->dp->ports[port].mac);
	ps->arp_replies++;
	tx_enqueue(w, port, m);
}

/*
 * The receiving port's own address, no VIP's, on a port with a kernel
 * interface: what edgelb does not answer there is the kernel's. Another
 * port's address is not: its kernel would see frames from a segment it
 * is not on.
 */
static inline int
kernel_serves(const struct lb_worker *w, const struct lb_addr_slot *owner,
	      unsigned int port)
{
	return owner->vip == LB_ADDR_PORT(port) &&
	       (w->dp->kernel_ports >> port & 1);
}

/* Echo requests to what we own are answered here; the rest is the
 * kernel's (echo replies and errors for its own pings and sockets). */
static void
handle_icmp(struct lb_worker *w, const struct lb_config *cfg,
	    unsigned int port, struct rte_mbuf *m,
	    const struct lb_pkt_info *pi, uint64_t now)
{
	const struct lb_addr_slot *owner = lb_config_owner(cfg, pi->dst_addr);

	if (!owner->used) {
		drop(w, port, LB_DROP_not_ours, m);
		return;
	}
	if (pi->icmp_type != RTE_IP_ICMP_ECHO_REQUEST) {
		if (kernel_serves(w, owner, port))
			lb_dp_to_kernel(w, port, m);
		else
			drop(w, port, LB_DROP_icmp_unsupported, m);
		return;
	}
	if (unlikely(!rate_take(&w->icmp_echo_rate, now))) {
		drop(w, port, LB_DROP_icmp_rate_limited, m);
		return;
	}
	lb_pkt_icmp_echo_reply(m, pi);
	w->stats.port[port].icmp_echo_replies++;
	tx_enqueue(w, port, m);
}

/* TCP or UDP that no VIP serves: the kernel's, or dropped as ours
 * without a VIP (a VIP's address always) or as not ours at all. */
static void
not_for_vip(struct lb_worker *w, const struct lb_config *cfg,
	    unsigned int port, struct rte_mbuf *m,
	    const struct lb_pkt_info *pi)
{
	const struct lb_addr_slot *owner = lb_config_owner(cfg, pi->dst_addr);

	if (!owner->used)
		drop(w, port, LB_DROP_not_ours, m);
	else if (kernel_serves(w, owner, port))
		lb_dp_to_kernel(w, port, m);
	else
		drop(w, port, LB_DROP_no_vip, m);
}

static inline void
flow_key_from(struct lb_flow_key *k, const struct lb_pkt_info *pi)
{
	k->src_addr = pi->src_addr;
	k->dst_addr = pi->dst_addr;
	k->src_port = pi->src_port;
	k->dst_port = pi->dst_port;
	k->proto = pi->proto;
	k->pad[0] = k->pad[1] = k->pad[2] = 0;
}

/* A packet on its way to a backend, between the stages of a burst. */
struct fwd {
	struct rte_mbuf *m;
	struct lb_flow_key key;
	uint32_t hash;              /* the table's (secret key), not the
				     * scheduler's: see schedule() */
	uint16_t vip;               /* index in this snapshot */
	uint8_t vip_id;             /* identity: what entries and counters name */
	uint8_t tcp_flags;
	uint8_t proto;
};


static inline int
is_syn_only(uint8_t flags)
{
	return (flags & (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG)) ==
	       RTE_TCP_SYN_FLAG;
}

/*
 * The hashes of the flows this burst inserted, updated or deleted since
 * its bulk lookup: only their looked-up entries may be stale, so only they
 * are looked up again. A packet records at most two (its own flow, and an
 * embryonic one it evicted). A 256-bit filter on the hash's top byte
 * spares the scan for nearly every other flow (a burst of new flows
 * records one per packet).
 */
struct burst_changes {
	unsigned int n;
	uint64_t filter[4];
	uint32_t hash[2 * LB_DP_BURST];
};

static inline void
changes_reset(struct burst_changes *c)
{
	c->n = 0;
	c->filter[0] = c->filter[1] = c->filter[2] = c->filter[3] = 0;
}

static inline void
changes_add(struct burst_changes *c, uint32_t hash)
{
	c->filter[hash >> 30] |= UINT64_C(1) << ((hash >> 24) & 63);
	c->hash[c->n++] = hash;
}

static inline int
changed_in_burst(const struct burst_changes *c, uint32_t hash)
{
	unsigned int i;

	if (!(c->filter[hash >> 30] & (UINT64_C(1) << ((hash >> 24) & 63))))
		return 0;
	for (i = 0; i < c->n; i++)
		if (c->hash[i] == hash)
			return 1;
	return 0;
}

/* Entry @p e left the table: the gauges (its backend's, embryonic). */
static inline void
flow_gone(struct lb_worker *w, const struct lb_flow_entry *e)
{
	if (likely(e->backend < LB_MAX_BACKENDS))
		w->stats.backend[e->backend].flows--;
	if (lb_flow_state_embryonic(e->state))
		w->stats.flow.embryonic--;
}

/* lb_flow_timeouts.on_expire */
static void
on_expire(const struct lb_flow_entry *e, void *arg)
{
	struct lb_worker *w = arg;

	if (e->state == LB_FLOW_TCP_SYN)
		w->stats.flow.syn_expiries++;
	flow_gone(w, e);
}

/*
 * Insert a new flow; a full table makes room by evicting its oldest
 * embryonic entry, never any other (lb_flow.h). @return 0, or -ENOSPC.
 */
static int
flow_insert(struct lb_worker *w, const struct fwd *f,
	    const struct lb_flow_entry *e, struct burst_changes *changes)
{
	struct lb_flow_entry old;
	uint32_t hash;
	int rc;

	rc = lb_flow_insert(w->flows, &f->key, f->hash, e);
	if (likely(rc != -ENOSPC))
		return rc;
	if (!lb_flow_evict_embryonic(w->flows, &old, &hash))
		return -ENOSPC;
	w->stats.flow.evictions++;
	flow_gone(w, &old);
	/* A later packet of the evicted flow in this burst looks again. */
	changes_add(changes, hash);
	return lb_flow_insert(w->flows, &f->key, f->hash, e);
}

/*
 * A flow the table does not hold (@p state FREE), or one that must leave
 * its backend (@p state: the state it had): the scheduler picks, by the
 * hash of the configured hash_key (the same on every box, unlike the
 * table's), computed here on this path only. The table remembers a SYN
 * and a UDP flow's first datagram as embryonic, and a moved flow in its
 * state; any other TCP
 * packet of an unknown flow goes by the stateless choice without an
 * entry, as does a new flow the table has no room for: traffic is never
 * dropped for lack of room. @return the backend's index in @p cfg, or -1
 * if the pool has none to give.
 */
static int
schedule(struct lb_worker *w, const struct lb_config *cfg,
	 const struct fwd *f, uint8_t state, uint32_t now_tick,
	 struct burst_changes *changes)
{
	struct lb_flow_entry e;
	uint32_t bi;

	if (unlikely(lb_dp_worker_pick(w, cfg, f->vip, &f->key, &bi) < 0))
		return -1;
	e.backend = cfg->backends[bi].id;
	e.vip = f->vip_id;
	e.tick = now_tick;
	if (state == LB_FLOW_FREE && f->proto == IPPROTO_TCP &&
	    !is_syn_only(f->tcp_flags)) {
		w->stats.flow.untracked++;
		return (int)bi;
	}
	e.state = state != LB_FLOW_FREE ? state :
		  f->proto == IPPROTO_UDP ? LB_FLOW_UDP_NEW : LB_FLOW_TCP_SYN;
	if (likely(flow_insert(w, f, &e, changes) == 0)) {
		w->stats.flow.inserts++;
		w->stats.backend[e.backend].flows++;
		if (lb_flow_state_embryonic(e.state))
			w->stats.flow.embryonic++;
	} else {
		w->stats.flow.fallbacks++;
		/* Without an entry only a SYN marks a new connection. */
		if (f->proto != IPPROTO_TCP || !is_syn_only(f->tcp_flags))
			return (int)bi;
	}
	w->stats.vip[f->vip_id].new_flows++;
	w->stats.backend[e.backend].new_flows++;
	return (int)bi;
}

/*
 * Keep the TCP state the timeouts need (see lb_flow.h) and the last-seen
 * tick; the slot is written only when either changes. An embryonic entry
 * is promoted by the client's first packet that is not a SYN, or by a UDP
 * flow's second datagram.
 */
static inline void
flow_touch(struct lb_worker *w, const struct fwd *f,
	   const struct lb_flow_entry *e, uint32_t now_tick,
	   struct burst_changes *changes)
{
	struct lb_flow_entry n = *e;

	n.tick = now_tick;
	if (f->proto == IPPROTO_TCP) {
		if (f->tcp_flags & (RTE_TCP_FIN_FLAG | RTE_TCP_RST_FLAG))
			n.state = LB_FLOW_TCP_CLOSING;
		else if (unlikely(n.state == LB_FLOW_TCP_SYN) &&
			 !is_syn_only(f->tcp_flags))
			n.state = LB_FLOW_TCP_EST;
	} else if (unlikely(n.state == LB_FLOW_UDP_NEW)) {
		n.state = LB_FLOW_UDP;
	}
	if (likely(n.tick == e->tick && n.state == e->state))
		return;
	changes_add(changes, f->hash);
	if (likely(!lb_flow_state_embryonic(e->state) ||
		   n.state == e->state)) {
		lb_flow_update(w->flows, &f->key, f->hash, &n);
		return;
	}
	if (lb_flow_promote(w->flows, &f->key, f->hash, &n) != 0)
		return;
	w->stats.flow.embryonic--;
	if (n.state == LB_FLOW_TCP_EST || n.state == LB_FLOW_UDP)
		w->stats.flow.promotions++;
}

/*
 * A hit whose backend is not plainly usable: gone from the snapshot, or
 * disabled/removed (then the pool of the VIP the packet is for decides:
 * lb_config_hit_rule). Entries hold identities, so this is decided against
 * the running snapshot, never a stale index. A flow whose VIP was renamed
 * or replaced at the same address, port and protocol stays on its backend
 * while that lives: no change moves an established flow.
 * @return the backend index to keep forwarding to, or -1 to schedule anew.
 */
static int
hit_policy(struct lb_worker *w, const struct lb_config *cfg,
	   const struct fwd *f, const struct lb_flow_entry *e)
{
	uint16_t bi;

	switch (lb_config_hit_rule(cfg, e->backend, f->vip, &bi)) {
	case LB_HIT_STAYS:
		return bi;
	case LB_HIT_KEPT:
		w->stats.flow.removed_kept++;
		return bi;
	case LB_HIT_RESCHEDULED:
		w->stats.flow.removed_rescheduled++;
		return -1;
	case LB_HIT_BACKEND_GONE:
		break;
	}
	w->stats.flow.backend_gone++;
	return -1;
}

/* What transmit needs of backend index @p bi (slow path, new flows). */
static inline void
fwd_of(const struct lb_config *cfg, uint32_t bi, struct lb_backend_fwd *to)
{
	const struct lb_backend_conf *be = &cfg->backends[bi];

	to->neigh = be->neigh;
	to->index = (uint16_t)bi;
	to->port = (uint8_t)be->port;
}

static inline void
transmit_dr_on(struct lb_worker *w, const struct lb_neigh_table *nt,
	       unsigned int rx_port, const struct fwd *f, uint16_t id,
	       const struct lb_backend_fwd *to)
{
	struct lb_backend_stats *bs = &w->stats.backend[id];
	struct rte_mbuf *m = f->m;

	if (unlikely(to->neigh >= nt->n || !nt->e[to->neigh].valid)) {
		drop(w, rx_port, LB_DROP_neigh_unresolved, m);
		return;
	}
	lb_pkt_dr_rewrite(m, &w->dp->ports[to->port].mac,
			  &nt->e[to->neigh].mac);
	w->stats.vip[f->vip_id].packets++;
	w->stats.vip[f->vip_id].bytes += m->pkt_len;
	bs->packets++;
	bs->bytes += m->pkt_len;
	tx_enqueue(w, to->port, m);
}

/*
 * A frame leaving by another port than it came in on takes that port's
 * VLAN tag (or none). Out of line, and reached by a tail call, so that
 * the common case keeps its registers.
 */
static void __rte_noinline
transmit_dr_across(struct lb_worker *w, const struct lb_neigh_table *nt,
		   unsigned int rx_port, const struct fwd *f, uint16_t id,
		   const struct lb_backend_fwd *to)
{
	uint16_t vlan = w->port_vlan[to->port];

	if (w->port_vlan[rx_port] != vlan &&
	    lb_pkt_set_vlan(f->m, vlan) != 0) {
		drop(w, rx_port, LB_DROP_vlan_no_room, f->m);
		return;
	}
	transmit_dr_on(w, nt, rx_port, f, id, to);
}

static inline void
transmit_dr(struct lb_worker *w, const struct lb_neigh_table *nt,
	    unsigned int rx_port, const struct fwd *f, uint16_t id,
	    const struct lb_backend_fwd *to)
{
	if (unlikely(to->port != rx_port))
		transmit_dr_across(w, nt, rx_port, f, id, to);
	else
		transmit_dr_on(w, nt, rx_port, f, id, to);
}

/*
 * A flow the table holds: where it goes, or NULL when it must be scheduled
 * anew. The common case is one load by identity (lb_config.backend_fwd)
 * and one compare, and answers that entry itself: a copy would put a
 * store and a reload on the way to the next hop. The slow path fills
 * @p slow.
 */
static inline const struct lb_backend_fwd *
forward_hit(struct lb_worker *w, const struct lb_config *cfg,
	    const struct fwd *f, struct lb_flow_entry *e, uint32_t now_tick,
	    struct burst_changes *changes, struct lb_backend_fwd *slow)
{
	const struct lb_backend_fwd *to = &cfg->backend_fwd[e->backend];
	int bi;

	w->stats.flow.hits++;
	if (unlikely(to->index == LB_ID_NONE)) {
		bi = hit_policy(w, cfg, f, e);
		if (bi < 0) {
			/* Gone as a flow: schedule() makes a new one, or none
			 * if the pool has nobody left. */
			lb_flow_delete(w->flows, &f->key, f->hash);
			flow_gone(w, e);
			return NULL;
		}
		fwd_of(cfg, (uint32_t)bi, slow);
		to = slow;
	}
	flow_touch(w, f, e, now_tick, changes);
	return to;
}

/*
 * Flags no TCP sends (RFC 9293): a SYN with FIN or RST, or a segment with
 * neither SYN, ACK nor RST (none at all, or FIN/PSH/URG alone: "Xmas").
 * Scanners' probes; a backend would answer some with a RST from the VIP.
 */
static inline int
tcp_flags_invalid(uint8_t fl)
{
	if (fl & RTE_TCP_SYN_FLAG)
		return (fl & (RTE_TCP_FIN_FLAG | RTE_TCP_RST_FLAG)) != 0;
	return (fl & (RTE_TCP_ACK_FLAG | RTE_TCP_RST_FLAG)) == 0;
}

/*
 * A source no client can have (0/8, 127/8, 224/3: multicast, class E,
 * broadcast), or the VIP itself or the receiving port's address: spoofed,
 * and answering it would send a backend's replies to a router or to
 * ourselves; source port 0, which no stack sends from; TCP flags no
 * stack sends. Checked when a flow would be made, not on every packet of
 * one: the flows held were checked when they were made. (Another of our
 * addresses as the source would cost an index lookup per new flow.)
 */
static inline int
src_refused(struct lb_worker *w, const struct lb_config *cfg,
	    unsigned int port, const struct fwd *f)
{
	uint8_t first = ((const uint8_t *)&f->key.src_addr)[0];

	if (unlikely(first == 0 || first == 127 || first >= 224)) {
		drop(w, port, LB_DROP_src_martian, f->m);
		return 1;
	}
	if (unlikely(f->key.src_addr == f->key.dst_addr ||
		     f->key.src_addr == cfg->ports[port].addr)) {
		drop(w, port, LB_DROP_src_ours, f->m);
		return 1;
	}
	if (unlikely(f->key.src_port == 0)) {
		drop(w, port, LB_DROP_src_port_zero, f->m);
		return 1;
	}
	if (f->proto == IPPROTO_TCP &&
	    unlikely(tcp_flags_invalid(f->tcp_flags))) {
		drop(w, port, LB_DROP_tcp_flags_invalid, f->m);
		return 1;
	}
	return 0;
}

/*
 * A new flow whose pool has nobody to give. A pool that fails closed says
 * so (RST, ICMP port unreachable) so clients fail at once instead of
 * retrying into silence; otherwise, and for what cannot be answered, it
 * is a counted drop.
 */
static void __rte_noinline
refuse(struct lb_worker *w, const struct lb_config *cfg, unsigned int port,
       const struct fwd *f)
{
	const struct lb_pool_conf *pool = &cfg->pools[cfg->vips[f->vip].pool];
	struct rte_mbuf *m = f->m;

	if (pool->all_down != LB_ALL_DOWN_FAIL_CLOSED ||
	    lb_pkt_refuse(m) != 0) {
		drop(w, port, LB_DROP_no_backend, m);
		return;
	}
	w->stats.vip[f->vip_id].refused++;
	tx_enqueue(w, port, m);
}

/* @p e: the burst's lookup of f's flow; state FREE on a miss. */
static void
forward_one(struct lb_worker *w, const struct lb_config *cfg,
	    const struct lb_neigh_table *nt, unsigned int port,
	    const struct fwd *f, struct lb_flow_entry *e, uint32_t now_tick,
	    struct burst_changes *changes)
{
	const struct lb_backend_fwd *hit;
	struct lb_backend_fwd to;
	uint8_t state = LB_FLOW_FREE;
	int b;

	if (unlikely(changed_in_burst(changes, f->hash))) {
		const struct lb_flow_key *k = &f->key;

		lb_flow_lookup_bulk(w->flows, &k, &f->hash, 1, e);
	}
	if (e->state == LB_FLOW_TCP_CLOSING && f->proto == IPPROTO_TCP &&
	    is_syn_only(f->tcp_flags)) {
		/* A new connection reusing the tuple: schedule it anew. */
		lb_flow_delete(w->flows, &f->key, f->hash);
		flow_gone(w, e);
		w->stats.flow.reschedules++;
		e->state = LB_FLOW_FREE;
	}
	if (e->state != LB_FLOW_FREE) {
		hit = forward_hit(w, cfg, f, e, now_tick, changes, &to);
		if (likely(hit != NULL)) {
			transmit_dr(w, nt, port, f, e->backend, hit);
			return;
		}
		/* Moved off its backend: a flow the table held stays one. */
		state = e->state;
	} else {
		w->stats.flow.misses++;
	}
	/* Deleted above or inserted below: either way a later packet of
	 * this flow in the burst must look again, even if this one is
	 * refused (its flags, not its flow's, may be what is refused). */
	changes_add(changes, f->hash);
	if (unlikely(src_refused(w, cfg, port, f)))
		return;
	b = schedule(w, cfg, f, state, now_tick, changes);
	if (unlikely(b < 0)) {
		refuse(w, cfg, port, f);
		return;
	}
	fwd_of(cfg, (uint32_t)b, &to);
	transmit_dr(w, nt, port, f, cfg->backends[b].id, &to);
}

/* Stage 1: parse; answer or drop what is not for a VIP; queue the rest. */
static unsigned int
classify(struct lb_worker *w, const struct lb_config *cfg,
	 unsigned int port, struct rte_mbuf **pkts, uint16_t n,
	 struct fwd *fw, uint64_t now)
{
	const struct rte_ether_addr *mac = &w->dp->ports[port].mac;
	const uint16_t vlan = w->port_vlan[port];
	struct lb_port_stats *ps = &w->stats.port[port];
	struct lb_pkt_info pi;
	unsigned int nf = 0;
	uint64_t bytes = 0;
	uint16_t i;
	const struct lb_addr_slot *vs;

	ps->rx_packets += n;
	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];

		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
		bytes += m->pkt_len;
		switch (lb_pkt_parse(m, mac, vlan, &pi)) {
		case LB_PKT_DROP:
			drop(w, port, pi.drop, m);
			continue;
		case LB_PKT_ARP:
			handle_arp(w, cfg, port, m, &pi, now);
			continue;
		case LB_PKT_IPV4:
			break;
		}
		if (pi.proto == IPPROTO_ICMP) {
			handle_icmp(w, cfg, port, m, &pi, now);
			continue;
		}
		vs = lb_config_vip_slot(cfg, pi.proto, pi.dst_addr,
					rte_be_to_cpu_16(pi.dst_port));
		if (vs == NULL) {
			not_for_vip(w, cfg, port, m, &pi);
			continue;
		}
		fw[nf].m = m;
		flow_key_from(&fw[nf].key, &pi);
		fw[nf].hash = lb_flow_hash(&fw[nf].key);
		fw[nf].vip = (uint16_t)vs->vip;
		fw[nf].vip_id = (uint8_t)vs->vip_id;
		fw[nf].tcp_flags = pi.tcp_flags;
		fw[nf].proto = pi.proto;
		nf++;
	}
	ps->rx_bytes += bytes;
	return nf;
}

void
lb_dp_process_burst(struct lb_worker *w, const struct lb_snapshot *snap,
		    unsigned int port, struct rte_mbuf **pkts, uint16_t n,
		    uint64_t now)
{
	struct fwd fw[LB_DP_BURST];
	const struct lb_flow_key *keys[LB_DP_BURST];
	uint32_t hashes[LB_DP_BURST];
	struct lb_flow_entry ent[LB_DP_BURST];
	struct burst_changes changes;
	const struct lb_config *cfg = snap->cfg;
	const struct lb_neigh_table *nt = snap->neigh;
	uint32_t now_tick = (uint32_t)(now >> w->timeouts.tick_shift);
	unsigned int nf, i;
	uint16_t done = 0;

	/* Callers may hand more than a burst (benchmarks): chunk it. */
	while (done < n) {
		uint16_t chunk = RTE_MIN(n - done, LB_DP_BURST);

		nf = classify(w, cfg, port, pkts + done, chunk, fw, now);
		done += chunk;
		if (nf == 0)
			continue;
		for (i = 0; i < nf; i++) {
			keys[i] = &fw[i].key;
			hashes[i] = fw[i].hash;
		}
		lb_flow_lookup_bulk(w->flows, keys, hashes, nf, ent);
		w->stats.flow.lookups += nf;
		changes_reset(&changes);
		for (i = 0; i < nf; i++)
			forward_one(w, cfg, nt, port, &fw[i], &ent[i],
				    now_tick, &changes);
	}
}

/* Packets management asked us to send (ARP requests), on our TX queue. */
static void
drain_from_mgmt(struct lb_worker *w)
{
	struct rte_mbuf *pkts[LB_DP_BURST];
	unsigned int n, i;

	n = rte_ring_dequeue_burst(w->from_mgmt, (void **)pkts, LB_DP_BURST,
				   NULL);
	for (i = 0; i < n; i++) {
		unsigned int port = pkts[i]->port;

		if (port >= w->dp->n_ports) {
			rte_pktmbuf_free(pkts[i]);
			continue;
		}
		tx_enqueue(w, port, pkts[i]);
	}
}

static uint32_t
secs_to_ticks(uint32_t secs, uint64_t hz, unsigned int shift)
{
	/* Rounded up: a flow never goes before its timeout. */
	return (uint32_t)((secs * hz + (UINT64_C(1) << shift) - 1) >> shift);
}

/*
 * The sweep goes round the table once per quarter of the shortest
 * timeout (within SWEEP_MIN_MS..SWEEP_MAX_MS), so a flow outlives its
 * timeout by at most that much plus a tick.
 */
#define SWEEP_MIN_MS 100
#define SWEEP_MAX_MS 2000

static void
set_timeouts(struct lb_worker *w, const struct lb_config *cfg)
{
	const struct lb_global_conf *g = &cfg->global;
	uint64_t hz = rte_get_tsc_hz();
	unsigned int shift = lb_flow_tick_shift(hz);
	uint64_t ms;

	w->timeouts.tick_shift = shift;
	w->timeouts.ticks[LB_FLOW_FREE] = 0;
	w->timeouts.ticks[LB_FLOW_TCP_EST] = secs_to_ticks(g->tcp_timeout, hz,
							  shift);
	w->timeouts.ticks[LB_FLOW_TCP_CLOSING] =
		secs_to_ticks(g->tcp_fin_timeout, hz, shift);
	w->timeouts.ticks[LB_FLOW_TCP_SYN] =
		secs_to_ticks(g->tcp_syn_timeout, hz, shift);
	w->timeouts.ticks[LB_FLOW_UDP] = secs_to_ticks(g->udp_timeout, hz,
						      shift);
	w->timeouts.ticks[LB_FLOW_UDP_NEW] = w->timeouts.ticks[LB_FLOW_UDP];
	ms = (uint64_t)RTE_MIN(RTE_MIN(g->tcp_fin_timeout, g->tcp_syn_timeout),
			       RTE_MIN(g->tcp_timeout, g->udp_timeout)) * 250;
	ms = RTE_MAX(RTE_MIN(ms, (uint64_t)SWEEP_MAX_MS),
		     (uint64_t)SWEEP_MIN_MS);
	w->timeouts.sweep_tsc = ms * hz / 1000;
	w->timeouts.on_expire = on_expire;
	w->timeouts.on_expire_arg = w;
	w->idle_sleep_us = g->idle_sleep_us;
}

/* Counters (@p n of @p size bytes at @p stats) whose identity's epoch
 * moved since this worker last looked: zeroed, the epoch noted. */
static void
zero_recycled(uint16_t *seen, const uint16_t *epoch, unsigned int n,
	      void *stats, size_t size)
{
	unsigned int i;

	/* The common case, nothing recycled, is one compare. */
	if (memcmp(seen, epoch, n * sizeof(*seen)) == 0)
		return;
	for (i = 0; i < n; i++)
		if (seen[i] != epoch[i]) {
			memset((char *)stats + i * size, 0, size);
			seen[i] = epoch[i];
		}
}

/*
 * Identities the new configuration gives to other names than before: their
 * counters start again from zero, zeroed here by their only writer before
 * a packet of the new configuration counts.
 */
static void
forget_recycled(struct lb_worker *w, const struct lb_config *cfg)
{
	zero_recycled(w->backend_epoch, cfg->backend_epoch, LB_MAX_BACKENDS,
		      w->stats.backend, sizeof(w->stats.backend[0]));
	zero_recycled(w->vip_epoch, cfg->vip_epoch, LB_MAX_VIPS,
		      w->stats.vip, sizeof(w->stats.vip[0]));
}

/*
 * @p rate per second, @p burst back to back. The bucket starts full, and
 * is left as it is when neither changed: a reload grants no new burst.
 */
static void
rate_set(struct lb_dp_rate *r, uint32_t rate, uint32_t burst, uint64_t hz)
{
	uint64_t interval = rate == 0 ? 0 : RTE_MAX(hz / rate, UINT64_C(1));
	uint64_t tolerance = rate == 0 ? 0 : (burst - 1) * interval;

	if (r->interval == interval && r->tolerance == tolerance &&
	    (rate != 0) == (r->tat != UINT64_MAX))
		return;
	r->interval = interval;
	r->tolerance = tolerance;
	r->tat = rate == 0 ? UINT64_MAX : 0;
}

static void
set_limits(struct lb_worker *w, const struct lb_config *cfg)
{
	const struct lb_global_conf *g = &cfg->global;
	uint64_t hz = rte_get_tsc_hz();
	unsigned int p;

	rate_set(&w->icmp_echo_rate, g->icmp_echo_rate, g->icmp_echo_burst,
		 hz);
	rate_set(&w->arp_reply_rate, g->arp_reply_rate, g->arp_reply_burst,
		 hz);
	for (p = 0; p < LB_MAX_PORTS; p++)
		w->port_vlan[p] = p < cfg->n_ports ? cfg->ports[p].vlan : 0;
}

void
lb_dp_worker_adopt(struct lb_worker *w, const struct lb_config *cfg)
{
	set_timeouts(w, cfg);
	set_limits(w, cfg);
	forget_recycled(w, cfg);
	w->seen_config = cfg;
}

static void
note_swap_loop(struct lb_worker *w, uint64_t tsc)
{
	w->swap_loop_last_tsc = tsc;
	if (tsc > w->swap_loop_max_tsc)
		w->swap_loop_max_tsc = tsc;
}

static unsigned int
poll_ports(struct lb_worker *w, const struct lb_snapshot *snap, uint64_t now)
{
	struct rte_mbuf *pkts[LB_DP_BURST];
	unsigned int p, total = 0;
	uint16_t n;

	for (p = 0; p < w->dp->n_ports; p++) {
		n = rte_eth_rx_burst(w->dp->ports[p].port_id, w->index, pkts,
				     LB_DP_BURST);
		if (n == 0)
			continue;
		lb_dp_process_burst(w, snap, p, pkts, n, now);
		total += n;
	}
	return total;
}

/*
 * Idle: back off if configured. Offline while asleep so that a config
 * swap never waits for a sleeping worker.
 */
static void
idle_backoff(struct lb_worker *w)
{
	w->stats.idle_loops++;
	if (w->idle_sleep_us == 0)
		return;
	rte_rcu_qsbr_thread_offline(w->dp->qsbr, w->index);
	rte_delay_us_sleep(w->idle_sleep_us);
	rte_rcu_qsbr_thread_online(w->dp->qsbr, w->index);
}

int
lb_dp_worker_main(void *arg)
{
	struct lb_worker *w = arg;
	struct lb_dp *dp = w->dp;
	const struct lb_snapshot *snap;
	unsigned int busy = 0;
	uint64_t now, prev = 0;
	int swapped;

	rte_rcu_qsbr_thread_register(dp->qsbr, w->index);
	rte_rcu_qsbr_thread_online(dp->qsbr, w->index);
	while (!dp->stop) {
		now = rte_rdtsc();
		snap = __atomic_load_n(&dp->snap, __ATOMIC_ACQUIRE);
		swapped = snap != w->seen_snap;
		if (unlikely(swapped)) {
			if (snap->cfg != w->seen_config)
				lb_dp_worker_adopt(w, snap->cfg);
			w->seen_snap = snap;
		}
		/* The previous loop ran from prev to now, if it did not sleep. */
		if (busy != 0 && now - prev > w->busy_loop_max_tsc)
			w->busy_loop_max_tsc = now - prev;
		prev = now;
		busy = poll_ports(w, snap, now);
		drain_from_mgmt(w);
		lb_dp_flush(w);
		lb_dp_serve_request(w, now);
		w->stats.flow.expiries +=
			lb_flow_expire_paced(w->flows, now, &w->timeouts,
					     busy != 0 ? EXPIRE_BUDGET :
					     EXPIRE_BUDGET_IDLE);
		w->stats.flow.entries = lb_flow_table_count(w->flows);
		w->stats.loops++;
		if (unlikely(swapped))
			note_swap_loop(w, rte_rdtsc() - now);
		rte_rcu_qsbr_quiescent(dp->qsbr, w->index);
		if (busy == 0)
			idle_backoff(w);
	}
	lb_dp_flush(w);
	rte_rcu_qsbr_thread_offline(dp->qsbr, w->index);
	rte_rcu_qsbr_thread_unregister(dp->qsbr, w->index);
	return 0;
}
