/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/dataplane/query.c: a worker answers management's requests a bounded
 * step per loop iteration. A worker with a large flow table (no ports, no
 * configuration: only its table and request ring) is asked for flow pages
 * and lookups the way management asks, and every step is timed.
 */
#include <netinet/in.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ring.h>

#include "lb_dataplane.h"
#include "dataplane_priv.h"

/* Sparse on purpose: a walk crosses many empty slots between flows. */
#define CAPACITY (256 * 1024)
#define N_FLOWS 20000

static struct lb_dp *dp;
static struct lb_worker *w;

static struct lb_flow_key
key_of(uint32_t i)
{
	struct lb_flow_key k = {
		.src_addr = rte_cpu_to_be_32(0x0a000000 + i),
		.dst_addr = rte_cpu_to_be_32(0x0a0000fe),
		.src_port = rte_cpu_to_be_16((uint16_t)(1024 + i % 50000)),
		.dst_port = rte_cpu_to_be_16(80),
		.proto = IPPROTO_TCP,
	};

	return k;
}

/* Which flow i a reported key is, or -1. */
static int
index_of(const struct lb_flow_key *k)
{
	uint32_t i = rte_be_to_cpu_32(k->src_addr) - 0x0a000000;
	struct lb_flow_key want;

	if (i >= N_FLOWS)
		return -1;
	want = key_of(i);
	return memcmp(&want, k, sizeof(want)) == 0 ? (int)i : -1;
}

static int
group_setup(void **state)
{
	char *argv[] = { "test_query", "--no-huge", "-m", "512", "--no-pci",
			 "--no-shconf", "--file-prefix=ut-query",
			 "--log-level=error", NULL };
	struct lb_flow_entry e = { .backend = 7, .vip = 3,
				   .state = LB_FLOW_TCP_EST };
	struct lb_flow_key k;
	uint32_t i;

	(void)state;
	if (rte_eal_init(8, argv) < 0)
		return -1;
	dp = lb_dp_create(1);
	if (dp == NULL || lb_dp_worker_create(dp, 0, 0, 0, CAPACITY) != 0)
		return -1;
	w = dp->workers[0];
	for (i = 0; i < N_FLOWS; i++) {
		k = key_of(i);
		if (lb_flow_insert(w->flows, &k, lb_flow_hash(&k), &e) != 0)
			return -1;
	}
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	lb_dp_free(dp);
	rte_eal_cleanup();
	return 0;
}

static struct lb_dp_request *
flows_request(uint32_t max, uint32_t pos)
{
	struct lb_dp_request *r = calloc(1, sizeof(*r) + max * sizeof(r->out[0]));

	assert_non_null(r);
	r->type = LB_DP_REQ_FLOWS;
	r->max = max;
	r->pos = pos;
	r->out = (struct lb_dp_flow_info *)(r + 1);
	return r;
}

/* CPU time of this thread, in ns: a step's own cost, not the time
 * another process took the CPU in the middle of it. */
static uint64_t
cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + (uint64_t)ts.tv_nsec;
}

/*
 * Serve @p r to the end as the worker loop would, one step per call.
 * @return the steps taken; *max_ns the longest (CPU time), *sum_ns all.
 */
static unsigned int
serve_timed(struct lb_dp_request *r, uint64_t *max_ns, uint64_t *sum_ns)
{
	unsigned int steps = 0;
	uint64_t t0, t;

	assert_int_equal(lb_dp_query_submit(dp, 0, r), 0);
	*max_ns = 0;
	*sum_ns = 0;
	while (!lb_dp_query_done(r)) {
		t0 = cpu_ns();
		lb_dp_serve_request(w, rte_rdtsc());
		t = cpu_ns() - t0;
		*max_ns = RTE_MAX(*max_ns, t);
		*sum_ns += t;
		steps++;
		assert_true(steps < 1000000);
	}
	return steps;
}

static unsigned int
serve_all(struct lb_dp_request *r)
{
	uint64_t max, sum;

	return serve_timed(r, &max, &sum);
}

static double
us(uint64_t ns)
{
	return (double)ns / 1000.0;
}

/* A page of LB_DP_REQ_MAX flows, which one loop iteration used to
 * gather at once, is spread over steps that each cost a fraction of it
 * (about LB_DP_REQ_STEP_US each). */
