/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/metrics and lib/http: every counter descriptor row has its family
 * (names cannot drift from JSON and CLI), samples carry the workers'
 * values with escaped labels, a registered collector adds its families,
 * and GET /metrics is served from a real event loop to a real TCP client
 * (404 elsewhere, 405 for POST).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "lb_metrics.h"

static struct lb_config cfg;
static struct lb_port_conf port;
static struct lb_vip_conf vip;
static struct lb_pool_conf pool;
static struct lb_backend_conf backends[2];
static uint32_t members[2] = { 0, 1 };
static uint32_t member_slots[2] = { 4, 9 };
static struct lb_dp dp;
static struct lb_snapshot snap;
static struct lb_worker *worker;
static struct lb_metrics *metrics;
static const char *readme_path;     /* argv[1]: the README to check */

static int
group_setup(void **state)
{
	const struct lb_metrics_src src = { .dp = &dp, .version = "t\"1" };

	(void)state;
	snprintf(port.name, LB_NAME_MAX, "lan");
	snprintf(vip.name, LB_NAME_MAX, "web");
	snprintf(pool.name, LB_NAME_MAX, "web");
	pool.n_members = 2;
	pool.members = members;
	pool.member_slots = member_slots;
	pool.maglev.size = 13;
	pool.min_healthy = 50;
	pool.min_healthy_percent = 1;
	snprintf(backends[0].name, LB_NAME_MAX, "b1");
	snprintf(backends[1].name, LB_NAME_MAX, "b2");
	backends[0].id = 0;
	backends[1].id = 1;
	backends[1].member = 1;
	backends[0].weight = 4;
	backends[1].weight = 9;
	backends[1].max_share = 75;
	cfg.n_ports = 1;
	cfg.ports = &port;
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
	worker->stats.flow.lookups = 12345678901234ULL;
	worker->stats.port[0].drops[LB_DROP_ipv4_checksum] = 5;
	dp.workers[0] = worker;
	dp.n_workers = 1;
	dp.n_ports = 1;
	metrics = lb_metrics_create(&src);
	return metrics != NULL ? 0 : -1;
}

static int
group_teardown(void **state)
{
	(void)state;
	lb_metrics_destroy(metrics);
	free(worker);
	return 0;
}

static char *
render(void)
{
	size_t len;
	char *text = lb_metrics_render(metrics, &len);

	assert_non_null(text);
	assert_int_equal(strlen(text), len);
	return text;
}

/* "# TYPE <family> <type>" is in @p text for every row of @p table. */
static void
assert_table(const char *text, const char *prefix,
	     const struct lb_counter_desc *(*table)(unsigned int *n))
{
	unsigned int i, n;
	const struct lb_counter_desc *d = table(&n);
	char name[128], line[200];

	assert_true(n > 0);
	for (i = 0; i < n; i++) {
		lb_metrics_counter_name(name, sizeof(name), prefix, &d[i]);
		snprintf(line, sizeof(line), "# TYPE %s %s\n", name,
			 d[i].kind == LB_COUNTER ? "counter" : "gauge");
		if (strstr(text, line) == NULL)
			fail_msg("no family for descriptor row %s: %s", d[i].name,
				 line);
		snprintf(line, sizeof(line), "# HELP %s ", name);
		assert_non_null(strstr(text, line));
	}
}

static void
test_every_descriptor_row_exported(void **state)
{
	char *text = render();

	(void)state;
	assert_table(text, "edgelb_flow_", lb_stats_flow_counters);
	assert_table(text, "edgelb_port_", lb_stats_port_counters);
	assert_table(text, "edgelb_vip_", lb_stats_vip_counters);
	assert_table(text, "edgelb_backend_", lb_stats_backend_counters);
	assert_table(text, "edgelb_port_", lb_excpath_port_counters);
	assert_table(text, "edgelb_kernel_", lb_excpath_loop_counters);
	free(text);
}

