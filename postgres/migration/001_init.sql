-- cardvault schema for PostgreSQL, equivalent to SQLite's after its migration
-- 008 (sqlite/migration/*.sql explains each table). Times are Unix
-- milliseconds (UTC) in BIGINT. Text columns use '' for unset values and
-- collate "C": every comparison and order is byte-wise, as the query language
-- (docs/API.md §3.6) and the SQLite store have it, whatever the database's
-- locale. No column holds a card number or security code in the clear.

CREATE TABLE accounts (
    id         TEXT COLLATE "C" PRIMARY KEY,
    name       TEXT COLLATE "C" NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);

CREATE TABLE data_keys (
    account_id  TEXT COLLATE "C" NOT NULL REFERENCES accounts (id),
    version     INTEGER NOT NULL,
    wrapped     BYTEA   NOT NULL,
    scheme      INTEGER NOT NULL,
    kek_version INTEGER NOT NULL,
    created_at  BIGINT  NOT NULL,
    PRIMARY KEY (account_id, version)
);

CREATE TABLE fingerprint_keys (
    account_id  TEXT COLLATE "C" PRIMARY KEY REFERENCES accounts (id),
    wrapped     BYTEA   NOT NULL,
    scheme      INTEGER NOT NULL,
    kek_version INTEGER NOT NULL,
    created_at  BIGINT  NOT NULL
);

CREATE TABLE api_keys (
    hash               BYTEA PRIMARY KEY,
    account_id         TEXT COLLATE "C" NOT NULL REFERENCES accounts (id),
    mode               SMALLINT NOT NULL,
    kind               SMALLINT NOT NULL,
    sealed_secret      BYTEA,
    secret_scheme      INTEGER NOT NULL DEFAULT 1,
    secret_kek_version INTEGER NOT NULL DEFAULT 0,
    created_at         BIGINT   NOT NULL
);
CREATE INDEX api_keys_account ON api_keys (account_id);

CREATE TABLE kek_versions (
    version     INTEGER PRIMARY KEY,
    check_value BYTEA  NOT NULL UNIQUE,
    wrapped     BYTEA,
    wrapped_by  INTEGER,
    created_at  BIGINT NOT NULL,
    retired_at  BIGINT
);

-- ChargeOver integer ids: slot << 32 | counter per account and mode (sqlite
-- migration 004). The row of a scope is locked while a transaction draws an
-- id from it, so ids ascend in the order the drawing transactions commit.
CREATE TABLE id_slots (
    account_id    TEXT COLLATE "C" NOT NULL REFERENCES accounts (id),
    mode          SMALLINT NOT NULL,
    slot          BIGINT   NOT NULL UNIQUE CHECK (slot >= 1 AND slot < 2097152),
    last_customer BIGINT   NOT NULL DEFAULT 0,
    last_card     BIGINT   NOT NULL DEFAULT 0,
    PRIMARY KEY (account_id, mode)
);

CREATE TABLE customers (
    seq           BIGINT PRIMARY KEY,
    id            TEXT COLLATE "C" NOT NULL UNIQUE,
    account_id    TEXT COLLATE "C" NOT NULL REFERENCES accounts (id),
    mode          SMALLINT NOT NULL,
    token         TEXT COLLATE "C" NOT NULL UNIQUE,
    external_key  TEXT COLLATE "C",
    email         TEXT COLLATE "C" NOT NULL DEFAULT '',
    description   TEXT COLLATE "C" NOT NULL DEFAULT '',
    metadata      TEXT COLLATE "C" NOT NULL DEFAULT '{}',
    default_card  TEXT COLLATE "C" NOT NULL DEFAULT '',
    contact_name  TEXT COLLATE "C" NOT NULL DEFAULT '',
    contact_first TEXT COLLATE "C" NOT NULL DEFAULT '',
    contact_last  TEXT COLLATE "C" NOT NULL DEFAULT '',
    contact_phone TEXT COLLATE "C" NOT NULL DEFAULT '',
    created_at    BIGINT NOT NULL,
    modified_at   BIGINT NOT NULL
);
CREATE UNIQUE INDEX customers_external_key ON customers (account_id, mode, external_key)
    WHERE external_key IS NOT NULL;
CREATE INDEX customers_created ON customers (account_id, mode, created_at, seq);
CREATE INDEX customers_co_seq ON customers (account_id, mode, seq NULLS FIRST);
CREATE INDEX customers_co_external_key ON customers (account_id, mode, external_key NULLS FIRST, seq NULLS FIRST);
CREATE INDEX customers_co_token ON customers (account_id, mode, token NULLS FIRST, seq NULLS FIRST);
CREATE INDEX customers_co_company ON customers (account_id, mode, nullif(description, '') NULLS FIRST, seq NULLS FIRST);
CREATE INDEX customers_co_email ON customers (account_id, mode, nullif(email, '') NULLS FIRST, seq NULLS FIRST);

-- cards hold a token's card data from tokenization on; attaching the token
-- sets customer_id, customer_seq, seq and token.
CREATE TABLE cards (
    id           TEXT COLLATE "C" PRIMARY KEY,
    account_id   TEXT COLLATE "C" NOT NULL REFERENCES accounts (id),
    mode         SMALLINT NOT NULL,
    customer_id  TEXT COLLATE "C" REFERENCES customers (id),
    customer_seq BIGINT,
    seq          BIGINT UNIQUE,
    token        TEXT COLLATE "C" UNIQUE,
    external_key TEXT COLLATE "C",
    bin          TEXT COLLATE "C" NOT NULL,
    brand        TEXT COLLATE "C" NOT NULL,
    last4        TEXT COLLATE "C" NOT NULL,
    fingerprint  TEXT COLLATE "C" NOT NULL,
    pan_sealed   BYTEA    NOT NULL,
    key_version  INTEGER  NOT NULL,
    name         TEXT COLLATE "C" NOT NULL DEFAULT '',
    exp_month    INTEGER  NOT NULL,
    exp_year     INTEGER  NOT NULL,
    street1      TEXT COLLATE "C" NOT NULL DEFAULT '',
    street2      TEXT COLLATE "C" NOT NULL DEFAULT '',
    city         TEXT COLLATE "C" NOT NULL DEFAULT '',
    state        TEXT COLLATE "C" NOT NULL DEFAULT '',
    postal_code  TEXT COLLATE "C" NOT NULL DEFAULT '',
    country      TEXT COLLATE "C" NOT NULL DEFAULT '',
    phone        TEXT COLLATE "C" NOT NULL DEFAULT '',
    bank         TEXT COLLATE "C" NOT NULL DEFAULT '',
    financing    TEXT COLLATE "C" NOT NULL DEFAULT '',
    cvv_checked  BOOLEAN  NOT NULL,
    write_ip     TEXT COLLATE "C" NOT NULL DEFAULT '',
    created_at   BIGINT   NOT NULL,
    modified_at  BIGINT   NOT NULL
);
CREATE UNIQUE INDEX cards_external_key ON cards (account_id, mode, external_key)
    WHERE external_key IS NOT NULL;
CREATE INDEX cards_customer ON cards (customer_id, created_at);
CREATE INDEX cards_fingerprint ON cards (customer_id, fingerprint);
CREATE INDEX cards_stale ON cards (account_id, id);
CREATE INDEX cards_co_seq ON cards (account_id, mode, seq NULLS FIRST) WHERE seq IS NOT NULL;
CREATE INDEX cards_co_customer ON cards (account_id, mode, customer_seq NULLS FIRST, seq NULLS FIRST) WHERE seq IS NOT NULL;
CREATE INDEX cards_co_external_key ON cards (account_id, mode, external_key NULLS FIRST, seq NULLS FIRST) WHERE seq IS NOT NULL;
CREATE INDEX cards_co_token ON cards (account_id, mode, token NULLS FIRST, seq NULLS FIRST) WHERE seq IS NOT NULL;

-- tokens: card_id is NULL once the janitor has purged an expired token's
-- card (the row stays as a tombstone for a day).
CREATE TABLE tokens (
    id         TEXT COLLATE "C" PRIMARY KEY,
    account_id TEXT COLLATE "C" NOT NULL REFERENCES accounts (id),
    mode       SMALLINT NOT NULL,
    card_id    TEXT COLLATE "C",
    used       BOOLEAN  NOT NULL DEFAULT false,
    created_at BIGINT   NOT NULL
);
CREATE INDEX tokens_created ON tokens (created_at);
CREATE INDEX tokens_pending ON tokens (created_at) WHERE NOT used AND card_id IS NOT NULL;

-- nonces remember ChargeOver signature nonces for the replay window, for
-- every instance on this database.
CREATE TABLE nonces (
    public_key_hash BYTEA  NOT NULL,
    nonce           TEXT COLLATE "C" NOT NULL,
    seen_at         BIGINT NOT NULL,
    PRIMARY KEY (public_key_hash, nonce)
);
CREATE INDEX nonces_seen ON nonces (public_key_hash, seen_at);
