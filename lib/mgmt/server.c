/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The management socket: one request per connection, answered as JSON.
 *
 * Everything is non-blocking and driven by the management event loop. A
 * client is read until it shuts down its write side, the request is
 * executed, the answer written (waiting for EPOLLOUT if the client reads
 * slowly) and the connection closed. A command that waits for the workers
 * returns a pending object instead of an answer; a 1 ms timer, armed only
 * while one is pending, polls it. Deadlines (one timer per client) and a
 * cap on clients keep a slow or hostile peer from holding the management
 * core; closing a client from its deadline is safe even when its socket
 * has an event in the same batch (lb_evloop.h).
 *
 * Abuse is bounded, not just survived: one uid holds a share of the slots
 * and of the management core's time; a client that holds a slot without
 * using it (its request unfinished, or its answer unread, for a while)
 * gives the slot up to a newcomer when all are taken; unread answers hold
 * at most LB_MGMT_ANSWER_BYTES_MAX together; no callback does more than a
 * bounded amount of work (accepts, answers finished per poll), so health
 * checks and signals on the same loop are not held up.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "mgmt_priv.h"

RTE_LOG_REGISTER(lb_mgmt_logtype, edgelb.mgmt, INFO);

#define REQ_CHUNK 4096
#define LOG_REQ_MAX 128
/* Connections taken per wakeup of the listening socket; more wait for the
 * next (level-triggered) one, after timers and other clients. */
#define ACCEPT_BATCH 16
/* When every slot is taken, a client whose request is still unfinished
 * this long after it connected, or whose answer has not moved for this
 * long, loses its slot to a newcomer. A real client (edgelbctl) writes
 * its request at once and reads its answer as it comes. */
#define EVICT_READING_MS 100
#define EVICT_WRITING_MS 250
/* Answers of pending commands finished per poll tick, at most this long
 * together (and at least one): building a large answer takes a
 * millisecond or two, and the loop has other work. */
#define FINISH_BUDGET_MS 2
/* The management core's time a uid's requests may take (root and
 * admin_group aside): a bucket of SHARE_BURST_US refilled at
 * SHARE_US_PER_MS, a tenth of the core. A uid whose bucket is empty has
 * its new connections refused until it refills, so no user, however many
 * clients it runs, takes the core from health checks and everyone else.
 * Requests are charged what executing them and building their answer
 * took. */
#define SHARE_US_PER_MS 100
#define SHARE_BURST_US (250 * 1000)
#define SHARE_UIDS 32

enum client_state {
	CLIENT_READING,
	CLIENT_WAITING,             /**< its command answers later */
	CLIENT_WRITING,
};

struct mgmt_client {
	struct lb_mgmt_server *srv;
	unsigned int slot;
	int fd;
	struct lb_evloop_handle *h;
	struct lb_evloop_timer *deadline;
	enum client_state state;
	struct lb_mgmt_peer peer;
	struct lb_mgmt_pending *pending;   /**< CLIENT_WAITING */
	char *buf;                  /**< request, then the answer */
	size_t len;                 /**< bytes in buf */
	size_t cap;
	size_t sent;                /**< answer bytes written */
	int admin;                  /**< uid 0 or admin_group, at connect */
	uint64_t since_ms;          /**< connected */
	uint64_t moved_ms;          /**< answer started or last sent a part */
};

/* What one uid's requests took beyond what its share refilled. */
struct uid_share {
	uid_t uid;
	uint64_t debt_us;
	uint64_t at_ms;             /**< debt as of then */
};

