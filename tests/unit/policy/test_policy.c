/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/policy: each policy key on both sides of its bound, N-1, share
 * changes, lint, strict and warn, the gate's JSON, the postmortem's change,
 * pool fingerprints (lib/config) across files, and the check report.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <math.h>

#include "lb_policy.h"
#include "test_ini.h"

static char dir[64];
static char path_a[128], path_b[128];

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_policy.XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path_a, sizeof(path_a), "%s/a.ini", dir);
	snprintf(path_b, sizeof(path_b), "%s/b.ini", dir);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	unlink(path_a);
	unlink(path_b);
	rmdir(dir);
	return 0;
}

#define PORT "[port.lan]\ndevice = net_null0\naddress = 10.0.0.1/24\n\n"
#define VIP "[vip.web]\naddress = 10.0.0.100\nport = 80\npool = web\n\n"

/* Three backends web1..3 of pool web with @w weights and extra keys. */
static const char *
three(char *buf, size_t size, const char *global, const char *vip_extra,
      const char *pool, unsigned int w1, unsigned int w2, unsigned int w3,
      const char *be_extra)
{
	snprintf(buf, size, "[global]\n%s\n" PORT
		 "[vip.web]\naddress = 10.0.0.100\nport = 80\npool = web\n%s\n"
		 "[pool.web]\n%s\n"
		 "[backend.web1]\npool = web\naddress = 10.0.0.11\n"
		 "weight = %u\n%s\n"
		 "[backend.web2]\npool = web\naddress = 10.0.0.12\n"
		 "weight = %u\n%s\n"
		 "[backend.web3]\npool = web\naddress = 10.0.0.13\n"
		 "weight = %u\n%s\n",
		 global, vip_extra, pool, w1, be_extra, w2, be_extra, w3,
		 be_extra);
	return buf;
}

static struct lb_config *
parse_text(const char *path, const char *text)
{
	struct lb_config_error err;
	struct lb_config *cfg;
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	cfg = lb_config_parse(path, &err);
	if (cfg == NULL)
		fail_msg("%s", err.msg);
	return cfg;
}

/* "path:N" where N is the line of the @nth line equal to @line. */
static void
where_of(const char *path, const char *text, const char *line, int nth,
	 char *buf, size_t size)
{
	const char *p = text;
	unsigned int n = 1;
	size_t len = strlen(line);

	for (; *p; n++) {
		if (strncmp(p, line, len) == 0 && p[len] == '\n' && --nth == 0)
			break;
		p = strchr(p, '\n');
		assert_non_null(p);
		p++;
	}
	snprintf(buf, size, "%s:%u", path, n);
}

static struct lb_policy_report *
eval(const char *text, const char *before_text, struct lb_config **cfg)
{
	struct lb_config *before = NULL;
	struct lb_policy_report *r;

	if (before_text != NULL)
		before = parse_text(path_b, before_text);
	*cfg = parse_text(path_a, text);
	r = lb_policy_evaluate(before, *cfg, 0);
	assert_non_null(r);
	lb_config_free(before);
	return r;
}

/* The one finding with @code (fails if none or several). */
static const struct lb_policy_finding *
only(const struct lb_policy_report *r, const char *code)
{
	const struct lb_policy_finding *f = NULL;
	uint32_t i;

	for (i = 0; i < r->n_findings; i++)
		if (strcmp(r->findings[i].code, code) == 0) {
			if (f != NULL)
				fail_msg("two %s findings", code);
			f = &r->findings[i];
		}
	if (f == NULL)
		fail_msg("no %s finding", code);
	return f;
}

static int
has(const struct lb_policy_report *r, const char *code)
{
	uint32_t i;

	for (i = 0; i < r->n_findings; i++)
		if (strcmp(r->findings[i].code, code) == 0)
			return 1;
	return 0;
}

static void
done(struct lb_policy_report *r, struct lb_config *cfg)
{
	lb_policy_report_free(r);
	lb_config_free(cfg);
}

static char text[8192], text2[8192];

/* @dst = @a then @b (the test's texts are far below the buffers). */
static void
join(char *dst, size_t size, const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	assert_true(la + lb < size);
	memmove(dst, a, la);
	memcpy(dst + la, b, lb + 1);
}

