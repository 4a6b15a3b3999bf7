/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/runtime: the one apply, on a real lb_dp with two workers created but
 * not launched (no thread is registered with the RCU variable, so the
 * publish wait returns at once) and configurations written as INI files
 * to a temporary directory, the audit log among them. Each test starts
 * from a fresh runtime at generation 1.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <rte_eal.h>

#include "test_json.h"
#include "lb_evloop.h"
#include "lb_runtime.h"
#include "lb_spec.h"
#include "test_runtime.h"

#define N_WORKERS 2

/* fsync is wrapped at link time (-Wl,--wrap=fsync): audit records are
 * counted as they are forced to disk. */
int __real_fsync(int fd);
int __wrap_fsync(int fd);
static unsigned int fsyncs;
static unsigned int fsync_fail;  /* fail this many calls (EIO) */

int
__wrap_fsync(int fd)
{
	fsyncs++;
	if (fsync_fail > 0) {
		fsync_fail--;
		errno = EIO;
		return -1;
	}
	return __real_fsync(fd);
}

static struct {
	char dir[64];
	char ini[128];
	char audit[160];
	struct lb_dp *dp;
	struct lb_runtime *rt;
} fx;

static const struct lb_actor who = { .kind = LB_ACTOR_PEER, .uid = 0,
				     .gid = 0, .pid = 4242, .comm = "test" };

/* [global] to [pool.*]: @workers and the audit log vary. */
static const char head_fmt[] =
	"[global]\nsocket = /tmp/ut-runtime-unused.sock\nworkers = %u\n"
	"audit_log = %s\nflow_table_size = 1024\n"
	"[port.lan]\ndevice = net_null0\naddress = 10.0.0.2/24\n"
	"[vip.web]\naddress = 10.0.0.100\nport = 80\nprotocol = tcp\n"
	"pool = web\n"
	"[vip.alt]\naddress = 10.0.0.101\nport = 80\nprotocol = tcp\n"
	"pool = alt\n"
	"[pool.web]\ntable_size = 251\n"
	"[pool.alt]\ntable_size = 251\n";

/* The base: a, b, c in web, z in alt. */
static const char base_backends[] =
	"[backend.a]\npool = web\naddress = 10.0.0.11\nweight = 1\n"
	"[backend.b]\npool = web\naddress = 10.0.0.12\nweight = 2\n"
	"[backend.c]\npool = web\naddress = 10.0.0.13\nweight = 3\n"
	"[backend.z]\npool = alt\naddress = 10.0.0.20\nweight = 1\n";

/* ---- helpers ---- */

