/*
 * session.c: configuration and connections shared by the commands.
 */
#include "session.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chunk.h"
#include "cli.h"
#include "exitcode.h"
#include "ledger.h"
#include "log.h"
#include "metrics.h"
#include "secrets.h"
#include "signals.h"

/* config_holds_password: whether the urls written in the config file itself
 * (not the environment's) carry a password */
static bool config_holds_password(const config *cfg)
{
	bool in_source = false;
	mariadb_url u;
	char err[256];

	if (cfg->file_source_url && mariadb_url_parse(cfg->file_source_url, &u, err, sizeof(err))) {
		in_source = u.password_in_url;
		mariadb_url_release(&u);
	}
	return in_source || (cfg->file_target_url && tgt_conninfo_has_password(cfg->file_target_url));
}

/* tls_files_readable: whether the source url's certificate and key files can
 * be read; false after logging the one that cannot, and why */
static bool tls_files_readable(const mariadb_url *u, const char *cfg_path)
{
	const char *names[] = { "sslrootcert", "sslcert", "sslkey" };
	const char *paths[] = { u->sslrootcert, u->sslcert, u->sslkey };

	for (size_t i = 0; i < ARRAY_SIZE(paths); i++) {
		FILE *f = paths[i] ? fopen(paths[i], "r") : NULL;
		if (paths[i] && !f) {
			log_error("%s: source url: cannot read %s '%s': %s", cfg_path, names[i],
				  paths[i], strerror(errno));
			return false;
		}
		if (f)
			fclose(f);
	}
	return true;
}

int session_load_config(session *s, const char *config_path)
{
	char *path;
	char err[256];

	memset(s, 0, sizeof(*s));
	path = config_find_path(config_path);
	if (!path)
		return EXIT_CODE_USAGE;
	s->cfg_loaded = true; /* a half-filled config is released the same way */
	if (!config_load(path, &s->cfg)) {
		free(path);
		return EXIT_CODE_USAGE;
	}
	free(path);
	if (!zone_set(s->cfg.timezone)) /* before any value is read */
		return EXIT_CODE_USAGE;
	if (!mariadb_url_parse(s->cfg.source_url, &s->url, err, sizeof(err))) {
		log_error("%s: %s", s->cfg.path, err);
		return EXIT_CODE_USAGE;
	}
	if (!tgt_conninfo_check(s->cfg.target_url, err, sizeof(err))) {
		log_error("%s: target url: %s", s->cfg.path, err);
		return EXIT_CODE_USAGE;
	}
	secrets_check_config_mode(&s->cfg, config_holds_password(&s->cfg));
	if (!secrets_source_password(&s->url, &s->cfg) || !tls_files_readable(&s->url, s->cfg.path))
		return EXIT_CODE_USAGE;
	return 0;
}

int session_check_range(const session *s, civil_date first, civil_date last)
{
	int64_t days = date_to_days(last) - date_to_days(first) + 1;
	char a[11], b[11];

	if (days <= s->cfg.max_range_days)
		return 0;
	date_format(first, a);
	date_format(last, b);
	log_error("the range %s .. %s is %lld days, more than max_range_days = %d ([etlre] in %s); "
		  "split it, or raise max_range_days", a, b, (long long)days, s->cfg.max_range_days,
		  s->cfg.path);
	return EXIT_CODE_USAGE;
}

/* io_timeout: how long a server may stay silent: --timeout plus a grace,
 * else the config's network_timeout (README "Timeouts") */
static int io_timeout(const session *s, int statement_timeout)
{
	return statement_timeout > 0 ? statement_timeout + TIMEOUT_GRACE_SECONDS
				     : s->cfg.network_timeout;
}

static bool connect_source(session *s, int statement_timeout)
{
	src_options so = { s->cfg.connect_timeout, statement_timeout, s->cfg.timezone,
			   io_timeout(s, statement_timeout) };
	s->src = src_connect(&s->url, &so);
	return s->src != NULL;
}

tgt_conn *session_open_target(const session *s, int statement_timeout)
{
	int connect_timeout = s->cfg.connect_timeout;

	/* after a stop, a connection only records how the job ended: it gets
	 * the stop's grace, not the full connect_timeout (README "Timeouts") */
	if (signals_caught() && (connect_timeout <= 0 || connect_timeout > STOP_GRACE_SECONDS))
		connect_timeout = STOP_GRACE_SECONDS;
	tgt_options to = { connect_timeout, statement_timeout, s->cfg.timezone,
			   io_timeout(s, statement_timeout) };
	return tgt_connect(s->cfg.target_url, &to);
}

static bool connect_target(session *s, int statement_timeout)
{
	s->tgt = session_open_target(s, statement_timeout);
	return s->tgt != NULL;
}

int session_connect(session *s, bool need_source, int statement_timeout)
{
	s->timeout = statement_timeout;
	if (!connect_target(s, statement_timeout))
		return EXIT_CODE_UNREACHABLE;
	if (need_source && !connect_source(s, statement_timeout))
		return EXIT_CODE_UNREACHABLE;
	return 0;
}

int session_connect_all(session *s, char *tgt_err, char *src_err, size_t errsize)
{
	bool tgt_ok, src_ok;

	tgt_err[0] = src_err[0] = '\0';
	tgt_ok = connect_target(s, 0);
	if (!tgt_ok)
		snprintf(tgt_err, errsize, "%s", log_last_error());
	src_ok = connect_source(s, 0);
	if (!src_ok)
		snprintf(src_err, errsize, "%s", log_last_error());
	return tgt_ok && src_ok ? 0 : EXIT_CODE_UNREACHABLE;
}

