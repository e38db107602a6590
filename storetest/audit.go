package storetest

import (
	"bytes"
	"context"
	"crypto/hmac"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cardvault/cardvault"
	"github.com/cardvault/cardvault/keys"
	"github.com/cardvault/cardvault/vault"
)

// The audit trail's store contract (cardvault.AuditStore): pending records
// appended in the write's own transaction, one gapless chain, the audit key
// wrapped and re-wrapped like the other keys, pruning behind an anchor.
var auditTests = []subtest{
	{"AuditKey", testAuditKey},
	{"AppendAndRead", testAuditAppend},
	{"EveryWriteAppends", testAuditEveryWrite},
	{"FailedWriteAppendsNothing", testAuditFailedWrite},
	{"NoPendingNoRecord", testAuditNoPending},
	{"ConcurrentOneChain", testAuditConcurrent},
	{"ConcurrentWithFailures", testAuditConcurrentFailures},
	{"Filter", testAuditFilter},
	{"Prune", testAuditPrune},
	{"AuditKeyRotation", testAuditKeyRotation},
	{"VaultRecordsWrites", testAuditVaultWrites},
	{"VaultRetention", testAuditVaultRetention},
}

// vaultChain returns the chain of v's store's audit key.
func vaultChain(t *testing.T, v *vault.Vault) cardvault.AuditChain {
	t.Helper()
	c, err := v.AuditChain(t.Context())
	noErr(t, "Vault.AuditChain", err)
	return c
}

// auditChain returns a chain under a fresh audit key of f's keyring (for a
// store no vault wrote to).
func auditChain(t *testing.T, f *Fixture) cardvault.AuditChain {
	t.Helper()
	c, err := f.Vault.Keys.AuditChain(f.Vault.Keys.NewAuditKey())
	noErr(t, "AuditChain", err)
	return c
}

// probe is a pending record for a write in scope s.
func probe(f *Fixture, action string) cardvault.AuditRecord {
	return cardvault.AuditRecord{At: f.Clock.Now(), AccountID: f.A.ID, Mode: cardvault.Test, Actor: "0123456789ab",
		Action: action, Result: cardvault.AuditOK, RequestID: "req_storetest", ClientAddr: "192.0.2.1"}
}

// head returns the Seq of the store's last record (0 when none).
func head(t *testing.T, s cardvault.Store) int64 {
	t.Helper()
	a, err := s.AuditAnchor(t.Context())
	noErr(t, "AuditAnchor", err)
	seq := a.Seq
	for {
		recs, err := s.AuditRecords(t.Context(), cardvault.AuditFilter{After: seq, Limit: cardvault.MaxAuditPage})
		noErr(t, "AuditRecords", err)
		if len(recs) == 0 {
			return seq
		}
		seq = recs[len(recs)-1].Seq
	}
}

// since returns the records after seq.
func since(t *testing.T, s cardvault.Store, seq int64) []cardvault.AuditRecord {
	t.Helper()
	recs, err := s.AuditRecords(t.Context(), cardvault.AuditFilter{After: seq, Limit: cardvault.MaxAuditPage})
	noErr(t, "AuditRecords", err)
	return recs
}

// VerifyChain checks a store's whole chain with chain: an anchor sealed by
// it, Seqs without gaps after the anchor, each MAC over the previous. It
// returns the number of records, or an error naming the first broken one.
func VerifyChain(ctx context.Context, s cardvault.Store, chain cardvault.AuditChain) (int, error) {
	a, err := s.AuditAnchor(ctx)
	if err != nil {
		return 0, err
	}
	prev := make([]byte, cardvault.AuditMACSize)
	if a.Seq != 0 {
		if !hmac.Equal(chain.SealAnchor(a), a.AnchorMAC) {
			return 0, fmt.Errorf("the anchor (seq %d) does not verify", a.Seq)
		}
		prev = a.MAC
	}
	seq, n := a.Seq, 0
	for {
		recs, err := s.AuditRecords(ctx, cardvault.AuditFilter{After: seq, Limit: 100})
		if err != nil {
			return n, err
		}
		if len(recs) == 0 {
			return n, nil
		}
		for _, r := range recs {
			if r.Seq != seq+1 {
				return n, fmt.Errorf("record %d is missing (next is %d)", seq+1, r.Seq)
			}
			want := r
			chain.Seal(prev, &want)
			if !hmac.Equal(want.MAC, r.MAC) {
				return n, fmt.Errorf("record %d does not verify", r.Seq)
			}
			prev, seq, n = r.MAC, r.Seq, n+1
		}
	}
}

