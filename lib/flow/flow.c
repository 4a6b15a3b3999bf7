/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-worker flow table on rte_hash.
 *
 * rte_hash stores the keys and, in the data word beside each key, the
 * flow's entry (struct lb_flow_entry is 8 bytes): a hit reads the key
 * slot the compare already brought in, and nothing else. `live` marks the
 * key positions in use so that expiry can sweep them with a cursor.
 *
 * Sizing: the hash is created with RTE_HASH_EXTRA_FLAGS_EXT_TABLE, so a
 * bucket that overflows chains into an extension bucket instead of failing
 * the insert: every one of `capacity` keys fits, whatever their hashes
 * (without it cuckoo displacement can give up with -ENOSPC a few percent
 * short of capacity). rte_hash needs at least one bucket's worth of keys,
 * so a tiny table is created with that many and the live count caps it at
 * `capacity`. Positions are stable while a key lives, also when a delete
 * compacts a chain, which is what lets expiry sweep them with a cursor.
 *
 * Headroom: rte_hash has a power of two of bucket slots, as many as the
 * keys it is created for rounded up. A full table of capacity 2^k would
 * fill every slot, and every insert into it (a SYN flood evicting one
 * embryonic entry per packet) would pay a cuckoo displacement search, some
 * 13 k instructions. The table asks for enough keys that its slots are at
 * least FLOW_HEADROOM times its capacity: a full table is then at most
 * 80 % loaded, an insert finds room in its two buckets (~0.3 k). For a
 * capacity of 2^k that is 2^k + 1 keys (twice the buckets: about 16 bytes
 * more per flow, key slots unchanged).
 *
 * Hashing: lb_flow_hash(), SipHash-1-3 under one secret key per process,
 * drawn by the first table creation and then only read. It is also
 * rte_hash's own hash function: rte_hash_get_key_with_position() checks a
 * position by hashing its key again. Nothing prints, logs or answers the
 * key.
 *
 * Embryonic entries: `live` says LIVE_SYN for a position that holds one
 * (set by insert, cleared by lb_flow_promote, delete and expiry), and
 * `syn` is a ring of the positions where embryonic entries were put,
 * oldest first. A hint whose position is no longer LIVE_SYN (promoted,
 * expired, removed) is stale: one byte tells, no hashing. Eviction takes
 * hints from the tail, skipping stale ones; each new hint and each
 * promotion also drops up to two stale ones from the tail, so promotions do
 * not pile up in front of the flood's entries (only an embryonic entry
 * still waiting for its ACK at the tail holds them, for its timeout). A position reused by a younger embryonic entry may
 * be taken through an older hint: it is embryonic all the same. The ring
 * has a slot per key position; when it is full a new hint pushes the
 * oldest out, whose entry (if still embryonic) leaves by its timeout.
 */

#include <errno.h>
#include <pthread.h>
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_common.h>
#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_malloc.h>

#include "lb_flow.h"

/* rte_hash refuses fewer keys than one bucket holds (8, private to it). */
#define FLOW_HASH_MIN_ENTRIES 8u
/* Bucket slots per flow of capacity, at least (see Headroom). */
#define FLOW_HEADROOM_NUM 5u
#define FLOW_HEADROOM_DEN 4u

/* What `live` says of a key position. */
#define LIVE_NONE 0
#define LIVE 1
#define LIVE_SYN 2                      /* an embryonic entry */

struct lb_flow_table {
	struct rte_hash *h;
	uint8_t *live;                  /* by key position: LIVE_* */
	uint32_t capacity;
	uint32_t n_pos;                 /* positions rte_hash may hand out */
	uint32_t count;
	uint32_t cursor;                /* where the next expiry sweep starts */
	uint64_t sweep_last_tsc;        /* paced expiry: last call, 0 = none */
	uint64_t sweep_credit;          /* slot-cycles earned, not yet swept */
	uint32_t *syn;                  /* ring: positions of embryonic entries */
	uint32_t syn_tail;              /* oldest hint */
	uint32_t syn_n;                 /* hints in the ring */
};

/* Written once, before any table exists, then only read by workers. */
static struct lb_hash_key flow_secret;
static pthread_once_t flow_secret_once = PTHREAD_ONCE_INIT;
static int flow_secret_rc;

static void
flow_secret_init(void)
{
	flow_secret_rc = lb_hash_key_random(&flow_secret);
}

uint32_t
lb_flow_hash(const struct lb_flow_key *k)
{
	return lb_flow_key_hash(&flow_secret, k);
}

