/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Offline review, no DPDK started:
 *   edgelbd --check FILE... [--json]   each file's tables, shares, policy
 *                                      findings; with several, a summary
 *                                      and the pools whose tables differ
 *   edgelbd --diff OLD NEW [--json]    what would change, per backend,
 *                                      and NEW's findings against OLD
 * Exit 0 when no file has an error or a violation (warnings allowed).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "edgelbd.h"
#include "lb_policy.h"

/* One file: its snapshot and report, or its errors. */
struct checked {
	const char *path;
	struct lb_config *cfg;
	struct lb_policy_report *r;
	struct lb_config_error err;
};

static void
check_one(struct checked *c, const struct lb_config *before)
{
	c->cfg = lb_config_parse(c->path, &c->err);
	if (c->cfg == NULL)
		return;
	c->r = lb_policy_evaluate(before, c->cfg, LB_POLICY_ALL_N1);
	if (c->r == NULL) {
		snprintf(c->err.msg, sizeof(c->err.msg),
			 "%s: out of memory evaluating the policy", c->path);
		c->err.n = 1;
		lb_config_free(c->cfg);
		c->cfg = NULL;
	}
}

static void
checked_free(struct checked *c)
{
	lb_policy_report_free(c->r);
	lb_config_free(c->cfg);
}

static int
failed(const struct checked *c)
{
	return c->cfg == NULL || c->r->n_violations > 0;
}

/* "OK", "2 warnings", "1 violation, 2 warnings", "error (3)". */
static const char *
verdict(const struct checked *c, char *buf, size_t size)
{
	const struct lb_policy_report *r = c->r;

	if (c->cfg == NULL)
		snprintf(buf, size, "error (%u)", c->err.n);
	else if (r->n_findings == 0)
		snprintf(buf, size, "OK");
	else if (r->n_violations == 0)
		snprintf(buf, size, "%u warning%s", r->n_warnings,
			 r->n_warnings == 1 ? "" : "s");
	else
		snprintf(buf, size, "%u violation%s, %u warning%s",
			 r->n_violations, r->n_violations == 1 ? "" : "s",
			 r->n_warnings, r->n_warnings == 1 ? "" : "s");
	return buf;
}

static void
print_file(const struct checked *c)
{
	char v[64];

	if (c->cfg == NULL) {
		edgelbd_log(LOG_ERR, "%s", c->err.msg);
		printf("%s: error\n", c->path);
		return;
	}
	printf("%s: %s\n", c->path, verdict(c, v, sizeof(v)));
	lb_policy_print(c->cfg, c->r, stdout);
}

/* A pool of one file whose fingerprint another file's same pool lacks. */
static void
print_differing_pools(const struct checked *c, int n)
{
	char fa[20], fb[20];
	uint32_t p, q;
	int i, j;

	for (i = 0; i < n; i++) {
		for (p = 0; c[i].cfg != NULL && p < c[i].cfg->n_pools; p++) {
			const char *name = c[i].cfg->pools[p].name;

			for (j = i + 1; j < n; j++) {
				for (q = 0; c[j].cfg != NULL &&
				     q < c[j].cfg->n_pools; q++)
					if (!strcmp(c[j].cfg->pools[q].name, name))
						break;
				if (c[j].cfg == NULL || q == c[j].cfg->n_pools ||
				    c[j].cfg->pools[q].fingerprint ==
				    c[i].cfg->pools[p].fingerprint)
					continue;
				printf("  pool %s differs: %s %s, %s %s\n", name,
				       c[i].path, lb_config_fingerprint_hex(
					       c[i].cfg, p, fa, sizeof(fa)),
				       c[j].path, lb_config_fingerprint_hex(
					       c[j].cfg, q, fb, sizeof(fb)));
				break;
			}
		}
	}
}

static void
print_summary(const struct checked *c, int n)
{
	char v[64], fp[20];
	uint32_t p;
	int i;

	printf("\nsummary:\n");
	for (i = 0; i < n; i++) {
		printf("  %s: %s", c[i].path, verdict(&c[i], v, sizeof(v)));
		for (p = 0; c[i].cfg != NULL && p < c[i].cfg->n_pools; p++)
			printf("%s %s=%s", p == 0 ? "; pools" : "",
			       c[i].cfg->pools[p].name,
			       lb_config_fingerprint_hex(c[i].cfg, p, fp,
							 sizeof(fp)));
		printf("\n");
	}
	print_differing_pools(c, n);
}

