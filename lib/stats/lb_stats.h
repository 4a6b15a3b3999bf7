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

#include <stdint.h>
#include <rte_common.h>

#define LB_MAX_PORTS 8
#define LB_MAX_VIPS 256
#define LB_MAX_BACKENDS 4096
#define LB_MAX_WORKERS 64

/* Every reason a worker does not forward a packet. */
#define LB_DROP_REASONS(X)                                                   \
	X(eth_truncated)       /* frame shorter than its L2 header */       \
	X(l2_not_for_us)       /* dst MAC neither ours nor broadcast ARP */ \
	X(l3_unsupported)      /* ethertype we do not handle */             \
	X(arp_malformed)                                                    \
	X(arp_not_ours)        /* ARP request for an address we do not own */\
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
	X(l4_unsupported)      /* IP protocol we do not balance */          \
	X(not_ours)            /* IPv4 destination we do not own */         \
	X(no_vip)              /* our address, but no VIP on proto/port */  \
	X(no_backend)          /* VIP pool has no backend with weight */    \
	X(neigh_unresolved)    /* backend MAC not known yet */              \
	X(ctl_ring_full)       /* control packet for management lost */     \
	X(tx_full)             /* NIC TX queue refused the packet */

enum lb_drop_reason {
#define LB_DROP_ENUM(name) LB_DROP_##name,
	LB_DROP_REASONS(LB_DROP_ENUM)
#undef LB_DROP_ENUM
	LB_DROP_MAX
};

/** Counter name of a drop reason, e.g. "ipv4_checksum". */
const char *lb_drop_reason_name(enum lb_drop_reason r);

struct lb_port_stats {
	uint64_t rx_packets;
	uint64_t rx_bytes;
	uint64_t tx_packets;
	uint64_t tx_bytes;
	uint64_t arp_replies;    /* answered in place */
	uint64_t icmp_echo_replies;
	uint64_t ctl_to_mgmt;    /* packets passed to management */
	uint64_t drops[LB_DROP_MAX];
};

struct lb_vip_stats {
	uint64_t packets;
	uint64_t bytes;
	uint64_t new_flows;
};

struct lb_backend_stats {
	uint64_t new_flows;
	uint64_t packets;
	uint64_t bytes;
};

struct lb_flow_stats {
	uint64_t entries;        /* gauge: live entries in this worker */
	uint64_t lookups;
	uint64_t hits;
	uint64_t misses;
	uint64_t inserts;
	uint64_t fallbacks;      /* table full: forwarded by stateless choice */
	uint64_t expiries;
	uint64_t reschedules;    /* SYN on a closing flow: scheduled anew */
};

struct lb_worker_stats {
	uint64_t loops;
	uint64_t idle_loops;
	struct lb_flow_stats flow;
	struct lb_port_stats port[LB_MAX_PORTS];
	struct lb_vip_stats vip[LB_MAX_VIPS];
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
