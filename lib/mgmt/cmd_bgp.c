/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bgp: what BIRD says of the sessions and what edgelbd announces;
 * bgp withdraw / bgp announce: the operator's hold, for maintenance,
 * recorded in the audit history like every change.
 */
#include <string.h>

#include "mgmt_priv.h"

json_t *
lb_mgmt_cmd_bgp(struct lb_mgmt_ctx *ctx, const struct mgmt_req *r)
{
	if (r->argc != 1)
		return lb_mgmt_error("usage: bgp | bgp withdraw | bgp announce");
	if (ctx->bgp == NULL)
		return lb_mgmt_error("bgp: no [bgp] section in the "
				     "configuration: nothing is announced");
	return lb_bgp_status(ctx->bgp);
}

json_t *
lb_mgmt_cmd_bgp_hold(struct lb_mgmt_ctx *ctx, const struct mgmt_req *r)
{
	int withdraw = strcmp(r->argv[1], "withdraw") == 0;
	enum lb_bgp_hold was;
	json_t *diff, *ans;

	if (r->argc != 2)
		return lb_mgmt_error("usage: bgp %s", r->argv[1]);
	if (ctx->bgp == NULL)
		return lb_mgmt_error("bgp %s: no [bgp] section in the "
				     "configuration", r->argv[1]);
	was = lb_bgp_hold_of(ctx->bgp);
	if (was == LB_BGP_STOPPING)
		return lb_mgmt_error("bgp %s: edgelbd is stopping (everything "
				     "is withdrawn while it drains)",
				     r->argv[1]);
	lb_bgp_set_hold(ctx->bgp, withdraw ? LB_BGP_WITHDRAWN :
					     LB_BGP_FORWARDING);
	/* Now, not at the next tick: the answer says what moved. */
	diff = lb_bgp_update(ctx->bgp, lb_runtime_snapshot(ctx->rt)->cfg);
	ans = json_pack("{s:s, s:s, s:o}",
		"hold_before", lb_bgp_hold_name(was),
		"hold", lb_bgp_hold_name(lb_bgp_hold_of(ctx->bgp)),
		"bgp", diff != NULL ? diff :
			json_pack("{s:[], s:[]}", "announced", "withdrawn"));
	lb_runtime_record_event(ctx->rt, &r->who, r->line, "ok",
				json_pack("{s:O}", "bgp",
					  json_object_get(ans, "bgp")));
	return ans;
}
