/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The event loop with real pipes, timerfds and signals in one thread.
 * The tests that matter most are the "deleted in the same batch" ones:
 * under ASan they catch a loop that frees a registration while
 * epoll_wait() still holds an event for it.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "lb_evloop.h"

struct pipe_end {
	int fds[2];
	struct lb_evloop_handle *h;
	struct pipe_end *other;     /**< deleted by this end's callback */
	struct lb_evloop_timer *victim_timer;
	unsigned int calls;
	uint32_t events;
};

static void
make_pipe(struct pipe_end *p)
{
	memset(p, 0, sizeof(*p));
	assert_int_equal(pipe2(p->fds, O_NONBLOCK), 0);
}

static void
close_pipe(struct pipe_end *p)
{
	close(p->fds[0]);
	close(p->fds[1]);
}

static void
on_read(struct lb_evloop_handle *h, uint32_t events, void *arg)
{
	struct pipe_end *p = arg;
	char buf[16];

	assert_ptr_equal(h, p->h);
	p->calls++;
	p->events = events;
	while (read(p->fds[0], buf, sizeof(buf)) > 0)
		;
	if (p->other != NULL && p->other->h != NULL) {
		lb_evloop_del_fd(p->other->h);
		p->other->h = NULL;
	}
	if (p->victim_timer != NULL) {
		lb_evloop_timer_cancel(p->victim_timer);
		p->victim_timer = NULL;
	}
}

/* Readable without draining: stays ready (level-triggered). */
static void
on_count(struct lb_evloop_handle *h, uint32_t events, void *arg)
{
	struct pipe_end *p = arg;

	(void)h;
	p->calls++;
	p->events = events;
}

static void
test_evloop_fd_ready_calls_back_with_events_and_arg(void **state)
{
	struct lb_evloop *loop = lb_evloop_create();
	struct pipe_end p;

	(void)state;
	assert_non_null(loop);
	make_pipe(&p);
	p.h = lb_evloop_add_fd(loop, p.fds[0], EPOLLIN, on_read, &p);
	assert_non_null(p.h);
	assert_int_equal(lb_evloop_run_once(loop, 0), 0);
	assert_int_equal(p.calls, 0);
	assert_int_equal(write(p.fds[1], "x", 1), 1);
	assert_int_equal(lb_evloop_run_once(loop, 1000), 1);
	assert_int_equal(p.calls, 1);
	assert_true(p.events & EPOLLIN);
	lb_evloop_del_fd(p.h);
	assert_int_equal(write(p.fds[1], "x", 1), 1);
	assert_int_equal(lb_evloop_run_once(loop, 0), 0);
	assert_int_equal(p.calls, 1);
	lb_evloop_destroy(loop);
	close_pipe(&p);
}

static void
test_evloop_add_fd_bad_fd_fails(void **state)
{
	struct lb_evloop *loop = lb_evloop_create();

	(void)state;
	errno = 0;
	assert_null(lb_evloop_add_fd(loop, -1, EPOLLIN, on_read, NULL));
	assert_int_equal(errno, EBADF);
	lb_evloop_destroy(loop);
	lb_evloop_destroy(NULL);
}

static void
test_evloop_mod_fd_changes_events(void **state)
{
	struct lb_evloop *loop = lb_evloop_create();
	struct pipe_end p;

	(void)state;
	make_pipe(&p);
	/* The write end is always writable: watch it for nothing, then OUT. */
	p.h = lb_evloop_add_fd(loop, p.fds[1], 0, on_count, &p);
	assert_int_equal(lb_evloop_run_once(loop, 0), 0);
	assert_int_equal(lb_evloop_mod_fd(p.h, EPOLLOUT), 0);
	assert_int_equal(lb_evloop_run_once(loop, 0), 1);
	assert_int_equal(p.calls, 1);
	assert_true(p.events & EPOLLOUT);
	lb_evloop_destroy(loop);
	close_pipe(&p);
}

/*
 * The use-after-free the loop exists to prevent: two fds ready in one
 * batch, and whichever callback runs first deletes the other one. The
 * other must not be called, and its memory must still be there when the
 * loop looks at the second event.
 */
