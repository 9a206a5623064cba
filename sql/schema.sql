-- shopstream schema (SPEC.md section 6). Idempotent: the pipeline applies it at every start,
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
    source_line  bigint         NOT NULL
);

CREATE INDEX IF NOT EXISTS user_events_user_id_idx    ON user_events (user_id);
CREATE INDEX IF NOT EXISTS user_events_event_type_idx ON user_events (event_type);
CREATE INDEX IF NOT EXISTS user_events_event_time_idx ON user_events (event_time);
