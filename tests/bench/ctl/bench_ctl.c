/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Control-plane timings (issue 4, part 3):
 * - weighted Maglev build time for N backends at table size M;
 * - memory per flow entry, all-in (rte_malloc heap before/after creating
 *   a flow table);
 * - a worker on lcore 1 running lb_dp_worker_main on a net_ring port under
 *   a steady load while management changes the configuration every 10 ms
 *   through lib/runtime, the daemon's one apply (lb_runtime_set of a
 *   backend's weight: build, publish, RCU wait, free, audit record
 *   fsync'd): its time, the worker's stall on each new configuration,
 *   the worker's longest busy loop iteration with and without changes
 *   (same load), and packets sent vs received;
 * - with the worker still running and fed: lb_runtime_reload of a
 *   1000-backend configuration (parse, validate, build, publish, wait,
 *   audit), two files alternating, and lb_runtime_set of one weight at
 *   N = 1000, M = 65537, each with the audit fsync timed apart.
 *
 * The load: a fixed number of UDP frames circulate. Management (lcore 0)
 * takes what the worker transmitted from the port's TX ring, restores the
 * destination MAC, gives most of them their flow's next source port out
 * of a fixed set (established flows) and some a never-seen one (new flows,
 * scheduled by the current snapshot's Maglev table), and puts them back
 * into the RX ring. So every frame sent is either received or counted by
 * the worker as a drop, and the load is the same with and without swaps.
 *
 * Usage: bench_ctl EAL_ARGS -- [--json FILE] [--seconds S] [--repeats R]
 *        [--inflight K] [--reloads N] [--quick]
 */
#include <errno.h>
#include <inttypes.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_udp.h>

#include "lb_dataplane.h"
#include "lb_neigh.h"
#include "lb_runtime.h"
#include "lb_sched.h"
#include "test_frames.h"

#define IP(a, b, c, d) RTE_BE32(RTE_IPV4(a, b, c, d))
#define VIP_PORT 53
#define N_BACKENDS 32
#define BIG_BACKENDS 1000       /* the reload and N = 1000 weight figures */
#define EST_PORTS 16            /* established flows per circulating frame */
#define NEW_FLOW_EVERY 256      /* one recycled frame in 256 starts a flow */
#define RING_SIZE 4096
#define SWAP_PERIOD_MS 10

struct opts {
	const char *json;
	double seconds;             /* of swapping, one every 10 ms */
	unsigned int repeats;       /* Maglev builds per case at M = 65537 */
	unsigned int inflight;      /* circulating frames */
	unsigned int reloads;       /* timed reloads, and weight sets, at 1000 */
};

struct bench {
	struct opts o;
	uint64_t hz;
	json_t *rows;
	json_t *details;
	/* swap part */
	struct rte_mempool *mp;
	struct rte_ring *rx, *tx;
	uint16_t port;
	struct rte_ether_addr port_mac;
	struct lb_dp *dp;
	struct lb_worker *w;
	struct lb_runtime *rt;
	char dir[64];
	char ini[96];
	char big[2][96];            /* BIG_BACKENDS, two weight sets */
	unsigned int n_swaps;
	uint64_t sent, received;
	uint32_t recycled;
	uint32_t new_port;          /* next never-seen source port step */
	double *publish_us;         /* lb_runtime_set, per swap */
	double *fsync_us;           /* of which the audit fsync */
};

/*
 * The audit record is fsync'd before a change is answered: required, and
 * on a slow disk the largest part of a change, so its time is shown
 * apart. fsync is wrapped at link time (-Wl,--wrap=fsync).
 */
int __real_fsync(int fd);
int __wrap_fsync(int fd);
static uint64_t fsync_tsc, fsync_calls;

int
__wrap_fsync(int fd)
{
	uint64_t t0 = rte_rdtsc_precise();
	int rc = __real_fsync(fd);

	fsync_tsc += rte_rdtsc_precise() - t0;
	fsync_calls++;
	return rc;
}

static const struct lb_actor bench_actor = {
	.kind = LB_ACTOR_PEER, .comm = "bench_ctl" };

static const struct rte_ether_addr client_mac = {{2, 0, 0, 0, 0, 0x10}};

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double
median(double *v, unsigned int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n == 0 ? 0 : (n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2);
}

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* One row of the part's JSON; met < 0 means no target. */
static void
row(struct bench *b, const char *name, double value, const char *unit,
    const char *target, int met)
{
	json_t *r = json_pack("{s:s, s:f, s:s}", "name", name, "value", value,
			      "unit", unit);

	if (target != NULL)
		json_object_set_new(r, "target", json_string(target));
	if (met >= 0)
		json_object_set_new(r, "met", json_boolean(met));
	json_array_append_new(b->rows, r);
	printf("  %-66s %12.3f %-9s %s%s\n", name, value, unit,
	       target != NULL ? target : "",
	       met < 0 ? "" : met ? "  met" : "  MISSED");
}

/* ---- Maglev build ---- */

static double
maglev_case(struct bench *b, uint32_t n, uint32_t m, int mixed,
	    unsigned int reps, json_t *all)
{
	struct lb_sched_backend *be = calloc(n, sizeof(*be));
	char (*names)[16] = calloc(n, sizeof(*names));
	double *ms = calloc(reps, sizeof(*ms)), med;
	struct lb_maglev t;
	json_t *samples = json_array();
	unsigned int r;
	uint32_t i;

	if (be == NULL || names == NULL || ms == NULL)
		rte_exit(EXIT_FAILURE, "out of memory\n");
	for (i = 0; i < n; i++) {
		snprintf(names[i], sizeof(names[i]), "be-%04u", i);
		be[i].name = names[i];
		be[i].weight = mixed ? 1 + (i * 7 + i / 10) % 10 : 1;
	}
	/* One untimed build: page faults of the first malloc of M slots. */
	if (lb_sched_maglev_build(&t, be, n, m) != 0)
		rte_exit(EXIT_FAILURE, "maglev build failed\n");
	lb_sched_maglev_free(&t);
	for (r = 0; r < reps; r++) {
		double t0 = now_ms();

		lb_sched_maglev_build(&t, be, n, m);
		ms[r] = now_ms() - t0;
		lb_sched_maglev_free(&t);
		json_array_append_new(samples, json_real(ms[r]));
	}
	med = median(ms, reps);
	json_array_append_new(all, json_pack("{s:I, s:I, s:s, s:f, s:f, s:f, s:o}",
		"n", (json_int_t)n, "m", (json_int_t)m,
		"weights", mixed ? "1..10" : "equal", "median_ms", med,
		"min_ms", ms[0], "max_ms", ms[reps - 1], "samples_ms", samples));
	free(ms);
	free(names);
	free(be);
	(void)b;
	return med;
}

static void
bench_maglev(struct bench *b)
{
	static const uint32_t ns[] = { 10, 100, 1000 };
	static const uint32_t ms[] = { 65537, 655373 };
	json_t *all = json_array();
	char name[128];
	unsigned int i, j;

	printf("== Maglev build (weighted, this build's flags)\n");
	for (j = 0; j < RTE_DIM(ms); j++) {
		unsigned int reps = ms[j] > 100000 ? (b->o.repeats + 3) / 4 :
						     b->o.repeats;

		for (i = 0; i < RTE_DIM(ns); i++) {
			double v = maglev_case(b, ns[i], ms[j], 1, reps, all);
			int target = ns[i] == 1000 && ms[j] == 65537;

			snprintf(name, sizeof(name), "Maglev build N=%u M=%u "
				 "weights 1..10 (median of %u)", ns[i], ms[j],
				 reps);
			row(b, name, v, "ms", target ? "<= 2 ms" : NULL,
			    target ? v <= 2.0 : -1);
		}
	}
	snprintf(name, sizeof(name), "Maglev build N=1000 M=65537 equal "
		 "weights (median of %u)", b->o.repeats);
	row(b, name, maglev_case(b, 1000, 65537, 0, b->o.repeats, all), "ms",
	    "<= 2 ms", -1);
	json_object_set_new(b->details, "maglev", all);
}

/* ---- memory per flow entry ---- */

static size_t
heap_allocated(void)
{
	struct rte_malloc_socket_stats s;

	if (rte_malloc_get_socket_stats((int)rte_socket_id(), &s) != 0)
		rte_exit(EXIT_FAILURE, "rte_malloc_get_socket_stats failed\n");
	return s.heap_allocsz_bytes;
}

static void
bench_flow_memory(struct bench *b)
{
	static const uint32_t caps[] = { 65536, 1048576 };
	json_t *all = json_array();
	char name[128];
	unsigned int i;

	printf("== memory per flow entry (rte_malloc heap delta of "
	       "lb_flow_table_create)\n");
	for (i = 0; i < RTE_DIM(caps); i++) {
		size_t before = heap_allocated(), after;
		struct lb_flow_table *t;
		double per;

		t = lb_flow_table_create("ctl_flow_mem", caps[i],
					 (int)rte_socket_id());
		if (t == NULL)
			rte_exit(EXIT_FAILURE, "flow table %u: %s\n", caps[i],
				 rte_strerror(rte_errno));
		after = heap_allocated();
		lb_flow_table_free(t);
		per = (double)(after - before) / caps[i];
		snprintf(name, sizeof(name), "flow table bytes per entry all-in, "
			 "capacity %u", caps[i]);
		row(b, name, per, "B", "<= 96 B", per <= 96);
		snprintf(name, sizeof(name), "flows per GiB at %.1f B/entry "
			 "(capacity %u)", per, caps[i]);
		row(b, name, (double)(1u << 30) / per, "flows/GiB", NULL, -1);
		json_array_append_new(all, json_pack("{s:I, s:I, s:f}",
			"capacity", (json_int_t)caps[i],
			"heap_bytes", (json_int_t)(after - before),
			"bytes_per_entry", per));
	}
	json_object_set_new(b->details, "flow_memory", all);
}

/* ---- worker under load, config swaps ---- */

/*
 * @path: @n backends b00, b01, ... in one pool of M = 65537, weights set
 * @k; backend i has the same address and MAC in every file, so the
 * 32-backend file's backends are the first 32 of the 1000-backend ones.
 * The audit log is in the bench's directory: fsync'd on its disk.
 */
static void
write_ini(struct bench *b, const char *path, unsigned int n, unsigned int k)
{
	FILE *f;
	unsigned int i;

	f = fopen(path, "w");
	if (f == NULL)
		rte_exit(EXIT_FAILURE, "cannot write %s\n", path);
	fprintf(f, "[global]\nworkers = 1\nflow_table_size = 262144\n"
		"udp_timeout = 2\naudit_log = %s/audit.log\n"
		"[port.lan]\ndevice = net_ring_ctl\naddress = 10.0.0.2/16\n"
		"[vip.dns]\naddress = 10.0.0.100\nport = %u\n"
		"protocol = udp\npool = dns\n"
		"[pool.dns]\ntable_size = 65537\n", b->dir, VIP_PORT);
	for (i = 0; i < n; i++)
		fprintf(f, "[backend.b%02u]\npool = dns\n"
			"address = 10.0.%u.%u\nweight = %u\n"
			"mac = 02:00:00:00:%02x:%02x\n", i, 1 + i / 200,
			10 + i % 200, 1 + (i + 5 * k) % 8, 1 + i / 256,
			i % 256);
	fclose(f);
}

static void
port_setup(struct bench *b)
{
	struct rte_eth_conf conf = { 0 };
	int rc;

	b->mp = rte_pktmbuf_pool_create("ctl_mbufs", 2 * RING_SIZE + 1023,
					256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
					(int)rte_socket_id());
	b->rx = rte_ring_create("ctl_rx", RING_SIZE, (int)rte_socket_id(),
				RING_F_SP_ENQ | RING_F_SC_DEQ);
	b->tx = rte_ring_create("ctl_tx", RING_SIZE, (int)rte_socket_id(),
				RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (b->mp == NULL || b->rx == NULL || b->tx == NULL)
		rte_exit(EXIT_FAILURE, "mempool/rings: %s\n",
			 rte_strerror(rte_errno));
	rc = rte_eth_from_rings("net_ring_ctl", &b->rx, 1, &b->tx, 1,
				(int)rte_socket_id());
	if (rc < 0)
		rte_exit(EXIT_FAILURE, "ring port: %s\n",
			 rte_strerror(rte_errno));
	b->port = (uint16_t)rc;
	if (rte_eth_dev_configure(b->port, 1, 1, &conf) != 0 ||
	    rte_eth_rx_queue_setup(b->port, 0, RING_SIZE, 0, NULL, b->mp) != 0 ||
	    rte_eth_tx_queue_setup(b->port, 0, RING_SIZE, 0, NULL) != 0 ||
	    rte_eth_dev_start(b->port) != 0)
		rte_exit(EXIT_FAILURE, "ring port start failed\n");
	rte_eth_macaddr_get(b->port, &b->port_mac);
}

/* The dataplane, and the runtime on it as edgelbd starts it. */
static void
dataplane_setup(struct bench *b)
{
	struct lb_config_error err;
	struct lb_config *cfg;
	char msg[256];

	strcpy(b->dir, "/tmp/elb-ctlXXXXXX");
	if (mkdtemp(b->dir) == NULL)
		rte_exit(EXIT_FAILURE, "mkdtemp failed\n");
	snprintf(b->ini, sizeof(b->ini), "%s/ctl.ini", b->dir);
	snprintf(b->big[0], sizeof(b->big[0]), "%s/big-0.ini", b->dir);
	snprintf(b->big[1], sizeof(b->big[1]), "%s/big-1.ini", b->dir);
	write_ini(b, b->ini, N_BACKENDS, 0);
	write_ini(b, b->big[0], BIG_BACKENDS, 0);
	write_ini(b, b->big[1], BIG_BACKENDS, 1);
	cfg = lb_config_parse(b->ini, &err);
	if (cfg == NULL)
		rte_exit(EXIT_FAILURE, "%s: %s\n", b->ini, err.msg);
	b->dp = lb_dp_create(1);
	if (b->dp == NULL)
		rte_exit(EXIT_FAILURE, "lb_dp_create failed\n");
	b->dp->n_ports = 1;
	b->dp->ports[0].port_id = b->port;
	b->dp->ports[0].mac = b->port_mac;
	if (lb_dp_worker_create(b->dp, 0, 1, (int)rte_socket_id(),
				cfg->global.flow_table_size) != 0)
		rte_exit(EXIT_FAILURE, "worker create failed\n");
	b->w = b->dp->workers[0];
	b->rt = lb_runtime_create(b->dp, cfg, b->hz, 60 * b->hz, msg,
				  sizeof(msg));
	if (b->rt == NULL)
		rte_exit(EXIT_FAILURE, "runtime: %s\n", msg);
}

/* A 64-byte UDP frame (60 + FCS) from 10.1.i/16 to the VIP. */
static struct rte_mbuf *
udp_frame(struct bench *b, unsigned int i)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(b->mp);
	const uint16_t l4 = sizeof(struct rte_udp_hdr) + 18;
	struct rte_ipv4_hdr *ip;
	struct rte_udp_hdr *udp;
	void *buf = m == NULL ? NULL :
		rte_pktmbuf_append(m, sizeof(struct rte_ether_hdr) +
				   sizeof(*ip) + l4);

	if (buf == NULL)
		rte_exit(EXIT_FAILURE, "out of mbufs\n");
	ip = tf_eth_ipv4(buf, &b->port_mac, &client_mac,
			 rte_cpu_to_be_32(RTE_IPV4(10, 1, 0, 0) + i),
			 IP(10, 0, 0, 100), IPPROTO_UDP, l4);
	udp = (struct rte_udp_hdr *)(ip + 1);
	udp->src_port = rte_cpu_to_be_16(1024);
	udp->dst_port = rte_cpu_to_be_16(VIP_PORT);
	udp->dgram_len = rte_cpu_to_be_16(l4);
	return m;
}

/*
 * Back to the worker: its MACs again, and the next source port of its
 * flow (1024..1024+EST_PORTS-1, established after the first round) or,
 * one time in NEW_FLOW_EVERY, a port never used before (a new flow).
 */
static void
recycle(struct bench *b, struct rte_mbuf *m)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)
		((char *)eth + sizeof(*eth) + sizeof(struct rte_ipv4_hdr));
	uint16_t sport = rte_be_to_cpu_16(udp->src_port);

	eth->dst_addr = b->port_mac;
	eth->src_addr = client_mac;
	if (++b->recycled % NEW_FLOW_EVERY == 0)
		sport = 2048 + b->new_port++ % 60000;
	else
		sport = 1024 + (sport + 1) % EST_PORTS;
	udp->src_port = rte_cpu_to_be_16(sport);
}

