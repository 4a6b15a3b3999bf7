/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/config/spec*.c and diff.c: loading, set, printing (round trip),
 * dup, diff on effective values, and the static check.
 */

#include <math.h>

#include "config_priv.h"      /* LB_INI_LINE_MAX */
#include "lb_config.h"
#include "test_support.h"

/* ---- lb_spec_load --------------------------------------------------- */

static void
test_load_keeps_text_and_unset(void **state)
{
	struct tfix *f = *state;
	struct lb_spec *s = tfix_load(f->path, T_MINIMAL "weight = 3\n");

	assert_string_equal(lb_spec_path(s), f->path);
	assert_string_equal(lb_spec_get(s, "backend.b1", "weight"), "3");
	assert_null(lb_spec_get(s, "backend.b1", "mac"));
	assert_null(lb_spec_get(s, "global", "workers"));
	assert_null(lb_spec_get(s, "backend.nope", "weight"));
	assert_string_equal(lb_spec_effective(s, "pool.web", "on_remove"),
			    "keep");
	assert_string_equal(lb_spec_effective(s, "backend.b1",
					      "admin_state"), "enabled");
	assert_string_equal(lb_spec_effective(s, "port.lan", "gateway"), "");
	assert_null(lb_spec_effective(s, "backend.b1", "nokey"));
	assert_true(lb_spec_has_section(s, "vip.web"));
	assert_false(lb_spec_has_section(s, "global"));
	lb_spec_free(s);
	lb_spec_free(NULL);
}

static void
test_load_reports_every_unknown_key(void **state)
{
	struct tfix *f = *state;
	struct lb_config_error err = { { 0 }, 0 };
	char want[1024];

	tfix_write(f->path, T_MINIMAL "wieght = 2\n[global]\nworker = 2\n"
		   "[foo]\n");
	assert_null(lb_spec_load(f->path, &err));
	assert_int_equal(err.n, 3);
	snprintf(want, sizeof(want),
		 "%s:12: unknown key 'wieght' in [backend.b1]\n"
		 "%s:14: unknown key 'worker' in [global]\n"
		 "%s:15: unknown section [foo] (expected [global], [port.NAME], [vip.NAME], [pool.NAME], [backend.NAME] or [bgp])",
		 f->path, f->path, f->path);
	assert_string_equal(err.msg, want);
}

/* ---- lb_spec_set ------------------------------------------------------ */

static void
assert_set_fails(struct lb_spec *s, const char *sec, const char *key,
		 const char *value, const char *msg)
{
	struct lb_config_error err = { { 0 }, 0 };
	char *before = lb_spec_to_ini(s), *after;

	assert_int_equal(lb_spec_set(s, sec, key, value, "test", &err), -1);
	assert_int_equal(err.n, 1);
	assert_string_equal(err.msg, msg);
	after = lb_spec_to_ini(s);
	assert_string_equal(before, after);     /* refused: unchanged */
	free(before);
	free(after);
}

static void
test_set_refuses(void **state)
{
	struct tfix *f = *state;
	struct lb_spec *s = tfix_load(f->path, "[global]\n" T_MINIMAL);

	assert_set_fails(s, "backend.b9", "weight", "2",
			 "no section [backend.b9]");
	assert_set_fails(s, "backend.b1", "wieght", "2",
			 "unknown key 'wieght' in [backend.b1]");
	assert_set_fails(s, "global", "workers", "2",
			 "[global] workers cannot change while running: restart edgelbd");
	assert_set_fails(s, "port.lan", "address", "10.0.0.3/24",
			 "[port.lan] address cannot change while running: restart edgelbd");
	assert_set_fails(s, "backend.b1", "weight", "70000",
			 "[backend.b1] weight = 70000 is out of range 0..65535");
	assert_set_fails(s, "backend.b1", "admin_state", "off",
			 "[backend.b1] admin_state = 'off': expected enabled, drained or disabled");
	assert_set_fails(s, "backend.b1", "pool", "api",
			 "[backend.b1] pool 'api' does not exist (no [pool.api])");
	assert_set_fails(s, "backend.b1", "address", NULL,
			 "[backend.b1] address is required: it cannot be unset");
	assert_set_fails(s, "global", "admin_group", "Wheel",
			 "[global] admin_group = 'Wheel': not a group name ([a-z_][a-z0-9_-]*, at most 32 characters)");
	assert_set_fails(s, "global", "idle_sleep_us", "1\n2",
			 "[global] idle_sleep_us: a value cannot hold a line break");
	lb_spec_free(s);
}

