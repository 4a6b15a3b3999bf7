/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef LB_METRICS_PRIV_H
#define LB_METRICS_PRIV_H

/* Shared between the files of lib/metrics only. */

#include "lb_metrics.h"

/* Longest label value written whole (names are < LB_NAME_MAX). */
#define LB_METRICS_LABEL_MAX 256

struct lb_metrics_out {
	char *buf;
	size_t len, cap;
	int oom;                /* an allocation failed: the render fails */
	char family[128];       /* the family samples belong to */
};

struct lb_metrics {
	struct lb_metrics_src src;
	struct {
		lb_metrics_collect_fn fn;
		void *arg;
	} collectors[LB_METRICS_MAX_COLLECTORS];
	unsigned int n;
};

void metrics_out_printf(struct lb_metrics_out *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* collect.c: edgelb's own families, from a struct lb_metrics_src. */
void metrics_collect_edgelb(struct lb_metrics_out *o, void *arg);

/* telemetry.c: drop the published exposition (callbacks answer nothing). */
void metrics_telemetry_clear(void);

#endif
