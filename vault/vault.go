// Package vault holds cardvault's business operations that need more than
// storage: authentication, rate limits, tokenization (validate, seal,
// fingerprint), customer creation, the token janitor, and the bound on each
// account's concurrent reads. Both HTTP dialects call it and nothing else: the
// Store is held unexported, and every storage operation a handler needs is a
// method of Vault (store.go, read.go), so that each read counts against its
// account's bound and each write gets its time from the vault's clock.
package vault

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/cardvault/cardvault"
	"github.com/cardvault/cardvault/iin"
	"github.com/cardvault/cardvault/keys"
	"github.com/cardvault/cardvault/ratelimit"
)

// TombstoneTTL is how long an expired token's id keeps answering "expired"
// after its card data has been purged.
const TombstoneTTL = 24 * time.Hour

// Vault is the service both dialects use.
type Vault struct {
	store    cardvault.Store
	Keys     *keys.Keyring
	TokenTTL time.Duration // the lifetime of the tokens this vault creates, fixed in each one's ExpiresAt
	Now      func() time.Time
	Log      *slog.Logger
	// Limiter limits requests per API key; nil allows everything.
	Limiter *ratelimit.Limiter
	// Actor is who the audit trail records for calls whose context names
	// no caller (WithCaller): cardvault.ActorServer unless a command sets
	// cardvault.ActorOperator.
	Actor string
	// AuditReads records reads of masked card data too (serve --audit-reads).
	AuditReads bool
	// AuditRetention, if positive, is how long the janitor keeps audit
	// records (serve --audit-retention); 0 keeps them for ever.
	AuditRetention time.Duration

	dks   sync.Map // account id → cachedDataKey (current)
	fks   sync.Map // account id → cardvault.FingerprintKey
	reads readGate // ReadsPerAccount
	audit auditKeyState
}

// New returns a vault over a store and keyring.
func New(s cardvault.Store, k *keys.Keyring, ttl time.Duration, log *slog.Logger) *Vault {
	return &Vault{store: s, Keys: k, TokenTTL: ttl, Now: func() time.Time { return time.Now().UTC() }, Log: log,
		Actor: cardvault.ActorServer}
}

// Credentials are the keys of a new account, shown once.
type Credentials struct {
	ID   string            `json:"id"`
	Name string            `json:"name,omitempty"`
	Test cardvault.KeyPair `json:"test"`
	Live cardvault.KeyPair `json:"live"`
}

// CreateAccount creates an account with a data key and a test and a live key
// pair; name is an operator's label (at most 255 characters, may be "").
func (v *Vault) CreateAccount(ctx context.Context, name string) (*Credentials, error) {
	return v.createAccount(ctx, name, func(ctx context.Context, a *cardvault.Account, dk cardvault.DataKey,
		fk cardvault.FingerprintKey, recs []cardvault.APIKey) (bool, error) {
		return true, v.store.CreateAccount(ctx, a, dk, fk, recs)
	})
}

// CreateFirstAccount creates an account as CreateAccount does if the store
// has none, atomically (Store.CreateFirstAccount): of several processes
// starting together on an empty store exactly one gets credentials; the
// others get nil and nil.
func (v *Vault) CreateFirstAccount(ctx context.Context, name string) (*Credentials, error) {
	return v.createAccount(ctx, name, v.store.CreateFirstAccount)
}

