/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <rte_byteorder.h>
#include <rte_ip.h>

#include "lb_neigh.h"

#define RETRY 100
#define REFRESH 10000
#define ADDR(a, b, c, d) rte_cpu_to_be_32(RTE_IPV4(a, b, c, d))

/* Three neighbours: two on port 0, one on port 1. */
struct fixture {
	struct lb_neigh_conf neighs[3];
	struct lb_config cfg;
	struct lb_neigh_resolver r;
	struct lb_neigh_table *cur;
};

static const struct rte_ether_addr mac_a = {
	.addr_bytes = { 0x02, 0, 0, 0, 0, 0x0a } };
static const struct rte_ether_addr mac_b = {
	.addr_bytes = { 0x02, 0, 0, 0, 0, 0x0b } };

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	f->neighs[0] = (struct lb_neigh_conf){ ADDR(10, 0, 0, 11), 0 };
	f->neighs[1] = (struct lb_neigh_conf){ ADDR(10, 0, 0, 12), 0 };
	f->neighs[2] = (struct lb_neigh_conf){ ADDR(10, 1, 0, 1), 1 };
	f->cfg.n_neighs = 3;
	f->cfg.neighs = f->neighs;
	if (lb_neigh_resolver_init(&f->r, &f->cfg, RETRY, REFRESH) != 0)
		return -1;
	f->cur = lb_neigh_table_create(3);
	*state = f;
	return f->cur == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	lb_neigh_table_free(f->cur);
	lb_neigh_resolver_fini(&f->r);
	free(f);
	return 0;
}

/* Our request to every neighbour at (port, addr) at @p when: its answer
 * is then believed. */
static void
ask(struct fixture *f, uint32_t port, uint32_t addr, uint64_t when)
{
	uint32_t i;

	for (i = 0; i < 3; i++)
		if (f->neighs[i].addr == addr && f->neighs[i].port == port)
			f->r.asked_tsc[i] = when;
}

/* Ask, then learn the answer, and on a new table make it the current one
 * (as publishing does). */
static int
learn(struct fixture *f, uint32_t port, uint32_t addr,
      const struct rte_ether_addr *mac, uint64_t now)
{
	struct lb_neigh_table *next;

	ask(f, port, addr, now - 1);
	next = lb_neigh_learn(&f->r, f->cur, port, addr, mac, now);
	if (next == NULL)
		return 0;
	lb_neigh_table_free(f->cur);
	f->cur = next;
	return 1;
}

static void
test_neigh_table_create_all_invalid(void **state)
{
	struct fixture *f = *state;
	struct lb_neigh_table *t = lb_neigh_table_create(0);
	uint32_t i;

	assert_non_null(t);
	assert_int_equal(t->n, 0);
	lb_neigh_table_free(t);
	lb_neigh_table_free(NULL);
	assert_int_equal(f->cur->n, 3);
	for (i = 0; i < 3; i++)
		assert_false(f->cur->e[i].valid);
}

static void
test_neigh_learn_new_mac_gives_new_table(void **state)
{
	struct fixture *f = *state;
	const struct lb_neigh_table *old = f->cur;
	struct lb_neigh_table *next;

	ask(f, 0, ADDR(10, 0, 0, 12), 49);
	next = lb_neigh_learn(&f->r, old, 0, ADDR(10, 0, 0, 12), &mac_a, 50);
	assert_non_null(next);
	assert_ptr_not_equal(next, old);
	assert_int_equal(next->n, 3);
	assert_true(next->e[1].valid);
	assert_memory_equal(&next->e[1].mac, &mac_a, sizeof(mac_a));
	assert_false(next->e[0].valid);
	assert_false(next->e[2].valid);
	/* The published table is not touched. */
	assert_false(old->e[1].valid);
	assert_int_equal(f->r.seen_tsc[1], 50);
	lb_neigh_table_free(next);
}