static void
test_counter_name_conventions(void **state)
{
	const struct lb_counter_desc c = { .name = "lookups",
					   .kind = LB_COUNTER };
	const struct lb_counter_desc g = { .name = "entries",
					   .kind = LB_GAUGE };
	char name[64];

	(void)state;
	lb_metrics_counter_name(name, sizeof(name), "edgelb_flow_", &c);
	assert_string_equal(name, "edgelb_flow_lookups_total");
	lb_metrics_counter_name(name, sizeof(name), "edgelb_flow_", &g);
	assert_string_equal(name, "edgelb_flow_entries");
}

static void
test_samples_carry_worker_values(void **state)
{
	char *text = render(), line[128], fp[20];

	(void)state;
	assert_non_null(strstr(text, "\nedgelb_flow_lookups_total "
				     "12345678901234\n"));
	assert_non_null(strstr(text, "\nedgelb_backend_new_flows_total{vip="
			"\"web\",pool=\"web\",backend=\"b2\"} 3\n"));
	assert_non_null(strstr(text, "\nedgelb_backend_observed_share{vip="
			"\"web\",pool=\"web\",backend=\"b2\"} 0.75\n"));
	assert_non_null(strstr(text, "\nedgelb_backend_expected_share{vip="
			"\"web\",pool=\"web\",backend=\"b1\"} 0.3076923077\n"));
	/* max_share only where set, as a ratio */
	assert_non_null(strstr(text, "\nedgelb_backend_max_share{vip=\"web\","
			"pool=\"web\",backend=\"b2\"} 0.75\n"));
	assert_null(strstr(text, "edgelb_backend_max_share{vip=\"web\","
			   "pool=\"web\",backend=\"b1\"}"));
	/* 50 % of 2 backends */
	assert_non_null(strstr(text, "\nedgelb_pool_min_healthy{pool=\"web\"} "
			"1\n"));
	assert_non_null(strstr(text, "\nedgelb_drops_total{port=\"lan\","
			"reason=\"ipv4_checksum\"} 5\n"));
	assert_non_null(strstr(text, "\nedgelb_drops_total{port=\"lan\","
			"reason=\"tx_full\"} 0\n"));
	/* the version label escaped */
	assert_non_null(strstr(text, "edgelb_build_info{version=\"t\\\"1\"} 1\n"));
	/* the pool's table, as status names it (the fleet rule) */
	snprintf(line, sizeof(line), "\nedgelb_pool_fingerprint_info{pool="
		 "\"web\",fingerprint=\"%s\"} 1\n",
		 lb_config_fingerprint_hex(&cfg, 0, fp, sizeof(fp)));
	assert_non_null(strstr(text, line));
	free(text);
}

static void
test_label_escape(void **state)
{
	char buf[64];

	(void)state;
	assert_int_equal(lb_metrics_escape(buf, sizeof(buf), "a\"b\\c\nd"), 10);
	assert_string_equal(buf, "a\\\"b\\\\c\\nd");
	/* cut, never overrun */
	assert_int_equal(lb_metrics_escape(buf, 4, "\"\"\""), 6);
	assert_int_equal(strlen(buf), 3);
}

static void
extra(struct lb_metrics_out *o, void *arg)
{
	const struct lb_metrics_label l[] = {
		{ "alertname", "ShareSkew" }, { "vip", "web" },
		{ "backend", "b2" }, { "state", "firing" } };

	lb_metrics_family(o, "edgelb_alert", LB_METRICS_GAUGE, arg);
	lb_metrics_sample(o, l, 4, 1);
}

static void
test_registered_collector_appended(void **state)
{
	char *text;

	(void)state;
	assert_int_equal(lb_metrics_register(metrics, extra,
					     (void *)"alerts\\now"), 0);
	text = render();
	assert_non_null(strstr(text, "# HELP edgelb_alert alerts\\\\now\n"
		"# TYPE edgelb_alert gauge\nedgelb_alert{alertname=\"ShareSkew\","
		"vip=\"web\",backend=\"b2\",state=\"firing\"} 1\n"));
	free(text);
	while (lb_metrics_register(metrics, extra, NULL) == 0)
		;
	assert_int_equal(lb_metrics_register(metrics, extra, NULL), -ENOSPC);
}

