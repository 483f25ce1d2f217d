/*
 * after_day.c: runs a table's after_day SQL file for one day (see
 * after_day.h).
 */
#include "after_day.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "sqlquote.h"

bool after_day_run(tgt_conn *tgt, const table_config *t, const char *day)
{
	FILE *f = fopen(t->after_day, "r");
	strbuf file, sql, lit;
	char buf[4096];
	size_t n;
	bool ok;

	if (!f) {
		log_error("table %s: cannot read after_day file '%s': %s", t->name, t->after_day,
			  strerror(errno));
		return false;
	}
	sb_init(&file, 4096);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		sb_add(&file, buf, n);
	fclose(f);

	/* :day becomes DATE 'YYYY-MM-DD' wherever it stands as a whole token */
	sb_init(&lit, 32);
	sb_adds(&lit, "DATE ");
	quote_pg_literal(&lit, day);
	sb_init(&sql, file.len + 256);
	for (size_t i = 0; i < file.len; i++) {
		const char *p = file.buf + i;
		bool token = strncmp(p, ":day", 4) == 0 && (i == 0 || p[-1] != ':') &&
			     !(p[4] == '_' || (p[4] >= 'a' && p[4] <= 'z') ||
			       (p[4] >= 'A' && p[4] <= 'Z') || (p[4] >= '0' && p[4] <= '9'));
		if (token) {
			sb_add(&sql, lit.buf, lit.len);
			i += 3;
		} else {
			sb_addc(&sql, *p);
		}
	}
	ok = tgt_exec(tgt, "BEGIN", 0, NULL, NULL) && tgt_exec(tgt, sql.buf, 0, NULL, NULL) &&
	     tgt_exec(tgt, "COMMIT", 0, NULL, NULL);
	if (!ok) {
		tgt_exec_quiet(tgt, "ROLLBACK");
		log_error("table %s: after_day %s failed for %s", t->name, t->after_day, day);
	} else {
		log_msg(log_hour_level(), "table %s: after_day %s done for %s", t->name, t->after_day,
			day);
	}
	sb_release(&file);
	sb_release(&sql);
	sb_release(&lit);
	return ok;
}
