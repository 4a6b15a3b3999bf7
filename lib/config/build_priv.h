/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef LB_CONFIG_BUILD_PRIV_H
#define LB_CONFIG_BUILD_PRIV_H

/*
 * Internal to lib/config: the state of one lb_config_build() call, shared
 * by validate.c (values and cross-rules, every error collected) and
 * build.c (identities, tables, next hops: only once validation passed).
 */

#include "config_priv.h"

struct build_ctx {
	const struct lb_spec *spec;
	const struct lb_config_build_opts *opts;
	struct lb_config_error *err;
	struct lb_config *cfg;
	/* sections of each kind in file order: objects keep that order */
	const struct lb_spec_section **sec[LB_SECTION_KINDS];
	uint32_t n[LB_SECTION_KINDS];
	/* per object: every value passed its key's check; a bad object is
	 * left out of cross-rules, so one mistake gives one message */
	uint8_t *ok[LB_SECTION_KINDS];
	uint8_t ports_ok;           /* on-link rules need every port */
};

/* Error about @key of @sec (its value's origin, else the section's). */
void build_error(struct build_ctx *c, const struct lb_spec_section *sec,
		 const char *key, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Line of @key in @sec, else of the section: "(first at line N)". */
unsigned int build_line(const struct lb_spec_section *sec, const char *key);

/* Effective value of @key in @sec. */
const char *build_value(const struct lb_spec_section *sec, const char *key);

/* Sort sections by kind, check counts, fill the snapshot's objects and run
 * every cross-rule. @return 0 if all passed; errors are in c->err. */
int lb_config_validate(struct build_ctx *c);

/* bgp.c: [bgp] into cfg->bgp, checked against the ports. */
void lb_config_fill_bgp(struct build_ctx *c);

/* The port whose subnet holds @addr, else UINT32_MAX; *own is the port
 * whose own address @addr is, else UINT32_MAX. */
uint32_t lb_config_port_of(const struct lb_config *cfg, uint32_t addr,
			   uint32_t *own);

#endif
