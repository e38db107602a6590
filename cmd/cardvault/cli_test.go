package main_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestCLIExplainsItself: help, --help, --version, -v and version work; the
// top-level help lists the commands and names serve's flags; a mistyped
// command names the nearest one.
func TestCLIExplainsItself(t *testing.T) {
	data := t.TempDir()
	for _, args := range [][]string{{"--version"}, {"-v"}, {"version"}} {
		ok, out, errOut := runAdmin(t, data, nil, args...)
		if !ok || !strings.HasPrefix(out, "cardvault ") {
			t.Errorf("%v: ok=%v %q %s", args, ok, out, errOut)
		}
	}
	ok, top, _ := runAdmin(t, data, nil, "help")
	if !ok {
		t.Fatalf("help failed")
	}
	for _, w := range []string{"serve", "account create", "account list", "account keys list", "account keys reissue-secret",
		"version", "--addr", "--tls-cert", "--rate-limit", "--version"} {
		if !strings.Contains(top, w) {
			t.Errorf("help does not mention %q:\n%s", w, top)
		}
	}
	if ok, h, _ := runAdmin(t, data, nil, "--help"); !ok || h != top {
		t.Errorf("--help differs from help")
	}
	if ok, h, _ := runAdmin(t, data, nil, "help", "account", "keys", "reissue-secret"); !ok || !strings.Contains(h, "--mode") {
		t.Errorf("help account keys reissue-secret: %s", h)
	}
	ok, _, errOut := runAdmin(t, data, nil, "acount", "list")
	if ok || !strings.Contains(errOut, `did you mean "account"`) {
		t.Errorf("mistyped command: ok=%v %s", ok, errOut)
	}
	if entries, _ := os.ReadDir(data); len(entries) != 0 {
		t.Errorf("help and version wrote %d files into the data directory", len(entries))
	}
}

// TestHelpNamesEveryVariable: serve's help names every environment variable
// the README's configuration table lists, and no other.
func TestHelpNamesEveryVariable(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	vars := regexp.MustCompile(`CARDVAULT_[A-Z_]+`)
	table := regexp.MustCompile("(?m)^\\|.*\\|$").FindAllString(string(readme), -1)
	want := unique(vars.FindAllString(strings.Join(table, "\n"), -1))
	_, help, _ := runAdmin(t, t.TempDir(), nil, "serve", "--help")
	got := unique(vars.FindAllString(help, -1))
	if !slices.Equal(got, want) {
		t.Errorf("serve --help names %v; the README's table %v", got, want)
	}
	if len(want) < 10 {
		t.Errorf("only %d variables in the README's table", len(want))
	}
}

func unique(s []string) []string {
	slices.Sort(s)
	return slices.Compact(s)
}

// TestFlagsBeatEnvironment: --master-key-file wins over a wrong
// CARDVAULT_MASTER_KEY; the two variables holding different keys are
// refused, naming both; the same key in both is fine.
func TestFlagsBeatEnvironment(t *testing.T) {
	data := t.TempDir()
	key := newMasterKey()
	if served, log := runWithKey(t, data, []string{"CARDVAULT_MASTER_KEY=" + key}); !served {
		t.Fatalf("did not serve: %s", log)
	}
	dir := t.TempDir()
	keyFile, otherFile := filepath.Join(dir, "key"), filepath.Join(dir, "other")
	os.WriteFile(keyFile, []byte(key+"\n"), 0o600)
	os.WriteFile(otherFile, []byte(newMasterKey()), 0o600)
	if served, log := runWithKey(t, data, []string{"CARDVAULT_MASTER_KEY=" + newMasterKey()}, "--master-key-file", keyFile); !served {
		t.Errorf("--master-key-file did not beat CARDVAULT_MASTER_KEY: %s", log)
	}
	if served, log := runWithKey(t, data, []string{"CARDVAULT_MASTER_KEY=garbage", "CARDVAULT_MASTER_KEY_FILE=/nonexistent"}, "--master-key-file", keyFile); !served {
		t.Errorf("--master-key-file did not beat both variables: %s", log)
	}
	served, log := runWithKey(t, data, []string{"CARDVAULT_MASTER_KEY=" + key, "CARDVAULT_MASTER_KEY_FILE=" + otherFile})
	if served || !strings.Contains(log, "CARDVAULT_MASTER_KEY and CARDVAULT_MASTER_KEY_FILE hold different master keys") {
		t.Errorf("different keys in the two variables: served=%v %s", served, log)
	}
	if served, log := runWithKey(t, data, []string{"CARDVAULT_MASTER_KEY=" + key, "CARDVAULT_MASTER_KEY_FILE=" + keyFile}); !served {
		t.Errorf("the same key in both variables: %s", log)
	}
	if served, log := runWithKey(t, data, []string{"CARDVAULT_MASTER_KEY_FILE=" + keyFile}); !served {
		t.Errorf("CARDVAULT_MASTER_KEY_FILE alone: %s", log)
	}
}

