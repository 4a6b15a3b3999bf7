/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The health checker at scale (tests/bench/health.sh runs it): N
 * backends, each its own listener at 127.0.x.y:PORT served by a child
 * process, checked every interval by lib/health on a real lb_evloop for S
 * seconds, once by tcp and once by http. For each kind it prints the
 * checker's CPU (getrusage of this process only: user + sys over wall
 * time; the servers are the child's), how late checks started against
 * their schedule (p50, p99, max, from the checker's own figures), checks
 * started and finished against the number the schedule calls for,
 * failures, and how many backends came up.
 *
 * The checker runs pinned to CPU 0, the servers to CPU 1 (when there is
 * one), so the figures are the checker's alone.
 *
 * Usage: bench_health [--backends N] [--seconds S] [--interval-ms I]
 *        [--timeout-ms T] [--port P] [--kinds tcp,http] [--json FILE]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "lb_health.h"

struct opts {
	uint32_t backends, seconds, interval_ms, timeout_ms;
	uint16_t port;
	const char *kinds;
	const char *json;
};

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
die(const char *what)
{
	perror(what);
	exit(1);
}

/* Backend i's address: 127.0.1.1, 127.0.1.2, ... 250 per third byte. */
static uint32_t
backend_addr(uint32_t i)
{
	return htonl(0x7f000000u | (1 + i / 250) << 8 | (1 + i % 250));
}

static void
pin(int cpu)
{
	cpu_set_t set;

	if (cpu >= sysconf(_SC_NPROCESSORS_ONLN))
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static void
raise_nofile(void)
{
	struct rlimit r;

	if (getrlimit(RLIMIT_NOFILE, &r) == 0) {
		r.rlim_cur = r.rlim_max;
		setrlimit(RLIMIT_NOFILE, &r);
	}
}

/* ---- the servers (child process) ---- */

#define LISTENER (UINT64_C(1) << 32)

static int
listen_on(uint32_t addr, uint16_t port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_port = htons(port),
				   .sin_addr.s_addr = addr };
	int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

	if (fd < 0)
		die("socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    listen(fd, 512) < 0)
		die("bind/listen");
	return fd;
}

/* An HTTP request fits one read here (a GET of a few hundred bytes on
 * loopback); answer it and close. */
static void
serve_http(int fd)
{
	static const char resp[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n"
				   "Connection: close\r\n\r\n";
	char buf[4096];
	ssize_t n = recv(fd, buf, sizeof(buf), 0);

	if (n > 0)
		(void)!send(fd, resp, sizeof(resp) - 1, MSG_NOSIGNAL);
	close(fd);
}

static void
accept_all(int ep, int lfd, int http)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int fd;

	while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
		if (!http) {
			close(fd);
			continue;
		}
		ev.data.u64 = (uint64_t)fd;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0)
			close(fd);
	}
}

static void
server_main(const struct opts *o, int http, int ready)
{
	struct epoll_event ev = { .events = EPOLLIN }, evs[256];
	int ep = epoll_create1(0), n, i;
	uint32_t b;

	pin(1);
	for (b = 0; b < o->backends; b++) {
		int fd = listen_on(backend_addr(b), o->port);

		ev.data.u64 = LISTENER | (uint64_t)fd;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0)
			die("epoll_ctl");
	}
	(void)!write(ready, "x", 1);
	close(ready);
	for (;;) {
		n = epoll_wait(ep, evs, 256, -1);
		for (i = 0; i < n; i++) {
			int fd = (int)(evs[i].data.u64 & 0xffffffffu);

			if (evs[i].data.u64 & LISTENER)
				accept_all(ep, fd, http);
			else
				serve_http(fd);
		}
	}
}

static pid_t
servers_start(const struct opts *o, int http)
{
	int p[2];
	char c;
	pid_t pid;

	if (pipe(p) < 0)
		die("pipe");
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		close(p[0]);
		server_main(o, http, p[1]);
		_exit(0);
	}
	close(p[1]);
	if (read(p[0], &c, 1) != 1) {
		fprintf(stderr, "bench_health: the servers did not start\n");
		exit(1);
	}
	close(p[0]);
	return pid;
}

/* ---- the checker ---- */

