/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/page: "/" is the embedded page (HTML, nothing external, data drawn
 * as text only) and "/status.json" carries exactly the answers of the
 * backends, alerts and history commands, served from a real event loop to
 * a real TCP client; other paths still 404.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "lb_page.h"

static struct lb_config cfg;
static struct lb_vip_conf vip;
static struct lb_pool_conf pool;
static struct lb_backend_conf backends[2];
static uint32_t members[2] = { 0, 1 };
static struct lb_dp dp;
static struct lb_snapshot snap;
static struct lb_worker *worker;
static struct lb_mgmt_ctx ctx = { .dp = &dp, .version = "t<1>" };

static int
group_setup(void **state)
{
	(void)state;
	snprintf(vip.name, LB_NAME_MAX, "web");
	snprintf(pool.name, LB_NAME_MAX, "web");
	pool.n_members = 2;
	pool.members = members;
	pool.maglev.size = 13;
	snprintf(backends[0].name, LB_NAME_MAX, "b1");
	snprintf(backends[1].name, LB_NAME_MAX, "b2");
	backends[1].id = 1;
	backends[1].member = 1;
	backends[0].weight = 4;
	backends[1].weight = 9;
	backends[1].max_share = 75;
	cfg.n_vips = 1;
	cfg.vips = &vip;
	cfg.n_pools = 1;
	cfg.pools = &pool;
	cfg.n_backends = 2;
	cfg.backends = backends;
	snap.cfg = &cfg;
	dp.snap = &snap;
	worker = aligned_alloc(RTE_CACHE_LINE_SIZE, sizeof(*worker));
	if (worker == NULL)
		return -1;
	memset(worker, 0, sizeof(*worker));
	worker->stats.backend[0].new_flows = 1;
	worker->stats.backend[1].new_flows = 3;
	dp.workers[0] = worker;
	dp.n_workers = 1;
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	free(worker);
	return 0;
}

/* GET @p path from the listener on @p port, pumping @p loop; the whole
 * answer in @p buf. @return the status code. */
static int
http_get(struct lb_evloop *loop, uint16_t port, const char *path,
	 char *buf, size_t n)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons(port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), status = -1;
	char req[128];
	size_t len = 0;
	ssize_t r;
	int i;

	snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\n\r\n", path);
	assert_true(fd >= 0);
	assert_true(connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 ||
		    errno == EINPROGRESS);
	for (i = 0; i < 200; i++) {
		lb_evloop_run_once(loop, 5);
		if (send(fd, req, strlen(req), MSG_NOSIGNAL) > 0)
			break;
	}
	for (i = 0; i < 400 && len < n - 1; i++) {
		lb_evloop_run_once(loop, 5);
		r = recv(fd, buf + len, n - 1 - len, 0);
		if (r == 0)
			break;
		if (r > 0)
			len += (size_t)r;
	}
	buf[len] = '\0';
	close(fd);
	sscanf(buf, "HTTP/1.%*d %d", &status);
	return status;
}

static json_t *
execute(const char *cmd)
{
	return lb_mgmt_execute(&ctx, NULL, cmd, strlen(cmd));
}

/* The body of an answer in @p buf, parsed as JSON. */
static json_t *
body_json(const char *buf)
{
	const char *body = strstr(buf, "\r\n\r\n");

	assert_non_null(body);
	return json_loads(body + 4, 0, NULL);
}

static void
test_status_is_the_commands_answers(void **state)
{
	json_t *st = lb_page_status(&ctx), *want;

	(void)state;
	assert_non_null(st);
	assert_string_equal(json_string_value(json_object_get(st, "version")),
			    "t<1>");
	want = execute("backends");
	assert_true(json_equal(json_object_get(st, "backends"), want));
	/* the page's intended share: b2's max_share as a ratio */
	assert_true(json_real_value(json_object_get(json_array_get(want, 1),
						    "max_share")) == 0.75);
	assert_true(json_is_null(json_object_get(json_array_get(want, 0),
						 "max_share")));
	json_decref(want);
	/* no watch, no runtime here: their errors, as the CLI would see */
	want = execute("alerts");
	assert_true(json_equal(json_object_get(st, "alerts"), want));
	json_decref(want);
	want = execute("history 10");
	assert_non_null(json_object_get(want, "error"));
	assert_true(json_equal(json_object_get(st, "history"), want));
	json_decref(want);
	json_decref(st);
}

static void
test_http_serves_page_and_json(void **state)
{
	struct lb_evloop *loop = lb_evloop_create();
	char err[128], *buf = malloc(1 << 20);
	struct lb_http *h;
	json_t *j, *want;
	uint16_t port;

	(void)state;
	assert_non_null(loop);
	assert_non_null(buf);
	h = lb_http_create(loop, htonl(INADDR_LOOPBACK), 0, err, sizeof(err));
	assert_non_null(h);
	assert_int_equal(lb_page_serve(h, &ctx), 0);
	assert_int_equal(lb_page_serve(h, &ctx), -EEXIST);
	port = lb_http_port(h);
	assert_int_equal(http_get(loop, port, "/", buf, 1 << 20), 200);
	assert_non_null(strstr(buf, "text/html; charset=utf-8"));
	assert_non_null(strstr(buf, "<!DOCTYPE html>"));
	assert_non_null(strstr(buf, "fetch(\"/status.json\""));
	/* nothing external, and data never parsed as markup */
	assert_null(strstr(buf, "http://"));
	assert_null(strstr(buf, "https://"));
	assert_null(strstr(buf, "src="));
	assert_null(strstr(buf, "innerHTML"));
	assert_null(strstr(buf, "outerHTML"));
	assert_null(strstr(buf, "insertAdjacentHTML"));
	assert_null(strstr(buf, "document.write"));
	assert_int_equal(http_get(loop, port, "/status.json", buf, 1 << 20),
			 200);
	assert_non_null(strstr(buf, "application/json"));
	j = body_json(buf);
	assert_non_null(j);
	want = execute("backends");
	assert_true(json_equal(json_object_get(j, "backends"), want));
	json_decref(want);
	json_decref(j);
	assert_int_equal(http_get(loop, port, "/nosuch", buf, 1 << 20), 404);
	assert_int_equal(http_get(loop, port, "/status.json/x", buf, 1 << 20),
			 404);
	lb_http_destroy(h);
	lb_evloop_destroy(loop);
	free(buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status_is_the_commands_answers),
		cmocka_unit_test(test_http_serves_page_and_json),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
