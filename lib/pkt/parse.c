/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One pass over the headers of a single-segment frame. Every read is
 * preceded by a check against the first segment's data_len; lengths read
 * from a header only ever shrink the window that later checks use, so a
 * header can never make the parser look past the bytes received.
 */
#include <string.h>

#include <rte_arp.h>
#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "lb_pkt.h"

#define IPV4_MIN_HDR_LEN 20
#define TCP_MIN_HDR_LEN 20
#define UDP_HDR_LEN 8
#define ICMP_MIN_LEN 8

static inline enum lb_pkt_class
pkt_drop(struct lb_pkt_info *info, enum lb_drop_reason reason)
{
	info->drop = reason;
	return LB_PKT_DROP;
}

static enum lb_pkt_class
parse_arp(const struct rte_mbuf *m, uint16_t l2_len, uint16_t avail,
	  struct lb_pkt_info *info)
{
	const struct rte_arp_hdr *arp;
	uint16_t op;

	if (avail < sizeof(*arp))
		return pkt_drop(info, LB_DROP_arp_malformed);
	arp = rte_pktmbuf_mtod_offset(m, const struct rte_arp_hdr *, l2_len);
	op = rte_be_to_cpu_16(arp->arp_opcode);
	if (arp->arp_hardware != RTE_BE16(RTE_ARP_HRD_ETHER) ||
	    arp->arp_protocol != RTE_BE16(RTE_ETHER_TYPE_IPV4) ||
	    arp->arp_hlen != RTE_ETHER_ADDR_LEN || arp->arp_plen != 4 ||
	    (op != RTE_ARP_OP_REQUEST && op != RTE_ARP_OP_REPLY))
		return pkt_drop(info, LB_DROP_arp_malformed);
	/*
	 * A reply goes to the sender hardware address (lb_pkt_arp_reply), and
	 * the resolver would learn it: a zero, multicast or broadcast one
	 * would make our answer a broadcast, or a next hop of everyone.
	 */
	if (!rte_is_valid_assigned_ether_addr(&arp->arp_data.arp_sha))
		return pkt_drop(info, LB_DROP_arp_sha_invalid);

	info->l2_len = l2_len;
	info->arp_op = op;
	info->src_addr = arp->arp_data.arp_sip;
	info->dst_addr = arp->arp_data.arp_tip;
	rte_ether_addr_copy(&arp->arp_data.arp_sha, &info->arp_sha);
	return LB_PKT_ARP;
}

/* @p l4 points at info->l4_len bytes that the IPv4 checks proved present. */
static enum lb_pkt_class
parse_l4(const uint8_t *l4, struct lb_pkt_info *info)
{
	const struct rte_tcp_hdr *tcp;
	const struct rte_udp_hdr *udp;
	const struct rte_icmp_hdr *icmp;
	uint16_t ulen;
	unsigned int doff;

	switch (info->proto) {
	case IPPROTO_TCP:
		if (info->l4_len < TCP_MIN_HDR_LEN)
			return pkt_drop(info, LB_DROP_tcp_truncated);
		tcp = (const struct rte_tcp_hdr *)l4;
		doff = tcp->data_off >> 4;
		if (doff < 5 || doff * 4 > info->l4_len)
			return pkt_drop(info, LB_DROP_tcp_doff);
		info->src_port = tcp->src_port;
		info->dst_port = tcp->dst_port;
		info->tcp_flags = tcp->tcp_flags;
		return LB_PKT_IPV4;
	case IPPROTO_UDP:
		if (info->l4_len < UDP_HDR_LEN)
			return pkt_drop(info, LB_DROP_udp_truncated);
		udp = (const struct rte_udp_hdr *)l4;
		ulen = rte_be_to_cpu_16(udp->dgram_len);
		if (ulen < UDP_HDR_LEN || ulen > info->l4_len)
			return pkt_drop(info, LB_DROP_udp_length);
		info->src_port = udp->src_port;
		info->dst_port = udp->dst_port;
		info->tcp_flags = 0;
		return LB_PKT_IPV4;
	case IPPROTO_ICMP:
		if (info->l4_len < ICMP_MIN_LEN)
			return pkt_drop(info, LB_DROP_icmp_truncated);
		icmp = (const struct rte_icmp_hdr *)l4;
		info->icmp_type = icmp->icmp_type;
		info->src_port = 0;
		info->dst_port = 0;
		info->tcp_flags = 0;
		return LB_PKT_IPV4;
	default:
		return pkt_drop(info, LB_DROP_l4_unsupported);
	}
}

