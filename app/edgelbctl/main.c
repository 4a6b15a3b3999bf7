/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * edgelbctl: send one command to edgelbd's management socket and print the
 * answer, as tables for people or as the daemon's JSON (-j) for scripts.
 *
 * Exit status: 0 ok, 1 the daemon answered an error (or a selftest
 * failed), 2 usage or connection error. Depends on jansson and libc only.
 */
#include <errno.h>
#include <limits.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#define DEFAULT_SOCKET "/run/edgelb/edgelb.sock"
/* Longer than the daemon's own client deadline (5 s): the daemon answers
 * or cuts a request off before edgelbctl gives up on it. */
#define DEFAULT_TIMEOUT_S 10.0
#define LOOKUP_MAX_LINES 1000
#define REQ_MAX (256 * 1024)       /* the daemon's LB_MGMT_REQ_MAX */
#define EXIT_DAEMON_ERROR 1
#define EXIT_USAGE 2

struct buf {
	char *p;
	size_t len;
	size_t cap;
};

static const char *prog = "edgelbctl";

static void
die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(EXIT_USAGE);
}

static void
usage(FILE *out)
{
	fprintf(out,
		"usage: %s [-s SOCKET] [-j] [-t TIMEOUT_S] COMMAND [ARGS...]\n"
		"  -s SOCKET    management socket (default $EDGELB_SOCKET or "
		DEFAULT_SOCKET ")\n"
		"  -j           print the daemon's JSON answer\n"
		"  -t TIMEOUT_S give up after this many seconds (default 10)\n"
		"commands (\"%s help\" lists them with what they do):\n"
		"  read:   help, version, status, stats [--per-core [--reset-max]],\n"
		"          vips, backends [VIP], health [BACKEND],\n"
		"          flows [--limit N] [--after CURSOR] (a page; its next is\n"
		"          the CURSOR of the following one),\n"
		"          lookup PROTO SRC_IP SRC_PORT DST_IP DST_PORT,\n"
		"          lookup - (tuples on standard input, at most %d),\n"
		"          config, check FILE, diff FILE, history [N], alerts,\n"
		"          selftest [VIP] [--flows N] [--seed S] (exit 1 if it fails)\n"
		"  change: reload [FILE], weight BACKEND N, drain BACKEND,\n"
		"          disable BACKEND, enable BACKEND, rollback [GENERATION],\n"
		"          apply FILE [--confirm-within SECONDS], confirm;\n"
		"          each but confirm takes --force (admin: apply even if\n"
		"          the policy refuses it)\n",
		prog, prog, LOOKUP_MAX_LINES);
}

