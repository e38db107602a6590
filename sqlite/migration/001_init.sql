-- cardvault schema v1. Times are Unix milliseconds (UTC). Text columns use ''
-- for unset values. No column holds a card number or security code in the clear:
-- the PAN exists only as pan_sealed (AES-256-GCM under the account's data key).

CREATE TABLE accounts (
    id         TEXT PRIMARY KEY,
    created_at INTEGER NOT NULL
);

CREATE TABLE data_keys (
    account_id TEXT    NOT NULL REFERENCES accounts (id),
    version    INTEGER NOT NULL,
    wrapped    BLOB    NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (account_id, version)
);

CREATE TABLE api_keys (
    hash          BLOB PRIMARY KEY,
    account_id    TEXT    NOT NULL REFERENCES accounts (id),
    mode          INTEGER NOT NULL,
    kind          INTEGER NOT NULL,
    sealed_secret BLOB,
    created_at    INTEGER NOT NULL
);

-- counters hand out the ChargeOver integer ids, never reused.
CREATE TABLE counters (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
INSERT INTO counters (name, value) VALUES ('customer', 0), ('card', 0);

CREATE TABLE customers (
    seq          INTEGER PRIMARY KEY,
    id           TEXT    NOT NULL UNIQUE,
    account_id   TEXT    NOT NULL REFERENCES accounts (id),
    mode         INTEGER NOT NULL,
    token        TEXT    NOT NULL UNIQUE,
    external_key TEXT,
    email        TEXT    NOT NULL DEFAULT '',
    description  TEXT    NOT NULL DEFAULT '',
    metadata     TEXT    NOT NULL DEFAULT '{}',
    default_card TEXT    NOT NULL DEFAULT '',
    contact_name TEXT    NOT NULL DEFAULT '',
    contact_first TEXT   NOT NULL DEFAULT '',
    contact_last TEXT    NOT NULL DEFAULT '',
    contact_phone TEXT   NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL,
    modified_at  INTEGER NOT NULL
);
CREATE UNIQUE INDEX customers_external_key ON customers (account_id, mode, external_key)
    WHERE external_key IS NOT NULL;
CREATE INDEX customers_created ON customers (account_id, mode, created_at, seq);

-- cards hold a token's card data from tokenization on; attaching the token sets
-- customer_id, seq and token. bin, brand and last4 are kept apart by a text
-- column so that no long digit run forms in the stored record.
CREATE TABLE cards (
    id           TEXT PRIMARY KEY,
    account_id   TEXT    NOT NULL REFERENCES accounts (id),
    mode         INTEGER NOT NULL,
    customer_id  TEXT REFERENCES customers (id),
    customer_seq INTEGER,
    seq          INTEGER UNIQUE,
    token        TEXT    UNIQUE,
    external_key TEXT,
    bin          TEXT    NOT NULL,
    brand        TEXT    NOT NULL,
    last4        TEXT    NOT NULL,
    fingerprint  TEXT    NOT NULL,
    pan_sealed   BLOB    NOT NULL,
    key_version  INTEGER NOT NULL,
    name         TEXT    NOT NULL DEFAULT '',
    exp_month    INTEGER NOT NULL,
    exp_year     INTEGER NOT NULL,
    street1      TEXT    NOT NULL DEFAULT '',
    street2      TEXT    NOT NULL DEFAULT '',
    city         TEXT    NOT NULL DEFAULT '',
    state        TEXT    NOT NULL DEFAULT '',
    postal_code  TEXT    NOT NULL DEFAULT '',
    country      TEXT    NOT NULL DEFAULT '',
    phone        TEXT    NOT NULL DEFAULT '',
    bank         TEXT    NOT NULL DEFAULT '',
    financing    TEXT    NOT NULL DEFAULT '',
    cvv_checked  INTEGER NOT NULL,
    write_ip     TEXT    NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL,
    modified_at  INTEGER NOT NULL
);
CREATE UNIQUE INDEX cards_external_key ON cards (account_id, mode, external_key)
    WHERE external_key IS NOT NULL;
CREATE INDEX cards_customer ON cards (customer_id, created_at);
CREATE INDEX cards_customer_seq ON cards (customer_seq, seq);
CREATE INDEX cards_fingerprint ON cards (customer_id, fingerprint);

-- tokens: card_id is NULL once the janitor has purged an expired token's card
-- (the row stays as a tombstone for a day).
CREATE TABLE tokens (
    id         TEXT PRIMARY KEY,
    account_id TEXT    NOT NULL REFERENCES accounts (id),
    mode       INTEGER NOT NULL,
    card_id    TEXT,
    used       INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);
CREATE INDEX tokens_created ON tokens (created_at);

-- nonces remember ChargeOver signature nonces for the replay window.
CREATE TABLE nonces (
    public_key_hash BLOB    NOT NULL,
    nonce           TEXT    NOT NULL,
    seen_at         INTEGER NOT NULL,
    PRIMARY KEY (public_key_hash, nonce)
);
