/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * http(s) checks: one GET per check through libcurl's multi interface,
 * driven by the management event loop. curl tells which sockets to watch
 * (CURLMOPT_SOCKETFUNCTION: each becomes an lb_evloop fd registration)
 * and when to call it back (CURLMOPT_TIMERFUNCTION: one lb_evloop timer);
 * the loop hands readiness back with curl_multi_socket_action(), and
 * finished transfers are collected with curl_multi_info_read(). Nothing
 * blocks and no thread is started (the URL holds an address, so there is
 * no name to resolve).
 *
 * Each check is a fresh easy handle on a fresh connection, closed after
 * the answer with SO_LINGER 0 as tcp checks are (see tcp.c): a reused
 * connection would not test that the backend still accepts, and an idle
 * one per backend would cost memory and fds for thousands of backends.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "health_priv.h"

/* A socket curl asked us to watch. */
struct hc_curl_sock {
	struct lb_health *h;
	curl_socket_t fd;
	struct lb_evloop_handle *eh;
	LIST_ENTRY(hc_curl_sock) link;
};

const char *
hc_curl_reason(int code)
{
	switch (code) {
	case CURLE_COULDNT_CONNECT:
		return "connect failed";
	case CURLE_GOT_NOTHING:
		return "empty reply";
	case CURLE_SSL_CONNECT_ERROR:
		return "TLS handshake failed";
	case CURLE_WEIRD_SERVER_REPLY:
		return "bad HTTP reply";
	case CURLE_RECV_ERROR:
		return "receive error";
	case CURLE_SEND_ERROR:
		return "send error";
	case CURLE_PARTIAL_FILE:
		return "reply cut short";
	default:
		return curl_easy_strerror((CURLcode)code);
	}
}

/* ---- a finished transfer ---- */

/* Time to the status line when there is one, else to the failure. */
static void
http_result(struct hc_backend *b, CURL *e, CURLcode code,
	    struct hc_sample *res)
{
	const struct lb_health_conf *c = &b->t.conf;
	curl_off_t ttfb = 0;
	long status = 0, oserr = 0;

	res->lat_us = (uint32_t)(hc_now_us() - b->started_us);
	if (code == CURLE_OK) {
		curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
		if (curl_easy_getinfo(e, CURLINFO_STARTTRANSFER_TIME_T,
				      &ttfb) == CURLE_OK && ttfb > 0)
			res->lat_us = (uint32_t)ttfb;
		res->what = status >= c->expect_lo && status <= c->expect_hi ?
			    HC_OK : HC_HTTP;
		res->value = (int32_t)status;
		return;
	}
	curl_easy_getinfo(e, CURLINFO_OS_ERRNO, &oserr);
	if (code == CURLE_OPERATION_TIMEDOUT) {
		res->what = HC_TIMEOUT;
		res->value = (int32_t)c->timeout_ms;
	} else if (oserr != 0 && (code == CURLE_COULDNT_CONNECT ||
				  code == CURLE_RECV_ERROR ||
				  code == CURLE_SEND_ERROR)) {
		hc_sample_errno(res, (int)oserr);
	} else {
		res->what = HC_CURL;
		res->value = (int32_t)code;
	}
}

/* Collect finished transfers. Each hc_finish() may run the user's
 * callback, which may sync and so remove other transfers: their messages
 * leave the queue with them, and the next read sees what is left. */
static void
http_drain(struct lb_health *h)
{
	struct hc_sample res;
	struct hc_backend *b;
	CURLcode code;
	CURLMsg *m;
	CURL *e;
	int left;

	while ((m = curl_multi_info_read(h->multi, &left)) != NULL) {
		if (m->msg != CURLMSG_DONE)
			continue;
		e = m->easy_handle;
		code = m->data.result;
		b = NULL;
		curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&b);
		memset(&res, 0, sizeof(res));
		http_result(b, e, code, &res);
		hc_http_cancel(h, b);
		hc_finish(h, b, &res);
	}
}

/* ---- the loop drives curl ---- */

static void
curl_fd_ready(struct lb_evloop_handle *eh, uint32_t events, void *arg)
{
	struct hc_curl_sock *cs = arg;
	struct lb_health *h = cs->h;  /* cs may be freed by the action */
	int flags = 0, running;

	(void)eh;
	if (events & (EPOLLIN | EPOLLHUP | EPOLLRDHUP))
		flags |= CURL_CSELECT_IN;
	if (events & EPOLLOUT)
		flags |= CURL_CSELECT_OUT;
	if (events & EPOLLERR)
		flags |= CURL_CSELECT_ERR;
	curl_multi_socket_action(h->multi, cs->fd, flags, &running);
	http_drain(h);
}

