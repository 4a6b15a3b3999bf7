/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Asking workers a question without waiting for the answer.
 *
 * A worker answers between bursts, a bounded step per loop iteration, by
 * writing into its request and finally setting done. Management polls.
 *
 * Ownership: a request is the worker's from a successful submit until it
 * says done; before that nothing here frees or reuses it (nor the keys and
 * answer room in the same allocation). A full request ring is not an
 * error: the request stays ours, unsent, and is offered again at each poll
 * until the deadline. A request still the worker's when its command ends
 * (deadline, client gone) becomes an orphan, freed by the first reap after
 * the worker sets done. Orphans are few by construction: each sits in a
 * worker's request ring (16 deep), so a worker that never answers again
 * holds at most a ring's worth, and one that is merely slow gives them
 * back.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>

#include "mgmt_priv.h"

/*
 * Requests whose command ended before the worker answered. Management
 * lcore only; they outlive any command, client, server and context, so
 * they are kept here rather than by any of them.
 */
static struct {
	struct lb_dp_request **r;
	unsigned int n, cap;
} orphans;

unsigned int
mgmt_wq_reap(void)
{
	unsigned int i, kept = 0;

	for (i = 0; i < orphans.n; i++) {
		if (lb_dp_query_done(orphans.r[i]))
			free(orphans.r[i]);
		else
			orphans.r[kept++] = orphans.r[i];
	}
	orphans.n = kept;
	return kept;
}

static void
orphan_add(struct lb_dp_request *r)
{
	struct lb_dp_request **p;
	unsigned int cap;

	if (orphans.n == orphans.cap) {
		cap = orphans.cap == 0 ? 16 : orphans.cap * 2;
		p = realloc(orphans.r, cap * sizeof(*p));
		if (p == NULL) {
			/* Never freed, never reused: the only safe choice. */
			MGMT_LOG(ERR, "out of memory: a worker request is leaked");
			return;
		}
		orphans.r = p;
		orphans.cap = cap;
	}
	orphans.r[orphans.n++] = r;
}

/* Bytes a SELFTEST request needs beyond the request: its question, its
 * counts and its choices (zeroed). */
static size_t
selftest_bytes(const struct lb_dp_request *proto)
{
	if (proto->type != LB_DP_REQ_SELFTEST || proto->selftest == NULL)
		return 0;
	return sizeof(struct lb_dp_selftest) +
	       (LB_MAX_BACKENDS + 1) * sizeof(uint32_t) +
	       (size_t)proto->selftest->flows * sizeof(uint16_t);
}

/* Point @p r's self-test at its own copy of @p proto's, at @p at. */
static void
selftest_copy(struct lb_dp_request *r, const struct lb_dp_request *proto,
	      char *at)
{
	struct lb_dp_selftest *st = (struct lb_dp_selftest *)at;

	*st = *proto->selftest;
	st->done = 0;
	st->stale = 0;
	st->count = (uint32_t *)(st + 1);
	st->choice = (uint16_t *)(st->count + LB_MAX_BACKENDS + 1);
	/* Written here, though calloc zeroed it: fresh pages of a large
	 * allocation are mapped on first write, and that page fault (tens
	 * of microseconds for a huge page) belongs to management, not to
	 * the worker's loop. */
	memset(st->count, 0, (LB_MAX_BACKENDS + 1) * sizeof(uint32_t) +
	       (size_t)st->flows * sizeof(uint16_t));
	r->selftest = st;
}

/* A copy of @p proto with its own answer room (and keys, for LOOKUP; the
 * self-test's buffers, for SELFTEST) in the same allocation, so that
 * nothing it points to outlives it. */