static void
test_flows_step_is_bounded_on_a_large_table(void **state)
{
	struct lb_dp_request *r = flows_request(LB_DP_REQ_MAX, 0);
	uint64_t max_step, sum;
	unsigned int steps;

	(void)state;
	steps = serve_timed(r, &max_step, &sum);
	printf("page of %u flows: %u steps, %.1f us in all, longest %.1f us\n",
	       r->n_out, steps, us(sum), us(max_step));
	assert_int_equal(r->n_out, LB_DP_REQ_MAX);
	assert_int_equal(r->end, 0);
	assert_true(steps >= 3);
	assert_true(max_step * 2 < sum);
	free(r);
}

/* The empty slots after the last flow are crossed in steps too: a sparse
 * table is no cheaper to walk at once than a full one. */
static void
test_flows_empty_slots_crossed_in_steps(void **state)
{
	uint32_t after_last = 0, seen = 0, slots = lb_flow_table_slots(w->flows);
	struct lb_dp_request *r;
	uint64_t max_step, sum;
	unsigned int steps;

	(void)state;
	while (seen < N_FLOWS) {
		/* The last page ends just after the last flow. */
		r = flows_request(RTE_MIN((uint32_t)LB_DP_REQ_MAX, N_FLOWS - seen),
				  after_last);
		serve_all(r);
		seen += r->n_out;
		after_last = r->pos;
		assert_int_equal(r->end, 0);
		free(r);
	}
	r = flows_request(1, after_last);
	steps = serve_timed(r, &max_step, &sum);
	printf("%u empty slots: %u steps, %.1f us in all, longest %.1f us\n",
	       slots - after_last, steps, us(sum), us(max_step));
	assert_int_equal(r->n_out, 0);
	assert_int_equal(r->end, 1);
	assert_int_equal(r->pos, slots);
	if (slots - after_last > 100000) {
		assert_true(steps >= 3);
		assert_true(max_step * 2 < sum);
	}
	free(r);
}

/* Pages from cursor to cursor list every flow exactly once. */
static void
test_flows_pages_resume_at_cursor(void **state)
{
	uint8_t *seen = calloc(N_FLOWS, 1);
	uint32_t pos = 0, total = 0, j, pages = 0;
	struct lb_dp_request *r;
	int i, end = 0;

	(void)state;
	assert_non_null(seen);
	while (!end) {
		r = flows_request(3000, pos);
		serve_all(r);
		for (j = 0; j < r->n_out; j++) {
			i = index_of(&r->out[j].key);
			assert_true(i >= 0);
			assert_int_equal(seen[i], 0);
			seen[i] = 1;
			assert_int_equal(r->out[j].backend, 7);
			assert_int_equal(r->out[j].vip, 3);
		}
		total += r->n_out;
		assert_true(r->n_out == 3000 || r->end);
		pos = r->pos;
		end = (int)r->end;
		free(r);
		pages++;
	}
	assert_int_equal(total, N_FLOWS);
	assert_int_equal(pages, (N_FLOWS + 2999) / 3000);
	free(seen);
}

/* A page answers what it has by answer_by_tsc, with a cursor to go on. */
static void
test_flows_answer_by_gives_a_short_page(void **state)
{
	struct lb_dp_request *r = flows_request(LB_DP_REQ_MAX, 0);

	(void)state;
	r->answer_by_tsc = 1;               /* long past */
	assert_int_equal(serve_all(r), 1);
	assert_true(r->n_out > 0 && r->n_out < LB_DP_REQ_MAX);
	assert_int_equal(r->end, 0);
	assert_true(r->pos > 0);
	free(r);
}

/* A request in progress stays at the head of the ring: it counts
 * against the ring's bound and nothing behind it overtakes it. */
static void
test_request_holds_its_ring_place_until_answered(void **state)
{
	struct lb_dp_request *a = flows_request(LB_DP_REQ_MAX, 0);
	struct lb_dp_request *b = flows_request(1, 0);

	(void)state;
	assert_int_equal(lb_dp_query_submit(dp, 0, a), 0);
	assert_int_equal(lb_dp_query_submit(dp, 0, b), 0);
	lb_dp_serve_request(w, rte_rdtsc());
	assert_false(lb_dp_query_done(a));
	assert_int_equal(rte_ring_count(w->requests), 2);
	while (!lb_dp_query_done(a))
		lb_dp_serve_request(w, rte_rdtsc());
	assert_false(lb_dp_query_done(b));
	assert_int_equal(rte_ring_count(w->requests), 1);
	lb_dp_serve_request(w, rte_rdtsc());
	assert_true(lb_dp_query_done(b));
	assert_int_equal(b->n_out, 1);
	assert_int_equal(rte_ring_count(w->requests), 0);
	free(a);
	free(b);
}

