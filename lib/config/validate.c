/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Specification -> snapshot objects, checked. Every value is checked
 * against its key; then each object whose values passed is filled and the
 * cross-rules run over those. Errors are collected, not returned at the
 * first: an operator fixing a file sees every mistake at once. Objects
 * with a bad value are left out of the cross-rules so that one mistake is
 * one message, not a cascade.
 */

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>

#include "build_priv.h"

static const uint32_t kind_max[LB_SECTION_KINDS] = {
	1, LB_MAX_PORTS, LB_MAX_VIPS, LB_MAX_POOLS, LB_MAX_BACKENDS, 1,
};

void
build_error(struct build_ctx *c, const struct lb_spec_section *sec,
	    const char *key, const char *fmt, ...)
{
	const struct lb_spec_value *v = key ? lb_spec_value_of(sec, key) : NULL;
	char where[PATH_MAX + 32], msg[1024];
	va_list ap;

	if (v != NULL)
		lb_spec_where(c->spec, v->origin, v->line, where, sizeof(where));
	else
		lb_spec_where(c->spec, sec->origin, sec->line, where,
			      sizeof(where));
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	lb_config_add_error(c->err, where, "%s", msg);
}

unsigned int
build_line(const struct lb_spec_section *sec, const char *key)
{
	const struct lb_spec_value *v = lb_spec_value_of(sec, key);

	return v != NULL && v->line != 0 ? v->line : sec->line;
}

const char *
build_value(const struct lb_spec_section *sec, const char *key)
{
	return lb_spec_value_effective(sec, lb_config_key_find(sec->kind, key));
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

/* ---- structure -------------------------------------------------------- */

static int
sort_sections(struct build_ctx *c)
{
	const struct lb_spec *s = c->spec;
	unsigned int i;
	int k;

	for (k = 0; k < LB_SECTION_KINDS; k++) {
		c->sec[k] = calloc(s->n_sections + 1, sizeof(*c->sec[k]));
		c->ok[k] = calloc(s->n_sections + 1, 1);
		if (c->sec[k] == NULL || c->ok[k] == NULL) {
			lb_config_add_error(c->err, s->path, "out of memory");
			return -1;
		}
	}
	for (i = 0; i < s->n_sections; i++) {
		const struct lb_spec_section *sec = s->sections[i];

		if (c->n[sec->kind] == kind_max[sec->kind]) {
			build_error(c, sec, NULL,
				    "too many [%s.*] sections (max %u)",
				    lb_section_kind_name(sec->kind),
				    kind_max[sec->kind]);
			return -1;
		}
		c->sec[sec->kind][c->n[sec->kind]++] = sec;
	}
	return 0;
}

static int
require_some(struct build_ctx *c)
{
	unsigned int eof = c->spec->end_line ? c->spec->end_line : 1;
	int rc = 0;

	if (c->n[LB_SECTION_PORT] == 0) {
		lb_config_set_error(c->err, c->spec->path, eof,
			"no [port.NAME] section: at least one is required");
		rc = -1;
	}
	if (c->n[LB_SECTION_VIP] == 0) {
		lb_config_set_error(c->err, c->spec->path, eof,
			"no [vip.NAME] section: at least one is required");
		rc = -1;
	}
	return rc;
}

/* ---- every value against its key --------------------------------------- */

/* In file order, then what is missing: messages follow the lines. */
static int
check_section(struct build_ctx *c, const struct lb_spec_section *sec)
{
	const struct lb_config_key *keys, *k;
	unsigned int n, i;
	char msg[512];
	int ok = 1;

	for (i = 0; i < sec->n_values; i++) {
		const struct lb_spec_value *v = &sec->values[i];

		k = lb_config_key_find(sec->kind, v->key);
		if (k == NULL) {        /* only a hand-made spec can have one */
			build_error(c, sec, v->key, "unknown key '%s' in [%s]",
				    v->key, sec->name);
			ok = 0;
		} else if (lb_config_key_check(k, v->value, msg,
					       sizeof(msg)) < 0) {
			build_error(c, sec, v->key, "%s", msg);
			ok = 0;
		}
	}
	keys = lb_config_keys(&n);
	for (i = 0; i < n; i++) {
		if (keys[i].section != sec->kind || keys[i].def != NULL ||
		    lb_spec_value_of(sec, keys[i].name) != NULL)
			continue;
		build_error(c, sec, NULL, "missing required key '%s' in [%s]",
			    keys[i].name, sec->name);
		ok = 0;
	}
	return ok;
}

static void
check_values(struct build_ctx *c)
{
	uint32_t i;
	int k;

	for (k = 0; k < LB_SECTION_KINDS; k++)
		for (i = 0; i < c->n[k]; i++)
			c->ok[k][i] = (uint8_t)check_section(c, c->sec[k][i]);
	c->ports_ok = 1;
	for (i = 0; i < c->n[LB_SECTION_PORT]; i++)
		c->ports_ok &= c->ok[LB_SECTION_PORT][i];
}

static int
alloc_arrays(struct build_ctx *c)
{
	struct lb_config *cfg = c->cfg;
	uint32_t extra = c->opts != NULL ? c->opts->n_retain : 0;

	cfg->n_ports = c->n[LB_SECTION_PORT];
	cfg->n_vips = c->n[LB_SECTION_VIP];
	cfg->n_pools = c->n[LB_SECTION_POOL];
	cfg->n_backends = c->n[LB_SECTION_BACKEND];
	cfg->ports = calloc(cfg->n_ports + 1, sizeof(*cfg->ports));
	cfg->vips = calloc(cfg->n_vips + 1, sizeof(*cfg->vips));
	cfg->pools = calloc(cfg->n_pools + 1, sizeof(*cfg->pools));
	/* retained backends go after the specification's */
	cfg->backends = calloc(cfg->n_backends + extra + 1,
			       sizeof(*cfg->backends));
	/* at most one next hop per backend and per port gateway */
	cfg->neighs = calloc(cfg->n_backends + extra + cfg->n_ports + 1,
			     sizeof(*cfg->neighs));
	if (cfg->ports == NULL || cfg->vips == NULL || cfg->pools == NULL ||
	    cfg->backends == NULL || cfg->neighs == NULL) {
		lb_config_add_error(c->err, c->spec->path, "out of memory");
		return -1;
	}
	return 0;
}

/* ---- [global] and [port.*] -------------------------------------------- */

static void
copy_str(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src);
}

