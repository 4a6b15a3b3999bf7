/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The checker against real sockets on 127.0.0.1, all in one thread: a
 * real lb_evloop runs the checker and, beside it, the test's own servers
 * (a listener that accepts and closes for tcp, a tiny HTTP server that
 * answers a chosen status, at once or after a delay). Configurations are
 * built by hand: 127/8 is not a backend address lb_config_build accepts.
 *
 * Intervals are 100 ms or so, so the whole file runs in a few seconds.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "lb_health.h"

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- configurations ---- */

static struct lb_config *
cfg_new(uint32_t n_pools, uint32_t n_backends)
{
	struct lb_config *cfg = calloc(1, sizeof(*cfg));

	assert_non_null(cfg);
	cfg->n_pools = n_pools;
	cfg->n_backends = n_backends;
	cfg->pools = calloc(n_pools, sizeof(*cfg->pools));
	cfg->backends = calloc(n_backends, sizeof(*cfg->backends));
	assert_non_null(cfg->pools);
	assert_non_null(cfg->backends);
	return cfg;
}

static void
cfg_free(struct lb_config *cfg)
{
	free(cfg->pools);
	free(cfg->backends);
	free(cfg);
}

static struct lb_health_conf *
pool_set(struct lb_config *cfg, uint32_t p, enum lb_health_kind kind,
	 uint32_t interval_ms, uint32_t timeout_ms)
{
	struct lb_health_conf *h = &cfg->pools[p].health;

	snprintf(cfg->pools[p].name, LB_NAME_MAX, "pool%u", p);
	h->kind = (uint8_t)kind;
	h->interval_ms = interval_ms;
	h->timeout_ms = timeout_ms;
	h->rise = 2;
	h->fall = 3;
	h->expect_lo = 200;
	h->expect_hi = 399;
	strcpy(h->path, "/");
	return h;
}

static void
backend_set(struct lb_config *cfg, uint32_t i, uint16_t id, uint32_t pool,
	    uint16_t port)
{
	struct lb_backend_conf *b = &cfg->backends[i];

	snprintf(b->name, LB_NAME_MAX, "b%u", id);
	b->id = id;
	b->pool = pool;
	b->addr = htonl(INADDR_LOOPBACK);
	b->check_port = port;
	b->state = LB_BACKEND_UP;
}

/* ---- servers on the test's loop ---- */

#define MAX_HITS 64

struct server;

struct conn {
	struct server *srv;
	int fd;
	struct lb_evloop_handle *eh;
	struct lb_evloop_timer *delay;
	char buf[2048];
	size_t len;
	struct conn *next;
};

struct server {
	struct lb_evloop *loop;
	int fd;
	uint16_t port;
	struct lb_evloop_handle *eh;
	int http;                   /**< 0: accept and close */
	int status;
	uint32_t delay_ms;          /**< answer this late */
	int answer_any;             /**< answer the first bytes, whatever */
	int reset;                  /**< answer a request with RST */
	unsigned int hits;
	uint64_t hit_ms[MAX_HITS];
	char request[2048];         /**< the last one */
	struct conn *conns;
};

static void
conn_close(struct conn *c)
{
	struct conn **pp;

	for (pp = &c->srv->conns; *pp != c; pp = &(*pp)->next)
		;
	*pp = c->next;
	lb_evloop_timer_cancel(c->delay);
	lb_evloop_del_fd(c->eh);
	close(c->fd);
	free(c);
}

static void
conn_answer(struct conn *c)
{
	char resp[128];
	int n = snprintf(resp, sizeof(resp),
			 "HTTP/1.1 %d Test\r\nContent-Length: 2\r\n"
			 "Connection: close\r\n\r\nok", c->srv->status);

	(void)!send(c->fd, resp, (size_t)n, MSG_NOSIGNAL);
	conn_close(c);
}

static void
conn_delayed(struct lb_evloop_timer *t, void *arg)
{
	struct conn *c = arg;

	(void)t;
	conn_answer(c);
}

static void
conn_readable(struct lb_evloop_handle *eh, uint32_t events, void *arg)
{
	struct conn *c = arg;
	struct server *s = c->srv;
	ssize_t n;

	(void)eh;
	(void)events;
	n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - 1 - c->len, 0);
	if (n <= 0) {
		conn_close(c);      /* the checker gave up or is done */
		return;
	}
	c->len += (size_t)n;
	c->buf[c->len] = '\0';
	if (c->delay != NULL ||
	    (!s->answer_any && strstr(c->buf, "\r\n\r\n") == NULL))
		return;
	memcpy(s->request, c->buf, c->len + 1);
	if (s->reset) {
		struct linger lg = { .l_onoff = 1, .l_linger = 0 };

		setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		conn_close(c);
		return;
	}
	if (s->delay_ms == 0) {
		conn_answer(c);
		return;
	}
	c->delay = lb_evloop_timer_add(s->loop, s->delay_ms, 0, conn_delayed,
				       c);
	assert_non_null(c->delay);
}

