-- The audit trail (docs/DESIGN.md, "Audit trail"). audit_log is append-only:
-- each row's mac chains it to the row before (seq - 1), or to the anchor
-- once retention has deleted the oldest rows. audit_key holds the store's one
-- audit key, wrapped under the KEK; audit_anchor at most one anchor.
CREATE TABLE audit_key (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    wrapped     BLOB    NOT NULL,
    scheme      INTEGER NOT NULL,
    kek_version INTEGER NOT NULL,
    created_at  INTEGER NOT NULL
);

CREATE TABLE audit_log (
    seq         INTEGER PRIMARY KEY,
    at          INTEGER NOT NULL,
    account_id  TEXT    NOT NULL,
    mode        INTEGER NOT NULL,
    actor       TEXT    NOT NULL,
    action      TEXT    NOT NULL,
    object      TEXT    NOT NULL,
    detail      TEXT    NOT NULL,
    result      TEXT    NOT NULL,
    request_id  TEXT    NOT NULL,
    client_addr TEXT    NOT NULL,
    mac         BLOB    NOT NULL
);

CREATE TABLE audit_anchor (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    seq        INTEGER NOT NULL,
    mac        BLOB    NOT NULL,
    at         INTEGER NOT NULL,
    anchor_mac BLOB    NOT NULL
);
