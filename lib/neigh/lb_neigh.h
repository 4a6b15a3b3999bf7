/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef LB_NEIGH_H
#define LB_NEIGH_H

/**
 * @file
 * Next-hop MAC resolution (ARP).
 *
 * Workers never resolve: they read an immutable struct lb_neigh_table,
 * indexed like lb_config.neighs, published by the management lcore exactly
 * like a configuration snapshot. Management keeps the resolver state
 * (when each neighbour was last asked and last answered) and publishes a
 * new table only when a MAC appears or changes.
 */

#include <stdint.h>

#include <rte_ether.h>

#include "lb_config.h"

struct lb_neigh_entry {
	struct rte_ether_addr mac;
	uint8_t valid;
	uint8_t pad;
};

/** Immutable once published. */
struct lb_neigh_table {
	uint32_t n;
	struct lb_neigh_entry e[];
};

/** Why an ARP answer was not learnt (counted in the resolver). */
enum lb_neigh_refusal {
	LB_NEIGH_NOT_UNICAST,       /**< zero, multicast or broadcast MAC */
	LB_NEIGH_OWN_MAC,           /**< one of the appliance's own MACs */
	LB_NEIGH_UNSOLICITED,       /**< a new MAC without our request */
	LB_NEIGH_ETH_SOURCE,        /**< Ethernet source is not the sender */
	LB_NEIGH_REFUSALS
};

/** Management-side resolver state for one configuration. */
struct lb_neigh_resolver {
	const struct lb_config *cfg;
	uint32_t n;
	uint64_t *asked_tsc;        /**< last ARP request sent */
	uint64_t *seen_tsc;         /**< last ARP reply received */
	uint64_t retry_tsc;         /**< resend unanswered requests after */
	uint64_t refresh_tsc;       /**< re-ask resolved neighbours after */
	/* The appliance's own port MACs: never a neighbour's. Kept, with
	 * the counters, across lb_neigh_rebase. */
	unsigned int n_own;
	struct rte_ether_addr own[LB_MAX_PORTS];
	uint64_t learned;           /**< MACs learnt (new or changed) */
	uint64_t refused[LB_NEIGH_REFUSALS];
};

/** Name of a refusal as counters show it ("unsolicited", ...). */
const char *lb_neigh_refusal_name(enum lb_neigh_refusal why);

/** An empty table for @p n neighbours (all invalid). NULL on ENOMEM. */
struct lb_neigh_table *lb_neigh_table_create(uint32_t n);

/**
 * A table for @p cfg with its static next hops (backend `mac =`) already
 * valid. Management. @return NULL when out of memory.
 */
struct lb_neigh_table *lb_neigh_table_for(const struct lb_config *cfg);

/** Free a table no worker can still read. NULL-safe. */
void lb_neigh_table_free(struct lb_neigh_table *t);

/**
 * Set up @p r for @p cfg; retry and refresh intervals in TSC cycles.
 * @return 0 or -ENOMEM.
 */
int lb_neigh_resolver_init(struct lb_neigh_resolver *r,
			   const struct lb_config *cfg, uint64_t retry_tsc,
			   uint64_t refresh_tsc);

void lb_neigh_resolver_fini(struct lb_neigh_resolver *r);

/**
 * Neighbours to ask now: unresolved ones not asked within retry, resolved
 * ones not heard from within refresh. Marks them asked at @p now.
 * @return number written to @p idx (at most @p max).
 */
unsigned int lb_neigh_due(struct lb_neigh_resolver *r, const
			  struct lb_neigh_table *cur, uint64_t now,
			  uint32_t *idx, unsigned int max);

/**
 * Learn that @p addr is at @p mac on port @p port (an ARP reply a worker
 * passed up). ARP is unauthenticated, so only what we asked for is
 * believed: a new or changed MAC is learnt only while a request of ours
 * for that neighbour is unanswered; the same MAC again refreshes it; our
 * own MACs and non-unicast ones are refused. Refusals are counted.
 * @return a new table to publish if a MAC appeared or changed, else NULL
 * (also NULL if the address is no neighbour of ours, or on ENOMEM).
 */
struct lb_neigh_table *lb_neigh_learn(struct lb_neigh_resolver *r,
				      const struct lb_neigh_table *cur,
				      uint32_t port, uint32_t addr,
				      const struct rte_ether_addr *mac,
				      uint64_t now);

/**
 * Move @p r to configuration @p cfg (its neighbours may be indexed
 * differently from r's current one): a table for @p cfg keeping every MAC
 * that @p cur (the table of r's configuration) resolved for the same
 * address and port, and the resolver's timers likewise. Management.
 * @return the table to publish with @p cfg, or NULL on ENOMEM (then @p r
 * is unchanged).
 */
struct lb_neigh_table *lb_neigh_rebase(struct lb_neigh_resolver *r,
				       const struct lb_config *cfg,
				       const struct lb_neigh_table *cur);

#endif
