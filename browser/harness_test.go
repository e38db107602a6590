package browser_test

// The harness of the Chromium tests: a headless browser, cardvault on its own
// origin, a test shop on another, tabs that record what they log.

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cardvault/cardvault/browser"
	"github.com/cardvault/cardvault/keys"
	"github.com/cardvault/cardvault/server"
	"github.com/cardvault/cardvault/sqlite"
	"github.com/cardvault/cardvault/vault"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/dom"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// The cards the tests type. goodPAN tokenizes; badPAN fails Luhn.
const (
	goodPAN = "4242424242424242"
	badPAN  = "4242424242424241"
)

// chromiumPath finds Debian's chromium (or another Chrome) on PATH.
func chromiumPath() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// newChromium starts one headless browser for t; its tabs are contexts made
// from the returned one.
func newChromium(t *testing.T) context.Context {
	t.Helper()
	path := chromiumPath()
	if path == "" {
		t.Skip("SKIPPED LOUDLY: no chromium on PATH, the browser tests did NOT run (.ci/run installs Debian's chromium)")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.UserDataDir(t.TempDir()),
		// The provider frame stays in the page's process, so that its console
		// messages, requests and document reach the tab's context.
		chromedp.Flag("disable-features", "Translate,BlinkGenPropertyTrees,SitePerProcess,IsolateOrigins"),
		chromedp.Flag("disable-site-isolation-trials", true),
	)
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox)
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelBrowser(); cancelAlloc() })
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return bctx
}

// vaultEnv is cardvault on a SQLite store behind an httptest server.
type vaultEnv struct {
	URL    string
	PK, SK string
	logs   *syncBuffer
}

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

func newVault(t *testing.T) *vaultEnv {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "cardvault.db"))
	if err != nil {
		t.Fatalf("sqlite.Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	master := make([]byte, keys.KeySize)
	if _, err := rand.Read(master); err != nil {
		t.Fatal(err)
	}
	kr, err := keys.New(master)
	if err != nil {
		t.Fatalf("keys.New: %v", err)
	}
	logs := &syncBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	v := vault.New(db, kr, 30*time.Minute, log)
	cr, err := v.CreateAccount(ctx, "")
	if err != nil {
		t.Fatalf("CreateAccount: %v", err)
	}
	srv := httptest.NewServer(server.Handler(v, log))
	t.Cleanup(srv.Close)
	return &vaultEnv{URL: srv.URL, PK: cr.Test.PublicKey.Reveal(), SK: cr.Test.SecretKey.Reveal(), logs: logs}
}

// call sends one request to the vault with key as Basic user and decodes
// the JSON answer.
func (e *vaultEnv) call(t *testing.T, method, path, key, ctype, body string) (int, http.Header, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, e.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(key, "")
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		t.Fatalf("%s %s: status %d, body is not a JSON object: %v", method, path, res.StatusCode, err)
	}
	return res.StatusCode, res.Header, out
}

// newShop serves the test shop's checkout page for path ("omise.js" or
// "cardvault.js") on an origin of its own, http://localhost:PORT, and its
// backend POST /checkout, which attaches a token to a new customer with the
// secret key and answers the stored card's brand and last digits.
func newShop(t *testing.T, v *vaultEnv) string {
	t.Helper()
	file := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join("testdata", "shop", name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	// Omise.js bundles easyXDM: the shop serves the same file from its origin.
	_, easyXDM := get(t, v.URL+browser.EasyXDMPath)
	mux := http.NewServeMux()
	js := func(body []byte) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
			w.Write(body)
		}
	}
	mux.HandleFunc("GET /easyXDM.js", js(easyXDM))
	mux.HandleFunc("GET /omise-like.js", js(file("omise-like.js")))
	mux.HandleFunc("GET /shop.js", js(file("shop.js")))
	page := string(file("page.html"))
	scripts := map[string]string{
		"omise.js": `<script src="/easyXDM.js"></script>` + "\n" + `<script src="/omise-like.js"></script>`,
		"cardvault.js": `<script src="` + v.URL + browser.CardvaultJSPath + `" integrity="` +
			browser.Integrity(browser.CardvaultJSPath) + `" crossorigin="anonymous"></script>`,
	}
	mux.HandleFunc("GET /{path}", func(w http.ResponseWriter, r *http.Request) {
		p := r.PathValue("path")
		s, ok := scripts[p]
		if !ok {
			http.NotFound(w, r)
			return
		}
		// A shop's CSP: its own scripts and the vault's, the vault's frame.
		w.Header().Set("Content-Security-Policy", "default-src 'self'; script-src 'self' "+v.URL+"; frame-src "+v.URL)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, strings.NewReplacer("{{PATH}}", p, "{{SCRIPTS}}", s, "{{VAULT}}", v.URL, "{{PKEY}}", v.PK).Replace(page))
	})
	mux.HandleFunc("POST /checkout", func(w http.ResponseWriter, r *http.Request) {
		status, _, cust := v.call(t, "POST", "/customers", v.SK, "application/x-www-form-urlencoded",
			url.Values{"card": {r.FormValue("token")}}.Encode())
		out := map[string]any{"status": status}
		if status == http.StatusOK {
			cards, _ := cust["cards"].(map[string]any)
			data, _ := cards["data"].([]any)
			if len(data) == 1 {
				c := data[0].(map[string]any)
				out = map[string]any{"status": status, "customer": cust["id"], "card": c["id"], "brand": c["brand"], "last_digits": c["last_digits"]}
			}
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(out)
	})
	mux.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)
}

func get(t *testing.T, u string) (*http.Response, []byte) {
	t.Helper()
	res, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, b
}

// tab is one browser tab with everything it logged and every answer to
// POST /tokens it saw.
type tab struct {
	ctx     context.Context
	mu      sync.Mutex
	console []string
	tokens  []*network.Response
}

