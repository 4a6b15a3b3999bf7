/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef LB_RUNTIME_H
#define LB_RUNTIME_H

/**
 * @file
 * The one way to change what the workers run.
 *
 * Every change - a reload, a runtime command, a rollback, a neighbour
 * update, later a health transition - goes through one apply: build the
 * new configuration from a specification (identities taken by name from
 * registries that live as long as the process), publish one snapshot
 * (configuration, next hops, generation) behind one pointer, wait once
 * for every worker's quiescent state, free the old snapshot, record the
 * change in the audit history. A change that fails to build changes
 * nothing and is recorded with its errors.
 *
 * Management lcore only: nothing here is thread-safe, and apply blocks for
 * at most one worker loop (the RCU wait).
 */

#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include <jansson.h>

#include "lb_config.h"
#include "lb_dataplane.h"

/** Who made a change: what the audit history says. */
enum lb_actor_kind {
	LB_ACTOR_PEER,      /**< a management socket client (SO_PEERCRED) */
	LB_ACTOR_SIGNAL,    /**< SIGHUP */
	LB_ACTOR_STARTUP,   /**< the configuration edgelbd started with */
	LB_ACTOR_NEIGH,     /**< ARP resolution of a next hop */
	LB_ACTOR_HEALTH,    /**< a health check transition */
	LB_ACTOR_RUNTIME,   /**< edgelbd itself (forgetting removed backends) */
	LB_ACTOR_WATCH,     /**< the distribution watch (lib/watch): its
			     *   alerts' transitions, which change nothing */
};

/** An lb_actor flag: apply the change even if the policy gate finds
 *  violations. The caller checked that the actor may (an admin). */
#define LB_ACTOR_FORCE (1u << 0)

struct lb_actor {
	enum lb_actor_kind kind;
	uid_t uid;
	gid_t gid;
	pid_t pid;
	char comm[16];
	unsigned int flags;     /**< LB_ACTOR_FORCE; 0 for every other actor */
};

/** Most generations kept for rollback and in the in-memory history. */
#define LB_RUNTIME_GENERATIONS 64
#define LB_RUNTIME_HISTORY 1000

struct lb_runtime;
struct lb_spec;
struct lb_evloop;

/**
 * The policy gate every change passes: what @p after (about to be
 * published) breaks of what the configuration intends, given what ran
 * before (@p before; NULL at startup). Returns a new JSON array of
 * findings, each {"severity": "violation" | "warning", "code", "message",
 * "where" ("file:line"), "pool", "vip", "backend"}, or NULL when it could
 * not decide (treated as one violation: an operator's change is refused
 * unless forced). Must not keep either configuration. Management lcore.
 * lib/policy's lb_policy_gate is the one edgelbd uses.
 */
typedef json_t *(*lb_runtime_gate_fn)(const struct lb_config *before,
				      const struct lb_config *after,
				      void *arg);

/**
 * Take over @p cfg (freed by the runtime from now on) as generation 1 and
 * publish it with a neighbour table holding its static next hops.
 * Identities of its backends and VIPs are registered by name. Opens
 * cfg->global.audit_log (failing to is reported by status, never fatal).
 * Management lcore, before the workers start.
 * @return the runtime, or NULL with @p err set.
 */
struct lb_runtime *lb_runtime_create(struct lb_dp *dp, struct lb_config *cfg,
				     uint64_t arp_retry_tsc,
				     uint64_t arp_refresh_tsc,
				     char *err, size_t errlen);

/**
 * Pass every change from now on through @p fn (NULL: none), and judge the
 * running generation with it at once (status shows what it finds).
 *
 * What a violation does depends on who made the change. An operator's
 * change (LB_ACTOR_PEER, LB_ACTOR_SIGNAL) is refused - nothing changes,
 * the answer is {"error": "refused by policy: FIRST (+N more)",
 * "violations": [...], "warnings": [...]} and the refusal is recorded with
 * them - unless the actor has LB_ACTOR_FORCE: then it is applied and the
 * answer and record say "forced": true, "overridden": [violations].
 * Everything else (health transitions, neighbours, edgelbd's own slow
 * starts and rollbacks) is never refused: its answer and record list the
 * violations it leaves. Warnings never refuse; they are in the answer and
 * the record ("warnings"). The running generation's findings stay for
 * lb_runtime_status ("policy").
 */
