/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef LB_WATCH_H
#define LB_WATCH_H

/**
 * @file
 * The distribution watch: what the workers do, compared every second with
 * what the tables and the operator mean them to do.
 *
 * Once a second (lb_watch_tick) it reads every worker's counters of every
 * backend identity in the running configuration (new flows, packets,
 * bytes, live flows) and keeps the last [global] watch_window_s seconds.
 * A pool's window starts again whenever its table changes (its
 * fingerprint), so what is judged was dispatched by one table. Then, per
 * pool, with n its new flows in the window and k a backend's:
 *
 * - share_skew: k/n against the backend's expected share p from the
 *   running table (its slots over the table size);
 * - share_above_intent: k/n above the backend's max_share;
 * - capacity_exceeded: k per second above the backend's capacity;
 * - pool_below_min_healthy: fewer backends up (weight > 0, not down) than
 *   the pool's min_healthy;
 * - worker_skew: one worker's share for a backend against the other
 *   workers' together;
 * - slow_backend_high_share: a backend whose check latency is over 3x its
 *   pool's other backends' median (and 20 ms over it) while it takes more
 *   than its intended share (max_share, else an equal split).
 *
 * The share tests are one test, with the same care for sample size: the
 * signed root of the binomial likelihood-ratio statistic (r, a z-score
 * whose tails stay close to the normal's down to a few expected flows),
 * significant at |r| >= LB_WATCH_Z, and a difference of at least
 * lb_watch_min_dev() (so a huge sample does not alarm on differences that
 * do not matter), with at least LB_WATCH_MIN_FLOWS flows in the window.
 * See README ("Watching the distribution") for the false-alarm rate.
 *
 * An alert is pending while its condition holds, firing once it held for
 * [global] watch_for_s, resolved once it has been gone as long (kept in
 * the list for LB_WATCH_RESOLVED_KEEP_S). Each names its VIPs, pool,
 * backend, observed, expected and intended share, the sample size and the
 * last change that touched its pool (lb_runtime_last_change). Every
 * transition is logged and recorded in the audit history (actor "watch",
 * result "alert"). An alert that fires while a generation it arose on
 * awaits confirmation rolls that generation back
 * (lb_runtime_pending_abort).
 *
 * Management lcore only; nothing is thread-safe; nothing blocks.
 */

#include <stdint.h>
#include <time.h>

#include <jansson.h>

#include "lb_config.h"
#include "lb_dataplane.h"
#include "lb_runtime.h"

/** Where an alert's section is: LB_WATCH_RUNBOOK "#" its name (relative
 *  to the source tree, as the Prometheus rules' runbook_url). */
#define LB_WATCH_RUNBOOK "docs/runbook.md"

/** |r| a share must reach: two-sided 2e-9 per test under the normal. */
#define LB_WATCH_Z 6.0
/** Fewest new flows in a pool's window (a worker's, for worker_skew)
 *  before its shares are judged. */
#define LB_WATCH_MIN_FLOWS 200
/** A share must differ by at least max(ABS, REL x the share it is
 *  compared with): 0.5 percentage points, 10 %. */
#define LB_WATCH_MIN_DEV_ABS 0.005
#define LB_WATCH_MIN_DEV_REL 0.10
/** slow_backend_high_share: latency over this many times the median of
 *  the pool's other backends, and over it by at least LATENCY_MIN_US. */
#define LB_WATCH_LATENCY_FACTOR 3.0
#define LB_WATCH_LATENCY_MIN_US 20000
/** A resolved alert stays in the list this long. */
#define LB_WATCH_RESOLVED_KEEP_S 600
/** Most alerts held; conditions beyond it are counted, not held. */
#define LB_WATCH_ALERTS_MAX 1024

struct lb_watch;

/**
 * A backend's recent check latency (lib/health's lb_health_latency_us in
 * edgelbd): 0 with *us set, or -1 if it has none.
 */
typedef int (*lb_watch_latency_fn)(void *arg, uint16_t backend_id,
				   uint32_t *us);

enum lb_watch_state {
	LB_WATCH_PENDING = 0,
	LB_WATCH_FIRING,
	LB_WATCH_RESOLVED,
};

/** "pending", "firing" or "resolved". */
const char *lb_watch_state_name(enum lb_watch_state s);

