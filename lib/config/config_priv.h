/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef LB_CONFIG_PRIV_H
#define LB_CONFIG_PRIV_H

/*
 * Internal to lib/config: the line index, the specification's layout and
 * the error helpers.
 *
 * The line index: iniparser keeps no line numbers and lets a repeated section or key
 * overwrite the first silently. The index scans the file once, with the
 * same name rules as iniparser (names stripped and lower-cased, key = text
 * before the first '='), so every message can name a line and every
 * repetition is refused. iniparser still parses the values.
 */

#include <stdint.h>
#include <stdio.h>

#include "lb_spec.h"
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
 * Scan the @len bytes of @text (the file @path, read once by the caller)
 * into @idx: every section and key with its line. Fails on a
 * syntax error, a key before any section, a repeated section or a repeated
 * key in one section, with err = "path:line: message". On failure @idx is
 * left empty (nothing to free).
 */
int lb_ini_index_build(struct lb_ini_index *idx, const char *path,
		       const char *text, size_t len,
		       struct lb_config_error *err);

void lb_ini_index_free(struct lb_ini_index *idx);

/* Line of @key in @sec, or 0 if the section has no such key. */
unsigned int lb_ini_key_line(const struct lb_ini_section *sec,
			     const char *key);

/* Start an error list: no error yet. */
void lb_config_error_init(struct lb_config_error *err);

/* Append "path:line: " and the formatted message to err (one more error). */
void lb_config_set_error(struct lb_config_error *err, const char *path,
			 unsigned int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Append "prefix" (if not NULL and not empty, then ": ") and the message. */
/* Largest configuration file read: a path to /dev/zero or a huge file is
 * an error, not an exhausted management core. */
#define LB_CONFIG_FILE_MAX (16u << 20)

/* @path opened for reading if it is a regular file of at most 16 MiB
 * (never blocks on a FIFO), or NULL with @err set. */
FILE *lb_config_open(const char *path, struct lb_config_error *err);

/* Room for element @n of *@arr (capacity *@cap, doubled as needed).
 * @return 0, or -1 on ENOMEM (*arr unchanged). */
int lb_config_grow(void **arr, unsigned int *cap, unsigned int n,
		   size_t elem);

void lb_config_add_error(struct lb_config_error *err, const char *prefix,
			 const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* ---- the specification -------------------------------------------- */

struct lb_spec_value {
	char *key;
	char *value;
	char *origin;           /* NULL: spec path + line */
	unsigned int line;
};

struct lb_spec_section {
	/* Specifications share sections (lb_spec_dup): one is changed only
	 * by its one owner (lb_spec_section_own copies a shared one). */
	unsigned int refs;
	/* Unique to its content: given on creation and on every change,
	 * kept by lb_spec_dup. Two sections with the same version hold the
	 * same values, so a diff skips them without reading them. */
	uint64_t version;
	char *name;             /* "backend.web1" */
	enum lb_section_kind kind;
	char *origin;           /* NULL: spec path + line */
	unsigned int line;
	unsigned int n_values, cap_values;
	struct lb_spec_value *values;
};

struct lb_spec {
	unsigned int refs;      /* lb_spec_ref: shared by snapshots, history */
	char *path;
	unsigned int end_line;  /* last line of the file: "missing" errors */
	unsigned int n_sections, cap_sections;
	struct lb_spec_section **sections;  /* file order */
};

/* The value of @key in @sec, or NULL. */
const struct lb_spec_value *lb_spec_value_of(const struct lb_spec_section *sec,
					     const char *key);

/* Section @name of @s, ready to change: copied first if another
 * specification shares it. NULL if absent or on ENOMEM. */
struct lb_spec_section *lb_spec_section_own(struct lb_spec *s,
					    const char *name);

/* A version no section has had (management lcore only). */
uint64_t lb_spec_next_version(void);

/* Append an empty section (no origin: set one if it needs it), or NULL. */
struct lb_spec_section *lb_spec_section_add(struct lb_spec *s,
					    const char *name,
					    enum lb_section_kind kind,
					    unsigned int line);

/* The section named @name, or NULL. */
const struct lb_spec_section *lb_spec_section_of(const struct lb_spec *s,
						 const char *name);

/* Set value, else default, else "". */
const char *lb_spec_value_effective(const struct lb_spec_section *sec,
				    const struct lb_config_key *k);

/* NAME of "kind.NAME" ("" for global). */
const char *lb_spec_section_short(const struct lb_spec_section *sec);

/* "path:line" or the origin text of a value or section, into @buf. */
const char *lb_spec_where(const struct lb_spec *s, const char *origin,
			  unsigned int line, char *buf, size_t size);

/*
 * Section pointers in canonical order (kind, then name): writing and
 * diffing walk this. malloc'd; NULL on ENOMEM.
 */
const struct lb_spec_section **lb_spec_sorted(const struct lb_spec *s);

/* <0, 0, >0 in canonical order. */
int lb_spec_section_cmp(const struct lb_spec_section *x,
			const struct lb_spec_section *y);

/* The kind of "kind.NAME" / "global"; -1 with a message if not valid. */
int lb_spec_kind_of(const char *name, enum lb_section_kind *kind,
		    char *msg, size_t size);

/* ---- typed values (after lb_config_key_check passed) --------------- */

uint32_t lb_key_u32(const char *v);
uint32_t lb_key_ipv4(const char *v);                 /* network order */
void lb_key_prefix(const char *v, uint32_t *addr, uint8_t *len);
int lb_key_word(const struct lb_config_key *k, const char *v); /* index */
int lb_key_mac(const char *v, uint8_t mac[6]);
/* "200" or "200-399" -> [lo, hi]; 0, or -1 if it is neither. */
int lb_key_status_range(const char *v, uint16_t *lo, uint16_t *hi);
/* "2" or "50%" -> n, percent; 0, or -1 if it is neither. */
/* "a.b.c.d:port": 0 (addr in network order, port in host order), or -1. */
int lb_key_listen(const char *v, uint32_t *addr, uint16_t *port);
int lb_key_count_percent(const char *v, uint32_t *n, uint8_t *percent);

#endif
