/*
 * verify.c: source and target compared hour by hour (see verify.h).
 *
 * Per table: the range's hours are slots; three queries fill them (source
 * counts and checksums, target counts and checksums, rejected rows of the
 * last loads); then each hour is judged, and with --deep an hour whose
 * counts or checksums differ is compared key by key. Key and row texts are
 * canonical (canon.h), so the two databases' type systems, collations and
 * output formats do not matter: keys are compared as bytes, here.
 *
 * The queries on etlre.loaded_hours and etlre.rejects are read-only and
 * belong with ledger.c; they are here until ledger.c offers them.
 */
#include "verify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "canon.h"
#include "log.h"
#include "signals.h"
#include "sqlquote.h"
#include "typemap.h"

/* what one hour of the range holds on each side */
typedef struct hour_slot {
	int64_t src_rows, tgt_rows, rejected;
	int64_t load_start;    /* window start of the hour's last load; -1 if never loaded */
	char src_sum[48], tgt_sum[48]; /* deep: sums of the row slices, "" when no rows */
} hour_slot;

typedef struct vctx {
	src_conn *src;
	tgt_conn *tgt;
	const table_plan *p;
	const verify_options *o;
	int64_t first_hour, nhours;
	hour_slot *slots;
	char **my_exprs;       /* per plan column: its source expression */
	char **pg_exprs;       /* per plan column: its quoted target column */
	int *cmp;              /* the columns --deep compares */
	int ncmp;
	const char **key_names;
	bool deep;
} vctx;

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

/* set_sum: a decimal sum as text, without leading zeros or a fraction */
static void set_sum(char *out, size_t size, const char *v, size_t len)
{
	size_t i = 0, n;

	while (i + 1 < len && v[i] == '0' && v[i + 1] != '.')
		i++;
	n = len - i;
	for (size_t j = i; j < len; j++)
		if (v[j] == '.') {
			n = j - i;
			break;
		}
	snprintf(out, size, "%.*s", (int)n, v + i);
}

static bool source_count_row(void *ctx, unsigned int ncols, char **row, unsigned long *lens)
{
	vctx *x = ctx;
	hour_slot *s = slot_of(x, row[0]);

	if (!s)
		return true;
	s->src_rows = row[1] ? strtoll(row[1], NULL, 10) : 0;
	if (ncols > 2 && row[2])
		set_sum(s->src_sum, sizeof(s->src_sum), row[2], lens[2]);
	return true;
}

static bool target_count_row(void *ctx, int ncols, char **v)
{
	vctx *x = ctx;
	hour_slot *s = slot_of(x, v[0]);

	if (!s)
		return true;
	s->tgt_rows = v[1] ? strtoll(v[1], NULL, 10) : 0;
	if (ncols > 2 && v[2])
		set_sum(s->tgt_sum, sizeof(s->tgt_sum), v[2], strlen(v[2]));
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
	s->rejected = v[2] ? strtoll(v[2], NULL, 10) : 0;
	return true;
}

/* source_sql: prefix restricted to the source rows of hours [from_hour, to_hour) */
static char *source_sql(const vctx *x, const char *prefix, int64_t from_hour, int64_t to_hour)
{
	char from[20], to[20];

	hour_format_sql(from_hour, from);
	hour_format_sql(to_hour, to);
	return plan_source_sql(x->p, prefix, from, to);
}

static void add_target_where(const vctx *x, strbuf *sb)
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
	if (x->deep) {
		sb_adds(&q, ", SUM(");
		canon_row_slice(&q, CANON_MARIADB, x->p->cols, x->my_exprs, x->cmp, x->ncmp);
		sb_addc(&q, ')');
	}
	sb_adds(&q, " FROM ");
	quote_my_ident(&q, x->p->cfg->source);
	sql = source_sql(x, q.buf, x->first_hour, x->first_hour + x->nhours);
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
	if (x->deep) {
		sb_adds(&q, ", sum(");
		canon_row_slice(&q, CANON_POSTGRES, x->p->cols, x->pg_exprs, x->cmp, x->ncmp);
		sb_addc(&q, ')');
	}
	add_target_where(x, &q);
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

/* ---- key by key ---- */

typedef struct key_row {
	char *enc;       /* the key's fields, concatenated */
	size_t enclen;
	char *raw;       /* source: the raw key values as fields (for rejects) */
	size_t rawlen;
	char md5[33];
} key_row;

