/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef LB_TEST_CONFIG_SUPPORT_H
#define LB_TEST_CONFIG_SUPPORT_H

/*
 * Shared by the lib/config tests: a temporary directory per test and a
 * small valid file to vary.
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#ifndef LB_SOURCE_DIR
#error "LB_SOURCE_DIR must point at the source tree"
#endif

#define T_PORT_LAN "[port.lan]\n" \
	"device = net_af_packet0,iface=veth0\n" \
	"address = 10.0.0.2/24\n"
#define T_VIP_WEB "[vip.web]\n" \
	"address = 10.0.0.100\n" \
	"port = 80\n" \
	"pool = web\n"
#define T_POOL_WEB "[pool.web]\n"
#define T_BE(name, addr) "[backend." name "]\npool = web\naddress = " addr "\n"
#define T_MINIMAL T_PORT_LAN T_VIP_WEB T_POOL_WEB T_BE("b1", "10.0.0.11")

struct tfix {
	char dir[64];
	char path[128];
	char path2[128];
};

static inline int
tfix_setup(void **state)
{
	struct tfix *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_config.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/t.ini", f->dir);
	snprintf(f->path2, sizeof(f->path2), "%s/u.ini", f->dir);
	*state = f;
	return 0;
}

static inline int
tfix_teardown(void **state)
{
	struct tfix *f = *state;

	unlink(f->path);
	unlink(f->path2);
	rmdir(f->dir);
	free(f);
	return 0;
}

static inline const char *
tfix_write(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	assert_true(fputs(text, fp) >= 0);
	assert_int_equal(fclose(fp), 0);
	return path;
}

static inline struct lb_spec *
tfix_load(const char *path, const char *text)
{
	struct lb_config_error err = { { 0 }, 0 };
	struct lb_spec *s = lb_spec_load(tfix_write(path, text), &err);

	if (s == NULL)
		fail_msg("unexpected error: %s", err.msg);
	return s;
}

#endif