/*
 * The scheduler's key: configured, else the running snapshot's (the key
 * changes only with a restart, so a file without one - `config`'s own
 * output, which never prints it - keeps it), else a new random one. A
 * fixed default would be a key every outsider knows.
 */
static void
fill_hash_key(struct build_ctx *c, const struct lb_spec_section *s,
	      struct lb_global_conf *g)
{
	const struct lb_config *prev = c->opts != NULL ? c->opts->prev : NULL;
	const char *v = build_value(s, "hash_key");
	int rc;

	g->hash_key_generated = *v == '\0';
	if (!g->hash_key_generated) {
		lb_hash_key_parse(v, &g->hash_key);     /* checked already */
		return;
	}
	if (prev != NULL) {
		g->hash_key = prev->global.hash_key;
		g->hash_key_generated = prev->global.hash_key_generated;
		return;
	}
	rc = lb_hash_key_random(&g->hash_key);
	if (rc != 0)
		build_error(c, s, "hash_key", "no hash_key and no random one: "
			    "getrandom: %s", strerror(-rc));
}

static void
fill_global(struct build_ctx *c)
{
	static const struct lb_spec_section none = {
		.name = (char *)"global", .kind = LB_SECTION_GLOBAL,
	};
	const struct lb_spec_section *s = c->n[LB_SECTION_GLOBAL] ?
		c->sec[LB_SECTION_GLOBAL][0] : &none;
	struct lb_global_conf *g = &c->cfg->global;

	if (s != &none && !c->ok[LB_SECTION_GLOBAL][0])
		return;
	copy_str(g->socket, sizeof(g->socket), build_value(s, "socket"));
	copy_str(g->eal_args, sizeof(g->eal_args), build_value(s, "eal_args"));
	copy_str(g->audit_log, sizeof(g->audit_log),
		 build_value(s, "audit_log"));
	copy_str(g->socket_group, sizeof(g->socket_group),
		 build_value(s, "socket_group"));
	copy_str(g->admin_group, sizeof(g->admin_group),
		 build_value(s, "admin_group"));
	g->workers = lb_key_u32(build_value(s, "workers"));
	g->flow_table_size = lb_key_u32(build_value(s, "flow_table_size"));
	g->idle_sleep_us = lb_key_u32(build_value(s, "idle_sleep_us"));
	g->extra_mbufs = lb_key_u32(build_value(s, "extra_mbufs"));
	g->tcp_timeout = lb_key_u32(build_value(s, "tcp_timeout"));
	g->tcp_fin_timeout = lb_key_u32(build_value(s, "tcp_fin_timeout"));
	g->tcp_syn_timeout = lb_key_u32(build_value(s, "tcp_syn_timeout"));
	g->udp_timeout = lb_key_u32(build_value(s, "udp_timeout"));
	g->icmp_echo_rate = lb_key_u32(build_value(s, "icmp_echo_rate"));
	g->icmp_echo_burst = lb_key_u32(build_value(s, "icmp_echo_burst"));
	g->arp_reply_rate = lb_key_u32(build_value(s, "arp_reply_rate"));
	g->arp_reply_burst = lb_key_u32(build_value(s, "arp_reply_burst"));
	fill_hash_key(c, s, g);
	g->policy_warn = strcmp(build_value(s, "policy"), "warn") == 0;
	g->strict = strcmp(build_value(s, "strict"), "yes") == 0;
	if (*build_value(s, "metrics_listen") != '\0')
		lb_key_listen(build_value(s, "metrics_listen"),
			      &g->metrics_addr, &g->metrics_port);
	g->watch_window_s = lb_key_u32(build_value(s, "watch_window_s"));
	g->watch_for_s = lb_key_u32(build_value(s, "watch_for_s"));
}

