/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/config/validate.c and build.c: every error reported, identities
 * from registries, admin states, retained backends, the new keys, and a
 * 1000-backend build (time printed, never asserted).
 */

#include <time.h>

#include "lb_config.h"
#include "test_support.h"
#include "test_ini.h"

static struct lb_config *
build_ok(const struct lb_spec *s, const struct lb_config_build_opts *o)
{
	struct lb_config_error err = { { 0 }, 0 };
	struct lb_config *cfg = lb_config_build(s, o, &err);

	if (cfg == NULL)
		fail_msg("unexpected error: %s", err.msg);
	assert_int_equal(err.n, 0);
	return cfg;
}

/* ---- lb_config_build: errors ----------------------------------------- */

static void
test_build_reports_every_error(void **state)
{
	struct tfix *f = *state;
	struct lb_spec *s = tfix_load(f->path, T_MINIMAL
		"weight = 70000\n"                          /* 12 */
		T_BE("b2", "10.0.9.1")                      /* 13-15 */
		T_BE("b3", "10.0.0.11")                     /* 16-18 */
		"[global]\nworkers = 0\ntcp_timeout = x\n"  /* 19-21 */
		"[pool.p2]\ntable_size = 1000\n"            /* 22-23 */
		"[backend.b4]\npool = nope\naddress = 10.0.0.14\n"); /* 24-26 */
	struct lb_config_error err = { { 0 }, 0 };
	char want[4096];

	assert_null(lb_config_build(s, NULL, &err));
	snprintf(want, sizeof(want),
		 "%s:20: workers = 0 is out of range 1..64\n"
		 "%s:21: tcp_timeout = 'x': not a decimal integer (1..86400)\n"
		 "%s:12: weight = 70000 is out of range 0..65535\n"
		 "%s:23: table_size = 1000 is not prime (try 997 or 1009)\n"
		 "%s:15: backend b2: 10.0.9.1 is not on-link on any port (dr mode sends frames to the backend's MAC)\n"
		 "%s:25: pool 'nope' does not exist (no [pool.nope])",
		 f->path, f->path, f->path, f->path, f->path, f->path);
	assert_string_equal(err.msg, want);
	assert_int_equal(err.n, 6);
	lb_spec_free(s);
}

static void
test_build_error_buffer_full_is_cut(void **state)
{
	struct tfix *f = *state;
	size_t cap = 1 << 20, n;
	char *text = malloc(cap);
	struct lb_config_error err = { { 0 }, 0 };
	struct lb_spec *s;
	int i;

	assert_non_null(text);
	n = snprintf(text, cap, "%s", T_PORT_LAN "[port.x]\ndevice = x\naddress = 10.9.0.1/24\n" T_VIP_WEB T_POOL_WEB);
	for (i = 0; i < 400; i++)
		n += snprintf(text + n, cap - n,
			      "[backend.b%d]\npool = web\naddress = 10.0.0.%d\nweight = -1\n",
			      i, i % 200 + 10);
	s = tfix_load(f->path, text);
	assert_null(lb_config_build(s, NULL, &err));
	assert_int_equal(err.n, 400);
	assert_true(strlen(err.msg) < LB_ERR_MAX);
	assert_string_equal(err.msg + strlen(err.msg) - 3, "...");
	free(text);
	lb_spec_free(s);
}

/* ---- lb_config_build: identities --------------------------------------- */

static void
test_ids_in_file_order_without_registry(void **state)
{
	struct tfix *f = *state;
	struct lb_spec *s = tfix_load(f->path, T_PORT_LAN T_VIP_WEB T_POOL_WEB
		T_BE("zz", "10.0.0.13") T_BE("aa", "10.0.0.12"));
	struct lb_config *cfg = build_ok(s, NULL);

	assert_int_equal(cfg->backends[0].id, 0);
	assert_int_equal(cfg->backends[1].id, 1);
	assert_int_equal(cfg->backend_index[0], 0);
	assert_int_equal(cfg->backend_index[1], 1);
	assert_int_equal(cfg->backend_index[2], LB_ID_NONE);
	assert_int_equal(cfg->vip_index[0], 0);
	assert_int_equal(cfg->vip_index[1], LB_ID_NONE);
	/* members are sorted by name: aa then zz */
	assert_int_equal(cfg->backends[1].member, 0);
	assert_int_equal(cfg->backends[0].member, 1);
	assert_non_null(cfg->spec);
	assert_string_equal(cfg->path, f->path);
	lb_config_free(cfg);
	lb_spec_free(s);
}