typedef struct key_rows {
	key_row *rows;
	int n, cap;
	int nkey;
} key_rows;

static key_row *key_rows_add(key_rows *k)
{
	if (k->n == k->cap) {
		k->cap = k->cap ? 2 * k->cap : 256;
		k->rows = xrealloc(k->rows, sizeof(*k->rows) * (size_t)k->cap);
	}
	memset(&k->rows[k->n], 0, sizeof(k->rows[0]));
	return &k->rows[k->n++];
}

static void key_rows_release(key_rows *k)
{
	for (int i = 0; i < k->n; i++) {
		free(k->rows[i].enc);
		free(k->rows[i].raw);
	}
	free(k->rows);
	memset(k, 0, sizeof(*k));
}

static int bytes_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);

	if (c)
		return c;
	return alen < blen ? -1 : alen > blen;
}

static int key_row_cmp(const void *a, const void *b)
{
	const key_row *x = a, *y = b;
	return bytes_cmp(x->enc, x->enclen, y->enc, y->enclen);
}

static int key_row_raw_cmp(const void *a, const void *b)
{
	const key_row *x = a, *y = b;
	return bytes_cmp(x->raw, x->rawlen, y->raw, y->rawlen);
}

/* source rows: key fields, raw key values, md5 */
static bool source_key_row(void *ctx, unsigned int ncols, char **row, unsigned long *lens)
{
	key_rows *k = ctx;
	key_row *r = key_rows_add(k);
	strbuf sb;

	(void)ncols;
	sb_init(&sb, 64);
	for (int i = 0; i < k->nkey; i++)
		sb_add(&sb, row[i] ? row[i] : "?", row[i] ? lens[i] : 1);
	r->enclen = sb.len;
	r->enc = sb_detach(&sb);
	sb_init(&sb, 64);
	for (int i = 0; i < k->nkey; i++)
		canon_encode_field(&sb, row[k->nkey + i], lens[k->nkey + i]);
	r->rawlen = sb.len;
	r->raw = sb_detach(&sb);
	snprintf(r->md5, sizeof(r->md5), "%s", row[2 * k->nkey] ? row[2 * k->nkey] : "");
	return true;
}

/* target rows: key fields, md5 */
static bool target_key_row(void *ctx, int ncols, char **v)
{
	key_rows *k = ctx;
	key_row *r = key_rows_add(k);
	strbuf sb;

	(void)ncols;
	sb_init(&sb, 64);
	for (int i = 0; i < k->nkey; i++)
		sb_adds(&sb, v[i] ? v[i] : "?");
	r->enclen = sb.len;
	r->enc = sb_detach(&sb);
	snprintf(r->md5, sizeof(r->md5), "%s", v[k->nkey] ? v[k->nkey] : "");
	return true;
}

/* rejected keys: raw key values from etlre.rejects, as fields */
static bool reject_key_row(void *ctx, int ncols, char **v)
{
	key_rows *k = ctx;
	key_row *r = key_rows_add(k);
	strbuf sb;

	(void)ncols;
	sb_init(&sb, 64);
	for (int i = 0; i < k->nkey; i++)
		canon_encode_field(&sb, v[i], v[i] ? strlen(v[i]) : 0);
	r->rawlen = sb.len;
	r->raw = sb_detach(&sb);
	return true;
}

static bool fetch_source_keys(vctx *x, int64_t hour, key_rows *out)
{
	const table_plan *p = x->p;
	strbuf q;
	char *sql;
	bool ok;

	sb_init(&q, 4096);
	sb_adds(&q, "SELECT ");
	for (int i = 0; i < p->nkey; i++) {
		canon_field(&q, CANON_MARIADB, &p->cols[p->key_idx[i]], x->my_exprs[p->key_idx[i]]);
		sb_adds(&q, ", ");
	}
	for (int i = 0; i < p->nkey; i++)
		sb_addf(&q, "%s, ", x->my_exprs[p->key_idx[i]]);
	canon_row_md5(&q, CANON_MARIADB, p->cols, x->my_exprs, x->cmp, x->ncmp);
	sb_adds(&q, " FROM ");
	quote_my_ident(&q, p->cfg->source);
	sql = source_sql(x, q.buf, hour, hour + 1);
	out->nkey = p->nkey;
	ok = src_query(x->src, sql, source_key_row, out);
	free(sql);
	sb_release(&q);
	return ok;
}

