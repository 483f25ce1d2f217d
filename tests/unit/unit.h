/*
 * unit.h: what etlre's cmocka unit tests share. The tests are tables of cases
 * (one struct per row, its first member the row's name); unit_add_rows turns
 * every row into a cmocka test of its own, so that each failing row is
 * reported by name and the others still run.
 *
 * Everything here is static inline: each test file is its own program and
 * uses only part of it.
 */
#ifndef ETLRE_UNIT_H
#define ETLRE_UNIT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util.h"

/* B(s): a string literal as "bytes, length", so rows can hold NUL bytes */
#define B(s) s, (sizeof(s) - 1)

typedef struct unit_list {
	struct CMUnitTest *tests;
	char **names;
	size_t n;
} unit_list;

/* unit_add: one test named "prefix: name" that gets state as *state */
static inline void unit_add(unit_list *l, const char *prefix, const char *name,
			    CMUnitTestFunction fn, const void *state)
{
	char *full = name ? xasprintf("%s: %s", prefix, name) : xstrdup(prefix);

	l->tests = xrealloc(l->tests, sizeof(*l->tests) * (l->n + 1));
	l->names = xrealloc(l->names, sizeof(*l->names) * (l->n + 1));
	l->names[l->n] = full;
	l->tests[l->n] = (struct CMUnitTest){ full, fn, NULL, NULL, (void *)(uintptr_t)state };
	l->n++;
}

/* unit_add_rows: one test per row of rows[0..count); a row starts with its name */
static inline void unit_add_rows(unit_list *l, const char *prefix, CMUnitTestFunction fn,
				 const void *rows, size_t row_size, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		const char *row = (const char *)rows + i * row_size;
		unit_add(l, prefix, *(const char *const *)(const void *)row, fn, row);
	}
}

#define UNIT_ROWS(list, prefix, fn, rows) \
	unit_add_rows(list, prefix, fn, rows, sizeof((rows)[0]), ARRAY_SIZE(rows))

/* unit_run: runs the list as one cmocka group (normal cmocka summary), frees it */
static inline int unit_run(unit_list *l, const char *group, CMFixtureFunction setup,
			   CMFixtureFunction teardown)
{
	int failed = _cmocka_run_group_tests(group, l->tests, l->n, setup, teardown);

	for (size_t i = 0; i < l->n; i++)
		free(l->names[i]);
	free(l->names);
	free(l->tests);
	return failed;
}

/* unit_dup: s[0..n) in a heap block of exactly n bytes (no NUL after it), so
 * that AddressSanitizer catches a read past the end of a value */
static inline char *unit_dup(const char *s, size_t n)
{
	char *p = xmalloc(n ? n : 1);
	if (n)
		memcpy(p, s, n);
	return p;
}

/* unit_rand: a small fixed-seed generator (xorshift64), for repeatable
 * generated cases */
static inline uint64_t unit_rand(uint64_t *state)
{
	uint64_t x = *state;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *state = x;
}

#endif
