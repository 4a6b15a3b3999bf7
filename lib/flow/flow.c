/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-worker flow table on rte_hash.
 *
 * rte_hash stores the keys; the entries live in a parallel array indexed by
 * the key's position (rte_hash_add_key_with_hash), so a hit costs one
 * bulk lookup plus an array index.
 *
 * Sizing: the hash is created with RTE_HASH_EXTRA_FLAGS_EXT_TABLE, so a
 * bucket that overflows chains into an extension bucket instead of failing
 * the insert: every one of `capacity` keys fits, whatever their hashes
 * (without it cuckoo displacement can give up with -ENOSPC a few percent
 * short of capacity). rte_hash needs at least one bucket's worth of keys,
 * so a tiny table is created with that many and the live count caps it at
 * `capacity`. Positions are stable while a key lives, also when a delete
 * compacts a chain, which is what lets expiry sweep them with a cursor.
 */

#include <errno.h>
#include <string.h>

#include <rte_common.h>
#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_malloc.h>
#include <rte_prefetch.h>

#include "lb_flow.h"

/* rte_hash refuses fewer keys than one bucket holds (8, private to it). */
#define FLOW_HASH_MIN_ENTRIES 8u

struct lb_flow_table {
	struct rte_hash *h;
	struct lb_flow_entry *entries;  /* by key position */
	uint8_t *live;                  /* by key position: 1 if it holds a key */
	uint32_t capacity;
	uint32_t n_pos;                 /* positions rte_hash may hand out */
	uint32_t count;
	uint32_t cursor;                /* where the next expiry sweep starts */
};

struct lb_flow_table *
lb_flow_table_create(const char *name, uint32_t capacity, int socket)
{
	struct rte_hash_parameters hp = {
		.name = name,
		.entries = RTE_MAX(capacity, FLOW_HASH_MIN_ENTRIES),
		.key_len = sizeof(struct lb_flow_key),
		.hash_func = rte_hash_crc,
		.hash_func_init_val = LB_FLOW_HASH_SEED,
		.socket_id = socket,
		.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE,
	};
	struct lb_flow_table *t;

	if (name == NULL || capacity == 0) {
		rte_errno = EINVAL;
		return NULL;
	}
	t = rte_zmalloc_socket(name, sizeof(*t), RTE_CACHE_LINE_SIZE, socket);
	if (t == NULL)
		goto nomem;
	t->capacity = capacity;
	t->n_pos = hp.entries;
	t->entries = rte_zmalloc_socket(name, sizeof(*t->entries) * t->n_pos,
					RTE_CACHE_LINE_SIZE, socket);
	t->live = rte_zmalloc_socket(name, t->n_pos, RTE_CACHE_LINE_SIZE,
				     socket);
	if (t->entries == NULL || t->live == NULL)
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
	rte_free(t->entries);
	rte_free(t->live);
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

uint64_t
lb_flow_lookup_bulk(struct lb_flow_table *t, const struct lb_flow_key **keys,
		    const uint32_t *hashes, unsigned int n,
		    struct lb_flow_entry **out)
{
	int32_t pos[RTE_HASH_LOOKUP_BULK_MAX];
	uint64_t hits = 0;
	unsigned int i;

	if (n == 0 || n > RTE_HASH_LOOKUP_BULK_MAX) {
		for (i = 0; i < n; i++)
			out[i] = NULL;
		return 0;
	}
	if (rte_hash_lookup_with_hash_bulk(t->h, (const void **)keys,
					   (hash_sig_t *)(uintptr_t)hashes, n,
					   pos) != 0) {
		for (i = 0; i < n; i++)
			out[i] = NULL;
		return 0;
	}
	for (i = 0; i < n; i++) {
		if (pos[i] >= 0) {
			out[i] = &t->entries[pos[i]];
			/* Read (and written) soon: start the miss for all now. */
			rte_prefetch0(out[i]);
			hits |= UINT64_C(1) << i;
		} else {
			out[i] = NULL;
		}
	}
	return hits;
}

struct lb_flow_entry *
lb_flow_insert(struct lb_flow_table *t, const struct lb_flow_key *key,
	       uint32_t hash)
{
	int32_t pos;

	if (t->count >= t->capacity)
		return NULL;
	pos = rte_hash_add_key_with_hash(t->h, key, hash);
	if (pos < 0)
		return NULL;
	/* Adding a key that is already there returns its position. */
	if (!t->live[pos]) {
		t->live[pos] = 1;
		t->count++;
	}
	memset(&t->entries[pos], 0, sizeof(t->entries[pos]));
	return &t->entries[pos];
}

void
lb_flow_delete(struct lb_flow_table *t, const struct lb_flow_key *key,
	       uint32_t hash)
{
	int32_t pos = rte_hash_del_key_with_hash(t->h, key, hash);

	if (pos < 0 || !t->live[pos])
		return;
	t->live[pos] = 0;
	t->count--;
}

/* Remove the key at @p pos (known live). */
static void
flow_remove_at(struct lb_flow_table *t, uint32_t pos)
{
	void *key;

	if (rte_hash_get_key_with_position(t->h, pos, &key) == 0)
		rte_hash_del_key(t->h, key);
	t->live[pos] = 0;
	t->count--;
}

static inline int
flow_idle_too_long(const struct lb_flow_entry *e, uint64_t now,
		   const struct lb_flow_timeouts *to)
{
	/* A state we do not know times out like a FREE (unfilled) entry. */
	uint8_t state = e->state < LB_FLOW_STATE_MAX ? e->state : LB_FLOW_FREE;

	return now > e->last_tsc && now - e->last_tsc > to->tsc[state];
}

unsigned int
lb_flow_expire(struct lb_flow_table *t, uint64_t now_tsc,
	       const struct lb_flow_timeouts *to, unsigned int budget)
{
	uint32_t pos = t->cursor;
	unsigned int removed = 0;

	if (budget > t->n_pos)
		budget = t->n_pos;
	while (budget-- > 0) {
		if (t->live[pos] &&
		    flow_idle_too_long(&t->entries[pos], now_tsc, to)) {
			flow_remove_at(t, pos);
			removed++;
		}
		if (++pos == t->n_pos)
			pos = 0;
	}
	t->cursor = pos;
	return removed;
}

int
lb_flow_walk(const struct lb_flow_table *t, uint32_t *pos,
	     int (*fn)(const struct lb_flow_key *k,
		       const struct lb_flow_entry *e, void *arg),
	     void *arg)
{
	uint32_t p;

	for (p = *pos; p < t->n_pos; p++) {
		void *key;

		if (!t->live[p] ||
		    rte_hash_get_key_with_position(t->h, p, &key) != 0)
			continue;
		if (fn(key, &t->entries[p], arg) != 0) {
			*pos = p + 1;
			return 1;
		}
	}
	*pos = p;
	return 0;
}
