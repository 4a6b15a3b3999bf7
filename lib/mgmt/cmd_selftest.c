/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * selftest: the deploy-time self-test of the running daemon's dispatch.
 *
 * Every worker draws the same synthetic tuples (from one seed, given in
 * the answer so a run can be repeated with --seed) for one VIP at a time,
 * passes each through its own new-flow choice, the very function its
 * packet path calls (lb_dp_worker_pick), and records the backend it
 * chose; no packet is sent, no flow inserted, no counter touched
 * (lb_dp_selftest). Management then checks, per worker and backend, the
 * count against the pool's table (lb_config_expected_share): a binomial
 * bound of SELFTEST_SD standard deviations, |count - N p| <=
 * SD * sqrt(N p (1 - p)), so a correct daemon fails it about once in
 * 16000 backends tested, and a backend with p = 0 (or p = 1) must get
 * exactly 0 (or N); and every worker's choice of every tuple against
 * worker 0's, exactly. VIPs are asked one after another, each a question
 * to all workers at once (workers.c), polled from the event loop like
 * flows and lookup: the management core never waits for a worker.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <rte_cycles.h>

#include "mgmt_priv.h"

#define SELFTEST_USAGE "usage: selftest [VIP] [--flows N] [--seed S]"
#define SELFTEST_DEFAULT_FLOWS 100000
/* Tuples of one command (flows times VIPs), per worker: some 0.5 s of a
 * worker's time at most, well inside SELFTEST_TIMEOUT_MS. */
#define SELFTEST_TUPLES_MAX 10000000u
/* Under the client deadline (LB_MGMT_CLIENT_TIMEOUT_MS), so the answer
 * is an error that says why rather than a closed connection. */
#define SELFTEST_TIMEOUT_MS 4000
#define SELFTEST_SD 4.0
/* Seeds are below this: a JSON integer, and --seed's 18 digits. */
#define SELFTEST_SEED_MAX UINT64_C(999999999999999999)
/* Disagreeing tuples listed per worker (all are counted). */
#define SELFTEST_EXAMPLES 5

struct selftest_pending {
	struct lb_mgmt_pending p;           /* first: the server holds this */
	struct lb_mgmt_ctx *ctx;
	uint64_t generation;                /* every round must run on it */
	uint64_t seed;
	uint32_t flows;
	uint64_t start_ms, deadline_ms;
	uint32_t n_vips, next;              /* vips[next] is being asked */
	uint32_t *vips;                     /* indexes in that generation */
	char vip_name[LB_NAME_MAX];         /* of vips[next], for errors */
	struct mgmt_wq q;
	json_t *err;
	json_t *results;                    /* one object per VIP done */
	json_t *failures;                   /* strings */
};

/* The name of backend identity @p id, for answers and failures. */
static const char *
id_name(const struct lb_config *cfg, uint16_t id, char *buf, size_t n)
{
	uint16_t b = id < LB_MAX_BACKENDS ? cfg->backend_index[id] :
					    LB_ID_NONE;

	if (id == LB_ID_NONE)
		return "(none)";
	if (b != LB_ID_NONE)
		return cfg->backends[b].name;
	snprintf(buf, n, "(identity %u)", id);
	return buf;
}

/* What a pool's table promises: the share of each member, by backend
 * identity, and of no backend at all (an empty table). */
struct expect {
	double p[LB_MAX_BACKENDS + 1];      /* [LB_MAX_BACKENDS]: none */
	uint8_t listed[LB_MAX_BACKENDS + 1];
};

static void
expect_fill(struct expect *e, const struct lb_config *cfg,
	    const struct lb_pool_conf *pool)
{
	uint64_t slots = 0;
	uint32_t j, b;
	uint16_t id;

	memset(e, 0, sizeof(*e));
	for (j = 0; j < pool->n_members; j++) {
		b = pool->members[j];
		id = cfg->backends[b].id;
		if (id >= LB_MAX_BACKENDS)
			continue;
		e->p[id] = lb_config_expected_share(cfg, b);
		e->listed[id] = 1;
		slots += pool->member_slots != NULL ? pool->member_slots[j] : 0;
	}
	if (pool->maglev.size > 0 && slots < pool->maglev.size) {
		e->p[LB_MAX_BACKENDS] = (double)(pool->maglev.size - slots) /
					pool->maglev.size;
		e->listed[LB_MAX_BACKENDS] = 1;
	}
}

/* The binomial bound on a count of @p n draws with probability @p p. */
static double
bound_of(uint32_t n, double p)
{
	return SELFTEST_SD * sqrt((double)n * p * (1.0 - p));
}

