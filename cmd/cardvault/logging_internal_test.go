package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cardvault/cardvault/keys"
	"github.com/cardvault/cardvault/server"
	"github.com/cardvault/cardvault/sqlite"
	"github.com/cardvault/cardvault/vault"
)

// logLine decodes one log line of either format into its keys and values:
// a JSON object, or key=value pairs (values quoted when they hold spaces).
func logLine(t *testing.T, format, line string) map[string]string {
	t.Helper()
	kv := map[string]string{}
	if format == "json" {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("not a JSON line: %v: %s", err, line)
		}
		for k, v := range m {
			b, _ := json.Marshal(v)
			kv[k] = strings.Trim(string(b), `"`)
		}
		return kv
	}
	for rest := line; rest != ""; {
		k, after, ok := strings.Cut(rest, "=")
		if !ok || k == "" || strings.ContainsAny(k, ` "`) {
			t.Fatalf("not a key=value line at %q: %s", rest, line)
		}
		var v string
		if strings.HasPrefix(after, `"`) {
			end := 1
			for ; end < len(after) && (after[end] != '"' || after[end-1] == '\\'); end++ {
			}
			v, rest = after[1:end], strings.TrimPrefix(after[min(end+1, len(after)):], " ")
		} else {
			v, rest, _ = strings.Cut(after, " ")
		}
		kv[k] = v
	}
	return kv
}

func logLines(t *testing.T, format, out string) []map[string]string {
	t.Helper()
	var lines []map[string]string
	for l := range strings.Lines(out) {
		lines = append(lines, logLine(t, format, strings.TrimSuffix(l, "\n")))
	}
	return lines
}

// TestLoggingFormatsAndLevels: each format writes lines its decoder reads,
// with time, level and msg; each level lets through itself and above only;
// bad words are refused naming the flag and its variable.
func TestLoggingFormatsAndLevels(t *testing.T) {
	order := []string{"DEBUG", "INFO", "WARN", "ERROR"}
	for _, format := range []string{"json", "text", "TEXT"} {
		for i, level := range []string{"debug", "info", "warn", "error"} {
			var buf bytes.Buffer
			log, err := Logging{LogFormat: format, LogLevel: level}.logger(&buf)
			if err != nil {
				t.Fatalf("%s/%s: %v", format, level, err)
			}
			log.Debug("d", "k", "v")
			log.Info("i", "k", "v w")
			log.Warn("w", "k", 1)
			log.Error("e", "k", true)
			lines := logLines(t, strings.ToLower(format), buf.String())
			if len(lines) != len(order)-i {
				t.Fatalf("%s/%s: %d lines, want %d:\n%s", format, level, len(lines), len(order)-i, buf.String())
			}
			for j, l := range lines {
				if l["level"] != order[i+j] || l["time"] == "" || l["msg"] == "" || l["k"] == "" {
					t.Errorf("%s/%s line %d: %v", format, level, j, l)
				}
			}
		}
	}
	for _, bad := range []Logging{{"xml", "info"}, {"json", "loud"}, {"", "info"}, {"text", "warning"}} {
		if _, err := bad.logger(&bytes.Buffer{}); err == nil {
			t.Errorf("%+v accepted", bad)
		} else if !strings.Contains(err.Error(), "$CARDVAULT_LOG_") || !strings.Contains(err.Error(), "must be") {
			t.Errorf("%+v: unclear refusal %q", bad, err)
		}
	}
}

// TestLogRequestIDAndLeaks: with either format, a request whose handler logs
// an error line (the store is closed under the server) gives that line the
// request_id of its access-log line, and no card number or key sent in the
// request reaches the log.
func TestLogRequestIDAndLeaks(t *testing.T) {
	const pan = "4242424242424242"
	for _, format := range []string{"json", "text"} {
		var buf bytes.Buffer
		log, err := Logging{LogFormat: format, LogLevel: "debug"}.logger(&buf)
		if err != nil {
			t.Fatal(err)
		}
		db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "cardvault.db"))
		if err != nil {
			t.Fatal(err)
		}
		kr, err := keys.New(make([]byte, keys.KeySize))
		if err != nil {
			t.Fatal(err)
		}
		h := server.Handler(vault.New(db, kr, time.Hour, log), log)
		db.Close()
		requests := []*http.Request{
			httptest.NewRequest("GET", "/healthz", nil),
			httptest.NewRequest("POST", "/tokens", strings.NewReader("card[number]="+pan+"&card[security_code]=123")),
			httptest.NewRequest("GET", "/api/v3/creditcard?where=number:EQUALS:"+pan, nil),
			httptest.NewRequest("GET", "/customers/cust_test_"+pan, nil),
		}
		for i, req := range requests {
			req.SetBasicAuth("skey_test_0123456789abcdefghijklmnopqrstuv", pan)
			req.Header.Set("X-Request-Id", "req-"+pan)
			buf.Reset()
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code < 500 {
				t.Fatalf("%s %d: %s %s answered %d with the store closed", format, i, req.Method, req.URL.Path, rec.Code)
			}
			out := buf.String()
			if strings.Contains(out, pan) || strings.Contains(out, "skey_test_0123") || strings.Contains(out, "4242 4242") {
				t.Errorf("%s %d: the log holds request data:\n%s", format, i, out)
			}
			var errorLine, access map[string]string
			for _, l := range logLines(t, format, out) {
				switch {
				case l["level"] == "ERROR":
					errorLine = l
				case l["msg"] == "request":
					access = l
				}
			}
			if errorLine == nil || access == nil {
				t.Fatalf("%s %d: want an error line and an access line:\n%s", format, i, out)
			}
			if id := access["request_id"]; id == "" || errorLine["request_id"] != id {
				t.Errorf("%s %d: error line request_id %q, access line %q:\n%s", format, i, errorLine["request_id"], id, out)
			}
		}
	}
}
