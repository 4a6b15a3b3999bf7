/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * INI file -> validated snapshot.
 *
 * The line index (lineindex.c) gives the structure and the lines;
 * iniparser gives the values. Sections are handled kind by kind (pools
 * before the VIPs and backends that name them), then the cross-checks run,
 * then the scheduler tables are built. Any error frees everything: the
 * caller gets a whole snapshot or none.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include <iniparser.h>
#include <rte_common.h>
#include <rte_ether.h>

#include "config_priv.h"
#include "lb_config.h"

#define DEFAULT_SOCKET "/run/edgelb/edgelb.sock"

enum sec_kind { SEC_GLOBAL, SEC_PORT, SEC_VIP, SEC_POOL, SEC_BACKEND,
		SEC_KINDS };

static const char *const kind_prefix[SEC_KINDS] = {
	"global", "port", "vip", "pool", "backend",
};

static const uint32_t kind_max[SEC_KINDS] = {
	1, LB_MAX_PORTS, LB_MAX_VIPS, UINT32_MAX, LB_MAX_BACKENDS,
};

static const char *const kind_keys[SEC_KINDS][10] = {
	[SEC_GLOBAL] = { "socket", "workers", "eal_args", "flow_table_size",
			 "idle_sleep_us", "tcp_timeout", "tcp_fin_timeout",
			 "extra_mbufs",
			 "udp_timeout", NULL },
	[SEC_PORT] = { "device", "address", "gateway", NULL },
	[SEC_VIP] = { "address", "port", "protocol", "mode", "pool", NULL },
	[SEC_POOL] = { "scheduler", "table_size", NULL },
	[SEC_BACKEND] = { "pool", "address", "weight", "mac", NULL },
};

struct ctx {
	const char *path;
	struct lb_config_error *err;
	struct lb_ini_index idx;
	dictionary *dict;
	struct lb_config *cfg;
	const struct lb_ini_section *global;
	/* section of each object (by kind, in file order), for lines */
	const struct lb_ini_section **sec[SEC_KINDS];
	uint32_t n[SEC_KINDS];
};

#define ERR(c, line, ...) lb_config_set_error((c)->err, (c)->path, (line), \
					      __VA_ARGS__)

static int
quiet(const char *fmt, ...)
{
	(void)fmt;
	return 0;
}

/* ---- values ---------------------------------------------------------- */

/* The value of @key in @sec, or NULL if the key is absent. */
static const char *
value(const struct ctx *c, const struct lb_ini_section *sec, const char *key)
{
	char full[LB_NAME_MAX * 2 + 32];
	const char *v;

	if (lb_ini_key_line(sec, key) == 0)
		return NULL;
	snprintf(full, sizeof(full), "%s:%s", sec->name, key);
	v = iniparser_getstring(c->dict, full, NULL);
	return v != NULL ? v : "";
}

static unsigned int
line_of(const struct lb_ini_section *sec, const char *key)
{
	unsigned int l = lb_ini_key_line(sec, key);

	return l != 0 ? l : sec->line;
}

static const char *
required(struct ctx *c, const struct lb_ini_section *sec, const char *key)
{
	const char *v = value(c, sec, key);

	if (v == NULL)
		ERR(c, sec->line, "missing required key '%s' in [%s]", key,
		    sec->name);
	return v;
}

/* Decimal only: no sign, no base prefix, no junk, no silent wrap. */
static int
get_u32(struct ctx *c, const struct lb_ini_section *sec, const char *key,
	uint32_t min, uint32_t max, uint32_t *out)
{
	const char *v = value(c, sec, key);
	const char *p;
	uint64_t n = 0;

	if (v == NULL)
		return 0;       /* *out holds the default */
	for (p = v; *p >= '0' && *p <= '9'; p++)
		if (n <= UINT32_MAX)
			n = n * 10 + (*p - '0');
	if (p == v || *p != '\0') {
		ERR(c, line_of(sec, key),
		    "%s = '%s': not a decimal integer (%u..%u)", key, v, min,
		    max);
		return -1;
	}
	if (n < min || n > max) {
		ERR(c, line_of(sec, key), "%s = %s is out of range %u..%u",
		    key, v, min, max);
		return -1;
	}
	*out = (uint32_t)n;
	return 0;
}

static int
parse_ip(struct ctx *c, const struct lb_ini_section *sec, const char *key,
	 const char *v, uint32_t *out)
{
	struct in_addr a;

	if (inet_pton(AF_INET, v, &a) != 1) {
		ERR(c, line_of(sec, key), "%s = '%s': not an IPv4 address",
		    key, v);
		return -1;
	}
	*out = a.s_addr;
	return 0;
}

/* @out untouched if the key is absent and not required. */
static int
get_ip(struct ctx *c, const struct lb_ini_section *sec, const char *key,
       int is_required, uint32_t *out)
{
	const char *v = is_required ? required(c, sec, key)
				    : value(c, sec, key);

	if (v == NULL)
		return is_required ? -1 : 0;
	return parse_ip(c, sec, key, v, out);
}

