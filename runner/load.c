/*
 * load.c: one window's extract-validate-COPY-verify transaction (see load.h).
 *
 * Rows are encoded into a batch buffer (COPY binary or text, copy_format.h)
 * and sent to the target as one COPY per batch, each under a savepoint. When
 * the target refuses a batch for a row-level reason (SQLSTATE classes 22 and
 * 23: a CHECK, a foreign key, a value out of range), the batch is rolled back
 * to its savepoint and bisected (as text) until the refused rows are
 * isolated; the others are loaded. A unique violation first gets the batch's
 * keys removed from other hours (rows that moved, load_moved.h) and the batch
 * sent again. Memory stays bounded by the batch size whatever the window's
 * size.
 */
#include "load.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "copy_format.h"
#include "copy_pipe.h"
#include "encode.h"
#include "json.h"
#include "load_group.h"
#include "load_merge.h"
#include "load_moved.h"
#include "log.h"
#include "partition.h"
#include "signals.h"
#include "typemap.h"

#define BATCH_MAX_BYTES (8u << 20)
#define STREAM_CHUNK_BYTES (64u << 10)
#define VALUE_SHOWN_MAX 120

typedef struct batch {
	strbuf data;     /* COPY data of the rows (copy_format.h) */
	size_t *row_end; /* end offset of each row in data */
	bool binary;     /* data is COPY binary; keep holds the rows' values */
	strbuf keep;
	int nrows;
	int cap;
	bool streaming;  /* a COPY of this batch is open under a savepoint */
	size_t sent;     /* bytes of data already sent to it */
} batch;

typedef struct window_ctx {
	src_conn *src;
	tgt_conn *tgt;
	const table_plan *p;
	load_run *run;
	window w;
	char from[20], to[20], hour_iso[20];
	window_result *res;
	batch b;
	strbuf rejects;    /* COPY text for etlre.rejects, flushed between batches */
	char *rejects_copy_sql;
	strbuf scratch;
	int64_t merge_kept; /* mode = merge: rows of the window that moved (load_merge.h) */
	moved_window moved; /* replace mode: rows that moved in from other hours (load_moved.h) */
	copy_pipe *pipe;   /* sends the batch's COPY data; NULL: sent inline */
	bool savepoint_ready; /* lock_and_delete opened the first batch's savepoint */
	/* the last batch's savepoint is released with check_counts' statements,
	 * saving a round trip: last_batch says the batch is the last, and
	 * release_pending that its COPY ended and the RELEASE is still owed */
	bool last_batch, release_pending;
	/* load_group: per hour of the window its counts, and its bounds
	 * (hour i is [bounds[i], bounds[i + 1])); NULL for one window */
	hour_counts *per_hour;
	char (*bounds)[20];
	char **deleted_keys; /* per hour: the keys its DELETE returned (load_group.h) */
	char *bounds_array;  /* the bounds as an array literal (group_bounds) */
	group_keys keys;
	strbuf keybuf;
	int row_hour;        /* the hour index of the row being processed */
	copy_format fmt;   /* COPY binary or text (copy_format.h) */
} window_ctx;

static void fail(window_ctx *x, err_class cls, const char *fmt, ...) PRINTF_LIKE(3, 4);

static void fail(window_ctx *x, err_class cls, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (x->res->error) /* the first failure is the one that counts */
		return;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	x->res->error = xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(x->res->error, (size_t)n + 1, fmt, ap);
	va_end(ap);
	x->res->cls = cls;
	x->res->status = WINDOW_FAILED;
}

/* show_value: a value as it appears in messages: quoted, shortened, NULL bare */
static void show_value(strbuf *sb, const char *v, size_t len)
{
	if (!v) {
		sb_adds(sb, "NULL");
		return;
	}
	sb_addc(sb, '\'');
	for (size_t i = 0; i < len && i < VALUE_SHOWN_MAX; i++) {
		unsigned char c = (unsigned char)v[i];
		if (c < 0x20 || c == 0x7f)
			sb_addf(sb, "\\x%02x", c);
		else
			sb_addc(sb, (char)c);
	}
	if (len > VALUE_SHOWN_MAX)
		sb_adds(sb, "...");
	sb_addc(sb, '\'');
}

static void format_key(window_ctx *x, strbuf *sb, char **vals, unsigned long *lens)
{
	for (int k = 0; k < x->p->nkey; k++) {
		int i = x->p->key_idx[k];
		if (k)
			sb_adds(sb, ", ");
		sb_addf(sb, "%s=", x->p->cols[i].name);
		if (vals[i])
			sb_add(sb, vals[i], lens[i] > VALUE_SHOWN_MAX ? VALUE_SHOWN_MAX : lens[i]);
		else
			sb_adds(sb, "NULL");
	}
}

/*
 * reject_row: handles an invalid row. Without --skip-invalid the window fails
 * with a message naming table, hour, key, column, value and rule; with it the
 * row is recorded in etlre.rejects (unless a dry run) and the rejects file.
 * col is the offending column, -1 for none; for a check rule the columns it
 * mentions are shown. Returns false when the window must stop.
 */
