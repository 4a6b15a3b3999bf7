/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/watch on a real runtime: a lb_dp with two workers created but not
 * launched, whose counters the tests write as the workers would (flows
 * drawn from exact binomials, seeded), and a fake clock: each tick is one
 * second later. The rules, the alert timing (pending, firing after
 * watch_for_s, resolved once gone as long), the change each alert names,
 * the audit records, and the rollback of a generation awaiting
 * confirmation.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <rte_eal.h>

#include "lb_runtime.h"
#include "lb_watch.h"
#include "test_runtime.h"
#include "sim.h"

#define N_WORKERS 2

static struct {
	char dir[64];
	char ini[128];
	struct lb_dp *dp;
	struct lb_runtime *rt;
	struct lb_watch *w;
	uint64_t now_ms;
	uint32_t latency_us[LB_MAX_BACKENDS];   /* 0: none */
} fx;

static const struct lb_actor who = { .kind = LB_ACTOR_PEER, .uid = 0,
				     .pid = 4242, .comm = "test" };

static const char head[] =
	"[global]\nsocket = /tmp/ut-watch-unused.sock\nworkers = 2\n"
	"audit_log = %s/audit.log\nflow_table_size = 1024\n%s"
	"[port.lan]\ndevice = net_null0\naddress = 10.0.0.2/24\n"
	"[vip.web]\naddress = 10.0.0.100\nport = 80\nprotocol = tcp\n"
	"pool = web\n"
	"[vip.alt]\naddress = 10.0.0.101\nport = 80\nprotocol = tcp\n"
	"pool = alt\n"
	"[pool.web]\ntable_size = 251\n%s"
	"[pool.alt]\ntable_size = 251\n"
	"[backend.z]\npool = alt\naddress = 10.0.0.20\nweight = 1\n"
	"[backend.y]\npool = alt\naddress = 10.0.0.21\nweight = 1\n";

/* a, b, c in web with weights 1, 2, 3; @extra per backend. */
static const char *
write_ini(const char *name, const char *global, const char *pool,
	  const char *ea, const char *eb, const char *ec)
{
	static char path[4][128];
	static unsigned int next;
	char *p = path[next++ % 4];
	FILE *f;

	snprintf(p, sizeof(path[0]), "%s/%s", fx.dir, name);
	f = fopen(p, "w");
	assert_non_null(f);
	fprintf(f, head, fx.dir, global, pool);
	fprintf(f, "[backend.a]\npool = web\naddress = 10.0.0.11\n%s\n"
		"[backend.b]\npool = web\naddress = 10.0.0.12\n%s\n"
		"[backend.c]\npool = web\naddress = 10.0.0.13\n%s\n",
		ea, eb, ec);
	assert_int_equal(fclose(f), 0);
	return p;
}

static int
fake_latency(void *arg, uint16_t id, uint32_t *us)
{
	(void)arg;
	if (fx.latency_us[id] == 0)
		return -1;
	*us = fx.latency_us[id];
	return 0;
}

static int
up(const char *global, const char *pool, const char *ea, const char *eb,
   const char *ec)
{
	memset(fx.latency_us, 0, sizeof(fx.latency_us));
	fx.now_ms = 1000000;
	sim_seed(42);
	snprintf(fx.dir, sizeof(fx.dir), "/tmp/ut-watch-XXXXXX");
	if (mkdtemp(fx.dir) == NULL)
		return -1;
	snprintf(fx.ini, sizeof(fx.ini), "%s",
		 write_ini("edgelb.ini", global, pool, ea, eb, ec));
	fx.rt = trt_create(&fx.dp, N_WORKERS, fx.ini);
	if (fx.rt == NULL)
		return -1;
	fx.w = lb_watch_create(fx.rt, fx.dp);
	if (fx.w == NULL)
		return -1;
	lb_watch_set_latency(fx.w, fake_latency, NULL);
	return 0;
}

static int
setup(void **state)
{
	(void)state;
	return up("", "", "weight = 1", "weight = 2", "weight = 3");
}

static int
teardown(void **state)
{
	(void)state;
	lb_watch_destroy(fx.w);
	return trt_destroy(fx.rt, fx.dp, fx.dir);
}

/* ---- helpers ---- */

static const struct lb_config *
cfg(void)
{
	return lb_runtime_snapshot(fx.rt)->cfg;
}