static uint32_t
ip(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

/* Write fx.dir/@name: the head (@workers, @audit) then @backends. */
static const char *
write_file(const char *name, unsigned int workers, const char *audit,
	   const char *backends)
{
	static char path[8][128];
	static unsigned int next;
	char *p = path[next++ % 8];
	FILE *f;

	snprintf(p, sizeof(path[0]), "%s/%s", fx.dir, name);
	f = fopen(p, "w");
	assert_non_null(f);
	fprintf(f, head_fmt, workers, audit);
	fputs(backends, f);
	assert_int_equal(fclose(f), 0);
	return p;
}

static const char *
write_ini(const char *name, const char *backends)
{
	return write_file(name, N_WORKERS, fx.audit, backends);
}

static const struct lb_snapshot *
snap(void)
{
	return lb_runtime_snapshot(fx.rt);
}

static const struct lb_config *
cfg(void)
{
	return snap()->cfg;
}

static const struct lb_backend_conf *
backend(const struct lb_config *c, const char *name)
{
	uint32_t i;

	for (i = 0; i < c->n_backends; i++)
		if (strcmp(c->backends[i].name, name) == 0)
			return &c->backends[i];
	return NULL;
}

static uint32_t
id_of(const char *name)
{
	const struct lb_backend_conf *b = backend(cfg(), name);

	if (b == NULL)
		fail_msg("backend %s not in the snapshot", name);
	return b->id;
}

static const struct lb_pool_conf *
pool(const struct lb_config *c, const char *name)
{
	uint32_t i;

	for (i = 0; i < c->n_pools; i++)
		if (strcmp(c->pools[i].name, name) == 0)
			return &c->pools[i];
	fail_msg("pool %s not in the snapshot", name);
	return NULL;
}

/* 1 if backend @name is a member of any pool's table (has slots). */
static int
in_any_table(const struct lb_config *c, const char *name)
{
	const struct lb_backend_conf *b = backend(c, name);
	uint32_t p, m, s;

	for (p = 0; p < c->n_pools; p++)
		for (m = 0; m < c->pools[p].n_members; m++) {
			if (&c->backends[c->pools[p].members[m]] != b)
				continue;
			for (s = 0; s < c->pools[p].maglev.size; s++)
				if (c->pools[p].maglev.slots[s] == m)
					return 1;
		}
	return 0;
}

/* A copy of pool @name's table: slots name members, members names. */
struct table_copy {
	uint32_t size;
	uint16_t *slots;
	char names[8][LB_NAME_MAX];
	uint32_t n_members;
};

static void
table_copy(struct table_copy *t, const struct lb_config *c, const char *name)
{
	const struct lb_pool_conf *p = pool(c, name);
	uint32_t i;

	t->size = p->maglev.size;
	t->slots = malloc(t->size * sizeof(*t->slots));
	assert_non_null(t->slots);
	memcpy(t->slots, p->maglev.slots, t->size * sizeof(*t->slots));
	assert_true(p->n_members <= RTE_DIM(t->names));
	t->n_members = p->n_members;
	for (i = 0; i < p->n_members; i++)
		snprintf(t->names[i], LB_NAME_MAX, "%s",
			 c->backends[p->members[i]].name);
}

static int
table_same(const struct table_copy *t, const struct lb_config *c,
	   const char *name)
{
	const struct lb_pool_conf *p = pool(c, name);
	uint32_t i;

	if (p->maglev.size != t->size || p->n_members != t->n_members ||
	    memcmp(p->maglev.slots, t->slots,
		   t->size * sizeof(*t->slots)) != 0)
		return 0;
	for (i = 0; i < p->n_members; i++)
		if (strcmp(c->backends[p->members[i]].name, t->names[i]) != 0)
			return 0;
	return 1;
}

/* The element of array @a whose @key is the string @value, or NULL. */
static json_t *
find_by(const json_t *a, const char *key, const char *value)
{
	size_t i;
	json_t *e;

	json_array_foreach(a, i, e)
		if (json_is_string(json_object_get(e, key)) &&
		    strcmp(json_string_value(json_object_get(e, key)),
			   value) == 0)
			return e;
	return NULL;
}

/* The key change (section, key) in @ans's "changes", or NULL. */
static json_t *
key_change(const json_t *ans, const char *section, const char *key)
{
	size_t i;
	json_t *e;

	json_array_foreach(json_object_get(ans, "changes"), i, e)
		if (strcmp(gets(e, "section"), section) == 0 &&
		    json_is_string(json_object_get(e, "key")) &&
		    strcmp(gets(e, "key"), key) == 0)
			return e;
	return NULL;
}

/* The last audit record in memory. */
static json_t *
last_record(void)
{
	json_t *h = lb_runtime_history(fx.rt, 1), *r;

	assert_int_equal(json_array_size(h), 1);
	r = json_incref(json_array_get(h, 0));
	json_decref(h);
	return r;
}

static int
set(const char *section, const char *key, const char *value)
{
	char command[128];
	json_t *ans = NULL;
	int rc;

	snprintf(command, sizeof(command), "set %s %s %s", section, key,
		 value != NULL ? value : "-");
	rc = lb_runtime_set(fx.rt, section, key, value, &who, command, &ans);
	assert_non_null(ans);
	json_decref(ans);
	return rc;
}

static void
flows(uint32_t id, uint64_t n)
{
	fx.dp->workers[1]->stats.backend[id].flows = n;
}

/* ---- fixture ---- */

static int
runtime_up(const char *audit_log)
{
	fsyncs = 0;
	snprintf(fx.dir, sizeof(fx.dir), "/tmp/ut-runtime-XXXXXX");
	if (mkdtemp(fx.dir) == NULL)
		return -1;
	if (audit_log != NULL)
		snprintf(fx.audit, sizeof(fx.audit), "%s/%s", fx.dir,
			 audit_log);
	else
		snprintf(fx.audit, sizeof(fx.audit), "%s/log/audit.log",
			 fx.dir);
	snprintf(fx.ini, sizeof(fx.ini), "%s", write_ini("edgelb.ini",
							 base_backends));
	if (audit_log != NULL && strncmp(audit_log, "plain/", 6) == 0)
		write_ini("plain", "");     /* a regular file */
	fx.rt = trt_create(&fx.dp, N_WORKERS, fx.ini);
	return fx.rt != NULL ? 0 : -1;
}

static int
setup(void **state)
{
	(void)state;
	return runtime_up(NULL);
}

static int
teardown(void **state)
{
	int rc = trt_destroy(fx.rt, fx.dp, fx.dir);

	(void)state;
	fx.rt = NULL;
	fx.dp = NULL;
	return rc;
}

/* ---- lb_runtime_create ---- */

static void
test_create_publishes_generation_one(void **state)
{
	(void)state;
	assert_ptr_equal(lb_dp_snapshot(fx.dp), snap());
	assert_int_equal(snap()->generation, 1);
	assert_int_equal(snap()->seq, 1);
	assert_int_equal(cfg()->n_backends, 4);
	assert_string_equal(lb_runtime_backend_name(fx.rt, id_of("c")), "c");
	assert_string_equal(lb_runtime_vip_name(fx.rt, 0), "web");
	assert_int_equal(lb_runtime_records(fx.rt), 1);
}

/* ---- lb_runtime_apply ---- */

static struct lb_spec *
load(const char *path)
{
	struct lb_config_error err;
	struct lb_spec *s = lb_spec_load(path, &err);

	if (s == NULL)
		fail_msg("%s", err.msg);
	return s;
}

static void
test_apply_publishes_next_generation_and_describes_it(void **state)
{
	const char *p = write_ini("w.ini",
		"[backend.a]\npool = web\naddress = 10.0.0.11\nweight = 1\n"
		"[backend.b]\npool = web\naddress = 10.0.0.12\nweight = 5\n"
		"[backend.c]\npool = web\naddress = 10.0.0.13\nweight = 3\n"
		"[backend.z]\npool = alt\naddress = 10.0.0.20\nweight = 1\n");
	const struct lb_snapshot *before = snap();
	json_t *ans = NULL, *c, *b;

	(void)state;
	assert_int_equal(lb_runtime_apply(fx.rt, load(p), &who, "apply w",
					  &ans), 0);
	assert_int_equal(snap()->generation, 2);
	assert_ptr_not_equal(snap(), before);
	assert_ptr_equal(lb_dp_snapshot(fx.dp), snap());
	assert_int_equal(geti(ans, "generation_before"), 1);
	assert_int_equal(geti(ans, "generation"), 2);
	c = key_change(ans, "backend.b", "weight");
	assert_non_null(c);
	assert_string_equal(gets(c, "old"), "2");
	assert_string_equal(gets(c, "new"), "5");
	assert_int_equal(json_array_size(json_object_get(ans, "changes")), 1);
	/* b's weight moved and so did every share in its pool: a and c
	 * are listed too, z (another pool) is not */
	b = find_by(json_object_get(ans, "backends"), "name", "b");
	assert_non_null(b);
	assert_string_equal(gets(b, "change"), "changed");
	assert_int_equal(geti(b, "id"), id_of("b"));
	assert_int_equal(geti(b, "weight_old"), 2);
	assert_int_equal(geti(b, "weight_new"), 5);
	assert_true(json_real_value(json_object_get(b, "share_new")) >
		    json_real_value(json_object_get(b, "share_old")));
	assert_non_null(find_by(json_object_get(ans, "backends"), "name",
				"a"));
	assert_null(find_by(json_object_get(ans, "backends"), "name", "z"));
	json_decref(ans);
	assert_int_equal(backend(cfg(), "b")->weight, 5);
}

static void
test_apply_failing_build_changes_nothing(void **state)
{
	/* three errors: a value out of range, an address on no port, a pool
	 * that does not exist */
	const char *p = write_ini("bad.ini",
		"[backend.a]\npool = web\naddress = 10.0.0.11\n"
		"weight = 99999999\n"
		"[backend.b]\npool = web\naddress = 192.168.9.9\n"
		"[backend.c]\npool = nosuch\naddress = 10.0.0.13\n"
		"[backend.z]\npool = alt\naddress = 10.0.0.20\n");
	const struct lb_snapshot *before = snap();
	uint64_t records = lb_runtime_records(fx.rt);
	json_t *ans = NULL, *rec;

	(void)state;
	assert_int_equal(lb_runtime_apply(fx.rt, load(p), &who, "apply bad",
					  &ans), -1);
	assert_ptr_equal(snap(), before);
	assert_ptr_equal(lb_dp_snapshot(fx.dp), before);
	assert_int_equal(snap()->generation, 1);
	assert_non_null(json_object_get(ans, "error"));
	assert_int_equal(json_array_size(json_object_get(ans, "errors")), 3);
	assert_non_null(strstr(json_string_value(
		json_array_get(json_object_get(ans, "errors"), 0)), "weight"));
	json_decref(ans);
	/* recorded, refused */
	assert_int_equal(lb_runtime_records(fx.rt), records + 1);
	rec = last_record();
	assert_string_equal(gets(rec, "result"), "refused");
	assert_int_equal(geti(rec, "generation"), 1);
	assert_int_equal(json_array_size(json_object_get(rec, "errors")), 3);
	json_decref(rec);
}

/* ---- identities (lb_runtime_reload) ---- */

static void
test_reload_keeps_identities_by_name(void **state)
{
	uint32_t a = id_of("a"), b = id_of("b"), c = id_of("c"),
		 z = id_of("z");
	const struct lb_config *n;
	const char *p;
	json_t *ans = NULL;
	uint32_t i, id;

	(void)state;
	/* new names that sort first ("0x", "aa"), c and z reordered before
	 * a, b removed */
	p = write_ini("ids.ini",
		"[backend.z]\npool = alt\naddress = 10.0.0.20\nweight = 1\n"
		"[backend.c]\npool = web\naddress = 10.0.0.13\nweight = 3\n"
		"[backend.0x]\npool = web\naddress = 10.0.0.30\n"
		"[backend.aa]\npool = alt\naddress = 10.0.0.31\n"
		"[backend.a]\npool = web\naddress = 10.0.0.11\nweight = 1\n");
	assert_int_equal(lb_runtime_reload(fx.rt, p, &who, &ans), 0);
	json_decref(ans);
	n = cfg();
	assert_int_equal(n->n_backends, 5);
	assert_int_equal(backend(n, "a")->id, a);
	assert_int_equal(backend(n, "c")->id, c);
	assert_int_equal(backend(n, "z")->id, z);
	assert_null(backend(n, "b"));
	assert_int_equal(n->backend_index[b], LB_ID_NONE);
	for (i = 0; i < n->n_backends; i++) {
		id = n->backends[i].id;
		assert_int_equal(n->backend_index[id], i);
		assert_string_equal(lb_runtime_backend_name(fx.rt, id),
				    n->backends[i].name);
		assert_int_not_equal(id, b);    /* never reused */
	}
	assert_string_equal(lb_runtime_backend_name(fx.rt, b), "b");
	/* and again with b back: its old identity */
	assert_int_equal(lb_runtime_reload(fx.rt, fx.ini, &who, &ans), 0);
	json_decref(ans);
	assert_int_equal(id_of("b"), b);
	assert_int_equal(id_of("a"), a);
	assert_true(backend(cfg(), "0x") == NULL);
}

/* ---- retained backends (lb_runtime_reload, lb_runtime_tick) ---- */

static void
test_reload_retains_removed_backend_with_flows(void **state)
{
	uint32_t b = id_of("b");
	const struct lb_backend_conf *rb;
	const char *p;
	json_t *ans = NULL, *rec;
	uint64_t gen;

	(void)state;
	flows(b, 3);
	assert_int_equal(lb_runtime_backend_flows(fx.rt, b), 3);
	p = write_ini("nob.ini",
		"[backend.a]\npool = web\naddress = 10.0.0.11\nweight = 1\n"
		"[backend.c]\npool = web\naddress = 10.0.0.13\nweight = 3\n"
		"[backend.z]\npool = alt\naddress = 10.0.0.20\nweight = 1\n");
	assert_int_equal(lb_runtime_reload(fx.rt, p, &who, &ans), 0);
	assert_string_equal(gets(find_by(json_object_get(ans, "backends"),
					 "name", "b"), "change"), "removed");
	json_decref(ans);
	rb = backend(cfg(), "b");
	assert_non_null(rb);
	assert_int_equal(rb->id, b);
	assert_int_equal(rb->state, LB_BACKEND_REMOVED);
	assert_int_equal(rb->member, UINT32_MAX);
	assert_int_equal(cfg()->backend_fwd[b].index, LB_ID_NONE);
	assert_false(in_any_table(cfg(), "b"));
	assert_int_equal(pool(cfg(), "web")->n_members, 2);
	/* a runtime change meanwhile keeps it */
	assert_int_equal(set("backend.a", "weight", "4"), 0);
	assert_int_equal(backend(cfg(), "b")->state, LB_BACKEND_REMOVED);
	/* the tick forgets it only once its last flow ended */
	gen = snap()->generation;
	lb_runtime_tick(fx.rt);
	assert_int_equal(snap()->generation, gen);
	flows(b, 0);
	lb_runtime_tick(fx.rt);
	assert_int_equal(snap()->generation, gen + 1);
	assert_null(backend(cfg(), "b"));
	assert_int_equal(cfg()->backend_index[b], LB_ID_NONE);
	rec = last_record();
	assert_string_equal(gets(json_object_get(rec, "who"), "kind"),
			    "edgelbd");
	assert_non_null(strstr(gets(rec, "command"), " b"));
	json_decref(rec);
	/* nothing more to forget: no new generation */
	lb_runtime_tick(fx.rt);
	assert_int_equal(snap()->generation, gen + 1);
}

/* ---- lb_runtime_reload ---- */

static void
test_reload_refuses_static_key_change(void **state)
{
	const char *p = write_file("w1.ini", 1, fx.audit, base_backends);
	const struct lb_snapshot *before = snap();
	json_t *ans = NULL, *rec;

	(void)state;
	assert_int_equal(lb_runtime_reload(fx.rt, p, &who, &ans), -1);
	assert_non_null(strstr(gets(ans, "error"), "workers"));
	json_decref(ans);
	assert_ptr_equal(snap(), before);
	assert_int_equal(snap()->generation, 1);
	rec = last_record();
	assert_string_equal(gets(rec, "result"), "refused");
	json_decref(rec);
}

static void
test_reload_discards_runtime_changes(void **state)
{
	json_t *ans = NULL, *d, *rec, *st;

	(void)state;
	assert_int_equal(set("backend.a", "weight", "7"), 0);
	assert_int_equal(set("backend.c", "admin_state", "drained"), 0);
	st = lb_runtime_status(fx.rt);
	assert_int_equal(geti(st, "runtime_changes"), 2);
	assert_true(json_is_true(json_object_get(st, "differs_from_file")));
	json_decref(st);
	assert_int_equal(lb_runtime_reload(fx.rt, NULL, &who, &ans), 0);
	d = json_object_get(ans, "discarded");
	assert_int_equal(json_array_size(d), 2);
	assert_string_equal(gets(json_array_get(d, 0), "command"),
			    "set backend.a weight 7");
	assert_int_equal(geti(json_array_get(d, 1), "generation"), 3);
	assert_int_equal(backend(cfg(), "a")->weight, 1);
	assert_int_equal(backend(cfg(), "c")->state, LB_BACKEND_UP);
	json_decref(ans);
	/* the audit record says what was discarded too */
	rec = last_record();
	assert_int_equal(json_array_size(json_object_get(rec, "discarded")),
			 2);
	json_decref(rec);
	st = lb_runtime_status(fx.rt);
	assert_int_equal(geti(st, "runtime_changes"), 0);
	assert_true(json_is_false(json_object_get(st, "differs_from_file")));
	json_decref(st);
	/* a second reload has nothing to discard */
	assert_int_equal(lb_runtime_reload(fx.rt, NULL, &who, &ans), 0);
	assert_int_equal(json_array_size(json_object_get(ans, "discarded")),
			 0);
	json_decref(ans);
}

/* ---- lb_runtime_set ---- */

static void
test_set_weight_changes_table(void **state)
{
	struct table_copy t;

	(void)state;
	table_copy(&t, cfg(), "web");
	assert_int_equal(set("backend.b", "weight", "9"), 0);
	assert_int_equal(snap()->generation, 2);
	assert_int_equal(backend(cfg(), "b")->weight, 9);
	assert_false(table_same(&t, cfg(), "web"));
	free(t.slots);
	/* weight 0: out of the table */
	assert_int_equal(set("backend.b", "weight", "0"), 0);
	assert_false(in_any_table(cfg(), "b"));
	/* back to its default (1) */
	assert_int_equal(set("backend.b", "weight", NULL), 0);
	assert_int_equal(backend(cfg(), "b")->weight, 1);
	assert_true(in_any_table(cfg(), "b"));
}

/* The last weighted backend of a VIP's pool to weight 0: refused, naming
 * the change; nothing applied. Draining or disabling it is allowed. */
static void
test_set_weight_zero_empty_pool_refused(void **state)
{
	uint64_t gen = snap()->generation;
	json_t *ans = NULL;

	(void)state;
	assert_int_equal(lb_runtime_set(fx.rt, "backend.z", "weight", "0",
					&who, "weight z 0", &ans), -1);
	assert_non_null(strstr(gets(ans, "error"), "pool alt: every backend "
				"has weight 0, so vip alt would drop every "
				"new flow"));
	json_decref(ans);
	assert_int_equal(snap()->generation, gen);
	assert_int_equal(backend(cfg(), "z")->weight, 1);
	assert_int_equal(set("backend.z", "admin_state", "drained"), 0);
	assert_int_equal(set("backend.z", "admin_state", "disabled"), 0);
	/* web keeps b and c: a alone may go to 0 */
	assert_int_equal(set("backend.a", "weight", "0"), 0);
}

static void
test_set_drained_and_disabled_leave_table(void **state)
{
	uint32_t c = id_of("c");

	(void)state;
	assert_int_equal(set("backend.c", "admin_state", "drained"), 0);
	assert_int_equal(backend(cfg(), "c")->state, LB_BACKEND_DRAINED);
	assert_false(in_any_table(cfg(), "c"));
	assert_int_equal(cfg()->backend_fwd[c].index,
			 cfg()->backend_index[c]);  /* flows stay */
	assert_int_equal(set("backend.c", "admin_state", "disabled"), 0);
	assert_int_equal(backend(cfg(), "c")->state, LB_BACKEND_DISABLED);
	assert_false(in_any_table(cfg(), "c"));
	assert_int_equal(cfg()->backend_fwd[c].index, LB_ID_NONE);
	assert_int_equal(set("backend.c", "admin_state", "enabled"), 0);
	assert_true(in_any_table(cfg(), "c"));
	assert_int_equal(id_of("c"), c);
	assert_int_equal(snap()->generation, 4);
}

static void
test_set_refused_values_recorded(void **state)
{
	static const char *const bad[][3] = {
		{ "backend.b", "weight", "70000" },
		{ "backend.b", "admin_state", "sleeping" },
		{ "backend.nosuch", "weight", "1" },
		{ "global", "workers", "1" },
		{ "backend.b", "nokey", "1" },
	};
	const struct lb_snapshot *before = snap();
	uint64_t records = lb_runtime_records(fx.rt);
	json_t *rec;
	unsigned int i;

	(void)state;
	for (i = 0; i < RTE_DIM(bad); i++) {
		assert_int_equal(set(bad[i][0], bad[i][1], bad[i][2]), -1);
		rec = last_record();
		assert_string_equal(gets(rec, "result"), "refused");
		assert_non_null(json_object_get(rec, "error"));
		json_decref(rec);
	}
	assert_int_equal(lb_runtime_records(fx.rt), records + RTE_DIM(bad));
	assert_ptr_equal(snap(), before);
	assert_int_equal(backend(cfg(), "b")->weight, 2);
}

/* ---- lb_runtime_rollback ---- */

static void
test_rollback_restores_tables(void **state)
{
	struct table_copy g1, g2;
	json_t *ans = NULL;

	(void)state;
	table_copy(&g1, cfg(), "web");
	assert_int_equal(set("backend.a", "weight", "5"), 0);       /* 2 */
	table_copy(&g2, cfg(), "web");
	assert_int_equal(set("backend.c", "admin_state", "disabled"), 0);
	assert_false(table_same(&g2, cfg(), "web"));                /* 3 */
	/* 0: the one before the running one */
	assert_int_equal(lb_runtime_rollback(fx.rt, 0, &who, "rollback",
					     &ans), 0);
	assert_int_equal(geti(ans, "restored"), 2);
	json_decref(ans);
	assert_int_equal(snap()->generation, 4);
	assert_true(table_same(&g2, cfg(), "web"));
	assert_int_equal(lb_runtime_rollback(fx.rt, 1, &who, "rollback 1",
					     &ans), 0);
	assert_int_equal(geti(ans, "restored"), 1);
	json_decref(ans);
	assert_int_equal(snap()->generation, 5);
	assert_true(table_same(&g1, cfg(), "web"));
	assert_int_equal(backend(cfg(), "a")->weight, 1);
	free(g1.slots);
	free(g2.slots);
}

static void
test_rollback_refuses_generation_not_kept(void **state)
{
	const struct lb_snapshot *before;
	json_t *ans = NULL;
	char w[16];
	unsigned int i;

	(void)state;
	/* generation 1 is the only one: nothing before it */
	assert_int_equal(lb_runtime_rollback(fx.rt, 0, &who, "rollback",
					     &ans), -1);
	json_decref(ans);
	for (i = 0; i < LB_RUNTIME_GENERATIONS; i++) {
		snprintf(w, sizeof(w), "%u", 2 + i % 5);
		assert_int_equal(set("backend.a", "weight", w), 0);
	}
	before = snap();
	assert_int_equal(before->generation, LB_RUNTIME_GENERATIONS + 1);
	assert_int_equal(lb_runtime_rollback(fx.rt, 1, &who, "rollback 1",
					     &ans), -1);
	assert_non_null(strstr(gets(ans, "error"), "no such"));
	json_decref(ans);
	/* neither the running one nor a future one */
	assert_int_equal(lb_runtime_rollback(fx.rt, before->generation, &who,
					     "rollback", &ans), -1);
	json_decref(ans);
	assert_int_equal(lb_runtime_rollback(fx.rt, 1000, &who, "rollback",
					     &ans), -1);
	json_decref(ans);
	assert_ptr_equal(snap(), before);
	/* the oldest kept still works */
	assert_int_equal(lb_runtime_rollback(fx.rt, 2, &who, "rollback 2",
					     &ans), 0);
	json_decref(ans);
}

/* ---- lb_runtime_diff ---- */

static void
test_diff_changes_nothing(void **state)
{
	const char *p = write_ini("d.ini",
		"[backend.a]\npool = web\naddress = 10.0.0.11\nweight = 1\n"
		"[backend.b]\npool = web\naddress = 10.0.0.12\nweight = 8\n"
		"[backend.z]\npool = alt\naddress = 10.0.0.20\nweight = 1\n"
		"[backend.new]\npool = web\naddress = 10.0.0.40\n");
	const struct lb_snapshot *before = snap();
	uint64_t records = lb_runtime_records(fx.rt);
	json_t *d, *again;

	(void)state;
	d = lb_runtime_diff(fx.rt, p);
	assert_non_null(d);
	assert_int_equal(geti(d, "generation"), 1);
	assert_non_null(key_change(d, "backend.b", "weight"));
	assert_string_equal(gets(find_by(json_object_get(d, "backends"),
					 "name", "c"), "change"), "removed");
	assert_string_equal(gets(find_by(json_object_get(d, "backends"),
					 "name", "new"), "change"), "added");
	assert_ptr_equal(snap(), before);
	assert_ptr_equal(lb_dp_snapshot(fx.dp), before);
	assert_int_equal(lb_runtime_records(fx.rt), records);
	/* no identity is taken by a what-if: the next name applied gets
	 * the next identity */
	assert_null(lb_runtime_backend_name(fx.rt, 4));
	/* the same diff twice says the same thing */
	again = lb_runtime_diff(fx.rt, p);
	assert_true(json_equal(d, again));
	json_decref(again);
	json_decref(d);
	/* errors are answered, nothing changes either */
	d = lb_runtime_diff(fx.rt, write_file("dw.ini", 1, fx.audit,
					      base_backends));
	assert_non_null(json_object_get(d, "errors"));
	json_decref(d);
	assert_ptr_equal(snap(), before);
}

/* ---- audit (lb_runtime_history, lb_runtime_status) ---- */

/* Every line of the audit file, parsed. */
static json_t *
audit_lines(const char *path)
{
	json_t *all = json_array(), *rec;
	json_error_t jerr;
	char line[16384];
	FILE *f = fopen(path, "r");

	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		assert_non_null(strchr(line, '\n'));    /* whole lines */
		rec = json_loads(line, 0, &jerr);
		if (rec == NULL)
			fail_msg("audit line: %s: %s", jerr.text, line);
		json_array_append_new(all, rec);
	}
	fclose(f);
	return all;
}

