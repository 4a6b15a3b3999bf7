/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * [bgp]: the keys lib/bgp turns into BIRD 2's configuration. BGP runs
 * over the kernel exception path, so every neighbour must be on-link on a
 * port that has a kernel_interface: anything else would be a session that
 * can never come up, found long after the file was accepted.
 */

#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "build_priv.h"

static uint32_t
mask_of(uint8_t len)
{
	return htonl(len == 0 ? 0 : UINT32_MAX << (32 - len));
}

/* The port with a kernel interface whose subnet holds @p addr, else
 * UINT32_MAX; *@p own says it is that port's own address. */
static uint32_t
kernel_port_of(const struct lb_config *cfg, uint32_t addr, int *own)
{
	uint32_t i;

	*own = 0;
	for (i = 0; i < cfg->n_ports; i++) {
		const struct lb_port_conf *p = &cfg->ports[i];
		uint32_t m = mask_of(p->prefix_len);

		if (p->kernel_interface[0] == '\0' ||
		    (p->addr & m) != (addr & m))
			continue;
		*own = addr == p->addr;
		return i;
	}
	return UINT32_MAX;
}

/* "ADDRESS AS" with nothing else: @return 0, or -1. */
static int
parse_neighbor(const char *text, uint32_t *addr, uint32_t *as)
{
	char ip[INET_ADDRSTRLEN], rest[16], more[2];
	struct in_addr a;
	char *end;
	unsigned long n;

	if (sscanf(text, " %15s %15s %1s", ip, rest, more) != 2 ||
	    inet_pton(AF_INET, ip, &a) != 1 || !isdigit((unsigned char)rest[0]))
		return -1;
	n = strtoul(rest, &end, 10);
	if (*end != '\0' || n == 0 || n > UINT32_MAX)
		return -1;
	*addr = a.s_addr;
	*as = (uint32_t)n;
	return 0;
}

static void
fill_neighbors(struct build_ctx *c, const struct lb_spec_section *s,
	       struct lb_bgp_conf *b)
{
	char *list = strdup(build_value(s, "neighbor")), *save = NULL, *one;
	char a[INET_ADDRSTRLEN];
	struct lb_bgp_neighbor *nb;
	uint32_t i;
	int own;

	if (list == NULL) {
		build_error(c, s, "neighbor", "out of memory");
		return;
	}
	for (one = strtok_r(list, ",", &save); one != NULL;
	     one = strtok_r(NULL, ",", &save)) {
		if (b->n_neighbors == LB_BGP_MAX_NEIGHBORS) {
			build_error(c, s, "neighbor", "neighbor: more than %d "
				    "neighbours", LB_BGP_MAX_NEIGHBORS);
			break;
		}
		nb = &b->neighbors[b->n_neighbors];
		if (parse_neighbor(one, &nb->addr, &nb->as) != 0) {
			build_error(c, s, "neighbor", "neighbor '%s': expected "
				    "'ADDRESS AS' (an IPv4 address and an AS "
				    "number 1..4294967295)", one);
			continue;
		}
		inet_ntop(AF_INET, &nb->addr, a, sizeof(a));
		nb->port = kernel_port_of(c->cfg, nb->addr, &own);
		if (nb->port == UINT32_MAX || own) {
			build_error(c, s, "neighbor", "neighbor %s is %s: BGP "
				    "runs over the kernel exception path", a,
				    own ? "this box's own port address" :
				    "not on-link on any port with a "
				    "kernel_interface");
			continue;
		}
		for (i = 0; i < b->n_neighbors; i++)
			if (b->neighbors[i].addr == nb->addr)
				break;
		if (i < b->n_neighbors) {
			build_error(c, s, "neighbor", "neighbor %s is listed "
				    "twice", a);
			continue;
		}
		b->n_neighbors++;
	}
	free(list);
	if (b->n_neighbors == 0 && c->err->n == 0)
		build_error(c, s, "neighbor", "neighbor: no neighbour given");
}

/* The first port with a kernel interface: the default router id. */
static uint32_t
first_kernel_addr(const struct lb_config *cfg)
{
	uint32_t i;

	for (i = 0; i < cfg->n_ports; i++)
		if (cfg->ports[i].kernel_interface[0] != '\0')
			return cfg->ports[i].addr;
	return 0;
}

/* lib/bgp puts BIRD's control socket next to the management socket:
 * SOCKET.bird.ctl must fit in sun_path too. */
#define BGP_CTL_SUFFIX ".bird.ctl"

void
lb_config_fill_bgp(struct build_ctx *c)
{
	const struct lb_spec_section *s;
	struct lb_bgp_conf *b = &c->cfg->bgp;

	if (c->n[LB_SECTION_BGP] == 0 || !c->ok[LB_SECTION_BGP][0] ||
	    !c->ports_ok)
		return;
	s = c->sec[LB_SECTION_BGP][0];
	b->enabled = 1;
	b->local_as = lb_key_u32(build_value(s, "local_as"));
	b->hold_time_s = lb_key_u32(build_value(s, "hold_time_s"));
	b->drain_s = lb_key_u32(build_value(s, "drain_s"));
	snprintf(b->bird_include, sizeof(b->bird_include), "%s",
		 build_value(s, "bird_include"));
	snprintf(b->bird, sizeof(b->bird), "%s", build_value(s, "bird"));
	b->router_id = lb_key_ipv4(build_value(s, "router_id"));
	if (b->router_id == 0)
		b->router_id = first_kernel_addr(c->cfg);
	if (first_kernel_addr(c->cfg) == 0) {
		build_error(c, s, NULL, "[bgp] needs a port with a "
			    "kernel_interface: BGP runs over the kernel "
			    "exception path");
		return;
	}
	if (strlen(c->cfg->global.socket) + strlen(BGP_CTL_SUFFIX) >=
	    LB_SOCKET_PATH_MAX)
		build_error(c, s, NULL, "[bgp]: BIRD's control socket %s%s "
			    "would be longer than %d bytes: use a shorter "
			    "[global] socket", c->cfg->global.socket,
			    BGP_CTL_SUFFIX, LB_SOCKET_PATH_MAX - 1);
	fill_neighbors(c, s, b);
}
