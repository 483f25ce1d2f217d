/*
 * target_pg_copy_out.c: reading a COPY ... TO STDOUT from the target row by
 * row (see target_pg.h), with the same deadlines as every other wait: the
 * server may stay silent for io_timeout seconds between two rows.
 */
#include <stdlib.h>
#include <string.h>

#include "target_pg_int.h"
#include "util.h"

bool tgt_copy_out_begin(tgt_conn *c, const char *sql)
{
	PGresult *res = NULL;

	if (send_command(c, sql, 0, NULL))
		res = await(c, sql);
	if (!result_is(c, res, PGRES_COPY_OUT, sql, false))
		return false;
	PQclear(res);
	free(c->sent);
	c->sent = xstrdup(sql);
	return true;
}

/* copy_out_end: reads the COPY's own result after its last row */
static int copy_out_end(tgt_conn *c, double deadline)
{
	PGresult *res;
	int rc = 0;

	while (next_result(c, deadline, "COPY out end", &res) && res) {
		if (PQresultStatus(res) != PGRES_COMMAND_OK && rc == 0) {
			set_error_from_result(c, res);
			log_failure(c, c->sent ? c->sent : "COPY", false);
			rc = -1;
		}
		PQclear(res);
	}
	if (c->cut) {
		log_failure(c, c->sent ? c->sent : "COPY", false);
		rc = -1;
	}
	free(c->sent);
	c->sent = NULL;
	return rc;
}

int tgt_copy_out_row(tgt_conn *c, char **row, size_t *len)
{
	double deadline = 0; /* set at the first wait: most rows are there already */

	*row = NULL;
	*len = 0;
	while (!c->cut) {
		char *buf = NULL;
		int n = PQgetCopyData(c->pg, &buf, 1);

		if (n > 0) {
			*row = buf;
			*len = (size_t)n;
			return 1;
		}
		if (deadline == 0)
			deadline = now_monotonic() + c->io_timeout;
		if (n == -1)
			return copy_out_end(c, deadline);
		if (n < -1)
			break;
		if (!wait_socket(c, false, deadline, "reading COPY rows") || !PQconsumeInput(c->pg))
			break;
	}
	set_error_from_result(c, NULL);
	log_failure(c, c->sent ? c->sent : "COPY", false);
	free(c->sent);
	c->sent = NULL;
	return -1;
}

void tgt_copy_out_free(char *row)
{
	if (row)
		PQfreemem(row);
}
