/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Next-hop resolution, management side.
 *
 * Published tables are immutable: a change is a new table (copy + edit)
 * that the caller publishes like a configuration snapshot. A tick in
 * asked_tsc of 0 means "never asked" (the TSC is never 0 once running).
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lb_neigh.h"

struct lb_neigh_table *
lb_neigh_table_create(uint32_t n)
{
	struct lb_neigh_table *t;

	t = calloc(1, sizeof(*t) + (size_t)n * sizeof(t->e[0]));
	if (t != NULL)
		t->n = n;
	return t;
}

struct lb_neigh_table *
lb_neigh_table_for(const struct lb_config *cfg)
{
	struct lb_neigh_table *t = lb_neigh_table_create(cfg->n_neighs);
	uint32_t i;

	for (i = 0; t != NULL && i < t->n; i++) {
		if (!cfg->neighs[i].has_mac)
			continue;
		memcpy(t->e[i].mac.addr_bytes, cfg->neighs[i].mac,
		       RTE_ETHER_ADDR_LEN);
		t->e[i].valid = 1;
	}
	return t;
}

void
lb_neigh_table_free(struct lb_neigh_table *t)
{
	free(t);
}

int
lb_neigh_resolver_init(struct lb_neigh_resolver *r,
		       const struct lb_config *cfg, uint64_t retry_tsc,
		       uint64_t refresh_tsc)
{
	memset(r, 0, sizeof(*r));
	r->cfg = cfg;
	r->n = cfg->n_neighs;
	r->retry_tsc = retry_tsc;
	r->refresh_tsc = refresh_tsc;
	/* +1: calloc(0) may return NULL for a configuration without any. */
	r->asked_tsc = calloc(r->n + 1, sizeof(*r->asked_tsc));
	r->seen_tsc = calloc(r->n + 1, sizeof(*r->seen_tsc));
	if (r->asked_tsc == NULL || r->seen_tsc == NULL) {
		lb_neigh_resolver_fini(r);
		return -ENOMEM;
	}
	return 0;
}

void
lb_neigh_resolver_fini(struct lb_neigh_resolver *r)
{
	if (r == NULL)
		return;
	free(r->asked_tsc);
	free(r->seen_tsc);
	r->asked_tsc = NULL;
	r->seen_tsc = NULL;
	r->n = 0;
}

/* Entry @p i of @p cur, or NULL if @p cur was built for another config. */
static const struct lb_neigh_entry *
neigh_entry(const struct lb_neigh_resolver *r, const struct lb_neigh_table *cur,
	    uint32_t i)
{
	if (cur == NULL || cur->n != r->n)
		return NULL;
	return &cur->e[i];
}

static int
neigh_is_due(const struct lb_neigh_resolver *r,
	     const struct lb_neigh_table *cur, uint32_t i, uint64_t now)
{
	const struct lb_neigh_entry *e = neigh_entry(r, cur, i);
	uint64_t asked = r->asked_tsc[i];
	int retry_passed = asked == 0 || now - asked >= r->retry_tsc;

	if (r->cfg->neighs[i].has_mac)
		return 0;
	if (e == NULL || !e->valid)
		return retry_passed;
	/* Resolved: re-ask once it has been quiet for refresh, and while it
	 * stays quiet, no more often than the retry interval. */
	return now - r->seen_tsc[i] >= r->refresh_tsc && retry_passed;
}

unsigned int
lb_neigh_due(struct lb_neigh_resolver *r, const struct lb_neigh_table *cur,
	     uint64_t now, uint32_t *idx, unsigned int max)
{
	unsigned int n = 0;
	uint32_t i;

	for (i = 0; i < r->n && n < max; i++) {
		if (!neigh_is_due(r, cur, i, now))
			continue;
		r->asked_tsc[i] = now;
		idx[n++] = i;
	}
	return n;
}

/* A copy of @p cur to edit, or an empty table if it is for another config. */
static struct lb_neigh_table *
neigh_table_copy(const struct lb_neigh_resolver *r,
		 const struct lb_neigh_table *cur)
{
	struct lb_neigh_table *t = lb_neigh_table_for(r->cfg);

	if (t != NULL && cur != NULL && cur->n == r->n)
		memcpy(t->e, cur->e, (size_t)r->n * sizeof(t->e[0]));
	return t;
}

static const char *const refusal_names[LB_NEIGH_REFUSALS] = {
	[LB_NEIGH_NOT_UNICAST] = "not_unicast",
	[LB_NEIGH_OWN_MAC] = "own_mac",
	[LB_NEIGH_UNSOLICITED] = "unsolicited",
	[LB_NEIGH_ETH_SOURCE] = "eth_source",
};

const char *
lb_neigh_refusal_name(enum lb_neigh_refusal why)
{
	return (unsigned int)why < LB_NEIGH_REFUSALS ? refusal_names[why] :
						      "unknown";
}

static int
is_own_mac(const struct lb_neigh_resolver *r, const struct rte_ether_addr *m)
{
	unsigned int i;

	for (i = 0; i < r->n_own; i++)
		if (rte_is_same_ether_addr(&r->own[i], m))
			return 1;
	return 0;
}

