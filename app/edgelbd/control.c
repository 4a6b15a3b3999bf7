/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The management lcore: sleeps in the event loop (lb_evloop.h) on the
 * management socket, timers, signals, health checks and the kernel
 * exception path (lb_excpath.h). Every change to what the workers run
 * goes through lib/runtime: neighbour updates and health transitions
 * gathered each tick, SIGHUP reloads, and the socket's commands.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <rte_arp.h>
#include <rte_cycles.h>
#include <rte_ether.h>
#include <rte_log.h>
#include <rte_mbuf.h>

#include "edgelbd.h"
#include "lb_bgp.h"
#include "lb_evloop.h"
#include "lb_health.h"
#include "lb_http.h"
#include "lb_metrics.h"
#include "lb_mgmt.h"
#include "lb_neigh.h"
#include "lb_page.h"
#include "lb_pkt.h"
#include "lb_watch.h"

#define TICK_MS 20
#define HOUSEKEEPING_MS 1000    /* lb_runtime_tick: forget removed backends */
#define WATCH_MS 1000           /* lb_watch_tick: one sample a second */
#define CTL_BURST 32
#define CTL_BURSTS_PER_TICK 16  /* 512 ARP packets every 20 ms at most */

struct control {
	struct lb_dp *dp;
	struct lb_runtime *rt;
	struct rte_mempool *mp;
	struct lb_mgmt_server *srv;
	struct lb_evloop *loop;
	struct lb_health *health;
	uint64_t health_gen;        /* generation the checker follows */
	struct lb_excpath *xp;
	uint64_t status_seq;        /* snapshot systemd's STATUS= describes */
	struct lb_metrics *metrics; /* /metrics and the telemetry snapshot */
	/* The HTTP listener on metrics_listen (NULL: off); others (a status
	 * page) add their paths with lb_http_route(), their families with
	 * lb_metrics_register(). */
	struct lb_http *http;
	struct lb_watch *watch;
	struct lb_bgp *bgp;         /* NULL: no [bgp] */
	struct lb_evloop_timer *drain;  /* SIGTERM with [bgp]: then stop */
	uint64_t bgp_since;         /* TSC when BIRD was started */
};

/* Most a start waits for the health checks before announcing anyway: a
 * backend that flaps is never judged, and must not keep the box silent. */
#define BGP_SETTLE_S 30

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
 * as one snapshot. @return as lb_runtime_neigh_learn (0: not ARP). */
static int
learn_from(struct control *c, struct rte_mbuf *m, uint64_t now)
{
	const struct lb_config *cfg = lb_runtime_snapshot(c->rt)->cfg;
	struct lb_pkt_info pi;
	unsigned int port = m->port;
	int rc;

	if (port >= c->dp->n_ports ||
	    lb_pkt_parse(m, &c->dp->ports[port].mac, cfg->ports[port].vlan,
			 &pi) != LB_PKT_ARP)
		return 0;
	rc = lb_runtime_neigh_learn(c->rt, port, pi.src_addr, &pi.arp_sha,
				    &rte_pktmbuf_mtod(m, struct rte_ether_hdr *)
					     ->src_addr, now);
	if (rc > 0)
		log_neigh(cfg, pi.src_addr, &pi.arp_sha, port);
	return rc;
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
				       cfg->ports[nc->port].addr, nc->addr,
				       cfg->ports[nc->port].vlan) != 0) {
			rte_pktmbuf_free(m);
			continue;
		}
		lb_dp_send_ctl(c->dp, nc->port, m);
	}
}

/* lb_health_cb: gathered, applied by the tick as one generation. */
static void
on_health(uint16_t id, enum lb_health_state state, const char *reason,
	  void *arg)
{
	struct control *c = arg;
	const char *name = lb_runtime_backend_name(c->rt, id);

	if (state == LB_HEALTH_UNCHECKED)
		return;
	edgelbd_log(state == LB_HEALTH_DOWN ? LOG_WARNING : LOG_NOTICE,
		    "backend %s %s: %s", name != NULL ? name : "?",
		    lb_health_state_name(state), reason);
	lb_runtime_health_set(c->rt, id, state == LB_HEALTH_DOWN, reason);
}

