/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TEST_RUNTIME_H
#define TEST_RUNTIME_H

/*
 * The start of a unit test of lib/runtime or of what uses it: a dataplane
 * of N workers (lcores 1..N, never launched: the test drives them) and a
 * runtime on a configuration file, as edgelbd makes them, and their end.
 */

#include <stdio.h>
#include <stdlib.h>

#include <rte_memory.h>

#include "lb_runtime.h"

/*
 * @return the runtime on @p ini over a new dataplane of @p n_workers
 * (in @p dp; freed by trt_destroy, also after a failure), or NULL with
 * the reason on stderr.
 */
static inline struct lb_runtime *
trt_create(struct lb_dp **dp, unsigned int n_workers, const char *ini)
{
	struct lb_config_error err;
	struct lb_runtime *rt;
	struct lb_config *c;
	char msg[256];
	unsigned int i;

	*dp = lb_dp_create(n_workers);
	if (*dp == NULL)
		return NULL;
	for (i = 0; i < n_workers; i++)
		if (lb_dp_worker_create(*dp, i, i + 1, SOCKET_ID_ANY,
					1024) != 0)
			return NULL;
	c = lb_config_parse(ini, &err);
	if (c == NULL) {
		fprintf(stderr, "%s\n", err.msg);
		return NULL;
	}
	rt = lb_runtime_create(*dp, c, 1000, 100000, msg, sizeof(msg));
	if (rt == NULL)
		fprintf(stderr, "%s\n", msg);
	return rt;
}

/* Destroy @p rt and @p dp (either may be NULL) and remove @p dir.
 * @return 0, -1 if @p dir could not be removed. */
static inline int
trt_destroy(struct lb_runtime *rt, struct lb_dp *dp, const char *dir)
{
	char cmd[128];

	lb_runtime_destroy(rt);
	lb_dp_free(dp);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

#endif
