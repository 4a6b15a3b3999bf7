/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Commands that ask the workers about their flow tables: flows and lookup.
 *
 * Both ask workers without waiting (workers.c) and answer later: the
 * command returns a pending object that the server polls from its event
 * loop, so the management core never waits for a worker. The answer is
 * built only against the configuration the question was asked under.
 *
 * flows answers one page at a time (at most LB_MGMT_FLOWS_PAGE_MAX
 * flows, so an answer has a bound), asking one worker after another from
 * a cursor: worker and flow table slot. A page is not a snapshot: flows
 * that come or go while a table is paged through may be missed or listed
 * twice.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>

#include "mgmt_priv.h"

#define FLOWS_DEFAULT_LIMIT 100
#define FLOWS_USAGE "usage: flows [--limit N] [--after CURSOR]"
/* A worker is told to answer what it has this long before the page's
 * deadline, leaving time to build the answer. */
#define FLOWS_ANSWER_MARGIN_MS 250
#define TUPLE_USAGE "PROTO SRC_IP SRC_PORT DST_IP DST_PORT (PROTO tcp|udp)"

/* What both commands keep while the workers answer. */
struct wq_pending {
	struct lb_mgmt_pending p;           /* first: the server holds this */
	struct lb_mgmt_ctx *ctx;
	uint64_t generation;                /* at submit time */
	struct mgmt_wq q;
};

/*
 * The configuration the answers refer to, or NULL (and the error) if it
 * was replaced meanwhile: the request's tuples were matched to VIPs of the
 * one it started with.
 */
static const struct lb_config *
wq_pending_config(const struct wq_pending *w, json_t **err)
{
	const struct lb_config *cfg = lb_mgmt_config(w->ctx->dp);

	/* The generation moves with every configuration (not with next
	 * hops): a pointer could be reused by the next one. */
	if (cfg != NULL &&
	    lb_dp_snapshot(w->ctx->dp)->generation == w->generation)
		return cfg;
	*err = lb_mgmt_error("the configuration changed while the workers were asked; try again");
	return NULL;
}

/* Ask workers first..first+n-1; NULL, or the error to answer at once. */
static json_t *
wq_pending_submit(struct wq_pending *w, unsigned int first, unsigned int n,
		  const struct lb_dp_request *proto, uint64_t deadline_ms)
{
	int rc = mgmt_wq_submit(&w->q, w->ctx->dp, first, n, proto,
				deadline_ms);

	if (rc == 0)
		return NULL;
	mgmt_wq_release(&w->q);
	return rc == -ENOMEM ? lb_mgmt_error("out of memory") :
			       lb_mgmt_error("cannot query the workers: %s",
					     strerror(-rc));
}

static const char *
flow_state_name(uint8_t state)
{
	switch (state) {
	case LB_FLOW_TCP_SYN:
		return "embryonic";
	case LB_FLOW_TCP_EST:
		return "established";
	case LB_FLOW_TCP_CLOSING:
		return "closing";
	case LB_FLOW_UDP:
		return "udp";
	case LB_FLOW_UDP_NEW:
		return "udp_new";
	default:
		return "unknown";
	}
}

/* Index of backend identity @p id in @p cfg, or LB_ID_NONE. */
static uint16_t
backend_index(const struct lb_config *cfg, uint32_t id)
{
	return id < LB_MAX_BACKENDS ? cfg->backend_index[id] : LB_ID_NONE;
}

static json_t *
backend_name(const struct lb_config *cfg, uint32_t id)
{
	uint16_t b = backend_index(cfg, id);

	return b != LB_ID_NONE ? lb_mgmt_str(cfg->backends[b].name) :
				 json_null();
}

static json_t *
vip_name(const struct lb_config *cfg, uint32_t id)
{
	uint16_t v = id < LB_MAX_VIPS ? cfg->vip_index[id] : LB_ID_NONE;

	return v != LB_ID_NONE ? lb_mgmt_str(cfg->vips[v].name) : json_null();
}