static struct lb_config *
cfg_make(const struct opts *o, enum lb_health_kind kind)
{
	struct lb_config *cfg = calloc(1, sizeof(*cfg));
	struct lb_health_conf *h;
	uint32_t i;

	if (cfg == NULL)
		die("calloc");
	cfg->n_pools = 1;
	cfg->pools = calloc(1, sizeof(*cfg->pools));
	cfg->n_backends = o->backends;
	cfg->backends = calloc(o->backends, sizeof(*cfg->backends));
	if (cfg->pools == NULL || cfg->backends == NULL)
		die("calloc");
	h = &cfg->pools[0].health;
	h->kind = (uint8_t)kind;
	h->interval_ms = o->interval_ms;
	h->timeout_ms = o->timeout_ms;
	h->rise = 2;
	h->fall = 3;
	h->expect_lo = 200;
	h->expect_hi = 399;
	strcpy(h->path, "/health");
	for (i = 0; i < o->backends; i++) {
		cfg->backends[i].id = (uint16_t)i;
		cfg->backends[i].addr = backend_addr(i);
		cfg->backends[i].check_port = o->port;
	}
	return cfg;
}

static void
count_up(uint16_t id, enum lb_health_state state, const char *reason,
	 void *arg)
{
	int *up = arg;

	(void)id;
	(void)reason;
	*up += state == LB_HEALTH_UP ? 1 : -1;
}

/* Starts the schedule calls for in @p s seconds: backend k of n first at
 * k * interval / n, then every interval. */
static double
expected_starts(const struct opts *o, double s)
{
	double total = 0, off;
	uint32_t k;

	for (k = 0; k < o->backends; k++) {
		off = (double)k * o->interval_ms / o->backends / 1000.0;
		if (off < s)
			total += 1 + (int)((s - off) * 1000 / o->interval_ms -
					   1e-9);
	}
	return total;
}

/* CPU seconds of this process (the checker, not the servers): user and
 * user + sys. */
