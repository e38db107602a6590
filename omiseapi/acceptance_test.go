package omiseapi_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestAcceptance runs rows 1–14 of API.md §6, each from the fixture state:
// customer 42 holding Visa 4242…4242 (card 17, the default) and MasterCard
// 5555…4444 (card 18).
func TestAcceptance(t *testing.T) {
	row1 := form("card[name]", "JOHN DOE", "card[number]", "4242 4242 4242 4242", "card[expiration_month]", "12",
		"card[expiration_year]", "99", "card[security_code]", "123")
	tests := []struct {
		name string
		run  func(t *testing.T, f *fixture)
	}{
		{"row01 token from form", func(t *testing.T, f *fixture) {
			r := f.doH(t, "POST", "/tokens", f.PK, ctForm, row1, nil)
			if r.Status != 200 {
				t.Fatalf("status %d: %v", r.Status, r.Body)
			}
			check(t, r.Body, map[string]string{
				"id": `~^tokn_test_[0-9a-z]{19}$`, "used": `false`, "charge_status": `"unknown"`,
				"card.brand": `"Visa"`, "card.last_digits": `"4242"`, "card.expiration_year": `2099`,
				"card.location": `null`, "card.security_code_check": `true`,
			})
			raw := string(r.Raw)
			if strings.Contains(raw, "4242424242424242") || strings.Contains(raw, "4242 4242 4242 4242") {
				t.Errorf("body contains the number")
			}
			if v := findValue(r.Body, "123"); v != "" {
				t.Errorf("body contains the security code at %s", v)
			}
		}},
		{"row02 token from json", func(t *testing.T, f *fixture) {
			st, body := f.do(t, "POST", "/tokens", f.PK, ctJSON,
				`{"card":{"name":"A","number":"5555555555554444","expiration_month":1,"expiration_year":2099,"security_code":""}}`)
			if st != 200 {
				t.Fatalf("status %d: %v", st, body)
			}
			check(t, body, map[string]string{"card.brand": `"MasterCard"`, "card.security_code_check": `false`})
		}},
		{"row03 luhn", func(t *testing.T, f *fixture) {
			st, body := f.do(t, "POST", "/tokens", f.PK, ctForm, strings.Replace(row1, "4242+4242+4242+4242", "4242424242424241", 1))
			wantError(t, st, body, 400, "invalid_card", "number is invalid")
		}},
		{"row04 unknown brand", func(t *testing.T, f *fixture) {
			st, body := f.do(t, "POST", "/tokens", f.PK, ctForm, strings.Replace(row1, "4242+4242+4242+4242", "1234567812345678", 1))
			wantError(t, st, body, 400, "invalid_card", "number is invalid and brand not supported (unknown)")
		}},
		{"row05 past", func(t *testing.T, f *fixture) {
			body := form("card[name]", "JOHN DOE", "card[number]", "4242 4242 4242 4242", "card[expiration_month]", "1",
				"card[expiration_year]", "2020", "card[security_code]", "123")
			st, resp := f.do(t, "POST", "/tokens", f.PK, ctForm, body)
			wantError(t, st, resp, 400, "invalid_card", "expiration date cannot be in the past")
		}},
		{"row06 no body", func(t *testing.T, f *fixture) {
			st, body := f.do(t, "POST", "/tokens", f.PK, "", "")
			wantError(t, st, body, 400, "missing_card", "request contains no card parameters")
		}},
		{"row07 authentication", func(t *testing.T, f *fixture) {
			st, body := f.do(t, "POST", "/tokens", f.SK, ctForm, form("card[name]", "A"))
			wantError(t, st, body, 401, "authentication_failure", "authentication failed")
			st, body = f.do(t, "POST", "/customers", f.PK, "", "")
			wantError(t, st, body, 401, "authentication_failure", "authentication failed")
			st, body = f.do(t, "POST", "/customers", "", "", "")
			wantError(t, st, body, 401, "authentication_failure", "authentication failed")
		}},
		{"row08 unknown token", func(t *testing.T, f *fixture) {
			st, body := f.do(t, "GET", "/tokens/tokn_test_doesnotexist0000", f.PK, "", "")
			wantError(t, st, body, 404, "not_found", "token tokn_test_doesnotexist0000 was not found")
		}},
		{"row09 customer from json", func(t *testing.T, f *fixture) {
			tok, card := f.MustToken(t, "4242424242424242")
			st, body := f.do(t, "POST", "/customers", f.SK, ctJSON,
				`{"email":"john@example.com","card":"`+tok+`","metadata":{"answer":42}}`)
			if st != 200 {
				t.Fatalf("status %d: %v", st, body)
			}
			check(t, body, map[string]string{"id": `~^cust_test_`, "cards.total": `1`, "default_card": q(card),
				"metadata.answer": `42`, "email": `"john@example.com"`})
			check(t, f.MustGet(t, "/tokens/"+tok, f.PK), map[string]string{"used": `true`})
		}},
		{"row10 used token", func(t *testing.T, f *fixture) {
			before := f.MustGet(t, "/customers/"+f.Cust, f.SK)
			st, body := f.do(t, "PATCH", "/customers/"+f.Cust, f.SK, ctForm, form("card", f.Tok1))
			wantError(t, st, body, 400, "used_token", "token was already used")
			after := f.MustGet(t, "/customers/"+f.Cust, f.SK)
			if lit(after) != lit(before) {
				t.Errorf("customer changed:\n got %s\nwant %s", lit(after), lit(before))
			}
		}},
		{"row11 expired token", func(t *testing.T, f *fixture) {
			tok, _ := f.MustToken(t, "4111111111111111")
			f.Clock.Advance(tokenTTL + time.Second)
			st, body := f.do(t, "PATCH", "/customers/"+f.Cust, f.SK, ctForm, form("card", tok))
			wantError(t, st, body, 400, "invalid_card_token", "token "+tok+" has expired")
			check(t, f.MustGet(t, "/customers/"+f.Cust, f.SK), map[string]string{"cards.total": `2`})
		}},
		{"row12 pagination", func(t *testing.T, f *fixture) {
			path := "/customers/" + f.Cust + "/cards"
			want := map[string]string{"limit": `1`, "offset": `1`, "total": `2`, "order": `"chronological"`,
				"data.0.id": q(f.Card2), "data.0.brand": `"MasterCard"`, "data.0.last_digits": `"4444"`,
				"data.0.name": `"SOMCHAI PRASERT"`, "data.0.expiration_month": `1`, "data.0.expiration_year": `2031`,
				"data.0.security_code_check": `false`, "location": q(path)}
			for _, req := range []struct{ query, ct, body string }{
				{"?limit=1&offset=1", "", ""},
				{"", ctJSON, `{"limit":1,"offset":1}`},
			} {
				st, body := f.do(t, "GET", path+req.query, f.SK, req.ct, req.body)
				if st != 200 {
					t.Fatalf("status %d: %v", st, body)
				}
				if n := len(body["data"].([]any)); n != 1 {
					t.Errorf("%d cards, want 1", n)
				}
				check(t, body, want)
			}
			check(t, f.MustGet(t, path+"?limit=500", f.SK), map[string]string{"limit": `100`})
		}},
		{"row13 delete default card", func(t *testing.T, f *fixture) {
			card := f.MustGet(t, "/customers/"+f.Cust+"/cards/"+f.Card1, f.SK)
			st, body := f.do(t, "DELETE", "/customers/"+f.Cust+"/cards/"+f.Card1, f.SK, "", "")
			if st != 200 {
				t.Fatalf("status %d: %v", st, body)
			}
			card["deleted"] = true
			if lit(body) != lit(card) {
				t.Errorf("deleted card:\n got %s\nwant %s", lit(body), lit(card))
			}
			check(t, f.MustGet(t, "/customers/"+f.Cust, f.SK), map[string]string{"default_card": q(f.Card2), "cards.total": `1`})
			st, body = f.do(t, "GET", "/customers/"+f.Cust+"/cards/"+f.Card1, f.SK, "", "")
			wantError(t, st, body, 404, "not_found", "card "+f.Card1+" was not found")
		}},
		{"row14 live key on test object", func(t *testing.T, f *fixture) {
			st, body := f.do(t, "GET", "/customers/"+f.Cust, f.LSK, "", "")
			wantError(t, st, body, 404, "not_found", "customer "+f.Cust+" was not found")
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.run(t, newFixture(t))
		})
	}
}

// findValue returns the path of a string or number equal to s in v, or "".
func findValue(v any, s string) string {
	switch t := v.(type) {
	case string:
		if t == s {
			return "."
		}
	case json.Number:
		if string(t) == s {
			return "."
		}
	case map[string]any:
		for k, c := range t {
			if p := findValue(c, s); p != "" {
				return k + p
			}
		}
	case []any:
		for _, c := range t {
			if p := findValue(c, s); p != "" {
				return "[]" + p
			}
		}
	}
	return ""
}
