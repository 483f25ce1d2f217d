/*
 * ddl.h: the target table of a [table] section, written from the source's
 * columns: what `etlre ddl` prints and `etlre init --create-tables` runs
 * (README "etlre ddl"). Each column gets the most faithful PostgreSQL type of
 * the README's "Types" table (typemap_target_type), NOT NULL where the
 * source has it; an expr.* column is typed from the source's result metadata
 * for the expression; the key is the primary key and the time column gets an
 * index. With `partitions = daily|monthly` the table is partitioned by range
 * on the time column (its primary key then includes the time column, as
 * PostgreSQL requires of a partitioned table's unique indexes).
 */
#ifndef ETLRE_DDL_H
#define ETLRE_DDL_H

#include <stdbool.h>

#include "config.h"
#include "source_mariadb.h"
#include "target_pg.h"

/* ddl_statements: the statements (without a final ';') that create t's
 * target: CREATE SCHEMA IF NOT EXISTS when the target names a schema, CREATE
 * TABLE, CREATE INDEX. Returns how many, with *out a new list (free with
 * str_list_free), or -1 after logging a configuration error (a missing
 * source, a column of an unmapped type, a key or time column not loaded). */
int ddl_statements(src_conn *src, const table_config *t, char ***out);

/* ddl_create_missing: creates, in one target transaction, the target tables
 * of cfg that do not exist (with their schemas), leaving existing ones alone;
 * appends one line per table to report ("created ..." or "exists ...").
 * Returns false after logging (nothing is created then); *config_error
 * tells a configuration error (exit 2) from a failure of the target. */
bool ddl_create_missing(src_conn *src, tgt_conn *tgt, config *cfg, strbuf *report,
			bool *config_error) MUSTCHECK;

#endif