func mustVerify(t *testing.T, s cardvault.Store, chain cardvault.AuditChain) int {
	t.Helper()
	n, err := VerifyChain(t.Context(), s, chain)
	if err != nil {
		t.Fatalf("audit chain: %v", err)
	}
	return n
}

func testAuditKey(t *testing.T, f *Fixture) {
	s := f.Open(t)
	_, err := s.AuditKey(f.Ctx)
	wantNotFound(t, "AuditKey of an empty store", err, "")
	chain := auditChain(t, f)
	k := f.Vault.Keys.NewAuditKey()
	k.CreatedAt = f.Clock.Now()
	ctx := cardvault.WithAudit(f.Ctx, chain, probe(f, cardvault.AuditAuditKeyCreate))
	noErr(t, "AddAuditKey", s.AddAuditKey(ctx, k))
	got, err := s.AuditKey(f.Ctx)
	noErr(t, "AuditKey", err)
	if !bytes.Equal(got.Wrapped, k.Wrapped) || got.Wrap != k.Wrap || !got.CreatedAt.Equal(ms(k.CreatedAt)) {
		t.Errorf("AuditKey = {%d bytes %+v %s}, want the stored one {%d bytes %+v %s}",
			len(got.Wrapped), got.Wrap, got.CreatedAt, len(k.Wrapped), k.Wrap, ms(k.CreatedAt))
	}
	other := f.Vault.Keys.NewAuditKey()
	other.CreatedAt = f.Clock.Now()
	wantCode(t, "AddAuditKey again", s.AddAuditKey(ctx, other), cardvault.EConflict, "")
	if recs := since(t, s, 0); len(recs) != 1 || recs[0].Action != cardvault.AuditAuditKeyCreate {
		t.Errorf("records after AddAuditKey, and a refused second one: %d, want the first's one", len(recs))
	}
	if _, err := s.AuditKey(f.Ctx); err != nil {
		t.Errorf("AuditKey after a refused AddAuditKey: %v", err)
	}
	if _, err := f.Vault.Keys.AuditChain(got); err != nil {
		t.Errorf("the stored audit key does not open: %v", err)
	}
}

func testAuditAppend(t *testing.T, f *Fixture) {
	chain := vaultChain(t, f.Vault)
	h := head(t, f.Store)
	r1, r2 := probe(f, cardvault.AuditAuthFail), probe(f, cardvault.AuditCardRead)
	r1.Result, r1.Object = string(cardvault.EUnauthorized), ""
	r2.Object, r2.Detail = "card_test_0000000000000000001", "n=1"
	noErr(t, "AppendAudit", f.Store.AppendAudit(cardvault.WithAudit(f.Ctx, chain, r1, r2)))
	recs := since(t, f.Store, h)
	if len(recs) != 2 {
		t.Fatalf("AppendAudit of 2 records: %d appended", len(recs))
	}
	for i, want := range []cardvault.AuditRecord{r1, r2} {
		want.Seq, want.At = h+int64(i)+1, ms(want.At)
		got := recs[i]
		if len(got.MAC) != cardvault.AuditMACSize {
			t.Errorf("record %d MAC of %d bytes", got.Seq, len(got.MAC))
		}
		got.MAC = nil
		wantSame(t, fmt.Sprintf("record %d", i+1), got, want)
	}
	if n := mustVerify(t, f.Store, chain); int64(n) != h+2 {
		t.Errorf("%d records verify, want %d", n, h+2)
	}
	noErr(t, "AppendAudit without records", f.Store.AppendAudit(f.Ctx))
	if n := len(since(t, f.Store, h)); n != 2 {
		t.Errorf("AppendAudit without pending records appended %d", n-2)
	}
}

// noObject: the write has no object to fill in; the record's Object stays
// as the caller set it.
const noObject = "(none)"

