-- V5: outbound dispatch.

-- a message deleted for the business only (WhatsApp cannot unsend): kept for audit, shown as deleted
ALTER TABLE messages ADD COLUMN deleted_at timestamptz;

-- Idempotency-Key of a send: a retried call answers the message the first call created, whatever happened since
CREATE TABLE idempotency_keys (
  organization_id uuid NOT NULL REFERENCES organizations (id),
  key             text NOT NULL,
  request_hash    text NOT NULL,               -- the same key with another request is refused
  message_id      uuid NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
  created_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (organization_id, key)
);
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);

-- messages on their way to the provider: one row per outbound message until the provider accepted it or it
-- failed for good. A dispatcher leases rows (FOR UPDATE SKIP LOCKED), so each is worked by one node at a time.
CREATE TABLE outbound_queue (
  message_id         uuid PRIMARY KEY REFERENCES messages (id) ON DELETE CASCADE,
  seq                bigserial NOT NULL,           -- send order per recipient
  organization_id    uuid NOT NULL REFERENCES organizations (id),
  channel_id         uuid NOT NULL REFERENCES channels (id),
  recipient          text NOT NULL,                -- the provider's address of the contact (wa_id)
  request            jsonb NOT NULL,               -- the provider request body, Parley media ids not yet resolved
  attempts           integer NOT NULL DEFAULT 0,   -- provider calls made
  due_at             timestamptz NOT NULL,
  deadline           timestamptz NOT NULL,         -- still not accepted by then: failed
  leased_until       timestamptz,
  -- set, durably, before each provider call and cleared when its answer is known: a row found with it set
  -- after a crash or timeout had a call whose outcome is unknown, which is reconciled before any resend
  attempt_started_at timestamptz,
  last_error_code    integer,
  last_error         text,
  created_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX outbound_queue_due_idx ON outbound_queue (due_at);
CREATE INDEX outbound_queue_recipient_idx ON outbound_queue (channel_id, recipient, seq);
