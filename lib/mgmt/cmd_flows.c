/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Commands that ask the workers about their flow tables: flows and lookup.
 *
 * A worker answers between bursts. If one does not answer in time its
 * request (and every buffer it points to) is leaked on purpose: the worker
 * may still write into it later, and a small leak on a broken worker is
 * better than memory corruption.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mgmt_priv.h"

#define FLOWS_DEFAULT_LIMIT 100
#define FLOWS_MAX_LIMIT 100000
#define TUPLE_USAGE "PROTO SRC_IP SRC_PORT DST_IP DST_PORT (PROTO tcp|udp)"

/*
 * Send reqs[i] to worker i and wait. @return NULL when every worker
 * answered, else the error to answer; the caller must then leak reqs.
 */
static json_t *
query_workers(struct lb_dp *dp, struct lb_dp_request *reqs)
{
	unsigned int i;
	int rc;

	rc = lb_dp_query_workers(dp, reqs, MGMT_QUERY_TIMEOUT_MS);
	if (rc == 0)
		return NULL;
	if (rc != -ETIMEDOUT) {
		MGMT_LOG(ERR, "querying workers failed: %s", strerror(-rc));
		return lb_mgmt_error("cannot query the workers: %s",
				     strerror(-rc));
	}
	for (i = 0; i < dp->n_workers; i++)
		if (!__atomic_load_n(&reqs[i].done, __ATOMIC_ACQUIRE))
			break;
	MGMT_LOG(ERR, "worker %u did not answer within %d ms (request leaked)",
		 i, MGMT_QUERY_TIMEOUT_MS);
	return lb_mgmt_error("worker %u did not answer", i);
}