/* A full batch of lookups is answered in steps, every key right. */
static void
test_lookup_answered_in_steps(void **state)
{
	struct lb_dp_request *r;
	struct lb_flow_key *keys;
	uint32_t i;

	(void)state;
	r = calloc(1, sizeof(*r) + LB_DP_REQ_MAX * sizeof(r->out[0]));
	keys = calloc(LB_DP_REQ_MAX, sizeof(*keys));
	assert_non_null(r);
	assert_non_null(keys);
	/* Every other key is held. */
	for (i = 0; i < LB_DP_REQ_MAX; i++)
		keys[i] = key_of(i % 2 ? N_FLOWS + i : i);
	r->type = LB_DP_REQ_LOOKUP;
	r->n = LB_DP_REQ_MAX;
	r->keys = keys;
	r->out = (struct lb_dp_flow_info *)(r + 1);
	serve_all(r);
	assert_int_equal(r->n_out, LB_DP_REQ_MAX);
	for (i = 0; i < LB_DP_REQ_MAX; i++) {
		assert_int_equal(r->out[i].found, i % 2 == 0);
		assert_memory_equal(&r->out[i].key, &keys[i], sizeof(keys[i]));
		if (i % 2 == 0)
			assert_int_equal(r->out[i].backend, 7);
	}
	free(keys);
	free(r);
}

/* The loop maxima start over, written by the worker itself. */
static void
test_reset_max_zeroes_the_loop_maxima(void **state)
{
	struct lb_dp_request r = { .type = LB_DP_REQ_RESET_MAX };

	(void)state;
	w->busy_loop_max_tsc = 12345;
	w->swap_loop_max_tsc = 678;
	w->swap_loop_last_tsc = 9;
	assert_int_equal(serve_all(&r), 1);
	assert_int_equal(w->busy_loop_max_tsc, 0);
	assert_int_equal(w->swap_loop_max_tsc, 0);
	assert_int_equal(w->swap_loop_last_tsc, 9);
}

/* ---- selftest: the worker's own new-flow choice, in steps ---- */

static const char st_ini[] =
	"[global]\nsocket = /tmp/ut-query-unused.sock\nworkers = 1\n"
	"eal_args = \"--no-huge\"\nflow_table_size = 1024\n"
	"[port.lan]\ndevice = net_null0\naddress = 10.0.0.2/24\n"
	"[vip.web]\naddress = 10.0.0.100\nport = 80\nprotocol = tcp\n"
	"mode = dr\npool = p\n"
	"[pool.p]\nscheduler = maglev\ntable_size = 65537\n"
	"[backend.a]\npool = p\naddress = 10.0.0.11\nweight = 1\n"
	"[backend.b]\npool = p\naddress = 10.0.0.12\nweight = 3\n"
	"[backend.z]\npool = p\naddress = 10.0.0.13\nweight = 0\n";

static struct lb_config *
st_config(void)
{
	char path[] = "/tmp/ut-query-XXXXXX.ini";
	struct lb_config_error err;
	struct lb_config *c;
	int fd = mkstemps(path, 4);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;

	assert_non_null(f);
	assert_true(fputs(st_ini, f) >= 0);
	assert_int_equal(fclose(f), 0);
	c = lb_config_parse(path, &err);
	unlink(path);
	if (c == NULL)
		fail_msg("%s", err.msg);
	return c;
}

static struct lb_dp_request *
st_request(uint32_t flows, uint64_t generation)
{
	struct lb_dp_request *r;
	struct lb_dp_selftest *st;

	r = calloc(1, sizeof(*r) + sizeof(*st) +
		   (LB_MAX_BACKENDS + 1) * sizeof(uint32_t) +
		   flows * sizeof(uint16_t));
	assert_non_null(r);
	st = (struct lb_dp_selftest *)(r + 1);
	st->seed = 20;
	st->generation = generation;
	st->flows = flows;
	st->count = (uint32_t *)(st + 1);
	st->choice = (uint16_t *)(st->count + LB_MAX_BACKENDS + 1);
	/* Faulted in here, as management does (workers.c). */
	memset(st->choice, 0, flows * sizeof(uint16_t));
	r->type = LB_DP_REQ_SELFTEST;
	r->selftest = st;
	return r;
}

