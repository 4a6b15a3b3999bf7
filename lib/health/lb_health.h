/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef LB_HEALTH_H
#define LB_HEALTH_H

/**
 * @file
 * Health checks of backends, run on the management lcore's event loop.
 *
 * Every backend of a pool whose health kind is not none is checked every
 * health_interval_ms at its address and check_port: tcp by a non-blocking
 * connect, http(s) by a GET through libcurl's multi interface driven by
 * the same loop. Nothing here blocks: a check is a socket or a curl
 * transfer registered with the loop, bounded by health_timeout_ms.
 *
 * A backend goes DOWN after health_fall consecutive failures and UP after
 * health_rise consecutive successes; from UNCHECKED either way. Each
 * transition is reported through the callback given at creation.
 *
 * The checks of a pool are spread over its interval (backend k of n is
 * first checked k * interval / n after it is taken on), and every due
 * time lives in one binary min-heap behind one timer, so thousands of
 * backends cost no more timers than one.
 *
 * Backends are named by identity (lb_backend_conf.id), never by an index
 * into a snapshot. Management lcore only; nothing is thread-safe.
 */

#include <stdint.h>

#include <jansson.h>

#include "lb_config.h"
#include "lb_evloop.h"

enum lb_health_state {
	LB_HEALTH_UNCHECKED = 0,    /**< not checked, or not decided yet */
	LB_HEALTH_UP,
	LB_HEALTH_DOWN,
};

/**
 * "unchecked", "up" or "down" ("unknown" for any other value), as answers
 * show a health state. Any lcore; never blocks, allocates nothing.
 */
const char *lb_health_state_name(unsigned int state);

struct lb_health;

/**
 * A backend changed state.
 *
 * Called from the event loop (inside lb_evloop_run()), never from
 * lb_health_sync(). It may call lb_health_sync(), lb_health_state_of()
 * and the JSON functions; it must not call lb_health_destroy().
 *
 * @param backend_id the backend's identity.
 * @param state its new state (UP or DOWN).
 * @param reason why, e.g. "3 consecutive failures: connect refused",
 *   "2 consecutive successes"; valid during the call only.
 * @param arg as given to lb_health_create().
 */
typedef void (*lb_health_cb)(uint16_t backend_id, enum lb_health_state state,
			     const char *reason, void *arg);

/**
 * Create a checker on @p loop, checking nothing yet. Management lcore;
 * never blocks; allocates (the heap of due times for LB_MAX_BACKENDS, a
 * curl multi handle, two timers on @p loop); initialises libcurl
 * (curl_global_init, reference-counted by libcurl), so create checkers
 * before starting other threads that use libcurl.
 *
 * @return the checker, or NULL with errno set (ENOMEM, or from the loop).
 */
struct lb_health *lb_health_create(struct lb_evloop *loop, lb_health_cb cb,
				   void *arg);

/**
 * Cancel every check in flight (their sockets are closed, their curl
 * transfers removed; no callback is called), delete the checker's
 * registrations from its loop and free it. Management lcore, outside the
 * checker's own callback; must be called before the loop is destroyed.
 * Never blocks; frees everything the checker allocated. NULL-safe.
 */
void lb_health_destroy(struct lb_health *h);

/**
 * Take on a configuration: every backend of a pool with health != none
 * (and a check_port) is checked, by identity lb_backend_conf.id, at
 * lb_backend_conf.addr:check_port, with its pool's lb_health_conf.
 * REMOVED backends (state LB_BACKEND_REMOVED) are not checked.
 *
 * A backend whose check settings (address, check_port, its pool's health
 * settings that apply to it) are unchanged keeps its state, counts,
 * history and schedule; one that is new or whose settings changed starts
 * UNCHECKED (a check in flight under the old settings is cancelled) and
 * is first checked at its offset in its pool (k * interval / n after this
 * call); one no longer checked is forgotten: its check in flight is
 * cancelled, its state becomes UNCHECKED, and no callback is called for
 * it. No check starts and no callback runs inside this call.
 *
 * Copies what it needs (@p cfg may be freed afterwards). Management
 * lcore; never blocks; allocates (one record per new backend, freed when
 * it is forgotten); may be called from the checker's callback. All or
 * nothing: on error nothing changed.
 *
 * @return 0, -ENOMEM, or -EINVAL (an identity >= LB_MAX_BACKENDS).
 */
int lb_health_sync(struct lb_health *h, const struct lb_config *cfg);

/**
 * The state of backend identity @p id: UNCHECKED if it is not checked.
 * Management lcore; never blocks, allocates nothing.
 */
enum lb_health_state lb_health_state_of(const struct lb_health *h,
					uint16_t id);

/**
 * The latency of backend identity @p id's last finished check (as
 * "last_latency_ms" below, in microseconds) into *@p us: for metrics,
 * without building JSON. Management lcore; never blocks, allocates
 * nothing.
 * @return 0, or -1 if it is not checked or no check has finished.
 */
int lb_health_last_latency_us(const struct lb_health *h, uint16_t id,
			      uint32_t *us);

/**
 * A backend's recent check latency: the median of its last five results
 * (a failure counts with the time it took, a timeout with the timeout),
 * in microseconds, into *@p us. Management lcore; never blocks, allocates
 * nothing.
 * @return 0, or -1 if @p id is not checked or has no result yet.
 */
int lb_health_latency_us(const struct lb_health *h, uint16_t id,
			 uint32_t *us);

/**
 * For `backends`, a backend's health as a JSON object:
 * {"health": "up|down|unchecked", "checked_at": ISO-8601 UTC (ms) of the
 * start of the last finished check, or null, "last_result": "ok",
 * "connect refused", "timeout after 1000 ms", "HTTP 503"... or null,
 * "last_latency_ms": time to connect (tcp) or to the HTTP status line, or
 * to the failure, or null, "consecutive": N, "consecutive_kind":
 * "successes"|"failures", "since": ISO time of the last transition, or
 * null}.
 *
 * @p detail != 0 adds "address", the check settings ("kind", "port",
 * "interval_ms", "timeout_ms", "rise", "fall", and for http(s) "path",
 * "host", "expect"), the totals "checks" and "failures", and
 * "latencies": the last results, oldest first, each {"at", "ms", "ok",
 * "result"}.
 *
 * Management lcore; never blocks; allocates the answer.
 * @return a new reference, or NULL if @p id is not checked (or ENOMEM).
 */
json_t *lb_health_backend_json(const struct lb_health *h, uint16_t id,
			       int detail);

/**
 * The checker's own figures: {"backends_checked", "checks" (finished),
 * "failures", "transitions", "in_flight", "late_samples", "late_p50_ms",
 * "late_p99_ms", "late_max_ms"}: the late_* figures say how late checks
 * started against their schedule, over every check started since
 * creation (p50 and p99 from a histogram with about 6 % resolution; the
 * max exact). Management lcore; never blocks; allocates the answer.
 * @return a new reference, or NULL on ENOMEM.
 */
json_t *lb_health_stats_json(const struct lb_health *h);

#endif
