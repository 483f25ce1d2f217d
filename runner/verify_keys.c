/*
 * verify_keys.c: verify --deep's key-by-key comparison of an hour whose
 * counts or checksums differ (see verify_ctx.h): the keys of each side and
 * of the hour's rejected rows, fetched as canonical text and compared as
 * bytes; the changed keys' columns named. At most verify_options.max_keys
 * keys are listed per hour.
 */
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

/* key_fields: n fields of a row as one new string (its length in *len):
 * each field as it is, a NULL one as "?" (the key to sort and match on), or
 * with canon each canon-encoded (the raw values, as etlre.rejects keeps them).
 * lens: the fields' lengths, or NULL for NUL-terminated fields. */
static char *key_fields(char **f, const unsigned long *lens, int n, bool canon, size_t *len)
{
	strbuf sb;

	sb_init(&sb, 64);
	for (int i = 0; i < n; i++) {
		size_t flen = !f[i] ? 0 : lens ? lens[i] : strlen(f[i]);
		if (canon)
			canon_encode_field(&sb, f[i], flen);
		else if (f[i])
			sb_add(&sb, f[i], flen);
		else
			sb_addc(&sb, '?');
	}
	*len = sb.len;
	return sb_detach(&sb);
}

/* source rows: key fields, raw key values, md5 */
static bool source_key_row(void *ctx, unsigned int ncols, char **row, unsigned long *lens)
{
	key_rows *k = ctx;
	key_row *r = ARRAY_PUSH(k->rows, k->n, k->cap);
	const char *md5 = row[2 * k->nkey];

	(void)ncols;
	r->enc = key_fields(row, lens, k->nkey, false, &r->enclen);
	r->raw = key_fields(row + k->nkey, lens + k->nkey, k->nkey, true, &r->rawlen);
	snprintf(r->md5, sizeof(r->md5), "%s", md5 ? md5 : "");
	return true;
}

/* target rows: key fields, md5 */
static bool target_key_row(void *ctx, int ncols, char **v)
{
	key_rows *k = ctx;
	key_row *r = ARRAY_PUSH(k->rows, k->n, k->cap);
	const char *md5 = v[k->nkey];

	(void)ncols;
	r->enc = key_fields(v, NULL, k->nkey, false, &r->enclen);
	snprintf(r->md5, sizeof(r->md5), "%s", md5 ? md5 : "");
	return true;
}

/* rejected keys: raw key values from etlre.rejects, as fields */
static bool reject_key_row(void *ctx, int ncols, char **v)
{
	key_rows *k = ctx;
	key_row *r = ARRAY_PUSH(k->rows, k->n, k->cap);

	(void)ncols;
	r->raw = key_fields(v, NULL, k->nkey, true, &r->rawlen);
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
	sql = verify_source_sql(x, q.buf, hour, hour + 1);
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
	verify_add_target_where(x, &q);
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
		verify_add_target_where(x, q);
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
	sql = verify_source_sql(x, q.buf, hour, hour + 1);
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
 * verify_compare_keys: the key-by-key comparison of one hour into h. Source-only
 * keys that the hour's last load rejected are not differences.
 */
bool verify_compare_keys(vctx *x, const hour_slot *s, verify_hour *h)
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

