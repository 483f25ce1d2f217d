/*
 * partition.c: checking and creating the range partitions of a target (see
 * partition.h). PostgreSQL shows a partition's bounds only as text
 * (pg_get_expr of relpartbound: FOR VALUES FROM ('...') TO ('...'), MINVALUE,
 * MAXVALUE or DEFAULT), so the coverage query parses that text; the bounds
 * and the window are compared as timestamptz in the session's zone, the
 * [etlre] timezone, the zone of the time column's hours.
 */
#include "partition.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "chunk.h"
#include "log.h"
#include "sqlquote.h"

/* the partitions of table $1 with their bounds as timestamptz (-infinity and
 * infinity for MINVALUE and MAXVALUE; NULL for the DEFAULT partition) */
#define BOUNDS_SQL \
	"(SELECT b," \
	"  CASE WHEN m[1] = 'MINVALUE' THEN '-infinity' ELSE btrim(m[1], '''') END::timestamptz AS lo," \
	"  CASE WHEN m[2] = 'MAXVALUE' THEN 'infinity' ELSE btrim(m[2], '''') END::timestamptz AS hi" \
	"  FROM (SELECT b, regexp_match(b, '^FOR VALUES FROM \\((.*)\\) TO \\((.*)\\)$') AS m" \
	"   FROM (SELECT pg_get_expr(c.relpartbound, c.oid) AS b FROM pg_catalog.pg_inherits i" \
	"    JOIN pg_catalog.pg_class c ON c.oid = i.inhrelid" \
	"    WHERE i.inhparent = to_regclass($1)) x) y) z"

/* whether partitions (or a DEFAULT one) hold all of [$2, $3); and the bounds
 * of the one partition that holds it all, when there is one */
static const char covered_sql[] =
	"SELECT (coalesce(bool_or(b = 'DEFAULT'), false) OR"
	"  coalesce(sum(least(hi, $3::timestamptz) - greatest(lo, $2::timestamptz))"
	"   FILTER (WHERE lo < $3::timestamptz AND hi > $2::timestamptz), interval '0')"
	"  >= $3::timestamptz - $2::timestamptz)::int,"
	" to_char(max(lo) FILTER (WHERE lo <= $2::timestamptz AND hi >= $3::timestamptz),"
	"  'YYYY-MM-DD HH24:MI:SS'),"
	" to_char(min(hi) FILTER (WHERE lo <= $2::timestamptz AND hi >= $3::timestamptz),"
	"  'YYYY-MM-DD HH24:MI:SS')"
	" FROM " BOUNDS_SQL;

/* the range to create for the window [$2, $3): the day [$4, $5) less the
 * partitions on either side of the window */
static const char gap_sql[] =
	"SELECT to_char(greatest($4::timestamptz, max(hi) FILTER (WHERE hi <= $2::timestamptz)),"
	"  'YYYY-MM-DD HH24:MI:SS'),"
	" to_char(least($5::timestamptz, min(lo) FILTER (WHERE lo >= $3::timestamptz)),"
	"  'YYYY-MM-DD HH24:MI:SS')"
	" FROM " BOUNDS_SQL;

typedef struct part_key {
	bool found, range;
	int ncols;
	char *column; /* NULL for an expression */
} part_key;

/* part_key_row: the partition key's strategy, column count and first column */
static bool part_key_row(void *ctx, int ncols, char **v)
{
	part_key *k = ctx;

	(void)ncols;
	k->found = true;
	k->range = v[0] && strcmp(v[0], "r") == 0;
	k->ncols = v[1] ? atoi(v[1]) : 0;
	k->column = v[2] ? xstrdup(v[2]) : NULL;
	return true;
}

bool partition_plan(tgt_conn *tgt, table_plan *p)
{
	const table_config *t = p->cfg;
	part_key k = { 0 };
	strbuf q;
	bool ok;

	sb_init(&q, 128);
	quote_pg_ident(&q, t->target);
	const char *params[] = { q.buf };
	ok = tgt_query(tgt,
		       "SELECT pt.partstrat, pt.partnatts, a.attname FROM pg_catalog.pg_partitioned_table pt"
		       " LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = pt.partrelid"
		       "  AND a.attnum = pt.partattrs[0]"
		       " WHERE pt.partrelid = to_regclass($1)",
		       1, params, part_key_row, &k);
	sb_release(&q);
	p->partitioned = ok && k.found;
	p->range_partitioned = ok && k.range && k.ncols == 1 && k.column &&
			       strcasecmp(k.column, p->cols[p->time_idx].name) == 0;
	free(k.column);
	if (!ok || !t->partitions || p->range_partitioned)
		return ok;
	log_error("[table %s] partitions = %s needs the target %s partitioned by range on its time "
		  "column alone (PARTITION BY RANGE (%s)); %s",
		  t->name, t->partitions == PARTITIONS_DAILY ? "daily" : "monthly", t->target,
		  p->cols[p->time_idx].name,
		  k.found ? "it is partitioned otherwise" : "it is not partitioned: etlre init --create-tables creates it so");
	return false;
}

