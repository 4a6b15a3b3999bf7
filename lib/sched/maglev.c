/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Weighted Maglev.
 *
 * Each backend walks its own permutation of the slots (offset and skip from
 * two hashes of its name, as in the Maglev paper). Instead of taking turns
 * in plain round robin, the backend with the smallest (filled + 1) / weight
 * takes its next free preferred slot, ties to the lower index, so slot
 * counts follow the weights (1:10 gives 1:10) and equal weights reduce to
 * classic Maglev.
 *
 * Three observations make the build cheap without changing a single slot:
 * - The order of turns depends on the weights only, never on the slots, and
 *   backends of equal weight have equal keys at every turn: they form one
 *   class that takes its turns together, in index order. Equal weights are
 *   plain round robin.
 * - Keys only grow, by 1 / weight per turn, and the last key given is at
 *   most (M + N) / W (W the sum of weights). So instead of a heap, a class
 *   waits in bucket floor(key * W) of an array of M + N + 1 buckets: each
 *   turn moves it at least one bucket on, updated with additions only, and
 *   the buckets hold about one class each, ordered exactly when several.
 * - In a nearly full table a walk probes M / free slots per turn, and the
 *   last few hundred turns cost as much as all the others. There the
 *   backend instead computes how far along its permutation each free slot
 *   is ((slot - pos) / skip mod M) and takes the nearest: the same slot
 *   the walk would reach, found in O(free).
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_jhash.h>

#include "lb_sched.h"

/*
 * Fixed seeds: the table must be identical on every core and every box
 * with the same configuration, so nothing here may be random.
 */
#define MAGLEV_SEED_OFFSET 0x4d61676cu	/* "Magl" */
#define MAGLEV_SEED_SKIP 0x65764c42u	/* "evLB" */

/* Most buckets: bigger tables share a bucket among 2^shift keys. */
#define MAGLEV_MAX_BUCKETS (1u << 22)
#define MAGLEV_NONE UINT32_MAX

/* Per-backend walk through its permutation. */
struct maglev_walk {
	uint32_t pos;		/* last slot taken, or the offset before */
	uint32_t skip;
};

/*
 * Backends of one weight. The key is next / weight; its bucket position
 * next * W / weight is kept as quotient and remainder, so a turn adds
 * W / weight and W % weight instead of dividing. W < 2^44 (4096 weights
 * below 2^32): everything fits in 64 bits.
 */
struct maglev_class {
	uint64_t q;		/* floor(next * W / weight) */
	uint64_t r;		/* next * W % weight */
	uint64_t dq;		/* W / weight */
	uint64_t dr;		/* W % weight */
	uint32_t next;		/* slots each member holds after this turn */
	uint32_t weight;
	uint32_t first;		/* members: order[first .. first + n) */
	uint32_t n;
	uint32_t link;		/* next class in the same bucket */
};

struct maglev_build {
	uint16_t *slots;
	uint32_t size;
	uint32_t n_free;	/* slots still empty */
	uint32_t tail;		/* n_free at which the walk stops probing */
	struct maglev_walk *w;	/* per backend */
	uint8_t *is_tied;	/* per backend, while merging */
	uint32_t *inv;		/* per backend: skip^-1 mod size (tail) */
	uint16_t *order;	/* weighted backends by (weight, index) */
	uint16_t *all;		/* weighted backends by index */
	uint32_t n_all;
	struct maglev_class *cls;
	uint32_t n_cls;
	uint32_t *bucket;	/* first class waiting there, or NONE */
	uint32_t n_buckets;
	uint32_t shift;		/* bucket = q >> shift */
	uint32_t *tied;		/* classes at the smallest key */
	uint32_t *cursor;	/* per tied class, while merging */
	uint32_t *free_list;	/* tail: the empty slots */
};


/*
 * Hash a name as little-endian 32-bit words in a zero-padded buffer:
 * rte_jhash() on the raw string would read past its end and make
 * misaligned loads, and the words make the result byte-order independent.
 */
static uint32_t
maglev_name_hash(const char *name, uint32_t *words, uint32_t seed)
{
	size_t len = strlen(name);
	uint32_t n_words = (len + 3) / 4;
	uint32_t i;

	for (i = 0; i < n_words; i++)
		words[i] = 0;
	for (i = 0; i < len; i++)
		words[i / 4] |= (uint32_t)(uint8_t)name[i] << (8 * (i % 4));
	return rte_jhash_32b(words, n_words, seed);
}