static void
test_audit_one_line_per_change(void **state)
{
	json_t *lines, *r, *ans = NULL;

	(void)state;
	assert_int_equal(set("backend.a", "weight", "3"), 0);
	assert_int_equal(set("backend.a", "weight", "99999"), -1);
	assert_int_equal(lb_runtime_reload(fx.rt, NULL, &who, &ans), 0);
	json_decref(ans);
	lb_runtime_record_refused(fx.rt, &who, "weight a x", "not allowed");
	lines = audit_lines(fx.audit);
	assert_int_equal(json_array_size(lines), 5);
	assert_int_equal(lb_runtime_records(fx.rt), 5);
	assert_int_equal(fsyncs, 5);
	r = json_array_get(lines, 0);
	assert_string_equal(gets(json_object_get(r, "who"), "kind"),
			    "startup");
	r = json_array_get(lines, 1);
	assert_string_equal(gets(r, "command"), "set backend.a weight 3");
	assert_string_equal(gets(r, "result"), "ok");
	assert_int_equal(geti(r, "generation_before"), 1);
	assert_int_equal(geti(r, "generation"), 2);
	assert_string_equal(gets(json_object_get(r, "who"), "kind"), "peer");
	assert_int_equal(geti(json_object_get(r, "who"), "pid"), 4242);
	assert_non_null(key_change(r, "backend.a", "weight"));
	assert_non_null(json_object_get(r, "backends"));
	assert_non_null(json_object_get(r, "time"));
	assert_string_equal(gets(json_array_get(lines, 2), "result"),
			    "refused");
	assert_string_equal(gets(json_array_get(lines, 3), "result"), "ok");
	assert_string_equal(gets(json_array_get(lines, 4), "error"),
			    "not allowed");
	json_decref(lines);
}

