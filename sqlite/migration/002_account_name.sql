-- Accounts get an operator's label (`cardvault account create --name`).
ALTER TABLE accounts ADD COLUMN name TEXT NOT NULL DEFAULT '';
