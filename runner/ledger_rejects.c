/*
 * ledger_rejects.c: etlre.rejects and etlre.loaded_hours (see ledger.h): the
 * statements that clear and copy an hour's rejected rows, the COPY text of
 * one rejected row, and the time of each table's latest load.
 */
#include "ledger.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "encode.h"
#include "ledger_sql.h"

bool ledger_last_loads(tgt_conn *c, const char *schema, tgt_row_fn fn, void *ctx)
{
	char *table = ledger_expand("@S.loaded_hours", schema);
	const char *params[] = { table };
	int64_t exists;
	bool ok;

	ok = tgt_query_int64(c, "SELECT (to_regclass($1) IS NOT NULL)::int", 1, params, &exists);
	free(table);
	if (ok && exists)
		ok = ledger_run_sql(c, schema,
				    "SELECT table_name, extract(epoch FROM max(loaded_at))"
				    " FROM @S.loaded_hours GROUP BY table_name",
				    0, NULL, fn, ctx);
	return ok;
}

static const char rejects_clear_sql[] =
	"DELETE FROM @S.rejects WHERE table_name = $1 AND hour = $2";

char *ledger_rejects_clear_sql(const char *schema)
{
	return ledger_expand(rejects_clear_sql, schema);
}

char *ledger_rejects_clear_range_sql(const char *schema)
{
	return ledger_expand("DELETE FROM @S.rejects WHERE table_name = $1 AND hour >= $2 AND hour < $3",
		      schema);
}

bool ledger_rejects_clear(tgt_conn *c, const char *schema, const char *table, const char *hour_sql)
{
	const char *params[] = { table, hour_sql };

	return ledger_run_sql(c, schema, rejects_clear_sql, 2, params, NULL, NULL);
}

char *ledger_rejects_copy_sql(const char *schema)
{
	return ledger_expand("COPY @S.rejects (job_id, table_name, hour, row_key, column_name, value,"
		      " rule, reason, raw) FROM STDIN",
		      schema);
}

/* add_copy_field: a value for a COPY text line of etlre.rejects: NULL as \N,
 * UTF-8 as text, anything else in bytea hex form */
static void add_copy_field(strbuf *sb, const char *v, size_t len)
{
	if (!v) {
		copy_add_null(sb);
	} else if (utf8_valid(v, len, NULL)) {
		copy_add_text(sb, v, len);
	} else {
		strbuf hex;
		sb_init(&hex, 2 * len + 4);
		copy_add_bytea(&hex, v, len);
		/* copy_add_bytea escaped the backslash for COPY already */
		sb_add(sb, hex.buf, hex.len);
		sb_release(&hex);
	}
}

void ledger_reject_encode(strbuf *out, const reject_record *r)
{
	sb_addf(out, "%lld\t", (long long)r->job_id);
	copy_add_text(out, r->table, strlen(r->table));
	sb_addf(out, "\t%s\t", r->hour_sql);
	add_copy_field(out, r->key, r->key_len);
	sb_addc(out, '\t');
	if (r->column)
		copy_add_text(out, r->column, strlen(r->column));
	else
		copy_add_null(out);
	sb_addc(out, '\t');
	add_copy_field(out, r->value, r->value_len);
	sb_addc(out, '\t');
	copy_add_text(out, r->rule, strlen(r->rule));
	sb_addc(out, '\t');
	add_copy_field(out, r->reason, strlen(r->reason));
	sb_addc(out, '\t');
	copy_add_text(out, r->raw, r->raw_len);
	sb_addc(out, '\n');
}
