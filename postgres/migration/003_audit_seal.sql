-- Audit records are sealed after their write commits (docs/DESIGN.md,
-- "PostgreSQL store"): a write inserts its records with seq and mac NULL,
-- without a lock; the sealer numbers and MACs committed records in id order,
-- under the audit lock. Existing records keep their seq, as id too.
-- entry_mac, over a random nonce and the record (Seq 0), is the writer's
-- proof that a record came from an instance holding the audit key: the
-- sealer seals no record whose entry_mac does not verify, and marks it
-- rejected instead.
ALTER TABLE audit_log DROP CONSTRAINT audit_log_pkey;
ALTER TABLE audit_log ADD COLUMN id BIGINT;
UPDATE audit_log SET id = seq;
CREATE SEQUENCE audit_log_id_seq OWNED BY audit_log.id;
SELECT setval('audit_log_id_seq', COALESCE((SELECT max(id) FROM audit_log), 0) + 1, false);
ALTER TABLE audit_log ALTER COLUMN id SET DEFAULT nextval('audit_log_id_seq');
ALTER TABLE audit_log ALTER COLUMN id SET NOT NULL;
ALTER TABLE audit_log ADD PRIMARY KEY (id);
ALTER TABLE audit_log ALTER COLUMN seq DROP NOT NULL;
ALTER TABLE audit_log ALTER COLUMN mac DROP NOT NULL;
ALTER TABLE audit_log ADD CONSTRAINT audit_log_sealed CHECK ((seq IS NULL) = (mac IS NULL));
CREATE UNIQUE INDEX audit_log_seq ON audit_log (seq);
ALTER TABLE audit_log ADD COLUMN nonce BYTEA UNIQUE;
ALTER TABLE audit_log ADD COLUMN entry_mac BYTEA;
ALTER TABLE audit_log ADD COLUMN rejected BOOLEAN NOT NULL DEFAULT false;
CREATE INDEX audit_log_unsealed ON audit_log (id) WHERE seq IS NULL AND NOT rejected;
