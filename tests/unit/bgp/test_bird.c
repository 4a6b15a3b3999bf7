/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/bgp/bird.c and birdc.c against the real BIRD 2: the control socket
 * client (greeting, replies, codes), the supervisor (started, restarted
 * after a kill, stopped by destroy) and announcements reaching BIRD's
 * routing table. Runs in a network namespace of its own (BIRD listens on
 * port 179); skipped without BIRD or without the right to make one.
 */
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "lb_bgp.h"

#define BIRD "/usr/sbin/bird"

static const char ini[] =
	"[global]\nworkers = 1\nsocket = %s/edgelb.sock\n"
	"hash_key = 3f1c9a7be2d04586a1b2c3d4e5f60718\n"
	"[port.lan]\ndevice = net_null0\naddress = 10.10.0.2/24\n"
	"kernel_interface = elb-t0\n"
	"[vip.web]\naddress = 10.10.0.100\nport = 80\npool = web\n"
	"[pool.web]\ntable_size = 251\n"
	"[backend.w1]\npool = web\naddress = 10.10.0.11\n"
	"[bgp]\nlocal_as = 65001\nneighbor = 10.10.0.1 65000\n"
	"hold_time_s = 3\nbird_include = %s/local.conf\n";

struct fixture {
	char dir[64];
	struct lb_config *cfg;
	struct lb_evloop *loop;
	struct lb_bgp *bgp;
};

static void
write_include(struct fixture *f, const char *text)
{
	char path[128];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/local.conf", f->dir);
	fp = fopen(path, "w");
	fputs(text, fp);
	fclose(fp);
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct lb_config_error err = { { 0 } };
	char path[128];
	char err2[256];
	FILE *fp;

	strcpy(f->dir, "/tmp/elb-test-bird-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/edgelb.ini", f->dir);
	fp = fopen(path, "w");
	fprintf(fp, ini, f->dir, f->dir);
	fclose(fp);
	write_include(f, "# the operator's own\n");
	f->cfg = lb_config_parse(path, &err);
	if (f->cfg == NULL) {
		fprintf(stderr, "%s\n", err.msg);
		return -1;
	}
	f->loop = lb_evloop_create();
	f->bgp = lb_bgp_create(f->cfg, f->loop, err2, sizeof(err2));
	if (f->bgp == NULL) {
		fprintf(stderr, "%s\n", err2);
		return -1;
	}
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	lb_bgp_destroy(f->bgp);
	lb_evloop_destroy(f->loop);
	lb_config_free(f->cfg);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

/* Run the loop (BIRD's exit, the restart timer) and the updates until
 * @p done says so or @p ms passed. */
static int
run_until(struct fixture *f, int (*done)(struct fixture *), int ms)
{
	json_t *d;

	for (; ms > 0; ms -= 20) {
		lb_evloop_run_once(f->loop, 20);
		d = lb_bgp_update(f->bgp, f->cfg);
		json_decref(d);
		if (done(f))
			return 1;
	}
	return 0;
}

static json_t *
ask(struct fixture *f, const char *cmd, int *code)
{
	char ctl[160], conf[160];

	lb_bgp_paths(f->cfg, conf, sizeof(conf), ctl, sizeof(ctl));
	return lb_bgp_birdc(ctl, cmd, code);
}

/* BIRD has the VIP's /32 in its table (the static protocol). */
static int
has_route(struct fixture *f)
{
	int code;
	json_t *l = ask(f, "show route protocol edgelb_vips", &code);
	char *s = l != NULL ? json_dumps(l, 0) : NULL;
	int yes = s != NULL && strstr(s, "10.10.0.100/32") != NULL;

	free(s);
	json_decref(l);
	return yes;
}

static int
no_route(struct fixture *f)
{
	int code;
	json_t *l = ask(f, "show route protocol edgelb_vips", &code);

	json_decref(l);
	return code >= 0 && !has_route(f);
}

static int
restarted(struct fixture *f)
{
	json_t *s = lb_bgp_status(f->bgp);
	int yes = json_integer_value(json_object_get(s, "bird_starts")) == 2 &&
		  json_is_true(json_object_get(s, "bird_current"));

	json_decref(s);
	return yes && has_route(f);
}

static void
test_birdc_speaks_to_bird(void **state)
{
	struct fixture *f = *state;
	json_t *l = NULL;
	int code = -1, i;

	for (i = 0; i < 100 && l == NULL; i++) {
		l = ask(f, "show status", &code);
		if (l == NULL)
			usleep(20000);
	}
	assert_non_null(l);
	/* "0013 Daemon is up and running" ends it */
	assert_int_equal(code, 13);
	json_decref(l);
	l = ask(f, "no such command", &code);
	assert_true(code >= 9000);
	json_decref(l);
}

static void
test_announce_follows_hold_and_survives_restart(void **state)
{
	struct fixture *f = *state;
	json_t *s;
	pid_t pid;

	/* starting: nothing announced */
	assert_true(run_until(f, no_route, 3000));
	lb_bgp_set_hold(f->bgp, LB_BGP_FORWARDING);
	assert_true(run_until(f, has_route, 3000));
	lb_bgp_set_hold(f->bgp, LB_BGP_WITHDRAWN);
	assert_true(run_until(f, no_route, 3000));
	lb_bgp_set_hold(f->bgp, LB_BGP_FORWARDING);
	assert_true(run_until(f, has_route, 3000));
	/* BIRD killed: a new one, from the file, announcing the same */
	s = lb_bgp_status(f->bgp);
	pid = (pid_t)json_integer_value(json_object_get(s, "bird_pid"));
	json_decref(s);
	assert_true(pid > 0);
	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_true(run_until(f, restarted, 5000));
}

/* The operator's include broken: BIRD refuses every configure, so a
 * withdrawal cannot go through the file; edgelb_vips is disabled instead,
 * and enabled again once BIRD takes a file. */
static void
test_refused_withdrawal_withdraws_everything(void **state)
{
	struct fixture *f = *state;

	lb_bgp_set_hold(f->bgp, LB_BGP_FORWARDING);
	assert_true(run_until(f, has_route, 6000));
	write_include(f, "this is not BIRD syntax\n");
	lb_bgp_set_hold(f->bgp, LB_BGP_WITHDRAWN);
	assert_true(run_until(f, no_route, 3000));
	write_include(f, "# fixed\n");
	lb_bgp_set_hold(f->bgp, LB_BGP_FORWARDING);
	/* the next change writes a new file, tried at once */
	assert_true(run_until(f, has_route, 3000));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_birdc_speaks_to_bird),
		cmocka_unit_test(test_announce_follows_hold_and_survives_restart),
		cmocka_unit_test(test_refused_withdrawal_withdraws_everything),
	};

	if (access(BIRD, X_OK) != 0 || unshare(CLONE_NEWNET) != 0) {
		printf("SKIP: no %s, or no network namespace of our own\n",
		       BIRD);
		return 77;
	}
	return cmocka_run_group_tests(tests, setup, teardown);
}