static void
test_ids_stable_with_registry(void **state)
{
	struct tfix *f = *state;
	struct lb_ids *bids = lb_ids_create(LB_MAX_BACKENDS);
	struct lb_ids *vids = lb_ids_create(LB_MAX_VIPS);
	struct lb_config_build_opts o = { .backend_ids = bids,
					  .vip_ids = vids };
	struct lb_spec *s = tfix_load(f->path, T_MINIMAL T_BE("b2", "10.0.0.12")
				      T_BE("b3", "10.0.0.13"));
	struct lb_config *c1 = build_ok(s, &o), *c2;
	uint16_t id2 = c1->backends[tini_backend(c1, "b2")].id;
	uint16_t id3 = c1->backends[tini_backend(c1, "b3")].id;

	lb_spec_free(s);
	/* a0 sorts first and is added first in the file; b2 goes; reordered */
	s = tfix_load(f->path, T_BE("a0", "10.0.0.10") T_BE("b3", "10.0.0.13")
		      T_POOL_WEB T_VIP_WEB T_BE("b1", "10.0.0.11") T_PORT_LAN);
	c2 = build_ok(s, &o);
	assert_int_equal(c2->backends[tini_backend(c2, "b3")].id, id3);
	assert_int_equal(c2->backends[tini_backend(c2, "b1")].id,
			 c1->backends[tini_backend(c1, "b1")].id);
	assert_int_equal(c2->backends[tini_backend(c2, "a0")].id, 3);
	assert_int_equal(c2->backend_index[id2], LB_ID_NONE);
	assert_int_equal(c2->backend_index[id3], tini_backend(c2, "b3"));
	assert_int_equal(c2->vips[0].id, c1->vips[0].id);
	lb_config_free(c1);
	lb_config_free(c2);
	lb_spec_free(s);
	lb_ids_free(bids);
	lb_ids_free(vids);
}

static void
test_ids_registry_full(void **state)
{
	struct tfix *f = *state;
	struct lb_ids *bids = lb_ids_create(1);
	struct lb_config_build_opts o = { .backend_ids = bids };
	struct lb_spec *s = tfix_load(f->path, T_MINIMAL
				      T_BE("b2", "10.0.0.12"));
	struct lb_config_error err = { { 0 }, 0 };
	char want[256];

	assert_null(lb_config_build(s, &o, &err));
	snprintf(want, sizeof(want), "%s:12: no free backend identity",
		 f->path);
	assert_non_null(strstr(err.msg, want));
	lb_spec_free(s);
	lb_ids_free(bids);
}

static struct lb_config *
build_ids(struct tfix *f, const char *text, struct lb_ids *bids,
	  const struct lb_config *prev)
{
	struct lb_config_build_opts o = { .backend_ids = bids, .prev = prev };
	struct lb_spec *s = tfix_load(f->path, text);
	struct lb_config_error err = { { 0 }, 0 };
	struct lb_config *cfg = lb_config_build(s, &o, &err);

	lb_spec_free(s);
	return cfg;
}

/*
 * A full registry gives an identity to a new name only if neither the
 * running configuration nor the new one has its old name, and counts it
 * in backend_epoch so that workers zero its counters.
 */
