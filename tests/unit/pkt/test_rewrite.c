/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "lb_pkt.h"
#include "frames.h"

static uint8_t f[FRAME_MAX] __rte_aligned(RTE_CACHE_LINE_SIZE);
static uint8_t orig[FRAME_MAX] __rte_aligned(RTE_CACHE_LINE_SIZE);

static const struct rte_ether_addr backend_mac = {{0x02, 0xbe, 0, 0, 0, 0x07}};

static uint8_t *
data(struct rte_mbuf *m)
{
	return rte_pktmbuf_mtod(m, uint8_t *);
}

static void
check_dr_rewrite(size_t len)
{
	struct rte_mbuf *m = tm_new(f, (uint16_t)len);
	struct rte_ether_hdr *eth;

	memcpy(orig, f, len);
	lb_pkt_dr_rewrite(m, &port_mac, &backend_mac);
	eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	assert_true(rte_is_same_ether_addr(&eth->dst_addr, &backend_mac));
	assert_true(rte_is_same_ether_addr(&eth->src_addr, &port_mac));
	assert_int_equal(rte_pktmbuf_data_len(m), len);
	assert_memory_equal(data(m) + 2 * RTE_ETHER_ADDR_LEN,
			    orig + 2 * RTE_ETHER_ADDR_LEN,
			    len - 2 * RTE_ETHER_ADDR_LEN);
	tm_free(m);
}

static void
test_dr_rewrite_changes_only_macs(void **state)
{
	size_t l2, l3;

	(void)state;
	check_dr_rewrite(put_tcp(f, 8, 333, RTE_TCP_ACK_FLAG, 0, &l2, &l3));
	check_dr_rewrite(put_udp(f, 21, 2, 0, &l2, &l3));
}

static void
test_dr_rewrite_keeps_vlan_tag(void **state)
{
	size_t l2, l3;

	(void)state;
	check_dr_rewrite(put_tcp(f, 5, 64, RTE_TCP_SYN_FLAG, 1, &l2, &l3));
}

/* Both checksums as a sender would compute them, from scratch. */
static void
check_checksums_from_scratch(uint8_t *frame, const struct lb_pkt_info *info)
{
	struct rte_ipv4_hdr ip[3];
	uint8_t *icmp = frame + info->l2_len + info->l3_len;
	uint16_t stored, fresh;

	assert_true(info->l3_len <= sizeof(ip));
	memcpy(ip, frame + info->l2_len, info->l3_len);
	stored = ip[0].hdr_checksum;
	ip[0].hdr_checksum = 0;
	assert_int_equal(stored, rte_ipv4_cksum(&ip[0]));

	memcpy(&stored, icmp + 2, sizeof(stored));
	memset(icmp + 2, 0, 2);
	fresh = (uint16_t)~rte_raw_cksum(icmp, info->l4_len);
	memcpy(icmp + 2, &stored, sizeof(stored));
	assert_int_equal(stored, fresh);
}

