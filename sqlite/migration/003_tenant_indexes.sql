-- Every list, count, filter and order of a tenant starts with (account_id,
-- mode), so that one tenant's queries never scan another's rows. The ChargeOver
-- card indexes hold stored cards only (seq IS NOT NULL): tokenizing writes none
-- of them. Each ends with the id that breaks ties, so an order on one field
-- with the id tie-breaker reads the index in order.
CREATE INDEX cards_co_seq ON cards (account_id, mode, seq) WHERE seq IS NOT NULL;
CREATE INDEX cards_co_customer ON cards (account_id, mode, customer_seq, seq) WHERE seq IS NOT NULL;
CREATE INDEX cards_co_external_key ON cards (account_id, mode, external_key, seq) WHERE seq IS NOT NULL;
CREATE INDEX cards_co_token ON cards (account_id, mode, token, seq) WHERE seq IS NOT NULL;
DROP INDEX cards_customer_seq;

CREATE INDEX customers_co_seq ON customers (account_id, mode, seq);
CREATE INDEX customers_co_external_key ON customers (account_id, mode, external_key, seq);
CREATE INDEX customers_co_token ON customers (account_id, mode, token, seq);
CREATE INDEX customers_co_company ON customers (account_id, mode, nullif(description, ''), seq);
CREATE INDEX customers_co_email ON customers (account_id, mode, nullif(email, ''), seq);

-- The janitor's batches find expired unused tokens without stepping over
-- used tokens and tombstones.
CREATE INDEX tokens_pending ON tokens (created_at) WHERE used = 0 AND card_id IS NOT NULL;