static bool reject_row(window_ctx *x, char **vals, unsigned long *lens, int col,
		       const check_rule *rule_of_check, const char *rule, const char *reason)
{
	const table_plan *p = x->p;
	strbuf key, column, value, raw;
	bool go_on = true;

	if (x->per_hour) { /* its hours are loaded one by one, where it is handled */
		fail(x, ERRCLASS_INVALID_DATA, "a row is invalid (rule %s)", rule);
		return false;
	}
	sb_init(&key, 64);
	sb_init(&column, 64);
	sb_init(&value, 128);
	format_key(x, &key, vals, lens);
	if (col >= 0) {
		sb_adds(&column, p->cols[col].name);
		if (vals[col])
			sb_add(&value, vals[col], lens[col]);
	} else if (rule_of_check) {
		for (int i = 0; i < rule_of_check->ncols; i++) {
			int c = rule_of_check->cols[i];
			if (i) {
				sb_adds(&column, ",");
				sb_adds(&value, ", ");
			}
			sb_adds(&column, p->cols[c].name);
			sb_addf(&value, "%s=", p->cols[c].name);
			show_value(&value, vals[c], lens[c]);
		}
	}

	if (!x->run->skip_invalid) {
		strbuf shown;
		sb_init(&shown, 128);
		if (col >= 0)
			show_value(&shown, vals[col], lens[col]);
		else
			sb_add(&shown, value.buf, value.len);
		fail(x, ERRCLASS_INVALID_DATA,
		     "invalid row in table %s, hour %s, key %s: column %s value %s breaks rule %s (%s)",
		     p->cfg->name, x->hour_iso, key.buf, column.len ? column.buf : "-",
		     shown.len ? shown.buf : "-", rule, reason);
		if (strncmp(rule, "constraint", 10) == 0)
			x->res->cls = ERRCLASS_CONSTRAINT;
		sb_release(&shown);
		go_on = false;
		goto out;
	}

	x->res->n.rejected++;
	x->run->total_rejected++;
	log_debug("table %s hour %s: rejected key %s: %s (%s)", p->cfg->name, x->hour_iso, key.buf,
		  rule, reason);

	sb_init(&raw, 256);
	sb_addc(&raw, '{');
	for (int i = 0; i < p->ncols; i++) {
		if (i)
			sb_addc(&raw, ',');
		json_add_string(&raw, p->cols[i].name);
		sb_addc(&raw, ':');
		if (vals[i] && !utf8_valid(vals[i], lens[i], NULL)) {
			/* jsonb cannot hold NUL or bad UTF-8: keep the bytes in hex */
			strbuf hex;
			sb_init(&hex, 2 * lens[i] + 4);
			copy_add_bytea(&hex, vals[i], lens[i]);
			json_add_stringn(&raw, hex.buf + 1, hex.len - 1); /* one backslash */
			sb_release(&hex);
		} else if (vals[i]) {
			json_add_stringn(&raw, vals[i], lens[i]);
		} else {
			sb_adds(&raw, "null");
		}
	}
	sb_addc(&raw, '}');

	if (!x->run->dry_run) {
		reject_record rec = { x->run->job_id, p->cfg->name, x->from, key.buf, key.len,
				      column.len ? column.buf : NULL,
				      col >= 0 || rule_of_check ? value.buf : NULL, value.len,
				      rule, reason, raw.buf, raw.len };
		ledger_reject_encode(&x->rejects, &rec);

		if (x->run->rfile) {
			char job[24];
			snprintf(job, sizeof(job), "%lld", (long long)x->run->job_id);
			const char *f[REJECT_NFIELDS] = {
				[REJECT_JOB_ID] = job,       [REJECT_TABLE] = p->cfg->name,
				[REJECT_HOUR] = x->hour_iso, [REJECT_KEY] = key.buf,
				[REJECT_COLUMN] = column.buf, [REJECT_VALUE] = value.buf,
				[REJECT_RULE] = rule,        [REJECT_REASON] = reason,
				[REJECT_RAW] = raw.buf,
			};
			size_t l[REJECT_NFIELDS];
			for (int i = 0; i < REJECT_NFIELDS; i++)
				l[i] = strlen(f[i]);
			l[REJECT_KEY] = key.len; /* these may hold NUL bytes */
			l[REJECT_COLUMN] = column.len;
			l[REJECT_VALUE] = value.len;
			l[REJECT_RAW] = raw.len;
			rejects_file_add(x->run->rfile, f, l);
		}
	}
	sb_release(&raw);

	if (x->run->max_rejects >= 0 && x->run->total_rejected > x->run->max_rejects) {
		fail(x, ERRCLASS_INVALID_DATA,
		     "more than %lld rows rejected in this run (--max-rejects); stopping at table %s hour %s",
		     (long long)x->run->max_rejects, p->cfg->name, x->hour_iso);
		x->res->too_many_rejects = true;
		go_on = false;
	}
out:
	sb_release(&key);
	sb_release(&column);
	sb_release(&value);
	return go_on;
}

static bool flush_rejects(window_ctx *x)
{
	int64_t n;

	if (x->rejects.len == 0)
		return true;
	if (!tgt_copy_begin(x->tgt, x->rejects_copy_sql) ||
	    !tgt_copy_put(x->tgt, x->rejects.buf, x->rejects.len) || !tgt_copy_end(x->tgt, &n)) {
		const tgt_error *e = tgt_last_error(x->tgt);
		fail(x, e->cls, "cannot record rejected rows: %s", e->message);
		return false;
	}
	sb_reset(&x->rejects);
	return true;
}

static size_t row_start(const batch *b, int i)
{
	return i == 0 ? 0 : b->row_end[i - 1];
}

/* decode_copy_row: splits batch row i back into values (for a refused row);
 * storage lives in x->scratch until the next call */
static void decode_copy_row(window_ctx *x, int i, char **vals, unsigned long *lens)
{
	size_t s = row_start(&x->b, i), e = x->b.row_end[i] - 1; /* without the LF */

	sb_reset(&x->scratch);
	sb_add(&x->scratch, x->b.data.buf + s, e - s);
	copy_decode_row(x->scratch.buf, x->p->ncols, vals, lens);
}

typedef enum { COPY_OK, COPY_ROW_REFUSED, COPY_FAILED } copy_outcome;