// createAccount makes an account's keys and has store store them, with the
// audit record of the creation; nil credentials when store reports that it
// created nothing.
func (v *Vault) createAccount(ctx context.Context, name string, store func(ctx context.Context, a *cardvault.Account,
	dk cardvault.DataKey, fk cardvault.FingerprintKey, recs []cardvault.APIKey) (bool, error)) (*Credentials, error) {
	now := v.Now()
	if len([]rune(name)) > 255 {
		return nil, &cardvault.Error{Code: cardvault.ETooLong, Field: "name"}
	}
	a := &cardvault.Account{ID: cardvault.NewAccountID(now), Name: name, CreatedAt: now}
	dk, fk := v.Keys.NewDataKey(a.ID, 1), v.Keys.NewFingerprintKey(a.ID)
	dk.CreatedAt, fk.CreatedAt = now, now
	cr := &Credentials{ID: a.ID, Name: name}
	var recs []cardvault.APIKey
	for _, m := range []cardvault.Mode{cardvault.Test, cardvault.Live} {
		pair := cardvault.KeyPair{PublicKey: cardvault.NewKey(cardvault.PublicKey, m), SecretKey: cardvault.NewKey(cardvault.SecretKey, m)}
		pub := cardvault.HashKey(pair.PublicKey)
		sealed := v.Keys.SealKey(sealLabel(pub), pair.SecretKey)
		w, _ := keys.WrapOf(sealed)
		recs = append(recs,
			cardvault.APIKey{Hash: pub, AccountID: a.ID, Mode: m, Kind: cardvault.PublicKey, CreatedAt: now,
				SealedSecret: sealed, SecretWrap: w},
			cardvault.APIKey{Hash: cardvault.HashKey(pair.SecretKey), AccountID: a.ID, Mode: m, Kind: cardvault.SecretKey, CreatedAt: now})
		if m == cardvault.Test {
			cr.Test = pair
		} else {
			cr.Live = pair
		}
	}
	var created bool
	err := v.audited(ctx, cardvault.AuditRecord{AccountID: a.ID, Action: cardvault.AuditAccountCreate}, a.ID,
		func(ctx context.Context) (err error) {
			created, err = store(ctx, a, dk, fk, recs)
			return err
		})
	if err != nil || !created {
		return nil, err
	}
	return cr, nil
}

func sealLabel(publicHash [32]byte) string { return string(publicHash[:]) }

// Authenticate returns the record of a presented API key (EUnauthorized).
// The record is found by the key's SHA-256 hash, so finding it proves the
// key; what is left to check is that the key's prefix agrees with the
// record's kind and mode.
func (v *Vault) Authenticate(ctx context.Context, key cardvault.Secret) (*cardvault.APIKey, error) {
	kind, mode, ok := cardvault.ParseKey(key.Reveal())
	if !ok {
		return nil, &cardvault.Error{Code: cardvault.EUnauthorized}
	}
	h := cardvault.HashKey(key)
	rec, err := v.store.APIKey(ctx, h)
	if cardvault.ErrorCode(err) == cardvault.ENotFound {
		return nil, &cardvault.Error{Code: cardvault.EUnauthorized}
	}
	if err != nil {
		return nil, err
	}
	if rec.Kind != kind || rec.Mode != mode {
		return nil, &cardvault.Error{Code: cardvault.EUnauthorized}
	}
	return rec, nil
}

// ErrWrongMasterKey means the configured master key does not open the store's
// data keys: every card operation would fail, so the server must not start.
var ErrWrongMasterKey = errors.New("the master key does not open this store's data keys: " +
	"check --master-key-file / --master-key-part, CARDVAULT_MASTER_KEY, CARDVAULT_MASTER_KEY_FILE and CARDVAULT_MASTER_KEY_PARTS")

// CheckMasterKey verifies, at start-up, that the keyring's master key is one
// of the store's KEK versions and not a retired one (LoadKEKs), that it opens
// the store's first data keys (ErrWrongMasterKey otherwise), then brings
// every stored key to the keyring's wrapping (UpgradeKeys). An empty store
// passes, and records the master key as its KEK version 1.
func (v *Vault) CheckMasterKey(ctx context.Context) error {
	if err := v.LoadKEKs(ctx); err != nil {
		return err
	}
	dks, err := v.store.DataKeys(ctx, 3)
	if err != nil {
		return err
	}
	for _, dk := range dks {
		if v.Keys.Check(dk) != nil {
			return v.wrongKey()
		}
	}
	if err := v.UpgradeKeys(ctx); errors.Is(err, ErrWrongMasterKey) {
		return v.wrongKey()
	} else if err != nil {
		return err
	}
	return nil
}

