/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The one apply: build -> publish one snapshot -> one RCU wait -> free the
 * old -> record. Everything that changes what the workers run ends in
 * publish_snapshot(), and every configuration change in apply_config().
 */
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>

#include "lb_neigh.h"
#include "lb_spec.h"
#include "runtime_priv.h"

RTE_LOG_REGISTER(lb_runtime_logtype, edgelb.runtime, INFO);

/* A generation, kept for rollback and for status. */
struct rt_gen {
	uint64_t generation;
	struct lb_spec *spec;
	time_t made;
	struct lb_actor who;
	char command[256];
};

struct lb_runtime {
	struct lb_dp *dp;
	const struct lb_snapshot *snap;
	struct lb_ids *backend_ids, *vip_ids;
	struct lb_neigh_resolver res;
	struct lb_neigh_table *neigh_pending;   /* learned, not yet applied */
	struct lb_audit *audit;
	struct rt_gen gens[LB_RUNTIME_GENERATIONS];
	json_t *since_reload;       /* runtime changes the next reload drops */
	/* What health checks and slow starts say, by backend identity: every
	 * build reads them (lb_config_build_opts.down/ramp), whatever made
	 * the change, so a reload never brings a down backend back. */
	uint8_t down[LB_MAX_BACKENDS];
	uint16_t ramp[LB_MAX_BACKENDS];
	uint64_t ramp_start_ms[LB_MAX_BACKENDS];
	json_t *health_pending;     /* transitions not applied yet */
};

/* CLOCK_MONOTONIC in ms: slow starts are measured in it. */
static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const struct lb_snapshot *
lb_runtime_snapshot(const struct lb_runtime *rt)
{
	return rt->snap;
}

const char *
lb_runtime_backend_name(const struct lb_runtime *rt, uint32_t id)
{
	return lb_ids_name(rt->backend_ids, id);
}

const char *
lb_runtime_vip_name(const struct lb_runtime *rt, uint32_t id)
{
	return lb_ids_name(rt->vip_ids, id);
}

uint64_t
lb_runtime_backend_flows(const struct lb_runtime *rt, uint32_t id)
{
	uint64_t n = 0;
	unsigned int i;

	if (id >= LB_MAX_BACKENDS)
		return 0;
	for (i = 0; i < rt->dp->n_workers; i++)
		n += __atomic_load_n(&rt->dp->workers[i]->stats.backend[id].flows,
				     __ATOMIC_RELAXED);
	return n;
}

/* ---- publish: the only place a snapshot changes ------------------------ */

static void
snapshot_free(const struct lb_snapshot *old, const struct lb_snapshot *next)
{
	if (old == NULL)
		return;
	if (next == NULL || old->cfg != next->cfg)
		lb_config_free((struct lb_config *)(uintptr_t)old->cfg);
	if (next == NULL || old->neigh != next->neigh)
		lb_neigh_table_free((struct lb_neigh_table *)(uintptr_t)
				    old->neigh);
	free((void *)(uintptr_t)old);
}

/* Publish into @s, allocated beforehand: nothing here can fail. */
static void
publish_into(struct lb_runtime *rt, struct lb_snapshot *s,
	     const struct lb_config *cfg, const struct lb_neigh_table *nt)
{
	const struct lb_snapshot *old = rt->snap;

	s->cfg = cfg;
	s->neigh = nt;
	s->generation = old == NULL ? 1 :
		old->generation + (cfg != old->cfg);
	s->seq = old == NULL ? 1 : old->seq + 1;
	lb_dp_publish(rt->dp, s);
	rt->snap = s;
	snapshot_free(old, s);
}

/*
 * Publish @cfg with @nt (either may be the running one) as one snapshot,
 * wait once, free what the old one alone held. Takes ownership of both.
 */
static int
publish_snapshot(struct lb_runtime *rt, const struct lb_config *cfg,
		 const struct lb_neigh_table *nt)
{
	struct lb_snapshot *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return -ENOMEM;
	publish_into(rt, s, cfg, nt);
	return 0;
}


/* ---- generations ------------------------------------------------------- */

static struct rt_gen *
gen_slot(struct lb_runtime *rt, uint64_t generation)
{
	return &rt->gens[generation % LB_RUNTIME_GENERATIONS];
}

static const struct rt_gen *
gen_find(const struct lb_runtime *rt, uint64_t generation)
{
	const struct rt_gen *g =
		&rt->gens[generation % LB_RUNTIME_GENERATIONS];

	return g->spec != NULL && g->generation == generation ? g : NULL;
}