static void
test_neigh_learn_keeps_other_entries(void **state)
{
	struct fixture *f = *state;

	assert_true(learn(f, 0, ADDR(10, 0, 0, 11), &mac_a, 10));
	assert_true(learn(f, 1, ADDR(10, 1, 0, 1), &mac_b, 20));
	assert_true(f->cur->e[0].valid);
	assert_memory_equal(&f->cur->e[0].mac, &mac_a, sizeof(mac_a));
	assert_true(f->cur->e[2].valid);
	assert_memory_equal(&f->cur->e[2].mac, &mac_b, sizeof(mac_b));
	assert_false(f->cur->e[1].valid);
}

static void
test_neigh_learn_same_mac_returns_null_but_records_seen(void **state)
{
	struct fixture *f = *state;

	assert_true(learn(f, 0, ADDR(10, 0, 0, 11), &mac_a, 10));
	assert_null(lb_neigh_learn(&f->r, f->cur, 0, ADDR(10, 0, 0, 11),
				   &mac_a, 777));
	assert_int_equal(f->r.seen_tsc[0], 777);
}

static void
test_neigh_learn_changed_mac_gives_new_table(void **state)
{
	struct fixture *f = *state;

	assert_true(learn(f, 0, ADDR(10, 0, 0, 11), &mac_a, 10));
	assert_true(learn(f, 0, ADDR(10, 0, 0, 11), &mac_b, 20));
	assert_true(f->cur->e[0].valid);
	assert_memory_equal(&f->cur->e[0].mac, &mac_b, sizeof(mac_b));
	assert_int_equal(f->r.seen_tsc[0], 20);
}

static void
test_neigh_learn_unknown_address_ignored(void **state)
{
	struct fixture *f = *state;
	uint32_t i;

	assert_null(lb_neigh_learn(&f->r, f->cur, 0, ADDR(10, 0, 0, 99),
				   &mac_a, 10));
	for (i = 0; i < 3; i++)
		assert_int_equal(f->r.seen_tsc[i], 0);
}

static void
test_neigh_learn_wrong_port_ignored(void **state)
{
	struct fixture *f = *state;

	/* 10.0.0.11 is a neighbour on port 0, not on port 1. */
	assert_null(lb_neigh_learn(&f->r, f->cur, 1, ADDR(10, 0, 0, 11),
				   &mac_a, 10));
	assert_int_equal(f->r.seen_tsc[0], 0);
	assert_false(f->cur->e[0].valid);
}

static void
test_neigh_learn_rejects_non_unicast_mac(void **state)
{
	struct fixture *f = *state;
	struct rte_ether_addr zero = { 0 }, bcast;

	memset(&bcast, 0xff, sizeof(bcast));
	assert_null(lb_neigh_learn(&f->r, f->cur, 0, ADDR(10, 0, 0, 11),
				   &zero, 10));
	assert_null(lb_neigh_learn(&f->r, f->cur, 0, ADDR(10, 0, 0, 11),
				   &bcast, 10));
	assert_false(f->cur->e[0].valid);
}

/* A table from another configuration (other size) is not copied. */
static void
test_neigh_learn_ignores_table_of_other_config(void **state)
{
	struct fixture *f = *state;
	struct lb_neigh_table *other = lb_neigh_table_create(1), *next;

	assert_non_null(other);
	other->e[0].valid = 1;
	other->e[0].mac = mac_b;
	ask(f, 0, ADDR(10, 0, 0, 12), 4);
	next = lb_neigh_learn(&f->r, other, 0, ADDR(10, 0, 0, 12), &mac_a, 5);
	assert_non_null(next);
	assert_int_equal(next->n, 3);
	assert_false(next->e[0].valid);
	assert_true(next->e[1].valid);
	lb_neigh_table_free(next);
	lb_neigh_table_free(other);
}