static void
server_accept(struct lb_evloop_handle *eh, uint32_t events, void *arg)
{
	struct server *s = arg;
	struct conn *c;
	int fd;

	(void)eh;
	(void)events;
	while ((fd = accept4(s->fd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
		if (s->hits < MAX_HITS)
			s->hit_ms[s->hits] = now_ms();
		s->hits++;
		if (!s->http) {
			close(fd);
			continue;
		}
		c = calloc(1, sizeof(*c));
		assert_non_null(c);
		c->srv = s;
		c->fd = fd;
		c->next = s->conns;
		s->conns = c;
		c->eh = lb_evloop_add_fd(s->loop, fd, EPOLLIN, conn_readable, c);
		assert_non_null(c->eh);
	}
}

/* Listen on 127.0.0.1:@p port (0: any free port). */
static void
server_start(struct server *s, struct lb_evloop *loop, uint16_t port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_port = htons(port),
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sin);
	int one = 1;

	s->loop = loop;
	s->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	assert_true(s->fd >= 0);
	setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	assert_int_equal(bind(s->fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(s->fd, 128), 0);
	getsockname(s->fd, (struct sockaddr *)&sin, &len);
	s->port = ntohs(sin.sin_port);
	s->eh = lb_evloop_add_fd(loop, s->fd, EPOLLIN, server_accept, s);
	assert_non_null(s->eh);
}

static void
server_stop(struct server *s)
{
	while (s->conns != NULL)
		conn_close(s->conns);
	lb_evloop_del_fd(s->eh);
	close(s->fd);
	s->eh = NULL;
	s->fd = -1;
}

static void
http_server_start(struct server *s, struct lb_evloop *loop, int status,
		  uint32_t delay_ms)
{
	memset(s, 0, sizeof(*s));
	s->http = 1;
	s->status = status;
	s->delay_ms = delay_ms;
	server_start(s, loop, 0);
}

static void
tcp_server_start(struct server *s, struct lb_evloop *loop)
{
	memset(s, 0, sizeof(*s));
	server_start(s, loop, 0);
}

/* A port nothing listens on: connects are refused. */
static uint16_t
closed_port(void)
{
	struct server s = { 0 };
	struct lb_evloop *loop = lb_evloop_create();
	uint16_t port;

	server_start(&s, loop, 0);
	port = s.port;
	server_stop(&s);
	lb_evloop_destroy(loop);
	return port;
}

/* ---- the checker's callbacks, recorded ---- */

#define MAX_EVENTS 16

struct event {
	uint16_t id;
	enum lb_health_state state;
	char reason[160];
	json_int_t checks;          /**< the backend's total when called */
	json_int_t consecutive;
};

struct fixture {
	struct lb_evloop *loop;
	struct lb_health *h;
	unsigned int n_events;
	struct event ev[MAX_EVENTS];
	/* Sync to this configuration from the next callback, once. */
	struct lb_config *sync_in_cb;
	int sync_rc;
};

static json_int_t
json_int_of(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	assert_non_null(v);
	return json_integer_value(v);
}

static void
on_change(uint16_t id, enum lb_health_state state, const char *reason,
	  void *arg)
{
	struct fixture *f = arg;
	struct event *e;
	json_t *j;

	if (f->n_events++ >= MAX_EVENTS)
		return;             /* counted only */
	e = &f->ev[f->n_events - 1];
	e->id = id;
	e->state = state;
	snprintf(e->reason, sizeof(e->reason), "%s", reason);
	j = lb_health_backend_json(f->h, id, 1);
	assert_non_null(j);
	e->checks = json_int_of(j, "checks");
	e->consecutive = json_int_of(j, "consecutive");
	json_decref(j);
	if (f->sync_in_cb != NULL) {
		f->sync_rc = lb_health_sync(f->h, f->sync_in_cb);
		f->sync_in_cb = NULL;
	}
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->loop = lb_evloop_create();
	assert_non_null(f->loop);
	f->h = lb_health_create(f->loop, on_change, f);
	assert_non_null(f->h);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	lb_health_destroy(f->h);
	lb_evloop_destroy(f->loop);
	free(f);
	return 0;
}

/* Run the loop until @p n callbacks were seen or @p max_ms passed. */
static void
run_events(struct fixture *f, unsigned int n, uint64_t max_ms)
{
	uint64_t end = now_ms() + max_ms;

	while (f->n_events < n && now_ms() < end)
		lb_evloop_run_once(f->loop, 10);
}

static void
run_for(struct fixture *f, uint64_t ms)
{
	uint64_t end = now_ms() + ms;

	while (now_ms() < end)
		lb_evloop_run_once(f->loop, 5);
}

static json_int_t
backend_int(struct fixture *f, uint16_t id, const char *key)
{
	json_t *j = lb_health_backend_json(f->h, id, 1);
	json_int_t v;

	assert_non_null(j);
	v = json_int_of(j, key);
	json_decref(j);
	return v;
}

static void
run_until_checks(struct fixture *f, uint16_t id, json_int_t n,
		 uint64_t max_ms)
{
	uint64_t end = now_ms() + max_ms;

	while (backend_int(f, id, "checks") < n && now_ms() < end)
		lb_evloop_run_once(f->loop, 5);
	assert_true(backend_int(f, id, "checks") >= n);
}

static void
assert_backend_str(struct fixture *f, uint16_t id, const char *key,
		   const char *want)
{
	json_t *j = lb_health_backend_json(f->h, id, 1);

	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, key)), want);
	json_decref(j);
}

