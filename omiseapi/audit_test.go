package omiseapi_test

import (
	"crypto/sha256"
	"net/http"
	"strings"
	"testing"

	"github.com/cardvault/cardvault"
	"github.com/cardvault/cardvault/storetest"
	"github.com/cardvault/cardvault/vault"
)

// auditSince returns the records after seq.
func auditSince(t *testing.T, e *env, seq int64) []cardvault.AuditRecord {
	t.Helper()
	recs, err := e.DB.AuditRecords(t.Context(), cardvault.AuditFilter{After: seq, Limit: cardvault.MaxAuditPage})
	if err != nil {
		t.Fatalf("AuditRecords: %v", err)
	}
	return recs
}

// auditHead returns the Seq of the last record.
func auditHead(t *testing.T, e *env) int64 {
	t.Helper()
	recs := auditSince(t, e, 0)
	if len(recs) == 0 {
		return 0
	}
	return recs[len(recs)-1].Seq
}

func keyID(key string) string { return vault.KeyID(sha256.Sum256([]byte(key))) }

// withRequestID sends a request id the server takes as the request's.
func withRequestID(id string) http.Header { return http.Header{"X-Request-Id": {id}} }

// wantRecord checks the one record a request appended.
func wantRecord(t *testing.T, what string, recs []cardvault.AuditRecord, want cardvault.AuditRecord) {
	t.Helper()
	if len(recs) != 1 {
		var acts []string
		for _, r := range recs {
			acts = append(acts, r.Action+"/"+r.Result)
		}
		t.Fatalf("%s appended %d records %v, want 1 (%s)", what, len(recs), acts, want.Action)
	}
	r := recs[0]
	if r.Action != want.Action || r.Actor != want.Actor || r.Result != want.Result || r.RequestID != want.RequestID ||
		r.ClientAddr != "127.0.0.1" || r.AccountID != want.AccountID || r.Mode != want.Mode ||
		(want.Object != "" && r.Object != want.Object) || (want.Detail != "" && r.Detail != want.Detail) {
		t.Errorf("%s record = {%s actor %s result %s object %q detail %q request %q client %q account %s mode %d},\n"+
			"want {%s actor %s result %s object %q detail %q request %q client 127.0.0.1 account %s mode %d}", what,
			r.Action, r.Actor, r.Result, r.Object, r.Detail, r.RequestID, r.ClientAddr, r.AccountID, r.Mode,
			want.Action, want.Actor, want.Result, want.Object, want.Detail, want.RequestID, want.AccountID, want.Mode)
	}
}

// TestAuditOmiseWrites: each Omise write appends its record, in the
// write's transaction, naming the key id, the request id and the client
// address; the chain verifies; no record holds a card number or a key.
func TestAuditOmiseWrites(t *testing.T) {
	e := newEnv(t)
	acct, _ := e.Vault.Authenticate(t.Context(), cardvault.NewSecret(e.SK))
	test := func(action, actor, object, result, reqID string) cardvault.AuditRecord {
		return cardvault.AuditRecord{Action: action, Actor: actor, Object: object, Result: result, RequestID: reqID,
			AccountID: acct.AccountID, Mode: cardvault.Test}
	}
	h := auditHead(t, e)
	r := e.doH(t, "POST", "/tokens", e.PK, ctForm, cardForm("number", storetest.Visa), withRequestID("req-audit-token"))
	if r.Status != 200 {
		t.Fatalf("POST /tokens: %d", r.Status)
	}
	tok := str(t, r.Body, "id")
	wantRecord(t, "POST /tokens", auditSince(t, e, h), test(cardvault.AuditTokenCreate, keyID(e.PK), tok, "ok", "req-audit-token"))

	h = auditHead(t, e)
	r = e.doH(t, "POST", "/customers", e.SK, ctForm, form("email", "a@example.com", "card", tok), withRequestID("req-audit-cust"))
	cust := str(t, r.Body, "id")
	wantRecord(t, "POST /customers", auditSince(t, e, h), test(cardvault.AuditCustomerCreate, keyID(e.SK), cust, "ok", "req-audit-cust"))
	card := str(t, r.Body, "cards.data.0.id")

	h = auditHead(t, e)
	e.doH(t, "PATCH", "/customers/"+cust+"/cards/"+card, e.SK, ctForm, form("name", "Somchai"), withRequestID("req-audit-upd"))
	wantRecord(t, "PATCH card", auditSince(t, e, h), test(cardvault.AuditCardUpdate, keyID(e.SK), card, "ok", "req-audit-upd"))

	h = auditHead(t, e)
	e.doH(t, "DELETE", "/customers/"+cust+"/cards/"+card, e.SK, "", "", withRequestID("req-audit-del"))
	wantRecord(t, "DELETE card", auditSince(t, e, h), test(cardvault.AuditCardDelete, keyID(e.SK), card, "ok", "req-audit-del"))

	// A write the store refuses is recorded with its code, never with what
	// the client sent where an id goes.
	h = auditHead(t, e)
	r = e.doH(t, "DELETE", "/customers/cust_test_"+storetest.Visa+"123", e.SK, "", "", withRequestID("req-audit-404"))
	if r.Status != 404 {
		t.Fatalf("DELETE unknown customer: %d", r.Status)
	}
	wantRecord(t, "DELETE unknown customer", auditSince(t, e, h),
		test(cardvault.AuditCustomerDelete, keyID(e.SK), "(invalid)", string(cardvault.ENotFound), "req-audit-404"))

	sum, err := e.Vault.VerifyAudit(t.Context())
	if err != nil || sum.Records == 0 {
		t.Fatalf("VerifyAudit = %+v, %v", sum, err)
	}
	noSecretsInRecords(t, auditSince(t, e, 0), e.PK, e.SK, e.LPK, e.LSK)
}