struct lb_mgmt_server {
	struct lb_evloop *loop;
	struct lb_evloop_handle *h;
	/** Every 1 ms while a command is pending, disarmed otherwise. */
	struct lb_evloop_timer *poll;
	int polling;
	int fd;
	ino_t ino;                  /**< of our socket file, to unlink only it */
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct lb_mgmt_ctx *ctx;
	uint64_t timeout_ms;
	unsigned int n_clients;
	unsigned int n_pending;
	unsigned int poll_next;     /**< slot the next poll tick starts at */
	size_t answer_bytes;        /**< held by answers being written */
	uint64_t log_second_ms;     /**< start of the log limit's second */
	unsigned int log_lines;     /**< client lines logged in it */
	unsigned int log_left_out;  /**< and not logged */
	struct uid_share shares[SHARE_UIDS];
	struct mgmt_client *clients[LB_MGMT_MAX_CLIENTS];
};

#define POLL_MS 1

/* Lines about clients logged per second at most: a flood of clients must
 * not become a flood of log lines. What is left out is counted, and the
 * count logged when the next second begins. */
#define LOG_LINES_PER_S 20

static int
log_allowed(struct lb_mgmt_server *s)
{
	uint64_t now = lb_mgmt_now_ms();

	if (now >= s->log_second_ms + 1000) {
		if (s->log_left_out > 0)
			MGMT_LOG(WARNING, "%u more lines about clients left out of the log",
				 s->log_left_out);
		s->log_second_ms = now;
		s->log_lines = 0;
		s->log_left_out = 0;
	}
	if (s->log_lines < LOG_LINES_PER_S) {
		s->log_lines++;
		return 1;
	}
	s->log_left_out++;
	return 0;
}

#define CLIENT_LOG(s, level, ...) do { \
	if (log_allowed(s)) \
		MGMT_LOG(level, __VA_ARGS__); \
} while (0)

static void
poll_update(struct lb_mgmt_server *s)
{
	int want = s->n_pending > 0;

	if (want == s->polling)
		return;
	if (lb_evloop_timer_set(s->poll, want ? POLL_MS : 0,
				want ? POLL_MS : 0) == 0)
		s->polling = want;
	else
		MGMT_LOG(ERR, "poll timer: %s", strerror(errno));
}

static uint64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* @p uid's entry, its debt brought up to now; with @p take, one is made
 * (in place of the smallest debt) if it has none. NULL otherwise. */
static struct uid_share *
share_of(struct lb_mgmt_server *s, uid_t uid, int take)
{
	uint64_t now = lb_mgmt_now_ms(), paid;
	struct uid_share *e, *least = &s->shares[0];
	unsigned int i;

	for (i = 0; i < SHARE_UIDS; i++) {
		e = &s->shares[i];
		paid = (now - RTE_MIN(e->at_ms, now)) * SHARE_US_PER_MS;
		e->debt_us -= RTE_MIN(e->debt_us, paid);
		e->at_ms = now;
		if (e->debt_us > 0 && e->uid == uid)
			return e;
		if (e->debt_us < least->debt_us)
			least = e;
	}
	if (!take)
		return NULL;
	least->uid = uid;
	least->debt_us = 0;
	return least;
}

/* Charge @p us of the management core to a client's uid. */
static void
share_charge(struct lb_mgmt_server *s, uid_t uid, int admin, uint64_t us)
{
	if (!admin)
		share_of(s, uid, 1)->debt_us += us;
}

/* 1 if @p uid has used up its share for now. */
static int
share_spent(struct lb_mgmt_server *s, uid_t uid)
{
	struct uid_share *e = share_of(s, uid, 0);

	return e != NULL && e->debt_us > SHARE_BURST_US;
}

static void
client_close(struct mgmt_client *c)
{
	struct lb_mgmt_server *s = c->srv;

	if (c->pending != NULL) {
		lb_mgmt_pending_abandon(c->pending);
		s->n_pending--;
		poll_update(s);
	}
	if (c->state == CLIENT_WRITING)
		s->answer_bytes -= c->len;
	/* Any event of this batch for c now finds dead registrations. */
	lb_evloop_del_fd(c->h);
	lb_evloop_timer_cancel(c->deadline);
	close(c->fd);
	s->clients[c->slot] = NULL;
	s->n_clients--;
	free(c->buf);
	free(c);
}