static copy_outcome copy_range(window_ctx *x, int lo, int hi)
{
	size_t s = row_start(&x->b, lo), e = x->b.row_end[hi - 1];
	int64_t n = 0;
	const tgt_error *err;

	if (!tgt_exec(x->tgt, "SAVEPOINT etlre_batch", 0, NULL, NULL))
		goto failed;
	if (!tgt_copy_begin(x->tgt, x->p->copy_sql))
		goto failed;
	if (!tgt_copy_put(x->tgt, x->b.data.buf + s, e - s)) {
		tgt_copy_abort(x->tgt, "etlre: sending failed");
		goto failed;
	}
	if (tgt_copy_end(x->tgt, &n)) {
		if (!tgt_exec(x->tgt, "RELEASE SAVEPOINT etlre_batch", 0, NULL, NULL))
			goto failed;
		if (n != hi - lo) {
			fail(x, ERRCLASS_INTERNAL, "COPY loaded %lld rows of %d sent", (long long)n,
			     hi - lo);
			return COPY_FAILED;
		}
		x->res->n.loaded += n;
		return COPY_OK;
	}
	err = tgt_last_error(x->tgt);
	if (err_class_is_row_level(err->cls)) {
		if (!tgt_exec(x->tgt, "ROLLBACK TO SAVEPOINT etlre_batch", 0, NULL, NULL) ||
		    !tgt_exec(x->tgt, "RELEASE SAVEPOINT etlre_batch", 0, NULL, NULL))
			goto failed;
		return COPY_ROW_REFUSED;
	}
failed:
	err = tgt_last_error(x->tgt);
	fail(x, err->cls, "target: %s", err->message);
	return COPY_FAILED;
}

/* reject_refused: a row the target refused with e (a window_ctx as void *,
 * a merge_reject_fn); false when the window must stop */
static bool reject_refused(void *ctx, char **vals, unsigned long *lens, const tgt_error *e)
{
	window_ctx *x = ctx;
	char rule[192], reason[700];
	int col = -1;

	for (int i = 0; i < x->p->ncols && e->column[0]; i++)
		if (strcmp(x->p->cols[i].name, e->column) == 0)
			col = i;
	if (col < 0 && e->constraint[0])
		col = plan_constraint_column(x->p, e->constraint);
	if (e->constraint[0])
		snprintf(rule, sizeof(rule), "constraint %s", e->constraint);
	else
		snprintf(rule, sizeof(rule), "constraint (SQLSTATE %s)", e->sqlstate);
	/* a key that no other hour holds: the source repeats it in this window */
	bool repeated = x->p->key_index && strcmp(e->sqlstate, "23505") == 0 &&
			strcmp(e->constraint, x->p->key_index) == 0;
	snprintf(reason, sizeof(reason), "%srefused by the target: %s%s%s",
		 repeated ? "the source has this key more than once in the hour; " : "", e->message,
		 e->detail[0] ? "; " : "", e->detail);
	return reject_row(x, vals, lens, col, NULL, rule, reason);
}

static bool after_refusal(window_ctx *x, int lo, int hi, bool may_relocate);

/* load_range: COPY rows [lo, hi) of the batch; a refusal is handled by
 * after_refusal */
static bool load_range(window_ctx *x, int lo, int hi, bool may_relocate)
{
	copy_outcome o = copy_range(x, lo, hi);

	if (o == COPY_OK)
		return true;
	if (o == COPY_FAILED)
		return false;
	return after_refusal(x, lo, hi, may_relocate);
}

/*
 * after_refusal: the target refused rows [lo, hi) (rolled back to their
 * savepoint). When their keys are held by rows of other hours (rows that
 * moved), those are removed and the rows sent again, once; otherwise the
 * range is bisected until the refused rows are isolated and rejected.
 */
static bool after_refusal(window_ctx *x, int lo, int hi, bool may_relocate)
{
	tgt_error e = *tgt_last_error(x->tgt);
	int64_t moved = 0;

	if (x->per_hour) { /* its hours are loaded one by one, where it is handled */
		fail(x, e.cls, "the target refused a row: %s", e.message);
		return false;
	}
	if (may_relocate && moved_applies(x->p, &e)) {
		size_t s = row_start(&x->b, lo), end = x->b.row_end[hi - 1];
		if (!moved_relocate(&x->moved, x->b.data.buf + s, end - s, &moved)) {
			const tgt_error *err = tgt_last_error(x->tgt);
			fail(x, err->cls, "cannot remove the old copy of a row that moved to this hour: %s%s%s",
			     err->message, err->detail[0] ? "; " : "", err->detail);
			return false;
		}
		x->res->n.moved += moved;
		if (moved > 0) /* sent again, once; a second refusal is bisected */
			return load_range(x, lo, hi, false);
	}
	if (hi - lo == 1) {
		int ncols = x->p->ncols;
		char **vals = xcalloc((size_t)ncols, sizeof(char *));
		unsigned long *lens = xcalloc((size_t)ncols, sizeof(unsigned long));
		bool ok;

		decode_copy_row(x, lo, vals, lens);
		ok = reject_refused(x, vals, lens, &e);
		free(vals);
		free(lens);
		return ok;
	}
	int mid = lo + (hi - lo) / 2;
	return load_range(x, lo, mid, true) && load_range(x, mid, hi, true);
}

/*
 * The rows of a batch are sent to the target while they are read: the COPY
 * opens with the batch's first row and gets the encoded text in chunks, so
 * the source and the target work at the same time. The batch stays in memory
 * until its COPY has ended, to bisect it if the target refuses a row.
 */
static bool stream_start(window_ctx *x)
{
	bool ready = x->savepoint_ready;

	x->savepoint_ready = false;
	x->b.binary = x->fmt.kinds != NULL;
	if (!(ready || tgt_exec(x->tgt, "SAVEPOINT etlre_batch", 0, NULL, NULL)) ||
	    !tgt_copy_begin(x->tgt, x->b.binary ? x->fmt.binary_sql : x->p->copy_sql))
		return false;
	if (x->b.binary)
		bin_add_header(&x->b.data);
	x->b.streaming = true;
	x->b.sent = 0;
	return true;
}

/* stream_drain: waits until the writer thread sent everything queued; false
 * when a send failed. The connection may be used again afterwards. */
static bool stream_drain(window_ctx *x)
{
	return !x->pipe || copy_pipe_drain(x->pipe);
}

