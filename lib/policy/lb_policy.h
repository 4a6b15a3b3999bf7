/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef LB_POLICY_H
#define LB_POLICY_H

/**
 * @file
 * The operator's intent, checked against the tables the workers would use.
 *
 * A configuration may say what it means, not only weights: a backend's
 * max_share and capacity, a pool's min_healthy, max_weight_ratio,
 * n_minus_1 and max_share_change, a VIP's expected_rate ([global] policy
 * and strict say how hard). lb_policy_evaluate() reads a built snapshot
 * (lb_config_build: its real Maglev tables) and, for a change, the one
 * before it, and returns every finding:
 *
 * - violations: max_share (a backend's expected share above its
 *   max_share), min_healthy, weight_ratio, n_minus_1 (with one backend
 *   down another goes above its max_share), share_change (a backend's
 *   expected share moves more than max_share_change points);
 * - lint findings, warnings unless strict = yes: lint_weight_outlier (10x
 *   or more from the pool's median weight), lint_address_weights (one
 *   address, several pools, different weights), lint_capacity_rate (the
 *   pool cannot take its VIPs' expected_rate), lint_no_headroom (it can,
 *   but not with some one backend down).
 *
 * policy = warn makes every violation a warning. Expected shares are slots
 * in the pool's table over its size. "With one backend down" shares are
 * the slot counts of the table built without it: lb_sched_maglev_count_slots
 * gives those exactly without placing a slot, so the N builds per pool
 * cost O(N^2 log N) in all, not N table fills (see the bench).
 *
 * Management lcore or tools; allocates; never prints except to the FILE
 * given; does not block.
 */

#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "lb_config.h"

enum lb_policy_severity {
	LB_POLICY_WARNING = 0,
	LB_POLICY_VIOLATION,
};

/**
 * Every finding lib/policy can report, one row each: its code (stable: in
 * text, JSON, the audit history and docs/best-practices.md, which explains
 * each), whether it is a rule (a violation; a warning under policy = warn)
 * or lint (a warning; a violation under strict = yes), and what it means.
 * lib/runtime adds one code of its own, policy_unavailable, when the gate
 * cannot answer.
 */
#define LB_POLICY_CODES(X)                                                  \
	X(max_share, RULE, "a backend would get more of its pool's new "    \
	  "flows than its max_share")                                       \
	X(min_healthy, RULE, "fewer backends up with weight > 0 than the "  \
	  "pool's min_healthy")                                             \
	X(weight_ratio, RULE, "highest to lowest weight in a pool above "   \
	  "its max_weight_ratio")                                           \
	X(n_minus_1, RULE, "with one backend down, another would exceed "   \
	  "its max_share, or nothing would be left")                        \
	X(share_change, RULE, "a backend's expected share would move more " \
	  "than the pool's max_share_change")                               \
	X(lint_weight_outlier, LINT, "a weight 10x or more from its pool's "\
	  "median")                                                         \
	X(lint_address_weights, LINT, "one address with different weights "\
	  "in several pools")                                               \
	X(lint_no_headroom, LINT, "with one backend down, the others' "     \
	  "capacity is below the VIP's expected_rate")                      \
	X(lint_capacity_rate, LINT, "a backend's capacity is below its "    \
	  "share of expected_rate")

enum lb_policy_code {
#define LB_POLICY_CODE_ENUM(name, kind, help) LB_FINDING_##name,
	LB_POLICY_CODES(LB_POLICY_CODE_ENUM)
#undef LB_POLICY_CODE_ENUM
	LB_FINDING_N_CODES
};

/** A row of LB_POLICY_CODES. */
struct lb_policy_code_desc {
	const char *name;
	int lint;                   /**< 1: lint, 0: a rule */
	const char *help;
};

/** LB_POLICY_CODES as a table, indexed by enum lb_policy_code. */
extern const struct lb_policy_code_desc lb_policy_codes[LB_FINDING_N_CODES];

#define LB_POLICY_WHERE_MAX 320
#define LB_POLICY_MSG_MAX 512

/** One finding. Names are "" when the finding has none. */
struct lb_policy_finding {
	enum lb_policy_severity severity;
	const char *code;           /**< lb_policy_codes[].name */
	char message[LB_POLICY_MSG_MAX];
	/** "file:line" (or a runtime origin) of the value that causes it */
	char where[LB_POLICY_WHERE_MAX];
	char pool[LB_NAME_MAX];
	char vip[LB_NAME_MAX];
	char backend[LB_NAME_MAX];
};

/** Ask for the one-down shares of every pool, not only of those whose
 *  policy needs them (--check prints them). */
#define LB_POLICY_ALL_N1 0x1u

/** What lb_policy_evaluate() found and the shares it judged by. */
struct lb_policy_report {
	uint32_t n_findings;
	uint32_t n_violations;
	uint32_t n_warnings;
	struct lb_policy_finding *findings;
	/* By backend index of the evaluated snapshot (n_backends each): */
	double *share;              /**< expected share, percent (0..100) */
	/** Worst share with any one other backend of its table down,
	 *  percent; negative: not computed (or no other backend). */
	double *worst;
	/** The backend whose failure gives worst (index), or UINT32_MAX. */
	uint32_t *worst_down;
	/** By backend index: its expected share before the change, percent;
	 *  negative: not in the configuration before (or no before). */
	double *before;
};

/**
 * Evaluate @p after's policy (against @p before for share_change, if not
 * NULL). Findings come in a fixed order: by pool, then by rule.
 *
 * @return the report (free with lb_policy_report_free), NULL on ENOMEM.
 */
struct lb_policy_report *lb_policy_evaluate(const struct lb_config *before,
					    const struct lb_config *after,
					    unsigned int flags);

/** NULL-safe. */
void lb_policy_report_free(struct lb_policy_report *r);

/** One finding as an object: severity, code, message, where, pool, vip,
 *  backend (null when it has none). */
json_t *lb_policy_finding_json(const struct lb_policy_finding *f);

/** Every finding of @p r, an array of lb_policy_finding_json(). */
json_t *lb_policy_findings_json(const struct lb_policy_report *r);

/**
 * The change gate the runtime calls before it applies @p after in place of
 * @p before (NULL: the first configuration). @p arg is unused.
 *
 * @return a new array of finding objects (lb_policy_finding_json; empty
 * when all is well): the caller refuses the change if one has severity
 * "violation". NULL on ENOMEM.
 */
json_t *lb_policy_gate(const struct lb_config *before,
		       const struct lb_config *after, void *arg);

/**
 * The check report of @p cfg into @p out: per VIP and backend the
 * weight, expected share, max_share and worst share with any one other
 * backend down (evaluated with LB_POLICY_ALL_N1), the pool's fingerprint,
 * backends out of the table, then every finding as
 * "where: violation|warning [code] message".
 */
void lb_policy_print(const struct lb_config *cfg,
		     const struct lb_policy_report *r, FILE *out);

/**
 * The same report as JSON: {"vips": [{name, protocol, address, port, pool,
 * fingerprint, backends: [{name, address, weight, expected_share,
 * max_share, worst_share_one_down, worst_when_down, slots, state}]}],
 * "pools": {name: fingerprint}, "findings": [...], "violations": N,
 * "warnings": N}. Shares are percent; unset policy values are null.
 */
json_t *lb_policy_report_json(const struct lb_config *cfg,
			      const struct lb_policy_report *r);

#endif
