/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef LB_CONFIG_H
#define LB_CONFIG_H

/**
 * @file
 * The appliance's configuration: specification (lb_spec.h) -> validated,
 * immutable snapshot.
 *
 * lb_config_build() builds the whole snapshot (including the scheduler
 * tables) or nothing; lb_config_parse() is lb_spec_load() +
 * lb_config_build() for a file. Each snapshot keeps the specification it
 * came from (cfg->spec). A published snapshot is never written again: workers
 * read it through one pointer; a change builds a new one.
 *
 * Addresses are stored in network byte order, ports in host byte order.
 */

#include <limits.h>
#include <stdint.h>
#include <stdio.h>

#include <rte_branch_prediction.h>
#include <rte_hash_crc.h>

#include "lb_hash.h"
#include "lb_sched.h"
#include "lb_spec.h"
#include "lb_stats.h"

#define LB_NAME_MAX 64
#define LB_DEVICE_MAX 256
#define LB_EAL_ARGS_MAX 1024
#define LB_SOCKET_PATH_MAX 108  /* sun_path */
#define LB_PATH_MAX 256          /* audit_log */
#define LB_GROUP_MAX 32          /* a Unix group name, as useradd allows */
#define LB_IFNAME_MAX 15         /* a Linux interface name (IFNAMSIZ - 1) */
/** Most [pool.*] sections: each builds a table of its table_size slots
 *  (up to 32 MiB), and a pool serves VIPs, so more could serve nothing. */
#define LB_MAX_POOLS LB_MAX_VIPS
/** The DPDK device names of kernel interfaces' TAPs: this and the port's
 *  index (lib/excpath). No [port.*] device may take one. */
#define LB_KERNEL_VDEV_PREFIX "net_tap_edgelb"

enum lb_fwd_mode {
	LB_FWD_DR = 0, /**< direct server return: MAC rewrite only */
};

enum lb_sched_kind {
	LB_SCHED_MAGLEV = 0,
};

/** What an established flow does when its backend is disabled or removed. */
enum lb_on_remove {
	LB_ON_REMOVE_KEEP = 0,      /**< forward to that server until it ends */
	LB_ON_REMOVE_RESCHEDULE,    /**< next packet goes to the pool's choice */
};

/** How a pool's backends are checked (lib/health). */
enum lb_health_kind {
	LB_HEALTH_NONE = 0,
	LB_HEALTH_TCP,              /**< a connect completes */
	LB_HEALTH_HTTP,             /**< a GET answers with an expected status */
	LB_HEALTH_HTTPS,
};

/** What new flows to a pool whose backends are all down do. */
enum lb_all_down {
	LB_ALL_DOWN_FAIL_OPEN = 0,  /**< by weight, as if all were up */
	LB_ALL_DOWN_FAIL_CLOSED,    /**< refused: TCP RST, ICMP unreachable */
};

#define LB_HEALTH_PATH_MAX 256
#define LB_HEALTH_HOST_MAX 256

/** A pool's health check settings, as configured. */
struct lb_health_conf {
	uint8_t kind;               /**< enum lb_health_kind */
	uint16_t port;              /**< 0: the first VIP's port */
	uint16_t rise, fall;
	uint16_t expect_lo, expect_hi;  /**< HTTP status range that passes */
	uint32_t interval_ms;
	uint32_t timeout_ms;
	char path[LB_HEALTH_PATH_MAX];
	char host[LB_HEALTH_HOST_MAX];  /**< "": the backend's address */
};

/**
 * A backend's state in one snapshot. Only UP backends with weight > 0 are
 * in their pool's scheduler table. DRAINED and DISABLED come from the
 * backend's admin_state key (runtime commands drain/disable/enable);
 * REMOVED backends are no longer in the specification but are kept in the
 * snapshot, outside every table, while established flows still use them.
 * Established flows stay on UP and DRAINED backends; on DISABLED and
 * REMOVED ones they follow the pool's on_remove.
 */
enum lb_backend_state {
	LB_BACKEND_UP = 0,
	LB_BACKEND_DRAINED,
	LB_BACKEND_DISABLED,
	LB_BACKEND_REMOVED,
};

