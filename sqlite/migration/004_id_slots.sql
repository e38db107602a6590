-- ChargeOver integer ids come from a sequence per account and mode, each in
-- its own slot of 2^32 ids: id = slot * 2^32 + counter, the counter starting at
-- 1. A slot is drawn at random from [1, 2^21) when an account's mode first
-- needs an id, so ids stay below 2^53 and say nothing about other tenants'
-- volume. Customers and cards count apart within the slot. Slot 0 holds the
-- ids the global counters issued before this migration (all below 2^32): they
-- keep working, and every new id is larger.
CREATE TABLE id_slots (
    account_id    TEXT    NOT NULL REFERENCES accounts (id),
    mode          INTEGER NOT NULL,
    slot          INTEGER NOT NULL UNIQUE CHECK (slot >= 1 AND slot < 2097152),
    last_customer INTEGER NOT NULL DEFAULT 0,
    last_card     INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (account_id, mode)
);
DROP TABLE counters;
