/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_memory.h>

#include "lb_flow.h"

#define CAP 1024u

static const struct lb_flow_timeouts timeouts = {
	.tsc = {
		[LB_FLOW_FREE] = 10,
		[LB_FLOW_TCP_EST] = 1000,
		[LB_FLOW_TCP_CLOSING] = 100,
		[LB_FLOW_UDP] = 500,
	},
};

static int
group_setup(void **state)
{
	char *argv[] = { "test_flow", "--no-huge", "-m", "128", "--no-pci",
			 "--no-shconf", "--file-prefix=ut-flow",
			 "--log-level=error", NULL };

	(void)state;
	return rte_eal_init(8, argv) < 0 ? -1 : 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	rte_eal_cleanup();
	return 0;
}

static int
table_setup(void **state)
{
	*state = lb_flow_table_create("ut_flows", CAP, SOCKET_ID_ANY);
	return *state == NULL ? -1 : 0;
}

static int
table_teardown(void **state)
{
	lb_flow_table_free(*state);
	return 0;
}

/* Distinct flow keys: i picks the client address and port. */
static struct lb_flow_key
key_of(uint32_t i)
{
	struct lb_flow_key k;

	memset(&k, 0, sizeof(k));
	k.src_addr = 0x0a000000u + i;
	k.dst_addr = 0x0a0000feu;
	k.src_port = (uint16_t)(1024 + i % 50000);
	k.dst_port = 80;
	k.proto = 6;
	return k;
}

/* Insert flow i with @p state, last seen at @p tsc. */
static struct lb_flow_entry *
add(struct lb_flow_table *t, uint32_t i, uint8_t state, uint64_t tsc)
{
	struct lb_flow_key k = key_of(i);
	struct lb_flow_entry *e = lb_flow_insert(t, &k, lb_flow_hash(&k));

	if (e != NULL) {
		assert_int_equal(e->state, LB_FLOW_FREE);
		assert_int_equal(e->backend, 0);
		e->state = state;
		e->last_tsc = tsc;
		e->backend = i;
		e->vip = 7;
	}
	return e;
}

/* Look flow i up alone; NULL on a miss. */
static struct lb_flow_entry *
find(struct lb_flow_table *t, uint32_t i)
{
	struct lb_flow_key k = key_of(i);
	const struct lb_flow_key *kp = &k;
	uint32_t h = lb_flow_hash(&k);
	struct lb_flow_entry *e;

	lb_flow_lookup_bulk(t, &kp, &h, 1, &e);
	return e;
}

static void
test_flow_create_reports_capacity(void **state)
{
	struct lb_flow_table *t = *state, *tiny;

	assert_int_equal(lb_flow_table_capacity(t), CAP);
	assert_int_equal(lb_flow_table_count(t), 0);
	tiny = lb_flow_table_create("ut_tiny", 3, SOCKET_ID_ANY);
	assert_non_null(tiny);
	assert_int_equal(lb_flow_table_capacity(tiny), 3);
	lb_flow_table_free(tiny);
	assert_null(lb_flow_table_create("ut_zero", 0, SOCKET_ID_ANY));
	assert_int_equal(rte_errno, EINVAL);
	lb_flow_table_free(NULL);
}

static void
test_flow_lookup_bulk_hit_mask(void **state)
{
	struct lb_flow_table *t = *state;
	struct lb_flow_key k[64];
	const struct lb_flow_key *kp[64];
	struct lb_flow_entry *out[64];
	uint32_t h[64], i;
	uint64_t want = 0, hits;

	/* Every third of 64 keys is present. */
	for (i = 0; i < 64; i++) {
		k[i] = key_of(i);
		kp[i] = &k[i];
		h[i] = lb_flow_hash(&k[i]);
		if (i % 3 == 0) {
			assert_non_null(add(t, i, LB_FLOW_TCP_EST, 1));
			want |= UINT64_C(1) << i;
		}
	}
	assert_int_equal(lb_flow_table_count(t), 22);
	memset(out, 0xa5, sizeof(out));
	hits = lb_flow_lookup_bulk(t, kp, h, 64, out);
	assert_int_equal(hits, want);
	for (i = 0; i < 64; i++) {
		if (i % 3 == 0) {
			assert_non_null(out[i]);
			assert_int_equal(out[i]->backend, i);
			assert_int_equal(out[i]->vip, 7);
		} else {
			assert_null(out[i]);
		}
	}
	/* A smaller batch maps bit i to key i too. */
	hits = lb_flow_lookup_bulk(t, kp + 1, h + 1, 5, out);
	assert_int_equal(hits, UINT64_C(1) << 2);  /* key 3 */
	assert_null(out[0]);
	assert_null(out[1]);
	assert_non_null(out[2]);
	assert_int_equal(out[2]->backend, 3);
}

