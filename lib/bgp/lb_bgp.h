/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef LB_BGP_H
#define LB_BGP_H

/**
 * @file
 * Announcing the VIPs over BGP through BIRD 2, edgelbd's routing daemon.
 *
 * edgelb never speaks BGP itself. With a [bgp] section edgelbd runs
 * Debian's BIRD 2 as a supervised child in its own network namespace (the
 * one its kernel interfaces live in, so the sessions take the exception
 * path), with a configuration it generates and a private control socket:
 *
 *   SOCKET.bird.conf   the generated configuration ([global] socket's path
 *   SOCKET.bird.ctl    plus a suffix: unique per instance)
 *
 * What is announced lives in the file, never only in BIRD's memory: the
 * VIP /32s are the routes of one `protocol static edgelb_vips` (blackhole
 * routes, exported to the BGP sessions only, with next hop self; there is
 * no kernel protocol: BIRD never touches the box's own routing table). A
 * change rewrites the file and asks BIRD to `configure` over its control
 * socket: the static protocol is reconfigured softly (routes added and
 * removed, sessions untouched), and BIRD sends the UPDATEs at once. A BIRD
 * that restarts, by edgelbd or after a crash, reads the file edgelbd last
 * wrote, which says what edgelbd decides now; a BIRD whose edgelbd dies
 * dies too (PR_SET_PDEATHSIG), so its sessions drop and no announcement
 * outlives the box that made it. A withdrawal that cannot go through the
 * file (it cannot be written, or BIRD refuses it: a broken bird_include)
 * disables edgelb_vips instead, until BIRD takes a file again.
 *
 * An address is announced while edgelbd forwards (started and its health
 * checks have judged every checked backend once, not stopping, not
 * withdrawn by an operator) and every VIP on it that has announce = yes
 * can serve: its pool is not all down and, when the pool sets
 * min_healthy, at least that many of its backends are up with weight > 0.
 *
 * Everything runs on the management lcore. The control socket is spoken
 * to synchronously, with a 1 s timeout: BIRD answers a local configure in
 * milliseconds, and it happens only when what is announced changes.
 */

#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "lb_config.h"
#include "lb_evloop.h"

/** Most addresses announced (each VIP could have its own). */
#define LB_BGP_MAX_ADDRS LB_MAX_VIPS

/** Why an address is or is not announced. */
struct lb_bgp_addr {
	uint32_t addr;              /**< network order */
	uint8_t wanted;             /**< announce it */
	char reason[160];           /**< why not; "" when wanted */
};

/** Why edgelbd announces nothing, whatever the pools say. */
enum lb_bgp_hold {
	LB_BGP_FORWARDING = 0,      /**< nothing held back */
	LB_BGP_STARTING,            /**< edgelbd started: the health checks
				     *   have not judged every backend yet */
	LB_BGP_WITHDRAWN,           /**< an operator: edgelbctl bgp withdraw */
	LB_BGP_STOPPING,            /**< SIGTERM: withdrawn, draining */
};

/**
 * 1 if pool @p pool of @p cfg can serve: not all down, and at least its
 * min_healthy backends (a count, or a percent of its backends rounded
 * up) up with weight > 0, as lib/policy counts them.
 */
int lb_bgp_pool_can_serve(const struct lb_config *cfg, uint32_t pool);

/**
 * Every VIP address of @p cfg that some VIP announces (announce = yes),
 * sorted, each with whether to announce it under @p hold and why not.
 * @return how many were written to @p out (at most @p max).
 */
unsigned int lb_bgp_wanted(const struct lb_config *cfg, enum lb_bgp_hold hold,
			   struct lb_bgp_addr *out, unsigned int max);

/**
 * Write BIRD 2's configuration for [bgp] @p b announcing the wanted
 * entries of @p a to @p out: router id, `log stderr`, device protocol,
 * the static protocol, the export filter, a template edgelb_peer, the
 * operator's bird_include, one session per neighbour (edgelb_n1..).
 * @p origin (the INI file) is named in its first line.
 * @return 0, or -1 if writing failed.
 */
int lb_bgp_conf_write(FILE *out, const struct lb_bgp_conf *b,
		      const char *origin, const struct lb_bgp_addr *a,
		      unsigned int n);

/** The paths lib/bgp uses for @p cfg (its [global] socket plus a suffix). */
void lb_bgp_paths(const struct lb_config *cfg, char *conf, size_t conf_size,
		  char *ctl, size_t ctl_size);

/**
 * Send one command to BIRD's control socket @p ctl and read its answer
 * (1 s timeout). @return a new JSON array of the reply's lines, each
 * {"code": N, "text": "..."} (a continuation line carries the code it
 * continues), or NULL with *@p code -1 when BIRD cannot be reached or does
 * not answer; the last line's code in *@p code (3 Reconfigured, 9
 * Disabled, 13 status, 8xxx/9xxx errors...; a reply that ends with "0000"
 * gives the code before it).
 */
json_t *lb_bgp_birdc(const char *ctl, const char *cmd, int *code);

struct lb_bgp;

/**
 * Write the configuration (nothing announced yet) and start BIRD for
 * @p cfg's [bgp], supervised from @p loop: restarted with a backoff (1 s
 * doubling to 30 s) whenever it exits. Management lcore.
 * @return the supervisor, or NULL with @p err set.
 */
struct lb_bgp *lb_bgp_create(const struct lb_config *cfg,
			     struct lb_evloop *loop, char *err, size_t errlen);

/**
 * Stop BIRD (SIGTERM: it closes its sessions with a Cease; SIGKILL after
 * 2 s), leave the loop, remove the control socket. Blocks up to 2 s.
 * NULL-safe. Not from one of its own callbacks.
 */
void lb_bgp_destroy(struct lb_bgp *b);

/**
 * Derive what to announce from @p cfg (the running snapshot) and the hold,
 * and hand it to BIRD if it changed (or if BIRD has not taken the last
 * change yet: it was restarting). Cheap when nothing changed: call every
 * tick. @return a new JSON object {"announced": [...], "withdrawn":
 * [{"address", "reason"}]} when the wanted set changed, else NULL.
 */
json_t *lb_bgp_update(struct lb_bgp *b, const struct lb_config *cfg);

/** Hold every announcement back (or not), from the next lb_bgp_update.
 *  lb_bgp_create starts with LB_BGP_STARTING. */
void lb_bgp_set_hold(struct lb_bgp *b, enum lb_bgp_hold hold);

/** The hold in force. */
enum lb_bgp_hold lb_bgp_hold_of(const struct lb_bgp *b);

/**
 * What `edgelbctl bgp` shows: the hold, BIRD's pid, restarts, whether it
 * has the last change, every address with announced/reason, and the
 * sessions as BIRD reports them (show protocols: name, state, since,
 * info, e.g. "Established"). Asks BIRD (blocks up to 1 s).
 */
json_t *lb_bgp_status(struct lb_bgp *b);

/** "forwarding", "starting", "withdrawn" or "stopping". */
const char *lb_bgp_hold_name(enum lb_bgp_hold hold);

#endif
