-- shopstream schema (docs/reference.md). Idempotent: the pipeline applies it at every start,
-- under an advisory lock so two pipelines starting together do not race.
CREATE TABLE IF NOT EXISTS user_events (
    event_id     varchar(64)    PRIMARY KEY,
    user_id      varchar(64)    NOT NULL,
    product_id   varchar(64)    NOT NULL,
    product_name varchar(255)   NOT NULL,
    category     varchar(64)    NOT NULL,
    price        numeric(10, 2) NOT NULL CHECK (price >= 0),
    event_type   varchar(16)    NOT NULL CHECK (event_type IN ('view', 'add_to_cart', 'purchase')),
    event_time   timestamptz    NOT NULL,
    ingested_at  timestamptz    NOT NULL DEFAULT now(),
    source_file  text           NOT NULL,
    source_line  bigint         NOT NULL,
    extras       jsonb
);

-- Rescued extra columns (--extraColumns=rescue), added to a table made before they were kept:
-- without rewriting it (no default), and only when missing, as ALTER TABLE waits for every
-- transaction on the table, a running pipeline's included.
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema()
                 AND table_name = 'user_events' AND column_name = 'extras') THEN
    ALTER TABLE user_events ADD COLUMN extras jsonb;
  END IF;
END $$;

CREATE INDEX IF NOT EXISTS user_events_user_id_idx    ON user_events (user_id);
CREATE INDEX IF NOT EXISTS user_events_event_type_idx ON user_events (event_type);
CREATE INDEX IF NOT EXISTS user_events_event_time_idx ON user_events (event_time);

-- The file ledger: one row per ingested file version (path, size, modification time), committed
-- in the same transaction as the version's rows, so it alone says what has been ingested.
CREATE TABLE IF NOT EXISTS ingested_files (
    file_id          bigserial   PRIMARY KEY,
    path             text        NOT NULL,
    size             bigint      NOT NULL,
    modified_at      timestamptz NOT NULL,
    found_at         timestamptz NOT NULL,
    committed_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
    lines            bigint      NOT NULL,
    stored           bigint      NOT NULL,
    duplicates       bigint      NOT NULL,
    skipped          bigint      NOT NULL,
    errors           bigint      NOT NULL,
    errors_by_reason jsonb       NOT NULL DEFAULT '{}',
    extra_columns    jsonb       NOT NULL DEFAULT '{}',
    error_file       text,
    read_by          text        NOT NULL,
    UNIQUE (path, size, modified_at),
    CHECK (lines = stored + duplicates + skipped + errors)
);

-- Per extra column name, the valid lines of the version that held a value in it (rescued or
-- ignored; with reject such lines are errors). Added as extras is.
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema()
                 AND table_name = 'ingested_files' AND column_name = 'extra_columns') THEN
    ALTER TABLE ingested_files ADD COLUMN extra_columns jsonb NOT NULL DEFAULT '{}';
  END IF;
END $$;

CREATE INDEX IF NOT EXISTS ingested_files_committed_at_idx ON ingested_files (committed_at);

-- One-minute tumbling windows of event_time, per category and event type: every stored row
-- counted once, late events included. A transaction appends its stored rows' window counts to
-- event_stats_pending, with no index and no lock another transaction waits for, in the transaction
-- that stores the rows; the running pipeline folds them into event_stats_folded when ingest is
-- quiet (or they are 30 s old), moving each in one transaction. event_stats_minute sums both, so
-- it is exact at every commit, folded or not (docs/reference.md).
DO $$ BEGIN
  -- Made by an earlier version as the table every transaction updated: it becomes the folded part.
  IF to_regclass('event_stats_minute') IS NOT NULL
     AND (SELECT relkind FROM pg_class WHERE oid = to_regclass('event_stats_minute')) = 'r' THEN
    ALTER TABLE event_stats_minute RENAME TO event_stats_folded;
  END IF;
END $$;

CREATE TABLE IF NOT EXISTS event_stats_folded (
    minute     timestamptz    NOT NULL,
    category   varchar(64)    NOT NULL,
    event_type varchar(16)    NOT NULL,
    events     bigint         NOT NULL,
    revenue    numeric(20, 2) NOT NULL,
    PRIMARY KEY (minute, category, event_type)
);

CREATE TABLE IF NOT EXISTS event_stats_pending (
    minute     timestamptz    NOT NULL,
    category   varchar(64)    NOT NULL,
    event_type varchar(16)    NOT NULL,
    events     bigint         NOT NULL,
    revenue    numeric(20, 2) NOT NULL
);

-- Created only when missing: replacing a view waits for every query reading it.
DO $$ BEGIN
  IF to_regclass('event_stats_minute') IS NULL THEN
    CREATE VIEW event_stats_minute AS
      SELECT minute, category, event_type, sum(events)::bigint AS events,
             sum(revenue)::numeric(20, 2) AS revenue
      FROM (SELECT minute, category, event_type, events, revenue FROM event_stats_folded
            UNION ALL
            SELECT minute, category, event_type, events, revenue FROM event_stats_pending) w
      GROUP BY minute, category, event_type;
  END IF;
END $$;

-- Error records replayed (runners/replay.sh): each once, into a replay file and line of its own,
-- so a row stored from a replay file leads back to the line it came from (source, line).
CREATE TABLE IF NOT EXISTS replayed_errors (
    error_file  text        NOT NULL,
    line        bigint      NOT NULL,
    source      text        NOT NULL,
    reason      text        NOT NULL,
    replay_file text        NOT NULL,
    replay_line bigint      NOT NULL,
    header      text        NOT NULL,
    raw         text        NOT NULL,
    replayed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (error_file, line),
    UNIQUE (replay_file, replay_line)
);
