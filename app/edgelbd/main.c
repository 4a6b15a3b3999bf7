/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * edgelbd: the appliance daemon.
 *   edgelbd -f FILE       run in the foreground, log to stderr
 *   edgelbd --check FILE  validate and simulate FILE; never starts DPDK
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>

#include "edgelbd.h"
#include "lb_neigh.h"

static void
usage(FILE *out)
{
	fprintf(out,
		"usage: edgelbd -f FILE       run with configuration FILE\n"
		"       edgelbd --check FILE  validate FILE and print each "
		"backend's expected share\n"
		"       edgelbd --version\n");
}

static int
check(const char *path)
{
	struct lb_config_error err;
	struct lb_config *cfg = lb_config_parse(path, &err);

	if (cfg == NULL) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	printf("%s: OK\n", path);
	lb_config_print_simulation(cfg, stdout);
	lb_config_free(cfg);
	return 0;
}

/* Signals are read from a signalfd by management: block them everywhere,
 * before EAL starts the worker threads (they inherit the mask). */
static void
block_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	/* Reload; taken from the event loop's signalfd, never delivered. */
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static int
start_workers(const struct lb_config *cfg, struct lb_dp *dp, char *err,
	      size_t errlen)
{
	unsigned int lcore, i = 0;
	int rc;

	RTE_LCORE_FOREACH_WORKER(lcore) {
		rc = lb_dp_worker_create(dp, i, lcore,
					 (int)rte_lcore_to_socket_id(lcore),
					 cfg->global.flow_table_size);
		if (rc != 0) {
			snprintf(err, errlen, "worker %u: %s (flow_table_size "
				 "%u too large for -m?)", i, strerror(-rc),
				 cfg->global.flow_table_size);
			return -1;
		}
		dp->workers[i]->idle_sleep_us = cfg->global.idle_sleep_us;
		i++;
	}
	lb_dp_publish_config(dp, cfg);
	lb_dp_publish_neigh(dp, lb_neigh_table_for(cfg));
	if (dp->neigh == NULL) {
		snprintf(err, errlen, "neighbour table: out of memory");
		return -1;
	}
	for (i = 0; i < dp->n_workers; i++)
		rte_eal_remote_launch(lb_dp_worker_main, dp->workers[i],
				      dp->workers[i]->lcore);
	return 0;
}

static int
run(const char *path, const char *argv0)
{
	char err[EDGELBD_ERR_MAX] = "";
	struct lb_config_error cerr;
	struct rte_mempool *mp = NULL;
	struct lb_config *cfg;
	struct lb_dp *dp = NULL;
	int rc = 1;

	cfg = lb_config_parse(path, &cerr);
	if (cfg == NULL) {
		fprintf(stderr, "%s\n", cerr.msg);
		return 1;
	}
	block_signals();
	if (edgelbd_eal_init(cfg, argv0, err, sizeof(err)) != 0)
		goto out;
	dp = lb_dp_create(cfg->global.workers);
	if (dp == NULL) {
		snprintf(err, sizeof(err), "dataplane: %s",
			 rte_strerror(rte_errno));
		goto out;
	}
	if (edgelbd_ports_init(cfg, dp, &mp, err, sizeof(err)) != 0 ||
	    start_workers(cfg, dp, err, sizeof(err)) != 0)
		goto stop;
	rc = edgelbd_control_run(dp, mp, err, sizeof(err)) != 0;
stop:
	dp->stop = 1;
	rte_eal_mp_wait_lcore();
	edgelbd_ports_stop(dp);
	lb_neigh_table_free((struct lb_neigh_table *)dp->neigh);
	lb_dp_free(dp);
out:
	if (err[0] != '\0')
		fprintf(stderr, "edgelbd: %s\n", err);
	lb_config_free(cfg);
	edgelbd_eal_cleanup();
	return rc;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "check", required_argument, NULL, 'c' },
		{ "file", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *file = NULL;
	int opt;

	while ((opt = getopt_long(argc, argv, "f:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			return check(optarg);
		case 'f':
			file = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("edgelbd %s\n", EDGELBD_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (file == NULL || optind != argc) {
		usage(stderr);
		return 2;
	}
	return run(file, argv[0]);
}