static json_t *
flow_json(const struct lb_config *cfg, const struct lb_dp_flow_info *f,
	  unsigned int worker)
{
	char pb[8];

	return json_pack("{s:i, s:s, s:o, s:i, s:o, s:i, s:o, s:o, s:s, s:I}",
		"worker", (int)worker,
		"protocol", lb_mgmt_proto_name(f->key.proto, pb, sizeof(pb)),
		"src", lb_mgmt_ipv4(f->key.src_addr),
		"src_port", (int)ntohs(f->key.src_port),
		"dst", lb_mgmt_ipv4(f->key.dst_addr),
		"dst_port", (int)ntohs(f->key.dst_port),
		"vip", vip_name(cfg, f->vip),
		"backend", backend_name(cfg, f->backend),
		"state", flow_state_name(f->state),
		"idle_ms", (json_int_t)f->idle_ms);
}

/* A flow a worker reported, and which worker. */
struct flow_row {
	unsigned int worker;
	struct lb_dp_flow_info f;
};

/*
 * One page of flows: rounds of one worker each, from the cursor on, until
 * the page is full, the last table ends or time runs out.
 */
struct flows_pending {
	struct wq_pending w;                /* the round in progress */
	uint32_t limit;
	unsigned int worker;                /* of the round; then the cursor */
	uint32_t pos;                       /* slot the round starts from */
	uint64_t deadline_ms;               /* of the page */
	json_t *err;
	uint32_t n_rows;
	struct flow_row rows[];             /* limit of them */
};

/* The cursor of the next page, "WORKER:SLOT", or null after the last. */
static json_t *
flows_cursor(const struct flows_pending *f)
{
	char buf[32];

	if (f->worker >= f->w.ctx->dp->n_workers)
		return json_null();
	snprintf(buf, sizeof(buf), "%u:%" PRIu32, f->worker, f->pos);
	return json_string(buf);
}

static json_t *
flows_answer(const struct flows_pending *f, const struct lb_config *cfg)
{
	const struct lb_dp *dp = f->w.ctx->dp;
	json_t *list = json_array(), *next = flows_cursor(f);
	uint64_t total = 0;
	unsigned int i;

	for (i = 0; i < dp->n_workers && i < LB_MAX_WORKERS; i++)
		total += dp->workers[i]->stats.flow.entries;
	for (i = 0; i < f->n_rows; i++)
		json_array_append_new(list, flow_json(cfg, &f->rows[i].f,
						      f->rows[i].worker));
	/* The entry gauge is a moment behind the tables it describes. */
	total = RTE_MAX(total, (uint64_t)f->n_rows);
	return json_pack("{s:o, s:I, s:b, s:o}", "flows", list,
			 "total", (json_int_t)total,
			 "truncated", !json_is_null(next), "next", next);
}

/* TSC by which a worker answers what it has, @p ms from now; 0 (no
 * limit) without a TSC frequency. */
static uint64_t
tsc_in(uint64_t ms)
{
	uint64_t hz = rte_get_tsc_hz();

	return hz == 0 ? 0 : rte_rdtsc() + ms * (hz / 1000);
}

/* Ask the cursor's worker for the rest of the page. @return 0, or -1 if
 * no time is left for a round (the page ends here). */
static int
flows_round(struct flows_pending *f, uint64_t now_ms)
{
	struct lb_dp_request proto = {
		.type = LB_DP_REQ_FLOWS, .max = f->limit - f->n_rows,
		.pos = f->pos,
	};

	if (now_ms + FLOWS_ANSWER_MARGIN_MS >= f->deadline_ms)
		return -1;
	proto.answer_by_tsc = tsc_in(f->deadline_ms - FLOWS_ANSWER_MARGIN_MS -
				     now_ms);
	f->err = wq_pending_submit(&f->w, f->worker, 1, &proto,
				   f->deadline_ms);
	return 0;
}

/* Take the round's flows; move the cursor. @return 1 if the worker's
 * table ended with room left on the page (ask the next worker). */
static int
flows_collect(struct flows_pending *f)
{
	const struct lb_dp_request *r = f->w.q.req[0];
	uint32_t j;
	int next;

	for (j = 0; j < r->n_out && j < r->max &&
		    f->n_rows < f->limit; j++) {
		f->rows[f->n_rows].worker = f->worker;
		f->rows[f->n_rows++].f = r->out[j];
	}
	next = r->end != 0;
	if (next) {
		f->worker++;
		f->pos = 0;
	} else {
		f->pos = r->pos;
	}
	mgmt_wq_release(&f->w.q);
	return next && f->n_rows < f->limit &&
	       f->worker < f->w.ctx->dp->n_workers;
}