/* the partition that held the last window checked, in this process: a
 * window inside it needs no query (see partition_ready) */
static struct {
	const table_plan *p;
	int64_t lo, hi; /* hours */
} held;

typedef struct coverage {
	bool yes;
	char lo[32], hi[32]; /* the one partition holding the window; "" none */
} coverage;

/* coverage_row: the row of covered_sql */
static bool coverage_row(void *ctx, int ncols, char **v)
{
	coverage *c = ctx;

	(void)ncols;
	c->yes = v[0] && strcmp(v[0], "1") == 0;
	snprintf(c->lo, sizeof(c->lo), "%s", v[1] ? v[1] : "");
	snprintf(c->hi, sizeof(c->hi), "%s", v[2] ? v[2] : "");
	return true;
}

/* covered_by: whether partitions hold [from, to), with the bounds of the one
 * partition that holds it all in *c */
static bool covered_by(tgt_conn *tgt, const table_plan *p, const char *from, const char *to,
		       coverage *c)
{
	strbuf q;
	bool ok;

	memset(c, 0, sizeof(*c));
	sb_init(&q, 128);
	quote_pg_ident(&q, p->cfg->target);
	const char *params[] = { q.buf, from, to };
	ok = tgt_query(tgt, covered_sql, 3, params, coverage_row, c);
	sb_release(&q);
	return ok;
}

/* covered: whether partitions hold [from, to) */
static bool covered(tgt_conn *tgt, const table_plan *p, const char *from, const char *to,
		    bool *yes)
{
	coverage c;
	bool ok = covered_by(tgt, p, from, to, &c);

	*yes = c.yes;
	return ok;
}

/* step_of: the daily (or monthly) partition holding hour h: its bounds as
 * "YYYY-MM-DD 00:00:00" and the name suffix _pYYYYMMDD (_pYYYYMM) */
static void step_of(partition_step step, int64_t h, char lo[20], char hi[20], char suffix[24])
{
	civil_date d = days_to_date(h / 24), e;
	int64_t first = date_to_days(d);

	if (step == PARTITIONS_MONTHLY) {
		first -= d.day - 1;
		e = days_to_date(first + days_in_month(d.year, d.month));
		snprintf(suffix, 24, "_p%04d%02d", d.year, d.month);
	} else {
		e = days_to_date(first + 1);
		snprintf(suffix, 24, "_p%04d%02d%02d", d.year, d.month, d.day);
	}
	hour_format_sql(first * 24, lo);
	hour_format_sql(date_to_days(e) * 24, hi);
}

/* create_sql: CREATE TABLE target_pSUFFIX PARTITION OF target FOR VALUES
 * FROM (lo) TO (hi); a new string */
static char *create_sql(const char *target, const char *lo, const char *hi, const char *suffix)
{
	strbuf sb;
	size_t room = 63 - strlen(suffix); /* PostgreSQL's name limit */
	const char *dot = strchr(target, '.');
	const char *table = dot ? dot + 1 : target;
	char *name = xasprintf("%.*s%.*s%s", dot ? (int)(dot - target + 1) : 0, target,
			       (int)(strlen(table) < room ? strlen(table) : room), table, suffix);

	sb_init(&sb, 256);
	sb_adds(&sb, "CREATE TABLE ");
	quote_pg_ident(&sb, name);
	sb_adds(&sb, " PARTITION OF ");
	quote_pg_ident(&sb, target);
	sb_adds(&sb, " FOR VALUES FROM (");
	quote_pg_literal(&sb, lo);
	sb_adds(&sb, ") TO (");
	quote_pg_literal(&sb, hi);
	sb_addc(&sb, ')');
	free(name);
	return sb_detach(&sb);
}

typedef struct gap {
	char lo[32], hi[32];
} gap;

/* gap_row: the bounds of the range to create, as text */
static bool gap_row(void *ctx, int ncols, char **v)
{
	gap *g = ctx;

	(void)ncols;
	snprintf(g->lo, sizeof(g->lo), "%s", v[0] ? v[0] : "");
	snprintf(g->hi, sizeof(g->hi), "%s", v[1] ? v[1] : "");
	return true;
}

/* gap_create_sql: the CREATE TABLE of the partition for the uncovered window
 * [h0, h1) inside its daily or monthly step: the step less the partitions on
 * either side of the window; a new string, or NULL (logged) */