static void
test_ids_recycled_when_unused(void **state)
{
	struct tfix *f = *state;
	struct lb_ids *bids = lb_ids_create(2);
	struct lb_config *c1, *c2, *c3, *c4;

	c1 = build_ids(f, T_MINIMAL T_BE("b2", "10.0.0.12"), bids, NULL);
	assert_non_null(c1);
	c2 = build_ids(f, T_MINIMAL, bids, c1);          /* b2 removed */
	assert_non_null(c2);
	assert_int_equal(c2->backend_epoch[1], 0);
	c3 = build_ids(f, T_MINIMAL T_BE("b3", "10.0.0.13"), bids, c2);
	assert_non_null(c3);
	assert_int_equal(c3->backends[1].id, 1);
	assert_string_equal(lb_ids_name(bids, 1), "b3");
	assert_int_equal(c3->backend_epoch[1], 1);
	assert_int_equal(c3->backend_epoch[0], 0);
	/* b3 runs: b2 cannot have its identity back */
	c4 = build_ids(f, T_MINIMAL T_BE("b2", "10.0.0.12"), bids, c3);
	assert_null(c4);
	assert_int_equal(lb_ids_find(bids, "b3"), 1);
	lb_config_free(c1);
	lb_config_free(c2);
	lb_config_free(c3);
	lb_ids_free(bids);
}

/* ---- lb_config_build: states, retained, keys ----------------------------- */

static void
test_admin_states(void **state)
{
	struct tfix *f = *state;
	struct lb_spec *s = tfix_load(f->path, T_MINIMAL
		T_BE("b2", "10.0.0.12") "admin_state = drained\n"
		T_BE("b3", "10.0.0.13") "admin_state = disabled\n"
		T_BE("b4", "10.0.0.14") "weight = 0\n");
	struct lb_config *cfg = build_ok(s, NULL);
	const struct lb_pool_conf *p = &cfg->pools[0];

	assert_int_equal(cfg->backends[1].state, LB_BACKEND_DRAINED);
	assert_int_equal(cfg->backends[2].state, LB_BACKEND_DISABLED);
	assert_int_equal(cfg->backends[3].state, LB_BACKEND_UP);
	assert_int_equal(cfg->backends[1].member, UINT32_MAX);
	assert_int_equal(cfg->backends[2].member, UINT32_MAX);
	/* out of the table: no weight in it, the file's weight kept */
	assert_int_equal(cfg->backends[1].table_weight, 0);
	assert_int_equal(cfg->backends[2].table_weight, 0);
	assert_int_equal(cfg->backends[1].weight, 1);
	assert_int_equal(cfg->backends[0].table_weight, 1);
	assert_int_equal(p->n_members, 2);      /* b1 and b4 (weight 0) */
	assert_int_equal(p->member_slots[cfg->backends[3].member], 0);
	assert_true(lb_config_expected_share(cfg, 0) == 1.0);
	assert_true(lb_config_expected_share(cfg, 1) == 0);
	assert_int_equal(p->on_remove, LB_ON_REMOVE_KEEP);
	lb_config_free(cfg);
	lb_spec_free(s);
}

static void
test_new_global_and_pool_keys(void **state)
{
	struct tfix *f = *state;
	struct lb_spec *s = tfix_load(f->path, "[global]\n"
		"audit_log = /tmp/a.log\nsocket_group = edgelb\n"
		"admin_group = _ops-1\n" T_MINIMAL
		"[pool.p2]\non_remove = reschedule\n");
	struct lb_config *cfg = build_ok(s, NULL);
	struct lb_config_error err = { { 0 }, 0 };
	char want[512];

	assert_string_equal(cfg->global.audit_log, "/tmp/a.log");
	assert_string_equal(cfg->global.socket_group, "edgelb");
	assert_string_equal(cfg->global.admin_group, "_ops-1");
	assert_int_equal(cfg->pools[1].on_remove, LB_ON_REMOVE_RESCHEDULE);
	lb_config_free(cfg);
	lb_spec_free(s);
	s = tfix_load(f->path, T_MINIMAL);
	cfg = build_ok(s, NULL);
	assert_string_equal(cfg->global.audit_log, "/var/log/edgelb/audit.log");
	assert_string_equal(cfg->global.socket_group, "root");
	assert_string_equal(cfg->global.admin_group, "");
	lb_config_free(cfg);
	lb_spec_free(s);
	s = tfix_load(f->path, "[global]\naudit_log = rel.log\n"
		      "socket_group = 9x\n" T_MINIMAL);
	assert_null(lb_config_build(s, NULL, &err));
	snprintf(want, sizeof(want),
		 "%s:2: audit_log = 'rel.log': must be an absolute path\n"
		 "%s:3: socket_group = '9x': not a group name ([a-z_][a-z0-9_-]*, at most 32 characters)",
		 f->path, f->path);
	assert_string_equal(err.msg, want);
	lb_spec_free(s);
}