/* rte_hash's hash function: the same hash. */
static uint32_t
flow_rte_hash(const void *key, uint32_t len, uint32_t init)
{
	RTE_SET_USED(len);
	RTE_SET_USED(init);
	return lb_flow_hash(key);
}

/* Keys to create rte_hash with: at least @p capacity, and enough that its
 * power-of-two bucket slots are FLOW_HEADROOM times that. */
static uint32_t
flow_hash_entries(uint32_t capacity)
{
	uint64_t want = (uint64_t)capacity * FLOW_HEADROOM_NUM /
			FLOW_HEADROOM_DEN;
	uint64_t slots = rte_align64pow2(RTE_MAX(capacity,
						 FLOW_HASH_MIN_ENTRIES));

	if (slots >= want)
		return RTE_MAX(capacity, FLOW_HASH_MIN_ENTRIES);
	/* One more key than the slots: the next power of two. */
	return (uint32_t)RTE_MIN(slots + 1, (uint64_t)UINT32_MAX);
}

struct lb_flow_table *
lb_flow_table_create(const char *name, uint32_t capacity, int socket)
{
	struct rte_hash_parameters hp = {
		.name = name,
		.entries = flow_hash_entries(capacity),
		.key_len = sizeof(struct lb_flow_key),
		.hash_func = flow_rte_hash,
		.socket_id = socket,
		.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE,
	};
	struct lb_flow_table *t;

	if (name == NULL || capacity == 0) {
		rte_errno = EINVAL;
		return NULL;
	}
	pthread_once(&flow_secret_once, flow_secret_init);
	if (flow_secret_rc != 0) {
		rte_errno = -flow_secret_rc;
		return NULL;
	}
	t = rte_zmalloc_socket(name, sizeof(*t), RTE_CACHE_LINE_SIZE, socket);
	if (t == NULL)
		goto nomem;
	t->capacity = capacity;
	t->n_pos = hp.entries;
	t->live = rte_zmalloc_socket(name, t->n_pos, RTE_CACHE_LINE_SIZE,
				     socket);
	t->syn = rte_malloc_socket(name, sizeof(*t->syn) * t->n_pos,
				   RTE_CACHE_LINE_SIZE, socket);
	if (t->live == NULL || t->syn == NULL)
		goto nomem;
	t->h = rte_hash_create(&hp);
	if (t->h == NULL)
		goto fail;	/* rte_errno set by rte_hash_create */
	return t;
nomem:
	rte_errno = ENOMEM;
fail:
	lb_flow_table_free(t);
	return NULL;
}

void
lb_flow_table_free(struct lb_flow_table *t)
{
	int err = rte_errno;

	if (t == NULL)
		return;
	rte_hash_free(t->h);
	rte_free(t->live);
	rte_free(t->syn);
	rte_free(t);
	rte_errno = err;  /* keep the reason create failed */
}

uint32_t
lb_flow_table_capacity(const struct lb_flow_table *t)
{
	return t->capacity;
}

uint32_t
lb_flow_table_count(const struct lb_flow_table *t)
{
	return t->count;
}

uint32_t
lb_flow_table_slots(const struct lb_flow_table *t)
{
	return t->n_pos;
}

static inline struct lb_flow_entry
entry_of(const void *data)
{
	struct lb_flow_entry e;

	memcpy(&e, &data, sizeof(e));
	return e;
}

static inline void *
data_of(const struct lb_flow_entry *e)
{
	void *data;

	memcpy(&data, e, sizeof(data));
	return data;
}

uint64_t
lb_flow_lookup_bulk(struct lb_flow_table *t, const struct lb_flow_key **keys,
		    const uint32_t *hashes, unsigned int n,
		    struct lb_flow_entry *out)
{
	void *data[RTE_HASH_LOOKUP_BULK_MAX];
	uint64_t hits = 0;
	unsigned int i;

	if (n > RTE_HASH_LOOKUP_BULK_MAX) {
		memset(out, 0, sizeof(*out) * n);
		return 0;
	}
	if (n == 0 ||
	    rte_hash_lookup_with_hash_bulk_data(t->h, (const void **)keys,
						(hash_sig_t *)(uintptr_t)hashes,
						n, &hits, data) < 0)
		hits = 0;
	for (i = 0; i < n; i++)
		out[i] = (hits >> i) & 1 ? entry_of(data[i]) :
					   (struct lb_flow_entry){ 0 };
	return hits;
}

/* The oldest hint, taken out of the ring (syn_n > 0). */
static inline uint32_t
syn_pop(struct lb_flow_table *t)
{
	uint32_t pos = t->syn[t->syn_tail];

	t->syn_tail = t->syn_tail + 1 == t->n_pos ? 0 : t->syn_tail + 1;
	t->syn_n--;
	return pos;
}