static void
check_echo_reply(size_t len, uint8_t ttl)
{
	struct lb_pkt_info info, rinfo;
	struct rte_mbuf *m;
	const struct rte_ether_hdr *eth;
	const struct rte_ipv4_hdr *ip, *oip;
	const struct rte_icmp_hdr *icmp, *oicmp;
	size_t l4_off;

	ip_at(f, 14)->time_to_live = ttl;
	ip_fix_cksum(f, 14);
	memcpy(orig, f, len);

	m = tm_new(f, (uint16_t)len);
	assert_int_equal(lb_pkt_parse(m, &port_mac, tm_vlan(m), &info),
			 LB_PKT_IPV4);
	assert_int_equal(info.icmp_type, RTE_IP_ICMP_ECHO_REQUEST);
	lb_pkt_icmp_echo_reply(m, &info);

	eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	assert_true(rte_is_same_ether_addr(&eth->dst_addr, &peer_mac));
	assert_true(rte_is_same_ether_addr(&eth->src_addr, &port_mac));
	ip = rte_pktmbuf_mtod_offset(m, const struct rte_ipv4_hdr *, 14);
	oip = (const struct rte_ipv4_hdr *)(orig + 14);
	assert_int_equal(ip->src_addr, VIP_IP);
	assert_int_equal(ip->dst_addr, PEER_IP);
	assert_int_equal(ip->time_to_live, 64);
	assert_int_equal(ip->next_proto_id, IPPROTO_ICMP);
	assert_int_equal(ip->total_length, oip->total_length);
	assert_int_equal(ip->packet_id, oip->packet_id);

	l4_off = info.l2_len + info.l3_len;
	icmp = rte_pktmbuf_mtod_offset(m, const struct rte_icmp_hdr *, l4_off);
	oicmp = (const struct rte_icmp_hdr *)(orig + l4_off);
	assert_int_equal(icmp->icmp_type, RTE_IP_ICMP_ECHO_REPLY);
	assert_int_equal(icmp->icmp_code, 0);
	assert_int_equal(icmp->icmp_ident, oicmp->icmp_ident);
	assert_int_equal(icmp->icmp_seq_nb, oicmp->icmp_seq_nb);
	/* IP options and the echo payload come back unchanged. */
	assert_memory_equal(data(m) + 14 + 20, orig + 14 + 20,
			    info.l3_len - 20);
	assert_memory_equal(data(m) + l4_off + 8, orig + l4_off + 8,
			    info.l4_len - 8);

	check_checksums_from_scratch(data(m), &info);
	/* The peer, whose MAC it is now sent to, accepts the reply. */
	assert_int_equal(lb_pkt_parse(m, &peer_mac, tm_vlan(m), &rinfo),
			 LB_PKT_IPV4);
	assert_int_equal(rinfo.icmp_type, RTE_IP_ICMP_ECHO_REPLY);
	tm_free(m);
}

static void
test_icmp_echo_reply_checksums(void **state)
{
	static const uint16_t payloads[] = { 0, 1, 2, 3, 7, 56, 57, 1471, 1472 };
	static const uint8_t ttls[] = { 1, 63, 64, 65, 128, 255 };
	size_t l2, l3, i, j;

	(void)state;
	for (i = 0; i < RTE_DIM(payloads); i++)
		for (j = 0; j < RTE_DIM(ttls); j++)
			check_echo_reply(put_echo(f, payloads[i], 0, 0,
						  &l2, &l3), ttls[j]);
}

static void
test_icmp_echo_reply_with_ip_options(void **state)
{
	size_t l2, l3;
	unsigned int words;

	(void)state;
	for (words = 1; words <= 10; words++)
		check_echo_reply(put_echo(f, 33, words, 0, &l2, &l3), 17);
}

/*
 * Every identifier: the reply's ICMP checksum takes every value, including
 * 0x0000 and the all-zero reply (id 0, seq 0, no payload) that needs 0xffff.
 */
static void
test_icmp_echo_reply_checksum_every_value(void **state)
{
	struct rte_icmp_hdr *icmp;
	size_t l2, l3, len;
	unsigned int id;

	(void)state;
	for (id = 0; id <= 0xffff; id++) {
		len = put_echo(f, 0, 0, 0, &l2, &l3);
		icmp = (struct rte_icmp_hdr *)(f + l2 + l3);
		icmp->icmp_ident = rte_cpu_to_be_16((uint16_t)id);
		icmp->icmp_seq_nb = 0;
		icmp->icmp_cksum = 0;
		icmp->icmp_cksum = (uint16_t)~rte_raw_cksum(icmp, sizeof(*icmp));
		check_echo_reply(len, 64);
	}
}

