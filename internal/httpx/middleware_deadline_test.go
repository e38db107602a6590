package httpx

import (
	"bytes"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func lateAnswer(w http.ResponseWriter, _ *http.Request) {
	w.WriteHeader(http.StatusServiceUnavailable)
	io.WriteString(w, "late")
}

func TestDeadline(t *testing.T) {
	const d = 50 * time.Millisecond
	cases := []struct {
		name   string
		h      http.HandlerFunc
		status int
		body   string
	}{
		{"nothing written after the deadline", func(w http.ResponseWriter, r *http.Request) {
			<-r.Context().Done()
		}, 503, "late"},
		{"a 500 after the deadline is replaced", func(w http.ResponseWriter, r *http.Request) {
			<-r.Context().Done()
			w.WriteHeader(http.StatusInternalServerError)
			io.WriteString(w, "internal")
		}, 503, "late"},
		{"a 400 after the deadline stays", func(w http.ResponseWriter, r *http.Request) {
			<-r.Context().Done()
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, "bad")
		}, 400, "bad"},
		{"a timely 500 stays", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusInternalServerError)
			io.WriteString(w, "internal")
		}, 500, "internal"},
		{"a timely 201 stays", func(w http.ResponseWriter, r *http.Request) {
			if _, ok := r.Context().Deadline(); !ok {
				t.Error("no deadline on the request's context")
			}
			w.WriteHeader(http.StatusCreated)
			io.WriteString(w, "made")
		}, 201, "made"},
	}
	for _, c := range cases {
		rec := httptest.NewRecorder()
		Deadline(d, c.h, lateAnswer).ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
		if rec.Code != c.status || rec.Body.String() != c.body {
			t.Errorf("%s: %d %q, want %d %q", c.name, rec.Code, rec.Body.String(), c.status, c.body)
		}
	}
}

// TestDeadlineClientGone: a request cancelled by its client's hang-up is
// sent nothing — in particular not the empty 200 net/http would send for a
// handler that wrote nothing — and is logged as 499, below ERROR.
func TestDeadlineClientGone(t *testing.T) {
	var logs bytes.Buffer
	done := make(chan struct{})
	h := Log(slog.New(slog.NewJSONHandler(&logs, nil)), Deadline(time.Minute, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer close(done)
		<-r.Context().Done()
	}), lateAnswer), func(http.ResponseWriter, *http.Request) {})
	srv := httptest.NewServer(h)
	defer srv.Close()
	c, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	c.(*net.TCPConn).CloseWrite() // the client is gone as far as the server can tell
	<-done
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if b, _ := io.ReadAll(c); len(b) != 0 {
		t.Errorf("a cancelled request was answered: %q", b)
	}
	srv.Close() // waits for the handler's log line
	if out := logs.String(); !strings.Contains(out, `"status":499`) || strings.Contains(out, `"level":"ERROR"`) {
		t.Errorf("log: %s", out)
	}
}