/* Move what the worker sent back into its RX ring. */
static void
pump(struct bench *b)
{
	struct rte_mbuf *pkts[64];
	unsigned int n, k, i;

	n = rte_ring_sc_dequeue_burst(b->tx, (void **)pkts, RTE_DIM(pkts),
				      NULL);
	b->received += n;
	for (i = 0; i < n; i++)
		recycle(b, pkts[i]);
	k = rte_ring_sp_enqueue_burst(b->rx, (void **)pkts, n, NULL);
	b->sent += k;
	if (k < n)
		rte_pktmbuf_free_bulk(pkts + k, n - k);
}

static uint64_t
worker_drops(const struct lb_worker *w)
{
	return lb_stats_port_drops(&w->stats.port[0]);
}

/* p-quantile (0..1) of @p v, sorted in place. */
static double
quantile(double *v, unsigned int n, double p)
{
	unsigned int i;

	if (n == 0)
		return 0;
	qsort(v, n, sizeof(*v), cmp_double);
	i = (unsigned int)(p * (n - 1) + 0.5);
	return v[i];
}

static double
loop_max_us(struct bench *b)
{
	return (double)__atomic_load_n(&b->w->busy_loop_max_tsc,
				       __ATOMIC_RELAXED) * 1e6 / b->hz;
}

