/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What to announce, and BIRD 2's configuration that announces it. Pure
 * functions of the snapshot: unit-tested, and `bird -p` checks the text.
 */

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "lb_bgp.h"

/* Backends of each pool, and those up with weight > 0 (lib/policy's
 * count for min_healthy). */
struct pool_count {
	uint32_t n, up;
};

static void
count_pools(const struct lb_config *cfg, struct pool_count *pc)
{
	const struct lb_backend_conf *be;
	uint32_t b;

	memset(pc, 0, cfg->n_pools * sizeof(*pc));
	for (b = 0; b < cfg->n_backends; b++) {
		be = &cfg->backends[b];
		if (be->pool >= cfg->n_pools ||
		    be->state == LB_BACKEND_REMOVED)
			continue;
		pc[be->pool].n++;
		pc[be->pool].up += be->state == LB_BACKEND_UP &&
				   be->weight > 0 && !be->down;
	}
}

static int
can_serve(const struct lb_pool_conf *p, const struct pool_count *c)
{
	/* As lib/policy's min_healthy: a percent rounds up. */
	uint32_t need = p->min_healthy_percent ?
		(uint32_t)(((uint64_t)p->min_healthy * c->n + 99) / 100) :
		p->min_healthy;

	return !p->all_down_now && c->up > 0 && c->up >= need;
}

int
lb_bgp_pool_can_serve(const struct lb_config *cfg, uint32_t pool)
{
	struct pool_count pc[LB_MAX_POOLS];

	count_pools(cfg, pc);
	return pool < cfg->n_pools && can_serve(&cfg->pools[pool], &pc[pool]);
}

static int
addr_cmp(const void *x, const void *y)
{
	uint32_t a = ntohl(((const struct lb_bgp_addr *)x)->addr);
	uint32_t b = ntohl(((const struct lb_bgp_addr *)y)->addr);

	return a < b ? -1 : a > b;
}

static struct lb_bgp_addr *
entry_of(struct lb_bgp_addr *out, unsigned int *n, unsigned int max,
	 uint32_t addr)
{
	unsigned int i;

	for (i = 0; i < *n; i++)
		if (out[i].addr == addr)
			return &out[i];
	if (*n == max)
		return NULL;
	out[*n] = (struct lb_bgp_addr){ .addr = addr, .wanted = 1 };
	return &out[(*n)++];
}

/* The first reason an address is held back is the one shown. */
static void
hold_back(struct lb_bgp_addr *e, const char *fmt, const char *name)
{
	if (!e->wanted)
		return;
	e->wanted = 0;
	snprintf(e->reason, sizeof(e->reason), fmt, name);
}

unsigned int
lb_bgp_wanted(const struct lb_config *cfg, enum lb_bgp_hold hold,
	      struct lb_bgp_addr *out, unsigned int max)
{
	static const char *const held[] = {
		[LB_BGP_STARTING] = "edgelbd is starting (waiting for the "
				    "first health check verdicts)",
		[LB_BGP_WITHDRAWN] = "withdrawn by an operator (bgp withdraw)",
		[LB_BGP_STOPPING] = "edgelbd is stopping (draining)",
	};
	struct pool_count pc[LB_MAX_POOLS];
	unsigned int n = 0, i;
	struct lb_bgp_addr *e;

	/* Once per pool, not per VIP: this runs every tick. */
	count_pools(cfg, pc);
	for (i = 0; i < cfg->n_vips; i++) {
		const struct lb_vip_conf *v = &cfg->vips[i];

		if (!v->announce)
			continue;
		e = entry_of(out, &n, max, v->addr);
		if (e == NULL)
			break;
		if (hold != LB_BGP_FORWARDING)
			hold_back(e, "%s", held[hold]);
		else if (!can_serve(&cfg->pools[v->pool], &pc[v->pool]))
			hold_back(e, "pool %s cannot serve (all down, or "
				  "fewer than min_healthy up)",
				  cfg->pools[v->pool].name);
	}
	qsort(out, n, sizeof(*out), addr_cmp);
	return n;
}

void
lb_bgp_paths(const struct lb_config *cfg, char *conf, size_t conf_size,
	     char *ctl, size_t ctl_size)
{
	snprintf(conf, conf_size, "%s.bird.conf", cfg->global.socket);
	snprintf(ctl, ctl_size, "%s.bird.ctl", cfg->global.socket);
}

static const char *
ip(uint32_t a, char *buf)
{
	return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

static void
write_static(FILE *out, const struct lb_bgp_addr *a, unsigned int n)
{
	char buf[INET_ADDRSTRLEN];
	unsigned int i;

	/* Blackhole: a static route needs a destination, and BIRD never
	 * installs it anywhere (no kernel protocol); BGP sends it with next
	 * hop self, the box's port address. */
	fprintf(out, "# The VIPs announced now: edgelbd rewrites this file "
		"and runs 'configure'.\nprotocol static edgelb_vips {\n"
		"\tipv4;\n");
	for (i = 0; i < n; i++)
		if (a[i].wanted)
			fprintf(out, "\troute %s/32 blackhole;\n",
				ip(a[i].addr, buf));
	fprintf(out, "}\n\n");
}

static void
write_peers(FILE *out, const struct lb_bgp_conf *b)
{
	char buf[INET_ADDRSTRLEN];
	uint32_t i;

	fprintf(out, "filter edgelb_export {\n"
		"\tif proto = \"edgelb_vips\" && net.len = 32 then accept;\n"
		"\treject;\n}\n\n"
		"template bgp edgelb_peer {\n"
		"\tlocal as %u;\n\thold time %u;\n\tkeepalive time %u;\n"
		"\tconnect retry time 5;\n\terror wait time 1, 10;\n"
		"\tipv4 {\n\t\timport none;\n"
		"\t\texport filter edgelb_export;\n"
		"\t\tnext hop self;\n\t};\n}\n\n",
		b->local_as, b->hold_time_s,
		b->hold_time_s / 3 > 0 ? b->hold_time_s / 3 : 1);
	if (b->bird_include[0] != '\0')
		fprintf(out, "# [bgp] bird_include: the operator's own.\n"
			"include \"%s\";\n\n", b->bird_include);
	for (i = 0; i < b->n_neighbors; i++)
		fprintf(out, "protocol bgp edgelb_n%u from edgelb_peer {\n"
			"\tneighbor %s as %u;\n}\n", i + 1,
			ip(b->neighbors[i].addr, buf), b->neighbors[i].as);
}

int
lb_bgp_conf_write(FILE *out, const struct lb_bgp_conf *b, const char *origin,
		  const struct lb_bgp_addr *a, unsigned int n)
{
	char buf[INET_ADDRSTRLEN];

	fprintf(out, "# Generated by edgelbd from %s: do not edit (lost at "
		"the next change).\n", origin);
	/* No space in a time: `edgelbctl bgp` splits show protocols' columns
	 * on white space. */
	fprintf(out, "router id %s;\nlog stderr all;\n"
		"timeformat protocol \"%%FT%%T\";\n\n", ip(b->router_id, buf));
	/* Interfaces and their addresses, for the direct sessions. */
	fprintf(out, "protocol device {\n\tscan time 10;\n}\n\n");
	write_static(out, a, n);
	write_peers(out, b);
	return fflush(out) == 0 && !ferror(out) ? 0 : -1;
}
