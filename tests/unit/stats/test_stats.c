/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lb_stats.h"

static void
test_drop_reason_names_unique(void **state)
{
	unsigned int i, j;

	(void)state;
	for (i = 0; i < LB_DROP_MAX; i++) {
		assert_non_null(lb_drop_reason_name(i));
		assert_string_not_equal(lb_drop_reason_name(i), "unknown");
		for (j = i + 1; j < LB_DROP_MAX; j++)
			assert_string_not_equal(lb_drop_reason_name(i),
						lb_drop_reason_name(j));
	}
	assert_string_equal(lb_drop_reason_name(LB_DROP_ipv4_checksum),
			    "ipv4_checksum");
	assert_string_equal(lb_drop_reason_name(LB_DROP_MAX), "unknown");
}

static void
test_stats_sum_adds_every_counter(void **state)
{
	struct lb_worker_stats *a = calloc(1, sizeof(*a));
	struct lb_worker_stats *b = calloc(1, sizeof(*b));
	struct lb_worker_stats *sum = malloc(sizeof(*sum));
	const struct lb_worker_stats *w[2] = { a, b };

	(void)state;
	a->loops = 3; b->loops = 4;
	a->flow.inserts = 5; b->flow.inserts = 6;
	a->port[1].drops[LB_DROP_tx_full] = 7;
	b->port[1].drops[LB_DROP_tx_full] = 8;
	a->backend[LB_MAX_BACKENDS - 1].bytes = 9;
	b->backend[LB_MAX_BACKENDS - 1].bytes = 10;
	memset(sum, 0xff, sizeof(*sum));
	lb_stats_sum(sum, w, 2);
	assert_int_equal(sum->loops, 7);
	assert_int_equal(sum->flow.inserts, 11);
	assert_int_equal(sum->port[1].drops[LB_DROP_tx_full], 15);
	assert_int_equal(sum->backend[LB_MAX_BACKENDS - 1].bytes, 19);
	assert_int_equal(sum->vip[0].packets, 0);
	assert_int_equal(lb_stats_port_drops(&sum->port[1]), 15);
	free(a); free(b); free(sum);
}

/* Each table names every counter of its struct once, in struct order. */
static void
check_table(const struct lb_counter_desc *(*table)(unsigned int *n),
	    size_t counted_bytes)
{
	unsigned int i, j, n;
	const struct lb_counter_desc *d = table(&n);

	assert_int_equal(n * sizeof(uint64_t), counted_bytes);
	for (i = 0; i < n; i++) {
		assert_int_equal(d[i].offset, i * sizeof(uint64_t));
		assert_true(d[i].help != NULL && d[i].help[0] != '\0');
		for (j = 0; j < i; j++)
			assert_string_not_equal(d[i].name, d[j].name);
	}
}

static void
test_counter_tables_cover_their_structs(void **state)
{
	(void)state;
	check_table(lb_stats_port_counters,
		    offsetof(struct lb_port_stats, drops));
	check_table(lb_stats_flow_counters, sizeof(struct lb_flow_stats));
	check_table(lb_stats_vip_counters, sizeof(struct lb_vip_stats));
	check_table(lb_stats_backend_counters,
		    sizeof(struct lb_backend_stats));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_drop_reason_names_unique),
		cmocka_unit_test(test_stats_sum_adds_every_counter),
		cmocka_unit_test(test_counter_tables_cover_their_structs),
	};

	return cmocka_run_group_tests_name("stats", tests, NULL, NULL);
}
