/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef LB_CONFIG_H
#define LB_CONFIG_H

/**
 * @file
 * The appliance's configuration: INI file -> validated, immutable snapshot.
 *
 * lb_config_parse() builds the whole snapshot (including the scheduler
 * tables) or nothing. A published snapshot is never written again: workers
 * read it through one pointer; a change builds a new one.
 *
 * Addresses are stored in network byte order, ports in host byte order.
 */

#include <limits.h>
#include <stdint.h>
#include <stdio.h>

#include "lb_sched.h"
#include "lb_stats.h"

#define LB_NAME_MAX 64
#define LB_DEVICE_MAX 256
#define LB_EAL_ARGS_MAX 1024
#define LB_SOCKET_PATH_MAX 108  /* sun_path */
#define LB_ERR_MAX 512

/** Error filled by the parser: "file:line: message". */
struct lb_config_error {
	char msg[LB_ERR_MAX];
};

enum lb_fwd_mode {
	LB_FWD_DR = 0, /**< direct server return: MAC rewrite only */
};

enum lb_sched_kind {
	LB_SCHED_MAGLEV = 0,
};

struct lb_global_conf {
	char socket[LB_SOCKET_PATH_MAX];
	uint32_t workers;          /**< worker lcores, 1..LB_MAX_WORKERS */
	char eal_args[LB_EAL_ARGS_MAX];
	uint32_t flow_table_size;  /**< entries per worker */
	uint32_t idle_sleep_us;    /**< worker back-off when idle; 0 = poll */
	uint32_t tcp_timeout;      /**< s, idle established TCP flow */
	uint32_t tcp_fin_timeout;  /**< s, after FIN or RST seen */
	uint32_t udp_timeout;      /**< s, idle UDP flow */
};

struct lb_port_conf {
	char name[LB_NAME_MAX];
	char device[LB_DEVICE_MAX]; /**< vdev string or PCI address */
	uint32_t addr;              /**< the appliance's own address */
	uint8_t prefix_len;
	uint32_t gateway;           /**< 0 = none */
};

struct lb_vip_conf {
	char name[LB_NAME_MAX];
	uint32_t addr;
	uint16_t port;
	uint8_t proto;              /**< IPPROTO_TCP or IPPROTO_UDP */
	enum lb_fwd_mode mode;
	uint32_t pool;              /**< index into lb_config.pools */
};

struct lb_pool_conf {
	char name[LB_NAME_MAX];
	enum lb_sched_kind scheduler;
	uint32_t table_size;
	uint32_t n_members;
	uint32_t *members;          /**< backend indexes, sorted by name */
	struct lb_maglev maglev;    /**< slots index into members[] */
	uint32_t *member_slots;     /**< slots each member owns in maglev */
};

struct lb_backend_conf {
	char name[LB_NAME_MAX];
	uint32_t pool;              /**< index into lb_config.pools */
	uint32_t addr;
	uint32_t weight;            /**< 0..65535; 0 = no new flows */
	uint32_t port;              /**< egress port index (on-link subnet) */
	uint32_t neigh;             /**< index into lb_config.neighs */
	uint32_t member;            /**< its position in pool.members */
	uint8_t has_mac;            /**< mac is static: never ARP for it */
	uint8_t mac[6];
};

/** A next hop whose MAC the appliance must resolve (ARP). */
struct lb_neigh_conf {
	uint32_t addr;
	uint32_t port;              /**< port index it is reached on */
	uint8_t has_mac;            /**< static: never resolved by ARP */
	uint8_t mac[6];
};

struct lb_config {
	char path[PATH_MAX];
	struct lb_global_conf global;
	uint32_t n_ports, n_vips, n_pools, n_backends, n_neighs;
	struct lb_port_conf *ports;
	struct lb_vip_conf *vips;
	struct lb_pool_conf *pools;
	struct lb_backend_conf *backends;
	struct lb_neigh_conf *neighs;
};

/**
 * Parse and validate an INI file into a complete snapshot.
 *
 * Every section and key must be known, every value in range, every
 * reference resolved; a repeated section or key is an error naming both
 * lines. Builds each pool's scheduler table. Management lcore (or a tool
 * without EAL); allocates with malloc; never prints.
 *
 * @return the snapshot, or NULL with @p err set to "file:line: message".
 */
struct lb_config *lb_config_parse(const char *path,
				  struct lb_config_error *err);

/** Free a snapshot. NULL-safe. Only once no worker can still read it. */
void lb_config_free(struct lb_config *cfg);

/** Find a VIP by (proto, addr, port); returns its index or -1. */
int lb_config_find_vip(const struct lb_config *cfg, uint8_t proto,
		       uint32_t addr, uint16_t port);

/** 1 if @p addr is the address of a VIP or of a port. */
int lb_config_owns_addr(const struct lb_config *cfg, uint32_t addr);

/**
 * Expected share of new flows for backend @p b within its pool: its slots
 * in the pool's table divided by the table size (0..1).
 */
double lb_config_expected_share(const struct lb_config *cfg, uint32_t b);

/**
 * Write the simulation report of lb_config_check to @p out: for each VIP,
 * each backend's weight, weight share and expected share of new flows
 * from the very table the workers would use.
 */
void lb_config_print_simulation(const struct lb_config *cfg, FILE *out);

#endif