static uint32_t
idx_of(const char *name)
{
	uint32_t i;

	for (i = 0; i < cfg()->n_backends; i++)
		if (strcmp(cfg()->backends[i].name, name) == 0)
			return i;
	fail_msg("no backend %s", name);
	return 0;
}

static uint16_t
id_of(const char *name)
{
	return cfg()->backends[idx_of(name)].id;
}

static double
expected(const char *name)
{
	return lb_config_expected_share(cfg(), idx_of(name));
}

/* Worker @wk schedules @n new flows over a, b, c with shares @p. */
static void
feed(unsigned int wk, uint64_t n, const double p[3])
{
	static const char *const names[3] = { "a", "b", "c" };
	uint64_t k[3];
	unsigned int i;

	sim_multinomial(n, p, 3, k);
	for (i = 0; i < 3; i++)
		fx.dp->workers[wk]->stats.backend[id_of(names[i])].new_flows +=
			k[i];
}

/* As the table says. */
static void
feed_table(unsigned int wk, uint64_t n)
{
	double p[3] = { expected("a"), expected("b"), expected("c") };

	feed(wk, n, p);
}

static void
tick(void)
{
	fx.now_ms += 1000;
	lb_watch_tick(fx.w, fx.now_ms);
}

static const struct lb_watch_alert *
alert(const char *name, const char *backend)
{
	const struct lb_watch_alert *a;
	unsigned int i;

	for (i = 0; (a = lb_watch_alert_get(fx.w, i)) != NULL; i++)
		if (strcmp(a->name, name) == 0 &&
		    strcmp(a->backend, backend) == 0)
			return a;
	return NULL;
}

static unsigned int
n_alerts(void)
{
	return lb_watch_alert_count(fx.w);
}

/* How many of the last @n history records are the watch's, with
 * commands starting "alert NAME STATE: BACKEND" (the summary names it
 * first). */
static unsigned int
alert_records(const char *name, const char *state, const char *backend,
	      unsigned int n)
{
	json_t *h = lb_runtime_history(fx.rt, n), *r;
	char prefix[128];
	unsigned int hits = 0;
	size_t i;

	snprintf(prefix, sizeof(prefix), "alert %s %s: %s", name, state,
		 backend);
	json_array_foreach(h, i, r) {
		const char *c = json_string_value(json_object_get(r, "command"));
		const char *k = json_string_value(json_object_get(
				json_object_get(r, "who"), "kind"));

		if (c != NULL && strncmp(c, prefix, strlen(prefix)) == 0) {
			assert_string_equal(k, "watch");
			assert_string_equal(json_string_value(json_object_get(
				r, "result")), "alert");
			assert_true(json_equal(json_object_get(r, "generation"),
				json_object_get(r, "generation_before")));
			assert_non_null(json_object_get(r, "alert"));
			hits++;
		}
	}
	json_decref(h);
	return hits;
}

/* ---- quiet ---- */

/* Two minutes of flows as the table says, 1000 a second over two
 * workers: nothing, not even pending. */
static void
test_correct_distribution_two_minutes_no_alert(void **state)
{
	json_t *j;
	int t;

	(void)state;
	for (t = 0; t < 120; t++) {
		feed_table(0, 500);
		feed_table(1, 500);
		tick();
		assert_int_equal(n_alerts(), 0);
	}
	j = lb_watch_alerts_json(fx.w);
	assert_int_equal(json_integer_value(json_object_get(j, "samples")),
			 120);
	assert_int_equal(json_integer_value(json_object_get(j, "window_s")),
			 10);
	assert_int_equal(json_array_size(json_object_get(j, "alerts")), 0);
	json_decref(j);
}

/* 20 flows a window, all on one backend: too few to judge. */
static void
test_twenty_flows_all_on_one_backend_no_alert(void **state)
{
	const double all_a[3] = { 1, 0, 0 };
	int t;

	(void)state;
	for (t = 0; t < 30; t++) {
		feed(0, 2, all_a);
		tick();
	}
	assert_int_equal(n_alerts(), 0);
}

/* ---- timing ---- */

/*
 * a (expected 1/6) takes 60 % for four seconds, then no flows at all: the
 * alert is pending from the first judged second, fires watch_for_s (3)
 * later, stays while the skewed seconds are in the window (10 s), and
 * resolves 3 s after they left it. Each transition is one record.
 */
