/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * In-place rewrites of frames that lb_pkt_parse() accepted: the caller
 * passes the lb_pkt_info parse filled, so offsets are already validated.
 */
#include <errno.h>
#include <string.h>

#include <rte_arp.h>
#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include "lb_pkt.h"

#define ARP_REQUEST_LEN (sizeof(struct rte_ether_hdr) + sizeof(struct rte_arp_hdr))
#define ECHO_REPLY_TTL 64
#define ICMP_DEST_UNREACH 3     /* RFC 792; rte_icmp.h of 22.11 lacks it */

/*
 * RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'). One's-complement sums do not
 * depend on byte order, so the 16-bit words are used as stored.
 */
static uint16_t
cksum_adjust(uint16_t cksum, uint16_t old_word, uint16_t new_word)
{
	uint32_t sum = (uint16_t)~cksum + (uint16_t)~old_word + new_word;

	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* The 16-bit word at byte offset @p off of a header, as stored. */
static inline uint16_t
word_at(const void *hdr, size_t off)
{
	uint16_t w;

	memcpy(&w, (const uint8_t *)hdr + off, sizeof(w));
	return w;
}

void
lb_pkt_arp_reply(struct rte_mbuf *m, const struct lb_pkt_info *info,
		 const struct rte_ether_addr *mac)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_arp_hdr *arp = rte_pktmbuf_mtod_offset(m,
			struct rte_arp_hdr *, info->l2_len);
	struct rte_arp_ipv4 *d = &arp->arp_data;
	uint32_t asked_ip = d->arp_tip;

	rte_ether_addr_copy(&d->arp_sha, &eth->dst_addr);
	rte_ether_addr_copy(mac, &eth->src_addr);
	arp->arp_opcode = RTE_BE16(RTE_ARP_OP_REPLY);
	rte_ether_addr_copy(&d->arp_sha, &d->arp_tha);
	d->arp_tip = d->arp_sip;
	rte_ether_addr_copy(mac, &d->arp_sha);
	d->arp_sip = asked_ip;
}

void
lb_pkt_icmp_echo_reply(struct rte_mbuf *m, const struct lb_pkt_info *info)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m,
			struct rte_ipv4_hdr *, info->l2_len);
	struct rte_icmp_hdr *icmp = rte_pktmbuf_mtod_offset(m,
			struct rte_icmp_hdr *, info->l2_len + info->l3_len);
	struct rte_ether_addr mac;
	uint32_t addr;
	uint16_t old_word;
	const size_t ttl_off = offsetof(struct rte_ipv4_hdr, time_to_live);

	rte_ether_addr_copy(&eth->src_addr, &mac);
	rte_ether_addr_copy(&eth->dst_addr, &eth->src_addr);
	rte_ether_addr_copy(&mac, &eth->dst_addr);

	/* Swapping the addresses reorders the summed words: no update. */
	addr = ip->src_addr;
	ip->src_addr = ip->dst_addr;
	ip->dst_addr = addr;

	/* TTL shares its word with the protocol byte. */
	old_word = word_at(ip, ttl_off);
	ip->time_to_live = ECHO_REPLY_TTL;
	ip->hdr_checksum = cksum_adjust(ip->hdr_checksum, old_word,
					word_at(ip, ttl_off));

	old_word = word_at(icmp, 0);
	icmp->icmp_type = RTE_IP_ICMP_ECHO_REPLY;
	icmp->icmp_code = 0;
	icmp->icmp_cksum = cksum_adjust(icmp->icmp_cksum, old_word,
					word_at(icmp, 0));
	/*
	 * 0 is also what the update yields for an all-zero reply (id 0,
	 * seq 0, zero payload), whose checksum must be 0xffff: only a sum
	 * from scratch tells the two apart, and it is needed this rarely.
	 */
	if (unlikely(icmp->icmp_cksum == 0))
		icmp->icmp_cksum = (uint16_t)~rte_raw_cksum(icmp,
							    info->l4_len);
}