// testAuditEveryWrite calls each write method of the Store directly with one
// pending record and checks that exactly that record was appended, its empty
// Object filled with the object written.
func testAuditEveryWrite(t *testing.T, f *Fixture) {
	s := f.Open(t)
	v, _ := MustVault(t, s)
	v.Now = f.Clock.Now
	cr := MustAccount(t, v)
	chain := vaultChain(t, v)
	sc := cardvault.Scope{AccountID: cr.ID, Mode: cardvault.Test}
	cust := MustCustomer(t, v, sc, "")
	MustToken(t, v, sc, JCB) // left unused: PurgeTokens destroys its card
	stored := MustStoredToken(t, v, sc, cust.ID, Visa)
	now := f.Clock.Now()
	var tokenID string
	steps := []struct {
		name, object string // object "": any non-empty id the write made; noObject: as given
		fn           func(ctx context.Context) error
	}{
		{"CreateToken", "", func(ctx context.Context) error {
			c, err := v.NewCard(ctx, sc, CardInput(MasterCard, "123"), "", cardvault.Address{}, "")
			if err != nil {
				return err
			}
			tok := &cardvault.Token{ID: cardvault.NewID(cardvault.PrefixToken, sc.Mode, now), AccountID: sc.AccountID,
				Mode: sc.Mode, CreatedAt: now, ExpiresAt: now.Add(TokenTTL), Card: c}
			tokenID = tok.ID
			return s.CreateToken(ctx, tok)
		}},
		{"UpdateCustomer", cust.ID, func(ctx context.Context) error {
			return s.UpdateCustomer(ctx, sc, cust.ID, cardvault.CustomerUpdate{Email: ptr("a@example.com"), Now: now})
		}},
		{"CreateCustomer", "", func(ctx context.Context) error {
			c := &cardvault.Customer{ID: cardvault.NewID(cardvault.PrefixCustomer, sc.Mode, now), AccountID: sc.AccountID,
				Mode: sc.Mode, Token: cardvault.NewObjectToken(), CreatedAt: now, ModifiedAt: now, Metadata: []byte("{}")}
			return s.CreateCustomer(ctx, c, &cardvault.Attach{TokenID: tokenID, ExpiredBefore: now})
		}},
		{"UpdateCard", stored.ID, func(ctx context.Context) error {
			_, err := s.UpdateCard(ctx, sc, cust.ID, stored.ID, cardvault.CardUpdate{Name: "X", Now: now})
			return err
		}},
		{"StoreCard", "", func(ctx context.Context) error {
			c, err := v.NewCard(ctx, sc, CardInput(Amex, ""), "", cardvault.Address{}, "")
			if err != nil {
				return err
			}
			_, _, err = s.StoreCard(ctx, sc, cardvault.Ref{Seq: cust.Seq}, c, cardvault.CardMerge{})
			return err
		}},
		{"DeleteCardByRef", stored.ID, func(ctx context.Context) error {
			_, err := s.DeleteCard(ctx, sc, "", cardvault.Ref{Seq: stored.Seq})
			return err
		}},
		{"DeleteCustomerByRef", cust.ID, func(ctx context.Context) error {
			_, err := s.DeleteCustomer(ctx, sc, cardvault.Ref{Token: cust.Token})
			return err
		}},
		{"PurgeTokens", "1", func(ctx context.Context) error {
			later := now.Add(2 * TokenTTL)
			_, err := s.PurgeTokens(ctx, later, later.Add(-vault.TombstoneTTL))
			return err
		}},
		{"CreateAccount", "", func(ctx context.Context) error {
			a := &cardvault.Account{ID: cardvault.NewAccountID(now), CreatedAt: now}
			dk, fk := v.Keys.NewDataKey(a.ID, 1), v.Keys.NewFingerprintKey(a.ID)
			dk.CreatedAt, fk.CreatedAt = now, now
			return s.CreateAccount(ctx, a, dk, fk, nil)
		}},
		{"AddDataKey", noObject, func(ctx context.Context) error {
			dk := v.Keys.NewDataKey(cr.ID, 2)
			dk.CreatedAt = now
			return s.AddDataKey(ctx, dk)
		}},
		{"Reseal", "1", func(ctx context.Context) error {
			cs, err := s.StaleCards(ctx, cr.ID, 2, "", 1)
			if err != nil || len(cs) != 1 {
				return fmt.Errorf("StaleCards: %d, %v", len(cs), err)
			}
			_, err = s.Reseal(ctx, []cardvault.Reseal{{ID: cs[0].ID, AccountID: cr.ID, Old: cs[0].Sealed, New: []byte("x"), KeyVersion: 2}})
			return err
		}},
		{"ReplaceSecretKey", noObject, func(ctx context.Context) error {
			ks, err := s.APIKeys(ctx, cr.ID)
			if err != nil {
				return err
			}
			sealed := map[[32]byte][]byte{}
			for _, k := range ks {
				if k.Mode == cardvault.Live && k.Kind == cardvault.PublicKey {
					sealed[k.Hash] = []byte("sealed")
				}
			}
			sk := cardvault.NewKey(cardvault.SecretKey, cardvault.Live)
			return s.ReplaceSecretKey(ctx, cardvault.APIKey{Hash: cardvault.HashKey(sk), AccountID: cr.ID, Mode: cardvault.Live,
				Kind: cardvault.SecretKey, CreatedAt: now}, sealed)
		}},
		{"AddKEK", noObject, func(ctx context.Context) error {
			return s.AddKEK(ctx, cardvault.KEK{Version: 1, Check: []byte("c1"), CreatedAt: now})
		}},
		{"UpgradeKeys", "", func(ctx context.Context) error {
			n, err := s.UpgradeKeys(ctx, (&upgradeRecorder{want: cardvault.Wrap{Scheme: keys.SchemeKEK, KEKVersion: 9}}).upgrade())
			if err == nil && n == 0 {
				err = fmt.Errorf("UpgradeKeys wrote nothing")
			}
			return err
		}},
		{"FinishRotation", noObject, func(ctx context.Context) error {
			noErr(t, "AddKEK(2)", s.AddKEK(f.Ctx, cardvault.KEK{Version: 2, Check: []byte("c2"), Wrapped: []byte("w"), WrappedBy: 1, CreatedAt: now}))
			n, err := s.UpgradeKeys(f.Ctx, (&upgradeRecorder{want: cardvault.Wrap{Scheme: keys.SchemeKEK, KEKVersion: 2}}).upgrade())
			if err != nil || n == 0 {
				return fmt.Errorf("UpgradeKeys to 2: %d, %v", n, err)
			}
			return s.FinishRotation(ctx, 2, now)
		}},
	}
	for _, st := range steps {
		h := head(t, s)
		rec := probe(f, "test."+st.name)
		err := st.fn(cardvault.WithAudit(f.Ctx, chain, rec))
		noErr(t, st.name, err)
		recs := since(t, s, h)
		var got []string
		for _, r := range recs {
			got = append(got, r.Action)
		}
		if len(recs) != 1 || recs[0].Action != rec.Action || recs[0].Seq != h+1 {
			t.Errorf("%s appended %v after seq %d, want [%s] as seq %d", st.name, got, h, rec.Action, h+1)
			continue
		}
		if o := recs[0].Object; (st.object == "" && o == "") || (st.object == noObject && o != "") || (st.object != "" && st.object != noObject && o != st.object) {
			t.Errorf("%s record's Object = %q, want %q (or, if that is empty, the id written)", st.name, o, st.object)
		}
	}
}