// noSecretsInRecords fails if any field of any record holds a test card
// number or one of keys.
func noSecretsInRecords(t *testing.T, recs []cardvault.AuditRecord, keys ...string) {
	t.Helper()
	for _, r := range recs {
		text := strings.Join([]string{r.AccountID, r.Actor, r.Action, r.Object, r.Detail, r.Result, r.RequestID, r.ClientAddr}, "|")
		for _, s := range append([]string{storetest.Visa, storetest.MasterCard, storetest.Amex, "4242424242"}, keys...) {
			if strings.Contains(text, s) {
				t.Errorf("audit record %d (%s) holds a card number or key", r.Seq, r.Action)
			}
		}
	}
}

// TestAuditOmiseAuthFailure: an authentication failure is recorded with
// the client's address and the request id, and the presented key only by
// its id when it exists.
func TestAuditOmiseAuthFailure(t *testing.T) {
	e := newEnv(t)
	h := auditHead(t, e)
	bogus := "skey_test_" + storetest.Visa + "abcdefghijklmnop"
	r := e.doH(t, "GET", "/customers", bogus, "", "", withRequestID("req-audit-401"))
	if r.Status != 401 {
		t.Fatalf("unknown key: %d", r.Status)
	}
	wantRecord(t, "unknown key", auditSince(t, e, h), cardvault.AuditRecord{Action: cardvault.AuditAuthFail,
		Actor: "unknown", Result: string(cardvault.EUnauthorized), Detail: vault.AuthUnknownKey, RequestID: "req-audit-401"})

	h = auditHead(t, e)
	e.doH(t, "GET", "/customers", e.PK, "", "", withRequestID("req-audit-kind"))
	acct, _ := e.Vault.Authenticate(t.Context(), cardvault.NewSecret(e.PK))
	wantRecord(t, "public key on a secret route", auditSince(t, e, h), cardvault.AuditRecord{Action: cardvault.AuditAuthFail,
		Actor: keyID(e.PK), Result: string(cardvault.EUnauthorized), Detail: vault.AuthWrongKind, RequestID: "req-audit-kind",
		AccountID: acct.AccountID, Mode: cardvault.Test})

	h = auditHead(t, e)
	e.doH(t, "GET", "/customers", "", "", "", withRequestID("req-audit-none"))
	wantRecord(t, "no credentials", auditSince(t, e, h), cardvault.AuditRecord{Action: cardvault.AuditAuthFail,
		Actor: "unknown", Result: string(cardvault.EUnauthorized), Detail: vault.AuthNoKey, RequestID: "req-audit-none"})
	noSecretsInRecords(t, auditSince(t, e, 0), bogus, e.PK, e.SK)
}

// TestAuditOmiseReads: reads are recorded only with --audit-reads.
func TestAuditOmiseReads(t *testing.T) {
	e := newEnv(t)
	tok, _ := e.MustToken(t, storetest.Visa)
	h := auditHead(t, e)
	e.doH(t, "GET", "/tokens/"+tok, e.PK, "", "", withRequestID("req-read-off"))
	if recs := auditSince(t, e, h); len(recs) != 0 {
		t.Errorf("a read without AuditReads appended %d records", len(recs))
	}
	e.Vault.AuditReads = true
	acct, _ := e.Vault.Authenticate(t.Context(), cardvault.NewSecret(e.PK))
	e.doH(t, "GET", "/tokens/"+tok, e.PK, "", "", withRequestID("req-read-on"))
	wantRecord(t, "GET token with AuditReads", auditSince(t, e, h), cardvault.AuditRecord{Action: cardvault.AuditTokenRead,
		Actor: keyID(e.PK), Object: tok, Result: "ok", RequestID: "req-read-on", AccountID: acct.AccountID, Mode: cardvault.Test})
}