static void
test_evloop_fd_deleted_earlier_in_batch_never_called(void **state)
{
	struct lb_evloop *loop = lb_evloop_create();
	struct pipe_end a, b;

	(void)state;
	make_pipe(&a);
	make_pipe(&b);
	a.other = &b;
	b.other = &a;
	a.h = lb_evloop_add_fd(loop, a.fds[0], EPOLLIN, on_read, &a);
	b.h = lb_evloop_add_fd(loop, b.fds[0], EPOLLIN, on_read, &b);
	assert_int_equal(write(a.fds[1], "x", 1), 1);
	assert_int_equal(write(b.fds[1], "x", 1), 1);
	/* Both events come back in this one batch. */
	assert_int_equal(lb_evloop_run_once(loop, 1000), 2);
	assert_int_equal(a.calls + b.calls, 1);
	assert_true((a.h == NULL) != (b.h == NULL));
	assert_int_equal(write(a.fds[1], "x", 1), 1);
	assert_int_equal(write(b.fds[1], "x", 1), 1);
	assert_int_equal(lb_evloop_run_once(loop, 100), 1);
	assert_int_equal(a.calls + b.calls, 2);
	lb_evloop_destroy(loop);
	close_pipe(&a);
	close_pipe(&b);
}

static void
on_read_delete_self(struct lb_evloop_handle *h, uint32_t events, void *arg)
{
	struct pipe_end *p = arg;

	(void)events;
	p->calls++;
	lb_evloop_del_fd(h);
	p->h = NULL;
}

static void
test_evloop_fd_deleted_by_own_callback(void **state)
{
	struct lb_evloop *loop = lb_evloop_create();
	struct pipe_end p;

	(void)state;
	make_pipe(&p);
	p.h = lb_evloop_add_fd(loop, p.fds[0], EPOLLIN, on_read_delete_self,
			       &p);
	assert_int_equal(write(p.fds[1], "x", 1), 1);
	assert_int_equal(lb_evloop_run_once(loop, 1000), 1);
	assert_int_equal(lb_evloop_run_once(loop, 0), 0);
	assert_int_equal(p.calls, 1);
	lb_evloop_destroy(loop);
	close_pipe(&p);
}

/* ---- timers ---- */

struct tick {
	unsigned int calls;
	int cancel_at;              /**< cancel itself on this call */
	struct lb_evloop_timer *t;
};

static void
on_tick(struct lb_evloop_timer *t, void *arg)
{
	struct tick *k = arg;

	assert_ptr_equal(t, k->t);
	k->calls++;
	if ((int)k->calls == k->cancel_at) {
		lb_evloop_timer_cancel(t);
		k->t = NULL;
	}
}

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
run_for(struct lb_evloop *loop, unsigned int ms)
{
	uint64_t end = now_ms() + ms;

	while (now_ms() < end)
		lb_evloop_run_once(loop, 5);
}

static void
test_evloop_timer_one_shot_fires_once(void **state)
{
	struct lb_evloop *loop = lb_evloop_create();
	struct tick k = { 0 };
	uint64_t t0 = now_ms();

	(void)state;
	k.t = lb_evloop_timer_add(loop, 20, 0, on_tick, &k);
	assert_non_null(k.t);
	while (k.calls == 0 && now_ms() - t0 < 2000)
		lb_evloop_run_once(loop, 100);
	assert_int_equal(k.calls, 1);
	assert_true(now_ms() - t0 >= 20);
	run_for(loop, 60);
	assert_int_equal(k.calls, 1);
	/* Still allocated, disarmed: it can be re-armed. */
	assert_int_equal(lb_evloop_timer_set(k.t, 5, 0), 0);
	run_for(loop, 60);
	assert_int_equal(k.calls, 2);
	lb_evloop_destroy(loop);
}

static void
test_evloop_timer_periodic_until_cancelled(void **state)
{
	struct lb_evloop *loop = lb_evloop_create();
	struct tick k = { .cancel_at = 3 };

	(void)state;
	k.t = lb_evloop_timer_add(loop, 5, 5, on_tick, &k);
	run_for(loop, 150);
	assert_int_equal(k.calls, 3);
	assert_null(k.t);
	lb_evloop_destroy(loop);
}

static void
test_evloop_timer_disarmed_and_cancelled_never_fire(void **state)
{
	struct lb_evloop *loop = lb_evloop_create();
	struct tick idle = { 0 }, gone = { 0 };

	(void)state;
	idle.t = lb_evloop_timer_add(loop, 0, 0, on_tick, &idle);
	gone.t = lb_evloop_timer_add(loop, 10, 10, on_tick, &gone);
	assert_non_null(idle.t);
	lb_evloop_timer_cancel(gone.t);
	run_for(loop, 50);
	assert_int_equal(idle.calls + gone.calls, 0);
	/* Re-arming a due timer makes the pending expiry go away. */
	assert_int_equal(lb_evloop_timer_set(idle.t, 5, 0), 0);
	usleep(20 * 1000);
	assert_int_equal(lb_evloop_timer_set(idle.t, 0, 0), 0);
	run_for(loop, 30);
	assert_int_equal(idle.calls, 0);
	lb_evloop_destroy(loop);
}