static void
test_no_policy_keys_no_findings(void **state)
{
	struct lb_config *cfg;
	struct lb_policy_report *r;

	(void)state;
	r = eval(three(text, sizeof(text), "", "", "", 10, 20, 30, ""), NULL,
		 &cfg);
	assert_int_equal(r->n_findings, 0);
	assert_true(r->worst[0] < 0);   /* no one-down shares asked for */
	done(r, cfg);
}

/* The postmortem: 10:10:10 under max_share 50 is fine; 10:10:1000 is a
 * violation naming web3 at its weight's line. */
static void
test_postmortem_change_violates_max_share(void **state)
{
	const struct lb_policy_finding *f;
	struct lb_config *cfg;
	struct lb_policy_report *r;
	char where[256];

	(void)state;
	r = eval(three(text, sizeof(text), "", "", "", 10, 10, 10,
		       "max_share = 50\n"), NULL, &cfg);
	assert_int_equal(r->n_violations, 0);
	done(r, cfg);
	r = eval(three(text, sizeof(text), "", "", "", 10, 10, 1000,
		       "max_share = 50\n"), NULL, &cfg);
	f = only(r, "max_share");
	assert_int_equal(f->severity, LB_POLICY_VIOLATION);
	assert_string_equal(f->backend, "web3");
	assert_string_equal(f->pool, "web");
	assert_string_equal(f->vip, "web");
	where_of(path_a, text, "weight = 1000", 1, where, sizeof(where));
	assert_string_equal(f->where, where);
	assert_non_null(strstr(f->message, "web3"));
	done(r, cfg);
}

static void
test_max_share_bound(void **state)
{
	struct lb_config *cfg;
	struct lb_policy_report *r;

	(void)state;
	/* 20 of 40: 50% (within one slot) is at the bound, not above */
	r = eval(three(text, sizeof(text), "", "", "", 10, 10, 20,
		       "max_share = 50\n"), NULL, &cfg);
	assert_false(has(r, "max_share"));
	done(r, cfg);
	r = eval(three(text, sizeof(text), "", "", "", 10, 10, 21,
		       "max_share = 50\n"), NULL, &cfg);
	assert_string_equal(only(r, "max_share")->backend, "web3");
	done(r, cfg);
}

static void
test_min_healthy_count_and_percent(void **state)
{
	struct lb_config *cfg;
	struct lb_policy_report *r;
	char where[256];

	(void)state;
	/* web3 drained: 2 healthy of 3 */
	three(text, sizeof(text), "", "", "min_healthy = 2\n", 1, 1, 1, "");
	join(text2, sizeof(text2), text, "admin_state = drained\n");
	r = eval(text2, NULL, &cfg);
	assert_false(has(r, "min_healthy"));
	done(r, cfg);
	/* weight 0 does not count either: 1 of 3 */
	three(text, sizeof(text), "", "", "min_healthy = 2\n", 1, 0, 1, "");
	join(text2, sizeof(text2), text, "admin_state = drained\n");
	r = eval(text2, NULL, &cfg);
	where_of(path_a, text2, "min_healthy = 2", 1, where, sizeof(where));
	assert_string_equal(only(r, "min_healthy")->where, where);
	assert_int_equal(only(r, "min_healthy")->severity,
			 LB_POLICY_VIOLATION);
	done(r, cfg);
	/* 50% of 3 rounds up to 2: 2 up passes, 1 up fails */
	r = eval(three(text, sizeof(text), "", "", "min_healthy = 50%\n", 1, 0,
		       1, ""), NULL, &cfg);
	assert_false(has(r, "min_healthy"));
	done(r, cfg);
	r = eval(three(text, sizeof(text), "", "", "min_healthy = 50%\n", 1, 0,
		       0, ""), NULL, &cfg);
	assert_true(has(r, "min_healthy"));
	done(r, cfg);
}

