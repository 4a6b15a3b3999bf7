/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/excpath against a real kernel: each test runs in a network namespace
 * of its own (unshare), makes the kernel interface with net_tap, and talks
 * to it with ordinary sockets. A ring-backed ethdev stands in for the data
 * port, a worker's rings for the worker (no worker thread runs: the test
 * plays its part). Skipped without root (CAP_NET_ADMIN) or /dev/net/tun.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include <rte_arp.h>
#include <rte_eal.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include "lb_excpath.h"
#include "dataplane_priv.h"
#include "test_frames.h"
#include "test_ini.h"

#define KIF "kt0"
#define IP(a, b, c, d) RTE_BE32(RTE_IPV4(a, b, c, d))
#define PORT_ADDR IP(10, 77, 0, 2)
#define PEER_ADDR IP(10, 77, 0, 9)

static const struct rte_ether_addr port_mac = {{2, 0, 0, 0, 0x77, 2}};
static const struct rte_ether_addr peer_mac = {{2, 0, 0, 0, 0x77, 9}};

static int usable;               /* root, a namespace, a TUN device */
static struct rte_mempool *mp;
static struct rte_ring *rx_ring, *tx_ring;
static uint16_t ring_port;

struct fixture {
	struct lb_config *cfg;
	struct lb_dp *dp;
	struct lb_evloop *loop;
	struct lb_excpath *xp;
};

static const char ini[] =
	"[global]\nworkers = 1\nflow_table_size = 1024\n"
	"[port.lan]\ndevice = net_ring_x\naddress = 10.77.0.2/24\n"
	"gateway = 10.77.0.1\nkernel_interface = " KIF "\n"
	"[vip.web]\naddress = 10.77.0.100\nport = 80\npool = web\n"
	"[pool.web]\ntable_size = 251\n"
	"[backend.a]\npool = web\naddress = 10.77.0.11\n";

/* The test's own namespace: nothing it makes is seen outside. */
static int
own_namespace(void)
{
	if (geteuid() != 0 || access("/dev/net/tun", R_OK | W_OK) != 0)
		return 0;
	return unshare(CLONE_NEWNET) == 0;
}

static int
group_setup(void **state)
{
	char *argv[] = { "test", "--no-huge", "-m", "128", "--no-pci",
			 "--no-shconf", "--file-prefix=ut-excpath",
			 "--log-level=error",
			 /* net_tap's rte_flow set-up fails without sch_multiq,
			  * as the tests do not need it: not worth a line */
			 "--log-level=pmd.net.tap:critical", NULL };
	int rc;

	(void)state;
	usable = own_namespace();
	if (!usable)
		return 0;
	if (rte_eal_init(9, argv) < 0)
		return -1;
	mp = rte_pktmbuf_pool_create("x_mbufs", 4096, 0, 0,
				     RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	rx_ring = rte_ring_create("x_rx", 256, 0, 0);
	tx_ring = rte_ring_create("x_tx", 256, 0, 0);
	if (mp == NULL || rx_ring == NULL || tx_ring == NULL)
		return -1;
	rc = rte_eth_from_rings("net_ring_x", &rx_ring, 1, &tx_ring, 1, 0);
	if (rc < 0)
		return -1;
	ring_port = (uint16_t)rc;
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	if (usable)
		rte_eal_cleanup();
	return 0;
}

/* A dataplane with one port (the ring) and one worker that never runs. */
static struct lb_dp *
make_dp(void)
{
	struct lb_dp *dp = lb_dp_create(1);

	assert_non_null(dp);
	dp->n_ports = 1;
	dp->ports[0].port_id = ring_port;
	dp->ports[0].mac = port_mac;    /* net_ring's is all zeros */
	assert_int_equal(lb_dp_worker_create(dp, 0, 1, 0, 1024), 0);
	return dp;
}

static int
setup(void **state)
{
	struct fixture *fx;
	char err[512] = "";

	if (!usable)
		return 0;
	fx = calloc(1, sizeof(*fx));
	fx->cfg = tini_parse(ini);
	if (fx->cfg == NULL)
		return -1;
	fx->dp = make_dp();
	fx->xp = lb_excpath_create(fx->cfg, fx->dp, mp, err, sizeof(err));
	if (fx->xp == NULL) {
		fprintf(stderr, "lb_excpath_create: %s\n", err);
		return -1;
	}
	fx->loop = lb_evloop_create();
	if (fx->loop == NULL || lb_excpath_attach(fx->xp, fx->loop) != 0)
		return -1;
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;

	if (!usable)
		return 0;
	lb_excpath_detach(fx->xp);
	lb_evloop_destroy(fx->loop);
	lb_excpath_destroy(fx->xp);
	/* The interface goes with its TAP. */
	assert_int_equal(if_nametoindex(KIF), 0);
	lb_dp_free(fx->dp);
	lb_config_free(fx->cfg);
	free(fx);
	return 0;
}

#define NEED_KERNEL() \
	do { if (!usable) skip(); } while (0)

/* ---- helpers ---- */

static int
ifreq_get(unsigned long req, struct ifreq *ifr)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), rc;

	memset(ifr, 0, sizeof(*ifr));
	snprintf(ifr->ifr_name, sizeof(ifr->ifr_name), "%s", KIF);
	rc = ioctl(s, req, ifr);
	close(s);
	return rc;
}