static void
check_gateway(struct build_ctx *c, const struct lb_spec_section *s,
	      const struct lb_port_conf *p)
{
	uint32_t m = mask_of(p->prefix_len);
	char a[INET_ADDRSTRLEN], n[INET_ADDRSTRLEN];

	if (p->gateway == 0)
		return;
	if ((p->gateway & m) != (p->addr & m))
		build_error(c, s, "gateway",
			    "gateway %s is not inside port %s's subnet %s/%u",
			    ipstr(p->gateway, a), p->name,
			    ipstr(p->addr & m, n), p->prefix_len);
	else if (p->gateway == p->addr)
		build_error(c, s, "gateway",
			    "gateway %s is port %s's own address",
			    ipstr(p->gateway, a), p->name);
}

/*
 * What Linux accepts as a name (dev_valid_name) narrowed to characters
 * that need no quoting in ip(8), sysctl paths or logs; an empty value
 * means no kernel interface. The length is the key's own check.
 */
static void
check_kernel_interface(struct build_ctx *c, const struct lb_spec_section *s,
		       const struct lb_port_conf *p)
{
	const char *n = p->kernel_interface;
	size_t len = strlen(n);

	if (len == 0 ||
	    (strspn(n, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		       "0123456789_.-") == len &&
	     strcmp(n, ".") != 0 && strcmp(n, "..") != 0))
		return;
	build_error(c, s, "kernel_interface",
		    "kernel_interface = '%s': not a Linux interface name (1..%d characters of A-Z, a-z, 0-9, '_', '-' and '.'; not '.' or '..')",
		    n, LB_IFNAME_MAX);
}

/*
 * A kernel interface would see the port's tagged frames and send its own
 * untagged: the exception path does not tag or untag (yet), so the two
 * are refused together rather than half working.
 */
static void
check_vlan(struct build_ctx *c, const struct lb_spec_section *s,
	   const struct lb_port_conf *p)
{
	if (p->vlan != 0 && p->kernel_interface[0] != '\0')
		build_error(c, s, "vlan",
			    "port %s: vlan = %u with kernel_interface = %s is "
			    "not supported yet (the kernel path carries "
			    "untagged frames only)", p->name, p->vlan,
			    p->kernel_interface);
}

/* Kernel interfaces' TAPs are DPDK devices too: a data port named like
 * one would be found in its place, or keep it from being made. */
static void
check_device_not_kernel_tap(struct build_ctx *c,
			    const struct lb_spec_section *s,
			    const struct lb_port_conf *p)
{
	if (strncmp(p->device, LB_KERNEL_VDEV_PREFIX,
		    strlen(LB_KERNEL_VDEV_PREFIX)) != 0)
		return;
	build_error(c, s, "device",
		    "device = '%s': names starting with %s are edgelbd's own (kernel interfaces)",
		    p->device, LB_KERNEL_VDEV_PREFIX);
}

static void
fill_ports(struct build_ctx *c)
{
	uint32_t i;

	for (i = 0; i < c->cfg->n_ports; i++) {
		const struct lb_spec_section *s = c->sec[LB_SECTION_PORT][i];
		struct lb_port_conf *p = &c->cfg->ports[i];

		copy_str(p->name, sizeof(p->name), lb_spec_section_short(s));
		if (!c->ok[LB_SECTION_PORT][i])
			continue;
		copy_str(p->device, sizeof(p->device), build_value(s, "device"));
		check_device_not_kernel_tap(c, s, p);
		lb_key_prefix(build_value(s, "address"), &p->addr,
			      &p->prefix_len);
		p->gateway = lb_key_ipv4(build_value(s, "gateway"));
		check_gateway(c, s, p);
		copy_str(p->kernel_interface, sizeof(p->kernel_interface),
			 build_value(s, "kernel_interface"));
		check_kernel_interface(c, s, p);
		p->vlan = (uint16_t)lb_key_u32(build_value(s, "vlan"));
		check_vlan(c, s, p);
	}
}