static void
test_set_changes_and_unsets(void **state)
{
	struct tfix *f = *state;
	struct lb_spec *s = tfix_load(f->path, "[global]\n" T_MINIMAL);
	struct lb_config_error err = { { 0 }, 0 };

	assert_int_equal(lb_spec_set(s, "backend.b1", "weight", "5",
				     "runtime: weight by uid 0", &err), 0);
	assert_string_equal(lb_spec_get(s, "backend.b1", "weight"), "5");
	assert_int_equal(lb_spec_set(s, "global", "idle_sleep_us", "10", NULL,
				     &err), 0);
	assert_int_equal(lb_spec_set(s, "backend.b1", "weight", NULL, NULL,
				     &err), 0);
	assert_null(lb_spec_get(s, "backend.b1", "weight"));
	assert_int_equal(lb_spec_set(s, "backend.b1", "weight", NULL, NULL,
				     &err), 0);
	lb_spec_free(s);
	/* [global] exists as its defaults even when the file has none */
	s = tfix_load(f->path, T_MINIMAL);
	assert_int_equal(lb_spec_set(s, "global", "tcp_timeout", "60", NULL,
				     &err), 0);
	assert_string_equal(lb_spec_get(s, "global", "tcp_timeout"), "60");
	assert_set_fails(s, "global", "nokey", "1",
			 "unknown key 'nokey' in [global]");
	lb_spec_free(s);
	s = tfix_load(f->path, T_MINIMAL);
	assert_set_fails(s, "global", "nokey", "1",
			 "unknown key 'nokey' in [global]");
	assert_int_equal(lb_spec_set(s, "global", "udp_timeout", NULL, NULL,
				     &err), 0);
	assert_false(lb_spec_has_section(s, "global"));
	lb_spec_free(s);
}

/* A value set at runtime is named by its origin when the build refuses it. */
static void
test_set_origin_names_error(void **state)
{
	struct tfix *f = *state;
	struct lb_spec *s = tfix_load(f->path, T_MINIMAL T_BE("b2", "10.0.0.12"));
	struct lb_config_error err = { { 0 }, 0 };

	assert_int_equal(lb_spec_set(s, "backend.b2", "address", "10.0.0.11",
				     "runtime: address by uid 0", &err), 0);
	assert_null(lb_config_build(s, NULL, &err));
	assert_string_equal(err.msg,
		"runtime: address by uid 0: backend b2: address 10.0.0.11 repeats backend b1 in pool web (first at line 11)");
	lb_spec_free(s);
}

/* ---- lb_spec_write_ini / lb_spec_to_ini: the round trip ---------------- */

static void
assert_same_tables(const struct lb_config *a, const struct lb_config *b)
{
	uint32_t i;

	assert_int_equal(a->n_pools, b->n_pools);
	for (i = 0; i < a->n_pools; i++) {
		assert_int_equal(a->pools[i].maglev.size,
				 b->pools[i].maglev.size);
		assert_memory_equal(a->pools[i].maglev.slots,
				    b->pools[i].maglev.slots,
				    a->pools[i].maglev.size *
				    sizeof(*a->pools[i].maglev.slots));
	}
}

static void
round_trip(struct tfix *f, const char *src)
{
	struct lb_config_error err = { { 0 }, 0 };
	struct lb_spec *a = lb_spec_load(src, &err), *b;
	struct lb_config *ca, *cb;
	char *ta, *tb;
	FILE *out;

	if (a == NULL)
		fail_msg("%s", err.msg);
	out = fopen(f->path2, "w");
	assert_non_null(out);
	assert_int_equal(lb_spec_write_ini(a, out), 0);
	assert_int_equal(fclose(out), 0);
	b = lb_spec_load(f->path2, &err);
	if (b == NULL)
		fail_msg("%s", err.msg);
	assert_int_equal(lb_spec_diff(a, b, NULL, NULL), 0);
	ta = lb_spec_to_ini(a);
	tb = lb_spec_to_ini(b);
	/* only the header comment (the source path) differs */
	assert_string_equal(strchr(ta, '\n'), strchr(tb, '\n'));
	ca = lb_config_build(a, NULL, &err);
	cb = lb_config_build(b, NULL, &err);
	assert_non_null(ca);
	assert_non_null(cb);
	assert_same_tables(ca, cb);
	lb_config_free(ca);
	lb_config_free(cb);
	free(ta);
	free(tb);
	lb_spec_free(a);
	lb_spec_free(b);
}