static int
flows_poll(struct lb_mgmt_pending *p, uint64_t now_ms)
{
	struct flows_pending *f = container_of(p, struct flows_pending, w.p);

	if (f->err != NULL)
		return 1;
	if (!mgmt_wq_poll(&f->w.q, now_ms))
		return 0;
	f->err = mgmt_wq_error(&f->w.q);
	if (f->err != NULL)
		return 1;
	if (!flows_collect(f) || flows_round(f, now_ms) < 0)
		return 1;
	return f->err != NULL;
}

static void
flows_free(struct flows_pending *f)
{
	mgmt_wq_release(&f->w.q);
	free(f);
}

static json_t *
flows_finish(struct lb_mgmt_pending *p)
{
	struct flows_pending *f = container_of(p, struct flows_pending, w.p);
	const struct lb_config *cfg;
	json_t *ans = f->err;

	if (ans == NULL) {
		cfg = wq_pending_config(&f->w, &ans);
		if (cfg != NULL)
			ans = flows_answer(f, cfg);
	}
	flows_free(f);
	return ans != NULL ? ans : lb_mgmt_error("out of memory");
}

static void
flows_abandon(struct lb_mgmt_pending *p)
{
	struct flows_pending *f = container_of(p, struct flows_pending, w.p);

	json_decref(f->err);
	flows_free(f);
}

static const struct mgmt_pending_ops flows_ops = {
	.poll = flows_poll,
	.finish = flows_finish,
	.abandon = flows_abandon,
};

/* "WORKER:SLOT" as a flows answer's next gives it. @return 0 or -1. */
static int
parse_cursor(const char *s, const struct lb_dp *dp, unsigned int *worker,
	     uint32_t *pos)
{
	const char *colon = strchr(s, ':');
	char w[16];
	uint64_t wv, pv;

	if (colon == NULL || (size_t)(colon - s) >= sizeof(w))
		return -1;
	memcpy(w, s, (size_t)(colon - s));
	w[colon - s] = '\0';
	if (lb_mgmt_parse_uint(w, 0, LB_MAX_WORKERS - 1, &wv) < 0 ||
	    wv >= dp->n_workers ||
	    lb_mgmt_parse_uint(colon + 1, 0, UINT32_MAX, &pv) < 0)
		return -1;
	*worker = (unsigned int)wv;
	*pos = (uint32_t)pv;
	return 0;
}

/* --limit N and --after CURSOR, in any order, each at most once. */
static json_t *
flows_args(const struct lb_mgmt_ctx *ctx, const struct mgmt_req *r,
	   uint64_t *limit, unsigned int *worker, uint32_t *pos)
{
	int seen_limit = 0, seen_after = 0;
	unsigned int i;

	for (i = 1; i < r->argc; i += 2) {
		if (i + 1 >= r->argc)
			return lb_mgmt_error(FLOWS_USAGE);
		if (strcmp(r->argv[i], "--limit") == 0 && !seen_limit++) {
			if (lb_mgmt_parse_uint(r->argv[i + 1], 1,
					       LB_MGMT_FLOWS_PAGE_MAX,
					       limit) < 0)
				return lb_mgmt_error("bad limit \"%.32s\": expected 1..%d (a page; --after CURSOR gives the next); "
						     FLOWS_USAGE, r->argv[i + 1],
						     LB_MGMT_FLOWS_PAGE_MAX);
		} else if (strcmp(r->argv[i], "--after") == 0 &&
			   !seen_after++) {
			if (parse_cursor(r->argv[i + 1], ctx->dp, worker,
					 pos) < 0)
				return lb_mgmt_error("bad cursor \"%.32s\": expected WORKER:SLOT as a flows answer's \"next\" gives it",
						     r->argv[i + 1]);
		} else {
			return lb_mgmt_error(FLOWS_USAGE);
		}
	}
	return NULL;
}

json_t *
lb_mgmt_cmd_flows(struct lb_mgmt_ctx *ctx, const struct mgmt_req *r,
		  struct lb_mgmt_pending **later)
{
	const struct lb_config *cfg = lb_mgmt_config(ctx->dp);
	uint64_t limit = FLOWS_DEFAULT_LIMIT, now = lb_mgmt_now_ms();
	struct flows_pending *f;
	unsigned int worker = 0;
	uint32_t pos = 0;
	json_t *err;

