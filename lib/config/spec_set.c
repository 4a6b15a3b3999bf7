/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lb_spec_set: a change while running edits one value. It is refused
 * here, before any build, when the key cannot change while running or the
 * value cannot be right whatever else changes, so the operator hears why
 * at once; cross-rules (on-link, uniqueness, ...) are lb_config_build's.
 */

#include <stdlib.h>
#include <string.h>

#include "config_priv.h"

static int
set_refused(const struct lb_spec_section *sec, const struct lb_config_key *k,
	    const char *section, const char *key, const char *value,
	    struct lb_config_error *err)
{
	char msg[512];

	if (sec == NULL) {
		lb_config_add_error(err, NULL, "no section [%s]", section);
		return -1;
	}
	if (k == NULL) {
		lb_config_add_error(err, NULL, "unknown key '%s' in [%s]", key,
				    section);
		return -1;
	}
	if (!k->runtime) {
		lb_config_add_error(err, NULL,
			"[%s] %s cannot change while running: restart edgelbd",
			section, key);
		return -1;
	}
	if (value == NULL) {
		if (k->def != NULL)
			return 0;
		lb_config_add_error(err, NULL,
			"[%s] %s is required: it cannot be unset", section,
			key);
		return -1;
	}
	/* a value must survive lb_spec_write_ini: one line, no control */
	if (strpbrk(value, "\r\n") != NULL) {
		lb_config_add_error(err, NULL,
			"[%s] %s: a value cannot hold a line break", section,
			key);
		return -1;
	}
	if (lb_config_key_check(k, value, msg, sizeof(msg)) < 0) {
		lb_config_add_error(err, NULL, "[%s] %s", section, msg);
		return -1;
	}
	return 0;
}

static int
pool_missing(const struct lb_spec *s, const struct lb_config_key *k,
	     const char *section, const char *value,
	     struct lb_config_error *err)
{
	char name[LB_NAME_MAX + 8];

	if (k->type != LB_KEY_POOL || value == NULL)
		return 0;
	snprintf(name, sizeof(name), "pool.%s", value);
	if (lb_spec_section_of(s, name) != NULL)
		return 0;
	lb_config_add_error(err, NULL,
			    "[%s] pool '%s' does not exist (no [pool.%s])",
			    section, value, value);
	return -1;
}

/* Replace value and origin of @v, or fail leaving it as it was. */
static int
replace_value(struct lb_spec_value *v, const char *value, const char *origin)
{
	char *nv = strdup(value), *no = strdup(origin);

	if (nv == NULL || no == NULL) {
		free(nv);
		free(no);
		return -1;
	}
	free(v->value);
	free(v->origin);
	v->value = nv;
	v->origin = no;
	v->line = 0;
	return 0;
}

static int
append_value(struct lb_spec_section *sec, const char *key, const char *value,
	     const char *origin)
{
	struct lb_spec_value *v;

	if (sec->n_values == sec->cap_values) {
		unsigned int cap = sec->cap_values ? sec->cap_values * 2 : 8;

		v = realloc(sec->values, cap * sizeof(*v));
		if (v == NULL)
			return -1;
		sec->values = v;
		sec->cap_values = cap;
	}
	v = &sec->values[sec->n_values];
	memset(v, 0, sizeof(*v));
	v->key = strdup(key);
	if (v->key == NULL)
		return -1;
	if (replace_value(v, value, origin) < 0) {
		free(v->key);
		return -1;
	}
	sec->n_values++;
	return 0;
}

static void
remove_value(struct lb_spec_section *sec, struct lb_spec_value *v)
{
	free(v->key);
	free(v->value);
	free(v->origin);
	memmove(v, v + 1, (size_t)(&sec->values[sec->n_values] - (v + 1)) *
		sizeof(*v));
	sec->n_values--;
}

/* [global] always exists, if only as its defaults. */
static const struct lb_spec_section global_defaults = {
	.name = (char *)"global", .kind = LB_SECTION_GLOBAL,
};

static struct lb_spec_section *
add_global(struct lb_spec *s, const char *origin)
{
	struct lb_spec_section *sec;

	sec = lb_spec_section_add(s, "global", LB_SECTION_GLOBAL, 0);
	if (sec == NULL)
		return NULL;
	sec->origin = strdup(origin);
	return sec;        /* a NULL origin only loses where errors point */
}

int
lb_spec_set(struct lb_spec *s, const char *section, const char *key,
	    const char *value, const char *origin,
	    struct lb_config_error *err)
{
	struct lb_spec_section *sec;
	const struct lb_config_key *k = NULL;
	struct lb_spec_value *v;
	int rc;

	lb_config_error_init(err);
	if (s->refs > 1) {
		/* Shared specifications are immutable: a snapshot or the
		 * history reads this one. Change a copy (lb_spec_dup). */
		lb_config_add_error(err, s->path, "internal: a shared "
				    "specification cannot be changed");
		return -1;
	}
	sec = (struct lb_spec_section *)lb_spec_section_of(s, section);
	if (sec != NULL)
		k = lb_config_key_find(sec->kind, key);
	/* Checks read the section; the change is made on its own copy. */
	else if (strcmp(section, "global") == 0)
		k = lb_config_key_find(LB_SECTION_GLOBAL, key);
	if (set_refused(sec != NULL ? sec : strcmp(section, "global") == 0 ?
			&global_defaults : NULL, k, section, key, value,
			err) < 0 ||
	    pool_missing(s, k, section, value, err) < 0)
		return -1;
	if (origin == NULL)
		origin = "runtime";
	if (sec == NULL && value == NULL)
		return 0;       /* unset in an absent [global]: nothing to do */
	sec = sec == NULL ? add_global(s, origin) :
		lb_spec_section_own(s, section);
	if (sec == NULL) {
		lb_config_add_error(err, NULL, "out of memory");
		return -1;
	}
	v = (struct lb_spec_value *)lb_spec_value_of(sec, key);
	sec->version = lb_spec_next_version();
	if (value == NULL) {
		if (v != NULL)
			remove_value(sec, v);
		return 0;
	}
	rc = v != NULL ? replace_value(v, value, origin)
		       : append_value(sec, key, value, origin);
	if (rc < 0)
		lb_config_add_error(err, NULL, "out of memory");
	return rc;
}
