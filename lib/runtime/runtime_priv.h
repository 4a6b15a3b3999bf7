/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef LB_RUNTIME_PRIV_H
#define LB_RUNTIME_PRIV_H

/* Internal to lib/runtime: the audit file and the change descriptions. */

#include <rte_log.h>

#include "lb_runtime.h"

extern int lb_runtime_logtype;

#define RT_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_##level, lb_runtime_logtype, "runtime: " fmt "\n", \
		##__VA_ARGS__)

struct lb_audit;

/* Open (create) the audit log at @path, keeping @keep records in memory.
 * A file that cannot be opened is an error state, not a failure. NULL
 * only on ENOMEM. */
struct lb_audit *lb_audit_open(const char *path, unsigned int keep);
void lb_audit_close(struct lb_audit *a);
/* Append @rec (reference stolen) to the file (fsync'd) and the ring. */
void lb_audit_record(struct lb_audit *a, json_t *rec);
/* The last @n records, oldest first (new array, shared records). */
json_t *lb_audit_last(const struct lb_audit *a, unsigned int n);
/* The @i-th newest record kept (0: the newest), or NULL. */
const json_t *lb_audit_nth_last(const struct lb_audit *a, unsigned int i);
/* Why the file is not being written, or NULL. */
const char *lb_audit_error(const struct lb_audit *a);
const char *lb_audit_path(const struct lb_audit *a);
/* Records made since open. */
uint64_t lb_audit_total(const struct lb_audit *a);

/* {"kind": ..., "uid": ...} for the audit record. */
json_t *lb_actor_json(const struct lb_actor *who);

/*
 * What changed from @old to @new: "changes" (key by key, from the
 * specifications) and "backends" (added, removed, weight and expected
 * share old -> new, by identity). Adds both to @ans.
 */
void lb_change_describe(json_t *ans, const struct lb_config *old,
			const struct lb_config *new);

#endif