static struct lb_dp_request *
request_new(const struct lb_dp_request *proto)
{
	uint32_t room = proto->type == LB_DP_REQ_LOOKUP ? proto->n :
			proto->type == LB_DP_REQ_SELFTEST ? 0 : proto->max;
	size_t keys = proto->type == LB_DP_REQ_LOOKUP ?
		      (size_t)proto->n * sizeof(proto->keys[0]) : 0;
	size_t st = selftest_bytes(proto);
	struct lb_dp_request *r;
	struct lb_flow_key *k;

	r = calloc(1, sizeof(*r) + (size_t)room * sizeof(r->out[0]) + keys +
		   st);
	if (r == NULL)
		return NULL;
	*r = *proto;
	r->out = (struct lb_dp_flow_info *)(r + 1);
	r->selftest = NULL;
	if (st > 0)
		selftest_copy(r, proto, (char *)(r->out + room) + keys);
	if (keys > 0) {
		k = (struct lb_flow_key *)(r->out + room);
		memcpy(k, proto->keys, keys);
		r->keys = k;
	} else {
		r->keys = NULL;
	}
	r->n_out = 0;
	r->done = 0;
	return r;
}

/* Offer the requests not queued yet; a full ring keeps them for later. */
static void
wq_send(struct mgmt_wq *q)
{
	unsigned int i;
	int rc;

	for (i = 0; i < q->n; i++) {
		if (q->sent[i])
			continue;
		rc = lb_dp_query_submit(q->dp, q->first + i, q->req[i]);
		if (rc == 0)
			q->sent[i] = 1;
		else if (rc != -EBUSY)
			q->rc = rc;
	}
}

int
mgmt_wq_submit(struct mgmt_wq *q, struct lb_dp *dp, unsigned int first,
	       unsigned int n, const struct lb_dp_request *proto,
	       uint64_t deadline_ms)
{
	unsigned int i;

	memset(q, 0, sizeof(*q));
	mgmt_wq_reap();
	q->dp = dp;
	q->first = first;
	q->deadline_ms = deadline_ms;
	if (first > dp->n_workers || n > dp->n_workers - first ||
	    n > LB_MAX_WORKERS)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		q->req[i] = request_new(proto);
		if (q->req[i] != NULL) {
			q->n = i + 1;
			continue;
		}
		/* Never sent: release frees them. */
		return -ENOMEM;
	}
	wq_send(q);
	return 0;
}

/* Index of the first worker that has not answered, or q->n. */
static unsigned int
first_silent(const struct mgmt_wq *q)
{
	unsigned int i;

	for (i = 0; i < q->n; i++)
		if (!q->sent[i] || !lb_dp_query_done(q->req[i]))
			break;
	return i;
}

int
mgmt_wq_poll(struct mgmt_wq *q, uint64_t now_ms)
{
	if (q->rc == 0 && now_ms < q->deadline_ms)
		wq_send(q);
	return q->rc != 0 || now_ms >= q->deadline_ms ||
	       first_silent(q) == q->n;
}

json_t *
mgmt_wq_error(const struct mgmt_wq *q)
{
	unsigned int i;

	if (q->rc != 0) {
		MGMT_LOG(ERR, "querying workers failed: %s", strerror(-q->rc));
		return lb_mgmt_error("cannot query the workers: %s",
				     strerror(-q->rc));
	}
	i = first_silent(q);
	if (i == q->n)
		return NULL;
	if (!q->sent[i]) {
		MGMT_LOG(WARNING, "worker %u: request queue full until the deadline",
			 q->first + i);
		return lb_mgmt_error("worker %u is busy with other requests; try again",
				     q->first + i);
	}
	MGMT_LOG(ERR, "worker %u did not answer by the deadline", q->first + i);
	return lb_mgmt_error("worker %u did not answer", q->first + i);
}

void
mgmt_wq_release(struct mgmt_wq *q)
{
	unsigned int i;

	for (i = 0; i < q->n; i++) {
		if (q->req[i] == NULL)
			continue;
		if (q->sent[i] && !lb_dp_query_done(q->req[i]))
			orphan_add(q->req[i]);
		else
			free(q->req[i]);
		q->req[i] = NULL;
	}
	q->n = 0;
	mgmt_wq_reap();
}