/* ---- lb_health_state_name ---- */

static void
test_health_state_names(void **state)
{
	(void)state;
	assert_string_equal(lb_health_state_name(LB_HEALTH_UNCHECKED),
			    "unchecked");
	assert_string_equal(lb_health_state_name(LB_HEALTH_UP), "up");
	assert_string_equal(lb_health_state_name(LB_HEALTH_DOWN), "down");
	assert_string_equal(lb_health_state_name(7), "unknown");
}

/* ---- tcp ---- */

static void
test_health_tcp_up_after_rise_successes(void **state)
{
	struct fixture *f = *state;
	struct lb_config *cfg = cfg_new(1, 1);
	struct server s;
	json_t *j;

	tcp_server_start(&s, f->loop);
	pool_set(cfg, 0, LB_HEALTH_TCP, 100, 50);
	backend_set(cfg, 0, 7, 0, s.port);
	assert_int_equal(lb_health_sync(f->h, cfg), 0);
	assert_int_equal(lb_health_state_of(f->h, 7), LB_HEALTH_UNCHECKED);
	assert_int_equal(f->n_events, 0);   /* nothing runs inside sync */
	run_events(f, 1, 2000);
	assert_int_equal(f->n_events, 1);
	assert_int_equal(f->ev[0].id, 7);
	assert_int_equal(f->ev[0].state, LB_HEALTH_UP);
	assert_string_equal(f->ev[0].reason, "2 consecutive successes");
	assert_int_equal(f->ev[0].checks, 2);
	assert_int_equal(lb_health_state_of(f->h, 7), LB_HEALTH_UP);
	assert_true(s.hits >= 2);
	j = lb_health_backend_json(f->h, 7, 0);
	assert_string_equal(json_string_value(json_object_get(j, "health")),
			    "up");
	assert_string_equal(json_string_value(json_object_get(j,
					      "last_result")), "ok");
	assert_true(json_is_number(json_object_get(j, "last_latency_ms")));
	assert_true(json_is_string(json_object_get(j, "since")));
	assert_string_equal(json_string_value(json_object_get(j,
					      "consecutive_kind")),
			    "successes");
	/* 2024-05-01T12:00:00.123Z */
	assert_int_equal(strlen(json_string_value(json_object_get(j,
					      "checked_at"))), 24);
	assert_null(json_object_get(j, "latencies"));   /* detail only */
	json_decref(j);
	assert_int_equal(lb_health_state_of(f->h, 8), LB_HEALTH_UNCHECKED);
	assert_null(lb_health_backend_json(f->h, 8, 0));
	server_stop(&s);
	cfg_free(cfg);
}

static void
test_health_tcp_down_after_fall_failures_refused(void **state)
{
	struct fixture *f = *state;
	struct lb_config *cfg = cfg_new(1, 1);
	json_t *j;

	pool_set(cfg, 0, LB_HEALTH_TCP, 100, 50);
	backend_set(cfg, 0, 3, 0, closed_port());
	assert_int_equal(lb_health_sync(f->h, cfg), 0);
	run_events(f, 1, 2000);
	assert_int_equal(f->n_events, 1);
	assert_int_equal(f->ev[0].state, LB_HEALTH_DOWN);
	assert_string_equal(f->ev[0].reason,
			    "3 consecutive failures: connect refused");
	/* Exactly fall checks, not one more. */
	assert_int_equal(f->ev[0].checks, 3);
	assert_int_equal(f->ev[0].consecutive, 3);
	j = lb_health_backend_json(f->h, 3, 1);
	assert_string_equal(json_string_value(json_object_get(j,
					      "last_result")),
			    "connect refused");
	assert_string_equal(json_string_value(json_object_get(j,
					      "consecutive_kind")),
			    "failures");
	assert_int_equal(json_int_of(j, "failures"), 3);
	json_decref(j);
	/* Failures go on counting; no second callback. */
	run_until_checks(f, 3, 5, 2000);
	assert_int_equal(f->n_events, 1);
	assert_true(backend_int(f, 3, "consecutive") >= 5);
	cfg_free(cfg);
}

static void
test_health_tcp_rise_after_restart(void **state)
{
	struct fixture *f = *state;
	struct lb_config *cfg = cfg_new(1, 1);
	struct server s;
	uint16_t port;

	tcp_server_start(&s, f->loop);
	port = s.port;
	pool_set(cfg, 0, LB_HEALTH_TCP, 100, 50);
	backend_set(cfg, 0, 1, 0, port);
	assert_int_equal(lb_health_sync(f->h, cfg), 0);
	run_events(f, 1, 2000);
	assert_int_equal(f->ev[0].state, LB_HEALTH_UP);
	server_stop(&s);
	run_events(f, 2, 2000);
	assert_int_equal(f->n_events, 2);
	assert_int_equal(f->ev[1].state, LB_HEALTH_DOWN);
	assert_string_equal(f->ev[1].reason,
			    "3 consecutive failures: connect refused");
	memset(&s, 0, sizeof(s));
	server_start(&s, f->loop, port);
	run_events(f, 3, 2000);
	assert_int_equal(f->n_events, 3);
	assert_int_equal(f->ev[2].state, LB_HEALTH_UP);
	assert_string_equal(f->ev[2].reason, "2 consecutive successes");
	assert_int_equal(f->ev[2].consecutive, 2);
	assert_int_equal(lb_health_state_of(f->h, 1), LB_HEALTH_UP);
	server_stop(&s);
	cfg_free(cfg);
}

