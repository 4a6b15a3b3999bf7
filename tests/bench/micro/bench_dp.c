/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * In-process packet-path benchmark: the worker's burst function on
 * prepared mbufs, per packet class, TX into net_null (which frees, as a
 * NIC's completion path does). Figures are TSC cycles per packet, the
 * median of repeated windows after warm-up windows; under callgrind
 * (--callgrind) only the measured region is collected, one dump per class,
 * for instruction counts that do not depend on the machine's noise.
 *
 * Every class checks the counters it must move (hits, inserts, the drop
 * reason, replies): a benchmark of the wrong path would be worse than none.
 *
 * Usage: bench_dp EAL_ARGS -- [--flows N,N,..] [--window P] [--windows W]
 *        [--warmup W] [--callgrind] [--json FILE] [--quick]
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>
#include <rte_version.h>
#include <valgrind/callgrind.h>

#include "lb_dataplane.h"
#include "lb_neigh.h"
#include "frames.h"

#define IP(a, b, c, d) RTE_BE32(RTE_IPV4(a, b, c, d))
#define VIP IP(10, 0, 0, 100)
#define MAX_SIZES 8
#define NULL_VDEV "net_null_bench"

struct opts {
	uint32_t flows[MAX_SIZES];
	unsigned int n_flows;
	uint32_t window;            /* packets per timed window */
	uint32_t windows;           /* timed windows per case */
	uint32_t warmup;            /* untimed windows first */
	int callgrind;
	const char *json;
};

struct bench {
	struct opts o;
	struct rte_mempool *mp;
	uint16_t port_id;
	struct rte_ether_addr mac;
	char ini[64];
	struct lb_config *cfg;
	struct lb_neigh_table *nt;
	struct lb_snapshot snap;
	struct lb_dp *dp;
	struct lb_worker *w;
	struct rte_mbuf **pkts;
	double *samples;
	json_t *rows;
	uint64_t tsc_hz;
	/*
	 * The time handed to the worker. It stands still, so established
	 * flows were all seen this tick (the steady state of flows that send
	 * at least a few packets a second), unless a case moves it.
	 */
	uint64_t now;
};

/* One case: how to make packet i of window k, and what it must count. */
struct run;
typedef void (*gen_fn)(struct run *r, uint32_t k, uint32_t i,
		       struct frame *f);
typedef void (*after_fn)(struct run *r, uint32_t k);

struct run {
	struct bench *b;
	const char *label;          /* no spaces: also the callgrind dump */
	const char *name;           /* for people */
	gen_fn gen;
	after_fn after;             /* untimed, after each window */
	uint32_t n_flows;
	const uint32_t *seq;        /* flow index per packet, all windows */
	uint32_t new_base;          /* first source of the new flows */
	uint64_t *counter;          /* must grow by one per packet */
	const char *counter_name;
	int tick_each_window;       /* every flow idle a tick: rewrites */
};

static void
die(const char *what)
{
	fprintf(stderr, "bench_dp: %s: %s\n", what, rte_strerror(rte_errno));
	exit(1);
}

/* ---- setup ------------------------------------------------------------ */

static void
start_port(struct bench *b)
{
	struct rte_eth_conf conf = { 0 };
	uint16_t id;

	/* main() adds the --vdev: the vdev bus is a driver we do not link. */
	if (rte_eth_dev_get_port_by_name(NULL_VDEV, &id) != 0)
		die("net_null vdev (is the net_null PMD installed?)");
	if (rte_eth_dev_configure(id, 1, 1, &conf) != 0 ||
	    rte_eth_rx_queue_setup(id, 0, 512, 0, NULL, b->mp) != 0 ||
	    rte_eth_tx_queue_setup(id, 0, 512, 0, NULL) != 0 ||
	    rte_eth_dev_start(id) != 0)
		die("net_null start");
	b->port_id = id;
	rte_eth_macaddr_get(id, &b->mac);
}

/* The demo's shape: one VIP, three backends 1:2:3 with static MACs. */
static void
write_config(struct bench *b, uint32_t capacity)
{
	struct lb_config_error err;
	FILE *f;
	int fd;

	strcpy(b->ini, "/tmp/bench_dp_XXXXXX");
	fd = mkstemp(b->ini);
	f = fd < 0 ? NULL : fdopen(fd, "w");
	if (f == NULL) {
		perror("bench_dp: config");
		exit(1);
	}
	fprintf(f, "[global]\nflow_table_size = %u\n"
		"[port.lan]\ndevice = " NULL_VDEV "\naddress = 10.0.0.2/8\n"
		"[vip.web]\naddress = 10.0.0.100\nport = 80\npool = web\n"
		"[pool.web]\n", capacity);
	for (int i = 1; i <= 3; i++)
		fprintf(f, "[backend.web%d]\npool = web\naddress = 10.0.0.1%d\n"
			"weight = %d\nmac = 02:00:00:00:00:1%d\n", i, i, i, i);
	fclose(f);
	b->cfg = lb_config_parse(b->ini, &err);
	unlink(b->ini);
	if (b->cfg == NULL) {
		fprintf(stderr, "bench_dp: %s\n", err.msg);
		exit(1);
	}
}

static void
worker_up(struct bench *b, uint32_t capacity)
{
	write_config(b, capacity);
	b->nt = lb_neigh_table_for(b->cfg);
	b->dp = lb_dp_create(1);
	if (b->dp == NULL || b->nt == NULL)
		die("dataplane");
	b->dp->n_ports = 1;
	b->dp->ports[0].port_id = b->port_id;
	b->dp->ports[0].mac = b->mac;
	if (lb_dp_worker_create(b->dp, 0, rte_lcore_id(), SOCKET_ID_ANY,
				capacity) != 0)
		die("worker");
	b->w = b->dp->workers[0];
	b->snap = (struct lb_snapshot){ .cfg = b->cfg, .neigh = b->nt,
					.generation = 1, .seq = 1 };
	lb_dp_publish(b->dp, &b->snap);
}

static void
worker_down(struct bench *b)
{
	lb_dp_free(b->dp);
	lb_neigh_table_free(b->nt);
	lb_config_free(b->cfg);
	b->dp = NULL;
}

/* ---- the measured loop ------------------------------------------------ */

static void
fill_window(struct run *r, uint32_t k)
{
	struct bench *b = r->b;
	struct frame f;
	uint32_t i;

	if (rte_pktmbuf_alloc_bulk(b->mp, b->pkts, b->o.window) != 0)
		die("mbufs");
	for (i = 0; i < b->o.window; i++) {
		struct rte_mbuf *m = b->pkts[i];

		r->gen(r, k, i, &f);
		memcpy(rte_pktmbuf_mtod(m, void *), f.b, FRAME_LEN);
		m->data_len = FRAME_LEN;
		m->pkt_len = FRAME_LEN;
	}
}

/* One window: bursts of 32 then a flush, as the worker loop does. */
static uint64_t
process_window(struct bench *b, int collect)
{
	uint64_t t0, t1, now = b->now;
	uint32_t off;

	if (collect)
		CALLGRIND_TOGGLE_COLLECT;
	t0 = rte_rdtsc_precise();
	for (off = 0; off < b->o.window; off += LB_DP_BURST) {
		lb_dp_process_burst(b->w, &b->snap, 0, b->pkts + off,
				    LB_DP_BURST, now);
		lb_dp_flush(b->w);
	}
	t1 = rte_rdtsc_precise();
	if (collect)
		CALLGRIND_TOGGLE_COLLECT;
	return t1 - t0;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double
percentile(const double *sorted, uint32_t n, double p)
{
	return sorted[(uint32_t)(p * (n - 1) + 0.5)];
}

static void
report(struct run *r, uint32_t n)
{
	struct bench *b = r->b;
	double med, p10, p90;

	qsort(b->samples, n, sizeof(double), cmp_double);
	med = percentile(b->samples, n, 0.5);
	p10 = percentile(b->samples, n, 0.1);
	p90 = percentile(b->samples, n, 0.9);
	printf("  %-44s %8.1f  %8.1f  %8.1f  %7.2f\n", r->name, med, p10, p90,
	       (double)b->tsc_hz / med / 1e6);
	fflush(stdout);
	json_array_append_new(b->rows, json_pack(
		"{s:s, s:s, s:f, s:s, s:f, s:f, s:f, s:I}",
		"name", r->name, "label", r->label, "value", med,
		"unit", "cycles/packet", "p10", p10, "p90", p90,
		"mpps_at_tsc", (double)b->tsc_hz / med / 1e6,
		"packets", (json_int_t)n * b->o.window));
}

static void
run_case(struct run *r)
{
	struct bench *b = r->b;
	uint32_t total = b->o.warmup + b->o.windows, k;
	uint64_t before = *r->counter;

	if (b->o.callgrind)
		CALLGRIND_ZERO_STATS;
	for (k = 0; k < total; k++) {
		int timed = k >= b->o.warmup;
		uint64_t t;

		fill_window(r, k);
		if (r->tick_each_window)
			b->now += UINT64_C(1) << b->w->timeouts.tick_shift;
		t = process_window(b, timed && b->o.callgrind);
		if (timed)
			b->samples[k - b->o.warmup] = (double)t / b->o.window;
		if (r->after != NULL)
			r->after(r, k);
	}
	if (*r->counter - before != (uint64_t)total * b->o.window) {
		fprintf(stderr, "bench_dp: %s: %s moved by %" PRIu64
			" for %u packets: not the path meant\n", r->name,
			r->counter_name, *r->counter - before,
			total * b->o.window);
		exit(1);
	}
	if (b->o.callgrind) {
		CALLGRIND_DUMP_STATS_AT(r->label);
		printf("CG %s %u\n", r->label, b->o.windows * b->o.window);
	}
	report(r, b->o.windows);
}

/* ---- packet classes --------------------------------------------------- */

static uint32_t
flow_src(uint32_t i)
{
	return rte_cpu_to_be_32(RTE_IPV4(10, 128, 0, 0) + i);
}

static uint16_t
flow_sport(uint32_t i)
{
	return rte_cpu_to_be_16(1024 + (i * 7919u) % 64000);
}

static void
gen_established(struct run *r, uint32_t k, uint32_t i, struct frame *f)
{
	uint32_t flow = r->seq[(size_t)k * r->b->o.window + i];

	frame_tcp(f, &r->b->mac, flow_src(flow), flow_sport(flow), VIP,
		  RTE_BE16(80), RTE_TCP_ACK_FLAG);
}

static void
gen_new(struct run *r, uint32_t k, uint32_t i, struct frame *f)
{
	uint32_t src = r->new_base + k * r->b->o.window + i;

	frame_tcp(f, &r->b->mac, rte_cpu_to_be_32(src), RTE_BE16(40000),
		  VIP, RTE_BE16(80), RTE_TCP_SYN_FLAG);
}

/* Keep the table at its size: forget the flows this window added. */
static void
after_new(struct run *r, uint32_t k)
{
	struct lb_flow_key key = {
		.dst_addr = VIP, .src_port = RTE_BE16(40000),
		.dst_port = RTE_BE16(80), .proto = IPPROTO_TCP,
	};
	uint32_t i;

	for (i = 0; i < r->b->o.window; i++) {
		key.src_addr = rte_cpu_to_be_32(r->new_base +
						k * r->b->o.window + i);
		lb_flow_delete(r->b->w->flows, &key, lb_flow_hash(&key));
	}
}

static void
gen_non_vip(struct run *r, uint32_t k, uint32_t i, struct frame *f)
{
	(void)k;
	frame_tcp(f, &r->b->mac, flow_src(i), flow_sport(i), IP(10, 0, 0, 200),
		  RTE_BE16(80), RTE_TCP_ACK_FLAG);
}

static void
gen_malformed(struct run *r, uint32_t k, uint32_t i, struct frame *f)
{
	gen_non_vip(r, k, i, f);
	frame_break_ip_cksum(f);
}

static void
gen_arp(struct run *r, uint32_t k, uint32_t i, struct frame *f)
{
	(void)r;
	(void)k;
	frame_arp_request(f, flow_src(i), VIP);
}

static void
gen_icmp(struct run *r, uint32_t k, uint32_t i, struct frame *f)
{
	(void)k;
	frame_icmp_echo(f, &r->b->mac, flow_src(i), VIP);
}

/* ---- flow sequences ----------------------------------------------------- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t
rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static void
seq_uniform(uint32_t *seq, size_t n, uint32_t flows)
{
	size_t i;

	for (i = 0; i < n; i++)
		seq[i] = (uint32_t)(rng() % flows);
}

/* Zipf, s = 0.99 (the usual skew of real flow popularity). */
static void
seq_zipf(uint32_t *seq, size_t n, uint32_t flows)
{
	double *cdf = malloc(sizeof(*cdf) * flows), sum = 0;
	size_t i;

	if (cdf == NULL)
		exit(1);
	for (i = 0; i < flows; i++)
		cdf[i] = (sum += 1.0 / pow((double)(i + 1), 0.99));
	for (i = 0; i < n; i++) {
		double u = (double)(rng() >> 11) / (double)(1ull << 53) * sum;
		uint32_t lo = 0, hi = flows - 1;

		while (lo < hi) {
			uint32_t mid = (lo + hi) / 2;

			if (cdf[mid] < u)
				lo = mid + 1;
			else
				hi = mid;
		}
		/* Spread the popular ranks over the address space. */
		seq[i] = (uint32_t)(((uint64_t)lo * 2654435761u) % flows);
	}
	free(cdf);
}

/* Send one packet with @p flags of each flow src(base + i), sport(i),
 * i < n (untimed). */
static void
send_each(struct bench *b, uint32_t (*src)(uint32_t), uint32_t base,
	  uint32_t n, uint8_t flags)
{
	struct rte_mbuf *m[LB_DP_BURST];
	struct frame f;
	uint32_t i, j, c;

	for (i = 0; i < n; i += c) {
		c = RTE_MIN(n - i, (uint32_t)LB_DP_BURST);
		if (rte_pktmbuf_alloc_bulk(b->mp, m, c) != 0)
			die("mbufs");
		for (j = 0; j < c; j++) {
			frame_tcp(&f, &b->mac, src(base + i + j),
				  flow_sport(i + j), VIP, RTE_BE16(80), flags);
			memcpy(rte_pktmbuf_mtod(m[j], void *), f.b, FRAME_LEN);
			m[j]->data_len = m[j]->pkt_len = FRAME_LEN;
		}
		lb_dp_process_burst(b->w, &b->snap, 0, m, (uint16_t)c,
				    b->now);
		lb_dp_flush(b->w);
	}
}

/* Establish flows 0..n-1 (SYN, then the handshake ACK that promotes the
 * embryonic entry; untimed) so the established case only hits. */
static void
populate(struct bench *b, uint32_t n)
{
	send_each(b, flow_src, 0, n, RTE_TCP_SYN_FLAG);
	send_each(b, flow_src, 0, n, RTE_TCP_ACK_FLAG);
	if (lb_flow_table_count(b->w->flows) != n ||
	    b->w->stats.flow.embryonic != 0) {
		fprintf(stderr, "bench_dp: table holds %u of %u flows, %"
			PRIu64 " embryonic\n", lb_flow_table_count(b->w->flows),
			n, b->w->stats.flow.embryonic);
		exit(1);
	}
}

/* ---- cases -------------------------------------------------------------- */

static void
established_cases(struct bench *b, uint32_t flows)
{
	size_t n = (size_t)(b->o.warmup + b->o.windows) * b->o.window;
	uint32_t *seq = malloc(n * sizeof(*seq));
	char label[64], name[96];
	struct run r = {
		.b = b, .gen = gen_established, .n_flows = flows, .seq = seq,
		.label = label, .name = name,
		.counter = &b->w->stats.flow.hits, .counter_name = "flow hits",
	};
	int zipf;

	if (seq == NULL)
		exit(1);
	for (zipf = 0; zipf <= 1; zipf++) {
		if (zipf && flows == 1)
			break;
		(zipf ? seq_zipf : seq_uniform)(seq, n, flows);
		snprintf(label, sizeof(label), "established/%u/%s", flows,
			 zipf ? "zipf" : "uniform");
		snprintf(name, sizeof(name), "established, %u flows, %s",
			 flows, zipf ? "zipf 0.99" : "uniform");
		run_case(&r);
	}
	/* The other extreme: flows quieter than a tick rewrite their slot. */
	seq_uniform(seq, n, flows);
	r.tick_each_window = 1;
	snprintf(label, sizeof(label), "established/%u/idle_tick", flows);
	snprintf(name, sizeof(name), "established, %u flows, each idle a "
		 "tick", flows);
	run_case(&r);
	free(seq);
}

static void
new_flow_case(struct bench *b, uint32_t flows)
{
	char label[64], name[96];
	struct run r = {
		.b = b, .gen = gen_new, .after = after_new,
		.new_base = RTE_IPV4(10, 64, 0, 0), .label = label,
		.name = name, .counter = &b->w->stats.flow.inserts,
		.counter_name = "flow inserts",
	};

	snprintf(label, sizeof(label), "new/%u", flows);
	snprintf(name, sizeof(name), "new flow (SYN), table at %u flows",
		 flows);
	run_case(&r);
}

/* Spoofed sources, one per packet, never repeated: 10.96.0.0 up. */
static uint32_t
flood_src(uint32_t i)
{
	return rte_cpu_to_be_32(RTE_IPV4(10, 96, 0, 0) + i);
}

static void
gen_flood(struct run *r, uint32_t k, uint32_t i, struct frame *f)
{
	uint32_t n = r->new_base + k * r->b->o.window + i;

	frame_tcp(f, &r->b->mac, flood_src(n), flow_sport(n), VIP,
		  RTE_BE16(80), r->n_flows == 0 ? RTE_TCP_SYN_FLAG :
		  RTE_TCP_ACK_FLAG);
}

/*
 * Floods with the established flows in place. SYN: the rest of the table
 * filled with embryonic entries first (untimed), so every spoofed SYN
 * evicts the oldest one and takes its place. ACK (n_flows 1 marks it):
 * no entry is made, each goes by the stateless choice (untracked).
 */
static void
flood_cases(struct bench *b, uint32_t flows)
{
	uint32_t room = lb_flow_table_capacity(b->w->flows) -
			lb_flow_table_count(b->w->flows);
	char label[64], name[96];
	struct run r = {
		.b = b, .gen = gen_flood, .label = label, .name = name,
		.new_base = room, .counter = &b->w->stats.flow.evictions,
		.counter_name = "flow evictions",
	};

	send_each(b, flood_src, 0, room, RTE_TCP_SYN_FLAG);
	snprintf(label, sizeof(label), "flood/syn/%u", flows);
	snprintf(name, sizeof(name), "SYN flood, full table, %u established",
		 flows);
	run_case(&r);
	r.n_flows = 1;
	r.new_base += (b->o.warmup + b->o.windows) * b->o.window;
	r.counter = &b->w->stats.flow.untracked;
	r.counter_name = "flow untracked";
	snprintf(label, sizeof(label), "flood/ack/%u", flows);
	snprintf(name, sizeof(name), "ACK flood (no entry), %u established",
		 flows);
	run_case(&r);
}

static void
other_cases(struct bench *b)
{
	struct lb_port_stats *ps = &b->w->stats.port[0];
	struct run cases[] = {
		{ .label = "non_vip", .name = "not for a VIP (dropped)",
		  .gen = gen_non_vip, .counter = &ps->drops[LB_DROP_not_ours],
		  .counter_name = "drops not_ours" },
		{ .label = "malformed", .name = "bad IPv4 checksum (dropped)",
		  .gen = gen_malformed,
		  .counter = &ps->drops[LB_DROP_ipv4_checksum],
		  .counter_name = "drops ipv4_checksum" },
		{ .label = "arp", .name = "ARP request for the VIP",
		  .gen = gen_arp, .counter = &ps->arp_replies,
		  .counter_name = "arp replies" },
		{ .label = "icmp", .name = "ICMP echo to the VIP",
		  .gen = gen_icmp, .counter = &ps->icmp_echo_replies,
		  .counter_name = "echo replies" },
	};
	unsigned int i;

	for (i = 0; i < RTE_DIM(cases); i++) {
		cases[i].b = b;
		run_case(&cases[i]);
	}
}

static void
run_size(struct bench *b, uint32_t flows, int others)
{
	uint32_t capacity = RTE_MAX(65536u, flows + 2 * b->o.window);

	worker_up(b, capacity);
	populate(b, flows);
	established_cases(b, flows);
	new_flow_case(b, flows);
	if (others)
		other_cases(b);
	flood_cases(b, flows);
	worker_down(b);
}

/* ---- options and output ------------------------------------------------ */

static void
parse_opts(struct opts *o, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "flows", 1, NULL, 'f' }, { "window", 1, NULL, 'p' },
		{ "windows", 1, NULL, 'w' }, { "warmup", 1, NULL, 'u' },
		{ "callgrind", 0, NULL, 'c' }, { "json", 1, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	char *s, *tok;
	int c;

	*o = (struct opts){ .window = 1024, .windows = 51, .warmup = 5 };
	optind = 1;
	o->flows[0] = 1, o->flows[1] = 4096, o->flows[2] = 65536;
	o->flows[3] = 1 << 20, o->n_flows = 4;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'f':
			o->n_flows = 0;
			for (s = optarg; (tok = strtok(s, ",")) != NULL &&
			     o->n_flows < MAX_SIZES; s = NULL)
				o->flows[o->n_flows++] = (uint32_t)atol(tok);
			break;
		case 'p': o->window = (uint32_t)atol(optarg); break;
		case 'w': o->windows = (uint32_t)atol(optarg); break;
		case 'u': o->warmup = (uint32_t)atol(optarg); break;
		case 'c': o->callgrind = 1; break;
		case 'j': o->json = optarg; break;
		default: exit(2);
		}
	}
	o->window = RTE_ALIGN_CEIL(RTE_MAX(o->window, 32u), LB_DP_BURST);
	if (o->windows == 0)
		o->windows = 1;
}

