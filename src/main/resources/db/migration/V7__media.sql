-- Parley schema, version 7: media files. Inbound ones are fetched from the provider after the webhook is stored;
-- outbound ones are uploaded by agents and sent by the dispatcher. The bytes live in the media storage
-- (media.dir), under storage_key; PostgreSQL keeps what is known about them.
CREATE TABLE media_files (
  id                uuid PRIMARY KEY,
  organization_id   uuid NOT NULL REFERENCES organizations (id),
  channel_id        uuid REFERENCES channels (id),          -- inbound: the channel it arrived on
  message_id        uuid UNIQUE REFERENCES messages (id),   -- inbound: the message that brought it (one file each)
  direction         text NOT NULL CHECK (direction IN ('inbound', 'outbound')),
  message_type      text NOT NULL CHECK (message_type IN ('image', 'video', 'audio', 'voice', 'document', 'sticker')),
  provider_media_id text,                 -- inbound: the media id of the webhook (valid 7 days at the provider)
  mime_type         text NOT NULL,
  size_bytes        bigint,               -- known once stored
  sha256            text,                 -- hex digest of the stored bytes
  filename          text,
  storage_key       text,                 -- null until stored, and again once an expired file is deleted
  state             text NOT NULL CHECK (state IN ('pending', 'stored', 'failed', 'expired')),
  error             text,                 -- why the last attempt failed (kept on 'failed')
  attempts          integer NOT NULL DEFAULT 0,
  next_attempt_at   timestamptz,          -- pending inbound: when it may be (re)tried; doubles as the fetch lease
  expires_at        timestamptz,          -- null: kept forever (media.retention)
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX media_files_due_idx ON media_files (next_attempt_at) WHERE state = 'pending';
CREATE INDEX media_files_expiry_idx ON media_files (expires_at) WHERE state = 'stored' AND expires_at IS NOT NULL;
-- expired files whose bytes are still to be deleted (a deletion that failed is retried)
CREATE INDEX media_files_expired_idx ON media_files (updated_at) WHERE state = 'expired' AND storage_key IS NOT NULL;

-- The provider's media id a file got when it was uploaded for a channel (WhatsApp keeps uploaded media 30 days),
-- so a file sent again, or to many recipients, is uploaded once while that id is valid.
CREATE TABLE media_uploads (
  file_id           uuid NOT NULL REFERENCES media_files (id) ON DELETE CASCADE,
  channel_id        uuid NOT NULL REFERENCES channels (id),
  provider_media_id text NOT NULL,
  uploaded_at       timestamptz NOT NULL DEFAULT now(),
  expires_at        timestamptz NOT NULL,
  PRIMARY KEY (file_id, channel_id)
);

-- The fetcher's durable sweep: recent inbound media messages, so finding those without a file reads an index.
CREATE INDEX messages_inbound_media_idx ON messages (created_at)
  WHERE direction = 'inbound' AND type IN ('image', 'video', 'audio', 'voice', 'document', 'sticker');
