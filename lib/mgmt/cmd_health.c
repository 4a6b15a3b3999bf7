/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * `health [BACKEND]`: what the checker knows. `backends` shows the short
 * form of the same (lb_mgmt_health_set).
 */
#include <string.h>

#include "lb_health.h"
#include "mgmt_priv.h"

void
lb_mgmt_health_set(json_t *o, const struct lb_mgmt_ctx *ctx, uint16_t id)
{
	json_t *h = ctx->health != NULL ?
		lb_health_backend_json(ctx->health, id, 0) : NULL;

	if (h == NULL)
		h = json_pack("{s:s, s:n, s:n, s:n, s:i, s:n}", "health",
			      lb_health_state_name(LB_HEALTH_UNCHECKED),
			      "checked_at", "last_result", "last_latency_ms",
			      "consecutive", 0, "since");
	json_object_update(o, h);
	json_decref(h);
}

/* Backend @name of @cfg (not a removed one), or NULL. */
static const struct lb_backend_conf *
backend_named(const struct lb_config *cfg, const char *name)
{
	uint32_t i;

	for (i = 0; i < cfg->n_backends; i++)
		if (cfg->backends[i].state != LB_BACKEND_REMOVED &&
		    strcmp(cfg->backends[i].name, name) == 0)
			return &cfg->backends[i];
	return NULL;
}

static json_t *
one_backend(const struct lb_mgmt_ctx *ctx, const struct lb_config *cfg,
	    const char *name)
{
	const struct lb_backend_conf *be = backend_named(cfg, name);
	json_t *h;

	if (be == NULL)
		return lb_mgmt_error("no backend '%s'", name);
	h = lb_health_backend_json(ctx->health, be->id, 1);
	if (h == NULL)
		return lb_mgmt_error("backend %s is not checked (pool %s has "
				     "health = none)", name,
				     cfg->pools[be->pool].name);
	json_object_set_new(h, "name", json_string(be->name));
	json_object_set_new(h, "pool", json_string(cfg->pools[be->pool].name));
	return h;
}

json_t *
lb_mgmt_cmd_health(struct lb_mgmt_ctx *ctx, const struct mgmt_req *r)
{
	const struct lb_config *cfg = lb_mgmt_config(ctx->dp);
	json_t *list, *h;
	uint32_t i;

	if (r->argc > 2)
		return lb_mgmt_error("usage: health [BACKEND]");
	if (cfg == NULL || ctx->health == NULL)
		return lb_mgmt_error("health checks are not running");
	if (r->argc == 2)
		return one_backend(ctx, cfg, r->argv[1]);
	list = json_array();
	for (i = 0; i < cfg->n_backends; i++) {
		const struct lb_backend_conf *be = &cfg->backends[i];

		if (be->state == LB_BACKEND_REMOVED)
			continue;
		h = lb_health_backend_json(ctx->health, be->id, 0);
		if (h == NULL)
			continue;
		json_object_set_new(h, "name", json_string(be->name));
		json_object_set_new(h, "pool",
				    json_string(cfg->pools[be->pool].name));
		json_array_append_new(list, h);
	}
	return json_pack("{s:o, s:o}", "checker",
			 lb_health_stats_json(ctx->health), "backends", list);
}
