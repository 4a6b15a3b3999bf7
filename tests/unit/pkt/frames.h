/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Frame builders and EAL-free mbufs for the lib/pkt tests.
 *
 * Each mbuf's data buffer is allocated to exactly headroom + frame length,
 * so any read past data_len is a heap overflow that ASan reports.
 */
#ifndef TEST_PKT_FRAMES_H
#define TEST_PKT_FRAMES_H

#include <stdlib.h>
#include <string.h>

#include <rte_arp.h>
#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#define FRAME_MAX 2048

static const struct rte_ether_addr port_mac = {{0x02, 0x00, 0x00, 0x00, 0x00, 0x01}};
static const struct rte_ether_addr peer_mac = {{0x02, 0x00, 0x00, 0x00, 0x00, 0x02}};
static const struct rte_ether_addr other_mac = {{0x02, 0x00, 0x00, 0x00, 0x00, 0x03}};
static const struct rte_ether_addr bcast_mac = {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};

#define PEER_IP RTE_BE32(RTE_IPV4(10, 10, 0, 1))
#define VIP_IP RTE_BE32(RTE_IPV4(10, 10, 0, 100))
#define PEER_PORT RTE_BE16(40000)
#define VIP_PORT RTE_BE16(80)
#define VLAN_ID 42

/* A single-segment mbuf over @p len bytes of @p frame, no EAL needed. */
static inline struct rte_mbuf *
tm_new_room(const void *frame, uint16_t len, uint16_t room)
{
	struct rte_mbuf *m = aligned_alloc(RTE_CACHE_LINE_SIZE,
			RTE_ALIGN_CEIL(sizeof(*m), RTE_CACHE_LINE_SIZE));
	uint8_t *buf = malloc(RTE_PKTMBUF_HEADROOM + room);

	if (m == NULL || buf == NULL)
		abort();
	memset(m, 0, sizeof(*m));
	m->buf_addr = buf;
	m->buf_len = RTE_PKTMBUF_HEADROOM + room;
	m->data_off = RTE_PKTMBUF_HEADROOM;
	m->data_len = len;
	m->pkt_len = len;
	m->nb_segs = 1;
	rte_mbuf_refcnt_set(m, 1);
	if (len > 0)
		memcpy(buf + RTE_PKTMBUF_HEADROOM, frame, len);
	return m;
}

static inline struct rte_mbuf *
tm_new(const void *frame, uint16_t len)
{
	return tm_new_room(frame, len, len);
}

static inline void
tm_free(struct rte_mbuf *m)
{
	free(m->buf_addr);
	free(m);
}

/*
 * The VLAN id of the port a frame is meant for: its outer 802.1Q tag's,
 * or 0 (an untagged port). The tests give each frame the port it fits.
 */
static inline uint16_t
tm_vlan_of(const uint8_t *frame, size_t len)
{
	const struct rte_ether_hdr *eth = (const struct rte_ether_hdr *)frame;
	const struct rte_vlan_hdr *vh = (const struct rte_vlan_hdr *)(eth + 1);

	if (len < sizeof(*eth) + sizeof(*vh) ||
	    eth->ether_type != RTE_BE16(RTE_ETHER_TYPE_VLAN))
		return 0;
	return rte_be_to_cpu_16(vh->vlan_tci) & 0xfff;
}

static inline uint16_t
tm_vlan(const struct rte_mbuf *m)
{
	return tm_vlan_of(rte_pktmbuf_mtod(m, const uint8_t *),
			  rte_pktmbuf_data_len(m));
}

/* Ethernet (and one 802.1Q tag if @p vlan) header; returns its length. */
static inline size_t
put_eth(uint8_t *f, const struct rte_ether_addr *dst,
	const struct rte_ether_addr *src, uint16_t type, int vlan)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)f;
	struct rte_vlan_hdr *vh;

	rte_ether_addr_copy(dst, &eth->dst_addr);
	rte_ether_addr_copy(src, &eth->src_addr);
	if (!vlan) {
		eth->ether_type = rte_cpu_to_be_16(type);
		return sizeof(*eth);
	}
	eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_VLAN);
	vh = (struct rte_vlan_hdr *)(eth + 1);
	vh->vlan_tci = RTE_BE16(VLAN_ID);
	vh->eth_proto = rte_cpu_to_be_16(type);
	return sizeof(*eth) + sizeof(*vh);
}

static inline struct rte_ipv4_hdr *
ip_at(uint8_t *f, size_t l2)
{
	return (struct rte_ipv4_hdr *)(f + l2);
}

/* Recompute the IPv4 header checksum from scratch (options included). */
static inline void
ip_fix_cksum(uint8_t *f, size_t l2)
{
	struct rte_ipv4_hdr *ip = ip_at(f, l2);

	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
}

/*
 * Ethernet + IPv4 (@p opt_words 32-bit words of NOP options) + @p l4_len
 * zero bytes, from peer to VIP, checksum valid. Returns the frame length;
 * *l2 and *l3 get the header lengths.
 */