static char *
read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	long n;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 &&
	    fseek(f, 0, SEEK_SET) == 0 && (buf = calloc(1, n + 1)) != NULL &&
	    fread(buf, 1, n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

/* README.md's "Metrics and alerts" table lists every family: the list an
 * operator reads cannot fall behind the code either. */
static void
test_readme_lists_every_family(void **state)
{
	char *text = render(), *readme, name[128], want[140];
	const char *p;
	unsigned int n = 0;

	(void)state;
	if (readme_path == NULL)
		skip();
	readme = read_file(readme_path);
	assert_non_null(readme);
	for (p = text; (p = strstr(p, "# TYPE ")) != NULL; p += 7) {
		assert_int_equal(sscanf(p + 7, "%127s", name), 1);
		snprintf(want, sizeof(want), "| `%s` |", name);
		if (strstr(readme, want) == NULL)
			fail_msg("README.md does not list family %s", name);
		n++;
	}
	assert_true(n > 50);
	free(readme);
	free(text);
}

/* ---- HTTP through a real loop ------------------------------------------ */

/* Send @p req to the listener, pump the loop until the server closes;
 * @return the status code of the answer, its body in @p body. */
static int
http_get(struct lb_evloop *loop, uint16_t port, const char *req,
	 char *body, size_t n)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons(port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), status = -1;
	size_t len = 0;
	ssize_t r;
	int i;

	assert_true(fd >= 0);
	assert_true(connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 ||
		    errno == EINPROGRESS);
	for (i = 0; i < 200; i++) {
		lb_evloop_run_once(loop, 5);
		if (send(fd, req, strlen(req), MSG_NOSIGNAL) > 0)
			break;
	}
	for (i = 0; i < 400; i++) {
		lb_evloop_run_once(loop, 5);
		r = recv(fd, body + len, n - 1 - len, 0);
		if (r == 0)
			break;
		if (r > 0)
			len += (size_t)r;
		if (len == n - 1)
			break;
	}
	body[len] = '\0';
	close(fd);
	sscanf(body, "HTTP/1.%*d %d", &status);
	return status;
}

static void
test_http_serves_metrics(void **state)
{
	struct lb_evloop *loop = lb_evloop_create();
	char err[128], *body = malloc(1 << 20);
	struct lb_http *h;
	uint16_t port;

	(void)state;
	assert_non_null(loop);
	assert_non_null(body);
	h = lb_http_create(loop, htonl(INADDR_LOOPBACK), 0, err, sizeof(err));
	assert_non_null(h);
	assert_int_equal(lb_metrics_serve(metrics, h), 0);
	assert_int_equal(lb_metrics_serve(metrics, h), -EEXIST);
	port = lb_http_port(h);
	assert_true(port != 0);
	assert_int_equal(http_get(loop, port, "GET /metrics HTTP/1.0\r\n\r\n",
				  body, 1 << 20), 200);
	assert_non_null(strstr(body, "version=0.0.4"));
	assert_non_null(strstr(body, "\nedgelb_flow_lookups_total "));
	assert_int_equal(http_get(loop, port, "GET /nosuch HTTP/1.0\r\n\r\n",
				  body, 1 << 20), 404);
	assert_int_equal(http_get(loop, port, "POST /metrics HTTP/1.0\r\n"
				  "Content-Length: 0\r\n\r\n", body, 1 << 20),
			 405);
	/* the same port again: a clear error, no crash */
	assert_null(lb_http_create(loop, htonl(INADDR_LOOPBACK), port, err,
				   sizeof(err)));
	assert_non_null(strstr(err, "cannot listen on 127.0.0.1:"));
	lb_http_destroy(h);
	lb_evloop_destroy(loop);
	free(body);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_descriptor_row_exported),
		cmocka_unit_test(test_counter_name_conventions),
		cmocka_unit_test(test_samples_carry_worker_values),
		cmocka_unit_test(test_label_escape),
		cmocka_unit_test(test_readme_lists_every_family),
		cmocka_unit_test(test_http_serves_metrics),
		cmocka_unit_test(test_registered_collector_appended),
	};

	readme_path = argc > 1 ? argv[1] : NULL;
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
