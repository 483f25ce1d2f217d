/*
 * ledger_sql.h: the statement helpers shared by ledger.c, ledger_hours.c,
 * ledger_jobs.c and ledger_rejects.c; no other file includes it (the rest of
 * etlre goes through ledger.h).
 */
#ifndef ETLRE_LEDGER_SQL_H
#define ETLRE_LEDGER_SQL_H

#include <stdbool.h>
#include <stdint.h>

#include "target_pg.h"

/* ledger_run_sql: tmpl with @S the quoted schema, run with its n params;
 * each row goes to fn when fn is set. False when it failed (target_pg.c
 * logged why). */
bool ledger_run_sql(tgt_conn *c, const char *schema, const char *tmpl, int n,
		    const char *const *params, tgt_row_fn fn, void *ctx) MUSTCHECK;
/* ledger_run_sql_int64: as ledger_run_sql, for a query that answers one number */
bool ledger_run_sql_int64(tgt_conn *c, const char *schema, const char *tmpl, int n,
			  const char *const *params, int64_t *out) MUSTCHECK;

/* ledger_run_job_sql: ledger_run_sql with one parameter, $1 the job id */
bool ledger_run_job_sql(tgt_conn *c, const char *schema, const char *tmpl, int64_t job_id,
			tgt_row_fn fn, void *ctx) MUSTCHECK;

#endif