int
lb_pkt_arp_request(struct rte_mbuf *m, const struct rte_ether_addr *mac,
		   uint32_t sip, uint32_t tip, uint16_t vlan)
{
	const uint16_t l2 = sizeof(struct rte_ether_hdr) +
			    (vlan != 0 ? sizeof(struct rte_vlan_hdr) : 0);
	const uint16_t len = ARP_REQUEST_LEN - sizeof(struct rte_ether_hdr) + l2;
	struct rte_ether_hdr *eth;
	struct rte_vlan_hdr *vh;
	struct rte_arp_hdr *arp;

	/* The frame replaces whatever the (single-segment) mbuf held. */
	if ((int)m->buf_len - (int)m->data_off < (int)len)
		return -ENOSPC;
	eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	arp = rte_pktmbuf_mtod_offset(m, struct rte_arp_hdr *, l2);

	memset(&eth->dst_addr, 0xff, sizeof(eth->dst_addr));
	rte_ether_addr_copy(mac, &eth->src_addr);
	if (vlan != 0) {
		eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_VLAN);
		vh = (struct rte_vlan_hdr *)(eth + 1);
		vh->vlan_tci = rte_cpu_to_be_16(vlan & 0xfff);
		vh->eth_proto = RTE_BE16(RTE_ETHER_TYPE_ARP);
	} else {
		eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_ARP);
	}

	arp->arp_hardware = RTE_BE16(RTE_ARP_HRD_ETHER);
	arp->arp_protocol = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	arp->arp_hlen = RTE_ETHER_ADDR_LEN;
	arp->arp_plen = sizeof(uint32_t);
	arp->arp_opcode = RTE_BE16(RTE_ARP_OP_REQUEST);
	rte_ether_addr_copy(mac, &arp->arp_data.arp_sha);
	arp->arp_data.arp_sip = sip;
	memset(&arp->arp_data.arp_tha, 0, sizeof(arp->arp_data.arp_tha));
	arp->arp_data.arp_tip = tip;

	m->data_len = len;
	m->pkt_len = len;
	return 0;
}

int
lb_pkt_set_vlan(struct rte_mbuf *m, uint16_t vlan)
{
	const size_t macs = 2 * RTE_ETHER_ADDR_LEN;
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_vlan_hdr *vh = (struct rte_vlan_hdr *)(eth + 1);
	int tagged = eth->ether_type == RTE_BE16(RTE_ETHER_TYPE_VLAN);
	char *front;

	if (!rte_pktmbuf_is_contiguous(m))
		return -EINVAL;
	if (tagged && vlan != 0) {
		vh->vlan_tci = (vh->vlan_tci & RTE_BE16(0xf000)) |
			       rte_cpu_to_be_16(vlan & 0xfff);
		return 0;
	}
	if (tagged) {
		/* The MACs move over the tag; the inner type takes its place. */
		memmove((char *)eth + sizeof(*vh), eth, macs);
		rte_pktmbuf_adj(m, sizeof(*vh));
		return 0;
	}
	if (vlan == 0)
		return 0;
	front = rte_pktmbuf_prepend(m, sizeof(*vh));
	if (front == NULL)
		return -ENOSPC;
	memmove(front, front + sizeof(*vh), macs);
	eth = (struct rte_ether_hdr *)front;
	vh = (struct rte_vlan_hdr *)(eth + 1);
	/* The old ethertype already sits where the inner one goes. */
	vh->vlan_tci = rte_cpu_to_be_16(vlan & 0xfff);
	eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_VLAN);
	return 0;
}

/* Swap the frame's MAC addresses: it goes back where it came from. */
static void
eth_swap(struct rte_mbuf *m)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_ether_addr mac;

	rte_ether_addr_copy(&eth->src_addr, &mac);
	rte_ether_addr_copy(&eth->dst_addr, &eth->src_addr);
	rte_ether_addr_copy(&mac, &eth->dst_addr);
}

/* A fresh 20-byte IPv4 header from @src to @dst carrying @len bytes. */
static void
ipv4_fill(struct rte_ipv4_hdr *ip, uint32_t src, uint32_t dst,
	  uint8_t proto, uint16_t len)
{
	*ip = (struct rte_ipv4_hdr){
		.version_ihl = RTE_IPV4_VHL_DEF,
		.total_length = rte_cpu_to_be_16(sizeof(*ip) + len),
		.fragment_offset = RTE_BE16(RTE_IPV4_HDR_DF_FLAG),
		.time_to_live = ECHO_REPLY_TTL,
		.next_proto_id = proto,
		.src_addr = src,
		.dst_addr = dst,
	};
	ip->hdr_checksum = rte_ipv4_cksum(ip);
}