/* Keep the worker fed for @p tsc cycles. */
static void
pump_for(struct bench *b, uint64_t tsc)
{
	uint64_t end = rte_rdtsc() + tsc;

	while (rte_rdtsc() < end)
		pump(b);
}

static double
tsc_us(const struct bench *b, uint64_t tsc)
{
	return (double)tsc * 1e6 / b->hz;
}

/*
 * One weight change of @p backend through the daemon's apply, timed, with
 * its audit fsync apart; *us and *fsync_us receive both. Exits on failure:
 * a benchmark of a change that did not happen measures nothing.
 */
static void
runtime_weight(struct bench *b, const char *backend, unsigned int weight,
	       double *us, double *sync)
{
	char section[32], value[16], command[64];
	json_t *ans = NULL;
	uint64_t t0, f0;
	int rc;

	snprintf(section, sizeof(section), "backend.%s", backend);
	snprintf(value, sizeof(value), "%u", weight);
	snprintf(command, sizeof(command), "weight %s %u", backend, weight);
	f0 = fsync_tsc;
	t0 = rte_rdtsc_precise();
	rc = lb_runtime_set(b->rt, section, "weight", value, &bench_actor,
			    command, &ans);
	*us = tsc_us(b, rte_rdtsc_precise() - t0);
	*sync = tsc_us(b, fsync_tsc - f0);
	if (rc != 0)
		rte_exit(EXIT_FAILURE, "%s: %s\n", command,
			 json_string_value(json_object_get(ans, "error")));
	json_decref(ans);
}

