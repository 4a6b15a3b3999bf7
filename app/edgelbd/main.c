/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * edgelbd: the appliance daemon.
 *   edgelbd -f FILE       run in the foreground, log to stderr (with
 *                         syslog priorities when that is the journal)
 *   edgelbd --check FILE... [--json]  validate, simulate and check the
 *                         policy of each FILE; never starts DPDK
 *   edgelbd --diff OLD NEW [--json]    what NEW changes, offline
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>

#include "edgelbd.h"
#include "lb_neigh.h"
#include "lb_policy.h"

static void
usage(FILE *out)
{
	fprintf(out,
		"usage: edgelbd -f FILE       run with configuration FILE\n"
		"       edgelbd --check FILE... [--json]\n"
		"                             validate each FILE, print each "
		"backend's expected\n"
		"                             share, worst share with one "
		"backend down, the\n"
		"                             pools' fingerprints and every "
		"policy violation and\n"
		"                             warning; several files end with "
		"a summary.\n"
		"                             Exit 1 on any error or violation\n"
		"       edgelbd --diff OLD NEW [--json]\n"
		"                             per backend: added, removed, "
		"weight and expected\n"
		"                             share old -> new, and NEW's "
		"policy findings\n"
		"       edgelbd --version\n");
}

/*
 * The policy gate: every change passes it (lb_runtime_set_gate), and so
 * does the configuration edgelbd starts with.
 */
static const lb_runtime_gate_fn gate = lb_policy_gate;

/*
 * A configuration that violates its own policy does not start, as an
 * invalid one does not: a box that restarts must not come up with what an
 * operator would have been refused. [global] policy = warn turns the
 * violations into warnings (the gate does that); warnings are logged.
 */
static int
startup_policy(const struct lb_config *cfg, const char *path)
{
	json_t *findings, *viol, *warn, *f;
	char line[600];
	size_t nv, i;

	if (gate == NULL)
		return 0;
	findings = gate(NULL, cfg, NULL);
	nv = lb_runtime_findings_split(findings, &viol, &warn);
	json_decref(findings);
	json_array_foreach(warn, i, f) {
		lb_runtime_finding_text(f, line, sizeof(line));
		edgelbd_log(LOG_WARNING, "policy warning: %s", line);
	}
	json_array_foreach(viol, i, f) {
		lb_runtime_finding_text(f, line, sizeof(line));
		edgelbd_log(LOG_ERR, "policy violation: %s", line);
	}
	if (nv > 0)
		edgelbd_log(LOG_ERR, "%s: %zu policy violation(s): not "
			    "starting (fix them, or set [global] policy = warn "
			    "to start with them as warnings)", path, nv);
	json_decref(viol);
	json_decref(warn);
	return nv > 0 ? -1 : 0;
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
	/* What else an operator sends by habit: handled, never the default
	 * action (SIGUSR1/2 would kill, SIGQUIT dump core, without cleanup). */
	sigaddset(&set, SIGQUIT);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	/* What the kernel sends a TAP's owner should its queue of
	 * real-time signals overflow; default action: terminate. */
	sigaddset(&set, SIGIO);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/*
 * net_tap (a kernel interface's TAP) has the kernel send a real-time
 * signal per frame it queues for us. Only management reads the TAP, so
 * only management takes them: blocked before EAL makes the worker and
 * control threads (they inherit the mask), unblocked in this thread once
 * they exist. A worker is never interrupted by them.
 */
static void
rt_signals(int how)
{
	sigset_t set;
	int sig;

	sigemptyset(&set);
	for (sig = SIGRTMIN; sig <= SIGRTMAX; sig++)
		sigaddset(&set, sig);
	pthread_sigmask(how, &set, NULL);
}

static int
start_workers(const struct lb_config *cfg, struct lb_dp *dp, char *err,
	      size_t errlen)
{
	/* The runtime published the first snapshot: workers start on it. */
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
	struct lb_runtime *rt = NULL;
	struct lb_excpath *xp = NULL;
	struct lb_config *cfg;
	struct lb_dp *dp = NULL;
	uint64_t hz;
	int rc = 1;

	cfg = lb_config_parse(path, &cerr);
	if (cfg == NULL) {
		edgelbd_log(LOG_ERR, "%s", cerr.msg);
		return 1;
	}
	if (startup_policy(cfg, path) != 0) {
		lb_config_free(cfg);
		return 1;
	}
	if (cfg->global.hash_key_generated)
		edgelbd_log(LOG_WARNING, "warning: %s: no [global] hash_key: new "
			    "flows are placed with a random key drawn now, so "
			    "another box, or this one after a restart, sends a "
			    "tuple elsewhere; set hash_key to the same 32 hex "
			    "digits on every box", path);
	block_signals();
	rt_signals(SIG_BLOCK);
	if (edgelbd_eal_init(cfg, argv0, err, sizeof(err)) != 0)
		goto out;
	rt_signals(SIG_UNBLOCK);
	dp = lb_dp_create(cfg->global.workers);
	if (dp == NULL) {
		snprintf(err, sizeof(err), "dataplane: %s",
			 rte_strerror(rte_errno));
		goto out;
	}
	if (edgelbd_ports_init(cfg, dp, &mp, err, sizeof(err)) != 0)
		goto stop;
	/* Before the workers: they read which ports have one. */
	xp = lb_excpath_create(cfg, dp, mp, err, sizeof(err));
	if (xp == NULL)
		goto stop;
	hz = rte_get_tsc_hz();
	rt = lb_runtime_create(dp, cfg, EDGELBD_ARP_RETRY_MS * hz / 1000,
			       EDGELBD_ARP_REFRESH_S * hz, err, sizeof(err));
	cfg = NULL;             /* the runtime's now, even on failure */
	if (rt == NULL)
		goto stop;
	lb_runtime_set_gate(rt, gate, NULL);
	if (start_workers(lb_runtime_snapshot(rt)->cfg, dp, err,
			  sizeof(err)) != 0)
		goto stop;
	rc = edgelbd_control_run(dp, rt, xp, mp, err, sizeof(err)) != 0;
	edgelbd_sd_stopping();
stop:
	dp->stop = 1;
	rte_eal_mp_wait_lcore();
	edgelbd_ports_stop(dp);
	/* The kernel interfaces go with their TAPs. */
	lb_excpath_destroy(xp);
	lb_runtime_destroy(rt);
	lb_dp_free(dp);
out:
	if (err[0] != '\0')
		edgelbd_log(LOG_ERR, "%s", err);
	lb_config_free(cfg);
	edgelbd_eal_cleanup();
	return rc;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "check", no_argument, NULL, 'c' },
		{ "diff", no_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "file", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *file = NULL;
	int opt, mode = 0, json = 0;

	/* First: EAL must find our stream in place, and --check's errors
	 * (ExecStartPre=) reach the journal with a priority too. */
	edgelbd_log_open();
	while ((opt = getopt_long(argc, argv, "f:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
		case 'd':
			mode = opt;
			break;
		case 'j':
			json = 1;
			break;
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
	if (mode == 'c' && file == NULL && optind < argc)
		return edgelbd_check(argv + optind, argc - optind, json);
	if (mode == 'd' && file == NULL && argc - optind == 2)
		return edgelbd_diff(argv[optind], argv[optind + 1], json);
	if (mode != 0 || json || file == NULL || optind != argc) {
		usage(stderr);
		return 2;
	}
	return run(file, argv[0]);
}
