/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The command table: split a request into words, dispatch, and the
 * commands that only read the configuration (help, status).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <grp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mgmt_priv.h"

/*
 * The command table. `mutates`: CMD_CHANGES if the command changes what
 * edgelbd runs, so dispatch lets only an admin peer run it and makes sure
 * the attempt is recorded in the audit history, whatever the outcome;
 * CMD_FORCE too if it takes --force (anywhere after its name: apply the
 * change even if the policy refuses it; recorded with what it overrode).
 */
#define CMD_CHANGES 1
#define CMD_FORCE 2

struct mgmt_cmd {
	const char *name;
	int mutates;
	const char *usage;
	const char *summary;
	/* One of the two: answer now, or possibly later. */
	json_t *(*fn)(struct lb_mgmt_ctx *ctx, const struct mgmt_req *r);
	json_t *(*start)(struct lb_mgmt_ctx *ctx, const struct mgmt_req *r,
			 struct lb_mgmt_pending **later);
};

static json_t *cmd_help(struct lb_mgmt_ctx *ctx, const struct mgmt_req *r);
static json_t *cmd_status(struct lb_mgmt_ctx *ctx, const struct mgmt_req *r);

static const struct mgmt_cmd commands[] = {
	{ "help", 0, "help", "list the commands", cmd_help },
	{ "version", 0, "version", "edgelbd's and DPDK's versions",
	  lb_mgmt_cmd_version },
	{ "status", 0, "status",
	  "version, configuration generation (when, by whom), whether it "
	  "differs from the file, workers, ports, neighbours, audit log",
	  cmd_status },
	{ "stats", 0, "stats [--per-core [--reset-max]]",
	  "counters summed over workers, or one row per worker; "
	  "--reset-max (root or admin_group) starts the workers' loop "
	  "maxima over once answered",
	  lb_mgmt_cmd_stats },
	{ "vips", 0, "vips", "every VIP: identity, address, pool, on_remove",
	  lb_mgmt_cmd_vips },
	{ "backends", 0, "backends [VIP]",
	  "every backend (of one VIP): identity, weight, state and why, "
	  "expected and observed share, flows, counters",
	  lb_mgmt_cmd_backends },
	{ "health", 0, "health [BACKEND]",
	  "health checks: every checked backend's health, last result, "
	  "latency and since when, and the checker's figures; or one "
	  "backend's settings and its last 32 results",
	  lb_mgmt_cmd_health },
	{ "alerts", 0, "alerts",
	  "the distribution watch's alerts (pending, firing, resolved in "
	  "the last 10 minutes): rule, VIP, pool, backend, observed vs "
	  "expected vs intended share, sample size, the last change of the "
	  "pool", lb_mgmt_cmd_alerts },
	{ "flows", 0, "flows [--limit N] [--after CURSOR]",
	  "flows held by the workers, a page at a time (N 1..1000, default "
	  "100); the answer's next is the CURSOR of the next page",
	  NULL, lb_mgmt_cmd_flows },
	{ "lookup", 0,
	  "lookup PROTO SRC_IP SRC_PORT DST_IP DST_PORT | lookup -",
	  "which backend a connection goes to and why; with -, one tuple "
	  "per following line (at most 1000)",
	  NULL, lb_mgmt_cmd_lookup },
	{ "selftest", 0, "selftest [VIP] [--flows N] [--seed S]",
	  "push N synthetic flows (default 100000, at most 1000000) per VIP "
	  "through every worker's own dispatch, without a packet or a flow, "
	  "and check the backends chosen against the expected shares "
	  "(4 binomial sd) and against worker 0's choices; failed if not",
	  NULL, lb_mgmt_cmd_selftest },
	{ "config", 0, "config",
	  "the running configuration as an INI file, runtime changes included",
	  lb_mgmt_cmd_config },
	{ "check", 0, "check FILE",
	  "FILE's tables as a reload would build them now (health, slow "
	  "starts): per VIP and backend the weight, expected share, "
	  "max_share, worst share with one other backend down and the share "
	  "now, then every policy finding against the running configuration; "
	  "nothing is applied",
	  lb_mgmt_cmd_check },
	{ "diff", 0, "diff FILE",
	  "what a reload of FILE would change, without applying anything: "
	  "keys, backends, every share before and after, pool fingerprints, "
	  "and the policy findings that would refuse it",
	  lb_mgmt_cmd_diff },
	{ "history", 0, "history [N]",
	  "the last N (default 20) changes and refused changes",
	  lb_mgmt_cmd_history },
	{ "reload", CMD_CHANGES | CMD_FORCE, "reload [FILE] [--force]",
	  "read the configuration file again (or FILE) and apply it as one "
	  "swap; drops runtime changes made since the last reload. Every "
	  "change passes the policy: a violation refuses it unless --force",
	  lb_mgmt_cmd_reload },
	{ "apply", CMD_CHANGES | CMD_FORCE,
	  "apply FILE [--confirm-within SECONDS] [--force]",
	  "reload FILE; with --confirm-within (1..86400), roll back to the "
	  "generation that ran before unless \"confirm\" comes in time "
	  "(one at a time; other changes are refused meanwhile)",
	  lb_mgmt_cmd_apply },
	{ "confirm", CMD_CHANGES, "confirm",
	  "keep the generation applied with --confirm-within",
	  lb_mgmt_cmd_confirm },
	{ "weight", CMD_CHANGES | CMD_FORCE, "weight BACKEND N [--force]",
	  "set a backend's weight (0..65535) for new flows",
	  lb_mgmt_cmd_weight },
	{ "drain", CMD_CHANGES | CMD_FORCE, "drain BACKEND [--force]",
	  "no new flows to BACKEND; its established flows stay",
	  lb_mgmt_cmd_admin_state },
	{ "disable", CMD_CHANGES | CMD_FORCE, "disable BACKEND [--force]",
	  "no new flows to BACKEND; established flows follow the pool's "
	  "on_remove", lb_mgmt_cmd_admin_state },
	{ "enable", CMD_CHANGES | CMD_FORCE, "enable BACKEND [--force]",
	  "undo drain or disable", lb_mgmt_cmd_admin_state },
	/* Two words: matched before "bgp" alone (see cmd_matches). */
	{ "bgp withdraw", CMD_CHANGES, "bgp withdraw",
	  "withdraw every VIP from the BGP neighbours (maintenance); this "
	  "box keeps forwarding what still reaches it", lb_mgmt_cmd_bgp_hold },
	{ "bgp announce", CMD_CHANGES, "bgp announce",
	  "end a bgp withdraw: announce again each VIP that can serve",
	  lb_mgmt_cmd_bgp_hold },
	{ "bgp", 0, "bgp", "BGP (BIRD 2): sessions, announced prefixes and "
	  "why others are not", lb_mgmt_cmd_bgp },
	{ "rollback", CMD_CHANGES | CMD_FORCE,
	  "rollback [GENERATION] [--force]",
	  "apply the configuration of an earlier generation (default: the "
	  "one before; while an apply awaits confirmation, the one before "
	  "it) as a new generation", lb_mgmt_cmd_rollback },
#ifdef LB_TEST_FAULTS
	{ "fault", CMD_CHANGES, "fault selftest-skew WORKER BACKEND | fault clear",
	  "TEST BUILD ONLY (-Dtest_faults=true): WORKER sends a quarter of "
	  "its new flows to BACKEND, as if its table differed",
	  lb_mgmt_cmd_fault },
#endif
};