/** "up", "drained", "disabled" or "removed", as answers show a state. */
const char *lb_backend_state_name(unsigned int state);

/** No backend or VIP has this identity (id -> index maps). */
#define LB_ID_NONE UINT16_MAX

struct lb_global_conf {
	char socket[LB_SOCKET_PATH_MAX];
	uint32_t workers;          /**< worker lcores, 1..LB_MAX_WORKERS */
	char eal_args[LB_EAL_ARGS_MAX];
	uint32_t flow_table_size;  /**< entries per worker */
	uint32_t idle_sleep_us;    /**< worker back-off when idle; 0 = poll */
	uint32_t extra_mbufs;      /**< added to the computed mbuf pool */
	uint32_t tcp_timeout;      /**< s, idle established TCP flow */
	uint32_t tcp_fin_timeout;  /**< s, after FIN or RST seen */
	uint32_t tcp_syn_timeout;  /**< s, embryonic (SYN, no ACK yet) */
	uint32_t udp_timeout;      /**< s, idle UDP flow */
	uint32_t icmp_echo_rate;   /**< echo replies/s per worker; 0: none */
	uint32_t icmp_echo_burst;  /**< answered back to back, >= 1 */
	uint32_t arp_reply_rate;   /**< ARP replies/s per worker; 0: none */
	uint32_t arp_reply_burst;  /**< answered back to back, >= 1 */
	/** The scheduler's key (lb_flow_key_hash): hash_key, or when that
	 *  is empty a random one drawn by the first build and kept by every
	 *  build after it (lb_config_build_opts.prev). Secret: never shown. */
	struct lb_hash_key hash_key;
	uint8_t hash_key_generated; /**< no hash_key configured: random */
	char audit_log[LB_PATH_MAX];      /**< absolute path */
	char socket_group[LB_GROUP_MAX + 1]; /**< group name, not resolved */
	char admin_group[LB_GROUP_MAX + 1];  /**< "": uid 0 only */
	uint8_t policy_warn;       /**< policy = warn: violations reported,
				    *   never refusing */
	uint8_t strict;            /**< strict = yes: lint findings are
				    *   violations */
	/** metrics_listen: the Prometheus endpoint; port 0: off. */
	uint32_t metrics_addr;     /**< network order */
	uint16_t metrics_port;
	uint32_t watch_window_s;   /**< lib/watch: sliding window, s */
	uint32_t watch_for_s;      /**< lib/watch: an alert's for, s */
};

/** Most neighbours of [bgp] neighbor. */
#define LB_BGP_MAX_NEIGHBORS 8

struct lb_bgp_neighbor {
	uint32_t addr;              /**< network order */
	uint32_t as;
	uint32_t port;              /**< the port it is on-link on */
};

/** [bgp]: absent unless @c enabled. Read by lib/bgp. */
struct lb_bgp_conf {
	uint8_t enabled;            /**< the file has a [bgp] section */
	uint32_t local_as;
	uint32_t router_id;         /**< network order; never 0 once built */
	uint32_t hold_time_s;
	uint32_t drain_s;
	uint32_t n_neighbors;
	struct lb_bgp_neighbor neighbors[LB_BGP_MAX_NEIGHBORS];
	char bird_include[LB_PATH_MAX];  /**< "": none */
	char bird[LB_PATH_MAX];          /**< the daemon's path */
};

/** A policy number that is not set (max_share_change, where 0 is a value). */
#define LB_CONFIG_UNSET UINT32_MAX

struct lb_port_conf {
	char name[LB_NAME_MAX];
	char device[LB_DEVICE_MAX]; /**< vdev string or PCI address */
	uint32_t addr;              /**< the appliance's own address */
	uint8_t prefix_len;
	uint32_t gateway;           /**< 0 = none */
	/** Kernel interface for the port's own address; "" = none. */
	char kernel_interface[LB_IFNAME_MAX + 1];
	/** 802.1Q VLAN id of every frame in and out, 1..4094; 0: none. */
	uint16_t vlan;
};

