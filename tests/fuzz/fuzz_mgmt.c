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
 * running generation never moves. A request refused that way is then run
 * as root against a throwaway runtime (its own dataplane, made for this
 * one request and destroyed after it), so that the arguments and the
 * apply of reload, weight, drain, enable, disable and rollback are fuzzed
 * too without any state carried from one input to the next.
 *
 * Invariants: an answer always comes, as JSON the server can send
 * (json_dumps), never "out of memory" (which here would mean a json_pack
 * that failed on the client's bytes), and the unprivileged requests leave
 * the generation at 1. LeakSanitizer checks each request frees what it
 * allocates.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_ip.h>

#include "lb_mgmt.h"
#include "dataplane_priv.h"
#include "fuzz_common.h"

#define N_FLOWS 8
#define POLLS_MAX 64
/* Steps the worker takes between two polls, at most: more than a
 * self-test round of 1000000 flows needs (64 tuples a step at least). */
#define STEPS_MAX 100000
/* Fixed, so that seeds can name the files (`diff` wants absolute paths). */
#define DIR "/tmp/edgelb-fuzz-mgmt"

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
	struct lb_dp *scratch_dp;   /* the throwaway runtimes' */
} fx;

/* Not root, in no admin group. */
static const struct lb_mgmt_peer peer = {
	.uid = 65534, .gid = 65534, .pid = 4242, .comm = "fuzz",
};

/* Written aside and renamed: targets running side by side share DIR. */
static void
write_file(const char *name, const char *a, const char *b)
{
	char tmp[128];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s/.%s.%d", DIR, name, (int)getpid());
	f = fopen(tmp, "w");
	if (f == NULL || fputs(a, f) < 0 || fputs(b, f) < 0 || fclose(f) ||
	    rename(tmp, name) != 0)
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

/* A runtime over @p dp, from a.ini. */
static struct lb_runtime *
runtime_new(struct lb_dp *dp)
{
	struct lb_config_error err;
	struct lb_config *cfg;
	struct lb_runtime *rt;
	char msg[256];

	cfg = lb_config_parse(DIR "/a.ini", &err);
	if (cfg == NULL)
		fz_fail("a.ini: %s", err.msg);
	rt = lb_runtime_create(dp, cfg, rte_get_tsc_hz(),
			       60 * rte_get_tsc_hz(), msg, sizeof(msg));
	if (rt == NULL)
		fz_fail("runtime: %s", msg);
	return rt;
}

/* With a worker, or none (workers' rings and tables have fixed names:
 * one process has one worker 0). */
static struct lb_dp *
dataplane_new(int worker)
{
	struct lb_dp *dp = lb_dp_create(1);

	if (dp == NULL || (worker &&
			   lb_dp_worker_create(dp, 0, 0, SOCKET_ID_ANY, 64)))
		fz_fail("dataplane");
	dp->n_ports = 1;
	dp->ports[0].mac = (struct rte_ether_addr){{2, 0, 0, 0, 0, 1}};
	return dp;
}

static void
runtime_up(void)
{
	fx.dp = dataplane_new(1);
	fx.w = fx.dp->workers[0];
	fx.rt = runtime_new(fx.dp);
	hold_flows(lb_runtime_snapshot(fx.rt)->cfg);
	lb_dp_worker_adopt(fx.w, lb_runtime_snapshot(fx.rt)->cfg);
	/* As the worker loop leaves it: what a self-test runs on. */
	fx.w->seen_snap = lb_runtime_snapshot(fx.rt);
	fx.scratch_dp = dataplane_new(0);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	RTE_SET_USED(argc);
	RTE_SET_USED(argv);
	fz_eal_init("mgmt");
	/* `diff FILE` and `reload FILE` read files: relative names (refused
	 * with an error) would otherwise be looked up wherever we started. */
	if ((mkdir(DIR, 0755) != 0 && errno != EEXIST) || chdir(DIR) != 0)
		fz_fail("directory " DIR);
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
serve(struct lb_mgmt_ctx *ctx, const struct lb_mgmt_peer *who,
      const uint8_t *data, size_t size)
{
	struct lb_worker *w = ctx->dp->n_workers > 0 ? ctx->dp->workers[0] :
						      NULL;
	struct lb_mgmt_pending *p;
	json_t *ans = lb_mgmt_start(ctx, who, (const char *)data, size, &p);
	unsigned int polls, steps;

	for (polls = 0; ans == NULL && polls < POLLS_MAX; polls++) {
		/* Everything asked, a bounded step at a time (a self-test of
		 * many flows takes thousands). */
		for (steps = 0; w != NULL && steps < STEPS_MAX &&
		     !rte_ring_empty(w->requests); steps++)
			lb_dp_serve_request(w, rte_rdtsc());
		ans = lb_mgmt_pending_poll(p);
	}
	FZ_CHECK(ans != NULL, "no answer after %d polls of an answered worker",
		 POLLS_MAX);
	return ans;
}

/* The answer goes out as the server sends it; frees it. */
static void
check_answer(json_t *ans, const uint8_t *data, size_t size)
{
	const char *e = json_string_value(json_object_get(ans, "error"));
	char *text = json_dumps(ans, JSON_COMPACT);

	FZ_CHECK(text != NULL, "an answer the server cannot send");
	FZ_CHECK(e == NULL || strcmp(e, "out of memory") != 0,
		 "\"out of memory\" for request \"%.*s\"", (int)size, data);
	free(text);
	json_decref(ans);
}

static int
refused_access(const json_t *ans)
{
	const char *e = json_string_value(json_object_get(ans, "error"));

	return e != NULL && strstr(e, "only root or members of admin_group");
}

/* The same request from root, changing a runtime made for it alone (its
 * dataplane has no worker: nothing to ask, nothing to keep). */
static void
run_as_admin(const uint8_t *data, size_t size)
{
	struct lb_mgmt_ctx ctx = {
		.dp = fx.scratch_dp, .rt = runtime_new(fx.scratch_dp),
		.start_time = time(NULL), .version = "fuzz",
	};

	check_answer(serve(&ctx, NULL, data, size), data, size);
	lb_runtime_destroy(ctx.rt);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *ans = serve(&fx.ctx, &peer, data, size);
	int change = refused_access(ans);

	check_answer(ans, data, size);
	FZ_CHECK(lb_runtime_snapshot(fx.rt)->generation == 1,
		 "an unprivileged request changed the configuration");
	if (change)
		run_as_admin(data, size);
	return 0;
}
