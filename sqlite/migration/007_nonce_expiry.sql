-- UseNonce forgets a key's nonces older than the replay window on every signed
-- ChargeOver request, in the single writer: this index makes that a range
-- search instead of a walk over every nonce the key has in the primary key.
CREATE INDEX nonces_seen ON nonces (public_key_hash, seen_at);
