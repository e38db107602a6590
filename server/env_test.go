package server

import (
	"bytes"
	"context"
	"crypto/rand"
	"github.com/cardvault/cardvault/openapi/openapitest"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cardvault/cardvault"
	"github.com/cardvault/cardvault/keys"
	"github.com/cardvault/cardvault/sqlite"
	"github.com/cardvault/cardvault/vault"
)

// env is a vault on a real SQLite store in a temporary directory, with the
// test key pair of one account.
type env struct {
	db     *sqlite.DB
	v      *vault.Vault
	logs   *syncBuffer
	log    *slog.Logger
	pk, sk string
}

// syncBuffer is a log sink safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// mustEnv opens a store (wrapped by wrap, when given) and creates an account.
func mustEnv(tb testing.TB, wrap func(cardvault.Store) cardvault.Store) *env {
	tb.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(tb.TempDir(), "cv.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	m := make([]byte, 32)
	rand.Read(m)
	kr, err := keys.New(m)
	if err != nil {
		tb.Fatal(err)
	}
	logs := &syncBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, nil))
	var st cardvault.Store = db
	if wrap != nil {
		st = wrap(db)
	}
	v := vault.New(st, kr, time.Hour, log)
	cr, err := v.CreateAccount(context.Background(), "")
	if err != nil {
		tb.Fatal(err)
	}
	return &env{db: db, v: v, logs: logs, log: log, pk: cr.Test.PublicKey.Reveal(), sk: cr.Test.SecretKey.Reveal()}
}

// call sends one request through h. user/pass of "" mean no Authorization.
// The answer must be what the OpenAPI documents describe (openapi/).
func call(tb testing.TB, h http.Handler, method, target, user, pass, ctype, body string) *httptest.ResponseRecorder {
	tb.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, target, rd)
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if err := openapitest.Check(method, req.URL.EscapedPath(), rec.Code, rec.Header(), rec.Body.Bytes()); err != nil {
		tb.Errorf("%s %s: %v", method, req.URL.Path, err)
	}
	return rec
}

var (
	omiseIDRe = regexp.MustCompile(`"id":\s*"([a-z]+_test_[0-9a-z]+)"`)
	coIDRe    = regexp.MustCompile(`"id":\s*(\d+)`)
	cardIDRe  = regexp.MustCompile(`"id":\s*"(card_test_[0-9a-z]+)"`)
)

// firstMatch returns the first submatch of re in s, failing the test if none.
func firstMatch(tb testing.TB, re *regexp.Regexp, s string) string {
	tb.Helper()
	m := re.FindStringSubmatch(s)
	if m == nil {
		tb.Fatalf("no %s in %s", re, s)
	}
	return m[1]
}