static bool stream_send(window_ctx *x)
{
	batch *b = &x->b;
	const char *data = b->data.buf + b->sent;
	size_t len = b->data.len - b->sent;
	bool ok = x->pipe ? copy_pipe_put(x->pipe, data, len) : tgt_copy_put(x->tgt, data, len);

	if (!ok) {
		if (!stream_drain(x))
			log_debug("the COPY writer thread stopped after a failed send");
		tgt_copy_abort(x->tgt, "etlre: sending failed");
		b->streaming = false;
		return false;
	}
	b->sent = b->data.len;
	return true;
}

/* stream_finish: ends the batch's COPY: COPY_OK (rows counted as loaded),
 * COPY_ROW_REFUSED (rolled back to the savepoint), or COPY_FAILED */
static copy_outcome stream_finish(window_ctx *x)
{
	batch *b = &x->b;
	int64_t n = 0;
	const tgt_error *err;

	b->streaming = false;
	if (!stream_drain(x)) {
		tgt_copy_abort(x->tgt, "etlre: sending failed");
		return COPY_FAILED;
	}
	if (tgt_copy_end(x->tgt, &n)) {
		if (x->last_batch)
			x->release_pending = true;
		else if (!tgt_exec(x->tgt, "RELEASE SAVEPOINT etlre_batch", 0, NULL, NULL))
			return COPY_FAILED;
		if (n != b->nrows) {
			fail(x, ERRCLASS_INTERNAL, "COPY loaded %lld rows of %d sent", (long long)n,
			     b->nrows);
			return COPY_FAILED;
		}
		x->res->n.loaded += n;
		return COPY_OK;
	}
	err = tgt_last_error(x->tgt);
	if (err_class_is_row_level(err->cls) &&
	    tgt_exec(x->tgt, "ROLLBACK TO SAVEPOINT etlre_batch", 0, NULL, NULL) &&
	    tgt_exec(x->tgt, "RELEASE SAVEPOINT etlre_batch", 0, NULL, NULL))
		return COPY_ROW_REFUSED;
	return COPY_FAILED;
}

static bool flush_batch(window_ctx *x)
{
	batch *b = &x->b;
	bool ok = true;

	if (b->streaming) {
		if (b->binary)
			bin_add_trailer(&b->data);
		copy_outcome o = stream_send(x) ? stream_finish(x) : COPY_FAILED;
		if (o == COPY_ROW_REFUSED && b->binary) {
			/* bisected as text, like any batch (copy_format.h) */
			log_debug("table %s hour %s: the COPY binary batch was refused (%s); sent "
				  "again as COPY text", x->p->cfg->name, x->hour_iso,
				  tgt_last_error(x->tgt)->message);
			copy_kept_to_text(&b->data, b->row_end, &x->fmt, &b->keep, b->nrows);
			b->binary = false;
		}
		if (o == COPY_ROW_REFUSED)
			ok = after_refusal(x, 0, b->nrows, true);
		else
			ok = o == COPY_OK;
	}
	sb_reset(&b->data);
	sb_reset(&b->keep);
	b->nrows = 0;
	return ok && flush_rejects(x);
}

/* text_from_here: a value has no binary form: the batch so far is sent and
 * the rest of the window goes as COPY text */
static bool text_from_here(window_ctx *x)
{
	log_debug("table %s hour %s: a value has no COPY binary form; the rest of the hour is "
		  "sent as COPY text", x->p->cfg->name, x->hour_iso);
	copy_format_release(&x->fmt);
	return flush_batch(x);
}

static bool encode_row(window_ctx *x, char **vals, unsigned long *lens)
{
	batch *b = &x->b;

	if (!b->streaming && !stream_start(x))
		return false;
	if (!b->binary)
		copy_text_row(&b->data, &x->fmt, vals, lens);
	else if (!copy_binary_row(&b->data, &b->keep, &x->fmt, vals, lens))
		return text_from_here(x) && encode_row(x, vals, lens);
	if (b->nrows == b->cap) {
		b->cap = b->cap ? 2 * b->cap : 1024;
		b->row_end = xrealloc(b->row_end, sizeof(size_t) * (size_t)b->cap);
	}
	b->row_end[b->nrows++] = b->data.len;
	if (b->data.len - b->sent < STREAM_CHUNK_BYTES)
		return true;
	if (!x->pipe) /* started for hours of more than a chunk; small ones go inline */
		x->pipe = copy_pipe_new(x->tgt);
	return stream_send(x);
}

/* count_in_hour: a row of a group counted in its hour (by its time value,
 * as the source's WHERE compares it); false (the group fails) when that
 * cannot be told */
static bool count_in_hour(window_ctx *x, const char *v, unsigned long len)
{
	int64_t t, hour;

	if (!v || !naive_parse(v, len, &t)) {
		fail(x, ERRCLASS_INTERNAL, "a time value of the group is not a date and time");
		return false;
	}
	hour = (t >= 0 ? t : t - 3599) / 3600 - x->w.start_hour;
	if (hour < 0 || hour >= x->w.hours) {
		fail(x, ERRCLASS_INTERNAL, "a row's time is outside the group's hours");
		return false;
	}
	x->per_hour[hour].read++;
	x->per_hour[hour].loaded++; /* a group loads every row or fails */
	x->row_hour = (int)hour;
	return true;
}

/* count_group_move: a row of a group whose key an hour after its own
 * deleted counts as moved in, as loading the hours one by one would count
 * it (load_group.h); the old hour then did not delete it */
static void count_group_move(window_ctx *x, char **vals, unsigned long *lens)
{
	int old = group_keys_hour(&x->keys, x->p, vals, lens, &x->keybuf);
	char from[20], to[20];

	if (old <= x->row_hour)
		return;
	x->per_hour[x->row_hour].moved++;
	x->per_hour[old].deleted--;
	x->res->n.moved++;
	x->res->n.deleted--;
	if (!log_enabled(LOG_DEBUG))
		return;
	sb_reset(&x->scratch);
	format_key(x, &x->scratch, vals, lens);
	hour_format_iso(x->w.start_hour + old, from);
	hour_format_iso(x->w.start_hour + x->row_hour, to);
	log_debug("table %s hour %s: key %s moved in from hour %s", x->p->cfg->name, to,
		  x->scratch.buf, from);
}

