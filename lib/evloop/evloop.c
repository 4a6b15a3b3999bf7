/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The management event loop: epoll, a timerfd per timer, a signalfd per
 * signal. A timerfd per timer costs one fd each, which is nothing for the
 * few dozen timers the management core has, and lets the kernel order
 * expiries for us.
 *
 * Deleted registrations go to a dead list and are freed only when no batch
 * is being dispatched: epoll_wait() may already have returned an event for
 * a registration that an earlier callback of the same batch deleted, and
 * that event must find a dead handle, not freed memory.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "lb_evloop.h"

/* Events taken per epoll_wait(); more stay queued for the next batch. */
#define BATCH_MAX 32

struct lb_evloop_handle {
	struct lb_evloop *loop;
	int fd;
	int owns_fd;                /**< timer and signal fds: close on delete */
	int dead;
	lb_evloop_fd_cb cb;
	void *arg;
	LIST_ENTRY(lb_evloop_handle) live;
	struct lb_evloop_handle *next_dead;
};

/* The handle comes first: freeing the handle frees the whole object. */
struct lb_evloop_timer {
	struct lb_evloop_handle h;
	lb_evloop_timer_cb cb;
	void *arg;
};

struct lb_evloop_signal {
	struct lb_evloop_handle h;
	int signo;
	lb_evloop_signal_cb cb;
	void *arg;
};

struct lb_evloop {
	int epfd;
	int stop;
	int depth;                  /**< batches being dispatched (nesting) */
	LIST_HEAD(, lb_evloop_handle) handles;
	struct lb_evloop_handle *dead;
};

struct lb_evloop *
lb_evloop_create(void)
{
	struct lb_evloop *loop = calloc(1, sizeof(*loop));

	if (loop == NULL)
		return NULL;
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (loop->epfd < 0) {
		free(loop);
		return NULL;
	}
	LIST_INIT(&loop->handles);
	return loop;
}

/* Register @p h (allocated by the caller, fd and callback set). */
static int
handle_register(struct lb_evloop *loop, struct lb_evloop_handle *h,
		uint32_t events)
{
	struct epoll_event ee = { .events = events, .data.ptr = h };

	h->loop = loop;
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, h->fd, &ee) < 0)
		return -errno;
	LIST_INSERT_HEAD(&loop->handles, h, live);
	return 0;
}

static void
free_dead(struct lb_evloop *loop)
{
	struct lb_evloop_handle *h;

	while ((h = loop->dead) != NULL) {
		loop->dead = h->next_dead;
		free(h);
	}
}

/* Out of epoll and the live list now; freed once no batch can see it. */
static void
handle_kill(struct lb_evloop_handle *h)
{
	struct lb_evloop *loop = h->loop;

	if (h->dead)
		return;
	h->dead = 1;
	epoll_ctl(loop->epfd, EPOLL_CTL_DEL, h->fd, NULL);
	if (h->owns_fd)
		close(h->fd);
	LIST_REMOVE(h, live);
	if (loop->depth > 0) {
		h->next_dead = loop->dead;
		loop->dead = h;
	} else {
		free(h);
	}
}

void
lb_evloop_destroy(struct lb_evloop *loop)
{
	if (loop == NULL)
		return;
	while (!LIST_EMPTY(&loop->handles))
		handle_kill(LIST_FIRST(&loop->handles));
	free_dead(loop);
	close(loop->epfd);
	free(loop);
}

struct lb_evloop_handle *
lb_evloop_add_fd(struct lb_evloop *loop, int fd, uint32_t events,
		 lb_evloop_fd_cb cb, void *arg)
{
	struct lb_evloop_handle *h = calloc(1, sizeof(*h));
	int rc;

	if (h == NULL)
		return NULL;
	h->fd = fd;
	h->cb = cb;
	h->arg = arg;
	rc = handle_register(loop, h, events);
	if (rc < 0) {
		free(h);
		errno = -rc;
		return NULL;
	}
	return h;
}

int
lb_evloop_mod_fd(struct lb_evloop_handle *h, uint32_t events)
{
	struct epoll_event ee = { .events = events, .data.ptr = h };

	if (h->dead)
		return -EBADF;
	return epoll_ctl(h->loop->epfd, EPOLL_CTL_MOD, h->fd, &ee) < 0 ?
	       -errno : 0;
}

void
lb_evloop_del_fd(struct lb_evloop_handle *h)
{
	if (h != NULL)
		handle_kill(h);
}

/* ---- timers ---- */

