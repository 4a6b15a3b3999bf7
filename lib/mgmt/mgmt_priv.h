/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef LB_MGMT_PRIV_H
#define LB_MGMT_PRIV_H

/*
 * Shared between the files of lib/mgmt only: the parsed request, the
 * helpers every command uses and the command handlers themselves.
 */

#include <stdint.h>

#include <jansson.h>
#include <rte_common.h>
#include <rte_log.h>

#include "lb_mgmt.h"

extern int lb_mgmt_logtype;

#define MGMT_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_##level, lb_mgmt_logtype, "mgmt: " fmt "\n", \
		##__VA_ARGS__)

/** Most words on a command line; a longer line is refused. */
#define MGMT_MAX_ARGS 16
/** How long a command waits for the workers. */
#define MGMT_QUERY_TIMEOUT_MS 1000

/** A request split into words (first line) and the remaining body. */
struct mgmt_req {
	unsigned int argc;
	char *argv[MGMT_MAX_ARGS];
	const char *body;          /**< after the first newline; not NUL-ended */
	size_t body_len;
	const struct lb_mgmt_peer *peer; /**< NULL: a caller in-process */
	/* Set by dispatch for commands that change state: */
	struct lb_actor who;       /**< the peer, as the audit names it */
	const char *line;          /**< the command line, as audited */
};

/** {"error": message}; the message is made safe for JSON (printable ASCII). */
json_t *lb_mgmt_error(const char *fmt, ...) __rte_format_printf(1, 2);

/** Copy @p in into @p out (size @p n) with non-printable bytes as '?'. */
void lb_mgmt_sanitize(char *out, size_t n, const char *in, size_t len);

/** A JSON string of @p s, with bytes that are not UTF-8 replaced. */
json_t *lb_mgmt_str(const char *s);

/** "a.b.c.d" for an address in network byte order. */
json_t *lb_mgmt_ipv4(uint32_t addr);

/** "tcp", "udp" or the protocol number as text. */
const char *lb_mgmt_proto_name(uint8_t proto, char *buf, size_t n);

/** The configuration published to the workers (NULL if none). */
const struct lb_config *lb_mgmt_config(const struct lb_dp *dp);

/**
 * Counters of every worker summed into a new allocation (free()), or NULL
 * on ENOMEM.
 */
struct lb_worker_stats *lb_mgmt_stats_sum(const struct lb_dp *dp);

/** 1 if the neighbour of backend @p b has a MAC in the published table. */
int lb_mgmt_backend_resolved(const struct lb_dp *dp,
			     const struct lb_config *cfg, uint32_t b);

/* Command handlers: answer a JSON value, never NULL. */
json_t *lb_mgmt_cmd_reload(struct lb_mgmt_ctx *ctx, const struct mgmt_req *r);
json_t *lb_mgmt_cmd_weight(struct lb_mgmt_ctx *ctx, const struct mgmt_req *r);
json_t *lb_mgmt_cmd_admin_state(struct lb_mgmt_ctx *ctx,
				const struct mgmt_req *r);
json_t *lb_mgmt_cmd_rollback(struct lb_mgmt_ctx *ctx,
			     const struct mgmt_req *r);
json_t *lb_mgmt_cmd_diff(struct lb_mgmt_ctx *ctx, const struct mgmt_req *r);
json_t *lb_mgmt_cmd_history(struct lb_mgmt_ctx *ctx,
			    const struct mgmt_req *r);
json_t *lb_mgmt_cmd_config(struct lb_mgmt_ctx *ctx, const struct mgmt_req *r);
json_t *lb_mgmt_cmd_version(struct lb_mgmt_ctx *ctx,
			    const struct mgmt_req *r);
json_t *lb_mgmt_cmd_vips(struct lb_mgmt_ctx *ctx, const struct mgmt_req *r);
json_t *lb_mgmt_cmd_stats(struct lb_mgmt_ctx *ctx, const struct mgmt_req *r);
json_t *lb_mgmt_cmd_backends(struct lb_mgmt_ctx *ctx,
			     const struct mgmt_req *r);
json_t *lb_mgmt_cmd_flows(struct lb_mgmt_ctx *ctx, const struct mgmt_req *r);
json_t *lb_mgmt_cmd_lookup(struct lb_mgmt_ctx *ctx, const struct mgmt_req *r);

/** Test hook: change the client deadline of @p s (default the header's). */
void lb_mgmt_server_set_timeout_ms(struct lb_mgmt_server *s, uint64_t ms);

#endif
