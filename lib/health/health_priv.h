/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef LB_HEALTH_PRIV_H
#define LB_HEALTH_PRIV_H

/*
 * Inside the checker: one record per checked backend, a binary min-heap
 * of the records' next event (a check's start, or the deadline of the
 * check in flight), the curl multi handle, and the figures.
 */

#include <stdint.h>
#include <sys/queue.h>

#include <curl/curl.h>

#include "lb_health.h"

/* Results kept per backend: enough to see a backend getting slow, small
 * enough (16 bytes each) for LB_MAX_BACKENDS records. */
#define HC_RING 32

/* lb_health_latency_us: the median of this many last results, so one
 * slow check is no trend and a backend slow for three checks is. */
#define HC_LATENCY_RECENT 5

/* Lateness histogram: exact below 16 us, then 16 buckets per power of two
 * up to 2^32 us (about 6 % resolution). */
#define HC_LATE_BUCKETS 464

/* What a check found; with its value, enough to write the reason. */
enum hc_what {
	HC_OK = 0,                  /**< value: HTTP status, or 0 (tcp) */
	HC_ERRNO,                   /**< value: errno of the socket */
	HC_TIMEOUT,                 /**< value: the timeout, ms */
	HC_HTTP,                    /**< value: the unexpected status */
	HC_CURL,                    /**< value: a CURLcode */
};

struct hc_sample {
	int64_t at_ms;              /**< wall clock at the check's start */
	uint32_t lat_us;            /**< to connect / status line / failure */
	uint8_t what;               /**< enum hc_what */
	int32_t value;
};

/* What decides how a backend is checked: a change restarts it. */
struct hc_target {
	uint32_t addr;              /**< network order */
	uint16_t port;
	struct lb_health_conf conf;
};

struct hc_backend {
	struct lb_health *owner;
	uint16_t id;
	struct hc_target t;
	uint8_t state;              /**< enum lb_health_state */
	uint8_t cons_ok;            /**< consecutive counts successes */
	uint32_t consecutive;
	uint64_t checks, failures;
	int64_t since_ms;           /**< wall clock of the last transition */
	uint32_t ring_head, ring_n; /**< next slot, results held */
	struct hc_sample ring[HC_RING];
	uint32_t seen;              /**< sync generation that kept it */
	/* Schedule, CLOCK_MONOTONIC us. */
	uint64_t due_us;            /**< the next start on its schedule */
	uint64_t started_us;        /**< start of the check in flight */
	int64_t started_ms;         /**< the same, wall clock */
	uint32_t heap_idx;
	uint8_t in_flight;
	/* tcp */
	int fd;
	struct lb_evloop_handle *eh;
	/* http(s): built once, used by every check */
	CURL *easy;
	char *url;
	struct curl_slist *headers;
};

struct hc_heap_entry {
	uint64_t key;               /**< due_us idle, the deadline in flight */
	struct hc_backend *b;
};

struct hc_curl_sock;

struct lb_health {
	struct lb_evloop *loop;
	lb_health_cb cb;
	void *arg;
	struct hc_backend *by_id[LB_MAX_BACKENDS];
	uint32_t n_checked;
	uint32_t gen;               /**< sync generation */
	/* Due times: one heap, one timer armed to the top. */
	struct hc_heap_entry *heap; /**< LB_MAX_BACKENDS entries */
	uint32_t n_heap;
	struct lb_evloop_timer *timer;
	uint64_t armed_for;         /**< the key it is armed for; 0: none */
	uint8_t in_due;             /**< inside hc_sched_due() */
	/* libcurl */
	CURLM *multi;
	struct lb_evloop_timer *curl_timer;
	uint64_t curl_armed_for;    /**< when curl_timer fires; 0: not */
	uint8_t curl_kick;          /**< curl asked to run at once, in_due */
	LIST_HEAD(, hc_curl_sock) socks;
	/* Figures */
	uint32_t in_flight;
	uint64_t checks, failures, transitions;
	uint64_t late_n, late_max_us;
	uint64_t late_hist[HC_LATE_BUCKETS];
};

/* sched.c */
uint64_t hc_now_us(void);
int64_t hc_wall_ms(void);
void hc_heap_push(struct lb_health *h, struct hc_backend *b, uint64_t key);
void hc_heap_update(struct lb_health *h, struct hc_backend *b, uint64_t key);
void hc_heap_remove(struct lb_health *h, struct hc_backend *b);
void hc_sched_arm(struct lb_health *h);
void hc_sched_due(struct lb_evloop_timer *t, void *arg);
void hc_late_record(struct lb_health *h, uint64_t late_us);
uint64_t hc_late_quantile_us(const struct lb_health *h, double q);

/* health.c */
void hc_sched_start(struct lb_health *h, struct hc_backend *b, uint64_t now);
void hc_sched_timeout(struct lb_health *h, struct hc_backend *b);
void hc_finish(struct lb_health *h, struct hc_backend *b,
	       const struct hc_sample *res);

/* tcp.c: start returns 0 in flight, 1 finished at once (*res filled). */
int hc_tcp_start(struct lb_health *h, struct hc_backend *b,
		 struct hc_sample *res);
void hc_tcp_cancel(struct hc_backend *b);
void hc_sample_errno(struct hc_sample *res, int err);

/* http.c */
int hc_http_init(struct lb_health *h);
void hc_http_fini(struct lb_health *h);
int hc_http_prepare(struct hc_backend *b);
void hc_http_release(struct hc_backend *b);
int hc_http_start(struct lb_health *h, struct hc_backend *b,
		  struct hc_sample *res);
void hc_http_cancel(struct lb_health *h, struct hc_backend *b);
void hc_http_kick(struct lb_health *h);
const char *hc_curl_reason(int code);

/* json.c */
void hc_reason(const struct hc_sample *s, char *buf, size_t size);

#endif
