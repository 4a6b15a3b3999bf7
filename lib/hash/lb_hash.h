/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef LB_HASH_H
#define LB_HASH_H

/**
 * @file
 * Keyed hashing that an outsider cannot steer: SipHash (Aumasson and
 * Bernstein, 2012), a pseudorandom function of a 128-bit key. Whoever does
 * not know the key cannot compute which inputs collide, unlike CRC32C
 * with a known (or even a secret) seed: CRC is linear, so the XOR of two
 * colliding inputs collides under every seed.
 *
 * edgelb hashes flow tuples twice, with two keys (see lb_flow.h): the flow
 * table with a per-process secret from getrandom(), the scheduler with the
 * configured [global] hash_key that every box of a fleet shares.
 *
 * SipHash-1-3 (one compression round per word, three finalization rounds)
 * is what the packet path uses: the variant Python, Rust and the Linux
 * kernel's hsiphash family chose for hash tables, where the output is never
 * shown to the attacker. The generic lb_hash_siphash() takes the round
 * counts so that its tests can use the published SipHash-2-4 vectors.
 *
 * Any lcore. Nothing here allocates or blocks, except
 * lb_hash_key_random() (getrandom(), which may wait for the kernel's
 * entropy pool once after boot: management lcore only).
 */

#include <stddef.h>
#include <stdint.h>

#include <rte_byteorder.h>
#include <rte_common.h>

/**
 * A 128-bit SipHash key: k0 = bytes 0..7, k1 = bytes 8..15, each read as
 * a little-endian word (the reference implementation's layout), and what
 * lb_hash_sip13_2w() starts from: the initial state with the first
 * quarter of the first round done, which reads the key only. Set it with
 * lb_hash_key_set(), lb_hash_key_parse() or lb_hash_key_random(), never
 * field by field.
 */
struct lb_hash_key {
	uint64_t k0;
	uint64_t k1;
	uint64_t v[4];              /**< prepared state */
};

/** Length of a key written in hex (lb_hash_key_parse). */
#define LB_HASH_KEY_HEX_LEN 32

/** Set @p k to the key (@p k0, @p k1) and prepare its state. */
void lb_hash_key_set(struct lb_hash_key *k, uint64_t k0, uint64_t k1);

/**
 * A fresh random key from getrandom(2). Management lcore (a system call).
 * @return 0, or -errno (the key is then zeroed, never half random).
 */
int lb_hash_key_random(struct lb_hash_key *k);

/**
 * Parse exactly LB_HASH_KEY_HEX_LEN hex digits (either case): the 16 key
 * bytes in order. @return 0, or -1 if @p hex is anything else.
 */
int lb_hash_key_parse(const char *hex, struct lb_hash_key *k);

/**
 * SipHash-c-d of @p len bytes at @p data: the reference algorithm, for
 * tests and cold paths. @return the 64-bit hash.
 */
uint64_t lb_hash_siphash(const struct lb_hash_key *k, const void *data,
			 size_t len, unsigned int c_rounds,
			 unsigned int d_rounds);

#define LB_HASH_ROTL(x, b) (((x) << (b)) | ((x) >> (64 - (b))))

#define LB_HASH_SIPROUND(v0, v1, v2, v3) do {                              \
	v0 += v1; v1 = LB_HASH_ROTL(v1, 13); v1 ^= v0;                     \
	v0 = LB_HASH_ROTL(v0, 32);                                         \
	v2 += v3; v3 = LB_HASH_ROTL(v3, 16); v3 ^= v2;                     \
	v0 += v3; v3 = LB_HASH_ROTL(v3, 21); v3 ^= v0;                     \
	v2 += v1; v1 = LB_HASH_ROTL(v1, 17); v1 ^= v2;                     \
	v2 = LB_HASH_ROTL(v2, 32);                                         \
} while (0)

/**
 * SipHash-1-3 of a message of 9..15 bytes given as its two words: @p m0
 * its first 8 bytes, @p tail the remaining 1..7 bytes in the low bytes
 * (little-endian order) and zeroes above. Equal to
 * lb_hash_siphash(k, bytes, len, 1, 3); two compression rounds and three
 * finalization rounds, about 80 simple instructions, and no memory access
 * beyond the key's prepared state (the first quarter round, which reads
 * no message, was done when the key was set). Always inlined: GCC would
 * call it, and the call costs a tenth of the hash on every packet.
 */
static __rte_always_inline uint64_t
lb_hash_sip13_2w(const struct lb_hash_key *k, uint64_t m0, uint64_t tail,
		 unsigned int len)
{
	uint64_t v0 = k->v[0], v1 = k->v[1], v2 = k->v[2], v3 = k->v[3];
	uint64_t b = tail | (uint64_t)len << 56;

	/* The first round from its second quarter on (it reads v3 ^ m0). */
	v3 ^= m0;
	v2 += v3; v3 = LB_HASH_ROTL(v3, 16); v3 ^= v2;
	v0 += v3; v3 = LB_HASH_ROTL(v3, 21); v3 ^= v0;
	v2 += v1; v1 = LB_HASH_ROTL(v1, 17); v1 ^= v2;
	v2 = LB_HASH_ROTL(v2, 32);
	v0 ^= m0;
	v3 ^= b;
	LB_HASH_SIPROUND(v0, v1, v2, v3);
	v0 ^= b;
	v2 ^= 0xff;
	LB_HASH_SIPROUND(v0, v1, v2, v3);
	LB_HASH_SIPROUND(v0, v1, v2, v3);
	LB_HASH_SIPROUND(v0, v1, v2, v3);
	return v0 ^ v1 ^ v2 ^ v3;
}

#endif
