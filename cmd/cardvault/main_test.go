package main_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// binary is the cardvault command built once for these tests.
var binary string

// hostileEnv is set in the test process unless the developer has set these
// variables already: every test must pass with the README's variables
// exported, which holds only if no server under test and no in-process
// configuration reads them (childEnv clears them for subprocesses).
var hostileEnv = map[string]string{
	"CARDVAULT_MASTER_KEY":       "garbage",
	"CARDVAULT_MASTER_KEY_FILE":  "/nonexistent/master.key",
	"CARDVAULT_DB":               "/nonexistent/cardvault.db",
	"CARDVAULT_DATA":             "/nonexistent",
	"CARDVAULT_ADDR":             "256.0.0.1:1",
	"CARDVAULT_RATE_LIMIT":       "-1",
	"CARDVAULT_TLS_CERT":         "/nonexistent/cert.pem",
	"CARDVAULT_NEW_STORE":        "1",
	"CARDVAULT_MASTER_KEY_PARTS": "/nonexistent/a:/nonexistent/b",
}

func TestMain(m *testing.M) {
	for k, v := range hostileEnv {
		if _, ok := os.LookupEnv(k); !ok {
			os.Setenv(k, v)
		}
	}
	dir, err := os.MkdirTemp("", "cardvault-bin")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "cardvault")
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		panic(err)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// childEnv is the environment of every cardvault process the tests start:
// the test's own minus every CARDVAULT_ variable (a developer's
// CARDVAULT_MASTER_KEY, CARDVAULT_DB or CARDVAULT_DATA must not reach the
// server under test), plus extra.
func childEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "CARDVAULT_") {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

// command is exec.Command for the binary under test, with childEnv(env...).
func command(env []string, args ...string) *exec.Cmd {
	cmd := exec.Command(binary, args...)
	cmd.Env = childEnv(env...)
	return cmd
}

// proc is a running cardvault server.
type proc struct {
	cmd    *exec.Cmd
	base   string
	stdout *syncBuffer
	stderr *syncBuffer
	done   chan struct{} // closed when the process has exited
	err    error         // its exit status, once done is closed
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

// mustStart starts `cardvault` with args on a free port and waits until it serves.
func mustStart(t *testing.T, data string, args ...string) *proc {
	t.Helper()
	return mustStartEnv(t, data, nil, args...)
}

// mustStartEnv is mustStart with env added to the child's environment
// (childEnv). A server that exits before serving fails the test at once,
// with what it printed.
func mustStartEnv(t *testing.T, data string, env []string, args ...string) *proc {
	t.Helper()
	p := startProc(t, env, append([]string{"--data", data, "--addr", "127.0.0.1:0", "--rate-limit", "0"}, args...)...)
	addrRE := regexp.MustCompile(`"msg":"cardvault serving","addr":"[^"]+","url":"([^"]+)"`)
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); {
		if m := addrRE.FindStringSubmatch(p.stderr.String()); m != nil {
			p.base = m[1]
			return p
		}
		select {
		case <-p.done:
			t.Fatalf("cardvault exited before serving: %v\nstdout: %s\nstderr: %s", p.err, p.stdout.String(), p.stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("cardvault did not start within 20s; stdout: %s\nstderr: %s", p.stdout.String(), p.stderr.String())
	return nil
}

// startProc starts the binary with args; the test's cleanup kills it.
func startProc(t *testing.T, env []string, args ...string) *proc {
	t.Helper()
	p := &proc{stdout: &syncBuffer{}, stderr: &syncBuffer{}, done: make(chan struct{})}
	p.cmd = command(env, args...)
	p.cmd.Stdout, p.cmd.Stderr = p.stdout, p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.err = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() { p.cmd.Process.Kill(); <-p.done })
	return p
}

// wait waits up to d for the process to exit and returns its exit status.
func (p *proc) wait(t *testing.T, d time.Duration) error {
	t.Helper()
	select {
	case <-p.done:
		return p.err
	case <-time.After(d):
		t.Fatalf("cardvault did not exit within %v; stderr: %s", d, p.stderr.String())
		return nil
	}
}

// testKeys reads the test key pair printed on first start (from the export
// line). Standard output and standard error are copied by separate
// goroutines, so the keys may arrive after the "serving" line: it polls.
func (p *proc) testKeys(t *testing.T) (pkey, skey string) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if pkey, skey, _ = parseKeys(p.stdout.String()); pkey != "" && skey != "" {
			return pkey, skey
		}
		if time.Now().After(deadline) {
			t.Fatalf("no key pair printed; stdout: %q", p.stdout.String())
		}
	}
}

var exportRE = regexp.MustCompile(`(?m)^  export CV=(\S+) PKEY=(pkey_test_\w+) SKEY=(skey_test_\w+)$`)

// parseKeys finds the test keys in the printed "export CV=… PKEY=… SKEY=…"
// line, and the line itself.
func parseKeys(out string) (pkey, skey, export string) {
	m := exportRE.FindStringSubmatch(out)
	if m == nil {
		return "", "", ""
	}
	return m[2], m[3], strings.TrimSpace(m[0])
}

// call sends a form request with Basic auth and decodes the JSON answer.
func call(t *testing.T, method, u, user, pass string, form url.Values) (int, map[string]any, string) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.SetBasicAuth(user, pass)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	return res.StatusCode, m, string(raw)
}

