-- Source schema: the IVR call-detail table in MariaDB.
-- Columns are deliberately a little wider than the analytics target so that
-- bad data (over-long numbers, NULLs, unknown statuses) can exist in the source.
CREATE TABLE IF NOT EXISTS calls (
  call_id        BIGINT UNSIGNED NOT NULL,
  caller_number  VARCHAR(64)     NULL,
  called_number  VARCHAR(64)     NULL,
  start_time     DATETIME(3)     NOT NULL,
  end_time       DATETIME(3)     NULL,
  duration       INT             NULL,          -- seconds
  status         VARCHAR(32)     NOT NULL,      -- answered|abandoned|busy|failed|voicemail
  queue          VARCHAR(64)     NULL,
  agent          VARCHAR(64)     NULL,
  menu_path      VARCHAR(255)    NULL,          -- e.g. 1>3>2
  cost           DECIMAL(12,4)   NULL,
  PRIMARY KEY (call_id),
  KEY calls_start_time (start_time)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
