/*
 * privileges.h: the target grants a command needs, checked before anything
 * is written (README "Security": least privilege). PostgreSQL says in
 * advance what a role may do (has_table_privilege and friends), so a missing
 * grant is a configuration error naming the object and the privilege, not
 * a failed hour. The source needs only SELECT on its tables, which
 * plan_build finds out by reading them (plan.c).
 */
#ifndef ETLRE_PRIVILEGES_H
#define ETLRE_PRIVILEGES_H

#include <stdbool.h>

#include "plan.h"
#include "target_pg.h"

typedef enum {
	PRIV_NONE = 0, /* not checked */
	PRIV_READ,  /* verify without --repair: SELECT */
	PRIV_WRITE, /* process, retry, work, verify --repair: loads and the ledger */
	PRIV_DRY_RUN, /* --dry-run: the loads' statements (rolled back); the ledger read */
} priv_need;

/* priv_check_target: whether the target role holds what need asks on each
 * plan's table, on etlre's schema and its tables and sequences (when ledger:
 * the command uses them), and (merge) TEMP on the database. Logs each missing
 * grant with the GRANT that gives it; false when one is missing or the check
 * itself fails. */
bool priv_check_target(tgt_conn *tgt, const char *schema, const table_plan *plans, int nplans,
		       priv_need need, bool ledger) MUSTCHECK;

#endif