/*
 * The checker follows every generation the workers run. A backend it no
 * longer holds down (its check settings changed, or its pool is no longer
 * checked) is no longer down: checks decide anew from unchecked.
 */
static void
health_follow(struct control *c)
{
	const struct lb_snapshot *snap = lb_runtime_snapshot(c->rt);
	const struct lb_config *cfg = snap->cfg;
	uint32_t i, id;

	if (snap->generation == c->health_gen)
		return;
	c->health_gen = snap->generation;
	if (lb_health_sync(c->health, cfg) != 0)
		edgelbd_log(LOG_ERR, "health checks: cannot follow generation "
			    "%" PRIu64, snap->generation);
	for (i = 0; i < cfg->n_backends; i++) {
		id = cfg->backends[i].id;
		if (lb_runtime_backend_down(c->rt, id) &&
		    lb_health_state_of(c->health, id) != LB_HEALTH_DOWN)
			lb_runtime_health_set(c->rt, id, 0, "no longer checked "
					      "down (check settings changed)");
	}
}

/* "announce A, B; withdraw C (why)" for the log and the audit. */
static void
bgp_describe(const json_t *diff, char *buf, size_t n)
{
	const json_t *v;
	size_t i, len;

	len = (size_t)snprintf(buf, n, "bgp:");
	json_array_foreach(json_object_get(diff, "announced"), i, v)
		if (len < n)
			len += (size_t)snprintf(buf + len, n - len,
						" announce %s;",
						json_string_value(v));
	json_array_foreach(json_object_get(diff, "withdrawn"), i, v)
		if (len < n)
			len += (size_t)snprintf(buf + len, n - len,
				" withdraw %s (%s);",
				json_string_value(json_object_get(v, "address")),
				json_string_value(json_object_get(v, "reason")));
}

/*
 * A box that just started announces once its checks have judged every
 * checked backend: a box that cannot reach its backends must not draw
 * traffic for the rise/fall time first (unchecked backends count as up).
 */
static void
bgp_settle(struct control *c, uint64_t now)
{
	const struct lb_config *cfg = lb_runtime_snapshot(c->rt)->cfg;
	const struct lb_backend_conf *be;
	uint32_t i;

	if (lb_bgp_hold_of(c->bgp) != LB_BGP_STARTING)
		return;
	for (i = 0; now - c->bgp_since < BGP_SETTLE_S * rte_get_tsc_hz() &&
		    i < cfg->n_backends; i++) {
		be = &cfg->backends[i];
		if (be->state != LB_BACKEND_REMOVED &&
		    be->pool < cfg->n_pools &&
		    cfg->pools[be->pool].health.kind != LB_HEALTH_NONE &&
		    lb_health_state_of(c->health, be->id) ==
			    LB_HEALTH_UNCHECKED)
			return;
	}
	lb_bgp_set_hold(c->bgp, LB_BGP_FORWARDING);
}

/* What BIRD announces follows what the workers run: health, reloads,
 * runtime changes. Changes are logged and recorded. */
static void
bgp_follow(struct control *c, const struct lb_actor *who)
{
	static const struct lb_actor self = { .kind = LB_ACTOR_RUNTIME };
	json_t *diff, *rec;
	char line[512];

	if (c->bgp == NULL)
		return;
	diff = lb_bgp_update(c->bgp, lb_runtime_snapshot(c->rt)->cfg);
	if (diff == NULL)
		return;
	bgp_describe(diff, line, sizeof(line));
	edgelbd_log(LOG_NOTICE, "%s", line);
	rec = json_pack("{s:o}", "bgp", diff);
	lb_runtime_record_event(c->rt, who != NULL ? who : &self, line, "ok",
				rec);
}

