/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The alert table: one alert per (rule, pool, backend identity, worker),
 * its timing (pending -> firing after watch_for_s; firing -> resolved once
 * gone as long; pending -> resolved at once, it never fired), and what
 * each transition leaves: a log line and an audit record.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "watch_priv.h"

/* Half a tick: the timer's jitter must not make a 3 s `for` take 4. */
#define SLACK_MS 500

static const char *const state_names[] = {
	[LB_WATCH_PENDING] = "pending",
	[LB_WATCH_FIRING] = "firing",
	[LB_WATCH_RESOLVED] = "resolved",
};

const char *
lb_watch_state_name(enum lb_watch_state s)
{
	return (unsigned int)s < RTE_DIM(state_names) ? state_names[s] :
							"unknown";
}

unsigned int
lb_watch_alert_count(const struct lb_watch *w)
{
	return w->alerts.n;
}

const struct lb_watch_alert *
lb_watch_alert_get(const struct lb_watch *w, unsigned int i)
{
	return i < w->alerts.n ? &w->alerts.a[i].pub : NULL;
}

void
watch_alerts_free(struct watch_alerts *t)
{
	free(t->a);
	t->a = NULL;
	t->n = t->cap = 0;
}

/* ---- JSON -------------------------------------------------------------- */

static json_t *
percent_or_null(double v)
{
	return v >= 0 ? json_real(v) : json_null();
}

static json_t *
time_or_null(time_t t)
{
	char buf[32];
	struct tm tm;

	if (t == 0)
		return json_null();
	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return json_string(buf);
}

static json_t *
change_json(const struct lb_watch_change *c)
{
	if (c->generation == 0)
		return json_null();
	return json_pack("{s:I, s:s, s:s, s:s}",
		"generation", (json_int_t)c->generation, "time", c->time,
		"who", c->who, "command", c->command);
}

json_t *
lb_watch_alert_json(const struct lb_watch_alert *a)
{
	json_t *o = json_object();

	json_object_set_new(o, "alertname", json_string(a->name));
	json_object_set_new(o, "state", json_string(
				    lb_watch_state_name(a->state)));
	json_object_set_new(o, "vip", json_string(a->vip));
	json_object_set_new(o, "pool", json_string(a->pool));
	json_object_set_new(o, "backend", a->backend[0] != '\0' ?
			    json_string(a->backend) : json_null());
	json_object_set_new(o, "worker", a->worker >= 0 ?
			    json_integer(a->worker) : json_null());
	json_object_set_new(o, "observed_share", percent_or_null(a->observed));
	json_object_set_new(o, "expected_share", percent_or_null(a->expected));
	json_object_set_new(o, "intended_share", percent_or_null(a->intended));
	json_object_set_new(o, "sample", json_integer((json_int_t)a->sample));
	json_object_set_new(o, "statistic", json_real(a->statistic));
	json_object_set_new(o, "value", json_real(a->value));
	json_object_set_new(o, "limit", json_real(a->limit));
	json_object_set_new(o, "summary", json_string(a->summary));
	/* What to do about it: its section of the runbook (one per alert
	 * name; tests/docs/check_runbook.py keeps them in step). */
	json_object_set_new(o, "runbook", json_sprintf("%s#%s",
			    LB_WATCH_RUNBOOK, a->name));
	json_object_set_new(o, "generation",
			    json_integer((json_int_t)a->generation));
	json_object_set_new(o, "since", time_or_null(a->since));
	json_object_set_new(o, "fired", time_or_null(a->fired));
	json_object_set_new(o, "resolved", time_or_null(a->resolved));
	json_object_set_new(o, "change", change_json(&a->change));
	return o;
}

/* What each pool's window holds now: that the watch judges at all. */
static json_t *
pools_json(const struct lb_watch *w)
{
	json_t *list = json_array();
	uint32_t i;

	for (i = 0; i < w->n_pools; i++)
		json_array_append_new(list, json_pack("{s:s, s:s, s:i, s:I}",
			"pool", w->pools[i].name, "vip", w->pools[i].vips,
			"window_s", (int)w->pools[i].len,
			"new_flows", (json_int_t)w->pools[i].n));
	return list;
}