static inline size_t
put_ipv4(uint8_t *f, uint8_t proto, uint16_t l4_len, unsigned int opt_words,
	 int vlan, size_t *l2, size_t *l3)
{
	struct rte_ipv4_hdr *ip;
	size_t hl = sizeof(*ip) + opt_words * 4;

	memset(f, 0, FRAME_MAX);
	*l2 = put_eth(f, &port_mac, &peer_mac, RTE_ETHER_TYPE_IPV4, vlan);
	*l3 = hl;
	ip = ip_at(f, *l2);
	ip->version_ihl = 0x40 | (uint8_t)(hl / 4);
	ip->total_length = rte_cpu_to_be_16((uint16_t)(hl + l4_len));
	ip->packet_id = RTE_BE16(0x1234);
	ip->fragment_offset = RTE_BE16(RTE_IPV4_HDR_DF_FLAG);
	ip->time_to_live = 63;
	ip->next_proto_id = proto;
	ip->src_addr = PEER_IP;
	ip->dst_addr = VIP_IP;
	memset(ip + 1, RTE_IPV4_HDR_OPT_NOP, opt_words * 4);
	ip_fix_cksum(f, *l2);
	return *l2 + hl + l4_len;
}

/* A TCP segment with @p doff header words and @p payload bytes. */
static inline size_t
put_tcp(uint8_t *f, unsigned int doff, uint16_t payload, uint8_t flags,
	int vlan, size_t *l2, size_t *l3)
{
	size_t len = put_ipv4(f, IPPROTO_TCP, doff * 4 + payload, 0, vlan,
			      l2, l3);
	struct rte_tcp_hdr *tcp = (struct rte_tcp_hdr *)(f + *l2 + *l3);

	tcp->src_port = PEER_PORT;
	tcp->dst_port = VIP_PORT;
	tcp->sent_seq = RTE_BE32(1000);
	tcp->data_off = (uint8_t)(doff << 4);
	tcp->tcp_flags = flags;
	tcp->rx_win = RTE_BE16(65535);
	for (size_t i = doff * 4; i < doff * 4u + payload; i++)
		f[*l2 + *l3 + i] = (uint8_t)(i * 7 + 1);
	return len;
}

static inline size_t
put_udp(uint8_t *f, uint16_t payload, unsigned int opt_words, int vlan,
	size_t *l2, size_t *l3)
{
	uint16_t l4_len = sizeof(struct rte_udp_hdr) + payload;
	size_t len = put_ipv4(f, IPPROTO_UDP, l4_len, opt_words, vlan, l2, l3);
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(f + *l2 + *l3);

	udp->src_port = PEER_PORT;
	udp->dst_port = VIP_PORT;
	udp->dgram_len = rte_cpu_to_be_16(l4_len);
	return len;
}

/* An ICMP echo request with @p payload bytes and a valid checksum. */
static inline size_t
put_echo(uint8_t *f, uint16_t payload, unsigned int opt_words, int vlan,
	 size_t *l2, size_t *l3)
{
	uint16_t l4_len = sizeof(struct rte_icmp_hdr) + payload;
	size_t len = put_ipv4(f, IPPROTO_ICMP, l4_len, opt_words, vlan, l2, l3);
	struct rte_icmp_hdr *icmp = (struct rte_icmp_hdr *)(f + *l2 + *l3);

	icmp->icmp_type = RTE_IP_ICMP_ECHO_REQUEST;
	icmp->icmp_code = 0;
	icmp->icmp_ident = RTE_BE16(0x4242);
	icmp->icmp_seq_nb = RTE_BE16(7);
	for (size_t i = 0; i < payload; i++)
		f[*l2 + *l3 + sizeof(*icmp) + i] = (uint8_t)(0xa5 ^ (i * 13));
	icmp->icmp_cksum = 0;
	icmp->icmp_cksum = (uint16_t)~rte_raw_cksum(icmp, l4_len);
	return len;
}

/* An ARP packet from peer (PEER_IP) about VIP_IP; returns frame length. */
static inline size_t
put_arp(uint8_t *f, const struct rte_ether_addr *dst, uint16_t op, int vlan,
	size_t *l2)
{
	struct rte_arp_hdr *arp;

	memset(f, 0, FRAME_MAX);
	*l2 = put_eth(f, dst, &peer_mac, RTE_ETHER_TYPE_ARP, vlan);
	arp = (struct rte_arp_hdr *)(f + *l2);
	arp->arp_hardware = RTE_BE16(RTE_ARP_HRD_ETHER);
	arp->arp_protocol = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	arp->arp_hlen = RTE_ETHER_ADDR_LEN;
	arp->arp_plen = 4;
	arp->arp_opcode = rte_cpu_to_be_16(op);
	rte_ether_addr_copy(&peer_mac, &arp->arp_data.arp_sha);
	arp->arp_data.arp_sip = PEER_IP;
	arp->arp_data.arp_tip = VIP_IP;
	return *l2 + sizeof(*arp);
}

#endif
