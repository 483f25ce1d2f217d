/*
 * session.h: what every command that talks to databases starts with: the
 * configuration, and the connections to the source and the target. Returns
 * the exit status to use when it cannot (2 for configuration, 4 when a
 * server cannot be reached), having logged why.
 */
#ifndef ETLRE_SESSION_H
#define ETLRE_SESSION_H

#include <stdbool.h>

#include "chunk.h"
#include "cli.h"
#include "config.h"
#include "source_mariadb.h"
#include "target_pg.h"

typedef struct session {
	config cfg;
	bool cfg_loaded;
	mariadb_url url;
	src_conn *src;   /* NULL unless asked for */
	tgt_conn *tgt;
} session;

/* session_load_config: reads the config named by the global options; 0 or
 * EXIT_CODE_USAGE */
int session_load_config(session *s, const global_opts *g);
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
/* session_reconnect: replaces dead connections; false if it cannot */
bool session_reconnect(session *s, int statement_timeout);
void session_close(session *s);

#endif
