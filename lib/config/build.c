/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Validated objects -> snapshot: identities, retained backends, scheduler
 * tables, next hops and the address index. Runs only once validate.c
 * found nothing wrong; what can still fail here (an identity registry
 * full, two MACs for one next hop, memory) is reported the same way.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <rte_common.h>

#include "build_priv.h"

/* ---- identities ---------------------------------------------------------- */

/*
 * The registry is full: release the identities of names that neither the
 * running snapshot nor this specification has (kind @p kind).
 */
static void
release_unused(struct build_ctx *c, struct lb_ids *ids,
	       enum lb_section_kind kind, uint32_t max)
{
	const struct lb_config *prev = c->opts != NULL ? c->opts->prev : NULL;
	uint8_t *in_use = calloc(max, 1);
	uint32_t i;
	int id;

	if (in_use == NULL)
		return;
	for (i = 0; prev != NULL && kind == LB_SECTION_BACKEND &&
		    i < prev->n_backends; i++)
		in_use[prev->backends[i].id] = 1;
	for (i = 0; prev != NULL && kind == LB_SECTION_VIP &&
		    i < prev->n_vips; i++)
		in_use[prev->vips[i].id] = 1;
	for (i = 0; i < c->n[kind]; i++) {
		id = lb_ids_find(ids, lb_spec_section_short(c->sec[kind][i]));
		if (id >= 0 && (uint32_t)id < max)
			in_use[id] = 1;
	}
	lb_ids_release_unused(ids, in_use);
	free(in_use);
}

/* From the registry by name, else the position in the file. */
static int
identity(struct build_ctx *c, struct lb_ids *ids, enum lb_section_kind kind,
	 uint32_t pos, uint32_t max, uint16_t *id, uint16_t *epoch)
{
	const struct lb_spec_section *s = c->sec[kind][pos];
	const char *what = lb_section_kind_name(kind);
	int again = 0, rc = (int)pos;

	if (ids != NULL)
		rc = lb_ids_take(ids, lb_spec_section_short(s), &again);
	if (rc == -ENOSPC) {
		release_unused(c, ids, kind, max);
		rc = lb_ids_take(ids, lb_spec_section_short(s), &again);
	}
	if (rc == -ENOSPC) {
		build_error(c, s, NULL, "no free %s identity (every one is "
			    "used by the running configuration or this one)",
			    what);
		return -1;
	}
	if (rc < 0 || (uint32_t)rc >= max) {
		build_error(c, s, NULL, "%s identity: %s", what,
			    rc < 0 ? strerror(-rc) : "out of range");
		return -1;
	}
	*id = (uint16_t)rc;
	if (again)
		epoch[rc]++;
	return 0;
}

static int
fill_ids(struct build_ctx *c)
{
	struct lb_config *cfg = c->cfg;
	struct lb_ids *bids = c->opts ? c->opts->backend_ids : NULL;
	struct lb_ids *vids = c->opts ? c->opts->vip_ids : NULL;
	uint32_t i;
	int rc = 0;

	memset(cfg->backend_index, 0xff, sizeof(cfg->backend_index));
	memset(cfg->vip_index, 0xff, sizeof(cfg->vip_index));
	if (c->opts != NULL && c->opts->prev != NULL) {
		memcpy(cfg->backend_epoch, c->opts->prev->backend_epoch,
		       sizeof(cfg->backend_epoch));
		memcpy(cfg->vip_epoch, c->opts->prev->vip_epoch,
		       sizeof(cfg->vip_epoch));
	}
	for (i = 0; i < cfg->n_backends; i++) {
		if (identity(c, bids, LB_SECTION_BACKEND, i, LB_MAX_BACKENDS,
			     &cfg->backends[i].id, cfg->backend_epoch) < 0)
			rc = -1;
		else
			cfg->backend_index[cfg->backends[i].id] = (uint16_t)i;
	}
	for (i = 0; i < cfg->n_vips; i++) {
		if (identity(c, vids, LB_SECTION_VIP, i, LB_MAX_VIPS,
			     &cfg->vips[i].id, cfg->vip_epoch) < 0)
			rc = -1;
		else
			cfg->vip_index[cfg->vips[i].id] = (uint16_t)i;
	}
	return rc;
}

