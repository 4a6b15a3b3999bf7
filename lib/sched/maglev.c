/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Weighted Maglev.
 *
 * Each backend walks its own permutation of the slots (offset and skip from
 * two hashes of its name, as in the Maglev paper). Instead of taking turns
 * in plain round robin, the backend with the smallest (filled + 1) / weight
 * takes its next free preferred slot, so slot counts follow the weights
 * (1:10 gives 1:10) and equal weights reduce to classic Maglev. A binary
 * min-heap keyed by that ratio makes the build O(M log N).
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

/* Per-backend walk through its permutation. */
struct maglev_walk {
	uint32_t pos;		/* next candidate slot */
	uint32_t skip;
};

/*
 * Heap node: the key (next / weight) lives in the node itself so that the
 * sift, which dominates the build, touches one array only.
 */
struct maglev_node {
	uint32_t next;		/* slots the backend holds after its next turn */
	uint32_t weight;
	uint32_t idx;
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

/* a goes before b: smaller next / weight, ties to the lower index. */
static inline int
maglev_before(const struct maglev_node *a, const struct maglev_node *b)
{
	/* next <= 2^24 and weight < 2^32: the products fit in 64 bits. */
	uint64_t ka = (uint64_t)a->next * b->weight;
	uint64_t kb = (uint64_t)b->next * a->weight;

	return (ka < kb) | ((ka == kb) & (a->idx < b->idx));
}

/*
 * Restore the heap after the node at @p i went down in priority.
 * Bottom-up (Floyd): walk the path of better children to a leaf with one
 * comparison per level, then climb back to where the node belongs. The
 * node that just took a slot usually belongs near the bottom, so this
 * halves the comparisons of the textbook sift.
 */
static void
maglev_sift_down(struct maglev_node *heap, uint32_t n, uint32_t i)
{
	struct maglev_node x = heap[i];
	uint32_t top = i, c;

	while ((c = 2 * i + 1) < n) {
		if (c + 1 < n)
			c += maglev_before(&heap[c + 1], &heap[c]);
		heap[i] = heap[c];
		i = c;
	}
	while (i > top) {
		uint32_t p = (i - 1) / 2;

		if (!maglev_before(&x, &heap[p]))
			break;
		heap[i] = heap[p];
		i = p;
	}
	heap[i] = x;
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

/*
 * Set up each backend's permutation and put the weighted ones in the heap.
 * @return number of backends in the heap, or -ENOMEM.
 */
static int
maglev_init(struct maglev_walk *w, struct maglev_node *heap,
	    const struct lb_sched_backend *be, uint32_t n, uint32_t size)
{
	uint32_t *words;
	size_t max_len = 0;
	uint32_t i, n_heap = 0;

	for (i = 0; i < n; i++) {
		size_t len = strlen(be[i].name);

		if (len > max_len)
			max_len = len;
	}
	words = malloc((max_len / 4 + 1) * sizeof(*words));
	if (words == NULL)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		w[i].pos = maglev_name_hash(be[i].name, words,
					    MAGLEV_SEED_OFFSET) % size;
		w[i].skip = maglev_name_hash(be[i].name, words,
					     MAGLEV_SEED_SKIP) % (size - 1) + 1;
		/* Weight 0: no slots at all, not even a last one. */
		if (be[i].weight == 0)
			continue;
		heap[n_heap].next = 1;
		heap[n_heap].weight = be[i].weight;
		heap[n_heap].idx = i;
		n_heap++;
	}
	free(words);
	for (i = n_heap / 2; i-- > 0;)
		maglev_sift_down(heap, n_heap, i);
	return n_heap;
}

/*
 * First free slot at or after @p pos in a permutation. pos + skip < 2^25
 * never overflows; the wrap is a subtraction rather than a modulo (and
 * written so it compiles without a branch: wrapping is a coin toss).
 * size is prime, so the permutation reaches every slot.
 */
static inline uint32_t
maglev_next_free(const uint16_t *slots, uint32_t size, uint32_t pos,
		 uint32_t skip)
{
	while (slots[pos] != LB_SCHED_EMPTY) {
		pos += skip;
		pos -= pos >= size ? size : 0;
	}
	return pos;
}

/* Give every slot to the backend furthest below its weighted share. */
static void
maglev_fill(uint16_t *slots, uint32_t size, struct maglev_walk *w,
	    struct maglev_node *heap, uint32_t n_heap)
{
	uint32_t i;

	for (i = 0; i < size; i++)
		slots[i] = LB_SCHED_EMPTY;
	if (n_heap == 0)
		return;
	for (i = 0; i < size; i++) {
		struct maglev_walk *bw = &w[heap[0].idx];

		bw->pos = maglev_next_free(slots, size, bw->pos, bw->skip);
		slots[bw->pos] = (uint16_t)heap[0].idx;
		heap[0].next++;
		maglev_sift_down(heap, n_heap, 0);
	}
}

int
lb_sched_maglev_build(struct lb_maglev *t, const struct lb_sched_backend *be,
		      uint32_t n, uint32_t size)
{
	struct maglev_walk *w;
	struct maglev_node *heap;
	uint16_t *slots;
	int n_heap;

	if (!maglev_args_valid(t, be, n, size))
		return -EINVAL;
	memset(t, 0, sizeof(*t));
	slots = malloc(sizeof(*slots) * size);
	/* +1: malloc(0) may return NULL for an empty pool. */
	w = malloc(sizeof(*w) * (n + 1));
	heap = malloc(sizeof(*heap) * (n + 1));
	if (slots == NULL || w == NULL || heap == NULL) {
		n_heap = -ENOMEM;
		goto out;
	}
	n_heap = maglev_init(w, heap, be, n, size);
	if (n_heap < 0)
		goto out;
	maglev_fill(slots, size, w, heap, n_heap);
	t->size = size;
	t->n_backends = n;
	t->slots = slots;
	slots = NULL;
out:
	free(slots);
	free(w);
	free(heap);
	return n_heap < 0 ? n_heap : 0;
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
