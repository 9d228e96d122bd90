-- V8: scheduled (and recurring) messages.

-- A message to send into a conversation at a time, once or again every day or week. The scheduler claims a due
-- row by moving it to 'sending' (FOR UPDATE SKIP LOCKED, so one node gets it) with a lease; a row still 'sending'
-- after its lease (the node died mid-send) is claimed again, and the Sender's idempotency key
-- 'schedule:<id>:<occurrence>' makes that second attempt answer the message the first one stored.
CREATE TABLE scheduled_messages (
  id                uuid PRIMARY KEY,
  organization_id   uuid NOT NULL REFERENCES organizations (id),
  conversation_id   uuid NOT NULL REFERENCES conversations (id),
  created_by        uuid REFERENCES users (id),   -- the scheduling user; null for an API key
  sender_type       text NOT NULL CHECK (sender_type IN ('agent', 'automation', 'bot')),
  message           jsonb NOT NULL,               -- the API's message object ({"type":"text","text":{…}})
  fallback_template jsonb,                        -- a template object sent instead when the window is closed
  send_at           timestamptz NOT NULL,         -- the next (or only) occurrence
  recurrence        text NOT NULL DEFAULT 'none' CHECK (recurrence IN ('none', 'daily', 'weekly')),
  time_zone         text NOT NULL DEFAULT 'UTC',  -- IANA name: a daily 09:00 stays 09:00 across DST changes
  first_send_at     timestamptz NOT NULL,         -- the first occurrence: its wall-clock time anchors the series
  ends_at           timestamptz,                  -- no occurrence after this
  max_occurrences   integer CHECK (max_occurrences > 0),
  occurrence        integer NOT NULL DEFAULT 1,   -- the number of the occurrence send_at stands for
  occurrences_sent  integer NOT NULL DEFAULT 0,
  occurrences_failed integer NOT NULL DEFAULT 0,
  status            text NOT NULL DEFAULT 'scheduled'
                      CHECK (status IN ('scheduled', 'sending', 'sent', 'failed', 'cancelled')),
  claim_id          uuid,                         -- the current claim: only its holder records the outcome
  lease_until       timestamptz,                  -- a 'sending' row whose lease ran out is claimed again
  last_error_code   text,
  last_error        text,
  -- the occurrence for which the fallback template was chosen, recorded before it is sent: a retried claim of
  -- that occurrence sends (replays) the template, never the original as well
  fallback_occurrence integer,
  last_message_id   uuid REFERENCES messages (id) ON DELETE SET NULL,
  last_sent_at      timestamptz,
  last_used_fallback boolean NOT NULL DEFAULT false,
  cancelled_at      timestamptz,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now()
);
-- due rows, oldest first (the scheduler's poll)
CREATE INDEX scheduled_messages_due_idx ON scheduled_messages (send_at) WHERE status = 'scheduled';
-- claims whose node died
CREATE INDEX scheduled_messages_lease_idx ON scheduled_messages (lease_until) WHERE status = 'sending';
-- the list: by organization (and conversation), next occurrence first
CREATE INDEX scheduled_messages_org_idx ON scheduled_messages (organization_id, send_at, id);
CREATE INDEX scheduled_messages_conversation_idx ON scheduled_messages (conversation_id, send_at, id);
