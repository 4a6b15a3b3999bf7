/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef LB_PKT_H
#define LB_PKT_H

/**
 * @file
 * Strict packet parsing and in-place rewrites.
 *
 * Nothing in a packet is trusted: every length is checked against the
 * bytes actually received before it is used. A packet that fails a check
 * gets exactly one drop reason. Any lcore; no allocation, no locks.
 */

#include <stdint.h>

#include <rte_ether.h>
#include <rte_mbuf.h>

#include "lb_stats.h"

enum lb_pkt_class {
	LB_PKT_DROP = 0,    /**< see lb_pkt_info.drop */
	LB_PKT_ARP,
	LB_PKT_IPV4,        /**< TCP, UDP or ICMP over IPv4, headers valid */
};

/** What the parser learned; valid fields depend on the class. */
struct lb_pkt_info {
	uint16_t l2_len;        /**< Ethernet (+ the port's VLAN tag) */
	uint16_t l3_len;        /**< IPv4 header length */
	uint16_t l4_len;        /**< IPv4 total length - l3_len */
	uint8_t proto;          /**< IPPROTO_TCP, _UDP, _ICMP */
	uint8_t tcp_flags;      /**< RTE_TCP_*_FLAG */
	uint32_t src_addr;      /**< network order (ARP: sender IP) */
	uint32_t dst_addr;      /**< network order (ARP: target IP) */
	uint16_t src_port;      /**< network order; ICMP: 0 */
	uint16_t dst_port;      /**< network order; ICMP: 0 */
	uint16_t arp_op;        /**< host order, RTE_ARP_OP_* */
	uint8_t icmp_type;
	enum lb_drop_reason drop;
	struct rte_ether_addr arp_sha; /**< ARP sender hardware address */
};

/**
 * Classify and validate one frame received on a port with MAC @p port_mac
 * and VLAN id @p vlan (1..4094; 0: the port is untagged).
 *
 * Accepts frames to @p port_mac, and broadcast ARP, from a unicast source
 * (a multicast or broadcast one is eth_src_multicast); carrying exactly
 * the port's tag: none on an untagged port, VLAN id @p vlan on a tagged
 * one (else vlan_untagged or vlan_mismatch; two tags, or an 802.1ad
 * S-tag, are vlan_stacked). An ARP sender MAC that is zero, multicast or
 * broadcast is arp_sha_invalid. IPv4 header checksum is verified unless
 * the NIC already said it was good.
 * @return the class; LB_PKT_DROP with info->drop set.
 */
enum lb_pkt_class lb_pkt_parse(struct rte_mbuf *m,
			       const struct rte_ether_addr *port_mac,
			       uint16_t vlan, struct lb_pkt_info *info);

/**
 * Turn an ARP request into the reply that @p mac owns the target address,
 * in place: the frame goes back out of the port it came in on.
 */
void lb_pkt_arp_reply(struct rte_mbuf *m, const struct lb_pkt_info *info,
		      const struct rte_ether_addr *mac);

/**
 * Turn an ICMP echo request into its echo reply in place (swap MACs and
 * addresses, type 0, incremental checksum update).
 */
void lb_pkt_icmp_echo_reply(struct rte_mbuf *m,
			    const struct lb_pkt_info *info);

/**
 * Turn a TCP segment (parsed, class IPV4) into the RST that refuses it, in
 * place: addresses and ports swapped, sequence numbers as RFC 9293's reset
 * generation says (the segment's ACK as seq, or seq 0 with an ACK of what
 * it occupied), fresh IPv4 header, TTL 64.
 * @return 0, or -EINVAL for a RST (never answered) or a segmented mbuf
 * (then @p m is unchanged).
 */
int lb_pkt_tcp_rst_reply(struct rte_mbuf *m, const struct lb_pkt_info *info);

/** ICMP code "port unreachable" (RFC 792). */
#define LB_PKT_ICMP_PORT_UNREACH 3

/**
 * Turn an IPv4 datagram (parsed, class IPV4) into the ICMP destination
 * unreachable (@p code) that refuses it, in place: from its destination
 * to its source, quoting its IP header and first 8 bytes (RFC 792).
 * Needs 28 bytes of headroom. @return 0, or -EINVAL (segmented mbuf) /
 * -ENOSPC (no headroom); then @p m is unchanged.
 */
int lb_pkt_icmp_unreach_reply(struct rte_mbuf *m,
			      const struct lb_pkt_info *info, uint8_t code);

/**
 * Refuse a TCP segment or UDP datagram that lb_pkt_parse() accepted (class
 * IPV4) and nobody changed since: lb_pkt_tcp_rst_reply() or
 * lb_pkt_icmp_unreach_reply() (port unreachable), in place.
 * @return 0, or -EINVAL (another protocol, or as those say).
 */
int lb_pkt_refuse(struct rte_mbuf *m);

/** Direct-server-return rewrite: only the MAC addresses change. */
static inline void
lb_pkt_dr_rewrite(struct rte_mbuf *m, const struct rte_ether_addr *src,
		  const struct rte_ether_addr *dst)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);

	rte_ether_addr_copy(dst, &eth->dst_addr);
	rte_ether_addr_copy(src, &eth->src_addr);
}

/**
 * Fill @p m with a broadcast ARP request from (@p mac, @p sip) asking for
 * @p tip (addresses in network order), tagged with VLAN id @p vlan unless
 * it is 0. @return 0, or -ENOSPC if the mbuf has no room.
 */
int lb_pkt_arp_request(struct rte_mbuf *m, const struct rte_ether_addr *mac,
		       uint32_t sip, uint32_t tip, uint16_t vlan);

/**
 * Make a frame lb_pkt_parse() accepted (at most one tag) carry VLAN id
 * @p vlan, or no tag if @p vlan is 0: the tag's id is rewritten (its
 * priority kept), inserted or removed. For a frame leaving by another
 * port than it came in on. @return 0, or -ENOSPC (no headroom for a tag)
 * or -EINVAL (segmented mbuf); then @p m is unchanged.
 */
int lb_pkt_set_vlan(struct rte_mbuf *m, uint16_t vlan);

#endif