static const char *
flow_state_name(uint8_t state)
{
	switch (state) {
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

/* Strict decimal in [lo, hi]: no sign, no spaces, no trailing bytes. */
static int
parse_uint(const char *s, unsigned long lo, unsigned long hi,
	   unsigned long *out)
{
	unsigned long v = 0;
	const char *p;

	if (*s == '\0' || strlen(s) > 9)
		return -1;
	for (p = s; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		v = v * 10 + (unsigned long)(*p - '0');
	}
	if (v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

static json_t *
flows_answer(struct lb_dp *dp, const struct lb_config *cfg,
	     const struct lb_dp_request *reqs, unsigned long limit)
{
	json_t *list = json_array();
	uint64_t total = 0, listed = 0;
	int truncated = 0;
	unsigned int i, j;

	for (i = 0; i < RTE_MIN(dp->n_workers, (unsigned int)LB_MAX_WORKERS); i++) {
		total += dp->workers[i]->stats.flow.entries;
		for (j = 0; j < reqs[i].n_out && j < reqs[i].max; j++) {
			if (listed == limit) {
				truncated = 1;
				break;
			}
			json_array_append_new(list,
					      flow_json(cfg, &reqs[i].out[j], i));
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

json_t *
lb_mgmt_cmd_flows(struct lb_mgmt_ctx *ctx, const struct mgmt_req *r)
{
	const struct lb_config *cfg = lb_mgmt_config(ctx->dp);
	unsigned long limit = FLOWS_DEFAULT_LIMIT;
	struct lb_dp *dp = ctx->dp;
	struct lb_dp_flow_info *out;
	struct lb_dp_request *reqs;
	unsigned int i, n = RTE_MIN(dp->n_workers, (unsigned int)LB_MAX_WORKERS);
	uint32_t max;
	json_t *ans;

	if (r->argc == 3 && strcmp(r->argv[1], "--limit") == 0) {
		if (parse_uint(r->argv[2], 1, FLOWS_MAX_LIMIT, &limit) < 0)
			return lb_mgmt_error("bad limit \"%.32s\": expected 1..%d; usage: flows [--limit N]",
					     r->argv[2], FLOWS_MAX_LIMIT);
	} else if (r->argc != 1) {
		return lb_mgmt_error("usage: flows [--limit N]");
	}
	if (cfg == NULL)
		return lb_mgmt_error("no configuration loaded");
	max = RTE_MIN((uint32_t)limit, (uint32_t)LB_DP_REQ_MAX);
	reqs = calloc(n + 1, sizeof(*reqs));
	out = calloc((size_t)n * max + 1, sizeof(*out));
	if (reqs == NULL || out == NULL) {
		free(reqs);
		free(out);
		return lb_mgmt_error("out of memory");
	}
	for (i = 0; i < n; i++) {
		reqs[i].type = LB_DP_REQ_FLOWS;
		reqs[i].max = max;
		reqs[i].out = out + (size_t)i * max;
	}
	ans = n > 0 ? query_workers(dp, reqs) : NULL;
	if (ans != NULL)
		return ans;     /* reqs and out leaked: see the top */
	ans = flows_answer(dp, cfg, reqs, limit);
	free(out);
	free(reqs);
	return ans;
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
	unsigned long sport, dport;
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
	if (parse_uint(w[2], 0, 65535, &sport) < 0 ||
	    parse_uint(w[4], 0, 65535, &dport) < 0) {
		snprintf(err, errlen, "bad port \"%.16s\": expected 0..65535",
			 parse_uint(w[2], 0, 65535, &sport) < 0 ? w[2] : w[4]);
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

/* Ask each worker about up to LB_DP_REQ_MAX keys at once. */
static json_t *
lookup_chunk(struct lb_dp *dp, struct lookup_item **items, uint32_t n)
{
	unsigned int nw = RTE_MIN(dp->n_workers, (unsigned int)LB_MAX_WORKERS);
	struct lb_flow_key *keys = calloc(n, sizeof(*keys));
	struct lb_dp_flow_info *out = calloc((size_t)nw * n, sizeof(*out));
	struct lb_dp_request *reqs = calloc(nw, sizeof(*reqs));
	unsigned int w, j;
	json_t *err;

	if (keys == NULL || out == NULL || reqs == NULL) {
		free(keys);
		free(out);
		free(reqs);
		return lb_mgmt_error("out of memory");
	}
	for (j = 0; j < n; j++)
		keys[j] = items[j]->key;
	for (w = 0; w < nw; w++) {
		reqs[w].type = LB_DP_REQ_LOOKUP;
		reqs[w].n = n;
		reqs[w].keys = keys;
		reqs[w].out = out + (size_t)w * n;
	}
	err = query_workers(dp, reqs);
	if (err != NULL)
		return err;     /* keys, out and reqs leaked: see the top */
	for (w = 0; w < nw; w++)
		for (j = 0; j < n && j < reqs[w].n_out; j++)
			if (reqs[w].out[j].found && items[j]->worker < 0) {
				items[j]->worker = (int)w;
				items[j]->hit = reqs[w].out[j];
			}
	free(keys);
	free(out);
	free(reqs);
	return NULL;
}

static json_t *
lookup_workers(struct lb_dp *dp, struct lookup_item *items, uint32_t n)
{
	struct lookup_item **valid;
	uint32_t i, nv = 0, off;
	json_t *err = NULL;

	if (dp->n_workers == 0)
		return NULL;
	valid = calloc(n + 1, sizeof(*valid));
	if (valid == NULL)
		return lb_mgmt_error("out of memory");
	for (i = 0; i < n; i++)
		if (items[i].vip >= 0)
			valid[nv++] = &items[i];
	for (off = 0; off < nv && err == NULL; off += LB_DP_REQ_MAX)
		err = lookup_chunk(dp, valid + off,
				   RTE_MIN(nv - off, (uint32_t)LB_DP_REQ_MAX));
	free(valid);
	return err;
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
 * rule as the worker's hit path (lib/dataplane/worker.c hit_policy).
 * @return the backend's index, or -1 with @p why: it will be scheduled
 * anew by its next packet.
 */
static int
flow_stays(const struct lb_config *cfg, const struct lb_vip_conf *vip,
	   const struct lb_dp_flow_info *hit, const char **why)
{
	uint16_t b = backend_index(cfg, hit->backend);

	if (b == LB_ID_NONE) {
		*why = "its backend is no longer configured";
		return -1;
	}
	if (hit->vip != vip->id) {
		*why = "it was made for another VIP";
		return -1;
	}
	if (cfg->backends[b].state >= LB_BACKEND_DISABLED &&
	    cfg->pools[vip->pool].on_remove == LB_ON_REMOVE_RESCHEDULE) {
		*why = "its backend is disabled or removed and the pool's "
		       "on_remove is reschedule";
		return -1;
	}
	return b;
}

/* Where a new flow with this key would go: the pool's Maglev table. */
static void
set_scheduler_choice(json_t *o, const struct lb_config *cfg,
		     const struct lb_pool_conf *pool,
		     const struct lb_flow_key *key)
{
	uint16_t idx = LB_SCHED_EMPTY;

	if (pool != NULL && pool->maglev.slots != NULL && pool->maglev.size > 0)
		idx = lb_sched_maglev_pick(&pool->maglev, lb_flow_hash(key));
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
	} else {
		set_scheduler_choice(o, cfg, pool, &it->key);
		if (it->worker >= 0)
			json_object_set_new(o, "rescheduled",
					    json_string(why));
	}
	return o;
}

static json_t *
lookup_one(struct lb_mgmt_ctx *ctx, const struct lb_config *cfg,
	   const struct mgmt_req *r)
{
	struct lookup_item it = { .vip = -1, .worker = -1 };
	char err[256];
	json_t *e;
	int rc;

	rc = parse_tuple(&r->argv[1], r->argc - 1, &it, cfg, err, sizeof(err));
	if (rc == -2)
		return lb_mgmt_error("%s", err);
	if (rc < 0)
		return lb_mgmt_error("%s; usage: lookup " TUPLE_USAGE
				     " | lookup - (one tuple per following line)",
				     err);
	e = lookup_workers(ctx->dp, &it, 1);
	return e != NULL ? e : lookup_json(cfg, &it);
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
	     const struct mgmt_req *r)
{
	struct lookup_item *items;
	json_t *ans;
	int n, i;

	items = calloc(LB_MGMT_LOOKUP_MAX, sizeof(*items));
	if (items == NULL)
		return lb_mgmt_error("out of memory");
	n = parse_batch(r, cfg, items);
	if (n < 0) {
		ans = lb_mgmt_error("too many tuples: at most %d per lookup request",
				    LB_MGMT_LOOKUP_MAX);
		n = LB_MGMT_LOOKUP_MAX;
	} else {
		ans = lookup_workers(ctx->dp, items, (uint32_t)n);
	}
	if (ans == NULL) {
		ans = json_array();
		for (i = 0; i < n; i++) {
			json_array_append_new(ans, items[i].err != NULL ?
					      items[i].err :
					      lookup_json(cfg, &items[i]));
			items[i].err = NULL;
		}
	}
	for (i = 0; i < n; i++)
		json_decref(items[i].err);
	free(items);
	return ans;
}

json_t *
lb_mgmt_cmd_lookup(struct lb_mgmt_ctx *ctx, const struct mgmt_req *r)
{
	const struct lb_config *cfg = lb_mgmt_config(ctx->dp);

	if (r->argc == 2 && strcmp(r->argv[1], "-") == 0) {
		if (cfg == NULL)
			return lb_mgmt_error("no configuration loaded");
		return lookup_batch(ctx, cfg, r);
	}
	if (r->argc != 6)
		return lb_mgmt_error("usage: lookup " TUPLE_USAGE
				     " | lookup - (one tuple per following line)");
	if (cfg == NULL)
		return lb_mgmt_error("no configuration loaded");
	return lookup_one(ctx, cfg, r);
}
