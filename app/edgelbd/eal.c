/* SPDX-License-Identifier: BSD-3-Clause */
/* EAL arguments come from the INI file: [global] eal_args plus the ports. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>

#include "edgelbd.h"

#define MAX_ARGS 128

struct args {
	int argc;
	char *argv[MAX_ARGS];
};

static int
push(struct args *a, const char *s)
{
	if (a->argc >= MAX_ARGS - 1)
		return -E2BIG;
	a->argv[a->argc] = strdup(s);
	if (a->argv[a->argc] == NULL)
		return -ENOMEM;
	a->argc++;
	return 0;
}

/* What the operator's eal_args already decide, so we do not add it. */
struct seen {
	int lcores;
	int pci;
	int no_huge;
	int mem;
};

static int
starts(const char *tok, const char *opt)
{
	return strncmp(tok, opt, strlen(opt)) == 0;
}

static void
note_option(struct seen *s, const char *tok)
{
	if (starts(tok, "-l") || starts(tok, "--lcores") || !strcmp(tok, "-c"))
		s->lcores = 1;
	if (!strcmp(tok, "--no-pci") || !strcmp(tok, "-a") ||
	    starts(tok, "--allow") || !strcmp(tok, "-b") ||
	    starts(tok, "--block"))
		s->pci = 1;
	if (!strcmp(tok, "--no-huge"))
		s->no_huge = 1;
	if (starts(tok, "-m") || starts(tok, "--socket-mem"))
		s->mem = 1;
}

/* eal_args is split on whitespace; EAL options never need quoting. */
static int
push_split(struct args *a, const char *line, struct seen *seen)
{
	char *copy = strdup(line), *save = NULL, *tok;
	int rc = 0;

	if (copy == NULL)
		return -ENOMEM;
	for (tok = strtok_r(copy, " \t", &save); tok != NULL && rc == 0;
	     tok = strtok_r(NULL, " \t", &save)) {
		note_option(seen, tok);
		rc = push(a, tok);
	}
	free(copy);
	return rc;
}

/* Free hugepages of the default size, from /proc/meminfo. */
static long
free_hugepages(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[128];
	long n = -1;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "HugePages_Free: %ld", &n) == 1)
			break;
	fclose(f);
	return n;
}

/*
 * Without hugepages EAL cannot start at all; run on ordinary memory
 * instead (slower TLB behaviour, fine for tests) and say so loudly.
 * --no-huge alone gives EAL only 64 MB: too little for the flow tables.
 */
static int
push_memory(struct args *a, const struct seen *seen)
{
	int rc = 0, no_huge = seen->no_huge;

	if (!no_huge && !seen->mem && free_hugepages() == 0) {
		edgelbd_log(LOG_WARNING, "warning: no free hugepages; running "
			    "with --no-huge (set eal_args or reserve "
			    "hugepages, see README)");
		rc = push(a, "--no-huge");
		no_huge = 1;
	}
	if (rc == 0 && no_huge && !seen->mem)
		rc = push(a, "-m512");
	return rc;
}

/* "0000:01:00.0" or "01:00.0" (optionally with ",args"): a PCI device. */
static int
is_pci(const char *dev)
{
	unsigned int d, b, s, f;
	char tail;

	if (sscanf(dev, "%x:%x:%x.%x%c", &d, &b, &s, &f, &tail) >= 4)
		return 1;
	return sscanf(dev, "%x:%x.%x%c", &b, &s, &f, &tail) >= 3 &&
	       isxdigit((unsigned char)dev[0]);
}

/*
 * Main lcore 0 on CPU 0 stays idle in epoll; workers 1..n share the other
 * CPUs. On a 2-CPU test machine every worker lands on CPU 1.
 */
static int
push_lcores(struct args *a, unsigned int workers)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	char buf[1024];
	size_t len;
	unsigned int i;

	len = (size_t)snprintf(buf, sizeof(buf), "--lcores=0@0");
	for (i = 1; i <= workers && len < sizeof(buf); i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len,
					",%u@%ld", i,
					ncpu > 1 ? 1 + (i - 1) % (ncpu - 1) : 0);
	if (len >= sizeof(buf))
		return -E2BIG;
	return push(a, buf);
}

static int
build_args(const struct lb_config *cfg, const char *argv0, struct args *a)
{
	struct seen seen = { 0 };
	char buf[LB_DEVICE_MAX + 16];
	int any_pci = 0, rc;
	uint32_t i;

	rc = push(a, argv0);
	if (rc == 0)
		rc = push_split(a, cfg->global.eal_args, &seen);
	if (rc == 0)
		rc = push_memory(a, &seen);
	for (i = 0; i < cfg->n_ports && rc == 0; i++) {
		const char *dev = cfg->ports[i].device;

		any_pci |= is_pci(dev);
		snprintf(buf, sizeof(buf), "%s%s",
			 is_pci(dev) ? "--allow=" : "--vdev=", dev);
		rc = push(a, buf);
	}
	if (rc == 0 && !seen.lcores)
		rc = push_lcores(a, cfg->global.workers);
	if (rc == 0 && !any_pci && !seen.pci)
		rc = push(a, "--no-pci");
	return rc;
}

/* EAL keeps pointers into its argv until rte_eal_cleanup(). */
static struct args eal_args, eal_argv_copy;
static int eal_started;

static void
free_args(struct args *a)
{
	while (a->argc > 0)
		free(a->argv[--a->argc]);
}

void
edgelbd_eal_cleanup(void)
{
	if (eal_started)
		rte_eal_cleanup();
	eal_started = 0;
	free_args(&eal_args);
}

int
edgelbd_eal_init(const struct lb_config *cfg, const char *argv0, char *err,
		 size_t errlen)
{
	struct args *pa = &eal_args, *a = &eal_argv_copy;
	int rc, i;

	rc = build_args(cfg, argv0, pa);
	if (rc != 0) {
		snprintf(err, errlen, "EAL arguments: %s", strerror(-rc));
		free_args(pa);
		return rc;
	}
	/* rte_eal_init() permutes argv: hand it a copy of the pointers. */
	*a = *pa;
	rc = rte_eal_init(a->argc, a->argv);
	if (rc < 0) {
		snprintf(err, errlen, "EAL init failed: %s (arguments:",
			 rte_strerror(rte_errno));
		for (i = 1; i < pa->argc; i++)
			snprintf(err + strlen(err), errlen - strlen(err),
				 " %s", pa->argv[i]);
		snprintf(err + strlen(err), errlen - strlen(err), ")");
		return -1;
	}
	eal_started = 1;
	if (rte_lcore_count() != cfg->global.workers + 1) {
		snprintf(err, errlen,
			 "%s: workers = %u needs %u lcores (main + workers), "
			 "EAL has %u: fix --lcores/-l in eal_args",
			 cfg->path, cfg->global.workers,
			 cfg->global.workers + 1, rte_lcore_count());
		return -1;
	}
	return 0;
}
