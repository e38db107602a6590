package main_test

import (
	"bytes"
	"context"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cardvault/cardvault"
	"github.com/cardvault/cardvault/keys"
	"github.com/cardvault/cardvault/server"
	"github.com/cardvault/cardvault/sqlite"
	"github.com/cardvault/cardvault/vault"
)

// rotAccount is an account of the rotation test: its keys, one ChargeOver
// customer holding one card of a known number, and that card's id and
// fingerprint.
type rotAccount struct {
	id, pk, sk     string
	coCust, coCard float64
	pan, fp        string
}

// openVault opens the store at path with a keyring for master and checks the
// master key as a start-up does.
func openVault(t *testing.T, path string, master []byte) (*vault.Vault, error) {
	t.Helper()
	db, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	kr, err := keys.New(master)
	if err != nil {
		t.Fatal(err)
	}
	v := vault.New(db, kr, time.Hour, slog.New(slog.DiscardHandler))
	vaultStores.Store(v, db)
	return v, v.CheckMasterKey(t.Context())
}

// vaultStores maps each vault openVault made to its store, for the checks
// below the vault (the vault does not expose its store).
var vaultStores sync.Map

func storeOf(v *vault.Vault) cardvault.Store {
	s, _ := vaultStores.Load(v)
	return s.(cardvault.Store)
}

func mustOpenVault(t *testing.T, path string, master []byte) *vault.Vault {
	t.Helper()
	v, err := openVault(t, path, master)
	if err != nil {
		t.Fatalf("CheckMasterKey: %v", err)
	}
	return v
}

// doReq sends one request and returns the status and the decoded JSON body.
func doReq(client *http.Client, method, u, user, pass, ctype, body string) (int, map[string]any, error) {
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", ctype)
	req.SetBasicAuth(user, pass)
	res, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return res.StatusCode, nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return res.StatusCode, nil, fmt.Errorf("%s %s: %d, body not JSON: %q", method, u, res.StatusCode, raw)
	}
	return res.StatusCode, m, nil
}

const formType, jsonType = "application/x-www-form-urlencoded", "application/json"

// tokenize is Omise POST /tokens; it returns the token id and the card's fingerprint.
func tokenize(c *http.Client, base, pk, pan string) (string, string, error) {
	st, m, err := doReq(c, "POST", base+"/tokens", pk, "", formType, tokenForm(pan).Encode())
	if err != nil || st != 200 {
		return "", "", fmt.Errorf("POST /tokens: %d %v %v", st, m, err)
	}
	card, _ := m["card"].(map[string]any)
	fp, _ := card["fingerprint"].(string)
	id, _ := m["id"].(string)
	return id, fp, nil
}

// attach is Omise POST /customers with a token.
func attach(c *http.Client, base, sk, tok string) error {
	st, m, err := doReq(c, "POST", base+"/customers", sk, "", formType, url.Values{"card": {tok}}.Encode())
	if err != nil || st != 200 {
		return fmt.Errorf("POST /customers: %d %v %v", st, m, err)
	}
	return nil
}

// coStore is ChargeOver POST /api/v3/creditcard; it returns the card's id.
func coStore(c *http.Client, base string, a *rotAccount, pan string) (float64, error) {
	body := fmt.Sprintf(`{"customer_id":%.0f,"number":%q,"expdate":"2030-12-01"}`, a.coCust, pan)
	st, m, err := doReq(c, "POST", base+"/api/v3/creditcard", a.pk, a.sk, jsonType, body)
	resp, _ := m["response"].(map[string]any)
	id, ok := resp["id"].(float64)
	if err != nil || st != 201 || !ok {
		return 0, fmt.Errorf("POST /api/v3/creditcard: %d %v %v", st, m, err)
	}
	return id, nil
}

func newRotAccount(t *testing.T, c *http.Client, base string, v *vault.Vault) *rotAccount {
	t.Helper()
	cr, err := v.CreateAccount(t.Context(), "")
	if err != nil {
		t.Fatal(err)
	}
	a := &rotAccount{id: cr.ID, pk: cr.Test.PublicKey.Reveal(), sk: cr.Test.SecretKey.Reveal(), pan: randomPAN(t)}
	st, m, err := doReq(c, "POST", base+"/api/v3/customer", a.pk, a.sk, jsonType, `{"company":"Acme"}`)
	resp, _ := m["response"].(map[string]any)
	if a.coCust, _ = resp["id"].(float64); err != nil || st != 201 || a.coCust == 0 {
		t.Fatalf("POST /api/v3/customer: %d %v %v", st, m, err)
	}
	if a.coCard, err = coStore(c, base, a, a.pan); err != nil {
		t.Fatal(err)
	}
	if _, a.fp, err = tokenize(c, base, a.pk, a.pan); err != nil || len(a.fp) != 44 {
		t.Fatalf("tokenize: fingerprint %q, %v", a.fp, err)
	}
	return a
}

