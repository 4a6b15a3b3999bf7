/* SPDX-License-Identifier: BSD-3-Clause */
/* alerts: what the distribution watch (lib/watch) holds now. */
#include "mgmt_priv.h"

json_t *
lb_mgmt_cmd_alerts(struct lb_mgmt_ctx *ctx, const struct mgmt_req *r)
{
	if (r->argc != 1)
		return lb_mgmt_error("usage: alerts");
	if (ctx->watch == NULL)
		return lb_mgmt_error("the distribution watch is not running");
	return lb_watch_alerts_json(ctx->watch);
}
