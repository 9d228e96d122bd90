-- Parley schema, version 6: WhatsApp message templates (a copy of each channel's provider list, kept in step by
-- sync) and canned responses (saved replies). Keep to SQL that PostgreSQL 15 (Debian) and 17 (embedded) both run.

-- A channel's templates as the provider last listed them. A template that disappears from the provider's list is
-- deleted here, so it can no longer be sent; messages keep their own copy of what was sent.
CREATE TABLE templates (
  id                   uuid PRIMARY KEY,
  organization_id      uuid NOT NULL REFERENCES organizations (id),
  channel_id           uuid NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
  provider_template_id text,                 -- WhatsApp's template id
  name                 text COLLATE "C" NOT NULL,
  language             text COLLATE "C" NOT NULL,   -- e.g. en_US, exactly as the provider spells it
  category             text,                  -- MARKETING, UTILITY, AUTHENTICATION
  status               text NOT NULL,         -- APPROVED, PENDING, REJECTED, PAUSED, DISABLED, ... as the provider says
  parameter_format     text NOT NULL DEFAULT 'POSITIONAL' CHECK (parameter_format IN ('POSITIONAL', 'NAMED')),
  components           jsonb NOT NULL DEFAULT '[]',   -- the provider's components (HEADER, BODY, FOOTER, BUTTONS)
  synced_at            timestamptz NOT NULL,
  created_at           timestamptz NOT NULL DEFAULT now(),
  updated_at           timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT templates_channel_name_language_key UNIQUE (channel_id, name, language)
);
-- the list (by name, then language; byte order, the same on every server) and its filters
CREATE INDEX templates_org_name_idx ON templates (organization_id, name, language, id);

-- When each channel's templates were last claimed for a periodic sync: a round claims the channels that are due in
-- one statement, so with several nodes each channel is synced once per interval.
CREATE TABLE template_syncs (
  channel_id uuid PRIMARY KEY REFERENCES channels (id) ON DELETE CASCADE,
  claimed_at timestamptz NOT NULL
);

-- Saved replies shared by the organization; body may hold {{contact.*}} and {{agent.name}} variables.
CREATE TABLE canned_responses (
  id              uuid PRIMARY KEY,
  organization_id uuid NOT NULL REFERENCES organizations (id),
  short_code      text COLLATE "C" NOT NULL CHECK (short_code ~ '^[a-z0-9_-]{1,32}$'),   -- stored in lower case
  title           text NOT NULL,
  body            text NOT NULL CHECK (char_length(body) <= 4096),
  created_by      uuid,                      -- a user or an API key
  created_by_type text NOT NULL CHECK (created_by_type IN ('user', 'service')),
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now()
);
-- one short code per organization, whatever its case; also the list's order (byte order)
CREATE UNIQUE INDEX canned_responses_org_code_key ON canned_responses (organization_id, lower(short_code));