static int
count_ok(uint32_t count, uint32_t n, double p)
{
	return fabs((double)count - n * p) <= bound_of(n, p);
}

/* One worker's count for identity @p id (LB_MAX_BACKENDS: none), checked
 * against @p p; a failure is added to s->failures. */
static json_t *
backend_row(struct selftest_pending *s, const struct lb_config *cfg,
	    const char *vip, unsigned int worker, uint32_t id, uint32_t count,
	    double p)
{
	uint32_t n = s->flows;
	double sd = sqrt((double)n * p * (1.0 - p));
	int ok = count_ok(count, n, p);
	char buf[32];
	const char *name = id_name(cfg, id == LB_MAX_BACKENDS ? LB_ID_NONE :
				   (uint16_t)id, buf, sizeof(buf));

	if (!ok)
		json_array_append_new(s->failures, json_sprintf(
			"VIP %s: worker %u: backend %s got %u of %u new flows (%.2f%%), expected %.2f%% (%.0f +- %.0f, %.0f sd)",
			vip, worker, name, count, n, 100.0 * count / n,
			100.0 * p, n * p, bound_of(n, p), SELFTEST_SD));
	return json_pack("{s:o, s:o, s:I, s:f, s:f, s:f, s:f, s:o, s:b}",
		"backend", id == LB_MAX_BACKENDS ? json_null() :
			   lb_mgmt_str(name),
		"backend_id", id == LB_MAX_BACKENDS ? json_null() :
			      json_integer(id),
		"count", (json_int_t)count,
		"share", (double)count / n,
		"expected_share", p,
		"expected_count", n * p,
		"bound", bound_of(n, p),
		"deviation_sd", sd > 0 ? json_real(((double)count - n * p) / sd) :
				json_null(),
		"passed", ok);
}

/* Every backend worker @p w was expected to use or did use. */
static json_t *
backend_rows(struct selftest_pending *s, const struct lb_config *cfg,
	     const char *vip, unsigned int w, const struct expect *e,
	     const struct lb_dp_selftest *st, int *ok)
{
	json_t *rows = json_array();
	uint32_t id;
	size_t before = json_array_size(s->failures);

	for (id = 0; id <= LB_MAX_BACKENDS; id++)
		if (e->listed[id] || st->count[id] != 0)
			json_array_append_new(rows, backend_row(s, cfg, vip, w,
				id, st->count[id], e->p[id]));
	if (json_array_size(s->failures) != before)
		*ok = 0;
	return rows;
}

/* "tcp 1.2.3.4:5 -> 10.0.0.1:80" for tuple @p i. */
static json_t *
tuple_json(const struct selftest_pending *s, const struct lb_vip_conf *v,
	   uint32_t i)
{
	char src[INET_ADDRSTRLEN], dst[INET_ADDRSTRLEN], pb[8];
	struct lb_flow_key k;

	lb_dp_selftest_tuple(s->seed, i, v, &k);
	inet_ntop(AF_INET, &k.src_addr, src, sizeof(src));
	inet_ntop(AF_INET, &k.dst_addr, dst, sizeof(dst));
	return json_sprintf("%s %s %u %s %u",
			    lb_mgmt_proto_name(k.proto, pb, sizeof(pb)), src,
			    ntohs(k.src_port), dst, ntohs(k.dst_port));
}

/* Tuples worker @p w chose differently from worker 0: all counted, the
 * first few shown (as `lookup` takes them). @return how many. */
static uint32_t
disagreements(const struct selftest_pending *s, const struct lb_config *cfg,
	      const struct lb_vip_conf *v, unsigned int w, json_t *examples)
{
	const uint16_t *c0 = s->q.req[0]->selftest->choice;
	const uint16_t *cw = s->q.req[w]->selftest->choice;
	char b0[32], bw[32];
	uint32_t i, n = 0;

	for (i = 0; i < s->flows; i++) {
		if (c0[i] == cw[i])
			continue;
		if (n++ < SELFTEST_EXAMPLES)
			json_array_append_new(examples, json_pack(
				"{s:I, s:o, s:s, s:s}", "index", (json_int_t)i,
				"tuple", tuple_json(s, v, i),
				"worker_0", id_name(cfg, c0[i], b0, sizeof(b0)),
				"this_worker", id_name(cfg, cw[i], bw,
						       sizeof(bw))));
	}
	return n;
}

