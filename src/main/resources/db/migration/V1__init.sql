-- Parley schema, version 1: tenants, users, channels, contacts, conversations, messages and their history.
-- PostgreSQL is the source of truth; Redis only holds what can be rebuilt from these tables.
-- Keep to SQL that PostgreSQL 15 (Debian) and 17 (embedded) both run.

CREATE TABLE organizations (
  id          uuid PRIMARY KEY,
  name        text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
  id              uuid PRIMARY KEY,
  organization_id uuid NOT NULL REFERENCES organizations (id),
  email           text NOT NULL,
  name            text NOT NULL,
  role            text NOT NULL CHECK (role IN ('admin', 'agent')),
  password_hash   text,
  active          boolean NOT NULL DEFAULT true,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email_key ON users (lower(email));
CREATE INDEX users_organization_idx ON users (organization_id);

-- credentials (app secret, verify token, access token...) are read only by the provider code paths;
-- no API response ever selects this column.
CREATE TABLE channels (
  id              uuid PRIMARY KEY,
  organization_id uuid NOT NULL REFERENCES organizations (id),
  provider        text NOT NULL,
  name            text NOT NULL,
  external_id     text NOT NULL,            -- WhatsApp phone_number_id, Page id, bot id...
  display_address text,                     -- e.g. the display phone number
  credentials     jsonb NOT NULL DEFAULT '{}',
  status          text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'inactive')),
  last_inbound_at timestamptz,
  last_send_at    timestamptz,
  last_error      text,
  last_error_at   timestamptz,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX channels_provider_external_key ON channels (provider, external_id);
CREATE INDEX channels_organization_idx ON channels (organization_id);

CREATE TABLE contacts (
  id                uuid PRIMARY KEY,
  organization_id   uuid NOT NULL REFERENCES organizations (id),
  name              text,
  mobile_number     text,                   -- E.164
  email             text,
  date_of_birth     date,
  company_name      text,
  address           jsonb NOT NULL DEFAULT '{}',   -- street, city, state, zip, country (ISO 3166-1 alpha-2)
  social_profiles   jsonb NOT NULL DEFAULT '{}',   -- instagram, facebook, linkedin, twitter
  custom_attributes jsonb NOT NULL DEFAULT '{}',
  owner_id          uuid REFERENCES users (id),
  preference        text NOT NULL DEFAULT 'reactive' CHECK (preference IN ('proactive', 'reactive')),
  active            boolean NOT NULL DEFAULT true,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now()
);
-- one contact per number in an organization: concurrent first messages converge on the same row
CREATE UNIQUE INDEX contacts_org_mobile_key ON contacts (organization_id, mobile_number) WHERE mobile_number IS NOT NULL;
CREATE INDEX contacts_org_name_idx ON contacts (organization_id, lower(name));