/*
 * A large self-test is answered in steps of about LB_DP_REQ_STEP_US; each
 * tuple's choice is the packet path's (lb_dp_new_flow_backend), counted
 * by identity; the tuples are ones the packet path would schedule; the
 * flow table and the counters are left as they were.
 */
static void
test_selftest_in_steps_with_the_packet_paths_choice(void **state)
{
	struct lb_config *c = st_config();
	struct lb_snapshot snap = { .cfg = c, .generation = 3 };
	struct lb_worker_stats *before = malloc(sizeof(*before));
	struct lb_dp_request *r = st_request(300000, 3);
	struct lb_dp_selftest *st = r->selftest;
	uint32_t i, sum = 0, entries = lb_flow_table_count(w->flows);
	uint64_t max_step, total;
	unsigned int steps;
	struct lb_flow_key k;
	uint8_t first;
	uint32_t b = 0;

	(void)state;
	assert_non_null(before);
	memcpy(before, &w->stats, sizeof(*before));
	w->seen_snap = &snap;
	steps = serve_timed(r, &max_step, &total);
	printf("selftest of %u tuples: %u steps, %.1f us in all, longest %.1f us\n",
	       st->flows, steps, us(total), us(max_step));
	assert_int_equal(st->stale, 0);
	assert_int_equal(st->done, st->flows);
	assert_true(steps >= 3);
	assert_true(max_step * 2 < total);
	for (i = 0; i < st->flows; i++) {
		lb_dp_selftest_tuple(st->seed, i, &c->vips[0], &k);
		assert_int_equal(lb_dp_new_flow_backend(c, 0, &k, &b), 0);
		assert_int_equal(st->choice[i], c->backends[b].id);
		first = ((const uint8_t *)&k.src_addr)[0];
		assert_true(first != 0 && first != 127 && first < 224);
		assert_true(k.src_port != 0);
		assert_int_equal(k.dst_addr, c->vips[0].addr);
	}
	for (i = 0; i <= LB_MAX_BACKENDS; i++)
		sum += st->count[i];
	assert_int_equal(sum, st->flows);
	for (i = 0; i < c->n_backends; i++) {
		double p = lb_config_expected_share(c, i);
		double n = st->count[c->backends[i].id];

		assert_true(fabs(n - st->flows * p) <=
			    4 * sqrt(st->flows * p * (1 - p)));
	}
	assert_int_equal(lb_flow_table_count(w->flows), entries);
	assert_memory_equal(before, &w->stats, sizeof(*before));
	w->seen_snap = NULL;
	free(before);
	free(r);
	lb_config_free(c);
}

/* A worker on another generation than the one asked says so at once. */
static void
test_selftest_on_another_generation_is_stale(void **state)
{
	struct lb_config *c = st_config();
	struct lb_snapshot snap = { .cfg = c, .generation = 4 };
	struct lb_dp_request *r = st_request(1000, 3);

	(void)state;
	w->seen_snap = &snap;
	assert_int_equal(serve_all(r), 1);
	assert_int_equal(r->selftest->stale, 1);
	assert_int_equal(r->selftest->done, 0);
	w->seen_snap = NULL;
	free(r);
	lb_config_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flows_step_is_bounded_on_a_large_table),
		cmocka_unit_test(test_flows_empty_slots_crossed_in_steps),
		cmocka_unit_test(test_flows_pages_resume_at_cursor),
		cmocka_unit_test(test_flows_answer_by_gives_a_short_page),
		cmocka_unit_test(test_request_holds_its_ring_place_until_answered),
		cmocka_unit_test(test_lookup_answered_in_steps),
		cmocka_unit_test(test_reset_max_zeroes_the_loop_maxima),
		cmocka_unit_test(test_selftest_in_steps_with_the_packet_paths_choice),
		cmocka_unit_test(test_selftest_on_another_generation_is_stale),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