static void
check_arp_reply(int vlan)
{
	struct lb_pkt_info info;
	struct rte_mbuf *m;
	const struct rte_ether_hdr *eth;
	const struct rte_arp_hdr *arp, *oarp;
	size_t l2, len;

	len = put_arp(f, &bcast_mac, RTE_ARP_OP_REQUEST, vlan, &l2);
	memcpy(orig, f, len);
	m = tm_new(f, (uint16_t)len);
	assert_int_equal(lb_pkt_parse(m, &port_mac, tm_vlan(m), &info),
			 LB_PKT_ARP);
	lb_pkt_arp_reply(m, &info, &port_mac);

	assert_int_equal(rte_pktmbuf_data_len(m), len);
	eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	assert_true(rte_is_same_ether_addr(&eth->dst_addr, &peer_mac));
	assert_true(rte_is_same_ether_addr(&eth->src_addr, &port_mac));
	/* Ethertype and any VLAN tag unchanged. */
	assert_memory_equal(data(m) + 12, orig + 12, l2 - 12);
	arp = rte_pktmbuf_mtod_offset(m, const struct rte_arp_hdr *, l2);
	oarp = (const struct rte_arp_hdr *)(orig + l2);
	assert_int_equal(arp->arp_hardware, oarp->arp_hardware);
	assert_int_equal(arp->arp_protocol, oarp->arp_protocol);
	assert_int_equal(arp->arp_hlen, 6);
	assert_int_equal(arp->arp_plen, 4);
	assert_int_equal(arp->arp_opcode, RTE_BE16(RTE_ARP_OP_REPLY));
	assert_true(rte_is_same_ether_addr(&arp->arp_data.arp_sha, &port_mac));
	assert_int_equal(arp->arp_data.arp_sip, VIP_IP);
	assert_true(rte_is_same_ether_addr(&arp->arp_data.arp_tha, &peer_mac));
	assert_int_equal(arp->arp_data.arp_tip, PEER_IP);

	/* The requester parses it as a reply from us about VIP_IP. */
	assert_int_equal(lb_pkt_parse(m, &peer_mac, tm_vlan(m), &info),
			 LB_PKT_ARP);
	assert_int_equal(info.arp_op, RTE_ARP_OP_REPLY);
	assert_int_equal(info.src_addr, VIP_IP);
	assert_int_equal(info.dst_addr, PEER_IP);
	assert_true(rte_is_same_ether_addr(&info.arp_sha, &port_mac));
	tm_free(m);
}

static void
test_arp_reply_fields(void **state)
{
	(void)state;
	check_arp_reply(0);
}

static void
test_arp_reply_vlan_fields(void **state)
{
	(void)state;
	check_arp_reply(1);
}

static void
test_arp_request_layout(void **state)
{
	static const uint8_t expect[42] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff,     /* broadcast */
		0x02, 0x00, 0x00, 0x00, 0x00, 0x01,     /* port_mac */
		0x08, 0x06,                             /* ARP */
		0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x01,
		0x02, 0x00, 0x00, 0x00, 0x00, 0x01,     /* sha */
		10, 10, 0, 100,                         /* sip */
		0, 0, 0, 0, 0, 0,                       /* tha */
		10, 10, 0, 1,                           /* tip */
	};
	struct lb_pkt_info info;
	struct rte_mbuf *m;

	(void)state;
	memset(f, 0x5a, sizeof(f));
	m = tm_new_room(f, 0, 128);
	assert_int_equal(lb_pkt_arp_request(m, &port_mac, VIP_IP, PEER_IP, 0),
			 0);
	assert_int_equal(rte_pktmbuf_data_len(m), 42);
	assert_int_equal(rte_pktmbuf_pkt_len(m), 42);
	assert_memory_equal(data(m), expect, sizeof(expect));

	/* Any host on the segment sees a broadcast request for PEER_IP. */
	assert_int_equal(lb_pkt_parse(m, &other_mac, tm_vlan(m), &info),
			 LB_PKT_ARP);
	assert_int_equal(info.arp_op, RTE_ARP_OP_REQUEST);
	assert_int_equal(info.src_addr, VIP_IP);
	assert_int_equal(info.dst_addr, PEER_IP);
	assert_true(rte_is_same_ether_addr(&info.arp_sha, &port_mac));
	tm_free(m);
}

