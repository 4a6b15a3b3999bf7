/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EDGELBD_H
#define EDGELBD_H

#include <rte_mempool.h>

#include "lb_config.h"
#include "lb_dataplane.h"

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

/*
 * control.c: the management loop; returns when SIGINT/SIGTERM arrives
 * (SIGHUP is logged: reload is not wired yet). Expects SIGINT, SIGTERM and
 * SIGHUP blocked in every thread.
 */
int edgelbd_control_run(struct lb_dp *dp, struct rte_mempool *mp,
			char *err, size_t errlen);

#endif