static void
test_audit_history_last_n_oldest_first(void **state)
{
	json_t *h;
	char w[16];
	unsigned int i;

	(void)state;
	for (i = 2; i <= 6; i++) {
		snprintf(w, sizeof(w), "%u", i);
		assert_int_equal(set("backend.a", "weight", w), 0);
	}
	h = lb_runtime_history(fx.rt, 3);
	assert_int_equal(json_array_size(h), 3);
	assert_string_equal(gets(json_array_get(h, 0), "command"),
			    "set backend.a weight 4");
	assert_string_equal(gets(json_array_get(h, 2), "command"),
			    "set backend.a weight 6");
	json_decref(h);
	h = lb_runtime_history(fx.rt, 100);
	assert_int_equal(json_array_size(h), 6);
	assert_non_null(strstr(gets(json_array_get(h, 0), "command"),
			       "start "));
	json_decref(h);
	h = lb_runtime_history(fx.rt, 0);
	assert_int_equal(json_array_size(h), 0);
	json_decref(h);
}

static void
test_audit_unwritable_does_not_block_changes(void **state)
{
	json_t *st, *al, *h;

	(void)state;
	/* the fixture's runtime is replaced by one whose audit log is in a
	 * directory that cannot be created: under a regular file */
	assert_int_equal(teardown(state), 0);
	assert_int_equal(runtime_up("plain/sub/audit.log"), 0);
	assert_int_equal(set("backend.a", "weight", "3"), 0);
	assert_int_equal(snap()->generation, 2);
	st = lb_runtime_status(fx.rt);
	al = json_object_get(st, "audit_log");
	assert_true(json_is_false(json_object_get(al, "ok")));
	assert_non_null(strstr(gets(al, "error"), "cannot open"));
	assert_string_equal(gets(al, "path"), fx.audit);
	json_decref(st);
	/* still in memory */
	h = lb_runtime_history(fx.rt, 10);
	assert_int_equal(json_array_size(h), 2);
	json_decref(h);
	assert_int_equal(fsyncs, 0);
}

/* A record that does not reach the disk is taken back from the file, so
 * the next one does not continue a broken line; the change still applies. */
static void
test_audit_failed_write_leaves_whole_lines(void **state)
{
	json_t *lines, *st;

	(void)state;
	fsync_fail = 1;
	assert_int_equal(set("backend.a", "weight", "3"), 0);
	assert_int_equal(snap()->generation, 2);
	st = lb_runtime_status(fx.rt);
	assert_true(json_is_false(json_object_get(
		json_object_get(st, "audit_log"), "ok")));
	json_decref(st);
	assert_int_equal(set("backend.a", "weight", "4"), 0);
	lines = audit_lines(fx.audit);      /* fails on a broken line */
	assert_int_equal(json_array_size(lines), 2);
	assert_string_equal(gets(json_array_get(lines, 1), "command"),
			    "set backend.a weight 4");
	json_decref(lines);
	st = lb_runtime_status(fx.rt);
	assert_true(json_is_true(json_object_get(
		json_object_get(st, "audit_log"), "ok")));
	json_decref(st);
}

/* ---- next hops (lb_runtime_neigh_learn, _commit) ---- */

static const struct rte_ether_addr mac_a = {{ 0x02, 0, 0, 0, 0, 0x11 }};
static const struct rte_ether_addr mac_c = {{ 0x02, 0, 0, 0, 0, 0x13 }};

/* Ask every unresolved neighbour (as the daemon's tick does at @p now):
 * their answers are then believed. */
static void
ask_all(uint64_t now)
{
	uint32_t idx[64];

	lb_runtime_neigh_due(fx.rt, now, idx, RTE_DIM(idx));
}

/* An ARP reply from @p mac, sent from that same Ethernet source. */
static int
learn(const char *addr, const struct rte_ether_addr *mac, uint64_t now)
{
	return lb_runtime_neigh_learn(fx.rt, 0, ip(addr), mac, mac, now);
}

static const struct lb_neigh_entry *
neigh_of(const char *addr)
{
	const struct lb_config *c = cfg();
	uint32_t i;

	for (i = 0; i < c->n_neighs; i++)
		if (c->neighs[i].addr == ip(addr) && c->neighs[i].port == 0)
			return &snap()->neigh->e[i];
	fail_msg("%s is no neighbour", addr);
	return NULL;
}

static void
test_neigh_two_learns_one_commit(void **state)
{
	const struct lb_snapshot *before = snap();
	const struct lb_config *c = cfg();
	uint64_t records = lb_runtime_records(fx.rt);
	json_t *rec;

	(void)state;
	assert_false(neigh_of("10.0.0.11")->valid);
	ask_all(9);
	assert_int_equal(learn("10.0.0.11", &mac_a, 10), 1);
	assert_int_equal(learn("10.0.0.13", &mac_c, 11), 1);
	/* the same again, and an address that is no neighbour: nothing */
	assert_int_equal(learn("10.0.0.13", &mac_c, 12), 0);
	assert_int_equal(learn("10.0.0.99", &mac_c, 12), 0);
	assert_ptr_equal(snap(), before);          /* gathered, not applied */
	lb_runtime_neigh_commit(fx.rt);
	assert_ptr_not_equal(snap(), before);
	assert_ptr_equal(lb_dp_snapshot(fx.dp), snap());
	assert_int_equal(snap()->seq, 2);
	assert_int_equal(snap()->generation, 1);
	assert_ptr_equal(cfg(), c);
	assert_true(neigh_of("10.0.0.11")->valid);
	assert_true(rte_is_same_ether_addr(&neigh_of("10.0.0.11")->mac,
					   &mac_a));
	assert_true(rte_is_same_ether_addr(&neigh_of("10.0.0.13")->mac,
					   &mac_c));
	assert_false(neigh_of("10.0.0.12")->valid);
	assert_int_equal(lb_runtime_records(fx.rt), records + 1);
	rec = last_record();
	assert_string_equal(gets(json_object_get(rec, "who"), "kind"),
			    "neigh");
	assert_non_null(strstr(gets(rec, "command"), "10.0.0.13"));
	json_decref(rec);
	/* nothing gathered: a commit publishes nothing */
	lb_runtime_neigh_commit(fx.rt);
	assert_int_equal(snap()->seq, 2);
}

static void
test_neigh_config_change_keeps_learned(void **state)
{
	json_t *ans = NULL;
	const char *p;

	(void)state;
	ask_all(9);
	assert_int_equal(learn("10.0.0.11", &mac_a, 10), 1);
	lb_runtime_neigh_commit(fx.rt);
	/* learned but not committed when the change comes: carried too */
	assert_int_equal(learn("10.0.0.13", &mac_c, 11), 1);
	/* new neighbours first in the file: every index moves */
	p = write_ini("n.ini",
		"[backend.n1]\npool = web\naddress = 10.0.0.50\n"
		"[backend.n2]\npool = alt\naddress = 10.0.0.51\n"
		"[backend.c]\npool = web\naddress = 10.0.0.13\nweight = 3\n"
		"[backend.a]\npool = web\naddress = 10.0.0.11\nweight = 1\n"
		"[backend.z]\npool = alt\naddress = 10.0.0.20\nweight = 1\n");
	assert_int_equal(lb_runtime_reload(fx.rt, p, &who, &ans), 0);
	json_decref(ans);
	assert_int_equal(snap()->generation, 2);
	assert_int_equal(snap()->neigh->n, cfg()->n_neighs);
	assert_true(rte_is_same_ether_addr(&neigh_of("10.0.0.11")->mac,
					   &mac_a));
	assert_true(neigh_of("10.0.0.13")->valid);
	assert_true(rte_is_same_ether_addr(&neigh_of("10.0.0.13")->mac,
					   &mac_c));
	assert_false(neigh_of("10.0.0.50")->valid);
	/* and through a runtime change */
	assert_int_equal(set("backend.a", "weight", "2"), 0);
	assert_true(rte_is_same_ether_addr(&neigh_of("10.0.0.11")->mac,
					   &mac_a));
	/* the pending table was consumed: a commit publishes nothing */
	lb_runtime_neigh_commit(fx.rt);
	assert_int_equal(snap()->generation, 3);
}

