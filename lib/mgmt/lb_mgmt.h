/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef LB_MGMT_H
#define LB_MGMT_H

/**
 * @file
 * The management socket: text command in, JSON answer out.
 *
 * Protocol: a client connects to the Unix stream socket, writes one
 * request (a command line, then for "lookup -" up to 1000 tuple lines),
 * shuts down its write side, and reads one JSON document followed by a
 * newline; the server then closes. Everything runs on the management
 * lcore inside its event loop (lb_evloop.h); a slow, silent or abusive
 * client is cut off, never waited for, and a command waiting for the
 * workers does not hold up anyone else.
 */

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include <jansson.h>

#include "lb_dataplane.h"
#include "lb_runtime.h"
#include "lb_health.h"
#include "lb_evloop.h"
#include "lb_excpath.h"
#include "lb_watch.h"
#include "lb_bgp.h"

/** Largest request accepted, in bytes. */
#define LB_MGMT_REQ_MAX (256 * 1024)
/** Most clients served at once; more are refused. */
#define LB_MGMT_MAX_CLIENTS 32
/** Most of them of one uid (root and admin_group members aside). */
#define LB_MGMT_CLIENTS_PER_UID 8
/** A client that has not finished its request by then is dropped. */
#define LB_MGMT_CLIENT_TIMEOUT_MS 5000
/** Most tuples in one "lookup -" request. */
#define LB_MGMT_LOOKUP_MAX 1000
/** Most flows in one "flows" answer (a page: "--after" gives the next);
 *  some 200 KB of JSON. */
#define LB_MGMT_FLOWS_PAGE_MAX 1000
/**
 * Most bytes that answers not yet read by their clients may hold, all
 * clients together. A larger answer that does not fit beside the others
 * is replaced by a short error ("try again"); one alone always goes, and
 * so does one under LB_MGMT_ANSWER_SMALL (status, a change's answer), so
 * slow readers can neither grow the daemon without bound nor keep an
 * operator from being answered.
 */
#define LB_MGMT_ANSWER_BYTES_MAX (16 * 1024 * 1024)
#define LB_MGMT_ANSWER_SMALL (64 * 1024)

/** Most supplementary groups of a peer kept; more are cut off. */
#define LB_MGMT_PEER_GROUPS_MAX 64

/**
 * Who sent a request: the Unix socket peer's credentials at connect time
 * (SO_PEERCRED, SO_PEERGROUPS) and its command name (/proc/PID/comm, best
 * effort: "" if unknown). Commands use it for access checks and audit.
 */
struct lb_mgmt_peer {
	uid_t uid;
	gid_t gid;
	pid_t pid;
	unsigned int n_groups;      /**< 0 if unknown or more than the max */
	gid_t groups[LB_MGMT_PEER_GROUPS_MAX];
	char comm[16];
};

/** What commands can see. */
struct lb_mgmt_ctx {
	struct lb_dp *dp;
	struct lb_runtime *rt;          /**< NULL in tests without changes */
	const struct lb_excpath *xp;    /**< kernel interfaces; may be NULL */
	time_t start_time;
	const char *version;
	const struct lb_health *health; /**< NULL: nothing is checked */
	const struct lb_watch *watch;   /**< NULL: no distribution watch */
	struct lb_bgp *bgp;             /**< NULL: no [bgp] */
};

/**
 * A command that has not answered yet (it waits for the workers, say).
 * It owns copies of everything it needs from the request.
 */
struct lb_mgmt_pending;

/**
 * Start one request (command line plus optional body lines) from @p peer
 * (NULL: an internal caller, treated as root). Management lcore; never
 * blocks; allocates.
 * @return the answer (a new JSON value: the result or {"error": "..."}),
 * or NULL when the command continues: then *@p pending is set and the
 * caller must call lb_mgmt_pending_poll() until it answers, or
 * lb_mgmt_pending_abandon().
 */
json_t *lb_mgmt_start(struct lb_mgmt_ctx *ctx, const struct lb_mgmt_peer *peer,
		      const char *req, size_t len,
		      struct lb_mgmt_pending **pending);

/**
 * Let @p p make progress. Management lcore; never blocks. Poll it every
 * millisecond or so: it answers once what it waits for is there or its own
 * timeout has passed.
 * @return NULL while not done; else the answer, and @p p is freed.
 */
json_t *lb_mgmt_pending_poll(struct lb_mgmt_pending *p);

/**
 * Drop @p p unanswered (the client went away). Frees it, except buffers a
 * worker that has not answered may still write: those are leaked on
 * purpose and logged. NULL-safe.
 */
void lb_mgmt_pending_abandon(struct lb_mgmt_pending *p);

/**
 * lb_mgmt_start() and, if the command continues, poll it to the end.
 * Management lcore; blocks (sleeping between polls) for as long as the
 * command waits, at most its timeout (MGMT_QUERY_TIMEOUT_MS for worker
 * queries). For tests and tools; the server never blocks.
 * @return a new JSON value, never NULL: the answer, or {"error": "..."}.
 */
json_t *lb_mgmt_execute(struct lb_mgmt_ctx *ctx,
			const struct lb_mgmt_peer *peer, const char *req,
			size_t len);

struct lb_mgmt_server;

/**
 * Listen on @p path (mode 0660, replacing a stale socket file) and serve
 * from event loop @p loop: the listening socket, each client and the
 * timers (client deadlines, polling commands that continue) register
 * there. @return the server, or NULL with @p err set.
 */
struct lb_mgmt_server *lb_mgmt_server_create(const char *path,
					     struct lb_mgmt_ctx *ctx,
					     struct lb_evloop *loop,
					     char *err, size_t errlen);

/**
 * Close every connection (abandoning commands still running), leave the
 * event loop, remove the socket file. Not from a server callback.
 * NULL-safe.
 */
void lb_mgmt_server_destroy(struct lb_mgmt_server *s);

#endif