/* fetch_target_keys_send: starts the target's key query; tgt_query_finish
 * with target_key_row collects it */
static bool fetch_target_keys_send(vctx *x, int64_t hour, key_rows *out)
{
	const table_plan *p = x->p;
	strbuf q;
	char from[20], to[20];
	const char *params[] = { from, to };
	bool ok;

	hour_format_sql(hour, from);
	hour_format_sql(hour + 1, to);
	sb_init(&q, 4096);
	sb_adds(&q, "SELECT ");
	for (int i = 0; i < p->nkey; i++) {
		canon_field(&q, CANON_POSTGRES, &p->cols[p->key_idx[i]], x->pg_exprs[p->key_idx[i]]);
		sb_adds(&q, ", ");
	}
	canon_row_md5(&q, CANON_POSTGRES, p->cols, x->pg_exprs, x->cmp, x->ncmp);
	add_target_where(x, &q);
	out->nkey = p->nkey;
	ok = tgt_query_send(x->tgt, q.buf, 2, params);
	sb_release(&q);
	return ok;
}

static bool fetch_rejected_keys(vctx *x, int64_t load_start, key_rows *out)
{
	const table_plan *p = x->p;
	strbuf q;
	char start[20];
	const char **params = xcalloc((size_t)(2 + p->nkey), sizeof(char *));
	bool ok;

	hour_format_sql(load_start, start);
	params[0] = p->cfg->name;
	params[1] = start;
	sb_init(&q, 256);
	sb_adds(&q, "SELECT ");
	for (int i = 0; i < p->nkey; i++) {
		sb_addf(&q, "%sraw->>$%d", i ? ", " : "", i + 3);
		params[2 + i] = p->cols[p->key_idx[i]].name;
	}
	sb_adds(&q, " FROM ");
	quote_pg_ident(&q, x->o->schema);
	sb_adds(&q, ".rejects WHERE table_name = $1 AND hour = $2");
	out->nkey = p->nkey;
	ok = tgt_query(x->tgt, q.buf, 2 + p->nkey, params, reject_key_row, out);
	free(params);
	sb_release(&q);
	return ok;
}

/* a changed key listed in an hour, and its fields on both sides */
typedef struct changed_key {
	int key;           /* index into the hour's keys */
	char *hex;         /* hex of the key's fields */
	char **src, **tgt; /* the compared columns' fields, owned */
} changed_key;

typedef struct changed_set {
	changed_key *k;
	int n;
	int ncmp;
	bool target_side;
} changed_set;

static changed_key *changed_find(changed_set *cs, const char *hex)
{
	for (int i = 0; i < cs->n; i++)
		if (strcmp(cs->k[i].hex, hex) == 0)
			return &cs->k[i];
	return NULL;
}

static void changed_store(changed_set *cs, changed_key *k, char **fields, const unsigned long *lens)
{
	char ***side = cs->target_side ? &k->tgt : &k->src;

	if (*side)
		return; /* the first row of a key that is not unique */
	*side = xcalloc((size_t)cs->ncmp, sizeof(char *));
	for (int i = 0; i < cs->ncmp; i++)
		(*side)[i] = fields[i] ? xstrndup(fields[i], lens ? lens[i] : strlen(fields[i]))
				       : xstrdup("");
}

static bool source_changed_row(void *ctx, unsigned int ncols, char **row, unsigned long *lens)
{
	changed_set *cs = ctx;
	changed_key *k = row[0] ? changed_find(cs, row[0]) : NULL;

	(void)ncols;
	if (k)
		changed_store(cs, k, row + 1, lens + 1);
	return true;
}

static bool target_changed_row(void *ctx, int ncols, char **v)
{
	changed_set *cs = ctx;
	changed_key *k = v[0] ? changed_find(cs, v[0]) : NULL;

	(void)ncols;
	if (k)
		changed_store(cs, k, v + 1, NULL);
	return true;
}

/* add_changed_select: SELECT keyhex, fields... FROM table WHERE hour AND keyhex IN (...) */
static void add_changed_select(vctx *x, strbuf *q, canon_dialect d)
{
	const table_plan *p = x->p;
	char **exprs = d == CANON_MARIADB ? x->my_exprs : x->pg_exprs;

	sb_adds(q, "SELECT ");
	canon_concat_hex(q, d, p->cols, exprs, p->key_idx, p->nkey);
	for (int i = 0; i < x->ncmp; i++) {
		sb_adds(q, ", ");
		canon_field(q, d, &p->cols[x->cmp[i]], exprs[x->cmp[i]]);
	}
	if (d == CANON_POSTGRES)
		add_target_where(x, q);
	else {
		sb_adds(q, " FROM ");
		quote_my_ident(q, p->cfg->source);
	}
}