struct lb_vip_conf {
	char name[LB_NAME_MAX];
	uint16_t id;                /**< identity: stable across snapshots */
	uint32_t addr;
	uint16_t port;
	uint8_t proto;              /**< IPPROTO_TCP or IPPROTO_UDP */
	enum lb_fwd_mode mode;
	uint32_t pool;              /**< index into lb_config.pools */
	uint32_t expected_rate;     /**< new connections/s; 0: unset */
	uint8_t announce;           /**< [bgp]: announce its address */
};

struct lb_pool_conf {
	char name[LB_NAME_MAX];
	enum lb_sched_kind scheduler;
	uint32_t table_size;
	enum lb_on_remove on_remove;
	uint32_t n_members;
	uint32_t *members;          /**< backend indexes, sorted by name */
	struct lb_maglev maglev;    /**< slots index into members[] */
	uint32_t *member_slots;     /**< slots each member owns in maglev */
	struct lb_health_conf health;
	enum lb_all_down all_down;
	uint32_t slow_start_s;
	/** Every backend that could take new flows (UP, weight > 0) is
	 *  down: with fail_open the table holds them all as if up; with
	 *  fail_closed it is empty and new flows are refused. */
	uint8_t all_down_now;
	/* Policy (lib/policy reads them); 0: unset unless said. */
	uint32_t min_healthy;       /**< a count, or a percent if below */
	uint8_t min_healthy_percent;
	uint8_t n_minus_1;          /**< n_minus_1 = yes */
	uint32_t max_weight_ratio;
	uint32_t max_share_change;  /**< points; LB_CONFIG_UNSET: unset */
	/** The table in backend names, hashed (lb_config_pool_fingerprint):
	 *  the same on every box whose table is the same. */
	uint64_t fingerprint;
};

struct lb_backend_conf {
	char name[LB_NAME_MAX];
	uint16_t id;                /**< identity: stable across snapshots */
	uint8_t state;              /**< enum lb_backend_state */
	uint32_t pool;              /**< index into lb_config.pools;
				     *   UINT32_MAX: REMOVED with its pool */
	uint32_t addr;
	uint32_t weight;            /**< 0..65535; 0 = no new flows */
	uint32_t port;              /**< egress port index (on-link subnet) */
	uint32_t neigh;             /**< index into lb_config.neighs */
	uint32_t member;            /**< its position in pool.members;
				     *   UINT32_MAX when in no table */
	uint8_t has_mac;            /**< mac is static: never ARP for it */
	uint8_t mac[6];
	uint16_t health_port;       /**< as configured; 0: the pool's */
	uint16_t check_port;        /**< the port its checks connect to:
				     *   health_port, else the pool's, else
				     *   its pool's first VIP's; 0: none */
	uint8_t down;               /**< health checks say it is down */
	uint8_t out;                /**< down and left out: no new flows,
				     *   established ones follow on_remove
				     *   (0 while its pool is all down and
				     *   fail_open) */
	uint8_t came_up;            /**< in service now, not in the running
				     *   snapshot (enabled, or checks say up):
				     *   its slow start begins */
	uint16_t ramp;              /**< slow start: per mille of its weight
				     *   in the table; 0: all of it */
	uint32_t table_weight;      /**< the weight its table was built with
				     *   (0 if out of it: down, drained, disabled) */
	uint32_t max_share;         /**< percent of its pool; 0: unset */
	uint32_t capacity;          /**< new connections/s; 0: unset */
};

/**
 * Where a flow hit on a backend identity goes: its next hop and port,
 * copied from its lb_backend_conf. @c index is LB_ID_NONE unless the
 * backend keeps established flows without question (UP, DRAINED): absent,
 * DISABLED and REMOVED backends take the worker's slow path.
 */
struct lb_backend_fwd {
	uint32_t neigh;             /**< index into lb_config.neighs */
	uint16_t index;             /**< into lb_config.backends */
	uint8_t port;               /**< egress port index */
	uint8_t pad;
};

/**
 * One slot of the address index, open addressing with linear probing.
 * Holds a VIP (proto, addr, port) or an address the appliance owns
 * (proto 0, port 0: every VIP address and every port address).
 */
