/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the checker shows: reasons in words, a backend's health and its
 * recent results, the checker's own figures.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "health_priv.h"

static const char *
errno_reason(int err)
{
	switch (err) {
	case ECONNREFUSED:
		return "connect refused";
	case ECONNRESET:
	case EPIPE:
		return "connection reset";
	case EHOSTUNREACH:
		return "no route to host";
	case ENETUNREACH:
		return "network unreachable";
	case ETIMEDOUT:
		return "connect timed out";
	case EADDRNOTAVAIL:
		return "no local address or port free";
	case EMFILE:
	case ENFILE:
		return "out of file descriptors";
	case ENOMEM:
	case ENOBUFS:
		return "out of memory";
	default:
		return strerror(err);
	}
}

void
hc_reason(const struct hc_sample *s, char *buf, size_t size)
{
	switch (s->what) {
	case HC_OK:
		snprintf(buf, size, "ok");
		break;
	case HC_ERRNO:
		snprintf(buf, size, "%s", errno_reason(s->value));
		break;
	case HC_TIMEOUT:
		snprintf(buf, size, "timeout after %d ms", s->value);
		break;
	case HC_HTTP:
		snprintf(buf, size, "HTTP %d", s->value);
		break;
	default:
		snprintf(buf, size, "%s", hc_curl_reason(s->value));
		break;
	}
}

static json_t *
reason_json(const struct hc_sample *s)
{
	char buf[96];

	hc_reason(s, buf, sizeof(buf));
	return json_string(buf);
}

/* ISO-8601 UTC with milliseconds: checks of one pool are ms apart. */
static json_t *
iso_json(int64_t ms)
{
	time_t sec = (time_t)(ms / 1000);
	char when[40], out[48];
	struct tm tm;

	gmtime_r(&sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, sizeof(out), "%s.%03dZ", when, (int)(ms % 1000));
	return json_string(out);
}

static json_t *
ms_json(uint64_t us)
{
	return json_real((double)us / 1000.0);
}

static const struct hc_sample *
ring_at(const struct hc_backend *b, uint32_t age)
{
	return &b->ring[(b->ring_head + HC_RING - 1 - age) % HC_RING];
}

static json_t *
latencies_json(const struct hc_backend *b)
{
	const struct hc_sample *s;
	json_t *a = json_array();
	uint32_t i;

	for (i = b->ring_n; a != NULL && i-- > 0;) {
		s = ring_at(b, i);
		json_array_append_new(a, json_pack("{s:o, s:o, s:b, s:o}",
			"at", iso_json(s->at_ms), "ms", ms_json(s->lat_us),
			"ok", s->what == HC_OK, "result", reason_json(s)));
	}
	return a;
}

static const char *
kind_name(unsigned int kind)
{
	static const char *const names[] = { "none", "tcp", "http", "https" };

	return kind < 4 ? names[kind] : "unknown";
}

static void
add_detail(json_t *o, const struct hc_backend *b)
{
	const struct lb_health_conf *c = &b->t.conf;
	char addr[INET_ADDRSTRLEN], expect[16];

	inet_ntop(AF_INET, &b->t.addr, addr, sizeof(addr));
	json_object_update_new(o, json_pack(
		"{s:s, s:s, s:i, s:I, s:I, s:i, s:i, s:I, s:I, s:o}",
		"address", addr, "kind", kind_name(c->kind), "port", b->t.port,
		"interval_ms", (json_int_t)c->interval_ms,
		"timeout_ms", (json_int_t)c->timeout_ms, "rise", c->rise,
		"fall", c->fall, "checks", (json_int_t)b->checks,
		"failures", (json_int_t)b->failures,
		"latencies", latencies_json(b)));
	if (c->kind == LB_HEALTH_TCP)
		return;
	snprintf(expect, sizeof(expect), "%u-%u", c->expect_lo, c->expect_hi);
	json_object_update_new(o, json_pack("{s:s, s:s, s:s}", "path", c->path,
					    "host", c->host, "expect", expect));
}

int
lb_health_last_latency_us(const struct lb_health *h, uint16_t id,
			  uint32_t *us)
{
	const struct hc_backend *b;

	if (id >= LB_MAX_BACKENDS || (b = h->by_id[id]) == NULL ||
	    b->ring_n == 0)
		return -1;
	*us = ring_at(b, 0)->lat_us;
	return 0;
}

json_t *
lb_health_backend_json(const struct lb_health *h, uint16_t id, int detail)
{
	const struct hc_backend *b;
	const struct hc_sample *last;
	json_t *o;

	if (id >= LB_MAX_BACKENDS || (b = h->by_id[id]) == NULL)
		return NULL;
	last = b->ring_n > 0 ? ring_at(b, 0) : NULL;
	o = json_pack("{s:s, s:o?, s:o?, s:o?, s:I, s:s, s:o?}",
		"health", lb_health_state_name(b->state),
		"checked_at", last != NULL ? iso_json(last->at_ms) : NULL,
		"last_result", last != NULL ? reason_json(last) : NULL,
		"last_latency_ms", last != NULL ? ms_json(last->lat_us) : NULL,
		"consecutive", (json_int_t)b->consecutive,
		"consecutive_kind", b->cons_ok ? "successes" : "failures",
		"since", b->since_ms != 0 ? iso_json(b->since_ms) : NULL);
	if (o != NULL && detail)
		add_detail(o, b);
	return o;
}

json_t *
lb_health_stats_json(const struct lb_health *h)
{
	return json_pack("{s:i, s:I, s:I, s:I, s:i, s:I, s:o, s:o, s:o}",
		"backends_checked", (int)h->n_checked,
		"checks", (json_int_t)h->checks,
		"failures", (json_int_t)h->failures,
		"transitions", (json_int_t)h->transitions,
		"in_flight", (int)h->in_flight,
		"late_samples", (json_int_t)h->late_n,
		"late_p50_ms", ms_json(hc_late_quantile_us(h, 0.50)),
		"late_p99_ms", ms_json(hc_late_quantile_us(h, 0.99)),
		"late_max_ms", ms_json(h->late_max_us));
}