/* Compare keys next / weight: <0, 0, >0. */
static inline int
maglev_key_cmp(const struct maglev_class *a, const struct maglev_class *b)
{
	/* next <= 2^24 and weight < 2^32: the products fit in 64 bits. */
	uint64_t ka = (uint64_t)a->next * b->weight;
	uint64_t kb = (uint64_t)b->next * a->weight;

	return (ka > kb) - (ka < kb);
}



static int
maglev_args_valid(const struct lb_maglev *t, const struct lb_sched_backend *be,
		  uint32_t n, uint32_t size)
{
	uint32_t i;

	if (t == NULL || (be == NULL && n > 0) || n > LB_SCHED_MAX_BACKENDS)
		return 0;
	if (size < LB_SCHED_MIN_TABLE_SIZE || size > LB_SCHED_MAX_TABLE_SIZE ||
	    size <= n || !lb_sched_is_prime(size))
		return 0;
	for (i = 0; i < n; i++)
		if (be[i].name == NULL)
			return 0;
	return 1;
}

static void
maglev_build_free(struct maglev_build *b)
{
	free(b->slots);
	free(b->w);
	free(b->is_tied);
	free(b->inv);
	free(b->order);
	free(b->all);
	free(b->cls);
	free(b->bucket);
	free(b->tied);
	free(b->cursor);
	free(b->free_list);
}

static int
maglev_build_alloc(struct maglev_build *b, uint32_t n, uint32_t size)
{
	/* +1: malloc(0) may return NULL for an empty pool. */
	size_t m = n + 1;

	memset(b, 0, sizeof(*b));
	b->size = size;
	b->slots = malloc(sizeof(*b->slots) * size);
	b->w = malloc(sizeof(*b->w) * m);
	b->is_tied = calloc(m, sizeof(*b->is_tied));
	b->inv = malloc(sizeof(*b->inv) * m);
	b->order = malloc(sizeof(*b->order) * m);
	b->all = malloc(sizeof(*b->all) * m);
	b->cls = malloc(sizeof(*b->cls) * m);
	b->tied = malloc(sizeof(*b->tied) * m);
	b->cursor = malloc(sizeof(*b->cursor) * m);
	/* The last key given is at most (size + n) / W: bucket size + n. */
	while (((size + n) >> b->shift) >= MAGLEV_MAX_BUCKETS)
		b->shift++;
	b->n_buckets = ((size + n) >> b->shift) + 1;
	b->bucket = malloc(sizeof(*b->bucket) * b->n_buckets);
	if (b->slots == NULL || b->w == NULL || b->is_tied == NULL ||
	    b->inv == NULL || b->order == NULL || b->all == NULL ||
	    b->cls == NULL || b->tied == NULL || b->cursor == NULL ||
	    b->bucket == NULL) {
		maglev_build_free(b);
		return -ENOMEM;
	}
	return 0;
}

/* Each backend's permutation: offset and skip from its name. */
static int
maglev_walks_init(struct maglev_build *b, const struct lb_sched_backend *be,
		  uint32_t n)
{
	uint32_t *words;
	size_t max_len = 0;
	uint32_t i;

	for (i = 0; i < n; i++) {
		size_t len = strlen(be[i].name);

		if (len > max_len)
			max_len = len;
	}
	words = malloc((max_len / 4 + 1) * sizeof(*words));
	if (words == NULL)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		b->w[i].pos = maglev_name_hash(be[i].name, words,
					       MAGLEV_SEED_OFFSET) % b->size;
		b->w[i].skip = maglev_name_hash(be[i].name, words,
						MAGLEV_SEED_SKIP) %
			       (b->size - 1) + 1;
	}
	free(words);
	return 0;
}

static int
maglev_weight_cmp(const void *pa, const void *pb)
{
	const uint64_t a = *(const uint64_t *)pa, b = *(const uint64_t *)pb;

	return (a > b) - (a < b);
}

/* Put class @p c in the bucket of its key, unless past the last one. */
static inline void
maglev_enqueue(struct maglev_build *b, uint32_t c)
{
	uint64_t k = b->cls[c].q >> b->shift;

	if (k >= b->n_buckets)
		return;
	b->cls[c].link = b->bucket[k];
	b->bucket[k] = c;
}

/* One turn taken: the key grows by 1 / weight, the bucket by W / weight. */
static inline void
maglev_advance(struct maglev_class *c)
{
	c->next++;
	c->q += c->dq;
	c->r += c->dr;
	if (c->r >= c->weight) {
		c->r -= c->weight;
		c->q++;
	}
}

/*
 * Group the weighted backends into classes of equal weight, each waiting
 * in the bucket of its first key 1 / weight. Weight 0 backends get no
 * slot at all, not even a last one.
 */
