/* SPDX-License-Identifier: BSD-3-Clause */
#include <stddef.h>
#include <string.h>

#include "lb_stats.h"

static const char *const drop_names[LB_DROP_MAX] = {
#define LB_DROP_NAME(name) [LB_DROP_##name] = #name,
	LB_DROP_REASONS(LB_DROP_NAME)
#undef LB_DROP_NAME
};

static const struct lb_counter_desc flow_counters[] = {
#define LB_FLOW_DESC(n, k, h) \
	{ .name = #n, .kind = LB_##k, .help = h, \
	  .offset = offsetof(struct lb_flow_stats, n) },
	LB_FLOW_COUNTERS(LB_FLOW_DESC)
#undef LB_FLOW_DESC
};

static const struct lb_counter_desc port_counters[] = {
#define LB_PORT_DESC(n, k, h) \
	{ .name = #n, .kind = LB_##k, .help = h, \
	  .offset = offsetof(struct lb_port_stats, n) },
	LB_PORT_COUNTERS(LB_PORT_DESC)
#undef LB_PORT_DESC
};

const struct lb_counter_desc *
lb_stats_port_counters(unsigned int *n)
{
	*n = RTE_DIM(port_counters);
	return port_counters;
}

const struct lb_counter_desc *
lb_stats_flow_counters(unsigned int *n)
{
	*n = RTE_DIM(flow_counters);
	return flow_counters;
}

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