/*
 * Keep the running generation's specification for rollback: @spec (owned;
 * the one it was built from, so no copy at N = 1000 on every change), or
 * NULL for a copy of the running one.
 */
static void
gen_note(struct lb_runtime *rt, struct lb_spec *spec,
	 const struct lb_actor *who, const char *command)
{
	struct rt_gen *g = gen_slot(rt, rt->snap->generation);

	lb_spec_free(g->spec);
	g->generation = rt->snap->generation;
	if (spec == NULL && rt->snap->cfg->spec != NULL)
		spec = lb_spec_ref(rt->snap->cfg->spec);
	g->spec = spec;
	g->made = time(NULL);
	g->who = *who;
	snprintf(g->command, sizeof(g->command), "%s", command);
}

/* ---- records ----------------------------------------------------------- */

static json_t *
record_new(const struct lb_runtime *rt, const struct lb_actor *who,
	   const char *command, uint64_t before, const char *result)
{
	char when[32];
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return json_pack("{s:s, s:I, s:I, s:o, s:s, s:s}",
		"time", when,
		"generation_before", (json_int_t)before,
		"generation", (json_int_t)rt->snap->generation,
		"who", lb_actor_json(who),
		"command", command, "result", result);
}

/*
 * The backends a change touched itself (added, removed, weight or state):
 * a weight change at N = 1000 moves every expected share, which the answer
 * shows, but the record (fsync'd before the answer) keeps to what was
 * changed; the shares follow from the configuration.
 */
static json_t *
backends_changed(const json_t *all)
{
	json_t *list = json_array(), *b;
	size_t i;

	json_array_foreach(all, i, b) {
		if (!json_equal(json_object_get(b, "weight_old"),
				json_object_get(b, "weight_new")) ||
		    !json_equal(json_object_get(b, "state_old"),
				json_object_get(b, "state_new")) ||
		    !json_equal(json_object_get(b, "down_old"),
				json_object_get(b, "down_new")) ||
		    !json_equal(json_object_get(b, "table_weight_old"),
				json_object_get(b, "table_weight_new")))
			json_array_append(list, b);
	}
	return list;
}

/* Copy of @ans's fields the audit keeps, then record. */
static void
record(struct lb_runtime *rt, const struct lb_actor *who, const char *command,
       uint64_t before, const char *result, const json_t *ans)
{
	json_t *rec = record_new(rt, who, command, before, result);
	const char *keys[] = { "changes", "errors", "error", "discarded",
			       "pools", "health" };
	json_t *v;
	size_t i;

	for (i = 0; ans != NULL && i < RTE_DIM(keys); i++) {
		v = json_object_get(ans, keys[i]);
		if (v != NULL)
			json_object_set(rec, keys[i], v);
	}
	v = ans != NULL ? json_object_get(ans, "backends") : NULL;
	if (v != NULL)
		json_object_set_new(rec, "backends", backends_changed(v));
	lb_audit_record(rt->audit, rec);
}

/* {"error": msg, "errors": [msg]}: the shape of every refusal. */
static json_t *
one_error(const char *msg)
{
	return json_pack("{s:s, s:[s]}", "error", msg, "errors", msg);
}

void
lb_runtime_record_refused(struct lb_runtime *rt, const struct lb_actor *who,
			  const char *command, const char *error)
{
	json_t *ans = one_error(error != NULL ? error : "refused");

	record(rt, who, command, rt->snap->generation, "refused", ans);
	json_decref(ans);
}

/* {"error": first, "errors": [every one]} from a parser error. */
static json_t *
errors_json(const struct lb_config_error *err)
{
	json_t *list = json_array();
	char *copy = strdup(err->msg), *save = NULL, *line;

	for (line = copy != NULL ? strtok_r(copy, "\n", &save) : NULL;
	     line != NULL; line = strtok_r(NULL, "\n", &save))
		json_array_append_new(list, json_string(line));
	free(copy);
	return json_pack("{s:o, s:o}", "error",
		json_array_size(list) > 0 ?
			json_incref(json_array_get(list, 0)) :
			json_string("invalid configuration"),
		"errors", list);
}

/* ---- apply ------------------------------------------------------------- */