static void
buf_append(struct buf *b, const char *p, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;

		while (cap < b->len + n + 1)
			cap *= 2;
		b->p = realloc(b->p, cap);
		if (b->p == NULL)
			die("out of memory");
		b->cap = cap;
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static int
blank(const char *s)
{
	return s[strspn(s, " \t\r\n\v\f")] == '\0';
}

/* "lookup -": the tuples follow the command line, one per line. */
static void
append_stdin(struct buf *req)
{
	char *line = NULL;
	size_t cap = 0, lines = 0;
	ssize_t n;

	while ((n = getline(&line, &cap, stdin)) > 0) {
		if (!blank(line) && ++lines > LOOKUP_MAX_LINES)
			die("more than %d tuples on standard input",
			    LOOKUP_MAX_LINES);
		buf_append(req, line, (size_t)n);
		if (line[n - 1] != '\n')
			buf_append(req, "\n", 1);
		if (req->len > REQ_MAX)
			die("standard input too large (at most %d bytes)",
			    REQ_MAX);
	}
	free(line);
}

/* The daemon reads FILE itself, from its own working directory: give it
 * the absolute path of the file the user means (the first word after the
 * command, options aside). */
static const char *
file_arg(int argc, char **argv, int i, char *abs)
{
	static const char *const takes_file[] = { "reload", "diff", "apply",
						  "check" };
	size_t k;

	for (k = 0; k < sizeof(takes_file) / sizeof(takes_file[0]); k++)
		if (strcmp(argv[0], takes_file[k]) == 0)
			break;
	if (i != 1 || argc < 2 || argv[1][0] == '/' || argv[1][0] == '-' ||
	    k == sizeof(takes_file) / sizeof(takes_file[0]))
		return argv[i];
	if (realpath(argv[i], abs) == NULL)
		die("%s: %s", argv[1], strerror(errno));
	return abs;
}

static void
build_request(struct buf *req, int argc, char **argv)
{
	char abs[PATH_MAX];
	const char *w;
	int i;

	for (i = 0; i < argc; i++) {
		if (i > 0)
			buf_append(req, " ", 1);
		w = file_arg(argc, argv, i, abs);
		buf_append(req, w, strlen(w));
	}
	buf_append(req, "\n", 1);
	if (argc == 2 && strcmp(argv[0], "lookup") == 0 &&
	    strcmp(argv[1], "-") == 0)
		append_stdin(req);
}

static int
connect_to(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		die("socket path too long: %s", path);
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		die("cannot connect to %s: %s (is edgelbd running?)", path,
		    strerror(errno));
	return fd;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Wait for @p events until @p deadline; dies on timeout. */
static void
wait_fd(int fd, short events, double deadline)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	double left;
	int rc;

	for (;;) {
		left = deadline - now_s();
		if (left <= 0)
			die("timed out waiting for the daemon");
		rc = poll(&pfd, 1, (int)(left * 1000) + 1);
		if (rc > 0)
			return;
		if (rc < 0 && errno != EINTR)
			die("poll: %s", strerror(errno));
	}
}

static void
send_request(int fd, const struct buf *req, double deadline)
{
	size_t off = 0;
	ssize_t n;

	while (off < req->len) {
		wait_fd(fd, POLLOUT, deadline);
		n = send(fd, req->p + off, req->len - off,
			 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0)
			off += (size_t)n;
		else if (n < 0 && errno != EINTR && errno != EAGAIN)
			break;  /* refused early: the answer says why */
	}
	shutdown(fd, SHUT_WR);
}

static void
read_answer(int fd, struct buf *ans, double deadline)
{
	char chunk[65536];
	ssize_t n;

	for (;;) {
		wait_fd(fd, POLLIN, deadline);
		n = recv(fd, chunk, sizeof(chunk), MSG_DONTWAIT);
		if (n > 0) {
			buf_append(ans, chunk, (size_t)n);
			continue;
		}
		if (n == 0)
			return;
		if (errno == EINTR || errno == EAGAIN)
			continue;
		/* A refusal closes early; the line already read is the answer. */
		if (errno == ECONNRESET && ans->len > 0 &&
		    ans->p[ans->len - 1] == '\n')
			return;
		die("reading the answer: %s", strerror(errno));
	}
}

/* ---- human output ---- */

struct table {
	unsigned int ncols;
	size_t nrows;
	char **cells;               /* nrows * ncols */
};

static void
table_init(struct table *t, unsigned int ncols)
{
	t->ncols = ncols;
	t->nrows = 0;
	t->cells = NULL;
}

/* Add a row of ncols strings (copied). */
static void
table_add(struct table *t, ...)
{
	va_list ap;
	unsigned int i;
	const char *s;

	t->cells = realloc(t->cells, (t->nrows + 1) * t->ncols *
			   sizeof(*t->cells));
	if (t->cells == NULL)
		die("out of memory");
	va_start(ap, t);
	for (i = 0; i < t->ncols; i++) {
		s = va_arg(ap, const char *);
		t->cells[t->nrows * t->ncols + i] = strdup(s ? s : "-");
	}
	va_end(ap);
	t->nrows++;
}

static void
table_free(struct table *t)
{
	size_t r;

	for (r = 0; r < t->nrows * t->ncols; r++)
		free(t->cells[r]);
	free(t->cells);
}

/* "-", "12", "3.5" or "16.67%": not an address like "10.0.0.1". */
static int
numeric(const char *s)
{
	size_t n = strspn(s, "0123456789");

	if (strcmp(s, "-") == 0)
		return 1;
	if (n == 0)
		return 0;
	if (s[n] == '.')
		n += 1 + strspn(s + n + 1, "0123456789");
	if (s[n] == '%')
		n++;
	return s[n] == '\0';
}

/* Columns whose every cell is a number are right-aligned. */
static void
table_print(struct table *t)
{
	size_t w[32] = { 0 }, r, len;
	int right[32];
	unsigned int c;
	const char *s;

	for (c = 0; c < t->ncols && c < 32; c++) {
		right[c] = t->nrows > 1;
		for (r = 0; r < t->nrows; r++) {
			s = t->cells[r * t->ncols + c];
			len = strlen(s);
			w[c] = len > w[c] ? len : w[c];
			if (r > 0 && !numeric(s))
				right[c] = 0;
		}
	}
	for (r = 0; r < t->nrows; r++) {
		for (c = 0; c < t->ncols && c < 32; c++) {
			s = t->cells[r * t->ncols + c];
			if (c + 1 == t->ncols && !right[c])
				printf("%s", s);
			else
				printf(right[c] ? "%*s" : "%-*s", (int)w[c], s);
			if (c + 1 < t->ncols)
				printf("  ");
		}
		printf("\n");
	}
	table_free(t);
	t->cells = NULL;
	t->nrows = 0;
}

/* A JSON value as a table cell; rotates over a few buffers. */
static const char *
str(const json_t *v)
{
	static char bufs[16][256];
	static unsigned int next;
	char *b = bufs[next++ % 16];

	if (json_is_string(v))
		snprintf(b, 256, "%s", json_string_value(v));
	else if (json_is_integer(v))
		snprintf(b, 256, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	else if (json_is_real(v))
		snprintf(b, 256, "%g", json_real_value(v));
	else if (json_is_true(v))
		snprintf(b, 256, "yes");
	else if (json_is_false(v))
		snprintf(b, 256, "no");
	else
		snprintf(b, 256, "-");
	return b;
}

static const char *
field(const json_t *o, const char *key)
{
	return str(json_object_get(o, key));
}

/* A number formatted for a table cell; four live at once per row. */
static const char *
number(const char *fmt, double v)
{
	static char bufs[4][32];
	static unsigned int next;
	char *b = bufs[next++ % 4];

	snprintf(b, 32, fmt, v);
	return b;
}

/* Microseconds, one decimal: loop times. */
static const char *
micros(const json_t *o, const char *key)
{
	return number("%.1f", json_number_value(json_object_get(o, key)));
}

static const char *
percent(const json_t *o, const char *key)
{
	return number("%.2f%%",
		      100.0 * json_number_value(json_object_get(o, key)));
}

static const char *
endpoint(const json_t *o, const char *addr, const char *port)
{
	static char bufs[4][64];
	static unsigned int next;
	char *b = bufs[next++ % 4];

	snprintf(b, 64, "%s:%s", field(o, addr), field(o, port));
	return b;
}

/* "reason=N reason=N" for the non-zero drops, or "0". */
static const char *
nonzero_drops(const json_t *drops)
{
	static char b[1024];
	const char *k;
	json_t *v;
	size_t n = 0;

	b[0] = '\0';
	json_object_foreach((json_t *)drops, k, v) {
		if (json_integer_value(v) == 0 || n >= sizeof(b))
			continue;
		n += (size_t)snprintf(b + n, sizeof(b) - n, "%s%s=%s",
				      n ? " " : "", k, str(v));
	}
	return n ? b : "0";
}

static void
print_kv(const json_t *o, const char *const *keys, const char *const *labels)
{
	unsigned int i;

	for (i = 0; keys[i] != NULL; i++)
		printf("%-14s %s\n", labels ? labels[i] : keys[i],
		       field(o, keys[i]));
}

/* "FILE:LINE: message" of a policy finding. */
static const char *
finding(const json_t *f)
{
	static char b[768];
	const char *where = field(f, "where");

	if (strcmp(where, "-") != 0 && where[0] != '\0')
		snprintf(b, sizeof(b), "%s: %s", where, field(f, "message"));
	else
		snprintf(b, sizeof(b), "%s", field(f, "message"));
	return b;
}

/* What the running generation breaks, and the confirmation awaited. */
static void
print_policy_status(const json_t *a)
{
	const json_t *pol = json_object_get(a, "policy");
	const json_t *p = json_object_get(a, "pending_confirm");
	size_t i;
	json_t *v;

	json_array_foreach(json_object_get(pol, "violations"), i, v)
		printf("\nWARNING: policy violation (generation %s): %s",
		       field(pol, "generation"), finding(v));
	json_array_foreach(json_object_get(pol, "warnings"), i, v)
		printf("\npolicy warning: %s", finding(v));
	if (json_is_object(p))
		printf("\nPENDING: generation %s awaits \"confirm\" until %s "
		       "(%s s left), else it rolls back to generation %s's "
		       "configuration", field(p, "generation"),
		       field(p, "deadline"), field(p, "seconds_left"),
		       field(p, "restores"));
}

static void
print_status(const json_t *a)
{
	static const char *const keys[] = { "version", "pid", "uptime_s",
		"config", "generation", "generation_time",
		"generation_command", "differs_from_file", "runtime_changes",
		"hash_key", "vips", "backends", NULL };
	const json_t *audit = json_object_get(a, "audit_log");
	const json_t *by = json_object_get(a, "generation_by");
	struct table t;
	size_t i;
	json_t *v;

	print_kv(a, keys, NULL);
	printf("%-14s %s", "generation_by", field(by, "kind"));
	if (json_object_get(by, "uid") != NULL)
		printf(" uid %s pid %s (%s)", field(by, "uid"), field(by, "pid"),
		       field(by, "comm"));
	printf("\n%-14s %s (%s)\n", "audit_log", field(audit, "path"),
	       json_is_true(json_object_get(audit, "ok")) ? "ok" :
	       field(audit, "error"));
	printf("%-14s", "workers");
	json_array_foreach(json_object_get(a, "workers"), i, v)
		printf(" lcore %s", str(v));
	json_array_foreach(json_object_get(a, "pools_all_down"), i, v)
		printf("\nWARNING: every backend of pool %s is down: %s",
		       field(v, "pool"), field(v, "policy"));
	print_policy_status(a);
	printf("\n\n");
	table_init(&t, 8);
	table_add(&t, "PORT", "DEVICE", "PORT_ID", "MAC", "ADDRESS", "GATEWAY",
		  "KERNEL_IF", "IFINDEX");
	json_array_foreach(json_object_get(a, "ports"), i, v)
		table_add(&t, field(v, "name"), field(v, "device"),
			  field(v, "port_id"), field(v, "mac"),
			  field(v, "address"), field(v, "gateway"),
			  field(v, "kernel_interface"),
			  field(v, "kernel_ifindex"));
	table_print(&t);
	printf("\n");
	table_init(&t, 4);
	table_add(&t, "NEIGHBOUR", "PORT", "MAC", "RESOLVED");
	json_array_foreach(json_object_get(a, "neighbours"), i, v)
		table_add(&t, field(v, "address"), field(v, "port"),
			  field(v, "mac"), field(v, "resolved"));
	table_print(&t);
	printf("\n");
	table_init(&t, 4);
	table_add(&t, "POOL", "TABLE_SIZE", "MEMBERS", "FINGERPRINT");
	json_array_foreach(json_object_get(a, "pools"), i, v)
		table_add(&t, field(v, "name"), field(v, "table_size"),
			  field(v, "members"), field(v, "fingerprint"));
	table_print(&t);
}

static void
print_totals(const json_t *tot)
{
	printf("totals: rx_packets %s  tx_packets %s  new_flows %s  drops %s\n",
	       field(tot, "rx_packets"), field(tot, "tx_packets"),
	       field(tot, "new_flows"), field(tot, "drops"));
}

static void
print_stats(const json_t *a)
{
	const char *k;
	struct table t;
	size_t i;
	json_t *v, *d;

	json_array_foreach(json_object_get(a, "ports"), i, v) {
		printf("port %s\n", field(v, "name"));
		/* The daemon's counter table decides which and in what
		 * order: no list to keep in step here. */
		json_object_foreach(v, k, d)
			if (json_is_integer(d))
				printf("  %-27s %s\n", k, str(d));
		json_object_foreach(json_object_get(v, "drops"), k, d)
			if (json_integer_value(d) != 0)
				printf("  drop %-22s %s\n", k, str(d));
	}
	printf("\n");
	table_init(&t, 7);
	table_add(&t, "VIP", "PROTO", "ADDRESS", "PORT", "PACKETS", "BYTES",
		  "NEW_FLOWS");
	json_array_foreach(json_object_get(a, "vips"), i, v)
		table_add(&t, field(v, "name"), field(v, "protocol"),
			  field(v, "address"), field(v, "port"),
			  field(v, "packets"), field(v, "bytes"),
			  field(v, "new_flows"));
	table_print(&t);
	printf("\nflows:");
	json_object_foreach(json_object_get(a, "flows"), k, v)
		printf(" %s %s", k, str(v));
	printf("\nkernel:");
	json_object_foreach(json_object_get(a, "kernel"), k, v)
		printf(" %s %s", k, str(v));
	printf("\n");
	print_totals(json_object_get(a, "totals"));
}

static void
print_per_core(const json_t *a)
{
	struct table t;
	size_t i;
	json_t *v;

	table_init(&t, 12);
	table_add(&t, "WORKER", "LCORE", "RX_PACKETS", "TX_PACKETS",
		  "NEW_FLOWS", "FLOWS", "CAPACITY", "LOOPS", "IDLE_LOOPS",
		  "MAX_LOOP_US", "SWAP_LOOP_US", "DROPS");
	json_array_foreach(json_object_get(a, "workers"), i, v)
		table_add(&t, field(v, "worker"), field(v, "lcore"),
			  field(v, "rx_packets"), field(v, "tx_packets"),
			  field(v, "new_flows"), field(v, "flow_table_entries"),
			  field(v, "flow_table_capacity"), field(v, "loops"),
			  field(v, "idle_loops"), micros(v, "busy_loop_max_us"),
			  micros(v, "swap_loop_last_us"),
			  nonzero_drops(json_object_get(v, "drops")));
	table_print(&t);
	print_totals(json_object_get(a, "totals"));
}

static void
print_backends(const json_t *a)
{
	struct table t;
	size_t i;
	json_t *v;

	table_init(&t, 11);
	table_add(&t, "VIP", "BACKEND", "ADDRESS", "WEIGHT", "STATE",
		  "HEALTH", "EXPECTED", "OBSERVED", "NEW_FLOWS", "PACKETS",
		  "BYTES");
	json_array_foreach(a, i, v)
		table_add(&t, field(v, "vip"), field(v, "name"),
			  field(v, "address"), field(v, "weight"),
			  field(v, "state"), field(v, "health"),
			  percent(v, "expected_share"),
			  percent(v, "observed_share"), field(v, "new_flows"),
			  field(v, "packets"), field(v, "bytes"));
	table_print(&t);
	/* Why a backend is not plainly up: said once, under the table. */
	json_array_foreach(a, i, v)
		if (*field(v, "reason") != '\0' &&
		    (i == 0 || strcmp(field(v, "name"), field(
			json_array_get(a, i - 1), "name")) != 0))
			printf("  %s: %s\n", field(v, "name"), field(v, "reason"));
	/* Each pool's table fingerprint, once: equal on every box whose
	 * table is equal. */
	json_array_foreach(a, i, v) {
		size_t j;

		for (j = 0; j < i; j++)
			if (!strcmp(field(v, "pool"), field(json_array_get(a, j),
							    "pool")))
				break;
		if (j == i &&
		    json_is_string(json_object_get(v, "pool_fingerprint")))
			printf("pool %s: fingerprint %s\n", field(v, "pool"),
			       field(v, "pool_fingerprint"));
	}
}

/* One backend's checks: settings, state, the last results. */
static void
print_health_one(const json_t *a)
{
	static const char *const keys[] = { "name", "pool", "address",
		"kind", "port", "path", "host", "expect", "interval_ms",
		"timeout_ms", "rise", "fall", "health", "since", "checked_at",
		"last_result", "last_latency_ms", "consecutive",
		"consecutive_kind", "checks", "failures", NULL };
	struct table t;
	size_t i;
	json_t *v;

	print_kv(a, keys, NULL);
	printf("\n");
	table_init(&t, 4);
	table_add(&t, "AT", "OK", "MS", "RESULT");
	json_array_foreach(json_object_get(a, "latencies"), i, v)
		table_add(&t, field(v, "at"), field(v, "ok"), field(v, "ms"),
			  field(v, "result"));
	table_print(&t);
}

static void
print_health(const json_t *a)
{
	const json_t *c = json_object_get(a, "checker");
	struct table t;
	size_t i;
	json_t *v;

	if (json_object_get(a, "latencies") != NULL) {
		print_health_one(a);
		return;
	}
	printf("checker: %s backends, %s checks, %s in flight, start late "
	       "p99 %s ms (max %s ms)\n\n", field(c, "backends_checked"),
	       field(c, "checks"), field(c, "in_flight"),
	       field(c, "late_p99_ms"), field(c, "late_max_ms"));
	table_init(&t, 8);
	table_add(&t, "BACKEND", "POOL", "HEALTH", "SINCE", "CHECKED_AT",
		  "LAST_RESULT", "LATENCY_MS", "CONSECUTIVE");
	json_array_foreach(json_object_get(a, "backends"), i, v)
		table_add(&t, field(v, "name"), field(v, "pool"),
			  field(v, "health"), field(v, "since"),
			  field(v, "checked_at"), field(v, "last_result"),
			  field(v, "last_latency_ms"), field(v, "consecutive"));
	table_print(&t);
}

static void
print_flows(const json_t *a)
{
	struct table t;
	size_t i;
	json_t *v, *list = json_object_get(a, "flows");

	table_init(&t, 8);
	table_add(&t, "WORKER", "PROTO", "SOURCE", "DESTINATION", "VIP",
		  "BACKEND", "STATE", "IDLE_MS");
	json_array_foreach(list, i, v)
		table_add(&t, field(v, "worker"), field(v, "protocol"),
			  endpoint(v, "src", "src_port"),
			  endpoint(v, "dst", "dst_port"), field(v, "vip"),
			  field(v, "backend"), field(v, "state"),
			  field(v, "idle_ms"));
	table_print(&t);
	printf("%zu of %s flows shown\n", json_array_size(list),
	       field(a, "total"));
	if (json_is_string(json_object_get(a, "next")))
		printf("next page: flows --after %s\n", field(a, "next"));
}

/* Why it goes there: the scheduler's reason, why a held flow moves, or
 * the held flow's state (embryonic, established, ...). */
static const char *
lookup_note(const json_t *v)
{
	static const char *const keys[] = { "reason", "rescheduled", "state" };
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (json_is_string(json_object_get(v, keys[i])))
			return field(v, keys[i]);
	return "";
}

static void
lookup_row(struct table *t, const json_t *v, size_t index)
{
	char line[32], note[512];

	if (json_object_get(v, "error") != NULL) {
		if (json_object_get(v, "line") != NULL)
			snprintf(line, sizeof(line), "%s", field(v, "line"));
		else
			snprintf(line, sizeof(line), "%zu", index);
		snprintf(note, sizeof(note), "line %s: %s", line,
			 field(v, "error"));
		table_add(t, "-", "-", "-", "-", "-", "-", "-", "-", note);
		return;
	}
	table_add(t, field(v, "protocol"), endpoint(v, "src", "src_port"),
		  endpoint(v, "dst", "dst_port"), field(v, "vip"),
		  field(v, "backend"), field(v, "backend_address"),
		  field(v, "source"), field(v, "worker"), lookup_note(v));
}

static void
print_lookup(const json_t *a)
{
	struct table t;
	size_t i;
	json_t *v;

	table_init(&t, 9);
	table_add(&t, "PROTO", "SOURCE", "DESTINATION", "VIP", "BACKEND",
		  "ADDRESS", "VIA", "WORKER", "NOTE");
	if (json_is_array(a)) {
		json_array_foreach(a, i, v)
			lookup_row(&t, v, i + 1);
	} else {
		lookup_row(&t, a, 1);
	}
	table_print(&t);
}

static void
print_help(const json_t *a)
{
	size_t i;
	json_t *v;

	json_array_foreach(json_object_get(a, "commands"), i, v)
		printf("%s\n    %s\n", field(v, "usage"), field(v, "summary"));
}

static void
print_vips(const json_t *a)
{
	struct table t;
	size_t i;
	json_t *v;

	table_init(&t, 8);
	table_add(&t, "VIP", "ID", "PROTO", "ADDRESS", "PORT", "MODE", "POOL",
		  "ON_REMOVE");
	json_array_foreach(json_object_get(a, "vips"), i, v)
		table_add(&t, field(v, "name"), field(v, "id"),
			  field(v, "protocol"), field(v, "address"),
			  field(v, "port"), field(v, "mode"), field(v, "pool"),
			  field(v, "on_remove"));
	table_print(&t);
}

static void print_change_policy(const json_t *a);

/* What a change changed (or would): generations, keys, backends,
 * discarded. */
static void
print_change_core(const json_t *a)
{
	struct table t;
	size_t i;
	json_t *v;

	if (json_object_get(a, "generation_before") != NULL)
		printf("generation %s -> %s\n", field(a, "generation_before"),
		       field(a, "generation"));
	else
		printf("would change generation %s:\n", field(a, "generation"));
	json_array_foreach(json_object_get(a, "changes"), i, v)
		printf("  [%s] %s: %s -> %s\n", field(v, "section"),
		       field(v, "key"), field(v, "old"), field(v, "new"));
	table_init(&t, 7);
	table_add(&t, "BACKEND", "ID", "CHANGE", "WEIGHT", "STATE",
		  "EXPECTED_OLD", "EXPECTED_NEW");
	json_array_foreach(json_object_get(a, "backends"), i, v) {
		char w[48], st[48];

		snprintf(w, sizeof(w), "%s", field(v, "weight_old"));
		snprintf(w + strlen(w), sizeof(w) - strlen(w), " -> %s",
			 field(v, "weight_new"));
		snprintf(st, sizeof(st), "%s", field(v, "state_old"));
		snprintf(st + strlen(st), sizeof(st) - strlen(st), " -> %s",
			 field(v, "state_new"));
		table_add(&t, field(v, "name"), field(v, "id"),
			  field(v, "change"), w, st,
			  percent(v, "share_old"), percent(v, "share_new"));
	}
	if (json_array_size(json_object_get(a, "backends")) > 0)
		table_print(&t);
	else
		table_free(&t);
	json_array_foreach(json_object_get(a, "discarded"), i, v)
		printf("discarded runtime change (generation %s): %s\n",
		       field(v, "generation"), field(v, "command"));
}

static void
print_change(const json_t *a)
{
	print_change_core(a);
	print_change_policy(a);
}

/* A share in percent as the policy reports it (0..100), "-" if null. */
static const char *
pct(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	return json_is_number(v) ? number("%.2f%%", json_number_value(v)) :
				   "-";
}

/* "10", or "10 (table 1)" while a slow start ramps it (out of the table,
 * its table weight is 0 and the state column says why). */
static const char *
weight_cell(const json_t *b)
{
	const json_t *tw = json_object_get(b, "table_weight");
	static char buf[64];

	snprintf(buf, sizeof(buf), "%s", field(b, "weight"));
	if (json_integer_value(tw) > 0 &&
	    !json_equal(json_object_get(b, "weight"), tw))
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf),
			 " (table %s)", field(b, "table_weight"));
	return buf;
}

