/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DPDK telemetry commands under /edgelb/.
 *
 * Their callbacks run on DPDK's telemetry threads (one per connected
 * client), not on the management lcore, so they must not read anything
 * management owns: the runtime, the health checker and the configuration
 * snapshots are freed and rebuilt by management without any lock. Instead
 * management renders the exposition once a second (lb_metrics_publish, the
 * same text /metrics serves) and hands the finished, never-again-written
 * string over under a mutex; callbacks parse that text under the same
 * mutex. Management only ever trylocks: if a telemetry client holds the
 * text at that moment, this second's render is dropped and the next one
 * goes, so the management loop never waits for a telemetry thread. The
 * cost is data up to two seconds old; telemetry is for a look by hand,
 * Prometheus scrapes /metrics.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_telemetry.h>

#include "metrics_priv.h"

#define MAX_LABELS 8
#define PAGE 256                /* names per /edgelb/backends answer */

static pthread_mutex_t tel_lock = PTHREAD_MUTEX_INITIALIZER;
static char *tel_text;          /* owned by whoever holds tel_lock */

/* One sample line of an exposition, labels unescaped. */
struct sample {
	char name[128];
	unsigned int n;
	char lname[MAX_LABELS][32];
	char lvalue[MAX_LABELS][LB_METRICS_LABEL_MAX];
	char value[48];
};

/* "\"...\"" at @p p, unescaped into @p out. @return past the quote. */
static const char *
parse_quoted(const char *p, const char *end, char *out, size_t n)
{
	size_t len = 0;

	if (p >= end || *p++ != '"')
		return NULL;
	while (p < end && *p != '"') {
		char c = *p++;

		if (c == '\\' && p < end) {
			c = *p++;
			c = c == 'n' ? '\n' : c;
		}
		if (len + 1 < n)
			out[len++] = c;
	}
	out[len] = '\0';
	return p < end ? p + 1 : NULL;
}

static const char *
parse_labels(const char *p, const char *end, struct sample *s)
{
	size_t k;

	for (p++; p < end && *p != '}'; ) {
		if (s->n == MAX_LABELS)
			return NULL;
		k = strcspn(p, "=");
		if (p + k >= end || k >= sizeof(s->lname[0]))
			return NULL;
		memcpy(s->lname[s->n], p, k);
		s->lname[s->n][k] = '\0';
		p = parse_quoted(p + k + 1, end, s->lvalue[s->n],
				 sizeof(s->lvalue[0]));
		if (p == NULL)
			return NULL;
		s->n++;
		if (p < end && *p == ',')
			p++;
	}
	return p < end ? p + 1 : NULL;
}

/* The sample on line [p, end); 0, or -1 if it is not one. */
static int
parse_sample(const char *p, const char *end, struct sample *s)
{
	size_t k = strcspn(p, "{ \n");

	s->n = 0;
	if (p == end || *p == '#' || k == 0 || k >= sizeof(s->name))
		return -1;
	memcpy(s->name, p, k);
	s->name[k] = '\0';
	p += k;
	if (*p == '{' && (p = parse_labels(p, end, s)) == NULL)
		return -1;
	if (p >= end || *p != ' ' || (size_t)(end - p - 1) >= sizeof(s->value))
		return -1;
	memcpy(s->value, p + 1, end - p - 1);
	s->value[end - p - 1] = '\0';
	return 0;
}

static const char *
label_of(const struct sample *s, const char *name)
{
	unsigned int i;

	for (i = 0; i < s->n; i++)
		if (strcmp(s->lname[i], name) == 0)
			return s->lvalue[i];
	return NULL;
}

/* Call @p fn for every sample of @p text until it returns non-zero. */
static void
each_sample(const char *text, int (*fn)(const struct sample *s, void *arg),
	    void *arg)
{
	const char *p = text, *nl;
	struct sample s;

	for (; *p != '\0'; p = *nl != '\0' ? nl + 1 : nl) {
		nl = strchr(p, '\n');
		if (nl == NULL)
			nl = p + strlen(p);
		if (parse_sample(p, nl, &s) == 0 && fn(&s, arg) != 0)
			return;
	}
}

/* Telemetry keys: alphanumerics and '_' only. */
static void
key_append(char *key, size_t n, const char *v)
{
	size_t len = strlen(key);

	if (len + 1 < n)
		key[len++] = '_';
	for (; *v != '\0' && len + 1 < n; v++)
		key[len++] = isalnum((unsigned char)*v) ? *v : '_';
	key[len] = '\0';
}

static void
dict_add_value(struct rte_tel_data *d, const char *key, const char *v)
{
	char *end;
	unsigned long long x;

	errno = 0;
	x = strtoull(v, &end, 10);
	if (*v >= '0' && *v <= '9' && *end == '\0' && errno == 0)
		rte_tel_data_add_dict_u64(d, key, x);
	else
		rte_tel_data_add_dict_string(d, key, v);
}