json_t *
lb_watch_alerts_json(const struct lb_watch *w)
{
	json_t *list = json_array(), *o;
	unsigned int i, firing = 0, pending = 0;

	for (i = 0; i < w->alerts.n; i++) {
		const struct lb_watch_alert *a = &w->alerts.a[i].pub;

		firing += a->state == LB_WATCH_FIRING;
		pending += a->state == LB_WATCH_PENDING;
		json_array_append_new(list, lb_watch_alert_json(a));
	}
	o = json_pack("{s:o, s:i, s:i, s:i, s:i, s:I, s:I, "
			 "s:{s:f, s:i, s:f, s:f}}",
		"alerts", list, "firing", firing, "pending", pending,
		"window_s", (int)w->window_s, "for_s", (int)w->for_s,
		"samples", (json_int_t)w->tick,
		"dropped", (json_int_t)w->alerts.dropped,
		"test", "z", LB_WATCH_Z, "min_flows", LB_WATCH_MIN_FLOWS,
		"min_dev_points", 100 * LB_WATCH_MIN_DEV_ABS,
		"min_dev_relative", LB_WATCH_MIN_DEV_REL);
	if (o != NULL)
		json_object_set_new(o, "pools", pools_json(w));
	return o;
}

/* ---- what a transition leaves ------------------------------------------ */

/* The last change of the alert's pool, from the audit history. */
static void
change_fill(struct lb_watch *w, struct lb_watch_alert *a)
{
	json_t *rec = lb_runtime_last_change(w->rt, a->pool);
	const json_t *who;
	const char *kind;
	size_t n;

	memset(&a->change, 0, sizeof(a->change));
	if (rec == NULL)
		return;
	a->change.generation = (uint64_t)json_integer_value(
		json_object_get(rec, "generation"));
	snprintf(a->change.time, sizeof(a->change.time), "%s",
		 json_string_value(json_object_get(rec, "time")) ?: "");
	snprintf(a->change.command, sizeof(a->change.command), "%s",
		 json_string_value(json_object_get(rec, "command")) ?: "");
	who = json_object_get(rec, "who");
	kind = json_string_value(json_object_get(who, "kind"));
	n = (size_t)snprintf(a->change.who, sizeof(a->change.who), "%s",
			     kind != NULL ? kind : "?");
	if (json_object_get(who, "uid") != NULL && n < sizeof(a->change.who))
		snprintf(a->change.who + n, sizeof(a->change.who) - n,
			 " uid %lld (%s)", (long long)json_integer_value(
				 json_object_get(who, "uid")),
			 json_string_value(json_object_get(who, "comm")) ?: "?");
	json_decref(rec);
}

static void
transition(struct lb_watch *w, struct watch_alert *e,
	   enum lb_watch_state to)
{
	static const struct lb_actor watch = { .kind = LB_ACTOR_WATCH };
	struct lb_watch_alert *a = &e->pub;
	char command[640];

	a->state = to;
	snprintf(command, sizeof(command), "alert %s %s: %s", a->name,
		 lb_watch_state_name(to), a->summary);
	if (to == LB_WATCH_FIRING)
		WATCH_LOG(WARNING, "%s", command);
	else
		WATCH_LOG(NOTICE, "%s", command);
	lb_runtime_record_event(w->rt, &watch, command, "alert",
				json_pack("{s:o}", "alert",
					  lb_watch_alert_json(a)));
}

/* ---- holding ----------------------------------------------------------- */

static struct watch_alert *
alert_find(struct watch_alerts *t, const struct watch_cond *c)
{
	unsigned int i;

	for (i = 0; i < t->n; i++) {
		const struct lb_watch_alert *a = &t->a[i].pub;

		if (strcmp(a->name, c->name) == 0 &&
		    a->backend_id == c->backend_id &&
		    a->worker == c->worker && strcmp(a->pool, c->pool) == 0)
			return &t->a[i];
	}
	return NULL;
}

static struct watch_alert *
alert_add(struct watch_alerts *t)
{
	struct watch_alert *a;
	unsigned int cap;

	if (t->n == LB_WATCH_ALERTS_MAX) {
		t->dropped++;
		return NULL;
	}
	if (t->n == t->cap) {
		cap = t->cap ? t->cap * 2 : 16;
		a = realloc(t->a, sizeof(*a) * cap);
		if (a == NULL) {
			t->dropped++;
			return NULL;
		}
		t->a = a;
		t->cap = cap;
	}
	a = &t->a[t->n++];
	memset(a, 0, sizeof(*a));
	return a;
}

