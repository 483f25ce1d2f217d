/*
 * load_reject.c: the rows a window cannot load (see load_ctx.h): an invalid
 * row fails the window naming table, hour, key, column, value and rule, or
 * under --skip-invalid goes to etlre.rejects and the rejects file with its
 * raw values; a row the target refuses is handled the same way.
 */
#include "load_ctx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "encode.h"
#include "json.h"
#include "log.h"

#define VALUE_SHOWN_MAX 120

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

void load_format_key(window_ctx *x, strbuf *sb, char **vals, unsigned long *lens)
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

/* describe: the rejected row's key, column and value as messages show them
 * (for a check rule: the columns it mentions and their values) */
static void describe(window_ctx *x, char **vals, unsigned long *lens, int col,
		     const check_rule *rule_of_check, strbuf *key, strbuf *column, strbuf *value)
{
	const table_plan *p = x->p;

	load_format_key(x, key, vals, lens);
	if (col >= 0) {
		sb_adds(column, p->cols[col].name);
		if (vals[col])
			sb_add(value, vals[col], lens[col]);
		return;
	}
	for (int i = 0; rule_of_check && i < rule_of_check->ncols; i++) {
		int c = rule_of_check->cols[i];
		if (i) {
			sb_adds(column, ",");
			sb_adds(value, ", ");
		}
		sb_adds(column, p->cols[c].name);
		sb_addf(value, "%s=", p->cols[c].name);
		show_value(value, vals[c], lens[c]);
	}
}

/* fail_invalid: without --skip-invalid, the window fails naming the row */
static void fail_invalid(window_ctx *x, char **vals, unsigned long *lens, int col,
			 const strbuf *key, const strbuf *column, const strbuf *value,
			 const char *rule, const char *reason)
{
	strbuf shown;

	sb_init(&shown, 128);
	if (col >= 0)
		show_value(&shown, vals[col], lens[col]);
	else
		sb_add(&shown, value->buf, value->len);
	load_fail(x, ERRCLASS_INVALID_DATA,
		  "invalid row in table %s, hour %s, key %s: column %s value %s breaks rule %s (%s)",
		  x->p->cfg->name, x->hour_iso, key->buf, column->len ? column->buf : "-",
		  shown.len ? shown.buf : "-", rule, reason);
	if (strncmp(rule, "constraint", 10) == 0)
		x->res->cls = ERRCLASS_CONSTRAINT;
	sb_release(&shown);
}

/* raw_json: the row's raw values as a JSON object into raw */
static void raw_json(const table_plan *p, char **vals, unsigned long *lens, strbuf *raw)
{
	sb_addc(raw, '{');
	for (int i = 0; i < p->ncols; i++) {
		if (i)
			sb_addc(raw, ',');
		json_add_string(raw, p->cols[i].name);
		sb_addc(raw, ':');
		if (vals[i] && !utf8_valid(vals[i], lens[i], NULL)) {
			/* jsonb cannot hold NUL or bad UTF-8: keep the bytes in hex */
			strbuf hex;
			sb_init(&hex, 2 * lens[i] + 4);
			copy_add_bytea(&hex, vals[i], lens[i]);
			json_add_stringn(raw, hex.buf + 1, hex.len - 1); /* one backslash */
			sb_release(&hex);
		} else if (vals[i]) {
			json_add_stringn(raw, vals[i], lens[i]);
		} else {
			sb_adds(raw, "null");
		}
	}
	sb_addc(raw, '}');
}

/* record: the reject into etlre.rejects' COPY text and the rejects file */
static void record(window_ctx *x, const strbuf *key, const strbuf *column, const strbuf *value,
		   bool has_value, const char *rule, const char *reason, const strbuf *raw)
{
	const table_plan *p = x->p;
	reject_record rec = { x->run->job_id, p->cfg->name, x->from, key->buf, key->len,
			      column->len ? column->buf : NULL, has_value ? value->buf : NULL,
			      value->len, rule, reason, raw->buf, raw->len };

	ledger_reject_encode(&x->rejects, &rec);
	if (!x->run->rfile)
		return;
	char job[24];
	snprintf(job, sizeof(job), "%lld", (long long)x->run->job_id);
	const char *f[REJECT_NFIELDS] = {
		[REJECT_JOB_ID] = job,       [REJECT_TABLE] = p->cfg->name,
		[REJECT_HOUR] = x->hour_iso, [REJECT_KEY] = key->buf,
		[REJECT_COLUMN] = column->buf, [REJECT_VALUE] = value->buf,
		[REJECT_RULE] = rule,        [REJECT_REASON] = reason,
		[REJECT_RAW] = raw->buf,
	};
	size_t l[REJECT_NFIELDS];
	for (int i = 0; i < REJECT_NFIELDS; i++)
		l[i] = strlen(f[i]);
	l[REJECT_KEY] = key->len; /* these may hold NUL bytes */
	l[REJECT_COLUMN] = column->len;
	l[REJECT_VALUE] = value->len;
	l[REJECT_RAW] = raw->len;
	rejects_file_add(x->run->rfile, f, l);
}

bool load_reject_row(window_ctx *x, char **vals, unsigned long *lens, int col,
		     const check_rule *rule_of_check, const char *rule, const char *reason)
{
	const table_plan *p = x->p;
	strbuf key, column, value, raw;
	bool go_on = true;

	if (x->per_hour) { /* its hours are loaded one by one, where it is handled */
		load_fail(x, ERRCLASS_INVALID_DATA, "a row is invalid (rule %s)", rule);
		return false;
	}
	sb_init(&key, 64);
	sb_init(&column, 64);
	sb_init(&value, 128);
	describe(x, vals, lens, col, rule_of_check, &key, &column, &value);
	if (!x->run->skip_invalid) {
		fail_invalid(x, vals, lens, col, &key, &column, &value, rule, reason);
		go_on = false;
		goto out;
	}
	x->res->n.rejected++;
	x->run->total_rejected++;
	log_debug("table %s hour %s: rejected key %s: %s (%s)", p->cfg->name, x->hour_iso, key.buf,
		  rule, reason);
	if (!x->run->dry_run) {
		sb_init(&raw, 256);
		raw_json(p, vals, lens, &raw);
		record(x, &key, &column, &value, col >= 0 || rule_of_check, rule, reason, &raw);
		sb_release(&raw);
	}
	if (x->run->max_rejects >= 0 && x->run->total_rejected > x->run->max_rejects) {
		load_fail(x, ERRCLASS_INVALID_DATA,
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

bool load_flush_rejects(window_ctx *x)
{
	int64_t n;

	if (x->rejects.len == 0)
		return true;
	if (!tgt_copy_begin(x->tgt, x->rejects_copy_sql) ||
	    !tgt_copy_put(x->tgt, x->rejects.buf, x->rejects.len) || !tgt_copy_end(x->tgt, &n)) {
		const tgt_error *e = tgt_last_error(x->tgt);
		load_fail(x, e->cls, "cannot record rejected rows: %s", e->message);
		return false;
	}
	sb_reset(&x->rejects);
	return true;
}

/* reject_refused: a row the target refused with e (a window_ctx as void *,
 * a merge_reject_fn); false when the window must stop */
bool load_reject_refused(void *ctx, char **vals, unsigned long *lens, const tgt_error *e)
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
	return load_reject_row(x, vals, lens, col, NULL, rule, reason);
}
