/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The checker: which backends are checked (sync), when a check starts or
 * times out (called by the scheduler, sched.c), and what a result does to
 * a backend's state (hc_finish). tcp.c and http.c run the checks.
 *
 * The user's callback may sync, which can free any record: it is always
 * the last thing done, and callers re-read what they need afterwards.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "health_priv.h"

const char *
lb_health_state_name(unsigned int state)
{
	static const char *const names[] = { "unchecked", "up", "down" };

	return state < sizeof(names) / sizeof(names[0]) ? names[state] :
							  "unknown";
}

struct lb_health *
lb_health_create(struct lb_evloop *loop, lb_health_cb cb, void *arg)
{
	struct lb_health *h = calloc(1, sizeof(*h));
	int err = ENOMEM;

	if (h == NULL)
		return NULL;
	h->loop = loop;
	h->cb = cb;
	h->arg = arg;
	h->heap = calloc(LB_MAX_BACKENDS, sizeof(*h->heap));
	if (h->heap == NULL)
		goto fail;
	h->timer = lb_evloop_timer_add(loop, 0, 0, hc_sched_due, h);
	if (h->timer == NULL) {
		err = errno;
		goto fail;
	}
	err = -hc_http_init(h);
	if (err == 0)
		return h;
	lb_evloop_timer_cancel(h->timer);
fail:
	free(h->heap);
	free(h);
	errno = err;
	return NULL;
}

/* Give back what the check in flight holds, without a result. */
static void
check_release(struct lb_health *h, struct hc_backend *b)
{
	if (b->t.conf.kind == LB_HEALTH_TCP)
		hc_tcp_cancel(b);
	else
		hc_http_cancel(h, b);
}

/* Forget @p b: no result, no callback. */
static void
backend_drop(struct lb_health *h, struct hc_backend *b)
{
	if (b->in_flight) {
		check_release(h, b);
		b->in_flight = 0;
		h->in_flight--;
	}
	hc_heap_remove(h, b);
	h->by_id[b->id] = NULL;
	h->n_checked--;
	hc_http_release(b);
	free(b);
}

void
lb_health_destroy(struct lb_health *h)
{
	unsigned int id;

	if (h == NULL)
		return;
	for (id = 0; id < LB_MAX_BACKENDS; id++)
		if (h->by_id[id] != NULL)
			backend_drop(h, h->by_id[id]);
	hc_http_fini(h);
	lb_evloop_timer_cancel(h->timer);
	free(h->heap);
	free(h);
}

/* ---- running checks ---- */

void
hc_sched_start(struct lb_health *h, struct hc_backend *b, uint64_t now)
{
	uint64_t interval = (uint64_t)b->t.conf.interval_ms * 1000;
	struct hc_sample res;
	int rc;

	hc_late_record(h, now - b->due_us);
	b->started_us = now;
	b->started_ms = hc_wall_ms();
	b->due_us += interval;
	if (b->due_us <= now)    /* slots missed: skip them, keep the phase */
		b->due_us += ((now - b->due_us) / interval + 1) * interval;
	b->in_flight = 1;
	h->in_flight++;
	hc_heap_update(h, b, now + (uint64_t)b->t.conf.timeout_ms * 1000);
	memset(&res, 0, sizeof(res));
	if (b->t.conf.kind == LB_HEALTH_TCP)
		rc = hc_tcp_start(h, b, &res);
	else
		rc = hc_http_start(h, b, &res);
	if (rc != 0)
		hc_finish(h, b, &res);
}

void
hc_sched_timeout(struct lb_health *h, struct hc_backend *b)
{
	struct hc_sample res = {
		.what = HC_TIMEOUT,
		.value = (int32_t)b->t.conf.timeout_ms,
		.lat_us = (uint32_t)(hc_now_us() - b->started_us),
	};

	check_release(h, b);
	hc_finish(h, b, &res);
}

static void
ring_push(struct hc_backend *b, const struct hc_sample *s)
{
	b->ring[b->ring_head] = *s;
	b->ring_head = (b->ring_head + 1) % HC_RING;
	if (b->ring_n < HC_RING)
		b->ring_n++;
}

/* The state @p b goes to after its latest result, or UNCHECKED: none. */
static enum lb_health_state
transition_of(const struct hc_backend *b)
{
	if (b->cons_ok && b->state != LB_HEALTH_UP &&
	    b->consecutive >= b->t.conf.rise)
		return LB_HEALTH_UP;
	if (!b->cons_ok && b->state != LB_HEALTH_DOWN &&
	    b->consecutive >= b->t.conf.fall)
		return LB_HEALTH_DOWN;
	return LB_HEALTH_UNCHECKED;
}

