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
 *
 * Hashing. A tuple is hashed with SipHash-1-3 (lb_hash.h) under one of two
 * keys, never a public seed: the tables hash with a per-process secret,
 * drawn from getrandom() by the first lb_flow_table_create() and never
 * shown anywhere (lb_flow_hash), so nobody outside can make tuples share a
 * bucket chain;
 * the scheduler hashes with the configured [global] hash_key
 * (lb_flow_key_hash on lb_global_conf.hash_key), the same on every box of
 * a fleet so that every box picks the same backend for a tuple. The
 * worker computes the table hash for every packet and the scheduler hash
 * only for a packet the table does not hold.
 *
 * TCP states (what a flood may and may not take):
 * - a SYN (without ACK) of an unknown flow makes an embryonic entry
 *   (LB_FLOW_TCP_SYN) that lives [global] tcp_syn_timeout; the client's
 *   next packet that is not a SYN (its handshake ACK) promotes it to
 *   LB_FLOW_TCP_EST (tcp_timeout), a FIN or RST to LB_FLOW_TCP_CLOSING
 *   (tcp_fin_timeout); a retransmitted SYN keeps it embryonic.
 * - any other packet of an unknown TCP flow gets no entry: the worker
 *   forwards it by the scheduler's stateless choice (counted untracked),
 *   so a flood of ACKs or of stray segments holds nothing.
 * - a UDP flow's first datagram makes an embryonic entry too
 *   (LB_FLOW_UDP_NEW, udp_timeout): spoofed sources send one datagram
 *   each, a real client sends more; its second datagram makes it
 *   LB_FLOW_UDP. So a flood of one-datagram flows holds only entries
 *   that new flows may take.
 * - a full table makes room for a new flow only by evicting an embryonic
 *   entry, oldest first (lb_flow_evict_embryonic); an established, closing
 *   or UDP entry that saw two datagrams never leaves for a new flow.
 *   Without an embryonic entry to evict the new flow goes by the stateless
 *   choice (counted fallbacks).
 */

#include <stdint.h>
#include <string.h>

#include "lb_hash.h"
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

/** Bytes of a key that are hashed: the 13 before the padding. */
#define LB_FLOW_KEY_HASHED_LEN 13

/**
 * SipHash-1-3 of the key's first 13 bytes under @p hk, to 32 bits: with
 * the table's secret (lb_flow_hash) or with the scheduler's configured
 * key (lb_global_conf.hash_key). Equal to lb_hash_siphash(hk, k, 13, 1, 3)
 * truncated: skipping the always-zero padding saves a compression round.
 * Any lcore.
 */
static inline uint32_t
lb_flow_key_hash(const struct lb_hash_key *hk, const struct lb_flow_key *k)
{
	uint64_t w[2];

	/* memcpy: word loads of a struct the caller just filled would
	 * break strict aliasing (GCC then hashes stale stack). */
	memcpy(w, k, sizeof(w));
	return (uint32_t)lb_hash_sip13_2w(hk, rte_le_to_cpu_64(w[0]),
		rte_le_to_cpu_64(w[1]) & UINT64_C(0xffffffffff),
		LB_FLOW_KEY_HASHED_LEN);
}

enum lb_flow_state {
	LB_FLOW_FREE = 0,
	LB_FLOW_TCP_SYN,            /**< embryonic: a SYN, no reply from the
				     *   client yet; evictable */
	LB_FLOW_TCP_EST,            /**< TCP, handshake ACK seen, no FIN/RST */
	LB_FLOW_TCP_CLOSING,        /**< FIN or RST seen: short timeout */
	LB_FLOW_UDP,                /**< UDP, two datagrams or more seen */
	LB_FLOW_UDP_NEW,            /**< embryonic: one UDP datagram seen;
				     *   evictable */
	LB_FLOW_STATE_MAX
};

/** 1 if an entry in @p state is embryonic: remembered for eviction and
 *  taken by a new flow when the table is full. */
static inline int
lb_flow_state_embryonic(uint8_t state)
{
	return state == LB_FLOW_TCP_SYN || state == LB_FLOW_UDP_NEW;
}

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
 * Create a table for @p capacity flows on NUMA @p socket. The first call
 * draws the process's secret hash key from getrandom() (lb_flow_hash).
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
 * The hash of @p k in every flow table of this process: lb_flow_key_hash()
 * under the process's secret key (drawn by the first
 * lb_flow_table_create(), never shown). Every table call that takes a hash
 * must be given this one. Any lcore once a table exists; the key never
 * changes after.
 */
uint32_t lb_flow_hash(const struct lb_flow_key *k);

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
 * holds. An embryonic entry (lb_flow_state_embryonic) is remembered for
 * lb_flow_evict_embryonic(). Owning worker only; never allocates (the
 * table is sized at creation); never evicts.
 * @return 0, or -ENOSPC when a new flow finds the table full.
 */
int lb_flow_insert(struct lb_flow_table *t, const struct lb_flow_key *key,
		   uint32_t hash, const struct lb_flow_entry *e);

/**
 * Replace the entry of a flow the table holds (a lookup just found it),
 * in the same state or out of any state but embryonic: an embryonic entry
 * leaves that state through lb_flow_promote(). Owning worker only.
 * @return 0, or -ENOENT (nothing is inserted).
 */
int lb_flow_update(struct lb_flow_table *t, const struct lb_flow_key *key,
		   uint32_t hash, const struct lb_flow_entry *e);

/**
 * Replace the entry of an embryonic flow the table holds with @p e, whose
 * state is not embryonic (the handshake ACK made it established, a FIN or
 * RST closing): it can no longer be evicted. One more lookup than
 * lb_flow_update(), once per connection. Owning worker only.
 * @return 0, or -ENOENT (nothing is inserted).
 */
int lb_flow_promote(struct lb_flow_table *t, const struct lb_flow_key *key,
		    uint32_t hash, const struct lb_flow_entry *e);

/** Remembered positions lb_flow_evict_embryonic() examines at most per
 *  call (a byte each; only an embryonic one costs a lookup). */
#define LB_FLOW_EVICT_SCAN 256

/**
 * Room for a new flow in a full table: remove the embryonic entry
 * (lb_flow_state_embryonic) inserted longest ago. The table remembers where it put
 * each embryonic entry, in insertion order; entries promoted, expired or
 * removed since are skipped, at most LB_FLOW_EVICT_SCAN of them per call,
 * so a call is bounded even after many promotions (each skipped once).
 * Never removes an entry in any other state. Owning worker only.
 * @return 1 with the removed flow's entry in *@p e and its table hash in
 * *@p hash, or 0 if no embryonic entry was found.
 */
int lb_flow_evict_embryonic(struct lb_flow_table *t, struct lb_flow_entry *e,
			    uint32_t *hash);

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