void lb_runtime_set_gate(struct lb_runtime *rt, lb_runtime_gate_fn fn,
			 void *arg);

/**
 * Split @p findings (a gate's answer; NULL counts as one violation, "the
 * policy could not be evaluated") into new arrays of violations and of
 * warnings (a severity other than "warning" is a violation: unknown means
 * refuse). For callers that judge a configuration outside the runtime
 * (edgelbd at startup). @return the number of violations.
 */
size_t lb_runtime_findings_split(const json_t *findings, json_t **violations,
				 json_t **warnings);

/** A finding as one line: "FILE:LINE: message" (the message alone
 *  without a "where"), cut to @p n. */
void lb_runtime_finding_text(const json_t *f, char *buf, size_t n);

/**
 * Time pending confirmations (lb_runtime_reload_confirmed) with a
 * one-shot timer on @p loop (NULL: cancel it; do so before destroying the
 * loop). Without a loop, lb_runtime_tick() notices a passed deadline (up
 * to a tick late).
 * @return 0, or -errno if the timer cannot be made.
 */
int lb_runtime_attach_loop(struct lb_runtime *rt, struct lb_evloop *loop);

/** Free everything, the published snapshot included: after the workers
 *  stopped. NULL-safe. */
void lb_runtime_destroy(struct lb_runtime *rt);

/** What the workers run now. */
const struct lb_snapshot *lb_runtime_snapshot(const struct lb_runtime *rt);

/** The name a backend identity was given (also once removed), or NULL. */
const char *lb_runtime_backend_name(const struct lb_runtime *rt, uint32_t id);
/** Same for a VIP identity. */
const char *lb_runtime_vip_name(const struct lb_runtime *rt, uint32_t id);

/**
 * Live flow entries on backend identity @p id, summed over the workers
 * (a moment's view).
 */
uint64_t lb_runtime_backend_flows(const struct lb_runtime *rt, uint32_t id);

/**
 * Apply @p spec (consumed) as the new configuration: the one apply.
 * @p command is what the audit history shows (e.g. "weight web1 5").
 * @return 0 with *answer describing what changed (generation before and
 * after, keys old -> new, per backend added/removed/weight/expected share,
 * policy findings), or -1 with *answer = {"error": ..., "errors": [...]}
 * and nothing changed. Either way the change is recorded.
 *
 * Passes the gate (lb_runtime_set_gate). While a generation awaits
 * confirmation (lb_runtime_reload_confirmed), an operator's change other
 * than a rollback is refused: the automatic rollback restores what ran
 * before and would silently undo it.
 */
int lb_runtime_apply(struct lb_runtime *rt, struct lb_spec *spec,
		     const struct lb_actor *who, const char *command,
		     json_t **answer);

/**
 * Read @p path (NULL: the file the running configuration came from),
 * validate it fully and apply it, refusing any difference in keys that
 * cannot change while running. Discards the runtime changes made since
 * the last reload, and lists them in the answer ("discarded").
 */
int lb_runtime_reload(struct lb_runtime *rt, const char *path,
		      const struct lb_actor *who, json_t **answer);

/**
 * Set one key of the running specification (value NULL: back to its
 * default) and apply: the runtime commands (weight, drain, ...).
 */
int lb_runtime_set(struct lb_runtime *rt, const char *section,
		   const char *key, const char *value,
		   const struct lb_actor *who, const char *command,
		   json_t **answer);

/**
 * Apply the configuration generation @p generation ran with (0: the one
 * before the running one) as a new generation. An operator's rollback
 * ends a pending confirmation (the answer says "cancels_pending": G): what
 * runs is the operator's choice now.
 */
int lb_runtime_rollback(struct lb_runtime *rt, uint64_t generation,
			const struct lb_actor *who, const char *command,
			json_t **answer);

