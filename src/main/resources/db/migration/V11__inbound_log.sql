-- The inbound log: every verified webhook, as received, appended by the group committer (ingest/InboundLog) before
-- the provider is answered 200. A webhook is acknowledged once its row has committed; conversations, contacts and
-- messages are projected from the log afterwards (conversation/Projector). Append-only and lean: no foreign keys
-- and no index but the primary key, so a multi-row insert costs little more than its WAL. Rows older than
-- ingest.log_retention that every projector has passed are deleted.
CREATE TABLE inbound_log (
  id              bigserial PRIMARY KEY,
  received_at     timestamptz NOT NULL,
  organization_id uuid NOT NULL,
  channel_id      uuid NOT NULL,
  provider        text NOT NULL,
  body            bytea NOT NULL
);

-- How far each projector shard has applied the log, written in the transaction that applies it: after a crash a
-- shard projects exactly the rows after its position. shards: how many shards the positions were kept for.
CREATE TABLE inbound_projection (
  shard    integer PRIMARY KEY,
  shards   integer NOT NULL,
  position bigint NOT NULL
);

-- Log rows a projector could not apply (an error that is not the store's availability), kept for inspection and
-- skipped so that the shard goes on.
CREATE TABLE inbound_failures (
  log_id    bigint PRIMARY KEY,
  failed_at timestamptz NOT NULL DEFAULT now(),
  error     text NOT NULL
);
