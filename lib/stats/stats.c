/* SPDX-License-Identifier: BSD-3-Clause */
#include <stddef.h>
#include <string.h>

#include "lb_stats.h"

static const char *const drop_names[LB_DROP_MAX] = {
#define LB_DROP_NAME(name) [LB_DROP_##name] = #name,
	LB_DROP_REASONS(LB_DROP_NAME)
#undef LB_DROP_NAME
};

/* The counter descriptor tables: one row per X() of lb_stats.h. */
#define LB_PORT_DESC(n, k, h) LB_COUNTER_DESC(lb_port_stats, n, k, h)
#define LB_FLOW_DESC(n, k, h) LB_COUNTER_DESC(lb_flow_stats, n, k, h)
#define LB_VIP_DESC(n, k, h) LB_COUNTER_DESC(lb_vip_stats, n, k, h)
#define LB_BACKEND_DESC(n, k, h) LB_COUNTER_DESC(lb_backend_stats, n, k, h)

static const struct lb_counter_desc port_counters[] = {
	LB_PORT_COUNTERS(LB_PORT_DESC)
};
static const struct lb_counter_desc flow_counters[] = {
	LB_FLOW_COUNTERS(LB_FLOW_DESC)
};
static const struct lb_counter_desc vip_counters[] = {
	LB_VIP_COUNTERS(LB_VIP_DESC)
};
static const struct lb_counter_desc backend_counters[] = {
	LB_BACKEND_COUNTERS(LB_BACKEND_DESC)
};

#define LB_DESC_TABLE(fn, table) \
	const struct lb_counter_desc *fn(unsigned int *n) \
	{ *n = RTE_DIM(table); return table; }

LB_DESC_TABLE(lb_stats_port_counters, port_counters)
LB_DESC_TABLE(lb_stats_flow_counters, flow_counters)
LB_DESC_TABLE(lb_stats_vip_counters, vip_counters)
LB_DESC_TABLE(lb_stats_backend_counters, backend_counters)

const char *
lb_drop_reason_name(enum lb_drop_reason r)
{
	return (unsigned int)r < LB_DROP_MAX ? drop_names[r] : "unknown";
}

uint64_t
lb_stats_port_drops(const struct lb_port_stats *p)
{
	uint64_t total = 0;
	unsigned int r;

	for (r = 0; r < LB_DROP_MAX; r++)
		total += p->drops[r];
	return total;
}

/* Every field is a uint64_t, so the structs can be summed as arrays. */
static void
sum_u64(uint64_t *dst, const volatile uint64_t *src, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		dst[i] += src[i];
}

void
lb_stats_sum(struct lb_worker_stats *sum,
	     const struct lb_worker_stats *const *w, unsigned int n)
{
	unsigned int i;

	RTE_BUILD_BUG_ON(sizeof(struct lb_worker_stats) % sizeof(uint64_t));
	memset(sum, 0, sizeof(*sum));
	for (i = 0; i < n; i++)
		sum_u64((uint64_t *)sum, (const volatile uint64_t *)w[i],
			sizeof(*sum) / sizeof(uint64_t));
}