static void
test_max_weight_ratio_bound(void **state)
{
	struct lb_config *cfg;
	struct lb_policy_report *r;

	(void)state;
	r = eval(three(text, sizeof(text), "", "", "max_weight_ratio = 10\n",
		       10, 50, 100, ""), NULL, &cfg);
	assert_false(has(r, "weight_ratio"));
	done(r, cfg);
	r = eval(three(text, sizeof(text), "", "", "max_weight_ratio = 10\n",
		       10, 50, 101, ""), NULL, &cfg);
	assert_string_equal(only(r, "weight_ratio")->backend, "web3");
	done(r, cfg);
	/* a zero weight is no ratio */
	r = eval(three(text, sizeof(text), "", "", "max_weight_ratio = 10\n",
		       0, 50, 100, ""), NULL, &cfg);
	assert_false(has(r, "weight_ratio"));
	done(r, cfg);
}

static void
test_n_minus_1(void **state)
{
	const struct lb_policy_finding *f;
	struct lb_config *cfg;
	struct lb_policy_report *r;
	uint32_t b;

	(void)state;
	/* equal thirds: one down leaves halves, at max_share 50 */
	r = eval(three(text, sizeof(text), "", "", "n_minus_1 = yes\n", 10, 10,
		       10, "max_share = 50\n"), NULL, &cfg);
	assert_int_equal(r->n_findings, 0);
	for (b = 0; b < 3; b++) {
		assert_true(r->worst[b] > 49.99 && r->worst[b] < 50.01);
		assert_true(r->worst_down[b] < 3 && r->worst_down[b] != b);
	}
	done(r, cfg);
	/* 10:10:20: all up web3 has 50%; with web1 down 2/3 */
	r = eval(three(text, sizeof(text), "", "", "n_minus_1 = yes\n", 10, 10,
		       20, "max_share = 50\n"), NULL, &cfg);
	assert_false(has(r, "max_share"));
	f = only(r, "n_minus_1");
	assert_string_equal(f->backend, "web3");
	assert_true(r->worst[2] > 66.6 && r->worst[2] < 66.7);
	done(r, cfg);
	/* the same without n_minus_1: no finding */
	r = eval(three(text, sizeof(text), "", "", "", 10, 10, 20,
		       "max_share = 50\n"), NULL, &cfg);
	assert_int_equal(r->n_findings, 0);
	done(r, cfg);
}

/* The one-down shares are those of real builds without the backend. */
static void
test_n_minus_1_matches_real_build(void **state)
{
	struct lb_config *cfg, *less;
	struct lb_policy_report *r;
	double want = 0;

	(void)state;
	r = eval(three(text, sizeof(text), "", "", "n_minus_1 = yes\n", 7, 13,
		       29, ""), NULL, &cfg);
	/* web1's worst: the larger of its share without web2, without web3 */
	less = parse_text(path_b, three(text2, sizeof(text2), "", "", "", 7, 0,
					29, ""));
	want = 100 * lb_config_expected_share(less, 0);
	lb_config_free(less);
	less = parse_text(path_b, three(text2, sizeof(text2), "", "", "", 7, 13,
					0, ""));
	if (100 * lb_config_expected_share(less, 0) > want)
		want = 100 * lb_config_expected_share(less, 0);
	lb_config_free(less);
	/* the same slots: equal up to the division's rounding */
	assert_true(fabs(r->worst[0] - want) < 1e-9);
	assert_true(want > 100.0 * 7 / 42);
	done(r, cfg);
}

static void
test_n_minus_1_single_backend(void **state)
{
	struct lb_config *cfg;
	struct lb_policy_report *r;

	(void)state;
	r = eval(three(text, sizeof(text), "", "", "n_minus_1 = yes\n", 10, 0,
		       0, ""), NULL, &cfg);
	assert_string_equal(only(r, "n_minus_1")->backend, "web1");
	done(r, cfg);
}

static void
test_share_change_bound(void **state)
{
	const struct lb_policy_finding *f;
	struct lb_config *cfg;
	struct lb_policy_report *r;
	char where[256];

	(void)state;
	three(text2, sizeof(text2), "", "", "max_share_change = 10\n", 10, 10,
	      10, "");
	/* 10:10:13: web3 33.33 -> 39.39, 6 points */
	r = eval(three(text, sizeof(text), "", "", "max_share_change = 10\n",
		       10, 10, 13, ""), text2, &cfg);
	assert_false(has(r, "share_change"));
	assert_true(r->before[2] > 33.3 && r->before[2] < 33.4);
	done(r, cfg);
	r = eval(three(text, sizeof(text), "", "", "max_share_change = 5\n",
		       10, 10, 13, ""), text2, &cfg);
	f = only(r, "share_change");
	assert_string_equal(f->backend, "web3");
	where_of(path_a, text, "weight = 13", 1, where, sizeof(where));
	assert_string_equal(f->where, where);
	done(r, cfg);
	/* no before: nothing to compare */
	r = eval(text, NULL, &cfg);
	assert_false(has(r, "share_change"));
	done(r, cfg);
}

