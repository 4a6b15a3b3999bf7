/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Key-by-key differences between two specifications, on effective values:
 * writing a default out or leaving it unset is no change, and neither is
 * an empty or absent [global]. Both sides are
 * walked in canonical order, so a reordered file is no change either.
 */

#include <stdlib.h>
#include <string.h>

#include "config_priv.h"

/* Ports are bound to the EAL and the queues at start: never runtime. */
static int
key_runtime(const struct lb_config_key *k)
{
	return k->section != LB_SECTION_PORT && k->runtime;
}

/* What a change shows of a value: a secret only as set or not. */
static const char *
shown(const struct lb_config_key *k, const char *v)
{
	return k->type == LB_KEY_SECRET && v != NULL && *v != '\0' ?
	       LB_SPEC_SECRET_SHOWN : v;
}

/* An absent [global] is every default: no section to add or remove. */
static const struct lb_spec_section empty_global = {
	.name = (char *)"global", .kind = LB_SECTION_GLOBAL,
};

/* @a or @b may be NULL (section absent on that side). */
static unsigned int
diff_section(const struct lb_spec_section *a, const struct lb_spec_section *b,
	     void (*fn)(const struct lb_spec_change *, void *), void *arg)
{
	const struct lb_spec_section *any = a != NULL ? a : b;
	const struct lb_config_key *keys;
	struct lb_spec_change c;
	unsigned int n, i, count = 0;

	if (any->kind == LB_SECTION_GLOBAL) {
		a = a != NULL ? a : &empty_global;
		b = b != NULL ? b : &empty_global;
	}
	keys = lb_config_keys(&n);
	for (i = 0; i < n; i++) {
		if (keys[i].section != any->kind)
			continue;
		c.section = any->name;
		c.key = keys[i].name;
		c.old_value = a ? lb_spec_value_effective(a, &keys[i]) : NULL;
		c.new_value = b ? lb_spec_value_effective(b, &keys[i]) : NULL;
		c.runtime = key_runtime(&keys[i]);
		if (c.old_value != NULL && c.new_value != NULL &&
		    strcmp(c.old_value, c.new_value) == 0)
			continue;
		count++;
		c.old_value = shown(&keys[i], c.old_value);
		c.new_value = shown(&keys[i], c.new_value);
		if (fn != NULL)
			fn(&c, arg);
	}
	return count;
}

unsigned int
lb_spec_diff(const struct lb_spec *a, const struct lb_spec *b,
	     void (*fn)(const struct lb_spec_change *c, void *arg), void *arg)
{
	const struct lb_spec_section **sa = lb_spec_sorted(a);
	const struct lb_spec_section **sb = lb_spec_sorted(b);
	unsigned int i = 0, j = 0, count = 0;
	int c;

	/* on ENOMEM there is no way to say "unknown": count none */
	while (sa != NULL && sb != NULL &&
	       (i < a->n_sections || j < b->n_sections)) {
		if (i == a->n_sections)
			c = 1;
		else if (j == b->n_sections)
			c = -1;
		else
			c = lb_spec_section_cmp(sa[i], sb[j]);
		if (c == 0 && sa[i]->version == sb[j]->version) {
			i++;    /* the same content: a copy, unchanged */
			j++;
		} else if (c == 0)
			count += diff_section(sa[i++], sb[j++], fn, arg);
		else if (c < 0)
			count += diff_section(sa[i++], NULL, fn, arg);
		else
			count += diff_section(NULL, sb[j++], fn, arg);
	}
	free(sa);
	free(sb);
	return count;
}

/* ---- what a running daemon cannot apply ------------------------------- */

struct static_check {
	const struct lb_spec *next;
	struct lb_config_error *err;
	const char *last_section;   /* a whole port is reported once */
	int count;
};

/* Where @key (NULL: the section) of @section is in next, or its path. */
static void
where_in_next(const struct static_check *sc, const char *section,
	      const char *key, char *buf, size_t size)
{
	const struct lb_spec_section *sec = lb_spec_section_of(sc->next,
							       section);
	const struct lb_spec_value *v = sec && key ? lb_spec_value_of(sec, key)
						   : NULL;

	if (v != NULL)
		lb_spec_where(sc->next, v->origin, v->line, buf, size);
	else if (sec != NULL)
		lb_spec_where(sc->next, sec->origin, sec->line, buf, size);
	else
		snprintf(buf, size, "%s", sc->next->path);
}

static void
static_one(const struct lb_spec_change *c, void *arg)
{
	struct static_check *sc = arg;
	char where[PATH_MAX + 32];

	if (c->runtime)
		return;
	if (c->old_value != NULL && c->new_value != NULL) {
		where_in_next(sc, c->section, c->key, where, sizeof(where));
		lb_config_add_error(sc->err, where,
			"[%s] %s = '%s' (running: '%s'): %s cannot change while running: restart edgelbd",
			c->section, c->key, c->new_value, c->old_value, c->key);
	} else if (sc->last_section == NULL ||
		   strcmp(sc->last_section, c->section) != 0) {
		where_in_next(sc, c->section, NULL, where, sizeof(where));
		lb_config_add_error(sc->err, where,
			"[%s] %s: ports cannot change while running: restart edgelbd",
			c->section, c->old_value == NULL ? "added" : "removed");
	} else {
		return;
	}
	sc->last_section = c->section;
	sc->count++;
}

int
lb_spec_check_static(const struct lb_spec *running,
		     const struct lb_spec *next, struct lb_config_error *err)
{
	struct static_check sc = { .next = next, .err = err };

	lb_config_error_init(err);
	lb_spec_diff(running, next, static_one, &sc);
	return sc.count;
}
