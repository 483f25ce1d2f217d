/*
 * verify_ctx.h: what verify.c and verify_keys.c share about one table's
 * comparison (internal to verify; commands include verify.h): the hours'
 * slots, the table's comparison context, and the helpers each side uses.
 */
#ifndef ETLRE_VERIFY_CTX_H
#define ETLRE_VERIFY_CTX_H

#include <stdbool.h>
#include <stdint.h>

#include "canon_c.h"
#include "plan.h"
#include "util.h"
#include "verify.h"

/* what one hour of the range holds on each side */
typedef struct hour_slot {
	int64_t src_rows, tgt_rows, rejected;
	int64_t load_start;    /* window start of the hour's last load; -1 if never loaded */
	char src_sum[48], tgt_sum[48]; /* deep: sums of the row hashes in hex, "" when no rows */
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
	canon_c_col *cc;       /* deep: per compared column, how its text is made */
} vctx;

/* verify_source_sql: the source query of p's rows from from_hour to to_hour
 * with prefix as its select list; new, the caller frees it */
char *verify_source_sql(const vctx *x, const char *prefix, int64_t from_hour, int64_t to_hour);
/* verify_add_target_where: " FROM target WHERE time >= $1 AND time < $2" */
void verify_add_target_where(const vctx *x, strbuf *sb);
/* verify_compare_keys: the key-by-key comparison of one differing hour s
 * into h (verify_keys.c). False (logged) when a query failed. */
bool verify_compare_keys(vctx *x, const hour_slot *s, verify_hour *h);
/* verify_stream_counts: every hour's counts and checksums on both sides,
 * streamed and hashed here (verify_stream.c). False (logged) when a side
 * failed or a signal arrived. */
bool verify_stream_counts(vctx *x);

#endif