static int
maglev_classes_init(struct maglev_build *b, const struct lb_sched_backend *be,
		    uint32_t n)
{
	uint64_t *key = malloc(sizeof(*key) * (n + 1));
	uint64_t total = 0;
	uint32_t i;

	if (key == NULL)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		if (be[i].weight == 0)
			continue;
		b->all[b->n_all] = (uint16_t)i;
		key[b->n_all++] = (uint64_t)be[i].weight << 16 | i;
		total += be[i].weight;
	}
	qsort(key, b->n_all, sizeof(*key), maglev_weight_cmp);
	for (i = 0; i < b->n_all; i++) {
		uint32_t idx = key[i] & 0xffff, wt = key[i] >> 16;
		struct maglev_class *c = NULL;

		if (b->n_cls > 0)
			c = &b->cls[b->n_cls - 1];
		if (c == NULL || c->weight != wt) {
			c = &b->cls[b->n_cls++];
			c->next = 1;
			c->weight = wt;
			c->dq = total / wt;
			c->dr = total % wt;
			c->q = c->dq;
			c->r = c->dr;
			c->first = i;
			c->n = 0;
		}
		c->n++;
		b->order[i] = (uint16_t)idx;
	}
	free(key);
	for (i = 0; i < b->n_buckets; i++)
		b->bucket[i] = MAGLEV_NONE;
	for (i = 0; i < b->n_cls; i++)
		maglev_enqueue(b, i);
	return 0;
}

/* skip^-1 mod size, size prime (extended Euclid). */
static uint32_t
maglev_inverse(uint32_t skip, uint32_t size)
{
	int64_t r0 = size, r1 = skip, t0 = 0, t1 = 1;

	while (r1 != 0) {
		int64_t q = r0 / r1, tmp;

		tmp = r0 - q * r1;
		r0 = r1;
		r1 = tmp;
		tmp = t0 - q * t1;
		t0 = t1;
		t1 = tmp;
	}
	return (uint32_t)(t0 < 0 ? t0 + size : t0);
}

/* Switch from probing to the free list: collect the empty slots. */
static int
maglev_tail_init(struct maglev_build *b)
{
	uint32_t i, k = 0;

	b->free_list = malloc(sizeof(*b->free_list) * (b->n_free + 1));
	if (b->free_list == NULL)
		return -ENOMEM;
	for (i = 0; i < b->size; i++)
		if (b->slots[i] == LB_SCHED_EMPTY)
			b->free_list[k++] = i;
	for (i = 0; i < b->n_all; i++) {
		struct maglev_walk *w = &b->w[b->all[i]];

		b->inv[b->all[i]] = maglev_inverse(w->skip, b->size);
	}
	return 0;
}

/*
 * First free slot at or after w->pos in a permutation. pos + skip < 2^25
 * never overflows; the wrap is a subtraction rather than a modulo (and
 * written so it compiles without a branch: wrapping is a coin toss).
 * size is prime, so the permutation reaches every slot.
 */
static inline uint32_t
maglev_probe(const uint16_t *slots, uint32_t size, uint32_t pos, uint32_t skip)
{
	while (slots[pos] != LB_SCHED_EMPTY) {
		pos += skip;
		pos -= pos >= size ? size : 0;
	}
	return pos;
}

/*
 * The same slot from the free list: every slot the walk passes before the
 * first free one is taken (slots are never freed), so it is the free slot
 * the fewest steps ahead, (slot - pos) * skip^-1 mod size.
 */
static uint32_t
maglev_nearest_free(struct maglev_build *b, uint32_t idx)
{
	const struct maglev_walk *w = &b->w[idx];
	uint64_t inv = b->inv[idx], best = UINT64_MAX;
	uint32_t i, at = 0, slot;

	for (i = 0; i < b->n_free; i++) {
		uint32_t s = b->free_list[i];
		uint64_t d = (uint64_t)(s >= w->pos ? s - w->pos :
					s + b->size - w->pos) * inv % b->size;

		if (d < best) {
			best = d;
			at = i;
		}
	}
	slot = b->free_list[at];
	b->free_list[at] = b->free_list[b->n_free - 1];
	return slot;
}

/* Backend @p idx takes its next preferred free slot. */
static inline int
maglev_take(struct maglev_build *b, uint32_t idx)
{
	struct maglev_walk *w = &b->w[idx];

	if (b->free_list != NULL)
		w->pos = maglev_nearest_free(b, idx);
	else
		w->pos = maglev_probe(b->slots, b->size, w->pos, w->skip);
	b->slots[w->pos] = (uint16_t)idx;
	b->n_free--;
	if (b->n_free == b->tail && b->free_list == NULL)
		return maglev_tail_init(b);
	return 0;
}