static char *gap_create_sql(tgt_conn *tgt, const table_plan *p, partition_step step, int64_t h0,
			    int64_t h1)
{
	char from[20], to[20], lo[20], hi[20], suffix[24];
	gap g = { "", "" };
	strbuf q;
	bool ok;

	hour_format_sql(h0, from);
	hour_format_sql(h1, to);
	step_of(step, h0, lo, hi, suffix);
	sb_init(&q, 128);
	quote_pg_ident(&q, p->cfg->target);
	const char *params[] = { q.buf, from, to, lo, hi };
	ok = tgt_query(tgt, gap_sql, 5, params, gap_row, &g);
	sb_release(&q);
	if (!ok)
		return NULL;
	if (g.lo[0] && strcmp(g.lo, lo) != 0) {
		/* a part of the step: named after where it starts, _pYYYYMMDDHHMMSS */
		char *d = suffix + 2;
		for (const char *c = g.lo; *c && d < suffix + 16; c++)
			if (*c >= '0' && *c <= '9')
				*d++ = *c;
		*d = '\0';
	}
	return create_sql(p->cfg->target, g.lo[0] ? g.lo : lo, g.hi[0] ? g.hi : hi, suffix);
}

/* create_missing: creates, step by step (a day or a month), the partitions
 * the window [h0, h1) lacks, under a lock on the table so that two workers
 * never race to create the same one */
static bool create_missing(tgt_conn *tgt, const table_plan *p, int64_t h0, int64_t h1)
{
	const char *lock[] = { p->lock_key };

	if (!tgt_exec(tgt, "SELECT pg_advisory_xact_lock(hashtext($1 || ':partitions'))", 1, lock,
		      NULL))
		return false;
	for (int64_t h = h0; h < h1;) {
		char lo[20], hi[20], from[20], to[20], suffix[24];
		int64_t next;
		bool yes;
		char *sql;

		step_of(p->cfg->partitions, h, lo, hi, suffix);
		if (!hour_parse(hi, &next))
			return false;
		next = next < h1 ? next : h1;
		hour_format_sql(h, from);
		hour_format_sql(next, to);
		if (!covered(tgt, p, from, to, &yes))
			return false;
		if (!yes) {
			if (!(sql = gap_create_sql(tgt, p, p->cfg->partitions, h, next)))
				return false;
			bool ok = tgt_exec(tgt, sql, 0, NULL, NULL);
			if (ok)
				log_info("table %s: %s", p->cfg->name, sql);
			free(sql);
			if (!ok)
				return false;
		}
		h = next;
	}
	return true;
}

/* missing_message: the configuration problem of a window that no partition
 * holds, with a statement that creates the uncovered part of its day; a new
 * string, or NULL when the target cannot be asked (logged) */
static char *missing_message(tgt_conn *tgt, const table_plan *p, window w, const char *from,
			     const char *to)
{
	char *sql = gap_create_sql(tgt, p, PARTITIONS_DAILY, w.start_hour, w.start_hour + w.hours);
	char *msg;

	if (!sql)
		return NULL;
	msg = xasprintf("configuration: no partition of %s holds %s .. %s (no row was loaded or "
			"rejected); create one, e.g. %s, or set partitions = daily (or monthly) in "
			"[table %s]",
			p->cfg->target, from, to, sql, p->cfg->name);
	free(sql);
	return msg;
}

bool partition_ready(tgt_conn *tgt, const table_plan *p, window w, char **why)
{
	char from[20], to[20];
	bool yes;

	*why = NULL;
	if (!p->range_partitioned)
		return true;
	if (held.p == p && w.start_hour >= held.lo && w.start_hour + w.hours <= held.hi)
		return true;
	hour_format_sql(w.start_hour, from);
	hour_format_sql(w.start_hour + w.hours, to);
	coverage c;
	if (!covered_by(tgt, p, from, to, &c))
		return false;
	if (c.yes) {
		/* a committed partition holds it (one created in this transaction
		 * never is remembered: a dry run or a failure rolls it back); the
		 * catalog query costs about 0.2 ms per partition, so once a
		 * partition is known its hours are not asked again */
		if (hour_parse(c.lo, &held.lo) && hour_parse(c.hi, &held.hi))
			held.p = p;
		return true;
	}
	if (!p->cfg->partitions) {
		*why = missing_message(tgt, p, w, from, to);
		return false;
	}
	if (!create_missing(tgt, p, w.start_hour, w.start_hour + w.hours) ||
	    !covered(tgt, p, from, to, &yes))
		return false;
	if (!yes)
		*why = xasprintf("configuration: the partitions of %s still do not hold %s .. %s "
				 "after etlre created the missing ones; see the partitions' bounds",
				 p->cfg->target, from, to);
	return yes;
}
