package httpx

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestEcho(t *testing.T) {
	for in, want := range map[string]string{
		"cust_test_0mwq95cww37e3p3e2z8": "cust_test_0mwq95cww37e3p3e2z8",
		"ext:1.a-b":                     "ext:1.a-b",
		"12345678901":                   "12345678901",
		"123456789012":                  "[redacted]",
		"cust_test_4242424242424242":    "[redacted]",
		"a b":                           "[redacted]",
		"":                              "[redacted]",
		strings.Repeat("a", 64):         strings.Repeat("a", 64),
		strings.Repeat("a", 65):         "[redacted]",
		"12345678901a12345678901":       "12345678901a12345678901",
		"x\u00e9":                       "[redacted]",
		"<script>":                      "[redacted]",
		"1234-5678-9012-3456":           "1234-5678-9012-3456",
	} {
		if got := Echo(in); got != want {
			t.Errorf("Echo(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzEcho(f *testing.F) {
	f.Add("cust_test_0mwq95cww37e3p3e2z8")
	f.Add("4242424242424242")
	f.Fuzz(func(t *testing.T, s string) {
		got := Echo(s)
		if got == "[redacted]" {
			return
		}
		if got != s || len(s) > 64 || strings.ContainsAny(s, " /?%\"'<>") {
			t.Fatalf("Echo(%q) = %q", s, got)
		}
		run := 0
		for _, c := range s {
			if c >= '0' && c <= '9' {
				if run++; run >= 12 {
					t.Fatalf("Echo(%q) passed a 12-digit run", s)
				}
			} else {
				run = 0
			}
		}
	})
}

// TestLogLine: the access log carries method, route, status, duration and
// request id — never the path, query, body or Authorization header.
func TestLogLine(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	h := Log(log, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		SetRoute(r, "GET /things/{id}")
		w.WriteHeader(http.StatusTeapot)
	}), func(http.ResponseWriter, *http.Request) {})
	const secret = "4242424242424242"
	for _, method := range []string{"GET", secret} {
		req := httptest.NewRequest("GET", "/things/"+secret+"?where=number:EQUALS:"+secret, strings.NewReader("card[number]="+secret))
		req.Method = method
		req.SetBasicAuth("skey_test_"+secret, "")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Header().Get("X-Request-Id") == "" {
			t.Error("no X-Request-Id")
		}
	}
	out := buf.String()
	if strings.Contains(out, secret) || strings.Contains(out, "4242") {
		t.Errorf("log leaks request data: %s", out)
	}
	for _, want := range []string{`"route":"GET /things/{id}"`, `"status":418`, `"method":"GET"`, `"method":"OTHER"`, `"request_id":"req_`} {
		if !strings.Contains(out, want) {
			t.Errorf("log line lacks %s: %s", want, out)
		}
	}
}

// TestPanicIsAnswered: a panicking handler gets the dialect's 500 and a log
// line without the panic value.
func TestPanicIsAnswered(t *testing.T) {
	var buf bytes.Buffer
	h := Log(slog.New(slog.NewJSONHandler(&buf, nil)), http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic("card 4242424242424242")
	}), func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusInternalServerError) })
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if rec.Code != http.StatusInternalServerError {
		t.Errorf("status = %d, want 500", rec.Code)
	}
	if strings.Contains(buf.String(), "4242424242424242") {
		t.Errorf("panic value logged: %s", buf.String())
	}
}
