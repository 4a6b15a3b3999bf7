/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Identities by name. A name keeps its identity while anything may refer
 * to it; an identity is given to another name only once the registry is
 * full and the identity is in no running snapshot (so no flow holds it),
 * the longest-free first, and the snapshot that gives it anew lists it so
 * that the workers zero its counters before they count for the new name.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>

#include "lb_config.h"

struct lb_ids {
	uint32_t max;
	uint32_t n;                 /* given at least once: 0..n-1 */
	uint32_t mask;              /* slots - 1, at most half full */
	uint32_t *slot;             /* id + 1, 0 = empty */
	char (*names)[LB_NAME_MAX]; /* "" = free */
	uint32_t *free_ids;         /* FIFO ring of max: released ids */
	uint32_t free_head, n_free;
};

/* FNV-1a: the registry is management's, never reached by packets. */
static uint32_t
name_hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s != '\0'; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h;
}

/* The slot holding @p name, or the empty slot where it would go. */
static uint32_t *
find(const struct lb_ids *ids, const char *name)
{
	uint32_t i = name_hash(name);

	for (;; i++) {
		uint32_t *s = &ids->slot[i & ids->mask];

		if (*s == 0 || strcmp(ids->names[*s - 1], name) == 0)
			return s;
	}
}

struct lb_ids *
lb_ids_create(uint32_t max)
{
	struct lb_ids *ids = calloc(1, sizeof(*ids));

	if (ids == NULL)
		return NULL;
	ids->mask = (uint32_t)rte_align32pow2(2 * max + 2) - 1;
	ids->names = calloc(max ? max : 1, sizeof(*ids->names));
	ids->slot = calloc(ids->mask + 1, sizeof(*ids->slot));
	ids->free_ids = calloc(max ? max : 1, sizeof(*ids->free_ids));
	if (ids->names == NULL || ids->slot == NULL ||
	    ids->free_ids == NULL) {
		lb_ids_free(ids);
		return NULL;
	}
	ids->max = max;
	return ids;
}

void
lb_ids_free(struct lb_ids *ids)
{
	if (ids == NULL)
		return;
	free(ids->names);
	free(ids->slot);
	free(ids->free_ids);
	free(ids);
}

int
lb_ids_find(const struct lb_ids *ids, const char *name)
{
	const uint32_t *s = find(ids, name);

	return *s != 0 ? (int)(*s - 1) : -1;
}

int
lb_ids_take(struct lb_ids *ids, const char *name, int *recycled)
{
	uint32_t *s, id;

	if (recycled != NULL)
		*recycled = 0;
	if (name[0] == '\0' || strlen(name) >= LB_NAME_MAX)
		return -EINVAL;
	s = find(ids, name);
	if (*s != 0)
		return (int)(*s - 1);
	if (ids->n < ids->max) {
		id = ids->n++;
	} else if (ids->n_free > 0) {
		id = ids->free_ids[ids->free_head];
		ids->free_head = (ids->free_head + 1) % ids->max;
		ids->n_free--;
		if (recycled != NULL)
			*recycled = 1;
	} else {
		return -ENOSPC;
	}
	strcpy(ids->names[id], name);
	*s = id + 1;
	return (int)id;
}

int
lb_ids_get(struct lb_ids *ids, const char *name)
{
	return lb_ids_take(ids, name, NULL);
}

unsigned int
lb_ids_release_unused(struct lb_ids *ids, const uint8_t *in_use)
{
	unsigned int released = 0;
	uint32_t id;

	for (id = 0; id < ids->n; id++) {
		if (in_use[id] || ids->names[id][0] == '\0')
			continue;
		ids->names[id][0] = '\0';
		ids->free_ids[(ids->free_head + ids->n_free) % ids->max] = id;
		ids->n_free++;
		released++;
	}
	if (released == 0)
		return 0;
	/* Open addressing without tombstones: index the names left anew. */
	memset(ids->slot, 0, (ids->mask + 1) * sizeof(*ids->slot));
	for (id = 0; id < ids->n; id++)
		if (ids->names[id][0] != '\0')
			*find(ids, ids->names[id]) = id + 1;
	return released;
}

const char *
lb_ids_name(const struct lb_ids *ids, uint32_t id)
{
	return id < ids->n && ids->names[id][0] != '\0' ? ids->names[id] :
							   NULL;
}

struct lb_ids *
lb_ids_dup(const struct lb_ids *ids)
{
	struct lb_ids *d = lb_ids_create(ids->max);

	if (d == NULL)
		return NULL;
	memcpy(d->names, ids->names, ids->n * sizeof(*ids->names));
	memcpy(d->slot, ids->slot, (ids->mask + 1) * sizeof(*ids->slot));
	memcpy(d->free_ids, ids->free_ids, ids->max * sizeof(*ids->free_ids));
	d->n = ids->n;
	d->free_head = ids->free_head;
	d->n_free = ids->n_free;
	return d;
}