/* "a.b.c.d/len", len 1..32. */
static int
get_prefix(struct ctx *c, const struct lb_ini_section *sec, const char *key,
	   uint32_t *addr, uint8_t *len)
{
	const char *v = required(c, sec, key);
	char ip[INET_ADDRSTRLEN + 1];
	const char *slash, *p;
	unsigned int n = 0;

	if (v == NULL)
		return -1;
	slash = strchr(v, '/');
	if (slash == NULL) {
		ERR(c, line_of(sec, key),
		    "%s = '%s': expected a.b.c.d/len (prefix length 1..32)",
		    key, v);
		return -1;
	}
	if ((size_t)(slash - v) >= sizeof(ip)) {
		ERR(c, line_of(sec, key), "%s = '%s': not an IPv4 address",
		    key, v);
		return -1;
	}
	memcpy(ip, v, slash - v);
	ip[slash - v] = '\0';
	if (parse_ip(c, sec, key, ip, addr) < 0)
		return -1;
	for (p = slash + 1; *p >= '0' && *p <= '9' && n <= 32; p++)
		n = n * 10 + (*p - '0');
	if (p == slash + 1 || *p != '\0' || n < 1 || n > 32) {
		ERR(c, line_of(sec, key),
		    "%s = '%s': prefix length must be a decimal integer in 1..32",
		    key, v);
		return -1;
	}
	*len = (uint8_t)n;
	return 0;
}

static int
get_str(struct ctx *c, const struct lb_ini_section *sec, const char *key,
	char *out, size_t size)
{
	const char *v = value(c, sec, key);

	if (v == NULL)
		return 0;
	if (strlen(v) >= size) {
		ERR(c, line_of(sec, key), "%s is too long (max %zu bytes)", key,
		    size - 1);
		return -1;
	}
	strcpy(out, v);
	return 0;
}

static uint32_t
mask_of(uint8_t len)
{
	return htonl(len == 0 ? 0 : UINT32_MAX << (32 - len));
}

static const char *
ipstr(uint32_t addr, char *buf)
{
	return inet_ntop(AF_INET, &addr, buf, INET_ADDRSTRLEN);
}

/* ---- sections -------------------------------------------------------- */

static int
valid_name(const char *name)
{
	size_t len = strlen(name);

	if (len < 1 || len >= LB_NAME_MAX)
		return 0;
	return strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_-") == len;
}

static int
kind_of(struct ctx *c, const struct lb_ini_section *sec, enum sec_kind *kind)
{
	const char *dot = strchr(sec->name, '.');
	size_t plen = dot != NULL ? (size_t)(dot - sec->name)
				  : strlen(sec->name);
	int k;

	if (strcmp(sec->name, "global") == 0) {
		*kind = SEC_GLOBAL;
		return 0;
	}
	for (k = SEC_PORT; k < SEC_KINDS; k++)
		if (strlen(kind_prefix[k]) == plen &&
		    strncmp(sec->name, kind_prefix[k], plen) == 0)
			break;
	if (k == SEC_KINDS) {
		ERR(c, sec->line,
		    "unknown section [%s] (expected [global], [port.NAME], [vip.NAME], [pool.NAME] or [backend.NAME])",
		    sec->name);
		return -1;
	}
	if (dot == NULL || !valid_name(dot + 1)) {
		ERR(c, sec->line,
		    "bad section name [%s]: expected [%s.NAME], NAME 1..%d characters of a-z, 0-9, '_' and '-'",
		    sec->name, kind_prefix[k], LB_NAME_MAX - 1);
		return -1;
	}
	*kind = (enum sec_kind)k;
	return 0;
}

static const char *
name_of(const struct lb_ini_section *sec)
{
	return strchr(sec->name, '.') + 1;
}

static int
check_keys(struct ctx *c, const struct lb_ini_section *sec, enum sec_kind k)
{
	unsigned int i, j;

	for (i = 0; i < sec->n_keys; i++) {
		for (j = 0; kind_keys[k][j] != NULL; j++)
			if (strcmp(sec->keys[i].name, kind_keys[k][j]) == 0)
				break;
		if (kind_keys[k][j] == NULL) {
			ERR(c, sec->keys[i].line, "unknown key '%s' in [%s]",
			    sec->keys[i].name, sec->name);
			return -1;
		}
	}
	return 0;
}

