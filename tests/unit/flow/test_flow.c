/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <rte_common.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_hash_crc.h>
#include <rte_memory.h>

#include "lb_flow.h"

#define CAP 1024u

/* A tick per TSC cycle: the tests speak in ticks. */
static const struct lb_flow_timeouts timeouts = {
	.ticks = {
		[LB_FLOW_FREE] = 10,
		[LB_FLOW_TCP_EST] = 1000,
		[LB_FLOW_TCP_CLOSING] = 100,
		[LB_FLOW_UDP] = 500,
	},
	.tick_shift = 0,
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

/* Insert flow i (backend i, VIP 7) with @p state, last seen at @p tick. */
static int
add(struct lb_flow_table *t, uint32_t i, uint8_t state, uint32_t tick)
{
	struct lb_flow_key k = key_of(i);
	struct lb_flow_entry e = {
		.tick = tick, .backend = (uint16_t)i, .vip = 7, .state = state,
	};

	return lb_flow_insert(t, &k, lb_flow_hash(&k), &e);
}

/* Look flow i up alone. @return 1 on a hit, with its entry in *e. */
static int
find(struct lb_flow_table *t, uint32_t i, struct lb_flow_entry *e)
{
	struct lb_flow_key k = key_of(i);
	const struct lb_flow_key *kp = &k;
	uint32_t h = lb_flow_hash(&k);
	struct lb_flow_entry tmp;

	return lb_flow_lookup_bulk(t, &kp, &h, 1, e != NULL ? e : &tmp) == 1;
}

static void
touch(struct lb_flow_table *t, uint32_t i, const struct lb_flow_entry *e)
{
	struct lb_flow_key k = key_of(i);

	assert_int_equal(lb_flow_update(t, &k, lb_flow_hash(&k), e), 0);
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
	struct lb_flow_entry out[64];
	uint32_t h[64], i;
	uint64_t want = 0, hits;

	/* Every third of 64 keys is present. */
	for (i = 0; i < 64; i++) {
		k[i] = key_of(i);
		kp[i] = &k[i];
		h[i] = lb_flow_hash(&k[i]);
		if (i % 3 == 0) {
			assert_int_equal(add(t, i, LB_FLOW_TCP_EST, 1), 0);
			want |= UINT64_C(1) << i;
		}
	}
	assert_int_equal(lb_flow_table_count(t), 22);
	memset(out, 0xa5, sizeof(out));
	hits = lb_flow_lookup_bulk(t, kp, h, 64, out);
	assert_int_equal(hits, want);
	for (i = 0; i < 64; i++) {
		if (i % 3 == 0) {
			assert_int_equal(out[i].backend, i);
			assert_int_equal(out[i].vip, 7);
			assert_int_equal(out[i].state, LB_FLOW_TCP_EST);
			assert_int_equal(out[i].tick, 1);
		} else {
			/* A miss reads as a FREE entry, never as stale. */
			assert_int_equal(out[i].state, LB_FLOW_FREE);
			assert_int_equal(out[i].backend, 0);
		}
	}
	/* More than rte_hash takes at once: all misses, nothing read past. */
	{
		const struct lb_flow_key *many[65];
		struct lb_flow_entry big[65];
		uint32_t hh[65];

		for (i = 0; i < 65; i++) {
			many[i] = &k[i % 64];
			hh[i] = h[i % 64];
		}
		memset(big, 0xa5, sizeof(big));
		assert_int_equal(lb_flow_lookup_bulk(t, many, hh, 65, big), 0);
		assert_int_equal(big[64].state, LB_FLOW_FREE);
	}
	/* A smaller batch maps bit i to key i too. */
	hits = lb_flow_lookup_bulk(t, kp + 1, h + 1, 5, out);
	assert_int_equal(hits, UINT64_C(1) << 2);  /* key 3 */
	assert_int_equal(out[2].backend, 3);
	assert_int_equal(out[0].state, LB_FLOW_FREE);
}

static void
test_flow_update_rewrites_entry_and_never_inserts(void **state)
{
	struct lb_flow_table *t = *state;
	struct lb_flow_entry e = {
		.tick = 9, .backend = 99, .vip = 3, .state = LB_FLOW_TCP_CLOSING,
	}, got;
	struct lb_flow_key k = key_of(43);

	assert_int_equal(add(t, 42, LB_FLOW_UDP, 5), 0);
	touch(t, 42, &e);
	assert_true(find(t, 42, &got));
	assert_memory_equal(&got, &e, sizeof(e));
	assert_int_equal(lb_flow_table_count(t), 1);
	/* Updating a flow the table does not hold adds nothing. */
	assert_int_equal(lb_flow_update(t, &k, lb_flow_hash(&k), &e),
			 -ENOENT);
	assert_false(find(t, 43, NULL));
	assert_int_equal(lb_flow_table_count(t), 1);
}

static void
test_flow_reinsert_same_key_keeps_count(void **state)
{
	struct lb_flow_table *t = *state;
	struct lb_flow_entry e;

	assert_int_equal(add(t, 1, LB_FLOW_TCP_EST, 5), 0);
	assert_int_equal(add(t, 1, LB_FLOW_TCP_CLOSING, 6), 0);
	assert_int_equal(lb_flow_table_count(t), 1);
	assert_true(find(t, 1, &e));
	assert_int_equal(e.state, LB_FLOW_TCP_CLOSING);
	assert_int_equal(e.tick, 6);
}

static void
test_flow_delete_removes(void **state)
{
	struct lb_flow_table *t = *state;
	struct lb_flow_key k = key_of(5);

	assert_int_equal(0, add(t, 5, LB_FLOW_TCP_EST, 1));
	assert_int_equal(0, add(t, 6, LB_FLOW_TCP_EST, 1));
	lb_flow_delete(t, &k, lb_flow_hash(&k));
	assert_false(find(t, 5, NULL));
	assert_true(find(t, 6, NULL));
	assert_int_equal(lb_flow_table_count(t), 1);
	/* Deleting what is not there changes nothing. */
	lb_flow_delete(t, &k, lb_flow_hash(&k));
	assert_int_equal(lb_flow_table_count(t), 1);
}

static void
test_flow_expire_after_state_timeout_not_before(void **state)
{
	struct lb_flow_table *t = *state;

	assert_int_equal(0, add(t, 1, LB_FLOW_TCP_EST, 1000));
	assert_int_equal(0, add(t, 2, LB_FLOW_UDP, 1000));
	/* Exactly at the timeout the flow is still kept. */
	assert_int_equal(lb_flow_expire(t, 1500, &timeouts, CAP), 0);
	assert_int_equal(lb_flow_table_count(t), 2);
	assert_int_equal(lb_flow_expire(t, 1501, &timeouts, CAP), 1);
	assert_false(find(t, 2, NULL));
	assert_true(find(t, 1, NULL));
	assert_int_equal(lb_flow_expire(t, 2000, &timeouts, CAP), 0);
	assert_int_equal(lb_flow_expire(t, 2001, &timeouts, CAP), 1);
	assert_false(find(t, 1, NULL));
	assert_int_equal(lb_flow_table_count(t), 0);
}

static void
test_flow_expire_keeps_recently_touched(void **state)
{
	struct lb_flow_table *t = *state;
	struct lb_flow_entry e;

	assert_int_equal(0, add(t, 1, LB_FLOW_TCP_EST, 0));
	assert_true(find(t, 1, &e));
	e.tick = 900;  /* a packet arrived */
	touch(t, 1, &e);
	assert_int_equal(lb_flow_expire(t, 1500, &timeouts, CAP), 0);
	assert_true(find(t, 1, NULL));
	/* A clock behind the entry never counts as idle. */
	assert_int_equal(lb_flow_expire(t, 100, &timeouts, CAP), 0);
	assert_true(find(t, 1, NULL));
}

static void
test_flow_expire_survives_tick_wrap(void **state)
{
	struct lb_flow_table *t = *state;
	struct lb_flow_timeouts to = timeouts;

	/* Ticks are 32 bits: idle time is counted across the wrap. */
	to.tick_shift = 8;
	assert_int_equal(0, add(t, 1, LB_FLOW_TCP_EST, UINT32_MAX - 10));
	assert_int_equal(lb_flow_expire(t, (UINT64_C(1) << 40) + (989 << 8),
					&to, CAP), 0);
	assert_int_equal(lb_flow_expire(t, (UINT64_C(1) << 40) + (990 << 8),
					&to, CAP), 1);
	assert_false(find(t, 1, NULL));
}

static void
test_flow_tick_shift_gives_quarter_to_half_second(void **state)
{
	uint64_t hz[] = { 1000000000ull, 2100000000ull, 2600000000ull,
			  3999999999ull, 4000000000ull };
	unsigned int i;

	(void)state;
	for (i = 0; i < RTE_DIM(hz); i++) {
		uint64_t tick = UINT64_C(1) << lb_flow_tick_shift(hz[i]);

		assert_true(tick * 2 <= hz[i]);
		assert_true(tick * 4 > hz[i]);
	}
}

static void
test_flow_closing_expires_before_established(void **state)
{
	struct lb_flow_table *t = *state;

	assert_int_equal(0, add(t, 1, LB_FLOW_TCP_EST, 0));
	assert_int_equal(0, add(t, 2, LB_FLOW_TCP_CLOSING, 0));
	assert_int_equal(lb_flow_expire(t, 101, &timeouts, CAP), 1);
	assert_false(find(t, 2, NULL));
	assert_true(find(t, 1, NULL));
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
		assert_int_equal(0, add(t, i, LB_FLOW_UDP, 0));
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
		assert_int_equal(0, add(t, i, LB_FLOW_UDP, 0));
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
		assert_int_equal(0, add(t, i, i % 8 == 0 ? LB_FLOW_TCP_CLOSING :
				    LB_FLOW_TCP_EST, 0));
	for (calls = 0; calls < (CAP + 16) / 17; calls++)
		assert_true(lb_flow_expire(t, 500, &timeouts, 17) <= 17);
	assert_int_equal(lb_flow_table_count(t), 350);
	for (i = 0; i < 400; i++) {
		if (i % 8 == 0)
			assert_false(find(t, i, NULL));
		else
			assert_true(find(t, i, NULL));
	}
}

static void
test_flow_expire_paced_by_time_not_calls(void **state)
{
	struct lb_flow_table *t = *state;
	struct lb_flow_timeouts to = timeouts;
	uint64_t now = 1000000;
	uint32_t slots = lb_flow_table_slots(t), i;

	/* One slot per 1000 cycles; every flow is long idle, so a call
	 * removes exactly as many flows as it examines slots. */
	to.sweep_tsc = (uint64_t)slots * 1000;
	for (i = 0; i < CAP; i++)
		assert_int_equal(0, add(t, i, LB_FLOW_UDP, 0));
	/* one more position than flows: the bucket headroom (flow.c) */
	assert_int_equal(slots, CAP + 1);
	assert_int_equal(lb_flow_expire_paced(t, now, &to, 64), 0);
	/* Fractions of a slot add up across short calls. */
	assert_int_equal(lb_flow_expire_paced(t, now += 400, &to, 64), 0);
	assert_int_equal(lb_flow_expire_paced(t, now += 400, &to, 64), 0);
	assert_int_equal(lb_flow_expire_paced(t, now += 400, &to, 64), 1);
	/* What is due beyond the cap stays due. */
	assert_int_equal(lb_flow_expire_paced(t, now += 100000, &to, 64), 64);
	assert_int_equal(lb_flow_expire_paced(t, now, &to, 64), 36);
	assert_int_equal(lb_flow_expire_paced(t, now, &to, 64), 0);
	/* A long pause earns one round at most. */
	assert_int_equal(lb_flow_table_count(t), CAP - 101);
	now += 50 * to.sweep_tsc;
	for (i = 0; lb_flow_expire_paced(t, now, &to, 64) > 0; i++)
		;
	assert_int_equal(lb_flow_table_count(t), 0);
	assert_int_equal(i, (CAP - 101 + 63) / 64);
	/* That was the round: nothing is left due for new idle flows. */
	for (i = 0; i < 10; i++)
		assert_int_equal(0, add(t, i, LB_FLOW_UDP, 0));
	assert_int_equal(lb_flow_expire_paced(t, now, &to, 64), 0);
	assert_int_equal(lb_flow_table_count(t), 10);
}

static void
test_flow_full_table_insert_returns_null(void **state)
{
	struct lb_flow_table *t = *state;
	uint32_t i;

	/* Every one of CAP flows fits, whatever the bucket collisions. */
	for (i = 0; i < CAP; i++)
		assert_int_equal(0, add(t, i, LB_FLOW_TCP_EST, 0));
	assert_int_equal(lb_flow_table_count(t), CAP);
	assert_int_equal(-ENOSPC, add(t, CAP, LB_FLOW_TCP_EST, 0));
	assert_int_equal(-ENOSPC, add(t, CAP + 1, LB_FLOW_TCP_EST, 0));
	assert_int_equal(lb_flow_table_count(t), CAP);
	assert_false(find(t, CAP, NULL));
	/* Room again after one leaves. */
	{
		struct lb_flow_key k = key_of(17);

		lb_flow_delete(t, &k, lb_flow_hash(&k));
	}
	assert_int_equal(lb_flow_table_count(t), CAP - 1);
	assert_int_equal(0, add(t, CAP, LB_FLOW_TCP_EST, 0));
	assert_int_equal(lb_flow_table_count(t), CAP);
}

static void
test_flow_tiny_table_capacity_exact(void **state)
{
	struct lb_flow_table *t = lb_flow_table_create("ut_tiny2", 3,
						       SOCKET_ID_ANY);

	(void)state;
	assert_non_null(t);
	assert_int_equal(0, add(t, 1, LB_FLOW_UDP, 0));
	assert_int_equal(0, add(t, 2, LB_FLOW_UDP, 0));
	assert_int_equal(0, add(t, 3, LB_FLOW_UDP, 0));
	assert_int_equal(-ENOSPC, add(t, 4, LB_FLOW_UDP, 0));
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
		assert_int_equal(0, add(t, i, LB_FLOW_TCP_EST, 0));
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

/* A walk bounded by a slot range examines no slot past it, and ranges
 * one after another visit every live flow once. */
static void
test_flow_walk_range_stops_at_its_end(void **state)
{
	struct lb_flow_table *t = *state;
	struct walk_ctx *c = calloc(1, sizeof(*c));
	uint32_t slots = lb_flow_table_slots(t), pos = 0, end, i;
	int ranges = 0;

	assert_non_null(c);
	for (i = 0; i < 200; i++)
		assert_int_equal(0, add(t, i, LB_FLOW_TCP_EST, 0));
	while (pos < slots) {
		end = pos + 37;
		assert_int_equal(lb_flow_walk_range(t, &pos, end, walk_visit,
						    c), 0);
		assert_int_equal(pos, RTE_MIN(end, slots));
		ranges++;
	}
	assert_int_equal(ranges, (slots + 36) / 37);
	assert_int_equal(c->calls, 200);
	for (i = 0; i < 200; i++)
		assert_int_equal(c->seen[i], 1);
	/* fn stops it: pos is just past that flow, inside the range. */
	memset(c, 0, sizeof(*c));
	c->stop_after = 1;
	pos = 0;
	assert_int_equal(lb_flow_walk_range(t, &pos, slots, walk_visit, c), 1);
	assert_int_equal(c->calls, 1);
	assert_true(pos > 0 && pos <= slots);
	/* An empty range examines nothing. */
	end = pos;
	assert_int_equal(lb_flow_walk_range(t, &pos, end, walk_visit, c), 0);
	assert_int_equal(pos, end);
	assert_int_equal(c->calls, 1);
	free(c);
}

/*
 * Random inserts, rewrites, deletes, lookups and expiry on a full-ish
 * table (ext buckets in use) against a plain array of what it must hold.
 */
#define MODEL_KEYS (2 * CAP)

struct model {
	uint8_t held[MODEL_KEYS];
	struct lb_flow_entry e[MODEL_KEYS];
	uint32_t count;
};

static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void
model_check_all(struct lb_flow_table *t, const struct model *m)
{
	struct lb_flow_entry e;
	uint32_t i;

	assert_int_equal(lb_flow_table_count(t), m->count);
	for (i = 0; i < MODEL_KEYS; i++) {
		assert_int_equal(find(t, i, &e), m->held[i]);
		if (m->held[i])
			assert_memory_equal(&e, &m->e[i], sizeof(e));
	}
}

static void
model_step(struct lb_flow_table *t, struct model *m, uint64_t *rs,
	   uint32_t now)
{
	uint32_t i = (uint32_t)(rnd(rs) % MODEL_KEYS);
	struct lb_flow_key k = key_of(i);
	struct lb_flow_entry e = {
		.tick = now, .backend = (uint16_t)rnd(rs), .vip = (uint8_t)i,
		.state = (uint8_t)(1 + rnd(rs) % (LB_FLOW_STATE_MAX - 1)),
	};
	int rc;

	switch (rnd(rs) % 3) {
	case 0:
		rc = lb_flow_insert(t, &k, lb_flow_hash(&k), &e);
		if (!m->held[i] && m->count == CAP) {
			assert_int_equal(rc, -ENOSPC);
			break;
		}
		assert_int_equal(rc, 0);
		m->count += !m->held[i];
		m->held[i] = 1;
		m->e[i] = e;
		break;
	case 1:
		rc = lb_flow_update(t, &k, lb_flow_hash(&k), &e);
		assert_int_equal(rc, m->held[i] ? 0 : -ENOENT);
		if (m->held[i])
			m->e[i] = e;
		break;
	default:
		lb_flow_delete(t, &k, lb_flow_hash(&k));
		m->count -= m->held[i];
		m->held[i] = 0;
	}
}

static void
test_flow_random_ops_match_model(void **state)
{
	struct lb_flow_table *t = *state;
	struct model *m = calloc(1, sizeof(*m));
	struct lb_flow_timeouts to = timeouts;
	uint64_t rs = 0x243f6a8885a308d3ull;
	uint32_t now, i;

	assert_non_null(m);
	for (now = 1; now <= 40; now++) {
		for (i = 0; i < 500; i++)
			model_step(t, m, &rs, now);
		model_check_all(t, m);
	}
	/* Expire: every flow older than its state's timeout goes, no other. */
	to.ticks[LB_FLOW_TCP_EST] = 30;
	to.ticks[LB_FLOW_TCP_CLOSING] = 20;
	to.ticks[LB_FLOW_UDP] = 10;
	lb_flow_expire(t, 45, &to, lb_flow_table_slots(t));
	for (i = 0; i < MODEL_KEYS; i++) {
		if (m->held[i] && 45 - m->e[i].tick > to.ticks[m->e[i].state]) {
			m->held[i] = 0;
			m->count--;
		}
	}
	model_check_all(t, m);
	free(m);
}

/* ---- keyed hashing -------------------------------------------------- */

/* The tuple hash is SipHash-1-3 of the 13 bytes before the padding. */
static void
test_flow_key_hash_is_keyed_siphash(void **state)
{
	struct lb_hash_key a, b, zero;
	struct lb_flow_key k = key_of(42), odd;
	unsigned int i, same = 0;

	(void)state;
	lb_hash_key_set(&a, 0x0123456789abcdefull, 0xfedcba9876543210ull);
	lb_hash_key_set(&b, 0x0123456789abcdefull, 0xfedcba9876543211ull);
	lb_hash_key_set(&zero, 0, 0);
	assert_int_equal(lb_flow_key_hash(&a, &k),
			 (uint32_t)lb_hash_siphash(&a, &k,
					LB_FLOW_KEY_HASHED_LEN, 1, 3));
	/* same key, same hash; the padding is not hashed */
	odd = k;
	odd.pad[0] = 0xff;
	odd.pad[2] = 0x01;
	assert_int_equal(lb_flow_key_hash(&a, &k), lb_flow_key_hash(&a, &odd));
	/* a key one bit apart gives unrelated hashes */
	for (i = 0; i < 4096; i++) {
		k = key_of(i);
		same += lb_flow_key_hash(&a, &k) == lb_flow_key_hash(&b, &k);
	}
	assert_true(same <= 1);
	/* the tables' secret key is not a fixed one */
	k = key_of(7);
	assert_true(lb_flow_hash(&k) != lb_flow_key_hash(&zero, &k));
}

/* The hash every tuple had before: CRC32C with a public seed. */
#define OLD_SEED 0x6c62u

static uint32_t
old_crc_hash(const struct lb_flow_key *k)
{
	uint64_t w[2];

	memcpy(w, k, sizeof(w));
	return rte_hash_crc_8byte(w[1], rte_hash_crc_8byte(w[0], OLD_SEED));
}

#define N_COLLIDE 65536u

/*
 * 65536 tuples to the VIP 10.0.0.254:80 that all had one CRC hash: CRC
 * is linear, crc(x ^ d) = crc(x) ^ crc0(d), so every d in the null space
 * of crc0 over the 48 bits of source address and port (at least 16
 * dimensions) collides with x. Anyone could compute this set.
 */
static void
crc_colliding_set(struct lb_flow_key *out)
{
	uint64_t piv_v[32] = { 0 }, piv_c[32] = { 0 }, null[16];
	unsigned int n_null = 0, j, b, i;

	for (j = 0; j < 48 && n_null < 16; j++) {
		struct lb_flow_key d = { 0 };
		uint64_t w[2] = { 0, 0 }, v, c = UINT64_C(1) << j;

		if (j < 32)
			d.src_addr = UINT32_C(1) << j;
		else
			d.src_port = (uint16_t)(1u << (j - 32));
		memcpy(w, &d, sizeof(w));
		v = rte_hash_crc_8byte(w[1], rte_hash_crc_8byte(w[0], 0));
		for (b = 32; b-- > 0;) {
			if (!(v >> b & 1))
				continue;
			if (piv_v[b] == 0) {
				piv_v[b] = v;
				piv_c[b] = c;
				break;
			}
			v ^= piv_v[b];
			c ^= piv_c[b];
		}
		if (v == 0)
			null[n_null++] = c;
	}
	assert_int_equal(n_null, 16);
	for (i = 0; i < N_COLLIDE; i++) {
		uint64_t c = 0;

		for (b = 0; b < 16; b++)
			if (i >> b & 1)
				c ^= null[b];
		out[i] = key_of(0);
		out[i].dst_addr = 0x0a0000feu;
		out[i].src_addr ^= (uint32_t)c;
		out[i].src_port ^= (uint16_t)(c >> 32);
	}
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/*
 * The old public CRC put all of them on one hash (one bucket chain, one
 * Maglev slot, one backend); keyed SipHash spreads them as any tuples.
 */
static void
test_flow_keyed_hash_breaks_crc_collisions(void **state)
{
	struct lb_flow_key *k = calloc(N_COLLIDE, sizeof(*k));
	uint32_t *h = calloc(N_COLLIDE, sizeof(*h));
	unsigned int bins[256] = { 0 }, i, distinct = 1, max = 0, min = ~0u;
	struct lb_hash_key sched;

	(void)state;
	assert_non_null(k);
	assert_non_null(h);
	crc_colliding_set(k);
	for (i = 1; i < N_COLLIDE; i++) {
		assert_int_equal(old_crc_hash(&k[i]), old_crc_hash(&k[0]));
		assert_memory_not_equal(&k[i], &k[0], sizeof(k[0]));
	}
	assert_int_equal(lb_hash_key_random(&sched), 0);
	for (i = 0; i < N_COLLIDE; i++)
		h[i] = lb_flow_hash(&k[i]);
	qsort(h, N_COLLIDE, sizeof(*h), cmp_u32);
	for (i = 1; i < N_COLLIDE; i++)
		distinct += h[i] != h[i - 1];
	/* 2^16 draws from 2^32: about half a pair collides by chance */
	assert_true(distinct >= N_COLLIDE - 8);
	/* The scheduler's hash spreads them over the table: 256 bins of
	 * the top byte (what picks a Maglev slot), each 256 +- 16. */
	for (i = 0; i < N_COLLIDE; i++)
		bins[lb_flow_key_hash(&sched, &k[i]) >> 24]++;
	for (i = 0; i < 256; i++) {
		max = bins[i] > max ? bins[i] : max;
		min = bins[i] < min ? bins[i] : min;
	}
	assert_true(max <= 256 + 6 * 16);
	assert_true(min >= 256 - 6 * 16);
	free(k);
	free(h);
}

/* ---- embryonic entries and eviction ----------------------------------- */

/* The backend (= flow number, see add) of what eviction took, or -1. */
static int
evict(struct lb_flow_table *t)
{
	struct lb_flow_entry e;
	uint32_t hash;

	if (!lb_flow_evict_embryonic(t, &e, &hash))
		return -1;
	assert_int_equal(e.state, LB_FLOW_TCP_SYN);
	{
		struct lb_flow_key k = key_of(e.backend);

		assert_int_equal(hash, lb_flow_hash(&k));
	}
	return e.backend;
}

static void
test_flow_evict_embryonic_oldest_first(void **state)
{
	struct lb_flow_table *t = *state;
	struct lb_flow_entry e = { .tick = 1, .backend = 2, .vip = 7,
				   .state = LB_FLOW_TCP_EST };
	uint32_t i;
	int got, next = 6;

	assert_int_equal(evict(t), -1);         /* nothing embryonic */
	for (i = 0; i < 100; i++)
		assert_int_equal(0, add(t, i, LB_FLOW_TCP_SYN, i));
	for (i = 100; i < 200; i++)
		assert_int_equal(0, add(t, i, i % 2 ? LB_FLOW_TCP_EST :
					LB_FLOW_UDP, i));
	assert_int_equal(evict(t), 0);
	assert_int_equal(evict(t), 1);
	/* promoted and deleted entries are skipped, never taken */
	{
		struct lb_flow_key k = key_of(2);

		assert_int_equal(lb_flow_promote(t, &k, lb_flow_hash(&k), &e),
				 0);
	}
	{
		struct lb_flow_key k = key_of(4);

		lb_flow_delete(t, &k, lb_flow_hash(&k));
	}
	assert_int_equal(evict(t), 3);
	assert_int_equal(evict(t), 5);
	while ((got = evict(t)) >= 0)
		assert_int_equal(got, next++);
	assert_int_equal(next, 100);
	/* every established, closing or UDP entry stayed */
	assert_int_equal(lb_flow_table_count(t), 101);
	assert_true(find(t, 2, &e));
	assert_int_equal(e.state, LB_FLOW_TCP_EST);
	for (i = 100; i < 200; i++)
		assert_true(find(t, i, NULL));
}

/* Promote flows @p from .. @p to - 1 (embryonic entries). */
static void
promote(struct lb_flow_table *t, uint32_t from, uint32_t to)
{
	struct lb_flow_entry e = { .tick = 1, .vip = 7,
				   .state = LB_FLOW_TCP_EST };
	uint32_t i;

	for (i = from; i < to; i++) {
		struct lb_flow_key k = key_of(i);

		e.backend = (uint16_t)i;
		assert_int_equal(lb_flow_promote(t, &k, lb_flow_hash(&k), &e),
				 0);
	}
}

/* Delete flows @p from .. @p to - 1. */
static void
delete_range(struct lb_flow_table *t, uint32_t from, uint32_t to)
{
	uint32_t i;

	for (i = from; i < to; i++) {
		struct lb_flow_key k = key_of(i);

		lb_flow_delete(t, &k, lb_flow_hash(&k));
	}
}

/* A call examines at most LB_FLOW_EVICT_SCAN stale positions (here left
 * by deletes, which clean none). */
static void
test_flow_evict_scan_bounded(void **state)
{
	struct lb_flow_table *t = *state;
	uint32_t i, gone = LB_FLOW_EVICT_SCAN + 10;

	for (i = 0; i < gone + 5; i++)
		assert_int_equal(0, add(t, i, LB_FLOW_TCP_SYN, 0));
	delete_range(t, 0, gone);
	assert_int_equal(evict(t), -1);
	assert_int_equal(evict(t), (int)gone);
	assert_int_equal(lb_flow_table_count(t), 4);
}

/* New embryonic entries and promotions clear stale positions ahead of
 * them, two each: a history of handshakes does not stand between a flood
 * and its eviction. */
static void
test_flow_embryonic_clear_stale_hints(void **state)
{
	struct lb_flow_table *t = *state;
	uint32_t i, n = 300;

	for (i = 0; i < n; i++)
		assert_int_equal(0, add(t, i, LB_FLOW_TCP_SYN, 0));
	delete_range(t, 0, n);
	for (i = n; i < n + n / 2; i++)
		assert_int_equal(0, add(t, i, LB_FLOW_TCP_SYN, 0));
	assert_int_equal(evict(t), (int)n);
	/* all embryonic first (a burst of SYNs), then all acknowledged: the
	 * promotions clear their own stale positions */
	for (i = 1000; i < 1000 + n; i++)
		assert_int_equal(0, add(t, i, LB_FLOW_TCP_SYN, 0));
	delete_range(t, n + 1, n + n / 2);
	promote(t, 1000, 1000 + n);
	assert_int_equal(0, add(t, 2000, LB_FLOW_TCP_SYN, 0));
	assert_int_equal(evict(t), 2000);
}

/* A full table of embryonic entries turns over, oldest out first, for
 * many times its size (the ring of positions wraps). */
static void
test_flow_evict_turns_over_full_table(void **state)
{
	struct lb_flow_table *t = *state;
	uint32_t i;

	for (i = 0; i < CAP; i++)
		assert_int_equal(0, add(t, i, LB_FLOW_TCP_SYN, 0));
	for (i = CAP; i < 4 * CAP + 17; i++) {
		assert_int_equal(-ENOSPC, add(t, i, LB_FLOW_TCP_SYN, 0));
		assert_int_equal(evict(t), (int)((i - CAP) & 0xffff));
		assert_int_equal(0, add(t, i, LB_FLOW_TCP_SYN, 0));
	}
	assert_int_equal(lb_flow_table_count(t), CAP);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, table_setup, table_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_flow_create_reports_capacity),
		T(test_flow_lookup_bulk_hit_mask),
		T(test_flow_update_rewrites_entry_and_never_inserts),
		T(test_flow_reinsert_same_key_keeps_count),
		T(test_flow_delete_removes),
		T(test_flow_expire_after_state_timeout_not_before),
		T(test_flow_expire_keeps_recently_touched),
		T(test_flow_expire_survives_tick_wrap),
		T(test_flow_tick_shift_gives_quarter_to_half_second),
		T(test_flow_closing_expires_before_established),
		T(test_flow_expire_bounded_by_budget_and_wraps),
		T(test_flow_expire_sweeps_everything_eventually),
		T(test_flow_expire_paced_by_time_not_calls),
		T(test_flow_full_table_insert_returns_null),
		T(test_flow_tiny_table_capacity_exact),
		T(test_flow_walk_visits_each_live_entry_once),
		T(test_flow_walk_range_stops_at_its_end),
		T(test_flow_random_ops_match_model),
		T(test_flow_key_hash_is_keyed_siphash),
		T(test_flow_keyed_hash_breaks_crc_collisions),
		T(test_flow_evict_embryonic_oldest_first),
		T(test_flow_evict_scan_bounded),
		T(test_flow_embryonic_clear_stale_hints),
		T(test_flow_evict_turns_over_full_table),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