/* process_row: validate, then encode or reject; false when the window must stop */
static bool process_row(window_ctx *x, char **vals, unsigned long *lens)
{
	const table_plan *p = x->p;
	char rule[192], reason[256];

	if (x->per_hour && !count_in_hour(x, vals[p->time_idx], lens[p->time_idx]))
		return false;
	for (int i = 0; i < p->ncols; i++) {
		typemap_convert(&p->cols[i], &vals[i], &lens[i]);
		if (!validate_value(&p->cols[i], vals[i], lens[i], rule, sizeof(rule), reason,
				    sizeof(reason)))
			return reject_row(x, vals, lens, i, NULL, rule, reason);
	}
	for (int c = 0; c < p->nchecks; c++) {
		const char *v = vals[p->ncols + c];
		if (!v || strcmp(v, "1") != 0) {
			snprintf(rule, sizeof(rule), "check.%s", p->checks[c].name);
			snprintf(reason, sizeof(reason), "%.200s is not true", p->checks[c].expr);
			/* a rule on one column is reported like a column's rule */
			int col = p->checks[c].ncols == 1 ? p->checks[c].cols[0] : -1;
			return reject_row(x, vals, lens, col, col < 0 ? &p->checks[c] : NULL, rule,
					  reason);
		}
	}
	if (x->per_hour)
		count_group_move(x, vals, lens);
	if (!encode_row(x, vals, lens))
		return false;
	if (x->b.nrows >= x->run->chunk_rows || x->b.data.len + x->b.keep.len >= BATCH_MAX_BYTES)
		return flush_batch(x);
	return true;
}

/* partitions_ready: a partitioned target's partitions hold the window, or
 * the hour fails naming the one to create (partition.h), before any row */
static bool partitions_ready(window_ctx *x)
{
	char *why;

	if (partition_ready(x->tgt, x->p, x->w, &why))
		return true;
	if (why)
		fail(x, ERRCLASS_INTERNAL, "%s", why);
	free(why);
	return false;
}

/* deleted_row: a row of group_delete_sql's answer into the window's hours */
static bool deleted_row(void *ctx, int ncols, char **v)
{
	window_ctx *x = ctx;
	long i = ncols >= 3 && v[0] ? strtol(v[0], NULL, 10) : -1;

	if (i < 0 || i >= x->w.hours)
		return true;
	x->per_hour[i].deleted = v[1] ? strtoll(v[1], NULL, 10) : 0;
	x->res->n.deleted += x->per_hour[i].deleted;
	free(x->deleted_keys[i]);
	x->deleted_keys[i] = v[2] ? xstrdup(v[2]) : NULL;
	return true;
}

/* group_locked: BEGIN and a group's advisory locks, taken without waiting
 * (st[0] and st[1], as lock_and_delete builds them): a group whose hour
 * another run is loading fails at once, and its hours are loaded one by one,
 * each waiting for its own lock as usual */
static bool group_locked(window_ctx *x, tgt_stmt *st)
{
	int64_t all = 0;
	tgt_stmt try[2] = { st[0], st[1] };

	try[1].sql = "SELECT bool_and(pg_try_advisory_xact_lock(hashtext($1), h::int))::int"
		     " FROM generate_series($2::bigint, $3::bigint) h";
	try[1].value = &all;
	if (!tgt_exec_pipeline(x->tgt, try, 2))
		return false;
	if (all != 1)
		fail(x, ERRCLASS_INTERNAL, "an hour of the group is being loaded by another run");
	return all == 1;
}

/* lock_and_delete: BEGIN, the window's advisory locks, the DELETE of its
 * target rows (replace mode) and of its old rejects, and (replace mode) the
 * first batch's savepoint, sent in one round trip. A group deletes all its
 * hours at once, learning each hour's deleted rows and their keys. */
static bool lock_and_delete(window_ctx *x)
{
	char first[24], last[24];
	const char *lock_params[] = { x->p->lock_key, first, last };
	const char *window_params[] = { x->from, x->to, x->bounds_array };
	const char *rejects_params[] = { x->p->cfg->name, x->from, x->to };
	char *rejects_sql = x->per_hour ? ledger_rejects_clear_range_sql(x->run->schema)
					: ledger_rejects_clear_sql(x->run->schema);
	char *group_sql = x->per_hour ? group_delete_sql(x->p) : NULL;
	tgt_stmt st[5] = {
		{ .sql = "BEGIN" },
		{ .sql = "SELECT pg_advisory_xact_lock(hashtext($1), h::int)"
			 " FROM generate_series($2::bigint, $3::bigint) h",
		  .nparams = 3, .params = lock_params },
	};
	int n = 2;
	bool ok = true;

	snprintf(first, sizeof(first), "%lld", (long long)x->w.start_hour);
	snprintf(last, sizeof(last), "%lld", (long long)(x->w.start_hour + x->w.hours - 1));
	if (x->per_hour && !group_locked(x, st)) {
		free(group_sql);
		free(rejects_sql);
		return false;
	}
	if (x->per_hour)
		n = 0;
	if (x->p->range_partitioned) {
		/* the partitions are checked (and created) under the hour's lock,
		 * before its delete: one more round trip, partitioned targets only */
		ok = (n == 0 || tgt_exec_pipeline(x->tgt, st, n)) && partitions_ready(x);
		n = 0;
	}
	if (group_sql) /* groups are never in merge mode */
		st[n++] = (tgt_stmt){ .sql = group_sql, .nparams = 3, .params = window_params,
				      .fn = deleted_row, .fn_ctx = x };
	else if (!x->p->merge) /* merge deletes after the COPY */
		st[n++] = (tgt_stmt){ .sql = x->p->delete_sql, .nparams = 2, .params = window_params,
				      .affected = &x->res->n.deleted };
	if (!x->run->dry_run)
		st[n++] = (tgt_stmt){ .sql = rejects_sql, .nparams = x->per_hour ? 3 : 2,
				      .params = rejects_params };
	if (!x->p->merge) /* merge creates its staging table first */
		st[n++] = (tgt_stmt){ .sql = "SAVEPOINT etlre_batch" };
	ok = ok && (n == 0 || tgt_exec_pipeline(x->tgt, st, n)) &&
	     (!x->p->merge || merge_begin(x->tgt, x->p));
	x->savepoint_ready = ok && !x->p->merge;
	if (ok && x->per_hour)
		group_keys_init(&x->keys, x->p, x->deleted_keys, x->w.hours);
	free(group_sql);
	free(rejects_sql);
	return ok;
}

