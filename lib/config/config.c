/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The snapshot's life: a file becomes a specification (spec.c) and the
 * specification a snapshot (validate.c, build.c); here are the one-call
 * path for a file, freeing, and the shares read from a snapshot.
 */

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "config_priv.h"

struct lb_config *
lb_config_parse(const char *path, struct lb_config_error *err)
{
	struct lb_spec *spec = lb_spec_load(path, err);
	struct lb_config *cfg;

	if (spec == NULL)
		return NULL;
	cfg = lb_config_build(spec, NULL, err);
	lb_spec_free(spec);
	return cfg;
}

void
lb_config_free(struct lb_config *cfg)
{
	uint32_t i;

	if (cfg == NULL)
		return;
	for (i = 0; cfg->pools != NULL && i < cfg->n_pools; i++) {
		lb_sched_maglev_free(&cfg->pools[i].maglev);
		free(cfg->pools[i].members);
		free(cfg->pools[i].member_slots);
	}
	free(cfg->ports);
	free(cfg->vips);
	free(cfg->pools);
	free(cfg->backends);
	free(cfg->neighs);
	free(cfg->addr_index);
	lb_spec_free(cfg->spec);
	free(cfg);
}

double
lb_config_expected_share(const struct lb_config *cfg, uint32_t b)
{
	const struct lb_pool_conf *p;
	uint32_t i;

	if (b >= cfg->n_backends || cfg->backends[b].pool >= cfg->n_pools)
		return 0;
	p = &cfg->pools[cfg->backends[b].pool];
	i = cfg->backends[b].member;
	if (p->member_slots == NULL || p->maglev.size == 0 ||
	    i >= p->n_members)
		return 0;
	return (double)p->member_slots[i] / p->maglev.size;
}

#define FNV_OFFSET 0xcbf29ce484222325ull
#define FNV_PRIME 0x100000001b3ull

static uint64_t
fnv_bytes(uint64_t h, const void *p, size_t len)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ b[i]) * FNV_PRIME;
	return h;
}

/*
 * Names are hashed once each (a name's hash stands for it in every slot
 * it owns), then each slot is one xor-multiply: O(M) cheap steps, not
 * O(M x name length), as every build makes one per pool. The rotation
 * carries high bits down, which a multiply alone never does.
 */
uint64_t
lb_config_table_fingerprint(const struct lb_maglev *t,
			    const char *const *names)
{
	uint64_t h = fnv_bytes(FNV_OFFSET, &t->size, sizeof(t->size));
	uint64_t *nh, empty = fnv_bytes(FNV_OFFSET, "", 1), x;
	uint32_t i;

	nh = calloc(t->n_backends + 1, sizeof(*nh));
	if (nh == NULL || t->slots == NULL) {
		free(nh);
		return h;
	}
	for (i = 0; i < t->n_backends; i++)
		nh[i] = fnv_bytes(FNV_OFFSET, names[i], strlen(names[i]) + 1);
	for (i = 0; i < t->size; i++) {
		x = t->slots[i] < t->n_backends ? nh[t->slots[i]] : empty;
		h = ((h << 29 | h >> 35) ^ x) * FNV_PRIME;
	}
	free(nh);
	return fnv_bytes(FNV_OFFSET, &h, sizeof(h));
}

const char *
lb_config_fingerprint_hex(const struct lb_config *cfg, uint32_t pool,
			  char *buf, size_t size)
{
	snprintf(buf, size, "%016" PRIx64,
		 pool < cfg->n_pools ? cfg->pools[pool].fingerprint : 0);
	return buf;
}

const char *
lb_backend_state_name(unsigned int state)
{
	static const char *const names[] = {
		[LB_BACKEND_UP] = "up", [LB_BACKEND_DRAINED] = "drained",
		[LB_BACKEND_DISABLED] = "disabled",
		[LB_BACKEND_REMOVED] = "removed",
	};

	return state < RTE_DIM(names) ? names[state] : "unknown";
}
