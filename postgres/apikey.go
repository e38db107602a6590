package postgres

import (
	"context"
	"fmt"

	"github.com/cardvault/cardvault"
	"github.com/jackc/pgx/v5"
)

// APIKeys returns an account's API key records, oldest first (ENotFound when
// the account does not exist).
func (db *DB) APIKeys(ctx context.Context, accountID string) ([]*cardvault.APIKey, error) {
	ks, err := listAPIKeys(ctx, db.pool, accountID)
	return ks, db.fail(ctx, "APIKeys", err)
}

func listAPIKeys(ctx context.Context, q querier, accountID string) ([]*cardvault.APIKey, error) {
	var n int
	if err := q.QueryRow(ctx, `SELECT count(*) FROM accounts WHERE id = $1`, accountID).Scan(&n); err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, cardvault.NotFound("account", accountID)
	}
	rows, err := q.Query(ctx, `SELECT hash, mode, kind, sealed_secret, created_at FROM api_keys
		WHERE account_id = $1 ORDER BY created_at, mode, kind, hash`, accountID)
	return collect(rows, err, func(r pgx.Row) (*cardvault.APIKey, error) {
		k := cardvault.APIKey{AccountID: accountID}
		var hash []byte
		var created int64
		if err := r.Scan(&hash, &k.Mode, &k.Kind, &k.SealedSecret, &created); err != nil {
			return nil, err
		}
		if len(hash) != len(k.Hash) {
			return nil, cardvault.Internal("postgres: api key hash of %d bytes", len(hash))
		}
		copy(k.Hash[:], hash)
		k.CreatedAt = fromMS(created)
		return &k, nil
	})
}

// ReplaceSecretKey makes secret the only secret key of its account and mode
// and re-seals it on every public key of that mode, in one transaction that
// holds the account's row: replacements on several instances take turns.
func (db *DB) ReplaceSecretKey(ctx context.Context, secret cardvault.APIKey, sealed map[[32]byte][]byte) error {
	if err := needTimes("ReplaceSecretKey", secret.CreatedAt); err != nil {
		return err
	}
	if secret.Kind != cardvault.SecretKey {
		return cardvault.Internal("postgres: ReplaceSecretKey: kind %d is not a secret key", secret.Kind)
	}
	return db.write(ctx, "ReplaceSecretKey", func(ctx context.Context, tx pgx.Tx) error {
		if err := lockKeys(ctx, tx, false); err != nil {
			return err
		}
		if err := lockAccount(ctx, tx, secret.AccountID); err != nil {
			return err
		}
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
		if _, err := tx.Exec(ctx, `DELETE FROM api_keys WHERE account_id = $1 AND mode = $2 AND kind = $3`,
			secret.AccountID, secret.Mode, cardvault.SecretKey); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO api_keys (hash, account_id, mode, kind, sealed_secret, created_at)
			VALUES ($1, $2, $3, $4, NULL, $5)`, secret.Hash[:], secret.AccountID, secret.Mode, secret.Kind, ms(secret.CreatedAt)); err != nil {
			return classify(err, "secret_key")
		}
		for h, s := range sealed {
			if _, err := tx.Exec(ctx, `UPDATE api_keys SET sealed_secret = $1 WHERE hash = $2`, s, h[:]); err != nil {
				return err
			}
		}
		return appendAudit(ctx, tx, "")
	})
}
