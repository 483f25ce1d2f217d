/*
 * range_args.h: the options that say which days and tables a command works
 * on, shared by process and verify: --date D, --start-date D --end-date D,
 * --last-days N (verify only) and --table T (repeatable). An argp child
 * parses them and resolves the range when parsing ends, so a usage error is
 * the same text in every command and exits 2 from inside argp.
 */
#ifndef ETLRE_RANGE_ARGS_H
#define ETLRE_RANGE_ARGS_H

#include <argp.h>
#include <stdbool.h>

#include "chunk.h"
#include "config.h"

typedef struct range_args {
	bool allow_last_days;     /* set by the command: --last-days is an option */
	const char *date, *start_date, *end_date, *last_days; /* as given */
	civil_date first, last;   /* the resolved days, inclusive */
	const char **tables;      /* --table, in order given; the array is owned */
	int ntables;
} range_args;

/* the argp children: range_argp for process, range_argp_last_days for
 * verify. The command's parser hands its range_args to the child with
 * state->child_inputs[0] = &args on ARGP_KEY_INIT; the child's ARGP_KEY_END
 * runs before the command's, so the range is resolved there. */
extern const struct argp range_argp;
extern const struct argp range_argp_last_days;

/* range_args_add_table: one more --table (name is not copied) */
void range_args_add_table(range_args *r, const char *name);
/* range_args_check_tables: true when every --table names a [table] section
 * of cfg; else logs the known ones and returns false */
bool range_args_check_tables(const range_args *r, config *cfg) MUSTCHECK;
/* range_args_wanted: true when table name was asked for (every table when
 * no --table was given) */
bool range_args_wanted(const range_args *r, const char *name);
/* range_args_release: frees the --table array */
void range_args_release(range_args *r);

#endif