// randomPAN returns a random Luhn-valid 16-digit Visa number.
func randomPAN(t *testing.T) string {
	t.Helper()
	d := []byte("4")
	for len(d) < 15 {
		n, _ := rand.Int(rand.Reader, big.NewInt(10))
		d = append(d, byte('0'+n.Int64()))
	}
	for c := byte('0'); c <= '9'; c++ {
		if luhn(string(append(d, c))) {
			return string(append(d, c))
		}
	}
	t.Fatal("no check digit")
	return ""
}

func luhn(s string) bool {
	sum, double := 0, false
	for i := len(s) - 1; i >= 0; i-- {
		n := int(s[i] - '0')
		if double {
			if n *= 2; n > 9 {
				n -= 9
			}
		}
		sum, double = sum+n, !double
	}
	return sum%10 == 0
}

func tokenForm(pan string) url.Values {
	return url.Values{"card[name]": {"JOHN DOE"}, "card[number]": {pan}, "card[expiration_month]": {"12"},
		"card[expiration_year]": {"2030"}, "card[security_code]": {"123"}}
}

// TestWalkthrough is the Omise walk-through in Go against the real binary
// (TestREADME runs the README's own shell blocks).
func TestWalkthrough(t *testing.T) {
	p := mustStart(t, t.TempDir())
	pk, sk := p.testKeys(t)
	st, tok, raw := call(t, "POST", p.base+"/tokens", pk, "", tokenForm("4242 4242 4242 4242"))
	if st != 200 || tok["object"] != "token" {
		t.Fatalf("POST /tokens = %d %s", st, raw)
	}
	st, cust, raw := call(t, "POST", p.base+"/customers", sk, "", url.Values{"email": {"john@example.com"}, "card": {tok["id"].(string)}})
	if st != 200 || cust["object"] != "customer" {
		t.Fatalf("POST /customers = %d %s", st, raw)
	}
	st, list, raw := call(t, "GET", p.base+"/customers/"+cust["id"].(string)+"/cards", sk, "", nil)
	if st != 200 || list["total"] != float64(1) {
		t.Fatalf("GET cards = %d %s", st, raw)
	}
	if st, _, raw := call(t, "GET", p.base+"/healthz", "", "", nil); st != 200 || !strings.Contains(raw, `"ok"`) {
		t.Fatalf("healthz = %d %s", st, raw)
	}
}

// TestAccountCreateWhileServing creates an account on the store a server is using.
func TestAccountCreateWhileServing(t *testing.T) {
	data := t.TempDir()
	p := mustStart(t, data)
	out, err := command(nil, "--data", data, "account", "create", "--json", "--name", "shop").Output()
	if err != nil {
		t.Fatalf("account create: %v", err)
	}
	var acct struct {
		ID   string                                `json:"id"`
		Test struct{ PublicKey, SecretKey string } `json:"test"`
		Live struct {
			PublicKey string `json:"public_key"`
			SecretKey string `json:"secret_key"`
		} `json:"live"`
	}
	if err := json.Unmarshal(out, &acct); err != nil || !strings.HasPrefix(acct.ID, "acct_") {
		t.Fatalf("account create --json = %q (%v)", out, err)
	}
	if !strings.HasPrefix(acct.Live.PublicKey, "pkey_") || strings.HasPrefix(acct.Live.PublicKey, "pkey_test_") {
		t.Fatalf("live public key = %q", acct.Live.PublicKey)
	}
	st, tok, raw := call(t, "POST", p.base+"/tokens", acct.Live.PublicKey, "", tokenForm("4242424242424242"))
	if st != 200 || tok["livemode"] != true {
		t.Fatalf("live token with new account = %d %s", st, raw)
	}
	if st, _, _ := call(t, "GET", p.base+"/customers", acct.Live.SecretKey, "", nil); st != 200 {
		t.Fatalf("list with new live secret key = %d", st)
	}
	out, err = command(nil, "--data", data, "account", "list", "--json").Output()
	if err != nil {
		t.Fatalf("account list: %v", err)
	}
	var list []struct{ ID, Name string }
	if err := json.Unmarshal(out, &list); err != nil || len(list) != 2 || list[0].Name != "default" ||
		list[1].ID != acct.ID || list[1].Name != "shop" {
		t.Fatalf("account list --json = %s (%v)", out, err)
	}
	if strings.Contains(string(out), "key_") {
		t.Error("account list shows keys")
	}
}

