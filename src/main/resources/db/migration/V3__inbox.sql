-- Parley schema, version 3: what the agent REST API works with: labels, notes, bot state, contact merges,
-- contact ownership and search indexes. Keep to SQL that PostgreSQL 15 (Debian) and 17 (embedded) both run.

-- Every conversation is opened by a message (customer, agent or system), so it always has a last activity time:
-- the inbox list orders by it and pages by (last_message_at, id) without a NULL case.
UPDATE conversations SET last_message_at = created_at WHERE last_message_at IS NULL;
ALTER TABLE conversations ALTER COLUMN last_message_at SET NOT NULL;

ALTER TABLE conversations ADD COLUMN labels text[] NOT NULL DEFAULT '{}';
-- the service (API key) that runs the conversation's bot, and when its state last changed
ALTER TABLE conversations ADD COLUMN bot_name text;
ALTER TABLE conversations ADD COLUMN bot_updated_at timestamptz;

-- the inbox list: one index per common filter, each in list order (newest activity first, id breaks ties)
DROP INDEX conversations_inbox_idx;
DROP INDEX conversations_assignee_idx;
CREATE INDEX conversations_activity_idx ON conversations (organization_id, last_message_at DESC, id DESC);
CREATE INDEX conversations_status_activity_idx ON conversations (organization_id, status, last_message_at DESC, id DESC);
CREATE INDEX conversations_assignee_activity_idx
  ON conversations (organization_id, assignee_id, last_message_at DESC, id DESC);
CREATE INDEX conversations_labels_idx ON conversations USING gin (labels);
CREATE INDEX conversations_contact_time_idx ON conversations (contact_id, created_at DESC);

ALTER TABLE contacts ADD COLUMN labels text[] NOT NULL DEFAULT '{}';
CREATE INDEX contacts_labels_idx ON contacts USING gin (labels);
CREATE INDEX contacts_org_created_idx ON contacts (organization_id, created_at DESC, id DESC);
CREATE INDEX contacts_owner_idx ON contacts (owner_id);

-- internal notes on a contact or a conversation; never sent to the customer
CREATE TABLE notes (
  id              uuid PRIMARY KEY,
  organization_id uuid NOT NULL REFERENCES organizations (id),
  contact_id      uuid REFERENCES contacts (id) ON DELETE CASCADE,
  conversation_id uuid REFERENCES conversations (id) ON DELETE CASCADE,
  author_id       uuid,                     -- a user or an API key
  author_type     text NOT NULL CHECK (author_type IN ('user', 'service')),
  body            text NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  CHECK ((contact_id IS NULL) <> (conversation_id IS NULL))
);
CREATE INDEX notes_contact_idx ON notes (contact_id, created_at DESC, id DESC) WHERE contact_id IS NOT NULL;
CREATE INDEX notes_conversation_idx ON notes (conversation_id, created_at DESC, id DESC) WHERE conversation_id IS NOT NULL;

-- the audit record of each merge: which contact was folded into which, by whom, what it looked like and what moved
CREATE TABLE contact_merges (
  id                uuid PRIMARY KEY,
  organization_id   uuid NOT NULL REFERENCES organizations (id),
  kept_contact_id   uuid NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
  merged_contact_id uuid NOT NULL,          -- deleted by the merge; its last state is in merged_contact
  merged_contact    jsonb NOT NULL,
  moved             jsonb NOT NULL,         -- counts of identities, conversations, notes and labels moved
  merged_by         uuid,
  merged_by_type    text NOT NULL CHECK (merged_by_type IN ('user', 'service')),
  created_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX contact_merges_kept_idx ON contact_merges (kept_contact_id, created_at DESC);
CREATE INDEX contact_merges_org_idx ON contact_merges (organization_id, created_at DESC);

-- full-text search over message bodies ('simple': no language stemming, works for every language)
CREATE INDEX messages_search_idx ON messages USING gin (to_tsvector('simple', coalesce(body, '')));
CREATE INDEX messages_org_id_time_idx ON messages (organization_id, sent_at DESC, id DESC);
DROP INDEX messages_org_time_idx;