static void add_changed_filter(vctx *x, strbuf *q, canon_dialect d, changed_set *cs)
{
	const table_plan *p = x->p;
	char **exprs = d == CANON_MARIADB ? x->my_exprs : x->pg_exprs;

	sb_adds(q, " AND ");
	canon_concat_hex(q, d, p->cols, exprs, p->key_idx, p->nkey);
	sb_adds(q, " IN (");
	for (int i = 0; i < cs->n; i++)
		sb_addf(q, "%s'%s'", i ? ", " : "", cs->k[i].hex); /* hex digits only */
	sb_addc(q, ')');
}

/* name_changed_columns: fetches the listed changed keys' rows from both
 * sides and names the columns whose fields differ */
static bool name_changed_columns(vctx *x, verify_hour *h, changed_set *cs)
{
	const int64_t hour = h->hour;
	strbuf q;
	char *sql;
	char from[20], to[20];
	const char *params[] = { from, to };
	bool ok;

	if (cs->n == 0)
		return true;
	cs->ncmp = x->ncmp;
	sb_init(&q, 4096);
	add_changed_select(x, &q, CANON_MARIADB);
	sql = source_sql(x, q.buf, hour, hour + 1);
	sb_reset(&q);
	sb_adds(&q, sql);
	free(sql);
	add_changed_filter(x, &q, CANON_MARIADB, cs);
	cs->target_side = false;
	ok = src_query(x->src, q.buf, source_changed_row, cs);

	if (ok) {
		hour_format_sql(hour, from);
		hour_format_sql(hour + 1, to);
		sb_reset(&q);
		add_changed_select(x, &q, CANON_POSTGRES);
		add_changed_filter(x, &q, CANON_POSTGRES, cs);
		cs->target_side = true;
		ok = tgt_query(x->tgt, q.buf, 2, params, target_changed_row, cs);
	}
	sb_release(&q);
	if (!ok)
		return false;

	for (int i = 0; i < cs->n; i++) {
		changed_key *k = &cs->k[i];
		verify_key *vk = &h->keys[k->key];
		if (!k->src || !k->tgt)
			continue; /* the row moved away between the queries */
		for (int c = 0; c < x->ncmp; c++) {
			if (strcmp(k->src[c], k->tgt[c]) == 0)
				continue;
			vk->columns = xrealloc(vk->columns, sizeof(char *) * (size_t)(vk->ncolumns + 1));
			vk->columns[vk->ncolumns++] = xstrdup(x->p->cols[x->cmp[c]].name);
		}
	}
	return true;
}

static void changed_set_release(changed_set *cs)
{
	for (int i = 0; i < cs->n; i++) {
		free(cs->k[i].hex);
		str_list_free(cs->k[i].src, cs->k[i].src ? cs->ncmp : 0);
		str_list_free(cs->k[i].tgt, cs->k[i].tgt ? cs->ncmp : 0);
	}
	free(cs->k);
	memset(cs, 0, sizeof(*cs));
}

/* add_key: records a differing key in h (listed while under max_keys) */
static void add_key(vctx *x, verify_hour *h, const key_row *r, key_diff diff, changed_set *cs)
{
	const int nkey = x->p->nkey;
	const char **fields;
	size_t *lens;
	strbuf sb;
	verify_key *k;

	h->keys_total++;
	if (h->nkeys >= x->o->max_keys)
		return;
	h->keys = xrealloc(h->keys, sizeof(*h->keys) * (size_t)(h->nkeys + 1));
	k = &h->keys[h->nkeys++];
	memset(k, 0, sizeof(*k));
	k->diff = diff;
	fields = xcalloc((size_t)nkey, sizeof(char *));
	lens = xcalloc((size_t)nkey, sizeof(size_t));
	sb_init(&sb, 64);
	if (canon_split_fields(r->enc, r->enclen, nkey, fields, lens))
		canon_format_key(&sb, x->key_names, fields, lens, nkey);
	else
		sb_adds(&sb, "?");
	k->key = sb_detach(&sb);
	free(fields);
	free(lens);
	if (diff == KEY_CHANGED) {
		cs->k = xrealloc(cs->k, sizeof(*cs->k) * (size_t)(cs->n + 1));
		memset(&cs->k[cs->n], 0, sizeof(cs->k[0]));
		cs->k[cs->n].key = h->nkeys - 1;
		sb_init(&sb, 2 * r->enclen + 1);
		canon_add_hex(&sb, r->enc, r->enclen);
		cs->k[cs->n].hex = sb_detach(&sb);
		cs->n++;
	}
}