static void
maglev_mark_tied(struct maglev_build *b, uint32_t t, uint8_t v)
{
	uint32_t i, k;

	for (k = 0; k < t; k++) {
		const struct maglev_class *c = &b->cls[b->tied[k]];

		for (i = 0; i < c->n; i++)
			b->is_tied[b->order[c->first + i]] = v;
	}
}

/*
 * Several classes share the key: their members take turns in index
 * order. Either merge the class lists (cheap for a few small classes) or
 * scan every backend and keep the tied ones.
 */
static int
maglev_turns_merged(struct maglev_build *b, uint32_t t)
{
	uint64_t members = 0;
	uint32_t i, k;
	int rc = 0;

	for (k = 0; k < t; k++) {
		members += b->cls[b->tied[k]].n;
		b->cursor[k] = 0;
	}
	if (members * t > b->n_all) {
		maglev_mark_tied(b, t, 1);
		for (i = 0; i < b->n_all && b->n_free > 0 && rc == 0; i++)
			if (b->is_tied[b->all[i]])
				rc = maglev_take(b, b->all[i]);
		maglev_mark_tied(b, t, 0);
		return rc;
	}
	while (b->n_free > 0 && rc == 0) {
		uint32_t best = UINT32_MAX, at = 0;

		for (k = 0; k < t; k++) {
			const struct maglev_class *c = &b->cls[b->tied[k]];
			uint32_t idx;

			if (b->cursor[k] == c->n)
				continue;
			idx = b->order[c->first + b->cursor[k]];
			if (idx < best) {
				best = idx;
				at = k;
			}
		}
		if (best == UINT32_MAX)
			break;
		b->cursor[at]++;
		rc = maglev_take(b, best);
	}
	return rc;
}

/*
 * Take the classes with the smallest key out of bucket @p k into tied[]
 * (they share the bucket; others there wait for a later pass).
 * @return how many.
 */
static uint32_t
maglev_dequeue_tied(struct maglev_build *b, uint32_t k)
{
	uint32_t c, *link, t = 0;
	const struct maglev_class *min = NULL;

	c = b->bucket[k];
	if (b->cls[c].link == MAGLEV_NONE) {
		b->tied[0] = c;
		b->bucket[k] = MAGLEV_NONE;
		return 1;
	}
	for (c = b->bucket[k]; c != MAGLEV_NONE; c = b->cls[c].link)
		if (min == NULL || maglev_key_cmp(&b->cls[c], min) < 0)
			min = &b->cls[c];
	link = &b->bucket[k];
	while (*link != MAGLEV_NONE) {
		c = *link;
		if (maglev_key_cmp(&b->cls[c], min) == 0) {
			b->tied[t++] = c;
			*link = b->cls[c].link;
		} else {
			link = &b->cls[c].link;
		}
	}
	return t;
}

/* Give every slot to the backend furthest below its weighted share. */
static int
maglev_fill(struct maglev_build *b)
{
	uint32_t i, k, t;
	int rc = 0;

	for (i = 0; i < b->size; i++)
		b->slots[i] = LB_SCHED_EMPTY;
	b->n_free = b->size;
	for (k = 0; k < b->n_buckets && b->n_free > 0 && rc == 0; k++) {
		while (b->bucket[k] != MAGLEV_NONE && b->n_free > 0 &&
		       rc == 0) {
			t = maglev_dequeue_tied(b, k);
			if (t == 1) {
				const struct maglev_class *c =
					&b->cls[b->tied[0]];

				for (i = 0; i < c->n && b->n_free > 0 &&
				     rc == 0; i++)
					rc = maglev_take(b,
						b->order[c->first + i]);
			} else {
				rc = maglev_turns_merged(b, t);
			}
			/* Each moves on by at least one key bucket. */
			for (i = 0; i < t; i++) {
				maglev_advance(&b->cls[b->tied[i]]);
				maglev_enqueue(b, b->tied[i]);
			}
		}
	}
	return rc;
}

/*
 * Free slots below which the free list beats probing: a probe costs
 * about M / free loads, the list a multiply-modulo per free slot.
 */
static uint32_t
maglev_tail_size(uint32_t size)
{
	uint32_t r = 1;

	while (r * r < size)
		r++;
	return r / 2;
}

