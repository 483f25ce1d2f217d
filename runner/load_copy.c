/*
 * load_copy.c: a window's batches and their COPY (see load_ctx.h).
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
#include "load_ctx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "encode.h"
#include "log.h"

typedef enum { COPY_OK, COPY_ROW_REFUSED, COPY_FAILED } copy_outcome;

static bool after_refusal(window_ctx *x, int lo, int hi, bool may_relocate);

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
			load_fail(x, ERRCLASS_INTERNAL, "COPY loaded %lld rows of %d sent", (long long)n,
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
	load_fail(x, err->cls, "target: %s", err->message);
	return COPY_FAILED;
}

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
		load_fail(x, e.cls, "the target refused a row: %s", e.message);
		return false;
	}
	if (may_relocate && moved_applies(x->p, &e)) {
		size_t s = row_start(&x->b, lo), end = x->b.row_end[hi - 1];
		if (!moved_relocate(&x->moved, x->b.data.buf + s, end - s, &moved)) {
			const tgt_error *err = tgt_last_error(x->tgt);
			load_fail(x, err->cls, "cannot remove the old copy of a row that moved to this hour: %s%s%s",
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
		ok = load_reject_refused(x, vals, lens, &e);
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
bool load_stream_drain(window_ctx *x)
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
		if (!load_stream_drain(x))
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
	if (!load_stream_drain(x)) {
		tgt_copy_abort(x->tgt, "etlre: sending failed");
		return COPY_FAILED;
	}
	if (tgt_copy_end(x->tgt, &n)) {
		if (x->last_batch)
			x->release_pending = true;
		else if (!tgt_exec(x->tgt, "RELEASE SAVEPOINT etlre_batch", 0, NULL, NULL))
			return COPY_FAILED;
		if (n != b->nrows) {
			load_fail(x, ERRCLASS_INTERNAL, "COPY loaded %lld rows of %d sent", (long long)n,
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

bool load_flush_batch(window_ctx *x)
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
	return ok && load_flush_rejects(x);
}

/* text_from_here: a value has no binary form: the batch so far is sent and
 * the rest of the window goes as COPY text */
static bool text_from_here(window_ctx *x)
{
	log_debug("table %s hour %s: a value has no COPY binary form; the rest of the hour is "
		  "sent as COPY text", x->p->cfg->name, x->hour_iso);
	copy_format_release(&x->fmt);
	return load_flush_batch(x);
}

bool load_encode_row(window_ctx *x, char **vals, unsigned long *lens)
{
	batch *b = &x->b;

	if (!b->streaming && !stream_start(x))
		return false;
	if (!b->binary)
		copy_text_row(&b->data, &x->fmt, vals, lens);
	else if (!copy_binary_row(&b->data, &b->keep, &x->fmt, vals, lens))
		return text_from_here(x) && load_encode_row(x, vals, lens);
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
