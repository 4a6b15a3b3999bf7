/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Commands that ask the workers about their flow tables: flows and lookup.
 *
 * Both ask every worker at once (workers.c) and answer later: the command
 * returns a pending object that the server polls from its event loop, so
 * the management core never waits for a worker. The answer is built only
 * against the configuration the question was asked under.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mgmt_priv.h"

#define FLOWS_DEFAULT_LIMIT 100
#define FLOWS_MAX_LIMIT 100000
#define TUPLE_USAGE "PROTO SRC_IP SRC_PORT DST_IP DST_PORT (PROTO tcp|udp)"

/* What both commands keep while the workers answer. */
struct wq_pending {
	struct lb_mgmt_pending p;           /* first: the server holds this */
	struct lb_mgmt_ctx *ctx;
	uint64_t generation;                /* at submit time */
	struct mgmt_wq q;
};

static int
wq_pending_poll(struct lb_mgmt_pending *p, uint64_t now_ms)
{
	return mgmt_wq_poll(&container_of(p, struct wq_pending, p)->q, now_ms);
}

/*
 * The configuration the answers refer to, or NULL (and the error) if it
 * was replaced meanwhile: the request's tuples were matched to VIPs of the
 * one it started with.
 */
static const struct lb_config *
wq_pending_config(const struct wq_pending *w, json_t **err)
{
	const struct lb_config *cfg = lb_mgmt_config(w->ctx->dp);

	*err = mgmt_wq_error(&w->q);
	if (*err != NULL)
		return NULL;
	/* The generation moves with every configuration (not with next
	 * hops): a pointer could be reused by the next one. */
	if (cfg != NULL &&
	    lb_dp_snapshot(w->ctx->dp)->generation == w->generation)
		return cfg;
	*err = lb_mgmt_error("the configuration changed while the workers were asked; try again");
	return NULL;
}

static json_t *
wq_pending_submit(struct wq_pending *w, struct lb_mgmt_ctx *ctx,
		  enum lb_dp_req_type type, uint32_t room,
		  struct lb_flow_key *keys)
{
	w->ctx = ctx;
	w->generation = lb_dp_snapshot(ctx->dp)->generation;
	if (mgmt_wq_submit(&w->q, ctx->dp, type, room, keys,
			   lb_mgmt_now_ms()) == 0)
		return NULL;
	mgmt_wq_release(&w->q);
	return lb_mgmt_error("out of memory");
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

static json_t *
flows_answer(struct lb_dp *dp, const struct lb_config *cfg,
	     const struct mgmt_wq *q, uint64_t limit)
{
	const struct lb_dp_request *rq;
	json_t *list = json_array();
	uint64_t total = 0, listed = 0;
	int truncated = 0;
	unsigned int i, j;

	for (i = 0; i < q->n; i++) {
		rq = q->req[i];
		total += dp->workers[i]->stats.flow.entries;
		for (j = 0; j < rq->n_out && j < rq->max; j++) {
			if (listed == limit) {
				truncated = 1;
				break;
			}
			json_array_append_new(list,
					      flow_json(cfg, &rq->out[j], i));
			listed++;
		}
	}
	/* The entry gauge is a moment behind the tables it describes. */
	total = RTE_MAX(total, listed);
	if (listed < total)
		truncated = 1;
	return json_pack("{s:o, s:I, s:b}", "flows", list,
			 "total", (json_int_t)total, "truncated", truncated);
}

struct flows_pending {
	struct wq_pending w;
	uint64_t limit;
};

static json_t *
flows_finish(struct lb_mgmt_pending *p)
{
	struct flows_pending *f = container_of(p, struct flows_pending, w.p);
	const struct lb_config *cfg;
	json_t *ans;

	cfg = wq_pending_config(&f->w, &ans);
	if (cfg != NULL)
		ans = flows_answer(f->w.ctx->dp, cfg, &f->w.q, f->limit);
	mgmt_wq_release(&f->w.q);
	free(f);
	return ans != NULL ? ans : lb_mgmt_error("out of memory");
}

static void
flows_abandon(struct lb_mgmt_pending *p)
{
	struct flows_pending *f = container_of(p, struct flows_pending, w.p);

	mgmt_wq_release(&f->w.q);
	free(f);
}

static const struct mgmt_pending_ops flows_ops = {
	.poll = wq_pending_poll,
	.finish = flows_finish,
	.abandon = flows_abandon,
};

json_t *
lb_mgmt_cmd_flows(struct lb_mgmt_ctx *ctx, const struct mgmt_req *r,
		  struct lb_mgmt_pending **later)
{
	const struct lb_config *cfg = lb_mgmt_config(ctx->dp);
	uint64_t limit = FLOWS_DEFAULT_LIMIT;
	struct flows_pending *f;
	json_t *err;

	if (r->argc == 3 && strcmp(r->argv[1], "--limit") == 0) {
		if (lb_mgmt_parse_uint(r->argv[2], 1, FLOWS_MAX_LIMIT, &limit) < 0)
			return lb_mgmt_error("bad limit \"%.32s\": expected 1..%d; usage: flows [--limit N]",
					     r->argv[2], FLOWS_MAX_LIMIT);
	} else if (r->argc != 1) {
		return lb_mgmt_error("usage: flows [--limit N]");
	}
	if (cfg == NULL)
		return lb_mgmt_error("no configuration loaded");
	f = calloc(1, sizeof(*f));
	if (f == NULL)
		return lb_mgmt_error("out of memory");
	f->w.p.ops = &flows_ops;
	f->limit = limit;
	err = wq_pending_submit(&f->w, ctx, LB_DP_REQ_FLOWS,
				RTE_MIN((uint32_t)limit, (uint32_t)LB_DP_REQ_MAX),
				NULL);
	if (err != NULL) {
		free(f);
		return err;
	}
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
 * Where a new flow with this key would go: the pool's Maglev table at the
 * hash of the configured hash_key, as the worker's schedule() computes it
 * (also where a TCP packet of a flow no table holds goes, untracked).
 */
static void
set_scheduler_choice(json_t *o, const struct lb_config *cfg,
		     const struct lb_pool_conf *pool,
		     const struct lb_flow_key *key)
{
	uint16_t idx = LB_SCHED_EMPTY;

	if (pool != NULL && pool->maglev.slots != NULL && pool->maglev.size > 0)
		idx = lb_sched_maglev_pick(&pool->maglev,
			lb_flow_key_hash(&cfg->global.hash_key, key));
	if (idx == LB_SCHED_EMPTY || idx >= pool->n_members) {
		json_object_set_new(o, "backend", json_null());
		json_object_set_new(o, "backend_address", json_null());
		json_object_set_new(o, "reason",
				    json_string("no backend with weight > 0"));
	} else {
		set_backend(o, cfg, pool->members[idx]);
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
		set_scheduler_choice(o, cfg, pool, &it->key);
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

	cfg = wq_pending_config(&l->w, &ans);
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

static const struct mgmt_pending_ops lookup_ops = {
	.poll = wq_pending_poll,
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
	ans = wq_pending_submit(&l->w, ctx, LB_DP_REQ_LOOKUP, nv, keys);
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