static void
test_health_keys(void **state)
{
	struct tfix *f = *state;
	struct lb_spec *s = tfix_load(f->path, T_PORT_LAN T_VIP_WEB
		"[pool.web]\nhealth = http\nhealth_interval_ms = 500\n"
		"health_timeout_ms = 200\nhealth_rise = 1\nhealth_fall = 4\n"
		"health_path = /healthz?x=1\nhealth_host = www.example.com\n"
		"health_expect = 204\nall_down = fail_closed\n"
		"slow_start_s = 30\n"
		T_BE("b1", "10.0.0.11") T_BE("b2", "10.0.0.12")
		"health_port = 8080\n");
	struct lb_config *cfg = build_ok(s, NULL);
	const struct lb_health_conf *h = &cfg->pools[0].health;

	assert_int_equal(h->kind, LB_HEALTH_HTTP);
	assert_int_equal(h->interval_ms, 500);
	assert_int_equal(h->timeout_ms, 200);
	assert_int_equal(h->rise, 1);
	assert_int_equal(h->fall, 4);
	assert_string_equal(h->path, "/healthz?x=1");
	assert_string_equal(h->host, "www.example.com");
	assert_int_equal(h->expect_lo, 204);
	assert_int_equal(h->expect_hi, 204);
	assert_int_equal(cfg->pools[0].all_down, LB_ALL_DOWN_FAIL_CLOSED);
	assert_int_equal(cfg->pools[0].slow_start_s, 30);
	/* the VIP's port, unless the backend says otherwise */
	assert_int_equal(cfg->backends[0].check_port, 80);
	assert_int_equal(cfg->backends[1].check_port, 8080);
	lb_config_free(cfg);
	lb_spec_free(s);
	s = tfix_load(f->path, T_MINIMAL);
	cfg = build_ok(s, NULL);
	h = &cfg->pools[0].health;
	assert_int_equal(h->kind, LB_HEALTH_NONE);
	assert_int_equal(h->interval_ms, 2000);
	assert_int_equal(h->timeout_ms, 1000);
	assert_int_equal(h->rise, 2);
	assert_int_equal(h->fall, 3);
	assert_string_equal(h->path, "/");
	assert_int_equal(h->expect_lo, 200);
	assert_int_equal(h->expect_hi, 399);
	assert_int_equal(cfg->pools[0].all_down, LB_ALL_DOWN_FAIL_OPEN);
	lb_config_free(cfg);
	lb_spec_free(s);
}

static void
test_health_keys_refused(void **state)
{
	struct tfix *f = *state;
	struct lb_spec *s = tfix_load(f->path, T_PORT_LAN T_VIP_WEB
		"[pool.web]\nhealth = http\nhealth_expect = 200-100\n"
		"health_path = nope\nhealth_host = a b\n"
		"[pool.t]\nhealth_interval_ms = 500\nhealth_timeout_ms = 501\n"
		"[pool.lone]\nhealth = tcp\n"
		T_BE("b1", "10.0.0.11"));
	struct lb_config_error err = { { 0 }, 0 };
	char want[2048];

	assert_null(lb_config_build(s, NULL, &err));
	snprintf(want, sizeof(want),
		 "%1$s:10: health_expect = '200-100': expected an HTTP status (200) or a range (200-399) within 100..599\n"
		 "%1$s:11: health_path = 'nope': expected a path starting with '/' (printable, no spaces)\n"
		 "%1$s:12: health_host = 'a b': not a host name (letters, digits, '.', '-', '_', ':' and '[]')\n"
		 "%1$s:15: health_timeout_ms = 501 is longer than health_interval_ms = 500\n"
		 "%1$s:17: pool lone: health = tcp but no port to check (set health_port, or serve a VIP)",
		 f->path);
	assert_string_equal(err.msg, want);
	lb_spec_free(s);
}

