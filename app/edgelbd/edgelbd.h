/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EDGELBD_H
#define EDGELBD_H

#include <stdint.h>
#include <syslog.h>

#include <rte_common.h>
#include <rte_mempool.h>

#include "lb_config.h"
#include "lb_dataplane.h"
#include "lb_excpath.h"
#include "lb_runtime.h"

/* Unanswered ARP requests are repeated after; resolved next hops are
 * asked again after (see lb_neigh.h). */
#define EDGELBD_ARP_RETRY_MS 500
#define EDGELBD_ARP_REFRESH_S 30

#define EDGELBD_VERSION "0.1.0"
#define EDGELBD_ERR_MAX 512

/* eal.c: build EAL's argv from the configuration and start EAL. */
int edgelbd_eal_init(const struct lb_config *cfg, const char *argv0,
		     char *err, size_t errlen);
/* eal.c: rte_eal_cleanup() and free what edgelbd_eal_init() kept. */
void edgelbd_eal_cleanup(void);

/* ports.c: configure and start every port with one queue pair per worker. */
int edgelbd_ports_init(const struct lb_config *cfg, struct lb_dp *dp,
		       struct rte_mempool **mp, char *err, size_t errlen);
void edgelbd_ports_stop(const struct lb_dp *dp);

/* control.c: the management loop; returns when SIGINT/SIGTERM arrives.
 * @xp: the kernel exception path, served from the same loop. */
int edgelbd_control_run(struct lb_dp *dp, struct lb_runtime *rt,
			struct lb_excpath *xp, struct rte_mempool *mp,
			char *err, size_t errlen);

/* check.c: edgelbd --check FILE... and --diff OLD NEW (no DPDK).
 * @return the exit status: 0, or 1 on any error or violation. */
int edgelbd_check(char **files, int n, int as_json);
int edgelbd_diff(const char *old_path, const char *new_path, int as_json);

/*
 * log.c: the daemon's one log stream (DPDK's rte_log and edgelbd_log()),
 * to stderr, each line once; "<N>" syslog priority prefixes when stderr is
 * the journal (JOURNAL_STREAM). Any thread may log.
 */
/** Install the stream with rte_openlog_stream(); call before anything logs
 *  and before rte_eal_init(). Returns 0, or -1 (then DPDK's default). */
int edgelbd_log_open(void);
/** Log "edgelbd: MESSAGE" at syslog @p priority (LOG_ERR, LOG_NOTICE...)
 *  through rte_log with the edgelb.daemon logtype (filtered by
 *  --log-level like every DPDK logtype). */
void edgelbd_log(int priority, const char *fmt, ...)
	__rte_format_printf(2, 3);

/*
 * service.c: the systemd notification protocol (sd_notify(3)). Each is a
 * no-op when NOTIFY_SOCKET is unset. Management lcore only; never block.
 */
/** READY=1: workers forward and the management socket listens. */
void edgelbd_sd_ready(void);
/** STATUS=<printf>, one line (newlines become spaces), shown by
 *  `systemctl status`. */
void edgelbd_sd_status(const char *fmt, ...) __rte_format_printf(1, 2);
/** STATUS= from @p dp's published snapshot: "generation G, V VIPs, U/B
 *  backends up" (B excludes removed backends). Call after each change. */
void edgelbd_sd_status_of(const struct lb_dp *dp);
/** The watchdog interval systemd asked for (WATCHDOG_USEC, checked against
 *  WATCHDOG_PID by sd_watchdog_enabled()), in ms; 0 without a watchdog. */
uint64_t edgelbd_sd_watchdog_interval_ms(void);
/** WATCHDOG=1, at most once per half interval: cheap to call every tick. */
void edgelbd_sd_watchdog(void);
/** RELOADING=1 (with MONOTONIC_USEC): a reload starts. */
void edgelbd_sd_reloading(void);
/** READY=1 again: the reload is done (send STATUS= too). */
void edgelbd_sd_reloaded(void);
/** STOPPING=1: shutdown has begun. */
void edgelbd_sd_stopping(void);

#endif