/*
 * One swap: backend b00's weight, alternating, through lb_runtime_set:
 * the Maglev build (M = 65537) runs here, on the management lcore, as in
 * edgelbd; the load pauses meanwhile (management also feeds the worker),
 * which the frames-lost count covers.
 */
static void
swap_config(struct bench *b, unsigned int k)
{
	runtime_weight(b, "b00", k & 1 ? 1 : 5, &b->publish_us[k],
		       &b->fsync_us[k]);
}

/* Stop feeding, let the worker finish, count what came back. */
static void
drain(struct bench *b)
{
	struct rte_mbuf *pkts[64];
	uint64_t quiet = rte_rdtsc() + b->hz / 10;
	unsigned int n;

	while (rte_rdtsc() < quiet) {
		n = rte_ring_sc_dequeue_burst(b->tx, (void **)pkts,
					      RTE_DIM(pkts), NULL);
		if (n > 0) {
			b->received += n;
			rte_pktmbuf_free_bulk(pkts, n);
			quiet = rte_rdtsc() + b->hz / 10;
		}
	}
}

/*
 * The stall a swap causes is bounded by the loop iteration that first ran
 * on the new snapshot (the worker times it itself). It is preempted only
 * if the host takes core 1 during those microseconds, so its 99th
 * percentile over hundreds of swaps is the swap, not the neighbours; the
 * worst is shown apart.
 */
