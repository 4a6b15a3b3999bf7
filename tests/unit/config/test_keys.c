/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/config/keys.c: the table itself, its checks, and that
 * config/reference.ini documents exactly its keys.
 */

#include <ctype.h>

#include "lb_config.h"
#include "test_support.h"

/* ---- lb_config_keys ---------------------------------------------------- */

static void
test_defaults_pass_their_own_checks(void **state)
{
	const struct lb_config_key *k;
	unsigned int n, i;
	char msg[256];

	(void)state;
	k = lb_config_keys(&n);
	assert_true(n > 20);
	for (i = 0; i < n; i++) {
		assert_non_null(k[i].doc);
		assert_ptr_equal(lb_config_key_find(k[i].section, k[i].name),
				 &k[i]);
		if (k[i].def == NULL || k[i].def[0] == '\0')
			continue;
		if (lb_config_key_check(&k[i], k[i].def, msg, sizeof(msg)) < 0)
			fail_msg("default of %s: %s", k[i].name, msg);
	}
	assert_null(lb_config_key_find(LB_SECTION_PORT, "weight"));
}

static void
test_runtime_flags(void **state)
{
	static const char *const fixed[] = { "workers", "eal_args",
		"flow_table_size", "extra_mbufs", "socket", "socket_group",
		"audit_log", "hash_key", "metrics_listen" };
	const struct lb_config_key *k;
	unsigned int n, i, j, is_fixed;

	(void)state;
	k = lb_config_keys(&n);
	for (i = 0; i < n; i++) {
		/* [bgp]: BIRD runs with it; a restart changes it. */
		is_fixed = k[i].section == LB_SECTION_PORT ||
			   k[i].section == LB_SECTION_BGP;
		for (j = 0; k[i].section == LB_SECTION_GLOBAL &&
			    j < sizeof(fixed) / sizeof(fixed[0]); j++)
			is_fixed |= strcmp(k[i].name, fixed[j]) == 0;
		if (k[i].runtime == is_fixed)
			fail_msg("%s: runtime flag %u", k[i].name,
				 k[i].runtime);
	}
}

static void
test_check_messages(void **state)
{
	const struct lb_config_key *k;
	char msg[256];

	(void)state;
	k = lb_config_key_find(LB_SECTION_VIP, "mode");
	assert_int_equal(lb_config_key_check(k, "dr", msg, sizeof(msg)), 0);
	assert_int_equal(lb_config_key_check(k, "ipip", msg, sizeof(msg)), -1);
	assert_string_equal(msg, "mode 'ipip' is not supported yet (only dr)");
	k = lb_config_key_find(LB_SECTION_POOL, "on_remove");
	assert_int_equal(lb_config_key_check(k, "drop", msg, sizeof(msg)), -1);
	assert_string_equal(msg, "on_remove = 'drop': expected keep or reschedule");
	k = lb_config_key_find(LB_SECTION_GLOBAL, "socket_group");
	assert_int_equal(lb_config_key_check(k, "a23456789012345678901234567890123",
					     msg, sizeof(msg)), -1);
	assert_int_equal(lb_config_key_check(k, "a2345678901234567890123456789012",
					     msg, sizeof(msg)), 0);
	assert_string_equal(lb_section_kind_name(LB_SECTION_BACKEND), "backend");
}

/* ---- config/reference.ini documents exactly the table ------------------- */

struct doc {
	char key[64];
	enum lb_section_kind kind;
	int first;          /* in the first section of its kind */
	char value[256];
	int commented;
};

/* ";key = value" or "key = value" (prose has a space after ';'). */
static int
doc_line(const char *l, struct doc *d)
{
	const char *p = l + (*l == ';'), *eq;
	size_t len;

	for (len = 0; islower((unsigned char)p[len]) || p[len] == '_' ||
		      (len > 0 && isdigit((unsigned char)p[len])); len++)
		;
	eq = p + len;
	while (*eq == ' ')
		eq++;
	if (len == 0 || len >= sizeof(d->key) || *eq != '=')
		return 0;
	memcpy(d->key, p, len);
	d->key[len] = '\0';
	d->commented = *l == ';';
	for (eq++; *eq == ' '; eq++)
		;
	snprintf(d->value, sizeof(d->value), "%s", eq);
	d->value[strcspn(d->value, "\n")] = '\0';
	return 1;
}

static void
test_reference_ini_documents_every_key(void **state)
{
	FILE *fp = fopen(LB_SOURCE_DIR "/config/reference.ini", "r");
	const struct lb_config_key *keys, *k;
	int seen_kind[LB_SECTION_KINDS] = { 0 }, cur = -1, first = 0;
	unsigned char found[128] = { 0 };
	unsigned int n, i;
	char line[1100];
	struct doc d;

	(void)state;
	assert_non_null(fp);
	keys = lb_config_keys(&n);
	assert_true(n <= sizeof(found));
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (line[0] == '[') {
			enum lb_section_kind kind;

			line[strcspn(line, "]")] = '\0';
			assert_int_equal(lb_section_kind_of(line + 1, &kind), 0);
			cur = (int)kind;
			first = !seen_kind[cur]++;
			continue;
		}
		if (cur < 0 || !doc_line(line, &d))
			continue;
		k = lb_config_key_find((enum lb_section_kind)cur, d.key);
		if (k == NULL)
			fail_msg("reference.ini documents unknown key '%s' in [%s]",
				 d.key, lb_section_kind_name(cur));
		if (d.commented && k->def != NULL && k->def[0] != '\0' &&
		    strcmp(d.value, k->def) != 0)
			fail_msg("reference.ini: ;%s = %s, default is %s",
				 d.key, d.value, k->def);
		if (first)
			found[k - keys] = 1;
	}
	fclose(fp);
	for (i = 0; i < n; i++)
		if (!found[i])
			fail_msg("reference.ini does not document [%s] %s",
				 lb_section_kind_name(keys[i].section),
				 keys[i].name);
}

int
main(void)
{
	const struct CMUnitTest keys[] = {
		cmocka_unit_test(test_defaults_pass_their_own_checks),
		cmocka_unit_test(test_runtime_flags),
		cmocka_unit_test(test_check_messages),
		cmocka_unit_test(test_reference_ini_documents_every_key),
	};

	return cmocka_run_group_tests_name("lb_config_keys", keys, NULL, NULL);
}
