/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef BENCH_FRAMES_H
#define BENCH_FRAMES_H

/*
 * 64-byte frame templates (FCS excluded: 60 bytes on the wire buffer) for
 * the packet classes the benchmark drives through the worker.
 */

#include <stdint.h>

#include <rte_ether.h>

#define FRAME_LEN 60

struct frame {
	uint8_t b[FRAME_LEN];
};

/* TCP over IPv4, valid checksums. Addresses in network order. */
void frame_tcp(struct frame *f, const struct rte_ether_addr *dst_mac,
	       uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
	       uint8_t flags);

/* ARP request: who has @p target, asked by @p sender. */
void frame_arp_request(struct frame *f, uint32_t sender, uint32_t target);

/* ICMP echo request. */
void frame_icmp_echo(struct frame *f, const struct rte_ether_addr *dst_mac,
		     uint32_t src, uint32_t dst);

/* Spoil the IPv4 header checksum of a frame_tcp() frame. */
void frame_break_ip_cksum(struct frame *f);

#endif