static void
test_neigh_due_unresolved_asked_then_retried(void **state)
{
	struct fixture *f = *state;
	uint32_t idx[8];

	/* Never asked: all three are due, and are marked asked. */
	assert_int_equal(lb_neigh_due(&f->r, f->cur, 1000, idx, 8), 3);
	assert_int_equal(idx[0], 0);
	assert_int_equal(idx[1], 1);
	assert_int_equal(idx[2], 2);
	assert_int_equal(f->r.asked_tsc[2], 1000);
	/* Within the retry interval: nothing. */
	assert_int_equal(lb_neigh_due(&f->r, f->cur, 1000 + RETRY - 1, idx, 8),
			 0);
	/* One answers; the other two are asked again after retry. */
	assert_true(learn(f, 0, ADDR(10, 0, 0, 12), &mac_a, 1050));
	assert_int_equal(lb_neigh_due(&f->r, f->cur, 1000 + RETRY, idx, 8), 2);
	assert_int_equal(idx[0], 0);
	assert_int_equal(idx[1], 2);
}

static void
test_neigh_due_respects_max(void **state)
{
	struct fixture *f = *state;
	uint32_t idx[8];

	assert_int_equal(lb_neigh_due(&f->r, f->cur, 1000, idx, 2), 2);
	assert_int_equal(idx[0], 0);
	assert_int_equal(idx[1], 1);
	/* Those not listed were not marked: the next call lists them. */
	assert_int_equal(f->r.asked_tsc[2], 0);
	assert_int_equal(lb_neigh_due(&f->r, f->cur, 1001, idx, 2), 1);
	assert_int_equal(idx[0], 2);
}

static void
test_neigh_due_resolved_refreshed_when_quiet(void **state)
{
	struct fixture *f = *state;
	uint32_t idx[8];
	uint64_t t = 1000;

	assert_true(learn(f, 0, ADDR(10, 0, 0, 11), &mac_a, t));
	assert_true(learn(f, 0, ADDR(10, 0, 0, 12), &mac_a, t));
	assert_true(learn(f, 1, ADDR(10, 1, 0, 1), &mac_b, t));
	/* Resolved and recently heard: nothing to ask. */
	assert_int_equal(lb_neigh_due(&f->r, f->cur, t + REFRESH - 1, idx, 8),
			 0);
	/* Neighbour 1 keeps talking; the other two went quiet. */
	assert_null(lb_neigh_learn(&f->r, f->cur, 0, ADDR(10, 0, 0, 12),
				   &mac_a, t + REFRESH - 1));
	assert_int_equal(lb_neigh_due(&f->r, f->cur, t + REFRESH, idx, 8), 2);
	assert_int_equal(idx[0], 0);
	assert_int_equal(idx[1], 2);
	/* Still quiet: asked again only after the retry interval. */
	assert_int_equal(lb_neigh_due(&f->r, f->cur, t + REFRESH + RETRY - 1,
				      idx, 8), 0);
	assert_int_equal(lb_neigh_due(&f->r, f->cur, t + REFRESH + RETRY,
				      idx, 8), 2);
	/* Stays valid while being refreshed: workers keep forwarding. */
	assert_true(f->cur->e[0].valid);
}

static void
test_neigh_resolver_without_neighbours(void **state)
{
	struct lb_config cfg;
	struct lb_neigh_resolver r;
	uint32_t idx[1];

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	assert_int_equal(lb_neigh_resolver_init(&r, &cfg, RETRY, REFRESH), 0);
	assert_int_equal(lb_neigh_due(&r, NULL, 1000, idx, 1), 0);
	assert_null(lb_neigh_learn(&r, NULL, 0, ADDR(10, 0, 0, 11), &mac_a,
				   1000));
	lb_neigh_resolver_fini(&r);
}

