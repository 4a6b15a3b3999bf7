/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef LB_STATS_H
#define LB_STATS_H

/**
 * @file
 * Per-worker counters.
 *
 * Each worker owns one struct lb_worker_stats and is its only writer: plain
 * increments, no atomics, no sharing. The management lcore reads them
 * (aligned 64-bit loads do not tear on the platforms we run on) and sums.
 * Counter names here are the names the CLI and metrics show.
 */

#include <stddef.h>
#include <stdint.h>
#include <rte_common.h>

#define LB_MAX_PORTS 8
#define LB_MAX_VIPS 256
#define LB_MAX_BACKENDS 4096
#define LB_MAX_WORKERS 64

/* Every reason a worker does not forward a packet. */
#define LB_DROP_REASONS(X)                                                   \
	X(eth_truncated)       /* frame shorter than its L2 header */       \
	X(eth_src_multicast)   /* multicast or broadcast source MAC */      \
	X(l2_not_for_us)       /* dst MAC neither ours nor broadcast ARP */ \
	X(vlan_untagged)       /* untagged frame on a port with a vlan */   \
	X(vlan_mismatch)       /* tag (VLAN id 0 too) other than the port's \
				* vlan, or any tag on an untagged port */  \
	X(vlan_stacked)        /* two tags (QinQ) or an S-tag */            \
	X(l3_unsupported)      /* ethertype we do not handle */             \
	X(rx_segmented)        /* datagram beyond the first mbuf segment:   \
				* a jumbo frame larger than an mbuf */     \
	X(arp_malformed)                                                    \
	X(arp_sha_invalid)     /* ARP sender MAC zero, multicast or         \
				* broadcast */                              \
	X(arp_not_ours)        /* ARP request for an address we do not own */\
	X(arp_rate_limited)    /* ARP request over arp_reply_rate */        \
	X(ipv4_truncated)                                                   \
	X(ipv4_version)                                                     \
	X(ipv4_ihl)                                                         \
	X(ipv4_total_length)                                                \
	X(ipv4_checksum)                                                    \
	X(ipv4_fragment)                                                    \
	X(ipv4_ttl)                                                         \
	X(tcp_truncated)                                                    \
	X(tcp_doff)                                                         \
	X(udp_truncated)                                                    \
	X(udp_length)                                                       \
	X(icmp_truncated)                                                   \
	X(icmp_unsupported)    /* ICMP to us that is not an echo request */ \
	X(icmp_rate_limited)   /* echo request over icmp_echo_rate */       \
	X(l4_unsupported)      /* IP protocol we do not balance */          \
	X(not_ours)            /* IPv4 destination we do not own */         \
	X(no_vip)              /* our address, but no VIP on proto/port */  \
	X(src_martian)         /* new flow from 0/8, 127/8, multicast,      \
				* class E or broadcast: no such client */  \
	X(src_ours)            /* new flow from its VIP or the port address */\
	X(src_port_zero)       /* new flow from source port 0 */            \
	X(tcp_flags_invalid)   /* new flow whose flags no TCP sends: none,  \
				* SYN+FIN, SYN+RST, FIN/PSH/URG w/o ACK */ \
	X(no_backend)          /* VIP pool has no backend with weight */    \
	X(neigh_unresolved)    /* backend MAC not known yet */              \
	X(ctl_ring_full)       /* control packet for management lost */     \
	X(kernel_ring_full)    /* frame for the kernel interface lost: the  \
				* ring to management was full */           \
	X(vlan_no_room)        /* no headroom for the egress port's tag */  \
	X(tx_full)             /* NIC TX queue refused the packet */

enum lb_drop_reason {
#define LB_DROP_ENUM(name) LB_DROP_##name,
	LB_DROP_REASONS(LB_DROP_ENUM)
#undef LB_DROP_ENUM
	LB_DROP_MAX
};

/** Counter name of a drop reason, e.g. "ipv4_checksum". */
const char *lb_drop_reason_name(enum lb_drop_reason r);

/* Per-port counters of one worker, X(name, kind, help); drops apart. */
#define LB_PORT_COUNTERS(X)                                                  \
	X(rx_packets, COUNTER, "packets received")                          \
	X(rx_bytes, COUNTER, "bytes received")                              \
	X(tx_packets, COUNTER, "packets sent")                              \
	X(tx_bytes, COUNTER, "bytes sent")                                  \
	X(arp_replies, COUNTER, "ARP requests answered in place")           \
	X(icmp_echo_replies, COUNTER, "ICMP echo requests answered")        \
	X(ctl_to_mgmt, COUNTER, "packets passed to management (ARP)")       \
	X(to_kernel, COUNTER, "frames for the port's own address queued "  \
	  "for its kernel interface")                                       \
	X(to_kernel_bytes, COUNTER, "bytes of those frames")

struct lb_port_stats {
#define LB_PORT_FIELD(name, kind, help) uint64_t name;
	LB_PORT_COUNTERS(LB_PORT_FIELD)
#undef LB_PORT_FIELD
	uint64_t drops[LB_DROP_MAX];
};

/* Per-VIP counters, by VIP identity: X(name, kind, help). */
#define LB_VIP_COUNTERS(X)                                                   \
	X(packets, COUNTER, "packets forwarded to a backend")               \
	X(bytes, COUNTER, "bytes forwarded to a backend")                   \
	X(new_flows, COUNTER, "flows scheduled")                            \
	X(refused, COUNTER, "new flows refused with a TCP RST or an ICMP "  \
	  "port unreachable: empty pool with all_down = fail_closed")