/* rise = fall = 1: one result decides, and the reason is singular. */
static void
test_health_tcp_rise_one_fall_one(void **state)
{
	struct fixture *f = *state;
	struct lb_config *cfg = cfg_new(1, 1);
	struct lb_health_conf *hc = pool_set(cfg, 0, LB_HEALTH_TCP, 100, 50);
	struct server s;

	hc->rise = 1;
	hc->fall = 1;
	tcp_server_start(&s, f->loop);
	backend_set(cfg, 0, 1, 0, s.port);
	assert_int_equal(lb_health_sync(f->h, cfg), 0);
	run_events(f, 1, 2000);
	assert_string_equal(f->ev[0].reason, "1 consecutive success");
	assert_int_equal(f->ev[0].checks, 1);
	server_stop(&s);
	run_events(f, 2, 2000);
	assert_string_equal(f->ev[1].reason,
			    "1 consecutive failure: connect refused");
	cfg_free(cfg);
}

/* ---- http ---- */

static void
test_health_http_200_up_with_path_and_host(void **state)
{
	struct fixture *f = *state;
	struct lb_config *cfg = cfg_new(1, 1);
	struct lb_health_conf *hc = pool_set(cfg, 0, LB_HEALTH_HTTP, 100, 80);
	struct server s;

	http_server_start(&s, f->loop, 200, 0);
	strcpy(hc->path, "/healthz?full=1");
	strcpy(hc->host, "www.example.com");
	backend_set(cfg, 0, 9, 0, s.port);
	assert_int_equal(lb_health_sync(f->h, cfg), 0);
	run_events(f, 1, 2000);
	assert_int_equal(f->n_events, 1);
	assert_int_equal(f->ev[0].state, LB_HEALTH_UP);
	assert_string_equal(f->ev[0].reason, "2 consecutive successes");
	assert_non_null(strstr(s.request, "GET /healthz?full=1 HTTP/1.1\r\n"));
	assert_non_null(strstr(s.request, "\r\nHost: www.example.com\r\n"));
	assert_backend_str(f, 9, "last_result", "ok");
	server_stop(&s);
	cfg_free(cfg);
}

/* No health_host: the Host header is the backend's address. */
static void
test_health_http_host_defaults_to_address(void **state)
{
	struct fixture *f = *state;
	struct lb_config *cfg = cfg_new(1, 1);
	struct server s;
	char want[64];

	http_server_start(&s, f->loop, 200, 0);
	pool_set(cfg, 0, LB_HEALTH_HTTP, 100, 80);
	backend_set(cfg, 0, 9, 0, s.port);
	assert_int_equal(lb_health_sync(f->h, cfg), 0);
	run_events(f, 1, 2000);
	snprintf(want, sizeof(want), "\r\nHost: 127.0.0.1:%u\r\n", s.port);
	assert_non_null(strstr(s.request, want));
	server_stop(&s);
	cfg_free(cfg);
}

static void
test_health_http_500_down(void **state)
{
	struct fixture *f = *state;
	struct lb_config *cfg = cfg_new(1, 1);
	struct server s;

	http_server_start(&s, f->loop, 500, 0);
	pool_set(cfg, 0, LB_HEALTH_HTTP, 100, 80);
	backend_set(cfg, 0, 4, 0, s.port);
	assert_int_equal(lb_health_sync(f->h, cfg), 0);
	run_events(f, 1, 2000);
	assert_int_equal(f->n_events, 1);
	assert_int_equal(f->ev[0].state, LB_HEALTH_DOWN);
	assert_string_equal(f->ev[0].reason,
			    "3 consecutive failures: HTTP 500");
	assert_int_equal(f->ev[0].checks, 3);
	assert_backend_str(f, 4, "last_result", "HTTP 500");
	server_stop(&s);
	cfg_free(cfg);
}

static void
test_health_http_slower_than_timeout_fails(void **state)
{
	struct fixture *f = *state;
	struct lb_config *cfg = cfg_new(1, 1);
	struct server s;
	json_t *j, *lat;
	double ms;

	http_server_start(&s, f->loop, 200, 300);
	pool_set(cfg, 0, LB_HEALTH_HTTP, 100, 50);
	backend_set(cfg, 0, 5, 0, s.port);
	assert_int_equal(lb_health_sync(f->h, cfg), 0);
	run_events(f, 1, 2000);
	assert_int_equal(f->n_events, 1);
	assert_int_equal(f->ev[0].state, LB_HEALTH_DOWN);
	assert_string_equal(f->ev[0].reason,
			    "3 consecutive failures: timeout after 50 ms");
	/* Each check ended at its timeout, not at the server's answer. */
	j = lb_health_backend_json(f->h, 5, 1);
	lat = json_array_get(json_object_get(j, "latencies"), 0);
	ms = json_number_value(json_object_get(lat, "ms"));
	assert_true(ms >= 45 && ms < 150);
	assert_false(json_boolean_value(json_object_get(lat, "ok")));
	assert_string_equal(json_string_value(json_object_get(lat, "result")),
			    "timeout after 50 ms");
	json_decref(j);
	server_stop(&s);
	cfg_free(cfg);
}