static void
swap_loop_rows(struct bench *b, double *v, unsigned int n, double mean_us)
{
	char name[160];
	double p99;

	if (n == 0)
		return;
	p99 = quantile(v, n, 0.99);
	row(b, "worker loop, mean over the run (swaps included)", mean_us,
	    "us", NULL, -1);
	snprintf(name, sizeof(name), "worker loop that first ran on a new "
		 "config: median of %u swaps", n);
	row(b, name, quantile(v, n, 0.5), "us", NULL, -1);
	snprintf(name, sizeof(name), "worker loop that first ran on a new "
		 "config: 99th percentile of %u swaps (the swap stall)", n);
	row(b, name, p99, "us", "<= 20 us", p99 <= 20);
	snprintf(name, sizeof(name), "worker loop that first ran on a new "
		 "config: worst of %u (incl. preemption)", n);
	row(b, name, v[n - 1], "us", NULL, -1);
}

static void
window_rows(struct bench *b, const char *what, double *v, unsigned int n)
{
	char name[160];
	double med = quantile(v, n, 0.5);

	if (n == 0)
		return;
	snprintf(name, sizeof(name), "worker busy-loop max per 5 ms window "
		 "%s: median of %u", what, n);
	row(b, name, med, "us", NULL, -1);
	snprintf(name, sizeof(name), "worker busy-loop max per 5 ms window "
		 "%s: 90th percentile", what);
	row(b, name, quantile(v, n, 0.9), "us", NULL, -1);
	snprintf(name, sizeof(name), "worker busy-loop max per 5 ms window "
		 "%s: worst (incl. preemption)", what);
	row(b, name, v[n - 1], "us", NULL, -1);
}

static json_t *
json_doubles(const double *v, unsigned int n)
{
	json_t *a = json_array();
	unsigned int i;

	for (i = 0; i < n; i++)
		json_array_append_new(a, json_real(v[i]));
	return a;
}

/*
 * Every 10 ms: a 5 ms window that starts with a swap, then a 5 ms window
 * that starts with an RCU wait alone (the same wait for the worker's
 * current loop to end, without a new snapshot); the worker's longest busy
 * loop is reset at the start of each and read at its end. Many short
 * windows rather than one long phase: on a shared machine a long phase's
 * maximum is the longest preemption, not the swap. A window in which the
 * worker completed no busy loop at all (preempted throughout) reads 0
 * and is left out.
 */
static void
measure_windows(struct bench *b, double *with, double *without,
		double *sync_us, double *swap_loop_us)
{
	const uint64_t half = b->hz / 1000 * SWAP_PERIOD_MS / 2;
	uint64_t t0;
	unsigned int k;

	for (k = 0; k < b->n_swaps; k++) {
		__atomic_store_n(&b->w->busy_loop_max_tsc, 0,
				 __ATOMIC_RELAXED);
		__atomic_store_n(&b->w->swap_loop_last_tsc, 0,
				 __ATOMIC_RELAXED);
		swap_config(b, k);
		pump_for(b, half);
		with[k] = loop_max_us(b);
		swap_loop_us[k] = (double)__atomic_load_n(
			&b->w->swap_loop_last_tsc, __ATOMIC_RELAXED) *
			1e6 / b->hz;
		__atomic_store_n(&b->w->busy_loop_max_tsc, 0,
				 __ATOMIC_RELAXED);
		t0 = rte_rdtsc_precise();
		rte_rcu_qsbr_synchronize(b->dp->qsbr, RTE_QSBR_THRID_INVALID);
		sync_us[k] = (double)(rte_rdtsc_precise() - t0) * 1e6 / b->hz;
		pump_for(b, half);
		without[k] = loop_max_us(b);
	}
}

/* Leave out zeros (no busy loop completed in the window). */
static unsigned int
nonzero(double *v, unsigned int n)
{
	unsigned int i, k = 0;

	for (i = 0; i < n; i++)
		if (v[i] > 0)
			v[k++] = v[i];
	return k;
}

/* ---- N = 1000: reload and weight change through lib/runtime ---- */

struct timed {
	double *us, *fsync_us, *stall_us;
	unsigned int n;
};