/* Samples whose label @c label is @c value (and @c vip, if set); the key
 * is the family plus the values of the labels that are not context. */
struct select {
	const char *label, *value;
	const char *vip;            /* backend: one VIP's row; NULL: the first */
	char vip_seen[LB_METRICS_LABEL_MAX];
	int no_labels;              /* stats: samples without labels */
	const char *prefix;         /* generation: families to take */
	struct rte_tel_data *d;
	unsigned int n;
};

static int
is_context(const struct select *q, const char *label)
{
	return (q->label != NULL && strcmp(label, q->label) == 0) ||
	       (q->label != NULL && strcmp(q->label, "backend") == 0 &&
		(strcmp(label, "vip") == 0 || strcmp(label, "pool") == 0));
}

static int
select_matches(struct select *q, const struct sample *s)
{
	const char *v, *vip;

	if (q->no_labels)
		return s->n == 0;
	if (q->prefix != NULL)
		return strncmp(s->name, q->prefix, strlen(q->prefix)) == 0;
	v = label_of(s, q->label);
	if (v == NULL || strcmp(v, q->value) != 0)
		return 0;
	vip = label_of(s, "vip");
	if (strcmp(q->label, "backend") != 0 || vip == NULL)
		return 1;
	if (q->vip != NULL)
		return strcmp(vip, q->vip) == 0;
	if (q->vip_seen[0] == '\0' && q->n == 0) {
		snprintf(q->vip_seen, sizeof(q->vip_seen), "%s", vip);
		rte_tel_data_add_dict_string(q->d, "vip", vip);
		rte_tel_data_add_dict_string(q->d, "pool",
			label_of(s, "pool") != NULL ? label_of(s, "pool") : "");
		q->n += 2;
	}
	return strcmp(vip, q->vip_seen) == 0;
}

static int
select_one(const struct sample *s, void *arg)
{
	struct select *q = arg;
	char key[RTE_TEL_MAX_STRING_LEN];
	unsigned int i;

	if (!select_matches(q, s))
		return 0;
	snprintf(key, sizeof(key), "%s", s->name);
	for (i = 0; i < s->n; i++)
		if (!is_context(q, s->lname[i]))
			key_append(key, sizeof(key), s->lvalue[i]);
	dict_add_value(q->d, key, s->value);
	return ++q->n >= RTE_TEL_MAX_DICT_ENTRIES;
}

/* Distinct values of label @c label, in order of appearance. */
struct distinct {
	const char *label;
	char (*seen)[LB_METRICS_LABEL_MAX];
	unsigned int n, max;
};

static int
distinct_one(const struct sample *s, void *arg)
{
	struct distinct *q = arg;
	const char *v = label_of(s, q->label);
	unsigned int i;

	if (v == NULL || *v == '\0')
		return 0;
	for (i = 0; i < q->n; i++)
		if (strcmp(q->seen[i], v) == 0)
			return 0;
	if (q->n < q->max)
		snprintf(q->seen[q->n++], sizeof(q->seen[0]), "%s", v);
	return 0;
}

static int
families(const char *text, struct rte_tel_data *d)
{
	const char *p = text;
	char name[128];
	unsigned int n = 0;

	rte_tel_data_start_array(d, RTE_TEL_STRING_VAL);
	while ((p = strstr(p, "# TYPE ")) != NULL &&
	       n < RTE_TEL_MAX_ARRAY_ENTRIES) {
		p += 7;
		if (sscanf(p, "%127s", name) == 1) {
			rte_tel_data_add_array_string(d, name);
			n++;
		}
	}
	return 0;
}

/* The distinct values of @p label (backends: paged from @p params). */
static int
list_of(const char *text, const char *label, const char *params,
	struct rte_tel_data *d, int paged)
{
	struct distinct q = { .label = label, .max = LB_MAX_BACKENDS };
	struct rte_tel_data *names;
	unsigned long start = 0;
	unsigned int i;

	if (params != NULL && *params != '\0')
		start = strtoul(params, NULL, 10);
	q.seen = calloc(q.max, sizeof(*q.seen));
	if (q.seen == NULL)
		return -1;
	each_sample(text, distinct_one, &q);
	if (start > q.n)
		start = q.n;
	if (!paged) {
		rte_tel_data_start_array(d, RTE_TEL_STRING_VAL);
		for (i = 0; i < q.n && i < RTE_TEL_MAX_ARRAY_ENTRIES; i++)
			rte_tel_data_add_array_string(d, q.seen[i]);
		free(q.seen);
		return 0;
	}
	names = rte_tel_data_alloc();
	if (names == NULL) {
		free(q.seen);
		return -1;
	}
	rte_tel_data_start_array(names, RTE_TEL_STRING_VAL);
	for (i = start; i < q.n && i < start + PAGE; i++)
		rte_tel_data_add_array_string(names, q.seen[i]);
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "total", q.n);
	rte_tel_data_add_dict_u64(d, "start", start);
	rte_tel_data_add_dict_u64(d, "next", i < q.n ? i : 0);
	rte_tel_data_add_dict_container(d, "names", names, 0);
	free(q.seen);
	return 0;
}