/*
 * curl's timeout. Our timer must fire no later than curl asks and may fire
 * earlier (curl_multi_socket_action() then finds nothing expired), so a
 * deadline later than the one armed leaves the timer alone: each new
 * transfer and each finished one moves curl's deadline, and a
 * timerfd_settime() for every move would be a tenth of an http check's
 * syscalls. -1 (no deadline) leaves it too: one wakeup for nothing.
 */
static void
curl_timer_arm(struct lb_health *h, long timeout_ms)
{
	uint64_t ms = timeout_ms > 0 ? (uint64_t)timeout_ms : 1;
	uint64_t due = hc_now_us() + ms * 1000;

	if (timeout_ms < 0 ||
	    (h->curl_armed_for != 0 && h->curl_armed_for <= due))
		return;
	if (lb_evloop_timer_set(h->curl_timer, ms, 0) == 0)
		h->curl_armed_for = due;
}

/* Run curl's timeouts. After an early run curl does not call
 * curl_timer_cb() again (its deadline did not move): ask it. */
void
hc_http_kick(struct lb_health *h)
{
	long ms = -1;
	int running;

	h->curl_kick = 0;
	curl_multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	http_drain(h);
	if (curl_multi_timeout(h->multi, &ms) == CURLM_OK)
		curl_timer_arm(h, ms);
}

static void
curl_timer_fired(struct lb_evloop_timer *t, void *arg)
{
	struct lb_health *h = arg;

	(void)t;
	h->curl_armed_for = 0;
	hc_http_kick(h);
}

static void
curl_sock_free(struct hc_curl_sock *cs)
{
	lb_evloop_del_fd(cs->eh);
	LIST_REMOVE(cs, link);
	free(cs);
}

/*
 * CURLMOPT_SOCKETFUNCTION. Always 0: -1 would mark the whole multi handle
 * dead. A socket we fail to watch (ENOMEM, EMFILE) leaves its transfer to
 * the check's deadline, which fails it as a timeout.
 */
static int
curl_sock_cb(CURL *e, curl_socket_t fd, int what, void *userp,
	     void *socketp)
{
	struct lb_health *h = userp;
	struct hc_curl_sock *cs = socketp;
	uint32_t events = 0;

	(void)e;
	if (what == CURL_POLL_REMOVE) {
		if (cs != NULL)
			curl_sock_free(cs);
		curl_multi_assign(h->multi, fd, NULL);
		return 0;
	}
	events |= (what & CURL_POLL_IN) ? EPOLLIN : 0;
	events |= (what & CURL_POLL_OUT) ? EPOLLOUT : 0;
	if (cs != NULL) {
		lb_evloop_mod_fd(cs->eh, events);
		return 0;
	}
	cs = calloc(1, sizeof(*cs));
	if (cs == NULL)
		return 0;
	cs->h = h;
	cs->fd = fd;
	cs->eh = lb_evloop_add_fd(h->loop, fd, events, curl_fd_ready, cs);
	if (cs->eh == NULL) {
		free(cs);
		return 0;
	}
	LIST_INSERT_HEAD(&h->socks, cs, link);
	curl_multi_assign(h->multi, fd, cs);
	return 0;
}

/*
 * CURLMOPT_TIMERFUNCTION: -1 deletes the timeout, 0 means at once. Checks
 * started by the scheduler (each new transfer asks for 0) are run by one
 * hc_http_kick() when the scheduler is done, instead of a timer and a
 * wakeup each; curl must not be called back from here. Otherwise 0 is
 * 1 ms: our timer counts ms, and 0 would disarm it.
 */
static int
curl_timer_cb(CURLM *m, long timeout_ms, void *userp)
{
	struct lb_health *h = userp;

	(void)m;
	if (timeout_ms == 0 && h->in_due)
		h->curl_kick = 1;
	else
		curl_timer_arm(h, timeout_ms);
	return 0;
}

int
hc_http_init(struct lb_health *h)
{
	LIST_INIT(&h->socks);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return -ENOMEM;
	h->multi = curl_multi_init();
	h->curl_timer = lb_evloop_timer_add(h->loop, 0, 0, curl_timer_fired,
					    h);
	if (h->multi == NULL || h->curl_timer == NULL) {
		lb_evloop_timer_cancel(h->curl_timer);
		curl_multi_cleanup(h->multi);
		curl_global_cleanup();
		return -ENOMEM;
	}
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, curl_sock_cb);
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, curl_timer_cb);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h);
	return 0;
}