static uint32_t
sin_addr_of(const struct sockaddr *sa)
{
	return ((const struct sockaddr_in *)sa)->sin_addr.s_addr;
}

/* /proc/net/route (this thread's namespace) has 0.0.0.0/0 via @p gw. */
static int
has_default_route(uint32_t gw)
{
	FILE *f = fopen("/proc/net/route", "r");
	char line[256], dev[32];
	unsigned int dst, via, flags, mask;
	int found = 0;

	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "%31s %x %x %x %*d %*d %*d %x", dev, &dst, &via,
			   &flags, &mask) == 5 &&
		    strcmp(dev, KIF) == 0 && dst == 0 && mask == 0 && via == gw)
			found = 1;
	fclose(f);
	return found;
}

/* Run the event loop until @p done says so (at most 2 s). */
static void
serve_until(struct fixture *fx, int (*done)(struct fixture *))
{
	int i;

	for (i = 0; i < 20 && !done(fx); i++)
		assert_true(lb_evloop_run_once(fx->loop, 100) >= 0);
	assert_true(done(fx));
}

static struct rte_mbuf *
udp_to_port(const struct fixture *fx, uint16_t dport, const char *payload)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	uint16_t len = sizeof(struct rte_udp_hdr) + strlen(payload);
	struct rte_ipv4_hdr *ip;
	struct rte_udp_hdr *udp;
	void *buf;

	buf = rte_pktmbuf_append(m, sizeof(struct rte_ether_hdr) +
				 sizeof(*ip) + len);
	assert_non_null(buf);
	ip = tf_eth_ipv4(buf, &fx->dp->ports[0].mac, &peer_mac, PEER_ADDR,
			 PORT_ADDR, IPPROTO_UDP, len);
	udp = (struct rte_udp_hdr *)(ip + 1);
	udp->src_port = rte_cpu_to_be_16(40000);
	udp->dst_port = rte_cpu_to_be_16(dport);
	udp->dgram_len = rte_cpu_to_be_16(len);
	memcpy(udp + 1, payload, strlen(payload));  /* checksum 0: none */
	return m;
}

static int
udp_socket(uint32_t addr, uint16_t port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_addr.s_addr = addr,
				   .sin_port = htons(port) };
	struct timeval tv = { .tv_sec = 2 };
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	assert_true(s >= 0);
	assert_int_equal(bind(s, (struct sockaddr *)&sin, sizeof(sin)), 0);
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return s;
}

static unsigned int
from_mgmt_count(struct fixture *fx)
{
	return rte_ring_count(fx->dp->workers[0]->from_mgmt);
}

static int
kernel_sent_one(struct fixture *fx)
{
	return from_mgmt_count(fx) >= 1;
}

/* ---- tests ---- */

static void
test_interface_made_as_configured(void **state)
{
	struct fixture *fx = *state;
	struct ifreq ifr;

	NEED_KERNEL();
	assert_string_equal(lb_excpath_ifname(fx->xp, 0), KIF);
	assert_int_equal(lb_excpath_ifindex(fx->xp, 0),
			 (int)if_nametoindex(KIF));
	assert_null(lb_excpath_ifname(fx->xp, 1));
	assert_int_equal(lb_excpath_ifindex(fx->xp, 1), -1);
	assert_null(lb_excpath_port_stats(fx->xp, 1));
	assert_int_equal(fx->dp->kernel_ports, 1);
	assert_int_equal(ifreq_get(SIOCGIFHWADDR, &ifr), 0);
	assert_memory_equal(ifr.ifr_hwaddr.sa_data,
			    fx->dp->ports[0].mac.addr_bytes, 6);
	assert_int_equal(ifreq_get(SIOCGIFADDR, &ifr), 0);
	assert_int_equal(sin_addr_of(&ifr.ifr_addr), PORT_ADDR);
	assert_int_equal(ifreq_get(SIOCGIFNETMASK, &ifr), 0);
	assert_int_equal(sin_addr_of(&ifr.ifr_netmask), htonl(0xffffff00));
	assert_int_equal(ifreq_get(SIOCGIFFLAGS, &ifr), 0);
	assert_true(ifr.ifr_flags & IFF_UP);
	assert_true(has_default_route(IP(10, 77, 0, 1)));
}