/* Failures below HTTP get the socket's words, as tcp checks do. */
static void
test_health_http_refused_and_reset(void **state)
{
	struct fixture *f = *state;
	struct lb_config *cfg = cfg_new(1, 2);
	struct server s;

	http_server_start(&s, f->loop, 200, 0);
	s.reset = 1;
	pool_set(cfg, 0, LB_HEALTH_HTTP, 100, 80);
	backend_set(cfg, 0, 1, 0, closed_port());
	backend_set(cfg, 1, 2, 0, s.port);
	assert_int_equal(lb_health_sync(f->h, cfg), 0);
	run_events(f, 2, 2000);
	assert_int_equal(f->n_events, 2);
	assert_int_equal(lb_health_state_of(f->h, 1), LB_HEALTH_DOWN);
	assert_int_equal(lb_health_state_of(f->h, 2), LB_HEALTH_DOWN);
	assert_backend_str(f, 1, "last_result", "connect refused");
	assert_backend_str(f, 2, "last_result", "connection reset");
	server_stop(&s);
	cfg_free(cfg);
}

/* Two pools, two ranges: 204 outside 200-200 fails, 503 inside 500-503
 * passes. */
static void
test_health_http_expect_ranges(void **state)
{
	struct fixture *f = *state;
	struct lb_config *cfg = cfg_new(2, 2);
	struct lb_health_conf *a = pool_set(cfg, 0, LB_HEALTH_HTTP, 100, 80);
	struct lb_health_conf *b = pool_set(cfg, 1, LB_HEALTH_HTTP, 100, 80);
	struct server s204, s503;
	json_t *j;

	a->expect_lo = a->expect_hi = 200;
	b->expect_lo = 500;
	b->expect_hi = 503;
	http_server_start(&s204, f->loop, 204, 0);
	http_server_start(&s503, f->loop, 503, 0);
	backend_set(cfg, 0, 1, 0, s204.port);
	backend_set(cfg, 1, 2, 1, s503.port);
	assert_int_equal(lb_health_sync(f->h, cfg), 0);
	run_events(f, 2, 2000);
	assert_int_equal(f->n_events, 2);
	assert_int_equal(lb_health_state_of(f->h, 1), LB_HEALTH_DOWN);
	assert_int_equal(lb_health_state_of(f->h, 2), LB_HEALTH_UP);
	assert_backend_str(f, 1, "last_result", "HTTP 204");
	assert_backend_str(f, 2, "last_result", "ok");
	assert_backend_str(f, 2, "expect", "500-503");
	j = lb_health_backend_json(f->h, 1, 1);
	assert_string_equal(json_string_value(json_object_get(j, "kind")),
			    "http");
	assert_string_equal(json_string_value(json_object_get(j, "expect")),
			    "200-200");
	json_decref(j);
	server_stop(&s204);
	server_stop(&s503);
	cfg_free(cfg);
}

/* https goes through TLS: a server answering plain HTTP fails the
 * handshake (certificates are never verified, so a real TLS server of
 * any certificate would pass). */
static void
test_health_https_needs_tls(void **state)
{
	struct fixture *f = *state;
	struct lb_config *cfg = cfg_new(1, 1);
	struct server s;

	http_server_start(&s, f->loop, 200, 0);
	s.answer_any = 1;
	pool_set(cfg, 0, LB_HEALTH_HTTPS, 100, 80);
	backend_set(cfg, 0, 6, 0, s.port);
	assert_int_equal(lb_health_sync(f->h, cfg), 0);
	run_events(f, 1, 2000);
	assert_int_equal(f->n_events, 1);
	assert_int_equal(f->ev[0].state, LB_HEALTH_DOWN);
	assert_string_equal(f->ev[0].reason,
			    "3 consecutive failures: TLS handshake failed");
	server_stop(&s);
	cfg_free(cfg);
}

/* ---- lb_health_sync ---- */