static json_t *
worker_result(struct selftest_pending *s, const struct lb_config *cfg,
	      const struct lb_vip_conf *v, unsigned int w,
	      const struct expect *e, int *vip_ok)
{
	const struct lb_dp_selftest *st = s->q.req[w]->selftest;
	json_t *examples = json_array(), *rows;
	uint32_t dis = 0;
	int ok = 1;

	rows = backend_rows(s, cfg, v->name, w, e, st, &ok);
	if (w > 0)
		dis = disagreements(s, cfg, v, w, examples);
	if (dis > 0) {
		ok = 0;
		json_array_append_new(s->failures, json_sprintf(
			"VIP %s: worker %u chose another backend than worker 0 for %u of %u tuples",
			v->name, w, dis, s->flows));
	}
	*vip_ok &= ok;
	return json_pack("{s:i, s:I, s:b, s:I, s:o, s:o}",
		"worker", (int)w, "flows", (json_int_t)st->done,
		"passed", ok, "disagreements", (json_int_t)dis,
		"disagreement_examples", examples, "backends", rows);
}

/* The answers of every worker for VIP @p vi, checked, as one object. */
static json_t *
vip_result(struct selftest_pending *s, const struct lb_config *cfg,
	   uint32_t vi)
{
	const struct lb_vip_conf *v = &cfg->vips[vi];
	const struct lb_pool_conf *pool = &cfg->pools[v->pool];
	struct expect *e = malloc(sizeof(*e));
	json_t *workers = json_array();
	unsigned int w;
	int ok = 1;

	if (e == NULL)
		return NULL;
	expect_fill(e, cfg, pool);
	for (w = 0; w < s->q.n; w++)
		json_array_append_new(workers,
				      worker_result(s, cfg, v, w, e, &ok));
	free(e);
	return json_pack("{s:o, s:o, s:b, s:o}", "vip", lb_mgmt_str(v->name),
			 "pool", lb_mgmt_str(pool->name), "passed", ok,
			 "workers", workers);
}

/* Ask every worker about vips[next]. */
static void
selftest_round(struct selftest_pending *s)
{
	struct lb_dp_selftest st = {
		.seed = s->seed, .generation = s->generation,
		.vip = s->vips[s->next], .flows = s->flows,
	};
	struct lb_dp_request proto = {
		.type = LB_DP_REQ_SELFTEST, .selftest = &st,
	};
	const struct lb_config *cfg = lb_mgmt_config(s->ctx->dp);
	int rc;

	/* Asked only on the generation the command started on (polls
	 * check it before each round's answer is read). */
	snprintf(s->vip_name, sizeof(s->vip_name), "%s",
		 cfg->vips[s->vips[s->next]].name);
	rc = mgmt_wq_submit(&s->q, s->ctx->dp, 0, s->ctx->dp->n_workers,
			    &proto, s->deadline_ms);
	if (rc != 0)
		s->err = rc == -ENOMEM ? lb_mgmt_error("out of memory") :
			 lb_mgmt_error("cannot query the workers: %s",
				       strerror(-rc));
}

/* The round's answers, if they are for the generation asked. */
static const struct lb_config *
round_config(struct selftest_pending *s)
{
	const struct lb_config *cfg = lb_mgmt_config(s->ctx->dp);
	unsigned int w;
	int stale = cfg == NULL ||
		    lb_dp_snapshot(s->ctx->dp)->generation != s->generation;

	for (w = 0; w < s->q.n; w++)
		stale |= s->q.req[w]->selftest->stale != 0;
	if (!stale)
		return cfg;
	s->err = lb_mgmt_error("the configuration changed during the self-test (it started on generation %llu); run it again",
			       (unsigned long long)s->generation);
	return NULL;
}

/* A round that did not end well: why. */
static json_t *
round_error(const struct selftest_pending *s, uint64_t now_ms)
{
	json_t *err = mgmt_wq_error(&s->q);

	if (err == NULL || now_ms < s->deadline_ms || s->q.rc != 0)
		return err;
	json_decref(err);
	return lb_mgmt_error("the workers did not finish the self-test of VIP %s within %d ms (%u flows each); try fewer flows or one VIP",
			     s->vip_name, SELFTEST_TIMEOUT_MS, s->flows);
}