/**
 * Commit-confirmed apply: lb_runtime_reload of @p path (gate included;
 * @p command for the audit), then, unless lb_runtime_confirm() comes
 * within @p within_ms, roll back by itself to the specification that ran
 * before - one apply made by edgelbd (LB_ACTOR_RUNTIME), command
 * "rollback: generation G not confirmed within S s", never refused by the
 * gate. What health checks and ARP learned meanwhile stays: the rollback
 * restores the specification and builds it with the current overlays, as
 * every build does; the runtime changes the reload discarded come back.
 * One at a time: refused while another is pending.
 * @return as lb_runtime_reload; the answer adds "confirm": {"generation",
 * "restores", "within_s", "deadline"}.
 */
int lb_runtime_reload_confirmed(struct lb_runtime *rt, const char *path,
				uint64_t within_ms, const struct lb_actor *who,
				const char *command, json_t **answer);

/**
 * Keep the generation awaiting confirmation. Recorded.
 * @return 0 with *answer {"confirmed": G, "generation": running}, or -1
 * with *answer = {"error": ...} if nothing is pending (recorded as
 * refused).
 */
int lb_runtime_confirm(struct lb_runtime *rt, const struct lb_actor *who,
		       const char *command, json_t **answer);

/**
 * Roll the generation awaiting confirmation back now, as its deadline
 * would: for a watch that finds it bad before the deadline. Recorded as
 * made by edgelbd, command "rollback: generation G aborted: @p reason".
 * @return 0 if it was rolled back, -1 if nothing was pending or the
 * rollback failed (logged and recorded; nothing is pending any more).
 */
int lb_runtime_pending_abort(struct lb_runtime *rt, const char *reason);

/** The generation awaiting confirmation, or 0. */
uint64_t lb_runtime_pending(const struct lb_runtime *rt);

/**
 * What applying @p path would change, without applying anything: the
 * shape of an apply's answer ("generation" is the running one; keys,
 * backends with weight, state and expected share old -> new), with what
 * the gate would say: "violations" and "warnings" (arrays of findings)
 * and "refused" (true: a reload of @p path without --force would be
 * refused). Or the errors ({"error", "errors"}).
 */
json_t *lb_runtime_diff(struct lb_runtime *rt, const char *path);

/**
 * lb_runtime_diff, and the configuration @p path would run: *@p built
 * (NULL: not wanted) gets it, built exactly as a reload would build it
 * now - the health checks' down backends, slow-start ramps, flows in use,
 * identities from copies of the registries (a what-if takes none) - for
 * the caller to judge and free (lb_config_free); NULL on an error. Never
 * published, never recorded.
 */
json_t *lb_runtime_whatif(struct lb_runtime *rt, const char *path,
			  struct lb_config **built);

/** Record a change refused before it reached apply (access, arguments). */
void lb_runtime_record_refused(struct lb_runtime *rt,
			       const struct lb_actor *who,
			       const char *command, const char *error);

/** Changes recorded since start, by result (the audit's "result"). */
struct lb_runtime_changes {
	uint64_t applied;       /**< "ok": a new generation runs */
	uint64_t refused;       /**< "refused": nothing changed (policy,
				 *   access, arguments, non-runtime keys) */
	uint64_t failed;        /**< "failed": the build or publish failed */
};

/** The counts of recorded changes by result. Management lcore. */
const struct lb_runtime_changes *
lb_runtime_changes(const struct lb_runtime *rt);

/**
 * When the running configuration generation was made (time(NULL) of its
 * apply; start time for generation 1), or 0 if unknown.
 */
time_t lb_runtime_generation_time(const struct lb_runtime *rt);

/** The running generation's policy findings, as status "policy" lists
 *  them: @return the violations; *@p warnings the warnings. */
size_t lb_runtime_policy_counts(const struct lb_runtime *rt,
				size_t *warnings);

/**
 * Record something that changes nothing (generation_before = generation),
 * such as an alert's transition or a BGP announcement: a record like every
 * other, never counted in lb_runtime_changes(), with
 * @p result (e.g. "alert") and the members of @p detail (a JSON object,
 * reference stolen; NULL: none) added to it.
 */
void lb_runtime_record_event(struct lb_runtime *rt, const struct lb_actor *who,
			     const char *command, const char *result,
			     json_t *detail);