/** The last change that touched an alert's pool (audit history). */
struct lb_watch_change {
	uint64_t generation;        /**< 0: none known */
	char time[32];              /**< ISO 8601 UTC */
	char who[96];               /**< "peer uid 0 (edgelbctl)", "health" */
	char command[256];
};

/** One alert, as edgelbctl alerts and metrics show it. */
struct lb_watch_alert {
	const char *name;           /**< "share_skew", ... (static) */
	enum lb_watch_state state;
	char vip[LB_NAME_MAX * 2];  /**< the pool's VIPs, comma-separated */
	char pool[LB_NAME_MAX];
	char backend[LB_NAME_MAX];  /**< "" for pool_below_min_healthy */
	uint16_t backend_id;        /**< LB_ID_NONE with no backend */
	int worker;                 /**< worker_skew: its index; else -1 */
	/* Shares in percent of the pool's new flows in the window; negative:
	 * not applicable (intended: no max_share). */
	double observed, expected, intended;
	uint64_t sample;            /**< new flows the shares are of */
	double statistic;           /**< r of the test (0: no test) */
	double value, limit;        /**< what was compared: flows/s and
				     *   capacity, backends up and needed,
				     *   latency ms and the median */
	char summary[400];          /**< one line saying all of it */
	uint64_t generation;        /**< running when it became pending */
	time_t since, fired, resolved;  /**< wall clock; 0: not yet */
	struct lb_watch_change change;
};

/**
 * A watch over @p rt's running configuration and @p dp's workers. Reads
 * [global] watch_window_s and watch_for_s from each running generation.
 * Allocates its window (LB_MAX_BACKENDS x workers x (window + 1) counters).
 * @return the watch, or NULL on ENOMEM.
 */
struct lb_watch *lb_watch_create(struct lb_runtime *rt, const struct lb_dp *dp);

/** NULL-safe. */
void lb_watch_destroy(struct lb_watch *w);

/** Where check latencies come from (NULL: none; no latency alerts). */
void lb_watch_set_latency(struct lb_watch *w, lb_watch_latency_fn fn,
			  void *arg);

/**
 * Take one sample and judge it: call once a second (@p now_ms, a
 * monotonic clock: durations are measured in it). May record in the
 * audit history and roll back a generation awaiting confirmation (an
 * apply: up to one RCU wait).
 */
void lb_watch_tick(struct lb_watch *w, uint64_t now_ms);

/** Alerts held now (pending, firing, and recently resolved). */
unsigned int lb_watch_alert_count(const struct lb_watch *w);

/** Alert @p i (0..count - 1), oldest first, or NULL. Valid until the next
 *  tick. */
const struct lb_watch_alert *lb_watch_alert_get(const struct lb_watch *w,
						unsigned int i);

/** One alert as an object (shares in percent; null where not applicable;
 *  "change": {generation, time, who, command} or null). */
json_t *lb_watch_alert_json(const struct lb_watch_alert *a);

/**
 * {"alerts": [...], "firing": N, "pending": N, "window_s", "for_s",
 * "samples" (ticks so far), "dropped" (conditions not held: full),
 * "test": {"z", "min_flows", "min_dev_points", "min_dev_relative"},
 * "pools": [{"pool", "vip", "window_s", "new_flows"}] (each pool's window
 * now)}.
 */
json_t *lb_watch_alerts_json(const struct lb_watch *w);

/** What the watch sees of one backend over its pool's window. */
struct lb_watch_obs {
	uint32_t window_s;          /**< seconds of the pool's window (<= the
				     *   configured one after a change) */
	uint64_t new_flows;         /**< in the window */
	uint64_t pool_new_flows;
	double observed_share;      /**< 0..1; 0 with no flows */
	double expected_share;      /**< from the running table, 0..1 */
	double new_flows_per_s, packets_per_s, bytes_per_s;
	uint64_t active_flows;      /**< live flow entries, all workers */
};

/**
 * Backend identity @p id's observation, into @p o.
 * @return 0, or -1 if it is not in the running configuration or nothing
 * was sampled yet.
 */
int lb_watch_backend_obs(const struct lb_watch *w, uint16_t id,
			 struct lb_watch_obs *o);

/** max(LB_WATCH_MIN_DEV_ABS, LB_WATCH_MIN_DEV_REL x @p share) (0..1). */
double lb_watch_min_dev(double share);

#endif