/*
 * The one's complement sum of a 20-byte header (no options, nearly every
 * packet) as five 32-bit words: the same sum as rte_raw_cksum()'s 16-bit
 * words (the carries fold back the same way) at a third of the
 * instructions; the unit tests compare the two.
 */
static inline uint16_t
ipv4_sum20(const void *hdr)
{
	uint32_t w[5];
	uint64_t sum;

	memcpy(w, hdr, sizeof(w));
	sum = (uint64_t)w[0] + w[1] + w[2] + w[3] + w[4];
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)((sum & 0xffff) + (sum >> 16));
}

static inline int
ipv4_cksum_bad(const struct rte_mbuf *m, const struct rte_ipv4_hdr *ip,
	       uint16_t hlen)
{
	uint64_t f = m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK;

	if (f == RTE_MBUF_F_RX_IP_CKSUM_GOOD)
		return 0;
	if (f == RTE_MBUF_F_RX_IP_CKSUM_BAD)
		return 1;
	/* Summed with its own checksum field, a valid header gives 0xffff. */
	if (likely(hlen == IPV4_MIN_HDR_LEN))
		return ipv4_sum20(ip) != 0xffff;
	return rte_raw_cksum(ip, hlen) != 0xffff;
}

/*
 * A datagram longer than the first segment: a lie, or a frame larger than
 * one mbuf (a jumbo frame the PMD chained). Only the first segment is
 * parsed and the rewrites need the headers there: the second is refused
 * by its own reason, since it is no lie but a configuration matter (MTU
 * above the mbuf size). Out of line: only a failed check gets here.
 */
static enum lb_drop_reason __rte_noinline
ipv4_length_reason(const struct rte_mbuf *m, uint16_t l2_len, uint16_t tlen,
		   uint16_t hlen)
{
	if (tlen >= hlen && m->nb_segs > 1 &&
	    tlen <= rte_pktmbuf_pkt_len(m) - l2_len)
		return LB_DROP_rx_segmented;
	return LB_DROP_ipv4_total_length;
}

static enum lb_pkt_class
parse_ipv4(const struct rte_mbuf *m, uint16_t l2_len, uint16_t avail,
	   struct lb_pkt_info *info)
{
	const struct rte_ipv4_hdr *ip;
	uint16_t hlen, tlen;

	if (avail < IPV4_MIN_HDR_LEN)
		return pkt_drop(info, LB_DROP_ipv4_truncated);
	ip = rte_pktmbuf_mtod_offset(m, const struct rte_ipv4_hdr *, l2_len);
	if ((ip->version_ihl >> 4) != 4)
		return pkt_drop(info, LB_DROP_ipv4_version);
	hlen = (ip->version_ihl & RTE_IPV4_HDR_IHL_MASK) * 4;
	if (hlen < IPV4_MIN_HDR_LEN || hlen > avail)
		return pkt_drop(info, LB_DROP_ipv4_ihl);
	/* Bytes past total_length are Ethernet padding: allowed, ignored. */
	tlen = rte_be_to_cpu_16(ip->total_length);
	if (tlen < hlen || tlen > avail)
		return pkt_drop(info, ipv4_length_reason(m, l2_len, tlen, hlen));
	if (ipv4_cksum_bad(m, ip, hlen))
		return pkt_drop(info, LB_DROP_ipv4_checksum);
	if (ip->fragment_offset & RTE_BE16(RTE_IPV4_HDR_MF_FLAG |
					  RTE_IPV4_HDR_OFFSET_MASK))
		return pkt_drop(info, LB_DROP_ipv4_fragment);
	if (ip->time_to_live == 0)
		return pkt_drop(info, LB_DROP_ipv4_ttl);

	info->l2_len = l2_len;
	info->l3_len = hlen;
	info->l4_len = tlen - hlen;
	info->proto = ip->next_proto_id;
	info->src_addr = ip->src_addr;
	info->dst_addr = ip->dst_addr;
	return parse_l4((const uint8_t *)ip + hlen, info);
}

/*
 * The tag as the port's vlan is compared with it: 0 for an untagged frame,
 * the VLAN id with bit 12 set for a tagged one (so that VLAN id 0, a
 * priority tag, is not taken for "untagged").
 */
#define VLAN_TAGGED 0x1000

static inline int
is_tag_type(uint16_t type)
{
	return type == RTE_BE16(RTE_ETHER_TYPE_VLAN) ||
	       type == RTE_BE16(RTE_ETHER_TYPE_QINQ) ||
	       type == RTE_BE16(RTE_ETHER_TYPE_QINQ1) ||
	       type == RTE_BE16(RTE_ETHER_TYPE_QINQ2);
}

