/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/bgp/conf.c: what is announced under health, min_healthy, announce =
 * no and the holds; [bgp]'s validation; and the generated bird.conf, which
 * BIRD 2 itself must accept (`bird -p`) when it is installed.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "lb_bgp.h"

static const char base[] =
	"[global]\nworkers = 1\nsocket = /tmp/elb-bgp-test.sock\n"
	"hash_key = 3f1c9a7be2d04586a1b2c3d4e5f60718\n"
	"[port.lan]\ndevice = net_null0\naddress = 10.10.0.2/24\n"
	"gateway = 10.10.0.1\nkernel_interface = elb-t0\n"
	"[vip.web]\naddress = 10.10.0.100\nport = 80\npool = web\n"
	"[vip.web443]\naddress = 10.10.0.100\nport = 443\npool = web\n"
	"[vip.api]\naddress = 10.10.0.101\nport = 80\npool = api\n"
	"[vip.quiet]\naddress = 10.10.0.102\nport = 80\npool = api\n"
	"announce = no\n"
	"[pool.web]\ntable_size = 251\n"
	"[pool.api]\ntable_size = 251\nmin_healthy = 2\n"
	"[backend.w1]\npool = web\naddress = 10.10.0.11\n"
	"[backend.a1]\npool = api\naddress = 10.10.0.21\n"
	"[backend.a2]\npool = api\naddress = 10.10.0.22\n"
	"[backend.a3]\npool = api\naddress = 10.10.0.23\n";

static char *
write_ini(const char *extra)
{
	static char path[] = "/tmp/elb-test-bgp-XXXXXX";
	char *p = strdup(path);
	int fd = mkstemp(p);
	FILE *f = fdopen(fd, "w");

	assert_non_null(f);
	fprintf(f, "%s%s", base, extra);
	fclose(f);
	return p;
}

static struct lb_config *
parse(const char *extra, struct lb_config_error *err)
{
	char *path = write_ini(extra);
	struct lb_config *cfg = lb_config_parse(path, err);

	unlink(path);
	free(path);
	return cfg;
}

static struct lb_config *
parse_ok(const char *extra)
{
	struct lb_config_error err = { { 0 } };
	struct lb_config *cfg = parse(extra, &err);

	if (cfg == NULL)
		fail_msg("unexpected error: %s", err.msg);
	return cfg;
}

static const char bgp_ok[] =
	"[bgp]\nlocal_as = 65001\nneighbor = 10.10.0.1 65000, "
	"10.10.0.254 4200000000\nhold_time_s = 3\ndrain_s = 2\n";

static void
test_bgp_keys_parsed(void **state)
{
	struct lb_config *cfg = parse_ok(bgp_ok);

	(void)state;
	assert_true(cfg->bgp.enabled);
	assert_int_equal(cfg->bgp.local_as, 65001);
	assert_int_equal(cfg->bgp.n_neighbors, 2);
	assert_int_equal(cfg->bgp.neighbors[1].as, 4200000000u);
	assert_int_equal(cfg->bgp.neighbors[0].addr, inet_addr("10.10.0.1"));
	/* the router id defaults to the kernel port's address */
	assert_int_equal(cfg->bgp.router_id, inet_addr("10.10.0.2"));
	assert_int_equal(cfg->bgp.hold_time_s, 3);
	assert_false(cfg->vips[3].announce);
	assert_true(cfg->vips[0].announce);
	lb_config_free(cfg);
	cfg = parse_ok("");
	assert_false(cfg->bgp.enabled);
	lb_config_free(cfg);
}

static void
expect_error(const char *extra, const char *msg)
{
	struct lb_config_error err = { { 0 } };
	struct lb_config *cfg = parse(extra, &err);

	assert_null(cfg);
	if (strstr(err.msg, msg) == NULL)
		fail_msg("expected '%s' in: %s", msg, err.msg);
}

static void
test_bgp_bad_neighbors_refused(void **state)
{
	(void)state;
	expect_error("[bgp]\nlocal_as = 65001\nneighbor = 10.10.0.1\n",
		     "expected 'ADDRESS AS'");
	expect_error("[bgp]\nlocal_as = 65001\nneighbor = 10.10.0.1 65000 x\n",
		     "expected 'ADDRESS AS'");
	expect_error("[bgp]\nlocal_as = 65001\nneighbor = 192.0.2.1 65000\n",
		     "not on-link on any port with a kernel_interface");
	expect_error("[bgp]\nlocal_as = 65001\nneighbor = 10.10.0.2 65000\n",
		     "this box's own port address");
	expect_error("[bgp]\nlocal_as = 65001\n"
		     "neighbor = 10.10.0.1 1, 10.10.0.1 2\n", "listed twice");
	expect_error("[bgp]\nneighbor = 10.10.0.1 65000\n",
		     "missing required key 'local_as'");
	expect_error("[bgp]\nlocal_as = 0\nneighbor = 10.10.0.1 65000\n",
		     "local_as = 0 is out of range");
	expect_error("[bgp]\nlocal_as = 1\nneighbor = 10.10.0.1 1\n"
		     "hold_time_s = 2\n", "hold_time_s = 2 is out of range");
}

