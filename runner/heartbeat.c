/*
 * heartbeat.c: a worker's heartbeat (see heartbeat.h).
 *
 * The hour in progress is one transaction on the worker's target connection,
 * so nothing written there shows before it commits: the heartbeat has a
 * connection of its own, opened at the first beat. Beats are rate-limited to
 * one per HEARTBEAT_SECONDS; a beat that cannot reach the target is logged at
 * debug level and tried again at the next interval, so a heartbeat never
 * fails an hour.
 */
#include "heartbeat.h"

#include <stdlib.h>

#include "ledger.h"
#include "log.h"

struct heartbeat {
	const session *s;
	int statement_timeout;
	int64_t job_id;
	tgt_conn *conn;    /* NULL until the first beat, or after a failed one */
	double next;       /* now_monotonic() of the next beat */
};

heartbeat *heartbeat_new(const session *s, int statement_timeout, int64_t job_id)
{
	heartbeat *hb = xcalloc(1, sizeof(*hb));

	hb->s = s;
	hb->statement_timeout = statement_timeout;
	hb->job_id = job_id;
	hb->next = now_monotonic() + HEARTBEAT_SECONDS;
	return hb;
}

void heartbeat_beat(void *ctx)
{
	heartbeat *hb = ctx;
	double now = now_monotonic();

	if (!hb || hb->job_id <= 0 || now < hb->next)
		return;
	hb->next = now + HEARTBEAT_SECONDS;
	if (hb->conn && !tgt_alive(hb->conn)) {
		tgt_close(hb->conn);
		hb->conn = NULL;
	}
	if (!hb->conn)
		hb->conn = session_open_target(hb->s, hb->statement_timeout);
	if (!hb->conn || !ledger_job_heartbeat(hb->conn, hb->s->cfg.schema, hb->job_id))
		log_debug("job %lld: the heartbeat could not be written; trying again in %d s",
			  (long long)hb->job_id, HEARTBEAT_SECONDS);
}

void heartbeat_free(heartbeat *hb)
{
	if (!hb)
		return;
	tgt_close(hb->conn);
	free(hb);
}