/* Sort the sections by kind and check names, keys and counts. */
static int
classify(struct ctx *c)
{
	const struct lb_ini_index *idx = &c->idx;
	enum sec_kind *kinds;
	unsigned int i;
	int k;

	kinds = calloc(idx->n_sections + 1, sizeof(*kinds));
	if (kinds == NULL)
		goto nomem;
	for (i = 0; i < idx->n_sections; i++) {
		const struct lb_ini_section *sec = &idx->sections[i];

		if (kind_of(c, sec, &kinds[i]) < 0 ||
		    check_keys(c, sec, kinds[i]) < 0)
			goto fail;
		if (++c->n[kinds[i]] > kind_max[kinds[i]]) {
			ERR(c, sec->line, "too many [%s.*] sections (max %u)",
			    kind_prefix[kinds[i]], kind_max[kinds[i]]);
			goto fail;
		}
	}
	for (k = 0; k < SEC_KINDS; k++) {
		c->sec[k] = calloc(c->n[k] ? c->n[k] : 1, sizeof(*c->sec[k]));
		if (c->sec[k] == NULL)
			goto nomem;
		c->n[k] = 0;
	}
	for (i = 0; i < idx->n_sections; i++)
		c->sec[kinds[i]][c->n[kinds[i]]++] = &idx->sections[i];
	c->global = c->n[SEC_GLOBAL] ? c->sec[SEC_GLOBAL][0] : NULL;
	free(kinds);
	return 0;
nomem:
	ERR(c, 1, "out of memory");
fail:
	free(kinds);
	return -1;
}

static int
require_some(struct ctx *c)
{
	unsigned int eof = c->idx.n_lines ? c->idx.n_lines : 1;

	if (c->n[SEC_PORT] == 0) {
		ERR(c, eof, "no [port.NAME] section: at least one is required");
		return -1;
	}
	if (c->n[SEC_VIP] == 0) {
		ERR(c, eof, "no [vip.NAME] section: at least one is required");
		return -1;
	}
	return 0;
}

static int
alloc_arrays(struct ctx *c)
{
	struct lb_config *cfg = c->cfg;

	cfg->n_ports = c->n[SEC_PORT];
	cfg->n_vips = c->n[SEC_VIP];
	cfg->n_pools = c->n[SEC_POOL];
	cfg->n_backends = c->n[SEC_BACKEND];
	cfg->ports = calloc(cfg->n_ports + 1, sizeof(*cfg->ports));
	cfg->vips = calloc(cfg->n_vips + 1, sizeof(*cfg->vips));
	cfg->pools = calloc(cfg->n_pools + 1, sizeof(*cfg->pools));
	cfg->backends = calloc(cfg->n_backends + 1, sizeof(*cfg->backends));
	/* at most one next hop per backend and per port gateway */
	cfg->neighs = calloc(cfg->n_backends + cfg->n_ports + 1,
			     sizeof(*cfg->neighs));
	if (cfg->ports == NULL || cfg->vips == NULL || cfg->pools == NULL ||
	    cfg->backends == NULL || cfg->neighs == NULL) {
		ERR(c, 1, "out of memory");
		return -1;
	}
	return 0;
}

/* ---- [global] -------------------------------------------------------- */

static int
parse_global(struct ctx *c)
{
	struct lb_global_conf *g = &c->cfg->global;
	const struct lb_ini_section *s = c->global;

	snprintf(g->socket, sizeof(g->socket), "%s", DEFAULT_SOCKET);
	g->workers = 1;
	g->flow_table_size = 65536;
	g->idle_sleep_us = 0;
	g->tcp_timeout = 900;
	g->tcp_fin_timeout = 10;
	g->udp_timeout = 300;
	if (s == NULL)
		return 0;
	if (get_str(c, s, "socket", g->socket, sizeof(g->socket)) < 0 ||
	    get_str(c, s, "eal_args", g->eal_args, sizeof(g->eal_args)) < 0 ||
	    get_u32(c, s, "workers", 1, LB_MAX_WORKERS, &g->workers) < 0 ||
	    get_u32(c, s, "flow_table_size", 1024, 16777216,
		    &g->flow_table_size) < 0 ||
	    get_u32(c, s, "idle_sleep_us", 0, 100000, &g->idle_sleep_us) < 0 ||
	    get_u32(c, s, "tcp_timeout", 1, 86400, &g->tcp_timeout) < 0 ||
	    get_u32(c, s, "tcp_fin_timeout", 1, 3600, &g->tcp_fin_timeout) < 0 ||
	    get_u32(c, s, "udp_timeout", 1, 86400, &g->udp_timeout) < 0 ||
	    get_u32(c, s, "extra_mbufs", 0, 16777216, &g->extra_mbufs) < 0)
		return -1;
	if (g->socket[0] != '/') {
		ERR(c, line_of(s, "socket"),
		    "socket = '%s': must be an absolute path", g->socket);
		return -1;
	}
	return 0;
}

/* ---- [port.NAME] ----------------------------------------------------- */

static int
parse_device(struct ctx *c, const struct lb_ini_section *s,
	     struct lb_port_conf *p)
{
	const char *v = required(c, s, "device");

