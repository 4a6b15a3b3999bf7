/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The specification: sections and values as text, each with its origin.
 * Loading takes the structure and lines from the line index and the values
 * from iniparser; nothing here interprets a value beyond lb_spec_set's
 * early check, so a specification can hold what the operator wrote even
 * when lb_config_build will refuse it (and say where).
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <iniparser.h>

#include "config_priv.h"

/* ---- small helpers --------------------------------------------------- */

/* strdup that keeps NULL NULL; *fail set on ENOMEM. */
static char *
dup_or_null(const char *s, int *fail)
{
	char *d;

	if (s == NULL)
		return NULL;
	d = strdup(s);
	if (d == NULL)
		*fail = 1;
	return d;
}

static int
valid_name(const char *name)
{
	size_t len = strlen(name);

	if (len < 1 || len >= LB_NAME_MAX)
		return 0;
	return strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_-") == len;
}

int
lb_spec_kind_of(const char *name, enum lb_section_kind *kind, char *msg,
		size_t size)
{
	const char *dot = strchr(name, '.');
	size_t plen = dot != NULL ? (size_t)(dot - name) : strlen(name);
	int k;

	if (strcmp(name, "global") == 0) {
		*kind = LB_SECTION_GLOBAL;
		return 0;
	}
	/* The other section without a name: one per box. */
	if (strcmp(name, "bgp") == 0) {
		*kind = LB_SECTION_BGP;
		return 0;
	}
	for (k = LB_SECTION_PORT; k < LB_SECTION_BGP; k++) {
		const char *p = lb_section_kind_name((enum lb_section_kind)k);

		if (strlen(p) == plen && strncmp(name, p, plen) == 0)
			break;
	}
	if (k == LB_SECTION_BGP) {
		snprintf(msg, size,
			 "unknown section [%s] (expected [global], [port.NAME], [vip.NAME], [pool.NAME], [backend.NAME] or [bgp])",
			 name);
		return -1;
	}
	if (dot == NULL || !valid_name(dot + 1)) {
		snprintf(msg, size,
			 "bad section name [%s]: expected [%s.NAME], NAME 1..%d characters of a-z, 0-9, '_' and '-'",
			 name, lb_section_kind_name((enum lb_section_kind)k),
			 LB_NAME_MAX - 1);
		return -1;
	}
	*kind = (enum lb_section_kind)k;
	return 0;
}

int
lb_section_kind_of(const char *section, enum lb_section_kind *kind)
{
	char msg[256];

	return lb_spec_kind_of(section, kind, msg, sizeof(msg));
}

const char *
lb_spec_section_short(const struct lb_spec_section *sec)
{
	const char *dot = strchr(sec->name, '.');

	return dot != NULL ? dot + 1 : "";
}

const char *
lb_spec_where(const struct lb_spec *s, const char *origin, unsigned int line,
	      char *buf, size_t size)
{
	if (origin != NULL)
		snprintf(buf, size, "%s", origin);
	else
		snprintf(buf, size, "%s:%u", s->path, line);
	return buf;
}

int
lb_spec_where_of(const struct lb_spec *s, const char *section,
		 const char *key, char *buf, size_t size)
{
	const struct lb_spec_section *sec = lb_spec_section_of(s, section);
	const struct lb_spec_value *v;

	if (sec == NULL) {
		snprintf(buf, size, "%s", s->path);
		return -1;
	}
	v = key != NULL ? lb_spec_value_of(sec, key) : NULL;
	if (v != NULL) {
		lb_spec_where(s, v->origin, v->line, buf, size);
		return 1;
	}
	lb_spec_where(s, sec->origin, sec->line, buf, size);
	return 0;
}

const struct lb_spec_value *
lb_spec_value_of(const struct lb_spec_section *sec, const char *key)
{
	unsigned int i;

	for (i = 0; i < sec->n_values; i++)
		if (strcmp(sec->values[i].key, key) == 0)
			return &sec->values[i];
	return NULL;
}

const struct lb_spec_section *
lb_spec_section_of(const struct lb_spec *s, const char *name)
{
	unsigned int i;

	for (i = 0; i < s->n_sections; i++)
		if (strcmp(s->sections[i]->name, name) == 0)
			return s->sections[i];
	return NULL;
}

const char *
lb_spec_value_effective(const struct lb_spec_section *sec,
			const struct lb_config_key *k)
{
	const struct lb_spec_value *v = lb_spec_value_of(sec, k->name);

	if (v != NULL)
		return v->value;
	return k->def != NULL ? k->def : "";
}

