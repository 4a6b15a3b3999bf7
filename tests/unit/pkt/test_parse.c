/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "lb_pkt.h"
#include "frames.h"

static uint8_t f[FRAME_MAX] __rte_aligned(RTE_CACHE_LINE_SIZE);

/* Parsed on a port with VLAN id @p vlan (0: untagged). */
static enum lb_pkt_class
parse_on(uint16_t vlan, const uint8_t *frame, size_t len, uint64_t ol_flags,
	 struct lb_pkt_info *info)
{
	struct rte_mbuf *m = tm_new(frame, (uint16_t)len);
	enum lb_pkt_class c;

	m->ol_flags = ol_flags;
	memset(info, 0xee, sizeof(*info));
	c = lb_pkt_parse(m, &port_mac, vlan, info);
	tm_free(m);
	return c;
}

/* On the port the frame is meant for: its own tag's (see tm_vlan_of). */
static enum lb_pkt_class
parse_flags(const uint8_t *frame, size_t len, uint64_t ol_flags,
	    struct lb_pkt_info *info)
{
	return parse_on(tm_vlan_of(frame, len), frame, len, ol_flags, info);
}

static enum lb_pkt_class
parse(const uint8_t *frame, size_t len, struct lb_pkt_info *info)
{
	return parse_flags(frame, len, 0, info);
}

