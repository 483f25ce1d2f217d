#!/usr/bin/env bash
# etlre-nightly.sh: the nightly reconciliation, for cron or a systemd timer
# (packaging/cron/etlre-nightly, packaging/systemd/etlre-nightly.*). It runs
#   etlre verify --last-days N --repair --metrics-file PATH [ARGS...]
# under a lock, so that two nights never overlap, appends everything etlre
# says to a dated log file, and exits with a status a scheduler can alert on.
# It prints nothing when the night went well; otherwise one line saying what
# went wrong and the end of the night's log, on stderr (cron mails it).
#
# Usage: etlre-nightly.sh [ARGS...]     ARGS go to etlre verify: --deep,
#                                       --table T, --config FILE, ...
# Environment (all optional):
#   ETLRE_BIN               the etlre binary (default: etlre on PATH)
#   ETLRE_CONFIG            etlre's configuration file (read by etlre)
#   ETLRE_NIGHTLY_DAYS      verify the N days before today, UTC (default 3)
#   ETLRE_NIGHTLY_REPAIR    1 (default): --repair reprocesses the hours that
#                           differ; 0: only report them
#   ETLRE_NIGHTLY_LOG_DIR   the log directory (default /var/log/etlre); the
#                           log is etlre-nightly-YYYY-MM-DD.log (local date)
#   ETLRE_NIGHTLY_KEEP_DAYS logs older than this are removed (default 30;
#                           0 keeps them all)
#   ETLRE_NIGHTLY_LOCK      the lock file (default /run/lock/etlre-nightly.lock)
#   ETLRE_NIGHTLY_METRICS   the --metrics-file path (default
#                           /var/lib/prometheus/node-exporter/etlre-nightly.prom,
#                           used when that directory exists; empty: none)
#
# Exit status: etlre's own (README "Exit status"):
#   0  every hour matches (after repairing those that did not)
#   1  some hours failed to reload (etlre status --failed names them)
#   2  usage or configuration error (etlre's or this script's); nothing done
#   3  hours differ: --repair could not fix them (or ETLRE_NIGHTLY_REPAIR=0)
#   4  the source or the target could not be reached, or did not answer in time
#   130, 143  interrupted (SIGINT, SIGTERM: passed on to etlre)
# and 75 (EX_TEMPFAIL): another night still holds the lock; nothing was run.
#
# Secrets: the variables that may carry a password (ETLRE_SOURCE_PASSWORD,
# PGPASSWORD, ETLRE_SOURCE_URL, ETLRE_TARGET_URL) reach etlre only, not the
# other programs this script runs (date, find, tail ...); better still, give
# etlre password files (README "Security").
set -u

SECRET_VARS=(ETLRE_SOURCE_PASSWORD PGPASSWORD ETLRE_SOURCE_URL ETLRE_TARGET_URL)
# kept as shell variables, no longer exported: re-exported in etlre's subshell
for v in "${SECRET_VARS[@]}"; do
	if [ -n "${!v+set}" ]; then export -n "$v"; fi
done

EXIT_LOCKED=75
EXIT_USAGE=2

ETLRE_BIN=${ETLRE_BIN:-etlre}
DAYS=${ETLRE_NIGHTLY_DAYS:-3}
REPAIR=${ETLRE_NIGHTLY_REPAIR:-1}
LOG_DIR=${ETLRE_NIGHTLY_LOG_DIR:-/var/log/etlre}
KEEP_DAYS=${ETLRE_NIGHTLY_KEEP_DAYS:-30}
LOCK=${ETLRE_NIGHTLY_LOCK:-/run/lock/etlre-nightly.lock}
DEFAULT_METRICS=/var/lib/prometheus/node-exporter/etlre-nightly.prom
if [ -n "${ETLRE_NIGHTLY_METRICS+set}" ]; then
	METRICS=$ETLRE_NIGHTLY_METRICS
elif [ -d "$(dirname "$DEFAULT_METRICS")" ]; then
	METRICS=$DEFAULT_METRICS
else
	METRICS=
fi

die() { # die STATUS MESSAGE: says why on stderr (and in the log once open)
	echo "etlre-nightly: $2" >&2
	[ -n "${LOG:-}" ] && echo "$(stamp) etlre-nightly: $2" >>"$LOG"
	exit "$1"
}
stamp() { date -u '+%Y-%m-%dT%H:%M:%SZ'; }

