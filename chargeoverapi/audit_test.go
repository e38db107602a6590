package chargeoverapi_test

import (
	"crypto/sha256"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cardvault/cardvault"
	"github.com/cardvault/cardvault/storetest"
	"github.com/cardvault/cardvault/vault"
)

func (e *env) auditSince(seq int64) []cardvault.AuditRecord {
	e.t.Helper()
	recs, err := e.db.AuditRecords(e.t.Context(), cardvault.AuditFilter{After: seq, Limit: cardvault.MaxAuditPage})
	if err != nil {
		e.t.Fatalf("AuditRecords: %v", err)
	}
	return recs
}

func (e *env) auditHead() int64 {
	recs := e.auditSince(0)
	if len(recs) == 0 {
		return 0
	}
	return recs[len(recs)-1].Seq
}

func keyID(key string) string { return vault.KeyID(sha256.Sum256([]byte(key))) }

// wantAudit checks the one record a request appended.
func wantAudit(t *testing.T, what string, recs []cardvault.AuditRecord, want cardvault.AuditRecord) {
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
		r.ClientAddr != "127.0.0.1" || r.AccountID != want.AccountID || (want.Object != "" && r.Object != want.Object) ||
		(want.Detail != "" && r.Detail != want.Detail) {
		t.Errorf("%s record = {%s actor %s result %s object %q detail %q request %q client %q account %s},\n"+
			"want {%s actor %s result %s object %q detail %q request %q client 127.0.0.1 account %s}", what,
			r.Action, r.Actor, r.Result, r.Object, r.Detail, r.RequestID, r.ClientAddr, r.AccountID,
			want.Action, want.Actor, want.Result, want.Object, want.Detail, want.RequestID, want.AccountID)
	}
}

// send with a request id of the test's choosing.
func (e *env) coID(reqID, user, pass, method, target, body string) *resp {
	e.t.Helper()
	req := e.newReq(method, target, body)
	req.SetBasicAuth(user, pass)
	req.Header.Set("X-Request-Id", reqID)
	return e.send(req)
}

// TestAuditChargeOverWrites: a ChargeOver write appends its record, with
// the id of what it wrote (the card an upsert stored), the key id, the
// request id and the client address; the chain verifies.
func TestAuditChargeOverWrites(t *testing.T) {
	e := newEnv(t)
	acct, _ := e.v.Authenticate(t.Context(), cardvault.NewSecret(e.skey))
	h := e.auditHead()
	cust := created(t, e.coID("req-co-cust", e.pkey, e.skey, "POST", "/api/v3/customer", `{"company":"Acme"}`))
	wantAudit(t, "POST customer", e.auditSince(h), cardvault.AuditRecord{Action: cardvault.AuditCustomerCreate,
		Actor: keyID(e.skey), Result: "ok", RequestID: "req-co-cust", AccountID: acct.AccountID})

	h = e.auditHead()
	body := fmt.Sprintf(`{"customer_id":%d,"number":%q,"expdate_year":2030,"expdate_month":"5"}`, cust, storetest.Visa)
	card := created(t, e.coID("req-co-card", e.pkey, e.skey, "POST", "/api/v3/creditcard", body))
	stored, err := e.db.CardByRef(t.Context(), cardvault.Scope{AccountID: acct.AccountID, Mode: cardvault.Test}, cardvault.Ref{Seq: card})
	if err != nil {
		t.Fatal(err)
	}
	wantAudit(t, "POST creditcard", e.auditSince(h), cardvault.AuditRecord{Action: cardvault.AuditCardStore,
		Actor: keyID(e.skey), Object: stored.ID, Detail: fmt.Sprintf("customer=seq:%d", cust), Result: "ok",
		RequestID: "req-co-card", AccountID: acct.AccountID})

	h = e.auditHead()
	e.coID("req-co-del", e.pkey, e.skey, "DELETE", fmt.Sprintf("/api/v3/creditcard/%d", card), "")
	wantAudit(t, "DELETE creditcard", e.auditSince(h), cardvault.AuditRecord{Action: cardvault.AuditCardDelete,
		Actor: keyID(e.skey), Object: stored.ID, Result: "ok", RequestID: "req-co-del", AccountID: acct.AccountID})

	h = e.auditHead()
	e.coID("req-co-404", e.pkey, e.skey, "DELETE", fmt.Sprintf("/api/v3/creditcard/%d", card), "")
	wantAudit(t, "DELETE creditcard again", e.auditSince(h), cardvault.AuditRecord{Action: cardvault.AuditCardDelete,
		Actor: keyID(e.skey), Object: fmt.Sprintf("seq:%d", card), Result: string(cardvault.ENotFound), RequestID: "req-co-404",
		AccountID: acct.AccountID})

	// With AuditReads, a ChargeOver read and a query are recorded too.
	e.v.AuditReads = true
	h = e.auditHead()
	e.coID("req-co-read", e.pkey, e.skey, "GET", fmt.Sprintf("/api/v3/customer/%d", cust), "")
	wantAudit(t, "GET customer with AuditReads", e.auditSince(h), cardvault.AuditRecord{Action: cardvault.AuditCustomerRead,
		Actor: keyID(e.skey), Result: "ok", RequestID: "req-co-read", AccountID: acct.AccountID})
	h = e.auditHead()
	e.coID("req-co-query", e.pkey, e.skey, "GET", fmt.Sprintf("/api/v3/creditcard?where=customer_id:EQUALS:%d", cust), "")
	wantAudit(t, "query creditcards with AuditReads", e.auditSince(h), cardvault.AuditRecord{Action: cardvault.AuditCardList,
		Actor: keyID(e.skey), Detail: "n=0", Result: "ok", RequestID: "req-co-query", AccountID: acct.AccountID})
	e.v.AuditReads = false

	if sum, err := e.v.VerifyAudit(t.Context()); err != nil || sum.Records == 0 {
		t.Fatalf("VerifyAudit = %+v, %v", sum, err)
	}
	for _, r := range e.auditSince(0) {
		text := strings.Join([]string{r.Actor, r.Object, r.Detail, r.RequestID}, "|")
		for _, s := range []string{storetest.Visa, e.pkey, e.skey} {
			if strings.Contains(text, s) {
				t.Errorf("audit record %d (%s) holds a card number or key", r.Seq, r.Action)
			}
		}
	}
}