/*
 * compare_keys: the key-by-key comparison of one hour into h. Source-only
 * keys that the hour's last load rejected are not differences.
 */
static bool compare_keys(vctx *x, const hour_slot *s, verify_hour *h)
{
	key_rows src = { 0 }, tgt = { 0 }, rej = { 0 };
	changed_set cs = { 0 };
	int i = 0, j = 0;
	bool ok;

	ok = fetch_target_keys_send(x, h->hour, &tgt);
	if (ok) { /* the source query runs while the target's does */
		bool src_ok = fetch_source_keys(x, h->hour, &src);
		ok = tgt_query_finish(x->tgt, target_key_row, &tgt) && src_ok;
	}
	if (ok && s->rejected > 0 && s->load_start >= 0)
		ok = fetch_rejected_keys(x, s->load_start, &rej);
	if (!ok)
		goto out;
	if (src.n > 1)
		qsort(src.rows, (size_t)src.n, sizeof(key_row), key_row_cmp);
	if (tgt.n > 1)
		qsort(tgt.rows, (size_t)tgt.n, sizeof(key_row), key_row_cmp);
	if (rej.n > 1)
		qsort(rej.rows, (size_t)rej.n, sizeof(key_row), key_row_raw_cmp);

	while (i < src.n || j < tgt.n) {
		int c = i >= src.n ? 1 : j >= tgt.n ? -1 : key_row_cmp(&src.rows[i], &tgt.rows[j]);
		if (c < 0) {
			if (rej.n == 0 || !bsearch(&src.rows[i], rej.rows, (size_t)rej.n,
						   sizeof(key_row), key_row_raw_cmp))
				add_key(x, h, &src.rows[i], KEY_MISSING, &cs);
			i++;
		} else if (c > 0) {
			add_key(x, h, &tgt.rows[j], KEY_EXTRA, &cs);
			j++;
		} else {
			if (strcmp(src.rows[i].md5, tgt.rows[j].md5) != 0)
				add_key(x, h, &src.rows[i], KEY_CHANGED, &cs);
			i++;
			j++;
		}
	}
	ok = name_changed_columns(x, h, &cs);
out:
	changed_set_release(&cs);
	key_rows_release(&src);
	key_rows_release(&tgt);
	key_rows_release(&rej);
	return ok;
}

/* ---- a table ---- */

static void vctx_release(vctx *x)
{
	str_list_free(x->my_exprs, x->p->ncols);
	str_list_free(x->pg_exprs, x->p->ncols);
	free(x->cmp);
	free(x->key_names);
	free(x->slots);
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
}

static verify_hour *add_hour(verify_result *r)
{
	if (r->nhours == r->hours_cap) {
		r->hours_cap = r->hours_cap ? 2 * r->hours_cap : 64;
		r->hours = xrealloc(r->hours, sizeof(*r->hours) * (size_t)r->hours_cap);
	}
	memset(&r->hours[r->nhours], 0, sizeof(r->hours[0]));
	return &r->hours[r->nhours++];
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
	ok = count_target_send(&x);
	if (ok) { /* the source query runs while the target's does */
		bool src_ok = count_source(&x);
		ok = tgt_query_finish(x.tgt, target_count_row, &x) && src_ok;
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
			if (signals_caught() || !compare_keys(&x, s, &h)) {
				hour_release(&h);
				ok = false;
				break;
			}
			if (h.status == VERIFY_OK && h.keys_total > 0)
				h.status = VERIFY_CHANGED;
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
		*add_hour(r) = h;
	}
	if (ok)
		log_info("table %s: %d hours verified%s in %.2fs: %d missing, %d extra, %d changed",
			 p->cfg->name, vt->hours, x.deep ? " with content" : "",
			 now_monotonic() - t0, vt->hours_missing, vt->hours_extra, vt->hours_changed);
	vctx_release(&x);
	return ok;
}