static void
test_flow_entry_persists_between_lookups(void **state)
{
	struct lb_flow_table *t = *state;
	struct lb_flow_entry *e = add(t, 42, LB_FLOW_UDP, 5);

	assert_non_null(e);
	e->backend = 99;
	assert_ptr_equal(find(t, 42), e);
	assert_int_equal(find(t, 42)->backend, 99);
	assert_null(find(t, 43));
}

static void
test_flow_reinsert_same_key_keeps_count(void **state)
{
	struct lb_flow_table *t = *state;

	assert_non_null(add(t, 1, LB_FLOW_TCP_EST, 5));
	assert_non_null(add(t, 1, LB_FLOW_TCP_CLOSING, 6));
	assert_int_equal(lb_flow_table_count(t), 1);
	assert_int_equal(find(t, 1)->state, LB_FLOW_TCP_CLOSING);
}

static void
test_flow_delete_removes(void **state)
{
	struct lb_flow_table *t = *state;
	struct lb_flow_key k = key_of(5);

	assert_non_null(add(t, 5, LB_FLOW_TCP_EST, 1));
	assert_non_null(add(t, 6, LB_FLOW_TCP_EST, 1));
	lb_flow_delete(t, &k, lb_flow_hash(&k));
	assert_null(find(t, 5));
	assert_non_null(find(t, 6));
	assert_int_equal(lb_flow_table_count(t), 1);
	/* Deleting what is not there changes nothing. */
	lb_flow_delete(t, &k, lb_flow_hash(&k));
	assert_int_equal(lb_flow_table_count(t), 1);
}

static void
test_flow_expire_after_state_timeout_not_before(void **state)
{
	struct lb_flow_table *t = *state;

	assert_non_null(add(t, 1, LB_FLOW_TCP_EST, 1000));
	assert_non_null(add(t, 2, LB_FLOW_UDP, 1000));
	/* Exactly at the timeout the flow is still kept. */
	assert_int_equal(lb_flow_expire(t, 1500, &timeouts, CAP), 0);
	assert_int_equal(lb_flow_table_count(t), 2);
	assert_int_equal(lb_flow_expire(t, 1501, &timeouts, CAP), 1);
	assert_null(find(t, 2));
	assert_non_null(find(t, 1));
	assert_int_equal(lb_flow_expire(t, 2000, &timeouts, CAP), 0);
	assert_int_equal(lb_flow_expire(t, 2001, &timeouts, CAP), 1);
	assert_null(find(t, 1));
	assert_int_equal(lb_flow_table_count(t), 0);
}

static void
test_flow_expire_keeps_recently_touched(void **state)
{
	struct lb_flow_table *t = *state;
	struct lb_flow_entry *e = add(t, 1, LB_FLOW_TCP_EST, 0);

	assert_non_null(e);
	e->last_tsc = 900;  /* a packet arrived */
	assert_int_equal(lb_flow_expire(t, 1500, &timeouts, CAP), 0);
	assert_non_null(find(t, 1));
	/* A clock behind the entry never counts as idle. */
	assert_int_equal(lb_flow_expire(t, 100, &timeouts, CAP), 0);
}

static void
test_flow_closing_expires_before_established(void **state)
{
	struct lb_flow_table *t = *state;

	assert_non_null(add(t, 1, LB_FLOW_TCP_EST, 0));
	assert_non_null(add(t, 2, LB_FLOW_TCP_CLOSING, 0));
	assert_int_equal(lb_flow_expire(t, 101, &timeouts, CAP), 1);
	assert_null(find(t, 2));
	assert_non_null(find(t, 1));
}

static void
test_flow_expire_bounded_by_budget_and_wraps(void **state)
{
	struct lb_flow_table *t = *state;
	unsigned int calls = 0, removed, total = 0;
	uint32_t i;

	/* Full table, all idle: every position holds a flow, so a call
	 * removes exactly as many flows as it examines positions. */
	for (i = 0; i < CAP; i++)
		assert_non_null(add(t, i, LB_FLOW_UDP, 0));
	assert_int_equal(lb_flow_expire(t, 10000, &timeouts, 0), 0);
	/* Start mid-table so the sweep has to wrap. */
	assert_int_equal(lb_flow_expire(t, 10000, &timeouts, 100), 100);
	while (lb_flow_table_count(t) > 0) {
		removed = lb_flow_expire(t, 10000, &timeouts, 64);
		assert_true(removed <= 64);
		total += removed;
		calls++;
		assert_true(calls <= CAP / 64 + 1);
	}
	assert_int_equal(total, CAP - 100);
	/* (CAP - 100) / 64 rounded up: every call but the last was full. */
	assert_int_equal(calls, (CAP - 100 + 63) / 64);
	/* A budget larger than the table examines each position once. */
	for (i = 0; i < 10; i++)
		assert_non_null(add(t, i, LB_FLOW_UDP, 0));
	assert_int_equal(lb_flow_expire(t, 10000, &timeouts, 10 * CAP), 10);
}

