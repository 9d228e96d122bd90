-- The inbound log: every verified webhook, as received, appended by the group committer (ingest/InboundLog) before
-- the provider is answered 200. A webhook is acknowledged once its row has committed; conversations, contacts and
-- messages are projected from the log afterwards (conversation/Projector). Append-only and lean: no foreign keys
-- and no index but the primary key, so a multi-row insert costs little more than its WAL. Rows older than
-- ingest.log_retention that every projector has passed are deleted. slot: the writing node's log slot (below).
CREATE TABLE inbound_log (
  id              bigserial PRIMARY KEY,
  slot            integer NOT NULL,
  received_at     timestamptz NOT NULL,
  organization_id uuid NOT NULL,
  channel_id      uuid NOT NULL,
  provider        text NOT NULL,
  body            bytea NOT NULL
);

-- How far each projector shard has applied its node's rows, written in the transaction that applies them: after a
-- crash a shard projects exactly the rows after its position. A node writes and projects under a slot it holds by a
-- session advisory lock (conversation/LogSlot), so nodes sharing the database keep apart positions, and the slot of
-- a node that died is free again at once for a restarted or another node to finish. shards: how many shards the
-- slot's positions were kept for.
CREATE TABLE inbound_projection (
  slot     integer NOT NULL,
  shard    integer NOT NULL,
  shards   integer NOT NULL,
  position bigint NOT NULL,
  PRIMARY KEY (slot, shard)
);

-- Log rows a projector could not apply (an error that is not the store's availability), kept for inspection and
-- skipped so that the shard goes on.
CREATE TABLE inbound_failures (
  log_id    bigint PRIMARY KEY,
  failed_at timestamptz NOT NULL DEFAULT now(),
  error     text NOT NULL
);