	if (v == NULL)
		return -1;
	if (*v == '\0' || strpbrk(v, " \t") != NULL) {
		ERR(c, line_of(s, "device"),
		    "device = '%s': expected a DPDK vdev string (net_af_packet0,iface=veth0) or a PCI address",
		    v);
		return -1;
	}
	return get_str(c, s, "device", p->device, sizeof(p->device));
}

static int
parse_gateway(struct ctx *c, const struct lb_ini_section *s,
	      struct lb_port_conf *p)
{
	uint32_t m = mask_of(p->prefix_len);
	char a[INET_ADDRSTRLEN], n[INET_ADDRSTRLEN];

	if (get_ip(c, s, "gateway", 0, &p->gateway) < 0)
		return -1;
	if (p->gateway == 0)
		return 0;
	if ((p->gateway & m) != (p->addr & m)) {
		ERR(c, line_of(s, "gateway"),
		    "gateway %s is not inside port %s's subnet %s/%u",
		    ipstr(p->gateway, a), p->name, ipstr(p->addr & m, n),
		    p->prefix_len);
		return -1;
	}
	if (p->gateway == p->addr) {
		ERR(c, line_of(s, "gateway"),
		    "gateway %s is port %s's own address",
		    ipstr(p->gateway, a), p->name);
		return -1;
	}
	return 0;
}

static int
parse_ports(struct ctx *c)
{
	uint32_t i;

	for (i = 0; i < c->cfg->n_ports; i++) {
		const struct lb_ini_section *s = c->sec[SEC_PORT][i];
		struct lb_port_conf *p = &c->cfg->ports[i];

		snprintf(p->name, sizeof(p->name), "%s", name_of(s));
		if (parse_device(c, s, p) < 0 ||
		    get_prefix(c, s, "address", &p->addr, &p->prefix_len) < 0 ||
		    parse_gateway(c, s, p) < 0)
			return -1;
	}
	return 0;
}

static int
check_port_overlap(struct ctx *c)
{
	const struct lb_config *cfg = c->cfg;
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];
	uint32_t i, j, m;

	for (j = 0; j < cfg->n_ports; j++) {
		const struct lb_port_conf *pj = &cfg->ports[j];

		for (i = 0; i < j; i++) {
			const struct lb_port_conf *pi = &cfg->ports[i];

			m = mask_of(RTE_MIN(pi->prefix_len, pj->prefix_len));
			if ((pi->addr & m) != (pj->addr & m))
				continue;
			ERR(c, line_of(c->sec[SEC_PORT][j], "address"),
			    "port %s subnet %s/%u overlaps port %s subnet %s/%u (line %u)",
			    pj->name, ipstr(pj->addr & mask_of(pj->prefix_len), a),
			    pj->prefix_len, pi->name,
			    ipstr(pi->addr & mask_of(pi->prefix_len), b),
			    pi->prefix_len,
			    line_of(c->sec[SEC_PORT][i], "address"));
			return -1;
		}
	}
	return 0;
}

/* ---- [pool.NAME] ----------------------------------------------------- */

static void
near_primes(uint32_t n, uint32_t *below, uint32_t *above)
{
	for (*below = n; *below > 2 && !lb_sched_is_prime(*below); (*below)--)
		;
	for (*above = n; *above < UINT32_MAX && !lb_sched_is_prime(*above);
	     (*above)++)
		;
}

static int
parse_pools(struct ctx *c)
{
	uint32_t i, lo, hi;

	for (i = 0; i < c->cfg->n_pools; i++) {
		const struct lb_ini_section *s = c->sec[SEC_POOL][i];
		struct lb_pool_conf *p = &c->cfg->pools[i];
		const char *v = value(c, s, "scheduler");

		snprintf(p->name, sizeof(p->name), "%s", name_of(s));
		p->scheduler = LB_SCHED_MAGLEV;
		if (v != NULL && strcmp(v, "maglev") != 0) {
			ERR(c, line_of(s, "scheduler"),
			    "scheduler = '%s': expected maglev", v);
			return -1;
		}
		p->table_size = LB_SCHED_DEFAULT_TABLE_SIZE;
		if (get_u32(c, s, "table_size", LB_SCHED_MIN_TABLE_SIZE,
			    LB_SCHED_MAX_TABLE_SIZE, &p->table_size) < 0)
			return -1;
		if (!lb_sched_is_prime(p->table_size)) {
			near_primes(p->table_size, &lo, &hi);
			ERR(c, line_of(s, "table_size"),
			    "table_size = %u is not prime (try %u or %u)",
			    p->table_size, lo, hi);
			return -1;
		}
	}
	return 0;
}

/* Resolve the "pool" key of @s to a pool index. */
static int
pool_ref(struct ctx *c, const struct lb_ini_section *s, uint32_t *out)
{
	const char *v = required(c, s, "pool");
	uint32_t i;

	if (v == NULL)
		return -1;
	for (i = 0; i < c->cfg->n_pools; i++) {
		if (strcmp(c->cfg->pools[i].name, v) == 0) {
			*out = i;
			return 0;
		}
	}
	ERR(c, line_of(s, "pool"), "pool '%s' does not exist (no [pool.%s])",
	    v, v);
	return -1;
}