static void
on_tick(struct lb_evloop_timer *t, void *arg)
{
	struct control *c = arg;
	struct rte_mbuf *pkts[CTL_BURST];
	uint64_t now = rte_get_tsc_cycles();
	unsigned int n, i, b;

	(void)t;
	/* Bounded: a flood of ARP must not keep the loop from commands and
	 * signals; what is left waits for the next tick (a full ring is
	 * counted by the workers as ctl_ring_full). */
	for (b = 0; b < CTL_BURSTS_PER_TICK &&
		    (n = lb_dp_recv_ctl(c->dp, pkts, CTL_BURST)) > 0; b++) {
		for (i = 0; i < n; i++) {
			/* The kernel resolves its own neighbours: it gets the
			 * reply too (freed where the port has no kernel
			 * interface), unless edgelb refused it: Linux would
			 * take an unsolicited MAC for a backend (after its
			 * 1 s lock time) and send health checks there. */
			if (learn_from(c, pkts[i], now) < 0)
				rte_pktmbuf_free(pkts[i]);
			else
				lb_excpath_pass_arp(c->xp, pkts[i]);
		}
	}
	lb_runtime_neigh_commit(c->rt);
	health_follow(c);
	lb_runtime_health_commit(c->rt);
	if (c->bgp != NULL)
		bgp_settle(c, now);
	bgp_follow(c, NULL);
	ask_due(c, now);
	edgelbd_sd_watchdog();
}

/* STATUS= for systemd once a second at most, whoever made the change
 * (socket, signal, neighbours, edgelbd itself). */
static void
update_status(struct control *c)
{
	uint64_t seq = lb_runtime_snapshot(c->rt)->seq;

	if (seq == c->status_seq)
		return;
	c->status_seq = seq;
	edgelbd_sd_status_of(c->dp);
}

static void
on_housekeeping(struct lb_evloop_timer *t, void *arg)
{
	struct control *c = arg;

	(void)t;
	lb_runtime_tick(c->rt);
	update_status(c);
	lb_metrics_publish(c->metrics);
}

static uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
on_watch(struct lb_evloop_timer *t, void *arg)
{
	struct control *c = arg;

	(void)t;
	lb_watch_tick(c->watch, mono_ms());
	update_status(c);
}

/* lb_watch_latency_fn: what the checker measured. */
static int
watch_latency(void *arg, uint16_t id, uint32_t *us)
{
	struct control *c = arg;

	return lb_health_latency_us(c->health, id, us);
}

static void
on_drained(struct lb_evloop_timer *t, void *arg)
{
	struct control *c = arg;

	(void)t;
	edgelbd_log(LOG_NOTICE, "drained, stopping");
	lb_evloop_stop(c->loop);
}

/*
 * With [bgp], SIGTERM and SIGINT leave gracefully: withdraw every VIP
 * first, keep forwarding for drain_s while the routers move the flows to
 * the other boxes, then stop. A second signal, or SIGQUIT, stops at once.
 */
static void
on_stop(struct lb_evloop_signal *s, int signo, void *arg)
{
	const struct lb_actor who = { .kind = LB_ACTOR_SIGNAL };
	struct control *c = arg;
	uint32_t drain_s;

	(void)s;
	drain_s = lb_runtime_snapshot(c->rt)->cfg->bgp.drain_s;
	if (c->bgp == NULL || signo == SIGQUIT || c->drain != NULL ||
	    drain_s == 0) {
		edgelbd_log(LOG_NOTICE, "signal %d, stopping", signo);
		if (c->bgp != NULL && c->drain == NULL) {
			lb_bgp_set_hold(c->bgp, LB_BGP_STOPPING);
			bgp_follow(c, &who);
		}
		lb_evloop_stop(c->loop);
		return;
	}
	c->drain = lb_evloop_timer_add(c->loop, (uint64_t)drain_s * 1000, 0,
				       on_drained, c);
	if (c->drain == NULL) {
		edgelbd_log(LOG_ERR, "signal %d: no drain timer (%s), "
			    "stopping", signo, strerror(errno));
		lb_evloop_stop(c->loop);
		return;
	}
	edgelbd_log(LOG_NOTICE, "signal %d: withdrawing every VIP, draining "
		    "%u s, then stopping", signo, drain_s);
	edgelbd_sd_status("withdrawn, draining %u s before stopping", drain_s);
	lb_bgp_set_hold(c->bgp, LB_BGP_STOPPING);
	bgp_follow(c, &who);
}