static double
percent(double share)
{
	return share >= 0 ? 100 * share : -1;
}

/* What the condition says now goes into the alert. */
static void
alert_update(struct lb_watch_alert *a, const struct watch_cond *c)
{
	a->observed = percent(c->observed);
	a->expected = percent(c->expected);
	a->intended = percent(c->intended);
	a->sample = c->sample;
	a->statistic = c->statistic;
	a->value = c->value;
	a->limit = c->limit;
	snprintf(a->summary, sizeof(a->summary), "%s", c->summary);
}

void
watch_alert_hold(struct lb_watch *w, const struct watch_cond *c,
		 uint64_t now_ms)
{
	struct watch_alert *e = alert_find(&w->alerts, c);
	struct lb_watch_alert *a;

	if (e == NULL) {
		e = alert_add(&w->alerts);
		if (e == NULL)
			return;
		a = &e->pub;
		a->name = c->name;
		a->backend_id = c->backend_id;
		a->worker = c->worker;
		snprintf(a->pool, sizeof(a->pool), "%s", c->pool);
		a->state = LB_WATCH_RESOLVED;   /* becomes pending below */
	}
	a = &e->pub;
	snprintf(a->vip, sizeof(a->vip), "%s", c->vip);
	snprintf(a->backend, sizeof(a->backend), "%s", c->backend);
	alert_update(a, c);
	e->seen = 1;
	e->clear_ms = 0;
	if (a->state != LB_WATCH_RESOLVED)
		return;
	/* new, or back after it resolved: a new episode */
	e->since_ms = now_ms;
	a->since = time(NULL);
	a->fired = a->resolved = 0;
	a->generation = lb_runtime_snapshot(w->rt)->generation;
	change_fill(w, a);
	transition(w, e, LB_WATCH_PENDING);
}

/* ---- timing ------------------------------------------------------------ */

static int
held_for(uint64_t since_ms, uint64_t now_ms, uint32_t for_s)
{
	return now_ms + SLACK_MS >= since_ms + (uint64_t)for_s * 1000;
}

/* Fired on a generation that awaits confirmation: roll it back. */
static void
maybe_abort(struct lb_watch *w, const struct lb_watch_alert *a)
{
	uint64_t g = lb_runtime_pending(w->rt);

	if (g == 0 || a->generation < g || w->abort_reason[0] != '\0')
		return;
	snprintf(w->abort_reason, sizeof(w->abort_reason), "alert %s: %s",
		 a->name, a->summary);
}

static void
fire(struct lb_watch *w, struct watch_alert *e)
{
	e->pub.fired = time(NULL);
	change_fill(w, &e->pub);
	transition(w, e, LB_WATCH_FIRING);
	maybe_abort(w, &e->pub);
}

static void
resolve(struct lb_watch *w, struct watch_alert *e, uint64_t now_ms)
{
	e->resolved_ms = now_ms;
	e->pub.resolved = time(NULL);
	transition(w, e, LB_WATCH_RESOLVED);
}

/* One alert's step; 1 if it is to be forgotten. */
static int
alert_step(struct lb_watch *w, struct watch_alert *e, uint64_t now_ms)
{
	enum lb_watch_state s = e->pub.state;
	int seen = e->seen;

	e->seen = 0;
	if (seen) {
		if (s == LB_WATCH_PENDING &&
		    held_for(e->since_ms, now_ms, w->for_s))
			fire(w, e);
		return 0;
	}
	if (s == LB_WATCH_PENDING) {
		resolve(w, e, now_ms);
	} else if (s == LB_WATCH_FIRING) {
		if (e->clear_ms == 0)
			e->clear_ms = now_ms;
		if (held_for(e->clear_ms, now_ms, w->for_s))
			resolve(w, e, now_ms);
	} else if (now_ms >= e->resolved_ms +
		   LB_WATCH_RESOLVED_KEEP_S * 1000ull) {
		return 1;
	}
	return 0;
}

void
watch_alerts_step(struct lb_watch *w, uint64_t now_ms)
{
	struct watch_alerts *t = &w->alerts;
	unsigned int i, n = 0;

	for (i = 0; i < t->n; i++)
		if (!alert_step(w, &t->a[i], now_ms))
			t->a[n++] = t->a[i];
	t->n = n;
}