static void
test_health_sync_keeps_unchanged_resets_changed(void **state)
{
	struct fixture *f = *state;
	struct lb_config *cfg = cfg_new(1, 2), *cfg2 = cfg_new(1, 2);
	struct server s1, s2, s3;
	json_int_t checks_a;

	tcp_server_start(&s1, f->loop);
	tcp_server_start(&s2, f->loop);
	tcp_server_start(&s3, f->loop);
	pool_set(cfg, 0, LB_HEALTH_TCP, 100, 50);
	backend_set(cfg, 0, 1, 0, s1.port);
	backend_set(cfg, 1, 2, 0, s2.port);
	assert_int_equal(lb_health_sync(f->h, cfg), 0);
	run_events(f, 2, 2000);
	assert_int_equal(f->n_events, 2);
	/* Same for A, another port for B; same pool settings. */
	memcpy(cfg2->pools, cfg->pools, sizeof(*cfg->pools));
	backend_set(cfg2, 0, 1, 0, s1.port);
	backend_set(cfg2, 1, 2, 0, s3.port);
	checks_a = backend_int(f, 1, "checks");
	assert_int_equal(lb_health_sync(f->h, cfg2), 0);
	assert_int_equal(f->n_events, 2);
	assert_int_equal(lb_health_state_of(f->h, 1), LB_HEALTH_UP);
	assert_true(backend_int(f, 1, "checks") >= checks_a);
	assert_true(backend_int(f, 1, "consecutive") >= 2);
	assert_int_equal(lb_health_state_of(f->h, 2), LB_HEALTH_UNCHECKED);
	assert_int_equal(backend_int(f, 2, "checks"), 0);
	assert_int_equal(backend_int(f, 2, "consecutive"), 0);
	assert_backend_str(f, 2, "health", "unchecked");
	/* B comes up again, at its new port; A stays as it was. */
	run_events(f, 3, 2000);
	assert_int_equal(f->n_events, 3);
	assert_int_equal(f->ev[2].id, 2);
	assert_int_equal(f->ev[2].state, LB_HEALTH_UP);
	assert_true(s3.hits >= 2);
	/* A pool setting that applies (rise) restarts both. */
	cfg2->pools[0].health.rise = 3;
	assert_int_equal(lb_health_sync(f->h, cfg2), 0);
	assert_int_equal(lb_health_state_of(f->h, 1), LB_HEALTH_UNCHECKED);
	assert_int_equal(lb_health_state_of(f->h, 2), LB_HEALTH_UNCHECKED);
	/* One that does not apply to tcp (path) keeps them. */
	run_events(f, 5, 2000);
	assert_int_equal(f->n_events, 5);
	assert_string_equal(f->ev[4].reason, "3 consecutive successes");
	strcpy(cfg2->pools[0].health.path, "/other");
	assert_int_equal(lb_health_sync(f->h, cfg2), 0);
	assert_int_equal(lb_health_state_of(f->h, 1), LB_HEALTH_UP);
	assert_int_equal(lb_health_state_of(f->h, 2), LB_HEALTH_UP);
	server_stop(&s1);
	server_stop(&s2);
	server_stop(&s3);
	cfg_free(cfg);
	cfg_free(cfg2);
}

/* health none, REMOVED backends and a backend without a port are not
 * checked. */
static void
test_health_sync_skips_unchecked_backends(void **state)
{
	struct fixture *f = *state;
	struct lb_config *cfg = cfg_new(2, 4);
	json_t *st;

	pool_set(cfg, 0, LB_HEALTH_NONE, 100, 50);
	pool_set(cfg, 1, LB_HEALTH_TCP, 100, 50);
	backend_set(cfg, 0, 1, 0, 80);
	backend_set(cfg, 1, 2, 1, 80);
	cfg->backends[1].state = LB_BACKEND_REMOVED;
	backend_set(cfg, 2, 3, 1, 0);
	backend_set(cfg, 3, 4, 1, 80);
	cfg->backends[3].state = LB_BACKEND_DISABLED;   /* still checked */
	assert_int_equal(lb_health_sync(f->h, cfg), 0);
	assert_null(lb_health_backend_json(f->h, 1, 0));
	assert_null(lb_health_backend_json(f->h, 2, 0));
	assert_null(lb_health_backend_json(f->h, 3, 0));
	assert_non_null(st = lb_health_backend_json(f->h, 4, 0));
	json_decref(st);
	st = lb_health_stats_json(f->h);
	assert_int_equal(json_int_of(st, "backends_checked"), 1);
	json_decref(st);
	cfg->backends[0].id = LB_MAX_BACKENDS;
	cfg->pools[0].health.kind = LB_HEALTH_TCP;
	assert_int_equal(lb_health_sync(f->h, cfg), -EINVAL);
	assert_non_null(st = lb_health_backend_json(f->h, 4, 0));
	json_decref(st);
	cfg_free(cfg);
}

static void
test_health_sync_forgets_without_callback(void **state)
{
	struct fixture *f = *state;
	struct lb_config *cfg = cfg_new(1, 1), *none = cfg_new(1, 0);
	json_t *st;

	pool_set(cfg, 0, LB_HEALTH_TCP, 100, 50);
	pool_set(none, 0, LB_HEALTH_TCP, 100, 50);
	backend_set(cfg, 0, 2, 0, closed_port());
	assert_int_equal(lb_health_sync(f->h, cfg), 0);
	run_until_checks(f, 2, 2, 2000);
	assert_int_equal(f->n_events, 0);
	assert_int_equal(lb_health_sync(f->h, none), 0);
	run_for(f, 400);
	assert_int_equal(f->n_events, 0);
	assert_int_equal(lb_health_state_of(f->h, 2), LB_HEALTH_UNCHECKED);
	assert_null(lb_health_backend_json(f->h, 2, 0));
	st = lb_health_stats_json(f->h);
	assert_int_equal(json_int_of(st, "backends_checked"), 0);
	assert_int_equal(json_int_of(st, "in_flight"), 0);
	json_decref(st);
	cfg_free(cfg);
	cfg_free(none);
}

/* A backend forgotten while its http check is in flight: the transfer is
 * cancelled, no result, no callback. */
