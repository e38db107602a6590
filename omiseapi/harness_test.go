package omiseapi_test

// The test harness: a real store (SQLite in a temporary directory; on the
// second pass of TestMain, PostgreSQL in a schema of its own), a keyring
// from random bytes, a vault with a controllable clock and the whole HTTP
// surface (server.Handler) behind an httptest server. Every response that
// passes through do is checked for the invariants that hold everywhere
// (API.md §1.5, §2.1): JSON content type, the error object shape, no card
// number and no key in the body; and every response, whatever the request,
// matches the OpenAPI document (openapi/omise.json).

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cardvault/cardvault"
	"github.com/cardvault/cardvault/keys"
	"github.com/cardvault/cardvault/openapi/openapitest"
	"github.com/cardvault/cardvault/postgres"
	"github.com/cardvault/cardvault/server"
	"github.com/cardvault/cardvault/sqlite"
	"github.com/cardvault/cardvault/vault"
	"github.com/jackc/pgx/v5"
)

// The stores the whole suite runs on: TestMain runs every test once per
// store, SQLite always and PostgreSQL when CARDVAULT_TEST_POSTGRES_URL names
// a database (each env then gets a schema of its own, dropped at its end).
// Without the variable it says loudly that PostgreSQL was not tested.
const pgEnvURL = "CARDVAULT_TEST_POSTGRES_URL"

// pgURL is the PostgreSQL database of the current pass ("" on SQLite's).
var pgURL string

func TestMain(m *testing.M) {
	code := m.Run()
	if u := os.Getenv(pgEnvURL); u == "" {
		fmt.Fprintln(os.Stderr, "omiseapi: "+pgEnvURL+" not set: the HTTP suite ran on SQLite only, PostgreSQL NOT tested")
	} else {
		fmt.Fprintln(os.Stderr, "omiseapi: the HTTP suite again, on PostgreSQL")
		pgURL = u
		code = max(code, m.Run())
	}
	os.Exit(code)
}

