#!/usr/bin/env bash
# Time zones: with [etlre] timezone set, source DATETIME values are wall-clock
# times in that zone. Hours are the naive hours of the source column: on a
# fall-back day the repeated hour is one window holding both of its instants,
# on a spring-forward day the skipped hour is an empty window, and a DATETIME
# inside it (a time that never happened) is invalid for a timestamptz column.
# timestamptz targets get the right instant; TIMESTAMP columns (read in UTC)
# keep their exact instant. On the clock-change days of Europe/Madrid and
# America/New_York no row is lost or doubled, every hour's count matches the
# source, and verify (--deep too) is clean.
. "$(dirname "$0")/lib.sh"

S=tzs
pg "SET client_min_messages = warning; DROP SCHEMA IF EXISTS etlre CASCADE; DROP SCHEMA IF EXISTS $S CASCADE; CREATE SCHEMA $S"
check "target schema" test $? -eq 0

# zone_case ZONE SPRING FALL REPEATED_HOUR FIRST_UTC SECOND_UTC: the repeated
# hour's :30 happens twice, at FIRST_UTC and SECOND_UTC (HH:MM, on FALL)
zone_case() {
	local zone=$1 spring=$2 fall=$3 rep=$4 first=$5 second=$6 conf=$TMP/tz.conf
	pg "SET client_min_messages = warning; DROP SCHEMA IF EXISTS etlre CASCADE; DROP TABLE IF EXISTS $S.tz;
	    CREATE TABLE $S.tz (id int PRIMARY KEY, ts timestamptz NOT NULL, naive timestamp(6),
	      ev timestamptz, ev2 timestamp(6))"
	# every 7 minutes of both days in local time (none in the skipped hour),
	# two rows at the same wall-clock time of the repeated hour, one row in
	# the skipped hour (invalid), and two TIMESTAMPs at both instants of the
	# repeated hour's :30
	my "DROP TABLE IF EXISTS tz_src;
	    CREATE TABLE tz_src (id int PRIMARY KEY, ts datetime(6) NOT NULL, ev timestamp(6) NULL, ev2 timestamp(6) NULL);
	    SET time_zone = '+00:00';
	    INSERT INTO tz_src (id, ts)
	      WITH RECURSIVE s(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM s WHERE n < 205)
	      SELECT n + 1, TIMESTAMP '$spring 00:00:00' + INTERVAL n * 7 MINUTE FROM s
	      WHERE HOUR(TIMESTAMP '$spring 00:00:00' + INTERVAL n * 7 MINUTE) <> 2
	      UNION ALL
	      SELECT n + 1001, TIMESTAMP '$fall 00:00:00' + INTERVAL n * 7 MINUTE + INTERVAL 3 SECOND FROM s;
	    INSERT INTO tz_src VALUES
	      (9000, '$spring 02:30:00', NULL, NULL),
	      (9001, '$fall $rep:30:00', '$fall $first:00', '$fall $first:00'),
	      (9002, '$fall $rep:30:00', '$fall $second:00', '$fall $second:00'),
	      (9003, '$spring 03:00:00', NULL, NULL)"
	cat > "$conf" <<EOF
[etlre]
timezone = $zone
[table tz]
source = tz_src
target = $S.tz
time_column = ts
key = id
expr.naive = ts
EOF
	tz() { run_with "$conf" "$@"; }
	tz init
	is "$RC" 0 "$zone: init"
	tz process --start-date "$spring" --end-date "$spring" --skip-invalid --json
	is "$RC" 0 "$zone: spring-forward day $spring loads"
	like "$OUT" "\"hour\":\"${spring}T02:00:00\",\"status\":\"succeeded\",\"rows_read\":1,\"rows_loaded\":0,\"rows_rejected\":1" \
		"$zone: the skipped hour is an empty window; its one row, a time that never happened, is rejected"
	tz process --date "$fall" --skip-invalid --json
	is "$RC" 0 "$zone: fall-back day $fall loads"
	n=$(my "SELECT COUNT(*) FROM tz_src WHERE ts >= '$fall $rep:00' AND ts < '$fall $rep:00' + INTERVAL 1 HOUR")
	like "$OUT" "\"hour\":\"${fall}T$rep:00:00\",\"status\":\"succeeded\",\"rows_read\":$n,\"rows_loaded\":$n," \
		"$zone: the repeated hour is one window ($n rows, both instants of 9001 and 9002 included)"
	is "$(pg "SELECT row_key || ' ' || rule FROM etlre.rejects")" "id=9000 time zone" "$zone: only the skipped-hour row is invalid"
	like "$(pg "SELECT reason FROM etlre.rejects")" "does not exist in $zone" "$zone: the reason names the zone"

	for day in "$spring" "$fall"; do
		src=$(my "SELECT DATE_FORMAT(ts, '%H'), COUNT(*) FROM tz_src WHERE DATE(ts) = '$day' AND id <> 9000 GROUP BY 1 ORDER BY 1")
		tgt=$(pg "SELECT to_char(ts AT TIME ZONE '$zone', 'HH24'), count(*) FROM $S.tz
		          WHERE (ts AT TIME ZONE '$zone')::date = '$day' GROUP BY 1 ORDER BY 1" | tr '|' '\t')
		is "$tgt" "$src" "$zone $day: every hour holds as many rows as the source (none lost, none doubled)"
		is "$(pg "SELECT count(*) FROM $S.tz WHERE naive::date = '$day' AND (ts AT TIME ZONE '$zone') <> naive")" 0 \
			"$zone $day: every instant shows its source wall-clock time in the zone"
	done
	is "$(pg "SELECT count(*) || ' ' || count(DISTINCT id) FROM $S.tz")" \
		"$(my "SELECT COUNT(*) - 1 FROM tz_src") $(my "SELECT COUNT(*) - 1 FROM tz_src")" "$zone: every valid row once"
	is "$(pg "SELECT string_agg(to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI'), ' ' ORDER BY id) FROM $S.tz WHERE id IN (9003)")" \
		"$(pg "SELECT to_char(timestamp '$spring 03:00' AT TIME ZONE '$zone' AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI')")" \
		"$zone: the first time after the skipped hour is the right instant"
	is "$(pg "SELECT string_agg(to_char(ev AT TIME ZONE 'UTC', 'HH24:MI') || '/' || to_char(ev2, 'HH24:MI'), ' ' ORDER BY id) FROM $S.tz WHERE id IN (9001, 9002)")" \
		"$first/$rep:30 $second/$rep:30" "$zone: TIMESTAMPs keep both instants of the repeated hour (exact into timestamptz, wall clock into timestamp)"

	tz process --date "$fall" --skip-invalid
	is "$RC/$(pg "SELECT count(*) FROM $S.tz")" "0/$(($(my "SELECT COUNT(*) FROM tz_src") - 1))" "$zone: a rerun of the fall-back day replaces, never doubles"
	for day in "$spring" "$fall"; do
		tz verify --date "$day"
		is "$RC" 0 "$zone $day: verify is clean"
		tz verify --date "$day" --deep
		is "$RC" 0 "$zone $day: verify --deep is clean"
	done
	# a change in the repeated hour is found there
	pg "UPDATE $S.tz SET naive = naive + interval '1 second' WHERE id = 9002"
	tz verify --date "$fall" --deep
	is "$RC" 3 "$zone: verify --deep finds a change in the repeated hour: exit 3"
	like "$OUT" "${fall}T$rep:00:00 changed" "$zone: verify --deep names the repeated hour"
}

zone_case Europe/Madrid 2025-03-30 2025-10-26 02 00:30 01:30
zone_case America/New_York 2025-03-09 2025-11-02 01 05:30 06:30

# a zone the tz database does not know, and a TIMESTAMP hour column in a zone
# other than UTC: configuration errors, nothing written
jobs=$(pg "SELECT count(*) FROM etlre.jobs")
sed 's#^timezone = .*#timezone = Mars/Olympus_Mons#' "$TMP/tz.conf" > "$TMP/bad.conf"
OUT=$("$ETLRE" --config "$TMP/bad.conf" process --date 2025-11-02 2>&1); RC=$?
is "$RC" 2 "an unknown zone: exit 2"
like "$OUT" "time zone 'Mars/Olympus_Mons' is unknown" "an unknown zone: the error names it"
sed 's#^time_column = .*#time_column = ev#' "$TMP/tz.conf" > "$TMP/bad.conf"
OUT=$("$ETLRE" --config "$TMP/bad.conf" process --date 2025-11-02 2>&1); RC=$?
is "$RC" 2 "a TIMESTAMP time_column outside UTC: exit 2"
like "$OUT" "time_column 'ev' is a TIMESTAMP, whose hours etlre reads in UTC: it needs timezone = UTC" "a TIMESTAMP time_column outside UTC: the error says why"
is "$(pg "SELECT count(*) FROM etlre.jobs")" "$jobs" "configuration errors write nothing"
done_testing
