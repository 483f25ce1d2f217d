/*
 * verify.c: source and target compared hour by hour (see verify.h).
 *
 * Per table: the range's hours are slots; three queries fill them (source
 * counts, target counts, rejected rows of the last loads), or with --deep
 * the counts and checksums come from both sides' rows streamed and hashed
 * here (verify_stream.c); then each hour is judged, and with --deep an hour
 * whose counts or checksums differ is compared key by key. Key and row texts are
 * canonical (canon.h), so the two databases' type systems, collations and
 * output formats do not matter: keys are compared as bytes, here.
 *
 * The key-by-key comparison of a differing hour is verify_keys.c's.
 * The queries on etlre.loaded_hours and etlre.rejects are read-only and
 * belong with ledger.c; they are here until ledger.c offers them.
 */
#include "verify.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "canon.h"
#include "log.h"
#include "signals.h"
#include "sqlquote.h"
#include "typemap.h"
#include "verify_ctx.h"


static const char *const status_names[] = { "ok", "missing", "extra", "changed" };
static const char *const diff_names[] = { "missing", "extra", "changed" };

const char *verify_status_name(verify_status s)
{
	return status_names[s];
}

const char *key_diff_name(key_diff d)
{
	return diff_names[d];
}

void verify_result_init(verify_result *r, int ntables)
{
	memset(r, 0, sizeof(*r));
	r->ntables = ntables;
	r->tables = xcalloc((size_t)(ntables > 0 ? ntables : 1), sizeof(*r->tables));
}

static void hour_release(verify_hour *h)
{
	for (int k = 0; k < h->nkeys; k++) {
		free(h->keys[k].key);
		str_list_free(h->keys[k].columns, h->keys[k].ncolumns);
	}
	free(h->keys);
	h->keys = NULL;
	h->nkeys = 0;
}

void verify_result_release(verify_result *r)
{
	for (int i = 0; i < r->nhours; i++)
		hour_release(&r->hours[i]);
	free(r->hours);
	free(r->tables);
	memset(r, 0, sizeof(*r));
}

bool verify_differs(const verify_result *r)
{
	return r->nhours > 0;
}

static bool text_row(void *ctx, int ncols, char **v)
{
	(void)ncols;
	snprintf(ctx, 64, "%s", v[0] ? v[0] : "");
	return true;
}

bool verify_deep_supported(tgt_conn *tgt)
{
	char enc[64] = "";

	if (!tgt_query(tgt, "SELECT current_setting('server_encoding')", 0, NULL, text_row, enc))
		return false;
	if (strcmp(enc, "UTF8") != 0) {
		log_error("--deep compares text as UTF-8 bytes, but the target database's encoding is "
			  "%s; use a UTF8 database or verify without --deep",
			  enc);
		return false;
	}
	return true;
}

/* ---- slots ---- */

static hour_slot *slot_of(vctx *x, const char *hour_text)
{
	int64_t h;

	if (!hour_text || !hour_parse(hour_text, &h) || h < x->first_hour ||
	    h >= x->first_hour + x->nhours)
		return NULL;
	return &x->slots[h - x->first_hour];
}

/* count_row: a row of an hour and its count (the source's or the target's)
 * into that hour's slot */
static void count_row(vctx *x, char **row, bool source)
{
	hour_slot *s = slot_of(x, row[0]);

	if (s)
		*(source ? &s->src_rows : &s->tgt_rows) = field_int64(row[1]);
}

static bool source_count_row(void *ctx, unsigned int ncols, char **row, unsigned long *lens)
{
	(void)ncols;
	(void)lens;
	count_row(ctx, row, true);
	return true;
}

static bool target_count_row(void *ctx, int ncols, char **v)
{
	(void)ncols;
	count_row(ctx, v, false);
	return true;
}

static bool rejected_row(void *ctx, int ncols, char **v)
{
	vctx *x = ctx;
	hour_slot *s = slot_of(x, v[0]);

	(void)ncols;
	if (!s)
		return true;
	if (!v[1] || !hour_parse(v[1], &s->load_start))
		s->load_start = -1;
	s->rejected = field_int64(v[2]);
	return true;
}

/* source_sql: prefix restricted to the source rows of hours [from_hour, to_hour) */
char *verify_source_sql(const vctx *x, const char *prefix, int64_t from_hour, int64_t to_hour)
{
	char from[20], to[20];

	hour_format_sql(from_hour, from);
	hour_format_sql(to_hour, to);
	return plan_source_sql(x->p, prefix, from, to);
}

void verify_add_target_where(const vctx *x, strbuf *sb)
{
	const char *t = x->pg_exprs[x->p->time_idx];
	sb_addf(sb, " FROM ");
	quote_pg_ident(sb, x->p->cfg->target);
	sb_addf(sb, " WHERE %s >= $1 AND %s < $2", t, t);
}

