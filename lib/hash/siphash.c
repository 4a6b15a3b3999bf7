/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SipHash, written from the paper (Aumasson, Bernstein: "SipHash: a fast
 * short-input PRF", 2012); checked against its published vectors in
 * tests/unit/hash.
 */

#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include "lb_hash.h"

#define SIP_C0 UINT64_C(0x736f6d6570736575)
#define SIP_C1 UINT64_C(0x646f72616e646f6d)
#define SIP_C2 UINT64_C(0x6c7967656e657261)
#define SIP_C3 UINT64_C(0x7465646279746573)

void
lb_hash_key_set(struct lb_hash_key *k, uint64_t k0, uint64_t k1)
{
	uint64_t v0 = k0 ^ SIP_C0, v1 = k1 ^ SIP_C1;

	k->k0 = k0;
	k->k1 = k1;
	/* The first quarter of SIPROUND: v0 and v1 only, no message. */
	v0 += v1;
	v1 = LB_HASH_ROTL(v1, 13);
	v1 ^= v0;
	v0 = LB_HASH_ROTL(v0, 32);
	k->v[0] = v0;
	k->v[1] = v1;
	k->v[2] = k0 ^ SIP_C2;
	k->v[3] = k1 ^ SIP_C3;
}

int
lb_hash_key_random(struct lb_hash_key *k)
{
	uint64_t w[2];
	uint8_t b[16];
	size_t got = 0;
	ssize_t n;

	/* Blocks only until the kernel's pool is first initialised. */
	while (got < sizeof(b)) {
		n = getrandom(b + got, sizeof(b) - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int err = n < 0 ? errno : EIO;

			memset(k, 0, sizeof(*k));
			memset(b, 0, sizeof(b));
			return -err;
		}
		got += (size_t)n;
	}
	memcpy(&w[0], b, 8);
	memcpy(&w[1], b + 8, 8);
	lb_hash_key_set(k, rte_le_to_cpu_64(w[0]), rte_le_to_cpu_64(w[1]));
	memset(b, 0, sizeof(b));
	memset(w, 0, sizeof(w));
	return 0;
}

static int
hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
lb_hash_key_parse(const char *hex, struct lb_hash_key *k)
{
	uint64_t w[2] = { 0, 0 };
	unsigned int i;
	int d;

	if (strlen(hex) != LB_HASH_KEY_HEX_LEN)
		return -1;
	for (i = 0; i < LB_HASH_KEY_HEX_LEN; i++) {
		d = hex_digit(hex[i]);
		if (d < 0)
			return -1;
		/* Byte i / 2 of the key, high nibble first; little-endian
		 * words: byte j of a word is bits 8j..8j+7. */
		w[i / 16] |= (uint64_t)d << (8 * ((i % 16) / 2) +
					     (i % 2 ? 0 : 4));
	}
	lb_hash_key_set(k, w[0], w[1]);
	return 0;
}

uint64_t
lb_hash_siphash(const struct lb_hash_key *k, const void *data, size_t len,
		unsigned int c_rounds, unsigned int d_rounds)
{
	const uint8_t *p = data;
	uint64_t v0 = k->k0 ^ SIP_C0, v1 = k->k1 ^ SIP_C1;
	uint64_t v2 = k->k0 ^ SIP_C2, v3 = k->k1 ^ SIP_C3;
	uint64_t m, b = (uint64_t)len << 56;
	size_t i, left = len % 8;
	unsigned int r;

	for (i = 0; i + 8 <= len; i += 8) {
		memcpy(&m, p + i, 8);
		m = rte_le_to_cpu_64(m);
		v3 ^= m;
		for (r = 0; r < c_rounds; r++)
			LB_HASH_SIPROUND(v0, v1, v2, v3);
		v0 ^= m;
	}
	for (i = 0; i < left; i++)
		b |= (uint64_t)p[len - left + i] << (8 * i);
	v3 ^= b;
	for (r = 0; r < c_rounds; r++)
		LB_HASH_SIPROUND(v0, v1, v2, v3);
	v0 ^= b;
	v2 ^= 0xff;
	for (r = 0; r < d_rounds; r++)
		LB_HASH_SIPROUND(v0, v1, v2, v3);
	return v0 ^ v1 ^ v2 ^ v3;
}
