/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TEST_JSON_H
#define TEST_JSON_H

/*
 * Typed reads of a JSON answer for cmocka tests: a field of the wrong type
 * fails the test, naming the key. Include after <cmocka.h>.
 */

#include <jansson.h>

static inline json_int_t
geti(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	if (!json_is_integer(v))
		fail_msg("\"%s\" is not an integer", key);
	return json_integer_value(v);
}

static inline const char *
gets(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	if (!json_is_string(v))
		fail_msg("\"%s\" is not a string", key);
	return json_string_value(v);
}

#endif