static void
test_round_trip_shipped_files(void **state)
{
	round_trip(*state, LB_SOURCE_DIR "/config/reference.ini");
	round_trip(*state, LB_SOURCE_DIR "/config/demo.ini");
}

static void
test_round_trip_quotes_values(void **state)
{
	struct tfix *f = *state;
	struct lb_spec *s;

	tfix_write(f->path, "[global]\n"
		   "eal_args = \" --a;b #c \"\n"
		   "socket = '/tmp/it\"s.sock'\n"
		   T_MINIMAL "weight = 2\n" T_BE("a0", "10.0.0.12"));
	round_trip(f, f->path);
	s = lb_spec_load(f->path, &(struct lb_config_error){ { 0 }, 0 });
	assert_non_null(s);
	assert_string_equal(lb_spec_get(s, "global", "eal_args"),
			    " --a;b #c ");
	assert_string_equal(lb_spec_get(s, "global", "socket"),
			    "/tmp/it\"s.sock");
	lb_spec_free(s);
}

/* Found by tests/fuzz (ini): a quoted value ending in a vertical tab was
 * printed unquoted and lost it; a value on a line of the longest length
 * printed as "key = value" was too long to load. */
static void
test_round_trip_edge_space_and_longest_line(void **state)
{
	struct tfix *f = *state;
	const size_t vlen = LB_INI_LINE_MAX - strlen("eal_args=");
	char text[2 * LB_INI_LINE_MAX];
	struct lb_spec *s;
	size_t n;

	n = (size_t)snprintf(text, sizeof(text), "[global]\n"
			     "socket = \"/tmp/s\v\"\neal_args=");
	memset(text + n, 'x', vlen);
	text[n + vlen - 2] = '"';      /* inside a value: no quoting needed */
	snprintf(text + n + vlen, sizeof(text) - n - vlen, "\n%s", T_MINIMAL);
	tfix_write(f->path, text);
	round_trip(f, f->path);
	s = lb_spec_load(f->path, &(struct lb_config_error){ { 0 }, 0 });
	assert_non_null(s);
	assert_string_equal(lb_spec_get(s, "global", "socket"), "/tmp/s\v");
	assert_int_equal(strlen(lb_spec_get(s, "global", "eal_args")), vlen);
	lb_spec_free(s);
}

static void
test_to_ini_canonical_order(void **state)
{
	struct tfix *f = *state;
	struct lb_spec *s = tfix_load(f->path,
		T_BE("zz", "10.0.0.13") "weight = 2\n" T_MINIMAL
		"[global]\nworkers = 2\n");
	char *t = lb_spec_to_ini(s);
	const char *g = strstr(t, "[global]"), *p = strstr(t, "[port.lan]"),
		   *o = strstr(t, "[pool.web]"), *v = strstr(t, "[vip.web]"),
		   *b1 = strstr(t, "[backend.b1]"), *zz = strstr(t, "[backend.zz]");

	assert_true(g && p && o && v && b1 && zz);
	assert_true(g < p && p < o && o < v && v < b1 && b1 < zz);
	/* keys in table order: pool before address before weight */
	assert_non_null(strstr(t, "[backend.zz]\npool = web\naddress = 10.0.0.13\nweight = 2\n"));
	free(t);
	lb_spec_free(s);
}

/* A source path ending in '\\' is left out of the header comment: the
 * comment would join the next line to it, which the loader refuses. */
static void
test_to_ini_path_ending_in_backslash(void **state)
{
	struct tfix *f = *state;
	struct lb_spec *s, *b;
	char path[160];
	char *t;

	snprintf(path, sizeof(path), "%s/odd\\", f->dir);
	s = tfix_load(path, T_MINIMAL);
	t = lb_spec_to_ini(s);
	assert_non_null(t);
	assert_int_equal(t[0], '\n');
	b = tfix_load(f->path2, t);
	assert_int_equal(lb_spec_diff(s, b, NULL, NULL), 0);
	free(t);
	lb_spec_free(s);
	lb_spec_free(b);
	unlink(path);
}

