/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Asking every worker the same question without waiting for the answer.
 *
 * A worker answers between bursts by writing into its request and setting
 * done. Management polls; if a worker has not answered by the deadline,
 * its request (and the keys it reads) is leaked on purpose: the worker may
 * still write into it later, and a small leak on a broken worker is better
 * than memory corruption. Requests of workers that did answer are freed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mgmt_priv.h"

/* The request and its answer buffer in one allocation, freed together. */
static struct lb_dp_request *
request_new(enum lb_dp_req_type type, uint32_t room,
	    const struct lb_flow_key *keys)
{
	struct lb_dp_request *r;

	r = calloc(1, sizeof(*r) + (size_t)room * sizeof(r->out[0]));
	if (r == NULL)
		return NULL;
	r->type = type;
	r->out = (struct lb_dp_flow_info *)(r + 1);
	if (type == LB_DP_REQ_LOOKUP) {
		r->n = room;
		r->keys = keys;
	} else {
		r->max = room;
	}
	return r;
}

int
mgmt_wq_submit(struct mgmt_wq *q, struct lb_dp *dp, enum lb_dp_req_type type,
	       uint32_t room, struct lb_flow_key *keys, uint64_t now_ms)
{
	unsigned int i;

	memset(q, 0, sizeof(*q));
	q->dp = dp;
	q->keys = keys;
	q->deadline_ms = now_ms + MGMT_QUERY_TIMEOUT_MS;
	q->n = RTE_MIN(dp->n_workers, (unsigned int)LB_MAX_WORKERS);
	for (i = 0; i < q->n; i++) {
		q->req[i] = request_new(type, room, keys);
		if (q->req[i] != NULL)
			continue;
		/* Never sent: release may free them. */
		for (q->n = i; i-- > 0;)
			q->req[i]->done = 1;
		return -ENOMEM;
	}
	for (i = 0; i < q->n; i++) {
		q->rc = lb_dp_query_submit(dp, i, q->req[i]);
		if (q->rc == 0)
			continue;
		/* Not queued, so nobody else will write them: done. */
		for (; i < q->n; i++)
			q->req[i]->done = 1;
		break;
	}
	return 0;
}

/* Index of the first worker that has not answered, or q->n. */
static unsigned int
first_silent(const struct mgmt_wq *q)
{
	unsigned int i;

	for (i = 0; i < q->n; i++)
		if (!lb_dp_query_done(q->req[i]))
			break;
	return i;
}

int
mgmt_wq_poll(const struct mgmt_wq *q, uint64_t now_ms)
{
	return q->rc != 0 || now_ms >= q->deadline_ms || first_silent(q) == q->n;
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
	MGMT_LOG(ERR, "worker %u did not answer within %d ms (request leaked)",
		 i, MGMT_QUERY_TIMEOUT_MS);
	return lb_mgmt_error("worker %u did not answer", i);
}

void
mgmt_wq_release(struct mgmt_wq *q)
{
	unsigned int i, leaked = 0;

	for (i = 0; i < q->n; i++) {
		if (q->req[i] == NULL)
			continue;
		if (lb_dp_query_done(q->req[i]))
			free(q->req[i]);
		else
			leaked++;
		q->req[i] = NULL;
	}
	if (leaked > 0)
		MGMT_LOG(WARNING, "%u worker request(s) leaked: the worker may still write them",
			 leaked);
	else
		free(q->keys);
	q->keys = NULL;
}