/* Removing a backend moves its share to 0. */
static void
test_share_change_removed_backend(void **state)
{
	struct lb_config *cfg;
	struct lb_policy_report *r;

	(void)state;
	three(text2, sizeof(text2), "", "", "max_share_change = 20\n", 10, 10,
	      10, "");
	join(text, sizeof(text), text2, "");
	*strstr(text, "[backend.web3]") = '\0';
	r = eval(text, text2, &cfg);
	/* web3 33 -> 0 (removed), web1 and web2 33 -> 50 */
	assert_string_equal(only(r, "share_change")->backend, "web3");
	done(r, cfg);
}

static void
test_lint_outlier_strict_warn(void **state)
{
	const struct lb_policy_finding *f;
	struct lb_config *cfg;
	struct lb_policy_report *r;

	(void)state;
	r = eval(three(text, sizeof(text), "", "", "", 10, 10, 99, ""), NULL,
		 &cfg);
	assert_false(has(r, "lint_weight_outlier"));
	done(r, cfg);
	r = eval(three(text, sizeof(text), "", "", "", 10, 10, 100, ""), NULL,
		 &cfg);
	f = only(r, "lint_weight_outlier");
	assert_int_equal(f->severity, LB_POLICY_WARNING);
	assert_string_equal(f->backend, "web3");
	assert_int_equal(r->n_violations, 0);
	assert_int_equal(r->n_warnings, 1);
	done(r, cfg);
	r = eval(three(text, sizeof(text), "strict = yes\n", "", "", 10, 10,
		       100, ""), NULL, &cfg);
	assert_int_equal(only(r, "lint_weight_outlier")->severity,
			 LB_POLICY_VIOLATION);
	done(r, cfg);
	/* policy = warn: even strict's violations are only warnings */
	r = eval(three(text, sizeof(text), "strict = yes\npolicy = warn\n", "",
		       "max_weight_ratio = 2\n", 10, 10, 100, ""), NULL, &cfg);
	assert_int_equal(r->n_violations, 0);
	assert_int_equal(only(r, "weight_ratio")->severity, LB_POLICY_WARNING);
	assert_int_equal(only(r, "lint_weight_outlier")->severity,
			 LB_POLICY_WARNING);
	done(r, cfg);
}

static void
test_lint_address_weights(void **state)
{
	struct lb_config *cfg;
	struct lb_policy_report *r;

	(void)state;
	snprintf(text, sizeof(text), PORT VIP
		 "[vip.api]\naddress = 10.0.0.101\nport = 80\npool = api\n\n"
		 "[pool.web]\n[pool.api]\n"
		 "[backend.w1]\npool = web\naddress = 10.0.0.11\nweight = 5\n"
		 "[backend.a1]\npool = api\naddress = 10.0.0.11\nweight = %u\n",
		 5u);
	r = eval(text, NULL, &cfg);
	assert_false(has(r, "lint_address_weights"));
	done(r, cfg);
	snprintf(text, sizeof(text), PORT VIP
		 "[vip.api]\naddress = 10.0.0.101\nport = 80\npool = api\n\n"
		 "[pool.web]\n[pool.api]\n"
		 "[backend.w1]\npool = web\naddress = 10.0.0.11\nweight = 5\n"
		 "[backend.a1]\npool = api\naddress = 10.0.0.11\nweight = %u\n",
		 50u);
	r = eval(text, NULL, &cfg);
	assert_string_equal(only(r, "lint_address_weights")->backend, "a1");
	done(r, cfg);
}