// SecretKeyOf opens the secret key sealed on a public key's record.
func (v *Vault) SecretKeyOf(rec *cardvault.APIKey) (cardvault.Secret, error) {
	return v.Keys.OpenKey(sealLabel(rec.Hash), rec.SealedSecret)
}

// NewCard validates card input and returns a sealed, unattached card for
// scope s. The security code is checked and dropped here.
func (v *Vault) NewCard(ctx context.Context, s cardvault.Scope, in cardvault.CardInput, name string, addr cardvault.Address, ip string) (*cardvault.Card, error) {
	now := v.Now()
	d, err := cardvault.ValidateCard(in, now)
	if err != nil {
		return nil, err
	}
	dk, err := v.dataKey(ctx, s.AccountID)
	if err != nil {
		return nil, err
	}
	c := &cardvault.Card{ID: cardvault.NewID(cardvault.PrefixCard, s.Mode, now), AccountID: s.AccountID, Mode: s.Mode,
		Brand: d.Brand, Name: name, ExpMonth: d.ExpMonth, ExpYear: d.ExpYear, Address: addr, CVVChecked: d.CVVChecked,
		WriteIP: ip, CreatedAt: now, ModifiedAt: now, KeyVersion: dk.Version}
	pan := d.PAN.Reveal()
	c.BIN, c.LastDigits = pan[:6], pan[len(pan)-4:]
	if c.Fingerprint, err = v.fingerprint(ctx, s.AccountID, d.PAN); err != nil {
		return nil, err
	}
	if c.Sealed, err = v.Keys.Seal(dk, c.ID, []byte(pan)); err != nil {
		return nil, cardvault.Internal("seal: %w", err)
	}
	is := iin.Lookup(pan)
	c.Bank, c.Financing = is.Bank, is.Financing
	if c.Address.Country == "" {
		c.Address.Country = is.Country
	}
	return c, nil
}

// CreateToken tokenizes card data for scope s.
func (v *Vault) CreateToken(ctx context.Context, s cardvault.Scope, in cardvault.CardInput, addr cardvault.Address, ip string) (*cardvault.Token, error) {
	c, err := v.NewCard(ctx, s, in, in.Name, addr, ip)
	if err != nil {
		return nil, err
	}
	t := &cardvault.Token{ID: cardvault.NewID(cardvault.PrefixToken, s.Mode, c.CreatedAt), AccountID: s.AccountID,
		Mode: s.Mode, CreatedAt: c.CreatedAt, ExpiresAt: c.CreatedAt.Add(v.TokenTTL), Card: c}
	rec := cardvault.AuditRecord{AccountID: s.AccountID, Mode: s.Mode, Action: cardvault.AuditTokenCreate, Detail: "card=" + c.ID}
	if err := v.audited(ctx, rec, t.ID, func(ctx context.Context) error { return v.store.CreateToken(ctx, t) }); err != nil {
		return nil, err
	}
	return t, nil
}

// Token returns a token until its ExpiresAt has passed (ENotFound
// afterwards), within the account's read bound (ERateLimited).
func (v *Vault) Token(ctx context.Context, s cardvault.Scope, id string) (*cardvault.Token, error) {
	t, err := read(ctx, v, s.AccountID, func() (*cardvault.Token, error) { return v.store.Token(ctx, s, id) })
	if err != nil {
		return nil, err
	}
	if t.Expired(v.Now()) {
		return nil, cardvault.NotFound("token", id)
	}
	return t, v.auditRead(ctx, s, cardvault.AuditTokenRead, t.ID, "")
}