	err = flows_args(ctx, r, &limit, &worker, &pos);
	if (err != NULL)
		return err;
	if (cfg == NULL)
		return lb_mgmt_error("no configuration loaded");
	f = calloc(1, sizeof(*f) + (size_t)limit * sizeof(f->rows[0]));
	if (f == NULL)
		return lb_mgmt_error("out of memory");
	f->w.p.ops = &flows_ops;
	f->w.ctx = ctx;
	f->w.generation = lb_dp_snapshot(ctx->dp)->generation;
	f->limit = (uint32_t)limit;
	f->worker = worker;
	f->pos = pos;
	f->deadline_ms = now + MGMT_QUERY_TIMEOUT_MS;
	if (ctx->dp->n_workers == 0)
		return flows_finish(&f->w.p);
	flows_round(f, now);
	*later = &f->w.p;
	return NULL;
}

/* ---- lookup ---- */

/* One tuple of a lookup, then what the workers or the scheduler say. */
struct lookup_item {
	struct lb_flow_key key;
	int vip;                    /**< -1: the line is bad, see err */
	json_t *err;
	int worker;                 /**< -1: no worker holds the flow */
	struct lb_dp_flow_info hit;
};

/* @return 0, -1 for a malformed tuple, -2 when no VIP matches it. */
static int
parse_tuple(char *const *w, unsigned int n, struct lookup_item *it,
	    const struct lb_config *cfg, char *err, size_t errlen)
{
	struct in_addr src, dst;
	uint64_t sport, dport;
	uint8_t proto;

	if (n != 5) {
		snprintf(err, errlen, "expected " TUPLE_USAGE);
		return -1;
	}
	if (strcasecmp(w[0], "tcp") == 0) {
		proto = IPPROTO_TCP;
	} else if (strcasecmp(w[0], "udp") == 0) {
		proto = IPPROTO_UDP;
	} else {
		snprintf(err, errlen, "bad protocol \"%.16s\": expected tcp or udp",
			 w[0]);
		return -1;
	}
	if (inet_pton(AF_INET, w[1], &src) != 1 ||
	    inet_pton(AF_INET, w[3], &dst) != 1) {
		snprintf(err, errlen, "bad address \"%.40s\": expected IPv4 a.b.c.d",
			 inet_pton(AF_INET, w[1], &src) != 1 ? w[1] : w[3]);
		return -1;
	}
	if (lb_mgmt_parse_uint(w[2], 0, 65535, &sport) < 0 ||
	    lb_mgmt_parse_uint(w[4], 0, 65535, &dport) < 0) {
		snprintf(err, errlen, "bad port \"%.16s\": expected 0..65535",
			 lb_mgmt_parse_uint(w[2], 0, 65535, &sport) < 0 ? w[2] : w[4]);
		return -1;
	}
	memset(&it->key, 0, sizeof(it->key));
	it->key.proto = proto;
	it->key.src_addr = src.s_addr;
	it->key.dst_addr = dst.s_addr;
	it->key.src_port = htons((uint16_t)sport);
	it->key.dst_port = htons((uint16_t)dport);
	it->worker = -1;
	it->vip = lb_config_find_vip(cfg, proto, dst.s_addr, (uint16_t)dport);
	if (it->vip < 0 || (uint32_t)it->vip >= cfg->n_vips) {
		snprintf(err, errlen, "no VIP matches %s %s:%lu",
			 proto == IPPROTO_TCP ? "tcp" : "udp", w[3], dport);
		it->vip = -1;
		return -2;
	}
	return 0;
}

static void
set_backend(json_t *o, const struct lb_config *cfg, uint32_t b)
{
	const struct lb_backend_conf *be = &cfg->backends[b];

	json_object_set_new(o, "backend", lb_mgmt_str(be->name));
	json_object_set_new(o, "backend_id", json_integer(be->id));
	json_object_set_new(o, "backend_address", lb_mgmt_ipv4(be->addr));
}

/*
 * Whether the worker will keep a flow it holds on its backend: the same
 * rule as the worker's hit path (lb_config_hit_rule).
 * @return the backend's index, or -1 with @p why: it will be scheduled
 * anew by its next packet.
 */