/* Identities of backends that established flows still use. */
static uint32_t
flows_in_use(const struct lb_runtime *rt, uint16_t *ids)
{
	const struct lb_config *cfg = rt->snap->cfg;
	uint32_t i, n = 0;

	for (i = 0; i < cfg->n_backends; i++)
		if (lb_runtime_backend_flows(rt, cfg->backends[i].id) > 0)
			ids[n++] = cfg->backends[i].id;
	return n;
}

/* Build @spec against the running snapshot, identities from @bids and
 * @vids (the registries, or copies of them for a what-if). */
static struct lb_config *
build_with(struct lb_runtime *rt, const struct lb_spec *spec,
	   struct lb_ids *bids, struct lb_ids *vids,
	   struct lb_config_error *err)
{
	static uint16_t retain[LB_MAX_BACKENDS];
	struct lb_config_build_opts o = {
		.backend_ids = bids, .vip_ids = vids,
		.prev = rt->snap->cfg, .retain = retain,
		.down = rt->down, .ramp = rt->ramp,
	};

	o.n_retain = flows_in_use(rt, retain);
	return lb_config_build(spec, &o, err);
}

static struct lb_config *
build(struct lb_runtime *rt, const struct lb_spec *spec,
      struct lb_config_error *err)
{
	return build_with(rt, spec, rt->backend_ids, rt->vip_ids, err);
}

/*
 * After @cfg went live: slow starts it began are timed from now; what is
 * known of identities it no longer has is forgotten (a name that comes
 * back is checked anew).
 */
static void
note_live(struct lb_runtime *rt, const struct lb_config *cfg)
{
	uint64_t now = now_ms();
	uint32_t id, i;

	for (id = 0; id < LB_MAX_BACKENDS; id++) {
		if (cfg->backend_index[id] != LB_ID_NONE)
			continue;
		rt->down[id] = 0;
		rt->ramp[id] = 0;
	}
	for (i = 0; i < cfg->n_backends; i++) {
		id = cfg->backends[i].id;
		rt->ramp[id] = cfg->backends[i].ramp;
		if (cfg->backends[i].came_up)
			rt->ramp_start_ms[id] = now;
	}
}

/*
 * The one apply of a configuration: @cfg (owned), built from @spec (owned,
 * kept for rollback), becomes the running one with the next hops resolved
 * so far, as generation + 1.
 */
static int
apply_config(struct lb_runtime *rt, struct lb_config *cfg,
	     struct lb_spec *spec, const struct lb_actor *who,
	     const char *command, json_t *ans)
{
	const struct lb_config *old = rt->snap->cfg;
	uint64_t before = rt->snap->generation;
	/* Allocated first: once the resolver moved to @cfg, publishing it
	 * must not fail (the resolver would hold a freed configuration). */
	struct lb_snapshot *s = calloc(1, sizeof(*s));
	struct lb_neigh_table *nt = NULL;

	lb_change_describe(ans, old, cfg);
	if (s != NULL)
		nt = lb_neigh_rebase(&rt->res, cfg, rt->neigh_pending != NULL ?
				     rt->neigh_pending : rt->snap->neigh);
	if (nt == NULL) {
		free(s);
		lb_config_free(cfg);
		lb_spec_free(spec);
		json_object_set_new(ans, "error", json_string("out of memory"));
		json_object_set_new(ans, "errors",
				    json_pack("[s]", "out of memory"));
		record(rt, who, command, before, "failed", ans);
		return -1;
	}
	publish_into(rt, s, cfg, nt);
	note_live(rt, cfg);
	/* learned MACs were carried into nt */
	lb_neigh_table_free(rt->neigh_pending);
	rt->neigh_pending = NULL;
	gen_note(rt, spec, who, command);
	json_object_set_new(ans, "generation_before", json_integer(before));
	json_object_set_new(ans, "generation",
			    json_integer(rt->snap->generation));
	record(rt, who, command, before, "ok", ans);
	RT_LOG(NOTICE, "generation %" PRIu64 " -> %" PRIu64 ": %s", before,
	       rt->snap->generation, command);
	return 0;
}

/*
 * lb_runtime_apply into @ans, which may already hold what the record must
 * say besides (a reload's "discarded"); on failure @ans holds the errors
 * alone.
 */
static int
apply_spec(struct lb_runtime *rt, struct lb_spec *spec,
	   const struct lb_actor *who, const char *command, json_t *ans)
{
	struct lb_config_error err;
	struct lb_config *cfg = build(rt, spec, &err);
	json_t *errors;

	if (cfg == NULL) {
		lb_spec_free(spec);
		errors = errors_json(&err);
		json_object_clear(ans);
		json_object_update(ans, errors);
		json_decref(errors);
		record(rt, who, command, rt->snap->generation, "refused",
		       ans);
		return -1;
	}
	return apply_config(rt, cfg, spec, who, command, ans);
}

