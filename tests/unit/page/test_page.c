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
#include "test_dp.h"
#include "test_http.h"

static struct tdp t;
static struct lb_mgmt_ctx ctx = { .dp = &t.dp, .version = "t<1>" };

static int
group_setup(void **state)
{
	(void)state;
	return tdp_init(&t);
}

static int
group_teardown(void **state)
{
	(void)state;
	tdp_fini(&t);
	return 0;
}

/* GET @p path from the listener on @p port, pumping @p loop. */
static int
http_get(struct lb_evloop *loop, uint16_t port, const char *path,
	 char *buf, size_t n)
{
	char req[128];

	snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\n\r\n", path);
	return test_http_get(loop, port, req, buf, n);
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
