/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Specification -> INI text, in one canonical order so that two equal
 * specifications print the same and a printed one loads back to the same
 * values (the round trip the unit test checks).
 */

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "config_priv.h"

/*
 * Quote only what iniparser would not read back as it is: it ends an
 * unquoted value at ';' or '#', strips white space (isspace) at both
 * ends, reads a value starting with a quote as quoted and an empty one
 * as nothing; the line index refuses a trailing '\'. Quoting no more
 * than that keeps every printed line as short as the line it was read
 * from. A value holding both quote characters that needs quoting cannot
 * be written.
 */
static int
quote_of(const char *v)
{
	size_t len = strlen(v);

	if (len > 0 && strpbrk(v, ";#") == NULL && v[0] != '"' &&
	    v[0] != '\'' && !isspace((unsigned char)v[0]) &&
	    !isspace((unsigned char)v[len - 1]) && v[len - 1] != '\\')
		return 0;
	if (strchr(v, '"') == NULL)
		return '"';
	if (strchr(v, '\'') == NULL)
		return '\'';
	return -1;
}

/*
 * "key = value", or "key=value" when that would pass iniparser's line
 * length: a value read from a line of the maximum length still fits.
 */
static int
write_value(const struct lb_spec_value *v, FILE *out)
{
	int q = quote_of(v->value);
	size_t len = strlen(v->key) + strlen(v->value) + (q > 0 ? 2 : 0);
	const char *eq = len + 3 <= LB_INI_LINE_MAX ? " = " : "=";

	if (q < 0 || len + strlen(eq) > LB_INI_LINE_MAX)
		return -1;
	if (q == 0)
		return fprintf(out, "%s%s%s\n", v->key, eq, v->value) < 0 ?
			-1 : 0;
	return fprintf(out, "%s%s%c%s%c\n", v->key, eq, q, v->value, q) < 0 ?
		-1 : 0;
}

/* Keys in table order, whatever order they were set in. */
static int
write_section(const struct lb_spec_section *sec, FILE *out)
{
	const struct lb_config_key *keys;
	const struct lb_spec_value *v;
	unsigned int n, i;

	if (fprintf(out, "\n[%s]\n", sec->name) < 0)
		return -1;
	keys = lb_config_keys(&n);
	for (i = 0; i < n; i++) {
		if (keys[i].section != sec->kind)
			continue;
		v = lb_spec_value_of(sec, keys[i].name);
		if (v != NULL && keys[i].type == LB_KEY_SECRET &&
		    v->value[0] != '\0') {
			if (fprintf(out, "; %s is set (secret, not shown)\n",
				    v->key) < 0)
				return -1;
		} else if (v != NULL && write_value(v, out) < 0) {
			return -1;
		}
	}
	return 0;
}

int
lb_spec_write_ini(const struct lb_spec *s, FILE *out)
{
	const struct lb_spec_section **sorted = lb_spec_sorted(s);
	unsigned int i;
	int rc = 0;

	if (sorted == NULL)
		return -1;
	/* a path with a line break would end the comment early, one ending
	 * in '\\' would join the next line to it */
	if (strpbrk(s->path, "\r\n") == NULL && s->path[0] != '\0' &&
	    s->path[strlen(s->path) - 1] != '\\' &&
	    fprintf(out, "; edgelb specification, from %s\n", s->path) < 0)
		rc = -1;
	for (i = 0; rc == 0 && i < s->n_sections; i++)
		rc = write_section(sorted[i], out);
	free(sorted);
	if (rc == 0 && ferror(out))
		rc = -1;
	return rc;
}

char *
lb_spec_to_ini(const struct lb_spec *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int rc;

	if (f == NULL)
		return NULL;
	rc = lb_spec_write_ini(s, f);
	if (fclose(f) != 0)
		rc = -1;
	if (rc < 0) {
		free(buf);
		return NULL;
	}
	return buf;
}