int
lb_runtime_apply(struct lb_runtime *rt, struct lb_spec *spec,
		 const struct lb_actor *who, const char *command,
		 json_t **answer)
{
	*answer = json_object();
	return apply_spec(rt, spec, who, command, *answer);
}

static void
note_runtime_change(struct lb_runtime *rt, const struct lb_actor *who,
		    const char *command)
{
	json_array_append_new(rt->since_reload, json_pack("{s:I, s:s, s:o}",
		"generation", (json_int_t)rt->snap->generation,
		"command", command, "who", lb_actor_json(who)));
}

int
lb_runtime_set(struct lb_runtime *rt, const char *section, const char *key,
	       const char *value, const struct lb_actor *who,
	       const char *command, json_t **answer)
{
	struct lb_config_error err;
	struct lb_spec *spec = lb_spec_dup(rt->snap->cfg->spec);
	char origin[320];
	int rc;

	if (spec == NULL) {
		*answer = one_error("out of memory");
		return -1;
	}
	snprintf(origin, sizeof(origin), "runtime: %s", command);
	if (lb_spec_set(spec, section, key, value, origin, &err) != 0) {
		lb_spec_free(spec);
		*answer = errors_json(&err);
		record(rt, who, command, rt->snap->generation, "refused",
		       *answer);
		return -1;
	}
	rc = lb_runtime_apply(rt, spec, who, command, answer);
	if (rc == 0)
		note_runtime_change(rt, who, command);
	return rc;
}

/* The specification in @path, or NULL with *answer set to the errors. */
static struct lb_spec *
load_checked(struct lb_runtime *rt, const char *path, json_t **answer)
{
	struct lb_config_error err;
	struct lb_spec *spec = lb_spec_load(path, &err);

	if (spec != NULL && lb_spec_check_static(rt->snap->cfg->spec, spec,
						 &err) != 0) {
		lb_spec_free(spec);
		spec = NULL;
	}
	if (spec == NULL)
		*answer = errors_json(&err);
	return spec;
}

static const char *
running_path(const struct lb_runtime *rt)
{
	return rt->snap->cfg->path;
}

int
lb_runtime_reload(struct lb_runtime *rt, const char *path,
		  const struct lb_actor *who, json_t **answer)
{
	char command[PATH_MAX + 16];
	struct lb_spec *spec;
	json_t *discarded;
	int rc;

	if (path == NULL)
		path = running_path(rt);
	snprintf(command, sizeof(command), "reload %s", path);
	spec = load_checked(rt, path, answer);
	if (spec == NULL) {
		record(rt, who, command, rt->snap->generation, "refused",
		       *answer);
		return -1;
	}
	/* in the answer before the apply: its record lists them too */
	discarded = rt->since_reload;
	rt->since_reload = json_array();
	*answer = json_pack("{s:O}", "discarded", discarded);
	rc = apply_spec(rt, spec, who, command, *answer);
	if (rc != 0) {
		json_decref(rt->since_reload);
		rt->since_reload = discarded;
		return rc;
	}
	json_decref(discarded);
	return 0;
}

int
lb_runtime_rollback(struct lb_runtime *rt, uint64_t generation,
		    const struct lb_actor *who, const char *command,
		    json_t **answer)
{
	const struct rt_gen *g;
	struct lb_spec *spec;
	int rc;

	if (generation == 0)
		generation = rt->snap->generation - 1;
	g = gen_find(rt, generation);
	if (g == NULL || generation >= rt->snap->generation) {
		*answer = one_error("no such earlier generation kept (the "
				    "last " RTE_STR(LB_RUNTIME_GENERATIONS)
				    " are)");
		record(rt, who, command, rt->snap->generation, "refused",
		       *answer);
		return -1;
	}
	spec = lb_spec_ref(g->spec);
	if (spec == NULL) {
		*answer = one_error("out of memory");
		return -1;
	}
	rc = lb_runtime_apply(rt, spec, who, command, answer);
	if (rc == 0) {
		json_object_set_new(*answer, "restored",
				    json_integer((json_int_t)generation));
		note_runtime_change(rt, who, command);
	}
	return rc;
}