/* ---- [vip.NAME] ------------------------------------------------------ */

static int
parse_protocol(struct ctx *c, const struct lb_ini_section *s,
	       struct lb_vip_conf *vip)
{
	const char *v = value(c, s, "protocol");

	vip->proto = IPPROTO_TCP;
	if (v == NULL || strcmp(v, "tcp") == 0)
		return 0;
	if (strcmp(v, "udp") == 0) {
		vip->proto = IPPROTO_UDP;
		return 0;
	}
	ERR(c, line_of(s, "protocol"), "protocol = '%s': expected tcp or udp",
	    v);
	return -1;
}

static int
parse_mode(struct ctx *c, const struct lb_ini_section *s,
	   struct lb_vip_conf *vip)
{
	static const char *const future[] = { "nat", "fullnat", "ipip", "gue" };
	const char *v = value(c, s, "mode");
	size_t i;

	vip->mode = LB_FWD_DR;
	if (v == NULL || strcmp(v, "dr") == 0)
		return 0;
	for (i = 0; i < RTE_DIM(future); i++) {
		if (strcmp(v, future[i]) == 0) {
			ERR(c, line_of(s, "mode"),
			    "mode '%s' is not supported yet (only dr)", v);
			return -1;
		}
	}
	ERR(c, line_of(s, "mode"),
	    "mode = '%s': expected dr (nat, fullnat, ipip and gue are not supported yet)",
	    v);
	return -1;
}

static int
parse_vips(struct ctx *c)
{
	uint32_t i, port;

	for (i = 0; i < c->cfg->n_vips; i++) {
		const struct lb_ini_section *s = c->sec[SEC_VIP][i];
		struct lb_vip_conf *vip = &c->cfg->vips[i];

		snprintf(vip->name, sizeof(vip->name), "%s", name_of(s));
		port = 0;
		if (get_ip(c, s, "address", 1, &vip->addr) < 0)
			return -1;
		if (required(c, s, "port") == NULL ||
		    get_u32(c, s, "port", 1, 65535, &port) < 0)
			return -1;
		vip->port = (uint16_t)port;
		if (parse_protocol(c, s, vip) < 0 || parse_mode(c, s, vip) < 0 ||
		    pool_ref(c, s, &vip->pool) < 0)
			return -1;
	}
	return 0;
}

static int
check_vip_unique(struct ctx *c)
{
	const struct lb_config *cfg = c->cfg;
	char a[INET_ADDRSTRLEN];
	uint32_t i, j;

	for (j = 0; j < cfg->n_vips; j++) {
		const struct lb_vip_conf *vj = &cfg->vips[j];

		for (i = 0; i < j; i++) {
			const struct lb_vip_conf *vi = &cfg->vips[i];

			if (vi->proto != vj->proto || vi->addr != vj->addr ||
			    vi->port != vj->port)
				continue;
			ERR(c, c->sec[SEC_VIP][j]->line,
			    "duplicate VIP %s %s:%u: [vip.%s] repeats [vip.%s] (first at line %u)",
			    vj->proto == IPPROTO_TCP ? "tcp" : "udp",
			    ipstr(vj->addr, a), vj->port, vj->name, vi->name,
			    c->sec[SEC_VIP][i]->line);
			return -1;
		}
	}
	return 0;
}

/* ---- [backend.NAME] -------------------------------------------------- */

/* DR rewrites only the MAC: the backend must share a port's subnet. */
static int
backend_on_link(struct ctx *c, const struct lb_ini_section *s,
		struct lb_backend_conf *b)
{
	const struct lb_config *cfg = c->cfg;
	char a[INET_ADDRSTRLEN];
	uint32_t i;

	for (i = 0; i < cfg->n_ports; i++) {
		const struct lb_port_conf *p = &cfg->ports[i];
		uint32_t m = mask_of(p->prefix_len);

		if (b->addr == p->addr) {
			ERR(c, line_of(s, "address"),
			    "backend %s: %s is port %s's own address", b->name,
			    ipstr(b->addr, a), p->name);
			return -1;
		}
		if ((b->addr & m) == (p->addr & m)) {
			b->port = i;
			return 0;
		}
	}
	ERR(c, line_of(s, "address"),
	    "backend %s: %s is not on-link on any port (dr mode sends frames to the backend's MAC)",
	    b->name, ipstr(b->addr, a));
	return -1;
}

static int
backend_not_vip(struct ctx *c, const struct lb_ini_section *s,
		const struct lb_backend_conf *b)
{
	char a[INET_ADDRSTRLEN];
	uint32_t i;

	for (i = 0; i < c->cfg->n_vips; i++) {
		if (c->cfg->vips[i].addr != b->addr)
			continue;
		ERR(c, line_of(s, "address"),
		    "backend %s: %s is the address of vip %s", b->name,
		    ipstr(b->addr, a), c->cfg->vips[i].name);
		return -1;
	}
	return 0;
}