/* Per VIP of a check report: each backend's share now and with FILE,
 * and what the policy judges it by. */
static void
print_shares(const json_t *vips)
{
	const json_t *v, *b;
	struct table t;
	size_t i, j;

	json_array_foreach(vips, i, v) {
		printf("%svip %s %s %s:%s pool %s fingerprint %s\n",
		       i > 0 ? "\n" : "", field(v, "name"),
		       field(v, "protocol"), field(v, "address"),
		       field(v, "port"), field(v, "pool"),
		       field(v, "fingerprint"));
		table_init(&t, 9);
		table_add(&t, "BACKEND", "ADDRESS", "WEIGHT", "STATE",
			  "MAX_SHARE", "SHARE_NOW", "EXPECTED",
			  "WORST_1_DOWN", "WHEN_DOWN");
		json_array_foreach(json_object_get(v, "backends"), j, b) {
			char ms[16] = "-";

			if (json_is_integer(json_object_get(b, "max_share")))
				snprintf(ms, sizeof(ms), "%s%%",
					 field(b, "max_share"));
			table_add(&t, field(b, "name"), field(b, "address"),
				  weight_cell(b), field(b, "state"), ms,
				  pct(b, "share_before"),
				  pct(b, "expected_share"),
				  pct(b, "worst_share_one_down"),
				  field(b, "worst_when_down"));
		}
		table_print(&t);
	}
}

