/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>

#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_tcp.h>

#include "frames.h"
#include "test_frames.h"

static const struct rte_ether_addr client_mac = {{ 2, 0, 0, 0, 0, 0x10 }};

static struct rte_ipv4_hdr *
put_ipv4(struct frame *f, const struct rte_ether_addr *dst_mac, uint32_t src,
	 uint32_t dst, uint8_t proto)
{
	/* The frame is padded to 60 bytes: IP carries what fits after it. */
	return tf_eth_ipv4(f->b, dst_mac, &client_mac, src, dst, proto,
			   FRAME_LEN - sizeof(struct rte_ether_hdr) -
			   sizeof(struct rte_ipv4_hdr));
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
	memset(f, 0, sizeof(*f));
	tf_arp_request(f->b, &client_mac, sender, target);
}

void
frame_break_ip_cksum(struct frame *f)
{
	struct rte_ipv4_hdr *ip =
		(struct rte_ipv4_hdr *)(f->b + sizeof(struct rte_ether_hdr));

	ip->hdr_checksum ^= RTE_BE16(0x5a5a);
}
