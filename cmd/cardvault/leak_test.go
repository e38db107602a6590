package main_test

import (
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestLeakScan pushes dozens of distinct card numbers through both dialects,
// including lookups that must fail, then scans every file in the data
// directory (database, WAL, shared memory, key file) and everything the process
// printed for those numbers, for any Luhn-valid 13–19 digit run, and for the
// API keys in the log.
func TestLeakScan(t *testing.T) {
	data := t.TempDir()
	p := mustStart(t, data, "--token-ttl", "2s")
	pk, sk := p.testKeys(t)
	var pans []string
	for i := 0; i < 40; i++ {
		pan := randomPAN(t)
		pans = append(pans, pan)
		if i%2 == 0 {
			cust, ok := createCustomer(p.base, pk, sk, pan)
			if !ok {
				t.Fatalf("customer %d not created", i)
			}
			if i%4 == 0 { // destroyed again: nothing of it may stay behind
				call(t, "DELETE", p.base+"/customers/"+cust, sk, "", nil)
			}
		} else {
			post(p.base+"/tokens", pk, tokenForm(strings.Join([]string{pan[:4], pan[4:8], pan[8:12], pan[12:]}, "-")))
		}
		// Things that must be refused without echoing or recording the number.
		call(t, "GET", p.base+"/customers", pan, "", nil) // a number as the key: an authentication failure
		call(t, "DELETE", p.base+"/customers/cust_test_"+pan+"000", sk, "", nil)
		call(t, "GET", p.base+"/tokens/"+pan, pk, "", nil)
		call(t, "GET", p.base+"/customers/cust_test_"+pan, sk, "", nil)
		call(t, "GET", p.base+"/customers?limit="+pan, sk, "", nil)
		call(t, "GET", p.base+"/api/v3/creditcard?where=number:EQUALS:"+pan, pk, sk, nil)
		call(t, "GET", p.base+"/api/v3/creditcard/external_key:"+pan, pk, sk, nil)
		coPost(t, p.base+"/api/v3/customer", pk, sk, `{"external_key":"leak-`+strconv.Itoa(i)+`"}`)
		coPost(t, p.base+"/api/v3/creditcard", pk, sk, `{"customer_external_key":"leak-`+strconv.Itoa(i)+`","number":"`+pan+`","expdate":"2031-01-01","cvv":"123"}`)
	}
	// The odd numbers' tokens are never used: after their 2 s TTL the janitor
	// (which runs every second) destroys their card data.
	time.Sleep(3500 * time.Millisecond)
	if !strings.Contains(p.stderr.String(), "purged expired card data") {
		t.Error("the janitor did not purge the expired tokens' cards")
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	p.wait(t, 15*time.Second)
	printed := p.stdout.String() + p.stderr.String()
	// The audit trail, as exported and as verified, is scanned too.
	export, exportErr := run(t, true, "audit", "export", "--since", "2000-01-01", "--data", data)
	verified, verifyErr := run(t, true, "audit", "verify", "--data", data)
	if !strings.HasPrefix(verified, "OK: ") || strings.Count(export, `"action":"auth.fail"`) < 40 ||
		strings.Count(export, `"action":"customer.delete","object":"(invalid)"`) < 40 {
		t.Errorf("audit verify: %q; audit export: %d auth.fail records, %d deletes of invalid ids, want 40 of each",
			verified, strings.Count(export, `"action":"auth.fail"`), strings.Count(export, `"action":"customer.delete","object":"(invalid)"`))
	}
	printed += export + exportErr + verified + verifyErr
	scanned := map[string]string{"process output and audit export": printed}
	filepath.Walk(data, func(path string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			scanned[path] = string(b)
		}
		return nil
	})
	if len(scanned) < 3 {
		t.Fatalf("scanned only %d files", len(scanned))
	}
	for name, content := range scanned {
		for _, pan := range pans {
			if strings.Contains(content, pan) || strings.Contains(content, pan[:4]+"-"+pan[4:8]) {
				t.Errorf("%s contains a card number", name)
			}
		}
		for _, run := range luhnRuns(content) {
			t.Errorf("%s contains a Luhn-valid digit run of length %d", name, len(run))
		}
	}
	if strings.Contains(p.stderr.String(), sk) || strings.Contains(p.stderr.String(), pk) {
		t.Errorf("the log contains an API key")
	}
}

var digitRun = regexp.MustCompile(`[0-9]{13,}`)

// luhnRuns returns every 13–19 digit window of a digit run that passes Luhn.
func luhnRuns(s string) []string {
	var out []string
	for _, run := range digitRun.FindAllString(s, -1) {
		for n := 13; n <= 19 && n <= len(run); n++ {
			for i := 0; i+n <= len(run); i++ {
				if luhn(run[i : i+n]) {
					out = append(out, run[i:i+n])
				}
			}
		}
	}
	return out
}

func coPost(t *testing.T, u, pk, sk, body string) {
	t.Helper()
	req, _ := http.NewRequest("POST", u, strings.NewReader(body))
	req.SetBasicAuth(pk, sk)
	if res, err := http.DefaultClient.Do(req); err == nil {
		res.Body.Close()
	}
}