/* ---- building a specification --------------------------------------- */

static struct lb_spec *
spec_new(const char *path)
{
	struct lb_spec *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->refs = 1;
	s->path = strdup(path != NULL ? path : "");
	if (s->path == NULL) {
		free(s);
		return NULL;
	}
	return s;
}

uint64_t
lb_spec_next_version(void)
{
	static uint64_t next;

	return ++next;
}

struct lb_spec_section *
lb_spec_section_add(struct lb_spec *s, const char *name, enum lb_section_kind kind,
	    unsigned int line)
{
	struct lb_spec_section *sec;

	if (lb_config_grow((void **)&s->sections, &s->cap_sections, s->n_sections,
		 sizeof(*s->sections)) < 0)
		return NULL;
	sec = calloc(1, sizeof(*sec));
	if (sec == NULL)
		return NULL;
	sec->name = strdup(name);
	if (sec->name == NULL) {
		free(sec);
		return NULL;
	}
	s->sections[s->n_sections] = sec;
	sec->refs = 1;
	sec->kind = kind;
	sec->line = line;
	sec->version = lb_spec_next_version();
	s->n_sections++;
	return sec;
}

static int
add_value(struct lb_spec_section *sec, const char *key, const char *value,
	  unsigned int line, const char *origin)
{
	struct lb_spec_value *v;
	int fail = 0;

	if (lb_config_grow((void **)&sec->values, &sec->cap_values, sec->n_values,
		 sizeof(*sec->values)) < 0)
		return -1;
	v = &sec->values[sec->n_values];
	v->key = dup_or_null(key, &fail);
	v->value = dup_or_null(value, &fail);
	v->origin = dup_or_null(origin, &fail);
	v->line = line;
	sec->n_values++;        /* counted even half-made: freed as one */
	return fail ? -1 : 0;
}

static void
free_value(struct lb_spec_value *v)
{
	free(v->key);
	free(v->value);
	free(v->origin);
}

static void
section_free(struct lb_spec_section *sec)
{
	unsigned int j;

	if (--sec->refs > 0)
		return;
	for (j = 0; j < sec->n_values; j++)
		free_value(&sec->values[j]);
	free(sec->values);
	free(sec->name);
	free(sec->origin);
	free(sec);
}

void
lb_spec_free(struct lb_spec *s)
{
	unsigned int i;

	if (s == NULL || --s->refs > 0)
		return;
	for (i = 0; i < s->n_sections; i++)
		section_free(s->sections[i]);
	free(s->sections);
	free(s->path);
	free(s);
}

struct lb_spec *
lb_spec_ref(const struct lb_spec *s)
{
	struct lb_spec *r = (struct lb_spec *)(uintptr_t)s;

	r->refs++;
	return r;
}

/*
 * A copy shares every section: a change of one weight at N = 1000 copies
 * one section, not a thousand (lb_spec_section_own).
 */
struct lb_spec *
lb_spec_dup(const struct lb_spec *s)
{
	struct lb_spec *d = spec_new(s->path);
	unsigned int i;

	if (d == NULL)
		return NULL;
	d->sections = malloc((s->n_sections + 1) * sizeof(*d->sections));
	if (d->sections == NULL) {
		lb_spec_free(d);
		return NULL;
	}
	d->cap_sections = s->n_sections + 1;
	for (i = 0; i < s->n_sections; i++) {
		d->sections[i] = s->sections[i];
		d->sections[i]->refs++;
	}
	d->n_sections = s->n_sections;
	d->end_line = s->end_line;
	return d;
}

/* A deep copy of @p ss, unshared, with the same version (same values). */
static struct lb_spec_section *
section_copy(const struct lb_spec_section *ss)
{
	struct lb_spec_section *d = calloc(1, sizeof(*d));
	unsigned int j;
	int fail = d == NULL;

	if (fail)
		return NULL;
	*d = (struct lb_spec_section){ .refs = 1, .version = ss->version,
				       .kind = ss->kind, .line = ss->line };
	d->name = dup_or_null(ss->name, &fail);
	d->origin = dup_or_null(ss->origin, &fail);
	for (j = 0; !fail && j < ss->n_values; j++)
		fail = add_value(d, ss->values[j].key, ss->values[j].value,
				 ss->values[j].line,
				 ss->values[j].origin) < 0;
	if (fail) {
		section_free(d);
		return NULL;
	}
	return d;
}

