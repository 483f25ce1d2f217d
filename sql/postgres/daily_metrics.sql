-- after_day SQL for the calls table: rebuilds one day of
-- analytics.daily_call_metrics from analytics.calls. etlre replaces :day with
-- the day as a quoted date literal and runs the file in one transaction.
DELETE FROM analytics.daily_call_metrics WHERE day = :day;

INSERT INTO analytics.daily_call_metrics (day, queue, calls, answered, abandoned, avg_duration)
SELECT :day, queue, count(*),
       count(*) FILTER (WHERE status = 'answered'),
       count(*) FILTER (WHERE status = 'abandoned'),
       round(avg(duration), 2)
FROM analytics.calls
WHERE start_time >= :day AND start_time < :day + 1
GROUP BY queue;