// TestRotateMasterUnderLoad: a server holding the old master key serves
// tokenize, attach and ChargeOver upserts on many accounts — some it has
// touched before, some it first touches during or after the rotation, with
// keys already wrapped under the new KEK — while the master key rotates in
// several batches: not one request fails. Then a start with the new key alone
// opens every card with fingerprints unchanged (a ChargeOver POST of a stored
// number updates the same card); once the rotation is finished, a start with
// the old key is refused.
func TestRotateMasterUnderLoad(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cardvault.db")
	oldKey, newKey := make([]byte, keys.KeySize), make([]byte, keys.KeySize)
	rand.Read(oldKey)
	rand.Read(newKey)

	// Set up through one server, then serve the load from another over the
	// same file with a fresh keyring (nothing cached), as a second instance.
	const accounts = 40 // 40 × 4 wrapped keys: two rotation batches and some
	setup := mustOpenVault(t, path, oldKey)
	setupSrv := httptest.NewServer(server.Handler(setup, slog.New(slog.DiscardHandler)))
	defer setupSrv.Close()
	client := &http.Client{Timeout: 30 * time.Second}
	accts := make([]*rotAccount, accounts)
	for i := range accts {
		accts[i] = newRotAccount(t, client, setupSrv.URL, setup)
	}
	setupSrv.Close()

	served := mustOpenVault(t, path, oldKey)
	srv := httptest.NewServer(server.Handler(served, slog.New(slog.DiscardHandler)))
	defer srv.Close()

	var (
		ok, failed atomic.Int64
		fresh      atomic.Int64 // accounts handed out for their first use
		rotated    atomic.Bool
		stop       = make(chan struct{})
		errMu      sync.Mutex
		errs       []error
	)
	fail := func(err error) {
		failed.Add(1)
		errMu.Lock()
		if len(errs) < 10 {
			errs = append(errs, err)
		}
		errMu.Unlock()
	}
	// one is a tokenize, an attach and a ChargeOver upsert of the stored number.
	one := func(a *rotAccount) {
		pan := randomPAN(t)
		tok, _, err := tokenize(client, srv.URL, a.pk, pan)
		if err == nil {
			err = attach(client, srv.URL, a.sk, tok)
		}
		if err == nil {
			var id float64
			if id, err = coStore(client, srv.URL, a, a.pan); err == nil && id != a.coCard {
				err = fmt.Errorf("account %s: upsert of the stored number gave card %.0f, want %.0f", a.id, id, a.coCard)
			}
		}
		if err != nil {
			fail(err)
			return
		}
		ok.Add(1)
	}
	// Accounts 0..9 are warm before the rotation starts; the rest are first
	// used by the workers one at a time, before, during and after it.
	for _, a := range accts[:10] {
		one(a)
	}
	fresh.Store(10)
	var wg sync.WaitGroup
	for w := range 6 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				a := accts[(w+i)%10]
				if i%3 == 0 {
					if n := fresh.Add(1) - 1; n < accounts && (n < 20 || rotated.Load()) {
						a = accts[n] // 10..19 meanwhile, 20.. only once every key is re-wrapped
					} else if n < accounts {
						fresh.Add(-1)
					}
				}
				one(a)
			}
		})
	}
	waitFor(t, func() bool { return ok.Load() >= 20 })

	rotator := mustOpenVault(t, path, oldKey)
	next, err := keys.New(newKey)
	if err != nil {
		t.Fatal(err)
	}
	var batches []int
	r, err := rotator.RotateMaster(t.Context(), next, func(done int) { batches = append(batches, done) })
	if err != nil {
		t.Fatalf("RotateMaster: %v", err)
	}
	rotated.Store(true)
	if r.From != 1 || r.To != 2 || len(batches) < 2 {
		t.Errorf("rotation %+v in batches %v: want KEK 1 → 2 in at least two batches", r, batches)
	}
	// Right after the rotation, with the load still running, the records of
	// the three instances and of the rotation's batches form one chain that
	// verifies, in process and with cardvault audit verify.
	if sum, err := rotator.VerifyAudit(t.Context()); err != nil || sum.Records == 0 {
		t.Errorf("VerifyAudit right after the rotation: %+v, %v", sum, err)
	}
	mustVerifyAudit(t, "right after rotate-master, under load", path, writeKeyFile(t, oldKey))
	atRotation := ok.Load()
	waitFor(t, func() bool { return fresh.Load() >= accounts && ok.Load() >= atRotation+60 })
	close(stop)
	wg.Wait()
	srv.Close()
	for _, err := range errs {
		t.Error(err)
	}
	if failed.Load() > 0 {
		t.Fatalf("%d of %d request rounds failed during the rotation", failed.Load(), failed.Load()+ok.Load())
	}
	t.Logf("%d request rounds (tokenize, attach, ChargeOver upsert), none failed; %d keys re-wrapped in batches %v",
		ok.Load(), r.Rewrapped, batches)

	// A start with the new key alone: every card opens; fingerprints and the
	// ChargeOver upsert are as before.
	nv := mustOpenVault(t, path, newKey)
	if n := openEveryCard(t, path, nv); n < accounts {
		t.Errorf("opened %d cards, want at least %d", n, accounts)
	}
	nsrv := httptest.NewServer(server.Handler(nv, slog.New(slog.DiscardHandler)))
	defer nsrv.Close()
	for _, a := range accts {
		if _, fp, err := tokenize(client, nsrv.URL, a.pk, a.pan); err != nil || fp != a.fp {
			t.Errorf("account %s under the new key: fingerprint %q, %v; want %q", a.id, fp, err, a.fp)
		}
		if id, err := coStore(client, nsrv.URL, a, a.pan); err != nil || id != a.coCard {
			t.Errorf("account %s under the new key: upsert gave card %.0f, %v; want %.0f", a.id, id, err, a.coCard)
		}
	}

	// Until the rotation is finished the old key still starts; afterwards it
	// is refused, saying why.
	if _, err := openVault(t, path, oldKey); err != nil {
		t.Errorf("old key before --finish: %v", err)
	}
	if err := rotator.FinishRotation(t.Context()); err == nil {
		t.Error("FinishRotation with the old master key succeeded")
	}
	if err := nv.FinishRotation(t.Context()); err != nil {
		t.Fatalf("FinishRotation: %v", err)
	}
	_, err = openVault(t, path, oldKey)
	if !errors.Is(err, vault.ErrRetiredMasterKey) || !strings.Contains(err.Error(), "rotated out") {
		t.Errorf("start with the old key after the rotation = %v, want ErrRetiredMasterKey", err)
	}
	mustOpenVault(t, path, newKey)
	// No copy of the new KEK wrapped under the old one is left.
	recs, err := storeOf(nv).KEKs(t.Context())
	if err != nil || len(recs) != 2 || recs[1].Wrapped != nil || recs[0].RetiredAt.IsZero() {
		t.Errorf("KEK records after finishing: %+v, %v", recs, err)
	}

	// The chain verifies under the new key alone, and records the rotation.
	mustVerifyAudit(t, "after rotate-master --finish", path, writeKeyFile(t, newKey))
	actions := map[string]int{}
	for _, rec := range allAudit(t, storeOf(nv)) {
		actions[rec.Action]++
	}
	if actions[cardvault.AuditRotateMaster] != 2 || actions[cardvault.AuditRotateMasterStep] != len(batches) ||
		actions[cardvault.AuditRotateMasterEnd] != 1 || actions[cardvault.AuditTokenCreate] < int(ok.Load()) {
		t.Errorf("audit actions %v: want 2 %s (version 1, then 2), %d %s, 1 %s, at least %d %s", actions,
			cardvault.AuditRotateMaster, len(batches), cardvault.AuditRotateMasterStep, cardvault.AuditRotateMasterEnd,
			ok.Load(), cardvault.AuditTokenCreate)
	}
	// The data directory (database, WAL, shared memory) holds none of the
	// keys in the clear: not the data, fingerprint or audit keys, not the
	// API secrets, not either master key or KEK.
	known := knownKeys(t, path, newKey)
	oldKEK, err := hkdf.Key(sha256.New, oldKey, nil, "cardvault/kek/v1", keys.KeySize)
	if err != nil {
		t.Fatal(err)
	}
	known["old master key"], known["old KEK"] = oldKey, oldKEK
	scanForKeys(t, filepath.Dir(path), known)
}

