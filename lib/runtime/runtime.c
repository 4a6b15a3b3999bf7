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

#include "lb_evloop.h"
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

/*
 * A generation applied with a deadline for its confirmation. It holds
 * what ran before by value (the specification, the runtime changes the
 * apply discarded), not by generation: health flaps during the window may
 * push the generation out of the kept ones.
 */
struct rt_pending {
	uint64_t generation;        /* 0: nothing pending */
	uint64_t restores;          /* the generation that ran before */
	struct lb_spec *spec;       /* its specification */
	json_t *since_reload;       /* its runtime changes */
	uint64_t deadline_ms;       /* CLOCK_MONOTONIC */
	time_t deadline;            /* the same on the wall clock (status) */
	uint64_t within_ms;
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
	lb_runtime_gate_fn gate;
	void *gate_arg;
	/* What the gate found in the running generation (status). */
	json_t *policy_violations, *policy_warnings;
	uint64_t policy_generation;
	struct rt_pending pending;
	struct lb_evloop_timer *deadline_timer;  /* pending.deadline_ms */
	struct lb_runtime_changes changes;       /* records by result */
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

/* Every record passes here: count it by result for metrics. */
static void
changes_count(struct lb_runtime *rt, const char *result)
{
	if (strcmp(result, "ok") == 0)
		rt->changes.applied++;
	else if (strcmp(result, "refused") == 0)
		rt->changes.refused++;
	else
		rt->changes.failed++;
}

const struct lb_runtime_changes *
lb_runtime_changes(const struct lb_runtime *rt)
{
	return &rt->changes;
}

/* Copy of @ans's fields the audit keeps, then record. */
static void
record(struct lb_runtime *rt, const struct lb_actor *who, const char *command,
       uint64_t before, const char *result, const json_t *ans)
{
	json_t *rec = record_new(rt, who, command, before, result);

	changes_count(rt, result);
	const char *keys[] = { "changes", "errors", "error", "discarded",
			       "pools", "health", "violations", "warnings",
			       "forced", "overridden", "rolls_back",
			       "restored", "confirmed", "cancels_pending" };
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

/* ---- policy gate --------------------------------------------------------- */

void
lb_runtime_set_gate(struct lb_runtime *rt, lb_runtime_gate_fn fn, void *arg)
{
	json_t *findings;

	rt->gate = fn;
	rt->gate_arg = arg;
	json_decref(rt->policy_violations);
	json_decref(rt->policy_warnings);
	rt->policy_violations = rt->policy_warnings = NULL;
	rt->policy_generation = rt->snap->generation;
	if (fn == NULL)
		return;
	findings = fn(NULL, rt->snap->cfg, arg);
	lb_runtime_findings_split(findings, &rt->policy_violations,
				  &rt->policy_warnings);
	json_decref(findings);
}

size_t
lb_runtime_findings_split(const json_t *findings, json_t **violations,
			  json_t **warnings)
{
	const char *sev;
	json_t *f;
	size_t i;

	*violations = json_array();
	*warnings = json_array();
	if (!json_is_array(findings)) {
		json_array_append_new(*violations, json_pack("{s:s, s:s, s:s}",
			"severity", "violation", "code", "policy_unavailable",
			"message", "the policy could not be evaluated"));
		return json_array_size(*violations);
	}
	json_array_foreach(findings, i, f) {
		sev = json_string_value(json_object_get(f, "severity"));
		json_array_append(sev != NULL && strcmp(sev, "warning") == 0 ?
				  *warnings : *violations, f);
	}
	return json_array_size(*violations);
}

/* Refused unless forced: changes people make. Health, neighbours and
 * edgelbd's own changes follow from what was already accepted. */
static int
operator_change(const struct lb_actor *who)
{
	return who->kind == LB_ACTOR_PEER || who->kind == LB_ACTOR_SIGNAL;
}

void
lb_runtime_finding_text(const json_t *f, char *buf, size_t n)
{
	const char *where = json_string_value(json_object_get(f, "where"));
	const char *msg = json_string_value(json_object_get(f, "message"));

	if (msg == NULL)
		msg = "(no message)";
	if (where != NULL && where[0] != '\0')
		snprintf(buf, n, "%s: %s", where, msg);
	else
		snprintf(buf, n, "%s", msg);
}

/* @ans becomes the refusal: the first violation named in "error", each
 * one (then each warning) a line of "errors" as edgelbctl prints them. */
static void
policy_refusal(json_t *ans, json_t *viol, json_t *warn)
{
	size_t n = json_array_size(viol), i;
	json_t *errors = json_array(), *f;
	char msg[600], line[600];
	const char *first;

	first = json_string_value(json_object_get(json_array_get(viol, 0),
						  "message"));
	i = (size_t)snprintf(msg, sizeof(msg), "refused by policy: %s",
			     first != NULL ? first : "(no message)");
	if (n > 1 && i < sizeof(msg))
		snprintf(msg + i, sizeof(msg) - i, " (+%zu more)", n - 1);
	json_array_append_new(errors, json_string(msg));
	json_array_foreach(viol, i, f) {
		lb_runtime_finding_text(f, line, sizeof(line));
		json_array_append_new(errors, json_sprintf("violation: %s",
							   line));
	}
	json_array_foreach(warn, i, f) {
		lb_runtime_finding_text(f, line, sizeof(line));
		json_array_append_new(errors, json_sprintf("warning: %s", line));
	}
	json_object_clear(ans);
	json_object_set_new(ans, "error", json_string(msg));
	json_object_set_new(ans, "errors", errors);
	json_object_set(ans, "violations", viol);
	json_object_set(ans, "warnings", warn);
}

/*
 * Pass @cfg, about to replace @old, through the gate. *viol and *warn get
 * new arrays of what it found. @return 0 to go on (@ans has the findings
 * as the answer and the record must say them), or -1 if @who's change is
 * refused (@ans is the refusal).
 */
static int
gate_judge(struct lb_runtime *rt, const struct lb_config *old,
	   const struct lb_config *cfg, const struct lb_actor *who,
	   json_t *ans, json_t **viol, json_t **warn)
{
	json_t *findings;
	size_t nv;

	if (rt->gate == NULL) {
		*viol = json_array();
		*warn = json_array();
		return 0;
	}
	findings = rt->gate(old, cfg, rt->gate_arg);
	nv = lb_runtime_findings_split(findings, viol, warn);
	json_decref(findings);
	if (nv > 0 && operator_change(who) &&
	    !(who->flags & LB_ACTOR_FORCE)) {
		policy_refusal(ans, *viol, *warn);
		return -1;
	}
	if (json_array_size(*warn) > 0)
		json_object_set(ans, "warnings", *warn);
	if (nv == 0)
		return 0;
	if (operator_change(who)) {
		json_object_set_new(ans, "forced", json_true());
		json_object_set(ans, "overridden", *viol);
	} else {
		json_object_set(ans, "violations", *viol);
	}
	return 0;
}

/* What the gate found in the generation just published: status shows it
 * until the next. Takes both references. */
static void
policy_keep(struct lb_runtime *rt, json_t *viol, json_t *warn)
{
	json_decref(rt->policy_violations);
	json_decref(rt->policy_warnings);
	rt->policy_violations = viol;
	rt->policy_warnings = warn;
	rt->policy_generation = rt->snap->generation;
	if (json_array_size(viol) > 0)
		RT_LOG(WARNING, "generation %" PRIu64 " runs with %zu policy "
		       "violation(s)", rt->snap->generation,
		       json_array_size(viol));
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
	struct lb_snapshot *s;
	struct lb_neigh_table *nt = NULL;
	json_t *viol, *warn;

	if (gate_judge(rt, old, cfg, who, ans, &viol, &warn) != 0) {
		lb_config_free(cfg);
		lb_spec_free(spec);
		record(rt, who, command, before, "refused", ans);
		RT_LOG(NOTICE, "refused by policy: %s", command);
		json_decref(viol);
		json_decref(warn);
		return -1;
	}
	s = calloc(1, sizeof(*s));
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
		json_decref(viol);
		json_decref(warn);
		return -1;
	}
	publish_into(rt, s, cfg, nt);
	policy_keep(rt, viol, warn);
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

/* A new answer for apply_spec. */
static int
apply_new(struct lb_runtime *rt, struct lb_spec *spec,
	  const struct lb_actor *who, const char *command, json_t **answer)
{
	*answer = json_object();
	return apply_spec(rt, spec, who, command, *answer);
}

/* ---- pending confirmation ---------------------------------------------- */

static uint64_t
pending_seconds_left(const struct rt_pending *p)
{
	uint64_t now = now_ms();

	return p->deadline_ms > now ? (p->deadline_ms - now + 999) / 1000 : 0;
}

static void
utc_time(time_t t, char *buf, size_t n)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Refuse @command because a generation awaits confirmation. */
static int
pending_refusal(struct lb_runtime *rt, const struct lb_actor *who,
		const char *command, json_t **answer)
{
	char msg[400], when[32];

	utc_time(rt->pending.deadline, when, sizeof(when));
	snprintf(msg, sizeof(msg), "generation %" PRIu64 " awaits "
		 "confirmation until %s (%" PRIu64 " s left): \"confirm\" it, "
		 "or \"rollback\" to generation %" PRIu64 "'s configuration, "
		 "before another change", rt->pending.generation, when,
		 pending_seconds_left(&rt->pending), rt->pending.restores);
	*answer = one_error(msg);
	record(rt, who, command, rt->snap->generation, "refused", *answer);
	return -1;
}

/* While a generation awaits confirmation, an operator's change is
 * refused: the automatic rollback would silently undo it. */
static int
pending_refuses(struct lb_runtime *rt, const struct lb_actor *who,
		const char *command, json_t **answer)
{
	if (rt->pending.generation == 0 || !operator_change(who))
		return 0;
	return pending_refusal(rt, who, command, answer) != 0;
}

static void
deadline_arm(struct lb_runtime *rt, uint64_t ms)
{
	if (rt->deadline_timer != NULL &&
	    lb_evloop_timer_set(rt->deadline_timer, ms, 0) != 0)
		RT_LOG(ERR, "confirmation deadline timer: %s (the housekeeping "
		       "tick keeps it instead)", strerror(errno));
}

/* Forget what was pending (the specification, the runtime changes). */
static void
pending_clear(struct lb_runtime *rt)
{
	lb_spec_free(rt->pending.spec);
	json_decref(rt->pending.since_reload);
	memset(&rt->pending, 0, sizeof(rt->pending));
	deadline_arm(rt, 0);
}

/*
 * Restore what ran before the pending generation, made by @who (edgelbd
 * for a deadline or an abort, the operator for a rollback). Built like
 * every change with the health and neighbour state of now, so nothing
 * learned in the window is lost. Nothing is pending afterwards, except
 * when an operator's rollback fails (the policy refused it): then the
 * wait goes on. edgelbd's is never refused (see gate_judge).
 */
static int
pending_rollback(struct lb_runtime *rt, const struct lb_actor *who,
		 const char *command, json_t **answer)
{
	struct lb_spec *spec = lb_spec_ref(rt->pending.spec);
	int rc;

	*answer = json_pack("{s:I, s:I}",
		"rolls_back", (json_int_t)rt->pending.generation,
		"restored", (json_int_t)rt->pending.restores);
	if (*answer == NULL || spec == NULL) {
		lb_spec_free(spec);
		json_decref(*answer);
		*answer = one_error("out of memory");
		rc = -1;
	} else {
		rc = apply_spec(rt, spec, who, command, *answer);
	}
	if (rc == 0) {
		json_decref(rt->since_reload);
		rt->since_reload = rt->pending.since_reload != NULL ?
			json_incref(rt->pending.since_reload) : json_array();
	}
	/* edgelbd does not try again: a deadline is not moved */
	if (rc == 0 || who->kind == LB_ACTOR_RUNTIME)
		pending_clear(rt);
	return rc;
}

static int
pending_rollback_by_edgelbd(struct lb_runtime *rt, const char *command)
{
	const struct lb_actor who = { .kind = LB_ACTOR_RUNTIME };
	json_t *ans = NULL;
	int rc = pending_rollback(rt, &who, command, &ans);

	if (rc == 0)
		RT_LOG(WARNING, "%s: generation %" PRIu64 " restored",
		       command, (uint64_t)json_integer_value(
				json_object_get(ans, "restored")));
	else
		RT_LOG(ERR, "%s: FAILED: %s", command, json_string_value(
			       json_object_get(ans, "error")));
	json_decref(ans);
	return rc == 0 ? 0 : -1;
}

/* The deadline passed (timer or tick): roll back. */
static void
pending_expire(struct lb_runtime *rt)
{
	char command[160];
	uint64_t now = now_ms();

	if (rt->pending.generation == 0)
		return;
	if (now < rt->pending.deadline_ms) {
		deadline_arm(rt, rt->pending.deadline_ms - now);
		return;
	}
	snprintf(command, sizeof(command), "rollback: generation %" PRIu64
		 " not confirmed within %g s", rt->pending.generation,
		 (double)rt->pending.within_ms / 1000.0);
	pending_rollback_by_edgelbd(rt, command);
}

static void
on_deadline(struct lb_evloop_timer *t, void *arg)
{
	RTE_SET_USED(t);
	pending_expire(arg);
}

int
lb_runtime_attach_loop(struct lb_runtime *rt, struct lb_evloop *loop)
{
	uint64_t now = now_ms();

	lb_evloop_timer_cancel(rt->deadline_timer);
	rt->deadline_timer = NULL;
	if (loop == NULL)
		return 0;
	rt->deadline_timer = lb_evloop_timer_add(loop, 0, 0, on_deadline, rt);
	if (rt->deadline_timer == NULL)
		return -errno;
	if (rt->pending.generation != 0)
		deadline_arm(rt, rt->pending.deadline_ms > now ?
			     rt->pending.deadline_ms - now : 1);
	return 0;
}

uint64_t
lb_runtime_pending(const struct lb_runtime *rt)
{
	return rt->pending.generation;
}

int
lb_runtime_pending_abort(struct lb_runtime *rt, const char *reason)
{
	char command[320];

	if (rt->pending.generation == 0)
		return -1;
	snprintf(command, sizeof(command), "rollback: generation %" PRIu64
		 " aborted: %s", rt->pending.generation,
		 reason != NULL ? reason : "no reason given");
	return pending_rollback_by_edgelbd(rt, command);
}

int
lb_runtime_confirm(struct lb_runtime *rt, const struct lb_actor *who,
		   const char *command, json_t **answer)
{
	uint64_t g = rt->pending.generation;

	if (g == 0) {
		*answer = one_error("nothing awaits confirmation (see "
				    "\"status\")");
		record(rt, who, command, rt->snap->generation, "refused",
		       *answer);
		return -1;
	}
	pending_clear(rt);
	*answer = json_pack("{s:I, s:I}", "confirmed", (json_int_t)g,
			    "generation", (json_int_t)rt->snap->generation);
	record(rt, who, command, rt->snap->generation, "ok", *answer);
	RT_LOG(NOTICE, "generation %" PRIu64 " confirmed", g);
	return 0;
}

static json_t *
pending_json(const struct lb_runtime *rt)
{
	const struct rt_pending *p = &rt->pending;
	char when[32];

	if (p->generation == 0)
		return json_null();
	utc_time(p->deadline, when, sizeof(when));
	return json_pack("{s:I, s:I, s:s, s:I, s:f, s:o, s:s}",
		"generation", (json_int_t)p->generation,
		"restores", (json_int_t)p->restores,
		"deadline", when,
		"seconds_left", (json_int_t)pending_seconds_left(p),
		"within_s", (double)p->within_ms / 1000.0,
		"by", lb_actor_json(&p->who),
		"command", p->command);
}

/* ---- the changes ------------------------------------------------------- */

int
lb_runtime_apply(struct lb_runtime *rt, struct lb_spec *spec,
		 const struct lb_actor *who, const char *command,
		 json_t **answer)
{
	if (pending_refuses(rt, who, command, answer)) {
		lb_spec_free(spec);
		return -1;
	}
	return apply_new(rt, spec, who, command, answer);
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
	struct lb_spec *spec;
	char origin[320];
	int rc;

	if (pending_refuses(rt, who, command, answer))
		return -1;
	spec = lb_spec_dup(rt->snap->cfg->spec);
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
	rc = apply_new(rt, spec, who, command, answer);
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

/* lb_runtime_reload of @path, recorded as @command. */
static int
reload_as(struct lb_runtime *rt, const char *path,
	  const struct lb_actor *who, const char *command, json_t **answer)
{
	struct lb_spec *spec;
	json_t *discarded;
	int rc;

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
lb_runtime_reload(struct lb_runtime *rt, const char *path,
		  const struct lb_actor *who, json_t **answer)
{
	char command[PATH_MAX + 16];

	if (path == NULL)
		path = running_path(rt);
	snprintf(command, sizeof(command), "reload %s", path);
	if (rt->pending.generation != 0)
		return pending_refusal(rt, who, command, answer);
	return reload_as(rt, path, who, command, answer);
}

int
lb_runtime_reload_confirmed(struct lb_runtime *rt, const char *path,
			    uint64_t within_ms, const struct lb_actor *who,
			    const char *command, json_t **answer)
{
	struct rt_pending *p = &rt->pending;
	uint64_t before = rt->snap->generation;
	struct lb_spec *prev;
	char when[32];
	int rc;

	if (p->generation != 0)
		return pending_refusal(rt, who, command, answer);
	prev = rt->snap->cfg->spec != NULL ?
		lb_spec_ref(rt->snap->cfg->spec) : NULL;
	if (within_ms == 0 || prev == NULL) {
		lb_spec_free(prev);
		*answer = one_error(within_ms == 0 ? "no time to confirm in" :
				    "the running configuration has no "
				    "specification to restore");
		record(rt, who, command, before, "refused", *answer);
		return -1;
	}
	rc = reload_as(rt, path, who, command, answer);
	if (rc != 0) {
		lb_spec_free(prev);
		return rc;
	}
	p->generation = rt->snap->generation;
	p->restores = before;
	p->spec = prev;
	p->since_reload = json_incref(json_object_get(*answer, "discarded"));
	p->within_ms = within_ms;
	p->deadline_ms = now_ms() + within_ms;
	p->deadline = time(NULL) + (time_t)((within_ms + 999) / 1000);
	p->who = *who;
	snprintf(p->command, sizeof(p->command), "%s", command);
	deadline_arm(rt, within_ms);
	utc_time(p->deadline, when, sizeof(when));
	json_object_set_new(*answer, "confirm", json_pack(
		"{s:I, s:I, s:f, s:s}",
		"generation", (json_int_t)p->generation,
		"restores", (json_int_t)before,
		"within_s", (double)within_ms / 1000.0, "deadline", when));
	RT_LOG(NOTICE, "generation %" PRIu64 " rolls back to %" PRIu64
	       "'s configuration unless confirmed by %s", p->generation,
	       before, when);
	return 0;
}

/* An operator's rollback while a generation awaits confirmation ends the
 * wait: with no generation named, it is the rollback the deadline would
 * do (made by the operator); a named one replaces it. */
static int
rollback_pending(struct lb_runtime *rt, uint64_t generation,
		 const struct lb_actor *who, const char *command,
		 json_t **answer)
{
	uint64_t g = rt->pending.generation;
	const struct rt_gen *kept;
	struct lb_spec *spec;
	int rc;

	if (generation == 0) {
		rc = pending_rollback(rt, who, command, answer);
	} else {
		kept = gen_find(rt, generation);
		if (kept == NULL || generation >= rt->snap->generation ||
		    (spec = lb_spec_ref(kept->spec)) == NULL)
			return -2;      /* the ordinary refusal */
		rc = apply_new(rt, spec, who, command, answer);
		if (rc == 0) {
			json_object_set_new(*answer, "restored",
				json_integer((json_int_t)generation));
			note_runtime_change(rt, who, command);
			pending_clear(rt);
		}
	}
	if (rc == 0)
		json_object_set_new(*answer, "cancels_pending",
				    json_integer((json_int_t)g));
	return rc;
}

int
lb_runtime_rollback(struct lb_runtime *rt, uint64_t generation,
		    const struct lb_actor *who, const char *command,
		    json_t **answer)
{
	const struct rt_gen *g;
	struct lb_spec *spec;
	int rc;

	if (rt->pending.generation != 0 && operator_change(who)) {
		rc = rollback_pending(rt, generation, who, command, answer);
		if (rc != -2)
			return rc;
	}
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
	rc = apply_new(rt, spec, who, command, answer);
	if (rc == 0) {
		json_object_set_new(*answer, "restored",
				    json_integer((json_int_t)generation));
		note_runtime_change(rt, who, command);
	}
	return rc;
}

/* @path built as a reload would build it now (health, slow-start ramps,
 * flows in use), with copies of the registries: a what-if takes no
 * identity. NULL with *errors set. */
static struct lb_config *
build_whatif(struct lb_runtime *rt, const char *path, json_t **errors)
{
	struct lb_config_error err;
	struct lb_ids *bids, *vids;
	struct lb_spec *spec;
	struct lb_config *cfg;

	spec = load_checked(rt, path, errors);
	if (spec == NULL)
		return NULL;
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
		*errors = errors_json(&err);
	return cfg;
}

/* What the gate would say of @cfg replacing the running configuration:
 * the answer's "violations" and "warnings", and "refused" (a reload
 * without --force would be). */
static void
whatif_judge(struct lb_runtime *rt, const struct lb_config *cfg, json_t *ans)
{
	json_t *findings, *viol, *warn;
	size_t nv = 0;

	if (rt->gate != NULL) {
		findings = rt->gate(rt->snap->cfg, cfg, rt->gate_arg);
		nv = lb_runtime_findings_split(findings, &viol, &warn);
		json_decref(findings);
	} else {
		viol = json_array();
		warn = json_array();
	}
	json_object_set_new(ans, "violations", viol);
	json_object_set_new(ans, "warnings", warn);
	json_object_set_new(ans, "refused", json_boolean(nv > 0));
}

json_t *
lb_runtime_whatif(struct lb_runtime *rt, const char *path,
		  struct lb_config **built)
{
	struct lb_config *cfg;
	json_t *ans = NULL;

	if (built != NULL)
		*built = NULL;
	cfg = build_whatif(rt, path, &ans);
	if (cfg == NULL)
		return ans;
	ans = json_pack("{s:I}", "generation",
			(json_int_t)rt->snap->generation);
	if (ans != NULL) {
		lb_change_describe(ans, rt->snap->cfg, cfg);
		whatif_judge(rt, cfg, ans);
	}
	if (ans != NULL && built != NULL)
		*built = cfg;
	else
		lb_config_free(cfg);
	return ans;
}

json_t *
lb_runtime_diff(struct lb_runtime *rt, const char *path)
{
	return lb_runtime_whatif(rt, path, NULL);
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

/* Not a configuration change: recorded, never counted as one (the
 * metrics' edgelb_config_changes_total counts generations). */
void
lb_runtime_record_event(struct lb_runtime *rt, const struct lb_actor *who,
			const char *command, const char *result,
			json_t *detail)
{
	uint64_t g = rt->snap->generation;
	json_t *rec = record_new(rt, who, command, g, result);

	if (rec != NULL && json_is_object(detail))
		json_object_update_missing(rec, detail);
	json_decref(detail);
	lb_audit_record(rt->audit, rec);
}

/* The pool backend @p name is in (running configuration), or NULL. */
static const char *
pool_of_backend(const struct lb_config *cfg, const char *name)
{
	uint32_t i;

	for (i = 0; i < cfg->n_backends; i++)
		if (strcmp(cfg->backends[i].name, name) == 0)
			return cfg->backends[i].pool < cfg->n_pools ?
				cfg->pools[cfg->backends[i].pool].name : NULL;
	return NULL;
}

static const char *
pool_of_vip(const struct lb_config *cfg, const char *name)
{
	uint32_t i;

	for (i = 0; i < cfg->n_vips; i++)
		if (strcmp(cfg->vips[i].name, name) == 0)
			return cfg->vips[i].pool < cfg->n_pools ?
				cfg->pools[cfg->vips[i].pool].name : NULL;
	return NULL;
}

static int
str_is(const json_t *v, const char *s)
{
	const char *t = json_string_value(v);

	return t != NULL && s != NULL && strcmp(t, s) == 0;
}

/* A key change: [pool.P], a VIP or backend of P, or a backend's pool key
 * that was or becomes P. */
static int
key_touches(const struct lb_config *cfg, const json_t *c, const char *pool)
{
	const char *sec = json_string_value(json_object_get(c, "section"));
	const char *p;

	if (sec == NULL)
		return 0;
	if (strncmp(sec, "pool.", 5) == 0)
		return strcmp(sec + 5, pool) == 0;
	if (strncmp(sec, "vip.", 4) == 0) {
		p = pool_of_vip(cfg, sec + 4);
		return p != NULL && strcmp(p, pool) == 0;
	}
	if (strncmp(sec, "backend.", 8) != 0)
		return 0;
	if (str_is(json_object_get(c, "key"), "pool") &&
	    (str_is(json_object_get(c, "old"), pool) ||
	     str_is(json_object_get(c, "new"), pool)))
		return 1;
	p = pool_of_backend(cfg, sec + 8);
	return p != NULL && strcmp(p, pool) == 0;
}

static int
name_in_pool(const struct lb_config *cfg, const json_t *list,
	     const char *member, const char *pool)
{
	const char *p;
	json_t *v;
	size_t i;

	json_array_foreach(list, i, v) {
		p = pool_of_backend(cfg, json_string_value(
				json_object_get(v, member)) ?: "");
		if (p != NULL && strcmp(p, pool) == 0)
			return 1;
	}
	return 0;
}

static int
record_touches(const struct lb_config *cfg, const json_t *rec,
	       const char *pool)
{
	json_t *v;
	size_t i;

	if (!str_is(json_object_get(rec, "result"), "ok") ||
	    json_equal(json_object_get(rec, "generation"),
		       json_object_get(rec, "generation_before")))
		return 0;
	/* the configuration edgelbd started with made every pool */
	if (str_is(json_object_get(json_object_get(rec, "who"), "kind"),
		   "startup"))
		return 1;
	json_array_foreach(json_object_get(rec, "changes"), i, v)
		if (key_touches(cfg, v, pool))
			return 1;
	json_array_foreach(json_object_get(rec, "pools"), i, v)
		if (str_is(json_object_get(v, "pool"), pool))
			return 1;
	return name_in_pool(cfg, json_object_get(rec, "backends"), "name",
			    pool) ||
	       name_in_pool(cfg, json_object_get(rec, "health"), "backend",
			    pool);
}

json_t *
lb_runtime_last_change(const struct lb_runtime *rt, const char *pool)
{
	const json_t *rec;
	unsigned int i;

	for (i = 0; (rec = lb_audit_nth_last(rt->audit, i)) != NULL; i++)
		if (record_touches(rt->snap->cfg, rec, pool))
			return json_incref((json_t *)rec);
	return NULL;
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

/* What the gate found in the running generation. */
static json_t *
policy_json(const struct lb_runtime *rt)
{
	return json_pack("{s:o, s:o, s:I}",
		"violations", rt->policy_violations != NULL ?
			json_incref(rt->policy_violations) : json_array(),
		"warnings", rt->policy_warnings != NULL ?
			json_incref(rt->policy_warnings) : json_array(),
		"generation", (json_int_t)rt->policy_generation);
}

time_t
lb_runtime_generation_time(const struct lb_runtime *rt)
{
	const struct rt_gen *g = gen_find(rt, rt->snap->generation);

	return g != NULL ? g->made : 0;
}

size_t
lb_runtime_policy_counts(const struct lb_runtime *rt, size_t *warnings)
{
	*warnings = json_array_size(rt->policy_warnings);
	return json_array_size(rt->policy_violations);
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
	return json_pack("{s:I, s:s, s:o, s:s, s:o, s:o, s:I, s:{s:s, s:b, s:o}, s:o, s:o, s:s, s:o, s:o}",
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
			"generated" : "configured",
		"policy", policy_json(rt),
		"pending_confirm", pending_json(rt));
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

	if (rt->pending.generation != 0 &&
	    now_ms() >= rt->pending.deadline_ms)
		pending_expire(rt);
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
	lb_evloop_timer_cancel(rt->deadline_timer);
	rt->deadline_timer = NULL;
	pending_clear(rt);
	json_decref(rt->policy_violations);
	json_decref(rt->policy_warnings);
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