/*
 * A frame whose tag is not the port's (@p want, as VLAN_TAGGED says), or
 * whose ethertype we do not handle: stacked tags (QinQ, an S-tag outside)
 * are a reason of their own, whatever the port's vlan, since no port
 * takes them.
 */
static enum lb_drop_reason __rte_noinline
l2_refused(uint16_t type, uint16_t tag, uint16_t want)
{
	if (is_tag_type(type))
		return LB_DROP_vlan_stacked;
	if (tag != want)
		return tag == 0 ? LB_DROP_vlan_untagged : LB_DROP_vlan_mismatch;
	return LB_DROP_l3_unsupported;
}

/*
 * Neither for us from a unicast source nor broadcast ARP from one: a
 * multicast or broadcast source is refused first, whoever the frame is
 * for, since any answer to it would go to everyone.
 */
static enum lb_drop_reason __rte_noinline
l2_refused_mac(const struct rte_ether_hdr *eth)
{
	if (rte_is_multicast_ether_addr(&eth->src_addr))
		return LB_DROP_eth_src_multicast;
	return LB_DROP_l2_not_for_us;
}

/* Broadcast is ours only for ARP, and from a unicast source. */
static inline int
broadcast_arp(const struct rte_ether_hdr *eth, uint16_t type)
{
	return type == RTE_BE16(RTE_ETHER_TYPE_ARP) &&
	       rte_is_broadcast_ether_addr(&eth->dst_addr) &&
	       !rte_is_multicast_ether_addr(&eth->src_addr);
}

/*
 * To @p mac from a unicast source: the destination compare the check
 * needs anyway, with the source's group bit (the first byte after the
 * destination) folded into its second word, so the source costs one AND.
 */
static inline int
for_us_from_unicast(const struct rte_ether_hdr *eth,
		    const struct rte_ether_addr *mac)
{
	static const uint8_t mask_bytes[4] = { 0xff, 0xff, 0x01, 0x00 };
	uint32_t f0, f1, m0, m1 = 0, mask;

	/* Words as stored, in either byte order: byte i is byte i. */
	memcpy(&f0, &eth->dst_addr.addr_bytes[0], 4);
	memcpy(&f1, &eth->dst_addr.addr_bytes[4], 4); /* dst 4-5, src 0-1 */
	memcpy(&m0, &mac->addr_bytes[0], 4);
	memcpy(&m1, &mac->addr_bytes[4], 2);
	memcpy(&mask, mask_bytes, 4);
	return ((f0 ^ m0) | ((f1 ^ m1) & mask)) == 0;
}

enum lb_pkt_class
lb_pkt_parse(struct rte_mbuf *m, const struct rte_ether_addr *port_mac,
	     uint16_t vlan, struct lb_pkt_info *info)
{
	const struct rte_ether_hdr *eth;
	const struct rte_vlan_hdr *vh;
	uint16_t len = rte_pktmbuf_data_len(m);
	uint16_t l2_len = sizeof(*eth);
	uint16_t want = vlan != 0 ? (vlan & 0xfff) | VLAN_TAGGED : 0;
	uint16_t type, tag = 0;

	if (len < l2_len)
		return pkt_drop(info, LB_DROP_eth_truncated);
	eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	type = eth->ether_type;
	if (type == RTE_BE16(RTE_ETHER_TYPE_VLAN)) {
		if (len < l2_len + sizeof(*vh))
			return pkt_drop(info, LB_DROP_eth_truncated);
		vh = rte_pktmbuf_mtod_offset(m, const struct rte_vlan_hdr *,
					     l2_len);
		type = vh->eth_proto;
		tag = (rte_be_to_cpu_16(vh->vlan_tci) & 0xfff) | VLAN_TAGGED;
		l2_len += sizeof(*vh);
	}
	/*
	 * The MAC check needs the (inner) ethertype: broadcast is only ours
	 * for ARP. It comes before the tag and ethertype checks so that
	 * traffic for other hosts is counted as such whatever it carries.
	 */
	if (unlikely(!for_us_from_unicast(eth, port_mac)) &&
	    !broadcast_arp(eth, type))
		return pkt_drop(info, l2_refused_mac(eth));
	if (unlikely(tag != want))
		return pkt_drop(info, l2_refused(type, tag, want));

	switch (type) {
	case RTE_BE16(RTE_ETHER_TYPE_IPV4):
		return parse_ipv4(m, l2_len, len - l2_len, info);
	case RTE_BE16(RTE_ETHER_TYPE_ARP):
		return parse_arp(m, l2_len, len - l2_len, info);
	default:
		return pkt_drop(info, l2_refused(type, tag, want));
	}
}