static void
transition_reason(const struct hc_backend *b, const struct hc_sample *s,
		  char *buf, size_t size)
{
	char last[96];

	if (b->cons_ok) {
		snprintf(buf, size, "%u consecutive success%s", b->consecutive,
			 b->consecutive == 1 ? "" : "es");
		return;
	}
	hc_reason(s, last, sizeof(last));
	snprintf(buf, size, "%u consecutive failure%s: %s", b->consecutive,
		 b->consecutive == 1 ? "" : "s", last);
}

/*
 * A check of @p b ended with @p res (its resources already given back):
 * count it, schedule the next one, and report a transition, last.
 */
void
hc_finish(struct lb_health *h, struct hc_backend *b,
	  const struct hc_sample *res)
{
	struct hc_sample s = *res;
	enum lb_health_state to;
	uint16_t id = b->id;
	char reason[192];
	uint8_t ok = s.what == HC_OK;

	b->in_flight = 0;
	h->in_flight--;
	s.at_ms = b->started_ms;
	ring_push(b, &s);
	b->checks++;
	h->checks++;
	b->failures += !ok;
	h->failures += !ok;
	if (ok == b->cons_ok) {
		b->consecutive++;
	} else {
		b->cons_ok = ok;
		b->consecutive = 1;
	}
	hc_heap_update(h, b, b->due_us);
	hc_sched_arm(h);
	to = transition_of(b);
	if (to == LB_HEALTH_UNCHECKED)
		return;
	b->state = (uint8_t)to;
	b->since_ms = hc_wall_ms();
	h->transitions++;
	transition_reason(b, &s, reason, sizeof(reason));
	h->cb(id, to, reason, h->arg);
}

/* ---- sync ---- */

static int
is_checked(const struct lb_config *cfg, const struct lb_backend_conf *be)
{
	return be->state != LB_BACKEND_REMOVED && be->pool < cfg->n_pools &&
	       cfg->pools[be->pool].health.kind != LB_HEALTH_NONE &&
	       be->check_port != 0;
}

static void
target_of(const struct lb_config *cfg, const struct lb_backend_conf *be,
	  struct hc_target *t)
{
	memset(t, 0, sizeof(*t));
	t->addr = be->addr;
	t->port = be->check_port;
	t->conf = cfg->pools[be->pool].health;
}

/* Equal as far as checking goes: the pool's health_port is folded into
 * port, and path, host and expect mean nothing to tcp. */
static int
target_same(const struct hc_target *a, const struct hc_target *b)
{
	const struct lb_health_conf *x = &a->conf, *y = &b->conf;

	if (a->addr != b->addr || a->port != b->port || x->kind != y->kind ||
	    x->rise != y->rise || x->fall != y->fall ||
	    x->interval_ms != y->interval_ms || x->timeout_ms != y->timeout_ms)
		return 0;
	return x->kind == LB_HEALTH_TCP ||
	       (x->expect_lo == y->expect_lo && x->expect_hi == y->expect_hi &&
		strcmp(x->path, y->path) == 0 && strcmp(x->host, y->host) == 0);
}

static struct hc_backend *
backend_new(struct lb_health *h, uint16_t id, const struct hc_target *t)
{
	struct hc_backend *b = calloc(1, sizeof(*b));

	if (b == NULL)
		return NULL;
	b->owner = h;
	b->id = id;
	b->t = *t;
	b->fd = -1;
	b->cons_ok = 1;
	if (t->conf.kind != LB_HEALTH_TCP && hc_http_prepare(b) < 0) {
		free(b);
		return NULL;
	}
	return b;
}

static void
free_fresh(struct hc_backend **fresh, uint32_t n)
{
	uint32_t i;

	for (i = 0; i < n; i++) {
		if (fresh[i] != NULL)
			hc_http_release(fresh[i]);
		free(fresh[i]);
	}
}

/* Everything that can fail: a record for each new or changed backend in
 * fresh[] (by index in cfg->backends), checked backends counted per pool. */
static int
sync_prepare(struct lb_health *h, const struct lb_config *cfg,
	     struct hc_backend **fresh, uint32_t *pool_n)
{
	const struct lb_backend_conf *be;
	const struct hc_backend *old;
	struct hc_target t;
	uint32_t i;