/* Drop up to two stale hints from the tail: each push and each promotion
 * does, so stale hints go at least as fast as they come. */
static inline void
syn_clean(struct lb_flow_table *t)
{
	int i;

	for (i = 0; i < 2 && t->syn_n > 0 &&
		    t->live[t->syn[t->syn_tail]] != LIVE_SYN; i++)
		syn_pop(t);
}

/* Note that position @p pos holds an embryonic entry (a hint). */
static inline void
syn_remember(struct lb_flow_table *t, uint32_t pos)
{
	uint32_t at;

	syn_clean(t);
	if (t->syn_n == t->n_pos)
		syn_pop(t);     /* full: the oldest hint goes */
	at = t->syn_tail + t->syn_n;
	t->syn[at >= t->n_pos ? at - t->n_pos : at] = pos;
	t->syn_n++;
}

int
lb_flow_insert(struct lb_flow_table *t, const struct lb_flow_key *key,
	       uint32_t hash, const struct lb_flow_entry *e)
{
	int32_t pos;

	/* Full: only a flow the table holds can still be written. */
	if (t->count >= t->capacity)
		return lb_flow_update(t, key, hash, e) == 0 ? 0 : -ENOSPC;
	/* Only a lookup tells the position, which marks the slot live. */
	if (rte_hash_add_key_with_hash_data(t->h, key, hash, data_of(e)) != 0)
		return -ENOSPC;
	pos = rte_hash_lookup_with_hash(t->h, key, hash);
	if (pos < 0)
		return -ENOSPC;	/* cannot happen: the key was just added */
	/* Adding a key that is already there returns its position. */
	if (t->live[pos] == LIVE_NONE)
		t->count++;
	if (!lb_flow_state_embryonic(e->state)) {
		t->live[pos] = LIVE;
	} else if (t->live[pos] != LIVE_SYN) {
		t->live[pos] = LIVE_SYN;
		syn_remember(t, (uint32_t)pos);
	}
	return 0;
}

int
lb_flow_promote(struct lb_flow_table *t, const struct lb_flow_key *key,
		uint32_t hash, const struct lb_flow_entry *e)
{
	int32_t pos = rte_hash_lookup_with_hash(t->h, key, hash);

	if (pos < 0 || t->live[pos] == LIVE_NONE)
		return -ENOENT;
	rte_hash_add_key_with_hash_data(t->h, key, hash, data_of(e));
	t->live[pos] = lb_flow_state_embryonic(e->state) ? LIVE_SYN : LIVE;
	syn_clean(t);
	return 0;
}

int
lb_flow_update(struct lb_flow_table *t, const struct lb_flow_key *key,
	       uint32_t hash, const struct lb_flow_entry *e)
{
	/*
	 * rte_hash has no update-only call: for a missing key this inserts
	 * it, which the key count shows (cheaper than looking up first, on
	 * the path of every flow's first packet in a tick); take it out.
	 */
	if (rte_hash_add_key_with_hash_data(t->h, key, hash, data_of(e)) != 0)
		return -ENOENT;
	if (unlikely((uint32_t)rte_hash_count(t->h) != t->count)) {
		rte_hash_del_key_with_hash(t->h, key, hash);
		return -ENOENT;
	}
	return 0;
}

void
lb_flow_delete(struct lb_flow_table *t, const struct lb_flow_key *key,
	       uint32_t hash)
{
	int32_t pos = rte_hash_del_key_with_hash(t->h, key, hash);

	if (pos < 0 || t->live[pos] == LIVE_NONE)
		return;
	t->live[pos] = LIVE_NONE;
	t->count--;
}

/* The key, its hash and entry at live position @p pos.
 * @return 0, or -ENOENT. */
static int
flow_at(const struct lb_flow_table *t, uint32_t pos,
	const struct lb_flow_key **key, uint32_t *hash,
	struct lb_flow_entry *e)
{
	void *k, *data;

	if (rte_hash_get_key_with_position(t->h, pos, &k) != 0)
		return -ENOENT;
	*hash = lb_flow_hash(k);
	if (rte_hash_lookup_with_hash_data(t->h, k, *hash, &data) < 0)
		return -ENOENT;
	*key = k;
	*e = entry_of(data);
	return 0;
}

/* Remove the flow at live position @p pos. */
static void
flow_remove_at(struct lb_flow_table *t, uint32_t pos,
	       const struct lb_flow_key *key, uint32_t hash)
{
	rte_hash_del_key_with_hash(t->h, key, hash);
	t->live[pos] = LIVE_NONE;
	t->count--;
}