struct lb_spec_section *
lb_spec_section_own(struct lb_spec *s, const char *name)
{
	struct lb_spec_section *copy;
	unsigned int i;

	for (i = 0; i < s->n_sections; i++)
		if (strcmp(s->sections[i]->name, name) == 0)
			break;
	if (i == s->n_sections)
		return NULL;
	if (s->sections[i]->refs == 1)
		return s->sections[i];
	copy = section_copy(s->sections[i]);
	if (copy == NULL)
		return NULL;
	section_free(s->sections[i]);
	s->sections[i] = copy;
	return copy;
}

/* ---- loading ---------------------------------------------------------- */

static int
quiet(const char *fmt, ...)
{
	(void)fmt;
	return 0;
}

/* Every unknown key of @sec is an error: a typo never becomes a default. */
static int
check_keys(const struct lb_ini_section *sec, enum lb_section_kind kind,
	   const char *path, struct lb_config_error *err)
{
	unsigned int i;
	int bad = 0;

	for (i = 0; i < sec->n_keys; i++) {
		if (lb_config_key_find(kind, sec->keys[i].name) != NULL)
			continue;
		lb_config_set_error(err, path, sec->keys[i].line,
				    "unknown key '%s' in [%s]",
				    sec->keys[i].name, sec->name);
		bad = 1;
	}
	return bad ? -1 : 0;
}

/*
 * iniparser's own lookup scans its whole dictionary (as does each insert
 * of iniparser_load): with 1000 backends, 5000 lookups cost more than the
 * rest of a reload. One index over its entries, by the hash iniparser
 * stored with each, makes every lookup a probe or two.
 */
struct dict_index {
	const dictionary *dict;
	uint32_t mask;
	int32_t *slot;              /* entry index, -1 empty */
};

static int
dict_index_build(struct dict_index *x, const dictionary *dict)
{
	ssize_t i;
	uint32_t j;

	x->dict = dict;
	x->mask = (uint32_t)rte_align32pow2(2 * (uint32_t)dict->n + 2) - 1;
	x->slot = malloc((x->mask + 1) * sizeof(*x->slot));
	if (x->slot == NULL)
		return -1;
	memset(x->slot, 0xff, (x->mask + 1) * sizeof(*x->slot));
	for (i = 0; i < dict->size; i++) {
		if (dict->key[i] == NULL)
			continue;
		for (j = dict->hash[i]; x->slot[j & x->mask] >= 0; j++)
			;
		x->slot[j & x->mask] = (int32_t)i;
	}
	return 0;
}

/* What iniparser_getstring(dict, key, NULL) answers. */
static const char *
dict_index_get(const struct dict_index *x, const char *key)
{
	const dictionary *d = x->dict;
	uint32_t j, h = dictionary_hash(key);
	int32_t e;

	for (j = h; (e = x->slot[j & x->mask]) >= 0; j++)
		if (d->hash[e] == h && strcmp(d->key[e], key) == 0)
			return d->val[e];
	return NULL;
}

static int
load_section(struct lb_spec *s, const struct lb_ini_section *isec,
	     enum lb_section_kind kind, const struct dict_index *dict)
{
	char full[LB_INI_LINE_MAX * 2 + 2];
	struct lb_spec_section *sec;
	const char *v;
	unsigned int i;

	sec = lb_spec_section_add(s, isec->name, kind, isec->line);
	if (sec == NULL)
		return -1;
	for (i = 0; i < isec->n_keys; i++) {
		/* Reported by load_check already; left out so that the
		 * values around it can still be checked. */
		if (lb_config_key_find(kind, isec->keys[i].name) == NULL)
			continue;
		snprintf(full, sizeof(full), "%s:%s", isec->name,
			 isec->keys[i].name);
		v = dict_index_get(dict, full);
		if (add_value(sec, isec->keys[i].name, v != NULL ? v : "",
			      isec->keys[i].line, NULL) < 0)
			return -1;
	}
	return 0;
}

/*
 * Classify every section, reporting all unknown ones and unknown keys.
 * An unknown section's kind is LB_SECTION_KINDS: not loaded.
 */
static int
load_check(const struct lb_ini_index *idx, const char *path,
	   enum lb_section_kind *kinds, struct lb_config_error *err)
{
	char msg[512];
	unsigned int i;
	int bad = 0;

