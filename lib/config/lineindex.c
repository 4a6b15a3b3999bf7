/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The line index: one pass over the INI file recording where each section
 * and key is, refusing what iniparser would silently accept (a repeated
 * section or key, a key before any section, an unterminated quote).
 */

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rte_common.h>

#include "lb_hash.h"
#include "config_priv.h"

/*
 * Every section and key name seen so far, by hash: a repeat is found in a
 * probe or two, so a file is read in time linear in its size. Comparing
 * each name with every earlier one took minutes for 200000 sections, and
 * `status` reads the file on disk each time it is asked. Keyed (a random
 * SipHash key per file read): nobody can write names that all collide.
 */
#define NAME_SECTION UINT32_MAX     /* the tag of a section's own name */

struct name_slot {
	uint32_t sec;               /* section index + 1; 0: empty slot */
	uint32_t key;               /* key index in it, or NAME_SECTION */
};

struct name_set {
	struct lb_hash_key hkey;
	uint32_t mask;              /* slots - 1 */
	uint32_t n;
	struct name_slot *slot;
};

struct scan {
	struct lb_ini_index *idx;
	const char *path;
	struct lb_config_error *err;
	unsigned int line;
	unsigned int cap_sections;
	unsigned int cap_keys;  /* of the last section */
	struct name_set names;
};

void
lb_config_error_init(struct lb_config_error *err)
{
	err->msg[0] = '\0';
	err->n = 0;
}

/*
 * Append one error. A full buffer keeps the first errors and ends with
 * "...": the operator fixes those and sees the rest next time.
 */
static void
append_error(struct lb_config_error *err, const char *prefix,
	     const char *fmt, va_list ap)
{
	size_t len = strnlen(err->msg, sizeof(err->msg)), room;
	int n;

	if (len + 4 >= sizeof(err->msg)) {   /* already full: count only */
		err->n++;
		return;
	}
	if (err->n > 0)
		err->msg[len++] = '\n';
	err->msg[len] = '\0';
	err->n++;
	room = sizeof(err->msg) - len;
	n = prefix != NULL && *prefix != '\0' ?
		snprintf(err->msg + len, room, "%s: ", prefix) : 0;
	if (n >= 0 && (size_t)n < room)
		n += vsnprintf(err->msg + len + n, room - n, fmt, ap);
	if (n < 0 || (size_t)n >= room)
		strcpy(err->msg + sizeof(err->msg) - 4, "...");
}

void
lb_config_set_error(struct lb_config_error *err, const char *path,
		    unsigned int line, const char *fmt, ...)
{
	char prefix[PATH_MAX + 16];
	va_list ap;

	snprintf(prefix, sizeof(prefix), "%s:%u", path, line);
	va_start(ap, fmt);
	append_error(err, prefix, fmt, ap);
	va_end(ap);
}

void
lb_config_add_error(struct lb_config_error *err, const char *prefix,
		    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	append_error(err, prefix, fmt, ap);
	va_end(ap);
}

/* Strip surrounding white space in place, as iniparser's strstrip does. */
static char *
strip(char *s)
{
	size_t len;

	while (isspace((unsigned char)*s))
		s++;
	len = strlen(s);
	while (len > 0 && isspace((unsigned char)s[len - 1]))
		s[--len] = '\0';
	return s;
}

static void
lower(char *s)
{
	for (; *s != '\0'; s++)
		*s = tolower((unsigned char)*s);
}

int
lb_config_grow(void **arr, unsigned int *cap, unsigned int n, size_t elem)
{
	unsigned int ncap;
	void *p;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 8;
	p = realloc(*arr, (size_t)ncap * elem);
	if (p == NULL)
		return -1;
	*arr = p;
	*cap = ncap;
	return 0;
}

static const char *
slot_name(const struct lb_ini_index *idx, const struct name_slot *sl)
{
	const struct lb_ini_section *sec = &idx->sections[sl->sec - 1];

	return sl->key == NAME_SECTION ? sec->name : sec->keys[sl->key].name;
}

/* A section's name is tagged NAME_SECTION, a key's with its section. */
static uint32_t
name_hash(const struct name_set *ns, const char *name, uint32_t tag)
{
	uint64_t h = lb_hash_siphash(&ns->hkey, name, strlen(name), 1, 3);

	return (uint32_t)(h ^ (h >> 32)) ^ tag * UINT32_C(0x9e3779b9);
}

/* The slot holding @p name with @p tag, or the empty one it would take. */
static struct name_slot *
names_find(const struct name_set *ns, const struct lb_ini_index *idx,
	   const char *name, uint32_t tag)
{
	uint32_t i = name_hash(ns, name, tag);
	struct name_slot *sl;

	for (;; i++) {
		sl = &ns->slot[i & ns->mask];
		if (sl->sec == 0)
			return sl;
		if ((sl->key == NAME_SECTION ? NAME_SECTION : sl->sec - 1) ==
		    tag && strcmp(slot_name(idx, sl), name) == 0)
			return sl;
	}
}

