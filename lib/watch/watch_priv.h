/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef LB_WATCH_PRIV_H
#define LB_WATCH_PRIV_H

/* Inside lib/watch: the window, the statistics, the alert table. */

#include <rte_log.h>

#include "lb_watch.h"

extern int lb_watch_logtype;

#define WATCH_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_##level, lb_watch_logtype, "watch: " fmt "\n", \
		##__VA_ARGS__)

/* ---- stat.c: signed roots of likelihood-ratio statistics --------------
 * Each is about N(0, 1) when the hypothesis holds, positive when the
 * observation is above it; +-INFINITY when it is impossible under it. */

/* k of n against a binomial share p. */
double watch_binom_r(uint64_t k, uint64_t n, double p);
/* k events against a Poisson mean lambda. */
double watch_pois_r(uint64_t k, double lambda);
/* k1 of n1 against k2 of n2 (one share for both): positive when k1/n1 is
 * the larger. */
double watch_two_r(uint64_t k1, uint64_t n1, uint64_t k2, uint64_t n2);

/* The one test of every share rule: k of n differs from share p
 * significantly (|r| >= LB_WATCH_Z; dir > 0: above only) and by at least
 * lb_watch_min_dev(p), with at least LB_WATCH_MIN_FLOWS flows. *r gets
 * the statistic (0 below the minimum). */
int watch_share_differs(uint64_t k, uint64_t n, double p, int dir,
			double *r);

/* ---- alert.c ----------------------------------------------------------- */

/* A condition that holds now: what rules.c finds. */
struct watch_cond {
	const char *name;
	const char *pool;
	const char *vip;
	const char *backend;        /* "" for none */
	uint16_t backend_id;
	int worker;
	double observed, expected, intended;  /* 0..1; < 0: none */
	uint64_t sample;
	double statistic, value, limit;
	char summary[320];
};

struct watch_alert {
	struct lb_watch_alert pub;
	uint8_t seen;               /* its condition held this tick */
	uint64_t since_ms;          /* pending since */
	uint64_t clear_ms;          /* condition gone since; 0: holds */
	uint64_t resolved_ms;
};

struct watch_alerts {
	struct watch_alert *a;
	unsigned int n, cap;
	uint64_t dropped;
};

struct lb_watch;

/* The condition holds this tick: a new alert (pending) or an update. */
void watch_alert_hold(struct lb_watch *w, const struct watch_cond *c,
		      uint64_t now_ms);
/* After every condition of the tick: pending -> firing, -> resolved,
 * expire resolved ones; may ask for a rollback (watch->abort_reason). */
void watch_alerts_step(struct lb_watch *w, uint64_t now_ms);
void watch_alerts_free(struct watch_alerts *t);

/* ---- watch.c ----------------------------------------------------------- */

/* What one pool's window holds, per tick. */
struct watch_pool {
	char name[LB_NAME_MAX];
	uint64_t fingerprint;
	uint64_t start_tick;        /* window counts from this sample */
	uint32_t len;               /* seconds in the window now */
	uint64_t n;                 /* new flows in the window */
	uint64_t *n_w;              /* per worker */
	char vips[LB_NAME_MAX * 2];
	uint32_t in_table;          /* members with slots */
	uint32_t *lat;              /* check latencies, sorted (rules.c) */
	uint32_t n_lat;
	uint64_t lat_tick;          /* the tick they were read */
};

struct lb_watch {
	struct lb_runtime *rt;
	const struct lb_dp *dp;
	unsigned int n_workers;
	uint32_t window_s, for_s;
	uint32_t slots;             /* ring length: window_s + 1 */
	uint64_t tick;              /* samples taken */
	uint64_t seq;               /* snapshot seq the pools follow */
	/* By backend identity: */
	uint8_t tracked[LB_MAX_BACKENDS];
	uint16_t epoch[LB_MAX_BACKENDS];
	uint64_t *last;             /* [id][worker][3]: raw counters */
	uint32_t *cum;              /* [id][slot][worker]: new flows, mod 2^32 */
	uint64_t *cum_pb;           /* [id][slot][2]: packets, bytes */
	uint64_t active[LB_MAX_BACKENDS];
	uint64_t *k_w;              /* [id][worker]: window counts of a tick */
	struct watch_pool *pools;
	uint32_t n_pools;
	lb_watch_latency_fn latency;
	void *latency_arg;
	struct watch_alerts alerts;
	char abort_reason[512];     /* a firing alert asks for a rollback */
};

/* rules.c: judge every pool of @cfg; conditions go to watch_alert_hold. */
void watch_rules_run(struct lb_watch *w, const struct lb_config *cfg,
		     uint64_t now_ms);

/* New flows of backend identity @id in its pool's window (len seconds),
 * of worker @wk or of all (-1). */
uint64_t watch_window_count(const struct lb_watch *w, uint16_t id,
			    uint32_t len, int wk);

#endif
