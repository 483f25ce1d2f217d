#!/usr/bin/env bash
# demo.sh: the main job on a local demo, from nothing: installs what is
# missing, builds etlre, starts the local MariaDB and PostgreSQL
# (scripts/dev-db.sh), loads the fixtures, and runs
#   etlre init && etlre process --date 2025-11-02 --skip-invalid
# Then shows the summary, the rejected rows and the daily metrics.
set -euo pipefail
cd "$(dirname "$0")/.."

DAY=${1:-2025-11-02}
bash scripts/install-deps.sh
make --no-print-directory etlre
bash scripts/dev-db.sh start >/dev/null
eval "$(bash scripts/dev-db.sh env)"
bash scripts/load-fixtures.sh --database ivr >/dev/null
psql "$ETLRE_TARGET_URL" -X -q -v ON_ERROR_STOP=1 -f sql/postgres/analytics.sql >/dev/null

echo "== etlre init"
./etlre init
echo
echo "== etlre process --date $DAY --skip-invalid"
./etlre process --date "$DAY" --skip-invalid
echo
echo "== rows set aside (etlre.rejects)"
psql "$ETLRE_TARGET_URL" -X -q -c "SELECT hour, row_key, column_name, rule, reason FROM etlre.rejects ORDER BY hour"
echo "== analytics.daily_call_metrics for $DAY (filled by after_day)"
psql "$ETLRE_TARGET_URL" -X -q -c "SELECT * FROM analytics.daily_call_metrics WHERE day = '$DAY' ORDER BY queue"
echo "The servers keep running: 'bash scripts/dev-db.sh stop' stops them."
echo "Try: eval \"\$(bash scripts/dev-db.sh env)\"; ./etlre process --date $DAY --dry-run"