// TestBindBeforeKeys: a busy port fails the first start before any store,
// key or account is made; the next start on a free port prints the keys.
func TestBindBeforeKeys(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	data := t.TempDir()
	served, stdout, stderr := runOnce(t, data, nil, "--addr", busy.Addr().String())
	if served || strings.Contains(stdout, "key") || !strings.Contains(stderr, "address already in use") {
		t.Errorf("busy port: served=%v stdout %q stderr %s", served, stdout, stderr)
	}
	if entries, _ := os.ReadDir(data); len(entries) != 0 {
		t.Errorf("a start that could not bind left %d files in the data directory", len(entries))
	}
	p := mustStart(t, data)
	p.testKeys(t)
	out := p.stdout.String()
	if !regexp.MustCompile(`LIVE mode.*\n    public key: pkey_[0-9a-z]{32}\n    secret key: skey_[0-9a-z]{32}\n`).MatchString(out) {
		t.Errorf("the live pair is not printed, marked LIVE:\n%s", out)
	}
	if strings.Count(out, "secret key:") != 2 {
		t.Errorf("want the test and the live secret key once each:\n%s", out)
	}
}

// TestReadOnlyCommandsCreateNothing: account list and account keys on a
// missing directory, a directory as --db and a PostgreSQL URL fail naming
// the real problem and create nothing; account create --json prints exactly
// one JSON object on standard output.
func TestReadOnlyCommandsCreateNothing(t *testing.T) {
	parent := t.TempDir()
	typo := filepath.Join(parent, "typo")
	for _, args := range [][]string{{"account", "list"}, {"account", "keys", "--account", "acct_x"}} {
		ok, _, errOut := runAdmin(t, typo, nil, args...)
		if ok || !strings.Contains(errOut, "no data directory "+typo) {
			t.Errorf("%v on a missing directory: ok=%v %s", args, ok, errOut)
		}
	}
	if _, err := os.Stat(typo); err == nil {
		t.Error("a read-only command created the data directory")
	}
	data := t.TempDir()
	for _, args := range [][]string{{"account", "list"}, {"account", "create"}, {"account", "keys", "--account", "acct_x"}} {
		ok, _, errOut := runAdmin(t, data, nil, append([]string{"--db", parent}, args...)...)
		if ok || !strings.Contains(errOut, "--db "+parent+" is a directory") {
			t.Errorf("%v with --db a directory: ok=%v %s", args, ok, errOut)
		}
		// An unreachable PostgreSQL (store_postgres_test.go tests a real one).
		ok, _, errOut = runAdmin(t, typo, nil, append([]string{"--db", "postgres://u@127.0.0.1:1/db"}, args...)...)
		if ok || !strings.Contains(errOut, "127.0.0.1:1") && !strings.Contains(errOut, "a master key must be configured") {
			t.Errorf("%v with --db postgres://: ok=%v %s", args, ok, errOut)
		}
	}
	if served, _, errOut := runOnce(t, typo, nil, "--db", "postgres://u@127.0.0.1:1/db"); served || !strings.Contains(errOut, "PostgreSQL") {
		t.Errorf("serve with --db postgres://: served=%v %s", served, errOut)
	}
	if _, err := os.Stat(typo); err == nil {
		t.Error("a refused --db created the data directory")
	}
	if entries, _ := os.ReadDir(data); len(entries) != 0 {
		t.Errorf("refused commands wrote %d files", len(entries))
	}
	ok, out, errOut := runAdmin(t, filepath.Join(parent, "new"), nil, "account", "create", "--json")
	d := json.NewDecoder(strings.NewReader(out))
	var acct map[string]any
	if err := d.Decode(&acct); !ok || err != nil || acct["id"] == nil || acct["test"] == nil || acct["live"] == nil {
		t.Fatalf("account create --json on a new directory: ok=%v %v %q %s", ok, err, out, errOut)
	}
	if rest := out[d.InputOffset():]; strings.TrimSpace(rest) != "" {
		t.Errorf("account create --json printed more than one JSON object: %q", rest)
	}
}