static void
check_port_overlap(struct build_ctx *c)
{
	const struct lb_config *cfg = c->cfg;
	const struct lb_spec_section **sec = c->sec[LB_SECTION_PORT];
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];
	uint32_t i, j, m;

	for (j = 0; c->ports_ok && j < cfg->n_ports; j++) {
		const struct lb_port_conf *pj = &cfg->ports[j];

		for (i = 0; i < j; i++) {
			const struct lb_port_conf *pi = &cfg->ports[i];

			m = mask_of(RTE_MIN(pi->prefix_len, pj->prefix_len));
			if ((pi->addr & m) != (pj->addr & m))
				continue;
			build_error(c, sec[j], "address",
				"port %s subnet %s/%u overlaps port %s subnet %s/%u (line %u)",
				pj->name,
				ipstr(pj->addr & mask_of(pj->prefix_len), a),
				pj->prefix_len, pi->name,
				ipstr(pi->addr & mask_of(pi->prefix_len), b),
				pi->prefix_len, build_line(sec[i], "address"));
			break;
		}
	}
}

/* Two ports cannot share one kernel interface: the second would fail to
 * create it at start, long after the file was accepted. */
static void
check_kernel_unique(struct build_ctx *c)
{
	const struct lb_config *cfg = c->cfg;
	const struct lb_spec_section **sec = c->sec[LB_SECTION_PORT];
	uint32_t i, j;

	for (j = 0; j < cfg->n_ports; j++) {
		const char *nj = cfg->ports[j].kernel_interface;

		for (i = 0; nj[0] != '\0' && i < j; i++) {
			if (strcmp(nj, cfg->ports[i].kernel_interface) != 0)
				continue;
			build_error(c, sec[j], "kernel_interface",
				    "kernel_interface '%s' is also port %s's (line %u)",
				    nj, cfg->ports[i].name,
				    build_line(sec[i], "kernel_interface"));
			break;
		}
	}
}

/* ---- [pool.*] ----------------------------------------------------------- */

static void
near_primes(uint32_t n, uint32_t *below, uint32_t *above)
{
	for (*below = n; *below > 2 && !lb_sched_is_prime(*below); (*below)--)
		;
	for (*above = n; *above < UINT32_MAX && !lb_sched_is_prime(*above);
	     (*above)++)
		;
}

/* Unset numbers stay 0 (max_share_change: LB_CONFIG_UNSET): no policy. */
static void
fill_pool_policy(const struct lb_spec_section *s, struct lb_pool_conf *p)
{
	const char *change = build_value(s, "max_share_change");

	if (lb_key_count_percent(build_value(s, "min_healthy"),
				 &p->min_healthy, &p->min_healthy_percent) < 0)
		p->min_healthy = 0;
	p->max_weight_ratio = lb_key_u32(build_value(s, "max_weight_ratio"));
	p->n_minus_1 = strcmp(build_value(s, "n_minus_1"), "yes") == 0;
	p->max_share_change = *change != '\0' ? lb_key_u32(change) :
				LB_CONFIG_UNSET;
}

static void
fill_health(struct build_ctx *c, const struct lb_spec_section *s,
	    struct lb_pool_conf *p)
{
	const struct lb_config_key *kind =
		lb_config_key_find(LB_SECTION_POOL, "health");
	const struct lb_config_key *all_down =
		lb_config_key_find(LB_SECTION_POOL, "all_down");
	struct lb_health_conf *h = &p->health;

	h->kind = (uint8_t)lb_key_word(kind, build_value(s, "health"));
	h->port = (uint16_t)lb_key_u32(build_value(s, "health_port"));
	h->interval_ms = lb_key_u32(build_value(s, "health_interval_ms"));
	h->timeout_ms = lb_key_u32(build_value(s, "health_timeout_ms"));
	h->rise = (uint16_t)lb_key_u32(build_value(s, "health_rise"));
	h->fall = (uint16_t)lb_key_u32(build_value(s, "health_fall"));
	copy_str(h->path, sizeof(h->path), build_value(s, "health_path"));
	copy_str(h->host, sizeof(h->host), build_value(s, "health_host"));
	lb_key_status_range(build_value(s, "health_expect"), &h->expect_lo,
			    &h->expect_hi);
	p->all_down = (enum lb_all_down)lb_key_word(all_down,
					build_value(s, "all_down"));
	p->slow_start_s = lb_key_u32(build_value(s, "slow_start_s"));
	fill_pool_policy(s, p);
	/* One check in flight per backend: the next is due only after the
	 * last one ended. */
	if (h->timeout_ms > h->interval_ms)
		build_error(c, s, "health_timeout_ms",
			    "health_timeout_ms = %u is longer than "
			    "health_interval_ms = %u", h->timeout_ms,
			    h->interval_ms);
}