/* Write what the socket takes now. @return 1 when all is sent, 0, -1. */
static int
client_flush(struct mgmt_client *c)
{
	ssize_t n;

	while (c->sent < c->len) {
		n = send(c->fd, c->buf + c->sent, c->len - c->sent,
			 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			c->sent += (size_t)n;
			c->moved_ms = lb_mgmt_now_ms();
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		return -1;
	}
	return 1;
}

/*
 * @p text (a JSON answer) if it fits the memory unread answers may hold,
 * else (freed) a short error in its place.
 */
static char *
answer_admit(struct mgmt_client *c, char *text)
{
	struct lb_mgmt_server *s = c->srv;
	size_t len = strlen(text) + 1;
	json_t *busy;

	if (len <= LB_MGMT_ANSWER_SMALL || s->answer_bytes == 0 ||
	    s->answer_bytes + len <= LB_MGMT_ANSWER_BYTES_MAX)
		return text;
	CLIENT_LOG(s, WARNING, "pid %d uid %u (%s): answer of %zu bytes withheld: %zu bytes of answers wait for their readers",
		 (int)c->peer.pid, (unsigned int)c->peer.uid, c->peer.comm,
		 len, s->answer_bytes);
	free(text);
	busy = lb_mgmt_error("busy: other clients have not read %zu KiB of answers yet; try again",
			     s->answer_bytes / 1024);
	text = json_dumps(busy, JSON_COMPACT);
	json_decref(busy);
	return text;
}

/* Replace the request in the buffer by the answer and start sending it. */
static void
client_answer(struct mgmt_client *c, json_t *ans)
{
	char *text = json_dumps(ans, JSON_COMPACT);
	int rc;

	free(c->buf);
	c->buf = NULL;
	c->len = 0;
	c->sent = 0;
	if (text != NULL)
		text = answer_admit(c, text);
	if (text != NULL) {
		c->len = strlen(text) + 1;
		c->buf = text;
		/* The trailing newline tells the client the answer is whole. */
		c->buf[c->len - 1] = '\n';
	}
	c->state = CLIENT_WRITING;
	c->moved_ms = lb_mgmt_now_ms();
	c->srv->answer_bytes += c->len;
	/* A fresh deadline: reading the answer may take as long again. */
	rc = client_flush(c);
	if (rc != 0 || lb_evloop_mod_fd(c->h, EPOLLOUT) < 0 ||
	    lb_evloop_timer_set(c->deadline, c->srv->timeout_ms, 0) < 0)
		client_close(c);
}

static void
client_log(const struct mgmt_client *c, const json_t *ans)
{
	const char *nl = memchr(c->buf, '\n', c->len);
	size_t n = nl != NULL ? (size_t)(nl - c->buf) : c->len;
	json_t *err = json_object_get(ans, "error");
	char line[LOG_REQ_MAX + 1];

	lb_mgmt_sanitize(line, sizeof(line), c->buf, n);
	if (json_is_string(err))
		CLIENT_LOG(c->srv, NOTICE, "pid %d uid %u (%s): \"%s\" (%zu bytes) -> error: %s",
			   (int)c->peer.pid, (unsigned int)c->peer.uid,
			   c->peer.comm, line, c->len, json_string_value(err));
	else
		CLIENT_LOG(c->srv, NOTICE, "pid %d uid %u (%s): \"%s\" (%zu bytes) -> ok",
			   (int)c->peer.pid, (unsigned int)c->peer.uid,
			   c->peer.comm, line, c->len);
}

static void
client_finish(struct mgmt_client *c, json_t *ans)
{
	client_log(c, ans);
	client_answer(c, ans);
	json_decref(ans);
}

/* client_finish, and charge the client's uid for it since @p t0. */
static void
client_finish_charged(struct mgmt_client *c, json_t *ans, uint64_t t0)
{
	struct lb_mgmt_server *s = c->srv;
	uid_t uid = c->peer.uid;
	int admin = c->admin;

	client_finish(c, ans);      /* may close c */
	share_charge(s, uid, admin, now_us() - t0);
}

static void
client_execute(struct mgmt_client *c)
{
	struct lb_mgmt_server *s = c->srv;
	uint64_t t0 = now_us();
	json_t *ans;

	ans = lb_mgmt_start(s->ctx, &c->peer, c->buf, c->len, &c->pending);
	if (ans != NULL) {
		client_finish_charged(c, ans, t0);
		return;
	}
	share_charge(s, c->peer.uid, c->admin, now_us() - t0);
	/* Only a hangup matters now: the request is all read. */
	c->state = CLIENT_WAITING;
	if (lb_evloop_mod_fd(c->h, 0) < 0) {
		client_close(c);
		return;
	}
	s->n_pending++;
	poll_update(s);
}

/*
 * Poll every pending command; finish those that answer until the budget
 * is spent (the others are finished by the next ticks, starting where
 * this one stopped, so that none waits behind the others for long).
 */
static void
on_poll(struct lb_evloop_timer *t, void *arg)
{
	struct lb_mgmt_server *s = arg;
	uint64_t until = lb_mgmt_now_ms() + FINISH_BUDGET_MS, t0;
	unsigned int k, i, done = 0;
	struct mgmt_client *c;
	json_t *ans;

	(void)t;
	for (k = 0; k < LB_MGMT_MAX_CLIENTS; k++) {
		i = (s->poll_next + k) % LB_MGMT_MAX_CLIENTS;
		c = s->clients[i];
		if (c == NULL || c->pending == NULL)
			continue;
		if (done > 0 && lb_mgmt_now_ms() >= until) {
			s->poll_next = i;
			break;
		}
		t0 = now_us();
		ans = lb_mgmt_pending_poll(c->pending);
		if (ans == NULL)
			continue;
		c->pending = NULL;
		s->n_pending--;
		done++;
		client_finish_charged(c, ans, t0);
	}
	poll_update(s);
}

static void
client_too_large(struct mgmt_client *c)
{
	json_t *ans = lb_mgmt_error("request too large (at most %d bytes)",
				    LB_MGMT_REQ_MAX);

	CLIENT_LOG(c->srv, WARNING, "pid %d uid %u (%s): request over %d bytes refused",
		   (int)c->peer.pid, (unsigned int)c->peer.uid, c->peer.comm,
		   LB_MGMT_REQ_MAX);
	client_answer(c, ans);
	json_decref(ans);
}

/* Room for the next read; one byte more than the limit detects overflow. */
static int
client_grow(struct mgmt_client *c)
{
	size_t cap;
	char *p;

	if (c->len < c->cap)
		return 0;
	cap = RTE_MIN(c->cap == 0 ? (size_t)REQ_CHUNK : c->cap * 2,
		      (size_t)LB_MGMT_REQ_MAX + 1);
	p = realloc(c->buf, cap);
	if (p == NULL)
		return -1;
	c->buf = p;
	c->cap = cap;
	return 0;
}

static void
client_read(struct mgmt_client *c)
{
	ssize_t n;

	for (;;) {
		if (client_grow(c) < 0) {
			client_close(c);
			return;
		}
		n = recv(c->fd, c->buf + c->len, c->cap - c->len, MSG_DONTWAIT);
		if (n > 0) {
			c->len += (size_t)n;
			if (c->len > LB_MGMT_REQ_MAX) {
				client_too_large(c);
				return;
			}
			continue;
		}
		if (n == 0) {
			client_execute(c);
			return;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			client_close(c);
		return;
	}
}

static void
client_event(struct lb_evloop_handle *h, uint32_t events, void *arg)
{
	struct mgmt_client *c = arg;

	(void)h;
	if (c->state == CLIENT_READING) {
		/* Read even on HUP/ERR: the request may be all there. */
		client_read(c);
		return;
	}
	if (events & (EPOLLERR | EPOLLHUP)) {
		if (c->state == CLIENT_WAITING)
			CLIENT_LOG(c->srv, NOTICE, "pid %d uid %u (%s): gone before the answer",
				   (int)c->peer.pid, (unsigned int)c->peer.uid,
				   c->peer.comm);
		client_close(c);
		return;
	}
	if (c->state == CLIENT_WRITING && client_flush(c) != 0)
		client_close(c);
}

static const char *
state_name(enum client_state st)
{
	switch (st) {
	case CLIENT_READING:
		return "without a complete request";
	case CLIENT_WAITING:
		return "while its command was still running";
	default:
		return "with its answer still unread";
	}
}

static void
client_deadline(struct lb_evloop_timer *t, void *arg)
{
	struct mgmt_client *c = arg;

	(void)t;
	CLIENT_LOG(c->srv, WARNING, "pid %d uid %u (%s): dropped after %" PRIu64 " ms %s",
		   (int)c->peer.pid, (unsigned int)c->peer.uid, c->peer.comm,
		   c->srv->timeout_ms, state_name(c->state));
	client_close(c);
}

static void
refuse(int fd, const char *why)
{
	char line[128];
	int n;

	n = snprintf(line, sizeof(line), "{\"error\":\"%s\"}\n", why);
	if (send(fd, line, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		MGMT_LOG(DEBUG, "refusal not sent: %s", strerror(errno));
	close(fd);
}

static int
slot_free(const struct lb_mgmt_server *s)
{
	unsigned int i;

	for (i = 0; i < LB_MGMT_MAX_CLIENTS; i++)
		if (s->clients[i] == NULL)
			return (int)i;
	return -1;
}

/* Watch c's socket and arm its deadline. @return 0 or -1 (errno). */
static int
client_register(struct lb_mgmt_server *s, struct mgmt_client *c)
{
	c->h = lb_evloop_add_fd(s->loop, c->fd, EPOLLIN | EPOLLRDHUP,
				client_event, c);
	if (c->h == NULL)
		return -1;
	c->deadline = lb_evloop_timer_add(s->loop, s->timeout_ms, 0,
					  client_deadline, c);
	if (c->deadline != NULL)
		return 0;
	lb_evloop_del_fd(c->h);
	return -1;
}

/* How long @p c has held its slot without using it (0: it is using it). */
static uint64_t
idle_for(const struct mgmt_client *c, uint64_t now)
{
	if (c->state == CLIENT_READING &&
	    now >= c->since_ms + EVICT_READING_MS)
		return now - c->since_ms;
	if (c->state == CLIENT_WRITING &&
	    now >= c->moved_ms + EVICT_WRITING_MS)
		return now - c->moved_ms;
	return 0;
}

/* Clients of @p uid that count against its share (admins do not). */
static unsigned int
clients_of(const struct lb_mgmt_server *s, uid_t uid)
{
	unsigned int i, n = 0;

	for (i = 0; i < LB_MGMT_MAX_CLIENTS; i++)
		n += s->clients[i] != NULL && !s->clients[i]->admin &&
		     s->clients[i]->peer.uid == uid;
	return n;
}

/* Drop the client (of @p uid only, if @p by_uid) that has held its slot
 * unused the longest, if any. @return its slot, or -1. */
static int
evict_stalest(struct lb_mgmt_server *s, int by_uid, uid_t uid)
{
	uint64_t now = lb_mgmt_now_ms(), idle, worst = 0;
	struct mgmt_client *c, *victim = NULL;
	unsigned int i;
	int slot;

	for (i = 0; i < LB_MGMT_MAX_CLIENTS; i++) {
		c = s->clients[i];
		if (c == NULL || (by_uid && (c->admin || c->peer.uid != uid)) ||
		    (idle = idle_for(c, now)) <= worst)
			continue;
		worst = idle;
		victim = c;
	}
	if (victim == NULL)
		return -1;
	CLIENT_LOG(s, WARNING, "pid %d uid %u (%s): dropped for a new client after %" PRIu64 " ms %s",
		   (int)victim->peer.pid, (unsigned int)victim->peer.uid,
		   victim->peer.comm, worst, state_name(victim->state));
	slot = (int)victim->slot;
	client_close(victim);
	return slot;
}

/*
 * The last slot is an admin's: clients that keep reconnecting can fill
 * the others, never lock the operator out of reload or drain. Any other
 * uid holds LB_MGMT_CLIENTS_PER_UID slots at most: one user's runaway or
 * hostile clients leave the rest to everyone else. When the slots a peer
 * may use are taken, the stalest client (see idle_for; of the same uid if
 * that uid is at its share) makes room: held connections cannot keep
 * anyone out either.
 */
static int
slot_for(struct lb_mgmt_server *s, const struct lb_mgmt_peer *peer,
	 int admin)
{
	int slot = -1;

	if (!admin && clients_of(s, peer->uid) >= LB_MGMT_CLIENTS_PER_UID)
		return evict_stalest(s, 1, peer->uid);
	if (s->n_clients + 1 < LB_MGMT_MAX_CLIENTS || admin)
		slot = slot_free(s);
	return slot >= 0 ? slot : evict_stalest(s, 0, 0);
}

static void
client_add(struct lb_mgmt_server *s, int fd)
{
	struct lb_mgmt_peer peer;
	struct mgmt_client *c;
	int slot, admin;

	lb_mgmt_peer_read(fd, &peer);
	admin = lb_mgmt_peer_is_admin(s->ctx, &peer);
	if (!admin && share_spent(s, peer.uid)) {
		CLIENT_LOG(s, WARNING, "uid %u used its share of the management core: connection refused",
			   (unsigned int)peer.uid);
		refuse(fd, "busy: this user's requests used their share of the management core; try again shortly");
		return;
	}
	slot = slot_for(s, &peer, admin);
	if (slot < 0) {
		CLIENT_LOG(s, WARNING, "%u clients: connection of uid %u refused",
			   s->n_clients, (unsigned int)peer.uid);
		refuse(fd, "too many clients, try again");
		return;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		refuse(fd, "out of memory");
		return;
	}
	c->srv = s;
	c->slot = (unsigned int)slot;
	c->fd = fd;
	c->state = CLIENT_READING;
	c->peer = peer;
	c->admin = admin;
	c->since_ms = lb_mgmt_now_ms();
	if (client_register(s, c) < 0) {
		MGMT_LOG(ERR, "cannot watch a client: %s", strerror(errno));
		close(fd);
		free(c);
		return;
	}
	s->clients[slot] = c;
	s->n_clients++;
	/* A client usually sent its request before we took it: serve it now,
	 * before more newcomers look for a slot. */
	client_read(c);
}

static void
server_event(struct lb_evloop_handle *h, uint32_t events, void *arg)
{
	struct lb_mgmt_server *s = arg;
	unsigned int n;
	int fd;

	(void)h;
	(void)events;
	for (n = 0; n < ACCEPT_BATCH; n++) {
		fd = accept4(s->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd >= 0) {
			client_add(s, fd);
			continue;
		}
		if (errno == EINTR || errno == ECONNABORTED)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			MGMT_LOG(ERR, "accept: %s", strerror(errno));
		return;
	}
}

/* mkdir -p for the socket's directory; created directories get 0755. */
static int
make_parent(const char *path, char *err, size_t errlen)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *p;
	int last;

	snprintf(dir, sizeof(dir), "%s", path);
	p = strrchr(dir, '/');
	if (p == NULL || p == dir)
		return 0;
	*p = '\0';
	for (p = dir + 1; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		last = *p == '\0';
		*p = '\0';
		/* 0755 whatever the umask: clients must reach the socket. */
		if (mkdir(dir, 0755) == 0)
			chmod(dir, 0755);
		else if (errno != EEXIST) {
			snprintf(err, errlen, "cannot create directory %s: %s",
				 dir, strerror(errno));
			return -1;
		}
		if (last)
			return 0;
		*p = '/';
	}
}

/* 1 if a process accepts connections on the socket at @p path. */
static int
socket_live(const struct sockaddr_un *sa)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int live;

	if (fd < 0)
		return 0;
	/* EAGAIN: a full backlog, so someone is listening. */
	live = connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0 ||
	       errno == EAGAIN;
	close(fd);
	return live;
}

/* Remove a stale socket file; refuse anything else in the way. */
static int
clear_path(const struct sockaddr_un *sa, char *err, size_t errlen)
{
	struct stat st;

	if (lstat(sa->sun_path, &st) < 0)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "%s exists and is not a socket",
			 sa->sun_path);
		return -1;
	}
	if (socket_live(sa)) {
		snprintf(err, errlen, "%s is in use by another process",
			 sa->sun_path);
		return -1;
	}
	if (unlink(sa->sun_path) < 0) {
		snprintf(err, errlen, "cannot remove stale %s: %s",
			 sa->sun_path, strerror(errno));
		return -1;
	}
	return 0;
}