int
lb_sched_maglev_build(struct lb_maglev *t, const struct lb_sched_backend *be,
		      uint32_t n, uint32_t size)
{
	struct maglev_build b;
	int rc;

	if (!maglev_args_valid(t, be, n, size))
		return -EINVAL;
	memset(t, 0, sizeof(*t));
	rc = maglev_build_alloc(&b, n, size);
	if (rc != 0)
		return rc;
	b.tail = maglev_tail_size(size);
	rc = maglev_walks_init(&b, be, n);
	if (rc == 0)
		rc = maglev_classes_init(&b, be, n);
	if (rc == 0)
		rc = maglev_fill(&b);
	if (rc == 0) {
		t->size = size;
		t->n_backends = n;
		t->slots = b.slots;
		b.slots = NULL;
	}
	maglev_build_free(&b);
	return rc;
}

/* ---- slot counts without a table ---------------------------------------- */

/*
 * Every turn of the build takes exactly one slot (a permutation reaches
 * every free slot), and the turns come in the order of (key, index), key =
 * (turns had + 1) / weight, whatever slots were taken: a backend's count
 * is how many of its turns are among the first M. The order of turns is
 * sequential D'Hondt, which meets the lower quota: each backend has at
 * least floor(M w / W) of them, whatever the ties. Those are given at once
 * and only the last R < N turns are merged in order, from a heap of each
 * backend's next key: O(N log N), not O(M) probes. The unit test holds it
 * to full builds.
 */
struct maglev_turn {
	uint32_t next;          /* this turn's number: key next / weight */
	uint32_t weight;
	uint32_t idx;
};

static int
maglev_turn_before(const struct maglev_turn *a, const struct maglev_turn *b)
{
	/* next <= 2^24 + 1, weight < 2^32: the products fit in 64 bits. */
	uint64_t ka = (uint64_t)a->next * b->weight;
	uint64_t kb = (uint64_t)b->next * a->weight;

	return ka < kb || (ka == kb && a->idx < b->idx);
}

static void
maglev_turn_sift(struct maglev_turn *h, uint32_t n, uint32_t i)
{
	struct maglev_turn x = h[i];
	uint32_t c;

	for (; (c = 2 * i + 1) < n; i = c) {
		if (c + 1 < n && maglev_turn_before(&h[c + 1], &h[c]))
			c++;
		if (!maglev_turn_before(&h[c], &x))
			break;
		h[i] = h[c];
	}
	h[i] = x;
}

int
lb_sched_maglev_count_slots(const struct lb_sched_backend *be, uint32_t n,
			    uint32_t size, uint32_t *counts)
{
	struct lb_maglev dummy;
	struct maglev_turn *h;
	uint64_t total = 0, given = 0;
	uint32_t i, k = 0, left;
	double inv;

	if (counts == NULL || !maglev_args_valid(&dummy, be, n, size))
		return -EINVAL;
	for (i = 0; i < n; i++) {
		counts[i] = 0;
		total += be[i].weight;
	}
	if (total == 0)
		return 0;
	h = malloc(sizeof(*h) * (n + 1));
	if (h == NULL)
		return -ENOMEM;
	inv = 1.0 / (double)total;
	for (i = 0; i < n; i++) {
		uint64_t mw = (uint64_t)size * be[i].weight;
		/* floor(mw / total) without a 64-bit division per backend
		 * (N-1 asks N^2 of them): the double is off by a unit at
		 * most (mw < 2^56), the loops make it exact */
		uint64_t base = (uint64_t)((double)mw * inv);

		if (be[i].weight == 0)
			continue;
		while (base > 0 && base * total > mw)
			base--;
		while ((base + 1) * total <= mw)
			base++;
		counts[i] = (uint32_t)base;
		given += counts[i];
		h[k++] = (struct maglev_turn){ counts[i] + 1, be[i].weight, i };
	}
	for (i = k; i-- > 0;)
		maglev_turn_sift(h, k, i);
	for (left = size - (uint32_t)given; left > 0; left--) {
		counts[h[0].idx]++;
		h[0].next++;
		maglev_turn_sift(h, k, 0);
	}
	free(h);
	return 0;
}

void
lb_sched_maglev_free(struct lb_maglev *t)
{
	if (t == NULL)
		return;
	free(t->slots);
	t->slots = NULL;
	t->size = 0;
	t->n_backends = 0;
}

uint32_t
lb_sched_maglev_count(const struct lb_maglev *t, uint32_t idx)
{
	uint32_t i, count = 0;

	if (t == NULL || t->slots == NULL)
		return 0;
	for (i = 0; i < t->size; i++)
		count += t->slots[i] == idx;
	return count;
}

int
lb_sched_is_prime(uint32_t n)
{
	uint32_t d;

	if (n < 2)
		return 0;
	if (n % 2 == 0)
		return n == 2;
	for (d = 3; (uint64_t)d * d <= n; d += 2)
		if (n % d == 0)
			return 0;
	return 1;
}