/* SIGUSR1/SIGUSR2 mean nothing to edgelbd: said, not fatal. */
static void
on_ignored(struct lb_evloop_signal *s, int signo, void *arg)
{
	(void)s;
	(void)arg;
	edgelbd_log(LOG_NOTICE, "signal %d ignored (SIGHUP reloads, SIGINT, "
		    "SIGTERM and SIGQUIT stop)", signo);
}

/* SIGHUP: reload the file the running configuration came from. */
static void
on_hup(struct lb_evloop_signal *s, int signo, void *arg)
{
	const struct lb_actor who = { .kind = LB_ACTOR_SIGNAL };
	struct control *c = arg;
	json_t *ans = NULL;

	(void)s;
	(void)signo;
	edgelbd_sd_reloading();
	if (lb_runtime_reload(c->rt, NULL, &who, &ans) == 0)
		edgelbd_log(LOG_NOTICE, "SIGHUP: reloaded, generation %" PRIu64,
			    lb_runtime_snapshot(c->rt)->generation);
	else
		edgelbd_log(LOG_ERR, "SIGHUP: reload refused: %s",
			    json_string_value(json_object_get(ans, "error")));
	json_decref(ans);
	edgelbd_sd_reloaded();
	update_status(c);
}

/* Registrations live as long as the loop: lb_evloop_destroy frees them. */
static int
setup_loop(struct control *c, char *err, size_t errlen)
{
	int rc;

	c->loop = lb_evloop_create();
	if (c->loop == NULL ||
	    lb_evloop_timer_add(c->loop, TICK_MS, TICK_MS, on_tick, c) == NULL ||
	    lb_evloop_timer_add(c->loop, HOUSEKEEPING_MS, HOUSEKEEPING_MS,
				on_housekeeping, c) == NULL ||
	    lb_evloop_signal_add(c->loop, SIGINT, on_stop, c) == NULL ||
	    lb_evloop_signal_add(c->loop, SIGTERM, on_stop, c) == NULL ||
	    lb_evloop_signal_add(c->loop, SIGQUIT, on_stop, c) == NULL ||
	    lb_evloop_signal_add(c->loop, SIGHUP, on_hup, c) == NULL ||
	    lb_evloop_signal_add(c->loop, SIGUSR1, on_ignored, c) == NULL ||
	    lb_evloop_signal_add(c->loop, SIGUSR2, on_ignored, c) == NULL) {
		snprintf(err, errlen, "event loop: %s", strerror(errno));
		return -1;
	}
	rc = lb_excpath_attach(c->xp, c->loop);
	if (rc != 0) {
		snprintf(err, errlen, "event loop: kernel interfaces: %s",
			 strerror(-rc));
		return -1;
	}
	return 0;
}

/* A commit-confirmed apply's deadline is a timer on this loop. */
static int
setup_deadlines(struct control *c, char *err, size_t errlen)
{
	int rc = lb_runtime_attach_loop(c->rt, c->loop);

	if (rc != 0)
		snprintf(err, errlen, "event loop: confirmation timer: %s",
			 strerror(-rc));
	return rc;
}

/* The checker, on the first generation already. */
static int
setup_health(struct control *c, struct lb_mgmt_ctx *ctx, char *err,
	     size_t errlen)
{
	c->health = lb_health_create(c->loop, on_health, c);
	if (c->health == NULL) {
		snprintf(err, errlen, "health checks: %s", strerror(errno));
		return -1;
	}
	ctx->health = c->health;
	health_follow(c);
	return 0;
}