static void
test_retained_backends(void **state)
{
	struct tfix *f = *state;
	struct lb_ids *bids = lb_ids_create(LB_MAX_BACKENDS);
	struct lb_config_build_opts o = { .backend_ids = bids };
	struct lb_spec *s = tfix_load(f->path, T_MINIMAL
		T_BE("b2", "10.0.0.12") "mac = 02:00:00:00:00:12\n"
		T_BE("b3", "10.0.0.13"));
	struct lb_config *prev = build_ok(s, &o), *next;
	uint16_t retain[2];
	const struct lb_backend_conf *b;

	retain[0] = prev->backends[tini_backend(prev, "b2")].id;
	retain[1] = prev->backends[tini_backend(prev, "b1")].id; /* still there */
	lb_spec_free(s);
	s = tfix_load(f->path, T_MINIMAL T_BE("b3", "10.0.0.13"));
	o.prev = prev;
	o.retain = retain;
	o.n_retain = 2;
	next = build_ok(s, &o);
	assert_int_equal(next->n_backends, 3);
	b = &next->backends[next->backend_index[retain[0]]];
	assert_string_equal(b->name, "b2");
	assert_int_equal(b->state, LB_BACKEND_REMOVED);
	assert_int_equal(b->member, UINT32_MAX);
	assert_int_equal(b->pool, 0);
	assert_int_equal(b->id, retain[0]);
	assert_int_equal(b->port, 0);
	assert_true(b->neigh < next->n_neighs);
	assert_int_equal(next->neighs[b->neigh].addr, b->addr);
	assert_int_equal(next->neighs[b->neigh].has_mac, 1);
	assert_int_equal(next->pools[0].n_members, 2);
	assert_true(lb_config_expected_share(next, next->backend_index[retain[0]]) == 0);
	/* the same address again in the pool is no conflict with it */
	lb_spec_free(s);
	s = tfix_load(f->path, T_MINIMAL T_BE("b9", "10.0.0.12"));
	lb_config_free(next);
	next = build_ok(s, &o);
	assert_int_equal(next->n_backends, 3);
	assert_int_equal(next->backends[2].state, LB_BACKEND_REMOVED);
	lb_config_free(next);
	lb_config_free(prev);
	lb_spec_free(s);
	lb_ids_free(bids);
}

/* A runtime change: a new specification from the snapshot's own copy. */
static void
test_change_from_snapshot_spec(void **state)
{
	struct tfix *f = *state;
	struct lb_spec *s = tfix_load(f->path, T_MINIMAL
				      T_BE("b2", "10.0.0.12"));
	struct lb_config *cfg = build_ok(s, NULL), *next;
	struct lb_config_error err = { { 0 }, 0 };
	struct lb_spec *d;

	lb_spec_free(s);        /* the snapshot keeps its own copy */
	d = lb_spec_dup(cfg->spec);
	assert_int_equal(lb_spec_set(d, "backend.b2", "weight", "3",
				     "runtime: weight by uid 0", &err), 0);
	next = build_ok(d, NULL);
	assert_true(lb_config_expected_share(next, 1) > 0.74);
	assert_int_equal(lb_spec_check_static(cfg->spec, next->spec, &err), 0);
	lb_config_free(cfg);
	lb_config_free(next);
	lb_spec_free(d);
}

/* One process, one scheduler key: a build without hash_key keeps the key
 * the running snapshot generated (reloads and changes move no tuple). */