/* "FILE:LINE: violation [code] message" */
static void
print_finding(const json_t *f)
{
	printf("%s: %s [%s] %s\n", field(f, "where"), field(f, "severity"),
	       field(f, "code"), field(f, "message"));
}

static void
print_check(const json_t *a)
{
	size_t i;
	json_t *f;

	printf("check %s against the running generation %s\n\n",
	       field(a, "file"), field(a, "generation"));
	print_shares(json_object_get(a, "vips"));
	if (json_array_size(json_object_get(a, "findings")) > 0)
		printf("\n");
	json_array_foreach(json_object_get(a, "findings"), i, f)
		print_finding(f);
	printf("\ncheck: %s\n", json_is_true(json_object_get(a, "ok")) ?
	       "OK" : "REFUSED: a reload of this file would be refused by "
	       "the policy (--force overrides)");
	printf("%s violation(s), %s warning(s)\n", field(a, "violations"),
	       field(a, "warnings"));
}

static void
print_diff(const json_t *a)
{
	const json_t *f;
	const char *k;
	size_t i;

	print_change_core(a);
	printf("\n");
	print_shares(json_object_get(a, "vips"));
	json_object_foreach((json_t *)json_object_get(a, "fingerprints"), k, f)
		if (!json_equal(json_object_get(f, "old"),
				json_object_get(f, "new")))
			printf("pool %s fingerprint %s -> %s\n", k,
			       field(f, "old"), field(f, "new"));
	json_array_foreach(json_object_get(a, "violations"), i, f)
		print_finding(f);
	json_array_foreach(json_object_get(a, "warnings"), i, f)
		print_finding(f);
	if (json_is_true(json_object_get(a, "refused")))
		printf("a reload of this file would be REFUSED by the policy "
		       "(%zu violation(s); --force overrides)\n",
		       json_array_size(json_object_get(a, "violations")));
}