static void
test_arp_request_no_room(void **state)
{
	struct rte_mbuf *m;

	(void)state;
	m = tm_new_room(f, 0, 41);
	assert_int_equal(lb_pkt_arp_request(m, &port_mac, VIP_IP, PEER_IP, 0),
			 -ENOSPC);
	assert_int_equal(rte_pktmbuf_data_len(m), 0);
	assert_int_equal(rte_pktmbuf_pkt_len(m), 0);
	tm_free(m);

	m = tm_new_room(f, 0, 42);
	assert_int_equal(lb_pkt_arp_request(m, &port_mac, VIP_IP, PEER_IP, 0),
			 0);
	assert_int_equal(rte_pktmbuf_data_len(m), 42);
	tm_free(m);
}

/* On a port with a vlan the request carries its tag. */
static void
test_arp_request_tagged(void **state)
{
	struct lb_pkt_info info;
	struct rte_mbuf *m;
	struct rte_vlan_hdr *vh;

	(void)state;
	m = tm_new_room(f, 0, 45);
	assert_int_equal(lb_pkt_arp_request(m, &port_mac, VIP_IP, PEER_IP,
					    VLAN_ID), -ENOSPC);
	tm_free(m);
	m = tm_new_room(f, 0, 46);
	assert_int_equal(lb_pkt_arp_request(m, &port_mac, VIP_IP, PEER_IP,
					    VLAN_ID), 0);
	assert_int_equal(rte_pktmbuf_data_len(m), 46);
	vh = (struct rte_vlan_hdr *)(data(m) + 14);
	assert_int_equal(rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->ether_type,
			 RTE_BE16(RTE_ETHER_TYPE_VLAN));
	assert_int_equal(vh->vlan_tci, RTE_BE16(VLAN_ID));
	assert_int_equal(vh->eth_proto, RTE_BE16(RTE_ETHER_TYPE_ARP));
	assert_int_equal(lb_pkt_parse(m, &other_mac, VLAN_ID, &info),
			 LB_PKT_ARP);
	assert_int_equal(info.l2_len, 18);
	assert_int_equal(info.dst_addr, PEER_IP);
	assert_int_equal(lb_pkt_parse(m, &other_mac, 0, &info), LB_PKT_DROP);
	tm_free(m);
}

/* A frame moving to a port with another tag (or none) takes it, with
 * everything after the Ethernet header unchanged. */
static void
check_set_vlan(int tagged_in, uint16_t vlan)
{
	const size_t macs = 2 * RTE_ETHER_ADDR_LEN;
	size_t l2, l3, len = put_tcp(f, 5, 40, RTE_TCP_ACK_FLAG, tagged_in,
				     &l2, &l3);
	struct rte_mbuf *m;
	struct lb_pkt_info info;
	const uint8_t *d;

	memcpy(orig, f, len);
	if (tagged_in)     /* priority 5 survives a new id */
		((struct rte_vlan_hdr *)(f + 14))->vlan_tci =
			RTE_BE16(0xa000 | VLAN_ID);
	m = tm_new(f, (uint16_t)len);
	assert_int_equal(lb_pkt_set_vlan(m, vlan), 0);
	d = data(m);
	assert_memory_equal(d, orig, macs);
	assert_int_equal(rte_pktmbuf_pkt_len(m),
			 len - l2 + 14 + (vlan != 0 ? 4 : 0));
	assert_memory_equal(d + rte_pktmbuf_pkt_len(m) - (len - l2),
			    orig + l2, len - l2);
	assert_int_equal(lb_pkt_parse(m, &port_mac, vlan, &info),
			 LB_PKT_IPV4);
	if (vlan != 0 && tagged_in)
		assert_int_equal(rte_be_to_cpu_16(
			((const struct rte_vlan_hdr *)(d + 14))->vlan_tci),
			0xa000 | vlan);
	tm_free(m);
}

