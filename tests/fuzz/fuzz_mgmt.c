/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The management request parser and dispatcher: the input is one request
 * as a client writes it to the socket (command line, then for "lookup -"
 * tuple lines), given to lb_mgmt_start() exactly as the server gives it,
 * over a real runtime (a configuration from a file, its audit log going
 * to /dev/null), a real dataplane with one worker whose flow table holds
 * a few flows (the fuzzer answers the worker's requests itself, between
 * polls, as the worker loop would), and a real health checker that is
 * never run.
 *
 * The peer is an unprivileged user: every read-only command runs, every
 * state-changing one must be refused by dispatch (and recorded), so the
 * running generation never moves. Invariants: an answer always comes,
 * as JSON the server can send (json_dumps), never "out of memory" (which
 * here would mean a json_pack that failed on the client's bytes), and
 * the generation stays 1. LeakSanitizer checks each request frees what
 * it allocates.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_ip.h>

#include "lb_mgmt.h"
#include "dataplane_priv.h"
#include "fuzz_common.h"

#define N_FLOWS 8
#define POLLS_MAX 64

/* The file the runtime runs (a.ini) and one to diff against (b.ini). */
static const char ini_a[] =
	"[global]\nsocket = /tmp/fz-mgmt-unused.sock\nworkers = 1\n"
	"audit_log = /dev/null\nflow_table_size = 1024\n"
	"[port.lan]\ndevice = net_null0\naddress = 10.0.0.2/24\n"
	"gateway = 10.0.0.1\n"
	"[vip.web]\naddress = 10.0.0.100\nport = 80\npool = web\n"
	"[vip.dns]\naddress = 10.0.0.53\nport = 53\nprotocol = udp\n"
	"pool = dns\n"
	"[pool.web]\ntable_size = 251\nhealth = tcp\n"
	"[pool.dns]\ntable_size = 251\non_remove = reschedule\n"
	"all_down = fail_closed\n"
	"[backend.a]\npool = web\naddress = 10.0.0.11\nweight = 1\n"
	"[backend.b]\npool = web\naddress = 10.0.0.12\nweight = 2\n"
	"admin_state = drained\n"
	"[backend.c]\npool = dns\naddress = 10.0.0.13\nweight = 3\n"
	"mac = 02:00:00:00:00:13\n";
static const char ini_b_tail[] =
	"[backend.d]\npool = dns\naddress = 10.0.0.14\nweight = 1\n";

static struct {
	struct lb_dp *dp;
	struct lb_worker *w;
	struct lb_runtime *rt;
	struct lb_evloop *loop;
	struct lb_health *health;
	struct lb_mgmt_ctx ctx;
} fx;

/* Not root, in no admin group. */
static const struct lb_mgmt_peer peer = {
	.uid = 65534, .gid = 65534, .pid = 4242, .comm = "fuzz",
};

static void
write_file(const char *name, const char *a, const char *b)
{
	FILE *f = fopen(name, "w");

	if (f == NULL || fputs(a, f) < 0 || fputs(b, f) < 0 || fclose(f))
		fz_fail("writing %s", name);
}

/* Flows the worker holds: `flows` and `lookup` find them. */
static void
hold_flows(const struct lb_config *cfg)
{
	struct lb_flow_key k = {
		.src_addr = RTE_BE32(UINT32_C(0xc000020a)),   /* 192.0.2.10 */
		.dst_addr = cfg->vips[0].addr, .proto = cfg->vips[0].proto,
		.dst_port = rte_cpu_to_be_16(cfg->vips[0].port),
	};
	struct lb_flow_entry e = { .tick = 1, .vip = cfg->vips[0].id };
	unsigned int i;

	for (i = 0; i < N_FLOWS; i++) {
		k.src_port = rte_cpu_to_be_16(40000 + i);
		e.backend = cfg->backends[i % cfg->n_backends].id;
		e.state = i % 3 == 0 ? LB_FLOW_TCP_CLOSING : LB_FLOW_TCP_EST;
		if (lb_flow_insert(fx.w->flows, &k, lb_flow_hash(&k), &e))
			fz_fail("flow insert");
		fx.w->stats.backend[e.backend].flows++;
	}
	fx.w->stats.port[0].rx_packets = 1000;
	fx.w->stats.port[0].drops[LB_DROP_no_vip] = 7;
}

static void
runtime_up(void)
{
	struct lb_config_error err;
	struct lb_config *cfg;
	char msg[256];

	cfg = lb_config_parse("a.ini", &err);
	if (cfg == NULL)
		fz_fail("a.ini: %s", err.msg);
	fx.dp = lb_dp_create(1);
	if (fx.dp == NULL || lb_dp_worker_create(fx.dp, 0, 0, SOCKET_ID_ANY,
						 64) != 0)
		fz_fail("dataplane");
	fx.w = fx.dp->workers[0];
	fx.dp->n_ports = cfg->n_ports;
	fx.dp->ports[0].mac = (struct rte_ether_addr){{2, 0, 0, 0, 0, 1}};
	hold_flows(cfg);
	fx.rt = lb_runtime_create(fx.dp, cfg, rte_get_tsc_hz(),
				  60 * rte_get_tsc_hz(), msg, sizeof(msg));
	if (fx.rt == NULL)
		fz_fail("runtime: %s", msg);
	lb_dp_worker_adopt(fx.w, lb_runtime_snapshot(fx.rt)->cfg);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char dir[] = "/tmp/fz-mgmt-XXXXXX";

	RTE_SET_USED(argc);
	RTE_SET_USED(argv);
	fz_eal_init("mgmt");
	/* `diff FILE` reads files: relative names land here. */
	if (mkdtemp(dir) == NULL || chdir(dir) != 0)
		fz_fail("temporary directory");
	write_file("a.ini", ini_a, "");
	write_file("b.ini", ini_a, ini_b_tail);
	runtime_up();
	fx.loop = lb_evloop_create();
	fx.health = fx.loop != NULL ?
		lb_health_create(fx.loop, NULL, NULL) : NULL;
	if (fx.health == NULL ||
	    lb_health_sync(fx.health, lb_runtime_snapshot(fx.rt)->cfg) != 0)
		fz_fail("health checker");
	fx.ctx = (struct lb_mgmt_ctx){
		.dp = fx.dp, .rt = fx.rt, .start_time = time(NULL),
		.version = "fuzz", .health = fx.health,
	};
	return 0;
}

/* What the server would do: start, then poll while the worker (here:
 * we, between polls) answers. */
static json_t *
serve(const uint8_t *data, size_t size)
{
	struct lb_mgmt_pending *p;
	json_t *ans = lb_mgmt_start(&fx.ctx, &peer, (const char *)data, size,
				    &p);
	unsigned int polls;

	for (polls = 0; ans == NULL && polls < POLLS_MAX; polls++) {
		lb_dp_serve_request(fx.w, rte_rdtsc());
		ans = lb_mgmt_pending_poll(p);
	}
	FZ_CHECK(ans != NULL, "no answer after %d polls of an answered worker",
		 POLLS_MAX);
	return ans;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *ans = serve(data, size);
	const char *e = json_string_value(json_object_get(ans, "error"));
	char *text = json_dumps(ans, JSON_COMPACT);

	FZ_CHECK(text != NULL, "an answer the server cannot send");
	FZ_CHECK(e == NULL || strcmp(e, "out of memory") != 0,
		 "\"out of memory\" for request \"%.*s\"", (int)size, data);
	FZ_CHECK(lb_runtime_snapshot(fx.rt)->generation == 1,
		 "an unprivileged request changed the configuration");
	free(text);
	json_decref(ans);
	return 0;
}
