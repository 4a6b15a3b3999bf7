/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Identities by name. A name keeps its identity for the life of the
 * process: flows, counters and audit records that name an identity keep
 * meaning the same backend across any number of snapshots.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>

#include "lb_config.h"

struct lb_ids {
	uint32_t max;
	uint32_t n;                 /* given so far: 0..n-1 */
	uint32_t mask;              /* slots - 1, at most half full */
	uint32_t *slot;             /* id + 1, 0 = empty */
	char (*names)[LB_NAME_MAX];
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
	if (ids->names == NULL || ids->slot == NULL) {
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
	free(ids);
}

int
lb_ids_get(struct lb_ids *ids, const char *name)
{
	uint32_t *s;

	if (strlen(name) >= LB_NAME_MAX)
		return -EINVAL;
	s = find(ids, name);
	if (*s != 0)
		return (int)(*s - 1);
	if (ids->n == ids->max)
		return -ENOSPC;
	strcpy(ids->names[ids->n], name);
	*s = ++ids->n;
	return (int)(*s - 1);
}

const char *
lb_ids_name(const struct lb_ids *ids, uint32_t id)
{
	return id < ids->n ? ids->names[id] : NULL;
}

struct lb_ids *
lb_ids_dup(const struct lb_ids *ids)
{
	struct lb_ids *d = lb_ids_create(ids->max);

	if (d == NULL)
		return NULL;
	memcpy(d->names, ids->names, ids->n * sizeof(*ids->names));
	memcpy(d->slot, ids->slot, (ids->mask + 1) * sizeof(*ids->slot));
	d->n = ids->n;
	return d;
}