json_t *
lb_runtime_diff(struct lb_runtime *rt, const char *path)
{
	struct lb_config_error err;
	struct lb_ids *bids, *vids;
	struct lb_spec *spec;
	struct lb_config *cfg;
	json_t *ans = NULL;

	spec = load_checked(rt, path, &ans);
	if (spec == NULL)
		return ans;
	/* copies of the registries: a what-if takes no identity */
	bids = lb_ids_dup(rt->backend_ids);
	vids = lb_ids_dup(rt->vip_ids);
	if (bids == NULL || vids == NULL) {
		snprintf(err.msg, sizeof(err.msg), "%s: out of memory", path);
		cfg = NULL;
	} else {
		cfg = build_with(rt, spec, bids, vids, &err);
	}
	lb_ids_free(bids);
	lb_ids_free(vids);
	lb_spec_free(spec);
	if (cfg == NULL)
		return errors_json(&err);
	ans = json_pack("{s:I}", "generation",
			(json_int_t)rt->snap->generation);
	lb_change_describe(ans, rt->snap->cfg, cfg);
	lb_config_free(cfg);
	return ans;
}

/* ---- reading ----------------------------------------------------------- */

uint64_t
lb_runtime_records(const struct lb_runtime *rt)
{
	return lb_audit_total(rt->audit);
}

json_t *
lb_runtime_history(const struct lb_runtime *rt, unsigned int n)
{
	return lb_audit_last(rt->audit, n);
}

char *
lb_runtime_config_ini(const struct lb_runtime *rt)
{
	return lb_spec_to_ini(rt->snap->cfg->spec);
}

static void
count_diff(const struct lb_spec_change *c, void *arg)
{
	RTE_SET_USED(c);
	(*(unsigned int *)arg)++;
}

/* Keys in which the file on disk differs from the running configuration,
 * or -1 (with *why) if the file cannot be read as a specification. */
static int
differs_from_file(const struct lb_runtime *rt, const char **why)
{
	struct lb_config_error err;
	struct lb_spec *disk = lb_spec_load(running_path(rt), &err);
	unsigned int n = 0;

	if (disk == NULL) {
		*why = "cannot read the file";
		return -1;
	}
	lb_spec_diff(rt->snap->cfg->spec, disk, count_diff, &n);
	lb_spec_free(disk);
	return (int)n;
}

/* What ARP taught the resolver and what it refused, by reason. */
static json_t *
arp_json(const struct lb_neigh_resolver *r)
{
	json_t *refused = json_object();
	unsigned int i;

	for (i = 0; i < LB_NEIGH_REFUSALS; i++)
		json_object_set_new(refused, lb_neigh_refusal_name(i),
				    json_integer((json_int_t)r->refused[i]));
	return json_pack("{s:I, s:o}", "learned", (json_int_t)r->learned,
			 "refused", refused);
}

/* Pools whose every backend is down, and what they do about it. */
static json_t *
pools_all_down(const struct lb_config *cfg)
{
	json_t *list = json_array();
	uint32_t i;

	for (i = 0; i < cfg->n_pools; i++)
		if (cfg->pools[i].all_down_now)
			json_array_append_new(list, json_pack("{s:s, s:s}",
				"pool", cfg->pools[i].name, "policy",
				cfg->pools[i].all_down == LB_ALL_DOWN_FAIL_OPEN ?
				"fail_open: new flows by weight as if every "
				"backend were up" :
				"fail_closed: new flows refused"));
	return list;
}