/*
 * A what-if whose file the policy refuses exits 1 like an error, so that
 * a pipeline stops (check: "ok" false; diff: "refused").
 */
static int
refused_whatif(const char *cmd, const json_t *a)
{
	if (strcmp(cmd, "check") == 0)
		return json_is_false(json_object_get(a, "ok"));
	if (strcmp(cmd, "diff") == 0)
		return json_is_true(json_object_get(a, "refused"));
	return 0;
}

/* Findings of a change, what --force overrode, a pending confirmation. */
static void
print_change_policy(const json_t *a)
{
	const json_t *c = json_object_get(a, "confirm");
	size_t i;
	json_t *v;

	json_array_foreach(json_object_get(a, "overridden"), i, v)
		printf("FORCED over policy violation: %s\n", finding(v));
	json_array_foreach(json_object_get(a, "violations"), i, v)
		printf("WARNING: policy violation: %s\n", finding(v));
	json_array_foreach(json_object_get(a, "warnings"), i, v)
		printf("policy warning: %s\n", finding(v));
	if (json_object_get(a, "cancels_pending") != NULL)
		printf("generation %s no longer awaits confirmation\n",
		       field(a, "cancels_pending"));
	if (json_is_object(c))
		printf("generation %s rolls back to generation %s's "
		       "configuration at %s unless \"confirm\" comes first "
		       "(within %s s)\n", field(c, "generation"),
		       field(c, "restores"), field(c, "deadline"),
		       field(c, "within_s"));
}

