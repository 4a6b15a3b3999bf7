/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lb_mgmt_execute: every command's JSON shape and values against a
 * hand-built configuration, hand-filled per-worker counters and two fake
 * workers (a thread that answers the workers' request rings the way
 * workers do, from a list of flows each one "holds").
 */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <rte_eal.h>
#include <rte_ring.h>

#include "test_json.h"
#include "lb_mgmt.h"
#include "mgmt_priv.h"

#define N_WORKERS 2
#define MAX_HELD 1500
#define MAX_STALLED 8

/* ---- the configuration: 1 port, 2 VIPs, 3 pools, 5 backends ---- */

/* Backends, pools and VIPs by name; *_idx[] gives their config index. */
enum { B_A, B_B, B_C, B_D, B_E, N_BACKENDS };
enum { P_WEB, P_DNS, P_SPARE, N_POOLS };
enum { V_WEB, V_DNS, N_VIPS };

static const char ini[] =
	"[global]\nsocket = /tmp/ut-mgmt-unused.sock\nworkers = 2\n"
	"eal_args = \"--no-huge\"\nflow_table_size = 1024\n"
	"idle_sleep_us = 0\n"
	"[port.lan]\ndevice = net_null0\naddress = 10.0.0.2/24\n"
	"gateway = 10.0.0.1\n"
	"[vip.web]\naddress = 10.0.0.100\nport = 80\nprotocol = tcp\n"
	"mode = dr\npool = webpool\n"
	"[vip.dns]\naddress = 10.0.0.53\nport = 53\nprotocol = udp\n"
	"mode = dr\npool = dnspool\n"
	"[pool.webpool]\nscheduler = maglev\ntable_size = 251\n"
	"[pool.dnspool]\nscheduler = maglev\ntable_size = 251\n"
	"[pool.spare]\nscheduler = maglev\ntable_size = 251\n"
	"[backend.a]\npool = webpool\naddress = 10.0.0.11\nweight = 1\n"
	"[backend.b]\npool = webpool\naddress = 10.0.0.12\nweight = 2\n"
	"[backend.c]\npool = webpool\naddress = 10.0.0.13\nweight = 3\n"
	"[backend.d]\npool = dnspool\naddress = 10.0.0.14\n"
	"admin_state = drained\n"
	"[backend.e]\npool = spare\naddress = 10.0.0.15\nweight = 5\n";

static char ini_path[64];
static struct lb_config *cfg;
static uint32_t be_idx[N_BACKENDS], pool_idx[N_POOLS], vip_idx[N_VIPS];
static struct lb_neigh_table *nt;
static struct lb_dp dp;
static struct lb_snapshot snap;
static struct lb_mgmt_ctx ctx;

/* ---- fake workers ---- */

struct fake {
	struct lb_dp_flow_info held[MAX_HELD];
	unsigned int n_held;
	int mute;
	unsigned int n_requests;
	uint32_t last_n;
	/* Self-test: 1 + the backend index this worker sends tuples whose
	 * source port is a multiple of 4 to (a table of its own); 0: none. */
	uint32_t skew;
};

static struct fake fake[N_WORKERS];
/* Requests a mute worker kept, unanswered until a test answers them. */
static struct lb_dp_request *stalled[MAX_STALLED];
static unsigned int n_stalled;
static pthread_t fake_thread;
static int fake_stop;

