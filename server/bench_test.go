package server_test

import (
	"context"
	"crypto/rand"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cardvault/cardvault/keys"
	"github.com/cardvault/cardvault/server"
	"github.com/cardvault/cardvault/sqlite"
	"github.com/cardvault/cardvault/vault"
)

// These benchmarks drive the whole HTTP surface (handler, auth, decoding,
// validation, sealing, SQLite with fsync per commit) in process. BenchmarkHealthz
// is the baseline of the same run: compare the others as ratios to it.
//
//	go test -run '^$' -bench . -benchtime 2s ./server/

type benchEnv struct {
	h      http.Handler
	pk, sk string
}

func newBench(b *testing.B) *benchEnv {
	b.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	m := make([]byte, 32)
	rand.Read(m)
	kr, _ := keys.New(m)
	v := vault.New(db, kr, time.Hour, slog.New(slog.NewJSONHandler(io.Discard, nil)))
	cr, err := v.CreateAccount(context.Background(), "")
	if err != nil {
		b.Fatal(err)
	}
	return &benchEnv{h: server.Handler(v, slog.New(slog.NewJSONHandler(io.Discard, nil))),
		pk: cr.Test.PublicKey.Reveal(), sk: cr.Test.SecretKey.Reveal()}
}

func (e *benchEnv) do(b *testing.B, method, path, user, pass, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, req)
	if w.Code >= 300 {
		b.Fatalf("%s %s = %d %s", method, path, w.Code, w.Body.String())
	}
	return w
}

var tokenBody = url.Values{"card[name]": {"JOHN DOE"}, "card[number]": {"4242424242424242"},
	"card[expiration_month]": {"12"}, "card[expiration_year]": {"2030"}, "card[security_code]": {"123"}}.Encode()

func BenchmarkHealthz(b *testing.B) {
	e := newBench(b)
	for b.Loop() {
		e.do(b, "GET", "/healthz", "", "", "")
	}
}

func BenchmarkTokenize(b *testing.B) {
	e := newBench(b)
	for b.Loop() {
		e.do(b, "POST", "/tokens", e.pk, "", tokenBody)
	}
}

// BenchmarkTokenizeParallel runs 16 clients per CPU, as a busy server sees them.
func BenchmarkTokenizeParallel(b *testing.B) {
	e := newBench(b)
	b.SetParallelism(16)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			e.do(b, "POST", "/tokens", e.pk, "", tokenBody)
		}
	})
}

func BenchmarkGetCustomer(b *testing.B) {
	e := newBench(b)
	tok := tokenID(e.do(b, "POST", "/tokens", e.pk, "", tokenBody).Body.String())
	cust := tokenID(e.do(b, "POST", "/customers", e.sk, "", "card="+tok).Body.String())
	for b.Loop() {
		e.do(b, "GET", "/customers/"+cust, e.sk, "", "")
	}
}

func BenchmarkChargeOverList(b *testing.B) {
	e := newBench(b)
	for i := 0; i < 20; i++ {
		tok := tokenID(e.do(b, "POST", "/tokens", e.pk, "", tokenBody).Body.String())
		e.do(b, "POST", "/customers", e.sk, "", "card="+tok)
	}
	for b.Loop() {
		e.do(b, "GET", "/api/v3/creditcard?where=customer_id:GT:5&order=creditcard_id:DESC&limit=10", e.pk, e.sk, "")
	}
}

// tokenID pulls the top-level "id" out of an Omise object.
func tokenID(body string) string {
	i := strings.Index(body, `"id":"`)
	rest := body[i+6:]
	return rest[:strings.IndexByte(rest, '"')]
}

// BenchmarkListCustomers100 is GET /customers?limit=100 on 100 customers of
// 3 cards each: the customer page and every customer's embedded card list.
func BenchmarkListCustomers100(b *testing.B) {
	e := newBench(b)
	for i := 0; i < 100; i++ {
		tok := tokenID(e.do(b, "POST", "/tokens", e.pk, "", tokenBody).Body.String())
		cust := tokenID(e.do(b, "POST", "/customers", e.sk, "", "card="+tok).Body.String())
		for j := 0; j < 2; j++ {
			tok := tokenID(e.do(b, "POST", "/tokens", e.pk, "", tokenBody).Body.String())
			e.do(b, "PATCH", "/customers/"+cust, e.sk, "", "card="+tok)
		}
	}
	if body := e.do(b, "GET", "/customers?limit=100", e.sk, "", "").Body.String(); strings.Count(body, `"object":"card"`) != 300 {
		b.Fatalf("GET /customers?limit=100 did not list 300 cards")
	}
	for b.Loop() {
		e.do(b, "GET", "/customers?limit=100", e.sk, "", "")
	}
}