static void
test_generated_hash_key_kept_by_next_builds(void **state)
{
	struct tfix *f = *state;
	struct lb_spec *s = tfix_load(f->path, T_MINIMAL);
	struct lb_config *prev = build_ok(s, NULL), *next, *other;
	struct lb_config_build_opts o = { .prev = prev };

	assert_int_equal(prev->global.hash_key_generated, 1);
	next = build_ok(s, &o);
	assert_int_equal(next->global.hash_key_generated, 1);
	assert_true(next->global.hash_key.k0 == prev->global.hash_key.k0 &&
		    next->global.hash_key.k1 == prev->global.hash_key.k1);
	other = build_ok(s, NULL);
	assert_false(other->global.hash_key.k0 == prev->global.hash_key.k0 &&
		     other->global.hash_key.k1 == prev->global.hash_key.k1);
	lb_config_free(other);
	lb_config_free(next);
	lb_config_free(prev);
	lb_spec_free(s);
}

/* A configured key stays when a later file leaves it out (the output of
 * `config`, which never prints it): the key changes only by a restart, so
 * the check of static keys lets the omission pass and refuses another. */
static void
test_configured_hash_key_kept_without_one(void **state)
{
	struct tfix *f = *state;
	struct lb_spec *a = tfix_load(f->path, "[global]\nhash_key = "
		"00112233445566778899aabbccddeeff\n" T_MINIMAL);
	struct lb_spec *b = tfix_load(f->path2, T_MINIMAL);
	struct lb_spec *c = tfix_load(f->path2, "[global]\nhash_key = "
		"ffeeddccbbaa99887766554433221100\n" T_MINIMAL);
	struct lb_config *prev = build_ok(a, NULL), *next;
	struct lb_config_build_opts o = { .prev = prev };
	struct lb_config_error err;

	assert_int_equal(prev->global.hash_key_generated, 0);
	assert_int_equal(lb_spec_check_static(a, b, &err), 0);
	assert_int_equal(lb_spec_check_static(a, c, &err), 1);
	next = build_ok(b, &o);
	assert_int_equal(next->global.hash_key_generated, 0);
	assert_true(next->global.hash_key.k0 == prev->global.hash_key.k0 &&
		    next->global.hash_key.k1 == prev->global.hash_key.k1);
	lb_config_free(next);
	lb_config_free(prev);
	lb_spec_free(c);
	lb_spec_free(b);
	lb_spec_free(a);
}

static void
test_build_1000_backends(void **state)
{
	struct tfix *f = *state;
	size_t cap = 1 << 20, n;
	char *text = malloc(cap);
	struct lb_config_error err = { { 0 }, 0 };
	struct timespec t0, t1;
	struct lb_config *cfg;
	int i;

	assert_non_null(text);
	n = snprintf(text, cap, "[port.lan]\ndevice = x\naddress = 10.0.0.2/16\n"
		     T_VIP_WEB T_POOL_WEB);
	for (i = 0; i < 1000; i++)
		n += snprintf(text + n, cap - n,
			      "[backend.b%d]\npool = web\naddress = 10.0.%d.%d\n",
			      i, 1 + i / 200, 1 + i % 200);
	tfix_write(f->path, text);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	cfg = lb_config_parse(f->path, &err);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (cfg == NULL)
		fail_msg("%s", err.msg);
	print_message("1000 backends: parse+validate+build %.1f ms\n",
		      (t1.tv_sec - t0.tv_sec) * 1e3 +
		      (t1.tv_nsec - t0.tv_nsec) / 1e6);
	assert_int_equal(cfg->pools[0].n_members, 1000);
	lb_config_free(cfg);
	free(text);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, tfix_setup, tfix_teardown)

int
main(void)
{
	const struct CMUnitTest build[] = {
		T(test_build_reports_every_error),
		T(test_build_error_buffer_full_is_cut),
		T(test_ids_in_file_order_without_registry),
		T(test_ids_stable_with_registry),
		T(test_ids_registry_full),
		T(test_ids_recycled_when_unused),
		T(test_admin_states),
		T(test_new_global_and_pool_keys),
		T(test_health_keys),
		T(test_health_keys_refused),
		T(test_retained_backends),
		T(test_change_from_snapshot_spec),
		T(test_generated_hash_key_kept_by_next_builds),
		T(test_configured_hash_key_kept_without_one),
		T(test_build_1000_backends),
	};

	return cmocka_run_group_tests_name("lb_config_build", build, NULL,
					   NULL);
}