// TestAccountKeys: keys are listed by id (a prefix of the key's SHA-256),
// never shown; reissue-secret prints a new secret key once, and on a running
// server the old one is refused at once while the new one works in both
// dialects, signatures included (the sealed copy on the public key follows).
func TestAccountKeys(t *testing.T) {
	data := t.TempDir()
	p := mustStart(t, data)
	pk, sk := p.testKeys(t)
	acct := regexp.MustCompile(`acct_[0-9a-z]+`).FindString(p.stdout.String())
	ok, out, errOut := runAdmin(t, data, nil, "account", "keys", "--account", acct, "--json")
	var rows []struct{ ID, Mode, Kind, CreatedAt string }
	if err := json.Unmarshal([]byte(out), &rows); !ok || err != nil || len(rows) != 4 {
		t.Fatalf("account keys --json: ok=%v %v %s %s", ok, err, out, errOut)
	}
	ids := map[string]string{}
	for _, r := range rows {
		ids[r.Mode+" "+r.Kind] = r.ID
	}
	if ids["test public"] != keyID(pk) || ids["test secret"] != keyID(sk) || len(ids) != 4 {
		t.Errorf("key ids %v; want test public %s, test secret %s", ids, keyID(pk), keyID(sk))
	}
	_, text, _ := runAdmin(t, data, nil, "account", "keys", "--account", acct)
	for _, o := range []string{out, text} {
		if strings.Contains(o, "key_") {
			t.Errorf("account keys shows a key: %s", o)
		}
	}
	if !strings.Contains(text, keyID(sk)) {
		t.Errorf("account keys (text) does not list %s: %s", keyID(sk), text)
	}
	if ok, _, errOut := runAdmin(t, data, nil, "account", "keys", "--account", "acct_nosuch"); ok || !strings.Contains(errOut, "no account acct_nosuch") {
		t.Errorf("unknown account: ok=%v %s", ok, errOut)
	}

	ok, out, errOut = runAdmin(t, data, nil, "account", "keys", "reissue-secret", "--account", acct, "--mode", "test", "--json")
	var re struct {
		ID        string `json:"id"`
		SecretKey string `json:"secret_key"`
	}
	if err := json.Unmarshal([]byte(out), &re); !ok || err != nil || !strings.HasPrefix(re.SecretKey, "skey_test_") || re.ID != keyID(re.SecretKey) {
		t.Fatalf("reissue-secret: ok=%v %v %s %s", ok, err, out, errOut)
	}
	if st, _, _ := call(t, "GET", p.base+"/customers", sk, "", nil); st != 401 {
		t.Errorf("old secret key after reissue = %d, want 401", st)
	}
	if st, _, raw := call(t, "GET", p.base+"/customers", re.SecretKey, "", nil); st != 200 {
		t.Errorf("new secret key = %d %s", st, raw)
	}
	if st, _, raw := call(t, "GET", p.base+"/api/v3/customer", pk, re.SecretKey, nil); st != 200 {
		t.Errorf("ChargeOver Basic with the new secret key = %d %s", st, raw)
	}
	if st, _, _ := call(t, "GET", p.base+"/api/v3/customer", pk, sk, nil); st != 401 {
		t.Errorf("ChargeOver Basic with the old secret key = %d, want 401", st)
	}
	if st := signedGet(t, p.base+"/api/v3/customer", pk, re.SecretKey); st != 200 {
		t.Errorf("signature-v1 with the new secret key = %d", st)
	}
	if st := signedGet(t, p.base+"/api/v3/customer", pk, sk); st != 401 {
		t.Errorf("signature-v1 with the old secret key = %d, want 401", st)
	}
	_, listed, _ := runAdmin(t, data, nil, "account", "keys", "--account", acct)
	if strings.Contains(listed, keyID(sk)) || !strings.Contains(listed, re.ID) {
		t.Errorf("after reissue the list shows %s; want %s, not %s", listed, re.ID, keyID(sk))
	}
}

// keyID is the id account keys shows for a key.
func keyID(key string) string {
	h := sha256.Sum256([]byte(key))
	return hex.EncodeToString(h[:])[:12]
}