/*
 * ARP is unauthenticated: a MAC nobody asked for, or a reply whose
 * Ethernet source is not its sender, is refused, counted, and changes
 * nothing; a MAC change is believed only as the answer to a request.
 */
static void
test_neigh_unsolicited_and_spoofed_refused(void **state)
{
	const struct rte_ether_addr evil = {{ 0x02, 0, 0, 0, 0, 0xee }};
	json_t *st, *refused;

	(void)state;
	/* refused (-1): not passed on to the kernel interface either */
	assert_int_equal(learn("10.0.0.11", &evil, 5), -1);    /* unasked */
	ask_all(9);
	assert_int_equal(lb_runtime_neigh_learn(fx.rt, 0, ip("10.0.0.11"),
						&mac_a, &evil, 10), -1);
	assert_int_equal(learn("10.0.0.11", &mac_a, 11), 1);
	lb_runtime_neigh_commit(fx.rt);
	/* the same MAC again: a refresh, neither news nor refused */
	assert_int_equal(learn("10.0.0.11", &mac_a, 12), 0);
	/* no neighbour of ours: not ours to refuse (the kernel may ask) */
	assert_int_equal(learn("10.0.0.99", &evil, 12), 0);
	/* answered: a new MAC now is unsolicited until we ask again */
	assert_int_equal(learn("10.0.0.11", &evil, 12), -1);
	assert_true(rte_is_same_ether_addr(&neigh_of("10.0.0.11")->mac,
					   &mac_a));
	st = lb_runtime_status(fx.rt);
	refused = json_object_get(json_object_get(st, "arp"), "refused");
	assert_int_equal(geti(refused, "unsolicited"), 2);
	assert_int_equal(geti(refused, "eth_source"), 1);
	assert_true(geti(json_object_get(st, "arp"), "learned") >= 1);
	json_decref(st);
}

/* ---- health and slow start ---- */

static void
test_health_down_leaves_table_and_survives_changes(void **state)
{
	uint64_t gen = snap()->generation;
	json_t *rec, *h;

	(void)state;
	assert_int_equal(lb_runtime_health_set(fx.rt, id_of("b"), 1,
		"3 consecutive failures: connect refused"), 1);
	/* gathered: nothing applied before the commit */
	assert_int_equal(snap()->generation, gen);
	assert_int_equal(lb_runtime_health_set(fx.rt, id_of("b"), 1, "x"), 0);
	lb_runtime_health_commit(fx.rt);
	assert_int_equal(snap()->generation, gen + 1);
	assert_true(backend(cfg(), "b")->out);
	assert_false(in_any_table(cfg(), "b"));
	assert_true(in_any_table(cfg(), "a"));
	rec = last_record();
	assert_string_equal(gets(json_object_get(rec, "who"), "kind"),
			    "health");
	assert_string_equal(gets(rec, "command"), "health: b down "
			    "(3 consecutive failures: connect refused)");
	h = json_array_get(json_object_get(rec, "health"), 0);
	assert_string_equal(gets(h, "backend"), "b");
	assert_string_equal(gets(h, "health"), "down");
	assert_non_null(find_by(json_object_get(rec, "backends"), "name",
				"b"));
	json_decref(rec);
	/* a runtime command and a reload do not bring it back */
	assert_int_equal(set("backend.a", "weight", "5"), 0);
	assert_false(in_any_table(cfg(), "b"));
	assert_true(lb_runtime_backend_down(fx.rt, id_of("b")));
	lb_runtime_health_commit(fx.rt);    /* nothing gathered: no change */
	assert_int_equal(snap()->generation, gen + 2);
	lb_runtime_health_set(fx.rt, id_of("b"), 0, "2 consecutive successes");
	lb_runtime_health_commit(fx.rt);
	assert_true(in_any_table(cfg(), "b"));
	assert_false(backend(cfg(), "b")->out);
}

/* Established flows of a down backend follow on_remove, as disabled. */
static void
test_health_down_hit_rule(void **state)
{
	uint16_t bi;

	(void)state;
	lb_runtime_health_set(fx.rt, id_of("c"), 1, "timeout after 1000 ms");
	lb_runtime_health_commit(fx.rt);
	assert_int_equal(lb_config_hit_rule(cfg(), id_of("c"), 0, &bi),
			 LB_HIT_KEPT);
	assert_int_equal(cfg()->backend_fwd[id_of("c")].index, LB_ID_NONE);
	assert_int_equal(set("pool.web", "on_remove", "reschedule"), 0);
	assert_int_equal(lb_config_hit_rule(cfg(), id_of("c"), 0, &bi),
			 LB_HIT_RESCHEDULED);
	assert_int_equal(lb_config_hit_rule(cfg(), id_of("a"), 0, &bi),
			 LB_HIT_STAYS);
}

static void
test_health_all_down_policies(void **state)
{
	json_t *rec, *p;

	(void)state;
	lb_runtime_health_set(fx.rt, id_of("a"), 1, "r");
	lb_runtime_health_set(fx.rt, id_of("b"), 1, "r");
	lb_runtime_health_set(fx.rt, id_of("c"), 1, "r");
	lb_runtime_health_commit(fx.rt);
	/* fail_open (the default): all in the table as if up, flows stay */
	assert_true(pool(cfg(), "web")->all_down_now);
	assert_true(in_any_table(cfg(), "a"));
	assert_true(in_any_table(cfg(), "c"));
	assert_false(backend(cfg(), "a")->out);
	assert_true(backend(cfg(), "a")->down);
	rec = last_record();
	p = json_array_get(json_object_get(rec, "pools"), 0);
	assert_string_equal(gets(p, "pool"), "web");
	assert_true(json_is_true(json_object_get(p, "all_down")));
	assert_non_null(strstr(gets(p, "policy"), "fail_open"));
	json_decref(rec);
	rec = lb_runtime_status(fx.rt);
	p = json_array_get(json_object_get(rec, "pools_all_down"), 0);
	assert_non_null(p);
	assert_string_equal(gets(p, "pool"), "web");
	json_decref(rec);
	/* fail_closed: an empty table */
	assert_int_equal(set("pool.web", "all_down", "fail_closed"), 0);
	assert_false(in_any_table(cfg(), "a"));
	assert_int_equal(pool(cfg(), "web")->n_members, 0);
	assert_true(backend(cfg(), "a")->out);
	/* the other pool is not touched */
	assert_true(in_any_table(cfg(), "z"));
	lb_runtime_health_set(fx.rt, id_of("a"), 0, "r");
	lb_runtime_health_commit(fx.rt);
	assert_false(pool(cfg(), "web")->all_down_now);
	assert_true(in_any_table(cfg(), "a"));
	assert_false(in_any_table(cfg(), "b"));
}

static uint32_t
table_weight(const char *name)
{
	return backend(cfg(), name)->table_weight;
}

static void
test_slow_start_ramps_after_up_and_enable(void **state)
{
	uint64_t gen;

	(void)state;
	assert_int_equal(set("pool.web", "slow_start_s", "2"), 0);
	assert_int_equal(set("backend.b", "weight", "1000"), 0);
	assert_int_equal(table_weight("b"), 1000);     /* not a comeback */
	lb_runtime_health_set(fx.rt, id_of("b"), 1, "r");
	lb_runtime_health_commit(fx.rt);
	assert_int_equal(table_weight("b"), 0);        /* down: out of it */
	assert_int_equal(backend(cfg(), "b")->weight, 1000);
	lb_runtime_health_set(fx.rt, id_of("b"), 0, "r");
	lb_runtime_health_commit(fx.rt);
	assert_true(backend(cfg(), "b")->came_up);
	assert_int_equal(table_weight("b"), 100);      /* a tenth */
	assert_int_equal(backend(cfg(), "b")->weight, 1000);
	gen = snap()->generation;
	lb_runtime_tick(fx.rt);     /* within the same second: no change */
	assert_true(snap()->generation <= gen + 1);
	usleep(1000 * 1000);
	lb_runtime_tick(fx.rt);
	assert_in_range(table_weight("b"), 500, 700);  /* ~0.1 + 0.9 / 2 */
	usleep(1100 * 1000);
	lb_runtime_tick(fx.rt);
	assert_int_equal(table_weight("b"), 1000);
	gen = snap()->generation;
	lb_runtime_tick(fx.rt);
	assert_int_equal(snap()->generation, gen);     /* ramp over */
	/* enable after disable ramps the same way */
	assert_int_equal(set("backend.b", "admin_state", "disabled"), 0);
	assert_int_equal(set("backend.b", "admin_state", "enabled"), 0);
	assert_int_equal(table_weight("b"), 100);
}

/* ---- the policy gate (lb_runtime_set_gate) ---- */

/*
 * A test gate: a violation for every backend whose weight is above
 * max_weight and for pool web with fewer than min_up backends in its
 * table; a warning for every weight equal to warn_weight; NULL when
 * fail is set. It remembers what it was given.
 */
static struct gate_rules {
	unsigned int max_weight, min_up, warn_weight;
	int fail;
	unsigned int calls;
	const struct lb_config *before;
} rules;

