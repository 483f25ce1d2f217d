/*
 * plan_merge.h: mode = merge at plan time: the SQL of a table's merge,
 * built once by merge_plan_build when plan.c plans the table, run for each
 * window by load_merge.c (see load_merge.h for what a merge does). Only
 * plan.h is needed here, so planning does not depend on the loader.
 */
#ifndef ETLRE_PLAN_MERGE_H
#define ETLRE_PLAN_MERGE_H

#include <stdbool.h>

#include "plan.h"
#include "util.h"

typedef struct merge_plan {
	char *create_sql;   /* the staging table, with the loaded columns */
	char *alter_sql;    /* its row number and unique key */
	char *gone_sql;     /* $1 $2 window: keys (as text) of target rows not staged */
	char *delete_sql;   /* $1 $2 window: those rows; moved keys are appended */
	char *upsert_sql;   /* $1 $2 staged rows [lo, hi): inserted, updated counts */
	char *max_row_sql;
	char *row_sql;      /* $1 row: its values as text */
	char *drop_row_sql; /* $1 row, $2 $3 window: its old version in the target */
	char *unstage_sql;  /* $1 row */
	char *src_keys;     /* the key in the source: columns or expressions */
	char *index_name;   /* the target's unique index on the key */
} merge_plan;

/* merge_plan_build: checks that p's key is backed by a unique index
 * (p->key_index, found by plan.c), builds the merge SQL into p->merge (owned
 * by p, freed by plan_release) and points p->copy_sql at the staging table.
 * Logs and returns false when the key does not qualify (a configuration
 * error). */
bool merge_plan_build(table_plan *p) MUSTCHECK;
void merge_plan_free(merge_plan *m);

#endif