// TestCrashDurability kills the server with SIGKILL while clients write, then
// checks that every acknowledged write survived.
func TestCrashDurability(t *testing.T) {
	data := t.TempDir()
	p := mustStart(t, data)
	pk, sk := p.testKeys(t)
	var mu sync.Mutex
	var acked []string
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				id, ok := createCustomer(p.base, pk, sk, randomPAN(t))
				if ok {
					mu.Lock()
					acked = append(acked, id)
					mu.Unlock()
				}
			}
		}()
	}
	time.Sleep(1500 * time.Millisecond)
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-p.done
	cancel()
	wg.Wait()
	if len(acked) < 5 {
		t.Fatalf("only %d writes acknowledged before the crash", len(acked))
	}
	q := mustStart(t, data)
	for _, id := range acked {
		if st, c, raw := call(t, "GET", q.base+"/customers/"+id, sk, "", nil); st != 200 || c["cards"].(map[string]any)["total"] != float64(1) {
			t.Fatalf("acknowledged customer %s after crash: %d %s", id, st, raw)
		}
	}
	t.Logf("%d acknowledged customers (each with a card) all present after kill -9", len(acked))
}

// createCustomer tokenizes pan and attaches it to a new customer; ok only when both succeeded.
func createCustomer(base, pk, sk, pan string) (string, bool) {
	tok, ok := post(base+"/tokens", pk, tokenForm(pan))
	if !ok {
		return "", false
	}
	cust, ok := post(base+"/customers", sk, url.Values{"card": {tok}})
	return cust, ok
}

func post(u, key string, form url.Values) (string, bool) {
	req, _ := http.NewRequest("POST", u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(key, "")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", false
	}
	defer res.Body.Close()
	var m struct{ ID string }
	if res.StatusCode != 200 || json.NewDecoder(res.Body).Decode(&m) != nil || m.ID == "" {
		return "", false
	}
	return m.ID, true
}

// TestGracefulShutdown: SIGTERM while a request is in flight (its body half
// sent) lets that request finish with 200, then the server exits cleanly,
// having joined every request and the janitor before closing the store.
func TestGracefulShutdown(t *testing.T) {
	p := mustStart(t, t.TempDir())
	pk, _ := p.testKeys(t)
	conn, err := net.Dial("tcp", strings.TrimPrefix(p.base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	body := tokenForm("4242424242424242").Encode()
	fmt.Fprintf(conn, "POST /tokens HTTP/1.1\r\nHost: x\r\nAuthorization: Basic %s\r\n"+
		"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n%s",
		base64.StdEncoding.EncodeToString([]byte(pk+":")), len(body), body[:10])
	time.Sleep(200 * time.Millisecond) // the request is now being read
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	fmt.Fprint(conn, body[10:])
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("in-flight request: %v", err)
	}
	if res.StatusCode != http.StatusOK {
		t.Fatalf("in-flight request = %d, want 200", res.StatusCode)
	}
	res.Body.Close()
	if err := p.wait(t, 15*time.Second); err != nil {
		t.Fatalf("exit after SIGTERM: %v; stderr: %s", err, p.stderr.String())
	}
	log := p.stderr.String()
	down, stopped := strings.Index(log, `"shutting down"`), strings.Index(log, `"stopped: every request and the janitor have returned"`)
	if down < 0 || stopped < down {
		t.Errorf("want a shutdown log line, then the line saying requests and janitor have returned: %s", log)
	}
}