static const struct lb_bgp_addr *
entry(const struct lb_bgp_addr *a, unsigned int n, const char *ip)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (a[i].addr == inet_addr(ip))
			return &a[i];
	fail_msg("%s not listed", ip);
	return a;           /* not reached: fail_msg jumps out */
}

static void
test_wanted_follows_health_and_holds(void **state)
{
	struct lb_config *cfg = parse_ok(bgp_ok);
	struct lb_bgp_addr a[8];
	unsigned int n;

	(void)state;
	n = lb_bgp_wanted(cfg, LB_BGP_FORWARDING, a, 8);
	/* one entry per address; announce = no on .102's only VIP */
	assert_int_equal(n, 2);
	assert_true(entry(a, n, "10.10.0.100")->wanted);
	assert_true(entry(a, n, "10.10.0.101")->wanted);
	/* api has min_healthy = 2: one down still serves, two do not */
	cfg->backends[1].down = 1;
	n = lb_bgp_wanted(cfg, LB_BGP_FORWARDING, a, 8);
	assert_true(entry(a, n, "10.10.0.101")->wanted);
	cfg->backends[2].down = 1;
	n = lb_bgp_wanted(cfg, LB_BGP_FORWARDING, a, 8);
	assert_false(entry(a, n, "10.10.0.101")->wanted);
	assert_non_null(strstr(entry(a, n, "10.10.0.101")->reason, "api"));
	assert_true(entry(a, n, "10.10.0.100")->wanted);
	/* a pool all down withdraws every VIP on it */
	cfg->pools[0].all_down_now = 1;
	n = lb_bgp_wanted(cfg, LB_BGP_FORWARDING, a, 8);
	assert_false(entry(a, n, "10.10.0.100")->wanted);
	cfg->pools[0].all_down_now = 0;
	/* an operator's withdraw and a stop hold everything back */
	n = lb_bgp_wanted(cfg, LB_BGP_WITHDRAWN, a, 8);
	assert_false(entry(a, n, "10.10.0.100")->wanted);
	assert_non_null(strstr(entry(a, n, "10.10.0.100")->reason,
			       "bgp withdraw"));
	n = lb_bgp_wanted(cfg, LB_BGP_STOPPING, a, 8);
	assert_false(entry(a, n, "10.10.0.100")->wanted);
	n = lb_bgp_wanted(cfg, LB_BGP_STARTING, a, 8);
	assert_false(entry(a, n, "10.10.0.100")->wanted);
	assert_non_null(strstr(entry(a, n, "10.10.0.100")->reason,
			       "health check verdicts"));
	lb_config_free(cfg);
}

/* The text announces exactly the wanted /32s, and BIRD 2 accepts it. */
static void
test_conf_announces_wanted_and_bird_parses(void **state)
{
	struct lb_config *cfg = parse_ok(bgp_ok);
	char path[] = "/tmp/elb-test-bird-XXXXXX", cmd[256], *text = NULL;
	struct lb_bgp_addr a[8];
	size_t len = 0;
	unsigned int n;
	FILE *f, *m;
	int fd;

	(void)state;
	cfg->pools[1].all_down_now = 1;
	n = lb_bgp_wanted(cfg, LB_BGP_FORWARDING, a, 8);
	m = open_memstream(&text, &len);
	assert_int_equal(lb_bgp_conf_write(m, &cfg->bgp, "x.ini", a, n), 0);
	fclose(m);
	assert_non_null(strstr(text, "route 10.10.0.100/32 blackhole;"));
	assert_null(strstr(text, "10.10.0.101/32"));
	assert_non_null(strstr(text, "neighbor 10.10.0.254 as 4200000000;"));
	assert_non_null(strstr(text, "hold time 3;"));
	fd = mkstemp(path);
	f = fdopen(fd, "w");
	fputs(text, f);
	fclose(f);
	if (access("/usr/sbin/bird", X_OK) == 0) {
		snprintf(cmd, sizeof(cmd), "/usr/sbin/bird -p -c %s", path);
		assert_int_equal(system(cmd), 0);
	}
	unlink(path);
	free(text);
	lb_config_free(cfg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bgp_keys_parsed),
		cmocka_unit_test(test_bgp_bad_neighbors_refused),
		cmocka_unit_test(test_wanted_follows_health_and_holds),
		cmocka_unit_test(test_conf_announces_wanted_and_bird_parses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
