package httpx

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestRequestLoggerTagsHandlerLines: a line a handler logs with the request's
// context carries the access-log line's request_id, in both slog formats; a
// line without that context carries none, and a line naming request_id
// itself keeps its own, once.
func TestRequestLoggerTagsHandlerLines(t *testing.T) {
	for _, format := range []string{"json", "text"} {
		var buf bytes.Buffer
		base := slog.New(slog.NewJSONHandler(&buf, nil))
		if format == "text" {
			base = slog.New(slog.NewTextHandler(&buf, nil))
		}
		log := RequestLogger(base)
		if RequestLogger(log) != log {
			t.Errorf("%s: RequestLogger wraps an already wrapped logger again", format)
		}
		h := Log(log, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			log.With("part", "handler").ErrorContext(r.Context(), "handler line", "n", 1)
			log.Info("no context")
			log.InfoContext(r.Context(), "own id", "request_id", "mine")
		}), func(http.ResponseWriter, *http.Request) {})
		req := httptest.NewRequest("GET", "/", nil)
		req.Header.Set("X-Request-Id", "req-abc")
		h.ServeHTTP(httptest.NewRecorder(), req)
		lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
		if len(lines) != 4 {
			t.Fatalf("%s: %d lines, want 4:\n%s", format, len(lines), buf.String())
		}
		want := []struct {
			msg, id string
		}{{"handler line", "req-abc"}, {"no context", ""}, {"own id", "mine"}, {"request", "req-abc"}}
		for i, line := range lines {
			kv := parseLine(t, format, line)
			if kv["msg"] != want[i].msg || kv["request_id"] != want[i].id {
				t.Errorf("%s line %d: msg %q request_id %q, want %q %q: %s", format, i, kv["msg"], kv["request_id"], want[i].msg, want[i].id, line)
			}
			if n := strings.Count(line, "request_id"); n > 1 {
				t.Errorf("%s line %d names request_id %d times: %s", format, i, n, line)
			}
		}
		if kv := parseLine(t, format, lines[0]); kv["part"] != "handler" {
			t.Errorf("%s: With lost its attribute: %s", format, lines[0])
		}
	}
}

// parseLine decodes one JSON line, or the key=value pairs of a text line
// (values without spaces, or quoted).
func parseLine(t *testing.T, format, line string) map[string]string {
	t.Helper()
	kv := map[string]string{}
	if format == "json" {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("not JSON: %v: %s", err, line)
		}
		for k, v := range m {
			s, ok := v.(string)
			if !ok {
				b, _ := json.Marshal(v)
				s = string(b)
			}
			kv[k] = s
		}
		return kv
	}
	for rest := line; rest != ""; {
		k, after, ok := strings.Cut(rest, "=")
		if !ok || k == "" || strings.ContainsAny(k, ` "`) {
			t.Fatalf("not key=value: %q in %s", rest, line)
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