/* the hour's rows and primary key span, from plan.h's source_range_sql */
typedef struct key_range {
	int64_t count;
	char lo[24], hi[24];
	bool dense; /* read the hour by the key range lo..hi */
} key_range;

/* is_integer_text: an optional minus and 1 to 20 digits (BIGINT and BIGINT
 * UNSIGNED), so that the value fits key_range's buffers and is SQL-safe */
static bool is_integer_text(const char *v)
{
	const char *digits = v && *v == '-' ? v + 1 : v;
	size_t n = digits ? strlen(digits) : 0;

	return n > 0 && n <= 20 && strspn(digits, "0123456789") == n;
}

static bool key_range_row(void *ctx, unsigned int ncols, char **row, unsigned long *lengths)
{
	key_range *k = ctx;

	(void)lengths;
	if (ncols < 4)
		return true;
	k->count = row[0] ? strtoll(row[0], NULL, 10) : 0;
	k->dense = row[3] && strcmp(row[3], "1") == 0 && is_integer_text(row[1]) &&
		   is_integer_text(row[2]);
	if (k->dense) {
		snprintf(k->lo, sizeof(k->lo), "%s", row[1]);
		snprintf(k->hi, sizeof(k->hi), "%s", row[2]);
	}
	return true;
}

/* rows_sql: the SELECT of the hour's rows. With key-range reads (plan.h) the
 * hour is counted first, in the snapshot, and *counted is set */
static char *rows_sql(window_ctx *x, int64_t *source_count, bool *counted)
{
	key_range k = { 0 };
	char *sql;
	bool ok;

	*counted = false;
	if (!x->p->source_range_sql)
		return plan_source_sql(x->p, x->p->select_sql, x->from, x->to);
	sql = plan_source_sql(x->p, x->p->source_range_sql, x->from, x->to);
	ok = src_query(x->src, sql, key_range_row, &k);
	free(sql);
	if (!ok)
		return NULL;
	*source_count = k.count;
	*counted = true;
	if (!k.dense)
		return plan_source_sql(x->p, x->p->select_sql, x->from, x->to);
	log_debug("table %s hour %s: %lld rows, read by the key range %s..%s", x->p->cfg->name,
		  x->hour_iso, (long long)k.count, k.lo, k.hi);
	return plan_source_sql_keyrange(x->p, k.lo, k.hi, x->from, x->to);
}

static bool stream_source(window_ctx *x, int64_t *source_count)
{
	char *sql;
	char **row;
	unsigned long *lens;
	int r;
	bool ok, counted;

	if (!src_exec(x->src, "START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY"))
		return false;
	sql = rows_sql(x, source_count, &counted);
	if (!sql)
		return false;
	ok = src_stream_open(x->src, sql);
	free(sql);
	if (!ok)
		return false;
	while ((r = src_stream_next(x->src, &row, &lens)) == 1) {
		x->res->n.read++;
		if ((x->res->n.read & 4095) == 0 && x->run->progress)
			x->run->progress(x->run->progress_ctx);
		if ((x->res->n.read & 4095) == 0 && signals_caught()) {
			x->res->status = WINDOW_INTERRUPTED;
			src_stream_close(x->src);
			return false;
		}
		if (!process_row(x, row, lens)) {
			src_stream_close(x->src);
			return false;
		}
	}
	src_stream_close(x->src);
	if (r < 0)
		return false;
	x->last_batch = !x->p->merge; /* merge sends its own statements next */
	if (counted)
		return flush_batch(x) && src_exec(x->src, "COMMIT");
	/* the source counts the hour in the same snapshot (the transaction's
	 * read view) while the target takes the end of the COPY */
	sql = plan_source_sql(x->p, x->p->source_count_sql, x->from, x->to);
	ok = src_query_int64_send(x->src, sql);
	free(sql);
	if (!ok || !flush_batch(x) || !src_query_int64_recv(x->src, source_count))
		return false;
	return src_exec(x->src, "COMMIT");
}

/* count_check_failed: the target's count of an hour against the rows
 * loaded (merge mode may keep rows that moved: they count at most once) */
static bool count_check_failed(window_ctx *x, int64_t target_count, int64_t loaded)
{
	if (target_count >= loaded && target_count <= loaded + x->merge_kept)
		return false;
	fail(x, ERRCLASS_INTERNAL,
	     "count check: the target holds %lld rows for the hour but %lld were loaded (%lld kept)",
	     (long long)target_count, (long long)loaded, (long long)x->merge_kept);
	return true;
}

/* group_count_row: a row of group_count_sql's answer into ctx's counts */
typedef struct group_counts {
	int64_t *count;
	int n;
} group_counts;

static bool group_count_row(void *ctx, int ncols, char **v)
{
	group_counts *g = ctx;
	long i = ncols >= 2 && v[0] ? strtol(v[0], NULL, 10) : -1;

	if (i >= 0 && i < g->n)
		g->count[i] = v[1] ? strtoll(v[1], NULL, 10) : 0;
	return true;
}

/* add_check_statements: into st from *ns on, the target's count of the
 * window (of each hour of a group) and its ledger rows (not in a dry run) */