static void
print_confirm(const json_t *a)
{
	printf("generation %s confirmed (running: generation %s)\n",
	       field(a, "confirmed"), field(a, "generation"));
}

/* A table cell of at most @p max characters ("..." at the end if cut):
 * the whole text is in the JSON (-j). Edits @p s, a str() buffer. */
#define HISTORY_COMMAND_MAX 72

static const char *
clipped(const char *s, size_t max)
{
	char *t = (char *)(uintptr_t)s;

	if (strlen(t) > max && max > 3)
		strcpy(t + max - 3, "...");
	return t;
}

static void
print_history(const json_t *a)
{
	struct table t;
	size_t i;
	json_t *v;

	table_init(&t, 6);
	table_add(&t, "TIME", "GENERATION", "WHO", "RESULT", "COMMAND",
		  "ERROR");
	json_array_foreach(json_object_get(a, "history"), i, v) {
		const json_t *w = json_object_get(v, "who");
		char gen[48], who[64];

		snprintf(gen, sizeof(gen), "%s", field(v, "generation_before"));
		snprintf(gen + strlen(gen), sizeof(gen) - strlen(gen),
			 " -> %s", field(v, "generation"));
		snprintf(who, sizeof(who), "%s", field(w, "kind"));
		if (json_object_get(w, "uid") != NULL)
			snprintf(who + strlen(who), sizeof(who) - strlen(who),
				 " uid %s (%s)", field(w, "uid"),
				 field(w, "comm"));
		table_add(&t, field(v, "time"), gen, who, field(v, "result"),
			  clipped(field(v, "command"), HISTORY_COMMAND_MAX),
			  json_object_get(v, "error") ? field(v, "error") : "");
	}
	table_print(&t);
}

/* A share in percent already (alerts), or "-" when null. */
static const char *
share_cell(const json_t *o, const char *key, char *buf, size_t n)
{
	const json_t *v = json_object_get(o, key);

	if (!json_is_number(v))
		return "-";
	snprintf(buf, n, "%.2f%%", json_number_value(v));
	return buf;
}