static void
test_skew_pending_firing_resolved_on_time(void **state)
{
	const double skew[3] = { 0.6, 0.2, 0.2 };
	const struct lb_watch_alert *a;
	struct lb_watch_obs o;
	int t;

	(void)state;
	tick();                                 /* 1: the base */
	assert_int_equal(n_alerts(), 0);
	for (t = 2; t <= 5; t++) {
		feed(0, 500, skew);
		feed(1, 500, skew);
		tick();
		a = alert("share_skew", "a");
		assert_non_null(a);
		assert_int_equal(a->state, t < 5 ? LB_WATCH_PENDING :
				 LB_WATCH_FIRING);
	}
	assert_true(a->observed > 55 && a->observed < 65);
	assert_true(fabs(a->expected - 100 * expected("a")) < 1e-9);
	assert_true(a->intended < 0);
	assert_int_equal(a->sample, 4000);
	assert_true(a->statistic > 6);
	assert_string_equal(a->pool, "web");
	assert_string_equal(a->vip, "web");
	assert_int_equal(a->worker, -1);
	/* no change since the start: the start is the last */
	assert_int_equal(a->change.generation, 1);
	assert_true(strncmp(a->change.command, "start ", 6) == 0);
	assert_string_equal(a->change.who, "startup");
	assert_int_equal(lb_watch_backend_obs(fx.w, id_of("a"), &o), 0);
	assert_int_equal(o.window_s, 4);
	assert_int_equal(o.pool_new_flows, 4000);
	for (t = 6; t <= 17; t++) {
		tick();
		a = alert("share_skew", "a");
		assert_non_null(a);
		/* the window of tick 15 holds ticks 6..15: empty */
		assert_int_equal(a->state, LB_WATCH_FIRING);
	}
	tick();                                 /* 18 */
	a = alert("share_skew", "a");
	assert_int_equal(a->state, LB_WATCH_RESOLVED);
	assert_true(a->resolved != 0 && a->fired != 0);
	assert_int_equal(alert_records("share_skew", "pending", "a ", 100), 1);
	assert_int_equal(alert_records("share_skew", "firing", "a ", 100), 1);
	assert_int_equal(alert_records("share_skew", "resolved", "a ", 100), 1);
	/* kept in the list for a while, then forgotten */
	fx.now_ms += (LB_WATCH_RESOLVED_KEEP_S - 2) * 1000ull;
	tick();
	assert_non_null(alert("share_skew", "a"));
	fx.now_ms += 2000;
	tick();
	assert_null(alert("share_skew", "a"));
}

/* A condition gone before watch_for_s: resolved without firing. */
static void
test_pending_that_clears_never_fires(void **state)
{
	const double skew[3] = { 0.6, 0.2, 0.2 };
	const struct lb_watch_alert *a;
	json_t *ans = NULL;

	(void)state;
	tick();
	feed(0, 1000, skew);
	tick();
	assert_int_equal(alert("share_skew", "a")->state, LB_WATCH_PENDING);
	/* a table change starts the window again: nothing to judge */
	assert_int_equal(lb_runtime_set(fx.rt, "backend.b", "weight", "3",
					&who, "weight b 3", &ans), 0);
	json_decref(ans);
	tick();
	a = alert("share_skew", "a");
	assert_int_equal(a->state, LB_WATCH_RESOLVED);
	assert_int_equal(a->fired, 0);
	assert_int_equal(alert_records("share_skew", "firing", "", 100), 0);
}

/* ---- the change an alert names ---- */

