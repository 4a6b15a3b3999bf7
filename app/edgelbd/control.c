/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The management lcore: sleeps in the event loop (lb_evloop.h) on the
 * management socket, a timer and the signals. The timer drives neighbour
 * resolution: it takes the ARP packets workers passed up, publishes MAC
 * changes, and asks for neighbours that are due.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <rte_arp.h>
#include <rte_cycles.h>
#include <rte_ether.h>
#include <rte_log.h>
#include <rte_mbuf.h>

#include "edgelbd.h"
#include "lb_evloop.h"
#include "lb_mgmt.h"
#include "lb_neigh.h"
#include "lb_pkt.h"

#define TICK_MS 20
#define ARP_RETRY_MS 500
#define ARP_REFRESH_S 30
#define CTL_BURST 32

struct control {
	struct lb_dp *dp;
	struct rte_mempool *mp;
	struct lb_neigh_resolver res;
	struct lb_mgmt_server *srv;
	struct lb_evloop *loop;
};

static void
log_neigh(const struct lb_config *cfg, uint32_t addr,
	  const struct rte_ether_addr *mac, uint32_t port)
{
	char ip[16], m[RTE_ETHER_ADDR_FMT_SIZE];

	rte_ether_format_addr(m, sizeof(m), mac);
	inet_ntop(AF_INET, &addr, ip, sizeof(ip));
	fprintf(stderr, "edgelbd: neighbour %s is at %s on port %s\n", ip, m,
		cfg->ports[port].name);
}

/* An ARP packet a worker passed up: learn, publish if a MAC changed. */
static void
learn_from(struct control *c, struct rte_mbuf *m, uint64_t now)
{
	const struct lb_config *cfg = c->dp->config;
	struct lb_neigh_table *next;
	struct lb_pkt_info pi;
	unsigned int port = m->port;

	if (port >= c->dp->n_ports ||
	    lb_pkt_parse(m, &c->dp->ports[port].mac, &pi) != LB_PKT_ARP)
		return;
	next = lb_neigh_learn(&c->res, c->dp->neigh, port, pi.src_addr,
			      &pi.arp_sha, now);
	if (next == NULL)
		return;
	log_neigh(cfg, pi.src_addr, &pi.arp_sha, port);
	lb_neigh_table_free((struct lb_neigh_table *)
			    lb_dp_publish_neigh(c->dp, next));
}

static void
ask_due(struct control *c, uint64_t now)
{
	const struct lb_config *cfg = c->dp->config;
	uint32_t idx[64];
	unsigned int n, i;

	n = lb_neigh_due(&c->res, c->dp->neigh, now, idx, RTE_DIM(idx));
	for (i = 0; i < n; i++) {
		const struct lb_neigh_conf *nc = &cfg->neighs[idx[i]];
		struct rte_mbuf *m = rte_pktmbuf_alloc(c->mp);

		if (m == NULL)
			return;
		if (lb_pkt_arp_request(m, &c->dp->ports[nc->port].mac,
				       cfg->ports[nc->port].addr,
				       nc->addr) != 0) {
			rte_pktmbuf_free(m);
			continue;
		}
		lb_dp_send_ctl(c->dp, nc->port, m);
	}
}

static void
on_tick(struct lb_evloop_timer *t, void *arg)
{
	struct control *c = arg;
	struct rte_mbuf *pkts[CTL_BURST];
	uint64_t now = rte_get_tsc_cycles();
	unsigned int n, i;

	(void)t;
	while ((n = lb_dp_recv_ctl(c->dp, pkts, CTL_BURST)) > 0) {
		for (i = 0; i < n; i++) {
			learn_from(c, pkts[i], now);
			rte_pktmbuf_free(pkts[i]);
		}
	}
	ask_due(c, now);
}

static void
on_stop(struct lb_evloop_signal *s, int signo, void *arg)
{
	struct control *c = arg;

	(void)s;
	fprintf(stderr, "edgelbd: signal %d, stopping\n", signo);
	lb_evloop_stop(c->loop);
}

static void
on_hup(struct lb_evloop_signal *s, int signo, void *arg)
{
	(void)s;
	(void)signo;
	(void)arg;
	fprintf(stderr, "edgelbd: SIGHUP: reload not yet wired\n");
}

/* Registrations live as long as the loop: lb_evloop_destroy frees them. */
static int
setup_loop(struct control *c, char *err, size_t errlen)
{
	c->loop = lb_evloop_create();
	if (c->loop == NULL ||
	    lb_evloop_timer_add(c->loop, TICK_MS, TICK_MS, on_tick, c) == NULL ||
	    lb_evloop_signal_add(c->loop, SIGINT, on_stop, c) == NULL ||
	    lb_evloop_signal_add(c->loop, SIGTERM, on_stop, c) == NULL ||
	    lb_evloop_signal_add(c->loop, SIGHUP, on_hup, c) == NULL) {
		snprintf(err, errlen, "event loop: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int
edgelbd_control_run(struct lb_dp *dp, struct rte_mempool *mp, char *err,
		    size_t errlen)
{
	struct control c = { .dp = dp, .mp = mp };
	struct lb_mgmt_ctx ctx = { .dp = dp, .start_time = time(NULL),
				   .version = EDGELBD_VERSION };
	uint64_t hz = rte_get_tsc_hz();
	int rc = -1;

	if (lb_neigh_resolver_init(&c.res, dp->config, ARP_RETRY_MS * hz / 1000,
				   ARP_REFRESH_S * hz) != 0) {
		snprintf(err, errlen, "neighbour resolver: out of memory");
		return -1;
	}
	if (setup_loop(&c, err, errlen) == 0) {
		c.srv = lb_mgmt_server_create(dp->config->global.socket, &ctx,
					      c.loop, err, errlen);
		if (c.srv != NULL) {
			fprintf(stderr, "edgelbd: ready, management socket %s\n",
				dp->config->global.socket);
			rc = lb_evloop_run(c.loop);
			if (rc < 0)
				snprintf(err, errlen, "event loop: %s",
					 strerror(-rc));
		}
	}
	lb_mgmt_server_destroy(c.srv);
	lb_evloop_destroy(c.loop);
	lb_neigh_resolver_fini(&c.res);
	return rc;
}
