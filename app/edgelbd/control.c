/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The management lcore: sleeps in epoll on the management socket, a timer
 * and the stop signals. The timer drives neighbour resolution: it takes the
 * ARP packets workers passed up, publishes MAC changes, and asks for
 * neighbours that are due.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <rte_arp.h>
#include <rte_cycles.h>
#include <rte_ether.h>
#include <rte_log.h>
#include <rte_mbuf.h>

#include "edgelbd.h"
#include "lb_mgmt.h"
#include "lb_neigh.h"
#include "lb_pkt.h"

#define TICK_MS 20
#define HOUSEKEEPING_TICKS 50   /* lb_runtime_tick about once a second */
#define CTL_BURST 32

struct control {
	struct lb_dp *dp;
	struct lb_runtime *rt;
	struct rte_mempool *mp;
	struct lb_mgmt_server *srv;
	unsigned int ticks;
	struct lb_event sig_ev, tick_ev;
	int epfd, sigfd, tickfd;
	int stop;
};

static void
log_neigh(const struct lb_config *cfg, uint32_t addr,
	  const struct rte_ether_addr *mac, uint32_t port)
{
	char ip[16], m[RTE_ETHER_ADDR_FMT_SIZE];

	rte_ether_format_addr(m, sizeof(m), mac);
	inet_ntop(AF_INET, &addr, ip, sizeof(ip));
	edgelbd_log(LOG_NOTICE, "neighbour %s is at %s on port %s", ip, m,
		    cfg->ports[port].name);
}

/* An ARP packet a worker passed up: learn; the tick applies what changed
 * as one snapshot. */
static void
learn_from(struct control *c, struct rte_mbuf *m, uint64_t now)
{
	const struct lb_config *cfg = lb_runtime_snapshot(c->rt)->cfg;
	struct lb_pkt_info pi;
	unsigned int port = m->port;

	if (port >= c->dp->n_ports ||
	    lb_pkt_parse(m, &c->dp->ports[port].mac, &pi) != LB_PKT_ARP)
		return;
	if (lb_runtime_neigh_learn(c->rt, port, pi.src_addr, &pi.arp_sha,
				   now))
		log_neigh(cfg, pi.src_addr, &pi.arp_sha, port);
}

static void
ask_due(struct control *c, uint64_t now)
{
	const struct lb_config *cfg = lb_runtime_snapshot(c->rt)->cfg;
	uint32_t idx[64];
	unsigned int n, i;

	n = lb_runtime_neigh_due(c->rt, now, idx, RTE_DIM(idx));
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
on_tick(struct lb_event *ev, uint32_t events)
{
	struct control *c = container_of(ev, struct control, tick_ev);
	struct rte_mbuf *pkts[CTL_BURST];
	uint64_t expirations, now = rte_get_tsc_cycles();
	unsigned int n, i;

	(void)events;
	if (read(c->tickfd, &expirations, sizeof(expirations)) < 0 &&
	    errno != EAGAIN)
		return;
	while ((n = lb_dp_recv_ctl(c->dp, pkts, CTL_BURST)) > 0) {
		for (i = 0; i < n; i++) {
			learn_from(c, pkts[i], now);
			rte_pktmbuf_free(pkts[i]);
		}
	}
	lb_runtime_neigh_commit(c->rt);
	ask_due(c, now);
	if (++c->ticks % HOUSEKEEPING_TICKS == 0)
		lb_runtime_tick(c->rt);
	lb_mgmt_server_tick(c->srv);
	edgelbd_sd_watchdog();
}

static void
on_signal(struct lb_event *ev, uint32_t events)
{
	struct control *c = container_of(ev, struct control, sig_ev);
	struct signalfd_siginfo si;

	(void)events;
	if (read(c->sigfd, &si, sizeof(si)) == sizeof(si)) {
		edgelbd_log(LOG_NOTICE, "signal %u, stopping", si.ssi_signo);
		c->stop = 1;
	}
}

static int
watch(struct control *c, int fd, struct lb_event *ev)
{
	struct epoll_event e = { .events = EPOLLIN, .data.ptr = ev };

	return epoll_ctl(c->epfd, EPOLL_CTL_ADD, fd, &e);
}

static int
setup_fds(struct control *c, char *err, size_t errlen)
{
	struct itimerspec its = {
		.it_interval.tv_nsec = TICK_MS * 1000000L,
		.it_value.tv_nsec = TICK_MS * 1000000L,
	};
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	c->epfd = epoll_create1(EPOLL_CLOEXEC);
	c->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	c->tickfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (c->epfd < 0 || c->sigfd < 0 || c->tickfd < 0 ||
	    timerfd_settime(c->tickfd, 0, &its, NULL) != 0) {
		snprintf(err, errlen, "management fds: %s", strerror(errno));
		return -1;
	}
	c->sig_ev.cb = on_signal;
	c->tick_ev.cb = on_tick;
	if (watch(c, c->sigfd, &c->sig_ev) || watch(c, c->tickfd, &c->tick_ev)) {
		snprintf(err, errlen, "epoll: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static void
loop(struct control *c)
{
	struct epoll_event ev[16];
	int n, i;

	while (!c->stop) {
		n = epoll_wait(c->epfd, ev, RTE_DIM(ev), 1000);
		for (i = 0; i < n; i++) {
			struct lb_event *e = ev[i].data.ptr;

			e->cb(e, ev[i].events);
		}
	}
}

static void
close_fds(struct control *c)
{
	if (c->tickfd >= 0)
		close(c->tickfd);
	if (c->sigfd >= 0)
		close(c->sigfd);
	if (c->epfd >= 0)
		close(c->epfd);
}

int
edgelbd_control_run(struct lb_dp *dp, struct lb_runtime *rt,
		    struct rte_mempool *mp, char *err, size_t errlen)
{
	struct control c = { .dp = dp, .rt = rt, .mp = mp, .epfd = -1,
			     .sigfd = -1, .tickfd = -1 };
	struct lb_mgmt_ctx ctx = { .dp = dp, .rt = rt,
				   .start_time = time(NULL),
				   .version = EDGELBD_VERSION };
	/* Not a runtime key: the socket stays where it was made. */
	const char *sock = lb_runtime_snapshot(rt)->cfg->global.socket;
	int rc = -1;

	if (setup_fds(&c, err, errlen) == 0) {
		c.srv = lb_mgmt_server_create(sock, &ctx, c.epfd, err, errlen);
		if (c.srv != NULL) {
			edgelbd_log(LOG_NOTICE, "ready, management socket %s",
				    sock);
			edgelbd_sd_status_of(dp);
			edgelbd_sd_ready();
			loop(&c);
			rc = 0;
		}
	}
	lb_mgmt_server_destroy(c.srv);
	close_fds(&c);
	return rc;
}