static int
flow_stays(const struct lb_config *cfg, const struct lb_vip_conf *vip,
	   const struct lb_dp_flow_info *hit, const char **why)
{
	uint16_t b;

	switch (lb_config_hit_rule(cfg, hit->backend,
				   (uint32_t)(vip - cfg->vips), &b)) {
	case LB_HIT_STAYS:
	case LB_HIT_KEPT:
		return b;
	case LB_HIT_RESCHEDULED:
		*why = "its backend is disabled or removed and the pool's "
		       "on_remove is reschedule";
		return -1;
	case LB_HIT_BACKEND_GONE:
		break;
	}
	*why = "its backend is no longer configured";
	return -1;
}

/*
 * Where a new flow with this key would go: the worker's own choice,
 * lb_dp_new_flow_backend() (also where a TCP packet of a flow no table
 * holds goes, untracked).
 */
static void
set_scheduler_choice(json_t *o, const struct lb_config *cfg, uint32_t vip,
		     const struct lb_pool_conf *pool,
		     const struct lb_flow_key *key)
{
	uint32_t b = 0;
	int rc = -1;

	if (pool != NULL && pool->maglev.slots != NULL && pool->maglev.size > 0)
		rc = lb_dp_new_flow_backend(cfg, vip, key, &b);
	if (rc < 0) {
		json_object_set_new(o, "backend", json_null());
		json_object_set_new(o, "backend_address", json_null());
		json_object_set_new(o, "reason",
				    json_string("no backend with weight > 0"));
	} else {
		set_backend(o, cfg, b);
	}
	json_object_set_new(o, "source", json_string("scheduler"));
	json_object_set_new(o, "worker", json_null());
}

static json_t *
lookup_json(const struct lb_config *cfg, const struct lookup_item *it)
{
	const struct lb_vip_conf *vip = &cfg->vips[it->vip];
	const struct lb_pool_conf *pool =
		vip->pool < cfg->n_pools ? &cfg->pools[vip->pool] : NULL;
	const char *why = NULL;
	char pb[8];
	json_t *o;
	int b;

	o = json_pack("{s:o, s:o, s:s, s:o, s:i, s:o, s:i}",
		"vip", lb_mgmt_str(vip->name),
		"pool", pool != NULL ? lb_mgmt_str(pool->name) : json_null(),
		"protocol", lb_mgmt_proto_name(it->key.proto, pb, sizeof(pb)),
		"src", lb_mgmt_ipv4(it->key.src_addr),
		"src_port", (int)ntohs(it->key.src_port),
		"dst", lb_mgmt_ipv4(it->key.dst_addr),
		"dst_port", (int)ntohs(it->key.dst_port));
	if (o == NULL)
		return NULL;
	if (it->worker >= 0 && (b = flow_stays(cfg, vip, &it->hit,
					       &why)) >= 0) {
		set_backend(o, cfg, (uint32_t)b);
		json_object_set_new(o, "source", json_string("flow"));
		json_object_set_new(o, "worker", json_integer(it->worker));
		json_object_set_new(o, "state",
				    json_string(flow_state_name(it->hit.state)));
	} else {
		set_scheduler_choice(o, cfg, (uint32_t)it->vip, pool,
				     &it->key);
		if (it->worker >= 0)
			json_object_set_new(o, "rescheduled",
					    json_string(why));
	}
	return o;
}

/* A lookup waiting for the workers; items[] owns the parsed tuples. */
struct lookup_pending {
	struct wq_pending w;
	int batch;                  /* answer an array, not one object */
	uint32_t n;
	struct lookup_item *items;
	uint32_t *asked;            /* items[asked[j]] is key j of the query */
};

static void
lookup_free(struct lookup_pending *l)
{
	uint32_t i;

	for (i = 0; l->items != NULL && i < l->n; i++)
		json_decref(l->items[i].err);
	free(l->items);
	free(l->asked);
	free(l);
}

static json_t *
lookup_answer(const struct lb_config *cfg, struct lookup_pending *l)
{
	json_t *ans;
	uint32_t i;

	if (!l->batch)
		return lookup_json(cfg, &l->items[0]);
	ans = json_array();
	for (i = 0; ans != NULL && i < l->n; i++) {
		json_array_append_new(ans, l->items[i].err != NULL ?
				      l->items[i].err :
				      lookup_json(cfg, &l->items[i]));
		l->items[i].err = NULL;
	}
	return ans;
}