// testAuditFailedWrite: a write that fails appends nothing, in a batch of
// writes that succeed as well as alone.
func testAuditFailedWrite(t *testing.T, f *Fixture) {
	chain := vaultChain(t, f.Vault)
	h := head(t, f.Store)
	ctx := cardvault.WithAudit(f.Ctx, chain, probe(f, "test.fail"))
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			if i%2 == 0 {
				_, err := f.Store.DeleteCustomer(ctx, f.Test, cardvault.Ref{ID: "cust_test_0000000000000000000"})
				wantNotFound(t, "DeleteCustomer(unknown)", err, "customer")
				return
			}
			_, err := f.Store.DeleteCard(ctx, f.Test, "", cardvault.Ref{Seq: 999999})
			wantNotFound(t, "DeleteCard(unknown)", err, "")
		})
	}
	wg.Wait()
	tok := MustToken(t, f.Vault, f.Test, Visa)
	MustCustomer(t, f.Vault, f.Test, tok.ID)
	h = head(t, f.Store)
	c := &cardvault.Customer{ID: cardvault.NewID(cardvault.PrefixCustomer, f.Test.Mode, f.Clock.Now()), AccountID: f.A.ID,
		Mode: cardvault.Test, Token: cardvault.NewObjectToken(), CreatedAt: f.Clock.Now(), ModifiedAt: f.Clock.Now(), Metadata: []byte("{}")}
	err := f.Store.CreateCustomer(ctx, c, f.Vault.Attach(tok.ID))
	wantCode(t, "CreateCustomer(used token)", err, cardvault.EUsedToken, "")
	for _, r := range since(t, f.Store, h) {
		if r.Action == "test.fail" {
			t.Errorf("a failed write appended record %d", r.Seq)
		}
	}
}