/* ---- retained backends ---------------------------------------------------- */

static uint32_t
pool_by_name(const struct lb_config *cfg, const char *name)
{
	uint32_t i;

	for (i = 0; i < cfg->n_pools; i++)
		if (strcmp(cfg->pools[i].name, name) == 0)
			return i;
	return UINT32_MAX;
}

/* Retain @old (a backend of prev) as REMOVED if it still can be reached. */
static void
retain_one(struct lb_config *cfg, const struct lb_config *prev,
	   const struct lb_backend_conf *old)
{
	struct lb_backend_conf *b = &cfg->backends[cfg->n_backends];
	uint32_t own;

	uint32_t i;

	if (cfg->backend_index[old->id] != LB_ID_NONE)
		return;         /* its name is still a backend, or id reused */
	for (i = 0; i < cfg->n_backends; i++)
		if (strcmp(cfg->backends[i].name, old->name) == 0)
			return;
	*b = *old;
	b->port = lb_config_port_of(cfg, old->addr, &own);
	if (b->port == UINT32_MAX)
		return;         /* no longer on-link: cannot forward to it */
	b->state = LB_BACKEND_REMOVED;
	b->member = UINT32_MAX;
	b->pool = old->pool < prev->n_pools ?
		pool_by_name(cfg, prev->pools[old->pool].name) : UINT32_MAX;
	cfg->backend_index[b->id] = (uint16_t)cfg->n_backends++;
}

static void
retain_backends(struct build_ctx *c)
{
	const struct lb_config_build_opts *o = c->opts;
	uint32_t i, bi;

	if (o == NULL || o->prev == NULL || o->retain == NULL)
		return;
	for (i = 0; i < o->n_retain; i++) {
		if (o->retain[i] >= LB_MAX_BACKENDS)
			continue;
		bi = o->prev->backend_index[o->retain[i]];
		if (bi < o->prev->n_backends)
			retain_one(c->cfg, o->prev, &o->prev->backends[bi]);
	}
}

/* ---- pools: members and tables ------------------------------------------- */

static int
cmp_member(const void *a, const void *b, void *arg)
{
	const struct lb_config *cfg = arg;

	return strcmp(cfg->backends[*(const uint32_t *)a].name,
		      cfg->backends[*(const uint32_t *)b].name);
}

/* Could take new flows if it were not down. */
static int
candidate(const struct lb_backend_conf *be, uint32_t pi)
{
	return be->pool == pi && be->state == LB_BACKEND_UP && be->weight > 0;
}

/*
 * Which backends health checks leave out: the down ones, unless every
 * candidate of the pool is down and the pool fails open (then none: new
 * flows go by weight as if all were up, and established ones stay).
 */
static void
mark_out(struct lb_config *cfg, struct lb_pool_conf *p, uint32_t pi)
{
	uint32_t i, n = 0, down = 0;

	for (i = 0; i < cfg->n_backends; i++)
		if (candidate(&cfg->backends[i], pi)) {
			n++;
			down += cfg->backends[i].down;
		}
	p->all_down_now = n > 0 && down == n;
	for (i = 0; i < cfg->n_backends; i++)
		if (cfg->backends[i].pool == pi)
			cfg->backends[i].out = cfg->backends[i].down &&
				!(p->all_down_now &&
				  p->all_down == LB_ALL_DOWN_FAIL_OPEN);
}

/* UP backends that are not out (apply_live): drained, disabled and down
 * ones take no new flow. */
static int
fill_members(struct lb_config *cfg, struct lb_pool_conf *p, uint32_t pi)
{
	uint32_t i;

	p->members = calloc(cfg->n_backends + 1, sizeof(*p->members));
	if (p->members == NULL)
		return -ENOMEM;
	for (i = 0; i < cfg->n_backends; i++)
		if (cfg->backends[i].pool == pi &&
		    cfg->backends[i].state == LB_BACKEND_UP &&
		    !cfg->backends[i].out)
			p->members[p->n_members++] = i;
	/* names, not INI order, fix the table: reordering the file is a no-op */
	qsort_r(p->members, p->n_members, sizeof(*p->members), cmp_member,
		cfg);
	for (i = 0; i < p->n_members; i++)
		cfg->backends[p->members[i]].member = i;
	return 0;
}