void
lb_mgmt_sanitize(char *out, size_t n, const char *in, size_t len)
{
	size_t i;

	if (n == 0)
		return;
	for (i = 0; i < len && i + 1 < n; i++) {
		unsigned char c = (unsigned char)in[i];

		out[i] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	out[i] = '\0';
}

json_t *
lb_mgmt_error(const char *fmt, ...)
{
	char raw[512], msg[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	/* Messages quote the client's words, which may be any bytes. */
	lb_mgmt_sanitize(msg, sizeof(msg), raw,
			 RTE_MIN((size_t)n, sizeof(raw) - 1));
	/* The same shape as a configuration's many errors. */
	return json_pack("{s:s, s:[s]}", "error", msg, "errors", msg);
}

json_t *
lb_mgmt_str(const char *s)
{
	json_t *j = json_string(s);
	char buf[LB_DEVICE_MAX];

	/* Names come from a file: never let one bad byte lose the answer. */
	if (j == NULL && s != NULL) {
		lb_mgmt_sanitize(buf, sizeof(buf), s, strlen(s));
		j = json_string(buf);
	}
	return j;
}

json_t *
lb_mgmt_ipv4(uint32_t addr)
{
	char buf[INET_ADDRSTRLEN];
	struct in_addr a = { .s_addr = addr };

	if (inet_ntop(AF_INET, &a, buf, sizeof(buf)) == NULL)
		return json_null();
	return json_string(buf);
}

const char *
lb_mgmt_proto_name(uint8_t proto, char *buf, size_t n)
{
	if (proto == IPPROTO_TCP)
		return "tcp";
	if (proto == IPPROTO_UDP)
		return "udp";
	snprintf(buf, n, "%u", proto);
	return buf;
}

const struct lb_config *
lb_mgmt_config(const struct lb_dp *dp)
{
	const struct lb_snapshot *snap = lb_dp_snapshot(dp);

	return snap != NULL ? snap->cfg : NULL;
}

struct lb_worker_stats *
lb_mgmt_stats_sum(const struct lb_dp *dp)
{
	const struct lb_worker_stats *ws[LB_MAX_WORKERS];
	struct lb_worker_stats *sum;
	unsigned int i, n = RTE_MIN(dp->n_workers, (unsigned int)LB_MAX_WORKERS);

	/* Too large for the stack of a management callback. */
	sum = aligned_alloc(RTE_CACHE_LINE_SIZE, sizeof(*sum));
	if (sum == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		ws[i] = &dp->workers[i]->stats;
	lb_stats_sum(sum, ws, n);
	return sum;
}

int
lb_mgmt_backend_resolved(const struct lb_dp *dp, const struct lb_config *cfg,
			 uint32_t b)
{
	const struct lb_neigh_table *nt;
	uint32_t ni;

	nt = lb_dp_snapshot(dp)->neigh;
	if (nt == NULL || b >= cfg->n_backends)
		return 0;
	ni = cfg->backends[b].neigh;
	return ni < nt->n && nt->e[ni].valid;
}

static json_t *
cmd_help(struct lb_mgmt_ctx *ctx, const struct mgmt_req *r)
{
	json_t *list = json_array();
	size_t i;

	RTE_SET_USED(ctx);
	RTE_SET_USED(r);
	for (i = 0; i < RTE_DIM(commands); i++)
		json_array_append_new(list, json_pack("{s:s, s:b, s:s, s:s}",
			"name", commands[i].name,
			"changes_state", commands[i].mutates != 0,
			"usage", commands[i].usage,
			"summary", commands[i].summary));
	return json_pack("{s:o}", "commands", list);
}

static json_t *
mac_json(const struct rte_ether_addr *m)
{
	char buf[RTE_ETHER_ADDR_FMT_SIZE];
	const uint8_t *b = m->addr_bytes;

	snprintf(buf, sizeof(buf), "%02x:%02x:%02x:%02x:%02x:%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5]);
	return json_string(buf);
}

/* The port's kernel interface as it exists (null, null without one). */
static void
kernel_if_set(json_t *o, const struct lb_excpath *xp, unsigned int i)
{
	const char *name = lb_excpath_ifname(xp, i);

	json_object_set_new(o, "kernel_interface",
			    name != NULL ? lb_mgmt_str(name) : json_null());
	json_object_set_new(o, "kernel_ifindex", name != NULL ?
			    json_integer(lb_excpath_ifindex(xp, i)) :
			    json_null());
}

static json_t *
port_json(const struct lb_mgmt_ctx *ctx, const struct lb_port_conf *pc,
	  unsigned int i)
{
	const struct lb_dp *dp = ctx->dp;
	json_t *o;
	char addr[INET_ADDRSTRLEN + 4];
	struct in_addr a = { .s_addr = pc->addr };
	char dotted[INET_ADDRSTRLEN] = "?";
	int known = i < dp->n_ports && i < LB_MAX_PORTS;

	inet_ntop(AF_INET, &a, dotted, sizeof(dotted));
	snprintf(addr, sizeof(addr), "%s/%u", dotted, pc->prefix_len);
	o = json_pack("{s:o, s:o, s:o, s:o, s:s, s:o}",
		"name", lb_mgmt_str(pc->name),
		"device", lb_mgmt_str(pc->device),
		"port_id", known ? json_integer(dp->ports[i].port_id) :
				   json_null(),
		"mac", known ? mac_json(&dp->ports[i].mac) : json_null(),
		"address", addr,
		"gateway", pc->gateway ? lb_mgmt_ipv4(pc->gateway) :
					 json_null());
	if (o != NULL)
		kernel_if_set(o, ctx->xp, i);
	return o;
}

static json_t *
neighbours_json(const struct lb_dp *dp, const struct lb_config *cfg)
{
	const struct lb_neigh_table *nt;
	json_t *list = json_array();
	uint32_t i;

	nt = lb_dp_snapshot(dp)->neigh;
	for (i = 0; i < cfg->n_neighs; i++) {
		const struct lb_neigh_conf *nc = &cfg->neighs[i];
		int valid = nt != NULL && i < nt->n && nt->e[i].valid;

		json_array_append_new(list, json_pack("{s:o, s:o, s:o, s:b}",
			"address", lb_mgmt_ipv4(nc->addr),
			"port", nc->port < cfg->n_ports ?
				lb_mgmt_str(cfg->ports[nc->port].name) :
				json_null(),
			"mac", valid ? mac_json(&nt->e[i].mac) : json_null(),
			"resolved", valid));
	}
	return list;
}

/* Each pool's live table: its size, members and fingerprint (the same on
 * every box whose table is the same: compare them across a fleet). */
static json_t *
pools_json(const struct lb_config *cfg)
{
	json_t *list = json_array();
	char fp[20];
	uint32_t i;

	for (i = 0; list != NULL && i < cfg->n_pools; i++)
		json_array_append_new(list, json_pack("{s:o, s:I, s:I, s:s}",
			"name", lb_mgmt_str(cfg->pools[i].name),
			"table_size", (json_int_t)cfg->pools[i].table_size,
			"members", (json_int_t)cfg->pools[i].n_members,
			"fingerprint", lb_config_fingerprint_hex(cfg, i, fp,
								 sizeof(fp))));
	return list;
}

static json_t *
cmd_status(struct lb_mgmt_ctx *ctx, const struct mgmt_req *r)
{
	const struct lb_dp *dp = ctx->dp;
	const struct lb_config *cfg = lb_mgmt_config(dp);
	json_t *workers, *ports, *ans;
	time_t now = time(NULL);
	unsigned int i;

	if (r->argc != 1)
		return lb_mgmt_error("usage: status");
	if (cfg == NULL)
		return lb_mgmt_error("no configuration loaded");
	workers = json_array();
	for (i = 0; i < dp->n_workers && i < LB_MAX_WORKERS; i++)
		json_array_append_new(workers,
				      json_integer(dp->workers[i]->lcore));
	ports = json_array();
	for (i = 0; i < cfg->n_ports; i++)
		json_array_append_new(ports, port_json(ctx, &cfg->ports[i], i));
	ans = json_pack("{s:s, s:I, s:I, s:o, s:I, s:o, s:o, s:I, s:I, s:o}",
		"version", ctx->version != NULL ? ctx->version : "unknown",
		"pid", (json_int_t)getpid(),
		"uptime_s", (json_int_t)(now > ctx->start_time ?
					 now - ctx->start_time : 0),
		"config", lb_mgmt_str(cfg->path),
		"generation", (json_int_t)lb_dp_snapshot(dp)->generation,
		"workers", workers, "ports", ports,
		"vips", (json_int_t)cfg->n_vips,
		"backends", (json_int_t)cfg->n_backends,
		"neighbours", neighbours_json(dp, cfg));
	if (ans != NULL)
		json_object_set_new(ans, "pools", pools_json(cfg));
	/* When and by whom the generation was made, file drift, audit. */
	if (ans != NULL && ctx->rt != NULL)
		json_object_update_missing_new(ans,
					       lb_runtime_status(ctx->rt));
	return ans;
}

/* Split the first line into words; the rest of the request is the body. */
static json_t *
parse_request(const char *req, size_t len, char *line, struct mgmt_req *r)
{
	const char *nl = memchr(req, '\n', len);
	size_t line_len = nl != NULL ? (size_t)(nl - req) : len;
	char *save = NULL, *tok;

	memcpy(line, req, line_len);
	line[line_len] = '\0';
	r->body = nl != NULL ? nl + 1 : req + len;
	r->body_len = len - (size_t)(r->body - req);
	r->argc = 0;
	for (tok = strtok_r(line, " \t\r\v\f", &save); tok != NULL;
	     tok = strtok_r(NULL, " \t\r\v\f", &save)) {
		if (r->argc == MGMT_MAX_ARGS)
			return lb_mgmt_error("too many words on the command line (at most %d)",
					     MGMT_MAX_ARGS);
		r->argv[r->argc++] = tok;
	}
	if (r->argc == 0)
		return lb_mgmt_error("empty request; try \"help\"");
	return NULL;
}

/* uid 0, or a member of global.admin_group (supplementary groups too). */
int
lb_mgmt_peer_is_admin(const struct lb_mgmt_ctx *ctx,
		      const struct lb_mgmt_peer *p)
{
	const struct lb_config *cfg = lb_mgmt_config(ctx->dp);
	struct group gr, *res = NULL;
	char buf[4096];

	if (p == NULL || p->uid == 0)
		return 1;
	if (cfg == NULL || cfg->global.admin_group[0] == '\0' ||
	    getgrnam_r(cfg->global.admin_group, &gr, buf, sizeof(buf),
		       &res) != 0 || res == NULL)
		return 0;
	return lb_mgmt_peer_in_group(p, gr.gr_gid);
}

int
lb_mgmt_peer_in_group(const struct lb_mgmt_peer *p, gid_t gid)
{
	unsigned int i;

	if (p->gid == gid)
		return 1;
	for (i = 0; i < p->n_groups; i++)
		if (p->groups[i] == gid)
			return 1;
	return 0;
}

int
lb_mgmt_parse_uint(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
	uint64_t v = 0;
	const char *p;

	/* 18 digits cannot wrap a uint64_t */
	if (*s == '\0' || strlen(s) > 18)
		return -1;
	for (p = s; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

static void
actor_of(const struct lb_mgmt_peer *p, struct lb_actor *a)
{
	memset(a, 0, sizeof(*a));
	a->kind = LB_ACTOR_PEER;
	if (p == NULL)
		return;
	a->uid = p->uid;
	a->gid = p->gid;
	a->pid = p->pid;
	snprintf(a->comm, sizeof(a->comm), "%s", p->comm);
}

/* The command line as the audit history shows it: words, one space. */
static void
join_words(const struct mgmt_req *r, char *out, size_t n)
{
	size_t len = 0;
	unsigned int i;

	out[0] = '\0';
	for (i = 0; i < r->argc && len < n; i++)
		len += snprintf(out + len, n - len, "%s%s", i ? " " : "",
				r->argv[i]);
	lb_mgmt_sanitize(out, n, out, strnlen(out, n - 1));
}

static json_t *
dispatch_change(struct lb_mgmt_ctx *ctx, const struct mgmt_cmd *c,
		struct mgmt_req *r)
{
	uint64_t records;
	json_t *ans, *err;

	if (ctx->rt == NULL)
		return lb_mgmt_error("%s: no runtime to change", c->name);
	if (!lb_mgmt_peer_is_admin(ctx, r->peer)) {
		if (r->who.flags & LB_ACTOR_FORCE)
			ans = lb_mgmt_error("%s --force overrides the policy: "
					    "only root or members of "
					    "admin_group may use it", c->name);
		else
			ans = lb_mgmt_error("%s changes the running "
					    "configuration: only root or "
					    "members of admin_group may run it",
					    c->name);
		lb_runtime_record_refused(ctx->rt, &r->who, r->line,
			json_string_value(json_object_get(ans, "error")));
		return ans;
	}
	records = lb_runtime_records(ctx->rt);
	ans = c->fn(ctx, r);
	err = json_object_get(ans, "error");
	/* Refused before it reached the runtime (arguments): record it. */
	if (err != NULL && lb_runtime_records(ctx->rt) == records)
		lb_runtime_record_refused(ctx->rt, &r->who, r->line,
					  json_string_value(err));
	return ans;
}

/* A name of one word matches the first word; of two ("bgp withdraw"),
 * the first two. */
static int
cmd_matches(const struct mgmt_cmd *c, const struct mgmt_req *r)
{
	const char *sp = strchr(c->name, ' ');
	size_t n = sp != NULL ? (size_t)(sp - c->name) : strlen(c->name);

	if (strncmp(r->argv[0], c->name, n) != 0 || r->argv[0][n] != '\0')
		return 0;
	return sp == NULL || (r->argc > 1 && strcmp(r->argv[1], sp + 1) == 0);
}

/* Take "--force" out of the words: the actor carries it. The audited
 * line keeps it. */
static void
take_force(struct mgmt_req *r)
{
	unsigned int i, n = 1;

	for (i = 1; i < r->argc; i++) {
		if (strcmp(r->argv[i], "--force") == 0)
			r->who.flags |= LB_ACTOR_FORCE;
		else
			r->argv[n++] = r->argv[i];
	}
	r->argc = n;
}

static json_t *
dispatch(struct lb_mgmt_ctx *ctx, struct mgmt_req *r,
	 struct lb_mgmt_pending **later)
{
	char line[512];
	size_t i;

	for (i = 0; i < RTE_DIM(commands); i++)
		if (cmd_matches(&commands[i], r))
			break;
	if (i == RTE_DIM(commands))
		return lb_mgmt_error("unknown command \"%.64s\"; try \"help\"",
				     r->argv[0]);
	if (commands[i].start != NULL)
		return commands[i].start(ctx, r, later);
	if (!commands[i].mutates)
		return commands[i].fn(ctx, r);
	join_words(r, line, sizeof(line));
	r->line = line;
	actor_of(r->peer, &r->who);
	if (commands[i].mutates & CMD_FORCE)
		take_force(r);
	return dispatch_change(ctx, &commands[i], r);
}

/* An internal caller (tests, tools) may do anything. */
static const struct lb_mgmt_peer root_peer = {
	.uid = 0, .gid = 0, .pid = 0, .comm = "(internal)",
};

json_t *
lb_mgmt_start(struct lb_mgmt_ctx *ctx, const struct lb_mgmt_peer *peer,
	      const char *req, size_t len, struct lb_mgmt_pending **pending)
{
	struct mgmt_req r = { .peer = peer != NULL ? peer : &root_peer };
	json_t *ans;
	char *line;

	*pending = NULL;
	if (ctx == NULL || ctx->dp == NULL)
		return lb_mgmt_error("management is not ready");
	if (req == NULL)
		len = 0;
	/* Words are C strings: a NUL would silently cut one short. */
	if (len > 0 && memchr(req, '\0', len) != NULL)
		return lb_mgmt_error("request contains a NUL byte");
	line = malloc(len + 1);
	if (line == NULL)
		return lb_mgmt_error("out of memory");
	ans = parse_request(req != NULL ? req : "", len, line, &r);
	if (ans == NULL)
		ans = dispatch(ctx, &r, pending);
	free(line);
	if (ans == NULL && *pending == NULL)
		ans = lb_mgmt_error("out of memory");
	return ans;
}

uint64_t
lb_mgmt_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

json_t *
lb_mgmt_pending_poll(struct lb_mgmt_pending *p)
{
	if (!p->ops->poll(p, lb_mgmt_now_ms()))
		return NULL;
	return p->ops->finish(p);
}

void
lb_mgmt_pending_abandon(struct lb_mgmt_pending *p)
{
	if (p != NULL)
		p->ops->abandon(p);
}

json_t *
lb_mgmt_execute(struct lb_mgmt_ctx *ctx, const struct lb_mgmt_peer *peer,
		const char *req, size_t len)
{
	const struct timespec nap = { .tv_nsec = 100 * 1000 };
	struct lb_mgmt_pending *p;
	json_t *ans;

	ans = lb_mgmt_start(ctx, peer, req, len, &p);
	while (ans == NULL) {
		nanosleep(&nap, NULL);
		ans = lb_mgmt_pending_poll(p);
	}
	return ans;
}
