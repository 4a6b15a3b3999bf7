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
 * The same question to workers first..first+n-1 at once, without waiting:
 * each gets its own copy of the request in its own allocation (answer
 * room and keys included), so a worker that is slow or never answers
 * holds only its own copy (see workers.c for who frees it and when).
 */
struct mgmt_wq {
	struct lb_dp *dp;
	unsigned int first;               /**< worker of req[0] */
	unsigned int n;                   /**< workers asked */
	uint64_t deadline_ms;
	int rc;                           /**< 0, or -errno if submit failed */
	struct lb_dp_request *req[LB_MAX_WORKERS];
	uint8_t sent[LB_MAX_WORKERS];     /**< queued: the worker's until done */
};

/**
 * Ask workers @p first..@p first + @p n - 1 of @p dp the question in
 * @p proto (type, n and keys for LOOKUP, max, pos and answer_by_tsc for
 * FLOWS), copied for each, to be answered by @p deadline_ms (see
 * lb_mgmt_now_ms()). A full request ring is not an error: the request is
 * offered again by each mgmt_wq_poll() until the deadline.
 * @return 0, or -ENOMEM or -EINVAL (then nothing was sent; release @p q
 * all the same).
 */
int mgmt_wq_submit(struct mgmt_wq *q, struct lb_dp *dp, unsigned int first,
		   unsigned int n, const struct lb_dp_request *proto,
		   uint64_t deadline_ms);

/** Offer what is not queued yet. @return 1 when every worker answered,
 *  submit failed or the timeout passed. */
int mgmt_wq_poll(struct mgmt_wq *q, uint64_t now_ms);

/** NULL if every worker answered, else the error to answer (logged). */
json_t *mgmt_wq_error(const struct mgmt_wq *q);

/** Free the requests the workers answered or never got; the others
 *  become orphans, freed by a later reap once their worker answers. */
void mgmt_wq_release(struct mgmt_wq *q);

/** Free the orphans whose worker has answered since. Management lcore.
 *  @return how many are still held (their worker has not answered). */
unsigned int mgmt_wq_reap(void);

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
json_t *lb_mgmt_cmd_apply(struct lb_mgmt_ctx *ctx, const struct mgmt_req *r);
json_t *lb_mgmt_cmd_confirm(struct lb_mgmt_ctx *ctx,
			    const struct mgmt_req *r);
json_t *lb_mgmt_cmd_history(struct lb_mgmt_ctx *ctx,
			    const struct mgmt_req *r);
json_t *lb_mgmt_cmd_config(struct lb_mgmt_ctx *ctx, const struct mgmt_req *r);
json_t *lb_mgmt_cmd_version(struct lb_mgmt_ctx *ctx,
			    const struct mgmt_req *r);
json_t *lb_mgmt_cmd_vips(struct lb_mgmt_ctx *ctx, const struct mgmt_req *r);
/* NULL if @p path is an absolute path of a regular file that the peer of
 * @p r could read itself (edgelbd reads as root), else the error. */
json_t *lb_mgmt_file_readable(const struct mgmt_req *r, const char *path);
/* cmd_check.c */
json_t *lb_mgmt_cmd_check(struct lb_mgmt_ctx *ctx, const struct mgmt_req *r);
json_t *lb_mgmt_cmd_diff(struct lb_mgmt_ctx *ctx, const struct mgmt_req *r);
/* cmd_health.c */
json_t *lb_mgmt_cmd_health(struct lb_mgmt_ctx *ctx, const struct mgmt_req *r);
/* Add backend identity @id's health (short form, as `backends` shows it;
 * "unchecked" when it is not checked) to @o. */
void lb_mgmt_health_set(json_t *o, const struct lb_mgmt_ctx *ctx, uint16_t id);
/* cmd_alerts.c */
json_t *lb_mgmt_cmd_alerts(struct lb_mgmt_ctx *ctx, const struct mgmt_req *r);
/* cmd_bgp.c: bgp, bgp withdraw, bgp announce. */
json_t *lb_mgmt_cmd_bgp(struct lb_mgmt_ctx *ctx, const struct mgmt_req *r);
json_t *lb_mgmt_cmd_bgp_hold(struct lb_mgmt_ctx *ctx,
			     const struct mgmt_req *r);
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
json_t *lb_mgmt_cmd_selftest(struct lb_mgmt_ctx *ctx,
			     const struct mgmt_req *r,
			     struct lb_mgmt_pending **later);
#ifdef LB_TEST_FAULTS
/* Test builds only (-Dtest_faults=true). */
json_t *lb_mgmt_cmd_fault(struct lb_mgmt_ctx *ctx, const struct mgmt_req *r);
#endif

/** Test hook: change the client deadline of @p s (default the header's). */
void lb_mgmt_server_set_timeout_ms(struct lb_mgmt_server *s, uint64_t ms);

/** Test hook: bytes held now by answers not yet sent. */
size_t lb_mgmt_server_answer_bytes(const struct lb_mgmt_server *s);

#endif