// TestAuditChargeOverAuthFailure: authentication failures of both schemes
// are recorded with the client's address and the request id.
func TestAuditChargeOverAuthFailure(t *testing.T) {
	e := newEnv(t)
	acct, _ := e.v.Authenticate(t.Context(), cardvault.NewSecret(e.pkey))
	cases := []struct {
		name, user, pass string
		want             cardvault.AuditRecord
	}{
		{"unknown secret key", e.pkey, "skey_test_nosuchkey", cardvault.AuditRecord{Actor: "unknown", Detail: vault.AuthUnknownKey}},
		{"pair of two accounts", e.pkey, e.otherSk, cardvault.AuditRecord{Actor: keyID(e.otherSk), Detail: vault.AuthMismatch}},
		{"secret key as public", e.skey, e.skey, cardvault.AuditRecord{Actor: keyID(e.skey), Detail: vault.AuthWrongKind,
			AccountID: acct.AccountID}},
	}
	for i, c := range cases {
		h := e.auditHead()
		id := fmt.Sprintf("req-co-401-%d", i)
		if r := e.coID(id, c.user, c.pass, "GET", "/api/v3/customer", ""); r.status != 401 {
			t.Fatalf("%s: %d", c.name, r.status)
		}
		c.want.Action, c.want.Result, c.want.RequestID = cardvault.AuditAuthFail, string(cardvault.EUnauthorized), id
		if c.want.Detail == vault.AuthMismatch {
			other, _ := e.v.Authenticate(t.Context(), cardvault.NewSecret(e.otherSk))
			c.want.AccountID = other.AccountID
		}
		wantAudit(t, c.name, e.auditSince(h), c.want)
	}
	h := e.auditHead()
	req := e.signedReq(e.pkey, "skey_test_wrongsecretxxxxxxxxxxxxx", "GET", "/api/v3/customer", "", "audit5678", time.Now().Unix())
	req.Header.Set("X-Request-Id", "req-co-sig")
	if r := e.send(req); r.status != 401 {
		t.Fatalf("bad signature: %d", r.status)
	}
	wantAudit(t, "bad signature", e.auditSince(h), cardvault.AuditRecord{Action: cardvault.AuditAuthFail, Actor: keyID(e.pkey),
		Result: string(cardvault.EUnauthorized), Detail: vault.AuthBadSignature, RequestID: "req-co-sig", AccountID: acct.AccountID})
}