static void
write_json(struct bench *b)
{
	json_t *root;

	if (b->o.json == NULL)
		return;
	root = json_pack("{s:s, s:I, s:s, s:b, s:I, s:I, s:I, s:o}",
			 "part", "micro", "tsc_hz", (json_int_t)b->tsc_hz,
			 "dpdk", rte_version(),
			 "hugepages", rte_eal_has_hugepages(),
			 "window_packets", (json_int_t)b->o.window,
			 "windows", (json_int_t)b->o.windows,
			 "warmup_windows", (json_int_t)b->o.warmup,
			 "rows", b->rows);
	if (json_dump_file(root, b->o.json, JSON_INDENT(1)) != 0) {
		fprintf(stderr, "bench_dp: cannot write %s\n", b->o.json);
		exit(1);
	}
	json_decref(root);
}

/* EAL with the TX sink added. @return how many arguments EAL took. */
static int
eal_init(int argc, char **argv)
{
	char **av = calloc(argc + 2, sizeof(*av));
	int n;

	if (av == NULL)
		exit(1);
	av[0] = argv[0];
	av[1] = (char *)"--vdev=" NULL_VDEV ",no-rx=1";
	memcpy(av + 2, argv + 1, (argc - 1) * sizeof(*av));
	n = rte_eal_init(argc + 1, av);
	if (n < 0)
		die("EAL");
	/* av[0..n] were EAL's, including our extra one. */
	argv[n - 1] = argv[0];
	return n - 1;
}