static void add_check_statements(window_ctx *x, tgt_stmt *st, int *ns, int64_t *target_count,
				 group_counts *gc, const char **params, ledger_done *d,
				 ledger_done_many *dm, char **group_sql, char **hours, double seconds)
{
	const char *table = x->p->cfg->name, *schema = x->run->schema;

	params[0] = x->from;
	params[1] = x->to;
	params[2] = x->bounds_array;
	if (!x->per_hour) {
		st[(*ns)++] = (tgt_stmt){ .sql = x->p->target_count_sql, .nparams = 2,
					  .params = params, .value = target_count };
		if (x->run->dry_run)
			return;
		ledger_hour_done_stmt(d, schema, x->run->job_id, table, x->from, &x->res->n, seconds);
		st[(*ns)++] = (tgt_stmt){ .sql = d->sql, .nparams = LEDGER_DONE_NPARAMS,
					  .params = d->params };
		return;
	}
	*gc = (group_counts){ target_count, x->w.hours };
	*group_sql = group_count_sql(x->p);
	st[(*ns)++] = (tgt_stmt){ .sql = *group_sql, .nparams = 3, .params = params,
				  .fn = group_count_row, .fn_ctx = gc };
	if (x->run->dry_run)
		return;
	*hours = group_bounds(x->bounds, x->w.hours);
	ledger_hours_done_stmt(dm, schema, x->run->job_id, table, *hours, x->per_hour, x->w.hours,
			       seconds / x->w.hours);
	st[(*ns)++] = (tgt_stmt){ .sql = dm->sql, .nparams = LEDGER_DONE_NPARAMS,
				  .params = dm->params };
}

/* check_counts: source = read = loaded + rejected, then the target's count
 * of the window (of each hour of a group), sent with its ledger rows (not in
 * a dry run) in one round trip: the ledger rows are rolled back with the
 * rest when a count is off */
static bool check_counts(window_ctx *x, int64_t source_count, double t0)
{
	hour_counts *n = &x->res->n;
	int hours = x->per_hour ? x->w.hours : 1;
	int64_t *target_count = xcalloc((size_t)hours, sizeof(int64_t));
	ledger_done d = { .sql = NULL };
	ledger_done_many dm = { .sql = NULL };
	group_counts gc;
	tgt_stmt st[3];
	const char *params[3];
	char *group_sql = NULL, *hour_list = NULL;
	int ns = 0;
	bool ok = false;

	if (n->read != source_count) {
		fail(x, ERRCLASS_INTERNAL, "count check: the source snapshot holds %lld rows but %lld were read",
		     (long long)source_count, (long long)n->read);
		goto out;
	}
	if (n->read != n->loaded + n->rejected) {
		fail(x, ERRCLASS_INTERNAL, "count check: %lld rows read but %lld loaded + %lld rejected",
		     (long long)n->read, (long long)n->loaded, (long long)n->rejected);
		goto out;
	}
	if (x->release_pending)
		st[ns++] = (tgt_stmt){ .sql = "RELEASE SAVEPOINT etlre_batch" };
	add_check_statements(x, st, &ns, target_count, &gc, params, &d, &dm, &group_sql, &hour_list,
			     now_monotonic() - t0);
	ok = tgt_exec_pipeline(x->tgt, st, ns);
	for (int i = 0; ok && i < hours; i++)
		ok = !count_check_failed(x, target_count[i],
					 x->per_hour ? x->per_hour[i].loaded : n->loaded);
out:
	free(d.sql);
	if (dm.sql)
		ledger_done_many_release(&dm);
	free(group_sql);
	free(hour_list);
	free(target_count);
	return ok;
}

/* merge_hook: mode = merge: from the staged rows to the target (load_merge.h) */
static bool merge_hook(window_ctx *x)
{
	merge_window mw = { .src = x->src, .tgt = x->tgt, .p = x->p, .from = x->from, .to = x->to,
			    .hour_iso = x->hour_iso, .res = x->res, .reject = reject_refused,
			    .reject_ctx = x };
	bool ok = merge_apply(&mw) && flush_rejects(x);

	x->merge_kept = mw.kept;
	return ok;
}

static void fail_from_connections(window_ctx *x)
{
	if (x->res->error)
		return;
	/* whichever side failed last set its error; prefer the target's */
	const tgt_error *te = tgt_last_error(x->tgt);
	const src_error *se = src_last_error(x->src);
	if (te->message[0])
		fail(x, te->cls, "target: %s", te->message);
	else if (se->message[0])
		fail(x, se->cls, "source: %s", se->message);
	else
		fail(x, ERRCLASS_INTERNAL, "unknown failure");
}

/* log_done: the hour_done line of a loaded window, or of each hour of a
 * group: one line per hour (on a terminal the progress line says as much) */
static void log_done(const window_ctx *x)
{
	int hours = x->per_hour ? x->w.hours : 1;
	const window_result *res = x->res;

	for (int i = 0; i < hours && log_enabled(log_hour_level()); i++) {
		const hour_counts *n = x->per_hour ? &x->per_hour[i] : &res->n;
		double seconds = res->seconds / hours;
		char iso[20];

		hour_format_iso(x->w.start_hour + i, iso);
		if (x->per_hour)
			log_set_context(x->run->job_id, x->p->cfg->name, iso);
		log_event(log_hour_level(),
			  &(log_fields){ .event = x->run->dry_run ? "hour_dry_run" : "hour_done",
					 .has_counts = true, .rows_read = n->read,
					 .rows_loaded = n->loaded, .rows_rejected = n->rejected,
					 .rows_deleted = n->deleted, .rows_moved = n->moved,
					 .seconds = seconds },
			  "table %s hour %s: %s%lld rows read, %lld loaded, %lld rejected, %lld deleted, "
			  "%lld moved in from other hours in %.2fs%s",
			  x->p->cfg->name, x->per_hour ? iso : x->hour_iso,
			  x->run->dry_run ? "dry run: " : "", (long long)n->read, (long long)n->loaded,
			  (long long)n->rejected, (long long)n->deleted, (long long)n->moved, seconds,
			  x->per_hour ? " (loaded with the next small hours in one transaction)" : "");
	}
}