static int
selftest_poll(struct lb_mgmt_pending *p, uint64_t now_ms)
{
	struct selftest_pending *s = container_of(p, struct selftest_pending,
						  p);
	const struct lb_config *cfg;
	json_t *r;

	if (s->err != NULL)
		return 1;
	if (!mgmt_wq_poll(&s->q, now_ms))
		return 0;
	s->err = round_error(s, now_ms);
	if (s->err != NULL)
		return 1;
	cfg = round_config(s);
	if (cfg == NULL)
		return 1;
	r = vip_result(s, cfg, s->vips[s->next]);
	if (r == NULL) {
		s->err = lb_mgmt_error("out of memory");
		return 1;
	}
	json_array_append_new(s->results, r);
	mgmt_wq_release(&s->q);
	if (++s->next == s->n_vips)
		return 1;
	selftest_round(s);
	return s->err != NULL;
}

static void
selftest_free(struct selftest_pending *s)
{
	mgmt_wq_release(&s->q);
	json_decref(s->results);
	json_decref(s->failures);
	free(s->vips);
	free(s);
}

static json_t *
selftest_answer(struct selftest_pending *s)
{
	int ok = json_array_size(s->failures) == 0;

	return json_pack("{s:s, s:b, s:I, s:I, s:i, s:I, s:f, s:I, s:O, s:O}",
		"result", ok ? "passed" : "failed", "passed", ok,
		"seed", (json_int_t)s->seed, "flows", (json_int_t)s->flows,
		"workers", (int)s->ctx->dp->n_workers,
		"generation", (json_int_t)s->generation, "sd", SELFTEST_SD,
		"elapsed_ms", (json_int_t)(lb_mgmt_now_ms() - s->start_ms),
		"vips", s->results, "failures", s->failures);
}

static json_t *
selftest_finish(struct lb_mgmt_pending *p)
{
	struct selftest_pending *s = container_of(p, struct selftest_pending,
						  p);
	json_t *ans = s->err;

	if (ans == NULL)
		ans = selftest_answer(s);
	selftest_free(s);
	return ans != NULL ? ans : lb_mgmt_error("out of memory");
}

static void
selftest_abandon(struct lb_mgmt_pending *p)
{
	struct selftest_pending *s = container_of(p, struct selftest_pending,
						  p);

	json_decref(s->err);
	selftest_free(s);
}

static const struct mgmt_pending_ops selftest_ops = {
	.poll = selftest_poll,
	.finish = selftest_finish,
	.abandon = selftest_abandon,
};

/* A seed nobody chose: the answer gives it, --seed repeats it. */
static uint64_t
random_seed(void)
{
	uint64_t v;

	if (getrandom(&v, sizeof(v), GRND_NONBLOCK) != (ssize_t)sizeof(v))
		v = rte_rdtsc() * UINT64_C(0x9e3779b97f4a7c15);
	return v % (SELFTEST_SEED_MAX + 1);
}

/* [VIP] [--flows N] [--seed S], in any order, each at most once. */
static json_t *
selftest_args(const struct mgmt_req *r, const char **vip, uint64_t *flows,
	      uint64_t *seed)
{
	int seen_flows = 0, seen_seed = 0;
	unsigned int i;

	for (i = 1; i < r->argc; i++) {
		const char *a = r->argv[i];

		if (strncmp(a, "--", 2) != 0 && *vip == NULL) {
			*vip = a;
			continue;
		}
		if (i + 1 >= r->argc)
			return lb_mgmt_error(SELFTEST_USAGE);
		if (strcmp(a, "--flows") == 0 && !seen_flows++) {
			if (lb_mgmt_parse_uint(r->argv[++i], 1,
					       LB_DP_SELFTEST_MAX, flows) < 0)
				return lb_mgmt_error("bad --flows \"%.32s\": expected 1..%u synthetic flows per VIP and worker; "
						     SELFTEST_USAGE, r->argv[i],
						     LB_DP_SELFTEST_MAX);
		} else if (strcmp(a, "--seed") == 0 && !seen_seed++) {
			if (lb_mgmt_parse_uint(r->argv[++i], 0,
					       SELFTEST_SEED_MAX, seed) < 0)
				return lb_mgmt_error("bad --seed \"%.32s\": expected 0..%llu (an answer's seed); "
						     SELFTEST_USAGE, r->argv[i],
						     (unsigned long long)SELFTEST_SEED_MAX);
		} else {
			return lb_mgmt_error(SELFTEST_USAGE);
		}
	}
	return NULL;
}