static void
fill_pools(struct build_ctx *c)
{
	const struct lb_config_key *on_remove =
		lb_config_key_find(LB_SECTION_POOL, "on_remove");
	uint32_t i, lo, hi;

	for (i = 0; i < c->cfg->n_pools; i++) {
		const struct lb_spec_section *s = c->sec[LB_SECTION_POOL][i];
		struct lb_pool_conf *p = &c->cfg->pools[i];

		copy_str(p->name, sizeof(p->name), lb_spec_section_short(s));
		if (!c->ok[LB_SECTION_POOL][i])
			continue;
		p->scheduler = LB_SCHED_MAGLEV;
		p->table_size = lb_key_u32(build_value(s, "table_size"));
		p->on_remove = (enum lb_on_remove)lb_key_word(on_remove,
					build_value(s, "on_remove"));
		fill_health(c, s, p);
		if (lb_sched_is_prime(p->table_size))
			continue;
		near_primes(p->table_size, &lo, &hi);
		build_error(c, s, "table_size",
			    "table_size = %u is not prime (try %u or %u)",
			    p->table_size, lo, hi);
		c->ok[LB_SECTION_POOL][i] = 0;
	}
}

/* The pool @s names (ok or not: counting members must not cascade). */
static uint32_t
pool_ref(struct build_ctx *c, const struct lb_spec_section *s, int report)
{
	const struct lb_spec_value *v = lb_spec_value_of(s, "pool");
	uint32_t i;

	if (v == NULL)
		return UINT32_MAX;
	for (i = 0; i < c->cfg->n_pools; i++)
		if (strcmp(c->cfg->pools[i].name, v->value) == 0)
			return i;
	if (report)
		build_error(c, s, "pool",
			    "pool '%s' does not exist (no [pool.%s])",
			    v->value, v->value);
	return UINT32_MAX;
}

/* ---- addresses no client or server can be at ------------------------------ */

/*
 * 0/8 (this network), 127/8 (loopback), 224/4 (multicast) and 240/4
 * (class E, with the limited broadcast): a VIP there is answered by no
 * router, a backend there is not a host.
 */
static const char *
not_unicast(uint32_t addr)
{
	uint32_t h = ntohl(addr);

	if ((h >> 24) == 0)
		return "in 0.0.0.0/8";
	if ((h >> 24) == 127)
		return "a loopback address";
	if ((h >> 28) == 0xe)
		return "a multicast address";
	if ((h >> 28) == 0xf)
		return "a class E or broadcast address";
	return NULL;
}

/*
 * The network or broadcast address of a port's subnet (prefix <= 30):
 * never a VIP's or a backend's; nor the port's gateway a VIP's (edgelb
 * would answer ARP for the router).
 */
static const char *
port_reserved(const struct lb_config *cfg, uint32_t addr, int vip,
	      uint32_t *port)
{
	uint32_t i, m;

	for (i = 0; i < cfg->n_ports; i++) {
		const struct lb_port_conf *p = &cfg->ports[i];

		*port = i;
		m = mask_of(p->prefix_len);
		if (vip && p->gateway != 0 && addr == p->gateway)
			return "the gateway";
		if (p->prefix_len > 30 || (addr & m) != (p->addr & m))
			continue;
		if (addr == (p->addr & m))
			return "the network address of the subnet";
		if (addr == (p->addr | ~m))
			return "the broadcast address of the subnet";
	}
	return NULL;
}

/* 0, or -1 with the error reported against @key of @s. */
static int
check_host_address(struct build_ctx *c, const struct lb_spec_section *s,
		   const char *what, const char *name, uint32_t addr)
{
	char a[INET_ADDRSTRLEN];
	const char *why = not_unicast(addr);
	uint32_t port;

	if (why != NULL) {
		build_error(c, s, "address", "%s %s: %s is %s", what, name,
			    ipstr(addr, a), why);
		return -1;
	}
	if (c->ports_ok && (why = port_reserved(c->cfg, addr,
						 strcmp(what, "vip") == 0,
						 &port)) != NULL) {
		build_error(c, s, "address", "%s %s: %s is %s of port %s",
			    what, name, ipstr(addr, a), why,
			    c->cfg->ports[port].name);
		return -1;
	}
	return 0;
}

/*
 * A port's own address must be a host's, not its subnet's network or
 * broadcast address (prefix <= 30: /31 and /32 have none); its gateway
 * neither. ARP for such an address would be answered for everyone.
 */
static const char *
port_address_bad(uint32_t addr, const struct lb_port_conf *p)
{
	uint32_t m = mask_of(p->prefix_len);
	const char *why = not_unicast(addr);

	if (why != NULL)
		return why;
	if (p->prefix_len <= 30 && addr == (p->addr & m))
		return "the network address of the subnet";
	if (p->prefix_len <= 30 && addr == (p->addr | ~m))
		return "the broadcast address of the subnet";
	return NULL;
}