static json_t *
finding(const char *severity, const char *code, const char *msg,
	const char *backend)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:o}",
		"severity", severity, "code", code, "message", msg,
		"where", "test.ini:7", "pool", "web", "vip", "web",
		"backend", backend != NULL ? json_string(backend) :
					     json_null());
}

static json_t *
test_gate(const struct lb_config *before, const struct lb_config *after,
	  void *arg)
{
	struct gate_rules *r = arg;
	json_t *list;
	char msg[128];
	unsigned int up = 0;
	uint32_t i;

	r->calls++;
	r->before = before;
	if (r->fail)
		return NULL;
	list = json_array();
	for (i = 0; i < after->n_backends; i++) {
		const struct lb_backend_conf *b = &after->backends[i];

		if (b->weight > r->max_weight) {
			snprintf(msg, sizeof(msg), "backend %s: weight %u "
				 "above %u", b->name, b->weight, r->max_weight);
			json_array_append_new(list, finding("violation",
				"max_weight", msg, b->name));
		}
		if (b->weight == r->warn_weight) {
			snprintf(msg, sizeof(msg), "backend %s: weight %u",
				 b->name, b->weight);
			json_array_append_new(list, finding("warning",
				"weight_lint", msg, b->name));
		}
		if (strcmp(after->pools[b->pool].name, "web") == 0 &&
		    !b->out && b->state == LB_BACKEND_UP && b->weight > 0)
			up++;
	}
	if (up < r->min_up) {
		snprintf(msg, sizeof(msg), "pool web: %u up, min_healthy %u",
			 up, r->min_up);
		json_array_append_new(list, finding("violation", "min_healthy",
						    msg, NULL));
	}
	return list;
}

/* The rules every gate test starts from: the base passes. */
static void
gate_on(void)
{
	memset(&rules, 0, sizeof(rules));
	rules.max_weight = 10;
	rules.warn_weight = 1000;       /* none */
	lb_runtime_set_gate(fx.rt, test_gate, &rules);
}

static const struct lb_actor who_force = {
	.kind = LB_ACTOR_PEER, .uid = 0, .gid = 0, .pid = 4243,
	.comm = "test", .flags = LB_ACTOR_FORCE,
};

static json_t *
status_policy(const char *key)
{
	json_t *st = lb_runtime_status(fx.rt);
	json_t *v = json_object_get(json_object_get(st, "policy"), key);

	assert_true(json_is_array(v));
	json_incref(v);
	json_decref(st);
	return v;
}

static void
test_gate_refuses_operator_changes(void **state)
{
	const struct lb_snapshot *before;
	const char *p = write_ini("big.ini",
		"[backend.a]\npool = web\naddress = 10.0.0.11\nweight = 50\n"
		"[backend.b]\npool = web\naddress = 10.0.0.12\nweight = 20\n"
		"[backend.c]\npool = web\naddress = 10.0.0.13\nweight = 3\n"
		"[backend.z]\npool = alt\naddress = 10.0.0.20\nweight = 1\n");
	const struct lb_actor hup = { .kind = LB_ACTOR_SIGNAL };
	json_t *ans = NULL, *rec, *e;

	(void)state;
	gate_on();
	/* set_gate judged the running generation on its own */
	assert_int_equal(rules.calls, 1);
	assert_ptr_equal(rules.before, NULL);
	assert_int_equal(set("backend.a", "weight", "5"), 0);   /* passes */
	before = snap();
	rules.calls = 0;
	assert_int_equal(lb_runtime_set(fx.rt, "backend.b", "weight", "11",
					&who, "weight b 11", &ans), -1);
	assert_int_equal(rules.calls, 1);       /* against the running one */
	assert_ptr_equal(rules.before, before->cfg);
	assert_string_equal(gets(ans, "error"), "refused by policy: "
			    "backend b: weight 11 above 10");
	assert_int_equal(json_array_size(json_object_get(ans, "violations")),
			 1);
	e = json_object_get(ans, "errors");
	assert_string_equal(json_string_value(json_array_get(e, 1)),
			    "violation: test.ini:7: backend b: weight 11 "
			    "above 10");
	json_decref(ans);
	assert_ptr_equal(snap(), before);
	assert_int_equal(backend(cfg(), "b")->weight, 2);
	rec = last_record();
	assert_string_equal(gets(rec, "result"), "refused");
	assert_string_equal(gets(rec, "command"), "weight b 11");
	assert_string_equal(gets(json_array_get(json_object_get(rec,
		"violations"), 0), "backend"), "b");
	json_decref(rec);
	/* a reload - by a peer or by SIGHUP - with two: "(+1 more)" */
	assert_int_equal(lb_runtime_reload(fx.rt, p, &who, &ans), -1);
	assert_non_null(strstr(gets(ans, "error"), "weight 50 above 10 "
			       "(+1 more)"));
	json_decref(ans);
	assert_int_equal(lb_runtime_reload(fx.rt, p, &hup, &ans), -1);
	json_decref(ans);
	assert_ptr_equal(snap(), before);
	/* a rollback to a generation the policy now refuses */
	rules.max_weight = 4;
	assert_int_equal(set("backend.a", "weight", "1"), 0);
	assert_int_equal(lb_runtime_rollback(fx.rt, 0, &who, "rollback",
					     &ans), -1);
	assert_non_null(strstr(gets(ans, "error"), "backend a: weight 5"));
	json_decref(ans);
	assert_int_equal(backend(cfg(), "a")->weight, 1);
}

static void
test_gate_force_applies_and_records_overridden(void **state)
{
	json_t *ans = NULL, *rec, *o;

	(void)state;
	gate_on();
	assert_int_equal(lb_runtime_set(fx.rt, "backend.b", "weight", "1000",
					&who_force, "weight b 1000 --force",
					&ans), 0);
	assert_true(json_is_true(json_object_get(ans, "forced")));
	o = json_object_get(ans, "overridden");
	assert_int_equal(json_array_size(o), 1);
	assert_string_equal(gets(json_array_get(o, 0), "code"), "max_weight");
	json_decref(ans);
	assert_int_equal(backend(cfg(), "b")->weight, 1000);
	rec = last_record();
	assert_string_equal(gets(rec, "result"), "ok");
	assert_true(json_is_true(json_object_get(rec, "forced")));
	assert_int_equal(json_array_size(json_object_get(rec, "overridden")),
			 1);
	json_decref(rec);
	/* what runs is in violation: status says so */
	o = status_policy("violations");
	assert_int_equal(json_array_size(o), 1);
	json_decref(o);
	/* --force on a change that breaks nothing: not "forced" */
	assert_int_equal(lb_runtime_set(fx.rt, "backend.b", "weight", "4",
					&who_force, "weight b 4 --force",
					&ans), 0);
	assert_null(json_object_get(ans, "forced"));
	json_decref(ans);
	o = status_policy("violations");
	assert_int_equal(json_array_size(o), 0);
	json_decref(o);
}

static void
test_gate_warnings_never_refuse(void **state)
{
	json_t *ans = NULL, *rec, *w;

	(void)state;
	gate_on();
	rules.warn_weight = 7;
	assert_int_equal(lb_runtime_set(fx.rt, "backend.a", "weight", "7",
					&who, "weight a 7", &ans), 0);
	w = json_object_get(ans, "warnings");
	assert_int_equal(json_array_size(w), 1);
	assert_string_equal(gets(json_array_get(w, 0), "code"),
			    "weight_lint");
	assert_null(json_object_get(ans, "violations"));
	assert_null(json_object_get(ans, "forced"));
	json_decref(ans);
	rec = last_record();
	assert_int_equal(json_array_size(json_object_get(rec, "warnings")), 1);
	json_decref(rec);
	w = status_policy("warnings");
	assert_int_equal(json_array_size(w), 1);
	json_decref(w);
}

/* NULL from the gate: it could not decide, so an operator's change does
 * not go (unless forced). */
static void
test_gate_undecided_refuses(void **state)
{
	json_t *ans = NULL;

	(void)state;
	gate_on();
	rules.fail = 1;
	assert_int_equal(lb_runtime_set(fx.rt, "backend.a", "weight", "2",
					&who, "weight a 2", &ans), -1);
	assert_non_null(strstr(gets(ans, "error"), "could not be evaluated"));
	json_decref(ans);
	assert_int_equal(lb_runtime_set(fx.rt, "backend.a", "weight", "2",
					&who_force, "weight a 2 --force",
					&ans), 0);
	json_decref(ans);
}

static void
test_gate_health_never_refused_but_recorded(void **state)
{
	json_t *rec, *v, *st;

	(void)state;
	gate_on();
	rules.min_up = 3;
	lb_runtime_health_set(fx.rt, id_of("b"), 1, "connect refused");
	lb_runtime_health_commit(fx.rt);
	assert_int_equal(snap()->generation, 2);
	assert_true(backend(cfg(), "b")->out);
	rec = last_record();
	assert_string_equal(gets(rec, "result"), "ok");
	assert_string_equal(gets(json_object_get(rec, "who"), "kind"),
			    "health");
	v = json_object_get(rec, "violations");
	assert_int_equal(json_array_size(v), 1);
	assert_string_equal(gets(json_array_get(v, 0), "code"),
			    "min_healthy");
	assert_null(json_object_get(rec, "forced"));
	json_decref(rec);
	st = lb_runtime_status(fx.rt);
	v = json_object_get(st, "policy");
	assert_int_equal(geti(v, "generation"), 2);
	assert_int_equal(json_array_size(json_object_get(v, "violations")), 1);
	json_decref(st);
	/* an operator's change that leaves the pool as it is: refused */
	assert_int_equal(set("backend.a", "weight", "2"), -1);
	/* back up: nothing in violation */
	lb_runtime_health_set(fx.rt, id_of("b"), 0, "2 consecutive successes");
	lb_runtime_health_commit(fx.rt);
	v = status_policy("violations");
	assert_int_equal(json_array_size(v), 0);
	json_decref(v);
}

