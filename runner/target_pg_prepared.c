/*
 * target_pg_prepared.c: the statements a target connection has prepared
 * (see target_pg_int.h).
 *
 * An hour costs a dozen short statements (claim, ledger, window DELETE and
 * count, ...) whose text is the same every hour. Sent unnamed, PostgreSQL
 * parses and plans each one every time, which over a sparse range costs
 * more than running them (README "Performance"). So a statement with
 * parameters is prepared under a name of its own the second time its text
 * is sent on a connection, and sent by name from then on. Texts seen once
 * (those that hold values, the DDL) are never prepared. PostgreSQL's own
 * plan cache decides, per statement, between a plan for the values at hand
 * and a generic one, as for any prepared statement.
 *
 * The names live as long as the connection; a connection that is replaced
 * starts an empty set. Session pooling (not transaction pooling) is needed,
 * as for etlre's session locks (README "Scaling out").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "target_pg_int.h"
#include "util.h"

/* at most this many texts are followed per connection: a statement the
 * cache has no room for is sent unnamed, as before */
#define PREPARED_MAX 256

typedef struct prepared_entry {
	char *sql;      /* owned */
	uint32_t hash;
	int id;         /* the name's number once prepared, else 0 */
	bool refused;   /* the server would not prepare it: always unnamed */
} prepared_entry;

struct tgt_prepared {
	prepared_entry *e;
	int n, cap;
	int next_id;
};

/* text_hash: FNV-1a of s */
static uint32_t text_hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static prepared_entry *find(tgt_prepared *p, const char *sql, uint32_t h)
{
	for (int i = 0; i < p->n; i++)
		if (p->e[i].hash == h && strcmp(p->e[i].sql, sql) == 0)
			return &p->e[i];
	return NULL;
}

/* remember: a new entry for sql, seen once; NULL when the cache is full of
 * prepared statements (an unprepared entry, seen once, gives way) */
static prepared_entry *remember(tgt_prepared *p, const char *sql, uint32_t h)
{
	prepared_entry *e = NULL;

	if (p->n < PREPARED_MAX) {
		e = ARRAY_PUSH(p->e, p->n, p->cap);
	} else {
		for (int i = 0; i < p->n && !e; i++)
			if (p->e[i].id == 0)
				e = &p->e[i];
		if (!e)
			return NULL;
		free(e->sql);
	}
	*e = (prepared_entry){ .sql = xstrdup(sql), .hash = h };
	return e;
}

/* prepare: prepares e's text as "etlre_N" and waits for the answer within
 * the connection's timeout; false when the server refused (said at debug
 * level: the statement is then sent unnamed and any real error shows
 * there) or stayed silent (the connection is then cut off) */
static bool prepare(tgt_conn *c, prepared_entry *e, int nparams, int id)
{
	char name[24];
	PGresult *res;
	bool ok;

	snprintf(name, sizeof(name), "etlre_%d", id);
	c->sent_at = now_monotonic();
	if (!PQsendPrepare(c->pg, name, e->sql, nparams, NULL))
		return false;
	res = await(c, "preparing a statement");
	ok = res && PQresultStatus(res) == PGRES_COMMAND_OK;
	if (!ok && res)
		log_debug("target %s: statement not prepared (%s): %.120s", c->describe,
			  PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY), e->sql);
	PQclear(res);
	return ok;
}

bool tgt_prepared_name(tgt_conn *c, const char *sql, int nparams, char *name, size_t size)
{
	tgt_prepared *p;
	prepared_entry *e;
	uint32_t h;

	if (nparams == 0 || c->cut)
		return false;
	if (!c->prepared)
		c->prepared = xcalloc(1, sizeof(*c->prepared));
	p = c->prepared;
	h = text_hash(sql);
	e = find(p, sql, h);
	if (!e) {
		remember(p, sql, h);
		return false;
	}
	if (e->refused)
		return false;
	if (e->id == 0) {
		/* the second time: worth a name (one round trip, once) */
		if (PQtransactionStatus(c->pg) == PQTRANS_INERROR)
			return false;
		if (!prepare(c, e, nparams, p->next_id + 1)) {
			e->refused = !c->cut;
			return false;
		}
		e->id = ++p->next_id;
		log_debug("target %s: statement etlre_%d prepared: %.80s", c->describe, e->id, e->sql);
	}
	snprintf(name, size, "etlre_%d", e->id);
	return true;
}

void tgt_prepared_free(tgt_prepared *p)
{
	if (!p)
		return;
	for (int i = 0; i < p->n; i++)
		free(p->e[i].sql);
	free(p->e);
	free(p);
}