/**
 * The most recent record in the in-memory history of a change that
 * touched pool @p pool: applied ("ok", a new generation) and naming the
 * pool, one of its VIPs or one of its backends (running configuration;
 * a backend's old pool too) in its key changes, backends, health
 * transitions or pools; else the start (the configuration edgelbd started
 * with made every pool). @return a new reference to the record ({"time",
 * "generation", "who", "command", ...}), or NULL if none is kept.
 * Management lcore; walks the history (LB_RUNTIME_HISTORY at most).
 */
json_t *lb_runtime_last_change(const struct lb_runtime *rt, const char *pool);

/** Records made so far: lets a caller tell whether a call recorded. */
uint64_t lb_runtime_records(const struct lb_runtime *rt);

/** The last @p n records of the audit history, oldest first. */
json_t *lb_runtime_history(const struct lb_runtime *rt, unsigned int n);

/**
 * Running generation, when and by whom it was made, the audit log's state,
 * whether the running configuration differs from its file on disk,
 * whether the scheduler's hash key was configured or generated (never the
 * key), the running generation's policy findings ("policy":
 * {"violations", "warnings", "generation"}) and the confirmation awaited
 * ("pending_confirm": {"generation", "restores", "deadline",
 * "seconds_left", "within_s", "by", "command"} or null).
 */
json_t *lb_runtime_status(struct lb_runtime *rt);

/** The running configuration as an INI file (malloc'd), runtime changes
 *  included. */
char *lb_runtime_config_ini(const struct lb_runtime *rt);

/**
 * Learn that @p addr is at @p mac on port @p port (an ARP reply a worker
 * passed up, sent from Ethernet source @p eth_src, which must be @p mac).
 * Only answers to our own requests are believed (see lb_neigh_learn);
 * refusals are counted and shown by status. Changes are gathered;
 * lb_runtime_neigh_commit() applies them as one snapshot.
 * @return 1 if a MAC appeared or changed, -1 if the reply was refused
 * (it must not teach anyone else either: the kernel interface), else 0.
 */
int lb_runtime_neigh_learn(struct lb_runtime *rt, uint32_t port,
			   uint32_t addr, const struct rte_ether_addr *mac,
			   const struct rte_ether_addr *eth_src,
			   uint64_t now_tsc);

/** Apply what lb_runtime_neigh_learn gathered, if anything. */
void lb_runtime_neigh_commit(struct lb_runtime *rt);

/** Neighbours to ask by ARP now (indexes into the running cfg->neighs). */
unsigned int lb_runtime_neigh_due(struct lb_runtime *rt, uint64_t now_tsc,
				  uint32_t *idx, unsigned int max);

/**
 * Health checks say backend identity @p id is down (@p down = 1) or not,
 * because of @p reason. Transitions are gathered (a flap within one
 * gathering is no change); lb_runtime_health_commit() applies them as one
 * generation. From then on every build - reloads and runtime commands
 * included - leaves a down backend out of its pool's table (unless the
 * whole pool is down and fails open) and its established flows follow
 * on_remove. What is known of an identity the configuration drops is
 * forgotten.
 * @return 1 if this changed what is gathered, else 0.
 */
int lb_runtime_health_set(struct lb_runtime *rt, uint32_t id, int down,
			  const char *reason);

/** 1 if health checks have backend identity @p id down (applied or not). */
int lb_runtime_backend_down(const struct lb_runtime *rt, uint32_t id);

/**
 * Apply the transitions lb_runtime_health_set() gathered, if any: one
 * apply, recorded as made by health, the command naming each backend with
 * its new state and reason ("health: web1 down (3 consecutive failures:
 * connect refused)"), the record listing them under "health".
 */
void lb_runtime_health_commit(struct lb_runtime *rt);

/**
 * Housekeeping, about once a second: roll back a pending confirmation
 * whose deadline passed (if no timer did), move slow starts on (each backend
 * that came back into service - enabled, or up again - in a pool with
 * slow_start_s ramps from a tenth of its weight to all of it: at most one
 * generation a second, recorded as made by edgelbd), and forget REMOVED
 * backends whose last flow ended (a new generation, recorded as made by
 * edgelbd).
 */
void lb_runtime_tick(struct lb_runtime *rt);

#endif