/* Set on a running generation in violation: status shows it at once. */
static void
test_gate_judges_running_generation(void **state)
{
	json_t *v;

	(void)state;
	v = status_policy("violations");
	assert_int_equal(json_array_size(v), 0);        /* no gate */
	json_decref(v);
	memset(&rules, 0, sizeof(rules));
	rules.max_weight = 2;
	rules.warn_weight = 1000;
	lb_runtime_set_gate(fx.rt, test_gate, &rules);
	v = status_policy("violations");
	assert_int_equal(json_array_size(v), 1);        /* c: weight 3 */
	assert_string_equal(gets(json_array_get(v, 0), "backend"), "c");
	json_decref(v);
	lb_runtime_set_gate(fx.rt, NULL, NULL);
	v = status_policy("violations");
	assert_int_equal(json_array_size(v), 0);
	json_decref(v);
}

static void
test_findings_split(void **state)
{
	json_t *f = json_pack("[{s:s}, {s:s}, {s:s}, {}]", "severity",
			      "warning", "severity", "violation", "severity",
			      "bogus");
	json_t *v, *w;

	(void)state;
	/* unknown or missing severity: a violation (refuse when unsure) */
	assert_int_equal(lb_runtime_findings_split(f, &v, &w), 3);
	assert_int_equal(json_array_size(w), 1);
	json_decref(v);
	json_decref(w);
	json_decref(f);
	assert_int_equal(lb_runtime_findings_split(NULL, &v, &w), 1);
	json_decref(v);
	json_decref(w);
}

/* ---- lb_runtime_whatif ---- */

/*
 * The what-if builds a file as a reload would now: a backend health has
 * down stays out of its table (the same table the running generation
 * has), and the gate's findings say whether a reload would be refused.
 * Nothing is applied, recorded, or given an identity.
 */
static void
test_whatif_builds_as_a_reload_would(void **state)
{
	const char *same = write_ini("same.ini", base_backends);
	const char *big = write_ini("big.ini",
		"[backend.a]\npool = web\naddress = 10.0.0.11\nweight = 50\n"
		"[backend.b]\npool = web\naddress = 10.0.0.12\nweight = 2\n"
		"[backend.c]\npool = web\naddress = 10.0.0.13\nweight = 3\n"
		"[backend.z]\npool = alt\naddress = 10.0.0.20\nweight = 1\n");
	const struct lb_pool_conf *run, *wi;
	const struct lb_snapshot *before;
	struct lb_config *built = NULL;
	uint64_t records;
	json_t *ans, *v;

	(void)state;
	lb_runtime_health_set(fx.rt, id_of("b"), 1, "connect refused");
	lb_runtime_health_commit(fx.rt);
	before = snap();
	records = lb_runtime_records(fx.rt);
	ans = lb_runtime_whatif(fx.rt, same, &built);
	assert_non_null(built);
	assert_false(json_is_true(json_object_get(ans, "refused")));
	assert_int_equal(json_array_size(json_object_get(ans, "violations")),
			 0);
	assert_true(backend(built, "b")->out);
	assert_false(in_any_table(built, "b"));
	run = pool(cfg(), "web");
	wi = pool(built, "web");
	assert_int_equal(wi->maglev.size, run->maglev.size);
	assert_memory_equal(wi->maglev.slots, run->maglev.slots,
			    run->maglev.size * sizeof(run->maglev.slots[0]));
	lb_config_free(built);
	json_decref(ans);
	/* the gate: what a reload would meet */
	gate_on();
	ans = lb_runtime_whatif(fx.rt, big, &built);
	assert_non_null(built);
	assert_int_equal(backend(built, "a")->weight, 50);
	assert_true(json_is_true(json_object_get(ans, "refused")));
	v = json_object_get(ans, "violations");
	assert_int_equal(json_array_size(v), 1);
	assert_string_equal(gets(json_array_get(v, 0), "code"), "max_weight");
	assert_true(json_is_array(json_object_get(ans, "warnings")));
	assert_ptr_equal(rules.before, before->cfg);
	lb_config_free(built);
	json_decref(ans);
	/* a gate that cannot decide: a reload would be refused */
	rules.fail = 1;
	ans = lb_runtime_diff(fx.rt, same);
	assert_true(json_is_true(json_object_get(ans, "refused")));
	assert_string_equal(gets(json_array_get(json_object_get(ans,
		"violations"), 0), "code"), "policy_unavailable");
	json_decref(ans);
	/* errors: no configuration handed out */
	built = (struct lb_config *)1;
	ans = lb_runtime_whatif(fx.rt, "/nonexistent/x.ini", &built);
	assert_null(built);
	assert_non_null(json_object_get(ans, "errors"));
	json_decref(ans);
	assert_ptr_equal(snap(), before);
	assert_int_equal(lb_runtime_records(fx.rt), records);
	lb_runtime_set_gate(fx.rt, NULL, NULL);
}

/* ---- commit-confirmed apply ---- */

/* The base with b at weight 5: what the tests apply. */
static const char b5_backends[] =
	"[backend.a]\npool = web\naddress = 10.0.0.11\nweight = 1\n"
	"[backend.b]\npool = web\naddress = 10.0.0.12\nweight = 5\n"
	"[backend.c]\npool = web\naddress = 10.0.0.13\nweight = 3\n"
	"[backend.z]\npool = alt\naddress = 10.0.0.20\nweight = 1\n";

static int
apply_confirmed(const char *path, uint64_t ms, json_t **ans)
{
	return lb_runtime_reload_confirmed(fx.rt, path, ms, &who,
					   "apply --confirm-within", ans);
}

/* Run @loop until nothing is pending, at most @ms. */
static void
loop_until_settled(struct lb_evloop *loop, unsigned int ms)
{
	unsigned int waited = 0;

	while (lb_runtime_pending(fx.rt) != 0 && waited < ms) {
		lb_evloop_run_once(loop, 50);
		waited += 50;
	}
}

static void
test_confirm_deadline_rolls_back(void **state)
{
	struct lb_evloop *loop = lb_evloop_create();
	const char *p = write_ini("b5.ini", b5_backends);
	struct table_copy g1;
	json_t *ans = NULL, *c, *st, *rec;

	(void)state;
	assert_non_null(loop);
	assert_int_equal(lb_runtime_attach_loop(fx.rt, loop), 0);
	table_copy(&g1, cfg(), "web");
	assert_int_equal(apply_confirmed(p, 300, &ans), 0);
	c = json_object_get(ans, "confirm");
	assert_int_equal(geti(c, "generation"), 2);
	assert_int_equal(geti(c, "restores"), 1);
	json_decref(ans);
	assert_int_equal(lb_runtime_pending(fx.rt), 2);
	assert_int_equal(backend(cfg(), "b")->weight, 5);
	assert_false(table_same(&g1, cfg(), "web"));
	st = lb_runtime_status(fx.rt);
	c = json_object_get(st, "pending_confirm");
	assert_int_equal(geti(c, "generation"), 2);
	assert_int_equal(geti(c, "restores"), 1);
	assert_int_equal(geti(c, "seconds_left"), 1);
	json_decref(st);
	/* not before the deadline */
	lb_evloop_run_once(loop, 100);
	assert_int_equal(lb_runtime_pending(fx.rt), 2);
	loop_until_settled(loop, 2000);
	assert_int_equal(lb_runtime_pending(fx.rt), 0);
	assert_int_equal(snap()->generation, 3);
	assert_int_equal(backend(cfg(), "b")->weight, 2);
	assert_true(table_same(&g1, cfg(), "web"));
	rec = last_record();
	assert_string_equal(gets(json_object_get(rec, "who"), "kind"),
			    "edgelbd");
	assert_string_equal(gets(rec, "command"), "rollback: generation 2 "
			    "not confirmed within 0.3 s");
	assert_int_equal(geti(rec, "rolls_back"), 2);
	assert_int_equal(geti(rec, "restored"), 1);
	json_decref(rec);
	st = lb_runtime_status(fx.rt);
	assert_true(json_is_null(json_object_get(st, "pending_confirm")));
	json_decref(st);
	free(g1.slots);
	assert_int_equal(lb_runtime_attach_loop(fx.rt, NULL), 0);
	lb_evloop_destroy(loop);
}

static void
test_confirm_keeps(void **state)
{
	struct lb_evloop *loop = lb_evloop_create();
	const char *p = write_ini("b5.ini", b5_backends);
	json_t *ans = NULL, *rec;

	(void)state;
	assert_int_equal(lb_runtime_attach_loop(fx.rt, loop), 0);
	assert_int_equal(apply_confirmed(p, 200, &ans), 0);
	json_decref(ans);
	assert_int_equal(lb_runtime_confirm(fx.rt, &who, "confirm", &ans), 0);
	assert_int_equal(geti(ans, "confirmed"), 2);
	json_decref(ans);
	rec = last_record();
	assert_string_equal(gets(rec, "command"), "confirm");
	assert_string_equal(gets(rec, "result"), "ok");
	assert_int_equal(geti(rec, "confirmed"), 2);
	json_decref(rec);
	/* past the deadline: nothing happens */
	lb_evloop_run_once(loop, 400);
	lb_runtime_tick(fx.rt);
	assert_int_equal(snap()->generation, 2);
	assert_int_equal(backend(cfg(), "b")->weight, 5);
	/* nothing left to confirm */
	assert_int_equal(lb_runtime_confirm(fx.rt, &who, "confirm", &ans), -1);
	assert_non_null(strstr(gets(ans, "error"), "nothing awaits"));
	json_decref(ans);
	rec = last_record();
	assert_string_equal(gets(rec, "result"), "refused");
	json_decref(rec);
	lb_runtime_attach_loop(fx.rt, NULL);
	lb_evloop_destroy(loop);
}

