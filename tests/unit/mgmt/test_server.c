/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The management socket server, driven through a real event loop and
 * real Unix socket clients in one thread: the test plays the daemon's
 * loop, the clients and (for flows) the one worker.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <grp.h>
#include <unistd.h>
#include <cmocka.h>

#include <rte_ring.h>

#include "lb_mgmt.h"
#include "mgmt_priv.h"

#define N_BIG 4000

struct fixture {
	char dir[64];
	char path[100];
	struct lb_evloop *loop;
	struct lb_mgmt_server *srv;
};

static struct lb_config cfg;
static struct lb_port_conf port;
static struct lb_pool_conf pool;
static struct lb_backend_conf *backends;
static uint32_t *members;
static struct lb_dp dp;
static struct lb_snapshot snap;
static struct lb_mgmt_ctx ctx;
static struct lb_worker *worker;

/*
 * One worker whose request ring the test empties itself. The ring lives in
 * ordinary memory: no EAL needed.
 */
static int
worker_setup(void)
{
	ssize_t sz = rte_ring_get_memsize(16);

	worker = aligned_alloc(RTE_CACHE_LINE_SIZE, sizeof(*worker));
	if (worker == NULL || sz < 0)
		return -1;
	memset(worker, 0, sizeof(*worker));
	worker->requests = aligned_alloc(RTE_CACHE_LINE_SIZE,
					 RTE_ALIGN_CEIL((size_t)sz,
							RTE_CACHE_LINE_SIZE));
	if (worker->requests == NULL ||
	    rte_ring_init(worker->requests, "ut_srv_req", 16,
			  RING_F_SP_ENQ | RING_F_SC_DEQ) != 0)
		return -1;
	worker->dp = &dp;
	dp.workers[0] = worker;
	dp.n_workers = 1;
	return 0;
}

/* Play the worker: answer the request in the ring with no flows. */
static struct lb_dp_request *
worker_take(void)
{
	struct lb_dp_request *r = NULL;

	assert_int_equal(rte_ring_dequeue(worker->requests, (void **)&r), 0);
	return r;
}

static void
worker_answer(struct lb_dp_request *r)
{
	r->n_out = 0;
	__atomic_store_n(&r->done, 1, __ATOMIC_RELEASE);
}