/* A request of ours to neighbour @p i is still unanswered. */
static int
outstanding(const struct lb_neigh_resolver *r, uint32_t i)
{
	return r->asked_tsc[i] != 0 && r->asked_tsc[i] > r->seen_tsc[i];
}

struct lb_neigh_table *
lb_neigh_learn(struct lb_neigh_resolver *r, const struct lb_neigh_table *cur,
	       uint32_t port, uint32_t addr, const struct rte_ether_addr *mac,
	       uint64_t now)
{
	const struct lb_neigh_conf *nc = r->cfg->neighs;
	struct lb_neigh_table *next = NULL;
	const struct lb_neigh_entry *e;
	uint32_t i;

	/* A zero, multicast or broadcast sender is no answer to trust. */
	if (!rte_is_valid_assigned_ether_addr(mac) || is_own_mac(r, mac)) {
		r->refused[is_own_mac(r, mac) ? LB_NEIGH_OWN_MAC :
			   LB_NEIGH_NOT_UNICAST]++;
		return NULL;
	}
	for (i = 0; i < r->n; i++) {
		if (nc[i].addr != addr || nc[i].port != port)
			continue;
		/* A static next hop is the operator's word, not ARP's:
		 * another MAC for it is refused (nobody else learns it). */
		if (nc[i].has_mac) {
			if (memcmp(nc[i].mac, mac->addr_bytes,
				   RTE_ETHER_ADDR_LEN) != 0)
				r->refused[LB_NEIGH_UNSOLICITED]++;
			continue;
		}
		e = neigh_entry(r, cur, i);
		if (e != NULL && e->valid && rte_is_same_ether_addr(&e->mac, mac)) {
			r->seen_tsc[i] = now;   /* a refresh */
			continue;
		}
		if (!outstanding(r, i)) {
			r->refused[LB_NEIGH_UNSOLICITED]++;
			continue;
		}
		r->seen_tsc[i] = now;
		if (next == NULL)
			next = neigh_table_copy(r, cur);
		if (next == NULL)
			return NULL;
		rte_ether_addr_copy(mac, &next->e[i].mac);
		next->e[i].valid = 1;
		r->learned++;
	}
	return next;
}

/*
 * The neighbours of a configuration by (address, port): a rebase matches
 * every old next hop against the new ones, a thousand of each on a big
 * configuration.
 */
struct neigh_map {
	const struct lb_config *cfg;
	uint32_t mask;
	uint32_t *slot;             /* index + 1; 0 empty */
};

static uint32_t *
neigh_slot(const struct neigh_map *m, uint32_t addr, uint32_t port)
{
	uint32_t i = rte_hash_crc_4byte(addr, port), *s;

	for (;; i++) {
		s = &m->slot[i & m->mask];
		if (*s == 0 || (m->cfg->neighs[*s - 1].addr == addr &&
				m->cfg->neighs[*s - 1].port == port))
			return s;
	}
}

static int
neigh_map_build(struct neigh_map *m, const struct lb_config *cfg)
{
	uint32_t i;

	m->cfg = cfg;
	m->mask = rte_align32pow2(2 * cfg->n_neighs + 2) - 1;
	m->slot = calloc(m->mask + 1, sizeof(*m->slot));
	if (m->slot == NULL)
		return -ENOMEM;
	for (i = 0; i < cfg->n_neighs; i++)
		*neigh_slot(m, cfg->neighs[i].addr, cfg->neighs[i].port) = i + 1;
	return 0;
}

struct lb_neigh_table *
lb_neigh_rebase(struct lb_neigh_resolver *r, const struct lb_config *cfg,
		const struct lb_neigh_table *cur)
{
	const struct lb_config *old = r->cfg;
	struct lb_neigh_resolver next;
	struct lb_neigh_table *t;
	struct neigh_map m;
	uint32_t i, j;

	t = lb_neigh_table_for(cfg);
	if (t == NULL || neigh_map_build(&m, cfg) != 0) {
		lb_neigh_table_free(t);
		return NULL;
	}
	if (lb_neigh_resolver_init(&next, cfg, r->retry_tsc,
				   r->refresh_tsc) != 0) {
		free(m.slot);
		lb_neigh_table_free(t);
		return NULL;
	}
	/* Neighbour indexes differ between configurations: match by
	 * address and port. A static MAC in the new one wins. */
	for (i = 0; old != NULL && i < old->n_neighs; i++) {
		j = *neigh_slot(&m, old->neighs[i].addr, old->neighs[i].port);
		if (j-- == 0)
			continue;
		next.asked_tsc[j] = r->asked_tsc[i];
		next.seen_tsc[j] = r->seen_tsc[i];
		if (!cfg->neighs[j].has_mac && cur != NULL && i < cur->n &&
		    cur->e[i].valid)
			t->e[j] = cur->e[i];
	}
	free(m.slot);
	next.n_own = r->n_own;
	memcpy(next.own, r->own, sizeof(next.own));
	next.learned = r->learned;
	memcpy(next.refused, r->refused, sizeof(next.refused));
	lb_neigh_resolver_fini(r);
	*r = next;
	return t;
}