static bool count_source(vctx *x)
{
	strbuf q;
	char *sql;
	bool ok;

	sb_init(&q, 4096);
	sb_adds(&q, "SELECT DATE_FORMAT(");
	sb_adds(&q, x->p->source_time_col);
	sb_adds(&q, ", '%Y-%m-%d %H:00:00'), COUNT(*)");
	sb_adds(&q, " FROM ");
	quote_my_ident(&q, x->p->cfg->source);
	sql = verify_source_sql(x, q.buf, x->first_hour, x->first_hour + x->nhours);
	sb_reset(&q);
	sb_adds(&q, sql);
	sb_adds(&q, " GROUP BY 1 ORDER BY NULL"); /* 168 groups: no filesort */
	free(sql);
	ok = src_query(x->src, q.buf, source_count_row, x);
	sb_release(&q);
	return ok;
}

/* count_target_send: starts the target's grouped query, which runs while
 * the source counts; tgt_query_finish with target_count_row collects it */
static bool count_target_send(vctx *x)
{
	strbuf q;
	char from[20], to[20];
	const char *params[] = { from, to };
	bool ok;

	hour_format_sql(x->first_hour, from);
	hour_format_sql(x->first_hour + x->nhours, to);
	sb_init(&q, 4096);
	sb_addf(&q, "SELECT to_char(%s, 'YYYY-MM-DD HH24:00:00'), count(*)",
		x->pg_exprs[x->p->time_idx]);
	verify_add_target_where(x, &q);
	sb_adds(&q, " GROUP BY 1");
	ok = tgt_query_send(x->tgt, q.buf, 2, params);
	sb_release(&q);
	return ok;
}

/*
 * count_rejected: per hour, the rows rejected by its last load: the load
 * whose window covers the hour, newest first. An hourly load's count is its
 * own; a daily load's rejects are split by the hour of their time column
 * (from the raw values kept in etlre.rejects). Windows are at most a day.
 */
static bool count_rejected(vctx *x)
{
	strbuf q;
	char from[20], to[20];
	const char *params[] = { x->p->cfg->name, from, to, x->p->cols[x->p->time_idx].name };
	bool ok;

	hour_format_sql(x->first_hour, from);
	hour_format_sql(x->first_hour + x->nhours, to);
	sb_init(&q, 1024);
	sb_adds(&q, "SELECT to_char(x.h, 'YYYY-MM-DD HH24:00:00'), to_char(x.start, 'YYYY-MM-DD HH24:00:00'),"
		    " CASE WHEN x.window_hours = 1 THEN x.rows_rejected ELSE"
		    " (SELECT count(*) FROM ");
	quote_pg_ident(&q, x->o->schema);
	sb_adds(&q, ".rejects r WHERE r.table_name = $1 AND r.hour = x.start"
		    " AND left(coalesce(r.raw->>$4, '') || ' 00', 13) = to_char(x.h, 'YYYY-MM-DD HH24'))"
		    " END"
		    " FROM (SELECT DISTINCT ON (g.h) g.h, l.hour AS start, l.window_hours, l.rows_rejected"
		    " FROM ");
	quote_pg_ident(&q, x->o->schema);
	sb_adds(&q, ".loaded_hours l, generate_series(l.hour, l.hour + (l.window_hours - 1) *"
		    " interval '1 hour', interval '1 hour') AS g(h)"
		    " WHERE l.table_name = $1 AND l.hour > $2::timestamp - interval '1 day'"
		    " AND l.hour < $3::timestamp AND g.h >= $2::timestamp AND g.h < $3::timestamp"
		    " ORDER BY g.h, l.loaded_at DESC) x");
	ok = tgt_query(x->tgt, q.buf, 4, params, rejected_row, x);
	sb_release(&q);
	return ok;
}

/* ---- a table ---- */

static void vctx_release(vctx *x)
{
	str_list_free(x->my_exprs, x->p->ncols);
	str_list_free(x->pg_exprs, x->p->ncols);
	free(x->cmp);
	free(x->cc);
	free(x->key_names);
	free(x->slots);
}

/* plan_canon: how each compared column's canonical text is made: here, or
 * (logged at debug with the reason) by each server's SQL (README "verify") */
static void plan_canon(vctx *x)
{
	x->cc = xcalloc((size_t)x->ncmp, sizeof(*x->cc));
	for (int i = 0; i < x->ncmp; i++) {
		const column_spec *c = &x->p->cols[x->cmp[i]];
		const char *why;

		if (!canon_c_plan(c, &x->cc[i], &why))
			log_debug("table %s: --deep: the servers make column %s's canonical text "
				  "(%s): %s",
				  x->p->cfg->name, c->name, c->type_name, why);
	}
}