static void
test_health_sync_cancels_check_in_flight(void **state)
{
	struct fixture *f = *state;
	struct lb_config *cfg = cfg_new(1, 1), *none = cfg_new(1, 0);
	struct server s;
	json_t *st;

	http_server_start(&s, f->loop, 200, 1000);
	pool_set(cfg, 0, LB_HEALTH_HTTP, 2000, 1500);
	backend_set(cfg, 0, 2, 0, s.port);
	assert_int_equal(lb_health_sync(f->h, cfg), 0);
	run_for(f, 100);
	st = lb_health_stats_json(f->h);
	assert_int_equal(json_int_of(st, "in_flight"), 1);
	json_decref(st);
	assert_int_equal(lb_health_sync(f->h, none), 0);
	st = lb_health_stats_json(f->h);
	assert_int_equal(json_int_of(st, "in_flight"), 0);
	assert_int_equal(json_int_of(st, "checks"), 0);
	json_decref(st);
	run_for(f, 100);
	assert_int_equal(f->n_events, 0);
	server_stop(&s);
	cfg_free(cfg);
	cfg_free(none);
}

/* The callback syncs (as the daemon's apply path may): the record that
 * reported is freed under the checker's feet, which must not touch it. */
static void
test_health_callback_may_sync(void **state)
{
	struct fixture *f = *state;
	struct lb_config *cfg = cfg_new(1, 2), *one = cfg_new(1, 1);
	uint16_t port = closed_port();

	pool_set(cfg, 0, LB_HEALTH_TCP, 100, 50);
	backend_set(cfg, 0, 1, 0, port);
	backend_set(cfg, 1, 2, 0, port);
	memcpy(one->pools, cfg->pools, sizeof(*cfg->pools));
	backend_set(one, 0, 2, 0, port);
	one->pools[0].health.fall = 5;  /* changed: 2 restarts */
	f->sync_in_cb = one;
	assert_int_equal(lb_health_sync(f->h, cfg), 0);
	run_events(f, 1, 2000);
	assert_int_equal(f->n_events, 1);
	assert_int_equal(f->sync_rc, 0);
	assert_int_equal(lb_health_state_of(f->h, 1), LB_HEALTH_UNCHECKED);
	assert_null(lb_health_backend_json(f->h, 1, 0));
	run_events(f, 2, 2000);
	assert_int_equal(f->n_events, 2);
	assert_int_equal(f->ev[1].id, 2);
	assert_string_equal(f->ev[1].reason,
			    "5 consecutive failures: connect refused");
	cfg_free(cfg);
	cfg_free(one);
}

/* ---- scheduling ---- */

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* 4 backends, 400 ms: first checks 100 ms apart, then each every 400. */
static void
test_health_checks_spread_over_interval(void **state)
{
	struct fixture *f = *state;
	struct lb_config *cfg = cfg_new(1, 4);
	struct server s[4];
	uint64_t first[4], t0;
	unsigned int i;
	json_t *st;

	pool_set(cfg, 0, LB_HEALTH_TCP, 400, 100);
	for (i = 0; i < 4; i++) {
		tcp_server_start(&s[i], f->loop);
		backend_set(cfg, i, (uint16_t)(10 + i), 0, s[i].port);
	}
	t0 = now_ms();
	assert_int_equal(lb_health_sync(f->h, cfg), 0);
	run_for(f, 950);
	for (i = 0; i < 4; i++) {
		assert_true(s[i].hits >= 2 && s[i].hits <= 3);
		first[i] = s[i].hit_ms[0];
		/* Backend k of 4 starts at k * 100 ms. */
		assert_true(first[i] >= t0 + i * 100 &&
			    first[i] <= t0 + i * 100 + 30);
		assert_true(s[i].hit_ms[1] >= first[i] + 400 - 5 &&
			    s[i].hit_ms[1] <= first[i] + 400 + 30);
	}
	qsort(first, 4, sizeof(first[0]), cmp_u64);
	for (i = 1; i < 4; i++)
		assert_true(first[i] - first[i - 1] >= 70 &&
			    first[i] - first[i - 1] <= 130);
	st = lb_health_stats_json(f->h);
	assert_true(json_int_of(st, "late_samples") >= 8);
	assert_true(json_number_value(json_object_get(st, "late_p99_ms")) <
		    50.0);
	assert_true(json_number_value(json_object_get(st, "late_max_ms")) >=
		    json_number_value(json_object_get(st, "late_p50_ms")));
	json_decref(st);
	for (i = 0; i < 4; i++)
		server_stop(&s[i]);
	cfg_free(cfg);
}

/*
 * Many backends, synced in and out in an awkward order (every third one
 * removed, others added): whatever the heap went through, every backend
 * left is checked once per interval, none starved, none run twice.
 */