/* ---- lb_spec_dup -------------------------------------------------------- */

static void
test_dup_is_independent(void **state)
{
	struct tfix *f = *state;
	struct lb_spec *s = tfix_load(f->path, T_MINIMAL);
	struct lb_spec *d = lb_spec_dup(s);
	struct lb_config_error err = { { 0 }, 0 };

	assert_non_null(d);
	assert_int_equal(lb_spec_diff(s, d, NULL, NULL), 0);
	assert_int_equal(lb_spec_set(d, "backend.b1", "weight", "7", NULL,
				     &err), 0);
	assert_null(lb_spec_get(s, "backend.b1", "weight"));
	assert_int_equal(lb_spec_diff(s, d, NULL, NULL), 1);
	lb_spec_free(s);
	lb_spec_free(d);
}

/* ---- lb_spec_diff --------------------------------------------------------- */

struct seen {
	unsigned int n;
	char text[2048];
};

static void
collect(const struct lb_spec_change *c, void *arg)
{
	struct seen *s = arg;
	size_t len = strlen(s->text);

	s->n++;
	snprintf(s->text + len, sizeof(s->text) - len, "%s %s %s->%s %d\n",
		 c->section, c->key, c->old_value ? c->old_value : "(none)",
		 c->new_value ? c->new_value : "(none)", c->runtime);
}

static void
test_diff_on_effective_values(void **state)
{
	struct tfix *f = *state;
	struct lb_spec *a = tfix_load(f->path, T_MINIMAL "weight = 1\n");
	struct lb_spec *b = tfix_load(f->path2, T_BE("b1", "10.0.0.11")
				      T_POOL_WEB "on_remove = keep\n"
				      T_VIP_WEB T_PORT_LAN);
	struct seen seen = { 0 };

	/* written default == unset, and the order of sections is no change */
	if (lb_spec_diff(a, b, collect, &seen) != 0)
		fail_msg("%s", seen.text);
	lb_spec_free(b);
	b = tfix_load(f->path2, T_MINIMAL "weight = 2\n[global]\nworkers = 2\n");
	assert_int_equal(lb_spec_diff(a, b, collect, &seen), 2);
	assert_string_equal(seen.text, "global workers 1->2 0\n"
			    "backend.b1 weight 1->2 1\n");
	lb_spec_free(b);
	lb_spec_free(a);
}

static void
test_diff_added_and_removed_sections(void **state)
{
	struct tfix *f = *state;
	unsigned int n, i;
	struct lb_spec *a = tfix_load(f->path, T_MINIMAL);
	struct lb_spec *b = tfix_load(f->path2, T_PORT_LAN T_VIP_WEB T_POOL_WEB
				      T_BE("b2", "10.0.0.12"));
	struct seen seen = { 0 };
	const struct lb_config_key *k = lb_config_keys(&n);
	int backend_keys = 0;

	for (i = 0; i < n; i++)
		backend_keys += k[i].section == LB_SECTION_BACKEND;
	/* b1 removed, b2 added: every key of each, NULL on the absent side */
	assert_int_equal(lb_spec_diff(a, b, collect, &seen),
			 2 * backend_keys);
	assert_non_null(strstr(seen.text, "backend.b1 address 10.0.0.11->(none) 1\n"));
	assert_non_null(strstr(seen.text, "backend.b2 weight (none)->1 1\n"));
	assert_non_null(strstr(seen.text, "backend.b2 mac (none)-> 1\n"));
	lb_spec_free(a);
	lb_spec_free(b);
}

/* ---- lb_spec_check_static ----------------------------------------------- */

