package server

import (
	"bytes"
	"net/http"
	"testing"

	"github.com/cardvault/cardvault/openapi"
)

// TestOpenAPIServed: both documents are served without authentication, byte
// for byte the embedded files, to GET and HEAD; other methods there belong to
// the Omise dialect (401 without a key).
func TestOpenAPIServed(t *testing.T) {
	e := mustEnv(t, nil)
	h := Handler(e.v, e.log)
	for path, want := range map[string][]byte{"/openapi/omise.json": openapi.Omise, "/openapi/chargeover.json": openapi.ChargeOver} {
		if len(want) < 1000 {
			t.Fatalf("%s: embedded document is %d bytes", path, len(want))
		}
		rec := call(t, h, "GET", path, "", "", "", "")
		if rec.Code != http.StatusOK || !bytes.Equal(rec.Body.Bytes(), want) {
			t.Errorf("GET %s: %d, %d bytes; want 200 and the embedded %d bytes", path, rec.Code, rec.Body.Len(), len(want))
		}
		if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
			t.Errorf("GET %s: Content-Type %q", path, ct)
		}
		if rec := call(t, h, "HEAD", path, "", "", "", ""); rec.Code != http.StatusOK || rec.Body.Len() != 0 {
			t.Errorf("HEAD %s: %d, %d bytes", path, rec.Code, rec.Body.Len())
		}
		if rec := call(t, h, "POST", path, "", "", "", ""); rec.Code != http.StatusUnauthorized {
			t.Errorf("POST %s: %d, want 401", path, rec.Code)
		}
		if rec := call(t, h, "GET", path, e.sk, "", "", ""); rec.Code != http.StatusOK || !bytes.Equal(rec.Body.Bytes(), want) {
			t.Errorf("GET %s with a key: %d", path, rec.Code)
		}
	}
	// Only the two documents: anything else under /openapi/ is the Omise 404.
	if rec := call(t, h, "GET", "/openapi/other.json", e.sk, "", "", ""); rec.Code != http.StatusNotFound {
		t.Errorf("GET /openapi/other.json: %d, want 404", rec.Code)
	}
	// GET / validates too (call checks every answer against the documents).
	if rec := call(t, h, "GET", "/", "", "", "", ""); rec.Code != http.StatusOK {
		t.Errorf("GET /: %d", rec.Code)
	}
}