	for (i = 0; i < cfg->n_backends; i++) {
		be = &cfg->backends[i];
		if (!is_checked(cfg, be))
			continue;
		if (be->id >= LB_MAX_BACKENDS) {
			free_fresh(fresh, i);
			return -EINVAL;
		}
		pool_n[be->pool]++;
		target_of(cfg, be, &t);
		old = h->by_id[be->id];
		if (old != NULL && target_same(&old->t, &t))
			continue;
		fresh[i] = backend_new(h, be->id, &t);
		if (fresh[i] == NULL) {
			free_fresh(fresh, i);
			return -ENOMEM;
		}
	}
	return 0;
}

/* Backend k of the n checked in its pool first starts k * interval / n
 * from now, so a pool's checks are spread, never fired at once. */
static void
sync_install(struct lb_health *h, struct hc_backend *b, uint64_t now,
	     uint32_t k, uint32_t n)
{
	b->seen = h->gen;
	b->due_us = now + (uint64_t)k * b->t.conf.interval_ms * 1000 / n;
	h->by_id[b->id] = b;
	h->n_checked++;
	hc_heap_push(h, b, b->due_us);
}

/* Cannot fail: the heap has room for every identity. */
static void
sync_commit(struct lb_health *h, const struct lb_config *cfg,
	    struct hc_backend **fresh, const uint32_t *pool_n,
	    uint32_t *pool_k)
{
	const struct lb_backend_conf *be;
	struct hc_backend *old;
	uint64_t now = hc_now_us();
	uint32_t i, k;

	h->gen++;
	for (i = 0; i < cfg->n_backends; i++) {
		be = &cfg->backends[i];
		if (!is_checked(cfg, be))
			continue;
		k = pool_k[be->pool]++;
		old = h->by_id[be->id];
		if (fresh[i] == NULL) {
			old->seen = h->gen;
			continue;
		}
		if (old != NULL && old->seen == h->gen) {
			/* An identity twice: a snapshot never has it. */
			free_fresh(&fresh[i], 1);
			continue;
		}
		if (old != NULL)
			backend_drop(h, old);
		sync_install(h, fresh[i], now, k, pool_n[be->pool]);
	}
	for (i = 0; i < LB_MAX_BACKENDS; i++)
		if (h->by_id[i] != NULL && h->by_id[i]->seen != h->gen)
			backend_drop(h, h->by_id[i]);
	hc_sched_arm(h);
}

int
lb_health_sync(struct lb_health *h, const struct lb_config *cfg)
{
	struct hc_backend **fresh;
	uint32_t *pool_n, *pool_k;
	int rc = -ENOMEM;

	fresh = calloc(cfg->n_backends + 1, sizeof(*fresh));
	pool_n = calloc(cfg->n_pools + 1, sizeof(*pool_n));
	pool_k = calloc(cfg->n_pools + 1, sizeof(*pool_k));
	if (fresh != NULL && pool_n != NULL && pool_k != NULL)
		rc = sync_prepare(h, cfg, fresh, pool_n);
	if (rc == 0)
		sync_commit(h, cfg, fresh, pool_n, pool_k);
	free(fresh);
	free(pool_n);
	free(pool_k);
	return rc;
}

enum lb_health_state
lb_health_state_of(const struct lb_health *h, uint16_t id)
{
	if (id >= LB_MAX_BACKENDS || h->by_id[id] == NULL)
		return LB_HEALTH_UNCHECKED;
	return (enum lb_health_state)h->by_id[id]->state;
}

int
lb_health_latency_us(const struct lb_health *h, uint16_t id, uint32_t *us)
{
	const struct hc_backend *b;
	uint32_t v[HC_LATENCY_RECENT], n, i, j, t;

	if (id >= LB_MAX_BACKENDS || (b = h->by_id[id]) == NULL ||
	    b->ring_n == 0)
		return -1;
	n = RTE_MIN(b->ring_n, (uint32_t)HC_LATENCY_RECENT);
	for (i = 0; i < n; i++)
		v[i] = b->ring[(b->ring_head + HC_RING - 1 - i) % HC_RING].lat_us;
	/* insertion sort: at most HC_LATENCY_RECENT values */
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && v[j - 1] > v[j]; j--) {
			t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	*us = v[n / 2];
	return 0;
}
