/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What-if commands against the running daemon: check FILE and diff FILE.
 * Both build FILE exactly as a reload would now (lib/runtime: the health
 * checks' down backends, slow-start ramps, flows in use) without applying
 * or recording anything, and judge it with lib/policy against the running
 * configuration, so max_share_change counts from what runs.
 */
#include <stdio.h>
#include <string.h>

#include "lb_policy.h"
#include "mgmt_priv.h"

/*
 * FILE built as a reload would build it (*cfg, to free) and its report
 * against the running configuration (*rep, to free), with every one-down
 * share. @return the runtime's diff answer, or the error (then *cfg and
 * *rep are NULL).
 */
static json_t *
whatif(struct lb_mgmt_ctx *ctx, const char *path, struct lb_config **cfg,
       struct lb_policy_report **rep)
{
	json_t *ans;

	*rep = NULL;
	ans = lb_runtime_whatif(ctx->rt, path, cfg);
	if (ans == NULL || *cfg == NULL)
		return ans != NULL ? ans : lb_mgmt_error("out of memory");
	*rep = lb_policy_evaluate(lb_runtime_snapshot(ctx->rt)->cfg, *cfg,
				  LB_POLICY_ALL_N1);
	if (*rep == NULL) {
		json_decref(ans);
		lb_config_free(*cfg);
		*cfg = NULL;
		return lb_mgmt_error("out of memory");
	}
	return ans;
}

/* check FILE / diff FILE: the words, the runtime, a file the peer may
 * read. NULL when all is well, else the error. */
static json_t *
whatif_args(struct lb_mgmt_ctx *ctx, const struct mgmt_req *r)
{
	if (r->argc != 2)
		return lb_mgmt_error("usage: %s FILE", r->argv[0]);
	if (ctx->rt == NULL)
		return lb_mgmt_error("%s: no running configuration to compare "
				     "with", r->argv[0]);
	return lb_mgmt_file_readable(r, r->argv[1]);
}

json_t *
lb_mgmt_cmd_check(struct lb_mgmt_ctx *ctx, const struct mgmt_req *r)
{
	struct lb_policy_report *rep;
	struct lb_config *cfg;
	json_t *ans, *diff;

	if ((ans = whatif_args(ctx, r)) != NULL)
		return ans;
	diff = whatif(ctx, r->argv[1], &cfg, &rep);
	if (cfg == NULL)
		return diff;
	/* The shape of edgelbd --check --json's "report", plus what it was
	 * judged against: a pipeline reads either the same way. */
	ans = lb_policy_report_json(cfg, rep);
	if (ans != NULL) {
		json_object_set_new(ans, "file", lb_mgmt_str(r->argv[1]));
		json_object_set(ans, "generation",
				json_object_get(diff, "generation"));
		json_object_set_new(ans, "ok",
				    json_boolean(rep->n_violations == 0));
	}
	json_decref(diff);
	lb_policy_report_free(rep);
	lb_config_free(cfg);
	return ans != NULL ? ans : lb_mgmt_error("out of memory");
}

/* Each pool's fingerprint, running -> FILE's (null where it has none). */
static json_t *
fingerprints(const struct lb_config *old, const struct lb_config *new)
{
	json_t *o = json_object(), *e;
	char fp[20];
	uint32_t i;

	for (i = 0; o != NULL && i < old->n_pools; i++)
		json_object_set_new(o, old->pools[i].name, json_pack(
			"{s:s, s:n}", "old",
			lb_config_fingerprint_hex(old, i, fp, sizeof(fp)),
			"new"));
	for (i = 0; o != NULL && i < new->n_pools; i++) {
		e = json_object_get(o, new->pools[i].name);
		if (e == NULL) {
			e = json_pack("{s:n}", "old");
			json_object_set_new(o, new->pools[i].name, e);
		}
		json_object_set_new(e, "new", json_string(
			lb_config_fingerprint_hex(new, i, fp, sizeof(fp))));
	}
	return o;
}

json_t *
lb_mgmt_cmd_diff(struct lb_mgmt_ctx *ctx, const struct mgmt_req *r)
{
	struct lb_policy_report *rep;
	struct lb_config *cfg;
	json_t *ans, *report;

	if ((ans = whatif_args(ctx, r)) != NULL)
		return ans;
	ans = whatif(ctx, r->argv[1], &cfg, &rep);
	if (cfg == NULL)
		return ans;
	/* Every backend's share before and after, with what the policy
	 * judged by; "violations" and "warnings" are the gate's (what a
	 * reload would meet). */
	report = lb_policy_report_json(cfg, rep);
	json_object_set(ans, "vips", json_object_get(report, "vips"));
	json_object_set_new(ans, "fingerprints", fingerprints(
		lb_runtime_snapshot(ctx->rt)->cfg, cfg));
	json_decref(report);
	lb_policy_report_free(rep);
	lb_config_free(cfg);
	return ans;
}