static json_t *
errors_json(const struct lb_config_error *err)
{
	json_t *a = json_array();
	char *copy = strdup(err->msg), *save = NULL, *line;

	for (line = copy ? strtok_r(copy, "\n", &save) : NULL; line != NULL;
	     line = strtok_r(NULL, "\n", &save))
		json_array_append_new(a, json_string(line));
	free(copy);
	return a;
}

static json_t *
file_json(const struct checked *c)
{
	char v[64];
	json_t *o = json_pack("{s:s, s:s, s:b}", "file", c->path,
			      "verdict", verdict(c, v, sizeof(v)),
			      "ok", !failed(c));

	if (c->cfg == NULL)
		json_object_set_new(o, "errors", errors_json(&c->err));
	else
		json_object_set_new(o, "report",
				    lb_policy_report_json(c->cfg, c->r));
	return o;
}

static void
print_json(json_t *doc)
{
	char *s = json_dumps(doc, JSON_INDENT(2) | JSON_SORT_KEYS);

	if (s != NULL)
		printf("%s\n", s);
	free(s);
	json_decref(doc);
}

int
edgelbd_check(char **files, int n, int as_json)
{
	struct checked *c = calloc(n, sizeof(*c));
	json_t *list = json_array();
	int i, bad = 0;

	if (c == NULL || list == NULL) {
		edgelbd_log(LOG_ERR, "out of memory");
		free(c);
		json_decref(list);
		return 1;
	}
	for (i = 0; i < n; i++) {
		c[i].path = files[i];
		check_one(&c[i], NULL);
		bad |= failed(&c[i]);
		if (as_json)
			json_array_append_new(list, file_json(&c[i]));
		else
			print_file(&c[i]);
		if (!as_json && i + 1 < n)
			printf("\n");
	}
	if (as_json)
		print_json(json_pack("{s:o, s:b}", "files", list, "ok", !bad));
	else {
		json_decref(list);
		if (n > 1)
			print_summary(c, n);
	}
	for (i = 0; i < n; i++)
		checked_free(&c[i]);
	free(c);
	return bad;
}

/* ---- --diff ---------------------------------------------------------------- */

static uint32_t
backend_named(const struct lb_config *cfg, const char *name)
{
	uint32_t b;

	for (b = 0; b < cfg->n_backends; b++)
		if (cfg->backends[b].state != LB_BACKEND_REMOVED &&
		    strcmp(cfg->backends[b].name, name) == 0)
			return b;
	return UINT32_MAX;
}

static const char *
pool_of(const struct lb_config *cfg, uint32_t b)
{
	return cfg->backends[b].pool < cfg->n_pools ?
	       cfg->pools[cfg->backends[b].pool].name : "-";
}

/* One backend's change, or NULL if none: weight, share, pool, added. */
static json_t *
backend_change(const struct checked *o, const struct checked *n, uint32_t ob,
	       uint32_t nb)
{
	const struct lb_backend_conf *x = ob != UINT32_MAX ?
		&o->cfg->backends[ob] : NULL;
	const struct lb_backend_conf *y = nb != UINT32_MAX ?
		&n->cfg->backends[nb] : NULL;
	double s0 = x ? o->r->share[ob] : 0, s1 = y ? n->r->share[nb] : 0;

	if (x && y && x->weight == y->weight && fabs(s0 - s1) < 0.005 &&
	    x->state == y->state && !strcmp(pool_of(o->cfg, ob),
					    pool_of(n->cfg, nb)))
		return NULL;
	return json_pack("{s:s, s:s, s:s, s:o, s:o, s:f, s:f, s:o, s:o}",
		"backend", x ? x->name : y->name,
		"change", !x ? "added" : !y ? "removed" : "changed",
		"pool", y ? pool_of(n->cfg, nb) : pool_of(o->cfg, ob),
		"weight_old", x ? json_integer(x->weight) : json_null(),
		"weight_new", y ? json_integer(y->weight) : json_null(),
		"share_old", s0, "share_new", s1,
		"state_old", x ? json_string(lb_backend_state_name(x->state)) :
			json_null(),
		"state_new", y ? json_string(lb_backend_state_name(y->state)) :
			json_null());
}

