/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ARP and next-hop learning, as management does it (app/edgelbd's
 * learn_from): frames from the input are parsed (lb_pkt_parse) and every
 * ARP one is given to lb_runtime_neigh_learn, between the resolver's own
 * requests (lb_runtime_neigh_due), commits of what was learnt and reloads
 * to another configuration (neighbours rebased), on a fresh runtime per
 * input.
 *
 * Invariants, the point of the resolver (README, Forwarding modes): a
 * published MAC is unicast and none of our own, a static next hop keeps
 * its configured MAC, learning reports a change only for an ARP frame
 * whose Ethernet source is its sender and whose sender is a neighbour on
 * that port, and no published MAC changes unless edgelb asked for that
 * neighbour since its MAC last changed (ARP answers nobody asked for are
 * never believed) and someone offered that very MAC.
 *
 * Input: records of a 3-byte header and a frame:
 *   byte 0: bits 0-1 what to do (0 learn from the frame, 1 send the due
 *           requests, 2 commit, 3 reload the other file); bit 2 the port
 *           it arrives on; bits 3-4 time passing first (none, half the
 *           retry interval, the retry interval, the refresh interval);
 *           bit 5 set the destination MAC to the port's; bit 6 set the
 *           Ethernet source to the ARP sender's MAC.
 *   bytes 1-2: frame length, little endian, at most 2047 (cut short by
 *           the end of the input).
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_arp.h>
#include <rte_mbuf.h>

#include "lb_pkt.h"
#include "lb_runtime.h"
#include "fuzz_common.h"

#define N_PORTS 2
#define FRAME_MAX 2047
#define HDR_LEN 3
#define MODEL_MAX 16
#define OFFERS_MAX 64
#define RETRY 1000
#define REFRESH 100000

#define OP_MASK 0x03
#define OP_LEARN 0
#define OP_ASK 1
#define OP_COMMIT 2
#define OP_RELOAD 3
#define REC_PORT_SHIFT 2
#define REC_TIME_SHIFT 3
#define REC_FIX_DST 0x20
#define REC_FIX_SRC 0x40

/* a.ini and b.ini differ in their next hops: b.ini drops d, adds e on
 * the DMZ and makes b's MAC static. */
#define INI_HEAD \
	"[global]\nsocket = /tmp/fz-neigh-unused.sock\naudit_log = /dev/null\n" \
	"[port.lan]\ndevice = net_null0\naddress = 10.0.0.2/24\n" \
	"gateway = 10.0.0.1\n" \
	"[port.dmz]\ndevice = net_null1\naddress = 10.1.0.2/24\n" \
	"[vip.web]\naddress = 10.0.0.100\nport = 80\npool = web\n" \
	"[pool.web]\ntable_size = 251\n" \
	"[backend.a]\npool = web\naddress = 10.0.0.11\n" \
	"mac = 02:00:00:00:00:11\n" \
	"[backend.c]\npool = web\naddress = 10.1.0.13\n"

static const char ini_a[] = INI_HEAD
	"[backend.b]\npool = web\naddress = 10.0.0.12\n"
	"[backend.d]\npool = web\naddress = 10.0.0.14\n";
static const char ini_b[] = INI_HEAD
	"[backend.b]\npool = web\naddress = 10.0.0.12\n"
	"mac = 02:00:00:00:00:12\n"
	"[backend.e]\npool = web\naddress = 10.1.0.15\n";

static const struct rte_ether_addr port_mac[N_PORTS] = {
	{{0x02, 0, 0, 0, 0, 0x01}}, {{0x02, 0, 0, 0, 0, 0x02}},
};

static struct {
	struct rte_mempool *mp;
	struct lb_dp *dp;
	char path[2][64];
} fx;

/* What a published table said of one next hop, by address and port:
 * neighbour indexes differ between configurations. */
struct hop {
	uint32_t addr, port;
	uint8_t valid, asked;
	struct rte_ether_addr mac;
};

/* A MAC someone offered for an address on a port, with a frame that
 * passed the Ethernet source check. */
struct offer {
	uint32_t addr, port;
	struct rte_ether_addr mac;
};

struct run {
	struct lb_runtime *rt;
	uint64_t now;
	unsigned int file;          /* 0: a.ini, 1: b.ini */
	unsigned int n_hops, n_offers;
	struct hop hop[MODEL_MAX];
	struct offer offer[OFFERS_MAX];
};

static const struct lb_actor who = { .kind = LB_ACTOR_SIGNAL };

