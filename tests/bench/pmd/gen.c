/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Traffic generator for the PMD benchmark (tests/bench/pmd.sh) at flow
 * counts a pcap cannot hold: 64-byte TCP segments of N client flows to one
 * VIP, sent out of the first DPDK port (a net_memif client facing edgelbd's
 * or testpmd's net_memif server) as fast as it takes them. The first pass
 * sends each flow's SYN, every later pass its ACK: edgelbd makes an entry
 * only for a SYN (lib/flow/lb_flow.h), so from the second pass on every
 * packet is a hit of an established flow.
 *
 * It must cost far fewer cycles per packet than what it feeds, so all
 * work per packet is a bulk mbuf alloc, one 64-byte copy of a precomputed
 * frame and a bulk tx. The frames are laid out once in a shuffled order
 * (a fixed uniform permutation of the N flows, replayed pass after pass)
 * so the receiver's flow table is touched at random while this reads its
 * array sequentially. A burst the ring could not take is retried, never
 * dropped: the order, and so every flow's once-per-pass visit, is kept.
 *
 * Counters (cumulative) go to stdout as one JSON object per line, every
 * -i ms and once more, with "final": true, when sending stops: at SIGINT,
 * SIGTERM, -t seconds, or SIGUSR1. SIGUSR1 stops sending but keeps the
 * port open until SIGINT/SIGTERM: net_memif unmaps its rings when the peer
 * disconnects, under whichever lcore still polls them, so the harness
 * holds the generator before it stops the receiver. The cycles
 * spent in tx calls that found the ring full are "stall_cycles"; the rest,
 * per packet sent, is this generator's own cost.
 */

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_memcpy.h>
#include <rte_pause.h>
#include <rte_prefetch.h>
#include <rte_tcp.h>

#include "test_frames.h"

#define FRAME_LEN 60		/* 64 on the wire with the FCS */
#define FRAME_STRIDE 64
#define BURST_MAX 64
#define POOL_SIZE 4095		/* in flight: one burst; the rest is cache */
#define POOL_CACHE 256
#define RING_DESC 1024
#define LINK_WAIT_MS 10000
#define FULL_BACKOFF_CYCLES 256	/* a 1024-slot ring drains in >= 20 us */
#define SPORT_BASE 1024
#define SPORT_SPAN 60000

static const char usage[] =
	"usage: %s [EAL args] -- -n FLOWS -m DST_MAC [-a VIP] [-p VIP_PORT]\n"
	"          [-b BURST] [-s SEED] [-i INTERVAL_MS] [-t SECONDS]\n"
	"  Sends 64-byte TCP SYNs (first pass), then ACKs, of FLOWS client\n"
	"  flows (172.16.0.0 + i + 1,\n"
	"  source port 1024 + i %% 60000) to VIP:VIP_PORT (default\n"
	"  10.0.0.100:80) in a fixed shuffled order out of port 0; prints\n"
	"  cumulative counters as JSON lines every INTERVAL_MS (default 1000)\n"
	"  and when it stops (SIGINT/SIGTERM, or after SECONDS; 0 = no limit);\n"
	"  SIGUSR1 stops sending but keeps the port open until SIGINT/SIGTERM.\n";

struct gen_opts {
	uint32_t flows;
	struct rte_ether_addr dst_mac;
	uint32_t vip;		/* network order */
	uint16_t vip_port;
	unsigned int burst;
	uint64_t seed;
	unsigned int interval_ms;
	double seconds;
};

struct gen_stats {
	uint64_t sent;
	uint64_t passes;
	uint64_t tx_calls;
	uint64_t tx_partial;	/* the ring took part of the burst */
	uint64_t tx_zero;	/* the ring was full */
	uint64_t stall_cycles;	/* in tx calls that sent nothing */
	uint64_t alloc_fail;
};

static volatile sig_atomic_t quit;	/* stop sending and exit */
static volatile sig_atomic_t hold;	/* stop sending, keep the port */

static void
on_signal(int sig)
{
	if (sig == SIGUSR1)
		hold = 1;
	else
		quit = 1;
}

static uint64_t
splitmix64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* The same frame tests/bench/pmd/gen_pcap.py writes for flow i. */
static void
frame_build(uint8_t *buf, const struct gen_opts *o, uint32_t i,
	    uint8_t flags)
{
	static const struct rte_ether_addr src_mac = {
		.addr_bytes = { 0x02, 0, 0, 0, 0, 0x01 } };
	struct rte_ipv4_hdr *ip;
	struct rte_tcp_hdr *tcp;

	memset(buf, 0, FRAME_STRIDE);
	ip = tf_eth_ipv4(buf, &o->dst_mac, &src_mac,
			 rte_cpu_to_be_32((172u << 24 | 16u << 16) + i + 1),
			 o->vip, IPPROTO_TCP, sizeof(*tcp));
	/* gen_pcap.py (scapy) sets DF: the checksum is made again. */
	ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	tcp = (struct rte_tcp_hdr *)(ip + 1);
	tcp->src_port = rte_cpu_to_be_16(SPORT_BASE + i % SPORT_SPAN);
	tcp->dst_port = rte_cpu_to_be_16(o->vip_port);
	tcp->sent_seq = rte_cpu_to_be_32(1000);
	tcp->recv_ack = flags & RTE_TCP_ACK_FLAG ? rte_cpu_to_be_32(2000) : 0;
	tcp->data_off = 5 << 4;
	tcp->tcp_flags = flags;
	tcp->rx_win = rte_cpu_to_be_16(65535);
	tcp->cksum = rte_ipv4_udptcp_cksum(ip, tcp);
}

/* All N frames in one uniformly shuffled order (Fisher-Yates). */
static uint8_t *
frames_build(const struct gen_opts *o)
{
	uint32_t *perm, i, j, t;
	uint64_t s = o->seed;
	uint8_t *frames;

	perm = malloc(sizeof(*perm) * o->flows);
	frames = rte_malloc("gen_frames", (size_t)FRAME_STRIDE * o->flows,
			    RTE_CACHE_LINE_SIZE);
	if (perm == NULL || frames == NULL) {
		free(perm);
		rte_free(frames);
		return NULL;
	}
	for (i = 0; i < o->flows; i++)
		perm[i] = i;
	for (i = o->flows - 1; i > 0; i--) {
		j = (uint32_t)(splitmix64(&s) % ((uint64_t)i + 1));
		t = perm[i];
		perm[i] = perm[j];
		perm[j] = t;
	}
	for (i = 0; i < o->flows; i++)
		frame_build(frames + (size_t)FRAME_STRIDE * i, o, perm[i],
			    RTE_TCP_SYN_FLAG);
	free(perm);
	return frames;
}

/* After the first pass: each frame becomes its flow's ACK, in place. */
static void
frames_to_ack(uint8_t *frames, const struct gen_opts *o)
{
	struct rte_ipv4_hdr *ip;
	struct rte_tcp_hdr *tcp;
	uint32_t i;

	for (i = 0; i < o->flows; i++) {
		ip = (struct rte_ipv4_hdr *)(frames + (size_t)FRAME_STRIDE * i +
					     sizeof(struct rte_ether_hdr));
		tcp = (struct rte_tcp_hdr *)(ip + 1);
		tcp->tcp_flags = RTE_TCP_ACK_FLAG;
		tcp->recv_ack = rte_cpu_to_be_32(2000);
		tcp->cksum = 0;
		tcp->cksum = rte_ipv4_udptcp_cksum(ip, tcp);
	}
}

static int
parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static int
parse_opts(int argc, char **argv, struct gen_opts *o)
{
	struct in_addr a;
	uint64_t v;
	char *end;
	int c;

	*o = (struct gen_opts){ .burst = 32, .seed = 1, .interval_ms = 1000,
				.vip_port = 80 };
	inet_pton(AF_INET, "10.0.0.100", &a);
	o->vip = a.s_addr;
	while ((c = getopt(argc, argv, "n:m:a:p:b:s:i:t:h")) != -1) {
		switch (c) {
		case 'n':
			if (parse_u64(optarg, 1, 1u << 28, &v) != 0)
				return -1;
			o->flows = (uint32_t)v;
			break;
		case 'm':
			if (rte_ether_unformat_addr(optarg, &o->dst_mac) != 0)
				return -1;
			break;
		case 'a':
			if (inet_pton(AF_INET, optarg, &a) != 1)
				return -1;
			o->vip = a.s_addr;
			break;
		case 'p':
			if (parse_u64(optarg, 1, 65535, &v) != 0)
				return -1;
			o->vip_port = (uint16_t)v;
			break;
		case 'b':
			if (parse_u64(optarg, 1, BURST_MAX, &v) != 0)
				return -1;
			o->burst = (unsigned int)v;
			break;
		case 's':
			if (parse_u64(optarg, 0, UINT64_MAX, &v) != 0)
				return -1;
			o->seed = v;
			break;
		case 'i':
			if (parse_u64(optarg, 10, 3600000, &v) != 0)
				return -1;
			o->interval_ms = (unsigned int)v;
			break;
		case 't':
			errno = 0;
			o->seconds = strtod(optarg, &end);
			if (errno != 0 || end == optarg || *end != '\0' ||
			    o->seconds < 0)
				return -1;
			break;
		default:
			return -1;
		}
	}
	if (optind != argc || o->flows == 0 ||
	    rte_is_zero_ether_addr(&o->dst_mac))
		return -1;
	return 0;
}

static int
port_init(uint16_t port, struct rte_mempool *mp)
{
	struct rte_eth_conf conf = { 0 };
	struct rte_eth_link link;
	uint16_t nrx = RING_DESC, ntx = RING_DESC;
	unsigned int waited;
	int rc;

	rc = rte_eth_dev_configure(port, 1, 1, &conf);
	if (rc == 0)
		rc = rte_eth_dev_adjust_nb_rx_tx_desc(port, &nrx, &ntx);
	if (rc == 0)
		rc = rte_eth_rx_queue_setup(port, 0, nrx,
					    rte_eth_dev_socket_id(port), NULL,
					    mp);
	if (rc == 0)
		rc = rte_eth_tx_queue_setup(port, 0, ntx,
					    rte_eth_dev_socket_id(port), NULL);
	if (rc == 0)
		rc = rte_eth_dev_start(port);
	if (rc != 0) {
		fprintf(stderr, "gen: port %u setup: %s\n", port,
			rte_strerror(-rc));
		return -1;
	}
	/* net_memif comes up once the peer accepted the connection. */
	for (waited = 0; waited < LINK_WAIT_MS && !quit; waited += 10) {
		if (rte_eth_link_get_nowait(port, &link) == 0 &&
		    link.link_status == RTE_ETH_LINK_UP)
			return 0;
		rte_delay_ms(10);
	}
	fprintf(stderr, "gen: port %u link not up after %u ms\n", port,
		waited);
	return -1;
}

/* CLOCK_MONOTONIC: the harness (python time.monotonic) reads the same. */
static double
mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
stats_print(const struct gen_stats *st, uint64_t start, uint64_t now,
	    int final)
{
	printf("{\"final\": %s, \"mono\": %.6f, \"seconds\": %.6f, "
	       "\"tsc_hz\": %" PRIu64
	       ", \"sent\": %" PRIu64 ", \"passes\": %" PRIu64
	       ", \"tx_calls\": %" PRIu64 ", \"tx_partial\": %" PRIu64
	       ", \"tx_zero\": %" PRIu64 ", \"cycles\": %" PRIu64
	       ", \"stall_cycles\": %" PRIu64 ", \"alloc_fail\": %" PRIu64
	       ", \"drops\": 0}\n",
	       final ? "true" : "false", mono_now(),
	       (double)(now - start) / (double)rte_get_tsc_hz(),
	       rte_get_tsc_hz(), st->sent, st->passes, st->tx_calls,
	       st->tx_partial, st->tx_zero, now - start, st->stall_cycles,
	       st->alloc_fail);
	fflush(stdout);
}

/*
 * The send loop. pkts[head..n) are built and not yet taken by the ring;
 * they go first on the next call, so nothing is dropped or reordered.
 */
static void
send_loop(uint16_t port, struct rte_mempool *mp, uint8_t *frames,
	  const struct gen_opts *o, struct gen_stats *st)
{
	struct rte_mbuf *pkts[BURST_MAX];
	const uint64_t hz = rte_get_tsc_hz();
	const uint64_t period = hz * o->interval_ms / 1000;
	const uint64_t start = rte_rdtsc();
	const uint64_t stop = o->seconds > 0 ?
		start + (uint64_t)(o->seconds * (double)hz) : UINT64_MAX;
	uint64_t next_print = start + period, t = start, now;
	uint32_t idx = 0;
	unsigned int head = 0, n = 0, i;
	uint16_t sent;

	while (!quit && !hold) {
		if (head == n) {
			if (rte_pktmbuf_alloc_bulk(mp, pkts, o->burst) != 0) {
				st->alloc_fail++;
				continue;
			}
			for (i = 0; i < o->burst; i++) {
				struct rte_mbuf *m = pkts[i];

				/* next burst's frame: the array is read once a pass */
				rte_prefetch0(frames + (size_t)FRAME_STRIDE *
					      ((idx + o->burst) % o->flows));
				rte_mov64(rte_pktmbuf_mtod(m, uint8_t *),
					  frames + (size_t)FRAME_STRIDE * idx);
				m->data_len = FRAME_LEN;
				m->pkt_len = FRAME_LEN;
				if (++idx == o->flows) {
					idx = 0;
					if (st->passes++ == 0)
						frames_to_ack(frames, o);
				}
			}
			head = 0;
			n = o->burst;
		}
		sent = rte_eth_tx_burst(port, 0, pkts + head,
					(uint16_t)(n - head));
		head += sent;
		st->sent += sent;
		st->tx_calls++;
		now = rte_rdtsc();
		if (sent == 0) {
			/* Polling a full ring steals its cache lines from the
			 * receiver; a pause far shorter than its drain time
			 * does not.
			 */
			while (rte_rdtsc() - now < FULL_BACKOFF_CYCLES)
				rte_pause();
			now = rte_rdtsc();
			st->tx_zero++;
			st->stall_cycles += now - t;
		} else if (head < n) {
			st->tx_partial++;
		}
		t = now;
		if (unlikely(now >= next_print)) {
			stats_print(st, start, now, 0);
			next_print += period;
			if (now >= stop)
				break;
		}
	}
	if (head < n)
		rte_pktmbuf_free_bulk(pkts + head, n - head);
	stats_print(st, start, rte_rdtsc(), 1);
}

int
main(int argc, char **argv)
{
	struct gen_stats st = { 0 };
	struct rte_mempool *mp;
	struct gen_opts o;
	uint8_t *frames;
	int n;

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGUSR1, on_signal);
	n = rte_eal_init(argc, argv);
	if (n < 0) {
		fprintf(stderr, "gen: EAL init: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	argc -= n;
	argv += n;
	argv[0] = "gen";
	if (parse_opts(argc, argv, &o) != 0) {
		fprintf(stderr, usage, "edgelb-pmd-gen");
		rte_eal_cleanup();
		return 2;
	}
	if (rte_eth_dev_count_avail() < 1) {
		fprintf(stderr, "gen: no port (give --vdev=net_memif0,...)\n");
		rte_eal_cleanup();
		return 1;
	}
	/* Small mbufs: only the frame is ever written into them. */
	mp = rte_pktmbuf_pool_create("gen_mbufs", POOL_SIZE, POOL_CACHE, 0,
				     RTE_PKTMBUF_HEADROOM + FRAME_STRIDE,
				     (int)rte_socket_id());
	frames = frames_build(&o);
	if (mp == NULL || frames == NULL) {
		fprintf(stderr, "gen: out of memory for %u flows (more -m?)\n",
			o.flows);
		rte_eal_cleanup();
		return 1;
	}
	if (port_init(0, mp) != 0) {
		rte_eal_cleanup();
		return 1;
	}
	send_loop(0, mp, frames, &o, &st);
	while (hold && !quit)
		rte_delay_us_sleep(10000);
	rte_eth_dev_stop(0);
	rte_eth_dev_close(0);
	rte_free(frames);
	rte_eal_cleanup();
	return 0;
}