	for (i = 0; i < idx->n_sections; i++) {
		const struct lb_ini_section *sec = &idx->sections[i];

		if (lb_spec_kind_of(sec->name, &kinds[i], msg,
				    sizeof(msg)) < 0) {
			lb_config_set_error(err, path, sec->line, "%s", msg);
			kinds[i] = LB_SECTION_KINDS;
			bad = 1;
		} else if (check_keys(sec, kinds[i], path, err) < 0) {
			bad = 1;
		}
	}
	return bad ? -1 : 0;
}

/*
 * iniparser_load inserts each entry with a scan of its whole dictionary:
 * one dictionary for a 1000-backend file is quadratic, about 8 ms of a
 * reload. Sections are independent in INI, so the file is given to
 * iniparser in chunks of whole sections, each in its own dictionary.
 */
#define LOAD_CHUNK_SECTIONS 64

struct file_text {
	char *text;
	size_t len;
	size_t *line_at;            /* offset of line l at [l - 1] */
	unsigned int n_lines;
};

static void
file_text_free(struct file_text *f)
{
	free(f->text);
	free(f->line_at);
}

/*
 * The whole file, read once: the line index and iniparser both read these
 * bytes, so a file replaced meanwhile cannot mix two versions.
 */
static int
file_text_read(struct file_text *f, const char *path,
	       struct lb_config_error *err)
{
	FILE *in = lb_config_open(path, err);
	size_t cap = 4096, n, i, l = 0;

	memset(f, 0, sizeof(*f));
	if (in == NULL)
		return -1;
	do {
		char *t = cap > LB_CONFIG_FILE_MAX + 1 ? NULL :
			realloc(f->text, cap + 1);

		if (t == NULL)
			break;
		f->text = t;
		n = fread(f->text + f->len, 1, cap - f->len, in);
		f->len += n;
		if (f->len == cap)
			cap *= 2;
	} while (n > 0);
	if (ferror(in) || f->text == NULL || f->len > LB_CONFIG_FILE_MAX) {
		lb_config_add_error(err, path, "cannot read: %s",
				    f->len > LB_CONFIG_FILE_MAX ?
				    "larger than 16 MiB" : strerror(errno));
		fclose(in);
		return -1;
	}
	fclose(in);
	for (i = 0; i < f->len; i++)
		f->n_lines += f->text[i] == '\n' || i + 1 == f->len;
	f->line_at = calloc(f->n_lines + 1, sizeof(*f->line_at));
	if (f->line_at == NULL) {
		lb_config_add_error(err, path, "out of memory");
		return -1;
	}
	for (i = 0; i < f->len; i++)
		if (i == 0 || f->text[i - 1] == '\n')
			f->line_at[l++] = i;
	f->line_at[l] = f->len;
	return 0;
}

/* iniparser's dictionary of sections [first, end) of @p f. */
static dictionary *
load_chunk_dict(const struct file_text *f, const struct lb_ini_index *idx,
		unsigned int first, unsigned int end)
{
	size_t from = f->line_at[idx->sections[first].line - 1];
	size_t to = end < idx->n_sections ?
		f->line_at[idx->sections[end].line - 1] : f->len;
	dictionary *dict = NULL;
	char proc[64];
	int fd = memfd_create("lb_ini_chunk", MFD_CLOEXEC);

	if (fd < 0)
		return NULL;
	if (write(fd, f->text + from, to - from) == (ssize_t)(to - from)) {
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
		dict = iniparser_load(proc);
	}
	close(fd);
	return dict;
}

static int
load_chunk(struct lb_spec *s, const struct file_text *f,
	   const struct lb_ini_index *idx, const enum lb_section_kind *kinds,
	   unsigned int first, unsigned int end)
{
	struct dict_index x = { .slot = NULL };
	dictionary *dict = load_chunk_dict(f, idx, first, end);
	unsigned int i;
	int rc;

	if (dict == NULL)
		return -1;
	rc = dict_index_build(&x, dict);
	for (i = first; rc == 0 && i < end; i++)
		if (kinds[i] != LB_SECTION_KINDS)
			rc = load_section(s, &idx->sections[i], kinds[i], &x);
	free(x.slot);
	iniparser_freedict(dict);
	return rc;
}

static struct lb_spec *
load_values(const struct lb_ini_index *idx, const struct file_text *f,
	    const char *path, const enum lb_section_kind *kinds,
	    struct lb_config_error *err)
{
	struct lb_spec *s = spec_new(path);
	unsigned int i, end;
	int rc = s == NULL ? -1 : 0;