/* One at a time; an operator's other changes wait; health does not. */
static void
test_confirm_one_at_a_time(void **state)
{
	const char *p = write_ini("b5.ini", b5_backends);
	json_t *ans = NULL;

	(void)state;
	assert_int_equal(apply_confirmed(p, 60000, &ans), 0);
	json_decref(ans);
	assert_int_equal(apply_confirmed(p, 60000, &ans), -1);
	assert_non_null(strstr(gets(ans, "error"), "generation 2 awaits "
			       "confirmation until 20"));
	json_decref(ans);
	assert_int_equal(lb_runtime_reload(fx.rt, p, &who, &ans), -1);
	assert_non_null(strstr(gets(ans, "error"), "generation 2 awaits"));
	json_decref(ans);
	assert_int_equal(set("backend.a", "weight", "4"), -1);
	assert_int_equal(snap()->generation, 2);
	lb_runtime_health_set(fx.rt, id_of("c"), 1, "r");
	lb_runtime_health_commit(fx.rt);
	assert_int_equal(snap()->generation, 3);
	/* the operator's own rollback ends the wait: what ran before */
	assert_int_equal(lb_runtime_rollback(fx.rt, 0, &who, "rollback",
					     &ans), 0);
	assert_int_equal(geti(ans, "cancels_pending"), 2);
	assert_int_equal(geti(ans, "restored"), 1);
	json_decref(ans);
	assert_int_equal(lb_runtime_pending(fx.rt), 0);
	assert_int_equal(backend(cfg(), "b")->weight, 2);
	assert_true(backend(cfg(), "c")->out);
	assert_int_equal(set("backend.a", "weight", "4"), 0);
	/* a time to confirm in is required */
	assert_int_equal(apply_confirmed(p, 0, &ans), -1);
	json_decref(ans);
}

/*
 * The hook for a watch: roll back now. What health checks and ARP learned
 * in the window stays, and the runtime changes the apply discarded come
 * back.
 */
static void
test_confirm_abort_keeps_health_and_runtime_changes(void **state)
{
	const char *p = write_ini("b5.ini", b5_backends);
	json_t *ans = NULL, *rec, *st;

	(void)state;
	assert_int_equal(lb_runtime_pending_abort(fx.rt, "x"), -1);
	assert_int_equal(set("backend.a", "weight", "7"), 0);       /* 2 */
	assert_int_equal(apply_confirmed(p, 60000, &ans), 0);       /* 3 */
	assert_int_equal(json_array_size(json_object_get(ans, "discarded")),
			 1);
	json_decref(ans);
	assert_int_equal(backend(cfg(), "a")->weight, 1);
	lb_runtime_health_set(fx.rt, id_of("c"), 1, "timeout");
	lb_runtime_health_commit(fx.rt);                            /* 4 */
	ask_all(9);
	assert_int_equal(learn("10.0.0.11", &mac_a, 10), 1);
	lb_runtime_neigh_commit(fx.rt);                             /* 4 */
	assert_int_equal(lb_runtime_pending_abort(fx.rt,
						  "distribution alert"), 0);
	assert_true(rte_is_same_ether_addr(&neigh_of("10.0.0.11")->mac,
					   &mac_a));
	assert_int_equal(snap()->generation, 5);
	assert_int_equal(lb_runtime_pending(fx.rt), 0);
	assert_int_equal(backend(cfg(), "b")->weight, 2);
	assert_int_equal(backend(cfg(), "a")->weight, 7);
	assert_true(backend(cfg(), "c")->out);
	assert_false(in_any_table(cfg(), "c"));
	rec = last_record();
	assert_string_equal(gets(rec, "command"), "rollback: generation 3 "
			    "aborted: distribution alert");
	assert_string_equal(gets(json_object_get(rec, "who"), "kind"),
			    "edgelbd");
	json_decref(rec);
	st = lb_runtime_status(fx.rt);
	assert_int_equal(geti(st, "runtime_changes"), 1);
	json_decref(st);
	assert_int_equal(lb_runtime_pending_abort(fx.rt, "again"), -1);
}

/* Without a timer the housekeeping tick keeps the deadline; and the
 * gate never stops the rollback (it restores what ran before). */
static void
test_confirm_tick_rolls_back_past_the_gate(void **state)
{
	const char *p = write_ini("c2.ini",
		"[backend.a]\npool = web\naddress = 10.0.0.11\nweight = 1\n"
		"[backend.b]\npool = web\naddress = 10.0.0.12\nweight = 2\n"
		"[backend.c]\npool = web\naddress = 10.0.0.13\nweight = 2\n"
		"[backend.z]\npool = alt\naddress = 10.0.0.20\nweight = 1\n");
	json_t *ans = NULL, *rec;

	(void)state;
	memset(&rules, 0, sizeof(rules));
	rules.max_weight = 2;           /* c = 3 runs in violation */
	rules.warn_weight = 1000;
	lb_runtime_set_gate(fx.rt, test_gate, &rules);
	assert_int_equal(apply_confirmed(p, 50, &ans), 0);
	assert_null(json_object_get(ans, "forced"));
	json_decref(ans);
	lb_runtime_tick(fx.rt);
	assert_int_equal(lb_runtime_pending(fx.rt), 2);
	usleep(80 * 1000);
	lb_runtime_tick(fx.rt);
	assert_int_equal(lb_runtime_pending(fx.rt), 0);
	assert_int_equal(backend(cfg(), "c")->weight, 3);
	rec = last_record();
	assert_string_equal(gets(rec, "result"), "ok");
	assert_int_equal(json_array_size(json_object_get(rec, "violations")),
			 1);
	json_decref(rec);
}

/* ---- runner ---- */

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	char *argv[] = { "test_runtime", "--no-huge", "-m", "128", "--no-pci",
			 "--no-shconf", "--file-prefix=ut-runtime",
			 "--log-level=error", NULL };
	const struct CMUnitTest create[] = {
		T(test_create_publishes_generation_one),
	};
	const struct CMUnitTest apply[] = {
		T(test_apply_publishes_next_generation_and_describes_it),
		T(test_apply_failing_build_changes_nothing),
	};
	const struct CMUnitTest reload[] = {
		T(test_reload_keeps_identities_by_name),
		T(test_reload_retains_removed_backend_with_flows),
		T(test_reload_refuses_static_key_change),
		T(test_reload_discards_runtime_changes),
	};
	const struct CMUnitTest set_[] = {
		T(test_set_weight_changes_table),
		T(test_set_weight_zero_empty_pool_refused),
		T(test_set_drained_and_disabled_leave_table),
		T(test_set_refused_values_recorded),
	};
	const struct CMUnitTest rollback[] = {
		T(test_rollback_restores_tables),
		T(test_rollback_refuses_generation_not_kept),
	};
	const struct CMUnitTest diff[] = {
		T(test_diff_changes_nothing),
		T(test_whatif_builds_as_a_reload_would),
	};
	const struct CMUnitTest audit[] = {
		T(test_audit_one_line_per_change),
		T(test_audit_history_last_n_oldest_first),
		T(test_audit_unwritable_does_not_block_changes),
		T(test_audit_failed_write_leaves_whole_lines),
	};
	const struct CMUnitTest neigh[] = {
		T(test_neigh_two_learns_one_commit),
		T(test_neigh_config_change_keeps_learned),
		T(test_neigh_unsolicited_and_spoofed_refused),
	};
	const struct CMUnitTest gate[] = {
		T(test_gate_refuses_operator_changes),
		T(test_gate_force_applies_and_records_overridden),
		T(test_gate_warnings_never_refuse),
		T(test_gate_undecided_refuses),
		T(test_gate_health_never_refused_but_recorded),
		T(test_gate_judges_running_generation),
		T(test_findings_split),
	};
	const struct CMUnitTest confirm[] = {
		T(test_confirm_deadline_rolls_back),
		T(test_confirm_keeps),
		T(test_confirm_one_at_a_time),
		T(test_confirm_abort_keeps_health_and_runtime_changes),
		T(test_confirm_tick_rolls_back_past_the_gate),
	};
	const struct CMUnitTest health[] = {
		T(test_health_down_leaves_table_and_survives_changes),
		T(test_health_down_hit_rule),
		T(test_health_all_down_policies),
		T(test_slow_start_ramps_after_up_and_enable),
	};
	int failed = 0;

	if (rte_eal_init(8, argv) < 0) {
		fprintf(stderr, "EAL init failed\n");
		return 1;
	}
	failed += cmocka_run_group_tests_name("lb_runtime_create", create,
					      NULL, NULL);
	failed += cmocka_run_group_tests_name("lb_runtime_apply", apply,
					      NULL, NULL);
	failed += cmocka_run_group_tests_name("lb_runtime_health", health,
					      NULL, NULL);
	failed += cmocka_run_group_tests_name("lb_runtime_reload", reload,
					      NULL, NULL);
	failed += cmocka_run_group_tests_name("lb_runtime_set", set_,
					      NULL, NULL);
	failed += cmocka_run_group_tests_name("lb_runtime_rollback",
					      rollback, NULL, NULL);
	failed += cmocka_run_group_tests_name("lb_runtime_diff", diff,
					      NULL, NULL);
	failed += cmocka_run_group_tests_name("lb_runtime_audit", audit,
					      NULL, NULL);
	failed += cmocka_run_group_tests_name("lb_runtime_neigh", neigh,
					      NULL, NULL);
	failed += cmocka_run_group_tests_name("lb_runtime_set_gate", gate,
					      NULL, NULL);
	failed += cmocka_run_group_tests_name("lb_runtime_reload_confirmed",
					      confirm, NULL, NULL);
	rte_eal_cleanup();
	return failed != 0;
}