static void
cpu_s(double *user, double *all)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	*user = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6;
	*all = *user + (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static double
num(json_t *o, const char *key)
{
	return json_number_value(json_object_get(o, key));
}

/* One kind for o->seconds: its figures as a JSON object. */
static json_t *
run_kind(const struct opts *o, const char *name, enum lb_health_kind kind)
{
	struct lb_config *cfg = cfg_make(o, kind);
	pid_t srv = servers_start(o, kind != LB_HEALTH_TCP);
	struct lb_evloop *loop = lb_evloop_create();
	struct lb_health *h;
	double t0, u0, c0, u1, c1, wall;
	json_t *st, *r;
	int up = 0;

	h = lb_health_create(loop, count_up, &up);
	if (loop == NULL || h == NULL)
		die("lb_health_create");
	cpu_s(&u0, &c0);
	t0 = now_s();
	if (lb_health_sync(h, cfg) != 0)
		die("lb_health_sync");
	while (now_s() - t0 < o->seconds)
		lb_evloop_run_once(loop, 100);
	wall = now_s() - t0;
	cpu_s(&u1, &c1);
	st = lb_health_stats_json(h);
	r = json_pack("{s:s, s:i, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, "
		      "s:f, s:f, s:i}",
		"kind", name, "backends", (int)o->backends, "seconds", wall,
		"cpu_pct", 100.0 * (c1 - c0) / wall,
		"cpu_user_pct", 100.0 * (u1 - u0) / wall,
		"late_p50_ms", num(st, "late_p50_ms"),
		"late_p99_ms", num(st, "late_p99_ms"),
		"late_max_ms", num(st, "late_max_ms"),
		"started", num(st, "late_samples"),
		"finished", num(st, "checks"),
		"expected", expected_starts(o, wall),
		"failures", num(st, "failures"), "up", up);
	json_decref(st);
	lb_health_destroy(h);
	lb_evloop_destroy(loop);
	kill(srv, SIGKILL);
	waitpid(srv, NULL, 0);
	free(cfg->pools);
	free(cfg->backends);
	free(cfg);
	return r;
}

/* ---- report ---- */

/* One row of the part's JSON, named @p prefix + @p what; met < 0: no
 * target. */
static void
row(json_t *rows, const char *prefix, const char *what, double value,
    const char *unit, const char *target, int met)
{
	char name[160];
	json_t *r;

	snprintf(name, sizeof(name), "%s%s", prefix, what);
	r = json_pack("{s:s, s:f, s:s}", "name", name, "value", value,
		      "unit", unit);
	if (target != NULL)
		json_object_set_new(r, "target", json_string(target));
	if (met >= 0)
		json_object_set_new(r, "met", json_boolean(met));
	json_array_append_new(rows, r);
	printf("  %-58s %10.3f %-14s %s%s\n", name, value, unit,
	       target != NULL ? target : "",
	       met < 0 ? "" : met ? "  met" : "  MISSED");
}

static void
rows_of(json_t *rows, const struct opts *o, json_t *r)
{
	double cpu = num(r, "cpu_pct"), p99 = num(r, "late_p99_ms");
	char p[96];

	snprintf(p, sizeof(p), "%s, %u backends every %u ms: ",
		 json_string_value(json_object_get(r, "kind")), o->backends,
		 o->interval_ms);
	row(rows, p, "checker CPU", cpu, "% of one core", "<= 10",
	    cpu <= 10.0);
	row(rows, p, "checker CPU, user space", num(r, "cpu_user_pct"),
	    "% of one core", NULL, -1);
	row(rows, p, "start lateness p50", num(r, "late_p50_ms"), "ms", NULL,
	    -1);
	row(rows, p, "start lateness p99", p99, "ms", "<= 50", p99 <= 50.0);
	row(rows, p, "start lateness max", num(r, "late_max_ms"), "ms", NULL,
	    -1);
	row(rows, p, "checks started / expected",
	    num(r, "started") / num(r, "expected"), "ratio", NULL, -1);
	row(rows, p, "checks finished", num(r, "finished"), "checks", NULL,
	    -1);
	row(rows, p, "failures", num(r, "failures"), "checks", NULL, -1);
	row(rows, p, "backends up at the end", num(r, "up"), "backends", NULL,
	    -1);
}

static void
parse_opts(struct opts *o, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "backends", required_argument, NULL, 'n' },
		{ "seconds", required_argument, NULL, 's' },
		{ "interval-ms", required_argument, NULL, 'i' },
		{ "timeout-ms", required_argument, NULL, 't' },
		{ "port", required_argument, NULL, 'p' },
		{ "kinds", required_argument, NULL, 'k' },
		{ "json", required_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	*o = (struct opts){ .backends = 1000, .seconds = 20,
			    .interval_ms = 1000, .timeout_ms = 500,
			    .port = 18080, .kinds = "tcp,http" };
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'n': o->backends = (uint32_t)atoi(optarg); break;
		case 's': o->seconds = (uint32_t)atoi(optarg); break;
		case 'i': o->interval_ms = (uint32_t)atoi(optarg); break;
		case 't': o->timeout_ms = (uint32_t)atoi(optarg); break;
		case 'p': o->port = (uint16_t)atoi(optarg); break;
		case 'k': o->kinds = optarg; break;
		case 'j': o->json = optarg; break;
		default: exit(2);
		}
	}
	if (o->backends == 0 || o->backends > LB_MAX_BACKENDS ||
	    o->backends > 250 * 250 || o->interval_ms == 0 ||
	    o->timeout_ms == 0 || o->timeout_ms > o->interval_ms) {
		fprintf(stderr, "bench_health: bad options\n");
		exit(2);
	}
}

int
main(int argc, char **argv)
{
	json_t *rows = json_array(), *runs = json_array(), *root, *r;
	struct opts o;

	parse_opts(&o, argc, argv);
	raise_nofile();
	signal(SIGPIPE, SIG_IGN);
	pin(0);
	if (strstr(o.kinds, "tcp") != NULL) {
		r = run_kind(&o, "tcp", LB_HEALTH_TCP);
		rows_of(rows, &o, r);
		json_array_append_new(runs, r);
	}
	if (strstr(o.kinds, "http") != NULL) {
		r = run_kind(&o, "http", LB_HEALTH_HTTP);
		rows_of(rows, &o, r);
		json_array_append_new(runs, r);
	}
	root = json_pack("{s:s, s:o, s:o}", "part", "health", "rows", rows,
			 "runs", runs);
	if (o.json != NULL && json_dump_file(root, o.json, JSON_INDENT(1))) {
		fprintf(stderr, "bench_health: cannot write %s\n", o.json);
		return 1;
	}
	json_decref(root);
	return 0;
}