/* A static next hop: for servers that do not answer ARP, or test sinks. */
static int
get_mac(struct ctx *c, const struct lb_ini_section *s,
	struct lb_backend_conf *b)
{
	const char *v = value(c, s, "mac");
	struct rte_ether_addr mac;

	if (v == NULL)
		return 0;
	if (rte_ether_unformat_addr(v, &mac) != 0 ||
	    !rte_is_valid_assigned_ether_addr(&mac)) {
		ERR(c, line_of(s, "mac"),
		    "mac = '%s': not a unicast MAC address (xx:xx:xx:xx:xx:xx)",
		    v);
		return -1;
	}
	memcpy(b->mac, mac.addr_bytes, sizeof(b->mac));
	b->has_mac = 1;
	return 0;
}

static int
parse_backends(struct ctx *c)
{
	uint32_t i;

	for (i = 0; i < c->cfg->n_backends; i++) {
		const struct lb_ini_section *s = c->sec[SEC_BACKEND][i];
		struct lb_backend_conf *b = &c->cfg->backends[i];

		snprintf(b->name, sizeof(b->name), "%s", name_of(s));
		b->weight = 1;
		if (pool_ref(c, s, &b->pool) < 0 ||
		    get_ip(c, s, "address", 1, &b->addr) < 0 ||
		    get_u32(c, s, "weight", 0, 65535, &b->weight) < 0 ||
		    get_mac(c, s, b) < 0 ||
		    backend_not_vip(c, s, b) < 0 ||
		    backend_on_link(c, s, b) < 0)
			return -1;
	}
	return 0;
}

/* A backend listed twice in a pool would take twice its share. */
static int
check_backend_unique(struct ctx *c)
{
	const struct lb_config *cfg = c->cfg;
	char a[INET_ADDRSTRLEN];
	uint32_t i, j;

	for (j = 0; j < cfg->n_backends; j++) {
		const struct lb_backend_conf *bj = &cfg->backends[j];

		for (i = 0; i < j; i++) {
			const struct lb_backend_conf *bi = &cfg->backends[i];

			if (bi->pool != bj->pool || bi->addr != bj->addr)
				continue;
			ERR(c, line_of(c->sec[SEC_BACKEND][j], "address"),
			    "backend %s: address %s repeats backend %s in pool %s (first at line %u)",
			    bj->name, ipstr(bj->addr, a), bi->name,
			    cfg->pools[bj->pool].name,
			    line_of(c->sec[SEC_BACKEND][i], "address"));
			return -1;
		}
	}
	return 0;
}

/* ---- pools: members and tables --------------------------------------- */

static int
cmp_member(const void *a, const void *b, void *arg)
{
	const struct lb_config *cfg = arg;

	return strcmp(cfg->backends[*(const uint32_t *)a].name,
		      cfg->backends[*(const uint32_t *)b].name);
}

static int
fill_members(struct ctx *c, uint32_t pi)
{
	struct lb_config *cfg = c->cfg;
	struct lb_pool_conf *p = &cfg->pools[pi];
	const struct lb_ini_section *s = c->sec[SEC_POOL][pi];
	uint32_t i;

	uint32_t n = 0;

	for (i = 0; i < cfg->n_backends; i++)
		n += cfg->backends[i].pool == pi;
	p->members = calloc(n + 1, sizeof(*p->members));
	if (p->members == NULL) {
		ERR(c, s->line, "out of memory");
		return -1;
	}
	for (i = 0; i < cfg->n_backends; i++)
		if (cfg->backends[i].pool == pi)
			p->members[p->n_members++] = i;
	if (p->n_members > LB_SCHED_MAX_BACKENDS) {
		ERR(c, s->line, "pool %s has %u backends (max %u)", p->name,
		    p->n_members, LB_SCHED_MAX_BACKENDS);
		return -1;
	}
	if (p->table_size <= p->n_members) {
		ERR(c, line_of(s, "table_size"),
		    "table_size = %u must be larger than the number of backends in pool %s (%u)",
		    p->table_size, p->name, p->n_members);
		return -1;
	}
	/* names, not INI order, fix the table: reordering the file is a no-op */
	qsort_r(p->members, p->n_members, sizeof(*p->members), cmp_member,
		cfg);
	return 0;
}

/*
 * Slot counts per member, once per snapshot: expected shares are asked for
 * often (CLI, metrics) and counting the table each time is O(M).
 */