/* One pool of N_BIG backends: its "backends" answer is megabytes long. */
static int
group_setup(void **state)
{
	uint32_t i;

	(void)state;
	backends = calloc(N_BIG, sizeof(*backends));
	members = calloc(N_BIG, sizeof(*members));
	if (backends == NULL || members == NULL)
		return -1;
	for (i = 0; i < N_BIG; i++) {
		snprintf(backends[i].name, LB_NAME_MAX, "backend-%04u", i);
		backends[i].addr = htonl(0x0a000000 + i);
		backends[i].weight = 1;
		members[i] = i;
	}
	snprintf(cfg.path, sizeof(cfg.path), "/tmp/test.ini");
	snprintf(port.name, LB_NAME_MAX, "lan");
	snprintf(pool.name, LB_NAME_MAX, "big");
	pool.n_members = N_BIG;
	pool.members = members;
	cfg.n_ports = 1;
	cfg.ports = &port;
	cfg.n_pools = 1;
	cfg.pools = &pool;
	cfg.n_backends = N_BIG;
	cfg.backends = backends;
	snap.cfg = &cfg;
	dp.snap = &snap;
	if (worker_setup() < 0)
		return -1;
	ctx.dp = &dp;
	ctx.start_time = time(NULL);
	ctx.version = "test";
	/* Keep the per-command log lines out of the test output. */
	rte_log_set_level(lb_mgmt_logtype, RTE_LOG_ERR);
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	free(backends);
	free(members);
	free(worker->requests);
	free(worker);
	return 0;
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char err[256];

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/ut-mgmt-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	/* A directory that does not exist yet: the server creates it. */
	snprintf(f->path, sizeof(f->path), "%s/run/edgelb.sock", f->dir);
	f->loop = lb_evloop_create();
	if (f->loop == NULL)
		return -1;
	f->srv = lb_mgmt_server_create(f->path, &ctx, f->loop, err,
				       sizeof(err));
	if (f->srv == NULL) {
		fprintf(stderr, "server: %s\n", err);
		return -1;
	}
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char sub[160];

	lb_mgmt_server_destroy(f->srv);
	lb_evloop_destroy(f->loop);
	snprintf(sub, sizeof(sub), "%s/run", f->dir);
	unlink(f->path);
	rmdir(sub);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* One pass of the daemon's loop. */
static void
pump(struct fixture *f, int timeout_ms)
{
	assert_true(lb_evloop_run_once(f->loop, timeout_ms) >= 0);
}

static int
client(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);

	assert_true(fd >= 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

/*
 * Send @p len bytes (shutting down the write side after) and read the
 * answer until EOF, pumping the server in between.
 * @return the answer (malloc, NUL-ended) or NULL if none came.
 */
static char *
exchange(struct fixture *f, int fd, const char *req, size_t len,
	 size_t *out_len)
{
	size_t sent = 0, got = 0, cap = 4096;
	char *ans = malloc(cap);
	int eof = 0, rounds;
	ssize_t n;

	assert_non_null(ans);
	if (len == 0)
		shutdown(fd, SHUT_WR);
	for (rounds = 0; rounds < 20000 && !eof; rounds++) {
		if (sent < len) {
			n = send(fd, req + sent, len - sent, MSG_NOSIGNAL);
			if (n > 0)
				sent += (size_t)n;
			else if (errno != EAGAIN)
				sent = len;     /* the server closed early */
			if (sent == len)
				shutdown(fd, SHUT_WR);
		}
		pump(f, 1);
		for (;;) {
			if (got + 65536 > cap) {
				cap *= 2;
				ans = realloc(ans, cap);
				assert_non_null(ans);
			}
			n = recv(fd, ans + got, cap - got - 1, 0);
			if (n > 0) {
				got += (size_t)n;
				continue;
			}
			if (n == 0 || errno != EAGAIN)
				eof = 1;
			break;
		}
	}
	assert_true(eof);
	ans[got] = '\0';
	if (out_len != NULL)
		*out_len = got;
	return ans;
}

static json_t *
parse_answer(const char *text)
{
	size_t len = strlen(text);
	json_error_t jerr;
	json_t *a;

	assert_true(len > 0);
	assert_int_equal(text[len - 1], '\n');
	/* One document on one line. */
	assert_ptr_equal(strchr(text, '\n'), text + len - 1);
	a = json_loads(text, 0, &jerr);
	assert_non_null(a);
	return a;
}

static json_t *
roundtrip(struct fixture *f, const char *req, size_t len)
{
	int fd = client(f->path);
	char *text = exchange(f, fd, req, len, NULL);
	json_t *a = parse_answer(text);

	free(text);
	close(fd);
	return a;
}

static void
test_server_round_trip(void **state)
{
	struct fixture *f = *state;
	json_t *a = roundtrip(f, "help\n", 5);

	assert_true(json_is_array(json_object_get(a, "commands")));
	json_decref(a);
	a = roundtrip(f, "status", 6);
	assert_string_equal(json_string_value(json_object_get(a, "config")),
			    "/tmp/test.ini");
	json_decref(a);
}

static void
test_server_socket_and_directory_modes(void **state)
{
	struct fixture *f = *state;
	char sub[160];
	struct stat st;

	assert_int_equal(stat(f->path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0660);
	snprintf(sub, sizeof(sub), "%s/run", f->dir);
	assert_int_equal(stat(sub, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0755);
}

static void
test_server_large_answer_written_in_parts(void **state)
{
	struct fixture *f = *state;
	int fd = client(f->path);
	size_t len;
	char *text;
	json_t *a;

	/* Let the answer fill the socket before the client reads at all. */
	assert_int_equal(send(fd, "backends\n", 9, 0), 9);
	shutdown(fd, SHUT_WR);
	pump(f, 10);
	pump(f, 10);
	text = exchange(f, fd, "", 0, &len);
	assert_true(len > 500000);
	a = parse_answer(text);
	assert_int_equal(json_array_size(a), N_BIG);
	assert_string_equal(json_string_value(json_object_get(
		json_array_get(a, N_BIG - 1), "name")), "backend-3999");
	json_decref(a);
	free(text);
	close(fd);
}

static void
test_server_oversize_request_refused(void **state)
{
	struct fixture *f = *state;
	size_t len = LB_MGMT_REQ_MAX + 4096;
	char *req = malloc(len);
	int fd = client(f->path);
	char *text;
	json_t *a;

	assert_non_null(req);
	memset(req, 'x', len);
	text = exchange(f, fd, req, len, NULL);
	a = parse_answer(text);
	assert_non_null(strstr(json_string_value(json_object_get(a, "error")),
			       "request too large"));
	json_decref(a);
	free(text);
	free(req);
	close(fd);
	/* The server still serves. */
	a = roundtrip(f, "help\n", 5);
	assert_non_null(json_object_get(a, "commands"));
	json_decref(a);
}

static void
test_server_binary_input_answered_with_error(void **state)
{
	static const char junk[] = "\0\xff\xfe\x01\n\x80garbage\0\0";
	struct fixture *f = *state;
	json_t *a;

	a = roundtrip(f, junk, sizeof(junk));
	assert_non_null(json_string_value(json_object_get(a, "error")));
	json_decref(a);
	a = roundtrip(f, "", 0);
	assert_non_null(strstr(json_string_value(json_object_get(a, "error")),
			       "empty request"));
	json_decref(a);
}

static void
test_server_silent_client_dropped_at_deadline(void **state)
{
	struct fixture *f = *state;
	int fd = client(f->path);
	char c;

	lb_mgmt_server_set_timeout_ms(f->srv, 50);
	pump(f, 10);                    /* accepted, waiting for a request */
	pump(f, 10);
	errno = 0;
	assert_int_equal(recv(fd, &c, 1, 0), -1);
	assert_int_equal(errno, EAGAIN);  /* still open before the deadline */
	usleep(80 * 1000);
	pump(f, 10);
	assert_int_equal(recv(fd, &c, 1, 0), 0);  /* closed, no answer */
	close(fd);
}

/*
 * The daemon-killing bug: the deadline closes a client and, in the same
 * epoll batch, the client's socket is readable. The deadline timer expires
 * first (we sleep past it without running the loop), then the request
 * arrives, so one batch holds both, timer first.
 */
static void
test_server_deadline_and_request_in_one_batch(void **state)
{
	struct fixture *f = *state;
	int fd = client(f->path);
	char c;

	lb_mgmt_server_set_timeout_ms(f->srv, 30);
	pump(f, 10);                    /* accepted: the deadline is armed */
	usleep(60 * 1000);
	assert_int_equal(send(fd, "help\n", 5, 0), 5);
	shutdown(fd, SHUT_WR);
	pump(f, 10);
	/* Dropped, no answer: EOF, or a reset for the request left unread. */
	errno = 0;
	assert_true(recv(fd, &c, 1, MSG_DONTWAIT) <= 0);
	assert_true(errno == 0 || errno == ECONNRESET);
	close(fd);
	lb_mgmt_server_set_timeout_ms(f->srv, LB_MGMT_CLIENT_TIMEOUT_MS);
	json_decref(roundtrip(f, "help\n", 5));
}

/* A request that never ends holds only its own client. */
static void
test_server_unfinished_request_does_not_delay_others(void **state)
{
	struct fixture *f = *state;
	int slow = client(f->path);
	json_t *a;
	char c;

	assert_int_equal(send(slow, "stat", 4, 0), 4);   /* and no shutdown */
	pump(f, 10);
	a = roundtrip(f, "status", 6);
	assert_string_equal(json_string_value(json_object_get(a, "config")),
			    "/tmp/test.ini");
	json_decref(a);
	errno = 0;
	assert_int_equal(recv(slow, &c, 1, MSG_DONTWAIT), -1);
	assert_int_equal(errno, EAGAIN);
	close(slow);
}

static void
test_server_too_many_clients_refused(void **state)
{
	struct fixture *f = *state;
	int fds[LB_MGMT_MAX_CLIENTS], extra, i;
	char *text;
	json_t *a;

	for (i = 0; i < LB_MGMT_MAX_CLIENTS; i++) {
		fds[i] = client(f->path);
		pump(f, 1);
	}
	extra = client(f->path);
	text = exchange(f, extra, "", 0, NULL);
	a = parse_answer(text);
	assert_non_null(strstr(json_string_value(json_object_get(a, "error")),
			       "too many clients"));
	json_decref(a);
	free(text);
	close(extra);
	/* Those already in are served; a slot freed takes a new client. */
	text = exchange(f, fds[0], "help\n", 5, NULL);
	a = parse_answer(text);
	assert_non_null(json_object_get(a, "commands"));
	json_decref(a);
	free(text);
	a = roundtrip(f, "help\n", 5);
	assert_non_null(json_object_get(a, "commands"));
	json_decref(a);
	for (i = 0; i < LB_MGMT_MAX_CLIENTS; i++)
		close(fds[i]);
}

static void
test_server_client_gone_before_answer(void **state)
{
	struct fixture *f = *state;
	int fd = client(f->path);
	json_t *a;

	assert_int_equal(send(fd, "backends\n", 9, 0), 9);
	shutdown(fd, SHUT_WR);
	close(fd);
	pump(f, 10);
	pump(f, 10);
	pump(f, 10);
	a = roundtrip(f, "help\n", 5);
	assert_non_null(json_object_get(a, "commands"));
	json_decref(a);
}

/* flows waits for the worker, and nobody else waits for flows. */
static void
test_server_worker_query_answered_later(void **state)
{
	struct fixture *f = *state;
	int fd = client(f->path);
	struct lb_dp_request *r;
	char *text, c;
	json_t *a;

	assert_int_equal(send(fd, "flows\n", 6, 0), 6);
	shutdown(fd, SHUT_WR);
	pump(f, 10);
	pump(f, 10);
	errno = 0;
	assert_int_equal(recv(fd, &c, 1, MSG_DONTWAIT), -1);
	assert_int_equal(errno, EAGAIN);
	a = roundtrip(f, "help\n", 5);
	assert_non_null(json_object_get(a, "commands"));
	json_decref(a);
	r = worker_take();
	assert_int_equal(r->type, LB_DP_REQ_FLOWS);
	worker_answer(r);
	text = exchange(f, fd, "", 0, NULL);
	a = parse_answer(text);
	assert_int_equal(json_array_size(json_object_get(a, "flows")), 0);
	assert_true(json_is_integer(json_object_get(a, "total")));
	json_decref(a);
	free(text);
	close(fd);
}

/*
 * The client leaves while the worker still holds its request: the request
 * must stay valid until the worker answers (ASan: a server that freed it
 * makes the worker's answer a use after free), then be freed (ASan's leak
 * check: nothing is left at exit).
 */
static void
test_server_client_gone_while_worker_silent(void **state)
{
	struct fixture *f = *state;
	int fd = client(f->path);
	struct lb_dp_request *r;

	assert_int_equal(send(fd, "flows\n", 6, 0), 6);
	shutdown(fd, SHUT_WR);
	pump(f, 10);
	pump(f, 10);
	close(fd);
	pump(f, 10);
	pump(f, 10);
	assert_int_equal(mgmt_wq_reap(), 1);
	r = worker_take();
	worker_answer(r);
	assert_int_equal(mgmt_wq_reap(), 0);
	json_decref(roundtrip(f, "help\n", 5));
}

/* A client's answer, read to the end. */
static json_t *
answer_of(struct fixture *f, int fd)
{
	char *text = exchange(f, fd, "", 0, NULL);
	json_t *a = parse_answer(text);

	free(text);
	close(fd);
	return a;
}

/*
 * More worker requests than the ring holds: the rest wait their turn (no
 * error, nothing leaked or lost) and every client gets its answer as the
 * worker takes them one by one.
 */
static void
test_server_full_request_ring_waits(void **state)
{
	struct fixture *f = *state;
	unsigned int cap = rte_ring_get_capacity(worker->requests);
	unsigned int n = cap + 5, i, answered;
	struct lb_dp_request *r;
	int fds[32];
	json_t *a;

	assert_true(n <= RTE_DIM(fds));
	for (i = 0; i < n; i++) {
		fds[i] = client(f->path);
		assert_int_equal(send(fds[i], "flows\n", 6, 0), 6);
		shutdown(fds[i], SHUT_WR);
		pump(f, 1);
	}
	pump(f, 5);
	assert_int_equal(rte_ring_count(worker->requests), cap);
	for (answered = 0; answered < n; answered++) {
		r = worker_take();
		assert_int_equal(r->type, LB_DP_REQ_FLOWS);
		r->end = 1;
		worker_answer(r);
		pump(f, 5);
		pump(f, 5);
	}
	assert_int_equal(rte_ring_count(worker->requests), 0);
	for (i = 0; i < n; i++) {
		a = answer_of(f, fds[i]);
		assert_null(json_object_get(a, "error"));
		assert_int_equal(json_array_size(json_object_get(a, "flows")),
				 0);
		json_decref(a);
	}
	assert_int_equal(mgmt_wq_reap(), 0);
}

/*
 * Every slot held by a client that never sends its request: once they
 * are stale, a newcomer takes the stalest one's slot instead of being
 * refused.
 */
static void
test_server_stale_clients_make_room(void **state)
{
	struct fixture *f = *state;
	int fds[LB_MGMT_MAX_CLIENTS], i, closed = 0;
	json_t *a;
	char c;

	for (i = 0; i < LB_MGMT_MAX_CLIENTS; i++) {
		fds[i] = client(f->path);
		pump(f, 1);
	}
	usleep(150 * 1000);
	a = roundtrip(f, "help\n", 5);
	assert_non_null(json_object_get(a, "commands"));
	json_decref(a);
	for (i = 0; i < LB_MGMT_MAX_CLIENTS; i++) {
		if (recv(fds[i], &c, 1, MSG_DONTWAIT) == 0)
			closed++;
		close(fds[i]);
	}
	/* The first in, the stalest, and only it. */
	assert_int_equal(closed, 1);
}

/*
 * A child process as another uid (nobody) connects 10 clients that send
 * nothing: 8 get a slot, the 2 more are refused while those are fresh,
 * and root is still served. @return the child's count of refusals.
 */
static int
uid_share_child(const char *path, int ready, int go)
{
	int fds[LB_MGMT_CLIENTS_PER_UID + 2], i, refused = 0;
	char buf[256], c;
	ssize_t n;

	if (setgroups(0, NULL) != 0 || setgid(65534) != 0 ||
	    setuid(65534) != 0)
		return 100;
	for (i = 0; i < (int)RTE_DIM(fds); i++) {
		struct sockaddr_un sa = { .sun_family = AF_UNIX };

		fds[i] = socket(AF_UNIX, SOCK_STREAM, 0);
		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
		if (fds[i] < 0 || connect(fds[i], (struct sockaddr *)&sa,
					  sizeof(sa)) != 0)
			return 101;
	}
	if (write(ready, "r", 1) != 1 || read(go, &c, 1) != 1)
		return 102;
	for (i = 0; i < (int)RTE_DIM(fds); i++) {
		n = recv(fds[i], buf, sizeof(buf) - 1, MSG_DONTWAIT);
		if (n > 0) {
			buf[n] = '\0';
			refused += strstr(buf, "too many clients") != NULL;
		}
	}
	return refused;
}

static void
test_server_one_uid_holds_its_share_of_slots(void **state)
{
	struct fixture *f = *state;
	int ready[2], go[2], status, i;
	char c;
	pid_t pid;
	json_t *a;

	/* Let nobody reach the socket (mkdtemp made its directory 0700). */
	assert_int_equal(chmod(f->dir, 0755), 0);
	assert_int_equal(chmod(f->path, 0666), 0);
	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(go), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(ready[0]);
		close(go[1]);
		_exit(uid_share_child(f->path, ready[1], go[0]));
	}
	close(ready[1]);
	close(go[0]);
	/* The child's status says why if it could not get ready. */
	if (read(ready[0], &c, 1) != 1) {
		assert_int_equal(waitpid(pid, &status, 0), pid);
		fail_msg("child not ready: status %d", WEXITSTATUS(status));
	}
	for (i = 0; i < 5; i++)
		pump(f, 5);
	a = roundtrip(f, "help\n", 5);
	assert_non_null(json_object_get(a, "commands"));
	json_decref(a);
	assert_int_equal(write(go[1], "g", 1), 1);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 2);
	close(ready[0]);
	close(go[1]);
}

/* As nobody: large answers, one after another, until refused for the
 * share. @return how many were answered first (255: never refused). */
static int
share_child(const char *path)
{
	char *buf = malloc(4 << 20);
	size_t got;
	ssize_t n;
	int i, fd;

	if (buf == NULL || setgroups(0, NULL) != 0 || setgid(65534) != 0 ||
	    setuid(65534) != 0)
		return 254;
	for (i = 0; i < 250; i++) {
		struct sockaddr_un sa = { .sun_family = AF_UNIX };

		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
		if (fd < 0 || connect(fd, (struct sockaddr *)&sa,
				      sizeof(sa)) != 0)
			return 253;
		/* Refused at accept, the server writes why and closes, maybe
		 * before this send (EPIPE): the refusal is still there to
		 * read, so a failed send is no failure of the test. */
		(void)send(fd, "backends\n", 9, MSG_NOSIGNAL);
		shutdown(fd, SHUT_WR);
		for (got = 0; (n = recv(fd, buf + got, (4 << 20) - got - 1,
					0)) > 0; got += (size_t)n)
			;
		close(fd);
		buf[got] = '\0';
		if (strstr(buf, "share of the management core") != NULL)
			return i;
	}
	return 255;
}

/*
 * One uid asking for large answers back to back uses up its share of the
 * management core (a quarter second of it, then a tenth of each second)
 * and is refused; root is served all the while.
 */
static void
test_server_one_uid_holds_its_share_of_time(void **state)
{
	struct fixture *f = *state;
	int status = 0, i;
	pid_t pid;
	json_t *a;

	assert_int_equal(chmod(f->dir, 0755), 0);
	assert_int_equal(chmod(f->path, 0666), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(share_child(f->path));
	for (i = 0; i < 60000 && waitpid(pid, &status, WNOHANG) == 0; i++)
		pump(f, 1);
	assert_true(WIFEXITED(status));
	printf("nobody was answered %d times before its share ran out\n",
	       WEXITSTATUS(status));
	assert_true(WEXITSTATUS(status) >= 1 && WEXITSTATUS(status) < 250);
	a = roundtrip(f, "backends", 8);
	assert_int_equal(json_array_size(a), N_BIG);
	json_decref(a);
}

/*
 * Clients that ask for large answers and never read them: together their
 * answers hold no more than LB_MGMT_ANSWER_BYTES_MAX; the others are told
 * to try again, small answers still go, and once the readers are gone a
 * large answer is served again.
 */
static void
test_server_unread_answers_bounded(void **state)
{
	struct fixture *f = *state;
	int fds[LB_MGMT_MAX_CLIENTS - 2], i, busy = 0;
	json_t *a;

	for (i = 0; i < (int)RTE_DIM(fds); i++) {
		fds[i] = client(f->path);
		assert_int_equal(send(fds[i], "backends\n", 9, 0), 9);
		shutdown(fds[i], SHUT_WR);
		pump(f, 1);
	}
	/* Until the answers stop growing: a loaded machine takes more loop
	 * passes than an idle one (bounded work per callback). */
	for (i = 0; i < 5000 && lb_mgmt_server_answer_bytes(f->srv) <=
				LB_MGMT_ANSWER_BYTES_MAX / 2; i++)
		pump(f, 1);
	pump(f, 10);
	printf("%zu bytes of answers held for %zu clients\n",
	       lb_mgmt_server_answer_bytes(f->srv), RTE_DIM(fds));
	assert_true(lb_mgmt_server_answer_bytes(f->srv) <=
		    LB_MGMT_ANSWER_BYTES_MAX);
	assert_true(lb_mgmt_server_answer_bytes(f->srv) >
		    LB_MGMT_ANSWER_BYTES_MAX / 2);
	a = roundtrip(f, "status", 6);
	assert_null(json_object_get(a, "error"));
	json_decref(a);
	for (i = 0; i < (int)RTE_DIM(fds); i++) {
		a = answer_of(f, fds[i]);
		if (json_object_get(a, "error") != NULL) {
			assert_non_null(strstr(json_string_value(
				json_object_get(a, "error")), "try again"));
			busy++;
		} else {
			assert_int_equal(json_array_size(a), N_BIG);
		}
		json_decref(a);
	}
	assert_true(busy > 0);
	assert_int_equal(lb_mgmt_server_answer_bytes(f->srv), 0);
	a = roundtrip(f, "backends", 8);
	assert_int_equal(json_array_size(a), N_BIG);
	json_decref(a);
}

/* Answered but not yet collected when the client leaves: all freed. */
static void
test_server_client_gone_after_worker_answered(void **state)
{
	struct fixture *f = *state;
	int fd = client(f->path);

	assert_int_equal(send(fd, "flows\n", 6, 0), 6);
	shutdown(fd, SHUT_WR);
	pump(f, 10);
	pump(f, 10);
	worker_answer(worker_take());
	close(fd);
	pump(f, 10);
	pump(f, 10);
	json_decref(roundtrip(f, "help\n", 5));
}

static void
test_server_peer_credentials(void **state)
{
	gid_t groups[LB_MGMT_PEER_GROUPS_MAX];
	struct lb_mgmt_peer p;
	int sv[2], n, i;

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	lb_mgmt_peer_read(sv[0], &p);
	assert_int_equal(p.uid, getuid());
	assert_int_equal(p.gid, getgid());
	assert_int_equal(p.pid, getpid());
	assert_string_equal(p.comm, "test_server");
	n = getgroups(LB_MGMT_PEER_GROUPS_MAX, groups);
	assert_true(n >= 0);
	assert_int_equal(p.n_groups, (unsigned int)n);
	for (i = 0; i < n; i++)
		assert_int_equal(p.groups[i], groups[i]);
	close(sv[0]);
	close(sv[1]);
}

static void
test_server_replaces_stale_socket_only(void **state)
{
	struct fixture *f = *state;
	struct lb_mgmt_server *s;
	char path[160], err[256];
	int fd;

	/* Live: our own server answers there. */
	s = lb_mgmt_server_create(f->path, &ctx, f->loop, err, sizeof(err));
	assert_null(s);
	assert_non_null(strstr(err, "in use"));
	/* Not a socket. */
	snprintf(path, sizeof(path), "%s/file", f->dir);
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	s = lb_mgmt_server_create(path, &ctx, f->loop, err, sizeof(err));
	assert_null(s);
	assert_non_null(strstr(err, "not a socket"));
	unlink(path);
	/* Stale: left behind by a daemon that is gone. */
	lb_mgmt_server_destroy(f->srv);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	{
		struct sockaddr_un sa = { .sun_family = AF_UNIX };

		memcpy(sa.sun_path, f->path, strlen(f->path) + 1);
		assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)),
				 0);
	}
	close(fd);
	f->srv = lb_mgmt_server_create(f->path, &ctx, f->loop, err,
				       sizeof(err));
	assert_non_null(f->srv);
}

