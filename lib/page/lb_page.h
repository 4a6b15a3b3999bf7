/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef LB_PAGE_H
#define LB_PAGE_H

/**
 * @file
 * The live status page on the metrics listener (lb_http.h):
 * - "/": one HTML document for people (page.html, embedded at build time:
 *   no external asset), whose script fetches /status.json every 2 s and
 *   draws it with textContent only (names come from the configuration);
 * - "/status.json": {"version", "generated", "backends", "alerts",
 *   "history"}, where backends, alerts and history are the answers of the
 *   management commands of those names ("history 10"), run through
 *   lb_mgmt_start() as an internal caller, so the page cannot show
 *   anything `edgelbctl` would not.
 */

#include "lb_http.h"
#include "lb_mgmt.h"

/** Changes the page lists (the "history N" it asks for). */
#define LB_PAGE_HISTORY 10

/**
 * Serve "/" and "/status.json" on @p h from @p ctx, which must outlive
 * @p h. Management lcore.
 * @return 0, or the error of lb_http_route().
 */
int lb_page_serve(struct lb_http *h, struct lb_mgmt_ctx *ctx);

/**
 * The status document now (what /status.json answers). Management lcore;
 * never blocks: a command that would wait for the workers is abandoned and
 * its place holds {"error": ...}. @return a new JSON object, or NULL on
 * ENOMEM.
 */
json_t *lb_page_status(struct lb_mgmt_ctx *ctx);

#endif
