-- KEK versions (docs/DESIGN.md, "Data and encryption"): one row per master
-- key the store has been under. check_value identifies the master key at
-- start-up (keys.Keyring.MasterCheck); while a rotation to a version runs, its
-- row holds the new KEK wrapped under the previous one (wrapped, wrapped_by),
-- cleared when the rotation is finished, which also retires older versions.
-- A store written before this migration gets its version-1 row at its next
-- start with a master key that opens its keys.
CREATE TABLE kek_versions (
    version     INTEGER PRIMARY KEY,
    check_value BLOB    NOT NULL UNIQUE,
    wrapped     BLOB,
    wrapped_by  INTEGER,
    created_at  INTEGER NOT NULL,
    retired_at  INTEGER
);