bool session_connect_with(session *s, int statement_timeout)
{
	if (s->tgt && s->timeout != statement_timeout) {
		tgt_close(s->tgt);
		s->tgt = NULL;
	}
	s->timeout = statement_timeout;
	return session_reconnect(s, statement_timeout);
}

bool session_reconnect_target(session *s, int statement_timeout)
{
	if (s->tgt && !tgt_alive(s->tgt)) {
		log_warn("the target connection is lost; reconnecting");
		tgt_close(s->tgt);
		s->tgt = NULL;
	}
	return s->tgt || connect_target(s, statement_timeout);
}

bool session_reconnect(session *s, int statement_timeout)
{
	bool ok = session_reconnect_target(s, statement_timeout);

	if (s->src && !src_alive(s->src)) {
		log_warn("the source connection is lost; reconnecting");
		src_close(s->src);
		s->src = NULL;
	}
	if (!s->src)
		ok = connect_source(s, statement_timeout) && ok;
	return ok;
}

/* lost: true when the last error on either connection says it went
 * unanswered (exit 4, README "Exit status") */
static bool lost(session *s)
{
	return (s->tgt &&
		(err_class_is_unanswered(tgt_last_error(s->tgt)->cls) || !tgt_alive(s->tgt))) ||
	       (s->src && err_class_is_unanswered(src_last_error(s->src)->cls));
}

int session_failure_status(session *s, int fallback)
{
	int sig = signals_exit_status();

	if (sig)
		return sig;
	return lost(s) ? EXIT_CODE_UNREACHABLE : fallback;
}

int session_open(session *s, const session_needs *need)
{
	const range_args *r = need->range;
	int rc = session_load_config(s, cli_global()->config);

	if (rc == 0 && r)
		rc = session_check_range(s, r->first, r->last);
	if (rc == 0 && r && !range_args_check_tables(r, &s->cfg))
		rc = EXIT_CODE_USAGE;
	/* a stop before the first connection: nothing to connect for (0 when
	 * none came) */
	if (rc == 0)
		rc = signals_exit_status();
	if (rc == 0)
		rc = session_connect(s, need->source, need->timeout);
	/* a connection that failed while a signal came: the run was interrupted */
	if (rc == EXIT_CODE_UNREACHABLE)
		rc = session_failure_status(s, rc);
	if (rc == 0 && need->ledger && !ledger_check_version(s->tgt, s->cfg.schema))
		rc = session_failure_status(s, EXIT_CODE_USAGE);
	/* after the config's memset */
	s->grants = need->ledger || need->grants == PRIV_DRY_RUN ? need->grants : PRIV_NONE;
	s->grants_ledger = need->ledger;
	return rc;
}

bool session_want_range(void *range, const char *table)
{
	return range_args_wanted(range, table);
}

int session_plans(session *s, bool (*want)(void *ctx, const char *table), void *ctx)
{
	s->plans = xcalloc((size_t)s->cfg.ntables, sizeof(*s->plans));
	for (int i = 0; i < s->cfg.ntables; i++) {
		if (want && !want(ctx, s->cfg.tables[i].name))
			continue;
		if (!plan_build(s->src, s->tgt, &s->cfg.tables[i], &s->plans[s->nplans])) {
			plan_release(&s->plans[s->nplans]);
			if (signals_caught()) /* the statements were cancelled */
				log_warn("interrupted%s while reading table %s's definition; nothing was "
					 "written", signals_max_runtime_reached() ? " (--max-runtime)" : "",
					 s->cfg.tables[i].name);
			return session_failure_status(s, EXIT_CODE_USAGE);
		}
		s->nplans++;
	}
	if (s->grants != PRIV_NONE &&
	    !priv_check_target(s->tgt, s->cfg.schema, s->plans, s->nplans, s->grants,
			       s->grants_ledger))
		return session_failure_status(s, EXIT_CODE_USAGE);
	return 0;
}

/* last_load_row: one row of ledger_last_loads, for a configured table */
static bool last_load_row(void *ctx, int ncols, char **v)
{
	session *s = ctx;

	(void)ncols;
	if (v[0] && v[1] && config_find_table(&s->cfg, v[0]))
		metrics_record_last_success(v[0], strtod(v[1], NULL));
	return true;
}

/* record_last_loads: for --metrics-file, the last successful load of each
 * configured table, read from etlre's ledger while the target is still
 * connected; skipped when it is busy in a transaction or a signal arrived */
static void record_last_loads(session *s)
{
	if (!metrics_wanted() || !s->cfg_loaded || !tgt_idle(s->tgt) || signals_caught())
		return;
	if (!ledger_last_loads(s->tgt, s->cfg.schema, last_load_row, s))
		log_warn("--metrics-file: the last successful loads could not be read; "
			 "etlre_last_success_timestamp_seconds shows this run's only");
}

void session_close(session *s)
{
	record_last_loads(s);
	for (int i = 0; i < s->nplans; i++)
		plan_release(&s->plans[i]);
	free(s->plans);
	src_close(s->src);
	tgt_close(s->tgt);
	if (s->cfg_loaded)
		config_release(&s->cfg);
	mariadb_url_release(&s->url);
	memset(s, 0, sizeof(*s));
}
