/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef LB_POLICY_PRIV_H
#define LB_POLICY_PRIV_H

/* Internal to lib/policy: one evaluation's state and the rules' helpers. */

#include "lb_policy.h"

struct policy_ctx {
	const struct lb_config *cfg;        /* evaluated */
	const struct lb_config *before;     /* NULL: no change to judge */
	struct lb_policy_report *r;
	unsigned int flags;
	uint32_t cap;                       /* findings allocated */
	int failed;                         /* ENOMEM: the report is void */
	uint32_t *removed;                  /* before's backends not in cfg */
	uint32_t n_removed;
	struct lb_policy_finding scratch;   /* written when failed */
};

/* A finding, its severity from its code's kind, strict and policy;
 * never NULL. */
struct lb_policy_finding *policy_add(struct policy_ctx *c,
				     enum lb_policy_code code,
				     const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

void policy_names(const struct lb_config *cfg, struct lb_policy_finding *f,
		  uint32_t pi, uint32_t b);
void policy_where(const struct lb_config *cfg, const char *kind,
		  const char *name, const char *key, char *buf, size_t size);
int policy_is_set(const struct lb_config *cfg, const char *kind,
		  const char *name, const char *key);
int policy_configured(const struct lb_backend_conf *be, uint32_t pi);
uint64_t policy_pool_rate(const struct lb_config *cfg, uint32_t pi,
			  uint32_t *first);
int policy_capacity_known(const struct lb_config *cfg, uint32_t pi);

/* lint.c */
int policy_fill_before(struct policy_ctx *c);
void policy_rule_share_change(struct policy_ctx *c, uint32_t pi);
void policy_lint_pool(struct policy_ctx *c, uint32_t pi);
void policy_lint_addresses(struct policy_ctx *c);

#endif