static void
timed_alloc(struct timed *t, unsigned int n)
{
	t->n = n;
	t->us = calloc(n, sizeof(double));
	t->fsync_us = calloc(n, sizeof(double));
	t->stall_us = calloc(n, sizeof(double));
	if (t->us == NULL || t->fsync_us == NULL || t->stall_us == NULL)
		rte_exit(EXIT_FAILURE, "out of memory\n");
}

static void
timed_free(struct timed *t)
{
	free(t->us);
	free(t->fsync_us);
	free(t->stall_us);
}

/* Rows for one series (in ms), its fsync share and its stall; details
 * under @key. */
static void
timed_rows(struct bench *b, const char *what, const char *key,
	   struct timed *t, double target_ms)
{
	char name[200], target[32];
	double *v = malloc(t->n * sizeof(*v)), p99;
	unsigned int i, ns;

	if (v == NULL)
		rte_exit(EXIT_FAILURE, "out of memory\n");
	json_object_set_new(b->details, key, json_pack("{s:o, s:o, s:o}",
		"ms", json_doubles(t->us, t->n),
		"fsync_ms", json_doubles(t->fsync_us, t->n),
		"worker_stall_us", json_doubles(t->stall_us, t->n)));
	snprintf(target, sizeof(target), "<= %g ms", target_ms);
	snprintf(name, sizeof(name), "%s: median of %u", what, t->n);
	row(b, name, quantile(t->us, t->n, 0.5), "ms", target,
	    quantile(t->us, t->n, 0.5) <= target_ms);
	p99 = quantile(t->us, t->n, 0.99);
	snprintf(name, sizeof(name), "%s: 99th percentile", what);
	row(b, name, p99, "ms", target, p99 <= target_ms);
	snprintf(name, sizeof(name), "%s: max", what);
	row(b, name, t->us[t->n - 1], "ms", NULL, -1);
	for (i = 0; i < t->n; i++)
		v[i] = t->fsync_us[i];
	snprintf(name, sizeof(name), "%s: of which audit fsync, median",
		 what);
	row(b, name, quantile(v, t->n, 0.5), "ms", NULL, -1);
	for (i = 0, ns = 0; i < t->n; i++)
		if (t->stall_us[i] > 0)
			v[ns++] = t->stall_us[i];
	if (ns > 0) {
		snprintf(name, sizeof(name), "%s: worker loop that first ran "
			 "on it, 99th percentile of %u", what, ns);
		p99 = quantile(v, ns, 0.99);
		row(b, name, p99, "us", "<= 20 us", p99 <= 20);
	}
	free(v);
}

/* The swap stall of the change just made: the worker times it. */
static double
stall_us(struct bench *b)
{
	return tsc_us(b, __atomic_load_n(&b->w->swap_loop_last_tsc,
					 __ATOMIC_RELAXED));
}

static void
reset_stall(struct bench *b)
{
	__atomic_store_n(&b->w->swap_loop_last_tsc, 0, __ATOMIC_RELAXED);
}

static void
reload(struct bench *b, const char *path, double *ms, double *sync_ms)
{
	json_t *ans = NULL;
	uint64_t t0, f0 = fsync_tsc;
	int rc;

	t0 = rte_rdtsc_precise();
	rc = lb_runtime_reload(b->rt, path, &bench_actor, &ans);
	*ms = tsc_us(b, rte_rdtsc_precise() - t0) / 1e3;
	*sync_ms = tsc_us(b, fsync_tsc - f0) / 1e3;
	if (rc != 0)
		rte_exit(EXIT_FAILURE, "reload %s: %s\n", path,
			 json_string_value(json_object_get(ans, "error")));
	json_decref(ans);
}

/*
 * Reload of the 1000-backend files, alternating (every weight changes,
 * so every backend's share does), then one weight at N = 1000. Between
 * two changes the worker is fed for 10 ms, as in the swap part.
 */
static void
bench_big(struct bench *b)
{
	const uint64_t gap = b->hz / 1000 * SWAP_PERIOD_MS;
	struct timed rl, ws;
	double ms, sync_ms;
	unsigned int i;

	printf("== N=%u, one pool, M=65537, through lib/runtime, worker "
	       "running and fed, %u of each\n", BIG_BACKENDS, b->o.reloads);
	timed_alloc(&rl, b->o.reloads);
	timed_alloc(&ws, b->o.reloads);
	reload(b, b->big[0], &ms, &sync_ms);    /* 32 -> 1000, untimed */
	pump_for(b, gap);
	for (i = 0; i < rl.n; i++) {
		reset_stall(b);
		reload(b, b->big[(i + 1) & 1], &rl.us[i], &rl.fsync_us[i]);
		pump_for(b, gap);
		rl.stall_us[i] = stall_us(b);
	}
	for (i = 0; i < ws.n; i++) {
		reset_stall(b);
		runtime_weight(b, "b500", i & 1 ? 3 : 7, &ws.us[i],
			       &ws.fsync_us[i]);
		ws.us[i] /= 1e3;
		ws.fsync_us[i] /= 1e3;
		pump_for(b, gap);
		ws.stall_us[i] = stall_us(b);
	}
	timed_rows(b, "lb_runtime_reload N=1000 M=65537 (parse, validate, "
		   "build, publish, wait, audit)", "reload_1000", &rl, 20);
	timed_rows(b, "lb_runtime_set weight N=1000 M=65537 (in process, "
		   "no socket)", "weight_1000", &ws, 3);
	timed_free(&rl);
	timed_free(&ws);
}