static void
test_set_vlan(void **state)
{
	struct rte_mbuf *m;
	size_t l2, l3, len;

	(void)state;
	check_set_vlan(1, 7);           /* another id */
	check_set_vlan(1, VLAN_ID);     /* the same */
	check_set_vlan(1, 0);           /* removed */
	check_set_vlan(0, 7);           /* inserted */
	check_set_vlan(0, 0);           /* none, none */
	/* no headroom for a tag: unchanged */
	len = put_tcp(f, 5, 0, RTE_TCP_SYN_FLAG, 0, &l2, &l3);
	m = tm_new(f, (uint16_t)len);
	m->data_off = 2;
	memmove((char *)m->buf_addr + 2, f, len);
	assert_int_equal(lb_pkt_set_vlan(m, 7), -ENOSPC);
	assert_memory_equal(data(m), f, len);
	tm_free(m);
}

/* The reply as the peer it goes back to parses it. */
static const struct rte_ipv4_hdr *
check_reply_ip(struct rte_mbuf *m, size_t l2, uint8_t proto,
	       struct lb_pkt_info *rinfo)
{
	const struct rte_ether_hdr *eth =
		rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	const struct rte_ipv4_hdr *ip =
		rte_pktmbuf_mtod_offset(m, const struct rte_ipv4_hdr *, l2);
	struct rte_ipv4_hdr copy = *ip;

	assert_true(rte_is_same_ether_addr(&eth->dst_addr, &peer_mac));
	assert_true(rte_is_same_ether_addr(&eth->src_addr, &port_mac));
	assert_int_equal(lb_pkt_parse(m, &peer_mac, tm_vlan(m), rinfo),
			 LB_PKT_IPV4);
	assert_int_equal(rinfo->proto, proto);
	assert_int_equal(ip->src_addr, VIP_IP);
	assert_int_equal(ip->dst_addr, PEER_IP);
	assert_int_equal(ip->time_to_live, 64);
	assert_int_equal(rinfo->l3_len, 20);
	copy.hdr_checksum = 0;
	assert_int_equal(ip->hdr_checksum, rte_ipv4_cksum(&copy));
	return ip;
}

static void
check_rst(unsigned int doff, uint16_t payload, uint8_t flags, int vlan)
{
	struct lb_pkt_info info, rinfo;
	const struct rte_ipv4_hdr *ip;
	const struct rte_tcp_hdr *tcp;
	size_t l2, l3, len = put_tcp(f, doff, payload, flags, vlan, &l2, &l3);
	struct rte_mbuf *m;

	((struct rte_tcp_hdr *)(f + l2 + l3))->recv_ack = RTE_BE32(777);
	m = tm_new(f, (uint16_t)len);
	assert_int_equal(lb_pkt_parse(m, &port_mac, tm_vlan(m), &info),
			 LB_PKT_IPV4);
	assert_int_equal(lb_pkt_tcp_rst_reply(m, &info), 0);
	assert_int_equal(rte_pktmbuf_pkt_len(m), l2 + 40);
	ip = check_reply_ip(m, l2, IPPROTO_TCP, &rinfo);
	tcp = (const struct rte_tcp_hdr *)(ip + 1);
	assert_int_equal(rinfo.src_port, VIP_PORT);
	assert_int_equal(rinfo.dst_port, PEER_PORT);
	/* summed with its checksum in, a valid segment leaves nothing */
	assert_int_equal(rte_ipv4_udptcp_cksum(ip, tcp), 0);
	if (flags & RTE_TCP_ACK_FLAG) {
		assert_int_equal(tcp->tcp_flags, RTE_TCP_RST_FLAG);
		assert_int_equal(tcp->sent_seq, RTE_BE32(777));
	} else {
		/* seq 1000 + payload + SYN/FIN */
		assert_int_equal(tcp->tcp_flags,
				 RTE_TCP_RST_FLAG | RTE_TCP_ACK_FLAG);
		assert_int_equal(tcp->sent_seq, 0);
		assert_int_equal(rte_be_to_cpu_32(tcp->recv_ack),
				 1000 + payload +
				 !!(flags & RTE_TCP_SYN_FLAG) +
				 !!(flags & RTE_TCP_FIN_FLAG));
	}
	tm_free(m);
}

