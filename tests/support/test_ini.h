/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TEST_INI_H
#define TEST_INI_H

/*
 * A snapshot from INI text, read as edgelbd reads its file: the text is
 * written to a file of its own, parsed, and the file removed; and a
 * snapshot's backend by name. Include after <cmocka.h>.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lb_config.h"

/* @return the snapshot of @p text, or NULL with the error on stderr. */
static inline struct lb_config *
tini_parse(const char *text)
{
	char dir[] = "/tmp/lbtiniXXXXXX", path[sizeof(dir) + 8];
	struct lb_config_error err;
	struct lb_config *cfg;
	FILE *f;

	if (mkdtemp(dir) == NULL)
		return NULL;
	snprintf(path, sizeof(path), "%s/t.ini", dir);
	f = fopen(path, "w");
	if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0) {
		fprintf(stderr, "cannot write %s\n", path);
		cfg = NULL;
	} else {
		cfg = lb_config_parse(path, &err);
		if (cfg == NULL)
			fprintf(stderr, "%s\n", err.msg);
	}
	unlink(path);
	rmdir(dir);
	return cfg;
}

/* @return the index in @p cfg of backend @p name; fails the test if none. */
static inline uint32_t
tini_backend(const struct lb_config *cfg, const char *name)
{
	uint32_t i;

	for (i = 0; i < cfg->n_backends; i++)
		if (strcmp(cfg->backends[i].name, name) == 0)
			return i;
	fail_msg("no backend %s", name);
	return UINT32_MAX;
}

#endif
