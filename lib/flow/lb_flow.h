/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef LB_FLOW_H
#define LB_FLOW_H

/**
 * @file
 * Per-worker flow table: 5-tuple -> backend, with idle expiry.
 *
 * One table per worker, written and read only by that worker (no locks, no
 * atomics). Management never touches it directly; it asks the worker
 * (see lb_dataplane.h). Built on rte_hash; a flow's whole state is the
 * 8-byte value rte_hash keeps beside the key, so a hit costs the key
 * compare and nothing more.
 */

#include <stdint.h>
#include <string.h>

#include <rte_hash_crc.h>

#include "lb_stats.h"	/* LB_MAX_BACKENDS, LB_MAX_VIPS */

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

/**
 * A flow's state, passed by value: it is the data word of its rte_hash
 * key slot. Time is kept in ticks (see lb_flow_tick_shift) so that a busy
 * flow rewrites its slot a few times a second, not on every packet.
 */
struct lb_flow_entry {
	uint32_t tick;              /**< last packet seen, in ticks */
	uint16_t backend;           /**< backend identity (lb_backend_conf.id) */
	uint8_t vip;                /**< VIP identity (lb_vip_conf.id) */
	uint8_t state;              /**< enum lb_flow_state */
};

_Static_assert(sizeof(struct lb_flow_entry) == sizeof(void *),
	       "a flow entry is rte_hash's data word");
_Static_assert(LB_MAX_BACKENDS <= UINT16_MAX + 1 && LB_MAX_VIPS <= 256,
	       "backend and VIP identities fit a flow entry");

/**
 * log2 of TSC cycles per tick for a TSC of @p tsc_hz: a tick lasts a
 * quarter to half a second. Timeouts are whole seconds, so a flow is
 * removed at most one tick later than its timeout says (plus the sweep).
 */
static inline unsigned int
lb_flow_tick_shift(uint64_t tsc_hz)
{
	unsigned int shift = 63 - __builtin_clzll(tsc_hz | 1);

	return shift > 0 ? shift - 1 : 0;
}

/** Idle timeout per state, in ticks of 2^tick_shift TSC cycles. */
struct lb_flow_timeouts {
	uint32_t ticks[LB_FLOW_STATE_MAX];
	unsigned int tick_shift;
	uint64_t sweep_tsc;         /**< paced expiry: one round per this */
	/** Told of each flow expiry removes (may be NULL): the owner keeps
	 *  per-backend flow gauges. */
	void (*on_expire)(const struct lb_flow_entry *e, void *arg);
	void *on_expire_arg;
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
 * Owning worker only. Sets out[i] to the flow's entry, or to all zeroes
 * (state FREE) on a miss. @return bitmask of hits.
 */
uint64_t lb_flow_lookup_bulk(struct lb_flow_table *t,
			     const struct lb_flow_key **keys,
			     const uint32_t *hashes, unsigned int n,
			     struct lb_flow_entry *out);

/**
 * Insert a flow with entry @p e, or replace the entry of one the table
 * holds. Owning worker only; never allocates (the table is sized at
 * creation). @return 0, or -ENOSPC when a new flow finds the table full.
 */
int lb_flow_insert(struct lb_flow_table *t, const struct lb_flow_key *key,
		   uint32_t hash, const struct lb_flow_entry *e);

/**
 * Replace the entry of a flow the table holds (a lookup just found it).
 * Owning worker only. @return 0, or -ENOENT (nothing is inserted).
 */
int lb_flow_update(struct lb_flow_table *t, const struct lb_flow_key *key,
		   uint32_t hash, const struct lb_flow_entry *e);

/** Remove the flow of @p key. Owning worker only. */
void lb_flow_delete(struct lb_flow_table *t, const struct lb_flow_key *key,
		    uint32_t hash);

/**
 * Slots an expiry sweep goes through to cover the whole table: what
 * lb_flow_expire's budget counts.
 */
uint32_t lb_flow_table_slots(const struct lb_flow_table *t);

/**
 * Expire idle flows, examining at most @p budget slots from where the last
 * call stopped, so no single call scans the whole table. A live slot
 * costs two cached hash lookups: callers pace the budget to sweep the
 * table once per interval, not as fast as they loop.
 * Owning worker only. @return flows removed.
 */
unsigned int lb_flow_expire(struct lb_flow_table *t, uint64_t now_tsc,
			    const struct lb_flow_timeouts *to,
			    unsigned int budget);

/**
 * Expiry paced by time rather than by calls: examines the slots due since
 * the last call so that the whole table is gone round once per
 * to->sweep_tsc, at most @p max_slots per call (the rest stays due, up to
 * one round). The first call only starts the clock.
 * Owning worker only. @return flows removed.
 */
unsigned int lb_flow_expire_paced(struct lb_flow_table *t, uint64_t now_tsc,
				  const struct lb_flow_timeouts *to,
				  unsigned int max_slots);

/**
 * Walk live flows from position *@p pos; calls @p fn until it returns
 * non-zero or the table ends. Owning worker only.
 * @return 0 at the end of the table, 1 if fn stopped the walk.
 */
int lb_flow_walk(const struct lb_flow_table *t, uint32_t *pos,
		 int (*fn)(const struct lb_flow_key *k,
			   const struct lb_flow_entry *e, void *arg),
		 void *arg);

/**
 * lb_flow_walk, but never past position @p end (exclusive): at most
 * @p end - *@p pos slots are examined, however sparse the table, so a
 * caller can bound the work of one call. Owning worker only.
 * @return 0 when @p end or the end of the table is reached (*@p pos is
 * left there), 1 if fn stopped the walk (*@p pos is just after the flow).
 */
int lb_flow_walk_range(const struct lb_flow_table *t, uint32_t *pos,
		       uint32_t end,
		       int (*fn)(const struct lb_flow_key *k,
				 const struct lb_flow_entry *e, void *arg),
		       void *arg);

#endif
