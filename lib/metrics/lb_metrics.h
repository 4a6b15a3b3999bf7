/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef LB_METRICS_H
#define LB_METRICS_H

/**
 * @file
 * Metrics in the Prometheus text exposition format (version 0.0.4), served
 * on GET /metrics by lib/http and, as the same text, to DPDK telemetry
 * under /edgelb/.
 *
 * An exposition is written by collectors: functions registered with
 * lb_metrics_register() that each write one or more metric families
 * (lb_metrics_family(), then its samples). edgelb's own collectors
 * (lb_metrics_create) write the workers' counters - every row of every
 * counter descriptor table (lb_stats.h, lb_excpath.h), named by
 * lb_metrics_counter_name(), so JSON, CLI and metrics read one table -,
 * per-backend shares, weights and health, NIC counters, worker loops and
 * the configuration's generation and changes. Other parts of the daemon
 * (the distribution watch: edgelb_alert, observed shares over a window)
 * add theirs with lb_metrics_register().
 *
 * Rendering runs on the management lcore: collectors read what
 * management owns (runtime, health checker) directly.
 */

#include <stddef.h>
#include <stdint.h>

#include "lb_dataplane.h"
#include "lb_excpath.h"
#include "lb_health.h"
#include "lb_http.h"
#include "lb_runtime.h"
#include "lb_stats.h"

/** Most collectors one registry holds. */
#define LB_METRICS_MAX_COLLECTORS 16

enum lb_metrics_type { LB_METRICS_COUNTER, LB_METRICS_GAUGE };

/** One label of a sample; the value is escaped on output. */
struct lb_metrics_label {
	const char *name;
	const char *value;
};

/** An exposition being written (a growing text buffer). */
struct lb_metrics_out;

/**
 * Start family @p name (a valid metric name; counters end in _total) with
 * its HELP and TYPE lines. Samples written next belong to it. Each family
 * once per exposition: a collector writes all of a family's samples
 * together.
 */
void lb_metrics_family(struct lb_metrics_out *o, const char *name,
		       enum lb_metrics_type type, const char *help);

/** One sample of the current family: labels (@p n, may be 0) and value. */
void lb_metrics_sample(struct lb_metrics_out *o,
		       const struct lb_metrics_label *labels, unsigned int n,
		       double value);

/** The same for an integer (exact beyond 2^53). */
void lb_metrics_sample_u64(struct lb_metrics_out *o,
			   const struct lb_metrics_label *labels,
			   unsigned int n, uint64_t value);

/**
 * The metric name of descriptor @p d under @p prefix: prefix + name, plus
 * "_total" for a counter ("edgelb_flow_" + "lookups" ->
 * "edgelb_flow_lookups_total"). @return the length, as snprintf.
 */
int lb_metrics_counter_name(char *buf, size_t n, const char *prefix,
			    const struct lb_counter_desc *d);

/** Write label value @p v escaped as the format wants (\\, \", \n) into
 *  @p buf; @return the length it needs, as snprintf. */
size_t lb_metrics_escape(char *buf, size_t n, const char *v);

/** A collector: write families to @p o. Management lcore. */
typedef void (*lb_metrics_collect_fn)(struct lb_metrics_out *o, void *arg);

/** What edgelb's own collectors read. */
struct lb_metrics_src {
	const struct lb_dp *dp;
	const struct lb_runtime *rt;     /**< NULL: no config families */
	const struct lb_health *health;  /**< NULL: nothing is checked */
	const struct lb_excpath *xp;     /**< NULL: no kernel interfaces */
	int read_nics;                   /**< rte_eth_stats_get per port */
	const char *version;
	uint64_t start_time;             /**< time(NULL) at start */
};

struct lb_metrics;

/**
 * A registry holding edgelb's own collectors for @p src (copied).
 * Management lcore; allocates. @return NULL on ENOMEM.
 */
struct lb_metrics *lb_metrics_create(const struct lb_metrics_src *src);

/** Free the registry (and its telemetry snapshot, see below). NULL-safe. */
void lb_metrics_destroy(struct lb_metrics *m);

/**
 * Add collector @p fn, called after those registered before it.
 * @return 0, or -ENOSPC (LB_METRICS_MAX_COLLECTORS).
 */
int lb_metrics_register(struct lb_metrics *m, lb_metrics_collect_fn fn,
			void *arg);

/**
 * Render the whole exposition: every collector in order. Management
 * lcore; allocates. @return a malloc'd NUL-terminated text (length in
 * *@p len), or NULL on ENOMEM.
 */
char *lb_metrics_render(struct lb_metrics *m, size_t *len);

/** Serve GET /metrics on @p h. @return as lb_http_route(). */
int lb_metrics_serve(struct lb_metrics *m, struct lb_http *h);

/**
 * DPDK telemetry commands under /edgelb/ (families, stats, generation,
 * backends, backend, workers, worker, ports, port). Their callbacks run
 * on DPDK's telemetry thread and never touch management state: they read
 * the last exposition that lb_metrics_publish() handed over. Once per
 * process (DPDK cannot unregister a command); after rte_eal_init().
 * @return 0, or the first rte_telemetry_register_cmd() error.
 */
int lb_metrics_telemetry_register(void);

/**
 * Render and hand the exposition over to the telemetry commands (the old
 * one is freed). Management lcore: call about once a second. @return 0,
 * or -ENOMEM (the old one stays).
 */
int lb_metrics_publish(struct lb_metrics *m);

/**
 * Answer telemetry command @p cmd with @p params from exposition @p text,
 * into @p d, as the telemetry callbacks do. For tests; any thread.
 * @return 0, or -1 (unknown command or parameters).
 */
struct rte_tel_data;
int lb_metrics_telemetry_answer(const char *text, const char *cmd,
				const char *params, struct rte_tel_data *d);

#endif
