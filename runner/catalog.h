/*
 * catalog.h: the columns of a table as the source's information_schema and
 * the target's pg_catalog describe them, read once and kept as plain arrays.
 * plan.c resolves a [table] section against both; ddl.c writes a target
 * table from the source's. Names, types and flags are owned by the
 * catalog_cols and freed by catalog_release.
 */
#ifndef ETLRE_CATALOG_H
#define ETLRE_CATALOG_H

#include <stdbool.h>

#include "source_mariadb.h"
#include "target_pg.h"

typedef struct catalog_cols {
	int n;
	char **name;
	char **type;      /* typname (target) or DATA_TYPE (source; "json" for MariaDB's JSON) */
	char **type_full; /* format_type() (target) or COLUMN_TYPE (source) */
	int *typmod;
	bool *not_null;
	bool *generated;
} catalog_cols;

/* catalog_add: appends one column (copies of the strings) */
void catalog_add(catalog_cols *c, const char *name, const char *type, const char *full, int typmod,
		 bool not_null, bool generated);
void catalog_release(catalog_cols *c);
/* catalog_find: index of the column called name (case-insensitive), or -1 */
int catalog_find(const catalog_cols *c, const char *name);

/* catalog_target_exists: whether the target table (or view) exists; logs
 * and returns false on a query error */
bool catalog_target_exists(tgt_conn *tgt, const char *target, bool *exists) MUSTCHECK;
/* catalog_read_target: the target table's columns in order; none (and true)
 * when the table does not exist. Logs and returns false on a query error. */
bool catalog_read_target(tgt_conn *tgt, const char *target, catalog_cols *out) MUSTCHECK;
/* catalog_read_source: the source table's columns in order; none (and true)
 * when it does not exist. A LONGTEXT that MariaDB checks with json_valid (its
 * JSON type) gets the type "json". */
bool catalog_read_source(src_conn *src, const char *source, catalog_cols *out) MUSTCHECK;
/* catalog_read_source_pk: the columns of the source's primary key when it is
 * an InnoDB table (rows stored in key order); none for other engines and views */
bool catalog_read_source_pk(src_conn *src, const char *source, catalog_cols *out) MUSTCHECK;

#endif