struct lb_addr_slot {
	uint32_t addr;              /**< network order */
	uint16_t port;              /**< host order */
	uint8_t proto;
	uint8_t used;
	/** Index into vips; an owned address: LB_ADDR_VIP or
	 *  LB_ADDR_PORT(i) */
	int16_t vip;
	uint16_t vip_id;            /**< its identity (flow entries, counters) */
};

/** lb_addr_slot.vip of an owned address that is a VIP's (perhaps also a
 *  port's): never the kernel path's. */
#define LB_ADDR_VIP (-1)
/** lb_addr_slot.vip of port @p i's own address when no VIP has it. */
#define LB_ADDR_PORT(i) (-2 - (int)(i))

/** A next hop whose MAC the appliance must resolve (ARP). */
struct lb_neigh_conf {
	uint32_t addr;
	uint32_t port;              /**< port index it is reached on */
	uint8_t has_mac;            /**< static: never resolved by ARP */
	uint8_t mac[6];
};

struct lb_config {
	char path[PATH_MAX];
	/** The specification it was built from (its own copy): a change
	 *  derives the next one with lb_spec_dup() + lb_spec_set(). */
	struct lb_spec *spec;
	struct lb_global_conf global;
	struct lb_bgp_conf bgp;
	uint32_t n_ports, n_vips, n_pools, n_backends, n_neighs;
	struct lb_port_conf *ports;
	struct lb_vip_conf *vips;
	struct lb_pool_conf *pools;
	struct lb_backend_conf *backends;
	struct lb_neigh_conf *neighs;
	/* Identity -> index into backends[] / vips[], LB_ID_NONE if absent:
	 * what a flow entry or a counter names is checked against these. */
	uint16_t backend_index[LB_MAX_BACKENDS];
	uint16_t vip_index[LB_MAX_VIPS];
	/* By identity, what a flow hit needs: one load, no dependent one. */
	struct lb_backend_fwd backend_fwd[LB_MAX_BACKENDS];
	/* How many times each identity went to another name (lb_ids),
	 * carried from snapshot to snapshot: a worker whose own copy
	 * differs zeroes those counters before it counts for the new name,
	 * even if it slept through the snapshot that recycled them. */
	uint16_t backend_epoch[LB_MAX_BACKENDS];
	uint16_t vip_epoch[LB_MAX_VIPS];
	/* Address index for the packet path; see lb_config_find_vip(). */
	uint32_t addr_mask;         /**< slots - 1 (a power of two) */
	struct lb_addr_slot *addr_index;
};

/**
 * Identities by name, kept by management, so that the same backend (or
 * VIP) name has the same identity in every snapshot. One registry per
 * kind. Management lcore only.
 *
 * An identity goes to another name only when the registry is full: a
 * build then releases the identities of names in neither the running
 * snapshot (opts->prev: no flow can hold them) nor the new specification,
 * and counts each one it gives anew in lb_config.backend_epoch/vip_epoch,
 * so that every worker zeroes its counters before counting for the new
 * name.
 */
struct lb_ids;

/** A registry of identities 0..max-1. @return NULL on ENOMEM. */
struct lb_ids *lb_ids_create(uint32_t max);
void lb_ids_free(struct lb_ids *ids);

/**
 * The identity of @p name, allocating a new one if the name has none:
 * never given before if any is left, else the longest released one (then
 * *@p recycled is set, if given).
 * @return the identity, or -ENOSPC when all are taken, -EINVAL.
 */
int lb_ids_take(struct lb_ids *ids, const char *name, int *recycled);

/** lb_ids_take() without asking whether the identity was used before. */
int lb_ids_get(struct lb_ids *ids, const char *name);

/** The identity of @p name, or -1: allocates nothing. */
int lb_ids_find(const struct lb_ids *ids, const char *name);

/**
 * Release every identity whose @p in_use byte is 0: its name is forgotten
 * and the identity queued for lb_ids_take. @return how many.
 */
unsigned int lb_ids_release_unused(struct lb_ids *ids,
				   const uint8_t *in_use);

/** The name of identity @p id, or NULL if it has none now. */
const char *lb_ids_name(const struct lb_ids *ids, uint32_t id);