static void
test_alert_names_last_change_of_its_pool(void **state)
{
	const double skew[3] = { 0.6, 0.2, 0.2 };
	const struct lb_watch_alert *a;
	json_t *ans = NULL, *j, *c;
	uint64_t g;

	(void)state;
	assert_int_equal(lb_runtime_set(fx.rt, "backend.a", "weight", "4",
					&who, "weight a 4", &ans), 0);
	json_decref(ans);
	g = lb_runtime_snapshot(fx.rt)->generation;
	/* another pool's change is not this pool's */
	assert_int_equal(lb_runtime_set(fx.rt, "backend.z", "weight", "2",
					&who, "weight z 2", &ans), 0);
	json_decref(ans);
	tick();
	feed(0, 1000, skew);
	feed(1, 1000, skew);
	tick();
	a = alert("share_skew", "c");   /* a takes 60 %: c far below 1/2 */
	assert_non_null(a);
	assert_int_equal(a->change.generation, g);
	assert_string_equal(a->change.command, "weight a 4");
	assert_string_equal(a->change.who, "peer uid 0 (test)");
	assert_true(strlen(a->change.time) == 20);
	j = lb_watch_alert_json(a);
	c = json_object_get(j, "change");
	assert_int_equal(json_integer_value(json_object_get(c, "generation")),
			 g);
	assert_string_equal(json_string_value(json_object_get(j, "alertname")),
			    "share_skew");
	assert_string_equal(json_string_value(json_object_get(j, "state")),
			    "pending");
	assert_true(json_is_null(json_object_get(j, "worker")));
	json_decref(j);
}

/* ---- intent ---- */

static int
setup_max_share(void **state)
{
	(void)state;
	return up("", "", "weight = 1", "weight = 2",
		  "weight = 3\nmax_share = 40");
}

/* c's table gives it about half, its max_share is 40: the flows follow
 * the table (no share_skew) and are above the intent. */
static void
test_share_above_intent(void **state)
{
	const struct lb_watch_alert *a;
	int t;

	(void)state;
	for (t = 0; t < 5; t++) {
		feed_table(0, 500);
		feed_table(1, 500);
		tick();
	}
	a = alert("share_above_intent", "c");
	assert_non_null(a);
	assert_int_equal(a->state, LB_WATCH_FIRING);
	assert_true(fabs(a->intended - 40) < 1e-9);
	assert_true(a->observed > 45);
	assert_null(alert("share_skew", "c"));
	assert_null(alert("share_above_intent", "a"));
	assert_int_equal(n_alerts(), 1);
}

static int
setup_capacity(void **state)
{
	(void)state;
	return up("", "", "weight = 1", "weight = 2\ncapacity = 100",
		  "weight = 3\ncapacity = 600");
}

/* 1000 new flows a second: b takes about 330/s (capacity 100), c about
 * 500/s (capacity 600). */
static void
test_capacity_exceeded(void **state)
{
	const struct lb_watch_alert *a;
	int t;

	(void)state;
	for (t = 0; t < 3; t++) {
		feed_table(0, 500);
		feed_table(1, 500);
		tick();
	}
	a = alert("capacity_exceeded", "b");
	assert_non_null(a);
	assert_true(a->value > 250 && a->value < 420);
	assert_true(a->limit == 100);
	assert_null(alert("capacity_exceeded", "c"));
}

static int
setup_min_healthy(void **state)
{
	(void)state;
	return up("", "min_healthy = 3\n", "weight = 1", "weight = 2",
		  "weight = 3");
}

static void
test_pool_below_min_healthy(void **state)
{
	const struct lb_watch_alert *a;
	int t;

	(void)state;
	tick();
	assert_int_equal(n_alerts(), 0);
	assert_int_equal(lb_runtime_health_set(fx.rt, id_of("a"), 1,
					       "test: down"), 1);
	lb_runtime_health_commit(fx.rt);
	for (t = 0; t < 4; t++)
		tick();
	a = alert("pool_below_min_healthy", "");
	assert_non_null(a);
	assert_int_equal(a->state, LB_WATCH_FIRING);
	assert_true(a->value == 2 && a->limit == 3);
	assert_int_equal(a->backend_id, LB_ID_NONE);
	/* the change it names is the health transition */
	assert_string_equal(a->change.who, "health");
	lb_runtime_health_set(fx.rt, id_of("a"), 0, "test: up");
	lb_runtime_health_commit(fx.rt);
	for (t = 0; t < 4; t++)
		tick();
	assert_int_equal(alert("pool_below_min_healthy", "")->state,
			 LB_WATCH_RESOLVED);
}

/* ---- per worker ---- */

/*
 * Worker 0 follows the table, worker 1 sends everything to c: worker 1 is
 * named (against worker 0, and against the table), worker 0 is not,
 * though it differs from worker 1 as much.
 */