/* Worker -> kernel: a queued frame reaches a socket on the port address
 * once the doorbell rings; management re-arms after draining. */
static void
test_queued_frame_reaches_socket(void **state)
{
	struct fixture *fx = *state;
	const struct lb_excpath_port_stats *ps;
	char buf[64] = "";
	int s;

	NEED_KERNEL();
	s = udp_socket(PORT_ADDR, 5000);
	lb_dp_to_kernel(fx->dp->workers[0], 0, udp_to_port(fx, 5000, "hi"));
	lb_dp_kernel_ring(fx->dp->workers[0]);
	assert_int_equal(lb_evloop_run_once(fx->loop, 1000), 1);
	assert_int_equal(recv(s, buf, sizeof(buf) - 1, 0), 2);
	assert_string_equal(buf, "hi");
	ps = lb_excpath_port_stats(fx->xp, 0);
	assert_int_equal(ps->kernel_tx_packets, 1);
	assert_int_equal(ps->kernel_tx_bytes, 14 + 20 + 8 + 2);
	assert_int_equal(lb_excpath_loop_stats(fx->xp)->wakeups, 1);
	/* drained and armed: the next frame rings again */
	assert_int_equal(fx->dp->kernel_bell.armed, 1);
	close(s);
}

static struct rte_mbuf *
arp_reply_from_peer(const struct fixture *fx)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	struct rte_arp_hdr *arp;
	void *buf;

	assert_non_null(rte_pktmbuf_append(m, sizeof(struct rte_ether_hdr) +
					   sizeof(*arp)));
	buf = rte_pktmbuf_mtod(m, void *);
	tf_arp_request(buf, &peer_mac, PEER_ADDR, PORT_ADDR);
	rte_ether_addr_copy(&fx->dp->ports[0].mac,
			    &((struct rte_ether_hdr *)buf)->dst_addr);
	arp = (struct rte_arp_hdr *)((struct rte_ether_hdr *)buf + 1);
	arp->arp_opcode = RTE_BE16(RTE_ARP_OP_REPLY);
	rte_ether_addr_copy(&fx->dp->ports[0].mac, &arp->arp_data.arp_tha);
	m->port = 0;
	return m;
}

/* Kernel -> port: the kernel's ARP request, then (the reply passed on as
 * management does after learning) its datagram, both on worker 0's
 * ring to the port, from the port's MAC. */
static void
test_kernel_frames_leave_by_port(void **state)
{
	struct fixture *fx = *state;
	struct sockaddr_in to = { .sin_family = AF_INET,
				  .sin_addr.s_addr = PEER_ADDR,
				  .sin_port = htons(6000) };
	const struct lb_excpath_port_stats *ps;
	struct rte_mbuf *m[2];
	struct rte_ether_hdr *eth;
	int s;

	NEED_KERNEL();
	s = udp_socket(PORT_ADDR, 5001);
	assert_int_equal(sendto(s, "yo", 2, 0, (struct sockaddr *)&to,
				sizeof(to)), 2);
	serve_until(fx, kernel_sent_one);
	assert_int_equal(rte_ring_dequeue(fx->dp->workers[0]->from_mgmt,
					  (void **)&m[0]), 0);
	eth = rte_pktmbuf_mtod(m[0], struct rte_ether_hdr *);
	assert_int_equal(eth->ether_type, RTE_BE16(RTE_ETHER_TYPE_ARP));
	assert_true(rte_is_same_ether_addr(&eth->src_addr,
					   &fx->dp->ports[0].mac));
	assert_int_equal(m[0]->port, 0);
	rte_pktmbuf_free(m[0]);
	lb_excpath_pass_arp(fx->xp, arp_reply_from_peer(fx));
	serve_until(fx, kernel_sent_one);
	assert_int_equal(rte_ring_dequeue(fx->dp->workers[0]->from_mgmt,
					  (void **)&m[1]), 0);
	eth = rte_pktmbuf_mtod(m[1], struct rte_ether_hdr *);
	assert_int_equal(eth->ether_type, RTE_BE16(RTE_ETHER_TYPE_IPV4));
	assert_true(rte_is_same_ether_addr(&eth->dst_addr, &peer_mac));
	rte_pktmbuf_free(m[1]);
	ps = lb_excpath_port_stats(fx->xp, 0);
	assert_int_equal(ps->from_kernel, 2);
	assert_int_equal(ps->arp_to_kernel, 1);
	assert_int_equal(ps->kernel_tx_packets, 1);
	close(s);
}