/* The watch's alerts as metrics: one sample per alert it lists, 1. */
static void
alert_metrics(struct lb_metrics_out *o, void *arg)
{
	const struct lb_watch *w = arg;
	const struct lb_watch_alert *a;
	unsigned int i, n = lb_watch_alert_count(w);

	lb_metrics_family(o, "edgelb_alert", LB_METRICS_GAUGE,
			  "alerts of the distribution watch (edgelbctl alerts): "
			  "1 per alert, by state (pending, firing, and resolved "
			  "for 10 minutes)");
	for (i = 0; i < n; i++) {
		a = lb_watch_alert_get(w, i);
		if (a == NULL)
			continue;
		const struct lb_metrics_label l[] = {
			{ "alertname", a->name }, { "vip", a->vip },
			{ "pool", a->pool }, { "backend", a->backend },
			{ "state", lb_watch_state_name(a->state) },
		};
		lb_metrics_sample(o, l, RTE_DIM(l), 1);
	}
}

/* The distribution watch: a sample a second, latencies from the checker;
 * its alerts among the metrics. After setup_metrics. */
static int
setup_watch(struct control *c, struct lb_mgmt_ctx *ctx, char *err,
	    size_t errlen)
{
	c->watch = lb_watch_create(c->rt, c->dp);
	if (c->watch == NULL ||
	    lb_evloop_timer_add(c->loop, WATCH_MS, WATCH_MS, on_watch,
				c) == NULL) {
		snprintf(err, errlen, "distribution watch: %s",
			 strerror(errno ? errno : ENOMEM));
		return -1;
	}
	lb_watch_set_latency(c->watch, watch_latency, c);
	ctx->watch = c->watch;
	if (lb_metrics_register(c->metrics, alert_metrics, c->watch) != 0) {
		snprintf(err, errlen, "distribution watch: no room for its "
			 "metrics");
		return -1;
	}
	return 0;
}

/* BIRD, when [bgp] asks for it: started now, announcing nothing until the
 * first tick derives what can be served. */
static int
setup_bgp(struct control *c, struct lb_mgmt_ctx *ctx, char *err,
	  size_t errlen)
{
	const struct lb_config *cfg = lb_runtime_snapshot(c->rt)->cfg;

	if (!cfg->bgp.enabled)
		return 0;
	c->bgp = lb_bgp_create(cfg, c->loop, err, errlen);
	c->bgp_since = rte_get_tsc_cycles();
	ctx->bgp = c->bgp;
	return c->bgp != NULL ? 0 : -1;
}

/*
 * The metrics registry (telemetry reads its once-a-second exposition even
 * without metrics_listen) and, when configured, the HTTP listener serving
 * /metrics from this loop. metrics_listen is not a runtime key: the
 * listener stays as it was made.
 */
static int
setup_metrics(struct control *c, const struct lb_mgmt_ctx *ctx,
	      const struct lb_config *cfg, char *err, size_t errlen)
{
	const struct lb_metrics_src src = {
		.dp = c->dp, .rt = c->rt, .health = c->health, .xp = c->xp,
		.read_nics = 1, .version = ctx->version,
		.start_time = (uint64_t)ctx->start_time,
	};
	static int registered;
	char a[INET_ADDRSTRLEN];
	int rc;

	c->metrics = lb_metrics_create(&src);
	if (c->metrics == NULL) {
		snprintf(err, errlen, "metrics: out of memory");
		return -1;
	}
	/* DPDK cannot unregister a command: once per process. */
	if (!registered && (rc = lb_metrics_telemetry_register()) != 0)
		edgelbd_log(LOG_WARNING, "telemetry: /edgelb/ commands not "
			    "registered: %s", strerror(-rc));
	registered = 1;
	lb_metrics_publish(c->metrics);
	if (cfg->global.metrics_port == 0)
		return 0;
	c->http = lb_http_create(c->loop, cfg->global.metrics_addr,
				 cfg->global.metrics_port, err, errlen);
	if (c->http == NULL || lb_metrics_serve(c->metrics, c->http) != 0) {
		if (c->http != NULL)
			snprintf(err, errlen, "metrics: cannot route /metrics");
		return -1;
	}
	inet_ntop(AF_INET, &cfg->global.metrics_addr, a, sizeof(a));
	edgelbd_log(LOG_NOTICE, "metrics on http://%s:%u/metrics", a,
		    cfg->global.metrics_port);
	return 0;
}

