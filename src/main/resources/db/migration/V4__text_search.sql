-- Parley schema, version 4: substring search over contacts (the inbox list's and the contact list's `q`) through
-- trigram indexes, so finding "4242" or "ann" among 100k contacts reads an index, not the table.
-- pg_trgm ships with PostgreSQL (contrib) and is a trusted extension: a database owner may create it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX contacts_name_trgm_idx ON contacts USING gin (lower(name) gin_trgm_ops);
CREATE INDEX contacts_mobile_trgm_idx ON contacts USING gin (mobile_number gin_trgm_ops);
CREATE INDEX contacts_email_trgm_idx ON contacts USING gin (lower(email) gin_trgm_ops);