static int
server_listen(struct lb_mgmt_server *s, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", s->path);
	err[0] = '\0';
	if (make_parent(s->path, err, errlen) < 0 ||
	    clear_path(&sa, err, errlen) < 0)
		goto fail;
	s->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0 ||
	    bind(s->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		goto fail;
	if (chmod(s->path, 0660) < 0 || stat(s->path, &st) < 0 ||
	    listen(s->fd, SOMAXCONN) < 0)
		goto fail_bound;
	s->h = lb_evloop_add_fd(s->loop, s->fd, EPOLLIN, server_event, s);
	if (s->h == NULL)
		goto fail_bound;
	s->ino = st.st_ino;
	return 0;
fail_bound:
	unlink(s->path);
fail:
	if (err[0] == '\0')
		snprintf(err, errlen, "%s: %s", s->path, strerror(errno));
	return -1;
}

struct lb_mgmt_server *
lb_mgmt_server_create(const char *path, struct lb_mgmt_ctx *ctx,
		      struct lb_evloop *loop, char *err, size_t errlen)
{
	char dummy[1];
	struct lb_mgmt_server *s;

	if (err == NULL || errlen == 0) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	if (path == NULL || path[0] == '\0' ||
	    strlen(path) >= sizeof(s->path)) {
		snprintf(err, errlen, "socket path must be 1..%zu bytes",
			 sizeof(s->path) - 1);
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->fd = -1;
	s->loop = loop;
	s->ctx = ctx;
	s->timeout_ms = LB_MGMT_CLIENT_TIMEOUT_MS;
	snprintf(s->path, sizeof(s->path), "%s", path);
	s->poll = lb_evloop_timer_add(loop, 0, 0, on_poll, s);
	if (s->poll == NULL)
		snprintf(err, errlen, "poll timer: %s", strerror(errno));
	if (s->poll == NULL || server_listen(s, err, errlen) < 0) {
		lb_evloop_timer_cancel(s->poll);
		if (s->fd >= 0)
			close(s->fd);
		free(s);
		return NULL;
	}
	MGMT_LOG(INFO, "listening on %s", s->path);
	return s;
}

void
lb_mgmt_server_set_timeout_ms(struct lb_mgmt_server *s, uint64_t ms)
{
	s->timeout_ms = ms;
}

size_t
lb_mgmt_server_answer_bytes(const struct lb_mgmt_server *s)
{
	return s->answer_bytes;
}

void
lb_mgmt_server_destroy(struct lb_mgmt_server *s)
{
	struct stat st;
	unsigned int i;

	if (s == NULL)
		return;
	for (i = 0; i < LB_MGMT_MAX_CLIENTS; i++)
		if (s->clients[i] != NULL)
			client_close(s->clients[i]);
	lb_evloop_timer_cancel(s->poll);
	lb_evloop_del_fd(s->h);
	close(s->fd);
	/* Another daemon may have replaced the file since: leave its socket. */
	if (stat(s->path, &st) == 0 && st.st_ino == s->ino)
		unlink(s->path);
	free(s);
}
