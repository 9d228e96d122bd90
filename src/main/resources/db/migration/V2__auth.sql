-- Parley schema, version 2: API keys for internal services and server-wide secrets.

-- An API key authenticates a service within one organization. Only a SHA-256 digest of the key is kept:
-- the key itself (256 random bits) is shown once, when it is created.
CREATE TABLE api_keys (
  id              uuid PRIMARY KEY,
  organization_id uuid NOT NULL REFERENCES organizations (id),
  name            text NOT NULL,
  key_prefix      text NOT NULL,            -- the first characters, to recognise a key in lists
  key_hash        bytea NOT NULL UNIQUE,
  created_by      uuid REFERENCES users (id),
  created_at      timestamptz NOT NULL DEFAULT now(),
  last_used_at    timestamptz,
  revoked_at      timestamptz
);
CREATE INDEX api_keys_organization_idx ON api_keys (organization_id, created_at DESC);

-- Secrets every node must share, generated on first start when not configured (the token signing key).
CREATE TABLE server_secrets (
  name       text PRIMARY KEY,
  value      text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
