/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/config/validate.c and build.c for the kernel exception path: the
 * port key kernel_interface (names Linux accepts, unique among ports,
 * errors with file:line) and whose address each owned-address slot is
 * (the worker sends to the kernel only a port's address no VIP has).
 */

#include <arpa/inet.h>

#include "lb_config.h"
#include "test_support.h"

#define T_PORT_WAN "[port.wan]\n" \
	"device = net_af_packet1,iface=veth1\n" \
	"address = 10.9.0.2/24\n"

static struct lb_config *
build_text(struct tfix *f, const char *text, struct lb_config_error *err)
{
	struct lb_spec *s = tfix_load(f->path, text);
	struct lb_config *cfg = lb_config_build(s, NULL, err);

	lb_spec_free(s);
	return cfg;
}

/* The one error message of @p text, without its "path:" prefix. */
static void
assert_error(struct tfix *f, const char *text, const char *want)
{
	struct lb_config_error err = { { 0 }, 0 };
	char full[1024];

	assert_null(build_text(f, text, &err));
	snprintf(full, sizeof(full), "%s:%s", f->path, want);
	assert_string_equal(err.msg, full);
	assert_int_equal(err.n, 1);
}

static uint32_t
ip(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

/* ---- kernel_interface ---------------------------------------------------- */

static void
test_kernel_interface_default_none(void **state)
{
	struct lb_config_error err = { { 0 }, 0 };
	struct lb_config *cfg = build_text(*state, T_MINIMAL, &err);

	assert_non_null(cfg);
	assert_string_equal(cfg->ports[0].kernel_interface, "");
	lb_config_free(cfg);
}

static void
test_kernel_interface_names_accepted(void **state)
{
	static const char *const good[] = { "edgelb-lan", "e", "A.b_c-9",
		"abcdefghijklmno", "..." };
	struct lb_config_error err = { { 0 }, 0 };
	struct lb_config *cfg;
	char text[512];
	unsigned int i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(text, sizeof(text), T_PORT_LAN "kernel_interface = %s\n"
			 T_VIP_WEB T_POOL_WEB T_BE("b1", "10.0.0.11"), good[i]);
		cfg = build_text(*state, text, &err);
		if (cfg == NULL)
			fail_msg("%s refused: %s", good[i], err.msg);
		assert_string_equal(cfg->ports[0].kernel_interface, good[i]);
		lb_config_free(cfg);
	}
}

static void
test_kernel_interface_bad_names_refused(void **state)
{
	static const char *const bad[] = { "a/b", ".", "..", "eth0:1",
		"tap x", "caf\xc3\xa9" };
	char text[512], want[512];
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), T_PORT_LAN "kernel_interface = %s\n"
			 T_VIP_WEB T_POOL_WEB T_BE("b1", "10.0.0.11"), bad[i]);
		snprintf(want, sizeof(want),
			 "4: kernel_interface = '%s': not a Linux interface name (1..15 characters of A-Z, a-z, 0-9, '_', '-' and '.'; not '.' or '..')",
			 bad[i]);
		assert_error(*state, text, want);
	}
	assert_error(*state, T_PORT_LAN "kernel_interface = abcdefghijklmnop\n"
		     T_VIP_WEB T_POOL_WEB T_BE("b1", "10.0.0.11"),
		     "4: kernel_interface is too long (max 15 bytes)");
}

static void
test_kernel_interface_unique_among_ports(void **state)
{
	struct lb_config_error err = { { 0 }, 0 };
	struct lb_config *cfg;

	assert_error(*state, T_PORT_LAN "kernel_interface = k0\n"
		     T_PORT_WAN "kernel_interface = k0\n"
		     T_VIP_WEB T_POOL_WEB T_BE("b1", "10.0.0.11"),
		     "8: kernel_interface 'k0' is also port lan's (line 4)");
	cfg = build_text(*state, T_PORT_LAN "kernel_interface = k0\n"
			 T_PORT_WAN "kernel_interface = k1\n"
			 T_VIP_WEB T_POOL_WEB T_BE("b1", "10.0.0.11"), &err);
	assert_non_null(cfg);
	assert_string_equal(cfg->ports[1].kernel_interface, "k1");
	lb_config_free(cfg);
}

/* The TAPs' own device names are kept from data ports. */
static void
test_device_named_like_kernel_tap_refused(void **state)
{
	assert_error(*state, "[port.lan]\ndevice = net_tap_edgelb0,iface=x\n"
		     "address = 10.0.0.2/24\n" T_VIP_WEB T_POOL_WEB
		     T_BE("b1", "10.0.0.11"),
		     "2: device = 'net_tap_edgelb0,iface=x': names starting with net_tap_edgelb are edgelbd's own (kernel interfaces)");
}

/* A reload must not change it: the interface is made once, at start. */
static void
test_kernel_interface_not_runtime(void **state)
{
	const struct lb_config_key *k =
		lb_config_key_find(LB_SECTION_PORT, "kernel_interface");

	(void)state;
	assert_non_null(k);
	assert_int_equal(k->runtime, 0);
	assert_string_equal(k->def, "");
}

/* ---- owned addresses: whose ------------------------------------------- */

static void
test_owner_slots_tell_port_from_vip(void **state)
{
	struct lb_config_error err = { { 0 }, 0 };
	struct lb_config *cfg = build_text(*state, T_PORT_LAN T_PORT_WAN
		T_VIP_WEB "[vip.onport]\naddress = 10.9.0.2\nport = 443\n"
		"pool = web\n" T_POOL_WEB T_BE("b1", "10.0.0.11"), &err);
	const struct lb_addr_slot *s;

	assert_non_null(cfg);
	s = lb_config_owner(cfg, ip("10.0.0.2"));
	assert_true(s->used);
	assert_int_equal(s->vip, LB_ADDR_PORT(0));
	s = lb_config_owner(cfg, ip("10.0.0.100"));
	assert_true(s->used);
	assert_int_equal(s->vip, LB_ADDR_VIP);
	/* wan's address is also a VIP's: a VIP's, never the kernel's */
	s = lb_config_owner(cfg, ip("10.9.0.2"));
	assert_true(s->used);
	assert_int_equal(s->vip, LB_ADDR_VIP);
	assert_false(lb_config_owner(cfg, ip("10.0.0.11"))->used);
	assert_null(lb_config_vip_slot(cfg, IPPROTO_TCP, ip("10.0.0.2"), 0));
	lb_config_free(cfg);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, tfix_setup, tfix_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_kernel_interface_default_none),
		T(test_kernel_interface_names_accepted),
		T(test_kernel_interface_bad_names_refused),
		T(test_kernel_interface_unique_among_ports),
		T(test_kernel_interface_not_runtime),
		T(test_device_named_like_kernel_tap_refused),
		T(test_owner_slots_tell_port_from_vip),
	};

	return cmocka_run_group_tests_name("config_validate", tests, NULL,
					   NULL);
}