static void
test_flow_expire_sweeps_everything_eventually(void **state)
{
	struct lb_flow_table *t = *state;
	unsigned int calls;
	uint32_t i;

	/* Sparse table: 1 flow in 8 expired, the rest live. */
	for (i = 0; i < 400; i++)
		assert_non_null(add(t, i, i % 8 == 0 ? LB_FLOW_TCP_CLOSING :
				    LB_FLOW_TCP_EST, 0));
	for (calls = 0; calls < (CAP + 16) / 17; calls++)
		assert_true(lb_flow_expire(t, 500, &timeouts, 17) <= 17);
	assert_int_equal(lb_flow_table_count(t), 350);
	for (i = 0; i < 400; i++) {
		if (i % 8 == 0)
			assert_null(find(t, i));
		else
			assert_non_null(find(t, i));
	}
}

static void
test_flow_full_table_insert_returns_null(void **state)
{
	struct lb_flow_table *t = *state;
	uint32_t i;

	/* Every one of CAP flows fits, whatever the bucket collisions. */
	for (i = 0; i < CAP; i++)
		assert_non_null(add(t, i, LB_FLOW_TCP_EST, 0));
	assert_int_equal(lb_flow_table_count(t), CAP);
	assert_null(add(t, CAP, LB_FLOW_TCP_EST, 0));
	assert_null(add(t, CAP + 1, LB_FLOW_TCP_EST, 0));
	assert_int_equal(lb_flow_table_count(t), CAP);
	assert_null(find(t, CAP));
	/* Room again after one leaves. */
	{
		struct lb_flow_key k = key_of(17);

		lb_flow_delete(t, &k, lb_flow_hash(&k));
	}
	assert_int_equal(lb_flow_table_count(t), CAP - 1);
	assert_non_null(add(t, CAP, LB_FLOW_TCP_EST, 0));
	assert_int_equal(lb_flow_table_count(t), CAP);
}

static void
test_flow_tiny_table_capacity_exact(void **state)
{
	struct lb_flow_table *t = lb_flow_table_create("ut_tiny2", 3,
						       SOCKET_ID_ANY);

	(void)state;
	assert_non_null(t);
	assert_non_null(add(t, 1, LB_FLOW_UDP, 0));
	assert_non_null(add(t, 2, LB_FLOW_UDP, 0));
	assert_non_null(add(t, 3, LB_FLOW_UDP, 0));
	assert_null(add(t, 4, LB_FLOW_UDP, 0));
	assert_int_equal(lb_flow_table_count(t), 3);
	lb_flow_table_free(t);
}

struct walk_ctx {
	uint8_t seen[CAP];
	unsigned int calls;
	unsigned int stop_after;
};

static int
walk_visit(const struct lb_flow_key *k, const struct lb_flow_entry *e,
	   void *arg)
{
	struct walk_ctx *c = arg;
	struct lb_flow_key want = key_of(e->backend);

	assert_true(e->backend < CAP);
	assert_memory_equal(k, &want, sizeof(want));
	c->seen[e->backend]++;
	c->calls++;
	return c->stop_after != 0 && c->calls % c->stop_after == 0;
}

static void
test_flow_walk_visits_each_live_entry_once(void **state)
{
	struct lb_flow_table *t = *state;
	struct walk_ctx *c = calloc(1, sizeof(*c));
	uint32_t pos = 0, i;
	int rounds = 0;

	assert_non_null(c);
	for (i = 0; i < 300; i++)
		assert_non_null(add(t, i, LB_FLOW_TCP_EST, 0));
	for (i = 0; i < 300; i += 3) {
		struct lb_flow_key k = key_of(i);

		lb_flow_delete(t, &k, lb_flow_hash(&k));
	}
	/* Resume the walk from *pos after fn stops it every 7 flows. */
	c->stop_after = 7;
	while (lb_flow_walk(t, &pos, walk_visit, c) == 1)
		rounds++;
	assert_int_equal(c->calls, 200);
	assert_int_equal(rounds, 200 / 7);
	for (i = 0; i < 300; i++)
		assert_int_equal(c->seen[i], i % 3 == 0 ? 0 : 1);
	/* At the end a walk visits nothing more. */
	assert_int_equal(lb_flow_walk(t, &pos, walk_visit, c), 0);
	assert_int_equal(c->calls, 200);
	free(c);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, table_setup, table_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_flow_create_reports_capacity),
		T(test_flow_lookup_bulk_hit_mask),
		T(test_flow_entry_persists_between_lookups),
		T(test_flow_reinsert_same_key_keeps_count),
		T(test_flow_delete_removes),
		T(test_flow_expire_after_state_timeout_not_before),
		T(test_flow_expire_keeps_recently_touched),
		T(test_flow_closing_expires_before_established),
		T(test_flow_expire_bounded_by_budget_and_wraps),
		T(test_flow_expire_sweeps_everything_eventually),
		T(test_flow_full_table_insert_returns_null),
		T(test_flow_tiny_table_capacity_exact),
		T(test_flow_walk_visits_each_live_entry_once),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