int
lb_flow_evict_embryonic(struct lb_flow_table *t, struct lb_flow_entry *e,
			uint32_t *hash)
{
	const struct lb_flow_key *key;
	unsigned int scan;
	uint32_t pos;

	for (scan = 0; scan < LB_FLOW_EVICT_SCAN && t->syn_n > 0; scan++) {
		pos = syn_pop(t);
		if (t->live[pos] != LIVE_SYN ||
		    flow_at(t, pos, &key, hash, e) != 0)
			continue;
		if (likely(lb_flow_state_embryonic(e->state))) {
			flow_remove_at(t, pos, key, *hash);
			return 1;
		}
		/* Changed by lb_flow_update, not promoted: not ours. */
		t->live[pos] = LIVE;
	}
	return 0;
}

static inline int
flow_idle_too_long(const struct lb_flow_entry *e, uint32_t now_tick,
		   const struct lb_flow_timeouts *to)
{
	/* A state we do not know times out like a FREE (unfilled) entry. */
	uint8_t state = e->state < LB_FLOW_STATE_MAX ? e->state : LB_FLOW_FREE;

	/* Wraps safely: idle times are far below 2^31 ticks. */
	return (int32_t)(now_tick - e->tick) > (int32_t)to->ticks[state];
}

unsigned int
lb_flow_expire(struct lb_flow_table *t, uint64_t now_tsc,
	       const struct lb_flow_timeouts *to, unsigned int budget)
{
	uint32_t now_tick = (uint32_t)(now_tsc >> to->tick_shift);
	const struct lb_flow_key *key;
	struct lb_flow_entry e;
	uint32_t pos = t->cursor, hash;
	unsigned int removed = 0;

	if (budget > t->n_pos)
		budget = t->n_pos;
	while (budget-- > 0) {
		if (t->live[pos] && flow_at(t, pos, &key, &hash, &e) == 0 &&
		    flow_idle_too_long(&e, now_tick, to)) {
			flow_remove_at(t, pos, key, hash);
			if (to->on_expire != NULL)
				to->on_expire(&e, to->on_expire_arg);
			removed++;
		}
		if (++pos == t->n_pos)
			pos = 0;
	}
	t->cursor = pos;
	return removed;
}

/*
 * The credit is kept in slot-cycles, so that the fraction of a slot a
 * short loop earns is not lost.
 */
unsigned int
lb_flow_expire_paced(struct lb_flow_table *t, uint64_t now_tsc,
		     const struct lb_flow_timeouts *to, unsigned int max_slots)
{
	uint64_t round = (uint64_t)t->n_pos * to->sweep_tsc;
	uint64_t elapsed, budget;

	if (t->sweep_last_tsc == 0 || to->sweep_tsc == 0 ||
	    now_tsc < t->sweep_last_tsc) {
		t->sweep_last_tsc = now_tsc;
		return 0;
	}
	elapsed = RTE_MIN(now_tsc - t->sweep_last_tsc, to->sweep_tsc);
	t->sweep_last_tsc = now_tsc;
	t->sweep_credit = RTE_MIN(t->sweep_credit + elapsed * t->n_pos, round);
	budget = RTE_MIN(t->sweep_credit / to->sweep_tsc, (uint64_t)max_slots);
	if (budget == 0)
		return 0;
	t->sweep_credit -= budget * to->sweep_tsc;
	return lb_flow_expire(t, now_tsc, to, (unsigned int)budget);
}

int
lb_flow_walk(const struct lb_flow_table *t, uint32_t *pos,
	     int (*fn)(const struct lb_flow_key *k,
		       const struct lb_flow_entry *e, void *arg),
	     void *arg)
{
	return lb_flow_walk_range(t, pos, UINT32_MAX, fn, arg);
}

int
lb_flow_walk_range(const struct lb_flow_table *t, uint32_t *pos,
		   uint32_t end,
		   int (*fn)(const struct lb_flow_key *k,
			     const struct lb_flow_entry *e, void *arg),
		   void *arg)
{
	const struct lb_flow_key *key;
	struct lb_flow_entry e;
	uint32_t p, hash;

	end = RTE_MIN(end, t->n_pos);
	for (p = *pos; p < end; p++) {
		if (!t->live[p] || flow_at(t, p, &key, &hash, &e) != 0)
			continue;
		if (fn(key, &e, arg) != 0) {
			*pos = p + 1;
			return 1;
		}
	}
	*pos = p;
	return 0;
}