static void
test_server_destroy_removes_socket(void **state)
{
	struct fixture *f = *state;
	struct stat st;

	lb_mgmt_server_destroy(f->srv);
	f->srv = NULL;
	assert_int_equal(stat(f->path, &st), -1);
	assert_int_equal(errno, ENOENT);
	lb_mgmt_server_destroy(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_server_round_trip),
		T(test_server_socket_and_directory_modes),
		T(test_server_large_answer_written_in_parts),
		T(test_server_oversize_request_refused),
		T(test_server_binary_input_answered_with_error),
		T(test_server_silent_client_dropped_at_deadline),
		T(test_server_deadline_and_request_in_one_batch),
		T(test_server_unfinished_request_does_not_delay_others),
		T(test_server_worker_query_answered_later),
		T(test_server_client_gone_while_worker_silent),
		T(test_server_client_gone_after_worker_answered),
		T(test_server_full_request_ring_waits),
		T(test_server_stale_clients_make_room),
		T(test_server_one_uid_holds_its_share_of_slots),
		T(test_server_one_uid_holds_its_share_of_time),
		T(test_server_unread_answers_bounded),
		T(test_server_peer_credentials),
		T(test_server_too_many_clients_refused),
		T(test_server_client_gone_before_answer),
		T(test_server_replaces_stale_socket_only),
		T(test_server_destroy_removes_socket),
#undef T
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
