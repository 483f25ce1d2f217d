/*
 * session.c: configuration and connections shared by the commands.
 */
#include "session.h"

#include <stdlib.h>
#include <string.h>

#include "exitcode.h"
#include "log.h"

int session_load_config(session *s, const global_opts *g)
{
	char *path;
	char err[256];

	memset(s, 0, sizeof(*s));
	path = config_find_path(g->config);
	if (!path)
		return EXIT_CODE_USAGE;
	s->cfg_loaded = true; /* a half-filled config is released the same way */
	if (!config_load(path, &s->cfg)) {
		free(path);
		return EXIT_CODE_USAGE;
	}
	free(path);
	if (!mariadb_url_parse(s->cfg.source_url, &s->url, err, sizeof(err))) {
		log_error("%s: %s", s->cfg.path, err);
		return EXIT_CODE_USAGE;
	}
	return 0;
}

static bool connect_source(session *s, int statement_timeout)
{
	src_options so = { s->cfg.connect_timeout, statement_timeout, s->cfg.timezone };
	s->src = src_connect(&s->url, &so);
	return s->src != NULL;
}

static bool connect_target(session *s, int statement_timeout)
{
	tgt_options to = { s->cfg.connect_timeout, statement_timeout, s->cfg.timezone };
	s->tgt = tgt_connect(s->cfg.target_url, &to);
	return s->tgt != NULL;
}

int session_connect(session *s, bool need_source, int statement_timeout)
{
	if (!connect_target(s, statement_timeout))
		return EXIT_CODE_UNREACHABLE;
	if (need_source && !connect_source(s, statement_timeout))
		return EXIT_CODE_UNREACHABLE;
	return 0;
}

bool session_reconnect(session *s, int statement_timeout)
{
	bool ok = true;

	if (s->tgt && !tgt_alive(s->tgt)) {
		log_warn("the target connection is lost; reconnecting");
		tgt_close(s->tgt);
		s->tgt = NULL;
	}
	if (!s->tgt)
		ok = connect_target(s, statement_timeout);
	if (s->src && !src_alive(s->src)) {
		log_warn("the source connection is lost; reconnecting");
		src_close(s->src);
		s->src = NULL;
	}
	if (!s->src)
		ok = connect_source(s, statement_timeout) && ok;
	return ok;
}

void session_close(session *s)
{
	src_close(s->src);
	tgt_close(s->tgt);
	if (s->cfg_loaded)
		config_release(&s->cfg);
	mariadb_url_release(&s->url);
	memset(s, 0, sizeof(*s));
}
