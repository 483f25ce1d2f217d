/*
 * session.h: what every command that talks to databases starts with: the
 * configuration, the connections to the source and the target, the check of
 * etlre's tables and the tables' plans. session_open and session_plans are
 * the one prologue of process, retry, work and verify; they return the exit
 * status to use when they cannot (2 for configuration, 4 when a server
 * cannot be reached or is lost on the way), having logged why.
 */
#ifndef ETLRE_SESSION_H
#define ETLRE_SESSION_H

#include <stdbool.h>

#include "chunk.h"
#include "config.h"
#include "plan.h"
#include "privileges.h"
#include "range_args.h"
#include "source_mariadb.h"
#include "target_pg.h"

typedef struct session {
	config cfg;
	bool cfg_loaded;
	mariadb_url url;
	src_conn *src;   /* NULL unless asked for */
	tgt_conn *tgt;
	int timeout;     /* the statement timeout the connections were made with */
	priv_need grants; /* what session_plans checks the target role holds */
	bool grants_ledger; /* ... on etlre's tables too */
	table_plan *plans; /* session_plans: one per table wanted, in config order */
	int nplans;
} session;

/* What a command needs before it can work: session_open does it in this
 * order, stopping at the first failure. */
typedef struct session_needs {
	const range_args *range; /* its length (max_range_days) and --table names
				  * are checked; NULL: no range */
	bool source;             /* connect the source too (the target always) */
	bool ledger;             /* etlre's tables must be at this version */
	priv_need grants;        /* with ledger (or a dry run): the target grants
				  * session_plans checks for the plans (README
				  * "Security") */
	int timeout;             /* statement timeout of the connections, seconds */
} session_needs;

/* session_open: config, range checks, connections, etlre's version. Returns
 * 0 or the exit status (2, 4), logged; session_close releases *s either way. */
int session_open(session *s, const session_needs *need);
/* session_plans: builds s->plans for the configured tables that want(ctx,
 * name) accepts (every table when want is NULL), then checks the target
 * grants session_open was asked for. Returns 0 or the exit status: 2 for a
 * table that does not fit or a missing grant, 4 when a connection was lost. */
int session_plans(session *s, bool (*want)(void *ctx, const char *table), void *ctx);
/* session_failure_status: the exit status after a failure: 130/143 when a
 * signal came, 4 when a connection was lost, else fallback */
int session_failure_status(session *s, int fallback);
/* session_want_range: a session_plans filter: the tables a range_args asks for */
bool session_want_range(void *range, const char *table);

/* session_load_config: reads the config file config_path (NULL: the usual
 * places, README "Configuration"); 0 or EXIT_CODE_USAGE */
int session_load_config(session *s, const char *config_path);
/* session_check_range: 0, or EXIT_CODE_USAGE (logged) when first..last is
 * longer than the config's max_range_days */
int session_check_range(const session *s, civil_date first, civil_date last);
/* session_connect: connects the target, and the source when need_source;
 * 0, EXIT_CODE_USAGE (bad source url) or EXIT_CODE_UNREACHABLE */
int session_connect(session *s, bool need_source, int statement_timeout);
/* session_connect_all: tries the target and the source, both even when the
 * first cannot be reached; 0 or EXIT_CODE_UNREACHABLE, and s->tgt / s->src
 * NULL for the one that failed, with the error in tgt_err / src_err
 * (etlre check) */
int session_connect_all(session *s, char *tgt_err, char *src_err, size_t errsize);
/* session_connect_with: connects the source, and replaces the target's
 * connection when it was made with another statement timeout (retry and
 * work learn the job's timeout from the target); false if it cannot */
bool session_connect_with(session *s, int statement_timeout) MUSTCHECK;
/* session_open_target: one more connection to the target, as the session's
 * own is made; NULL after logging. The caller owns it (tgt_close). */
tgt_conn *session_open_target(const session *s, int statement_timeout);
/* session_reconnect: replaces dead connections; false if it cannot */
bool session_reconnect(session *s, int statement_timeout);
/* session_reconnect_target: the same for the target alone (the ledger) */
bool session_reconnect_target(session *s, int statement_timeout);
void session_close(session *s);

#endif