static uint32_t
ip(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

/* Tuple @p i's backend index as a worker picks it, skewed or not. */
static int
fake_pick(const struct fake *f, const struct lb_dp_selftest *st, uint32_t i)
{
	const struct lb_config *c = snap.cfg;
	struct lb_flow_key k;
	uint32_t b;

	lb_dp_selftest_tuple(st->seed, i, &c->vips[st->vip], &k);
	if (f->skew != 0 && ntohs(k.src_port) % 4 == 0)
		return (int)f->skew - 1;
	return lb_dp_new_flow_backend(c, st->vip, &k, &b) < 0 ? -1 : (int)b;
}

/* A self-test as a worker answers it (query.c), in one go. */
static void
fake_selftest(const struct fake *f, struct lb_dp_selftest *st)
{
	uint32_t i;
	uint16_t id;
	int b;

	if (snap.generation != st->generation) {
		st->stale = 1;
		return;
	}
	for (i = 0; i < st->flows; i++) {
		b = fake_pick(f, st, i);
		id = b < 0 ? LB_ID_NONE : snap.cfg->backends[b].id;
		st->choice[i] = id;
		st->count[b < 0 ? LB_MAX_BACKENDS : id]++;
	}
	st->done = st->flows;
}

static void
fake_serve(struct fake *f, struct lb_dp_request *r)
{
	uint32_t j, h;

	f->n_requests++;
	r->n_out = 0;
	if (r->type == LB_DP_REQ_LOOKUP) {
		f->last_n = r->n;
		for (j = 0; j < r->n; j++) {
			memset(&r->out[j], 0, sizeof(r->out[j]));
			r->out[j].key = r->keys[j];
			for (h = 0; h < f->n_held; h++)
				if (memcmp(&f->held[h].key, &r->keys[j],
					   sizeof(r->keys[j])) == 0)
					r->out[j] = f->held[h];
		}
		r->n_out = r->n;
	} else if (r->type == LB_DP_REQ_SELFTEST) {
		fake_selftest(f, r->selftest);
	} else {
		/* A page from slot pos, as a worker walks its table. */
		for (h = r->pos; h < f->n_held && r->n_out < r->max; h++)
			r->out[r->n_out++] = f->held[h];
		r->pos = h;
		r->end = h >= f->n_held;
	}
}

static void *
fake_main(void *arg)
{
	struct lb_dp_request *r;
	unsigned int i;

	(void)arg;
	while (!__atomic_load_n(&fake_stop, __ATOMIC_ACQUIRE)) {
		for (i = 0; i < N_WORKERS; i++) {
			if (rte_ring_dequeue(dp.workers[i]->requests,
					     (void **)&r) != 0)
				continue;
			if (fake[i].mute) {
				if (n_stalled < MAX_STALLED)
					stalled[n_stalled++] = r;
				continue;
			}
			fake_serve(&fake[i], r);
			__atomic_store_n(&r->done, 1, __ATOMIC_RELEASE);
		}
		usleep(50);
	}
	return NULL;
}

static void
hold(unsigned int w, uint8_t proto, const char *src, uint16_t sport,
     const char *dst, uint16_t dport, uint32_t backend, uint16_t vip)
{
	struct lb_dp_flow_info *f = &fake[w].held[fake[w].n_held++];

	memset(f, 0, sizeof(*f));
	f->key.proto = proto;
	f->key.src_addr = ip(src);
	f->key.dst_addr = ip(dst);
	f->key.src_port = htons(sport);
	f->key.dst_port = htons(dport);
	f->found = 1;
	f->backend = be_idx[backend];
	f->vip = (uint16_t)vip_idx[vip];
	f->state = proto == IPPROTO_TCP ? LB_FLOW_TCP_EST : LB_FLOW_UDP;
	f->idle_ms = 1000 * (w + 1) + fake[w].n_held;
	dp.workers[w]->stats.flow.entries = fake[w].n_held;
}

/* ---- fixture ---- */

static uint32_t
index_of(const char *name, const void *arr, size_t stride, uint32_t n)
{
	uint32_t i;

	for (i = 0; i < n; i++)
		if (strcmp((const char *)arr + i * stride, name) == 0)
			return i;
	fail_msg("%s not in the configuration", name);
	return 0;
}

static int
load_config(void)
{
	static const char *const bn[] = { "a", "b", "c", "d", "e" };
	static const char *const pn[] = { "webpool", "dnspool", "spare" };
	static const char *const vn[] = { "web", "dns" };
	struct lb_config_error err;
	unsigned int i;
	FILE *f;
	int fd;

	snprintf(ini_path, sizeof(ini_path), "/tmp/ut-mgmt-XXXXXX.ini");
	fd = mkstemps(ini_path, 4);
	f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (f == NULL || fputs(ini, f) < 0 || fclose(f) != 0)
		return -1;
	cfg = lb_config_parse(ini_path, &err);
	if (cfg == NULL) {
		fprintf(stderr, "%s\n", err.msg);
		return -1;
	}
	for (i = 0; i < N_BACKENDS; i++)
		be_idx[i] = index_of(bn[i], cfg->backends,
				     sizeof(cfg->backends[0]), cfg->n_backends);
	for (i = 0; i < N_POOLS; i++)
		pool_idx[i] = index_of(pn[i], cfg->pools, sizeof(cfg->pools[0]),
				       cfg->n_pools);
	for (i = 0; i < N_VIPS; i++)
		vip_idx[i] = index_of(vn[i], cfg->vips, sizeof(cfg->vips[0]),
				      cfg->n_vips);
	return 0;
}

/* Every neighbour resolved but backend e's: its MAC is unknown. */
static int
build_neigh(void)
{
	uint32_t i;

	nt = calloc(1, sizeof(*nt) + cfg->n_neighs * sizeof(nt->e[0]));
	if (nt == NULL)
		return -1;
	nt->n = cfg->n_neighs;
	for (i = 0; i < nt->n; i++) {
		nt->e[i].valid = i != cfg->backends[be_idx[B_E]].neigh;
		nt->e[i].mac.addr_bytes[0] = 0x02;
		nt->e[i].mac.addr_bytes[5] = (uint8_t)(0x10 + i);
	}
	return 0;
}

static int
group_setup(void **state)
{
	char *argv[] = { "test_commands", "--no-huge", "-m", "128",
			 "--no-pci", "--no-shconf", "--file-prefix=ut-mgmt",
			 "--log-level=error", NULL };
	char name[32];
	unsigned int i;

	(void)state;
	if (rte_eal_init(8, argv) < 0)
		return -1;
	if (load_config() < 0 || build_neigh() < 0)
		return -1;
	snap = (struct lb_snapshot){ .cfg = cfg, .neigh = nt,
				     .generation = 7, .seq = 7 };
	dp.snap = &snap;
	dp.n_ports = 1;
	dp.ports[0].port_id = 3;
	dp.ports[0].mac = (struct rte_ether_addr){
		.addr_bytes = { 0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0x0e } };
	dp.n_workers = N_WORKERS;
	for (i = 0; i < N_WORKERS; i++) {
		struct lb_worker *w = aligned_alloc(RTE_CACHE_LINE_SIZE,
						    sizeof(*w));

		if (w == NULL)
			return -1;
		memset(w, 0, sizeof(*w));
		w->dp = &dp;
		w->index = i;
		w->lcore = 3 + 2 * i;
		snprintf(name, sizeof(name), "ut_mgmt_req%u", i);
		w->requests = rte_ring_create(name, 64, SOCKET_ID_ANY, 0);
		if (w->requests == NULL)
			return -1;
		dp.workers[i] = w;
	}
	ctx.dp = &dp;
	ctx.start_time = time(NULL) - 42;
	ctx.version = "9.8.7";
	return pthread_create(&fake_thread, NULL, fake_main, NULL) == 0 ? 0 : -1;
}

static int
group_teardown(void **state)
{
	unsigned int i;

	(void)state;
	__atomic_store_n(&fake_stop, 1, __ATOMIC_RELEASE);
	pthread_join(fake_thread, NULL);
	for (i = 0; i < N_WORKERS; i++) {
		rte_ring_free(dp.workers[i]->requests);
		free(dp.workers[i]);
	}
	lb_config_free(cfg);
	unlink(ini_path);
	free(nt);
	rte_eal_cleanup();
	return 0;
}

/* Each test starts with zero counters, no flows and talking workers. */
static int
test_setup(void **state)
{
	unsigned int i;

	(void)state;
	for (i = 0; i < N_WORKERS; i++) {
		memset(&dp.workers[i]->stats, 0, sizeof(dp.workers[i]->stats));
		memset(&fake[i], 0, sizeof(fake[i]));
	}
	snap.cfg = cfg;
	snap.neigh = nt;
	dp.snap = &snap;
	return 0;
}

/* ---- helpers ---- */

static json_t *
run(const char *req)
{
	json_t *a = lb_mgmt_execute(&ctx, NULL, req, strlen(req));
	char *text;

	assert_non_null(a);
	/* Whatever the answer, it must serialise (valid UTF-8 and all). */
	text = json_dumps(a, JSON_COMPACT);
	assert_non_null(text);
	free(text);
	return a;
}

static void
assert_error(const char *req, const char *needle)
{
	json_t *a = run(req);
	const char *msg;

	if (!json_is_object(a) || json_object_get(a, "error") == NULL)
		fail_msg("no error for \"%s\"", req);
	msg = gets(a, "error");
	if (strstr(msg, needle) == NULL)
		fail_msg("error \"%s\" lacks \"%s\"", msg, needle);
	json_decref(a);
}

/* ---- help, status ---- */

static void
test_help_lists_every_command(void **state)
{
	static const char *const names[] = { "help", "status", "stats",
		"backends", "flows", "lookup" };
	json_t *a = run("help\n"), *list = json_object_get(a, "commands");
	size_t i, j, found = 0;
	json_t *c;

	(void)state;
	assert_true(json_is_array(list));
	json_array_foreach(list, i, c) {
		assert_non_null(strstr(gets(c, "usage"), gets(c, "name")));
		assert_true(strlen(gets(c, "summary")) > 0);
		for (j = 0; j < RTE_DIM(names); j++)
			found += strcmp(gets(c, "name"), names[j]) == 0;
	}
	assert_int_equal(found, RTE_DIM(names));
	json_decref(a);
}

/* Two-word commands are matched on both words; without [bgp] each says
 * so, and "bgp" takes no other word. */
static void
test_bgp_commands_without_bgp(void **state)
{
	json_t *a = run("help"), *c;
	size_t i, found = 0;

	(void)state;
	json_array_foreach(json_object_get(a, "commands"), i, c)
		found += (strcmp(gets(c, "name"), "bgp withdraw") == 0 ||
			  strcmp(gets(c, "name"), "bgp announce") == 0) &&
			 json_is_true(json_object_get(c, "changes_state"));
	json_decref(a);
	assert_int_equal(found, 2);
	assert_error("bgp", "no [bgp] section");
	assert_error("bgp status", "usage: bgp | bgp withdraw | bgp announce");
	assert_error("bgpx", "unknown command");
}

static void
test_status_reports_config_ports_and_neighbours(void **state)
{
	json_t *a = run("status"), *p, *n, *w, *na, *ne, *ng;
	char mac[32];
	int gw = 0;
	size_t i;

	(void)state;
	assert_string_equal(gets(a, "version"), "9.8.7");
	assert_int_equal(geti(a, "pid"), getpid());
	assert_true(geti(a, "uptime_s") >= 42 && geti(a, "uptime_s") < 100);
	assert_string_equal(gets(a, "config"), ini_path);
	assert_int_equal(geti(a, "generation"), 7);
	w = json_object_get(a, "workers");
	assert_int_equal(json_array_size(w), 2);
	assert_int_equal(json_integer_value(json_array_get(w, 0)), 3);
	assert_int_equal(json_integer_value(json_array_get(w, 1)), 5);
	assert_int_equal(geti(a, "vips"), 2);
	assert_int_equal(geti(a, "backends"), 5);
	assert_int_equal(json_array_size(json_object_get(a, "ports")), 1);
	p = json_array_get(json_object_get(a, "ports"), 0);
	assert_string_equal(gets(p, "name"), "lan");
	assert_string_equal(gets(p, "device"), "net_null0");
	assert_int_equal(geti(p, "port_id"), 3);
	assert_string_equal(gets(p, "mac"), "02:aa:bb:cc:dd:0e");
	assert_string_equal(gets(p, "address"), "10.0.0.2/24");
	assert_string_equal(gets(p, "gateway"), "10.0.0.1");
	/* no kernel exception path in this context */
	assert_true(json_is_null(json_object_get(p, "kernel_interface")));
	assert_true(json_is_null(json_object_get(p, "kernel_ifindex")));
	n = json_object_get(a, "neighbours");
	assert_int_equal(json_array_size(n), cfg->n_neighs);
	/* Every backend and the gateway need a MAC. */
	assert_int_equal(cfg->n_neighs, N_BACKENDS + 1);
	na = json_array_get(n, cfg->backends[be_idx[B_A]].neigh);
	assert_string_equal(gets(na, "address"), "10.0.0.11");
	assert_string_equal(gets(na, "port"), "lan");
	snprintf(mac, sizeof(mac), "02:00:00:00:00:%02x",
		 0x10 + cfg->backends[be_idx[B_A]].neigh);
	assert_string_equal(gets(na, "mac"), mac);
	assert_true(json_is_true(json_object_get(na, "resolved")));
	ne = json_array_get(n, cfg->backends[be_idx[B_E]].neigh);
	assert_string_equal(gets(ne, "address"), "10.0.0.15");
	assert_true(json_is_null(json_object_get(ne, "mac")));
	assert_true(json_is_false(json_object_get(ne, "resolved")));
	json_array_foreach(n, i, ng)
		gw += strcmp(gets(ng, "address"), "10.0.0.1") == 0;
	assert_int_equal(gw, 1);
	/* each pool's live table, named by its fingerprint */
	p = json_object_get(a, "pools");
	assert_int_equal(json_array_size(p), cfg->n_pools);
	json_array_foreach(p, i, ng) {
		char fp[20];

		assert_string_equal(gets(ng, "name"), cfg->pools[i].name);
		assert_int_equal(geti(ng, "table_size"),
				 cfg->pools[i].table_size);
		assert_string_equal(gets(ng, "fingerprint"),
				    lb_config_fingerprint_hex(cfg, i, fp,
							      sizeof(fp)));
	}
	json_decref(a);
}

static void
test_status_without_gateway_or_neigh_table(void **state)
{
	json_t *a, *n, *p;
	size_t i;

	(void)state;
	cfg->ports[0].gateway = 0;
	snap.neigh = NULL;
	a = run("status");
	cfg->ports[0].gateway = ip("10.0.0.1");
	p = json_array_get(json_object_get(a, "ports"), 0);
	assert_true(json_is_null(json_object_get(p, "gateway")));
	json_array_foreach(json_object_get(a, "neighbours"), i, n) {
		assert_true(json_is_null(json_object_get(n, "mac")));
		assert_true(json_is_false(json_object_get(n, "resolved")));
	}
	json_decref(a);
}

static void
test_no_config_gives_error(void **state)
{
	(void)state;
	dp.snap = NULL;
	assert_error("status", "no configuration");
	assert_error("stats", "no configuration");
	assert_error("backends", "no configuration");
	assert_error("lookup tcp 1.2.3.4 5 10.0.0.100 80", "no configuration");
}

/* ---- stats ---- */

/* Distinct values per worker, so a sum that skips one is caught. */
static void
fill_stats(void)
{
	unsigned int k;

	for (k = 0; k < N_WORKERS; k++) {
		struct lb_worker_stats *s = &dp.workers[k]->stats;

		s->loops = 1000 + k;
		s->idle_loops = 500 + k;
		s->port[0].rx_packets = 100 + k;
		s->port[0].rx_bytes = 10000 * (k + 1);
		s->port[0].tx_packets = 90 + k;
		s->port[0].tx_bytes = 9000 * (k + 1);
		s->port[0].arp_replies = 2 + k;
		s->port[0].icmp_echo_replies = 4 * k;
		s->port[0].ctl_to_mgmt = 1;
		s->port[0].to_kernel = 3 + k;
		s->port[0].drops[LB_DROP_ipv4_checksum] = 3 + k;
		s->port[0].drops[LB_DROP_no_vip] = 5 * k;
		s->vip[0].packets = 80 + k;
		s->vip[0].bytes = 8000 + k;
		s->vip[0].new_flows = 10 * (k + 1);
		s->vip[1].new_flows = 1;
		s->backend[be_idx[B_A]].new_flows = 1 + 3 * k;
		s->backend[be_idx[B_B]].new_flows = 2 + 3 * k;
		s->backend[be_idx[B_C]].new_flows = 3 + 3 * k;
		s->backend[be_idx[B_A]].packets = 7;
		s->backend[be_idx[B_C]].bytes = 700 * (k + 1);
		s->flow.entries = 20 + k;
		s->flow.lookups = 300 + k;
		s->flow.hits = 200;
		s->flow.misses = 100 + k;
		s->flow.inserts = 99;
		s->flow.fallbacks = 1 + k;
		s->flow.expiries = 50;
		s->flow.reschedules = k;
	}
}

static void
assert_totals(const json_t *t)
{
	assert_int_equal(geti(t, "rx_packets"), 100 + 101);
	assert_int_equal(geti(t, "tx_packets"), 90 + 91);
	assert_int_equal(geti(t, "new_flows"), (10 + 1) + (20 + 1));
	assert_int_equal(geti(t, "drops"), (3 + 0) + (4 + 5));
}

static void
test_stats_sums_counters_over_workers(void **state)
{
	json_t *a, *p, *d, *v, *f;
	unsigned int r;

	(void)state;
	fill_stats();
	a = run("stats");
	assert_int_equal(json_array_size(json_object_get(a, "ports")), 1);
	p = json_array_get(json_object_get(a, "ports"), 0);
	assert_string_equal(gets(p, "name"), "lan");
	assert_int_equal(geti(p, "rx_packets"), 201);
	assert_int_equal(geti(p, "rx_bytes"), 30000);
	assert_int_equal(geti(p, "tx_packets"), 181);
	assert_int_equal(geti(p, "tx_bytes"), 27000);
	assert_int_equal(geti(p, "arp_replies"), 5);
	assert_int_equal(geti(p, "icmp_echo_replies"), 4);
	assert_int_equal(geti(p, "ctl_to_mgmt"), 2);
	assert_int_equal(geti(p, "to_kernel"), 7);
	/* management's side of the kernel path: every key, zero here */
	assert_int_equal(geti(p, "kernel_tx_packets"), 0);
	assert_int_equal(geti(p, "from_kernel_ring_full"), 0);
	assert_int_equal(geti(json_object_get(a, "kernel"), "wakeups"), 0);
	d = json_object_get(p, "drops");
	assert_int_equal(json_object_size(d), LB_DROP_MAX);
	for (r = 0; r < LB_DROP_MAX; r++)
		assert_true(json_is_integer(json_object_get(d,
					    lb_drop_reason_name(r))));
	assert_int_equal(geti(d, "ipv4_checksum"), 7);
	assert_int_equal(geti(d, "no_vip"), 5);
	assert_int_equal(geti(d, "tx_full"), 0);
	assert_int_equal(json_array_size(json_object_get(a, "vips")), 2);
	v = json_array_get(json_object_get(a, "vips"), vip_idx[V_WEB]);
	assert_string_equal(gets(v, "name"), "web");
	assert_string_equal(gets(v, "protocol"), "tcp");
	assert_string_equal(gets(v, "address"), "10.0.0.100");
	assert_int_equal(geti(v, "port"), 80);
	assert_int_equal(geti(v, "packets"), 161);
	assert_int_equal(geti(v, "bytes"), 16001);
	assert_int_equal(geti(v, "new_flows"), 30);
	v = json_array_get(json_object_get(a, "vips"), vip_idx[V_DNS]);
	assert_string_equal(gets(v, "name"), "dns");
	assert_string_equal(gets(v, "protocol"), "udp");
	assert_int_equal(geti(v, "new_flows"), 2);
	f = json_object_get(a, "flows");
	assert_int_equal(geti(f, "entries"), 41);
	assert_int_equal(geti(f, "lookups"), 601);
	assert_int_equal(geti(f, "hits"), 400);
	assert_int_equal(geti(f, "misses"), 201);
	assert_int_equal(geti(f, "inserts"), 198);
	assert_int_equal(geti(f, "fallbacks"), 3);
	assert_int_equal(geti(f, "expiries"), 100);
	assert_int_equal(geti(f, "reschedules"), 1);
	assert_totals(json_object_get(a, "totals"));
	json_decref(a);
}

static void
test_stats_per_core_one_row_per_worker(void **state)
{
	json_t *a, *w, *d;
	unsigned int k;

	(void)state;
	fill_stats();
	a = run("stats --per-core");
	assert_int_equal(json_array_size(json_object_get(a, "workers")),
			 N_WORKERS);
	for (k = 0; k < N_WORKERS; k++) {
		w = json_array_get(json_object_get(a, "workers"), k);
		assert_int_equal(geti(w, "worker"), k);
		assert_int_equal(geti(w, "lcore"), 3 + 2 * k);
		assert_int_equal(geti(w, "rx_packets"), 100 + k);
		assert_int_equal(geti(w, "tx_packets"), 90 + k);
		assert_int_equal(geti(w, "new_flows"), 10 * (k + 1) + 1);
		assert_int_equal(geti(w, "flow_table_entries"), 20 + k);
		assert_int_equal(geti(w, "flow_table_capacity"), 0);
		assert_int_equal(geti(w, "loops"), 1000 + k);
		assert_int_equal(geti(w, "idle_loops"), 500 + k);
		assert_int_equal(geti(w, "misses"), 100 + k);
		assert_int_equal(geti(w, "fallbacks"), 1 + k);
		d = json_object_get(w, "drops");
		assert_int_equal(json_object_size(d), LB_DROP_MAX);
		assert_int_equal(geti(d, "ipv4_checksum"), 3 + k);
		assert_int_equal(geti(d, "no_vip"), 5 * k);
	}
	assert_totals(json_object_get(a, "totals"));
	json_decref(a);
}

/* --reset-max asks every worker to start its loop maxima over (root or
 * admin_group only); the answer shows them as they were. */
static void
test_stats_reset_max_asks_every_worker(void **state)
{
	const struct lb_mgmt_peer reader = { .uid = 1000, .gid = 1000 };
	unsigned int before[N_WORKERS], i, tries;
	json_t *a;

	(void)state;
	for (i = 0; i < N_WORKERS; i++)
		before[i] = __atomic_load_n(&fake[i].n_requests,
					    __ATOMIC_ACQUIRE);
	a = run("stats --per-core --reset-max");
	assert_int_equal(geti(a, "reset_max"), N_WORKERS);
	assert_int_equal(json_array_size(json_object_get(a, "workers")),
			 N_WORKERS);
	json_decref(a);
	for (i = 0; i < N_WORKERS; i++) {
		for (tries = 0; tries < 2000 &&
		     __atomic_load_n(&fake[i].n_requests, __ATOMIC_ACQUIRE) ==
		     before[i]; tries++)
			usleep(500);
		assert_int_equal(fake[i].n_requests, before[i] + 1);
	}
	a = lb_mgmt_execute(&ctx, &reader, "stats --per-core --reset-max", 28);
	assert_non_null(strstr(gets(a, "error"), "only root or members of admin_group"));
	json_decref(a);
	/* Answered, the requests are freed (LeakSanitizer says if not). */
	usleep(10 * 1000);
	assert_int_equal(mgmt_wq_reap(), 0);
}

/* ---- backends ---- */

static json_t *
backend_row(json_t *list, size_t i, const char *vip, const char *name)
{
	json_t *b = json_array_get(list, i);

	assert_non_null(b);
	if (vip == NULL)
		assert_true(json_is_null(json_object_get(b, "vip")));
	else
		assert_string_equal(gets(b, "vip"), vip);
	assert_string_equal(gets(b, "name"), name);
	return b;
}

static double
slot_share(uint32_t pool, uint32_t member)
{
	return (double)lb_sched_maglev_count(&cfg->pools[pool_idx[pool]].maglev,
					     member) /
	       cfg->pools[pool_idx[pool]].maglev.size;
}

static void
test_backends_shares_states_and_counters(void **state)
{
	json_t *a, *b;
	static const char *const names[] = { "a", "b", "c" };
	const uint64_t nf[] = { 1 + 4, 2 + 5, 3 + 6 };
	/* VIP by VIP in configuration order, then pools no VIP uses. */
	size_t web = vip_idx[V_WEB] < vip_idx[V_DNS] ? 0 : 1;
	size_t dns = vip_idx[V_DNS] < vip_idx[V_WEB] ? 0 : 3;
	unsigned int i;
	char fp[20];

	(void)state;
	fill_stats();
	a = run("backends");
	assert_true(json_is_array(a));
	assert_int_equal(json_array_size(a), 5);
	for (i = 0; i < 3; i++) {
		b = backend_row(a, web + i, "web", names[i]);
		assert_string_equal(gets(b, "pool"), "webpool");
		assert_string_equal(gets(b, "pool_fingerprint"),
				    lb_config_fingerprint_hex(cfg, pool_idx[0],
							      fp, sizeof(fp)));
		assert_int_equal(geti(b, "weight"), i + 1);
		assert_string_equal(gets(b, "state"), "up");
		assert_float_equal(json_real_value(json_object_get(b,
				   "expected_share")), slot_share(0, i), 1e-9);
		assert_int_equal(geti(b, "new_flows"), nf[i]);
		assert_float_equal(json_real_value(json_object_get(b,
				   "observed_share")), nf[i] / 21.0, 1e-9);
	}
	assert_string_equal(gets(json_array_get(a, web), "address"), "10.0.0.11");
	assert_int_equal(geti(json_array_get(a, web), "packets"), 14);
	assert_int_equal(geti(json_array_get(a, web + 2), "bytes"), 2100);
	/* Weights 1:2:3 must show in the table the workers use. */
	assert_true(slot_share(0, 0) < slot_share(0, 1) &&
		    slot_share(0, 1) < slot_share(0, 2));
	b = backend_row(a, dns, "dns", "d");
	assert_string_equal(gets(b, "state"), "drained");
	assert_float_equal(json_real_value(json_object_get(b,
			   "expected_share")), 0.0, 1e-12);
	assert_float_equal(json_real_value(json_object_get(b,
			   "observed_share")), 0.0, 1e-12);
	b = backend_row(a, 4, NULL, "e");
	assert_string_equal(gets(b, "pool"), "spare");
	assert_string_equal(gets(b, "state"), "unresolved");
	assert_float_equal(json_real_value(json_object_get(b,
			   "expected_share")), 1.0, 1e-12);
	json_decref(a);
}

static void
test_backends_unresolved_without_neigh_table(void **state)
{
	json_t *a, *b;
	size_t i;

	(void)state;
	snap.neigh = NULL;
	a = run("backends");
	json_array_foreach(a, i, b)
		assert_string_equal(gets(b, "state"),
				    strcmp(gets(b, "name"), "d") != 0 ?
				    "unresolved" : "drained");
	json_decref(a);
}

/* ---- flows ---- */

static void
test_flows_merges_workers(void **state)
{
	json_t *a, *f, *list;

	(void)state;
	hold(0, IPPROTO_TCP, "192.0.2.1", 40000, "10.0.0.100", 80, B_B, V_WEB);
	hold(1, IPPROTO_TCP, "192.0.2.2", 40001, "10.0.0.100", 80, B_C, V_WEB);
	hold(1, IPPROTO_UDP, "192.0.2.3", 5353, "10.0.0.53", 53, B_D, V_DNS);
	a = run("flows");
	list = json_object_get(a, "flows");
	assert_int_equal(json_array_size(list), 3);
	assert_int_equal(geti(a, "total"), 3);
	assert_true(json_is_false(json_object_get(a, "truncated")));
	f = json_array_get(list, 0);
	assert_int_equal(geti(f, "worker"), 0);
	assert_string_equal(gets(f, "protocol"), "tcp");
	assert_string_equal(gets(f, "src"), "192.0.2.1");
	assert_int_equal(geti(f, "src_port"), 40000);
	assert_string_equal(gets(f, "dst"), "10.0.0.100");
	assert_int_equal(geti(f, "dst_port"), 80);
	assert_string_equal(gets(f, "vip"), "web");
	assert_string_equal(gets(f, "backend"), "b");
	assert_string_equal(gets(f, "state"), "established");
	assert_int_equal(geti(f, "idle_ms"), 1001);
	f = json_array_get(list, 2);
	assert_int_equal(geti(f, "worker"), 1);
	assert_string_equal(gets(f, "protocol"), "udp");
	assert_string_equal(gets(f, "vip"), "dns");
	assert_string_equal(gets(f, "backend"), "d");
	assert_string_equal(gets(f, "state"), "udp");
	assert_int_equal(fake[0].n_requests, 1);
	assert_int_equal(fake[1].n_requests, 1);
	json_decref(a);
}

static void
test_flows_limit_truncates(void **state)
{
	json_t *a;

	(void)state;
	hold(0, IPPROTO_TCP, "192.0.2.1", 40000, "10.0.0.100", 80, B_A, V_WEB);
	hold(0, IPPROTO_TCP, "192.0.2.1", 40002, "10.0.0.100", 80, B_A, V_WEB);
	hold(1, IPPROTO_TCP, "192.0.2.2", 40001, "10.0.0.100", 80, B_C, V_WEB);
	a = run("flows --limit 2");
	assert_int_equal(json_array_size(json_object_get(a, "flows")), 2);
	assert_int_equal(geti(a, "total"), 3);
	assert_true(json_is_true(json_object_get(a, "truncated")));
	/* Worker 0's table ended: the next page starts at worker 1's. */
	assert_string_equal(gets(a, "next"), "1:0");
	json_decref(a);
}

/* Page after page from the cursor, every flow once, then next null. */
static void
test_flows_pages_follow_the_cursor(void **state)
{
	static const char *const want[] = { "0:2", "1:1", NULL };
	char req[64] = "flows --limit 2";
	unsigned int page, seen = 0;
	json_t *a, *f;
	size_t i;

	(void)state;
	hold(0, IPPROTO_TCP, "192.0.2.1", 1, "10.0.0.100", 80, B_A, V_WEB);
	hold(0, IPPROTO_TCP, "192.0.2.1", 2, "10.0.0.100", 80, B_A, V_WEB);
	hold(0, IPPROTO_TCP, "192.0.2.1", 3, "10.0.0.100", 80, B_A, V_WEB);
	hold(1, IPPROTO_TCP, "192.0.2.1", 4, "10.0.0.100", 80, B_B, V_WEB);
	hold(1, IPPROTO_TCP, "192.0.2.1", 5, "10.0.0.100", 80, B_B, V_WEB);
	for (page = 0; page < 3; page++) {
		a = run(req);
		json_array_foreach(json_object_get(a, "flows"), i, f)
			assert_int_equal(geti(f, "src_port"), (int)++seen);
		if (want[page] == NULL) {
			assert_true(json_is_null(json_object_get(a, "next")));
			assert_true(json_is_false(json_object_get(a,
								  "truncated")));
		} else {
			assert_string_equal(gets(a, "next"), want[page]);
			snprintf(req, sizeof(req), "flows --after %s --limit 2",
				 want[page]);
		}
		json_decref(a);
	}
	assert_int_equal(seen, 5);
}

/* However many flows, one answer lists a page of them at most. */
static void
test_flows_answer_is_one_page_at_most(void **state)
{
	unsigned int i;
	json_t *a;
	char *text;

	(void)state;
	for (i = 0; i < LB_MGMT_FLOWS_PAGE_MAX + 200; i++)
		hold(0, IPPROTO_TCP, "192.0.2.9", (uint16_t)(1000 + i),
		     "10.0.0.100", 80, B_C, V_WEB);
	a = run("flows --limit 1000");
	assert_int_equal(json_array_size(json_object_get(a, "flows")),
			 LB_MGMT_FLOWS_PAGE_MAX);
	assert_int_equal(geti(a, "total"), LB_MGMT_FLOWS_PAGE_MAX + 200);
	assert_string_equal(gets(a, "next"), "0:1000");
	text = json_dumps(a, JSON_COMPACT);
	printf("a page of %d flows: %zu bytes\n", LB_MGMT_FLOWS_PAGE_MAX,
	       strlen(text));
	assert_true(strlen(text) < 200 * LB_MGMT_FLOWS_PAGE_MAX);
	free(text);
	json_decref(a);
	a = run("flows --limit 1000 --after 0:1000");
	assert_int_equal(json_array_size(json_object_get(a, "flows")), 200);
	assert_true(json_is_null(json_object_get(a, "next")));
	json_decref(a);
}

static void
test_flows_bad_arguments_refused(void **state)
{
	(void)state;
	assert_error("flows --limit 0", "usage: flows [--limit N] [--after CURSOR]");
	assert_error("flows --limit 1001", "1..1000");
	assert_error("flows --limit 100000", "--after CURSOR gives the next");
	assert_error("flows --limit -5", "bad limit");
	assert_error("flows --limit 12x", "bad limit");
	assert_error("flows --limit", "usage: flows");
	assert_error("flows 10", "usage: flows");
	assert_error("flows --limit 5 --limit 6", "usage: flows");
	assert_error("flows --after 0:1 --after 0:2", "usage: flows");
	assert_error("flows --after 2:0", "bad cursor \"2:0\"");
	assert_error("flows --after 0", "bad cursor");
	assert_error("flows --after 0:", "bad cursor");
	assert_error("flows --after :5", "bad cursor");
	assert_error("flows --after 0:-1", "bad cursor");
	assert_error("flows --after 0:4294967296", "bad cursor");
	assert_error("flows --after 1x:0", "bad cursor");
}

/* ---- lookup ---- */

static struct lb_flow_key
key_of(uint8_t proto, const char *src, uint16_t sport, const char *dst,
       uint16_t dport)
{
	struct lb_flow_key k;

	memset(&k, 0, sizeof(k));
	k.proto = proto;
	k.src_addr = ip(src);
	k.dst_addr = ip(dst);
	k.src_port = htons(sport);
	k.dst_port = htons(dport);
	return k;
}

static const char *
maglev_choice(uint32_t pool, const struct lb_flow_key *k)
{
	const struct lb_pool_conf *p = &cfg->pools[pool_idx[pool]];
	uint16_t i = lb_sched_maglev_pick(&p->maglev,
		lb_flow_key_hash(&cfg->global.hash_key, k));

	assert_true(i < p->n_members);
	return cfg->backends[p->members[i]].name;
}

static void
test_lookup_scheduler_matches_maglev_pick(void **state)
{
	char req[128];
	unsigned int port, seen[N_BACKENDS] = { 0 };
	struct lb_flow_key k;
	json_t *a;

	(void)state;
	for (port = 1000; port < 1060; port++) {
		snprintf(req, sizeof(req), "lookup tcp 198.51.100.7 %u 10.0.0.100 80",
			 port);
		a = run(req);
		k = key_of(IPPROTO_TCP, "198.51.100.7", port, "10.0.0.100", 80);
		assert_string_equal(gets(a, "backend"), maglev_choice(0, &k));
		assert_string_equal(gets(a, "source"), "scheduler");
		assert_true(json_is_null(json_object_get(a, "worker")));
		assert_string_equal(gets(a, "vip"), "web");
		assert_string_equal(gets(a, "pool"), "webpool");
		assert_string_equal(gets(a, "protocol"), "tcp");
		assert_string_equal(gets(a, "src"), "198.51.100.7");
		assert_int_equal(geti(a, "src_port"), port);
		assert_string_equal(gets(a, "dst"), "10.0.0.100");
		assert_int_equal(geti(a, "dst_port"), 80);
		seen[gets(a, "backend")[0] - 'a']++;
		assert_non_null(strstr(gets(a, "backend_address"), "10.0.0.1"));
		json_decref(a);
	}
	/* Sixty flows over weights 1:2:3 reach more than one backend. */
	assert_true((seen[B_A] > 0) + (seen[B_B] > 0) + (seen[B_C] > 0) >= 2);
}

static void
test_lookup_flow_held_by_a_worker(void **state)
{
	struct lb_flow_key k = key_of(IPPROTO_TCP, "192.0.2.9", 5555,
				      "10.0.0.100", 80);
	const char *other;
	json_t *a;

	(void)state;
	/* A backend the scheduler would not pick: the flow entry wins. */
	other = strcmp(maglev_choice(0, &k), "a") == 0 ? "b" : "a";
	hold(1, IPPROTO_TCP, "192.0.2.9", 5555, "10.0.0.100", 80,
	     other[0] == 'a' ? B_A : B_B, V_WEB);
	a = run("lookup tcp 192.0.2.9 5555 10.0.0.100 80");
	assert_string_equal(gets(a, "source"), "flow");
	assert_int_equal(geti(a, "worker"), 1);
	assert_string_equal(gets(a, "backend"), other);
	assert_string_equal(gets(a, "backend_address"),
			    other[0] == 'a' ? "10.0.0.11" : "10.0.0.12");
	assert_string_equal(gets(a, "vip"), "web");
	assert_int_equal(fake[0].n_requests, 1);
	assert_int_equal(fake[1].n_requests, 1);
	json_decref(a);
}

static void
test_lookup_no_vip_is_an_error(void **state)
{
	json_t *a;

	(void)state;
	a = run("lookup tcp 192.0.2.9 5555 10.0.0.9 80");
	assert_string_equal(gets(a, "error"), "no VIP matches tcp 10.0.0.9:80");
	json_decref(a);
	/* Right address and port, wrong protocol. */
	assert_error("lookup udp 192.0.2.9 5555 10.0.0.100 80",
		     "no VIP matches udp 10.0.0.100:80");
}

static void
test_lookup_no_backend_with_weight(void **state)
{
	json_t *a;

	(void)state;
	a = run("lookup udp 192.0.2.9 5555 10.0.0.53 53");
	assert_null(json_object_get(a, "error"));
	assert_true(json_is_null(json_object_get(a, "backend")));
	assert_string_equal(gets(a, "source"), "scheduler");
	assert_string_equal(gets(a, "reason"), "no backend with weight > 0");
	assert_string_equal(gets(a, "vip"), "dns");
	json_decref(a);
}

static void
test_lookup_bad_arguments(void **state)
{
	(void)state;
	assert_error("lookup", "usage: lookup PROTO");
	assert_error("lookup tcp 1.2.3.4 5 10.0.0.100", "usage: lookup");
	assert_error("lookup tcp 1.2.3.4 5 10.0.0.100 80 9", "usage: lookup");
	assert_error("lookup icmp 1.2.3.4 5 10.0.0.100 80", "bad protocol");
	assert_error("lookup tcp 1.2.3 5 10.0.0.100 80", "bad address \"1.2.3\"");
	assert_error("lookup tcp 1.2.3.4 5 10.0.0.256 80", "bad address");
	assert_error("lookup tcp 1.2.3.4 65536 10.0.0.100 80", "bad port");
	assert_error("lookup tcp 1.2.3.4 5 10.0.0.100 -80", "bad port");
	assert_error("lookup tcp 1.2.3.4 0x10 10.0.0.100 80", "bad port");
	assert_error("lookup - extra", "usage: lookup");
}

static void
test_lookup_batch_keeps_order_and_reports_bad_lines(void **state)
{
	const char *req = "lookup -\n"
		"tcp 198.51.100.1 1001 10.0.0.100 80\n"
		"\n"
		"   \t\n"
		"tcp 198.51.100.2 nope 10.0.0.100 80\n"
		"udp 198.51.100.3 1003 10.0.0.53 53\r\n"
		"tcp 198.51.100.4 1004 10.0.0.99 80\n"
		"tcp 198.51.100.5 1005 10.0.0.100 80 extra\n"
		"tcp 198.51.100.6 1006 10.0.0.100 80";
	struct lb_flow_key k;
	json_t *a, *e;

	(void)state;
	hold(0, IPPROTO_UDP, "198.51.100.3", 1003, "10.0.0.53", 53, B_D, V_DNS);
	a = run(req);
	assert_true(json_is_array(a));
	assert_int_equal(json_array_size(a), 6);
	e = json_array_get(a, 0);
	k = key_of(IPPROTO_TCP, "198.51.100.1", 1001, "10.0.0.100", 80);
	assert_string_equal(gets(e, "src"), "198.51.100.1");
	assert_string_equal(gets(e, "backend"), maglev_choice(0, &k));
	e = json_array_get(a, 1);
	assert_non_null(strstr(gets(e, "error"), "bad port"));
	assert_int_equal(geti(e, "line"), 4);
	e = json_array_get(a, 2);
	assert_string_equal(gets(e, "source"), "flow");
	assert_int_equal(geti(e, "worker"), 0);
	assert_string_equal(gets(e, "backend"), "d");
	e = json_array_get(a, 3);
	assert_string_equal(gets(e, "error"), "no VIP matches tcp 10.0.0.99:80");
	assert_int_equal(geti(e, "line"), 6);
	e = json_array_get(a, 4);
	assert_non_null(strstr(gets(e, "error"), "expected PROTO"));
	assert_int_equal(geti(e, "line"), 7);
	e = json_array_get(a, 5);
	k = key_of(IPPROTO_TCP, "198.51.100.6", 1006, "10.0.0.100", 80);
	assert_int_equal(geti(e, "src_port"), 1006);
	assert_string_equal(gets(e, "backend"), maglev_choice(0, &k));
	json_decref(a);
}

static char *
batch_request(unsigned int n)
{
	size_t cap = 16 + (size_t)n * 48, len;
	char *req = malloc(cap);
	unsigned int i;

	assert_non_null(req);
	len = (size_t)snprintf(req, cap, "lookup -\n");
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(req + len, cap - len,
				"tcp 203.0.113.%u %u 10.0.0.100 80\n",
				i % 250 + 1, 10000 + i);
	return req;
}

static void
test_lookup_batch_asks_each_worker_once(void **state)
{
	char *req = batch_request(LB_MGMT_LOOKUP_MAX);
	struct lb_flow_key k;
	json_t *a, *e;
	size_t i;

	(void)state;
	a = run(req);
	free(req);
	assert_int_equal(json_array_size(a), LB_MGMT_LOOKUP_MAX);
	for (i = 0; i < N_WORKERS; i++) {
		assert_int_equal(fake[i].n_requests, 1);
		assert_int_equal(fake[i].last_n, LB_MGMT_LOOKUP_MAX);
	}
	json_array_foreach(a, i, e) {
		k = key_of(IPPROTO_TCP, gets(e, "src"), 10000 + i,
			   "10.0.0.100", 80);
		assert_int_equal(geti(e, "src_port"), 10000 + i);
		assert_string_equal(gets(e, "backend"), maglev_choice(0, &k));
	}
	json_decref(a);
}

static void
test_lookup_batch_over_max_refused(void **state)
{
	char *req = batch_request(LB_MGMT_LOOKUP_MAX + 1);
	json_t *a;

	(void)state;
	a = run(req);
	free(req);
	assert_true(json_is_object(a));
	assert_non_null(strstr(gets(a, "error"), "at most 1000"));
	assert_int_equal(fake[0].n_requests, 0);
	json_decref(a);
}

static void
test_lookup_batch_empty_body(void **state)
{
	json_t *a = run("lookup -\n\n\n");

	(void)state;
	assert_true(json_is_array(a));
	assert_int_equal(json_array_size(a), 0);
	json_decref(a);
}

/* ---- workers that do not answer ---- */

static void
test_silent_worker_gives_error(void **state)
{
	json_t *a;

	(void)state;
	fake[1].mute = 1;
	a = run("flows");
	assert_string_equal(gets(a, "error"), "worker 1 did not answer");
	json_decref(a);
	a = run("lookup -\ntcp 192.0.2.1 1 10.0.0.100 80\n");
	assert_string_equal(gets(a, "error"), "worker 1 did not answer");
	json_decref(a);
	fake[1].mute = 0;
	/* The next command is served again. */
	a = run("flows");
	assert_null(json_object_get(a, "error"));
	json_decref(a);
}

/* ---- the asynchronous path the server takes ---- */

static json_t *
poll_to_end(struct lb_mgmt_pending *p)
{
	json_t *a;
	int i;

	for (i = 0; i < 5000; i++) {
		a = lb_mgmt_pending_poll(p);
		if (a != NULL)
			return a;
		usleep(1000);
	}
	fail_msg("pending command never answered");
	return NULL;
}

static void
wait_requests(unsigned int n)
{
	unsigned int i, tries;

	for (tries = 0; tries < 2000; tries++) {
		for (i = 0; i < N_WORKERS; i++)
			if (__atomic_load_n(&fake[i].n_requests,
					    __ATOMIC_ACQUIRE) < n)
				break;
		if (i == N_WORKERS)
			break;
		usleep(500);
	}
	/* The fake sets done just after counting. */
	usleep(10 * 1000);
}

static void
test_start_worker_commands_answer_later(void **state)
{
	struct lb_mgmt_pending *p = (void *)1;
	json_t *a;

	(void)state;
	hold(1, IPPROTO_TCP, "192.0.2.2", 40001, "10.0.0.100", 80, B_C, V_WEB);
	a = lb_mgmt_start(&ctx, NULL, "status", 6, &p);
	assert_non_null(a);
	assert_null(p);
	json_decref(a);
	/* Bad arguments are answered at once, without asking anyone. */
	a = lb_mgmt_start(&ctx, NULL, "flows 7", 7, &p);
	assert_non_null(strstr(gets(a, "error"), "usage"));
	assert_null(p);
	json_decref(a);
	a = lb_mgmt_start(&ctx, NULL, "flows", 5, &p);
	assert_null(a);
	assert_non_null(p);
	a = poll_to_end(p);
	assert_int_equal(json_array_size(json_object_get(a, "flows")), 1);
	json_decref(a);
	a = lb_mgmt_start(&ctx, NULL, "lookup tcp 192.0.2.2 40001 10.0.0.100 80",
			  40, &p);
	assert_null(a);
	a = poll_to_end(p);
	assert_string_equal(gets(a, "source"), "flow");
	assert_int_equal(geti(a, "worker"), 1);
	json_decref(a);
}

/* Every worker answered: abandoning frees all (ASan checks for leaks). */
static void
test_abandon_after_answers_frees(void **state)
{
	struct lb_mgmt_pending *p;
	const char *req = "lookup -\ntcp 192.0.2.1 1 10.0.0.100 80\n";

	(void)state;
	assert_null(lb_mgmt_start(&ctx, NULL, req, strlen(req), &p));
	wait_requests(1);
	lb_mgmt_pending_abandon(p);
	assert_null(lb_mgmt_start(&ctx, NULL, "flows", 5, &p));
	wait_requests(2);
	lb_mgmt_pending_abandon(p);
	lb_mgmt_pending_abandon(NULL);
}

/*
 * A silent worker's request stays its own after the command is abandoned
 * (it may still write there): kept as an orphan, never freed nor reused,
 * until the worker answers; then the next reap frees it (ASan: no use
 * after free, LeakSanitizer: nothing lost).
 */
static void
test_abandoned_request_freed_once_answered(void **state)
{
	unsigned int before = n_stalled, tries, i;
	struct lb_mgmt_pending *p;
	json_t *a;

	(void)state;
	fake[1].mute = 1;
	assert_null(lb_mgmt_start(&ctx, NULL, "flows", 5, &p));
	/* Polled, the page goes on from worker 0 to the silent worker 1. */
	for (tries = 0; tries < 2000 &&
	     __atomic_load_n(&n_stalled, __ATOMIC_ACQUIRE) == before; tries++) {
		assert_null(lb_mgmt_pending_poll(p));
		usleep(500);
	}
	assert_true(n_stalled > before);
	lb_mgmt_pending_abandon(p);
	assert_true(mgmt_wq_reap() >= 1);
	fake[1].mute = 0;
	a = run("flows");
	assert_null(json_object_get(a, "error"));
	json_decref(a);
	/* The worker answers at last, every request it held. */
	for (i = 0; i < __atomic_load_n(&n_stalled, __ATOMIC_ACQUIRE); i++)
		__atomic_store_n(&stalled[i]->done, 1, __ATOMIC_RELEASE);
	assert_int_equal(mgmt_wq_reap(), 0);
}

static void
test_config_swapped_while_pending(void **state)
{
	struct lb_mgmt_pending *p;
	json_t *a;

	(void)state;
	assert_null(lb_mgmt_start(&ctx, NULL, "flows", 5, &p));
	snap.generation++;
	a = poll_to_end(p);
	snap.generation--;
	assert_non_null(strstr(gets(a, "error"), "configuration changed"));
	json_decref(a);
}

/* ---- selftest ---- */

/* The worker of @p v (an answer's "workers" entry) for backend @p name. */
static const json_t *
st_row(const json_t *w, const char *name)
{
	const json_t *b;
	size_t i;

	json_array_foreach(json_object_get(w, "backends"), i, b) {
		const json_t *n = json_object_get(b, "backend");

		if ((name == NULL && json_is_null(n)) ||
		    (name != NULL && json_is_string(n) &&
		     strcmp(json_string_value(n), name) == 0))
			return b;
	}
	fail_msg("no row for backend %s", name != NULL ? name : "(none)");
	return NULL;
}

/* Every worker's counts are exactly the tuples' choices, recounted here;
 * an empty pool's tuples all go nowhere, as its table says. */
static void
test_selftest_passes_on_every_vip(void **state)
{
	struct lb_dp_selftest st = { .seed = 42, .flows = 20000,
				     .vip = vip_idx[V_WEB] };
	const json_t *v, *w;
	uint32_t n[N_BACKENDS] = { 0 }, i, j, b;
	json_t *a;

	(void)state;
	for (i = 0; i < st.flows; i++) {
		b = (uint32_t)fake_pick(&fake[0], &st, i);
		n[b == be_idx[B_A] ? B_A : b == be_idx[B_B] ? B_B : B_C]++;
	}
	assert_int_equal(n[B_A] + n[B_B] + n[B_C], st.flows);
	a = run("selftest --flows 20000 --seed 42");
	assert_true(json_is_true(json_object_get(a, "passed")));
	assert_string_equal(gets(a, "result"), "passed");
	assert_int_equal(geti(a, "seed"), 42);
	assert_int_equal(geti(a, "flows"), 20000);
	assert_int_equal(geti(a, "workers"), N_WORKERS);
	assert_int_equal(geti(a, "generation"), 7);
	assert_int_equal(json_array_size(json_object_get(a, "failures")), 0);
	assert_int_equal(json_array_size(json_object_get(a, "vips")), 2);
	v = json_array_get(json_object_get(a, "vips"), 0);
	assert_string_equal(gets(v, "vip"), "web");
	for (j = 0; j < N_WORKERS; j++) {
		w = json_array_get(json_object_get(v, "workers"), j);
		assert_int_equal(geti(w, "flows"), 20000);
		assert_int_equal(geti(w, "disagreements"), 0);
		assert_int_equal(geti(st_row(w, "a"), "count"), n[B_A]);
		assert_int_equal(geti(st_row(w, "b"), "count"), n[B_B]);
		assert_int_equal(geti(st_row(w, "c"), "count"), n[B_C]);
		assert_int_equal(json_array_size(json_object_get(w, "backends")),
				 3);
	}
	/* dns: its only backend is drained, its table empty. */
	v = json_array_get(json_object_get(a, "vips"), 1);
	assert_string_equal(gets(v, "vip"), "dns");
	w = json_array_get(json_object_get(v, "workers"), 1);
	assert_int_equal(geti(st_row(w, NULL), "count"), 20000);
	assert_float_equal(json_real_value(json_object_get(st_row(w, NULL),
					   "expected_share")), 1.0, 1e-12);
	/* One question per VIP and worker; no flow, no counter. */
	assert_int_equal(fake[0].n_requests, 2);
	assert_int_equal(fake[1].n_requests, 2);
	assert_int_equal(dp.workers[0]->stats.flow.inserts, 0);
	json_decref(a);
}

/* A worker whose choice differs fails, named with the backend and VIP;
 * its disagreements with worker 0 are counted exactly. */
static void
test_selftest_skewed_worker_fails_naming_the_backend(void **state)
{
	struct lb_dp_selftest st = { .seed = 7, .flows = 20000,
				     .vip = vip_idx[V_WEB] };
	const json_t *v, *w, *ex, *f;
	uint32_t i, dis = 0;
	int named = 0;
	size_t k;
	json_t *a;

	(void)state;
	fake[1].skew = be_idx[B_A] + 1;
	for (i = 0; i < st.flows; i++)
		dis += fake_pick(&fake[0], &st, i) != fake_pick(&fake[1], &st, i);
	a = run("selftest web --flows 20000 --seed 7");
	fake[1].skew = 0;
	assert_true(json_is_false(json_object_get(a, "passed")));
	assert_string_equal(gets(a, "result"), "failed");
	v = json_array_get(json_object_get(a, "vips"), 0);
	assert_int_equal(json_array_size(json_object_get(a, "vips")), 1);
	assert_true(json_is_false(json_object_get(v, "passed")));
	w = json_array_get(json_object_get(v, "workers"), 0);
	assert_true(json_is_true(json_object_get(w, "passed")));
	w = json_array_get(json_object_get(v, "workers"), 1);
	assert_true(json_is_false(json_object_get(w, "passed")));
	assert_true(json_is_false(json_object_get(st_row(w, "a"), "passed")));
	assert_true(dis > 1000);
	assert_int_equal(geti(w, "disagreements"), dis);
	json_array_foreach(json_object_get(w, "disagreement_examples"), k, ex) {
		i = (uint32_t)geti(ex, "index");
		assert_string_equal(gets(ex, "this_worker"), "a");
		assert_string_equal(gets(ex, "worker_0"),
				    cfg->backends[fake_pick(&fake[0], &st, i)].name);
		assert_non_null(strstr(gets(ex, "tuple"), " 10.0.0.100 80"));
	}
	assert_int_equal(k, 5);
	json_array_foreach(json_object_get(a, "failures"), k, f)
		named += strstr(json_string_value(f),
				"VIP web: worker 1: backend a got") != NULL;
	assert_int_equal(named, 1);
	json_decref(a);
}

static void
test_selftest_bad_arguments_refused(void **state)
{
	struct lb_mgmt_pending *p;
	json_t *a;

	(void)state;
	assert_error("selftest --flows 0", "bad --flows \"0\": expected 1..1000000");
	assert_error("selftest --flows 1000001", "expected 1..1000000");
	assert_error("selftest --flows x1", "bad --flows");
	assert_error("selftest --flows", "usage: selftest [VIP] [--flows N] [--seed S]");
	assert_error("selftest --seed 1000000000000000000", "bad --seed");
	assert_error("selftest --flows 5 --flows 5", "usage: selftest");
	assert_error("selftest web dns", "usage: selftest");
	assert_error("selftest nope", "no VIP named \"nope\"");
	assert_error("selftest --what 1", "usage: selftest");
	/* A change while the workers are asked: the answer is refused. */
	assert_null(lb_mgmt_start(&ctx, NULL, "selftest", 8, &p));
	snap.generation++;
	a = poll_to_end(p);
	snap.generation--;
	assert_non_null(strstr(gets(a, "error"), "configuration changed"));
	json_decref(a);
}

/* ---- bad requests ---- */

static void
test_bad_commands_give_error(void **state)
{
	json_t *a;

	(void)state;
	assert_error("", "empty request");
	assert_error("   \t \n", "empty request");
	assert_error("\nhelp\n", "empty request");
	assert_error("frobnicate", "unknown command \"frobnicate\"");
	assert_error("HELP", "unknown command");
	assert_error("status now", "usage: status");
	assert_error("stats --per-cpu", "usage: stats [--per-core [--reset-max]]");
	assert_error("stats --reset-max", "usage: stats");
	assert_error("stats --per-core --reset-max x", "usage: stats");
	assert_error("stats --per-core extra", "usage: stats");
	assert_error("backends x y", "usage: backends [VIP]");
	assert_error("backends x", "no VIP named");
	assert_error("check", "usage: check FILE");
	assert_error("check a b", "usage: check FILE");
	assert_error("diff", "usage: diff FILE");
	assert_error("check /etc/edgelb.ini", "no running configuration");
	assert_error("a b c d e f g h i j k l m n o p q", "too many words");
	assert_error("\xff\xfe\x80", "unknown command \"???\"");
	a = lb_mgmt_execute(&ctx, NULL, "help\0status", 11);
	assert_non_null(strstr(gets(a, "error"), "NUL"));
	json_decref(a);
	a = lb_mgmt_execute(&ctx, NULL, NULL, 0);
	assert_non_null(json_object_get(a, "error"));
	json_decref(a);
}

static void
test_garbage_never_crashes(void **state)
{
	size_t big = 300 * 1024, len, i;
	unsigned int round;
	char *buf = malloc(big);
	json_t *a;
	char *text;

	(void)state;
	assert_non_null(buf);
	srand(12345);
	for (round = 0; round < 500; round++) {
		len = (size_t)rand() % 600;
		for (i = 0; i < len; i++)
			buf[i] = (char)(rand() % 256);
		/* Half the rounds look like a real command, then garbage. */
		if (round % 2 && len > 9)
			memcpy(buf, round % 4 == 1 ? "lookup -\n" : "lookup tc",
			       9);
		a = lb_mgmt_execute(&ctx, NULL, buf, len);
		assert_non_null(a);
		text = json_dumps(a, JSON_COMPACT);
		assert_non_null(text);
		free(text);
		json_decref(a);
	}
	memset(buf, 'A', big);
	a = lb_mgmt_execute(&ctx, NULL, buf, big);
	assert_non_null(strstr(gets(a, "error"), "unknown command"));
	json_decref(a);
	memcpy(buf, "lookup -\n", 9);
	a = lb_mgmt_execute(&ctx, NULL, buf, big);
	assert_true(json_is_array(a));
	assert_non_null(strstr(gets(json_array_get(a, 0), "error"), "expected"));
	json_decref(a);
	free(buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup(f, test_setup)
		T(test_help_lists_every_command),
		T(test_bgp_commands_without_bgp),
		T(test_status_reports_config_ports_and_neighbours),
		T(test_status_without_gateway_or_neigh_table),
		T(test_no_config_gives_error),
		T(test_stats_sums_counters_over_workers),
		T(test_stats_per_core_one_row_per_worker),
		T(test_stats_reset_max_asks_every_worker),
		T(test_backends_shares_states_and_counters),
		T(test_backends_unresolved_without_neigh_table),
		T(test_flows_merges_workers),
		T(test_flows_limit_truncates),
		T(test_flows_pages_follow_the_cursor),
		T(test_flows_answer_is_one_page_at_most),
		T(test_flows_bad_arguments_refused),
		T(test_lookup_scheduler_matches_maglev_pick),
		T(test_lookup_flow_held_by_a_worker),
		T(test_lookup_no_vip_is_an_error),
		T(test_lookup_no_backend_with_weight),
		T(test_lookup_bad_arguments),
		T(test_lookup_batch_keeps_order_and_reports_bad_lines),
		T(test_lookup_batch_asks_each_worker_once),
		T(test_lookup_batch_over_max_refused),
		T(test_lookup_batch_empty_body),
		T(test_silent_worker_gives_error),
		T(test_start_worker_commands_answer_later),
		T(test_abandon_after_answers_frees),
		T(test_abandoned_request_freed_once_answered),
		T(test_config_swapped_while_pending),
		T(test_selftest_passes_on_every_vip),
		T(test_selftest_skewed_worker_fails_naming_the_backend),
		T(test_selftest_bad_arguments_refused),
		T(test_bad_commands_give_error),
		T(test_garbage_never_crashes),
#undef T
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