/* The change an alert names: "G: command (who, time)". */
static const char *
change_cell(const json_t *c, char *buf, size_t n)
{
	if (!json_is_object(c))
		return "-";
	snprintf(buf, n, "%s: %s (%s, %s)", field(c, "generation"),
		 clipped(field(c, "command"), 40), field(c, "who"),
		 field(c, "time"));
	return buf;
}

static void
print_alerts(const json_t *a)
{
	char obs[32], exp[32], intd[32], chg[256];
	struct table t;
	size_t i;
	json_t *v;

	table_init(&t, 11);
	table_add(&t, "STATE", "ALERT", "VIP", "POOL", "BACKEND", "WORKER",
		  "OBSERVED", "EXPECTED", "INTENDED", "FLOWS", "CHANGE");
	json_array_foreach(json_object_get(a, "alerts"), i, v)
		table_add(&t, field(v, "state"), field(v, "alertname"),
			  field(v, "vip"), field(v, "pool"), field(v, "backend"),
			  field(v, "worker"),
			  share_cell(v, "observed_share", obs, sizeof(obs)),
			  share_cell(v, "expected_share", exp, sizeof(exp)),
			  share_cell(v, "intended_share", intd, sizeof(intd)),
			  field(v, "sample"),
			  change_cell(json_object_get(v, "change"), chg,
				      sizeof(chg)));
	table_print(&t);
	json_array_foreach(json_object_get(a, "alerts"), i, v)
		printf("  %s %s (pending since %s): %s\n    runbook: %s\n",
		       field(v, "alertname"), field(v, "state"),
		       field(v, "since"), field(v, "summary"),
		       field(v, "runbook"));
	printf("%s firing, %s pending; window %s s, for %s s\n",
	       field(a, "firing"), field(a, "pending"), field(a, "window_s"),
	       field(a, "for_s"));
}

static void
print_config(const json_t *a)
{
	const char *ini = json_string_value(json_object_get(a, "ini"));

	fputs(ini != NULL ? ini : "", stdout);
}

static void
print_version(const json_t *a)
{
	printf("edgelbd %s (DPDK %s)%s\n", field(a, "version"),
	       field(a, "dpdk"),
	       json_is_true(json_object_get(a, "test_faults")) ?
	       " TEST BUILD with fault injection: never deploy it" : "");
}

/* One row per worker and backend; a worker's disagreements with worker 0
 * on its first row. */
static void
selftest_vip(const json_t *v)
{
	struct table t;
	size_t i, j;
	json_t *w, *b;

	printf("\nVIP %s (pool %s): %s\n", field(v, "vip"), field(v, "pool"),
	       json_is_true(json_object_get(v, "passed")) ? "passed" :
							    "FAILED");
	table_init(&t, 9);
	table_add(&t, "WORKER", "BACKEND", "EXPECTED", "BOUND", "COUNT",
		  "SHARE", "SD", "DISAGREE_W0", "RESULT");
	json_array_foreach(json_object_get(v, "workers"), i, w) {
		json_array_foreach(json_object_get(w, "backends"), j, b) {
			const json_t *sd = json_object_get(b, "deviation_sd");

			table_add(&t, field(w, "worker"), field(b, "backend"),
				  percent(b, "expected_share"),
				  number("%.0f", json_number_value(
					json_object_get(b, "bound"))),
				  field(b, "count"), percent(b, "share"),
				  sd != NULL && !json_is_null(sd) ?
				  number("%.1f", json_number_value(sd)) : "-",
				  j == 0 ? field(w, "disagreements") : "",
				  json_is_true(json_object_get(b, "passed")) ?
				  "ok" : "FAIL");
		}
	}
	table_print(&t);
}

static void
print_selftest(const json_t *a)
{
	size_t i;
	json_t *v;

	printf("selftest %s: %s flows per VIP on each of %s worker(s), seed %s, generation %s, %s ms\n",
	       field(a, "result"), field(a, "flows"), field(a, "workers"),
	       field(a, "seed"), field(a, "generation"),
	       field(a, "elapsed_ms"));
	printf("bound: |count - flows*p| <= %s*sqrt(flows*p*(1-p)); every worker's choice of every tuple equals worker 0's\n",
	       field(a, "sd"));
	json_array_foreach(json_object_get(a, "vips"), i, v)
		selftest_vip(v);
}

/* A self-test that ran and failed: why, on stderr; exit status 1. */
static int
selftest_failed(int argc, char **argv, const json_t *a)
{
	size_t i;
	json_t *v;

	if (argc < 1 || strcmp(argv[0], "selftest") != 0 ||
	    !json_is_false(json_object_get(a, "passed")))
		return 0;
	json_array_foreach(json_object_get(a, "failures"), i, v)
		fprintf(stderr, "%s: selftest failed: %s\n", prog, str(v));
	return 1;
}

static void
print_json(const json_t *a)
{
	char *s = json_dumps(a, JSON_INDENT(2));

	if (s != NULL)
		printf("%s\n", s);
	free(s);
}

/* bgp withdraw / announce: the hold and what moved. */
static void
print_bgp_change(const json_t *a)
{
	const json_t *d = json_object_get(a, "bgp");
	size_t i;
	json_t *v;

	printf("hold: %s -> %s\n", field(a, "hold_before"), field(a, "hold"));
	json_array_foreach(json_object_get(d, "announced"), i, v)
		printf("announced %s\n", str(v));
	json_array_foreach(json_object_get(d, "withdrawn"), i, v)
		printf("withdrawn %s: %s\n", field(v, "address"),
		       field(v, "reason"));
}