-- how a contact is addressed on one channel: WhatsApp wa_id (or business-scoped user id), PSID, chat id...
CREATE TABLE contact_identities (
  id               uuid PRIMARY KEY,
  organization_id  uuid NOT NULL REFERENCES organizations (id),
  -- deferred so an identity can claim its (channel, external_id) before its contact row is written
  contact_id       uuid NOT NULL REFERENCES contacts (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
  channel_id       uuid NOT NULL REFERENCES channels (id),
  external_id      text NOT NULL,           -- wa_id when known, otherwise the business-scoped user id
  user_id          text,                    -- WhatsApp business-scoped user id (BSUID), when sent
  profile_name     text,
  username         text,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX contact_identities_channel_external_key ON contact_identities (channel_id, external_id);
CREATE INDEX contact_identities_channel_user_idx ON contact_identities (channel_id, user_id) WHERE user_id IS NOT NULL;
CREATE INDEX contact_identities_contact_idx ON contact_identities (contact_id);

CREATE TABLE conversations (
  id                    uuid PRIMARY KEY,
  organization_id       uuid NOT NULL REFERENCES organizations (id),
  channel_id            uuid NOT NULL REFERENCES channels (id),
  contact_id            uuid NOT NULL REFERENCES contacts (id),
  status                text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
  assignee_id           uuid REFERENCES users (id),
  bot_state             text NOT NULL DEFAULT 'none' CHECK (bot_state IN ('none', 'running', 'handoff', 'failed')),
  unread_count          integer NOT NULL DEFAULT 0,
  last_message_id       uuid,
  last_message_at       timestamptz,
  last_inbound_at       timestamptz,
  window_expires_at     timestamptz,
  -- the window expiry for which window.closing / window.closed already fired (fire-once bookkeeping)
  window_closing_fired  timestamptz,
  window_closed_fired   timestamptz,
  -- bumped on every change; Redis copies carry it so an older write never overwrites a newer one
  version               bigint NOT NULL DEFAULT 1,
  created_at            timestamptz NOT NULL DEFAULT now(),
  updated_at            timestamptz NOT NULL DEFAULT now()
);
-- at most one open conversation per contact and channel (earlier ones stay as history)
CREATE UNIQUE INDEX conversations_one_open_key ON conversations (channel_id, contact_id) WHERE status = 'open';
CREATE INDEX conversations_contact_idx ON conversations (channel_id, contact_id, created_at DESC);
-- the inbox list: by organization and status, most recent activity first
CREATE INDEX conversations_inbox_idx ON conversations (organization_id, status, last_message_at DESC NULLS LAST, id);
CREATE INDEX conversations_assignee_idx ON conversations (organization_id, assignee_id, last_message_at DESC NULLS LAST);
-- window timers that have not fired yet (rebuilt into Redis at start)
CREATE INDEX conversations_window_idx ON conversations (window_expires_at) WHERE window_expires_at IS NOT NULL;

CREATE TABLE messages (
  id                   uuid PRIMARY KEY,
  organization_id      uuid NOT NULL REFERENCES organizations (id),
  conversation_id      uuid NOT NULL REFERENCES conversations (id),
  channel_id           uuid NOT NULL REFERENCES channels (id),
  direction            text NOT NULL CHECK (direction IN ('inbound', 'outbound', 'system')),
  type                 text NOT NULL,
  body                 text,                -- text, caption or a readable summary (previews, search)
  content              jsonb NOT NULL DEFAULT '{}',   -- the type's details (media, location, buttons...)
  provider_message_id  text,
  reply_to_provider_id text,                -- quoted message (provider id; resolved when shown)
  sender_type          text NOT NULL CHECK (sender_type IN ('contact', 'agent', 'automation', 'bot', 'system')),
  sender_id            uuid,
  status               text NOT NULL CHECK (status IN ('received', 'pending', 'sent', 'delivered', 'read', 'played', 'failed')),
  error_code           integer,
  error_title          text,
  sent_at              timestamptz NOT NULL,   -- the provider's timestamp; orders the thread
  edited_at            timestamptz,
  raw                  jsonb,
  created_at           timestamptz NOT NULL DEFAULT now(),
  updated_at           timestamptz NOT NULL DEFAULT now()
);
-- de-duplication of provider retries: one row per provider message id and channel
CREATE UNIQUE INDEX messages_provider_key ON messages (channel_id, provider_message_id) WHERE provider_message_id IS NOT NULL;
CREATE INDEX messages_conversation_time_idx ON messages (conversation_id, sent_at DESC, id DESC);
CREATE INDEX messages_org_time_idx ON messages (organization_id, sent_at DESC);

CREATE TABLE message_status_history (
  id                 bigserial PRIMARY KEY,
  message_id         uuid NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
  status             text NOT NULL,
  provider_timestamp timestamptz NOT NULL,
  error_code         integer,
  error_title        text,
  raw                jsonb,
  recorded_at        timestamptz NOT NULL DEFAULT now()
);
-- the same status for the same message is recorded once, however often the provider repeats it
CREATE UNIQUE INDEX message_status_history_key ON message_status_history (message_id, status);

-- statuses that arrived before their message is known (kept, applied when it appears, purged when old)
CREATE TABLE pending_statuses (
  channel_id          uuid NOT NULL REFERENCES channels (id),
  provider_message_id text NOT NULL,
  status              text NOT NULL,
  provider_timestamp  timestamptz NOT NULL,
  error_code          integer,
  error_title         text,
  raw                 jsonb,
  received_at         timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (channel_id, provider_message_id, status)
);
CREATE INDEX pending_statuses_received_idx ON pending_statuses (received_at);

-- reactions: one per side per target message; keyed by the target's provider id so a reaction to a
-- message that arrives later is not lost. emoji NULL = removed (kept so an older redelivery cannot revive it).
CREATE TABLE reactions (
  channel_id           uuid NOT NULL REFERENCES channels (id),
  target_provider_id   text NOT NULL,
  side                 text NOT NULL CHECK (side IN ('customer', 'business')),
  emoji                text,
  reacted_at           timestamptz NOT NULL,
  provider_message_id  text,
  sender_id            uuid,
  updated_at           timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (channel_id, target_provider_id, side)
);

CREATE TABLE assignments (
  id              uuid PRIMARY KEY,
  organization_id uuid NOT NULL REFERENCES organizations (id),
  conversation_id uuid NOT NULL REFERENCES conversations (id),
  user_id         uuid NOT NULL REFERENCES users (id),
  assigned_by     uuid REFERENCES users (id),
  started_at      timestamptz NOT NULL DEFAULT now(),
  ended_at        timestamptz
);
-- one active assignment per conversation; ended ones stay as history
CREATE UNIQUE INDEX assignments_active_key ON assignments (conversation_id) WHERE ended_at IS NULL;
CREATE INDEX assignments_conversation_idx ON assignments (conversation_id, started_at DESC);
