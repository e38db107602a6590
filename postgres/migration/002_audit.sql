-- The audit trail (docs/DESIGN.md, "Audit trail"; sqlite migration 009).
-- audit_log is append-only: each row's mac chains it to the row before
-- (seq - 1), or to the anchor once retention has deleted the oldest rows.
-- Appends from every instance take one transaction-level advisory lock, so
-- the chain head is read and extended by one transaction at a time.
CREATE TABLE audit_key (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    wrapped     BYTEA   NOT NULL,
    scheme      INTEGER NOT NULL,
    kek_version INTEGER NOT NULL,
    created_at  BIGINT  NOT NULL
);

CREATE TABLE audit_log (
    seq         BIGINT PRIMARY KEY,
    at          BIGINT   NOT NULL,
    account_id  TEXT COLLATE "C" NOT NULL,
    mode        SMALLINT NOT NULL,
    actor       TEXT COLLATE "C" NOT NULL,
    action      TEXT COLLATE "C" NOT NULL,
    object      TEXT COLLATE "C" NOT NULL,
    detail      TEXT COLLATE "C" NOT NULL,
    result      TEXT COLLATE "C" NOT NULL,
    request_id  TEXT COLLATE "C" NOT NULL,
    client_addr TEXT COLLATE "C" NOT NULL,
    mac         BYTEA    NOT NULL
);

CREATE TABLE audit_anchor (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    seq        BIGINT NOT NULL,
    mac        BYTEA  NOT NULL,
    at         BIGINT NOT NULL,
    anchor_mac BYTEA  NOT NULL
);
