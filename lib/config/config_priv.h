/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef LB_CONFIG_PRIV_H
#define LB_CONFIG_PRIV_H

/*
 * Internal to lib/config: the line index.
 *
 * iniparser keeps no line numbers and lets a repeated section or key
 * overwrite the first silently. The index scans the file once, with the
 * same name rules as iniparser (names stripped and lower-cased, key = text
 * before the first '='), so every message can name a line and every
 * repetition is refused. iniparser still parses the values.
 */

#include <stdint.h>

#include "lb_config.h"

/* iniparser 4.1 reads lines into a 1024-byte buffer: longer lines fail. */
#define LB_INI_LINE_MAX 1022

struct lb_ini_key {
	char *name;             /* lower-cased, as iniparser stores it */
	unsigned int line;
};

struct lb_ini_section {
	char *name;             /* lower-cased, as iniparser stores it */
	unsigned int line;
	unsigned int n_keys;
	struct lb_ini_key *keys;
};

struct lb_ini_index {
	unsigned int n_lines;   /* where a missing section is reported */
	unsigned int n_sections;
	struct lb_ini_section *sections;
};

/*
 * Scan @path into @idx: every section and key with its line. Fails on a
 * syntax error, a key before any section, a repeated section or a repeated
 * key in one section, with err = "path:line: message". On failure @idx is
 * left empty (nothing to free).
 */
int lb_ini_index_build(struct lb_ini_index *idx, const char *path,
		       struct lb_config_error *err);

void lb_ini_index_free(struct lb_ini_index *idx);

/* Line of @key in @sec, or 0 if the section has no such key. */
unsigned int lb_ini_key_line(const struct lb_ini_section *sec,
			     const char *key);

/* Fill err->msg with "path:line: " followed by the formatted message. */
void lb_config_set_error(struct lb_config_error *err, const char *path,
			 unsigned int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