/* The first worker holding a flow says where it goes. */
static void
lookup_merge(struct lookup_pending *l)
{
	const struct mgmt_wq *q = &l->w.q;
	struct lookup_item *it;
	unsigned int w;
	uint32_t j;

	for (w = 0; w < q->n; w++)
		for (j = 0; j < q->req[w]->n_out && j < q->req[w]->n; j++) {
			it = &l->items[l->asked[j]];
			if (q->req[w]->out[j].found && it->worker < 0) {
				it->worker = (int)w;
				it->hit = q->req[w]->out[j];
			}
		}
}

static json_t *
lookup_finish(struct lb_mgmt_pending *p)
{
	struct lookup_pending *l = container_of(p, struct lookup_pending, w.p);
	const struct lb_config *cfg;
	json_t *ans;

	ans = mgmt_wq_error(&l->w.q);
	cfg = ans == NULL ? wq_pending_config(&l->w, &ans) : NULL;
	if (cfg != NULL) {
		lookup_merge(l);
		ans = lookup_answer(cfg, l);
	}
	mgmt_wq_release(&l->w.q);
	lookup_free(l);
	return ans != NULL ? ans : lb_mgmt_error("out of memory");
}

static void
lookup_abandon(struct lb_mgmt_pending *p)
{
	struct lookup_pending *l = container_of(p, struct lookup_pending, w.p);

	mgmt_wq_release(&l->w.q);
	lookup_free(l);
}

static int
lookup_poll(struct lb_mgmt_pending *p, uint64_t now_ms)
{
	return mgmt_wq_poll(&container_of(p, struct lookup_pending, w.p)->w.q,
			    now_ms);
}

static const struct mgmt_pending_ops lookup_ops = {
	.poll = lookup_poll,
	.finish = lookup_finish,
	.abandon = lookup_abandon,
};

/* One query, one request per worker: no batch needs more keys. */
_Static_assert(LB_MGMT_LOOKUP_MAX <= LB_DP_REQ_MAX, "a lookup batch fits one request");

/*
 * Ask the workers about every valid item of @p l (which this call owns),
 * or answer at once when there is nobody or nothing to ask.
 */
static json_t *
lookup_start(struct lb_mgmt_ctx *ctx, const struct lb_config *cfg,
	     struct lookup_pending *l, struct lb_mgmt_pending **later)
{
	struct lb_flow_key *keys;
	uint32_t i, nv = 0;
	json_t *ans;

	l->w.p.ops = &lookup_ops;
	l->asked = calloc(l->n + 1, sizeof(*l->asked));
	keys = calloc(l->n + 1, sizeof(*keys));
	if (l->asked == NULL || keys == NULL) {
		free(keys);
		lookup_free(l);
		return lb_mgmt_error("out of memory");
	}
	for (i = 0; i < l->n; i++)
		if (l->items[i].vip >= 0) {
			keys[nv] = l->items[i].key;
			l->asked[nv++] = i;
		}
	if (nv == 0 || ctx->dp->n_workers == 0) {
		free(keys);
		ans = lookup_answer(cfg, l);
		lookup_free(l);
		return ans != NULL ? ans : lb_mgmt_error("out of memory");
	}
	l->w.ctx = ctx;
	l->w.generation = lb_dp_snapshot(ctx->dp)->generation;
	ans = wq_pending_submit(&l->w, 0, ctx->dp->n_workers,
				&(struct lb_dp_request){
					.type = LB_DP_REQ_LOOKUP, .n = nv,
					.keys = keys },
				lb_mgmt_now_ms() + MGMT_QUERY_TIMEOUT_MS);
	/* Each worker's request holds its own copy. */
	free(keys);
	if (ans != NULL) {
		lookup_free(l);
		return ans;
	}
	*later = &l->w.p;
	return NULL;
}

static struct lookup_pending *
lookup_new(uint32_t max_items)
{
	struct lookup_pending *l = calloc(1, sizeof(*l));

	if (l == NULL)
		return NULL;
	l->items = calloc(max_items, sizeof(*l->items));
	if (l->items == NULL) {
		free(l);
		return NULL;
	}
	return l;
}