static void
test_worker_that_dispatches_differently(void **state)
{
	const double all_c[3] = { 0, 0, 1 };
	const struct lb_watch_alert *a;
	unsigned int i, on_c = 0;
	int t;

	(void)state;
	for (t = 0; t < 5; t++) {
		feed_table(0, 500);
		feed(1, 500, all_c);
		tick();
	}
	for (i = 0; (a = lb_watch_alert_get(fx.w, i)) != NULL; i++) {
		if (strcmp(a->name, "worker_skew") != 0)
			continue;
		assert_int_equal(a->worker, 1);
		if (strcmp(a->backend, "c") == 0) {
			on_c = 1;
			assert_int_equal(a->state, LB_WATCH_FIRING);
			assert_true(a->observed == 100);
			assert_int_equal(a->sample, 2000);  /* 4 s */
		}
	}
	assert_int_equal(on_c, 1);
}

/* Both workers following the table over two minutes: no worker_skew. */
static void
test_workers_alike_no_worker_alert(void **state)
{
	int t;

	(void)state;
	for (t = 0; t < 120; t++) {
		feed_table(0, 300);
		feed_table(1, 700);
		tick();
	}
	assert_int_equal(n_alerts(), 0);
}

/* ---- latency ---- */

static void
run_with_latency(uint32_t a_us, uint32_t b_us, uint32_t c_us)
{
	int t;

	fx.latency_us[id_of("a")] = a_us;
	fx.latency_us[id_of("b")] = b_us;
	fx.latency_us[id_of("c")] = c_us;
	for (t = 0; t < 5; t++) {
		feed_table(0, 500);
		feed_table(1, 500);
		tick();
	}
}

/* c answers checks in 200 ms, a and b in 1 ms, and c takes half of the
 * pool: above an equal split (33 %). */
static void
test_slow_backend_with_high_share(void **state)
{
	const struct lb_watch_alert *a;

	(void)state;
	run_with_latency(1000, 1000, 200000);
	a = alert("slow_backend_high_share", "c");
	assert_non_null(a);
	assert_int_equal(a->state, LB_WATCH_FIRING);
	assert_true(a->value == 200 && a->limit == 1);
	assert_true(fabs(a->intended - 100.0 / 3) < 1e-9);
	assert_int_equal(n_alerts(), 1);
}

/* Slow but below an equal split (a, 1/6), or fast: nothing. */
static void
test_slow_backend_low_share_or_fast_no_alert(void **state)
{
	(void)state;
	run_with_latency(200000, 1000, 1000);
	assert_int_equal(n_alerts(), 0);
	run_with_latency(1000, 1000, 2500);   /* 2.5x: not 3x */
	assert_int_equal(n_alerts(), 0);
	run_with_latency(5000, 5000, 20000);  /* 4x but only 15 ms more */
	assert_int_equal(n_alerts(), 0);
}

/* ---- rollback of a generation awaiting confirmation ---- */

/*
 * An apply with --confirm-within raises c to weight 30 with max_share
 * 40: the flows follow the new table, share_above_intent fires 3 s later
 * and rolls the generation back before its deadline (60 s).
 */
static void
test_firing_alert_rolls_back_pending_generation(void **state)
{
	const char *bad = write_ini("bad.ini", "", "", "weight = 1",
				    "weight = 2", "weight = 30\nmax_share = 40");
	json_t *ans = NULL, *h, *r;
	const char *cmd;
	uint64_t g0, g;
	int t;

	(void)state;
	g0 = lb_runtime_snapshot(fx.rt)->generation;
	assert_int_equal(lb_runtime_reload_confirmed(fx.rt, bad, 60000, &who,
						     "apply bad.ini", &ans), 0);
	json_decref(ans);
	g = lb_runtime_pending(fx.rt);
	assert_int_equal(g, g0 + 1);
	/* the base, 3 s pending, firing: 5 ticks */
	for (t = 0; t < 5 && lb_runtime_pending(fx.rt) != 0; t++) {
		feed_table(0, 500);
		feed_table(1, 500);
		tick();
	}
	assert_int_equal(lb_runtime_pending(fx.rt), 0);
	assert_int_equal(lb_runtime_snapshot(fx.rt)->generation, g + 1);
	assert_int_equal(cfg()->backends[idx_of("c")].weight, 3);
	assert_int_equal(alert_records("share_above_intent", "firing", "c ", 10), 1);
	h = lb_runtime_history(fx.rt, 1);
	r = json_array_get(h, 0);
	cmd = json_string_value(json_object_get(r, "command"));
	print_message("%s\n", cmd);
	assert_non_null(strstr(cmd, "aborted: alert share_above_intent"));
	assert_string_equal(json_string_value(json_object_get(
		json_object_get(r, "who"), "kind")), "edgelbd");
	json_decref(h);
}