int
lb_pkt_tcp_rst_reply(struct rte_mbuf *m, const struct lb_pkt_info *info)
{
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m,
			struct rte_ipv4_hdr *, info->l2_len);
	const struct rte_tcp_hdr *in = rte_pktmbuf_mtod_offset(m,
			const struct rte_tcp_hdr *, info->l2_len + info->l3_len);
	uint32_t len = info->l2_len + sizeof(*ip) + sizeof(struct rte_tcp_hdr);
	uint32_t seg = info->l4_len - ((in->data_off >> 4) << 2);
	uint32_t ack, seq;
	struct rte_tcp_hdr *tcp;
	int has_ack;

	/* Never answer a RST (RFC 9293): two boxes would ping-pong. */
	if (!rte_pktmbuf_is_contiguous(m) || m->pkt_len < len ||
	    (in->tcp_flags & RTE_TCP_RST_FLAG))
		return -EINVAL;
	/* RFC 9293 3.10.7.1: a segment with an ACK gets a RST with that
	 * sequence number; one without, seq 0 and an ACK of everything it
	 * occupied (SYN and FIN count one each). */
	has_ack = in->tcp_flags & RTE_TCP_ACK_FLAG;
	seq = has_ack ? in->recv_ack : 0;
	ack = rte_be_to_cpu_32(in->sent_seq) + seg +
	      !!(in->tcp_flags & RTE_TCP_SYN_FLAG) +
	      !!(in->tcp_flags & RTE_TCP_FIN_FLAG);
	/* Everything needed of @in is read: the reply may overwrite it. */
	tcp = (struct rte_tcp_hdr *)(ip + 1);
	*tcp = (struct rte_tcp_hdr){
		.src_port = info->dst_port,
		.dst_port = info->src_port,
		.sent_seq = seq,
		.recv_ack = has_ack ? 0 : rte_cpu_to_be_32(ack),
		.data_off = (sizeof(*tcp) / 4) << 4,
		.tcp_flags = RTE_TCP_RST_FLAG | (has_ack ? 0 : RTE_TCP_ACK_FLAG),
	};
	eth_swap(m);
	ipv4_fill(ip, info->dst_addr, info->src_addr, IPPROTO_TCP,
		  sizeof(*tcp));
	tcp->cksum = rte_ipv4_udptcp_cksum(ip, tcp);
	rte_pktmbuf_trim(m, m->pkt_len - len);
	return 0;
}

int
lb_pkt_icmp_unreach_reply(struct rte_mbuf *m, const struct lb_pkt_info *info,
			  uint8_t code)
{
	const uint16_t gap = sizeof(struct rte_ipv4_hdr) +
			     sizeof(struct rte_icmp_hdr);
	/* RFC 792: the datagram's header and its first 64 bits. */
	uint16_t quoted = info->l3_len + 8;
	struct rte_ipv4_hdr *ip;
	struct rte_icmp_hdr *icmp;
	uint32_t src = info->dst_addr, dst = info->src_addr;
	char *front;

	if (!rte_pktmbuf_is_contiguous(m) ||
	    m->pkt_len < (uint32_t)info->l2_len + quoted)
		return -EINVAL;
	front = rte_pktmbuf_prepend(m, gap);
	if (front == NULL)
		return -ENOSPC;
	memmove(front, front + gap, info->l2_len);
	rte_pktmbuf_trim(m, m->pkt_len - (info->l2_len + gap + quoted));
	eth_swap(m);
	ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, info->l2_len);
	icmp = (struct rte_icmp_hdr *)(ip + 1);
	*icmp = (struct rte_icmp_hdr){
		.icmp_type = ICMP_DEST_UNREACH,
		.icmp_code = code,
	};
	icmp->icmp_cksum = (uint16_t)~rte_raw_cksum(icmp,
						    sizeof(*icmp) + quoted);
	ipv4_fill(ip, src, dst, IPPROTO_ICMP, sizeof(*icmp) + quoted);
	return 0;
}

/*
 * What lb_pkt_parse() found, again, for a frame it accepted as IPV4: the
 * refusal path has only the mbuf, and a second call site of the parser
 * would cost the worker its inlining on every packet.
 */
static void
info_again(const struct rte_mbuf *m, struct lb_pkt_info *info)
{
	const struct rte_ether_hdr *eth =
		rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	const struct rte_ipv4_hdr *ip;
	const uint16_t *ports;

	info->l2_len = sizeof(*eth) +
		(eth->ether_type == RTE_BE16(RTE_ETHER_TYPE_VLAN) ?
		 sizeof(struct rte_vlan_hdr) : 0);
	ip = rte_pktmbuf_mtod_offset(m, const struct rte_ipv4_hdr *,
				     info->l2_len);
	info->l3_len = (ip->version_ihl & 0x0f) * 4;
	info->l4_len = rte_be_to_cpu_16(ip->total_length) - info->l3_len;
	info->proto = ip->next_proto_id;
	info->src_addr = ip->src_addr;
	info->dst_addr = ip->dst_addr;
	ports = (const uint16_t *)((const uint8_t *)ip + info->l3_len);
	info->src_port = ports[0];
	info->dst_port = ports[1];
}

int
lb_pkt_refuse(struct rte_mbuf *m)
{
	struct lb_pkt_info info;

	info_again(m, &info);
	if (info.proto == IPPROTO_TCP)
		return lb_pkt_tcp_rst_reply(m, &info);
	if (info.proto == IPPROTO_UDP)
		return lb_pkt_icmp_unreach_reply(m, &info,
						 LB_PKT_ICMP_PORT_UNREACH);
	return -EINVAL;
}