func newTab(t *testing.T, bctx context.Context, vaultURL string) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(bctx)
	t.Cleanup(cancel)
	tb := &tab{ctx: ctx}
	err := chromedp.Listen(ctx, func(ev any) {
		tb.mu.Lock()
		defer tb.mu.Unlock()
		switch ev := ev.(type) {
		case *network.EventResponseReceived:
			if ev.Response.URL == vaultURL+"/tokens" {
				tb.tokens = append(tb.tokens, ev.Response)
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	msgs := chromedp.Console(ctx)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("open tab: %v", err)
	}
	go func() {
		for m, err := range msgs {
			if err != nil {
				return
			}
			tb.mu.Lock()
			tb.console = append(tb.console, string(m.Type)+" "+m.URL+" "+m.String())
			tb.mu.Unlock()
		}
	}()
	return tb
}

// checkout types card into the shop's page for path, submits it and returns
// what the page's callback got ({status, data, stored}).
func (tb *tab) checkout(t *testing.T, shop, path string, card map[string]string) map[string]any {
	t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 20*time.Second)
	defer cancel()
	steps := []chromedp.Action[chromedp.Void]{chromedp.Navigate(shop + "/" + path)}
	for id, v := range map[string]string{"cc-name": card["name"], "cc-number": card["typed"],
		"cc-month": card["expiration_month"], "cc-year": card["expiration_year"], "cc-csc": card["security_code"]} {
		steps = append(steps, chromedp.SendKeys(chromedp.ID(id), v))
	}
	steps = append(steps, chromedp.Click(chromedp.ID("submit")))
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: type and submit: %v", path, err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool]("document.body.dataset.state === 'done'")); err != nil {
		status, _ := chromedp.Run(tb.ctx, chromedp.Text(chromedp.ID("status")))
		t.Fatalf("%s: the page did not finish: %v (status line %q)", path, err, status)
	}
	res, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]any]("window.shopResult"))
	if err != nil {
		t.Fatalf("%s: read the result: %v", path, err)
	}
	return res
}

// documents returns the HTML of every document of the tab: the shop's page
// and the vault's provider frame.
func (tb *tab) documents(t *testing.T) string {
	t.Helper()
	html, err := chromedp.Run(tb.ctx, func(ctx context.Context, tg *chromedp.Target) (string, error) {
		root, err := cdp.Call(ctx, tg, dom.GetDocument, dom.GetDocumentParams{Depth: ptr[int64](-1), Pierce: ptr(true)})
		if err != nil {
			return "", err
		}
		var b strings.Builder
		var walk func(n *cdp.Node) error
		walk = func(n *cdp.Node) error {
			if n.NodeType == 9 { // DOCUMENT_NODE
				h, err := cdp.Call(ctx, tg, dom.GetOuterHTML, dom.GetOuterHTMLParams{NodeID: n.NodeID})
				if err != nil {
					return err
				}
				b.WriteString(h.OuterHTML + "\n")
			}
			if n.ContentDocument != nil {
				if err := walk(n.ContentDocument); err != nil {
					return err
				}
			}
			for _, c := range n.Children {
				if err := walk(c); err != nil {
					return err
				}
			}
			return nil
		}
		err = walk(root.Root)
		return b.String(), err
	})
	if err != nil {
		t.Fatalf("read the documents: %v", err)
	}
	return html
}

func ptr[T any](v T) *T { return &v }

// cardOf is the card the tests type for number, as POST /tokens takes it;
// "typed" is how the shopper types the number (with spaces).
func cardOf(number string) map[string]string {
	return map[string]string{"name": "Somchai Prasert", "number": number, "typed": number[:4] + " " + number[4:8] + " " + number[8:12] + " " + number[12:],
		"expiration_month": "12", "expiration_year": "2031", "security_code": "123"}
}

// reference is what POST /tokens answers for card, from Go.
func (e *vaultEnv) reference(t *testing.T, card map[string]string) (int, http.Header, map[string]any) {
	t.Helper()
	c := map[string]string{}
	for k, v := range card {
		if k != "typed" {
			c[k] = v
		}
	}
	body, _ := json.Marshal(map[string]any{"card": c})
	return e.call(t, "POST", "/tokens", e.PK, "application/json", string(body))
}

// withoutIDs drops what differs between two tokens of one card: ids, paths
// and times.
func withoutIDs(token map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range token {
		switch k {
		case "id", "location", "created_at":
		case "card":
			c := map[string]any{}
			for ck, cv := range v.(map[string]any) {
				if ck != "id" && ck != "created_at" {
					c[ck] = cv
				}
			}
			out[k] = c
		default:
			out[k] = v
		}
	}
	return out
}

var digitRun = regexp.MustCompile(`[0-9]{12,}`)

// checkNoPAN fails if text holds a card number the tests typed, also with
// spaces or dashes dropped. It never prints the text.
func checkNoPAN(t *testing.T, what, text string) {
	t.Helper()
	flat := strings.NewReplacer(" ", "", "-", "", "\u00a0", "").Replace(text)
	for _, run := range digitRun.FindAllString(flat, -1) {
		for _, pan := range []string{goodPAN, badPAN} {
			if strings.Contains(run, pan) {
				t.Errorf("%s holds a card number the test typed (%d chars scanned)", what, len(text))
				return
			}
		}
	}
}

// headerValue reads a header of a network.Response, whatever its case.
func headerValue(h network.Headers, name string) string {
	for k, v := range h {
		if strings.EqualFold(k, name) {
			s, _ := v.(string)
			return s
		}
	}
	return ""
}

// redact masks digit runs that could be card numbers in text for a failure
// message.
func redact(s string) string { return digitRun.ReplaceAllString(s, "[digits]") }