/* Every transfer is removed already (lb_health_destroy drops them). */
void
hc_http_fini(struct lb_health *h)
{
	curl_multi_cleanup(h->multi);
	while (!LIST_EMPTY(&h->socks))
		curl_sock_free(LIST_FIRST(&h->socks));
	lb_evloop_timer_cancel(h->curl_timer);
	curl_global_cleanup();
}

/* ---- one check ---- */

/* The URL names the address: no DNS, and the check reaches this backend
 * whatever health_host says; health_host goes in the Host header. */
int
hc_http_prepare(struct hc_backend *b)
{
	const struct lb_health_conf *c = &b->t.conf;
	char addr[INET_ADDRSTRLEN], host[LB_HEALTH_HOST_MAX + 8];
	struct curl_slist *l;

	inet_ntop(AF_INET, &b->t.addr, addr, sizeof(addr));
	if (asprintf(&b->url, "%s://%s:%u%s",
		     c->kind == LB_HEALTH_HTTPS ? "https" : "http", addr,
		     b->t.port, c->path[0] != '\0' ? c->path : "/") < 0) {
		b->url = NULL;
		return -ENOMEM;
	}
	if (c->host[0] == '\0')
		return 0;
	snprintf(host, sizeof(host), "Host: %s", c->host);
	l = curl_slist_append(NULL, host);
	if (l == NULL) {
		free(b->url);
		b->url = NULL;
		return -ENOMEM;
	}
	b->headers = l;
	return 0;
}

void
hc_http_release(struct hc_backend *b)
{
	free(b->url);
	b->url = NULL;
	curl_slist_free_all(b->headers);
	b->headers = NULL;
}

static size_t
discard_body(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return size * n;
}

static int
linger0(void *arg, curl_socket_t fd, curlsocktype purpose)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	(void)arg;
	(void)purpose;
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	return CURL_SOCKOPT_OK;
}

/*
 * https: no certificate verification. Backends are addressed by IP, so no
 * name could be verified, and a health check asks whether the server
 * answers, not who it is; the traffic itself never goes through here.
 * No proxy from the environment (CURLOPT_PROXY ""), no signals (the
 * management lcore's signals are its own), HTTP/1.1 only (what a backend
 * serves to clients through a layer-4 balancer is not negotiated here).
 */
static int
easy_setup(struct hc_backend *b, CURL *e)
{
	long ms = (long)b->t.conf.timeout_ms;

	return curl_easy_setopt(e, CURLOPT_URL, b->url) ||
	       curl_easy_setopt(e, CURLOPT_HTTPHEADER, b->headers) ||
	       curl_easy_setopt(e, CURLOPT_PRIVATE, b) ||
	       curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, ms) ||
	       curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, ms) ||
	       curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L) ||
	       curl_easy_setopt(e, CURLOPT_PROXY, "") ||
	       curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L) ||
	       curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L) ||
	       curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L) ||
	       curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L) ||
	       curl_easy_setopt(e, CURLOPT_HTTP_VERSION,
				(long)CURL_HTTP_VERSION_1_1) ||
	       curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https") ||
	       curl_easy_setopt(e, CURLOPT_USERAGENT, "edgelb-health") ||
	       curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard_body) ||
	       curl_easy_setopt(e, CURLOPT_SOCKOPTFUNCTION, linger0);
}

int
hc_http_start(struct lb_health *h, struct hc_backend *b,
	      struct hc_sample *res)
{
	CURL *e = curl_easy_init();

	if (e == NULL) {
		hc_sample_errno(res, ENOMEM);
		return 1;
	}
	if (easy_setup(b, e) != 0 ||
	    curl_multi_add_handle(h->multi, e) != CURLM_OK) {
		curl_easy_cleanup(e);
		res->what = HC_CURL;
		res->value = CURLE_FAILED_INIT;
		return 1;
	}
	b->easy = e;
	return 0;
}

void
hc_http_cancel(struct lb_health *h, struct hc_backend *b)
{
	if (b->easy == NULL)
		return;
	curl_multi_remove_handle(h->multi, b->easy);
	curl_easy_cleanup(b->easy);
	b->easy = NULL;
}