// testAuditNoPending: writes without pending records append nothing.
func testAuditNoPending(t *testing.T, f *Fixture) {
	h := head(t, f.Store)
	c := &cardvault.Customer{ID: cardvault.NewID(cardvault.PrefixCustomer, f.Test.Mode, f.Clock.Now()), AccountID: f.A.ID,
		Mode: cardvault.Test, Token: cardvault.NewObjectToken(), CreatedAt: f.Clock.Now(), ModifiedAt: f.Clock.Now(), Metadata: []byte("{}")}
	noErr(t, "CreateCustomer", f.Store.CreateCustomer(f.Ctx, c, nil))
	if recs := since(t, f.Store, h); len(recs) != 0 {
		t.Errorf("a write without pending records appended %d", len(recs))
	}
}

// testAuditConcurrent: concurrent writers, through writes and AppendAudit,
// make one gapless chain in which every record verifies.
func testAuditConcurrent(t *testing.T, f *Fixture) {
	s := f.Open(t)
	v, _ := MustVault(t, s)
	v.Now = f.Clock.Now
	cr := MustAccount(t, v)
	chain := vaultChain(t, v)
	sc := cardvault.Scope{AccountID: cr.ID, Mode: cardvault.Test}
	h := head(t, s)
	const writers, each = 8, 12
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				r := probe(f, "test.concurrent")
				r.Object = strconv.Itoa(w*each + i)
				ctx := cardvault.WithAudit(t.Context(), chain, r)
				var err error
				if i%2 == 0 {
					err = s.AppendAudit(ctx)
				} else {
					c := &cardvault.Customer{ID: cardvault.NewID(cardvault.PrefixCustomer, sc.Mode, f.Clock.Now()),
						AccountID: sc.AccountID, Mode: sc.Mode, Token: cardvault.NewObjectToken(), CreatedAt: f.Clock.Now(),
						ModifiedAt: f.Clock.Now(), Metadata: []byte("{}")}
					err = s.CreateCustomer(ctx, c, nil)
				}
				if err != nil {
					t.Errorf("writer %d, write %d: %v", w, i, err)
					return
				}
			}
		})
	}
	wg.Wait()
	if n := mustVerify(t, s, chain); int64(n) != h+writers*each {
		t.Errorf("%d records in the chain, want %d", n, h+writers*each)
	}
	seen := map[string]bool{}
	for _, r := range since(t, s, h) {
		seen[r.Object] = true
	}
	if len(seen) != writers*each {
		t.Errorf("%d distinct records, want %d", len(seen), writers*each)
	}
}

