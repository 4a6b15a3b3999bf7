/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * When checks run: a binary min-heap holds one key per checked backend
 * (its next start when idle, the deadline of its check when one is in
 * flight) and one timer is armed to the top key. Starting, finishing or
 * timing out a check is one O(log n) key update, and the loop sleeps
 * until the next event, whatever the number of backends; a timerfd per
 * backend would cost thousands of fds and a syscall per reschedule.
 *
 * Each backend keeps its phase: the next start is the previous scheduled
 * one plus the interval, not the actual start plus the interval, so a
 * late start does not shift later ones, and slots missed while the loop
 * was busy are skipped instead of run in a burst.
 */
#include <time.h>

#include "health_priv.h"

uint64_t
hc_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

int64_t
hc_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- the heap ---- */

static void
heap_set(struct lb_health *h, uint32_t i, struct hc_heap_entry e)
{
	h->heap[i] = e;
	e.b->heap_idx = i;
}

static void
sift_up(struct lb_health *h, uint32_t i)
{
	struct hc_heap_entry e = h->heap[i];

	while (i > 0 && h->heap[(i - 1) / 2].key > e.key) {
		heap_set(h, i, h->heap[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	heap_set(h, i, e);
}

static void
sift_down(struct lb_health *h, uint32_t i)
{
	struct hc_heap_entry e = h->heap[i];
	uint32_t c;

	while ((c = 2 * i + 1) < h->n_heap) {
		if (c + 1 < h->n_heap && h->heap[c + 1].key < h->heap[c].key)
			c++;
		if (h->heap[c].key >= e.key)
			break;
		heap_set(h, i, h->heap[c]);
		i = c;
	}
	heap_set(h, i, e);
}

/* Room for every identity is allocated at creation: pushing never fails. */
void
hc_heap_push(struct lb_health *h, struct hc_backend *b, uint64_t key)
{
	h->heap[h->n_heap] = (struct hc_heap_entry){ .key = key, .b = b };
	b->heap_idx = h->n_heap++;
	sift_up(h, b->heap_idx);
}

void
hc_heap_update(struct lb_health *h, struct hc_backend *b, uint64_t key)
{
	uint32_t i = b->heap_idx;
	uint64_t old = h->heap[i].key;

	h->heap[i].key = key;
	if (key < old)
		sift_up(h, i);
	else
		sift_down(h, i);
}

void
hc_heap_remove(struct lb_health *h, struct hc_backend *b)
{
	struct hc_backend *last = h->heap[h->n_heap - 1].b;
	uint32_t i = b->heap_idx;

	h->n_heap--;
	if (i == h->n_heap)
		return;
	/* The last entry fills the hole, then goes up or down. */
	heap_set(h, i, h->heap[h->n_heap]);
	sift_up(h, i);
	sift_down(h, last->heap_idx);
}

/* ---- the timer ---- */

/*
 * Arm the timer for the top key unless it is armed for an earlier one: a
 * timer that fires early finds nothing due and re-arms, which is cheaper
 * than a timerfd_settime() at every heap change.
 *
 * It fires HC_BATCH_US after the top is due (rounded up to the timer's
 * whole ms), never before: every check that falls due in that window
 * starts in the same wakeup, and their connects and answers tend to share
 * wakeups too. At 1000 checks a second that halves the checker's CPU
 * (each wakeup costs a context switch, dearer than the check's own
 * syscalls); a check starts at most about 5 ms late because of it, which
 * late_p99_ms shows.
 */
#define HC_BATCH_US 4000

void
hc_sched_arm(struct lb_health *h)
{
	uint64_t now, top, delay_ms;

	if (h->in_due)              /* hc_sched_due() arms when it is done */
		return;
	if (h->n_heap == 0) {
		if (h->armed_for != 0)
			lb_evloop_timer_set(h->timer, 0, 0);
		h->armed_for = 0;
		return;
	}
	top = h->heap[0].key;
	if (h->armed_for != 0 && h->armed_for <= top)
		return;
	now = hc_now_us();
	delay_ms = top + HC_BATCH_US > now ?
		   (top + HC_BATCH_US - now + 999) / 1000 : 1;
	if (lb_evloop_timer_set(h->timer, delay_ms, 0) == 0)
		h->armed_for = top;
}

/* The timer fired: start what is due, time out what is overdue. The
 * top is read afresh each time: a callback run by a finished check may
 * have synced (records added or freed). */
void
hc_sched_due(struct lb_evloop_timer *t, void *arg)
{
	struct lb_health *h = arg;
	struct hc_backend *b;
	uint64_t now = hc_now_us();

	(void)t;
	h->armed_for = 0;
	h->in_due = 1;
	while (h->n_heap > 0 && h->heap[0].key <= now) {
		b = h->heap[0].b;
		if (b->in_flight)
			hc_sched_timeout(h, b);
		else
			hc_sched_start(h, b, now);
		now = hc_now_us();
	}
	h->in_due = 0;
	if (h->curl_kick)
		hc_http_kick(h);
	hc_sched_arm(h);
}

/* ---- lateness of starts ---- */

static unsigned int
late_bucket(uint64_t us)
{
	unsigned int e;

	if (us < 16)
		return (unsigned int)us;
	if (us >= (UINT64_C(1) << 32))
		return HC_LATE_BUCKETS - 1;
	e = 63u - (unsigned int)__builtin_clzll(us);
	return (e - 3) * 16 + (unsigned int)((us >> (e - 4)) & 15);
}

/* The largest value bucket @p i holds. */
static uint64_t
late_bucket_top(unsigned int i)
{
	unsigned int e = i / 16 + 3;

	if (i < 16)
		return i;
	return ((UINT64_C(16) + i % 16 + 1) << (e - 4)) - 1;
}

void
hc_late_record(struct lb_health *h, uint64_t late_us)
{
	h->late_hist[late_bucket(late_us)]++;
	h->late_n++;
	if (late_us > h->late_max_us)
		h->late_max_us = late_us;
}

/* The @p q quantile (0..1), as the top of its bucket, at most the max. */
uint64_t
hc_late_quantile_us(const struct lb_health *h, double q)
{
	uint64_t rank, seen = 0;
	unsigned int i;

	if (h->late_n == 0)
		return 0;
	rank = (uint64_t)(q * (double)h->late_n + 0.5);
	if (rank == 0)
		rank = 1;
	for (i = 0; i < HC_LATE_BUCKETS; i++) {
		seen += h->late_hist[i];
		if (seen >= rank)
			break;
	}
	if (i == HC_LATE_BUCKETS || late_bucket_top(i) > h->late_max_us)
		return h->late_max_us;
	return late_bucket_top(i);
}