/**
 * A copy of @p ids: a build that must not take identities from the real
 * registry (a what-if such as diff) gives its new names the same ones a
 * real apply would. @return NULL on ENOMEM.
 */
struct lb_ids *lb_ids_dup(const struct lb_ids *ids);

/**
 * How a specification becomes a snapshot; all fields optional.
 *
 * Retained backends: each identity in retain[] that is a backend of prev
 * whose name is no backend of the new specification is appended to
 * backends[] with state LB_BACKEND_REMOVED: same name, id, address, weight
 * and static MAC, so flows that still use it are forwarded; pool is the
 * index of the pool of the same name in the new snapshot, or UINT32_MAX;
 * member is UINT32_MAX; it is in no scheduler table, not checked against
 * the new backends for uniqueness, and has its next hop in neighs[] like
 * any backend. One that is no longer on-link on any port, or whose
 * identity a new backend holds (possible only without registries), is
 * dropped.
 */
struct lb_config_build_opts {
	/** Registries to take identities from; NULL: identities in file
	 *  order, as for a one-off check. */
	struct lb_ids *backend_ids;
	struct lb_ids *vip_ids;
	/** The running snapshot, and the identities of its backends to
	 *  keep as REMOVED (outside every table) if @p spec no longer has
	 *  them: those that established flows still use. */
	const struct lb_config *prev;
	const uint16_t *retain;
	uint32_t n_retain;
	/** By backend identity (LB_MAX_BACKENDS each; NULL: none): health
	 *  checks say it is down; its slow start, per mille of its weight
	 *  (0: none). A backend that comes up (see came_up) in a pool with
	 *  slow_start_s starts at LB_CONFIG_RAMP_START whatever ramp says. */
	const uint8_t *down;
	const uint16_t *ramp;
};


/** Where a slow start begins: a tenth of the weight. */
#define LB_CONFIG_RAMP_START 100

/**
 * Validate @p spec and build a complete snapshot from it.
 *
 * The scheduler's hash key is [global] hash_key; without one it is prev's
 * generated key if @p opts has a prev that generated one, else a new
 * random one (getrandom): one process keeps one key across reloads,
 * rollbacks and runtime changes.
 *
 * Checks every value against its key (lb_config_keys()), every reference,
 * every cross-rule (subnets, uniqueness, on-link, table sizes), and
 * reports every error it finds, each "file:line: message" naming the
 * offending value (some structural errors, like a missing [port.*], stop
 * early). Identities come from @p opts' registries (by name) or else in
 * file order. Builds each pool's scheduler table from its UP backends
 * (drained and disabled ones are left out, like weight 0). The snapshot
 * keeps its own copy of @p spec. Management lcore; never prints.
 *
 * @param opts NULL for a one-off build (file-order identities).
 * @return the snapshot, or NULL with @p err filled.
 */
struct lb_config *lb_config_build(const struct lb_spec *spec,
				  const struct lb_config_build_opts *opts,
				  struct lb_config_error *err);

/**
 * Parse and validate an INI file into a complete snapshot:
 * lb_spec_load() then lb_config_build() without options.
 *
 * Every section and key must be known, every value in range, every
 * reference resolved; a repeated section or key is an error naming both
 * lines. Every error found is reported (see lb_config_build()). Builds each pool's scheduler table. Management lcore (or a tool
 * without EAL); allocates with malloc; never prints.
 *
 * @return the snapshot, or NULL with @p err set to "file:line: message".
 */
struct lb_config *lb_config_parse(const char *path,
				  struct lb_config_error *err);

/** Free a snapshot. NULL-safe. Only once no worker can still read it. */
void lb_config_free(struct lb_config *cfg);

static inline const struct lb_addr_slot *
lb_config_addr_slot(const struct lb_config *cfg, uint8_t proto, uint32_t addr,
		    uint16_t port)
{
	uint32_t i = rte_hash_crc_4byte(addr, (uint32_t)proto << 16 | port);
	const struct lb_addr_slot *s;

	for (;; i++) {
		s = &cfg->addr_index[i & cfg->addr_mask];
		if (!s->used || (s->addr == addr && s->port == port &&
				 s->proto == proto))
			return s;
	}
}