/* An ARP reply for a port without a kernel interface is freed. */
static void
test_arp_for_port_without_interface_freed(void **state)
{
	struct fixture *fx = *state;
	struct rte_mbuf *m;

	unsigned int in_use;

	NEED_KERNEL();
	in_use = rte_mempool_in_use_count(mp);
	m = arp_reply_from_peer(fx);
	m->port = 1;
	lb_excpath_pass_arp(fx->xp, m);
	lb_excpath_pass_arp(NULL, arp_reply_from_peer(fx));
	assert_int_equal(lb_excpath_port_stats(fx->xp, 0)->arp_to_kernel, 0);
	assert_int_equal(rte_mempool_in_use_count(mp), in_use);
}

/* A name the kernel refuses (an existing non-TAP interface) fails with a
 * message naming the port and the interface, and leaves nothing behind. */
static void
test_create_error_names_port_and_interface(void **state)
{
	char err[512] = "", text[sizeof(ini) + 16];
	struct lb_config *cfg;
	struct lb_dp *dp;

	(void)state;
	NEED_KERNEL();
	snprintf(text, sizeof(text), "%.*slo\n%s",
		 (int)(strstr(ini, KIF "\n") - ini), ini,
		 strstr(ini, KIF "\n") + strlen(KIF "\n"));
	cfg = tini_parse(text);
	assert_non_null(cfg);
	assert_string_equal(cfg->ports[0].kernel_interface, "lo");
	dp = make_dp();
	assert_null(lb_excpath_create(cfg, dp, mp, err, sizeof(err)));
	assert_true(strncmp(err, "port lan: kernel interface lo: ", 31) == 0);
	assert_int_equal(dp->kernel_ports, 0);
	assert_int_equal(dp->kernel_bell.fd, -1);
	lb_dp_free(dp);
	lb_config_free(cfg);
}

/* Without any kernel_interface: nothing made, nothing registered. */
static void
test_no_interface_configured(void **state)
{
	char err[512] = "";
	struct lb_excpath *xp;
	struct lb_evloop *loop;
	struct lb_config *cfg;
	struct lb_dp *dp;

	(void)state;
	NEED_KERNEL();
	cfg = tini_parse("[port.lan]\ndevice = net_ring_x\n"
		       "address = 10.77.0.2/24\n"
		       "[vip.web]\naddress = 10.77.0.100\nport = 80\n"
		       "pool = web\n[pool.web]\n"
		       "[backend.a]\npool = web\naddress = 10.77.0.11\n");
	assert_non_null(cfg);
	assert_int_equal(lb_excpath_mbufs(cfg), 0);
	dp = make_dp();
	xp = lb_excpath_create(cfg, dp, mp, err, sizeof(err));
	assert_non_null(xp);
	loop = lb_evloop_create();
	assert_int_equal(lb_excpath_attach(xp, loop), 0);
	assert_int_equal(lb_evloop_run_once(loop, 0), 0);
	assert_null(lb_excpath_ifname(xp, 0));
	assert_int_equal(dp->kernel_ports, 0);
	lb_excpath_detach(xp);
	lb_evloop_destroy(loop);
	lb_excpath_destroy(xp);
	lb_dp_free(dp);
	lb_config_free(cfg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_interface_made_as_configured, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_queued_frame_reaches_socket, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_kernel_frames_leave_by_port, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_arp_for_port_without_interface_freed, setup,
			teardown),
		cmocka_unit_test(test_create_error_names_port_and_interface),
		cmocka_unit_test(test_no_interface_configured),
	};

	return cmocka_run_group_tests_name("excpath", tests, group_setup,
					   group_teardown);
}
