/*
 * verify_stream.c: verify --deep's per-hour counts and content checksums,
 * made here from the raw columns of the range (README "verify"): the source
 * rows are streamed from MariaDB on this thread while a second thread reads
 * the target's rows from a COPY ... TO STDOUT; each value's canonical text
 * is made in C (canon_c.h, byte for byte canon.c's SQL text), each row's
 * fields are hashed with XXH3 (64 bits), and an hour's checksum is the sum
 * of its rows' hashes modulo 2^64, which does not depend on the rows' order.
 * One row at a time is in memory on each side, whatever the range's size.
 *
 * The hours are then judged as with the server-side checksums (verify.c),
 * and a differing hour is compared key by key (verify_keys.c).
 */
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "canon_c.h"
#include "chunk.h"
#include "log.h"
#include "signals.h"
#include "sqlquote.h"
#include "verify_ctx.h"

/* rows between two looks at signals and at the other side's failure */
#define CHECK_EVERY 4096

/* one side's running sums, one per hour of the range */
typedef struct side_sums {
	uint64_t *sum;
	int64_t *rows;
} side_sums;

typedef struct target_reader {
	vctx *x;
	side_sums s;
	atomic_bool stop;   /* the source side failed: read on without hashing */
	atomic_bool failed; /* this side failed */
	bool ok;
} target_reader;

/* hour_index: the slot of a row whose time column's text is t[0..len) (the
 * hour as the count queries group it: its first 13 characters), or -1 */
static int64_t hour_index(const vctx *x, const char *t, size_t len)
{
	int64_t secs, h;

	if (!t || !naive_parse(t, len >= 19 ? 19 : len, &secs))
		return -1;
	h = (secs >= 0 ? secs : secs - 3599) / 3600 - x->first_hour;
	return h >= 0 && h < x->nhours ? h : -1;
}

/* add_row: hashes the fields of one row of side d into its hour of s */
static void add_row(const vctx *x, canon_dialect d, side_sums *s, strbuf *sb, char *const *v,
		    const size_t *lens)
{
	int64_t h = hour_index(x, v[0], lens[0]);

	if (h < 0)
		return;
	sb_reset(sb);
	for (int i = 0; i < x->ncmp; i++)
		canon_c_field(sb, d, &x->cc[i], v[1 + i], lens[1 + i]);
	s->sum[h] += XXH3_64bits(sb->buf, sb->len);
	s->rows[h]++;
}

/* copy_split: splits a COPY text row (unescaping it in place) into its n
 * fields, NULL for \N; false when it has not n fields */
static bool copy_split(char *line, size_t len, int n, char **v, size_t *lens)
{
	static const char esc_from[] = "bfnrtv", esc_to[] = "\b\f\n\r\t\v";
	size_t i = 0;

	if (len > 0 && line[len - 1] == '\n')
		len--;
	for (int f = 0; f < n; f++) {
		size_t start = i, o = i;

		if (i + 1 < len && line[i] == '\\' && line[i + 1] == 'N' &&
		    (i + 2 == len || line[i + 2] == '\t')) {
			v[f] = NULL;
			lens[f] = 0;
			i += 2;
		} else {
			const char *tab = memchr(line + i, '\t', len - i);
			size_t end = tab ? (size_t)(tab - line) : len;

			if (!memchr(line + i, '\\', end - i)) { /* nothing to unescape */
				v[f] = line + i;
				lens[f] = end - i;
				i = end;
				goto next;
			}
			while (i < len && line[i] != '\t') {
				char ch = line[i++];
				if (ch == '\\' && i < len) {
					const char *e = strchr(esc_from, line[i]);
					ch = e && line[i] ? esc_to[e - esc_from] : line[i];
					i++;
				}
				line[o++] = ch;
			}
			v[f] = line + start;
			lens[f] = o - start;
		}
next:
		if (f + 1 < n) {
			if (i >= len || line[i] != '\t')
				return false;
			i++;
		}
	}
	return i == len;
}

/* target_sql: COPY of the time column and the compared columns' texts */
static char *target_sql(const vctx *x)
{
	const table_plan *p = x->p;
	char from[20], to[20];
	strbuf q;

	hour_format_sql(x->first_hour, from);
	hour_format_sql(x->first_hour + x->nhours, to);
	sb_init(&q, 1024);
	sb_addf(&q, "COPY (SELECT %s", x->pg_exprs[p->time_idx]);
	for (int i = 0; i < x->ncmp; i++) {
		sb_adds(&q, ", ");
		canon_c_target_expr(&q, &p->cols[x->cmp[i]], &x->cc[i], x->pg_exprs[x->cmp[i]]);
	}
	sb_adds(&q, " FROM ");
	quote_pg_ident(&q, p->cfg->target);
	sb_addf(&q, " WHERE %s >= '%s' AND %s < '%s') TO STDOUT", x->pg_exprs[p->time_idx], from,
		x->pg_exprs[p->time_idx], to);
	return sb_detach(&q);
}

