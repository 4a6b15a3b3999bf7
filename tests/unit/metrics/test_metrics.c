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
#include "test_dp.h"
#include "test_http.h"

static struct tdp t;
static struct lb_metrics *metrics;
static const char *readme_path;     /* argv[1]: the README to check */

static int
group_setup(void **state)
{
	const struct lb_metrics_src src = { .dp = &t.dp, .version = "t\"1" };

	(void)state;
	if (tdp_init(&t) != 0)
		return -1;
	t.pool.min_healthy = 50;
	t.pool.min_healthy_percent = 1;
	t.worker->stats.flow.lookups = 12345678901234ULL;
	t.worker->stats.port[0].drops[LB_DROP_ipv4_checksum] = 5;
	metrics = lb_metrics_create(&src);
	return metrics != NULL ? 0 : -1;
}

static int
group_teardown(void **state)
{
	(void)state;
	lb_metrics_destroy(metrics);
	tdp_fini(&t);
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
		 lb_config_fingerprint_hex(&t.cfg, 0, fp, sizeof(fp)));
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
	assert_int_equal(test_http_get(loop, port, "GET /metrics HTTP/1.0\r\n\r\n",
				  body, 1 << 20), 200);
	assert_non_null(strstr(body, "version=0.0.4"));
	assert_non_null(strstr(body, "\nedgelb_flow_lookups_total "));
	assert_int_equal(test_http_get(loop, port, "GET /nosuch HTTP/1.0\r\n\r\n",
				  body, 1 << 20), 404);
	assert_int_equal(test_http_get(loop, port, "POST /metrics HTTP/1.0\r\n"
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