static void
test_health_many_backends_each_checked_every_interval(void **state)
{
	struct fixture *f = *state;
	struct lb_config *a = cfg_new(2, 300), *b = cfg_new(2, 300);
	struct server s;
	json_int_t c, before[300];
	unsigned int i, n = 0;

	tcp_server_start(&s, f->loop);
	pool_set(a, 0, LB_HEALTH_TCP, 200, 100);
	pool_set(a, 1, LB_HEALTH_TCP, 300, 100);
	memcpy(b->pools, a->pools, 2 * sizeof(*a->pools));
	for (i = 0; i < 300; i++)
		backend_set(a, i, (uint16_t)i, i % 2, s.port);
	assert_int_equal(lb_health_sync(f->h, a), 0);
	run_for(f, 250);
	for (i = 0; i < 300; i++)
		if (i % 3 != 0)
			backend_set(b, n++, (uint16_t)i, i % 2, s.port);
	for (i = 0; n < 300; i++)
		backend_set(b, n++, (uint16_t)(1000 + i), i % 2, s.port);
	assert_int_equal(lb_health_sync(f->h, b), 0);
	for (i = 0; i < 300; i++)
		before[i] = backend_int(f, b->backends[i].id, "checks");
	run_for(f, 1200);
	for (i = 0; i < 300; i++) {
		c = backend_int(f, b->backends[i].id, "checks") - before[i];
		/* 1200 ms at 200 ms: 6, at 300 ms: 4, give or take one. */
		if (b->backends[i].pool == 0)
			assert_true(c >= 5 && c <= 7);
		else
			assert_true(c >= 3 && c <= 5);
	}
	for (i = 0; i < 300; i += 3)
		assert_null(lb_health_backend_json(f->h, (uint16_t)i, 0));
	server_stop(&s);
	cfg_free(a);
	cfg_free(b);
}

/* The latency ring holds the last 32 results, oldest first. */
static void
test_health_latency_ring_keeps_last_results(void **state)
{
	struct fixture *f = *state;
	struct lb_config *cfg = cfg_new(1, 1);
	struct server s;
	json_t *j, *a, *e;
	size_t i;

	tcp_server_start(&s, f->loop);
	pool_set(cfg, 0, LB_HEALTH_TCP, 10, 5);
	backend_set(cfg, 0, 1, 0, s.port);
	assert_int_equal(lb_health_sync(f->h, cfg), 0);
	run_until_checks(f, 1, 40, 3000);
	j = lb_health_backend_json(f->h, 1, 1);
	a = json_object_get(j, "latencies");
	assert_int_equal(json_array_size(a), 32);
	for (i = 0; i < json_array_size(a); i++) {
		e = json_array_get(a, i);
		assert_true(json_is_true(json_object_get(e, "ok")));
		assert_true(json_number_value(json_object_get(e, "ms")) >= 0);
		assert_string_equal(json_string_value(json_object_get(e,
						      "result")), "ok");
	}
	assert_true(strcmp(json_string_value(json_object_get(
			   json_array_get(a, 0), "at")),
			   json_string_value(json_object_get(
			   json_array_get(a, 31), "at"))) <= 0);
	assert_string_equal(json_string_value(json_object_get(
				json_array_get(a, 31), "at")),
			    json_string_value(json_object_get(j, "checked_at")));
	assert_true(json_int_of(j, "checks") >= 40);
	json_decref(j);
	server_stop(&s);
	cfg_free(cfg);
}

/* ---- lb_health_destroy ---- */

static void
test_health_destroy_with_checks_in_flight(void **state)
{
	struct fixture *f = *state;
	struct lb_config *cfg = cfg_new(3, 3);
	struct server slow, tcp;
	json_t *st;

	/* An http transfer waiting for its answer, a TLS handshake waiting
	 * for the server's hello. */
	http_server_start(&slow, f->loop, 200, 2000);
	tcp_server_start(&tcp, f->loop);
	pool_set(cfg, 0, LB_HEALTH_HTTP, 3000, 2500);
	pool_set(cfg, 1, LB_HEALTH_TCP, 1000, 50);  /* one check: no rise */
	pool_set(cfg, 2, LB_HEALTH_HTTPS, 3000, 2500);
	backend_set(cfg, 0, 1, 0, slow.port);
	backend_set(cfg, 1, 2, 2, slow.port);
	backend_set(cfg, 2, 3, 1, tcp.port);
	assert_int_equal(lb_health_sync(f->h, cfg), 0);
	run_for(f, 200);
	st = lb_health_stats_json(f->h);
	assert_int_equal(json_int_of(st, "in_flight"), 2);
	json_decref(st);
	lb_health_destroy(f->h);
	f->h = NULL;
	run_for(f, 50);
	assert_int_equal(f->n_events, 0);
	server_stop(&slow);
	server_stop(&tcp);
	cfg_free(cfg);
	lb_health_destroy(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_health_state_names),
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_health_tcp_up_after_rise_successes),
		T(test_health_tcp_down_after_fall_failures_refused),
		T(test_health_tcp_rise_after_restart),
		T(test_health_tcp_rise_one_fall_one),
		T(test_health_http_200_up_with_path_and_host),
		T(test_health_http_host_defaults_to_address),
		T(test_health_http_500_down),
		T(test_health_http_slower_than_timeout_fails),
		T(test_health_http_refused_and_reset),
		T(test_health_http_expect_ranges),
		T(test_health_https_needs_tls),
		T(test_health_sync_keeps_unchanged_resets_changed),
		T(test_health_sync_skips_unchecked_backends),
		T(test_health_sync_forgets_without_callback),
		T(test_health_sync_cancels_check_in_flight),
		T(test_health_callback_may_sync),
		T(test_health_checks_spread_over_interval),
		T(test_health_many_backends_each_checked_every_interval),
		T(test_health_latency_ring_keeps_last_results),
		T(test_health_destroy_with_checks_in_flight),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