struct lb_vip_stats {
#define LB_VIP_FIELD(name, kind, help) uint64_t name;
	LB_VIP_COUNTERS(LB_VIP_FIELD)
#undef LB_VIP_FIELD
};

/* Per-backend counters, by backend identity (lb_backend_conf.id): they go
 * on counting across snapshots, whatever the backend's index in each. */
#define LB_BACKEND_COUNTERS(X)                                               \
	X(new_flows, COUNTER, "flows scheduled to it")                      \
	X(packets, COUNTER, "packets forwarded to it")                      \
	X(bytes, COUNTER, "bytes forwarded to it")                          \
	X(flows, GAUGE, "live flow entries on it")

struct lb_backend_stats {
#define LB_BACKEND_FIELD(name, kind, help) uint64_t name;
	LB_BACKEND_COUNTERS(LB_BACKEND_FIELD)
#undef LB_BACKEND_FIELD
};

/*
 * Flow-table counters of one worker: X(name, kind, help). The one list
 * that the struct, the JSON answers, the CLI and metrics read.
 */
#define LB_FLOW_COUNTERS(X)                                                  \
	X(entries, GAUGE, "live flow entries")                              \
	X(lookups, COUNTER, "flow-table lookups")                           \
	X(hits, COUNTER, "lookups that found the flow")                     \
	X(misses, COUNTER, "lookups that did not: a new flow")              \
	X(inserts, COUNTER, "flows inserted (embryonic ones included)")     \
	X(fallbacks, COUNTER, "new flows forwarded by the stateless choice " \
	  "because the table was full and held no embryonic entry to evict") \
	X(expiries, COUNTER, "flows removed after their idle timeout")      \
	X(embryonic, GAUGE, "live embryonic entries: a SYN seen and no "    \
	  "handshake ACK yet, or a UDP flow's first datagram only")         \
	X(promotions, COUNTER, "embryonic entries made established by the " \
	  "client's next packet (handshake ACK, second UDP datagram)")      \
	X(evictions, COUNTER, "embryonic entries evicted, oldest first, to " \
	  "make room for a new flow in a full table")                       \
	X(syn_expiries, COUNTER, "embryonic entries expired after "         \
	  "tcp_syn_timeout without a handshake ACK (also in expiries)")     \
	X(untracked, COUNTER, "packets of TCP flows the table does not "    \
	  "hold that are not a SYN: forwarded by the stateless choice, "    \
	  "no entry made")                                                  \
	X(reschedules, COUNTER, "SYN on a closing flow: scheduled anew")    \
	X(backend_gone, COUNTER, "hits on a backend no longer in the "      \
	  "configuration: scheduled anew")                                  \
	X(removed_kept, COUNTER, "packets of flows kept on a disabled or "  \
	  "removed backend (on_remove = keep)")                             \
	X(removed_rescheduled, COUNTER, "flows moved off a disabled or "    \
	  "removed backend (on_remove = reschedule)")

struct lb_flow_stats {
#define LB_FLOW_FIELD(name, kind, help) uint64_t name;
	LB_FLOW_COUNTERS(LB_FLOW_FIELD)
#undef LB_FLOW_FIELD
};

enum lb_counter_kind { LB_COUNTER, LB_GAUGE };

/** One counter as every reader (JSON, CLI, metrics) names it. */
struct lb_counter_desc {
	const char *name;
	enum lb_counter_kind kind;
	const char *help;
	size_t offset;              /**< of its uint64_t in the struct */
};

/** The descriptor of counter @p n of struct @p type, from an X(n, kind,
 *  help) row: every counter table is built with it. */
#define LB_COUNTER_DESC(type, n, k, h) \
	{ .name = #n, .kind = LB_##k, .help = h, \
	  .offset = offsetof(struct type, n) },

/** The flow counters, in struct order; @p n set to their number. */
const struct lb_counter_desc *lb_stats_flow_counters(unsigned int *n);

/** The port counters (drops apart), in struct order. */
const struct lb_counter_desc *lb_stats_port_counters(unsigned int *n);
/** The VIP counters, in struct order. */
const struct lb_counter_desc *lb_stats_vip_counters(unsigned int *n);
/** The backend counters, in struct order. */
const struct lb_counter_desc *lb_stats_backend_counters(unsigned int *n);

/** The counter @p d in the struct at @p base. */
static inline uint64_t
lb_counter_value(const struct lb_counter_desc *d, const void *base)
{
	return *(const uint64_t *)((const char *)base + d->offset);
}

struct lb_worker_stats {
	uint64_t loops;
	uint64_t idle_loops;
	struct lb_flow_stats flow;
	struct lb_port_stats port[LB_MAX_PORTS];
	struct lb_vip_stats vip[LB_MAX_VIPS];  /* by VIP identity */
	struct lb_backend_stats backend[LB_MAX_BACKENDS];
} __rte_cache_aligned;

/** Total drops of a port over all reasons. */
uint64_t lb_stats_port_drops(const struct lb_port_stats *p);

/**
 * Sum @p n workers' counters into @p sum (overwritten). Management lcore;
 * reads counters that workers keep writing, so the sum is a moment's view.
 */
void lb_stats_sum(struct lb_worker_stats *sum,
		  const struct lb_worker_stats *const *w, unsigned int n);

#endif