static json_t *
lookup_one(struct lb_mgmt_ctx *ctx, const struct lb_config *cfg,
	   const struct mgmt_req *r, struct lb_mgmt_pending **later)
{
	struct lookup_pending *l;
	char err[256];
	int rc;

	l = lookup_new(1);
	if (l == NULL)
		return lb_mgmt_error("out of memory");
	l->n = 1;
	l->items[0].vip = -1;
	l->items[0].worker = -1;
	rc = parse_tuple(&r->argv[1], r->argc - 1, &l->items[0], cfg, err,
			 sizeof(err));
	if (rc < 0)
		lookup_free(l);
	if (rc == -2)
		return lb_mgmt_error("%s", err);
	if (rc < 0)
		return lb_mgmt_error("%s; usage: lookup " TUPLE_USAGE
				     " | lookup - (one tuple per following line)",
				     err);
	return lookup_start(ctx, cfg, l, later);
}

/* The next line of the body, as a fresh C string (NULL at the end). */
static char *
next_line(const char **p, const char *end)
{
	const char *nl;
	size_t n;
	char *line;

	if (*p >= end)
		return NULL;
	nl = memchr(*p, '\n', (size_t)(end - *p));
	n = nl != NULL ? (size_t)(nl - *p) : (size_t)(end - *p);
	line = malloc(n + 1);
	if (line != NULL) {
		memcpy(line, *p, n);
		line[n] = '\0';
	}
	*p += n + (nl != NULL);
	return line;
}

static unsigned int
split_words(char *line, char **w, unsigned int max)
{
	char *save = NULL, *tok;
	unsigned int n = 0;

	for (tok = strtok_r(line, " \t\r\v\f", &save); tok != NULL;
	     tok = strtok_r(NULL, " \t\r\v\f", &save)) {
		if (n < max)
			w[n] = tok;
		n++;
	}
	return n;
}

/*
 * Parse the body into items; bad lines get their error in place.
 * @return number of items, or -1 if there are too many (or ENOMEM).
 */
static int
parse_batch(const struct mgmt_req *r, const struct lb_config *cfg,
	    struct lookup_item *items)
{
	const char *p = r->body, *end = r->body + r->body_len;
	unsigned int n = 0, lineno = 0, nw;
	char *line, *w[6], err[256];

	while ((line = next_line(&p, end)) != NULL) {
		lineno++;
		nw = split_words(line, w, RTE_DIM(w));
		if (nw > 0 && n == LB_MGMT_LOOKUP_MAX) {
			free(line);
			return -1;
		}
		if (nw > 0) {
			items[n].worker = -1;
			items[n].vip = -1;
			items[n].err = NULL;
			if (parse_tuple(w, RTE_MIN(nw, 6u), &items[n], cfg, err,
					sizeof(err)) < 0) {
				items[n].err = lb_mgmt_error("%s", err);
				json_object_set_new(items[n].err, "line",
						    json_integer(lineno));
			}
			n++;
		}
		free(line);
	}
	return (int)n;
}

static json_t *
lookup_batch(struct lb_mgmt_ctx *ctx, const struct lb_config *cfg,
	     const struct mgmt_req *r, struct lb_mgmt_pending **later)
{
	struct lookup_pending *l;
	int n;

	l = lookup_new(LB_MGMT_LOOKUP_MAX);
	if (l == NULL)
		return lb_mgmt_error("out of memory");
	l->batch = 1;
	n = parse_batch(r, cfg, l->items);
	l->n = n < 0 ? LB_MGMT_LOOKUP_MAX : (uint32_t)n;
	if (n < 0) {
		lookup_free(l);
		return lb_mgmt_error("too many tuples: at most %d per lookup request",
				     LB_MGMT_LOOKUP_MAX);
	}
	return lookup_start(ctx, cfg, l, later);
}

json_t *
lb_mgmt_cmd_lookup(struct lb_mgmt_ctx *ctx, const struct mgmt_req *r,
		   struct lb_mgmt_pending **later)
{
	const struct lb_config *cfg = lb_mgmt_config(ctx->dp);

	if (r->argc == 2 && strcmp(r->argv[1], "-") == 0) {
		if (cfg == NULL)
			return lb_mgmt_error("no configuration loaded");
		return lookup_batch(ctx, cfg, r, later);
	}
	if (r->argc != 6)
		return lb_mgmt_error("usage: lookup " TUPLE_USAGE
				     " | lookup - (one tuple per following line)");
	if (cfg == NULL)
		return lb_mgmt_error("no configuration loaded");
	return lookup_one(ctx, cfg, r, later);
}