#define assert_dropped_on(vlan, frame, len, reason) do {                  \
	struct lb_pkt_info di_;                                           \
	assert_int_equal(parse_on((vlan), (frame), (len), 0, &di_),       \
			 LB_PKT_DROP);                                    \
	assert_string_equal(lb_drop_reason_name(di_.drop),                \
			    lb_drop_reason_name(LB_DROP_##reason));       \
} while (0)

/* Names, not numbers, so a failure says which reason came out. */
#define assert_dropped(frame, len, reason) do {                           \
	struct lb_pkt_info di_;                                           \
	assert_int_equal(parse((frame), (len), &di_), LB_PKT_DROP);       \
	assert_string_equal(lb_drop_reason_name(di_.drop),                \
			    lb_drop_reason_name(LB_DROP_##reason));       \
} while (0)

#define assert_dropped_flags(frame, len, flags, reason) do {              \
	struct lb_pkt_info di_;                                           \
	assert_int_equal(parse_flags((frame), (len), (flags), &di_),      \
			 LB_PKT_DROP);                                    \
	assert_string_equal(lb_drop_reason_name(di_.drop),                \
			    lb_drop_reason_name(LB_DROP_##reason));       \
} while (0)

static struct rte_ipv4_hdr *
ip_of(size_t l2)
{
	return ip_at(f, l2);
}

/* --- frames that must be accepted --- */

static void
test_parse_tcp_fields(void **state)
{
	struct lb_pkt_info info;
	size_t l2, l3, len;

	(void)state;
	len = put_tcp(f, 5, 100, RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG, 0,
		      &l2, &l3);
	assert_int_equal(parse(f, len, &info), LB_PKT_IPV4);
	assert_int_equal(info.l2_len, 14);
	assert_int_equal(info.l3_len, 20);
	assert_int_equal(info.l4_len, 120);
	assert_int_equal(info.proto, IPPROTO_TCP);
	assert_int_equal(info.tcp_flags, RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG);
	assert_int_equal(info.src_addr, PEER_IP);
	assert_int_equal(info.dst_addr, VIP_IP);
	assert_int_equal(info.src_port, PEER_PORT);
	assert_int_equal(info.dst_port, VIP_PORT);
}

static void
test_parse_tcp_options_accepted(void **state)
{
	struct lb_pkt_info info;
	size_t l2, l3, len;

	(void)state;
	/* doff 15 with no payload: the header fills l4 exactly. */
	len = put_tcp(f, 15, 0, RTE_TCP_FIN_FLAG, 0, &l2, &l3);
	assert_int_equal(parse(f, len, &info), LB_PKT_IPV4);
	assert_int_equal(info.l4_len, 60);
	assert_int_equal(info.tcp_flags, RTE_TCP_FIN_FLAG);
	assert_int_equal(info.dst_port, VIP_PORT);
}

static void
test_parse_udp_fields(void **state)
{
	struct lb_pkt_info info;
	size_t l2, l3, len;

	(void)state;
	len = put_udp(f, 33, 0, 0, &l2, &l3);
	assert_int_equal(parse(f, len, &info), LB_PKT_IPV4);
	assert_int_equal(info.l2_len, 14);
	assert_int_equal(info.l3_len, 20);
	assert_int_equal(info.l4_len, 41);
	assert_int_equal(info.proto, IPPROTO_UDP);
	assert_int_equal(info.src_addr, PEER_IP);
	assert_int_equal(info.dst_addr, VIP_IP);
	assert_int_equal(info.src_port, PEER_PORT);
	assert_int_equal(info.dst_port, VIP_PORT);
}

static void
test_parse_icmp_fields(void **state)
{
	struct lb_pkt_info info;
	size_t l2, l3, len;

	(void)state;
	len = put_echo(f, 56, 0, 0, &l2, &l3);
	assert_int_equal(parse(f, len, &info), LB_PKT_IPV4);
	assert_int_equal(info.l2_len, 14);
	assert_int_equal(info.l3_len, 20);
	assert_int_equal(info.l4_len, 64);
	assert_int_equal(info.proto, IPPROTO_ICMP);
	assert_int_equal(info.icmp_type, RTE_IP_ICMP_ECHO_REQUEST);
	assert_int_equal(info.src_addr, PEER_IP);
	assert_int_equal(info.dst_addr, VIP_IP);
	assert_int_equal(info.src_port, 0);
	assert_int_equal(info.dst_port, 0);
}

static void
check_arp(size_t len, uint16_t op, uint16_t l2_len)
{
	struct lb_pkt_info info;

	assert_int_equal(parse(f, len, &info), LB_PKT_ARP);
	assert_int_equal(info.l2_len, l2_len);
	assert_int_equal(info.arp_op, op);
	assert_int_equal(info.src_addr, PEER_IP);
	assert_int_equal(info.dst_addr, VIP_IP);
	assert_true(rte_is_same_ether_addr(&info.arp_sha, &peer_mac));
}

static void
test_parse_arp_unicast_request_and_reply(void **state)
{
	size_t l2, len;

	(void)state;
	len = put_arp(f, &port_mac, RTE_ARP_OP_REQUEST, 0, &l2);
	check_arp(len, RTE_ARP_OP_REQUEST, 14);
	len = put_arp(f, &port_mac, RTE_ARP_OP_REPLY, 0, &l2);
	check_arp(len, RTE_ARP_OP_REPLY, 14);
}

static void
test_parse_arp_broadcast_accepted(void **state)
{
	size_t l2, len;

	(void)state;
	len = put_arp(f, &bcast_mac, RTE_ARP_OP_REQUEST, 0, &l2);
	check_arp(len, RTE_ARP_OP_REQUEST, 14);
	/* Padded to the Ethernet minimum, as on the wire. */
	check_arp(60, RTE_ARP_OP_REQUEST, 14);
}

static void
test_parse_vlan_tcp_fields(void **state)
{
	struct lb_pkt_info info;
	size_t l2, l3, len;

	(void)state;
	len = put_tcp(f, 5, 10, RTE_TCP_ACK_FLAG, 1, &l2, &l3);
	assert_int_equal(parse(f, len, &info), LB_PKT_IPV4);
	assert_int_equal(info.l2_len, 18);
	assert_int_equal(info.l3_len, 20);
	assert_int_equal(info.l4_len, 30);
	assert_int_equal(info.proto, IPPROTO_TCP);
	assert_int_equal(info.tcp_flags, RTE_TCP_ACK_FLAG);
	assert_int_equal(info.src_addr, PEER_IP);
	assert_int_equal(info.dst_addr, VIP_IP);
	assert_int_equal(info.src_port, PEER_PORT);
	assert_int_equal(info.dst_port, VIP_PORT);
}

static void
test_parse_vlan_arp_broadcast_accepted(void **state)
{
	size_t l2, len;

	(void)state;
	len = put_arp(f, &bcast_mac, RTE_ARP_OP_REQUEST, 1, &l2);
	check_arp(len, RTE_ARP_OP_REQUEST, 18);
}

static void
test_parse_ethernet_padding_accepted(void **state)
{
	struct lb_pkt_info info;
	size_t l2, l3, len;

	(void)state;
	/* 14 + 20 + 8 + 2 = 44 bytes, padded to 60 by the sender's NIC. */
	len = put_udp(f, 2, 0, 0, &l2, &l3);
	assert_int_equal(len, 44);
	memset(f + len, 0xaa, 16);
	assert_int_equal(parse(f, 60, &info), LB_PKT_IPV4);
	assert_int_equal(info.l4_len, 10);
	assert_int_equal(info.dst_port, VIP_PORT);
}

static void
test_parse_ipv4_options_accepted(void **state)
{
	struct lb_pkt_info info;
	size_t l2, l3, len;
	unsigned int words;

	(void)state;
	for (words = 1; words <= 10; words++) {
		len = put_udp(f, 4, words, 0, &l2, &l3);
		assert_int_equal(parse(f, len, &info), LB_PKT_IPV4);
		assert_int_equal(info.l3_len, 20 + 4 * words);
		assert_int_equal(info.l4_len, 12);
		assert_int_equal(info.src_port, PEER_PORT);
		assert_int_equal(info.dst_port, VIP_PORT);
		/* Options count in the checksum. */
		f[l2 + 20] ^= 0x80;
		assert_dropped(f, len, ipv4_checksum);
	}
}

/*
 * The 20-byte header checksum: over random headers, half with the right
 * checksum, half with a random one, the parser must agree with
 * rte_raw_cksum() on every one (the carries of the word-wise sum included).
 */
static void
test_parse_ipv4_checksum_matches_rte_raw_cksum(void **state)
{
	uint64_t x = 0x243f6a8885a308d3ull;
	struct lb_pkt_info info;
	size_t l2, l3, len;
	unsigned int i, j;

	(void)state;
	for (i = 0; i < 200000; i++) {
		struct rte_ipv4_hdr *ip;
		uint8_t *h;
		int good;

		len = put_tcp(f, 5, 0, RTE_TCP_ACK_FLAG, 0, &l2, &l3);
		ip = ip_of(l2);
		h = (uint8_t *)ip;
		for (j = 0; j < 20; j++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			/* Keep what the earlier checks need; the rest random,
			 * or every fourth header all ones: the most carries. */
			if (j >= 4 && (j < 6 || j > 9))
				h[j] = i % 4 == 0 ? 0xff : (uint8_t)x;
		}
		ip->hdr_checksum = 0;
		if (x & 1)
			ip->hdr_checksum = rte_ipv4_cksum(ip);
		else
			ip->hdr_checksum = (uint16_t)(x >> 8);
		good = rte_raw_cksum(ip, 20) == 0xffff;
		assert_int_equal(parse_flags(f, len, 0, &info) == LB_PKT_IPV4,
				 good);
		if (!good)
			assert_int_equal(info.drop, LB_DROP_ipv4_checksum);
	}
}

static void
test_parse_ipv4_df_accepted(void **state)
{
	struct lb_pkt_info info;
	size_t l2, l3, len;

	(void)state;
	len = put_tcp(f, 5, 0, RTE_TCP_SYN_FLAG, 0, &l2, &l3);
	assert_int_equal(ip_of(l2)->fragment_offset,
			 RTE_BE16(RTE_IPV4_HDR_DF_FLAG));
	assert_int_equal(parse(f, len, &info), LB_PKT_IPV4);
}

static void
test_parse_nic_cksum_good_skips_verification(void **state)
{
	struct lb_pkt_info info;
	size_t l2, l3, len;

	(void)state;
	len = put_tcp(f, 5, 0, RTE_TCP_SYN_FLAG, 0, &l2, &l3);
	ip_of(l2)->hdr_checksum ^= RTE_BE16(0x0101);
	assert_int_equal(parse_flags(f, len, RTE_MBUF_F_RX_IP_CKSUM_GOOD,
				     &info), LB_PKT_IPV4);
	assert_dropped_flags(f, len, RTE_MBUF_F_RX_IP_CKSUM_UNKNOWN,
			     ipv4_checksum);
	assert_dropped_flags(f, len, RTE_MBUF_F_RX_IP_CKSUM_NONE,
			     ipv4_checksum);
}

static void
test_parse_nic_cksum_bad_dropped(void **state)
{
	size_t l2, l3, len;

	(void)state;
	/* The header checksum is right, but the NIC's word wins. */
	len = put_tcp(f, 5, 0, RTE_TCP_SYN_FLAG, 0, &l2, &l3);
	assert_dropped_flags(f, len, RTE_MBUF_F_RX_IP_CKSUM_BAD, ipv4_checksum);
}

/* --- one test per drop reason --- */

static void
test_parse_eth_truncated(void **state)
{
	size_t l2, l3;

	(void)state;
	put_tcp(f, 5, 0, 0, 0, &l2, &l3);
	assert_dropped(f, 0, eth_truncated);
	assert_dropped(f, 13, eth_truncated);
	/* A VLAN tag cut short. */
	put_tcp(f, 5, 0, 0, 1, &l2, &l3);
	assert_dropped(f, 14, eth_truncated);
	assert_dropped(f, 17, eth_truncated);
}

static void
test_parse_l2_not_for_us(void **state)
{
	size_t l2, l3, len;

	(void)state;
	len = put_tcp(f, 5, 0, RTE_TCP_SYN_FLAG, 0, &l2, &l3);
	rte_ether_addr_copy(&other_mac, (struct rte_ether_addr *)f);
	assert_dropped(f, len, l2_not_for_us);
	/* ARP unicast to another host is not ours either. */
	len = put_arp(f, &other_mac, RTE_ARP_OP_REQUEST, 0, &l2);
	assert_dropped(f, len, l2_not_for_us);
}

static void
test_parse_broadcast_ipv4_dropped(void **state)
{
	size_t l2, l3, len;

	(void)state;
	len = put_udp(f, 20, 0, 0, &l2, &l3);
	rte_ether_addr_copy(&bcast_mac, (struct rte_ether_addr *)f);
	assert_dropped(f, len, l2_not_for_us);
	len = put_udp(f, 20, 0, 1, &l2, &l3);
	rte_ether_addr_copy(&bcast_mac, (struct rte_ether_addr *)f);
	assert_dropped(f, len, l2_not_for_us);
}

static void
test_parse_l3_unsupported(void **state)
{
	size_t len;

	(void)state;
	memset(f, 0, FRAME_MAX);
	len = put_eth(f, &port_mac, &peer_mac, RTE_ETHER_TYPE_IPV6, 0) + 46;
	assert_dropped(f, len, l3_unsupported);
	/* The same behind the port's tag. */
	len = put_eth(f, &port_mac, &peer_mac, RTE_ETHER_TYPE_IPV6, 1) + 46;
	assert_dropped(f, len, l3_unsupported);
	assert_dropped_on(0, f, len, vlan_mismatch);
}

/* Two tags (QinQ), or an 802.1ad S-tag outside: no port takes them. */
static void
test_parse_vlan_stacked(void **state)
{
	size_t len;

	(void)state;
	memset(f, 0, FRAME_MAX);
	/* A second 802.1Q tag inside the port's own. */
	len = put_eth(f, &port_mac, &peer_mac, RTE_ETHER_TYPE_VLAN, 1) + 46;
	assert_dropped(f, len, vlan_stacked);
	assert_dropped_on(0, f, len, vlan_stacked);
	assert_dropped_on(7, f, len, vlan_stacked);
	/* An S-tag (and the old 0x9100) outside, on any port. */
	len = put_eth(f, &port_mac, &peer_mac, RTE_ETHER_TYPE_QINQ, 0) + 46;
	assert_dropped_on(0, f, len, vlan_stacked);
	assert_dropped_on(VLAN_ID, f, len, vlan_stacked);
	len = put_eth(f, &port_mac, &peer_mac, RTE_ETHER_TYPE_QINQ1, 0) + 46;
	assert_dropped_on(0, f, len, vlan_stacked);
	/* An S-tag inside a C-tag. */
	len = put_eth(f, &port_mac, &peer_mac, RTE_ETHER_TYPE_QINQ, 1) + 46;
	assert_dropped(f, len, vlan_stacked);
}

/* A port with a vlan takes only its tag; an untagged port no tag. */
static void
test_parse_vlan_policy(void **state)
{
	struct lb_pkt_info info;
	struct rte_vlan_hdr *vh = (struct rte_vlan_hdr *)(f + 14);
	size_t l2, l3, len;

	(void)state;
	len = put_tcp(f, 5, 0, RTE_TCP_SYN_FLAG, 0, &l2, &l3);
	assert_int_equal(parse_on(0, f, len, 0, &info), LB_PKT_IPV4);
	assert_dropped_on(VLAN_ID, f, len, vlan_untagged);
	len = put_tcp(f, 5, 0, RTE_TCP_SYN_FLAG, 1, &l2, &l3);
	assert_int_equal(parse_on(VLAN_ID, f, len, 0, &info), LB_PKT_IPV4);
	assert_int_equal(info.l2_len, 18);
	assert_dropped_on(0, f, len, vlan_mismatch);
	assert_dropped_on(VLAN_ID + 1, f, len, vlan_mismatch);
	/* The priority bits and DEI are no part of the id. */
	vh->vlan_tci = rte_cpu_to_be_16(0xf000 | VLAN_ID);
	assert_int_equal(parse_on(VLAN_ID, f, len, 0, &info), LB_PKT_IPV4);
	/* VLAN id 0 (a priority tag) is a tag, not "untagged". */
	vh->vlan_tci = RTE_BE16(0x6000);
	assert_dropped_on(0, f, len, vlan_mismatch);
	assert_dropped_on(VLAN_ID, f, len, vlan_mismatch);
	/* ARP as well: broadcast requests too. */
	len = put_arp(f, &bcast_mac, RTE_ARP_OP_REQUEST, 1, &l2);
	assert_dropped_on(0, f, len, vlan_mismatch);
	assert_dropped_on(VLAN_ID + 1, f, len, vlan_mismatch);
	len = put_arp(f, &bcast_mac, RTE_ARP_OP_REQUEST, 0, &l2);
	assert_dropped_on(VLAN_ID, f, len, vlan_untagged);
	/* Frames for other hosts are counted as such, tag or not. */
	len = put_tcp(f, 5, 0, RTE_TCP_SYN_FLAG, 1, &l2, &l3);
	rte_ether_addr_copy(&other_mac, (struct rte_ether_addr *)f);
	assert_dropped_on(0, f, len, l2_not_for_us);
}

/* A multicast or broadcast source makes any answer go to everyone: it is
 * refused first, whoever the frame is for. */
static void
test_parse_eth_src_multicast(void **state)
{
	static const struct rte_ether_addr mcast = {
		{ 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 } };
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)f;
	size_t l2, l3, len;

	(void)state;
	len = put_tcp(f, 5, 0, RTE_TCP_SYN_FLAG, 0, &l2, &l3);
	rte_ether_addr_copy(&bcast_mac, &eth->src_addr);
	assert_dropped(f, len, eth_src_multicast);
	rte_ether_addr_copy(&mcast, &eth->src_addr);
	assert_dropped(f, len, eth_src_multicast);
	/* only the group bit counts: locally administered unicast is fine */
	eth->src_addr.addr_bytes[0] = 0x02;
	assert_int_equal(parse(f, len, &(struct lb_pkt_info){ 0 }),
			 LB_PKT_IPV4);
	eth->src_addr.addr_bytes[0] = 0x03;
	assert_dropped(f, len, eth_src_multicast);
	/* to another host, or broadcast: still the source's fault */
	rte_ether_addr_copy(&other_mac, &eth->dst_addr);
	assert_dropped(f, len, eth_src_multicast);
	len = put_arp(f, &bcast_mac, RTE_ARP_OP_REQUEST, 0, &l2);
	rte_ether_addr_copy(&bcast_mac, &eth->src_addr);
	assert_dropped(f, len, eth_src_multicast);
	len = put_arp(f, &port_mac, RTE_ARP_OP_REPLY, 1, &l2);
	rte_ether_addr_copy(&mcast, &eth->src_addr);
	assert_dropped(f, len, eth_src_multicast);
}

/* An ARP sender MAC no host has: a reply to it would be a broadcast. */
static void
test_parse_arp_sha_invalid(void **state)
{
	static const struct rte_ether_addr zero = { { 0 } };
	static const struct rte_ether_addr mcast = {
		{ 0x33, 0x33, 0x00, 0x00, 0x00, 0x01 } };
	const struct rte_ether_addr *bad[] = { &zero, &mcast, &bcast_mac };
	struct rte_arp_hdr *arp;
	size_t l2, len, i;
	uint16_t op;

	(void)state;
	for (op = RTE_ARP_OP_REQUEST; op <= RTE_ARP_OP_REPLY; op++)
		for (i = 0; i < RTE_DIM(bad); i++) {
			len = put_arp(f, &bcast_mac, op, 0, &l2);
			arp = (struct rte_arp_hdr *)(f + l2);
			rte_ether_addr_copy(bad[i], &arp->arp_data.arp_sha);
			assert_dropped(f, len, arp_sha_invalid);
		}
}

/* A datagram that goes on past the first segment: a jumbo frame the PMD
 * chained is rx_segmented, not a length lie. */
static void
test_parse_rx_segmented(void **state)
{
	struct rte_mbuf *m, *m2;
	struct lb_pkt_info info;
	size_t l2, l3, len;

	(void)state;
	len = put_udp(f, 1000, 0, 0, &l2, &l3);
	m = tm_new(f, 200);
	m2 = tm_new(f + 200, (uint16_t)(len - 200));
	m->next = m2;
	m->nb_segs = 2;
	m->pkt_len = (uint32_t)len;
	assert_int_equal(lb_pkt_parse(m, &port_mac, 0, &info), LB_PKT_DROP);
	assert_string_equal(lb_drop_reason_name(info.drop), "rx_segmented");
	/* a lie beyond even the chain is still a lie */
	m->pkt_len = 300;
	assert_int_equal(lb_pkt_parse(m, &port_mac, 0, &info), LB_PKT_DROP);
	assert_string_equal(lb_drop_reason_name(info.drop),
			    "ipv4_total_length");
	tm_free(m2);
	tm_free(m);
}

static void
test_parse_arp_malformed(void **state)
{
	struct rte_arp_hdr *arp;
	size_t l2, len;

	(void)state;
	len = put_arp(f, &bcast_mac, RTE_ARP_OP_REQUEST, 0, &l2);
	assert_dropped(f, len - 1, arp_malformed);
	arp = (struct rte_arp_hdr *)(f + l2);

	arp->arp_hardware = RTE_BE16(6);
	assert_dropped(f, len, arp_malformed);
	put_arp(f, &bcast_mac, RTE_ARP_OP_REQUEST, 0, &l2);
	arp->arp_protocol = RTE_BE16(RTE_ETHER_TYPE_IPV6);
	assert_dropped(f, len, arp_malformed);
	put_arp(f, &bcast_mac, RTE_ARP_OP_REQUEST, 0, &l2);
	arp->arp_hlen = 8;
	assert_dropped(f, len, arp_malformed);
	put_arp(f, &bcast_mac, RTE_ARP_OP_REQUEST, 0, &l2);
	arp->arp_plen = 16;
	assert_dropped(f, len, arp_malformed);
	put_arp(f, &bcast_mac, RTE_ARP_OP_REQUEST, 0, &l2);
	arp->arp_opcode = RTE_BE16(RTE_ARP_OP_REVREQUEST);
	assert_dropped(f, len, arp_malformed);
	put_arp(f, &bcast_mac, RTE_ARP_OP_REQUEST, 0, &l2);
	arp->arp_opcode = 0;
	assert_dropped(f, len, arp_malformed);
}

static void
test_parse_ipv4_truncated(void **state)
{
	size_t l2, l3;

	(void)state;
	put_tcp(f, 5, 0, 0, 0, &l2, &l3);
	assert_dropped(f, 14, ipv4_truncated);
	assert_dropped(f, 14 + 19, ipv4_truncated);
	put_tcp(f, 5, 0, 0, 1, &l2, &l3);
	assert_dropped(f, 18 + 19, ipv4_truncated);
}

static void
test_parse_ipv4_version(void **state)
{
	size_t l2, l3, len;

	(void)state;
	len = put_tcp(f, 5, 0, 0, 0, &l2, &l3);
	ip_of(l2)->version_ihl = 0x65;
	ip_fix_cksum(f, l2);
	assert_dropped(f, len, ipv4_version);
}

static void
test_parse_ipv4_ihl(void **state)
{
	size_t l2, l3, len;

	(void)state;
	len = put_tcp(f, 5, 0, 0, 0, &l2, &l3);
	ip_of(l2)->version_ihl = 0x44;
	assert_dropped(f, len, ipv4_ihl);
	ip_of(l2)->version_ihl = 0x40;
	assert_dropped(f, len, ipv4_ihl);
	/* 60-byte header claimed, 40 bytes after L2. */
	ip_of(l2)->version_ihl = 0x4f;
	assert_dropped(f, len, ipv4_ihl);
}

static void
test_parse_ipv4_total_length(void **state)
{
	size_t l2, l3, len;

	(void)state;
	len = put_tcp(f, 5, 0, 0, 0, &l2, &l3);
	ip_of(l2)->total_length = RTE_BE16(19);
	ip_fix_cksum(f, l2);
	assert_dropped(f, len, ipv4_total_length);
	/* One byte more than was received. */
	ip_of(l2)->total_length = rte_cpu_to_be_16((uint16_t)(len - l2 + 1));
	ip_fix_cksum(f, l2);
	assert_dropped(f, len, ipv4_total_length);
	/* Shorter than its own options. */
	len = put_udp(f, 0, 2, 0, &l2, &l3);
	ip_of(l2)->total_length = RTE_BE16(24);
	ip_fix_cksum(f, l2);
	assert_dropped(f, len, ipv4_total_length);
}

static void
test_parse_ipv4_checksum(void **state)
{
	size_t l2, l3, len;

	(void)state;
	len = put_tcp(f, 5, 0, 0, 0, &l2, &l3);
	ip_of(l2)->hdr_checksum ^= RTE_BE16(1);
	assert_dropped(f, len, ipv4_checksum);
	/* A changed field under a stale checksum. */
	len = put_tcp(f, 5, 0, 0, 0, &l2, &l3);
	ip_of(l2)->src_addr ^= RTE_BE32(0x100);
	assert_dropped(f, len, ipv4_checksum);
}

static void
test_parse_ipv4_fragment(void **state)
{
	size_t l2, l3, len;

	(void)state;
	len = put_tcp(f, 5, 0, 0, 0, &l2, &l3);
	ip_of(l2)->fragment_offset = RTE_BE16(RTE_IPV4_HDR_MF_FLAG);
	ip_fix_cksum(f, l2);
	assert_dropped(f, len, ipv4_fragment);
	ip_of(l2)->fragment_offset = RTE_BE16(1);
	ip_fix_cksum(f, l2);
	assert_dropped(f, len, ipv4_fragment);
	ip_of(l2)->fragment_offset = RTE_BE16(RTE_IPV4_HDR_DF_FLAG | 0x100);
	ip_fix_cksum(f, l2);
	assert_dropped(f, len, ipv4_fragment);
}

static void
test_parse_ipv4_ttl(void **state)
{
	size_t l2, l3, len;

	(void)state;
	len = put_tcp(f, 5, 0, 0, 0, &l2, &l3);
	ip_of(l2)->time_to_live = 0;
	ip_fix_cksum(f, l2);
	assert_dropped(f, len, ipv4_ttl);
}

static void
test_parse_tcp_truncated(void **state)
{
	size_t l2, l3, len;

	(void)state;
	/* total_length says 19 bytes of TCP; the frame is padded anyway. */
	len = put_ipv4(f, IPPROTO_TCP, 19, 0, 0, &l2, &l3);
	assert_dropped(f, len, tcp_truncated);
	assert_dropped(f, 60, tcp_truncated);
	len = put_ipv4(f, IPPROTO_TCP, 0, 0, 0, &l2, &l3);
	assert_dropped(f, len, tcp_truncated);
}

static void
test_parse_tcp_doff(void **state)
{
	size_t l2, l3, len;

	(void)state;
	len = put_tcp(f, 5, 12, RTE_TCP_SYN_FLAG, 0, &l2, &l3);
	f[l2 + l3 + 12] = 4 << 4;
	assert_dropped(f, len, tcp_doff);
	f[l2 + l3 + 12] = 0;
	assert_dropped(f, len, tcp_doff);
	/* 24-byte header claimed in a 20-byte segment, padding after it. */
	len = put_tcp(f, 5, 0, RTE_TCP_SYN_FLAG, 0, &l2, &l3);
	f[l2 + l3 + 12] = 6 << 4;
	assert_dropped(f, len, tcp_doff);
	assert_dropped(f, len + 10, tcp_doff);
}

static void
test_parse_udp_truncated(void **state)
{
	size_t l2, l3, len;

	(void)state;
	len = put_ipv4(f, IPPROTO_UDP, 7, 0, 0, &l2, &l3);
	assert_dropped(f, len, udp_truncated);
	assert_dropped(f, 60, udp_truncated);
}

static void
test_parse_udp_length(void **state)
{
	struct rte_udp_hdr *udp;
	struct lb_pkt_info info;
	size_t l2, l3, len;

	(void)state;
	len = put_udp(f, 10, 0, 0, &l2, &l3);
	udp = (struct rte_udp_hdr *)(f + l2 + l3);
	udp->dgram_len = RTE_BE16(7);
	assert_dropped(f, len, udp_length);
	udp->dgram_len = RTE_BE16(19);
	assert_dropped(f, len, udp_length);
	/* Shorter than l4 is fine: trailing bytes are ignored. */
	udp->dgram_len = RTE_BE16(8);
	assert_int_equal(parse(f, len, &info), LB_PKT_IPV4);
}

static void
test_parse_icmp_truncated(void **state)
{
	size_t l2, l3, len;

	(void)state;
	len = put_ipv4(f, IPPROTO_ICMP, 7, 0, 0, &l2, &l3);
	assert_dropped(f, len, icmp_truncated);
	assert_dropped(f, 60, icmp_truncated);
}

static void
test_parse_l4_unsupported(void **state)
{
	static const uint8_t protos[] = { IPPROTO_GRE, IPPROTO_IPV6,
					  IPPROTO_SCTP, 0, 255 };
	size_t l2, l3, len, i;

	(void)state;
	for (i = 0; i < RTE_DIM(protos); i++) {
		len = put_ipv4(f, protos[i], 40, 0, 0, &l2, &l3);
		assert_dropped(f, len, l4_unsupported);
	}
}

/*
 * Every prefix of a VLAN frame with IP and TCP options is dropped with the
 * reason of the first header it cuts, and never read past its end (each
 * mbuf buffer ends where the frame does, under ASan).
 */
static void
test_parse_every_truncation_dropped(void **state)
{
	struct rte_tcp_hdr *tcp;
	struct lb_pkt_info info;
	size_t l2, l3, len, cut;
	uint16_t tlen;

	(void)state;
	len = put_ipv4(f, IPPROTO_TCP, 32 + 5, 3, 1, &l2, &l3);
	tcp = (struct rte_tcp_hdr *)(f + l2 + l3);
	tcp->data_off = 8 << 4;
	tcp->dst_port = VIP_PORT;
	tlen = rte_be_to_cpu_16(ip_of(l2)->total_length);
	assert_int_equal(parse(f, len, &info), LB_PKT_IPV4);
	assert_int_equal(info.l2_len, 18);
	assert_int_equal(info.l3_len, 32);
	assert_int_equal(info.l4_len, 37);
	for (cut = 0; cut < len; cut++) {
		if (cut < l2)
			assert_dropped(f, cut, eth_truncated);
		else if (cut < l2 + 20)
			assert_dropped(f, cut, ipv4_truncated);
		else if (cut < l2 + l3)
			assert_dropped(f, cut, ipv4_ihl);
		else if (cut < l2 + tlen)
			assert_dropped(f, cut, ipv4_total_length);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_tcp_fields),
		cmocka_unit_test(test_parse_tcp_options_accepted),
		cmocka_unit_test(test_parse_udp_fields),
		cmocka_unit_test(test_parse_icmp_fields),
		cmocka_unit_test(test_parse_arp_unicast_request_and_reply),
		cmocka_unit_test(test_parse_arp_broadcast_accepted),
		cmocka_unit_test(test_parse_vlan_tcp_fields),
		cmocka_unit_test(test_parse_vlan_arp_broadcast_accepted),
		cmocka_unit_test(test_parse_ethernet_padding_accepted),
		cmocka_unit_test(test_parse_ipv4_options_accepted),
		cmocka_unit_test(test_parse_ipv4_df_accepted),
		cmocka_unit_test(test_parse_ipv4_checksum_matches_rte_raw_cksum),
		cmocka_unit_test(test_parse_nic_cksum_good_skips_verification),
		cmocka_unit_test(test_parse_nic_cksum_bad_dropped),
		cmocka_unit_test(test_parse_eth_truncated),
		cmocka_unit_test(test_parse_l2_not_for_us),
		cmocka_unit_test(test_parse_broadcast_ipv4_dropped),
		cmocka_unit_test(test_parse_l3_unsupported),
		cmocka_unit_test(test_parse_vlan_stacked),
		cmocka_unit_test(test_parse_vlan_policy),
		cmocka_unit_test(test_parse_eth_src_multicast),
		cmocka_unit_test(test_parse_arp_sha_invalid),
		cmocka_unit_test(test_parse_rx_segmented),
		cmocka_unit_test(test_parse_arp_malformed),
		cmocka_unit_test(test_parse_ipv4_truncated),
		cmocka_unit_test(test_parse_ipv4_version),
		cmocka_unit_test(test_parse_ipv4_ihl),
		cmocka_unit_test(test_parse_ipv4_total_length),
		cmocka_unit_test(test_parse_ipv4_checksum),
		cmocka_unit_test(test_parse_ipv4_fragment),
		cmocka_unit_test(test_parse_ipv4_ttl),
		cmocka_unit_test(test_parse_tcp_truncated),
		cmocka_unit_test(test_parse_tcp_doff),
		cmocka_unit_test(test_parse_udp_truncated),
		cmocka_unit_test(test_parse_udp_length),
		cmocka_unit_test(test_parse_icmp_truncated),
		cmocka_unit_test(test_parse_l4_unsupported),
		cmocka_unit_test(test_parse_every_truncation_dropped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