static int
count_member_slots(struct lb_config *cfg, struct lb_pool_conf *p)
{
	uint32_t i;

	p->member_slots = calloc(p->n_members ? p->n_members : 1,
				 sizeof(*p->member_slots));
	if (p->member_slots == NULL)
		return -ENOMEM;
	for (i = 0; i < p->maglev.size; i++)
		if (p->maglev.slots[i] != LB_SCHED_EMPTY &&
		    p->maglev.slots[i] < p->n_members)
			p->member_slots[p->maglev.slots[i]]++;
	for (i = 0; i < p->n_members; i++)
		cfg->backends[p->members[i]].member = i;
	return 0;
}

static int
build_table(struct ctx *c, uint32_t pi)
{
	struct lb_pool_conf *p = &c->cfg->pools[pi];
	struct lb_sched_backend *be;
	uint32_t i;
	int rc;

	be = calloc(p->n_members + 1, sizeof(*be));
	if (be == NULL) {
		ERR(c, c->sec[SEC_POOL][pi]->line, "out of memory");
		return -1;
	}
	for (i = 0; i < p->n_members; i++) {
		be[i].name = c->cfg->backends[p->members[i]].name;
		be[i].weight = c->cfg->backends[p->members[i]].weight;
	}
	rc = lb_sched_maglev_build(&p->maglev, be, p->n_members,
				   p->table_size);
	free(be);
	if (rc == 0)
		rc = count_member_slots(c->cfg, p);
	if (rc < 0) {
		ERR(c, c->sec[SEC_POOL][pi]->line,
		    "pool %s: cannot build the maglev table: %s", p->name,
		    strerror(-rc));
		return -1;
	}
	return 0;
}

static int
check_vip_pools(struct ctx *c)
{
	uint32_t i;

	for (i = 0; i < c->cfg->n_vips; i++) {
		const struct lb_vip_conf *v = &c->cfg->vips[i];

		if (c->cfg->pools[v->pool].n_members > 0)
			continue;
		ERR(c, line_of(c->sec[SEC_VIP][i], "pool"),
		    "vip %s: pool %s has no backends", v->name,
		    c->cfg->pools[v->pool].name);
		return -1;
	}
	return 0;
}

static int
build_pools(struct ctx *c)
{
	uint32_t i;

	for (i = 0; i < c->cfg->n_pools; i++)
		if (fill_members(c, i) < 0)
			return -1;
	if (check_vip_pools(c) < 0)
		return -1;
	for (i = 0; i < c->cfg->n_pools; i++)
		if (build_table(c, i) < 0)
			return -1;
	return 0;
}

/* ---- next hops ------------------------------------------------------- */

static uint32_t
add_neigh(struct lb_config *cfg, uint32_t addr, uint32_t port)
{
	uint32_t i;

	for (i = 0; i < cfg->n_neighs; i++)
		if (cfg->neighs[i].addr == addr && cfg->neighs[i].port == port)
			return i;
	cfg->neighs[i].addr = addr;
	cfg->neighs[i].port = port;
	return cfg->n_neighs++;
}

/* Backends sharing an address share a next hop: their MACs must agree. */
static int
set_static_mac(struct ctx *c, uint32_t b)
{
	const struct lb_backend_conf *be = &c->cfg->backends[b];
	struct lb_neigh_conf *n = &c->cfg->neighs[be->neigh];
	char a[INET_ADDRSTRLEN];

	if (n->has_mac && (!be->has_mac ||
			   memcmp(n->mac, be->mac, sizeof(n->mac)) != 0)) {
		ERR(c, line_of(c->sec[SEC_BACKEND][b],
			       be->has_mac ? "mac" : "address"),
		    "backend '%s': address %s is given another mac by another"
		    " backend", be->name, ipstr(be->addr, a));
		return -1;
	}
	if (be->has_mac) {
		memcpy(n->mac, be->mac, sizeof(n->mac));
		n->has_mac = 1;
	}
	return 0;
}

static int
fill_neighs(struct ctx *c)
{
	struct lb_config *cfg = c->cfg;
	uint32_t i;

	for (i = 0; i < cfg->n_backends; i++)
		cfg->backends[i].neigh = add_neigh(cfg, cfg->backends[i].addr,
						   cfg->backends[i].port);
	for (i = 0; i < cfg->n_backends; i++)
		if (set_static_mac(c, i) < 0)
			return -1;
	for (i = 0; i < cfg->n_ports; i++)
		if (cfg->ports[i].gateway != 0)
			add_neigh(cfg, cfg->ports[i].gateway, i);
	return 0;
}

/* ---- address index ---------------------------------------------------- */

static void
index_put(struct lb_config *cfg, uint8_t proto, uint32_t addr, uint16_t port,
	  int32_t vip)
{
	struct lb_addr_slot *s =
		(struct lb_addr_slot *)lb_config_addr_slot(cfg, proto, addr,
							   port);

	if (s->used)
		return;         /* an address owned twice (VIPs sharing it) */
	*s = (struct lb_addr_slot){ .addr = addr, .port = port,
				    .proto = proto, .used = 1, .vip = vip };
}

