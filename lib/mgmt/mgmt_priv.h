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
	const struct lb_mgmt_peer *peer;   /**< never NULL */
	/* Set by dispatch for commands that change state: */
	struct lb_actor who;       /**< the peer, as the audit names it */
	const char *line;          /**< the command line, as audited */
};

/*
 * A command that answers later returns one of these (embedded first in its
 * own state) instead of a json_t. The caller polls it from the event loop
 * until it answers, or abandons it if the client goes away. Nothing in it
 * may point into the request: the request buffer is gone by then.
 */
struct mgmt_pending_ops {
	/** 1 when finish() can answer now, 0 to be polled again. */
	int (*poll)(struct lb_mgmt_pending *p, uint64_t now_ms);
	/** Build the answer (never NULL) and free @p p. */
	json_t *(*finish)(struct lb_mgmt_pending *p);
	/** Free @p p unanswered, leaking only what someone may still write. */
	void (*abandon)(struct lb_mgmt_pending *p);
};

struct lb_mgmt_pending {
	const struct mgmt_pending_ops *ops;
};

/** CLOCK_MONOTONIC in milliseconds. */
uint64_t lb_mgmt_now_ms(void);

/*
 * The same question to every worker at once, without waiting: each worker
 * gets its own request in its own allocation (with room for its answer),
 * so a worker that never answers costs only its own buffer (leaked: it may
 * still write there) and the shared keys it reads.
 */
struct mgmt_wq {
	struct lb_dp *dp;
	unsigned int n;                   /**< workers asked */
	uint64_t deadline_ms;
	int rc;                           /**< 0, or -errno if submit failed */
	struct lb_flow_key *keys;         /**< LOOKUP: read by every worker */
	struct lb_dp_request *req[LB_MAX_WORKERS];
};

/**
 * Ask every worker of @p dp: @p type with room for @p room entries each;
 * for LOOKUP the @p room keys in @p keys (malloc'd; @p q owns it from now,
 * even on error). @return 0, or -ENOMEM (then nothing was sent; release
 * @p q all the same). A full request ring is not an error here: see
 * mgmt_wq_error().
 */
int mgmt_wq_submit(struct mgmt_wq *q, struct lb_dp *dp,
		   enum lb_dp_req_type type, uint32_t room,
		   struct lb_flow_key *keys, uint64_t now_ms);

/** 1 when every worker answered, submit failed or the timeout passed. */
int mgmt_wq_poll(const struct mgmt_wq *q, uint64_t now_ms);

/** NULL if every worker answered, else the error to answer (logged). */
json_t *mgmt_wq_error(const struct mgmt_wq *q);

/** Free the requests of workers that answered; leak (and log) the rest. */
void mgmt_wq_release(struct mgmt_wq *q);

/** Strict decimal in [lo, hi]: no sign, no spaces, no trailing bytes.
 *  @return 0, or -1 (out untouched). */
int lb_mgmt_parse_uint(const char *s, uint64_t lo, uint64_t hi,
		       uint64_t *out);

/** 1 if the peer may change state: uid 0 or global.admin_group. */
int lb_mgmt_peer_is_admin(const struct lb_mgmt_ctx *ctx,
			  const struct lb_mgmt_peer *p);

/** 1 if @p gid is the peer's group or one of its supplementary groups. */
int lb_mgmt_peer_in_group(const struct lb_mgmt_peer *p, gid_t gid);

/** Fill @p p with the credentials of the Unix socket peer on @p fd. */
void lb_mgmt_peer_read(int fd, struct lb_mgmt_peer *p);

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

/* Command handlers that answer at once: a JSON value, never NULL. */
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
/* cmd_health.c */
json_t *lb_mgmt_cmd_health(struct lb_mgmt_ctx *ctx, const struct mgmt_req *r);
/* Add backend identity @id's health (short form, as `backends` shows it;
 * "unchecked" when it is not checked) to @o. */
void lb_mgmt_health_set(json_t *o, const struct lb_mgmt_ctx *ctx, uint16_t id);
json_t *lb_mgmt_cmd_stats(struct lb_mgmt_ctx *ctx, const struct mgmt_req *r);
json_t *lb_mgmt_cmd_backends(struct lb_mgmt_ctx *ctx,
			     const struct mgmt_req *r);
/*
 * Commands that ask the workers: answer at once (errors, no workers), or
 * return NULL with *later set to finish from the event loop.
 */
json_t *lb_mgmt_cmd_flows(struct lb_mgmt_ctx *ctx, const struct mgmt_req *r,
			  struct lb_mgmt_pending **later);
json_t *lb_mgmt_cmd_lookup(struct lb_mgmt_ctx *ctx, const struct mgmt_req *r,
			   struct lb_mgmt_pending **later);

/** Test hook: change the client deadline of @p s (default the header's). */
void lb_mgmt_server_set_timeout_ms(struct lb_mgmt_server *s, uint64_t ms);

#endif