// openStore opens the store of the current pass for tb, closed by the caller.
func openStore(tb testing.TB) cardvault.Store {
	tb.Helper()
	ctx := context.Background()
	if pgURL == "" {
		db, err := sqlite.Open(ctx, filepath.Join(tb.TempDir(), "cardvault.db"))
		if err != nil {
			tb.Fatalf("sqlite.Open: %v", err)
		}
		return db
	}
	// Say which store a failure happened on (both passes name tests alike).
	tb.Cleanup(func() {
		if tb.Failed() {
			tb.Log("store: PostgreSQL")
		}
	})
	schema := "cvomise_" + strings.ToLower(cardvault.RandomString(12))
	pgExec(tb, `CREATE SCHEMA `+schema)
	tb.Cleanup(func() { pgExec(tb, `DROP SCHEMA `+schema+` CASCADE`) })
	u, err := url.Parse(pgURL)
	if err != nil {
		tb.Fatalf("%s is not a URL: %v", pgEnvURL, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	q.Set("pool_max_conns", "4") // parallel tests share the server's max_connections
	u.RawQuery = q.Encode()
	db, err := postgres.Open(ctx, u.String())
	if err != nil {
		tb.Fatalf("postgres.Open: %v", err)
	}
	return db
}

// pgExec runs one statement on the test database, on a connection of its own.
func pgExec(tb testing.TB, sql string) {
	tb.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, pgURL)
	if err != nil {
		tb.Fatalf("connect to %s: %v", pgEnvURL, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		tb.Fatalf("%s: %v", sql, err)
	}
}

// t0 is the frozen start time of every test: the time of the API.md examples.
var t0 = time.Date(2026, 11, 21, 10, 15, 30, 0, time.UTC)

// tokenTTL is the token TTL the harness configures (the server default).
const tokenTTL = 30 * time.Minute

const (
	ctForm = "application/x-www-form-urlencoded"
	ctJSON = "application/json"
)

// clock is a controllable time source for vault.Now.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// syncBuffer collects log output written from server goroutines.
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

// env is one vault behind one test server, with one account's key pairs.
type env struct {
	URL     string
	Handler http.Handler
	Vault   *vault.Vault
	Clock   *clock
	Logs    *syncBuffer
	DB      cardvault.Store
	client  *http.Client

	PK, SK   string // test pair
	LPK, LSK string // live pair

	mu   sync.Mutex
	keys []string        // every key handed out: never in a body or a log line
	pans map[string]bool // every card-number-like digit run sent: never in a body or a log line
}

// newEnv builds a fresh vault, store and server for one test.
func newEnv(tb testing.TB) *env {
	tb.Helper()
	db := openStore(tb)
	master := make([]byte, keys.KeySize)
	if _, err := rand.Read(master); err != nil {
		tb.Fatal(err)
	}
	kr, err := keys.New(master)
	if err != nil {
		tb.Fatalf("keys.New: %v", err)
	}
	logs := &syncBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	v := vault.New(db, kr, tokenTTL, log)
	clk := &clock{now: t0}
	v.Now = clk.Now
	// Every answer the server writes, whoever asked, is checked against
	// openapi/omise.json (or chargeover.json); failures are reported once the
	// server is closed (this cleanup is registered first, so it runs last).
	h, openapiFailures := openapitest.Wrap(server.Handler(v, log))
	tb.Cleanup(func() {
		if err := openapiFailures.Err(); err != nil {
			tb.Errorf("responses that do not match the OpenAPI documents:\n%v", err)
		}
	})
	srv := httptest.NewServer(h)
	// Redirects are not followed: every answer must be the server's own.
	client := &http.Client{Transport: srv.Client().Transport,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	e := &env{URL: srv.URL, Handler: h, Vault: v, Clock: clk, Logs: logs, DB: db, client: client, pans: map[string]bool{}}
	e.PK, e.SK, e.LPK, e.LSK = e.NewAccount(tb)
	tb.Cleanup(func() {
		srv.Close()
		if err := db.Close(); err != nil {
			tb.Errorf("db.Close: %v", err)
		}
	})
	// Registered last, so it runs first: nothing secret may have been logged.
	tb.Cleanup(func() { e.checkLogs(tb) })
	return e
}

// NewAccount creates another account and returns its test and live key pairs.
func (e *env) NewAccount(tb testing.TB) (pk, sk, lpk, lsk string) {
	tb.Helper()
	cr, err := e.Vault.CreateAccount(context.Background(), "")
	if err != nil {
		tb.Fatalf("CreateAccount: %v", err)
	}
	pk, sk = cr.Test.PublicKey.Reveal(), cr.Test.SecretKey.Reveal()
	lpk, lsk = cr.Live.PublicKey.Reveal(), cr.Live.SecretKey.Reveal()
	e.mu.Lock()
	e.keys = append(e.keys, pk, sk, lpk, lsk)
	e.mu.Unlock()
	return pk, sk, lpk, lsk
}

// result is one HTTP exchange.
type result struct {
	Status int
	Header http.Header
	Raw    []byte
	Body   map[string]any // nil when the body is not a JSON object
}

var digitRun = regexp.MustCompile(`[0-9]{12,}`)

// panCandidates returns the card-number-like digit runs in request text: after
// percent-decoding and dropping spaces and dashes, runs of 12 or more digits.
func panCandidates(s string) []string {
	if d, err := url.QueryUnescape(s); err == nil {
		s = d
	}
	s = strings.NewReplacer(" ", "", "-", "", "\t", "").Replace(s)
	return digitRun.FindAllString(s, -1)
}

// send performs one request and checks the invariants of every response. It
// never calls t.Fatal, so that it can run on other goroutines.
func (e *env) send(method, path, key, contentType, body string, hdr http.Header) (*result, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.URL+path, rd)
	if err != nil {
		return nil, err
	}
	if key != "" {
		req.SetBasicAuth(key, "")
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, vs := range hdr {
		req.Header[k] = vs
	}
	e.mu.Lock()
	for _, p := range panCandidates(body) {
		e.pans[p] = true
	}
	e.mu.Unlock()
	resp, err := e.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	r := &result{Status: resp.StatusCode, Header: resp.Header, Raw: raw}
	// Every response must be what the OpenAPI document describes (openapi/).
	if err := openapitest.Check(method, path, r.Status, r.Header, raw); err != nil {
		return r, fmt.Errorf("%s %s: %w", method, path, err)
	}
	if method == http.MethodHead {
		return r, nil
	}
	if err := e.checkResponse(r, body); err != nil {
		return r, fmt.Errorf("%s %s: %w\nbody: %s", method, path, err, truncate(raw))
	}
	return r, nil
}

func truncate(b []byte) string {
	if len(b) > 2000 {
		return string(b[:2000]) + "…"
	}
	return string(b)
}

var errorKeys = []string{"code", "location", "message", "object"}

// checkResponse checks what holds for every Omise-dialect response.
func (e *env) checkResponse(r *result, reqBody string) error {
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		return fmt.Errorf("Content-Type = %q, want application/json", ct)
	}
	dec := json.NewDecoder(bytes.NewReader(r.Raw))
	dec.UseNumber()
	if err := dec.Decode(&r.Body); err != nil || r.Body == nil {
		return fmt.Errorf("body is not a JSON object: %v", err)
	}
	if r.Status >= 500 {
		return fmt.Errorf("status %d", r.Status)
	}
	obj, _ := r.Body["object"].(string)
	switch {
	case r.Status == http.StatusOK && obj == "error":
		return fmt.Errorf("status 200 with an error object")
	case r.Status >= 400:
		if obj != "error" {
			return fmt.Errorf("status %d with object %q, want error", r.Status, obj)
		}
		if got := sortedKeys(r.Body); strings.Join(got, ",") != strings.Join(errorKeys, ",") {
			return fmt.Errorf("error keys = %v, want %v", got, errorKeys)
		}
		code, _ := r.Body["code"].(string)
		if want := "https://www.omise.co/api-errors#" + strings.ReplaceAll(code, "_", "-"); r.Body["location"] != want {
			return fmt.Errorf("error location = %v, want %q", r.Body["location"], want)
		}
	case r.Status != http.StatusOK:
		return fmt.Errorf("unexpected status %d", r.Status)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	for p := range e.pans {
		if bytes.Contains(r.Raw, []byte(p)) {
			return fmt.Errorf("response contains a card number sent to the server (%s…)", p[:6])
		}
	}
	for _, k := range e.keys {
		if bytes.Contains(r.Raw, []byte(k)) {
			return fmt.Errorf("response contains an API key")
		}
	}
	if k := findKey(r.Body, "number", "security_code", "cvv"); k != "" {
		return fmt.Errorf("response has a %q key", k)
	}
	return nil
}

// findKey returns the first of names used as an object key anywhere in v.
func findKey(v any, names ...string) string {
	switch t := v.(type) {
	case map[string]any:
		for k, c := range t {
			for _, n := range names {
				if k == n {
					return k
				}
			}
			if f := findKey(c, names...); f != "" {
				return f
			}
		}
	case []any:
		for _, c := range t {
			if f := findKey(c, names...); f != "" {
				return f
			}
		}
	}
	return ""
}

// checkLogs asserts that no log line holds a key or a card number (§1.5).
func (e *env) checkLogs(tb testing.TB) {
	logs := e.Logs.String()
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, k := range e.keys {
		if strings.Contains(logs, k) {
			tb.Errorf("log contains an API key")
		}
	}
	for p := range e.pans {
		if strings.Contains(logs, p) {
			tb.Errorf("log contains a card number sent to the server (%s…)", p[:6])
		}
	}
}

// do sends a request and returns the status and the decoded JSON body.
func (e *env) do(t testing.TB, method, path, key, contentType, body string) (int, map[string]any) {
	t.Helper()
	r := e.doH(t, method, path, key, contentType, body, nil)
	return r.Status, r.Body
}

// doH is do with extra headers, returning the whole result.
func (e *env) doH(t testing.TB, method, path, key, contentType, body string, hdr http.Header) *result {
	t.Helper()
	r, err := e.send(method, path, key, contentType, body, hdr)
	if err != nil {
		if r == nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		t.Errorf("%v", err)
	}
	return r
}

// form builds a form body from alternating keys and values, in order.
func form(kv ...string) string {
	var b strings.Builder
	for i := 0; i+1 < len(kv); i += 2 {
		if b.Len() > 0 {
			b.WriteByte('&')
		}
		b.WriteString(url.QueryEscape(kv[i]) + "=" + url.QueryEscape(kv[i+1]))
	}
	return b.String()
}

// jsonBody marshals v.
func jsonBody(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// cardForm is the form body of a valid Visa token request (12/2030, security
// code 123); overrides are name/value pairs that replace card fields, and a
// value of "-" removes the field.
func cardForm(overrides ...string) string {
	fields := map[string]string{
		"name": "Somchai Prasert", "number": "4242424242424242",
		"expiration_month": "12", "expiration_year": "2030", "security_code": "123",
	}
	for i := 0; i+1 < len(overrides); i += 2 {
		if overrides[i+1] == "-" {
			delete(fields, overrides[i])
		} else {
			fields[overrides[i]] = overrides[i+1]
		}
	}
	names := make([]string, 0, len(fields))
	for k := range fields {
		names = append(names, k)
	}
	sort.Strings(names)
	var kv []string
	for _, k := range names {
		kv = append(kv, "card["+k+"]", fields[k])
	}
	return form(kv...)
}

// MustToken creates a test-mode token for number with the account's public key
// and returns its id and its card id.
func (e *env) MustToken(t testing.TB, number string, overrides ...string) (tokenID, cardID string) {
	t.Helper()
	return e.MustTokenKey(t, e.PK, number, overrides...)
}

// MustTokenKey is MustToken with a given public key.
func (e *env) MustTokenKey(t testing.TB, pkey, number string, overrides ...string) (tokenID, cardID string) {
	t.Helper()
	st, body := e.do(t, "POST", "/tokens", pkey, ctForm, cardForm(append([]string{"number", number}, overrides...)...))
	if st != http.StatusOK {
		t.Fatalf("MustToken(%s…): status %d: %v", number[:min(6, len(number))], st, body)
	}
	return str(t, body, "id"), str(t, body, "card.id")
}

// MustCustomer creates a customer with a secret key and a form body and returns it.
func (e *env) MustCustomer(t testing.TB, skey, body string) map[string]any {
	t.Helper()
	st, c := e.do(t, "POST", "/customers", skey, ctForm, body)
	if st != http.StatusOK {
		t.Fatalf("MustCustomer: status %d: %v", st, c)
	}
	return c
}

// MustAttach adds a token's card to a customer.
func (e *env) MustAttach(t testing.TB, skey, custID, tokenID string) map[string]any {
	t.Helper()
	st, c := e.do(t, "PATCH", "/customers/"+custID, skey, ctForm, form("card", tokenID))
	if st != http.StatusOK {
		t.Fatalf("MustAttach: status %d: %v", st, c)
	}
	return c
}

// MustGet GETs a path that must answer 200.
func (e *env) MustGet(t testing.TB, path, key string) map[string]any {
	t.Helper()
	st, body := e.do(t, "GET", path, key, "", "")
	if st != http.StatusOK {
		t.Fatalf("GET %s: status %d: %v", path, st, body)
	}
	return body
}

// fixture is the §6 starting state: a test customer holding a Visa 4242…4242
// (API.md's card 17) and then a MasterCard 5555…4444 (card 18), tokenized ten
// seconds apart.
type fixture struct {
	*env
	Cust               string
	Card1, Card2       string // Visa, MasterCard
	Tok1, Tok2         string
	Created1, Created2 string // created_at of the cards
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	e := newEnv(t)
	f := &fixture{env: e}
	var body map[string]any
	f.Tok1, f.Card1 = e.MustToken(t, "4242424242424242")
	_, body = e.do(t, "GET", "/tokens/"+f.Tok1, e.PK, "", "")
	f.Created1 = str(t, body, "created_at")
	c := e.MustCustomer(t, e.SK, form("email", "somchai@example.com", "card", f.Tok1))
	f.Cust = str(t, c, "id")
	e.Clock.Advance(10 * time.Second)
	f.Tok2, f.Card2 = e.MustToken(t, "5555555555554444", "name", "SOMCHAI PRASERT", "expiration_month", "1",
		"expiration_year", "2031", "security_code", "-")
	_, body = e.do(t, "GET", "/tokens/"+f.Tok2, e.PK, "", "")
	f.Created2 = str(t, body, "created_at")
	e.MustAttach(t, e.SK, f.Cust, f.Tok2)
	e.Clock.Advance(10 * time.Second)
	return f
}

// lookup walks a dotted path ("card.brand", "data.0.id") through decoded JSON.
func lookup(v any, path string) (any, bool) {
	if path == "" {
		return v, true
	}
	for _, part := range strings.Split(path, ".") {
		switch t := v.(type) {
		case map[string]any:
			c, ok := t[part]
			if !ok {
				return nil, false
			}
			v = c
		case []any:
			i, err := strconv.Atoi(part)
			if err != nil || i < 0 || i >= len(t) {
				return nil, false
			}
			v = t[i]
		default:
			return nil, false
		}
	}
	return v, true
}

// str returns the string at path, failing the test if there is none.
func str(t testing.TB, body map[string]any, path string) string {
	t.Helper()
	v, ok := lookup(body, path)
	s, isStr := v.(string)
	if !ok || !isStr {
		t.Fatalf("%s: want a string, got %#v (present %v) in %v", path, v, ok, body)
	}
	return s
}

// num returns the integer at path, failing the test if it is not a JSON integer.
func num(t testing.TB, body map[string]any, path string) int64 {
	t.Helper()
	v, _ := lookup(body, path)
	n, ok := v.(json.Number)
	if !ok {
		t.Fatalf("%s: want a JSON integer, got %#v", path, v)
	}
	i, err := n.Int64()
	if err != nil {
		t.Fatalf("%s: want a JSON integer, got %s", path, n)
	}
	return i
}

// absent is the want value for a key that must not exist.
const absent = "<absent>"

// check compares fields of body. Each want is a JSON literal (`"Visa"`, `2099`,
// `null`, `{}`), "~regexp" for a string matching regexp, or absent.
func check(t testing.TB, body map[string]any, want map[string]string) {
	t.Helper()
	paths := make([]string, 0, len(want))
	for p := range want {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		w := want[p]
		got, ok := lookup(body, p)
		switch {
		case w == absent:
			if ok {
				t.Errorf("%s: got %s, want no such key", p, lit(got))
			}
		case !ok:
			t.Errorf("%s: missing, want %s", p, w)
		case strings.HasPrefix(w, "~"):
			s, isStr := got.(string)
			if !isStr || !regexp.MustCompile(w[1:]).MatchString(s) {
				t.Errorf("%s: got %s, want a string matching %s", p, lit(got), w[1:])
			}
		default:
			var wv any
			dec := json.NewDecoder(strings.NewReader(w))
			dec.UseNumber()
			if err := dec.Decode(&wv); err != nil {
				t.Fatalf("bad want literal for %s: %q", p, w)
			}
			if lit(got) != lit(wv) {
				t.Errorf("%s: got %s, want %s", p, lit(got), lit(wv))
			}
		}
	}
}

// lit renders decoded JSON canonically (sorted keys).
func lit(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%#v", v)
	}
	return string(b)
}

// q quotes a string as a JSON literal for check.
func q(s string) string { return strconv.Quote(s) }

// wantError checks an Omise error response.
func wantError(t testing.TB, status int, body map[string]any, wantStatus int, code, message string) {
	t.Helper()
	if status != wantStatus || body["code"] != code || body["message"] != message {
		t.Errorf("got %d %v %q, want %d %s %q", status, body["code"], body["message"], wantStatus, code, message)
	}
}

func sortedKeys(m map[string]any) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// wantKeys checks that the object at path has exactly the given keys.
func wantKeys(t testing.TB, body map[string]any, path string, want ...string) {
	t.Helper()
	v, _ := lookup(body, path)
	m, ok := v.(map[string]any)
	if !ok {
		t.Errorf("%s: not an object: %s", path, lit(v))
		return
	}
	sort.Strings(want)
	if got := sortedKeys(m); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("%s keys:\n got %v\nwant %v", path, got, want)
	}
}

// The key sets of the Omise objects (API.md §2.3–2.6), 2019-05-29 shape.
var (
	cardKeys = []string{"object", "id", "livemode", "location", "deleted", "street1", "street2", "city", "state",
		"phone_number", "postal_code", "country", "financing", "bank", "brand", "fingerprint", "first_digits",
		"last_digits", "name", "expiration_month", "expiration_year", "security_code_check", "tokenization_method",
		"chargeover_id", "created_at"}
	tokenKeys    = []string{"object", "id", "livemode", "location", "used", "charge_status", "card", "created_at"}
	customerKeys = []string{"object", "id", "livemode", "location", "deleted", "email", "description", "metadata",
		"default_card", "chargeover_id", "cards", "created_at"}
	listKeys = []string{"object", "data", "limit", "offset", "total", "location", "order", "from", "to"}
)

// ids returns the ids of a list's data, in order.
func ids(t testing.TB, list map[string]any) []string {
	t.Helper()
	data, ok := list["data"].([]any)
	if !ok {
		t.Fatalf("data is not an array: %v", list)
	}
	out := make([]string, len(data))
	for i, d := range data {
		out[i], _ = d.(map[string]any)["id"].(string)
	}
	return out
}

// luhn appends the check digit that makes prefix pass the Luhn check.
func luhn(prefix string) string {
	sum := 0
	for i := 0; i < len(prefix); i++ {
		d := int(prefix[len(prefix)-1-i] - '0')
		if i%2 == 0 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return prefix + strconv.Itoa((10-sum%10)%10)
}

// pad returns prefix padded with zeros to n-1 digits and completed by a Luhn digit.
func pad(prefix string, n int) string {
	return luhn(prefix + strings.Repeat("0", n-1-len(prefix)))
}

func ts(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }
