/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * BIRD 2 as edgelbd's child: started, watched through a pidfd on the
 * management loop, restarted with a backoff, stopped on exit; and the
 * announcements handed to it (see lb_bgp.h for why through its file).
 */

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_log.h>

#include "lb_bgp.h"

RTE_LOG_REGISTER(lb_bgp_logtype, edgelb.bgp, INFO);

#define BGP_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_##level, lb_bgp_logtype, "bgp: " fmt "\n", \
		##__VA_ARGS__)

#define BACKOFF_MIN_MS 1000u
#define BACKOFF_MAX_MS 30000u
/* A BIRD that ran this long before it exited restarts at the minimum. */
#define RAN_WELL_MS 30000
#define STOP_WAIT_MS 2000
/* A configure BIRD could not take (it is starting) is tried again after. */
#define RETRY_MS 200
/* A configure BIRD refused (a bad bird_include) is asked again after. */
#define REFUSED_RETRY_MS 5000

struct lb_bgp {
	struct lb_evloop *loop;
	struct lb_bgp_conf conf;         /* [bgp] as BIRD was started with */
	char origin[PATH_MAX];           /* the INI file, for the header */
	char path[LB_PATH_MAX + 16];     /* SOCKET.bird.conf */
	char ctl[LB_SOCKET_PATH_MAX + 16];
	enum lb_bgp_hold hold;
	struct lb_bgp_addr addrs[LB_BGP_MAX_ADDRS];
	unsigned int n;
	uint64_t file_seq;               /* files written */
	uint64_t bird_seq;               /* the file BIRD has taken */
	uint64_t last_try_ms;
	/* A withdrawal BIRD has not taken yet (the file could not be
	 * written, or BIRD refused it: the operator's bird_include, say). */
	uint8_t withdraw_owed;
	/* edgelb_vips disabled as the fail-safe for that: nothing announced
	 * until a configure goes through. */
	uint8_t vips_disabled;
	uint8_t file_stale;              /* the last write failed: again */
	uint64_t retry_ms;               /* RETRY_MS; longer after a refusal */
	pid_t pid;                       /* 0: not running */
	int pidfd;
	struct lb_evloop_handle *h;
	struct lb_evloop_timer *restart;
	uint64_t started_ms;
	uint64_t backoff_ms;
	unsigned int starts;
};

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The file, replaced whole (rename): BIRD never reads half of one. */
static int
write_file(struct lb_bgp *b)
{
	char tmp[sizeof(b->path) + 8];
	FILE *f;
	int rc;

	snprintf(tmp, sizeof(tmp), "%s.tmp", b->path);
	f = fopen(tmp, "we");
	if (f == NULL)
		return -errno;
	rc = lb_bgp_conf_write(f, &b->conf, b->origin, b->addrs, b->n);
	if (fclose(f) != 0 || rc != 0 || rename(tmp, b->path) != 0) {
		rc = -errno;
		unlink(tmp);
		return rc != 0 ? rc : -EIO;
	}
	b->file_seq++;
	return 0;
}

/*
 * In the child, between fork and exec: only async-signal-safe calls. The
 * signal mask and ignored signals are inherited through exec: BIRD must
 * get SIGTERM and SIGPIPE as a process of its own would. PDEATHSIG fires
 * when the forking thread ends: the management lcore is the main thread,
 * which lives as long as edgelbd.
 */
static void
child(const char *bird, char *const argv[], pid_t parent)
{
	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
		_exit(127);
	/* DPDK's and the management socket's descriptors stay ours. */
	syscall(SYS_close_range, 3U, ~0U, 0U);
	execv(bird, argv);
	_exit(127);
}

static void on_exit_fd(struct lb_evloop_handle *h, uint32_t ev, void *arg);

static int
spawn(struct lb_bgp *b)
{
	char *argv[] = { b->conf.bird, (char *)"-f", (char *)"-c", b->path,
			 (char *)"-s", b->ctl, NULL };
	pid_t parent = getpid(), pid;
	int fd;

	/* What BIRD reads at start is what edgelbd decides now. */
	if (write_file(b) != 0)
		return -1;
	unlink(b->ctl);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0)
		child(b->conf.bird, argv, parent);
	fd = (int)syscall(SYS_pidfd_open, pid, 0);
	b->h = fd >= 0 ? lb_evloop_add_fd(b->loop, fd, EPOLLIN, on_exit_fd,
					  b) : NULL;
	if (b->h == NULL) {
		/* Unwatched, it could not be restarted: none at all. */
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	b->pid = pid;
	b->pidfd = fd;
	b->bird_seq = b->file_seq;
	/* A new BIRD starts from the file: nothing owed, nothing disabled. */
	b->withdraw_owed = 0;
	b->vips_disabled = 0;
	b->started_ms = now_ms();
	b->starts++;
	BGP_LOG(NOTICE, "BIRD started, pid %d: %s -f -c %s -s %s", (int)pid,
		b->conf.bird, b->path, b->ctl);
	return 0;
}

static void
unwatch(struct lb_bgp *b)
{
	lb_evloop_del_fd(b->h);
	b->h = NULL;
	if (b->pidfd >= 0)
		close(b->pidfd);
	b->pidfd = -1;
	b->pid = 0;
}

static void
on_restart(struct lb_evloop_timer *t, void *arg)
{
	struct lb_bgp *b = arg;

	(void)t;
	if (b->pid == 0 && spawn(b) != 0) {
		BGP_LOG(ERR, "cannot start BIRD (%s): %s; again in %" PRIu64
			" ms", b->conf.bird, strerror(errno), b->backoff_ms);
		lb_evloop_timer_set(b->restart, b->backoff_ms, 0);
		b->backoff_ms = RTE_MIN(b->backoff_ms * 2, BACKOFF_MAX_MS);
	}
}

static void
on_exit_fd(struct lb_evloop_handle *h, uint32_t ev, void *arg)
{
	struct lb_bgp *b = arg;
	int st = 0;

	(void)h;
	(void)ev;
	if (waitpid(b->pid, &st, WNOHANG) != b->pid)
		return;
	if (now_ms() - b->started_ms >= RAN_WELL_MS)
		b->backoff_ms = BACKOFF_MIN_MS;
	BGP_LOG(ERR, "BIRD (pid %d) %s %d; restarting in %" PRIu64 " ms",
		(int)b->pid, WIFSIGNALED(st) ? "killed by signal" :
		"exited with status", WIFSIGNALED(st) ? WTERMSIG(st) :
		WEXITSTATUS(st), b->backoff_ms);
	unwatch(b);
	lb_evloop_timer_set(b->restart, b->backoff_ms, 0);
	b->backoff_ms = RTE_MIN(b->backoff_ms * 2, BACKOFF_MAX_MS);
}

struct lb_bgp *
lb_bgp_create(const struct lb_config *cfg, struct lb_evloop *loop, char *err,
	      size_t errlen)
{
	struct lb_bgp *b = calloc(1, sizeof(*b));

	if (b == NULL) {
		snprintf(err, errlen, "bgp: out of memory");
		return NULL;
	}
	b->loop = loop;
	b->conf = cfg->bgp;
	b->pidfd = -1;
	b->backoff_ms = BACKOFF_MIN_MS;
	b->retry_ms = RETRY_MS;
	b->hold = LB_BGP_STARTING;
	snprintf(b->origin, sizeof(b->origin), "%s", cfg->path);
	lb_bgp_paths(cfg, b->path, sizeof(b->path), b->ctl, sizeof(b->ctl));
	/* Nothing is announced before the first lb_bgp_update. */
	b->n = lb_bgp_wanted(cfg, LB_BGP_STOPPING, b->addrs,
			     LB_BGP_MAX_ADDRS);
	b->restart = lb_evloop_timer_add(loop, 0, 0, on_restart, b);
	if (b->restart == NULL || spawn(b) != 0) {
		snprintf(err, errlen, "bgp: cannot start BIRD (%s -c %s): %s",
			 b->conf.bird, b->path, strerror(errno));
		lb_evloop_timer_cancel(b->restart);
		free(b);
		return NULL;
	}
	return b;
}

void
lb_bgp_destroy(struct lb_bgp *b)
{
	uint64_t deadline;
	pid_t pid;

	if (b == NULL)
		return;
	pid = b->pid;
	if (pid > 0) {
		/* SIGTERM: BIRD closes each session with a Cease, so the
		 * neighbours drop the routes now, not a hold time later. */
		kill(pid, SIGTERM);
		deadline = now_ms() + STOP_WAIT_MS;
		while (waitpid(pid, NULL, WNOHANG) == 0) {
			if (now_ms() >= deadline) {
				BGP_LOG(WARNING, "BIRD (pid %d) did not stop "
					"in %d ms: killed", (int)pid,
					STOP_WAIT_MS);
				kill(pid, SIGKILL);
				waitpid(pid, NULL, 0);
				break;
			}
			usleep(10000);
		}
		unwatch(b);
	}
	lb_evloop_timer_cancel(b->restart);
	unlink(b->ctl);
	free(b);
}

static int
same_entry(const struct lb_bgp_addr *a, const struct lb_bgp_addr *x)
{
	return a->addr == x->addr && a->wanted == x->wanted;
}

static const struct lb_bgp_addr *
find(const struct lb_bgp_addr *a, unsigned int n, uint32_t addr)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (a[i].addr == addr)
			return &a[i];
	return NULL;
}

/* What moved from b->addrs to @p now: NULL if nothing did. */
static json_t *
changes(const struct lb_bgp *b, const struct lb_bgp_addr *now, unsigned int n)
{
	json_t *ann = json_array(), *wd = json_array();
	const struct lb_bgp_addr *old;
	char ip[INET_ADDRSTRLEN + 3];
	unsigned int i;

	for (i = 0; i < n; i++) {
		old = find(b->addrs, b->n, now[i].addr);
		inet_ntop(AF_INET, &now[i].addr, ip, INET_ADDRSTRLEN);
		strcat(ip, "/32");
		if (now[i].wanted && (old == NULL || !old->wanted))
			json_array_append_new(ann, json_string(ip));
		else if (!now[i].wanted && old != NULL && old->wanted)
			json_array_append_new(wd, json_pack("{s:s, s:s}",
				"address", ip, "reason", now[i].reason));
	}
	for (i = 0; i < b->n; i++) {
		if (!b->addrs[i].wanted || find(now, n, b->addrs[i].addr))
			continue;
		inet_ntop(AF_INET, &b->addrs[i].addr, ip, INET_ADDRSTRLEN);
		strcat(ip, "/32");
		json_array_append_new(wd, json_pack("{s:s, s:s}", "address",
			ip, "reason", "no VIP announces it any more"));
	}
	if (json_array_size(ann) == 0 && json_array_size(wd) == 0) {
		json_decref(ann);
		json_decref(wd);
		return NULL;
	}
	return json_pack("{s:o, s:o}", "announced", ann, "withdrawn", wd);
}

/* One command whose answer is only logged when it fails. */
static int
birdc_code(struct lb_bgp *b, const char *cmd)
{
	json_t *lines;
	int code;

	lines = lb_bgp_birdc(b->ctl, cmd, &code);
	if (code >= 8000)
		BGP_LOG(ERR, "BIRD refused '%s' (%s): reply %d: %s", cmd,
			b->path, code, json_string_value(json_object_get(
				json_array_get(lines, json_array_size(lines) - 1),
				"text")));
	json_decref(lines);
	return code;
}

/*
 * Never a stale announcement: when a withdrawal cannot reach BIRD through
 * its file, disable the static protocol (every VIP withdrawn) until a
 * configure goes through again.
 */
static void
fail_safe(struct lb_bgp *b)
{
	int code;

	if (!b->withdraw_owed || b->vips_disabled || b->pid == 0)
		return;
	code = birdc_code(b, "disable edgelb_vips");
	if (code == 8 || code == 9) {
		b->vips_disabled = 1;
		BGP_LOG(ERR, "withdrawal not taken by BIRD: every VIP withdrawn "
			"(edgelb_vips disabled) until it takes %s", b->path);
	}
}

/* Have BIRD take the file: `configure` (a soft reconfiguration of the
 * static protocol: sessions stay up). */
static void
hand_over(struct lb_bgp *b)
{
	uint64_t seq = b->file_seq, t = now_ms();
	int code;

	if (b->pid == 0 || b->bird_seq == seq ||
	    t - b->last_try_ms < b->retry_ms)
		return;
	b->last_try_ms = t;
	code = birdc_code(b, "configure");
	if (code != 3 && code != 4 && code != 5) {
		/* Refused: the same file is refused again; ask seldom. A
		 * change (a new file) is tried at once. */
		if (code >= 8000) {
			b->retry_ms = REFUSED_RETRY_MS;
			fail_safe(b);
		}
		return;
	}
	b->retry_ms = RETRY_MS;
	b->bird_seq = seq;
	b->withdraw_owed = 0;
	if (b->vips_disabled && birdc_code(b, "enable edgelb_vips") < 8000)
		b->vips_disabled = 0;
}

json_t *
lb_bgp_update(struct lb_bgp *b, const struct lb_config *cfg)
{
	struct lb_bgp_addr now[LB_BGP_MAX_ADDRS];
	unsigned int n, i;
	json_t *diff;
	int same, rc;

	n = lb_bgp_wanted(cfg, b->hold, now, RTE_DIM(now));
	same = n == b->n;
	for (i = 0; same && i < n; i++)
		same = same_entry(&now[i], &b->addrs[i]);
	diff = same ? NULL : changes(b, now, n);
	if (json_array_size(json_object_get(diff, "withdrawn")) > 0)
		b->withdraw_owed = 1;
	memcpy(b->addrs, now, n * sizeof(now[0]));
	b->n = n;
	if (!same || b->file_stale) {
		rc = write_file(b);
		b->file_stale = rc != 0;
		if (b->file_stale) {
			BGP_LOG(ERR, "cannot write %s: %s", b->path,
				strerror(-rc));
			fail_safe(b);
		} else {
			b->retry_ms = RETRY_MS;   /* a new file: try it now */
			b->last_try_ms = 0;
		}
	}
	hand_over(b);
	return diff;
}

void
lb_bgp_set_hold(struct lb_bgp *b, enum lb_bgp_hold hold)
{
	b->hold = hold;
}

enum lb_bgp_hold
lb_bgp_hold_of(const struct lb_bgp *b)
{
	return b->hold;
}

const char *
lb_bgp_hold_name(enum lb_bgp_hold hold)
{
	static const char *const names[] = {
		[LB_BGP_FORWARDING] = "forwarding",
		[LB_BGP_STARTING] = "starting",
		[LB_BGP_WITHDRAWN] = "withdrawn",
		[LB_BGP_STOPPING] = "stopping",
	};

	return hold < RTE_DIM(names) ? names[hold] : "?";
}

/* "edgelb_n1 BGP --- up 2026-11-30T02:13:14 Established": BGP rows. */
static json_t *
sessions(const struct lb_bgp *b)
{
	json_t *lines, *list = json_array(), *l;
	char name[64], proto[16], table[32], state[16], since[32];
	int code, off;
	size_t i;

	lines = lb_bgp_birdc(b->ctl, "show protocols", &code);
	json_array_foreach(lines, i, l) {
		const char *t = json_string_value(json_object_get(l, "text"));

		off = 0;
		if (json_integer_value(json_object_get(l, "code")) != 1002 ||
		    sscanf(t, "%63s %15s %31s %15s %31s %n", name, proto,
			   table, state, since, &off) < 5 ||
		    strcmp(proto, "BGP") != 0)
			continue;
		json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:s}",
			"name", name, "state", state, "since", since,
			"info", off > 0 ? t + off : ""));
	}
	json_decref(lines);
	if (code < 0) {
		/* BIRD is not there (restarting): say so, not "no session". */
		json_decref(list);
		return json_null();
	}
	return list;
}

json_t *
lb_bgp_status(struct lb_bgp *b)
{
	json_t *addrs = json_array(), *nbrs = json_array(), *s, *o;
	char ip[INET_ADDRSTRLEN];
	unsigned int i;

	for (i = 0; i < b->n; i++) {
		inet_ntop(AF_INET, &b->addrs[i].addr, ip, sizeof(ip));
		json_array_append_new(addrs, json_pack("{s:s, s:b, s:s}",
			"prefix", ip, "announced", b->addrs[i].wanted,
			"reason", b->addrs[i].reason));
	}
	for (i = 0; i < b->conf.n_neighbors; i++) {
		char name[24];

		snprintf(name, sizeof(name), "edgelb_n%u", i + 1);
		inet_ntop(AF_INET, &b->conf.neighbors[i].addr, ip, sizeof(ip));
		json_array_append_new(nbrs, json_pack("{s:s, s:s, s:I}",
			"session", name, "address", ip, "as",
			(json_int_t)b->conf.neighbors[i].as));
	}
	s = sessions(b);
	inet_ntop(AF_INET, &b->conf.router_id, ip, sizeof(ip));
	o = json_pack("{s:s, s:I, s:s, s:I, s:I, s:b, s:s, s:s, s:o, s:o, "
		      "s:o}",
		"hold", lb_bgp_hold_name(b->hold),
		"local_as", (json_int_t)b->conf.local_as,
		"router_id", ip,
		"bird_pid", (json_int_t)b->pid,
		"bird_starts", (json_int_t)b->starts,
		"bird_current", b->pid > 0 && b->bird_seq == b->file_seq,
		"bird_conf", b->path, "bird_ctl", b->ctl,
		"neighbors", nbrs, "prefixes", addrs,
		"sessions", s);
	return o;
}