static void
test_lint_capacity(void **state)
{
	struct lb_config *cfg;
	struct lb_policy_report *r;

	(void)state;
	/* 3 x 600/s for 1000/s: 333 each, 500 with one down: fine */
	r = eval(three(text, sizeof(text), "", "expected_rate = 1000\n", "",
		       1, 1, 1, "capacity = 600\n"), NULL, &cfg);
	assert_int_equal(r->n_findings, 0);
	done(r, cfg);
	/* 3 x 450/s: 333 each, but 500 with one down: no headroom */
	r = eval(three(text, sizeof(text), "", "expected_rate = 1000\n", "",
		       1, 1, 1, "capacity = 450\n"), NULL, &cfg);
	assert_int_equal(only(r, "lint_no_headroom")->severity,
			 LB_POLICY_WARNING);
	assert_false(has(r, "lint_capacity_rate"));
	done(r, cfg);
	/* 3 x 300/s: below the rate even all up */
	r = eval(three(text, sizeof(text), "", "expected_rate = 1000\n", "",
		       1, 1, 1, "capacity = 300\n"), NULL, &cfg);
	assert_string_equal(only(r, "lint_capacity_rate")->vip, "web");
	done(r, cfg);
}

static void
test_bad_policy_values_refused_with_line(void **state)
{
	static const char *const bad[] = {
		"[pool.web]\nmin_healthy = 0%\n",
		"[pool.web]\nmin_healthy = two\n",
		"[pool.web]\nmin_healthy = 101%\n",
		"[pool.web]\nn_minus_1 = maybe\n",
		"[pool.web]\nmax_share_change = 101\n",
		"[pool.web]\nmax_weight_ratio = 0\n",
		"[pool.web]\n[backend.b1]\npool = web\naddress = 10.0.0.11\n"
		"max_share = 101\n",
		"[pool.web]\n[backend.b1]\npool = web\naddress = 10.0.0.11\n"
		"capacity = -5\n",
	};
	struct lb_config_error err;
	unsigned int i;
	FILE *f;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), PORT VIP "%s%s", bad[i],
			 strstr(bad[i], "backend") ? "" :
			 "[backend.b1]\npool = web\naddress = 10.0.0.11\n");
		f = fopen(path_a, "w");
		assert_non_null(f);
		fputs(text, f);
		fclose(f);
		assert_null(lb_config_parse(path_a, &err));
		snprintf(text2, sizeof(text2), "%s:", path_a);
		assert_non_null(strstr(err.msg, text2));
	}
}

static void
test_gate_json(void **state)
{
	struct lb_config *before, *after;
	json_t *a, *o;
	size_t i;
	int seen = 0;

	(void)state;
	before = parse_text(path_b, three(text2, sizeof(text2), "", "",
					  "max_share_change = 10\n"
					  "min_healthy = 3\n", 10, 10, 10,
					  "max_share = 50\n"));
	after = parse_text(path_a, three(text, sizeof(text), "", "",
					 "max_share_change = 10\n"
					 "min_healthy = 3\n", 10, 10, 1000,
					 "max_share = 50\n"));
	a = lb_policy_gate(NULL, before, NULL);
	assert_non_null(a);
	assert_int_equal(json_array_size(a), 0);
	json_decref(a);
	a = lb_policy_gate(before, after, NULL);
	assert_non_null(a);
	json_array_foreach(a, i, o) {
		const char *sev = json_string_value(json_object_get(o,
							"severity"));

		assert_true(!strcmp(sev, "violation") ||
			    !strcmp(sev, "warning"));
		assert_true(json_is_string(json_object_get(o, "code")));
		assert_true(json_is_string(json_object_get(o, "message")));
		assert_true(json_is_string(json_object_get(o, "where")));
		assert_true(json_is_string(json_object_get(o, "pool")));
		assert_true(json_is_string(json_object_get(o, "vip")));
		assert_non_null(json_object_get(o, "backend"));
		if (!strcmp(json_string_value(json_object_get(o, "code")),
			    "share_change"))
			seen |= 1;
		if (!strcmp(json_string_value(json_object_get(o, "code")),
			    "max_share"))
			seen |= 2;
	}
	assert_int_equal(seen, 3);
	json_decref(a);
	lb_config_free(before);
	lb_config_free(after);
	/* a finding without a backend says null */
	after = parse_text(path_a, three(text, sizeof(text), "", "",
					 "min_healthy = 3\n", 10, 10, 0, ""));
	a = lb_policy_gate(NULL, after, NULL);
	assert_int_equal(json_array_size(a), 1);
	assert_true(json_is_null(json_object_get(json_array_get(a, 0),
						 "backend")));
	json_decref(a);
	lb_config_free(after);
}

