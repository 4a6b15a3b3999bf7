/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The status page: a fixed document and the JSON it draws, made of the
 * answers of the read-only commands backends, alerts and history.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "lb_page.h"
#include "page_html.h"

/* One command's answer, as an internal caller. Those asked answer at once;
 * one that would wait (none today) is abandoned rather than block the
 * loop that serves the page. */
static json_t *
ask(struct lb_mgmt_ctx *ctx, const char *cmd)
{
	struct lb_mgmt_pending *p = NULL;
	json_t *ans = lb_mgmt_start(ctx, NULL, cmd, strlen(cmd), &p);

	if (ans == NULL) {
		lb_mgmt_pending_abandon(p);
		ans = json_pack("{s:s}", "error", "the command did not answer "
				"at once");
	}
	return ans;
}

json_t *
lb_page_status(struct lb_mgmt_ctx *ctx)
{
	char hist[32], when[32];
	time_t now = time(NULL);
	struct tm tm;

	snprintf(hist, sizeof(hist), "history %d", LB_PAGE_HISTORY);
	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return json_pack("{s:s, s:s, s:o, s:o, s:o}",
		"version", ctx->version != NULL ? ctx->version : "unknown",
		"generated", when,
		"backends", ask(ctx, "backends"),
		"alerts", ask(ctx, "alerts"),
		"history", ask(ctx, hist));
}

static int
serve_json(struct lb_http_reply *r, void *arg)
{
	json_t *st = lb_page_status(arg);

	r->body = st != NULL ? json_dumps(st, JSON_COMPACT) : NULL;
	json_decref(st);
	if (r->body == NULL)
		return -1;
	r->len = strlen(r->body);
	r->content_type = "application/json";
	return 0;
}

static int
serve_html(struct lb_http_reply *r, void *arg)
{
	(void)arg;
	r->body = strdup(lb_page_html);
	if (r->body == NULL)
		return -1;
	r->len = strlen(r->body);
	r->content_type = "text/html; charset=utf-8";
	return 0;
}

int
lb_page_serve(struct lb_http *h, struct lb_mgmt_ctx *ctx)
{
	int rc = lb_http_route(h, "/", serve_html, ctx);

	return rc != 0 ? rc : lb_http_route(h, "/status.json", serve_json, ctx);
}
