/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>

#include <rte_arp.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_tcp.h>

#include "frames.h"

static const struct rte_ether_addr client_mac = {{ 2, 0, 0, 0, 0, 0x10 }};

static struct rte_ipv4_hdr *
put_ipv4(struct frame *f, const struct rte_ether_addr *dst_mac, uint32_t src,
	 uint32_t dst, uint8_t proto)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)f->b;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);

	memset(f, 0, sizeof(*f));
	rte_ether_addr_copy(dst_mac, &eth->dst_addr);
	rte_ether_addr_copy(&client_mac, &eth->src_addr);
	eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	/* The frame is padded to 60 bytes: IP carries what fits after it. */
	ip->total_length = rte_cpu_to_be_16(FRAME_LEN - sizeof(*eth));
	ip->time_to_live = 64;
	ip->next_proto_id = proto;
	ip->src_addr = src;
	ip->dst_addr = dst;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	return ip;
}

void
frame_tcp(struct frame *f, const struct rte_ether_addr *dst_mac, uint32_t src,
	  uint16_t sport, uint32_t dst, uint16_t dport, uint8_t flags)
{
	struct rte_ipv4_hdr *ip = put_ipv4(f, dst_mac, src, dst, IPPROTO_TCP);
	struct rte_tcp_hdr *tcp = (struct rte_tcp_hdr *)(ip + 1);

	tcp->src_port = sport;
	tcp->dst_port = dport;
	tcp->data_off = 5 << 4;
	tcp->tcp_flags = flags;
	tcp->rx_win = RTE_BE16(65535);
	tcp->cksum = rte_ipv4_udptcp_cksum(ip, tcp);
}

void
frame_icmp_echo(struct frame *f, const struct rte_ether_addr *dst_mac,
		uint32_t src, uint32_t dst)
{
	struct rte_ipv4_hdr *ip = put_ipv4(f, dst_mac, src, dst, IPPROTO_ICMP);
	struct rte_icmp_hdr *icmp = (struct rte_icmp_hdr *)(ip + 1);
	uint16_t len = FRAME_LEN - sizeof(struct rte_ether_hdr) - sizeof(*ip);

	icmp->icmp_type = RTE_IP_ICMP_ECHO_REQUEST;
	icmp->icmp_ident = RTE_BE16(1);
	icmp->icmp_seq_nb = RTE_BE16(1);
	icmp->icmp_cksum = ~rte_raw_cksum(icmp, len);
}

void
frame_arp_request(struct frame *f, uint32_t sender, uint32_t target)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)f->b;
	struct rte_arp_hdr *arp = (struct rte_arp_hdr *)(eth + 1);

	memset(f, 0, sizeof(*f));
	memset(&eth->dst_addr, 0xff, sizeof(eth->dst_addr));
	rte_ether_addr_copy(&client_mac, &eth->src_addr);
	eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_ARP);
	arp->arp_hardware = RTE_BE16(RTE_ARP_HRD_ETHER);
	arp->arp_protocol = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	arp->arp_hlen = RTE_ETHER_ADDR_LEN;
	arp->arp_plen = 4;
	arp->arp_opcode = RTE_BE16(RTE_ARP_OP_REQUEST);
	rte_ether_addr_copy(&client_mac, &arp->arp_data.arp_sha);
	arp->arp_data.arp_sip = sender;
	arp->arp_data.arp_tip = target;
}

void
frame_break_ip_cksum(struct frame *f)
{
	struct rte_ipv4_hdr *ip =
		(struct rte_ipv4_hdr *)(f->b + sizeof(struct rte_ether_hdr));

	ip->hdr_checksum ^= RTE_BE16(0x5a5a);
}
