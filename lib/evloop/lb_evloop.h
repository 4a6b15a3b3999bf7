/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef LB_EVLOOP_H
#define LB_EVLOOP_H

/**
 * @file
 * The management lcore's event loop: one epoll instance that file
 * descriptors, timers and signals register with.
 *
 * Everything here runs on the management lcore only; nothing is
 * thread-safe. Callbacks run inside lb_evloop_run() or
 * lb_evloop_run_once() and may add, change or delete any registration,
 * their own included.
 *
 * The rule every user relies on: once a registration (fd handle, timer or
 * signal) is deleted, its callback is never called again, not even for an
 * event already returned in the same epoll_wait() batch. Deletion marks it
 * dead and removes it from epoll at once; its memory is freed only when the
 * batch is over, so a stale event in the batch finds a dead handle instead
 * of freed memory.
 */

#include <signal.h>
#include <stdint.h>
#include <sys/epoll.h>

struct lb_evloop;
struct lb_evloop_handle;
struct lb_evloop_timer;
struct lb_evloop_signal;

/**
 * Called when a registered fd is ready.
 * @param h the registration; may be deleted by the callback.
 * @param events EPOLLIN, EPOLLOUT, EPOLLERR, EPOLLHUP... as epoll reported.
 * @param arg as given to lb_evloop_add_fd().
 */
typedef void (*lb_evloop_fd_cb)(struct lb_evloop_handle *h, uint32_t events,
				void *arg);

/**
 * Called when a timer expires (once per loop pass, however many periods
 * elapsed). @p t may be re-armed or cancelled by the callback.
 */
typedef void (*lb_evloop_timer_cb)(struct lb_evloop_timer *t, void *arg);

/** Called once per delivered signal @p signo. */
typedef void (*lb_evloop_signal_cb)(struct lb_evloop_signal *s, int signo,
				    void *arg);

/**
 * Create an event loop. Management lcore; allocates.
 * @return the loop, or NULL with errno set.
 */
struct lb_evloop *lb_evloop_create(void);

/**
 * Delete every registration still present (timer and signal fds are
 * closed, fds added with lb_evloop_add_fd() are not) and free the loop.
 * Must not be called from a callback. NULL-safe.
 */
void lb_evloop_destroy(struct lb_evloop *loop);

/**
 * Watch @p fd for @p events (EPOLLIN, EPOLLOUT, EPOLLRDHUP...;
 * level-triggered unless EPOLLET is given). The caller keeps owning @p fd
 * and must delete the registration before closing it.
 * @return the registration, or NULL with errno set (epoll_ctl, ENOMEM).
 */
struct lb_evloop_handle *lb_evloop_add_fd(struct lb_evloop *loop, int fd,
					  uint32_t events, lb_evloop_fd_cb cb,
					  void *arg);

/**
 * Change the events watched for @p h.
 * @return 0, or -errno from epoll_ctl (-EBADF on a deleted handle).
 */
int lb_evloop_mod_fd(struct lb_evloop_handle *h, uint32_t events);

/**
 * Stop watching: the callback is never called again (see the file comment)
 * and @p h must not be used after this call. Does not close the fd.
 * NULL-safe; may be called from any callback.
 */
void lb_evloop_del_fd(struct lb_evloop_handle *h);

/**
 * Create a timer, armed as lb_evloop_timer_set() says (0, 0: disarmed).
 * Uses one timerfd on CLOCK_MONOTONIC.
 * @return the timer, or NULL with errno set.
 */
struct lb_evloop_timer *lb_evloop_timer_add(struct lb_evloop *loop,
					    uint64_t first_ms,
					    uint64_t period_ms,
					    lb_evloop_timer_cb cb, void *arg);

/**
 * (Re-)arm @p t: first expiry in @p first_ms, then every @p period_ms
 * (0: one-shot). @p first_ms 0 disarms. A one-shot timer stays allocated
 * after it fires, disarmed, until cancelled or re-armed.
 * @return 0, or -errno from timerfd_settime (-EBADF if cancelled).
 */
int lb_evloop_timer_set(struct lb_evloop_timer *t, uint64_t first_ms,
			uint64_t period_ms);

/**
 * Cancel and delete @p t: its callback is never called again, even if it
 * already expired in the current batch. NULL-safe; @p t must not be used
 * after this call.
 */
void lb_evloop_timer_cancel(struct lb_evloop_timer *t);

/**
 * Call @p cb for each delivery of signal @p signo, through a signalfd. The
 * caller must have blocked @p signo in every thread (pthread_sigmask), or
 * the default action runs instead.
 * @return the registration, or NULL with errno set.
 */
struct lb_evloop_signal *lb_evloop_signal_add(struct lb_evloop *loop,
					      int signo,
					      lb_evloop_signal_cb cb,
					      void *arg);

/** Delete a signal registration (the signal stays blocked). NULL-safe. */
void lb_evloop_signal_del(struct lb_evloop_signal *s);

/**
 * Wait up to @p timeout_ms (-1: forever) for one batch of events and
 * dispatch it. Frees what the batch deleted before returning.
 * @return the number of events dispatched, or -errno (EINTR gives 0).
 */
int lb_evloop_run_once(struct lb_evloop *loop, int timeout_ms);

/**
 * Dispatch batches until lb_evloop_stop() is called. Blocks.
 * @return 0 when stopped, or -errno if epoll_wait() failed.
 */
int lb_evloop_run(struct lb_evloop *loop);

/**
 * Make lb_evloop_run() return once the current batch is dispatched.
 * Typically called from a signal callback.
 */
void lb_evloop_stop(struct lb_evloop *loop);

#endif
