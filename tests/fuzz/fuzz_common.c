/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_log.h>

#include "fuzz_common.h"

void
fz_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "fuzz invariant broken: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	abort();
}

void
fz_eal_init(const char *name)
{
	char prefix[64], lcores[64];
	char *argv[] = {
		(char *)(uintptr_t)name, "--no-huge", "-m", "256", "--no-pci",
		"--no-shconf", "--no-telemetry", prefix, lcores,
		"--log-level=crit", NULL,
	};
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	snprintf(prefix, sizeof(prefix), "--file-prefix=fz_%s_%d", name,
		 (int)getpid());
	/* One lcore that may run on any CPU: a fuzzer pinned to CPU 0
	 * would fight the other jobs of a small machine for it. */
	snprintf(lcores, sizeof(lcores), "--lcores=0@(0-%ld)",
		 cpus > 1 ? cpus - 1 : 0);
	if (rte_eal_init((int)RTE_DIM(argv) - 1, argv) < 0)
		fz_fail("EAL init failed");
	/* The targets' refusals are logged by the libraries: quiet. */
	rte_log_set_global_level(RTE_LOG_EMERG);
}

int
fz_memfile(const void *text, size_t len, char *path, size_t size)
{
	int fd = memfd_create("fz_ini", MFD_CLOEXEC);

	if (fd < 0)
		return -1;
	if (write(fd, text, len) != (ssize_t)len) {
		close(fd);
		return -1;
	}
	snprintf(path, size, "/proc/self/fd/%d", fd);
	return fd;
}

struct lb_spec *
fz_spec_load(const void *text, size_t len, struct lb_config_error *err)
{
	struct lb_spec *s;
	char path[64];
	int fd = fz_memfile(text, len, path, sizeof(path));

	if (fd < 0)
		fz_fail("memfd: out of descriptors or memory");
	s = lb_spec_load(path, err);
	close(fd);
	return s;
}

struct lb_config *
fz_config(const char *text, const struct lb_config_build_opts *opts)
{
	struct lb_config_error err;
	struct lb_spec *s = fz_spec_load(text, strlen(text), &err);
	struct lb_config *cfg = NULL;

	if (s != NULL)
		cfg = lb_config_build(s, opts, &err);
	lb_spec_free(s);
	if (cfg == NULL)
		fz_fail("the target's own configuration: %s", err.msg);
	return cfg;
}

/* Each frame's buffer and the share record its mbuf points at. */
struct fz_extbuf {
	struct rte_mbuf_ext_shared_info shinfo;
	uint8_t *buf;
};

static uint64_t outstanding;

static void
fz_extbuf_free(void *addr, void *opaque)
{
	struct fz_extbuf *x = opaque;

	RTE_SET_USED(addr);
	free(x->buf);
	free(x);
	outstanding--;
}

uint64_t
fz_mbuf_outstanding(void)
{
	return outstanding;
}

struct rte_mbuf *
fz_mbuf(struct rte_mempool *mp, const void *frame, uint16_t len)
{
	uint16_t room = RTE_PKTMBUF_HEADROOM + len;
	struct fz_extbuf *x = calloc(1, sizeof(*x));
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);

	if (x == NULL || m == NULL)
		fz_fail("no mbuf or memory for a frame");
	x->buf = malloc(room);
	if (x->buf == NULL)
		fz_fail("no memory for a frame");
	x->shinfo.free_cb = fz_extbuf_free;
	x->shinfo.fcb_opaque = x;
	rte_mbuf_ext_refcnt_set(&x->shinfo, 1);
	/* IOVA is never used: no device reads these buffers. */
	rte_pktmbuf_attach_extbuf(m, x->buf, 0, room, &x->shinfo);
	rte_pktmbuf_reset_headroom(m);
	memcpy(rte_pktmbuf_mtod(m, void *), frame, len);
	m->data_len = len;
	m->pkt_len = len;
	outstanding++;
	return m;
}