static void
test_tcp_rst_reply(void **state)
{
	struct lb_pkt_info info;
	struct rte_mbuf *m;
	size_t l2, l3, len;

	(void)state;
	check_rst(5, 0, RTE_TCP_SYN_FLAG, 0);
	check_rst(10, 0, RTE_TCP_SYN_FLAG, 1);      /* options, VLAN tag */
	check_rst(5, 100, RTE_TCP_SYN_FLAG | RTE_TCP_FIN_FLAG, 0);
	check_rst(8, 33, RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG, 0);
	/* a RST is never answered */
	len = put_tcp(f, 5, 0, RTE_TCP_RST_FLAG, 0, &l2, &l3);
	m = tm_new(f, (uint16_t)len);
	assert_int_equal(lb_pkt_parse(m, &port_mac, tm_vlan(m), &info),
			 LB_PKT_IPV4);
	assert_int_equal(lb_pkt_tcp_rst_reply(m, &info), -EINVAL);
	assert_memory_equal(data(m), f, len);
	tm_free(m);
}

static void
check_unreach(uint16_t payload, unsigned int opt_words, int vlan)
{
	struct lb_pkt_info info, rinfo;
	const struct rte_ipv4_hdr *ip;
	const uint8_t *icmp;
	size_t l2, l3, len = put_udp(f, payload, opt_words, vlan, &l2, &l3);
	struct rte_mbuf *m;

	memcpy(orig, f, len);
	m = tm_new(f, (uint16_t)len);
	assert_int_equal(lb_pkt_parse(m, &port_mac, tm_vlan(m), &info),
			 LB_PKT_IPV4);
	assert_int_equal(lb_pkt_icmp_unreach_reply(m, &info,
				LB_PKT_ICMP_PORT_UNREACH), 0);
	assert_int_equal(rte_pktmbuf_pkt_len(m), l2 + 28 + l3 + 8);
	ip = check_reply_ip(m, l2, IPPROTO_ICMP, &rinfo);
	icmp = (const uint8_t *)(ip + 1);
	assert_int_equal(icmp[0], 3);
	assert_int_equal(icmp[1], LB_PKT_ICMP_PORT_UNREACH);
	assert_int_equal(rte_raw_cksum(icmp, 8 + l3 + 8), 0xffff);
	/* the datagram's header and first 8 bytes, as they came */
	assert_memory_equal(icmp + 8, orig + l2, l3 + 8);
	/* the VLAN tag (if any) stays */
	assert_memory_equal(data(m) + 12, orig + 12, l2 - 12);
	tm_free(m);
}

static void
test_icmp_unreach_reply(void **state)
{
	(void)state;
	check_unreach(0, 0, 0);
	check_unreach(100, 0, 0);
	check_unreach(7, 3, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dr_rewrite_changes_only_macs),
		cmocka_unit_test(test_dr_rewrite_keeps_vlan_tag),
		cmocka_unit_test(test_arp_request_tagged),
		cmocka_unit_test(test_set_vlan),
		cmocka_unit_test(test_icmp_echo_reply_checksums),
		cmocka_unit_test(test_icmp_echo_reply_with_ip_options),
		cmocka_unit_test(test_icmp_echo_reply_checksum_every_value),
		cmocka_unit_test(test_arp_reply_fields),
		cmocka_unit_test(test_arp_reply_vlan_fields),
		cmocka_unit_test(test_arp_request_layout),
		cmocka_unit_test(test_arp_request_no_room),
		cmocka_unit_test(test_tcp_rst_reply),
		cmocka_unit_test(test_icmp_unreach_reply),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
