/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The exposition writer (text format 0.0.4), the collector registry and
 * the /metrics route.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics_priv.h"

/* A scrape of 1000 backends is some 600 KB: start large enough that most
 * renders grow the buffer a few times at most. */
#define OUT_INITIAL (64 * 1024)

static void
out_grow(struct lb_metrics_out *o, size_t need)
{
	size_t cap = o->cap != 0 ? o->cap : OUT_INITIAL;
	char *b;

	while (cap < o->len + need + 1)
		cap *= 2;
	if (cap == o->cap)
		return;
	b = realloc(o->buf, cap);
	if (b == NULL) {
		o->oom = 1;
		return;
	}
	o->buf = b;
	o->cap = cap;
}

void
metrics_out_printf(struct lb_metrics_out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->oom)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf != NULL ? o->buf + o->len : NULL,
		      o->buf != NULL ? o->cap - o->len : 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		o->oom = 1;
		return;
	}
	if (o->buf == NULL || o->len + (size_t)n >= o->cap) {
		out_grow(o, (size_t)n);
		if (o->oom)
			return;
		va_start(ap, fmt);
		vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
		va_end(ap);
	}
	o->len += (size_t)n;
}

/* Append @p len bytes: labels and names go this way, not through
 * vsnprintf (a scrape of 1000 backends writes some 30000 of them). */
static void
out_append(struct lb_metrics_out *o, const char *s, size_t len)
{
	if (o->oom)
		return;
	if (o->buf == NULL || o->len + len >= o->cap) {
		out_grow(o, len);
		if (o->oom)
			return;
	}
	memcpy(o->buf + o->len, s, len);
	o->len += len;
}

static void
out_str(struct lb_metrics_out *o, const char *s)
{
	out_append(o, s, strlen(s));
}

size_t
lb_metrics_escape(char *buf, size_t n, const char *v)
{
	size_t len = 0;
	const char *p;

	for (p = v; *p != '\0'; p++) {
		const char *rep = *p == '\\' ? "\\\\" : *p == '"' ? "\\\"" :
				  *p == '\n' ? "\\n" : NULL;
		size_t k = rep != NULL ? 2 : 1;

		if (len + k < n)
			memcpy(buf + len, rep != NULL ? rep : p, k);
		len += k;
	}
	if (n > 0)
		buf[len < n ? len : n - 1] = '\0';
	return len;
}

/* HELP text: backslash and newline escaped (quotes are fine there). */
static void
help_escaped(struct lb_metrics_out *o, const char *help)
{
	const char *p;

	for (p = help; *p != '\0'; p++) {
		if (*p == '\\')
			metrics_out_printf(o, "\\\\");
		else if (*p == '\n')
			metrics_out_printf(o, "\\n");
		else
			metrics_out_printf(o, "%c", *p);
	}
}

void
lb_metrics_family(struct lb_metrics_out *o, const char *name,
		  enum lb_metrics_type type, const char *help)
{
	snprintf(o->family, sizeof(o->family), "%s", name);
	metrics_out_printf(o, "# HELP %s ", name);
	help_escaped(o, help);
	metrics_out_printf(o, "\n# TYPE %s %s\n", name,
			   type == LB_METRICS_COUNTER ? "counter" : "gauge");
}

static void
labels_write(struct lb_metrics_out *o, const struct lb_metrics_label *l,
	     unsigned int n)
{
	char esc[2 * LB_METRICS_LABEL_MAX + 1];
	unsigned int i;

	out_str(o, o->family);
	for (i = 0; i < n; i++) {
		size_t len = lb_metrics_escape(esc, sizeof(esc), l[i].value);

		out_append(o, i == 0 ? "{" : ",", 1);
		out_str(o, l[i].name);
		out_append(o, "=\"", 2);
		out_append(o, esc, RTE_MIN(len, sizeof(esc) - 1));
		out_append(o, "\"", 1);
	}
	out_str(o, n > 0 ? "} " : " ");
}

void
lb_metrics_sample(struct lb_metrics_out *o,
		  const struct lb_metrics_label *labels, unsigned int n,
		  double value)
{
	labels_write(o, labels, n);
	if (isnan(value))
		metrics_out_printf(o, "NaN\n");
	else if (isinf(value))
		metrics_out_printf(o, "%sInf\n", value < 0 ? "-" : "+");
	else
		metrics_out_printf(o, "%.10g\n", value);
}

void
lb_metrics_sample_u64(struct lb_metrics_out *o,
		      const struct lb_metrics_label *labels, unsigned int n,
		      uint64_t value)
{
	char digits[24], *p = digits + sizeof(digits);

	labels_write(o, labels, n);
	*--p = '\n';
	do {
		*--p = (char)('0' + value % 10);
		value /= 10;
	} while (value != 0);
	out_append(o, p, (size_t)(digits + sizeof(digits) - p));
}

int
lb_metrics_counter_name(char *buf, size_t n, const char *prefix,
			const struct lb_counter_desc *d)
{
	return snprintf(buf, n, "%s%s%s", prefix, d->name,
			d->kind == LB_COUNTER ? "_total" : "");
}

struct lb_metrics *
lb_metrics_create(const struct lb_metrics_src *src)
{
	struct lb_metrics *m = calloc(1, sizeof(*m));

	if (m == NULL)
		return NULL;
	m->src = *src;
	lb_metrics_register(m, metrics_collect_edgelb, &m->src);
	return m;
}

void
lb_metrics_destroy(struct lb_metrics *m)
{
	if (m == NULL)
		return;
	metrics_telemetry_clear();
	free(m);
}

int
lb_metrics_register(struct lb_metrics *m, lb_metrics_collect_fn fn,
		    void *arg)
{
	if (m->n >= LB_METRICS_MAX_COLLECTORS)
		return -ENOSPC;
	m->collectors[m->n].fn = fn;
	m->collectors[m->n].arg = arg;
	m->n++;
	return 0;
}

char *
lb_metrics_render(struct lb_metrics *m, size_t *len)
{
	struct lb_metrics_out o = { 0 };
	unsigned int i;

	out_grow(&o, 0);
	for (i = 0; i < m->n && !o.oom; i++)
		m->collectors[i].fn(&o, m->collectors[i].arg);
	if (o.oom) {
		free(o.buf);
		return NULL;
	}
	o.buf[o.len] = '\0';
	*len = o.len;
	return o.buf;
}

static int
serve_metrics(struct lb_http_reply *r, void *arg)
{
	r->body = lb_metrics_render(arg, &r->len);
	r->content_type = "text/plain; version=0.0.4; charset=utf-8";
	return r->body != NULL ? 0 : -1;
}

int
lb_metrics_serve(struct lb_metrics *m, struct lb_http *h)
{
	return lb_http_route(h, "/metrics", serve_metrics, m);
}