static void
check_port_addresses(struct build_ctx *c)
{
	char a[INET_ADDRSTRLEN];
	const char *why;
	uint32_t i;

	for (i = 0; i < c->cfg->n_ports; i++) {
		const struct lb_spec_section *s = c->sec[LB_SECTION_PORT][i];
		struct lb_port_conf *p = &c->cfg->ports[i];

		if (!c->ok[LB_SECTION_PORT][i])
			continue;
		why = port_address_bad(p->addr, p);
		if (why != NULL) {
			build_error(c, s, "address", "port %s: %s is %s",
				    p->name, ipstr(p->addr, a), why);
			c->ok[LB_SECTION_PORT][i] = 0;
			c->ports_ok = 0;
			continue;
		}
		why = p->gateway != 0 ? port_address_bad(p->gateway, p) : NULL;
		if (why != NULL)
			build_error(c, s, "gateway", "port %s: gateway %s is %s",
				    p->name, ipstr(p->gateway, a), why);
	}
}

/* ---- [vip.*] -------------------------------------------------------------- */

static void
fill_vips(struct build_ctx *c)
{
	uint32_t i;

	for (i = 0; i < c->cfg->n_vips; i++) {
		const struct lb_spec_section *s = c->sec[LB_SECTION_VIP][i];
		struct lb_vip_conf *vip = &c->cfg->vips[i];
		uint8_t *ok = &c->ok[LB_SECTION_VIP][i];

		copy_str(vip->name, sizeof(vip->name), lb_spec_section_short(s));
		if (!*ok)
			continue;
		vip->addr = lb_key_ipv4(build_value(s, "address"));
		vip->port = (uint16_t)lb_key_u32(build_value(s, "port"));
		vip->proto = strcmp(build_value(s, "protocol"), "udp") == 0 ?
			IPPROTO_UDP : IPPROTO_TCP;
		vip->mode = LB_FWD_DR;
		vip->expected_rate = lb_key_u32(build_value(s, "expected_rate"));
		vip->announce = strcmp(build_value(s, "announce"), "yes") == 0;
		vip->pool = pool_ref(c, s, 1);
		if (vip->pool == UINT32_MAX ||
		    check_host_address(c, s, "vip", vip->name, vip->addr) < 0)
			*ok = 0;
	}
}

static void
check_vip_unique(struct build_ctx *c)
{
	const struct lb_config *cfg = c->cfg;
	const struct lb_spec_section **sec = c->sec[LB_SECTION_VIP];
	char a[INET_ADDRSTRLEN];
	uint32_t i, j;

	for (j = 0; j < cfg->n_vips; j++) {
		const struct lb_vip_conf *vj = &cfg->vips[j];

		for (i = 0; c->ok[LB_SECTION_VIP][j] && i < j; i++) {
			const struct lb_vip_conf *vi = &cfg->vips[i];

			if (!c->ok[LB_SECTION_VIP][i] || vi->proto != vj->proto ||
			    vi->addr != vj->addr || vi->port != vj->port)
				continue;
			build_error(c, sec[j], NULL,
				"duplicate VIP %s %s:%u: [vip.%s] repeats [vip.%s] (first at line %u)",
				vj->proto == IPPROTO_TCP ? "tcp" : "udp",
				ipstr(vj->addr, a), vj->port, vj->name,
				vi->name, sec[i]->line);
			break;
		}
	}
}

/* ---- [backend.*] ------------------------------------------------------ */

static int
backend_not_vip(struct build_ctx *c, const struct lb_spec_section *s,
		const struct lb_backend_conf *b)
{
	char a[INET_ADDRSTRLEN];
	uint32_t i;

	for (i = 0; i < c->cfg->n_vips; i++) {
		if (!c->ok[LB_SECTION_VIP][i] || c->cfg->vips[i].addr != b->addr)
			continue;
		build_error(c, s, "address",
			    "backend %s: %s is the address of vip %s", b->name,
			    ipstr(b->addr, a), c->cfg->vips[i].name);
		return -1;
	}
	return 0;
}

uint32_t
lb_config_port_of(const struct lb_config *cfg, uint32_t addr, uint32_t *own)
{
	uint32_t i;

	*own = UINT32_MAX;
	for (i = 0; i < cfg->n_ports; i++) {
		const struct lb_port_conf *p = &cfg->ports[i];
		uint32_t m = mask_of(p->prefix_len);

		if (addr == p->addr) {
			*own = i;
			return UINT32_MAX;
		}
		if ((addr & m) == (p->addr & m))
			return i;
	}
	return UINT32_MAX;
}

/* DR rewrites only the MAC: the backend must share a port's subnet. */
static int
backend_on_link(struct build_ctx *c, const struct lb_spec_section *s,
		struct lb_backend_conf *b)
{
	char a[INET_ADDRSTRLEN];
	uint32_t own;

	b->port = lb_config_port_of(c->cfg, b->addr, &own);
	if (own != UINT32_MAX) {
		build_error(c, s, "address",
			    "backend %s: %s is port %s's own address", b->name,
			    ipstr(b->addr, a), c->cfg->ports[own].name);
		return -1;
	}
	if (b->port != UINT32_MAX)
		return 0;
	build_error(c, s, "address",
		    "backend %s: %s is not on-link on any port (dr mode sends frames to the backend's MAC)",
		    b->name, ipstr(b->addr, a));
	return -1;
}

