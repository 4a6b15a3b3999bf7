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

#include "lb_pkt.h"

#define ARP_REQUEST_LEN (sizeof(struct rte_ether_hdr) + sizeof(struct rte_arp_hdr))
#define ECHO_REPLY_TTL 64

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
		   uint32_t sip, uint32_t tip)
{
	struct rte_ether_hdr *eth;
	struct rte_arp_hdr *arp;

	/* The frame replaces whatever the (single-segment) mbuf held. */
	if ((int)m->buf_len - (int)m->data_off < (int)ARP_REQUEST_LEN)
		return -ENOSPC;
	eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	arp = (struct rte_arp_hdr *)(eth + 1);

	memset(&eth->dst_addr, 0xff, sizeof(eth->dst_addr));
	rte_ether_addr_copy(mac, &eth->src_addr);
	eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_ARP);

	arp->arp_hardware = RTE_BE16(RTE_ARP_HRD_ETHER);
	arp->arp_protocol = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	arp->arp_hlen = RTE_ETHER_ADDR_LEN;
	arp->arp_plen = sizeof(uint32_t);
	arp->arp_opcode = RTE_BE16(RTE_ARP_OP_REQUEST);
	rte_ether_addr_copy(mac, &arp->arp_data.arp_sha);
	arp->arp_data.arp_sip = sip;
	memset(&arp->arp_data.arp_tha, 0, sizeof(arp->arp_data.arp_tha));
	arp->arp_data.arp_tip = tip;

	m->data_len = ARP_REQUEST_LEN;
	m->pkt_len = ARP_REQUEST_LEN;
	return 0;
}