// openEveryCard opens every stored card's number under v's keyring and
// returns how many it opened; each must be a Luhn-valid number.
func openEveryCard(t *testing.T, path string, v *vault.Vault) int {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.QueryContext(t.Context(), `SELECT id, account_id, key_version, pan_sealed FROM cards`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var id, acct string
		var version int
		var sealed []byte
		if err := rows.Scan(&id, &acct, &version, &sealed); err != nil {
			t.Fatal(err)
		}
		dk, err := storeOf(v).DataKey(t.Context(), acct, version)
		if err != nil {
			t.Fatal(err)
		}
		pan, err := v.Keys.Open(dk, id, sealed)
		if err != nil || !luhn(string(pan)) || bytes.ContainsFunc(pan, func(r rune) bool { return r < '0' || r > '9' }) {
			t.Errorf("card %s does not open under the new master key: %v", id, err)
		}
		n++
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestRotateDataUnderLoad: while a server that holds an account's data key
// serves tokenize, attach and ChargeOver upserts on it, the account gets a new
// data key and its cards are re-encrypted in several batches: not one request
// fails, every card opens throughout and afterwards, fingerprints are
// unchanged, and a second pass leaves no card under the old key.
func TestRotateDataUnderLoad(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cardvault.db")
	master := make([]byte, keys.KeySize)
	rand.Read(master)
	served := mustOpenVault(t, path, master)
	srv := httptest.NewServer(server.Handler(served, slog.New(slog.DiscardHandler)))
	defer srv.Close()
	client := &http.Client{Timeout: 30 * time.Second}
	a := newRotAccount(t, client, srv.URL, served)
	b := newRotAccount(t, client, srv.URL, served)
	const cards = 2*vault.ReencryptBatch + 50
	for range cards {
		if _, _, err := tokenize(client, srv.URL, a.pk, randomPAN(t)); err != nil {
			t.Fatal(err)
		}
	}

	var ok, failed atomic.Int64
	stop := make(chan struct{})
	var errMu sync.Mutex
	var errs []error
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				acct := []*rotAccount{a, b}[(w+i)%2]
				tok, fp, err := tokenize(client, srv.URL, acct.pk, acct.pan)
				if err == nil && fp != acct.fp {
					err = fmt.Errorf("fingerprint changed: %s, want %s", fp, acct.fp)
				}
				if err == nil {
					err = attach(client, srv.URL, acct.sk, tok)
				}
				if err == nil {
					var id float64
					if id, err = coStore(client, srv.URL, acct, acct.pan); err == nil && id != acct.coCard {
						err = fmt.Errorf("upsert gave card %.0f, want %.0f", id, acct.coCard)
					}
				}
				if err != nil {
					failed.Add(1)
					errMu.Lock()
					errs = append(errs, err)
					errMu.Unlock()
					continue
				}
				ok.Add(1)
			}
		})
	}
	waitFor(t, func() bool { return ok.Load() >= 10 })
	rotator := mustOpenVault(t, path, master)
	var batches []int
	r, err := rotator.RotateData(t.Context(), a.id, func(done int) { batches = append(batches, done) })
	if err != nil {
		t.Fatalf("RotateData: %v", err)
	}
	atRotation := ok.Load()
	waitFor(t, func() bool { return ok.Load() >= atRotation+20 })
	close(stop)
	wg.Wait()
	for _, err := range errs[:min(len(errs), 10)] {
		t.Error(err)
	}
	if failed.Load() > 0 {
		t.Fatalf("%d of %d request rounds failed during the data-key rotation", failed.Load(), failed.Load()+ok.Load())
	}
	if r.From != 1 || r.To != 2 || r.Reencrypted < cards || len(batches) < 3 {
		t.Errorf("rotation %+v in batches %v: want 1 → 2, at least %d cards in at least 3 batches", r, batches, cards)
	}
	t.Logf("%d request rounds, none failed; %d cards re-encrypted in batches %v", ok.Load(), r.Reencrypted, batches)

	// The serving instance sealed cards under version 1 until it read the new
	// key; a second pass re-encrypts those.
	if _, err := rotator.ReencryptData(t.Context(), a.id, nil); err != nil {
		t.Fatal(err)
	}
	st, err := storeOf(rotator).KeyStatus(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, acct := range st.Accounts {
		if acct.AccountID != a.id {
			continue
		}
		if len(acct.DataKeys) != 2 || acct.DataKeys[0].Cards != 0 || acct.DataKeys[1].Cards < cards {
			t.Errorf("account A's data keys after re-encryption: %+v", acct.DataKeys)
		}
	}
	if n := openEveryCard(t, path, mustOpenVault(t, path, master)); n < cards {
		t.Errorf("opened %d cards, want at least %d", n, cards)
	}
	// The chain verifies after rotate-data, and every re-encryption batch
	// was preceded by the record of its decrypting use.
	mustVerifyAudit(t, "after rotate-data, under load", path, writeKeyFile(t, master))
	decrypts, steps := 0, 0
	for i, rec := range allAudit(t, storeOf(rotator)) {
		switch rec.Action {
		case cardvault.AuditCardDecrypt:
			decrypts++
		case cardvault.AuditRotateDataStep:
			steps++
			if decrypts < steps || rec.AccountID != a.id || rec.Actor != cardvault.ActorServer {
				t.Errorf("record %d (%s of %s by %s) not preceded by its card.decrypt record", i, rec.Action, rec.AccountID, rec.Actor)
			}
		}
	}
	if steps < 3 || decrypts != steps {
		t.Errorf("%d %s records and %d %s, want as many, at least 3", steps, cardvault.AuditRotateDataStep, decrypts, cardvault.AuditCardDecrypt)
	}
	// A fresh instance seals new cards under version 2.
	fresh := mustOpenVault(t, path, master)
	fsrv := httptest.NewServer(server.Handler(fresh, slog.New(slog.DiscardHandler)))
	defer fsrv.Close()
	id, fp, err := tokenize(client, fsrv.URL, a.pk, a.pan)
	if err != nil || fp != a.fp {
		t.Fatalf("tokenize after the rotation: %v; fingerprint %q, want %q", err, fp, a.fp)
	}
	tok, err := storeOf(fresh).Token(t.Context(), cardvault.Scope{AccountID: a.id, Mode: cardvault.Test}, id)
	if err != nil || tok.Card.KeyVersion != 2 {
		t.Errorf("new card after the rotation: %v; want data key version 2", err)
	} else if _, err := openCard(fresh, tok.Card); err != nil {
		t.Errorf("new card does not open: %v", err)
	}
}