/* ---- fingerprints ----------------------------------------------------- */

static void
test_fingerprint_equal_for_equal_tables(void **state)
{
	struct lb_config *a, *b;

	(void)state;
	a = parse_text(path_a, three(text, sizeof(text), "", "", "", 10, 20,
				     30, ""));
	/* the same backends, in another order, another key, another VIP */
	snprintf(text2, sizeof(text2), PORT
		 "[backend.web3]\npool = web\naddress = 10.0.0.13\nweight = 30\n"
		 "[backend.web1]\npool = web\naddress = 10.0.0.11\nweight = 10\n"
		 "[pool.web]\n"
		 "[backend.web2]\naddress = 10.0.0.12\npool = web\nweight = 20\n"
		 "[vip.www]\naddress = 10.0.0.200\nport = 443\npool = web\n");
	b = parse_text(path_b, text2);
	assert_true(a->pools[0].fingerprint == b->pools[0].fingerprint);
	assert_true(a->pools[0].fingerprint != 0);
	lb_config_free(b);
	/* one weight changed: another table, another fingerprint */
	b = parse_text(path_b, three(text2, sizeof(text2), "", "", "", 10, 20,
				     31, ""));
	assert_true(a->pools[0].fingerprint != b->pools[0].fingerprint);
	lb_config_free(b);
	/* same weights, another name: another fingerprint */
	join(text2, sizeof(text2), text, "");
	memcpy(strstr(text2, "[backend.web3]"), "[backend.webx]", 14);
	b = parse_text(path_b, text2);
	assert_true(a->pools[0].fingerprint != b->pools[0].fingerprint);
	lb_config_free(b);
	lb_config_free(a);
}

static void
test_fingerprint_hex(void **state)
{
	struct lb_config *a;
	char buf[20];

	(void)state;
	a = parse_text(path_a, three(text, sizeof(text), "", "", "", 1, 1, 1,
				     ""));
	assert_int_equal(strlen(lb_config_fingerprint_hex(a, 0, buf,
							  sizeof(buf))), 16);
	assert_int_equal(strspn(buf, "0123456789abcdef"), 16);
	lb_config_free(a);
}

/* ---- finding codes ---------------------------------------------------- */

/* One row per code: a unique name, its help, and its kind in its name
 * (lint_ codes are the lint's, the others are rules). */
static void
test_codes_table(void **state)
{
	const struct lb_policy_code_desc *d, *e;
	unsigned int i, j;

	(void)state;
	assert_int_equal(LB_FINDING_N_CODES, RTE_DIM(lb_policy_codes));
	for (i = 0; i < LB_FINDING_N_CODES; i++) {
		d = &lb_policy_codes[i];
		assert_non_null(d->name);
		assert_true(strlen(d->help) > 10);
		assert_int_equal(d->lint, strncmp(d->name, "lint_", 5) == 0);
		for (j = 0; j < i; j++) {
			e = &lb_policy_codes[j];
			assert_string_not_equal(d->name, e->name);
		}
	}
	assert_string_equal(lb_policy_codes[LB_FINDING_max_share].name,
			    "max_share");
}

/* ---- the check report ------------------------------------------------- */

static char *
report_text(const struct lb_config *cfg, const struct lb_policy_report *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	assert_non_null(out);
	lb_policy_print(cfg, r, out);
	assert_int_equal(fclose(out), 0);
	return buf;
}

/*
 * What an operator reads before an apply: the header with the pool's
 * fingerprint, a row per member with the very table's share and slots,
 * members by name, backends out of the table and why, the hash_key line.
 */