/*
 * Slot counts per member, once per snapshot: expected shares are asked for
 * often (CLI, metrics) and counting the table each time is O(M).
 */
static int
count_member_slots(struct lb_pool_conf *p)
{
	uint32_t i;

	p->member_slots = calloc(p->n_members ? p->n_members : 1,
				 sizeof(*p->member_slots));
	if (p->member_slots == NULL)
		return -ENOMEM;
	for (i = 0; i < p->maglev.size; i++)
		if (p->maglev.slots[i] != LB_SCHED_EMPTY &&
		    p->maglev.slots[i] < p->n_members)
			p->member_slots[p->maglev.slots[i]]++;
	return 0;
}

static int
build_table(struct lb_config *cfg, struct lb_pool_conf *p)
{
	struct lb_sched_backend *be;
	const char **names;
	uint32_t i;
	int rc;

	be = calloc(p->n_members + 1, sizeof(*be));
	names = calloc(p->n_members + 1, sizeof(*names));
	if (be == NULL || names == NULL) {
		free(be);
		free(names);
		return -ENOMEM;
	}
	for (i = 0; i < p->n_members; i++) {
		be[i].name = names[i] = cfg->backends[p->members[i]].name;
		be[i].weight = cfg->backends[p->members[i]].table_weight;
	}
	rc = lb_sched_maglev_build(&p->maglev, be, p->n_members,
				   p->table_size);
	if (rc == 0)
		p->fingerprint = lb_config_table_fingerprint(&p->maglev, names);
	free(be);
	free(names);
	return rc == 0 ? count_member_slots(p) : rc;
}

/* 1 if @be is in @prev (the running snapshot) but takes no new flows
 * there: disabled, drained or down. A backend new to the configuration
 * starts at full weight, as it did at startup. */
static int
was_out_of_service(const struct lb_config *prev,
		   const struct lb_backend_conf *be)
{
	uint16_t bi = prev->backend_index[be->id];

	return bi != LB_ID_NONE && (prev->backends[bi].state != LB_BACKEND_UP ||
				    prev->backends[bi].out);
}

/*
 * Health and slow start, by identity. A backend that comes back into
 * service (enabled, or up again) in a pool with slow_start_s starts at a
 * tenth of its weight; one that was in service keeps the ramp the caller
 * gives. Never below 1: a ramping backend is never out of its table.
 */
static void
apply_live(struct build_ctx *c)
{
	const struct lb_config_build_opts *o = c->opts;
	struct lb_config *cfg = c->cfg;
	struct lb_backend_conf *be;
	uint32_t i;

	for (i = 0; i < cfg->n_backends; i++) {
		be = &cfg->backends[i];
		be->down = o != NULL && o->down != NULL && o->down[be->id];
		be->ramp = o != NULL && o->ramp != NULL ? o->ramp[be->id] : 0;
	}
	for (i = 0; i < cfg->n_pools; i++)
		mark_out(cfg, &cfg->pools[i], i);
	for (i = 0; i < cfg->n_backends; i++) {
		be = &cfg->backends[i];
		if (be->state == LB_BACKEND_UP && !be->out &&
		    be->pool < cfg->n_pools &&
		    cfg->pools[be->pool].slow_start_s > 0 &&
		    o != NULL && o->prev != NULL &&
		    was_out_of_service(o->prev, be)) {
			be->came_up = 1;
			be->ramp = LB_CONFIG_RAMP_START;
		}
		/* Out of the table (down, drained, disabled): no weight in
		 * it, whatever the file says; `backends` and the metrics
		 * show both. */
		be->table_weight = be->state == LB_BACKEND_UP && !be->out ?
				   be->weight : 0;
		if (be->ramp > 0 && be->ramp < 1000 && be->weight > 0)
			be->table_weight = RTE_MAX(1u, (uint32_t)
				((uint64_t)be->weight * be->ramp / 1000));
	}
}

