/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Frame builders shared by the tests and benchmarks that drive the worker
 * with whole frames (tests/unit/dataplane, tests/bench). They write into a
 * caller's buffer (an mbuf's appended data or a template), so the same
 * bytes serve unit tests, in-process benchmarks and generators.
 * tests/unit/pkt keeps its own builders: it needs VLAN tags, IP options
 * and EAL-free mbufs sized for ASan.
 */
#ifndef TEST_FRAMES_H
#define TEST_FRAMES_H

#include <stdint.h>
#include <string.h>

#include <rte_arp.h>
#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>

/*
 * Ethernet + 20-byte IPv4 header (TTL 64, checksum set) in front of
 * @p l4_len bytes for the caller to fill. Zeroes all 34 + @p l4_len bytes
 * of @p buf. Addresses in network order. @return the IPv4 header.
 */
static inline struct rte_ipv4_hdr *
tf_eth_ipv4(void *buf, const struct rte_ether_addr *dst_mac,
	    const struct rte_ether_addr *src_mac, uint32_t src, uint32_t dst,
	    uint8_t proto, uint16_t l4_len)
{
	struct rte_ether_hdr *eth = buf;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);

	memset(buf, 0, sizeof(*eth) + sizeof(*ip) + l4_len);
	rte_ether_addr_copy(dst_mac, &eth->dst_addr);
	rte_ether_addr_copy(src_mac, &eth->src_addr);
	eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16(sizeof(*ip) + l4_len);
	ip->time_to_live = 64;
	ip->next_proto_id = proto;
	ip->src_addr = src;
	ip->dst_addr = dst;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	return ip;
}

/* Broadcast ARP request from @p src_mac: who has @p target, tell @p sender. */
static inline void
tf_arp_request(void *buf, const struct rte_ether_addr *src_mac,
	       uint32_t sender, uint32_t target)
{
	struct rte_ether_hdr *eth = buf;
	struct rte_arp_hdr *arp = (struct rte_arp_hdr *)(eth + 1);

	memset(buf, 0, sizeof(*eth) + sizeof(*arp));
	memset(&eth->dst_addr, 0xff, sizeof(eth->dst_addr));
	rte_ether_addr_copy(src_mac, &eth->src_addr);
	eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_ARP);
	arp->arp_hardware = RTE_BE16(RTE_ARP_HRD_ETHER);
	arp->arp_protocol = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	arp->arp_hlen = RTE_ETHER_ADDR_LEN;
	arp->arp_plen = 4;
	arp->arp_opcode = RTE_BE16(RTE_ARP_OP_REQUEST);
	rte_ether_addr_copy(src_mac, &arp->arp_data.arp_sha);
	arp->arp_data.arp_sip = sender;
	arp->arp_data.arp_tip = target;
}

#endif