static void
test_report_text(void **state)
{
	struct lb_policy_report *r;
	struct lb_config *cfg;
	char row[256], fp[20], *out;
	uint32_t b;

	(void)state;
	snprintf(text, sizeof(text), PORT VIP "[pool.web]\n"
		 "[backend.web2]\npool = web\naddress = 10.0.0.12\nweight = 2\n"
		 "[backend.web1]\npool = web\naddress = 10.0.0.11\n"
		 "[backend.web3]\npool = web\naddress = 10.0.0.13\n"
		 "admin_state = drained\n"
		 "[backend.web4]\npool = web\naddress = 10.0.0.14\n"
		 "admin_state = disabled\n");
	r = eval(text, NULL, &cfg);
	out = report_text(cfg, r);
	snprintf(row, sizeof(row), "vip web tcp 10.0.0.100:80 mode dr pool "
		 "web maglev M=65537 fingerprint %s\n",
		 lb_config_fingerprint_hex(cfg, 0, fp, sizeof(fp)));
	assert_non_null(strstr(out, row));
	b = tini_backend(cfg, "web2");
	/* the shares and slots end the row (tools read them from there) */
	snprintf(row, sizeof(row), "  66.67%%  %13.2f%%  %8u\n",
		 100 * lb_config_expected_share(cfg, b),
		 cfg->pools[0].member_slots[cfg->backends[b].member]);
	assert_non_null(strstr(out, row));
	assert_true(fabs(r->share[b] - 200.0 / 3) < 0.1);
	assert_true(strstr(out, "  web1 ") < strstr(out, "  web2 "));
	assert_non_null(strstr(out, "  - web3 10.0.0.13 weight 1: drained, "
			       "no new flows\n"));
	assert_non_null(strstr(out, "  - web4 10.0.0.14 weight 1: disabled, "
			       "no new flows\n"));
	/* no key: the one warning */
	assert_non_null(strstr(out, "\n! hash_key is not set: "));
	assert_null(strstr(strchr(out, '!') + 1, "!"));
	free(out);
	done(r, cfg);
	join(text2, sizeof(text2), "[global]\nhash_key = "
	     "000102030405060708090a0b0c0d0e0f\n", text);
	r = eval(text2, NULL, &cfg);
	out = report_text(cfg, r);
	assert_null(strstr(out, "!"));
	assert_null(strstr(out, "000102030405060708090a0b0c0d0e0f"));
	assert_non_null(strstr(out, "hash_key: set (secret)"));
	free(out);
	done(r, cfg);
}

/* A table share far from the weight share is flagged, not hidden. */
static void
test_report_flags_share_gap(void **state)
{
	struct lb_policy_report *r;
	struct lb_config *cfg;
	struct lb_pool_conf *p;
	char *out;

	(void)state;
	cfg = parse_text(path_a, three(text, sizeof(text), "", "", "", 1, 1,
				       2, ""));
	/* skew the table by hand: member 0 (web1) takes every slot */
	p = &cfg->pools[0];
	memset(p->member_slots, 0, sizeof(*p->member_slots) * p->n_members);
	p->member_slots[0] = p->maglev.size;
	r = lb_policy_evaluate(NULL, cfg, 0);
	assert_non_null(r);
	out = report_text(cfg, r);
	assert_non_null(strstr(out, "  ! web1: expected share 100.00% differs "
			       "from weight share 25.00% by more than 1 "
			       "point\n"));
	assert_non_null(strstr(out, "  ! web3: expected share 0.00% differs "
			       "from weight share 50.00% by more than 1 "
			       "point\n"));
	free(out);
	done(r, cfg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_policy_keys_no_findings),
		cmocka_unit_test(test_postmortem_change_violates_max_share),
		cmocka_unit_test(test_max_share_bound),
		cmocka_unit_test(test_min_healthy_count_and_percent),
		cmocka_unit_test(test_max_weight_ratio_bound),
		cmocka_unit_test(test_n_minus_1),
		cmocka_unit_test(test_n_minus_1_matches_real_build),
		cmocka_unit_test(test_n_minus_1_single_backend),
		cmocka_unit_test(test_share_change_bound),
		cmocka_unit_test(test_share_change_removed_backend),
		cmocka_unit_test(test_lint_outlier_strict_warn),
		cmocka_unit_test(test_lint_address_weights),
		cmocka_unit_test(test_lint_capacity),
		cmocka_unit_test(test_bad_policy_values_refused_with_line),
		cmocka_unit_test(test_gate_json),
		cmocka_unit_test(test_fingerprint_equal_for_equal_tables),
		cmocka_unit_test(test_fingerprint_hex),
		cmocka_unit_test(test_codes_table),
		cmocka_unit_test(test_report_text),
		cmocka_unit_test(test_report_flags_share_gap),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