func testAuditFilter(t *testing.T, f *Fixture) {
	s := f.Open(t)
	chain := auditChain(t, f)
	t0 := f.Clock.Now()
	for i := range 6 {
		r := probe(f, "test.filter")
		r.At, r.Object = t0.Add(time.Duration(i)*time.Minute), strconv.Itoa(i+1)
		noErr(t, "AppendAudit", s.AppendAudit(cardvault.WithAudit(f.Ctx, chain, r)))
	}
	objects := func(fl cardvault.AuditFilter) string {
		recs, err := s.AuditRecords(f.Ctx, fl)
		noErr(t, "AuditRecords", err)
		var b []byte
		for _, r := range recs {
			b = append(b, r.Object...)
		}
		return string(b)
	}
	for _, c := range []struct {
		f    cardvault.AuditFilter
		want string
	}{
		{cardvault.AuditFilter{Limit: 10}, "123456"},
		{cardvault.AuditFilter{Limit: 2}, "12"},
		{cardvault.AuditFilter{After: 4, Limit: 10}, "56"},
		{cardvault.AuditFilter{Since: t0.Add(2 * time.Minute), Limit: 10}, "3456"},
		{cardvault.AuditFilter{Since: t0.Add(2 * time.Minute), Until: t0.Add(4 * time.Minute), Limit: 10}, "34"},
		{cardvault.AuditFilter{Since: t0.Add(time.Hour), Limit: 10}, ""},
	} {
		if got := objects(c.f); got != c.want {
			t.Errorf("AuditRecords(%+v) = %q, want %q", c.f, got, c.want)
		}
	}
	for _, limit := range []int{0, cardvault.MaxAuditPage + 1} {
		if _, err := s.AuditRecords(f.Ctx, cardvault.AuditFilter{Limit: limit}); err == nil {
			t.Errorf("AuditRecords(limit %d) succeeded", limit)
		}
	}
	if _, err := s.AuditRecords(f.Ctx, cardvault.AuditFilter{Limit: cardvault.MaxAuditPage}); err != nil {
		t.Errorf("AuditRecords(limit %d): %v", cardvault.MaxAuditPage, err)
	}
}

// testAuditPrune: records before a time are deleted as a prefix of the
// chain, the anchor takes the last one's place, and the rest verifies.
func testAuditPrune(t *testing.T, f *Fixture) {
	s := f.Open(t)
	chain := auditChain(t, f)
	t0 := f.Clock.Now()
	// Minutes: 0 1 2 5 3 6 — record 5 (minute 3) is older than record 4 but
	// comes after it: pruning before minute 4 stops at record 4.
	for i, m := range []int{0, 1, 2, 5, 3, 6} {
		r := probe(f, "test.prune")
		r.At, r.Object = t0.Add(time.Duration(m)*time.Minute), strconv.Itoa(i+1)
		noErr(t, "AppendAudit", s.AppendAudit(cardvault.WithAudit(f.Ctx, chain, r)))
	}
	at := t0.Add(time.Hour)
	pr := probe(f, cardvault.AuditPrune)
	pr.At = at
	if _, err := s.PruneAudit(f.Ctx, t0.Add(4*time.Minute), at, 10); err == nil {
		t.Error("PruneAudit without a chain on the context succeeded")
	}
	ctx := cardvault.WithAudit(f.Ctx, chain, pr)
	n, err := s.PruneAudit(ctx, t0.Add(4*time.Minute), at, 2)
	if err != nil || n != 2 {
		t.Fatalf("PruneAudit(limit 2) = %d, %v; want 2", n, err)
	}
	n, err = s.PruneAudit(ctx, t0.Add(4*time.Minute), at, 10)
	if err != nil || n != 1 {
		t.Fatalf("PruneAudit = %d, %v; want 1 (records 3; record 4 is not before)", n, err)
	}
	a, err := s.AuditAnchor(f.Ctx)
	noErr(t, "AuditAnchor", err)
	if a.Seq != 3 || !a.At.Equal(ms(at)) || len(a.MAC) != cardvault.AuditMACSize || !hmac.Equal(a.AnchorMAC, chain.SealAnchor(a)) {
		t.Errorf("anchor = seq %d at %s, want seq 3 at %s sealed by the chain", a.Seq, a.At, ms(at))
	}
	recs := since(t, s, 0)
	var objs []string
	for _, r := range recs {
		objs = append(objs, r.Object+"/"+r.Action)
	}
	want := []string{"4/test.prune", "5/test.prune", "6/test.prune", "2/audit.prune", "1/audit.prune"}
	if fmt.Sprint(objs) != fmt.Sprint(want) {
		t.Errorf("records after pruning: %v, want %v", objs, want)
	}
	if n := mustVerify(t, s, chain); n != 5 {
		t.Errorf("%d records verify after pruning, want 5", n)
	}
	n, err = s.PruneAudit(ctx, at.Add(time.Hour), at.Add(time.Hour), 100)
	if err != nil || n != 5 {
		t.Fatalf("PruneAudit of everything = %d, %v; want 5", n, err)
	}
	if n := mustVerify(t, s, chain); n != 1 {
		t.Errorf("%d records verify after pruning all, want 1 (the prune's own)", n)
	}
	if n, err := s.PruneAudit(ctx, t0, at, 100); err != nil || n != 0 {
		t.Errorf("PruneAudit with nothing old enough = %d, %v; want 0", n, err)
	}
	if got := since(t, s, 0); len(got) != 1 {
		t.Errorf("a prune that deleted nothing appended: %d records, want 1", len(got))
	}
}