static void
fill_backend(const struct lb_spec_section *s, struct lb_backend_conf *b)
{
	static const uint8_t state[] = { LB_BACKEND_UP, LB_BACKEND_DRAINED,
					 LB_BACKEND_DISABLED };
	const struct lb_config_key *admin =
		lb_config_key_find(LB_SECTION_BACKEND, "admin_state");
	const char *mac = build_value(s, "mac");

	b->addr = lb_key_ipv4(build_value(s, "address"));
	b->weight = lb_key_u32(build_value(s, "weight"));
	b->state = state[lb_key_word(admin, build_value(s, "admin_state"))];
	b->health_port = (uint16_t)lb_key_u32(build_value(s, "health_port"));
	b->max_share = lb_key_u32(build_value(s, "max_share"));
	b->capacity = lb_key_u32(build_value(s, "capacity"));
	b->has_mac = *mac != '\0' && lb_key_mac(mac, b->mac) == 0;
}

static void
fill_backends(struct build_ctx *c)
{
	const struct lb_config_key *kpool =
		lb_config_key_find(LB_SECTION_BACKEND, "pool");
	char msg[256];
	uint32_t i;

	for (i = 0; i < c->cfg->n_backends; i++) {
		const struct lb_spec_section *s = c->sec[LB_SECTION_BACKEND][i];
		const char *pool = build_value(s, "pool");
		struct lb_backend_conf *b = &c->cfg->backends[i];
		uint8_t *ok = &c->ok[LB_SECTION_BACKEND][i];

		copy_str(b->name, sizeof(b->name), lb_spec_section_short(s));
		b->member = UINT32_MAX;
		b->pool = pool_ref(c, s, lb_config_key_check(kpool, pool, msg,
							     sizeof(msg)) == 0);
		if (b->pool == UINT32_MAX)
			*ok = 0;
		if (!*ok)
			continue;
		fill_backend(s, b);
		if (!c->ports_ok || backend_not_vip(c, s, b) < 0 ||
		    check_host_address(c, s, "backend", b->name,
				       b->addr) < 0 ||
		    backend_on_link(c, s, b) < 0)
			*ok = 0;
	}
}

/* A backend listed twice in a pool would take twice its share. */
static void
check_backend_unique(struct build_ctx *c)
{
	const struct lb_config *cfg = c->cfg;
	const struct lb_spec_section **sec = c->sec[LB_SECTION_BACKEND];
	const uint8_t *ok = c->ok[LB_SECTION_BACKEND];
	char a[INET_ADDRSTRLEN];
	uint32_t i, j;

	for (j = 0; j < cfg->n_backends; j++) {
		const struct lb_backend_conf *bj = &cfg->backends[j];

		for (i = 0; ok[j] && i < j; i++) {
			const struct lb_backend_conf *bi = &cfg->backends[i];

			if (!ok[i] || bi->pool != bj->pool ||
			    bi->addr != bj->addr)
				continue;
			build_error(c, sec[j], "address",
				"backend %s: address %s repeats backend %s in pool %s (first at line %u)",
				bj->name, ipstr(bj->addr, a), bi->name,
				cfg->pools[bj->pool].name,
				build_line(sec[i], "address"));
			break;
		}
	}
}

/* ---- pools against their backends -------------------------------------- */

static uint32_t
pool_size(const struct lb_config *cfg, uint32_t pi)
{
	uint32_t i, n = 0;

	for (i = 0; i < cfg->n_backends; i++)
		n += cfg->backends[i].pool == pi;
	return n;
}

/* Counted over the specification: draining never makes a file invalid. */
static void
check_pool_sizes(struct build_ctx *c)
{
	uint32_t i, n;

	for (i = 0; i < c->cfg->n_pools; i++) {
		const struct lb_spec_section *s = c->sec[LB_SECTION_POOL][i];
		const struct lb_pool_conf *p = &c->cfg->pools[i];

		if (!c->ok[LB_SECTION_POOL][i])
			continue;
		n = pool_size(c->cfg, i);
		if (n > LB_SCHED_MAX_BACKENDS)
			build_error(c, s, NULL,
				    "pool %s has %u backends (max %u)",
				    p->name, n, LB_SCHED_MAX_BACKENDS);
		else if (p->table_size <= n)
			build_error(c, s, "table_size",
				    "table_size = %u must be larger than the number of backends in pool %s (%u)",
				    p->table_size, p->name, n);
	}
}