static void
timer_ready(struct lb_evloop_handle *h, uint32_t events, void *arg)
{
	struct lb_evloop_timer *t = arg;
	uint64_t expirations;

	(void)h;
	(void)events;
	/* EAGAIN: re-armed since epoll_wait() saw it; not due any more. */
	if (read(t->h.fd, &expirations, sizeof(expirations)) !=
	    sizeof(expirations))
		return;
	t->cb(t, t->arg);
}

int
lb_evloop_timer_set(struct lb_evloop_timer *t, uint64_t first_ms,
		    uint64_t period_ms)
{
	struct itimerspec its = {
		.it_value.tv_sec = (time_t)(first_ms / 1000),
		.it_value.tv_nsec = (long)(first_ms % 1000) * 1000000L,
		.it_interval.tv_sec = (time_t)(period_ms / 1000),
		.it_interval.tv_nsec = (long)(period_ms % 1000) * 1000000L,
	};

	if (t->h.dead)
		return -EBADF;
	return timerfd_settime(t->h.fd, 0, &its, NULL) < 0 ? -errno : 0;
}

struct lb_evloop_timer *
lb_evloop_timer_add(struct lb_evloop *loop, uint64_t first_ms,
		    uint64_t period_ms, lb_evloop_timer_cb cb, void *arg)
{
	struct lb_evloop_timer *t = calloc(1, sizeof(*t));
	int rc = -ENOMEM;

	if (t == NULL)
		return NULL;
	t->cb = cb;
	t->arg = arg;
	t->h.cb = timer_ready;
	t->h.arg = t;
	t->h.owns_fd = 1;
	t->h.fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (t->h.fd < 0)
		rc = -errno;
	else if ((rc = lb_evloop_timer_set(t, first_ms, period_ms)) == 0 &&
		 (rc = handle_register(loop, &t->h, EPOLLIN)) == 0)
		return t;
	if (t->h.fd >= 0)
		close(t->h.fd);
	free(t);
	errno = -rc;
	return NULL;
}

void
lb_evloop_timer_cancel(struct lb_evloop_timer *t)
{
	if (t != NULL)
		handle_kill(&t->h);
}

/* ---- signals ---- */

static void
signal_ready(struct lb_evloop_handle *h, uint32_t events, void *arg)
{
	struct lb_evloop_signal *s = arg;
	struct signalfd_siginfo si;

	(void)events;
	/* The callback may delete s: h stays readable until the batch ends. */
	while (!h->dead && read(h->fd, &si, sizeof(si)) == sizeof(si))
		s->cb(s, (int)si.ssi_signo, s->arg);
}

struct lb_evloop_signal *
lb_evloop_signal_add(struct lb_evloop *loop, int signo,
		     lb_evloop_signal_cb cb, void *arg)
{
	struct lb_evloop_signal *s = calloc(1, sizeof(*s));
	sigset_t set;
	int rc;

	if (s == NULL)
		return NULL;
	sigemptyset(&set);
	if (sigaddset(&set, signo) < 0) {
		free(s);
		return NULL;
	}
	s->signo = signo;
	s->cb = cb;
	s->arg = arg;
	s->h.cb = signal_ready;
	s->h.arg = s;
	s->h.owns_fd = 1;
	s->h.fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	rc = s->h.fd < 0 ? -errno : handle_register(loop, &s->h, EPOLLIN);
	if (rc == 0)
		return s;
	if (s->h.fd >= 0)
		close(s->h.fd);
	free(s);
	errno = -rc;
	return NULL;
}

void
lb_evloop_signal_del(struct lb_evloop_signal *s)
{
	if (s != NULL)
		handle_kill(&s->h);
}

/* ---- running ---- */

int
lb_evloop_run_once(struct lb_evloop *loop, int timeout_ms)
{
	struct epoll_event ev[BATCH_MAX];
	struct lb_evloop_handle *h;
	int n, i;

	n = epoll_wait(loop->epfd, ev, BATCH_MAX, timeout_ms);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	loop->depth++;
	for (i = 0; i < n; i++) {
		h = ev[i].data.ptr;
		/* The rule of the file comment: dead means never called. */
		if (!h->dead)
			h->cb(h, ev[i].events, h->arg);
	}
	loop->depth--;
	if (loop->depth == 0)
		free_dead(loop);
	return n;
}

int
lb_evloop_run(struct lb_evloop *loop)
{
	int rc = 0;

	loop->stop = 0;
	while (!loop->stop && rc >= 0)
		rc = lb_evloop_run_once(loop, -1);
	return rc < 0 ? rc : 0;
}

void
lb_evloop_stop(struct lb_evloop *loop)
{
	loop->stop = 1;
}