static int
build_pools(struct build_ctx *c)
{
	struct lb_config *cfg = c->cfg;
	uint32_t i;
	int rc;

	for (i = 0; i < cfg->n_pools; i++) {
		rc = fill_members(cfg, &cfg->pools[i], i);
		if (rc == 0)
			rc = build_table(cfg, &cfg->pools[i]);
		if (rc < 0) {
			build_error(c, c->sec[LB_SECTION_POOL][i], NULL,
				    "pool %s: cannot build the maglev table: %s",
				    cfg->pools[i].name, strerror(-rc));
			return -1;
		}
	}
	return 0;
}

/* ---- next hops ------------------------------------------------------------- */

/* Next hops by (address, port) while they are gathered: 1000 backends
 * found one by one in a list is half a million compares per change. */
struct neigh_map {
	uint32_t mask;
	uint32_t *slot;             /* neighs index + 1; 0 empty */
};

static uint32_t
add_neigh(struct lb_config *cfg, struct neigh_map *m, uint32_t addr,
	  uint32_t port)
{
	uint32_t i = rte_hash_crc_4byte(addr, port), *s;

	for (;; i++) {
		s = &m->slot[i & m->mask];
		if (*s == 0)
			break;
		if (cfg->neighs[*s - 1].addr == addr &&
		    cfg->neighs[*s - 1].port == port)
			return *s - 1;
	}
	cfg->neighs[cfg->n_neighs].addr = addr;
	cfg->neighs[cfg->n_neighs].port = port;
	*s = ++cfg->n_neighs;
	return *s - 1;
}

/* 1 if a backend of the specification uses next hop @n. */
static int
neigh_configured(const struct build_ctx *c, uint32_t n)
{
	uint32_t i;

	for (i = 0; i < c->n[LB_SECTION_BACKEND]; i++)
		if (c->cfg->backends[i].neigh == n)
			return 1;
	return 0;
}

/*
 * Backends sharing an address share a next hop: their MACs must agree.
 * A retained backend yields to the specification's: the next hop of a
 * configured backend is what the operator wrote now.
 */
static int
set_static_mac(struct build_ctx *c, uint32_t b)
{
	const struct lb_backend_conf *be = &c->cfg->backends[b];
	struct lb_neigh_conf *n = &c->cfg->neighs[be->neigh];
	char a[INET_ADDRSTRLEN];

	if (be->state == LB_BACKEND_REMOVED &&
	    (n->has_mac || neigh_configured(c, be->neigh)))
		return 0;
	if (n->has_mac && (!be->has_mac ||
			   memcmp(n->mac, be->mac, sizeof(n->mac)) != 0)) {
		inet_ntop(AF_INET, &be->addr, a, sizeof(a));
		build_error(c, c->sec[LB_SECTION_BACKEND][b],
			    be->has_mac ? "mac" : "address",
			    "backend '%s': address %s is given another mac by another backend",
			    be->name, a);
		return -1;
	}
	if (be->has_mac) {
		memcpy(n->mac, be->mac, sizeof(n->mac));
		n->has_mac = 1;
	}
	return 0;
}

static int
fill_neighs(struct build_ctx *c)
{
	struct lb_config *cfg = c->cfg;
	struct neigh_map m;
	uint32_t i;
	int rc = 0;

	/* at most half full */
	m.mask = rte_align32pow2(2 * (cfg->n_backends + cfg->n_ports) + 2) - 1;
	m.slot = calloc(m.mask + 1, sizeof(*m.slot));
	if (m.slot == NULL) {
		lb_config_add_error(c->err, c->spec->path, "out of memory");
		return -1;
	}
	for (i = 0; i < cfg->n_backends; i++)
		cfg->backends[i].neigh = add_neigh(cfg, &m,
						   cfg->backends[i].addr,
						   cfg->backends[i].port);
	/* the specification's backends first: theirs is the MAC that wins */
	for (i = 0; i < cfg->n_backends; i++)
		if (set_static_mac(c, i) < 0)
			rc = -1;
	for (i = 0; i < cfg->n_ports; i++)
		if (cfg->ports[i].gateway != 0)
			add_neigh(cfg, &m, cfg->ports[i].gateway, i);
	free(m.slot);
	return rc;
}