# meaning STATUS: what an exit status says, for the log and the alert
meaning() {
	case $1 in
	0) echo "ok: every hour matches" ;;
	1) echo "some hours failed to load (etlre status --failed)" ;;
	2) echo "usage or configuration error; nothing was read or written" ;;
	3) if [ "$REPAIR" = 1 ]; then echo "hours differ and --repair could not fix them"
	   else echo "hours differ (not repaired: ETLRE_NIGHTLY_REPAIR=0)"; fi ;;
	4) echo "the source or the target could not be reached, or did not answer in time (a frozen server, a lock held elsewhere)" ;;
	130 | 143) echo "interrupted" ;;
	*) echo "unexpected exit status" ;;
	esac
}

case $DAYS in '' | *[!0-9]* | 0*) die $EXIT_USAGE "ETLRE_NIGHTLY_DAYS must be a whole number of days, at least 1, not '$DAYS'" ;; esac
case $REPAIR in 0 | 1) ;; *) die $EXIT_USAGE "ETLRE_NIGHTLY_REPAIR must be 0 or 1, not '$REPAIR'" ;; esac
case $KEEP_DAYS in '' | *[!0-9]*) die $EXIT_USAGE "ETLRE_NIGHTLY_KEEP_DAYS must be a whole number of days (0 keeps all), not '$KEEP_DAYS'" ;; esac
command -v "$ETLRE_BIN" >/dev/null || die $EXIT_USAGE "etlre not found: '$ETLRE_BIN' (set ETLRE_BIN or PATH)"
if ! { mkdir -p "$LOG_DIR" 2>/dev/null && [ -d "$LOG_DIR" ] && [ -w "$LOG_DIR" ]; }; then
	die $EXIT_USAGE "cannot write the log directory '$LOG_DIR' (set ETLRE_NIGHTLY_LOG_DIR)"
fi
LOG_FILE=$LOG_DIR/etlre-nightly-$(date +%F).log
touch "$LOG_FILE" 2>/dev/null || die $EXIT_USAGE "cannot write the log file '$LOG_FILE'"
LOG=$LOG_FILE

# the lock: held (by this shell and by etlre, which inherits it) until the
# night is over; opened without truncating, so the holder's pid stays readable
{ exec 9<>"$LOCK"; } 2>/dev/null || die $EXIT_USAGE "cannot open the lock file '$LOCK' (set ETLRE_NIGHTLY_LOCK)"
if ! flock -n 9; then
	holder=$(head -c 32 "$LOCK" 2>/dev/null | tr -cd '0-9')
	die $EXIT_LOCKED "another night is still running (lock '$LOCK' held${holder:+ by pid $holder}); nothing was run"
fi
echo $$ >"$LOCK"

if [ "$KEEP_DAYS" -gt 0 ]; then
	find "$LOG_DIR" -maxdepth 1 -type f -name 'etlre-nightly-*.log' -mtime +"$KEEP_DAYS" -delete 2>/dev/null
fi

args=(verify --last-days "$DAYS")
[ "$REPAIR" = 1 ] && args+=(--repair)
[ -n "$METRICS" ] && args+=(--metrics-file "$METRICS")
args+=("$@")

START=$(stat -c %s "$LOG")
echo "$(stamp) etlre-nightly: start (pid $$): $ETLRE_BIN ${args[*]}" >>"$LOG"
# etlre runs in the background so that a SIGINT or SIGTERM sent to this
# script reaches it: it rolls back the hour in progress and exits 130/143
(
	for v in "${SECRET_VARS[@]}"; do
		if [ -n "${!v+set}" ]; then export "$v"; fi
	done
	exec "$ETLRE_BIN" "${args[@]}"
) </dev/null >>"$LOG" 2>&1 &
child=$!
trap 'kill -INT "$child" 2>/dev/null' INT
trap 'kill -TERM "$child" 2>/dev/null' TERM
wait "$child"
rc=$?
while kill -0 "$child" 2>/dev/null; do # wait was cut short by a signal
	wait "$child"
	rc=$?
done
trap - INT TERM

echo "$(stamp) etlre-nightly: end: exit $rc: $(meaning "$rc")" >>"$LOG"
if [ "$rc" -ne 0 ]; then
	{
		echo "etlre-nightly: etlre ${args[*]} exited $rc: $(meaning "$rc"); log: $LOG"
		echo "--- the end of this night's log:"
		tail -c +"$((START + 1))" "$LOG" | tail -n 20
	} >&2
fi
exit "$rc"
