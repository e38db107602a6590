package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/cardvault/cardvault"
)

// APIKeys returns an account's API key records, oldest first (ENotFound when
// the account does not exist). Operators list keys rarely: a scan of
// api_keys is fine.
func (db *DB) APIKeys(ctx context.Context, accountID string) ([]*cardvault.APIKey, error) {
	ks, err := listAPIKeys(ctx, db.rq, accountID)
	return ks, readErr(ctx, err)
}

func listAPIKeys(ctx context.Context, q queryer, accountID string) ([]*cardvault.APIKey, error) {
	var n int
	if err := q.QueryRowContext(ctx, `SELECT count(*) FROM accounts WHERE id = ?`, accountID).Scan(&n); err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, cardvault.NotFound("account", accountID)
	}
	rows, err := q.QueryContext(ctx, `SELECT hash, mode, kind, sealed_secret, created_at FROM api_keys
		WHERE account_id = ? ORDER BY created_at, mode, kind, hash`, accountID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*cardvault.APIKey
	for rows.Next() {
		k := cardvault.APIKey{AccountID: accountID}
		var hash []byte
		var created int64
		if err := rows.Scan(&hash, &k.Mode, &k.Kind, &k.SealedSecret, &created); err != nil {
			return nil, err
		}
		if len(hash) != len(k.Hash) {
			return nil, cardvault.Internal("sqlite: api key hash of %d bytes", len(hash))
		}
		copy(k.Hash[:], hash)
		k.CreatedAt = fromMS(created)
		out = append(out, &k)
	}
	return out, rows.Err()
}

// ReplaceSecretKey makes secret the only secret key of its account and mode
// and re-seals it on every public key of that mode, in one transaction:
// the old secret key stops working when the new one starts.
func (db *DB) ReplaceSecretKey(ctx context.Context, secret cardvault.APIKey, sealed map[[32]byte][]byte) error {
	if err := needTimes("ReplaceSecretKey", secret.CreatedAt); err != nil {
		return err
	}
	if secret.Kind != cardvault.SecretKey {
		return cardvault.Internal("sqlite: ReplaceSecretKey: kind %d is not a secret key", secret.Kind)
	}
	return db.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		keys, err := listAPIKeys(ctx, tx, secret.AccountID)
		if err != nil {
			return err
		}
		public := 0
		for _, k := range keys {
			if k.Mode != secret.Mode || k.Kind != cardvault.PublicKey {
				continue
			}
			public++
			if _, ok := sealed[k.Hash]; !ok {
				return &cardvault.Error{Code: cardvault.EConflict, Field: "public_key",
					Err: fmt.Errorf("public key without a sealed secret")}
			}
		}
		if public != len(sealed) {
			return &cardvault.Error{Code: cardvault.EConflict, Field: "public_key",
				Err: fmt.Errorf("%d sealed secrets for %d public keys", len(sealed), public)}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM api_keys WHERE account_id = ? AND mode = ? AND kind = ?`,
			secret.AccountID, secret.Mode, cardvault.SecretKey); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO api_keys (hash, account_id, mode, kind, sealed_secret, created_at)
			VALUES (?, ?, ?, ?, NULL, ?)`, secret.Hash[:], secret.AccountID, secret.Mode, secret.Kind, ms(secret.CreatedAt)); err != nil {
			return classify(err, "secret_key")
		}
		for h, s := range sealed {
			if _, err := tx.ExecContext(ctx, `UPDATE api_keys SET sealed_secret = ? WHERE hash = ?`, s, h[:]); err != nil {
				return err
			}
		}
		return db.appendAudit(ctx, tx, "")
	})
}