int LLVMFuzzerInitialize(int *argc, char ***argv);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char dir[] = "/tmp/fz-neigh-XXXXXX";
	const char *text[2] = { ini_a, ini_b };
	unsigned int i;
	FILE *f;

	RTE_SET_USED(argc);
	RTE_SET_USED(argv);
	fz_eal_init("neigh");
	fx.mp = rte_pktmbuf_pool_create("fz_mbufs", 1023, 0, 0,
					RTE_PKTMBUF_HEADROOM, SOCKET_ID_ANY);
	fx.dp = lb_dp_create(1);
	if (fx.mp == NULL || fx.dp == NULL || mkdtemp(dir) == NULL)
		fz_fail("set-up");
	fx.dp->n_ports = N_PORTS;
	for (i = 0; i < N_PORTS; i++) {
		fx.dp->ports[i].mac = port_mac[i];
		snprintf(fx.path[i], sizeof(fx.path[i]), "%s/%c.ini", dir,
			 'a' + i);
		f = fopen(fx.path[i], "w");
		if (f == NULL || fputs(text[i], f) < 0 || fclose(f) != 0)
			fz_fail("writing %s", fx.path[i]);
	}
	return 0;
}

static struct hop *
hop_of(struct run *r, uint32_t addr, uint32_t port)
{
	unsigned int i;

	for (i = 0; i < r->n_hops; i++)
		if (r->hop[i].addr == addr && r->hop[i].port == port)
			return &r->hop[i];
	if (r->n_hops == MODEL_MAX)
		fz_fail("more next hops than the model holds");
	r->hop[r->n_hops] = (struct hop){ .addr = addr, .port = port };
	return &r->hop[r->n_hops++];
}

static int
offered(const struct run *r, const struct hop *h,
	const struct rte_ether_addr *mac)
{
	unsigned int i;

	for (i = 0; i < r->n_offers; i++)
		if (r->offer[i].addr == h->addr && r->offer[i].port == h->port &&
		    rte_is_same_ether_addr(&r->offer[i].mac, mac))
			return 1;
	return 0;
}

static int
own_mac(const struct rte_ether_addr *mac)
{
	unsigned int i;

	for (i = 0; i < N_PORTS; i++)
		if (rte_is_same_ether_addr(mac, &port_mac[i]))
			return 1;
	return 0;
}

/* The published table against the model: sound MACs, statics kept, and
 * every change asked for and offered. Then the model follows it. */
static void
check_published(struct run *r)
{
	const struct lb_snapshot *s = lb_runtime_snapshot(r->rt);
	const struct lb_config *cfg = s->cfg;
	uint32_t i;

	FZ_CHECK(s->neigh->n == cfg->n_neighs, "table for another config");
	for (i = 0; i < cfg->n_neighs; i++) {
		const struct lb_neigh_conf *nc = &cfg->neighs[i];
		const struct lb_neigh_entry *e = &s->neigh->e[i];
		struct hop *h = hop_of(r, nc->addr, nc->port);

		if (nc->has_mac) {
			FZ_CHECK(e->valid && memcmp(e->mac.addr_bytes, nc->mac,
						    6) == 0,
				 "static next hop %u lost its MAC", i);
		} else if (e->valid && (!h->valid ||
			   !rte_is_same_ether_addr(&h->mac, &e->mac))) {
			FZ_CHECK(rte_is_valid_assigned_ether_addr(&e->mac) &&
				 !own_mac(&e->mac), "published a bad MAC");
			FZ_CHECK(h->asked, "next hop %u changed unasked", i);
			FZ_CHECK(offered(r, h, &e->mac),
				 "next hop %u took a MAC nobody offered", i);
			h->asked = 0;
		}
		h->valid = e->valid;
		h->mac = e->mac;
	}
}

static void
ask(struct run *r)
{
	const struct lb_config *cfg = lb_runtime_snapshot(r->rt)->cfg;
	uint32_t idx[MODEL_MAX];
	unsigned int n, i;

	n = lb_runtime_neigh_due(r->rt, r->now, idx, RTE_DIM(idx));
	for (i = 0; i < n; i++) {
		FZ_CHECK(idx[i] < cfg->n_neighs && !cfg->neighs[idx[i]].has_mac,
			 "asked for a static or absent next hop");
		hop_of(r, cfg->neighs[idx[i]].addr,
		       cfg->neighs[idx[i]].port)->asked = 1;
	}
}

static int
is_neighbour(const struct lb_config *cfg, uint32_t addr, uint32_t port)
{
	uint32_t i;

	for (i = 0; i < cfg->n_neighs; i++)
		if (cfg->neighs[i].addr == addr && cfg->neighs[i].port == port &&
		    !cfg->neighs[i].has_mac)
			return 1;
	return 0;
}