	/* the index has already reported anything iniparser would */
	iniparser_set_error_callback(quiet);
	for (i = 0; rc == 0 && i < idx->n_sections; i = end) {
		end = RTE_MIN(i + LOAD_CHUNK_SECTIONS, idx->n_sections);
		rc = load_chunk(s, f, idx, kinds, i, end);
	}
	if (rc < 0) {
		lb_config_set_error(err, path, 1,
				    "iniparser could not load the file");
		lb_spec_free(s);
		return NULL;
	}
	s->end_line = idx->n_lines;
	return s;
}

/*
 * Unknown sections or keys make the file unusable, but the operator should
 * hear of every error at once, not one kind per attempt: check the values
 * of what is known as a build would, add those errors, drop @p s.
 */
static void
more_errors(struct lb_spec *s, struct lb_config_error *err)
{
	struct lb_config_error *more;
	char *save = NULL, *line;

	if (s == NULL)
		return;
	more = malloc(sizeof(*more));
	if (more != NULL) {
		lb_config_free(lb_config_build(s, NULL, more));
		for (line = strtok_r(more->msg, "\n", &save); line != NULL;
		     line = strtok_r(NULL, "\n", &save))
			lb_config_add_error(err, NULL, "%s", line);
	}
	free(more);
	lb_spec_free(s);
}

struct lb_spec *
lb_spec_load(const char *path, struct lb_config_error *err)
{
	struct lb_ini_index idx;
	enum lb_section_kind *kinds;
	struct lb_spec *s = NULL;
	struct file_text f;

	lb_config_error_init(err);
	if (file_text_read(&f, path, err) < 0) {
		file_text_free(&f);
		return NULL;
	}
	if (lb_ini_index_build(&idx, path, f.text, f.len, err) < 0) {
		file_text_free(&f);
		return NULL;
	}
	kinds = calloc(idx.n_sections + 1, sizeof(*kinds));
	if (kinds == NULL)
		lb_config_set_error(err, path, 1, "out of memory");
	else if (load_check(&idx, path, kinds, err) == 0)
		s = load_values(&idx, &f, path, kinds, err);
	else
		more_errors(load_values(&idx, &f, path, kinds, err), err);
	free(kinds);
	lb_ini_index_free(&idx);
	file_text_free(&f);
	return s;
}

/* ---- reading ---------------------------------------------------------- */

const char *
lb_spec_path(const struct lb_spec *s)
{
	return s->path;
}

const char *
lb_spec_get(const struct lb_spec *s, const char *section, const char *key)
{
	const struct lb_spec_section *sec = lb_spec_section_of(s, section);
	const struct lb_spec_value *v;

	if (sec == NULL)
		return NULL;
	v = lb_spec_value_of(sec, key);
	return v != NULL ? v->value : NULL;
}

const char *
lb_spec_effective(const struct lb_spec *s, const char *section,
		  const char *key)
{
	const struct lb_spec_section *sec = lb_spec_section_of(s, section);
	const struct lb_config_key *k;

	if (sec == NULL)
		return NULL;
	k = lb_config_key_find(sec->kind, key);
	return k != NULL ? lb_spec_value_effective(sec, k) : NULL;
}

int
lb_spec_has_section(const struct lb_spec *s, const char *section)
{
	return lb_spec_section_of(s, section) != NULL;
}

/* Canonical order puts pools before the VIPs and backends naming them. */
int
lb_spec_section_cmp(const struct lb_spec_section *x,
		    const struct lb_spec_section *y)
{
	static const int rank[LB_SECTION_KINDS] = {
		[LB_SECTION_GLOBAL] = 0, [LB_SECTION_PORT] = 1,
		[LB_SECTION_POOL] = 2, [LB_SECTION_VIP] = 3,
		[LB_SECTION_BACKEND] = 4, [LB_SECTION_BGP] = 5,
	};

	if (x->kind != y->kind)
		return rank[x->kind] - rank[y->kind];
	return strcmp(x->name, y->name);
}

static int
cmp_canonical(const void *a, const void *b)
{
	return lb_spec_section_cmp(*(const struct lb_spec_section *const *)a,
				   *(const struct lb_spec_section *const *)b);
}

const struct lb_spec_section **
lb_spec_sorted(const struct lb_spec *s)
{
	const struct lb_spec_section **v;
	unsigned int i;

	v = calloc(s->n_sections + 1, sizeof(*v));
	if (v == NULL)
		return NULL;
	for (i = 0; i < s->n_sections; i++)
		v[i] = s->sections[i];
	qsort(v, s->n_sections, sizeof(*v), cmp_canonical);
	return v;
}