/* A timer that expired in the same batch as the fd that cancels it. */
static void
test_evloop_timer_cancelled_earlier_in_batch_never_called(void **state)
{
	struct lb_evloop *loop = lb_evloop_create();
	struct tick k = { 0 };
	struct pipe_end p;

	(void)state;
	make_pipe(&p);
	p.h = lb_evloop_add_fd(loop, p.fds[0], EPOLLIN, on_read, &p);
	/* The fd becomes ready first, so it comes first in the batch. */
	assert_int_equal(write(p.fds[1], "x", 1), 1);
	k.t = lb_evloop_timer_add(loop, 1, 0, on_tick, &k);
	p.victim_timer = k.t;
	usleep(20 * 1000);
	assert_int_equal(lb_evloop_run_once(loop, 1000), 2);
	assert_int_equal(p.calls, 1);
	assert_int_equal(k.calls, 0);
	lb_evloop_destroy(loop);
	close_pipe(&p);
}

/* ---- signals and running ---- */

struct sig {
	struct lb_evloop *loop;
	unsigned int calls;
	int signo;
};

static void
on_signal(struct lb_evloop_signal *s, int signo, void *arg)
{
	struct sig *g = arg;

	(void)s;
	g->calls++;
	g->signo = signo;
	lb_evloop_stop(g->loop);
}

static void
test_evloop_signal_stops_run(void **state)
{
	struct lb_evloop *loop = lb_evloop_create();
	struct sig g = { .loop = loop };
	struct lb_evloop_signal *s;
	sigset_t set;

	(void)state;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	assert_int_equal(sigprocmask(SIG_BLOCK, &set, NULL), 0);
	s = lb_evloop_signal_add(loop, SIGUSR1, on_signal, &g);
	assert_non_null(s);
	assert_int_equal(raise(SIGUSR1), 0);
	assert_int_equal(lb_evloop_run(loop), 0);
	assert_int_equal(g.calls, 1);
	assert_int_equal(g.signo, SIGUSR1);
	lb_evloop_signal_del(s);
	assert_int_equal(raise(SIGUSR1), 0);
	assert_int_equal(lb_evloop_run_once(loop, 0), 0);
	assert_int_equal(g.calls, 1);
	/* Consume the pending signal before unblocking it. */
	{
		int got;

		assert_int_equal(sigwait(&set, &got), 0);
	}
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	lb_evloop_destroy(loop);
}

static void
test_evloop_destroy_frees_live_registrations(void **state)
{
	struct lb_evloop *loop = lb_evloop_create();
	struct tick k = { 0 };
	struct pipe_end p;

	(void)state;
	make_pipe(&p);
	/* Left registered on purpose: ASan's leak check has the last word. */
	assert_non_null(lb_evloop_add_fd(loop, p.fds[0], EPOLLIN, on_read,
					 &p));
	k.t = lb_evloop_timer_add(loop, 1000, 0, on_tick, &k);
	assert_non_null(lb_evloop_signal_add(loop, SIGUSR2, NULL, NULL));
	lb_evloop_destroy(loop);
	close_pipe(&p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_evloop_fd_ready_calls_back_with_events_and_arg),
		cmocka_unit_test(test_evloop_add_fd_bad_fd_fails),
		cmocka_unit_test(test_evloop_mod_fd_changes_events),
		cmocka_unit_test(test_evloop_fd_deleted_earlier_in_batch_never_called),
		cmocka_unit_test(test_evloop_fd_deleted_by_own_callback),
		cmocka_unit_test(test_evloop_timer_one_shot_fires_once),
		cmocka_unit_test(test_evloop_timer_periodic_until_cancelled),
		cmocka_unit_test(test_evloop_timer_disarmed_and_cancelled_never_fire),
		cmocka_unit_test(test_evloop_timer_cancelled_earlier_in_batch_never_called),
		cmocka_unit_test(test_evloop_signal_stops_run),
		cmocka_unit_test(test_evloop_destroy_frees_live_registrations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
