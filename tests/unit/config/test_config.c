/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/config: every key, every error class with its exact "file:line:",
 * duplicates, member order, expected shares, next hops, and the shipped
 * reference.ini and demo.ini (the check report is lib/policy's).
 */

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "lb_config.h"
#include "test_ini.h"

#ifndef LB_SOURCE_DIR
#error "LB_SOURCE_DIR must point at the source tree"
#endif

/* A valid file of 11 lines; error tests append to it or vary one line. */
#define PORT_LAN "[port.lan]\n" \
	"device = net_af_packet0,iface=veth0\n" \
	"address = 10.0.0.2/24\n"
#define VIP_WEB "[vip.web]\n" \
	"address = 10.0.0.100\n" \
	"port = 80\n" \
	"pool = web\n"
#define POOL_WEB "[pool.web]\n"
#define BE_B1 "[backend.b1]\n" \
	"pool = web\n" \
	"address = 10.0.0.11\n"
#define MINIMAL PORT_LAN VIP_WEB POOL_WEB BE_B1

struct fixture {
	char dir[64];
	char path[128];
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_config.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/t.ini", f->dir);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	unlink(f->path);
	rmdir(f->dir);
	free(f);
	return 0;
}

static const char *
write_ini(void **state, const char *text)
{
	struct fixture *f = *state;
	FILE *fp = fopen(f->path, "w");

	assert_non_null(fp);
	assert_int_equal(fputs(text, fp) >= 0, 1);
	assert_int_equal(fclose(fp), 0);
	return f->path;
}

static struct lb_config *
parse_ok(void **state, const char *text)
{
	struct lb_config_error err = { { 0 } };
	struct lb_config *cfg = lb_config_parse(write_ini(state, text), &err);

	if (cfg == NULL)
		fail_msg("unexpected error: %s", err.msg);
	return cfg;
}

/* The whole message must be exactly "path:line: msg". */
static void
assert_error(void **state, const char *text, unsigned int line,
	     const char *msg)
{
	struct lb_config_error err = { { 0 } };
	const char *path = write_ini(state, text);
	char want[LB_ERR_MAX + 200];

	assert_null(lb_config_parse(path, &err));
	snprintf(want, sizeof(want), "%s:%u: %s", path, line, msg);
	assert_string_equal(err.msg, want);
}

static uint32_t
ip(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

/* ---- keys and defaults --------------------------------------------- */

static void
test_parse_defaults(void **state)
{
	struct lb_config *cfg = parse_ok(state, MINIMAL);

	assert_string_equal(cfg->global.socket, "/run/edgelb/edgelb.sock");
	assert_int_equal(cfg->global.workers, 1);
	assert_string_equal(cfg->global.eal_args, "");
	assert_int_equal(cfg->global.flow_table_size, 65536);
	assert_int_equal(cfg->global.idle_sleep_us, 0);
	assert_int_equal(cfg->global.tcp_timeout, 900);
	assert_int_equal(cfg->global.tcp_fin_timeout, 10);
	assert_int_equal(cfg->global.tcp_syn_timeout, 5);
	assert_int_equal(cfg->global.udp_timeout, 300);
	assert_int_equal(cfg->global.extra_mbufs, 0);
	assert_int_equal(cfg->global.hash_key_generated, 1);
	assert_int_equal(cfg->ports[0].gateway, 0);
	assert_int_equal(cfg->vips[0].proto, IPPROTO_TCP);
	assert_int_equal(cfg->vips[0].mode, LB_FWD_DR);
	assert_int_equal(cfg->pools[0].scheduler, LB_SCHED_MAGLEV);
	assert_int_equal(cfg->pools[0].table_size, 65537);
	assert_int_equal(cfg->backends[0].weight, 1);
	lb_config_free(cfg);
}

static void
test_parse_every_key(void **state)
{
	struct lb_config *cfg = parse_ok(state,
		"[global]\n"
		"socket = /tmp/x.sock\n"
		"workers = 64\n"
		"eal_args = \"--no-huge -m 512 --file-prefix=x\"\n"
		"flow_table_size = 1024\n"
		"idle_sleep_us = 100000\n"
		"tcp_timeout = 86400\n"
		"tcp_fin_timeout = 3600\n"
		"udp_timeout = 1\n"
		"extra_mbufs = 70000\n"
		"icmp_echo_rate = 10000000\n"
		"icmp_echo_burst = 1000000\n"
		"arp_reply_rate = 10000000\n"
		"arp_reply_burst = 1000000\n"
		"[port.lan-1]\n"
		"device = 0000:03:00.0\n"
		"address = 10.0.0.2/16\n"
		"gateway = 10.0.255.254\n"
		"vlan = 4094\n"
		"[vip.dns_1]\n"
		"address = 192.0.2.53\n"
		"port = 65535\n"
		"protocol = udp\n"
		"mode = dr\n"
		"pool = p\n"
		"[pool.p]\n"
		"scheduler = maglev\n"
		"table_size = 251\n"
		"[backend.b]\n"
		"pool = p\n"
		"address = 10.0.1.1\n"
		"weight = 65535\n");

	assert_string_equal(cfg->global.socket, "/tmp/x.sock");
	assert_int_equal(cfg->global.workers, LB_MAX_WORKERS);
	assert_string_equal(cfg->global.eal_args,
			    "--no-huge -m 512 --file-prefix=x");
	assert_int_equal(cfg->global.flow_table_size, 1024);
	assert_int_equal(cfg->global.idle_sleep_us, 100000);
	assert_int_equal(cfg->global.tcp_timeout, 86400);
	assert_int_equal(cfg->global.tcp_fin_timeout, 3600);
	assert_int_equal(cfg->global.udp_timeout, 1);
	assert_int_equal(cfg->global.extra_mbufs, 70000);
	assert_int_equal(cfg->global.icmp_echo_rate, 10000000);
	assert_int_equal(cfg->global.icmp_echo_burst, 1000000);
	assert_int_equal(cfg->global.arp_reply_rate, 10000000);
	assert_int_equal(cfg->global.arp_reply_burst, 1000000);
	assert_int_equal(cfg->ports[0].vlan, 4094);
	assert_int_equal(cfg->n_ports, 1);
	assert_string_equal(cfg->ports[0].name, "lan-1");
	assert_string_equal(cfg->ports[0].device, "0000:03:00.0");
	assert_int_equal(cfg->ports[0].addr, ip("10.0.0.2"));
	assert_int_equal(cfg->ports[0].prefix_len, 16);
	assert_int_equal(cfg->ports[0].gateway, ip("10.0.255.254"));
	assert_string_equal(cfg->vips[0].name, "dns_1");
	assert_int_equal(cfg->vips[0].addr, ip("192.0.2.53"));
	assert_int_equal(cfg->vips[0].port, 65535);
	assert_int_equal(cfg->vips[0].proto, IPPROTO_UDP);
	assert_int_equal(cfg->vips[0].mode, LB_FWD_DR);
	assert_int_equal(cfg->vips[0].pool, 0);
	assert_string_equal(cfg->pools[0].name, "p");
	assert_int_equal(cfg->pools[0].table_size, 251);
	assert_int_equal(cfg->pools[0].maglev.size, 251);
	assert_int_equal(cfg->backends[0].addr, ip("10.0.1.1"));
	assert_int_equal(cfg->backends[0].weight, 65535);
	assert_int_equal(cfg->backends[0].port, 0);
	lb_config_free(cfg);
}

static void
test_parse_lower_bounds_and_names_lowercased(void **state)
{
	struct lb_config *cfg = parse_ok(state,
		"[GLOBAL]\n"
		"Workers = 1\n"
		"idle_sleep_us = 0\n"
		"tcp_timeout = 1\n"
		"tcp_fin_timeout = 1\n"
		"flow_table_size = 16777216\n"
		"udp_timeout = 86400\n"
		"icmp_echo_rate = 0\n"
		"icmp_echo_burst = 1\n"
		"arp_reply_rate = 0\n"
		"arp_reply_burst = 1\n"
		"[port.lan]\ndevice = x\naddress = 10.0.0.2/24\nvlan = 1\n"
		"[Vip.WEB]\n"
		"address = 10.0.0.100\n"
		"port = 1\n"
		"protocol = tcp\n"
		"pool = web\n"
		POOL_WEB
		"[backend.b1]\n"
		"pool = web\n"
		"address = 10.0.0.11\n"
		"weight = 0\n"
		"[backend.b2]\n"
		"pool = web\n"
		"address = 10.0.0.12\n");

	assert_int_equal(cfg->global.workers, 1);
	assert_int_equal(cfg->global.icmp_echo_rate, 0);
	assert_int_equal(cfg->global.icmp_echo_burst, 1);
	assert_int_equal(cfg->global.arp_reply_rate, 0);
	assert_int_equal(cfg->global.arp_reply_burst, 1);
	assert_int_equal(cfg->ports[0].vlan, 1);
	assert_int_equal(cfg->global.flow_table_size, 16777216);
	assert_int_equal(cfg->global.udp_timeout, 86400);
	assert_string_equal(cfg->vips[0].name, "web");
	assert_int_equal(cfg->vips[0].port, 1);
	assert_int_equal(cfg->backends[0].weight, 0);
	lb_config_free(cfg);
}

static void
test_parse_value_with_equals_and_semicolon(void **state)
{
	struct lb_config *cfg = parse_ok(state,
		"[global]\n"
		"eal_args = \"--log-level=*:notice --vdev=a;b\" ; comment\n"
		"[port.lan]\n"
		"device = net_af_packet0,iface=veth0,qpairs=2 ; inline comment\n"
		"address = 10.0.0.2/24\n"
		VIP_WEB POOL_WEB BE_B1);

	assert_string_equal(cfg->global.eal_args,
			    "--log-level=*:notice --vdev=a;b");
	assert_string_equal(cfg->ports[0].device,
			    "net_af_packet0,iface=veth0,qpairs=2");
	lb_config_free(cfg);
}

/* ---- error classes ------------------------------------------------- */

static void
test_error_unknown_section(void **state)
{
	assert_error(state, MINIMAL "[foo]\n", 12,
		"unknown section [foo] (expected [global], [port.NAME], [vip.NAME], [pool.NAME], [backend.NAME] or [bgp])");
	assert_error(state, MINIMAL "[vip]\n", 12,
		"bad section name [vip]: expected [vip.NAME], NAME 1..63 characters of a-z, 0-9, '_' and '-'");
	assert_error(state, MINIMAL "[vip.]\n", 12,
		"bad section name [vip.]: expected [vip.NAME], NAME 1..63 characters of a-z, 0-9, '_' and '-'");
	assert_error(state, MINIMAL "[pool.a.b]\n", 12,
		"bad section name [pool.a.b]: expected [pool.NAME], NAME 1..63 characters of a-z, 0-9, '_' and '-'");
	assert_error(state, MINIMAL "[pool.a b]\n", 12,
		"bad section name [pool.a b]: expected [pool.NAME], NAME 1..63 characters of a-z, 0-9, '_' and '-'");
	assert_error(state, MINIMAL
		"[pool.a234567890123456789012345678901234567890123456789012345678901234]\n",
		12,
		"bad section name [pool.a234567890123456789012345678901234567890123456789012345678901234]: expected [pool.NAME], NAME 1..63 characters of a-z, 0-9, '_' and '-'");
}

/* A FIFO, a device or a directory is refused at once: the management
 * loop that reloads must never block on open() or read forever. */
static void
test_error_not_a_regular_file(void **state)
{
	struct fixture *f = *state;
	struct lb_config_error err = { { 0 } };
	char fifo[200];

	snprintf(fifo, sizeof(fifo), "%s/fifo.ini", f->dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_null(lb_config_parse(fifo, &err));
	assert_non_null(strstr(err.msg, "not a regular file"));
	unlink(fifo);
	memset(&err, 0, sizeof(err));
	assert_null(lb_config_parse("/dev/zero", &err));
	assert_non_null(strstr(err.msg, "not a regular file"));
	memset(&err, 0, sizeof(err));
	assert_null(lb_config_parse(f->dir, &err));
	assert_non_null(strstr(err.msg, "not a regular file"));
}

/* An unknown key does not hide the errors in the values around it. */
static void
test_error_unknown_key_and_values_all_reported(void **state)
{
	struct lb_config_error err = { { 0 } };
	const char *path = write_ini(state, MINIMAL
		"[backend.b2]\npool = web\naddress = 10.0.0.300\n"
		"[backend.b3]\npool = web\naddress = 10.0.0.13\n"
		"wieght = 2\nweight = 70000\n");
	char want[LB_ERR_MAX];

	assert_null(lb_config_parse(path, &err));
	assert_int_equal(err.n, 3);
	snprintf(want, sizeof(want), "%s:18: unknown key 'wieght'", path);
	assert_non_null(strstr(err.msg, want));
	snprintf(want, sizeof(want), "%s:14: address = '10.0.0.300'", path);
	assert_non_null(strstr(err.msg, want));
	snprintf(want, sizeof(want), "%s:19: weight = 70000", path);
	assert_non_null(strstr(err.msg, want));
}

static void
test_error_unknown_key(void **state)
{
	assert_error(state, MINIMAL "[backend.b2]\npool = web\n"
		     "address = 10.0.0.12\nwieght = 2\n",
		     15, "unknown key 'wieght' in [backend.b2]");
	assert_error(state, "[global]\nworker = 2\n" MINIMAL, 2,
		     "unknown key 'worker' in [global]");
}

static void
test_error_bad_integer(void **state)
{
	assert_error(state, MINIMAL "[global]\nworkers = 2x\n", 13,
		     "workers = '2x': not a decimal integer (1..64)");
	assert_error(state, MINIMAL "[global]\nworkers = -1\n", 13,
		     "workers = '-1': not a decimal integer (1..64)");
	assert_error(state, MINIMAL "[global]\nworkers = 0x10\n", 13,
		     "workers = '0x10': not a decimal integer (1..64)");
	assert_error(state, MINIMAL "[global]\nworkers =\n", 13,
		     "workers = '': not a decimal integer (1..64)");
	assert_error(state, MINIMAL "[global]\nworkers = +2\n", 13,
		     "workers = '+2': not a decimal integer (1..64)");
}

static void
test_error_out_of_range(void **state)
{
	assert_error(state, MINIMAL "[global]\nworkers = 65\n", 13,
		     "workers = 65 is out of range 1..64");
	assert_error(state, MINIMAL "[global]\nworkers = 0\n", 13,
		     "workers = 0 is out of range 1..64");
	assert_error(state, MINIMAL "[global]\nflow_table_size = 99999999999999\n",
		     13, "flow_table_size = 99999999999999 is out of range 1024..16777216");
	assert_error(state, MINIMAL "[global]\nidle_sleep_us = 100001\n", 13,
		     "idle_sleep_us = 100001 is out of range 0..100000");
	assert_error(state, MINIMAL "[global]\ntcp_timeout = 0\n", 13,
		     "tcp_timeout = 0 is out of range 1..86400");
	assert_error(state, MINIMAL "[global]\ntcp_fin_timeout = 3601\n", 13,
		     "tcp_fin_timeout = 3601 is out of range 1..3600");
	assert_error(state, MINIMAL "[global]\nudp_timeout = 86401\n", 13,
		     "udp_timeout = 86401 is out of range 1..86400");
	assert_error(state, MINIMAL "[global]\ntcp_syn_timeout = 0\n", 13,
		     "tcp_syn_timeout = 0 is out of range 1..600");
	assert_error(state, MINIMAL "[backend.b2]\npool = web\n"
		     "address = 10.0.0.12\nweight = 65536\n", 15,
		     "weight = 65536 is out of range 0..65535");
	assert_error(state, PORT_LAN "[vip.web]\naddress = 10.0.0.100\n"
		     "port = 65536\npool = web\n" POOL_WEB BE_B1, 6,
		     "port = 65536 is out of range 1..65535");
	assert_error(state, MINIMAL "[pool.p2]\ntable_size = 16777259\n", 13,
		     "table_size = 16777259 is out of range 251..16777213");
}

static void
test_error_bad_string_values(void **state)
{
	assert_error(state, MINIMAL "[global]\nsocket = run/x.sock\n", 13,
		     "socket = 'run/x.sock': must be an absolute path");
	assert_error(state, MINIMAL "[global]\nsocket = /"
		"23456789012345678901234567890123456789012345678901234567890"
		"123456789012345678901234567890123456789012345678\n", 13,
		"socket is too long (max 107 bytes)");
	assert_error(state, "[port.lan]\ndevice = a b\naddress = 10.0.0.2/24\n"
		VIP_WEB POOL_WEB BE_B1, 2,
		"device = 'a b': expected a DPDK vdev string (net_af_packet0,iface=veth0) or a PCI address");
	assert_error(state, PORT_LAN "[vip.web]\naddress = 10.0.0.100\n"
		     "port = 80\nprotocol = TCP\npool = web\n" POOL_WEB BE_B1, 7,
		     "protocol = 'TCP': expected tcp or udp");
	assert_error(state, MINIMAL "[pool.p2]\nscheduler = rr\n", 13,
		     "scheduler = 'rr': expected maglev");
}

static void
test_error_bad_address(void **state)
{
	assert_error(state, PORT_LAN "[vip.web]\naddress = 10.0.0.256\n"
		     "port = 80\npool = web\n" POOL_WEB BE_B1, 5,
		     "address = '10.0.0.256': not an IPv4 address");
	assert_error(state, MINIMAL "[backend.b2]\npool = web\naddress = web2\n",
		     14, "address = 'web2': not an IPv4 address");
	assert_error(state, "[port.lan]\ndevice = x\naddress = 10.0.0.2/24\n"
		     "gateway = 10.0.0.1/24\n" VIP_WEB POOL_WEB BE_B1, 4,
		     "gateway = '10.0.0.1/24': not an IPv4 address");
}

/* A VIP a router cannot reach or that would take the router's address, a
 * backend that is no host: refused with the line of the address. */
static void
test_error_address_no_host_can_have(void **state)
{
#define VIP_AT(a) "[vip.web]\naddress = " a "\nport = 80\npool = web\n"
	static const struct { const char *addr, *why; } vips[] = {
		{ "0.0.0.0", "in 0.0.0.0/8" },
		{ "127.0.0.1", "a loopback address" },
		{ "224.0.0.1", "a multicast address" },
		{ "255.255.255.255", "a class E or broadcast address" },
		{ "10.0.0.0", "the network address of the subnet of port lan" },
		{ "10.0.0.255",
		  "the broadcast address of the subnet of port lan" },
		{ "10.0.0.1", "the gateway of port lan" },
	};
	char text[1024], msg[256];
	size_t i;

	for (i = 0; i < RTE_DIM(vips); i++) {
		snprintf(text, sizeof(text), "[port.lan]\ndevice = x\n"
			 "address = 10.0.0.2/24\ngateway = 10.0.0.1\n"
			 VIP_AT("%s") POOL_WEB BE_B1, vips[i].addr);
		snprintf(msg, sizeof(msg), "vip web: %s is %s", vips[i].addr,
			 vips[i].why);
		assert_error(state, text, 6, msg);
	}
	assert_error(state, MINIMAL "[backend.b2]\npool = web\n"
		     "address = 10.0.0.255\n", 14,
		     "backend b2: 10.0.0.255 is the broadcast address of the subnet of port lan");
	assert_error(state, MINIMAL "[backend.b2]\npool = web\n"
		     "address = 127.0.0.5\n", 14,
		     "backend b2: 127.0.0.5 is a loopback address");
#undef VIP_AT
}

/* The rest of the addresses no host can have: backends at the network
 * address, in 0/8, multicast, class E or broadcast; a port's own address
 * or gateway that is its subnet's network or broadcast address or no
 * unicast address at all. */
static void
test_error_address_no_host_can_have_more(void **state)
{
	static const struct { const char *addr, *why; } bes[] = {
		{ "10.0.0.0", "the network address of the subnet of port lan" },
		{ "0.0.0.0", "in 0.0.0.0/8" },
		{ "224.0.0.5", "a multicast address" },
		{ "240.0.0.1", "a class E or broadcast address" },
		{ "255.255.255.255", "a class E or broadcast address" },
	};
	char text[1024], msg[256];
	size_t i;

	for (i = 0; i < RTE_DIM(bes); i++) {
		snprintf(text, sizeof(text), MINIMAL "[backend.b2]\n"
			 "pool = web\naddress = %s\n", bes[i].addr);
		snprintf(msg, sizeof(msg), "backend b2: %s is %s",
			 bes[i].addr, bes[i].why);
		assert_error(state, text, 14, msg);
	}
	assert_error(state, "[port.lan]\ndevice = x\naddress = 10.0.0.0/24\n"
		     VIP_WEB POOL_WEB BE_B1, 3,
		     "port lan: 10.0.0.0 is the network address of the subnet");
	assert_error(state, "[port.lan]\ndevice = x\naddress = 10.0.0.255/24\n"
		     VIP_WEB POOL_WEB BE_B1, 3,
		     "port lan: 10.0.0.255 is the broadcast address of the subnet");
	assert_error(state, "[port.lan]\ndevice = x\naddress = 127.0.0.2/8\n"
		     "[vip.web]\naddress = 192.0.2.1\nport = 80\npool = web\n"
		     POOL_WEB "[backend.b1]\npool = web\naddress = 127.0.0.11\n",
		     3, "port lan: 127.0.0.2 is a loopback address");
	assert_error(state, "[port.lan]\ndevice = x\naddress = 10.0.0.2/24\n"
		     "gateway = 10.0.0.255\n" VIP_WEB POOL_WEB BE_B1, 4,
		     "port lan: gateway 10.0.0.255 is the broadcast address of the subnet");
	assert_error(state, "[port.lan]\ndevice = x\naddress = 10.0.0.2/24\n"
		     "gateway = 10.0.0.0\n" VIP_WEB POOL_WEB BE_B1, 4,
		     "port lan: gateway 10.0.0.0 is the network address of the subnet");
	/* /31 (RFC 3021) and /32 have neither: their two addresses serve. */
	lb_config_free(parse_ok(state, "[port.lan]\ndevice = x\n"
		"address = 10.0.0.0/31\n[vip.web]\naddress = 192.0.2.1\n"
		"port = 80\npool = web\n" POOL_WEB
		"[backend.b1]\npool = web\naddress = 10.0.0.1\n"));
}

/* A pool whose backends all have weight 0 would make its VIP drop every
 * new flow: refused at the weight; drained, disabled are not weight 0. */
static void
test_error_pool_all_weight_zero(void **state)
{
	assert_error(state, MINIMAL "weight = 0\n", 12,
		     "pool web: every backend has weight 0, so vip web would drop every new flow (drain or disable backends instead)");
	assert_error(state, MINIMAL "weight = 0\n[backend.b2]\npool = web\n"
		     "address = 10.0.0.12\nweight = 0\n", 16,
		     "pool web: every backend has weight 0, so vip web would drop every new flow (drain or disable backends instead)");
	/* one with weight is enough */
	lb_config_free(parse_ok(state, MINIMAL "weight = 0\n[backend.b2]\n"
				"pool = web\naddress = 10.0.0.12\n"));
	/* drained and disabled backends keep their weight: allowed */
	lb_config_free(parse_ok(state, MINIMAL "admin_state = drained\n"));
	lb_config_free(parse_ok(state, MINIMAL "admin_state = disabled\n"));
	/* a pool that serves no VIP harms nobody */
	lb_config_free(parse_ok(state, MINIMAL "[pool.spare]\n"
		"[backend.s1]\npool = spare\naddress = 10.0.0.21\n"
		"weight = 0\n"));
}

/* A runtime weight change that would leave the pool all weight 0 is
 * refused naming the change, and changes nothing. */
static void
test_error_pool_all_weight_zero_at_runtime(void **state)
{
	struct lb_config_error err = { { 0 } };
	struct lb_config *cfg = parse_ok(state, MINIMAL
		"[backend.b2]\npool = web\naddress = 10.0.0.12\nweight = 0\n");
	struct lb_spec *s = lb_spec_dup(cfg->spec);

	assert_non_null(s);
	assert_int_equal(lb_spec_set(s, "backend.b1", "weight", "0",
				     "runtime: weight by uid 0", &err), 0);
	assert_null(lb_config_build(s, NULL, &err));
	assert_string_equal(err.msg, "runtime: weight by uid 0: pool web: every backend has weight 0, so vip web would drop every new flow (drain or disable backends instead)");
	lb_spec_free(s);
	/* draining it instead is fine */
	s = lb_spec_dup(cfg->spec);
	assert_int_equal(lb_spec_set(s, "backend.b1", "admin_state", "drained",
				     "runtime: drain by uid 0", &err), 0);
	lb_config_free(lb_config_build(s, NULL, &err));
	lb_spec_free(s);
	lb_config_free(cfg);
}

static void
test_vlan_key(void **state)
{
	struct lb_config *cfg = parse_ok(state, MINIMAL);

	assert_int_equal(cfg->ports[0].vlan, 0);        /* none: untagged */
	lb_config_free(cfg);
	assert_error(state, PORT_LAN "vlan = 0\n" VIP_WEB POOL_WEB BE_B1, 4,
		     "vlan = 0 is out of range 1..4094");
	assert_error(state, PORT_LAN "vlan = 4095\n" VIP_WEB POOL_WEB BE_B1, 4,
		     "vlan = 4095 is out of range 1..4094");
	assert_error(state, PORT_LAN "vlan = 7\nkernel_interface = elb0\n"
		     VIP_WEB POOL_WEB BE_B1, 4,
		     "port lan: vlan = 7 with kernel_interface = elb0 is not supported yet (the kernel path carries untagged frames only)");
}

static void
test_error_bad_prefix(void **state)
{
	assert_error(state, "[port.lan]\ndevice = x\naddress = 10.0.0.2\n"
		     VIP_WEB POOL_WEB BE_B1, 3,
		     "address = '10.0.0.2': expected a.b.c.d/len (prefix length 1..32)");
	assert_error(state, "[port.lan]\ndevice = x\naddress = 10.0.0.2/33\n"
		     VIP_WEB POOL_WEB BE_B1, 3,
		     "address = '10.0.0.2/33': prefix length must be a decimal integer in 1..32");
	assert_error(state, "[port.lan]\ndevice = x\naddress = 10.0.0.2/0\n"
		     VIP_WEB POOL_WEB BE_B1, 3,
		     "address = '10.0.0.2/0': prefix length must be a decimal integer in 1..32");
	assert_error(state, "[port.lan]\ndevice = x\naddress = 10.0.0.2/2x\n"
		     VIP_WEB POOL_WEB BE_B1, 3,
		     "address = '10.0.0.2/2x': prefix length must be a decimal integer in 1..32");
	assert_error(state, "[port.lan]\ndevice = x\naddress = 10.0.0/24\n"
		     VIP_WEB POOL_WEB BE_B1, 3,
		     "address = '10.0.0': not an IPv4 address");
}

static void
test_error_gateway_outside_subnet(void **state)
{
	assert_error(state, "[port.lan]\ndevice = x\naddress = 10.0.0.2/24\n"
		     "gateway = 10.0.1.1\n" VIP_WEB POOL_WEB BE_B1, 4,
		     "gateway 10.0.1.1 is not inside port lan's subnet 10.0.0.0/24");
	assert_error(state, "[port.lan]\ndevice = x\naddress = 10.0.0.2/24\n"
		     "gateway = 10.0.0.2\n" VIP_WEB POOL_WEB BE_B1, 4,
		     "gateway 10.0.0.2 is port lan's own address");
}

static void
test_error_table_size_not_prime(void **state)
{
	assert_error(state, MINIMAL "[pool.p2]\ntable_size = 1000\n", 13,
		     "table_size = 1000 is not prime (try 997 or 1009)");
}

static void
test_error_table_size_not_above_backends(void **state)
{
	char *text = malloc(64 * 1024);
	size_t n;
	int i;

	assert_non_null(text);
	n = snprintf(text, 64 * 1024, "[port.lan]\ndevice = x\n"
		     "address = 10.0.0.2/16\n" VIP_WEB
		     "[pool.web]\ntable_size = 251\n");
	for (i = 0; i < 251; i++)
		n += snprintf(text + n, 64 * 1024 - n,
			      "[backend.b%d]\npool = web\naddress = 10.0.1.%d\n",
			      i, i + 1);
	assert_error(state, text, 9,
		     "table_size = 251 must be larger than the number of backends in pool web (251)");
	free(text);
}

static void
test_error_missing_required_key(void **state)
{
	assert_error(state, PORT_LAN "[vip.web]\naddress = 10.0.0.100\n"
		     "pool = web\n" POOL_WEB BE_B1, 4,
		     "missing required key 'port' in [vip.web]");
	assert_error(state, "[port.lan]\naddress = 10.0.0.2/24\n"
		     VIP_WEB POOL_WEB BE_B1, 1,
		     "missing required key 'device' in [port.lan]");
	assert_error(state, "[port.lan]\ndevice = x\n"
		     VIP_WEB POOL_WEB BE_B1, 1,
		     "missing required key 'address' in [port.lan]");
	assert_error(state, MINIMAL "[backend.b2]\npool = web\n", 12,
		     "missing required key 'address' in [backend.b2]");
	assert_error(state, MINIMAL "[backend.b2]\naddress = 10.0.0.12\n", 12,
		     "missing required key 'pool' in [backend.b2]");
	assert_error(state, PORT_LAN "[vip.web]\naddress = 10.0.0.100\n"
		     "port = 80\n" POOL_WEB BE_B1, 4,
		     "missing required key 'pool' in [vip.web]");
}

static void
test_error_missing_port_or_vip(void **state)
{
	assert_error(state, VIP_WEB POOL_WEB BE_B1, 8,
		     "no [port.NAME] section: at least one is required");
	assert_error(state, PORT_LAN POOL_WEB "\n", 5,
		     "no [vip.NAME] section: at least one is required");
}

static void
test_error_dangling_pool(void **state)
{
	assert_error(state, MINIMAL "[backend.b2]\npool = api\n"
		     "address = 10.0.0.12\n", 13,
		     "pool 'api' does not exist (no [pool.api])");
	assert_error(state, PORT_LAN "[vip.web]\naddress = 10.0.0.100\n"
		     "port = 80\npool = wbe\n" POOL_WEB BE_B1, 7,
		     "pool 'wbe' does not exist (no [pool.wbe])");
}

static void
test_error_vip_pool_without_backends(void **state)
{
	assert_error(state, PORT_LAN VIP_WEB POOL_WEB, 7,
		     "vip web: pool web has no backends");
}

static void
test_error_duplicate_section(void **state)
{
	assert_error(state, MINIMAL "\n[backend.b1]\npool = web\n", 13,
		     "duplicate section [backend.b1] (first at line 9)");
}

static void
test_error_duplicate_section_case(void **state)
{
	assert_error(state, MINIMAL "[Backend.B1]\npool = web\n", 12,
		     "duplicate section [backend.b1] (first at line 9)");
}

static void
test_error_duplicate_key(void **state)
{
	assert_error(state, MINIMAL "[backend.b2]\npool = web\n"
		     "address = 10.0.0.12\nweight = 1\nWeight = 5\n", 16,
		     "duplicate key 'weight' in [backend.b2] (first at line 15)");
}

static void
test_error_duplicate_vip(void **state)
{
	assert_error(state, MINIMAL "[vip.web2]\naddress = 10.0.0.100\n"
		     "port = 80\npool = web\n", 12,
		     "duplicate VIP tcp 10.0.0.100:80: [vip.web2] repeats [vip.web] (first at line 4)");
	/* the same address and port over UDP is another VIP */
	lb_config_free(parse_ok(state, MINIMAL "[vip.web2]\naddress = 10.0.0.100\n"
				"port = 80\nprotocol = udp\npool = web\n"));
}

static void
test_error_duplicate_backend_address_in_pool(void **state)
{
	assert_error(state, MINIMAL "[backend.b2]\npool = web\n"
		     "address = 10.0.0.11\n", 14,
		     "backend b2: address 10.0.0.11 repeats backend b1 in pool web (first at line 11)");
	/* the same server in two pools is fine */
	lb_config_free(parse_ok(state, MINIMAL "[pool.api]\n[backend.b2]\n"
				"pool = api\naddress = 10.0.0.11\n"));
}

static void
test_error_backend_off_link(void **state)
{
	assert_error(state, MINIMAL "[backend.web9]\npool = web\n"
		     "address = 10.1.1.1\n", 14,
		     "backend web9: 10.1.1.1 is not on-link on any port (dr mode sends frames to the backend's MAC)");
}

static void
test_error_backend_is_own_address(void **state)
{
	assert_error(state, MINIMAL "[backend.b2]\npool = web\n"
		     "address = 10.0.0.2\n", 14,
		     "backend b2: 10.0.0.2 is port lan's own address");
	assert_error(state, MINIMAL "[backend.b2]\npool = web\n"
		     "address = 10.0.0.100\n", 14,
		     "backend b2: 10.0.0.100 is the address of vip web");
}

static void
test_error_ports_overlap(void **state)
{
	assert_error(state, MINIMAL "[port.wan]\ndevice = y\n"
		     "address = 10.0.0.200/16\n", 14,
		     "port wan subnet 10.0.0.0/16 overlaps port lan subnet 10.0.0.0/24 (line 3)");
}

static void
test_error_too_many_ports(void **state)
{
	char text[4096];
	size_t n;
	int i;

	n = snprintf(text, sizeof(text), "%s", VIP_WEB POOL_WEB
		     "[backend.b1]\npool = web\naddress = 10.0.0.11\n");
	for (i = 0; i <= LB_MAX_PORTS; i++)
		n += snprintf(text + n, sizeof(text) - n,
			      "[port.p%d]\ndevice = x\naddress = 10.0.%d.2/24\n",
			      i, i);
	assert_error(state, text, 9 + 3 * LB_MAX_PORTS,
		     "too many [port.*] sections (max 8)");
}

static void
test_error_unsupported_mode(void **state)
{
	assert_error(state, PORT_LAN "[vip.web]\naddress = 10.0.0.100\n"
		     "port = 80\nmode = nat\npool = web\n" POOL_WEB BE_B1, 7,
		     "mode 'nat' is not supported yet (only dr)");
	assert_error(state, PORT_LAN "[vip.web]\naddress = 10.0.0.100\n"
		     "port = 80\nmode = gue\npool = web\n" POOL_WEB BE_B1, 7,
		     "mode 'gue' is not supported yet (only dr)");
	assert_error(state, PORT_LAN "[vip.web]\naddress = 10.0.0.100\n"
		     "port = 80\nmode = DR\npool = web\n" POOL_WEB BE_B1, 7,
		     "mode = 'DR': expected dr (nat, fullnat, ipip and gue are not supported yet)");
}

static void
test_error_syntax(void **state)
{
	char *text;

	assert_error(state, MINIMAL "this is not ini\n", 12,
		"syntax error: expected [section], key = value or a comment");
	assert_error(state, "; comment\nworkers = 1\n" MINIMAL, 2,
		"syntax error: key 'workers' before any [section]");
	assert_error(state, MINIMAL "[global\n", 12,
		"syntax error: section header must end with ']'");
	assert_error(state, MINIMAL "[]\n", 12,
		"syntax error: bad section header '[]'");
	assert_error(state, MINIMAL "= 1\n", 12,
		"syntax error: missing key before '='");
	assert_error(state, MINIMAL "[global]\neal_args = \"--no-huge\n", 13,
		"syntax error: unterminated quote in value");
	assert_error(state, MINIMAL "[global]\neal_args = \"a\" b\n", 13,
		"syntax error: text after the closing quote");
	assert_error(state, MINIMAL "[global]\neal_args = a \\\n  b\n", 13,
		"syntax error: line continuation ('\\' at end of line) is not supported");
	/* iniparser would have glued "workers = 2" into the comment. */
	assert_error(state, MINIMAL "[global]\n; see C:\\temp\\  \n"
		     "workers = 2\n", 13,
		     "syntax error: a comment ending in '\\' would join the next line to it (line continuation is not supported)");
	assert_error(state, MINIMAL "# \\\n[global]\n", 12,
		     "syntax error: a comment ending in '\\' would join the next line to it (line continuation is not supported)");
	text = calloc(1, 2048);
	assert_non_null(text);
	strcpy(text, MINIMAL "[global]\neal_args = ");
	memset(text + strlen(text), 'x', 1100);
	strcat(text, "\n");
	assert_error(state, text, 13,
		"syntax error: line longer than 1022 characters");
	free(text);
}

static void
test_error_unreadable_file(void **state)
{
	struct fixture *f = *state;
	struct lb_config_error err = { { 0 } };
	char path[256], want[LB_ERR_MAX];

	snprintf(path, sizeof(path), "%s/missing.ini", f->dir);
	assert_null(lb_config_parse(path, &err));
	snprintf(want, sizeof(want), "%s: cannot open: %s", path,
		 strerror(ENOENT));
	assert_string_equal(err.msg, want);

	assert_null(lb_config_parse(f->dir, &err));
	snprintf(want, sizeof(want), "%s: not a regular file", f->dir);
	assert_string_equal(err.msg, want);
}

/* ---- the snapshot -------------------------------------------------- */

static void
test_members_sorted_by_name(void **state)
{
	struct lb_config *cfg = parse_ok(state, PORT_LAN VIP_WEB POOL_WEB
		"[backend.zeta]\npool = web\naddress = 10.0.0.13\n"
		"[backend.alpha]\npool = web\naddress = 10.0.0.11\n"
		"[backend.mid]\npool = web\naddress = 10.0.0.12\n");
	const struct lb_pool_conf *p = &cfg->pools[0];

	assert_int_equal(p->n_members, 3);
	assert_string_equal(cfg->backends[p->members[0]].name, "alpha");
	assert_string_equal(cfg->backends[p->members[1]].name, "mid");
	assert_string_equal(cfg->backends[p->members[2]].name, "zeta");
	lb_config_free(cfg);
}

/* Reordering the file must not change a single table slot. */
static void
test_table_independent_of_ini_order(void **state)
{
	struct lb_config *a = parse_ok(state, PORT_LAN VIP_WEB POOL_WEB
		"[backend.x]\npool = web\naddress = 10.0.0.13\nweight = 3\n"
		"[backend.y]\npool = web\naddress = 10.0.0.11\n");
	struct lb_config *b = parse_ok(state, PORT_LAN VIP_WEB POOL_WEB
		"[backend.y]\npool = web\naddress = 10.0.0.11\n"
		"[backend.x]\npool = web\naddress = 10.0.0.13\nweight = 3\n");

	assert_int_equal(a->pools[0].maglev.size, b->pools[0].maglev.size);
	assert_memory_equal(a->pools[0].maglev.slots, b->pools[0].maglev.slots,
			    a->pools[0].maglev.size * sizeof(uint16_t));
	lb_config_free(a);
	lb_config_free(b);
}

static void
test_expected_share_follows_weights(void **state)
{
	struct lb_config *cfg = parse_ok(state, PORT_LAN VIP_WEB POOL_WEB
		"[backend.c]\npool = web\naddress = 10.0.0.13\nweight = 3\n"
		"[backend.a]\npool = web\naddress = 10.0.0.11\nweight = 1\n"
		"[backend.b]\npool = web\naddress = 10.0.0.12\nweight = 2\n");

	assert_true(fabs(lb_config_expected_share(cfg, tini_backend(cfg, "a"))
			 - 1.0 / 6) < 0.01);
	assert_true(fabs(lb_config_expected_share(cfg, tini_backend(cfg, "b"))
			 - 2.0 / 6) < 0.01);
	assert_true(fabs(lb_config_expected_share(cfg, tini_backend(cfg, "c"))
			 - 3.0 / 6) < 0.01);
	lb_config_free(cfg);
}

static void
test_expected_share_zero_weight(void **state)
{
	struct lb_config *cfg = parse_ok(state, MINIMAL
		"[backend.b0]\npool = web\naddress = 10.0.0.12\nweight = 0\n");

	assert_true(lb_config_expected_share(cfg, tini_backend(cfg, "b0")) ==
		    0.0);
	assert_true(lb_config_expected_share(cfg, tini_backend(cfg, "b1")) ==
		    1.0);
	lb_config_free(cfg);
}

static void
test_neighs_deduplicated(void **state)
{
	struct lb_config *cfg = parse_ok(state,
		"[port.lan]\ndevice = x\naddress = 10.0.0.2/24\n"
		"gateway = 10.0.0.11\n"
		"[port.wan]\ndevice = y\naddress = 10.9.0.2/24\n"
		"gateway = 10.9.0.1\n"
		VIP_WEB POOL_WEB BE_B1
		"[pool.api]\n"
		"[backend.b2]\npool = api\naddress = 10.0.0.11\n"
		"[backend.b3]\npool = api\naddress = 10.9.0.5\n");
	int b1 = tini_backend(cfg, "b1"), b2 = tini_backend(cfg, "b2");
	int b3 = tini_backend(cfg, "b3");
	uint32_t i, j;

	/* 10.0.0.11 (b1, b2 and lan's gateway), 10.9.0.5, 10.9.0.1 */
	assert_int_equal(cfg->n_neighs, 3);
	for (i = 0; i < cfg->n_neighs; i++)
		for (j = 0; j < i; j++)
			assert_false(cfg->neighs[i].addr == cfg->neighs[j].addr &&
				     cfg->neighs[i].port == cfg->neighs[j].port);
	assert_int_equal(cfg->backends[b1].neigh, cfg->backends[b2].neigh);
	assert_int_equal(cfg->neighs[cfg->backends[b1].neigh].addr,
			 ip("10.0.0.11"));
	assert_int_equal(cfg->neighs[cfg->backends[b1].neigh].port, 0);
	assert_int_equal(cfg->backends[b3].port, 1);
	assert_int_equal(cfg->neighs[cfg->backends[b3].neigh].addr,
			 ip("10.9.0.5"));
	assert_int_equal(cfg->neighs[cfg->backends[b3].neigh].port, 1);
	for (i = 0; i < cfg->n_neighs; i++)
		if (cfg->neighs[i].addr == ip("10.9.0.1"))
			break;
	assert_true(i < cfg->n_neighs);
	assert_int_equal(cfg->neighs[i].port, 1);
	lb_config_free(cfg);
}

static void
test_find_vip_and_owns_addr(void **state)
{
	struct lb_config *cfg = parse_ok(state, MINIMAL
		"[vip.dns]\naddress = 10.0.0.100\nport = 53\nprotocol = udp\n"
		"pool = web\n");

	assert_int_equal(lb_config_find_vip(cfg, IPPROTO_TCP, ip("10.0.0.100"),
					    80), 0);
	assert_int_equal(lb_config_find_vip(cfg, IPPROTO_UDP, ip("10.0.0.100"),
					    53), 1);
	assert_int_equal(lb_config_find_vip(cfg, IPPROTO_UDP, ip("10.0.0.100"),
					    80), -1);
	assert_int_equal(lb_config_find_vip(cfg, IPPROTO_TCP, ip("10.0.0.101"),
					    80), -1);
	assert_true(lb_config_owns_addr(cfg, ip("10.0.0.100")));
	assert_true(lb_config_owns_addr(cfg, ip("10.0.0.2")));
	assert_false(lb_config_owns_addr(cfg, ip("10.0.0.11")));
	lb_config_free(cfg);
}

static void
test_free_null_and_whole_snapshot(void **state)
{
	/* LeakSanitizer fails the run if any allocation survives */
	lb_config_free(NULL);
	lb_config_free(parse_ok(state, MINIMAL "[pool.unused]\n"));
}

/* ---- hash_key ------------------------------------------------------ */

#define KEY_HEX "000102030405060708090a0b0c0d0e0f"

static void
test_hash_key_parsed(void **state)
{
	struct lb_config *cfg = parse_ok(state, MINIMAL
		"[global]\nhash_key = " KEY_HEX "\n");

	/* The reference layout: bytes 0..7 and 8..15, little-endian. */
	assert_int_equal(cfg->global.hash_key_generated, 0);
	assert_true(cfg->global.hash_key.k0 == UINT64_C(0x0706050403020100));
	assert_true(cfg->global.hash_key.k1 == UINT64_C(0x0f0e0d0c0b0a0908));
	lb_config_free(cfg);
	cfg = parse_ok(state, MINIMAL "[global]\nhash_key = "
		       "000102030405060708090A0B0C0D0E0F\n");
	assert_true(cfg->global.hash_key.k1 == UINT64_C(0x0f0e0d0c0b0a0908));
	lb_config_free(cfg);
}

/* Without a key each build draws its own: an outsider cannot know it. */
static void
test_hash_key_generated_when_absent(void **state)
{
	struct lb_config *a = parse_ok(state, MINIMAL);
	struct lb_config *b = parse_ok(state, MINIMAL);

	assert_int_equal(a->global.hash_key_generated, 1);
	assert_int_equal(b->global.hash_key_generated, 1);
	assert_false(a->global.hash_key.k0 == b->global.hash_key.k0 &&
		     a->global.hash_key.k1 == b->global.hash_key.k1);
	assert_false(a->global.hash_key.k0 == 0 && a->global.hash_key.k1 == 0);
	lb_config_free(a);
	lb_config_free(b);
}

/* A bad key is refused without showing it. */
static void
test_error_hash_key(void **state)
{
	assert_error(state, MINIMAL "[global]\nhash_key = 0123456789abcdef\n",
		     13, "hash_key: expected 32 hex digits (128 bits), e.g. "
		     "from 'openssl rand -hex 16' (value not shown: 16 "
		     "characters)");
	assert_error(state, MINIMAL "[global]\nhash_key = "
		     "0123456789abcdef0123456789abcdeg\n", 13,
		     "hash_key: expected 32 hex digits (128 bits), e.g. "
		     "from 'openssl rand -hex 16' (value not shown: 32 "
		     "characters)");
	assert_error(state, MINIMAL "[global]\nhash_key = "
		     "aaaaaaaaaaaaaaaaAAAAAAAAAAAAAAAA\n", 13,
		     "hash_key: a key of one repeated digit is no secret: use "
		     "a random one ('openssl rand -hex 16')");
}

/* ---- shipped files ------------------------------------------------- */

static struct lb_config *
parse_shipped(const char *name)
{
	struct lb_config_error err = { { 0 } };
	char path[PATH_MAX];
	struct lb_config *cfg;

	snprintf(path, sizeof(path), "%s/config/%s", LB_SOURCE_DIR, name);
	cfg = lb_config_parse(path, &err);
	if (cfg == NULL)
		fail_msg("%s", err.msg);
	return cfg;
}

static void
test_reference_ini_parses(void **state)
{
	struct lb_config *cfg = parse_shipped("reference.ini");

	(void)state;
	assert_true(cfg->n_ports >= 1);
	assert_true(cfg->n_vips >= 1);
	assert_true(cfg->n_backends >= 1);
	lb_config_free(cfg);
}

static void
test_demo_ini_parses(void **state)
{
	struct lb_config *cfg = parse_shipped("demo.ini");
	uint32_t i;

	(void)state;
	assert_string_equal(cfg->global.socket, "/run/edgelb/demo.sock");
	assert_int_equal(cfg->global.workers, 1);
	assert_string_equal(cfg->global.eal_args,
		"--no-huge -m 256 --file-prefix=edgelb-demo --no-pci --log-level=*:notice");
	assert_int_equal(cfg->global.flow_table_size, 65536);
	assert_int_equal(cfg->global.idle_sleep_us, 50);
	assert_int_equal(cfg->n_ports, 1);
	assert_string_equal(cfg->ports[0].device,
			    "net_af_packet0,iface=lb0,qpairs=1");
	assert_int_equal(cfg->ports[0].addr, ip("10.200.0.2"));
	assert_int_equal(cfg->ports[0].prefix_len, 24);
	assert_int_equal(cfg->n_vips, 1);
	assert_int_equal(lb_config_find_vip(cfg, IPPROTO_TCP,
					    ip("10.200.0.100"), 80), 0);
	assert_int_equal(cfg->pools[cfg->vips[0].pool].table_size, 65537);
	assert_int_equal(cfg->n_backends, 3);
	for (i = 1; i <= 3; i++) {
		char name[8], addr[16];
		int b;

		snprintf(name, sizeof(name), "web%u", i);
		snprintf(addr, sizeof(addr), "10.200.0.1%u", i);
		b = tini_backend(cfg, name);
		assert_int_equal(cfg->backends[b].addr, ip(addr));
		assert_int_equal(cfg->backends[b].weight, 10 * i);
		assert_true(fabs(lb_config_expected_share(cfg, b) - i / 6.0) <
			    0.01);
	}
	lb_config_free(cfg);
}

/* ---- static next hops ------------------------------------------------ */

static void
test_backend_mac_is_static_neighbour(void **state)
{
	static const uint8_t want[6] = { 0x02, 0xab, 0, 0, 0, 0x11 };
	struct lb_config *cfg = parse_ok(state, MINIMAL
		"mac = 02:AB:00:00:00:11\n");
	const struct lb_backend_conf *b = &cfg->backends[0];

	assert_int_equal(b->has_mac, 1);
	assert_memory_equal(b->mac, want, 6);
	assert_int_equal(cfg->neighs[b->neigh].has_mac, 1);
	assert_memory_equal(cfg->neighs[b->neigh].mac, want, 6);
	lb_config_free(cfg);
}

static void
test_error_backend_mac_not_unicast(void **state)
{
	assert_error(state, MINIMAL "mac = 01:00:5e:00:00:01\n", 12,
		     "mac = '01:00:5e:00:00:01': not a unicast MAC address"
		     " (xx:xx:xx:xx:xx:xx)");
	assert_error(state, MINIMAL "mac = 02:00:00:00:00\n", 12,
		     "mac = '02:00:00:00:00': not a unicast MAC address"
		     " (xx:xx:xx:xx:xx:xx)");
}

static void
test_error_backend_mac_conflict(void **state)
{
	assert_error(state, MINIMAL "mac = 02:00:00:00:00:11\n"
		     "[pool.api]\n[vip.api]\naddress = 10.0.0.100\n"
		     "port = 81\npool = api\n"
		     "[backend.b2]\npool = api\naddress = 10.0.0.11\n"
		     "mac = 02:00:00:00:00:22\n", 21,
		     "backend 'b2': address 10.0.0.11 is given another mac by"
		     " another backend");
}

/* ---- address index ------------------------------------------------- */

/* 250 VIPs over 50 addresses x 5 ports: each found, neighbours not. */
static void
test_find_vip_many(void **state)
{
	size_t cap = 64 * 1024, len = 0;
	char *text = malloc(cap), a[32];
	struct lb_config *cfg;
	unsigned int i;

	assert_non_null(text);
	len += snprintf(text + len, cap - len, "%s", PORT_LAN POOL_WEB BE_B1);
	for (i = 0; i < 250; i++)
		len += snprintf(text + len, cap - len,
				"[vip.v%u]\naddress = 10.0.1.%u\nport = %u\n"
				"pool = web\n", i, i / 5 + 1, 1000 + i % 5);
	cfg = parse_ok(state, text);
	for (i = 0; i < 250; i++) {
		snprintf(a, sizeof(a), "10.0.1.%u", i / 5 + 1);
		assert_int_equal(lb_config_find_vip(cfg, IPPROTO_TCP, ip(a),
						    1000 + i % 5), (int)i);
		assert_int_equal(lb_config_find_vip(cfg, IPPROTO_UDP, ip(a),
						    1000 + i % 5), -1);
		assert_int_equal(lb_config_find_vip(cfg, IPPROTO_TCP, ip(a),
						    1005), -1);
		assert_true(lb_config_owns_addr(cfg, ip(a)));
	}
	assert_false(lb_config_owns_addr(cfg, ip("10.0.1.51")));
	assert_int_equal(lb_config_find_vip(cfg, 0, ip("10.0.1.1"), 0), -1);
	assert_true(lb_config_owns_addr(cfg, ip("10.0.0.2")));
	lb_config_free(cfg);
	free(text);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_parse_defaults),
		T(test_find_vip_many),
		T(test_backend_mac_is_static_neighbour),
		T(test_error_backend_mac_not_unicast),
		T(test_error_backend_mac_conflict),
		T(test_parse_every_key),
		T(test_parse_lower_bounds_and_names_lowercased),
		T(test_parse_value_with_equals_and_semicolon),
		T(test_error_unknown_section),
		T(test_error_unknown_key),
		T(test_error_unknown_key_and_values_all_reported),
		T(test_error_not_a_regular_file),
		T(test_error_bad_integer),
		T(test_error_out_of_range),
		T(test_error_bad_string_values),
		T(test_error_bad_address),
		T(test_error_address_no_host_can_have),
		T(test_error_address_no_host_can_have_more),
		T(test_error_pool_all_weight_zero),
		T(test_error_pool_all_weight_zero_at_runtime),
		T(test_vlan_key),
		T(test_error_bad_prefix),
		T(test_error_gateway_outside_subnet),
		T(test_error_table_size_not_prime),
		T(test_error_table_size_not_above_backends),
		T(test_error_missing_required_key),
		T(test_error_missing_port_or_vip),
		T(test_error_dangling_pool),
		T(test_error_vip_pool_without_backends),
		T(test_error_duplicate_section),
		T(test_error_duplicate_section_case),
		T(test_error_duplicate_key),
		T(test_error_duplicate_vip),
		T(test_error_duplicate_backend_address_in_pool),
		T(test_error_backend_off_link),
		T(test_error_backend_is_own_address),
		T(test_error_ports_overlap),
		T(test_error_too_many_ports),
		T(test_error_unsupported_mode),
		T(test_error_syntax),
		T(test_error_unreadable_file),
		T(test_members_sorted_by_name),
		T(test_table_independent_of_ini_order),
		T(test_expected_share_follows_weights),
		T(test_expected_share_zero_weight),
		T(test_neighs_deduplicated),
		T(test_find_vip_and_owns_addr),
		T(test_free_null_and_whole_snapshot),
		T(test_hash_key_parsed),
		T(test_hash_key_generated_when_absent),
		T(test_error_hash_key),
		T(test_reference_ini_parses),
		T(test_demo_ini_parses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