static json_t *
backend_changes(const struct checked *o, const struct checked *n)
{
	json_t *a = json_array();
	uint32_t b;

	for (b = 0; b < n->cfg->n_backends; b++)
		if (n->cfg->backends[b].state != LB_BACKEND_REMOVED)
			json_array_append_new(a, backend_change(o, n,
				backend_named(o->cfg, n->cfg->backends[b].name),
				b));
	for (b = 0; b < o->cfg->n_backends; b++)
		if (o->cfg->backends[b].state != LB_BACKEND_REMOVED &&
		    backend_named(n->cfg, o->cfg->backends[b].name) ==
		    UINT32_MAX)
			json_array_append_new(a, backend_change(o, n, b,
								UINT32_MAX));
	return a;
}

static void
print_weight(const char *label, json_t *w)
{
	if (json_is_integer(w))
		printf("%s%" JSON_INTEGER_FORMAT, label, json_integer_value(w));
	else
		printf("%s-", label);
}

static void
print_changes(json_t *changes)
{
	json_t *c;
	size_t i;

	json_array_foreach(changes, i, c) {
		printf("  %-8s %s (pool %s): ",
		       json_string_value(json_object_get(c, "change")),
		       json_string_value(json_object_get(c, "backend")),
		       json_string_value(json_object_get(c, "pool")));
		print_weight("weight ", json_object_get(c, "weight_old"));
		print_weight(" -> ", json_object_get(c, "weight_new"));
		printf(", expected share %.2f%% -> %.2f%%",
		       json_real_value(json_object_get(c, "share_old")),
		       json_real_value(json_object_get(c, "share_new")));
		if (json_is_string(json_object_get(c, "state_old")) &&
		    json_is_string(json_object_get(c, "state_new")) &&
		    strcmp(json_string_value(json_object_get(c, "state_old")),
			   json_string_value(json_object_get(c, "state_new"))))
			printf(", %s -> %s",
			       json_string_value(json_object_get(c, "state_old")),
			       json_string_value(json_object_get(c, "state_new")));
		printf("\n");
	}
	if (json_array_size(changes) == 0)
		printf("  no backend changes\n");
}

static void
print_diff(const struct checked *o, const struct checked *n, json_t *changes)
{
	const struct lb_policy_finding *f;
	char fa[20], fb[20];
	uint32_t p, q;

	printf("--- %s\n+++ %s\n", o->path, n->path);
	print_changes(changes);
	for (p = 0; p < n->cfg->n_pools; p++) {
		for (q = 0; q < o->cfg->n_pools; q++)
			if (!strcmp(o->cfg->pools[q].name, n->cfg->pools[p].name))
				break;
		printf("  pool %s fingerprint %s -> %s\n", n->cfg->pools[p].name,
		       q < o->cfg->n_pools ? lb_config_fingerprint_hex(
			       o->cfg, q, fa, sizeof(fa)) : "(new)",
		       lb_config_fingerprint_hex(n->cfg, p, fb, sizeof(fb)));
	}
	for (p = 0; p < n->r->n_findings; p++) {
		f = &n->r->findings[p];
		printf("%s: %s [%s] %s\n", f->where,
		       f->severity == LB_POLICY_VIOLATION ? "violation" :
		       "warning", f->code, f->message);
	}
}

int
edgelbd_diff(const char *old_path, const char *new_path, int as_json)
{
	struct checked o = { .path = old_path }, n = { .path = new_path };
	json_t *changes;
	int rc;

	check_one(&o, NULL);
	if (o.cfg != NULL)
		check_one(&n, o.cfg);
	if (o.cfg == NULL || n.cfg == NULL) {
		edgelbd_log(LOG_ERR, "%s", o.cfg == NULL ? o.err.msg : n.err.msg);
		checked_free(&o);
		checked_free(&n);
		return 1;
	}
	changes = backend_changes(&o, &n);
	rc = n.r->n_violations > 0;
	if (as_json)
		print_json(json_pack("{s:s, s:s, s:O, s:o, s:I, s:I, s:b}",
			"old", old_path, "new", new_path, "backends", changes,
			"findings", lb_policy_findings_json(n.r),
			"violations", (json_int_t)n.r->n_violations,
			"warnings", (json_int_t)n.r->n_warnings, "ok", !rc));
	else
		print_diff(&o, &n, changes);
	json_decref(changes);
	checked_free(&o);
	checked_free(&n);
	return rc;
}