/* Room for one more name, the table at most half full. 0 or -1. */
static int
names_reserve(struct name_set *ns, const struct lb_ini_index *idx)
{
	struct name_slot *old = ns->slot, *sl;
	uint32_t old_size = old != NULL ? ns->mask + 1 : 0, i, tag;

	if (old != NULL && 2 * (ns->n + 1) <= old_size)
		return 0;
	if (old == NULL && lb_hash_key_random(&ns->hkey) != 0)
		lb_hash_key_set(&ns->hkey, 0, 0);  /* still linear, unkeyed */
	if (old_size >= UINT32_C(1) << 30)
		return -1;
	ns->mask = (old_size != 0 ? 2 * old_size : 64) - 1;
	ns->slot = calloc(ns->mask + 1, sizeof(*ns->slot));
	if (ns->slot == NULL) {
		ns->slot = old;
		ns->mask = old_size - 1;
		return -1;
	}
	for (i = 0; i < old_size; i++) {
		if (old[i].sec == 0)
			continue;
		tag = old[i].key == NAME_SECTION ? NAME_SECTION : old[i].sec - 1;
		sl = names_find(ns, idx, slot_name(idx, &old[i]), tag);
		*sl = old[i];
	}
	free(old);
	return 0;
}

static int
add_section(struct scan *s, char *name)
{
	struct lb_ini_index *idx = s->idx;
	struct lb_ini_section *sec;
	struct name_slot *sl;

	lower(name);
	if (names_reserve(&s->names, idx) < 0)
		goto nomem;
	sl = names_find(&s->names, idx, name, NAME_SECTION);
	if (sl->sec != 0) {
		lb_config_set_error(s->err, s->path, s->line,
			"duplicate section [%s] (first at line %u)",
			name, idx->sections[sl->sec - 1].line);
		return -1;
	}
	if (lb_config_grow((void **)&idx->sections, &s->cap_sections, idx->n_sections,
		 sizeof(*idx->sections)) < 0)
		goto nomem;
	sec = &idx->sections[idx->n_sections];
	memset(sec, 0, sizeof(*sec));
	sec->name = strdup(name);
	if (sec->name == NULL)
		goto nomem;
	sec->line = s->line;
	idx->n_sections++;
	*sl = (struct name_slot){ .sec = idx->n_sections, .key = NAME_SECTION };
	s->names.n++;
	s->cap_keys = 0;
	return 0;
nomem:
	lb_config_set_error(s->err, s->path, s->line, "out of memory");
	return -1;
}

static int
add_key(struct scan *s, char *name)
{
	uint32_t si = s->idx->n_sections - 1;
	struct lb_ini_section *sec;
	struct name_slot *sl;
	struct lb_ini_key *k;

	lower(name);
	if (s->idx->n_sections == 0) {
		lb_config_set_error(s->err, s->path, s->line,
			"syntax error: key '%s' before any [section]", name);
		return -1;
	}
	sec = &s->idx->sections[si];
	if (names_reserve(&s->names, s->idx) < 0)
		goto nomem;
	sl = names_find(&s->names, s->idx, name, si);
	if (sl->sec != 0) {
		lb_config_set_error(s->err, s->path, s->line,
			"duplicate key '%s' in [%s] (first at line %u)",
			name, sec->name, sec->keys[sl->key].line);
		return -1;
	}
	if (lb_config_grow((void **)&sec->keys, &s->cap_keys, sec->n_keys,
		 sizeof(*sec->keys)) < 0)
		goto nomem;
	k = &sec->keys[sec->n_keys];
	k->name = strdup(name);
	if (k->name == NULL)
		goto nomem;
	k->line = s->line;
	*sl = (struct name_slot){ .sec = si + 1, .key = sec->n_keys };
	s->names.n++;
	sec->n_keys++;
	return 0;
nomem:
	lb_config_set_error(s->err, s->path, s->line, "out of memory");
	return -1;
}

/* "[name]": iniparser takes the name up to the first ']' and strips it. */
static int
scan_section(struct scan *s, char *l, size_t len)
{
	char *name;

	if (l[len - 1] != ']') {
		lb_config_set_error(s->err, s->path, s->line,
			"syntax error: section header must end with ']'");
		return -1;
	}
	l[len - 1] = '\0';
	name = strip(l + 1);
	if (*name == '\0' || strpbrk(name, "[]") != NULL) {
		lb_config_set_error(s->err, s->path, s->line,
			"syntax error: bad section header '[%s]'", name);
		return -1;
	}
	return add_section(s, name);
}

/*
 * A quoted value must close its quote and be followed only by a comment:
 * iniparser would otherwise keep the text up to the end of the line, or
 * drop what follows the quote, without a word.
 */
static int
check_value(struct scan *s, const char *v)
{
	const char *end;

	if (*v != '"' && *v != '\'')
		return 0;
	end = strchr(v + 1, *v);
	if (end == NULL) {
		lb_config_set_error(s->err, s->path, s->line,
			"syntax error: unterminated quote in value");
		return -1;
	}
	for (end++; isspace((unsigned char)*end); end++)
		;
	if (*end != '\0' && *end != ';' && *end != '#') {
		lb_config_set_error(s->err, s->path, s->line,
			"syntax error: text after the closing quote");
		return -1;
	}
	return 0;
}