/* As learn_from() does with an ARP frame a worker passed up. */
static void
learn(struct run *r, struct rte_mbuf *m, unsigned int port)
{
	const struct rte_ether_addr *src =
		&rte_pktmbuf_mtod(m, const struct rte_ether_hdr *)->src_addr;
	const struct lb_config *cfg = lb_runtime_snapshot(r->rt)->cfg;
	struct lb_pkt_info pi;
	int changed;

	if (lb_pkt_parse(m, &port_mac[port], cfg->ports[port].vlan, &pi) !=
	    LB_PKT_ARP)
		return;
	if (rte_is_same_ether_addr(src, &pi.arp_sha) &&
	    r->n_offers < OFFERS_MAX)
		r->offer[r->n_offers++] = (struct offer){
			.addr = pi.src_addr, .port = port, .mac = pi.arp_sha };
	changed = lb_runtime_neigh_learn(r->rt, port, pi.src_addr,
					 &pi.arp_sha, src, r->now);
	FZ_CHECK(changed <= 0 || (rte_is_same_ether_addr(src, &pi.arp_sha) &&
			      is_neighbour(cfg, pi.src_addr, port)),
		 "learnt from a frame that is no neighbour's own answer");
}

static void
reload(struct run *r)
{
	json_t *ans = NULL;

	r->file ^= 1;
	if (lb_runtime_reload(r->rt, fx.path[r->file], &who, &ans) != 0)
		fz_fail("reload of %s: %s", fx.path[r->file],
			json_string_value(json_object_get(ans, "error")));
	json_decref(ans);
}

static void
frame_fix(uint8_t *f, size_t len, uint8_t flags, unsigned int port)
{
	const size_t sha = sizeof(struct rte_ether_hdr) +
		offsetof(struct rte_arp_hdr, arp_data.arp_sha);

	if ((flags & REC_FIX_DST) && len >= RTE_ETHER_ADDR_LEN)
		memcpy(f, &port_mac[port], RTE_ETHER_ADDR_LEN);
	if ((flags & REC_FIX_SRC) && len >= sha + RTE_ETHER_ADDR_LEN)
		memcpy(f + RTE_ETHER_ADDR_LEN, f + sha, RTE_ETHER_ADDR_LEN);
}

static size_t
take_record(struct run *r, const uint8_t *data, size_t size)
{
	static const uint64_t step[4] = { 0, RETRY / 2, RETRY, REFRESH };
	static uint8_t frame[FRAME_MAX];
	uint8_t flags = data[0];
	unsigned int port = (flags >> REC_PORT_SHIFT) & 1;
	size_t len = (data[1] | (size_t)data[2] << 8) & FRAME_MAX;
	struct rte_mbuf *m;

	len = RTE_MIN(len, size - HDR_LEN);
	r->now += step[(flags >> REC_TIME_SHIFT) & 3];
	switch (flags & OP_MASK) {
	case OP_LEARN:
		memcpy(frame, data + HDR_LEN, len);
		frame_fix(frame, len, flags, port);
		m = fz_mbuf(fx.mp, frame, (uint16_t)len);
		learn(r, m, port);
		rte_pktmbuf_free(m);
		break;
	case OP_ASK:
		ask(r);
		break;
	case OP_COMMIT:
		lb_runtime_neigh_commit(r->rt);
		break;
	case OP_RELOAD:
		reload(r);
		break;
	}
	check_published(r);
	return HDR_LEN + len;
}

static struct lb_runtime *
runtime_new(void)
{
	struct lb_config_error err;
	struct lb_config *cfg = lb_config_parse(fx.path[0], &err);
	struct lb_runtime *rt;
	char msg[256];

	if (cfg == NULL)
		fz_fail("%s", err.msg);
	rt = lb_runtime_create(fx.dp, cfg, RETRY, REFRESH, msg, sizeof(msg));
	if (rt == NULL)
		fz_fail("runtime: %s", msg);
	return rt;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct run r = { .now = UINT64_C(1) << 40 };
	size_t off = 0;

	r.rt = runtime_new();
	check_published(&r);
	while (size - off >= HDR_LEN)
		off += take_record(&r, data + off, size - off);
	lb_runtime_neigh_commit(r.rt);
	check_published(&r);
	lb_runtime_destroy(r.rt);
	FZ_CHECK(fz_mbuf_outstanding() == 0 &&
		 rte_mempool_in_use_count(fx.mp) == 0, "mbufs leaked");
	return 0;
}