static void
test_check_static(void **state)
{
	struct tfix *f = *state;
	struct lb_spec *a = tfix_load(f->path, T_MINIMAL);
	struct lb_spec *b = tfix_load(f->path2, T_MINIMAL "weight = 4\n"
				      "[global]\nidle_sleep_us = 5\n"
				      "admin_group = wheel\n");
	struct lb_config_error err = { { 0 }, 0 };
	char want[512];

	assert_int_equal(lb_spec_check_static(a, b, &err), 0);
	assert_int_equal(err.n, 0);
	lb_spec_free(b);
	b = tfix_load(f->path2, T_MINIMAL "[global]\nworkers = 2\n"
		      "[port.wan]\ndevice = x\naddress = 10.1.0.2/24\n");
	assert_int_equal(lb_spec_check_static(a, b, &err), 2);
	assert_int_equal(err.n, 2);
	snprintf(want, sizeof(want),
		 "%s:13: [global] workers = '2' (running: '1'): workers cannot change while running: restart edgelbd\n"
		 "%s:14: [port.wan] added: ports cannot change while running: restart edgelbd",
		 f->path2, f->path2);
	assert_string_equal(err.msg, want);
	lb_spec_free(a);
	lb_spec_free(b);
}

/* hash_key is a secret: a diff, a refusal and the INI text show only
 * that it is set or changed. */
#define KEY_A "5e1f0c3a9b7d2e4f6a8c0b1d3e5f7a9c"
#define KEY_B "0123456789abcdeffedcba9876543210"

static void
test_secret_never_shown(void **state)
{
	struct tfix *f = *state;
	struct lb_spec *a = tfix_load(f->path, T_MINIMAL
				      "[global]\nhash_key = " KEY_A "\n");
	struct lb_spec *b = tfix_load(f->path2, T_MINIMAL
				      "[global]\nhash_key = " KEY_B "\n");
	struct lb_config_error err = { { 0 }, 0 };
	struct seen seen = { 0 };
	char *ini;

	assert_int_equal(lb_spec_diff(a, b, collect, &seen), 1);
	assert_string_equal(seen.text,
			    "global hash_key (secret)->(secret) 0\n");
	assert_int_equal(lb_spec_check_static(a, b, &err), 1);
	assert_non_null(strstr(err.msg, "[global] hash_key = '(secret)' "
			       "(running: '(secret)'): hash_key cannot change"));
	assert_null(strstr(err.msg, KEY_A));
	assert_null(strstr(err.msg, KEY_B));
	ini = lb_spec_to_ini(a);
	assert_null(strstr(ini, KEY_A));
	assert_non_null(strstr(ini, "; hash_key is set (secret, not shown)\n"));
	free(ini);
	lb_spec_free(b);
	/* Left out: the running key stays (the build takes it from the
	 * running snapshot), so that the printed specification, which
	 * never holds it, loads back as no change. */
	b = tfix_load(f->path2, T_MINIMAL);
	seen.n = 0;
	seen.text[0] = '\0';
	assert_int_equal(lb_spec_diff(a, b, collect, &seen), 0);
	assert_int_equal(lb_spec_check_static(a, b, &err), 0);
	lb_spec_free(a);
	lb_spec_free(b);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, tfix_setup, tfix_teardown)

int
main(void)
{
	const struct CMUnitTest load[] = {
		T(test_load_keeps_text_and_unset),
		T(test_load_reports_every_unknown_key),
	};
	const struct CMUnitTest set[] = {
		T(test_set_refuses),
		T(test_set_changes_and_unsets),
		T(test_set_origin_names_error),
	};
	const struct CMUnitTest write[] = {
		T(test_round_trip_shipped_files),
		T(test_round_trip_quotes_values),
		T(test_round_trip_edge_space_and_longest_line),
		T(test_to_ini_canonical_order),
		T(test_to_ini_path_ending_in_backslash),
	};
	const struct CMUnitTest dup[] = { T(test_dup_is_independent) };
	const struct CMUnitTest diff[] = {
		T(test_diff_on_effective_values),
		T(test_diff_added_and_removed_sections),
	};
	const struct CMUnitTest check_static[] = {
		T(test_check_static),
		T(test_secret_never_shown),
	};
	int rc = 0;

	rc |= cmocka_run_group_tests_name("lb_spec_load", load, NULL, NULL);
	rc |= cmocka_run_group_tests_name("lb_spec_set", set, NULL, NULL);
	rc |= cmocka_run_group_tests_name("lb_spec_write_ini", write, NULL,
					  NULL);
	rc |= cmocka_run_group_tests_name("lb_spec_dup", dup, NULL, NULL);
	rc |= cmocka_run_group_tests_name("lb_spec_diff", diff, NULL, NULL);
	rc |= cmocka_run_group_tests_name("lb_spec_check_static",
					  check_static, NULL, NULL);
	return rc;
}