/* "NAME" or "NAME,VIP" of /edgelb/backend. */
static int
by_label(const char *text, const char *label, const char *params,
	 struct rte_tel_data *d)
{
	struct select q = { .label = label, .d = d };
	char value[LB_METRICS_LABEL_MAX], *comma;

	if (params == NULL || *params == '\0')
		return -1;
	snprintf(value, sizeof(value), "%s", params);
	comma = strchr(value, ',');
	if (comma != NULL && strcmp(label, "backend") == 0) {
		*comma = '\0';
		q.vip = comma + 1;
	}
	q.value = value;
	rte_tel_data_start_dict(d);
	each_sample(text, select_one, &q);
	return q.n > 0 ? 0 : -1;
}

int
lb_metrics_telemetry_answer(const char *text, const char *cmd,
			    const char *params, struct rte_tel_data *d)
{
	const char *c = strncmp(cmd, "/edgelb/", 8) == 0 ? cmd + 8 : "";
	struct select q = { .d = d };

	if (strcmp(c, "families") == 0)
		return families(text, d);
	if (strcmp(c, "stats") == 0 || strcmp(c, "generation") == 0) {
		q.no_labels = strcmp(c, "stats") == 0;
		q.prefix = q.no_labels ? NULL : "edgelb_config_";
		rte_tel_data_start_dict(d);
		each_sample(text, select_one, &q);
		if (!q.no_labels) {
			q.prefix = "edgelb_policy_";
			each_sample(text, select_one, &q);
		}
		return 0;
	}
	if (strcmp(c, "backends") == 0)
		return list_of(text, "backend", params, d, 1);
	if (strcmp(c, "workers") == 0)
		return list_of(text, "worker", params, d, 0);
	if (strcmp(c, "ports") == 0)
		return list_of(text, "port", params, d, 0);
	if (strcmp(c, "backend") == 0 || strcmp(c, "worker") == 0 ||
	    strcmp(c, "port") == 0)
		return by_label(text, c, params, d);
	return -1;
}

static int
on_command(const char *cmd, const char *params, struct rte_tel_data *d)
{
	int rc = -1;

	pthread_mutex_lock(&tel_lock);
	if (tel_text != NULL)
		rc = lb_metrics_telemetry_answer(tel_text, cmd, params, d);
	pthread_mutex_unlock(&tel_lock);
	return rc;
}

static const struct {
	const char *cmd, *help;
} tel_cmds[] = {
	{ "/edgelb/families", "Metric families /metrics exports" },
	{ "/edgelb/stats", "Every metric without labels (flow table, config)" },
	{ "/edgelb/generation", "Configuration generation, last change, "
	  "changes by result, policy findings" },
	{ "/edgelb/backends", "Backend names, 256 at a time. Parameter: "
	  "first index (default 0)" },
	{ "/edgelb/backend", "One backend's metrics. Parameters: NAME[,VIP]" },
	{ "/edgelb/workers", "Worker indexes" },
	{ "/edgelb/worker", "One worker's metrics. Parameter: index" },
	{ "/edgelb/ports", "Port names" },
	{ "/edgelb/port", "One port's metrics (drops by reason, NIC). "
	  "Parameter: name" },
};

int
lb_metrics_telemetry_register(void)
{
	unsigned int i;
	int rc;

	for (i = 0; i < RTE_DIM(tel_cmds); i++) {
		rc = rte_telemetry_register_cmd(tel_cmds[i].cmd, on_command,
						tel_cmds[i].help);
		if (rc != 0)
			return rc;
	}
	return 0;
}

int
lb_metrics_publish(struct lb_metrics *m)
{
	size_t len;
	char *text = lb_metrics_render(m, &len), *old;

	if (text == NULL)
		return -ENOMEM;
	if (pthread_mutex_trylock(&tel_lock) != 0) {
		free(text);         /* a client reads: next second */
		return 0;
	}
	old = tel_text;
	tel_text = text;
	pthread_mutex_unlock(&tel_lock);
	free(old);
	return 0;
}

/* Called by lb_metrics_destroy: callbacks answer nothing from now on. */
void
metrics_telemetry_clear(void)
{
	char *old;

	pthread_mutex_lock(&tel_lock);
	old = tel_text;
	tel_text = NULL;
	pthread_mutex_unlock(&tel_lock);
	free(old);
}