// testAuditKeyRotation: UpgradeKeys re-wraps the audit key, KeyStatus counts
// it, and FinishRotation waits for it.
func testAuditKeyRotation(t *testing.T, f *Fixture) {
	s := f.Open(t)
	now := f.Clock.Now()
	k := f.Vault.Keys.NewAuditKey()
	k.CreatedAt = now
	noErr(t, "AddAuditKey", s.AddAuditKey(f.Ctx, k))
	noErr(t, "AddKEK(1)", s.AddKEK(f.Ctx, cardvault.KEK{Version: 1, Check: []byte("c1"), CreatedAt: now}))
	noErr(t, "AddKEK(2)", s.AddKEK(f.Ctx, cardvault.KEK{Version: 2, Check: []byte("c2"), Wrapped: []byte("w2"), WrappedBy: 1, CreatedAt: now}))
	st, err := s.KeyStatus(f.Ctx)
	noErr(t, "KeyStatus", err)
	if len(st.KEKs) != 2 || st.KEKs[0].AuditKeys != 1 || st.KEKs[1].AuditKeys != 0 {
		t.Errorf("KeyStatus before re-wrapping: %+v, want the audit key under version 1", st.KEKs)
	}
	wantCode(t, "FinishRotation(2) with the audit key under 1", s.FinishRotation(f.Ctx, 2, now), cardvault.EConflict, "")
	want := cardvault.Wrap{Scheme: keys.SchemeKEK, KEKVersion: 2}
	u := (&upgradeRecorder{want: want}).upgrade()
	u.AuditKey = nil
	if _, err := s.UpgradeKeys(f.Ctx, u); err == nil {
		t.Error("UpgradeKeys without an AuditKey function, with the audit key to re-wrap, succeeded")
	}
	u = (&upgradeRecorder{want: want}).upgrade()
	if n, err := s.UpgradeKeys(f.Ctx, u); err != nil || n != 1 {
		t.Fatalf("UpgradeKeys = %d, %v; want 1 (the audit key)", n, err)
	}
	got, err := s.AuditKey(f.Ctx)
	noErr(t, "AuditKey", err)
	if got.Wrap != want || !bytes.Equal(got.Wrapped, append([]byte("new:"), k.Wrapped...)) || !got.CreatedAt.Equal(ms(now)) {
		t.Errorf("AuditKey after UpgradeKeys = %+v, want re-wrapped under version 2, created as before", got.Wrap)
	}
	st, err = s.KeyStatus(f.Ctx)
	noErr(t, "KeyStatus", err)
	if len(st.KEKs) != 2 || st.KEKs[0].AuditKeys != 0 || st.KEKs[1].AuditKeys != 1 {
		t.Errorf("KeyStatus after re-wrapping: %+v, want the audit key under version 2", st.KEKs)
	}
	noErr(t, "FinishRotation(2)", s.FinishRotation(f.Ctx, 2, now))
}

