/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef LB_FLOW_H
#define LB_FLOW_H

/**
 * @file
 * Per-worker flow table: 5-tuple -> backend, with idle expiry.
 *
 * One table per worker, written and read only by that worker (no locks, no
 * atomics). Management never touches it directly; it asks the worker
 * (see lb_dataplane.h). Built on rte_hash; entry data lives in a parallel
 * array indexed by the key's rte_hash position.
 */

#include <stdint.h>
#include <string.h>

#include <rte_hash_crc.h>

#include "lb_stats.h"

/** Flow key, all fields in network byte order. 16 bytes, no padding holes. */
struct lb_flow_key {
	uint32_t src_addr;
	uint32_t dst_addr;
	uint16_t src_port;
	uint16_t dst_port;
	uint8_t proto;
	uint8_t pad[3];             /**< always zero */
};

_Static_assert(sizeof(struct lb_flow_key) == 16, "flow key is hashed as 16 bytes");

/** Seed shared by every core and every box: dispatch depends on it. */
#define LB_FLOW_HASH_SEED 0x6c62u

/**
 * The flow hash: used for the table and for the scheduler's choice.
 * Equal to rte_hash_crc(k, 16, LB_FLOW_HASH_SEED), but reads the key
 * through memcpy: rte_hash_crc's uint64_t loads of a struct the caller
 * just filled break strict aliasing, and GCC then hashes stale stack.
 */
static inline uint32_t
lb_flow_hash(const struct lb_flow_key *k)
{
	uint64_t w[2];

	memcpy(w, k, sizeof(w));
	return rte_hash_crc_8byte(w[1],
				  rte_hash_crc_8byte(w[0], LB_FLOW_HASH_SEED));
}

enum lb_flow_state {
	LB_FLOW_FREE = 0,
	LB_FLOW_TCP_EST,            /**< TCP, no FIN/RST seen */
	LB_FLOW_TCP_CLOSING,        /**< FIN or RST seen: short timeout */
	LB_FLOW_UDP,
	LB_FLOW_STATE_MAX
};

struct lb_flow_entry {
	uint64_t last_tsc;          /**< last packet seen */
	uint32_t backend;           /**< index into lb_config.backends */
	uint16_t vip;               /**< index into lb_config.vips */
	uint8_t state;              /**< enum lb_flow_state */
	uint8_t pad;
};

/** Idle timeout per state, in TSC cycles. */
struct lb_flow_timeouts {
	uint64_t tsc[LB_FLOW_STATE_MAX];
};

struct lb_flow_table;

/**
 * Create a table for @p capacity flows on NUMA @p socket.
 * Management lcore, before the worker starts; needs EAL.
 * @return the table, or NULL (rte_errno set).
 */
struct lb_flow_table *lb_flow_table_create(const char *name,
					   uint32_t capacity, int socket);

/** Free a table. NULL-safe. */
void lb_flow_table_free(struct lb_flow_table *t);

/** Capacity the table was created with. */
uint32_t lb_flow_table_capacity(const struct lb_flow_table *t);

/** Live entries. */
uint32_t lb_flow_table_count(const struct lb_flow_table *t);

/**
 * Look up @p n keys (n <= 64) with their precomputed hashes.
 * Owning worker only. Sets out[i] to the entry or NULL.
 * @return bitmask of hits.
 */
uint64_t lb_flow_lookup_bulk(struct lb_flow_table *t,
			     const struct lb_flow_key **keys,
			     const uint32_t *hashes, unsigned int n,
			     struct lb_flow_entry **out);

/**
 * Insert a new flow. Owning worker only; never allocates (the table is
 * sized at creation).
 * @return the new entry (state FREE: caller fills it), or NULL when full.
 */
struct lb_flow_entry *lb_flow_insert(struct lb_flow_table *t,
				     const struct lb_flow_key *key,
				     uint32_t hash);

/** Remove the flow of @p key. Owning worker only. */
void lb_flow_delete(struct lb_flow_table *t, const struct lb_flow_key *key,
		    uint32_t hash);

/**
 * Expire idle flows, examining at most @p budget slots from where the last
 * call stopped, so no single call scans the whole table.
 * Owning worker only. @return flows removed.
 */
unsigned int lb_flow_expire(struct lb_flow_table *t, uint64_t now_tsc,
			    const struct lb_flow_timeouts *to,
			    unsigned int budget);

/**
 * Walk live flows from position *@p pos; calls @p fn until it returns
 * non-zero or the table ends. Owning worker only.
 * @return 0 at the end of the table, 1 if fn stopped the walk.
 */
int lb_flow_walk(const struct lb_flow_table *t, uint32_t *pos,
		 int (*fn)(const struct lb_flow_key *k,
			   const struct lb_flow_entry *e, void *arg),
		 void *arg);

#endif