func openCard(v *vault.Vault, c *cardvault.Card) ([]byte, error) {
	dk, err := storeOf(v).DataKey(context.Background(), c.AccountID, c.KeyVersion)
	if err != nil {
		return nil, err
	}
	return v.Keys.Open(dk, c.ID, c.Sealed)
}

// TestRotateMasterInterrupted: a rotation that recorded the new KEK version
// but re-wrapped nothing yet (interrupted) refuses a start with the new key,
// saying why, lets the old key start and wrap under the new KEK, and resumes
// when run again.
func TestRotateMasterInterrupted(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cardvault.db")
	oldKey, newKey, otherKey := make([]byte, keys.KeySize), make([]byte, keys.KeySize), make([]byte, keys.KeySize)
	rand.Read(oldKey)
	rand.Read(newKey)
	rand.Read(otherKey)
	v := mustOpenVault(t, path, oldKey)
	if _, err := v.CreateAccount(t.Context(), ""); err != nil {
		t.Fatal(err)
	}
	next, _ := keys.New(newKey)
	rec := v.Keys.WrapKEK(next, 2)
	rec.CreatedAt = time.Now()
	if err := storeOf(v).AddKEK(t.Context(), rec); err != nil {
		t.Fatal(err)
	}
	_, err := openVault(t, path, newKey)
	if !errors.Is(err, vault.ErrWrongMasterKey) || !strings.Contains(err.Error(), "still re-wrapping") {
		t.Errorf("start with the new key before the re-wrap = %v", err)
	}
	if _, err := openVault(t, path, otherKey); !errors.Is(err, vault.ErrWrongMasterKey) || strings.Contains(err.Error(), "re-wrapping") {
		t.Errorf("start with an unrelated key = %v, want plain ErrWrongMasterKey", err)
	}
	// An old-key start during the rotation re-wraps what is left under KEK 2
	// (its start-up upgrade wants the newest KEK it knows).
	old := mustOpenVault(t, path, oldKey)
	if old.Keys.KEKVersion() != 2 || old.Keys.OwnVersion() != 1 {
		t.Errorf("old key during the rotation: wraps under %d, own %d; want 2, 1", old.Keys.KEKVersion(), old.Keys.OwnVersion())
	}
	if _, err := old.CreateAccount(t.Context(), ""); err != nil {
		t.Fatal(err)
	}
	other, _ := keys.New(otherKey)
	if _, err := old.RotateMaster(t.Context(), other, nil); err == nil || !strings.Contains(err.Error(), "unfinished") {
		t.Errorf("a second rotation to another key while one is unfinished = %v", err)
	}
	r, err := old.RotateMaster(t.Context(), next, nil)
	if err != nil || !r.Resumed || r.To != 2 {
		t.Errorf("RotateMaster again = %+v, %v; want resumed to 2", r, err)
	}
	nv := mustOpenVault(t, path, newKey)
	if err := nv.FinishRotation(t.Context()); err != nil {
		t.Fatal(err)
	}
	if n, err := storeOf(nv).CountAccounts(t.Context()); err != nil || n != 2 {
		t.Errorf("accounts = %d, %v", n, err)
	}
}