/* The VIPs to test: the one named, or all. NULL, or the error. */
static json_t *
selftest_vips(struct selftest_pending *s, const struct lb_config *cfg,
	      const char *name)
{
	uint32_t i;

	s->vips = calloc(cfg->n_vips + 1, sizeof(*s->vips));
	if (s->vips == NULL)
		return lb_mgmt_error("out of memory");
	for (i = 0; i < cfg->n_vips; i++)
		if (name == NULL || strcmp(cfg->vips[i].name, name) == 0)
			s->vips[s->n_vips++] = i;
	if (name != NULL && s->n_vips == 0)
		return lb_mgmt_error("no VIP named \"%.64s\" (\"vips\" lists them)",
				     name);
	if (s->n_vips == 0)
		return lb_mgmt_error("no VIP configured: nothing to test");
	if ((uint64_t)s->n_vips * s->flows > SELFTEST_TUPLES_MAX)
		return lb_mgmt_error("%u VIPs of %u flows each is more than %u tuples per worker: name one VIP, or --flows %u or fewer",
				     s->n_vips, s->flows, SELFTEST_TUPLES_MAX,
				     SELFTEST_TUPLES_MAX / s->n_vips);
	return NULL;
}

json_t *
lb_mgmt_cmd_selftest(struct lb_mgmt_ctx *ctx, const struct mgmt_req *r,
		     struct lb_mgmt_pending **later)
{
	const struct lb_config *cfg = lb_mgmt_config(ctx->dp);
	uint64_t flows = SELFTEST_DEFAULT_FLOWS, seed = random_seed();
	struct selftest_pending *s;
	const char *vip = NULL;
	json_t *err;

	err = selftest_args(r, &vip, &flows, &seed);
	if (err != NULL)
		return err;
	if (cfg == NULL)
		return lb_mgmt_error("no configuration loaded");
	if (ctx->dp->n_workers == 0)
		return lb_mgmt_error("no workers: nothing to test");
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return lb_mgmt_error("out of memory");
	s->p.ops = &selftest_ops;
	s->ctx = ctx;
	s->generation = lb_dp_snapshot(ctx->dp)->generation;
	s->seed = seed;
	s->flows = (uint32_t)flows;
	s->start_ms = lb_mgmt_now_ms();
	s->deadline_ms = s->start_ms + SELFTEST_TIMEOUT_MS;
	s->results = json_array();
	s->failures = json_array();
	err = selftest_vips(s, cfg, vip);
	if (err == NULL && (s->results == NULL || s->failures == NULL))
		err = lb_mgmt_error("out of memory");
	if (err == NULL)
		selftest_round(s);
	if (err != NULL || s->err != NULL) {
		if (err == NULL) {
			err = s->err;
			s->err = NULL;
		}
		selftest_free(s);
		return err;
	}
	*later = &s->p;
	return NULL;
}

#ifdef LB_TEST_FAULTS
#define FAULT_USAGE "usage: fault selftest-skew WORKER BACKEND | fault clear"

/* Test builds only: make one worker's new-flow choice differ. */
json_t *
lb_mgmt_cmd_fault(struct lb_mgmt_ctx *ctx, const struct mgmt_req *r)
{
	const struct lb_config *cfg = lb_mgmt_config(ctx->dp);
	uint64_t w;
	int b;
	unsigned int i;

	if (r->argc == 2 && strcmp(r->argv[1], "clear") == 0) {
		for (i = 0; i < ctx->dp->n_workers; i++)
			lb_dp_fault_selftest_skew(ctx->dp, i, LB_ID_NONE);
		return json_pack("{s:s}", "fault", "none");
	}
	if (r->argc != 4 || strcmp(r->argv[1], "selftest-skew") != 0)
		return lb_mgmt_error(FAULT_USAGE);
	if (lb_mgmt_parse_uint(r->argv[2], 0, LB_MAX_WORKERS - 1, &w) < 0 ||
	    w >= ctx->dp->n_workers)
		return lb_mgmt_error("no worker \"%.16s\"; " FAULT_USAGE,
				     r->argv[2]);
	for (b = 0; cfg != NULL && (uint32_t)b < cfg->n_backends; b++)
		if (strcmp(cfg->backends[b].name, r->argv[3]) == 0)
			break;
	if (cfg == NULL || (uint32_t)b == cfg->n_backends)
		return lb_mgmt_error("no backend named \"%.64s\"", r->argv[3]);
	lb_dp_fault_selftest_skew(ctx->dp, (unsigned int)w,
				  cfg->backends[b].id);
	MGMT_LOG(WARNING, "test fault: worker %u sends a quarter of its new flows to %s",
		 (unsigned int)w, cfg->backends[b].name);
	return json_pack("{s:s, s:i, s:s}", "fault", "selftest-skew",
			 "worker", (int)w, "backend", cfg->backends[b].name);
}
#endif