json_t *
lb_runtime_status(struct lb_runtime *rt)
{
	const struct rt_gen *g = gen_find(rt, rt->snap->generation);
	const char *why = NULL, *aerr = lb_audit_error(rt->audit);
	int diff = differs_from_file(rt, &why);
	char when[32] = "";
	struct tm tm;

	if (g != NULL) {
		gmtime_r(&g->made, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	}
	return json_pack("{s:I, s:s, s:o, s:s, s:o, s:o, s:I, s:{s:s, s:b, s:o}, s:o, s:o, s:s}",
		"generation", (json_int_t)rt->snap->generation,
		"generation_time", when,
		"generation_by", g != NULL ? lb_actor_json(&g->who) :
					     json_null(),
		"generation_command", g != NULL ? g->command : "",
		"differs_from_file", diff < 0 ? json_null() :
						json_boolean(diff > 0),
		"file_error", why != NULL ? json_string(why) : json_null(),
		"runtime_changes", (json_int_t)json_array_size(rt->since_reload),
		"audit_log",
			"path", lb_audit_path(rt->audit),
			"ok", aerr == NULL,
			"error", aerr != NULL ? json_string(aerr) :
						json_null(),
		"arp", arp_json(&rt->res),
		"pools_all_down", pools_all_down(rt->snap->cfg),
		/* where the key came from, never the key */
		"hash_key", rt->snap->cfg->global.hash_key_generated ?
			"generated" : "configured");
}

/* ---- next hops ---------------------------------------------------------- */

static uint64_t
refusals(const struct lb_neigh_resolver *r)
{
	uint64_t n = 0;
	unsigned int i;

	for (i = 0; i < LB_NEIGH_REFUSALS; i++)
		n += r->refused[i];
	return n;
}

int
lb_runtime_neigh_learn(struct lb_runtime *rt, uint32_t port, uint32_t addr,
		       const struct rte_ether_addr *mac,
		       const struct rte_ether_addr *eth_src, uint64_t now_tsc)
{
	const struct lb_neigh_table *cur = rt->neigh_pending != NULL ?
		rt->neigh_pending : rt->snap->neigh;
	struct lb_neigh_table *next;
	uint64_t refused = refusals(&rt->res);

	/* A frame that says it is from one MAC and was sent by another is
	 * someone else speaking for the neighbour. */
	if (!rte_is_same_ether_addr(mac, eth_src)) {
		rt->res.refused[LB_NEIGH_ETH_SOURCE]++;
		return -1;
	}
	next = lb_neigh_learn(&rt->res, cur, port, addr, mac, now_tsc);
	if (next == NULL)
		return refusals(&rt->res) != refused ? -1 : 0;
	lb_neigh_table_free(rt->neigh_pending);
	rt->neigh_pending = next;
	return 1;
}

/* "10.0.0.11 at 02:..:11, ..." of what @nt resolved that @old did not. */
static void
describe_learned(const struct lb_config *cfg, const struct lb_neigh_table *old,
		 const struct lb_neigh_table *nt, char *buf, size_t n)
{
	char mac[RTE_ETHER_ADDR_FMT_SIZE];
	size_t len = snprintf(buf, n, "neighbours:");
	uint32_t i;

	for (i = 0; i < nt->n && len < n; i++) {
		const uint8_t *a = (const uint8_t *)&cfg->neighs[i].addr;

		if (!nt->e[i].valid || (old->e[i].valid &&
		    rte_is_same_ether_addr(&old->e[i].mac, &nt->e[i].mac)))
			continue;
		rte_ether_format_addr(mac, sizeof(mac), &nt->e[i].mac);
		len += snprintf(buf + len, n - len, " %u.%u.%u.%u at %s",
				a[0], a[1], a[2], a[3], mac);
	}
}

void
lb_runtime_neigh_commit(struct lb_runtime *rt)
{
	const struct lb_actor who = { .kind = LB_ACTOR_NEIGH };
	struct lb_neigh_table *nt = rt->neigh_pending;
	uint64_t gen = rt->snap->generation;
	char what[512];

	if (nt == NULL)
		return;
	describe_learned(rt->snap->cfg, rt->snap->neigh, nt, what,
			 sizeof(what));
	rt->neigh_pending = NULL;
	if (publish_snapshot(rt, rt->snap->cfg, nt) != 0) {
		rt->neigh_pending = nt;     /* retried on the next commit */
		return;
	}
	RT_LOG(INFO, "%s", what);
	record(rt, &who, what, gen, "ok", NULL);
}

unsigned int
lb_runtime_neigh_due(struct lb_runtime *rt, uint64_t now_tsc, uint32_t *idx,
		     unsigned int max)
{
	return lb_neigh_due(&rt->res, rt->neigh_pending != NULL ?
			    rt->neigh_pending : rt->snap->neigh, now_tsc, idx,
			    max);
}

/* ---- health and slow start ----------------------------------------------- */

int
lb_runtime_health_set(struct lb_runtime *rt, uint32_t id, int down,
		      const char *reason)
{
	const char *name = lb_ids_name(rt->backend_ids, id);

	if (id >= LB_MAX_BACKENDS || name == NULL || rt->down[id] == !!down)
		return 0;
	rt->down[id] = !!down;
	if (rt->health_pending == NULL)
		rt->health_pending = json_array();
	json_array_append_new(rt->health_pending, json_pack("{s:s, s:s, s:s}",
		"backend", name, "health", down ? "down" : "up",
		"reason", reason != NULL ? reason : ""));
	return 1;
}

int
lb_runtime_backend_down(const struct lb_runtime *rt, uint32_t id)
{
	return id < LB_MAX_BACKENDS && rt->down[id];
}

/* "health: web1 down (3 consecutive failures: ...); web2 up (...)" */
static char *
health_command(const json_t *list)
{
	size_t len = 0, i;
	char *buf = malloc(4096);
	json_t *t;

	if (buf == NULL)
		return NULL;
	len = snprintf(buf, 4096, "health:");
	json_array_foreach(list, i, t) {
		if (len >= 4096)
			break;
		len += snprintf(buf + len, 4096 - len, "%s %s %s (%s)",
			i > 0 ? ";" : "",
			json_string_value(json_object_get(t, "backend")),
			json_string_value(json_object_get(t, "health")),
			json_string_value(json_object_get(t, "reason")));
	}
	return buf;
}

/* Rebuild the running specification with what rt->down and rt->ramp say
 * now: one apply, made by @who. */
static int
reapply(struct lb_runtime *rt, const struct lb_actor *who,
	   const char *command, json_t *extra)
{
	struct lb_spec *spec = lb_spec_ref(rt->snap->cfg->spec);
	json_t *ans = json_object();
	int rc = -1;

	if (extra != NULL)
		json_object_set(ans, "health", extra);
	if (spec != NULL)
		rc = apply_spec(rt, spec, who, command, ans);
	json_decref(ans);
	return rc;
}

void
lb_runtime_health_commit(struct lb_runtime *rt)
{
	const struct lb_actor who = { .kind = LB_ACTOR_HEALTH };
	json_t *list = rt->health_pending;
	char *command;

	if (list == NULL)
		return;
	rt->health_pending = NULL;
	command = health_command(list);
	if (reapply(rt, &who, command != NULL ? command : "health", list)
	    != 0)
		RT_LOG(ERR, "health transitions not applied: %s",
		       command != NULL ? command : "?");
	free(command);
	json_decref(list);
}

/*
 * Slow starts: each ramping backend's share of its weight now, from a
 * tenth to all of it over its pool's slow_start_s. @return 1 if any moved
 * (then @cmd says which).
 */
static int
ramp_step(struct lb_runtime *rt, char *cmd, size_t size)
{
	const struct lb_config *cfg = rt->snap->cfg;
	uint64_t now = now_ms(), span, t;
	size_t len = snprintf(cmd, size, "slow start:");
	uint32_t i, id, r;
	int moved = 0;

	for (i = 0; i < cfg->n_backends; i++) {
		const struct lb_backend_conf *be = &cfg->backends[i];

		id = be->id;
		/* one that went down again starts over when it comes up */
		if (rt->ramp[id] == 0 || be->out || be->pool >= cfg->n_pools)
			continue;
		span = (uint64_t)cfg->pools[be->pool].slow_start_s * 1000;
		t = now - rt->ramp_start_ms[id];
		r = span == 0 || t >= span ? 0 : LB_CONFIG_RAMP_START +
			(uint32_t)((1000 - LB_CONFIG_RAMP_START) * t / span);
		if (r == rt->ramp[id])
			continue;
		rt->ramp[id] = (uint16_t)r;
		moved = 1;
		if (len < size)
			len += snprintf(cmd + len, size - len, " %s %u%%",
					be->name, r == 0 ? 100 : r / 10);
	}
	return moved;
}

/* ---- housekeeping ------------------------------------------------------- */

static void
forget_removed(struct lb_runtime *rt)
{
	const struct lb_actor who = { .kind = LB_ACTOR_RUNTIME };
	const struct lb_config *cfg = rt->snap->cfg;
	char command[256];
	size_t len = snprintf(command, sizeof(command),
			      "forget removed backends without flows:");
	struct lb_spec *spec;
	json_t *ans = NULL;
	unsigned int n = 0;
	uint32_t i;

	for (i = 0; i < cfg->n_backends; i++) {
		const struct lb_backend_conf *be = &cfg->backends[i];

		if (be->state != LB_BACKEND_REMOVED ||
		    lb_runtime_backend_flows(rt, be->id) > 0)
			continue;
		n++;
		if (len < sizeof(command))
			len += snprintf(command + len, sizeof(command) - len,
					" %s", be->name);
	}
	if (n == 0 || (spec = lb_spec_ref(cfg->spec)) == NULL)
		return;
	lb_runtime_apply(rt, spec, &who, command, &ans);
	json_decref(ans);
}

void
lb_runtime_tick(struct lb_runtime *rt)
{
	const struct lb_actor who = { .kind = LB_ACTOR_RUNTIME };
	char ramp_cmd[512];

	if (ramp_step(rt, ramp_cmd, sizeof(ramp_cmd)))
		reapply(rt, &who, ramp_cmd, NULL);
	forget_removed(rt);
}

/* ---- life ---------------------------------------------------------------- */

/* Register every identity of the first configuration: built without the
 * registries, it numbered them in file order, as the registries do. */
static int
register_ids(struct lb_runtime *rt, const struct lb_config *cfg)
{
	uint32_t i;

	for (i = 0; i < cfg->n_backends; i++)
		if (lb_ids_get(rt->backend_ids, cfg->backends[i].name) !=
		    cfg->backends[i].id)
			return -1;
	for (i = 0; i < cfg->n_vips; i++)
		if (lb_ids_get(rt->vip_ids, cfg->vips[i].name) !=
		    cfg->vips[i].id)
			return -1;
	return 0;
}

struct lb_runtime *
lb_runtime_create(struct lb_dp *dp, struct lb_config *cfg,
		  uint64_t arp_retry_tsc, uint64_t arp_refresh_tsc, char *err,
		  size_t errlen)
{
	const struct lb_actor who = { .kind = LB_ACTOR_STARTUP };
	struct lb_runtime *rt = calloc(1, sizeof(*rt));
	struct lb_neigh_table *nt = NULL;
	char command[PATH_MAX + 16];
	unsigned int i;

	if (rt == NULL)
		goto nomem;
	/* Every change allocates and frees a whole configuration (Maglev
	 * tables of 128 KiB and more): keep freed memory for the next one
	 * instead of returning it to the kernel and faulting it back in page
	 * by page (a third of a 1000-backend reload). */
	mallopt(M_MMAP_THRESHOLD, 64 << 20);
	mallopt(M_TRIM_THRESHOLD, 256 << 20);
	rt->dp = dp;
	rt->backend_ids = lb_ids_create(LB_MAX_BACKENDS);
	rt->vip_ids = lb_ids_create(LB_MAX_VIPS);
	rt->since_reload = json_array();
	rt->audit = lb_audit_open(cfg->global.audit_log, LB_RUNTIME_HISTORY);
	if (rt->backend_ids == NULL || rt->vip_ids == NULL ||
	    rt->since_reload == NULL || rt->audit == NULL ||
	    lb_neigh_resolver_init(&rt->res, cfg, arp_retry_tsc,
				   arp_refresh_tsc) != 0 ||
	    (nt = lb_neigh_table_for(cfg)) == NULL)
		goto nomem;
	for (i = 0; i < dp->n_ports && i < LB_MAX_PORTS; i++)
		rt->res.own[rt->res.n_own++] = dp->ports[i].mac;
	if (register_ids(rt, cfg) != 0) {
		snprintf(err, errlen, "identities: configuration not built "
			 "in file order");
		goto fail;
	}
	if (publish_snapshot(rt, cfg, nt) != 0)
		goto nomem;
	snprintf(command, sizeof(command), "start %s", cfg->path);
	gen_note(rt, NULL, &who, command);
	record(rt, &who, command, 0, "ok", NULL);
	return rt;
nomem:
	snprintf(err, errlen, "runtime: out of memory");
fail:
	lb_neigh_table_free(nt);
	lb_config_free(cfg);
	lb_runtime_destroy(rt);
	return NULL;
}

void
lb_runtime_destroy(struct lb_runtime *rt)
{
	unsigned int i;

	if (rt == NULL)
		return;
	if (rt->snap != NULL) {
		lb_dp_publish(rt->dp, NULL);
		snapshot_free(rt->snap, NULL);
	}
	lb_neigh_table_free(rt->neigh_pending);
	lb_neigh_resolver_fini(&rt->res);
	for (i = 0; i < LB_RUNTIME_GENERATIONS; i++)
		lb_spec_free(rt->gens[i].spec);
	lb_audit_close(rt->audit);
	json_decref(rt->since_reload);
	json_decref(rt->health_pending);
	lb_ids_free(rt->backend_ids);
	lb_ids_free(rt->vip_ids);
	free(rt);
}