/* ---- address index --------------------------------------------------------- */

static void
index_put(struct lb_config *cfg, uint8_t proto, uint32_t addr, uint16_t port,
	  int16_t vip)
{
	struct lb_addr_slot *s =
		(struct lb_addr_slot *)lb_config_addr_slot(cfg, proto, addr,
							   port);

	if (s->used)
		return;         /* an address owned twice (VIPs sharing it) */
	*s = (struct lb_addr_slot){ .addr = addr, .port = port,
				    .proto = proto, .used = 1, .vip = vip,
				    .vip_id = vip >= 0 ? cfg->vips[vip].id : 0 };
}

/* At most half full, so a miss ends after a probe or two. */
static int
build_addr_index(struct build_ctx *c)
{
	struct lb_config *cfg = c->cfg;
	uint32_t n = 2 * cfg->n_vips + cfg->n_ports, i;

	cfg->addr_mask = rte_align32pow2(2 * n + 2) - 1;
	cfg->addr_index = calloc(cfg->addr_mask + 1,
				 sizeof(*cfg->addr_index));
	if (cfg->addr_index == NULL) {
		lb_config_add_error(c->err, c->spec->path, "out of memory");
		return -1;
	}
	for (i = 0; i < cfg->n_vips; i++) {
		index_put(cfg, cfg->vips[i].proto, cfg->vips[i].addr,
			  cfg->vips[i].port, (int16_t)i);
		index_put(cfg, 0, cfg->vips[i].addr, 0, LB_ADDR_VIP);
	}
	/* After the VIPs: a port address that is also a VIP's stays a VIP's,
	 * which the kernel path never serves. */
	for (i = 0; i < cfg->n_ports; i++)
		index_put(cfg, 0, cfg->ports[i].addr, 0,
			  (int16_t)LB_ADDR_PORT(i));
	return 0;
}

/* The worker's one load on a flow hit: see struct lb_backend_fwd. */
static void
fill_hit_index(struct lb_config *cfg)
{
	const struct lb_backend_conf *be;
	uint32_t i;

	for (i = 0; i < LB_MAX_BACKENDS; i++)
		cfg->backend_fwd[i].index = LB_ID_NONE;
	for (i = 0; i < cfg->n_backends; i++) {
		be = &cfg->backends[i];
		if (be->state >= LB_BACKEND_DISABLED || be->out)
			continue;
		cfg->backend_fwd[be->id] = (struct lb_backend_fwd){
			.neigh = be->neigh, .index = (uint16_t)i,
			.port = (uint8_t)be->port };
	}
}

/* ---- entry point ------------------------------------------------------------ */

static int
build(struct build_ctx *c)
{
	if (lb_config_validate(c) < 0 || fill_ids(c) < 0)
		return -1;
	retain_backends(c);
	apply_live(c);
	if (build_pools(c) < 0 || fill_neighs(c) < 0 ||
	    build_addr_index(c) < 0)
		return -1;
	fill_hit_index(c->cfg);
	c->cfg->spec = lb_spec_ref(c->spec);
	if (c->cfg->spec == NULL) {
		lb_config_add_error(c->err, c->spec->path, "out of memory");
		return -1;
	}
	return 0;
}

struct lb_config *
lb_config_build(const struct lb_spec *spec,
		const struct lb_config_build_opts *opts,
		struct lb_config_error *err)
{
	struct build_ctx c = { .spec = spec, .opts = opts, .err = err };
	int k, rc = -1;

	lb_config_error_init(err);
	c.cfg = calloc(1, sizeof(*c.cfg));
	if (c.cfg == NULL)
		lb_config_add_error(err, spec->path, "out of memory");
	else if (strlen(spec->path) >= sizeof(c.cfg->path))
		lb_config_add_error(err, spec->path, "path too long");
	else
		rc = build(&c);
	for (k = 0; k < LB_SECTION_KINDS; k++) {
		free(c.sec[k]);
		free(c.ok[k]);
	}
	if (rc < 0) {
		lb_config_free(c.cfg);
		return NULL;
	}
	strcpy(c.cfg->path, spec->path);
	return c.cfg;
}