/* Neighbour 1 given a MAC in the config: valid from the start, never asked. */
static void
test_neigh_static_valid_never_due_never_learned(void **state)
{
	struct fixture *f = *state;
	struct lb_neigh_table *t;
	uint32_t idx[3];
	unsigned int n;

	f->neighs[1].has_mac = 1;
	memcpy(f->neighs[1].mac, mac_a.addr_bytes, 6);
	t = lb_neigh_table_for(&f->cfg);
	assert_non_null(t);
	assert_int_equal(t->e[1].valid, 1);
	assert_true(rte_is_same_ether_addr(&t->e[1].mac, &mac_a));
	assert_int_equal(t->e[0].valid, 0);
	n = lb_neigh_due(&f->r, t, 1, idx, 3);
	assert_int_equal(n, 2);
	assert_int_equal(idx[0], 0);
	assert_int_equal(idx[1], 2);
	assert_null(lb_neigh_learn(&f->r, t, 0, ADDR(10, 0, 0, 12), &mac_b,
				   2));
	/* another MAC for a static next hop is refused (the kernel
	 * interface must not learn it either); its own is not */
	assert_int_equal(f->r.refused[LB_NEIGH_UNSOLICITED], 1);
	assert_null(lb_neigh_learn(&f->r, t, 0, ADDR(10, 0, 0, 12), &mac_a,
				   3));
	assert_int_equal(f->r.refused[LB_NEIGH_UNSOLICITED], 1);
	lb_neigh_table_free(t);
}

/* ARP is unauthenticated: a new MAC nobody asked for is refused and
 * counted; once our request is out, the answer is believed. */
static void
test_neigh_learn_only_what_was_asked(void **state)
{
	struct fixture *f = *state;

	assert_null(lb_neigh_learn(&f->r, f->cur, 0, ADDR(10, 0, 0, 11),
				   &mac_a, 10));
	assert_int_equal(f->r.refused[LB_NEIGH_UNSOLICITED], 1);
	assert_false(f->cur->e[0].valid);
	assert_true(learn(f, 0, ADDR(10, 0, 0, 11), &mac_a, 20));
	assert_int_equal(f->r.learned, 1);
	/* answered: a flip to another MAC is unsolicited until asked */
	assert_null(lb_neigh_learn(&f->r, f->cur, 0, ADDR(10, 0, 0, 11),
				   &mac_b, 30));
	assert_int_equal(f->r.refused[LB_NEIGH_UNSOLICITED], 2);
	assert_true(rte_is_same_ether_addr(&f->cur->e[0].mac, &mac_a));
	/* the same MAC again is a refresh, always welcome */
	assert_null(lb_neigh_learn(&f->r, f->cur, 0, ADDR(10, 0, 0, 11),
				   &mac_a, 40));
	assert_int_equal(f->r.seen_tsc[0], 40);
	assert_int_equal(f->r.refused[LB_NEIGH_UNSOLICITED], 2);
}

/* Our own port's MAC is never a neighbour's, asked or not. */
static void
test_neigh_learn_refuses_own_mac(void **state)
{
	struct fixture *f = *state;

	f->r.own[f->r.n_own++] = mac_b;
	ask(f, 0, ADDR(10, 0, 0, 11), 5);
	assert_null(lb_neigh_learn(&f->r, f->cur, 0, ADDR(10, 0, 0, 11),
				   &mac_b, 10));
	assert_int_equal(f->r.refused[LB_NEIGH_OWN_MAC], 1);
	assert_false(f->cur->e[0].valid);
	assert_string_equal(lb_neigh_refusal_name(LB_NEIGH_OWN_MAC),
			    "own_mac");
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_neigh_table_create_all_invalid),
		T(test_neigh_learn_new_mac_gives_new_table),
		T(test_neigh_learn_keeps_other_entries),
		T(test_neigh_learn_same_mac_returns_null_but_records_seen),
		T(test_neigh_learn_changed_mac_gives_new_table),
		T(test_neigh_learn_unknown_address_ignored),
		T(test_neigh_learn_wrong_port_ignored),
		T(test_neigh_learn_rejects_non_unicast_mac),
		T(test_neigh_learn_ignores_table_of_other_config),
		T(test_neigh_due_unresolved_asked_then_retried),
		T(test_neigh_due_respects_max),
		T(test_neigh_due_resolved_refreshed_when_quiet),
		T(test_neigh_static_valid_never_due_never_learned),
		T(test_neigh_learn_only_what_was_asked),
		T(test_neigh_learn_refuses_own_mac),
		cmocka_unit_test(test_neigh_resolver_without_neighbours),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