// testAuditVaultWrites: the vault's writes carry their records, with who
// made them; a write the store refuses is recorded with its code in a
// transaction of its own; the vault's VerifyAudit checks the whole chain.
func testAuditVaultWrites(t *testing.T, f *Fixture) {
	ctx := vault.WithCaller(f.Ctx, vault.Caller{Actor: "0123456789ab", RequestID: "req_vault", ClientAddr: "198.51.100.7"})
	h := head(t, f.Store)
	tok, err := f.Vault.CreateToken(ctx, f.Test, CardInput(Visa, "123"), cardvault.Address{}, "")
	noErr(t, "CreateToken", err)
	c := &cardvault.Customer{}
	noErr(t, "CreateCustomer", f.Vault.CreateCustomer(ctx, f.Test, c, tok.ID))
	err = f.Vault.UpdateCustomer(ctx, f.Test, c.ID, cardvault.CustomerUpdate{Attach: f.Vault.Attach(tok.ID)})
	wantCode(t, "UpdateCustomer(used token)", err, cardvault.EUsedToken, "")
	_, err = f.Vault.DeleteCustomer(ctx, f.Test, cardvault.Ref{ID: c.ID})
	noErr(t, "DeleteCustomer", err)
	var got []string
	for _, r := range since(t, f.Store, h) {
		if r.Actor != "0123456789ab" || r.RequestID != "req_vault" || r.ClientAddr != "198.51.100.7" ||
			r.AccountID != f.A.ID || r.Mode != cardvault.Test || !r.At.Equal(ms(f.Clock.Now())) {
			t.Errorf("record %d (%s): actor %q request %q client %q account %s mode %d at %s", r.Seq, r.Action, r.Actor,
				r.RequestID, r.ClientAddr, r.AccountID, r.Mode, r.At)
		}
		got = append(got, r.Action+" "+r.Object+" "+r.Result)
	}
	want := []string{
		cardvault.AuditTokenCreate + " " + tok.ID + " ok",
		cardvault.AuditCustomerCreate + " " + c.ID + " ok",
		cardvault.AuditCustomerUpdate + " " + c.ID + " " + string(cardvault.EUsedToken),
		cardvault.AuditCustomerDelete + " " + c.ID + " ok",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("records:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	sum, err := f.Vault.VerifyAudit(f.Ctx)
	if err != nil || sum.Records != h+4 || sum.Head != h+4 {
		t.Errorf("VerifyAudit = %+v, %v; want %d records", sum, err, h+4)
	}
}

// testAuditVaultRetention: records older than the retention period go, the
// anchor takes their place, and the rest still verifies.
func testAuditVaultRetention(t *testing.T, f *Fixture) {
	MustToken(t, f.Vault, f.Test, Visa)
	old := head(t, f.Store)
	f.Clock.Advance(48 * time.Hour)
	MustToken(t, f.Vault, f.Test, Visa)
	n, err := f.Vault.PruneAudit(f.Ctx, 24*time.Hour)
	if err != nil || int64(n) != old {
		t.Fatalf("PruneAudit = %d, %v; want the %d records older than a day", n, err, old)
	}
	sum, err := f.Vault.VerifyAudit(f.Ctx)
	if err != nil || sum.AnchorSeq != old || sum.First != old+1 || sum.Records != 2 {
		t.Errorf("VerifyAudit after pruning = %+v, %v; want an anchor at %d and 2 records after it", sum, err, old)
	}
	recs := since(t, f.Store, 0)
	if len(recs) != 2 || recs[1].Action != cardvault.AuditPrune || recs[1].Object != strconv.Itoa(int(old)) {
		t.Errorf("records after pruning: %+v", recs)
	}
	if n, err := f.Vault.PruneAudit(f.Ctx, 24*time.Hour); err != nil || n != 0 {
		t.Errorf("PruneAudit again = %d, %v; want 0", n, err)
	}
}

// testAuditConcurrentWithFailures: concurrent writes of which some fail (and
// so append nothing) and some succeed leave one gapless chain holding
// exactly the successful ones' records (a store that batches writes must
// not keep the head a failed write left).
func testAuditConcurrentFailures(t *testing.T, f *Fixture) {
	chain := vaultChain(t, f.Vault)
	h := head(t, f.Store)
	const writers, each = 8, 10
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				r := probe(f, "test.mixed")
				r.Object = strconv.Itoa(w*each + i)
				ctx := cardvault.WithAudit(t.Context(), chain, r)
				if (w+i)%2 == 0 {
					if err := f.Store.AppendAudit(ctx); err != nil {
						t.Errorf("AppendAudit: %v", err)
					}
					continue
				}
				_, err := f.Store.DeleteCard(ctx, f.Test, "", cardvault.Ref{Seq: 999999})
				wantNotFound(t, "DeleteCard(unknown)", err, "")
			}
		})
	}
	wg.Wait()
	if n := mustVerify(t, f.Store, chain); int64(n) != h+writers*each/2 {
		t.Errorf("%d records verify, want %d", n, h+writers*each/2)
	}
	for _, r := range since(t, f.Store, h) {
		if n, _ := strconv.Atoi(r.Object); (n/each+n%each)%2 != 0 {
			t.Errorf("record %d is a failed write's (object %s)", r.Seq, r.Object)
		}
	}
}
