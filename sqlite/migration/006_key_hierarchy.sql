-- The key hierarchy (docs/DESIGN.md, "Data and encryption"): every wrapped key
-- records its wrapping scheme and the version of the key-encryption key (KEK)
-- that wraps it. Rows written before this migration were wrapped under the
-- master key itself (scheme 1, KEK version 0); the vault re-wraps them under
-- the KEK at start-up (scheme 2), which needs the master key and so cannot
-- happen here. Rows that an older version writes afterwards get scheme 1 too.
ALTER TABLE data_keys ADD COLUMN scheme INTEGER NOT NULL DEFAULT 1;
ALTER TABLE data_keys ADD COLUMN kek_version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE api_keys ADD COLUMN secret_scheme INTEGER NOT NULL DEFAULT 1;
ALTER TABLE api_keys ADD COLUMN secret_kek_version INTEGER NOT NULL DEFAULT 0;

-- One random fingerprint key per account, for life. Accounts of an older
-- store have none until the vault stores the key they derived from the
-- master key.
CREATE TABLE fingerprint_keys (
    account_id  TEXT    PRIMARY KEY REFERENCES accounts (id),
    wrapped     BLOB    NOT NULL,
    scheme      INTEGER NOT NULL,
    kek_version INTEGER NOT NULL,
    created_at  INTEGER NOT NULL
);