static void
check_vip_pools(struct build_ctx *c)
{
	uint32_t i;

	for (i = 0; i < c->cfg->n_vips; i++) {
		const struct lb_vip_conf *v = &c->cfg->vips[i];

		if (!c->ok[LB_SECTION_VIP][i] || pool_size(c->cfg, v->pool) > 0)
			continue;
		build_error(c, c->sec[LB_SECTION_VIP][i], "pool",
			    "vip %s: pool %s has no backends", v->name,
			    c->cfg->pools[v->pool].name);
	}
}

/*
 * The value that made pool @p pi all weight 0: a runtime change's first
 * (the one that did it), else the last in the file. Every backend's weight
 * was set, since the default is 1.
 */
static uint32_t
weight_culprit(struct build_ctx *c, uint32_t pi)
{
	const struct lb_spec_value *v;
	uint32_t i, last = UINT32_MAX;

	for (i = 0; i < c->cfg->n_backends; i++) {
		if (c->cfg->backends[i].pool != pi)
			continue;
		v = lb_spec_value_of(c->sec[LB_SECTION_BACKEND][i], "weight");
		if (v != NULL && v->origin != NULL)
			return i;
		last = i;
	}
	return last;
}

/*
 * A pool whose every backend has weight 0 has an empty table: its VIPs
 * drop every new flow, by configuration rather than by any event. Drained,
 * disabled or down backends keep their weight and are not this: those
 * are states an operator or a check sets, and all_down says what then.
 */
static void
check_pool_weights(struct build_ctx *c)
{
	const struct lb_config *cfg = c->cfg;
	uint32_t pi, i, n, b;

	for (pi = 0; pi < cfg->n_pools; pi++) {
		for (i = 0, n = 0; i < cfg->n_backends; i++) {
			if (cfg->backends[i].pool != pi)
				continue;
			if (!c->ok[LB_SECTION_BACKEND][i] ||
			    cfg->backends[i].weight > 0)
				break;
			n++;
		}
		if (i < cfg->n_backends || n == 0 || !c->ok[LB_SECTION_POOL][pi])
			continue;
		for (i = 0; i < cfg->n_vips; i++)
			if (c->ok[LB_SECTION_VIP][i] && cfg->vips[i].pool == pi)
				break;
		if (i == cfg->n_vips)
			continue;       /* serves nothing: harmless */
		b = weight_culprit(c, pi);
		build_error(c, c->sec[LB_SECTION_BACKEND][b], "weight",
			    "pool %s: every backend has weight 0, so vip %s "
			    "would drop every new flow (drain or disable "
			    "backends instead)", cfg->pools[pi].name,
			    cfg->vips[i].name);
	}
}

/* The port of the first VIP (in file order) that pool @pi serves, or 0. */
static uint16_t
pool_vip_port(const struct lb_config *cfg, uint32_t pi)
{
	uint32_t i;

	for (i = 0; i < cfg->n_vips; i++)
		if (cfg->vips[i].pool == pi)
			return cfg->vips[i].port;
	return 0;
}

/* Where each backend is checked: its own health_port, its pool's, or the
 * port its pool serves. A checked pool must have one. */
static void
set_check_ports(struct build_ctx *c)
{
	struct lb_config *cfg = c->cfg;
	uint32_t i, pi;

	for (i = 0; i < cfg->n_pools; i++) {
		const struct lb_health_conf *h = &cfg->pools[i].health;

		if (c->ok[LB_SECTION_POOL][i] && h->kind != LB_HEALTH_NONE &&
		    h->port == 0 && pool_vip_port(cfg, i) == 0)
			build_error(c, c->sec[LB_SECTION_POOL][i], "health",
				    "pool %s: health = %s but no port to check "
				    "(set health_port, or serve a VIP)",
				    cfg->pools[i].name,
				    build_value(c->sec[LB_SECTION_POOL][i],
						"health"));
	}
	for (i = 0; i < cfg->n_backends; i++) {
		struct lb_backend_conf *b = &cfg->backends[i];

		pi = b->pool;
		if (!c->ok[LB_SECTION_BACKEND][i] || pi >= cfg->n_pools)
			continue;
		b->check_port = b->health_port != 0 ? b->health_port :
				cfg->pools[pi].health.port != 0 ?
				cfg->pools[pi].health.port :
				pool_vip_port(cfg, pi);
	}
}

int
lb_config_validate(struct build_ctx *c)
{
	if (sort_sections(c) < 0 || require_some(c) < 0)
		return -1;
	check_values(c);
	if (alloc_arrays(c) < 0)
		return -1;
	fill_global(c);
	fill_ports(c);
	check_port_addresses(c);
	check_port_overlap(c);
	check_kernel_unique(c);
	fill_pools(c);
	fill_vips(c);
	check_vip_unique(c);
	fill_backends(c);
	check_backend_unique(c);
	check_pool_sizes(c);
	check_vip_pools(c);
	check_pool_weights(c);
	set_check_ports(c);
	lb_config_fill_bgp(c);
	return c->err->n == 0 ? 0 : -1;
}
