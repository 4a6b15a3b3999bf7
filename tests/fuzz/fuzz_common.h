/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the libFuzzer targets share: EAL start-up, configurations from
 * text without touching the disk, and mbufs whose data ASan can see.
 */
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include <rte_mbuf.h>

#include "lb_config.h"

/*
 * Start DPDK once per process (--no-huge, no PCI, no shared files, a
 * file prefix of @p name and the pid, so that targets run side by side
 * and beside the tests) and silence its log and ours. Aborts on failure:
 * a target without EAL tests nothing.
 */
void fz_eal_init(const char *name);

/*
 * Load @p len bytes as an INI file through a memfd (the loaders read
 * paths; a memfd is a regular file that never reaches a disk).
 * @return the specification, or NULL with @p err filled.
 */
struct lb_spec *fz_spec_load(const void *text, size_t len,
			     struct lb_config_error *err);

/* A file descriptor holding @p len bytes of @p text, for a path of
 * /proc/self/fd/N (written to @p path); -1 on failure. Close it. */
int fz_memfile(const void *text, size_t len, char *path, size_t size);

/* A snapshot built from @p text (lb_spec_load + lb_config_build with
 * @p opts); aborts with the errors if it does not build: the targets'
 * own configurations must. */
struct lb_config *fz_config(const char *text,
			    const struct lb_config_build_opts *opts);

/*
 * A single-segment mbuf from @p mp holding a copy of @p len bytes of
 * @p frame in its own malloc'd buffer of exactly RTE_PKTMBUF_HEADROOM +
 * @p len bytes, attached as an external buffer: a read or write past the
 * frame is a heap overflow that ASan reports, which it could not see in
 * a mempool's data room. Freed the usual way (rte_pktmbuf_free); aborts
 * if the pool is empty.
 */
struct rte_mbuf *fz_mbuf(struct rte_mempool *mp, const void *frame,
			 uint16_t len);

/* External buffers of fz_mbuf() not freed yet. */
uint64_t fz_mbuf_outstanding(void);

/* Report a broken invariant and abort: libFuzzer keeps the input. */
void fz_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2),
						 noreturn));

#define FZ_CHECK(cond, ...) do { if (!(cond)) fz_fail(__VA_ARGS__); } while (0)

#endif