/* At most half full, so a miss ends after a probe or two. */
static int
build_addr_index(struct ctx *c)
{
	struct lb_config *cfg = c->cfg;
	uint32_t n = 2 * cfg->n_vips + cfg->n_ports, i;

	cfg->addr_mask = rte_align32pow2(2 * n + 2) - 1;
	cfg->addr_index = calloc(cfg->addr_mask + 1,
				 sizeof(*cfg->addr_index));
	if (cfg->addr_index == NULL) {
		ERR(c, 1, "out of memory");
		return -1;
	}
	for (i = 0; i < cfg->n_vips; i++) {
		index_put(cfg, cfg->vips[i].proto, cfg->vips[i].addr,
			  cfg->vips[i].port, (int32_t)i);
		index_put(cfg, 0, cfg->vips[i].addr, 0, -1);
	}
	for (i = 0; i < cfg->n_ports; i++)
		index_put(cfg, 0, cfg->ports[i].addr, 0, -1);
	return 0;
}

/* ---- identities ------------------------------------------------------ */

/* Until the specification layer lands: identities in file order. */
static int
fill_ids(struct ctx *c)
{
	struct lb_config *cfg = c->cfg;
	uint32_t i;

	memset(cfg->backend_index, 0xff, sizeof(cfg->backend_index));
	memset(cfg->vip_index, 0xff, sizeof(cfg->vip_index));
	for (i = 0; i < cfg->n_backends; i++) {
		cfg->backends[i].id = (uint16_t)i;
		cfg->backends[i].state = LB_BACKEND_UP;
		cfg->backend_index[i] = (uint16_t)i;
	}
	for (i = 0; i < cfg->n_vips; i++) {
		cfg->vips[i].id = (uint16_t)i;
		cfg->vip_index[i] = (uint16_t)i;
	}
	return 0;
}

/* ---- entry points ---------------------------------------------------- */

static int
build(struct ctx *c)
{
	if (classify(c) < 0 || require_some(c) < 0 || alloc_arrays(c) < 0 ||
	    parse_global(c) < 0 || parse_ports(c) < 0 ||
	    check_port_overlap(c) < 0 || parse_pools(c) < 0 ||
	    parse_vips(c) < 0 || check_vip_unique(c) < 0 ||
	    parse_backends(c) < 0 || check_backend_unique(c) < 0 ||
	    build_pools(c) < 0 || fill_neighs(c) < 0 ||
	    build_addr_index(c) < 0 || fill_ids(c) < 0)
		return -1;
	return 0;
}

static int
load_values(struct ctx *c)
{
	/* the index has already reported anything iniparser would */
	iniparser_set_error_callback(quiet);
	c->dict = iniparser_load(c->path);
	if (c->dict == NULL) {
		ERR(c, 1, "iniparser could not load the file");
		return -1;
	}
	return 0;
}

struct lb_config *
lb_config_parse(const char *path, struct lb_config_error *err)
{
	struct ctx c = { .path = path, .err = err };
	int k, rc = -1;

	err->msg[0] = '\0';
	if (lb_ini_index_build(&c.idx, path, err) < 0)
		return NULL;
	c.cfg = calloc(1, sizeof(*c.cfg));
	if (c.cfg == NULL)
		ERR(&c, 1, "out of memory");
	else if (strlen(path) >= sizeof(c.cfg->path))
		ERR(&c, 1, "path too long");
	else if (load_values(&c) == 0)
		rc = build(&c);
	if (c.cfg != NULL && rc == 0)
		strcpy(c.cfg->path, path);
	if (c.dict != NULL)
		iniparser_freedict(c.dict);
	for (k = 0; k < SEC_KINDS; k++)
		free(c.sec[k]);
	lb_ini_index_free(&c.idx);
	if (rc < 0) {
		lb_config_free(c.cfg);
		return NULL;
	}
	return c.cfg;
}

void
lb_config_free(struct lb_config *cfg)
{
	uint32_t i;

	if (cfg == NULL)
		return;
	for (i = 0; cfg->pools != NULL && i < cfg->n_pools; i++) {
		lb_sched_maglev_free(&cfg->pools[i].maglev);
		free(cfg->pools[i].members);
		free(cfg->pools[i].member_slots);
	}
	free(cfg->ports);
	free(cfg->vips);
	free(cfg->pools);
	free(cfg->backends);
	free(cfg->neighs);
	free(cfg->addr_index);
	free(cfg);
}

double
lb_config_expected_share(const struct lb_config *cfg, uint32_t b)
{
	const struct lb_pool_conf *p;
	uint32_t i;

	if (b >= cfg->n_backends)
		return 0;
	p = &cfg->pools[cfg->backends[b].pool];
	i = cfg->backends[b].member;
	if (p->member_slots == NULL || p->maglev.size == 0 ||
	    i >= p->n_members)
		return 0;
	return (double)p->member_slots[i] / p->maglev.size;
}
