/*
 * plan.h: a table's load plan, resolved against both catalogs before anything
 * is read or written: which target columns are loaded, from which source
 * column or expression, their target types (for validation), where the key
 * and time columns are, and the SQL text used for every window.
 *
 * A configured name that does not exist on either side, or a column etlre
 * cannot load, is a configuration error: plan_build logs it and returns false.
 */
#ifndef ETLRE_PLAN_H
#define ETLRE_PLAN_H

#include <stdbool.h>

#include "config.h"
#include "source_mariadb.h"
#include "target_pg.h"
#include "validate.h"

typedef struct check_rule {
	char *name;    /* check.NAME */
	char *expr;
	int *cols;     /* loaded columns the expression mentions (for error messages) */
	int ncols;
} check_rule;

typedef struct table_plan {
	table_config *cfg;
	int ncols;
	column_spec *cols;   /* loaded target columns, in COPY order */
	int *key_idx;        /* indexes into cols */
	int nkey;
	int time_idx;
	check_rule *checks;  /* evaluated by MariaDB: extra 0/1 columns after cols */
	int nchecks;
	char *source_time_col; /* quoted source time column */
	char *select_sql;    /* SELECT ... FROM source, without WHERE */
	char *source_count_sql;
	/* key-range reads: when the source is an InnoDB table whose primary key
	 * is one integer column, an hour whose keys are dense (their span under
	 * twice its rows) is read by a range of that key, cheaper for MariaDB
	 * than the time index's lookup per row. NULL when not possible. */
	char *source_range_sql; /* SELECT COUNT(*), MIN(pk), MAX(pk), dense FROM source */
	char *source_pk_col;    /* the quoted primary key column */
	char *copy_sql;
	char *delete_sql;    /* $1, $2: window bounds */
	char *target_count_sql;
	char *lock_key;      /* text hashed for the per-hour advisory lock */
	char **con_name;     /* single-column target constraints, and their column */
	int *con_col;        /* (index into cols), to name the column of a refusal */
	int ncon;
	char *key_index;     /* the target's primary key or unique index on exactly the key's
			      * columns (immediate, not partial); NULL when there is none */
	struct merge_plan *merge; /* mode = merge: its SQL (load_merge.c); NULL otherwise */
	struct moved_plan *moved; /* mode = replace with key_index: relocating moved rows
				   * (load_moved.c); NULL otherwise */
	bool partitioned;       /* the target is a partitioned table (partition.c) */
	bool range_partitioned; /* ... by range on the time column alone */
	char *drift;         /* schema drift: the columns one side lacks (README, Types); NULL when none */
} table_plan;

bool plan_build(src_conn *src, tgt_conn *tgt, table_config *t, table_plan *p) MUSTCHECK;
/* plan_add_cols: appends "c1, c2" to sb, each column name quoted for
 * PostgreSQL after prefix ("s." gives "s.c1, s.c2"); the key's columns only
 * with keys_only */
void plan_add_cols(strbuf *sb, const table_plan *p, const char *prefix, bool keys_only);
/* plan_key_note: when the key is not backed by a unique index of the target
 * (key_index NULL) in replace mode, a new sentence saying so and what it
 * means; NULL otherwise. check shows it, process logs it as a warning. */
char *plan_key_note(const table_plan *p);
void plan_release(table_plan *p);
/* plan_constraint_column: the loaded column a single-column constraint is on, or -1 */
int plan_constraint_column(const table_plan *p, const char *constraint);
/* plan_source_sql: prefix (select_sql or source_count_sql) restricted to the
 * source rows with from <= time < to ("YYYY-MM-DD HH:MM:SS"); new string */
char *plan_source_sql(const table_plan *p, const char *prefix, const char *from, const char *to);
/* plan_source_sql_keyrange: the rows' SELECT for the hour read by the primary
 * key range lo..hi (integers from the source); new string */
char *plan_source_sql_keyrange(const table_plan *p, const char *lo, const char *hi,
			       const char *from, const char *to);

#endif
