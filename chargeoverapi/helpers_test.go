package chargeoverapi_test

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
		fmt.Fprintln(os.Stderr, "chargeoverapi: "+pgEnvURL+" not set: the HTTP suite ran on SQLite only, PostgreSQL NOT tested")
	} else {
		fmt.Fprintln(os.Stderr, "chargeoverapi: the HTTP suite again, on PostgreSQL")
		pgURL = u
		code = max(code, m.Run())
	}
	os.Exit(code)
}

// openStore opens the store of the current pass, closed when t ends.
func openStore(t testing.TB) cardvault.Store {
	t.Helper()
	ctx := context.Background()
	if pgURL == "" {
		db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "db"))
		if err != nil {
			t.Fatalf("open store: %v", err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	// Say which store a failure happened on (both passes name tests alike).
	t.Cleanup(func() {
		if t.Failed() {
			t.Log("store: PostgreSQL")
		}
	})
	schema := "cvco_" + strings.ToLower(cardvault.RandomString(12))
	pgExec(t, `CREATE SCHEMA `+schema)
	t.Cleanup(func() { pgExec(t, `DROP SCHEMA `+schema+` CASCADE`) })
	u, err := url.Parse(pgURL)
	if err != nil {
		t.Fatalf("%s is not a URL: %v", pgEnvURL, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	q.Set("pool_max_conns", "4") // parallel tests share the server's max_connections
	u.RawQuery = q.Encode()
	db, err := postgres.Open(ctx, u.String())
	if err != nil {
		t.Fatalf("postgres.Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// pgExec runs one statement on the test database, on a connection of its own.
func pgExec(t testing.TB, sql string) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, pgURL)
	if err != nil {
		t.Fatalf("connect to %s: %v", pgEnvURL, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// syncBuffer is a log sink safe for concurrent handlers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// env is a cardvault server over a real store (SQLite in a temp dir, or
// PostgreSQL on TestMain's second pass), with one account's keys.
type env struct {
	t                  testing.TB
	v                  *vault.Vault
	db                 cardvault.Store
	h                  http.Handler
	srv                *httptest.Server
	logs               *syncBuffer
	pkey, skey         string // test pair
	lpkey, lskey       string // live pair
	otherPkey, otherSk string // test pair of a second account
}

// newEnv starts a server. Everything is closed when the test ends.
func newEnv(t testing.TB) *env {
	t.Helper()
	db := openStore(t)
	master := make([]byte, 32)
	_, _ = rand.Read(master)
	kr, err := keys.New(master)
	if err != nil {
		t.Fatalf("keyring: %v", err)
	}
	logs := &syncBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	v := vault.New(db, kr, 30*time.Minute, log)
	// Every answer the server writes, whoever asked (e.h serves the stall and
	// TLS tests too), is checked against the OpenAPI documents; failures are
	// reported once every server is closed (registered before them, so it
	// runs after them).
	h, openapiFailures := openapitest.Wrap(server.Handler(v, log))
	t.Cleanup(func() {
		if err := openapiFailures.Err(); err != nil {
			t.Errorf("responses that do not match the OpenAPI documents:\n%v", err)
		}
	})
	e := &env{t: t, v: v, db: db, logs: logs, h: h}
	cr := mustAccount(t, v)
	e.pkey, e.skey = cr.Test.PublicKey.Reveal(), cr.Test.SecretKey.Reveal()
	e.lpkey, e.lskey = cr.Live.PublicKey.Reveal(), cr.Live.SecretKey.Reveal()
	other := mustAccount(t, v)
	e.otherPkey, e.otherSk = other.Test.PublicKey.Reveal(), other.Test.SecretKey.Reveal()
	e.srv = httptest.NewServer(e.h)
	t.Cleanup(e.srv.Close)
	return e
}

func mustAccount(t testing.TB, v *vault.Vault) *vault.Credentials {
	t.Helper()
	cr, err := v.CreateAccount(context.Background(), "")
	if err != nil {
		t.Fatalf("create account: %v", err)
	}
	return cr
}

// resp is a response with its body.
type resp struct {
	status int
	header http.Header
	body   []byte
}

// coEnvelope is the ChargeOver envelope as decoded by a client.
type coEnvelope struct {
	Code     int               `json:"code"`
	Status   string            `json:"status"`
	Message  string            `json:"message"`
	Details  map[string]string `json:"details"`
	Response json.RawMessage   `json:"response"`
}

// send performs a request against the test server.
func (e *env) send(req *http.Request) *resp {
	e.t.Helper()
	res, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatalf("read body: %v", err)
	}
	// Every response must be what the OpenAPI documents describe (openapi/).
	if err := openapitest.Check(req.Method, req.URL.EscapedPath(), res.StatusCode, res.Header, b); err != nil {
		e.t.Errorf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	return &resp{status: res.StatusCode, header: res.Header, body: b}
}

// newReq builds a request to the test server; target is path plus raw query.
func (e *env) newReq(method, target, body string) *http.Request {
	e.t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+target, strings.NewReader(body))
	if err != nil {
		e.t.Fatalf("new request: %v", err)
	}
	if body == "" {
		req.Body, req.ContentLength = http.NoBody, 0
	}
	return req
}

// co sends a ChargeOver request with the test pair.
func (e *env) co(method, target, body string) *resp {
	e.t.Helper()
	return e.coAs(e.pkey, e.skey, method, target, body)
}

// coAs sends a ChargeOver request with Basic user:pass.
func (e *env) coAs(user, pass, method, target, body string) *resp {
	e.t.Helper()
	req := e.newReq(method, target, body)
	req.SetBasicAuth(user, pass)
	return e.send(req)
}

// omise sends an Omise request, form-encoded, with key as user name.
func (e *env) omise(key, method, path string, form url.Values) *resp {
	e.t.Helper()
	req := e.newReq(method, path, form.Encode())
	if len(form) > 0 {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.SetBasicAuth(key, "")
	return e.send(req)
}

// env decodes and checks the ChargeOver envelope: key order, code equal to
// the HTTP status, status word, and the response/message/details of §3.1.
func (r *resp) env(t testing.TB) coEnvelope {
	t.Helper()
	if got := topKeys(t, r.body); strings.Join(got, ",") != "code,status,message,details,response" {
		t.Fatalf("envelope keys %v in %s", got, r.body)
	}
	var e coEnvelope
	if err := json.Unmarshal(r.body, &e); err != nil {
		t.Fatalf("decode envelope: %v: %s", err, r.body)
	}
	if e.Code != r.status {
		t.Errorf("code %d, HTTP status %d", e.Code, r.status)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	checkEnvelopeValues(t, r.status, e)
	return e
}

func checkEnvelopeValues(t testing.TB, status int, e coEnvelope) {
	t.Helper()
	switch {
	case status < 400 && (e.Status != "OK" || e.Message != "" || len(e.Details) != 0):
		t.Errorf("success envelope %+v", e)
	case status >= 400 && e.Status != "Error":
		t.Errorf("error envelope %+v", e)
	case status == 404 && string(e.Response) != "null":
		t.Errorf("404 response %s", e.Response)
	case status >= 400 && status != 404 && string(e.Response) != "false":
		t.Errorf("%d response %s", status, e.Response)
	case e.Details == nil:
		t.Errorf("details missing or null")
	}
}

// topKeys returns the keys of a JSON object in document order.
func topKeys(t testing.TB, b []byte) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("not a JSON object: %s", b)
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatalf("decode: %v", err)
		}
		keys = append(keys, tok.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatalf("decode: %v", err)
		}
	}
	return keys
}

// wantError checks an error response: status, message and details.
func wantError(t testing.TB, r *resp, status int, msg string, details map[string]string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	e := r.env(t)
	if e.Message != msg {
		t.Errorf("message %q, want %q", e.Message, msg)
	}
	if fmt.Sprint(e.Details) != fmt.Sprint(orEmpty(details)) {
		t.Errorf("details %v, want %v", e.Details, details)
	}
}

func orEmpty(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// created checks a 201 and returns the new id.
func created(t testing.TB, r *resp) int64 {
	t.Helper()
	if r.status != http.StatusCreated {
		t.Fatalf("status %d, want 201: %s", r.status, r.body)
	}
	var out struct{ ID int64 }
	if err := json.Unmarshal(r.env(t).Response, &out); err != nil || out.ID <= 0 {
		t.Fatalf("response %s: %v", r.body, err)
	}
	return out.ID
}

// okResponse checks a 200 and decodes its response into v.
func okResponse(t testing.TB, r *resp, v any) {
	t.Helper()
	if r.status != http.StatusOK {
		t.Fatalf("status %d, want 200: %s", r.status, r.body)
	}
	if err := json.Unmarshal(r.env(t).Response, v); err != nil {
		t.Fatalf("decode response: %v: %s", err, r.body)
	}
}

// object decodes a 200 object response as a map.
func object(t testing.TB, r *resp) map[string]any {
	t.Helper()
	var m map[string]any
	okResponse(t, r, &m)
	return m
}

// list decodes a 200 array response.
func list(t testing.TB, r *resp) []map[string]any {
	t.Helper()
	var l []map[string]any
	okResponse(t, r, &l)
	if l == nil {
		t.Fatalf("response is not an array: %s", r.body)
	}
	return l
}

// count decodes a 200 integer response.
func count(t testing.TB, r *resp) int {
	t.Helper()
	var n int
	okResponse(t, r, &n)
	return n
}

// ids returns the given integer field of every object of a list.
func ids(l []map[string]any, field string) []int64 {
	out := make([]int64, len(l))
	for i, m := range l {
		f, _ := m[field].(float64)
		out[i] = int64(f)
	}
	return out
}

// mustCustomer creates a customer through ChargeOver and returns its id.
func (e *env) mustCustomer(body string) int64 {
	e.t.Helper()
	return created(e.t, e.co("POST", "/api/v3/customer", body))
}

// mustCard stores a card through ChargeOver and returns its id.
func (e *env) mustCard(customer int64, number string, extra string) int64 {
	e.t.Helper()
	body := fmt.Sprintf(`{"customer_id":%d,"number":%q,"expdate_year":2030,"expdate_month":"5"%s}`, customer, number, extra)
	return created(e.t, e.co("POST", "/api/v3/creditcard", body))
}

// fixture is the state of API.md §6: a customer holding Visa 4242…4242 and
// MasterCard 5555…4444, both stored through Omise.
type fixture struct {
	cust       int64
	custOmise  string
	visa, mast int64 // creditcard ids (17 and 18 in the document)
	visaOmise  string
	mastOmise  string
}

// mustFixture builds the §6 fixture through the Omise dialect.
func (e *env) mustFixture() fixture {
	e.t.Helper()
	var f fixture
	tok1 := e.mustToken("4242424242424242", "12", "2030")
	cust := e.omise(e.skey, "POST", "/customers", url.Values{"email": {"somchai@example.com"}, "card": {tok1}})
	var c struct {
		ID           string `json:"id"`
		ChargeoverID int64  `json:"chargeover_id"`
	}
	mustJSON(e.t, cust, &c)
	f.cust, f.custOmise = c.ChargeoverID, c.ID
	tok2 := e.mustToken("5555555555554444", "11", "2031")
	mustJSON(e.t, e.omise(e.skey, "PATCH", "/customers/"+c.ID, url.Values{"card": {tok2}}), &c)
	cards := list(e.t, e.co("GET", fmt.Sprintf("/api/v3/creditcard?where=customer_id:EQUALS:%d", f.cust), ""))
	if len(cards) != 2 {
		e.t.Fatalf("fixture has %d cards", len(cards))
	}
	f.visa, f.mast = ids(cards, "creditcard_id")[0], ids(cards, "creditcard_id")[1]
	f.visaOmise, f.mastOmise = cards[0]["omise_id"].(string), cards[1]["omise_id"].(string)
	return f
}

// mustToken creates an Omise token and returns its id.
func (e *env) mustToken(number, month, year string) string {
	e.t.Helper()
	r := e.omise(e.pkey, "POST", "/tokens", url.Values{"card[name]": {"Somchai Prasert"}, "card[number]": {number},
		"card[expiration_month]": {month}, "card[expiration_year]": {year}, "card[security_code]": {"123"}})
	var tok struct{ ID string }
	mustJSON(e.t, r, &tok)
	return tok.ID
}

// mustJSON checks an Omise 200 and decodes it.
func mustJSON(t testing.TB, r *resp, v any) {
	t.Helper()
	if r.status != http.StatusOK {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode: %v", err)
	}
}

// with returns a copy of e that reports to t (for subtests).
func (e *env) with(t testing.TB) *env {
	c := *e
	c.t = t
	return &c
}

// luhn appends the Luhn check digit to a string of digits.
func luhn(digits string) string {
	sum := 0
	for i := len(digits) - 1; i >= 0; i-- {
		d := int(digits[i] - '0')
		if (len(digits)-i)%2 == 1 {
			if d *= 2; d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return digits + string(rune('0'+(10-sum%10)%10))
}