// UpdateCustomer is Store.UpdateCustomer with u.Now set from the vault's
// clock: the store never receives a time the vault did not read.
func (v *Vault) UpdateCustomer(ctx context.Context, s cardvault.Scope, id string, u cardvault.CustomerUpdate) error {
	u.Now = v.Now()
	rec := cardvault.AuditRecord{AccountID: s.AccountID, Mode: s.Mode, Action: cardvault.AuditCustomerUpdate, Detail: customerChange(u)}
	return v.audited(ctx, rec, auditID(cardvault.PrefixCustomer, id), func(ctx context.Context) error {
		return v.store.UpdateCustomer(ctx, s, id, u)
	})
}

// Attach returns the attach request for a token id at the current time: the
// token's own ExpiresAt decides, not this vault's TokenTTL.
func (v *Vault) Attach(tokenID string) *cardvault.Attach {
	return &cardvault.Attach{TokenID: tokenID, ExpiredBefore: v.Now()}
}

// CreateCustomer fills in ids and times and stores c, attaching tokenID if not "".
func (v *Vault) CreateCustomer(ctx context.Context, s cardvault.Scope, c *cardvault.Customer, tokenID string) error {
	now := v.Now()
	c.ID, c.AccountID, c.Mode = cardvault.NewID(cardvault.PrefixCustomer, s.Mode, now), s.AccountID, s.Mode
	c.Token, c.CreatedAt, c.ModifiedAt = cardvault.NewObjectToken(), now, now
	if c.Metadata == nil {
		c.Metadata = []byte("{}")
	}
	var att *cardvault.Attach
	rec := cardvault.AuditRecord{AccountID: s.AccountID, Mode: s.Mode, Action: cardvault.AuditCustomerCreate}
	if tokenID != "" {
		att = v.Attach(tokenID)
		rec.Detail = "attach=" + auditID(cardvault.PrefixToken, tokenID)
	}
	return v.audited(ctx, rec, c.ID, func(ctx context.Context) error { return v.store.CreateCustomer(ctx, c, att) })
}

// Purge runs the token janitor once and returns how many cards it destroyed.
func (v *Vault) Purge(ctx context.Context) (int, error) {
	now := v.Now()
	var n int
	err := v.audited(ctx, cardvault.AuditRecord{Action: cardvault.AuditTokenPurge}, "",
		func(ctx context.Context) (err error) {
			n, err = v.store.PurgeTokens(ctx, now, now.Add(-TombstoneTTL))
			return err
		})
	return n, err
}

// RunJanitor purges expired tokens, and audit records older than
// AuditRetention, every interval until ctx ends.
func (v *Vault) RunJanitor(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	ctx = WithCaller(ctx, Caller{Actor: cardvault.ActorJanitor})
	for {
		if n, err := v.Purge(ctx); err != nil && ctx.Err() == nil {
			v.Log.Error("token janitor", "err", err)
		} else if n > 0 {
			v.Log.Info("token janitor purged expired card data", "cards", n)
		}
		if v.AuditRetention > 0 {
			if n, err := v.PruneAudit(ctx, v.AuditRetention); err != nil && ctx.Err() == nil {
				v.Log.Error("audit retention", "err", err)
			} else if n > 0 {
				v.Log.Info("audit retention deleted records older than the retention period", "records", n,
					"retention", v.AuditRetention.String())
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// DataKeyRefresh is how long a vault seals new cards under the current data
// key it read before reading it again: after keys rotate-data, a running
// server seals new cards under the new key within this time.
const DataKeyRefresh = time.Minute

// cachedDataKey is an account's current data key and when it was read.
type cachedDataKey struct {
	dk   cardvault.DataKey
	read time.Time // monotonic: time.Now, not the vault's clock
}

func (v *Vault) dataKey(ctx context.Context, accountID string) (cardvault.DataKey, error) {
	if c, ok := v.dks.Load(accountID); ok && time.Since(c.(cachedDataKey).read) < DataKeyRefresh {
		return c.(cachedDataKey).dk, nil
	}
	dk, err := v.store.CurrentDataKey(ctx, accountID)
	if err != nil {
		return dk, err
	}
	v.dks.Store(accountID, cachedDataKey{dk, time.Now()})
	return dk, nil
}