// TestDevelopmentRateDefault: without --rate-limit, a store on the
// development key is not rate limited; with a configured master key the
// production default applies.
func TestDevelopmentRateDefault(t *testing.T) {
	dev := startServing(t, nil, "--data", t.TempDir(), "--addr", "127.0.0.1:0", "--rate-burst", "1")
	pk, _ := dev.testKeys(t)
	for i := range 50 {
		if st, _, raw := call(t, "POST", dev.base+"/tokens", pk, "", tokenForm("4242424242424242")); st != 200 {
			t.Fatalf("token %d on the development key with burst 1 = %d %s", i+1, st, raw)
		}
	}
	if !strings.Contains(dev.stderr.String(), `"rate_limit":"unlimited (development key`) {
		t.Errorf("the start-up line does not say the limit is off: %s", dev.stderr.String())
	}
	prod := startServing(t, []string{"CARDVAULT_MASTER_KEY=" + newMasterKey()}, "--data", t.TempDir(), "--addr", "127.0.0.1:0", "--rate-burst", "1")
	pk, _ = prod.testKeys(t)
	limited := false
	for range 10 {
		if st, _, _ := call(t, "POST", prod.base+"/tokens", pk, "", tokenForm("4242424242424242")); st == 429 {
			limited = true
			break
		}
	}
	if !limited || !strings.Contains(prod.stderr.String(), `"rate_limit":"100/s per API key"`) {
		t.Errorf("a configured key is not limited by default (429 seen: %v): %s", limited, prod.stderr.String())
	}
}

// startServing starts the binary with exactly args and waits until it serves.
func startServing(t *testing.T, env []string, args ...string) *proc {
	t.Helper()
	p := startProc(t, env, args...)
	re := regexp.MustCompile(`"msg":"cardvault serving","addr":"[^"]+","url":"([^"]+)"`)
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); {
		if m := re.FindStringSubmatch(p.stderr.String()); m != nil {
			p.base = m[1]
			return p
		}
		select {
		case <-p.done:
			t.Fatalf("cardvault exited before serving: %v\nstderr: %s", p.err, p.stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("cardvault did not start; stderr: %s", p.stderr.String())
	return nil
}

// TestRootAndNewlines: GET / answers 200 without a key, naming both
// dialects; JSON answers of both dialects end with a newline.
func TestRootAndNewlines(t *testing.T) {
	p := mustStart(t, t.TempDir())
	pk, sk := p.testKeys(t)
	st, doc, raw := call(t, "GET", p.base+"/", "", "", nil)
	if st != 200 || doc["name"] != "cardvault" || !strings.Contains(raw, "omise") || !strings.Contains(raw, "chargeover") ||
		!strings.Contains(raw, "docs/API.md") {
		t.Errorf("GET / = %d %s", st, raw)
	}
	for _, c := range []struct{ path, user, pass string }{
		{"/", "", ""}, {"/healthz", "", ""}, {"/customers", sk, ""}, {"/customers", "", ""},
		{"/api/v3/customer", pk, sk}, {"/api/v3/customer", "", ""}, {"/api/v3/nope", pk, sk},
	} {
		if _, _, raw := call(t, "GET", p.base+c.path, c.user, c.pass, nil); !strings.HasSuffix(raw, "}\n") {
			t.Errorf("GET %s (user %q): body does not end with a newline: %q", c.path, c.user, raw)
		}
	}
}

// TestExposedWarning: serving a non-loopback address without TLS warns loudly.
func TestExposedWarning(t *testing.T) {
	p := startServing(t, nil, "--data", t.TempDir(), "--addr", "0.0.0.0:0", "--rate-limit", "0")
	if !strings.Contains(p.stderr.String(), "NOT ENCRYPTED") {
		t.Errorf("no warning for 0.0.0.0 without TLS: %s", p.stderr.String())
	}
	q := mustStart(t, t.TempDir())
	if strings.Contains(q.stderr.String(), "NOT ENCRYPTED") {
		t.Errorf("warning on loopback: %s", q.stderr.String())
	}
}

// signedGet sends a signature-v1 GET (API.md §3.2) and returns the status.
func signedGet(t *testing.T, u, pub, sec string) int {
	t.Helper()
	nonce, ts := strings.ReplaceAll(keyID(time.Now().String()), "-", ""), time.Now().Unix()
	msg := pub + "||" + strings.ToLower(u) + "||" + nonce + "||" + strconv.FormatInt(ts, 10) + "||"
	mac := hmac.New(sha256.New, []byte(sec))
	mac.Write([]byte(msg))
	req, err := http.NewRequest("GET", u, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", fmt.Sprintf(`ChargeOver co_public_key="%s" co_nonce="%s" co_timestamp="%d" `+
		`co_signature_method="HMAC-SHA256" co_version="1.0" co_signature="%x"`, pub, nonce, ts, mac.Sum(nil)))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}
