-- A token's expiry is fixed when it is created: expires_at is created_at plus
-- the token TTL of the instance that created it, so that instances with
-- different --token-ttl judge a token alike. Attaching, reading and the
-- janitor go by expires_at. Tokens written before this migration get
-- created_at + 30 minutes (1,800,000 ms), the default --token-ttl: a store
-- that was served with another TTL has its pending tokens expire by the
-- default's terms once.
ALTER TABLE tokens ADD COLUMN expires_at INTEGER NOT NULL DEFAULT 0;
UPDATE tokens SET expires_at = created_at + 1800000;

-- The janitor finds expired unused tokens, and tombstones to forget, by
-- expires_at.
DROP INDEX tokens_pending;
CREATE INDEX tokens_pending ON tokens (expires_at) WHERE used = 0 AND card_id IS NOT NULL;
DROP INDEX tokens_created;
CREATE INDEX tokens_expires ON tokens (expires_at);
