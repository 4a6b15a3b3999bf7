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
 * lcore inside its epoll loop; a slow, silent or abusive client is cut off,
 * never waited for.
 */

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include <jansson.h>

#include "lb_dataplane.h"
#include "lb_runtime.h"

/** Largest request accepted, in bytes. */
#define LB_MGMT_REQ_MAX (256 * 1024)
/** Most clients served at once; more are refused. */
#define LB_MGMT_MAX_CLIENTS 32
/** A client that has not finished its request by then is dropped. */
#define LB_MGMT_CLIENT_TIMEOUT_MS 5000
/** Most tuples in one "lookup -" request. */
#define LB_MGMT_LOOKUP_MAX 1000

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

/**
 * Something the management epoll loop waits on: epoll_event.data.ptr
 * points to one of these, and the loop calls cb with the events.
 */
struct lb_event {
	void (*cb)(struct lb_event *ev, uint32_t events);
};

/** What commands can see. */
struct lb_mgmt_ctx {
	struct lb_dp *dp;
	struct lb_runtime *rt;          /**< NULL in tests without changes */
	time_t start_time;
	const char *version;
};

/**
 * Execute one request (command line plus optional body lines).
 * Management lcore; may wait briefly for workers to answer.
 * @return a new JSON value, never NULL: the answer, or {"error": "..."}.
 */
json_t *lb_mgmt_execute(struct lb_mgmt_ctx *ctx, const char *req,
			size_t len);

struct lb_mgmt_server;

/**
 * Listen on @p path (mode 0660, replacing a stale socket file) and register
 * with epoll instance @p epfd. @return the server, or NULL with @p err set.
 */
struct lb_mgmt_server *lb_mgmt_server_create(const char *path,
					     struct lb_mgmt_ctx *ctx, int epfd,
					     char *err, size_t errlen);

/** Drop clients past their deadline. Call at least every second. */
void lb_mgmt_server_tick(struct lb_mgmt_server *s);

/** Close every connection, remove the socket file. NULL-safe. */
void lb_mgmt_server_destroy(struct lb_mgmt_server *s);

#endif