static void
bench_swaps(struct bench *b)
{
	double *with, *without, *pub, *sync_us, *swap_loop_us, mpps, secs;
	uint64_t drops0, rx0, t0, inserts0, loops0;
	unsigned int i, n, nw, nwo;
	char name[160];
	struct rte_mbuf *m;

	b->n_swaps = (unsigned int)(b->o.seconds * 1000 / SWAP_PERIOD_MS);
	if (b->n_swaps < 1)
		b->n_swaps = 1;
	n = b->n_swaps;
	printf("== config swaps under load (worker lcore 1, net_ring, "
	       "%u frames circulating, %u swaps, one every %u ms)\n",
	       b->o.inflight, n, SWAP_PERIOD_MS);
	b->publish_us = calloc(n, sizeof(*b->publish_us));
	b->fsync_us = calloc(n, sizeof(*b->fsync_us));
	with = calloc(n, sizeof(*with));
	without = calloc(n, sizeof(*without));
	pub = calloc(n, sizeof(*pub));
	sync_us = calloc(n, sizeof(*sync_us));
	swap_loop_us = calloc(n, sizeof(*swap_loop_us));
	if (b->publish_us == NULL || b->fsync_us == NULL || with == NULL ||
	    without == NULL || pub == NULL || sync_us == NULL ||
	    swap_loop_us == NULL)
		rte_exit(EXIT_FAILURE, "out of memory\n");
	port_setup(b);
	dataplane_setup(b);
	if (rte_eal_remote_launch(lb_dp_worker_main, b->w, 1) != 0)
		rte_exit(EXIT_FAILURE, "cannot launch the worker on lcore 1\n");
	for (i = 0; i < b->o.inflight; i++) {
		m = udp_frame(b, i);
		if (rte_ring_sp_enqueue(b->rx, m) != 0)
			rte_exit(EXIT_FAILURE, "RX ring full\n");
		b->sent++;
	}
	pump_for(b, b->hz / 2);         /* warm-up: flows established */
	drops0 = worker_drops(b->w);
	rx0 = b->w->stats.port[0].rx_packets;
	inserts0 = b->w->stats.flow.inserts;
	loops0 = b->w->stats.loops;
	t0 = rte_rdtsc();
	measure_windows(b, with, without, sync_us, swap_loop_us);
	secs = (double)(rte_rdtsc() - t0) / b->hz;
	loops0 = b->w->stats.loops - loops0;
	mpps = (double)(b->w->stats.port[0].rx_packets - rx0) / secs / 1e6;
	drops0 = worker_drops(b->w) - drops0;
	inserts0 = b->w->stats.flow.inserts - inserts0;

	memcpy(pub, b->publish_us, n * sizeof(*pub));
	snprintf(name, sizeof(name), "lb_runtime_set weight, N=%u M=65537 "
		 "(build, publish, RCU wait, audit), 1 worker at %.2f Mpps: "
		 "median of %u", N_BACKENDS, mpps, n);
	row(b, name, quantile(pub, n, 0.5), "us", NULL, -1);
	snprintf(name, sizeof(name), "lb_runtime_set weight N=%u: 90th "
		 "percentile", N_BACKENDS);
	row(b, name, quantile(pub, n, 0.9), "us", NULL, -1);
	snprintf(name, sizeof(name), "lb_runtime_set weight N=%u: max of %u",
		 N_BACKENDS, n);
	row(b, name, pub[n - 1], "us", NULL, -1);
	memcpy(pub, b->fsync_us, n * sizeof(*pub));
	snprintf(name, sizeof(name), "lb_runtime_set weight N=%u: of which "
		 "audit fsync, median", N_BACKENDS);
	row(b, name, quantile(pub, n, 0.5), "us", NULL, -1);
	json_object_set_new(b->details, "rcu_wait_alone_us",
			    json_doubles(sync_us, n));
	snprintf(name, sizeof(name), "RCU wait alone (no publish), same load: "
		 "median of %u", n);
	row(b, name, quantile(sync_us, n, 0.5), "us", NULL, -1);
	json_object_set_new(b->details, "swap", json_pack(
		"{s:I, s:I, s:I, s:f, s:f, s:I, s:I, s:I, s:I, s:o, s:o, s:o}",
		"inflight", (json_int_t)b->o.inflight,
		"swap_period_ms", (json_int_t)SWAP_PERIOD_MS,
		"swaps", (json_int_t)n, "seconds", secs, "mpps", mpps,
		"sent", (json_int_t)b->sent,
		"received", (json_int_t)b->received,
		"worker_drops_measured", (json_int_t)drops0,
		"new_flows_measured", (json_int_t)inserts0,
		"runtime_set_us", json_doubles(b->publish_us, n),
		"fsync_us", json_doubles(b->fsync_us, n),
		"loop_max_us_with_swap", json_doubles(with, n),
		"loop_max_us_without_swap", json_doubles(without, n)));
	json_object_set_new(b->details, "swap_loop_us",
			    json_doubles(swap_loop_us, n));
	swap_loop_rows(b, swap_loop_us, nonzero(swap_loop_us, n),
		       secs * 1e6 / (double)(loops0 > 0 ? loops0 : 1));
	nw = nonzero(with, n);
	nwo = nonzero(without, n);
	window_rows(b, "with a swap", with, nw);
	window_rows(b, "without a swap", without, nwo);
	row(b, "worker drops while swapping", (double)drops0, "packets", "0",
	    drops0 == 0);

	/* the worker still runs and is fed: N = 1000 */
	drops0 = worker_drops(b->w);
	bench_big(b);
	drain(b);
	b->dp->stop = 1;
	rte_eal_wait_lcore(1);
	drops0 = worker_drops(b->w) - drops0;
	printf("== frames across the whole run\n");
	snprintf(name, sizeof(name), "frames sent to the worker (swaps: "
		 "%.1f s, %" PRIu64 " new flows; then N=1000)", secs,
		 inserts0);
	row(b, name, (double)b->sent, "packets", NULL, -1);
	row(b, "frames received back", (double)b->received, "packets", NULL,
	    -1);
	row(b, "frames lost (sent - received), whole run incl. swaps, "
	    "reloads and sets", (double)(b->sent - b->received), "packets",
	    "0", b->sent == b->received);
	row(b, "worker drops during the reloads and sets at N=1000",
	    (double)drops0, "packets", "0", drops0 == 0);

	lb_runtime_destroy(b->rt);
	lb_dp_free(b->dp);
	free(b->publish_us);
	free(b->fsync_us);
	free(with);
	free(without);
	free(pub);
	free(sync_us);
	free(swap_loop_us);
	unlink(b->ini);
	unlink(b->big[0]);
	unlink(b->big[1]);
	snprintf(name, sizeof(name), "%s/audit.log", b->dir);
	unlink(name);
	rmdir(b->dir);
	rte_eth_dev_stop(b->port);
	rte_eth_dev_close(b->port);
}

