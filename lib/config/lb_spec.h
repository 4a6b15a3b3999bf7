/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef LB_SPEC_H
#define LB_SPEC_H

/**
 * @file
 * The specification: what the operator asked for, as text.
 *
 * A specification holds the sections ([global], [port.NAME], [vip.NAME],
 * [pool.NAME], [backend.NAME]) and each key's value as text, each value
 * remembering where it came from (file and line, or a runtime origin such
 * as "runtime: weight by uid 0"). It is what a change edits (lb_spec_dup +
 * lb_spec_set), what is printed (lb_spec_to_ini) and compared
 * (lb_spec_diff); lb_config_build() turns it into a snapshot.
 *
 * Every key is declared once, in the table lb_config_keys() returns: its
 * type, range, default, whether it may change while running, and one line
 * of documentation. Loading, checking, defaults, printing and the
 * reference.ini test all read that table.
 *
 * Management lcore or tools without EAL; everything here allocates with
 * malloc and never prints except to the FILE it is given.
 */

#include <stdint.h>
#include <stdio.h>

/** Room for many errors, one per line. */
#define LB_ERR_MAX 8192

/**
 * Errors filled by loading and building: each "file:line: message" (or
 * "origin: message" for a value set at runtime), joined by '\n' in @c msg,
 * so printing msg prints them all. @c n counts them. A message that does
 * not fit is cut and the text ends with "...".
 */
struct lb_config_error {
	char msg[LB_ERR_MAX];
	unsigned int n;
};

/** The kinds of section. */
enum lb_section_kind {
	LB_SECTION_GLOBAL = 0,
	LB_SECTION_PORT,
	LB_SECTION_VIP,
	LB_SECTION_POOL,
	LB_SECTION_BACKEND,
	LB_SECTION_BGP,             /**< [bgp]: one, optional (lib/bgp) */
	LB_SECTION_KINDS,
};

/** How a key's value is written and checked. */
enum lb_key_type {
	LB_KEY_U32 = 0,     /**< decimal, min..max */
	LB_KEY_IPV4,        /**< dotted quad */
	LB_KEY_IPV4_PREFIX, /**< a.b.c.d/len, len 1..32 */
	LB_KEY_STRING,      /**< at most max bytes */
	LB_KEY_PATH,        /**< absolute path, at most max bytes */
	LB_KEY_DEVICE,      /**< DPDK vdev string or PCI address, no space */
	LB_KEY_ENUM,        /**< one of words */
	LB_KEY_MAC,         /**< unicast xx:xx:xx:xx:xx:xx */
	LB_KEY_POOL,        /**< the name of a [pool.NAME] */
	LB_KEY_GROUP,       /**< Unix group name [a-z_][a-z0-9_-]*, <= 32 */
	LB_KEY_URL_PATH,    /**< "/..." printable, no space, <= max bytes */
	LB_KEY_HOST,        /**< host name or address, may be empty */
	LB_KEY_STATUS_RANGE, /**< HTTP status "200" or range "200-399" */
	LB_KEY_COUNT_PERCENT, /**< a count min..max ("2") or a percent
			       *   1..100 ("50%") */
	LB_KEY_SECRET,      /**< 128-bit key, 32 hex digits, may be empty;
			     *   never shown: diffs and errors say only
			     *   that it is set or changed */
	LB_KEY_LISTEN,      /**< a.b.c.d:port (port 1..65535), may be
			     *   empty */
};

/** One key: the single declaration every user of keys reads. */
struct lb_config_key {
	enum lb_section_kind section;
	const char *name;
	enum lb_key_type type;
	uint32_t min, max;          /**< U32: range; strings: max bytes */
	const char *const *words;   /**< ENUM: accepted, NULL-terminated */
	const char *const *planned; /**< ENUM: known but refused for now */
	const char *def;            /**< default as text; NULL: required;
				     *   "": none */
	uint8_t runtime;            /**< may change while running */
	const char *doc;            /**< one line */
};

/** Every key, in documentation order. @p n receives the count. */
const struct lb_config_key *lb_config_keys(unsigned int *n);

/** The key @p name of sections of @p kind, or NULL. */
const struct lb_config_key *lb_config_key_find(enum lb_section_kind kind,
					       const char *name);

/** "global", "port", "vip", "pool", "backend" or "bgp". */
const char *lb_section_kind_name(enum lb_section_kind kind);

/** The kind of a section name ("global", "vip.web"): 0, or -1 if none. */
int lb_section_kind_of(const char *section, enum lb_section_kind *kind);

/**
 * Check @p value against @p key's type and range (not references).
 * @return 0, or -1 with "key = 'value': why" in @p msg.
 */
int lb_config_key_check(const struct lb_config_key *key, const char *value,
			char *msg, size_t size);

struct lb_spec;

