package omiseapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/cardvault/cardvault"
	"github.com/cardvault/cardvault/internal/httpx"
)

// fuzzContentTypes are the Content-Type headers FuzzTokenBody chooses from.
var fuzzContentTypes = []string{"", ctForm, ctJSON, "application/vnd.x+json", "text/plain", "application/json; charset=utf-8"}

// FuzzTokenBody posts arbitrary bodies to POST /tokens with a valid public key:
// the answer is never a 500 and always a JSON object, a token with 200 or an
// error with 4xx.
func FuzzTokenBody(f *testing.F) {
	e := newEnv(f)
	seeds := []struct {
		ct   uint8
		body string
	}{
		{1, cardForm()},
		{2, `{"card":{"name":"A","number":"4242424242424242","expiration_month":12,"expiration_year":2030,"security_code":"123"}}`},
		{2, `{"card":{"name":"A","number":6447032400000000001,"expiration_month":1.2e1,"expiration_year":99}}`},
		{0, `{"card":{}}`},
		{0, cardForm("number", "4242-4242 4242 4242")},
		{2, `{"card":`},
		{2, `[]`},
		{2, `{"card":{"number":{"a":[[[[[[]]]]]]}}}`},
		{1, "card[number][][]=1&card[name]=%zz"},
		{1, strings.Repeat("card[a]", 40) + "=1"},
		{4, "card[name]=A"},
		{3, `{"card":{"expiration_month":1e999999999,"expiration_year":-0.0e-5}}`},
		{2, `{"card":{"name":"\u0000\ud800","number":"٤٢٤٢٤٢٤٢٤٢٤٢٤٢٤٢","expiration_month":"١٢","expiration_year":2030}}`},
		{2, "{\"card\":{\"name\":\"A\xff\",\"city\":\"\\udc00\",\"number\":\"4242424242424242\",\"expiration_month\":12,\"expiration_year\":2030}}"},
		{1, cardForm("name", "A\x00", "city", "\xc3")},
		{0, ""},
		{5, " \n\t"},
	}
	for _, s := range seeds {
		f.Add(s.ct, []byte(s.body))
	}
	f.Fuzz(func(t *testing.T, ct uint8, body []byte) {
		req := httptest.NewRequest("POST", "/tokens", bytes.NewReader(body))
		req.SetBasicAuth(e.PK, "")
		if c := fuzzContentTypes[int(ct)%len(fuzzContentTypes)]; c != "" {
			req.Header.Set("Content-Type", c)
		}
		rec := httptest.NewRecorder()
		e.Handler.ServeHTTP(rec, req)
		res := rec.Result()
		if res.StatusCode >= 500 {
			t.Fatalf("status %d for body %q: %s", res.StatusCode, body, rec.Body.Bytes())
		}
		var m map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
			t.Fatalf("not a JSON object (%v): %s", err, rec.Body.Bytes())
		}
		switch obj := m["object"]; {
		case res.StatusCode == http.StatusOK && obj == "token":
			checkStoredText(t, e, m["id"].(string), body)
		case res.StatusCode >= 400 && res.StatusCode < 500 && obj == "error":
		default:
			t.Fatalf("status %d with object %v: %s", res.StatusCode, obj, rec.Body.Bytes())
		}
	})
}

// checkStoredText fails unless every text field of the token's stored card
// is storable (valid UTF-8 without NUL): the rendered JSON cannot show it,
// since encoding/json replaces invalid bytes.
func checkStoredText(t *testing.T, e *env, tokenID string, body []byte) {
	t.Helper()
	key, err := e.Vault.Authenticate(context.Background(), cardvault.NewSecret(e.PK))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := e.Vault.Token(context.Background(), key.Scope(), tokenID)
	if err != nil {
		t.Fatalf("stored token %s: %v", tokenID, err)
	}
	c, a := tok.Card, tok.Card.Address
	for _, v := range []string{c.Name, a.Street1, a.Street2, a.City, a.State, a.PostalCode, a.Country, a.Phone} {
		if !httpx.StorableText(v) {
			t.Fatalf("stored unstorable text %q from body %q", v, body)
		}
	}
}
