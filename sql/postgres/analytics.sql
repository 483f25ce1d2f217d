-- Target schema: the analytics copy of the IVR calls in PostgreSQL, and the
-- per-day metrics that sql/postgres/daily_metrics.sql fills after each day.
CREATE SCHEMA IF NOT EXISTS analytics;

CREATE TABLE IF NOT EXISTS analytics.calls (
  call_id        bigint        PRIMARY KEY,
  caller_number  varchar(20)   NOT NULL,
  called_number  varchar(20)   NOT NULL,
  start_time     timestamp(3)  NOT NULL,
  end_time       timestamp(3),
  duration       integer       NOT NULL,
  status         text          NOT NULL
                 CONSTRAINT calls_status_known
                 CHECK (status IN ('answered','abandoned','busy','failed','voicemail')),
  queue          varchar(32)   NOT NULL,
  agent          varchar(32),
  menu_path      varchar(64),
  cost           numeric(10,4)
);
CREATE INDEX IF NOT EXISTS calls_start_time_idx ON analytics.calls (start_time);

CREATE TABLE IF NOT EXISTS analytics.daily_call_metrics (
  day            date          NOT NULL,
  queue          varchar(32)   NOT NULL,
  calls          integer       NOT NULL,
  answered       integer       NOT NULL,
  abandoned      integer       NOT NULL,
  avg_duration   numeric(10,2),
  PRIMARY KEY (day, queue)
);