/**
 * The VIP serving @p proto to @p addr (network order) port @p port (host
 * order). Any lcore: the snapshot is immutable. One hash and a probe or
 * two, whatever the number of VIPs (the index is at most half full).
 * @return its index, or -1.
 */
static inline int
lb_config_find_vip(const struct lb_config *cfg, uint8_t proto, uint32_t addr,
		   uint16_t port)
{
	const struct lb_addr_slot *s;

	if (unlikely(proto == 0))
		return -1;
	s = lb_config_addr_slot(cfg, proto, addr, port);
	return s->used ? s->vip : -1;
}

/**
 * The same as lb_config_find_vip(), as its index slot: the packet path
 * reads the VIP's index and identity from the one cache line.
 * @return the slot, or NULL.
 */
static inline const struct lb_addr_slot *
lb_config_vip_slot(const struct lb_config *cfg, uint8_t proto, uint32_t addr,
		   uint16_t port)
{
	const struct lb_addr_slot *s;

	if (unlikely(proto == 0))
		return NULL;
	s = lb_config_addr_slot(cfg, proto, addr, port);
	return s->used && s->vip >= 0 ? s : NULL;
}

/** What a held flow on a backend identity does under this snapshot. */
enum lb_hit_rule {
	LB_HIT_STAYS,               /**< UP or DRAINED, not down: stays */
	LB_HIT_KEPT,                /**< disabled/removed/down, keep */
	LB_HIT_RESCHEDULED,         /**< disabled/removed/down, reschedule */
	LB_HIT_BACKEND_GONE,        /**< no such backend: scheduled anew */
};

/**
 * The one rule for a flow held on backend identity @p id that arrives for
 * VIP index @p vip: the worker's hit path and `lookup` both ask it. Sets
 * *@p index to the backend's index when the flow goes on to it.
 */
static inline enum lb_hit_rule
lb_config_hit_rule(const struct lb_config *cfg, uint32_t id, uint32_t vip,
		   uint16_t *index)
{
	uint16_t bi = id < LB_MAX_BACKENDS ? cfg->backend_index[id] :
					     LB_ID_NONE;

	*index = bi;
	if (bi == LB_ID_NONE)
		return LB_HIT_BACKEND_GONE;
	if (cfg->backends[bi].state < LB_BACKEND_DISABLED &&
	    !cfg->backends[bi].out)
		return LB_HIT_STAYS;
	return cfg->pools[cfg->vips[vip].pool].on_remove == LB_ON_REMOVE_KEEP ?
		LB_HIT_KEPT : LB_HIT_RESCHEDULED;
}

/**
 * The index slot of @p addr (network order) as an address the appliance
 * owns: used == 0 if it is not ours, else vip says whose (LB_ADDR_VIP,
 * LB_ADDR_PORT(i)). Any lcore.
 */
static inline const struct lb_addr_slot *
lb_config_owner(const struct lb_config *cfg, uint32_t addr)
{
	return lb_config_addr_slot(cfg, 0, addr, 0);
}

/** 1 if @p addr (network order) is a VIP address or a port address. */
static inline int
lb_config_owns_addr(const struct lb_config *cfg, uint32_t addr)
{
	return lb_config_owner(cfg, addr)->used;
}

/**
 * Expected share of new flows for backend @p b within its pool: its slots
 * in the pool's table divided by the table size (0..1).
 */
double lb_config_expected_share(const struct lb_config *cfg, uint32_t b);

/**
 * The fingerprint of a table: a hash of the name of the backend of each
 * slot in turn (each name FNV-1a hashed once, then one 64-bit
 * rotate-xor-multiply step per slot), so
 * it depends on names, never on indexes or file order: two boxes with the
 * same table, however their files are ordered, print the same one; a
 * weight change that moves one slot changes it. An empty table has the
 * hash of its size alone.
 */
uint64_t lb_config_table_fingerprint(const struct lb_maglev *t,
				     const char *const *names);

/** Pool @p pool's fingerprint as 16 hex digits into @p buf (>= 17). */
const char *lb_config_fingerprint_hex(const struct lb_config *cfg,
				      uint32_t pool, char *buf, size_t size);

#endif