/* An alert that does not fire while nothing awaits confirmation rolls
 * nothing back. */
static void
test_firing_alert_without_pending_changes_nothing(void **state)
{
	const double skew[3] = { 0.6, 0.2, 0.2 };
	uint64_t g = lb_runtime_snapshot(fx.rt)->generation;
	int t;

	(void)state;
	for (t = 0; t < 6; t++) {
		feed(0, 1000, skew);
		tick();
	}
	assert_int_equal(alert("share_skew", "a")->state, LB_WATCH_FIRING);
	assert_int_equal(lb_runtime_snapshot(fx.rt)->generation, g);
}

/* ---- identities ---- */

/*
 * A reload that puts a new backend first in the file moves every index:
 * counters and windows follow identities, and the pool's table did not
 * change (weight 0) so its window goes on.
 */
static void
test_windows_follow_identities_not_indexes(void **state)
{
	struct lb_watch_obs o;
	json_t *ans = NULL;
	FILE *f;
	char path[160], text[4096], *at;
	uint32_t idx_c;
	size_t n;
	int t;

	(void)state;
	for (t = 0; t < 4; t++) {
		feed_table(0, 500);
		feed_table(1, 500);
		tick();
	}
	/* the new backend before a in the file: every index moves */
	snprintf(path, sizeof(path), "%s/edgelb.ini", fx.dir);
	f = fopen(path, "r+");
	assert_non_null(f);
	n = fread(text, 1, sizeof(text) - 1, f);
	text[n] = '\0';
	at = strstr(text, "[backend.a]");
	assert_non_null(at);
	rewind(f);
	fwrite(text, 1, (size_t)(at - text), f);
	fputs("[backend.aa]\npool = web\naddress = 10.0.0.14\nweight = 0\n", f);
	fputs(at, f);
	fclose(f);
	idx_c = idx_of("c");
	assert_int_equal(lb_runtime_reload(fx.rt, NULL, &who, &ans), 0);
	assert_int_equal(idx_of("c"), idx_c + 1);
	json_decref(ans);
	feed_table(0, 500);
	feed_table(1, 500);
	tick();
	assert_int_equal(lb_watch_backend_obs(fx.w, id_of("c"), &o), 0);
	assert_int_equal(o.window_s, 4);
	assert_int_equal(o.pool_new_flows, 4000);
	assert_int_equal(lb_watch_backend_obs(fx.w, id_of("aa"), &o), 0);
	assert_int_equal(o.new_flows, 0);
	assert_int_equal(n_alerts(), 0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
#define TS(f, s) cmocka_unit_test_setup_teardown(f, s, teardown)

int
main(void)
{
	char *argv[] = { "test_watch", "--no-huge", "-m", "128", "--no-pci",
			 "--no-shconf", "--file-prefix=ut-watch",
			 "--log-level=error", NULL };
	const struct CMUnitTest tests[] = {
		T(test_correct_distribution_two_minutes_no_alert),
		T(test_twenty_flows_all_on_one_backend_no_alert),
		T(test_skew_pending_firing_resolved_on_time),
		T(test_pending_that_clears_never_fires),
		T(test_alert_names_last_change_of_its_pool),
		TS(test_share_above_intent, setup_max_share),
		TS(test_capacity_exceeded, setup_capacity),
		TS(test_pool_below_min_healthy, setup_min_healthy),
		T(test_worker_that_dispatches_differently),
		T(test_workers_alike_no_worker_alert),
		T(test_slow_backend_with_high_share),
		T(test_slow_backend_low_share_or_fast_no_alert),
		T(test_firing_alert_rolls_back_pending_generation),
		T(test_firing_alert_without_pending_changes_nothing),
		T(test_windows_follow_identities_not_indexes),
	};

	if (rte_eal_init(8, argv) < 0) {
		fprintf(stderr, "EAL init failed\n");
		return 1;
	}
	return cmocka_run_group_tests_name("lb_watch", tests, NULL, NULL) != 0;
}