/* log_failed: a failed window's error line and its record in the job; a
 * group's failure is only logged at debug (its hours are loaded one by one) */
static void log_failed(const window_ctx *x)
{
	window_result *res = x->res;

	if (x->per_hour) {
		log_debug("table %s: the %d small hours from %s could not be loaded together (%s); "
			  "they are loaded one by one",
			  x->p->cfg->name, x->w.hours, x->hour_iso, res->error);
		return;
	}
	log_event(LOG_ERROR,
		  &(log_fields){ .event = "hour_failed", .error_class = err_class_name(res->cls),
				 .seconds = res->seconds },
		  "table %s hour %s: failed [%s]: %s; the hour keeps its previous content",
		  x->p->cfg->name, x->hour_iso, err_class_name(res->cls), res->error);
	if (!x->run->dry_run &&
	    !ledger_hour_failed(x->tgt, x->run->schema, x->run->job_id, x->p->cfg->name, x->from,
				err_class_name(res->cls), res->error, res->seconds))
		log_warn("could not record the failure of hour %s in etlre's tables", x->hour_iso);
}

/* load_any: load_window, or load_group when per_hour is not NULL */
static bool load_any(src_conn *src, tgt_conn *tgt, const table_plan *p, load_run *run, window w,
		     window_result *res, hour_counts *per_hour)
{
	window_ctx x;
	int64_t source_count = 0;
	double t0 = now_monotonic();
	bool ok;

	memset(res, 0, sizeof(*res));
	memset(&x, 0, sizeof(x));
	x.src = src;
	x.tgt = tgt;
	x.p = p;
	x.run = run;
	x.w = w;
	x.res = res;
	hour_format_sql(w.start_hour, x.from);
	hour_format_sql(w.start_hour + w.hours, x.to);
	hour_format_iso(w.start_hour, x.hour_iso);
	if (per_hour) {
		memset(per_hour, 0, sizeof(*per_hour) * (size_t)w.hours);
		x.per_hour = per_hour;
		x.bounds = xcalloc((size_t)w.hours + 1, sizeof(*x.bounds));
		x.deleted_keys = xcalloc((size_t)w.hours, sizeof(char *));
		for (int i = 0; i <= w.hours; i++)
			hour_format_sql(w.start_hour + i, x.bounds[i]);
		x.bounds_array = group_bounds(x.bounds, w.hours + 1);
	}
	copy_buffer_take(&x.b.data, 1 << 16); /* kept from the previous window */
	copy_buffer_take(&x.b.keep, 1 << 16);
	copy_format_init(&x.fmt, p->cols, p->ncols, p->copy_sql, p->cfg->name, x.hour_iso);
	sb_init(&x.rejects, 1024);
	sb_init(&x.scratch, 1024);
	sb_init(&x.keybuf, 256);
	x.rejects_copy_sql = ledger_rejects_copy_sql(run->schema);
	x.pipe = NULL; /* encode_row starts the writer thread once an hour needs it */
	moved_window_init(&x.moved, tgt, p, x.from, x.to, x.hour_iso);
	log_set_context(run->job_id, p->cfg->name, x.hour_iso);

	/* errors left by an earlier window must not be blamed on this one */
	tgt_clear_error(tgt);
	src_clear_error(src);
	ok = lock_and_delete(&x) && stream_source(&x, &source_count) &&
	     (!p->merge || merge_hook(&x)) && check_counts(&x, source_count, t0);
	if (ok && signals_caught())
		res->status = WINDOW_INTERRUPTED, ok = false;
	if (ok)
		ok = tgt_exec(tgt, run->dry_run ? "ROLLBACK" : "COMMIT", 0, NULL, NULL);

	res->seconds = now_monotonic() - t0;
	if (ok) {
		log_done(&x);
	} else {
		/* the writer thread gives the connection back before the rollback */
		if (!stream_drain(&x))
			log_debug("the COPY writer thread stopped after a failed send");
		src_rollback(src);
		tgt_exec_quiet(tgt, "ROLLBACK");
		if (signals_caught()) /* a statement cancelled by the signal handler */
			res->status = WINDOW_INTERRUPTED;
		if (res->status == WINDOW_INTERRUPTED) {
			free(res->error);
			res->error = xstrdup("interrupted; the hour was rolled back");
			log_event(LOG_WARN, &(log_fields){ .event = "hour_interrupted" },
				  "table %s hour %s: interrupted, rolled back", p->cfg->name, x.hour_iso);
		} else {
			fail_from_connections(&x);
			res->status = WINDOW_FAILED;
			log_failed(&x);
		}
		res->n.loaded = 0; /* nothing of it was committed */
	}
	log_set_context(run->job_id, NULL, NULL);
	copy_buffer_give(&x.b.data);
	copy_buffer_give(&x.b.keep);
	copy_format_release(&x.fmt);
	free(x.b.row_end);
	sb_release(&x.rejects);
	sb_release(&x.scratch);
	free(x.rejects_copy_sql);
	free(x.bounds);
	for (int i = 0; per_hour && i < w.hours; i++)
		free(x.deleted_keys[i]);
	free(x.deleted_keys);
	free(x.bounds_array);
	group_keys_release(&x.keys);
	sb_release(&x.keybuf);
	copy_pipe_free(x.pipe);
	moved_window_release(&x.moved);
	return ok;
}

bool load_window(src_conn *src, tgt_conn *tgt, const table_plan *p, load_run *run, window w,
		 window_result *res)
{
	return load_any(src, tgt, p, run, w, res, NULL);
}

bool load_group(src_conn *src, tgt_conn *tgt, const table_plan *p, load_run *run, window w,
		window_result *res, hour_counts *per_hour)
{
	return load_any(src, tgt, p, run, w, res, per_hour);
}

void window_result_release(window_result *res)
{
	free(res->error);
	res->error = NULL;
}