/**
 * Read an INI file into a specification. Syntax errors, repeated
 * sections or keys, unknown sections and unknown keys are errors; values
 * are not checked here (lb_config_build does). Every unknown section and
 * key is reported; a syntax error stops at its line.
 *
 * @return the specification, or NULL with @p err filled.
 */
struct lb_spec *lb_spec_load(const char *path, struct lb_config_error *err);

/** A deep copy, or NULL on ENOMEM. */
struct lb_spec *lb_spec_dup(const struct lb_spec *s);

/**
 * Share @p s: one more reference, dropped by lb_spec_free. A shared
 * specification is immutable (lb_spec_set refuses it): snapshots and the
 * history of generations hold the same one instead of copies.
 */
struct lb_spec *lb_spec_ref(const struct lb_spec *s);

/** Drop one reference; frees on the last. NULL-safe. */
void lb_spec_free(struct lb_spec *s);

/** The file it was loaded from. */
const char *lb_spec_path(const struct lb_spec *s);

/**
 * The value of @p key in @p section ("backend.web1"), as set: NULL when
 * the key (or the section) is unset, whatever its default.
 */
const char *lb_spec_get(const struct lb_spec *s, const char *section,
			const char *key);

/**
 * The value in effect: as set, else the key's default, else "" (a key
 * without default, unset). NULL if the section or the key does not exist.
 */
const char *lb_spec_effective(const struct lb_spec *s, const char *section,
			      const char *key);

/**
 * Where @p key of @p section was set, as errors name it: "file:line", or
 * the runtime origin ("runtime: weight by uid 0"); the section's own line
 * when the key is unset (or @p key is NULL), the file when the section
 * does not exist.
 *
 * @return 1 (the key's), 0 (the section's), -1 (the file's).
 */
int lb_spec_where_of(const struct lb_spec *s, const char *section,
		     const char *key, char *buf, size_t size);

/** 1 if @p section exists. */
int lb_spec_has_section(const struct lb_spec *s, const char *section);

/**
 * Set (or with @p value NULL, unset) one key of an existing section, for
 * a change while running ([global] always exists: it is added, empty, on
 * the first key set in it). Refuses an absent section, an unknown key, a key
 * that cannot change while running ("... cannot change while running:
 * restart edgelbd"), unsetting a required key, and a value that fails its
 * type or range check or names a pool that does not exist. @p origin
 * (copied; NULL: "runtime") is what errors about the value will name.
 *
 * @return 0, or -1 with @p err filled and @p s unchanged.
 */
int lb_spec_set(struct lb_spec *s, const char *section, const char *key,
		const char *value, const char *origin,
		struct lb_config_error *err);

/**
 * Write @p s as an INI file: sections in canonical order (global, ports,
 * pools, vips, backends, each by name), keys in table order, only keys
 * that are set, values quoted when they need it, so that lb_spec_load of
 * the output gives the same values. Starts with a comment naming the file
 * the specification came from. A secret (LB_KEY_SECRET) that is set is
 * written as a comment saying so, never its value: loading the output
 * then gives a specification without it (a fresh random key).
 *
 * @return 0, or -1 (write error, or a value that no INI quoting can hold).
 */
int lb_spec_write_ini(const struct lb_spec *s, FILE *out);

/** lb_spec_write_ini into a malloc'd string, or NULL. */
char *lb_spec_to_ini(const struct lb_spec *s);

/** One key that differs between two specifications. */
/** What a change shows for a secret's value when it is set. */
#define LB_SPEC_SECRET_SHOWN "(secret)"

struct lb_spec_change {
	const char *section;        /**< "backend.web1" */
	const char *key;
	/** Effective values; NULL: section absent. A secret's value that is
	 *  set reads LB_SPEC_SECRET_SHOWN (compared on the real values). */
	const char *old_value;
	const char *new_value;
	int runtime;                /**< 1 if the key may change running */
};

/**
 * Call @p fn for every key whose effective value (lb_spec_effective)
 * differs from @p a to @p b, sections in canonical order. A section on
 * one side only is reported as every key of its kind, with NULL on the
 * absent side. The change's strings live as long as @p a and @p b.
 *
 * @return the number of changes (fn may be NULL to just count).
 */
unsigned int lb_spec_diff(const struct lb_spec *a, const struct lb_spec *b,
			  void (*fn)(const struct lb_spec_change *c,
				     void *arg),
			  void *arg);

/**
 * The differences from @p running to @p next that a running daemon cannot
 * apply (any [port.*] change, workers, eal_args, ...), one error each in
 * @p err naming the key.
 *
 * @return their number: 0 means the reload is allowed.
 */
int lb_spec_check_static(const struct lb_spec *running,
			 const struct lb_spec *next,
			 struct lb_config_error *err);

#endif
