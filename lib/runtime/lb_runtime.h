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
};

struct lb_actor {
	enum lb_actor_kind kind;
	uid_t uid;
	gid_t gid;
	pid_t pid;
	char comm[16];
};

/** Most generations kept for rollback and in the in-memory history. */
#define LB_RUNTIME_GENERATIONS 64
#define LB_RUNTIME_HISTORY 1000

struct lb_runtime;
struct lb_spec;

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
 * after, keys old -> new, per backend added/removed/weight/expected share),
 * or -1 with *answer = {"error": ..., "errors": [...]} and nothing changed.
 * Either way the change is recorded.
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
 * before the running one) as a new generation.
 */
int lb_runtime_rollback(struct lb_runtime *rt, uint64_t generation,
			const struct lb_actor *who, const char *command,
			json_t **answer);

/**
 * What applying @p path would change, without applying anything.
 * @return a new JSON value (the same shape as an apply's answer, or the
 * errors).
 */
json_t *lb_runtime_diff(struct lb_runtime *rt, const char *path);

/** Record a change refused before it reached apply (access, arguments). */
void lb_runtime_record_refused(struct lb_runtime *rt,
			       const struct lb_actor *who,
			       const char *command, const char *error);

/** Records made so far: lets a caller tell whether a call recorded. */
uint64_t lb_runtime_records(const struct lb_runtime *rt);

/** The last @p n records of the audit history, oldest first. */
json_t *lb_runtime_history(const struct lb_runtime *rt, unsigned int n);

/**
 * Running generation, when and by whom it was made, the audit log's state,
 * whether the running configuration differs from its file on disk, and
 * whether the scheduler's hash key was configured or generated (never the
 * key).
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
 * Housekeeping, about once a second: move slow starts on (each backend
 * that came back into service - enabled, or up again - in a pool with
 * slow_start_s ramps from a tenth of its weight to all of it: at most one
 * generation a second, recorded as made by edgelbd), and forget REMOVED
 * backends whose last flow ended (a new generation, recorded as made by
 * edgelbd).
 */
void lb_runtime_tick(struct lb_runtime *rt);

#endif