static void
usage(void)
{
	fprintf(stderr, "usage: bench_ctl EAL_ARGS -- [--json FILE] "
		"[--seconds S] [--repeats R] [--inflight K] [--reloads N] "
		"[--quick]\n");
	exit(2);
}

static void
parse_opts(struct opts *o, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "json", 1, NULL, 'j' }, { "seconds", 1, NULL, 's' },
		{ "repeats", 1, NULL, 'r' },
		{ "inflight", 1, NULL, 'i' }, { "quick", 0, NULL, 'q' },
		{ "reloads", 1, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	o->seconds = 3.0;
	o->repeats = 31;
	o->inflight = 2048;
	o->reloads = 50;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'j': o->json = optarg; break;
		case 's': o->seconds = atof(optarg); break;
		case 'r': o->repeats = atoi(optarg); break;
		case 'i': o->inflight = atoi(optarg); break;
		case 'n': o->reloads = atoi(optarg); break;
		case 'q':
			o->seconds = 0.5;
			o->repeats = 5;
			o->reloads = 10;
			break;
		default: usage();
		}
	}
	if (o->seconds <= 0 || o->seconds > 600 || o->repeats < 1 ||
	    o->reloads < 1 || o->inflight < 1 ||
	    o->inflight > RING_SIZE - 2 * LB_DP_BURST)
		usage();
}

int
main(int argc, char **argv)
{
	struct bench b = { 0 };
	json_t *root;
	int n;

	n = rte_eal_init(argc, argv);
	if (n < 0)
		rte_exit(EXIT_FAILURE, "EAL init: %s\n", rte_strerror(rte_errno));
	parse_opts(&b.o, argc - n, argv + n);
	if (rte_lcore_count() < 2 || !rte_lcore_is_enabled(1) ||
	    rte_get_main_lcore() == 1)
		rte_exit(EXIT_FAILURE, "needs lcore 1 as a worker "
			 "(e.g. --lcores=0@0,1@1)\n");
	b.hz = rte_get_tsc_hz();
	b.rows = json_array();
	b.details = json_object();
	bench_maglev(&b);
	bench_flow_memory(&b);
	bench_swaps(&b);
	root = json_pack("{s:s, s:I, s:b, s:o, s:o}", "part", "ctl",
			 "tsc_hz", (json_int_t)b.hz,
			 "hugepages", rte_eal_has_hugepages(), "rows", b.rows,
			 "details", b.details);
	if (b.o.json != NULL && json_dump_file(root, b.o.json,
					       JSON_INDENT(1)) != 0) {
		fprintf(stderr, "bench_ctl: cannot write %s\n", b.o.json);
		return 1;
	}
	json_decref(root);
	rte_eal_cleanup();
	return 0;
}