/* "key = value": iniparser takes the key up to the first '='. */
static int
scan_key(struct scan *s, char *l)
{
	char *eq = strchr(l, '=');
	char *key;

	if (eq == NULL) {
		lb_config_set_error(s->err, s->path, s->line,
			"syntax error: expected [section], key = value or a comment");
		return -1;
	}
	*eq = '\0';
	key = strip(l);
	if (*key == '\0') {
		lb_config_set_error(s->err, s->path, s->line,
			"syntax error: missing key before '='");
		return -1;
	}
	if (check_value(s, strip(eq + 1)) < 0)
		return -1;
	return add_key(s, key);
}

static int
scan_line(struct scan *s, char *raw, size_t rawlen)
{
	char *l;
	size_t len;

	if (rawlen > 0 && raw[rawlen - 1] == '\n')
		raw[--rawlen] = '\0';
	if (rawlen > LB_INI_LINE_MAX) {
		lb_config_set_error(s->err, s->path, s->line,
			"syntax error: line longer than %d characters",
			LB_INI_LINE_MAX);
		return -1;
	}
	l = strip(raw);
	len = strlen(l);
	/*
	 * iniparser joins the next line to any line ending in '\' (trailing
	 * space aside), a comment too: "; see C:\temp\" would swallow the key
	 * below it, which would then silently take its default. Refused with
	 * its line rather than worked around: reading the next line on its
	 * own would need the bytes iniparser reads to differ from the file's,
	 * and a continuation the operator did mean would be read otherwise
	 * without a word.
	 */
	if (len > 0 && l[len - 1] == '\\') {
		lb_config_set_error(s->err, s->path, s->line,
			l[0] == ';' || l[0] == '#' ?
			"syntax error: a comment ending in '\\' would join the next line to it (line continuation is not supported)" :
			"syntax error: line continuation ('\\' at end of line) is not supported");
		return -1;
	}
	if (len == 0 || l[0] == ';' || l[0] == '#')
		return 0;
	if (l[0] == '[')
		return scan_section(s, l, len);
	return scan_key(s, l);
}

FILE *
lb_config_open(const char *path, struct lb_config_error *err)
{
	/* O_NONBLOCK: a FIFO must not hang the management loop in open() */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	struct stat st;
	FILE *f;

	if (fd < 0) {
		lb_config_add_error(err, path, "cannot open: %s",
				    strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) != 0) {
		lb_config_add_error(err, path, "cannot stat: %s",
				    strerror(errno));
		close(fd);
		return NULL;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > (off_t)LB_CONFIG_FILE_MAX) {
		lb_config_add_error(err, path, "%s", !S_ISREG(st.st_mode) ?
				    "not a regular file" :
				    "larger than 16 MiB: not a configuration");
		close(fd);
		return NULL;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	f = fdopen(fd, "r");
	if (f == NULL) {
		lb_config_add_error(err, path, "cannot open: %s",
				    strerror(errno));
		close(fd);
	}
	return f;
}

int
lb_ini_index_build(struct lb_ini_index *idx, const char *path,
		   const char *text, size_t len, struct lb_config_error *err)
{
	struct scan s = { .idx = idx, .path = path, .err = err };
	char *buf = NULL;
	size_t cap = 0;
	ssize_t n;
	FILE *f;
	int rc = 0;

	memset(idx, 0, sizeof(*idx));
	if (len == 0)
		return 0;       /* an empty file: no line, no section */
	f = fmemopen((void *)(uintptr_t)text, len, "r");
	if (f == NULL) {
		lb_config_add_error(err, path, "out of memory");
		return -1;
	}
	while ((n = getline(&buf, &cap, f)) >= 0) {
		s.line++;
		if (memchr(buf, '\0', n) != NULL) {
			lb_config_set_error(err, path, s.line,
				"syntax error: NUL byte in line");
			rc = -1;
			break;
		}
		rc = scan_line(&s, buf, n);
		if (rc < 0)
			break;
	}
	if (rc == 0 && ferror(f)) {
		lb_config_add_error(err, path, "cannot read: %s",
				    strerror(errno));
		rc = -1;
	}
	idx->n_lines = s.line;
	free(s.names.slot);
	free(buf);
	fclose(f);
	if (rc < 0)
		lb_ini_index_free(idx);
	return rc;
}

void
lb_ini_index_free(struct lb_ini_index *idx)
{
	unsigned int i, j;

	for (i = 0; i < idx->n_sections; i++) {
		for (j = 0; j < idx->sections[i].n_keys; j++)
			free(idx->sections[i].keys[j].name);
		free(idx->sections[i].keys);
		free(idx->sections[i].name);
	}
	free(idx->sections);
	memset(idx, 0, sizeof(*idx));
}

unsigned int
lb_ini_key_line(const struct lb_ini_section *sec, const char *key)
{
	unsigned int i;

	for (i = 0; i < sec->n_keys; i++)
		if (strcmp(sec->keys[i].name, key) == 0)
			return sec->keys[i].line;
	return 0;
}