static void vctx_init(vctx *x, src_conn *src, tgt_conn *tgt, const table_plan *p,
		      const verify_options *o, verify_table *vt)
{
	memset(x, 0, sizeof(*x));
	x->src = src;
	x->tgt = tgt;
	x->p = p;
	x->o = o;
	x->first_hour = hour_of_date(o->first);
	x->nhours = hour_of_date(o->last) + 24 - x->first_hour;
	x->slots = xcalloc((size_t)x->nhours, sizeof(*x->slots));
	for (int64_t i = 0; i < x->nhours; i++)
		x->slots[i].load_start = -1;
	x->my_exprs = xcalloc((size_t)p->ncols, sizeof(char *));
	x->pg_exprs = xcalloc((size_t)p->ncols, sizeof(char *));
	x->cmp = xcalloc((size_t)p->ncols, sizeof(int));
	for (int i = 0; i < p->ncols; i++) {
		strbuf sb;
		int e = config_find_expr(p->cfg, p->cols[i].name);

		sb_init(&sb, 64);
		if (e >= 0) {
			sb_addf(&sb, "(%s)", p->cfg->exprs[e].expr);
		} else {
			/* read as the load reads it (typemap.c) */
			strbuf id;
			sb_init(&id, 64);
			quote_my_ident(&id, p->cols[i].name);
			typemap_select_expr(&sb, &p->cols[i], id.buf);
			sb_release(&id);
		}
		x->my_exprs[i] = sb_detach(&sb);
		sb_init(&sb, 64);
		quote_pg_ident(&sb, p->cols[i].name);
		x->pg_exprs[i] = sb_detach(&sb);
		if (canon_comparable(&p->cols[i])) {
			x->cmp[x->ncmp++] = i;
		} else if (o->deep) {
			log_warn("table %s: --deep does not compare column %s (%s): PostgreSQL "
				 "normalises its values",
				 p->cfg->name, p->cols[i].name, p->cols[i].type_name);
			vt->deep_skipped++;
		}
	}
	x->key_names = xcalloc((size_t)p->nkey, sizeof(char *));
	for (int i = 0; i < p->nkey; i++)
		x->key_names[i] = p->cols[p->key_idx[i]].name;
	x->deep = o->deep && x->ncmp > 0;
	if (x->deep)
		plan_canon(x);
}

bool verify_compare_table(src_conn *src, tgt_conn *tgt, const table_plan *p,
			  const verify_options *o, int table, verify_result *r)
{
	verify_table *vt = &r->tables[table];
	vctx x;
	bool ok;
	double t0 = now_monotonic();

	vt->name = p->cfg->name;
	vctx_init(&x, src, tgt, p, o, vt);
	if (x.deep) {
		ok = verify_stream_counts(&x);
	} else {
		ok = count_target_send(&x);
		if (ok) { /* the source query runs while the target's does */
			bool src_ok = count_source(&x);
			ok = tgt_query_finish(x.tgt, target_count_row, &x) && src_ok;
		}
	}
	ok = ok && count_rejected(&x);
	for (int64_t i = 0; ok && i < x.nhours; i++) {
		const hour_slot *s = &x.slots[i];
		verify_hour h;

		memset(&h, 0, sizeof(h));
		h.table = table;
		h.hour = x.first_hour + i;
		h.source_rows = s->src_rows;
		h.target_rows = s->tgt_rows;
		h.rejected_rows = s->rejected;
		if (s->tgt_rows + s->rejected < s->src_rows)
			h.status = VERIFY_MISSING;
		else if (s->tgt_rows + s->rejected > s->src_rows)
			h.status = VERIFY_EXTRA;
		if (x.deep && (s->src_rows != s->tgt_rows || strcmp(s->src_sum, s->tgt_sum) != 0)) {
			if (signals_caught() || !verify_compare_keys(&x, s, &h)) {
				hour_release(&h);
				ok = false;
				break;
			}
			if (h.status == VERIFY_OK && h.keys_total > 0)
				h.status = VERIFY_CHANGED;
			if (h.keys_total == 0 && s->rejected == 0 &&
			    s->src_rows == s->tgt_rows)
				log_warn("table %s: hour %" PRId64 ": the checksums differ but no key "
					 "does (rows changed meanwhile, or a canonical text etlre "
					 "makes differently from the servers' SQL)",
					 p->cfg->name, h.hour);

		}
		vt->hours++;
		vt->source_rows += s->src_rows;
		vt->target_rows += s->tgt_rows;
		vt->rejected_rows += s->rejected;
		if (h.status == VERIFY_OK) {
			hour_release(&h);
			continue;
		}
		vt->hours_missing += h.status == VERIFY_MISSING;
		vt->hours_extra += h.status == VERIFY_EXTRA;
		vt->hours_changed += h.status == VERIFY_CHANGED;
		*ARRAY_PUSH(r->hours, r->nhours, r->hours_cap) = h;
	}
	if (ok)
		log_info("table %s: %d hours verified%s in %.2fs: %d missing, %d extra, %d changed",
			 p->cfg->name, vt->hours, x.deep ? " with content" : "",
			 now_monotonic() - t0, vt->hours_missing, vt->hours_extra, vt->hours_changed);
	vctx_release(&x);
	return ok;
}