static void *target_main(void *arg)
{
	target_reader *t = arg;
	vctx *x = t->x;
	char *sql = target_sql(x), *row;
	int n = 1 + x->ncmp, r;
	char **v = xcalloc((size_t)n, sizeof(char *));
	size_t *lens = xcalloc((size_t)n, sizeof(size_t)), len;
	strbuf sb;

	sb_init(&sb, 1024);
	t->ok = tgt_copy_out_begin(x->tgt, sql);
	while (t->ok && (r = tgt_copy_out_row(x->tgt, &row, &len)) != 0) {
		if (r < 0) {
			t->ok = false;
			break;
		}
		if (!atomic_load(&t->stop)) {
			if (copy_split(row, len, n, v, lens)) {
				add_row(x, CANON_POSTGRES, &t->s, &sb, v, lens);
			} else {
				log_error("target %s: a COPY row of %d columns expected, got: %.100s",
					  x->p->cfg->target, n, row);
				atomic_store(&t->stop, true);
				t->ok = false; /* read on to the end: the connection stays usable */
			}
		}
		tgt_copy_out_free(row);
	}
	if (!t->ok)
		atomic_store(&t->failed, true);
	sb_release(&sb);
	free(v);
	free(lens);
	free(sql);
	return NULL;
}

/* stream_source: the source side, on this thread; false (logged) on a
 * failure, a signal, or when the target side failed */
static bool stream_source(vctx *x, side_sums *s, target_reader *t)
{
	strbuf q, sb;
	char *sql, **row;
	unsigned long *ul;
	size_t *lens = xcalloc((size_t)(1 + x->ncmp), sizeof(size_t));
	int64_t n = 0;
	int r = 0;
	bool ok;

	sb_init(&q, 1024);
	sb_addf(&q, "SELECT %s", x->p->source_time_col);
	for (int i = 0; i < x->ncmp; i++) {
		sb_adds(&q, ", ");
		canon_c_source_expr(&q, &x->p->cols[x->cmp[i]], &x->cc[i], x->my_exprs[x->cmp[i]]);
	}
	sb_adds(&q, " FROM ");
	quote_my_ident(&q, x->p->cfg->source);
	sql = verify_source_sql(x, q.buf, x->first_hour, x->first_hour + x->nhours);
	sb_init(&sb, 1024);
	ok = src_stream_open(x->src, sql);
	while (ok && (r = src_stream_next(x->src, &row, &ul)) > 0) {
		for (int i = 0; i <= x->ncmp; i++)
			lens[i] = ul[i];
		add_row(x, CANON_MARIADB, s, &sb, row, lens);
		if (++n % CHECK_EVERY == 0 && (signals_caught() || atomic_load(&t->failed)))
			break;
	}
	ok = ok && r == 0; /* stopped early: the reason is logged or a signal */
	src_stream_close(x->src);
	sb_release(&sb);
	sb_release(&q);
	free(sql);
	free(lens);
	return ok;
}

/* sums_to_slots: the side's counts and sums (as hex) into the hour slots */
static void sums_to_slots(vctx *x, const side_sums *s, bool target)
{
	for (int64_t i = 0; i < x->nhours; i++) {
		hour_slot *h = &x->slots[i];
		char *sum = target ? h->tgt_sum : h->src_sum;

		*(target ? &h->tgt_rows : &h->src_rows) = s->rows[i];
		if (s->rows[i] > 0)
			snprintf(sum, sizeof(h->src_sum), "%016" PRIx64, s->sum[i]);
	}
}

bool verify_stream_counts(vctx *x)
{
	target_reader t;
	side_sums src;
	sigset_t all, old;
	pthread_t thread;
	bool ok;
	int rc;

	memset(&t, 0, sizeof(t));
	t.x = x;
	atomic_init(&t.stop, false);
	atomic_init(&t.failed, false);
	t.s.sum = xcalloc((size_t)x->nhours, sizeof(uint64_t));
	t.s.rows = xcalloc((size_t)x->nhours, sizeof(int64_t));
	src.sum = xcalloc((size_t)x->nhours, sizeof(uint64_t));
	src.rows = xcalloc((size_t)x->nhours, sizeof(int64_t));

	/* signals stay with the main thread (its handler cancels the target) */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = pthread_create(&thread, NULL, target_main, &t);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		log_error("cannot start a thread to read the target: %s", strerror(rc));
		ok = false;
	} else {
		ok = stream_source(x, &src, &t);
		if (!ok)
			atomic_store(&t.stop, true);
		pthread_join(thread, NULL);
		ok = ok && t.ok;
	}
	if (ok) {
		sums_to_slots(x, &src, false);
		sums_to_slots(x, &t.s, true);
	}
	free(t.s.sum);
	free(t.s.rows);
	free(src.sum);
	free(src.rows);
	return ok;
}
