/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Commands that change the running configuration, or show it: reload,
 * apply, confirm, weight, drain, disable, enable, rollback, history,
 * config, version, vips (diff and check: cmd_check.c). Every change goes through lib/runtime, which applies it
 * as one snapshot and records it; access checks happen in dispatch.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rte_version.h>

#include "mgmt_priv.h"

#define HISTORY_DEFAULT 20

/*
 * The daemon reads files as root: only name a file the peer could read
 * itself, or its errors (which quote lines) would leak what it may not.
 */
json_t *
lb_mgmt_file_readable(const struct mgmt_req *r, const char *path)
{
	const struct lb_mgmt_peer *p = r->peer;
	struct stat st;
	mode_t m;

	if (path[0] != '/')
		return lb_mgmt_error("%s: give an absolute path", path);
	if (stat(path, &st) != 0)
		return lb_mgmt_error("%s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return lb_mgmt_error("%s: not a regular file", path);
	if (p == NULL || p->uid == 0)
		return NULL;
	m = st.st_mode;
	if ((st.st_uid == p->uid && (m & S_IRUSR)) ||
	    (lb_mgmt_peer_in_group(p, st.st_gid) && (m & S_IRGRP)) || (m & S_IROTH))
		return NULL;
	return lb_mgmt_error("%s: you may not read it", path);
}

/* The runtime's answer, or its error; never NULL. */
static json_t *
answer_of(json_t *ans)
{
	return ans != NULL ? ans : lb_mgmt_error("out of memory");
}

json_t *
lb_mgmt_cmd_reload(struct lb_mgmt_ctx *ctx, const struct mgmt_req *r)
{
	json_t *ans = NULL, *e;

	if (r->argc > 2)
		return lb_mgmt_error("usage: reload [FILE]");
	if (r->argc == 2 && (e = lb_mgmt_file_readable(r, r->argv[1])) != NULL)
		return e;
	lb_runtime_reload(ctx->rt, r->argc == 2 ? r->argv[1] : NULL, &r->who,
			  &ans);
	return answer_of(ans);
}

/* Longest wait for a confirmation: a day. */
#define CONFIRM_WITHIN_MAX 86400

/* apply FILE [--confirm-within S], options anywhere after the name
 * (--force is taken by dispatch). */
json_t *
lb_mgmt_cmd_apply(struct lb_mgmt_ctx *ctx, const struct mgmt_req *r)
{
	static const char use[] = "usage: apply FILE [--confirm-within "
		"SECONDS] [--force] (SECONDS 1..86400)";
	const char *file = NULL, *within = NULL;
	json_t *ans = NULL, *e;
	unsigned int i;
	uint64_t s = 0;

	for (i = 1; i < r->argc; i++) {
		if (strcmp(r->argv[i], "--confirm-within") == 0) {
			if (within != NULL || ++i == r->argc)
				return lb_mgmt_error("%s", use);
			within = r->argv[i];
		} else if (file == NULL && r->argv[i][0] != '-') {
			file = r->argv[i];
		} else {
			return lb_mgmt_error("apply: unexpected \"%.64s\"; %s",
					     r->argv[i], use);
		}
	}
	if (file == NULL)
		return lb_mgmt_error("%s", use);
	if (within != NULL && lb_mgmt_parse_uint(within, 1, CONFIRM_WITHIN_MAX,
						 &s) != 0)
		return lb_mgmt_error("apply: --confirm-within \"%.32s\" is not "
				     "a number of seconds in 1..%d", within,
				     CONFIRM_WITHIN_MAX);
	if ((e = lb_mgmt_file_readable(r, file)) != NULL)
		return e;
	if (within == NULL)
		lb_runtime_reload(ctx->rt, file, &r->who, &ans);
	else
		lb_runtime_reload_confirmed(ctx->rt, file, s * 1000, &r->who,
					    r->line, &ans);
	return answer_of(ans);
}

json_t *
lb_mgmt_cmd_confirm(struct lb_mgmt_ctx *ctx, const struct mgmt_req *r)
{
	json_t *ans = NULL;

	if (r->argc != 1)
		return lb_mgmt_error("usage: confirm");
	lb_runtime_confirm(ctx->rt, &r->who, r->line, &ans);
	return answer_of(ans);
}

/* "backend.NAME" of a configured backend, or an error. */
static json_t *
backend_section(struct lb_mgmt_ctx *ctx, const char *name, char *sec,
		size_t n)
{
	const struct lb_config *cfg = lb_runtime_snapshot(ctx->rt)->cfg;
	uint32_t i;

	for (i = 0; i < cfg->n_backends; i++)
		if (cfg->backends[i].state != LB_BACKEND_REMOVED &&
		    strcmp(cfg->backends[i].name, name) == 0) {
			snprintf(sec, n, "backend.%s", name);
			return NULL;
		}
	return lb_mgmt_error("no backend named \"%.64s\"; see \"backends\"",
			     name);
}

static json_t *
set_backend_key(struct lb_mgmt_ctx *ctx, const struct mgmt_req *r,
		const char *key, const char *value)
{
	char sec[LB_NAME_MAX + 16];
	json_t *ans = NULL, *e;

	e = backend_section(ctx, r->argv[1], sec, sizeof(sec));
	if (e != NULL)
		return e;
	lb_runtime_set(ctx->rt, sec, key, value, &r->who, r->line, &ans);
	return answer_of(ans);
}

json_t *
lb_mgmt_cmd_weight(struct lb_mgmt_ctx *ctx, const struct mgmt_req *r)
{
	uint64_t w;

	if (r->argc != 3)
		return lb_mgmt_error("usage: weight BACKEND N (N 0..65535)");
	if (lb_mgmt_parse_uint(r->argv[2], 0, 65535, &w) != 0)
		return lb_mgmt_error("weight: \"%.32s\" is not 0..65535",
				     r->argv[2]);
	return set_backend_key(ctx, r, "weight", r->argv[2]);
}

/* drain, disable and enable: the backend's admin_state. */
json_t *
lb_mgmt_cmd_admin_state(struct lb_mgmt_ctx *ctx, const struct mgmt_req *r)
{
	static const struct { const char *cmd, *state; } map[] = {
		{ "drain", "drained" }, { "disable", "disabled" },
		{ "enable", NULL },     /* back to the default: enabled */
	};
	size_t i;

	for (i = 0; i < RTE_DIM(map); i++)
		if (strcmp(r->argv[0], map[i].cmd) == 0)
			break;
	if (i == RTE_DIM(map) || r->argc != 2)
		return lb_mgmt_error("usage: %s BACKEND",
				     i < RTE_DIM(map) ? map[i].cmd : "enable");
	return set_backend_key(ctx, r, "admin_state", map[i].state);
}

json_t *
lb_mgmt_cmd_rollback(struct lb_mgmt_ctx *ctx, const struct mgmt_req *r)
{
	uint64_t gen = 0;
	json_t *ans = NULL;

	if (r->argc > 2 ||
	    (r->argc == 2 && lb_mgmt_parse_uint(r->argv[1], 1, UINT64_MAX / 2, &gen)))
		return lb_mgmt_error("usage: rollback [GENERATION]");
	lb_runtime_rollback(ctx->rt, gen, &r->who, r->line, &ans);
	return answer_of(ans);
}

json_t *
lb_mgmt_cmd_history(struct lb_mgmt_ctx *ctx, const struct mgmt_req *r)
{
	uint64_t n = HISTORY_DEFAULT;

	if (r->argc > 2 || (r->argc == 2 &&
			    lb_mgmt_parse_uint(r->argv[1], 1, LB_RUNTIME_HISTORY, &n)))
		return lb_mgmt_error("usage: history [N] (N 1..%d)",
				     LB_RUNTIME_HISTORY);
	if (ctx->rt == NULL)
		return lb_mgmt_error("no change history here");
	return json_pack("{s:o}", "history",
			 lb_runtime_history(ctx->rt, (unsigned int)n));
}

json_t *
lb_mgmt_cmd_config(struct lb_mgmt_ctx *ctx, const struct mgmt_req *r)
{
	char *ini;
	json_t *ans;

	if (r->argc != 1)
		return lb_mgmt_error("usage: config");
	ini = lb_runtime_config_ini(ctx->rt);
	if (ini == NULL)
		return lb_mgmt_error("out of memory");
	ans = json_pack("{s:I, s:s}", "generation",
			(json_int_t)lb_runtime_snapshot(ctx->rt)->generation,
			"ini", ini);
	free(ini);
	return answer_of(ans);
}

json_t *
lb_mgmt_cmd_version(struct lb_mgmt_ctx *ctx, const struct mgmt_req *r)
{
#ifdef LB_TEST_FAULTS
	const int test_faults = 1;
#else
	const int test_faults = 0;
#endif

	if (r->argc != 1)
		return lb_mgmt_error("usage: version");
	/* A test build says so: it must never be deployed. */
	return json_pack("{s:s, s:s, s:b}", "version",
			 ctx->version != NULL ? ctx->version : "unknown",
			 "dpdk", rte_version(), "test_faults", test_faults);
}

static json_t *
vip_json(const struct lb_config *cfg, const struct lb_vip_conf *v)
{
	static const char *const health[] = { "none", "tcp", "http", "https" };
	const struct lb_pool_conf *p = &cfg->pools[v->pool];
	char pb[8];

	return json_pack("{s:o, s:i, s:s, s:o, s:i, s:s, s:o, s:s, s:s, s:s, "
			 "s:b, s:i}",
		"name", lb_mgmt_str(v->name), "id", (int)v->id,
		"protocol", lb_mgmt_proto_name(v->proto, pb, sizeof(pb)),
		"address", lb_mgmt_ipv4(v->addr), "port", (int)v->port,
		"mode", "dr",
		"pool", lb_mgmt_str(cfg->pools[v->pool].name),
		"on_remove", p->on_remove == LB_ON_REMOVE_KEEP ? "keep" :
			"reschedule",
		"health", health[p->health.kind % RTE_DIM(health)],
		"all_down", p->all_down == LB_ALL_DOWN_FAIL_OPEN ?
			"fail_open" : "fail_closed",
		"all_down_now", p->all_down_now,
		"slow_start_s", (int)p->slow_start_s);
}

json_t *
lb_mgmt_cmd_vips(struct lb_mgmt_ctx *ctx, const struct mgmt_req *r)
{
	const struct lb_config *cfg = lb_mgmt_config(ctx->dp);
	json_t *list;
	uint32_t i;

	if (r->argc != 1)
		return lb_mgmt_error("usage: vips");
	if (cfg == NULL)
		return lb_mgmt_error("no configuration loaded");
	list = json_array();
	for (i = 0; i < cfg->n_vips; i++)
		json_array_append_new(list, vip_json(cfg, &cfg->vips[i]));
	return json_pack("{s:o}", "vips", list);
}