/* The status page beside /metrics ("/", "/status.json"), drawn from the
 * answers of the commands in @p ctx: after the watch and BGP are in it. */
static int
setup_page(struct control *c, struct lb_mgmt_ctx *ctx, char *err,
	   size_t errlen)
{
	if (c->http == NULL)
		return 0;
	if (lb_page_serve(c->http, ctx) != 0) {
		snprintf(err, errlen, "status page: cannot route / and "
			 "/status.json");
		return -1;
	}
	return 0;
}

/*
 * Read-only commands are for anyone who can connect: the socket belongs to
 * root and global.socket_group, mode 0660.
 */
static int
socket_access(const struct lb_config *cfg, char *err, size_t errlen)
{
	const char *path = cfg->global.socket, *name = cfg->global.socket_group;
	struct group gr, *res = NULL;
	char buf[4096];

	if (getgrnam_r(name, &gr, buf, sizeof(buf), &res) != 0 || res == NULL) {
		snprintf(err, errlen, "socket_group %s: no such group", name);
		return -1;
	}
	if (chown(path, 0, gr.gr_gid) != 0 || chmod(path, 0660) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

int
edgelbd_control_run(struct lb_dp *dp, struct lb_runtime *rt,
		    struct lb_excpath *xp, struct rte_mempool *mp, char *err,
		    size_t errlen)
{
	struct control c = { .dp = dp, .rt = rt, .mp = mp, .xp = xp };
	struct lb_mgmt_ctx ctx = { .dp = dp, .rt = rt, .xp = xp,
				   .start_time = time(NULL),
				   .version = EDGELBD_VERSION };
	/* Not runtime keys: the socket stays as it was made. */
	const struct lb_config *cfg = lb_runtime_snapshot(rt)->cfg;
	const char *sock = cfg->global.socket;
	int rc = -1;

	if (setup_loop(&c, err, errlen) == 0 &&
	    setup_deadlines(&c, err, errlen) == 0 &&
	    setup_health(&c, &ctx, err, errlen) == 0 &&
	    setup_metrics(&c, &ctx, cfg, err, errlen) == 0 &&
	    setup_watch(&c, &ctx, err, errlen) == 0 &&
	    setup_bgp(&c, &ctx, err, errlen) == 0 &&
	    setup_page(&c, &ctx, err, errlen) == 0) {
		c.srv = lb_mgmt_server_create(sock, &ctx, c.loop, err, errlen);
		if (c.srv != NULL && socket_access(cfg, err, errlen) == 0) {
			edgelbd_log(LOG_NOTICE, "ready, management socket %s",
				    sock);
			update_status(&c);
			edgelbd_sd_ready();
			rc = lb_evloop_run(c.loop);
			if (rc < 0)
				snprintf(err, errlen, "event loop: %s",
					 strerror(-rc));
		}
	}
	lb_mgmt_server_destroy(c.srv);
	lb_http_destroy(c.http);
	lb_metrics_destroy(c.metrics);
	lb_bgp_destroy(c.bgp);
	lb_health_destroy(c.health);
	lb_excpath_detach(xp);
	lb_runtime_attach_loop(rt, NULL);
	lb_evloop_destroy(c.loop);
	lb_watch_destroy(c.watch);
	return rc;
}