int
main(int argc, char **argv)
{
	static struct bench b;
	unsigned int i, others = 0;
	int n;

	n = eal_init(argc, argv);
	parse_opts(&b.o, argc - n, argv + n);
	b.tsc_hz = rte_get_tsc_hz();
	b.now = rte_rdtsc();
	b.rows = json_array();
	b.mp = rte_pktmbuf_pool_create("bench_mbufs", 16383 + b.o.window, 256,
				       0, RTE_MBUF_DEFAULT_BUF_SIZE,
				       SOCKET_ID_ANY);
	b.pkts = calloc(b.o.window, sizeof(*b.pkts));
	b.samples = calloc(b.o.windows, sizeof(*b.samples));
	if (b.mp == NULL || b.pkts == NULL || b.samples == NULL)
		die("memory");
	start_port(&b);
	printf("bench_dp: TSC %.3f GHz, %u windows of %u packets "
	       "(after %u warm-up), lcore %u\n", b.tsc_hz / 1e9, b.o.windows,
	       b.o.window, b.o.warmup, rte_lcore_id());
	printf("  %-44s %8s  %8s  %8s  %7s\n", "case (cycles/packet)", "median",
	       "p10", "p90", "Mpps");
	/* The classes that do not depend on the table run once, at 4096
	 * flows if that size is measured. */
	for (i = 0; i < b.o.n_flows; i++)
		if (b.o.flows[i] == 4096)
			others = i;
	for (i = 0; i < b.o.n_flows; i++)
		run_size(&b, b.o.flows[i], i == others);
	write_json(&b);
	rte_eth_dev_stop(b.port_id);
	rte_eth_dev_close(b.port_id);
	rte_mempool_free(b.mp);
	rte_eal_cleanup();
	return 0;
}
