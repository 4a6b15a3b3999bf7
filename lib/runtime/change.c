/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What a change changed, as the answer and the audit record say it: key by
 * key from the specifications, and per backend by identity (an index means
 * nothing across two snapshots).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "lb_spec.h"
#include "runtime_priv.h"

static const char *const actor_kinds[] = {
	[LB_ACTOR_PEER] = "peer",
	[LB_ACTOR_SIGNAL] = "signal",
	[LB_ACTOR_STARTUP] = "startup",
	[LB_ACTOR_NEIGH] = "neigh",
	[LB_ACTOR_HEALTH] = "health",
	[LB_ACTOR_RUNTIME] = "edgelbd",
	[LB_ACTOR_WATCH] = "watch",
};

json_t *
lb_actor_json(const struct lb_actor *who)
{
	json_t *o = json_pack("{s:s}", "kind", actor_kinds[who->kind]);

	if (who->kind != LB_ACTOR_PEER)
		return o;
	json_object_set_new(o, "uid", json_integer(who->uid));
	json_object_set_new(o, "gid", json_integer(who->gid));
	json_object_set_new(o, "pid", json_integer(who->pid));
	json_object_set_new(o, "comm", json_string(who->comm[0] != '\0' ?
						   who->comm : "?"));
	return o;
}

static json_t *
str_or_null(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

static void
add_key_change(const struct lb_spec_change *c, void *arg)
{
	json_array_append_new(arg, json_pack("{s:s, s:o, s:o, s:o}",
		"section", c->section,
		"key", str_or_null(c->key),
		"old", str_or_null(c->old_value),
		"new", str_or_null(c->new_value)));
}


static const struct lb_backend_conf *
backend_of(const struct lb_config *cfg, uint32_t id, uint16_t *idx)
{
	*idx = cfg != NULL ? cfg->backend_index[id] : LB_ID_NONE;
	return *idx != LB_ID_NONE ? &cfg->backends[*idx] : NULL;
}

/*
 * Built key by key, not with json_pack: a weight change lists every
 * backend of the pool (their shares move), 1000 of them at N = 1000, and
 * parsing the format string for each was a measurable part of the change.
 */
static json_t *
backend_json(const char *name, uint32_t id, const char *what,
	     const struct lb_backend_conf *a, const struct lb_backend_conf *b,
	     double sa, double sb)
{
	json_t *o = json_object();

	json_object_set_new_nocheck(o, "name", json_string(name));
	json_object_set_new_nocheck(o, "id", json_integer(id));
	json_object_set_new_nocheck(o, "change", json_string_nocheck(what));
	json_object_set_new_nocheck(o, "weight_old", a != NULL ?
				    json_integer(a->weight) : json_null());
	json_object_set_new_nocheck(o, "weight_new", b != NULL ?
				    json_integer(b->weight) : json_null());
	json_object_set_new_nocheck(o, "state_old", a != NULL ?
		json_string_nocheck(lb_backend_state_name(a->state)) : json_null());
	json_object_set_new_nocheck(o, "state_new", b != NULL ?
		json_string_nocheck(lb_backend_state_name(b->state)) : json_null());
	json_object_set_new_nocheck(o, "down_old", a != NULL ?
				    json_boolean(a->out) : json_null());
	json_object_set_new_nocheck(o, "down_new", b != NULL ?
				    json_boolean(b->out) : json_null());
	json_object_set_new_nocheck(o, "table_weight_old", a != NULL ?
				    json_integer(a->table_weight) : json_null());
	json_object_set_new_nocheck(o, "table_weight_new", b != NULL ?
				    json_integer(b->table_weight) : json_null());
	json_object_set_new_nocheck(o, "share_old", json_real(sa));
	json_object_set_new_nocheck(o, "share_new", json_real(sb));
	return o;
}

/*
 * A share that moved less than this (0.01 percentage points, the last
 * digit edgelbctl prints) is not listed: one weight changed among 1000
 * backends moves every other share by about a millionth, and a list of 999
 * such rows hides the one that matters.
 */
#define SHARE_MOVED 0.0001

/* One backend's change, or NULL if nothing about it changed. */
static json_t *
backend_change(const struct lb_config *old, const struct lb_config *new,
	       uint32_t id)
{
	const struct lb_backend_conf *a, *b;
	double sa = 0, sb = 0;
	uint16_t ia, ib;
	const char *what;

	a = backend_of(old, id, &ia);
	b = backend_of(new, id, &ib);
	if (a == NULL && b == NULL)
		return NULL;
	if (a != NULL)
		sa = lb_config_expected_share(old, ia);
	if (b != NULL)
		sb = lb_config_expected_share(new, ib);
	if (a == NULL)
		what = "added";
	else if (b == NULL || (b->state == LB_BACKEND_REMOVED &&
			       a->state != LB_BACKEND_REMOVED))
		what = "removed";
	else if (a->weight != b->weight || a->state != b->state ||
		 a->out != b->out || a->table_weight != b->table_weight ||
		 fabs(sa - sb) >= SHARE_MOVED)
		what = "changed";
	else
		return NULL;
	return backend_json((a != NULL ? a : b)->name, id, what, a, b, sa, sb);
}

static const struct lb_pool_conf *
pool_named(const struct lb_config *cfg, const char *name)
{
	uint32_t i;

	for (i = 0; cfg != NULL && i < cfg->n_pools; i++)
		if (strcmp(cfg->pools[i].name, name) == 0)
			return &cfg->pools[i];
	return NULL;
}

/* Pools whose backends all went down, or came back from that: what
 * fail_open or fail_closed now does must be said where it happens. */
static json_t *
pools_changed(const struct lb_config *old, const struct lb_config *new)
{
	static const char *const policy[] = {
		[LB_ALL_DOWN_FAIL_OPEN] = "fail_open: new flows by weight as "
			"if every backend were up",
		[LB_ALL_DOWN_FAIL_CLOSED] = "fail_closed: new flows refused",
	};
	json_t *list = json_array();
	const struct lb_pool_conf *a, *b;
	uint32_t i;

	for (i = 0; new != NULL && i < new->n_pools; i++) {
		b = &new->pools[i];
		a = pool_named(old, b->name);
		if (b->all_down_now == (a != NULL && a->all_down_now))
			continue;
		json_array_append_new(list, json_pack("{s:s, s:b, s:s}",
			"pool", b->name, "all_down", b->all_down_now,
			"policy", b->all_down_now ? policy[b->all_down] :
			"some backend is up again"));
	}
	return list;
}

void
lb_change_describe(json_t *ans, const struct lb_config *old,
		   const struct lb_config *new)
{
	json_t *keys = json_array(), *backends = json_array(), *c;
	uint32_t id;

	if (old != NULL && new != NULL && old->spec != NULL &&
	    new->spec != NULL)
		lb_spec_diff(old->spec, new->spec, add_key_change, keys);
	for (id = 0; id < LB_MAX_BACKENDS; id++) {
		c = backend_change(old, new, id);
		if (c != NULL)
			json_array_append_new(backends, c);
	}
	json_object_set_new(ans, "changes", keys);
	json_object_set_new(ans, "backends", backends);
	c = pools_changed(old, new);
	if (json_array_size(c) > 0)
		json_object_set_new(ans, "pools", c);
	else
		json_decref(c);
}