/* bgp: BIRD, the sessions, the prefixes. */
static void
print_bgp(const json_t *a)
{
	struct table t;
	size_t i;
	json_t *v;

	if (json_object_get(a, "hold_before") != NULL) {
		print_bgp_change(a);
		return;
	}
	printf("hold: %s, local AS %s, router id %s, BIRD pid %s (%s starts), "
	       "has the last change: %s\n\n", field(a, "hold"),
	       field(a, "local_as"), field(a, "router_id"),
	       field(a, "bird_pid"), field(a, "bird_starts"),
	       field(a, "bird_current"));
	table_init(&t, 4);
	table_add(&t, "SESSION", "STATE", "SINCE", "INFO");
	json_array_foreach(json_object_get(a, "sessions"), i, v)
		table_add(&t, field(v, "name"), field(v, "state"),
			  field(v, "since"), field(v, "info"));
	table_print(&t);
	printf("\n");
	table_init(&t, 3);
	table_add(&t, "PREFIX", "ANNOUNCED", "WHY NOT");
	json_array_foreach(json_object_get(a, "prefixes"), i, v)
		table_add(&t, field(v, "prefix"), field(v, "announced"),
			  field(v, "reason"));
	table_print(&t);
}

/* How each command's answer is shown to people; JSON otherwise. */
static const struct {
	const char *cmd;
	void (*print)(const json_t *a);
} printers[] = {
	{ "status", print_status },   { "stats", print_stats },
	{ "backends", print_backends }, { "flows", print_flows },
	{ "health", print_health },
	{ "lookup", print_lookup },   { "help", print_help },
	{ "vips", print_vips },       { "history", print_history },
	{ "config", print_config },   { "version", print_version },
	{ "reload", print_change },   { "weight", print_change },
	{ "drain", print_change },    { "disable", print_change },
	{ "enable", print_change },   { "rollback", print_change },
	{ "diff", print_diff },       { "apply", print_change },
	{ "check", print_check },
	{ "confirm", print_confirm }, { "selftest", print_selftest },
	{ "alerts", print_alerts },
	{ "bgp", print_bgp },
};

static void
print_human(int argc, char **argv, const json_t *a)
{
	size_t i;

	if (strcmp(argv[0], "stats") == 0 && argc > 1) {
		print_per_core(a);
		return;
	}
	for (i = 0; i < sizeof(printers) / sizeof(printers[0]); i++)
		if (strcmp(argv[0], printers[i].cmd) == 0) {
			printers[i].print(a);
			return;
		}
	print_json(a);
}

/* The first error is "error"; a configuration may have many more. */
static void
print_errors(const json_t *a)
{
	const json_t *list = json_object_get(a, "errors");
	size_t i;
	json_t *v;

	if (json_array_size(list) == 0) {
		fprintf(stderr, "%s: %s\n", prog,
			str(json_object_get(a, "error")));
		return;
	}
	json_array_foreach(list, i, v)
		fprintf(stderr, "%s: %s\n", prog, str(v));
}

/* ---- main ---- */

struct opts {
	const char *socket;
	int json;
	double timeout_s;
};

static int
parse_opts(int argc, char **argv, struct opts *o)
{
	char *end;
	int c;

	o->socket = getenv("EDGELB_SOCKET");
	if (o->socket == NULL || o->socket[0] == '\0')
		o->socket = DEFAULT_SOCKET;
	o->json = 0;
	o->timeout_s = DEFAULT_TIMEOUT_S;
	if (argc > 1 && strcmp(argv[1], "--help") == 0) {
		usage(stdout);
		exit(0);
	}
	/* '+': stop at the command, so "stats --per-core" stays its own. */
	while ((c = getopt(argc, argv, "+s:jt:h")) != -1) {
		switch (c) {
		case 's':
			o->socket = optarg;
			break;
		case 'j':
			o->json = 1;
			break;
		case 't':
			errno = 0;
			o->timeout_s = strtod(optarg, &end);
			if (errno || *end != '\0' || !(o->timeout_s > 0) ||
			    o->timeout_s > 86400)
				die("bad timeout \"%s\": expected seconds > 0",
				    optarg);
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			exit(EXIT_USAGE);
		}
	}
	if (optind >= argc) {
		usage(stderr);
		exit(EXIT_USAGE);
	}
	return optind;
}

/*
 * "edgelbctl stats --per-core -j" is a natural thing to type: accept -j and
 * --json after the command too (no command takes them as an argument).
 */
static int
take_trailing_json(int argc, char **argv, int first, struct opts *o)
{
	int i, n = first;

	for (i = first; i < argc; i++) {
		if (i > first && (strcmp(argv[i], "-j") == 0 ||
				  strcmp(argv[i], "--json") == 0))
			o->json = 1;
		else
			argv[n++] = argv[i];
	}
	return n;
}

int
main(int argc, char **argv)
{
	struct buf req = { 0 }, ans = { 0 };
	json_error_t jerr;
	struct opts o;
	double deadline;
	json_t *a, *err;
	int first, fd, rc;

	signal(SIGPIPE, SIG_IGN);
	first = parse_opts(argc, argv, &o);
	argc = take_trailing_json(argc, argv, first, &o);
	build_request(&req, argc - first, argv + first);
	fd = connect_to(o.socket);
	deadline = now_s() + o.timeout_s;
	send_request(fd, &req, deadline);
	read_answer(fd, &ans, deadline);
	close(fd);
	if (ans.len == 0)
		die("the daemon closed the connection without answering");
	a = json_loadb(ans.p, ans.len, JSON_DECODE_ANY, &jerr);
	if (a == NULL)
		die("invalid answer from the daemon: %s", jerr.text);
	err = json_is_object(a) ? json_object_get(a, "error") : NULL;
	if (o.json)
		print_json(a);
	else if (err == NULL)
		print_human(argc - first, argv + first, a);
	if (err != NULL)
		print_errors(a);
	else if (selftest_failed(argc - first, argv + first, a))
		err = a;
	rc = err != NULL || refused_whatif(argv[first], a) ?
		EXIT_DAEMON_ERROR : 0;
	json_decref(a);
	free(req.p);
	free(ans.p);
	return rc;
}
