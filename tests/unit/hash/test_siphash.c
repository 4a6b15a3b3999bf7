/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/hash: SipHash against the published vectors, the packet path's
 * two-word form against the generic one, keys.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lb_hash.h"

/* The paper's key 00 01 .. 0f, message 00 01 .. len-1: SipHash-2-4. */
static const uint64_t sip24_vectors[16] = {
	0x726fdb47dd0e0e31ull, 0x74f839c593dc67fdull, 0x0d6c8009d9a94f5aull,
	0x85676696d7fb7e2dull, 0xcf2794e0277187b7ull, 0x18765564cd99a68dull,
	0xcbc9466e58fee3ceull, 0xab0200f58b01d137ull, 0x93f5f5799a932462ull,
	0x9e0082df0ba9e4b0ull, 0x7a5dbbc594ddb9f3ull, 0xf4b32f46226bada7ull,
	0x751e8fbc860ee5fbull, 0x14ea5627c0843d90ull, 0xf723ca908e7af2eeull,
	0xa129ca6149be45e5ull,
};

/* SipHash-1-3 of the reference implementation (veorq/SipHash), key all
 * zero, message 00 01 .. len-1. */
static const uint64_t sip13_vectors[16] = {
	0xd1fba762150c532cull, 0x68a914128e01e473ull, 0x010bac45c41e3669ull,
	0x4d4c9a4a8ef6e0adull, 0x7cc43f98813e4dbdull, 0x5abe2169dff36275ull,
	0xe3c25f87624f1cdbull, 0x2f098ab0c751325aull, 0xead411e67ebe2eeaull,
	0x75927f9d95124362ull, 0xaf9f77a65ab51a1dull, 0xfe64ce8b6617fcffull,
	0xa6baf4fb0f9fe1c2ull, 0xa0cf3211850f8e0dull, 0x7f86049379fbfe67ull,
	0xf30eb725bb91c9eaull,
};

static void
test_siphash_reference_vectors(void **state)
{
	struct lb_hash_key k, zero;
	uint8_t m[16];
	unsigned int i;

	(void)state;
	lb_hash_key_set(&zero, 0, 0);
	assert_int_equal(lb_hash_key_parse("000102030405060708090a0b0c0d0e0f",
					   &k), 0);
	for (i = 0; i < 16; i++)
		m[i] = (uint8_t)i;
	for (i = 0; i < 16; i++) {
		assert_true(lb_hash_siphash(&k, m, i, 2, 4) ==
			    sip24_vectors[i]);
		assert_true(lb_hash_siphash(&zero, m, i, 1, 3) ==
			    sip13_vectors[i]);
	}
}

static uint64_t rng_state = 0x2545f4914f6cdd1dull;

static uint64_t
rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* The packet path's form is the algorithm, for every length it takes. */
static void
test_sip13_2w_equals_generic(void **state)
{
	struct lb_hash_key k;
	uint8_t m[16];
	uint64_t m0, tail;
	unsigned int i, len, j;

	(void)state;
	for (i = 0; i < 2000; i++) {
		lb_hash_key_set(&k, rng(), rng());
		len = 9 + i % 7;
		for (j = 0; j < sizeof(m); j++)
			m[j] = (uint8_t)rng();
		memset(m + len, 0, sizeof(m) - len);
		memcpy(&m0, m, 8);
		memcpy(&tail, m + 8, 8);
		assert_true(lb_hash_sip13_2w(&k, rte_le_to_cpu_64(m0),
					     rte_le_to_cpu_64(tail), len) ==
			    lb_hash_siphash(&k, m, len, 1, 3));
	}
}

/* Same key, same hash; another key, another hash. */
static void
test_siphash_keyed(void **state)
{
	struct lb_hash_key a, b;
	const char msg[] = "10.0.0.1:1234";
	unsigned int i, same = 0;
	uint8_t m[13];

	(void)state;
	lb_hash_key_set(&a, 1, 2);
	lb_hash_key_set(&b, 1, 3);
	assert_true(lb_hash_siphash(&a, msg, 13, 1, 3) ==
		    lb_hash_siphash(&a, msg, 13, 1, 3));
	for (i = 0; i < 1000; i++) {
		uint64_t x;

		memset(m, 0, sizeof(m));
		memcpy(m, &i, sizeof(i));
		x = lb_hash_siphash(&a, m, sizeof(m), 1, 3);
		same += (uint32_t)x == (uint32_t)lb_hash_siphash(&b, m,
							sizeof(m), 1, 3);
	}
	assert_true(same <= 1);
}

static void
test_key_parse(void **state)
{
	struct lb_hash_key k;

	(void)state;
	assert_int_equal(lb_hash_key_parse("ffeeddccbbaa99887766554433221100",
					   &k), 0);
	assert_true(k.k0 == 0x8899aabbccddeeffull);
	assert_true(k.k1 == 0x0011223344556677ull);
	assert_int_equal(lb_hash_key_parse("FFEEDDCCBBAA99887766554433221100",
					   &k), 0);
	assert_true(k.k0 == 0x8899aabbccddeeffull);
	assert_int_equal(lb_hash_key_parse("", &k), -1);
	assert_int_equal(lb_hash_key_parse("ffeeddccbbaa9988776655443322110",
					   &k), -1);
	assert_int_equal(lb_hash_key_parse("ffeeddccbbaa998877665544332211000",
					   &k), -1);
	assert_int_equal(lb_hash_key_parse("ffeeddccbbaa9988776655443322110x",
					   &k), -1);
	assert_int_equal(lb_hash_key_parse(" ffeeddccbbaa998877665544332211",
					   &k), -1);
}

static void
test_key_random(void **state)
{
	struct lb_hash_key a, b;

	(void)state;
	assert_int_equal(lb_hash_key_random(&a), 0);
	assert_int_equal(lb_hash_key_random(&b), 0);
	assert_false(a.k0 == b.k0 && a.k1 == b.k1);
	assert_false(a.k0 == 0 && a.k1 == 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_siphash_reference_vectors),
		cmocka_unit_test(test_sip13_2w_equals_generic),
		cmocka_unit_test(test_siphash_keyed),
		cmocka_unit_test(test_key_parse),
		cmocka_unit_test(test_key_random),
	};

	return cmocka_run_group_tests_name("lb_hash", tests, NULL, NULL);
}
